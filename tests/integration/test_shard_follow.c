/*  test_shard_follow.c - one scoring and one notify following two intake
    shards (issue 4: consumption from several shards).

    Shard A's intake owns the small ward T1, shard B's owns T2 (the same
    ward under another code). Each shard also has a scoring and a notify of
    its own following only it: the reference. Cluster M runs ONE scoring and
    ONE notify following both (intake = A,B). The test checks that
      - a clock advanced on A makes A's tasks overdue, not B's (each ward is
        judged at its own shard's log time);
      - each ward's ranking (year, months) in M equals, byte for byte, the
        ranking of the scoring that follows only its shard, and the alerts
        M's notify decides for a ward are those its shard's notify decides;
      - after kill -9 of M's scoring (twice) and of M's notify while both
        shards stream events, nothing is lost and nothing applied twice:
        M's output log is gapless, each unit's records chain, and each
        ward's records are exactly those of its shard's own scoring;
      - a scoring rebuilt from zero equals the live one per ward.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "harness.h"
#include "outlog.h"

static int g_argc;
static char **g_argv;

typedef struct {
    cluster_t a, b; //  the shards: intake, and a scoring and notify following only it
    cluster_t m;    //  one scoring and one notify following both
} shards_t;

// ---------------------------------------------------------------------------
//  Helpers

static uint64_t ranking_seq(cluster_t *c, const char *ward)
{
    cchc_decoded_t *r = cluster_ranking(c, ward);
    uint64_t seq = r ? cchc_decoded_env(r)->ranking->last_seq : 0;
    cchc_decoded_destroy(&r);
    return seq;
}

static uint64_t alerts_seq(cluster_t *c, const char *ward)
{
    cchc_decoded_t *r = cluster_alerts(c, ward);
    uint64_t seq = r ? cchc_decoded_env(r)->alert_list->last_seq : 0;
    cchc_decoded_destroy(&r);
    return seq;
}

//  Wait until the scoring and notify of c report, for ward, the head of the
//  shard that owns it.
static void wait_ward(cluster_t *c, const char *ward, cluster_t *shard)
{
    uint64_t head = cluster_head(shard);
    assert_true(head > 0);
    int64_t deadline = harness_mono_ms() + 30000;
    while (ranking_seq(c, ward) < head || alerts_seq(c, ward) < head) {
        if (harness_mono_ms() > deadline) {
            cluster_dump_logs(c);
            fail_msg("%s not caught up with seq %llu", ward, (unsigned long long)head);
        }
        harness_sleep_ms(20);
    }
}

static void wait_all(shards_t *s)
{
    wait_ward(&s->a, "T1", &s->a);
    wait_ward(&s->b, "T2", &s->b);
    wait_ward(&s->m, "T1", &s->a);
    wait_ward(&s->m, "T2", &s->b);
}

//  The packed reply of a query to a scoring, request id cleared.
static uint8_t *ask(cluster_t *c, Cchc__Envelope *req, size_t *len)
{
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(c, SVC_SCORING, req, &reply), 0);
    Cchc__Envelope env = *cchc_decoded_env(reply);
    assert_int_equal(env.body_case, CCHC__ENVELOPE__BODY_RANKING);
    env.has_request_id = false;
    env.request_id = 0;
    *len = cchc__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(*len + 1);
    assert_non_null(buf);
    cchc__envelope__pack(&env, buf);
    cchc_decoded_destroy(&reply);
    return buf;
}

//  The ward's year ranking, and its months 1..months, answered alike by x and y.
static void same_rankings(cluster_t *x, cluster_t *y, const char *ward, int months)
{
    for (int month = 0; month <= months; month++) {
        Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
        q.ward = (char *)ward;
        if (month) {
            q.has_period = q.has_period_index = true;
            q.period = CCHC__PERIOD_KIND__PERIOD_MONTH;
            q.period_index = month;
        }
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
        env.ranking_query = &q;
        size_t lx, ly;
        uint8_t *bx = ask(x, &env, &lx), *by = ask(y, &env, &ly);
        if (lx != ly || memcmp(bx, by, lx) != 0)
            fail_msg("ward %s month %d: rankings differ (%zu vs %zu bytes)", ward, month, lx, ly);
        free(bx);
        free(by);
    }
}

//  Units of ward with overdue tasks in c's ranking.
static unsigned overdue_units(cluster_t *c, const char *ward)
{
    cchc_decoded_t *r = cluster_ranking(c, ward);
    assert_non_null(r);
    const Cchc__Ranking *rk = cchc_decoded_env(r)->ranking;
    unsigned n = 0;
    for (size_t i = 0; i < rk->n_entries; i++)
        n += rk->entries[i]->overdue > 0;
    cchc_decoded_destroy(&r);
    return n;
}

static int line_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

//  The alerts of a ward as sorted lines of what was decided (not the row id
//  or the delivery status, which depend on the outbox and the channel).
static char *alert_lines(cluster_t *c, const char *ward, size_t *count, size_t *overdue)
{
    cchc_decoded_t *r = cluster_alerts(c, ward);
    assert_non_null(r);
    const Cchc__AlertList *l = cchc_decoded_env(r)->alert_list;
    char **lines = calloc(l->n_alerts + 1, sizeof(*lines));
    assert_non_null(lines);
    size_t total = 1;
    *overdue = 0;
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        *overdue += a->kind == CCHC__ALERT_KIND__ALERT_OVERDUE;
        char buf[2048];
        snprintf(buf, sizeof(buf), "%s|%s|%s|%s|%d|%d|%d|%d|%lld|%llu|%s\n", a->ward, a->task, a->unit,
                 a->person, (int)a->kind, a->level, a->due_date, a->days_overdue, (long long)a->decided_ms,
                 (unsigned long long)a->cause_seq, a->text);
        lines[i] = strdup(buf);
        total += strlen(buf);
    }
    qsort(lines, l->n_alerts, sizeof(*lines), line_order);
    char *out = calloc(1, total);
    assert_non_null(out);
    for (size_t i = 0; i < l->n_alerts; i++) {
        strcat(out, lines[i]);
        free(lines[i]);
    }
    free(lines);
    *count = l->n_alerts;
    cchc_decoded_destroy(&r);
    return out;
}

static size_t same_alerts(cluster_t *x, cluster_t *y, const char *ward, size_t *overdue)
{
    size_t nx, ny, ox, oy;
    char *ax = alert_lines(x, ward, &nx, &ox), *ay = alert_lines(y, ward, &ny, &oy);
    if (nx != ny || strcmp(ax, ay) != 0) {
        fprintf(stderr, "--- following both:\n%s--- following its shard:\n%s", ax, ay);
        fail_msg("ward %s: %zu alerts following both shards, %zu following its shard", ward, nx, ny);
    }
    free(ax);
    free(ay);
    *overdue = ox;
    return nx;
}

// ---------------------------------------------------------------------------
//  Output logs

//  The records of one ward, packed one after another with their output seq
//  cleared (the seq is scoring-wide; the order within a ward is not).
static uint8_t *ward_records(const outlog_t *o, const char *ward, size_t *len, size_t *count)
{
    uint8_t *out = malloc(1);
    *len = *count = 0;
    for (size_t i = 0; i < o->count; i++) {
        if (strcmp(o->items[i]->ward, ward) != 0)
            continue;
        Cchc__ScoreChange r = *o->items[i];
        r.has_seq = false;
        r.seq = 0;
        size_t n = cchc__score_change__get_packed_size(&r);
        out = realloc(out, *len + n + 1);
        cchc__score_change__pack(&r, out + *len);
        *len += n;
        (*count)++;
    }
    return out;
}

static void same_ward_records(const outlog_t *x, const outlog_t *y, const char *ward, const char *what)
{
    size_t lx, ly, nx, ny;
    uint8_t *bx = ward_records(x, ward, &lx, &nx), *by = ward_records(y, ward, &ly, &ny);
    if (nx != ny || lx != ly || memcmp(bx, by, lx) != 0)
        fail_msg("%s: ward %s output records differ (%zu vs %zu records)", what, ward, nx, ny);
    assert_true(nx > 0);
    free(bx);
    free(by);
}

//  Gapless from 1, each unit's records chained, the last one of each unit
//  equal to c's ranking of its ward (outlog.h).
static void assert_outlog_consistent(cluster_t *c, const outlog_t *o)
{
    const char *const wards[] = {"T1", "T2"};
    outlog_assert_chained(c, o, wards, 2);
}

// ---------------------------------------------------------------------------
//  Events

static void penalty(cluster_t *shard, const char *ward, const char *unit, int centi)
{
    Cchc__Adjustment a = CCHC__ADJUSTMENT__INIT;
    a.unit = (char *)unit;
    a.has_bonus_centi = a.has_penalty_centi = true;
    a.penalty_centi = centi;
    a.reason = "Chậm báo cáo";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)ward;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
    ev.adjustment = &a;
    assert_true(cluster_submit(shard, &ev, NULL) > 0);
}

//  Events on both shards, interleaved.
static void stream(shards_t *s, int from, int to)
{
    static const char *units[] = {"VP", "KT", "VHXH"};
    for (int i = from; i < to; i++) {
        penalty(&s->a, "T1", units[i % 3], 1 + i % 7);
        penalty(&s->b, "T2", units[(i + 1) % 3], 1 + i % 5);
    }
}

// ---------------------------------------------------------------------------

static int setup(void **state)
{
    static shards_t s;
    char out[8192], cmd[2400], t2[600];
    if (cluster_init(&s.a, g_argc, g_argv) != 0 || cluster_init(&s.b, g_argc, g_argv) != 0 ||
        cluster_init(&s.m, g_argc, g_argv) != 0)
        return -1;
    const cluster_t *both[] = {&s.a, &s.b};
    if (cluster_follow(&s.m, both, 2) != 0)
        return -1;
    //  T2: the small ward under another code.
    snprintf(t2, sizeof(t2), "%s/t2", s.m.dir);
    snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s' && sed -i 's/^T1,/T2,/' '%s/ward.csv'", g_argv[5], t2, t2);
    if (system(cmd) != 0)
        return -1;
    const char *a_args[] = {"--wards=T1", NULL}, *b_args[] = {"--wards=T2", NULL};
    if (cluster_start(&s.a, SVC_INTAKE, a_args) != 0 || cluster_start(&s.b, SVC_INTAKE, b_args) != 0 ||
        cluster_cli(&s.a, out, sizeof(out), "import '%s'", g_argv[5]) != 0 ||
        cluster_cli(&s.b, out, sizeof(out), "import '%s'", t2) != 0 ||
        cluster_start(&s.a, SVC_SCORING, NULL) != 0 || cluster_start(&s.a, SVC_NOTIFY, NULL) != 0 ||
        cluster_start(&s.b, SVC_SCORING, NULL) != 0 || cluster_start(&s.b, SVC_NOTIFY, NULL) != 0 ||
        cluster_start(&s.m, SVC_SCORING, NULL) != 0 || cluster_start(&s.m, SVC_NOTIFY, NULL) != 0) {
        fprintf(stderr, "%s\n", out);
        cluster_dump_logs(&s.a);
        cluster_dump_logs(&s.b);
        cluster_dump_logs(&s.m);
        return -1;
    }
    *state = &s;
    return 0;
}

static int teardown(void **state)
{
    shards_t *s = *state;
    int rc = cluster_stop_all(&s->m) | cluster_stop_all(&s->a) | cluster_stop_all(&s->b);
    cluster_destroy(&s->m);
    cluster_destroy(&s->a);
    cluster_destroy(&s->b);
    return rc;
}

//  A clock advanced on shard A makes A's tasks overdue, not B's.
static void test_clock_moves_its_shard_only(void **state)
{
    shards_t *s = *state;
    wait_all(s);
    assert_int_equal(overdue_units(&s->m, "T1"), 0);
    assert_int_equal(cluster_advance(&s->a, "05/02/2026 09:00"), 0);
    wait_all(s);
    //  T1, T3 and T5 were due 31/01 on A: three units with overdue tasks.
    assert_int_equal(overdue_units(&s->m, "T1"), 3);
    assert_int_equal(overdue_units(&s->m, "T2"), 0);
    same_rankings(&s->m, &s->a, "T1", 2);
    same_rankings(&s->m, &s->b, "T2", 2);
    size_t overdue;
    assert_true(same_alerts(&s->m, &s->a, "T1", &overdue) > 0);
    assert_true(overdue > 0); //  overdue alerts for A's tasks
    same_alerts(&s->m, &s->b, "T2", &overdue);
    assert_int_equal(overdue, 0); //  none for B's: its clock stands at 01/01

    //  The province view: each ward at its own shard's time, the whole as of
    //  the earlier (B's), not shard A's (the first source's).
    Cchc__ProvinceQuery q = CCHC__PROVINCE_QUERY__INIT;
    q.province = (char *)"";
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_PROVINCE_QUERY;
    env.province_query = &q;
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(&s->m, SVC_SCORING, &env, &reply), 0);
    const Cchc__ProvinceRanking *p = cchc_decoded_env(reply)->province_ranking;
    assert_non_null(p);
    assert_int_equal(p->n_entries, 2);
    int64_t a_ms = -1, b_ms = -1;
    for (size_t i = 0; i < p->n_entries; i++) {
        assert_true(p->entries[i]->has_as_of_ms);
        if (strcmp(p->entries[i]->ward, "T1") == 0)
            a_ms = p->entries[i]->as_of_ms;
        else if (strcmp(p->entries[i]->ward, "T2") == 0)
            b_ms = p->entries[i]->as_of_ms;
    }
    assert_true(a_ms >= cchc_date_start_ms(20260205)); //  A advanced to 05/02 09:00
    assert_true(b_ms > 0 && b_ms < cchc_date_start_ms(20260102));
    assert_int_equal(p->as_of_ms, b_ms);
    cchc_decoded_destroy(&reply);
}

//  kill -9 while both shards stream; then per ward equal to the shard's own
//  scoring and notify, and to a rebuild from zero.
static void test_kill9_and_rebuild(void **state)
{
    shards_t *s = *state;
    stream(s, 0, 40);
    cluster_kill(&s->m, SVC_SCORING);
    stream(s, 40, 80);
    assert_int_equal(cluster_advance(&s->b, "03/02/2026 09:00"), 0);
    assert_int_equal(cluster_start(&s->m, SVC_SCORING, NULL), 0);
    stream(s, 80, 120);
    cluster_kill(&s->m, SVC_NOTIFY);
    cluster_kill(&s->m, SVC_SCORING);
    assert_int_equal(cluster_advance(&s->a, "02/03/2026 09:00"), 0);
    stream(s, 120, 150);
    assert_int_equal(cluster_start(&s->m, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_start(&s->m, SVC_NOTIFY, NULL), 0);
    stream(s, 150, 180);
    assert_int_equal(cluster_advance(&s->b, "10/03/2026 09:00"), 0);
    wait_all(s);

    same_rankings(&s->m, &s->a, "T1", 3);
    same_rankings(&s->m, &s->b, "T2", 3);
    size_t overdue;
    assert_true(same_alerts(&s->m, &s->a, "T1", &overdue) > 0);
    assert_true(same_alerts(&s->m, &s->b, "T2", &overdue) > 0);

    outlog_t live, only_a, only_b;
    outlog_fetch(&s->m, 500, &live);
    outlog_fetch(&s->a, 500, &only_a);
    outlog_fetch(&s->b, 500, &only_b);
    assert_outlog_consistent(&s->m, &live);
    same_ward_records(&live, &only_a, "T1", "following both vs shard A only");
    same_ward_records(&live, &only_b, "T2", "following both vs shard B only");

    //  A scoring rebuilt from zero, following both.
    assert_int_equal(cluster_stop(&s->m, SVC_SCORING), 0);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mv '%s/scoring' '%s/scoring.live'", s->m.dir, s->m.dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cluster_start(&s->m, SVC_SCORING, NULL), 0);
    wait_all(s);
    same_rankings(&s->m, &s->a, "T1", 3);
    same_rankings(&s->m, &s->b, "T2", 3);
    outlog_t fresh;
    outlog_fetch(&s->m, 500, &fresh);
    assert_outlog_consistent(&s->m, &fresh);
    assert_int_equal(fresh.count, live.count);
    same_ward_records(&fresh, &live, "T1", "rebuilt vs live");
    same_ward_records(&fresh, &live, "T2", "rebuilt vs live");
    outlog_free(&fresh);
    outlog_free(&live);
    outlog_free(&only_a);
    outlog_free(&only_b);
}

//  A database following two shards refuses a list that drops one.
static void test_unlisted_shard_refused(void **state)
{
    shards_t *s = *state;
    assert_int_equal(cluster_stop(&s->m, SVC_SCORING), 0);
    const cluster_t *only_a[] = {&s->a}, *both[] = {&s->a, &s->b};
    assert_int_equal(cluster_follow(&s->m, only_a, 1), 0);
    assert_int_not_equal(cluster_start(&s->m, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_follow(&s->m, both, 2), 0);
    assert_int_equal(cluster_start(&s->m, SVC_SCORING, NULL), 0);
    wait_all(s);
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
        cmocka_unit_test(test_clock_moves_its_shard_only),
        cmocka_unit_test(test_kill9_and_rebuild),
        cmocka_unit_test(test_unlisted_shard_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
