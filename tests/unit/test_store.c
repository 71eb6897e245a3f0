/*  test_store.c - migrations by user_version, WAL, and the group-commit
    writer: done only after commit (seen from a second connection), on the
    loop thread; a failing job rolls back its group; jobs queued together
    commit together; close drains the queue and leaves the loop empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

static char g_dir[64], g_path[96];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/cchc-test-store-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    snprintf(g_path, sizeof(g_path), "%s/t.db", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

//  Step 2 inserts a row: running it twice would show as two rows.
static const char *const migrations[] = {
    "CREATE TABLE a (x INTEGER);",
    "CREATE TABLE b (y INTEGER); INSERT INTO b (y) VALUES (1);",
    "CREATE TABLE c (z INTEGER);",
};

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

//  The same through a fresh plain connection: what is durable on disk.
static int64_t scalar_on(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    int64_t v = scalar(db, sql);
    sqlite3_close(db);
    return v;
}

static void test_migrations(void **state)
{
    (void)state;
    char err[256];
    sqlite3 *db = cchc_store_open(g_path, migrations, 2, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(scalar(db, "PRAGMA user_version"), 2);
    assert_int_equal(scalar(db, "PRAGMA synchronous"), 2); //  FULL
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    cchc_store_close(&db);
    assert_null(db);
    //  reopening runs nothing again (CREATE TABLE a would fail), a new step runs once
    db = cchc_store_open(g_path, migrations, 3, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(scalar(db, "PRAGMA user_version"), 3);
    assert_int_equal(scalar(db, "SELECT count(*) FROM b"), 1);
    assert_int_equal(scalar(db, "SELECT count(*) FROM c"), 0);
    assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(scalar(db, "PRAGMA busy_timeout"), 5000);
    cchc_store_close(&db);
    db = cchc_store_open(g_path, migrations, 3, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(scalar(db, "SELECT count(*) FROM b"), 1); //  not run again
    cchc_store_close(&db);
    //  a database newer than the program is refused
    db = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    assert_null(db);
    assert_non_null(strstr(err, "newer"));
    //  a failing step leaves the version where it was
    const char *broken[] = {"CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER);",
                            "CREATE TABLE c (z INTEGER);", "THIS IS NOT SQL;"};
    db = cchc_store_open(g_path, broken, 4, err, sizeof(err));
    assert_null(db);
    assert_non_null(strstr(err, "migration 4"));
    db = cchc_store_open(g_path, migrations, 3, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(scalar(db, "PRAGMA user_version"), 3);
    cchc_store_close(&db);
}

//  A database that cannot be in WAL mode is refused, not silently used.
static void test_wal_required(void **state)
{
    (void)state;
    char err[256] = "";
    sqlite3 *db = cchc_store_open(":memory:", migrations, 1, err, sizeof(err));
    assert_null(db);
    assert_non_null(strstr(err, "WAL"));
}

static void test_meta(void **state)
{
    (void)state;
    char err[256];
    const char *m[] = {CCHC_STORE_META_MIGRATION};
    sqlite3 *db = cchc_store_open(g_path, m, 1, err, sizeof(err));
    assert_non_null(db);
    int64_t v = 0;
    assert_int_equal(cchc_store_meta_get_int(db, "last_seq", &v), 1);
    assert_int_equal(cchc_store_meta_set_int(db, "last_seq", 42), 0);
    assert_int_equal(cchc_store_meta_get_int(db, "last_seq", &v), 0);
    assert_int_equal(v, 42);
    cchc_store_close(&db);
}

// ---------------------------------------------------------------------------
//  The writer

typedef struct {
    sqlite3 *reader;
    int done, ok, failed, visible_at_done;
    int total;
    int off_loop_thread;   //  done callbacks run on another thread (must stay 0)
    int out_of_order;      //  done callbacks out of submission order (must stay 0)
    int last_value;        //  value of the last job reported
    int closed;            //  on_closed calls
    bool close_on_last;    //  close the writer from the last done callback
    pthread_t loop_thread; //  the thread running the loop
    uint64_t groups, jobs; //  the writer's stats, read just before it closes
    cchc_writer_t *writer;
    sem_t started; //  posted by the blocker job once it runs
    sem_t release; //  holds the blocker job
} writer_fixture_t;

typedef struct {
    writer_fixture_t *f;
    int value;
    int fail;
} job_t;

static int job_write(sqlite3 *db, void *arg)
{
    job_t *j = arg;
    if (j->fail)
        return -1;
    char sql[64];
    snprintf(sql, sizeof(sql), "INSERT INTO a (x) VALUES (%d)", j->value);
    return cchc_store_exec(db, sql);
}

//  Holds the writer thread inside its transaction until released.
static int blocker_write(sqlite3 *db, void *arg)
{
    (void)db;
    job_t *j = arg;
    sem_post(&j->f->started);
    sem_wait(&j->f->release);
    return 0;
}

//  For a job that must never be accepted.
static int job_write_never(sqlite3 *db, void *arg)
{
    (void)db;
    (*(int *)arg)++;
    return -1;
}

static void job_done_never(int status, void *arg)
{
    (void)status;
    (*(int *)arg)++;
}

static void writer_closed(void *arg)
{
    ((writer_fixture_t *)arg)->closed++;
}

static void job_done(int status, void *arg)
{
    job_t *j = arg;
    writer_fixture_t *f = j->f;
    f->done++;
    if (!pthread_equal(pthread_self(), f->loop_thread))
        f->off_loop_thread++;
    if (j->value < f->last_value)
        f->out_of_order++;
    f->last_value = j->value;
    if (status == 0) {
        f->ok++;
        char sql[64];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM a WHERE x = %d", j->value);
        //  committed before done: a second connection already sees the row
        if (j->value > 0 && scalar(f->reader, sql) == 1)
            f->visible_at_done++;
    } else {
        f->failed++;
    }
    if (f->done == f->total && f->close_on_last) {
        cchc_writer_stats(f->writer, &f->groups, &f->jobs);
        cchc_writer_close(f->writer, writer_closed, f);
    }
    free(j);
}

static void submit(writer_fixture_t *f, cchc_write_fn *fn, int value, int fail)
{
    job_t *j = calloc(1, sizeof(*j));
    j->f = f;
    j->value = value;
    j->fail = fail;
    assert_int_equal(cchc_writer_submit(f->writer, fn, job_done, j), 0);
}

//  Open the database and a second, reading connection; start a writer.
static void writer_fixture_init(writer_fixture_t *f, uv_loop_t *loop)
{
    char err[256];
    sqlite3 *db = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    assert_non_null(db);
    f->reader = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    assert_non_null(f->reader);
    assert_int_equal(sem_init(&f->started, 0, 0), 0);
    assert_int_equal(sem_init(&f->release, 0, 0), 0);
    f->loop_thread = pthread_self();
    assert_int_equal(uv_loop_init(loop), 0);
    f->writer = cchc_writer_new(loop, db); //  owns db from here
    assert_non_null(f->writer);
}

//  Run the loop to its end (the writer closed) and prove nothing is left.
static void writer_fixture_finish(writer_fixture_t *f, uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(f->closed, 1);
    assert_int_equal(f->done, f->total);
    assert_int_equal(f->off_loop_thread, 0);
    assert_int_equal(f->out_of_order, 0);
    assert_int_equal(uv_loop_close(loop), 0);
    cchc_store_close(&f->reader);
    sem_destroy(&f->started);
    sem_destroy(&f->release);
}

//  1,000 jobs submitted in a burst: all commit, each done sees its row from
//  another connection, and they share fewer commits than jobs.
static void test_writer_group_commit(void **state)
{
    (void)state;
    writer_fixture_t f = {.total = 1000, .close_on_last = true};
    uv_loop_t loop;
    writer_fixture_init(&f, &loop);
    for (int i = 1; i <= 1000; i++)
        submit(&f, job_write, i, 0);
    assert_int_equal(cchc_writer_pending(f.writer), 1000);
    writer_fixture_finish(&f, &loop);
    assert_int_equal(f.ok, 1000);
    assert_int_equal(f.visible_at_done, 1000);
    assert_int_equal(scalar_on(g_path, "SELECT count(*) FROM a"), 1000);
    assert_int_equal(f.jobs, 1000);
    assert_true(f.groups >= 1 && f.groups < f.jobs);
    print_message("1000 jobs committed in %llu groups\n", (unsigned long long)f.groups);
}

//  The blocker holds the writer; three jobs queue behind it and run as ONE
//  group, which the failing one rolls back whole: no row, every done -1.
static void test_writer_failure_rolls_back_group(void **state)
{
    (void)state;
    writer_fixture_t f = {.total = 4, .close_on_last = true};
    uv_loop_t loop;
    writer_fixture_init(&f, &loop);
    submit(&f, blocker_write, 0, 0);
    sem_wait(&f.started); //  the blocker's group is under way
    submit(&f, job_write, 5001, 0);
    submit(&f, job_write, 5002, 1);
    submit(&f, job_write, 5003, 0);
    assert_int_equal(cchc_writer_pending(f.writer), 4);
    sem_post(&f.release);
    writer_fixture_finish(&f, &loop);
    assert_int_equal(f.ok, 1); //  the blocker
    assert_int_equal(f.failed, 3);
    assert_int_equal(scalar_on(g_path, "SELECT count(*) FROM a WHERE x > 5000"), 0);
    assert_int_equal(f.groups, 1); //  the failed group is not counted
    assert_int_equal(f.jobs, 1);
}

//  Jobs queued while one group commits all go into the next group.
static void test_writer_groups_queued_jobs(void **state)
{
    (void)state;
    writer_fixture_t f = {.total = 101, .close_on_last = true};
    uv_loop_t loop;
    writer_fixture_init(&f, &loop);
    submit(&f, blocker_write, 0, 0);
    sem_wait(&f.started);
    for (int i = 0; i < 100; i++)
        submit(&f, job_write, 6000 + i, 0);
    sem_post(&f.release);
    writer_fixture_finish(&f, &loop);
    assert_int_equal(f.ok, 101);
    assert_int_equal(f.jobs, 101);
    assert_int_equal(f.groups, 2); //  the blocker, then the 100 together
}

//  Close with jobs still queued: they commit and report before the writer
//  goes; a submit after close is refused.
static void test_writer_close_drains_queue(void **state)
{
    (void)state;
    writer_fixture_t f = {.total = 200};
    uv_loop_t loop;
    writer_fixture_init(&f, &loop);
    submit(&f, blocker_write, 0, 0);
    sem_wait(&f.started); //  the rest stays queued until released
    for (int i = 1; i < 200; i++)
        submit(&f, job_write, 7000 + i, 0);
    cchc_writer_close(f.writer, writer_closed, &f);
    int ignored = 0;
    assert_int_equal(cchc_writer_submit(f.writer, job_write_never, job_done_never, &ignored), -1);
    sem_post(&f.release);
    writer_fixture_finish(&f, &loop);
    assert_int_equal(f.ok, 200);
    assert_int_equal(f.visible_at_done, 199);
    assert_int_equal(scalar_on(g_path, "SELECT count(*) FROM a WHERE x > 7000"), 199);
    assert_int_equal(ignored, 0);
}

//  Checkpoints run beside the commits: 800 commits of 64 KiB each (about
//  13,000 WAL pages written) leave a WAL file that stays bounded, and the
//  checkpointer thread (not the COMMIT) did checkpoints.
typedef struct {
    cchc_writer_t *writer;
    int left, failed, closed;
    int64_t max_wal;
    cchc_writer_timing_t timing;
} ckpt_fixture_t;

static int big_write(sqlite3 *db, void *arg)
{
    (void)arg;
    return cchc_store_exec(db, "CREATE TABLE IF NOT EXISTS big (b BLOB);"
                               " INSERT INTO big (b) VALUES (randomblob(65536));");
}

static void ckpt_closed(void *arg)
{
    ((ckpt_fixture_t *)arg)->closed++;
}

static void big_done(int status, void *arg)
{
    ckpt_fixture_t *f = arg;
    f->failed += status != 0;
    char wal[128];
    snprintf(wal, sizeof(wal), "%s-wal", g_path);
    struct stat st;
    if (stat(wal, &st) == 0 && st.st_size > f->max_wal)
        f->max_wal = st.st_size;
    if (--f->left > 0) {
        assert_int_equal(cchc_writer_submit(f->writer, big_write, big_done, f), 0);
        return;
    }
    cchc_writer_timing(f->writer, &f->timing);
    cchc_writer_close(f->writer, ckpt_closed, f);
}

static void test_writer_checkpoints_beside_commits(void **state)
{
    (void)state;
    static ckpt_fixture_t f; //  static: the timing histograms are large
    memset(&f, 0, sizeof(f));
    f.left = 800;
    char err[256];
    sqlite3 *db = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    assert_non_null(db);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    f.writer = cchc_writer_new(&loop, db);
    assert_non_null(f.writer);
    assert_int_equal(cchc_writer_submit(f.writer, big_write, big_done, &f), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(f.closed, 1);
    assert_int_equal(f.failed, 0);
    assert_int_equal(scalar_on(g_path, "SELECT count(*) FROM big"), 800);
    //  Bounded: at most a few checkpoint intervals of 4 KiB pages (with
    //  their 24-byte frame headers), far below the ~53 MB written.
    int64_t bound = (int64_t)CCHC_WAL_CHECKPOINT_PAGES * 5 * (4096 + 24);
    print_message("max WAL %lld bytes (bound %lld); %llu checkpoints beside, %llu inline\n",
                  (long long)f.max_wal, (long long)bound, (unsigned long long)f.timing.checkpoint.count,
                  (unsigned long long)f.timing.checkpoint_inline.count);
    assert_true(f.max_wal > 0);
    assert_true(f.max_wal <= bound);
    assert_true(f.timing.checkpoint.count > 0);
}

static void test_mkdirs(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/x/y/z", g_dir);
    assert_int_equal(cchc_store_mkdirs(path), 0);
    assert_int_equal(access(path, W_OK), 0);
    assert_int_equal(cchc_store_mkdirs(path), 0); //  exists already: fine
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_failure_rolls_back_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_groups_queued_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_close_drains_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_checkpoints_beside_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
