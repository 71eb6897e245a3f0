/*  main.c - cchc-notify: reminders, overdue alerts and escalation, derived
    from intake's log.

    A follower (common/follower.h) folds intake's events into the ward model.
    After EACH event, alerts are decided at that event's log time: for the
    task the event touched, for every task of the ward when an official or a
    unit is registered (a recipient may have appeared), and for every task
    whose next alert instant the log time has reached (schedule.h). Deciding
    per event, not per batch, makes the decisions independent of how the log
    is cut into batches: a replay from zero decides exactly what the live run
    decided. The schedule replaces "every task on every clock move" with a
    heap of instants; it decides the same alerts (test_alerts proves it).
    The tasks of one event are decided in the model's order, so even the
    outbox row ids are the same in a replay. After a start every task is
    decided at the first event (settings may have changed; if they did not,
    nothing new results).

    The alerts decided in a batch are inserted into the outbox in the batch's
    transaction, with the model records and last_seq. After the commit,
    pending rows are read back (on the loop thread, through the follower's
    read connection: a WAL read of a few rows by a partial index), each
    recipient's e-mail address is taken from the model, and the channels
    deliver them on a libuv worker thread (uv_queue_work: fsync and SMTP
    block, the loop never does). Back on the loop, a writer job marks the
    alerts that reached every channel sent and counts a failed attempt for
    the others, which stay pending for the retry timer. Only one delivery is
    in flight at a time, so a row is never delivered twice by the same run;
    at start everything still pending is delivered (at least once, with its
    token; an e-mail's Message-ID is derived from it). A stop waits for the
    delivery in flight (the channels give up on the alerts not yet sent) and
    records its outcome before the database closes.

    Tier and rank drops: with the setting `scoring` non-empty, a second
    consumer (common/consumer.h, ChangeBatch replies) follows scoring's
    output log. A batch of records is copied and held until the model has
    folded each record's cause (input_seq <= the model's last seq): the
    records that qualify are decided (alerts.h, cchc_alerts_decide_change)
    against the model and their alerts inserted by a writer job of their
    own, with the scoring stream's next seq (table stream_position) in the
    same transaction; only after that commit is the rest of the batch
    decided, and only once the whole batch is committed does the consumer
    fetch again. A crash loses or repeats nothing: the restart resumes at
    the committed next seq, and the outbox's unique key is a second guard.
*/
#include <curl/curl.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "channels.h"
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "follower.h"
#include "log.h"
#include "outbox.h"
#include "reply.h"
#include "schedule.h"

#define NOTIFY_MAX_SOURCES 64 //  shards followed (the follower's limit)
#include "service.h"
#include "zwatch.h"

//  Pending alerts handled per delivery round (the next round follows at once).
#define DELIVERY_ROUND 500

static const cchc_option_t notify_options[] = {
    {"bind", "tcp://127.0.0.1:5590", "ROUTER endpoint for alert queries"},
    {"intake", "tcp://127.0.0.1:5570", "intake's ROUTER endpoint (fetch)"},
    {"intake_pub", "tcp://127.0.0.1:5571", "intake's PUB endpoint (new-seq hints)"},
    {"data_dir", "./.cchc/notify", "directory of notify.db"},
    {"credit", "1000", "events per fetch"},
    {"poll_ms", "1000", "fetch interval when no hint arrives"},
    {"max_msg_bytes", "1048576", "largest query accepted"},
    {"channels", "console,file",
     "delivery channels: console, file, email, webhook, zalo; a>b: b when a keeps failing (empty: none)"},
    {"file_path", "", "file channel path (default <data_dir>/alerts.log)"},
    {"smtp_url", "", "email channel: smtp://host:port (STARTTLS as smtp_tls says) or smtps://host:port"},
    {"smtp_from", "", "email channel: sender address (From and envelope sender)"},
    {"smtp_from_name", "Hệ thống theo dõi CCHC", "email channel: sender display name"},
    {"smtp_user", "", "email channel: SMTP login (empty: none)"},
    {"smtp_password_file", "", "email channel: file holding the SMTP password (never logged)"},
    {"smtp_tls", "auto", "email channel: auto (STARTTLS when offered), required or off"},
    {"smtp_timeout_ms", "10000", "email channel: timeout per message, connecting included"},
    {"reminder_days", "7,3,1,0", "reminders this many days before the due date"},
    {"escalate_after_days", "7", "days overdue before the vice-chairman and the coordinating unit hear"},
    {"chairman_after_days", "15", "days overdue before the Chairman hears"},
    {"scoring", "", "scoring's ROUTER endpoint: follow its output log for tier and rank drops (empty: off)"},
    {"scoring_pub", "", "scoring's PUB endpoint (topic \"changes\": new-record hints; empty: poll only)"},
    {"tier_drop", "yes", "yes: alert a unit's head when its tier gets worse (both rated); no: never"},
    {"rank_drop_min", "1", "alert a unit's head when its rank falls by at least this many places (0: never)"},
    {"coordinating_unit", "VHXH", "unit code of Phòng Văn hóa - Xã hội"},
    {"escalation_days", "calendar", "what the escalation delays count: calendar or working days"},
    {"holidays_file", "", "public holidays, dd/mm/yyyy name per line (data/calendar/holidays-2026.txt)"},
    {"working_hours", "07:30-17:00", "working time of a working day, local HH:MM-HH:MM"},
    {"deliver_outside_hours", "yes", "yes: deliver at once; no: hold deliveries until working time"},
    {"webhook_url", "", "webhook channel: http(s) URL the alerts are POSTed to as JSON"},
    {"webhook_token_file", "", "webhook channel: file holding a bearer token (never logged; empty: none)"},
    {"zalo_url", "https://openapi.zalo.me/v3.0/oa/message/cs", "zalo channel: the OA message endpoint"},
    {"zalo_token_file", "", "zalo channel: file holding the OA access token (never logged)"},
    {"zalo_users_file", "", "zalo channel: file of WARD/OFFICIAL = Zalo user id lines"},
    {"http_timeout_ms", "10000", "webhook and zalo channels: timeout per request, connecting included"},
    {"retry_ms", "10000", "delay after a channel's first failed attempt (then backoff)"},
    {"retry_max_ms", "3600000", "longest delay between attempts"},
    {"retry_factor", "2", "backoff growth per failed attempt (1 to 10)"},
    {"max_attempts", "10", "failed attempts on a channel with no fallback left before the dead-letter list"},
    {"fallback_after", "3", "failed attempts in a row before the next channel of a group a>b is tried"},
    {"digest_window_min", "0",
     "e-mail and Zalo: one message per person per window of this many minutes (divides 1440; 0: one per "
     "alert)"},
    {"log_level", "info", "debug, info, warn or error"},
    {"log_format", "auto", "json, text or auto"},
    {NULL, NULL, NULL},
};

//  A growable array of alerts, owned.
typedef struct {
    cchc_alert_t **items;
    size_t n, cap;
} alert_list_t;

//  A growable array of tasks, borrowed from the model.
typedef struct {
    cchc_task_t **items;
    size_t n, cap;
} task_list_t;

