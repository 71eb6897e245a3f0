/*  test_strmap.c - insert, replace, remove (backward shift), iterate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "strmap.h"

static void test_many_keys(void **state)
{
    (void)state;
    cchc_strmap_t *m = cchc_strmap_new();
    char key[32];
    for (intptr_t i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "task-%ld", (long)i);
        assert_null(cchc_strmap_put(m, key, (void *)(i + 1)));
    }
    assert_int_equal(cchc_strmap_size(m), 5000);
    assert_ptr_equal(cchc_strmap_put(m, "task-7", (void *)99), (void *)8); //  replace returns the old value
    assert_ptr_equal(cchc_strmap_get(m, "task-7"), (void *)99);
    //  remove every odd key; the even ones must all still be found
    for (intptr_t i = 1; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "task-%ld", (long)i);
        assert_non_null(cchc_strmap_remove(m, key));
    }
    assert_int_equal(cchc_strmap_size(m), 2500);
    for (intptr_t i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "task-%ld", (long)i);
        if (i % 2)
            assert_null(cchc_strmap_get(m, key));
        else
            assert_ptr_equal(cchc_strmap_get(m, key), (void *)(i + 1));
    }
    assert_null(cchc_strmap_remove(m, "absent"));
    //  iteration visits each entry once
    size_t cursor = 0, seen = 0;
    const char *k;
    void *v;
    long sum = 0;
    while (cchc_strmap_next(m, &cursor, &k, &v)) {
        seen++;
        sum += (long)(intptr_t)v;
    }
    assert_int_equal(seen, 2500);
    long expect = 0;
    for (long i = 0; i < 5000; i += 2)
        expect += i + 1;
    assert_int_equal(sum, expect);
    //  re-insert after removal
    assert_null(cchc_strmap_put(m, "task-1", (void *)5));
    assert_ptr_equal(cchc_strmap_get(m, "task-1"), (void *)5);
    cchc_strmap_destroy(&m);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_many_keys)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
