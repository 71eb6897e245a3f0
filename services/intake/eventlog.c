/*  eventlog.c - intake's append-only event log in SQLite. */
#include "eventlog.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "producers.h"
#include "store.h"

const char *const cchc_eventlog_migrations[] = {
    CCHC_STORE_META_MIGRATION,
    "CREATE TABLE event_log (seq INTEGER PRIMARY KEY, log_time_ms INTEGER NOT NULL,"
    " ward TEXT NOT NULL, type INTEGER NOT NULL, blob BLOB NOT NULL);",
    CCHC_PRODUCERS_MIGRATION,
    CCHC_PRODUCERS_WINDOW_MIGRATION,
    CCHC_MODEL_MIGRATION, //  snapshots of the validation model (model_record)
};
const int cchc_eventlog_migration_count = 5;

void cchc_logrow_pack(cchc_logrow_t *row, const Cchc__Event *ev)
{
    row->seq = ev->seq;
    row->log_time_ms = ev->log_time_ms;
    row->ward = strdup(ev->ward ? ev->ward : "");
    row->type = (int)ev->payload_case;
    row->len = cchc__event__get_packed_size(ev);
    row->blob = malloc(row->len ? row->len : 1);
    if (!row->blob || !row->ward)
        abort();
    cchc__event__pack(ev, row->blob);
}

void cchc_logrow_clear(cchc_logrow_t *row)
{
    free(row->ward);
    free(row->blob);
    row->ward = NULL;
    row->blob = NULL;
}

int cchc_eventlog_append(sqlite3 *db, sqlite3_stmt **stmt, const cchc_logrow_t *rows, size_t n)
{
    if (!*stmt && sqlite3_prepare_v3(
                      db, "INSERT INTO event_log (seq, log_time_ms, ward, type, blob) VALUES (?,?,?,?,?)", -1,
                      SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "eventlog_append", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_stmt *st = *stmt;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)rows[i].seq);
        sqlite3_bind_int64(st, 2, rows[i].log_time_ms);
        sqlite3_bind_text(st, 3, rows[i].ward, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, rows[i].type);
        sqlite3_bind_blob(st, 5, rows[i].blob, (int)rows[i].len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            cchc_log(CCHC_ERROR, "eventlog_append", "seq=%llu error=%s", (unsigned long long)rows[i].seq,
                     sqlite3_errmsg(db));
            rc = -1;
        }
        sqlite3_reset(st);
    }
    sqlite3_clear_bindings(st);
    return rc;
}

int cchc_eventlog_head(sqlite3 *db, uint64_t *seq, int64_t *log_time_ms)
{
    sqlite3_stmt *stmt = NULL;
    *seq = 0;
    *log_time_ms = 0;
    if (sqlite3_prepare_v2(db, "SELECT seq, log_time_ms FROM event_log ORDER BY seq DESC LIMIT 1", -1, &stmt,
                           NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *seq = (uint64_t)sqlite3_column_int64(stmt, 0);
        *log_time_ms = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

long cchc_eventlog_read(sqlite3 *db, uint64_t from_seq, size_t max_events, size_t max_bytes,
                        cchc_eventlog_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT seq, blob FROM event_log WHERE seq >= ? ORDER BY seq LIMIT ?", -1,
                           &stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "eventlog_read", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)from_seq);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max_events);
    long count = 0;
    size_t bytes = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(stmt, 0);
        const uint8_t *blob = sqlite3_column_blob(stmt, 1);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 1);
        if (count > 0 && bytes + len > max_bytes)
            break;
        int stop = fn(seq, blob ? blob : (const uint8_t *)"", len, arg);
        bytes += len;
        count++;
        if (stop)
            break;
    }
    if (count >= 0 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        cchc_log(CCHC_ERROR, "eventlog_read", "error=%s", sqlite3_errmsg(db));
        count = -1;
    }
    sqlite3_finalize(stmt);
    return count;
}
