/*  deadletters.c - `cchc dead-letters`: the alerts that notify gave up on
    after the capped attempts on every channel open to their recipient, and
    their replay.

        cchc dead-letters [--json]
        cchc dead-letters replay ID... | --all

    A replay resets the attempts and delivers again with the SAME dedupe
    token (X-Request-Id, Idempotency-Key, Message-ID), on the channels that
    have not taken the alert yet. The request travels inside an AlertQuery
    (DeadLetterRequest, proto/notify.proto).

    JSON (--json): {"ward","total","dead_letters":[{"id","token","kind",
    "level","task","unit","person","person_name","due","days_overdue",
    "text","channel","attempts","last_error","dead"}]}; dead is dd/mm/yyyy
    HH:MM (Asia/Ho_Chi_Minh) of the wall clock.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "render.h"

static void usage(void)
{
    fprintf(stderr, "Cách dùng (usage): cchc dead-letters [--json]\n"
                    "                   cchc dead-letters replay MÃ_SỐ... | --all\n");
}

static cchc_decoded_t *query(cli_t *cli, Cchc__DeadLetterRequest *d)
{
    Cchc__AlertQuery q = CCHC__ALERT_QUERY__INIT;
    q.ward = (char *)cli->ward;
    q.dead_letters = d;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
    env.alert_query = &q;
    return cli_query(cli, "notify", &env, CCHC__ENVELOPE__BODY_ALERT_LIST);
}

static void key_of(const Cchc__Alert *a, char *out, size_t size)
{
    snprintf(out, size, "%s/%s/%s/%d/%d", a->ward, a->task, a->person, (int)a->kind, a->level);
}

static void render_json(FILE *f, const char *ward, const Cchc__AlertList *l)
{
    fputs("{\"ward\":", f);
    cchc_json_string(f, ward);
    fprintf(f, ",\"total\":%zu,\"dead_letters\":[", l->n_dead_letters);
    for (size_t i = 0; i < l->n_dead_letters; i++) {
        const Cchc__DeadLetter *d = l->dead_letters[i];
        const Cchc__Alert *a = d->alert;
        char key[512], due[16], dead[32];
        key_of(a, key, sizeof(key));
        fprintf(f, "%s{\"id\":%llu,\"token\":", i ? "," : "", (unsigned long long)a->id);
        cchc_json_string(f, key);
        fputs(",\"kind\":", f);
        cchc_json_string(f, cchc_alert_kind_name(a->kind));
        fprintf(f, ",\"level\":%d,\"task\":", a->level);
        cchc_json_string(f, a->task);
        fputs(",\"unit\":", f);
        cchc_json_string(f, a->unit);
        fputs(",\"person\":", f);
        cchc_json_string(f, a->person);
        fputs(",\"person_name\":", f);
        cchc_json_string(f, a->person_name);
        fputs(",\"due\":", f);
        cchc_json_string(f, cchc_date_format(a->due_date, due, sizeof(due)));
        fprintf(f, ",\"days_overdue\":%d,\"text\":", a->days_overdue);
        cchc_json_string(f, a->text);
        fputs(",\"channel\":", f);
        cchc_json_string(f, d->channel);
        fprintf(f, ",\"attempts\":%u,\"last_error\":", d->attempts);
        cchc_json_string(f, d->last_error);
        fputs(",\"dead\":", f);
        cchc_json_string(f, cchc_time_format(d->dead_ms, dead, sizeof(dead)));
        fputc('}', f);
    }
    fputs("]}\n", f);
}

static void render_text(FILE *f, const char *ward, const Cchc__AlertList *l)
{
    if (l->n_dead_letters == 0) {
        fprintf(f, "Không có cảnh báo nào gửi thất bại ở phường %s.\n", ward);
        return;
    }
    fprintf(f, "Cảnh báo không gửi được — phường %s: %zu cảnh báo\n", ward, l->n_dead_letters);
    fprintf(f, "(gửi lại: cchc dead-letters replay MÃ_SỐ | --all)\n\n");
    for (size_t i = 0; i < l->n_dead_letters; i++) {
        const Cchc__DeadLetter *d = l->dead_letters[i];
        const Cchc__Alert *a = d->alert;
        char key[512], due[16], dead[32], level[64];
        key_of(a, key, sizeof(key));
        fprintf(f, "#%llu %s (%s) — nhiệm vụ %s, đơn vị %s, gửi đồng chí %s (%s)\n",
                (unsigned long long)a->id, cchc_alert_kind_label_vi(a->kind),
                cchc_alert_level_vi(a, level, sizeof(level)), a->task, a->unit, a->person_name, a->person);
        fprintf(f, "    Hạn: %s; kênh %s: %u lần thử, lỗi cuối: %s; bỏ cuộc lúc %s\n",
                cchc_date_format(a->due_date, due, sizeof(due)), d->channel ? d->channel : "—", d->attempts,
                d->last_error && *d->last_error ? d->last_error : "—",
                cchc_time_format(d->dead_ms, dead, sizeof(dead)));
        fprintf(f, "    Mã thông báo: %s\n    %s\n", key, a->text);
    }
}

int cmd_dead_letters(cli_t *cli, int argc, char **argv)
{
    static const char *const known[] = {"all", NULL};
    static const char *const flags[] = {"all", NULL};
    cli_args_t a;
    if (cli_args_parse(argc, argv, known, flags, &a) != 0) {
        usage();
        return 2;
    }
    bool replay = a.npositional > 0 && !strcmp(a.positional[0], "replay");
    bool all = cli_arg(&a, "all") != NULL;
    if ((!replay && (a.npositional > 0 || all)) || (replay && (all == (a.npositional > 1)))) {
        usage();
        return 2;
    }
    Cchc__DeadLetterRequest d = CCHC__DEAD_LETTER_REQUEST__INIT;
    uint64_t ids[CLI_ARGS_MAX];
    if (replay) {
        d.has_replay = true;
        d.replay = true;
        d.has_all = all;
        d.all = all;
        for (int i = 1; i < a.npositional; i++) {
            long id;
            if (cli_parse_int(a.positional[i], 1, 2147483647L, &id) != 0) {
                fprintf(stderr, "Mã số cảnh báo không hợp lệ: %s (alert id).\n", a.positional[i]);
                return 2;
            }
            ids[d.n_ids++] = (uint64_t)id;
        }
        d.ids = ids;
    }
    cchc_decoded_t *reply = query(cli, &d);
    if (!reply)
        return 1;
    const Cchc__AlertList *l = cchc_decoded_env(reply)->alert_list;
    int rc = 0;
    if (!replay) {
        if (cli->json)
            render_json(stdout, cli->ward, l);
        else
            render_text(stdout, cli->ward, l);
    } else if (cli->json) {
        printf("{\"ward\":");
        cchc_json_string(stdout, cli->ward);
        printf(",\"replayed\":%u}\n", l->replayed);
        rc = l->replayed > 0 || all ? 0 : 1;
    } else if (l->replayed > 0) {
        printf("Đã gửi lại %u cảnh báo (cùng mã thông báo như trước); số lần thử được đặt lại.\n",
               l->replayed);
    } else if (all) {
        printf("Không có cảnh báo nào gửi thất bại để gửi lại.\n");
    } else {
        fprintf(stderr, "Không gửi lại được: mã số đã cho không có trong danh sách gửi thất bại.\n"
                        "    (no such dead letter)\n");
        rc = 1;
    }
    cchc_decoded_destroy(&reply);
    return rc;
}
