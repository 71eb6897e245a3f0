/*  test_idempotency.c - idempotent producers against a real intake: a
    resend gets the original ack and appends nothing, stale and skipped
    numbers get their errors, the state survives a restart and kill -9, and
    the sender library retries until intake answers.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "scenario.h"
#include "sender.h"

static int g_argc;
static char **g_argv;

static int setup(void **state)
{
    static cluster_t c;
    char out[4096];
    if (cluster_init(&c, g_argc, g_argv) != 0 || cluster_start(&c, SVC_INTAKE, NULL) != 0 ||
        cluster_cli(&c, out, sizeof(out), "import '%s'", g_argv[5]) != 0) {
        cluster_dump_logs(&c);
        cluster_destroy(&c);
        return -1;
    }
    *state = &c;
    return 0;
}

static int teardown(void **state)
{
    cluster_destroy(*state);
    return 0;
}

//  A submission of progress reports by VP on T1 (percents given), as
//  producer id with number seq.
static cchc_decoded_t *submit(cluster_t *c, const char *id, uint64_t seq, const int *percents, size_t n)
{
    Cchc__ProgressReported p[8];
    Cchc__Event ev[8], *evs[8];
    for (size_t i = 0; i < n; i++) {
        cchc__progress_reported__init(&p[i]);
        p[i].task = "T1";
        p[i].has_percent = true;
        p[i].percent = percents[i];
        cchc__event__init(&ev[i]);
        ev[i].ward = SCENARIO_WARD;
        ev[i].actor = "VP";
        ev[i].payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev[i].progress_reported = &p[i];
        evs[i] = &ev[i];
    }
    Cchc__Submit s = CCHC__SUBMIT__INIT;
    s.n_events = n;
    s.events = evs;
    s.producer_id = (char *)id;
    s.has_producer_seq = true;
    s.producer_seq = seq;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &s;
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(c, SVC_INTAKE, &env, &reply), 0);
    return reply;
}

static const Cchc__Ack *ack_of(cchc_decoded_t *d)
{
    assert_int_equal(cchc_decoded_env(d)->body_case, CCHC__ENVELOPE__BODY_ACK);
    return cchc_decoded_env(d)->ack;
}

static void test_resend_returns_original_ack(void **state)
{
    cluster_t *c = *state;
    uint64_t head = cluster_head(c);
    const int pct[2] = {10, 20};
    cchc_decoded_t *first = submit(c, "prod-A", 1, pct, 2);
    const Cchc__Ack *a = ack_of(first);
    assert_int_equal(a->n_seqs, 2);
    assert_int_equal(a->seqs[0], head + 1);
    assert_int_equal(a->seqs[1], head + 2);
    assert_false(a->duplicate);
    assert_int_equal(a->producer_seq, 1);
    //  the same number again: the original ack, nothing appended
    cchc_decoded_t *again = submit(c, "prod-A", 1, pct, 2);
    const Cchc__Ack *b = ack_of(again);
    assert_true(b->duplicate);
    assert_int_equal(b->n_seqs, 2);
    assert_int_equal(b->seqs[0], head + 1);
    assert_int_equal(b->seqs[1], head + 2);
    assert_int_equal(cluster_head(c), head + 2);
    cchc_decoded_destroy(&first);
    cchc_decoded_destroy(&again);
}

static void test_gap_and_stale(void **state)
{
    cluster_t *c = *state;
    const int pct[1] = {30};
    uint64_t head = cluster_head(c);
    cchc_decoded_t *d = submit(c, "prod-A", 3, pct, 1); //  2 was skipped
    assert_int_equal(cchc_decoded_env(d)->body_case, CCHC__ENVELOPE__BODY_ERROR);
    assert_int_equal(cchc_decoded_env(d)->error->code, CCHC__ERROR_CODE__ERR_SEQUENCE_GAP);
    assert_non_null(strstr(cchc_decoded_env(d)->error->message_en, "expected 2"));
    cchc_decoded_destroy(&d);
    d = submit(c, "prod-B", 5, pct, 1); //  a new producer starts at 1
    assert_int_equal(cchc_decoded_env(d)->error->code, CCHC__ERROR_CODE__ERR_SEQUENCE_GAP);
    cchc_decoded_destroy(&d);
    d = submit(c, "prod-A", 2, pct, 1);
    assert_false(ack_of(d)->duplicate);
    cchc_decoded_destroy(&d);
    d = submit(c, "prod-A", 1, pct, 1); //  older than the last one, inside the window
    assert_true(ack_of(d)->duplicate);
    assert_int_equal(ack_of(d)->producer_seq, 1);
    assert_int_equal(ack_of(d)->n_seqs, 2); //  submission 1's own ack (two events)
    cchc_decoded_destroy(&d);
    assert_int_equal(cluster_head(c), head + 1);
    //  past the window: ERR_STALE_SEQUENCE
    for (uint64_t seq = 1; seq <= CCHC_PRODUCER_WINDOW + 1; seq++) {
        d = submit(c, "prod-W", seq, pct, 1);
        assert_false(ack_of(d)->duplicate);
        cchc_decoded_destroy(&d);
    }
    d = submit(c, "prod-W", 1, pct, 1);
    assert_int_equal(cchc_decoded_env(d)->error->code, CCHC__ERROR_CODE__ERR_STALE_SEQUENCE);
    assert_non_null(strstr(cchc_decoded_env(d)->error->message_en, "older than the last 16"));
    cchc_decoded_destroy(&d);
    d = submit(c, "prod-W", 2, pct, 1); //  the oldest one still remembered
    assert_true(ack_of(d)->duplicate);
    assert_int_equal(ack_of(d)->seqs[0], head + 3);
    cchc_decoded_destroy(&d);
    assert_int_equal(cluster_head(c), head + 1 + CCHC_PRODUCER_WINDOW + 1);
}

//  A raw DEALER for pipelining: submissions sent without waiting.
static void *pipe_open(cluster_t *c)
{
    void *sock = zmq_socket(c->zctx, ZMQ_DEALER);
    int linger = 0, timeout = 5000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    assert_int_equal(zmq_connect(sock, c->intake_ep), 0);
    return sock;
}

//  Send submission seq of producer id (one progress report) as request_id.
static void pipe_send(void *sock, const char *id, uint64_t seq, uint64_t request_id)
{
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = "T1";
    p.has_percent = true;
    p.percent = (int)(seq % 100);
    Cchc__Event ev = CCHC__EVENT__INIT, *evs[1] = {&ev};
    ev.ward = SCENARIO_WARD;
    ev.actor = "VP";
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    Cchc__Submit s = CCHC__SUBMIT__INIT;
    s.n_events = 1;
    s.events = evs;
    s.producer_id = (char *)id;
    s.has_producer_seq = true;
    s.producer_seq = seq;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &s;
    zmq_msg_t msg;
    assert_int_equal(cchc_encode(&env, &msg), 0);
    assert_true(zmq_msg_send(&msg, sock, 0) >= 0);
}

//  The next reply (within 5 s), with its request id.
static cchc_decoded_t *pipe_recv(void *sock, uint64_t *request_id)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    assert_true(zmq_msg_recv(&msg, sock, 0) >= 0);
    cchc_decoded_t *d = NULL;
    cchc_err_t err;
    assert_int_equal(cchc_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 20, &d, request_id, &err), 0);
    zmq_msg_close(&msg);
    return d;
}

//  A pipelining producer: a window of submissions sent at once on one
//  connection, then all of them resent (as after a timeout): each resend
//  gets its own original Ack, whether it had committed or was still in
//  flight, and nothing is appended twice.
static void test_pipelined_window(void **state)
{
    cluster_t *c = *state;
    uint64_t head = cluster_head(c);
    void *sock = pipe_open(c);
    enum { W = CCHC_PRODUCER_WINDOW };
    uint64_t first_seq[W + 1] = {0};
    for (int round = 0; round < 2; round++) {
        for (uint64_t seq = 1; seq <= W; seq++)
            pipe_send(sock, "prod-pipe", seq, (uint64_t)round * 1000 + seq);
        for (int i = 0; i < W; i++) {
            uint64_t id = 0;
            cchc_decoded_t *d = pipe_recv(sock, &id);
            const Cchc__Ack *a = ack_of(d);
            uint64_t seq = a->producer_seq;
            assert_int_equal(id, (uint64_t)round * 1000 + seq);
            assert_int_equal(a->n_seqs, 1);
            assert_true(a->seqs[0] > head && a->seqs[0] <= head + W);
            if (round == 0) {
                assert_false(a->duplicate);
                first_seq[seq] = a->seqs[0];
            } else {
                assert_true(a->duplicate);
                assert_int_equal(a->seqs[0], first_seq[seq]); //  the original ack
            }
            cchc_decoded_destroy(&d);
        }
    }
    zmq_close(sock);
    assert_int_equal(cluster_head(c), head + W);
}

//  One more than the window in flight: while the writer is held up (the
//  test holds SQLite's write lock), the 17th submission is refused with
//  ERR_BUSY and its number stays unused; once the lock is let go the 16
//  commit, and the 17th sent again is accepted as the next number.
static void test_window_bound(void **state)
{
    cluster_t *c = *state;
    uint64_t head = cluster_head(c);
    char path[512];
    snprintf(path, sizeof(path), "%s/intake/intake.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK); //  the writer waits
    void *sock = pipe_open(c);
    enum { W = CCHC_PRODUCER_WINDOW };
    for (uint64_t seq = 1; seq <= W + 1; seq++)
        pipe_send(sock, "prod-bound", seq, seq);
    //  nothing can commit: the only reply is the refusal of the 17th
    uint64_t id = 0;
    cchc_decoded_t *d = pipe_recv(sock, &id);
    assert_int_equal(id, W + 1);
    assert_int_equal(cchc_decoded_env(d)->body_case, CCHC__ENVELOPE__BODY_ERROR);
    assert_int_equal(cchc_decoded_env(d)->error->code, CCHC__ERROR_CODE__ERR_BUSY);
    assert_true(cchc_decoded_env(d)->error->retry_after_ms > 0);
    assert_non_null(strstr(cchc_decoded_env(d)->error->message_en, "more than 16 submissions in flight"));
    cchc_decoded_destroy(&d);
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    for (int i = 0; i < W; i++) {
        d = pipe_recv(sock, &id);
        assert_int_equal(id, ack_of(d)->producer_seq);
        assert_false(ack_of(d)->duplicate);
        cchc_decoded_destroy(&d);
    }
    pipe_send(sock, "prod-bound", W + 1, 100);
    d = pipe_recv(sock, &id);
    assert_int_equal(id, 100);
    assert_false(ack_of(d)->duplicate);
    assert_int_equal(ack_of(d)->seqs[0], head + W + 1);
    cchc_decoded_destroy(&d);
    zmq_close(sock);
    assert_int_equal(cluster_head(c), head + W + 1);
}

//  A submission whose events were all rejected still uses its number: the
//  resend gets the same errors back, after a restart and after kill -9.
static void test_state_survives_restarts(void **state)
{
    cluster_t *c = *state;
    const int bad[2] = {150, 40}; //  the first is out of range
    uint64_t head = cluster_head(c);
    cchc_decoded_t *d = submit(c, "prod-A", 3, bad, 2);
    const Cchc__Ack *a = ack_of(d);
    assert_int_equal(a->seqs[0], 0);
    assert_int_equal(a->seqs[1], head + 1);
    assert_int_equal(a->n_errors, 1);
    assert_int_equal(a->errors[0]->code, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    cchc_decoded_destroy(&d);

    assert_int_equal(cluster_stop(c, SVC_INTAKE), 0);
    assert_int_equal(cluster_start(c, SVC_INTAKE, NULL), 0);
    d = submit(c, "prod-A", 3, bad, 2);
    a = ack_of(d);
    assert_true(a->duplicate);
    assert_int_equal(a->seqs[1], head + 1);
    assert_int_equal(a->n_errors, 1);
    assert_int_equal(a->errors[0]->code, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    cchc_decoded_destroy(&d);

    cluster_kill(c, SVC_INTAKE);
    assert_int_equal(cluster_start(c, SVC_INTAKE, NULL), 0);
    d = submit(c, "prod-A", 3, bad, 2);
    assert_true(ack_of(d)->duplicate);
    cchc_decoded_destroy(&d);
    assert_int_equal(cluster_head(c), head + 1);
}

//  A database from before the window (one `producer` row per producer, the
//  last Ack only) is migrated at start: the last Ack is still answered.
static void test_window_migration(void **state)
{
    cluster_t *c = *state;
    const int pct[1] = {61};
    cchc_decoded_t *d = submit(c, "prod-M", 1, pct, 1);
    uint64_t seq = ack_of(d)->seqs[0];
    cchc_decoded_destroy(&d);
    assert_int_equal(cluster_stop(c, SVC_INTAKE), 0);
    //  take the database back to the old layout, as the previous release left it
    char path[512];
    snprintf(path, sizeof(path), "%s/intake/intake.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "BEGIN;"
                     "CREATE TABLE producer (id TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
                     " ack BLOB NOT NULL) WITHOUT ROWID;"
                     "INSERT INTO producer SELECT id, max(seq), ack FROM producer_ack GROUP BY id;"
                     "DROP TABLE producer_ack;"
                     "DROP TABLE model_record;" //  step 5, after the window
                     "PRAGMA user_version=3;"
                     "COMMIT;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cluster_start(c, SVC_INTAKE, NULL), 0);
    d = submit(c, "prod-M", 1, pct, 1);
    assert_true(ack_of(d)->duplicate);
    assert_int_equal(ack_of(d)->seqs[0], seq);
    cchc_decoded_destroy(&d);
    d = submit(c, "prod-M", 2, pct, 1); //  and the numbering goes on
    assert_false(ack_of(d)->duplicate);
    assert_int_equal(ack_of(d)->seqs[0], seq + 1);
    cchc_decoded_destroy(&d);
}

typedef struct {
    cluster_t *c;
    int rc;
    uint64_t retries, seq;
} sender_job_t;

static void *sender_thread(void *arg)
{
    sender_job_t *job = arg;
    cchc_sender_t *s = cchc_sender_new(job->c->zctx, job->c->intake_ep, "prod-S");
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = "T2";
    p.has_percent = true;
    p.percent = 55;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = SCENARIO_WARD;
    ev.actor = "VP";
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    Cchc__Event *evs[1] = {&ev};
    cchc_decoded_t *reply = NULL;
    job->rc = cchc_sender_submit(s, evs, 1, 300, 20000, &reply);
    job->retries = cchc_sender_retries(s);
    if (reply && cchc_decoded_env(reply)->body_case == CCHC__ENVELOPE__BODY_ACK)
        job->seq = cchc_decoded_env(reply)->ack->seqs[0];
    cchc_decoded_destroy(&reply);
    cchc_sender_destroy(&s);
    return NULL;
}

//  Intake is down when the sender starts: it retries on fresh sockets and
//  gets its ack, once, when intake is back.
static void test_sender_retries_until_acknowledged(void **state)
{
    cluster_t *c = *state;
    uint64_t head = cluster_head(c);
    cluster_kill(c, SVC_INTAKE);
    sender_job_t job = {.c = c};
    pthread_t t;
    pthread_create(&t, NULL, sender_thread, &job);
    usleep(1200 * 1000);
    assert_int_equal(cluster_start(c, SVC_INTAKE, NULL), 0);
    pthread_join(t, NULL);
    assert_int_equal(job.rc, 0);
    assert_true(job.retries >= 2);
    assert_int_equal(job.seq, head + 1);
    assert_int_equal(cluster_head(c), head + 1); //  once, however many resends
}

typedef struct {
    cluster_t *c;
    int index, acked;
    uint64_t busy;
} busy_job_t;

static void *busy_thread(void *arg)
{
    busy_job_t *job = arg;
    char id[32];
    snprintf(id, sizeof(id), "busy-%02d", job->index);
    cchc_sender_t *s = cchc_sender_new(job->c->zctx, job->c->intake_ep, id);
    for (int j = 0; j < 10; j++) {
        Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
        p.task = "T3";
        p.has_percent = true;
        p.percent = j;
        Cchc__Event ev = CCHC__EVENT__INIT;
        ev.ward = SCENARIO_WARD;
        ev.actor = "KT";
        ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev.progress_reported = &p;
        Cchc__Event *evs[1] = {&ev};
        cchc_decoded_t *reply = NULL;
        if (cchc_sender_submit(s, evs, 1, 2000, 30000, &reply) == 0 &&
            !cchc_decoded_env(reply)->ack->n_errors)
            job->acked++;
        cchc_decoded_destroy(&reply);
    }
    job->busy = cchc_sender_busy(s);
    cchc_sender_destroy(&s);
    return NULL;
}

//  Backpressure: with room for one pending event, 40 concurrent producers
//  get ERR_BUSY (retry after N ms) instead of an unbounded queue; the
//  sender waits and resends, and every submission is appended once.
static void test_backpressure(void **state)
{
    cluster_t *c = *state;
    assert_int_equal(cluster_stop(c, SVC_INTAKE), 0);
    const char *tight[] = {"--max_pending_events=1", NULL};
    assert_int_equal(cluster_start(c, SVC_INTAKE, tight), 0);
    uint64_t head = cluster_head(c);
    busy_job_t jobs[40];
    pthread_t t[40];
    for (int i = 0; i < 40; i++) {
        jobs[i] = (busy_job_t){.c = c, .index = i};
        pthread_create(&t[i], NULL, busy_thread, &jobs[i]);
    }
    int acked = 0;
    uint64_t busy = 0;
    for (int i = 0; i < 40; i++) {
        pthread_join(t[i], NULL);
        acked += jobs[i].acked;
        busy += jobs[i].busy;
    }
    assert_int_equal(acked, 400);
    assert_true(busy > 0);
    assert_int_equal(cluster_head(c), head + 400);
    fprintf(stderr, "backpressure: 400 submissions acknowledged, %llu ERR_BUSY waited out\n",
            (unsigned long long)busy);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resend_returns_original_ack),
        cmocka_unit_test(test_gap_and_stale),
        cmocka_unit_test(test_pipelined_window),
        cmocka_unit_test(test_window_bound),
        cmocka_unit_test(test_window_migration),
        cmocka_unit_test(test_state_survives_restarts),
        cmocka_unit_test(test_sender_retries_until_acknowledged),
        cmocka_unit_test(test_backpressure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
