/*  test_csv.c - RFC 4180 reading of the plan files: quotes, embedded commas,
    quotes and line breaks, CRLF, UTF-8 (BOM, invalid bytes), blank lines,
    and errors that name the file, the line and the column. */
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

static void write_file(const char *text, size_t len)
{
    snprintf(g_path, sizeof(g_path), "/tmp/cchc-test-csv-%d.csv", (int)getpid());
    FILE *f = fopen(g_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

#define WRITE(literal) write_file(literal, sizeof(literal) - 1)

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return 0;
}

//  Open g_path and expect the first cchc_csv_next to fail; returns the message.
static const char *first_error(char *err, size_t size)
{
    cchc_csv_t *csv = cchc_csv_open(g_path, err, size);
    assert_non_null(csv);
    int rc;
    while ((rc = cchc_csv_next(csv, err, size)) == 1)
        ;
    assert_int_equal(rc, -1);
    cchc_csv_close(&csv);
    return err;
}

static void test_quotes_crlf_and_utf8(void **state)
{
    (void)state;
    WRITE("\xEF\xBB\xBF"
          "code,name,note\r\n"
          "KTHTDT,\"Phòng Kinh tế, Hạ tầng và Đô thị\",\"nói \"\"đúng hạn\"\"\"\r\n"
          "\r\n"
          "VHXH,Phòng Văn hóa - Xã hội,\"hai\ndòng\"\n"
          "VP,Văn phòng HĐND và UBND,\"\"\n"
          "PVHCC,\"\",cuối");
    char err[256];
    cchc_csv_t *csv = cchc_csv_open(g_path, err, sizeof(err));
    assert_non_null(csv);
    const char *cols[] = {"code", "name", NULL};
    assert_int_equal(cchc_csv_require(csv, cols, err, sizeof(err)), 0);

    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 1);
    assert_string_equal(cchc_csv_field(csv, "code"), "KTHTDT"); //  BOM skipped, CR not kept
    assert_string_equal(cchc_csv_field(csv, "name"), "Phòng Kinh tế, Hạ tầng và Đô thị");
    assert_string_equal(cchc_csv_field(csv, "note"), "nói \"đúng hạn\"");
    assert_int_equal(cchc_csv_line(csv), 2);

    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 1); //  the blank line is skipped
    assert_string_equal(cchc_csv_field(csv, "note"), "hai\ndòng");
    assert_int_equal(cchc_csv_line(csv), 4);

    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 1);
    assert_string_equal(cchc_csv_field(csv, "code"), "VP");
    assert_string_equal(cchc_csv_field(csv, "note"), ""); //  "" is an empty field
    assert_int_equal(cchc_csv_line(csv), 6);              //  the quoted line break counted

    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 1); //  no final line break
    assert_string_equal(cchc_csv_field(csv, "name"), "");
    assert_string_equal(cchc_csv_field(csv, "note"), "cuối");
    assert_int_equal(cchc_csv_line(csv), 7);
    assert_null(cchc_csv_field(csv, "nope"));

    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 0);
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 0); //  stays at the end
    cchc_csv_close(&csv);
    assert_null(csv);
    cchc_csv_close(&csv); //  closing NULL is a no-op
}

static void test_errors_name_file_line_and_column(void **state)
{
    (void)state;
    char err[512];

    WRITE("a,b\n1,2\n3\n");
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, g_path));
    assert_non_null(strstr(err, ":3:"));

    WRITE("a,b\n1,2\n\"open,2\n");
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, ":3,"));
    assert_non_null(strstr(err, "unterminated"));

    WRITE("a,b\n1,x\"y\n");
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, ":2, cột 2 (b)"));
    assert_non_null(strstr(err, "quote inside an unquoted field"));

    WRITE("a,b,c\n1,\"x\"y,3\n");
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, ":2, cột 2 (b)"));
    assert_non_null(strstr(err, "text after a closing quote"));

    //  Windows-1258 / Latin-1 bytes, as a spreadsheet may save them
    WRITE("a,b,c\n1,2,ok\n1,2,Ph\xF2ng\n");
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, ":3, cột 3 (c)"));
    assert_non_null(strstr(err, "UTF-8"));

    //  an overlong encoding of '/' and a UTF-16 surrogate are not UTF-8 either
    WRITE("a\n\xC0\xAF\n");
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, "UTF-8"));
    WRITE("a\n\xED\xA0\x80\n");
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, "UTF-8"));

    write_file("a,b\n1,\0\n", 8);
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, "NUL"));

    //  the line of a record after a multi-line field
    WRITE("a,b\n\"x\ny\nz\",1\n2,\"3\n");
    first_error(err, sizeof(err));
    assert_non_null(strstr(err, ":5,"));
}

static void test_header(void **state)
{
    (void)state;
    char err[256];
    WRITE("a,b\n");
    cchc_csv_t *csv = cchc_csv_open(g_path, err, sizeof(err));
    assert_non_null(csv);
    const char *cols[] = {"a", "c", NULL};
    assert_int_equal(cchc_csv_require(csv, cols, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'c'"));
    assert_non_null(strstr(err, ":1:"));
    assert_int_equal(cchc_csv_next(csv, err, sizeof(err)), 0); //  a header and no rows
    cchc_csv_close(&csv);

    WRITE("");
    assert_null(cchc_csv_open(g_path, err, sizeof(err)));
    assert_non_null(strstr(err, "no header row"));

    WRITE("a,\"b\n");
    assert_null(cchc_csv_open(g_path, err, sizeof(err)));
    assert_non_null(strstr(err, "unterminated"));

    assert_null(cchc_csv_open("/nonexistent/x.csv", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/x.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_quotes_crlf_and_utf8, teardown),
        cmocka_unit_test_teardown(test_errors_name_file_line_and_column, teardown),
        cmocka_unit_test_teardown(test_header, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
