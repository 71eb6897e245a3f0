/*  test_end_to_end.c - the three real services on loopback, the small ward's
    first quarter (scenario.h), and every score, rank, tier and alert checked
    against values computed by hand below.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR (paths from CMake). The
    tests run in order and share one cluster: each continues the timeline.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "scenario.h"

static char **g_argv;

//  Count alerts matching task / kind / level (-1: any) / person (NULL: any).
static int count_alerts(const Cchc__AlertList *l, const char *task, Cchc__AlertKind kind, int level,
                        const char *person)
{
    int n = 0;
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        if (!strcmp(a->task, task) && a->kind == kind && (level < 0 || a->level == level) &&
            (!person || !strcmp(a->person, person)))
            n++;
    }
    return n;
}

/*  On 05/02/2026 09:00 the tasks due 31/01 have come due; those due 28/02
    have not and are in neither numerator nor denominator.
      VP   T1 (A1) done on time, 1/1 outputs: a = b = c = 1 -> s = 1
           only A1 applicable -> 100.00, Hoàn thành xuất sắc
      KT   T3 (A1) overdue since 01/02; 2/2 outputs reported on 05/02 but not
           submitted: a = 1, b = c = 0 (not done) -> s = 1000000/3 = 333333 ppm
           unit = 333333 ppm -> 33.33, Không hoàn thành -> head accountable
      VHXH T5 (A1) done on time after 1 failed review: a = 1, b = 0.75, c = 1
           s = 2750000/3 = 916666 ppm -> 91.66, xuất sắc (no unmet task: resubmitted and passed) */
static void test_ranking_in_february(void **state)
{
    cluster_t *c = *state;
    assert_int_equal(scenario_play(c, g_argv[5], NULL, "05/02"), 0);
    cchc_decoded_t *dec = cluster_ranking(c, SCENARIO_WARD);
    assert_non_null(dec);
    const Cchc__Ranking *r = cchc_decoded_env(dec)->ranking;
    assert_int_equal(r->n_entries, 3);
    assert_string_equal(r->entries[0]->unit, "VP");
    assert_string_equal(r->entries[1]->unit, "VHXH");
    assert_string_equal(r->entries[2]->unit, "KT");
    assert_int_equal(r->entries[0]->score_centi, 10000);
    assert_int_equal(r->entries[1]->score_centi, 9166);
    assert_int_equal(r->entries[2]->score_centi, 3333);
    assert_int_equal(r->entries[2]->tier, CCHC__TIER__TIER_NOT_COMPLETED);
    assert_true(r->entries[2]->head_accountable);
    assert_false(r->entries[2]->eligible);
    assert_int_equal(r->entries[2]->overdue, 1);
    assert_int_equal(r->entries[2]->unmet, 1);
    cchc_decoded_destroy(&dec);
}

/*  On 20/03/2026 09:00 every task has come due.
      VP   T1 s = 1; T2 (A2) 2/2 on time s = 1 -> A1 = A2 = 100 % -> 100.00
           tier Hoàn thành xuất sắc, on time 2/2, rank 1
      VHXH T5 (A1, factor 1.0) s = 916666; T6 (A1, factor 2.0) s = 1000000
           A1 = (1000 * 916666 + 2000 * 1000000) / 3000 = 2916666000 / 3000 = 972222 ppm
           A2 has no task: not applicable, weights re-normalise -> 972222 ppm -> 97.22
           xuất sắc, rank 2
      KT   T3 (A1) done late (submitted 10/02 > 31/01), 2/2 outputs: a = 1, b = 1,
           c = 1 - 0.25 = 0.75 -> s = 2750000 / 3 = 916666
           T4 (A2) overdue, 0/1 outputs: s = 0
           unit = (60 * 916666 + 40 * 0) / 100 = 54999960 / 100 = 549999 ppm -> 54.99
           score tier Hoàn thành; on time 0/2; overdue 1; unmet 1 -> rank 3
           not accountable yet (score >= 50 and the year has not ended) */
