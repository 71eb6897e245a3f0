/*  store.c - SQLite opening, migrations, and the group-commit writer thread.

    The writer thread owns its connection. It sleeps on a condition variable
    until jobs arrive, then takes every queued job at once and runs them in
    one transaction: BEGIN IMMEDIATE, each job's work, COMMIT. Completed jobs
    go to a done queue; a uv_async_t wakes the loop thread, which calls each
    job's done callback in submission order. While one group commits, new jobs
    gather for the next: the commit rate follows the load, not the fsync rate.

    WAL checkpoints run on a checkpointer thread with a connection of its
    own, beside the commits, not inside them (wal_hook below).

    Threads: the job queues, `stopping`, `thread_done`, the checkpointer's
    flags and the statistics are shared and guarded by `lock`; the write
    connection is touched only by the writer thread once it runs, the
    checkpointer's only by its thread; everything else belongs to the loop
    thread.
*/
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

//  SQLITE_BUSY survives busy_timeout (5 s) only when another process holds
//  the write lock that long; try a few more times, then fail the group.
#define BUSY_RETRIES  3
#define BUSY_PAUSE_NS (10 * 1000000L)

// ---------------------------------------------------------------------------
//  Opening and migrations

int cchc_store_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "sqlite_exec", "error=%s sql=%.120s", msg ? msg : sqlite3_errmsg(db), sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

//  Run a PRAGMA that returns one row; copy its first column as text.
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(stmt, 0);
        snprintf(out, size, "%s", text ? (const char *)text : "");
        rc = 0;
    }
    sqlite3_finalize(stmt);
    return rc;
}

//  Report an opening failure: format into err (which may be NULL), close db.
static sqlite3 *open_failed(sqlite3 *db, char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static sqlite3 *open_failed(sqlite3 *db, char *err, size_t err_size, const char *fmt, ...)
{
    if (err && err_size > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, err_size, fmt, args);
        va_end(args);
    }
    sqlite3_close(db);
    return NULL;
}

