/*  follower.c - see follower.h.

    One shard_t per intake followed: its consumer, its model source and its
    last committed seq. Batches are folded one at a time: `busy` while a
    batch is committing; a batch of another shard arriving meanwhile is
    packed (the consumer's events are borrowed) into that shard's `held`
    and folded after the commit, in arrival order. Each shard has at most
    one batch out (its consumer waits for resume), so at most one per shard
    is held.
*/
#include "follower.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define MAX_MIGRATIONS 32
#define MAX_SHARDS     64

typedef struct {
    cchc_follower_t *follower;
    int source;                //  model source index
    cchc_consumer_t *consumer; //  owned
    uint64_t committed_seq;    //  last seq of its last committed batch
    uint64_t batch_seq;        //  last seq of its batch being committed
    //  A batch that arrived while another was committing: packed events.
    uint8_t **held;
    size_t *held_len;
    size_t nheld;
    uint64_t held_order; //  arrival order (0: nothing held)
} shard_t;

struct cchc_follower {
    uv_loop_t *loop;
    cchc_follower_opts_t opts;
    cchc_model_t *model;   //  owned
    sqlite3 *reader;       //  owned, loop thread
    cchc_writer_t *writer; //  owned; owns the write connection
    shard_t *shards;       //  owned, nshards
    size_t nshards;
    size_t open_consumers;        //  consumers not closed yet
    shard_t *busy;                //  the shard whose batch is committing, or NULL
    const cchc_source_t *folding; //  source of the batch being folded, or NULL
    uint64_t arrivals;            //  counter for held_order
    cchc_record_set_t records;    //  the batch being committed
    bool closing;
    void (*on_closed)(void *arg);
    void *closed_arg;
};

static void fold(shard_t *shard, Cchc__Event **events, size_t n);

static int batch_write(sqlite3 *db, void *arg)
{
    cchc_follower_t *self = arg;
    if (cchc_record_set_save(&self->records, db) != 0)
        return -1;
    return self->opts.write ? self->opts.write(db, self->opts.arg) : 0;
}

static void held_free(shard_t *shard)
{
    for (size_t i = 0; i < shard->nheld; i++)
        free(shard->held[i]);
    free(shard->held);
    free(shard->held_len);
    shard->held = NULL;
    shard->held_len = NULL;
    shard->nheld = 0;
    shard->held_order = 0;
}

//  Fold the batch held longest, if any.
static void fold_held(cchc_follower_t *self)
{
    shard_t *next = NULL;
    for (size_t i = 0; i < self->nshards; i++)
        if (self->shards[i].held_order && (!next || self->shards[i].held_order < next->held_order))
            next = &self->shards[i];
    if (!next)
        return;
    Cchc__Event **events = calloc(next->nheld, sizeof(*events));
    if (!events)
        abort();
    for (size_t i = 0; i < next->nheld; i++) {
        events[i] = cchc__event__unpack(NULL, next->held_len[i], next->held[i]);
        if (!events[i])
            abort(); //  packed by us a moment ago
    }
    size_t n = next->nheld;
    held_free(next);
    fold(next, events, n);
    for (size_t i = 0; i < n; i++)
        cchc__event__free_unpacked(events[i], NULL);
    free(events);
}

static void batch_committed(int status, void *arg)
{
    cchc_follower_t *self = arg;
    cchc_record_set_reset(&self->records);
    shard_t *shard = self->busy;
    if (status != 0) {
        cchc_log(CCHC_ERROR, "commit_failed_fatal", "last_seq=%llu",
                 (unsigned long long)(shard ? shard->batch_seq : 0));
        fflush(stderr);
        _exit(3);
    }
    self->busy = NULL;
    shard->committed_seq = shard->batch_seq;
    if (self->opts.committed)
        self->opts.committed(self->opts.arg);
    if (shard->consumer) //  NULL once closed: nothing more to fetch
        cchc_consumer_resume(shard->consumer);
    if (!self->closing)
        fold_held(self);
}

