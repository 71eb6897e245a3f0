/*  schedule.c - an indexed binary min-heap of (instant, task).

    Each scheduled task has one entry, found through task->user, that knows
    its position in the heap, so setting a new instant moves the entry up or
    down in O(log n) instead of leaving stale copies behind.
*/
#include "schedule.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"

typedef struct {
    cchc_task_t *task; //  borrowed from the model
    int64_t wake_ms;   //  when to decide the task again
    size_t pos;        //  index in heap
} entry_t;

struct cchc_alert_schedule {
    entry_t **heap; //  owned entries; heap[0] is the earliest
    size_t n, cap;
};

cchc_alert_schedule_t *cchc_alert_schedule_new(void)
{
    cchc_alert_schedule_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    return self;
}

void cchc_alert_schedule_destroy(cchc_alert_schedule_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cchc_alert_schedule_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free(self->heap[i]);
    free(self->heap);
    free(self);
    *self_p = NULL;
}

//  Strict order: instant, then ward code, then the task's position.
static bool earlier(const entry_t *a, const entry_t *b)
{
    if (a->wake_ms != b->wake_ms)
        return a->wake_ms < b->wake_ms;
    if (a->task->ward != b->task->ward)
        return strcmp(a->task->ward->code, b->task->ward->code) < 0;
    return a->task->index < b->task->index;
}

static void place(cchc_alert_schedule_t *self, entry_t *e, size_t pos)
{
    self->heap[pos] = e;
    e->pos = pos;
}

static void sift_up(cchc_alert_schedule_t *self, entry_t *e)
{
    size_t pos = e->pos;
    while (pos > 0) {
        entry_t *parent = self->heap[(pos - 1) / 2];
        if (!earlier(e, parent))
            break;
        place(self, parent, pos);
        pos = (pos - 1) / 2;
    }
    place(self, e, pos);
}

static void sift_down(cchc_alert_schedule_t *self, entry_t *e)
{
    size_t pos = e->pos;
    for (;;) {
        size_t child = 2 * pos + 1;
        if (child >= self->n)
            break;
        if (child + 1 < self->n && earlier(self->heap[child + 1], self->heap[child]))
            child++;
        if (!earlier(self->heap[child], e))
            break;
        place(self, self->heap[child], pos);
        pos = child;
    }
    place(self, e, pos);
}

//  Take e out of the heap (not freed).
static void heap_remove(cchc_alert_schedule_t *self, entry_t *e)
{
    assert(e->pos < self->n && self->heap[e->pos] == e);
    entry_t *last = self->heap[--self->n];
    if (last == e)
        return;
    place(self, last, e->pos);
    sift_up(self, last);
    sift_down(self, last);
}

void cchc_alert_schedule_set(cchc_alert_schedule_t *self, cchc_task_t *task, int64_t wake_ms)
{
    assert(self && task);
    entry_t *e = task->user;
    if (wake_ms == CCHC_ALERT_NEVER) {
        if (e) {
            heap_remove(self, e);
            free(e);
            task->user = NULL;
        }
        return;
    }
    if (e) {
        e->wake_ms = wake_ms;
        sift_up(self, e);
        sift_down(self, e);
        return;
    }
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        entry_t **grown = realloc(self->heap, self->cap * sizeof(*grown));
        if (!grown)
            abort();
        self->heap = grown;
    }
    e = calloc(1, sizeof(*e));
    if (!e)
        abort();
    e->task = task;
    e->wake_ms = wake_ms;
    e->pos = self->n++;
    self->heap[e->pos] = e;
    task->user = e;
    sift_up(self, e);
}

cchc_task_t *cchc_alert_schedule_pop_due(cchc_alert_schedule_t *self, int64_t now_ms)
{
    assert(self);
    if (self->n == 0 || self->heap[0]->wake_ms > now_ms)
        return NULL;
    entry_t *e = self->heap[0];
    cchc_task_t *task = e->task;
    heap_remove(self, e);
    free(e);
    task->user = NULL;
    return task;
}

int64_t cchc_alert_schedule_next_ms(const cchc_alert_schedule_t *self)
{
    assert(self);
    return self->n ? self->heap[0]->wake_ms : CCHC_ALERT_NEVER;
}

size_t cchc_alert_schedule_size(const cchc_alert_schedule_t *self)
{
    assert(self);
    return self->n;
}
