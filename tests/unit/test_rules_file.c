/*  test_rules_file.c - the scoring rules as a rules file (rules_file.h):
    the shipped file equals the built-in defaults; each setting changed in
    a file changes the result as computed by hand in the comment beside it
    (PPM = 10^6, floor division everywhere); each kind of invalid file is
    refused with the right line; a reload with a bad file keeps the rules
    in force, a good one re-ranks every ward. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "clock.h"
#include "ranking.h"
#include "rules.h"
#include "rules_file.h"

#define OK(call) assert_int_equal((call), CCHC__ERROR_CODE__ERR_NONE)

//  Each test's rules file (a temporary file, removed by the teardown).
static char path[64];

//  Ward: areas A1 (60), A2 (40), A3 (30); units U1..U3; as test_rules.c.
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
    snprintf(path, sizeof(path), "/tmp/cchc-rules-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    *state = &b;
    return 0;
}

static int teardown(void **state)
{
    builder_free(*state);
    unlink(path);
    return 0;
}

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

//  The rules of a file that must load.
static cchc_rules_t rules_of(const char *text)
{
    write_file(text);
    cchc_rules_t r;
    char err[512] = "";
    if (cchc_rules_load(path, &r, err, sizeof(err)) != 0)
        fail_msg("refused: %s", err);
    return r;
}

static cchc_unit_eval_t eval_with(const cchc_rules_t *r, builder_t *b, const char *unit, int32_t day)
{
    cchc_unit_eval_t e;
    cchc_unit_evaluate(r, b_unit_get(b, unit), at9(day), &e, NULL);
    return e;
}

static void done_on(builder_t *b, const char *task, int outputs, int32_t day)
{
    OK(b_progress(b, task, outputs, day));
    OK(b_submit(b, task, day));
    OK(b_verify(b, task, true, day));
}

// ---------------------------------------------------------------------------
//  Scenarios the settings are tried on (defaults computed in test_rules.c)

//  U1: T1 passed its review the second time, on time: b = 0.75,
//  s = (1000000 + 750000 + 1000000) / 3 = 916666 -> 91.66, xuất sắc, A.
static void one_failed_review(builder_t *b)
{
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_progress(b, "T1", 1, 20260110));
    OK(b_submit(b, "T1", 20260110));
    OK(b_verify(b, "T1", false, 20260111));
    OK(b_submit(b, "T1", 20260115));
    OK(b_verify(b, "T1", true, 20260116));
}

//  U1: T1 done 10 days late: c = 0.75, s = 916666 -> 91.66; on time 0 %.
static void one_late(builder_t *b)
{
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260210);
}

//  U1: T1 overdue, 1 of 2 outputs: a = 0.5, b = c = 0, s = 166666 -> 16.66.
static void overdue_partial(builder_t *b)
{
    OK(b_task(b, "T1", "U1", "A1", 20260131, 2, 1000, NULL));
    OK(b_progress(b, "T1", 1, 20260120));
}

// ---------------------------------------------------------------------------
//  The shipped file and the defaults

//  deploy/config/rules.ini loads and gives exactly the built-in defaults.
static void test_shipped_file_is_the_defaults(void **state)
{
    (void)state;
    cchc_rules_t shipped, defaults;
    memset(&shipped, 0xAB, sizeof(shipped));
    cchc_rules_default(&defaults);
    char err[512] = "";
    int rc = cchc_rules_load(CCHC_SOURCE_DIR "/deploy/config/rules.ini", &shipped, err, sizeof(err));
    if (rc != 0)
        fail_msg("shipped rules refused: %s", err);
    assert_true(cchc_rules_equal(&shipped, &defaults));
    assert_int_equal(cchc_rules_check(&defaults, err, sizeof(err)), 0);
    //  and the equality can fail
    shipped.par_c_centi++;
    assert_false(cchc_rules_equal(&shipped, &defaults));
}

//  An empty file (or one of comments) is the defaults.
static void test_empty_file_is_the_defaults(void **state)
{
    (void)state;
    cchc_rules_t defaults;
    cchc_rules_default(&defaults);
    cchc_rules_t r = rules_of("; nothing set\n\n[tiers]\n");
    assert_true(cchc_rules_equal(&r, &defaults));
}

//  What cchc_rules_write prints reads back to the same rules, decimals too.
static void test_write_reads_back(void **state)
{
    (void)state;
    cchc_rules_t r = rules_of("[tiers]\nexcellent = 92.5\ngood = 70.05\n"
                              "[components]\nquality_weight = 0.125\nprogress_deduction = 12.3456\n"
                              "[gates]\nexcellent_max_unmet = 3\n");
    assert_int_equal(r.tier_excellent_centi, 9250);
    assert_int_equal(r.tier_good_centi, 7005);
    assert_int_equal(r.quality_weight_milli, 125);
    assert_int_equal(r.progress_deduction_ppm, 123456);
    assert_int_equal(r.gate_excellent_max_unmet, 3);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    cchc_rules_write(&r, f);
    fclose(f);
    cchc_rules_t back;
    char err[512] = "";
    if (cchc_rules_load(path, &back, err, sizeof(err)) != 0)
        fail_msg("written rules refused: %s", err);
    assert_true(cchc_rules_equal(&r, &back));
}

// ---------------------------------------------------------------------------
//  Each setting changes the result

//  [tiers] excellent = 92: 91.66 < 92 -> tốt (default: xuất sắc).
static void test_tier_excellent(void **state)
{
    builder_t *b = *state;
    one_failed_review(b);
    cchc_rules_t d;
    cchc_rules_default(&d);
    assert_int_equal(eval_with(&d, b, "U1", 20260320).tier, CCHC__TIER__TIER_EXCELLENT);
    cchc_rules_t r = rules_of("[tiers]\nexcellent = 92\n");
    cchc_unit_eval_t e = eval_with(&r, b, "U1", 20260320);
    assert_int_equal(e.score_centi, 9166);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
}

//  Three failed reviews, on time: b = 1 - 0.75 = 0.25,
//  s = (1000000 + 250000 + 1000000) / 3 = 750000 -> 75.00, tốt by default;
//  [tiers] good = 76 -> hoàn thành.
static void test_tier_good(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_progress(b, "T1", 1, 20260105));
    for (int i = 0; i < 3; i++) {
        OK(b_submit(b, "T1", 20260106 + 2 * i));
        OK(b_verify(b, "T1", false, 20260107 + 2 * i));
    }
    OK(b_submit(b, "T1", 20260115));
    OK(b_verify(b, "T1", true, 20260116));
    cchc_rules_t d;
    cchc_rules_default(&d);
    cchc_unit_eval_t e = eval_with(&d, b, "U1", 20260320);
    assert_int_equal(e.score_centi, 7500);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
    cchc_rules_t r = rules_of("[tiers]\ngood = 76\n");
    assert_int_equal(eval_with(&r, b, "U1", 20260320).tier, CCHC__TIER__TIER_COMPLETED);
}

//  [tiers] completed = 10: 16.66 >= 10 -> hoàn thành (default: không hoàn
//  thành), and the head is no longer accountable.
static void test_tier_completed(void **state)
{
    builder_t *b = *state;
    overdue_partial(b);
    cchc_rules_t r = rules_of("[tiers]\ncompleted = 10\n");
    cchc_unit_eval_t e = eval_with(&r, b, "U1", 20260320);
    assert_int_equal(e.score_centi, 1666);
    assert_int_equal(e.tier, CCHC__TIER__TIER_COMPLETED);
    assert_false(e.head_accountable);
    assert_true(e.eligible);
}

//  [components] quantity_weight = 2 on the overdue task (a = 0.5):
//  s = (2000 * 500000 + 1000 * 0 + 1000 * 0) / 4000 = 250000 -> 25.00.
static void test_quantity_weight(void **state)
{
    builder_t *b = *state;
    overdue_partial(b);
    cchc_rules_t r = rules_of("[components]\nquantity_weight = 2\n");
    assert_int_equal(eval_with(&r, b, "U1", 20260320).score_centi, 2500);
}

//  [components] quality_weight = 2 on the failed review (b = 0.75):
//  s = (1000000 + 2 x 750000 + 1000000) / 4 = 875000 -> 87.50, tốt.
static void test_quality_weight(void **state)
{
    builder_t *b = *state;
    one_failed_review(b);
    cchc_rules_t r = rules_of("[components]\nquality_weight = 2\n");
    cchc_unit_eval_t e = eval_with(&r, b, "U1", 20260320);
    assert_int_equal(e.score_centi, 8750);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
}

//  [components] progress_weight = 0.5 on the late task (c = 0.75):
//  s = (1000 x 1000000 + 1000 x 1000000 + 500 x 750000) / 2500
//    = 2375000000 / 2500 = 950000 -> 95.00.
static void test_progress_weight(void **state)
{
    builder_t *b = *state;
    one_late(b);
    cchc_rules_t r = rules_of("[components]\nprogress_weight = 0.5\n");
    assert_int_equal(eval_with(&r, b, "U1", 20260320).score_centi, 9500);
}

//  [components] quality_deduction = 10: b = 0.9, s = 2900000 / 3 = 966666 -> 96.66.
static void test_quality_deduction(void **state)
{
    builder_t *b = *state;
    one_failed_review(b);
    cchc_rules_t r = rules_of("[components]\nquality_deduction = 10\n");
    assert_int_equal(eval_with(&r, b, "U1", 20260320).score_centi, 9666);
}

//  [components] progress_deduction = 40: c = 0.6, s = 2600000 / 3 = 866666 -> 86.66.
static void test_progress_deduction(void **state)
{
    builder_t *b = *state;
    one_late(b);
    cchc_rules_t r = rules_of("[components]\nprogress_deduction = 40\n");
    assert_int_equal(eval_with(&r, b, "U1", 20260320).score_centi, 8666);
}

//  A1 task done on time (s = 1), A2 task overdue with all outputs
//  (s = 333333): unit = (60 x 1000000 + 40 x 333333) / 100 = 733333 -> 73.33,
//  tốt by score; on time 1 of 2 = 50 % < 80 % -> hoàn thành by default;
//  [gates] good_min_on_time = 50 -> tốt.
static void test_gate_good_on_time(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U1", "A2", 20260131, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260120);
    OK(b_progress(b, "T2", 1, 20260120));
    cchc_rules_t d;
    cchc_rules_default(&d);
    assert_int_equal(eval_with(&d, b, "U1", 20260320).tier, CCHC__TIER__TIER_COMPLETED);
    cchc_rules_t r = rules_of("[gates]\ngood_min_on_time = 50\n");
    cchc_unit_eval_t e = eval_with(&r, b, "U1", 20260320);
    assert_int_equal(e.score_centi, 7333);
    assert_int_equal(e.on_time_ppm, 500000);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
}

//  Nine tasks on time (s = 1) and one late (s = 916666), one area:
//  area = (9 x 1000 x 1000000 + 1000 x 916666) / 10000 = 991666 -> 99.16;
//  on time 9 / 10 = 90 %: xuất sắc by default; [gates]
//  excellent_min_on_time = 95 -> tốt, with the sentence naming 95 %.
static void test_gate_excellent_on_time(void **state)
{
    builder_t *b = *state;
    for (int i = 0; i < 10; i++) {
        char code[8];
        snprintf(code, sizeof(code), "T%d", i);
        OK(b_task(b, code, "U1", "A1", 20260131, 1, 1000, NULL));
        done_on(b, code, 1, i < 9 ? 20260120 : 20260210);
    }
    cchc_rules_t d;
    cchc_rules_default(&d);
    cchc_unit_eval_t e = eval_with(&d, b, "U1", 20260320);
    assert_int_equal(e.score_centi, 9916);
    assert_int_equal(e.tier, CCHC__TIER__TIER_EXCELLENT);
    cchc_rules_t r = rules_of("[gates]\nexcellent_min_on_time = 95\n");
    Cchc__Explanation x = CCHC__EXPLANATION__INIT;
    cchc_unit_evaluate(&r, b_unit_get(b, "U1"), at9(20260320), &e, &x);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
    assert_int_equal(x.n_gates, 1);
    assert_string_equal(
        x.gates[0],
        "Không xếp loại Hoàn thành xuất sắc: tỷ lệ nhiệm vụ hoàn thành đúng hạn 90,00%, dưới 95%.");
    cchc_explanation_clear(&x);
    //  Floors 95 and 92 both missed: one sentence each -> hoàn thành.
    r = rules_of("[gates]\ngood_min_on_time = 92\nexcellent_min_on_time = 95\n");
    cchc_unit_evaluate(&r, b_unit_get(b, "U1"), at9(20260320), &e, &x);
    assert_int_equal(e.tier, CCHC__TIER__TIER_COMPLETED);
    assert_int_equal(x.n_gates, 2);
    assert_string_equal(
        x.gates[1], "Không xếp loại Hoàn thành tốt: tỷ lệ nhiệm vụ hoàn thành đúng hạn 90,00%, dưới 92%.");
    cchc_explanation_clear(&x);
}

//  T1 done on time (100.00), T2 not due but failed its review: one unmet
//  task -> tốt by default; [gates] excellent_max_unmet = 1 -> xuất sắc.
static void test_gate_excellent_max_unmet(void **state)
{
    builder_t *b = *state;
    OK(b_task(b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(b, "T2", "U1", "A1", 20261231, 1, 1000, NULL));
    done_on(b, "T1", 1, 20260120);
    OK(b_submit(b, "T2", 20260301));
    OK(b_verify(b, "T2", false, 20260302));
    cchc_rules_t d;
    cchc_rules_default(&d);
    assert_int_equal(eval_with(&d, b, "U1", 20260320).tier, CCHC__TIER__TIER_GOOD);
    cchc_rules_t r = rules_of("[gates]\nexcellent_max_unmet = 1\n");
    cchc_unit_eval_t e = eval_with(&r, b, "U1", 20260320);
    assert_int_equal(e.unmet, 1);
    assert_int_equal(e.tier, CCHC__TIER__TIER_EXCELLENT);
}

//  One task overdue, nothing done, when the plan year is over, the other
//  nine on time: 90.00, unmet 1 -> the head is accountable by default;
//  [accountability] year_end_max_unmet = 1 -> not accountable, eligible.
static void test_year_end_max_unmet(void **state)
{
    builder_t *b = *state;
    for (int i = 0; i < 9; i++) {
        char code[8];
        snprintf(code, sizeof(code), "T%d", i);
        OK(b_task(b, code, "U1", "A1", 20261130, 1, 1000, NULL));
        done_on(b, code, 1, 20261120);
    }
    OK(b_task(b, "LATE", "U1", "A1", 20261215, 1, 1000, NULL));
    cchc_rules_t d;
    cchc_rules_default(&d);
    assert_true(eval_with(&d, b, "U1", 20270102).head_accountable);
    cchc_rules_t r = rules_of("[accountability]\nyear_end_max_unmet = 1\n");
    cchc_unit_eval_t e = eval_with(&r, b, "U1", 20270102);
    assert_int_equal(e.score_centi, 9000);
    assert_int_equal(e.unmet, 1);
    assert_false(e.head_accountable);
    assert_true(e.eligible);
}

//  Bonus 8.00 on 16.66: default cap 5 -> 21.66; [bonus] cap = 7.5 -> 24.16.
static void test_bonus_cap(void **state)
{
    builder_t *b = *state;
    overdue_partial(b);
    OK(b_adjust(b, "U1", 800, 0, 20260201));
    cchc_rules_t d;
    cchc_rules_default(&d);
    assert_int_equal(eval_with(&d, b, "U1", 20260320).score_centi, 2166);
    cchc_rules_t r = rules_of("[bonus]\ncap = 7.5\n");
    cchc_unit_eval_t e = eval_with(&r, b, "U1", 20260320);
    assert_int_equal(e.bonus_centi, 750);
    assert_int_equal(e.score_centi, 2416);
}

//  PAR groups: 91.66 is A by default, B with a = 92; 16.66 is D by default,
//  C with c = 15; 75.00 (appraised) is C by default, B with b = 75.
static void test_par_groups(void **state)
{
    builder_t *b = *state;
    one_failed_review(b);
    OK(b_task(b, "T2", "U2", "A1", 20260131, 2, 1000, NULL));
    OK(b_progress(b, "T2", 1, 20260120));
    OK(b_appraise(b, "U3", 7500, 20260301));
    cchc_rules_t d;
    cchc_rules_default(&d);
    assert_int_equal(eval_with(&d, b, "U1", 20260320).par_group, 'A');
    assert_int_equal(eval_with(&d, b, "U2", 20260320).par_group, 'D');
    assert_int_equal(eval_with(&d, b, "U3", 20260320).par_group, 'C');
    cchc_rules_t r = rules_of("[par_groups]\na = 92\n");
    assert_int_equal(eval_with(&r, b, "U1", 20260320).par_group, 'B');
    r = rules_of("[par_groups]\nc = 15\n");
    assert_int_equal(eval_with(&r, b, "U2", 20260320).par_group, 'C');
    r = rules_of("[par_groups]\nb = 75\n");
    assert_int_equal(eval_with(&r, b, "U3", 20260320).par_group, 'B');
}

//  The worked example of docs/SCORING.md: Phòng Văn hóa - Xã hội (VHXH) of
//  the sample ward at 10/04/2026, with the sample's areas CDDH (15), THECHE
//  (10), TCBM (10) and its tasks due by April; the hand computation is in
//  the document. Defaults: 94.16, hoàn thành (66,66 % on time); with
//  good_min_on_time = 60: hoàn thành tốt.
static void test_docs_worked_example(void **state)
{
    builder_t *b = *state;
    b_area(b, "CDDH", 15);
    b_area(b, "THECHE", 10);
    b_area(b, "TCBM", 10);
    b_unit(b, "VHXH", "VHXH_TP", NULL);
    OK(b_task(b, "CCHC-25", "VHXH", "CDDH", 20260215, 1, 1000, NULL));
    OK(b_task(b, "CCHC-26", "VHXH", "CDDH", 20260228, 1, 1000, NULL));
    OK(b_task(b, "CCHC-28", "VHXH", "TCBM", 20260430, 1, 1500, NULL));
    OK(b_task(b, "CCHC-32", "VHXH", "THECHE", 20260331, 1, 1000, NULL));
    done_on(b, "CCHC-25", 1, 20260212);
    OK(b_progress(b, "CCHC-26", 1, 20260224));
    OK(b_submit(b, "CCHC-26", 20260225));
    OK(b_verify(b, "CCHC-26", false, 20260226));
    OK(b_submit(b, "CCHC-26", 20260227));
    OK(b_verify(b, "CCHC-26", true, 20260302));
    OK(b_progress(b, "CCHC-32", 1, 20260402));
    OK(b_submit(b, "CCHC-32", 20260403));
    OK(b_verify(b, "CCHC-32", true, 20260406));
    OK(b_progress(b, "CCHC-28", 0, 20260405));
    cchc_rules_t d;
    cchc_rules_default(&d);
    Cchc__Explanation x = CCHC__EXPLANATION__INIT;
    cchc_unit_eval_t e;
    cchc_unit_evaluate(&d, b_unit_get(b, "VHXH"), at9(20260410), &e, &x);
    assert_int_equal(e.evaluated, 3);
    assert_int_equal(e.on_time, 2);
    assert_int_equal(e.late, 1);
    assert_int_equal(e.on_time_ppm, 666666);
    assert_int_equal(e.score_centi, 9416);
    assert_int_equal(e.score_tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(e.tier, CCHC__TIER__TIER_COMPLETED);
    assert_int_equal(e.par_group, 'A');
    assert_false(e.head_accountable);
    //  areas in registration order: A1, A2, A3, CDDH, THECHE, TCBM
    assert_int_equal(x.areas[3]->pct_ppm, 958333);
    assert_int_equal(x.areas[4]->pct_ppm, 916666);
    assert_false(x.areas[5]->applicable);
    //  tasks: CCHC-25, -26, -28, -32
    assert_int_equal(x.tasks[0]->max_milli, 7500);
    assert_int_equal(x.tasks[0]->earned_milli, 7500);
    assert_int_equal(x.tasks[1]->earned_milli, 6874);
    assert_false(x.tasks[2]->evaluated);
    assert_int_equal(x.tasks[3]->max_milli, 10000);
    assert_int_equal(x.tasks[3]->earned_milli, 9166);
    assert_int_equal(x.n_gates, 1);
    assert_string_equal(
        x.gates[0],
        "Không xếp loại Hoàn thành xuất sắc: tỷ lệ nhiệm vụ hoàn thành đúng hạn 66,66%, dưới 80%.");
    cchc_explanation_clear(&x);
    cchc_rules_t r = rules_of("[gates]\ngood_min_on_time = 60\n");
    cchc_unit_evaluate(&r, b_unit_get(b, "VHXH"), at9(20260410), &e, &x);
    assert_int_equal(e.tier, CCHC__TIER__TIER_GOOD);
    assert_int_equal(x.n_gates, 1);
    cchc_explanation_clear(&x);
}

// ---------------------------------------------------------------------------
//  Invalid files: refused whole, with the line

//  text must be refused with "path:line: ..." containing what.
static void refused(const char *text, int line, const char *what)
{
    write_file(text);
    cchc_rules_t r, before;
    memset(&r, 0x5A, sizeof(r));
    before = r;
    char err[512] = "", prefix[128];
    if (cchc_rules_load(path, &r, err, sizeof(err)) == 0)
        fail_msg("accepted, expected line %d: %s", line, what);
    snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, what))
        fail_msg("expected '%s...%s', got '%s'", prefix, what, err);
    assert_memory_equal(&r, &before, sizeof(r)); //  nothing written
}

static void test_unknown_section_and_key(void **state)
{
    (void)state;
    refused("[tiers]\nexcellent = 90\n\n[tier]\n", 4, "unknown section [tier]");
    refused("[tiers]\nexcelent = 90\n", 2, "unknown key 'excelent' in [tiers]");
    refused("; a comment\ncap = 5\n", 2, "key 'cap' outside a section");
    refused("[tiers]\n[Tiers]\ngood = 70\n", 2, "unknown section [Tiers]");
}

static void test_not_a_number(void **state)
{
    (void)state;
    refused("[components]\n\nquality_deduction = 25%\n", 3, "quality_deduction = '25%' is not a number");
    refused("[bonus]\ncap = five\n", 2, "is not a number");
    refused("[bonus]\ncap = 5.\n", 2, "is not a number");
    refused("[bonus]\ncap = 1e2\n", 2, "is not a number");
    refused("[bonus]\ncap = 5,5\n", 2, "is not a number");
    refused("[bonus]\ncap =\n", 2, "[bonus] cap has no value");
    refused("[bonus]\ncap = 5.125\n", 2, "has more than 2 decimals");
    refused("[gates]\nexcellent_max_unmet = 1.5\n", 2, "must be a whole number of tasks");
}

static void test_out_of_range(void **state)
{
    (void)state;
    refused("[components]\nquality_deduction = 100.0001\n", 2, "out of range (0 to 100 percent)");
    refused("[tiers]\nexcellent = 100.01\n", 2, "excellent = 100.01 is out of range (0 to 100 points)");
    refused("[bonus]\ncap = -1\n", 2, "out of range");
    refused("[components]\nquantity_weight = 99999999999999999999\n", 2, "out of range (0 to 100 weight)");
}

//  Relations name the line of the later setting involved.
static void test_out_of_order(void **state)
{
    (void)state;
    refused("[tiers]\ngood = 60\ncompleted = 65\n", 3,
            "thresholds out of order: [tiers] good = 60 must be above [tiers] completed = 65");
    //  with the default good = 70 the only line is the culprit's
    refused("; x\n[tiers]\ncompleted = 70\n", 3, "[tiers] good = 70 must be above [tiers] completed = 70");
    refused("[tiers]\nexcellent = 70\n", 2, "[tiers] excellent = 70 must be above [tiers] good = 70");
    refused("[par_groups]\nc = 85\n", 2, "[par_groups] b = 80 must be above [par_groups] c = 85");
    refused("[gates]\nexcellent_min_on_time = 70\n", 2,
            "[gates] excellent_min_on_time = 70 must not be below [gates] good_min_on_time = 80");
    refused(
        "[components]\nquantity_weight = 0\nprogress_weight = 0\nquality_weight = 0\n\n[bonus]\ncap = 5\n", 4,
        "are all 0");
}

static void test_syntax(void **state)
{
    (void)state;
    refused("[tiers]\nexcellent = 90\ngood = 70\ngood = 71\n", 4, "good set twice (first on line 3)");
    refused("[tiers]\nexcellent 90\n", 2, "syntax error");
    refused("[tiers\nexcellent = 90\n", 1, "syntax error");
    refused("[tiers]\nexcellent = 90\n  good = 70\n", 3, "indented line in [tiers]");
    char text[512];
    snprintf(text, sizeof(text), "[tiers]\n;%0300d\ngood = x\n", 0);
    refused(text, 2, "line longer than");
    //  the first error by line is the one reported
    refused("[tiers]\ngood = 1000\n[nope]\n", 2, "out of range");
    refused("[nope]\n[tiers]\ngood = 1000\n", 1, "unknown section [nope]");
}

static void test_missing_file(void **state)
{
    (void)state;
    cchc_rules_t r;
    char err[512];
    assert_int_equal(cchc_rules_load("/nonexistent/rules.ini", &r, err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/rules.ini: cannot open: No such file or directory");
}

// ---------------------------------------------------------------------------
//  Reload (the SIGHUP path of cchc-scoring)

static const char *code_at(const cchc_ranking_t *ranking, builder_t *b, size_t position)
{
    const cchc_unit_t *u = cchc_ranking_unit_at(ranking, cchc_model_ward(b->model, "W"), position);
    return u ? u->rec->def->code : "(none)";
}

static const Cchc__RankChanged *change_of(const cchc_rank_changes_t *changes, const char *unit)
{
    for (size_t i = 0; i < changes->count; i++)
        if (strcmp(changes->items[i]->unit, unit) == 0)
            return changes->items[i];
    return NULL;
}

//  U1: one failed review, 91.66; U2: done late, 91.66, on time 0 %
//  (hoàn thành by the gate); U3: nothing due, unrated. By default: U1, U2,
//  U3. A file with quality_deduction = 40 (U1: b = 0.6, s = 2600000 / 3 =
//  866666 -> 86.66, tốt) moves U1 below U2 (91.66): U2, U1, U3. A bad file
//  then keeps those rules; the same file again changes nothing.
static void test_reload(void **state)
{
    builder_t *b = *state;
    one_failed_review(b);
    OK(b_task(b, "T2", "U2", "A1", 20260131, 1, 1000, NULL));
    done_on(b, "T2", 1, 20260210);
    OK(b_clock(b, 20260320));
    cchc_rules_t d;
    cchc_rules_default(&d);
    cchc_ranking_t *ranking = cchc_ranking_new(&d);
    cchc_rank_changes_t changes = {0};
    cchc_ranking_rank_all(ranking, b->model);
    assert_string_equal(code_at(ranking, b, 0), "U1");
    assert_string_equal(code_at(ranking, b, 1), "U2");
    char err[512] = "";

    write_file("[components]\nquality_deduction = 40\n");
    assert_int_equal(cchc_ranking_reload_rules(ranking, b->model, path, 42, &changes, err, sizeof(err)), 1);
    assert_int_equal(cchc_ranking_rules(ranking)->quality_deduction_ppm, 400000);
    assert_string_equal(code_at(ranking, b, 0), "U2");
    assert_string_equal(code_at(ranking, b, 1), "U1");
    assert_string_equal(code_at(ranking, b, 2), "U3");
    assert_int_equal(changes.count, 2);
    const Cchc__RankChanged *c = change_of(&changes, "U1");
    assert_non_null(c);
    assert_int_equal(c->old_rank, 1);
    assert_int_equal(c->new_rank, 2);
    assert_int_equal(c->old_score_centi, 9166);
    assert_int_equal(c->new_score_centi, 8666);
    assert_int_equal(c->old_tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(c->new_tier, CCHC__TIER__TIER_GOOD);
    assert_int_equal(c->seq, 42);
    c = change_of(&changes, "U2");
    assert_non_null(c);
    assert_int_equal(c->new_rank, 1);
    assert_int_equal(c->new_score_centi, 9166);
    cchc_rank_changes_clear(&changes);

    //  A bad file (line 3): refused, nothing changes.
    write_file("[components]\nquality_deduction = 10\nprogress_deduction = lots\n");
    assert_int_equal(cchc_ranking_reload_rules(ranking, b->model, path, 43, &changes, err, sizeof(err)), -1);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%s:3: ", path);
    assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
    assert_int_equal(cchc_ranking_rules(ranking)->quality_deduction_ppm, 400000);
    assert_int_equal(cchc_ranking_rules(ranking)->progress_deduction_ppm, 250000);
    assert_int_equal(changes.count, 0);
    uint32_t rank = 0;
    assert_int_equal(cchc_ranking_eval(ranking, b_unit_get(b, "U1"), &rank)->score_centi, 8666);
    assert_int_equal(rank, 2);

    //  The same rules again: nothing to do.
    write_file("[components]\n; same as before\nquality_deduction = 40.0\n");
    assert_int_equal(cchc_ranking_reload_rules(ranking, b->model, path, 44, &changes, err, sizeof(err)), 0);
    assert_int_equal(changes.count, 0);

    //  Back to the defaults (an empty file): the first order again.
    write_file("");
    assert_int_equal(cchc_ranking_reload_rules(ranking, b->model, path, 45, &changes, err, sizeof(err)), 1);
    assert_string_equal(code_at(ranking, b, 0), "U1");
    assert_true(cchc_rules_equal(cchc_ranking_rules(ranking), &d));
    assert_int_equal(changes.count, 2);
    cchc_rank_changes_free(&changes);
    cchc_ranking_destroy(&ranking);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_shipped_file_is_the_defaults),
        T(test_empty_file_is_the_defaults),
        T(test_write_reads_back),
        T(test_tier_excellent),
        T(test_tier_good),
        T(test_tier_completed),
        T(test_quantity_weight),
        T(test_quality_weight),
        T(test_progress_weight),
        T(test_quality_deduction),
        T(test_progress_deduction),
        T(test_gate_good_on_time),
        T(test_gate_excellent_on_time),
        T(test_gate_excellent_max_unmet),
        T(test_year_end_max_unmet),
        T(test_bonus_cap),
        T(test_par_groups),
        T(test_docs_worked_example),
        T(test_unknown_section_and_key),
        T(test_not_a_number),
        T(test_out_of_range),
        T(test_out_of_order),
        T(test_syntax),
        T(test_missing_file),
        T(test_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