sqlite3 *cchc_store_open(const char *path, const char *const *migrations, int count, char *err,
                         size_t err_size)
{
    assert(path && (migrations || count == 0) && count >= 0);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return open_failed(db, err, err_size, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    //  First, so that switching to WAL waits for a writer in another process.
    sqlite3_busy_timeout(db, 5000);
    //  journal_mode answers with the mode in force: "memory" for :memory:,
    //  "delete" where WAL is impossible. Anything but "wal" is refused.
    char mode[32] = "";
    if (pragma_text(db, "PRAGMA journal_mode=WAL", mode, sizeof(mode)) != 0 || strcmp(mode, "wal") != 0)
        return open_failed(db, err, err_size, "%s: cannot use WAL (journal_mode=%s: %s)", path, mode,
                           sqlite3_errmsg(db));
    if (cchc_store_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;") != 0)
        return open_failed(db, err, err_size, "%s: %s", path, sqlite3_errmsg(db));
    char version_text[32];
    if (pragma_text(db, "PRAGMA user_version", version_text, sizeof(version_text)) != 0)
        return open_failed(db, err, err_size, "%s: %s", path, sqlite3_errmsg(db));
    int version = atoi(version_text);
    if (version > count)
        return open_failed(db, err, err_size, "%s: schema version %d is newer than this program (%d)", path,
                           version, count);
    //  One transaction per step: a failed step leaves the previous version whole.
    for (int i = version; i < count; i++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version=%d;", i + 1);
        if (cchc_store_exec(db, "BEGIN IMMEDIATE") != 0 || cchc_store_exec(db, migrations[i]) != 0 ||
            cchc_store_exec(db, bump) != 0 || cchc_store_exec(db, "COMMIT") != 0) {
            char why[256];
            snprintf(why, sizeof(why), "%s", sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return open_failed(db, err, err_size, "%s: migration %d failed: %s", path, i + 1, why);
        }
        cchc_log(CCHC_INFO, "store_migrated", "path=%s version=%d", path, i + 1);
    }
    return db;
}

int cchc_store_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

void cchc_store_close(sqlite3 **db_p)
{
    assert(db_p);
    //  statements cached by the connection's users die with it
    sqlite3_stmt *stmt;
    while (*db_p && (stmt = sqlite3_next_stmt(*db_p, NULL)) != NULL)
        sqlite3_finalize(stmt);
    if (*db_p && sqlite3_close(*db_p) != SQLITE_OK)
        cchc_log(CCHC_ERROR, "store_close", "error=%s", sqlite3_errmsg(*db_p));
    *db_p = NULL;
}

int cchc_store_meta_get_int(sqlite3 *db, const char *key, int64_t *value)
{
    assert(db && key && value);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "store_meta", "key=%s error=%s", key, sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    int result = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE)
        cchc_log(CCHC_ERROR, "store_meta", "key=%s error=%s", key, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return result;
}

int cchc_store_meta_set_int(sqlite3 *db, const char *key, int64_t value)
{
    assert(db && key);
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", -1, &stmt, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, value);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : -1;
    }
    if (rc != 0)
        cchc_log(CCHC_ERROR, "store_meta", "key=%s error=%s", key, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return rc;
}

// ---------------------------------------------------------------------------
//  The writer thread

//  One submitted job, owned by the writer from submit until its done ran.
typedef struct job {
    cchc_write_fn *work;
    cchc_write_done_fn *done;
    void *arg;                                    //  the submitter's, passed through untouched
    int status;                                   //  the group's outcome, set by the writer thread
    int64_t submitted_ns, begun_ns, committed_ns; //  timing (monotonic)
    struct job *next;                             //  next in todo / group / done
} job_t;

//  A FIFO of jobs.
typedef struct {
    job_t *head, *tail;
} queue_t;

struct cchc_writer {
    uv_loop_t *loop;
    sqlite3 *db; //  owned, used only by the thread
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    queue_t todo;                //  submitted, not yet taken (lock)
    queue_t done;                //  committed or failed, not yet reported (lock)
    size_t pending;              //  submitted and not yet reported (loop thread)
    bool stopping;               //  no new jobs; the thread exits once todo is empty (lock)
    bool thread_done;            //  the thread has left its loop (lock)
    bool closing;                //  the async handle is being closed (loop thread)
    uv_async_t async;            //  wakes the loop for done jobs
    uint64_t groups, jobs;       //  committed groups and the jobs in them (lock)
    cchc_writer_timing_t timing; //  queued and group: lock; wake: loop thread
    //  The checkpointer: its own connection and thread (see wal_hook).
    sqlite3 *ckpt_db;         //  owned, used only by the checkpointer thread; NULL: none
    pthread_t ckpt_thread;    //  runs when ckpt_db is set
    pthread_cond_t ckpt_wake; //  with lock
    bool ckpt_requested;      //  (lock)
    bool ckpt_stopping;       //  (lock)
    int ckpt_frames;          //  WAL frames backfilled by its last run (lock)
    int ckpt_asked;           //  the WAL's length when the last run was asked for (lock)
    void (*on_closed)(void *arg);
    void *closed_arg;
};

static void queue_push(queue_t *q, job_t *job)
{
    job->next = NULL;
    if (q->tail)
        q->tail->next = job;
    else
        q->head = job;
    q->tail = job;
}

static job_t *queue_take_all(queue_t *q)
{
    job_t *all = q->head;
    q->head = q->tail = NULL;
    return all;
}

//  Run sql (BEGIN IMMEDIATE or COMMIT), retrying a bounded number of times
//  while the database is busy. Returns the last SQLite result code.
static int exec_retrying_busy(sqlite3 *db, const char *sql)
{
    int rc = SQLITE_BUSY;
    for (int attempt = 0; attempt <= BUSY_RETRIES; attempt++) {
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_BUSY)
            break;
        cchc_log(CCHC_WARN, "writer_busy", "sql=%s attempt=%d", sql, attempt + 1);
        struct timespec pause = {0, BUSY_PAUSE_NS};
        nanosleep(&pause, NULL);
    }
    return rc;
}

//  Run BEGIN IMMEDIATE, every job's work and COMMIT on the writer thread.
//  Returns 0 when the group committed, -1 when it was rolled back.
static int run_group(cchc_writer_t *self, job_t *group, size_t count)
{
    if (exec_retrying_busy(self->db, "BEGIN IMMEDIATE") != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "writer_begin", "jobs=%zu error=%s", count, sqlite3_errmsg(self->db));
        return -1;
    }
    int status = 0;
    for (job_t *j = group; j && status == 0; j = j->next)
        if (j->work && j->work(self->db, j->arg) != 0) {
            cchc_log(CCHC_WARN, "writer_job_failed", "jobs=%zu", count);
            status = -1;
        }
    if (status == 0 && exec_retrying_busy(self->db, "COMMIT") != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "writer_commit", "jobs=%zu error=%s", count, sqlite3_errmsg(self->db));
        status = -1;
    }
    //  May fail harmlessly when SQLite already rolled back (e.g. on SQLITE_FULL).
    if (status != 0)
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

static void *writer_main(void *arg)
{
    cchc_writer_t *self = arg;
    prctl(PR_SET_NAME, "cchc-writer", 0, 0, 0); //  names this thread, for top, perf and schedstat
    pthread_mutex_lock(&self->lock);
    for (;;) {
        while (!self->todo.head && !self->stopping)
            pthread_cond_wait(&self->wake, &self->lock);
        job_t *group = queue_take_all(&self->todo);
        if (!group && self->stopping)
            break;
        pthread_mutex_unlock(&self->lock);

        size_t count = 0;
        int64_t begun = cchc_monotonic_ns();
        for (job_t *j = group; j; j = j->next)
            count++;
        int status = run_group(self, group, count);
        int64_t committed = cchc_monotonic_ns();
        for (job_t *j = group; j; j = j->next) {
            j->status = status;
            j->begun_ns = begun;
            j->committed_ns = committed;
        }

        pthread_mutex_lock(&self->lock);
        if (status == 0) {
            self->groups++;
            self->jobs += count;
        }
        cchc_lathist_add(&self->timing.group, committed - begun);
        for (job_t *j = group; j; j = j->next)
            cchc_lathist_add(&self->timing.queued, begun - j->submitted_ns);
        while (group) {
            job_t *next = group->next;
            queue_push(&self->done, group);
            group = next;
        }
        uv_async_send(&self->async);
    }
    self->thread_done = true;
    pthread_mutex_unlock(&self->lock);
    uv_async_send(&self->async);
    return NULL;
}

//  A PASSIVE checkpoint on db, timed into h. Returns the WAL's frames
//  backfilled, or -1.
static int checkpoint_timed(cchc_writer_t *self, sqlite3 *db, cchc_lathist_t *h)
{
    int log = 0, backfilled = 0;
    int64_t t0 = cchc_monotonic_ns();
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &backfilled);
    int64_t took = cchc_monotonic_ns() - t0;
    pthread_mutex_lock(&self->lock);
    cchc_lathist_add(h, took);
    pthread_mutex_unlock(&self->lock);
    return rc == SQLITE_OK ? backfilled : -1;
}

