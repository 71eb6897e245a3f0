/*  test_csv.c - RFC 4180 reading: quotes, embedded commas, quotes and line
    breaks, CRLF, UTF-8, and errors that name the file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"

static char g_path[64];

static void write_file(const char *text)
{
    snprintf(g_path, sizeof(g_path), "/tmp/cchc-test-%d.csv", (int)getpid());
    FILE *f = fopen(g_path, "w");
    fputs(text, f);
    fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return 0;
}

static void test_quotes_and_utf8(void **state)
{
    (void)state;
    write_file("\xEF\xBB\xBF"
               "code,name,note\r\n"
               "KTHTDT,\"Phòng Kinh tế, Hạ tầng và Đô thị\",\"nói \"\"đúng hạn\"\"\"\r\n"
               "\r\n"
               "VHXH,Phòng Văn hóa - Xã hội,\"hai\ndòng\"\n"
               "VP,Văn phòng HĐND và UBND,");
    char err[256];
    cchc_csv_t *csv = cchc_csv_open(g_path, err, sizeof(err));
    assert_non_null(csv);
    const char *cols[] = {"code", "name", NULL};
    assert_int_equal(cchc_csv_require(csv, cols, err, sizeof(err)), 0);
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 1);
    assert_string_equal(cchc_csv_field(csv, "code"), "KTHTDT"); //  BOM skipped
    assert_string_equal(cchc_csv_field(csv, "name"), "Phòng Kinh tế, Hạ tầng và Đô thị");
    assert_string_equal(cchc_csv_field(csv, "note"), "nói \"đúng hạn\"");
    assert_int_equal(cchc_csv_line(csv), 2);
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 1); //  the blank line is skipped
    assert_string_equal(cchc_csv_field(csv, "note"), "hai\ndòng");
    assert_int_equal(cchc_csv_line(csv), 4);
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 1); //  no final newline, empty last field
    assert_string_equal(cchc_csv_field(csv, "code"), "VP");
    assert_string_equal(cchc_csv_field(csv, "note"), "");
    assert_int_equal(cchc_csv_line(csv), 6);
    assert_null(cchc_csv_field(csv, "nope"));
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 0);
    cchc_csv_close(&csv);
    assert_null(csv);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    char err[256];
    write_file("a,b\n1,2\n3\n");
    cchc_csv_t *csv = cchc_csv_open(g_path, err, sizeof(err));
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 1);
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3:"));
    assert_non_null(strstr(err, g_path));
    cchc_csv_close(&csv);

    write_file("a,b\n\"open,2\n");
    csv = cchc_csv_open(g_path, err, sizeof(err));
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unterminated"));
    cchc_csv_close(&csv);

    write_file("a,b\n1,x\"y\n");
    csv = cchc_csv_open(g_path, err, sizeof(err));
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2:"));
    cchc_csv_close(&csv);

    write_file("a,b\n");
    csv = cchc_csv_open(g_path, err, sizeof(err));
    const char *cols[] = {"a", "c", NULL};
    assert_int_equal(cchc_csv_require(csv, cols, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'c'"));
    cchc_csv_close(&csv);

    write_file("");
    assert_null(cchc_csv_open(g_path, err, sizeof(err)));
    assert_null(cchc_csv_open("/nonexistent/x.csv", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/x.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_quotes_and_utf8, teardown),
        cmocka_unit_test_teardown(test_errors_name_file_and_line, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
