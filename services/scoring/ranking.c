/*  ranking.c - per-ward rankings, maintained incrementally.

    Each ward ranked has a ward_rank_t in ward->user: an order-statistic set
    of its unit indices (common/ostree.h) ordered by cchc_eval_compare, and,
    by unit index, the unit's evaluation, its last published rank and a
    "touched" flag. Units are only ever appended to a ward (registration
    order, never removed).

    An evaluation is kept in parts (rules.h): by task, the part it
    contributes; by unit, the sums of its tasks' parts. An event on a task
    marks it: the update swaps its old part for the new one in its unit's
    sums. A touched unit is then finished from its sums (O(areas), not
    O(tasks)), removed from the set (removal makes no comparison, so the
    old evaluation may already be gone) and inserted again, O(log n). A
    ward-level event or a change of rules rebuilds the ward's sums.

    The units whose rank can have changed lie between the lowest and highest
    old or new position of a touched unit: outside that range the positions
    hold only untouched units, in the same relative order as before (when a
    unit was added the range runs to the end). Only that range is walked to
    report changes, in unit index order as a full re-sort reported them.

    Time. The rules read the log time (cchc_unit_evaluate) only through
      - a task's due date in force: at its end the task enters the
        evaluation base, counts a delay and becomes overdue and unmet, unless
        it is done (judged at completion), paused or cancelled;
      - the end of the ward's plan year (31/12): head accountability.
    So the ranking keeps a deadline index per model source (shard: each
    has its own log time, and a ward is judged at its source's; model.h)
    (one bucket per instant, the
    buckets in a min-heap) of (instant, ward, task) with each task's end of
    due date in force still ahead (re-indexed whenever an event touches the
    task) and each ward's end of plan year. An update pops the buckets
    whose instant has been reached and marks each task still open (or
    every unit of the ward, for a year end): a clock move costs the
    deadlines it crossed, never a scan. An entry whose task's date changed
    since it was pushed is stale and dropped when popped.

    Ownership: per-ward state in ward->user (see ranking.h); everything else
    belongs to the ranking and is freed by cchc_ranking_destroy.
*/
#include "ranking.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ostree.h"
#include "rules_file.h"

typedef struct ward_rank ward_rank_t;

//  A task's state in its ward's ranking.
struct task_rank {
    int32_t due;           //  the due date whose end is indexed for it (0: none yet)
    bool part_in;          //  part is in its unit's sums
    bool dirty;            //  listed in dirty_list
    cchc_task_part_t part; //  its part in its unit's sums
};                         //  24 bytes: one per task

#define DUE_AHEAD 16 //  deadline entries prefetched ahead of the one handled

//  A unit's state in its ward's ranking: everything an update reads or
//  writes of one unit, together (an update of a unit reads one place, and a
//  comparison reads the evaluation and the code order side by side).
struct unit_rank {
    cchc_unit_eval_t eval; //  the evaluation in force
    uint32_t code_order;   //  position in the ward's units sorted by code
    uint32_t rank;         //  last rank reported; 0 = not ranked yet
    int32_t old_score;     //  scratch of an update: the evaluation before it
    Cchc__Tier old_tier;
    bool touched;          //  listed in touched_list
    bool sums_valid;       //  sums hold every task's part
    cchc_unit_sums_t sums; //  the sums of its tasks' parts (rules.h)
};

struct ward_rank {
    cchc_ranking_t *owner;    //  the ranking this state belongs to
    cchc_ward_t *ward;        //  the ward ranked (borrowed from the model)
    uint32_t id;              //  position in owner->states
    size_t nslots;            //  allocated length of ustate (and touched_list)
    size_t nknown;            //  units seen (0 .. nknown-1 ranked or touched)
    cchc_ostree_t *order;     //  unit indices in rank order
    struct unit_rank *ustate; //  by unit index
    uint32_t *touched_list;   //  units to re-evaluate at the next update
    size_t ntouched;
    bool all_touched; //  re-evaluate every unit at the next update
    bool queued;      //  listed in owner->pending
    //  The evaluation in parts (rules.h): by unit index the sums of its
    //  tasks' parts (in ustate), by task index the part in those sums (with
    //  the rest of the task's state here, in one array: an event reads one
    //  place per task); tasks whose part must be computed again at the next
    //  update.
    struct task_rank *tasks; //  by task index
    size_t ntask_slots;
    uint32_t *dirty_list;
    size_t ndirty;
    int64_t year_end; //  instant indexed for the plan year's end (0: none)
};

