/*  consumer.c - following a log (intake's events or scoring's output log)
    by pull with credit.

    State machine: IDLE -> (hint | poll timer | resume of a full batch) ->
    FETCHING -> (reply) -> OWNER (the owner commits the batch) -> resume ->
    IDLE or FETCHING. One uv_timer serves as the poll timer while idle and as
    the reply timeout while fetching. On a timeout the DEALER is thrown away
    and a new one connected (Lazy Pirate); request ids discard late replies.
    The kind of log only decides which reply body is expected, how a
    record's seq is read and which callback gets the batch.
*/
#include "consumer.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "service.h"
#include "zwatch.h"

typedef enum { STATE_IDLE, STATE_FETCHING, STATE_OWNER } consumer_state_t;
typedef enum { LOG_EVENTS, LOG_CHANGES } consumer_log_t;

struct cchc_consumer {
    uv_loop_t *loop;
    void *zctx;
    char *fetch_endpoint;
    char *hint_endpoint;
    char *hint_topic; //  NULL: every message
    consumer_log_t log;
    const char *source; //  "intake" or "scoring", for the logs
    unsigned credit, poll_ms, timeout_ms;
    size_t max_msg_bytes;
    cchc_consumer_fn *fn;                 //  LOG_EVENTS
    cchc_consumer_changes_fn *changes_fn; //  LOG_CHANGES
    void *arg;
    cchc_zwatch_t *dealer; //  owned; replaced on timeout
    cchc_zwatch_t *hint;   //  owned SUB socket, or NULL
    uv_timer_t timer;      //  poll while idle, timeout while fetching
    uv_timer_t watchdog;   //  notices a silent intake
    uint64_t last_heard;   //  uv_now of the last message from the log's service
    unsigned silence_ms;   //  silent longer than this: logged
    bool silent;
    consumer_state_t state;
    uint64_t next_seq;           //  first seq not yet handed to the owner
    uint64_t head_seq;           //  highest committed seq intake reported
    uint64_t request_id;         //  id of the fetch in flight
    bool last_full;              //  last batch filled the credit: more waiting
    bool hinted;                 //  a hint came while busy
    uint64_t hint_ns;            //  first hint since the last fetch was sent (0: none)
    cchc_consumer_times_t times; //  of the fetch out, then of the batch handed over
    bool closing;
    int pending_closes;
    void (*on_closed)(void *arg);
    void *closed_arg;
};

static void fetch_send(cchc_consumer_t *self);

//  Anything from the log's service (a reply or a hint) proves it is alive.
static void heard(cchc_consumer_t *self)
{
    self->last_heard = uv_now(self->loop);
    if (self->silent) {
        self->silent = false;
        cchc_log(CCHC_INFO, self->log == LOG_EVENTS ? "intake_back" : "scoring_back", "endpoint=%s",
                 self->fetch_endpoint);
    }
}

static void on_watchdog(uv_timer_t *timer)
{
    cchc_consumer_t *self = timer->data;
    uint64_t quiet = uv_now(self->loop) - self->last_heard;
    if (!self->silent && quiet > self->silence_ms) {
        self->silent = true;
        cchc_log(CCHC_WARN, self->log == LOG_EVENTS ? "intake_silent" : "scoring_silent",
                 "endpoint=%s silent_ms=%llu", self->fetch_endpoint, (unsigned long long)quiet);
    }
}

// ---------------------------------------------------------------------------
//  Sockets

static void close_done(cchc_consumer_t *self)
{
    if (--self->pending_closes > 0)
        return;
    void (*cb)(void *) = self->on_closed;
    void *arg = self->closed_arg;
    free(self->fetch_endpoint);
    free(self->hint_endpoint);
    free(self->hint_topic);
    free(self);
    if (cb)
        cb(arg);
}

static void watch_closed(cchc_zwatch_t *watch, void *arg)
{
    free(watch);
    if (arg)
        close_done(arg);
}

static void on_reply(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg);
static void on_hint(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg);

