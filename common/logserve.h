/*  logserve.h - serving a stored log by Fetch, off the loop thread.

    Intake's event log and scoring's output log are tables of packed
    messages keyed by a gapless seq. A Fetch(from_seq, credit) is answered
    with the rows [from_seq, head] - head being what was committed when the
    request arrived - at most `credit` (capped) of them and about max_bytes
    in all. The reply is assembled by hand around the stored bytes, never
    decoded and re-encoded: the batch message has the records as field 1 and
    head_seq as field 2 (EventBatch and ChangeBatch both do).

    Reads run on libuv's thread pool, one at a time, on the read connection
    the server owns; requests that arrive meanwhile wait in a FIFO, and past
    max_queued the peer is answered ERR_BUSY. The loop thread only hands a
    request over and sends the finished reply.
*/
#ifndef CCHC_LOGSERVE_H
#define CCHC_LOGSERVE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "codec.h"
#include "zwatch.h"

typedef struct {
    const char *select_sql; //  binds ?1 from, ?2 head, ?3 limit; one column: the packed record
    int body_field;         //  the Envelope's oneof field number of the batch message
    size_t max_records;     //  cap on a request's credit
    size_t max_bytes;       //  a reply stops after the record that passes this
    size_t max_queued;      //  requests waiting beyond the running one
    const char *name;       //  in log lines: "event_log", "score_change"
} cchc_logserve_opts_t;

typedef struct cchc_logserve cchc_logserve_t;

//  The whole Envelope{version, request_id, batch} for a fetch of
//  [from, head], at most max_records (and credit) records. Any thread.
//  Returns the number of records, with *out (malloc'd, caller frees) and
//  *out_len; or -1 on a read error.
long cchc_logserve_reply(sqlite3 *db, const cchc_logserve_opts_t *opts, uint64_t request_id, uint64_t from,
                         uint64_t head, size_t credit, uint8_t **out, size_t *out_len);

//  Publish a NewSeq{head} hint on pub under topic: "fetch, there is more".
//  Only a hint (PUB drops at the high-water mark); the truth is the fetch.
void cchc_logserve_hint(cchc_zwatch_t *pub, const char *topic, uint64_t head);

//  A server answering on router (not owned) from reader (owned from here
//  on, even on failure). opts is copied; its strings must outlive it.
cchc_logserve_t *cchc_logserve_new(uv_loop_t *loop, cchc_zwatch_t *router, sqlite3 *reader,
                                   const cchc_logserve_opts_t *opts);

//  How long a peer refused for a full queue is told to wait.
#define CCHC_LOGSERVE_RETRY_MS 10

//  Queue a fetch from the peer of identity, serving up to head. Returns 0,
//  or -1 when max_queued requests wait already: nothing is queued and the
//  peer is answered ERR_BUSY with retry_after_ms.
int cchc_logserve_fetch(cchc_logserve_t *self, const zmq_msg_t *identity, uint64_t request_id,
                        const Cchc__Fetch *req, uint64_t head);

//  Replies sent, reads that failed (answered ERR_INTERNAL), and requests
//  refused for a full queue (answered ERR_BUSY).
uint64_t cchc_logserve_served(const cchc_logserve_t *self);
uint64_t cchc_logserve_failed(const cchc_logserve_t *self);
uint64_t cchc_logserve_busy(const cchc_logserve_t *self);

//  Drop the waiting requests (their peers fetch again) and free the server
//  with its read connection: now when idle, else once the running read is
//  done (its reply is not sent). *self_p is NULL at return.
void cchc_logserve_close(cchc_logserve_t **self_p);

#endif
