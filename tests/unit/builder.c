/*  builder.c - see builder.h. */
#include "builder.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

int64_t at9(int32_t date)
{
    return cchc_date_start_ms(date) + 9 * 3600 * 1000LL;
}

static Cchc__Event event(builder_t *b, const char *actor)
{
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)b->ward;
    ev.actor = (char *)actor;
    return ev;
}

Cchc__ErrorCode builder_apply(builder_t *b, Cchc__Event *ev, int64_t when)
{
    cchc_err_t err;
    cchc_err_clear(&err);
    if (cchc_model_check(b->model, ev, when, &err) != 0)
        return err.code;
    ev->has_seq = ev->has_log_time_ms = true;
    ev->seq = ++b->seq;
    ev->log_time_ms = when;
    cchc_touch_t touch;
    if (cchc_model_apply(b->model, ev, &touch) != 0)
        abort(); //  check passed but apply refused: a model bug
    if (b->on_apply)
        b->on_apply(b->arg, ev, &touch);
    return CCHC__ERROR_CODE__ERR_NONE;
}

void builder_init(builder_t *b)
{
    memset(b, 0, sizeof(*b));
    b->model = cchc_model_new();
    b->ward = "W";
    Cchc__WardRegistered w = CCHC__WARD_REGISTERED__INIT;
    w.name = "Phường Thử";
    w.has_year = true;
    w.year = 2026;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
    ev.ward_registered = &w;
    if (builder_apply(b, &ev, at9(20260101)) != CCHC__ERROR_CODE__ERR_NONE)
        abort();
}

void builder_free(builder_t *b)
{
    cchc_model_destroy(&b->model);
}

void b_area(builder_t *b, const char *code, int weight)
{
    Cchc__AreaDefined a = CCHC__AREA_DEFINED__INIT;
    a.code = (char *)code;
    a.name = (char *)code;
    a.has_weight = true;
    a.weight = weight;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
    ev.area_defined = &a;
    if (builder_apply(b, &ev, at9(20260101)))
        abort();
}

void b_unit(builder_t *b, const char *code, const char *head, const char *vice_chairman)
{
    Cchc__UnitRegistered u = CCHC__UNIT_REGISTERED__INIT;
    u.code = (char *)code;
    u.name = (char *)code;
    u.head = (char *)head;
    u.vice_chairman = (char *)vice_chairman;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
    ev.unit_registered = &u;
    if (builder_apply(b, &ev, at9(20260101)))
        abort();
}

void b_official(builder_t *b, const char *code, const char *name, const char *unit, Cchc__OfficialRole role)
{
    Cchc__OfficialRegistered o = CCHC__OFFICIAL_REGISTERED__INIT;
    o.code = (char *)code;
    o.full_name = (char *)name;
    o.title = "Cán bộ";
    o.unit = (char *)unit;
    o.has_role = true;
    o.role = role;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED;
    ev.official_registered = &o;
    if (builder_apply(b, &ev, at9(20260101)))
        abort();
}

Cchc__ErrorCode b_task(builder_t *b, const char *code, const char *unit, const char *area, int32_t due,
                       int outputs, int factor_milli, const char *lead)
{
    Cchc__TaskAssigned t = CCHC__TASK_ASSIGNED__INIT;
    t.code = (char *)code;
    t.unit = (char *)unit;
    t.area = (char *)area;
    t.title = "Nhiệm vụ thử";
    t.has_due_date = t.has_outputs_required = t.has_factor_milli = true;
    t.due_date = due;
    t.outputs_required = outputs;
    t.factor_milli = factor_milli;
    t.lead_official = (char *)lead;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
    ev.task_assigned = &t;
    return builder_apply(b, &ev, at9(20260102));
}

static const char *owner(builder_t *b, const char *task)
{
    cchc_task_t *t = b_task_get(b, task);
    return t ? t->unit->rec->def->code : "ward";
}

Cchc__ErrorCode b_progress_as(builder_t *b, const char *actor, const char *task, int percent, int outputs,
                              int32_t day)
{
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = (char *)task;
    p.has_percent = p.has_outputs_done = true;
    p.percent = percent;
    p.outputs_done = outputs;
    Cchc__Event ev = event(b, actor);
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    return builder_apply(b, &ev, at9(day));
}

Cchc__ErrorCode b_submit_as(builder_t *b, const char *actor, const char *task, int32_t day)
{
    Cchc__SubmittedForVerification s = CCHC__SUBMITTED_FOR_VERIFICATION__INIT;
    s.task = (char *)task;
    Cchc__Event ev = event(b, actor);
    ev.payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
    ev.submitted = &s;
    return builder_apply(b, &ev, at9(day));
}