typedef struct {
    cchc_service_t service;
    cchc_config_t *config; //  owned by main
    cchc_alert_rules_t rules;
    cchc_calendar_t *calendar; //  owned; rules.calendar borrows it
    bool hold_outside_hours;   //  deliver_outside_hours = no
    cchc_channels_t channels;
    cchc_follower_t *follower; //  owned; NULL once closed
    cchc_zwatch_t router;      //  alert queries
    bool router_open;
    uv_timer_t retry; //  retries a failed delivery
    bool retry_open;
    //  owned, by model source (shard), created on first use: when each task
    //  is decided again, in its shard's log time
    cchc_alert_schedule_t *schedules[NOTIFY_MAX_SOURCES];
    cchc_strmap_t *keys; //  owned: every key decided (committed or in the batch)
    alert_list_t batch;  //  decided in the batch being applied or committed
    task_list_t due;     //  scratch: the tasks to decide after the current event
    bool delivering;     //  a delivery (worker, then writer job) is in flight
    bool working;        //  its channels run on a worker thread
    bool close_pending;  //  stopping: close the follower once the worker is back
    atomic_bool cancel;  //  stopping: the worker gives up on what it has not sent
    bool deliver_again;  //  a commit came while delivering
    cchc_retry_policy_t retry_policy;
    uint64_t rng;              //  jitter
    cchc_strmap_t *zalo_users; //  owned, with owned values: "WARD/OFFICIAL" or "OFFICIAL" -> Zalo user id
    bool stopping;
    size_t max_msg_bytes;
    uint64_t decided, delivered, failed, dead; //  alerts decided, delivered, failed rounds, dead-lettered
    //  scoring's output log (tier and rank drops); changes is NULL when off
    cchc_consumer_t *changes;   //  owned
    Cchc__ScoreChange **held;   //  owned copies: the fetched records not yet committed
    size_t nheld, held_done;    //  records held; how many of them are decided and committing
    uint64_t changes_committed; //  next seq of scoring's log committed in stream_position
    alert_list_t change_batch;  //  decided from the records being committed
    bool changes_committing;    //  a writer job for them is in flight
} notify_t;

static void list_push(alert_list_t *list, cchc_alert_t *alert)
{
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 16;
        cchc_alert_t **grown = realloc(list->items, list->cap * sizeof(*grown));
        if (!grown)
            abort();
        list->items = grown;
    }
    list->items[list->n++] = alert;
}

static void list_free(alert_list_t *list)
{
    for (size_t i = 0; i < list->n; i++)
        cchc_alert_free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof(*list));
}

// ---------------------------------------------------------------------------
//  Deciding (loop thread)

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

//  The schedule of a shard (model source index).
static cchc_alert_schedule_t *schedule_of(notify_t *self, int source)
{
    assert(source >= 0 && source < NOTIFY_MAX_SOURCES);
    if (!self->schedules[source])
        self->schedules[source] = cchc_alert_schedule_new();
    return self->schedules[source];
}

static cchc_alert_schedule_t *task_schedule(notify_t *self, const cchc_task_t *task)
{
    return schedule_of(self, task->ward->source ? task->ward->source->index : 0);
}

//  Decide task at now and set when to look at it again.
static void task_decide(notify_t *self, cchc_task_t *task, int64_t now, uint64_t seq)
{
    cchc_alerts_decide(&self->rules, task, now, seq, key_seen, alert_emit, self);
    cchc_alert_schedule_set(task_schedule(self, task), task,
                            cchc_alerts_next_check_ms(&self->rules, task, now));
}

static void due_push(notify_t *self, cchc_task_t *task)
{
    if (self->due.n == self->due.cap) {
        self->due.cap = self->due.cap ? self->due.cap * 2 : 64;
        cchc_task_t **grown = realloc(self->due.items, self->due.cap * sizeof(*grown));
        if (!grown)
            abort();
        self->due.items = grown;
    }
    self->due.items[self->due.n++] = task;
}

//  The model's order: ward code, then the task's position in its ward.
static int task_order(const void *a, const void *b)
{
    const cchc_task_t *x = *(cchc_task_t *const *)a, *y = *(cchc_task_t *const *)b;
    if (x->ward != y->ward)
        return strcmp(x->ward->code, y->ward->code);
    return (x->index > y->index) - (x->index < y->index);
}

static void on_event(void *arg, const Cchc__Event *ev, const cchc_touch_t *touch)
{
    notify_t *self = arg;
    cchc_model_t *model = cchc_follower_model(self->follower);
    //  The event's shard's log time: only its wards' deadlines can pass.
    int64_t now = touch->source->now_ms;
    self->due.n = 0;
    if (ev->payload_case == CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED ||
        ev->payload_case == CCHC__EVENT__PAYLOAD_UNIT_REGISTERED) {
        //  someone who could not be told before may be registered now
        cchc_ward_t *ward = cchc_model_ward(model, ev->ward);
        for (size_t t = 0; ward && t < ward->ntasks; t++)
            due_push(self, ward->tasks[t]);
    } else if (touch->task) {
        due_push(self, touch->task);
    } else if (ev->payload_case == CCHC__EVENT__PAYLOAD_SILENCE_SET) {
        //  a unit's silence: each of its tasks is decided (and scheduled) again
        const cchc_unit_t *unit = cchc_ward_unit(cchc_model_ward(model, ev->ward), ev->silence_set->unit);
        for (size_t t = 0; unit && t < unit->ntasks; t++) //  the unit's own list, in ward order
            due_push(self, unit->tasks[t]);
    }
    cchc_task_t *task;
    while ((task = cchc_alert_schedule_pop_due(schedule_of(self, touch->source->index), now)))
        due_push(self, task);
    //  Decide in the model's order, each task once: the outbox rows of an
    //  event come in the same order however the schedule got there (a
    //  restart schedules differently from a replay from zero).
    if (self->due.n > 1)
        qsort(self->due.items, self->due.n, sizeof(*self->due.items), task_order);
    for (size_t i = 0; i < self->due.n; i++)
        if (i == 0 || self->due.items[i] != self->due.items[i - 1])
            task_decide(self, self->due.items[i], now, ev->seq);
}

//  Writer thread, inside the batch's transaction (after the model records).
static int batch_write(sqlite3 *db, void *arg)
{
    notify_t *self = arg;
    return cchc_outbox_insert(db, self->batch.items, self->batch.n, NULL);
}

// ---------------------------------------------------------------------------
//  Scoring's output log: tier and rank drops (loop thread; a writer job)

#define SCORING_STREAM "scoring"

static void deliver_pending(notify_t *self);

static void change_emit(void *arg, cchc_alert_t *alert)
{
    notify_t *self = arg;
    cchc_strmap_put(self->keys, alert->key, (void *)1);
    list_push(&self->change_batch, alert);
    self->decided++;
}

static void held_free(notify_t *self)
{
    for (size_t i = 0; i < self->nheld; i++)
        cchc__score_change__free_unpacked(self->held[i], NULL);
    free(self->held);
    self->held = NULL;
    self->nheld = self->held_done = 0;
}

//  Writer thread: the alerts of the decided records and the stream's next
//  seq, in one transaction.
static int changes_write(sqlite3 *db, void *arg)
{
    notify_t *self = arg;
    uint64_t next = self->held[self->held_done - 1]->seq + 1;
    if (cchc_outbox_insert(db, self->change_batch.items, self->change_batch.n, NULL) != 0)
        return -1;
    return cchc_outbox_stream_set(db, SCORING_STREAM, next);
}

static void changes_decide(notify_t *self);

static void changes_committed(int status, void *arg)
{
    notify_t *self = arg;
    if (status != 0) {
        cchc_log(CCHC_ERROR, "commit_failed_fatal", "stream=%s next_seq=%llu", SCORING_STREAM,
                 (unsigned long long)self->changes_committed);
        fflush(stderr);
        _exit(3);
    }
    self->changes_committing = false;
    self->changes_committed = self->held[self->held_done - 1]->seq + 1;
    list_free(&self->change_batch);
    deliver_pending(self);
    if (self->held_done < self->nheld) {
        changes_decide(self); //  the rest, once the model has folded their causes
        return;
    }
    held_free(self);
    if (self->changes)
        cchc_consumer_resume(self->changes);
}