//  The deadline index. Every instant indexed is a local midnight (the end
//  of a date), so entries are grouped in one bucket per instant: a bucket
//  lists (state, task) pairs (task -1: the ward's plan year), a hash map
//  finds the bucket of an instant, and a min-heap orders the buckets. A
//  clock move pops the buckets reached and walks their lists in order,
//  instead of sifting a heap of millions of entries for each.
typedef struct {
    uint32_t ward;          //  state id
    int32_t task;           //  task index, or -1 for the plan year
    const cchc_task_t *ptr; //  the task (NULL for the plan year): popped
                            //  entries are prefetched a few ahead
} due_t;

typedef struct {
    int64_t at;
    due_t *items;
    size_t count, cap;
    uint32_t next_free; //  free list of recycled buckets
} bucket_t;

typedef struct {
    int64_t at;
    uint32_t bucket;
} bucket_ref_t;

#define NO_BUCKET UINT32_MAX

//  One deadline index per model source (shard): each source has its own
//  log time, and a ward's deadlines are crossed by its source's time only.
typedef struct {
    int64_t now;       //  the source's log time at the last update (INT64_MIN before the first)
    bucket_t *buckets; //  buckets by id
    size_t nbuckets, buckets_cap;
    uint32_t free_bucket; //  first recycled bucket, or NO_BUCKET
    bucket_ref_t *heap;   //  live buckets, a binary min-heap on at
    size_t nheap, heap_cap;
    bucket_ref_t *map; //  instant -> bucket, open addressing (bucket NO_BUCKET: empty)
    size_t map_cap, map_count;
} dindex_t;

struct cchc_ranking {
    cchc_rules_t rules;   //  copy given at creation
    ward_rank_t **states; //  every ward state created, by id
    size_t nstates, states_cap;
    ward_rank_t **pending; //  wards with notes since the last update
    size_t npending, pending_cap;
    cchc_ranking_stats_t stats;
    dindex_t *indexes; //  by source index
    size_t nindexes;
    struct changed {
        uint32_t unit, rank; //  unit index, new rank
    } * scratch;             //  an update's changed units
    size_t scratch_cap;
};

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        abort();
    return p;
}

// ---------------------------------------------------------------------------
//  The deadline index

static void heap_push(dindex_t *self, bucket_ref_t ref)
{
    if (self->nheap == self->heap_cap) {
        self->heap_cap = self->heap_cap ? self->heap_cap * 2 : 64;
        self->heap = xrealloc(self->heap, self->heap_cap * sizeof(*self->heap));
    }
    size_t i = self->nheap++;
    while (i > 0 && self->heap[(i - 1) / 2].at > ref.at) {
        self->heap[i] = self->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    self->heap[i] = ref;
}

static bucket_ref_t heap_pop(dindex_t *self)
{
    assert(self->nheap > 0);
    bucket_ref_t top = self->heap[0];
    bucket_ref_t last = self->heap[--self->nheap];
    size_t i = 0, n = self->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && self->heap[c + 1].at < self->heap[c].at)
            c++;
        if (self->heap[c].at >= last.at)
            break;
        self->heap[i] = self->heap[c];
        i = c;
    }
    if (n > 0)
        self->heap[i] = last;
    return top;
}

static size_t map_home(const dindex_t *self, int64_t at)
{
    uint64_t h = (uint64_t)at * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (self->map_cap - 1);
}

//  The slot of at in the map: where it is, or the empty slot ending its probe.
static size_t map_find(const dindex_t *self, int64_t at)
{
    size_t i = map_home(self, at);
    while (self->map[i].bucket != NO_BUCKET && self->map[i].at != at)
        i = (i + 1) & (self->map_cap - 1);
    return i;
}

