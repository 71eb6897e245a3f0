/*  ostree.c - a size-augmented treap over integer ids (see ostree.h).

    Nodes live in arrays indexed by id (grown on demand), linked by id with
    NIL for none; each has its parent, so removal (rotate the node down to a
    leaf, then unlink it) and position (walk up, adding the left sizes of
    the ancestors it is right of) need no comparison.
*/
#include "ostree.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

typedef struct {
    uint32_t left, right, parent;
    uint32_t size; //  nodes in the subtree, 0 when the id is not in the set
    uint32_t prio;
} node_t;

struct cchc_ostree {
    cchc_ostree_cmp_fn cmp;
    void *ctx;
    node_t *nodes; //  by id
    size_t cap;    //  ids 0 .. cap-1 have a node
    uint32_t root;
};

//  A fixed hash of the id (splitmix32-like): the same operations always give
//  the same tree, and sequential ids get well-spread priorities.
static uint32_t prio_of(uint32_t id)
{
    uint32_t x = id + 0x9e3779b9u;
    x = (x ^ (x >> 16)) * 0x85ebca6bu;
    x = (x ^ (x >> 13)) * 0xc2b2ae35u;
    return x ^ (x >> 16);
}

cchc_ostree_t *cchc_ostree_new(cchc_ostree_cmp_fn cmp, void *ctx)
{
    assert(cmp);
    cchc_ostree_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    self->cmp = cmp;
    self->ctx = ctx;
    self->root = NIL;
    return self;
}

void cchc_ostree_destroy(cchc_ostree_t **self_p)
{
    assert(self_p);
    if (!*self_p)
        return;
    free((*self_p)->nodes);
    free(*self_p);
    *self_p = NULL;
}

static uint32_t size_of(const cchc_ostree_t *self, uint32_t id)
{
    return id == NIL ? 0 : self->nodes[id].size;
}

size_t cchc_ostree_size(const cchc_ostree_t *self)
{
    assert(self);
    return size_of(self, self->root);
}

bool cchc_ostree_contains(const cchc_ostree_t *self, uint32_t id)
{
    assert(self);
    return id < self->cap && self->nodes[id].size > 0;
}

static void resize(cchc_ostree_t *self, uint32_t id)
{
    if (id < self->cap)
        return;
    size_t cap = self->cap ? self->cap : 16;
    while (cap <= id)
        cap *= 2;
    node_t *nodes = realloc(self->nodes, cap * sizeof(*nodes));
    if (!nodes)
        abort();
    memset(nodes + self->cap, 0, (cap - self->cap) * sizeof(*nodes));
    self->nodes = nodes;
    self->cap = cap;
}

static void update_size(cchc_ostree_t *self, uint32_t id)
{
    node_t *n = &self->nodes[id];
    n->size = 1 + size_of(self, n->left) + size_of(self, n->right);
}

//  In the parent of old (or the root), put new_ instead of old.
static void replace_child(cchc_ostree_t *self, uint32_t parent, uint32_t old, uint32_t new_)
{
    if (parent == NIL)
        self->root = new_;
    else if (self->nodes[parent].left == old)
        self->nodes[parent].left = new_;
    else
        self->nodes[parent].right = new_;
    if (new_ != NIL)
        self->nodes[new_].parent = parent;
}

//  Rotate x above its parent, keeping the order, sizes and parents.
static void rotate_up(cchc_ostree_t *self, uint32_t x)
{
    node_t *nx = &self->nodes[x];
    uint32_t p = nx->parent;
    node_t *np = &self->nodes[p];
    uint32_t g = np->parent;
    if (np->left == x) {
        np->left = nx->right;
        if (nx->right != NIL)
            self->nodes[nx->right].parent = p;
        nx->right = p;
    } else {
        np->right = nx->left;
        if (nx->left != NIL)
            self->nodes[nx->left].parent = p;
        nx->left = p;
    }
    np->parent = x;
    replace_child(self, g, p, x);
    update_size(self, p);
    update_size(self, x);
}

