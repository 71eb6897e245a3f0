/*  test_intake_crash.c - the durability promise under fire.

    200 concurrent producers (threads, each its own sender and socket) submit
    50 submissions of 10 progress reports each for the small ward: 100,000
    updates. Meanwhile intake is killed with kill -9 at random moments, at
    least 5 times, and restarted on the same data. Afterwards intake's log is
    read straight from SQLite and must hold every acknowledged update exactly
    once, at the seq its ack named, with seqs gapless from 1; the retries
    must have created no duplicates.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR [PRODUCERS SUBMISSIONS].
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "scenario.h"
#include "sender.h"

#define EVENTS_PER_SUBMISSION 10
#define KILLS                 6

static int g_argc;
static char **g_argv;
static int g_producers = 200;
static int g_submissions = 50;
static atomic_long g_acked; //  submissions acknowledged so far, all producers

//  Which unit owns which task of the small ward (tests/integration/data/small).
static const char *const tasks[][2] = {{"T1", "VP"}, {"T2", "VP"},   {"T3", "KT"},
                                       {"T4", "KT"}, {"T5", "VHXH"}, {"T6", "VHXH"}};

typedef struct {
    cluster_t *c;
    int index;
    uint64_t *acked; //  [submission * EVENTS + k] = log seq from the ack
    uint64_t retries;
    int failures;
} producer_job_t;

static void *producer_main(void *arg)
{
    producer_job_t *job = arg;
    char id[32];
    snprintf(id, sizeof(id), "crash-%03d", job->index);
    cchc_sender_t *s = cchc_sender_new(job->c->zctx, job->c->intake_ep, id);
    Cchc__ProgressReported p[EVENTS_PER_SUBMISSION];
    Cchc__Event ev[EVENTS_PER_SUBMISSION], *evs[EVENTS_PER_SUBMISSION];
    char notes[EVENTS_PER_SUBMISSION][48];
    for (int j = 0; j < g_submissions && s; j++) {
        for (int k = 0; k < EVENTS_PER_SUBMISSION; k++) {
            int t = (job->index + j + k) % 6;
            snprintf(notes[k], sizeof(notes[k]), "%s/%d/%d", id, j, k);
            cchc__progress_reported__init(&p[k]);
            p[k].task = (char *)tasks[t][0];
            p[k].has_percent = true;
            p[k].percent = (j + k) % 90;
            p[k].note = notes[k];
            cchc__event__init(&ev[k]);
            ev[k].ward = SCENARIO_WARD;
            ev[k].actor = (char *)tasks[t][1];
            ev[k].payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
            ev[k].progress_reported = &p[k];
            evs[k] = &ev[k];
        }
        cchc_decoded_t *reply = NULL;
        int rc = cchc_sender_submit(s, evs, EVENTS_PER_SUBMISSION, 1000, 120000, &reply);
        if (rc == 0) {
            const Cchc__Ack *ack = cchc_decoded_env(reply)->ack;
            for (int k = 0; k < EVENTS_PER_SUBMISSION; k++)
                job->acked[j * EVENTS_PER_SUBMISSION + k] = k < (int)ack->n_seqs ? ack->seqs[k] : 0;
            if (ack->n_errors)
                job->failures++;
            atomic_fetch_add(&g_acked, 1);
        } else {
            job->failures++;
        }
        cchc_decoded_destroy(&reply);
    }
    job->retries = s ? cchc_sender_retries(s) : 0;
    cchc_sender_destroy(&s);
    return NULL;
}

static void test_kill9_while_200_producers_submit(void **state)
{
    (void)state;
    static cluster_t c;
    char out[4096];
    assert_int_equal(cluster_init(&c, g_argc, g_argv), 0);
    assert_int_equal(cluster_start(&c, SVC_INTAKE, NULL), 0);
    assert_int_equal(cluster_cli(&c, out, sizeof(out), "import '%s'", g_argv[5]), 0);
    uint64_t base = cluster_head(&c);

    int n = g_producers;
    producer_job_t *jobs = calloc((size_t)n, sizeof(*jobs));
    pthread_t *threads = calloc((size_t)n, sizeof(*threads));
    for (int i = 0; i < n; i++) {
        jobs[i].c = &c;
        jobs[i].index = i;
        jobs[i].acked = calloc((size_t)g_submissions * EVENTS_PER_SUBMISSION, sizeof(uint64_t));
        pthread_create(&threads[i], NULL, producer_main, &jobs[i]);
    }
    //  kill -9 at random moments while they submit: kill i comes once a
    //  random share of the submissions between (i+0.5)/8 and (i+1.5)/8 of
    //  them has been acknowledged, so every kill lands mid-stream
    srand((unsigned)getpid());
    long all = (long)n * g_submissions;
    int kills = 0;
    while (kills < KILLS) {
        long threshold = all * (4 * kills + 2 + rand() % 4) / 32;
        while (atomic_load(&g_acked) < threshold)
            usleep(2000);
        cluster_kill(&c, SVC_INTAKE);
        kills++;
        usleep((useconds_t)(rand() % 100) * 1000);
        assert_int_equal(cluster_start(&c, SVC_INTAKE, NULL), 0);
    }
    assert_true(atomic_load(&g_acked) < all); //  the last kill, too, came before the end
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    uint64_t retries = 0;
    int failures = 0;
    for (int i = 0; i < n; i++) {
        retries += jobs[i].retries;
        failures += jobs[i].failures;
    }
    assert_int_equal(failures, 0);
    assert_true(retries > 0); //  the kills cost producers their acks
    assert_int_equal(cluster_stop(&c, SVC_INTAKE), 0);

    //  Read the log itself.
    char path[400];
    snprintf(path, sizeof(path), "%s/intake/intake.db", c.dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, blob FROM event_log ORDER BY seq", -1, &st, NULL),
                     SQLITE_OK);
    size_t total = (size_t)n * (size_t)g_submissions * EVENTS_PER_SUBMISSION;
    uint64_t *found_seq = calloc(total, sizeof(uint64_t)); //  per update: where it is in the log
    uint64_t expect = 1, progress = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        assert_int_equal(seq, expect); //  gapless
        expect++;
        Cchc__Event *ev =
            cchc__event__unpack(NULL, (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 1));
        assert_non_null(ev);
        assert_int_equal(ev->seq, seq);
        if (ev->payload_case == CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED && ev->progress_reported->note &&
            !strncmp(ev->progress_reported->note, "crash-", 6)) {
            int i, j, k;
            assert_int_equal(sscanf(ev->progress_reported->note, "crash-%d/%d/%d", &i, &j, &k), 3);
            size_t slot = ((size_t)i * (size_t)g_submissions + (size_t)j) * EVENTS_PER_SUBMISSION + (size_t)k;
            assert_true(slot < total);
            assert_int_equal(found_seq[slot], 0); //  never twice
            found_seq[slot] = seq;
            progress++;
        }
        cchc__event__free_unpacked(ev, NULL);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    //  every acknowledged update is in the log, at the seq its ack named
    assert_int_equal(progress, total);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < g_submissions * EVENTS_PER_SUBMISSION; j++) {
            size_t slot = (size_t)i * (size_t)g_submissions * EVENTS_PER_SUBMISSION + (size_t)j;
            assert_true(jobs[i].acked[j] > base);
            assert_int_equal(jobs[i].acked[j], found_seq[slot]);
        }
    fprintf(stderr,
            "crash test: %d producers, %zu updates acknowledged exactly once, %d kill -9, %llu resends, "
            "log %llu events\n",
            n, total, kills, (unsigned long long)retries, (unsigned long long)(expect - 1));
    for (int i = 0; i < n; i++)
        free(jobs[i].acked);
    free(jobs);
    free(threads);
    free(found_seq);
    cluster_destroy(&c);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    if (argc > 7) {
        g_producers = atoi(argv[6]);
        g_submissions = atoi(argv[7]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_while_200_producers_submit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