//  The writer connection's WAL hook, in place of SQLite's automatic
//  checkpoint (which would run the checkpoint inside the COMMIT that
//  crossed 1,000 pages: writing those pages to the database file and two
//  fsyncs, 1-9 ms measured, charged to the acks of that group and of every
//  job queued behind it). Here a checkpointer thread with its own
//  connection copies the WAL to the database while the writer goes on
//  committing (a PASSIVE checkpoint takes no lock a writer needs).
//  The WAL restarts from its beginning only when a write transaction begins
//  with every frame copied, which a busy writer may rarely see while the
//  checkpointer runs beside it; so once the WAL is CCHC_WAL_INLINE_FACTOR
//  times the threshold, the writer copies the remainder itself, inline, as
//  SQLite would (cheap then: the checkpointer already copied most of it),
//  and the next transaction restarts the WAL. So the WAL file grows to about
//  four times the threshold (~16 MB with 4 KB pages) instead of once.
//  Without a checkpointer (no file name) every checkpoint is inline, as
//  SQLite's own.
#define CCHC_WAL_INLINE_FACTOR 4

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)name;
    cchc_writer_t *self = arg;
    pthread_mutex_lock(&self->lock);
    //  frames copied or being copied: the last run's, or the WAL's length
    //  when the last run was asked for (0 once the WAL restarted)
    int covered = self->ckpt_frames > self->ckpt_asked ? self->ckpt_frames : self->ckpt_asked;
    if (covered > pages)
        covered = self->ckpt_frames = self->ckpt_asked = 0;
    bool inline_now = !self->ckpt_db || pages >= CCHC_WAL_CHECKPOINT_PAGES * CCHC_WAL_INLINE_FACTOR;
    if (!inline_now && pages - covered >= CCHC_WAL_CHECKPOINT_PAGES && !self->ckpt_requested) {
        self->ckpt_requested = true;
        self->ckpt_asked = pages;
        pthread_cond_signal(&self->ckpt_wake);
    }
    pthread_mutex_unlock(&self->lock);
    if (inline_now && pages >= CCHC_WAL_CHECKPOINT_PAGES)
        checkpoint_timed(self, db, &self->timing.checkpoint_inline);
    return SQLITE_OK; //  a checkpoint that could not finish is retried later
}