//  Fold a batch of one shard and submit its commit (nothing else committing).
static void fold(shard_t *shard, Cchc__Event **events, size_t n)
{
    cchc_follower_t *self = shard->follower;
    assert(!self->busy);
    self->folding = cchc_model_source_at(self->model, (size_t)shard->source);
    for (size_t i = 0; i < n; i++) {
        cchc_touch_t touch;
        if (self->opts.before_event)
            self->opts.before_event(self->opts.arg, events[i]);
        cchc_model_apply_from(self->model, shard->source, events[i], &touch);
        if (self->opts.on_event)
            self->opts.on_event(self->opts.arg, events[i], &touch);
    }
    if (self->opts.on_batch)
        self->opts.on_batch(self->opts.arg);
    self->folding = NULL;
    cchc_model_take_dirty(self->model, &self->records);
    shard->batch_seq = cchc_model_source_at(self->model, (size_t)shard->source)->last_seq;
    self->busy = shard;
    if (cchc_writer_submit(self->writer, batch_write, batch_committed, self) != 0) {
        cchc_log(CCHC_ERROR, "writer_refused", "events=%zu", n);
        fflush(stderr);
        _exit(3);
    }
}

static void on_batch(cchc_consumer_t *consumer, Cchc__Event **events, size_t n, void *arg)
{
    (void)consumer;
    shard_t *shard = arg;
    cchc_follower_t *self = shard->follower;
    if (!self->busy) {
        fold(shard, events, n);
        return;
    }
    //  Another batch is committing: keep this one until it has.
    assert(shard->held_order == 0 && self->busy != shard);
    shard->held = calloc(n ? n : 1, sizeof(*shard->held));
    shard->held_len = calloc(n ? n : 1, sizeof(*shard->held_len));
    if (!shard->held || !shard->held_len)
        abort();
    for (size_t i = 0; i < n; i++) {
        shard->held_len[i] = cchc__event__get_packed_size(events[i]);
        shard->held[i] = malloc(shard->held_len[i] ? shard->held_len[i] : 1);
        if (!shard->held[i])
            abort();
        cchc__event__pack(events[i], shard->held[i]);
    }
    shard->nheld = n;
    shard->held_order = ++self->arrivals;
}

//  Split a comma-separated list into trimmed items (owned by the caller).
static size_t split_list(const char *text, char **items, size_t max)
{
    size_t n = 0;
    const char *p = text ? text : "";
    while (*p && n < max) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            items[n] = strndup(p, len);
            if (!items[n])
                abort();
            n++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return n;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
}

