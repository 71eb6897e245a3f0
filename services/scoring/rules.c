/*  rules.c - the rule set of the domain brief (docs/SCORING.md). Every
    number is a setting of cchc_rules_t; the defaults are given here:

    1. Evaluation base: tasks not cancelled, not paused, that came due or are done.
    2. Task score s = (1 a + 1 b + 1 c) / 3 (component weights) with
       a = outputs done / required,
       b = 1 - 0.25 x failed reviews (if done, else 0),
       c = 1 - 0.25 x delays (if done, else 0).
    3. Area % = sum(w x s) / sum(w), w = conversion factor (or fixed points).
    4. Unit = sum(area weight x area %) / sum(weights of applicable areas),
       plus bonus (capped at 5) minus penalties, clamped to 0..100; an
       appraisal overrides it (both kept).
    5. Tier by 90 / 70 / 50, then the gates, cumulative: tốt needs >= 80 % of
       due tasks on time (judged only once a task came due); xuất sắc needs
       its own on-time floor (80 %, never below tốt's) and at most 0 unmet
       tasks. Head accountable: không hoàn thành, or more than 0 unmet tasks
       once the plan year has ended.
*/
#include "rules.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "labels.h"

void cchc_rules_default(cchc_rules_t *r)
{
    memset(r, 0, sizeof(*r));
    r->quantity_weight_milli = 1000;
    r->quality_weight_milli = 1000;
    r->progress_weight_milli = 1000;
    r->quality_deduction_ppm = 250000;
    r->progress_deduction_ppm = 250000;
    r->bonus_cap_centi = 500;
    r->tier_excellent_centi = 9000;
    r->tier_good_centi = 7000;
    r->tier_completed_centi = 5000;
    r->gate_good_on_time_ppm = 800000;
    r->gate_excellent_on_time_ppm = 800000;
    r->gate_excellent_max_unmet = 0;
    r->year_end_max_unmet = 0;
    r->par_a_centi = 9000;
    r->par_b_centi = 8000;
    r->par_c_centi = 7000;
}

