/*  strmap.c - string-keyed hash map: open addressing, linear probing,
    backward-shift deletion (no tombstones), power-of-two capacity grown at
    70 % load. FNV-1a hash. */
#include "strmap.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;     //  owned; NULL = empty slot
    void *value;   //  borrowed
    uint64_t hash; //  of key, kept to skip most strcmp calls and to regrow without rehashing
} slot_t;

struct cchc_strmap {
    slot_t *slots; //  owned; cap entries
    size_t cap;    //  power of two, so that hash & (cap - 1) is the home slot
    size_t size;   //  live entries; kept at or below 70 % of cap
};

static uint64_t hash_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

cchc_strmap_t *cchc_strmap_new(void)
{
    cchc_strmap_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    self->cap = 16;
    self->slots = calloc(self->cap, sizeof(slot_t));
    if (!self->slots)
        abort();
    return self;
}

void cchc_strmap_destroy(cchc_strmap_t **self_p)
{
    assert(self_p);
    cchc_strmap_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->cap; i++)
        free(self->slots[i].key);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

//  Index of key's slot, or of the empty slot where it would go.
static size_t find(const cchc_strmap_t *self, const char *key, uint64_t hash)
{
    size_t mask = self->cap - 1;
    size_t i = hash & mask;
    while (self->slots[i].key && (self->slots[i].hash != hash || strcmp(self->slots[i].key, key) != 0))
        i = (i + 1) & mask;
    return i;
}

static void grow(cchc_strmap_t *self)
{
    slot_t *old = self->slots;
    size_t old_cap = self->cap;
    self->cap *= 2;
    self->slots = calloc(self->cap, sizeof(slot_t));
    if (!self->slots)
        abort();
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            self->slots[find(self, old[i].key, old[i].hash)] = old[i];
    free(old);
}

void *cchc_strmap_get(const cchc_strmap_t *self, const char *key)
{
    assert(self && key);
    const slot_t *slot = &self->slots[find(self, key, hash_of(key))];
    return slot->key ? slot->value : NULL;
}

void *cchc_strmap_put(cchc_strmap_t *self, const char *key, void *value)
{
    assert(self && key);
    if ((self->size + 1) * 10 > self->cap * 7)
        grow(self);
    uint64_t hash = hash_of(key);
    slot_t *slot = &self->slots[find(self, key, hash)];
    if (slot->key) {
        void *previous = slot->value;
        slot->value = value;
        return previous;
    }
    slot->key = strdup(key);
    if (!slot->key)
        abort();
    slot->value = value;
    slot->hash = hash;
    self->size++;
    return NULL;
}

void *cchc_strmap_remove(cchc_strmap_t *self, const char *key)
{
    assert(self && key);
    size_t mask = self->cap - 1;
    size_t i = find(self, key, hash_of(key));
    if (!self->slots[i].key)
        return NULL;
    void *value = self->slots[i].value;
    free(self->slots[i].key);
    self->slots[i] = (slot_t){0};
    self->size--;
    //  Backward shift: move later entries of the cluster into the hole when
    //  their home slot does not lie cyclically in (hole, j].
    size_t hole = i;
    for (size_t j = (i + 1) & mask; self->slots[j].key; j = (j + 1) & mask) {
        size_t home = self->slots[j].hash & mask;
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            self->slots[hole] = self->slots[j];
            self->slots[j] = (slot_t){0};
            hole = j;
        }
    }
    return value;
}

const char *cchc_strmap_intern(cchc_strmap_t *self, const char *key)
{
    assert(self && key);
    uint64_t hash = hash_of(key);
    slot_t *slot = &self->slots[find(self, key, hash)];
    if (slot->key)
        return slot->key;
    cchc_strmap_put(self, key, NULL);
    return self->slots[find(self, key, hash)].key;
}

size_t cchc_strmap_size(const cchc_strmap_t *self)
{
    assert(self);
    return self->size;
}

int cchc_strmap_next(const cchc_strmap_t *self, size_t *cursor, const char **key, void **value)
{
    assert(self && cursor);
    while (*cursor < self->cap) {
        slot_t *slot = &self->slots[(*cursor)++];
        if (slot->key) {
            if (key)
                *key = slot->key;
            if (value)
                *value = slot->value;
            return 1;
        }
    }
    return 0;
}
