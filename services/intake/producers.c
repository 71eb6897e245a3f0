/*  producers.c - see producers.h. */
#include "producers.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strmap.h"

//  The window migration computes slots with a literal 16.
_Static_assert(CCHC_PRODUCER_WINDOW == 16, "producer_ack slots are seq % 16 (migration step 4)");

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
        for (int i = 0; i < CCHC_PRODUCER_WINDOW; i++)
            free(p->slots[i].ack);
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

cchc_producer_slot_t *cchc_producer_set(cchc_producer_t *p, uint64_t seq, const uint8_t *ack, size_t ack_len)
{
    cchc_producer_slot_t *slot = &p->slots[seq % CCHC_PRODUCER_WINDOW];
    free(slot->ack);
    slot->ack = malloc(ack_len ? ack_len : 1);
    if (!slot->ack)
        abort();
    memcpy(slot->ack, ack, ack_len);
    slot->ack_len = ack_len;
    slot->seq = seq;
    slot->pending = false;
    if (seq > p->seq)
        p->seq = seq;
    return slot;
}

cchc_producer_slot_t *cchc_producer_slot(cchc_producer_t *p, uint64_t seq)
{
    cchc_producer_slot_t *slot = &p->slots[seq % CCHC_PRODUCER_WINDOW];
    return seq && slot->seq == seq ? slot : NULL;
}

int cchc_producers_load(cchc_producers_t *self, sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, seq, ack FROM producer_ack", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        cchc_producer_t *p = cchc_producers_get(self, id);
        if (!p)
            p = cchc_producers_add(self, id);
        const void *ack = sqlite3_column_blob(st, 2);
        cchc_producer_set(p, (uint64_t)sqlite3_column_int64(st, 1), ack ? ack : "",
                          (size_t)sqlite3_column_bytes(st, 2));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int cchc_producer_save(sqlite3 *db, sqlite3_stmt **stmt, const char *id, uint64_t seq, const uint8_t *ack,
                       size_t ack_len)
{
    if (!*stmt &&
        sqlite3_prepare_v3(db, "INSERT OR REPLACE INTO producer_ack (id, slot, seq, ack) VALUES (?, ?, ?, ?)",
                           -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "producer_save", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_stmt *st = *stmt;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(seq % CCHC_PRODUCER_WINDOW));
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
    sqlite3_bind_blob(st, 4, ack, (int)ack_len, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc != 0)
        cchc_log(CCHC_ERROR, "producer_save", "error=%s", sqlite3_errmsg(db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}