static void map_grow(dindex_t *self)
{
    bucket_ref_t *old = self->map;
    size_t old_cap = self->map_cap;
    self->map_cap = old_cap ? old_cap * 2 : 64;
    self->map = xrealloc(NULL, self->map_cap * sizeof(*self->map));
    for (size_t i = 0; i < self->map_cap; i++)
        self->map[i].bucket = NO_BUCKET;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].bucket != NO_BUCKET)
            self->map[map_find(self, old[i].at)] = old[i];
    free(old);
}

//  Remove at from the map (backward-shift deletion: no tombstones).
static void map_remove(dindex_t *self, int64_t at)
{
    size_t mask = self->map_cap - 1, i = map_find(self, at);
    assert(self->map[i].bucket != NO_BUCKET);
    self->map[i].bucket = NO_BUCKET;
    self->map_count--;
    for (size_t j = (i + 1) & mask; self->map[j].bucket != NO_BUCKET; j = (j + 1) & mask) {
        size_t home = map_home(self, self->map[j].at);
        //  Move j back to the hole at i if its home is not within (i, j].
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            self->map[i] = self->map[j];
            self->map[j].bucket = NO_BUCKET;
            i = j;
        }
    }
}

//  Index (ward, task) at instant at.
static void deadline_push(dindex_t *self, int64_t at, uint32_t ward, int32_t task, const cchc_task_t *ptr)
{
    if ((self->map_count + 1) * 10 > self->map_cap * 7)
        map_grow(self);
    size_t slot = map_find(self, at);
    uint32_t b = self->map[slot].bucket;
    if (b == NO_BUCKET) {
        if (self->free_bucket != NO_BUCKET) {
            b = self->free_bucket;
            self->free_bucket = self->buckets[b].next_free;
        } else {
            if (self->nbuckets == self->buckets_cap) {
                self->buckets_cap = self->buckets_cap ? self->buckets_cap * 2 : 64;
                self->buckets = xrealloc(self->buckets, self->buckets_cap * sizeof(*self->buckets));
            }
            b = (uint32_t)self->nbuckets++;
            memset(&self->buckets[b], 0, sizeof(self->buckets[b]));
        }
        self->buckets[b].at = at;
        self->buckets[b].count = 0;
        self->map[slot] = (bucket_ref_t){at, b};
        self->map_count++;
        heap_push(self, (bucket_ref_t){at, b});
    }
    bucket_t *bk = &self->buckets[b];
    if (bk->count == bk->cap) {
        bk->cap = bk->cap ? bk->cap * 2 : 16;
        bk->items = xrealloc(bk->items, bk->cap * sizeof(*bk->items));
    }
    bk->items[bk->count++] = (due_t){ward, task, ptr};
}

//  The deadline index of a source, created on first use.
static dindex_t *source_index(cchc_ranking_t *self, int source)
{
    size_t i = source > 0 ? (size_t)source : 0;
    if (i >= self->nindexes) {
        self->indexes = xrealloc(self->indexes, (i + 1) * sizeof(*self->indexes));
        for (size_t k = self->nindexes; k <= i; k++) {
            memset(&self->indexes[k], 0, sizeof(self->indexes[k]));
            self->indexes[k].now = INT64_MIN;
            self->indexes[k].free_bucket = NO_BUCKET;
        }
        self->nindexes = i + 1;
    }
    return &self->indexes[i];
}

static dindex_t *ward_index(cchc_ranking_t *self, const cchc_ward_t *ward)
{
    return source_index(self, ward->source ? ward->source->index : 0);
}

// ---------------------------------------------------------------------------
//  Ward states

//  cchc_eval_compare, with the code's tie-break read from code_order
//  (each comparison would otherwise follow two units to their codes).
static int unit_compare(void *ctx, uint32_t a, uint32_t b)
{
    const ward_rank_t *wr = ctx;
    int c = cchc_eval_compare_scores(&wr->ustate[a].eval, &wr->ustate[b].eval);
    if (c)
        return c;
    return wr->ustate[a].code_order < wr->ustate[b].code_order
               ? -1
               : wr->ustate[a].code_order > wr->ustate[b].code_order;
}

