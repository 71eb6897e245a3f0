/*  builder.h - build a ward model from events for unit tests, the way
    intake does: each event is checked, given a seq and a log time, folded. */
#ifndef CCHC_TEST_BUILDER_H
#define CCHC_TEST_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef struct {
    cchc_model_t *model;
    uint64_t seq;
    const char *ward;
    //  If set, called after each event is folded, with what it touched.
    void (*on_apply)(void *arg, const Cchc__Event *ev, const cchc_touch_t *touch);
    void *arg;
} builder_t;

//  09:00 local on yyyymmdd.
int64_t at9(int32_t date);

//  A model with ward "W" (year 2026) and nothing else.
void builder_init(builder_t *b);
void builder_free(builder_t *b);

//  Check and fold; returns the error code (ERR_NONE when applied).
Cchc__ErrorCode builder_apply(builder_t *b, Cchc__Event *ev, int64_t when);

void b_area(builder_t *b, const char *code, int weight);
void b_unit(builder_t *b, const char *code, const char *head, const char *vice_chairman);
void b_official(builder_t *b, const char *code, const char *name, const char *unit, Cchc__OfficialRole role);
Cchc__ErrorCode b_task(builder_t *b, const char *code, const char *unit, const char *area, int32_t due,
                       int outputs, int factor_milli, const char *lead);
//  Updates sent by the task's own unit (verification by the ward office).
Cchc__ErrorCode b_progress(builder_t *b, const char *task, int outputs, int32_t day);
Cchc__ErrorCode b_submit(builder_t *b, const char *task, int32_t day);
Cchc__ErrorCode b_verify(builder_t *b, const char *task, bool pass, int32_t day);
//  The same sent by actor, with the percent given.
Cchc__ErrorCode b_progress_as(builder_t *b, const char *actor, const char *task, int percent, int outputs,
                              int32_t day);
Cchc__ErrorCode b_submit_as(builder_t *b, const char *actor, const char *task, int32_t day);
Cchc__ErrorCode b_verify_as(builder_t *b, const char *actor, const char *task, bool pass, int32_t day);
Cchc__ErrorCode b_deadline(builder_t *b, const char *task, int32_t new_due, bool objective, int32_t day);
Cchc__ErrorCode b_pause(builder_t *b, const char *task, int32_t day);
Cchc__ErrorCode b_cancel(builder_t *b, const char *task, int32_t day);
//  At an exact instant: resume a paused task; move the log time (ClockAdvanced).
Cchc__ErrorCode b_resume_at(builder_t *b, const char *task, int64_t ms);
Cchc__ErrorCode b_clock_at(builder_t *b, int64_t ms);
Cchc__ErrorCode b_adjust(builder_t *b, const char *unit, int bonus_centi, int penalty_centi, int32_t day);
Cchc__ErrorCode b_appraise(builder_t *b, const char *unit, int score_centi, int32_t day);
//  A clock event at 09:00 of day.
Cchc__ErrorCode b_clock(builder_t *b, int32_t day);

//  Lookups in ward "W".
cchc_unit_t *b_unit_get(builder_t *b, const char *code);
cchc_task_t *b_task_get(builder_t *b, const char *code);

#endif
