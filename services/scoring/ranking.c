/*  ranking.c - per-ward rankings, re-evaluated incrementally.

    Each ward ranked has a ward_rank_t in ward->user: its units in rank order
    and, by unit index, their evaluation, rank and a "touched" flag. Units
    are only ever appended to a ward (registration order, never removed), so
    the units ranked are exactly indices 0 .. nranked-1.

    An update re-evaluates the touched units, then re-sorts the ward by
    insertion sort starting from the previous order: a ward has 5-15 units
    and a batch moves few of them, so this is close to linear. A province of
    20,000 units in one ranking needs an order-statistic tree instead; it
    comes with the scoring issue, behind the same interface.

    Time: the rules depend on the log time only through deadlines crossed
    (due dates in force, the end of the plan year: all at local midnight),
    so a clock move into another local day marks every unit of every ward
    that has tasks; a move within the day marks nothing. (Scoring updates
    after every event, and every event moves the log time.) A deadline index would mark only
    the wards with a deadline between the previous and the new log time;
    wards_crossed() is the one place to swap it in.
*/
#include "ranking.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rules_file.h"

typedef struct ward_rank ward_rank_t;

struct ward_rank {
    cchc_ranking_t *owner;   //  the ranking this state belongs to
    cchc_ward_t *ward;       //  the ward ranked (borrowed from the model)
    size_t nslots;           //  units known by index (allocated arrays' length)
    size_t nranked;          //  units in order (indices 0 .. nranked-1)
    cchc_unit_t **order;     //  rank order, nranked entries
    cchc_unit_eval_t *evals; //  by unit index
    uint32_t *ranks;         //  by unit index; 0 = not ranked yet
    bool *touched;           //  by unit index: re-evaluate at the next update
    bool all_touched;        //  re-evaluate every unit at the next update
    bool queued;             //  listed in owner->pending
    ward_rank_t *next;       //  every state of the owner, for destroy
};

struct cchc_ranking {
    cchc_rules_t rules;    //  copy given at creation
    ward_rank_t *states;   //  every ward state created (list)
    ward_rank_t **pending; //  wards with notes since the last update
    size_t npending, pending_cap;
    bool clock_moved;       //  the log time moved since the last update
    int32_t evaluated_date; //  local date of the last update's log time (0: none yet)
};

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        abort();
    return p;
}

// ---------------------------------------------------------------------------
//  Ward states

//  The ward's state, created on first use, with a slot for every unit the
//  ward has now (new slots: never ranked, touched).
static ward_rank_t *ward_state(cchc_ranking_t *self, cchc_ward_t *ward)
{
    ward_rank_t *wr = ward->user;
    if (!wr) {
        wr = xrealloc(NULL, sizeof(*wr));
        memset(wr, 0, sizeof(*wr));
        wr->owner = self;
        wr->ward = ward;
        wr->next = self->states;
        self->states = wr;
        ward->user = wr;
    }
    assert(wr->owner == self); //  one ranking per model
    if (wr->nslots < ward->nunits) {
        size_t n = ward->nunits;
        wr->order = xrealloc(wr->order, n * sizeof(*wr->order));
        wr->evals = xrealloc(wr->evals, n * sizeof(*wr->evals));
        wr->ranks = xrealloc(wr->ranks, n * sizeof(*wr->ranks));
        wr->touched = xrealloc(wr->touched, n * sizeof(*wr->touched));
        for (size_t i = wr->nslots; i < n; i++) {
            memset(&wr->evals[i], 0, sizeof(wr->evals[i]));
            wr->evals[i].tier = CCHC__TIER__TIER_UNRATED;
            wr->ranks[i] = 0;
            wr->touched[i] = true;
        }
        wr->nslots = n;
    }
    return wr;
}

static void ward_queue(cchc_ranking_t *self, ward_rank_t *wr)
{
    if (wr->queued)
        return;
    if (self->npending == self->pending_cap) {
        self->pending_cap = self->pending_cap ? self->pending_cap * 2 : 16;
        self->pending = xrealloc(self->pending, self->pending_cap * sizeof(*self->pending));
    }
    self->pending[self->npending++] = wr;
    wr->queued = true;
}

//  Queue, with every unit touched, the wards whose evaluation may differ
//  now that the log time moved: every ward with tasks (see the file comment).
static void wards_crossed(cchc_ranking_t *self, cchc_model_t *model)
{
    for (size_t i = 0; i < cchc_model_ward_count(model); i++) {
        cchc_ward_t *ward = cchc_model_ward_at(model, i);
        if (ward->ntasks == 0)
            continue;
        ward_rank_t *wr = ward_state(self, ward);
        wr->all_touched = true;
        ward_queue(self, wr);
    }
}

// ---------------------------------------------------------------------------
//  Re-ranking