//  Number the ward's units in code order (when units were added: the
//  relative order of the others stays, so the set's order is kept).
static void code_order_build(ward_rank_t *wr)
{
    const cchc_ward_t *ward = wr->ward;
    uint32_t *idx = xrealloc(NULL, ward->nunits * sizeof(*idx));
    for (size_t i = 0; i < ward->nunits; i++) { //  insertion sort: a ward has tens of units
        size_t k = i;
        while (k > 0 && strcmp(ward->units[idx[k - 1]]->code, ward->units[i]->code) > 0) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = (uint32_t)i;
    }
    for (size_t k = 0; k < ward->nunits; k++)
        wr->ustate[idx[k]].code_order = (uint32_t)k;
    free(idx);
}

static void unit_touch(ward_rank_t *wr, uint32_t index)
{
    if (wr->ustate[index].touched)
        return;
    wr->ustate[index].touched = true;
    wr->touched_list[wr->ntouched++] = index;
}

static void task_mark(ward_rank_t *wr, uint32_t index)
{
    if (wr->tasks[index].dirty)
        return;
    wr->tasks[index].dirty = true;
    wr->dirty_list[wr->ndirty++] = index;
}

//  The ward's state, created on first use, with a slot for every unit the
//  ward has now (new slots: never ranked, touched) and every task.
static ward_rank_t *ward_state(cchc_ranking_t *self, cchc_ward_t *ward)
{
    ward_rank_t *wr = ward->user;
    if (!wr) {
        wr = xrealloc(NULL, sizeof(*wr));
        memset(wr, 0, sizeof(*wr));
        wr->owner = self;
        wr->ward = ward;
        wr->order = cchc_ostree_new(unit_compare, wr);
        if (self->nstates == self->states_cap) {
            self->states_cap = self->states_cap ? self->states_cap * 2 : 16;
            self->states = xrealloc(self->states, self->states_cap * sizeof(*self->states));
        }
        wr->id = (uint32_t)self->nstates;
        self->states[self->nstates++] = wr;
        ward->user = wr;
    }
    assert(wr->owner == self); //  one ranking per model
    if (wr->nslots < ward->nunits) {
        size_t n = wr->nslots ? wr->nslots : 8;
        while (n < ward->nunits)
            n *= 2;
        wr->ustate = xrealloc(wr->ustate, n * sizeof(*wr->ustate));
        wr->touched_list = xrealloc(wr->touched_list, n * sizeof(*wr->touched_list));
        for (size_t i = wr->nslots; i < n; i++) {
            memset(&wr->ustate[i], 0, sizeof(wr->ustate[i]));
            wr->ustate[i].eval.tier = CCHC__TIER__TIER_UNRATED;
        }
        wr->nslots = n;
    }
    for (size_t i = wr->nknown; i < ward->nunits; i++) //  registered since the last call
        unit_touch(wr, (uint32_t)i);
    if (wr->nknown != ward->nunits)
        code_order_build(wr);
    wr->nknown = ward->nunits;
    if (wr->ntask_slots < ward->ntasks) {
        size_t n = wr->ntask_slots ? wr->ntask_slots : 16;
        while (n < ward->ntasks)
            n *= 2;
        wr->tasks = xrealloc(wr->tasks, n * sizeof(*wr->tasks));
        wr->dirty_list = xrealloc(wr->dirty_list, n * sizeof(*wr->dirty_list));
        for (size_t i = wr->ntask_slots; i < n; i++) {
            memset(&wr->tasks[i], 0, sizeof(wr->tasks[i]));
        }
        wr->ntask_slots = n;
    }
    return wr;
}

//  Index the task's end of due date in force, if not indexed already.
static void index_task(cchc_ranking_t *self, ward_rank_t *wr, const cchc_task_t *task)
{
    if (wr->tasks[task->index].due == task->due_in_force)
        return;
    wr->tasks[task->index].due = task->due_in_force;
    int64_t at = cchc_date_end_ms(task->due_in_force);
    dindex_t *ix = ward_index(self, wr->ward);
    if (at > ix->now) //  a deadline already behind cannot be crossed again
        deadline_push(ix, at, wr->id, task->index, task);
}

