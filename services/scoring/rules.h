/*  rules.h - the default rule set of the domain brief, in exact integers.

    Scores are fixed point: ppm (x 10^6) inside, centi-points (x 100) for a
    unit's score; every division floors. The same events give the same
    scores, bit for bit, live or replayed.
*/
#ifndef CCHC_SCORING_RULES_H
#define CCHC_SCORING_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "scoring.pb-c.h"

#define CCHC_PPM 1000000

//  Every number of the rules is a setting (rules_file.h reads them from a
//  rules file); cchc_rules_default gives the defaults shown here.
typedef struct {
    int32_t quantity_weight_milli;                 //  1000: task score = (1 a + 1 b + 1 c) / 3
    int32_t quality_weight_milli;                  //  1000
    int32_t progress_weight_milli;                 //  1000
    int32_t quality_deduction_ppm;                 //  per failed review (250000 = 25 %)
    int32_t progress_deduction_ppm;                //  per delay
    int32_t bonus_cap_centi;                       //  500 = +5 points
    int32_t tier_excellent_centi;                  //  9000
    int32_t tier_good_centi;                       //  7000
    int32_t tier_completed_centi;                  //  5000
    int32_t gate_good_on_time_ppm;                 //  800000: tốt needs >= 80 % on time
    int32_t gate_excellent_on_time_ppm;            //  800000: xuất sắc too (>= the tốt gate)
    int32_t gate_excellent_max_unmet;              //  0: xuất sắc needs no unmet task
    int32_t year_end_max_unmet;                    //  0: more unmet at year end: head accountable
    int32_t par_a_centi, par_b_centi, par_c_centi; //  9000, 8000, 7000
} cchc_rules_t;

void cchc_rules_default(cchc_rules_t *rules);

//  A unit's evaluation at one log time.
typedef struct {
    bool rated;             //  at least one task in the evaluation base
    int32_t score_centi;    //  final (appraised when recorded)
    int32_t computed_centi; //  from the tasks, bonus and penalties
    bool appraised;
    int32_t bonus_centi, penalty_centi;
    Cchc__Tier score_tier; //  by score alone
    Cchc__Tier tier;       //  after the gates
    char par_group;        //  'A'..'D', or '-' when unrated
    uint32_t evaluated, done, on_time, late, overdue, unmet;
    int32_t on_time_ppm;
    bool head_accountable, eligible;
} cchc_unit_eval_t;

//  Evaluate unit (its ward as folded in the model) at log time now_ms with
//  rules; eval is always fully written. If explain is not NULL (initialised
//  with CCHC__EXPLANATION__INIT, empty) it is filled with the unit's areas,
//  tasks and gate sentences (Vietnamese, UTF-8); the caller owns what was
//  put there and frees it with cchc_explanation_clear. Strings of the model
//  are copied, so explain outlives later events. Aborts on out-of-memory.
void cchc_unit_evaluate(const cchc_rules_t *rules, const cchc_unit_t *unit, int64_t now_ms,
                        cchc_unit_eval_t *eval, Cchc__Explanation *explain);

//  A period of the plan (month, quarter): its tasks are those whose due date
//  in force falls from from_date to to_date (yyyymmdd, inclusive).
typedef struct {
    int32_t from_date, to_date;
} cchc_period_t;

//  cchc_unit_evaluate over the tasks of period only (NULL: every task, the
//  year's evaluation). A period's score measures task delivery alone:
//  bonuses, penalties and the appraisal belong to the year and are left out.
void cchc_unit_evaluate_period(const cchc_rules_t *rules, const cchc_unit_t *unit, int64_t now_ms,
                               const cchc_period_t *period, cchc_unit_eval_t *eval,
                               Cchc__Explanation *explain);

//  The evaluation in parts, for incremental callers (ranking.c). A unit's
//  evaluation is cchc_unit_finish over the sums of its tasks' parts, and
//  cchc_unit_evaluate computes it exactly that way, so a caller that keeps
//  the sums current (subtracting a task's old part, adding its new one)
//  gets the same evaluation bit for bit.

//  What one task contributes at log time now_ms. A part changes only when
//  an event touches the task, or when now_ms reaches the end of its due date
//  in force while it is neither done, paused nor cancelled.
typedef struct {
    int32_t area;   //  area index in the ward
    int32_t s;      //  task score, ppm
    int32_t weight; //  factor_milli, or points_milli when fixed (both int32 in the model)
    bool evaluated, done, late, unmet;
} cchc_task_part_t; //  16 bytes: scoring keeps one per task

void cchc_task_part(const cchc_rules_t *rules, const cchc_task_t *task, int64_t now_ms,
                    cchc_task_part_t *part);

//  The sums of a unit's task parts: counts and, by area index, sum of w and
//  of w x s over evaluated tasks. The caller owns the arrays (a zeroed
//  struct is empty; free with cchc_unit_sums_free).
typedef struct {
    uint32_t evaluated, done, on_time, late, overdue, unmet;
    size_t nareas, cap;
    int64_t *area_w, *area_ws;
} cchc_unit_sums_t;

//  Empty the sums for a ward of nareas areas (growing the arrays if needed).
void cchc_unit_sums_reset(cchc_unit_sums_t *sums, size_t nareas);
//  Add (sign 1) or subtract (sign -1) a part.
void cchc_unit_sums_add(cchc_unit_sums_t *sums, const cchc_task_part_t *part, int sign);
void cchc_unit_sums_free(cchc_unit_sums_t *sums);

//  The unit's evaluation from the sums of its task parts (sums->nareas must
//  be the ward's area count): areas, bonus, penalties, appraisal, tiers,
//  gates, head accountability (the end of the plan year is read from
//  now_ms). explain, if not NULL, gets the areas and gate sentences.
void cchc_unit_finish(const cchc_rules_t *rules, const cchc_unit_t *unit, const cchc_unit_sums_t *sums,
                      int64_t now_ms, cchc_unit_eval_t *eval, Cchc__Explanation *explain);

//  Free what cchc_unit_evaluate put in explain (not explain itself).
void cchc_explanation_clear(Cchc__Explanation *explain);

//  Fill e (initialised here) with unit's evaluation ev at rank (0: not
//  ranked). Its strings are borrowed from the model and a static table.
void cchc_rank_entry_fill(Cchc__RankEntry *e, const cchc_unit_t *unit, const cchc_unit_eval_t *ev,
                          uint32_t rank);

//  Ranking order: score desc, on-time desc, overdue asc, unit code asc;
//  unrated units (neither a due task nor an appraisal) after rated ones.
//  Returns < 0 when a ranks before b, > 0 after, 0 only for equal codes.
//  cchc_eval_compare_scores is the same order without the code: 0 when
//  only the code can decide.
int cchc_eval_compare_scores(const cchc_unit_eval_t *a, const cchc_unit_eval_t *b);
int cchc_eval_compare(const cchc_unit_eval_t *a, const char *code_a, const cchc_unit_eval_t *b,
                      const char *code_b);

#endif