static void *checkpointer_main(void *arg)
{
    cchc_writer_t *self = arg;
    prctl(PR_SET_NAME, "cchc-checkpoint", 0, 0, 0);
    pthread_mutex_lock(&self->lock);
    for (;;) {
        while (!self->ckpt_requested && !self->ckpt_stopping)
            pthread_cond_wait(&self->ckpt_wake, &self->lock);
        if (self->ckpt_stopping)
            break;
        self->ckpt_requested = false;
        pthread_mutex_unlock(&self->lock);
        int backfilled = checkpoint_timed(self, self->ckpt_db, &self->timing.checkpoint);
        pthread_mutex_lock(&self->lock);
        if (backfilled >= 0)
            self->ckpt_frames = backfilled;
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

//  Open the checkpointer's connection to the writer's database and start
//  its thread. On failure there is none, and checkpoints run inline.
static void checkpointer_start(cchc_writer_t *self)
{
    const char *path = sqlite3_db_filename(self->db, "main");
    sqlite3 *db = NULL;
    if (!path || !*path || pthread_cond_init(&self->ckpt_wake, NULL) != 0)
        return;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        cchc_store_exec(db, "PRAGMA synchronous=FULL") != 0) {
        cchc_log(CCHC_WARN, "checkpointer_open", "path=%s error=%s", path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        pthread_cond_destroy(&self->ckpt_wake);
        return;
    }
    sqlite3_busy_timeout(db, 5000);
    self->ckpt_db = db;
    if (pthread_create(&self->ckpt_thread, NULL, checkpointer_main, self) != 0) {
        self->ckpt_db = NULL;
        sqlite3_close(db);
        pthread_cond_destroy(&self->ckpt_wake);
    }
}

//  Stop the checkpointer and close its connection (after the writer's
//  thread ended, before the writer's connection closes).
static void checkpointer_stop(cchc_writer_t *self)
{
    if (!self->ckpt_db)
        return;
    pthread_mutex_lock(&self->lock);
    self->ckpt_stopping = true;
    pthread_cond_signal(&self->ckpt_wake);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->ckpt_thread, NULL);
    sqlite3_close(self->ckpt_db);
    self->ckpt_db = NULL;
    pthread_cond_destroy(&self->ckpt_wake);
}

//  Close callback of the async handle: the last thing the writer owns.
static void writer_free(uv_handle_t *handle)
{
    cchc_writer_t *self = handle->data;
    void (*cb)(void *) = self->on_closed;
    void *arg = self->closed_arg;
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->wake);
    free(self);
    if (cb)
        cb(arg);
}

//  On the loop thread: report done jobs; finish closing once the thread ended.
static void on_async(uv_async_t *handle)
{
    cchc_writer_t *self = handle->data;
    pthread_mutex_lock(&self->lock);
    job_t *done = queue_take_all(&self->done);
    bool finished = self->thread_done;
    pthread_mutex_unlock(&self->lock);
    int64_t now = cchc_monotonic_ns();
    while (done) {
        job_t *next = done->next;
        self->pending--;
        cchc_lathist_add(&self->timing.wake, now - done->committed_ns);
        if (done->done)
            done->done(done->status, done->arg);
        free(done);
        done = next;
    }
    //  thread_done is set only after stopping, and the thread does nothing
    //  but signal us after it: joining cannot block for long.
    if (finished && !self->closing) {
        self->closing = true;
        pthread_join(self->thread, NULL);
        checkpointer_stop(self);
        cchc_store_close(&self->db);
        uv_close((uv_handle_t *)&self->async, writer_free);
    }
}

