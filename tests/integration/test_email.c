/*  test_email.c - notify's e-mail channel against a real SMTP server on
    loopback (Debian's python3-aiosmtpd with smtp_capture.py, which writes
    every message received, decoded by Python's email package).

    1. The small ward's January: every alert decided is mailed once, to the
       recipient official's registered address, with the subject decoded back
       to the exact Vietnamese text, the alert's text in the body, a +0700
       Date, and a Message-ID derived from the alert's token.
    2. With the server down, the alerts of the rest of the quarter stay
       pending and their failed attempts are counted; once it is back the
       retry timer delivers each of them once.
    3. A crash between sending and recording "sent" (simulated by putting a
       sent row back to pending while notify is stopped) delivers the alert
       again after the restart with the same Message-ID.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR SMTP_CAPTURE_PY.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "scenario.h"

static int g_argc;
static char **g_argv;

typedef struct {
    cluster_t c;
    int smtp_port;
    pid_t smtp_pid;
    char mail_dir[2][320]; //  the server's first and second run
    char smtp_arg[8][128];
    const char *notify_args[16];
} fixture_t;

static fixture_t g_f;

//  The small ward's officials (tests/integration/data/small/officials.csv).
static const char *const ADDRESSES[][2] = {{"CT", "ct@test.example.vn"},     {"PCT", "pct@test.example.vn"},
                                           {"H_VP", "hvp@test.example.vn"},  {"S_VP", "svp@test.example.vn"},
                                           {"H_KT", "hkt@test.example.vn"},  {"S_KT", "skt@test.example.vn"},
                                           {"H_VHXH", "hvh@test.example.vn"}};

static const char *address_of(const char *person)
{
    for (size_t i = 0; i < sizeof(ADDRESSES) / sizeof(ADDRESSES[0]); i++)
        if (!strcmp(ADDRESSES[i][0], person))
            return ADDRESSES[i][1];
    fail_msg("no address for %s", person);
    return NULL;
}

//  Start aiosmtpd capturing into dir. Returns 0 once it accepts connections.
static int smtp_start(fixture_t *f, const char *dir)
{
    char script[512], listen[64], log_path[400];
    snprintf(script, sizeof(script), "%s", g_argv[6]);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->smtp_port);
    snprintf(log_path, sizeof(log_path), "%s/smtp.log", f->c.dir);
    const char *args[] = {"-m", "aiosmtpd", "-n", "-l", listen, "-c", "smtp_capture.Capture", dir, NULL};
    f->smtp_pid = harness_python_start(args, dirname(script), log_path, f->smtp_port);
    if (f->smtp_pid < 0) {
        f->smtp_pid = 0;
        fprintf(stderr, "test_email: no SMTP server; is python3-aiosmtpd installed?\n");
        return -1;
    }
    return 0;
}

static void smtp_stop(fixture_t *f)
{
    harness_helper_stop(&f->smtp_pid);
}

static int notify_start(fixture_t *f)
{
    return cluster_start(&f->c, SVC_NOTIFY, f->notify_args);
}

static int setup(void **state)
{
    fixture_t *f = &g_f;
    if (cluster_init(&f->c, g_argc, g_argv) != 0)
        return -1;
    if (snprintf(f->mail_dir[0], sizeof(f->mail_dir[0]), "%s/mail1", f->c.dir) >=
            (int)sizeof(f->mail_dir[0]) ||
        snprintf(f->mail_dir[1], sizeof(f->mail_dir[1]), "%s/mail2", f->c.dir) >= (int)sizeof(f->mail_dir[1]))
        return -1;
    f->smtp_port = harness_free_port();
    snprintf(f->smtp_arg[0], sizeof(f->smtp_arg[0]), "--smtp_url=smtp://127.0.0.1:%d", f->smtp_port);
    const char *args[] = {f->smtp_arg[0],
                          "--channels=email,file",
                          "--smtp_from=cchc@test.example.vn",
                          "--smtp_from_name=Văn phòng HĐND và UBND phường",
                          "--smtp_timeout_ms=3000",
                          "--retry_ms=300",
                          "--retry_max_ms=600", //  backoff bounded: the wait below stays short
                          NULL};
    memcpy(f->notify_args, args, sizeof(args));
    if (f->smtp_port <= 0 || smtp_start(f, f->mail_dir[0]) != 0 ||
        cluster_start(&f->c, SVC_INTAKE, NULL) != 0 || cluster_start(&f->c, SVC_SCORING, NULL) != 0 ||
        notify_start(f) != 0) {
        cluster_dump_logs(&f->c);
        smtp_stop(f);
        cluster_destroy(&f->c);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (!f)
        return 0; //  setup failed and cleaned up
    int rc = cluster_stop_all(&f->c);
    smtp_stop(f);
    cluster_destroy(&f->c);
    return rc;
}

// ---------------------------------------------------------------------------
//  Captured mail

//  The value of field name (before the body), copied into out.
//  A captured mail: "name: value" lines, a blank line, the body.
static const char *mail_field(const char *mail, const char *name, char *out, size_t size)
{
    if (!harness_captured_field(mail, name, out, size))
        fail_msg("no field %s (or longer than %zu bytes) in:\n%s", name, size - 1, mail);
    return out;
}

static const char *mail_body(const char *mail)
{
    const char *b = strstr(mail, "\n\n");
    assert_non_null(b);
    return b + 2;
}

//  "<cchc.T1.T3.H_KT.1.0@test.example.vn>" for "T1/T3/H_KT/1/0" (the small
//  ward's codes are letters, digits and '_').
static void expected_message_id(const char *key, char *out, size_t size)
{
    char dotted[256];
    snprintf(dotted, sizeof(dotted), "%s", key);
    for (char *p = dotted; *p; p++)
        if (*p == '/')
            *p = '.';
    assert_true(snprintf(out, size, "<cchc.%s@test.example.vn>", dotted) < (int)size);
}

//  How many messages in box carry message_id.
static int count_id(const captured_t *box, const char *message_id)
{
    int n = 0;
    char v[256];
    for (size_t i = 0; i < box->n; i++)
        if (!strcmp(mail_field(box->text[i], "message_id", v, sizeof(v)), message_id))
            n++;
    return n;
}

static const char *find_id(const captured_t *box, const char *message_id)
{
    char v[256];
    for (size_t i = 0; i < box->n; i++)
        if (!strcmp(mail_field(box->text[i], "message_id", v, sizeof(v)), message_id))
            return box->text[i];
    fail_msg("no message %s", message_id);
    return NULL;
}

// ---------------------------------------------------------------------------
//  Notify's side

//  The ward's alerts once every one is sent (waits up to timeout_ms), or fail.
static cchc_decoded_t *alerts_all_sent(cluster_t *c, int timeout_ms)
{
    for (int64_t deadline = harness_mono_ms() + timeout_ms;; harness_sleep_ms(100)) {
        cchc_decoded_t *dec = cluster_alerts(c, SCENARIO_WARD);
        assert_non_null(dec);
        const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
        size_t sent = 0;
        for (size_t i = 0; i < l->n_alerts; i++)
            sent += !strcmp(l->alerts[i]->status, "sent");
        if (l->n_alerts > 0 && sent == l->n_alerts)
            return dec;
        cchc_decoded_destroy(&dec);
        if (harness_mono_ms() > deadline) {
            cluster_dump_logs(c);
            fail_msg("alerts not all sent after %d ms (%zu of %zu)", timeout_ms, sent, l->n_alerts);
        }
    }
}

static int64_t db_int(cluster_t *c, const char *sql)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/notify/notify.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

//  Check the message of alert a: envelope, headers decoded, body, Date.
static void check_mail(const char *m, const Cchc__Alert *a, const char *key)
{
    char v[2048], id[256];
    expected_message_id(key, id, sizeof(id));
    assert_string_equal(mail_field(m, "message_id", v, sizeof(v)), id);
    assert_string_equal(mail_field(m, "token", v, sizeof(v)), key);
    assert_string_equal(mail_field(m, "mail_from", v, sizeof(v)), "cchc@test.example.vn");
    assert_string_equal(mail_field(m, "rcpt_to", v, sizeof(v)), address_of(a->person));
    assert_string_equal(mail_field(m, "to_addr", v, sizeof(v)), address_of(a->person));
    assert_string_equal(mail_field(m, "to_name", v, sizeof(v)), a->person_name);
    assert_string_equal(mail_field(m, "from", v, sizeof(v)),
                        "Văn phòng HĐND và UBND phường <cchc@test.example.vn>");
    assert_string_equal(mail_field(m, "content_type", v, sizeof(v)), "text/plain");
    assert_string_equal(mail_field(m, "charset", v, sizeof(v)), "utf-8");
    assert_string_equal(mail_field(m, "defects", v, sizeof(v)), "0");
    //  the subject is "[CCHC] " and the first sentence of the alert's text
    mail_field(m, "subject", v, sizeof(v));
    assert_memory_equal(v, "[CCHC] ", 7);
    assert_true(strlen(v) > 30);
    size_t len = strlen(v + 7);
    if (len > 3 && !strcmp(v + 7 + len - 3, "…")) { //  a long sentence, cut at a character
        assert_memory_equal(a->text, v + 7, len - 3);
    } else {
        assert_memory_equal(a->text, v + 7, len);
        assert_memory_equal(a->text + len, ". ", 2);
    }
    //  the body holds the whole text and the particulars, dates dd/mm/yyyy
    const char *body = mail_body(m);
    assert_non_null(strstr(body, a->text));
    char line[512], due[16];
    snprintf(line, sizeof(line), "Kính gửi đồng chí %s,\n", a->person_name);
    assert_memory_equal(body, line, strlen(line));
    snprintf(line, sizeof(line), "\nHạn: %s\n", cchc_date_format(a->due_date, due, sizeof(due)));
    assert_non_null(strstr(body, line));
    snprintf(line, sizeof(line), "\nMã thông báo: %s\n", key);
    assert_non_null(strstr(body, line));
    //  Date: RFC 5322 in +0700, at the time of sending
    mail_field(m, "date", v, sizeof(v));
    assert_non_null(strstr(v, " +0700"));
    mail_field(m, "date_iso", v, sizeof(v));
    assert_non_null(strstr(v, "+07:00"));
    int64_t sent_ms = 0;
    assert_int_equal(cchc_time_parse(v, &sent_ms), 0);
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    assert_true(sent_ms > now_ms - 300000 && sent_ms <= now_ms + 1000);
}

static void alert_key(const Cchc__Alert *a, char *out, size_t size)
{
    snprintf(out, size, "%s/%s/%s/%d/%d", a->ward, a->task, a->person, (int)a->kind, a->level);
}

// ---------------------------------------------------------------------------
//  Tests

static void test_every_alert_is_mailed_once(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(scenario_play(&f->c, g_argv[5], NULL, "05/02"), 0);
    cchc_decoded_t *dec = alerts_all_sent(&f->c, 20000);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    assert_true(l->n_alerts >= 5);
    captured_t box = harness_captured(f->mail_dir[0]);
    assert_int_equal(box.n, l->n_alerts);
    bool saw_overdue = false;
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        char key[256], id[256];
        alert_key(a, key, sizeof(key));
        expected_message_id(key, id, sizeof(id));
        assert_int_equal(count_id(&box, id), 1);
        check_mail(find_id(&box, id), a, key);
        if (a->kind == CCHC__ALERT_KIND__ALERT_OVERDUE && !strcmp(a->task, "T3")) {
            //  one subject in full, as the head of KT reads it
            char v[1024];
            mail_field(find_id(&box, id), "subject", v, sizeof(v));
            assert_string_equal(v,
                                "[CCHC] Quá hạn: nhiệm vụ T3 «Rà soát, đơn giản hóa TTHC» (Phòng Kinh tế, Hạ "
                                "tầng và Đô thị) đã quá hạn 5 ngày (hạn 31/01/2026), chưa hoàn thành");
            assert_string_equal(a->person, "H_KT");
            saw_overdue = true;
        }
    }
    assert_true(saw_overdue);
    harness_captured_free(&box);
    cchc_decoded_destroy(&dec);
}

static void test_server_down_then_back(void **state)
{
    fixture_t *f = *state;
    cchc_decoded_t *dec = cluster_alerts(&f->c, SCENARIO_WARD);
    size_t before = cchc_decoded_env(dec)->alert_list->n_alerts;
    cchc_decoded_destroy(&dec);

    smtp_stop(f);
    assert_int_equal(scenario_play(&f->c, g_argv[5], "05/02", NULL), 0);
    //  the new alerts stay pending, their failed attempts counted
    for (int64_t deadline = harness_mono_ms() + 10000;; harness_sleep_ms(100)) {
        if (db_int(&f->c, "SELECT count(*) FROM outbox WHERE status = 'pending' AND attempts >= 2") > 0)
            break;
        assert_true(harness_mono_ms() < deadline);
    }
    int64_t pending = db_int(&f->c, "SELECT count(*) FROM outbox WHERE status = 'pending'");
    assert_true(pending > 0);

    assert_int_equal(smtp_start(f, f->mail_dir[1]), 0);
    dec = alerts_all_sent(&f->c, 20000);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    assert_int_equal(l->n_alerts, before + (size_t)pending);
    captured_t first = harness_captured(f->mail_dir[0]);
    captured_t second = harness_captured(f->mail_dir[1]);
    assert_int_equal(first.n, before);
    assert_int_equal(second.n, (size_t)pending);
    for (size_t i = 0; i < l->n_alerts; i++) { //  each alert once, in one of the two runs
        char key[256], id[256];
        alert_key(l->alerts[i], key, sizeof(key));
        expected_message_id(key, id, sizeof(id));
        assert_int_equal(count_id(&first, id) + count_id(&second, id), 1);
        if (count_id(&second, id))
            check_mail(find_id(&second, id), l->alerts[i], key);
    }
    harness_captured_free(&first);
    harness_captured_free(&second);
    cchc_decoded_destroy(&dec);
}

static void test_redelivery_keeps_the_message_id(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(cluster_stop(&f->c, SVC_NOTIFY), 0);
    //  as if notify died after the server took the message but before the
    //  "sent" record committed
    int64_t id = db_int(&f->c, "SELECT min(id) FROM outbox");
    char sql[200];
    snprintf(sql, sizeof(sql), "UPDATE outbox SET status = 'pending', sent_ms = NULL WHERE id = %lld",
             (long long)id);
    db_int(&f->c, sql);
    //  the channels' own records are written in the same transaction: gone too
    snprintf(sql, sizeof(sql), "DELETE FROM delivery WHERE alert_id = %lld", (long long)id);
    db_int(&f->c, sql);
    captured_t box = harness_captured(f->mail_dir[1]);
    size_t had = box.n;
    harness_captured_free(&box);

    assert_int_equal(notify_start(f), 0);
    cchc_decoded_t *dec = alerts_all_sent(&f->c, 20000);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    const Cchc__Alert *a = NULL;
    for (size_t i = 0; i < l->n_alerts; i++)
        if ((int64_t)l->alerts[i]->id == id)
            a = l->alerts[i];
    assert_non_null(a);
    char key[256], message_id[256];
    alert_key(a, key, sizeof(key));
    expected_message_id(key, message_id, sizeof(message_id));
    box = harness_captured(f->mail_dir[1]);
    assert_int_equal(box.n, had + 1); //  that alert again, nothing else
    char v[256];
    assert_string_equal(mail_field(box.text[box.n - 1], "message_id", v, sizeof(v)), message_id);
    check_mail(box.text[box.n - 1], a, key);
    captured_t first = harness_captured(f->mail_dir[0]);
    assert_int_equal(count_id(&first, message_id), 1); //  the first delivery had the same id
    harness_captured_free(&first);
    harness_captured_free(&box);
    cchc_decoded_destroy(&dec);
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: %s INTAKE SCORING NOTIFY CLI DATA_DIR SMTP_CAPTURE_PY\n", argv[0]);
        return 2;
    }
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_alert_is_mailed_once),
        cmocka_unit_test(test_server_down_then_back),
        cmocka_unit_test(test_redelivery_keeps_the_message_id),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
