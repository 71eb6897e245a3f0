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
#include "rules.h"

static cchc_rules_t rules;

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
    assert_int_equal(b_progress(b, task, outputs, day), 0);
    assert_int_equal(b_submit(b, task, day), 0);
    assert_int_equal(b_verify(b, task, true, day), 0);
}

//  Two tasks of one area, both done on time with all outputs:
//  s = (1 + 1 + 1) / 3 = 1 each -> area 100 % -> 100.00, xuất sắc, group A.
static void test_all_on_time(void **state)
{
    builder_t *b = *state;
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
    b_task(b, "T2", "U1", "A1", 20260228, 2, 1000, NULL);
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
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
    b_progress(b, "T1", 1, 20260110);
    b_submit(b, "T1", 20260110);
    b_verify(b, "T1", false, 20260111);
    //  while in rework the task is unmet even before its due date
    assert_int_equal(eval_at(b, "U1", 20260112).unmet, 1);
    b_submit(b, "T1", 20260115);
    b_verify(b, "T1", true, 20260116);
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 9166);
    assert_int_equal(e.tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(e.unmet, 0);
}

//  Done 10 days late (submitted 10/02, due 31/01): one delay, c = 0.75,
//  s = 2750000 / 3 = 916666 -> 91.66 by score; 0 % on time -> the tốt gate
//  (>= 80 % on time) applies to xuất sắc too -> Hoàn thành.
static void test_late_task_and_cumulative_gate(void **state)
{
    builder_t *b = *state;
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
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
    b_task(b, "T1", "U1", "A1", 20260131, 2, 1000, NULL);
    b_progress(b, "T1", 1, 20260120);
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
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
    b_task(b, "T2", "U1", "A1", 20261231, 1, 1000, NULL);
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
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
    b_task(b, "T2", "U1", "A2", 20260131, 1, 1000, NULL);
    done_on(b, "T1", 1, 20260120);
    b_progress(b, "T2", 1, 20260120);
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
    assert_int_equal(x.n_gates, 1);
    assert_non_null(strstr(x.gates[0], "50,00%"));
    cchc_explanation_clear(&x);
}

//  Conversion factors weight tasks within an area: T1 (factor 1.0) s = 1,
//  T2 (factor 3.0) overdue with nothing done, s = 0:
//  area = (1000 * 1000000 + 3000 * 0) / 4000 = 250000 -> 25.00.
static void test_conversion_factor(void **state)
{
    builder_t *b = *state;
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
    b_task(b, "T2", "U1", "A1", 20260131, 1, 3000, NULL);
    done_on(b, "T1", 1, 20260120);
    assert_int_equal(eval_at(b, "U1", 20260320).score_centi, 2500);
}

//  Bonus capped at 5 points, penalty subtracted: computed 16.66 (one
//  overdue task with 1/2 outputs) + min(8.00, 5.00) - 2.00 = 19.66.
static void test_bonus_cap_and_penalty(void **state)
{
    builder_t *b = *state;
    b_task(b, "T1", "U1", "A1", 20260131, 2, 1000, NULL);
    b_progress(b, "T1", 1, 20260120);
    b_adjust(b, "U1", 800, 200, 20260201);
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.bonus_centi, 500);
    assert_int_equal(e.penalty_centi, 200);
    assert_int_equal(e.score_centi, 1966);
    //  clamped at 0: a penalty larger than the score
    b_adjust(b, "U1", 0, 5000, 20260202);
    assert_int_equal(eval_at(b, "U1", 20260320).score_centi, 0);
}

//  An appraisal overrides the computed score; both are kept. Computed
//  16.66, appraised 80.00 -> tốt by score, on time 0 % -> Hoàn thành.
static void test_appraisal_override(void **state)
{
    builder_t *b = *state;
    b_task(b, "T1", "U1", "A1", 20260131, 2, 1000, NULL);
    b_progress(b, "T1", 1, 20260120);
    b_appraise(b, "U1", 8000, 20260301);
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
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
    b_task(b, "T2", "U1", "A1", 20261231, 1, 1000, NULL);
    done_on(b, "T1", 1, 20260120);
    b_submit(b, "T2", 20260301);
    b_verify(b, "T2", false, 20260302);
    cchc_unit_eval_t e = eval_at(b, "U1", 20260320);
    assert_int_equal(e.score_centi, 10000);
    assert_int_equal(e.unmet, 1);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
}

//  Excused extension (objective, approved before the due date): on time.
//  Extension approved after the due date passed: one delay, 91.66.
static void test_extensions(void **state)
{
    builder_t *b = *state;
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
    b_deadline(b, "T1", 20260228, true, 20260125);
    done_on(b, "T1", 1, 20260220);
    assert_int_equal(eval_at(b, "U1", 20260320).score_centi, 10000);
    b_task(b, "T2", "U2", "A1", 20260131, 1, 1000, NULL);
    b_deadline(b, "T2", 20260228, true, 20260205);
    done_on(b, "T2", 1, 20260220);
    cchc_unit_eval_t e = eval_at(b, "U2", 20260320);
    assert_int_equal(e.score_centi, 9166);
    assert_int_equal(e.late, 1);
}

//  Paused and cancelled tasks are out of the evaluation base.
static void test_paused_cancelled(void **state)
{
    builder_t *b = *state;
    b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL);
    b_task(b, "T2", "U1", "A1", 20260131, 1, 1000, NULL);
    b_task(b, "T3", "U1", "A1", 20260131, 1, 1000, NULL);
    done_on(b, "T1", 1, 20260120);
    b_pause(b, "T2", 20260125);
    b_cancel(b, "T3", 20260125);
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
        b_task(b, code, "U1", "A1", 20261130, 1, 1000, NULL);
        done_on(b, code, 1, 20261120);
    }
    b_task(b, "LATE", "U1", "A1", 20261215, 1, 1000, NULL);
    //  9 of 10 on time, LATE overdue with nothing done: s = 0
    //  area = 9 * 1000000 / 10 = 900000 -> 90.00, but unmet 1 -> tốt
    cchc_unit_eval_t e = eval_at(b, "U1", 20261220);
    assert_int_equal(e.score_centi, 9000);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
    assert_false(e.head_accountable);
    e = eval_at(b, "U1", 20270102);
    assert_true(e.head_accountable);
    assert_false(e.eligible);
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
        T(test_paused_cancelled),
        T(test_tie_breaks),
        T(test_year_end_accountability),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
