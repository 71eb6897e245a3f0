/*  strmap.h - a string-keyed hash map (open addressing, linear probing).

    Keys are copied and owned by the map; values are borrowed pointers that
    the map never frees. Iteration order is unspecified.
*/
#ifndef CCHC_STRMAP_H
#define CCHC_STRMAP_H

#include <stddef.h>

typedef struct cchc_strmap cchc_strmap_t;

//  Create an empty map. Caller owns it; abort on out-of-memory.
cchc_strmap_t *cchc_strmap_new(void);

//  Destroy the map (not the values); sets *self_p to NULL.
void cchc_strmap_destroy(cchc_strmap_t **self_p);

//  Value for key, or NULL.
void *cchc_strmap_get(const cchc_strmap_t *self, const char *key);

//  Insert or replace; returns the previous value or NULL.
void *cchc_strmap_put(cchc_strmap_t *self, const char *key, void *value);

//  Remove key; returns its value or NULL.
void *cchc_strmap_remove(cchc_strmap_t *self, const char *key);

size_t cchc_strmap_size(const cchc_strmap_t *self);

//  The map's own copy of key, added (with a NULL value) if absent: an
//  interned string, valid until the map is destroyed or key removed.
const char *cchc_strmap_intern(cchc_strmap_t *self, const char *key);

//  Iterate: start with *cursor = 0; returns 1 and fills key/value while
//  entries remain, 0 at the end. Do not modify the map while iterating.
int cchc_strmap_next(const cchc_strmap_t *self, size_t *cursor, const char **key, void **value);

#endif