static cchc_zwatch_t *watch_open(cchc_consumer_t *self, int type, const char *endpoint, cchc_zwatch_fn *fn)
{
    void *sock = cchc_socket(self->zctx, type, endpoint, false, 1000, (long)self->max_msg_bytes);
    if (!sock)
        return NULL;
    if (type == ZMQ_SUB)
        zmq_setsockopt(sock, ZMQ_SUBSCRIBE, self->hint_topic ? self->hint_topic : "",
                       self->hint_topic ? strlen(self->hint_topic) : 0);
    cchc_zwatch_t *watch = calloc(1, sizeof(*watch));
    if (!watch || cchc_zwatch_init(self->loop, watch, sock, fn, self) != 0 || cchc_zwatch_start(watch) != 0) {
        cchc_log(CCHC_ERROR, "consumer_socket", "endpoint=%s", endpoint);
        free(watch);
        zmq_close(sock);
        return NULL;
    }
    return watch;
}

//  Throw the DEALER away and connect a new one (after a timeout).
static int dealer_reconnect(cchc_consumer_t *self)
{
    if (self->dealer)
        cchc_zwatch_close(self->dealer, watch_closed, NULL);
    self->dealer = watch_open(self, ZMQ_DEALER, self->fetch_endpoint, on_reply);
    return self->dealer ? 0 : -1;
}

// ---------------------------------------------------------------------------
//  Timer

static void timer_arm(cchc_consumer_t *self, unsigned ms);

static void on_timer(uv_timer_t *timer)
{
    cchc_consumer_t *self = timer->data;
    if (self->state == STATE_FETCHING) {
        cchc_log(CCHC_WARN, "fetch_timeout", "endpoint=%s next_seq=%llu timeout_ms=%u", self->fetch_endpoint,
                 (unsigned long long)self->next_seq, self->timeout_ms);
        self->state = STATE_IDLE;
        if (dealer_reconnect(self) != 0) {
            timer_arm(self, self->poll_ms);
            return;
        }
    }
    if (self->state == STATE_IDLE)
        fetch_send(self);
}

static void timer_arm(cchc_consumer_t *self, unsigned ms)
{
    uv_timer_start(&self->timer, on_timer, ms, 0);
}

// ---------------------------------------------------------------------------
//  Fetch and reply

static void fetch_send(cchc_consumer_t *self)
{
    assert(self->state == STATE_IDLE);
    if (self->closing)
        return;
    Cchc__Fetch fetch = CCHC__FETCH__INIT;
    fetch.has_from_seq = fetch.has_credit = true;
    fetch.from_seq = self->next_seq;
    fetch.credit = self->credit;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = ++self->request_id;
    env.body_case = CCHC__ENVELOPE__BODY_FETCH;
    env.fetch = &fetch;
    zmq_msg_t msg;
    self->hinted = false;
    if (cchc_encode(&env, &msg) != 0 || cchc_zwatch_send(self->dealer, &msg, 1) != 0) {
        //  EAGAIN: intake is not connected yet (ZMQ_IMMEDIATE); try again later.
        timer_arm(self, self->poll_ms);
        return;
    }
    self->state = STATE_FETCHING;
    self->times = (cchc_consumer_times_t){.hint_ns = self->hint_ns, .sent_ns = uv_hrtime()};
    self->hint_ns = 0;
    timer_arm(self, self->timeout_ms);
}

//  A reply's records, whichever log it came from.
typedef struct {
    void **items; //  Cchc__Event ** or Cchc__ScoreChange **
    size_t n;
    uint64_t head_seq;
} batch_view_t;

static uint64_t item_seq(const cchc_consumer_t *self, void *item)
{
    return self->log == LOG_EVENTS ? ((const Cchc__Event *)item)->seq
                                   : ((const Cchc__ScoreChange *)item)->seq;
}

//  Check that the batch continues the log without a gap.
static bool batch_gapless(const cchc_consumer_t *self, const batch_view_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (item_seq(self, b->items[i]) != self->next_seq + i)
            return false;
    return true;
}

