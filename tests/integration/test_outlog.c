/*  test_outlog.c - scoring's output log: every change of a unit's score,
    rank or tier, with its own gapless seq, served by Fetch (docs/SCORING.md,
    "Output log").

    (1) The records the small ward's 10/01 events cause, computed by hand;
        a clock step and updates that change nothing record nothing; the
        head is hinted on PUB topic "changes".
    (2) Penalties flow in while scoring is killed with kill -9 twice: the
        output log is gapless, each record's old values are the previous
        record's new values for that unit, the last record of each unit is
        its current ranking entry, and a fresh scoring that replays intake's
        log from zero writes the same output log, byte for byte.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "outlog.h"
#include "scenario.h"

static char **g_argv;

//  Ranking.last_seq (what cluster_wait_caught_up waits for) is the last
//  committed seq, so the records of those events are in the log; records of
//  a rules reload commit by a job of their own, a moment after the signal:
//  fetch the whole log once its head has not moved for 100 ms (or reached
//  at_least), up to 5 s.
static void outlog_settled(cluster_t *c, uint32_t credit, uint64_t at_least, outlog_t *o)
{
    outlog_fetch(c, credit, o);
    for (int i = 0; i < 50; i++) {
        usleep(100 * 1000);
        outlog_t again;
        outlog_fetch(c, credit, &again);
        bool same = again.head == o->head;
        outlog_free(o);
        *o = again;
        if (same && o->head >= at_least)
            return;
    }
}

//  The shared checks (outlog.h: gapless, chained per unit, the last record
//  of each unit = the ranking), plus: only real changes, and the records in
//  the order of the events that caused them.
static void assert_outlog_consistent(cluster_t *c, const outlog_t *o)
{
    const char *const wards[] = {SCENARIO_WARD};
    outlog_assert_chained(c, o, wards, 1);
    for (size_t i = 0; i < o->count; i++) {
        const Cchc__ScoreChange *r = o->items[i];
        assert_true(r->old_score_centi != r->new_score_centi || r->old_rank != r->new_rank ||
                    r->old_tier != r->new_tier); //  only real changes
        if (i > 0)
            assert_true(r->input_seq >= o->items[i - 1]->input_seq);
    }
}

static void expect(const Cchc__ScoreChange *r, const char *unit, uint32_t old_rank, uint32_t new_rank,
                   int32_t old_score, int32_t new_score, Cchc__Tier old_tier, Cchc__Tier new_tier,
                   uint64_t input_seq, int64_t log_time)
{
    assert_string_equal(r->ward, SCENARIO_WARD);
    assert_string_equal(r->unit, unit);
    assert_int_equal(r->period, 2026);
    assert_int_equal(r->old_rank, old_rank);
    assert_int_equal(r->new_rank, new_rank);
    assert_int_equal(r->old_score_centi, old_score);
    assert_int_equal(r->new_score_centi, new_score);
    assert_int_equal(r->old_tier, old_tier);
    assert_int_equal(r->new_tier, new_tier);
    assert_int_equal(r->input_seq, input_seq);
    assert_int_equal(r->cause, CCHC__CHANGE_CAUSE__CAUSE_LOG);
    assert_int_equal(r->log_time_ms, log_time);
}

/*  After the import (01/01) nothing is due: every unit is unrated with 0
    points, ranked by code: KT 1, VHXH 2, VP 3 (the records of the import
    itself are checked by the consistency rules only).
      10/01 09:00  clock: still nothing due -> no record
      VP T1 progress 1/1, submitted -> not done yet -> no record
      T1 verified: done on time as of 10/01: a = b = c = 1 -> VP 100.00,
         xuất sắc; rated before the unrated -> VP 3 -> 1, KT 1 -> 2,
         VHXH 2 -> 3: three records caused by the verification's seq, in
         the order the units were registered (VP, KT, VHXH)
      15/01 09:00  clock, KT T3 progress 1/2 (not due) -> no record */
