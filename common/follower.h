/*  follower.h - a service that follows intake's log into a ward model.

    Scoring and notify are both "functions of the log": they fold each event
    into the ward model, derive their own state from it, and commit the
    model's changed records, their own rows and the new last_seq in ONE
    transaction before asking for more. A follower does that loop; the owner
    plugs in what it derives:

      before_event  before each event is folded (loop thread): the model is
                 still as the previous event left it, e.g. at the end of a
                 period the event's log time has crossed;
      on_event   after each event is folded (loop thread): the model is at
                 that event's log time, so decisions made here are the same
                 however the log is cut into batches (replay = live);
      on_batch   after the whole batch is folded (loop thread);
      take_batch after on_batch (loop thread): the owner's state of the
                 batch, handed to write and committed (may be NULL: they
                 get arg);
      write      on the writer thread, inside the batch's transaction;
      committed  on the loop thread once the transaction committed.

    Pipelining. With max_batches = 1 (the default) a batch is folded only
    once the previous one committed: fetch, fold and commit take turns.
    With max_batches = N > 1 the consumer fetches on as soon as a batch is
    folded and queued for its commit, and the next batches are folded while
    it commits (at most N folded and not yet committed): the writer runs
    them in order, all those queued during a commit in the next one (group
    commit), so an event waits for the commit in progress and its own, not
    for a fetch after each commit. The owner's per-batch state must then be
    its own object: take_batch moves it out, and write (writer thread) and
    committed get that object while the loop folds the next batches.
    Commits, committed callbacks and committed seqs follow the fold order;
    the model on the loop is up to N batches ahead of what is committed (one
    batch without pipelining), which is why only committed state is
    announced.

    A failed commit is fatal: the process exits and a restart resumes from
    the last committed seq (nothing lost, nothing applied twice).

    Shards. consumer.fetch_endpoint (and hint_endpoint, in the same order)
    may list several intakes separated by commas: one consumer per shard,
    each with its own credit, hints, heartbeats and gap detection, and one
    model source per shard (model.h): a ward is judged at its shard's log
    time. A shard's identity is "" (the unnamed source, exactly as before
    shards) when one intake is listed, and its fetch endpoint as written
    when several are. Its position (CLOCK record) is committed in the same
    transaction as the state derived from its batch. Batches are folded one
    at a time on the loop thread, in arrival order; a batch that arrives
    while max_batches are folded and not committed (with one: while one
    commits) is kept packed and folded after the next commit, the oldest
    first. At start, a position stored for a shard
    no longer listed stops the start (its wards would be left behind, or
    folded twice under a new identity): rebuild from zero instead.
*/
#ifndef CCHC_FOLLOWER_H
#define CCHC_FOLLOWER_H

#include <sqlite3.h>
#include <uv.h>

#include "consumer.h"
#include "model.h"
#include "store.h"

typedef struct cchc_follower cchc_follower_t;

typedef struct {
    const char *db_path;           //  the owner's database
    const char *const *migrations; //  the owner's own steps, after meta and model_record
    int migration_count;
    cchc_consumer_opts_t consumer;                          //  next_seq is set by the follower
    void (*before_event)(void *arg, const Cchc__Event *ev); //  may be NULL
    void (*on_event)(void *arg, const Cchc__Event *ev, const cchc_touch_t *touch);
    void (*on_batch)(void *arg);
    void *(*take_batch)(void *arg); //  may be NULL (write and committed get arg)
    cchc_write_fn *write;           //  may be NULL; gets take_batch's object
    void (*committed)(void *batch); //  may be NULL; gets take_batch's object
    void *arg;
    unsigned max_batches; //  folded and not yet committed (0: 1, no pipelining)
} cchc_follower_opts_t;

//  Open the database (migrating it), load the model, start the writer and
//  the consumer. Returns NULL with a message in err on failure.
cchc_follower_t *cchc_follower_new(uv_loop_t *loop, void *zctx, const cchc_follower_opts_t *opts, char *err,
                                   size_t err_size);

//  The model (owned by the follower); read it on the loop thread only.
cchc_model_t *cchc_follower_model(cchc_follower_t *self);

//  A read connection for queries on the loop thread (owned by the follower).
sqlite3 *cchc_follower_reader(cchc_follower_t *self);

//  The writer, for the owner's own jobs (e.g. marking deliveries).
cchc_writer_t *cchc_follower_writer(cchc_follower_t *self);

//  The last seq whose batch has committed: everything derived up to it is
//  durable and visible to other connections (the model on the loop may be
//  one batch ahead). What queries report as their last_seq.
uint64_t cchc_follower_committed_seq(const cchc_follower_t *self);

//  The last committed seq of the shard of a model source
//  (cchc_follower_committed_seq is shard 0's).
uint64_t cchc_follower_source_committed_seq(const cchc_follower_t *self, const cchc_source_t *source);

//  Every shard's committed position for a status line, into buf: "42" with
//  one shard, "42@tcp://a:5555,17@tcp://b:5555" with several (an endpoint
//  has colons of its own). Truncated to size. Returns buf.
char *cchc_follower_positions(const cchc_follower_t *self, char *buf, size_t size);

//  The source of the batch being folded (in before_event, on_event and
//  on_batch, on the loop thread), or NULL between batches (and so in
//  write, which runs on the writer thread after the fold).
const cchc_source_t *cchc_follower_batch_source(const cchc_follower_t *self);

//  Where batches spend their time (uv_hrtime deltas), for the owner's
//  timing log: hint (a hint's arrival -> the fetch sent after it; 0 when
//  the fetch needed no hint), fetch (sent -> reply), fold (reply -> queued
//  for the commit: held time and fold), commit (queued -> the committed
//  callback on the loop: waiting behind earlier batches, the transaction,
//  the wake-up), total (the first of hint or fetch -> committed: what the
//  first event of a batch waited, from intake's hint to its commit).
typedef struct {
    cchc_lathist_t hint, fetch, fold, commit, total;
    uint64_t batches, events;
    unsigned max_in_flight; //  most batches folded and not committed at once
} cchc_follower_timing_t;

//  Copy the timing so far (loop thread).
void cchc_follower_timing(const cchc_follower_t *self, cchc_follower_timing_t *out);

//  Stop consuming, finish the writer, close everything; on_closed runs on
//  the loop after the follower is freed (may be NULL).
void cchc_follower_close(cchc_follower_t *self, void (*on_closed)(void *arg), void *arg);

#endif
