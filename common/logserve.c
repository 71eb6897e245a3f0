/*  logserve.c - see logserve.h. */
#include "logserve.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "reply.h"
#include "store.h"

//  A growable byte buffer for building a reply by hand.
typedef struct {
    uint8_t *data;
    size_t len, cap;
} bytes_t;

static void bytes_reserve(bytes_t *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *grown = realloc(b->data, cap);
    if (!grown)
        abort();
    b->data = grown;
    b->cap = cap;
}

static void bytes_varint(bytes_t *b, uint64_t v)
{
    bytes_reserve(b, 10);
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        b->data[b->len++] = byte | (v ? 0x80 : 0);
    } while (v);
}

static void bytes_put(bytes_t *b, const void *data, size_t len)
{
    bytes_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
}

//  Protobuf wire format: a length-delimited field is (field << 3 | 2), its
//  length as a varint, then its bytes; a varint field is (field << 3 | 0)
//  and the varint.
long cchc_logserve_reply(sqlite3 *db, const cchc_logserve_opts_t *opts, uint64_t request_id, uint64_t from,
                         uint64_t head, size_t credit, uint8_t **out, size_t *out_len)
{
    assert(db && opts && out && out_len);
    size_t limit = credit < opts->max_records ? credit : opts->max_records;
    bytes_t batch = {0};
    long count = 0;
    if (from <= head && limit > 0) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2(db, opts->select_sql, -1, &stmt, NULL) != SQLITE_OK) {
            cchc_log(CCHC_ERROR, "log_read", "log=%s error=%s", opts->name, sqlite3_errmsg(db));
            return -1;
        }
        sqlite3_bind_int64(stmt, 1, (sqlite3_int64)from);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)head);
        sqlite3_bind_int64(stmt, 3, (sqlite3_int64)limit);
        size_t bytes = 0;
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const void *blob = sqlite3_column_blob(stmt, 0);
            size_t len = (size_t)sqlite3_column_bytes(stmt, 0);
            if (count > 0 && bytes + len > opts->max_bytes)
                break;
            bytes_varint(&batch, (1 << 3) | 2); //  the batch's records: field 1
            bytes_varint(&batch, len);
            bytes_put(&batch, blob, len);
            bytes += len;
            count++;
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            cchc_log(CCHC_ERROR, "log_read", "log=%s error=%s", opts->name, sqlite3_errmsg(db));
            count = -1;
        }
        sqlite3_finalize(stmt);
        if (count < 0) {
            free(batch.data);
            return -1;
        }
    }
    bytes_varint(&batch, (2 << 3) | 0); //  the batch's head_seq: field 2
    bytes_varint(&batch, head);

    bytes_t env = {0};
    bytes_varint(&env, (1 << 3) | 0); //  Envelope.version
    bytes_varint(&env, CCHC_PROTOCOL_VERSION);
    bytes_varint(&env, (2 << 3) | 0); //  Envelope.request_id
    bytes_varint(&env, request_id);
    bytes_varint(&env, ((uint64_t)opts->body_field << 3) | 2);
    bytes_varint(&env, batch.len);
    bytes_put(&env, batch.data, batch.len);
    free(batch.data);
    *out = env.data;
    *out_len = env.len;
    return count;
}

void cchc_logserve_hint(cchc_zwatch_t *pub, const char *topic, uint64_t head)
{
    assert(pub && topic);
    Cchc__NewSeq hint = CCHC__NEW_SEQ__INIT;
    hint.has_head_seq = true;
    hint.head_seq = head;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_NEW_SEQ;
    env.new_seq = &hint;
    zmq_msg_t frames[2];
    size_t len = strlen(topic);
    zmq_msg_init_size(&frames[0], len);
    memcpy(zmq_msg_data(&frames[0]), topic, len);
    if (cchc_encode(&env, &frames[1]) != 0) {
        zmq_msg_close(&frames[0]);
        return;
    }
    cchc_zwatch_send(pub, frames, 2); //  a hint: dropping it at the HWM is fine
}

// ---------------------------------------------------------------------------
//  The server

typedef struct job {
    uv_work_t work;
    cchc_logserve_t *server;
    uint8_t identity[256];
    size_t identity_len;
    uint64_t request_id;
    uint64_t from, head;
    size_t credit;
    uint8_t *reply; //  built by the worker
    size_t reply_len;
    bool failed;
    struct job *next;
} job_t;

struct cchc_logserve {
    uv_loop_t *loop;
    cchc_zwatch_t *router;
    sqlite3 *reader; //  owned; used by the running job only
    cchc_logserve_opts_t opts;
    job_t *queue, *tail; //  waiting (owned), FIFO
    size_t queued;
    bool running;
    bool closing; //  free when the running job is done
    uint64_t served, failed, busy;
};

cchc_logserve_t *cchc_logserve_new(uv_loop_t *loop, cchc_zwatch_t *router, sqlite3 *reader,
                                   const cchc_logserve_opts_t *opts)
{
    assert(loop && router && reader && opts);
    cchc_logserve_t *self = calloc(1, sizeof(*self));
    if (!self) {
        cchc_store_close(&reader);
        return NULL;
    }
    self->loop = loop;
    self->router = router;
    self->reader = reader;
    self->opts = *opts;
    return self;
}

