/*  alerts.h - which alerts are due for a task at a log time (pure logic).

    Defaults from the domain brief, every number a setting: reminders at
    D-7, D-3, D-1 and D to the task's lead official and the unit head;
    overdue at once to the head; after 7 days overdue to the vice-chairman in
    charge and the head of the coordinating unit (Phòng Văn hóa - Xã hội);
    after 15 days overdue, or a failed verification not yet redone, to the
    Chairman; "resolved" to everyone who was told about the delay once the
    task is done. Paused and cancelled tasks get nothing.

    Reminders and lateness aim at the task's due_target (the date the unit is
    working towards). Days overdue are calendar days after that date in
    Asia/Ho_Chi_Minh: the first day after it is day 1 (docs/ARCHITECTURE.md).
    With working_days set (setting escalation_days = working), the two
    escalation delays count working days instead (calendar.h: no weekends,
    no public holidays), each reached when the working time of that working
    day starts; the overdue alert itself still comes at once.

    Acknowledgement: while a task's acknowledgement holds (model: ack_ms),
    no escalation level above the acknowledged one is decided. Silences: a
    task silenced (itself or its unit) until a date gets no alert until that
    date has ended; then whatever is due is decided (the nearest reminder
    only, as after any jump). Delegation: an alert addressed to an official
    on leave that day goes to the leave's deputy, keyed by the deputy, with
    a line saying on whose behalf; after the leave, an alert the deputy
    already had on the official's behalf is not sent to the official again.

    Each alert has the key (ward, task, person, kind, level). The caller says
    which keys were already decided (it remembers every emitted key); a key is
    never decided twice. When the clock jumps over several reminder points
    only the nearest one is decided, and the skipped ones never are.

    Nothing here does I/O or reads a clock: the same task, time and history
    always give the same alerts, which is what lets a replay of the log decide
    exactly what the live run decided.
*/
#ifndef CCHC_NOTIFY_ALERTS_H
#define CCHC_NOTIFY_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "labels.h"
#include "model.h"
#include "notify.pb-c.h"

#define CCHC_MAX_REMINDERS 8
//  "No time-driven change is coming" (see cchc_alerts_next_check_ms).
#define CCHC_ALERT_NEVER INT64_MAX

typedef struct {
    int reminder_days[CCHC_MAX_REMINDERS]; //  days before the due date, far to near: 7, 3, 1, 0
    int nreminders;                        //  entries used in reminder_days
    int escalate_after_days;               //  days overdue before level 1 (7)
    int chairman_after_days;               //  days overdue before level 2, the Chairman (15)
    char coordinating_unit[64];            //  unit code of Phòng Văn hóa - Xã hội ("VHXH")
    bool working_days;                     //  escalation delays in working days (needs calendar)
    const cchc_calendar_t *calendar;       //  borrowed; NULL: calendar days whatever working_days says
    bool tier_drop;                        //  alert the head when the unit's tier gets worse (yes)
    int rank_drop_min;                     //  places a rank must fall to alert the head (1; 0: never)
} cchc_alert_rules_t;

//  Fill rules with the defaults: reminders 7,3,1,0; escalation after 7 days;
//  the Chairman after 15 (calendar days, no calendar); coordinating unit
//  "VHXH"; tier drops alerted, rank drops of 1 place or more alerted.
void cchc_alert_rules_default(cchc_alert_rules_t *rules);

//  Parse a comma-separated list of reminder days ("7,3,1,0"; each 0..365, at
//  most CCHC_MAX_REMINDERS, no repeats; "" means no reminders) into
//  rules->reminder_days, sorted far to near. Returns 0, or -1 with rules
//  unchanged.
int cchc_alert_rules_parse_days(cchc_alert_rules_t *rules, const char *text);