static void test_records_by_hand(void **state)
{
    cluster_t *c = *state;
    void *sub = zmq_socket(c->zctx, ZMQ_SUB);
    assert_non_null(sub);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "changes", 7), 0);
    assert_int_equal(zmq_connect(sub, c->scoring_pub), 0);

    char out[4096];
    assert_int_equal(cluster_cli(c, out, sizeof(out), "import '%s'", g_argv[5]), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    outlog_t o;
    outlog_settled(c, 1000, 0, &o);
    assert_outlog_consistent(c, &o);
    size_t after_import = o.count;
    assert_true(after_import >= 3);
    outlog_free(&o);

    assert_int_equal(cluster_advance(c, "10/01/2026 09:00"), 0);
    assert_true(ev_progress(c, SCENARIO_WARD, "VP", "T1", 100, 1) > 0);
    assert_true(ev_submit_done(c, SCENARIO_WARD, "VP", "T1") > 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    outlog_settled(c, 1000, 0, &o);
    assert_int_equal(o.count, after_import); //  no change, no record
    outlog_free(&o);

    uint64_t verified = ev_verify(c, SCENARIO_WARD, "T1", true);
    assert_true(verified > 0);
    assert_int_equal(cluster_advance(c, "15/01/2026 09:00"), 0);
    assert_true(ev_progress(c, SCENARIO_WARD, "KT", "T3", 50, 1) > 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);

    outlog_settled(c, 2, after_import + 3, &o); //  two records per fetch: pages
    assert_outlog_consistent(c, &o);
    assert_int_equal(o.count, after_import + 3);
    int64_t t10;
    assert_int_equal(cchc_time_parse("2026-01-10T09:00:00+07:00", &t10), 0);
    const Cchc__Tier U = CCHC__TIER__TIER_UNRATED, X = CCHC__TIER__TIER_EXCELLENT;
    expect(o.items[after_import], "VP", 3, 1, 0, 10000, U, X, verified, t10);
    expect(o.items[after_import + 1], "KT", 1, 2, 0, 0, U, U, verified, t10);
    expect(o.items[after_import + 2], "VHXH", 2, 3, 0, 0, U, U, verified, t10);

    //  The head was hinted on PUB (topic "changes", NewSeq): the latest hint
    //  names the head.
    uint64_t hinted = 0;
    for (int i = 0; i < 200 && hinted < o.head; i++) {
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) >= 0 && zmq_msg_recv(&body, sub, 0) >= 0) {
            Cchc__Envelope *env = cchc__envelope__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
            assert_non_null(env);
            assert_int_equal(env->body_case, CCHC__ENVELOPE__BODY_NEW_SEQ);
            hinted = env->new_seq->head_seq;
            cchc__envelope__free_unpacked(env, NULL);
        } else {
            usleep(10 * 1000);
        }
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
    }
    assert_int_equal(hinted, o.head);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_close(sub);
    outlog_free(&o);
}

