/*  ostree.h - an order-statistic set of small integer ids: insert, remove,
    the position of an id and the id at a position, each O(log n).

    The ids are 0, 1, 2 ... (array indices of the caller's items, e.g. a
    ward's unit index); the order is the caller's comparison of two ids,
    which must be total and must not change while an id is in the set: to
    move an item, remove it, change what the comparison reads, insert it
    again. Removal and the position of an id follow parent links and never
    call the comparison, so an item may be removed after its key changed.

    It is a treap (a binary search tree with heap-ordered priorities, here a
    hash of the id, so a given sequence of operations always builds the same
    tree) whose nodes carry their subtree's size.

    Ownership: the set owns its node arrays; ctx is borrowed and passed to
    the comparison. Not thread-safe.
*/
#ifndef CCHC_OSTREE_H
#define CCHC_OSTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cchc_ostree cchc_ostree_t;

//  < 0 when id a comes before id b, > 0 after; 0 only when a == b.
typedef int (*cchc_ostree_cmp_fn)(void *ctx, uint32_t a, uint32_t b);

//  An empty set ordered by cmp (called with ctx). Caller owns it and frees
//  it with cchc_ostree_destroy. Aborts on out-of-memory.
cchc_ostree_t *cchc_ostree_new(cchc_ostree_cmp_fn cmp, void *ctx);

//  Free the set; sets *self_p to NULL. NULL is a no-op.
void cchc_ostree_destroy(cchc_ostree_t **self_p);

//  Number of ids in the set.
size_t cchc_ostree_size(const cchc_ostree_t *self);

//  True when id is in the set.
bool cchc_ostree_contains(const cchc_ostree_t *self, uint32_t id);

//  Insert id (not in the set; id < UINT32_MAX). O(log n) comparisons.
void cchc_ostree_insert(cchc_ostree_t *self, uint32_t id);

//  Remove id (in the set). No comparison is made.
void cchc_ostree_remove(cchc_ostree_t *self, uint32_t id);

//  Position of id (in the set) in the order, 0-based. No comparison is made.
size_t cchc_ostree_position(const cchc_ostree_t *self, uint32_t id);

//  The id at position 0 .. size-1, or UINT32_MAX past the end.
uint32_t cchc_ostree_at(const cchc_ostree_t *self, size_t position);

//  Check every invariant (order, sizes, parents, priorities); returns 0 or
//  -1. O(n) comparisons: for tests.
int cchc_ostree_check(const cchc_ostree_t *self);

#endif
