/*  main.c - cchc-scoring: scores, tiers and rankings from intake's log.

    A follower (common/follower.h) folds intake's events into the ward model
    and commits the model with last_seq. After each event its touch is noted
    in the ranking (ranking.h) and the touched units are re-evaluated at that
    event's log time (with the units of the due dates the log time crossed,
    found in the ranking's deadline index) and moved in their wards'
    order-statistic rankings, O(log n) each.
    Per event, not per batch: a replay cuts the log into other batches and
    must derive the same changes. Each unit whose rank, score or tier changed
    becomes a record of the output log (outlog.h), numbered here and written
    in the batch's transaction, and after the commit a RankChanged on PUB
    (topic "rank.<ward>") and the new output head (topic "changes"), so
    nothing is announced that a crash could take back. Queries are answered
    from memory on the loop thread; a Fetch of the output log is read and
    assembled on libuv's thread pool from the stored bytes.

    The rules (rules.h) come from the rules file of the rules_file setting
    (rules_file.h), or are the built-in defaults. A bad file stops the start;
    on SIGHUP the file is read again: a bad one leaves the rules in force
    (logged with its line), a good one replaces them and every unit of every
    ward is re-evaluated and re-ranked at once. Scores are a function of the
    log and the rules, so a replay with the same rules gives the same scores.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "codec.h"
#include "config.h"
#include "follower.h"
#include "log.h"
#include "logserve.h"
#include "outlog.h"
#include "periods.h"
#include "ranking.h"
#include "reply.h"
#include "rules_file.h"
#include "service.h"
#include "store.h"
#include "strmap.h"
#include "zwatch.h"

static const cchc_option_t scoring_options[] = {
    {"bind", "tcp://127.0.0.1:5580", "ROUTER endpoint for ranking and explanation queries"},
    {"pub_bind", "tcp://127.0.0.1:5581", "PUB endpoint for rank changes (topic rank.<ward>)"},
    {"intake", "tcp://127.0.0.1:5570", "intake's ROUTER endpoint (fetch)"},
    {"intake_pub", "tcp://127.0.0.1:5571", "intake's PUB endpoint (new-seq hints)"},
    {"data_dir", "./.cchc/scoring", "directory of scoring.db"},
    {"credit", "1000", "events per fetch"},
    {"poll_ms", "1000", "fetch interval when no hint arrives"},
    {"max_batches", "1",
     "batches folded and not yet committed (1: fetch, fold and commit take turns; more: the next batches are "
     "fetched and folded while one commits, see docs/PERFORMANCE.md)"},
    {"max_msg_bytes", "1048576", "largest message accepted"},
    {"log_level", "info", "debug, info, warn or error"},
    {"log_format", "auto", "json, text or auto"},
    {"rules_file", "", "scoring rules file (INI, see deploy/config/rules.ini); empty: the built-in defaults"},
    {NULL, NULL, NULL},
};

#define MAX_FETCH_RECORDS  10000             //  per ChangeBatch
#define MAX_FETCH_BYTES    (4 * 1024 * 1024) //  of records per ChangeBatch (at least one)
#define MAX_QUEUED_FETCHES 256

#define CCHC_SCORING_MAX_SOURCES 64 //  shards followed (the follower's limit)

//  What one batch derived, written by its transaction and published after
//  its commit. The follower pipelines (follower.h): while one batch
//  commits the next ones are folded, so each has its own; committed ones
//  go back to a free list and are reused (their storage kept).
typedef struct score_batch {
    struct scoring *scoring;
    cchc_outrows_t rows;         //  output-log records
    cchc_period_rows_t periods;  //  month and quarter rankings frozen
    cchc_rank_changes_t changes; //  published after the commit
    struct score_batch *next;    //  in the free list
} score_batch_t;

typedef struct scoring {
    cchc_service_t service;
    cchc_config_t *config;
    cchc_rules_t rules; //  loaded at start; then the ranking's are in force
    cchc_follower_t *follower;
    cchc_zwatch_t router;
    cchc_zwatch_t pub;
    size_t max_msg_bytes;
    cchc_ranking_t *ranking; //  every ward's ranking (state in ward->user)
    score_batch_t *batch;    //  the batch being folded (owned)
    score_batch_t *spare;    //  committed batches for reuse (owned)
    cchc_lathist_t publish;  //  committed -> its changes and head published
    uint64_t queries, errors;
    //  The output log (outlog.h)
    sqlite3_stmt *append_stmt;   //  writer thread: the cached INSERT
    uint64_t out_assigned;       //  last output seq numbered (loop thread)
    uint64_t out_committed;      //  last output seq committed: the head served
    cchc_logserve_t *log_server; //  answers Fetch of the output log
    //  Months and quarters (periods.h)
    int64_t next_boundary_ms[CCHC_SCORING_MAX_SOURCES]; //  by model source: its next end of a month in
                                                        //  its log time (0: not known yet)
    sqlite3_stmt *period_stmt;                          //  writer thread: the cached INSERT
} scoring_t;

//  Records of a change of rules (reload, or a start with another rules
//  file), committed by their own writer job.
typedef struct {
    scoring_t *scoring;
    cchc_outrows_t rows;
    cchc_rank_changes_t changes;
} rules_job_t;

// ---------------------------------------------------------------------------
//  Rankings

//  Number the changes from index `from` of changes as output records, each
//  at its ward's log time (its shard's). A change of rules (input_seq 0)
//  names the last seq folded from the ward's shard.
static void number_changes(scoring_t *self, const cchc_rank_changes_t *changes, size_t from,
                           cchc_outrows_t *rows, uint64_t input_seq, Cchc__ChangeCause cause)
{
    cchc_model_t *model = cchc_follower_model(self->follower);
    for (size_t i = from; i < changes->count; i++) {
        const cchc_ward_t *ward = cchc_model_ward(model, changes->items[i]->ward);
        uint64_t seq = input_seq;
        if (!seq)
            seq = cchc_ward_last_seq(model, ward);
        cchc_outrows_add(rows, ++self->out_assigned, changes->items[i], ward,
                         ward ? cchc_ward_now(ward) : cchc_model_now(model), seq, cause);
    }
}

//  Before an event is folded: if its log time reaches the end of a month,
//  the model still stands at the end of that month: freeze the month's (and
//  quarter's) rankings now (periods.h). The first event after the start
//  fixes the next boundary from the model's log time. Each shard has its
//  own log time: an event of shard S closes the months of S's wards only.
static void before_event(void *arg, const Cchc__Event *ev)
{
    scoring_t *self = arg;
    cchc_model_t *model = cchc_follower_model(self->follower);
    const cchc_source_t *src = cchc_follower_batch_source(self->follower);
    int s = src ? src->index : 0;
    assert(s >= 0 && s < CCHC_SCORING_MAX_SOURCES);
    int64_t *next = &self->next_boundary_ms[s];
    if (*next == 0) {
        int64_t now = src ? src->now_ms : cchc_model_now(model);
        *next = cchc_period_next_boundary(now > 0 ? now : ev->log_time_ms);
    }
    while (ev->log_time_ms >= *next) {
        size_t frozen =
            cchc_periods_freeze(cchc_ranking_rules(self->ranking), model, src, *next, &self->batch->periods);
        if (frozen)
            cchc_log(CCHC_INFO, "period_closed", "end_ms=%lld rankings=%zu shard=%s", (long long)*next,
                     frozen, src ? src->id : "");
        *next = cchc_period_next_boundary(*next);
    }
}

static void on_event(void *arg, const Cchc__Event *ev, const cchc_touch_t *touch)
{
    scoring_t *self = arg;
    score_batch_t *b = self->batch;
    cchc_ranking_note(self->ranking, touch);
    size_t before = b->changes.count;
    cchc_ranking_update(self->ranking, cchc_follower_model(self->follower), ev->seq, &b->changes);
    number_changes(self, &b->changes, before, &b->rows, ev->seq, CCHC__CHANGE_CAUSE__CAUSE_LOG);
}

static score_batch_t *batch_new(scoring_t *self)
{
    score_batch_t *b = self->spare;
    if (b)
        self->spare = b->next;
    else if (!(b = calloc(1, sizeof(*b))))
        abort();
    b->scoring = self;
    b->next = NULL;
    return b;
}

static void batch_free(score_batch_t **b_p)
{
    score_batch_t *b = *b_p;
    if (!b)
        return;
    cchc_rank_changes_free(&b->changes);
    cchc_outrows_free(&b->rows);
    cchc_period_rows_free(&b->periods);
    free(b);
    *b_p = NULL;
}

//  Loop thread, after the batch is folded: hand its records over (the
//  follower's take_batch) and start the next one.
static void *take_batch(void *arg)
{
    scoring_t *self = arg;
    score_batch_t *b = self->batch;
    self->batch = batch_new(self);
    return b;
}

//  Writer thread, inside the batch's transaction (the follower's hook). The
//  cached statements are the writer thread's only.
static int write_batch(sqlite3 *db, void *arg)
{
    score_batch_t *b = arg;
    if (cchc_periods_append(db, &b->scoring->period_stmt, &b->periods) != 0)
        return -1;
    return cchc_outlog_append(db, &b->scoring->append_stmt, &b->rows);
}

//  The output log grew to head: tell subscribers to fetch (a hint only).
static void publish_head(scoring_t *self, uint64_t head)
{
    if (head > self->out_committed)
        self->out_committed = head;
    else
        return;
    cchc_logserve_hint(&self->pub, "changes", self->out_committed);
}

static void publish_rank_changes(scoring_t *self, cchc_rank_changes_t *changes)
{
    for (size_t i = 0; i < changes->count; i++) {
        const Cchc__RankChanged *c = changes->items[i];
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_RANK_CHANGED;
        env.rank_changed = (Cchc__RankChanged *)c;
        char topic[96];
        int len = snprintf(topic, sizeof(topic), "rank.%s", c->ward);
        zmq_msg_t frames[2];
        zmq_msg_init_size(&frames[0], (size_t)len);
        memcpy(zmq_msg_data(&frames[0]), topic, (size_t)len);
        if (cchc_encode(&env, &frames[1]) == 0)
            cchc_zwatch_send(&self->pub, frames, 2); //  PUB drops at the HWM: a notification, not the record
        else
            zmq_msg_close(&frames[0]);
        cchc_log(CCHC_DEBUG, "rank_changed", "ward=%s unit=%s rank=%u score=%d", c->ward, c->unit,
                 c->new_rank, c->new_score_centi);
    }
    cchc_rank_changes_clear(changes);
}

//  Loop thread, right after the batch's commit (batches commit in the
//  order they were folded): its changes and the output head go out, and
//  the batch is kept for reuse.
static void publish_changes(void *arg)
{
    score_batch_t *b = arg;
    scoring_t *self = b->scoring;
    uint64_t t0 = uv_hrtime();
    uint64_t head = b->rows.count ? b->rows.items[b->rows.count - 1].seq : 0;
    cchc_outrows_clear(&b->rows);
    cchc_period_rows_clear(&b->periods);
    publish_rank_changes(self, &b->changes);
    publish_head(self, head);
    b->next = self->spare;
    self->spare = b;
    cchc_lathist_add(&self->publish, (int64_t)(uv_hrtime() - t0));
}

static int write_rules_job(sqlite3 *db, void *arg)
{
    rules_job_t *job = arg;
    return cchc_outlog_append(db, &job->scoring->append_stmt, &job->rows);
}

static void rules_job_done(int status, void *arg)
{
    rules_job_t *job = arg;
    scoring_t *self = job->scoring;
    if (status != 0) { //  as for a batch: the restart re-derives these records
        cchc_log(CCHC_ERROR, "commit_failed_fatal", "output_seq=%llu",
                 (unsigned long long)self->out_assigned);
        fflush(stderr);
        _exit(3);
    }
    uint64_t head = job->rows.count ? job->rows.items[job->rows.count - 1].seq : 0;
    publish_rank_changes(self, &job->changes);
    publish_head(self, head);
    cchc_outrows_free(&job->rows);
    cchc_rank_changes_free(&job->changes);
    free(job);
}

//  Number job's changes (cause: the rules) and commit them in a writer job
//  of their own, after any batch already submitted. Frees an empty job.
static void rules_job_submit(scoring_t *self, rules_job_t *job)
{
    if (job->changes.count == 0) {
        cchc_rank_changes_free(&job->changes);
        free(job);
        return;
    }
    number_changes(self, &job->changes, 0, &job->rows, 0, CCHC__CHANGE_CAUSE__CAUSE_RULES);
    if (cchc_writer_submit(cchc_follower_writer(self->follower), write_rules_job, rules_job_done, job) != 0) {
        cchc_log(CCHC_ERROR, "writer_refused", "changes=%zu", job->changes.count);
        fflush(stderr);
        _exit(3);
    }
}

// ---------------------------------------------------------------------------
//  Queries

static void reply_error(scoring_t *self, zmq_msg_t *identity, uint64_t request_id, const cchc_err_t *err)
{
    self->errors++;
    cchc_log(CCHC_DEBUG, "query_rejected", "code=%s detail=%s", cchc_err_name(err->code), err->en);
    cchc_reply_error(&self->router, identity, request_id, err);
}

static void reply_ranking(scoring_t *self, zmq_msg_t *identity, uint64_t request_id, Cchc__Ranking *ranking)
{
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING;
    env.ranking = ranking;
    cchc_reply(&self->router, identity, &env);
}

static int32_t plan_year(const cchc_ward_t *ward, int64_t now_ms)
{
    return ward->def && ward->def->year ? ward->def->year : cchc_date_of_ms(now_ms) / 10000;
}

//  A month or quarter: frozen once closed, computed at the log time while
//  open (periods.h).
static void handle_period_ranking(scoring_t *self, zmq_msg_t *identity, uint64_t request_id,
                                  const Cchc__RankingQuery *q, cchc_ward_t *ward)
{
    int64_t now = cchc_ward_now(ward);
    cchc_period_key_t key;
    if (cchc_period_resolve(q->period, plan_year(ward, now), q->period_index, &key) != 0) {
        cchc_err_t err;
        cchc_err_set_vi_en(&err, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE, -1,
                           q->period == CCHC__PERIOD_KIND__PERIOD_MONTH ? "tháng phải từ 1 đến 12"
                                                                        : "quý phải từ 1 đến 4",
                           q->period == CCHC__PERIOD_KIND__PERIOD_MONTH ? "month must be 1 to 12"
                                                                        : "quarter must be 1 to 4");
        reply_error(self, identity, request_id, &err);
        return;
    }
    if (key.end_ms <= now) {
        Cchc__Ranking *frozen = cchc_periods_read(cchc_follower_reader(self->follower), ward->code, &key);
        if (frozen) {
            reply_ranking(self, identity, request_id, frozen);
            cchc__ranking__free_unpacked(frozen, NULL);
            return;
        }
        //  Closed before the ward had units (or before this scoring kept
        //  periods): nothing was frozen; computed now, marked provisional.
    }
    Cchc__Ranking *r =
        cchc_period_ranking(cchc_ranking_rules(self->ranking), ward, &key, now,
                            cchc_follower_source_committed_seq(self->follower, ward->source), false);
    reply_ranking(self, identity, request_id, r);
    cchc_period_ranking_free(r);
}

static int compare_rank(const void *a, const void *b)
{
    uint32_t x = ((const Cchc__RankEntry *)a)->rank, y = ((const Cchc__RankEntry *)b)->rank;
    return x < y ? -1 : x > y;
}

//  The year ranking as it stood at q->as_of_ms, from each unit's last
//  output-log record at or before then (score, rank and tier only).
static void handle_ranking_as_of(scoring_t *self, zmq_msg_t *identity, uint64_t request_id,
                                 const Cchc__RankingQuery *q, cchc_ward_t *ward)
{
    sqlite3 *db = cchc_follower_reader(self->follower);
    Cchc__RankEntry *entries = calloc(ward->nunits + 1, sizeof(*entries));
    Cchc__RankEntry **ptrs = calloc(ward->nunits + 1, sizeof(*ptrs));
    if (!entries || !ptrs)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < ward->nunits; i++) {
        const cchc_unit_t *unit = ward->units[i];
        int32_t score = 0;
        uint32_t rank = 0;
        int tier = 0;
        int found =
            cchc_outlog_state_at(db, ward->code, unit->rec->def->code, q->as_of_ms, &score, &rank, &tier);
        if (found < 0) {
            free(entries);
            free(ptrs);
            cchc_err_t err;
            cchc_err_set(&err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "cannot read the output log");
            reply_error(self, identity, request_id, &err);
            return;
        }
        if (found == 0 || rank == 0)
            continue; //  not ranked yet then
        Cchc__RankEntry *e = &entries[n++];
        cchc__rank_entry__init(e);
        e->has_rank = e->has_score_centi = e->has_tier = true;
        e->rank = rank;
        e->unit = unit->rec->def->code;
        e->unit_name = unit->rec->def->name;
        e->score_centi = score;
        e->tier = (Cchc__Tier)tier;
    }
    qsort(entries, n, sizeof(*entries), compare_rank); //  records agree per instant: ranks 1..n
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &entries[i];
    Cchc__Ranking ranking = CCHC__RANKING__INIT;
    ranking.ward = ward->code;
    ranking.ward_name = ward->def ? ward->def->name : ward->code;
    ranking.has_as_of_ms = ranking.has_last_seq = ranking.has_year = ranking.has_from_history = true;
    ranking.has_period = true;
    ranking.period = CCHC__PERIOD_KIND__PERIOD_YEAR;
    ranking.as_of_ms = q->as_of_ms;
    ranking.last_seq = cchc_follower_source_committed_seq(self->follower, ward->source);
    ranking.year = plan_year(ward, q->as_of_ms);
    ranking.from_history = true;
    ranking.n_entries = n;
    ranking.entries = ptrs;
    reply_ranking(self, identity, request_id, &ranking);
    free(entries);
    free(ptrs);
}

static void handle_ranking(scoring_t *self, zmq_msg_t *identity, uint64_t request_id,
                           const Cchc__RankingQuery *q)
{
    cchc_model_t *model = cchc_follower_model(self->follower);
    cchc_ward_t *ward = cchc_model_ward(model, q->ward);
    if (!ward) {
        cchc_err_t err;
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_WARD, -1, q->ward ? q->ward : "");
        reply_error(self, identity, request_id, &err);
        return;
    }
    bool period = q->has_period && q->period != CCHC__PERIOD_KIND__PERIOD_YEAR;
    if (period && q->has_as_of_ms) {
        cchc_err_t err;
        cchc_err_set_vi_en(&err, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE, -1,
                           "xếp hạng tại một thời điểm chỉ áp dụng cho cả năm",
                           "as_of_ms applies to the year ranking only");
        reply_error(self, identity, request_id, &err);
        return;
    }
    if (period) {
        handle_period_ranking(self, identity, request_id, q, ward);
        return;
    }
    //  A past instant: from the committed output log (a batch still
    //  committing is not in it yet). Now or later: the live ranking.
    if (q->has_as_of_ms && q->as_of_ms < cchc_ward_now(ward)) {
        handle_ranking_as_of(self, identity, request_id, q, ward);
        return;
    }
    size_t n = cchc_ranking_size(self->ranking, ward);
    Cchc__RankEntry *entries = calloc(n + 1, sizeof(*entries));
    Cchc__RankEntry **ptrs = calloc(n + 1, sizeof(*ptrs));
    if (!entries || !ptrs)
        abort();
    for (size_t r = 0; r < n; r++) {
        const cchc_unit_t *u = cchc_ranking_unit_at(self->ranking, ward, r);
        uint32_t rank = 0;
        const cchc_unit_eval_t *ev = cchc_ranking_eval(self->ranking, u, &rank);
        cchc_rank_entry_fill(&entries[r], u, ev, rank);
        ptrs[r] = &entries[r];
    }
    Cchc__Ranking ranking = CCHC__RANKING__INIT;
    ranking.ward = ward->code;
    ranking.ward_name = ward->def ? ward->def->name : ward->code;
    ranking.has_as_of_ms = ranking.has_last_seq = true;
    ranking.as_of_ms = cchc_ward_now(ward); //  its shard's log time
    ranking.last_seq = cchc_follower_source_committed_seq(self->follower, ward->source); //  committed
    ranking.n_entries = n;
    ranking.entries = ptrs;
    ranking.has_period = ranking.has_year = true;
    ranking.period = CCHC__PERIOD_KIND__PERIOD_YEAR;
    ranking.year = plan_year(ward, ranking.as_of_ms);
    reply_ranking(self, identity, request_id, &ranking);
    free(entries);
    free(ptrs);
}

//  The unit of a query, or NULL after replying ERR_UNKNOWN_WARD or
//  ERR_UNKNOWN_UNIT.
static cchc_unit_t *unit_or_reply(scoring_t *self, zmq_msg_t *identity, uint64_t request_id,
                                  const char *ward_code, const char *unit_code)
{
    cchc_ward_t *ward = cchc_model_ward(cchc_follower_model(self->follower), ward_code);
    cchc_unit_t *unit = cchc_ward_unit(ward, unit_code);
    if (!unit) {
        cchc_err_t err;
        cchc_err_set(&err, ward ? CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT : CCHC__ERROR_CODE__ERR_UNKNOWN_WARD, -1,
                     ward ? (unit_code ? unit_code : "") : (ward_code ? ward_code : ""));
        reply_error(self, identity, request_id, &err);
    }
    return unit;
}

static void handle_explain(scoring_t *self, zmq_msg_t *identity, uint64_t request_id,
                           const Cchc__ExplainQuery *q)
{
    cchc_unit_t *unit = unit_or_reply(self, identity, request_id, q->ward, q->unit);
    if (!unit)
        return;
    uint32_t rank = 0; //  stays 0 for a unit not ranked yet
    cchc_ranking_eval(self->ranking, unit, &rank);
    Cchc__Explanation x = CCHC__EXPLANATION__INIT;
    cchc_unit_eval_t eval;
    cchc_unit_evaluate(cchc_ranking_rules(self->ranking), unit, cchc_ward_now(unit->ward), &eval, &x);
    Cchc__RankEntry entry;
    cchc_rank_entry_fill(&entry, unit, &eval, rank);
    x.entry = &entry;
    x.has_as_of_ms = true;
    x.as_of_ms = cchc_ward_now(unit->ward);
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_EXPLANATION;
    env.explanation = &x;
    cchc_reply(&self->router, identity, &env);
    cchc_explanation_clear(&x);
}

#define HISTORY_DEFAULT_LIMIT 1000
#define HISTORY_MAX_LIMIT     10000

static void handle_history(scoring_t *self, zmq_msg_t *identity, uint64_t request_id,
                           const Cchc__HistoryQuery *q)
{
    cchc_unit_t *unit = unit_or_reply(self, identity, request_id, q->ward, q->unit);
    if (!unit)
        return;
    size_t limit = q->limit ? q->limit : HISTORY_DEFAULT_LIMIT;
    if (limit > HISTORY_MAX_LIMIT)
        limit = HISTORY_MAX_LIMIT;
    Cchc__ScoreChange **items = NULL;
    uint64_t total = 0;
    long n = cchc_outlog_history(cchc_follower_reader(self->follower), unit->ward->code, unit->rec->def->code,
                                 limit, &items, &total);
    if (n < 0) {
        cchc_err_t err;
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "cannot read the output log");
        reply_error(self, identity, request_id, &err);
        return;
    }
    Cchc__ScoreHistory h = CCHC__SCORE_HISTORY__INIT;
    h.ward = unit->ward->code;
    h.unit = unit->rec->def->code;
    h.unit_name = unit->rec->def->name;
    h.n_changes = (size_t)n;
    h.changes = items;
    h.has_total = true;
    h.total = total;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_SCORE_HISTORY;
    env.score_history = &h;
    cchc_reply(&self->router, identity, &env);
    cchc_outlog_history_free(items, (size_t)n);
}

//  The province view: each ward's mean score over its rated units, from the
//  live rankings; wards with a rated unit first, by score, then fewer units
//  Không hoàn thành, then code.
static int compare_wards(const void *a, const void *b)
{
    const Cchc__WardEntry *x = *(Cchc__WardEntry *const *)a, *y = *(Cchc__WardEntry *const *)b;
    if ((x->rated > 0) != (y->rated > 0))
        return x->rated > 0 ? -1 : 1;
    if (x->score_centi != y->score_centi)
        return x->score_centi > y->score_centi ? -1 : 1;
    if (x->not_completed != y->not_completed)
        return x->not_completed < y->not_completed ? -1 : 1;
    return strcmp(x->ward, y->ward);
}

static void handle_province(scoring_t *self, zmq_msg_t *identity, uint64_t request_id,
                            const Cchc__ProvinceQuery *q)
{
    cchc_model_t *model = cchc_follower_model(self->follower);
    size_t nwards = cchc_model_ward_count(model);
    Cchc__WardEntry *entries = calloc(nwards + 1, sizeof(*entries));
    Cchc__WardEntry **ptrs = calloc(nwards + 1, sizeof(*ptrs));
    if (!entries || !ptrs)
        abort();
    const char *province = q->province && *q->province ? q->province : NULL;
    size_t n = 0;
    for (size_t w = 0; w < nwards; w++) {
        cchc_ward_t *ward = cchc_model_ward_at(model, w);
        const char *ward_province = ward->def && ward->def->province ? ward->def->province : "";
        if (province && strcmp(province, ward_province) != 0)
            continue;
        Cchc__WardEntry *e = &entries[n];
        ptrs[n++] = e;
        cchc__ward_entry__init(e);
        e->ward = ward->code;
        e->ward_name = ward->def && ward->def->name ? ward->def->name : ward->code;
        e->province = (char *)ward_province;
        e->has_rank = e->has_score_centi = e->has_units = e->has_rated = e->has_excellent = true;
        e->has_good = e->has_completed = e->has_not_completed = e->has_head_accountable = true;
        e->has_as_of_ms = true;
        e->as_of_ms = cchc_ward_now(ward);
        int64_t sum = 0;
        for (size_t i = 0; i < ward->nunits; i++) {
            uint32_t rank = 0;
            const cchc_unit_eval_t *ev = cchc_ranking_eval(self->ranking, ward->units[i], &rank);
            e->units++;
            if (!ev || ev->tier == CCHC__TIER__TIER_UNRATED)
                continue;
            e->rated++;
            sum += ev->score_centi;
            e->excellent += ev->tier == CCHC__TIER__TIER_EXCELLENT;
            e->good += ev->tier == CCHC__TIER__TIER_GOOD;
            e->completed += ev->tier == CCHC__TIER__TIER_COMPLETED;
            e->not_completed += ev->tier == CCHC__TIER__TIER_NOT_COMPLETED;
            e->head_accountable += ev->head_accountable;
        }
        e->score_centi = e->rated ? (int32_t)(sum / e->rated) : 0;
    }
    qsort(ptrs, n, sizeof(*ptrs), compare_wards);
    for (size_t i = 0; i < n; i++)
        ptrs[i]->rank = (uint32_t)(i + 1);
    Cchc__ProvinceRanking pr = CCHC__PROVINCE_RANKING__INIT;
    pr.province = (char *)(province ? province : "");
    pr.has_as_of_ms = true;
    pr.as_of_ms = n ? ptrs[0]->as_of_ms : cchc_model_now(model);
    for (size_t i = 1; i < n; i++)
        pr.as_of_ms = ptrs[i]->as_of_ms < pr.as_of_ms ? ptrs[i]->as_of_ms : pr.as_of_ms;
    pr.n_entries = n;
    pr.entries = ptrs;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_PROVINCE_RANKING;
    env.province_ranking = &pr;
    cchc_reply(&self->router, identity, &env);
    free(entries);
    free(ptrs);
}

static void handle_fetch(scoring_t *self, zmq_msg_t *identity, uint64_t request_id, const Cchc__Fetch *req);

static void on_request(cchc_zwatch_t *watch, zmq_msg_t *frames, int nframes, void *arg)
{
    (void)watch;
    scoring_t *self = arg;
    if (nframes != 2)
        return;
    self->queries++;
    cchc_decoded_t *dec = NULL;
    uint64_t request_id = 0;
    cchc_err_t err;
    if (cchc_decode(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), self->max_msg_bytes, &dec,
                    &request_id, &err) != 0) {
        reply_error(self, &frames[0], request_id, &err);
        return;
    }
    const Cchc__Envelope *env = cchc_decoded_env(dec);
    if (env->body_case == CCHC__ENVELOPE__BODY_RANKING_QUERY)
        handle_ranking(self, &frames[0], request_id, env->ranking_query);
    else if (env->body_case == CCHC__ENVELOPE__BODY_EXPLAIN_QUERY)
        handle_explain(self, &frames[0], request_id, env->explain_query);
    else if (env->body_case == CCHC__ENVELOPE__BODY_HISTORY_QUERY)
        handle_history(self, &frames[0], request_id, env->history_query);
    else if (env->body_case == CCHC__ENVELOPE__BODY_PROVINCE_QUERY)
        handle_province(self, &frames[0], request_id, env->province_query);
    else if (env->body_case == CCHC__ENVELOPE__BODY_FETCH)
        handle_fetch(self, &frames[0], request_id, env->fetch);
    else {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE, -1, "not served by scoring");
        reply_error(self, &frames[0], request_id, &err);
    }
    cchc_decoded_destroy(&dec);
}

// ---------------------------------------------------------------------------
//  Fetch of the output log, from the stored bytes on the thread pool
//  (common/logserve.h, as intake serves its log)

static void handle_fetch(scoring_t *self, zmq_msg_t *identity, uint64_t request_id, const Cchc__Fetch *req)
{
    if (cchc_logserve_fetch(self->log_server, identity, request_id, req, self->out_committed) != 0)
        self->errors++; //  answered ERR_BUSY by the log server
}

// ---------------------------------------------------------------------------
//  Lifecycle

static void on_watch_closed(cchc_zwatch_t *watch, void *arg)
{
    (void)watch, (void)arg;
}

static void on_follower_closed(void *arg)
{
    scoring_t *self = arg;
    //  Every commit, the last included, published its changes in
    //  `committed` and put its batch on the spare list.
    batch_free(&self->batch);
    while (self->spare) {
        score_batch_t *next = self->spare->next;
        batch_free(&self->spare);
        self->spare = next;
    }
    cchc_zwatch_close(&self->router, on_watch_closed, self);
    cchc_zwatch_close(&self->pub, on_watch_closed, self);
    cchc_service_close(&self->service);
    cchc_log(CCHC_INFO, "stopped", "queries=%llu errors=%llu", (unsigned long long)self->queries,
             (unsigned long long)self->errors);
}

//  Where batches spent their time (ms), for cchc-bench and operators: the
//  follower's stages (follower.h), the writer's (store.h) and publishing.
static void timing_log(scoring_t *self)
{
    cchc_follower_timing_t *f = malloc(sizeof(*f));
    cchc_writer_timing_t *w = malloc(sizeof(*w));
    if (f && w) {
        cchc_follower_timing(self->follower, f);
        cchc_writer_timing(cchc_follower_writer(self->follower), w);
        char hint[160], fetch[160], fold[160], commit[160], total[160], queued[160], group[160], wake[160],
            publish[160];
        cchc_lathist_format(&f->hint, hint, sizeof(hint));
        cchc_lathist_format(&f->fetch, fetch, sizeof(fetch));
        cchc_lathist_format(&f->fold, fold, sizeof(fold));
        cchc_lathist_format(&f->commit, commit, sizeof(commit));
        cchc_lathist_format(&f->total, total, sizeof(total));
        cchc_lathist_format(&w->queued, queued, sizeof(queued));
        cchc_lathist_format(&w->group, group, sizeof(group));
        cchc_lathist_format(&w->wake, wake, sizeof(wake));
        cchc_lathist_format(&self->publish, publish, sizeof(publish));
        cchc_log(CCHC_INFO, "follow_timing",
                 "batches=%llu events=%llu max_in_flight=%u hint_to_fetch=%s fetch=%s fold=%s commit=%s "
                 "hint_to_committed=%s writer_queued=%s writer_group=%s commit_to_loop=%s publish=%s",
                 (unsigned long long)f->batches, (unsigned long long)f->events, f->max_in_flight, hint, fetch,
                 fold, commit, total, queued, group, wake, publish);
    }
    free(f);
    free(w);
}

static void on_stop(cchc_service_t *service, void *arg)
{
    (void)service;
    scoring_t *self = arg;
    timing_log(self);
    cchc_zwatch_stop(&self->router);
    cchc_logserve_close(&self->log_server);
    //  No query or batch uses the rankings from here on (the consumer stops
    //  first); free them while the model that holds them is still there.
    //  Changes of a batch still committing keep only the model's strings.
    cchc_ranking_destroy(&self->ranking);
    cchc_follower_close(self->follower, on_follower_closed, self);
}

// ---------------------------------------------------------------------------
//  Rules

//  The rules of config's rules_file (the defaults when it is empty) into
//  *rules. Returns 0, or -1 with err naming the file and line; *rules is
//  then untouched.
static int rules_from_config(const cchc_config_t *config, cchc_rules_t *rules, char *err, size_t err_size)
{
    const char *path = cchc_config_get(config, "rules_file");
    if (!path || !*path) {
        cchc_rules_default(rules);
        return 0;
    }
    return cchc_rules_load(path, rules, err, err_size);
}

//  --check-config: the settings (printed by the config loader), then the
//  rules file checked and the effective rules printed as a rules file.
//  Returns the exit code.
static int check_config(int argc, char **argv)
{
    cchc_config_t *config = cchc_config_new("scoring", scoring_options);
    char err[512];
    int rc = cchc_config_load(config, argc, argv, err, sizeof(err));
    cchc_rules_t rules;
    if (rc < 0)
        fprintf(stderr, "cchc-scoring: %s\n", err);
    else if (rules_from_config(config, &rules, err, sizeof(err)) != 0) {
        fprintf(stderr, "cchc-scoring: invalid rules file: %s\n", err);
        rc = -1;
    } else {
        const char *path = cchc_config_get(config, "rules_file");
        printf("cchc-scoring: rules OK (file: %s)\n", path && *path ? path : "none, built-in defaults");
        cchc_rules_write(&rules, stdout);
    }
    cchc_config_destroy(&config);
    return rc < 0 ? 2 : 0;
}

//  SIGHUP: the log settings, then the rules file again. Changing the rules
//  re-scores everything: each unit whose rank, score or tier changed is
//  published, after the commit of a batch in flight if there is one.
static void on_reload(cchc_service_t *service, void *arg)
{
    (void)service;
    scoring_t *self = arg;
    cchc_service_log_config("scoring", self->config);
    const char *path = cchc_config_get(self->config, "rules_file");
    if (!path || !*path) {
        cchc_log(CCHC_INFO, "rules_kept", "file=none reason=%s", "no rules_file: the built-in defaults stay");
        return;
    }
    if (!self->ranking) //  stopping: nothing left to score
        return;
    cchc_model_t *model = cchc_follower_model(self->follower);
    rules_job_t *job = calloc(1, sizeof(*job));
    if (!job)
        abort();
    job->scoring = self;
    char err[512];
    int rc = cchc_ranking_reload_rules(self->ranking, model, path, cchc_model_last_seq(model), &job->changes,
                                       err, sizeof(err));
    if (rc < 0)
        cchc_log(CCHC_ERROR, "rules_reload_failed", "error=%s kept=%s", err, "the rules in force");
    else if (rc == 0)
        cchc_log(CCHC_INFO, "rules_unchanged", "file=%s", path);
    else
        cchc_log(CCHC_INFO, "rules_reloaded", "file=%s units_changed=%zu last_seq=%llu", path,
                 job->changes.count, (unsigned long long)cchc_model_last_seq(model));
    rules_job_submit(self, job); //  committed after a batch in flight, if any
}

//  At start: the ranking of the loaded model against the last record of each
//  unit in the output log. They differ only when the rules changed while
//  scoring was stopped (or a reload's records were lost in a crash before
//  their commit): the differences are recorded with cause CAUSE_RULES, so
//  the output log always ends in each unit's current score, rank and tier.
typedef struct {
    int32_t score;
    uint32_t rank;
    int tier;
} last_state_t;

static void collect_state(const char *ward, const char *unit, int32_t score, uint32_t rank, int tier,
                          void *arg)
{
    char key[512];
    snprintf(key, sizeof(key), "%s\x1f%s", ward, unit);
    last_state_t *st = malloc(sizeof(*st));
    if (!st)
        abort();
    st->score = score;
    st->rank = rank;
    st->tier = tier;
    free(cchc_strmap_put(arg, key, st));
}

static int reconcile_output_log(scoring_t *self)
{
    cchc_model_t *model = cchc_follower_model(self->follower);
    cchc_strmap_t *states = cchc_strmap_new();
    if (cchc_outlog_last_states(cchc_follower_reader(self->follower), collect_state, states) != 0) {
        cchc_strmap_destroy(&states);
        return -1;
    }
    rules_job_t *job = calloc(1, sizeof(*job));
    if (!job)
        abort();
    job->scoring = self;
    for (size_t w = 0; w < cchc_model_ward_count(model); w++) {
        cchc_ward_t *ward = cchc_model_ward_at(model, w);
        for (size_t r = 0; r < cchc_ranking_size(self->ranking, ward); r++) {
            const cchc_unit_t *unit = cchc_ranking_unit_at(self->ranking, ward, r);
            uint32_t rank = 0;
            const cchc_unit_eval_t *ev = cchc_ranking_eval(self->ranking, unit, &rank);
            char key[512];
            snprintf(key, sizeof(key), "%s\x1f%s", ward->code, unit->rec->def->code);
            const last_state_t *st = cchc_strmap_get(states, key);
            last_state_t old = st ? *st : (last_state_t){0, 0, CCHC__TIER__TIER_UNRATED};
            if (old.score == ev->score_centi && old.rank == rank && old.tier == (int)ev->tier)
                continue;
            Cchc__RankChanged *c = cchc_rank_changes_add(&job->changes);
            c->ward = ward->code; //  borrowed from the model, like the ranking's changes
            c->unit = unit->rec->def->code;
            c->has_old_rank = c->has_new_rank = c->has_old_score_centi = c->has_new_score_centi = true;
            c->has_old_tier = c->has_new_tier = c->has_seq = true;
            c->old_rank = old.rank;
            c->new_rank = rank;
            c->old_score_centi = old.score;
            c->new_score_centi = ev->score_centi;
            c->old_tier = (Cchc__Tier)old.tier;
            c->new_tier = ev->tier;
            c->seq = cchc_ward_last_seq(model, ward);
        }
    }
    size_t cursor = 0;
    const char *key;
    void *value;
    while (cchc_strmap_next(states, &cursor, &key, &value))
        free(value);
    cchc_strmap_destroy(&states);
    if (job->changes.count)
        cchc_log(CCHC_WARN, "rules_changed_while_stopped", "units_changed=%zu", job->changes.count);
    rules_job_submit(self, job);
    return 0;
}

static int scoring_start(scoring_t *self)
{
    const char *data_dir = cchc_config_get(self->config, "data_dir");
    if (cchc_store_mkdirs(data_dir) != 0) {
        cchc_log(CCHC_ERROR, "data_dir", "path=%s", data_dir);
        return -1;
    }
    char path[4096], err[512];
    snprintf(path, sizeof(path), "%s/scoring.db", data_dir);
    int64_t credit = 1000, poll_ms = 1000, max_bytes = 1048576, max_batches = 1;
    cchc_config_get_int(self->config, "credit", &credit);
    cchc_config_get_int(self->config, "max_batches", &max_batches);
    if (max_batches < 1 || max_batches > 1024) {
        cchc_log(CCHC_ERROR, "start_failed", "error=%s max_batches=%lld", "max_batches must be 1 to 1024",
                 (long long)max_batches);
        return -1;
    }
    cchc_config_get_int(self->config, "poll_ms", &poll_ms);
    cchc_config_get_int(self->config, "max_msg_bytes", &max_bytes);
    self->max_msg_bytes = (size_t)max_bytes;
    cchc_follower_opts_t opts = {
        .db_path = path,
        .consumer = {.fetch_endpoint = cchc_config_get(self->config, "intake"),
                     .hint_endpoint = cchc_config_get(self->config, "intake_pub"),
                     .credit = (unsigned)credit,
                     .poll_ms = (unsigned)poll_ms,
                     .timeout_ms = 5000,
                     .max_msg_bytes = 64 * 1024 * 1024},
        .before_event = before_event,
        .on_event = on_event,
        .take_batch = take_batch,
        .write = write_batch,
        .committed = publish_changes,
        .max_batches = (unsigned)max_batches,
        .migrations = cchc_outlog_migrations,
        .migration_count = cchc_outlog_migration_count,
        .arg = self,
    };
    self->ranking = cchc_ranking_new(&self->rules); //  before any event can arrive
    self->batch = batch_new(self);
    uint64_t t_open = uv_hrtime();
    self->follower = cchc_follower_new(self->service.loop, self->service.zctx, &opts, err, sizeof(err));
    if (!self->follower) {
        cchc_log(CCHC_ERROR, "start_failed", "error=%s", err);
        return -1;
    }
    cchc_model_t *model = cchc_follower_model(self->follower);
    uint64_t t_loaded = uv_hrtime();
    cchc_ranking_rank_all(self->ranking, model); //  the loaded model; nothing to publish
    uint64_t t_ranked = uv_hrtime();

    //  The output log: its head, a read connection for fetches (the same
    //  migration steps as the follower's, already applied), and the records
    //  a change of rules while stopped calls for.
    const char *migrations[8] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION};
    for (int i = 0; i < cchc_outlog_migration_count; i++)
        migrations[2 + i] = cchc_outlog_migrations[i];
    sqlite3 *out_reader =
        cchc_store_open(path, migrations, 2 + cchc_outlog_migration_count, err, sizeof(err));
    if (!out_reader || cchc_outlog_head(out_reader, &self->out_committed) != 0) {
        cchc_log(CCHC_ERROR, "start_failed", "error=%s", out_reader ? "cannot read the output log" : err);
        cchc_store_close(&out_reader);
        return -1;
    }
    cchc_logserve_opts_t serve = {
        .select_sql = CCHC_OUTLOG_FETCH_SQL,
        .body_field = CCHC__ENVELOPE__BODY_CHANGE_BATCH,
        .max_records = MAX_FETCH_RECORDS,
        .max_bytes = MAX_FETCH_BYTES,
        .max_queued = MAX_QUEUED_FETCHES,
        .name = "score_change",
    };
    self->log_server = cchc_logserve_new(self->service.loop, &self->router, out_reader, &serve);
    if (!self->log_server)
        return -1;
    self->out_assigned = self->out_committed;

    void *router = cchc_socket(self->service.zctx, ZMQ_ROUTER, cchc_config_get(self->config, "bind"), true,
                               10000, (long)max_bytes * 4);
    void *pub =
        cchc_socket(self->service.zctx, ZMQ_PUB, cchc_config_get(self->config, "pub_bind"), true, 10000, 0);
    if (!router || !pub)
        return -1;
    cchc_zwatch_init(self->service.loop, &self->router, router, on_request, self);
    cchc_zwatch_init(self->service.loop, &self->pub, pub, NULL, self);
    cchc_zwatch_start(&self->router);
    if (reconcile_output_log(self) != 0)
        return -1;
    uint64_t t_ready = uv_hrtime();
    cchc_log(CCHC_INFO, "start_timing", "load_ms=%.0f rank_ms=%.0f output_log_ms=%.0f",
             (t_loaded - t_open) / 1e6, (t_ranked - t_loaded) / 1e6, (t_ready - t_ranked) / 1e6);
    char positions[3072], status[4096]; //  systemd's STATUS= line: every shard's position
    snprintf(status, sizeof(status), "last_seq=%s output_seq=%llu",
             cchc_follower_positions(self->follower, positions, sizeof(positions)),
             (unsigned long long)self->out_committed);
    cchc_service_ready(&self->service, status);
    return 0;
}

int main(int argc, char **argv)
{
    static scoring_t scoring;
    scoring_t *self = &scoring;
    int rc;
    bool check = false, help = false;
    for (int i = 1; i < argc; i++) {
        check = check || strcmp(argv[i], "--check-config") == 0 || strcmp(argv[i], "--check_config") == 0;
        help = help || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    }
    if (check && !help)
        return check_config(argc, argv);
    self->config = cchc_service_config("scoring", scoring_options, argc, argv, &rc);
    if (!self->config)
        return rc;
    char err[512];
    if (rules_from_config(self->config, &self->rules, err, sizeof(err)) != 0) {
        cchc_log(CCHC_ERROR, "rules_invalid", "error=%s", err);
        cchc_config_destroy(&self->config);
        return 2;
    }
    const char *rules_file = cchc_config_get(self->config, "rules_file");
    cchc_log(CCHC_INFO, "rules_loaded", "file=%s",
             rules_file && *rules_file ? rules_file : "none (defaults)");
    if (cchc_service_init(&self->service, on_stop, on_reload, self) != 0 || scoring_start(self) != 0)
        return 1;
    rc = cchc_service_run(&self->service);
    cchc_config_destroy(&self->config);
    return rc == 0 ? 0 : 1;
}
