/*  test_intake_snapshot.c - intake's start-up snapshots.

    Intake validates every event against a model of the wards. At start it
    loads the last snapshot of that model and replays only the events after
    it. The promise: a model restored that way judges every event exactly as
    a model rebuilt from the whole log does.

    Cluster A plays part of the small ward's quarter with snapshots (at a
    clean stop only, then a tail of events and kill -9; or every 5 events,
    through kill -9 and SIGTERM). Cluster B's intake starts on a copy of A's
    database with the snapshot deleted, so it replays the whole log. Then
    both get the same probes - every kind of update, by every unit, on every
    task, with clock steps between rounds - and must answer each one
    identically: the same seq or the same error code.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "scenario.h"

static int g_argc;
static char **g_argv;

//  How the last start of intake in cluster c went: the numbers of its last
//  log_replayed line. Returns 0 or -1.
static int last_replay(const cluster_t *c, unsigned long long *snapshot_seq, unsigned long long *replayed)
{
    char path[512], line[2048];
    snprintf(path, sizeof(path), "%s/intake.log", c->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int found = -1;
    while (fgets(line, sizeof(line), f)) {
        const char *s = strstr(line, "\"snapshot_seq\":"), *r = strstr(line, "\"replayed\":");
        if (strstr(line, "\"log_replayed\"") && s && r) {
            *snapshot_seq = strtoull(s + 15, NULL, 10);
            *replayed = strtoull(r + 11, NULL, 10);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    return fclose(out);
}

typedef enum { PROBE_PROGRESS, PROBE_SUBMIT, PROBE_VERIFY_FAIL, PROBE_VERIFY_PASS, PROBE_KINDS } probe_t;

static uint64_t probe(cluster_t *c, probe_t kind, const char *unit, const char *task, int percent,
                      Cchc__ErrorCode *code)
{
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    Cchc__SubmittedForVerification s = CCHC__SUBMITTED_FOR_VERIFICATION__INIT;
    Cchc__Verified v = CCHC__VERIFIED__INIT;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = SCENARIO_WARD;
    ev.actor = (char *)unit;
    switch (kind) {
    case PROBE_PROGRESS:
        p.task = (char *)task;
        p.has_percent = p.has_outputs_done = true;
        p.percent = percent;
        p.outputs_done = 1;
        ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev.progress_reported = &p;
        break;
    case PROBE_SUBMIT:
        s.task = (char *)task;
        ev.payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
        ev.submitted = &s;
        break;
    default:
        ev.actor = strcmp(unit, "NOBODY") ? "ward" : "NOBODY"; //  the ward verifies
        v.task = (char *)task;
        v.has_passed = true;
        v.passed = kind == PROBE_VERIFY_PASS;
        ev.payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
        ev.verified = &v;
        break;
    }
    return cluster_submit(c, &ev, code);
}

//  Intake in a is stopped: start a second cluster whose intake runs on a
//  copy of a's log with the snapshot deleted (a model rebuilt from every
//  event), start a's intake again from its snapshot, and send both the same
//  probes: every kind of update, by every unit (and an unknown one), on
//  every task (and an unknown one), with clock steps between rounds. Each
//  probe must get the same answer from both. Returns the probes accepted.
static int compare_with_full_replay(cluster_t *a, const char *const *a_args, const char *clock[3])
{
    static cluster_t b;
    const char *const full_args[] = {"--snapshot_events=0", NULL};
    assert_int_equal(cluster_init(&b, g_argc, g_argv), 0);
    char from[600], to[600];
    snprintf(to, sizeof(to), "%s/intake", b.dir);
    assert_int_equal(mkdir(to, 0755), 0);
    const char *files[] = {"intake.db", "intake.db-wal"};
    for (int i = 0; i < 2; i++) {
        snprintf(from, sizeof(from), "%s/intake/%s", a->dir, files[i]);
        snprintf(to, sizeof(to), "%s/intake/%s", b.dir, files[i]);
        assert_true(copy_file(from, to) == 0 || i == 1); //  the WAL is there after kill -9 only
    }
    snprintf(to, sizeof(to), "%s/intake/intake.db", b.dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(to, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM model_record", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cluster_start(&b, SVC_INTAKE, full_args), 0);
    unsigned long long snap_seq = 1, replayed = 0;
    assert_int_equal(last_replay(&b, &snap_seq, &replayed), 0);
    assert_int_equal(snap_seq, 0);
    assert_int_equal(cluster_start(a, SVC_INTAKE, a_args), 0);
    assert_int_equal(cluster_head(a), cluster_head(&b));

    //  rounds 0-2 report, submit and fail the review of every open task;
    //  round 3 passes them
    const char *units[] = {"VP", "KT", "VHXH", "NOBODY"};
    const char *tasks[] = {"T1", "T2", "T3", "T4", "T5", "T6", "T404"};
    int probes = 0, accepted = 0, codes_seen[64] = {0};
    for (int round = 0; round < 4; round++) {
        for (size_t u = 0; u < sizeof(units) / sizeof(*units); u++)
            for (size_t t = 0; t < sizeof(tasks) / sizeof(*tasks); t++)
                for (int k = 0; k < PROBE_KINDS; k++) {
                    if (k == PROBE_VERIFY_PASS && round < 3)
                        continue;
                    int percent = round == 3 && k == 0 ? 101 : 30 + 20 * round;
                    Cchc__ErrorCode ca, cb;
                    uint64_t sa = probe(a, (probe_t)k, units[u], tasks[t], percent, &ca);
                    uint64_t sb = probe(&b, (probe_t)k, units[u], tasks[t], percent, &cb);
                    if (sa != sb || ca != cb)
                        fail_msg("probe %d (round %d, %s, %s, kind %d): snapshot intake seq %llu code %d, "
                                 "full replay seq %llu code %d",
                                 probes, round, units[u], tasks[t], k, (unsigned long long)sa, (int)ca,
                                 (unsigned long long)sb, (int)cb);
                    probes++;
                    accepted += sa != 0;
                    codes_seen[(unsigned)ca < 64 ? ca : 0]++;
                }
        if (round < 3) {
            assert_int_equal(cluster_advance(a, clock[round]), 0);
            assert_int_equal(cluster_advance(&b, clock[round]), 0);
        }
    }
    int kinds = 0;
    for (int i = 1; i < 64; i++)
        kinds += codes_seen[i] > 0;
    print_message("%d probes, %d accepted, %d kinds of refusal\n", probes, accepted, kinds);
    assert_true(kinds >= 4); //  the probes were not all alike
    assert_int_equal(cluster_head(a), cluster_head(&b));
    cluster_destroy(&b);
    return accepted;
}

//  A snapshot taken at a clean stop, then events, then kill -9: the start
//  loads the snapshot and replays the tail after it.
static void test_snapshot_plus_tail(void **state)
{
    (void)state;
    static cluster_t a;
    const char *const args[] = {"--snapshot_events=1000000", NULL}; //  only at a clean stop
    assert_int_equal(cluster_init(&a, g_argc, g_argv), 0);
    assert_int_equal(cluster_start(&a, SVC_INTAKE, args), 0);
    assert_int_equal(cluster_start(&a, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_start(&a, SVC_NOTIFY, NULL), 0);
    assert_int_equal(scenario_play(&a, g_argv[5], NULL, "15/01"), 0);
    uint64_t snapshot_head = cluster_head(&a);
    assert_int_equal(cluster_stop(&a, SVC_INTAKE), 0);
    assert_int_equal(cluster_start(&a, SVC_INTAKE, args), 0);
    unsigned long long snap_seq = 0, replayed = 1;
    assert_int_equal(last_replay(&a, &snap_seq, &replayed), 0);
    assert_int_equal(snap_seq, snapshot_head);
    assert_int_equal(replayed, 0);
    //  the tail: T5 submitted, failed, resubmitted and passed; T3's progress
    assert_int_equal(scenario_play(&a, g_argv[5], "15/01", "05/02"), 0);
    uint64_t head = cluster_head(&a);
    cluster_kill(&a, SVC_INTAKE);
    const char *clock[3] = {"06/02/2026 09:00", "01/03/2026 09:00", "20/03/2026 09:00"};
    int accepted = compare_with_full_replay(&a, args, clock);
    assert_int_equal(last_replay(&a, &snap_seq, &replayed), 0);
    assert_int_equal(snap_seq, snapshot_head);
    assert_int_equal(snap_seq + replayed, head);
    assert_true(replayed >= 5);
    assert_true(accepted >= 10);
    cluster_destroy(&a);
}

//  Periodic snapshots every 5 events through kill -9 and SIGTERM.
static void test_periodic_snapshots(void **state)
{
    (void)state;
    static cluster_t a;
    const char *const args[] = {"--snapshot_events=5", NULL};
    assert_int_equal(cluster_init(&a, g_argc, g_argv), 0);
    assert_int_equal(cluster_start(&a, SVC_INTAKE, args), 0);
    assert_int_equal(cluster_start(&a, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_start(&a, SVC_NOTIFY, NULL), 0);
    assert_int_equal(scenario_play(&a, g_argv[5], NULL, "05/02"), 0);
    uint64_t head = cluster_head(&a);
    assert_true(head > 20);
    //  kill -9: a snapshot less than 5 events behind the head, then the tail
    cluster_kill(&a, SVC_INTAKE);
    assert_int_equal(cluster_start(&a, SVC_INTAKE, args), 0);
    unsigned long long snap_seq = 0, replayed = 0;
    assert_int_equal(last_replay(&a, &snap_seq, &replayed), 0);
    assert_true(snap_seq > 0);
    assert_int_equal(snap_seq + replayed, head);
    assert_true(replayed < 5);
    assert_int_equal(scenario_play(&a, g_argv[5], "05/02", "20/02"), 0);
    head = cluster_head(&a);
    //  SIGTERM leaves a snapshot at the head: nothing to replay
    assert_int_equal(cluster_stop(&a, SVC_INTAKE), 0);
    const char *clock[3] = {"21/02/2026 09:00", "01/03/2026 09:00", "20/03/2026 09:00"};
    int accepted = compare_with_full_replay(&a, args, clock);
    assert_int_equal(last_replay(&a, &snap_seq, &replayed), 0);
    assert_int_equal(snap_seq, head);
    assert_int_equal(replayed, 0);
    assert_true(accepted >= 10);
    cluster_destroy(&a);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_plus_tail),
        cmocka_unit_test(test_periodic_snapshots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
