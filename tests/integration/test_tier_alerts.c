/*  test_tier_alerts.c - notify's tier-drop and rank-drop alerts, decided
    from scoring's output log (docs/ALERTS.md, "Tier and rank drops").

    intake + scoring + notify, notify following scoring's output log
    (--scoring, --scoring_pub) with a small credit so that its batches are
    small. The oracle is written here from the rules of docs/ALERTS.md and
    applied to the output log as scoring serves it: a record whose tier got
    worse (both rated) is a tier drop, one whose rank fell (ranked and
    rated before and after) a rank drop, each to the unit's head, keyed by the record's seq.

    (1) The small ward's quarter (scenario.h) decides no drop (computed
        by hand below); two penalties on 20/03 then make VP drop from
        xuất sắc to tốt and from rank 1 to 2, and KT from hoàn thành to
        không hoàn thành: exactly those three alerts, with the words of the
        template, equal to the oracle's, and listed by the CLI.
    (2) 240 penalties (VP and VHXH overtaking each other) flow in while notify is killed with kill -9 three
        times mid-stream: after the restart the outbox holds exactly the
        oracle's drop alerts (none lost, none twice) and the stored
        position of scoring's log is its head + 1.
    (3) A notify rebuilt from zero (empty data directory), started while
        intake is stopped so that scoring's records arrive before the
        events that caused them, decides the same drop alerts, to the same
        people, with the same words.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "outlog.h"
#include "scenario.h"

static int g_argc;
static char **g_argv;
static char g_notify_args[3][160];
static const char *g_notify_argv[4];

static const Cchc__AlertKind TIER = CCHC__ALERT_KIND__ALERT_TIER_DROP,
                             RANK = CCHC__ALERT_KIND__ALERT_RANK_DROP;

// ---------------------------------------------------------------------------
//  Helpers

//  Scoring's whole output log from seq 1 (outlog.h), and its head.
static void outlog_read(cluster_t *c, outlog_t *o)
{
    outlog_fetch(c, 500, o);
    assert_int_equal(o->count, o->head);
}

//  Wait until notify has folded intake's log and committed the alerts of
//  every record of scoring's output log (AlertList.scoring_seq).
static void wait_all(cluster_t *c)
{
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 20000), 0);
    int64_t deadline = harness_mono_ms() + 20000;
    while (harness_mono_ms() < deadline) {
        outlog_t o;
        outlog_read(c, &o);
        uint64_t head = o.head;
        outlog_free(&o);
        cchc_decoded_t *dec = cluster_alerts(c, SCENARIO_WARD);
        assert_non_null(dec);
        const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
        bool done = l->has_scoring_seq && l->scoring_seq >= head;
        cchc_decoded_destroy(&dec);
        if (done)
            return;
        harness_sleep_ms(50);
    }
    cluster_dump_logs(c);
    fail_msg("notify did not catch up with scoring's output log");
}

static const char *head_of(const char *unit)
{
    if (!strcmp(unit, "VP"))
        return "H_VP";
    if (!strcmp(unit, "KT"))
        return "H_KT";
    if (!strcmp(unit, "VHXH"))
        return "H_VHXH";
    fail_msg("unknown unit %s", unit);
    return NULL;
}

//  Sorted keys, one per line.
static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join_sorted(char **lines, size_t n)
{
    qsort(lines, n, sizeof(*lines), line_cmp);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(lines[i]) + 1;
    char *out = calloc(1, len);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
        free(lines[i]);
    }
    free(lines);
    return out;
}

static char *line_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *line_new(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char *s = strdup(buf);
    assert_non_null(s);
    return s;
}

//  The oracle: the drop alerts the output log calls for, as sorted keys.
static char *expected_keys(const outlog_t *o, size_t *n_out)
{
    char **lines = calloc(2 * o->count + 1, sizeof(*lines));
    assert_non_null(lines);
    size_t n = 0;
    for (size_t i = 0; i < o->count; i++) {
        const Cchc__ScoreChange *r = o->items[i];
        bool tier = r->old_tier != CCHC__TIER__TIER_UNRATED && r->new_tier != CCHC__TIER__TIER_UNRATED &&
                    r->new_tier > r->old_tier;
        bool rank = r->old_rank > 0 && r->new_rank > r->old_rank && r->old_tier != CCHC__TIER__TIER_UNRATED &&
                    r->new_tier != CCHC__TIER__TIER_UNRATED;
        if (tier)
            lines[n++] =
                line_new("%s//%s/%d/%llu", r->ward, head_of(r->unit), (int)TIER, (unsigned long long)r->seq);
        if (rank)
            lines[n++] =
                line_new("%s//%s/%d/%llu", r->ward, head_of(r->unit), (int)RANK, (unsigned long long)r->seq);
    }
    *n_out = n;
    return join_sorted(lines, n);
}

//  notify's drop alerts as sorted keys (with_text: and recipient and words).
static char *decided_keys(cluster_t *c, bool with_text, size_t *n_out)
{
    cchc_decoded_t *dec = cluster_alerts(c, SCENARIO_WARD);
    assert_non_null(dec);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    char **lines = calloc(l->n_alerts + 1, sizeof(*lines));
    assert_non_null(lines);
    size_t n = 0;
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        if (a->kind != TIER && a->kind != RANK)
            continue;
        assert_string_equal(a->task, "");
        if (with_text)
            lines[n++] = line_new("%s/%s/%s/%d/%d %s %s %lld %s", a->ward, a->task, a->person, (int)a->kind,
                                  a->level, a->unit, a->person_name, (long long)a->decided_ms, a->text);
        else
            lines[n++] = line_new("%s/%s/%s/%d/%d", a->ward, a->task, a->person, (int)a->kind, a->level);
    }
    cchc_decoded_destroy(&dec);
    *n_out = n;
    return join_sorted(lines, n);
}

static uint64_t ev_penalty(cluster_t *c, const char *unit, int centi)
{
    Cchc__Adjustment a = CCHC__ADJUSTMENT__INIT;
    a.unit = (char *)unit;
    a.has_bonus_centi = a.has_penalty_centi = true;
    a.penalty_centi = centi;
    a.reason = "Chậm báo cáo";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = SCENARIO_WARD;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
    ev.adjustment = &a;
    return cluster_submit(c, &ev, NULL);
}

//  Penalties that make VP and VHXH overtake each other at every step
//  (after test 1: VP 85,00, VHXH 97,22): VHXH -13,00 falls behind VP by
//  0,78; then each -1,00 of the one ahead puts it behind by 0,22 or 0,78,
//  a rank drop each time, and tier drops at 70 and 50 on the way down.
static void penalties(cluster_t *c, int from, int to)
{
    for (int i = from; i < to; i++)
        assert_true(ev_penalty(c, i % 2 ? "VP" : "VHXH", i == 0 ? 1300 : 100) > 0);
}

// ---------------------------------------------------------------------------
//  Set-up

static int setup(void **state)
{
    static cluster_t c;
    if (cluster_init(&c, g_argc, g_argv) != 0)
        return -1;
    snprintf(g_notify_args[0], sizeof(g_notify_args[0]), "--scoring=%s", c.scoring_ep);
    snprintf(g_notify_args[1], sizeof(g_notify_args[1]), "--scoring_pub=%s", c.scoring_pub);
    snprintf(g_notify_args[2], sizeof(g_notify_args[2]), "--credit=7");
    for (int i = 0; i < 3; i++)
        g_notify_argv[i] = g_notify_args[i];
    g_notify_argv[3] = NULL;
    if (cluster_start(&c, SVC_INTAKE, NULL) != 0 || cluster_start(&c, SVC_SCORING, NULL) != 0 ||
        cluster_start(&c, SVC_NOTIFY, g_notify_argv) != 0) {
        cluster_dump_logs(&c);
        cluster_destroy(&c);
        return -1;
    }
    *state = &c;
    return 0;
}

// ---------------------------------------------------------------------------
//  Tests

//  The alert of kind for output record seq (fails when there is none).
static const Cchc__Alert *alert_of(const Cchc__AlertList *l, Cchc__AlertKind kind, uint64_t seq)
{
    for (size_t i = 0; i < l->n_alerts; i++)
        if (l->alerts[i]->kind == kind && (uint64_t)l->alerts[i]->level == seq)
            return l->alerts[i];
    fail_msg("no alert kind=%d for record %llu", (int)kind, (unsigned long long)seq);
    return NULL;
}

/*  The quarter itself has no drop: KT rises from không hoàn thành (tier 4)
    to hoàn thành (3) on 10/02 and T4 overdue on 20/03 costs it points, not
    its tier (54,99 is still hoàn thành); the ranks that fall are those of
    unrated units ordered by code (import, 10/01, 25/01), which are not
    drops. The last records (15) leave VP 100,00 xuất sắc rank 1, VHXH
    97,22 xuất sắc rank 2, KT 54,99 hoàn thành rank 3. Then, on 20/03:
      penalty VP 15,00 -> 85,00 tốt, rank 2: records 16 (VP) and 17 (VHXH
        rank 2 -> 1): VP's tier drop and rank drop, to H_VP
      penalty KT 10,00 -> 44,99 không hoàn thành: record 18, KT's tier
        drop, to H_KT */
