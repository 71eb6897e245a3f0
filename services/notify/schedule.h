/*  schedule.h - when each task must be looked at again: the timer structure
    that spares notify a scan of every task whenever the log time moves.

    Alerts change with time only at known instants (a reminder point, the
    end of the due date, an escalation day: cchc_alerts_next_check_ms). The
    schedule keeps, for each task that has such an instant ahead, that
    instant in a binary min-heap, so after each event the tasks whose instant
    has come are popped in O(log n) each, and an event that moves the clock
    without reaching any instant costs one comparison. Events that change a
    task are handled by the caller deciding that task and setting its instant
    again.

    Ties pop in (ward code, task position) order, so popping is
    deterministic.

    The schedule keeps its entry for a task in task->user (which the model
    leaves to its consumer); nothing else in the process may use that field.
    The schedule never reads a task after cchc_alert_schedule_destroy, so it
    may be destroyed after the model.
*/
#ifndef CCHC_NOTIFY_SCHEDULE_H
#define CCHC_NOTIFY_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct cchc_alert_schedule cchc_alert_schedule_t;

//  An empty schedule. Caller owns it; aborts on out-of-memory.
cchc_alert_schedule_t *cchc_alert_schedule_new(void);

//  Free the schedule and its entries (tasks are not touched); sets *self_p
//  to NULL. NULL or *self_p NULL is allowed.
void cchc_alert_schedule_destroy(cchc_alert_schedule_t **self_p);

//  Look at task again at wake_ms, replacing any instant set before;
//  CCHC_ALERT_NEVER (alerts.h) removes the task from the schedule. The task
//  must stay alive while it is scheduled (model tasks are never removed).
void cchc_alert_schedule_set(cchc_alert_schedule_t *self, cchc_task_t *task, int64_t wake_ms);

//  Remove and return the earliest task whose instant is <= now_ms, or NULL
//  when none is due. The caller decides it and sets its next instant.
cchc_task_t *cchc_alert_schedule_pop_due(cchc_alert_schedule_t *self, int64_t now_ms);

//  Instant of the earliest task (CCHC_ALERT_NEVER when empty), and how many
//  tasks are scheduled.
int64_t cchc_alert_schedule_next_ms(const cchc_alert_schedule_t *self);
size_t cchc_alert_schedule_size(const cchc_alert_schedule_t *self);

#endif
