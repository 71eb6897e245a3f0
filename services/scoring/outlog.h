/*  outlog.h - scoring's output log: every change of a unit's score, rank or
    tier, as records with their own gapless seq (1, 2, 3...).

    Records are numbered and packed (ScoreChange, proto/scoring.proto) on
    the loop thread, in the order they are derived, and appended on the
    writer thread inside the transaction that also writes the model and
    last_seq (the follower's write hook), so a record is committed exactly
    when the state that produced it is: a crash loses none and a restart
    re-emits none. Fetch reads committed rows on a separate connection and
    assembles the ChangeBatch reply from the stored bytes.

    Table score_change: seq is the INTEGER PRIMARY KEY (appends go to the end
    of the B-tree, a fetch is a range scan); the fields are columns for
    operators' SQL, and blob is the packed record served as is.

    Table unit_state (migration step 3): each unit's last record (score,
    rank, tier), written by the same append, so a start compares the
    ranking with 20,000 rows instead of grouping the whole log by unit.
*/
#ifndef CCHC_SCORING_OUTLOG_H
#define CCHC_SCORING_OUTLOG_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "scoring.pb-c.h"

//  scoring.db's own migration steps, after the follower's (meta,
//  model_record). Append new steps; never edit one that shipped.
extern const char *const cchc_outlog_migrations[];
extern const int cchc_outlog_migration_count;

//  One record ready to append: the packed ScoreChange and its key fields.
typedef struct {
    uint64_t seq;
    int64_t log_time_ms;
    char *ward, *unit; //  in blob's allocation, after the blob
    int32_t period;
    int32_t old_score, new_score;
    uint32_t old_rank, new_rank;
    int old_tier, new_tier;
    uint64_t input_seq;
    int cause;     //  Cchc__ChangeCause
    uint8_t *blob; //  packed ScoreChange, owned: one allocation with ward and unit
    size_t len;
} cchc_outrow_t;

//  Rows waiting for their transaction (owned by the list).
typedef struct {
    cchc_outrow_t *items;
    size_t count, cap;
} cchc_outrows_t;

//  Number and pack one record for change (a RankChanged from the ranking),
//  at seq, log time log_time_ms, caused by input_seq / cause; the period is
//  the plan year of ward, the change's ward (0 if NULL or it has none).
//  The row owns copies of everything. Aborts on out-of-memory.
void cchc_outrows_add(cchc_outrows_t *rows, uint64_t seq, const Cchc__RankChanged *change,
                      const cchc_ward_t *ward, int64_t log_time_ms, uint64_t input_seq,
                      Cchc__ChangeCause cause);

//  Free every row (the array is kept); free_all also frees the array.
void cchc_outrows_clear(cchc_outrows_t *rows);
void cchc_outrows_free(cchc_outrows_t *rows);

//  Append rows in order; on the writer thread inside the transaction. *stmt
//  caches the INSERT for db (NULL at first; finalised by cchc_store_close).
//  Returns 0 or -1 (a seq already present is an error: never two records
//  under one number).
int cchc_outlog_append(sqlite3 *db, sqlite3_stmt **stmt, const cchc_outrows_t *rows);

//  Highest committed seq (0 for an empty log).
int cchc_outlog_head(sqlite3 *db, uint64_t *seq);

//  The last committed record of every unit (unit_state), in no particular order: fn is
//  called with its ward, unit, new score, new rank and new tier. Returns 0
//  or -1.
typedef void(cchc_outlog_state_fn)(const char *ward, const char *unit, int32_t score, uint32_t rank, int tier,
                                   void *arg);
int cchc_outlog_last_states(sqlite3 *db, cchc_outlog_state_fn *fn, void *arg);

//  A unit's score, rank and tier as they stood at as_of_ms: its last record
//  at or before then. Returns 1 (found), 0 (no record yet: not ranked then)
//  or -1 (read error, logged). Loop thread, on the reader connection.
int cchc_outlog_state_at(sqlite3 *db, const char *ward, const char *unit, int64_t as_of_ms, int32_t *score,
                         uint32_t *rank, int *tier);

//  A unit's latest `limit` records, oldest first, unpacked into *out (an
//  array the caller frees with cchc_outlog_history_free), and in *total
//  how many it has in all. Returns the number read, or -1.
long cchc_outlog_history(sqlite3 *db, const char *ward, const char *unit, size_t limit,
                         Cchc__ScoreChange ***out, uint64_t *total);
void cchc_outlog_history_free(Cchc__ScoreChange **items, size_t n);

//  What a Fetch reads (common/logserve.h): ?1 from, ?2 head, ?3 limit.
#define CCHC_OUTLOG_FETCH_SQL                                                                                \
    "SELECT blob FROM score_change WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3"

//  A whole Envelope{request_id, change_batch} for a fetch, built from the
//  stored bytes without decoding them: records with seq in [from_seq,
//  head_seq], at most max_records and max_bytes of records (at least one if
//  any), and head_seq. *out (data NULL at first) receives malloc'd bytes
//  the caller frees. Safe on any thread that owns db. Returns the number of
//  records, or -1.
long cchc_outlog_fetch_reply(sqlite3 *db, uint64_t request_id, uint64_t from_seq, uint64_t head_seq,
                             size_t max_records, size_t max_bytes, uint8_t **out, size_t *out_len);

#endif
