/*  test_ostree.c - the order-statistic set against a sorted array: random
    inserts, removals and key changes (remove, change, insert), checking
    after every step the size, every id's position, the id at every
    position and the tree's invariants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ostree.h"

#define N 300

typedef struct {
    int key[N];
    bool in[N];
} items_t;

//  By key, then id (total, as the ranking's unit code makes it).
static int cmp_items(void *ctx, uint32_t a, uint32_t b)
{
    const items_t *it = ctx;
    if (it->key[a] != it->key[b])
        return it->key[a] < it->key[b] ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
}

static items_t *sort_ctx;
static int cmp_qsort(const void *a, const void *b)
{
    return cmp_items(sort_ctx, *(const uint32_t *)a, *(const uint32_t *)b);
}

//  The reference: the ids in the set, sorted.
static size_t reference(items_t *it, uint32_t *sorted)
{
    size_t n = 0;
    for (uint32_t id = 0; id < N; id++)
        if (it->in[id])
            sorted[n++] = id;
    sort_ctx = it;
    qsort(sorted, n, sizeof(*sorted), cmp_qsort);
    return n;
}

static void compare(cchc_ostree_t *t, items_t *it)
{
    uint32_t sorted[N];
    size_t n = reference(it, sorted);
    assert_int_equal(cchc_ostree_size(t), n);
    for (size_t pos = 0; pos < n; pos++) {
        assert_int_equal(cchc_ostree_at(t, pos), sorted[pos]);
        assert_int_equal(cchc_ostree_position(t, sorted[pos]), pos);
    }
    assert_int_equal(cchc_ostree_at(t, n), UINT32_MAX);
    for (uint32_t id = 0; id < N; id++)
        assert_int_equal(cchc_ostree_contains(t, id), it->in[id]);
    assert_int_equal(cchc_ostree_check(t), 0);
}

static void test_random_against_sorted_array(void **state)
{
    (void)state;
    items_t it;
    memset(&it, 0, sizeof(it));
    cchc_ostree_t *t = cchc_ostree_new(cmp_items, &it);
    srand(4242);
    for (int step = 0; step < 4000; step++) {
        uint32_t id = (uint32_t)(rand() % N);
        int op = rand() % 3;
        if (!it.in[id]) {
            it.key[id] = rand() % 50; //  many equal keys: the id breaks ties
            cchc_ostree_insert(t, id);
            it.in[id] = true;
        } else if (op == 0) {
            cchc_ostree_remove(t, id);
            it.in[id] = false;
        } else {
            //  A key change: removed after the key changed (no comparison
            //  is made on removal), then inserted at its new place.
            it.key[id] = rand() % 50;
            cchc_ostree_remove(t, id);
            cchc_ostree_insert(t, id);
        }
        if (step % 7 == 0 || step > 3900)
            compare(t, &it);
    }
    //  Empty it completely, in random order.
    for (uint32_t id = 0; id < N; id++) {
        uint32_t victim = (id * 7919u) % N;
        if (it.in[victim]) {
            cchc_ostree_remove(t, victim);
            it.in[victim] = false;
        }
    }
    compare(t, &it);
    assert_int_equal(cchc_ostree_size(t), 0);
    cchc_ostree_destroy(&t);
    assert_null(t);
    cchc_ostree_destroy(&t); //  NULL is a no-op
}

static void test_sequential_keys(void **state)
{
    (void)state;
    //  Ascending insertion (the worst case of an unbalanced tree): positions
    //  still come out right, and the priorities keep it balanced enough to
    //  pass the invariants.
    items_t it;
    memset(&it, 0, sizeof(it));
    cchc_ostree_t *t = cchc_ostree_new(cmp_items, &it);
    for (uint32_t id = 0; id < N; id++) {
        it.key[id] = (int)id;
        it.in[id] = true;
        cchc_ostree_insert(t, id);
    }
    compare(t, &it);
    //  Move the last to the front: every other id shifts by one.
    it.key[N - 1] = -1;
    cchc_ostree_remove(t, N - 1);
    cchc_ostree_insert(t, N - 1);
    assert_int_equal(cchc_ostree_position(t, N - 1), 0);
    assert_int_equal(cchc_ostree_position(t, 0), 1);
    compare(t, &it);
    cchc_ostree_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_sorted_array),
        cmocka_unit_test(test_sequential_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
