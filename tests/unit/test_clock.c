/*  test_clock.c - calendar arithmetic in Asia/Ho_Chi_Minh and the two clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

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

static void assert_valid_after_add(int32_t date, int32_t days, int32_t expect)
{
    int32_t got = cchc_date_add(date, days);
    assert_int_equal(got, expect);
    assert_true(cchc_date_valid(got));
    assert_int_equal(cchc_date_diff(date, got), days);
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
    assert_int_equal(cchc_date_diff(20261231, 20270101), 1);  //  across the year end
    assert_int_equal(cchc_date_diff(20240228, 20240301), 2);  //  across a leap day
    assert_int_equal(cchc_date_diff(20270101, 20261225), -7); //  backwards across the year end
    assert_int_equal(cchc_date_add(20270101, -1), 20261231);
    assert_int_equal(cchc_date_add(20260115, 365), 20270115);
    assert_int_equal(cchc_date_add(20240115, 366), 20250115);
    assert_valid_after_add(20261225, 14, 20270108);
}

//  Every day from 01/01/1970 to 31/12/2099 against the C library's UTC
//  calendar (timegm is only an oracle here): add, diff, validity, local day
//  boundaries and dd/mm/yyyy round trips.
static void test_every_day_against_libc(void **state)
{
    (void)state;
    int days = 0;
    for (time_t t = 0; t < 4102444800; t += 86400, days++) { //  4102444800 = 2100-01-01T00:00:00Z
        struct tm tm;
        gmtime_r(&t, &tm);
        int32_t date = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
        assert_true(cchc_date_valid(date));
        assert_int_equal(cchc_date_add(19700101, days), date);
        assert_int_equal(cchc_date_diff(19700101, date), days);
        //  local midnight is 17:00Z of the day before
        int64_t start = (int64_t)t * 1000 - CCHC_TZ_OFFSET_MS;
        assert_int_equal(cchc_date_start_ms(date), start);
        assert_int_equal(cchc_date_end_ms(date), start + CCHC_DAY_MS);
        assert_int_equal(cchc_date_of_ms(start), date);
        assert_int_equal(cchc_date_of_ms(start + CCHC_DAY_MS - 1), date);
        char buf[16];
        int32_t back;
        assert_int_equal(cchc_date_parse(cchc_date_format(date, buf, sizeof(buf)), &back), 0);
        assert_int_equal(back, date);
        //  the day after the last of the month is not a date
        if (tm.tm_mday >= 28 && cchc_date_add(date, 1) % 100 == 1)
            assert_false(cchc_date_valid(date + 1));
    }
    assert_int_equal(days, 47482);
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
    assert_int_equal(cchc_time_parse("2026-03-31T23:59:59", &ms), 0); //  local, no offset
    assert_int_equal(ms, cchc_date_end_ms(20260331) - 1000);
    assert_int_equal(cchc_time_parse("2026-03-31T12:00-05:30", &ms), 0);
    assert_int_equal(ms, 1774978200000LL); //  2026-03-31T17:30:00Z
    assert_string_equal(cchc_time_format(ms, buf, sizeof(buf)), "01/04/2026 00:30");
    assert_int_equal(cchc_time_parse("2026-03-31T12:00+25:00", &ms), -1);
    assert_int_equal(cchc_time_parse("2026-03-31T12:60", &ms), -1);
    assert_int_equal(cchc_time_parse("2026-02-29T10:00", &ms), -1);
    assert_int_equal(cchc_time_parse("2026-03-31T12:00Zjunk", &ms), -1);
    assert_int_equal(cchc_date_parse("1969-12-31", &d), -1); //  before 1970
    assert_int_equal(cchc_date_parse("29/02/2024", &d), 0);
    assert_int_equal(d, 20240229);
    //  round trips of local date-times at minute resolution, one per 7 h 13 min over two years
    for (int64_t t = 1767200400000LL; t < 1767200400000LL + 2 * 366 * CCHC_DAY_MS; t += 26000000LL) {
        int64_t minute = t - t % 60000, back;
        assert_int_equal(cchc_time_parse(cchc_time_format(minute, buf, sizeof(buf)), &back), 0);
        assert_int_equal(back, minute);
    }
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
        cmocka_unit_test(test_clocks),          cmocka_unit_test(test_every_day_against_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
