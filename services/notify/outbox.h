/*  outbox.h - notify's outbox in SQLite (data_dir/notify.db): every decided
    alert, once, with its delivery state.

    Table outbox: id, ward, task, unit, person, person_name, kind, level,
    due_date, days_overdue, decided_ms, cause_seq, text, status ('pending' or
    'sent'), attempts, sent_ms, and UNIQUE (ward, task, person, kind, level).

    Alerts are inserted in the same transaction as the model records and
    last_seq, so the outbox and the log position move together. After a
    crash the batch is replayed and INSERT OR IGNORE drops what had been
    decided already. Delivery happens after the commit; its outcome is
    recorded by a later transaction (at least once: a crash in between
    delivers again, with the same token).

    Threads: insert and mark_* run on the writer thread inside its
    transaction; load_keys, pending and list read through any connection
    (notify uses the follower's read connection on the loop thread).
*/
#ifndef CCHC_NOTIFY_OUTBOX_H
#define CCHC_NOTIFY_OUTBOX_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts.h"
#include "strmap.h"

//  notify's own migration steps, run after CCHC_STORE_META_MIGRATION and
//  CCHC_MODEL_MIGRATION (the follower prepends those). Append-only: step 1
//  is the outbox as first released (with a stored token column), step 2
//  rebuilds it into the table described above keeping every row.
extern const char *const cchc_outbox_migrations[];
extern const int cchc_outbox_migration_count;

//  Insert alerts as 'pending', ignoring any whose key is already there.
//  *inserted (may be NULL) gets how many rows were new. Returns 0 or -1
//  (logged; the caller's transaction must then be rolled back).
int cchc_outbox_insert(sqlite3 *db, cchc_alert_t *const *alerts, size_t n, size_t *inserted);

//  Mark the alerts (by their id) delivered at sent_ms and count the attempt.
//  Returns 0 or -1 (logged).
int cchc_outbox_mark_sent(sqlite3 *db, cchc_alert_t *const *alerts, size_t n, int64_t sent_ms);

//  Count a failed delivery attempt for each alert (by id); they stay
//  pending. Returns 0 or -1 (logged).
int cchc_outbox_mark_failed(sqlite3 *db, cchc_alert_t *const *alerts, size_t n);

//  Put the key "ward/task/person/kind/level" of every row into keys (value:
//  a non-NULL marker). Returns 0 or -1 (logged).
int cchc_outbox_load_keys(sqlite3 *db, cchc_strmap_t *keys);

//  Up to limit pending alerts, oldest first, with their id and key set.
//  *alerts is a new array of new alerts; the caller frees each alert
//  (cchc_alert_free) and the array. Returns 0, or -1 (logged) with nothing
//  allocated.
int cchc_outbox_pending(sqlite3 *db, size_t limit, cchc_alert_t ***alerts, size_t *n);

//  A ward's alerts, newest first, at most limit (0: all), with their status;
//  *total = how many the ward has. The caller frees the result with
//  cchc_outbox_list_free. Returns 0, or -1 (logged) with nothing allocated.
int cchc_outbox_list(sqlite3 *db, const char *ward, unsigned limit, Cchc__Alert ***alerts, size_t *n,
                     unsigned *total);

//  Free what cchc_outbox_list returned. NULL with n = 0 is allowed.
void cchc_outbox_list_free(Cchc__Alert **alerts, size_t n);

#endif
