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
    //  "ệ" is 3 bytes; 200 of them overflow the 256-byte buffer mid-character
    detail[0] = 0;
    for (int i = 0; i < 190; i++)
        strcat(detail, "ệ");
    cchc_err_t err;
    assert_int_equal(cchc_err_set(&err, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE, 2, detail), -1);
    assert_int_equal(err.index, 2);
    assert_true(strlen(err.vi) < sizeof(err.vi));
    assert_true(utf8_valid(err.vi));
    assert_true(utf8_valid(err.en));
    cchc_err_clear(&err);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_texts),
        cmocka_unit_test(test_truncation_keeps_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
