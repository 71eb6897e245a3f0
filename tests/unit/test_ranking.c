/*  test_ranking.c - the incremental ranking (services/scoring/ranking.h)
    against rankings computed from scratch.

    Random events (units registered, tasks assigned, progress, submissions,
    verifications passed and failed, deadline changes in time and late,
    pauses, resumptions, cancellations, bonuses, penalties, appraisals) and
    clock moves (within a day, to a deadline's exact instant, over days,
    across the end of the plan year) are folded into two models in
    lockstep, in two wards. Model A is followed by one ranking updated after
    every event (the service's path: note, update). After every event:
      - a fresh ranking of model B (cchc_ranking_rank_all) and an oracle that
        evaluates every unit with cchc_unit_evaluate and sorts them with
        cchc_eval_compare must give, for every unit, A's evaluation and rank;
      - A's RankChanged list must be exactly the units whose rank, score or
        tier differ from the oracle's previous step, in unit order, with
        the right old and new values.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "clock.h"
#include "ranking.h"

#define MAX_UNITS 64

typedef struct {
    builder_t a, b;
    cchc_rules_t rules;
    cchc_ranking_t *ranking; //  follows model A
    cchc_rank_changes_t changes;
    uint64_t events, changes_seen, clock_moves;
} fixture_t;

//  The oracle's view of a unit after the previous step.
typedef struct {
    uint32_t rank;
    int32_t score;
    Cchc__Tier tier;
} seen_t;

static fixture_t *fx;

static void on_apply_a(void *arg, const Cchc__Event *ev, const cchc_touch_t *touch)
{
    fixture_t *f = arg;
    cchc_ranking_note(f->ranking, touch);
    cchc_ranking_update(f->ranking, f->a.model, ev->seq, &f->changes);
}

// ---------------------------------------------------------------------------
//  Events on both models

//  The same set-up event applied to both models: both must accept it.
#define BOTH(call_a, call_b)                                                                                 \
    do {                                                                                                     \
        Cchc__ErrorCode ca_ = (call_a), cb_ = (call_b);                                                      \
        assert_int_equal(ca_, CCHC__ERROR_CODE__ERR_NONE);                                                   \
        assert_int_equal(cb_, CCHC__ERROR_CODE__ERR_NONE);                                                   \
    } while (0)

static Cchc__ErrorCode ward_reg(builder_t *b, const char *code, int year, int64_t when)
{
    Cchc__WardRegistered w = CCHC__WARD_REGISTERED__INIT;
    w.name = (char *)code;
    w.has_year = true;
    w.year = year;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)code;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
    ev.ward_registered = &w;
    return builder_apply(b, &ev, when);
}

static Cchc__ErrorCode unit_reg(builder_t *b, const char *code, int64_t when)
{
    Cchc__UnitRegistered u = CCHC__UNIT_REGISTERED__INIT;
    u.code = (char *)code;
    u.name = (char *)code;
    u.head = "H";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)b->ward;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
    ev.unit_registered = &u;
    return builder_apply(b, &ev, when);
}

static Cchc__ErrorCode area_def(builder_t *b, const char *code, int weight, int64_t when)
{
    Cchc__AreaDefined a = CCHC__AREA_DEFINED__INIT;
    a.code = (char *)code;
    a.name = (char *)code;
    a.has_weight = true;
    a.weight = weight;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)b->ward;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
    ev.area_defined = &a;
    return builder_apply(b, &ev, when);
}

static Cchc__ErrorCode task_assign(builder_t *b, const char *code, const char *unit, const char *area,
                                   int32_t due, int outputs, int factor, int points, int64_t when)
{
    Cchc__TaskAssigned t = CCHC__TASK_ASSIGNED__INIT;
    t.code = (char *)code;
    t.unit = (char *)unit;
    t.area = (char *)area;
    t.title = "Nhiệm vụ thử";
    t.has_due_date = t.has_outputs_required = t.has_factor_milli = true;
    t.due_date = due;
    t.outputs_required = outputs;
    t.factor_milli = factor;
    if (points) {
        t.has_points_milli = true;
        t.points_milli = points;
    }
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)b->ward;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
    ev.task_assigned = &t;
    return builder_apply(b, &ev, when);
}

// ---------------------------------------------------------------------------
//  The oracle

static const cchc_unit_eval_t *sort_evals;
static const cchc_ward_t *sort_ward;
static int cmp_units(const void *x, const void *y)
{
    int i = *(const int *)x, j = *(const int *)y;
    return cchc_eval_compare(&sort_evals[i], sort_ward->units[i]->rec->def->code, &sort_evals[j],
                             sort_ward->units[j]->rec->def->code);
}

static void expect_eval_equal(const cchc_unit_eval_t *x, const cchc_unit_eval_t *y)
{
    assert_int_equal(x->rated, y->rated);
    assert_int_equal(x->score_centi, y->score_centi);
    assert_int_equal(x->computed_centi, y->computed_centi);
    assert_int_equal(x->tier, y->tier);
    assert_int_equal(x->score_tier, y->score_tier);
    assert_int_equal(x->evaluated, y->evaluated);
    assert_int_equal(x->done, y->done);
    assert_int_equal(x->on_time, y->on_time);
    assert_int_equal(x->late, y->late);
    assert_int_equal(x->overdue, y->overdue);
    assert_int_equal(x->unmet, y->unmet);
    assert_int_equal(x->on_time_ppm, y->on_time_ppm);
    assert_int_equal(x->head_accountable, y->head_accountable);
    assert_int_equal(x->eligible, y->eligible);
}

//  Compare ranking A with the oracle and a fresh ranking of B for one ward;
//  check A's changes for that ward (items from *next on) against seen, then
//  update seen.
static void check_ward(fixture_t *f, const char *code, seen_t *seen, const cchc_rank_changes_t *changes,
                       size_t *next)
{
    cchc_ward_t *wa = cchc_model_ward(f->a.model, code), *wb = cchc_model_ward(f->b.model, code);
    assert_non_null(wa);
    assert_non_null(wb);
    assert_int_equal(wa->nunits, wb->nunits);
    size_t n = wa->nunits;
    assert_true(n <= MAX_UNITS);
    int64_t now = cchc_model_now(f->b.model);
    assert_int_equal(now, cchc_model_now(f->a.model));

    //  Oracle: evaluate every unit of B, sort.
    cchc_unit_eval_t evals[MAX_UNITS];
    int order[MAX_UNITS];
    uint32_t rank_of[MAX_UNITS];
    for (size_t i = 0; i < n; i++) {
        cchc_unit_evaluate(&f->rules, wb->units[i], now, &evals[i], NULL);
        order[i] = (int)i;
    }
    sort_evals = evals;
    sort_ward = wb;
    qsort(order, n, sizeof(int), cmp_units);
    for (size_t r = 0; r < n; r++)
        rank_of[order[r]] = (uint32_t)(r + 1);

    //  A fresh ranking of B, from scratch.
    cchc_ranking_t *fresh = cchc_ranking_new(&f->rules);
    cchc_ranking_rank_all(fresh, f->b.model);
    assert_int_equal(cchc_ranking_size(fresh, wb), n);
    assert_int_equal(cchc_ranking_size(f->ranking, wa), n);
    for (size_t r = 0; r < n; r++) {
        const cchc_unit_t *ua = cchc_ranking_unit_at(f->ranking, wa, r);
        const cchc_unit_t *ub = cchc_ranking_unit_at(fresh, wb, r);
        assert_non_null(ua);
        assert_non_null(ub);
        assert_int_equal(ua->index, order[r]);
        assert_int_equal(ub->index, order[r]);
    }
    assert_null(cchc_ranking_unit_at(f->ranking, wa, n));
    for (size_t i = 0; i < n; i++) {
        uint32_t ra = 0, rb = 0;
        const cchc_unit_eval_t *ea = cchc_ranking_eval(f->ranking, wa->units[i], &ra);
        const cchc_unit_eval_t *eb = cchc_ranking_eval(fresh, wb->units[i], &rb);
        assert_non_null(ea);
        assert_non_null(eb);
        expect_eval_equal(ea, &evals[i]);
        expect_eval_equal(eb, &evals[i]);
        assert_int_equal(ra, rank_of[i]);
        assert_int_equal(rb, rank_of[i]);
    }
    cchc_ranking_destroy(&fresh);

    //  A's changes for this ward: exactly the differences, in unit order.
    size_t k = *next;
    for (size_t i = 0; i < n; i++) {
        seen_t now_seen = {rank_of[i], evals[i].score_centi, evals[i].tier};
        if (seen[i].rank == now_seen.rank && seen[i].score == now_seen.score && seen[i].tier == now_seen.tier)
            continue;
        assert_true(k < changes->count);
        const Cchc__RankChanged *c = changes->items[k++];
        assert_string_equal(c->ward, code);
        assert_string_equal(c->unit, wa->units[i]->rec->def->code);
        assert_int_equal(c->old_rank, seen[i].rank);
        assert_int_equal(c->new_rank, now_seen.rank);
        assert_int_equal(c->old_score_centi, seen[i].score);
        assert_int_equal(c->new_score_centi, now_seen.score);
        assert_int_equal(c->old_tier, seen[i].tier);
        assert_int_equal(c->new_tier, now_seen.tier);
        seen[i] = now_seen;
        f->changes_seen++;
    }
    *next = k;
}

// ---------------------------------------------------------------------------
//  The random walk

static const char *WARDS[2] = {"W", "V"};

typedef struct {
    int nunits[2];
    int ntasks[2];
    int32_t day;  //  current local date
    int64_t time; //  current log time
    seen_t seen[2][MAX_UNITS];
} walk_t;

static void use_ward(fixture_t *f, int w)
{
    f->a.ward = f->b.ward = WARDS[w];
}

//  The unit leading task in the builder's current ward ("ward" if none).
static const char *owner_of(builder_t *b, const char *task)
{
    cchc_task_t *t = cchc_ward_task(cchc_model_ward(b->model, b->ward), task);
    return t ? t->unit->rec->def->code : "ward";
}

//  After one event on both models: compare everything.
static void check_step(fixture_t *f, walk_t *wk)
{
    size_t next;
    //  Changes come ward by ward in the order the wards were queued; sort
    //  them out by ward: check W's then V's from the matching items.
    const cchc_rank_changes_t all = f->changes;
    Cchc__RankChanged *by_ward[2][MAX_UNITS * 2];
    size_t count[2] = {0, 0};
    for (size_t i = 0; i < all.count; i++) {
        int w = strcmp(all.items[i]->ward, "W") == 0 ? 0 : 1;
        assert_true(count[w] < MAX_UNITS * 2);
        by_ward[w][count[w]++] = all.items[i];
    }
    for (int w = 0; w < 2; w++) {
        if (!cchc_model_ward(f->a.model, WARDS[w]))
            continue;
        cchc_rank_changes_t one = {by_ward[w], count[w], count[w]};
        next = 0;
        check_ward(f, WARDS[w], wk->seen[w], &one, &next);
        assert_int_equal(next, count[w]); //  no change reported beyond the differences
    }
    cchc_rank_changes_clear(&f->changes);
    f->events++;
}

static int rnd(int n)
{
    return rand() % n;
}

//  One random event, drawn once and applied to both models.
typedef enum {
    OP_CLOCK,
    OP_UNIT,
    OP_TASK,
    OP_PROGRESS,
    OP_SUBMIT,
    OP_VERIFY,
    OP_DEADLINE,
    OP_PAUSE,
    OP_RESUME,
    OP_CANCEL,
    OP_ADJUST,
    OP_APPRAISE,
} op_kind_t;

typedef struct {
    op_kind_t kind;
    int64_t when;
    int32_t day, due;
    char unit[16], task[16], area[16];
    int a, b, c; //  op-specific numbers
} op_t;

static Cchc__ErrorCode do_op(builder_t *b, const op_t *op)
{
    switch (op->kind) {
    case OP_CLOCK:
        return b_clock_at(b, op->when);
    case OP_UNIT:
        return unit_reg(b, op->unit, op->when);
    case OP_TASK:
        return task_assign(b, op->task, op->unit, op->area, op->due, op->a, op->b, op->c, op->when);
    case OP_PROGRESS:
        return b_progress_as(b, owner_of(b, op->task), op->task, 50, op->a, op->day);
    case OP_SUBMIT:
        return b_submit_as(b, owner_of(b, op->task), op->task, op->day);
    case OP_VERIFY:
        return b_verify_as(b, "ward", op->task, op->a, op->day);
    case OP_DEADLINE:
        return b_deadline(b, op->task, op->due, op->a, op->day);
    case OP_PAUSE:
        return b_pause(b, op->task, op->day);
    case OP_RESUME:
        return b_resume_at(b, op->task, op->when);
    case OP_CANCEL:
        return b_cancel(b, op->task, op->day);
    case OP_ADJUST:
        return b_adjust(b, op->unit, op->a, op->b, op->day);
    case OP_APPRAISE:
        return b_appraise(b, op->unit, op->a, op->day);
    }
    return CCHC__ERROR_CODE__ERR_NONE;
}

//  Unit i's code: the first ten U00..U09, later ones A10, A11... so that a
//  unit registered late sorts before the unrated units already ranked
//  (which then move down a place).
static void unit_code(char *buf, size_t size, int i)
{
    snprintf(buf, size, "%c%02d", i < 10 ? 'U' : 'A', i);
}

static op_t random_op(walk_t *wk, int w)
{
    op_t op;
    memset(&op, 0, sizeof(op));
    unit_code(op.unit, sizeof(op.unit), wk->nunits[w] ? rnd(wk->nunits[w]) : 0);
    snprintf(op.task, sizeof(op.task), "T%03d", wk->ntasks[w] ? rnd(wk->ntasks[w]) : 0);
    op.when = wk->time;
    op.day = wk->day;
    int r = rnd(100);
    if (r < 12) {
        op.kind = OP_CLOCK;
        int kind = rnd(4);
        int64_t to;
        if (kind == 0)
            to = wk->time + rnd(3) * 3600 * 1000LL; //  within the day, or not at all
        else if (kind == 1)
            to = cchc_date_end_ms(wk->day); //  exactly midnight: today's deadlines cross
        else
            to = cchc_date_start_ms(cchc_date_add(wk->day, 1 + rnd(kind == 2 ? 2 : 5))) +
                 rnd(20) * 3600 * 1000LL;
        op.when = to < wk->time ? wk->time : to;
    } else if (r < 22 && wk->nunits[w] < (w == 0 ? 16 : 7)) {
        op.kind = OP_UNIT;
        unit_code(op.unit, sizeof(op.unit), wk->nunits[w]);
    } else if (r < 40) {
        op.kind = OP_TASK;
        snprintf(op.task, sizeof(op.task), "T%03d", wk->ntasks[w]);
        snprintf(op.area, sizeof(op.area), "A%d", rnd(w == 0 ? 3 : 2) + 1);
        op.due = cchc_date_add(wk->day, rnd(40) - 3);
        op.a = rnd(3) + 1;                            //  outputs required
        op.b = (rnd(3) + 1) * 500;                    //  factor
        op.c = rnd(5) == 0 ? (rnd(5) + 1) * 1000 : 0; //  fixed points
    } else if (r < 52) {
        op.kind = OP_PROGRESS;
        op.a = rnd(4);
    } else if (r < 62) {
        op.kind = OP_SUBMIT;
    } else if (r < 72) {
        op.kind = OP_VERIFY;
        op.a = rnd(3) != 0;
    } else if (r < 79) {
        op.kind = OP_DEADLINE;
        op.due = cchc_date_add(wk->day, rnd(30) - 2);
        op.a = rnd(2);
    } else if (r < 83) {
        op.kind = OP_PAUSE;
    } else if (r < 87) {
        op.kind = OP_RESUME;
    } else if (r < 89) {
        op.kind = OP_CANCEL;
    } else if (r < 96) {
        op.kind = OP_ADJUST;
        op.a = rnd(3) * 100;
        op.b = rnd(4) == 0 ? rnd(3) * 150 : 0;
    } else {
        op.kind = OP_APPRAISE;
        op.a = rnd(10001);
    }
    return op;
}

static void test_incremental_equals_scratch(void **state)
{
    (void)state;
    fixture_t *f = fx;
    walk_t wk;
    memset(&wk, 0, sizeof(wk));
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < MAX_UNITS; i++)
            wk.seen[w][i].tier = CCHC__TIER__TIER_UNRATED;
    wk.day = 20260101;
    wk.time = at9(20260101);
    check_step(f, &wk); //  ward W of the builder, no unit yet

    //  Ward V, then areas and a first few units in both wards.
    BOTH(ward_reg(&f->a, "V", 2026, wk.time), ward_reg(&f->b, "V", 2026, wk.time));
    check_step(f, &wk);
    for (int w = 0; w < 2; w++) {
        use_ward(f, w);
        for (int i = 1; i <= (w == 0 ? 3 : 2); i++) {
            char area[16];
            snprintf(area, sizeof(area), "A%d", i);
            int weight = w == 0 ? 20 + 10 * i : 50;
            BOTH(area_def(&f->a, area, weight, wk.time), area_def(&f->b, area, weight, wk.time));
            check_step(f, &wk);
        }
        for (int i = 0; i < (w == 0 ? 10 : 4); i++) {
            char unit[16];
            unit_code(unit, sizeof(unit), i);
            BOTH(unit_reg(&f->a, unit, wk.time), unit_reg(&f->b, unit, wk.time));
            wk.nunits[w]++;
            check_step(f, &wk);
        }
    }

    srand(20261201);
    uint64_t applied = 0;
    int kinds[OP_APPRAISE + 1] = {0};
    //  Until well past the end of the plan year (31/12/2026).
    for (int step = 0; step < 20000 && wk.day < 20270215; step++) {
        int w = rnd(4) == 0 ? 1 : 0;
        use_ward(f, w);
        op_t op = random_op(&wk, w);
        if (getenv("TR_DEBUG"))
            fprintf(stderr, "step %d ward %d op %d unit %s task %s day %d\n", step, w, op.kind, op.unit,
                    op.task, wk.day);
        Cchc__ErrorCode ra = do_op(&f->a, &op), rb = do_op(&f->b, &op);
        assert_int_equal(ra, rb);
        if (ra != CCHC__ERROR_CODE__ERR_NONE) {
            assert_int_equal(f->changes.count, 0); //  a refused event changes nothing
            continue;
        }
        applied++;
        kinds[op.kind]++;
        if (op.kind == OP_CLOCK) {
            f->clock_moves++;
            wk.time = op.when;
            wk.day = cchc_date_of_ms(op.when);
        } else if (op.kind == OP_UNIT) {
            wk.nunits[w]++;
        } else if (op.kind == OP_TASK) {
            wk.ntasks[w]++;
        }
        check_step(f, &wk);
    }
    printf("# %llu events applied, %llu clock moves, %llu changes checked, %d + %d tasks\n",
           (unsigned long long)applied, (unsigned long long)f->clock_moves,
           (unsigned long long)f->changes_seen, wk.ntasks[0], wk.ntasks[1]);
    //  The walk covered what it claims to: every kind of event, the end of
    //  the year, and a fair number of changes.
    for (int k = 0; k <= OP_APPRAISE; k++)
        assert_true(kinds[k] > 0);
    assert_true(wk.day > 20261231);
    assert_true(f->changes_seen > 500);
    assert_true(f->clock_moves > 100);
}

static int setup(void **state)
{
    static fixture_t f;
    memset(&f, 0, sizeof(f));
    builder_init(&f.a);
    builder_init(&f.b);
    cchc_rules_default(&f.rules);
    f.ranking = cchc_ranking_new(&f.rules);
    cchc_ranking_rank_all(f.ranking, f.a.model);
    f.a.on_apply = on_apply_a;
    f.a.arg = &f;
    fx = &f;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    cchc_ranking_destroy(&f->ranking);
    cchc_rank_changes_free(&f->changes);
    builder_free(&f->a);
    builder_free(&f->b);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incremental_equals_scratch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
