/*  test_rules.c - the default rule set, each expectation computed by hand
    in the comment beside it (PPM = 10^6, floor division everywhere). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "builder.h"
#include "clock.h"
#include "ranking.h"
#include "rules.h"

static cchc_rules_t rules;

//  Every event a test builds on must be accepted, or the test proves nothing.
#define OK(call) assert_int_equal((call), CCHC__ERROR_CODE__ERR_NONE)

//  Ward: areas A1 (60), A2 (40), A3 (30); units U1..U3; task due 31/01
//  unless said otherwise; evaluations at 20/03/2026 09:00 unless said.
static int setup(void **state)
{
    static builder_t b;
    builder_init(&b);
    b_area(&b, "A1", 60);
    b_area(&b, "A2", 40);
    b_area(&b, "A3", 30);
    b_unit(&b, "U1", "H1", NULL);
    b_unit(&b, "U2", "H2", NULL);
    b_unit(&b, "U3", "H3", NULL);
    cchc_rules_default(&rules);
    *state = &b;
    return 0;
}

static int teardown(void **state)
{
    builder_free(*state);
    return 0;
}

static cchc_unit_eval_t eval_at(builder_t *b, const char *unit, int32_t day)
{
    cchc_unit_eval_t e;
    cchc_unit_evaluate(&rules, b_unit_get(b, unit), at9(day), &e, NULL);
    return e;
}

static void done_on(builder_t *b, const char *task, int outputs, int32_t day)
{
    OK(b_progress(b, task, outputs, day));
    OK(b_submit(b, task, day));
    OK(b_verify(b, task, true, day));
}

//  Two tasks of one area, both done on time with all outputs:
//  s = (1 + 1 + 1) / 3 = 1 each -> area 100 % -> 100.00, xuất sắc, group A.
static void test_all_on_time(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U1", "A1", 20260228, 2, 1000, NULL));
    done_on(b, "T1", 1, 20260120);
    done_on(b, "T2", 2, 20260220);
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 10000);
    assert_int_equal(e.tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(e.par_group, 'A');
    assert_int_equal(e.evaluated, 2);
    assert_int_equal(e.on_time, 2);
    assert_int_equal(e.on_time_ppm, 1000000);
    assert_false(e.head_accountable);
}

//  One failed review, then passed on time: b = 1 - 0.25 = 0.75,
//  s = (1000000 + 750000 + 1000000) / 3 = 916666 -> 91.66, xuất sắc.
static void test_failed_review(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_progress(b, "T1", 1, 20260110));
    OK(b_submit(b, "T1", 20260110));
    OK(b_verify(b, "T1", false, 20260111));
    //  while in rework the task is unmet even before its due date
    assert_int_equal(eval_at(b, "U1", 20260112).unmet, 1);
    OK(b_submit(b, "T1", 20260115));
    OK(b_verify(b, "T1", true, 20260116));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 9166);
    assert_int_equal(e.tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(e.unmet, 0);
    //  the explanation shows the deduction: quality 750000, one failed review;
    //  the only task of A1 carries the area's 60 points: earned 60000 * 916666 / 10^6 = 54999
    Cchc__Explanation x = CCHC__EXPLANATION__INIT;
    cchc_unit_evaluate(&rules, b_unit_get(b, "U1"), at9(20260320), &e, &x);
    assert_int_equal(x.n_tasks, 1);
    assert_int_equal(x.tasks[0]->quantity_ppm, 1000000);
    assert_int_equal(x.tasks[0]->quality_ppm, 750000);
    assert_int_equal(x.tasks[0]->progress_ppm, 1000000);
    assert_int_equal(x.tasks[0]->failed_reviews, 1);
    assert_int_equal(x.tasks[0]->max_milli, 60000);
    assert_int_equal(x.tasks[0]->earned_milli, 54999);
    assert_string_equal(x.tasks[0]->status, "Đã hoàn thành đúng hạn");
    assert_int_equal(x.n_gates, 0);
    cchc_explanation_clear(&x);
}

//  Done 10 days late (submitted 10/02, due 31/01): one delay, c = 0.75,
//  s = 2750000 / 3 = 916666 -> 91.66 by score; 0 % on time -> the tốt gate
//  (>= 80 % on time) applies to xuất sắc too -> Hoàn thành.
static void test_late_task_and_cumulative_gate(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260210);
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 9166);
    assert_int_equal(e.score_tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(e.tier, CCHC__TIER__TIER_COMPLETED);
    assert_int_equal(e.late, 1);
    assert_int_equal(e.on_time, 0);
}

//  Overdue and undone with 1 of 2 outputs: a = 0.5, b = c = 0,
//  s = 500000 / 3 = 166666 -> 16.66, không hoàn thành, head accountable.
static void test_overdue_partial(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 2, 1000, NULL));
    OK(b_progress(b, "T1", 1, 20260120));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 1666);
    assert_int_equal(e.tier, CCHC__TIER__TIER_NOT_COMPLETED);
    assert_int_equal(e.par_group, 'D');
    assert_int_equal(e.overdue, 1);
    assert_int_equal(e.unmet, 1);
    assert_true(e.head_accountable);
    assert_false(e.eligible);
}

//  Not yet due and not done: in neither numerator nor denominator. Before
//  T1 came due the unit is unrated; after, only T1 counts.
static void test_not_due_excluded(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U1", "A1", 20261231, 1, 1000, NULL));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260115);
    assert_false(e.rated);
    assert_int_equal(e.tier, CCHC__TIER__TIER_UNRATED);
    done_on(b, "T1", 1, 20260120);
    e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.evaluated, 1);
    assert_int_equal(e.score_centi, 10000);
    //  a task done early counts before its due date
    done_on(b, "T2", 1, 20260401);
    e = eval_at(b, "U1", 20260402);
    assert_int_equal(e.evaluated, 2);
}

//  Areas re-normalise: A1 (60) one task done on time, s = 1; A2 (40) one
//  task overdue with all outputs, a = 1, b = c = 0, s = 333333; A3 (30) has
//  no task: not applicable.
//  unit = (60 * 1000000 + 40 * 333333) / (60 + 40) = 73333320 / 100 = 733333
//  -> 73.33 tốt by score; on time 1 of 2 = 50 % -> Hoàn thành.
static void test_renormalised_areas(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U1", "A2", 20260131, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260120);
    OK(b_progress(b, "T2", 1, 20260120));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 7333);
    assert_int_equal(e.score_tier, CCHC__TIER__TIER_GOOD);
    assert_int_equal(e.tier, CCHC__TIER__TIER_COMPLETED);
    //  the explanation shows A3 not applicable and the gate sentence
    Cchc__Explanation x = CCHC__EXPLANATION__INIT;
    cchc_unit_evaluate(&rules, b_unit_get(b, "U1"), at9(20260320), &e, &x);
    assert_int_equal(x.n_areas, 3);
    assert_true(x.areas[0]->applicable);
    assert_int_equal(x.areas[1]->pct_ppm, 333333);
    assert_false(x.areas[2]->applicable);
    assert_int_equal(x.n_tasks, 2);
    assert_int_equal(x.tasks[0]->max_milli, 60000);    //  the area's 60 points, one task
    assert_int_equal(x.tasks[1]->earned_milli, 13333); //  40000 * 333333 / 1000000
    //  on time 1 of 2: 1 * 1000000 / 2 = 500000 -> "50,00%", threshold 800000 -> "80%"
    assert_int_equal(x.n_gates, 1);
    assert_string_equal(
        x.gates[0], "Không xếp loại Hoàn thành tốt: tỷ lệ nhiệm vụ hoàn thành đúng hạn 50,00%, dưới 80%.");
    cchc_explanation_clear(&x);
    //  the sentence names the threshold in force: 825000 ppm -> "82,50%"
    rules.gate_good_on_time_ppm = 825000;
    cchc_unit_evaluate(&rules, b_unit_get(b, "U1"), at9(20260320), &e, &x);
    assert_int_equal(x.n_gates, 1);
    assert_non_null(strstr(x.gates[0], "50,00%, dưới 82,50%."));
    cchc_explanation_clear(&x);
}

//  Conversion factors weight tasks within an area: T1 (factor 1.0) s = 1,
//  T2 (factor 3.0) overdue with nothing done, s = 0:
//  area = (1000 * 1000000 + 3000 * 0) / 4000 = 250000 -> 25.00.
static void test_conversion_factor(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U1", "A1", 20260131, 1, 3000, NULL));
    done_on(b, "T1", 1, 20260120);
    assert_int_equal(eval_at(b, "U1", 20260320).score_centi, 2500);
}

//  Bonus capped at 5 points, penalty subtracted: computed 16.66 (one
//  overdue task with 1/2 outputs) + min(8.00, 5.00) - 2.00 = 19.66.
static void test_bonus_cap_and_penalty(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 2, 1000, NULL));
    OK(b_progress(b, "T1", 1, 20260120));
    OK(b_adjust(b, "U1", 800, 200, 20260201));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.bonus_centi, 500);
    assert_int_equal(e.penalty_centi, 200);
    assert_int_equal(e.score_centi, 1966);
    //  clamped at 0: a penalty larger than the score
    OK(b_adjust(b, "U1", 0, 5000, 20260202));
    assert_int_equal(eval_at(b, "U1", 20260320).score_centi, 0);
}

//  An appraisal overrides the computed score; both are kept. Computed
//  16.66, appraised 80.00 -> tốt by score, on time 0 % -> Hoàn thành.
static void test_appraisal_override(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 2, 1000, NULL));
    OK(b_progress(b, "T1", 1, 20260120));
    OK(b_appraise(b, "U1", 8000, 20260301));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_true(e.appraised);
    assert_int_equal(e.score_centi, 8000);
    assert_int_equal(e.computed_centi, 1666);
    assert_int_equal(e.score_tier, CCHC__TIER__TIER_GOOD);
    assert_int_equal(e.tier, CCHC__TIER__TIER_COMPLETED);
}

//  xuất sắc by score but a task failed its review and was not redone yet:
//  one unmet task -> tốt. T1 done on time (100.00); T2 not due, in rework.
static void test_gate_unmet(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U1", "A1", 20261231, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260120);
    OK(b_submit(b, "T2", 20260301));
    OK(b_verify(b, "T2", false, 20260302));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 10000);
    assert_int_equal(e.unmet, 1);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
    Cchc__Explanation x = CCHC__EXPLANATION__INIT;
    cchc_unit_evaluate(&rules, b_unit_get(b, "U1"), at9(20260320), &e, &x);
    assert_int_equal(x.n_gates, 1);
    assert_string_equal(x.gates[0], "Không xếp loại Hoàn thành xuất sắc: còn 1 nhiệm vụ chưa đạt yêu cầu.");
    cchc_explanation_clear(&x);
}

//  Excused extension (objective, approved before the due date): on time.
//  Extension approved after the due date passed: one delay, 91.66.
static void test_extensions(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_deadline(b, "T1", 20260228, true, 20260125));
    done_on(b, "T1", 1, 20260220);
    assert_int_equal(eval_at(b, "U1", 20260320).score_centi, 10000);
    OK(b_task(b, "T2", "U2", "A1", 20260131, 1, 1000, NULL));
    OK(b_deadline(b, "T2", 20260228, true, 20260205));
    done_on(b, "T2", 1, 20260220);
    cchc_unit_eval_t e = eval_at(b, "U2", 20260320);
    assert_int_equal(e.score_centi, 9166);
    assert_int_equal(e.late, 1);
}

//  A deadline changed after the date passed while the task waited for
//  verification of a submission made before that date (found by
//  test_scoring_property). U1's T1: submitted 25/01, due 31/01 passed on
//  the reviewer's desk, changed on 05/02 to 28/02, verified on 06/02: done
//  as of 25/01, before 31/01 ended: the reviewer's pace does not make a
//  unit late, no delay, 100.00, on time. U2's T2: the same, but the
//  verification fails: the resubmission on 10/02 comes after 31/01, which
//  was missed: one delay (the new date 28/02 is met) and one failed review:
//  s = (1 000 000 + 750 000 + 750 000) / 3 = 833 333 -> 83.33, late.
static void test_late_change_awaiting_verification(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_progress(b, "T1", 1, 20260125));
    OK(b_submit(b, "T1", 20260125));
    OK(b_deadline(b, "T1", 20260228, false, 20260205));
    OK(b_verify(b, "T1", true, 20260206));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 10000);
    assert_int_equal(e.on_time, 1);
    assert_int_equal(e.late, 0);
    assert_int_equal(cchc_task_delays(b_task_get(b, "T1"), at9(20260320)), 0);

    OK(b_task(b, "T2", "U2", "A1", 20260131, 1, 1000, NULL));
    OK(b_progress(b, "T2", 1, 20260125));
    OK(b_submit(b, "T2", 20260125));
    OK(b_deadline(b, "T2", 20260228, true, 20260205));
    assert_int_equal(cchc_task_delays(b_task_get(b, "T2"), at9(20260205)), 1); //  open: 31/01 missed so far
    OK(b_verify(b, "T2", false, 20260206));
    OK(b_submit(b, "T2", 20260210));
    OK(b_verify(b, "T2", true, 20260211));
    e = eval_at(b, "U2", 20260320);
    assert_int_equal(e.score_centi, 8333);
    assert_int_equal(e.on_time, 0);
    assert_int_equal(e.late, 1);
    assert_int_equal(cchc_task_delays(b_task_get(b, "T2"), at9(20260320)), 1);
}

//  Paused and cancelled tasks are out of the evaluation base.
static void test_paused_cancelled(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T3", "U1", "A1", 20260131, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260120);
    OK(b_pause(b, "T2", 20260125));
    OK(b_cancel(b, "T3", 20260125));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.evaluated, 1);
    assert_int_equal(e.score_centi, 10000);
    assert_int_equal(e.unmet, 0);
}

//  Ranking order: score desc, then on-time desc, then overdue asc, then code.
static void test_tie_breaks(void **state)
{
    (void)state;
    cchc_unit_eval_t a = {.rated = true, .score_centi = 8000, .on_time_ppm = 500000, .overdue = 1};
    cchc_unit_eval_t b = a, c = a, d = a, u = {0};
    b.on_time_ppm = 600000; //  better on-time: ahead of a
    c.overdue = 0;          //  fewer overdue: ahead of a
    d.score_centi = 8001;   //  higher score: ahead of everyone
    assert_true(cchc_eval_compare(&b, "B", &a, "A") < 0);
    assert_true(cchc_eval_compare(&c, "C", &a, "A") < 0);
    assert_true(cchc_eval_compare(&d, "D", &b, "B") < 0);
    assert_true(cchc_eval_compare(&a, "A", &a, "Z") < 0); //  finally the code
    assert_true(cchc_eval_compare(&u, "A", &a, "Z") > 0); //  unrated last
}

//  Head accountable at year end for an unmet task even with a good score.
static void test_year_end_accountability(void **state)
{
    builder_t *b = *state;
    for (int i = 0; i < 9; i++) {
        char code[8];
        snprintf(code, sizeof(code), "T%d", i);
        OK(b_task(b, code, "U1", "A1", 20261130, 1, 1000, NULL));
        done_on(b, code, 1, 20261120);
    }
    OK(b_task(b, "LATE", "U1", "A1", 20261215, 1, 1000, NULL));
    //  9 of 10 on time, LATE overdue with nothing done: s = 0
    //  area = 9 * 1000000 / 10 = 900000 -> 90.00, but unmet 1 -> tốt
    cchc_unit_eval_t e = eval_at(b, "U1", 20261220);
    assert_int_equal(e.score_centi, 9000);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
    assert_false(e.head_accountable);
    e = eval_at(b, "U1", 20270102);
    assert_true(e.head_accountable);
    assert_false(e.eligible);
    Cchc__Explanation x = CCHC__EXPLANATION__INIT;
    cchc_unit_evaluate(&rules, b_unit_get(b, "U1"), at9(20270102), &e, &x);
    assert_int_equal(x.n_gates, 2); //  the xuất sắc gate, then accountability
    assert_string_equal(x.gates[1],
                        "Người đứng đầu chịu trách nhiệm trước Chủ tịch UBND phường: hết năm 2026 "
                        "còn 1 nhiệm vụ chưa đạt yêu cầu; không đủ điều kiện xét thi đua.");
    cchc_explanation_clear(&x);
}

//  An appraisal of 95.00 before any task came due: no on-time rate exists
//  (0 tasks evaluated), so the tốt gate does not apply -> xuất sắc, group A.
static void test_appraised_before_any_due_task(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20261231, 1, 1000, NULL));
    OK(b_appraise(b, "U1", 9500, 20260301));
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.evaluated, 0);
    assert_int_equal(e.score_centi, 9500);
    assert_int_equal(e.computed_centi, 0);
    assert_int_equal(e.tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(e.par_group, 'A');
    assert_true(e.eligible);
}

// ---------------------------------------------------------------------------
//  Rankings (ranking.h)

//  Fold an event the way the service does, returning what it touched.
static cchc_touch_t apply_touched(builder_t *b, Cchc__Event *ev, int32_t day)
{
    cchc_err_t err;
    cchc_err_clear(&err);
    if (!ev->ward)
        ev->ward = "W";
    ev->actor = "ward";
    assert_int_equal(cchc_model_check(b->model, ev, at9(day), &err), 0);
    ev->has_seq = ev->has_log_time_ms = true;
    ev->seq = ++b->seq;
    ev->log_time_ms = at9(day);
    cchc_touch_t touch;
    assert_int_equal(cchc_model_apply(b->model, ev, &touch), 0);
    return touch;
}

static cchc_touch_t adjust_touched(builder_t *b, const char *unit, int bonus, int penalty, int32_t day)
{
    Cchc__Adjustment a = CCHC__ADJUSTMENT__INIT;
    a.unit = (char *)unit;
    a.has_bonus_centi = a.has_penalty_centi = true;
    a.bonus_centi = bonus;
    a.penalty_centi = penalty;
    a.reason = "Điều chỉnh";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
    ev.adjustment = &a;
    return apply_touched(b, &ev, day);
}

static cchc_touch_t appraise_touched(builder_t *b, const char *unit, int score, int32_t day)
{
    Cchc__AppraisalRecorded a = CCHC__APPRAISAL_RECORDED__INIT;
    a.unit = (char *)unit;
    a.has_score_centi = true;
    a.score_centi = score;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.payload_case = CCHC__EVENT__PAYLOAD_APPRAISAL;
    ev.appraisal = &a;
    return apply_touched(b, &ev, day);
}

static cchc_touch_t clock_touched(builder_t *b, int32_t day)
{
    Cchc__ClockAdvanced c = CCHC__CLOCK_ADVANCED__INIT;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "";
    ev.payload_case = CCHC__EVENT__PAYLOAD_CLOCK;
    ev.clock = &c;
    return apply_touched(b, &ev, day);
}

static cchc_touch_t unit_touched(builder_t *b, const char *code, int32_t day)
{
    Cchc__UnitRegistered u = CCHC__UNIT_REGISTERED__INIT;
    u.code = (char *)code;
    u.name = (char *)code;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
    ev.unit_registered = &u;
    return apply_touched(b, &ev, day);
}

static const char *code_at(const cchc_ranking_t *ranking, builder_t *b, size_t position)
{
    const cchc_unit_t *u = cchc_ranking_unit_at(ranking, cchc_model_ward(b->model, "W"), position);
    return u ? u->rec->def->code : "(none)";
}

static uint32_t rank_of(const cchc_ranking_t *ranking, builder_t *b, const char *unit)
{
    uint32_t rank = 0;
    assert_non_null(cchc_ranking_eval(ranking, b_unit_get(b, unit), &rank));
    return rank;
}

static const Cchc__RankChanged *change_of(const cchc_rank_changes_t *changes, const char *unit)
{
    for (size_t i = 0; i < changes->count; i++)
        if (strcmp(changes->items[i]->unit, unit) == 0)
            return changes->items[i];
    return NULL;
}

//  The full order through the model, ties broken by on-time %, then fewer
//  overdue, then code; unrated last. Appraisals make the scores equal:
//    U6 81.00 (T6 overdue)                               -> 1 (highest score)
//    U1 80.00, T1 done on time: on time 1/1 = 100 %       -> 2
//    U2 80.00, T2 done late: on time 0 %, overdue 0       -> 3 (code U2 < U4)
//    U4 80.00, T4 done late: on time 0 %, overdue 0       -> 4
//    U3 80.00, T3 overdue: on time 0 %, overdue 1         -> 5
//    U5 no task, no appraisal: unrated                    -> 6
static void test_ranking_order(void **state)
{
    builder_t *b = *state;
    b_unit(b, "U4", "H4", NULL);
    b_unit(b, "U5", "H5", NULL);
    b_unit(b, "U6", "H6", NULL);
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U2", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T3", "U3", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T4", "U4", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T6", "U6", "A1", 20260131, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260120);
    done_on(b, "T2", 1, 20260210);
    done_on(b, "T4", 1, 20260210);
    OK(b_appraise(b, "U1", 8000, 20260301));
    OK(b_appraise(b, "U2", 8000, 20260301));
    OK(b_appraise(b, "U3", 8000, 20260301));
    OK(b_appraise(b, "U4", 8000, 20260301));
    OK(b_appraise(b, "U6", 8100, 20260301));
    OK(b_clock(b, 20260320));
    cchc_ranking_t *ranking = cchc_ranking_new(&rules);
    cchc_ranking_rank_all(ranking, b->model);
    const char *expected[] = {"U6", "U1", "U2", "U4", "U3", "U5"};
    assert_int_equal(cchc_ranking_size(ranking, cchc_model_ward(b->model, "W")), 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(code_at(ranking, b, i), expected[i]);
        assert_int_equal(rank_of(ranking, b, expected[i]), i + 1);
    }
    assert_null(cchc_ranking_unit_at(ranking, cchc_model_ward(b->model, "W"), 6));
    cchc_ranking_destroy(&ranking);
    assert_null(ranking);
    assert_null(cchc_model_ward(b->model, "W")->user); //  nothing left in the model
}

//  Incremental updates and the RankChanged records they produce.
//  U1: T1 done on time -> 100.00; U2: T2 done on time -> 100.00;
//  U3: T3 due 28/02, nothing done. At 15/02 U3 is unrated:
//  order U1, U2 (code), U3.
static void test_ranking_changes(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U2", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T3", "U3", "A1", 20260228, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260120);
    done_on(b, "T2", 1, 20260121);
    OK(b_clock(b, 20260215));
    cchc_ranking_t *ranking = cchc_ranking_new(&rules);
    cchc_rank_changes_t changes = {0};
    cchc_ranking_rank_all(ranking, b->model);
    assert_string_equal(code_at(ranking, b, 0), "U1");
    assert_string_equal(code_at(ranking, b, 2), "U3");

    //  1. A 10.00 penalty for U1 at the same log time (the clock does not
    //  move): U1 10000 - 1000 = 9000 (still xuất sắc: 9000 >= 9000, on time
    //  100 %), falls to 2; U2 rises to 1; U3 unchanged -> no record.
    cchc_touch_t t = adjust_touched(b, "U1", 0, 1000, 20260215);
    assert_false(t.clock);
    cchc_ranking_note(ranking, &t);
    cchc_ranking_update(ranking, b->model, 101, &changes);
    assert_int_equal(changes.count, 2);
    const Cchc__RankChanged *c = change_of(&changes, "U1");
    assert_non_null(c);
    assert_string_equal(c->ward, "W");
    assert_int_equal(c->old_rank, 1);
    assert_int_equal(c->new_rank, 2);
    assert_int_equal(c->old_score_centi, 10000);
    assert_int_equal(c->new_score_centi, 9000);
    assert_int_equal(c->old_tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(c->new_tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(c->seq, 101);
    c = change_of(&changes, "U2");
    assert_non_null(c);
    assert_int_equal(c->old_rank, 2);
    assert_int_equal(c->new_rank, 1);
    assert_int_equal(c->old_score_centi, c->new_score_centi);
    cchc_rank_changes_clear(&changes);

    //  2. The clock reaches 01/03: T3 (due 28/02) came due undone, a = b =
    //  c = 0 -> U3 rated 0.00, không hoàn thành; its rank (3) and score (0)
    //  stay, its tier changes -> one record. U1 and U2 re-evaluated, unchanged.
    t = clock_touched(b, 20260301);
    assert_true(t.clock);
    cchc_ranking_note(ranking, &t);
    cchc_ranking_update(ranking, b->model, 102, &changes);
    assert_int_equal(changes.count, 1);
    c = change_of(&changes, "U3");
    assert_non_null(c);
    assert_int_equal(c->old_rank, 3);
    assert_int_equal(c->new_rank, 3);
    assert_int_equal(c->old_tier, CCHC__TIER__TIER_UNRATED);
    assert_int_equal(c->new_tier, CCHC__TIER__TIER_NOT_COMPLETED);
    cchc_rank_changes_clear(&changes);

    //  3. Only what was noted is re-evaluated: U3's appraisal (95.00) is
    //  folded but its touch held back; a 5.00 penalty on U2 is noted.
    //  U2 10000 - 500 = 9500 keeps rank 1 (U1 9000); U3 still shows 0.
    cchc_touch_t held = appraise_touched(b, "U3", 9500, 20260301);
    t = adjust_touched(b, "U2", 0, 500, 20260301);
    cchc_ranking_note(ranking, &t);
    cchc_ranking_update(ranking, b->model, 104, &changes);
    assert_int_equal(changes.count, 1);
    assert_int_equal(change_of(&changes, "U2")->new_score_centi, 9500);
    uint32_t rank = 0;
    assert_int_equal(cchc_ranking_eval(ranking, b_unit_get(b, "U3"), &rank)->score_centi, 0);
    assert_int_equal(rank, 3);
    cchc_rank_changes_clear(&changes);
    //  Noting it now: U3 9500 ties U2 9500; on time U2 1/1 = 100 % beats U3
    //  0/1 = 0 % -> U2 1, U3 2 (from 3), U1 3 (from 2). Tier of U3: 9500 is
    //  xuất sắc by score, but T3 is unmet -> tốt, then on time 0 % < 80 %
    //  -> hoàn thành.
    cchc_ranking_note(ranking, &held);
    cchc_ranking_update(ranking, b->model, 104, &changes);
    assert_int_equal(changes.count, 2);
    c = change_of(&changes, "U3");
    assert_int_equal(c->old_rank, 3);
    assert_int_equal(c->new_rank, 2);
    assert_int_equal(c->new_score_centi, 9500);
    assert_int_equal(c->new_tier, CCHC__TIER__TIER_COMPLETED);
    c = change_of(&changes, "U1");
    assert_int_equal(c->old_rank, 2);
    assert_int_equal(c->new_rank, 3);
    cchc_rank_changes_clear(&changes);

    //  4. A unit registered later is first ranked: old rank 0, unrated, last.
    t = unit_touched(b, "U9", 20260302);
    cchc_ranking_note(ranking, &t);
    cchc_ranking_update(ranking, b->model, 105, &changes);
    c = change_of(&changes, "U9");
    assert_non_null(c);
    assert_int_equal(c->old_rank, 0);
    assert_int_equal(c->new_rank, 4);
    assert_int_equal(c->new_tier, CCHC__TIER__TIER_UNRATED);
    assert_int_equal(changes.count, 1);

    //  5. Nothing noted: nothing produced.
    cchc_rank_changes_clear(&changes);
    cchc_ranking_update(ranking, b->model, 106, &changes);
    assert_int_equal(changes.count, 0);
    cchc_rank_changes_free(&changes);
    cchc_ranking_destroy(&ranking);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_all_on_time),
        T(test_failed_review),
        T(test_late_task_and_cumulative_gate),
        T(test_overdue_partial),
        T(test_not_due_excluded),
        T(test_renormalised_areas),
        T(test_conversion_factor),
        T(test_bonus_cap_and_penalty),
        T(test_appraisal_override),
        T(test_gate_unmet),
        T(test_extensions),
        T(test_late_change_awaiting_verification),
        T(test_paused_cancelled),
        T(test_tie_breaks),
        T(test_year_end_accountability),
        T(test_appraised_before_any_due_task),
        T(test_ranking_order),
        T(test_ranking_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
