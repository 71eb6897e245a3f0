/*  test_alerts.c - who is alerted, when, and never twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "builder.h"
#include "clock.h"
#include "strmap.h"

//  Ward: Chairman CT, vice-chairman PCT; unit KT (head H_KT, staff S_KT) and
//  the coordinating unit VHXH (head H_VH). Task T due 31/03/2026, led by S_KT.
typedef struct {
    builder_t b;
    cchc_alert_rules_t rules;
    cchc_strmap_t *seen;
    cchc_alert_t *decided[64];
    int n;
} fixture_t;

static bool seen_fn(void *arg, const char *key)
{
    return cchc_strmap_get(((fixture_t *)arg)->seen, key) != NULL;
}

static void emit_fn(void *arg, cchc_alert_t *a)
{
    fixture_t *f = arg;
    cchc_strmap_put(f->seen, a->key, (void *)1);
    assert_true(f->n < 64);
    f->decided[f->n++] = a;
}

static int setup(void **state)
{
    static fixture_t f;
    memset(&f, 0, sizeof(f));
    builder_init(&f.b);
    b_area(&f.b, "A", 100);
    b_unit(&f.b, "KT", "H_KT", "PCT");
    b_unit(&f.b, "VHXH", "H_VH", "PCT");
    b_official(&f.b, "CT", "Nguyễn Hữu Phúc", NULL, CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN);
    b_official(&f.b, "PCT", "Trần Văn Hùng", NULL, CCHC__OFFICIAL_ROLE__ROLE_VICE_CHAIRMAN);
    b_official(&f.b, "H_KT", "Vũ Đức Thắng", "KT", CCHC__OFFICIAL_ROLE__ROLE_HEAD);
    b_official(&f.b, "S_KT", "Bùi Thị Hương", "KT", CCHC__OFFICIAL_ROLE__ROLE_STAFF);
    b_official(&f.b, "H_VH", "Đặng Thị Mai", "VHXH", CCHC__OFFICIAL_ROLE__ROLE_HEAD);
    assert_int_equal(b_task(&f.b, "T", "KT", "A", 20260331, 1, 1000, "S_KT"), 0);
    cchc_alert_rules_default(&f.rules);
    f.seen = cchc_strmap_new();
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < f->n; i++)
        cchc_alert_free(f->decided[i]);
    cchc_strmap_destroy(&f->seen);
    builder_free(&f->b);
    return 0;
}

//  Decide at 09:00 of day (the clock moves there first); returns how many
//  new alerts were decided.
static int decide_at(fixture_t *f, int32_t day)
{
    b_clock(&f->b, day);
    int before = f->n;
    cchc_alerts_decide(&f->rules, b_task_get(&f->b, "T"), at9(day), f->b.seq, seen_fn, emit_fn, f);
    return f->n - before;
}

static int count(fixture_t *f, Cchc__AlertKind kind, int level, const char *person)
{
    int n = 0;
    for (int i = 0; i < f->n; i++)
        if (f->decided[i]->kind == kind && (level < 0 || f->decided[i]->level == level) &&
            (!person || !strcmp(f->decided[i]->person, person)))
            n++;
    return n;
}

static void test_reminders(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260320), 0); //  D-11: nothing yet
    assert_int_equal(decide_at(f, 20260324), 2); //  D-7 to the lead and the head
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_REMINDER, 7, "S_KT"), 1);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_REMINDER, 7, "H_KT"), 1);
    assert_int_equal(decide_at(f, 20260325), 0); //  same point again: nothing
    assert_int_equal(decide_at(f, 20260331), 2); //  jump to D: only level 0, not 3 and 1
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_REMINDER, 3, NULL), 0);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_REMINDER, 1, NULL), 0);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_REMINDER, 0, NULL), 2);
    assert_non_null(strstr(f->decided[f->n - 1]->text, "31/03/2026"));
    assert_non_null(strstr(f->decided[f->n - 1]->text, "Vũ Đức Thắng"));
}

static void test_overdue_and_escalation(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260401), 1); //  day 1 overdue: the head only
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_OVERDUE, 0, "H_KT"), 1);
    assert_int_equal(f->decided[0]->days_overdue, 1);
    assert_non_null(strstr(f->decided[0]->text, "quá hạn 1 ngày"));
    assert_int_equal(decide_at(f, 20260406), 0); //  day 6: nothing new
    assert_int_equal(decide_at(f, 20260407), 2); //  day 7: vice-chairman + VHXH head
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_ESCALATION, 1, "PCT"), 1);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_ESCALATION, 1, "H_VH"), 1);
    assert_int_equal(decide_at(f, 20260415), 1); //  day 15: the Chairman
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_ESCALATION, 2, "CT"), 1);
    assert_non_null(strstr(f->decided[f->n - 1]->text, "cấp báo cáo cuối cùng"));
    assert_int_equal(decide_at(f, 20260430), 0); //  never twice
    //  done: everyone alerted hears it is resolved, nobody else
    b_progress(&f->b, "T", 1, 20260501);
    b_submit(&f->b, "T", 20260501);
    b_verify(&f->b, "T", true, 20260501);
    assert_int_equal(decide_at(f, 20260502), 4);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_RESOLVED, 0, NULL), 4);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_RESOLVED, 0, "S_KT"), 0);
    assert_int_equal(decide_at(f, 20260601), 0);
}

//  A jump straight to day 20 decides overdue and both escalation levels at once.
static void test_jump_past_everything(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(decide_at(f, 20260420), 4);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_REMINDER, -1, NULL), 0);
}

static void test_failed_verification_goes_to_the_chairman(void **state)
{
    fixture_t *f = *state;
    b_submit(&f->b, "T", 20260310);
    b_verify(&f->b, "T", false, 20260311);
    assert_int_equal(decide_at(f, 20260312), 1);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_ESCALATION, 2, "CT"), 1);
    assert_non_null(strstr(f->decided[0]->text, "không đạt"));
}

static void test_paused_and_cancelled_are_quiet(void **state)
{
    fixture_t *f = *state;
    b_pause(&f->b, "T", 20260301);
    assert_int_equal(decide_at(f, 20260420), 0);
    b_cancel(&f->b, "T", 20260421);
    assert_int_equal(decide_at(f, 20260520), 0);
}

//  The coordinating unit's own task: the vice-chairman only at level 1.
static void test_coordinating_unit_own_task(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(b_task(&f->b, "V", "VHXH", "A", 20260331, 1, 1000, "H_VH"), 0);
    b_clock(&f->b, 20260410);
    cchc_alerts_decide(&f->rules, b_task_get(&f->b, "V"), at9(20260410), f->b.seq, seen_fn, emit_fn, f);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_ESCALATION, 1, NULL), 1);
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_ESCALATION, 1, "PCT"), 1);
}

static void test_settings(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(cchc_alert_rules_parse_days(&f->rules, "1,10,5"), 0);
    assert_int_equal(f->rules.nreminders, 3);
    assert_int_equal(f->rules.reminder_days[0], 10); //  sorted far to near
    assert_int_equal(cchc_alert_rules_parse_days(&f->rules, "7,x"), -1);
    assert_int_equal(decide_at(f, 20260322), 2); //  D-9 >= D-10 point
    assert_int_equal(count(f, CCHC__ALERT_KIND__ALERT_REMINDER, 10, NULL), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reminders),
        T(test_overdue_and_escalation),
        T(test_jump_past_everything),
        T(test_failed_verification_goes_to_the_chairman),
        T(test_paused_and_cancelled_are_quiet),
        T(test_coordinating_unit_own_task),
        T(test_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
