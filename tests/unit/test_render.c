/*  test_render.c - what people and machines read: display width of
    Vietnamese text, decimal commas, JSON escaping, exact decimal parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(cchc_display_width("Hoàn thành xuất sắc"), 19); //  precomposed (NFC)
    assert_int_equal(cchc_display_width("Ho\xcc\x80"
                                        "an"),
                     4); //  "Hoàn" with a combining grave accent (NFD)
    assert_int_equal(cchc_display_width("Đơn vị"), 6);
    assert_int_equal(cchc_display_width(""), 0);
    char buf[64];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    cchc_print_padded(f, "Điểm", 6, 1);
    cchc_print_padded(f, "|", 1, 0);
    fclose(f);
    assert_string_equal(buf, "  Điểm|");
}

static void test_numbers(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(cchc_format_score(8750, buf, sizeof(buf)), "87,50");
    assert_string_equal(cchc_format_score(5, buf, sizeof(buf)), "0,05");
    assert_string_equal(cchc_format_score(10000, buf, sizeof(buf)), "100,00");
    assert_string_equal(cchc_format_pct(833333, buf, sizeof(buf)), "83,3%");
    assert_string_equal(cchc_format_pct(1000000, buf, sizeof(buf)), "100,0%");
    int64_t v;
    assert_int_equal(cli_parse_fixed("1.5", 1000, &v), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(cli_parse_fixed("87,25", 100, &v), 0);
    assert_int_equal(v, 8725);
    assert_int_equal(cli_parse_fixed("2", 1000, &v), 0);
    assert_int_equal(v, 2000);
    assert_int_equal(cli_parse_fixed("0.1234", 1000, &v), -1); //  more precision than milli
    assert_int_equal(cli_parse_fixed("0.1230", 1000, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(cli_parse_fixed("abc", 1000, &v), -1);
    assert_int_equal(cli_parse_fixed("", 1000, &v), -1);
}

static void test_json_string(void **state)
{
    (void)state;
    char buf[128];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    cchc_json_string(f, "nói \"đúng\"\\\n\x01");
    fclose(f);
    assert_string_equal(buf, "\"nói \\\"đúng\\\"\\\\\\n\\u0001\"");
}

static void test_tiers(void **state)
{
    (void)state;
    assert_string_equal(cchc_tier_label_vi(CCHC__TIER__TIER_EXCELLENT), "Hoàn thành xuất sắc");
    assert_string_equal(cchc_tier_name(CCHC__TIER__TIER_NOT_COMPLETED), "not_completed");
    assert_string_equal(cchc_tier_label_vi(CCHC__TIER__TIER_UNRATED), "Chưa đánh giá");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_tiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
