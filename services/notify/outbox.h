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

    Table stream_position: the next seq of scoring's output log (tier and
    rank drops), committed with the alerts decided from it.

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
#include "delivery.h"
#include "strmap.h"

//  notify's own migration steps, run after CCHC_STORE_META_MIGRATION and
//  CCHC_MODEL_MIGRATION (the follower prepends those). Append-only: step 1
//  is the outbox as first released (with a stored token column), step 2
//  rebuilds it into the table described above keeping every row, step 3
//  adds retries and dead letters, step 4 the table stream_position.
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

//  Like cchc_outbox_pending, only those whose next attempt is due at now_ms
//  (wall clock).
int cchc_outbox_due(sqlite3 *db, int64_t now_ms, size_t limit, cchc_alert_t ***alerts, size_t *n);

//  Like cchc_outbox_due, only alerts decided (log time) before
//  decided_before_ms: digests hold back the alerts of a window that is still
//  open (channels.h).
int cchc_outbox_due_before(sqlite3 *db, int64_t now_ms, int64_t decided_before_ms, size_t limit,
                           cchc_alert_t ***alerts, size_t *n);

//  A ward's alerts, newest first, at most limit (0: all), with their status;
//  *total = how many the ward has. The caller frees the result with
//  cchc_outbox_list_free. Returns 0, or -1 (logged) with nothing allocated.
int cchc_outbox_list(sqlite3 *db, const char *ward, unsigned limit, Cchc__Alert ***alerts, size_t *n,
                     unsigned *total);

//  Free what cchc_outbox_list returned. NULL with n = 0 is allowed.
void cchc_outbox_list_free(Cchc__Alert **alerts, size_t n);

// ---------------------------------------------------------------------------
//  Per-channel delivery state (table delivery: alert_id, channel, status
//  'pending', 'sent' or 'failed' (given up for the next of its group),
//  attempts, last_attempt_ms, next_attempt_ms, last_error, sent_ms), retries
//  and dead letters. The outbox row carries the alert's summary: status
//  ('dead' once dead-lettered), attempts (rounds), next_attempt_ms (the
//  earliest of its channels), last_error, last_channel, dead_ms.

//  Load alert_id's state on every channel (zeroed where no row). Returns 0
//  or -1 (logged).
int cchc_delivery_load(sqlite3 *db, int64_t alert_id, cchc_delivery_state_t *state);

//  One alert's round, to record.
typedef struct {
    int64_t alert_id;
    cchc_delivery_state_t state;       //  after cchc_delivery_record
    unsigned tried, ok;                //  masks of channels
    const char *errors[CCHC_CH_COUNT]; //  borrowed: why each failed tried channel failed
    cchc_outcome_t outcome;
    int64_t next_attempt_ms; //  pending: when next
    int64_t now_ms;          //  wall time of the round
} cchc_delivery_record_t;

//  Record rounds (writer thread, in its transaction): each tried channel's
//  row, and the outbox row's status, attempts, next attempt, last error and
//  sent_ms or dead_ms. Rows no longer pending are left alone. Returns 0 or
//  -1 (logged).
int cchc_delivery_store(sqlite3 *db, const cchc_delivery_record_t *records, size_t n);

//  The earliest next_attempt_ms of the pending alerts into *next_ms.
//  Returns 1 when there is one, 0 when nothing is pending, -1 (logged).
int cchc_outbox_next_due(sqlite3 *db, int64_t *next_ms);

//  The same over the alerts decided before decided_before_ms.
int cchc_outbox_next_due_before(sqlite3 *db, int64_t decided_before_ms, int64_t *next_ms);

//  A ward's dead letters, oldest first. Free with cchc_outbox_dead_free.
//  Returns 0, or -1 (logged) with nothing allocated.
int cchc_outbox_dead(sqlite3 *db, const char *ward, Cchc__DeadLetter ***letters, size_t *n);
void cchc_outbox_dead_free(Cchc__DeadLetter **letters, size_t n);

//  Put dead letters of ward back to pending (ids: those of them, nids
//  entries; NULL: all), attempts reset on every channel that has not taken
//  them, due at once. *replayed = how many. Writer thread. Returns 0 or -1.
int cchc_outbox_replay(sqlite3 *db, const char *ward, const uint64_t *ids, size_t nids, size_t *replayed);

// ---------------------------------------------------------------------------
//  Positions in logs other than intake's (table stream_position: stream,
//  next_seq). notify follows scoring's output log as stream "scoring"; its
//  next seq is written by the writer job that inserts the alerts decided
//  from the records before it, in the same transaction.

//  The next seq wanted of stream into *next_seq (1 when never written).
//  Returns 0 or -1 (logged).
int cchc_outbox_stream_get(sqlite3 *db, const char *stream, uint64_t *next_seq);

//  Set stream's next seq (writer thread, in its transaction). Returns 0 or
//  -1 (logged).
int cchc_outbox_stream_set(sqlite3 *db, const char *stream, uint64_t next_seq);

#endif