static void change_add(cchc_rank_changes_t *changes, const ward_rank_t *wr, const cchc_unit_t *unit,
                       uint32_t old_rank, int32_t old_score, Cchc__Tier old_tier, uint64_t seq)
{
    const cchc_unit_eval_t *now = &wr->evals[unit->index];
    Cchc__RankChanged *c = xrealloc(NULL, sizeof(*c));
    cchc__rank_changed__init(c);
    c->ward = wr->ward->code; //  borrowed from the model
    c->unit = unit->rec->def->code;
    c->has_old_rank = c->has_new_rank = c->has_old_score_centi = c->has_new_score_centi = true;
    c->has_old_tier = c->has_new_tier = c->has_seq = true;
    c->old_rank = old_rank;
    c->new_rank = wr->ranks[unit->index];
    c->old_score_centi = old_score;
    c->new_score_centi = now->score_centi;
    c->old_tier = old_tier;
    c->new_tier = now->tier;
    c->seq = seq;
    if (changes->count == changes->cap) {
        changes->cap = changes->cap ? changes->cap * 2 : 16;
        changes->items = xrealloc(changes->items, changes->cap * sizeof(*changes->items));
    }
    changes->items[changes->count++] = c;
}

static int unit_compare(const ward_rank_t *wr, const cchc_unit_t *a, const cchc_unit_t *b)
{
    return cchc_eval_compare(&wr->evals[a->index], a->rec->def->code, &wr->evals[b->index],
                             b->rec->def->code);
}

//  Insertion sort of the ward's order: stable, and linear on an order that
//  a batch barely changed. The comparison is total (unit codes are unique
//  within a ward), so the ranks have no ties.
static void order_sort(ward_rank_t *wr)
{
    for (size_t i = 1; i < wr->nranked; i++) {
        cchc_unit_t *u = wr->order[i];
        size_t j = i;
        while (j > 0 && unit_compare(wr, wr->order[j - 1], u) > 0) {
            wr->order[j] = wr->order[j - 1];
            j--;
        }
        wr->order[j] = u;
    }
}

//  Re-evaluate the touched units of a ward at now, re-sort it, and record
//  every unit whose rank, score or tier changed (changes may be NULL).
static void ward_rerank(cchc_ranking_t *self, ward_rank_t *wr, int64_t now, uint64_t seq,
                        cchc_rank_changes_t *changes)
{
    cchc_ward_t *ward = wr->ward;
    ward_state(self, ward); //  slots for units registered since the last note
    size_t n = ward->nunits;
    uint32_t *old_ranks = xrealloc(NULL, n * sizeof(*old_ranks));
    int32_t *old_scores = xrealloc(NULL, n * sizeof(*old_scores));
    Cchc__Tier *old_tiers = xrealloc(NULL, n * sizeof(*old_tiers));
    for (size_t i = 0; i < n; i++) {
        old_ranks[i] = wr->ranks[i];
        old_scores[i] = wr->evals[i].score_centi;
        old_tiers[i] = wr->evals[i].tier;
        if (wr->all_touched || wr->touched[i])
            cchc_unit_evaluate(&self->rules, ward->units[i], now, &wr->evals[i], NULL);
        wr->touched[i] = false;
    }
    wr->all_touched = false;
    for (size_t i = wr->nranked; i < n; i++) //  new units join at the end
        wr->order[i] = ward->units[i];
    wr->nranked = n;
    order_sort(wr);
    for (size_t r = 0; r < n; r++)
        wr->ranks[wr->order[r]->index] = (uint32_t)(r + 1);
    for (size_t i = 0; changes && i < n; i++) {
        const cchc_unit_eval_t *e = &wr->evals[i];
        if (old_ranks[i] != wr->ranks[i] || old_scores[i] != e->score_centi || old_tiers[i] != e->tier)
            change_add(changes, wr, ward->units[i], old_ranks[i], old_scores[i], old_tiers[i], seq);
    }
    free(old_ranks);
    free(old_scores);
    free(old_tiers);
}

// ---------------------------------------------------------------------------
//  Public interface

cchc_ranking_t *cchc_ranking_new(const cchc_rules_t *rules)
{
    assert(rules);
    cchc_ranking_t *self = xrealloc(NULL, sizeof(*self));
    memset(self, 0, sizeof(*self));
    self->rules = *rules;
    return self;
}

void cchc_ranking_destroy(cchc_ranking_t **self_p)
{
    assert(self_p);
    cchc_ranking_t *self = *self_p;
    if (!self)
        return;
    while (self->states) {
        ward_rank_t *wr = self->states;
        self->states = wr->next;
        wr->ward->user = NULL;
        free(wr->order);
        free(wr->evals);
        free(wr->ranks);
        free(wr->touched);
        free(wr);
    }
    free(self->pending);
    free(self);
    *self_p = NULL;
}

