/*  main.c - cchc, the command-line client of ward officials and operators:
    global options, then one command.

        cchc [--intake EP] [--scoring EP] [--notify EP] [--ward CODE]
             [--json] [--timeout MS] COMMAND [arguments]

    Endpoints default to CCHC_INTAKE, CCHC_SCORING, CCHC_NOTIFY or
    tcp://127.0.0.1:5570 / 5580 / 5590; the ward to CCHC_WARD or "LTN".
    Output for people is Vietnamese; --json (before or after the command)
    prints one JSON object, documented at the top of render.c. Exit status:
    0 done, 1 refused or failed, 2 usage error.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

static void usage(FILE *f)
{
    fprintf(f,
            "cchc — theo dõi nhiệm vụ cải cách hành chính, xếp hạng thi đua, cảnh báo\n"
            "       (administrative-reform tasks, emulation ranking, alerts)\n\n"
            "Cách dùng: cchc [--intake EP] [--scoring EP] [--notify EP] [--ward MÃ] [--json] [--timeout MS]\n"
            "                LỆNH [tham số]\n\n"
            "Lệnh (commands):\n"
            "  import DIR                 nhập kế hoạch từ ward.csv, officials.csv, areas.csv, units.csv,\n"
            "                             tasks.csv (import the plan)\n"
            "  progress TASK --unit U --percent P [--outputs N] [--note ..] [--evidence ..]\n"
            "                             báo cáo tiến độ (progress report)\n"
            "  submit-done TASK --unit U [--note ..] [--evidence ..]\n"
            "                             đề nghị xác nhận hoàn thành (submit for verification)\n"
            "  verify TASK --pass|--fail --reviewer MÃ [--comment ..]\n"
            "                             kết quả kiểm tra (verification)\n"
            "  deadline TASK --date dd/mm/yyyy --reason .. [--objective] --approver MÃ\n"
            "                             điều chỉnh thời hạn (deadline change)\n"
            "  pause TASK [--reason ..] | resume TASK | cancel TASK [--reason ..]\n"
            "  adjust UNIT [--bonus X.YY] [--penalty X.YY] --reason ..\n"
            "                             điểm thưởng, điểm trừ (bonus, penalty)\n"
            "  appraise UNIT --score X.YY --appraiser MÃ [--comment ..]\n"
            "                             điểm thẩm định (appraised score)\n"
            "  ack TASK --official MÃ [--level 0|1|2] [--unit U] [--note ..]\n"
            "                             xác nhận đã nhận cảnh báo, dừng báo cáo vượt cấp\n"
            "                             (acknowledge an alert: stops its escalation)\n"
            "  silence TASK|UNIT --until dd/mm/yyyy --reason .. [--whole-unit] [--approver MÃ]\n"
            "                             tạm ngừng cảnh báo đến hết ngày (silence alerts until a date)\n"
            "  holds                      xác nhận, tạm ngừng, nghỉ phép đang có hiệu lực\n"
            "                             (acknowledgements, silences, leaves in force)\n"
            "  leave MÃ_CÁN_BỘ --from dd/mm/yyyy --to dd/mm/yyyy [--deputy MÃ] [--reason ..]\n"
            "                             nghỉ phép: cảnh báo chuyển người thay (leave: alerts go to the "
            "deputy)\n"
            "  ranking [--month 1..12 | --quarter 1..4 | --as-of \"dd/mm/yyyy[ HH:MM]\"]\n"
            "                             bảng xếp hạng của phường: cả năm, theo tháng, theo quý,\n"
            "                             hoặc tại một thời điểm (the ward's ranking by period)\n"
            "  history UNIT [--limit N]   lịch sử điểm, hạng, xếp loại của đơn vị (score history)\n"
            "  province [TỈNH]            xếp hạng các phường của tỉnh (the province view)\n"
            "  explain UNIT               giải thích điểm của đơn vị (why a unit has its score)\n"
            "  alerts [--limit N]         cảnh báo, mới nhất trước (alerts, newest first)\n"
            "  changes [--ward MÃ] [--from SỐ]\n"
            "                             thay đổi điểm, hạng, xếp loại (scoring's output log)\n"
            "  dead-letters [--json] | dead-letters replay MÃ_SỐ... | --all\n"
            "                             cảnh báo gửi thất bại, gửi lại với cùng mã thông báo\n"
            "                             (dead letters, replay with the same dedupe token)\n"
            "  clock status | clock advance --to \"dd/mm/yyyy[ HH:MM]\"\n"
            "                             đồng hồ của nhật ký (the log's clock)\n"
            "  simulate DIR [--seed N] [--quiet]\n"
            "                             mô phỏng năm 2026 cho buổi trình diễn (play the demo year)\n\n"
            "Địa chỉ mặc định (defaults): CCHC_INTAKE, CCHC_SCORING, CCHC_NOTIFY hoặc\n"
            "tcp://127.0.0.1:5570, :5580, :5590; phường: CCHC_WARD hoặc LTN; --timeout 5000 ms.\n");
}

int main(int argc, char **argv)
{
    cli_t cli = {0};
    cli.intake_ep = getenv("CCHC_INTAKE") ? getenv("CCHC_INTAKE") : "tcp://127.0.0.1:5570";
    cli.scoring_ep = getenv("CCHC_SCORING") ? getenv("CCHC_SCORING") : "tcp://127.0.0.1:5580";
    cli.notify_ep = getenv("CCHC_NOTIFY") ? getenv("CCHC_NOTIFY") : "tcp://127.0.0.1:5590";
    cli.ward = getenv("CCHC_WARD") && *getenv("CCHC_WARD") ? getenv("CCHC_WARD") : "LTN";
    cli.timeout_ms = 5000;

    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i] + 2;
        if (!strcmp(o, "json")) {
            cli.json = true;
            continue;
        }
        if (!strcmp(o, "help")) {
            usage(stdout);
            return 0;
        }
        if (strcmp(o, "intake") && strcmp(o, "scoring") && strcmp(o, "notify") && strcmp(o, "ward") &&
            strcmp(o, "timeout")) {
            fprintf(stderr, "Tùy chọn không rõ: --%s (unknown option; see cchc --help).\n", o);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "Thiếu giá trị cho --%s (option needs a value).\n", o);
            return 2;
        }
        const char *v = argv[++i];
        long ms;
        if (!strcmp(o, "intake"))
            cli.intake_ep = v;
        else if (!strcmp(o, "scoring"))
            cli.scoring_ep = v;
        else if (!strcmp(o, "notify"))
            cli.notify_ep = v;
        else if (!strcmp(o, "ward"))
            cli.ward = v;
        else if (cli_parse_int(v, 1, 3600 * 1000, &ms) == 0)
            cli.timeout_ms = (int)ms;
        else {
            fprintf(stderr, "--timeout cần số mili giây dương: %s (milliseconds).\n", v);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    if (!strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    int sub_argc = argc - i - 1;
    char **sub_argv = argv + i + 1;
    for (int k = 0; k < sub_argc; k++) //  --json may also follow the command
        if (!strcmp(sub_argv[k], "--json"))
            cli.json = true;

    int (*run)(cli_t *, int, char **) = !strcmp(cmd, "import")         ? cmd_import
                                        : !strcmp(cmd, "simulate")     ? cmd_simulate
                                        : !strcmp(cmd, "ranking")      ? cmd_ranking
                                        : !strcmp(cmd, "explain")      ? cmd_explain
                                        : !strcmp(cmd, "alerts")       ? cmd_alerts
                                        : !strcmp(cmd, "holds")        ? cmd_holds
                                        : !strcmp(cmd, "clock")        ? cmd_clock
                                        : !strcmp(cmd, "changes")      ? cmd_changes
                                        : !strcmp(cmd, "history")      ? cmd_history
                                        : !strcmp(cmd, "province")     ? cmd_province
                                        : !strcmp(cmd, "dead-letters") ? cmd_dead_letters
                                                                       : NULL;
    if (!run && !cmd_is_update(cmd)) {
        fprintf(stderr, "Lệnh không rõ: %s (unknown command; see cchc --help).\n", cmd);
        return 2;
    }
    cli.zctx = zmq_ctx_new();
    if (!cli.zctx) {
        fprintf(stderr, "Không khởi tạo được ZeroMQ (zmq_ctx_new failed).\n");
        return 1;
    }
    int rc = run ? run(&cli, sub_argc, sub_argv) : cmd_update(&cli, cmd, sub_argc, sub_argv);
    cli_close(&cli);
    zmq_ctx_term(cli.zctx);
    return rc;
}
