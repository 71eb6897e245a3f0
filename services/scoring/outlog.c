/*  outlog.c - see outlog.h. */
#include "outlog.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "envelope.pb-c.h"
#include "log.h"
#include "logserve.h"
#include "strmap.h"

const char *const cchc_outlog_migrations[] = {
    //  Step 1 of scoring's own: the output log.
    "CREATE TABLE score_change (seq INTEGER PRIMARY KEY, log_time_ms INTEGER NOT NULL,"
    " ward TEXT NOT NULL, unit TEXT NOT NULL, period INTEGER NOT NULL,"
    " old_score_centi INTEGER NOT NULL, new_score_centi INTEGER NOT NULL,"
    " old_rank INTEGER NOT NULL, new_rank INTEGER NOT NULL,"
    " old_tier INTEGER NOT NULL, new_tier INTEGER NOT NULL,"
    " input_seq INTEGER NOT NULL, cause INTEGER NOT NULL, blob BLOB NOT NULL);",
    //  Step 2: a unit's records in time order (score history, as-of
    //  rankings), and the closed months' and quarters' rankings (periods.h).
    "CREATE INDEX score_change_unit ON score_change (ward, unit, log_time_ms, seq);"
    "CREATE TABLE period_ranking (ward TEXT NOT NULL, kind INTEGER NOT NULL, code INTEGER NOT NULL,"
    " blob BLOB NOT NULL, PRIMARY KEY (ward, kind, code)) WITHOUT ROWID;",
    //  Step 3: each unit's last record, kept with the log (a start reads
    //  20,000 rows here instead of grouping the whole log by unit).
    "CREATE TABLE unit_state (ward TEXT NOT NULL, unit TEXT NOT NULL, seq INTEGER NOT NULL,"
    " score_centi INTEGER NOT NULL, rank INTEGER NOT NULL, tier INTEGER NOT NULL,"
    " PRIMARY KEY (ward, unit)) WITHOUT ROWID;"
    "INSERT INTO unit_state (ward, unit, seq, score_centi, rank, tier)"
    " SELECT ward, unit, max(seq), new_score_centi, new_rank, new_tier FROM score_change GROUP BY ward, "
    "unit;",
};
const int cchc_outlog_migration_count = 3;

// ---------------------------------------------------------------------------
//  Rows

void cchc_outrows_add(cchc_outrows_t *rows, uint64_t seq, const Cchc__RankChanged *change,
                      const cchc_ward_t *ward, int64_t log_time_ms, uint64_t input_seq,
                      Cchc__ChangeCause cause)
{
    assert(rows && change);
    if (rows->count == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 16;
        rows->items = realloc(rows->items, rows->cap * sizeof(*rows->items));
        if (!rows->items)
            abort();
    }
    Cchc__ScoreChange rec = CCHC__SCORE_CHANGE__INIT;
    rec.has_seq = rec.has_log_time_ms = rec.has_period = rec.has_input_seq = rec.has_cause = true;
    rec.has_old_score_centi = rec.has_new_score_centi = rec.has_old_rank = rec.has_new_rank = true;
    rec.has_old_tier = rec.has_new_tier = true;
    rec.seq = seq;
    rec.log_time_ms = log_time_ms;
    rec.ward = change->ward;
    rec.unit = change->unit;
    rec.period = ward && ward->def ? ward->def->year : 0;
    rec.old_score_centi = change->old_score_centi;
    rec.new_score_centi = change->new_score_centi;
    rec.old_rank = change->old_rank;
    rec.new_rank = change->new_rank;
    rec.old_tier = change->old_tier;
    rec.new_tier = change->new_tier;
    rec.input_seq = input_seq;
    rec.cause = cause;

    cchc_outrow_t *row = &rows->items[rows->count++];
    row->seq = seq;
    row->log_time_ms = log_time_ms;

    row->period = rec.period;
    row->old_score = rec.old_score_centi;
    row->new_score = rec.new_score_centi;
    row->old_rank = rec.old_rank;
    row->new_rank = rec.new_rank;
    row->old_tier = (int)rec.old_tier;
    row->new_tier = (int)rec.new_tier;
    row->input_seq = input_seq;
    row->cause = (int)cause;
    //  One allocation: the blob, then the ward and unit strings.
    row->len = cchc__score_change__get_packed_size(&rec);
    const char *ward_code = change->ward ? change->ward : "", *unit_code = change->unit ? change->unit : "";
    size_t wlen = strlen(ward_code) + 1, ulen = strlen(unit_code) + 1;
    row->blob = malloc(row->len + wlen + ulen);
    if (!row->blob)
        abort();
    cchc__score_change__pack(&rec, row->blob);
    row->ward = memcpy(row->blob + row->len, ward_code, wlen);
    row->unit = memcpy(row->blob + row->len + wlen, unit_code, ulen);
}