void cchc_ranking_note(cchc_ranking_t *self, const cchc_touch_t *touch)
{
    assert(self && touch);
    if (touch->clock)
        self->clock_moved = true;
    if (!touch->ward)
        return;
    ward_rank_t *wr = ward_state(self, touch->ward);
    if (touch->unit)
        wr->touched[touch->unit->index] = true;
    else
        wr->all_touched = true; //  a ward-level event (area, official, the ward itself)
    ward_queue(self, wr);
}

void cchc_ranking_update(cchc_ranking_t *self, cchc_model_t *model, uint64_t seq,
                         cchc_rank_changes_t *changes)
{
    assert(self && model);
    int64_t now = cchc_model_now(model);
    int32_t today = cchc_date_of_ms(now);
    //  The rules read the log time only through deadlines (end of a due
    //  date, end of the plan year), so a move within the same local day
    //  cannot change an evaluation.
    if (self->clock_moved && today != self->evaluated_date)
        wards_crossed(self, model);
    self->evaluated_date = today;
    for (size_t i = 0; i < self->npending; i++) {
        ward_rerank(self, self->pending[i], now, seq, changes);
        self->pending[i]->queued = false;
    }
    self->npending = 0;
    self->clock_moved = false;
}

void cchc_ranking_set_rules(cchc_ranking_t *self, cchc_model_t *model, const cchc_rules_t *rules)
{
    assert(self && model && rules);
    self->rules = *rules;
    for (size_t i = 0; i < cchc_model_ward_count(model); i++) {
        ward_rank_t *wr = ward_state(self, cchc_model_ward_at(model, i));
        wr->all_touched = true;
        ward_queue(self, wr);
    }
}

int cchc_ranking_reload_rules(cchc_ranking_t *self, cchc_model_t *model, const char *path, uint64_t seq,
                              cchc_rank_changes_t *changes, char *err, size_t err_size)
{
    assert(self && model && path);
    cchc_rules_t rules;
    if (cchc_rules_load(path, &rules, err, err_size) != 0)
        return -1;
    if (cchc_rules_equal(&rules, &self->rules))
        return 0;
    cchc_ranking_set_rules(self, model, &rules);
    cchc_ranking_update(self, model, seq, changes);
    return 1;
}

const cchc_rules_t *cchc_ranking_rules(const cchc_ranking_t *self)
{
    assert(self);
    return &self->rules;
}

void cchc_ranking_rank_all(cchc_ranking_t *self, cchc_model_t *model)
{
    assert(self && model);
    for (size_t i = 0; i < cchc_model_ward_count(model); i++) {
        ward_rank_t *wr = ward_state(self, cchc_model_ward_at(model, i));
        wr->all_touched = true;
        ward_queue(self, wr);
    }
    self->clock_moved = false; //  every ward is re-evaluated anyway
    cchc_ranking_update(self, model, cchc_model_last_seq(model), NULL);
}

//  The ward's state if this ranking made one.
static const ward_rank_t *ward_state_of(const cchc_ranking_t *self, const cchc_ward_t *ward)
{
    const ward_rank_t *wr = ward->user;
    assert(!wr || wr->owner == self);
    (void)self;
    return wr;
}

size_t cchc_ranking_size(const cchc_ranking_t *self, const cchc_ward_t *ward)
{
    assert(self && ward);
    const ward_rank_t *wr = ward_state_of(self, ward);
    return wr ? wr->nranked : 0;
}

const cchc_unit_t *cchc_ranking_unit_at(const cchc_ranking_t *self, const cchc_ward_t *ward, size_t position)
{
    assert(self && ward);
    const ward_rank_t *wr = ward_state_of(self, ward);
    return wr && position < wr->nranked ? wr->order[position] : NULL;
}

const cchc_unit_eval_t *cchc_ranking_eval(const cchc_ranking_t *self, const cchc_unit_t *unit, uint32_t *rank)
{
    assert(self && unit);
    const ward_rank_t *wr = ward_state_of(self, unit->ward);
    if (!wr || (size_t)unit->index >= wr->nranked)
        return NULL;
    if (rank)
        *rank = wr->ranks[unit->index];
    return &wr->evals[unit->index];
}

void cchc_rank_changes_clear(cchc_rank_changes_t *changes)
{
    assert(changes);
    for (size_t i = 0; i < changes->count; i++)
        free(changes->items[i]);
    changes->count = 0;
}

void cchc_rank_changes_free(cchc_rank_changes_t *changes)
{
    assert(changes);
    cchc_rank_changes_clear(changes);
    free(changes->items);
    changes->items = NULL;
    changes->cap = 0;
}