static void test_ranking_in_march(void **state)
{
    cluster_t *c = *state;
    assert_int_equal(scenario_play(c, g_argv[5], "05/02", NULL), 0);
    cchc_decoded_t *dec = cluster_ranking(c, SCENARIO_WARD);
    assert_non_null(dec);
    const Cchc__Ranking *r = cchc_decoded_env(dec)->ranking;
    assert_int_equal(r->n_entries, 3);
    const Cchc__RankEntry *vp = ranking_entry(r, "VP"), *vh = ranking_entry(r, "VHXH"),
                          *kt = ranking_entry(r, "KT");
    assert_non_null(vp);
    assert_non_null(vh);
    assert_non_null(kt);
    assert_int_equal(vp->rank, 1);
    assert_int_equal(vp->score_centi, 10000);
    assert_int_equal(vp->tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(vp->on_time, 2);
    assert_int_equal(vp->evaluated, 2);
    assert_int_equal(vh->rank, 2);
    assert_int_equal(vh->score_centi, 9722);
    assert_int_equal(vh->tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(kt->rank, 3);
    assert_int_equal(kt->score_centi, 5499);
    assert_int_equal(kt->tier, CCHC__TIER__TIER_COMPLETED);
    assert_int_equal(kt->on_time, 0);
    assert_int_equal(kt->late, 1);
    assert_int_equal(kt->overdue, 1);
    assert_int_equal(kt->unmet, 1);
    assert_false(kt->head_accountable);
    cchc_decoded_destroy(&dec);
}

/*  Alerts decided over the timeline (notify defaults: reminders D-7, D-3,
    D-1, D; overdue at once to the head; +7 days the vice-chairman and the
    head of VHXH; +15 days or a failed verification the Chairman):
      T3 due 31/01: at 25/01 the D-7 point (24/01) has passed, D-3 not yet
         -> one REMINDER level 7 to S_KT (lead) and H_KT (head);
         05/02 overdue 5 days (calendar days after the due date) -> OVERDUE to
         H_KT; 10/02 overdue 10 days -> ESCALATION 1 to PCT and H_VHXH; then
         done -> RESOLVED.
      T4 due 28/02, never done: at 27/02 D-1 reminder to S_KT and H_KT;
         20/03 overdue 20 days -> OVERDUE H_KT, ESCALATION 1 PCT + H_VHXH,
         ESCALATION 2 CT, each exactly once.
      T5 failed verification 20/01 -> ESCALATION 2 to CT at once.
      T6 due 28/02: at 27/02 D-1 reminder; lead official is the head H_VHXH,
         so exactly one message.
      VP's tasks were done before any reminder point: no alert at all. */
static void test_alerts(void **state)
{
    cluster_t *c = *state;
    cchc_decoded_t *dec = cluster_alerts(c, SCENARIO_WARD);
    assert_non_null(dec);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    const Cchc__AlertKind REM = CCHC__ALERT_KIND__ALERT_REMINDER, OVD = CCHC__ALERT_KIND__ALERT_OVERDUE,
                          ESC = CCHC__ALERT_KIND__ALERT_ESCALATION, RES = CCHC__ALERT_KIND__ALERT_RESOLVED;
    assert_int_equal(count_alerts(l, "T3", REM, 7, "S_KT"), 1);
    assert_int_equal(count_alerts(l, "T3", REM, 7, "H_KT"), 1);
    assert_int_equal(count_alerts(l, "T3", REM, -1, NULL), 2);
    assert_int_equal(count_alerts(l, "T3", OVD, -1, NULL), 1);
    assert_int_equal(count_alerts(l, "T3", OVD, 0, "H_KT"), 1);
    assert_int_equal(count_alerts(l, "T3", ESC, 1, "PCT"), 1);
    assert_int_equal(count_alerts(l, "T3", ESC, 1, "H_VHXH"), 1);
    assert_int_equal(count_alerts(l, "T3", ESC, 2, NULL), 0);
    assert_int_equal(count_alerts(l, "T3", RES, -1, "H_KT"), 1);

    assert_int_equal(count_alerts(l, "T4", REM, 1, "S_KT"), 1);
    assert_int_equal(count_alerts(l, "T4", REM, 1, "H_KT"), 1);
    assert_int_equal(count_alerts(l, "T4", OVD, -1, NULL), 1);
    assert_int_equal(count_alerts(l, "T4", OVD, 0, "H_KT"), 1);
    assert_int_equal(count_alerts(l, "T4", ESC, 1, "PCT"), 1);
    assert_int_equal(count_alerts(l, "T4", ESC, 1, "H_VHXH"), 1);
    assert_int_equal(count_alerts(l, "T4", ESC, 2, "CT"), 1);
    assert_int_equal(count_alerts(l, "T4", ESC, -1, NULL), 3);

    assert_int_equal(count_alerts(l, "T5", ESC, 2, "CT"), 1);
    assert_int_equal(count_alerts(l, "T5", OVD, -1, NULL), 0);
    assert_int_equal(count_alerts(l, "T6", REM, -1, NULL), 1);
    assert_int_equal(count_alerts(l, "T6", REM, 1, "H_VHXH"), 1);
    assert_int_equal(count_alerts(l, "T1", REM, -1, NULL) + count_alerts(l, "T2", REM, -1, NULL), 0);

    //  Every alert names its person and says the due date as dd/mm/yyyy.
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        assert_non_null(a->text);
        assert_non_null(a->person_name);
        if (!strcmp(a->task, "T4") && a->kind == OVD)
            assert_non_null(strstr(a->text, "28/02/2026"));
    }
    cchc_decoded_destroy(&dec);
}

//  The CLI shows the same ranking to a person, in Vietnamese.
static void test_cli_ranking(void **state)
{
    cluster_t *c = *state;
    char out[16384];
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward %s ranking", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "Văn phòng HĐND và UBND"));
    assert_non_null(strstr(out, "100,00"));
    assert_non_null(strstr(out, "97,22"));
    assert_non_null(strstr(out, "54,99"));
    assert_non_null(strstr(out, "Hoàn thành xuất sắc"));
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward %s explain KT", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "T4"));
    assert_non_null(strstr(out, "Chưa hoàn thành quá hạn"));
}

int main(int argc, char **argv)
{
    g_argv = argv;
    harness_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranking_in_february),
        cmocka_unit_test(test_ranking_in_march),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_cli_ranking),
    };
    return cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
}
