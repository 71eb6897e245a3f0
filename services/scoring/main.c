/*  main.c - cchc-scoring: scores, tiers and rankings from intake's log.

    A follower (common/follower.h) folds intake's events into the ward model
    and commits the model with last_seq. After each batch the wards it
    touched are re-evaluated (every ward when the log time moved: deadlines
    may have passed) and re-ranked; units whose rank, score or tier changed
    are published on PUB after the commit. Queries are answered from memory.

    The re-evaluation is per ward (a ward has 5-15 units); the deadline index
    and order-statistic ranking for a province of 20,000 units come with the
    scoring issue.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codec.h"
#include "config.h"
#include "follower.h"
#include "log.h"
#include "rules.h"
#include "reply.h"
#include "service.h"
#include "zwatch.h"

static const cchc_option_t scoring_options[] = {
    {"bind", "tcp://127.0.0.1:5580", "ROUTER endpoint for ranking and explanation queries"},
    {"pub_bind", "tcp://127.0.0.1:5581", "PUB endpoint for rank changes (topic rank.<ward>)"},
    {"intake", "tcp://127.0.0.1:5570", "intake's ROUTER endpoint (fetch)"},
    {"intake_pub", "tcp://127.0.0.1:5571", "intake's PUB endpoint (new-seq hints)"},
    {"data_dir", "./.cchc/scoring", "directory of scoring.db"},
    {"credit", "1000", "events per fetch"},
    {"poll_ms", "1000", "fetch interval when no hint arrives"},
    {"max_msg_bytes", "1048576", "largest message accepted"},
    {"log_level", "info", "debug, info, warn or error"},
    {"log_format", "auto", "json, text or auto"},
    {NULL, NULL, NULL},
};

//  A ward's current ranking: units in rank order with their evaluations.
typedef struct {
    size_t n;
    cchc_unit_t **order;     //  rank order
    cchc_unit_eval_t *evals; //  by unit index
    uint32_t *ranks;         //  by unit index
    bool touched;            //  touched by the current batch
} ward_rank_t;

typedef struct {
    cchc_service_t service;
    cchc_config_t *config;
    cchc_rules_t rules;
    cchc_follower_t *follower;
    cchc_zwatch_t router;
    cchc_zwatch_t pub;
    size_t max_msg_bytes;
    bool clock_moved;            //  the current batch moved the log time
    uint64_t batch_seq;          //  last seq of the current batch
    Cchc__RankChanged **changes; //  to publish after the commit
    size_t nchanges, changes_cap;
    uint64_t queries, errors;
} scoring_t;

// ---------------------------------------------------------------------------
//  Rankings

static ward_rank_t *ward_rank(cchc_ward_t *ward)
{
    ward_rank_t *wr = ward->user;
    if (!wr) {
        wr = calloc(1, sizeof(*wr));
        if (!wr)
            abort();
        ward->user = wr;
    }
    if (wr->n != ward->nunits) { //  units were registered: grow, keep old values
        wr->order = realloc(wr->order, (ward->nunits + 1) * sizeof(*wr->order));
        wr->evals = realloc(wr->evals, (ward->nunits + 1) * sizeof(*wr->evals));
        wr->ranks = realloc(wr->ranks, (ward->nunits + 1) * sizeof(*wr->ranks));
        if (!wr->order || !wr->evals || !wr->ranks)
            abort();
        for (size_t i = wr->n; i < ward->nunits; i++) {
            memset(&wr->evals[i], 0, sizeof(wr->evals[i]));
            wr->ranks[i] = 0;
        }
        wr->n = ward->nunits;
    }
    return wr;
}

static void ward_rank_free(cchc_ward_t *ward)
{
    ward_rank_t *wr = ward->user;
    if (!wr)
        return;
    free(wr->order);
    free(wr->evals);
    free(wr->ranks);
    free(wr);
    ward->user = NULL;
}

static const cchc_unit_eval_t *sort_evals; //  qsort has no context argument

static int unit_order(const void *a, const void *b)
{
    const cchc_unit_t *ua = *(cchc_unit_t *const *)a, *ub = *(cchc_unit_t *const *)b;
    return cchc_eval_compare(&sort_evals[ua->index], ua->rec->def->code, &sort_evals[ub->index],
                             ub->rec->def->code);
}

static void change_add(scoring_t *self, cchc_ward_t *ward, cchc_unit_t *unit, uint32_t old_rank,
                       const cchc_unit_eval_t *old, uint32_t new_rank, const cchc_unit_eval_t *now)
{
    Cchc__RankChanged *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    cchc__rank_changed__init(c);
    c->ward = ward->code; //  borrowed: the model outlives the publication
    c->unit = unit->rec->def->code;
    c->has_old_rank = c->has_new_rank = c->has_old_score_centi = c->has_new_score_centi = true;
    c->has_old_tier = c->has_new_tier = c->has_seq = true;
    c->old_rank = old_rank;
    c->new_rank = new_rank;
    c->old_score_centi = old->score_centi;
    c->new_score_centi = now->score_centi;
    c->old_tier = old->tier;
    c->new_tier = now->tier;
    c->seq = self->batch_seq;
    if (self->nchanges == self->changes_cap) {
        self->changes_cap = self->changes_cap ? self->changes_cap * 2 : 16;
        self->changes = realloc(self->changes, self->changes_cap * sizeof(*self->changes));
        if (!self->changes)
            abort();
    }
    self->changes[self->nchanges++] = c;
}

//  Re-evaluate and re-rank a ward; record changes when publish is true.
static void ward_rerank(scoring_t *self, cchc_ward_t *ward, bool publish)
{
    ward_rank_t *wr = ward_rank(ward);
    int64_t now = cchc_model_now(cchc_follower_model(self->follower));
    cchc_unit_eval_t *old = malloc((ward->nunits + 1) * sizeof(*old));
    uint32_t *old_ranks = malloc((ward->nunits + 1) * sizeof(*old_ranks));
    if (!old || !old_ranks)
        abort();
    memcpy(old, wr->evals, ward->nunits * sizeof(*old));
    memcpy(old_ranks, wr->ranks, ward->nunits * sizeof(*old_ranks));
    for (size_t i = 0; i < ward->nunits; i++) {
        cchc_unit_evaluate(&self->rules, ward->units[i], now, &wr->evals[i], NULL);
        wr->order[i] = ward->units[i];
    }
    sort_evals = wr->evals;
    qsort(wr->order, ward->nunits, sizeof(*wr->order), unit_order);
    for (size_t r = 0; r < ward->nunits; r++)
        wr->ranks[wr->order[r]->index] = (uint32_t)(r + 1);
    for (size_t i = 0; publish && i < ward->nunits; i++) {
        const cchc_unit_eval_t *o = &old[i], *n = &wr->evals[i];
        if (old_ranks[i] != wr->ranks[i] || o->score_centi != n->score_centi || o->tier != n->tier)
            change_add(self, ward, ward->units[i], old_ranks[i], o, wr->ranks[i], n);
    }
    free(old);
    free(old_ranks);
}

static void on_event(void *arg, const Cchc__Event *ev, const cchc_touch_t *touch)
{
    scoring_t *self = arg;
    self->batch_seq = ev->seq;
    if (touch->clock)
        self->clock_moved = true;
    if (touch->ward)
        ward_rank(touch->ward)->touched = true;
}

static void on_batch(void *arg)
{
    scoring_t *self = arg;
    cchc_model_t *model = cchc_follower_model(self->follower);
    for (size_t i = 0; i < cchc_model_ward_count(model); i++) {
        cchc_ward_t *ward = cchc_model_ward_at(model, i);
        ward_rank_t *wr = ward_rank(ward);
        if (self->clock_moved || wr->touched)
            ward_rerank(self, ward, true);
        wr->touched = false;
    }
    self->clock_moved = false;
}

static void publish_changes(void *arg)
{
    scoring_t *self = arg;
    for (size_t i = 0; i < self->nchanges; i++) {
        Cchc__RankChanged *c = self->changes[i];
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_RANK_CHANGED;
        env.rank_changed = c;
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
        free(c);
    }
    self->nchanges = 0;
}

// ---------------------------------------------------------------------------
//  Queries

static void fill_entry(Cchc__RankEntry *e, const cchc_unit_t *unit, const cchc_unit_eval_t *ev, uint32_t rank)
{
    static char groups[5][2] = {"A", "B", "C", "D", "-"};
    cchc__rank_entry__init(e);
    e->has_rank = e->has_score_centi = e->has_computed_centi = e->has_appraised = e->has_tier = true;
    e->has_evaluated = e->has_done = e->has_on_time = e->has_late = e->has_overdue = e->has_unmet = true;
    e->has_on_time_ppm = e->has_head_accountable = e->has_eligible = e->has_score_tier = true;
    e->has_bonus_centi = e->has_penalty_centi = true;
    e->rank = rank;
    e->unit = unit->rec->def->code;
    e->unit_name = unit->rec->def->name;
    e->score_centi = ev->score_centi;
    e->computed_centi = ev->computed_centi;
    e->appraised = ev->appraised;
    e->tier = ev->tier;
    e->score_tier = ev->score_tier;
    e->par_group = groups[ev->par_group >= 'A' && ev->par_group <= 'D' ? ev->par_group - 'A' : 4];
    e->evaluated = ev->evaluated;
    e->done = ev->done;
    e->on_time = ev->on_time;
    e->late = ev->late;
    e->overdue = ev->overdue;
    e->unmet = ev->unmet;
    e->on_time_ppm = ev->on_time_ppm;
    e->head_accountable = ev->head_accountable;
    e->eligible = ev->eligible;
    e->bonus_centi = ev->bonus_centi;
    e->penalty_centi = ev->penalty_centi;
}

static void reply_error(scoring_t *self, zmq_msg_t *identity, uint64_t request_id, const cchc_err_t *err)
{
    self->errors++;
    cchc_log(CCHC_DEBUG, "query_rejected", "code=%s detail=%s", cchc_err_name(err->code), err->en);
    cchc_reply_error(&self->router, identity, request_id, err);
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
    ward_rank_t *wr = ward_rank(ward);
    Cchc__RankEntry *entries = calloc(ward->nunits + 1, sizeof(*entries));
    Cchc__RankEntry **ptrs = calloc(ward->nunits + 1, sizeof(*ptrs));
    if (!entries || !ptrs)
        abort();
    for (size_t r = 0; r < ward->nunits; r++) {
        const cchc_unit_t *u = wr->order[r];
        fill_entry(&entries[r], u, &wr->evals[u->index], wr->ranks[u->index]);
        ptrs[r] = &entries[r];
    }
    Cchc__Ranking ranking = CCHC__RANKING__INIT;
    ranking.ward = ward->code;
    ranking.ward_name = ward->def ? ward->def->name : ward->code;
    ranking.has_as_of_ms = ranking.has_last_seq = true;
    ranking.as_of_ms = cchc_model_now(model);
    ranking.last_seq = cchc_model_last_seq(model);
    ranking.n_entries = ward->nunits;
    ranking.entries = ptrs;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING;
    env.ranking = &ranking;
    cchc_reply(&self->router, identity, &env);
    free(entries);
    free(ptrs);
}

static void handle_explain(scoring_t *self, zmq_msg_t *identity, uint64_t request_id,
                           const Cchc__ExplainQuery *q)
{
    cchc_model_t *model = cchc_follower_model(self->follower);
    cchc_ward_t *ward = cchc_model_ward(model, q->ward);
    cchc_unit_t *unit = cchc_ward_unit(ward, q->unit);
    cchc_err_t err;
    if (!ward || !unit) {
        cchc_err_set(&err, ward ? CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT : CCHC__ERROR_CODE__ERR_UNKNOWN_WARD, -1,
                     ward ? (q->unit ? q->unit : "") : (q->ward ? q->ward : ""));
        reply_error(self, identity, request_id, &err);
        return;
    }
    ward_rank_t *wr = ward_rank(ward);
    Cchc__Explanation x = CCHC__EXPLANATION__INIT;
    cchc_unit_eval_t eval;
    cchc_unit_evaluate(&self->rules, unit, cchc_model_now(model), &eval, &x);
    Cchc__RankEntry entry;
    fill_entry(&entry, unit, &eval, wr->ranks[unit->index]);
    x.entry = &entry;
    x.has_as_of_ms = true;
    x.as_of_ms = cchc_model_now(model);
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_EXPLANATION;
    env.explanation = &x;
    cchc_reply(&self->router, identity, &env);
    cchc_explanation_clear(&x);
}

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
    else {
        cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE, -1, "not served by scoring");
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
    scoring_t *self = arg;
    //  Every commit, the last included, published its changes in `committed`.
    free(self->changes);
    self->changes = NULL;
    cchc_zwatch_close(&self->router, on_watch_closed, self);
    cchc_zwatch_close(&self->pub, on_watch_closed, self);
    cchc_service_close(&self->service);
    cchc_log(CCHC_INFO, "stopped", "queries=%llu errors=%llu", (unsigned long long)self->queries,
             (unsigned long long)self->errors);
}

static void on_stop(cchc_service_t *service, void *arg)
{
    (void)service;
    scoring_t *self = arg;
    cchc_zwatch_stop(&self->router);
    //  No query or batch uses the per-ward rankings from here on; free them
    //  while the model that holds them is still there.
    cchc_model_t *model = cchc_follower_model(self->follower);
    for (size_t i = 0; i < cchc_model_ward_count(model); i++)
        ward_rank_free(cchc_model_ward_at(model, i));
    cchc_follower_close(self->follower, on_follower_closed, self);
}

static void on_reload(cchc_service_t *service, void *arg)
{
    (void)service;
    cchc_service_log_config("scoring", ((scoring_t *)arg)->config);
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
    int64_t credit = 1000, poll_ms = 1000, max_bytes = 1048576;
    cchc_config_get_int(self->config, "credit", &credit);
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
        .on_event = on_event,
        .on_batch = on_batch,
        .committed = publish_changes,
        .arg = self,
    };
    self->follower = cchc_follower_new(self->service.loop, self->service.zctx, &opts, err, sizeof(err));
    if (!self->follower) {
        cchc_log(CCHC_ERROR, "start_failed", "error=%s", err);
        return -1;
    }
    cchc_model_t *model = cchc_follower_model(self->follower);
    for (size_t i = 0; i < cchc_model_ward_count(model); i++)
        ward_rerank(self, cchc_model_ward_at(model, i), false);

    void *router = cchc_socket(self->service.zctx, ZMQ_ROUTER, cchc_config_get(self->config, "bind"), true,
                               10000, (long)max_bytes * 4);
    void *pub =
        cchc_socket(self->service.zctx, ZMQ_PUB, cchc_config_get(self->config, "pub_bind"), true, 10000, 0);
    if (!router || !pub)
        return -1;
    cchc_zwatch_init(self->service.loop, &self->router, router, on_request, self);
    cchc_zwatch_init(self->service.loop, &self->pub, pub, NULL, self);
    cchc_zwatch_start(&self->router);
    char status[96];
    snprintf(status, sizeof(status), "last_seq=%llu", (unsigned long long)cchc_model_last_seq(model));
    cchc_service_ready(&self->service, status);
    return 0;
}

int main(int argc, char **argv)
{
    static scoring_t scoring;
    scoring_t *self = &scoring;
    int rc;
    self->config = cchc_service_config("scoring", scoring_options, argc, argv, &rc);
    if (!self->config)
        return rc;
    cchc_rules_default(&self->rules);
    if (cchc_service_init(&self->service, on_stop, on_reload, self) != 0 || scoring_start(self) != 0)
        return 1;
    rc = cchc_service_run(&self->service);
    cchc_config_destroy(&self->config);
    return rc == 0 ? 0 : 1;
}
