/*  test_store.c - migrations by user_version, WAL, and the group-commit
    writer: done only after commit, a failing job rolls back its group. */
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

static const char *const migrations[] = {
    "CREATE TABLE a (x INTEGER);",
    "CREATE TABLE b (y INTEGER);",
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
    assert_int_equal(scalar(db, "SELECT count(*) FROM c"), 0);
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
    db = cchc_store_open(g_path, migrations, 3, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(scalar(db, "PRAGMA user_version"), 3);
    cchc_store_close(&db);
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
    uint64_t groups, jobs; //  the writer's stats, read just before it closes
    cchc_writer_t *writer;
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

static int blocker_write(sqlite3 *db, void *arg)
{
    (void)db;
    job_t *j = arg;
    sem_wait(&j->f->release);
    return 0;
}

static void job_done(int status, void *arg)
{
    job_t *j = arg;
    writer_fixture_t *f = j->f;
    f->done++;
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
    if (f->done == f->total) {
        cchc_writer_stats(f->writer, &f->groups, &f->jobs);
        cchc_writer_close(f->writer, NULL, NULL);
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

static void test_writer_group_commit(void **state)
{
    (void)state;
    char err[256];
    sqlite3 *db = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    writer_fixture_t f = {0};
    f.reader = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    assert_non_null(db);
    assert_non_null(f.reader);
    uv_loop_t loop;
    uv_loop_init(&loop);
    f.writer = cchc_writer_new(&loop, db);
    assert_non_null(f.writer);
    f.total = 1000;
    for (int i = 1; i <= 1000; i++)
        submit(&f, job_write, i, 0);
    uv_run(&loop, UV_RUN_DEFAULT); //  ends when the writer closed itself
    assert_int_equal(f.ok, 1000);
    assert_int_equal(f.visible_at_done, 1000);
    assert_int_equal(scalar(f.reader, "SELECT count(*) FROM a"), 1000);
    assert_int_equal(uv_loop_close(&loop), 0);
    cchc_store_close(&f.reader);
}

static void test_writer_stats_and_failure(void **state)
{
    (void)state;
    char err[256];
    sqlite3 *db = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    writer_fixture_t f = {0};
    f.reader = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    sem_init(&f.release, 0, 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    f.writer = cchc_writer_new(&loop, db);
    f.total = 4;
    //  the blocker holds the writer; the three jobs queue behind it and
    //  commit as ONE group, which the failing job rolls back whole
    submit(&f, blocker_write, 0, 0);
    usleep(20000);
    submit(&f, job_write, 5001, 0);
    submit(&f, job_write, 5002, 1);
    submit(&f, job_write, 5003, 0);
    assert_int_equal(cchc_writer_pending(f.writer), 4);
    sem_post(&f.release);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(f.ok, 1); //  the blocker
    assert_int_equal(f.failed, 3);
    assert_int_equal(scalar(f.reader, "SELECT count(*) FROM a WHERE x > 5000"), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
    cchc_store_close(&f.reader);
    sem_destroy(&f.release);

    //  group commit: jobs queued during one commit share the next
    db = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    writer_fixture_t g = {0};
    g.reader = cchc_store_open(g_path, migrations, 1, err, sizeof(err));
    sem_init(&g.release, 0, 0);
    uv_loop_init(&loop);
    g.writer = cchc_writer_new(&loop, db);
    g.total = 101;
    submit(&g, blocker_write, 0, 0);
    usleep(20000);
    for (int i = 0; i < 100; i++)
        submit(&g, job_write, 6000 + i, 0);
    sem_post(&g.release);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(g.ok, 101);
    assert_int_equal(g.jobs, 101);
    assert_int_equal(g.groups, 2); //  the blocker, then the 100 together
    assert_int_equal(uv_loop_close(&loop), 0);
    cchc_store_close(&g.reader);
    sem_destroy(&g.release);
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
        cmocka_unit_test_setup_teardown(test_writer_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_stats_and_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
