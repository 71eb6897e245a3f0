/*  sender.h - an idempotent producer: submissions to intake, each
    acknowledged exactly once, whatever is lost or restarted on the way.

    The sender numbers its submissions (producer id + sequence, as Kafka's
    idempotent producer does). When no reply comes within timeout_ms it
    throws the socket away, connects a fresh one and resends the SAME number
    (Lazy Pirate); intake answers a resend of something already committed
    with the original Ack, so a retry never appends twice. An ERR_BUSY reply
    (intake's backpressure) is waited out for its retry_after_ms and the same
    number sent again. When every event of a submission comes back
    ERR_WRONG_SHARD naming the same owner, the sender moves to that intake
    (as a new producer there) and sends the submission again. One
    submission is in flight at a time (intake would take up to
    CCHC_PRODUCER_WINDOW from a pipelining producer, as the benchmark is;
    such a producer resends all its unanswered submissions in order after a
    timeout, and treats ERR_BUSY or ERR_SEQUENCE_GAP on one as a reason to
    resend from the first unanswered).
*/
#ifndef CCHC_SENDER_H
#define CCHC_SENDER_H

#include <stdint.h>

#include "codec.h"

typedef struct cchc_sender cchc_sender_t;

//  Connect to intake's endpoint as producer_id (NULL: a new random id).
//  Caller owns the sender.
cchc_sender_t *cchc_sender_new(void *zctx, const char *endpoint, const char *producer_id);
void cchc_sender_destroy(cchc_sender_t **self_p);

//  Submit events as the next submission and wait for its Ack, resending
//  after every timeout_ms until deadline_ms has passed (0: no deadline).
//  Returns 0 with *reply (the Ack envelope; caller owns it), 1 with *reply
//  an Error envelope (the submission was refused as a whole, e.g. too large;
//  its number is not used), or -1 when the deadline passed (errno
//  ETIMEDOUT) or intake reported a sequence error (errno EPROTO; *reply
//  holds it).
int cchc_sender_submit(cchc_sender_t *self, Cchc__Event **events, size_t n, int timeout_ms, int deadline_ms,
                       cchc_decoded_t **reply);

//  The producer id, the last acknowledged number, how many resends after a
//  timeout so far, and how many ERR_BUSY replies were waited out.
const char *cchc_sender_id(const cchc_sender_t *self);
uint64_t cchc_sender_seq(const cchc_sender_t *self);
uint64_t cchc_sender_retries(const cchc_sender_t *self);
uint64_t cchc_sender_busy(const cchc_sender_t *self);

//  WRONG_SHARD replies followed, and the endpoint now used.
uint64_t cchc_sender_followed(const cchc_sender_t *self);
const char *cchc_sender_endpoint(const cchc_sender_t *self);

#endif