void cchc_outrows_clear(cchc_outrows_t *rows)
{
    assert(rows);
    for (size_t i = 0; i < rows->count; i++)
        free(rows->items[i].blob); //  holds ward and unit too
    rows->count = 0;
}

void cchc_outrows_free(cchc_outrows_t *rows)
{
    assert(rows);
    cchc_outrows_clear(rows);
    free(rows->items);
    rows->items = NULL;
    rows->cap = 0;
}

// ---------------------------------------------------------------------------
//  Storage

//  Each unit's last row of rows into unit_state (once per unit: the rows
//  are walked from the last, skipping units already written).
static int unit_state_save(sqlite3 *db, const cchc_outrows_t *rows)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO unit_state (ward, unit, seq, score_centi, rank, tier)"
                           " VALUES (?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "outlog_unit_state", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    cchc_strmap_t *seen = cchc_strmap_new();
    int rc = 0;
    for (size_t i = rows->count; i-- > 0 && rc == 0;) {
        const cchc_outrow_t *r = &rows->items[i];
        char key[512];
        snprintf(key, sizeof(key), "%s\x1f%s", r->ward, r->unit);
        if (cchc_strmap_get(seen, key))
            continue;
        cchc_strmap_put(seen, key, (void *)r);
        sqlite3_bind_text(st, 1, r->ward, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->unit, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)r->seq);
        sqlite3_bind_int(st, 4, r->new_score);
        sqlite3_bind_int64(st, 5, r->new_rank);
        sqlite3_bind_int(st, 6, r->new_tier);
        if (sqlite3_step(st) != SQLITE_DONE) {
            cchc_log(CCHC_ERROR, "outlog_unit_state", "seq=%llu error=%s", (unsigned long long)r->seq,
                     sqlite3_errmsg(db));
            rc = -1;
        }
        sqlite3_reset(st);
    }
    cchc_strmap_destroy(&seen);
    sqlite3_finalize(st);
    return rc;
}

