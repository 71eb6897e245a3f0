/*  test_notify_ack.c - acknowledgement, silences, leave and the working-day
    calendar through the real services: the small ward (data/small) with
    notify counting escalation delays in working days over the 2026
    holidays file, the updates recorded with the cchc CLI, and the alerts
    read back from notify. Then notify is killed and rebuilt from zero: it
    decides the same alerts, to the same people, with the same words.

    Timeline (09:00 local unless said; T1, T3, T5 are due Saturday 31/01,
    T4 on 28/02):
      01/01  import; P_KT (deputy of KT) registered; H_KT on leave
             25/01-02/02 with P_KT as deputy; T4 silenced until 10/03
      28/01  D-3 reminders: T3's to the head go to P_KT, on H_KT's behalf
      01/02  overdue: T3's to P_KT; P_KT acknowledges T3 (cchc ack)
      07/02  calendar day 7: nothing (working days 02/02-06/02 are 5)
      10/02  07:30 working day 7: T1 escalates (PCT, H_VHXH), T3 does not
             (acknowledged)
      25/02  Tết 14/02-22/02 is not counted: the Chairman has not heard of
             T1 (working day 12)
      27/02  working day 15: the Chairman hears of T1 (not of T3)
      01/03-10/03  T4 silenced: no reminder, no overdue
      11/03  silence over: T4 overdue to H_KT himself (back from leave),
             working day 7 of T4 reached on 10/03 -> level 1 too
      20/03  23:30 (third test) the Chairman for T2, T4, T6: working day 15

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR (paths from CMake).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "clock.h"
#include "harness.h"

#define WARD "T1"

static int g_argc;
static char **g_argv;
static char g_notify_args[2][600];
static const char *g_notify_argv[3];

static int setup(void **state)
{
    static cluster_t c;
    snprintf(g_notify_args[0], sizeof(g_notify_args[0]), "--escalation_days=working");
    snprintf(g_notify_args[1], sizeof(g_notify_args[1]), "--holidays_file=%s/data/calendar/holidays-2026.txt",
             CCHC_SOURCE_DIR);
    g_notify_argv[0] = g_notify_args[0];
    g_notify_argv[1] = g_notify_args[1];
    g_notify_argv[2] = NULL;
    if (cluster_init(&c, g_argc, g_argv) != 0 || cluster_start(&c, SVC_INTAKE, NULL) != 0 ||
        cluster_start(&c, SVC_SCORING, NULL) != 0 || cluster_start(&c, SVC_NOTIFY, g_notify_argv) != 0) {
        cluster_dump_logs(&c);
        cluster_destroy(&c);
        return -1;
    }
    *state = &c;
    return 0;
}

static void advance(cluster_t *c, const char *when)
{
    assert_int_equal(cluster_advance(c, when), 0);
    assert_int_equal(cluster_wait_caught_up(c, WARD, 10000), 0);
}

//  Run the CLI for the ward; the output must say the update was recorded,
//  and what it means (expect).
static void cli_ok(cluster_t *c, const char *args, const char *expect)
{
    char out[4096];
    int rc = cluster_cli(c, out, sizeof(out), "--ward " WARD " %s", args);
    if (rc != 0 || !strstr(out, "Đã ghi nhận") || !strstr(out, expect))
        fail_msg("cchc %s -> %d\n%s", args, rc, out);
    assert_int_equal(cluster_wait_caught_up(c, WARD, 10000), 0);
}

//  Alerts matching task, kind, level (-1: any) and person (NULL: any).
static int count(cluster_t *c, const char *task, Cchc__AlertKind kind, int level, const char *person)
{
    cchc_decoded_t *dec = cluster_alerts(c, WARD);
    assert_non_null(dec);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    int n = 0;
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        if (!strcmp(a->task, task) && a->kind == kind && (level < 0 || a->level == level) &&
            (!person || !strcmp(a->person, person)))
            n++;
    }
    cchc_decoded_destroy(&dec);
    return n;
}

//  The text of the one alert matching, copied into buf.
static const char *text_of(cluster_t *c, const char *task, Cchc__AlertKind kind, int level,
                           const char *person, char *buf, size_t size)
{
    cchc_decoded_t *dec = cluster_alerts(c, WARD);
    assert_non_null(dec);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        if (!strcmp(a->task, task) && a->kind == kind && a->level == level && !strcmp(a->person, person))
            snprintf(buf, size, "%s", a->text);
    }
    cchc_decoded_destroy(&dec);
    assert_true(buf[0]);
    return buf;
}

static const Cchc__AlertKind REM = CCHC__ALERT_KIND__ALERT_REMINDER, OVD = CCHC__ALERT_KIND__ALERT_OVERDUE,
                             ESC = CCHC__ALERT_KIND__ALERT_ESCALATION;

static void test_ack_silence_leave_working_days(void **state)
{
    cluster_t *c = *state;
    char out[4096], text[2048];
    assert_int_equal(cluster_advance(c, "01/01/2026 09:00"), 0);
    assert_int_equal(cluster_cli(c, out, sizeof(out), "import '%s'", g_argv[5]), 0);
    Cchc__OfficialRegistered o = CCHC__OFFICIAL_REGISTERED__INIT;
    o.code = "P_KT";
    o.full_name = "Ngô Văn Phó";
    o.title = "Phó Trưởng phòng";
    o.unit = "KT";
    o.has_role = true;
    o.role = CCHC__OFFICIAL_ROLE__ROLE_DEPUTY;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = WARD;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED;
    ev.official_registered = &o;
    assert_true(cluster_submit(c, &ev, NULL) > 0);
    cli_ok(c, "leave H_KT --from 25/01/2026 --to 02/02/2026 --deputy P_KT --reason 'Nghỉ phép năm'",
           "H_KT nghỉ phép từ ngày 25/01/2026 đến hết ngày 02/02/2026; cảnh báo gửi người thay P_KT.");
    cli_ok(c, "silence T4 --until 10/03/2026 --reason 'Đang trình gia hạn' --approver CT",
           "Tạm ngừng cảnh báo nhiệm vụ T4 đến hết ngày 10/03/2026.");
    //  refused: nothing overdue to acknowledge yet; a bad date
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward " WARD " ack T3 --official H_KT"), 1);
    assert_non_null(strstr(out, "không có cảnh báo để xác nhận"));
    assert_int_equal(
        cluster_cli(c, out, sizeof(out), "--ward " WARD " silence T4 --until 31/02/2026 --reason x"), 2);

    advance(c, "28/01/2026 09:00");
    assert_int_equal(count(c, "T3", REM, 3, "P_KT"), 1);
    assert_int_equal(count(c, "T3", REM, 3, "H_KT"), 0);
    assert_int_equal(count(c, "T3", REM, 3, "S_KT"), 1);
    assert_non_null(strstr(text_of(c, "T3", REM, 3, "P_KT", text, sizeof(text)),
                           "Gửi đồng chí Ngô Văn Phó (Phó Trưởng phòng), thay đồng chí Đỗ Quang Khải (Trưởng "
                           "phòng) nghỉ phép từ ngày 25/01/2026 đến ngày 02/02/2026:"));

    advance(c, "01/02/2026 09:00");
    assert_int_equal(count(c, "T3", OVD, 0, "P_KT"), 1);
    assert_int_equal(count(c, "T1", OVD, 0, "H_VP"), 1);
    cli_ok(c, "ack T3 --official P_KT --unit KT --note 'Đã giao bổ sung nhân lực'",
           "P_KT đã xác nhận cảnh báo quá hạn của nhiệm vụ T3");

    //  what holds alerts back, from notify's API and the CLI
    Cchc__AlertQuery q = CCHC__ALERT_QUERY__INIT;
    q.ward = WARD;
    q.has_holds = q.holds = true;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
    env.alert_query = &q;
    cchc_decoded_t *dec = NULL;
    assert_int_equal(cluster_call(c, SVC_NOTIFY, &env, &dec), 0);
    const Cchc__AlertList *holds = cchc_decoded_env(dec)->alert_list;
    assert_int_equal(holds->n_holds, 3); //  T3 acknowledged, T4 silenced, H_KT on leave
    cchc_decoded_destroy(&dec);
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward " WARD " holds"), 0);
    assert_non_null(
        strstr(out, "Đã xác nhận: nhiệm vụ T3 (KT), P_KT xác nhận cảnh báo quá hạn lúc 01/02/2026 09:00"));
    assert_non_null(
        strstr(out, "Tạm ngừng cảnh báo: nhiệm vụ T4 đến hết ngày 10/03/2026 — Đang trình gia hạn."));
    assert_non_null(strstr(
        out, "Nghỉ phép: H_KT từ ngày 25/01/2026 đến hết ngày 02/02/2026, người thay P_KT — Nghỉ phép năm."));

    advance(c, "07/02/2026 09:00"); //  calendar day 7, working day 5
    assert_int_equal(count(c, "T1", ESC, 1, NULL), 0);
    advance(c, "10/02/2026 07:29");
    assert_int_equal(count(c, "T1", ESC, 1, NULL), 0);
    advance(c, "10/02/2026 07:30"); //  working day 7
    assert_int_equal(count(c, "T1", ESC, 1, "PCT"), 1);
    assert_int_equal(count(c, "T1", ESC, 1, "H_VHXH"), 1);
    assert_non_null(strstr(text_of(c, "T1", ESC, 1, "PCT", text, sizeof(text)), "15 ngày làm việc"));
    assert_int_equal(count(c, "T3", ESC, -1, NULL), 0); //  acknowledged

    advance(c, "25/02/2026 09:00"); //  calendar day 25; Tết not counted: working day 12
    assert_int_equal(count(c, "T1", ESC, 2, NULL), 0);
    advance(c, "27/02/2026 09:00"); //  working day 15
    assert_int_equal(count(c, "T1", ESC, 2, "CT"), 1);
    assert_int_equal(count(c, "T3", ESC, -1, NULL), 0);

    advance(c, "10/03/2026 23:59"); //  T4 silenced through 10/03
    assert_int_equal(count(c, "T4", REM, -1, NULL), 0);
    assert_int_equal(count(c, "T4", OVD, -1, NULL), 0);
    advance(c, "11/03/2026 09:00");
    assert_int_equal(count(c, "T4", OVD, 0, "H_KT"), 1); //  the head is back
    assert_int_equal(count(c, "T4", OVD, 0, "P_KT"), 0);
    assert_int_equal(count(c, "T4", ESC, 1, "PCT"), 1); //  10/03 was working day 7
    assert_int_equal(count(c, "T4", REM, -1, NULL), 0); //  the silenced reminders never come
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward " WARD " holds --json"), 0);
    assert_string_equal(out,
                        "{\"holds\":[{\"kind\":\"ack\",\"task\":\"T3\",\"unit\":\"KT\",\"official\":\"P_KT\","
                        "\"level\":0,\"since\":\"01/02/2026 09:00\"}]}\n"); //  silence and leave are over
}

//  Every alert as "id key person text", in id order.
static char *alerts_dump(cluster_t *c, size_t *n)
{
    cchc_decoded_t *dec = cluster_alerts(c, WARD);
    assert_non_null(dec);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    size_t cap = 1, len = 0;
    for (size_t i = 0; i < l->n_alerts; i++)
        cap += strlen(l->alerts[i]->text) + 256;
    char *out = calloc(1, cap);
    assert_non_null(out);
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        len += (size_t)snprintf(out + len, cap - len, "%llu %s/%s/%d/%d %s %s\n", (unsigned long long)a->id,
                                a->task, a->person, (int)a->kind, a->level, a->person_name, a->text);
    }
    *n = l->n_alerts;
    cchc_decoded_destroy(&dec);
    return out;
}

//  Replay = live with the new events in the log: after kill -9, and from zero.
static void test_rebuild_decides_the_same(void **state)
{
    cluster_t *c = *state;
    size_t n_live, n_kill, n_zero;
    char *live = alerts_dump(c, &n_live);
    assert_true(n_live > 20);
    cluster_kill(c, SVC_NOTIFY);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, g_notify_argv), 0);
    assert_int_equal(cluster_wait_caught_up(c, WARD, 10000), 0);
    char *after_kill = alerts_dump(c, &n_kill);
    assert_int_equal(n_kill, n_live);
    assert_string_equal(after_kill, live);
    assert_int_equal(cluster_stop(c, SVC_NOTIFY), 0);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/notify'", c->dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, g_notify_argv), 0);
    assert_int_equal(cluster_wait_caught_up(c, WARD, 10000), 0);
    char *zero = alerts_dump(c, &n_zero);
    assert_int_equal(n_zero, n_live);
    assert_string_equal(zero, live);
    free(live);
    free(after_kill);
    free(zero);
}

//  Alerts with the given status decided at or after the log time since_ms.
static int count_status(cluster_t *c, const char *status, int64_t since_ms)
{
    cchc_decoded_t *dec = cluster_alerts(c, WARD);
    assert_non_null(dec);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    int n = 0;
    for (size_t i = 0; i < l->n_alerts; i++)
        if (l->alerts[i]->decided_ms >= since_ms && !strcmp(l->alerts[i]->status, status))
            n++;
    cchc_decoded_destroy(&dec);
    return n;
}

//  deliver_outside_hours = no: with working hours that exclude the wall
//  clock's present, alerts are decided but stay pending; with hours that
//  include it (on a working day) they go out. Sending follows the wall
//  clock; deciding the log's (20/03, working day 15 of T2, T4 and T6: the
//  Chairman, once the working time of that day has started).
static void test_delivery_waits_for_working_hours(void **state)
{
    cluster_t *c = *state;
    time_t now = time(NULL);
    struct tm local;
    time_t shifted = now + 7 * 3600; //  Asia/Ho_Chi_Minh
    gmtime_r(&shifted, &local);
    char hold[64], hours_off[64], hours_on[64];
    snprintf(hold, sizeof(hold), "--deliver_outside_hours=no");
    //  a window well away from now, and one around it
    snprintf(hours_off, sizeof(hours_off), "--working_hours=%s",
             local.tm_hour < 12 ? "20:00-23:00" : "02:00-05:00");
    snprintf(hours_on, sizeof(hours_on), "--working_hours=%s",
             local.tm_hour < 1 || local.tm_hour > 22 ? "00:00-24:00" : "00:30-23:30");
    const char *off[] = {g_notify_args[0], g_notify_args[1], hold, hours_off, NULL};
    const char *on[] = {g_notify_args[0], g_notify_args[1], hold, hours_on, NULL};
    assert_int_equal(cluster_stop(c, SVC_NOTIFY), 0);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, off), 0);
    int64_t since = 0;
    assert_int_equal(cchc_time_parse("2026-03-20T00:00:00+07:00", &since), 0);
    advance(c, "20/03/2026 23:30"); //  after the start of either working time (it moves escalations too)
    int decided = count_status(c, "pending", since);
    assert_true(decided > 0);
    harness_sleep_ms(1500);
    assert_int_equal(count_status(c, "pending", since), decided);
    assert_int_equal(count_status(c, "sent", since), 0);
    int32_t today = cchc_date_of_ms((int64_t)now * 1000);
    cchc_calendar_t *cal = cchc_calendar_new();
    char err[256];
    assert_int_equal(
        cchc_calendar_load(cal, CCHC_SOURCE_DIR "/data/calendar/holidays-2026.txt", err, sizeof(err)), 0);
    bool working = cchc_calendar_working_day(cal, today);
    cchc_calendar_destroy(&cal);
    assert_int_equal(cluster_stop(c, SVC_NOTIFY), 0);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, on), 0);
    if (!working) {
        fprintf(stderr, "test_delivery_waits_for_working_hours: today is a day off, sending not checked\n");
        return;
    }
    int64_t until = harness_mono_ms() + 10000;
    while (count_status(c, "sent", since) < decided && harness_mono_ms() < until)
        harness_sleep_ms(100);
    assert_int_equal(count_status(c, "sent", since), decided);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    if (argc < 6) {
        fprintf(stderr, "usage: %s INTAKE SCORING NOTIFY CLI DATA_DIR\n", argv[0]);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_silence_leave_working_days),
        cmocka_unit_test(test_rebuild_decides_the_same),
        cmocka_unit_test(test_delivery_waits_for_working_hours),
    };
    return cmocka_run_group_tests(tests, setup, harness_group_teardown);
}