//  Decide the held records whose cause the model has folded, in order, and
//  commit their alerts with the new position. Called when records arrive,
//  after every folded batch of intake's log, and after each commit.
static void changes_decide(notify_t *self)
{
    if (self->changes_committing || self->held_done == self->nheld || self->stopping || !self->follower)
        return;
    cchc_model_t *model = cchc_follower_model(self->follower);
    size_t from = self->held_done, to = from;
    while (to < self->nheld) {
        const Cchc__ScoreChange *c = self->held[to];
        //  A record's input seq is a seq of its ward's shard (model.h).
        cchc_ward_t *ward = cchc_model_ward(model, c->ward);
        uint64_t folded = cchc_ward_last_seq(model, ward);
        if (c->input_seq > folded)
            break;
        cchc_alerts_decide_change(&self->rules, ward, c, key_seen, change_emit, self);
        to++;
    }
    if (to == from)
        return; //  waiting for intake's log to reach the next record's cause
    self->held_done = to;
    self->changes_committing = true;
    if (cchc_writer_submit(cchc_follower_writer(self->follower), changes_write, changes_committed, self) !=
        0) {
        cchc_log(CCHC_ERROR, "writer_refused", "stream=%s records=%zu", SCORING_STREAM, to - from);
        fflush(stderr);
        _exit(3);
    }
}

//  A batch of scoring's output log (borrowed): copy it and decide what can be.
static void on_changes(cchc_consumer_t *consumer, Cchc__ScoreChange **changes, size_t n, void *arg)
{
    (void)consumer;
    notify_t *self = arg;
    self->held = calloc(n, sizeof(*self->held));
    if (!self->held)
        abort();
    for (size_t i = 0; i < n; i++)
        self->held[i] = cchc_message_dup(&changes[i]->base);
    self->nheld = n;
    self->held_done = 0;
    changes_decide(self);
}

//  After every batch of intake's log is folded: held records may qualify now.
static void on_batch(void *arg)
{
    changes_decide(arg);
}

// ---------------------------------------------------------------------------
//  Delivering (loop thread; the outcome is recorded by a writer job)

typedef struct {
    uv_work_t work;
    notify_t *self;
    alert_list_t alerts;             //  owned
    char **addresses;                //  owned: e-mail address of each alert's recipient (NULL: none)
    cchc_delivery_item_t *items;     //  owned: one per alert (plans in, results out)
    cchc_delivery_state_t *states;   //  owned: each alert's state per channel
    unsigned *reachable;             //  owned: channels that can reach each recipient
    cchc_delivery_record_t *records; //  owned: what the writer records
    size_t nsent, nfailed, ndead;
    int64_t now_ms;
} delivery_t;

static void delivery_free(delivery_t *job)
{
    for (size_t i = 0; job->addresses && i < job->alerts.n; i++)
        free(job->addresses[i]);
    free(job->addresses);
    free(job->items);
    free(job->states);
    free(job->reachable);
    free(job->records);
    list_free(&job->alerts);
    free(job);
}

static int delivery_write(sqlite3 *db, void *arg)
{
    delivery_t *job = arg;
    return cchc_delivery_store(db, job->records, job->alerts.n);
}

static void deliver_pending(notify_t *self);
static void schedule_retry(notify_t *self);
static void on_retry_timer(uv_timer_t *timer);

