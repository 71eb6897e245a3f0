/*  model.c - the ward model folded from the event log.

    One struct per ward holds hash maps by code and arrays in registration
    order. Wards, units, officials and areas are kept as protobuf-c messages
    (state.proto); tasks, of which a province has millions, as compact
    structs (model.h) allocated in the model's arena with their code right
    after them, the texts many tasks share interned once per model. Every
    record is persisted as a protobuf blob (a task as a TaskRecord), so a
    consumer needs no schema of its own: a record changed by an event is put
    on the dirty list, serialised by cchc_model_take_dirty and written by
    the consumer in the same transaction as its last_seq.

    Memory at 2 million tasks (cchc-bench scoring): cchc-scoring's RSS is
    about 270 bytes a task, model and ranking together, against ~730 when
    each task was a TaskRecord with its own TaskAssigned and strings
    (docs/PERFORMANCE.md).

    cchc_model_check and cchc_model_apply are kept side by side per event type
    so that what is accepted and what it does are read together.
*/
#include "model.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clock.h"
#include "codec.h"
#include "log.h"

#define PPM          1000000
#define MAX_CODE_LEN 64

typedef struct {
    int kind;
    cchc_ward_t *ward;
    const char *code;  //  borrowed from the record
    cchc_task_t *task; //  CCHC_REC_TASK: the task (its dirty flag dedupes)
} dirty_t;

//  Strings that live as long as the model, bump-allocated in blocks.
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(8) char data[];
} arena_block_t;

#define ARENA_BLOCK      (64 * 1024)       //  the first block
#define ARENA_HUGE_BLOCK (2 * 1024 * 1024) //  blocks grow to this: one transparent huge page

struct cchc_model {
    cchc_strmap_t *wards_by_code; //  code -> cchc_ward_t *
    cchc_ward_t **wards;          //  registration order
    size_t nwards, wards_cap;
    cchc_source_t **sources; //  by index, owned (pointers stable: wards point at them)
    size_t nsources, sources_cap;
    cchc_strmap_t *dirty_keys; //  "kind/ward/code" -> 1, dedupes the list (not tasks)
    dirty_t *dirty;
    size_t ndirty, dirty_cap;
    arena_block_t *arena;    //  tasks, their codes and co-unit lists; newest block first
    cchc_strmap_t *interned; //  titles, output descriptions, official and unit codes of tasks
};

// ---------------------------------------------------------------------------
//  Small helpers

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