cchc_writer_t *cchc_writer_new(uv_loop_t *loop, sqlite3 *db)
{
    assert(loop && db);
    cchc_writer_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->loop = loop;
    self->db = db;
    if (pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self);
        return NULL;
    }
    if (pthread_cond_init(&self->wake, NULL) != 0 || uv_async_init(loop, &self->async, on_async) != 0) {
        pthread_cond_destroy(&self->wake); //  harmless on a failed init
        pthread_mutex_destroy(&self->lock);
        free(self);
        return NULL;
    }
    self->async.data = self;
    checkpointer_start(self);
    sqlite3_wal_hook(db, wal_hook, self);
    int rc = pthread_create(&self->thread, NULL, writer_main, self);
    if (rc != 0) {
        cchc_log(CCHC_ERROR, "writer_thread", "error=%s", strerror(rc));
        sqlite3_wal_hook(db, NULL, NULL); //  the caller keeps db, without our hook
        checkpointer_stop(self);
        //  No thread: self goes with the async handle; the caller keeps db.
        self->db = NULL;
        self->closing = true;
        uv_close((uv_handle_t *)&self->async, writer_free);
        return NULL;
    }
    return self;
}

int cchc_writer_submit(cchc_writer_t *self, cchc_write_fn *work, cchc_write_done_fn *done, void *arg)
{
    assert(self);
    job_t *job = calloc(1, sizeof(*job));
    if (!job)
        return -1;
    job->work = work;
    job->done = done;
    job->arg = arg;
    job->submitted_ns = cchc_monotonic_ns();
    pthread_mutex_lock(&self->lock);
    if (self->stopping) {
        pthread_mutex_unlock(&self->lock);
        free(job);
        return -1;
    }
    queue_push(&self->todo, job);
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    self->pending++;
    return 0;
}

size_t cchc_writer_pending(const cchc_writer_t *self)
{
    assert(self);
    return self->pending;
}

void cchc_writer_close(cchc_writer_t *self, void (*on_closed)(void *arg), void *arg)
{
    assert(self && !self->stopping); //  stopping is written only here, on this thread
    self->on_closed = on_closed;
    self->closed_arg = arg;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    //  the thread finishes the queue, then on_async joins it and closes.
}

void cchc_writer_stats(const cchc_writer_t *self, uint64_t *groups, uint64_t *jobs)
{
    assert(self && groups && jobs);
    pthread_mutex_lock((pthread_mutex_t *)&self->lock);
    *groups = self->groups;
    *jobs = self->jobs;
    pthread_mutex_unlock((pthread_mutex_t *)&self->lock);
}

void cchc_writer_timing(const cchc_writer_t *self, cchc_writer_timing_t *out)
{
    assert(self && out);
    pthread_mutex_lock((pthread_mutex_t *)&self->lock);
    *out = self->timing;
    pthread_mutex_unlock((pthread_mutex_t *)&self->lock);
}

// ---------------------------------------------------------------------------
//  Timing histograms

int64_t cchc_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void cchc_lathist_add(cchc_lathist_t *h, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    int64_t b = ns / CCHC_LATHIST_STEP_NS;
    h->bucket[b < CCHC_LATHIST_BUCKETS ? b : CCHC_LATHIST_BUCKETS - 1]++;
    h->count++;
    if (ns > h->max_ns)
        h->max_ns = ns;
}

double cchc_lathist_ms(const cchc_lathist_t *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1, seen = 0;
    for (int b = 0; b < CCHC_LATHIST_BUCKETS - 1; b++) {
        seen += h->bucket[b];
        if (seen >= rank)
            return (double)(b + 1) * CCHC_LATHIST_STEP_NS / 1e6;
    }
    return (double)h->max_ns / 1e6; //  in the overflow bucket
}

void cchc_lathist_format(const cchc_lathist_t *h, char *buf, size_t size)
{
    snprintf(buf, size, "p50=%.3f p99=%.3f p999=%.3f max=%.3f n=%llu", cchc_lathist_ms(h, 0.5),
             cchc_lathist_ms(h, 0.99), cchc_lathist_ms(h, 0.999), (double)h->max_ns / 1e6,
             (unsigned long long)h->count);
}
