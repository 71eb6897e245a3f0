/*  test_alerts.c - who is alerted, when, with what words, and never twice;
    and the schedule (the timer structure) decides exactly what deciding
    every task after every event decides.

    Ward "W": Chairman CT, vice-chairman PCT; unit KT (head H_KT, staff
    S_KT) and the coordinating unit VHXH (head H_VH). Task T of KT, due
    31/03/2026 (D), led by S_KT. Times are 09:00 local unless said.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "builder.h"
#include "clock.h"
#include "schedule.h"
#include "strmap.h"

#define DUE      20260331
#define MAX_SEEN 256

typedef struct {
    builder_t b;
    cchc_alert_rules_t rules;
    cchc_strmap_t *seen;
    cchc_alert_t *decided[MAX_SEEN];
    int n;
} fixture_t;

static bool seen_fn(void *arg, const char *key)
{
    return cchc_strmap_get(((fixture_t *)arg)->seen, key) != NULL;
}

static void emit_fn(void *arg, cchc_alert_t *a)
{
    fixture_t *f = arg;
    assert_null(cchc_strmap_get(f->seen, a->key)); //  never a key twice
    cchc_strmap_put(f->seen, a->key, (void *)1);
    assert_true(f->n < MAX_SEEN);
    f->decided[f->n++] = a;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    builder_init(&f->b);
    b_area(&f->b, "A", 100);
    b_unit(&f->b, "KT", "H_KT", "PCT");
    b_unit(&f->b, "VHXH", "H_VH", "PCT");
    b_official(&f->b, "CT", "Nguyễn Hữu Phúc", NULL, CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN);
    b_official(&f->b, "PCT", "Trần Văn Hùng", NULL, CCHC__OFFICIAL_ROLE__ROLE_VICE_CHAIRMAN);
    b_official(&f->b, "H_KT", "Vũ Đức Thắng", "KT", CCHC__OFFICIAL_ROLE__ROLE_HEAD);
    b_official(&f->b, "S_KT", "Bùi Thị Hương", "KT", CCHC__OFFICIAL_ROLE__ROLE_STAFF);
    b_official(&f->b, "H_VH", "Đặng Thị Mai", "VHXH", CCHC__OFFICIAL_ROLE__ROLE_HEAD);
    assert_int_equal(b_task(&f->b, "T", "KT", "A", DUE, 1, 1000, "S_KT"), 0);
    cchc_alert_rules_default(&f->rules);
    f->seen = cchc_strmap_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < f->n; i++)
        cchc_alert_free(f->decided[i]);
    cchc_strmap_destroy(&f->seen);
    builder_free(&f->b);
    free(f);
    return 0;
}

//  Move the clock to ms and decide task there; returns how many new alerts.
static int decide_task_at_ms(fixture_t *f, const char *task, int64_t ms)
{
    assert_int_equal(b_clock_at(&f->b, ms), CCHC__ERROR_CODE__ERR_NONE);
    int before = f->n;
    cchc_alerts_decide(&f->rules, b_task_get(&f->b, task), ms, f->b.seq, seen_fn, emit_fn, f);
    return f->n - before;
}

static int decide_at(fixture_t *f, int32_t day)
{
    return decide_task_at_ms(f, "T", at9(day));
}

//  Alerts decided so far matching kind, level (-1: any) and person (NULL: any).
static int count(const fixture_t *f, Cchc__AlertKind kind, int level, const char *person)
{
    int n = 0;
    for (int i = 0; i < f->n; i++)
        if (f->decided[i]->kind == kind && (level < 0 || f->decided[i]->level == level) &&
            (!person || !strcmp(f->decided[i]->person, person)))
            n++;
    return n;
}

//  The alert decided for person, kind and level (fails the test if none).
static const cchc_alert_t *find(const fixture_t *f, Cchc__AlertKind kind, int level, const char *person)
{
    for (int i = 0; i < f->n; i++)
        if (f->decided[i]->kind == kind && f->decided[i]->level == level &&
            !strcmp(f->decided[i]->person, person))
            return f->decided[i];
    fail_msg("no alert kind=%d level=%d person=%s", (int)kind, level, person);
    return NULL;
}

static const Cchc__AlertKind REM = CCHC__ALERT_KIND__ALERT_REMINDER, OVD = CCHC__ALERT_KIND__ALERT_OVERDUE,
                             ESC = CCHC__ALERT_KIND__ALERT_ESCALATION, RES = CCHC__ALERT_KIND__ALERT_RESOLVED;

// ---------------------------------------------------------------------------
//  Reminders

static void test_reminder_d7_to_lead_and_head(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_task_at_ms(f, "T", cchc_date_start_ms(20260324) - 1), 0); //  a moment before D-7
    assert_int_equal(decide_task_at_ms(f, "T", cchc_date_start_ms(20260324)), 2);     //  D-7 at midnight
    const cchc_alert_t *lead = find(f, REM, 7, "S_KT"), *head = find(f, REM, 7, "H_KT");
    assert_string_equal(lead->key, "W/T/S_KT/0/7");
    assert_string_equal(lead->person_name, "Bùi Thị Hương");
    assert_string_equal(lead->unit, "KT");
    assert_int_equal(lead->due_date, DUE);
    assert_int_equal(lead->days_overdue, 0);
    assert_int_equal(lead->cause_seq, f->b.seq);
    assert_string_equal(lead->text,
                        "Nhắc hạn: nhiệm vụ T «Nhiệm vụ thử» (KT) đến hạn ngày 31/03/2026, còn 7 ngày. "
                        "Đề nghị đồng chí Bùi Thị Hương, Cán bộ, tổ chức thực hiện, hoàn thành đúng "
                        "hạn. Nếu quá hạn sẽ báo cáo Thủ trưởng đơn vị, đồng chí Vũ Đức Thắng.");
    assert_string_equal(head->text,
                        "Nhắc hạn: nhiệm vụ T «Nhiệm vụ thử» (KT) đến hạn ngày 31/03/2026, còn 7 ngày. "
                        "Đề nghị đồng chí Vũ Đức Thắng, Cán bộ, chỉ đạo hoàn thành đúng hạn. Nếu quá "
                        "hạn, người đứng đầu đơn vị chịu trách nhiệm trước Chủ tịch UBND phường; quá hạn "
                        "7 ngày sẽ báo cáo Phó Chủ tịch phụ trách, đồng chí Trần Văn Hùng.");
    assert_int_equal(decide_at(f, 20260325), 0); //  the same point again: nothing
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_OVERDUE, -1, NULL), 0);
}

//  A jump from D-10 to D-2 decides only the D-3 reminder; the skipped D-7 is
//  never decided later, the nearer points still are.
static void test_jump_decides_only_the_nearest_reminder(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260321), 0); //  D-10
    assert_int_equal(decide_at(f, 20260329), 2); //  D-2: the D-3 point
    assert_int_equal(count(f, REM, 3, "S_KT"), 1);
    assert_int_equal(count(f, REM, 3, "H_KT"), 1);
    assert_non_null(strstr(find(f, REM, 3, "H_KT")->text, "còn 2 ngày"));
    assert_int_equal(decide_at(f, 20260330), 2); //  D-1
    assert_int_equal(count(f, REM, 1, NULL), 2);
    assert_int_equal(decide_task_at_ms(f, "T", cchc_date_end_ms(DUE) - 1), 2); //  last moment of D
    assert_non_null(strstr(find(f, REM, 0, "S_KT")->text, "đến hạn hôm nay, ngày 31/03/2026"));
    assert_non_null(strstr(find(f, REM, 0, "S_KT")->text, "hoàn thành trong ngày"));
    assert_int_equal(count(f, REM, 7, NULL), 0);
    assert_int_equal(count(f, REM, -1, NULL), 6);
}

//  The head leading the task is reminded once.
static void test_head_leading_the_task_is_reminded_once(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(b_task(&f->b, "V", "KT", "A", DUE, 1, 1000, "H_KT"), 0);
    assert_int_equal(decide_task_at_ms(f, "V", at9(20260324)), 1);
    assert_int_equal(count(f, REM, 7, "H_KT"), 1);
    assert_non_null(strstr(f->decided[0]->text, "chỉ đạo hoàn thành đúng hạn"));
}

// ---------------------------------------------------------------------------
//  Overdue and escalation

static void test_overdue_day1_to_the_head_only(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_task_at_ms(f, "T", cchc_date_end_ms(DUE)), 1); //  the first instant after D
    const cchc_alert_t *a = find(f, OVD, 0, "H_KT");
    assert_int_equal(a->days_overdue, 1);
    assert_string_equal(a->text,
                        "Quá hạn: nhiệm vụ T «Nhiệm vụ thử» (KT) đã quá hạn 1 ngày (hạn 31/03/2026), chưa "
                        "hoàn thành. Người đứng đầu đơn vị chịu trách nhiệm trước Chủ tịch UBND phường về "
                        "nhiệm vụ chưa đạt yêu cầu. Đề nghị đồng chí Vũ Đức Thắng, Cán bộ, chỉ đạo hoàn "
                        "thành ngay. Nếu quá hạn 7 ngày sẽ báo cáo Phó Chủ tịch phụ trách, đồng chí Trần "
                        "Văn Hùng.");
    assert_int_equal(decide_at(f, 20260401), 0);
    assert_int_equal(count(f, REM, -1, NULL), 0); //  no reminder once it is past due
}

static void test_escalation_day7_then_chairman_day15(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260401), 1);                                      //  day 1
    assert_int_equal(decide_task_at_ms(f, "T", cchc_date_start_ms(20260407) - 1), 0); //  day 6, last moment
    assert_int_equal(decide_task_at_ms(f, "T", cchc_date_start_ms(20260407)), 2);     //  day 7
    const cchc_alert_t *vice = find(f, ESC, 1, "PCT"), *coordinator = find(f, ESC, 1, "H_VH");
    assert_int_equal(vice->days_overdue, 7);
    assert_string_equal(vice->text,
                        "Báo cáo vượt cấp: nhiệm vụ T «Nhiệm vụ thử» của KT đã quá hạn 7 ngày (hạn "
                        "31/03/2026), chưa hoàn thành. Thủ trưởng đơn vị, đồng chí Vũ Đức Thắng, chịu "
                        "trách nhiệm trước Chủ tịch UBND phường về nhiệm vụ chưa đạt yêu cầu. Đề nghị đồng "
                        "chí Trần Văn Hùng, Cán bộ, chỉ đạo xử lý dứt điểm. Nếu quá hạn 15 ngày sẽ báo cáo "
                        "Chủ tịch UBND phường.");
    assert_non_null(strstr(coordinator->text, "Đề nghị đồng chí Đặng Thị Mai, Cán bộ, hướng dẫn, đôn đốc"));
    assert_int_equal(decide_at(f, 20260414), 0); //  day 14
    assert_int_equal(decide_at(f, 20260415), 1); //  day 15: the Chairman
    const cchc_alert_t *ct = find(f, ESC, 2, "CT");
    assert_string_equal(ct->text,
                        "Báo cáo Chủ tịch UBND phường: nhiệm vụ T «Nhiệm vụ thử» của KT đã quá hạn 15 ngày "
                        "(hạn 31/03/2026), chưa hoàn thành. Thủ trưởng đơn vị, đồng chí Vũ Đức Thắng, chịu "
                        "trách nhiệm trước Chủ tịch về nhiệm vụ chưa đạt yêu cầu. Kính đề nghị đồng chí "
                        "Nguyễn Hữu Phúc, Cán bộ, xem xét, chỉ đạo. Đây là cấp báo cáo cuối cùng.");
    assert_int_equal(decide_at(f, 20260501), 0); //  never twice
    assert_int_equal(count(f, ESC, -1, NULL), 3);
    assert_int_equal(count(f, OVD, -1, NULL), 1);
}

//  A jump straight to day 20 decides overdue and both levels at once, and
//  the messages say what already happened rather than what will.
static void test_jump_past_every_level(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260420), 4);
    assert_int_equal(count(f, REM, -1, NULL), 0);
    assert_non_null(strstr(find(f, OVD, 0, "H_KT")->text, "Nhiệm vụ đã được báo cáo Phó Chủ tịch phụ trách"));
    assert_non_null(strstr(find(f, ESC, 1, "PCT")->text, "Nhiệm vụ đã được báo cáo Chủ tịch UBND phường."));
}

//  The coordinating unit's own task: level 1 goes to the vice-chairman only.
static void test_coordinating_unit_own_task(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(b_task(&f->b, "V", "VHXH", "A", DUE, 1, 1000, "H_VH"), 0);
    assert_int_equal(decide_task_at_ms(f, "V", at9(20260410)), 2); //  overdue H_VH, escalation PCT
    assert_int_equal(count(f, OVD, 0, "H_VH"), 1);
    assert_int_equal(count(f, ESC, 1, NULL), 1);
    assert_int_equal(count(f, ESC, 1, "PCT"), 1);
    assert_int_equal(count(f, REM, 0, "H_VH"), 0);
}

static void test_failed_verification_goes_to_the_chairman_at_once(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(b_submit(&f->b, "T", 20260310), 0);
    assert_int_equal(b_verify(&f->b, "T", false, 20260311), 0);
    assert_int_equal(decide_at(f, 20260311), 1); //  20 days before the due date
    const cchc_alert_t *ct = find(f, ESC, 2, "CT");
    assert_int_equal(ct->days_overdue, 0);
    assert_non_null(strstr(ct->text, "không đạt yêu cầu khi kiểm tra, xác nhận (lần 1)"));
    assert_non_null(strstr(ct->text, "hạn 31/03/2026"));
    assert_non_null(strstr(ct->text, "Nguyễn Hữu Phúc"));
    //  redone and passed: the Chairman hears it is resolved
    assert_int_equal(b_submit(&f->b, "T", 20260315), 0);
    assert_int_equal(b_verify(&f->b, "T", true, 20260316), 0);
    assert_int_equal(decide_at(f, 20260316), 1);
    assert_int_equal(count(f, RES, 0, "CT"), 1);
    assert_non_null(strstr(find(f, RES, 0, "CT")->text, "đã hoàn thành ngày 15/03/2026 (hạn 31/03/2026)"));
}

static void test_paused_and_cancelled_are_quiet(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(b_pause(&f->b, "T", 20260301), 0);
    assert_int_equal(decide_at(f, 20260325), 0);
    assert_int_equal(decide_at(f, 20260420), 0);
    assert_int_equal(cchc_alerts_next_check_ms(&f->rules, b_task_get(&f->b, "T"), at9(20260420)),
                     CCHC_ALERT_NEVER);
    assert_int_equal(b_resume_at(&f->b, "T", at9(20260421)), 0); //  resumed: due again at once
    assert_int_equal(decide_at(f, 20260421), 4);
    assert_int_equal(b_task(&f->b, "C", "KT", "A", DUE, 1, 1000, "S_KT"), 0);
    assert_int_equal(b_cancel(&f->b, "C", 20260422), 0);
    assert_int_equal(decide_task_at_ms(f, "C", at9(20260501)), 0);
}

//  Done: everyone told of the delay hears it is resolved, nobody else, once;
//  no reminder or overdue alert after that.
static void test_done_resolves_those_alerted(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260324), 2); //  D-7 reminders
    assert_int_equal(decide_at(f, 20260408), 3); //  day 8: overdue, escalation level 1 x2
    assert_int_equal(b_progress(&f->b, "T", 1, 20260409), 0);
    assert_int_equal(b_submit(&f->b, "T", 20260409), 0);
    assert_int_equal(b_verify(&f->b, "T", true, 20260410), 0);
    assert_int_equal(decide_at(f, 20260410), 3);
    assert_int_equal(count(f, RES, 0, "H_KT"), 1);
    assert_int_equal(count(f, RES, 0, "PCT"), 1);
    assert_int_equal(count(f, RES, 0, "H_VH"), 1);
    assert_int_equal(count(f, RES, -1, "S_KT"), 0); //  reminded only
    assert_int_equal(count(f, RES, -1, "CT"), 0);   //  never told
    const cchc_alert_t *r = find(f, RES, 0, "H_KT");
    assert_string_equal(r->text,
                        "Đã xử lý: nhiệm vụ T «Nhiệm vụ thử» (KT) đã hoàn thành ngày 09/04/2026 (hạn "
                        "31/03/2026). Xin thông báo tới đồng chí Vũ Đức Thắng (Cán bộ): cảnh báo về nhiệm "
                        "vụ này đã kết thúc.");
    assert_int_equal(decide_at(f, 20260420), 0); //  day 20: no Chairman, nothing
    assert_int_equal(decide_at(f, 20260601), 0);
    assert_int_equal(cchc_alerts_next_check_ms(&f->rules, b_task_get(&f->b, "T"), at9(20260601)),
                     CCHC_ALERT_NEVER);
}

//  Done early: reminders were all, nothing to resolve.
static void test_done_before_due_needs_no_resolution(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260324), 2);
    assert_int_equal(b_submit(&f->b, "T", 20260325), 0);
    assert_int_equal(b_verify(&f->b, "T", true, 20260326), 0);
    assert_int_equal(decide_at(f, 20260326), 0);
    assert_int_equal(decide_at(f, 20260410), 0);
}

//  The same decision twice creates nothing; nor does a fresh run that
//  knows the keys already decided (what notify loads from its outbox).
static void test_same_decision_twice_creates_nothing(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260420), 4);
    cchc_alerts_decide(&f->rules, b_task_get(&f->b, "T"), at9(20260420), f->b.seq, seen_fn, emit_fn, f);
    assert_int_equal(f->n, 4);
    cchc_strmap_t *reloaded = cchc_strmap_new();
    for (int i = 0; i < f->n; i++)
        cchc_strmap_put(reloaded, f->decided[i]->key, (void *)1);
    cchc_strmap_destroy(&f->seen);
    f->seen = reloaded;
    assert_int_equal(decide_at(f, 20260421), 0);
}

//  Nobody registered for a role: nothing for them yet, decided once they are.
static void test_unregistered_recipient_is_told_once_registered(void **state)
{
    fixture_t *f = *state;
    b_unit(&f->b, "XD", "H_XD", "PCT");
    assert_int_equal(b_task(&f->b, "X", "XD", "A", DUE, 1, 1000, NULL), 0);
    assert_int_equal(decide_task_at_ms(f, "X", at9(20260402)), 0);
    b_official(&f->b, "H_XD", "Lê Văn Nam", "XD", CCHC__OFFICIAL_ROLE__ROLE_HEAD);
    assert_int_equal(decide_task_at_ms(f, "X", at9(20260402)), 1);
    assert_int_equal(count(f, OVD, 0, "H_XD"), 1);
    assert_non_null(strstr(f->decided[0]->text, "Lê Văn Nam"));
}

// ---------------------------------------------------------------------------
//  Settings

static void test_settings(void **state)
{
    fixture_t *f = *state;
    cchc_alert_rules_t r;
    cchc_alert_rules_default(&r);
    assert_int_equal(r.nreminders, 4);
    assert_int_equal(r.reminder_days[0], 7);
    assert_int_equal(r.reminder_days[3], 0);
    assert_int_equal(r.escalate_after_days, 7);
    assert_int_equal(r.chairman_after_days, 15);
    assert_string_equal(r.coordinating_unit, "VHXH");
    assert_int_equal(cchc_alert_rules_parse_days(&r, "1,10,5"), 0);
    assert_int_equal(r.nreminders, 3);
    assert_int_equal(r.reminder_days[0], 10); //  sorted far to near
    assert_int_equal(r.reminder_days[2], 1);
    assert_int_equal(cchc_alert_rules_parse_days(&r, "7,x"), -1);
    assert_int_equal(cchc_alert_rules_parse_days(&r, "7,7"), -1);
    assert_int_equal(cchc_alert_rules_parse_days(&r, "7,"), -1);
    assert_int_equal(cchc_alert_rules_parse_days(&r, "-1"), -1);
    assert_int_equal(cchc_alert_rules_parse_days(&r, "1,2,3,4,5,6,7,8,9"), -1);
    assert_int_equal(r.nreminders, 3); //  unchanged by a failed parse
    assert_int_equal(cchc_alert_rules_parse_days(&r, ""), 0);
    assert_int_equal(r.nreminders, 0);
    //  a D-10 point decides at D-9
    assert_int_equal(cchc_alert_rules_parse_days(&f->rules, "10"), 0);
    assert_int_equal(decide_at(f, 20260322), 2);
    assert_int_equal(count(f, REM, 10, NULL), 2);
    char key[64];
    assert_int_equal(cchc_alert_key(key, sizeof(key), "W", "T", "CT", ESC, 2), 10);
    assert_string_equal(key, "W/T/CT/2/2");
    assert_string_equal(cchc_alert_kind_name(RES), "resolved");
}

// ---------------------------------------------------------------------------
//  When to look again, and the schedule

static void test_next_check(void **state)
{
    fixture_t *f = *state;
    const cchc_task_t *t = b_task_get(&f->b, "T");
    const cchc_alert_rules_t *r = &f->rules;
    assert_int_equal(cchc_alerts_next_check_ms(r, t, at9(20260321)), cchc_date_start_ms(20260324)); //  D-7
    assert_int_equal(cchc_alerts_next_check_ms(r, t, cchc_date_start_ms(20260324)),
                     cchc_date_start_ms(20260328));
    assert_int_equal(cchc_alerts_next_check_ms(r, t, at9(20260330)), cchc_date_start_ms(DUE));
    assert_int_equal(cchc_alerts_next_check_ms(r, t, at9(DUE)), cchc_date_end_ms(DUE));
    assert_int_equal(cchc_alerts_next_check_ms(r, t, cchc_date_end_ms(DUE)), cchc_date_start_ms(20260407));
    assert_int_equal(cchc_alerts_next_check_ms(r, t, at9(20260407)), cchc_date_start_ms(20260415));
    assert_int_equal(cchc_alerts_next_check_ms(r, t, at9(20260415)), CCHC_ALERT_NEVER);
}

static void test_schedule_heap(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 5; i++) {
        char code[8];
        snprintf(code, sizeof(code), "S%d", i);
        assert_int_equal(b_task(&f->b, code, "KT", "A", DUE, 1, 1000, NULL), 0);
    }
    cchc_task_t *t[6] = {b_task_get(&f->b, "T")};
    for (int i = 0; i < 5; i++) {
        char code[8];
        snprintf(code, sizeof(code), "S%d", i);
        t[i + 1] = b_task_get(&f->b, code);
    }
    cchc_alert_schedule_t *s = cchc_alert_schedule_new();
    assert_null(cchc_alert_schedule_pop_due(s, INT64_MAX - 1));
    assert_int_equal(cchc_alert_schedule_next_ms(s), CCHC_ALERT_NEVER);
    int64_t wake[6] = {500, 100, 300, 300, 200, 900};
    for (int i = 0; i < 6; i++)
        cchc_alert_schedule_set(s, t[i], wake[i]);
    assert_int_equal(cchc_alert_schedule_size(s), 6);
    cchc_alert_schedule_set(s, t[5], 50);               //  moved earlier
    cchc_alert_schedule_set(s, t[1], 1000);             //  moved later
    cchc_alert_schedule_set(s, t[4], CCHC_ALERT_NEVER); //  removed
    assert_null(t[4]->user);
    assert_int_equal(cchc_alert_schedule_size(s), 5);
    assert_int_equal(cchc_alert_schedule_next_ms(s), 50);
    assert_null(cchc_alert_schedule_pop_due(s, 49));
    //  due by 600: S4 (50), then S1 and S2 tied at 300 in task order, then T (500)
    cchc_task_t *expect[] = {t[5], t[2], t[3], t[0]};
    for (int i = 0; i < 4; i++)
        assert_ptr_equal(cchc_alert_schedule_pop_due(s, 600), expect[i]);
    assert_null(cchc_alert_schedule_pop_due(s, 600));
    assert_null(t[0]->user);
    assert_int_equal(cchc_alert_schedule_size(s), 1);
    cchc_alert_schedule_destroy(&s); //  frees the entry still scheduled (S0)
    assert_null(s);
    t[1]->user = NULL; //  the destroyed entry; the model must not see it
}

//  Two ways to decide over the same log, each with its own record of keys.
typedef struct {
    cchc_strmap_t *seen;
    size_t n;
} sink_t;

static bool sink_seen(void *arg, const char *key)
{
    return cchc_strmap_get(((sink_t *)arg)->seen, key) != NULL;
}

static void sink_emit(void *arg, cchc_alert_t *a)
{
    sink_t *s = arg;
    cchc_strmap_put(s->seen, a->key, (void *)1);
    s->n++;
    cchc_alert_free(a);
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

typedef struct {
    fixture_t *f;
    cchc_alert_schedule_t *schedule;
    sink_t every, scheduled;
} compare_t;

//  After an event: the reference decides every task; the schedule decides
//  the touched task (every task of the ward after a registration) and the
//  tasks whose instant has come, as notify's main does.
static void after_event(compare_t *c, cchc_task_t *touched, bool registration)
{
    cchc_ward_t *ward = cchc_model_ward(c->f->b.model, "W");
    int64_t now = cchc_model_now(c->f->b.model);
    uint64_t seq = c->f->b.seq;
    for (size_t i = 0; i < ward->ntasks; i++)
        cchc_alerts_decide(&c->f->rules, ward->tasks[i], now, seq, sink_seen, sink_emit, &c->every);
    for (size_t i = 0; i < ward->ntasks; i++) {
        cchc_task_t *t = ward->tasks[i];
        if (registration || t == touched) {
            cchc_alerts_decide(&c->f->rules, t, now, seq, sink_seen, sink_emit, &c->scheduled);
            cchc_alert_schedule_set(c->schedule, t, cchc_alerts_next_check_ms(&c->f->rules, t, now));
        }
    }
    cchc_task_t *due;
    while ((due = cchc_alert_schedule_pop_due(c->schedule, now))) {
        cchc_alerts_decide(&c->f->rules, due, now, seq, sink_seen, sink_emit, &c->scheduled);
        int64_t next = cchc_alerts_next_check_ms(&c->f->rules, due, now);
        assert_true(next > now);
        cchc_alert_schedule_set(c->schedule, due, next);
    }
    assert_int_equal(c->every.n, c->scheduled.n); //  the same alerts at the same event
}

static void test_schedule_decides_as_every_task_after_every_event(void **state)
{
    fixture_t *f = *state;
    b_unit(&f->b, "XD", "H_XD", "PCT"); //  its head registers mid-way
    const char *units[] = {"KT", "VHXH", "XD"}, *leads[] = {"S_KT", "H_VH", NULL};
    const int32_t dues[] = {20260215, 20260301, 20260331, 20260415, 20260430, 20260520, 20260610, 20260630};
    char codes[8][8];
    for (int i = 0; i < 8; i++) {
        snprintf(codes[i], sizeof(codes[i]), "R%d", i);
        assert_int_equal(b_task(&f->b, codes[i], units[i % 3], "A", dues[i], 1, 1000, leads[i % 3]), 0);
    }
    //  rules off the defaults too, to vary the instants
    assert_int_equal(cchc_alert_rules_parse_days(&f->rules, "10,7,3,1,0"), 0);
    f->rules.escalate_after_days = 5;
    f->rules.chairman_after_days = 12;

    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    compare_t c = {f, cchc_alert_schedule_new(), {cchc_strmap_new(), 0}, {cchc_strmap_new(), 0}};
    //  as notify does at start: every task decided at the first event
    cchc_ward_t *ward = cchc_model_ward(f->b.model, "W");
    for (size_t i = 0; i < ward->ntasks; i++)
        cchc_alert_schedule_set(c.schedule, ward->tasks[i], cchc_model_now(f->b.model));
    int64_t now = cchc_model_now(f->b.model);
    bool registered = false;
    for (int step = 0; step < 600; step++) {
        unsigned action = (unsigned)(xorshift(&rng) % 16);
        const char *code = codes[xorshift(&rng) % 8];
        int32_t next_day = cchc_date_add(cchc_date_of_ms(now), 1 + (int)(xorshift(&rng) % 2));
        Cchc__ErrorCode rc = CCHC__ERROR_CODE__ERR_NONE;
        bool registration = false;
        if (!registered && step == 300) {
            b_official(&f->b, "H_XD", "Lê Văn Nam", "XD", CCHC__OFFICIAL_ROLE__ROLE_HEAD);
            registered = registration = true;
            code = NULL;
        } else if (action < 8) {
            now += 60000LL * (int64_t)(1 + xorshift(&rng) % 2880); //  1 minute to 2 days
            assert_int_equal(b_clock_at(&f->b, now), CCHC__ERROR_CODE__ERR_NONE);
            code = NULL;
        } else if (action == 8) {
            rc = b_progress(&f->b, code, 1, next_day);
        } else if (action == 9) {
            rc = b_submit(&f->b, code, next_day);
        } else if (action == 10 || action == 11) {
            rc = b_verify(&f->b, code, action == 10 && xorshift(&rng) % 3 != 0, next_day);
        } else if (action == 12) {
            int32_t due = b_task_get(&f->b, code)->due_target;
            rc = b_deadline(&f->b, code, cchc_date_add(due, 1 + (int)(xorshift(&rng) % 20)),
                            xorshift(&rng) % 2, next_day);
        } else if (action == 13) {
            rc = b_pause(&f->b, code, next_day);
        } else if (action == 14) {
            rc = b_resume_at(&f->b, code, at9(next_day));
        } else if (xorshift(&rng) % 4 == 0) {
            rc = b_cancel(&f->b, code, next_day);
        } else {
            continue;
        }
        if (rc != CCHC__ERROR_CODE__ERR_NONE)
            continue; //  refused by the model: nothing happened
        now = cchc_model_now(f->b.model);
        after_event(&c, code ? b_task_get(&f->b, code) : NULL, registration);
    }
    //  the same keys, and enough of them to have exercised every kind
    assert_int_equal(c.every.n, c.scheduled.n);
    size_t cursor = 0, kinds[4] = {0};
    const char *key;
    void *value;
    while (cchc_strmap_next(c.every.seen, &cursor, &key, &value)) {
        assert_non_null(cchc_strmap_get(c.scheduled.seen, key));
        const char *level = strrchr(key, '/'); //  ".../kind/level": the kind is one digit
        kinds[level[-1] - '0']++;
    }
    for (int k = 0; k < 4; k++)
        assert_true(kinds[k] > 0);
    assert_true(c.every.n > 30);
    //  the schedule holds no entry for the model to trip on
    for (size_t i = 0; i < ward->ntasks; i++)
        cchc_alert_schedule_set(c.schedule, ward->tasks[i], CCHC_ALERT_NEVER);
    cchc_alert_schedule_destroy(&c.schedule);
    cchc_strmap_destroy(&c.every.seen);
    cchc_strmap_destroy(&c.scheduled.seen);
}

// ---------------------------------------------------------------------------
//  Calendar, acknowledgement, silences and delegation

static Cchc__ErrorCode ev_ack(fixture_t *f, const char *actor, const char *task, const char *official,
                              int level, int64_t ms)
{
    Cchc__AlertAcknowledged a = CCHC__ALERT_ACKNOWLEDGED__INIT;
    a.task = (char *)task;
    a.official = (char *)official;
    a.has_kind = a.has_level = true;
    a.kind = level == 0 ? 1 : 2;
    a.level = level;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = (char *)actor;
    ev.payload_case = CCHC__EVENT__PAYLOAD_ALERT_ACKNOWLEDGED;
    ev.alert_acknowledged = &a;
    return builder_apply(&f->b, &ev, ms);
}

static Cchc__ErrorCode ev_silence(fixture_t *f, const char *task, const char *unit, int32_t until, int64_t ms)
{
    Cchc__SilenceSet si = CCHC__SILENCE_SET__INIT;
    si.task = (char *)task;
    si.unit = (char *)unit;
    si.has_until_date = true;
    si.until_date = until;
    si.reason = "Đang trình gia hạn";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_SILENCE_SET;
    ev.silence_set = &si;
    return builder_apply(&f->b, &ev, ms);
}

static Cchc__ErrorCode ev_leave(fixture_t *f, const char *official, int32_t from, int32_t to,
                                const char *deputy, int64_t ms)
{
    Cchc__OfficialLeave l = CCHC__OFFICIAL_LEAVE__INIT;
    l.official = (char *)official;
    l.has_from_date = l.has_to_date = true;
    l.from_date = from;
    l.to_date = to;
    l.deputy = (char *)deputy;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_LEAVE;
    ev.official_leave = &l;
    return builder_apply(&f->b, &ev, ms);
}

//  The shipped 2026 file: eleven days off, Tết 16/02-20/02, weekends off.
static void test_calendar_2026(void **state)
{
    (void)state;
    cchc_calendar_t *cal = cchc_calendar_new();
    char err[256] = "";
    assert_int_equal(
        cchc_calendar_load(cal, CCHC_SOURCE_DIR "/data/calendar/holidays-2026.txt", err, sizeof(err)), 0);
    assert_int_equal(cchc_calendar_holiday_count(cal), 11);
    assert_string_equal(cchc_calendar_holiday(cal, 20260217), "Tết Nguyên đán Bính Ngọ (mùng 1 Tết)");
    assert_false(cchc_calendar_working_day(cal, 20260101)); //  Thursday, Tết Dương lịch
    assert_true(cchc_calendar_working_day(cal, 20260102));  //  Friday
    assert_false(cchc_calendar_working_day(cal, 20260103)); //  Saturday
    assert_false(cchc_calendar_working_day(cal, 20260104)); //  Sunday
    for (int32_t d = 20260214; d <= 20260222; d++)
        assert_false(cchc_calendar_working_day(cal, d)); //  nine days of Tết
    assert_true(cchc_calendar_working_day(cal, 20260223));
    assert_false(cchc_calendar_working_day(cal, 20260427)); //  Giỗ Tổ, moved from Sunday 26/04
    assert_false(cchc_calendar_working_day(cal, 20260430));
    assert_false(cchc_calendar_working_day(cal, 20260501));
    assert_false(cchc_calendar_working_day(cal, 20260902));
    assert_int_equal(cchc_calendar_working_day_after(cal, 20260213, 1), 20260223); //  Friday before Tết
    //  working time 07:30-17:00 by default; another setting
    int64_t mon = cchc_date_start_ms(20260223);
    assert_int_equal(cchc_calendar_next_work_time(cal, mon), mon + (7 * 60 + 30) * 60000LL);
    assert_int_equal(cchc_calendar_next_work_time(cal, mon + 10 * 3600000LL), mon + 10 * 3600000LL);
    assert_int_equal(cchc_calendar_next_work_time(cal, cchc_date_start_ms(20260213) + 18 * 3600000LL),
                     mon + (7 * 60 + 30) * 60000LL); //  Friday evening: Monday after Tết
    assert_int_equal(cchc_calendar_set_hours(cal, "08:00-17:30"), 0);
    assert_int_equal(cchc_calendar_work_start_ms(cal, 20260223), mon + 8 * 3600000LL);
    assert_int_equal(cchc_calendar_set_hours(cal, "17:00-08:00"), -1);
    assert_int_equal(cchc_calendar_set_hours(cal, "8h-17h"), -1);
    cchc_calendar_destroy(&cal);
    assert_null(cal);
    //  a malformed file names its line
    char path[] = "/tmp/cchc-holidays-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("# ok\n01/01/2026 Tết Dương lịch\n\n31/02/2026 Không có\n", fp);
    fclose(fp);
    cal = cchc_calendar_new();
    assert_int_equal(cchc_calendar_load(cal, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":4:"));
    cchc_calendar_destroy(&cal);
    unlink(path);
}

//  Working-day escalation: a task due Wednesday 11/02/2026, just before
//  Tết. Working days after it: 12/02 (1), 13/02 (2), then nine days off,
//  23/02 (3) ... 27/02 (7). Calendar days: day 7 is 18/02, in the middle of
//  Tết. The holiday moves the escalation from 18/02 00:00 to 27/02 07:30.
static void test_holiday_shifts_working_day_escalation(void **state)
{
    fixture_t *f = *state;
    cchc_calendar_t *cal = cchc_calendar_new();
    char err[256];
    assert_int_equal(
        cchc_calendar_load(cal, CCHC_SOURCE_DIR "/data/calendar/holidays-2026.txt", err, sizeof(err)), 0);
    f->rules.calendar = cal;
    f->rules.working_days = true;
    assert_int_equal(b_task(&f->b, "TET", "KT", "A", 20260211, 1, 1000, "S_KT"), 0);
    cchc_task_t *t = b_task_get(&f->b, "TET");
    assert_int_equal(decide_task_at_ms(f, "TET", at9(20260212)), 1); //  overdue at once
    assert_non_null(strstr(find(f, OVD, 0, "H_KT")->text, "Nếu quá hạn 7 ngày làm việc sẽ báo cáo"));
    int64_t at = cchc_calendar_work_start_ms(cal, 20260227);
    assert_int_equal(cchc_alerts_next_check_ms(&f->rules, t, at9(20260212)), at);
    assert_int_equal(decide_task_at_ms(f, "TET", at9(20260218)), 0); //  calendar day 7: nothing
    assert_int_equal(decide_task_at_ms(f, "TET", at - 1), 0);        //  working day 6 and a bit
    assert_int_equal(decide_task_at_ms(f, "TET", at), 2);            //  working day 7, 07:30
    assert_int_equal(find(f, ESC, 1, "PCT")->days_overdue, 16);      //  the text still says calendar days
    assert_non_null(strstr(find(f, ESC, 1, "PCT")->text, "đã quá hạn 16 ngày"));
    assert_non_null(strstr(find(f, ESC, 1, "PCT")->text, "Nếu quá hạn 15 ngày làm việc sẽ báo cáo Chủ tịch"));
    //  the Chairman after 15 working days: 27/02 is the 7th, so 11/03 the 15th
    assert_int_equal(cchc_alerts_next_check_ms(&f->rules, t, at), cchc_calendar_work_start_ms(cal, 20260311));
    assert_int_equal(decide_task_at_ms(f, "TET", at9(20260310)), 0);
    assert_int_equal(decide_task_at_ms(f, "TET", at9(20260311)), 1);
    //  calendar-days mode, same calendar: day 7 is 18/02 at midnight, holiday or not
    f->rules.working_days = false;
    assert_int_equal(b_task(&f->b, "TET2", "KT", "A", 20260211, 1, 1000, "S_KT"), 0);
    cchc_task_t *t2 = b_task_get(&f->b, "TET2");
    assert_int_equal(cchc_alerts_next_check_ms(&f->rules, t2, at9(20260312)), CCHC_ALERT_NEVER);
    int before = f->n;
    cchc_alerts_decide(&f->rules, t2, at9(20260312), f->b.seq, seen_fn, emit_fn, f);
    assert_int_equal(f->n - before, 4); //  overdue, two level 1, the Chairman: all passed
    assert_non_null(strstr(f->decided[before]->text, "Nhiệm vụ đã được báo cáo Phó Chủ tịch phụ trách"));
    cchc_calendar_destroy(&cal);
}

//  Weekends alone: T is due Tuesday 31/03. Working days 01/04 .. 03/04 (1-3),
//  06/04 .. 09/04 (4-7): the escalation comes on Thursday 09/04 at 07:30,
//  not Tuesday 07/04; calendar-days mode keeps 07/04 00:00.
static void test_weekend_shifts_working_day_escalation(void **state)
{
    fixture_t *f = *state;
    cchc_calendar_t *cal = cchc_calendar_new(); //  no holidays
    f->rules.calendar = cal;
    f->rules.working_days = false;
    cchc_task_t *t = b_task_get(&f->b, "T");
    assert_int_equal(cchc_alerts_next_check_ms(&f->rules, t, at9(20260401)), cchc_date_start_ms(20260407));
    f->rules.working_days = true;
    assert_int_equal(cchc_alerts_next_check_ms(&f->rules, t, at9(20260401)),
                     cchc_calendar_work_start_ms(cal, 20260409));
    assert_int_equal(decide_at(f, 20260401), 1);
    assert_int_equal(decide_at(f, 20260408), 0);
    assert_int_equal(decide_at(f, 20260409), 2);
    cchc_calendar_destroy(&cal);
}

//  The head acknowledges the overdue alert: no escalation while it holds,
//  however late; a failed verification ends it (the Chairman hears); done
//  resolves for everyone told.
static void test_ack_stops_escalation(void **state)
{
    fixture_t *f = *state;
    //  nothing to acknowledge before the task is overdue
    assert_int_equal(ev_ack(f, "KT", "T", "H_KT", 0, at9(20260330)), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(decide_at(f, 20260401), 1);
    assert_int_equal(ev_ack(f, "VHXH", "T", "H_VH", 0, at9(20260402)), CCHC__ERROR_CODE__ERR_TASK_NOT_OWNED);
    assert_int_equal(ev_ack(f, "KT", "T", "NOBODY", 0, at9(20260402)),
                     CCHC__ERROR_CODE__ERR_UNKNOWN_OFFICIAL);
    assert_int_equal(ev_ack(f, "KT", "T", "H_KT", 3, at9(20260402)), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(ev_ack(f, "KT", "T", "H_KT", 0, at9(20260402)), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(cchc_task_hold(b_task_get(&f->b, "T"))->ack_level, 0);
    assert_int_equal(decide_at(f, 20260407), 0); //  day 7: no vice-chairman
    assert_int_equal(decide_at(f, 20260420), 0); //  day 20: no Chairman
    assert_int_equal(count(f, ESC, -1, NULL), 0);
    //  a failed verification is a new failure: the acknowledgement ends
    assert_int_equal(b_submit(&f->b, "T", 20260421), 0);
    assert_int_equal(b_verify(&f->b, "T", false, 20260422), 0);
    assert_int_equal(cchc_task_hold(b_task_get(&f->b, "T"))->ack_ms, 0);
    assert_int_equal(decide_at(f, 20260422), 3); //  level 1 (two) and the Chairman now
    assert_int_equal(count(f, ESC, 2, "CT"), 1);
    assert_int_equal(b_submit(&f->b, "T", 20260423), 0);
    assert_int_equal(b_verify(&f->b, "T", true, 20260424), 0);
    assert_int_equal(decide_at(f, 20260424), 4); //  resolved: head, vice-chairman, VHXH, Chairman
    assert_int_equal(count(f, RES, 0, NULL), 4);
}

//  The vice-chairman acknowledges level 1: the Chairman is not told.
static void test_ack_at_level_one_stops_the_chairman(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260408), 3);
    assert_int_equal(ev_ack(f, "ward", "T", "PCT", 1, at9(20260409)), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(decide_at(f, 20260416), 0);
    assert_int_equal(count(f, ESC, 2, NULL), 0);
    //  without the acknowledgement the same decision tells the Chairman
    b_task_get(&f->b, "T")->hold->ack_ms = 0;
    assert_int_equal(decide_at(f, 20260416), 1);
    assert_int_equal(count(f, ESC, 2, "CT"), 1);
}

//  A task silenced until 03/04: nothing at D nor on day 1; when the silence
//  has ended what is due then is decided (overdue; the skipped reminder
//  never). The schedule looks again at the end of the silence.
static void test_silence_expires(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(ev_silence(f, "T", NULL, 20260403, at9(20260330)), CCHC__ERROR_CODE__ERR_NONE);
    cchc_task_t *t = b_task_get(&f->b, "T");
    assert_int_equal(t->hold->silenced_until, 20260403);
    assert_string_equal(t->hold->silence_reason, "Đang trình gia hạn");
    assert_int_equal(cchc_alerts_next_check_ms(&f->rules, t, at9(20260330)), cchc_date_end_ms(20260403));
    assert_int_equal(decide_at(f, 20260331), 0);
    assert_int_equal(decide_at(f, 20260403), 0);
    assert_int_equal(decide_task_at_ms(f, "T", cchc_date_end_ms(20260403) - 1), 0);
    assert_int_equal(decide_task_at_ms(f, "T", cchc_date_end_ms(20260403)), 1);
    assert_int_equal(count(f, OVD, 0, "H_KT"), 1);
    assert_int_equal(count(f, REM, -1, NULL), 0);
    //  validation: reason required, task or unit not both, unknown unit
    Cchc__SilenceSet si = CCHC__SILENCE_SET__INIT;
    si.task = "T";
    si.has_until_date = true;
    si.until_date = 20260410;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_SILENCE_SET;
    ev.silence_set = &si;
    assert_int_equal(builder_apply(&f->b, &ev, at9(20260405)), CCHC__ERROR_CODE__ERR_MISSING_FIELD);
    si.reason = "x";
    si.unit = "KT";
    assert_int_equal(builder_apply(&f->b, &ev, at9(20260405)), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(ev_silence(f, NULL, "NOPE", 20260410, at9(20260405)),
                     CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    ev.actor = "KT";
    assert_int_equal(builder_apply(&f->b, &ev, at9(20260405)), CCHC__ERROR_CODE__ERR_NOT_PERMITTED);
}

//  A unit's silence covers each of its tasks; a new silence ending in the
//  past lifts it.
static void test_unit_silence_and_lifting(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(ev_silence(f, NULL, "KT", 20260430, at9(20260330)), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(b_unit_get(&f->b, "KT")->rec->silenced_until, 20260430);
    assert_int_equal(decide_at(f, 20260408), 0);
    assert_int_equal(ev_silence(f, NULL, "KT", 20260408, at9(20260409)), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(decide_at(f, 20260409), 3); //  overdue and level 1, day 9
}

//  The head is on leave 28/03-02/04 with deputy P_KT: the D-3 reminder and
//  the overdue alert addressed to the head go to the deputy, on the head's
//  behalf; after the leave the head is not told those again, and a new
//  alert goes to the head.
static void test_leave_delegates_to_the_deputy(void **state)
{
    fixture_t *f = *state;
    b_official(&f->b, "P_KT", "Lê Văn Phó", "KT", CCHC__OFFICIAL_ROLE__ROLE_DEPUTY);
    assert_int_equal(ev_leave(f, "H_KT", 20260402, 20260328, "P_KT", at9(20260327)),
                     CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(ev_leave(f, "H_KT", 20260328, 20260402, "H_KT", at9(20260327)),
                     CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    //  no deputy named and none registered for the unit
    assert_int_equal(ev_leave(f, "H_KT", 20260328, 20260402, NULL, at9(20260327)),
                     CCHC__ERROR_CODE__ERR_MISSING_FIELD);
    assert_int_equal(ev_leave(f, "H_KT", 20260328, 20260402, "P_KT", at9(20260327)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(decide_at(f, 20260328), 2); //  D-3
    assert_int_equal(count(f, REM, 3, "H_KT"), 0);
    const cchc_alert_t *d = find(f, REM, 3, "P_KT");
    assert_string_equal(d->key, "W/T/H_KT/0/3"); //  keyed by the addressee
    assert_string_equal(d->person_name, "Lê Văn Phó");
    assert_true(
        !strncmp(d->text,
                 "Gửi đồng chí Lê Văn Phó (Cán bộ), thay đồng chí Vũ Đức Thắng (Cán bộ) nghỉ phép "
                 "từ ngày 28/03/2026 đến ngày 02/04/2026:\nNhắc hạn: nhiệm vụ T",
                 strlen("Gửi đồng chí Lê Văn Phó (Cán bộ), thay đồng chí Vũ Đức Thắng (Cán bộ) nghỉ phép "
                        "từ ngày 28/03/2026 đến ngày 02/04/2026:\nNhắc hạn: nhiệm vụ T")));
    assert_non_null(strstr(d->text, "Đề nghị đồng chí Vũ Đức Thắng, Cán bộ, chỉ đạo")); //  the head's message
    assert_int_equal(count(f, REM, 3, "S_KT"), 1);                                      //  the lead as usual
    assert_int_equal(decide_at(f, 20260401), 1);
    assert_int_equal(count(f, OVD, 0, "P_KT"), 1);
    //  back on 03/04: the head is not told again what the deputy had
    assert_int_equal(decide_at(f, 20260403), 0);
    assert_int_equal(count(f, OVD, 0, "H_KT"), 0);
    //  a new alert for the head after the leave goes to the head
    assert_int_equal(b_task(&f->b, "T2", "KT", "A", 20260410, 1, 1000, "S_KT"), 0);
    assert_int_equal(decide_task_at_ms(f, "T2", at9(20260403)), 2);
    assert_int_equal(count(f, REM, 7, "H_KT"), 1);
    assert_null(strstr(find(f, REM, 7, "H_KT")->text, "nghỉ phép"));
}

//  Deputies chain: the head on leave 28/03-02/04 with deputy P_KT, who is
//  on leave too (27/03-30/03, deputy PCT): the head's D-3 reminder goes to
//  PCT, on the head's behalf; from 31/03, P_KT back, the head's alerts go
//  to P_KT; after the leave the head is not told again what either had. A
//  loop of deputies (PCT on leave with deputy P_KT) ends at the last one
//  before the loop.
static void test_leave_deputies_chain(void **state)
{
    fixture_t *f = *state;
    b_official(&f->b, "P_KT", "Lê Văn Phó", "KT", CCHC__OFFICIAL_ROLE__ROLE_DEPUTY);
    assert_int_equal(ev_leave(f, "H_KT", 20260328, 20260402, "P_KT", at9(20260326)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(ev_leave(f, "P_KT", 20260327, 20260330, "PCT", at9(20260326)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(decide_at(f, 20260328), 2); //  D-3: the head's (to PCT) and the lead's
    assert_int_equal(count(f, REM, 3, "H_KT"), 0);
    assert_int_equal(count(f, REM, 3, "P_KT"), 0);
    const cchc_alert_t *d = find(f, REM, 3, "PCT");
    assert_non_null(d);
    assert_non_null(strstr(d->text, "thay đồng chí Vũ Đức Thắng (Cán bộ) nghỉ phép từ ngày 28/03/2026"));
    assert_int_equal(count(f, REM, 3, "S_KT"), 1);
    //  31/03: P_KT is back and acts for the head: the overdue alert goes to P_KT
    assert_int_equal(decide_at(f, 20260401), 1);
    assert_int_equal(count(f, OVD, 0, "P_KT"), 1);
    //  back on 03/04: neither is repeated to the head
    assert_int_equal(decide_at(f, 20260403), 0);
    assert_int_equal(count(f, OVD, 0, "H_KT"), 0);
    assert_int_equal(count(f, REM, 3, "H_KT"), 0);
    //  a loop: H_XD on leave with deputy PCT, PCT with deputy H_XD: to PCT
    b_official(&f->b, "H_XD", "Lê Văn Nam", "KT", CCHC__OFFICIAL_ROLE__ROLE_STAFF);
    assert_int_equal(ev_leave(f, "H_XD", 20260403, 20260420, "PCT", at9(20260403)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(ev_leave(f, "PCT", 20260403, 20260420, "H_XD", at9(20260403)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(b_task(&f->b, "T2", "KT", "A", 20260410, 1, 1000, "H_XD"), 0);
    assert_int_equal(decide_task_at_ms(f, "T2", at9(20260403)), 2); //  the lead's (to PCT) and the head's
    assert_int_equal(count(f, REM, 7, "PCT"), 1);
    assert_int_equal(count(f, REM, 7, "H_XD"), 0);
    assert_int_equal(count(f, REM, 7, "H_KT"), 1);
}

//  A loop of deputies that does not pass back through the addressee: the
//  head's deputy P_KT names PCT, PCT names P_KT. The alert goes to PCT,
//  the last one reached before the chain would repeat (with seven
//  officials, a walk that ignored repeats would stop at P_KT).
static void test_leave_deputy_loop_elsewhere(void **state)
{
    fixture_t *f = *state;
    b_official(&f->b, "P_KT", "Lê Văn Phó", "KT", CCHC__OFFICIAL_ROLE__ROLE_DEPUTY);
    b_official(&f->b, "X_KT", "Ngô Văn Xuân", "KT", CCHC__OFFICIAL_ROLE__ROLE_STAFF);
    assert_int_equal(f->b.model ? cchc_model_ward(f->b.model, "W")->nofficials : 0, 7);
    assert_int_equal(ev_leave(f, "H_KT", 20260328, 20260402, "P_KT", at9(20260326)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(ev_leave(f, "P_KT", 20260327, 20260402, "PCT", at9(20260326)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(ev_leave(f, "PCT", 20260327, 20260402, "P_KT", at9(20260326)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(decide_at(f, 20260328), 2); //  the head's (to PCT) and the lead's
    assert_int_equal(count(f, REM, 3, "PCT"), 1);
    assert_int_equal(count(f, REM, 3, "P_KT"), 0);
    assert_int_equal(count(f, REM, 3, "H_KT"), 0);
}

//  After an upgrade from the version that keyed a delegated alert by the
//  deputy: the deputy had the head's overdue alert under the old key;
//  back from leave, the head is not told it again.
static void test_leave_keys_before_upgrade(void **state)
{
    fixture_t *f = *state;
    b_official(&f->b, "P_KT", "Lê Văn Phó", "KT", CCHC__OFFICIAL_ROLE__ROLE_DEPUTY);
    assert_int_equal(ev_leave(f, "H_KT", 20260328, 20260402, "P_KT", at9(20260327)),
                     CCHC__ERROR_CODE__ERR_NONE);
    cchc_strmap_put(f->seen, "W/T/P_KT/1/0", (void *)1); //  as the previous version stored it
    assert_int_equal(decide_at(f, 20260403), 0);         //  overdue since 01/04: nothing new for the head
    assert_int_equal(count(f, OVD, 0, "H_KT"), 0);
}

//  A deputy who is also the task's lead gets both reminders of one point:
//  their own and the one on the head's behalf (ALERTS.md, keyed by the
//  addressee).
static void test_leave_deputy_who_leads_gets_both(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(ev_leave(f, "H_KT", 20260328, 20260402, "S_KT", at9(20260327)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(decide_at(f, 20260328), 2);
    assert_int_equal(count(f, REM, 3, "S_KT"), 2);
    assert_int_equal(count(f, REM, 3, "H_KT"), 0);
    bool own = false, behalf = false;
    for (int i = 0; i < f->n; i++) {
        own = own || !strcmp(f->decided[i]->key, "W/T/S_KT/0/3");
        behalf = behalf || !strcmp(f->decided[i]->key, "W/T/H_KT/0/3");
    }
    assert_true(own && behalf);
}

//  A new leave of the same official replaces the previous one: after it,
//  the earlier dates delegate nothing.
static void test_leave_replaced(void **state)
{
    fixture_t *f = *state;
    b_official(&f->b, "P_KT", "Lê Văn Phó", "KT", CCHC__OFFICIAL_ROLE__ROLE_DEPUTY);
    assert_int_equal(ev_leave(f, "H_KT", 20260328, 20260402, "P_KT", at9(20260326)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(ev_leave(f, "H_KT", 20260405, 20260406, "P_KT", at9(20260327)),
                     CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(decide_at(f, 20260328), 2); //  D-3: to the head, not the deputy
    assert_int_equal(count(f, REM, 3, "H_KT"), 1);
    assert_int_equal(count(f, REM, 3, "P_KT"), 0);
}

//  A leave without a deputy named takes the unit's registered deputy.
static void test_leave_takes_the_units_deputy(void **state)
{
    fixture_t *f = *state;
    Cchc__UnitRegistered u = CCHC__UNIT_REGISTERED__INIT;
    u.code = "TC";
    u.name = "Tổ công tác";
    u.head = "H_TC";
    u.deputy = "P_TC";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
    ev.unit_registered = &u;
    assert_int_equal(builder_apply(&f->b, &ev, at9(20260102)), CCHC__ERROR_CODE__ERR_NONE);
    b_official(&f->b, "H_TC", "Phạm Văn Trưởng", "TC", CCHC__OFFICIAL_ROLE__ROLE_HEAD);
    b_official(&f->b, "P_TC", "Hoàng Thị Phó", "TC", CCHC__OFFICIAL_ROLE__ROLE_DEPUTY);
    assert_int_equal(ev_leave(f, "H_TC", 20260301, 20260310, NULL, at9(20260227)),
                     CCHC__ERROR_CODE__ERR_NONE);
    const cchc_official_t *o = cchc_ward_official(cchc_model_ward(f->b.model, "W"), "H_TC");
    assert_non_null(o->leave);
    assert_string_equal(o->leave->deputy, "P_TC");
}

//  A task due Saturday 28/02: working day 7 is Tuesday 10/03, 15 is Friday 20/03.
static void test_working_day_chairman_after_a_restart_gap(void **state)
{
    fixture_t *f = *state;
    cchc_calendar_t *cal = cchc_calendar_new();
    char err[256];
    assert_int_equal(
        cchc_calendar_load(cal, CCHC_SOURCE_DIR "/data/calendar/holidays-2026.txt", err, sizeof(err)), 0);
    f->rules.calendar = cal;
    f->rules.working_days = true;
    assert_int_equal(b_task(&f->b, "M", "KT", "A", 20260228, 1, 1000, "S_KT"), 0);
    assert_int_equal(decide_task_at_ms(f, "M", cchc_date_end_ms(20260310) - 60000), 3);
    assert_int_equal(decide_task_at_ms(f, "M", at9(20260311)), 0);
    assert_int_equal(decide_task_at_ms(f, "M", at9(20260320)), 1);
    cchc_calendar_destroy(&cal);
}

// ---------------------------------------------------------------------------
//  Tier and rank drops (records of scoring's output log)

static const Cchc__AlertKind TIER = CCHC__ALERT_KIND__ALERT_TIER_DROP,
                             RANK = CCHC__ALERT_KIND__ALERT_RANK_DROP;

//  An output record of unit KT: seq, tiers, ranks, scores, at 09:00 on day.
static Cchc__ScoreChange change(uint64_t seq, Cchc__Tier old_tier, Cchc__Tier new_tier, uint32_t old_rank,
                                uint32_t new_rank, int32_t day)
{
    Cchc__ScoreChange c = CCHC__SCORE_CHANGE__INIT;
    c.has_seq = c.has_log_time_ms = c.has_old_tier = c.has_new_tier = c.has_old_rank = c.has_new_rank = true;
    c.has_old_score_centi = c.has_new_score_centi = c.has_input_seq = c.has_cause = true;
    c.seq = seq;
    c.log_time_ms = at9(day);
    c.ward = "W";
    c.unit = "KT";
    c.old_tier = old_tier;
    c.new_tier = new_tier;
    c.old_rank = old_rank;
    c.new_rank = new_rank;
    c.old_score_centi = 9166;
    c.new_score_centi = 6500;
    c.input_seq = 40;
    c.cause = CCHC__CHANGE_CAUSE__CAUSE_LOG;
    return c;
}

static int decide_change(fixture_t *f, const Cchc__ScoreChange *c)
{
    int before = f->n;
    cchc_alerts_decide_change(&f->rules, cchc_model_ward(f->b.model, "W"), c, seen_fn, emit_fn, f);
    return f->n - before;
}

//  tốt -> hoàn thành and rank 1 -> 3: one alert of each kind to the head,
//  keyed by the record's seq, with the exact words; never twice.
static void test_tier_and_rank_drop_to_the_head(void **state)
{
    fixture_t *f = *state;
    Cchc__ScoreChange c = change(7, CCHC__TIER__TIER_GOOD, CCHC__TIER__TIER_COMPLETED, 1, 3, 20260301);
    assert_int_equal(decide_change(f, &c), 2);
    const cchc_alert_t *t = find(f, TIER, 7, "H_KT");
    assert_string_equal(t->key, "W//H_KT/4/7");
    assert_string_equal(t->task, "");
    assert_string_equal(t->unit, "KT");
    assert_int_equal(t->due_date, 0);
    assert_int_equal(t->decided_ms, at9(20260301));
    assert_int_equal(t->cause_seq, 40);
    assert_string_equal(
        t->text, "Tụt xếp loại: KT giảm từ «Hoàn thành tốt nhiệm vụ» xuống «Hoàn thành nhiệm vụ» ngày "
                 "01/03/2026; điểm 91,66 → 65,00, hạng 1 → 3. Đề nghị đồng chí Vũ Đức Thắng, Cán bộ, "
                 "rà soát tiến độ, chất lượng các nhiệm vụ của đơn vị, chỉ đạo khắc phục; xem chi tiết "
                 "bằng lệnh cchc --ward W explain KT.");
    const cchc_alert_t *r = find(f, RANK, 7, "H_KT");
    assert_string_equal(r->key, "W//H_KT/5/7");
    assert_string_equal(
        r->text, "Tụt hạng: KT giảm từ hạng 1 xuống hạng 3 (2 bậc) trong bảng xếp hạng cải cách hành "
                 "chính của phường ngày 01/03/2026; điểm 91,66 → 65,00, xếp loại «Hoàn thành nhiệm vụ». "
                 "Đề nghị đồng chí Vũ Đức Thắng, Cán bộ, rà soát tiến độ, chất lượng các nhiệm vụ của đơn "
                 "vị, chỉ đạo khắc phục; xem chi tiết bằng lệnh cchc --ward W explain KT.");
    assert_int_equal(decide_change(f, &c), 0); //  the same record again: nothing
    c.seq = 8;                                 //  another record with the same drop: alerted again
    assert_int_equal(decide_change(f, &c), 2);
    //  Down to Không hoàn thành: now the head answers to the Chairman.
    c = change(9, CCHC__TIER__TIER_COMPLETED, CCHC__TIER__TIER_NOT_COMPLETED, 3, 3, 20260310);
    assert_int_equal(decide_change(f, &c), 1);
    const cchc_alert_t *n = find(f, TIER, 9, "H_KT");
    assert_non_null(strstr(n->text,
                           "hạng 3 → 3. Đơn vị xếp loại Không hoàn thành nhiệm vụ: người đứng đầu chịu "
                           "trách nhiệm trước Chủ tịch UBND phường và đơn vị không đủ điều kiện xét thi "
                           "đua. Đề nghị đồng chí Vũ Đức Thắng"));
    assert_null(strstr(t->text, "chịu trách nhiệm"));
}

//  What is not a drop, and the settings.
static void test_drop_rules(void **state)
{
    fixture_t *f = *state;
    const Cchc__Tier U = CCHC__TIER__TIER_UNRATED, X = CCHC__TIER__TIER_EXCELLENT, G = CCHC__TIER__TIER_GOOD,
                     C = CCHC__TIER__TIER_COMPLETED, N = CCHC__TIER__TIER_NOT_COMPLETED;
    Cchc__ScoreChange c = change(1, G, X, 3, 1, 20260301); //  better tier and rank
    assert_int_equal(decide_change(f, &c), 0);
    c = change(2, U, N, 0, 2, 20260301); //  first rated, first ranked
    assert_int_equal(decide_change(f, &c), 0);
    c = change(3, C, U, 2, 2, 20260301); //  unrated again: not a drop
    assert_int_equal(decide_change(f, &c), 0);
    c = change(4, U, U, 1, 3, 20260301); //  unrated: a place among them by unit code means nothing
    assert_int_equal(decide_change(f, &c), 0);
    c = change(4, C, U, 1, 3, 20260301);
    assert_int_equal(decide_change(f, &c), 0);
    c = change(4, G, G, 2, 2, 20260301); //  score only
    assert_int_equal(decide_change(f, &c), 0);
    c = change(5, X, N, 2, 2, 20260301); //  tier only
    assert_int_equal(decide_change(f, &c), 1);
    assert_int_equal(count(f, TIER, 5, "H_KT"), 1);
    c = change(6, G, G, 1, 2, 20260301); //  rank only, one place
    assert_int_equal(decide_change(f, &c), 1);
    assert_int_equal(count(f, RANK, 6, "H_KT"), 1);
    f->rules.rank_drop_min = 2;
    c = change(7, G, G, 1, 2, 20260301);
    assert_int_equal(decide_change(f, &c), 0);
    c = change(8, G, G, 1, 3, 20260301);
    assert_int_equal(decide_change(f, &c), 1);
    f->rules.rank_drop_min = 0; //  off
    f->rules.tier_drop = false; //  off
    c = change(9, G, N, 1, 3, 20260301);
    assert_int_equal(decide_change(f, &c), 0);
    f->rules.tier_drop = true;
    c.unit = "NOPE"; //  an unknown unit: nothing
    assert_int_equal(decide_change(f, &c), 0);
    cchc_alerts_decide_change(&f->rules, NULL, &c, seen_fn, emit_fn, f); //  an unknown ward
    assert_int_equal(f->n, 3);
    //  a record of a change of rules says so
    c = change(10, G, C, 1, 1, 20260301);
    c.cause = CCHC__CHANGE_CAUSE__CAUSE_RULES;
    assert_int_equal(decide_change(f, &c), 1);
    assert_non_null(
        strstr(find(f, TIER, 10, "H_KT")->text,
               "Thay đổi này do quy tắc chấm điểm của phường được điều chỉnh, không do sự kiện mới "
               "của đơn vị."));
    assert_null(strstr(find(f, TIER, 5, "H_KT")->text, "quy tắc chấm điểm"));
    assert_null(strstr(find(f, TIER, 5, "H_KT")->text, "Điểm không giảm"));
    //  the score did not fall: a gate no longer holds, and the message says so
    c = change(11, X, G, 1, 1, 20260301);
    c.new_score_centi = c.old_score_centi;
    assert_int_equal(decide_change(f, &c), 1);
    assert_non_null(
        strstr(find(f, TIER, 11, "H_KT")->text,
               "điểm 91,66 → 91,66, hạng 1 → 1. Điểm không giảm: xếp loại giảm vì đơn vị không còn "
               "đáp ứng điều kiện của mức xếp loại trước. Đề nghị"));
}

//  A unit silenced through 05/03 hears of no drop then; a drop after it is
//  alerted. A head on leave: the deputy gets it, on the head's behalf.
static void test_drop_silence_and_leave(void **state)
{
    fixture_t *f = *state;
    const Cchc__Tier G = CCHC__TIER__TIER_GOOD, C = CCHC__TIER__TIER_COMPLETED;
    assert_int_equal(ev_silence(f, NULL, "KT", 20260305, at9(20260228)), CCHC__ERROR_CODE__ERR_NONE);
    Cchc__ScoreChange c = change(1, G, C, 1, 1, 20260305);
    assert_int_equal(decide_change(f, &c), 0);
    c = change(2, G, C, 1, 1, 20260306);
    assert_int_equal(decide_change(f, &c), 1);
    b_official(&f->b, "P_KT", "Lê Văn Phó", "KT", CCHC__OFFICIAL_ROLE__ROLE_DEPUTY);
    assert_int_equal(ev_leave(f, "H_KT", 20260310, 20260312, "P_KT", at9(20260309)),
                     CCHC__ERROR_CODE__ERR_NONE);
    c = change(3, G, C, 1, 1, 20260311);
    assert_int_equal(decide_change(f, &c), 1);
    assert_int_equal(count(f, TIER, 3, "H_KT"), 0);
    const cchc_alert_t *d = find(f, TIER, 3, "P_KT");
    assert_string_equal(d->key, "W//H_KT/4/3"); //  keyed by the addressee
    assert_true(
        !strncmp(d->text, "Gửi đồng chí Lê Văn Phó (Cán bộ), thay đồng chí Vũ Đức Thắng (Cán bộ) nghỉ phép",
                 strlen("Gửi đồng chí Lê Văn Phó (Cán bộ), thay đồng chí Vũ Đức Thắng (Cán bộ) nghỉ phép")));
    c = change(4, G, C, 1, 1, 20260313); //  back from leave
    assert_int_equal(decide_change(f, &c), 1);
    assert_int_equal(count(f, TIER, 4, "H_KT"), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reminder_d7_to_lead_and_head),
        T(test_jump_decides_only_the_nearest_reminder),
        T(test_head_leading_the_task_is_reminded_once),
        T(test_overdue_day1_to_the_head_only),
        T(test_escalation_day7_then_chairman_day15),
        T(test_jump_past_every_level),
        T(test_coordinating_unit_own_task),
        T(test_failed_verification_goes_to_the_chairman_at_once),
        T(test_paused_and_cancelled_are_quiet),
        T(test_done_resolves_those_alerted),
        T(test_done_before_due_needs_no_resolution),
        T(test_same_decision_twice_creates_nothing),
        T(test_unregistered_recipient_is_told_once_registered),
        T(test_settings),
        T(test_next_check),
        T(test_schedule_heap),
        T(test_schedule_decides_as_every_task_after_every_event),
        T(test_calendar_2026),
        T(test_holiday_shifts_working_day_escalation),
        T(test_weekend_shifts_working_day_escalation),
        T(test_ack_stops_escalation),
        T(test_ack_at_level_one_stops_the_chairman),
        T(test_silence_expires),
        T(test_unit_silence_and_lifting),
        T(test_leave_delegates_to_the_deputy),
        T(test_leave_deputies_chain),
        T(test_leave_deputy_who_leads_gets_both),
        T(test_leave_replaced),
        T(test_leave_deputy_loop_elsewhere),
        T(test_leave_keys_before_upgrade),
        T(test_leave_takes_the_units_deputy),
        T(test_working_day_chairman_after_a_restart_gap),
        T(test_tier_and_rank_drop_to_the_head),
        T(test_drop_rules),
        T(test_drop_silence_and_leave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
