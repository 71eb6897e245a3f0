/*  test_consumer.c - following scoring's output log with common/consumer.h
    (cchc_consumer_new_changes), against a scripted server on a real libuv
    loop: a ROUTER answering each Fetch with a ChangeBatch of records
    [from, min(from + credit - 1, head)], and a PUB for hints.

    - Records arrive in order, at most `credit` per batch, and the next
      fetch starts after the last record handed over, only once the owner
      resumed.
    - A batch with a gap (seq 3 missing) is never handed over: the consumer
      fetches again from the same seq and gets the records gapless.
    - An EventBatch (intake's reply type) is refused by a consumer of the
      output log, and the fetch is repeated.
    - Only a hint on its topic ("changes") makes it fetch before poll_ms.
    Intake's kind is covered by test_replay, test_notify_crash and every
    other integration test.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "consumer.h"
#include "logserve.h"
#include "service.h"
#include "zwatch.h"

#define MAX_RECORDS 64

typedef enum { SERVE_OK, SERVE_GAP_ONCE, SERVE_EVENTS_ONCE } serve_mode_t;

typedef struct {
    uv_loop_t loop;
    void *zctx;
    cchc_zwatch_t router, pub;
    bool pub_open;
    uv_timer_t guard, step;
    cchc_consumer_t *consumer;
    char router_ep[64], pub_ep[64];
    serve_mode_t mode;
    int head;                   //  the server holds records 1..head
    int fetches;                //  Fetch requests answered
    uint64_t from[MAX_RECORDS]; //  from_seq of each
    uint64_t got[MAX_RECORDS];  //  seqs handed to the owner, in order
    int ngot, want;             //  done once ngot == want
    size_t sizes[MAX_RECORDS];  //  batch sizes handed over
    int batches;
    int steps; //  hint test: timer steps taken
    int fetches_at_step[4];
} fx_t;

static void reply(fx_t *f, zmq_msg_t *identity, uint64_t request_id, uint64_t from, uint32_t credit)
{
    Cchc__ScoreChange recs[MAX_RECORDS], *ptrs[MAX_RECORDS];
    Cchc__Event evs[MAX_RECORDS], *evptrs[MAX_RECORDS];
    size_t n = 0;
    for (uint64_t seq = from; (int)seq <= f->head && n < credit && n < MAX_RECORDS; seq++) {
        if (f->mode == SERVE_GAP_ONCE && seq == 3)
            continue; //  a gap: 1, 2, 4, ...
        cchc__score_change__init(&recs[n]);
        recs[n].has_seq = true;
        recs[n].seq = seq;
        recs[n].ward = "W";
        recs[n].unit = "KT";
        ptrs[n] = &recs[n];
        cchc__event__init(&evs[n]);
        evs[n].has_seq = true;
        evs[n].seq = seq;
        evs[n].ward = "W";
        evptrs[n] = &evs[n];
        n++;
    }
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    Cchc__ChangeBatch cb = CCHC__CHANGE_BATCH__INIT;
    Cchc__EventBatch eb = CCHC__EVENT_BATCH__INIT;
    if (f->mode == SERVE_EVENTS_ONCE) {
        eb.n_events = n;
        eb.events = evptrs;
        eb.has_head_seq = true;
        eb.head_seq = (uint64_t)f->head;
        env.body_case = CCHC__ENVELOPE__BODY_EVENT_BATCH;
        env.event_batch = &eb;
    } else {
        cb.n_changes = n;
        cb.changes = ptrs;
        cb.has_head_seq = true;
        cb.head_seq = (uint64_t)f->head;
        env.body_case = CCHC__ENVELOPE__BODY_CHANGE_BATCH;
        env.change_batch = &cb;
    }
    if (f->mode != SERVE_OK)
        f->mode = SERVE_OK; //  once
    zmq_msg_t frames[2];
    zmq_msg_init(&frames[0]);
    zmq_msg_copy(&frames[0], identity);
    assert_int_equal(cchc_encode(&env, &frames[1]), 0);
    assert_int_equal(cchc_zwatch_send(&f->router, frames, 2), 0);
}

static void on_fetch(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg)
{
    (void)watch;
    fx_t *f = arg;
    assert_int_equal(nframes, 2);
    cchc_decoded_t *dec = NULL;
    uint64_t request_id = 0;
    cchc_err_t err;
    assert_int_equal(
        cchc_decode(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), 1 << 20, &dec, &request_id, &err), 0);
    const Cchc__Envelope *env = cchc_decoded_env(dec);
    assert_int_equal(env->body_case, CCHC__ENVELOPE__BODY_FETCH);
    assert_true(f->fetches < MAX_RECORDS);
    f->from[f->fetches++] = env->fetch->from_seq;
    reply(f, &frames[0], request_id, env->fetch->from_seq, env->fetch->credit);
    cchc_decoded_destroy(&dec);
}

static void handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void finish(fx_t *f)
{
    cchc_consumer_close(f->consumer, NULL, NULL);
    f->consumer = NULL;
    cchc_zwatch_close(&f->router, NULL, NULL);
    if (f->pub_open)
        cchc_zwatch_close(&f->pub, NULL, NULL);
    uv_close((uv_handle_t *)&f->guard, handle_closed);
    uv_close((uv_handle_t *)&f->step, handle_closed);
}

static void on_changes(cchc_consumer_t *consumer, Cchc__ScoreChange **changes, size_t n, void *arg)
{
    fx_t *f = arg;
    assert_true(f->batches < MAX_RECORDS);
    f->sizes[f->batches++] = n;
    for (size_t i = 0; i < n; i++) {
        assert_true(f->ngot < MAX_RECORDS);
        f->got[f->ngot++] = changes[i]->seq;
    }
    if (f->ngot >= f->want)
        finish(f);
    else
        cchc_consumer_resume(consumer);
}

static void on_guard(uv_timer_t *t)
{
    fx_t *f = t->data;
    fail_msg("timed out: %d records of %d, %d fetches", f->ngot, f->want, f->fetches);
}

static int setup(void **state)
{
    static int n;
    fx_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->zctx = zmq_ctx_new();
    snprintf(f->router_ep, sizeof(f->router_ep), "inproc://consumer-router-%d", ++n);
    snprintf(f->pub_ep, sizeof(f->pub_ep), "inproc://consumer-pub-%d", n);
    void *router = cchc_socket(f->zctx, ZMQ_ROUTER, f->router_ep, true, 1000, 1 << 20);
    assert_non_null(router);
    assert_int_equal(cchc_zwatch_init(&f->loop, &f->router, router, on_fetch, f), 0);
    assert_int_equal(cchc_zwatch_start(&f->router), 0);
    uv_timer_init(&f->loop, &f->guard);
    f->guard.data = f;
    uv_timer_start(&f->guard, on_guard, 10000, 0);
    uv_timer_init(&f->loop, &f->step);
    f->step.data = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    uv_run(&f->loop, UV_RUN_DEFAULT); //  the closes started by finish
    assert_int_equal(uv_loop_close(&f->loop), 0);
    zmq_ctx_term(f->zctx);
    free(f);
    return 0;
}

static void start(fx_t *f, unsigned credit, unsigned poll_ms, bool hints)
{
    cchc_consumer_opts_t opts = {.fetch_endpoint = f->router_ep,
                                 .hint_endpoint = hints ? f->pub_ep : NULL,
                                 .hint_topic = "changes",
                                 .next_seq = 1,
                                 .credit = credit,
                                 .poll_ms = poll_ms,
                                 .timeout_ms = 2000};
    f->consumer = cchc_consumer_new_changes(&f->loop, f->zctx, &opts, on_changes, f);
    assert_non_null(f->consumer);
}

static void test_in_order_with_credit(void **state)
{
    fx_t *f = *state;
    f->head = f->want = 25;
    start(f, 10, 50, false);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->ngot, 25);
    for (int i = 0; i < 25; i++)
        assert_int_equal(f->got[i], (uint64_t)i + 1);
    assert_int_equal(f->batches, 3);
    assert_int_equal(f->sizes[0], 10);
    assert_int_equal(f->sizes[1], 10);
    assert_int_equal(f->sizes[2], 5);
    assert_int_equal(f->fetches, 3);
    assert_int_equal(f->from[0], 1);
    assert_int_equal(f->from[1], 11);
    assert_int_equal(f->from[2], 21);
}

static void test_gap_is_refetched(void **state)
{
    fx_t *f = *state;
    f->head = f->want = 6;
    f->mode = SERVE_GAP_ONCE;
    start(f, 10, 20, false);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->ngot, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(f->got[i], (uint64_t)i + 1);
    assert_int_equal(f->batches, 1); //  the batch with the gap was never handed over
    assert_int_equal(f->fetches, 2);
    assert_int_equal(f->from[0], 1);
    assert_int_equal(f->from[1], 1);
}

static void test_event_batch_is_refused(void **state)
{
    fx_t *f = *state;
    f->head = f->want = 4;
    f->mode = SERVE_EVENTS_ONCE;
    start(f, 10, 20, false);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->ngot, 4);
    assert_int_equal(f->batches, 1);
    assert_int_equal(f->fetches, 2);
    assert_int_equal(f->from[1], 1);
}

//  200 ms: a hint on another topic (no fetch); 400 ms: on "changes" (fetch).
static void on_step(uv_timer_t *t)
{
    fx_t *f = t->data;
    f->fetches_at_step[f->steps++] = f->fetches;
    f->head = 3;
    cchc_logserve_hint(&f->pub, f->steps == 1 ? "rank.W" : "changes", 3);
    if (f->steps < 2)
        uv_timer_start(&f->step, on_step, 200, 0);
}

static void test_hint_on_its_topic_only(void **state)
{
    fx_t *f = *state;
    void *pub = cchc_socket(f->zctx, ZMQ_PUB, f->pub_ep, true, 1000, 1 << 20);
    assert_non_null(pub);
    assert_int_equal(cchc_zwatch_init(&f->loop, &f->pub, pub, NULL, NULL), 0);
    f->pub_open = true;
    f->want = 3;
    start(f, 10, 60000, true); //  no poll within the test: only hints wake it
    uv_timer_start(&f->step, on_step, 200, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->steps, 2);
    assert_int_equal(f->fetches_at_step[0], 1); //  the first fetch, answered empty
    assert_int_equal(f->fetches_at_step[1], 1); //  "rank.W" woke nothing
    assert_int_equal(f->fetches, 2);            //  "changes" did
    assert_int_equal(f->ngot, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_order_with_credit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_is_refetched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_batch_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hint_on_its_topic_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
