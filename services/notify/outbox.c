/*  outbox.c - see outbox.h. */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *const cchc_outbox_migrations[] = {
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, ward TEXT NOT NULL, task TEXT NOT NULL, unit TEXT NOT NULL,"
    " person TEXT NOT NULL, person_name TEXT NOT NULL, kind INTEGER NOT NULL, level INTEGER NOT NULL,"
    " due_date INTEGER NOT NULL, days_overdue INTEGER NOT NULL, decided_ms INTEGER NOT NULL,"
    " cause_seq INTEGER NOT NULL, text TEXT NOT NULL, token TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, sent_ms INTEGER,"
    " UNIQUE (ward, task, person, kind, level));"
    "CREATE INDEX outbox_pending ON outbox (status) WHERE status = 'pending';",
};
const int cchc_outbox_migration_count = 1;

int cchc_outbox_insert(sqlite3 *db, cchc_alert_t *const *alerts, size_t n)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO outbox (ward, task, unit, person, person_name, kind, level,"
                           " due_date, days_overdue, decided_ms, cause_seq, text, token)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "outbox_insert", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
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
        sqlite3_bind_text(st, 13, a->key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            cchc_log(CCHC_ERROR, "outbox_insert", "error=%s", sqlite3_errmsg(db));
            rc = -1;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int cchc_outbox_mark_sent(sqlite3 *db, cchc_alert_t *const *alerts, size_t n, int64_t sent_ms)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "UPDATE outbox SET status = 'sent', sent_ms = ?, attempts = attempts + 1"
                           " WHERE token = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, sent_ms);
        sqlite3_bind_text(st, 2, alerts[i]->key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int cchc_outbox_load_keys(sqlite3 *db, cchc_strmap_t *keys)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT token FROM outbox", -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW)
        cchc_strmap_put(keys, (const char *)sqlite3_column_text(st, 0), (void *)1);
    sqlite3_finalize(st);
    return 0;
}

static char *col_dup(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

#define ALERT_COLUMNS                                                                                        \
    "id, ward, task, unit, person, person_name, kind, level, due_date, days_overdue, decided_ms, cause_seq," \
    " text, token, status"

int cchc_outbox_pending(sqlite3 *db, cchc_alert_t ***alerts, size_t *n)
{
    sqlite3_stmt *st = NULL;
    *alerts = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db, "SELECT " ALERT_COLUMNS " FROM outbox WHERE status = 'pending' ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *alerts = realloc(*alerts, cap * sizeof(**alerts));
            if (!*alerts)
                abort();
        }
        cchc_alert_t *a = calloc(1, sizeof(*a));
        if (!a)
            abort();
        a->ward = col_dup(st, 1);
        a->task = col_dup(st, 2);
        a->unit = col_dup(st, 3);
        a->person = col_dup(st, 4);
        a->person_name = col_dup(st, 5);
        a->kind = (Cchc__AlertKind)sqlite3_column_int(st, 6);
        a->level = sqlite3_column_int(st, 7);
        a->due_date = sqlite3_column_int(st, 8);
        a->days_overdue = sqlite3_column_int(st, 9);
        a->decided_ms = sqlite3_column_int64(st, 10);
        a->cause_seq = (uint64_t)sqlite3_column_int64(st, 11);
        a->text = col_dup(st, 12);
        a->key = col_dup(st, 13);
        (*alerts)[(*n)++] = a;
    }
    sqlite3_finalize(st);
    return 0;
}

int cchc_outbox_list(sqlite3 *db, const char *ward, unsigned limit, Cchc__Alert ***alerts, size_t *n,
                     unsigned *total)
{
    *alerts = NULL;
    *n = 0;
    *total = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox WHERE ward = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, ward, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        *total = (unsigned)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT " ALERT_COLUMNS " FROM outbox WHERE ward = ? ORDER BY id DESC LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, ward, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *alerts = realloc(*alerts, cap * sizeof(**alerts));
            if (!*alerts)
                abort();
        }
        Cchc__Alert *a = calloc(1, sizeof(*a));
        if (!a)
            abort();
        cchc__alert__init(a);
        a->has_id = a->has_kind = a->has_level = a->has_due_date = a->has_days_overdue = true;
        a->has_decided_ms = a->has_cause_seq = true;
        a->id = (uint64_t)sqlite3_column_int64(st, 0);
        a->ward = col_dup(st, 1);
        a->task = col_dup(st, 2);
        a->unit = col_dup(st, 3);
        a->person = col_dup(st, 4);
        a->person_name = col_dup(st, 5);
        a->kind = (Cchc__AlertKind)sqlite3_column_int(st, 6);
        a->level = sqlite3_column_int(st, 7);
        a->due_date = sqlite3_column_int(st, 8);
        a->days_overdue = sqlite3_column_int(st, 9);
        a->decided_ms = sqlite3_column_int64(st, 10);
        a->cause_seq = (uint64_t)sqlite3_column_int64(st, 11);
        a->text = col_dup(st, 12);
        a->status = col_dup(st, 14);
        (*alerts)[(*n)++] = a;
    }
    sqlite3_finalize(st);
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