static void server_free(cchc_logserve_t *self)
{
    while (self->queue) {
        job_t *job = self->queue;
        self->queue = job->next;
        free(job);
    }
    cchc_store_close(&self->reader);
    free(self);
}

//  Answer the peer with an Error envelope.
static void reply_error(cchc_logserve_t *self, const void *identity, size_t identity_len, uint64_t request_id,
                        Cchc__ErrorCode code, const char *detail, uint32_t retry_after_ms)
{
    cchc_err_t err;
    cchc_err_set(&err, code, -1, detail);
    Cchc__Error e = CCHC__ERROR__INIT;
    e.has_code = e.has_index = true;
    e.code = err.code;
    e.index = -1;
    e.message_vi = err.vi;
    e.message_en = err.en;
    e.has_retry_after_ms = retry_after_ms > 0;
    e.retry_after_ms = retry_after_ms;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_ERROR;
    env.error = &e;
    zmq_msg_t body;
    if (cchc_encode(&env, &body) == 0)
        cchc_reply_bytes(self->router, identity, identity_len, &body);
}

static void work_read(uv_work_t *work)
{
    job_t *job = work->data;
    cchc_logserve_t *self = job->server;
    job->failed = cchc_logserve_reply(self->reader, &self->opts, job->request_id, job->from, job->head,
                                      job->credit, &job->reply, &job->reply_len) < 0;
}

static void work_done(uv_work_t *work, int status);

static void start_next(cchc_logserve_t *self)
{
    if (self->running || !self->queue)
        return;
    job_t *job = self->queue;
    self->queue = job->next;
    if (!self->queue)
        self->tail = NULL;
    self->queued--;
    job->work.data = job;
    if (uv_queue_work(self->loop, &job->work, work_read, work_done) != 0) {
        cchc_log(CCHC_ERROR, "fetch_queue_failed", "log=%s from_seq=%llu", self->opts.name,
                 (unsigned long long)job->from);
        free(job); //  the peer's fetch times out and is sent again
        return;
    }
    self->running = true;
}

static void work_done(uv_work_t *work, int status)
{
    job_t *job = work->data;
    cchc_logserve_t *self = job->server;
    self->running = false;
    if (self->closing) {
        //  the router is closing; the peer fetches again
    } else if (status == 0 && job->failed) {
        self->failed++;
        reply_error(self, job->identity, job->identity_len, job->request_id, CCHC__ERROR_CODE__ERR_INTERNAL,
                    "log read failed", 0);
    } else if (status == 0) {
        zmq_msg_t body;
        zmq_msg_init_size(&body, job->reply_len);
        memcpy(zmq_msg_data(&body), job->reply, job->reply_len);
        cchc_reply_bytes(self->router, job->identity, job->identity_len, &body);
        self->served++;
    }
    free(job->reply);
    free(job);
    if (self->closing)
        server_free(self);
    else
        start_next(self);
}

int cchc_logserve_fetch(cchc_logserve_t *self, const zmq_msg_t *identity, uint64_t request_id,
                        const Cchc__Fetch *req, uint64_t head)
{
    assert(self && identity && req && !self->closing);
    zmq_msg_t *id = (zmq_msg_t *)identity;
    if (self->queued >= self->opts.max_queued) {
        self->busy++;
        reply_error(self, zmq_msg_data(id), zmq_msg_size(id), request_id, CCHC__ERROR_CODE__ERR_BUSY,
                    "too many fetches waiting", CCHC_LOGSERVE_RETRY_MS);
        return -1;
    }
    job_t *job = calloc(1, sizeof(*job));
    if (!job)
        abort();
    job->server = self;
    job->identity_len = zmq_msg_size(id) <= sizeof(job->identity) ? zmq_msg_size(id) : 0;
    memcpy(job->identity, zmq_msg_data(id), job->identity_len);
    job->request_id = request_id;
    job->from = req->has_from_seq && req->from_seq > 0 ? req->from_seq : 1;
    job->credit = req->has_credit && req->credit > 0 ? req->credit : 1;
    job->head = head;
    if (self->tail)
        self->tail->next = job;
    else
        self->queue = job;
    self->tail = job;
    self->queued++;
    start_next(self);
    return 0;
}

uint64_t cchc_logserve_served(const cchc_logserve_t *self)
{
    return self->served;
}

uint64_t cchc_logserve_failed(const cchc_logserve_t *self)
{
    return self->failed;
}

uint64_t cchc_logserve_busy(const cchc_logserve_t *self)
{
    return self->busy;
}

void cchc_logserve_close(cchc_logserve_t **self_p)
{
    assert(self_p);
    cchc_logserve_t *self = *self_p;
    *self_p = NULL;
    if (!self)
        return;
    if (!self->running) {
        server_free(self);
        return;
    }
    self->closing = true; //  the running job frees the server when it is done
    while (self->queue) {
        job_t *job = self->queue;
        self->queue = job->next;
        free(job);
    }
    self->tail = NULL;
    self->queued = 0;
}
