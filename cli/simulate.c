/*  simulate.c - `cchc simulate DIR`: the demo's year 2026, played for real.

    From tasks.csv, units.csv and simulation.csv (each unit's profile:
    diligent, steady, late, unmet) and a seed, the simulator first plans what
    each unit does with each task: progress reports with growing percent and
    outputs, the submission, the verdict of the reviewer (the head of Phòng
    Văn hóa - Xã hội, sent as actor "ward"), sometimes a failure and a
    resubmission, one extension approved in time for an objective reason and
    one approved late. The plan depends only on the files and the seed
    (xorshift64*), so the same seed plays the same year.

    Then it plays the plan through intake like any other client: the manual
    clock moves week by week from the current log time to 01/01/2027 00:00,
    stopping also at 09:00 of each day when some unit acts, and after every
    move the simulator waits until scoring and notify have consumed the log
    up to intake's head (what was planned before the current log time
    happens on the first day played). At the end of each month it prints the ranking (one
    line per unit, with an arrow when the rank moved) and the alerts decided
    so far by kind; at the end of the year, the final ranking table and the
    alert counts.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "csv.h"
#include "render.h"

#define MAX_TASKS   1000
#define MAX_UNITS   64
#define MAX_ACTIONS (MAX_TASKS * 8) //  plan_task plans at most 7 per task
#define YEAR_START  20260101
#define YEAR_END    20261231

typedef enum { PROFILE_DILIGENT, PROFILE_STEADY, PROFILE_LATE, PROFILE_UNMET } profile_t;

typedef enum {
    ACT_PROGRESS,
    ACT_SUBMIT,
    ACT_PASS,
    ACT_FAIL,
    ACT_EXTEND_OBJECTIVE,
    ACT_EXTEND_LATE
} act_kind_t;

typedef struct {
    char code[64], unit[64];
    int32_t due;
    int outputs;
} sim_task_t;

typedef struct {
    char code[64], head[64], vice_chairman[64];
    profile_t profile;
    uint32_t last_rank;
} sim_unit_t;

typedef struct {
    int32_t date;
    int order; //  insertion order: keeps a day's actions in sequence
    act_kind_t kind;
    int task;
    int percent, outputs;
    int32_t new_due; //  extensions: the new due date
} action_t;

typedef struct {
    sim_task_t tasks[MAX_TASKS];
    int ntasks;
    sim_unit_t units[MAX_UNITS];
    int nunits;
    action_t actions[MAX_ACTIONS];
    int nactions;
    char reviewer[64];
    uint64_t rng;
    int rejected;
} sim_t;

static uint64_t rnd(sim_t *s)
{
    //  xorshift64*
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

static int rnd_between(sim_t *s, int lo, int hi)
{
    return lo + (int)(rnd(s) % (uint64_t)(hi - lo + 1));
}

static void plan(sim_t *s, int32_t date, act_kind_t kind, int task, int percent, int outputs, int32_t new_due)
{
    if (s->nactions == MAX_ACTIONS || date > YEAR_END)
        return; //  what falls after the year does not happen in it
    if (date < 20260105)
        date = 20260105; //  nobody acts in the plan's first days, before the first working week
    action_t *a = &s->actions[s->nactions];
    a->date = date;
    a->order = s->nactions++;
    a->kind = kind;
    a->task = task;
    a->percent = percent;
    a->outputs = outputs;
    a->new_due = new_due;
}

static sim_unit_t *unit_of(sim_t *s, const char *code)
{
    for (int i = 0; i < s->nunits; i++)
        if (!strcmp(s->units[i].code, code))
            return &s->units[i];
    return NULL;
}

//  Open DIR/name and check its header has columns; NULL with err set.
static cchc_csv_t *open_checked(const char *dir, const char *name, const char *const *columns, char *err,
                                size_t err_size)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cchc_csv_t *csv = cchc_csv_open(path, err, err_size);
    if (csv && cchc_csv_require(csv, columns, err, err_size) != 0)
        cchc_csv_close(&csv);
    return csv;
}

//  Units (the reviewer is the head of VHXH, else of the first unit), their
//  profiles (steady unless simulation.csv says otherwise) and the tasks.
static int load(sim_t *s, const char *dir)
{
    static const char *const unit_cols[] = {"code", "head", "vice_chairman", NULL};
    static const char *const profile_cols[] = {"unit", "profile", NULL};
    static const char *const task_cols[] = {"code", "unit", "due_date", "outputs_required", NULL};
    char err[1200];
    int rc;
    cchc_csv_t *csv = open_checked(dir, "units.csv", unit_cols, err, sizeof(err));
    if (!csv)
        goto fail;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1) {
        if (s->nunits == MAX_UNITS) {
            snprintf(err, sizeof(err), "%s: quá %d đơn vị (more than %d units)", cchc_csv_path(csv),
                     MAX_UNITS, MAX_UNITS);
            rc = -1;
            break;
        }
        sim_unit_t *u = &s->units[s->nunits++];
        snprintf(u->code, sizeof(u->code), "%s", cchc_csv_field(csv, "code"));
        snprintf(u->head, sizeof(u->head), "%s", cchc_csv_field(csv, "head"));
        snprintf(u->vice_chairman, sizeof(u->vice_chairman), "%s", cchc_csv_field(csv, "vice_chairman"));
        u->profile = PROFILE_STEADY;
        if (!strcmp(u->code, "VHXH"))
            snprintf(s->reviewer, sizeof(s->reviewer), "%s", u->head);
    }
    cchc_csv_close(&csv);
    if (rc < 0)
        goto fail;

    if (!(csv = open_checked(dir, "simulation.csv", profile_cols, err, sizeof(err))))
        goto fail;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1) {
        sim_unit_t *u = unit_of(s, cchc_csv_field(csv, "unit"));
        const char *p = cchc_csv_field(csv, "profile");
        if (!u || (strcmp(p, "diligent") && strcmp(p, "steady") && strcmp(p, "late") && strcmp(p, "unmet"))) {
            snprintf(
                err, sizeof(err),
                "%s:%d: đơn vị không có trong units.csv hoặc hồ sơ không phải diligent|steady|late|unmet "
                "(unknown unit or profile)",
                cchc_csv_path(csv), cchc_csv_line(csv));
            rc = -1;
            break;
        }
        u->profile = !strcmp(p, "diligent") ? PROFILE_DILIGENT
                     : !strcmp(p, "late")   ? PROFILE_LATE
                     : !strcmp(p, "unmet")  ? PROFILE_UNMET
                                            : PROFILE_STEADY;
    }
    cchc_csv_close(&csv);
    if (rc < 0)
        goto fail;

    if (!(csv = open_checked(dir, "tasks.csv", task_cols, err, sizeof(err))))
        goto fail;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1) {
        if (s->ntasks == MAX_TASKS) {
            snprintf(err, sizeof(err), "%s: quá %d nhiệm vụ (more than %d tasks)", cchc_csv_path(csv),
                     MAX_TASKS, MAX_TASKS);
            rc = -1;
            break;
        }
        sim_task_t *t = &s->tasks[s->ntasks];
        long outputs = 1;
        const char *v = cchc_csv_field(csv, "outputs_required");
        snprintf(t->code, sizeof(t->code), "%s", cchc_csv_field(csv, "code"));
        snprintf(t->unit, sizeof(t->unit), "%s", cchc_csv_field(csv, "unit"));
        if (cchc_date_parse(cchc_csv_field(csv, "due_date"), &t->due) != 0 ||
            (*v && cli_parse_int(v, 1, 1000000, &outputs) != 0)) {
            snprintf(err, sizeof(err), "%s:%d: due_date hoặc outputs_required không hợp lệ (bad value)",
                     cchc_csv_path(csv), cchc_csv_line(csv));
            rc = -1;
            break;
        }
        t->outputs = (int)outputs;
        s->ntasks++;
    }
    cchc_csv_close(&csv);
    if (rc < 0)
        goto fail;
    if (!s->reviewer[0] && s->nunits)
        snprintf(s->reviewer, sizeof(s->reviewer), "%s", s->units[0].head);
    return 0;
fail:
    fprintf(stderr, "Lỗi tệp: %s\n", err);
    return -1;
}

//  What one task's unit does with it, by profile.
static void plan_task(sim_t *s, int i, bool *extended_objective, bool *extended_late)
{
    const sim_task_t *t = &s->tasks[i];
    const sim_unit_t *u = unit_of(s, t->unit);
    profile_t p = u ? u->profile : PROFILE_STEADY;
    int32_t due = t->due;
    int32_t submit;
    bool never = false, fail_first = false;

    //  One in-time objective extension (a steady unit waiting on a higher
    //  level's guidance) and one late, non-objective extension.
    if (p == PROFILE_STEADY && !*extended_objective && due >= 20260501) {
        *extended_objective = true;
        plan(s, cchc_date_add(due, -10), ACT_EXTEND_OBJECTIVE, i, 0, 0, cchc_date_add(due, 30));
        due = cchc_date_add(due, 30);
    }
    switch (p) {
    case PROFILE_DILIGENT:
        submit = cchc_date_add(due, -rnd_between(s, 3, 10));
        break;
    case PROFILE_STEADY:
        submit = cchc_date_add(due, -rnd_between(s, 0, 5));
        fail_first = rnd(s) % 100 < 15;
        break;
    case PROFILE_LATE:
        submit = cchc_date_add(due, rnd_between(s, 3, 25));
        if (!*extended_late && due >= 20260401) {
            *extended_late = true;
            plan(s, cchc_date_add(due, 5), ACT_EXTEND_LATE, i, 0, 0, cchc_date_add(due, 20));
            submit = cchc_date_add(due, rnd_between(s, 22, 30));
        }
        break;
    default:
        never = rnd(s) % 100 < 35;
        submit = cchc_date_add(due, rnd_between(s, 5, 30));
        break;
    }
    int half = t->outputs / 2;
    if (never) { //  work stops short of the outputs required, and stays there
        plan(s, cchc_date_add(due, -14), ACT_PROGRESS, i, 40, half, 0);
        plan(s, cchc_date_add(due, -3), ACT_PROGRESS, i, 60, t->outputs > 1 ? t->outputs - 1 : 0, 0);
        return;
    }
    plan(s, cchc_date_add(submit, -14), ACT_PROGRESS, i, 40, half, 0);
    plan(s, cchc_date_add(submit, -5), ACT_PROGRESS, i, 90, t->outputs, 0);
    plan(s, submit, ACT_SUBMIT, i, 0, 0, 0);
    if (fail_first) {
        plan(s, cchc_date_add(submit, 1), ACT_FAIL, i, 0, 0, 0);
        plan(s, cchc_date_add(submit, 6), ACT_SUBMIT, i, 0, 0, 0);
        plan(s, cchc_date_add(submit, 7), ACT_PASS, i, 0, 0, 0);
    } else {
        plan(s, cchc_date_add(submit, 1), ACT_PASS, i, 0, 0, 0);
    }
}

static int action_cmp(const void *a, const void *b)
{
    const action_t *x = a, *y = b;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->order - y->order;
}

//  Submit one day's actions as one batch (each event judged on its own).
static int play_day(cli_t *cli, sim_t *s, int from, int to, uint64_t *head)
{
    Cchc__Event ev[64];
    Cchc__ProgressReported pr[64];
    Cchc__SubmittedForVerification sb[64];
    Cchc__Verified vf[64];
    Cchc__DeadlineChanged dc[64];
    Cchc__Event *ptrs[64];
    int n = 0;
    for (int k = from; k < to && n < 64; k++, n++) {
        const action_t *a = &s->actions[k];
        const sim_task_t *t = &s->tasks[a->task];
        cchc__event__init(&ev[n]);
        ev[n].ward = (char *)cli->ward;
        ev[n].actor = (char *)t->unit;
        ptrs[n] = &ev[n];
        switch (a->kind) {
        case ACT_PROGRESS:
            cchc__progress_reported__init(&pr[n]);
            pr[n].task = (char *)t->code;
            pr[n].has_percent = pr[n].has_outputs_done = true;
            pr[n].percent = a->percent;
            pr[n].outputs_done = a->outputs;
            pr[n].note = a->percent < 90 ? "Đang triển khai" : "Đã hoàn thiện sản phẩm, chuẩn bị trình";
            ev[n].payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
            ev[n].progress_reported = &pr[n];
            break;
        case ACT_SUBMIT:
            cchc__submitted_for_verification__init(&sb[n]);
            sb[n].task = (char *)t->code;
            sb[n].evidence_ref = "hồ sơ điện tử";
            ev[n].payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
            ev[n].submitted = &sb[n];
            break;
        case ACT_PASS:
        case ACT_FAIL:
            cchc__verified__init(&vf[n]);
            vf[n].task = (char *)t->code;
            vf[n].has_passed = true;
            vf[n].passed = a->kind == ACT_PASS;
            vf[n].reviewer = s->reviewer;
            vf[n].comment = a->kind == ACT_PASS ? "Đạt yêu cầu" : "Chưa đạt: bổ sung tài liệu kiểm chứng";
            ev[n].actor = "ward";
            ev[n].payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
            ev[n].verified = &vf[n];
            break;
        default:
            cchc__deadline_changed__init(&dc[n]);
            dc[n].task = (char *)t->code;
            dc[n].has_new_due_date = dc[n].has_objective = true;
            dc[n].new_due_date = a->new_due;
            dc[n].objective = a->kind == ACT_EXTEND_OBJECTIVE;
            dc[n].reason = a->kind == ACT_EXTEND_OBJECTIVE ? "Chờ văn bản hướng dẫn của cấp trên"
                                                           : "Đơn vị đề nghị lùi thời hạn";
            //  approved by the vice-chairman in charge of the unit
            const sim_unit_t *u = unit_of(s, t->unit);
            dc[n].approver = u && u->vice_chairman[0] ? (char *)u->vice_chairman : NULL;
            ev[n].actor = "ward";
            ev[n].payload_case = CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED;
            ev[n].deadline_changed = &dc[n];
            break;
        }
    }
    int rc = cli_submit(cli, ptrs, (size_t)n, NULL, head, NULL, NULL);
    if (rc < 0)
        return -1;
    s->rejected += rc;
    return 0;
}

static int64_t local_time(int32_t date, int hour)
{
    return cchc_date_start_ms(date) + (int64_t)hour * 3600 * 1000;
}

//  Alerts decided so far, by kind (every AlertKind value of the wire contract).
#define ALERT_KINDS 8

static int alert_counts(cli_t *cli, unsigned counts[ALERT_KINDS])
{
    cchc_decoded_t *reply = cli_query_alerts(cli, 0);
    if (!reply)
        return -1;
    memset(counts, 0, ALERT_KINDS * sizeof(unsigned));
    const Cchc__AlertList *l = cchc_decoded_env(reply)->alert_list;
    for (size_t i = 0; i < l->n_alerts; i++)
        if ((unsigned)l->alerts[i]->kind < ALERT_KINDS)
            counts[l->alerts[i]->kind]++;
    cchc_decoded_destroy(&reply);
    return 0;
}

//  "Nhắc hạn 3, Quá hạn 1, ..." over the kinds of the wire contract, and
//  the total in *total.
static void print_alert_counts(const unsigned counts[ALERT_KINDS], unsigned *total)
{
    unsigned n = cchc__alert_kind__descriptor.n_values;
    *total = 0;
    for (unsigned k = 0; k < n && k < ALERT_KINDS; k++) {
        Cchc__AlertKind kind = (Cchc__AlertKind)cchc__alert_kind__descriptor.values[k].value;
        if ((unsigned)kind >= ALERT_KINDS)
            continue;
        printf("%s%s %u", k ? ", " : "", cchc_alert_kind_label_vi(kind), counts[kind]);
        *total += counts[kind];
    }
}

//  The month's compact ranking: rank, unit code, score, tier, rank change.
static int print_month(cli_t *cli, sim_t *s, int32_t month_end)
{
    cchc_decoded_t *reply = cli_query_ranking(cli);
    unsigned counts[ALERT_KINDS], total;
    if (!reply || alert_counts(cli, counts) != 0) {
        cchc_decoded_destroy(&reply);
        return -1;
    }
    const Cchc__Ranking *r = cchc_decoded_env(reply)->ranking;
    printf("Tháng %02d/%d:\n", month_end / 100 % 100, month_end / 10000);
    for (size_t i = 0; i < r->n_entries; i++) {
        const Cchc__RankEntry *e = r->entries[i];
        sim_unit_t *u = unit_of(s, e->unit);
        char score[16], arrow[16] = "";
        if (u && u->last_rank && u->last_rank != e->rank)
            snprintf(arrow, sizeof(arrow), " %s%u", e->rank < u->last_rank ? "↑" : "↓",
                     e->rank < u->last_rank ? u->last_rank - e->rank : e->rank - u->last_rank);
        if (u)
            u->last_rank = e->rank;
        printf("  %2u. ", e->rank);
        cchc_print_padded(stdout, e->unit, 8, false);
        cchc_print_padded(stdout,
                          e->tier == CCHC__TIER__TIER_UNRATED
                              ? "—"
                              : cchc_format_score(e->score_centi, score, sizeof(score)),
                          6, true);
        printf("  %s%s\n", cchc_tier_label_vi(e->tier), arrow);
    }
    printf("  Cảnh báo đến nay: ");
    print_alert_counts(counts, &total);
    printf("\n");
    cchc_decoded_destroy(&reply);
    return 0;
}

//  Move the clock to to_ms (unless the log is already there) and wait until
//  scoring and notify have caught up with the log.
static int step_clock(cli_t *cli, int64_t to_ms, int64_t *now, uint64_t *head)
{
    if (to_ms > *now) {
        if (cli_advance(cli, to_ms, head) != 0)
            return -1;
        *now = to_ms;
    }
    return cli_wait_consumers(cli, *head, 10000);
}

int cmd_simulate(cli_t *cli, int argc, char **argv)
{
    static const char *const known[] = {"seed", NULL};
    static const char *const flags[] = {"quiet", NULL};
    cli_args_t a;
    long long seed = 2026;
    if (cli_args_parse(argc, argv, known, flags, &a) != 0 || a.npositional != 1 ||
        (cli_arg(&a, "seed") && (sscanf(cli_arg(&a, "seed"), "%lld", &seed) != 1 || seed < 0))) {
        fprintf(stderr, "Cách dùng (usage): cchc simulate DIR [--seed N] [--quiet]\n");
        return 2;
    }
    const char *dir = a.positional[0];
    //  --json: no monthly lines, only the final ranking as JSON
    bool quiet = cli_arg(&a, "quiet") || cli->json;
    sim_t *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->rng = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 1; //  never 0, which xorshift cannot leave
    int rc = 1;
    cchc_decoded_t *reply = NULL;
    if (load(s, dir) != 0)
        goto done;
    bool ext_obj = false, ext_late = false;
    for (int i = 0; i < s->ntasks; i++)
        plan_task(s, i, &ext_obj, &ext_late);
    qsort(s->actions, (size_t)s->nactions, sizeof(action_t), action_cmp);

    uint64_t head = 0;
    int64_t now;
    bool manual;
    if (cli_status(cli, &head, &now, &manual) != 0)
        goto done;
    if (!manual) {
        fprintf(stderr,
                "Dịch vụ tiếp nhận không chạy với đồng hồ thủ công (clock=manual): không mô phỏng được.\n"
                "    (intake's clock is not manual)\n");
        goto done;
    }
    if (now >= cchc_date_end_ms(YEAR_END)) {
        char when[32];
        fprintf(stderr,
                "Năm 2026 đã kết thúc theo đồng hồ của nhật ký (%s): không còn gì để mô phỏng.\n"
                "    (the log's clock is past 2026)\n",
                cchc_time_format(now, when, sizeof(when)));
        goto done;
    }
    if (!quiet) {
        char when[32];
        printf("Mô phỏng năm 2026 từ %s: %d nhiệm vụ, %d thao tác của các đơn vị (seed %lld).\n\n",
               cchc_time_format(now, when, sizeof(when)), s->ntasks, s->nactions, seed);
    }
    int k = 0;
    int32_t day = cchc_date_of_ms(now) > YEAR_START ? cchc_date_of_ms(now) : YEAR_START;
    for (; day <= YEAR_END; day = cchc_date_add(day, 1)) {
        int end = k;
        while (end < s->nactions && s->actions[end].date <= day)
            end++;
        if (end > k) {
            if (step_clock(cli, local_time(day, 9), &now, &head) != 0)
                goto done;
            for (int from = k; from < end; from += 64)
                if (play_day(cli, s, from, end < from + 64 ? end : from + 64, &head) != 0)
                    goto done;
            k = end;
        }
        bool month_end = cchc_date_add(day, 1) / 100 % 100 != day / 100 % 100;
        bool week_end = cchc_date_diff(YEAR_START, day) % 7 == 6;
        //  the clock moves at the end of every week, so that deadlines pass
        //  and reminders go out even in weeks when nobody reports
        if ((month_end || week_end) && step_clock(cli, local_time(day, 18), &now, &head) != 0)
            goto done;
        if (month_end && !quiet && print_month(cli, s, day) != 0)
            goto done;
    }
    //  The year is over: 01/01/2027 00:00.
    if (step_clock(cli, cchc_date_end_ms(YEAR_END), &now, &head) != 0)
        goto done;
    unsigned counts[ALERT_KINDS], total = 0;
    if (!(reply = cli_query_ranking(cli)) || alert_counts(cli, counts) != 0)
        goto done;
    if (cli->json) {
        cchc_render_ranking_json(stdout, cchc_decoded_env(reply)->ranking);
    } else {
        printf("\n=== Kết quả năm 2026 ===\n");
        cchc_render_ranking(stdout, cchc_decoded_env(reply)->ranking);
        printf("\nCảnh báo trong năm: ");
        print_alert_counts(counts, &total);
        printf(" (tổng %u).\n", total);
    }
    if (s->rejected) {
        fprintf(stderr, "%d thao tác mô phỏng bị từ chối (simulated updates rejected).\n", s->rejected);
        goto done;
    }
    rc = 0;
done:
    cchc_decoded_destroy(&reply);
    free(s);
    return rc;
}