Cchc__ErrorCode b_verify_as(builder_t *b, const char *actor, const char *task, bool pass, int32_t day)
{
    Cchc__Verified v = CCHC__VERIFIED__INIT;
    v.task = (char *)task;
    v.has_passed = true;
    v.passed = pass;
    Cchc__Event ev = event(b, actor);
    ev.payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
    ev.verified = &v;
    return builder_apply(b, &ev, at9(day));
}

Cchc__ErrorCode b_progress(builder_t *b, const char *task, int outputs, int32_t day)
{
    return b_progress_as(b, owner(b, task), task, 50, outputs, day);
}

Cchc__ErrorCode b_submit(builder_t *b, const char *task, int32_t day)
{
    return b_submit_as(b, owner(b, task), task, day);
}

Cchc__ErrorCode b_verify(builder_t *b, const char *task, bool pass, int32_t day)
{
    return b_verify_as(b, "ward", task, pass, day);
}

Cchc__ErrorCode b_deadline(builder_t *b, const char *task, int32_t new_due, bool objective, int32_t day)
{
    Cchc__DeadlineChanged d = CCHC__DEADLINE_CHANGED__INIT;
    d.task = (char *)task;
    d.has_new_due_date = d.has_objective = true;
    d.new_due_date = new_due;
    d.objective = objective;
    d.reason = "Chờ hướng dẫn của cấp trên";
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED;
    ev.deadline_changed = &d;
    return builder_apply(b, &ev, at9(day));
}

Cchc__ErrorCode b_pause(builder_t *b, const char *task, int32_t day)
{
    Cchc__TaskPaused p = CCHC__TASK_PAUSED__INIT;
    p.task = (char *)task;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_PAUSED;
    ev.paused = &p;
    return builder_apply(b, &ev, at9(day));
}

Cchc__ErrorCode b_resume_at(builder_t *b, const char *task, int64_t ms)
{
    Cchc__TaskResumed r = CCHC__TASK_RESUMED__INIT;
    r.task = (char *)task;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_RESUMED;
    ev.resumed = &r;
    return builder_apply(b, &ev, ms);
}

Cchc__ErrorCode b_clock_at(builder_t *b, int64_t ms)
{
    Cchc__ClockAdvanced c = CCHC__CLOCK_ADVANCED__INIT;
    Cchc__Event ev = event(b, "intake");
    ev.ward = "";
    ev.payload_case = CCHC__EVENT__PAYLOAD_CLOCK;
    ev.clock = &c;
    return builder_apply(b, &ev, ms);
}

Cchc__ErrorCode b_cancel(builder_t *b, const char *task, int32_t day)
{
    Cchc__TaskCancelled c = CCHC__TASK_CANCELLED__INIT;
    c.task = (char *)task;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_CANCELLED;
    ev.cancelled = &c;
    return builder_apply(b, &ev, at9(day));
}

Cchc__ErrorCode b_adjust(builder_t *b, const char *unit, int bonus_centi, int penalty_centi, int32_t day)
{
    Cchc__Adjustment a = CCHC__ADJUSTMENT__INIT;
    a.unit = (char *)unit;
    a.has_bonus_centi = a.has_penalty_centi = true;
    a.bonus_centi = bonus_centi;
    a.penalty_centi = penalty_centi;
    a.reason = "Khen thưởng đột xuất";
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
    ev.adjustment = &a;
    return builder_apply(b, &ev, at9(day));
}

Cchc__ErrorCode b_appraise(builder_t *b, const char *unit, int score_centi, int32_t day)
{
    Cchc__AppraisalRecorded a = CCHC__APPRAISAL_RECORDED__INIT;
    a.unit = (char *)unit;
    a.has_score_centi = true;
    a.score_centi = score_centi;
    Cchc__Event ev = event(b, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_APPRAISAL;
    ev.appraisal = &a;
    return builder_apply(b, &ev, at9(day));
}

Cchc__ErrorCode b_clock(builder_t *b, int32_t day)
{
    Cchc__ClockAdvanced c = CCHC__CLOCK_ADVANCED__INIT;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "";
    ev.actor = "intake";
    ev.payload_case = CCHC__EVENT__PAYLOAD_CLOCK;
    ev.clock = &c;
    return builder_apply(b, &ev, at9(day));
}

cchc_unit_t *b_unit_get(builder_t *b, const char *code)
{
    return cchc_ward_unit(cchc_model_ward(b->model, "W"), code);
}

cchc_task_t *b_task_get(builder_t *b, const char *code)
{
    return cchc_ward_task(cchc_model_ward(b->model, "W"), code);
}
