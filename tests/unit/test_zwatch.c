/*  test_zwatch.c - a ZeroMQ ROUTER driven by libuv: 5,000 request/replies
    (the case that stalls when ZMQ_EVENTS is not re-checked after sends),
    over-long messages dropped and counted, and a clean close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "zwatch.h"

#define MESSAGES 5000

typedef struct {
    void *zctx;
    char endpoint[64];
    int replies; //  counted by the client thread
    int frames_seen;
} fixture_t;

typedef struct {
    cchc_zwatch_t watch;
    int received;
    int closed;
} server_t;

static void on_message(cchc_zwatch_t *w, zmq_msg_t *frames, int n, void *arg)
{
    server_t *s = arg;
    s->received++;
    //  echo: identity + payload
    zmq_msg_t out[2];
    zmq_msg_init(&out[0]);
    zmq_msg_copy(&out[0], &frames[0]);
    zmq_msg_init(&out[1]);
    zmq_msg_copy(&out[1], &frames[n - 1]);
    assert_int_equal(cchc_zwatch_send(w, out, 2), 0);
    if (s->received == MESSAGES)
        cchc_zwatch_stop(w);
}

static void on_closed(cchc_zwatch_t *w, void *arg)
{
    (void)w;
    ((server_t *)arg)->closed = 1;
}

static void *client_main(void *arg)
{
    fixture_t *f = arg;
    void *dealer = zmq_socket(f->zctx, ZMQ_DEALER);
    int hwm = 0; //  no limit: the client sends everything first
    zmq_setsockopt(dealer, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(dealer, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    int timeout = 10000;
    zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    zmq_connect(dealer, f->endpoint);
    for (int i = 0; i < MESSAGES; i++)
        zmq_send(dealer, &i, sizeof(i), 0);
    for (int i = 0; i < MESSAGES; i++) {
        int v;
        if (zmq_recv(dealer, &v, sizeof(v), 0) != sizeof(v))
            break;
        f->replies++;
    }
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_close(dealer);
    return NULL;
}

static void *bind_router(fixture_t *f)
{
    void *router = zmq_socket(f->zctx, ZMQ_ROUTER);
    int hwm = 0, linger = 2000;
    zmq_setsockopt(router, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(router, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof(linger));
    assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof(f->endpoint);
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, f->endpoint, &len);
    return router;
}

static void test_five_thousand_round_trips(void **state)
{
    (void)state;
    fixture_t f = {.zctx = zmq_ctx_new()};
    void *router = bind_router(&f);
    uv_loop_t loop;
    uv_loop_init(&loop);
    server_t s = {0};
    assert_int_equal(cchc_zwatch_init(&loop, &s.watch, router, on_message, &s), 0);
    assert_int_equal(cchc_zwatch_start(&s.watch), 0);
    pthread_t client;
    pthread_create(&client, NULL, client_main, &f);
    //  run until every request is handled (the watcher stops itself), with
    //  a safety bound so that a stall fails instead of hanging
    for (int turns = 0; s.received < MESSAGES && turns < 2000000; turns++)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(s.received, MESSAGES);
    pthread_join(client, NULL);
    assert_int_equal(f.replies, MESSAGES);
    cchc_zwatch_close(&s.watch, on_closed, &s);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(s.closed);
    assert_int_equal(uv_loop_close(&loop), 0); //  nothing left open
    zmq_ctx_term(f.zctx);
}

static void on_count(cchc_zwatch_t *w, zmq_msg_t *frames, int n, void *arg)
{
    (void)w, (void)frames;
    server_t *s = arg;
    s->received++;
    assert_int_equal(n, 2);
}

static void test_too_many_frames_dropped(void **state)
{
    (void)state;
    fixture_t f = {.zctx = zmq_ctx_new()};
    void *router = bind_router(&f);
    uv_loop_t loop;
    uv_loop_init(&loop);
    server_t s = {0};
    cchc_zwatch_init(&loop, &s.watch, router, on_count, &s);
    cchc_zwatch_start(&s.watch);
    void *dealer = zmq_socket(f.zctx, ZMQ_DEALER);
    zmq_connect(dealer, f.endpoint);
    for (int i = 0; i < 5; i++) //  identity + 5 frames = 6 > CCHC_ZWATCH_MAX_FRAMES
        zmq_send(dealer, "x", 1, i < 4 ? ZMQ_SNDMORE : 0);
    zmq_send(dealer, "ok", 2, 0);
    for (int turns = 0; s.received < 1 && turns < 2000000; turns++)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(s.received, 1);
    assert_int_equal(s.watch.dropped, 1);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_close(dealer);
    cchc_zwatch_close(&s.watch, on_closed, &s);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(s.closed);
    assert_int_equal(uv_loop_close(&loop), 0);
    zmq_ctx_term(f.zctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_five_thousand_round_trips),
        cmocka_unit_test(test_too_many_frames_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
