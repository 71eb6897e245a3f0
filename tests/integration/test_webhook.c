/*  test_webhook.c - notify's HTTP channels (generic webhook and Zalo OA)
    against a real HTTP receiver on loopback (http_capture.py, which records
    every request with its headers and its JSON body as Python reads it),
    with retries, backoff, dead letters and their replay.

    notify runs with channels "webhook,zalo": every alert is POSTed to the
    webhook, and those of officials with a Zalo user id (H_KT, CT in the
    users file) also to Zalo. Retry: 200 ms first, factor 2, at most 2 s,
    4 attempts.

    1. The receiver fails its first 3 requests: every alert still reaches
       each of its channels exactly once (one 2xx per channel and token),
       every request carries the token in X-Request-Id and Idempotency-Key,
       the generic body and the Zalo body hold exactly the expected fields.
    2. A receiver that always fails: the new alerts end in the dead-letter
       list after 4 attempts, the delays between attempts grow as the policy
       says (next_attempt_ms - last_attempt_ms in the delivery table), and
       `cchc dead-letters` lists them (text and --json).
    3. The receiver recovers; `cchc dead-letters replay --all` delivers each
       once with the same request id as before; the list is then empty.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR HTTP_CAPTURE_PY.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

#define WEBHOOK_TOKEN "webhook-secret-123"
#define ZALO_TOKEN    "zalo-oa-access-token-456"

typedef struct {
    cluster_t c;
    int port;
    pid_t http_pid;
    char dir[3][320]; //  the receiver's three runs
    char arg[8][400];
    const char *notify_args[16];
} fixture_t;

static fixture_t g_f;

//  Start the receiver recording into dir; mode: NULL, "--fail-first", "--fail-always".
static int http_start(fixture_t *f, const char *dir, const char *mode, const char *count)
{
    char port[16], log_path[400];
    snprintf(port, sizeof(port), "%d", f->port);
    snprintf(log_path, sizeof(log_path), "%s/http.log", f->c.dir);
    const char *args[] = {g_argv[6], port, dir, mode, count, NULL};
    f->http_pid = harness_python_start(args, NULL, log_path, f->port);
    if (f->http_pid < 0) {
        f->http_pid = 0;
        return -1;
    }
    return 0;
}

static void http_stop(fixture_t *f)
{
    harness_helper_stop(&f->http_pid);
}

static int write_file(const char *path, const char *text)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return -1;
    fputs(text, out);
    return fclose(out);
}

static int setup(void **state)
{
    fixture_t *f = &g_f;
    if (cluster_init(&f->c, g_argc, g_argv) != 0)
        return -1;
#define FIT(buf, ...) (snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))
    for (int i = 0; i < 3; i++)
        if (!FIT(f->dir[i], "%s/http%d", f->c.dir, i + 1))
            return -1;
    f->port = harness_free_port();
    char path[3][360];
    if (!FIT(path[0], "%s/webhook-token", f->c.dir) || !FIT(path[1], "%s/zalo-token", f->c.dir) ||
        !FIT(path[2], "%s/zalo-users", f->c.dir))
        return -1;
    if (write_file(path[0], WEBHOOK_TOKEN "\n") != 0 || write_file(path[1], ZALO_TOKEN "\n") != 0 ||
        write_file(path[2], "# người nhận qua Zalo\nT1/H_KT = 5551234567890\nCT = 5550000000001\n") != 0)
        return -1;
    snprintf(f->arg[0], sizeof(f->arg[0]), "--webhook_url=http://127.0.0.1:%d/hook", f->port);
    snprintf(f->arg[1], sizeof(f->arg[1]), "--zalo_url=http://127.0.0.1:%d/zalo", f->port);
    if (!FIT(f->arg[2], "--webhook_token_file=%s", path[0]) ||
        !FIT(f->arg[3], "--zalo_token_file=%s", path[1]) || !FIT(f->arg[4], "--zalo_users_file=%s", path[2]))
        return -1;
    const char *args[] = {f->arg[0],
                          f->arg[1],
                          f->arg[2],
                          f->arg[3],
                          f->arg[4],
                          "--channels=webhook,zalo",
                          "--retry_ms=200",
                          "--retry_max_ms=2000",
                          "--retry_factor=2",
                          "--max_attempts=4",
                          "--fallback_after=2",
                          "--http_timeout_ms=3000",
                          NULL};
    memcpy(f->notify_args, args, sizeof(args));
    if (f->port <= 0 || http_start(f, f->dir[0], "--fail-first", "3") != 0 ||
        cluster_start(&f->c, SVC_INTAKE, NULL) != 0 || cluster_start(&f->c, SVC_SCORING, NULL) != 0 ||
        cluster_start(&f->c, SVC_NOTIFY, f->notify_args) != 0) {
        cluster_dump_logs(&f->c);
        http_stop(f);
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
        return 0;
    int rc = cluster_stop_all(&f->c);
    http_stop(f);
    cluster_destroy(&f->c);
    return rc;
}

// ---------------------------------------------------------------------------
//  Captured requests

static bool is(const char *text, const char *name, const char *value)
{
    char v[2048];
    return harness_captured_field(text, name, v, sizeof(v)) && !strcmp(v, value);
}

//  Requests to path carrying request id key: how many in all, how many 200.
static void count_requests(const captured_t *box, const char *path, const char *key, int *all, int *ok)
{
    *all = *ok = 0;
    for (size_t i = 0; i < box->n; i++)
        if (is(box->text[i], "path", path) && is(box->text[i], "h.x-request-id", key)) {
            (*all)++;
            *ok += is(box->text[i], "status", "200");
        }
}

static const char *find_ok(const captured_t *box, const char *path, const char *key)
{
    for (size_t i = 0; i < box->n; i++)
        if (is(box->text[i], "path", path) && is(box->text[i], "h.x-request-id", key) &&
            is(box->text[i], "status", "200"))
            return box->text[i];
    fail_msg("no delivered request %s %s", path, key);
    return NULL;
}

static void alert_key(const Cchc__Alert *a, char *out, size_t size)
{
    snprintf(out, size, "%s/%s/%s/%d/%d", a->ward, a->task, a->person, (int)a->kind, a->level);
}

static const char *zalo_id_of(const char *person)
{
    return !strcmp(person, "H_KT") ? "5551234567890" : !strcmp(person, "CT") ? "5550000000001" : NULL;
}

static const char *kind_name(Cchc__AlertKind k)
{
    static const char *const names[] = {"reminder", "overdue", "escalation", "resolved"};
    return names[k];
}

static void check_webhook(const char *r, const Cchc__Alert *a, const char *key)
{
    char v[2048], due[16], n[32];
    assert_true(is(r, "method", "POST"));
    assert_true(is(r, "h.content-type", "application/json; charset=utf-8"));
    assert_true(is(r, "h.idempotency-key", key));
    assert_true(is(r, "h.authorization", "Bearer " WEBHOOK_TOKEN));
    assert_null(harness_captured_field(r, "h.access_token", v, sizeof(v)));
    assert_string_equal(
        harness_captured_field(r, "keys", v, sizeof(v)),
        "id,token,kind,kind_vi,level,ward,task,unit,person,person_name,due,days_overdue,decided,"
        "text");
    snprintf(n, sizeof(n), "%llu", (unsigned long long)a->id);
    assert_true(is(r, "j.id", n));
    assert_true(is(r, "j.token", key));
    assert_true(is(r, "j.kind", kind_name(a->kind)));
    snprintf(n, sizeof(n), "%d", a->level);
    assert_true(is(r, "j.level", n));
    assert_true(is(r, "j.ward", a->ward));
    assert_true(is(r, "j.task", a->task));
    assert_true(is(r, "j.unit", a->unit));
    assert_true(is(r, "j.person", a->person));
    assert_true(is(r, "j.person_name", a->person_name));
    assert_true(is(r, "j.due", cchc_date_format(a->due_date, due, sizeof(due))));
    snprintf(n, sizeof(n), "%d", a->days_overdue);
    assert_true(is(r, "j.days_overdue", n));
    assert_true(is(r, "j.text", a->text));
    if (a->kind == CCHC__ALERT_KIND__ALERT_OVERDUE)
        assert_true(is(r, "j.kind_vi", "Quá hạn"));
}

static void check_zalo(const char *r, const Cchc__Alert *a, const char *key)
{
    char v[2048];
    assert_true(is(r, "method", "POST"));
    assert_true(is(r, "h.idempotency-key", key));
    assert_true(is(r, "h.access_token", ZALO_TOKEN));
    assert_null(harness_captured_field(r, "h.authorization", v, sizeof(v)));
    assert_string_equal(harness_captured_field(r, "keys", v, sizeof(v)), "recipient,message");
    assert_true(is(r, "j.recipient.user_id", zalo_id_of(a->person)));
    assert_true(is(r, "j.message.text", a->text));
    //  nothing else in the body
    int fields = 0;
    for (const char *p = r; (p = strstr(p, "\nj.")); p++)
        fields++;
    assert_int_equal(fields, 2);
}

// ---------------------------------------------------------------------------
//  Notify's side

static cchc_decoded_t *alerts_settled(cluster_t *c, const char *status, int timeout_ms)
{
    for (int64_t deadline = harness_mono_ms() + timeout_ms;; harness_sleep_ms(50)) {
        cchc_decoded_t *dec = cluster_alerts(c, SCENARIO_WARD);
        assert_non_null(dec);
        const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
        size_t pending = 0;
        for (size_t i = 0; i < l->n_alerts; i++)
            pending += !strcmp(l->alerts[i]->status, "pending");
        if (l->n_alerts > 0 && pending == 0 && (!status || strcmp(l->alerts[0]->status, "pending")))
            return dec;
        cchc_decoded_destroy(&dec);
        if (harness_mono_ms() > deadline) {
            cluster_dump_logs(c);
            fail_msg("alerts still pending after %d ms (%zu)", timeout_ms, pending);
        }
    }
}

static sqlite3 *db_open(cluster_t *c)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/notify/notify.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t db_int(cluster_t *c, const char *sql)
{
    sqlite3 *db = db_open(c);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

// ---------------------------------------------------------------------------
//  Tests

static void test_each_alert_once_per_channel_despite_failures(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(scenario_play(&f->c, g_argv[5], NULL, "05/02"), 0);
    cchc_decoded_t *dec = alerts_settled(&f->c, "sent", 20000);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    assert_true(l->n_alerts >= 5);
    captured_t box = harness_captured(f->dir[0]);
    int failed = 0, zalo = 0, repeats = 0;
    for (size_t i = 0; i < box.n; i++)
        failed += is(box.text[i], "status", "500");
    assert_int_equal(failed, 3); //  the receiver's first three
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        assert_string_equal(a->status, "sent");
        char key[256];
        alert_key(a, key, sizeof(key));
        int all, ok;
        count_requests(&box, "/hook", key, &all, &ok);
        assert_int_equal(ok, 1); //  once, however many tries it took
        repeats += all - 1;
        check_webhook(find_ok(&box, "/hook", key), a, key);
        count_requests(&box, "/zalo", key, &all, &ok);
        if (zalo_id_of(a->person)) {
            assert_int_equal(ok, 1);
            repeats += all - 1;
            check_zalo(find_ok(&box, "/zalo", key), a, key);
            zalo++;
        } else {
            assert_int_equal(all, 0); //  no Zalo id: not sent there
        }
    }
    assert_true(zalo > 0);
    assert_int_equal(repeats, 3); //  each failure was a try of a token that later went through
    assert_int_equal((int)box.n, (int)l->n_alerts + zalo + 3);
    harness_captured_free(&box);
    cchc_decoded_destroy(&dec);
    assert_int_equal(db_int(&f->c, "SELECT count(*) FROM delivery WHERE status != 'sent'"), 0);
}

//  The bounds of the delay after `attempts` failures with the test's policy.
static void delay_bounds(int attempts, int64_t *lo, int64_t *hi)
{
    int64_t base = 200;
    for (int i = 1; i < attempts && base < 2000; i++)
        base *= 2;
    if (base > 2000)
        base = 2000;
    *lo = base / 2;
    *hi = base;
}

static void test_never_recovers_ends_dead_with_growing_delays(void **state)
{
    fixture_t *f = *state;
    http_stop(f);
    assert_int_equal(http_start(f, f->dir[1], "--fail-always", NULL), 0);
    int64_t before = db_int(&f->c, "SELECT count(*) FROM outbox");
    assert_int_equal(scenario_play(&f->c, g_argv[5], "05/02", "20/02"), 0);
    int64_t added = db_int(&f->c, "SELECT count(*) FROM outbox") - before;
    assert_true(added > 0);
    //  watch the delivery rows while they back off
    bool seen[5] = {false};
    for (int64_t deadline = harness_mono_ms() + 20000;; harness_sleep_ms(20)) {
        sqlite3 *db = db_open(&f->c);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT attempts, next_attempt_ms - last_attempt_ms FROM delivery"
                                            " WHERE status = 'pending' AND next_attempt_ms > 0",
                                            -1, &st, NULL),
                         SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int attempts = sqlite3_column_int(st, 0);
            int64_t delay = sqlite3_column_int64(st, 1), lo, hi;
            assert_true(attempts >= 1 && attempts <= 3); //  the 4th makes it dead
            delay_bounds(attempts, &lo, &hi);
            if (delay < lo || delay > hi)
                fail_msg("attempt %d: delay %lld ms outside [%lld, %lld]", attempts, (long long)delay,
                         (long long)lo, (long long)hi);
            seen[attempts] = true;
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        if (db_int(&f->c, "SELECT count(*) FROM outbox WHERE status = 'pending'") == 0)
            break;
        assert_true(harness_mono_ms() < deadline);
    }
    //  at least two attempt counts seen, each delay inside its own window
    //  ([100, 200], [200, 400], [400, 800] ms): the delays grew
    assert_true(seen[1] + seen[2] + seen[3] >= 2);
    assert_int_equal(db_int(&f->c, "SELECT count(*) FROM outbox WHERE status = 'dead'"), added);
    //  each dead alert reached max_attempts on a channel (the channels of an
    //  alert back off on their own, so another may be one attempt behind)
    assert_int_equal(db_int(&f->c, "SELECT count(*) FROM outbox o WHERE status = 'dead' AND EXISTS (SELECT 1"
                                   " FROM delivery d WHERE d.alert_id = o.id AND d.attempts = 4)"),
                     added);
    assert_int_equal(db_int(&f->c, "SELECT count(*) FROM delivery WHERE status = 'pending' AND"
                                   " (attempts > 4 OR last_error != 'HTTP 500')"),
                     0);
    captured_t box = harness_captured(f->dir[1]);
    assert_true(box.n >= (size_t)added * 3);
    harness_captured_free(&box);

    char out[65536];
    assert_int_equal(cluster_cli(&f->c, out, sizeof(out), "--ward %s dead-letters", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "Cảnh báo không gửi được"));
    assert_non_null(strstr(out, "lần thử"));
    assert_non_null(strstr(out, "HTTP 500"));
    char line[64];
    snprintf(line, sizeof(line), "%lld cảnh báo", (long long)added);
    assert_non_null(strstr(out, line));
    int64_t first = db_int(&f->c, "SELECT min(id) FROM outbox WHERE status = 'dead'");
    snprintf(line, sizeof(line), "#%lld ", (long long)first);
    assert_non_null(strstr(out, line));
    assert_int_equal(cluster_cli(&f->c, out, sizeof(out), "--ward %s dead-letters --json", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "\"dead_letters\":["));
    snprintf(line, sizeof(line), "{\"id\":%lld,", (long long)first);
    assert_non_null(strstr(out, line));
    assert_non_null(strstr(out, "\"channel\":\""));
}

static void test_replay_after_recovery_keeps_the_token(void **state)
{
    fixture_t *f = *state;
    http_stop(f);
    assert_int_equal(http_start(f, f->dir[2], NULL, NULL), 0);
    int64_t dead = db_int(&f->c, "SELECT count(*) FROM outbox WHERE status = 'dead'");
    assert_true(dead > 0);
    char out[65536];
    //  an id that is not a dead letter is refused
    assert_int_equal(
        cluster_cli(&f->c, out, sizeof(out), "--ward %s dead-letters replay 999999", SCENARIO_WARD), 1);
    assert_int_equal(
        cluster_cli(&f->c, out, sizeof(out), "--ward %s dead-letters replay --all", SCENARIO_WARD), 0);
    char line[96];
    snprintf(line, sizeof(line), "Đã gửi lại %lld cảnh báo", (long long)dead);
    assert_non_null(strstr(out, line));
    cchc_decoded_t *dec = alerts_settled(&f->c, "sent", 20000);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    captured_t failed = harness_captured(f->dir[1]), now = harness_captured(f->dir[2]);
    size_t replayed = 0;
    for (size_t i = 0; i < l->n_alerts; i++) {
        assert_string_equal(l->alerts[i]->status, "sent");
        char key[256];
        alert_key(l->alerts[i], key, sizeof(key));
        int all_before, ok_before, all, ok;
        count_requests(&failed, "/hook", key, &all_before, &ok_before);
        count_requests(&now, "/hook", key, &all, &ok);
        if (all_before == 0) {
            assert_int_equal(all, 0); //  delivered in the first part, never again
            continue;
        }
        assert_true(all_before >= 3 && all_before <= 4);
        assert_int_equal(ok, 1); //  the same request id, delivered once
        assert_int_equal(all, 1);
        check_webhook(find_ok(&now, "/hook", key), l->alerts[i], key);
        replayed++;
    }
    assert_int_equal(replayed, (size_t)dead);
    harness_captured_free(&failed);
    harness_captured_free(&now);
    cchc_decoded_destroy(&dec);
    assert_int_equal(cluster_cli(&f->c, out, sizeof(out), "--ward %s dead-letters", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "Không có cảnh báo nào"));
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: %s INTAKE SCORING NOTIFY CLI DATA_DIR HTTP_CAPTURE_PY\n", argv[0]);
        return 2;
    }
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_alert_once_per_channel_despite_failures),
        cmocka_unit_test(test_never_recovers_ends_dead_with_growing_delays),
        cmocka_unit_test(test_replay_after_recovery_keeps_the_token),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
