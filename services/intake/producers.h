/*  producers.h - idempotent producers: for each producer, the Acks of its
    last CCHC_PRODUCER_WINDOW submissions, so that a resend of any of them
    gets the original Ack and appends nothing.

    A producer may have up to CCHC_PRODUCER_WINDOW submissions in flight
    (pipelining, as Kafka's idempotent producer allows five): they arrive in
    order on one connection, each the next number; after a timeout the
    producer resends all of them in order on a fresh connection, and each
    resend inside the window is answered with its own Ack.

    The check is a hash-map lookup and an array index per submission, never
    an index probe per update. The state survives restarts: a submission's
    slot row (id, seq % window, seq, packed Ack) is written in the same
    transaction as its events, and the table is loaded at start.
*/
#ifndef CCHC_INTAKE_PRODUCERS_H
#define CCHC_INTAKE_PRODUCERS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h" //  CCHC_PRODUCER_WINDOW

//  Step 3 of intake's migrations (the first release: the last Ack only).
#define CCHC_PRODUCERS_MIGRATION                                                                             \
    "CREATE TABLE producer (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, ack BLOB NOT NULL) WITHOUT ROWID;"

//  Step 4: one row per window slot; the last Acks move over.
#define CCHC_PRODUCERS_WINDOW_MIGRATION                                                                      \
    "CREATE TABLE producer_ack (id TEXT NOT NULL, slot INTEGER NOT NULL, seq INTEGER NOT NULL,"              \
    " ack BLOB NOT NULL, PRIMARY KEY (id, slot)) WITHOUT ROWID;"                                             \
    "INSERT INTO producer_ack (id, slot, seq, ack) SELECT id, seq % 16, seq, ack FROM producer;"             \
    "DROP TABLE producer;"

typedef struct cchc_producers cchc_producers_t;

//  One remembered submission: its packed Ack (without request id); pending
//  while it is still being committed.
typedef struct {
    uint64_t seq; //  0: empty
    uint8_t *ack;
    size_t ack_len;
    bool pending;
} cchc_producer_slot_t;

//  One producer's state: the highest number taken, and the slots of the
//  last CCHC_PRODUCER_WINDOW submissions (slot = seq % window).
typedef struct {
    char *id;
    uint64_t seq;
    cchc_producer_slot_t slots[CCHC_PRODUCER_WINDOW];
    void *waiters; //  resends of pending submissions (owned by intake)
} cchc_producer_t;

cchc_producers_t *cchc_producers_new(void);
void cchc_producers_destroy(cchc_producers_t **self_p);

//  Load every producer row (at start). Returns 0 or -1.
int cchc_producers_load(cchc_producers_t *self, sqlite3 *db);

//  The producer with this id, or NULL; cchc_producers_add creates it at seq 0.
cchc_producer_t *cchc_producers_get(cchc_producers_t *self, const char *id);
cchc_producer_t *cchc_producers_add(cchc_producers_t *self, const char *id);

size_t cchc_producers_count(const cchc_producers_t *self);

//  Record that submission seq of the producer got ack (copied); seq becomes
//  the producer's highest number if it is higher. Returns its slot.
cchc_producer_slot_t *cchc_producer_set(cchc_producer_t *p, uint64_t seq, const uint8_t *ack, size_t ack_len);

//  The slot of submission seq if it is still remembered, else NULL.
cchc_producer_slot_t *cchc_producer_slot(cchc_producer_t *p, uint64_t seq);

//  Write a submission's slot row (writer thread, inside the transaction);
//  *stmt caches the prepared statement for db, as cchc_eventlog_append does.
int cchc_producer_save(sqlite3 *db, sqlite3_stmt **stmt, const char *id, uint64_t seq, const uint8_t *ack,
                       size_t ack_len);

#endif
