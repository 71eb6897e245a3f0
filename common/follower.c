/*  follower.c - see follower.h. */
#include "follower.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define MAX_MIGRATIONS 32

struct cchc_follower {
    uv_loop_t *loop;
    cchc_follower_opts_t opts;
    cchc_model_t *model;       //  owned
    sqlite3 *reader;           //  owned, loop thread
    cchc_writer_t *writer;     //  owned; owns the write connection
    cchc_consumer_t *consumer; //  owned
    cchc_record_set_t records; //  the batch being committed
    uint64_t batch_seq;        //  last seq of the batch being committed
    uint64_t committed_seq;    //  last seq of the last committed batch
    void (*on_closed)(void *arg);
    void *closed_arg;
};

static int batch_write(sqlite3 *db, void *arg)
{
    cchc_follower_t *self = arg;
    if (cchc_record_set_save(&self->records, db) != 0)
        return -1;
    return self->opts.write ? self->opts.write(db, self->opts.arg) : 0;
}

static void batch_committed(int status, void *arg)
{
    cchc_follower_t *self = arg;
    cchc_record_set_clear(&self->records);
    if (status != 0) {
        cchc_log(CCHC_ERROR, "commit_failed_fatal", "last_seq=%llu",
                 (unsigned long long)cchc_model_last_seq(self->model));
        fflush(stderr);
        _exit(3);
    }
    self->committed_seq = self->batch_seq;
    if (self->opts.committed)
        self->opts.committed(self->opts.arg);
    if (self->consumer) //  NULL once closed: nothing more to fetch
        cchc_consumer_resume(self->consumer);
}

static void on_batch(cchc_consumer_t *consumer, Cchc__Event **events, size_t n, void *arg)
{
    (void)consumer;
    cchc_follower_t *self = arg;
    for (size_t i = 0; i < n; i++) {
        cchc_touch_t touch;
        if (self->opts.before_event)
            self->opts.before_event(self->opts.arg, events[i]);
        cchc_model_apply(self->model, events[i], &touch);
        if (self->opts.on_event)
            self->opts.on_event(self->opts.arg, events[i], &touch);
    }
    if (self->opts.on_batch)
        self->opts.on_batch(self->opts.arg);
    cchc_model_take_dirty(self->model, &self->records);
    self->batch_seq = cchc_model_last_seq(self->model);
    if (cchc_writer_submit(self->writer, batch_write, batch_committed, self) != 0) {
        cchc_log(CCHC_ERROR, "writer_refused", "events=%zu", n);
        fflush(stderr);
        _exit(3);
    }
}

cchc_follower_t *cchc_follower_new(uv_loop_t *loop, void *zctx, const cchc_follower_opts_t *opts, char *err,
                                   size_t err_size)
{
    assert(opts->migration_count + 2 <= MAX_MIGRATIONS);
    const char *migrations[MAX_MIGRATIONS] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION};
    for (int i = 0; i < opts->migration_count; i++)
        migrations[2 + i] = opts->migrations[i];
    int count = 2 + opts->migration_count;

    cchc_follower_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    self->loop = loop;
    self->opts = *opts;
    self->model = cchc_model_new();
    sqlite3 *wdb = cchc_store_open(opts->db_path, migrations, count, err, err_size);
    if (wdb)
        self->reader = cchc_store_open(opts->db_path, migrations, count, err, err_size);
    if (!wdb || !self->reader || cchc_model_load(self->model, self->reader) != 0) {
        if (wdb && self->reader)
            snprintf(err, err_size, "%s: cannot load the model", opts->db_path);
        cchc_store_close(&wdb);
        cchc_store_close(&self->reader);
        cchc_model_destroy(&self->model);
        free(self);
        return NULL;
    }
    self->committed_seq = self->batch_seq = cchc_model_last_seq(self->model);
    self->writer = cchc_writer_new(loop, wdb);
    cchc_consumer_opts_t copts = opts->consumer;
    copts.next_seq = cchc_model_last_seq(self->model) + 1;
    if (self->writer)
        self->consumer = cchc_consumer_new(loop, zctx, &copts, on_batch, self);
    if (!self->writer || !self->consumer) {
        snprintf(err, err_size, "cannot start the writer or the consumer");
        return NULL; //  the process exits on this error
    }
    return self;
}

cchc_model_t *cchc_follower_model(cchc_follower_t *self)
{
    return self->model;
}

sqlite3 *cchc_follower_reader(cchc_follower_t *self)
{
    return self->reader;
}

cchc_writer_t *cchc_follower_writer(cchc_follower_t *self)
{
    return self->writer;
}

uint64_t cchc_follower_committed_seq(const cchc_follower_t *self)
{
    return self->committed_seq;
}

uint64_t cchc_follower_next_seq(const cchc_follower_t *self)
{
    return self->consumer ? cchc_consumer_next_seq(self->consumer) : cchc_model_last_seq(self->model) + 1;
}

static void writer_closed(void *arg)
{
    cchc_follower_t *self = arg;
    void (*cb)(void *) = self->on_closed;
    void *cb_arg = self->closed_arg;
    cchc_store_close(&self->reader);
    cchc_model_destroy(&self->model);
    cchc_record_set_clear(&self->records);
    free(self);
    if (cb)
        cb(cb_arg);
}

static void consumer_closed(void *arg)
{
    cchc_follower_t *self = arg;
    self->consumer = NULL;
    //  A batch may still be committing: the writer finishes it first.
    cchc_writer_close(self->writer, writer_closed, self);
}

void cchc_follower_close(cchc_follower_t *self, void (*on_closed)(void *arg), void *arg)
{
    self->on_closed = on_closed;
    self->closed_arg = arg;
    cchc_consumer_close(self->consumer, consumer_closed, self);
}
