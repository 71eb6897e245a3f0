/*  test_notify_crash.c - notify's promise under fire: every alert that is
    due is delivered, and a repeat at the receiver carries the same dedupe
    token as its first delivery.

    A generated ward "CR" (5 units, a head and a staff member each, two
    vice-chairmen, a Chairman) gets 4,500 tasks, all due well after the
    clock's start (01/01/2026), so the import decides nothing. Then ONE
    clock step to Tuesday 03/03/2026 09:00 makes 10,200 alerts due at once
    (working days and times, in case a calendar setting ever applies):
      task i % 3 == 0  due 06/03: reminder D-3 to the lead (staff) and the head
      task i % 3 == 1  due 27/02: overdue (4 days) to the head
      task i % 3 == 2  due 20/01: 42 days overdue: the head (overdue), the
                       vice-chairman in charge and the head of VHXH
                       (escalation 1; not for VHXH's own tasks) and the
                       Chairman (escalation 2)
    The expected set is computed here from those rules, not asked of notify.

    notify delivers by webhook to a real HTTP receiver (http_capture.py,
    which records every request). During the burst notify is killed with
    kill -9 at random moments (KILLS times: the first within 400 ms of the
    clock step, while it decides and commits; the others once a random share
    of the alerts has arrived) and restarted on the same data. Afterwards:
      - every expected alert arrived at least once;
      - nothing else arrived;
      - every request carries its token in X-Request-Id, Idempotency-Key and
        the body, and each repeat carries the same token and outbox id as
        the first delivery of that (task, person, kind, level);
      - repeats are bounded: one delivery round (500) is in flight at a
        time, so at most KILLS x 500 requests can be repeats. An outbox
        that forgot what it delivered would exceed this.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR HTTP_CAPTURE_PY.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "strmap.h"

#define WARD       "CR"
#define NTASKS     4500
#define KILLS      4
#define ROUND      500 //  DELIVERY_ROUND in services/notify/main.c
#define EXPECTED   10200
#define TIMEOUT_MS 120000

static int g_argc;
static char **g_argv;

static const char *const units[] = {"VP", "KT", "VHXH", "TT", "DV"};
static const char *const unit_names[] = {"Văn phòng HĐND và UBND", "Phòng Kinh tế, Hạ tầng và Đô thị",
                                         "Phòng Văn hóa - Xã hội", "Trung tâm Phục vụ hành chính công",
                                         "Trung tâm Dịch vụ sự nghiệp công"};
//  vice-chairman in charge of each unit
static const char *const vices[] = {"PCT1", "PCT1", "PCT2", "PCT2", "PCT2"};

static int write_text(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

//  The ward's CSV folder (the format of data/sample) under dir.
static int write_ward(const char *dir)
{
    if (mkdir(dir, 0700) != 0)
        return -1;
    if (write_text(dir, "ward.csv",
                   "code,name,province,year\n" WARD ",Phường Thử Tải,Tỉnh Kiểm Thử,2026\n") ||
        write_text(dir, "areas.csv", "code,name,weight\nA1,Cải cách thủ tục hành chính,100\n"))
        return -1;
    char path[512];
    snprintf(path, sizeof(path), "%s/units.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("code,name,head,deputy,vice_chairman\n", f);
    for (int u = 0; u < 5; u++)
        fprintf(f, "%s,\"%s\",H_%s,,%s\n", units[u], unit_names[u], units[u], vices[u]);
    if (fclose(f) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/officials.csv", dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fputs("code,full_name,title,unit,role,email,phone\n"
          "CT,Nguyễn Hữu Phúc,Chủ tịch UBND phường,,chairman,ct@test.example.vn,0900000001\n"
          "PCT1,Lê Văn Phó,Phó Chủ tịch UBND phường,,vice_chairman,pct1@test.example.vn,0900000002\n"
          "PCT2,Trần Thị Phương,Phó Chủ tịch UBND phường,,vice_chairman,pct2@test.example.vn,0900000003\n",
          f);
    for (int u = 0; u < 5; u++)
        fprintf(f,
                "H_%s,Trưởng đơn vị %s,Thủ trưởng,%s,head,h%d@test.example.vn,09100000%02d\n"
                "S_%s,Chuyên viên %s,Chuyên viên,%s,staff,s%d@test.example.vn,09200000%02d\n",
                units[u], units[u], units[u], u, u, units[u], units[u], units[u], u, u);
    if (fclose(f) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/tasks.csv", dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fputs("code,unit,co_units,area,title,due_date,factor,outputs_required,lead_official,points,output_desc\n",
          f);
    static const char *const due[] = {"06/03/2026", "27/02/2026", "20/01/2026"};
    for (int i = 0; i < NTASKS; i++)
        fprintf(f, "N%04d,%s,,A1,Nhiệm vụ thử tải số %d,%s,1.0,1,S_%s,,Báo cáo\n", i, units[i % 5], i,
                due[i % 3], units[i % 5]);
    return fclose(f);
}

//  "task/person/kind/level" of every alert the clock step must make due,
//  computed from the rules in the header comment. Returns how many.
static size_t expected_alerts(cchc_strmap_t *expected)
{
    char key[128];
#define EXPECT(task, person, kind, level)                                                                    \
    do {                                                                                                     \
        snprintf(key, sizeof(key), "%s/%s/%s/%d", task, person, kind, level);                                \
        cchc_strmap_put(expected, key, (void *)1);                                                           \
    } while (0)
    for (int i = 0; i < NTASKS; i++) {
        char task[16], head[16], staff[16];
        snprintf(task, sizeof(task), "N%04d", i);
        snprintf(head, sizeof(head), "H_%s", units[i % 5]);
        snprintf(staff, sizeof(staff), "S_%s", units[i % 5]);
        if (i % 3 == 0) {
            EXPECT(task, staff, "reminder", 3);
            EXPECT(task, head, "reminder", 3);
        } else if (i % 3 == 1) {
            EXPECT(task, head, "overdue", 0);
        } else {
            EXPECT(task, head, "overdue", 0);
            EXPECT(task, vices[i % 5], "escalation", 1);
            if (strcmp(units[i % 5], "VHXH") != 0)
                EXPECT(task, "H_VHXH", "escalation", 1);
            EXPECT(task, "CT", "escalation", 2);
        }
    }
#undef EXPECT
    return cchc_strmap_size(expected);
}

//  How many requests the receiver has recorded so far (its NNNN.txt files).
static long received_count(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.' && strstr(e->d_name, ".txt") != NULL;
    closedir(d);
    return n;
}

//  notify's committed position (a query for one alert), or 0.
static uint64_t notify_seq(cluster_t *c)
{
    Cchc__AlertQuery q = CCHC__ALERT_QUERY__INIT;
    q.ward = WARD;
    q.has_limit = true;
    q.limit = 1;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
    env.alert_query = &q;
    cchc_decoded_t *reply = NULL;
    uint64_t seq = 0;
    if (cluster_call(c, SVC_NOTIFY, &env, &reply) == 0 &&
        cchc_decoded_env(reply)->body_case == CCHC__ENVELOPE__BODY_ALERT_LIST)
        seq = cchc_decoded_env(reply)->alert_list->last_seq;
    cchc_decoded_destroy(&reply);
    return seq;
}

//  Rows of notify's outbox with status (read-only, as committed); -1 on error.
static long outbox_count(const cluster_t *c, const char *status)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/notify/notify.db", c->dir);
    sqlite3 *db = NULL;
    long n = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox WHERE status = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

typedef struct {
    char token[160];
    char id[32];
    int count;
} delivery_t;

static void test_kill9_during_burst(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, g_argc, g_argv), 0);
    char ward_dir[400], capture[400], log_path[400], port_text[16], url[128];
    snprintf(ward_dir, sizeof(ward_dir), "%s/ward", c.dir);
    snprintf(capture, sizeof(capture), "%s/http", c.dir);
    snprintf(log_path, sizeof(log_path), "%s/http.log", c.dir);
    assert_int_equal(write_ward(ward_dir), 0);
    int port = harness_free_port();
    assert_true(port > 0);
    snprintf(port_text, sizeof(port_text), "%d", port);
    snprintf(url, sizeof(url), "--webhook_url=http://127.0.0.1:%d/hook", port);
    const char *http_args[] = {g_argv[6], port_text, capture, NULL};
    pid_t http = harness_python_start(http_args, NULL, log_path, port);
    assert_true(http > 0);
    const char *notify_args[] = {url,
                                 "--channels=webhook",
                                 "--retry_ms=200",
                                 "--retry_max_ms=1000",
                                 "--max_attempts=1000",
                                 "--http_timeout_ms=5000",
                                 "--log_level=warn",
                                 NULL};
    assert_int_equal(cluster_start(&c, SVC_INTAKE, NULL), 0);
    assert_int_equal(cluster_start(&c, SVC_NOTIFY, notify_args), 0);

    char out[4096];
    int rc = cluster_cli(&c, out, sizeof(out), "import '%s'", ward_dir);
    if (rc != 0)
        fail_msg("import failed (%d): %s", rc, out);
    uint64_t head = cluster_head(&c);
    assert_true(head > NTASKS);
    int64_t deadline = harness_mono_ms() + 30000;
    while (notify_seq(&c) < head && harness_mono_ms() < deadline)
        harness_sleep_ms(20);
    assert_true(notify_seq(&c) >= head);
    assert_int_equal(outbox_count(&c, "pending") + outbox_count(&c, "sent"), 0); //  nothing due yet

    cchc_strmap_t *expected = cchc_strmap_new();
    size_t nexpected = expected_alerts(expected);
    assert_int_equal(nexpected, EXPECTED);

    //  The burst, and kill -9 at random moments in it.
    unsigned seed = (unsigned)getpid() ^ (unsigned)harness_mono_ms();
    srand(seed);
    int64_t t0 = harness_mono_ms();
    assert_int_equal(cluster_advance(&c, "03/03/2026 09:00"), 0);
    long at_kill[KILLS];
    for (int k = 0; k < KILLS; k++) {
        if (k == 0) {
            harness_sleep_ms(rand() % 400);
        } else {
            //  kill k once between (k-0.5)/KILLS and (k+0.5)/KILLS of the alerts arrived, at random
            long threshold = (long)nexpected * (2 * k - 1) / (2 * KILLS) + rand() % ((long)nexpected / KILLS);
            while (received_count(capture) < threshold && harness_mono_ms() - t0 < TIMEOUT_MS)
                harness_sleep_ms(2);
        }
        at_kill[k] = received_count(capture);
        cluster_kill(&c, SVC_NOTIFY);
        assert_int_equal(cluster_start(&c, SVC_NOTIFY, notify_args), 0);
    }
    //  the last kill came before the end of the burst
    assert_true(at_kill[KILLS - 1] < (long)nexpected);

    //  Wait until everything decided is delivered and recorded.
    while (harness_mono_ms() - t0 < TIMEOUT_MS &&
           !(outbox_count(&c, "sent") == (long)nexpected && outbox_count(&c, "pending") == 0))
        harness_sleep_ms(50);
    int64_t burst_ms = harness_mono_ms() - t0;
    assert_int_equal(outbox_count(&c, "sent"), (long)nexpected);
    assert_int_equal(outbox_count(&c, "dead"), 0);
    assert_int_equal(cluster_stop(&c, SVC_NOTIFY), 0);
    harness_helper_stop(&http);

    //  What arrived.
    captured_t box = harness_captured(capture);
    assert_true(box.n >= nexpected);
    cchc_strmap_t *seen = cchc_strmap_new();
    size_t repeats = 0;
    for (size_t i = 0; i < box.n; i++) {
        const char *r = box.text[i];
        char task[32], person[32], kind[32], level[16], ward[16], rid[160], idem[160], token[160], id[32],
            status[8], ident[128];
        if (!harness_captured_field(r, "j.ward", ward, sizeof(ward)) ||
            !harness_captured_field(r, "j.task", task, sizeof(task)) ||
            !harness_captured_field(r, "j.person", person, sizeof(person)) ||
            !harness_captured_field(r, "j.kind", kind, sizeof(kind)) ||
            !harness_captured_field(r, "j.level", level, sizeof(level)) ||
            !harness_captured_field(r, "h.x-request-id", rid, sizeof(rid)) ||
            !harness_captured_field(r, "h.idempotency-key", idem, sizeof(idem)) ||
            !harness_captured_field(r, "j.token", token, sizeof(token)) ||
            !harness_captured_field(r, "j.id", id, sizeof(id)) ||
            !harness_captured_field(r, "status", status, sizeof(status)))
            fail_msg("request %zu lacks a field:\n%.400s", i, r);
        assert_string_equal(ward, WARD);
        assert_string_equal(status, "200");
        snprintf(ident, sizeof(ident), "%s/%s/%s/%s", task, person, kind, level);
        if (!cchc_strmap_get(expected, ident))
            fail_msg("received an alert that is not due: %s (token %s)", ident, rid);
        //  one token per request: header, idempotency key and body agree
        assert_string_equal(rid, idem);
        assert_string_equal(rid, token);
        delivery_t *d = cchc_strmap_get(seen, ident);
        if (!d) {
            d = calloc(1, sizeof(*d));
            assert_non_null(d);
            snprintf(d->token, sizeof(d->token), "%s", rid);
            snprintf(d->id, sizeof(d->id), "%s", id);
            cchc_strmap_put(seen, ident, d);
        } else {
            repeats++;
            if (strcmp(d->token, rid) != 0 || strcmp(d->id, id) != 0)
                fail_msg("%s repeated with token %s (id %s), first delivered with %s (id %s)", ident, rid, id,
                         d->token, d->id);
        }
        d->count++;
    }
    //  every due alert arrived
    size_t cursor = 0, missing = 0;
    const char *key;
    void *value;
    while (cchc_strmap_next(expected, &cursor, &key, &value) == 1)
        if (!cchc_strmap_get(seen, key) && missing++ < 5)
            fprintf(stderr, "missing: %s\n", key);
    assert_int_equal(missing, 0);
    assert_int_equal(cchc_strmap_size(seen), nexpected);
    assert_true(repeats <= (size_t)KILLS * ROUND);
    fprintf(stderr,
            "notify crash test (seed %u): %zu alerts due at one clock step, %zu requests received, %zu "
            "repeats (same token), %d kill -9 at %ld/%ld/%ld/%ld received, all delivered in %lld ms\n",
            seed, nexpected, box.n, repeats, KILLS, at_kill[0], at_kill[1], at_kill[2], at_kill[3],
            (long long)burst_ms);

    cursor = 0;
    while (cchc_strmap_next(seen, &cursor, &key, &value) == 1)
        free(value);
    cchc_strmap_destroy(&seen);
    cchc_strmap_destroy(&expected);
    harness_captured_free(&box);
    assert_int_equal(cluster_stop_all(&c), 0);
    cluster_destroy(&c);
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
        cmocka_unit_test(test_kill9_during_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