//  Append item to a growable pointer array.
static void push_ptr(void ***items, size_t *count, size_t *cap, void *item)
{
    if (*count == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        void **grown = realloc(*items, *cap * sizeof(void *));
        if (!grown)
            abort();
        *items = grown;
    }
    (*items)[(*count)++] = item;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

static bool code_ok(const char *s)
{
    return !empty(s) && strlen(s) <= MAX_CODE_LEN;
}

// ---------------------------------------------------------------------------
//  Storage of tasks: the arena, interned strings, task blocks, the index

//  n bytes (8-aligned) that live as long as the model.
static void *arena_alloc(cchc_model_t *self, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    arena_block_t *b = self->arena;
    if (!b || b->used + n > b->cap) {
        //  Blocks double up to a huge page's size, aligned to it and
        //  advised as huge: a model of millions of tasks is read at random,
        //  and one TLB entry then covers 2 MB of tasks instead of 4 KB.
        size_t size = b ? 2 * (sizeof(*b) + b->cap) : ARENA_BLOCK;
        size = size > ARENA_HUGE_BLOCK ? ARENA_HUGE_BLOCK : size;
        if (size < sizeof(*b) + n)
            size = sizeof(*b) + n;
        void *mem = NULL;
        if (size == ARENA_HUGE_BLOCK) {
            if (posix_memalign(&mem, ARENA_HUGE_BLOCK, size) != 0)
                abort();
            (void)madvise(mem, size, MADV_HUGEPAGE); //  advice only: no huge pages is fine
        } else if (!(mem = malloc(size))) {
            abort();
        }
        b = mem;
        b->cap = size - sizeof(*b);
        b->used = 0;
        b->next = self->arena;
        self->arena = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

//  The model's one copy of s ("" for NULL or empty).
static const char *intern(cchc_model_t *self, const char *s)
{
    return empty(s) ? "" : cchc_strmap_intern(self->interned, s);
}

//  A zeroed task from the arena, its code copied right after it (a lookup
//  that reaches the task finds the code in the same or the next cache line).
static cchc_task_t *task_alloc(cchc_model_t *self, const char *code)
{
    size_t n = strlen(code) + 1;
    cchc_task_t *t = arena_alloc(self, sizeof(*t) + n);
    memset(t, 0, sizeof(*t));
    char *copy = (char *)(t + 1);
    memcpy(copy, code, n);
    t->code = copy;
    return t;
}

static uint32_t task_hash(const char *code)
{
    uint32_t h = 2166136261u; //  FNV-1a
    for (const unsigned char *p = (const unsigned char *)code; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

//  A ward's tasks by code: open addressing with linear probing; a slot
//  holds the task and its code's hash: 16 bytes, against a string map's
//  24-byte slot and key copy. The code compared sits right after the task.
struct cchc_task_slot {
    cchc_task_t *task; //  NULL: empty
    uint32_t hash;
};

//  The slot of code in the index: where it is, or the empty slot ending its probe.
static size_t task_slot(const cchc_ward_t *ward, const char *code, uint32_t hash)
{
    const struct cchc_task_index *ix = &ward->tasks_by_code;
    size_t mask = ix->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const struct cchc_task_slot *sl = &ix->slots[i];
        if (!sl->task || (sl->hash == hash && strcmp(sl->task->code, code) == 0))
            return i;
    }
}

static void task_index_put(cchc_ward_t *ward, cchc_task_t *task)
{
    struct cchc_task_index *ix = &ward->tasks_by_code;
    if ((ix->count + 1) * 10 > ix->cap * 7) {
        struct cchc_task_slot *old = ix->slots;
        size_t old_cap = ix->cap;
        ix->cap = old_cap ? old_cap * 2 : 16;
        ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i].task)
                continue;
            size_t k = old[i].hash & (ix->cap - 1);
            while (ix->slots[k].task)
                k = (k + 1) & (ix->cap - 1);
            ix->slots[k] = old[i];
        }
        free(old);
    }
    uint32_t hash = task_hash(task->code);
    size_t i = task_slot(ward, task->code, hash);
    assert(!ix->slots[i].task);
    ix->slots[i] = (struct cchc_task_slot){task, hash};
    ix->count++;
}

// ---------------------------------------------------------------------------
//  Model lifecycle and lookups

cchc_model_t *cchc_model_new(void)
{
    cchc_model_t *self = xcalloc(1, sizeof(*self));
    self->wards_by_code = cchc_strmap_new();
    self->dirty_keys = cchc_strmap_new();
    self->interned = cchc_strmap_new();
    return self;
}

static void hold_free(cchc_task_hold_t *hold)
{
    if (!hold)
        return;
    free(hold->ack_official);
    free(hold->silence_reason);
    free(hold);
}

static void ward_destroy(cchc_ward_t *ward)
{
    for (size_t i = 0; i < ward->ntasks; i++) //  the tasks themselves are in the model's arena
        hold_free(ward->tasks[i]->hold);
    for (size_t i = 0; i < ward->nunits; i++) {
        protobuf_c_message_free_unpacked(&ward->units[i]->rec->base, NULL);
        free(ward->units[i]->tasks);
        free(ward->units[i]);
    }
    for (size_t i = 0; i < ward->nareas; i++) {
        protobuf_c_message_free_unpacked(&ward->areas[i]->def->base, NULL);
        free(ward->areas[i]);
    }
    for (size_t i = 0; i < ward->nofficials; i++) {
        protobuf_c_message_free_unpacked(&ward->officials[i]->def->base, NULL);
        if (ward->officials[i]->leave)
            protobuf_c_message_free_unpacked(&ward->officials[i]->leave->base, NULL);
        free(ward->officials[i]);
    }
    free(ward->tasks);
    free(ward->units);
    free(ward->areas);
    free(ward->officials);
    cchc_strmap_destroy(&ward->units_by_code);
    cchc_strmap_destroy(&ward->officials_by_code);
    cchc_strmap_destroy(&ward->areas_by_code);
    free(ward->tasks_by_code.slots);
    if (ward->def)
        protobuf_c_message_free_unpacked(&ward->def->base, NULL);
    free(ward->chairman);
    free(ward->code);
    free(ward);
}

static void dirty_clear(cchc_model_t *self)
{
    for (size_t i = 0; i < self->ndirty; i++)
        if (self->dirty[i].task)
            self->dirty[i].task->dirty = false;
    self->ndirty = 0;
    if (cchc_strmap_size(self->dirty_keys) > 0) {
        cchc_strmap_destroy(&self->dirty_keys);
        self->dirty_keys = cchc_strmap_new();
    }
    for (size_t i = 0; i < self->nsources; i++)
        self->sources[i]->dirty = false;
}

void cchc_model_destroy(cchc_model_t **self_p)
{
    assert(self_p);
    cchc_model_t *self = *self_p;
    if (!self)
        return;
    dirty_clear(self);
    for (size_t i = 0; i < self->nwards; i++)
        ward_destroy(self->wards[i]);
    free(self->wards);
    cchc_strmap_destroy(&self->wards_by_code);
    for (size_t i = 0; i < self->nsources; i++) {
        free(self->sources[i]->id);
        free(self->sources[i]);
    }
    free(self->sources);
    cchc_strmap_destroy(&self->dirty_keys);
    free(self->dirty);
    while (self->arena) {
        arena_block_t *next = self->arena->next;
        free(self->arena);
        self->arena = next;
    }
    cchc_strmap_destroy(&self->interned);
    free(self);
    *self_p = NULL;
}

cchc_ward_t *cchc_model_ward(const cchc_model_t *self, const char *code)
{
    return code ? cchc_strmap_get(self->wards_by_code, code) : NULL;
}

cchc_unit_t *cchc_ward_unit(const cchc_ward_t *ward, const char *code)
{
    return ward && code ? cchc_strmap_get(ward->units_by_code, code) : NULL;
}

cchc_task_t *cchc_ward_task(const cchc_ward_t *ward, const char *code)
{
    if (!ward || !code || ward->ntasks == 0)
        return NULL;
    const struct cchc_task_slot *sl = &ward->tasks_by_code.slots[task_slot(ward, code, task_hash(code))];
    return sl->task;
}

cchc_area_t *cchc_ward_area(const cchc_ward_t *ward, const char *code)
{
    return ward && code ? cchc_strmap_get(ward->areas_by_code, code) : NULL;
}

cchc_official_t *cchc_ward_official(const cchc_ward_t *ward, const char *code)
{
    return ward && code ? cchc_strmap_get(ward->officials_by_code, code) : NULL;
}

size_t cchc_model_ward_count(const cchc_model_t *self)
{
    return self->nwards;
}

cchc_ward_t *cchc_model_ward_at(const cchc_model_t *self, size_t index)
{
    return index < self->nwards ? self->wards[index] : NULL;
}

int64_t cchc_model_now(const cchc_model_t *self)
{
    return self->nsources ? self->sources[0]->now_ms : 0;
}

uint64_t cchc_model_last_seq(const cchc_model_t *self)
{
    return self->nsources ? self->sources[0]->last_seq : 0;
}

int cchc_model_source(cchc_model_t *self, const char *id)
{
    id = id ? id : "";
    for (size_t i = 0; i < self->nsources; i++)
        if (strcmp(self->sources[i]->id, id) == 0)
            return (int)i;
    cchc_source_t *src = xcalloc(1, sizeof(*src));
    src->id = xstrdup(id);
    src->index = (int)self->nsources;
    push_ptr((void ***)&self->sources, &self->nsources, &self->sources_cap, src);
    return src->index;
}

size_t cchc_model_source_count(const cchc_model_t *self)
{
    return self->nsources;
}

cchc_source_t *cchc_model_source_at(const cchc_model_t *self, size_t index)
{
    return index < self->nsources ? self->sources[index] : NULL;
}

int64_t cchc_ward_now(const cchc_ward_t *ward)
{
    return ward->source ? ward->source->now_ms : 0;
}

uint64_t cchc_ward_last_seq(const cchc_model_t *model, const cchc_ward_t *ward)
{
    return ward && ward->source ? ward->source->last_seq : cchc_model_last_seq(model);
}

// ---------------------------------------------------------------------------
//  Derived task status

const cchc_task_hold_t *cchc_task_hold(const cchc_task_t *task)
{
    static const cchc_task_hold_t none = {0};
    return task->hold ? task->hold : &none;
}

bool cchc_task_done(const cchc_task_t *task)
{
    return task->phase == CCHC__TASK_PHASE__PHASE_DONE;
}

bool cchc_task_overdue(const cchc_task_t *task, int64_t now_ms)
{
    return !task->cancelled && !task->paused && !cchc_task_done(task) &&
           now_ms >= cchc_date_end_ms(task->due_in_force);
}

int cchc_task_delays(const cchc_task_t *task, int64_t now_ms)
{
    bool done = cchc_task_done(task);
    int64_t at = done ? task->done_ms : now_ms;
    return task->missed_deadlines + (done ? 0 : task->missed_pending) +
           (at >= cchc_date_end_ms(task->due_in_force) ? 1 : 0);
}

bool cchc_task_unmet(const cchc_task_t *task, int64_t now_ms)
{
    if (task->cancelled || task->paused || cchc_task_done(task))
        return false;
    return cchc_task_overdue(task, now_ms) || task->phase == CCHC__TASK_PHASE__PHASE_REWORK;
}

cchc_status_t cchc_task_status(const cchc_task_t *task, int64_t now_ms)
{
    if (task->cancelled)
        return CCHC_STATUS_CANCELLED;
    if (cchc_task_done(task))
        return cchc_task_delays(task, now_ms) == 0 ? CCHC_STATUS_DONE_ON_TIME : CCHC_STATUS_DONE_LATE;
    if (task->paused)
        return CCHC_STATUS_PAUSED;
    return cchc_task_overdue(task, now_ms) ? CCHC_STATUS_OVERDUE : CCHC_STATUS_NOT_DUE;
}

const char *cchc_status_label_vi(cchc_status_t status)
{
    switch (status) {
    case CCHC_STATUS_NOT_DUE:
        return "Chưa hoàn thành trong hạn";
    case CCHC_STATUS_OVERDUE:
        return "Chưa hoàn thành quá hạn";
    case CCHC_STATUS_DONE_ON_TIME:
        return "Đã hoàn thành đúng hạn";
    case CCHC_STATUS_DONE_LATE:
        return "Đã hoàn thành quá hạn";
    case CCHC_STATUS_PAUSED:
        return "Tạm dừng";
    case CCHC_STATUS_CANCELLED:
        return "Hủy";
    }
    return "?";
}

const char *cchc_phase_label_vi(Cchc__TaskPhase phase)
{
    switch (phase) {
    case CCHC__TASK_PHASE__PHASE_NOT_STARTED:
        return "Chưa thực hiện";
    case CCHC__TASK_PHASE__PHASE_IN_PROGRESS:
        return "Đang thực hiện";
    case CCHC__TASK_PHASE__PHASE_SUBMITTED:
        return "Chờ xác nhận";
    case CCHC__TASK_PHASE__PHASE_DONE:
        return "Đã hoàn thành";
    case CCHC__TASK_PHASE__PHASE_REWORK:
        return "Thực hiện lại";
    default:
        return "?";
    }
}

// ---------------------------------------------------------------------------
//  Dirty tracking

static void dirty_push(cchc_model_t *self, dirty_t d)
{
    if (self->ndirty == self->dirty_cap) {
        self->dirty_cap = self->dirty_cap ? self->dirty_cap * 2 : 256;
        dirty_t *grown = realloc(self->dirty, self->dirty_cap * sizeof(*grown));
        if (!grown)
            abort();
        self->dirty = grown;
    }
    self->dirty[self->ndirty++] = d;
}

//  Put a record other than a task on the dirty list (once).
static void mark_dirty(cchc_model_t *self, int kind, cchc_ward_t *ward, const char *code)
{
    assert(kind != CCHC_REC_TASK);
    char key[3 * MAX_CODE_LEN + 16];
    snprintf(key, sizeof(key), "%d\x1f%s\x1f%s", kind, ward ? ward->code : "", code ? code : "");
    if (cchc_strmap_get(self->dirty_keys, key))
        return;
    cchc_strmap_put(self->dirty_keys, key, (void *)1);
    dirty_push(self, (dirty_t){.kind = kind, .ward = ward, .code = code});
}

static void mark_task_dirty(cchc_model_t *self, cchc_task_t *task)
{
    if (task->dirty)
        return;
    task->dirty = true;
    dirty_push(self, (dirty_t){.kind = CCHC_REC_TASK, .ward = task->ward, .code = task->code, .task = task});
}

// ---------------------------------------------------------------------------
//  Record constructors shared by apply and load

static cchc_ward_t *ward_add(cchc_model_t *self, const char *code, Cchc__WardRegistered *def)
{
    cchc_ward_t *ward = xcalloc(1, sizeof(*ward));
    ward->code = xstrdup(code);
    ward->def = def;
    ward->units_by_code = cchc_strmap_new();
    ward->officials_by_code = cchc_strmap_new();
    ward->areas_by_code = cchc_strmap_new();
    cchc_strmap_put(self->wards_by_code, ward->code, ward);
    push_ptr((void ***)&self->wards, &self->nwards, &self->wards_cap, ward);
    return ward;
}

static cchc_official_t *official_add(cchc_ward_t *ward, Cchc__OfficialRegistered *def)
{
    cchc_official_t *o = xcalloc(1, sizeof(*o));
    o->ward = ward;
    o->def = def;
    cchc_strmap_put(ward->officials_by_code, def->code, o);
    push_ptr((void ***)&ward->officials, &ward->nofficials, &ward->officials_cap, o);
    if (def->role == CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN) {
        free(ward->chairman);
        ward->chairman = xstrdup(def->code);
    }
    return o;
}

static cchc_area_t *area_add(cchc_ward_t *ward, Cchc__AreaDefined *def)
{
    cchc_area_t *a = xcalloc(1, sizeof(*a));
    a->ward = ward;
    a->def = def;
    a->index = (int)ward->nareas;
    cchc_strmap_put(ward->areas_by_code, def->code, a);
    push_ptr((void ***)&ward->areas, &ward->nareas, &ward->areas_cap, a);
    return a;
}

static cchc_unit_t *unit_add(cchc_ward_t *ward, Cchc__UnitRecord *rec)
{
    cchc_unit_t *u = xcalloc(1, sizeof(*u));
    u->ward = ward;
    u->rec = rec;
    u->code = rec->def->code;
    u->index = (int)ward->nunits;
    cchc_strmap_put(ward->units_by_code, rec->def->code, u);
    push_ptr((void ***)&ward->units, &ward->nunits, &ward->units_cap, u);
    return u;
}

//  A new task of the ward with the assignment def (strings copied into the
//  model), or NULL if def names a unit or area the ward lacks. The state
//  fields are the caller's to set.
static cchc_task_t *task_add(cchc_model_t *self, cchc_ward_t *ward, const Cchc__TaskAssigned *def)
{
    cchc_unit_t *unit = cchc_ward_unit(ward, def->unit);
    cchc_area_t *area = cchc_ward_area(ward, def->area);
    if (!unit || !area || empty(def->code) || def->n_co_units > UINT16_MAX)
        return NULL;
    cchc_task_t *t = task_alloc(self, def->code);
    t->ward = ward;
    t->unit = unit;
    t->area = area;
    t->title = intern(self, def->title);
    t->lead_official = intern(self, def->lead_official);
    t->output_desc = intern(self, def->output_desc);
    if (def->n_co_units > 0) {
        t->co_units = arena_alloc(self, def->n_co_units * sizeof(*t->co_units));
        for (size_t i = 0; i < def->n_co_units; i++)
            t->co_units[i] = intern(self, def->co_units[i]);
        t->n_co_units = (uint16_t)def->n_co_units;
    }
    t->due_date = def->due_date;
    t->factor_milli = def->has_factor_milli ? def->factor_milli : 1000;
    t->outputs_required = (int16_t)(def->has_outputs_required ? def->outputs_required : 1);
    t->points_milli = (int32_t)def->points_milli;
    t->index = (int32_t)ward->ntasks;
    push_ptr((void ***)&ward->tasks, &ward->ntasks, &ward->tasks_cap, t);
    task_index_put(ward, t);
    push_ptr((void ***)&unit->tasks, &unit->ntasks, &unit->tasks_cap, t);
    return t;
}

void cchc_task_record(const cchc_task_t *task, Cchc__TaskRecord *rec, Cchc__TaskAssigned *def,
                      char **co_units)
{
    cchc__task_assigned__init(def);
    def->code = (char *)task->code;
    def->unit = task->unit->rec->def->code;
    def->area = task->area->def->code;
    def->title = (char *)task->title;
    def->has_due_date = def->has_factor_milli = def->has_outputs_required = true;
    def->due_date = task->due_date;
    def->factor_milli = task->factor_milli;
    def->outputs_required = task->outputs_required;
    if (*task->lead_official)
        def->lead_official = (char *)task->lead_official;
    if (task->points_milli) {
        def->has_points_milli = true;
        def->points_milli = task->points_milli;
    }
    if (*task->output_desc)
        def->output_desc = (char *)task->output_desc;
    if (task->n_co_units) {
        for (size_t i = 0; i < task->n_co_units; i++)
            co_units[i] = (char *)task->co_units[i];
        def->co_units = co_units;
        def->n_co_units = task->n_co_units;
    }
    cchc__task_record__init(rec);
    rec->def = def;
    rec->has_assigned_ms = rec->has_percent = rec->has_outputs_done = rec->has_phase = true;
    rec->has_submitted_ms = rec->has_done_ms = rec->has_failed_reviews = rec->has_due_in_force = true;
    rec->has_due_target = rec->has_paused = rec->has_cancelled = rec->has_last_seq = true;
    rec->assigned_ms = task->assigned_ms;
    rec->percent = task->percent;
    rec->outputs_done = task->outputs_done;
    rec->phase = (Cchc__TaskPhase)task->phase;
    rec->submitted_ms = task->submitted_ms;
    rec->done_ms = task->done_ms;
    rec->failed_reviews = task->failed_reviews;
    rec->due_in_force = task->due_in_force;
    rec->due_target = task->due_target;
    rec->paused = task->paused;
    rec->cancelled = task->cancelled;
    rec->last_seq = task->last_seq;
    rec->has_missed_deadlines = task->missed_deadlines != 0;
    rec->missed_deadlines = task->missed_deadlines;
    rec->has_missed_pending = task->missed_pending != 0;
    rec->missed_pending = task->missed_pending;
    rec->has_excused = task->excused;
    rec->excused = task->excused;
    const cchc_task_hold_t *h = task->hold;
    if (h && h->ack_ms) {
        rec->has_ack_ms = rec->has_ack_level = true;
        rec->ack_ms = h->ack_ms;
        rec->ack_level = h->ack_level;
        rec->ack_official = h->ack_official;
    }
    if (h && h->silenced_until) {
        rec->has_silenced_until = true;
        rec->silenced_until = h->silenced_until;
        rec->silence_reason = h->silence_reason;
    }
}

//  A task from its stored record, or NULL if the record is out of range
//  or names a unit or area the ward lacks.
static cchc_task_t *task_from_record(cchc_model_t *self, cchc_ward_t *ward, const Cchc__TaskRecord *rec)
{
    const Cchc__TaskAssigned *def = rec->def;
    //  The ranges check_task_assigned and the folding keep (a damaged
    //  database is refused, never narrowed into something else).
    bool has_factor = def->has_factor_milli, has_outputs = def->has_outputs_required;
    if (def->points_milli < 0 || def->points_milli > 100000 ||
        (has_factor && (def->factor_milli < 1 || def->factor_milli > 1000000)) ||
        (has_outputs && (def->outputs_required < 1 || def->outputs_required > 1000)) ||
        rec->outputs_done < 0 || rec->outputs_done > 1000 || rec->percent < 0 || rec->percent > 100 ||
        rec->phase < 0 || rec->phase > UINT8_MAX || rec->failed_reviews < 0 || rec->missed_deadlines < 0 ||
        rec->missed_pending < 0)
        return NULL;
    cchc_task_t *t = task_add(self, ward, def);
    if (!t)
        return NULL;
    t->assigned_ms = rec->assigned_ms;
    t->percent = (uint8_t)rec->percent;
    t->outputs_done = (int16_t)rec->outputs_done;
    t->phase = (uint8_t)rec->phase;
    t->submitted_ms = rec->submitted_ms;
    t->done_ms = rec->done_ms;
    t->failed_reviews = rec->failed_reviews;
    t->due_in_force = rec->due_in_force;
    t->due_target = rec->due_target;
    t->missed_deadlines = rec->missed_deadlines;
    t->missed_pending = rec->missed_pending;
    t->excused = rec->excused;
    t->paused = rec->paused;
    t->cancelled = rec->cancelled;
    t->last_seq = rec->last_seq;
    if (rec->ack_ms || rec->silenced_until) {
        t->hold = xcalloc(1, sizeof(*t->hold));
        t->hold->ack_ms = rec->ack_ms;
        t->hold->ack_level = rec->ack_level;
        t->hold->ack_official = rec->ack_official ? xstrdup(rec->ack_official) : NULL;
        t->hold->silenced_until = rec->silenced_until;
        t->hold->silence_reason = rec->silence_reason ? xstrdup(rec->silence_reason) : NULL;
    }
    return t;
}

// ---------------------------------------------------------------------------
//  Validation

#define FAIL(code, detail) return cchc_err_set(err, CCHC__ERROR_CODE__##code, err->index, (detail))
//  A detail in words, in both languages.
#define FAIL2(code, vi, en) return cchc_err_set_vi_en(err, CCHC__ERROR_CODE__##code, err->index, (vi), (en))

//  Why a task is not open for an update, in both languages.
static int fail_state(cchc_err_t *err, const cchc_task_t *rec, bool done, const char *other_vi,
                      const char *other_en)
{
    if (rec->cancelled)
        FAIL2(ERR_INVALID_STATE, "nhiệm vụ đã bị hủy", "cancelled");
    if (rec->paused)
        FAIL2(ERR_INVALID_STATE, "nhiệm vụ đang tạm dừng", "paused");
    if (done)
        FAIL2(ERR_INVALID_STATE, "nhiệm vụ đã hoàn thành", "done");
    FAIL2(ERR_INVALID_STATE, other_vi, other_en);
}

//  The code of the task an event is about, or NULL for non-task events.
static const char *event_task_code(const Cchc__Event *ev)
{
    switch (ev->payload_case) {
    case CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED:
        return ev->progress_reported->task;
    case CCHC__EVENT__PAYLOAD_SUBMITTED:
        return ev->submitted->task;
    case CCHC__EVENT__PAYLOAD_VERIFIED:
        return ev->verified->task;
    case CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED:
        return ev->deadline_changed->task;
    case CCHC__EVENT__PAYLOAD_PAUSED:
        return ev->paused->task;
    case CCHC__EVENT__PAYLOAD_RESUMED:
        return ev->resumed->task;
    case CCHC__EVENT__PAYLOAD_CANCELLED:
        return ev->cancelled->task;
    case CCHC__EVENT__PAYLOAD_ALERT_ACKNOWLEDGED:
        return ev->alert_acknowledged->task;
    case CCHC__EVENT__PAYLOAD_SILENCE_SET: //  a task's silence; a unit's is not a task event
        return empty(ev->silence_set->task) && !empty(ev->silence_set->unit) ? NULL : ev->silence_set->task;
    default:
        return NULL;
    }
}

//  Events a unit may send about its own tasks; everything else is the ward
//  office's (actor "ward").
static bool unit_may_send(Cchc__Event__PayloadCase c)
{
    return c == CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED || c == CCHC__EVENT__PAYLOAD_SUBMITTED ||
           c == CCHC__EVENT__PAYLOAD_ALERT_ACKNOWLEDGED; //  a head acknowledges for the unit
}

static int check_official_ref(const cchc_ward_t *ward, const char *code, cchc_err_t *err)
{
    if (!empty(code) && !cchc_ward_official(ward, code))
        FAIL(ERR_UNKNOWN_OFFICIAL, code);
    return 0;
}

static int check_task_assigned(const cchc_ward_t *ward, const Cchc__TaskAssigned *t, cchc_err_t *err)
{
    if (!code_ok(t->code))
        FAIL(ERR_MISSING_FIELD, "task.code");
    if (cchc_ward_task(ward, t->code))
        FAIL(ERR_DUPLICATE, t->code);
    if (empty(t->title))
        FAIL(ERR_MISSING_FIELD, "task.title");
    if (empty(t->unit))
        FAIL(ERR_MISSING_FIELD, "task.unit");
    if (!cchc_ward_unit(ward, t->unit))
        FAIL(ERR_UNKNOWN_UNIT, t->unit);
    if (empty(t->area))
        FAIL(ERR_MISSING_FIELD, "task.area");
    if (!cchc_ward_area(ward, t->area))
        FAIL(ERR_UNKNOWN_AREA, t->area);
    if (t->n_co_units > UINT16_MAX) //  what a task holds; a 64 KiB message cannot carry that many
        FAIL(ERR_OUT_OF_RANGE, "co_units: 65535 at most");
    for (size_t i = 0; i < t->n_co_units; i++)
        if (!cchc_ward_unit(ward, t->co_units[i]))
            FAIL(ERR_UNKNOWN_UNIT, t->co_units[i]);
    if (!t->has_due_date || !cchc_date_valid(t->due_date))
        FAIL(ERR_OUT_OF_RANGE, "due_date");
    if (t->has_factor_milli && (t->factor_milli < 1 || t->factor_milli > 1000000))
        FAIL(ERR_OUT_OF_RANGE, "factor_milli 1..1000000");
    if (t->has_outputs_required && (t->outputs_required < 1 || t->outputs_required > 1000))
        FAIL(ERR_OUT_OF_RANGE, "outputs_required 1..1000");
    if (t->has_points_milli && (t->points_milli < 0 || t->points_milli > 100000))
        FAIL(ERR_OUT_OF_RANGE, "points_milli 0..100000");
    return check_official_ref(ward, t->lead_official, err);
}

static int check_task_event(const cchc_ward_t *ward, const Cchc__Event *ev, const cchc_task_t *task,
                            int64_t now_ms, cchc_err_t *err)
{
    const cchc_task_t *rec = task;
    bool done = cchc_task_done(task);
    Cchc__TaskPhase phase = rec->phase;
    if (now_ms < rec->assigned_ms)
        FAIL(ERR_TIME_BEFORE_ASSIGNED, task->code);
    switch (ev->payload_case) {
    case CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED: {
        const Cchc__ProgressReported *p = ev->progress_reported;
        if (!p->has_percent)
            FAIL(ERR_MISSING_FIELD, "percent");
        if (p->percent < 0 || p->percent > 100)
            FAIL(ERR_OUT_OF_RANGE, "percent 0..100");
        int required = rec->outputs_required;
        if (p->has_outputs_done && (p->outputs_done < 0 || p->outputs_done > required))
            FAIL(ERR_OUT_OF_RANGE, "outputs_done 0..outputs_required");
        if (rec->cancelled || rec->paused || done || phase == CCHC__TASK_PHASE__PHASE_SUBMITTED)
            return fail_state(err, rec, done, "nhiệm vụ đang chờ xác nhận kết quả", "awaiting verification");
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_SUBMITTED:
        if (rec->cancelled || rec->paused || done || phase == CCHC__TASK_PHASE__PHASE_SUBMITTED)
            return fail_state(err, rec, done, "kết quả đã được gửi, đang chờ xác nhận", "already submitted");
        return 0;
    case CCHC__EVENT__PAYLOAD_VERIFIED:
        if (!ev->verified->has_passed)
            FAIL(ERR_MISSING_FIELD, "passed");
        if (phase != CCHC__TASK_PHASE__PHASE_SUBMITTED || rec->cancelled)
            FAIL2(ERR_INVALID_STATE, "nhiệm vụ chưa được gửi kết quả để xác nhận",
                  "not awaiting verification");
        return check_official_ref(ward, ev->verified->reviewer, err);
    case CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED: {
        const Cchc__DeadlineChanged *d = ev->deadline_changed;
        if (!d->has_new_due_date || !cchc_date_valid(d->new_due_date))
            FAIL(ERR_OUT_OF_RANGE, "new_due_date");
        if (d->new_due_date < cchc_date_of_ms(rec->assigned_ms))
            FAIL2(ERR_OUT_OF_RANGE, "hạn mới trước ngày giao nhiệm vụ", "new_due_date before assignment");
        if (empty(d->reason))
            FAIL(ERR_MISSING_FIELD, "reason");
        if (done || rec->cancelled)
            return fail_state(err, rec, done, "", "");
        return check_official_ref(ward, d->approver, err);
    }
    case CCHC__EVENT__PAYLOAD_PAUSED:
        if (done || rec->cancelled || rec->paused)
            return fail_state(err, rec, done, "", "");
        return 0;
    case CCHC__EVENT__PAYLOAD_RESUMED:
        if (!rec->paused || rec->cancelled)
            FAIL2(ERR_INVALID_STATE, "nhiệm vụ không ở trạng thái tạm dừng", "not paused");
        return 0;
    case CCHC__EVENT__PAYLOAD_CANCELLED:
        if (done || rec->cancelled)
            return fail_state(err, rec, done, "", "");
        return 0;
    case CCHC__EVENT__PAYLOAD_ALERT_ACKNOWLEDGED: {
        const Cchc__AlertAcknowledged *a = ev->alert_acknowledged;
        if (empty(a->official))
            FAIL(ERR_MISSING_FIELD, "official");
        if (!a->has_kind || (a->kind != 1 && a->kind != 2))
            FAIL(ERR_OUT_OF_RANGE, "kind 1 (overdue) or 2 (escalation)");
        if (a->kind == 1 ? a->level != 0 : (a->level < 1 || a->level > 2))
            FAIL(ERR_OUT_OF_RANGE, "level: overdue 0, escalation 1..2");
        if (!cchc_task_unmet(task, now_ms))
            FAIL2(ERR_INVALID_STATE,
                  "nhiệm vụ không quá hạn, không bị trả lại: không có cảnh báo để xác nhận",
                  "neither overdue nor sent back: no alert to acknowledge");
        if (!cchc_ward_official(ward, a->official))
            FAIL(ERR_UNKNOWN_OFFICIAL, a->official);
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_SILENCE_SET: {
        const Cchc__SilenceSet *si = ev->silence_set;
        if (!empty(si->unit))
            FAIL2(ERR_OUT_OF_RANGE, "chỉ chọn một trong nhiệm vụ và đơn vị", "task or unit, not both");
        if (!si->has_until_date || !cchc_date_valid(si->until_date))
            FAIL(ERR_OUT_OF_RANGE, "until_date");
        if (empty(si->reason))
            FAIL(ERR_MISSING_FIELD, "reason");
        if (done || rec->cancelled)
            return fail_state(err, rec, done, "", "");
        return check_official_ref(ward, si->approver, err);
    }
    default:
        FAIL(ERR_UNKNOWN_TYPE, "event payload");
    }
}

//  The deputy an OfficialLeave names, or else the deputy of the unit the
//  official heads; NULL when there is none.
static const char *leave_deputy(const cchc_ward_t *ward, const Cchc__OfficialLeave *l)
{
    if (!empty(l->deputy))
        return l->deputy;
    for (size_t i = 0; i < ward->nunits; i++) {
        const Cchc__UnitRegistered *u = ward->units[i]->rec->def;
        if (!empty(u->head) && strcmp(u->head, l->official) == 0 && !empty(u->deputy))
            return u->deputy;
    }
    return NULL;
}

//  cchc_model_check, giving the event's ward (NULL for a registration or a
//  clock event) and, for a task event, its task, found once for apply.
static int check_event(const cchc_model_t *self, const Cchc__Event *ev, int64_t now_ms, cchc_err_t *err,
                       cchc_ward_t **ward_out, cchc_task_t **task_out)
{
    Cchc__Event__PayloadCase c = ev->payload_case;
    if (c == CCHC__EVENT__PAYLOAD__NOT_SET)
        FAIL(ERR_UNKNOWN_TYPE, "event payload");
    if (c == CCHC__EVENT__PAYLOAD_CLOCK)
        return 0;
    if (!code_ok(ev->ward))
        FAIL(ERR_MISSING_FIELD, "ward");
    if (!code_ok(ev->actor))
        FAIL(ERR_MISSING_FIELD, "actor");
    cchc_ward_t *ward = cchc_model_ward(self, ev->ward);

    if (c == CCHC__EVENT__PAYLOAD_WARD_REGISTERED) {
        const Cchc__WardRegistered *w = ev->ward_registered;
        if (ward)
            FAIL(ERR_DUPLICATE, ev->ward);
        if (strcmp(ev->actor, "ward") != 0)
            FAIL(ERR_NOT_PERMITTED, ev->actor);
        if (empty(w->name))
            FAIL(ERR_MISSING_FIELD, "name");
        if (!w->has_year || w->year < 2000 || w->year > 2100)
            FAIL(ERR_OUT_OF_RANGE, "year 2000..2100");
        return 0;
    }
    if (!ward)
        FAIL(ERR_UNKNOWN_WARD, ev->ward);
    *ward_out = ward;

    //  Who may send what: the ward office anything, a unit only progress and
    //  submissions on its own tasks.
    const char *task_code = event_task_code(ev);
    cchc_task_t *task = empty(task_code) ? NULL : cchc_ward_task(ward, task_code);
    bool by_ward = strcmp(ev->actor, "ward") == 0;
    bool own = task && strcmp(task->unit->code, ev->actor) == 0; //  then the unit is known
    if (!by_ward) {
        if (!own && !cchc_ward_unit(ward, ev->actor))
            FAIL(ERR_UNKNOWN_UNIT, ev->actor);
        if (!unit_may_send(c))
            FAIL(ERR_NOT_PERMITTED, ev->actor);
    }

    if (task_code) {
        if (empty(task_code))
            FAIL(ERR_MISSING_FIELD, "task");
        if (!task)
            FAIL(ERR_UNKNOWN_TASK, task_code);
        if (!by_ward && !own)
            FAIL(ERR_TASK_NOT_OWNED, task_code);
        *task_out = task;
        return check_task_event(ward, ev, task, now_ms, err);
    }

    switch (c) {
    case CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED: {
        const Cchc__OfficialRegistered *o = ev->official_registered;
        if (!code_ok(o->code))
            FAIL(ERR_MISSING_FIELD, "official.code");
        if (cchc_ward_official(ward, o->code))
            FAIL(ERR_DUPLICATE, o->code);
        if (empty(o->full_name))
            FAIL(ERR_MISSING_FIELD, "full_name");
        if (!empty(o->unit) && !cchc_ward_unit(ward, o->unit))
            FAIL(ERR_UNKNOWN_UNIT, o->unit);
        if (!protobuf_c_enum_descriptor_get_value(&cchc__official_role__descriptor, o->role))
            FAIL(ERR_OUT_OF_RANGE, "role");
        if (o->role == CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN && ward->chairman)
            FAIL(ERR_DUPLICATE, "chairman");
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_AREA_DEFINED: {
        const Cchc__AreaDefined *a = ev->area_defined;
        if (!code_ok(a->code))
            FAIL(ERR_MISSING_FIELD, "area.code");
        if (cchc_ward_area(ward, a->code))
            FAIL(ERR_DUPLICATE, a->code);
        if (empty(a->name))
            FAIL(ERR_MISSING_FIELD, "area.name");
        if (!a->has_weight || a->weight < 0 || a->weight > 1000)
            FAIL(ERR_OUT_OF_RANGE, "weight 0..1000");
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_UNIT_REGISTERED: {
        //  head, deputy and vice-chairman may be registered after the unit
        //  (their own registration names the unit), so they are not checked.
        const Cchc__UnitRegistered *u = ev->unit_registered;
        if (!code_ok(u->code))
            FAIL(ERR_MISSING_FIELD, "unit.code");
        if (strcmp(u->code, "ward") == 0)
            FAIL2(ERR_OUT_OF_RANGE, "mã 'ward' dành cho Văn phòng phường", "unit code 'ward' is reserved");
        if (cchc_ward_unit(ward, u->code))
            FAIL(ERR_DUPLICATE, u->code);
        if (empty(u->name))
            FAIL(ERR_MISSING_FIELD, "unit.name");
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_TASK_ASSIGNED:
        return check_task_assigned(ward, ev->task_assigned, err);
    case CCHC__EVENT__PAYLOAD_ADJUSTMENT: {
        const Cchc__Adjustment *a = ev->adjustment;
        if (!cchc_ward_unit(ward, a->unit))
            FAIL(ERR_UNKNOWN_UNIT, a->unit ? a->unit : "");
        if (a->bonus_centi < 0 || a->bonus_centi > 10000 || a->penalty_centi < 0 || a->penalty_centi > 10000)
            FAIL(ERR_OUT_OF_RANGE, "bonus/penalty 0..100.00");
        if (empty(a->reason))
            FAIL(ERR_MISSING_FIELD, "reason");
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_APPRAISAL: {
        const Cchc__AppraisalRecorded *a = ev->appraisal;
        if (!cchc_ward_unit(ward, a->unit))
            FAIL(ERR_UNKNOWN_UNIT, a->unit ? a->unit : "");
        if (!a->has_score_centi || a->score_centi < 0 || a->score_centi > 10000)
            FAIL(ERR_OUT_OF_RANGE, "score 0..100.00");
        return check_official_ref(ward, a->appraiser, err);
    }
    case CCHC__EVENT__PAYLOAD_SILENCE_SET: { //  a unit's (a task's is checked with the task events)
        const Cchc__SilenceSet *si = ev->silence_set;
        if (!cchc_ward_unit(ward, si->unit))
            FAIL(ERR_UNKNOWN_UNIT, si->unit ? si->unit : "");
        if (!si->has_until_date || !cchc_date_valid(si->until_date))
            FAIL(ERR_OUT_OF_RANGE, "until_date");
        if (empty(si->reason))
            FAIL(ERR_MISSING_FIELD, "reason");
        return check_official_ref(ward, si->approver, err);
    }
    case CCHC__EVENT__PAYLOAD_OFFICIAL_LEAVE: {
        const Cchc__OfficialLeave *l = ev->official_leave;
        if (empty(l->official))
            FAIL(ERR_MISSING_FIELD, "official");
        if (!cchc_ward_official(ward, l->official))
            FAIL(ERR_UNKNOWN_OFFICIAL, l->official);
        if (!l->has_from_date || !cchc_date_valid(l->from_date))
            FAIL(ERR_OUT_OF_RANGE, "from_date");
        if (!l->has_to_date || !cchc_date_valid(l->to_date) || l->to_date < l->from_date)
            FAIL(ERR_OUT_OF_RANGE, "to_date >= from_date");
        const char *deputy = leave_deputy(ward, l);
        if (!deputy)
            FAIL(ERR_MISSING_FIELD, "deputy");
        if (strcmp(deputy, l->official) == 0)
            FAIL2(ERR_OUT_OF_RANGE, "người thay không được là chính người nghỉ", "deputy is the official");
        if (!cchc_ward_official(ward, deputy))
            FAIL(ERR_UNKNOWN_OFFICIAL, deputy);
        return 0;
    }
    default:
        FAIL(ERR_UNKNOWN_TYPE, "event payload");
    }
}

int cchc_model_check(const cchc_model_t *self, const Cchc__Event *ev, int64_t now_ms, cchc_err_t *err)
{
    assert(self && ev && err);
    cchc_ward_t *ward = NULL;
    cchc_task_t *task = NULL;
    return check_event(self, ev, now_ms, err, &ward, &task);
}

// ---------------------------------------------------------------------------
//  Folding

static void apply_deadline_change(cchc_task_t *task, const Cchc__DeadlineChanged *d, int64_t at_ms)
{
    bool in_time = at_ms < cchc_date_end_ms(task->due_in_force);
    if (in_time && d->objective) {
        task->due_in_force = d->new_due_date; //  excused extension
        task->excused = true;
    } else if (!in_time && task->phase == CCHC__TASK_PHASE__PHASE_SUBMITTED &&
               task->submitted_ms < cchc_date_end_ms(task->due_in_force)) {
        //  submitted before the date passed: missed only if that submission fails
        task->missed_pending++;
        task->due_in_force = d->new_due_date;
    } else if (!in_time) {
        task->missed_deadlines++; //  the missed date is a delay
        task->due_in_force = d->new_due_date;
    }
    //  in time without an objective reason: lateness still judged by due_in_force
    task->due_target = d->new_due_date;
}

static cchc_task_hold_t *task_hold(cchc_task_t *task)
{
    if (!task->hold)
        task->hold = xcalloc(1, sizeof(*task->hold));
    return task->hold;
}

static int apply_task_event(cchc_model_t *self, cchc_task_t *task, const Cchc__Event *ev)
{
    int64_t at = ev->log_time_ms;
    switch (ev->payload_case) {
    case CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED:
        task->percent = (uint8_t)ev->progress_reported->percent;
        if (ev->progress_reported->has_outputs_done)
            task->outputs_done = (int16_t)ev->progress_reported->outputs_done;
        if (task->phase == CCHC__TASK_PHASE__PHASE_NOT_STARTED)
            task->phase = CCHC__TASK_PHASE__PHASE_IN_PROGRESS;
        break;
    case CCHC__EVENT__PAYLOAD_SUBMITTED:
        task->phase = CCHC__TASK_PHASE__PHASE_SUBMITTED;
        task->submitted_ms = at;
        task->percent = 100;
        break;
    case CCHC__EVENT__PAYLOAD_VERIFIED:
        if (ev->verified->passed) {
            task->phase = CCHC__TASK_PHASE__PHASE_DONE;
            task->done_ms = task->submitted_ms;
        } else {
            task->phase = CCHC__TASK_PHASE__PHASE_REWORK;
            task->failed_reviews++;
            if (task->hold)
                task->hold->ack_ms = 0; //  a new failure: the acknowledgement no longer holds
            task->missed_deadlines += task->missed_pending; //  those dates were missed after all
        }
        task->missed_pending = 0;
        break;
    case CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED:
        apply_deadline_change(task, ev->deadline_changed, at);
        break;
    case CCHC__EVENT__PAYLOAD_PAUSED:
        task->paused = true;
        break;
    case CCHC__EVENT__PAYLOAD_RESUMED:
        task->paused = false;
        break;
    case CCHC__EVENT__PAYLOAD_CANCELLED:
        task->cancelled = true;
        break;
    case CCHC__EVENT__PAYLOAD_ALERT_ACKNOWLEDGED: {
        cchc_task_hold_t *h = task_hold(task);
        h->ack_ms = at;
        h->ack_level = ev->alert_acknowledged->kind == 1 ? 0 : ev->alert_acknowledged->level;
        free(h->ack_official);
        h->ack_official = xstrdup(ev->alert_acknowledged->official);
        break;
    }
    case CCHC__EVENT__PAYLOAD_SILENCE_SET: {
        cchc_task_hold_t *h = task_hold(task);
        h->silenced_until = ev->silence_set->until_date;
        free(h->silence_reason);
        h->silence_reason = xstrdup(ev->silence_set->reason);
        break;
    }
    default:
        return -1;
    }
    task->last_seq = ev->seq;
    mark_task_dirty(self, task);
    return 0;
}

static cchc_task_t *task_assign(cchc_model_t *self, cchc_ward_t *ward, const Cchc__Event *ev)
{
    cchc_task_t *task = task_add(self, ward, ev->task_assigned);
    if (!task)
        return NULL;
    task->assigned_ms = ev->log_time_ms;
    task->phase = CCHC__TASK_PHASE__PHASE_NOT_STARTED;
    task->due_in_force = task->due_target = task->due_date;
    task->last_seq = ev->seq;
    return task;
}

int cchc_model_apply(cchc_model_t *self, const Cchc__Event *ev, cchc_touch_t *touch)
{
    return cchc_model_apply_from(self, self->nsources ? 0 : cchc_model_source(self, ""), ev, touch);
}

int cchc_model_apply_from(cchc_model_t *self, int source, const Cchc__Event *ev, cchc_touch_t *touch)
{
    assert(self && ev && source >= 0 && (size_t)source < self->nsources);
    cchc_touch_t local;
    if (!touch)
        touch = &local;
    memset(touch, 0, sizeof(*touch));
    cchc_source_t *src = self->sources[source];
    touch->source = src;

    if (ev->log_time_ms > src->now_ms) {
        src->now_ms = ev->log_time_ms;
        touch->clock = true;
    }
    if (ev->seq > src->last_seq)
        src->last_seq = ev->seq;
    src->dirty = true;

    cchc_err_t err;
    cchc_err_clear(&err);
    err.index = -1;
    cchc_ward_t *ward = NULL;
    cchc_task_t *task = NULL;
    if (check_event(self, ev, ev->log_time_ms, &err, &ward, &task) != 0) {
        const cchc_ward_t *owned = err.code == CCHC__ERROR_CODE__ERR_DUPLICATE &&
                                           ev->payload_case == CCHC__EVENT__PAYLOAD_WARD_REGISTERED
                                       ? cchc_model_ward(self, ev->ward)
                                       : NULL;
        if (owned && owned->source != src) //  another shard's ward
            cchc_log(CCHC_ERROR, "model_apply_ignored", "seq=%llu ward=%s source=%s owner=%s",
                     (unsigned long long)ev->seq, ev->ward, src->id, owned->source ? owned->source->id : "");
        else
            cchc_log(CCHC_ERROR, "model_apply_ignored", "seq=%llu ward=%s error=%s detail=%s",
                     (unsigned long long)ev->seq, ev->ward ? ev->ward : "", cchc_err_name(err.code), err.en);
        return -1;
    }
    if (ev->payload_case == CCHC__EVENT__PAYLOAD_CLOCK)
        return 0;
    if (ward && ward->source != src) { //  a ward of another shard: never folded twice
        cchc_log(CCHC_ERROR, "model_apply_ignored", "seq=%llu ward=%s source=%s owner=%s",
                 (unsigned long long)ev->seq, ev->ward, src->id, ward->source ? ward->source->id : "");
        return -1;
    }
    touch->ward = ward;
    switch (ev->payload_case) {
    case CCHC__EVENT__PAYLOAD_WARD_REGISTERED:
        ward = ward_add(self, ev->ward, cchc_message_dup(&ev->ward_registered->base));
        ward->source = src;
        touch->ward = ward;
        mark_dirty(self, CCHC_REC_WARD, ward, ward->code);
        if (*src->id) //  the unnamed source's wards need no record (as before sources)
            mark_dirty(self, CCHC_REC_WARD_SOURCE, ward, "");
        return 0;
    case CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED: {
        cchc_official_t *o = official_add(ward, cchc_message_dup(&ev->official_registered->base));
        mark_dirty(self, CCHC_REC_OFFICIAL, ward, o->def->code);
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_AREA_DEFINED: {
        cchc_area_t *a = area_add(ward, cchc_message_dup(&ev->area_defined->base));
        mark_dirty(self, CCHC_REC_AREA, ward, a->def->code);
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_UNIT_REGISTERED: {
        Cchc__UnitRecord *rec = xcalloc(1, sizeof(*rec));
        cchc__unit_record__init(rec);
        rec->def = cchc_message_dup(&ev->unit_registered->base);
        touch->unit = unit_add(ward, rec);
        mark_dirty(self, CCHC_REC_UNIT, ward, rec->def->code);
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_TASK_ASSIGNED: {
        cchc_task_t *added = task_assign(self, ward, ev);
        if (!added)
            return -1;
        touch->task = added;
        touch->unit = added->unit;
        mark_task_dirty(self, added);
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_ADJUSTMENT: {
        cchc_unit_t *unit = cchc_ward_unit(ward, ev->adjustment->unit);
        unit->rec->bonus_centi += ev->adjustment->bonus_centi;
        unit->rec->penalty_centi += ev->adjustment->penalty_centi;
        unit->rec->has_bonus_centi = unit->rec->has_penalty_centi = true;
        touch->unit = unit;
        mark_dirty(self, CCHC_REC_UNIT, ward, unit->rec->def->code);
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_APPRAISAL: {
        cchc_unit_t *unit = cchc_ward_unit(ward, ev->appraisal->unit);
        unit->rec->appraised = unit->rec->has_appraised = true;
        unit->rec->appraisal_centi = ev->appraisal->score_centi;
        unit->rec->has_appraisal_centi = true;
        touch->unit = unit;
        mark_dirty(self, CCHC_REC_UNIT, ward, unit->rec->def->code);
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_SILENCE_SET: { //  a unit's: alerts only, no score changes (touch->unit unset)
        if (!empty(ev->silence_set->task))
            break;
        cchc_unit_t *unit = cchc_ward_unit(ward, ev->silence_set->unit);
        unit->rec->has_silenced_until = true;
        unit->rec->silenced_until = ev->silence_set->until_date;
        free(unit->rec->silence_reason);
        unit->rec->silence_reason = xstrdup(ev->silence_set->reason);
        mark_dirty(self, CCHC_REC_UNIT, ward, unit->rec->def->code);
        return 0;
    }
    case CCHC__EVENT__PAYLOAD_OFFICIAL_LEAVE: { //  alerts only, no score changes
        cchc_official_t *o = cchc_ward_official(ward, ev->official_leave->official);
        Cchc__OfficialLeave *leave = cchc_message_dup(&ev->official_leave->base);
        if (empty(leave->deputy)) {
            free(leave->deputy);
            leave->deputy = xstrdup(leave_deputy(ward, leave));
        }
        if (o->leave)
            protobuf_c_message_free_unpacked(&o->leave->base, NULL);
        o->leave = leave;
        mark_dirty(self, CCHC_REC_LEAVE, ward, o->def->code);
        return 0;
    }
    default:
        break;
    }
    //  the task events (a task's silence breaks out of the switch above)
    touch->task = task;
    touch->unit = task->unit;
    return apply_task_event(self, task, ev);
}

// ---------------------------------------------------------------------------
//  Persistence

//  A new record in set with room for a blob of len bytes: one allocation
//  holds the blob, then the ward and code strings (freed with the blob).
static uint8_t *set_push(cchc_record_set_t *set, int kind, const char *ward, const char *code, int64_t ord,
                         size_t len)
{
    if (set->count == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 256;
        cchc_record_blob_t *grown = realloc(set->items, set->cap * sizeof(*grown));
        if (!grown)
            abort();
        set->items = grown;
    }
    size_t wlen = strlen(ward) + 1, clen = strlen(code) + 1;
    uint8_t *buf = malloc(len + wlen + clen);
    if (!buf)
        abort();
    cchc_record_blob_t *r = &set->items[set->count++];
    r->kind = kind;
    r->ward = memcpy(buf + len, ward, wlen);
    r->code = memcpy(buf + len + wlen, code, clen);
    r->ord = ord;
    r->blob = buf;
    r->len = len;
    return buf;
}

static void set_push_message(cchc_record_set_t *set, int kind, const char *ward, const char *code,
                             int64_t ord, const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    protobuf_c_message_pack(msg, set_push(set, kind, ward, code, ord, len));
}

//  The clock record: now_ms and last_seq, 8 bytes each, little-endian.
static void set_push_clock(cchc_record_set_t *set, const char *code, int64_t now_ms, uint64_t last_seq)
{
    uint8_t *buf = set_push(set, CCHC_REC_CLOCK, "", code, 0, 16);
    for (int i = 0; i < 8; i++) {
        buf[i] = (uint8_t)((uint64_t)now_ms >> (8 * i));
        buf[8 + i] = (uint8_t)(last_seq >> (8 * i));
    }
}

void cchc_model_take_dirty(cchc_model_t *self, cchc_record_set_t *out)
{
    for (size_t i = 0; i < self->ndirty; i++) {
        const dirty_t *d = &self->dirty[i];
        cchc_ward_t *w = d->ward;
        const ProtobufCMessage *msg = NULL;
        int64_t ord = 0;
        switch (d->kind) {
        case CCHC_REC_WARD:
            msg = &w->def->base;
            ord = 0;
            break;
        case CCHC_REC_WARD_SOURCE: {
            Cchc__WardSource ws = CCHC__WARD_SOURCE__INIT;
            ws.shard = w->source ? w->source->id : (char *)"";
            set_push_message(out, d->kind, w->code, d->code, 0, &ws.base);
            continue;
        }
        case CCHC_REC_UNIT: {
            cchc_unit_t *u = cchc_ward_unit(w, d->code);
            msg = &u->rec->base;
            ord = u->index;
            break;
        }
        case CCHC_REC_OFFICIAL: {
            cchc_official_t *o = cchc_ward_official(w, d->code);
            msg = &o->def->base;
            for (size_t k = 0; k < w->nofficials; k++)
                if (w->officials[k] == o)
                    ord = (int64_t)k;
            break;
        }
        case CCHC_REC_AREA: {
            cchc_area_t *a = cchc_ward_area(w, d->code);
            msg = &a->def->base;
            ord = a->index;
            break;
        }
        case CCHC_REC_TASK: {
            Cchc__TaskRecord rec;
            Cchc__TaskAssigned def;
            char *co_stack[8], **co = co_stack;
            if (d->task->n_co_units > 8) {
                co = malloc(d->task->n_co_units * sizeof(*co));
                if (!co)
                    abort();
            }
            cchc_task_record(d->task, &rec, &def, co);
            set_push_message(out, d->kind, w->code, d->code, d->task->index, &rec.base);
            if (co != co_stack)
                free(co);
            continue;
        }
        case CCHC_REC_LEAVE: {
            cchc_official_t *o = cchc_ward_official(w, d->code);
            msg = &o->leave->base;
            for (size_t k = 0; k < w->nofficials; k++)
                if (w->officials[k] == o)
                    ord = (int64_t)k;
            break;
        }
        default:
            assert(!"unknown dirty kind");
        }
        set_push_message(out, d->kind, w->code, d->code, ord, msg);
    }
    for (size_t i = 0; i < self->nsources; i++) {
        const cchc_source_t *src = self->sources[i];
        if (!src->dirty)
            continue;
        set_push_clock(out, src->id, src->now_ms, src->last_seq);
    }
    dirty_clear(self);
}

void cchc_record_set_reset(cchc_record_set_t *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->items[i].blob); //  holds ward and code too
    set->count = 0;
}

void cchc_record_set_clear(cchc_record_set_t *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->items[i].blob); //  holds ward and code too
    free(set->items);
    memset(set, 0, sizeof(*set));
}

int cchc_record_set_save(const cchc_record_set_t *set, sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT OR REPLACE INTO model_record (kind, ward, code, ord, blob)"
                                " VALUES (?1, ?2, ?3, ?4, ?5)",
                                -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "model_save", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    for (size_t i = 0; i < set->count && rc == SQLITE_OK; i++) {
        const cchc_record_blob_t *r = &set->items[i];
        sqlite3_bind_int(stmt, 1, r->kind);
        sqlite3_bind_text(stmt, 2, r->ward, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, r->code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 4, r->ord);
        sqlite3_bind_blob(stmt, 5, r->blob, (int)r->len, SQLITE_STATIC);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(stmt);
    }
    if (rc != SQLITE_OK)
        cchc_log(CCHC_ERROR, "model_save", "error=%s", sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK ? 0 : -1;
}

//  Load reads model_record in primary-key order (kind, ward, code), which
//  SQLite streams without sorting, and restores registration order (ord)
//  per (kind, ward) in memory: the units, officials, areas and tasks of one
//  ward and kind are decoded into a pending group, sorted by ord when the
//  group ends, and only then added, so that every array, ->index and unit
//  task list is built in registration order, exactly as the events built it.
//  The kinds still come in kind order, so units and areas precede the tasks
//  that reference them, and officials precede their leaves.

//  Task records are unpacked into a scratch arena of their batch (a bump
//  allocator whose free does nothing), since each is only read once, to
//  build its task, and then dropped: millions of mallocs and frees, half
//  of them across threads, would cost more than the unpacking. A batch's
//  task records can wait in a pending group after the batch is done, so
//  the arena counts its users: the batch and each record still pending.
#define SCRATCH_BLOCK (256 * 1024)

typedef struct {
    arena_block_t *blocks;
    size_t refs;
} scratch_t;

static void *scratch_alloc(void *data, size_t size)
{
    scratch_t *sc = data;
    size = (size + 15) & ~(size_t)15;
    arena_block_t *b = sc->blocks;
    if (!b || b->used + size > b->cap) {
        size_t cap = size > SCRATCH_BLOCK ? size : SCRATCH_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = sc->blocks;
        sc->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

static void scratch_free(void *data, void *p)
{
    (void)data;
    (void)p; //  freed with the arena
}

static scratch_t *scratch_new(void)
{
    scratch_t *sc = xcalloc(1, sizeof(*sc));
    sc->refs = 1;
    return sc;
}

static void scratch_release(scratch_t *sc)
{
    if (!sc || --sc->refs > 0)
        return;
    while (sc->blocks) {
        arena_block_t *next = sc->blocks->next;
        free(sc->blocks);
        sc->blocks = next;
    }
    free(sc);
}

typedef struct {
    int64_t ord;
    size_t seq;         //  arrival within the group (code order): a stable tie-break
    void *msg;          //  owned until added to the ward
    scratch_t *scratch; //  where msg lives (a task record), or NULL: malloc'd
} pending_t;

typedef struct {
    int kind; //  -1 when empty
    cchc_ward_t *ward;
    pending_t *items;
    size_t count, cap;
} pending_group_t;

static int pending_cmp(const void *a, const void *b)
{
    const pending_t *x = a, *y = b;
    if (x->ord != y->ord)
        return x->ord < y->ord ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void pending_push(pending_group_t *g, int64_t ord, void *msg, scratch_t *scratch)
{
    if (g->count == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        pending_t *grown = realloc(g->items, g->cap * sizeof(*grown));
        if (!grown)
            abort();
        g->items = grown;
    }
    g->items[g->count] = (pending_t){.ord = ord, .seq = g->count, .msg = msg, .scratch = scratch};
    if (scratch)
        scratch->refs++;
    g->count++;
}

//  Add the pending group to its ward in ord order and empty it. Returns 0,
//  or -1 if a task references a unit or area the ward lacks (every message
//  not added is freed).
static int pending_flush(cchc_model_t *self, pending_group_t *g)
{
    int rc = 0;
    bool sorted = true;
    for (size_t i = 1; i < g->count && sorted; i++)
        sorted = g->items[i - 1].ord <= g->items[i].ord;
    if (!sorted)
        qsort(g->items, g->count, sizeof(*g->items), pending_cmp);
    for (size_t i = 0; i < g->count; i++) {
        void *msg = g->items[i].msg;
        if (g->items[i].scratch) { //  a task record: built into a task, then dropped
            Cchc__TaskRecord *rec = msg;
            if (rc == 0 && !task_from_record(self, g->ward, rec)) {
                cchc_log(CCHC_ERROR, "model_load_damaged",
                         "kind=%d ward=%s code=%s detail=unknown_unit_or_area_or_out_of_range", g->kind,
                         g->ward->code, rec->def->code);
                rc = -1;
            }
            scratch_release(g->items[i].scratch);
            continue;
        }
        if (rc != 0) {
            protobuf_c_message_free_unpacked(msg, NULL);
            continue;
        }
        switch (g->kind) {
        case CCHC_REC_OFFICIAL:
            official_add(g->ward, msg);
            break;
        case CCHC_REC_AREA:
            area_add(g->ward, msg);
            break;
        case CCHC_REC_UNIT:
            unit_add(g->ward, msg);
            break;
        default:
            assert(!"not a pending kind");
        }
    }
    g->count = 0;
    g->kind = -1;
    g->ward = NULL;
    return rc;
}

//  Decode a record of a kind that is added in ord order; NULL if damaged.
//  Task records are unpacked with task_alloc (the batch's scratch), the
//  others with malloc: the model keeps them.
static void *decode_ordered(int kind, const uint8_t *blob, size_t len, ProtobufCAllocator *task_alloc)
{
    switch (kind) {
    case CCHC_REC_OFFICIAL: {
        Cchc__OfficialRegistered *def = cchc__official_registered__unpack(NULL, len, blob);
        if (def && empty(def->code))
            protobuf_c_message_free_unpacked(&def->base, NULL), def = NULL;
        return def;
    }
    case CCHC_REC_AREA: {
        Cchc__AreaDefined *def = cchc__area_defined__unpack(NULL, len, blob);
        if (def && empty(def->code))
            protobuf_c_message_free_unpacked(&def->base, NULL), def = NULL;
        return def;
    }
    case CCHC_REC_UNIT: {
        Cchc__UnitRecord *rec = cchc__unit_record__unpack(NULL, len, blob);
        if (rec && (!rec->def || empty(rec->def->code)))
            protobuf_c_message_free_unpacked(&rec->base, NULL), rec = NULL;
        return rec;
    }
    case CCHC_REC_TASK: {
        Cchc__TaskRecord *rec = cchc__task_record__unpack(task_alloc, len, blob);
        return rec && rec->def && !empty(rec->def->code) ? rec : NULL; //  the scratch frees it
    }
    default:
        return NULL;
    }
}

static bool ordered_kind(int kind)
{
    return kind == CCHC_REC_OFFICIAL || kind == CCHC_REC_AREA || kind == CCHC_REC_UNIT ||
           kind == CCHC_REC_TASK;
}

// ---------------------------------------------------------------------------
//  Load pipeline: a reader thread steps the statement into batches and
//  unpacks every other blob (protobuf-c unpack and its allocations are the
//  bulk of the work) copying the others raw; the calling thread takes the
//  batches in order, unpacks the raw ones and builds the model (groups, hash
//  maps, arrays). Splitting the unpacking keeps both cores busy: the reader
//  also carries SQLite, the builder the inserts. The reader touches only the
//  statement and the batches, never the model; it logs nothing (the calling
//  thread does).
//  Without thread support in SQLite, or if the thread cannot start, the
//  calling thread reads everything first and then builds.

#define LOAD_BATCH  2048 //  records per batch
#define LOAD_QUEUED 16   //  batches read ahead at most (threaded)

typedef struct {
    int kind;
    int64_t ord;
    size_t ward, code; //  offsets in the batch's text
    size_t blob, len;  //  the blob's offset in the batch's text and length, while raw
    bool raw;          //  not unpacked yet (the builder does it)
    void *msg;         //  the unpacked record (owned), NULL for CLOCK or if damaged
    uint64_t now, seq; //  CLOCK
    bool bad;          //  could not be unpacked
} loaded_t;

typedef struct load_batch {
    loaded_t items[LOAD_BATCH];
    size_t count;
    char *text; //  the ward and code strings, NUL-terminated
    size_t text_len, text_cap;
    scratch_t *scratch;            //  where its task records are unpacked
    ProtobufCAllocator task_alloc; //  allocates from scratch
    struct load_batch *next;
} load_batch_t;

typedef struct {
    sqlite3_stmt *stmt;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    load_batch_t *head, *tail; //  queue, oldest first
    size_t queued;
    size_t limit; //  LOAD_QUEUED, or SIZE_MAX when read first
    bool done;    //  the reader has queued its last batch
    bool stop;    //  the builder gave up: the reader stops early
    bool split;   //  leave every other blob raw for the builder
    int step;     //  the last sqlite3_step result
} load_pipe_t;

static size_t batch_bytes(load_batch_t *b, const void *s, size_t n)
{
    size_t at = b->text_len;
    if (b->text_len + n > b->text_cap) {
        b->text_cap = (b->text_len + n) * 2;
        char *grown = realloc(b->text, b->text_cap);
        if (!grown)
            abort();
        b->text = grown;
    }
    memcpy(b->text + at, s, n);
    b->text_len += n;
    return at;
}

static size_t batch_text(load_batch_t *b, const char *s)
{
    return batch_bytes(b, s, strlen(s) + 1);
}

static void batch_free(load_batch_t *b)
{
    for (size_t i = 0; i < b->count; i++)
        if (b->items[i].msg && b->items[i].kind != CCHC_REC_TASK)
            protobuf_c_message_free_unpacked(b->items[i].msg, NULL);
    scratch_release(b->scratch);
    free(b->text);
    free(b);
}

//  Unpack one row into item (bad set if it cannot be).
static void load_decode(load_batch_t *b, loaded_t *item, const uint8_t *blob, size_t len)
{
    switch (item->kind) {
    case CCHC_REC_CLOCK:
        item->bad = len != 16;
        for (int i = 0; i < 8 && len == 16; i++) {
            item->now |= (uint64_t)blob[i] << (8 * i);
            item->seq |= (uint64_t)blob[8 + i] << (8 * i);
        }
        return;
    case CCHC_REC_WARD:
        item->msg = cchc__ward_registered__unpack(NULL, len, blob);
        break;
    case CCHC_REC_WARD_SOURCE:
        item->msg = cchc__ward_source__unpack(NULL, len, blob);
        break;
    case CCHC_REC_LEAVE:
        item->msg = cchc__official_leave__unpack(NULL, len, blob);
        break;
    default:
        item->msg = decode_ordered(item->kind, blob, len, &b->task_alloc);
        break;
    }
    item->bad = item->msg == NULL;
}

static void pipe_push(load_pipe_t *pipe, load_batch_t *b, bool last, int step)
{
    pthread_mutex_lock(&pipe->mutex);
    while (pipe->queued >= pipe->limit && !pipe->stop)
        pthread_cond_wait(&pipe->cond, &pipe->mutex);
    if (b) {
        if (pipe->tail)
            pipe->tail->next = b;
        else
            pipe->head = b;
        pipe->tail = b;
        pipe->queued++;
    }
    if (last) {
        pipe->done = true;
        pipe->step = step;
    }
    pthread_cond_broadcast(&pipe->cond);
    pthread_mutex_unlock(&pipe->mutex);
}

//  The reader: every row, unpacked, in batches; stops early when told.
static void *load_reader(void *arg)
{
    load_pipe_t *pipe = arg;
    load_batch_t *b = NULL;
    int step;
    bool stop = false;
    while (!stop && (step = sqlite3_step(pipe->stmt)) == SQLITE_ROW) {
        if (!b) {
            b = xcalloc(1, sizeof(*b));
            b->text_cap = LOAD_BATCH * 24;
            b->text = malloc(b->text_cap);
            if (!b->text)
                abort();
            b->scratch = scratch_new();
            b->task_alloc = (ProtobufCAllocator){scratch_alloc, scratch_free, b->scratch};
        }
        loaded_t *item = &b->items[b->count++];
        memset(item, 0, sizeof(*item));
        item->kind = sqlite3_column_int(pipe->stmt, 0);
        const char *ward = (const char *)sqlite3_column_text(pipe->stmt, 1);
        const char *code = (const char *)sqlite3_column_text(pipe->stmt, 2);
        item->ward = batch_text(b, ward ? ward : "");
        item->code = batch_text(b, code ? code : "");
        item->ord = sqlite3_column_int64(pipe->stmt, 3);
        const uint8_t *blob = sqlite3_column_blob(pipe->stmt, 4);
        size_t len = (size_t)sqlite3_column_bytes(pipe->stmt, 4);
        if (pipe->split && b->count % 2 == 0) {
            item->raw = true;
            item->blob = batch_bytes(b, blob ? blob : (const uint8_t *)"", len);
            item->len = len;
        } else {
            load_decode(b, item, blob ? blob : (const uint8_t *)"", len);
        }
        if (b->count == LOAD_BATCH) {
            pipe_push(pipe, b, false, 0);
            b = NULL;
            pthread_mutex_lock(&pipe->mutex);
            stop = pipe->stop;
            pthread_mutex_unlock(&pipe->mutex);
        }
    }
    pipe_push(pipe, b, true, stop ? SQLITE_DONE : step);
    return NULL;
}

//  The next batch in order, or NULL when the reader is done.
static load_batch_t *pipe_take(load_pipe_t *pipe)
{
    pthread_mutex_lock(&pipe->mutex);
    while (!pipe->head && !pipe->done)
        pthread_cond_wait(&pipe->cond, &pipe->mutex);
    load_batch_t *b = pipe->head;
    if (b) {
        pipe->head = b->next;
        if (!pipe->head)
            pipe->tail = NULL;
        pipe->queued--;
        pthread_cond_broadcast(&pipe->cond);
    }
    pthread_mutex_unlock(&pipe->mutex);
    return b;
}

//  A record of a kind added as it comes (CLOCK, WARD, WARD_SOURCE, LEAVE);
//  takes the message (frees it on error).
static int load_record(cchc_model_t *self, loaded_t *item, const char *ward_code, const char *code)
{
    void *msg = item->msg;
    item->msg = NULL;
    if (item->kind == CCHC_REC_CLOCK) {
        int index = cchc_model_source(self, code); //  may grow self->sources
        cchc_source_t *src = self->sources[index];
        src->now_ms = (int64_t)item->now;
        src->last_seq = item->seq;
        return 0;
    }
    if (item->kind == CCHC_REC_WARD) {
        Cchc__WardRegistered *def = msg;
        if (cchc_model_ward(self, ward_code))
            return protobuf_c_message_free_unpacked(&def->base, NULL), -1;
        cchc_ward_t *ward = ward_add(self, ward_code, def);
        for (size_t i = 0; i < self->nsources; i++) //  the unnamed source's, unless a WARD_SOURCE says
            if (!*self->sources[i]->id)
                ward->source = self->sources[i];
        return 0;
    }
    cchc_ward_t *ward = cchc_model_ward(self, ward_code);
    if (!ward || (item->kind != CCHC_REC_WARD_SOURCE && item->kind != CCHC_REC_LEAVE)) {
        protobuf_c_message_free_unpacked(msg, NULL);
        return -1;
    }
    if (item->kind == CCHC_REC_WARD_SOURCE) { //  after the CLOCK records (kind order)
        Cchc__WardSource *ws = msg;
        int found = -1;
        for (size_t i = 0; i < self->nsources; i++)
            if (strcmp(self->sources[i]->id, ws->shard ? ws->shard : "") == 0)
                found = (int)i;
        protobuf_c_message_free_unpacked(&ws->base, NULL);
        if (found < 0)
            return -1;
        ward->source = self->sources[found];
        return 0;
    }
    //  LEAVE, after the officials (kind order)
    Cchc__OfficialLeave *leave = msg;
    cchc_official_t *o = cchc_ward_official(ward, leave->official);
    if (!o || o->leave) {
        protobuf_c_message_free_unpacked(&leave->base, NULL);
        return -1;
    }
    o->leave = leave;
    return 0;
}

//  Build the model from one batch; -1 at the first damaged record.
static int load_batch(cchc_model_t *self, load_batch_t *b, pending_group_t *group, size_t *records)
{
    for (size_t i = 0; i < b->count; i++) {
        loaded_t *item = &b->items[i];
        if (item->raw) {
            item->raw = false;
            load_decode(b, item, (const uint8_t *)b->text + item->blob, item->len);
        }
        const char *ward = b->text + item->ward, *code = b->text + item->code;
        int kind = item->kind;
        if (group->kind >= 0 && (group->kind != kind || strcmp(group->ward->code, ward) != 0) &&
            pending_flush(self, group) != 0)
            return -1;
        int one = -1;
        if (item->bad) {
            one = -1;
        } else if (ordered_kind(kind)) {
            if (group->kind < 0) {
                group->kind = kind;
                group->ward = cchc_model_ward(self, ward);
            }
            if (group->ward) {
                pending_push(group, item->ord, item->msg, kind == CCHC_REC_TASK ? b->scratch : NULL);
                item->msg = NULL;
                one = 0;
            } else {
                group->kind = -1;
            }
        } else {
            one = load_record(self, item, ward, code);
        }
        if (one != 0) {
            cchc_log(CCHC_ERROR, "model_load_damaged", "kind=%d ward=%s code=%s", kind, ward, code);
            return -1;
        }
        (*records)++;
    }
    return 0;
}

int cchc_model_load(cchc_model_t *self, sqlite3 *db)
{
    assert(self && self->nwards == 0);
    load_pipe_t pipe = {.limit = LOAD_QUEUED};
    //  The primary key's order: a plain scan of the WITHOUT ROWID table.
    if (sqlite3_prepare_v2(db,
                           "SELECT kind, ward, code, ord, blob FROM model_record ORDER BY kind, ward, code",
                           -1, &pipe.stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "model_load", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    pthread_mutex_init(&pipe.mutex, NULL);
    pthread_cond_init(&pipe.cond, NULL);
    pthread_t reader;
    pipe.split = sqlite3_threadsafe() != 0;
    bool threaded = pipe.split && pthread_create(&reader, NULL, load_reader, &pipe) == 0;
    if (!threaded) { //  read everything first
        pipe.limit = SIZE_MAX;
        pipe.split = false;
        load_reader(&pipe);
    }
    int rc = 0;
    size_t records = 0;
    pending_group_t group = {.kind = -1};
    load_batch_t *b;
    while ((b = pipe_take(&pipe)) != NULL) {
        if (rc == 0 && load_batch(self, b, &group, &records) != 0) {
            rc = -1;
            pthread_mutex_lock(&pipe.mutex);
            pipe.stop = true;
            pthread_cond_broadcast(&pipe.cond);
            pthread_mutex_unlock(&pipe.mutex);
        }
        batch_free(b); //  frees what was not taken
    }
    if (threaded)
        pthread_join(reader, NULL);
    if (group.kind >= 0 && pending_flush(self, &group) != 0) //  frees what it does not add
        rc = -1;
    free(group.items);
    if (rc == 0 && pipe.step != SQLITE_DONE) {
        cchc_log(CCHC_ERROR, "model_load", "error=%s", sqlite3_errmsg(db));
        rc = -1;
    }
    sqlite3_finalize(pipe.stmt);
    pthread_cond_destroy(&pipe.cond);
    pthread_mutex_destroy(&pipe.mutex);
    for (size_t i = 0; rc == 0 && i < self->nwards; i++)
        if (!self->wards[i]->source) {
            cchc_log(CCHC_ERROR, "model_load_damaged", "ward=%s detail=no source", self->wards[i]->code);
            rc = -1;
        }
    if (rc == 0)
        cchc_log(CCHC_INFO, "model_loaded", "records=%zu last_seq=%llu wards=%zu sources=%zu", records,
                 (unsigned long long)cchc_model_last_seq(self), self->nwards, self->nsources);
    return rc;
}
