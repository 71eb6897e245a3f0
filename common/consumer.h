/*  consumer.h - following a log by pull with credit: intake's event log
    (EventBatch replies) or scoring's output log (ChangeBatch replies, see
    docs/SCORING.md "Output log"). Both logs are served the same way
    (common/logserve.h), so one state machine follows either; only the
    reply type and the owner's callback differ.

    A consumer sends Fetch(from_seq = next_seq, credit) on a DEALER socket to
    the log's ROUTER and hands each non-empty batch to its owner. It does
    not fetch again until the owner calls cchc_consumer_resume: at most one
    fetch is out and one batch is with the owner. The owner resumes once it
    has taken the batch over: after the batch's effects and the new last_seq
    are committed together, or (a follower that pipelines, follower.h) once
    they are folded and queued for that commit. Either way the owner's
    committed last_seq is where a restart resumes: a crash at any point
    replays from it, so nothing is lost and nothing is applied twice.

    Intake's PUB "new seq" hint only wakes the consumer early; without it the
    consumer still polls every poll_ms. A reply that does not come within
    timeout_ms is abandoned: the socket is recreated and the fetch resent
    (fetch is idempotent). Events must arrive gapless from next_seq; a gap is
    logged and the consumer refetches from next_seq.

    Heartbeats: intake publishes its head every second. A consumer that hears
    nothing from intake (no hint, no reply) for 3 s logs "intake_silent"
    (and "intake_back" when it returns) while it keeps retrying. Scoring
    publishes no heartbeat: a consumer of its output log counts the replies
    to its polls and logs "scoring_silent" / "scoring_back" after three
    poll or timeout periods without one.
*/
#ifndef CCHC_CONSUMER_H
#define CCHC_CONSUMER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "events.pb-c.h"
#include "scoring.pb-c.h"

typedef struct cchc_consumer cchc_consumer_t;

//  A batch of events with consecutive seqs starting at the consumer's
//  next_seq. The events are borrowed: valid only during the call.
typedef void(cchc_consumer_fn)(cchc_consumer_t *self, Cchc__Event **events, size_t n, void *arg);

//  The same for scoring's output log: records with consecutive seqs from
//  next_seq, borrowed for the call.
typedef void(cchc_consumer_changes_fn)(cchc_consumer_t *self, Cchc__ScoreChange **changes, size_t n,
                                       void *arg);

typedef struct {
    const char *fetch_endpoint; //  the log's ROUTER, e.g. intake's "tcp://127.0.0.1:5570"
    const char *hint_endpoint;  //  the log's PUB, or NULL
    const char *hint_topic;     //  SUB filter, e.g. scoring's "changes" (NULL or "": every message)
    uint64_t next_seq;          //  first seq wanted (last committed + 1)
    unsigned credit;            //  max events per batch
    unsigned poll_ms;           //  poll interval when idle
    unsigned timeout_ms;        //  reply timeout before reconnecting
    size_t max_msg_bytes;       //  cap for replies
} cchc_consumer_opts_t;

//  Create and start a consumer of intake's log. Returns NULL on failure
//  (logged).
cchc_consumer_t *cchc_consumer_new(uv_loop_t *loop, void *zctx, const cchc_consumer_opts_t *opts,
                                   cchc_consumer_fn *fn, void *arg);

//  Create and start a consumer of scoring's output log (ChangeBatch
//  replies). Returns NULL on failure (logged).
cchc_consumer_t *cchc_consumer_new_changes(uv_loop_t *loop, void *zctx, const cchc_consumer_opts_t *opts,
                                           cchc_consumer_changes_fn *fn, void *arg);

//  The owner has committed the last batch: fetch the next one. A full batch
//  is followed at once; otherwise the consumer waits for a hint or poll_ms.
void cchc_consumer_resume(cchc_consumer_t *self);

//  When the batch being handed over travelled (uv_hrtime, ns): the first
//  hint that arrived after the previous fetch was sent and before this
//  one (0: none, the fetch followed a full batch, a poll or a resume), the
//  fetch sent, its reply received. For the owner's timing, during its
//  callback.
typedef struct {
    uint64_t hint_ns, sent_ns, reply_ns;
} cchc_consumer_times_t;
void cchc_consumer_batch_times(const cchc_consumer_t *self, cchc_consumer_times_t *out);

//  Next seq wanted, and the highest seq the log reported (lag = head - next + 1).
uint64_t cchc_consumer_next_seq(const cchc_consumer_t *self);
uint64_t cchc_consumer_head_seq(const cchc_consumer_t *self);

//  Stop and release everything; on_closed (may be NULL) runs on the loop once
//  all handles are closed, after self is freed.
void cchc_consumer_close(cchc_consumer_t *self, void (*on_closed)(void *arg), void *arg);

#endif