static void test_quarter_exact(void **state)
{
    cluster_t *c = *state;
    assert_int_equal(scenario_play(c, g_argv[5], NULL, NULL), 0);
    wait_all(c);
    size_t n_got;
    char *got = decided_keys(c, false, &n_got);
    assert_string_equal(got, "");
    free(got);
    assert_true(ev_penalty(c, "VP", 1500) > 0);
    assert_true(ev_penalty(c, "KT", 1000) > 0);
    wait_all(c);

    outlog_t o;
    outlog_read(c, &o);
    assert_int_equal(o.count, 18);
    size_t n_want;
    char *want = expected_keys(&o, &n_want);
    got = decided_keys(c, false, &n_got);
    assert_string_equal(want, "T1//H_KT/4/18\nT1//H_VP/4/16\nT1//H_VP/5/16\n");
    assert_string_equal(got, want);
    assert_int_equal(n_got, 3);

    cchc_decoded_t *dec = cluster_alerts(c, SCENARIO_WARD);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    const Cchc__Alert *a = alert_of(l, TIER, 16);
    assert_string_equal(a->person, "H_VP");
    assert_string_equal(a->unit, "VP");
    assert_int_equal(a->cause_seq, o.items[15]->input_seq);
    assert_int_equal(a->decided_ms, o.items[15]->log_time_ms);
    assert_string_equal(
        a->text, "Tụt xếp loại: Văn phòng HĐND và UBND giảm từ «Hoàn thành xuất sắc nhiệm vụ» xuống «Hoàn "
                 "thành tốt nhiệm vụ» ngày 20/03/2026; điểm 100,00 → 85,00, hạng 1 → 2. Đề nghị đồng chí "
                 "Trần Thị Vân, Chánh Văn phòng, rà soát tiến độ, chất lượng các nhiệm vụ của đơn vị, chỉ "
                 "đạo khắc phục; xem chi tiết bằng lệnh cchc --ward T1 explain VP.");
    assert_string_equal(
        alert_of(l, RANK, 16)->text,
        "Tụt hạng: Văn phòng HĐND và UBND giảm từ hạng 1 xuống hạng 2 (1 bậc) trong bảng xếp "
        "hạng cải cách hành chính của phường ngày 20/03/2026; điểm 100,00 → 85,00, xếp loại «Hoàn "
        "thành tốt nhiệm vụ». Đề nghị đồng chí Trần Thị Vân, Chánh Văn phòng, rà soát tiến độ, "
        "chất lượng các nhiệm vụ của đơn vị, chỉ đạo khắc phục; xem chi tiết bằng lệnh cchc --ward "
        "T1 explain VP.");
    a = alert_of(l, TIER, 18);
    assert_string_equal(a->person, "H_KT");
    assert_non_null(strstr(a->text,
                           "Tụt xếp loại: Phòng Kinh tế, Hạ tầng và Đô thị giảm từ «Hoàn thành nhiệm "
                           "vụ» xuống «Không hoàn thành nhiệm vụ» ngày 20/03/2026; điểm 54,99 → "
                           "44,99, hạng 3 → 3."));
    cchc_decoded_destroy(&dec);

    //  the CLI shows the new kinds
    char out[65536];
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward T1 alerts --limit 0"), 0);
    assert_non_null(strstr(out, "Tụt xếp loại"));
    assert_non_null(strstr(out, "Tụt hạng"));
    assert_non_null(strstr(out, "đơn vị KT"));
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward T1 alerts --limit 0 --json"), 0);
    assert_non_null(strstr(out, "\"kind_name\":\"tier_drop\""));
    assert_non_null(strstr(out, "\"kind_name\":\"rank_drop\""));
    free(want);
    free(got);
    outlog_free(&o);
}