int cchc_outlog_append(sqlite3 *db, sqlite3_stmt **stmt, const cchc_outrows_t *rows)
{
    assert(db && stmt && rows);
    if (rows->count == 0)
        return 0;
    if (!*stmt &&
        sqlite3_prepare_v3(db,
                           "INSERT INTO score_change (seq, log_time_ms, ward, unit, period,"
                           " old_score_centi, new_score_centi, old_rank, new_rank, old_tier,"
                           " new_tier, input_seq, cause, blob) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "outlog_append", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_stmt *st = *stmt;
    int rc = 0;
    for (size_t i = 0; i < rows->count && rc == 0; i++) {
        const cchc_outrow_t *r = &rows->items[i];
        sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq);
        sqlite3_bind_int64(st, 2, r->log_time_ms);
        sqlite3_bind_text(st, 3, r->ward, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->unit, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, r->period);
        sqlite3_bind_int(st, 6, r->old_score);
        sqlite3_bind_int(st, 7, r->new_score);
        sqlite3_bind_int64(st, 8, r->old_rank);
        sqlite3_bind_int64(st, 9, r->new_rank);
        sqlite3_bind_int(st, 10, r->old_tier);
        sqlite3_bind_int(st, 11, r->new_tier);
        sqlite3_bind_int64(st, 12, (sqlite3_int64)r->input_seq);
        sqlite3_bind_int(st, 13, r->cause);
        sqlite3_bind_blob(st, 14, r->blob, (int)r->len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            cchc_log(CCHC_ERROR, "outlog_append", "seq=%llu error=%s", (unsigned long long)r->seq,
                     sqlite3_errmsg(db));
            rc = -1;
        }
        sqlite3_reset(st);
    }
    sqlite3_clear_bindings(st);
    if (rc == 0)
        rc = unit_state_save(db, rows);
    return rc;
}

int cchc_outlog_head(sqlite3 *db, uint64_t *seq)
{
    sqlite3_stmt *stmt = NULL;
    *seq = 0;
    if (sqlite3_prepare_v2(db, "SELECT max(seq) FROM score_change", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *seq = (uint64_t)sqlite3_column_int64(stmt, 0); //  NULL (empty) reads as 0
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

int cchc_outlog_last_states(sqlite3 *db, cchc_outlog_state_fn *fn, void *arg)
{
    //  unit_state holds each unit's last record (written with the records).
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT ward, unit, score_centi, rank, tier FROM unit_state", -1, &stmt,
                           NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "outlog_states", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        fn((const char *)sqlite3_column_text(stmt, 0), (const char *)sqlite3_column_text(stmt, 1),
           sqlite3_column_int(stmt, 2), (uint32_t)sqlite3_column_int64(stmt, 3), sqlite3_column_int(stmt, 4),
           arg);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

long cchc_outlog_fetch_reply(sqlite3 *db, uint64_t request_id, uint64_t from_seq, uint64_t head_seq,
                             size_t max_records, size_t max_bytes, uint8_t **out, size_t *out_len)
{
    cchc_logserve_opts_t opts = {
        .select_sql = CCHC_OUTLOG_FETCH_SQL,
        .body_field = CCHC__ENVELOPE__BODY_CHANGE_BATCH,
        .max_records = max_records,
        .max_bytes = max_bytes,
        .name = "score_change",
    };
    return cchc_logserve_reply(db, &opts, request_id, from_seq, head_seq, max_records, out, out_len);
}

// ---------------------------------------------------------------------------
//  History

int cchc_outlog_state_at(sqlite3 *db, const char *ward, const char *unit, int64_t as_of_ms, int32_t *score,
                         uint32_t *rank, int *tier)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT new_score_centi, new_rank, new_tier FROM score_change"
                           " WHERE ward = ?1 AND unit = ?2 AND log_time_ms <= ?3"
                           " ORDER BY log_time_ms DESC, seq DESC LIMIT 1",
                           -1, &stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "outlog_read", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(stmt, 1, ward, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, as_of_ms);
    int rc = sqlite3_step(stmt), found = 0;
    if (rc == SQLITE_ROW) {
        *score = sqlite3_column_int(stmt, 0);
        *rank = (uint32_t)sqlite3_column_int64(stmt, 1);
        *tier = sqlite3_column_int(stmt, 2);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        cchc_log(CCHC_ERROR, "outlog_read", "error=%s", sqlite3_errmsg(db));
        found = -1;
    }
    sqlite3_finalize(stmt);
    return found;
}

long cchc_outlog_history(sqlite3 *db, const char *ward, const char *unit, size_t limit,
                         Cchc__ScoreChange ***out, uint64_t *total)
{
    *out = NULL;
    *total = 0;
    sqlite3_stmt *count = NULL, *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM score_change WHERE ward = ?1 AND unit = ?2", -1, &count,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT blob FROM score_change WHERE ward = ?1 AND unit = ?2"
                           " ORDER BY log_time_ms DESC, seq DESC LIMIT ?3",
                           -1, &stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "outlog_read", "error=%s", sqlite3_errmsg(db));
        sqlite3_finalize(count);
        return -1;
    }
    sqlite3_bind_text(count, 1, ward, -1, SQLITE_STATIC);
    sqlite3_bind_text(count, 2, unit, -1, SQLITE_STATIC);
    if (sqlite3_step(count) == SQLITE_ROW)
        *total = (uint64_t)sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);
    sqlite3_bind_text(stmt, 1, ward, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)limit);
    Cchc__ScoreChange **items = calloc(limit + 1, sizeof(*items));
    if (!items)
        abort();
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        Cchc__ScoreChange *c = cchc__score_change__unpack(NULL, (size_t)sqlite3_column_bytes(stmt, 0),
                                                          sqlite3_column_blob(stmt, 0));
        if (!c) {
            rc = SQLITE_CORRUPT;
            break;
        }
        items[n++] = c;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        cchc_log(CCHC_ERROR, "outlog_read", "ward=%s unit=%s error=%s", ward, unit, "a record does not read");
        cchc_outlog_history_free(items, (size_t)n);
        return -1;
    }
    for (long i = 0; i < n / 2; i++) { //  newest first from the query; oldest first for the reader
        Cchc__ScoreChange *t = items[i];
        items[i] = items[n - 1 - i];
        items[n - 1 - i] = t;
    }
    *out = items;
    return n;
}

void cchc_outlog_history_free(Cchc__ScoreChange **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cchc__score_change__free_unpacked(items[i], NULL);
    free(items);
}
