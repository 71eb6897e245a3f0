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
    d = submit(c, "prod-A", 1, pct, 1); //  older than the last one
    assert_int_equal(cchc_decoded_env(d)->error->code, CCHC__ERROR_CODE__ERR_STALE_SEQUENCE);
    cchc_decoded_destroy(&d);
    assert_int_equal(cluster_head(c), head + 1);
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
        cmocka_unit_test(test_state_survives_restarts),
        cmocka_unit_test(test_sender_retries_until_acknowledged),
        cmocka_unit_test(test_backpressure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
