/*  follower.c - see follower.h.

    One shard_t per intake followed: its consumer, its model source and its
    last committed seq. Each folded batch becomes a batch_t (its records,
    its last seq, the owner's state) submitted to the writer; `in_flight`
    counts those not committed yet, at most `max_batches`. A shard's
    consumer is resumed as soon as its batch is queued if there is room
    for another, else it is `paused` until a commit makes room. A batch
    that arrives while there is no room is packed (the consumer's events
    are borrowed) into its shard's `held` and folded after a commit, in
    arrival order. Each shard has at most one batch out (its consumer
    waits for resume), so at most one per shard is held.
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
    bool paused;               //  its consumer waits for room to fetch on
    //  A batch that arrived while there was no room: packed events.
    uint8_t **held;
    size_t *held_len;
    size_t nheld;
    uint64_t held_order;              //  arrival order (0: nothing held)
    cchc_consumer_times_t held_times; //  its travel, for the timing
} shard_t;

//  A folded batch on its way through the writer (owned by the follower
//  from its fold to its committed callback).
typedef struct {
    cchc_follower_t *follower;
    shard_t *shard;
    uint64_t last_seq;         //  the shard's last seq folded in it
    cchc_record_set_t records; //  the model's changed records
    void *owner;               //  take_batch's object, or opts.arg
    size_t events;
    uint64_t start_ns, queued_ns; //  first of hint or fetch; submitted
} batch_t;

struct cchc_follower {
    uv_loop_t *loop;
    cchc_record_set_t spare; //  a committed batch's record array, kept for the next
    cchc_follower_opts_t opts;
    cchc_model_t *model;   //  owned
    sqlite3 *reader;       //  owned, loop thread
    cchc_writer_t *writer; //  owned; owns the write connection
    shard_t *shards;       //  owned, nshards
    size_t nshards;
    size_t open_consumers;        //  consumers not closed yet
    unsigned max_batches;         //  opts.max_batches, at least 1
    unsigned in_flight;           //  batches folded and not committed yet
    const cchc_source_t *folding; //  source of the batch being folded, or NULL
    uint64_t arrivals;            //  counter for held_order
    cchc_follower_timing_t timing;
    bool closing;
    void (*on_closed)(void *arg);
    void *closed_arg;
};

static void fold(shard_t *shard, Cchc__Event **events, size_t n, const cchc_consumer_times_t *times);

static int batch_write(sqlite3 *db, void *arg)
{
    batch_t *batch = arg;
    if (cchc_record_set_save(&batch->records, db) != 0)
        return -1;
    cchc_write_fn *write = batch->follower->opts.write;
    return write ? write(db, batch->owner) : 0;
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

//  Fold the batch held longest, if any. Returns whether there was one.
static bool fold_held(cchc_follower_t *self)
{
    shard_t *next = NULL;
    for (size_t i = 0; i < self->nshards; i++)
        if (self->shards[i].held_order && (!next || self->shards[i].held_order < next->held_order))
            next = &self->shards[i];
    if (!next)
        return false;
    Cchc__Event **events = calloc(next->nheld ? next->nheld : 1, sizeof(*events));
    if (!events)
        abort();
    for (size_t i = 0; i < next->nheld; i++) {
        events[i] = cchc__event__unpack(NULL, next->held_len[i], next->held[i]);
        if (!events[i])
            abort(); //  packed by us a moment ago
    }
    size_t n = next->nheld;
    cchc_consumer_times_t times = next->held_times;
    held_free(next);
    fold(next, events, n, &times);
    for (size_t i = 0; i < n; i++)
        cchc__event__free_unpacked(events[i], NULL);
    free(events);
    return true;
}

static void batch_committed(int status, void *arg)
{
    batch_t *batch = arg;
    cchc_follower_t *self = batch->follower;
    shard_t *shard = batch->shard;
    if (status != 0) {
        cchc_log(CCHC_ERROR, "commit_failed_fatal", "last_seq=%llu", (unsigned long long)batch->last_seq);
        fflush(stderr);
        _exit(3);
    }
    assert(self->in_flight > 0);
    self->in_flight--;
    shard->committed_seq = batch->last_seq;
    uint64_t now = uv_hrtime();
    cchc_lathist_add(&self->timing.commit, (int64_t)(now - batch->queued_ns));
    cchc_lathist_add(&self->timing.total, (int64_t)(now - batch->start_ns));
    if (self->opts.committed)
        self->opts.committed(batch->owner);
    //  The record array is kept for the next batch: a set grown once
    //  (a batch's tens of thousands of records) is not grown again.
    cchc_record_set_reset(&batch->records);
    if (!self->spare.items)
        self->spare = batch->records;
    else
        cchc_record_set_clear(&batch->records);
    free(batch);
    if (self->closing)
        return; //  consumers are closing: nothing more is fetched or folded
    //  Room again: held batches first (they arrived first), then the
    //  consumers that waited fetch on. They fetch even when the held batch
    //  just folded took the room: with several shards, this shard's next
    //  batch is fetched while another's commits, and held (at most one per
    //  shard) until there is room.
    while (self->in_flight < self->max_batches && fold_held(self))
        ;
    for (size_t i = 0; i < self->nshards; i++) {
        shard_t *s = &self->shards[i];
        if (s->paused && s->consumer && !s->held_order) {
            s->paused = false;
            cchc_consumer_resume(s->consumer);
        }
    }
}

//  Fold a batch of one shard and queue its commit (there is room for it).
static void fold(shard_t *shard, Cchc__Event **events, size_t n, const cchc_consumer_times_t *times)
{
    cchc_follower_t *self = shard->follower;
    assert(self->in_flight < self->max_batches);
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
    batch_t *batch = calloc(1, sizeof(*batch));
    if (!batch)
        abort();
    batch->follower = self;
    batch->shard = shard;
    batch->events = n;
    batch->records = self->spare; //  the array of a committed batch, if any
    memset(&self->spare, 0, sizeof(self->spare));
    cchc_model_take_dirty(self->model, &batch->records);
    batch->last_seq = cchc_model_source_at(self->model, (size_t)shard->source)->last_seq;
    batch->owner = self->opts.take_batch ? self->opts.take_batch(self->opts.arg) : self->opts.arg;
    batch->queued_ns = uv_hrtime();
    batch->start_ns = times->hint_ns && times->hint_ns < times->sent_ns ? times->hint_ns : times->sent_ns;
    cchc_follower_timing_t *t = &self->timing;
    if (times->hint_ns)
        cchc_lathist_add(&t->hint, (int64_t)(times->sent_ns - times->hint_ns));
    cchc_lathist_add(&t->fetch, (int64_t)(times->reply_ns - times->sent_ns));
    cchc_lathist_add(&t->fold, (int64_t)(batch->queued_ns - times->reply_ns)); //  from its arrival
    t->batches++;
    t->events += n;
    self->in_flight++;
    if (self->in_flight > t->max_in_flight)
        t->max_in_flight = self->in_flight;
    if (cchc_writer_submit(self->writer, batch_write, batch_committed, batch) != 0) {
        cchc_log(CCHC_ERROR, "writer_refused", "events=%zu", n);
        fflush(stderr);
        _exit(3);
    }
    //  Room for another: fetch on while this one commits.
    if (self->in_flight < self->max_batches && !self->closing)
        cchc_consumer_resume(shard->consumer);
    else
        shard->paused = true;
}

static void on_batch(cchc_consumer_t *consumer, Cchc__Event **events, size_t n, void *arg)
{
    shard_t *shard = arg;
    cchc_follower_t *self = shard->follower;
    cchc_consumer_times_t times;
    cchc_consumer_batch_times(consumer, &times);
    if (self->in_flight < self->max_batches) {
        fold(shard, events, n, &times);
        return;
    }
    //  No room: keep this batch until a commit makes some.
    assert(shard->held_order == 0 && !shard->paused);
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
    shard->held_times = times;
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
    self->max_batches = opts->max_batches ? opts->max_batches : 1;
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
        shard->committed_seq = cchc_model_source_at(self->model, (size_t)shard->source)->last_seq;
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

uint64_t cchc_follower_source_committed_seq(const cchc_follower_t *self, const cchc_source_t *source)
{
    for (size_t i = 0; source && i < self->nshards; i++)
        if (self->shards[i].source == source->index)
            return self->shards[i].committed_seq;
    return 0;
}

char *cchc_follower_positions(const cchc_follower_t *self, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < self->nshards && used < size; i++) {
        const cchc_source_t *src = cchc_model_source_at(self->model, (size_t)self->shards[i].source);
        int n = snprintf(buf + used, size - used, "%s%llu%s%s", i ? "," : "",
                         (unsigned long long)self->shards[i].committed_seq, self->nshards > 1 ? "@" : "",
                         self->nshards > 1 ? src->id : "");
        used += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

void cchc_follower_timing(const cchc_follower_t *self, cchc_follower_timing_t *out)
{
    *out = self->timing;
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
    cchc_record_set_clear(&self->spare);
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
    //  Batches may still be committing: the writer finishes them first. A
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
