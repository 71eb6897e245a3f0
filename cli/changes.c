/*  changes.c - `cchc changes`: scoring's output log, the changes of units'
    scores, ranks and tiers in the order scoring recorded them.

        cchc changes [--ward W] [--from SEQ] [--json]

    Fetches the output log from SEQ (default 1) with credit, page by page,
    up to the head scoring reported with the first page; --ward keeps one
    ward's records (every ward when absent: the global --ward is not used,
    the log is the shard's). People read one line per change:

        #12  10/01/2026 09:00  T1  VP  điểm 0,00 → 100,00  hạng 3 → 1 ↑
             xếp loại Chưa đánh giá → Hoàn thành xuất sắc  (năm 2026, sự kiện 25)

    --json: {"head_seq","changes":[{"seq","time","time_ms","ward","unit",
    "period","old_score","new_score","old_score_centi","new_score_centi",
    "old_rank","new_rank","old_tier","new_tier","old_tier_vi","new_tier_vi",
    "input_seq","cause"}]}, scores as numbers with two decimals, tiers as in
    `ranking --json`, cause "log" or "rules".
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "labels.h"
#include "render.h"

#define CHANGES_CREDIT 1000

static void score_json(FILE *f, int32_t centi)
{
    int32_t a = centi < 0 ? -centi : centi;
    fprintf(f, "%s%d.%02d", centi < 0 ? "-" : "", a / 100, a % 100);
}

//  "hạng 3 → 1 ↑", "hạng 2 → 3 ↓", "hạng 2 (giữ nguyên)", "xếp hạng lần đầu: 3".
static void print_rank(FILE *f, uint32_t old_rank, uint32_t new_rank)
{
    if (old_rank == 0)
        fprintf(f, "xếp hạng lần đầu: %u", new_rank);
    else if (old_rank == new_rank)
        fprintf(f, "hạng %u (giữ nguyên)", new_rank);
    else
        fprintf(f, "hạng %u → %u %s", old_rank, new_rank, new_rank < old_rank ? "↑" : "↓");
}

void cli_print_change(FILE *f, const Cchc__ScoreChange *c)
{
    char when[32], old_s[16], new_s[16];
    cchc_time_format(c->log_time_ms, when, sizeof(when));
    fprintf(f, "#%llu  %s  %s  %s  ", (unsigned long long)c->seq, when, c->ward, c->unit);
    if (c->old_score_centi != c->new_score_centi)
        fprintf(f, "điểm %s → %s  ", cchc_format_score(c->old_score_centi, old_s, sizeof(old_s)),
                cchc_format_score(c->new_score_centi, new_s, sizeof(new_s)));
    else
        fprintf(f, "điểm %s  ", cchc_format_score(c->new_score_centi, new_s, sizeof(new_s)));
    print_rank(f, c->old_rank, c->new_rank);
    fprintf(f, "\n      xếp loại ");
    if (c->old_tier != c->new_tier)
        fprintf(f, "%s → %s", cchc_tier_label_vi(c->old_tier), cchc_tier_label_vi(c->new_tier));
    else
        fprintf(f, "%s (giữ nguyên)", cchc_tier_label_vi(c->new_tier));
    if (c->cause == CCHC__CHANGE_CAUSE__CAUSE_RULES)
        fprintf(f, "  (năm %d, đổi quy tắc chấm điểm sau sự kiện %llu)\n", c->period,
                (unsigned long long)c->input_seq);
    else
        fprintf(f, "  (năm %d, sự kiện %llu)\n", c->period, (unsigned long long)c->input_seq);
}

void cli_print_change_json(FILE *f, const Cchc__ScoreChange *c, bool first)
{
    char when[32];
    cchc_time_format(c->log_time_ms, when, sizeof(when));
    fprintf(f, "%s{\"seq\":%llu,\"time\":", first ? "" : ",", (unsigned long long)c->seq);
    cchc_json_string(f, when);
    fprintf(f, ",\"time_ms\":%lld,\"ward\":", (long long)c->log_time_ms);
    cchc_json_string(f, c->ward);
    fprintf(f, ",\"unit\":");
    cchc_json_string(f, c->unit);
    fprintf(f, ",\"period\":%d,\"old_score\":", c->period);
    score_json(f, c->old_score_centi);
    fprintf(f, ",\"new_score\":");
    score_json(f, c->new_score_centi);
    fprintf(f, ",\"old_score_centi\":%d,\"new_score_centi\":%d,\"old_rank\":%u,\"new_rank\":%u,\"old_tier\":",
            c->old_score_centi, c->new_score_centi, c->old_rank, c->new_rank);
    cchc_json_string(f, cchc_tier_name(c->old_tier));
    fprintf(f, ",\"new_tier\":");
    cchc_json_string(f, cchc_tier_name(c->new_tier));
    fprintf(f, ",\"old_tier_vi\":");
    cchc_json_string(f, cchc_tier_label_vi(c->old_tier));
    fprintf(f, ",\"new_tier_vi\":");
    cchc_json_string(f, cchc_tier_label_vi(c->new_tier));
    fprintf(f, ",\"input_seq\":%llu,\"cause\":\"%s\"}", (unsigned long long)c->input_seq,
            c->cause == CCHC__CHANGE_CAUSE__CAUSE_RULES ? "rules" : "log");
}

int cmd_changes(cli_t *cli, int argc, char **argv)
{
    static const char *const known[] = {"ward", "from", NULL};
    cli_args_t a;
    long from = 1;
    if (cli_args_parse(argc, argv, known, NULL, &a) != 0 || a.npositional ||
        (cli_arg(&a, "from") && cli_parse_int(cli_arg(&a, "from"), 1, 2147483647L, &from) != 0)) {
        fprintf(stderr, "Cách dùng (usage): cchc changes [--ward MÃ] [--from SỐ] [--json]\n");
        return 2;
    }
    const char *ward = cli_arg(&a, "ward");
    uint64_t next = (uint64_t)from, head = 0;
    size_t shown = 0;
    bool first_page = true;
    if (cli->json)
        printf("{\"changes\":[");
    for (;;) {
        Cchc__Fetch q = CCHC__FETCH__INIT;
        q.has_from_seq = q.has_credit = true;
        q.from_seq = next;
        q.credit = CHANGES_CREDIT;
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_FETCH;
        env.fetch = &q;
        cchc_decoded_t *reply = cli_query(cli, "scoring", &env, CCHC__ENVELOPE__BODY_CHANGE_BATCH);
        if (!reply) {
            if (cli->json)
                printf("]}\n"); //  stdout stays valid JSON; the error is on stderr
            return 1;
        }
        const Cchc__ChangeBatch *b = cchc_decoded_env(reply)->change_batch;
        if (first_page) //  stop at the head of the first page: the log keeps growing
            head = b->head_seq;
        first_page = false;
        for (size_t i = 0; i < b->n_changes && b->changes[i]->seq <= head; i++) {
            const Cchc__ScoreChange *c = b->changes[i];
            if (ward && strcmp(ward, c->ward ? c->ward : ""))
                continue;
            if (cli->json)
                cli_print_change_json(stdout, c, shown == 0);
            else
                cli_print_change(stdout, c);
            shown++;
        }
        next += b->n_changes;
        bool done = b->n_changes == 0 || next > head;
        cchc_decoded_destroy(&reply);
        if (done)
            break;
    }
    if (cli->json)
        printf("],\"head_seq\":%llu}\n", (unsigned long long)head);
    else if (shown == 0)
        printf("Không có thay đổi nào%s%s từ số %ld (nhật ký đến số %llu).\n", ward ? " của phường " : "",
               ward ? ward : "", from, (unsigned long long)head);
    else
        printf("%zu thay đổi; nhật ký kết quả đến số %llu.\n", shown, (unsigned long long)head);
    return 0;
}