static void delivery_done(int status, void *arg)
{
    delivery_t *job = arg;
    notify_t *self = job->self;
    if (status != 0)
        cchc_log(CCHC_WARN, "delivery_record_failed", "alerts=%zu sent=%zu", job->alerts.n, job->nsent);
    bool full = job->alerts.n == DELIVERY_ROUND;
    delivery_free(job);
    self->delivering = false;
    //  more may be waiting: a full round, or a commit or replay that came meanwhile
    if (status == 0 && (full || self->deliver_again))
        deliver_pending(self);
    else
        schedule_retry(self);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Worker thread: the channels block here, not on the loop. The job's
//  items are its own; self->channels is read-only once started.
static void delivery_work(uv_work_t *req)
{
    delivery_t *job = req->data;
    cchc_channels_deliver(&job->self->channels, job->items, job->alerts.n, &job->self->cancel);
}

static void close_follower(notify_t *self);

//  Loop thread, after the worker: fold each alert's result into its state
//  (backoff, fallback, dead letter), record it (a writer job), and finish a
//  stop that waited for it.
static void delivery_worked(uv_work_t *req, int status)
{
    delivery_t *job = req->data;
    notify_t *self = job->self;
    self->working = false;
    size_t n = job->alerts.n;
    job->records = calloc(n, sizeof(*job->records));
    if (!job->records)
        abort();
    for (size_t i = 0; i < n; i++) {
        cchc_delivery_item_t *it = &job->items[i];
        cchc_delivery_record_t *r = &job->records[i];
        if (status != 0)
            it->tried = it->ok = 0; //  the work never ran
        r->alert_id = job->alerts.items[i]->id;
        r->tried = it->tried;
        r->ok = it->ok;
        r->now_ms = job->now_ms;
        for (int c = 0; c < CCHC_CH_COUNT; c++)
            r->errors[c] = it->error[c];
        r->state = job->states[i];
        r->outcome =
            cchc_delivery_record(&self->channels.route, &self->retry_policy, &r->state, job->reachable[i],
                                 it->tried, it->ok, job->now_ms, &self->rng, &r->next_attempt_ms);
        if (r->outcome == CCHC_OUTCOME_SENT) {
            job->nsent++;
        } else if (it->tried & ~it->ok) {
            job->nfailed++;
            if (r->outcome == CCHC_OUTCOME_DEAD) {
                job->ndead++;
                cchc_log(CCHC_ERROR, "dead_letter", "id=%lld token=%s person=%s", (long long)r->alert_id,
                         job->alerts.items[i]->key, job->alerts.items[i]->person);
            }
        }
    }
    self->delivered += job->nsent;
    self->failed += job->nfailed;
    self->dead += job->ndead;
    if (job->nfailed > 0)
        cchc_log(CCHC_WARN, "delivery_failed", "alerts=%zu delivered=%zu dead=%zu", job->nfailed, job->nsent,
                 job->ndead);
    if (!self->follower ||
        cchc_writer_submit(cchc_follower_writer(self->follower), delivery_write, delivery_done, job) != 0) {
        //  the writer is stopping: the rows stay pending for the next start
        delivery_free(job);
        self->delivering = false;
    }
    if (self->close_pending) {
        self->close_pending = false;
        close_follower(self); //  the writer finishes the record above first
    }
}

static cchc_official_t *recipient(notify_t *self, const cchc_alert_t *alert)
{
    cchc_ward_t *ward = cchc_model_ward(cchc_follower_model(self->follower), alert->ward);
    return ward ? cchc_ward_official(ward, alert->person) : NULL;
}

//  The e-mail address of the alert's recipient as registered now, or NULL.
static char *recipient_address(notify_t *self, const cchc_alert_t *alert)
{
    cchc_official_t *o = recipient(self, alert);
    const char *email = o && o->def ? o->def->email : NULL;
    if (!email || !*email)
        return NULL;
    char *copy = strdup(email);
    if (!copy)
        abort();
    return copy;
}

//  The recipient's Zalo user id from zalo_users_file: "WARD/OFFICIAL" first,
//  then "OFFICIAL". Borrowed from the map, or NULL.
static const char *recipient_zalo(notify_t *self, const cchc_alert_t *alert)
{
    if (!self->zalo_users)
        return NULL;
    char key[256];
    snprintf(key, sizeof(key), "%s/%s", alert->ward, alert->person);
    const char *id = cchc_strmap_get(self->zalo_users, key);
    return id ? id : cchc_strmap_get(self->zalo_users, alert->person);
}

//  With digests on, alerts decided in the window the log time is in are
//  held until it closes (a later event's log time passes its end), so that
//  a digest has all its members; INT64_MAX (none held) otherwise.
static int64_t held_from(notify_t *self)
{
    if (self->channels.digest_window_ms <= 0)
        return INT64_MAX;
    //  With several shards, a window is closed once every shard's log time passed it.
    const cchc_model_t *model = cchc_follower_model(self->follower);
    int64_t now = cchc_model_now(model);
    for (size_t s = 1; s < cchc_model_source_count(model); s++)
        if (cchc_model_source_at(model, s)->now_ms < now)
            now = cchc_model_source_at(model, s)->now_ms;
    return cchc_digest_window_start(now, self->channels.digest_window_ms);
}

//  Read the alerts due now and deliver them on a worker; the outcome is
//  recorded when it is back. One round at a time: a row read again before
//  its record committed would go out twice.
static void deliver_pending(notify_t *self)
{
    if (self->stopping || !self->follower)
        return;
    if (self->delivering) {
        self->deliver_again = true;
        return;
    }
    self->deliver_again = false;
    if (self->hold_outside_hours) {
        //  outside working time: wait for its next start (the retry timer)
        int64_t now = wall_ms(), next = cchc_calendar_next_work_time(self->calendar, now);
        if (next > now && self->retry_open) {
            uv_timer_stop(&self->retry);
            uv_timer_start(&self->retry, on_retry_timer, (uint64_t)(next - now), 0);
            return;
        }
    }
    delivery_t *job = calloc(1, sizeof(*job));
    if (!job)
        abort();
    job->self = self;
    job->now_ms = wall_ms();
    sqlite3 *db = cchc_follower_reader(self->follower);
    if (cchc_outbox_due_before(db, job->now_ms, held_from(self), DELIVERY_ROUND, &job->alerts.items,
                               &job->alerts.n) != 0 ||
        job->alerts.n == 0) {
        delivery_free(job);
        schedule_retry(self);
        return;
    }
    size_t n = job->alerts.n;
    job->alerts.cap = n;
    job->items = calloc(n, sizeof(*job->items));
    job->states = calloc(n, sizeof(*job->states));
    job->reachable = calloc(n, sizeof(*job->reachable));
    job->addresses = calloc(n, sizeof(*job->addresses));
    if (!job->items || !job->states || !job->reachable || !job->addresses)
        abort();
    const cchc_channels_t *ch = &self->channels;
    for (size_t i = 0; i < n; i++) {
        cchc_alert_t *a = job->alerts.items[i];
        cchc_delivery_item_t *it = &job->items[i];
        unsigned reach =
            CCHC_CH_BIT(CCHC_CH_CONSOLE) | CCHC_CH_BIT(CCHC_CH_FILE) | CCHC_CH_BIT(CCHC_CH_WEBHOOK);
        if (cchc_channels_enabled(ch, CCHC_CH_EMAIL) && (job->addresses[i] = recipient_address(self, a)))
            reach |= CCHC_CH_BIT(CCHC_CH_EMAIL);
        else if (cchc_channels_enabled(ch, CCHC_CH_EMAIL))
            cchc_log(CCHC_WARN, "email_no_address", "token=%s person=%s", a->key, a->person);
        if (cchc_channels_enabled(ch, CCHC_CH_ZALO) && (it->zalo_user = recipient_zalo(self, a)))
            reach |= CCHC_CH_BIT(CCHC_CH_ZALO);
        else if (cchc_channels_enabled(ch, CCHC_CH_ZALO))
            cchc_log(CCHC_WARN, "zalo_no_user", "token=%s person=%s", a->key, a->person);
        if (cchc_delivery_load(db, a->id, &job->states[i]) != 0) {
            delivery_free(job);
            schedule_retry(self);
            return;
        }
        job->reachable[i] = reach;
        it->alert = a;
        it->address = job->addresses[i];
        it->plan = cchc_delivery_plan(&ch->route, &job->states[i], reach, job->now_ms);
    }
    job->work.data = job;
    if (uv_queue_work(self->service.loop, &job->work, delivery_work, delivery_worked) != 0) {
        cchc_log(CCHC_ERROR, "delivery_failed", "alerts=%zu error=%s", n, "cannot queue the work");
        delivery_free(job);
        schedule_retry(self);
        return;
    }
    self->delivering = true;
    self->working = true;
}

//  Arm the retry timer for the earliest next attempt of the pending alerts
//  (at least 10 ms from now, so that a row due now cannot spin the loop).
static void schedule_retry(notify_t *self)
{
    if (self->stopping || !self->follower || !self->retry_open || self->delivering)
        return;
    if (self->hold_outside_hours) {
        int64_t now = wall_ms(), work = cchc_calendar_next_work_time(self->calendar, now);
        if (work > now) { //  outside working time: look again when it starts
            uv_timer_stop(&self->retry);
            uv_timer_start(&self->retry, on_retry_timer, (uint64_t)(work - now), 0);
            return;
        }
    }
    int64_t next = 0;
    int found = cchc_outbox_next_due_before(cchc_follower_reader(self->follower), held_from(self), &next);
    uv_timer_stop(&self->retry);
    if (found < 0)
        next = wall_ms() + self->retry_policy.initial_ms; //  a read failed: look again later
    else if (found == 0)
        return;
    int64_t wait = next - wall_ms();
    uv_timer_start(&self->retry, on_retry_timer, (uint64_t)(wait < 10 ? 10 : wait), 0);
}

static void on_committed(void *arg)
{
    notify_t *self = arg;
    list_free(&self->batch); //  in the outbox now; delivery reads them back with their ids
    deliver_pending(self);
}

static void on_retry_timer(uv_timer_t *timer)
{
    deliver_pending(timer->data);
}

// ---------------------------------------------------------------------------
//  Queries

//  Reply list for ward_code: last_seq is the committed seq of the ward's
//  shard (with several shards, shard 0's would say nothing of this ward).
static void reply_list(notify_t *self, const zmq_msg_t *identity, uint64_t request_id, Cchc__AlertList *list,
                       const char *ward_code)
{
    const cchc_ward_t *ward = cchc_model_ward(cchc_follower_model(self->follower), ward_code);
    list->has_last_seq = true;
    list->last_seq = ward ? cchc_follower_source_committed_seq(self->follower, ward->source)
                          : cchc_follower_committed_seq(self->follower);
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_LIST;
    env.alert_list = list;
    cchc_reply(&self->router, identity, &env);
}

static void reply_error(notify_t *self, const zmq_msg_t *identity, uint64_t request_id, const cchc_err_t *err)
{
    cchc_log(CCHC_DEBUG, "query_rejected", "code=%s detail=%s", cchc_err_name(err->code), err->en);
    cchc_reply_error(&self->router, identity, request_id, err);
}

static void handle_alert_query(notify_t *self, zmq_msg_t *identity, uint64_t request_id,
                               const Cchc__AlertQuery *q)
{
    cchc_err_t err;
    if (!q->ward || !*q->ward) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_MISSING_FIELD, -1, "ward");
        reply_error(self, identity, request_id, &err);
        return;
    }
    const cchc_ward_t *qward = cchc_model_ward(cchc_follower_model(self->follower), q->ward);
    if (!qward) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_WARD, -1, q->ward);
        reply_error(self, identity, request_id, &err);
        return;
    }
    Cchc__Alert **alerts = NULL;
    size_t n = 0;
    unsigned total = 0;
    if (cchc_outbox_list(cchc_follower_reader(self->follower), q->ward, q->has_limit ? q->limit : 0, &alerts,
                         &n, &total) != 0) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "outbox read failed");
        reply_error(self, identity, request_id, &err);
        return;
    }
    Cchc__AlertList list = CCHC__ALERT_LIST__INIT;
    list.n_alerts = n;
    list.alerts = alerts;
    list.has_total = true;
    list.total = total;
    if (self->changes_committed > 0) {
        list.has_scoring_seq = true;
        list.scoring_seq = self->changes_committed - 1;
    }
    reply_list(self, identity, request_id, &list, qward->code); //  read as committed: the shard's seq
    cchc_outbox_list_free(alerts, n);
}

//  A replay waiting for its writer job; the reply goes out when it is done.
typedef struct {
    notify_t *self;
    zmq_msg_t identity; //  owned copy of the requester's identity
    uint64_t request_id;
    char *ward;    //  owned
    uint64_t *ids; //  owned; NULL: all
    size_t nids;
    size_t replayed;
} replay_t;

static int replay_write(sqlite3 *db, void *arg)
{
    replay_t *r = arg;
    return cchc_outbox_replay(db, r->ward, r->ids, r->nids, &r->replayed);
}

