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
    //  3: retries with backoff and dead letters. The outbox gains a 'dead'
    //  status (rebuilt again: the CHECK changes), when the next attempt is
    //  due, the last error and channel, and when it was dead-lettered; the
    //  delivery table keeps each (alert, channel)'s own state, so a channel
    //  that took an alert is never tried again for it.
    "CREATE TABLE outbox_v3 (id INTEGER PRIMARY KEY, ward TEXT NOT NULL, task TEXT NOT NULL,"
    " unit TEXT NOT NULL, person TEXT NOT NULL, person_name TEXT NOT NULL, kind INTEGER NOT NULL,"
    " level INTEGER NOT NULL, due_date INTEGER NOT NULL, days_overdue INTEGER NOT NULL,"
    " decided_ms INTEGER NOT NULL, cause_seq INTEGER NOT NULL, text TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),"
    " attempts INTEGER NOT NULL DEFAULT 0, sent_ms INTEGER, next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT, last_channel TEXT, dead_ms INTEGER,"
    " UNIQUE (ward, task, person, kind, level));"
    "INSERT INTO outbox_v3 (id, ward, task, unit, person, person_name, kind, level, due_date, days_overdue,"
    " decided_ms, cause_seq, text, status, attempts, sent_ms)"
    " SELECT id, ward, task, unit, person, person_name, kind, level, due_date, days_overdue, decided_ms,"
    " cause_seq, text, status, attempts, sent_ms FROM outbox ORDER BY id;"
    "DROP TABLE outbox;"
    "ALTER TABLE outbox_v3 RENAME TO outbox;"
    "CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';"
    "CREATE INDEX outbox_ward ON outbox (ward, id);"
    "CREATE INDEX outbox_dead ON outbox (ward, id) WHERE status = 'dead';"
    "CREATE TABLE delivery (alert_id INTEGER NOT NULL, channel TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),"
    " attempts INTEGER NOT NULL DEFAULT 0, last_attempt_ms INTEGER, next_attempt_ms INTEGER NOT NULL DEFAULT "
    "0,"
    " last_error TEXT, sent_ms INTEGER, PRIMARY KEY (alert_id, channel)) WITHOUT ROWID;",
    //  4: the position in scoring's output log (tier and rank drops): the
    //  next seq wanted, written in the transaction of the alerts decided
    //  from the records before it. One row per followed log ("scoring").
    "CREATE TABLE stream_position (stream TEXT PRIMARY KEY, next_seq INTEGER NOT NULL) WITHOUT ROWID;",
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

//  An Alert from a row whose first columns are ALERT_COLUMNS (for queries;
//  the caller owns it).
static Cchc__Alert *alert_row(sqlite3_stmt *st)
{
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
    return a;
}

//  Free an Alert made by alert_row.
static void alert_free(Cchc__Alert *a)
{
    free(a->ward);
    free(a->task);
    free(a->unit);
    free(a->person);
    free(a->person_name);
    free(a->text);
    free(a->status);
    free(a);
}

int cchc_outbox_pending(sqlite3 *db, size_t limit, cchc_alert_t ***alerts, size_t *n)
{
    return cchc_outbox_due(db, INT64_MAX, limit, alerts, n);
}

int cchc_outbox_due(sqlite3 *db, int64_t now_ms, size_t limit, cchc_alert_t ***alerts, size_t *n)
{
    return cchc_outbox_due_before(db, now_ms, INT64_MAX, limit, alerts, n);
}

int cchc_outbox_due_before(sqlite3 *db, int64_t now_ms, int64_t decided_before_ms, size_t limit,
                           cchc_alert_t ***alerts, size_t *n)
{
    *alerts = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (prepare(db,
                "SELECT " ALERT_COLUMNS " FROM outbox WHERE status = 'pending' AND next_attempt_ms <= ?"
                " AND decided_ms < ? ORDER BY id LIMIT ?",
                &st, "pending") != 0)
        return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, decided_before_ms);
    sqlite3_bind_int64(st, 3, limit ? (sqlite3_int64)limit : -1);
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
        Cchc__Alert *a = alert_row(st);
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
    for (size_t i = 0; i < n; i++)
        alert_free(alerts[i]);
    free(alerts);
}

// ---------------------------------------------------------------------------
//  Per-channel delivery state, retries and dead letters

