/*  main.c - cchc-notify: reminders, overdue alerts and escalation.

    A follower (common/follower.h) folds intake's events into the ward model.
    After EACH event, alerts are decided at that event's log time: for every
    task when the time moved (deadlines may have passed), else for the task
    the event touched. Deciding per event, not per batch, makes the decisions
    independent of how the log is cut into batches: a replay from zero
    decides exactly what the live run decided.

    The decided alerts are inserted into the outbox in the batch's
    transaction, with the model and last_seq; after the commit they are
    delivered and then marked sent by another transaction (at least once).
    Scanning every task on a clock move is fine for a ward; the timer
    structure for 2 million tasks comes with the notify issue.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "channels.h"
#include "codec.h"
#include "config.h"
#include "follower.h"
#include "log.h"
#include "outbox.h"
#include "reply.h"
#include "service.h"
#include "zwatch.h"

static const cchc_option_t notify_options[] = {
    {"bind", "tcp://127.0.0.1:5590", "ROUTER endpoint for alert queries"},
    {"intake", "tcp://127.0.0.1:5570", "intake's ROUTER endpoint (fetch)"},
    {"intake_pub", "tcp://127.0.0.1:5571", "intake's PUB endpoint (new-seq hints)"},
    {"data_dir", "./.cchc/notify", "directory of notify.db"},
    {"credit", "1000", "events per fetch"},
    {"poll_ms", "1000", "fetch interval when no hint arrives"},
    {"max_msg_bytes", "1048576", "largest message accepted"},
    {"channels", "console,file", "delivery channels: console, file"},
    {"file_path", "", "file channel path (default <data_dir>/alerts.log)"},
    {"reminder_days", "7,3,1,0", "reminders this many days before the due date"},
    {"escalate_after_days", "7", "days overdue before the vice-chairman and the coordinating unit hear"},
    {"chairman_after_days", "15", "days overdue before the Chairman hears"},
    {"coordinating_unit", "VHXH", "unit code of Phòng Văn hóa - Xã hội"},
    {"retry_ms", "10000", "retry interval for failed deliveries"},
    {"log_level", "info", "debug, info, warn or error"},
    {"log_format", "auto", "json, text or auto"},
    {NULL, NULL, NULL},
};

//  A growable list of alerts (owned).
typedef struct {
    cchc_alert_t **items;
    size_t n, cap;
} alert_list_t;

typedef struct {
    cchc_service_t service;
    cchc_config_t *config;
    cchc_alert_rules_t rules;
    cchc_channels_t channels;
    cchc_follower_t *follower;
    cchc_zwatch_t router;
    uv_timer_t retry;
    cchc_strmap_t *keys;    //  every key decided (committed or in the batch)
    alert_list_t batch;     //  decided in the batch being committed
    uint64_t committed_seq; //  last_seq of the last committed batch
    bool delivery_failed;   //  retry pending deliveries on the timer
    size_t max_msg_bytes;
    uint64_t decided, delivered;
} notify_t;

static void list_push(alert_list_t *l, cchc_alert_t *a)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = realloc(l->items, l->cap * sizeof(*l->items));
        if (!l->items)
            abort();
    }
    l->items[l->n++] = a;
}

static void list_free(alert_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        cchc_alert_free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

// ---------------------------------------------------------------------------
//  Deciding

static bool key_seen(void *arg, const char *key)
{
    notify_t *self = arg;
    return cchc_strmap_get(self->keys, key) != NULL;
}

static void alert_emit(void *arg, cchc_alert_t *alert)
{
    notify_t *self = arg;
    cchc_strmap_put(self->keys, alert->key, (void *)1);
    list_push(&self->batch, alert);
    self->decided++;
}

static void on_event(void *arg, const Cchc__Event *ev, const cchc_touch_t *touch)
{
    notify_t *self = arg;
    cchc_model_t *model = cchc_follower_model(self->follower);
    int64_t now = cchc_model_now(model);
    if (touch->clock) {
        for (size_t w = 0; w < cchc_model_ward_count(model); w++) {
            cchc_ward_t *ward = cchc_model_ward_at(model, w);
            for (size_t t = 0; t < ward->ntasks; t++)
                cchc_alerts_decide(&self->rules, ward->tasks[t], now, ev->seq, key_seen, alert_emit, self);
        }
    } else if (touch->task) {
        cchc_alerts_decide(&self->rules, touch->task, now, ev->seq, key_seen, alert_emit, self);
    }
}

static int batch_write(sqlite3 *db, void *arg)
{
    notify_t *self = arg;
    return cchc_outbox_insert(db, self->batch.items, self->batch.n);
}

// ---------------------------------------------------------------------------
//  Delivering

typedef struct {
    alert_list_t alerts;
    int64_t sent_ms;
} sent_job_t;

static int sent_write(sqlite3 *db, void *arg)
{
    sent_job_t *job = arg;
    return cchc_outbox_mark_sent(db, job->alerts.items, job->alerts.n, job->sent_ms);
}

static void sent_done(int status, void *arg)
{
    sent_job_t *job = arg;
    if (status != 0)
        cchc_log(CCHC_WARN, "mark_sent_failed", "alerts=%zu", job->alerts.n);
    list_free(&job->alerts);
    free(job);
}

//  Deliver alerts (taking them over) and record the delivery.
static void deliver(notify_t *self, alert_list_t *alerts)
{
    if (alerts->n == 0) {
        list_free(alerts);
        return;
    }
    if (cchc_channels_deliver(&self->channels, alerts->items, alerts->n) != 0) {
        self->delivery_failed = true; //  they stay pending; the retry timer tries again
        list_free(alerts);
        return;
    }
    self->delivered += alerts->n;
    sent_job_t *job = calloc(1, sizeof(*job));
    if (!job)
        abort();
    job->alerts = *alerts;
    memset(alerts, 0, sizeof(*alerts));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    job->sent_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (cchc_writer_submit(cchc_follower_writer(self->follower), sent_write, sent_done, job) != 0)
        sent_done(-1, job); //  stopping: they are redelivered at the next start
}

static void on_committed(void *arg)
{
    notify_t *self = arg;
    self->committed_seq = cchc_model_last_seq(cchc_follower_model(self->follower));
    alert_list_t batch = self->batch;
    memset(&self->batch, 0, sizeof(self->batch));
    deliver(self, &batch);
}

static void deliver_pending(notify_t *self)
{
    alert_list_t pending = {0};
    if (cchc_outbox_pending(cchc_follower_reader(self->follower), &pending.items, &pending.n) != 0)
        return;
    pending.cap = pending.n;
    if (pending.n)
        cchc_log(CCHC_INFO, "redeliver_pending", "alerts=%zu", pending.n);
    self->delivery_failed = false;
    deliver(self, &pending);
}

static void on_retry(uv_timer_t *timer)
{
    notify_t *self = timer->data;
    if (self->delivery_failed)
        deliver_pending(self);
}

// ---------------------------------------------------------------------------
//  Queries

static void reply_error(notify_t *self, zmq_msg_t *identity, uint64_t request_id, const cchc_err_t *err)
{
    cchc_log(CCHC_DEBUG, "query_rejected", "code=%s detail=%s", cchc_err_name(err->code), err->en);
    cchc_reply_error(&self->router, identity, request_id, err);
}

static void handle_alerts(notify_t *self, zmq_msg_t *identity, uint64_t request_id, const Cchc__AlertQuery *q)
{
    cchc_err_t err;
    if (!cchc_model_ward(cchc_follower_model(self->follower), q->ward)) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_WARD, -1, q->ward ? q->ward : "");
        reply_error(self, identity, request_id, &err);
        return;
    }
    Cchc__Alert **alerts = NULL;
    size_t n = 0;
    unsigned total = 0;
    if (cchc_outbox_list(cchc_follower_reader(self->follower), q->ward, q->limit, &alerts, &n, &total) != 0) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "outbox read failed");
        reply_error(self, identity, request_id, &err);
        return;
    }
    Cchc__AlertList list = CCHC__ALERT_LIST__INIT;
    list.n_alerts = n;
    list.alerts = alerts;
    list.has_last_seq = list.has_total = true;
    list.last_seq = self->committed_seq; //  the outbox is read as committed
    list.total = total;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_LIST;
    env.alert_list = &list;
    cchc_reply(&self->router, identity, &env);
    cchc_outbox_list_free(alerts, n);
}

static void on_request(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg)
{
    (void)watch;
    notify_t *self = arg;
    if (nframes != 2)
        return;
    cchc_decoded_t *dec = NULL;
    uint64_t request_id = 0;
    cchc_err_t err;
    if (cchc_decode(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), self->max_msg_bytes, &dec,
                    &request_id, &err) != 0) {
        reply_error(self, &frames[0], request_id, &err);
        return;
    }
    const Cchc__Envelope *env = cchc_decoded_env(dec);
    if (env->body_case == CCHC__ENVELOPE__BODY_ALERT_QUERY) {
        handle_alerts(self, &frames[0], request_id, env->alert_query);
    } else {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE, -1, "not served by notify");
        reply_error(self, &frames[0], request_id, &err);
    }
    cchc_decoded_destroy(&dec);
}

// ---------------------------------------------------------------------------
//  Lifecycle

static void on_watch_closed(cchc_zwatch_t *watch, void *arg)
{
    (void)watch, (void)arg;
}

static void on_follower_closed(void *arg)
{
    notify_t *self = arg;
    list_free(&self->batch);
    cchc_strmap_destroy(&self->keys);
    cchc_zwatch_close(&self->router, on_watch_closed, self);
    cchc_service_close(&self->service);
    cchc_log(CCHC_INFO, "stopped", "decided=%llu delivered=%llu", (unsigned long long)self->decided,
             (unsigned long long)self->delivered);
}

static void on_stop(cchc_service_t *service, void *arg)
{
    (void)service;
    notify_t *self = arg;
    cchc_zwatch_stop(&self->router);
    uv_close((uv_handle_t *)&self->retry, NULL);
    cchc_follower_close(self->follower, on_follower_closed, self);
}

static void on_reload(cchc_service_t *service, void *arg)
{
    (void)service;
    cchc_service_log_config("notify", ((notify_t *)arg)->config);
}

static int settings_load(notify_t *self)
{
    cchc_config_t *cfg = self->config;
    cchc_alert_rules_default(&self->rules);
    int64_t esc = 0, chair = 0;
    if (cchc_alert_rules_parse_days(&self->rules, cchc_config_get(cfg, "reminder_days")) != 0 ||
        cchc_config_get_int(cfg, "escalate_after_days", &esc) != 0 ||
        cchc_config_get_int(cfg, "chairman_after_days", &chair) != 0 || esc < 0 || chair < esc) {
        cchc_log(CCHC_ERROR, "config", "error=%s",
                 "bad reminder_days, escalate_after_days or chairman_after_days");
        return -1;
    }
    self->rules.escalate_after_days = (int)esc;
    self->rules.chairman_after_days = (int)chair;
    snprintf(self->rules.coordinating_unit, sizeof(self->rules.coordinating_unit), "%s",
             cchc_config_get(cfg, "coordinating_unit"));
    const char *file = cchc_config_get(cfg, "file_path");
    if (file && *file)
        snprintf(self->channels.file_path, sizeof(self->channels.file_path), "%s", file);
    else
        snprintf(self->channels.file_path, sizeof(self->channels.file_path), "%s/alerts.log",
                 cchc_config_get(cfg, "data_dir"));
    if (cchc_channels_parse(&self->channels, cchc_config_get(cfg, "channels")) != 0) {
        cchc_log(CCHC_ERROR, "config", "key=channels value=%s", cchc_config_get(cfg, "channels"));
        return -1;
    }
    return 0;
}

static int notify_start(notify_t *self)
{
    const char *data_dir = cchc_config_get(self->config, "data_dir");
    if (settings_load(self) != 0)
        return -1;
    if (cchc_store_mkdirs(data_dir) != 0) {
        cchc_log(CCHC_ERROR, "data_dir", "path=%s", data_dir);
        return -1;
    }
    char path[4096], err[512];
    snprintf(path, sizeof(path), "%s/notify.db", data_dir);
    int64_t credit = 1000, poll_ms = 1000, max_bytes = 1048576, retry_ms = 10000;
    cchc_config_get_int(self->config, "credit", &credit);
    cchc_config_get_int(self->config, "poll_ms", &poll_ms);
    cchc_config_get_int(self->config, "max_msg_bytes", &max_bytes);
    cchc_config_get_int(self->config, "retry_ms", &retry_ms);
    self->max_msg_bytes = (size_t)max_bytes;
    self->keys = cchc_strmap_new();
    cchc_follower_opts_t opts = {
        .db_path = path,
        .migrations = cchc_outbox_migrations,
        .migration_count = cchc_outbox_migration_count,
        .consumer = {.fetch_endpoint = cchc_config_get(self->config, "intake"),
                     .hint_endpoint = cchc_config_get(self->config, "intake_pub"),
                     .credit = (unsigned)credit,
                     .poll_ms = (unsigned)poll_ms,
                     .timeout_ms = 5000,
                     .max_msg_bytes = 64 * 1024 * 1024},
        .on_event = on_event,
        .write = batch_write,
        .committed = on_committed,
        .arg = self,
    };
    self->follower = cchc_follower_new(self->service.loop, self->service.zctx, &opts, err, sizeof(err));
    if (!self->follower) {
        cchc_log(CCHC_ERROR, "start_failed", "error=%s", err);
        return -1;
    }
    self->committed_seq = cchc_model_last_seq(cchc_follower_model(self->follower));
    if (cchc_outbox_load_keys(cchc_follower_reader(self->follower), self->keys) != 0)
        return -1;
    void *router = cchc_socket(self->service.zctx, ZMQ_ROUTER, cchc_config_get(self->config, "bind"), true,
                               10000, (long)max_bytes * 4);
    if (!router)
        return -1;
    cchc_zwatch_init(self->service.loop, &self->router, router, on_request, self);
    cchc_zwatch_start(&self->router);
    uv_timer_init(self->service.loop, &self->retry);
    self->retry.data = self;
    uv_timer_start(&self->retry, on_retry, (uint64_t)retry_ms, (uint64_t)retry_ms);
    uv_unref((uv_handle_t *)&self->retry);
    deliver_pending(self); //  what a crash left between decision and delivery
    char status[96];
    snprintf(status, sizeof(status), "last_seq=%llu alerts=%zu", (unsigned long long)self->committed_seq,
             cchc_strmap_size(self->keys));
    cchc_service_ready(&self->service, status);
    return 0;
}

int main(int argc, char **argv)
{
    static notify_t notify;
    notify_t *self = &notify;
    int rc;
    self->config = cchc_service_config("notify", notify_options, argc, argv, &rc);
    if (!self->config)
        return rc;
    if (cchc_service_init(&self->service, on_stop, on_reload, self) != 0 || notify_start(self) != 0)
        return 1;
    rc = cchc_service_run(&self->service);
    cchc_config_destroy(&self->config);
    return rc == 0 ? 0 : 1;
}