static void test_kill9_mid_stream(void **state)
{
    cluster_t *c = *state;
    penalties(c, 0, 60);
    cluster_kill(c, SVC_NOTIFY);
    penalties(c, 60, 120);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, g_notify_argv), 0);
    penalties(c, 120, 180);
    cluster_kill(c, SVC_NOTIFY); //  while it catches up, 7 records a batch
    assert_int_equal(cluster_start(c, SVC_NOTIFY, g_notify_argv), 0);
    harness_sleep_ms(150);
    cluster_kill(c, SVC_NOTIFY);
    penalties(c, 180, 240);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, g_notify_argv), 0);
    wait_all(c);

    outlog_t o;
    outlog_read(c, &o);
    assert_true(o.count > 150);
    size_t n_want, n_got;
    char *want = expected_keys(&o, &n_want);
    char *got = decided_keys(c, false, &n_got);
    fprintf(stderr, "n_want=%zu records=%zu\n", n_want, o.count);
    assert_true(n_want > 60);
    assert_string_equal(got, want);
    assert_int_equal(n_got, n_want);

    //  the stored position is the head + 1, committed
    char path[512];
    snprintf(path, sizeof(path), "%s/notify/notify.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT next_seq FROM stream_position WHERE stream = 'scoring'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), (sqlite3_int64)o.head + 1);
    sqlite3_finalize(st);
    //  one row per key (the UNIQUE key would refuse a second): count them all
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox WHERE kind IN (4, 5)", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), (sqlite3_int64)n_want);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(want);
    free(got);
    outlog_free(&o);
}