static void replay_done(int status, void *arg)
{
    replay_t *r = arg;
    notify_t *self = r->self;
    if (!self->stopping && self->router_open) {
        if (status != 0) {
            cchc_err_t err;
            cchc_err_set(&err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "replay failed");
            reply_error(self, &r->identity, r->request_id, &err);
        } else {
            cchc_log(CCHC_INFO, "dead_letters_replayed", "ward=%s alerts=%zu", r->ward, r->replayed);
            Cchc__AlertList list = CCHC__ALERT_LIST__INIT;
            list.has_replayed = true;
            list.replayed = (uint32_t)r->replayed;
            reply_list(self, &r->identity, r->request_id, &list, r->ward);
        }
    }
    zmq_msg_close(&r->identity);
    free(r->ward);
    free(r->ids);
    free(r);
    if (status == 0 && !self->stopping)
        deliver_pending(self); //  due at once, same token as ever
}

//  The ward's dead letters, or a replay of some (ids) or all of them.
static void handle_dead_letters(notify_t *self, zmq_msg_t *identity, uint64_t request_id,
                                const Cchc__AlertQuery *q)
{
    cchc_err_t err;
    const Cchc__DeadLetterRequest *d = q->dead_letters;
    if (!q->ward || !*q->ward) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_MISSING_FIELD, -1, "ward");
        reply_error(self, identity, request_id, &err);
        return;
    }
    if (!d->replay) {
        Cchc__DeadLetter **letters = NULL;
        size_t n = 0;
        if (cchc_outbox_dead(cchc_follower_reader(self->follower), q->ward, &letters, &n) != 0) {
            cchc_err_set(&err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "outbox read failed");
            reply_error(self, identity, request_id, &err);
            return;
        }
        Cchc__AlertList list = CCHC__ALERT_LIST__INIT;
        list.n_dead_letters = n;
        list.dead_letters = letters;
        list.has_total = true;
        list.total = (uint32_t)n;
        reply_list(self, identity, request_id, &list, q->ward);
        cchc_outbox_dead_free(letters, n);
        return;
    }
    if (!(d->has_all && d->all) && d->n_ids == 0) {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_MISSING_FIELD, -1, "ids");
        reply_error(self, identity, request_id, &err);
        return;
    }
    replay_t *r = calloc(1, sizeof(*r));
    if (!r || !(r->ward = strdup(q->ward)))
        abort();
    r->self = self;
    r->request_id = request_id;
    if (!(d->has_all && d->all)) {
        r->nids = d->n_ids;
        r->ids = malloc(d->n_ids * sizeof(*r->ids));
        if (!r->ids)
            abort();
        memcpy(r->ids, d->ids, d->n_ids * sizeof(*r->ids));
    }
    zmq_msg_init(&r->identity);
    zmq_msg_copy(&r->identity, identity);
    if (cchc_writer_submit(cchc_follower_writer(self->follower), replay_write, replay_done, r) != 0) {
        zmq_msg_close(&r->identity);
        free(r->ward);
        free(r->ids);
        free(r);
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "stopping");
        reply_error(self, identity, request_id, &err);
    }
}

//  The ward's acknowledgements, silences and leaves in force at the log
//  time folded (strings borrowed from the model: the reply is packed at once).
static void handle_holds(notify_t *self, zmq_msg_t *identity, uint64_t request_id, const Cchc__AlertQuery *q)
{
    cchc_err_t err;
    cchc_model_t *model = cchc_follower_model(self->follower);
    cchc_ward_t *ward = q->ward && *q->ward ? cchc_model_ward(model, q->ward) : NULL;
    if (!ward) {
        cchc_err_set(&err,
                     q->ward && *q->ward ? CCHC__ERROR_CODE__ERR_UNKNOWN_WARD
                                         : CCHC__ERROR_CODE__ERR_MISSING_FIELD,
                     -1, q->ward && *q->ward ? q->ward : "ward");
        reply_error(self, identity, request_id, &err);
        return;
    }
    int32_t today = cchc_date_of_ms(cchc_ward_now(ward));
    size_t cap = ward->ntasks * 2 + ward->nunits + ward->nofficials, n = 0;
    Cchc__AlertHold *holds = calloc(cap ? cap : 1, sizeof(*holds));
    Cchc__AlertHold **ptrs = calloc(cap ? cap : 1, sizeof(*ptrs));
    if (!holds || !ptrs)
        abort();
    for (size_t i = 0; i < ward->ntasks; i++) {
        const cchc_task_t *task = ward->tasks[i];
        const cchc_task_hold_t *hold = task->hold;
        if (!hold)
            continue;
        if (hold->ack_ms && !cchc_task_done(task)) {
            Cchc__AlertHold *h = &holds[n++];
            cchc__alert_hold__init(h);
            h->kind = "ack";
            h->task = (char *)task->code;
            h->unit = task->unit->rec->def->code;
            h->official = hold->ack_official;
            h->has_level = h->has_since_ms = true;
            h->level = hold->ack_level;
            h->since_ms = hold->ack_ms;
        }
        if (hold->silenced_until >= today) {
            Cchc__AlertHold *h = &holds[n++];
            cchc__alert_hold__init(h);
            h->kind = "silence";
            h->task = (char *)task->code;
            h->unit = task->unit->rec->def->code;
            h->has_until_date = true;
            h->until_date = hold->silenced_until;
            h->reason = hold->silence_reason;
        }
    }
    for (size_t i = 0; i < ward->nunits; i++) {
        const Cchc__UnitRecord *rec = ward->units[i]->rec;
        if (rec->silenced_until >= today) {
            Cchc__AlertHold *h = &holds[n++];
            cchc__alert_hold__init(h);
            h->kind = "silence";
            h->unit = rec->def->code;
            h->has_until_date = true;
            h->until_date = rec->silenced_until;
            h->reason = rec->silence_reason;
        }
    }
    for (size_t i = 0; i < ward->nofficials; i++) {
        const Cchc__OfficialLeave *l = ward->officials[i]->leave;
        if (l && l->to_date >= today) {
            Cchc__AlertHold *h = &holds[n++];
            cchc__alert_hold__init(h);
            h->kind = "leave";
            h->official = l->official;
            h->deputy = l->deputy;
            h->has_from_date = h->has_until_date = true;
            h->from_date = l->from_date;
            h->until_date = l->to_date;
            h->reason = l->reason;
        }
    }
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &holds[i];
    Cchc__AlertList list = CCHC__ALERT_LIST__INIT;
    list.n_holds = n;
    list.holds = ptrs;
    list.has_total = true;
    list.total = (uint32_t)n;
    //  the model is folded ahead of the commit; say how far it is
    list.has_last_seq = true;
    list.last_seq = cchc_ward_last_seq(model, ward);
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_LIST;
    env.alert_list = &list;
    cchc_reply(&self->router, identity, &env);
    free(ptrs);
    free(holds);
}

static void on_request(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg)
{
    (void)watch;
    notify_t *self = arg;
    if (nframes != 2 || self->stopping)
        return; //  not a DEALER request (identity + envelope), or stopping: no answer
    cchc_decoded_t *dec = NULL;
    uint64_t request_id = 0;
    cchc_err_t err;
    if (cchc_decode(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), self->max_msg_bytes, &dec,
                    &request_id, &err) != 0) {
        reply_error(self, &frames[0], request_id, &err);
        return;
    }
    const Cchc__Envelope *env = cchc_decoded_env(dec);
    if (env->body_case == CCHC__ENVELOPE__BODY_ALERT_QUERY && env->alert_query->holds) {
        handle_holds(self, &frames[0], request_id, env->alert_query);
    } else if (env->body_case == CCHC__ENVELOPE__BODY_ALERT_QUERY && env->alert_query->dead_letters) {
        handle_dead_letters(self, &frames[0], request_id, env->alert_query);
    } else if (env->body_case == CCHC__ENVELOPE__BODY_ALERT_QUERY) {
        handle_alert_query(self, &frames[0], request_id, env->alert_query);
    } else {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE, -1, "not served by notify");
        reply_error(self, &frames[0], request_id, &err);
    }
    cchc_decoded_destroy(&dec);
}

