/*  test_strmap.c - insert, replace, remove (backward shift), iterate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

//  Random puts, replaces and removes over a small key space, so that
//  clusters form and removals shift them back, checked after every step
//  against a plain array; iteration then visits each live key exactly once.
#define KEYS 300

static void test_random_operations(void **state)
{
    (void)state;
    cchc_strmap_t *m = cchc_strmap_new();
    static intptr_t expect[KEYS]; //  0 = absent
    size_t live = 0;
    char key[32];
    srand(36);
    for (int step = 0; step < 60000; step++) {
        int k = rand() % KEYS;
        snprintf(key, sizeof(key), "don-vi/%d", k);
        if (rand() % 3 == 0) {
            assert_ptr_equal(cchc_strmap_remove(m, key), (void *)expect[k]);
            live -= expect[k] != 0;
            expect[k] = 0;
        } else {
            intptr_t v = step + 1;
            assert_ptr_equal(cchc_strmap_put(m, key, (void *)v), (void *)expect[k]);
            live += expect[k] == 0;
            expect[k] = v;
        }
        assert_int_equal(cchc_strmap_size(m), live);
        if (step % 1000 == 0)
            for (int j = 0; j < KEYS; j++) {
                snprintf(key, sizeof(key), "don-vi/%d", j);
                assert_ptr_equal(cchc_strmap_get(m, key), (void *)expect[j]);
            }
    }
    int seen[KEYS] = {0};
    size_t cursor = 0, visited = 0;
    const char *k;
    void *v;
    while (cchc_strmap_next(m, &cursor, &k, &v)) {
        int j = atoi(k + strlen("don-vi/"));
        assert_true(j >= 0 && j < KEYS);
        assert_int_equal(seen[j]++, 0);
        assert_ptr_equal(v, (void *)expect[j]);
        visited++;
    }
    assert_int_equal(visited, live);
    //  empty it completely, then use it again
    for (int j = 0; j < KEYS; j++) {
        snprintf(key, sizeof(key), "don-vi/%d", j);
        cchc_strmap_remove(m, key);
    }
    assert_int_equal(cchc_strmap_size(m), 0);
    cursor = 0;
    assert_int_equal(cchc_strmap_next(m, &cursor, &k, &v), 0);
    assert_null(cchc_strmap_put(m, "", (void *)1)); //  the empty string is a key like any other
    assert_ptr_equal(cchc_strmap_get(m, ""), (void *)1);
    cchc_strmap_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_many_keys),
                                       cmocka_unit_test(test_random_operations)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
