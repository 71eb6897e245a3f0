/*  test_zwatch.c - a ZeroMQ ROUTER driven by libuv through cchc_zwatch.

    The round-trip tests are the cases that stall when ZMQ_EVENTS is not
    re-checked: 5,000 requests answered from on_message, and 5,000 answered
    later from another loop callback (the way a service answers after a
    commit). Every loop run is bounded by a deadline timer that closes the
    watcher, so a stall fails the counts instead of hanging. Each test ends
    by proving the loop is empty (uv_loop_close == 0).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zwatch.h"

#define MESSAGES    5000
#define DEADLINE_MS 4000

// ---------------------------------------------------------------------------
//  The client: a DEALER on its own thread

typedef struct {
    void *zctx;
    char endpoint[64];
    int window;    //  requests in flight at most (MESSAGES: send all first)
    int replies;   //  replies received
    int mismatch;  //  replies whose payload is not a request we sent
    long long sum; //  sum of the request numbers echoed back
} client_t;

static void *client_main(void *arg)
{
    client_t *c = arg;
    void *dealer = zmq_socket(c->zctx, ZMQ_DEALER);
    int hwm = 0, timeout = DEADLINE_MS + 1000;
    zmq_setsockopt(dealer, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(dealer, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    zmq_connect(dealer, c->endpoint);
    int sent = 0;
    while (c->replies < MESSAGES) {
        while (sent < MESSAGES && sent - c->replies < c->window) {
            if (zmq_send(dealer, &sent, sizeof(sent), 0) != sizeof(sent))
                goto done;
            sent++;
        }
        int v;
        if (zmq_recv(dealer, &v, sizeof(v), 0) != sizeof(v))
            break; //  timed out: the server stalled
        if (v < 0 || v >= sent)
            c->mismatch++;
        c->sum += v;
        c->replies++;
    }
done:;
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_close(dealer);
    return NULL;
}

// ---------------------------------------------------------------------------
//  The server side

typedef struct {
    uv_loop_t loop;
    cchc_zwatch_t watch;
    uv_timer_t deadline;
    uv_idle_t replier; //  sends deferred replies on a later turn, outside on_message
    bool defer;        //  reply from the replier instead of on_message
    zmq_msg_t *held;   //  deferred requests: identity, payload pairs
    int held_count;    //  pairs in held
    int next_pause;    //  the replier pauses again once this many are sent
    int received;      //  messages seen by the handler
    int sent;          //  replies accepted by cchc_zwatch_send
    int closed;        //  on_close calls
    bool timed_out;    //  the deadline fired
    int expect_frames; //  frames each message must have (0: any)
    int wrong_frames;  //  messages that did not
    int close_after;   //  close the watcher from on_message after this many (0: never)
    int stop_after;    //  stop the watcher from on_message after this many (0: never)
} server_t;

static void on_closed(cchc_zwatch_t *w, void *arg)
{
    server_t *s = arg;
    assert_null(w->socket); //  closed before on_close
    s->closed++;
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

//  Close everything the server owns; the loop then ends by itself.
static void server_finish(server_t *s)
{
    if (!s->watch.closing)
        cchc_zwatch_close(&s->watch, on_closed, s);
    if (!uv_is_closing((uv_handle_t *)&s->deadline))
        uv_close((uv_handle_t *)&s->deadline, on_handle_closed);
    if (s->defer && !uv_is_closing((uv_handle_t *)&s->replier))
        uv_close((uv_handle_t *)&s->replier, on_handle_closed);
}

static void on_deadline(uv_timer_t *t)
{
    server_t *s = t->data;
    s->timed_out = true;
    server_finish(s);
}

static void *bind_router(void *zctx, char *endpoint, size_t size)
{
    void *router = zmq_socket(zctx, ZMQ_ROUTER);
    int hwm = 0, linger = 2000, mandatory = 1;
    zmq_setsockopt(router, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(router, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory));
    assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &size);
    return router;
}

static void server_init(server_t *s, void *router, cchc_zwatch_fn *fn)
{
    assert_int_equal(uv_loop_init(&s->loop), 0);
    assert_int_equal(cchc_zwatch_init(&s->loop, &s->watch, router, fn, s), 0);
    uv_timer_init(&s->loop, &s->deadline);
    s->deadline.data = s;
    uv_timer_start(&s->deadline, on_deadline, DEADLINE_MS, 0);
}

//  Send identity + payload back; the copies are consumed by the send.
static void reply(server_t *s, zmq_msg_t *identity, zmq_msg_t *payload)
{
    zmq_msg_t out[2];
    zmq_msg_init(&out[0]);
    zmq_msg_copy(&out[0], identity);
    zmq_msg_init(&out[1]);
    zmq_msg_copy(&out[1], payload);
    assert_int_equal(cchc_zwatch_send(&s->watch, out, 2), 0);
    s->sent++;
}

static void on_replier(uv_idle_t *h);

static void on_request(cchc_zwatch_t *w, zmq_msg_t *frames, int n, void *arg)
{
    server_t *s = arg;
    assert_ptr_equal(w, &s->watch);
    assert_int_equal(n, 2);
    s->received++;
    if (s->defer) {
        //  keep the frames past this call: copies share the data
        zmq_msg_init(&s->held[2 * s->held_count]);
        zmq_msg_copy(&s->held[2 * s->held_count], &frames[0]);
        zmq_msg_init(&s->held[2 * s->held_count + 1]);
        zmq_msg_copy(&s->held[2 * s->held_count + 1], &frames[1]);
        s->held_count++;
        uv_idle_start(&s->replier, on_replier); //  as a commit's done callback would
        return;
    }
    reply(s, &frames[0], &frames[1]);
    if (s->sent == MESSAGES)
        server_finish(s); //  close from inside on_message
}

//  Answers what was held on the next loop turn, then waits for more.
//  Every 400 replies or so it pauses 2 ms halfway: the client answers the
//  first half with new requests, whose wake-up command lands in the socket's
//  mailbox, and libzmq (which processes commands in a send at most every
//  ~1 ms) takes it in the next send. The fd is then quiet while input
//  waits: only a re-check of ZMQ_EVENTS after the send finds it.
static void on_replier(uv_idle_t *h)
{
    server_t *s = h->data;
    for (int i = 0; i < s->held_count; i++) {
        if (i == s->held_count / 2 && i > 0 && s->sent >= s->next_pause) {
            usleep(2000);
            s->next_pause = s->sent + 400;
        }
        reply(s, &s->held[2 * i], &s->held[2 * i + 1]);
        zmq_msg_close(&s->held[2 * i]);
        zmq_msg_close(&s->held[2 * i + 1]);
    }
    s->held_count = 0;
    uv_idle_stop(h);
    if (s->sent == MESSAGES)
        server_finish(s);
}

static void round_trips(bool defer, int window)
{
    void *zctx = zmq_ctx_new();
    client_t c = {.zctx = zctx, .window = window};
    server_t s = {.defer = defer};
    void *router = bind_router(zctx, c.endpoint, sizeof(c.endpoint));
    server_init(&s, router, on_request);
    if (defer) {
        s.held = calloc(2 * MESSAGES, sizeof(zmq_msg_t));
        assert_non_null(s.held);
        uv_idle_init(&s.loop, &s.replier);
        s.replier.data = &s;
    }
    assert_int_equal(cchc_zwatch_start(&s.watch), 0);
    pthread_t client;
    assert_int_equal(pthread_create(&client, NULL, client_main, &c), 0);

    uv_run(&s.loop, UV_RUN_DEFAULT); //  ends once the server closed everything
    pthread_join(client, NULL);

    assert_false(s.timed_out);
    assert_int_equal(s.received, MESSAGES);
    assert_int_equal(s.watch.received, MESSAGES);
    assert_int_equal(s.sent, MESSAGES);
    assert_int_equal(s.watch.send_failed, 0);
    assert_int_equal(c.replies, MESSAGES);
    assert_int_equal(c.mismatch, 0);
    assert_true(c.sum == (long long)MESSAGES * (MESSAGES - 1) / 2); //  each request answered once
    assert_int_equal(s.closed, 1);
    assert_int_equal(uv_loop_close(&s.loop), 0);
    for (int i = 0; i < 2 * s.held_count; i++)
        zmq_msg_close(&s.held[i]);
    free(s.held);
    zmq_ctx_term(zctx);
}

//  All 5,000 requests queued before the server reads: batches of
//  CCHC_ZWATCH_BATCH must be carried over by the idle handle.
static void test_five_thousand_replied_in_handler(void **state)
{
    (void)state;
    round_trips(false, MESSAGES);
}

//  Requests keep arriving while replies go out from another callback:
//  each such send can swallow the fd's edge, so the watcher must look at
//  ZMQ_EVENTS again after it.
static void test_five_thousand_replied_later(void **state)
{
    (void)state;
    round_trips(true, 64);
}

// ---------------------------------------------------------------------------
//  Frames, close, stop, send failure

//  Connect a DEALER to the server (linger 0; the caller closes it).
static void *connect_dealer(void *zctx, const char *endpoint)
{
    void *dealer = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
    assert_int_equal(zmq_connect(dealer, endpoint), 0);
    return dealer;
}

static void on_count(cchc_zwatch_t *w, zmq_msg_t *frames, int n, void *arg)
{
    server_t *s = arg;
    s->received++;
    if (s->expect_frames && n != s->expect_frames)
        s->wrong_frames++;
    //  the message after a dropped one must be whole: identity, "ok"
    if (n == 2 && (zmq_msg_size(&frames[1]) != 2 || memcmp(zmq_msg_data(&frames[1]), "ok", 2) != 0))
        s->wrong_frames++;
    if (s->stop_after && s->received == s->stop_after)
        assert_int_equal(cchc_zwatch_stop(w), 0);
    if (s->close_after && s->received == s->close_after)
        server_finish(s); //  re-entrant close: nothing more may be delivered
}

//  Polls for the three messages; closes itself too once the server is done
//  (or the deadline closed it), so the loop can end either way.
static void on_frames_progress(uv_timer_t *t)
{
    server_t *s = t->data;
    if (s->received + (int)s->watch.dropped == 3)
        server_finish(s);
    if (s->watch.closing)
        uv_close((uv_handle_t *)t, on_handle_closed);
}

//  identity + 5 frames = 6 > CCHC_ZWATCH_MAX_FRAMES: dropped whole and
//  counted; the messages around it arrive intact.
static void test_too_many_frames_dropped(void **state)
{
    (void)state;
    void *zctx = zmq_ctx_new();
    char endpoint[64];
    server_t s = {.expect_frames = 2};
    server_init(&s, bind_router(zctx, endpoint, sizeof(endpoint)), on_count);
    assert_int_equal(cchc_zwatch_start(&s.watch), 0);
    uv_timer_t progress;
    uv_timer_init(&s.loop, &progress);
    progress.data = &s;
    uv_timer_start(&progress, on_frames_progress, 5, 5);

    void *dealer = connect_dealer(zctx, endpoint);
    zmq_send(dealer, "ok", 2, 0);
    char big[100] = {0}; //  large enough to live on the heap: a leak would show under ASan
    for (int i = 0; i < 5; i++)
        zmq_send(dealer, big, sizeof(big), i < 4 ? ZMQ_SNDMORE : 0);
    zmq_send(dealer, "ok", 2, 0);

    uv_run(&s.loop, UV_RUN_DEFAULT);
    assert_false(s.timed_out);
    assert_int_equal(s.received, 2);
    assert_int_equal(s.watch.received, 2);
    assert_int_equal(s.watch.dropped, 1);
    assert_int_equal(s.wrong_frames, 0);
    assert_int_equal(s.closed, 1);
    assert_int_equal(uv_loop_close(&s.loop), 0);
    zmq_close(dealer);
    zmq_ctx_term(zctx);
}

static void on_pause(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void on_quiet(uv_timer_t *t)
{
    server_t *s = t->data;
    server_finish(s);
}

//  Closing from inside on_message with more messages waiting: nothing more
//  is delivered, on_close runs once after the socket is closed, and the loop
//  is left empty.
static void test_close_inside_handler(void **state)
{
    (void)state;
    void *zctx = zmq_ctx_new();
    char endpoint[64];
    server_t s = {.close_after = 1};
    server_init(&s, bind_router(zctx, endpoint, sizeof(endpoint)), on_count);
    void *dealer = connect_dealer(zctx, endpoint);
    for (int i = 0; i < 10; i++)
        zmq_send(dealer, "ok", 2, 0);
    //  wait until all ten are queued at the ROUTER before watching it
    zmq_pollitem_t item = {.socket = s.watch.socket, .events = ZMQ_POLLIN};
    assert_int_equal(zmq_poll(&item, 1, 2000), 1);
    usleep(50000);
    assert_int_equal(cchc_zwatch_start(&s.watch), 0);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    assert_false(s.timed_out);
    assert_int_equal(s.received, 1);
    assert_int_equal(s.closed, 1);
    assert_null(s.watch.socket);
    assert_int_equal(uv_loop_close(&s.loop), 0);
    zmq_close(dealer);
    zmq_ctx_term(zctx); //  returns only because the watcher closed its socket
}

//  A watcher that never started closes too, and a NULL on_close is allowed.
static void test_close_unstarted(void **state)
{
    (void)state;
    void *zctx = zmq_ctx_new();
    char endpoint[64];
    uv_loop_t loop;
    uv_loop_init(&loop);
    cchc_zwatch_t watch;
    assert_int_equal(
        cchc_zwatch_init(&loop, &watch, bind_router(zctx, endpoint, sizeof(endpoint)), NULL, NULL), 0);
    cchc_zwatch_close(&watch, NULL, NULL);
    assert_true(watch.closing);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_null(watch.socket);
    assert_int_equal(uv_loop_close(&loop), 0);
    zmq_ctx_term(zctx);
}

//  A stopped watcher delivers nothing; started again it delivers what
//  waited meanwhile, although the fd's edge for it was already spent.
static void test_stop_and_start(void **state)
{
    (void)state;
    void *zctx = zmq_ctx_new();
    char endpoint[64];
    server_t s = {.stop_after = 1};
    server_init(&s, bind_router(zctx, endpoint, sizeof(endpoint)), on_count);
    assert_int_equal(cchc_zwatch_start(&s.watch), 0);
    void *dealer = connect_dealer(zctx, endpoint);
    for (int i = 0; i < 5; i++)
        zmq_send(dealer, "ok", 2, 0);
    uv_timer_t quiet;
    uv_timer_init(&s.loop, &quiet);
    //  run for 200 ms: the handler stops the watcher at the first message
    uv_timer_start(&quiet, on_pause, 200, 0);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    assert_int_equal(s.received, 1);
    assert_false(s.watch.active);
    //  start again: the four waiting messages arrive, then close after quiet
    s.stop_after = 0;
    assert_int_equal(cchc_zwatch_start(&s.watch), 0);
    quiet.data = &s;
    uv_timer_start(&quiet, on_quiet, 200, 0);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    assert_false(s.timed_out);
    assert_int_equal(s.received, 5);
    uv_close((uv_handle_t *)&quiet, NULL);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    assert_int_equal(s.closed, 1);
    assert_int_equal(uv_loop_close(&s.loop), 0);
    zmq_close(dealer);
    zmq_ctx_term(zctx);
}

//  A reply to an unknown peer fails with EHOSTUNREACH (ROUTER_MANDATORY),
//  is counted, and every frame is released (ASan would see a leak).
static void test_send_failure_counted(void **state)
{
    (void)state;
    void *zctx = zmq_ctx_new();
    char endpoint[64];
    server_t s = {0};
    server_init(&s, bind_router(zctx, endpoint, sizeof(endpoint)), on_count);
    assert_int_equal(cchc_zwatch_start(&s.watch), 0);
    zmq_msg_t frames[3];
    zmq_msg_init_size(&frames[0], 5);
    memcpy(zmq_msg_data(&frames[0]), "nobody", 5);
    zmq_msg_init_size(&frames[1], 200);
    memset(zmq_msg_data(&frames[1]), 'x', 200);
    zmq_msg_init_size(&frames[2], 300);
    memset(zmq_msg_data(&frames[2]), 'y', 300);
    errno = 0;
    assert_int_equal(cchc_zwatch_send(&s.watch, frames, 3), -1);
    assert_int_equal(errno, EHOSTUNREACH);
    assert_int_equal(s.watch.send_failed, 1);
    server_finish(&s);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    assert_int_equal(s.closed, 1);
    assert_int_equal(uv_loop_close(&s.loop), 0);
    zmq_ctx_term(zctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_five_thousand_replied_in_handler),
        cmocka_unit_test(test_five_thousand_replied_later),
        cmocka_unit_test(test_too_many_frames_dropped),
        cmocka_unit_test(test_close_inside_handler),
        cmocka_unit_test(test_close_unstarted),
        cmocka_unit_test(test_stop_and_start),
        cmocka_unit_test(test_send_failure_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
