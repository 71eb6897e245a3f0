/*  history.c - `cchc history` and `cchc province`: a unit's score history
    and the province view, both from scoring.

        cchc history UNIT [--limit N] [--json]
        cchc province [TỈNH] [--json]

    history lists the unit's output-log records (its changes of score, rank
    and tier), oldest first, the latest N (default 1,000); --json gives
    {"ward","unit","unit_name","total","changes":[...]} with the records as
    `cchc changes --json` prints them. province ranks the wards of a
    province (every ward scoring follows when none is named) by the mean
    score of their rated units.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

int cmd_history(cli_t *cli, int argc, char **argv)
{
    static const char *const known[] = {"limit", NULL};
    cli_args_t a;
    long limit = 1000;
    if (cli_args_parse(argc, argv, known, NULL, &a) != 0 || a.npositional != 1 ||
        (cli_arg(&a, "limit") && cli_parse_int(cli_arg(&a, "limit"), 1, 10000, &limit) != 0)) {
        fprintf(stderr, "Cách dùng (usage): cchc history UNIT [--limit 1..10000] [--json]\n");
        return 2;
    }
    Cchc__HistoryQuery q = CCHC__HISTORY_QUERY__INIT;
    q.ward = (char *)cli->ward;
    q.unit = (char *)a.positional[0];
    q.has_limit = true;
    q.limit = (uint32_t)limit;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_HISTORY_QUERY;
    env.history_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "scoring", &env, CCHC__ENVELOPE__BODY_SCORE_HISTORY);
    if (!reply)
        return 1;
    const Cchc__ScoreHistory *h = cchc_decoded_env(reply)->score_history;
    if (cli->json) {
        printf("{\"ward\":");
        cchc_json_string(stdout, h->ward);
        printf(",\"unit\":");
        cchc_json_string(stdout, h->unit);
        printf(",\"unit_name\":");
        cchc_json_string(stdout, h->unit_name);
        printf(",\"total\":%llu,\"changes\":[", (unsigned long long)h->total);
        for (size_t i = 0; i < h->n_changes; i++)
            cli_print_change_json(stdout, h->changes[i], i == 0);
        printf("]}\n");
    } else {
        printf("Lịch sử điểm — %s (%s)\n", h->unit_name ? h->unit_name : "", h->unit ? h->unit : "");
        for (size_t i = 0; i < h->n_changes; i++)
            cli_print_change(stdout, h->changes[i]);
        if (h->total == 0)
            printf("Chưa có thay đổi nào: đơn vị chưa được xếp hạng.\n");
        else if (h->n_changes < h->total)
            printf("%zu thay đổi gần nhất trong tổng số %llu (--limit để xem thêm).\n", h->n_changes,
                   (unsigned long long)h->total);
        else
            printf("%llu thay đổi.\n", (unsigned long long)h->total);
    }
    cchc_decoded_destroy(&reply);
    return 0;
}

int cmd_province(cli_t *cli, int argc, char **argv)
{
    cli_args_t a;
    if (cli_args_parse(argc, argv, NULL, NULL, &a) != 0 || a.npositional > 1) {
        fprintf(stderr, "Cách dùng (usage): cchc province [TỈNH] [--json]\n");
        return 2;
    }
    Cchc__ProvinceQuery q = CCHC__PROVINCE_QUERY__INIT;
    q.province = (char *)(a.npositional ? a.positional[0] : "");
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_PROVINCE_QUERY;
    env.province_query = &q;
    cchc_decoded_t *reply = cli_query(cli, "scoring", &env, CCHC__ENVELOPE__BODY_PROVINCE_RANKING);
    if (!reply)
        return 1;
    if (cli->json)
        cchc_render_province_json(stdout, cchc_decoded_env(reply)->province_ranking);
    else
        cchc_render_province(stdout, cchc_decoded_env(reply)->province_ranking);
    cchc_decoded_destroy(&reply);
    return 0;
}
