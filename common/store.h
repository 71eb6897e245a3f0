/*  store.h - SQLite storage helpers and the writer thread.

    Every database that holds anything acknowledged or derived is opened in
    WAL mode with synchronous=FULL, a busy timeout and its schema migrated by
    PRAGMA user_version, one transaction per migration step.

    Writes never run on the event-loop thread. A cchc_writer owns one write
    connection on a dedicated thread, and a second connection on a thread of
    its own that checkpoints the WAL beside the commits (so the copy to the
    database file and its fsyncs are not on the ack path; see wal_hook in
    store.c). Jobs submitted from the loop thread are
    run in order; all jobs waiting when the writer wakes up run inside ONE
    transaction (group commit): BEGIN IMMEDIATE, each job's work, COMMIT. Each
    job's done callback runs on the loop thread only after COMMIT returned,
    with the commit status. A failed COMMIT is fatal for the data the jobs
    carried: the done callbacks get the error and the caller must not
    acknowledge anything from them.
*/
#ifndef CCHC_STORE_H
#define CCHC_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

//  Open (creating) the database at path, set WAL, synchronous=FULL,
//  busy_timeout and foreign_keys, then apply migrations[user_version ..
//  count-1], each a SQL script run in its own transaction that also bumps
//  user_version. A database newer than the code (user_version > count) is
//  refused. Returns the connection or NULL with a message in err.
sqlite3 *cchc_store_open(const char *path, const char *const *migrations, int count, char *err,
                         size_t err_size);

//  Create directory path and its parents (mkdir -p, mode 0750). Returns 0 or
//  -1 with errno set.
int cchc_store_mkdirs(const char *path);

//  Close a connection opened by cchc_store_open, finalising any statement
//  still prepared on it (so users may cache statements for the connection's
//  lifetime). Sets *db_p to NULL.
void cchc_store_close(sqlite3 **db_p);

//  Run SQL with no result rows. Returns 0 or -1 (logged).
int cchc_store_exec(sqlite3 *db, const char *sql);

//  Read / write a small key-value meta table (created by
//  CCHC_STORE_META_MIGRATION). Returns 0, 1 when the key is absent (get), -1.
int cchc_store_meta_get_int(sqlite3 *db, const char *key, int64_t *value);
int cchc_store_meta_set_int(sqlite3 *db, const char *key, int64_t value);

#define CCHC_STORE_META_MIGRATION                                                                            \
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"

// ---------------------------------------------------------------------------
//  The writer thread

typedef struct cchc_writer cchc_writer_t;

//  Runs on the writer thread inside the open transaction. Return 0, or -1 to
//  fail the whole group (it is rolled back and every job's done gets -1).
typedef int(cchc_write_fn)(sqlite3 *db, void *arg);

//  Runs on the loop thread after the group committed (status 0) or failed (-1).
typedef void(cchc_write_done_fn)(int status, void *arg);

//  Start a writer on a new thread that owns db (opened by cchc_store_open;
//  the writer closes it when destroyed) and installs its WAL hook on db. Completions are delivered on loop.
//  Returns NULL on failure.
cchc_writer_t *cchc_writer_new(uv_loop_t *loop, sqlite3 *db);

//  Queue a job; thread-safe only from the loop thread. Returns 0 or -1 if
//  the writer is stopping.
int cchc_writer_submit(cchc_writer_t *self, cchc_write_fn *work, cchc_write_done_fn *done, void *arg);

//  Jobs queued or running.
size_t cchc_writer_pending(const cchc_writer_t *self);

//  Stop accepting jobs, finish queued ones, deliver their done callbacks,
//  join the thread, close the db and the async handle. on_closed is called
//  on the loop thread when everything is released (may be NULL); the writer
//  is freed before it runs.
void cchc_writer_close(cchc_writer_t *self, void (*on_closed)(void *arg), void *arg);

//  Statistics: groups committed and jobs in them (for mean batch size).
void cchc_writer_stats(const cchc_writer_t *self, uint64_t *groups, uint64_t *jobs);

// ---------------------------------------------------------------------------
//  Timing: where a job's time goes (diagnostics, logged at stop)

//  A histogram of durations in 25 µs buckets up to ~205 ms, plus the count
//  and the maximum: cheap enough to record every job. Plain data, no
//  allocation; each histogram is written by one thread at a time.
#define CCHC_LATHIST_BUCKETS 8192
#define CCHC_LATHIST_STEP_NS 25000

typedef struct {
    uint32_t bucket[CCHC_LATHIST_BUCKETS]; //  the last bucket holds everything longer
    uint64_t count;
    int64_t max_ns;
} cchc_lathist_t;

void cchc_lathist_add(cchc_lathist_t *h, int64_t ns);

//  The q-quantile (0..1) in ms, to the bucket's upper edge; 0 when empty.
double cchc_lathist_ms(const cchc_lathist_t *h, double q);

//  Format "p50=.. p99=.. p999=.. max=.. n=.." (ms) into buf.
void cchc_lathist_format(const cchc_lathist_t *h, char *buf, size_t size);

//  CLOCK_MONOTONIC in ns.
int64_t cchc_monotonic_ns(void);

//  Per-job times in the writer: queued (submit -> its group begins), group
//  (BEGIN -> COMMIT returned; the fsync is in here), wake (COMMIT returned
//  -> the done callback runs on the loop thread). checkpoint: each WAL
//  checkpoint run by the writer's checkpointer thread beside the commits;
//  checkpoint_inline: each one run inside a COMMIT (on the ack path).
typedef struct {
    cchc_lathist_t queued, group, wake, checkpoint, checkpoint_inline;
} cchc_writer_timing_t;

#define CCHC_WAL_CHECKPOINT_PAGES 1000

//  Copy the writer's timing so far (loop thread).
void cchc_writer_timing(const cchc_writer_t *self, cchc_writer_timing_t *out);

#endif
