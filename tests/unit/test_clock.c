/*  test_clock.c - calendar arithmetic in Asia/Ho_Chi_Minh and the two clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "clock.h"

static void test_date_validity(void **state)
{
    (void)state;
    assert_true(cchc_date_valid(20240229)); //  leap year
    assert_false(cchc_date_valid(20260229));
    assert_false(cchc_date_valid(21000229)); //  century, not leap
    assert_true(cchc_date_valid(20000229));  //  400-year leap
    assert_false(cchc_date_valid(20260431));
    assert_false(cchc_date_valid(20261301));
    assert_false(cchc_date_valid(20260100));
    assert_true(cchc_date_valid(20261231));
}

static void test_local_day_boundaries(void **state)
{
    (void)state;
    //  31/03/2026 ends at local midnight = 2026-03-31T17:00:00Z = 1774976400 s
    assert_int_equal(cchc_date_end_ms(20260331), 1774976400000LL);
    assert_int_equal(cchc_date_start_ms(20260401), 1774976400000LL);
    assert_int_equal(cchc_date_of_ms(1774976400000LL - 1), 20260331);
    assert_int_equal(cchc_date_of_ms(1774976400000LL), 20260401);
    //  06:59:59Z on 01/01 is still 13:59:59 local on 01/01; 17:00Z is 02/01
    assert_int_equal(cchc_date_of_ms(1767250800000LL), 20260101); //  2026-01-01T07:00:00Z
    assert_int_equal(cchc_date_of_ms(1767286800000LL), 20260102); //  2026-01-01T17:00:00Z
}

static void test_date_arithmetic(void **state)
{
    (void)state;
    assert_int_equal(cchc_date_add(20260131, 1), 20260201);
    assert_int_equal(cchc_date_add(20260228, 1), 20260301);
    assert_int_equal(cchc_date_add(20261231, 1), 20270101);
    assert_int_equal(cchc_date_add(20260301, -1), 20260228);
    assert_int_equal(cchc_date_add(20240301, -1), 20240229);
    assert_int_equal(cchc_date_diff(20260101, 20261231), 364);
    assert_int_equal(cchc_date_diff(20260331, 20260301), -30);
}

static void test_format_and_parse(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(cchc_date_format(20260305, buf, sizeof(buf)), "05/03/2026");
    int32_t d;
    assert_int_equal(cchc_date_parse("05/03/2026", &d), 0);
    assert_int_equal(d, 20260305);
    assert_int_equal(cchc_date_parse("2026-03-05", &d), 0);
    assert_int_equal(d, 20260305);
    assert_int_equal(cchc_date_parse("31/02/2026", &d), -1);
    assert_int_equal(cchc_date_parse("5/3/2026", &d), -1);
    assert_int_equal(cchc_date_parse("05/03/2026x", &d), -1);
    int64_t ms;
    assert_int_equal(cchc_time_parse("2026-01-01T00:00:00+07:00", &ms), 0);
    assert_int_equal(ms, 1767200400000LL);
    assert_int_equal(cchc_time_parse("2025-12-31T17:00:00Z", &ms), 0);
    assert_int_equal(ms, 1767200400000LL);
    assert_int_equal(cchc_time_parse("01/01/2026", &ms), 0); //  local midnight
    assert_int_equal(ms, 1767200400000LL);
    assert_int_equal(cchc_time_parse("31/03/2026 17:30", &ms), 0);
    assert_string_equal(cchc_time_format(ms, buf, sizeof(buf)), "31/03/2026 17:30");
    assert_int_equal(cchc_time_parse("2026-01-01T25:00", &ms), -1);
    assert_int_equal(cchc_time_parse("", &ms), -1);
}

static void test_clocks(void **state)
{
    (void)state;
    cchc_clock_t manual, wall;
    cchc_clock_init(&manual, true, 1000);
    assert_int_equal(cchc_clock_now(&manual), 1000);
    assert_int_equal(cchc_clock_set(&manual, 5000), 0);
    assert_int_equal(cchc_clock_now(&manual), 5000);
    assert_int_equal(cchc_clock_set(&manual, 4999), -2); //  never back
    assert_int_equal(cchc_clock_now(&manual), 5000);
    cchc_clock_init(&wall, false, 0);
    assert_int_equal(cchc_clock_set(&wall, 5000), -1);
    assert_true(cchc_clock_now(&wall) > 1767200400000LL); //  after 01/01/2026
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_validity),   cmocka_unit_test(test_local_day_boundaries),
        cmocka_unit_test(test_date_arithmetic), cmocka_unit_test(test_format_and_parse),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
