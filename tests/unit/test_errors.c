/*  test_errors.c - every error code has its messages; truncation keeps UTF-8 whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "errors.h"

//  True if s is well-formed UTF-8.
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xE0) == 0xC0 ? 1
                : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (n < 0)
            return 0;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static void test_every_code_has_texts(void **state)
{
    (void)state;
    const ProtobufCEnumDescriptor *d = &cchc__error_code__descriptor;
    assert_true(d->n_values >= 22);
    for (unsigned i = 0; i < d->n_values; i++) {
        Cchc__ErrorCode code = (Cchc__ErrorCode)d->values[i].value;
        cchc_err_t err;
        cchc_err_set(&err, code, -1, NULL);
        assert_true(strlen(err.vi) > 0);
        assert_true(strlen(err.en) > 0);
        assert_true(utf8_valid(err.vi));
        //  the name is the enum's own, lower-cased, without "ERR_"
        char expect[64];
        const char *n = d->values[i].name + 4;
        size_t k = 0;
        for (; n[k] && k < sizeof(expect) - 1; k++)
            expect[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]);
        expect[k] = 0;
        assert_string_equal(cchc_err_name(code), expect);
    }
}

static void test_truncation_keeps_utf8(void **state)
{
    (void)state;
    char detail[600];
    cchc_err_t err;
    //  "ệ" is 3 bytes: with 0, 1 or 2 ASCII bytes before them, the 255-byte cut falls
    //  at each position inside a character once
    for (int shift = 0; shift < 3; shift++) {
        memset(detail, 'a', (size_t)shift);
        detail[shift] = 0;
        for (int i = 0; i < 190; i++)
            strcat(detail, "ệ");
        assert_int_equal(cchc_err_set(&err, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE, 2, detail), -1);
        assert_int_equal(err.index, 2);
        assert_true(strlen(err.vi) < sizeof(err.vi));
        assert_true(strlen(err.vi) >= sizeof(err.vi) - 4); //  cut at most one character short
        assert_true(utf8_valid(err.vi));
        assert_true(utf8_valid(err.en));
        const char *lead = "Giá trị nằm ngoài phạm vi cho phép: ";
        assert_int_equal(strncmp(err.vi, lead, strlen(lead)), 0);
    }
    cchc_err_clear(&err);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_NONE);
}

//  The standard wording of the codes a unit sees most, with the detail appended.
static void test_standard_messages(void **state)
{
    (void)state;
    cchc_err_t err;
    assert_int_equal(cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_TASK, 4, "CCHC-07"), -1);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_UNKNOWN_TASK);
    assert_int_equal(err.index, 4);
    assert_string_equal(err.vi, "Nhiệm vụ không tồn tại: CCHC-07");
    assert_string_equal(err.en, "unknown task: CCHC-07");
    cchc_err_set(&err, CCHC__ERROR_CODE__ERR_TASK_NOT_OWNED, -1, NULL);
    assert_string_equal(err.vi, "Nhiệm vụ không thuộc đơn vị gửi cập nhật");
    cchc_err_set(&err, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE, -1, "");
    assert_string_equal(err.vi, "Giá trị nằm ngoài phạm vi cho phép"); //  an empty detail adds nothing
    cchc_err_set(&err, CCHC__ERROR_CODE__ERR_OVERSIZED, -1, NULL);
    assert_string_equal(err.vi, "Thông điệp vượt quá kích thước cho phép");
    cchc_err_set(&err, CCHC__ERROR_CODE__ERR_MALFORMED, -1, NULL);
    assert_string_equal(err.vi, "Thông điệp không đúng định dạng");
    cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNSUPPORTED_VERSION, -1, NULL);
    assert_string_equal(err.vi, "Phiên bản giao thức không được hỗ trợ");
    cchc_err_set(&err, CCHC__ERROR_CODE__ERR_CLOCK_NOT_MANUAL, -1, NULL);
    assert_string_equal(err.vi, "Dịch vụ không chạy với đồng hồ thủ công");
    cchc_err_set_vi_en(&err, CCHC__ERROR_CODE__ERR_INVALID_STATE, 0, "đã hoàn thành", "done");
    assert_string_equal(err.vi, "Không thực hiện được ở trạng thái hiện tại của nhiệm vụ: đã hoàn thành");
    assert_string_equal(err.en, "not allowed in the task's current state: done");
    //  the names are distinct
    const ProtobufCEnumDescriptor *d = &cchc__error_code__descriptor;
    for (unsigned i = 0; i < d->n_values; i++)
        for (unsigned j = i + 1; j < d->n_values; j++)
            assert_string_not_equal(cchc_err_name((Cchc__ErrorCode)d->values[i].value),
                                    cchc_err_name((Cchc__ErrorCode)d->values[j].value));
    //  a code this build does not know still gets a message, not garbage
    cchc_err_set(&err, (Cchc__ErrorCode)999, -1, "x");
    assert_string_equal(err.vi, "Lỗi không xác định: x");
    assert_string_equal(cchc_err_name((Cchc__ErrorCode)999), "unknown_code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_texts),
        cmocka_unit_test(test_truncation_keeps_utf8),
        cmocka_unit_test(test_standard_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
