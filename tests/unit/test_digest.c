/*  test_digest.c - digests (services/notify/delivery.h, email.h, outbox.h):
    windows aligned on local midnight, which alerts travel together, the
    digest's token (checked against an FNV-1a written here), its Vietnamese
    text, subject and body, and the outbox holding back a window that is
    still open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "delivery.h"
#include "email.h"
#include "outbox.h"
#include "store.h"

#define HOUR (3600 * 1000LL)

//  Local time "yyyy-mm-ddTHH:MM" (Asia/Ho_Chi_Minh) in ms.
static int64_t local(const char *text)
{
    char iso[64];
    snprintf(iso, sizeof(iso), "%s:00+07:00", text);
    int64_t ms = 0;
    assert_int_equal(cchc_time_parse(iso, &ms), 0);
    return ms;
}

static char *copy(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

static cchc_alert_t *alert_new(const char *ward, const char *task, const char *person, Cchc__AlertKind kind,
                               int level, int64_t decided, const char *text)
{
    cchc_alert_t *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    a->ward = copy(ward);
    a->task = copy(task);
    a->unit = copy("KT");
    a->person = copy(person);
    a->person_name = copy("Đỗ Quang Khải");
    a->kind = kind;
    a->level = level;
    a->due_date = 20260304;
    a->decided_ms = decided;
    a->cause_seq = 7;
    a->text = copy(text);
    char key[256];
    cchc_alert_key(key, sizeof(key), ward, task, person, kind, level);
    a->key = copy(key);
    return a;
}

static void test_windows(void **state)
{
    (void)state;
    assert_true(cchc_digest_window_ok(0));
    assert_true(cchc_digest_window_ok(1));
    assert_true(cchc_digest_window_ok(60));
    assert_true(cchc_digest_window_ok(90));
    assert_true(cchc_digest_window_ok(1440));
    assert_false(cchc_digest_window_ok(7)); //  does not divide the day
    assert_false(cchc_digest_window_ok(2880));
    assert_false(cchc_digest_window_ok(-60));

    int64_t t = local("2026-03-01T09:37");
    assert_int_equal(cchc_digest_window_start(t, HOUR), local("2026-03-01T09:00"));
    assert_int_equal(cchc_digest_window_start(t, 30 * 60000LL), local("2026-03-01T09:30"));
    assert_int_equal(cchc_digest_window_start(t, 90 * 60000LL), local("2026-03-01T09:00"));
    //  a day's window starts at LOCAL midnight (17:00 UTC the day before)
    assert_int_equal(cchc_digest_window_start(t, 24 * HOUR), local("2026-03-01T00:00"));
    assert_int_equal(cchc_digest_window_start(local("2026-03-01T06:59"), 24 * HOUR),
                     local("2026-03-01T00:00"));
    assert_int_equal(cchc_digest_window_start(local("2026-03-01T00:00"), HOUR), local("2026-03-01T00:00"));

    char buf[96];
    assert_string_equal(cchc_digest_window_vi(buf, sizeof(buf), local("2026-03-01T09:00"), HOUR),
                        "từ 09:00 đến 10:00 ngày 01/03/2026");
    assert_string_equal(cchc_digest_window_vi(buf, sizeof(buf), local("2026-03-01T00:00"), 24 * HOUR),
                        "ngày 01/03/2026");
}

static void test_same(void **state)
{
    (void)state;
    cchc_alert_t *a = alert_new("LTN", "T1", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3,
                                local("2026-03-01T09:00"), "Nhắc hạn: T1.");
    cchc_alert_t *b = alert_new("LTN", "T2", "H_KT", CCHC__ALERT_KIND__ALERT_OVERDUE, 0,
                                local("2026-03-01T09:59"), "Quá hạn: T2.");
    cchc_alert_t *other_person = alert_new("LTN", "T1", "S_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3,
                                           local("2026-03-01T09:10"), "Nhắc hạn: T1.");
    cchc_alert_t *next_window = alert_new("LTN", "T3", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3,
                                          local("2026-03-01T10:00"), "Nhắc hạn: T3.");
    cchc_alert_t *other_ward = alert_new("XYZ", "T1", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3,
                                         local("2026-03-01T09:10"), "Nhắc hạn: T1.");
    assert_true(cchc_digest_same(a, b, HOUR));
    assert_false(cchc_digest_same(a, other_person, HOUR));
    assert_false(cchc_digest_same(a, next_window, HOUR));
    assert_true(cchc_digest_same(a, next_window, 24 * HOUR));
    assert_false(cchc_digest_same(a, other_ward, HOUR));
    cchc_alert_free(a);
    cchc_alert_free(b);
    cchc_alert_free(other_person);
    cchc_alert_free(next_window);
    cchc_alert_free(other_ward);
}

//  FNV-1a 64 of the keys, each followed by '\n', written from its definition.
static uint64_t fnv(const char *const *keys, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]);
        for (size_t k = 0; k <= len; k++) {
            unsigned char c = k < len ? (unsigned char)keys[i][k] : '\n';
            h ^= c;
            h *= 1099511628211ULL;
        }
    }
    return h;
}

static void test_token(void **state)
{
    (void)state;
    int64_t t = local("2026-03-01T09:00");
    cchc_alert_t *m[3] = {
        alert_new("LTN", "T1", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3, t, "a"),
        alert_new("LTN", "T2", "H_KT", CCHC__ALERT_KIND__ALERT_OVERDUE, 0, t + 60000, "b"),
        alert_new("LTN", "T3", "H_KT", CCHC__ALERT_KIND__ALERT_ESCALATION, 2, t + 120000, "c"),
    };
    const cchc_alert_t *members[3] = {m[0], m[1], m[2]};
    char token[256], again[256], expect[256];
    int len = cchc_digest_token(token, sizeof(token), members, 3, HOUR);
    assert_int_equal(len, (int)strlen(token));
    const char *keys[3] = {m[0]->key, m[1]->key, m[2]->key};
    snprintf(expect, sizeof(expect), "digest/LTN/H_KT/202603010900/%016llx",
             (unsigned long long)fnv(keys, 3));
    assert_string_equal(token, expect);

    //  the same members give the same token, whatever else changed (a
    //  redelivery reads them back from the outbox with new text buffers)
    free(m[1]->text);
    m[1]->text = copy("văn bản khác");
    m[1]->id = 99;
    cchc_digest_token(again, sizeof(again), members, 3, HOUR);
    assert_string_equal(again, token);

    //  other members, another token
    cchc_digest_token(again, sizeof(again), members, 2, HOUR);
    assert_string_not_equal(again, token);
    const cchc_alert_t *swapped[3] = {m[1], m[0], m[2]};
    cchc_digest_token(again, sizeof(again), swapped, 3, HOUR);
    assert_string_not_equal(again, token);
    //  a day's window names local midnight
    cchc_digest_token(again, sizeof(again), members, 3, 24 * HOUR);
    assert_non_null(strstr(again, "digest/LTN/H_KT/202603010000/"));
    for (int i = 0; i < 3; i++)
        cchc_alert_free(m[i]);
}

//  A tier drop in a digest: counted under its kind (in the text and the
//  e-mail subject), described by its unit (no task, no due date); the
//  heading says what the digest is about.
static void test_text_with_a_tier_drop(void **state)
{
    (void)state;
    int64_t t = local("2026-03-01T09:00");
    cchc_alert_t *m[2] = {
        alert_new("LTN", "T1", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3, t,
                  "Nhắc hạn: nhiệm vụ T1 «Số hóa hồ sơ» đến hạn ngày 04/03/2026, còn 3 ngày."),
        alert_new("LTN", "", "H_KT", CCHC__ALERT_KIND__ALERT_TIER_DROP, 17, t,
                  "Tụt xếp loại: Phòng Kinh tế, Hạ tầng và Đô thị giảm từ «Hoàn thành tốt nhiệm vụ» xuống "
                  "«Hoàn thành nhiệm vụ» ngày 01/03/2026."),
    };
    m[1]->due_date = 0;
    const cchc_alert_t *members[2] = {m[0], m[1]};
    char *text = cchc_digest_text(members, 2, HOUR);
    assert_non_null(strstr(text,
                           "Tổng hợp 2 thông báo từ 09:00 đến 10:00 ngày 01/03/2026 về các nhiệm vụ cải "
                           "cách hành chính và xếp loại, xếp hạng thi đua của đơn vị: Nhắc hạn: 1; Tụt "
                           "xếp loại: 1.\n"));
    char line[1024];
    snprintf(line, sizeof(line), "\n2. [Tụt xếp loại] %s\n   Đơn vị: KT; mã thông báo: LTN//H_KT/4/17\n",
             m[1]->text);
    assert_non_null(strstr(text, line));
    free(text);
    //  the e-mail subject counts the drop too
    char *subject = cchc_email_digest_subject(members, 2, HOUR);
    assert_string_equal(subject,
                        "[CCHC] Tổng hợp 2 thông báo từ 09:00 đến 10:00 ngày 01/03/2026 (Nhắc hạn: 1; "
                        "Tụt xếp loại: 1)");
    free(subject);
    //  drops alone: about the unit's tier and rank, not tasks
    const cchc_alert_t *drops[1] = {m[1]};
    text = cchc_digest_text(drops, 1, HOUR);
    assert_non_null(strstr(text,
                           "Tổng hợp 1 thông báo từ 09:00 đến 10:00 ngày 01/03/2026 về xếp loại, xếp hạng "
                           "thi đua của đơn vị: Tụt xếp loại: 1.\n"));
    free(text);
    for (int i = 0; i < 2; i++)
        cchc_alert_free(m[i]);
}

static void test_text_and_mail(void **state)
{
    (void)state;
    int64_t t = local("2026-03-01T09:00");
    cchc_alert_t *m[3] = {
        alert_new("LTN", "T1", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3, t,
                  "Nhắc hạn: nhiệm vụ T1 «Số hóa hồ sơ» đến hạn ngày 04/03/2026, còn 3 ngày."),
        alert_new("LTN", "T2", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3, t,
                  "Nhắc hạn: nhiệm vụ T2 «Rà soát TTHC» đến hạn ngày 04/03/2026, còn 3 ngày."),
        alert_new("LTN", "T3", "H_KT", CCHC__ALERT_KIND__ALERT_OVERDUE, 0, t,
                  "Quá hạn: nhiệm vụ T3 «Báo cáo quý» đã quá hạn 2 ngày (hạn 27/02/2026)."),
    };
    const cchc_alert_t *members[3] = {m[0], m[1], m[2]};
    char *text = cchc_digest_text(members, 3, HOUR);
    assert_non_null(
        strstr(text, "Tổng hợp 3 thông báo từ 09:00 đến 10:00 ngày 01/03/2026 về các nhiệm vụ cải cách hành "
                     "chính: Nhắc hạn: 2; Quá hạn: 1.\n"));
    //  every member, numbered, in order, with its full text and token
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char head[600];
        snprintf(head, sizeof(head), "\n%d. [%s] %s\n", i + 1, i < 2 ? "Nhắc hạn" : "Quá hạn", m[i]->text);
        const char *at = strstr(p, head);
        assert_non_null(at);
        char line[300];
        snprintf(line, sizeof(line), "Nhiệm vụ: %s; đơn vị: KT; hạn: 04/03/2026; mã thông báo: %s\n",
                 m[i]->task, m[i]->key);
        assert_non_null(strstr(at, line));
        p = at + 1;
    }
    free(text);

    char *subject = cchc_email_digest_subject(members, 3, HOUR);
    assert_string_equal(subject,
                        "[CCHC] Tổng hợp 3 thông báo từ 09:00 đến 10:00 ngày 01/03/2026 (Nhắc hạn: 2; "
                        "Quá hạn: 1)");
    free(subject);
    char *body = cchc_email_digest_body(members, 3, "digest/LTN/H_KT/202603010900/0123456789abcdef", HOUR);
    assert_true(strncmp(body, "Kính gửi đồng chí Đỗ Quang Khải,\n\nTổng hợp 3 thông báo", 60) == 0);
    assert_non_null(strstr(body, m[2]->text));
    assert_non_null(strstr(body, "Mã thư tổng hợp: digest/LTN/H_KT/202603010900/0123456789abcdef\n"));
    free(body);
    for (int i = 0; i < 3; i++)
        cchc_alert_free(m[i]);
}

//  The outbox holds back alerts decided at or after the bound.
static void test_outbox_hold(void **state)
{
    (void)state;
    char dir[] = "/tmp/cchc-test-digest-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/notify.db", dir);
    const char *migrations[16] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION};
    for (int i = 0; i < cchc_outbox_migration_count; i++)
        migrations[2 + i] = cchc_outbox_migrations[i];
    char err[256];
    sqlite3 *db = cchc_store_open(path, migrations, 2 + cchc_outbox_migration_count, err, sizeof(err));
    assert_non_null(db);
    int64_t t = local("2026-03-01T09:00");
    cchc_alert_t *a[3] = {
        alert_new("LTN", "T1", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3, t + 5 * 60000, "a"),
        alert_new("LTN", "T2", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3, t + 59 * 60000, "b"),
        alert_new("LTN", "T3", "H_KT", CCHC__ALERT_KIND__ALERT_REMINDER, 3, t + 60 * 60000, "c"),
    };
    size_t inserted = 0;
    assert_int_equal(cchc_outbox_insert(db, a, 3, &inserted), 0);
    assert_int_equal(inserted, 3);
    for (int i = 0; i < 3; i++)
        cchc_alert_free(a[i]);

    cchc_alert_t **due = NULL;
    size_t n = 0;
    //  the log time is in 09:00-10:00: that window is open, nothing goes
    assert_int_equal(cchc_outbox_due_before(db, INT64_MAX, t, 0, &due, &n), 0);
    assert_int_equal(n, 0);
    free(due);
    int64_t next = 0;
    assert_int_equal(cchc_outbox_next_due_before(db, t, &next), 0);
    //  once it is 10:xx, the 09:00 window's two alerts go, the 10:00 one waits
    assert_int_equal(cchc_outbox_due_before(db, INT64_MAX, t + HOUR, 0, &due, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(due[0]->task, "T1");
    assert_string_equal(due[1]->task, "T2");
    for (size_t i = 0; i < n; i++)
        cchc_alert_free(due[i]);
    free(due);
    assert_int_equal(cchc_outbox_next_due_before(db, t + HOUR, &next), 1);
    //  without a bound (digests off) everything pending is due
    assert_int_equal(cchc_outbox_due(db, INT64_MAX, 0, &due, &n), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        cchc_alert_free(due[i]);
    free(due);
    cchc_store_close(&db);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_same),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_text_and_mail),
        cmocka_unit_test(test_text_with_a_tier_drop),
        cmocka_unit_test(test_outbox_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