static Cchc__Tier tier_of(const cchc_rules_t *r, int32_t score)
{
    if (score >= r->tier_excellent_centi)
        return CCHC__TIER__TIER_EXCELLENT;
    if (score >= r->tier_good_centi)
        return CCHC__TIER__TIER_GOOD;
    if (score >= r->tier_completed_centi)
        return CCHC__TIER__TIER_COMPLETED;
    return CCHC__TIER__TIER_NOT_COMPLETED;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

//  Per-task figures of the evaluation.
typedef struct {
    bool evaluated;
    int64_t weight;     //  factor_milli, or points_milli when fixed
    int32_t a, b, c, s; //  ppm
    int delays;
} task_score_t;

static task_score_t task_score(const cchc_rules_t *r, const cchc_task_t *t, int64_t now)
{
    task_score_t ts = {0};
    bool done = cchc_task_done(t);
    bool due = now >= cchc_date_end_ms(t->due_in_force);
    ts.evaluated = !t->cancelled && !t->paused && (due || done);
    ts.weight = t->points_milli > 0 ? t->points_milli : t->factor_milli;
    int required = t->outputs_required > 0 ? t->outputs_required : 1;
    int outputs = t->outputs_done < required ? t->outputs_done : required;
    ts.delays = cchc_task_delays(t, now);
    ts.a = (int32_t)((int64_t)outputs * CCHC_PPM / required);
    ts.b = done ? (int32_t)max64(0, CCHC_PPM - (int64_t)r->quality_deduction_ppm * t->failed_reviews) : 0;
    ts.c = done ? (int32_t)max64(0, CCHC_PPM - (int64_t)r->progress_deduction_ppm * ts.delays) : 0;
    //  With equal weights this is (a + b + c) / 3, floored, exactly.
    int64_t wsum = (int64_t)r->quantity_weight_milli + r->quality_weight_milli + r->progress_weight_milli;
    assert(wsum > 0); //  rules_file.c refuses a file where all three are 0
    ts.s = (int32_t)(((int64_t)r->quantity_weight_milli * ts.a + (int64_t)r->quality_weight_milli * ts.b +
                      (int64_t)r->progress_weight_milli * ts.c) /
                     wsum);
    return ts;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

static char *vi_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *vi_sprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return xstrdup(buf);
}

//  "87,50%" style percentage of a ppm value (Vietnamese decimal comma).
static void pct_vi(int64_t ppm, char *buf, size_t size)
{
    int64_t centi = ppm / 100;
    snprintf(buf, size, "%lld,%02lld%%", (long long)(centi / 100), (long long)(centi % 100));
}

//  A threshold as written in the rules: "80%", or "82,50%" when not whole.
static void threshold_vi(int64_t ppm, char *buf, size_t size)
{
    if (ppm % 10000 == 0)
        snprintf(buf, size, "%lld%%", (long long)(ppm / 10000));
    else
        pct_vi(ppm, buf, size);
}

static void add_gate(Cchc__Explanation *x, char *sentence)
{
    x->gates = realloc(x->gates, (x->n_gates + 1) * sizeof(char *));
    if (!x->gates)
        abort();
    x->gates[x->n_gates++] = sentence;
}

void cchc_task_part(const cchc_rules_t *r, const cchc_task_t *t, int64_t now, cchc_task_part_t *p)
{
    task_score_t ts = task_score(r, t, now);
    memset(p, 0, sizeof(*p));
    p->evaluated = ts.evaluated;
    p->done = cchc_task_done(t);
    p->late = ts.delays != 0;
    p->unmet = cchc_task_unmet(t, now);
    p->area = t->area->index;
    p->s = ts.s;
    p->weight = (int32_t)ts.weight;
}

void cchc_unit_sums_reset(cchc_unit_sums_t *s, size_t nareas)
{
    if (s->cap < nareas) {
        s->area_w = realloc(s->area_w, nareas * sizeof(int64_t));
        s->area_ws = realloc(s->area_ws, nareas * sizeof(int64_t));
        if (!s->area_w || !s->area_ws)
            abort();
        s->cap = nareas;
    }
    s->nareas = nareas;
    if (nareas) { //  a ward without areas yet has no arrays (memset of NULL is undefined)
        memset(s->area_w, 0, nareas * sizeof(int64_t));
        memset(s->area_ws, 0, nareas * sizeof(int64_t));
    }
    s->evaluated = s->done = s->on_time = s->late = s->overdue = s->unmet = 0;
}

void cchc_unit_sums_free(cchc_unit_sums_t *s)
{
    free(s->area_w);
    free(s->area_ws);
    memset(s, 0, sizeof(*s));
}

void cchc_unit_sums_add(cchc_unit_sums_t *s, const cchc_task_part_t *p, int sign)
{
    assert(sign == 1 || sign == -1);
    s->unmet += (uint32_t)(sign * p->unmet);
    if (!p->evaluated)
        return;
    assert((size_t)p->area < s->nareas);
    s->evaluated += (uint32_t)sign;
    s->area_w[p->area] += (int64_t)sign * p->weight;
    s->area_ws[p->area] += (int64_t)sign * p->weight * p->s;
    if (p->done) {
        s->done += (uint32_t)sign;
        if (p->late)
            s->late += (uint32_t)sign;
        else
            s->on_time += (uint32_t)sign;
    } else {
        s->overdue += (uint32_t)sign;
    }
}

static void finish(const cchc_rules_t *r, const cchc_unit_t *unit, const cchc_unit_sums_t *sums, int64_t now,
                   bool tasks_only, cchc_unit_eval_t *e, Cchc__Explanation *x);

//  Is t one of the tasks evaluated for period (NULL: every task)?
static bool in_period(const cchc_period_t *period, const cchc_task_t *t)
{
    return !period || (t->due_in_force >= period->from_date && t->due_in_force <= period->to_date);
}

void cchc_unit_evaluate(const cchc_rules_t *r, const cchc_unit_t *unit, int64_t now, cchc_unit_eval_t *e,
                        Cchc__Explanation *x)
{
    cchc_unit_evaluate_period(r, unit, now, NULL, e, x);
}

void cchc_unit_evaluate_period(const cchc_rules_t *r, const cchc_unit_t *unit, int64_t now,
                               const cchc_period_t *period, cchc_unit_eval_t *e, Cchc__Explanation *x)
{
    const cchc_ward_t *ward = unit->ward;
    size_t nareas = ward->nareas;
    //  Per-area sums: on the stack for a ward's usual handful of areas, on
    //  the heap beyond.
    int64_t small_w[16], small_ws[16];
    cchc_unit_sums_t sums = {0};
    if (nareas <= 16) {
        sums.area_w = small_w;
        sums.area_ws = small_ws;
        sums.cap = 16;
    }
    cchc_unit_sums_reset(&sums, nareas);
    //  The task parts, from the unit's own tasks (unit->tasks, in ward order).
    task_score_t *scores = x ? calloc(unit->ntasks + 1, sizeof(task_score_t)) : NULL;
    if (x && !scores)
        abort();
    for (size_t i = 0; i < unit->ntasks; i++) {
        if (!in_period(period, unit->tasks[i]))
            continue;
        cchc_task_part_t part;
        cchc_task_part(r, unit->tasks[i], now, &part);
        cchc_unit_sums_add(&sums, &part, 1);
        if (scores)
            scores[i] = task_score(r, unit->tasks[i], now);
    }
    finish(r, unit, &sums, now, period != NULL, e, x);
    if (x) {
        x->tasks = calloc(unit->ntasks + 1, sizeof(Cchc__TaskExplain *));
        if (!x->tasks)
            abort();
        for (size_t i = 0; i < unit->ntasks; i++) {
            const cchc_task_t *t = unit->tasks[i];
            const task_score_t *ts = &scores[i];
            if (!in_period(period, t))
                continue;
            Cchc__TaskExplain *tx = calloc(1, sizeof(*tx));
            cchc__task_explain__init(tx);
            tx->task = xstrdup(t->code);
            tx->title = xstrdup(t->title);
            tx->area = xstrdup(t->area->def->code);
            tx->status = xstrdup(cchc_status_label_vi(cchc_task_status(t, now)));
            tx->has_evaluated = tx->has_max_milli = tx->has_earned_milli = true;
            tx->has_quantity_ppm = tx->has_quality_ppm = tx->has_progress_ppm = true;
            tx->has_failed_reviews = tx->has_delays = tx->has_due_date = tx->has_done_date = true;
            tx->has_unmet = tx->has_excused = true;
            tx->evaluated = ts->evaluated;
            int64_t aw = sums.area_w[t->area->index];
            if (ts->evaluated && aw) {
                tx->max_milli = t->points_milli > 0 ? t->points_milli
                                                    : (int64_t)t->area->def->weight * 1000 * ts->weight / aw;
                tx->earned_milli = tx->max_milli * ts->s / CCHC_PPM;
            }
            tx->quantity_ppm = ts->a;
            tx->quality_ppm = ts->b;
            tx->progress_ppm = ts->c;
            tx->failed_reviews = t->failed_reviews;
            tx->delays = cchc_task_done(t) || ts->evaluated ? ts->delays : 0;
            tx->due_date = t->due_in_force;
            tx->done_date = cchc_task_done(t) ? cchc_date_of_ms(t->done_ms) : 0;
            tx->unmet = cchc_task_unmet(t, now);
            tx->excused = t->excused;
            x->tasks[x->n_tasks++] = tx;
        }
    }
    free(scores);
    if (nareas > 16)
        cchc_unit_sums_free(&sums);
}

void cchc_unit_finish(const cchc_rules_t *r, const cchc_unit_t *unit, const cchc_unit_sums_t *sums,
                      int64_t now, cchc_unit_eval_t *e, Cchc__Explanation *x)
{
    finish(r, unit, sums, now, false, e, x);
}

//  tasks_only: a period's evaluation, without bonus, penalties or appraisal
//  (they belong to the year).
static void finish(const cchc_rules_t *r, const cchc_unit_t *unit, const cchc_unit_sums_t *sums, int64_t now,
                   bool tasks_only, cchc_unit_eval_t *e, Cchc__Explanation *x)
{
    memset(e, 0, sizeof(*e));
    const cchc_ward_t *ward = unit->ward;
    size_t nareas = ward->nareas;
    assert(sums->nareas == nareas);
    e->evaluated = sums->evaluated;
    e->done = sums->done;
    e->on_time = sums->on_time;
    e->late = sums->late;
    e->overdue = sums->overdue;
    e->unmet = sums->unmet;
    const int64_t *area_ws = sums->area_w, *area_wss = sums->area_ws;
    if (x) {
        x->areas = calloc(nareas + 1, sizeof(Cchc__AreaExplain *));
        if (!x->areas)
            abort();
    }
    //  Areas and the unit.
    int64_t weight_sum = 0, weighted = 0;
    for (size_t a = 0; a < nareas; a++) {
        const cchc_area_t *area = ward->areas[a];
        int64_t area_ppm = area_ws[a] ? area_wss[a] / area_ws[a] : 0;
        if (area_ws[a]) {
            weight_sum += area->def->weight;
            weighted += (int64_t)area->def->weight * area_ppm;
        }
        if (x) {
            Cchc__AreaExplain *ax = calloc(1, sizeof(*ax));
            cchc__area_explain__init(ax);
            ax->area = xstrdup(area->def->code);
            ax->name = xstrdup(area->def->name);
            ax->has_weight = ax->has_applicable = ax->has_pct_ppm = true;
            ax->has_earned_milli = ax->has_max_milli = true;
            ax->weight = area->def->weight;
            ax->applicable = area_ws[a] > 0;
            ax->pct_ppm = (int32_t)area_ppm;
            ax->max_milli = ax->applicable ? (int64_t)area->def->weight * 1000 : 0;
            ax->earned_milli = ax->max_milli * area_ppm / CCHC_PPM;
            x->areas[x->n_areas++] = ax;
        }
    }
    e->rated = e->evaluated > 0;
    int64_t unit_ppm = weight_sum ? weighted / weight_sum : 0;
    //  Bonuses, penalties and the appraisal belong to the year's evaluation.
    int32_t bonus = tasks_only ? 0 : unit->rec->bonus_centi;
    e->bonus_centi = bonus < r->bonus_cap_centi ? bonus : r->bonus_cap_centi;
    e->penalty_centi = tasks_only ? 0 : unit->rec->penalty_centi;
    int64_t computed = unit_ppm / 100 + e->bonus_centi - e->penalty_centi;
    e->computed_centi = (int32_t)(computed < 0 ? 0 : computed > 10000 ? 10000 : computed);
    e->appraised = !tasks_only && unit->rec->appraised;
    e->score_centi = e->appraised ? unit->rec->appraisal_centi : e->computed_centi;
    e->on_time_ppm = e->evaluated ? (int32_t)((int64_t)e->on_time * CCHC_PPM / e->evaluated) : 0;

    if (!e->rated && !e->appraised) {
        e->score_centi = e->computed_centi = 0;
        e->tier = e->score_tier = CCHC__TIER__TIER_UNRATED;
        e->par_group = '-';
        e->eligible = true;
    } else {
        e->score_tier = tier_of(r, e->score_centi);
        e->tier = e->score_tier;
        char pct[32];
        //  The gates are cumulative: xuất sắc needs at most gate_excellent_max_unmet
        //  unmet tasks, its on-time floor AND what tốt needs (its on-time floor,
        //  never above xuất sắc's).
        if (e->tier == CCHC__TIER__TIER_EXCELLENT && e->unmet > (uint32_t)r->gate_excellent_max_unmet) {
            e->tier = CCHC__TIER__TIER_GOOD;
            if (x)
                add_gate(x,
                         vi_sprintf("Không xếp loại Hoàn thành xuất sắc: còn %u nhiệm vụ chưa đạt yêu cầu.",
                                    e->unmet));
        }
        //  Without a due task there is no on-time rate to judge (an appraised
        //  unit early in the year): the on-time gates do not apply. One
        //  sentence per floor missed: when both floors are equal, the one
        //  sentence on xuất sắc says it all (it drops to hoàn thành).
        bool judged = e->evaluated > 0;
        bool excellent_missed = false;
        int32_t excellent_floor = r->gate_excellent_on_time_ppm > r->gate_good_on_time_ppm
                                      ? r->gate_excellent_on_time_ppm
                                      : r->gate_good_on_time_ppm; //  cumulative, whatever the caller set
        if (e->tier == CCHC__TIER__TIER_EXCELLENT && judged && e->on_time_ppm < excellent_floor) {
            if (x) {
                char floor_pct[32];
                pct_vi(e->on_time_ppm, pct, sizeof(pct));
                threshold_vi(excellent_floor, floor_pct, sizeof(floor_pct));
                add_gate(x, vi_sprintf("Không xếp loại %s: tỷ lệ nhiệm vụ hoàn thành đúng hạn %s, dưới %s.",
                                       cchc_tier_label_vi(e->tier), pct, floor_pct));
            }
            e->tier = CCHC__TIER__TIER_GOOD;
            excellent_missed = true;
        }
        if (e->tier == CCHC__TIER__TIER_GOOD && judged && e->on_time_ppm < r->gate_good_on_time_ppm) {
            if (x && !(excellent_missed && excellent_floor == r->gate_good_on_time_ppm)) {
                char floor_pct[32];
                pct_vi(e->on_time_ppm, pct, sizeof(pct));
                threshold_vi(r->gate_good_on_time_ppm, floor_pct, sizeof(floor_pct));
                add_gate(x, vi_sprintf("Không xếp loại %s: tỷ lệ nhiệm vụ hoàn thành đúng hạn %s, dưới %s.",
                                       cchc_tier_label_vi(e->tier), pct, floor_pct));
            }
            e->tier = CCHC__TIER__TIER_COMPLETED;
        }
        e->par_group = e->score_centi >= r->par_a_centi   ? 'A'
                       : e->score_centi >= r->par_b_centi ? 'B'
                       : e->score_centi >= r->par_c_centi ? 'C'
                                                          : 'D';
        int32_t year = ward->def && ward->def->year ? ward->def->year : 0;
        bool year_over = year && now >= cchc_date_end_ms(year * 10000 + 1231);
        e->head_accountable = e->tier == CCHC__TIER__TIER_NOT_COMPLETED ||
                              (year_over && e->unmet > (uint32_t)r->year_end_max_unmet);
        e->eligible = !e->head_accountable;
        if (x && e->tier == CCHC__TIER__TIER_NOT_COMPLETED)
            add_gate(x, xstrdup("Người đứng đầu chịu trách nhiệm trước Chủ tịch UBND phường: đơn vị xếp loại "
                                "Không hoàn thành nhiệm vụ; không đủ điều kiện xét thi đua."));
        else if (x && e->head_accountable)
            add_gate(x,
                     vi_sprintf("Người đứng đầu chịu trách nhiệm trước Chủ tịch UBND phường: hết năm %d còn "
                                "%u nhiệm vụ chưa đạt yêu cầu; không đủ điều kiện xét thi đua.",
                                year, e->unmet));
        if (x && e->appraised)
            add_gate(x,
                     vi_sprintf("Điểm thẩm định %d,%02d thay cho điểm tự tính %d,%02d.", e->score_centi / 100,
                                e->score_centi % 100, e->computed_centi / 100, e->computed_centi % 100));
    }
}

void cchc_explanation_clear(Cchc__Explanation *x)
{
    for (size_t i = 0; i < x->n_areas; i++) {
        free(x->areas[i]->area);
        free(x->areas[i]->name);
        free(x->areas[i]);
    }
    for (size_t i = 0; i < x->n_tasks; i++) {
        free(x->tasks[i]->task);
        free(x->tasks[i]->title);
        free(x->tasks[i]->area);
        free(x->tasks[i]->status);
        free(x->tasks[i]);
    }
    for (size_t i = 0; i < x->n_gates; i++)
        free(x->gates[i]);
    free(x->areas);
    free(x->tasks);
    free(x->gates);
    x->areas = NULL;
    x->tasks = NULL;
    x->gates = NULL;
    x->n_areas = x->n_tasks = x->n_gates = 0;
}

int cchc_eval_compare(const cchc_unit_eval_t *a, const char *code_a, const cchc_unit_eval_t *b,
                      const char *code_b)
{
    int c = cchc_eval_compare_scores(a, b);
    return c ? c : strcmp(code_a, code_b);
}

int cchc_eval_compare_scores(const cchc_unit_eval_t *a, const cchc_unit_eval_t *b)
{
    bool ra = a->rated || a->appraised, rb = b->rated || b->appraised;
    if (ra != rb)
        return ra ? -1 : 1;
    if (a->score_centi != b->score_centi)
        return a->score_centi > b->score_centi ? -1 : 1;
    if (a->on_time_ppm != b->on_time_ppm)
        return a->on_time_ppm > b->on_time_ppm ? -1 : 1;
    if (a->overdue != b->overdue)
        return a->overdue < b->overdue ? -1 : 1;
    return 0;
}

void cchc_rank_entry_fill(Cchc__RankEntry *e, const cchc_unit_t *unit, const cchc_unit_eval_t *ev,
                          uint32_t rank)
{
    static char groups[5][2] = {"A", "B", "C", "D", "-"};
    cchc__rank_entry__init(e);
    e->has_rank = e->has_score_centi = e->has_computed_centi = e->has_appraised = e->has_tier = true;
    e->has_evaluated = e->has_done = e->has_on_time = e->has_late = e->has_overdue = e->has_unmet = true;
    e->has_on_time_ppm = e->has_head_accountable = e->has_eligible = e->has_score_tier = true;
    e->has_bonus_centi = e->has_penalty_centi = true;
    e->rank = rank;
    e->unit = unit->rec->def->code;
    e->unit_name = unit->rec->def->name;
    e->score_centi = ev->score_centi;
    e->computed_centi = ev->computed_centi;
    e->appraised = ev->appraised;
    e->tier = ev->tier;
    e->score_tier = ev->score_tier;
    e->par_group = groups[ev->par_group >= 'A' && ev->par_group <= 'D' ? ev->par_group - 'A' : 4];
    e->evaluated = ev->evaluated;
    e->done = ev->done;
    e->on_time = ev->on_time;
    e->late = ev->late;
    e->overdue = ev->overdue;
    e->unmet = ev->unmet;
    e->on_time_ppm = ev->on_time_ppm;
    e->head_accountable = ev->head_accountable;
    e->eligible = ev->eligible;
    e->bonus_centi = ev->bonus_centi;
    e->penalty_centi = ev->penalty_centi;
}
