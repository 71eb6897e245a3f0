/*  test_logserve.c - serving a stored log by Fetch (common/logserve.h).

    The reply is checked by decoding it as a client would: the records are
    the stored bytes of [from, head] in order, capped by credit and by the
    byte limit (at least one record), with the head and the request id.
    The server is driven on a real libuv loop with a ROUTER and a DEALER:
    requests beyond the queue bound are answered ERR_BUSY at once, the rest are answered in order, and closing while a read runs
    frees everything once it is done, without a reply.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logserve.h"
#include "store.h"

#define SELECT_SQL "SELECT blob FROM rec WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3"

static const char *const migrations[] = {
    "CREATE TABLE rec (seq INTEGER PRIMARY KEY, blob BLOB NOT NULL);",
};

//  A database of n packed events with seq 1..n, each carrying its seq, in a
//  file of this process (removed at once: the open connection keeps it).
static sqlite3 *make_log(int n)
{
    char err[256], path[128], side[160];
    static int files;
    snprintf(path, sizeof(path), "/tmp/cchc-test-logserve-%d-%d.db", (int)getpid(), ++files);
    sqlite3 *db = cchc_store_open(path, migrations, 1, err, sizeof(err));
    assert_non_null(db);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO rec VALUES (?, ?)", -1, &st, NULL), SQLITE_OK);
    for (int i = 1; i <= n; i++) {
        Cchc__Event ev = CCHC__EVENT__INIT;
        ev.has_seq = true;
        ev.seq = (uint64_t)i;
        ev.ward = "W";
        uint8_t buf[64];
        size_t len = cchc__event__pack(&ev, buf);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_blob(st, 2, buf, (int)len, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    return db;
}

static cchc_logserve_opts_t opts(size_t max_records, size_t max_bytes, size_t max_queued)
{
    return (cchc_logserve_opts_t){.select_sql = SELECT_SQL,
                                  .body_field = CCHC__ENVELOPE__BODY_EVENT_BATCH,
                                  .max_records = max_records,
                                  .max_bytes = max_bytes,
                                  .max_queued = max_queued,
                                  .name = "rec"};
}

//  Decode a reply; check its request id and head; return the seqs.
static size_t batch_seqs(const uint8_t *data, size_t len, uint64_t request_id, uint64_t head, uint64_t *seqs)
{
    cchc_decoded_t *dec = NULL;
    uint64_t id = 0;
    cchc_err_t err;
    assert_int_equal(cchc_decode(data, len, 1 << 24, &dec, &id, &err), 0);
    assert_int_equal(id, request_id);
    const Cchc__Envelope *env = cchc_decoded_env(dec);
    assert_int_equal(env->body_case, CCHC__ENVELOPE__BODY_EVENT_BATCH);
    assert_int_equal(env->event_batch->head_seq, head);
    size_t n = env->event_batch->n_events;
    for (size_t i = 0; i < n; i++)
        seqs[i] = env->event_batch->events[i]->seq;
    cchc_decoded_destroy(&dec);
    return n;
}

static void test_reply(void **state)
{
    (void)state;
    sqlite3 *db = make_log(100);
    uint64_t seqs[100];
    uint8_t *out = NULL;
    size_t len = 0;
    cchc_logserve_opts_t o = opts(30, 1 << 20, 4);
    //  [from, head], capped by the credit
    assert_int_equal(cchc_logserve_reply(db, &o, 7, 10, 80, 5, &out, &len), 5);
    assert_int_equal(batch_seqs(out, len, 7, 80, seqs), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(seqs[i], 10 + i);
    free(out);
    //  by max_records, then by the head (rows past it are not served)
    assert_int_equal(cchc_logserve_reply(db, &o, 8, 1, 100, 1000, &out, &len), 30);
    free(out);
    assert_int_equal(cchc_logserve_reply(db, &o, 9, 95, 97, 1000, &out, &len), 3);
    assert_int_equal(batch_seqs(out, len, 9, 97, seqs), 3);
    assert_int_equal(seqs[2], 97);
    free(out);
    //  by bytes, but never fewer than one record
    o = opts(30, 1, 4);
    assert_int_equal(cchc_logserve_reply(db, &o, 10, 50, 100, 1000, &out, &len), 1);
    assert_int_equal(batch_seqs(out, len, 10, 100, seqs), 1);
    assert_int_equal(seqs[0], 50);
    free(out);
    //  nothing after the head: an empty batch that still says the head
    assert_int_equal(cchc_logserve_reply(db, &o, 11, 101, 100, 1000, &out, &len), 0);
    assert_int_equal(batch_seqs(out, len, 11, 100, seqs), 0);
    free(out);
    //  a read error is -1
    cchc_logserve_opts_t bad = opts(30, 1 << 20, 4);
    bad.select_sql = "SELECT blob FROM no_such_table WHERE seq >= ?1 AND seq <= ?2 LIMIT ?3";
    assert_int_equal(cchc_logserve_reply(db, &bad, 12, 1, 100, 10, &out, &len), -1);
    cchc_store_close(&db);
}

// ---------------------------------------------------------------------------
//  The server on a loop

typedef struct {
    uv_loop_t loop;
    void *zctx, *dealer;
    cchc_zwatch_t router;
    zmq_msg_t identity;
} rig_t;

static void on_request(cchc_zwatch_t *watch, zmq_msg_t *frames, int n, void *arg)
{
    (void)watch, (void)frames, (void)n, (void)arg; //  the test sends nothing through the router
}

static void on_closed(cchc_zwatch_t *watch, void *arg)
{
    (void)watch, (void)arg;
}

static void rig_open(rig_t *r)
{
    assert_int_equal(uv_loop_init(&r->loop), 0);
    r->zctx = zmq_ctx_new();
    void *router = zmq_socket(r->zctx, ZMQ_ROUTER);
    int one = 1, timeout = 5000, linger = 0;
    zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    assert_int_equal(zmq_bind(router, "inproc://logserve"), 0);
    r->dealer = zmq_socket(r->zctx, ZMQ_DEALER);
    zmq_setsockopt(r->dealer, ZMQ_ROUTING_ID, "peer", 4);
    zmq_setsockopt(r->dealer, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    zmq_setsockopt(r->dealer, ZMQ_LINGER, &linger, sizeof(linger));
    assert_int_equal(zmq_connect(r->dealer, "inproc://logserve"), 0);
    //  a hello, so that the router knows the peer before replying to it
    assert_int_equal(zmq_send(r->dealer, "hi", 2, 0), 2);
    char buf[16];
    assert_int_equal(zmq_recv(router, buf, sizeof(buf), 0), 4);
    assert_int_equal(zmq_recv(router, buf, sizeof(buf), 0), 2);
    assert_int_equal(cchc_zwatch_init(&r->loop, &r->router, router, on_request, r), 0);
    zmq_msg_init_size(&r->identity, 4);
    memcpy(zmq_msg_data(&r->identity), "peer", 4);
}

static void rig_close(rig_t *r)
{
    zmq_msg_close(&r->identity);
    cchc_zwatch_close(&r->router, on_closed, r);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&r->loop), 0); //  nothing left on the loop
    zmq_close(r->dealer);
    zmq_ctx_term(r->zctx);
}

static Cchc__Fetch fetch_of(uint64_t from, uint32_t credit)
{
    Cchc__Fetch f = CCHC__FETCH__INIT;
    f.has_from_seq = f.has_credit = true;
    f.from_seq = from;
    f.credit = credit;
    return f;
}

static void test_queue_bound_and_order(void **state)
{
    (void)state;
    rig_t r;
    rig_open(&r);
    sqlite3 *db = make_log(50);
    cchc_logserve_opts_t o = opts(10, 1 << 20, 2);
    cchc_logserve_t *server = cchc_logserve_new(&r.loop, &r.router, db, &o);
    assert_non_null(server);
    //  Within one loop turn: the first starts reading, two wait, the fourth
    //  is refused (no read can finish before the loop runs again).
    Cchc__Fetch f1 = fetch_of(1, 5), f2 = fetch_of(6, 5), f3 = fetch_of(11, 100), f4 = fetch_of(40, 5);
    assert_int_equal(cchc_logserve_fetch(server, &r.identity, 1, &f1, 50), 0);
    assert_int_equal(cchc_logserve_fetch(server, &r.identity, 2, &f2, 50), 0);
    assert_int_equal(cchc_logserve_fetch(server, &r.identity, 3, &f3, 20), 0);
    assert_int_equal(cchc_logserve_fetch(server, &r.identity, 4, &f4, 50), -1);
    assert_int_equal(cchc_logserve_busy(server), 1);
    {
        //  the refusal is answered at once: ERR_BUSY with a retry hint
        uint8_t buf[1024];
        int len = zmq_recv(r.dealer, buf, sizeof(buf), 0);
        assert_true(len > 0);
        cchc_decoded_t *dec = NULL;
        uint64_t id = 0;
        cchc_err_t err;
        assert_int_equal(cchc_decode(buf, (size_t)len, 1 << 20, &dec, &id, &err), 0);
        assert_int_equal(id, 4);
        assert_int_equal(cchc_decoded_env(dec)->body_case, CCHC__ENVELOPE__BODY_ERROR);
        assert_int_equal(cchc_decoded_env(dec)->error->code, CCHC__ERROR_CODE__ERR_BUSY);
        assert_int_equal(cchc_decoded_env(dec)->error->retry_after_ms, CCHC_LOGSERVE_RETRY_MS);
        cchc_decoded_destroy(&dec);
    }
    uv_run(&r.loop, UV_RUN_DEFAULT); //  returns when the three reads are answered
    assert_int_equal(cchc_logserve_served(server), 3);
    assert_int_equal(cchc_logserve_failed(server), 0);
    //  answered in order: 1-5, 6-10, then 11-20 (credit capped at 10, head 20)
    const uint64_t first[3] = {1, 6, 11}, count[3] = {5, 5, 10}, head[3] = {50, 50, 20};
    for (int i = 0; i < 3; i++) {
        uint8_t buf[4096];
        int len = zmq_recv(r.dealer, buf, sizeof(buf), 0);
        assert_true(len > 0);
        uint64_t seqs[16];
        assert_int_equal(batch_seqs(buf, (size_t)len, (uint64_t)i + 1, head[i], seqs), count[i]);
        assert_int_equal(seqs[0], first[i]);
        assert_int_equal(seqs[count[i] - 1], first[i] + count[i] - 1);
    }
    cchc_logserve_close(&server);
    assert_null(server);
    rig_close(&r);
}

static void test_close_while_reading(void **state)
{
    (void)state;
    rig_t r;
    rig_open(&r);
    sqlite3 *db = make_log(50);
    cchc_logserve_opts_t o = opts(10, 1 << 20, 8);
    cchc_logserve_t *server = cchc_logserve_new(&r.loop, &r.router, db, &o);
    Cchc__Fetch f = fetch_of(1, 5);
    assert_int_equal(cchc_logserve_fetch(server, &r.identity, 1, &f, 50), 0); //  running
    assert_int_equal(cchc_logserve_fetch(server, &r.identity, 2, &f, 50), 0); //  waiting
    cchc_logserve_close(&server); //  the waiting one is dropped; the running one finishes
    assert_null(server);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    int timeout = 100;
    zmq_setsockopt(r.dealer, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    char buf[64];
    assert_int_equal(zmq_recv(r.dealer, buf, sizeof(buf), 0), -1); //  no reply after close
    rig_close(&r);
}

//  A read that fails is answered ERR_INTERNAL and counted.
static void test_failed_read(void **state)
{
    (void)state;
    rig_t r;
    rig_open(&r);
    sqlite3 *db = make_log(5);
    cchc_logserve_opts_t o = opts(10, 1 << 20, 8);
    o.select_sql = "SELECT blob FROM no_such_table WHERE seq >= ?1 AND seq <= ?2 LIMIT ?3";
    cchc_logserve_t *server = cchc_logserve_new(&r.loop, &r.router, db, &o);
    Cchc__Fetch f = fetch_of(1, 5);
    assert_int_equal(cchc_logserve_fetch(server, &r.identity, 9, &f, 5), 0);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    assert_int_equal(cchc_logserve_failed(server), 1);
    uint8_t buf[1024];
    int len = zmq_recv(r.dealer, buf, sizeof(buf), 0);
    assert_true(len > 0);
    cchc_decoded_t *dec = NULL;
    uint64_t id = 0;
    cchc_err_t err;
    assert_int_equal(cchc_decode(buf, (size_t)len, 1 << 20, &dec, &id, &err), 0);
    assert_int_equal(id, 9);
    assert_int_equal(cchc_decoded_env(dec)->body_case, CCHC__ENVELOPE__BODY_ERROR);
    assert_int_equal(cchc_decoded_env(dec)->error->code, CCHC__ERROR_CODE__ERR_INTERNAL);
    cchc_decoded_destroy(&dec);
    cchc_logserve_close(&server);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_queue_bound_and_order),
        cmocka_unit_test(test_close_while_reading),
        cmocka_unit_test(test_failed_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
