/*  outlog.h - integration tests' reader of scoring's output log (Fetch with
    credit, proto/scoring.proto ScoreChange) and its consistency check.
    Uses cmocka assertions: call from a cmocka test only. */
#ifndef CCHC_TEST_OUTLOG_H
#define CCHC_TEST_OUTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

typedef struct {
    Cchc__ScoreChange **items; //  owned copies (unpacked with the default allocator)
    size_t count;
    uint8_t *packed; //  every record packed, one after another
    size_t packed_len;
    uint64_t head; //  the head scoring reported with the last page
} outlog_t;

//  The whole output log of c's scoring from seq 1, `credit` records per
//  Fetch. Asserts each reply is a ChangeBatch with its head and at most
//  `credit` records (flow control).
void outlog_fetch(cluster_t *c, uint32_t credit, outlog_t *o);

void outlog_free(outlog_t *o);

//  Gapless from 1 to head; per unit, each record's old values are the new
//  values of the unit's previous record (or 0, rank 0, unrated); the last
//  record of each unit of the given wards equals c's ranking of it now.
void outlog_assert_chained(cluster_t *c, const outlog_t *o, const char *const *wards, size_t nwards);

#endif
