/*  producers.c - see producers.h. */
#include "producers.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strmap.h"

struct cchc_producers {
    cchc_strmap_t *by_id; //  id -> cchc_producer_t *, owned
};

cchc_producers_t *cchc_producers_new(void)
{
    cchc_producers_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    self->by_id = cchc_strmap_new();
    return self;
}

void cchc_producers_destroy(cchc_producers_t **self_p)
{
    assert(self_p);
    cchc_producers_t *self = *self_p;
    if (!self)
        return;
    size_t cursor = 0;
    void *value;
    while (cchc_strmap_next(self->by_id, &cursor, NULL, &value)) {
        cchc_producer_t *p = value;
        free(p->id);
        free(p->ack);
        free(p);
    }
    cchc_strmap_destroy(&self->by_id);
    free(self);
    *self_p = NULL;
}

cchc_producer_t *cchc_producers_get(cchc_producers_t *self, const char *id)
{
    return cchc_strmap_get(self->by_id, id);
}

cchc_producer_t *cchc_producers_add(cchc_producers_t *self, const char *id)
{
    cchc_producer_t *p = calloc(1, sizeof(*p));
    if (!p)
        abort();
    p->id = strdup(id);
    if (!p->id)
        abort();
    cchc_strmap_put(self->by_id, id, p);
    return p;
}

size_t cchc_producers_count(const cchc_producers_t *self)
{
    return cchc_strmap_size(self->by_id);
}

void cchc_producer_set(cchc_producer_t *p, uint64_t seq, const uint8_t *ack, size_t ack_len)
{
    free(p->ack);
    p->ack = malloc(ack_len ? ack_len : 1);
    if (!p->ack)
        abort();
    memcpy(p->ack, ack, ack_len);
    p->ack_len = ack_len;
    p->seq = seq;
}

int cchc_producers_load(cchc_producers_t *self, sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, seq, ack FROM producer", -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        cchc_producer_t *p = cchc_producers_add(self, (const char *)sqlite3_column_text(st, 0));
        const void *ack = sqlite3_column_blob(st, 2);
        cchc_producer_set(p, (uint64_t)sqlite3_column_int64(st, 1), ack ? ack : "",
                          (size_t)sqlite3_column_bytes(st, 2));
    }
    sqlite3_finalize(st);
    return 0;
}

int cchc_producer_save(sqlite3 *db, sqlite3_stmt **stmt, const char *id, uint64_t seq, const uint8_t *ack,
                       size_t ack_len)
{
    if (!*stmt && sqlite3_prepare_v3(db, "INSERT OR REPLACE INTO producer (id, seq, ack) VALUES (?, ?, ?)",
                                     -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "producer_save", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_stmt *st = *stmt;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    sqlite3_bind_blob(st, 3, ack, (int)ack_len, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc != 0)
        cchc_log(CCHC_ERROR, "producer_save", "error=%s", sqlite3_errmsg(db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}