//  Index the end of the ward's plan year, if it has one not indexed yet.
static void index_year(cchc_ranking_t *self, ward_rank_t *wr)
{
    const cchc_ward_t *ward = wr->ward;
    int32_t year = ward->def && ward->def->year ? ward->def->year : 0;
    int64_t at = year ? cchc_date_end_ms(year * 10000 + 1231) : 0;
    if (!year || wr->year_end == at)
        return;
    wr->year_end = at;
    dindex_t *ix = ward_index(self, wr->ward);
    if (at > ix->now)
        deadline_push(ix, at, wr->id, -1, NULL);
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

//  Touch every unit and index every task and the year of the ward.
static void ward_touch_all(cchc_ranking_t *self, ward_rank_t *wr)
{
    wr->all_touched = true;
    index_year(self, wr);
    for (size_t t = 0; t < wr->ward->ntasks; t++)
        index_task(self, wr, wr->ward->tasks[t]);
    ward_queue(self, wr);
}

//  Pop the deadlines reached at now and touch what they concern: the unit
//  of a task still open (a done task was judged at completion; a paused or
//  cancelled one is out of the evaluation and never unmet), every unit of a
//  ward whose plan year ended.
static void deadlines_crossed(cchc_ranking_t *self, dindex_t *ix, int64_t now)
{
    while (ix->nheap > 0 && ix->heap[0].at <= now) {
        bucket_ref_t ref = heap_pop(ix);
        map_remove(ix, ref.at);
        //  Read once: nothing below indexes a deadline (deadline_push could
        //  grow this bucket's list and move it).
        const due_t *items = ix->buckets[ref.bucket].items;
        size_t count = ix->buckets[ref.bucket].count;
        for (size_t k = 0; k < count; k++) {
            //  A day's deadlines cross together, thousands of tasks spread
            //  over the heap: ask for the entries ahead (their ward's state,
            //  then the task and its state there) so their misses overlap.
            if (k + 2 * DUE_AHEAD < count)
                __builtin_prefetch(self->states[items[k + 2 * DUE_AHEAD].ward]);
            if (k + DUE_AHEAD < count && items[k + DUE_AHEAD].ptr) {
                const due_t *a = &items[k + DUE_AHEAD];
                __builtin_prefetch((const char *)a->ptr + offsetof(cchc_task_t, unit));
                __builtin_prefetch(&self->states[a->ward]->tasks[a->task]);
            }
            due_t d = items[k];
            self->stats.deadlines++;
            ward_rank_t *wr = self->states[d.ward];
            if (d.task < 0) {
                if (ref.at == wr->year_end) {
                    wr->all_touched = true;
                    ward_queue(self, wr);
                }
                continue;
            }
            const cchc_task_t *task = d.ptr;
            if (cchc_date_end_ms(wr->tasks[d.task].due) != ref.at) //  the due date changed since: stale
                continue;
            if (cchc_task_done(task) || task->cancelled || task->paused)
                continue; //  (its slots exist: index_task made them when it pushed the entry)
            task_mark(wr, (uint32_t)d.task);
            unit_touch(wr, (uint32_t)task->unit->index);
            ward_queue(self, wr);
        }
        bucket_t *bk = &ix->buckets[ref.bucket]; //  recycled, its list kept
        bk->count = 0;
        bk->next_free = ix->free_bucket;
        ix->free_bucket = ref.bucket;
    }
}

// ---------------------------------------------------------------------------
//  Re-ranking

static void change_add(cchc_rank_changes_t *changes, const ward_rank_t *wr, const cchc_unit_t *unit,
                       uint32_t old_rank, int32_t old_score, Cchc__Tier old_tier, uint64_t seq)
{
    const cchc_unit_eval_t *now = &wr->ustate[unit->index].eval;
    Cchc__RankChanged *c = cchc_rank_changes_add(changes);
    c->ward = wr->ward->code; //  borrowed from the model
    c->unit = (char *)unit->code;
    c->has_old_rank = c->has_new_rank = c->has_old_score_centi = c->has_new_score_centi = true;
    c->has_old_tier = c->has_new_tier = c->has_seq = true;
    c->old_rank = old_rank;
    c->new_rank = wr->ustate[unit->index].rank;
    c->old_score_centi = old_score;
    c->new_score_centi = now->score_centi;
    c->old_tier = old_tier;
    c->new_tier = now->tier;
    c->seq = seq;
}

//  The sums of unit i from the parts of all its tasks at now.
static void unit_rebuild(cchc_ranking_t *self, ward_rank_t *wr, uint32_t i, int64_t now)
{
    const cchc_unit_t *unit = wr->ward->units[i];
    cchc_unit_sums_t *sums = &wr->ustate[i].sums;
    cchc_unit_sums_reset(sums, wr->ward->nareas);
    for (size_t k = 0; k < unit->ntasks; k++) {
        const cchc_task_t *task = unit->tasks[k];
        cchc_task_part(&self->rules, task, now, &wr->tasks[task->index].part);
        self->stats.parts++;
        cchc_unit_sums_add(sums, &wr->tasks[task->index].part, 1);
        wr->tasks[task->index].part_in = true;
    }
    wr->ustate[i].sums_valid = true;
}

static int cmp_changed(const void *a, const void *b)
{
    uint32_t x = ((const struct changed *)a)->unit, y = ((const struct changed *)b)->unit;
    return x < y ? -1 : x > y;
}

//  Re-evaluate the touched units of a ward at now, move each in the order,
//  and record every unit whose rank, score or tier changed (changes may be
//  NULL), in unit index order.
static void ward_rerank(cchc_ranking_t *self, ward_rank_t *wr, int64_t now, uint64_t seq,
                        cchc_rank_changes_t *changes)
{
    cchc_ward_t *ward = wr->ward;
    ward_state(self, ward); //  slots for units registered since the last note
    bool rebuild_all = wr->all_touched;
    if (wr->all_touched) {
        for (size_t i = 0; i < ward->nunits; i++)
            unit_touch(wr, (uint32_t)i);
        wr->all_touched = false;
    }
    //  The parts of the tasks touched, swapped in their units' sums.
    for (size_t k = 0; k < wr->ndirty; k++) {
        uint32_t t = wr->dirty_list[k];
        wr->tasks[t].dirty = false;
        const cchc_task_t *task = ward->tasks[t];
        uint32_t u = (uint32_t)task->unit->index;
        unit_touch(wr, u);
        if (rebuild_all || !wr->ustate[u].sums_valid || wr->ustate[u].sums.nareas != ward->nareas)
            continue; //  rebuilt below from every task
        if (wr->tasks[t].part_in)
            cchc_unit_sums_add(&wr->ustate[u].sums, &wr->tasks[t].part, -1);
        cchc_task_part(&self->rules, task, now, &wr->tasks[t].part);
        self->stats.parts++;
        cchc_unit_sums_add(&wr->ustate[u].sums, &wr->tasks[t].part, 1);
        wr->tasks[t].part_in = true;
    }
    wr->ndirty = 0;
    if (wr->ntouched == 0)
        return;
    size_t before = cchc_ostree_size(wr->order);
    size_t lo = SIZE_MAX, hi = 0; //  0-based positions, inclusive
    //  Old positions first: each removal shifts the positions after it.
    for (size_t k = 0; k < wr->ntouched; k++) {
        uint32_t i = wr->touched_list[k];
        if (cchc_ostree_contains(wr->order, i)) {
            size_t pos = cchc_ostree_position(wr->order, i);
            lo = pos < lo ? pos : lo;
            hi = pos > hi ? pos : hi;
        }
    }
    for (size_t k = 0; k < wr->ntouched; k++) {
        uint32_t i = wr->touched_list[k];
        if (cchc_ostree_contains(wr->order, i))
            cchc_ostree_remove(wr->order, i);
        wr->ustate[i].old_score = wr->ustate[i].eval.score_centi;
        wr->ustate[i].old_tier = wr->ustate[i].eval.tier;
        if (rebuild_all || !wr->ustate[i].sums_valid || wr->ustate[i].sums.nareas != ward->nareas)
            unit_rebuild(self, wr, i, now);
        cchc_unit_finish(&self->rules, ward->units[i], &wr->ustate[i].sums, now, &wr->ustate[i].eval, NULL);
        self->stats.units++;
    }
    for (size_t k = 0; k < wr->ntouched; k++)
        cchc_ostree_insert(wr->order, wr->touched_list[k]);
    size_t n = cchc_ostree_size(wr->order);
    for (size_t k = 0; k < wr->ntouched; k++) {
        size_t pos = cchc_ostree_position(wr->order, wr->touched_list[k]);
        lo = pos < lo ? pos : lo;
        hi = pos > hi ? pos : hi;
    }
    if (n != before) //  a unit joined: every unit after it moved down
        hi = n - 1;
    //  Walk the range: new ranks, and the units whose rank, score or tier changed.
    if (self->scratch_cap < n) {
        self->scratch_cap = n;
        self->scratch = xrealloc(self->scratch, n * sizeof(*self->scratch));
    }
    size_t nchanged = 0;
    self->stats.walked += hi - lo + 1;
    for (size_t pos = lo; pos <= hi; pos++) {
        uint32_t i = cchc_ostree_at(wr->order, pos);
        uint32_t rank = (uint32_t)(pos + 1);
        bool changed = wr->ustate[i].rank != rank;
        if (wr->ustate[i].touched)
            changed = changed || wr->ustate[i].old_score != wr->ustate[i].eval.score_centi ||
                      wr->ustate[i].old_tier != wr->ustate[i].eval.tier;
        if (changed)
            self->scratch[nchanged++] = (struct changed){i, rank};
    }
    qsort(self->scratch, nchanged, sizeof(*self->scratch), cmp_changed);
    for (size_t k = 0; k < nchanged; k++) {
        uint32_t i = self->scratch[k].unit;
        uint32_t old_rank = wr->ustate[i].rank;
        int32_t old_score = wr->ustate[i].touched ? wr->ustate[i].old_score : wr->ustate[i].eval.score_centi;
        Cchc__Tier old_tier = wr->ustate[i].touched ? wr->ustate[i].old_tier : wr->ustate[i].eval.tier;
        wr->ustate[i].rank = self->scratch[k].rank;
        if (changes)
            change_add(changes, wr, ward->units[i], old_rank, old_score, old_tier, seq);
    }
    for (size_t k = 0; k < wr->ntouched; k++)
        wr->ustate[wr->touched_list[k]].touched = false;
    wr->ntouched = 0;
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
    for (size_t i = 0; i < self->nstates; i++) {
        ward_rank_t *wr = self->states[i];
        wr->ward->user = NULL;
        cchc_ostree_destroy(&wr->order);
        free(wr->touched_list);
        free(wr->tasks);
        for (size_t u = 0; u < wr->nslots; u++)
            cchc_unit_sums_free(&wr->ustate[u].sums);
        free(wr->ustate);
        free(wr->dirty_list);
        free(wr);
    }
    free(self->states);
    for (size_t i = 0; i < self->nindexes; i++) {
        dindex_t *ix = &self->indexes[i];
        for (size_t b = 0; b < ix->nbuckets; b++)
            free(ix->buckets[b].items);
        free(ix->buckets);
        free(ix->map);
        free(ix->heap);
    }
    free(self->indexes);
    free(self->scratch);
    free(self->pending);
    free(self);
    *self_p = NULL;
}

void cchc_ranking_note(cchc_ranking_t *self, const cchc_touch_t *touch)
{
    assert(self && touch);
    //  A clock move needs no note: the deadline index finds what it crossed.
    if (!touch->ward)
        return;
    ward_rank_t *wr = ward_state(self, touch->ward);
    if (touch->task) {
        index_task(self, wr, touch->task); //  its due date in force may have changed
        task_mark(wr, (uint32_t)touch->task->index);
    }
    if (touch->unit) {
        unit_touch(wr, (uint32_t)touch->unit->index);
    } else {
        wr->all_touched = true; //  a ward-level event (area, official, the ward itself)
        index_year(self, wr);
    }
    ward_queue(self, wr);
}

void cchc_ranking_update(cchc_ranking_t *self, cchc_model_t *model, uint64_t seq,
                         cchc_rank_changes_t *changes)
{
    assert(self && model);
    //  Each source's deadlines by its own log time; each ward at its source's.
    for (size_t s = 0; s < cchc_model_source_count(model); s++) {
        int64_t now = cchc_model_source_at(model, s)->now_ms;
        dindex_t *ix = source_index(self, (int)s);
        deadlines_crossed(self, ix, now);
        ix->now = now;
    }
    for (size_t i = 0; i < self->npending; i++) {
        ward_rerank(self, self->pending[i], cchc_ward_now(self->pending[i]->ward), seq, changes);
        self->pending[i]->queued = false;
    }
    self->npending = 0;
}

void cchc_ranking_set_rules(cchc_ranking_t *self, cchc_model_t *model, const cchc_rules_t *rules)
{
    assert(self && model && rules);
    self->rules = *rules;
    for (size_t i = 0; i < cchc_model_ward_count(model); i++)
        ward_touch_all(self, ward_state(self, cchc_model_ward_at(model, i)));
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
    //  Every task is evaluated at its source's log time below: only the
    //  deadlines after it need an index entry.
    for (size_t s = 0; s < cchc_model_source_count(model); s++) {
        dindex_t *ix = source_index(self, (int)s);
        if (cchc_model_source_at(model, s)->now_ms > ix->now)
            ix->now = cchc_model_source_at(model, s)->now_ms;
    }
    for (size_t i = 0; i < cchc_model_ward_count(model); i++)
        ward_touch_all(self, ward_state(self, cchc_model_ward_at(model, i)));
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
    return wr ? cchc_ostree_size(wr->order) : 0;
}

const cchc_unit_t *cchc_ranking_unit_at(const cchc_ranking_t *self, const cchc_ward_t *ward, size_t position)
{
    assert(self && ward);
    const ward_rank_t *wr = ward_state_of(self, ward);
    if (!wr || position >= cchc_ostree_size(wr->order))
        return NULL;
    return ward->units[cchc_ostree_at(wr->order, position)];
}

const cchc_unit_eval_t *cchc_ranking_eval(const cchc_ranking_t *self, const cchc_unit_t *unit, uint32_t *rank)
{
    assert(self && unit);
    const ward_rank_t *wr = ward_state_of(self, unit->ward);
    if (!wr || !cchc_ostree_contains(wr->order, (uint32_t)unit->index))
        return NULL;
    if (rank)
        *rank = wr->ustate[unit->index].rank;
    return &wr->ustate[unit->index].eval;
}

void cchc_ranking_stats(const cchc_ranking_t *self, cchc_ranking_stats_t *stats)
{
    assert(self && stats);
    *stats = self->stats;
}

Cchc__RankChanged *cchc_rank_changes_add(cchc_rank_changes_t *changes)
{
    assert(changes);
    size_t block = changes->used / CCHC_RANK_CHANGES_BLOCK;
    if (block == changes->nblocks) {
        changes->blocks = xrealloc(changes->blocks, (changes->nblocks + 1) * sizeof(*changes->blocks));
        changes->blocks[changes->nblocks++] =
            xrealloc(NULL, CCHC_RANK_CHANGES_BLOCK * sizeof(Cchc__RankChanged));
    }
    Cchc__RankChanged *c = &changes->blocks[block][changes->used++ % CCHC_RANK_CHANGES_BLOCK];
    cchc__rank_changed__init(c);
    if (changes->count == changes->cap) {
        changes->cap = changes->cap ? changes->cap * 2 : 16;
        changes->items = xrealloc(changes->items, changes->cap * sizeof(*changes->items));
    }
    changes->items[changes->count++] = c;
    return c;
}

void cchc_rank_changes_clear(cchc_rank_changes_t *changes)
{
    assert(changes);
    changes->count = 0;
    changes->used = 0;
}

void cchc_rank_changes_free(cchc_rank_changes_t *changes)
{
    assert(changes);
    for (size_t i = 0; i < changes->nblocks; i++)
        free(changes->blocks[i]);
    free(changes->blocks);
    free(changes->items);
    memset(changes, 0, sizeof(*changes));
}
