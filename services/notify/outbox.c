/*  outbox.c - see outbox.h.

    The dedupe key is the UNIQUE index itself; its text form
    "ward/task/person/kind/level" (the token receivers see) is composed from
    the columns when read, not stored twice. A partial index holds only the
    pending rows, so finding what to deliver stays cheap however many alerts
    were sent before. Statements are prepared per call: each call handles a
    whole batch, so preparing is not on any per-row path.
*/
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

//  Migration steps are applied by user_version: a step that has shipped is
//  never edited (an existing notify.db would never see the edit); a change
//  is a new step appended at the end.
const char *const cchc_outbox_migrations[] = {
    //  1: the first outbox, with a stored token column.
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, ward TEXT NOT NULL, task TEXT NOT NULL, unit TEXT NOT NULL,"
    " person TEXT NOT NULL, person_name TEXT NOT NULL, kind INTEGER NOT NULL, level INTEGER NOT NULL,"
    " due_date INTEGER NOT NULL, days_overdue INTEGER NOT NULL, decided_ms INTEGER NOT NULL,"
    " cause_seq INTEGER NOT NULL, text TEXT NOT NULL, token TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, sent_ms INTEGER,"
    " UNIQUE (ward, task, person, kind, level));"
    "CREATE INDEX outbox_pending ON outbox (status) WHERE status = 'pending';",
    //  2: the token is composed from the key columns (KEY_SQL) instead of
    //  stored twice; status is checked; the pending index is ordered by id
    //  (delivery reads the oldest first) and queries by ward get an index.
    //  A CHECK cannot be added by ALTER TABLE, so the table is rebuilt the
    //  way SQLite documents (new table, copy, drop, rename), keeping ids.
    "CREATE TABLE outbox_v2 (id INTEGER PRIMARY KEY, ward TEXT NOT NULL, task TEXT NOT NULL,"
    " unit TEXT NOT NULL, person TEXT NOT NULL, person_name TEXT NOT NULL, kind INTEGER NOT NULL,"
    " level INTEGER NOT NULL, due_date INTEGER NOT NULL, days_overdue INTEGER NOT NULL,"
    " decided_ms INTEGER NOT NULL, cause_seq INTEGER NOT NULL, text TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),"
    " attempts INTEGER NOT NULL DEFAULT 0, sent_ms INTEGER,"
    " UNIQUE (ward, task, person, kind, level));"
    "INSERT INTO outbox_v2 (id, ward, task, unit, person, person_name, kind, level, due_date, days_overdue,"
    " decided_ms, cause_seq, text, status, attempts, sent_ms)"
    " SELECT id, ward, task, unit, person, person_name, kind, level, due_date, days_overdue, decided_ms,"
    " cause_seq, text, status, attempts, sent_ms FROM outbox ORDER BY id;"
    "DROP TABLE outbox;"
    "ALTER TABLE outbox_v2 RENAME TO outbox;"
    "CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';"
    "CREATE INDEX outbox_ward ON outbox (ward, id);",
};
const int cchc_outbox_migration_count = sizeof(cchc_outbox_migrations) / sizeof(cchc_outbox_migrations[0]);

//  The token, as cchc_alert_key writes it.
#define KEY_SQL "ward || '/' || task || '/' || person || '/' || kind || '/' || level"

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, const char *what)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
        return 0;
    cchc_log(CCHC_ERROR, "outbox_error", "op=%s error=%s", what, sqlite3_errmsg(db));
    return -1;
}

static int step_failed(sqlite3 *db, const char *what)
{
    cchc_log(CCHC_ERROR, "outbox_error", "op=%s error=%s", what, sqlite3_errmsg(db));
    return -1;
}