// ---------------------------------------------------------------------------
//  Lifecycle

static void on_router_closed(cchc_zwatch_t *watch, void *arg)
{
    (void)watch, (void)arg;
}

//  Last step of a shutdown: the follower (consumer, writer, database) is
//  gone; release what remains so that the loop can end.
static void on_follower_closed(void *arg)
{
    notify_t *self = arg;
    self->follower = NULL;
    list_free(&self->batch);
    list_free(&self->change_batch);
    held_free(self);
    free(self->due.items);
    memset(&self->due, 0, sizeof(self->due));
    for (size_t s = 0; s < NOTIFY_MAX_SOURCES; s++)
        cchc_alert_schedule_destroy(&self->schedules[s]);
    cchc_strmap_destroy(&self->keys);
    if (self->router_open)
        cchc_zwatch_close(&self->router, on_router_closed, self);
    self->router_open = false;
    cchc_service_close(&self->service);
    cchc_log(CCHC_INFO, "stopped", "decided=%llu delivered=%llu failed_attempts=%llu dead_letters=%llu",
             (unsigned long long)self->decided, (unsigned long long)self->delivered,
             (unsigned long long)self->failed, (unsigned long long)self->dead);
}

static void close_follower(notify_t *self)
{
    if (self->follower)
        cchc_follower_close(self->follower, on_follower_closed, self);
    else
        on_follower_closed(self);
}

//  Stop taking queries and events, let a delivery in flight come back (its
//  channels give up on what they have not sent), let the writer finish
//  (in-flight batch and delivery records), then close everything. Also the
//  way out of a failed start.
static void notify_shutdown(notify_t *self)
{
    if (self->stopping)
        return;
    self->stopping = true;
    atomic_store(&self->cancel, true);
    if (self->changes) //  a job of its records in flight still commits: the writer finishes it
        cchc_consumer_close(self->changes, NULL, NULL);
    self->changes = NULL;
    if (self->router_open)
        cchc_zwatch_stop(&self->router);
    if (self->retry_open)
        uv_close((uv_handle_t *)&self->retry, NULL);
    self->retry_open = false;
    if (self->working)
        self->close_pending = true; //  delivery_worked closes it
    else
        close_follower(self);
}

static void on_stop(cchc_service_t *service, void *arg)
{
    (void)service;
    notify_shutdown(arg);
}

static void on_reload(cchc_service_t *service, void *arg)
{
    (void)service;
    cchc_service_log_config("notify", ((notify_t *)arg)->config);
}

static int bad_setting(const char *key, const char *value)
{
    cchc_log(CCHC_ERROR, "bad_setting", "key=%s value=%s", key, value ? value : "");
    return -1;
}

//  Copy a setting into a fixed buffer. Returns 0, or -1 (logged) when too long.
static int setting_copy(cchc_config_t *cfg, const char *key, char *buf, size_t size)
{
    const char *v = cchc_config_get(cfg, key);
    if (!v || strlen(v) >= size)
        return bad_setting(key, v);
    memcpy(buf, v, strlen(v) + 1);
    return 0;
}