static void test_rebuild_from_zero(void **state)
{
    cluster_t *c = *state;
    size_t n_live, n_zero;
    char *live = decided_keys(c, true, &n_live);
    assert_true(n_live > 60);
    assert_int_equal(cluster_stop(c, SVC_NOTIFY), 0);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mv '%s/notify' '%s/notify.live'", c->dir, c->dir);
    assert_int_equal(system(cmd), 0);
    //  With intake stopped, the fresh notify gets scoring's whole output
    //  log before any event: it must hold the records until its model has
    //  folded each one's cause (deciding them now would find no ward).
    assert_int_equal(cluster_stop(c, SVC_INTAKE), 0);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, g_notify_argv), 0);
    harness_sleep_ms(1500);
    assert_int_equal(cluster_start(c, SVC_INTAKE, NULL), 0);
    wait_all(c);
    char *zero = decided_keys(c, true, &n_zero);
    assert_int_equal(n_zero, n_live);
    assert_string_equal(zero, live);
    free(live);
    free(zero);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    if (argc < 6) {
        fprintf(stderr, "usage: %s INTAKE SCORING NOTIFY CLI DATA_DIR\n", argv[0]);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quarter_exact),
        cmocka_unit_test(test_kill9_mid_stream),
        cmocka_unit_test(test_rebuild_from_zero),
    };
    return cmocka_run_group_tests(tests, setup, harness_group_teardown);
}
