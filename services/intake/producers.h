/*  producers.h - idempotent producers: each producer's last submission
    number and the Ack it got, so that a resend gets the original Ack and
    appends nothing.

    The check is a hash-map lookup per submission, never an index probe per
    update. The state survives restarts: a producer's row (id, seq, packed
    Ack) is written in the same transaction as the submission's events, and
    the table is loaded at start.
*/
#ifndef CCHC_INTAKE_PRODUCERS_H
#define CCHC_INTAKE_PRODUCERS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCHC_PRODUCERS_MIGRATION                                                                             \
    "CREATE TABLE producer (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, ack BLOB NOT NULL) WITHOUT ROWID;"

typedef struct cchc_producers cchc_producers_t;

//  One producer's state. ack is the packed Ack of submission `seq` (without
//  request id); pending while that submission is still being committed.
typedef struct {
    char *id;
    uint64_t seq;
    uint8_t *ack;
    size_t ack_len;
    bool pending;
    void *waiters; //  resends of the pending submission (owned by intake)
} cchc_producer_t;

cchc_producers_t *cchc_producers_new(void);
void cchc_producers_destroy(cchc_producers_t **self_p);

//  Load every producer row (at start). Returns 0 or -1.
int cchc_producers_load(cchc_producers_t *self, sqlite3 *db);

//  The producer with this id, or NULL; cchc_producers_add creates it at seq 0.
cchc_producer_t *cchc_producers_get(cchc_producers_t *self, const char *id);
cchc_producer_t *cchc_producers_add(cchc_producers_t *self, const char *id);

size_t cchc_producers_count(const cchc_producers_t *self);

//  Record that submission seq of the producer got ack (copied).
void cchc_producer_set(cchc_producer_t *p, uint64_t seq, const uint8_t *ack, size_t ack_len);

//  Write a producer's row (writer thread, inside the transaction); *stmt
//  caches the prepared statement for db, as cchc_eventlog_append does.
int cchc_producer_save(sqlite3 *db, sqlite3_stmt **stmt, const char *id, uint64_t seq, const uint8_t *ack,
                       size_t ack_len);

#endif
