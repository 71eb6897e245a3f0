/*  test_scoring_property.c - the scoring property test: a live scoring, a
    scoring rebuilt from zero and an independent oracle agree, score for
    score, on thousands of random events (issue 4, labels replay and crash).

    A seeded generator (seed printed; CCHC_PROP_SEED reproduces a run,
    CCHC_PROP_EVENTS sets how many accepted events, default 10,000,
    CCHC_PROP_KILLS how many kill -9, default 4; ctest runs 0 and 5) plays a
    year of four wards through intake: units (some registered mid-year),
    officials, areas (one of weight 0, and areas a unit has no task in: not
    applicable), tasks due all over 2026, progress, submissions,
    verifications that pass and fail, rework, deadline changes (before and
    after the due date, with and without an objective reason or approver),
    pauses, resumes, cancellations, bonuses, penalties, appraisals, clock
    jumps small and large (some exactly onto a due date's end, and past the
    end of the plan year), and invalid events intake must reject. Every
    event's fate is predicted; intake's Ack must agree. One ward is quiet
    (few tasks, few submissions, appraisals of 80 or 95 points) so that ties on score and
    on-time rate are decided by the later keys of the ranking.

    The ORACLE below is written from docs/SCORING.md and the domain brief,
    independently of common/model.c and services/scoring/rules.c (neither is
    called; dates are computed here too): it keeps the list of events intake
    accepted and, at each checkpoint, folds the whole list from scratch and
    evaluates every unit the plain way. At each checkpoint (every 250
    events, on due-date boundaries now and then, on the last day of the plan
    year and at its end) the ranking of every ward (RankingQuery over
    ZeroMQ, the public API) must equal the oracle's, every field of every
    entry, and so must every unit's explanation (ExplainQuery): each task's
    a, b, c, delays, status, maximum and earned points, each area's %.
    With kills, scoring is killed with kill -9 at random moments of the
    second half of the stream (while behind intake) and restarted, and once
    more while it replays from zero. At the end a fresh scoring replaying
    intake's whole log from zero must equal the oracle and the live
    rankings, byte for byte.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR (notify is not started).
    Ownership: every generated event lives in one array freed at the end;
    decoded replies are destroyed where they are read.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static int g_argc;
static char **g_argv;

// ---------------------------------------------------------------------------
//  The PRNG (splitmix64): one seed reproduces the whole run.

static uint64_t g_rng;

static uint64_t rnd64(void)
{
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

//  Uniform in 0 .. n-1 (n > 0).
static int rnd(int n)
{
    return (int)(rnd64() % (uint64_t)n);
}

//  True with probability pct %.
static bool chance(int pct)
{
    return rnd(100) < pct;
}

// ---------------------------------------------------------------------------
//  Calendar, written here (not common/clock.c): local time is UTC+7, a date
//  yyyymmdd ends at the local midnight that starts the next day.

#define DAY_MS    (86400000LL)
#define HOUR_MS   (3600000LL)
#define OFFSET_MS (7 * HOUR_MS)

//  Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int32_t civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    return (int32_t)(y * 10000 + m * 100 + d);
}

static int64_t date_days(int32_t date)
{
    return days_from_civil(date / 10000, date / 100 % 100, date % 100);
}

//  Instant (ms UTC) when the local date ends.
static int64_t date_end(int32_t date)
{
    return (date_days(date) + 1) * DAY_MS - OFFSET_MS;
}

//  Local date of an instant.
static int32_t date_of(int64_t ms)
{
    int64_t local = ms + OFFSET_MS;
    int64_t days = local >= 0 ? local / DAY_MS : (local - DAY_MS + 1) / DAY_MS;
    return civil_from_days(days);
}

static int32_t date_add(int32_t date, int days)
{
    return civil_from_days(date_days(date) + days);
}

// ---------------------------------------------------------------------------
//  Events as the test generates them (and the oracle folds them)

#define CODE_LEN 40

typedef enum {
    EV_WARD,
    EV_UNIT,
    EV_OFFICIAL,
    EV_AREA,
    EV_TASK,
    EV_PROGRESS,
    EV_SUBMIT,
    EV_VERIFY,
    EV_DEADLINE,
    EV_PAUSE,
    EV_RESUME,
    EV_CANCEL,
    EV_ADJUST,
    EV_APPRAISE,
    EV_KINDS
} ev_kind_t;

static const char *kind_name[EV_KINDS] = {"ward",     "unit",   "official", "area",     "task",
                                          "progress", "submit", "verify",   "deadline", "pause",
                                          "resume",   "cancel", "adjust",   "appraise"};

typedef struct {
    ev_kind_t kind;
    char ward[16], actor[CODE_LEN];
    char code[CODE_LEN];  //  the task, unit, area or official the event is about
    char unit[CODE_LEN];  //  task: lead unit; official: its unit; adjust/appraise: the unit
    char area[CODE_LEN];  //  task: area
    char other[CODE_LEN]; //  task: co-unit; official, verify, deadline, task: an official (may be "")
    int32_t n1;           //  year, weight, due date, percent, new due date, bonus, score, role
    int32_t n2;           //  factor_milli, outputs_done, penalty
    int32_t n3;           //  outputs_required
    int64_t points_milli;
    bool has_n2, has_n3, has_points, flag; //  flag: passed, objective
    bool no_reason;                        //  deadline/adjust without a reason (invalid)
    bool expect_ok;
    Cchc__ErrorCode expect_err;
    int64_t log_time; //  intake's log time (the manual clock)
    uint64_t seq;
} gev_t;

// ---------------------------------------------------------------------------
//  The oracle's state: what happened to each ward, unit and task. Kept
//  deliberately plain: arrays, codes compared with strcmp.

enum { PH_NEW, PH_WORK, PH_SUBMITTED, PH_DONE, PH_REWORK };

#define MAX_WARDS 4
#define MAX_UNITS 12
#define MAX_AREAS 10
#define MAX_OFF   64
#define MAX_LATE  16

typedef struct {
    char code[CODE_LEN];
    int32_t bonus, penalty; //  sums of every adjustment
    bool appraised;
    int32_t appraisal;
} o_unit_t;

typedef struct {
    char code[CODE_LEN];
    int32_t weight;
} o_area_t;

typedef struct {
    char code[CODE_LEN];
    int unit, area;
    int32_t factor_milli, outputs_required;
    int64_t points_milli;
    int64_t assigned_ms;
    int32_t outputs_done;
    int phase;
    int64_t submitted_ms;         //  last submission
    int failed;                   //  failed verifications
    int32_t due;                  //  due date in force
    int32_t late_dates[MAX_LATE]; //  dates replaced after they had passed
    int nlate;
    int deadline_changes;
    bool paused, cancelled, excused;
} o_task_t;

typedef struct {
    char code[16];
    int32_t year;
    o_unit_t units[MAX_UNITS];
    int nunits;
    o_area_t areas[MAX_AREAS];
    int nareas;
    o_task_t *tasks;
    int ntasks, tasks_cap;
    char officials[MAX_OFF][CODE_LEN];
    int nofficials;
    bool chairman;
} o_ward_t;

typedef struct {
    o_ward_t wards[MAX_WARDS];
    int nwards;
} o_state_t;

static void state_free(o_state_t *s)
{
    for (int i = 0; i < s->nwards; i++)
        free(s->wards[i].tasks);
    memset(s, 0, sizeof(*s));
}

static o_ward_t *find_ward(o_state_t *s, const char *code)
{
    for (int i = 0; i < s->nwards; i++)
        if (!strcmp(s->wards[i].code, code))
            return &s->wards[i];
    return NULL;
}

static int find_unit(const o_ward_t *w, const char *code)
{
    for (int i = 0; i < w->nunits; i++)
        if (!strcmp(w->units[i].code, code))
            return i;
    return -1;
}

static int find_area(const o_ward_t *w, const char *code)
{
    for (int i = 0; i < w->nareas; i++)
        if (!strcmp(w->areas[i].code, code))
            return i;
    return -1;
}

static int find_task(const o_ward_t *w, const char *code)
{
    //  the generator numbers a ward's tasks "<ward>-NV0001" on: try there first
    const char *nv = strstr(code, "-NV");
    int guess = nv ? atoi(nv + 3) - 1 : -1;
    if (guess >= 0 && guess < w->ntasks && !strcmp(w->tasks[guess].code, code))
        return guess;
    for (int i = 0; i < w->ntasks; i++)
        if (!strcmp(w->tasks[i].code, code))
            return i;
    return -1;
}

//  Fold one accepted event at its log time.
static void oracle_apply(o_state_t *s, const gev_t *e)
{
    if (e->kind == EV_WARD) {
        o_ward_t *w = &s->wards[s->nwards++];
        memset(w, 0, sizeof(*w));
        snprintf(w->code, sizeof(w->code), "%s", e->ward);
        w->year = e->n1;
        return;
    }
    o_ward_t *w = find_ward(s, e->ward);
    assert_non_null(w);
    switch (e->kind) {
    case EV_UNIT: {
        o_unit_t *u = &w->units[w->nunits++];
        memset(u, 0, sizeof(*u));
        snprintf(u->code, sizeof(u->code), "%s", e->code);
        return;
    }
    case EV_OFFICIAL:
        snprintf(w->officials[w->nofficials++], CODE_LEN, "%s", e->code);
        if (e->n1 == CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN)
            w->chairman = true;
        return;
    case EV_AREA: {
        o_area_t *a = &w->areas[w->nareas++];
        snprintf(a->code, sizeof(a->code), "%s", e->code);
        a->weight = e->n1;
        return;
    }
    case EV_TASK: {
        if (w->ntasks == w->tasks_cap) {
            w->tasks_cap = w->tasks_cap ? w->tasks_cap * 2 : 64;
            w->tasks = realloc(w->tasks, (size_t)w->tasks_cap * sizeof(*w->tasks));
            assert_non_null(w->tasks);
        }
        o_task_t *t = &w->tasks[w->ntasks++];
        memset(t, 0, sizeof(*t));
        snprintf(t->code, sizeof(t->code), "%s", e->code);
        t->unit = find_unit(w, e->unit);
        t->area = find_area(w, e->area);
        t->due = e->n1;
        t->factor_milli = e->has_n2 ? e->n2 : 1000; //  no factor given: 1.0
        t->outputs_required = e->has_n3 ? e->n3 : 1;
        t->points_milli = e->has_points ? e->points_milli : 0;
        t->assigned_ms = e->log_time;
        t->phase = PH_NEW;
        return;
    }
    case EV_ADJUST: {
        o_unit_t *u = &w->units[find_unit(w, e->unit)];
        u->bonus += e->n1;
        u->penalty += e->n2;
        return;
    }
    case EV_APPRAISE: {
        o_unit_t *u = &w->units[find_unit(w, e->unit)];
        u->appraised = true;
        u->appraisal = e->n1;
        return;
    }
    default:
        break;
    }
    o_task_t *t = &w->tasks[find_task(w, e->code)];
    switch (e->kind) {
    case EV_PROGRESS:
        if (e->has_n2)
            t->outputs_done = e->n2;
        if (t->phase == PH_NEW)
            t->phase = PH_WORK;
        break;
    case EV_SUBMIT:
        t->phase = PH_SUBMITTED;
        t->submitted_ms = e->log_time;
        break;
    case EV_VERIFY:
        if (e->flag) {
            t->phase = PH_DONE;
        } else {
            t->phase = PH_REWORK;
            t->failed++;
        }
        break;
    case EV_DEADLINE:
        t->deadline_changes++;
        if (e->log_time < date_end(t->due)) {
            if (e->flag) {
                t->due = e->n1; //  approved before the date for an objective reason: excused
                t->excused = true;
            }
            //  without an objective reason the date lateness is judged by stays
        } else {
            t->late_dates[t->nlate++] = t->due; //  the date was missed
            t->due = e->n1;
        }
        break;
    case EV_PAUSE:
        t->paused = true;
        break;
    case EV_RESUME:
        t->paused = false;
        break;
    case EV_CANCEL:
        t->cancelled = true;
        break;
    default:
        fail_msg("oracle: unexpected event kind %d", e->kind);
    }
}

// ---------------------------------------------------------------------------
//  The oracle's evaluation (docs/SCORING.md, "The rules, step by step", with
//  the default rules; every division floors)

typedef struct {
    char unit[CODE_LEN];
    uint32_t rank;
    int32_t score, computed;
    bool appraised;
    int tier, score_tier;
    char par[2];
    uint32_t evaluated, done, on_time, late, overdue, unmet;
    int32_t on_time_ppm;
    bool head_accountable, eligible;
    int32_t bonus, penalty;
    bool rated;
} o_entry_t;

//  Delays of a task: each date replaced after it had passed, unless the task
//  was finished (as of its submission) before that date ended; plus the date
//  in force if the task was finished (or is still open) after its end.
static int task_delays(const o_task_t *t, int64_t now)
{
    bool done = t->phase == PH_DONE;
    int64_t finished = done ? t->submitted_ms : now;
    int delays = 0;
    for (int i = 0; i < t->nlate; i++)
        if (!done || finished >= date_end(t->late_dates[i]))
            delays++;
    if (finished >= date_end(t->due))
        delays++;
    return delays;
}

//  One task's figures at log time now (ppm).
typedef struct {
    bool done, evaluated, unmet;
    int delays;
    int64_t a, b, c, s, weight;
} o_fig_t;

static o_fig_t task_fig(const o_task_t *t, int64_t now)
{
    o_fig_t f;
    memset(&f, 0, sizeof(f));
    f.done = t->phase == PH_DONE;
    bool due = now >= date_end(t->due);
    bool counts = !t->cancelled && !t->paused; //  paused and cancelled tasks do not count
    //  chưa đạt yêu cầu: overdue and unfinished, or failed and not redone
    f.unmet = counts && !f.done && (due || t->phase == PH_REWORK);
    f.evaluated = counts && (due || f.done); //  came due, or done early
    f.delays = task_delays(t, now);
    int64_t outputs = t->outputs_done < t->outputs_required ? t->outputs_done : t->outputs_required;
    f.a = outputs * 1000000 / t->outputs_required;
    f.b = f.done ? 1000000 - 250000LL * t->failed : 0;
    f.c = f.done ? 1000000 - 250000LL * f.delays : 0;
    if (f.b < 0)
        f.b = 0;
    if (f.c < 0)
        f.c = 0;
    f.s = (f.a + f.b + f.c) / 3;
    f.weight = t->points_milli > 0 ? t->points_milli : t->factor_milli;
    return f;
}

//  The official classification (Văn phòng Chính phủ usage), or why the task
//  is out of the evaluation.
static const char *status_vi(const o_task_t *t, const o_fig_t *f, int64_t now)
{
    if (t->cancelled)
        return "Hủy";
    if (f->done)
        return f->delays == 0 ? "Đã hoàn thành đúng hạn" : "Đã hoàn thành quá hạn";
    if (t->paused)
        return "Tạm dừng";
    return now >= date_end(t->due) ? "Chưa hoàn thành quá hạn" : "Chưa hoàn thành trong hạn";
}

static int tier_of(int32_t score)
{
    return score >= 9000   ? CCHC__TIER__TIER_EXCELLENT
           : score >= 7000 ? CCHC__TIER__TIER_GOOD
           : score >= 5000 ? CCHC__TIER__TIER_COMPLETED
                           : CCHC__TIER__TIER_NOT_COMPLETED;
}

static void oracle_unit(const o_ward_t *w, int ui, int64_t now, o_entry_t *x)
{
    memset(x, 0, sizeof(*x));
    const o_unit_t *u = &w->units[ui];
    snprintf(x->unit, sizeof(x->unit), "%s", u->code);
    int64_t area_w[MAX_AREAS] = {0}, area_ws[MAX_AREAS] = {0};
    for (int i = 0; i < w->ntasks; i++) {
        const o_task_t *t = &w->tasks[i];
        if (t->unit != ui)
            continue;
        o_fig_t f = task_fig(t, now);
        if (f.unmet)
            x->unmet++;
        if (!f.evaluated)
            continue;
        x->evaluated++;
        area_w[t->area] += f.weight;
        area_ws[t->area] += f.weight * f.s;
        if (f.done && f.delays == 0)
            x->on_time++;
        else if (f.done)
            x->late++;
        else
            x->overdue++;
        if (f.done)
            x->done++;
    }
    int64_t wsum = 0, weighted = 0;
    for (int a = 0; a < w->nareas; a++)
        if (area_w[a] > 0) { //  applicable: the unit has an evaluated task there
            wsum += w->areas[a].weight;
            weighted += w->areas[a].weight * (area_ws[a] / area_w[a]);
        }
    int64_t unit_ppm = wsum ? weighted / wsum : 0;
    x->rated = x->evaluated > 0;
    x->bonus = u->bonus < 500 ? u->bonus : 500;
    x->penalty = u->penalty;
    int64_t computed = unit_ppm / 100 + x->bonus - x->penalty;
    x->computed = (int32_t)(computed < 0 ? 0 : computed > 10000 ? 10000 : computed);
    x->appraised = u->appraised;
    x->score = u->appraised ? u->appraisal : x->computed;
    x->on_time_ppm = x->evaluated ? (int32_t)((int64_t)x->on_time * 1000000 / x->evaluated) : 0;
    if (!x->rated && !x->appraised) {
        x->score = x->computed = 0;
        x->tier = x->score_tier = CCHC__TIER__TIER_UNRATED;
        strcpy(x->par, "-");
        x->eligible = true;
        return;
    }
    x->score_tier = tier_of(x->score);
    x->tier = x->score_tier;
    if (x->tier == CCHC__TIER__TIER_EXCELLENT && x->unmet > 0)
        x->tier = CCHC__TIER__TIER_GOOD;
    if (x->evaluated > 0 && x->on_time_ppm < 800000 &&
        (x->tier == CCHC__TIER__TIER_EXCELLENT || x->tier == CCHC__TIER__TIER_GOOD))
        x->tier = CCHC__TIER__TIER_COMPLETED;
    strcpy(x->par, x->score >= 9000 ? "A" : x->score >= 8000 ? "B" : x->score >= 7000 ? "C" : "D");
    bool year_over = now >= date_end(w->year * 10000 + 1231);
    x->head_accountable = x->tier == CCHC__TIER__TIER_NOT_COMPLETED || (year_over && x->unmet > 0);
    x->eligible = !x->head_accountable;
}

//  Ranking: rated (or appraised) first, score desc, on-time desc, overdue
//  asc, unit code asc.
static int entry_order(const void *pa, const void *pb)
{
    const o_entry_t *a = pa, *b = pb;
    bool ra = a->rated || a->appraised, rb = b->rated || b->appraised;
    if (ra != rb)
        return ra ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->on_time_ppm != b->on_time_ppm)
        return a->on_time_ppm > b->on_time_ppm ? -1 : 1;
    if (a->overdue != b->overdue)
        return a->overdue < b->overdue ? -1 : 1;
    return strcmp(a->unit, b->unit);
}

static int oracle_rank(const o_ward_t *w, int64_t now, o_entry_t *out)
{
    for (int i = 0; i < w->nunits; i++)
        oracle_unit(w, i, now, &out[i]);
    qsort(out, (size_t)w->nunits, sizeof(*out), entry_order);
    for (int i = 0; i < w->nunits; i++)
        out[i].rank = (uint32_t)(i + 1);
    return w->nunits;
}

// ---------------------------------------------------------------------------
//  The run

typedef struct {
    cluster_t *c;
    o_state_t gen; //  folded as events are generated: what is valid next
    gev_t *evs;    //  every generated event, in order
    size_t nevs, cap;
    int64_t clock; //  intake's manual clock
    int task_serial[MAX_WARDS];
    int official_serial;
    size_t accepted, rejected, clock_steps, checkpoints, kills, kills_behind;
    bool checkpoint_due; //  compare after the next batch (a boundary of interest was reached)
    bool measure;        //  record the next catch-up time (scoring ran all along)
    int64_t last_ack_ms; //  monotonic time of the last Ack
    int64_t lags[256];   //  ms from the last Ack to a ranking that includes it
    size_t nlags;
    int64_t end_time; //  where the clock should be by the last event
    size_t target;    //  events to generate
} run_t;

static gev_t *new_ev(run_t *r, ev_kind_t kind, const o_ward_t *w)
{
    if (r->nevs == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4096;
        r->evs = realloc(r->evs, r->cap * sizeof(*r->evs));
        assert_non_null(r->evs);
    }
    gev_t *e = &r->evs[r->nevs++];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    if (w)
        snprintf(e->ward, sizeof(e->ward), "%s", w->code);
    strcpy(e->actor, "ward");
    e->expect_ok = true;
    return e;
}

//  The Cchc__Event of a generated event; strings point into e. The
//  sub-message lives in *payload (a union big enough for any of them).
typedef union {
    Cchc__WardRegistered ward;
    Cchc__UnitRegistered unit;
    Cchc__OfficialRegistered official;
    Cchc__AreaDefined area;
    Cchc__TaskAssigned task;
    Cchc__ProgressReported progress;
    Cchc__SubmittedForVerification submit;
    Cchc__Verified verify;
    Cchc__DeadlineChanged deadline;
    Cchc__TaskPaused pause;
    Cchc__TaskResumed resume;
    Cchc__TaskCancelled cancel;
    Cchc__Adjustment adjust;
    Cchc__AppraisalRecorded appraise;
} payload_t;

static void to_proto(gev_t *e, Cchc__Event *ev, payload_t *p, char **co_units)
{
    cchc__event__init(ev);
    ev->ward = e->ward;
    ev->actor = e->actor;
    switch (e->kind) {
    case EV_WARD:
        cchc__ward_registered__init(&p->ward);
        p->ward.name = "Phường thử nghiệm";
        p->ward.province = "Tỉnh thử nghiệm";
        p->ward.has_year = true;
        p->ward.year = e->n1;
        ev->payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
        ev->ward_registered = &p->ward;
        break;
    case EV_UNIT:
        cchc__unit_registered__init(&p->unit);
        p->unit.code = e->code;
        p->unit.name = "Đơn vị thử nghiệm";
        ev->payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
        ev->unit_registered = &p->unit;
        break;
    case EV_OFFICIAL:
        cchc__official_registered__init(&p->official);
        p->official.code = e->code;
        p->official.full_name = "Nguyễn Văn Thử";
        p->official.unit = e->unit;
        p->official.has_role = true;
        p->official.role = (Cchc__OfficialRole)e->n1;
        ev->payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED;
        ev->official_registered = &p->official;
        break;
    case EV_AREA:
        cchc__area_defined__init(&p->area);
        p->area.code = e->code;
        p->area.name = "Lĩnh vực thử nghiệm";
        p->area.has_weight = true;
        p->area.weight = e->n1;
        ev->payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
        ev->area_defined = &p->area;
        break;
    case EV_TASK:
        cchc__task_assigned__init(&p->task);
        p->task.code = e->code;
        p->task.unit = e->unit;
        p->task.area = e->area;
        p->task.title = "Nhiệm vụ thử nghiệm";
        p->task.has_due_date = true;
        p->task.due_date = e->n1;
        p->task.has_factor_milli = e->has_n2;
        p->task.factor_milli = e->n2;
        p->task.has_outputs_required = e->has_n3;
        p->task.outputs_required = e->n3;
        p->task.has_points_milli = e->has_points;
        p->task.points_milli = e->points_milli;
        p->task.lead_official = e->other;
        co_units[0] = e->unit;
        p->task.n_co_units = e->flag ? 1 : 0; //  flag: the lead unit is named as a co-unit too
        p->task.co_units = co_units;
        ev->payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
        ev->task_assigned = &p->task;
        break;
    case EV_PROGRESS:
        cchc__progress_reported__init(&p->progress);
        p->progress.task = e->code;
        p->progress.has_percent = true;
        p->progress.percent = e->n1;
        p->progress.has_outputs_done = e->has_n2;
        p->progress.outputs_done = e->n2;
        ev->payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev->progress_reported = &p->progress;
        break;
    case EV_SUBMIT:
        cchc__submitted_for_verification__init(&p->submit);
        p->submit.task = e->code;
        ev->payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
        ev->submitted = &p->submit;
        break;
    case EV_VERIFY:
        cchc__verified__init(&p->verify);
        p->verify.task = e->code;
        p->verify.has_passed = true;
        p->verify.passed = e->flag;
        p->verify.reviewer = e->other;
        ev->payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
        ev->verified = &p->verify;
        break;
    case EV_DEADLINE:
        cchc__deadline_changed__init(&p->deadline);
        p->deadline.task = e->code;
        p->deadline.has_new_due_date = true;
        p->deadline.new_due_date = e->n1;
        p->deadline.reason = e->no_reason ? "" : "Điều chỉnh kế hoạch";
        p->deadline.has_objective = true;
        p->deadline.objective = e->flag;
        p->deadline.approver = e->other;
        ev->payload_case = CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED;
        ev->deadline_changed = &p->deadline;
        break;
    case EV_PAUSE:
        cchc__task_paused__init(&p->pause);
        p->pause.task = e->code;
        p->pause.reason = "Chờ hướng dẫn";
        ev->payload_case = CCHC__EVENT__PAYLOAD_PAUSED;
        ev->paused = &p->pause;
        break;
    case EV_RESUME:
        cchc__task_resumed__init(&p->resume);
        p->resume.task = e->code;
        ev->payload_case = CCHC__EVENT__PAYLOAD_RESUMED;
        ev->resumed = &p->resume;
        break;
    case EV_CANCEL:
        cchc__task_cancelled__init(&p->cancel);
        p->cancel.task = e->code;
        p->cancel.reason = "Không còn phù hợp";
        ev->payload_case = CCHC__EVENT__PAYLOAD_CANCELLED;
        ev->cancelled = &p->cancel;
        break;
    case EV_ADJUST:
        cchc__adjustment__init(&p->adjust);
        p->adjust.unit = e->unit;
        p->adjust.has_bonus_centi = p->adjust.has_penalty_centi = true;
        p->adjust.bonus_centi = e->n1;
        p->adjust.penalty_centi = e->n2;
        p->adjust.reason = e->no_reason ? "" : "Thi đua";
        ev->payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
        ev->adjustment = &p->adjust;
        break;
    case EV_APPRAISE:
        cchc__appraisal_recorded__init(&p->appraise);
        p->appraise.unit = e->unit;
        p->appraise.has_score_centi = true;
        p->appraise.score_centi = e->n1;
        p->appraise.appraiser = e->other;
        ev->payload_case = CCHC__EVENT__PAYLOAD_APPRAISAL;
        ev->appraisal = &p->appraise;
        break;
    default:
        fail_msg("unknown kind");
    }
}

static void describe(const gev_t *e, char *buf, size_t size)
{
    snprintf(buf, size, "%s ward=%s actor=%s code=%s unit=%s n1=%d n2=%d flag=%d time=%" PRId64,
             kind_name[e->kind], e->ward, e->actor, e->code, e->unit, e->n1, e->n2, e->flag, e->log_time);
}

//  Submit generated events [from, r->nevs) in one Submit; check each fate
//  against the prediction; record seqs and log times.
static void submit_batch(run_t *r, size_t from)
{
    size_t n = r->nevs - from;
    if (n == 0)
        return;
    Cchc__Event *evs = calloc(n, sizeof(*evs));
    Cchc__Event **ptrs = calloc(n, sizeof(*ptrs));
    payload_t *pls = calloc(n, sizeof(*pls));
    char *co[1];
    char **cos = calloc(n, sizeof(co));
    assert_true(evs && ptrs && pls && cos);
    for (size_t i = 0; i < n; i++) {
        to_proto(&r->evs[from + i], &evs[i], &pls[i], &cos[i]);
        ptrs[i] = &evs[i];
    }
    Cchc__Submit submit = CCHC__SUBMIT__INIT;
    submit.n_events = n;
    submit.events = ptrs;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(r->c, SVC_INTAKE, &env, &reply), 0);
    const Cchc__Envelope *renv = cchc_decoded_env(reply);
    assert_int_equal(renv->body_case, CCHC__ENVELOPE__BODY_ACK);
    const Cchc__Ack *ack = renv->ack;
    assert_int_equal(ack->n_seqs, n);
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any = any || ack->seqs[i] > 0;
    if (any) //  an Ack of rejections only carries no log time
        assert_int_equal(ack->log_time_ms, r->clock);
    for (size_t i = 0; i < n; i++) {
        gev_t *e = &r->evs[from + i];
        Cchc__ErrorCode code = CCHC__ERROR_CODE__ERR_NONE;
        for (size_t k = 0; k < ack->n_errors; k++)
            if (ack->errors[k]->index == (int32_t)i)
                code = ack->errors[k]->code;
        bool ok = ack->seqs[i] > 0;
        if (ok != e->expect_ok || (!ok && code != e->expect_err)) {
            char d[300];
            describe(e, d, sizeof(d));
            fail_msg("intake's verdict differs from the prediction: %s: expected %s (%d), got %s (%d)", d,
                     e->expect_ok ? "accepted" : "rejected", (int)e->expect_err, ok ? "accepted" : "rejected",
                     (int)code);
        }
        e->seq = ack->seqs[i];
        if (ok)
            r->accepted++;
        else
            r->rejected++;
    }
    cchc_decoded_destroy(&reply);
    r->last_ack_ms = harness_mono_ms();
    free(evs);
    free(ptrs);
    free(pls);
    free(cos);
}

//  Move intake's manual clock (appends a ClockAdvanced event).
static void clock_to_exactly(run_t *r, int64_t to);

//  Move the clock, stopping (with a checkpoint) on the last day of the plan
//  year and at its very end, where the head's accountability changes.
static void clock_to(run_t *r, int64_t to)
{
    const int64_t stops[] = {date_end(20261230) + 12 * HOUR_MS, date_end(20261231)};
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
        if (r->clock < stops[i] && to > stops[i]) {
            clock_to_exactly(r, stops[i]);
            r->checkpoint_due = true;
            return;
        }
    clock_to_exactly(r, to);
}

static void clock_to_exactly(run_t *r, int64_t to)
{
    if (to <= r->clock)
        return;
    Cchc__AdvanceClock adv = CCHC__ADVANCE_CLOCK__INIT;
    adv.has_to_ms = true;
    adv.to_ms = to;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ADVANCE_CLOCK;
    env.advance_clock = &adv;
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(r->c, SVC_INTAKE, &env, &reply), 0);
    assert_int_equal(cchc_decoded_env(reply)->body_case, CCHC__ENVELOPE__BODY_ACK);
    cchc_decoded_destroy(&reply);
    r->clock = to;
    r->clock_steps++;
}

// ---------------------------------------------------------------------------
//  Generators: each makes one event valid in the generator's state (folded
//  at once, so the next event of the batch may rely on it), or returns NULL
//  when nothing fits.

static const char *random_official(const o_ward_t *w)
{
    return w->nofficials && chance(70) ? w->officials[rnd(w->nofficials)] : "";
}

static void fold_now(run_t *r, gev_t *e)
{
    e->log_time = r->clock;
    if (e->expect_ok)
        oracle_apply(&r->gen, e);
}

static gev_t *gen_official(run_t *r, o_ward_t *w, const char *unit, int role)
{
    if (w->nofficials >= MAX_OFF)
        return NULL;
    gev_t *e = new_ev(r, EV_OFFICIAL, w);
    snprintf(e->code, sizeof(e->code), "CB%03d", ++r->official_serial);
    snprintf(e->unit, sizeof(e->unit), "%s", unit);
    e->n1 = role;
    fold_now(r, e);
    return e;
}

static gev_t *gen_unit(run_t *r, o_ward_t *w)
{
    if (w->nunits >= MAX_UNITS)
        return NULL;
    gev_t *e = new_ev(r, EV_UNIT, w);
    snprintf(e->code, sizeof(e->code), "U%02d", w->nunits + 1);
    fold_now(r, e);
    //  A copy: registering the head may grow r->evs and move e.
    char code[sizeof(e->code)];
    snprintf(code, sizeof(code), "%s", e->code);
    size_t index = (size_t)(e - r->evs);
    gen_official(r, w, code, CCHC__OFFICIAL_ROLE__ROLE_HEAD);
    return &r->evs[index];
}

static gev_t *gen_area(run_t *r, o_ward_t *w, int weight)
{
    if (w->nareas >= MAX_AREAS)
        return NULL;
    gev_t *e = new_ev(r, EV_AREA, w);
    snprintf(e->code, sizeof(e->code), "LV%d", w->nareas + 1);
    e->n1 = weight;
    fold_now(r, e);
    return e;
}

static gev_t *gen_task(run_t *r, o_ward_t *w)
{
    int wi = (int)(w - r->gen.wards);
    if (wi == 3 && w->ntasks >= 24)
        return NULL;
    gev_t *e = new_ev(r, EV_TASK, w);
    snprintf(e->code, sizeof(e->code), "%s-NV%04d", w->code, ++r->task_serial[wi]);
    int ui = rnd(w->nunits);
    snprintf(e->unit, sizeof(e->unit), "%s", w->units[ui].code);
    //  a unit keeps to a few areas, so the other areas are not applicable to it
    int ai = (ui * 3 + rnd(3)) % w->nareas;
    snprintf(e->area, sizeof(e->area), "%s", w->areas[ai].code);
    int32_t today = date_of(r->clock);
    int32_t due = date_add(today, chance(8) ? -rnd(10) : rnd(150)); //  some already past
    if (due > 20261231)
        due = date_add(20261231, -rnd(20));
    if (due < 20260101)
        due = 20260101;
    e->n1 = due;
    static const int32_t factors[] = {1000, 500, 1500, 2000, 750, 1250};
    e->has_n2 = chance(60);
    e->n2 = factors[rnd(6)];
    e->has_n3 = chance(50);
    e->n3 = 1 + rnd(4);
    e->has_points = chance(10);
    e->points_milli = chance(50) ? 0 : 1000 + rnd(20000); //  0 = share of the area
    snprintf(e->other, sizeof(e->other), "%s", random_official(w));
    e->flag = chance(20); //  with the lead unit named as a co-unit too (any known unit is valid)
    fold_now(r, e);
    return e;
}

//  A random task of w satisfying pred, or -1.
typedef bool (*task_pred)(const o_task_t *t);

static int pick_task(const o_ward_t *w, task_pred pred)
{
    if (!w->ntasks)
        return -1;
    for (int tries = 0; tries < 40; tries++) {
        //  favour recent tasks: most activity is on what is current
        int i = chance(70) ? w->ntasks - 1 - rnd(w->ntasks < 60 ? w->ntasks : 60) : rnd(w->ntasks);
        if (pred(&w->tasks[i]))
            return i;
    }
    return -1;
}

static bool p_workable(const o_task_t *t)
{
    return !t->paused && !t->cancelled &&
           (t->phase == PH_NEW || t->phase == PH_WORK || t->phase == PH_REWORK);
}

static bool p_submitted(const o_task_t *t)
{
    return !t->cancelled && t->phase == PH_SUBMITTED;
}

static bool p_open(const o_task_t *t)
{
    return !t->cancelled && t->phase != PH_DONE && t->deadline_changes < MAX_LATE - 1;
}

static bool p_pausable(const o_task_t *t)
{
    return !t->cancelled && !t->paused && t->phase != PH_DONE;
}

static bool p_cancellable(const o_task_t *t)
{
    return !t->cancelled && t->phase != PH_DONE;
}

static bool p_paused(const o_task_t *t)
{
    return t->paused && !t->cancelled;
}

static bool p_done(const o_task_t *t)
{
    return t->phase == PH_DONE;
}

static bool p_not_submitted(const o_task_t *t)
{
    return t->phase != PH_SUBMITTED;
}

static gev_t *task_ev(run_t *r, o_ward_t *w, ev_kind_t kind, int ti)
{
    gev_t *e = new_ev(r, kind, w);
    const o_task_t *t = &w->tasks[ti];
    snprintf(e->code, sizeof(e->code), "%s", t->code);
    snprintf(e->unit, sizeof(e->unit), "%s", w->units[t->unit].code);
    return e;
}

static gev_t *gen_progress(run_t *r, o_ward_t *w)
{
    int ti = pick_task(w, p_workable);
    if (ti < 0)
        return NULL;
    gev_t *e = task_ev(r, w, EV_PROGRESS, ti);
    if (chance(80))
        snprintf(e->actor, sizeof(e->actor), "%s", e->unit);
    e->n1 = rnd(101);
    e->has_n2 = chance(85);
    int req = w->tasks[ti].outputs_required;
    e->n2 = chance(60) ? req : rnd(req + 1);
    fold_now(r, e);
    return e;
}

static gev_t *gen_submit(run_t *r, o_ward_t *w)
{
    int ti = pick_task(w, p_workable);
    if (ti < 0)
        return NULL;
    gev_t *e = task_ev(r, w, EV_SUBMIT, ti);
    if (chance(80))
        snprintf(e->actor, sizeof(e->actor), "%s", e->unit);
    fold_now(r, e);
    return e;
}

static gev_t *gen_verify(run_t *r, o_ward_t *w)
{
    int ti = pick_task(w, p_submitted);
    if (ti < 0)
        return NULL;
    gev_t *e = task_ev(r, w, EV_VERIFY, ti);
    e->flag = chance(65);
    snprintf(e->other, sizeof(e->other), "%s", random_official(w));
    fold_now(r, e);
    return e;
}

static gev_t *gen_deadline(run_t *r, o_ward_t *w)
{
    int ti = pick_task(w, p_open);
    if (ti < 0)
        return NULL;
    const o_task_t *t = &w->tasks[ti];
    gev_t *e = task_ev(r, w, EV_DEADLINE, ti);
    int32_t assigned = date_of(t->assigned_ms);
    int32_t nd =
        chance(75) ? date_add(t->due, 1 + rnd(45)) : date_add(t->due, -1 - rnd(20)); //  later or earlier
    if (chance(30))
        nd = date_add(date_of(r->clock), rnd(30)); //  from today
    if (nd < assigned)
        nd = assigned; //  never before the assignment (that is an invalid event of its own)
    e->n1 = nd;
    e->flag = chance(55); //  objective reason
    snprintf(e->other, sizeof(e->other), "%s", random_official(w));
    fold_now(r, e);
    return e;
}

static gev_t *gen_simple(run_t *r, o_ward_t *w, ev_kind_t kind, task_pred pred)
{
    int ti = pick_task(w, pred);
    if (ti < 0)
        return NULL;
    gev_t *e = task_ev(r, w, kind, ti);
    fold_now(r, e);
    return e;
}

static gev_t *gen_adjust(run_t *r, o_ward_t *w)
{
    gev_t *e = new_ev(r, EV_ADJUST, w);
    snprintf(e->unit, sizeof(e->unit), "%s", w->units[rnd(w->nunits)].code);
    e->n1 = chance(60) ? 25 * rnd(9) : 0;
    e->n2 = e->n1 == 0 ? 1 + rnd(150) : (chance(20) ? rnd(50) : 0);
    fold_now(r, e);
    return e;
}

static gev_t *gen_appraise(run_t *r, o_ward_t *w)
{
    gev_t *e = new_ev(r, EV_APPRAISE, w);
    snprintf(e->unit, sizeof(e->unit), "%s", w->units[rnd(w->nunits)].code);
    static const int32_t few[] = {8000, 8000, 9500};
    e->n1 = w == &r->gen.wards[3] ? few[rnd(3)] : 4000 + rnd(6001);
    snprintf(e->other, sizeof(e->other), "%s", random_official(w));
    fold_now(r, e);
    return e;
}

//  An event intake must reject: it changes nothing (never folded).
static gev_t *gen_invalid(run_t *r, o_ward_t *w)
{
    gev_t *e = NULL;
    int ti;
    switch (rnd(16)) {
    case 0:
        e = new_ev(r, EV_PROGRESS, w);
        strcpy(e->code, "KHONG-CO");
        e->n1 = 10;
        e->expect_err = CCHC__ERROR_CODE__ERR_UNKNOWN_TASK;
        break;
    case 1:
        if ((ti = pick_task(w, p_not_submitted)) < 0)
            return NULL;
        e = task_ev(r, w, EV_VERIFY, ti);
        e->flag = true;
        e->expect_err = CCHC__ERROR_CODE__ERR_INVALID_STATE;
        break;
    case 2:
        if ((ti = pick_task(w, p_workable)) < 0)
            return NULL;
        e = task_ev(r, w, EV_PROGRESS, ti);
        e->n1 = 150;
        e->expect_err = CCHC__ERROR_CODE__ERR_OUT_OF_RANGE;
        break;
    case 3:
        if ((ti = pick_task(w, p_submitted)) < 0)
            return NULL;
        e = task_ev(r, w, EV_VERIFY, ti); //  a unit may not verify (its own task or not)
        snprintf(e->actor, sizeof(e->actor), "%s", e->unit);
        e->flag = true;
        e->expect_err = CCHC__ERROR_CODE__ERR_NOT_PERMITTED;
        break;
    case 4:
        if ((ti = pick_task(w, p_workable)) < 0 || w->nunits < 2)
            return NULL;
        e = task_ev(r, w, EV_SUBMIT, ti); //  another unit's task
        snprintf(e->actor, sizeof(e->actor), "%s", w->units[(w->tasks[ti].unit + 1) % w->nunits].code);
        e->expect_err = CCHC__ERROR_CODE__ERR_TASK_NOT_OWNED;
        break;
    case 5:
        if ((ti = pick_task(w, p_done)) < 0)
            return NULL;
        e = task_ev(r, w, EV_SUBMIT, ti);
        e->expect_err = CCHC__ERROR_CODE__ERR_INVALID_STATE;
        break;
    case 6:
        e = new_ev(r, EV_ADJUST, w);
        strcpy(e->unit, "KHONG");
        e->n1 = 100;
        e->expect_err = CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT;
        break;
    case 7:
        if ((ti = pick_task(w, p_open)) < 0)
            return NULL;
        e = task_ev(r, w, EV_DEADLINE, ti);
        e->n1 = date_add(date_of(r->clock), 10);
        e->no_reason = true;
        e->flag = true;
        e->expect_err = CCHC__ERROR_CODE__ERR_MISSING_FIELD;
        break;
    case 8:
        e = new_ev(r, EV_APPRAISE, w);
        snprintf(e->unit, sizeof(e->unit), "%s", w->units[0].code);
        e->n1 = 10001;
        e->expect_err = CCHC__ERROR_CODE__ERR_OUT_OF_RANGE;
        break;
    case 9:
        if (!w->ntasks)
            return NULL;
        e = new_ev(r, EV_TASK, w); //  a code already taken
        snprintf(e->code, sizeof(e->code), "%s", w->tasks[rnd(w->ntasks)].code);
        snprintf(e->unit, sizeof(e->unit), "%s", w->units[0].code);
        snprintf(e->area, sizeof(e->area), "%s", w->areas[0].code);
        e->n1 = 20261231;
        e->expect_err = CCHC__ERROR_CODE__ERR_DUPLICATE;
        break;
    case 10:
        e = new_ev(r, EV_ADJUST, NULL);
        strcpy(e->ward, "KHONGCO");
        strcpy(e->unit, "U01");
        e->n1 = 100;
        e->expect_err = CCHC__ERROR_CODE__ERR_UNKNOWN_WARD;
        break;
    case 11:
        e = new_ev(r, EV_TASK, w); //  an area the ward does not have
        snprintf(e->code, sizeof(e->code), "%s-KHONG", w->code);
        snprintf(e->unit, sizeof(e->unit), "%s", w->units[0].code);
        strcpy(e->area, "KHONG");
        e->n1 = 20261231;
        e->expect_err = CCHC__ERROR_CODE__ERR_UNKNOWN_AREA;
        break;
    case 12:
        if ((ti = pick_task(w, p_workable)) < 0)
            return NULL;
        e = task_ev(r, w, EV_PROGRESS, ti); //  more outputs than required
        e->n1 = 100;
        e->has_n2 = true;
        e->n2 = w->tasks[ti].outputs_required + 1;
        e->expect_err = CCHC__ERROR_CODE__ERR_OUT_OF_RANGE;
        break;
    case 13:
        if ((ti = pick_task(w, p_done)) < 0)
            return NULL;
        e = task_ev(r, w, EV_PAUSE, ti);
        e->expect_err = CCHC__ERROR_CODE__ERR_INVALID_STATE;
        break;
    case 14:
        e = new_ev(r, EV_OFFICIAL, w); //  a second chairman
        snprintf(e->code, sizeof(e->code), "CB%03d", ++r->official_serial);
        e->n1 = CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN;
        e->expect_err = CCHC__ERROR_CODE__ERR_DUPLICATE;
        break;
    default:
        if ((ti = pick_task(w, p_open)) < 0)
            return NULL;
        if (date_of(w->tasks[ti].assigned_ms) <= 20260101)
            return NULL;
        e = task_ev(r, w, EV_DEADLINE, ti); //  a new date before the assignment
        e->n1 = date_add(date_of(w->tasks[ti].assigned_ms), -1);
        e->flag = true;
        e->expect_err = CCHC__ERROR_CODE__ERR_OUT_OF_RANGE;
        break;
    }
    e->expect_ok = false;
    e->log_time = r->clock;
    return e;
}

//  What gen_one may make, and how often (per mille, before the run's
//  profile scales each between 50 % and 150 %).
enum {
    G_TASK,
    G_PROGRESS,
    G_SUBMIT,
    G_VERIFY,
    G_DEADLINE,
    G_PAUSE,
    G_RESUME,
    G_CANCEL,
    G_ADJUST,
    G_APPRAISE,
    G_OFFICIAL,
    G_UNIT,
    G_INVALID,
    G_COUNT
};
static const int base_weight[G_COUNT] = {90, 260, 150, 170, 110, 40, 45, 20, 35, 15, 14, 3, 57};
static int profile[G_COUNT], profile_sum;

static void profile_init(void)
{
    profile_sum = 0;
    for (int k = 0; k < G_COUNT; k++)
        profile_sum += profile[k] = base_weight[k] * (50 + rnd(101)) / 100 + 1;
}

//  One random event of a random ward (or nothing when the choice did not fit).
static void gen_one(run_t *r)
{
    //  P4 is a quiet ward: few tasks, appraisals from a few figures, so
    //  units tie on score and on-time rate and the later keys decide
    o_ward_t *w = &r->gen.wards[chance(10) ? 3 : rnd(3)];
    bool quiet = w == &r->gen.wards[3];
    int roll = rnd(profile_sum), k = 0;
    while (roll >= profile[k])
        roll -= profile[k++];
    switch (k) {
    case G_TASK:
        gen_task(r, w);
        break;
    case G_PROGRESS:
        gen_progress(r, w);
        break;
    case G_SUBMIT:
        if (!quiet || chance(15)) //  P4's units submit little: many overdue tasks
            gen_submit(r, w);
        break;
    case G_VERIFY:
        gen_verify(r, w);
        break;
    case G_DEADLINE:
        gen_deadline(r, w);
        break;
    case G_PAUSE:
        gen_simple(r, w, EV_PAUSE, p_pausable);
        break;
    case G_RESUME:
        gen_simple(r, w, EV_RESUME, p_paused);
        break;
    case G_CANCEL:
        gen_simple(r, w, EV_CANCEL, p_cancellable);
        break;
    case G_ADJUST:
        gen_adjust(r, w);
        break;
    case G_APPRAISE: //  in P3 and P4 only: elsewhere the computed score decides
        for (int n = quiet ? 2 : w == &r->gen.wards[2] ? 1 : 0; n > 0; n--)
            gen_appraise(r, w);
        break;
    case G_OFFICIAL:
        gen_official(r, w, chance(50) ? w->units[rnd(w->nunits)].code : "", CCHC__OFFICIAL_ROLE__ROLE_STAFF);
        break;
    case G_UNIT:
        gen_unit(r, w); //  a unit registered mid-year
        break;
    default:
        gen_invalid(r, w);
        break;
    }
}

// ---------------------------------------------------------------------------
//  Comparing with the service

//  Wait until scoring committed everything intake holds.
//  Polls every millisecond at first: the time from the last Ack to a
//  ranking that includes it is a figure the test prints (never asserts).
static void wait_caught_up(run_t *r)
{
    uint64_t head = cluster_head(r->c);
    assert_true(head > 0);
    int64_t start = harness_mono_ms(), deadline = start + 90000;
    while (harness_mono_ms() < deadline) {
        cchc_decoded_t *d = cluster_ranking(r->c, r->gen.wards[0].code);
        uint64_t seq = d ? cchc_decoded_env(d)->ranking->last_seq : 0;
        cchc_decoded_destroy(&d);
        if (seq >= head) {
            if (r->measure && r->nlags < sizeof(r->lags) / sizeof(r->lags[0]))
                r->lags[r->nlags++] = harness_mono_ms() - r->last_ack_ms;
            return;
        }
        harness_sleep_ms(harness_mono_ms() - start < 200 ? 1 : 20);
    }
    cluster_dump_logs(r->c);
    fail_msg("scoring did not reach seq %" PRIu64 " in 90 s", head);
}

//  The accepted events, folded from scratch, ranked at the log time now.
static void oracle_rankings(const run_t *r, o_state_t *s)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < r->nevs; i++)
        if (r->evs[i].seq > 0)
            oracle_apply(s, &r->evs[i]);
}

static void dump_unit(run_t *r, const o_ward_t *w, const char *unit)
{
    Cchc__ExplainQuery q = CCHC__EXPLAIN_QUERY__INIT;
    q.ward = (char *)w->code;
    q.unit = (char *)unit;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_EXPLAIN_QUERY;
    env.explain_query = &q;
    cchc_decoded_t *ex = NULL;
    int ui = find_unit(w, unit);
    fprintf(stderr, "oracle, unit %s/%s at %d:\n", w->code, unit, date_of(r->clock));
    for (int i = 0; i < w->ntasks; i++) {
        const o_task_t *t = &w->tasks[i];
        if (t->unit != ui)
            continue;
        fprintf(stderr,
                "  %s area=%s due=%d phase=%d sub=%d failed=%d late=%d delays=%d paused=%d cancelled=%d "
                "out=%d/%d w=%" PRId64 "\n",
                t->code, w->areas[t->area].code, t->due, t->phase,
                t->submitted_ms ? date_of(t->submitted_ms) : 0, t->failed, t->nlate, task_delays(t, r->clock),
                t->paused, t->cancelled, t->outputs_done, t->outputs_required,
                t->points_milli > 0 ? t->points_milli : t->factor_milli);
    }
    if (cluster_call(r->c, SVC_SCORING, &env, &ex) == 0 &&
        cchc_decoded_env(ex)->body_case == CCHC__ENVELOPE__BODY_EXPLANATION) {
        const Cchc__Explanation *x = cchc_decoded_env(ex)->explanation;
        fprintf(stderr, "service:\n");
        for (size_t i = 0; i < x->n_tasks; i++) {
            const Cchc__TaskExplain *t = x->tasks[i];
            fprintf(stderr,
                    "  %s area=%s due=%d done=%d eval=%d a=%d b=%d c=%d failed=%d delays=%d unmet=%d %s\n",
                    t->task, t->area, t->due_date, t->done_date, t->evaluated, t->quantity_ppm,
                    t->quality_ppm, t->progress_ppm, t->failed_reviews, t->delays, t->unmet, t->status);
        }
        for (size_t i = 0; i < x->n_areas; i++)
            fprintf(stderr, "  area %s w=%d applicable=%d pct=%d\n", x->areas[i]->area, x->areas[i]->weight,
                    x->areas[i]->applicable, x->areas[i]->pct_ppm);
    }
    cchc_decoded_destroy(&ex);
}

#define SAME(field, a, b)                                                                                    \
    do {                                                                                                     \
        if ((int64_t)(a) != (int64_t)(b)) {                                                                  \
            fprintf(stderr,                                                                                  \
                    "MISMATCH %s ward %s rank %zu unit %s: %s service %" PRId64 " oracle %" PRId64           \
                    " (seed %" PRIu64 ")\n",                                                                 \
                    what, w->code, i + 1, o->unit, field, (int64_t)(a), (int64_t)(b), seed);                 \
            dump_unit(r, w, o->unit);                                                                        \
            fail_msg("%s differs from the oracle", what);                                                    \
        }                                                                                                    \
    } while (0)

static uint64_t seed;

#define SAME_X(field, a, b)                                                                                  \
    do {                                                                                                     \
        if ((int64_t)(a) != (int64_t)(b)) {                                                                  \
            fprintf(stderr,                                                                                  \
                    "MISMATCH %s explanation of %s/%s, %s: %s service %" PRId64 " oracle %" PRId64           \
                    " (seed %" PRIu64 ")\n",                                                                 \
                    what, w->code, w->units[ui].code, item, field, (int64_t)(a), (int64_t)(b), seed);        \
            dump_unit(r, w, w->units[ui].code);                                                              \
            fail_msg("%s: explanation differs from the oracle", what);                                       \
        }                                                                                                    \
    } while (0)

//  The unit's explanation (ExplainQuery): every task's figures and every
//  area's, as docs/SCORING.md computes them.
static void compare_explain(run_t *r, const o_ward_t *w, int ui, const char *what)
{
    Cchc__ExplainQuery q = CCHC__EXPLAIN_QUERY__INIT;
    q.ward = (char *)w->code;
    q.unit = (char *)w->units[ui].code;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_EXPLAIN_QUERY;
    env.explain_query = &q;
    cchc_decoded_t *ex = NULL;
    assert_int_equal(cluster_call(r->c, SVC_SCORING, &env, &ex), 0);
    assert_int_equal(cchc_decoded_env(ex)->body_case, CCHC__ENVELOPE__BODY_EXPLANATION);
    const Cchc__Explanation *x = cchc_decoded_env(ex)->explanation;
    int64_t now = r->clock;
    int64_t area_w[MAX_AREAS] = {0}, area_ws[MAX_AREAS] = {0};
    for (int i = 0; i < w->ntasks; i++)
        if (w->tasks[i].unit == ui) {
            o_fig_t f = task_fig(&w->tasks[i], now);
            if (f.evaluated) {
                area_w[w->tasks[i].area] += f.weight;
                area_ws[w->tasks[i].area] += f.weight * f.s;
            }
        }
    const char *item = "areas";
    SAME_X("count", x->n_areas, w->nareas);
    for (int a = 0; a < w->nareas; a++) {
        const Cchc__AreaExplain *ax = x->areas[a];
        item = w->areas[a].code;
        assert_string_equal(ax->area, w->areas[a].code);
        int64_t pct = area_w[a] ? area_ws[a] / area_w[a] : 0;
        int64_t max = area_w[a] ? w->areas[a].weight * 1000LL : 0;
        SAME_X("weight", ax->weight, w->areas[a].weight);
        SAME_X("applicable", ax->applicable, area_w[a] > 0);
        SAME_X("pct_ppm", ax->pct_ppm, pct);
        SAME_X("max_milli", ax->max_milli, max);
        SAME_X("earned_milli", ax->earned_milli, max * pct / 1000000);
    }
    size_t k = 0;
    for (int i = 0; i < w->ntasks; i++) {
        const o_task_t *t = &w->tasks[i];
        if (t->unit != ui)
            continue;
        item = t->code;
        if (k >= x->n_tasks)
            SAME_X("task count", x->n_tasks, k + 1);
        const Cchc__TaskExplain *tx = x->tasks[k++];
        assert_string_equal(tx->task, t->code);
        o_fig_t f = task_fig(t, now);
        int64_t aw = area_w[t->area];
        int64_t max =
            f.evaluated && aw
                ? (t->points_milli > 0 ? t->points_milli : w->areas[t->area].weight * 1000LL * f.weight / aw)
                : 0;
        SAME_X("evaluated", tx->evaluated, f.evaluated);
        SAME_X("quantity_ppm", tx->quantity_ppm, f.a);
        SAME_X("quality_ppm", tx->quality_ppm, f.b);
        SAME_X("progress_ppm", tx->progress_ppm, f.c);
        SAME_X("failed_reviews", tx->failed_reviews, t->failed);
        SAME_X("delays", tx->delays, f.done || f.evaluated ? f.delays : 0);
        SAME_X("due_date", tx->due_date, t->due);
        SAME_X("done_date", tx->done_date, f.done ? date_of(t->submitted_ms) : 0);
        SAME_X("unmet", tx->unmet, f.unmet);
        SAME_X("excused", tx->excused, t->excused);
        SAME_X("max_milli", tx->max_milli, max);
        SAME_X("earned_milli", tx->earned_milli, max * f.s / 1000000);
        if (strcmp(tx->status, status_vi(t, &f, now)) != 0) {
            fprintf(stderr, "MISMATCH %s explanation of %s/%s, %s: status service \"%s\" oracle \"%s\"\n",
                    what, w->code, w->units[ui].code, t->code, tx->status, status_vi(t, &f, now));
            fail_msg("%s: task status differs from the oracle", what);
        }
    }
    item = "tasks";
    SAME_X("task count", x->n_tasks, k);
    cchc_decoded_destroy(&ex);
}

//  Every ward's ranking from scoring equals the oracle's, field by field,
//  and so does every unit's explanation.
static void compare_with_oracle(run_t *r, const char *what)
{
    wait_caught_up(r);
    o_state_t s;
    oracle_rankings(r, &s);
    for (int wi = 0; wi < s.nwards; wi++) {
        const o_ward_t *w = &s.wards[wi];
        o_entry_t want[MAX_UNITS];
        int n = oracle_rank(w, r->clock, want);
        cchc_decoded_t *d = cluster_ranking(r->c, w->code);
        assert_non_null(d);
        const Cchc__Ranking *rk = cchc_decoded_env(d)->ranking;
        assert_int_equal(rk->n_entries, (size_t)n);
        assert_int_equal(rk->as_of_ms, r->clock);
        for (size_t i = 0; i < (size_t)n; i++) {
            const Cchc__RankEntry *e = rk->entries[i];
            const o_entry_t *o = &want[i];
            if (strcmp(e->unit, o->unit) != 0) {
                fprintf(stderr,
                        "MISMATCH %s ward %s rank %zu: service %s (%d) oracle %s (%d) (seed %" PRIu64 ")\n",
                        what, w->code, i + 1, e->unit, e->score_centi, o->unit, o->score, seed);
                dump_unit(r, w, o->unit);
                dump_unit(r, w, e->unit);
                fail_msg("%s: ranking order differs from the oracle", what);
            }
            SAME("score", e->score_centi, o->score);
            SAME("computed", e->computed_centi, o->computed);
            SAME("rank", e->rank, o->rank);
            SAME("appraised", e->appraised, o->appraised);
            SAME("tier", e->tier, o->tier);
            SAME("score_tier", e->score_tier, o->score_tier);
            SAME("evaluated", e->evaluated, o->evaluated);
            SAME("done", e->done, o->done);
            SAME("on_time", e->on_time, o->on_time);
            SAME("late", e->late, o->late);
            SAME("overdue", e->overdue, o->overdue);
            SAME("unmet", e->unmet, o->unmet);
            SAME("on_time_ppm", e->on_time_ppm, o->on_time_ppm);
            SAME("head_accountable", e->head_accountable, o->head_accountable);
            SAME("eligible", e->eligible, o->eligible);
            SAME("bonus", e->bonus_centi, o->bonus);
            SAME("penalty", e->penalty_centi, o->penalty);
            SAME("par_group", e->par_group[0], o->par[0]);
        }
        cchc_decoded_destroy(&d);
        for (int ui = 0; ui < w->nunits; ui++)
            compare_explain(r, w, ui, what);
    }
    state_free(&s);
    r->checkpoints++;
    if (getenv("CCHC_PROP_VERBOSE"))
        printf("checkpoint %zu (%s): %zu events, log time %d, head %" PRIu64 "\n", r->checkpoints, what,
               r->nevs, date_of(r->clock), cluster_head(r->c));
}

//  Every ward's Ranking reply, packed one after another (equal bytes:
//  equal answers, the log time and last seq included).
static uint8_t *rankings_packed(run_t *r, size_t *len)
{
    uint8_t *all = NULL;
    *len = 0;
    for (int wi = 0; wi < r->gen.nwards; wi++) {
        cchc_decoded_t *d = cluster_ranking(r->c, r->gen.wards[wi].code);
        assert_non_null(d);
        const Cchc__Ranking *rk = cchc_decoded_env(d)->ranking;
        size_t n = cchc__ranking__get_packed_size(rk);
        all = realloc(all, *len + n + 1);
        assert_non_null(all);
        cchc__ranking__pack(rk, all + *len);
        *len += n;
        cchc_decoded_destroy(&d);
    }
    return all;
}

static size_t env_size(const char *name, size_t fallback)
{
    const char *v = getenv(name);
    return v && *v ? (size_t)strtoull(v, NULL, 10) : fallback;
}

//  The wards, their areas (weights include a 0: applicable or not, it
//  weighs nothing), units with their heads, the chairman, a first tasks.
static void setup_wards(run_t *r)
{
    static const int weights[][6] = {
        {15, 10, 20, 10, 25, 20}, {30, 0, 20, 15, 20, 15}, {10, 10, 10, 40, 5, 25}, {50, 30, 20, 0, 0, 0}};
    size_t from = r->nevs;
    for (int wi = 0; wi < 4; wi++) {
        gev_t *e = new_ev(r, EV_WARD, NULL);
        snprintf(e->ward, sizeof(e->ward), "P%d", wi + 1);
        e->n1 = 2026;
        fold_now(r, e);
        o_ward_t *w = &r->gen.wards[wi];
        gen_official(r, w, "", CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN);
        gen_official(r, w, "", CCHC__OFFICIAL_ROLE__ROLE_VICE_CHAIRMAN);
        for (int a = 0; a < (wi == 3 ? 3 : 6); a++)
            gen_area(r, w, weights[wi][a]);
        for (int u = 0, nu = 5 + rnd(3); u < nu; u++)
            gen_unit(r, w);
        for (int t = 0; t < 8; t++)
            gen_task(r, w);
    }
    submit_batch(r, from);
}

//  The clock moves: a few minutes, hours, days or weeks, or exactly onto the
//  end of an open task's due date (just before, at, just after it).
static void clock_step(run_t *r, size_t generated)
{
    int64_t should = date_end(20260101) + (int64_t)((double)(r->end_time - date_end(20260101)) *
                                                    ((double)generated / (double)r->target));
    int kind = rnd(10);
    int64_t to = r->clock;
    if (r->clock < should - 2 * DAY_MS && chance(50)) {
        clock_to(r, should + rnd(24) * HOUR_MS); //  a large jump, across many due dates
        return;
    }
    if (kind < 3) {
        to += (1 + rnd(180)) * 60000LL;
    } else if (kind < 6) {
        to += (1 + rnd(3)) * DAY_MS + rnd(12) * HOUR_MS;
    } else if (kind < 8) {
        //  onto the end of the due date of an open task that comes due
        //  within 15 days (the one that comes due first, or another)
        const o_ward_t *w = &r->gen.wards[rnd(r->gen.nwards)];
        int64_t best = 0;
        for (int i = 0; i < w->ntasks; i++) {
            const o_task_t *t = &w->tasks[i];
            int64_t end = date_end(t->due);
            if (p_open(t) && !t->paused && end > r->clock && end <= r->clock + 15 * DAY_MS &&
                (!best || end < best || chance(10)))
                best = end;
        }
        if (best) {
            static const int64_t offsets[] = {-60000, -1, 0, 0, 0, 1, 60000};
            to = best + offsets[rnd(7)];
            r->checkpoint_due = chance(50); //  judge the boundary itself now and then
            clock_to(r, to);
            return;
        }
    } else {
        to += (7 + rnd(30)) * DAY_MS;
    }
    if (to > r->clock && (to <= should + 3 * DAY_MS || kind < 3))
        clock_to(r, to);
}

static int lag_order(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void kill_scoring(run_t *r)
{
    cchc_decoded_t *d = cluster_ranking(r->c, r->gen.wards[0].code);
    uint64_t folded = d ? cchc_decoded_env(d)->ranking->last_seq : 0;
    cchc_decoded_destroy(&d);
    if (folded < cluster_head(r->c))
        r->kills_behind++; //  scoring had not caught up: killed mid-stream
    cluster_kill(r->c, SVC_SCORING);
    r->kills++;
}

static void test_property(void **state)
{
    (void)state;
    static cluster_t c;
    assert_int_equal(cluster_init(&c, g_argc, g_argv), 0);
    assert_int_equal(cluster_start(&c, SVC_INTAKE, NULL), 0);
    assert_int_equal(cluster_start(&c, SVC_SCORING, NULL), 0);

    seed = env_size("CCHC_PROP_SEED", 0);
    if (!seed)
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    g_rng = seed;
    printf("test_scoring_property: seed %" PRIu64 " (CCHC_PROP_SEED=%" PRIu64 " reproduces this run)\n", seed,
           seed);
    fflush(stdout);

    run_t r;
    memset(&r, 0, sizeof(r));
    r.c = &c;
    r.target = env_size("CCHC_PROP_EVENTS", 10000);
    size_t nkills = env_size("CCHC_PROP_KILLS", 4);
    r.end_time = date_end(20270110); //  past the plan year: year-end accountability
    r.clock = date_end(20251231);    //  intake's manual clock starts at 01/01/2026 00:00

    //  Kill points in the second half of the stream (the first half is a
    //  live run without crashes), sorted.
    size_t kill_at[32];
    if (nkills > 32)
        nkills = 32;
    for (size_t k = 0; k < nkills; k++)
        kill_at[k] = r.target / 2 + (size_t)rnd((int)(r.target * 9 / 20));
    for (size_t a = 0; a < nkills; a++)
        for (size_t b = a + 1; b < nkills; b++)
            if (kill_at[b] < kill_at[a]) {
                size_t t = kill_at[a];
                kill_at[a] = kill_at[b];
                kill_at[b] = t;
            }
    size_t next_kill = 0, check_every = 250, next_check = check_every;
    int down_batches = -1; //  batches left before scoring restarts (-1: running)

    profile_init();
    printf("test_scoring_property: profile (per mille):");
    for (int k = 0; k < G_COUNT; k++)
        printf(" %d", profile[k] * 1000 / profile_sum);
    printf("\n");
    int64_t t0 = harness_mono_ms();
    clock_to(&r, r.clock + 8 * HOUR_MS);
    setup_wards(&r);
    while (r.accepted < r.target) {
        if (chance(40))
            clock_step(&r, r.accepted);
        size_t from = r.nevs;
        for (int k = 0, n = 1 + rnd(40); k < n; k++)
            gen_one(&r);
        submit_batch(&r, from);

        if (next_kill < nkills && r.nevs >= kill_at[next_kill] && down_batches < 0) {
            harness_sleep_ms(chance(60) ? 0 : rnd(8)); //  at a random moment of its fetch, fold, commit
            kill_scoring(&r);
            next_kill++;
            down_batches = rnd(4);
        } else if (down_batches == 0) {
            assert_int_equal(cluster_start(&c, SVC_SCORING, NULL), 0);
            down_batches = -1;
            next_check = r.nevs + (size_t)rnd(300); //  compare soon after each restart
        } else if (down_batches > 0) {
            down_batches--;
        }
        if ((r.nevs >= next_check || r.checkpoint_due) && down_batches < 0) {
            r.checkpoint_due = false;
            r.measure = r.kills == 0;
            compare_with_oracle(&r, "live");
            r.measure = false;
            next_check = r.nevs + check_every;
        }
    }
    if (down_batches >= 0)
        assert_int_equal(cluster_start(&c, SVC_SCORING, NULL), 0);
    while (r.clock < r.end_time + 9 * HOUR_MS) {
        clock_to(&r, r.end_time + 9 * HOUR_MS);
        if (r.checkpoint_due)
            compare_with_oracle(&r, "live, at the end of the year");
        r.checkpoint_due = false;
    }
    int64_t t_stream = harness_mono_ms() - t0;
    compare_with_oracle(&r, "live, at the end");
    size_t live_len;
    uint8_t *live = rankings_packed(&r, &live_len);

    //  A fresh scoring on an empty data directory replays intake's log.
    assert_int_equal(cluster_stop(&c, SVC_SCORING), 0);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mv '%s/scoring' '%s/scoring.live'", c.dir, c.dir);
    assert_int_equal(system(cmd), 0);
    int64_t t1 = harness_mono_ms();
    assert_int_equal(cluster_start(&c, SVC_SCORING, NULL), 0);
    wait_caught_up(&r);
    int64_t t_replay = harness_mono_ms() - t1;
    compare_with_oracle(&r, "replayed from zero");
    size_t fresh_len;
    uint8_t *fresh = rankings_packed(&r, &fresh_len);
    assert_int_equal(fresh_len, live_len);
    assert_memory_equal(fresh, live, live_len);
    free(fresh);

    //  The crash run: again from zero, killed with kill -9 while it
    //  replays, restarted from what it committed.
    if (nkills > 0) {
        assert_int_equal(cluster_stop(&c, SVC_SCORING), 0);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s/scoring'", c.dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(cluster_start(&c, SVC_SCORING, NULL), 0);
        harness_sleep_ms(20 + rnd((int)(t_replay / 2 + 1)));
        kill_scoring(&r);
        assert_int_equal(cluster_start(&c, SVC_SCORING, NULL), 0);
        compare_with_oracle(&r, "replayed from zero, killed while replaying");
    }
    fresh = rankings_packed(&r, &fresh_len);
    assert_int_equal(fresh_len, live_len);
    assert_memory_equal(fresh, live, live_len);

    size_t tasks = 0, kinds[EV_KINDS] = {0};
    for (int wi = 0; wi < r.gen.nwards; wi++)
        tasks += (size_t)r.gen.wards[wi].ntasks;
    for (size_t i = 0; i < r.nevs; i++)
        if (r.evs[i].seq)
            kinds[r.evs[i].kind]++;
    printf("test_scoring_property: %zu events generated, %zu accepted, %zu rejected as predicted, %zu clock "
           "steps,"
           " %zu tasks in %d wards, %zu checkpoints equal to the oracle, %zu kill -9 of scoring (%zu behind "
           "intake)\n",
           r.nevs, r.accepted, r.rejected, r.clock_steps, tasks, r.gen.nwards, r.checkpoints, r.kills,
           r.kills_behind);
    printf("test_scoring_property: accepted by kind:");
    for (int k = 0; k < EV_KINDS; k++)
        printf(" %s %zu", kind_name[k], kinds[k]);
    printf("\ntest_scoring_property: stream %.1f s; replay of %" PRIu64
           " log events from zero %.2f s (noisy)\n",
           (double)t_stream / 1000.0, cluster_head(&c), (double)t_replay / 1000.0);
    if (r.nlags) {
        qsort(r.lags, r.nlags, sizeof(r.lags[0]), lag_order);
        printf("test_scoring_property: last Ack -> ranking including it, %zu samples: median %" PRId64
               " ms, max %" PRId64 " ms (noisy, shared machine)\n",
               r.nlags, r.lags[r.nlags / 2], r.lags[r.nlags - 1]);
    }
    assert_true(r.accepted >= r.target);
    assert_true(r.kills >= nkills);

    free(live);
    free(fresh);
    state_free(&r.gen);
    free(r.evs);
    assert_int_equal(cluster_stop_all(&c), 0);
    cluster_destroy(&c);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
