/*  test_log.c - JSON lines: escaping, typed fields, level filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

//  Run one log call with stderr captured; returns what was written.
static char g_out[4096];

static void capture_begin(int fds[2], int *saved)
{
    assert_int_equal(pipe(fds), 0);
    *saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
}

static const char *capture_end(int fds[2], int saved)
{
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], g_out, sizeof(g_out) - 1);
    g_out[n > 0 ? n : 0] = 0;
    close(fds[0]);
    return g_out;
}

static void test_json_line(void **state)
{
    (void)state;
    cchc_log_init("intake", CCHC_INFO, "json");
    int fds[2], saved;
    capture_begin(fds, &saved);
    cchc_log(CCHC_INFO, "commit", "batch=%d ms=%.2f ward=%s seq=%llu size=%zu", 12, 3.14159,
             "Lê \"Thanh\"\nNghị", 18446744073709551615ULL, (size_t)7);
    const char *out = capture_end(fds, saved);
    assert_non_null(strstr(out, "\"level\":\"info\",\"service\":\"intake\",\"event\":\"commit\""));
    assert_non_null(strstr(out, "\"batch\":12,\"ms\":3.14,"));
    assert_non_null(strstr(out, "\"ward\":\"Lê \\\"Thanh\\\"\\nNghị\""));
    assert_non_null(strstr(out, "\"seq\":18446744073709551615,\"size\":7}\n"));
    assert_int_equal(out[0], '{');
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1); //  one event, one line
}

static void test_level_filter_and_text(void **state)
{
    (void)state;
    cchc_log_init("scoring", CCHC_WARN, "text");
    int fds[2], saved;
    capture_begin(fds, &saved);
    cchc_log(CCHC_INFO, "hidden", "x=%d", 1);
    cchc_log(CCHC_ERROR, "shown", "unit=%s", "VHXH");
    const char *out = capture_end(fds, saved);
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "error scoring shown unit=VHXH"));
    assert_int_equal(cchc_log_level_parse("warn"), CCHC_WARN);
    assert_int_equal(cchc_log_level_parse("loud"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_level_filter_and_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
