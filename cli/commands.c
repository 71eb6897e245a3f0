/*  commands.c - the requests behind the cchc commands: connections to the
    services, submitting events and waiting for the consumers, argument
    parsing, and the commands that record one update (progress, submit-done,
    verify, deadline, pause, resume, cancel, adjust, appraise, and for
    notify: ack, silence, leave) or query the
    services (ranking, explain, alerts, clock). What they print is rendered
    by render.c.

    Queries are idempotent and retried on a fresh socket (Lazy Pirate, in
    client.c); submissions go through this process's sender, which numbers
    them so that a resend after a lost reply is never applied twice.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "render.h"

// ---------------------------------------------------------------------------
//  Connections

static const char *endpoint_of(const cli_t *cli, const char *service)
{
    return !strcmp(service, "intake")    ? cli->intake_ep
           : !strcmp(service, "scoring") ? cli->scoring_ep
                                         : cli->notify_ep;
}

static cchc_client_t *client_for(cli_t *cli, const char *service)
{
    cchc_client_t **slot = !strcmp(service, "intake")    ? &cli->intake
                           : !strcmp(service, "scoring") ? &cli->scoring
                                                         : &cli->notify;
    if (!*slot)
        *slot = cchc_client_new(cli->zctx, endpoint_of(cli, service));
    return *slot;
}

void cli_close(cli_t *cli)
{
    cchc_client_destroy(&cli->intake);
    cchc_client_destroy(&cli->scoring);
    cchc_client_destroy(&cli->notify);
    cchc_sender_destroy(&cli->sender);
}

static void print_error(const Cchc__Error *e, const char *prefix)
{
    fprintf(stderr, "%s%s\n    (%s; %s)\n", prefix ? prefix : "", e->message_vi ? e->message_vi : "",
            e->message_en ? e->message_en : "", cchc_err_name(e->code));
}

// ---------------------------------------------------------------------------
//  Requests

cchc_decoded_t *cli_query(cli_t *cli, const char *service, Cchc__Envelope *req, Cchc__Envelope__BodyCase want)
{
    cchc_client_t *c = client_for(cli, service);
    cchc_decoded_t *reply = NULL;
    if (!c || cchc_client_call(c, req, cli->timeout_ms, true, &reply) != 0) {
        fprintf(stderr, "Không kết nối được dịch vụ %s (%s).\n    (no reply from %s at %s)\n", service,
                endpoint_of(cli, service), service, endpoint_of(cli, service));
        return NULL;
    }
    const Cchc__Envelope *env = cchc_decoded_env(reply);
    if (env->body_case == CCHC__ENVELOPE__BODY_ERROR) {
        print_error(env->error, "Lỗi: ");
        cchc_decoded_destroy(&reply);
        return NULL;
    }
    if (env->body_case != want) {
        fprintf(stderr, "Phản hồi không đúng loại từ dịch vụ %s.\n    (unexpected reply type %d)\n", service,
                (int)env->body_case);
        cchc_decoded_destroy(&reply);
        return NULL;
    }
    return reply;
}

cchc_decoded_t *cli_query_ranking(cli_t *cli)
{
    Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
    q.ward = (char *)cli->ward;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    env.ranking_query = &q;
    return cli_query(cli, "scoring", &env, CCHC__ENVELOPE__BODY_RANKING);
}

cchc_decoded_t *cli_query_alerts(cli_t *cli, uint32_t limit)
{
    Cchc__AlertQuery q = CCHC__ALERT_QUERY__INIT;
    q.ward = (char *)cli->ward;
    q.has_limit = true;
    q.limit = limit;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
    env.alert_query = &q;
    return cli_query(cli, "notify", &env, CCHC__ENVELOPE__BODY_ALERT_LIST);
}

int cli_submit(cli_t *cli, Cchc__Event **events, size_t n, uint64_t *seqs, uint64_t *head,
               const char *(*what)(void *arg, size_t i), void *what_arg)
{
    for (size_t i = 0; seqs && i < n; i++)
        seqs[i] = 0;
    if (!cli->sender)
        cli->sender = cchc_sender_new(cli->zctx, cli->intake_ep, NULL);
    cchc_decoded_t *reply = NULL;
    //  Resending is safe: the producer number makes a resend return the
    //  original acknowledgement instead of applying the events again.
    int sent = cli->sender
                   ? cchc_sender_submit(cli->sender, events, n, cli->timeout_ms, 4 * cli->timeout_ms, &reply)
                   : -1;
    if (sent < 0 && !reply) {
        //  the last resend may have been committed with its ack lost
        fprintf(
            stderr,
            "Không nhận được xác nhận từ dịch vụ tiếp nhận (%s) sau nhiều lần gửi lại: chưa rõ cập nhật đã "
            "được ghi hay chưa; hãy kiểm tra trước khi gửi lại.\n"
            "    (no acknowledgement after retries: the update may or may not have been recorded)\n",
            cli->intake_ep);
        return -1;
    }
    const Cchc__Envelope *r = cchc_decoded_env(reply);
    int rejected;
    if (r->body_case == CCHC__ENVELOPE__BODY_ERROR) {
        char prefix[512] = "Lỗi: ";
        if (what && r->error->index >= 0 && (size_t)r->error->index < n)
            snprintf(prefix, sizeof(prefix), "Bị từ chối %s: ", what(what_arg, (size_t)r->error->index));
        print_error(r->error, prefix);
        rejected = sent < 0 ? -1 : (int)n; //  a sequence error leaves the outcome unknown
    } else if (r->body_case == CCHC__ENVELOPE__BODY_ACK) {
        const Cchc__Ack *ack = r->ack;
        for (size_t i = 0; seqs && i < n; i++)
            seqs[i] = i < ack->n_seqs ? ack->seqs[i] : 0;
        if (head)
            *head = ack->head_seq;
        rejected = 0;
        for (size_t i = 0; i < ack->n_errors; i++) {
            const Cchc__Error *e = ack->errors[i];
            char prefix[512];
            bool known = what && e->index >= 0 && (size_t)e->index < n;
            snprintf(prefix, sizeof(prefix), "Bị từ chối%s%s: ", known ? " " : "",
                     known ? what(what_arg, (size_t)e->index) : "");
            //  a long import can be rejected row by row: show the first few
            if (i < 20)
                print_error(e, prefix);
            else if (i == 20)
                fprintf(stderr, "... và %zu lỗi khác.\n", ack->n_errors - 20);
            rejected++;
        }
    } else {
        fprintf(stderr, "Phản hồi không đúng loại từ dịch vụ tiếp nhận.\n    (unexpected reply type %d)\n",
                (int)r->body_case);
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
    //  Moving to a time already reached is harmless, so a retry is safe.
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

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_wait_consumers(cli_t *cli, uint64_t head, int timeout_ms)
{
    Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT;
    rq.ward = (char *)cli->ward;
    Cchc__Envelope ranking = CCHC__ENVELOPE__INIT;
    ranking.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    ranking.ranking_query = &rq;
    Cchc__AlertQuery aq = CCHC__ALERT_QUERY__INIT;
    aq.ward = (char *)cli->ward;
    aq.has_limit = true;
    aq.limit = 1; //  only last_seq is wanted
    Cchc__Envelope alerts = CCHC__ENVELOPE__INIT;
    alerts.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
    alerts.alert_query = &aq;

    uint64_t scoring = 0, notify = 0;
    int64_t deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        cchc_decoded_t *r = NULL;
        cchc_client_t *c;
        if (scoring < head && (c = client_for(cli, "scoring")) &&
            cchc_client_call(c, &ranking, cli->timeout_ms, true, &r) == 0 &&
            cchc_decoded_env(r)->body_case == CCHC__ENVELOPE__BODY_RANKING)
            scoring = cchc_decoded_env(r)->ranking->last_seq;
        cchc_decoded_destroy(&r);
        if (notify < head && (c = client_for(cli, "notify")) &&
            cchc_client_call(c, &alerts, cli->timeout_ms, true, &r) == 0 &&
            cchc_decoded_env(r)->body_case == CCHC__ENVELOPE__BODY_ALERT_LIST)
            notify = cchc_decoded_env(r)->alert_list->last_seq;
        cchc_decoded_destroy(&r);
        if (scoring >= head && notify >= head)
            return 0;
        if (monotonic_ms() >= deadline)
            break;
        sleep_ms(20);
    }
    fprintf(stderr,
            "Dịch vụ tính điểm hoặc cảnh báo chưa cập nhật kịp sau %d ms (tính điểm: seq %llu, cảnh báo: seq "
            "%llu, cần seq %llu).\n    (consumers did not catch up in time)\n",
            timeout_ms, (unsigned long long)scoring, (unsigned long long)notify, (unsigned long long)head);
    return -1;
}

// ---------------------------------------------------------------------------
//  Arguments

static bool listed(const char *const *list, const char *name)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

int cli_args_parse(int argc, char **argv, const char *const *known, const char *const *flags, cli_args_t *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            if (a->npositional == CLI_ARGS_MAX) {
                fprintf(stderr, "Quá nhiều tham số (too many arguments).\n");
                return -1;
            }
            a->positional[a->npositional++] = argv[i];
            continue;
        }
        const char *name = argv[i] + 2;
        bool flag = listed(flags, name) || !strcmp(name, "json");
        if (!flag && !listed(known, name)) {
            fprintf(stderr, "Tùy chọn không rõ: --%s (unknown option).\n", name);
            return -1;
        }
        if (a->nopts == CLI_ARGS_MAX) {
            fprintf(stderr, "Quá nhiều tùy chọn (too many options).\n");
            return -1;
        }
        if (!flag && i + 1 >= argc) {
            fprintf(stderr, "Thiếu giá trị cho --%s (option needs a value).\n", name);
            return -1;
        }
        a->names[a->nopts] = name;
        a->values[a->nopts++] = flag ? "true" : argv[++i];
    }
    return 0;
}

const char *cli_arg(const cli_args_t *a, const char *name)
{
    for (int i = 0; i < a->nopts; i++)
        if (!strcmp(a->names[i], name))
            return a->values[i];
    return NULL;
}

// ---------------------------------------------------------------------------
//  Updates: one event each, printed as "Đã ghi nhận (seq N)."

static int submit_one(cli_t *cli, Cchc__Event *ev)
{
    uint64_t seq = 0;
    int rc = cli_submit(cli, &ev, 1, &seq, NULL, NULL, NULL);
    if (rc != 0)
        return 1;
    cchc_render_recorded(stdout, seq, cli->json);
    return 0;
}

//  The same, then (for people, not with --json) what it means, in Vietnamese.
static int submit_explained(cli_t *cli, Cchc__Event *ev, const char *what)
{
    int rc = submit_one(cli, ev);
    if (rc == 0 && !cli->json)
        printf("%s\n", what);
    return rc;
}

typedef struct {
    const char *name;
    const char *usage;
    const char *const options[8]; //  taking a value
    const char *const flags[4];
    const char *const required[4];
} update_spec_t;

static const update_spec_t updates[] = {
    {"progress",
     "cchc progress TASK --unit U --percent P [--outputs N] [--note TEXT] [--evidence REF]",
     {"unit", "percent", "outputs", "note", "evidence", NULL},
     {NULL},
     {"unit", "percent", NULL}},
    {"submit-done",
     "cchc submit-done TASK --unit U [--note TEXT] [--evidence REF]",
     {"unit", "note", "evidence", NULL},
     {NULL},
     {"unit", NULL}},
    {"verify",
     "cchc verify TASK --pass|--fail --reviewer CODE [--comment TEXT]",
     {"reviewer", "comment", NULL},
     {"pass", "fail", NULL},
     {"reviewer", NULL}},
    {"deadline",
     "cchc deadline TASK --date dd/mm/yyyy --reason TEXT [--objective] --approver CODE",
     {"date", "reason", "approver", NULL},
     {"objective", NULL},
     {"date", "reason", "approver", NULL}},
    {"pause", "cchc pause TASK [--reason TEXT]", {"reason", NULL}, {NULL}, {NULL}},
    {"resume", "cchc resume TASK", {NULL}, {NULL}, {NULL}},
    {"cancel", "cchc cancel TASK [--reason TEXT]", {"reason", NULL}, {NULL}, {NULL}},
    {"adjust",
     "cchc adjust UNIT [--bonus X.YY] [--penalty X.YY] --reason TEXT",
     {"bonus", "penalty", "reason", NULL},
     {NULL},
     {"reason", NULL}},
    {"appraise",
     "cchc appraise UNIT --score X.YY --appraiser CODE [--comment TEXT]",
     {"score", "appraiser", "comment", NULL},
     {NULL},
     {"score", "appraiser", NULL}},
    {"ack",
     "cchc ack TASK --official CODE [--level 0|1|2] [--unit U] [--note TEXT]"
     "   (0: quá hạn / overdue, 1-2: vượt cấp / escalation)",
     {"official", "level", "unit", "note", NULL},
     {NULL},
     {"official", NULL}},
    {"silence",
     "cchc silence TASK|UNIT --until dd/mm/yyyy --reason TEXT [--whole-unit] [--approver CODE]",
     {"until", "reason", "approver", NULL},
     {"whole-unit", NULL},
     {"until", "reason", NULL}},
    {"leave",
     "cchc leave OFFICIAL --from dd/mm/yyyy --to dd/mm/yyyy [--deputy CODE] [--reason TEXT]",
     {"from", "to", "deputy", "reason", NULL},
     {NULL},
     {"from", "to", NULL}},
};

bool cmd_is_update(const char *cmd)
{
    for (size_t i = 0; i < sizeof(updates) / sizeof(updates[0]); i++)
        if (!strcmp(updates[i].name, cmd))
            return true;
    return false;
}

static int usage_error(const update_spec_t *spec, const char *what, const char *value)
{
    if (value)
        fprintf(stderr, "%s: %s\n", what, value);
    else
        fprintf(stderr, "%s\n", what);
    fprintf(stderr, "Cách dùng (usage): %s\n", spec->usage);
    return 2;
}

//  A centi-point value >= 0 (bonus, penalty, appraised score up to 100).
static int parse_points(const char *text, int64_t max_centi, int32_t *out)
{
    int64_t v;
    if (cli_parse_fixed(text, 100, &v) != 0 || v < 0 || v > max_centi)
        return -1;
    *out = (int32_t)v;
    return 0;
}

int cmd_update(cli_t *cli, const char *cmd, int argc, char **argv)
{
    const update_spec_t *spec = NULL;
    for (size_t i = 0; i < sizeof(updates) / sizeof(updates[0]) && !spec; i++)
        if (!strcmp(updates[i].name, cmd))
            spec = &updates[i];
    if (!spec)
        return 2;
    cli_args_t a;
    if (cli_args_parse(argc, argv, spec->options, spec->flags, &a) != 0)
        return usage_error(spec, "Tham số không hợp lệ (bad arguments).", NULL);
    if (a.npositional != 1)
        return usage_error(
            spec, "Cần đúng một mã nhiệm vụ, đơn vị hoặc cán bộ (one task, unit or official code).", NULL);
    for (size_t i = 0; spec->required[i]; i++)
        if (!cli_arg(&a, spec->required[i])) {
            char option[64];
            snprintf(option, sizeof(option), "--%s", spec->required[i]);
            return usage_error(spec, "Thiếu tùy chọn (missing option)", option);
        }
    const char *code = a.positional[0];

    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)cli->ward;
    ev.actor = "ward";
    long n;
    const char *v;
    if (!strcmp(cmd, "progress")) {
        Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
        p.task = (char *)code;
        if (cli_parse_int(cli_arg(&a, "percent"), 0, 100, &n) != 0)
            return usage_error(spec, "Tỷ lệ phần trăm phải từ 0 đến 100 (percent)", cli_arg(&a, "percent"));
        p.has_percent = true;
        p.percent = (int32_t)n;
        if ((v = cli_arg(&a, "outputs"))) {
            if (cli_parse_int(v, 0, INT32_MAX, &n) != 0)
                return usage_error(spec, "Số sản phẩm không hợp lệ (outputs)", v);
            p.has_outputs_done = true;
            p.outputs_done = (int32_t)n;
        }
        p.note = (char *)cli_arg(&a, "note");
        p.evidence_ref = (char *)cli_arg(&a, "evidence");
        ev.actor = (char *)cli_arg(&a, "unit");
        ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev.progress_reported = &p;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "submit-done")) {
        Cchc__SubmittedForVerification s = CCHC__SUBMITTED_FOR_VERIFICATION__INIT;
        s.task = (char *)code;
        s.note = (char *)cli_arg(&a, "note");
        s.evidence_ref = (char *)cli_arg(&a, "evidence");
        ev.actor = (char *)cli_arg(&a, "unit");
        ev.payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
        ev.submitted = &s;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "verify")) {
        if (!cli_arg(&a, "pass") == !cli_arg(&a, "fail"))
            return usage_error(spec, "Chọn một trong --pass hoặc --fail (one of --pass, --fail).", NULL);
        Cchc__Verified vf = CCHC__VERIFIED__INIT;
        vf.task = (char *)code;
        vf.has_passed = true;
        vf.passed = cli_arg(&a, "pass") != NULL;
        vf.reviewer = (char *)cli_arg(&a, "reviewer");
        vf.comment = (char *)cli_arg(&a, "comment");
        ev.payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
        ev.verified = &vf;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "deadline")) {
        int32_t date;
        if (cchc_date_parse(cli_arg(&a, "date"), &date) != 0)
            return usage_error(spec, "Ngày không hợp lệ (dd/mm/yyyy)", cli_arg(&a, "date"));
        Cchc__DeadlineChanged d = CCHC__DEADLINE_CHANGED__INIT;
        d.task = (char *)code;
        d.has_new_due_date = d.has_objective = true;
        d.new_due_date = date;
        d.objective = cli_arg(&a, "objective") != NULL;
        d.reason = (char *)cli_arg(&a, "reason");
        d.approver = (char *)cli_arg(&a, "approver");
        ev.payload_case = CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED;
        ev.deadline_changed = &d;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "pause")) {
        Cchc__TaskPaused p = CCHC__TASK_PAUSED__INIT;
        p.task = (char *)code;
        p.reason = (char *)cli_arg(&a, "reason");
        ev.payload_case = CCHC__EVENT__PAYLOAD_PAUSED;
        ev.paused = &p;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "resume")) {
        Cchc__TaskResumed r = CCHC__TASK_RESUMED__INIT;
        r.task = (char *)code;
        ev.payload_case = CCHC__EVENT__PAYLOAD_RESUMED;
        ev.resumed = &r;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "cancel")) {
        Cchc__TaskCancelled c = CCHC__TASK_CANCELLED__INIT;
        c.task = (char *)code;
        c.reason = (char *)cli_arg(&a, "reason");
        ev.payload_case = CCHC__EVENT__PAYLOAD_CANCELLED;
        ev.cancelled = &c;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "adjust")) {
        Cchc__Adjustment adj = CCHC__ADJUSTMENT__INIT;
        adj.unit = (char *)code;
        adj.reason = (char *)cli_arg(&a, "reason");
        if (!cli_arg(&a, "bonus") && !cli_arg(&a, "penalty"))
            return usage_error(spec, "Cần --bonus hoặc --penalty (a bonus or a penalty).", NULL);
        if ((v = cli_arg(&a, "bonus"))) {
            if (parse_points(v, 10000, &adj.bonus_centi) != 0)
                return usage_error(spec, "Điểm thưởng không hợp lệ (bonus)", v);
            adj.has_bonus_centi = true;
        }
        if ((v = cli_arg(&a, "penalty"))) {
            if (parse_points(v, 10000, &adj.penalty_centi) != 0)
                return usage_error(spec, "Điểm trừ không hợp lệ (penalty)", v);
            adj.has_penalty_centi = true;
        }
        ev.payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
        ev.adjustment = &adj;
        return submit_one(cli, &ev);
    }
    if (!strcmp(cmd, "ack")) {
        Cchc__AlertAcknowledged ack = CCHC__ALERT_ACKNOWLEDGED__INIT;
        ack.task = (char *)code;
        ack.official = (char *)cli_arg(&a, "official");
        n = 0;
        if ((v = cli_arg(&a, "level")) && cli_parse_int(v, 0, 2, &n) != 0)
            return usage_error(spec, "Cấp cảnh báo phải là 0, 1 hoặc 2 (level)", v);
        ack.has_kind = ack.has_level = true;
        ack.kind = n == 0 ? 1 : 2; //  AlertKind: 1 overdue, 2 escalation
        ack.level = (int32_t)n;
        ack.note = (char *)cli_arg(&a, "note");
        if (cli_arg(&a, "unit"))
            ev.actor = (char *)cli_arg(&a, "unit"); //  the head acknowledges for the unit
        ev.payload_case = CCHC__EVENT__PAYLOAD_ALERT_ACKNOWLEDGED;
        ev.alert_acknowledged = &ack;
        char what[256];
        snprintf(what, sizeof(what), "%s đã xác nhận cảnh báo %s của nhiệm vụ %s: %s.", ack.official,
                 n == 0   ? "quá hạn"
                 : n == 1 ? "vượt cấp (cấp 1)"
                          : "vượt cấp (Chủ tịch)",
                 code,
                 n == 2 ? "không còn cấp báo cáo nào sau"
                        : "không báo cáo vượt cấp tiếp khi xác nhận còn hiệu lực");
        return submit_explained(cli, &ev, what);
    }
    if (!strcmp(cmd, "silence")) {
        int32_t date;
        if (cchc_date_parse(cli_arg(&a, "until"), &date) != 0)
            return usage_error(spec, "Ngày không hợp lệ (dd/mm/yyyy)", cli_arg(&a, "until"));
        Cchc__SilenceSet si = CCHC__SILENCE_SET__INIT;
        if (cli_arg(&a, "whole-unit"))
            si.unit = (char *)code;
        else
            si.task = (char *)code;
        si.has_until_date = true;
        si.until_date = date;
        si.reason = (char *)cli_arg(&a, "reason");
        si.approver = (char *)cli_arg(&a, "approver");
        ev.payload_case = CCHC__EVENT__PAYLOAD_SILENCE_SET;
        ev.silence_set = &si;
        char day[16], what[256];
        cchc_date_format(date, day, sizeof(day));
        snprintf(what, sizeof(what), "Tạm ngừng cảnh báo %s %s đến hết ngày %s.",
                 si.unit ? "mọi nhiệm vụ của đơn vị" : "nhiệm vụ", code, day);
        return submit_explained(cli, &ev, what);
    }
    if (!strcmp(cmd, "leave")) {
        int32_t from, to;
        if (cchc_date_parse(cli_arg(&a, "from"), &from) != 0)
            return usage_error(spec, "Ngày không hợp lệ (dd/mm/yyyy)", cli_arg(&a, "from"));
        if (cchc_date_parse(cli_arg(&a, "to"), &to) != 0)
            return usage_error(spec, "Ngày không hợp lệ (dd/mm/yyyy)", cli_arg(&a, "to"));
        Cchc__OfficialLeave l = CCHC__OFFICIAL_LEAVE__INIT;
        l.official = (char *)code;
        l.has_from_date = l.has_to_date = true;
        l.from_date = from;
        l.to_date = to;
        l.deputy = (char *)cli_arg(&a, "deputy");
        l.reason = (char *)cli_arg(&a, "reason");
        ev.payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_LEAVE;
        ev.official_leave = &l;
        char d1[16], d2[16], what[256];
        cchc_date_format(from, d1, sizeof(d1));
        cchc_date_format(to, d2, sizeof(d2));
        snprintf(what, sizeof(what), "%s nghỉ phép từ ngày %s đến hết ngày %s; cảnh báo gửi %s%s.", code, d1,
                 d2, l.deputy ? "người thay " : "cấp phó của đơn vị", l.deputy ? l.deputy : "");
        return submit_explained(cli, &ev, what);
    }
    //  appraise
    Cchc__AppraisalRecorded ap = CCHC__APPRAISAL_RECORDED__INIT;
    ap.unit = (char *)code;
    if (parse_points(cli_arg(&a, "score"), 10000, &ap.score_centi) != 0)
        return usage_error(spec, "Điểm thẩm định phải từ 0 đến 100 (score)", cli_arg(&a, "score"));
    ap.has_score_centi = true;
    ap.appraiser = (char *)cli_arg(&a, "appraiser");
    ap.comment = (char *)cli_arg(&a, "comment");
    ev.payload_case = CCHC__EVENT__PAYLOAD_APPRAISAL;
    ev.appraisal = &ap;
    return submit_one(cli, &ev);
}

// ---------------------------------------------------------------------------
//  Queries

int cmd_ranking(cli_t *cli, int argc, char **argv)
{
    static const char *const known[] = {"month", "quarter", "as-of", NULL};
    static const char *const usage =
        "Cách dùng (usage): cchc ranking [--month 1..12 | --quarter 1..4 | --as-of "
        "\"dd/mm/yyyy[ HH:MM]\"] [--json]\n";
    cli_args_t a;
    long month = 0, quarter = 0;
    int64_t as_of = 0;
    const char *as_of_text = NULL;
    if (cli_args_parse(argc, argv, known, NULL, &a) != 0 || a.npositional ||
        (cli_arg(&a, "month") && cli_parse_int(cli_arg(&a, "month"), 1, 12, &month) != 0) ||
        (cli_arg(&a, "quarter") && cli_parse_int(cli_arg(&a, "quarter"), 1, 4, &quarter) != 0) ||
        ((as_of_text = cli_arg(&a, "as-of")) && cchc_time_parse(as_of_text, &as_of) != 0) ||
        (!!month + !!quarter + !!as_of_text) > 1) {
        fputs(usage, stderr);
        return 2;
    }
    Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
    q.ward = (char *)cli->ward;
    if (month || quarter) {
        q.has_period = q.has_period_index = true;
        q.period = month ? CCHC__PERIOD_KIND__PERIOD_MONTH : CCHC__PERIOD_KIND__PERIOD_QUARTER;
        q.period_index = (int32_t)(month ? month : quarter);
    }
    if (as_of_text) {
        //  A bare date means the whole day: the ranking at its end.
        q.has_as_of_ms = true;
        q.as_of_ms = strchr(as_of_text, ':') ? as_of : as_of + CCHC_DAY_MS - 1;
    }
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    env.ranking_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "scoring", &env, CCHC__ENVELOPE__BODY_RANKING);
    if (!reply)
        return 1;
    if (cli->json)
        cchc_render_ranking_json(stdout, cchc_decoded_env(reply)->ranking);
    else
        cchc_render_ranking(stdout, cchc_decoded_env(reply)->ranking);
    cchc_decoded_destroy(&reply);
    return 0;
}

int cmd_explain(cli_t *cli, int argc, char **argv)
{
    cli_args_t a;
    if (cli_args_parse(argc, argv, NULL, NULL, &a) != 0 || a.npositional != 1) {
        fprintf(stderr, "Cách dùng (usage): cchc explain UNIT [--json]\n");
        return 2;
    }
    Cchc__ExplainQuery q = CCHC__EXPLAIN_QUERY__INIT;
    q.ward = (char *)cli->ward;
    q.unit = (char *)a.positional[0];
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_EXPLAIN_QUERY;
    env.explain_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "scoring", &env, CCHC__ENVELOPE__BODY_EXPLANATION);
    if (!reply)
        return 1;
    if (cli->json)
        cchc_render_explanation_json(stdout, cchc_decoded_env(reply)->explanation);
    else
        cchc_render_explanation(stdout, cchc_decoded_env(reply)->explanation);
    cchc_decoded_destroy(&reply);
    return 0;
}

int cmd_alerts(cli_t *cli, int argc, char **argv)
{
    static const char *const known[] = {"limit", NULL};
    cli_args_t a;
    long limit = 20;
    if (cli_args_parse(argc, argv, known, NULL, &a) != 0 || a.npositional ||
        (cli_arg(&a, "limit") && cli_parse_int(cli_arg(&a, "limit"), 0, 100000, &limit) != 0)) {
        fprintf(stderr, "Cách dùng (usage): cchc alerts [--limit N] [--json]   (N = 0: tất cả / all)\n");
        return 2;
    }
    cchc_decoded_t *reply = cli_query_alerts(cli, (uint32_t)limit);
    if (!reply)
        return 1;
    if (cli->json)
        cchc_render_alerts_json(stdout, cchc_decoded_env(reply)->alert_list);
    else
        cchc_render_alerts(stdout, cchc_decoded_env(reply)->alert_list);
    cchc_decoded_destroy(&reply);
    return 0;
}

int cmd_holds(cli_t *cli, int argc, char **argv)
{
    cli_args_t a;
    if (cli_args_parse(argc, argv, NULL, NULL, &a) != 0 || a.npositional) {
        fprintf(stderr, "Cách dùng (usage): cchc holds [--json]\n");
        return 2;
    }
    Cchc__AlertQuery q = CCHC__ALERT_QUERY__INIT;
    q.ward = (char *)cli->ward;
    q.has_holds = true;
    q.holds = true;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
    env.alert_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "notify", &env, CCHC__ENVELOPE__BODY_ALERT_LIST);
    if (!reply)
        return 1;
    cchc_render_holds(stdout, cchc_decoded_env(reply)->alert_list, cli->json);
    cchc_decoded_destroy(&reply);
    return 0;
}

int cmd_clock(cli_t *cli, int argc, char **argv)
{
    static const char *const known[] = {"to", NULL};
    static const char *const usage =
        "Cách dùng (usage): cchc clock status | cchc clock advance --to \"dd/mm/yyyy[ HH:MM]\" (hoặc ISO "
        "yyyy-mm-ddTHH:MM)\n";
    cli_args_t a;
    if (cli_args_parse(argc, argv, known, NULL, &a) != 0 || a.npositional != 1) {
        fputs(usage, stderr);
        return 2;
    }
    if (!strcmp(a.positional[0], "advance")) {
        int64_t to;
        const char *text = cli_arg(&a, "to");
        if (!text || cchc_time_parse(text, &to) != 0) {
            fprintf(stderr, "Thời điểm không hợp lệ: %s\n", text ? text : "(thiếu --to)");
            fputs(usage, stderr);
            return 2;
        }
        if (cli_advance(cli, to, NULL) != 0)
            return 1;
    } else if (strcmp(a.positional[0], "status") != 0 || cli_arg(&a, "to")) {
        fputs(usage, stderr);
        return 2;
    }
    uint64_t head;
    int64_t now;
    bool manual;
    if (cli_status(cli, &head, &now, &manual) != 0)
        return 1;
    cchc_render_clock(stdout, now, head, manual, cli->json);
    return 0;
}
