/*  test_scoring_replicas.c - several scoring instances follow the same
    intake and serve queries; they agree (docs/SCORING.md, "Replicas").

    Cluster A runs intake, scoring and notify; replica B is a second
    cchc-scoring with its own data directory and endpoints following A's
    intake. The small ward's scenario plays while B is killed with kill -9
    once and restarted, and a third replica C starts only at the end, from
    an empty database. Then all three answer the same: the year ranking, the
    January, February and first-quarter rankings, every unit's explanation
    and history, byte for byte; and their output logs (table score_change)
    hold the same records.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "scenario.h"

static int g_argc;
static char **g_argv;

//  A replica: a cluster whose only process is a scoring following A's intake.
static void replica_start(cluster_t *r, const cluster_t *a)
{
    assert_int_equal(cluster_init(r, g_argc, g_argv), 0);
    snprintf(r->intake_ep, sizeof(r->intake_ep), "%s", a->intake_ep);
    snprintf(r->intake_pub, sizeof(r->intake_pub), "%s", a->intake_pub);
    assert_int_equal(cluster_start(r, SVC_SCORING, NULL), 0);
}

//  The packed reply of a query to one scoring, with request ids cleared.
static uint8_t *ask(cluster_t *c, Cchc__Envelope *req, size_t *len)
{
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(c, SVC_SCORING, req, &reply), 0);
    Cchc__Envelope env = *cchc_decoded_env(reply);
    env.has_request_id = false;
    env.request_id = 0;
    *len = cchc__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(*len + 1);
    assert_non_null(buf);
    cchc__envelope__pack(&env, buf);
    cchc_decoded_destroy(&reply);
    return buf;
}

static uint64_t last_seq_of(cluster_t *c)
{
    cchc_decoded_t *r = cluster_ranking(c, SCENARIO_WARD);
    uint64_t seq = r && cchc_decoded_env(r)->body_case == CCHC__ENVELOPE__BODY_RANKING
                       ? cchc_decoded_env(r)->ranking->last_seq
                       : 0;
    cchc_decoded_destroy(&r);
    return seq;
}

static void wait_replica(cluster_t *r, uint64_t head)
{
    int64_t deadline = harness_mono_ms() + 20000;
    while (last_seq_of(r) < head) {
        if (harness_mono_ms() > deadline) {
            cluster_dump_logs(r);
            fail_msg("replica did not reach seq %llu", (unsigned long long)head);
        }
        harness_sleep_ms(20);
    }
}

static void same_answer(cluster_t *a, cluster_t *b, Cchc__Envelope *req, const char *what)
{
    size_t la, lb;
    uint8_t *x = ask(a, req, &la), *y = ask(b, req, &lb);
    if (la != lb || memcmp(x, y, la) != 0)
        fail_msg("replicas disagree on %s (%zu and %zu bytes)", what, la, lb);
    free(x);
    free(y);
}

static void same_queries(cluster_t *a, cluster_t *b)
{
    Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT;
    rq.ward = (char *)SCENARIO_WARD;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    env.ranking_query = &rq;
    same_answer(a, b, &env, "the year ranking");
    static const struct {
        Cchc__PeriodKind kind;
        int index;
    } periods[] = {{CCHC__PERIOD_KIND__PERIOD_MONTH, 1},
                   {CCHC__PERIOD_KIND__PERIOD_MONTH, 2},
                   {CCHC__PERIOD_KIND__PERIOD_QUARTER, 1}};
    rq.has_period = rq.has_period_index = true;
    for (size_t i = 0; i < 3; i++) {
        rq.period = periods[i].kind;
        rq.period_index = periods[i].index;
        same_answer(a, b, &env, "a period ranking");
    }
    static const char *const units[] = {"VP", "KT", "VHXH"};
    for (size_t i = 0; i < 3; i++) {
        Cchc__ExplainQuery eq = CCHC__EXPLAIN_QUERY__INIT;
        eq.ward = (char *)SCENARIO_WARD;
        eq.unit = (char *)units[i];
        Cchc__Envelope e2 = CCHC__ENVELOPE__INIT;
        e2.body_case = CCHC__ENVELOPE__BODY_EXPLAIN_QUERY;
        e2.explain_query = &eq;
        same_answer(a, b, &e2, "an explanation");
        Cchc__HistoryQuery hq = CCHC__HISTORY_QUERY__INIT;
        hq.ward = (char *)SCENARIO_WARD;
        hq.unit = (char *)units[i];
        Cchc__Envelope e3 = CCHC__ENVELOPE__INIT;
        e3.body_case = CCHC__ENVELOPE__BODY_HISTORY_QUERY;
        e3.history_query = &hq;
        same_answer(a, b, &e3, "a history");
    }
}

//  Every record of a scoring's output log, packed, one after another.
static char *outlog_bytes(const cluster_t *c, size_t *len, size_t *count)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/scoring/scoring.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, blob FROM score_change ORDER BY seq", -1, &st, NULL),
                     SQLITE_OK);
    char *buf = NULL;
    *len = *count = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_int_equal(sqlite3_column_int64(st, 0), (sqlite3_int64)(*count + 1)); //  gapless
        size_t n = (size_t)sqlite3_column_bytes(st, 1);
        buf = realloc(buf, *len + n + 1);
        assert_non_null(buf);
        memcpy(buf + *len, sqlite3_column_blob(st, 1), n);
        *len += n;
        (*count)++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return buf;
}

static void test_replicas_agree(void **state)
{
    (void)state;
    static cluster_t a, b, c;
    assert_int_equal(cluster_init(&a, g_argc, g_argv), 0);
    assert_int_equal(cluster_start_all(&a), 0);
    replica_start(&b, &a);

    if (scenario_play(&a, g_argv[5], NULL, "25/01") != 0)
        fail_msg("scenario");
    cluster_kill(&b, SVC_SCORING); //  B misses February's first events
    if (scenario_play(&a, g_argv[5], "25/01", "10/02") != 0)
        fail_msg("scenario");
    assert_int_equal(cluster_start(&b, SVC_SCORING, NULL), 0);
    if (scenario_play(&a, g_argv[5], "10/02", NULL) != 0)
        fail_msg("scenario");
    assert_int_equal(cluster_advance(&a, "01/04/2026 09:00"), 0);
    assert_int_equal(cluster_wait_caught_up(&a, SCENARIO_WARD, 10000), 0);
    uint64_t head = cluster_head(&a);
    assert_true(head > 0);
    wait_replica(&b, head);
    replica_start(&c, &a); //  from an empty database, after everything
    wait_replica(&c, head);

    same_queries(&a, &b);
    same_queries(&a, &c);
    size_t la, lb, lc, na, nb, nc;
    char *oa = outlog_bytes(&a, &la, &na), *ob = outlog_bytes(&b, &lb, &nb), *oc = outlog_bytes(&c, &lc, &nc);
    assert_true(na > 10);
    assert_int_equal(na, nb);
    assert_int_equal(na, nc);
    assert_int_equal(la, lb);
    assert_int_equal(la, lc);
    assert_memory_equal(oa, ob, la);
    assert_memory_equal(oa, oc, la);
    free(oa);
    free(ob);
    free(oc);

    assert_int_equal(cluster_stop_all(&c), 0);
    assert_int_equal(cluster_stop_all(&b), 0);
    assert_int_equal(cluster_stop_all(&a), 0);
    cluster_destroy(&c);
    cluster_destroy(&b);
    cluster_destroy(&a);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replicas_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