void cchc_ostree_insert(cchc_ostree_t *self, uint32_t id)
{
    assert(self && id != NIL && !cchc_ostree_contains(self, id));
    resize(self, id);
    node_t *n = &self->nodes[id];
    n->left = n->right = NIL;
    n->size = 1;
    n->prio = prio_of(id);
    //  Descend to the leaf position, counting the new node in every subtree
    //  on the way.
    uint32_t parent = NIL, cur = self->root;
    bool left = false;
    while (cur != NIL) {
        self->nodes[cur].size++;
        parent = cur;
        left = self->cmp(self->ctx, id, cur) < 0;
        cur = left ? self->nodes[cur].left : self->nodes[cur].right;
    }
    n->parent = parent;
    if (parent == NIL)
        self->root = id;
    else if (left)
        self->nodes[parent].left = id;
    else
        self->nodes[parent].right = id;
    //  Restore the heap order of priorities.
    while (n->parent != NIL && self->nodes[n->parent].prio < n->prio)
        rotate_up(self, id);
}

void cchc_ostree_remove(cchc_ostree_t *self, uint32_t id)
{
    assert(self && cchc_ostree_contains(self, id));
    node_t *n = &self->nodes[id];
    //  Rotate the node down below its higher-priority child until it has
    //  at most one child.
    while (n->left != NIL && n->right != NIL) {
        uint32_t c = self->nodes[n->left].prio > self->nodes[n->right].prio ? n->left : n->right;
        rotate_up(self, c);
    }
    uint32_t child = n->left != NIL ? n->left : n->right;
    uint32_t parent = n->parent;
    replace_child(self, parent, id, child);
    for (uint32_t a = parent; a != NIL; a = self->nodes[a].parent)
        self->nodes[a].size--;
    n->left = n->right = n->parent = NIL;
    n->size = 0;
}

size_t cchc_ostree_position(const cchc_ostree_t *self, uint32_t id)
{
    assert(self && cchc_ostree_contains(self, id));
    size_t pos = size_of(self, self->nodes[id].left);
    for (uint32_t x = id, p = self->nodes[id].parent; p != NIL; x = p, p = self->nodes[p].parent)
        if (self->nodes[p].right == x)
            pos += size_of(self, self->nodes[p].left) + 1;
    return pos;
}

uint32_t cchc_ostree_at(const cchc_ostree_t *self, size_t position)
{
    assert(self);
    uint32_t cur = self->root;
    while (cur != NIL) {
        size_t left = size_of(self, self->nodes[cur].left);
        if (position < left)
            cur = self->nodes[cur].left;
        else if (position == left)
            return cur;
        else {
            position -= left + 1;
            cur = self->nodes[cur].right;
        }
    }
    return NIL;
}

//  Check the subtree of id; *count gets its node count. Returns 0 or -1.
static int check_subtree(const cchc_ostree_t *self, uint32_t id, uint32_t parent, size_t *count)
{
    if (id == NIL) {
        *count = 0;
        return 0;
    }
    const node_t *n = &self->nodes[id];
    if (n->parent != parent || n->prio != prio_of(id))
        return -1;
    if (parent != NIL && self->nodes[parent].prio < n->prio)
        return -1;
    if (n->left != NIL && self->cmp(self->ctx, n->left, id) >= 0)
        return -1;
    if (n->right != NIL && self->cmp(self->ctx, n->right, id) <= 0)
        return -1;
    size_t l, r;
    if (check_subtree(self, n->left, id, &l) || check_subtree(self, n->right, id, &r))
        return -1;
    *count = l + r + 1;
    return n->size == *count ? 0 : -1;
}

int cchc_ostree_check(const cchc_ostree_t *self)
{
    assert(self);
    size_t count;
    if (check_subtree(self, self->root, NIL, &count) != 0)
        return -1;
    //  The in-order walk (by position) must be strictly increasing.
    for (size_t i = 1; i < count; i++)
        if (self->cmp(self->ctx, cchc_ostree_at(self, i - 1), cchc_ostree_at(self, i)) >= 0)
            return -1;
    size_t members = 0;
    for (size_t id = 0; id < self->cap; id++)
        members += self->nodes[id].size > 0;
    return members == count ? 0 : -1;
}