int cchc_outbox_insert(sqlite3 *db, cchc_alert_t *const *alerts, size_t n, size_t *inserted)
{
    size_t added = 0;
    if (inserted)
        *inserted = 0;
    if (n == 0)
        return 0;
    sqlite3_stmt *st = NULL;
    if (prepare(db,
                "INSERT OR IGNORE INTO outbox (ward, task, unit, person, person_name, kind, level, due_date,"
                " days_overdue, decided_ms, cause_seq, text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                &st, "insert") != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const cchc_alert_t *a = alerts[i];
        sqlite3_bind_text(st, 1, a->ward, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, a->task, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, a->unit, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, a->person, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, a->person_name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, (int)a->kind);
        sqlite3_bind_int(st, 7, a->level);
        sqlite3_bind_int(st, 8, a->due_date);
        sqlite3_bind_int(st, 9, a->days_overdue);
        sqlite3_bind_int64(st, 10, a->decided_ms);
        sqlite3_bind_int64(st, 11, (sqlite3_int64)a->cause_seq);
        sqlite3_bind_text(st, 12, a->text, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = step_failed(db, "insert");
        else
            added += (size_t)sqlite3_changes(db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == 0 && inserted)
        *inserted = added;
    return rc;
}

//  Run sql once per alert with ?1 = id and ?2 = value (when has_value).
static int update_each(sqlite3 *db, const char *sql, const char *what, cchc_alert_t *const *alerts, size_t n,
                       bool has_value, int64_t value)
{
    if (n == 0)
        return 0;
    sqlite3_stmt *st = NULL;
    if (prepare(db, sql, &st, what) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, alerts[i]->id);
        if (has_value)
            sqlite3_bind_int64(st, 2, value);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = step_failed(db, what);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int cchc_outbox_mark_sent(sqlite3 *db, cchc_alert_t *const *alerts, size_t n, int64_t sent_ms)
{
    return update_each(db,
                       "UPDATE outbox SET status = 'sent', sent_ms = ?2, attempts = attempts + 1"
                       " WHERE id = ?1 AND status = 'pending'",
                       "mark_sent", alerts, n, true, sent_ms);
}

int cchc_outbox_mark_failed(sqlite3 *db, cchc_alert_t *const *alerts, size_t n)
{
    return update_each(db, "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1 AND status = 'pending'",
                       "mark_failed", alerts, n, false, 0);
}

int cchc_outbox_load_keys(sqlite3 *db, cchc_strmap_t *keys)
{
    sqlite3_stmt *st = NULL;
    if (prepare(db, "SELECT " KEY_SQL " FROM outbox", &st, "load_keys") != 0)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cchc_strmap_put(keys, (const char *)sqlite3_column_text(st, 0), (void *)1);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : step_failed(db, "load_keys");
}

static char *column_dup(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

//  Room for one more than n elements of size in *items; returns the array.
static void *grow(void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 16;
    void *grown = realloc(items, *cap * size);
    if (!grown)
        abort();
    return grown;
}

#define ALERT_COLUMNS                                                                                        \
    "id, ward, task, unit, person, person_name, kind, level, due_date, days_overdue, decided_ms, cause_seq," \
    " text, status, " KEY_SQL

int cchc_outbox_pending(sqlite3 *db, size_t limit, cchc_alert_t ***alerts, size_t *n)
{
    *alerts = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (prepare(db, "SELECT " ALERT_COLUMNS " FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?", &st,
                "pending") != 0)
        return -1;
    sqlite3_bind_int64(st, 1, limit ? (sqlite3_int64)limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *alerts = grow(*alerts, *n, &cap, sizeof(**alerts));
        cchc_alert_t *a = calloc(1, sizeof(*a));
        if (!a)
            abort();
        a->id = sqlite3_column_int64(st, 0);
        a->ward = column_dup(st, 1);
        a->task = column_dup(st, 2);
        a->unit = column_dup(st, 3);
        a->person = column_dup(st, 4);
        a->person_name = column_dup(st, 5);
        a->kind = (Cchc__AlertKind)sqlite3_column_int(st, 6);
        a->level = sqlite3_column_int(st, 7);
        a->due_date = sqlite3_column_int(st, 8);
        a->days_overdue = sqlite3_column_int(st, 9);
        a->decided_ms = sqlite3_column_int64(st, 10);
        a->cause_seq = (uint64_t)sqlite3_column_int64(st, 11);
        a->text = column_dup(st, 12);
        a->key = column_dup(st, 14);
        (*alerts)[(*n)++] = a;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < *n; i++)
            cchc_alert_free((*alerts)[i]);
        free(*alerts);
        *alerts = NULL;
        *n = 0;
        return step_failed(db, "pending");
    }
    return 0;
}

int cchc_outbox_list(sqlite3 *db, const char *ward, unsigned limit, Cchc__Alert ***alerts, size_t *n,
                     unsigned *total)
{
    *alerts = NULL;
    *n = 0;
    *total = 0;
    sqlite3_stmt *st = NULL;
    if (prepare(db, "SELECT count(*) FROM outbox WHERE ward = ?", &st, "count") != 0)
        return -1;
    sqlite3_bind_text(st, 1, ward, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *total = (unsigned)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return step_failed(db, "count");
    if (prepare(db, "SELECT " ALERT_COLUMNS " FROM outbox WHERE ward = ? ORDER BY id DESC LIMIT ?", &st,
                "list") != 0)
        return -1;
    sqlite3_bind_text(st, 1, ward, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *alerts = grow(*alerts, *n, &cap, sizeof(**alerts));
        Cchc__Alert *a = calloc(1, sizeof(*a));
        if (!a)
            abort();
        cchc__alert__init(a);
        a->has_id = a->has_kind = a->has_level = a->has_due_date = a->has_days_overdue = true;
        a->has_decided_ms = a->has_cause_seq = true;
        a->id = (uint64_t)sqlite3_column_int64(st, 0);
        a->ward = column_dup(st, 1);
        a->task = column_dup(st, 2);
        a->unit = column_dup(st, 3);
        a->person = column_dup(st, 4);
        a->person_name = column_dup(st, 5);
        a->kind = (Cchc__AlertKind)sqlite3_column_int(st, 6);
        a->level = sqlite3_column_int(st, 7);
        a->due_date = sqlite3_column_int(st, 8);
        a->days_overdue = sqlite3_column_int(st, 9);
        a->decided_ms = sqlite3_column_int64(st, 10);
        a->cause_seq = (uint64_t)sqlite3_column_int64(st, 11);
        a->text = column_dup(st, 12);
        a->status = column_dup(st, 13);
        (*alerts)[(*n)++] = a;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cchc_outbox_list_free(*alerts, *n);
        *alerts = NULL;
        *n = 0;
        *total = 0;
        return step_failed(db, "list");
    }
    return 0;
}

void cchc_outbox_list_free(Cchc__Alert **alerts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Cchc__Alert *a = alerts[i];
        free(a->ward);
        free(a->task);
        free(a->unit);
        free(a->person);
        free(a->person_name);
        free(a->text);
        free(a->status);
        free(a);
    }
    free(alerts);
}
