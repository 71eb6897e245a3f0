/*  eventlog.h - intake's event log: the single source of truth of a shard.

    One SQLite table, appended in seq order: seq is the INTEGER PRIMARY KEY
    (the rowid), so appends write to the end of the B-tree and a fetch is a
    range scan. Each row holds the packed Event (seq and log_time_ms set).

    Appends run on the writer thread inside its transaction; reads run on a
    separate read connection and see only committed rows (WAL snapshots).
*/
#ifndef CCHC_INTAKE_EVENTLOG_H
#define CCHC_INTAKE_EVENTLOG_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "events.pb-c.h"

//  Migration steps for intake.db.
extern const char *const cchc_eventlog_migrations[];
extern const int cchc_eventlog_migration_count;

typedef struct {
    uint64_t seq;
    int64_t log_time_ms;
    char *ward;    //  owned copy; "" for clock events
    int type;      //  Cchc__Event__PayloadCase
    uint8_t *blob; //  packed Event, owned
    size_t len;
} cchc_logrow_t;

//  Pack ev (seq and log_time_ms set) into row. The row owns copies of
//  everything (the event may be freed at once); release with cchc_logrow_clear.
void cchc_logrow_pack(cchc_logrow_t *row, const Cchc__Event *ev);
void cchc_logrow_clear(cchc_logrow_t *row);

//  Append rows in order; call on the writer thread inside the transaction.
//  *stmt caches the prepared INSERT for db (NULL at first; finalised when
//  the connection is closed by cchc_store_close). Returns 0 or -1.
int cchc_eventlog_append(sqlite3 *db, sqlite3_stmt **stmt, const cchc_logrow_t *rows, size_t n);

//  Highest committed seq (0 for an empty log) and its log time.
int cchc_eventlog_head(sqlite3 *db, uint64_t *seq, int64_t *log_time_ms);

//  Called for each stored event in seq order with its packed bytes (valid
//  only during the call); return 0 to go on, non-zero to stop.
//  What a Fetch reads (common/logserve.h): ?1 from, ?2 head, ?3 limit.
#define CCHC_EVENTLOG_FETCH_SQL                                                                              \
    "SELECT blob FROM event_log WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3"

typedef int(cchc_eventlog_fn)(uint64_t seq, const uint8_t *blob, size_t len, void *arg);

//  Read up to max_events events with seq >= from_seq and at most max_bytes
//  of blobs in all (at least one event if any), calling fn for each.
//  Returns the number read, or -1.
long cchc_eventlog_read(sqlite3 *db, uint64_t from_seq, size_t max_events, size_t max_bytes,
                        cchc_eventlog_fn *fn, void *arg);

#endif