cchc_follower_t *cchc_follower_new(uv_loop_t *loop, void *zctx, const cchc_follower_opts_t *opts, char *err,
                                   size_t err_size)
{
    assert(opts->migration_count + 2 <= MAX_MIGRATIONS);
    const char *migrations[MAX_MIGRATIONS] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION};
    for (int i = 0; i < opts->migration_count; i++)
        migrations[2 + i] = opts->migrations[i];
    int count = 2 + opts->migration_count;

    char *fetch[MAX_SHARDS], *hints[MAX_SHARDS];
    size_t nfetch = split_list(opts->consumer.fetch_endpoint, fetch, MAX_SHARDS);
    size_t nhints = split_list(opts->consumer.hint_endpoint, hints, MAX_SHARDS);
    if (nfetch == 0 || (nhints && nhints != nfetch)) {
        snprintf(err, err_size,
                 "intake: %zu endpoints, intake_pub: %zu (give one hint endpoint per intake, "
                 "in the same order, or none)",
                 nfetch, nhints);
        free_list(fetch, nfetch);
        free_list(hints, nhints);
        return NULL;
    }
    for (size_t i = 0; i < nfetch; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(fetch[i], fetch[j]) == 0) {
                snprintf(err, err_size, "intake: %s listed twice", fetch[i]);
                free_list(fetch, nfetch);
                free_list(hints, nhints);
                return NULL;
            }

    cchc_follower_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    self->loop = loop;
    self->opts = *opts;
    self->model = cchc_model_new();
    sqlite3 *wdb = cchc_store_open(opts->db_path, migrations, count, err, err_size);
    if (wdb)
        self->reader = cchc_store_open(opts->db_path, migrations, count, err, err_size);
    int rc = (!wdb || !self->reader) ? -1 : cchc_model_load(self->model, self->reader);
    if (wdb && self->reader && rc != 0)
        snprintf(err, err_size, "%s: cannot load the model", opts->db_path);
    //  Every stored position must be a shard still listed.
    size_t stored = rc == 0 ? cchc_model_source_count(self->model) : 0;
    for (size_t s = 0; s < stored && rc == 0; s++) {
        const char *id = cchc_model_source_at(self->model, s)->id;
        bool listed = nfetch == 1 ? !*id : false;
        for (size_t i = 0; nfetch > 1 && i < nfetch; i++)
            listed = listed || strcmp(fetch[i], id) == 0;
        if (!listed) {
            snprintf(err, err_size,
                     "%s holds the position of shard \"%s\", which the intake setting no longer lists "
                     "(%zu intake(s) listed): rebuild from zero (remove the database) or list it again",
                     opts->db_path, *id ? id : "(the only intake)", nfetch);
            rc = -1;
        }
    }
    if (rc != 0) {
        cchc_store_close(&wdb);
        cchc_store_close(&self->reader);
        cchc_model_destroy(&self->model);
        free(self);
        free_list(fetch, nfetch);
        free_list(hints, nhints);
        return NULL;
    }
    self->writer = cchc_writer_new(loop, wdb);
    self->shards = calloc(nfetch, sizeof(*self->shards));
    if (!self->shards)
        abort();
    self->nshards = nfetch;
    bool ok = self->writer != NULL;
    for (size_t i = 0; i < nfetch && ok; i++) {
        shard_t *shard = &self->shards[i];
        shard->follower = self;
        shard->source = cchc_model_source(self->model, nfetch == 1 ? "" : fetch[i]);
        shard->committed_seq = shard->batch_seq =
            cchc_model_source_at(self->model, (size_t)shard->source)->last_seq;
        cchc_consumer_opts_t copts = opts->consumer;
        copts.fetch_endpoint = fetch[i];
        copts.hint_endpoint = nhints ? hints[i] : NULL;
        copts.next_seq = shard->committed_seq + 1;
        shard->consumer = cchc_consumer_new(loop, zctx, &copts, on_batch, shard);
        ok = shard->consumer != NULL;
        if (ok)
            self->open_consumers++;
    }
    free_list(fetch, nfetch);
    free_list(hints, nhints);
    if (!ok) {
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
    return self->shards[0].committed_seq;
}

uint64_t cchc_follower_next_seq(const cchc_follower_t *self)
{
    const shard_t *shard = &self->shards[0];
    return shard->consumer ? cchc_consumer_next_seq(shard->consumer) : shard->committed_seq + 1;
}

size_t cchc_follower_shard_count(const cchc_follower_t *self)
{
    return self->nshards;
}

uint64_t cchc_follower_source_committed_seq(const cchc_follower_t *self, const cchc_source_t *source)
{
    for (size_t i = 0; source && i < self->nshards; i++)
        if (self->shards[i].source == source->index)
            return self->shards[i].committed_seq;
    return 0;
}

const cchc_source_t *cchc_follower_batch_source(const cchc_follower_t *self)
{
    return self->folding;
}

static void writer_closed(void *arg)
{
    cchc_follower_t *self = arg;
    void (*cb)(void *) = self->on_closed;
    void *cb_arg = self->closed_arg;
    cchc_store_close(&self->reader);
    cchc_model_destroy(&self->model);
    cchc_record_set_clear(&self->records);
    for (size_t i = 0; i < self->nshards; i++)
        held_free(&self->shards[i]);
    free(self->shards);
    free(self);
    if (cb)
        cb(cb_arg);
}

static void consumer_closed(void *arg)
{
    shard_t *shard = arg;
    cchc_follower_t *self = shard->follower;
    shard->consumer = NULL;
    if (--self->open_consumers > 0)
        return;
    //  A batch may still be committing: the writer finishes it first. A
    //  held batch is dropped: it was never committed, a restart fetches it.
    cchc_writer_close(self->writer, writer_closed, self);
}

void cchc_follower_close(cchc_follower_t *self, void (*on_closed)(void *arg), void *arg)
{
    self->on_closed = on_closed;
    self->closed_arg = arg;
    self->closing = true;
    size_t n = self->nshards;
    for (size_t i = 0; i < n; i++)
        cchc_consumer_close(self->shards[i].consumer, consumer_closed, &self->shards[i]);
}