//  A decided alert. The alert owns every string in it.
typedef struct {
    int64_t id;               //  outbox row id; 0 until read back from the outbox
    char *ward, *task, *unit; //  task "" for a tier or rank drop (about the unit)
    char *person;             //  official code of the recipient
    char *person_name;        //  their full name
    Cchc__AlertKind kind;
    int level;          //  reminder: days before due; overdue, resolved: 0; escalation: 1 or 2;
                        //  tier or rank drop: the seq of scoring's output record
    int32_t due_date;   //  yyyymmdd the alert speaks of (the task's due_target); 0 for a drop
    int days_overdue;   //  calendar days after due_date, 0 when not overdue
    int64_t decided_ms; //  log time of the decision
    uint64_t cause_seq; //  seq of the event at which it was decided
    char *text;         //  the message in Vietnamese
    char *key;          //  "ward/task/person/kind/level": the dedupe token
} cchc_alert_t;

//  Free an alert and its strings. NULL is allowed.
void cchc_alert_free(cchc_alert_t *alert);

//  Write the dedupe key "ward/task/person/kind/level" (kind as its wire
//  number) into buf, truncated to size. Returns the length it needed
//  (snprintf), so size <= return value means it was cut.
int cchc_alert_key(char *buf, size_t size, const char *ward, const char *task, const char *person,
                   Cchc__AlertKind kind, int level);

//  Has this key been decided before (in any earlier decision or run)?
typedef bool(cchc_alert_seen_fn)(void *arg, const char *key);

//  A new alert: the callee takes ownership, and must answer true for its key
//  from then on (the decision relies on it within one call too).
typedef void(cchc_alert_emit_fn)(void *arg, cchc_alert_t *alert);

//  Decide the alerts due for task at log time now_ms, at the event seq, and
//  hand each new one to emit. Expects a task of a model folded up to now_ms.
//  Recipients who are not registered officials are skipped (their alert is
//  decided once they are registered and the task is decided again). Never
//  fails; aborts on out-of-memory like the rest of the model.
void cchc_alerts_decide(const cchc_alert_rules_t *rules, const cchc_task_t *task, int64_t now_ms,
                        uint64_t seq, cchc_alert_seen_fn *seen, cchc_alert_emit_fn *emit, void *arg);

//  Which drops a record of scoring's output log shows under rules: *tier
//  when the tier got worse, both old and new rated (tốt -> hoàn thành);
//  *rank when the unit was ranked (old_rank > 0), is rated before and after
//  (unrated units are ordered by code, which means nothing) and fell by at
//  least rank_drop_min places. Returns *tier || *rank.
bool cchc_alerts_change_wanted(const cchc_alert_rules_t *rules, const Cchc__ScoreChange *change, bool *tier,
                               bool *rank);

//  Decide the tier-drop (ALERT_TIER_DROP) and rank-drop (ALERT_RANK_DROP)
//  alerts of one output-log record: to the head of the record's unit in
//  ward (the model's ward; NULL: nothing), or their deputy while on leave at
//  the record's log time; nothing while the unit is silenced then. Key
//  (ward, "", person, kind, record seq); decided_ms is the record's log
//  time, cause_seq its input seq, task "" and due_date 0. Records with cause
//  CAUSE_RULES are alerted too, their message saying the rules changed.
void cchc_alerts_decide_change(const cchc_alert_rules_t *rules, const cchc_ward_t *ward,
                               const Cchc__ScoreChange *change, cchc_alert_seen_fn *seen,
                               cchc_alert_emit_fn *emit, void *arg);

//  The first instant after now_ms at which the passing of time alone may make
//  a new alert due for task (a reminder point, the end of the due date, an
//  escalation day), or CCHC_ALERT_NEVER when only an event can (the task is
//  done, paused or cancelled, or every level has passed). Deciding a task at
//  every such instant and after every event that touches it decides exactly
//  what deciding it after every event would. The result is > now_ms.
int64_t cchc_alerts_next_check_ms(const cchc_alert_rules_t *rules, const cchc_task_t *task, int64_t now_ms);

#endif
