/*  test_follower.c - common/follower.h against a scripted intake on a real
    libuv loop: a ROUTER answering each Fetch with an EventBatch of events
    [from, min(from + credit - 1, head)] (one ward registered per event).

    - One batch at a time (max_batches 0, the default, as notify uses it):
      no batch is folded while another commits, and each commit's hooks
      get the owner's arg.
    - Pipelined (max_batches 4; scoring's max_batches setting): the next batch is
      fetched and folded while the first one commits (the first batch's
      write waits until a second batch is folded; it gives up after 10 s,
      and then the test fails, not hangs); each batch's write and committed
      get that batch's own object, in fold order, with the committed seq
      at its last event; the database ends with every ward and last_seq.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "follower.h"
#include "service.h"
#include "zwatch.h"

#define HEAD        8 //  events the scripted intake holds
#define CREDIT      2 //  events per batch: 4 batches
#define MAX_BATCHES 16

//  The owner's state of one batch (take_batch's object).
typedef struct fx fx_t;

typedef struct {
    fx_t *f;
    int index;         //  1, 2, ... in fold order
    uint64_t last_seq; //  its last event
} owner_batch_t;

struct fx {
    uv_loop_t loop;
    void *zctx;
    cchc_zwatch_t router;
    uv_timer_t guard;
    cchc_follower_t *follower;
    char router_ep[64], dir[64], db[96];
    unsigned max_batches;
    uint64_t last_seq_folded; //  on_event
    //  shared with the writer thread (lock)
    pthread_mutex_t lock;
    pthread_cond_t folded_cond;
    int folded;                           //  batches folded so far
    int folded_at_write[MAX_BATCHES + 1]; //  by batch index: batches folded when its write ran
    int written[MAX_BATCHES + 1];         //  write order: batch indices
    int nwritten;
    //  loop thread
    owner_batch_t batches[MAX_BATCHES + 1];
    int committed[MAX_BATCHES + 1]; //  committed order: batch indices
    uint64_t committed_seq[MAX_BATCHES + 1];
    int ncommitted;
    bool arg_passed;    //  without take_batch: write and committed got arg
    char positions[64]; //  cchc_follower_positions at the last commit
    bool closed;
    int ticks; //  of the guard timer
};

static void reply(fx_t *f, zmq_msg_t *identity, uint64_t request_id, uint64_t from, uint32_t credit)
{
    Cchc__Event evs[HEAD], *ptrs[HEAD];
    Cchc__WardRegistered regs[HEAD];
    char codes[HEAD][8];
    size_t n = 0;
    for (uint64_t seq = from; seq <= HEAD && n < credit; seq++, n++) {
        snprintf(codes[n], sizeof(codes[n]), "W%llu", (unsigned long long)seq);
        cchc__ward_registered__init(&regs[n]);
        regs[n].name = codes[n];
        regs[n].has_year = true;
        regs[n].year = 2026;
        cchc__event__init(&evs[n]);
        evs[n].has_seq = evs[n].has_log_time_ms = true;
        evs[n].seq = seq;
        evs[n].log_time_ms = 1767232800000LL + (int64_t)seq * 1000; //  2026-01-01
        evs[n].ward = codes[n];
        evs[n].actor = "ward";
        evs[n].payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
        evs[n].ward_registered = &regs[n];
        ptrs[n] = &evs[n];
    }
    Cchc__EventBatch eb = CCHC__EVENT_BATCH__INIT;
    eb.n_events = n;
    eb.events = ptrs;
    eb.has_head_seq = true;
    eb.head_seq = HEAD;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_EVENT_BATCH;
    env.event_batch = &eb;
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
    reply(f, &frames[0], request_id, env->fetch->from_seq, env->fetch->credit);
    cchc_decoded_destroy(&dec);
}

// ---------------------------------------------------------------------------
//  The owner's hooks

static void on_event(void *arg, const Cchc__Event *ev, const cchc_touch_t *touch)
{
    (void)touch;
    fx_t *f = arg;
    f->last_seq_folded = ev->seq;
}

static void on_batch(void *arg)
{
    fx_t *f = arg;
    pthread_mutex_lock(&f->lock);
    f->folded++;
    pthread_cond_broadcast(&f->folded_cond);
    pthread_mutex_unlock(&f->lock);
}

static void *take_batch(void *arg)
{
    fx_t *f = arg;
    int index = f->folded; //  on_batch of this batch ran just before
    assert_true(index >= 1 && index <= MAX_BATCHES);
    f->batches[index] = (owner_batch_t){.f = f, .index = index, .last_seq = f->last_seq_folded};
    return &f->batches[index];
}

//  Writer thread. Pipelined, the first batch's write waits for a second
//  batch to be folded (at most 10 s).
static int write_pipelined(sqlite3 *db, void *arg)
{
    (void)db;
    owner_batch_t *b = arg;
    fx_t *f = b->f;
    pthread_mutex_lock(&f->lock);
    if (b->index == 1) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        while (f->folded < 2 && pthread_cond_timedwait(&f->folded_cond, &f->lock, &until) == 0)
            ;
    }
    f->folded_at_write[b->index] = f->folded;
    f->written[f->nwritten++] = b->index;
    pthread_mutex_unlock(&f->lock);
    return 0;
}

static void committed_pipelined(void *arg)
{
    owner_batch_t *b = arg;
    fx_t *f = b->f;
    f->committed[f->ncommitted] = b->index;
    f->committed_seq[f->ncommitted++] = cchc_follower_committed_seq(f->follower);
    assert_int_equal(cchc_follower_committed_seq(f->follower), b->last_seq);
}

//  One batch at a time: write and committed get arg itself.
static int write_single(sqlite3 *db, void *arg)
{
    (void)db;
    fx_t *f = arg;
    pthread_mutex_lock(&f->lock);
    f->written[f->nwritten] = f->nwritten + 1;
    f->folded_at_write[++f->nwritten] = f->folded;
    pthread_mutex_unlock(&f->lock);
    return 0;
}

static void committed_single(void *arg)
{
    fx_t *f = arg;
    f->arg_passed = true;
    cchc_follower_positions(f->follower, f->positions, sizeof(f->positions));
    f->committed[f->ncommitted] = f->ncommitted + 1;
    f->committed_seq[f->ncommitted++] = cchc_follower_committed_seq(f->follower);
}

// ---------------------------------------------------------------------------
//  Fixture

static void handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void follower_closed(void *arg)
{
    fx_t *f = arg;
    f->closed = true;
    f->follower = NULL;
}

//  Poll until the follower committed the head, then close everything.
static void on_guard(uv_timer_t *t)
{
    fx_t *f = t->data;
    if (f->follower && cchc_follower_committed_seq(f->follower) < HEAD && ++f->ticks < 2000)
        return; //  at most 20 s
    uv_timer_stop(&f->guard);
    uv_close((uv_handle_t *)&f->guard, handle_closed);
    cchc_zwatch_close(&f->router, NULL, NULL);
    if (f->follower)
        cchc_follower_close(f->follower, follower_closed, f);
}

static int setup(void **state)
{
    static int n;
    fx_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->folded_cond, NULL);
    f->zctx = zmq_ctx_new();
    snprintf(f->router_ep, sizeof(f->router_ep), "inproc://follower-router-%d", ++n);
    snprintf(f->dir, sizeof(f->dir), "/tmp/cchc-test-follower-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof(f->db), "%s/follower.db", f->dir);
    void *router = cchc_socket(f->zctx, ZMQ_ROUTER, f->router_ep, true, 1000, 1 << 20);
    assert_non_null(router);
    assert_int_equal(cchc_zwatch_init(&f->loop, &f->router, router, on_fetch, f), 0);
    assert_int_equal(cchc_zwatch_start(&f->router), 0);
    uv_timer_init(&f->loop, &f->guard);
    f->guard.data = f;
    uv_timer_start(&f->guard, on_guard, 10, 10);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    assert_int_equal(uv_loop_close(&f->loop), 0);
    zmq_ctx_term(f->zctx);
    pthread_cond_destroy(&f->folded_cond);
    pthread_mutex_destroy(&f->lock);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void run(fx_t *f, bool pipelined)
{
    cchc_follower_opts_t opts = {
        .db_path = f->db,
        .consumer = {.fetch_endpoint = f->router_ep, .credit = CREDIT, .poll_ms = 20, .timeout_ms = 2000},
        .on_event = on_event,
        .on_batch = on_batch,
        .take_batch = pipelined ? take_batch : NULL,
        .write = pipelined ? write_pipelined : write_single,
        .committed = pipelined ? committed_pipelined : committed_single,
        .arg = f,
        .max_batches = f->max_batches,
    };
    char err[256];
    f->follower = cchc_follower_new(&f->loop, f->zctx, &opts, err, sizeof(err));
    assert_non_null(f->follower);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_true(f->closed);
}

//  The stored position and wards, read back after the follower closed.
static void check_database(fx_t *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    cchc_model_t *model = cchc_model_new();
    assert_int_equal(cchc_model_load(model, db), 0);
    assert_int_equal(cchc_model_last_seq(model), HEAD);
    assert_int_equal(cchc_model_ward_count(model), HEAD);
    cchc_model_destroy(&model);
    sqlite3_close(db);
}

static void test_one_batch_at_a_time(void **state)
{
    fx_t *f = *state;
    f->max_batches = 0; //  the default
    run(f, false);
    assert_true(f->arg_passed);
    assert_string_equal(f->positions, "8"); //  one shard: its committed seq alone
    assert_int_equal(f->nwritten, HEAD / CREDIT);
    assert_int_equal(f->ncommitted, HEAD / CREDIT);
    for (int i = 1; i <= HEAD / CREDIT; i++) {
        assert_int_equal(f->folded_at_write[i], i); //  never a batch ahead
        assert_int_equal(f->committed_seq[i - 1], (uint64_t)(i * CREDIT));
    }
    check_database(f);
}

static void test_pipelined(void **state)
{
    fx_t *f = *state;
    f->max_batches = 4;
    run(f, true);
    //  The second batch was fetched and folded while the first committed.
    assert_true(f->folded_at_write[1] >= 2);
    assert_int_equal(f->folded, HEAD / CREDIT);
    //  Each batch's own object, written and committed in fold order, the
    //  committed seq at its last event.
    assert_int_equal(f->nwritten, HEAD / CREDIT);
    assert_int_equal(f->ncommitted, HEAD / CREDIT);
    for (int i = 0; i < HEAD / CREDIT; i++) {
        assert_int_equal(f->written[i], i + 1);
        assert_int_equal(f->committed[i], i + 1);
        assert_int_equal(f->batches[i + 1].last_seq, (uint64_t)((i + 1) * CREDIT));
        assert_int_equal(f->committed_seq[i], (uint64_t)((i + 1) * CREDIT));
    }
    check_database(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_batch_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
