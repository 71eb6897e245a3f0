/*  test_bad_input.c - bad input gets a specific error reply, is counted and
    harms nothing: malformed bytes, oversized messages, wrong versions,
    unknown types, unknown wards / units / tasks, another unit's task,
    values out of range, actions a unit may not take, a clock going back.
    Afterwards every service still serves and nothing bad reached the log.

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

#include "harness.h"
#include "scenario.h"

static int g_argc;
static char **g_argv;
static int g_rejected; //  rejections intake must have counted

static int setup(void **state)
{
    static cluster_t c;
    char out[4096];
    if (cluster_init(&c, g_argc, g_argv) != 0 || cluster_start_all(&c) != 0 ||
        cluster_cli(&c, out, sizeof(out), "import '%s'", g_argv[5]) != 0 ||
        cluster_wait_caught_up(&c, SCENARIO_WARD, 10000) != 0) {
        cluster_dump_logs(&c);
        cluster_destroy(&c);
        return -1;
    }
    *state = &c;
    return 0;
}

//  Send raw bytes on a fresh DEALER and return the decoded reply (or NULL
//  after timeout_ms).
static cchc_decoded_t *raw_call_wait(cluster_t *c, const char *endpoint, const void *data, size_t len,
                                     int timeout_ms)
{
    void *sock = zmq_socket(c->zctx, ZMQ_DEALER);
    int linger = 0, timeout = timeout_ms;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    assert_int_equal(zmq_connect(sock, endpoint), 0);
    assert_int_equal(zmq_send(sock, data, len, 0), (int)len);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    cchc_decoded_t *dec = NULL;
    if (zmq_msg_recv(&msg, sock, 0) >= 0) {
        uint64_t id;
        cchc_err_t err;
        if (cchc_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 24, &dec, &id, &err) != 0)
            dec = NULL;
    }
    zmq_msg_close(&msg);
    zmq_close(sock);
    return dec;
}

static cchc_decoded_t *raw_call(cluster_t *c, const char *endpoint, const void *data, size_t len)
{
    return raw_call_wait(c, endpoint, data, len, 5000);
}

//  Expect an Error envelope with code; checks both messages are present and
//  the Vietnamese one is not plain ASCII.
static void expect_error(cchc_decoded_t *dec, Cchc__ErrorCode code)
{
    assert_non_null(dec);
    const Cchc__Envelope *env = cchc_decoded_env(dec);
    assert_int_equal(env->body_case, CCHC__ENVELOPE__BODY_ERROR);
    assert_int_equal(env->error->code, code);
    assert_non_null(env->error->message_vi);
    assert_non_null(env->error->message_en);
    bool non_ascii = false;
    for (const char *p = env->error->message_vi; *p; p++)
        non_ascii |= (unsigned char)*p >= 0x80;
    assert_true(non_ascii);
}

static void test_malformed_bytes(void **state)
{
    cluster_t *c = *state;
    const char garbage[] = "\xff\xff\xff\xff not a protobuf envelope";
    const char *endpoints[] = {c->intake_ep, c->scoring_ep, c->notify_ep};
    for (int i = 0; i < 3; i++) {
        cchc_decoded_t *dec = raw_call(c, endpoints[i], garbage, sizeof(garbage) - 1);
        expect_error(dec, CCHC__ERROR_CODE__ERR_MALFORMED);
        cchc_decoded_destroy(&dec);
    }
    g_rejected++;
}

static void test_oversized(void **state)
{
    cluster_t *c = *state;
    //  a progress report whose note makes the message ~70 KiB (cap: 64 KiB)
    char *note = malloc(70000);
    memset(note, 'x', 69999);
    note[69999] = 0;
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = "T1";
    p.has_percent = true;
    p.percent = 10;
    p.note = note;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = SCENARIO_WARD;
    ev.actor = "VP";
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    Cchc__Event *events[1] = {&ev};
    Cchc__Submit submit = CCHC__SUBMIT__INIT;
    submit.n_events = 1;
    submit.events = events;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    uint8_t *buf;
    size_t len;
    assert_int_equal(cchc_encode_buf(&env, &buf, &len), 0);
    assert_true(len > 65536);
    cchc_decoded_t *dec = raw_call(c, c->intake_ep, buf, len);
    expect_error(dec, CCHC__ERROR_CODE__ERR_OVERSIZED);
    cchc_decoded_destroy(&dec);
    free(buf);
    free(note);
    g_rejected++;
}

//  Far over the cap (more than 4x max_msg_bytes) the transport itself drops
//  the message and the connection, before any decoding: no reply, and the
//  service goes on serving everyone else.
static void test_far_oversized_dropped(void **state)
{
    cluster_t *c = *state;
    size_t len = 300 * 1024;
    uint8_t *big = calloc(1, len);
    cchc_decoded_t *dec = raw_call_wait(c, c->intake_ep, big, len, 1000);
    assert_null(dec);
    free(big);
    assert_true(cluster_head(c) > 0); //  still serving
}

static void test_wrong_version_and_type(void **state)
{
    cluster_t *c = *state;
    Cchc__StatusQuery sq = CCHC__STATUS_QUERY__INIT;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_version = true;
    env.version = 2;
    env.body_case = CCHC__ENVELOPE__BODY_STATUS_QUERY;
    env.status_query = &sq;
    uint8_t buf[64];
    size_t len = cchc__envelope__pack(&env, buf);
    cchc_decoded_t *dec = raw_call(c, c->intake_ep, buf, len);
    expect_error(dec, CCHC__ERROR_CODE__ERR_UNSUPPORTED_VERSION);
    cchc_decoded_destroy(&dec);

    Cchc__Envelope empty = CCHC__ENVELOPE__INIT; //  version 1, no body
    empty.has_version = true;
    empty.version = 1;
    len = cchc__envelope__pack(&empty, buf);
    dec = raw_call(c, c->intake_ep, buf, len);
    expect_error(dec, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE);
    cchc_decoded_destroy(&dec);

    Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT; //  a scoring query sent to intake
    rq.ward = SCENARIO_WARD;
    Cchc__Envelope wrong = CCHC__ENVELOPE__INIT;
    wrong.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    wrong.ranking_query = &rq;
    assert_int_equal(cluster_call(c, SVC_INTAKE, &wrong, &dec), 0);
    expect_error(dec, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE);
    cchc_decoded_destroy(&dec);
    g_rejected += 3;
}

static Cchc__ErrorCode progress_error(cluster_t *c, const char *ward, const char *actor, const char *task,
                                      int percent, int outputs)
{
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = (char *)task;
    p.has_percent = p.has_outputs_done = true;
    p.percent = percent;
    p.outputs_done = outputs;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)ward;
    ev.actor = (char *)actor;
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    Cchc__ErrorCode code;
    uint64_t seq = cluster_submit(c, &ev, &code);
    assert_int_equal(seq, 0);
    g_rejected++;
    return code;
}

static void test_invalid_events(void **state)
{
    cluster_t *c = *state;
    uint64_t head = cluster_head(c);
    assert_int_equal(progress_error(c, SCENARIO_WARD, "VP", "NO-SUCH-TASK", 10, 0),
                     CCHC__ERROR_CODE__ERR_UNKNOWN_TASK);
    assert_int_equal(progress_error(c, SCENARIO_WARD, "KT", "T1", 10, 0),
                     CCHC__ERROR_CODE__ERR_TASK_NOT_OWNED);
    assert_int_equal(progress_error(c, SCENARIO_WARD, "VP", "T1", 150, 0),
                     CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(progress_error(c, SCENARIO_WARD, "VP", "T1", -1, 0), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(progress_error(c, SCENARIO_WARD, "VP", "T1", 50, 5), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(progress_error(c, SCENARIO_WARD, "XX", "T1", 10, 0), CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    assert_int_equal(progress_error(c, "NOWARD", "VP", "T1", 10, 0), CCHC__ERROR_CODE__ERR_UNKNOWN_WARD);

    //  A unit may not verify its own task (only the ward office does).
    Cchc__Verified v = CCHC__VERIFIED__INIT;
    v.task = "T1";
    v.has_passed = v.passed = true;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = SCENARIO_WARD;
    ev.actor = "VP";
    ev.payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
    ev.verified = &v;
    Cchc__ErrorCode code;
    assert_int_equal(cluster_submit(c, &ev, &code), 0);
    assert_int_equal(code, CCHC__ERROR_CODE__ERR_NOT_PERMITTED);
    //  The ward office may not verify a task nobody submitted.
    ev.actor = "ward";
    assert_int_equal(cluster_submit(c, &ev, &code), 0);
    assert_int_equal(code, CCHC__ERROR_CODE__ERR_INVALID_STATE);
    g_rejected += 2;

    //  Nothing reached the log.
    assert_int_equal(cluster_head(c), head);
}

//  In a batch each event is judged on its own: good ones are appended with
//  consecutive seqs, the bad one is reported with its index.
static void test_batch_partial(void **state)
{
    cluster_t *c = *state;
    uint64_t head = cluster_head(c);
    Cchc__ProgressReported p[3];
    Cchc__Event ev[3];
    Cchc__Event *events[3];
    const char *tasks[3] = {"T1", "T404", "T2"};
    for (int i = 0; i < 3; i++) {
        cchc__progress_reported__init(&p[i]);
        p[i].task = (char *)tasks[i];
        p[i].has_percent = true;
        p[i].percent = 20;
        cchc__event__init(&ev[i]);
        ev[i].ward = SCENARIO_WARD;
        ev[i].actor = "VP";
        ev[i].payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev[i].progress_reported = &p[i];
        events[i] = &ev[i];
    }
    Cchc__Submit submit = CCHC__SUBMIT__INIT;
    submit.n_events = 3;
    submit.events = events;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    cchc_decoded_t *dec = NULL;
    assert_int_equal(cluster_call(c, SVC_INTAKE, &env, &dec), 0);
    const Cchc__Envelope *r = cchc_decoded_env(dec);
    assert_int_equal(r->body_case, CCHC__ENVELOPE__BODY_ACK);
    assert_int_equal(r->ack->n_seqs, 3);
    assert_int_equal(r->ack->seqs[0], head + 1);
    assert_int_equal(r->ack->seqs[1], 0);
    assert_int_equal(r->ack->seqs[2], head + 2);
    assert_int_equal(r->ack->n_errors, 1);
    assert_int_equal(r->ack->errors[0]->index, 1);
    assert_int_equal(r->ack->errors[0]->code, CCHC__ERROR_CODE__ERR_UNKNOWN_TASK);
    assert_non_null(strstr(r->ack->errors[0]->message_en, "T404"));
    cchc_decoded_destroy(&dec);
    assert_int_equal(cluster_head(c), head + 2);
    g_rejected++;
}

static void test_clock_backwards(void **state)
{
    cluster_t *c = *state;
    assert_int_equal(cluster_advance(c, "01/02/2026 00:00"), 0);
    Cchc__AdvanceClock adv = CCHC__ADVANCE_CLOCK__INIT;
    adv.has_to_ms = true;
    adv.to_ms = 1767200000000LL; //  31/12/2025: before the clock
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ADVANCE_CLOCK;
    env.advance_clock = &adv;
    cchc_decoded_t *dec = NULL;
    assert_int_equal(cluster_call(c, SVC_INTAKE, &env, &dec), 0);
    expect_error(dec, CCHC__ERROR_CODE__ERR_CLOCK_BACKWARDS);
    cchc_decoded_destroy(&dec);
    g_rejected++;
}

static void test_queries_for_unknown_things(void **state)
{
    cluster_t *c = *state;
    Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT;
    rq.ward = "NOWARD";
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    env.ranking_query = &rq;
    cchc_decoded_t *dec = NULL;
    assert_int_equal(cluster_call(c, SVC_SCORING, &env, &dec), 0);
    expect_error(dec, CCHC__ERROR_CODE__ERR_UNKNOWN_WARD);
    cchc_decoded_destroy(&dec);

    Cchc__ExplainQuery eq = CCHC__EXPLAIN_QUERY__INIT;
    eq.ward = SCENARIO_WARD;
    eq.unit = "NOUNIT";
    Cchc__Envelope env2 = CCHC__ENVELOPE__INIT;
    env2.body_case = CCHC__ENVELOPE__BODY_EXPLAIN_QUERY;
    env2.explain_query = &eq;
    assert_int_equal(cluster_call(c, SVC_SCORING, &env2, &dec), 0);
    expect_error(dec, CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    cchc_decoded_destroy(&dec);

    Cchc__HistoryQuery hq = CCHC__HISTORY_QUERY__INIT;
    hq.ward = SCENARIO_WARD;
    hq.unit = "NOUNIT";
    Cchc__Envelope env3 = CCHC__ENVELOPE__INIT;
    env3.body_case = CCHC__ENVELOPE__BODY_HISTORY_QUERY;
    env3.history_query = &hq;
    assert_int_equal(cluster_call(c, SVC_SCORING, &env3, &dec), 0);
    expect_error(dec, CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    cchc_decoded_destroy(&dec);
    hq.ward = "NOWARD";
    assert_int_equal(cluster_call(c, SVC_SCORING, &env3, &dec), 0);
    expect_error(dec, CCHC__ERROR_CODE__ERR_UNKNOWN_WARD);
    cchc_decoded_destroy(&dec);

    rq.ward = SCENARIO_WARD; //  a month out of range
    rq.has_period = rq.has_period_index = true;
    rq.period = CCHC__PERIOD_KIND__PERIOD_MONTH;
    rq.period_index = 0;
    assert_int_equal(cluster_call(c, SVC_SCORING, &env, &dec), 0);
    expect_error(dec, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    cchc_decoded_destroy(&dec);
}

//  After all that, everyone still serves, intake counted every rejection,
//  and a good update is accepted and scored.
static void test_still_serving(void **state)
{
    cluster_t *c = *state;
    Cchc__StatusQuery sq = CCHC__STATUS_QUERY__INIT;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_STATUS_QUERY;
    env.status_query = &sq;
    cchc_decoded_t *dec = NULL;
    assert_int_equal(cluster_call(c, SVC_INTAKE, &env, &dec), 0);
    assert_int_equal(cchc_decoded_env(dec)->body_case, CCHC__ENVELOPE__BODY_STATUS);
    assert_int_equal(cchc_decoded_env(dec)->status->rejected, (uint64_t)g_rejected);
    cchc_decoded_destroy(&dec);

    assert_true(ev_progress(c, SCENARIO_WARD, "KT", "T3", 40, 1) > 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    dec = cluster_ranking(c, SCENARIO_WARD);
    assert_non_null(dec);
    assert_int_equal(cchc_decoded_env(dec)->ranking->n_entries, 3);
    int64_t now = cchc_decoded_env(dec)->ranking->as_of_ms;
    cchc_decoded_destroy(&dec);

    //  The other scoring queries answer too (under valgrind: without a leak).
    Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT;
    rq.ward = SCENARIO_WARD;
    rq.has_period = rq.has_period_index = true;
    rq.period = CCHC__PERIOD_KIND__PERIOD_MONTH;
    rq.period_index = 1;
    Cchc__Envelope renv = CCHC__ENVELOPE__INIT;
    renv.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    renv.ranking_query = &rq;
    assert_int_equal(cluster_call(c, SVC_SCORING, &renv, &dec), 0);
    assert_int_equal(cchc_decoded_env(dec)->body_case, CCHC__ENVELOPE__BODY_RANKING);
    assert_int_equal(cchc_decoded_env(dec)->ranking->n_entries, 3);
    cchc_decoded_destroy(&dec);
    rq.has_period = rq.has_period_index = false;
    rq.has_as_of_ms = true;
    rq.as_of_ms = now - 1;
    assert_int_equal(cluster_call(c, SVC_SCORING, &renv, &dec), 0);
    assert_int_equal(cchc_decoded_env(dec)->body_case, CCHC__ENVELOPE__BODY_RANKING);
    assert_true(cchc_decoded_env(dec)->ranking->from_history);
    cchc_decoded_destroy(&dec);
    Cchc__HistoryQuery hq = CCHC__HISTORY_QUERY__INIT;
    hq.ward = SCENARIO_WARD;
    hq.unit = "KT";
    Cchc__Envelope henv = CCHC__ENVELOPE__INIT;
    henv.body_case = CCHC__ENVELOPE__BODY_HISTORY_QUERY;
    henv.history_query = &hq;
    assert_int_equal(cluster_call(c, SVC_SCORING, &henv, &dec), 0);
    assert_int_equal(cchc_decoded_env(dec)->body_case, CCHC__ENVELOPE__BODY_SCORE_HISTORY);
    assert_true(cchc_decoded_env(dec)->score_history->n_changes > 0);
    cchc_decoded_destroy(&dec);
    Cchc__ProvinceQuery pq = CCHC__PROVINCE_QUERY__INIT;
    Cchc__Envelope penv = CCHC__ENVELOPE__INIT;
    penv.body_case = CCHC__ENVELOPE__BODY_PROVINCE_QUERY;
    penv.province_query = &pq;
    assert_int_equal(cluster_call(c, SVC_SCORING, &penv, &dec), 0);
    assert_int_equal(cchc_decoded_env(dec)->body_case, CCHC__ENVELOPE__BODY_PROVINCE_RANKING);
    assert_int_equal(cchc_decoded_env(dec)->province_ranking->n_entries, 1);
    cchc_decoded_destroy(&dec);

    dec = cluster_alerts(c, SCENARIO_WARD);
    assert_non_null(dec);
    cchc_decoded_destroy(&dec);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_bytes),       cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_far_oversized_dropped), cmocka_unit_test(test_wrong_version_and_type),
        cmocka_unit_test(test_invalid_events),        cmocka_unit_test(test_batch_partial),
        cmocka_unit_test(test_clock_backwards),       cmocka_unit_test(test_queries_for_unknown_things),
        cmocka_unit_test(test_still_serving),
    };
    return cmocka_run_group_tests(tests, setup, harness_group_teardown);
}