//  The password from its file (one line; a final newline is not part of
//  it). Returns 0 or -1 (logged, without the content).
static int password_read(const char *key, const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cchc_log(CCHC_ERROR, "bad_setting", "key=%s value=%s error=%s", key, path, strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, size, f);
    bool too_long = n == size;
    fclose(f);
    if (too_long) {
        memset(buf, 0, size);
        cchc_log(CCHC_ERROR, "bad_setting", "key=%s value=%s error=%s", key, path, "too long");
        return -1;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return 0;
}

//  The e-mail channel's settings. Returns 0 or -1 (logged).
static int smtp_load(cchc_config_t *cfg, cchc_smtp_t *smtp)
{
    memset(smtp, 0, sizeof(*smtp));
    if (setting_copy(cfg, "smtp_url", smtp->url, sizeof(smtp->url)) != 0 ||
        setting_copy(cfg, "smtp_from", smtp->from, sizeof(smtp->from)) != 0 ||
        setting_copy(cfg, "smtp_from_name", smtp->from_name, sizeof(smtp->from_name)) != 0 ||
        setting_copy(cfg, "smtp_user", smtp->user, sizeof(smtp->user)) != 0)
        return -1;
    if (cchc_smtp_tls_parse(cchc_config_get(cfg, "smtp_tls"), &smtp->tls) != 0)
        return bad_setting("smtp_tls", cchc_config_get(cfg, "smtp_tls"));
    int64_t timeout = 0;
    if (cchc_config_get_int(cfg, "smtp_timeout_ms", &timeout) != 0 || timeout <= 0 || timeout > 600000)
        return bad_setting("smtp_timeout_ms", cchc_config_get(cfg, "smtp_timeout_ms"));
    smtp->timeout_ms = (long)timeout;
    const char *password_file = cchc_config_get(cfg, "smtp_password_file");
    if (password_file && *password_file &&
        password_read("smtp_password_file", password_file, smtp->password, sizeof(smtp->password)) != 0)
        return -1;
    const char *what = NULL;
    if (cchc_smtp_check(smtp, &what) != 0)
        return bad_setting(what, strcmp(what, "smtp_timeout_ms") == 0 ? "" : cchc_config_get(cfg, what));
    return 0;
}

//  An HTTP channel's URL, token file and timeout. Returns 0 or -1 (logged).
static int http_target_load(cchc_config_t *cfg, const char *url_key, const char *token_key,
                            cchc_http_target_t *target, bool token_required)
{
    memset(target, 0, sizeof(*target));
    if (setting_copy(cfg, url_key, target->url, sizeof(target->url)) != 0)
        return -1;
    int64_t timeout = 0;
    if (cchc_config_get_int(cfg, "http_timeout_ms", &timeout) != 0 || timeout <= 0 || timeout > 600000)
        return bad_setting("http_timeout_ms", cchc_config_get(cfg, "http_timeout_ms"));
    target->timeout_ms = (long)timeout;
    if (cchc_http_target_check(target) != 0)
        return bad_setting(url_key, target->url);
    const char *token_file = cchc_config_get(cfg, token_key);
    if (token_file && *token_file &&
        password_read(token_key, token_file, target->token, sizeof(target->token)) != 0)
        return -1;
    if (token_required && !target->token[0])
        return bad_setting(token_key, token_file);
    return 0;
}

//  zalo_users_file: "WARD/OFFICIAL = user id" or "OFFICIAL = user id" per
//  line; '#' or ';' starts a comment. Returns 0 or -1 (logged).
static int zalo_users_load(notify_t *self, const char *path)
{
    self->zalo_users = cchc_strmap_new();
    if (!path || !*path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        cchc_log(CCHC_ERROR, "bad_setting", "key=zalo_users_file value=%s error=%s", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "#;\r\n")] = '\0';
        char *eq = strchr(line, '=');
        char *key = line, *value = eq ? eq + 1 : NULL;
        if (eq)
            *eq = '\0';
        key += strspn(key, " \t");
        for (char *e = key + strlen(key); e > key && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = '\0';
        if (!*key && !value)
            continue; //  blank or comment
        if (value) {
            value += strspn(value, " \t");
            for (char *e = value + strlen(value); e > value && (e[-1] == ' ' || e[-1] == '\t');)
                *--e = '\0';
        }
        if (!*key || !value || !*value) {
            cchc_log(CCHC_ERROR, "bad_setting", "key=zalo_users_file value=%s line=%d error=%s", path, lineno,
                     "expected OFFICIAL = user id");
            rc = -1;
            break;
        }
        char *copy = strdup(value);
        if (!copy)
            abort();
        free(cchc_strmap_put(self->zalo_users, key, copy));
    }
    fclose(f);
    return rc;
}

static int http_load(notify_t *self)
{
    cchc_config_t *cfg = self->config;
    if (cchc_channels_enabled(&self->channels, CCHC_CH_WEBHOOK) &&
        http_target_load(cfg, "webhook_url", "webhook_token_file", &self->channels.webhook, false) != 0)
        return -1;
    if (cchc_channels_enabled(&self->channels, CCHC_CH_ZALO) &&
        (http_target_load(cfg, "zalo_url", "zalo_token_file", &self->channels.zalo, true) != 0 ||
         zalo_users_load(self, cchc_config_get(cfg, "zalo_users_file")) != 0))
        return -1;
    return 0;
}

//  The retry policy. Returns 0 or -1 (logged).
static int retry_load(notify_t *self)
{
    cchc_config_t *cfg = self->config;
    int64_t initial = 0, max = 0, attempts = 0, fallback = 0;
    if (cchc_config_get_int(cfg, "retry_ms", &initial) != 0 || initial <= 0 || initial > INT32_MAX)
        return bad_setting("retry_ms", cchc_config_get(cfg, "retry_ms"));
    if (cchc_config_get_int(cfg, "retry_max_ms", &max) != 0 || max < initial || max > 7 * 86400000LL)
        return bad_setting("retry_max_ms", cchc_config_get(cfg, "retry_max_ms"));
    if (cchc_config_get_int(cfg, "max_attempts", &attempts) != 0 || attempts < 1 || attempts > 1000)
        return bad_setting("max_attempts", cchc_config_get(cfg, "max_attempts"));
    if (cchc_config_get_int(cfg, "fallback_after", &fallback) != 0 || fallback < 1 || fallback > 1000)
        return bad_setting("fallback_after", cchc_config_get(cfg, "fallback_after"));
    const char *factor_text = cchc_config_get(cfg, "retry_factor");
    char *end = NULL;
    double factor = factor_text ? strtod(factor_text, &end) : 0;
    if (!factor_text || end == factor_text || *end || !(factor >= 1.0 && factor <= 10.0))
        return bad_setting("retry_factor", factor_text);
    self->retry_policy = (cchc_retry_policy_t){.initial_ms = initial,
                                               .max_ms = max,
                                               .factor = factor,
                                               .max_attempts = (int)attempts,
                                               .fallback_after = (int)fallback};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    self->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
                0x9e3779b97f4a7c15ULL;
    return 0;
}

static void zalo_users_free(notify_t *self)
{
    size_t cursor = 0;
    const char *key;
    void *value;
    while (self->zalo_users && cchc_strmap_next(self->zalo_users, &cursor, &key, &value) == 1)
        free(value);
    cchc_strmap_destroy(&self->zalo_users);
}

//  The calendar (holidays, working hours) and the settings that use it.
//  Returns 0 or -1 (logged).
static int calendar_load(notify_t *self)
{
    cchc_config_t *cfg = self->config;
    self->calendar = cchc_calendar_new();
    self->rules.calendar = self->calendar;
    const char *mode = cchc_config_get(cfg, "escalation_days");
    if (!mode || (strcmp(mode, "calendar") != 0 && strcmp(mode, "working") != 0))
        return bad_setting("escalation_days", mode);
    self->rules.working_days = strcmp(mode, "working") == 0;
    bool outside = true;
    if (cchc_config_get_bool(cfg, "deliver_outside_hours", &outside) != 0)
        return bad_setting("deliver_outside_hours", cchc_config_get(cfg, "deliver_outside_hours"));
    self->hold_outside_hours = !outside;
    if (cchc_calendar_set_hours(self->calendar, cchc_config_get(cfg, "working_hours")) != 0)
        return bad_setting("working_hours", cchc_config_get(cfg, "working_hours"));
    const char *path = cchc_config_get(cfg, "holidays_file");
    char err[512];
    if (path && *path && cchc_calendar_load(self->calendar, path, err, sizeof(err)) != 0) {
        cchc_log(CCHC_ERROR, "bad_setting", "key=holidays_file value=%s error=%s", path, err);
        return -1;
    }
    if ((self->rules.working_days || self->hold_outside_hours) && !(path && *path))
        cchc_log(CCHC_WARN, "no_holidays", "%s", "holidays_file is empty: only weekends are days off");
    cchc_log(CCHC_INFO, "calendar",
             "escalation_days=%s holidays=%zu working_hours=%s deliver_outside_hours=%s", mode,
             cchc_calendar_holiday_count(self->calendar), cchc_config_get(cfg, "working_hours"),
             outside ? "yes" : "no");
    return 0;
}

//  Rules and channels from the config. Returns 0 or -1 (logged).
static int settings_load(notify_t *self)
{
    cchc_config_t *cfg = self->config;
    cchc_alert_rules_default(&self->rules);
    int64_t escalate = 0, chairman = 0;
    if (cchc_alert_rules_parse_days(&self->rules, cchc_config_get(cfg, "reminder_days")) != 0)
        return bad_setting("reminder_days", cchc_config_get(cfg, "reminder_days"));
    if (cchc_config_get_int(cfg, "escalate_after_days", &escalate) != 0 || escalate < 0 || escalate > 365)
        return bad_setting("escalate_after_days", cchc_config_get(cfg, "escalate_after_days"));
    if (cchc_config_get_int(cfg, "chairman_after_days", &chairman) != 0 || chairman < escalate ||
        chairman > 365)
        return bad_setting("chairman_after_days", cchc_config_get(cfg, "chairman_after_days"));
    self->rules.escalate_after_days = (int)escalate;
    self->rules.chairman_after_days = (int)chairman;
    if (cchc_config_get_bool(cfg, "tier_drop", &self->rules.tier_drop) != 0)
        return bad_setting("tier_drop", cchc_config_get(cfg, "tier_drop"));
    int64_t rank_min = 0;
    if (cchc_config_get_int(cfg, "rank_drop_min", &rank_min) != 0 || rank_min < 0 || rank_min > 10000)
        return bad_setting("rank_drop_min", cchc_config_get(cfg, "rank_drop_min"));
    self->rules.rank_drop_min = (int)rank_min;
    const char *coordinating = cchc_config_get(cfg, "coordinating_unit");
    if (!coordinating || strlen(coordinating) >= sizeof(self->rules.coordinating_unit))
        return bad_setting("coordinating_unit", coordinating);
    snprintf(self->rules.coordinating_unit, sizeof(self->rules.coordinating_unit), "%s", coordinating);
    if (calendar_load(self) != 0)
        return -1;

    char default_path[4096];
    const char *file_path = cchc_config_get(cfg, "file_path");
    if (!file_path || !*file_path) {
        snprintf(default_path, sizeof(default_path), "%s/alerts.log", cchc_config_get(cfg, "data_dir"));
        file_path = default_path;
    }
    if (cchc_channels_parse(&self->channels, cchc_config_get(cfg, "channels"), file_path) != 0)
        return bad_setting("channels", cchc_config_get(cfg, "channels"));
    if (cchc_channels_enabled(&self->channels, CCHC_CH_EMAIL) && smtp_load(cfg, &self->channels.smtp) != 0)
        return -1;
    if (http_load(self) != 0 || retry_load(self) != 0)
        return -1;
    int64_t window = 0;
    if (cchc_config_get_int(cfg, "digest_window_min", &window) != 0 || !cchc_digest_window_ok((long)window))
        return bad_setting("digest_window_min", cchc_config_get(cfg, "digest_window_min"));
    self->channels.digest_window_ms = window * 60000;

    const char *positive[] = {"credit", "poll_ms", "max_msg_bytes"};
    for (size_t i = 0; i < sizeof(positive) / sizeof(positive[0]); i++) {
        int64_t v = 0;
        if (cchc_config_get_int(cfg, positive[i], &v) != 0 || v <= 0 || v > INT32_MAX)
            return bad_setting(positive[i], cchc_config_get(cfg, positive[i]));
    }
    return 0;
}

static int64_t setting(const notify_t *self, const char *key)
{
    int64_t v = 0;
    cchc_config_get_int(self->config, key, &v); //  checked by settings_load
    return v;
}

//  Every task is decided at the first event after a start: settings may have
//  changed since the last run; with the same settings nothing new results.
static void schedule_all(notify_t *self)
{
    cchc_model_t *model = cchc_follower_model(self->follower);
    for (size_t w = 0; w < cchc_model_ward_count(model); w++) {
        cchc_ward_t *ward = cchc_model_ward_at(model, w);
        for (size_t t = 0; t < ward->ntasks; t++)
            cchc_alert_schedule_set(task_schedule(self, ward->tasks[t]), ward->tasks[t], cchc_ward_now(ward));
    }
}

static size_t schedule_size(const notify_t *self)
{
    size_t n = 0;
    for (size_t s = 0; s < NOTIFY_MAX_SOURCES; s++)
        n += self->schedules[s] ? cchc_alert_schedule_size(self->schedules[s]) : 0;
    return n;
}

static int notify_start(notify_t *self)
{
    const char *data_dir = cchc_config_get(self->config, "data_dir");
    if (cchc_store_mkdirs(data_dir) != 0) {
        cchc_log(CCHC_ERROR, "data_dir", "path=%s error=%s", data_dir, strerror(errno));
        return -1;
    }
    char path[4096], err[512];
    snprintf(path, sizeof(path), "%s/notify.db", data_dir);
    self->max_msg_bytes = (size_t)setting(self, "max_msg_bytes");
    self->keys = cchc_strmap_new();
    schedule_of(self, 0);
    cchc_follower_opts_t opts = {
        .db_path = path,
        .migrations = cchc_outbox_migrations,
        .migration_count = cchc_outbox_migration_count,
        .consumer = {.fetch_endpoint = cchc_config_get(self->config, "intake"),
                     .hint_endpoint = cchc_config_get(self->config, "intake_pub"),
                     .credit = (unsigned)setting(self, "credit"),
                     .poll_ms = (unsigned)setting(self, "poll_ms"),
                     .timeout_ms = 5000,
                     .max_msg_bytes = 64 * 1024 * 1024},
        .on_event = on_event,
        .on_batch = on_batch,
        .write = batch_write,
        .committed = on_committed,
        .arg = self,
    };
    //  The consumer starts fetching only once the loop runs, after the keys
    //  and the schedule below are in place.
    self->follower = cchc_follower_new(self->service.loop, self->service.zctx, &opts, err, sizeof(err));
    if (!self->follower) {
        cchc_log(CCHC_ERROR, "start_failed", "error=%s", err);
        return -1;
    }
    if (cchc_outbox_load_keys(cchc_follower_reader(self->follower), self->keys) != 0)
        return -1;
    schedule_all(self);
    const char *scoring = cchc_config_get(self->config, "scoring");
    if (scoring && *scoring) {
        if (cchc_outbox_stream_get(cchc_follower_reader(self->follower), SCORING_STREAM,
                                   &self->changes_committed) != 0)
            return -1;
        cchc_consumer_opts_t copts = {.fetch_endpoint = scoring,
                                      .hint_endpoint = cchc_config_get(self->config, "scoring_pub"),
                                      .hint_topic = "changes",
                                      .next_seq = self->changes_committed,
                                      .credit = (unsigned)setting(self, "credit"),
                                      .poll_ms = (unsigned)setting(self, "poll_ms"),
                                      .timeout_ms = 5000,
                                      .max_msg_bytes = 64 * 1024 * 1024};
        self->changes =
            cchc_consumer_new_changes(self->service.loop, self->service.zctx, &copts, on_changes, self);
        if (!self->changes)
            return -1;
    }

    void *router = cchc_socket(self->service.zctx, ZMQ_ROUTER, cchc_config_get(self->config, "bind"), true,
                               10000, (long)self->max_msg_bytes * 4);
    if (!router)
        return -1;
    if (cchc_zwatch_init(self->service.loop, &self->router, router, on_request, self) != 0) {
        zmq_close(router);
        return -1;
    }
    self->router_open = true;
    if (cchc_zwatch_start(&self->router) != 0)
        return -1;

    uv_timer_init(self->service.loop, &self->retry);
    self->retry.data = self;
    self->retry_open = true;
    uv_unref((uv_handle_t *)&self->retry); //  the timer alone does not keep the service alive

    deliver_pending(self);              //  what a crash left between decision and delivery
    char positions[3072], status[4096]; //  systemd's STATUS= line: every shard's position
    snprintf(status, sizeof(status), "last_seq=%s alerts=%zu tasks_scheduled=%zu",
             cchc_follower_positions(self->follower, positions, sizeof(positions)),
             cchc_strmap_size(self->keys), schedule_size(self));
    cchc_service_ready(&self->service, status);
    return 0;
}

//  --check-config: the settings (printed by the config loader), then every
//  one of them checked as a start would (rules, calendar and holidays file,
//  channels, SMTP and HTTP settings and their secret files, digests), without
//  opening the database or any socket. Returns the exit code: 0, or 2 with
//  the bad_setting line on stderr.
static int check_config(int argc, char **argv)
{
    static notify_t notify;
    notify_t *self = &notify;
    cchc_log_init("notify", CCHC_INFO, "auto");
    self->config = cchc_config_new("notify", notify_options);
    char err[512];
    int rc = cchc_config_load(self->config, argc, argv, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "cchc-notify: %s\n", err);
    else if (settings_load(self) != 0) {
        fprintf(stderr, "cchc-notify: invalid settings (the bad_setting line above names the key)\n");
        rc = -1;
    } else
        printf("cchc-notify: settings OK (rules, calendar: %zu holidays, channels)\n",
               cchc_calendar_holiday_count(self->calendar));
    memset(&self->channels.smtp.password, 0, sizeof(self->channels.smtp.password));
    memset(&self->channels.webhook.token, 0, sizeof(self->channels.webhook.token));
    memset(&self->channels.zalo.token, 0, sizeof(self->channels.zalo.token));
    zalo_users_free(self);
    cchc_calendar_destroy(&self->calendar);
    cchc_config_destroy(&self->config);
    return rc < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
    static notify_t notify;
    notify_t *self = &notify;
    int rc;
    bool check = false, help = false;
    for (int i = 1; i < argc; i++) {
        check = check || strcmp(argv[i], "--check-config") == 0 || strcmp(argv[i], "--check_config") == 0;
        help = help || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    }
    if (check && !help)
        return check_config(argc, argv);
    self->config = cchc_service_config("notify", notify_options, argc, argv, &rc);
    if (!self->config)
        return rc;
    if (settings_load(self) != 0) {
        zalo_users_free(self);
        cchc_calendar_destroy(&self->calendar);
        cchc_config_destroy(&self->config);
        return 2;
    }
    //  before any thread exists: curl_global_init is not thread-safe
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        cchc_log(CCHC_ERROR, "start_failed", "error=%s", "cannot initialise libcurl");
        cchc_calendar_destroy(&self->calendar);
        cchc_config_destroy(&self->config);
        return 1;
    }
    if (cchc_service_init(&self->service, on_stop, on_reload, self) != 0) {
        cchc_log(CCHC_ERROR, "start_failed", "error=%s", "cannot initialise the loop or ZeroMQ");
        curl_global_cleanup();
        cchc_calendar_destroy(&self->calendar);
        cchc_config_destroy(&self->config);
        return 1;
    }
    bool started = notify_start(self) == 0;
    if (!started)
        notify_shutdown(self); //  close what was opened; the loop below finishes it
    rc = cchc_service_run(&self->service);
    memset(&self->channels.smtp.password, 0, sizeof(self->channels.smtp.password));
    memset(&self->channels.webhook.token, 0, sizeof(self->channels.webhook.token));
    memset(&self->channels.zalo.token, 0, sizeof(self->channels.zalo.token));
    zalo_users_free(self);
    cchc_calendar_destroy(&self->calendar);
    curl_global_cleanup();
    cchc_config_destroy(&self->config);
    return started && rc == 0 ? 0 : 1;
}
