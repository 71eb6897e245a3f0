/*  main.c - cchc, the command-line client of ward officials and operators.

    Global options come before the command; each command parses its own.
    Output for people is Vietnamese; --json gives one JSON object for
    machines (documented in render.h).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "render.h"

// ---------------------------------------------------------------------------
//  Services

static cchc_client_t *client_for(cli_t *cli, const char *service)
{
    cchc_client_t **slot = !strcmp(service, "intake")    ? &cli->intake
                           : !strcmp(service, "scoring") ? &cli->scoring
                                                         : &cli->notify;
    const char *ep = !strcmp(service, "intake")    ? cli->intake_ep
                     : !strcmp(service, "scoring") ? cli->scoring_ep
                                                   : cli->notify_ep;
    if (!*slot)
        *slot = cchc_client_new(cli->zctx, ep);
    return *slot;
}

static void print_error(const Cchc__Error *e, const char *prefix)
{
    fprintf(stderr, "%s%s\n    (%s; %s)\n", prefix ? prefix : "", e->message_vi ? e->message_vi : "",
            e->message_en ? e->message_en : "", cchc_err_name(e->code));
}

cchc_decoded_t *cli_query(cli_t *cli, const char *service, Cchc__Envelope *req, Cchc__Envelope__BodyCase want)
{
    cchc_client_t *c = client_for(cli, service);
    cchc_decoded_t *reply = NULL;
    if (!c || cchc_client_call(c, req, cli->timeout_ms, true, &reply) != 0) {
        fprintf(stderr, "Không kết nối được dịch vụ %s (%s).\n    (no reply from %s)\n", service,
                !strcmp(service, "intake")    ? cli->intake_ep
                : !strcmp(service, "scoring") ? cli->scoring_ep
                                              : cli->notify_ep,
                service);
        return NULL;
    }
    const Cchc__Envelope *env = cchc_decoded_env(reply);
    if (env->body_case == CCHC__ENVELOPE__BODY_ERROR) {
        print_error(env->error, "Lỗi: ");
        cchc_decoded_destroy(&reply);
        return NULL;
    }
    if (env->body_case != want) {
        fprintf(stderr, "Phản hồi không đúng loại từ %s (unexpected reply type %d)\n", service,
                (int)env->body_case);
        cchc_decoded_destroy(&reply);
        return NULL;
    }
    return reply;
}

int cli_submit(cli_t *cli, Cchc__Event **events, size_t n, uint64_t *seqs, uint64_t *head,
               const char *(*what)(void *arg, size_t i), void *what_arg)
{
    if (!cli->sender)
        cli->sender = cchc_sender_new(cli->zctx, cli->intake_ep, NULL);
    cchc_decoded_t *reply = NULL;
    //  Resending is safe: the producer number makes a resend return the
    //  original acknowledgement instead of applying the events again.
    int sent = cli->sender
                   ? cchc_sender_submit(cli->sender, events, n, cli->timeout_ms, 4 * cli->timeout_ms, &reply)
                   : -1;
    if (sent < 0 && !reply) {
        fprintf(stderr,
                "Không kết nối được dịch vụ tiếp nhận (%s) sau nhiều lần gửi lại: cập nhật chưa được ghi.\n"
                "    (no acknowledgement after retries: nothing was written)\n",
                cli->intake_ep);
        return -1;
    }
    const Cchc__Envelope *r = cchc_decoded_env(reply);
    int rejected = 0;
    if (r->body_case == CCHC__ENVELOPE__BODY_ERROR) {
        print_error(r->error, "Lỗi: ");
        rejected = (int)n;
        for (size_t i = 0; seqs && i < n; i++)
            seqs[i] = 0;
    } else if (r->body_case == CCHC__ENVELOPE__BODY_ACK) {
        for (size_t i = 0; seqs && i < n; i++)
            seqs[i] = i < r->ack->n_seqs ? r->ack->seqs[i] : 0;
        if (head)
            *head = r->ack->head_seq;
        for (size_t i = 0; i < r->ack->n_errors; i++) {
            const Cchc__Error *e = r->ack->errors[i];
            char prefix[512];
            snprintf(prefix, sizeof(prefix), "Bị từ chối%s%s: ", what ? " " : "",
                     what ? what(what_arg, (size_t)e->index) : "");
            print_error(e, prefix);
            rejected++;
        }
    } else {
        rejected = -1;
    }
    cchc_decoded_destroy(&reply);
    return rejected;
}

int cli_status(cli_t *cli, uint64_t *head, int64_t *now_ms, bool *manual)
{
    Cchc__StatusQuery q = CCHC__STATUS_QUERY__INIT;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_STATUS_QUERY;
    env.status_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "intake", &env, CCHC__ENVELOPE__BODY_STATUS);
    if (!reply)
        return -1;
    const Cchc__Status *s = cchc_decoded_env(reply)->status;
    if (head)
        *head = s->head_seq;
    if (now_ms)
        *now_ms = s->now_ms;
    if (manual)
        *manual = s->manual_clock;
    cchc_decoded_destroy(&reply);
    return 0;
}

int cli_advance(cli_t *cli, int64_t to_ms, uint64_t *head)
{
    Cchc__AdvanceClock adv = CCHC__ADVANCE_CLOCK__INIT;
    adv.has_to_ms = true;
    adv.to_ms = to_ms;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ADVANCE_CLOCK;
    env.advance_clock = &adv;
    //  Advancing to a time already reached is harmless, so a retry is safe.
    cchc_decoded_t *reply = cli_query(cli, "intake", &env, CCHC__ENVELOPE__BODY_ACK);
    if (!reply)
        return -1;
    if (head)
        *head = cchc_decoded_env(reply)->ack->head_seq;
    cchc_decoded_destroy(&reply);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int cli_wait_consumers(cli_t *cli, uint64_t head, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT;
        rq.ward = (char *)cli->ward;
        Cchc__Envelope e1 = CCHC__ENVELOPE__INIT;
        e1.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
        e1.ranking_query = &rq;
        Cchc__AlertQuery aq = CCHC__ALERT_QUERY__INIT;
        aq.ward = (char *)cli->ward;
        aq.has_limit = true;
        aq.limit = 1;
        Cchc__Envelope e2 = CCHC__ENVELOPE__INIT;
        e2.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
        e2.alert_query = &aq;
        cchc_decoded_t *r = NULL, *a = NULL;
        uint64_t scoring = 0, notify = 0;
        if (cchc_client_call(client_for(cli, "scoring"), &e1, cli->timeout_ms, true, &r) == 0 &&
            cchc_decoded_env(r)->body_case == CCHC__ENVELOPE__BODY_RANKING)
            scoring = cchc_decoded_env(r)->ranking->last_seq;
        if (cchc_client_call(client_for(cli, "notify"), &e2, cli->timeout_ms, true, &a) == 0 &&
            cchc_decoded_env(a)->body_case == CCHC__ENVELOPE__BODY_ALERT_LIST)
            notify = cchc_decoded_env(a)->alert_list->last_seq;
        cchc_decoded_destroy(&r);
        cchc_decoded_destroy(&a);
        if (scoring >= head && notify >= head)
            return 0;
        sleep_ms(20);
    }
    fprintf(stderr, "Dịch vụ tính điểm hoặc cảnh báo chưa cập nhật kịp (consumers did not reach seq %llu)\n",
            (unsigned long long)head);
    return -1;
}

// ---------------------------------------------------------------------------
//  Option parsing for commands: positional args and --name [value]

typedef struct {
    const char *positional[4];
    int npositional;
    const char *names[16];
    const char *values[16];
    int nopts;
} args_t;

//  Flags that take no value.
static bool is_flag(const char *name)
{
    return !strcmp(name, "pass") || !strcmp(name, "fail") || !strcmp(name, "objective") ||
           !strcmp(name, "json") || !strcmp(name, "quiet");
}

static int args_parse(int argc, char **argv, args_t *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0 && a->nopts < 16) {
            const char *name = argv[i] + 2;
            a->names[a->nopts] = name;
            if (is_flag(name))
                a->values[a->nopts++] = "true";
            else if (i + 1 < argc)
                a->values[a->nopts++] = argv[++i];
            else {
                fprintf(stderr, "Thiếu giá trị cho --%s (option needs a value)\n", name);
                return -1;
            }
        } else if (a->npositional < 4) {
            a->positional[a->npositional++] = argv[i];
        }
    }
    return 0;
}

static const char *opt(const args_t *a, const char *name)
{
    for (int i = 0; i < a->nopts; i++)
        if (!strcmp(a->names[i], name))
            return a->values[i];
    return NULL;
}

// ---------------------------------------------------------------------------
//  Updates

static Cchc__Event event_for(cli_t *cli, const char *actor)
{
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)cli->ward;
    ev.actor = (char *)actor;
    return ev;
}

static int submit_one(cli_t *cli, Cchc__Event *ev)
{
    uint64_t seq = 0;
    int rc = cli_submit(cli, &ev, 1, &seq, NULL, NULL, NULL);
    if (rc != 0)
        return 1;
    if (cli->json)
        printf("{\"seq\":%llu}\n", (unsigned long long)seq);
    else
        printf("Đã ghi nhận (seq %llu).\n", (unsigned long long)seq);
    return 0;
}

static int need(const args_t *a, const char *name, const char *usage)
{
    if (opt(a, name))
        return 0;
    fprintf(stderr, "Thiếu --%s.\nCách dùng: %s\n", name, usage);
    return -1;
}

static int cmd_update(cli_t *cli, const char *cmd, int argc, char **argv)
{
    args_t a;
    if (args_parse(argc, argv, &a) != 0)
        return 2;
    const char *task = a.npositional ? a.positional[0] : NULL;
    Cchc__Event ev;
    int64_t v = 0;
    if (!strcmp(cmd, "progress")) {
        const char *usage =
            "cchc progress TASK --unit U --percent P [--outputs N] [--note ..] [--evidence ..]";
        if (!task || need(&a, "unit", usage) || need(&a, "percent", usage))
            return 2;
        Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
        p.task = (char *)task;
        p.has_percent = true;
        p.percent = atoi(opt(&a, "percent"));
        if (opt(&a, "outputs")) {
            p.has_outputs_done = true;
            p.outputs_done = atoi(opt(&a, "outputs"));
        }
        p.note = (char *)opt(&a, "note");
        p.evidence_ref = (char *)opt(&a, "evidence");
        ev = event_for(cli, opt(&a, "unit"));
        ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev.progress_reported = &p;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "submit-done")) {
        if (!task || need(&a, "unit", "cchc submit-done TASK --unit U [--note ..] [--evidence ..]"))
            return 2;
        Cchc__SubmittedForVerification s = CCHC__SUBMITTED_FOR_VERIFICATION__INIT;
        s.task = (char *)task;
        s.note = (char *)opt(&a, "note");
        s.evidence_ref = (char *)opt(&a, "evidence");
        ev = event_for(cli, opt(&a, "unit"));
        ev.payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
        ev.submitted = &s;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "verify")) {
        if (!task || (!opt(&a, "pass") && !opt(&a, "fail"))) {
            fprintf(stderr, "Cách dùng: cchc verify TASK --pass|--fail --reviewer CODE [--comment ..]\n");
            return 2;
        }
        Cchc__Verified vf = CCHC__VERIFIED__INIT;
        vf.task = (char *)task;
        vf.has_passed = true;
        vf.passed = opt(&a, "pass") != NULL;
        vf.reviewer = (char *)opt(&a, "reviewer");
        vf.comment = (char *)opt(&a, "comment");
        ev = event_for(cli, "ward");
        ev.payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
        ev.verified = &vf;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "deadline")) {
        const char *usage =
            "cchc deadline TASK --date dd/mm/yyyy --reason TEXT [--objective] [--approver CODE]";
        int32_t date;
        if (!task || need(&a, "date", usage) || need(&a, "reason", usage))
            return 2;
        if (cchc_date_parse(opt(&a, "date"), &date) != 0) {
            fprintf(stderr, "Ngày không hợp lệ: %s (dd/mm/yyyy)\n", opt(&a, "date"));
            return 2;
        }
        Cchc__DeadlineChanged d = CCHC__DEADLINE_CHANGED__INIT;
        d.task = (char *)task;
        d.has_new_due_date = d.has_objective = true;
        d.new_due_date = date;
        d.objective = opt(&a, "objective") != NULL;
        d.reason = (char *)opt(&a, "reason");
        d.approver = (char *)opt(&a, "approver");
        ev = event_for(cli, "ward");
        ev.payload_case = CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED;
        ev.deadline_changed = &d;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume") || !strcmp(cmd, "cancel")) {
        if (!task) {
            fprintf(stderr, "Cách dùng: cchc %s TASK [--reason ..]\n", cmd);
            return 2;
        }
        Cchc__TaskPaused p = CCHC__TASK_PAUSED__INIT;
        Cchc__TaskResumed r = CCHC__TASK_RESUMED__INIT;
        Cchc__TaskCancelled c = CCHC__TASK_CANCELLED__INIT;
        ev = event_for(cli, "ward");
        if (!strcmp(cmd, "pause")) {
            p.task = (char *)task;
            p.reason = (char *)opt(&a, "reason");
            ev.payload_case = CCHC__EVENT__PAYLOAD_PAUSED;
            ev.paused = &p;
        } else if (!strcmp(cmd, "resume")) {
            r.task = (char *)task;
            ev.payload_case = CCHC__EVENT__PAYLOAD_RESUMED;
            ev.resumed = &r;
        } else {
            c.task = (char *)task;
            c.reason = (char *)opt(&a, "reason");
            ev.payload_case = CCHC__EVENT__PAYLOAD_CANCELLED;
            ev.cancelled = &c;
        }
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "adjust")) {
        if (!task || need(&a, "reason", "cchc adjust UNIT [--bonus X,YY] [--penalty X,YY] --reason TEXT"))
            return 2;
        Cchc__Adjustment adj = CCHC__ADJUSTMENT__INIT;
        adj.unit = (char *)task;
        adj.reason = (char *)opt(&a, "reason");
        if (opt(&a, "bonus")) {
            if (cli_parse_fixed(opt(&a, "bonus"), 100, &v) != 0)
                return 2;
            adj.has_bonus_centi = true;
            adj.bonus_centi = (int32_t)v;
        }
        if (opt(&a, "penalty")) {
            if (cli_parse_fixed(opt(&a, "penalty"), 100, &v) != 0)
                return 2;
            adj.has_penalty_centi = true;
            adj.penalty_centi = (int32_t)v;
        }
        ev = event_for(cli, "ward");
        ev.payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
        ev.adjustment = &adj;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "appraise")) {
        if (!task || need(&a, "score", "cchc appraise UNIT --score X,YY [--appraiser CODE] [--comment ..]"))
            return 2;
        if (cli_parse_fixed(opt(&a, "score"), 100, &v) != 0) {
            fprintf(stderr, "Điểm không hợp lệ: %s\n", opt(&a, "score"));
            return 2;
        }
        Cchc__AppraisalRecorded ap = CCHC__APPRAISAL_RECORDED__INIT;
        ap.unit = (char *)task;
        ap.has_score_centi = true;
        ap.score_centi = (int32_t)v;
        ap.appraiser = (char *)opt(&a, "appraiser");
        ap.comment = (char *)opt(&a, "comment");
        ev = event_for(cli, "ward");
        ev.payload_case = CCHC__EVENT__PAYLOAD_APPRAISAL;
        ev.appraisal = &ap;
        return submit_one(cli, &ev);
    }
    return 2;
}

// ---------------------------------------------------------------------------
//  Ranking, explanation, alerts

static void json_entry(const Cchc__RankEntry *e)
{
    char score[16];
    printf("{\"rank\":%u,\"unit\":", e->rank);
    cchc_json_string(stdout, e->unit);
    printf(",\"unit_name\":");
    cchc_json_string(stdout, e->unit_name);
    snprintf(score, sizeof(score), "%d.%02d", e->score_centi / 100, e->score_centi % 100);
    printf(",\"score\":%s,\"computed_score\":%d.%02d,\"appraised\":%s,\"tier\":\"%s\",\"tier_vi\":", score,
           e->computed_centi / 100, e->computed_centi % 100, e->appraised ? "true" : "false",
           cchc_tier_name(e->tier));
    cchc_json_string(stdout, cchc_tier_label_vi(e->tier));
    printf(",\"par_group\":\"%s\",\"evaluated\":%u,\"done\":%u,\"on_time\":%u,\"late\":%u,\"overdue\":%u,"
           "\"unmet\":%u,\"on_time_pct\":%d.%d,\"head_accountable\":%s,\"eligible\":%s}",
           e->par_group ? e->par_group : "-", e->evaluated, e->done, e->on_time, e->late, e->overdue,
           e->unmet, e->on_time_ppm / 10000, e->on_time_ppm / 1000 % 10,
           e->head_accountable ? "true" : "false", e->eligible ? "true" : "false");
}

void cli_print_ranking(cli_t *cli, const Cchc__Ranking *r)
{
    char when[32];
    cchc_time_format(r->as_of_ms, when, sizeof(when));
    if (cli->json) {
        printf("{\"ward\":");
        cchc_json_string(stdout, r->ward);
        printf(",\"ward_name\":");
        cchc_json_string(stdout, r->ward_name);
        printf(",\"as_of\":\"%s\",\"last_seq\":%llu,\"entries\":[", when, (unsigned long long)r->last_seq);
        for (size_t i = 0; i < r->n_entries; i++) {
            if (i)
                putchar(',');
            json_entry(r->entries[i]);
        }
        printf("]}\n");
        return;
    }
    printf("Bảng xếp hạng CCHC — %s (tính đến %s)\n", r->ward_name, when);
    size_t name_w = 7;
    for (size_t i = 0; i < r->n_entries; i++)
        if (cchc_display_width(r->entries[i]->unit_name) > name_w)
            name_w = cchc_display_width(r->entries[i]->unit_name);
    const char *heads[] = {"Hạng", "Đơn vị", "Điểm", "Xếp loại", "Nhóm", "Đúng hạn", "Quá hạn", "Chưa đạt"};
    size_t widths[] = {4, name_w, 6, 19, 4, 8, 7, 8};
    for (int c = 0; c < 8; c++) {
        cchc_print_padded(stdout, heads[c], widths[c], c == 0 || c == 2 || c >= 5);
        printf(c < 7 ? "  " : "\n");
    }
    size_t total = 0;
    for (int c = 0; c < 8; c++)
        total += widths[c] + 2;
    for (size_t i = 0; i < total - 2; i++)
        fputs("─", stdout);
    putchar('\n');
    bool any_accountable = false, any_appraised = false;
    for (size_t i = 0; i < r->n_entries; i++) {
        const Cchc__RankEntry *e = r->entries[i];
        char rank[8], score[24], pct[16], overdue[16], unmet[16];
        snprintf(rank, sizeof(rank), "%u", e->rank);
        cchc_format_score(e->score_centi, score, sizeof(score));
        if (e->appraised)
            strcat(score, "*");
        if (e->evaluated)
            cchc_format_pct(e->on_time_ppm, pct, sizeof(pct));
        else
            snprintf(pct, sizeof(pct), "—");
        snprintf(overdue, sizeof(overdue), "%u", e->overdue);
        snprintf(unmet, sizeof(unmet), "%u%s", e->unmet, e->head_accountable ? " !" : "");
        const char *cells[] = {rank,
                               e->unit_name,
                               e->tier == CCHC__TIER__TIER_UNRATED ? "—" : score,
                               cchc_tier_label_vi(e->tier),
                               e->par_group ? e->par_group : "-",
                               pct,
                               overdue,
                               unmet};
        for (int c = 0; c < 8; c++) {
            cchc_print_padded(stdout, cells[c], widths[c], c == 0 || c == 2 || c >= 5);
            printf(c < 7 ? "  " : "\n");
        }
        any_accountable |= e->head_accountable;
        any_appraised |= e->appraised;
    }
    if (any_appraised)
        printf("* Điểm thẩm định (thay cho điểm tự tính).\n");
    if (any_accountable)
        printf(
            "! Người đứng đầu chịu trách nhiệm trước Chủ tịch UBND phường; đơn vị không đủ điều kiện xét thi "
            "đua.\n");
}

static int cmd_ranking(cli_t *cli)
{
    Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
    q.ward = (char *)cli->ward;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    env.ranking_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "scoring", &env, CCHC__ENVELOPE__BODY_RANKING);
    if (!reply)
        return 1;
    cli_print_ranking(cli, cchc_decoded_env(reply)->ranking);
    cchc_decoded_destroy(&reply);
    return 0;
}

static void milli_vi(int64_t milli, char *buf, size_t size)
{
    snprintf(buf, size, "%lld,%02lld", (long long)(milli / 1000), (long long)(milli % 1000 / 10));
}

static int cmd_explain(cli_t *cli, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "Cách dùng: cchc explain UNIT\n");
        return 2;
    }
    Cchc__ExplainQuery q = CCHC__EXPLAIN_QUERY__INIT;
    q.ward = (char *)cli->ward;
    q.unit = argv[0];
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_EXPLAIN_QUERY;
    env.explain_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "scoring", &env, CCHC__ENVELOPE__BODY_EXPLANATION);
    if (!reply)
        return 1;
    const Cchc__Explanation *x = cchc_decoded_env(reply)->explanation;
    const Cchc__RankEntry *e = x->entry;
    char when[32], score[32], computed[32], a[32], b[32], pct[32];
    cchc_time_format(x->as_of_ms, when, sizeof(when));
    if (cli->json) {
        printf("{\"as_of\":\"%s\",\"entry\":", when);
        json_entry(e);
        printf(",\"areas\":[");
        for (size_t i = 0; i < x->n_areas; i++) {
            const Cchc__AreaExplain *ar = x->areas[i];
            printf("%s{\"area\":", i ? "," : "");
            cchc_json_string(stdout, ar->area);
            printf(",\"name\":");
            cchc_json_string(stdout, ar->name);
            printf(",\"weight\":%d,\"applicable\":%s,\"pct_ppm\":%d}", ar->weight,
                   ar->applicable ? "true" : "false", ar->pct_ppm);
        }
        printf("],\"tasks\":[");
        for (size_t i = 0; i < x->n_tasks; i++) {
            const Cchc__TaskExplain *t = x->tasks[i];
            char due[16];
            printf("%s{\"task\":", i ? "," : "");
            cchc_json_string(stdout, t->task);
            printf(",\"status\":");
            cchc_json_string(stdout, t->status);
            printf(
                ",\"evaluated\":%s,\"max_milli\":%lld,\"earned_milli\":%lld,\"quantity_ppm\":%d,"
                "\"quality_ppm\":%d,\"progress_ppm\":%d,\"failed_reviews\":%d,\"delays\":%d,\"due\":\"%s\"}",
                t->evaluated ? "true" : "false", (long long)t->max_milli, (long long)t->earned_milli,
                t->quantity_ppm, t->quality_ppm, t->progress_ppm, t->failed_reviews, t->delays,
                cchc_date_format(t->due_date, due, sizeof(due)));
        }
        printf("],\"gates\":[");
        for (size_t i = 0; i < x->n_gates; i++) {
            printf("%s", i ? "," : "");
            cchc_json_string(stdout, x->gates[i]);
        }
        printf("]}\n");
        cchc_decoded_destroy(&reply);
        return 0;
    }
    printf("%s — hạng %u, %s điểm, %s (nhóm %s)  [tính đến %s]\n", e->unit_name, e->rank,
           cchc_format_score(e->score_centi, score, sizeof(score)), cchc_tier_label_vi(e->tier), e->par_group,
           when);
    if (e->appraised)
        printf("Điểm tự tính: %s; điểm thẩm định được dùng.\n",
               cchc_format_score(e->computed_centi, computed, sizeof(computed)));
    if (e->bonus_centi || e->penalty_centi)
        printf("Điểm thưởng: +%s; điểm trừ: −%s.\n", cchc_format_score(e->bonus_centi, a, sizeof(a)),
               cchc_format_score(e->penalty_centi, b, sizeof(b)));
    printf("Nhiệm vụ được đánh giá: %u (hoàn thành đúng hạn %u, hoàn thành quá hạn %u, chưa hoàn thành quá "
           "hạn %u; chưa đạt yêu "
           "cầu %u)\n\n",
           e->evaluated, e->on_time, e->late, e->overdue, e->unmet);
    printf("Theo lĩnh vực:\n");
    for (size_t i = 0; i < x->n_areas; i++) {
        const Cchc__AreaExplain *ar = x->areas[i];
        if (!ar->applicable) {
            printf("  %-8s %s (trọng số %d): không áp dụng — không có nhiệm vụ được đánh giá\n", ar->area,
                   ar->name, ar->weight);
            continue;
        }
        milli_vi(ar->earned_milli, a, sizeof(a));
        milli_vi(ar->max_milli, b, sizeof(b));
        printf("  %-8s %s (trọng số %d): %s / %s điểm = %s\n", ar->area, ar->name, ar->weight, a, b,
               cchc_format_pct(ar->pct_ppm, pct, sizeof(pct)));
    }
    printf("\nTheo nhiệm vụ (khối lượng / chất lượng / tiến độ):\n");
    for (size_t i = 0; i < x->n_tasks; i++) {
        const Cchc__TaskExplain *t = x->tasks[i];
        char due[16], done[16], q1[16], q2[16], q3[16];
        cchc_date_format(t->due_date, due, sizeof(due));
        printf("  %-10s %s\n             %s; hạn %s", t->task, t->title, t->status, due);
        if (t->done_date)
            printf("; hoàn thành %s", cchc_date_format(t->done_date, done, sizeof(done)));
        if (t->excused)
            printf("; gia hạn có lý do khách quan");
        putchar('\n');
        if (t->evaluated) {
            milli_vi(t->earned_milli, a, sizeof(a));
            milli_vi(t->max_milli, b, sizeof(b));
            printf("             %s / %s điểm: khối lượng %s, chất lượng %s, tiến độ %s", a, b,
                   cchc_format_pct(t->quantity_ppm, q1, sizeof(q1)),
                   cchc_format_pct(t->quality_ppm, q2, sizeof(q2)),
                   cchc_format_pct(t->progress_ppm, q3, sizeof(q3)));
            if (t->failed_reviews)
                printf("; %d lần không đạt khi thẩm định (−25%% mỗi lần)", t->failed_reviews);
            if (t->delays)
                printf("; %d lần chậm tiến độ (−25%% mỗi lần)", t->delays);
            putchar('\n');
        } else {
            printf("             chưa đến hạn: chưa tính điểm\n");
        }
    }
    if (x->n_gates) {
        printf("\nĐiều kiện xếp loại:\n");
        for (size_t i = 0; i < x->n_gates; i++)
            printf("  - %s\n", x->gates[i]);
    }
    cchc_decoded_destroy(&reply);
    return 0;
}

static int cmd_alerts(cli_t *cli, int argc, char **argv)
{
    args_t a;
    if (args_parse(argc, argv, &a) != 0)
        return 2;
    Cchc__AlertQuery q = CCHC__ALERT_QUERY__INIT;
    q.ward = (char *)cli->ward;
    q.has_limit = true;
    q.limit = opt(&a, "limit") ? (uint32_t)atoi(opt(&a, "limit")) : 20;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
    env.alert_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "notify", &env, CCHC__ENVELOPE__BODY_ALERT_LIST);
    if (!reply)
        return 1;
    const Cchc__AlertList *l = cchc_decoded_env(reply)->alert_list;
    if (cli->json) {
        printf("{\"total\":%u,\"alerts\":[", l->total);
        for (size_t i = 0; i < l->n_alerts; i++) {
            const Cchc__Alert *al = l->alerts[i];
            char when[32];
            printf("%s{\"id\":%llu,\"time\":\"%s\",\"kind\":%d,\"kind_vi\":", i ? "," : "",
                   (unsigned long long)al->id, cchc_time_format(al->decided_ms, when, sizeof(when)),
                   (int)al->kind);
            cchc_json_string(stdout, cchc_alert_kind_label_vi(al->kind));
            printf(",\"level\":%d,\"task\":", al->level);
            cchc_json_string(stdout, al->task);
            printf(",\"person\":");
            cchc_json_string(stdout, al->person);
            printf(",\"person_name\":");
            cchc_json_string(stdout, al->person_name);
            printf(",\"status\":");
            cchc_json_string(stdout, al->status);
            printf(",\"text\":");
            cchc_json_string(stdout, al->text);
            putchar('}');
        }
        printf("]}\n");
    } else {
        printf("Cảnh báo (%zu / %u, mới nhất trước):\n", l->n_alerts, l->total);
        for (size_t i = 0; i < l->n_alerts; i++) {
            const Cchc__Alert *al = l->alerts[i];
            char when[32];
            printf("%s  %-16s %-10s → %s [%s]\n    %s\n",
                   cchc_time_format(al->decided_ms, when, sizeof(when)), cchc_alert_kind_label_vi(al->kind),
                   al->task, al->person_name,
                   al->status && !strcmp(al->status, "sent") ? "đã gửi" : "chờ gửi", al->text);
        }
    }
    cchc_decoded_destroy(&reply);
    return 0;
}

static int cmd_clock(cli_t *cli, int argc, char **argv)
{
    args_t a;
    if (argc < 1 || args_parse(argc - 1, argv + 1, &a) != 0) {
        fprintf(stderr, "Cách dùng: cchc clock status | cchc clock advance --to \"dd/mm/yyyy[ HH:MM]\"\n");
        return 2;
    }
    if (!strcmp(argv[0], "advance")) {
        int64_t to;
        const char *text = opt(&a, "to");
        if (!text || cchc_time_parse(text, &to) != 0) {
            fprintf(stderr, "Thời điểm không hợp lệ: %s (dd/mm/yyyy[ HH:MM] hoặc yyyy-mm-ddTHH:MM)\n",
                    text ? text : "");
            return 2;
        }
        if (cli_advance(cli, to, NULL) != 0)
            return 1;
    } else if (strcmp(argv[0], "status") != 0) {
        fprintf(stderr, "Lệnh không rõ: clock %s\n", argv[0]);
        return 2;
    }
    uint64_t head;
    int64_t now;
    bool manual;
    if (cli_status(cli, &head, &now, &manual) != 0)
        return 1;
    char when[32];
    cchc_time_format(now, when, sizeof(when));
    if (cli->json)
        printf("{\"now\":\"%s\",\"now_ms\":%lld,\"head_seq\":%llu,\"manual\":%s}\n", when, (long long)now,
               (unsigned long long)head, manual ? "true" : "false");
    else
        printf("Thời gian của nhật ký: %s (%s); sự kiện cuối: %llu\n", when,
               manual ? "đồng hồ thủ công" : "đồng hồ thực", (unsigned long long)head);
    return 0;
}

// ---------------------------------------------------------------------------

static void usage(void)
{
    printf(
        "cchc — theo dõi nhiệm vụ cải cách hành chính, xếp hạng thi đua, cảnh báo\n\n"
        "Cách dùng: cchc [--intake EP] [--scoring EP] [--notify EP] [--ward CODE] [--json] [--timeout MS]\n"
        "                LỆNH [tham số]\n\n"
        "Lệnh (commands):\n"
        "  import DIR                    nhập kế hoạch từ CSV (ward, officials, areas, units, tasks)\n"
        "  progress TASK --unit U --percent P [--outputs N] [--note ..] [--evidence ..]\n"
        "  submit-done TASK --unit U     đề nghị xác nhận hoàn thành\n"
        "  verify TASK --pass|--fail [--reviewer CODE] [--comment ..]\n"
        "  deadline TASK --date dd/mm/yyyy --reason .. [--objective] [--approver CODE]\n"
        "  pause|resume|cancel TASK [--reason ..]\n"
        "  adjust UNIT [--bonus X,YY] [--penalty X,YY] --reason ..\n"
        "  appraise UNIT --score X,YY [--appraiser CODE] [--comment ..]\n"
        "  ranking                       bảng xếp hạng của phường\n"
        "  explain UNIT                  giải thích điểm của đơn vị\n"
        "  alerts [--limit N]            cảnh báo đã quyết định\n"
        "  clock status | clock advance --to \"dd/mm/yyyy HH:MM\"\n"
        "  simulate DIR [--seed N] [--quiet]   mô phỏng cả năm (demo)\n\n"
        "Endpoints default to tcp://127.0.0.1:5570/5580/5590 or CCHC_INTAKE, CCHC_SCORING,\n"
        "CCHC_NOTIFY; the ward to CCHC_WARD or LTN.\n");
}

int main(int argc, char **argv)
{
    cli_t cli = {0};
    cli.intake_ep = getenv("CCHC_INTAKE") ? getenv("CCHC_INTAKE") : "tcp://127.0.0.1:5570";
    cli.scoring_ep = getenv("CCHC_SCORING") ? getenv("CCHC_SCORING") : "tcp://127.0.0.1:5580";
    cli.notify_ep = getenv("CCHC_NOTIFY") ? getenv("CCHC_NOTIFY") : "tcp://127.0.0.1:5590";
    cli.ward = getenv("CCHC_WARD") ? getenv("CCHC_WARD") : "LTN";
    cli.timeout_ms = 5000;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i] + 2;
        if (!strcmp(o, "json")) {
            cli.json = true;
            continue;
        }
        if (!strcmp(o, "help")) {
            usage();
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "Thiếu giá trị cho --%s\n", o);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(o, "intake"))
            cli.intake_ep = v;
        else if (!strcmp(o, "scoring"))
            cli.scoring_ep = v;
        else if (!strcmp(o, "notify"))
            cli.notify_ep = v;
        else if (!strcmp(o, "ward"))
            cli.ward = v;
        else if (!strcmp(o, "timeout"))
            cli.timeout_ms = atoi(v) > 0 ? atoi(v) : 5000;
        else {
            fprintf(stderr, "Tùy chọn không rõ: --%s (unknown option; see --help)\n", o);
            return 2;
        }
    }
    if (i >= argc) {
        usage();
        return 2;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i - 1;
    char **sub_argv = argv + i + 1;
    //  --json may also follow the command
    for (int k = 0; k < sub_argc; k++)
        if (!strcmp(sub_argv[k], "--json"))
            cli.json = true;
    cli.zctx = zmq_ctx_new();
    int rc;
    if (!strcmp(cmd, "import"))
        rc = cmd_import(&cli, sub_argc, sub_argv);
    else if (!strcmp(cmd, "simulate"))
        rc = cmd_simulate(&cli, sub_argc, sub_argv);
    else if (!strcmp(cmd, "ranking"))
        rc = cmd_ranking(&cli);
    else if (!strcmp(cmd, "explain"))
        rc = cmd_explain(&cli, sub_argc, sub_argv);
    else if (!strcmp(cmd, "alerts"))
        rc = cmd_alerts(&cli, sub_argc, sub_argv);
    else if (!strcmp(cmd, "clock"))
        rc = cmd_clock(&cli, sub_argc, sub_argv);
    else if (!strcmp(cmd, "progress") || !strcmp(cmd, "submit-done") || !strcmp(cmd, "verify") ||
             !strcmp(cmd, "deadline") || !strcmp(cmd, "pause") || !strcmp(cmd, "resume") ||
             !strcmp(cmd, "cancel") || !strcmp(cmd, "adjust") || !strcmp(cmd, "appraise"))
        rc = cmd_update(&cli, cmd, sub_argc, sub_argv);
    else {
        fprintf(stderr, "Lệnh không rõ: %s (unknown command; see --help)\n", cmd);
        rc = 2;
    }
    cchc_client_destroy(&cli.intake);
    cchc_client_destroy(&cli.scoring);
    cchc_client_destroy(&cli.notify);
    cchc_sender_destroy(&cli.sender);
    zmq_ctx_term(cli.zctx);
    return rc;
}