//  The batch of env when it is the reply this consumer expects.
static bool batch_view(const cchc_consumer_t *self, const Cchc__Envelope *env, batch_view_t *b)
{
    if (self->log == LOG_EVENTS && env->body_case == CCHC__ENVELOPE__BODY_EVENT_BATCH) {
        *b = (batch_view_t){(void **)env->event_batch->events, env->event_batch->n_events,
                            env->event_batch->head_seq};
        return true;
    }
    if (self->log == LOG_CHANGES && env->body_case == CCHC__ENVELOPE__BODY_CHANGE_BATCH) {
        *b = (batch_view_t){(void **)env->change_batch->changes, env->change_batch->n_changes,
                            env->change_batch->head_seq};
        return true;
    }
    return false;
}

static void on_reply(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg)
{
    cchc_consumer_t *self = arg;
    if (watch != self->dealer || nframes != 1 || self->state != STATE_FETCHING)
        return; //  a late reply on a socket being replaced, or unexpected
    heard(self);
    cchc_decoded_t *dec = NULL;
    uint64_t request_id = 0;
    cchc_err_t err;
    if (cchc_decode(zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0]), self->max_msg_bytes, &dec,
                    &request_id, &err) != 0) {
        cchc_log(CCHC_ERROR, "fetch_reply_bad", "error=%s detail=%s", cchc_err_name(err.code), err.en);
        return; //  the timeout recovers
    }
    const Cchc__Envelope *env = cchc_decoded_env(dec);
    if (request_id != self->request_id) {
        cchc_decoded_destroy(&dec);
        return;
    }
    uv_timer_stop(&self->timer);
    self->times.reply_ns = uv_hrtime();
    self->state = STATE_IDLE;
    batch_view_t batch;
    if (env->body_case == CCHC__ENVELOPE__BODY_ERROR) {
        cchc_log(CCHC_ERROR, "fetch_refused", "code=%s message=%s", cchc_err_name(env->error->code),
                 env->error->message_en ? env->error->message_en : "");
        timer_arm(self, self->poll_ms);
    } else if (!batch_view(self, env, &batch)) {
        cchc_log(CCHC_ERROR, "fetch_reply_unexpected", "type=%d", (int)env->body_case);
        timer_arm(self, self->poll_ms);
    } else {
        if (batch.head_seq > self->head_seq)
            self->head_seq = batch.head_seq;
        if (batch.n == 0) {
            self->last_full = false;
            if (self->hinted || self->head_seq >= self->next_seq)
                fetch_send(self);
            else
                timer_arm(self, self->poll_ms);
        } else if (!batch_gapless(self, &batch)) {
            cchc_log(CCHC_ERROR, "fetch_gap", "source=%s expected=%llu got=%llu", self->source,
                     (unsigned long long)self->next_seq, (unsigned long long)item_seq(self, batch.items[0]));
            timer_arm(self, self->poll_ms);
        } else {
            self->state = STATE_OWNER;
            self->last_full = batch.n >= self->credit;
            self->next_seq += batch.n;
            if (self->log == LOG_EVENTS)
                self->fn(self, (Cchc__Event **)batch.items, batch.n, self->arg);
            else
                self->changes_fn(self, (Cchc__ScoreChange **)batch.items, batch.n, self->arg);
        }
    }
    cchc_decoded_destroy(&dec);
}

static void on_hint(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg)
{
    (void)watch, (void)frames, (void)nframes;
    cchc_consumer_t *self = arg;
    heard(self);
    if (!self->hint_ns)
        self->hint_ns = uv_hrtime();
    if (self->state == STATE_IDLE) {
        uv_timer_stop(&self->timer);
        fetch_send(self);
    } else {
        self->hinted = true;
    }
}

// ---------------------------------------------------------------------------
//  Public API

