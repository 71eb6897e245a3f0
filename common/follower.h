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
      write      on the writer thread, inside the batch's transaction;
      committed  on the loop thread once the transaction committed.

    A failed commit is fatal: the process exits and a restart resumes from
    the last committed seq (nothing lost, nothing applied twice).

    Shards. consumer.fetch_endpoint (and hint_endpoint, in the same order)
    may list several intakes separated by commas: one consumer per shard,
    each with its own credit, hints, heartbeats and gap detection, and one
    model source per shard (model.h): a ward is judged at its shard's log
    time. A shard's identity is "" (the unnamed source, exactly as before
    shards) when one intake is listed, and its fetch endpoint as written
    when several are. Its position (CLOCK record) is committed in the same
    transaction as the state derived from its batch. Batches are folded and
    committed one at a time (the owner's hooks never see two batches at
    once): a batch of another shard that arrives meanwhile is kept packed
    and folded after that commit. At start, a position stored for a shard
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
    cchc_write_fn *write;         //  may be NULL
    void (*committed)(void *arg); //  may be NULL
    void *arg;
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

//  Next seq wanted and intake's head as last reported (for lag).
uint64_t cchc_follower_next_seq(const cchc_follower_t *self);

//  Shards followed, and the last committed seq of the shard of a model
//  source (cchc_follower_committed_seq is shard 0's).
size_t cchc_follower_shard_count(const cchc_follower_t *self);
uint64_t cchc_follower_source_committed_seq(const cchc_follower_t *self, const cchc_source_t *source);

//  The source of the batch being folded (in before_event, on_event,
//  on_batch and write), or NULL between batches.
const cchc_source_t *cchc_follower_batch_source(const cchc_follower_t *self);

//  Stop consuming, finish the writer, close everything; on_closed runs on
//  the loop after the follower is freed (may be NULL).
void cchc_follower_close(cchc_follower_t *self, void (*on_closed)(void *arg), void *arg);

#endif
