/*  outbox.h - notify's outbox in SQLite: every decided alert, once.

    UNIQUE (ward, task, person, kind, level): an alert decided again after a
    crash (its batch replayed) is dropped by INSERT OR IGNORE. Alerts are
    inserted in the same transaction as the model and last_seq; delivery
    happens after the commit and is recorded by a later transaction.
*/
#ifndef CCHC_NOTIFY_OUTBOX_H
#define CCHC_NOTIFY_OUTBOX_H

#include <sqlite3.h>

#include "alerts.h"
#include "strmap.h"

extern const char *const cchc_outbox_migrations[];
extern const int cchc_outbox_migration_count;

//  Insert alerts (writer thread, inside the transaction). Returns 0 or -1.
int cchc_outbox_insert(sqlite3 *db, cchc_alert_t *const *alerts, size_t n);

//  Mark alerts delivered (writer thread). Returns 0 or -1.
int cchc_outbox_mark_sent(sqlite3 *db, cchc_alert_t *const *alerts, size_t n, int64_t sent_ms);

//  Put every decided key into keys (value: non-NULL marker). Returns 0 or -1.
int cchc_outbox_load_keys(sqlite3 *db, cchc_strmap_t *keys);

//  Alerts still pending delivery, oldest first (caller frees each and the array).
int cchc_outbox_pending(sqlite3 *db, cchc_alert_t ***alerts, size_t *n);

//  A ward's alerts, newest first, at most limit (0: all), with their status;
//  total = all alerts of the ward. Caller frees with cchc_outbox_list_free.
int cchc_outbox_list(sqlite3 *db, const char *ward, unsigned limit, Cchc__Alert ***alerts, size_t *n,
                     unsigned *total);
void cchc_outbox_list_free(Cchc__Alert **alerts, size_t n);

#endif