static cchc_consumer_t *consumer_new(uv_loop_t *loop, void *zctx, const cchc_consumer_opts_t *opts,
                                     consumer_log_t log, cchc_consumer_fn *fn,
                                     cchc_consumer_changes_fn *changes_fn, void *arg)
{
    assert(loop && zctx && opts && opts->fetch_endpoint && (fn || changes_fn));
    cchc_consumer_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->loop = loop;
    self->zctx = zctx;
    self->log = log;
    self->source = log == LOG_EVENTS ? "intake" : "scoring";
    self->changes_fn = changes_fn;
    self->fetch_endpoint = strdup(opts->fetch_endpoint);
    self->hint_endpoint = opts->hint_endpoint && *opts->hint_endpoint ? strdup(opts->hint_endpoint) : NULL;
    self->hint_topic = opts->hint_topic && *opts->hint_topic ? strdup(opts->hint_topic) : NULL;
    self->credit = opts->credit ? opts->credit : 1000;
    self->poll_ms = opts->poll_ms ? opts->poll_ms : 1000;
    self->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 5000;
    self->max_msg_bytes = opts->max_msg_bytes ? opts->max_msg_bytes : 16 * 1024 * 1024;
    self->next_seq = opts->next_seq ? opts->next_seq : 1;
    self->fn = fn;
    self->arg = arg;
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    //  intake publishes its head every second: three silent seconds (or
    //  three fetch timeouts, without hints) mean it is gone; scoring has no
    //  heartbeat, but answers a poll every poll_ms
    if (log == LOG_EVENTS)
        self->silence_ms = self->hint_endpoint ? 3000 : 3 * self->timeout_ms;
    else
        self->silence_ms = 3 * (self->poll_ms > self->timeout_ms ? self->poll_ms : self->timeout_ms);
    self->last_heard = uv_now(loop);
    uv_timer_init(loop, &self->watchdog);
    self->watchdog.data = self;
    uv_timer_start(&self->watchdog, on_watchdog, 1000, 1000);
    self->dealer = watch_open(self, ZMQ_DEALER, self->fetch_endpoint, on_reply);
    if (self->dealer && self->hint_endpoint)
        self->hint = watch_open(self, ZMQ_SUB, self->hint_endpoint, on_hint);
    if (!self->dealer || (self->hint_endpoint && !self->hint)) {
        cchc_consumer_close(self, NULL, NULL);
        return NULL;
    }
    cchc_log(CCHC_INFO, "consumer_started", "source=%s endpoint=%s next_seq=%llu credit=%u", self->source,
             self->fetch_endpoint, (unsigned long long)self->next_seq, self->credit);
    fetch_send(self);
    return self;
}

cchc_consumer_t *cchc_consumer_new(uv_loop_t *loop, void *zctx, const cchc_consumer_opts_t *opts,
                                   cchc_consumer_fn *fn, void *arg)
{
    assert(fn);
    return consumer_new(loop, zctx, opts, LOG_EVENTS, fn, NULL, arg);
}

cchc_consumer_t *cchc_consumer_new_changes(uv_loop_t *loop, void *zctx, const cchc_consumer_opts_t *opts,
                                           cchc_consumer_changes_fn *fn, void *arg)
{
    assert(fn);
    return consumer_new(loop, zctx, opts, LOG_CHANGES, NULL, fn, arg);
}

void cchc_consumer_resume(cchc_consumer_t *self)
{
    assert(self->state == STATE_OWNER);
    self->state = STATE_IDLE;
    if (self->closing)
        return;
    if (self->last_full || self->hinted || self->head_seq >= self->next_seq)
        fetch_send(self);
    else
        timer_arm(self, self->poll_ms);
}

void cchc_consumer_batch_times(const cchc_consumer_t *self, cchc_consumer_times_t *out)
{
    *out = self->times;
}

uint64_t cchc_consumer_next_seq(const cchc_consumer_t *self)
{
    return self->next_seq;
}

uint64_t cchc_consumer_head_seq(const cchc_consumer_t *self)
{
    return self->head_seq;
}

static void timer_closed(uv_handle_t *handle)
{
    close_done(handle->data);
}

void cchc_consumer_close(cchc_consumer_t *self, void (*on_closed)(void *arg), void *arg)
{
    assert(!self->closing);
    self->closing = true;
    self->on_closed = on_closed;
    self->closed_arg = arg;
    self->pending_closes = 2;
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->watchdog, timer_closed);
    if (self->dealer) {
        self->pending_closes++;
        cchc_zwatch_close(self->dealer, watch_closed, self);
        self->dealer = NULL;
    }
    if (self->hint) {
        self->pending_closes++;
        cchc_zwatch_close(self->hint, watch_closed, self);
        self->hint = NULL;
    }
    uv_close((uv_handle_t *)&self->timer, timer_closed);
}
