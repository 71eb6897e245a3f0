/*  main.c - cchc-intake: collects task updates from units, durably.

    The loop thread receives requests on a ROUTER socket, validates each
    event against the ward model (cchc_model_check), gives it the next seq
    and the log time, folds it into the model, and hands the batch to the
    writer thread. The writer commits whatever gathered while the previous
    commit ran in ONE transaction (group commit, synchronous=FULL); only then
    does the loop send the Ack and publish the new head on PUB.

    Because accepted events are folded into the model before their commit
    (so that the next event of the same batch can rely on them), a failed
    commit leaves the model ahead of the log: intake then exits at once
    without acknowledging anything, and a restart rebuilds the model from the
    log. Nothing unacknowledged was promised; nothing acknowledged is lost.

    Time enters cchc only here: every event is stamped with this service's
    clock, and clock events are appended by a timer (wall clock) or on an
    AdvanceClock request (manual clock).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "codec.h"
#include "config.h"
#include "eventlog.h"
#include "log.h"
#include "logserve.h"
#include "model.h"
#include "strmap.h"
#include "producers.h"
#include "reply.h"
#include "service.h"
#include "store.h"
#include "zwatch.h"

#define MAX_FETCH_EVENTS   5000
#define MAX_FETCH_BYTES    (4 * 1024 * 1024)
#define MAX_QUEUED_FETCHES 1024
#define ERROR_CODES        32

static const cchc_option_t intake_options[] = {
    {"bind", "tcp://127.0.0.1:5570", "ROUTER endpoint for submissions, fetch and status"},
    {"pub_bind", "tcp://127.0.0.1:5571", "PUB endpoint for new-sequence hints"},
    {"data_dir", "./.cchc/intake", "directory of intake.db"},
    {"clock", "wall", "wall or manual (manual: time moves only by AdvanceClock)"},
    {"clock_start", "2026-01-01T00:00:00+07:00", "start of a manual clock"},
    {"tick_ms", "60000", "wall clock: how often a clock event is appended"},
    {"max_msg_bytes", "65536", "largest request accepted; larger ones get ERR_OVERSIZED"},
    {"hwm", "10000", "ZeroMQ high-water mark of each socket"},
    {"max_pending_events", "100000", "events waiting for the writer before submissions get ERR_BUSY"},
    {"heartbeat_ms", "1000", "publish the head on PUB this often, so consumers notice a dead intake"},
    {"snapshot_events", "100000",
     "save the validation model after this many accepted events (0: never); a start replays only the events "
     "after the last snapshot"},
    {"wards", "", "ward codes this shard owns, comma-separated; empty = every ward"},
    {"shard_map", "", "owners of other wards for WRONG_SHARD replies: WARD@endpoint,..."},
    {"log_level", "info", "debug, info, warn or error"},
    {"log_format", "auto", "json, text or auto"},
    {NULL, NULL, NULL},
};

typedef struct {
    cchc_service_t service;
    cchc_config_t *config;
    cchc_model_t *model;
    cchc_clock_t clock;
    sqlite3 *reader;       //  read connection at start-up; then the log server's
    cchc_writer_t *writer; //  owns the write connection
    cchc_zwatch_t router;
    cchc_zwatch_t pub;
    uv_timer_t ticker;    //  wall clock events
    uv_timer_t heartbeat; //  publishes the head even when nothing happens
    size_t max_msg_bytes;
    int64_t tick_ms;
    uint64_t assigned_seq;  //  highest seq given to an event (committed or not)
    uint64_t committed_seq; //  highest seq committed
    uint64_t accepted, rejected;
    uint64_t rejected_by_code[ERROR_CODES];
    uint64_t malformed_frames;
    cchc_producers_t *producers; //  idempotent producers: last seq and ack each
    uint64_t duplicates;         //  resends answered with the original ack
    uint64_t pending_events;     //  accepted, not yet committed
    int64_t max_pending_events;  //  above it submissions are refused with ERR_BUSY
    cchc_strmap_t *owned;        //  wards this shard owns (NULL: every ward)
    cchc_strmap_t *owners;       //  other wards -> owner endpoint (owned strings)
    sqlite3_stmt *append_stmt;   //  writer thread only: cached INSERTs
    sqlite3_stmt *producer_stmt;
    uint64_t busy;               //  submissions refused for backpressure
    cchc_logserve_t *log_server; //  answers Fetch; owns the read connection after start-up
    int64_t snapshot_events;     //  accepted events between snapshots (0: none)
    uint64_t since_snapshot;     //  accepted events since the last snapshot was taken
    int64_t request_ns;          //  when the request being handled was received (monotonic)
    cchc_lathist_t ack_time;     //  per submission: received -> Ack sent
    cchc_lathist_t check_time;   //  per submission: received -> handed to the writer
} intake_t;

//  A snapshot of the model on its way through the writer: the records that
//  changed since the previous one, with the CLOCK record (log time and the
//  last seq folded in). Taken on the loop thread after the events it covers
//  were handed to the writer, so it commits with them or after them, never
//  before: a snapshot never describes an event the log does not hold.
typedef struct {
    intake_t *intake;
    cchc_record_set_t records;
    uint64_t seq;
} snapshot_t;

//  A resend of a submission still being committed: answered with its ack.
typedef struct waiter {
    uint8_t identity[256];
    size_t identity_len;
    uint64_t request_id;
    uint64_t producer_seq; //  the submission it waits for
    struct waiter *next;
} waiter_t;

//  One submission on its way through the writer.
typedef struct {
    intake_t *intake;
    uint8_t identity[256]; //  ROUTER identity of the sender (empty: internal)
    size_t identity_len;
    uint64_t request_id;
    size_t nevents;       //  events in the request
    uint64_t *seqs;       //  per event: seq or 0
    Cchc__Error **errors; //  rejected events, owned
    size_t nerrors;
    cchc_logrow_t *rows; //  accepted events, packed
    size_t nrows;
    int64_t log_time_ms;
    cchc_producer_t *producer; //  the idempotent producer, or NULL
    uint64_t producer_seq;
    uint8_t *ack; //  packed Ack (no request id, no head) to store with the producer
    size_t ack_len;
    int64_t received_ns; //  when its request was received (0: internal)
} submission_t;

// ---------------------------------------------------------------------------
//  Replies

static void count_rejected(intake_t *self, Cchc__ErrorCode code)
{
    self->rejected++;
    self->rejected_by_code[(unsigned)code < ERROR_CODES ? code : 0]++;
}

static void reply_error(intake_t *self, const zmq_msg_t *identity, uint64_t request_id, const cchc_err_t *err)
{
    count_rejected(self, err->code);
    cchc_log(CCHC_INFO, "request_rejected", "code=%s detail=%s", cchc_err_name(err->code), err->en);
    cchc_reply_error(&self->router, identity, request_id, err);
}

// ---------------------------------------------------------------------------
//  Submissions and the writer

static void submission_free(submission_t *sub)
{
    for (size_t i = 0; i < sub->nerrors; i++) {
        free(sub->errors[i]->message_vi);
        free(sub->errors[i]->message_en);
        free(sub->errors[i]->owner);
        free(sub->errors[i]);
    }
    for (size_t i = 0; i < sub->nrows; i++)
        cchc_logrow_clear(&sub->rows[i]);
    free(sub->errors);
    free(sub->rows);
    free(sub->seqs);
    free(sub->ack);
    free(sub);
}

static submission_t *submission_new(intake_t *self, const zmq_msg_t *identity, uint64_t request_id, size_t n)
{
    submission_t *sub = calloc(1, sizeof(*sub));
    if (!sub)
        abort();
    sub->intake = self;
    if (identity) {
        sub->identity_len = zmq_msg_size(identity) < sizeof(sub->identity) ? zmq_msg_size(identity) : 0;
        memcpy(sub->identity, zmq_msg_data((zmq_msg_t *)identity), sub->identity_len);
    }
    sub->request_id = request_id;
    sub->received_ns = identity ? self->request_ns : 0;
    sub->nevents = n;
    sub->seqs = calloc(n ? n : 1, sizeof(uint64_t));
    sub->errors = calloc(n ? n : 1, sizeof(Cchc__Error *));
    sub->rows = calloc(n ? n : 1, sizeof(cchc_logrow_t));
    if (!sub->seqs || !sub->errors || !sub->rows)
        abort();
    return sub;
}

static void submission_reject(intake_t *self, submission_t *sub, const cchc_err_t *err)
{
    Cchc__Error *e = calloc(1, sizeof(*e));
    if (!e)
        abort();
    cchc__error__init(e);
    e->has_code = e->has_index = true;
    e->code = err->code;
    e->index = err->index;
    e->message_vi = strdup(err->vi);
    e->message_en = strdup(err->en);
    sub->errors[sub->nerrors++] = e;
    count_rejected(self, err->code);
    cchc_log(CCHC_INFO, "event_rejected", "index=%d code=%s detail=%s", err->index, cchc_err_name(err->code),
             err->en);
}

//  Stamp, fold and pack an accepted event. The event is the caller's (a
//  decoded request or a local clock event); seq and log time are set here.
static void submission_accept(intake_t *self, submission_t *sub, size_t index, Cchc__Event *ev)
{
    ev->has_seq = ev->has_log_time_ms = true;
    ev->seq = ++self->assigned_seq;
    ev->log_time_ms = cchc_clock_now(&self->clock);
    if (cchc_model_apply(self->model, ev, NULL) != 0) {
        //  check passed but apply refused: a bug, never a user error.
        cchc_log(CCHC_ERROR, "model_disagrees", "seq=%llu", (unsigned long long)ev->seq);
        abort();
    }
    cchc_logrow_pack(&sub->rows[sub->nrows++], ev);
    sub->seqs[index] = ev->seq;
    sub->log_time_ms = ev->log_time_ms;
    self->accepted++;
}

static int submission_write(sqlite3 *db, void *arg)
{
    submission_t *sub = arg;
    intake_t *self = sub->intake;
    if (cchc_eventlog_append(db, &self->append_stmt, sub->rows, sub->nrows) != 0)
        return -1;
    //  the producer's number and ack commit with its events, or not at all
    if (sub->producer && cchc_producer_save(db, &self->producer_stmt, sub->producer->id, sub->producer_seq,
                                            sub->ack, sub->ack_len) != 0)
        return -1;
    return 0;
}

static void publish_head(intake_t *self)
{
    cchc_logserve_hint(&self->pub, "seq", self->committed_seq);
}

//  The submission's Ack, without request id and head (what a producer's
//  resend gets back).
static void submission_ack_fill(const submission_t *sub, Cchc__Ack *ack)
{
    cchc__ack__init(ack);
    ack->n_seqs = sub->nevents;
    ack->seqs = sub->seqs;
    ack->has_log_time_ms = sub->nrows > 0;
    ack->log_time_ms = sub->log_time_ms;
    ack->n_errors = sub->nerrors;
    ack->errors = sub->errors;
    ack->has_producer_seq = sub->producer != NULL;
    ack->producer_seq = sub->producer_seq;
}

//  Send a stored ack (packed, for a resend) to a peer.
static void stored_ack_send(intake_t *self, const uint8_t *packed, size_t len, const void *identity,
                            size_t identity_len, uint64_t request_id)
{
    Cchc__Ack *ack = cchc__ack__unpack(NULL, len, packed);
    if (!ack)
        return;
    ack->has_duplicate = ack->duplicate = true;
    ack->has_head_seq = true;
    ack->head_seq = self->committed_seq;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_ACK;
    env.ack = ack;
    zmq_msg_t body;
    if (cchc_encode(&env, &body) == 0)
        cchc_reply_bytes(&self->router, identity, identity_len, &body);
    cchc__ack__free_unpacked(ack, NULL);
    self->duplicates++;
}

static void submission_ack(submission_t *sub)
{
    intake_t *self = sub->intake;
    Cchc__Ack ack;
    submission_ack_fill(sub, &ack);
    ack.has_head_seq = true;
    ack.head_seq = self->committed_seq;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = sub->request_id;
    env.body_case = CCHC__ENVELOPE__BODY_ACK;
    env.ack = &ack;
    zmq_msg_t body;
    if (sub->identity_len && cchc_encode(&env, &body) == 0)
        cchc_reply_bytes(&self->router, sub->identity, sub->identity_len, &body);
    if (sub->received_ns)
        cchc_lathist_add(&self->ack_time, cchc_monotonic_ns() - sub->received_ns);
}

static void submission_committed(int status, void *arg)
{
    submission_t *sub = arg;
    intake_t *self = sub->intake;
    if (status != 0) {
        //  The model already holds events the log does not: stop before
        //  acknowledging anything. A restart rebuilds the model from the log.
        cchc_log(CCHC_ERROR, "commit_failed_fatal", "first_seq=%llu events=%zu",
                 (unsigned long long)(sub->nrows ? sub->rows[0].seq : 0), sub->nrows);
        fflush(stderr);
        _exit(3);
    }
    if (sub->nrows && sub->rows[sub->nrows - 1].seq > self->committed_seq)
        self->committed_seq = sub->rows[sub->nrows - 1].seq;
    self->pending_events -= sub->nrows;
    submission_ack(sub);
    cchc_producer_t *p = sub->producer;
    if (p) {
        cchc_producer_slot_t *slot = cchc_producer_slot(p, sub->producer_seq);
        if (slot)
            slot->pending = false;
        //  resends of this submission that arrived while it committed
        for (waiter_t **link = (waiter_t **)&p->waiters; *link;) {
            waiter_t *w = *link;
            if (w->producer_seq != sub->producer_seq) {
                link = &w->next;
                continue;
            }
            stored_ack_send(self, sub->ack, sub->ack_len, w->identity, w->identity_len, w->request_id);
            *link = w->next;
            free(w);
        }
    }
    if (sub->nrows)
        publish_head(self);
    submission_free(sub);
}

static int snapshot_write(sqlite3 *db, void *arg)
{
    snapshot_t *snap = arg;
    return cchc_record_set_save(&snap->records, db);
}

static void snapshot_saved(int status, void *arg)
{
    snapshot_t *snap = arg;
    if (status != 0) {
        //  same as a failed commit: the group it was in failed with it
        cchc_log(CCHC_ERROR, "snapshot_failed_fatal", "seq=%llu", (unsigned long long)snap->seq);
        fflush(stderr);
        _exit(3);
    }
    cchc_log(CCHC_INFO, "snapshot_saved", "seq=%llu records=%zu", (unsigned long long)snap->seq,
             snap->records.count);
    cchc_record_set_clear(&snap->records);
    free(snap);
}

//  Hand the model's changed records to the writer (loop thread).
static void snapshot_take(intake_t *self)
{
    snapshot_t *snap = calloc(1, sizeof(*snap));
    if (!snap)
        abort();
    snap->intake = self;
    snap->seq = self->assigned_seq;
    cchc_model_take_dirty(self->model, &snap->records);
    self->since_snapshot = 0;
    if (cchc_writer_submit(self->writer, snapshot_write, snapshot_saved, snap) != 0) {
        cchc_log(CCHC_ERROR, "writer_refused", "snapshot_seq=%llu", (unsigned long long)snap->seq);
        fflush(stderr);
        _exit(3);
    }
}

//  Count accepted events; take a snapshot every snapshot_events of them.
static void snapshot_count(intake_t *self, size_t accepted)
{
    self->since_snapshot += accepted;
    if (self->snapshot_events > 0 && self->since_snapshot >= (uint64_t)self->snapshot_events)
        snapshot_take(self);
}

//  Send the submission to the writer, or answer at once if nothing was
//  accepted (a producer's submission always goes through: its number and
//  ack must be stored even when every event was rejected).
static void submission_dispatch(intake_t *self, submission_t *sub)
{
    if (sub->producer) {
        Cchc__Ack ack;
        submission_ack_fill(sub, &ack);
        sub->ack_len = cchc__ack__get_packed_size(&ack);
        sub->ack = malloc(sub->ack_len ? sub->ack_len : 1);
        if (!sub->ack)
            abort();
        cchc__ack__pack(&ack, sub->ack);
        cchc_producer_set(sub->producer, sub->producer_seq, sub->ack, sub->ack_len)->pending = true;
    }
    if (sub->nrows == 0 && !sub->producer) {
        submission_ack(sub);
        submission_free(sub);
        return;
    }
    size_t accepted = sub->nrows;
    self->pending_events += sub->nrows;
    if (sub->received_ns)
        cchc_lathist_add(&self->check_time, cchc_monotonic_ns() - sub->received_ns);
    if (cchc_writer_submit(self->writer, submission_write, submission_committed, sub) != 0) {
        cchc_log(CCHC_ERROR, "writer_refused", "events=%zu", sub->nrows);
        fflush(stderr);
        _exit(3); //  same reasoning as a failed commit
    }
    snapshot_count(self, accepted); //  after the events: the snapshot commits with or after them
}

//  Does this shard own the ward? (No list: it owns every ward.)
static bool shard_owns(const intake_t *self, const char *ward)
{
    return !self->owned || (ward && cchc_strmap_get(self->owned, ward));
}

//  Parse "A,B" into a set, or "A@ep,B@ep" into a map; NULL for "".
static cchc_strmap_t *shard_parse(const char *text, bool with_endpoints)
{
    if (!text || !*text)
        return NULL;
    cchc_strmap_t *map = cchc_strmap_new();
    char *copy = strdup(text), *save = NULL;
    if (!copy)
        abort();
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        char *at = with_endpoints ? strchr(item, '@') : NULL;
        if (with_endpoints && !at) {
            cchc_log(CCHC_WARN, "shard_map_entry_ignored", "entry=%s", item);
            continue;
        }
        if (at)
            *at = 0;
        char *value = strdup(at ? at + 1 : "1");
        if (!value)
            abort();
        free(cchc_strmap_put(map, item, value));
    }
    free(copy);
    return map;
}

static void shard_free(cchc_strmap_t **map)
{
    if (!*map)
        return;
    size_t cursor = 0;
    void *value;
    while (cchc_strmap_next(*map, &cursor, NULL, &value))
        free(value);
    cchc_strmap_destroy(map);
}

//  Refuse a submission for now: ERR_BUSY with retry_after_ms (at most 1 s).
//  Counted apart from rejections: nothing was wrong with it.
static void reply_busy(intake_t *self, const zmq_msg_t *identity, uint64_t request_id, const cchc_err_t *err,
                       uint32_t retry_ms)
{
    self->busy++;
    Cchc__Error e = CCHC__ERROR__INIT;
    e.has_code = e.has_index = e.has_retry_after_ms = true;
    e.code = err->code;
    e.index = -1;
    e.retry_after_ms = retry_ms > 1000 ? 1000 : retry_ms;
    e.message_vi = (char *)err->vi;
    e.message_en = (char *)err->en;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_ERROR;
    env.error = &e;
    zmq_msg_t body;
    if (cchc_encode(&env, &body) == 0)
        cchc_reply_bytes(&self->router, zmq_msg_data((zmq_msg_t *)identity), zmq_msg_size(identity), &body);
}

//  Answer a resend of submission seq, remembered in slot: its Ack now, or
//  once it commits.
static void producer_resend(intake_t *self, cchc_producer_t *p, cchc_producer_slot_t *slot,
                            const zmq_msg_t *identity, uint64_t request_id)
{
    zmq_msg_t *idm = (zmq_msg_t *)identity;
    if (!slot->pending) {
        stored_ack_send(self, slot->ack, slot->ack_len, zmq_msg_data(idm), zmq_msg_size(idm), request_id);
        return;
    }
    waiter_t *w = calloc(1, sizeof(*w)); //  answered when the original commits
    if (!w)
        abort();
    w->identity_len = zmq_msg_size(idm) < sizeof(w->identity) ? zmq_msg_size(idm) : 0;
    memcpy(w->identity, zmq_msg_data(idm), w->identity_len);
    w->request_id = request_id;
    w->producer_seq = slot->seq;
    w->next = p->waiters;
    p->waiters = w;
}

//  Check a producer's submission number. Returns 0 with *out set when the
//  submission is the next one (new or known producer); -1 when it has been
//  answered already: a resend of one of the last CCHC_PRODUCER_WINDOW
//  submissions (its Ack, now or once it commits), a sequence error, or
//  ERR_BUSY for a producer with more than the window in flight.
static int producer_check(intake_t *self, const zmq_msg_t *identity, uint64_t request_id,
                          const Cchc__Submit *submit, cchc_producer_t **out)
{
    cchc_err_t err;
    const char *id = submit->producer_id;
    if (strlen(id) > 128 || !submit->has_producer_seq || submit->producer_seq == 0) {
        cchc_err_set(
            &err, strlen(id) > 128 ? CCHC__ERROR_CODE__ERR_OUT_OF_RANGE : CCHC__ERROR_CODE__ERR_MISSING_FIELD,
            -1, strlen(id) > 128 ? "producer_id longer than 128 bytes" : "producer_seq");
        reply_error(self, identity, request_id, &err);
        return -1;
    }
    cchc_producer_t *p = cchc_producers_get(self->producers, id);
    uint64_t last = p ? p->seq : 0, seq = submit->producer_seq;
    cchc_producer_slot_t *slot = p && seq <= last ? cchc_producer_slot(p, seq) : NULL;
    if (slot && seq + CCHC_PRODUCER_WINDOW > last) {
        producer_resend(self, p, slot, identity, request_id);
        return -1;
    }
    if (seq != last + 1) {
        char detail[128];
        if (seq <= last)
            snprintf(detail, sizeof(detail), "%s: %llu, older than the last %d (latest %llu)", id,
                     (unsigned long long)seq, CCHC_PRODUCER_WINDOW, (unsigned long long)last);
        else
            snprintf(detail, sizeof(detail), "%s: %llu, expected %llu", id, (unsigned long long)seq,
                     (unsigned long long)(last + 1));
        cchc_err_set(&err,
                     seq <= last ? CCHC__ERROR_CODE__ERR_STALE_SEQUENCE : CCHC__ERROR_CODE__ERR_SEQUENCE_GAP,
                     -1, detail);
        reply_error(self, identity, request_id, &err);
        return -1;
    }
    //  The slot this submission takes still holds one being committed: the
    //  producer has more than the window in flight. Refused before its
    //  number is used, like any ERR_BUSY.
    cchc_producer_slot_t *taken = p ? &p->slots[seq % CCHC_PRODUCER_WINDOW] : NULL;
    if (taken && taken->seq && taken->pending) {
        char detail[96];
        snprintf(detail, sizeof(detail), "%s: more than %d submissions in flight", id, CCHC_PRODUCER_WINDOW);
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_BUSY, -1, detail);
        reply_busy(self, identity, request_id, &err, 1);
        return -1;
    }
    *out = p ? p : cchc_producers_add(self->producers, id);
    return 0;
}

static void handle_submit(intake_t *self, const zmq_msg_t *identity, uint64_t request_id,
                          Cchc__Submit *submit)
{
    if (submit->n_events == 0) {
        cchc_err_t err;
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_MISSING_FIELD, -1, "events");
        reply_error(self, identity, request_id, &err);
        return;
    }
    //  Backpressure: refuse before looking at the submission, so that a busy
    //  submission uses no producer number and costs no memory.
    if ((int64_t)self->pending_events >= self->max_pending_events) {
        cchc_err_t err;
        char detail[64];
        snprintf(detail, sizeof(detail), "%llu events waiting", (unsigned long long)self->pending_events);
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_BUSY, -1, detail);
        //  retry after roughly the time the writer needs for the backlog
        reply_busy(self, identity, request_id, &err, 5 + (uint32_t)(self->pending_events / 20000));
        return;
    }
    cchc_producer_t *producer = NULL;
    if (submit->producer_id && *submit->producer_id &&
        producer_check(self, identity, request_id, submit, &producer) != 0)
        return; //  answered: a resend, or a sequence error
    submission_t *sub = submission_new(self, identity, request_id, submit->n_events);
    sub->producer = producer;
    sub->producer_seq = submit->producer_seq;
    int64_t now = cchc_clock_now(&self->clock);
    for (size_t i = 0; i < submit->n_events; i++) {
        Cchc__Event *ev = submit->events[i];
        cchc_err_t err;
        cchc_err_clear(&err);
        err.index = (int)i;
        if (ev->payload_case != CCHC__EVENT__PAYLOAD_CLOCK && !shard_owns(self, ev->ward)) {
            //  another shard's ward: say which one owns it, if the map knows
            cchc_err_set(&err, CCHC__ERROR_CODE__ERR_WRONG_SHARD, (int)i, ev->ward);
            submission_reject(self, sub, &err);
            const char *owner = self->owners ? cchc_strmap_get(self->owners, ev->ward) : NULL;
            if (owner) {
                sub->errors[sub->nerrors - 1]->owner = strdup(owner);
                if (!sub->errors[sub->nerrors - 1]->owner)
                    abort();
            }
        } else if (ev->payload_case == CCHC__EVENT__PAYLOAD_CLOCK) {
            cchc_err_set_vi_en(&err, CCHC__ERROR_CODE__ERR_NOT_PERMITTED, (int)i,
                               "sự kiện đồng hồ chỉ do dịch vụ tiếp nhận ghi",
                               "clock events are intake's own");
            submission_reject(self, sub, &err);
        } else if (cchc_model_check(self->model, ev, now, &err) != 0) {
            submission_reject(self, sub, &err);
        } else {
            if (producer) {
                ev->producer_id = producer->id;
                ev->has_producer_seq = true;
                ev->producer_seq = submit->producer_seq;
            }
            submission_accept(self, sub, i, ev);
            //  the decoded request frees its own strings: never ours
            ev->producer_id = NULL;
        }
    }
    submission_dispatch(self, sub);
}

//  Append a clock event (from the ticker or an AdvanceClock request).
static void clock_event_append(intake_t *self, const zmq_msg_t *identity, uint64_t request_id,
                               const char *reason)
{
    Cchc__ClockAdvanced clock = CCHC__CLOCK_ADVANCED__INIT;
    clock.reason = (char *)reason;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.payload_case = CCHC__EVENT__PAYLOAD_CLOCK;
    ev.clock = &clock;
    ev.ward = "";
    ev.actor = "intake";
    submission_t *sub = submission_new(self, identity, request_id, 1);
    submission_accept(self, sub, 0, &ev);
    submission_dispatch(self, sub);
}

static void on_heartbeat(uv_timer_t *timer)
{
    publish_head(timer->data);
}

static void on_tick(uv_timer_t *timer)
{
    intake_t *self = timer->data;
    if (!self->service.stopping)
        clock_event_append(self, NULL, 0, "tick");
}

static void handle_advance_clock(intake_t *self, const zmq_msg_t *identity, uint64_t request_id,
                                 const Cchc__AdvanceClock *req)
{
    cchc_err_t err;
    cchc_err_clear(&err);
    if (!req->has_to_ms) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_MISSING_FIELD, -1, "to_ms");
        reply_error(self, identity, request_id, &err);
        return;
    }
    int rc = cchc_clock_set(&self->clock, req->to_ms);
    if (rc == -1) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_CLOCK_NOT_MANUAL, -1, NULL);
        reply_error(self, identity, request_id, &err);
        return;
    }
    if (rc == -2) {
        char now[32], to[32];
        cchc_time_format(cchc_clock_now(&self->clock), now, sizeof(now));
        cchc_time_format(req->to_ms, to, sizeof(to));
        char detail[96];
        snprintf(detail, sizeof(detail), "%s < %s", to, now);
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_CLOCK_BACKWARDS, -1, detail);
        reply_error(self, identity, request_id, &err);
        return;
    }
    clock_event_append(self, identity, request_id, "manual");
}

// ---------------------------------------------------------------------------
//  Fetch: committed events from the stored bytes, on the thread pool

static void handle_fetch(intake_t *self, const zmq_msg_t *identity, uint64_t request_id,
                         const Cchc__Fetch *req)
{
    if (cchc_logserve_fetch(self->log_server, identity, request_id, req, self->committed_seq) != 0)
        self->busy++; //  answered ERR_BUSY by the log server
}

static void handle_status(intake_t *self, const zmq_msg_t *identity, uint64_t request_id)
{
    Cchc__Status status = CCHC__STATUS__INIT;
    status.has_head_seq = status.has_now_ms = status.has_manual_clock = true;
    status.head_seq = self->committed_seq;
    status.now_ms = cchc_clock_now(&self->clock);
    status.manual_clock = self->clock.manual;
    status.service = "intake";
    size_t nwards = cchc_model_ward_count(self->model);
    char **wards = calloc(nwards ? nwards : 1, sizeof(char *));
    if (!wards)
        abort();
    for (size_t i = 0; i < nwards; i++)
        wards[i] = cchc_model_ward_at(self->model, i)->code;
    status.n_wards = nwards;
    status.wards = wards;
    status.has_accepted = status.has_rejected = true;
    status.accepted = self->accepted;
    status.rejected = self->rejected;
    status.has_commits = status.has_committed_jobs = status.has_duplicates = status.has_busy = true;
    cchc_writer_stats(self->writer, &status.commits, &status.committed_jobs);
    status.duplicates = self->duplicates;
    status.busy = self->busy;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_STATUS;
    env.status = &status;
    cchc_reply(&self->router, identity, &env);
    free(wards);
}

static void on_request(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg)
{
    (void)watch;
    intake_t *self = arg;
    if (nframes != 2) {
        self->malformed_frames++; //  a ROUTER always sees identity + one envelope
        cchc_log(CCHC_WARN, "request_frames", "frames=%d", nframes);
        return;
    }
    self->request_ns = cchc_monotonic_ns();
    zmq_msg_t *identity = &frames[0];
    cchc_decoded_t *dec = NULL;
    uint64_t request_id = 0;
    cchc_err_t err;
    if (cchc_decode(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), self->max_msg_bytes, &dec,
                    &request_id, &err) != 0) {
        reply_error(self, identity, request_id, &err);
        return;
    }
    Cchc__Envelope *env = (Cchc__Envelope *)cchc_decoded_env(dec);
    switch (env->body_case) {
    case CCHC__ENVELOPE__BODY_SUBMIT:
        handle_submit(self, identity, request_id, env->submit);
        break;
    case CCHC__ENVELOPE__BODY_FETCH:
        handle_fetch(self, identity, request_id, env->fetch);
        break;
    case CCHC__ENVELOPE__BODY_ADVANCE_CLOCK:
        handle_advance_clock(self, identity, request_id, env->advance_clock);
        break;
    case CCHC__ENVELOPE__BODY_STATUS_QUERY:
        handle_status(self, identity, request_id);
        break;
    default:
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE, -1, "not served by intake");
        reply_error(self, identity, request_id, &err);
        break;
    }
    cchc_decoded_destroy(&dec);
}

// ---------------------------------------------------------------------------
//  Start-up: the model is rebuilt from the log

static int replay_row(uint64_t seq, const uint8_t *blob, size_t len, void *arg)
{
    cchc_model_t *model = arg;
    Cchc__Event *ev = cchc__event__unpack(NULL, len, blob);
    if (!ev || ev->seq != seq) {
        cchc_log(CCHC_ERROR, "eventlog_damaged", "seq=%llu", (unsigned long long)seq);
        if (ev)
            cchc__event__free_unpacked(ev, NULL);
        return 1;
    }
    cchc_model_apply(model, ev, NULL);
    cchc__event__free_unpacked(ev, NULL);
    return 0;
}

static int model_rebuild(intake_t *self)
{
    uint64_t head;
    int64_t head_time;
    if (cchc_eventlog_head(self->reader, &head, &head_time) != 0)
        return -1;
    //  the last snapshot, then the events after it
    if (cchc_model_load(self->model, self->reader) != 0)
        return -1;
    uint64_t snapshot_seq = cchc_model_last_seq(self->model);
    if (snapshot_seq > head) {
        cchc_log(CCHC_ERROR, "snapshot_ahead_of_log", "snapshot_seq=%llu head_seq=%llu",
                 (unsigned long long)snapshot_seq, (unsigned long long)head);
        return -1;
    }
    uint64_t from = snapshot_seq + 1;
    while (from <= head) {
        long n = cchc_eventlog_read(self->reader, from, 10000, 64 * 1024 * 1024, replay_row, self->model);
        if (n <= 0 || cchc_model_last_seq(self->model) != from + (uint64_t)n - 1)
            return -1;
        from += (uint64_t)n;
    }
    self->assigned_seq = self->committed_seq = head;
    self->since_snapshot = head - snapshot_seq;
    cchc_log(CCHC_INFO, "log_replayed", "head_seq=%llu snapshot_seq=%llu replayed=%llu wards=%zu",
             (unsigned long long)head, (unsigned long long)snapshot_seq,
             (unsigned long long)(head - snapshot_seq), cchc_model_ward_count(self->model));
    return 0;
}

// ---------------------------------------------------------------------------
//  Shutdown

static void on_handle_closed(uv_handle_t *handle)
{
    (void)handle;
}

static void on_watch_closed(cchc_zwatch_t *watch, void *arg)
{
    (void)watch, (void)arg;
}

static void on_writer_closed(void *arg)
{
    intake_t *self = arg;
    self->writer = NULL;
    //  Every commit is done and every ack sent: now close the sockets.
    cchc_zwatch_close(&self->router, on_watch_closed, self);
    cchc_zwatch_close(&self->pub, on_watch_closed, self);
    cchc_service_close(&self->service);
    cchc_log(CCHC_INFO, "stopped", "accepted=%llu rejected=%llu duplicates=%llu busy=%llu head_seq=%llu",
             (unsigned long long)self->accepted, (unsigned long long)self->rejected,
             (unsigned long long)self->duplicates, (unsigned long long)self->busy,
             (unsigned long long)self->committed_seq);
}

//  Where submissions spent their time (ms), for cchc-bench and operators.
static void timing_log(intake_t *self)
{
    cchc_writer_timing_t *t = malloc(sizeof(*t));
    if (!t)
        return;
    cchc_writer_timing(self->writer, t);
    char ack[160], check[160], queued[160], group[160], wake[160], checkpoint[160], inline_ckpt[160];
    cchc_lathist_format(&self->ack_time, ack, sizeof(ack));
    cchc_lathist_format(&self->check_time, check, sizeof(check));
    cchc_lathist_format(&t->queued, queued, sizeof(queued));
    cchc_lathist_format(&t->group, group, sizeof(group));
    cchc_lathist_format(&t->wake, wake, sizeof(wake));
    cchc_lathist_format(&t->checkpoint, checkpoint, sizeof(checkpoint));
    cchc_lathist_format(&t->checkpoint_inline, inline_ckpt, sizeof(inline_ckpt));
    cchc_log(CCHC_INFO, "ack_timing",
             "received_to_ack=%s received_to_writer=%s writer_queued=%s writer_group=%s commit_to_loop=%s "
             "wal_checkpoint=%s wal_checkpoint_inline=%s",
             ack, check, queued, group, wake, checkpoint, inline_ckpt);
    free(t);
}

static void on_stop(cchc_service_t *service, void *arg)
{
    (void)service;
    intake_t *self = arg;
    timing_log(self);
    cchc_log(CCHC_INFO, "stopping", "pending=%zu", cchc_writer_pending(self->writer));
    cchc_zwatch_stop(&self->router); //  stop accepting
    cchc_logserve_close(&self->log_server);
    uv_timer_stop(&self->ticker);
    uv_close((uv_handle_t *)&self->ticker, on_handle_closed);
    uv_close((uv_handle_t *)&self->heartbeat, on_handle_closed);
    //  a clean stop leaves a snapshot at the head: the next start replays nothing
    if (self->snapshot_events > 0 && self->since_snapshot > 0)
        snapshot_take(self);
    cchc_writer_close(self->writer, on_writer_closed, self);
}

static void on_reload(cchc_service_t *service, void *arg)
{
    (void)service;
    intake_t *self = arg;
    cchc_service_log_config("intake", self->config);
    cchc_log(CCHC_INFO, "reloaded", "accepted=%llu rejected=%llu", (unsigned long long)self->accepted,
             (unsigned long long)self->rejected);
}

// ---------------------------------------------------------------------------

static int intake_start(intake_t *self)
{
    char err[512];
    const char *data_dir = cchc_config_get(self->config, "data_dir");
    if (cchc_store_mkdirs(data_dir) != 0) {
        cchc_log(CCHC_ERROR, "data_dir", "path=%s error=%s", data_dir, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/intake.db", data_dir);
    sqlite3 *wdb =
        cchc_store_open(path, cchc_eventlog_migrations, cchc_eventlog_migration_count, err, sizeof(err));
    if (!wdb) {
        cchc_log(CCHC_ERROR, "store_open", "path=%s error=%s", path, err);
        return -1;
    }
    self->reader =
        cchc_store_open(path, cchc_eventlog_migrations, cchc_eventlog_migration_count, err, sizeof(err));
    if (!self->reader) {
        cchc_store_close(&wdb);
        cchc_log(CCHC_ERROR, "store_open", "path=%s error=%s", path, err);
        return -1;
    }
    self->snapshot_events = 100000;
    cchc_config_get_int(self->config, "snapshot_events", &self->snapshot_events);
    self->producers = cchc_producers_new();
    if (cchc_producers_load(self->producers, self->reader) != 0) {
        cchc_store_close(&wdb);
        cchc_log(CCHC_ERROR, "producers_load_failed", "path=%s", path);
        return -1;
    }
    if (model_rebuild(self) != 0) {
        cchc_store_close(&wdb);
        cchc_log(CCHC_ERROR, "log_replay_failed", "path=%s", path);
        return -1;
    }

    //  Clock: a manual clock resumes where the log stopped.
    const char *mode = cchc_config_get(self->config, "clock");
    bool manual = strcmp(mode, "manual") == 0;
    if (!manual && strcmp(mode, "wall") != 0) {
        cchc_store_close(&wdb);
        cchc_log(CCHC_ERROR, "config", "key=clock value=%s expected=%s", mode, "wall|manual");
        return -1;
    }
    int64_t start = 0;
    if (manual && cchc_time_parse(cchc_config_get(self->config, "clock_start"), &start) != 0) {
        cchc_store_close(&wdb);
        cchc_log(CCHC_ERROR, "config", "key=clock_start value=%s",
                 cchc_config_get(self->config, "clock_start"));
        return -1;
    }
    int64_t log_now = cchc_model_now(self->model);
    cchc_clock_init(&self->clock, manual, start > log_now ? start : log_now);

    self->writer = cchc_writer_new(self->service.loop, wdb);
    if (!self->writer)
        return -1;

    int64_t hwm = 10000, max_bytes = 65536;
    cchc_config_get_int(self->config, "hwm", &hwm);
    cchc_config_get_int(self->config, "max_msg_bytes", &max_bytes);
    cchc_config_get_int(self->config, "tick_ms", &self->tick_ms);
    self->owned = shard_parse(cchc_config_get(self->config, "wards"), false);
    self->owners = shard_parse(cchc_config_get(self->config, "shard_map"), true);
    self->max_pending_events = 100000;
    cchc_config_get_int(self->config, "max_pending_events", &self->max_pending_events);
    self->max_msg_bytes = (size_t)max_bytes;
    //  The transport drops (and disconnects) only messages far over the cap;
    //  those between the cap and 4x get a clear ERR_OVERSIZED reply.
    void *router = cchc_socket(self->service.zctx, ZMQ_ROUTER, cchc_config_get(self->config, "bind"), true,
                               (int)hwm, (long)(max_bytes * 4));
    void *pub = cchc_socket(self->service.zctx, ZMQ_PUB, cchc_config_get(self->config, "pub_bind"), true,
                            (int)hwm, 0);
    if (!router || !pub) {
        if (router)
            zmq_close(router);
        if (pub)
            zmq_close(pub);
        return -1;
    }
    cchc_zwatch_init(self->service.loop, &self->router, router, on_request, self);
    cchc_zwatch_init(self->service.loop, &self->pub, pub, NULL, self);
    //  From here on the read connection is the log server's.
    cchc_logserve_opts_t serve = {
        .select_sql = CCHC_EVENTLOG_FETCH_SQL,
        .body_field = CCHC__ENVELOPE__BODY_EVENT_BATCH,
        .max_records = MAX_FETCH_EVENTS,
        .max_bytes = MAX_FETCH_BYTES,
        .max_queued = MAX_QUEUED_FETCHES,
        .name = "event_log",
    };
    self->log_server = cchc_logserve_new(self->service.loop, &self->router, self->reader, &serve);
    self->reader = NULL;
    if (!self->log_server)
        return -1;
    cchc_zwatch_start(&self->router);

    int64_t heartbeat_ms = 1000;
    cchc_config_get_int(self->config, "heartbeat_ms", &heartbeat_ms);
    uv_timer_init(self->service.loop, &self->heartbeat);
    self->heartbeat.data = self;
    if (heartbeat_ms > 0)
        uv_timer_start(&self->heartbeat, on_heartbeat, (uint64_t)heartbeat_ms, (uint64_t)heartbeat_ms);
    uv_timer_init(self->service.loop, &self->ticker);
    self->ticker.data = self;
    if (!manual && self->tick_ms > 0)
        uv_timer_start(&self->ticker, on_tick, (uint64_t)self->tick_ms, (uint64_t)self->tick_ms);

    char status[160];
    snprintf(status, sizeof(status), "head_seq=%llu clock=%s", (unsigned long long)self->committed_seq, mode);
    cchc_service_ready(&self->service, status);
    return 0;
}

int main(int argc, char **argv)
{
    static intake_t intake;
    intake_t *self = &intake;
    int rc;
    self->config = cchc_service_config("intake", intake_options, argc, argv, &rc);
    if (!self->config)
        return rc;
    self->model = cchc_model_new();
    if (cchc_service_init(&self->service, on_stop, on_reload, self) != 0 || intake_start(self) != 0) {
        cchc_log(CCHC_ERROR, "start_failed", "data_dir=%s", cchc_config_get(self->config, "data_dir"));
        return 1;
    }
    rc = cchc_service_run(&self->service);
    if (self->reader)
        cchc_store_close(&self->reader);
    cchc_model_destroy(&self->model);
    if (self->producers)
        cchc_producers_destroy(&self->producers);
    shard_free(&self->owned);
    shard_free(&self->owners);
    cchc_config_destroy(&self->config);
    return rc == 0 ? 0 : 1;
}