int cchc_delivery_load(sqlite3 *db, int64_t alert_id, cchc_delivery_state_t *state)
{
    memset(state, 0, sizeof(*state));
    sqlite3_stmt *st = NULL;
    if (prepare(db, "SELECT channel, status, attempts, next_attempt_ms FROM delivery WHERE alert_id = ?", &st,
                "delivery_load") != 0)
        return -1;
    sqlite3_bind_int64(st, 1, alert_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int ch = name ? cchc_channel_parse(name, strlen(name)) : -1;
        int status = cchc_delivery_status_parse((const char *)sqlite3_column_text(st, 1));
        if (ch < 0 || status < 0)
            continue; //  a channel this build does not know: ignored
        state->ch[ch].status = (cchc_delivery_status_t)status;
        state->ch[ch].attempts = sqlite3_column_int(st, 2);
        state->ch[ch].next_attempt_ms = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : step_failed(db, "delivery_load");
}

int cchc_delivery_store(sqlite3 *db, const cchc_delivery_record_t *records, size_t n)
{
    if (n == 0)
        return 0;
    sqlite3_stmt *ch = NULL, *ob = NULL;
    if (prepare(db,
                "INSERT INTO delivery (alert_id, channel, status, attempts, last_attempt_ms, next_attempt_ms,"
                " last_error, sent_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?3 = 'sent' THEN ?5 END)"
                " ON CONFLICT (alert_id, channel) DO UPDATE SET status = ?3, attempts = ?4,"
                " last_attempt_ms = ?5, next_attempt_ms = ?6, last_error = coalesce(?7, last_error),"
                " sent_ms = CASE WHEN ?3 = 'sent' THEN ?5 ELSE sent_ms END",
                &ch, "delivery_store") != 0)
        return -1;
    if (prepare(db,
                "UPDATE outbox SET attempts = attempts + 1,"
                " status = CASE ?2 WHEN 1 THEN 'sent' WHEN 2 THEN 'dead' ELSE 'pending' END,"
                " sent_ms = CASE WHEN ?2 = 1 THEN ?3 ELSE sent_ms END,"
                " dead_ms = CASE WHEN ?2 = 2 THEN ?3 ELSE dead_ms END,"
                " next_attempt_ms = ?4, last_error = coalesce(?5, last_error),"
                " last_channel = coalesce(?6, last_channel)"
                " WHERE id = ?1 AND status = 'pending'",
                &ob, "delivery_store") != 0) {
        sqlite3_finalize(ch);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const cchc_delivery_record_t *r = &records[i];
        const char *last_error = NULL, *last_channel = NULL;
        for (int c = 0; c < CCHC_CH_COUNT && rc == 0; c++) {
            if (!(r->tried & CCHC_CH_BIT(c)))
                continue;
            const cchc_channel_state_t *s = &r->state.ch[c];
            bool ok = (r->ok & CCHC_CH_BIT(c)) != 0;
            const char *error = ok ? NULL : r->errors[c];
            if (!ok) {
                last_error = error;
                last_channel = cchc_channel_name((cchc_channel_t)c);
            }
            sqlite3_bind_int64(ch, 1, r->alert_id);
            sqlite3_bind_text(ch, 2, cchc_channel_name((cchc_channel_t)c), -1, SQLITE_STATIC);
            sqlite3_bind_text(ch, 3, cchc_delivery_status_name(s->status), -1, SQLITE_STATIC);
            sqlite3_bind_int(ch, 4, s->attempts);
            sqlite3_bind_int64(ch, 5, r->now_ms);
            sqlite3_bind_int64(ch, 6, s->next_attempt_ms);
            if (error)
                sqlite3_bind_text(ch, 7, error, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(ch, 7);
            if (sqlite3_step(ch) != SQLITE_DONE)
                rc = step_failed(db, "delivery_store");
            sqlite3_reset(ch);
            sqlite3_clear_bindings(ch);
        }
        if (rc != 0)
            break;
        if (r->tried == 0 && r->outcome == CCHC_OUTCOME_PENDING)
            continue; //  nothing was tried (a stop, or nothing due): unchanged
        sqlite3_bind_int64(ob, 1, r->alert_id);
        sqlite3_bind_int(ob, 2, (int)r->outcome);
        sqlite3_bind_int64(ob, 3, r->now_ms);
        sqlite3_bind_int64(ob, 4, r->outcome == CCHC_OUTCOME_PENDING ? r->next_attempt_ms : 0);
        if (last_error) {
            sqlite3_bind_text(ob, 5, last_error, -1, SQLITE_STATIC);
            sqlite3_bind_text(ob, 6, last_channel, -1, SQLITE_STATIC);
        }
        if (sqlite3_step(ob) != SQLITE_DONE)
            rc = step_failed(db, "delivery_store");
        sqlite3_reset(ob);
        sqlite3_clear_bindings(ob);
    }
    sqlite3_finalize(ch);
    sqlite3_finalize(ob);
    return rc;
}

int cchc_outbox_next_due(sqlite3 *db, int64_t *next_ms)
{
    return cchc_outbox_next_due_before(db, INT64_MAX, next_ms);
}

int cchc_outbox_next_due_before(sqlite3 *db, int64_t decided_before_ms, int64_t *next_ms)
{
    sqlite3_stmt *st = NULL;
    if (prepare(db, "SELECT min(next_attempt_ms) FROM outbox WHERE status = 'pending' AND decided_ms < ?",
                &st, "next_due") != 0)
        return -1;
    sqlite3_bind_int64(st, 1, decided_before_ms);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *next_ms = sqlite3_column_int64(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? found : step_failed(db, "next_due");
}

int cchc_outbox_dead(sqlite3 *db, const char *ward, Cchc__DeadLetter ***letters, size_t *n)
{
    *letters = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (prepare(db,
                "SELECT " ALERT_COLUMNS ", last_channel, last_error, dead_ms,"
                " (SELECT attempts FROM delivery d WHERE d.alert_id = outbox.id AND d.channel = last_channel)"
                " FROM outbox WHERE ward = ? AND status = 'dead' ORDER BY id",
                &st, "dead") != 0)
        return -1;
    sqlite3_bind_text(st, 1, ward, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *letters = grow(*letters, *n, &cap, sizeof(**letters));
        Cchc__DeadLetter *d = calloc(1, sizeof(*d));
        if (!d)
            abort();
        cchc__dead_letter__init(d);
        d->alert = alert_row(st);
        d->channel = column_dup(st, 15);
        d->last_error = column_dup(st, 16);
        d->has_dead_ms = d->has_attempts = true;
        d->dead_ms = sqlite3_column_int64(st, 17);
        d->attempts = (uint32_t)sqlite3_column_int(st, 18);
        (*letters)[(*n)++] = d;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cchc_outbox_dead_free(*letters, *n);
        *letters = NULL;
        *n = 0;
        return step_failed(db, "dead");
    }
    return 0;
}

void cchc_outbox_dead_free(Cchc__DeadLetter **letters, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        alert_free(letters[i]->alert);
        free(letters[i]->channel);
        free(letters[i]->last_error);
        free(letters[i]);
    }
    free(letters);
}

int cchc_outbox_replay(sqlite3 *db, const char *ward, const uint64_t *ids, size_t nids, size_t *replayed)
{
    *replayed = 0;
    //  the channels that took the alert stay sent; the others start afresh
    static const char *const sql[2] = {
        "UPDATE delivery SET status = 'pending', attempts = 0, next_attempt_ms = 0 WHERE status != 'sent'"
        " AND alert_id IN (SELECT id FROM outbox WHERE ward = ?1 AND status = 'dead' AND (?2 IS NULL OR id = "
        "?2))",
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = 0, dead_ms = NULL"
        " WHERE ward = ?1 AND status = 'dead' AND (?2 IS NULL OR id = ?2)",
    };
    sqlite3_stmt *st[2] = {NULL, NULL};
    if (prepare(db, sql[0], &st[0], "replay") != 0)
        return -1;
    if (prepare(db, sql[1], &st[1], "replay") != 0) {
        sqlite3_finalize(st[0]);
        return -1;
    }
    int rc = 0;
    size_t rounds = ids ? nids : 1;
    for (size_t i = 0; i < rounds && rc == 0; i++) {
        for (int k = 0; k < 2 && rc == 0; k++) {
            sqlite3_bind_text(st[k], 1, ward, -1, SQLITE_STATIC);
            if (ids)
                sqlite3_bind_int64(st[k], 2, (sqlite3_int64)ids[i]);
            else
                sqlite3_bind_null(st[k], 2);
            if (sqlite3_step(st[k]) != SQLITE_DONE)
                rc = step_failed(db, "replay");
            else if (k == 1)
                *replayed += (size_t)sqlite3_changes(db);
            sqlite3_reset(st[k]);
        }
    }
    sqlite3_finalize(st[0]);
    sqlite3_finalize(st[1]);
    return rc;
}

// ---------------------------------------------------------------------------
//  Positions in other logs (scoring's output log)

int cchc_outbox_stream_get(sqlite3 *db, const char *stream, uint64_t *next_seq)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT next_seq FROM stream_position WHERE stream = ?1", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    *next_seq = 1;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *next_seq = (uint64_t)sqlite3_column_int64(st, 0);
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cchc_log(CCHC_ERROR, "outbox_stream_read", "stream=%s error=%s", stream, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

int cchc_outbox_stream_set(sqlite3 *db, const char *stream, uint64_t next_seq)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db, "INSERT OR REPLACE INTO stream_position (stream, next_seq) VALUES (?1, ?2)", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)next_seq);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cchc_log(CCHC_ERROR, "outbox_stream_write", "stream=%s error=%s", stream, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}