//  The CLI prints the same records for people: decimal commas, Vietnamese
//  tier names, rank arrows, dates dd/mm/yyyy.
static void test_cli_changes(void **state)
{
    cluster_t *c = *state;
    char out[65536];
    assert_int_equal(cluster_cli(c, out, sizeof(out), "changes --ward %s", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "10/01/2026 09:00  T1  VP  điểm 0,00 → 100,00  hạng 3 → 1 ↑"));
    assert_non_null(strstr(out, "xếp loại Chưa đánh giá → Hoàn thành xuất sắc"));
    assert_non_null(strstr(out, "T1  KT  điểm 0,00  hạng 1 → 2 ↓"));
    assert_int_equal(cluster_cli(c, out, sizeof(out), "changes --ward NOPE"), 0);
    assert_non_null(strstr(out, "Không có thay đổi nào"));
    assert_int_equal(cluster_cli(c, out, sizeof(out), "changes --from 2 --json"), 0);
    assert_true(!strncmp(out, "{\"changes\":[{\"seq\":2,", strlen("{\"changes\":[{\"seq\":2,")));
    assert_non_null(strstr(out, "\"new_score\":100.00,"));
    assert_non_null(strstr(out, "\"new_tier_vi\":\"Hoàn thành xuất sắc\""));
    assert_int_equal(cluster_cli(c, out, sizeof(out), "changes --from x"), 2);
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

static void penalties(cluster_t *c, int from, int to)
{
    static const char *units[] = {"VP", "VHXH", "KT"};
    for (int i = from; i < to; i++)
        assert_true(ev_penalty(c, units[i % 3], 1 + i % 7) > 0);
}

static void test_kill9_then_replay_from_zero(void **state)
{
    cluster_t *c = *state;
    assert_int_equal(scenario_play(c, g_argv[5], "15/01", "05/02"), 0);
    penalties(c, 0, 60);
    cluster_kill(c, SVC_SCORING); //  mid-stream: scoring is behind intake
    penalties(c, 60, 120);
    assert_int_equal(cluster_start(c, SVC_SCORING, NULL), 0);
    penalties(c, 120, 160);
    usleep(20 * 1000);
    cluster_kill(c, SVC_SCORING);
    assert_int_equal(cluster_start(c, SVC_SCORING, NULL), 0);
    penalties(c, 160, 200);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);

    outlog_t live;
    outlog_settled(c, 97, 0, &live);
    assert_outlog_consistent(c, &live);
    assert_true(live.count > 150); //  penalties change scores, and ranks

    //  A fresh scoring on an empty data directory replays from zero.
    assert_int_equal(cluster_stop(c, SVC_SCORING), 0);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mv '%s/scoring' '%s/scoring.live'", c->dir, c->dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cluster_start(c, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    outlog_t fresh;
    outlog_settled(c, 1000, live.count, &fresh);
    assert_int_equal(fresh.count, live.count);
    assert_int_equal(fresh.packed_len, live.packed_len);
    assert_memory_equal(fresh.packed, live.packed, live.packed_len);

    //  And a restart with nothing new records nothing.
    assert_int_equal(cluster_stop(c, SVC_SCORING), 0);
    assert_int_equal(cluster_start(c, SVC_SCORING, NULL), 0);
    outlog_t again;
    outlog_settled(c, 1000, 0, &again);
    assert_int_equal(again.count, live.count);
    outlog_free(&again);
    outlog_free(&live);
    outlog_free(&fresh);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

//  Count records of cause CAUSE_RULES from index `from`; each names the
//  head of intake's log as its input seq.
static size_t rules_records(const outlog_t *o, size_t from, uint64_t head)
{
    size_t n = 0;
    for (size_t i = from; i < o->count; i++)
        if (o->items[i]->cause == CCHC__CHANGE_CAUSE__CAUSE_RULES) {
            assert_int_equal(o->items[i]->input_seq, head);
            n++;
        }
    return n;
}

//  A reload that changes scores records them (cause CAUSE_RULES); a restart
//  with another rules file records the way back; a restart with the same
//  file records nothing. VHXH had a failed verification (T5): a quality
//  deduction of 50 % instead of 25 % lowers its score.
static void test_rules_change(void **state)
{
    cluster_t *c = *state;
    char rules[400], arg[460];
    snprintf(rules, sizeof(rules), "%s/rules.ini", c->dir);
    snprintf(arg, sizeof(arg), "--rules_file=%s", rules);
    const char *args[] = {arg, NULL};
    write_file(rules, "[bonus]\ncap = 5\n");
    assert_int_equal(cluster_stop(c, SVC_SCORING), 0);
    assert_int_equal(cluster_start(c, SVC_SCORING, args), 0);
    uint64_t head = cluster_head(c);
    outlog_t before;
    outlog_settled(c, 1000, 0, &before);
    assert_int_equal(rules_records(&before, 0, head), 0); //  the same rules: nothing

    write_file(rules, "[components]\nquality_deduction = 50\n");
    kill(c->pid[SVC_SCORING], SIGHUP);
    outlog_t reloaded;
    outlog_settled(c, 1000, before.count + 1, &reloaded);
    assert_outlog_consistent(c, &reloaded);
    size_t n = rules_records(&reloaded, before.count, head);
    assert_true(n >= 1);
    assert_int_equal(reloaded.count, before.count + n);
    bool vhxh = false;
    for (size_t i = before.count; i < reloaded.count; i++)
        vhxh = vhxh || (!strcmp(reloaded.items[i]->unit, "VHXH") &&
                        reloaded.items[i]->new_score_centi < reloaded.items[i]->old_score_centi);
    assert_true(vhxh);

    assert_int_equal(cluster_stop(c, SVC_SCORING), 0);
    assert_int_equal(cluster_start(c, SVC_SCORING, args), 0); //  same file: nothing
    outlog_t same;
    outlog_settled(c, 1000, 0, &same);
    assert_int_equal(same.count, reloaded.count);

    assert_int_equal(cluster_stop(c, SVC_SCORING), 0);
    assert_int_equal(cluster_start(c, SVC_SCORING, NULL), 0); //  the defaults again
    outlog_t back;
    outlog_settled(c, 1000, reloaded.count + 1, &back);
    assert_outlog_consistent(c, &back);
    assert_int_equal(rules_records(&back, reloaded.count, head), n);
    outlog_free(&before);
    outlog_free(&reloaded);
    outlog_free(&same);
    outlog_free(&back);
}

static uint64_t ranking_last_seq(cluster_t *c)
{
    cchc_decoded_t *d = cluster_ranking(c, SCENARIO_WARD);
    assert_non_null(d);
    uint64_t seq = cchc_decoded_env(d)->ranking->last_seq;
    cchc_decoded_destroy(&d);
    return seq;
}

//  Ranking.last_seq says what is committed, not what is folded: while the
//  test holds scoring.db's write lock, scoring folds a new event but cannot
//  commit its batch, and last_seq stays before it; once the lock is let go
//  it reaches the event, whose records are then in the output log.
static void test_last_seq_is_committed(void **state)
{
    cluster_t *c = *state;
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    uint64_t before = ranking_last_seq(c);
    outlog_t o;
    outlog_settled(c, 1000, 0, &o);
    uint64_t head_before = o.head;
    outlog_free(&o);
    char path[512];
    snprintf(path, sizeof(path), "%s/scoring/scoring.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    uint64_t seq = ev_penalty(c, "VP", 900);
    assert_true(seq > before);
    usleep(300 * 1000); //  long enough to fetch and fold it; the commit waits for the lock
    assert_true(ranking_last_seq(c) < seq);
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    assert_true(ranking_last_seq(c) >= seq);
    outlog_fetch(c, 1000, &o);         //  at once: no settling needed
    assert_true(o.head > head_before); //  a penalty of 9 points moves VP's score
    outlog_free(&o);
}

int main(int argc, char **argv)
{
    g_argv = argv;
    harness_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_by_hand),
        cmocka_unit_test(test_cli_changes),
        cmocka_unit_test(test_kill9_then_replay_from_zero),
        cmocka_unit_test(test_rules_change),
        cmocka_unit_test(test_last_seq_is_committed),
    };
    return cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
}
