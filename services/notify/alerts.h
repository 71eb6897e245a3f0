/*  alerts.h - which alerts are due for a task at a log time (pure logic).

    Defaults from the domain brief, every number a setting: reminders at
    D-7, D-3, D-1 and D to the lead official and the unit head; overdue at
    once to the head; +7 days to the vice-chairman in charge and the head of
    the coordinating unit (Phòng Văn hóa - Xã hội); +15 days, or a failed
    verification not yet redone, to the Chairman; "resolved" to everyone
    alerted once the task is done. Paused and cancelled tasks get nothing.

    Each alert has the key (ward, task, person, kind, level). The caller says
    which keys were already decided; a key is never decided twice. When the
    clock jumps over several reminder points only the nearest one is
    decided, and the skipped ones never are.
*/
#ifndef CCHC_NOTIFY_ALERTS_H
#define CCHC_NOTIFY_ALERTS_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "notify.pb-c.h"

#define CCHC_MAX_REMINDERS 8

typedef struct {
    int reminder_days[CCHC_MAX_REMINDERS]; //  e.g. 7, 3, 1, 0
    int nreminders;
    int escalate_after_days;    //  7
    int chairman_after_days;    //  15
    char coordinating_unit[64]; //  "VHXH"
} cchc_alert_rules_t;

void cchc_alert_rules_default(cchc_alert_rules_t *rules);

//  Parse "7,3,1,0" into rules->reminder_days. Returns 0 or -1.
int cchc_alert_rules_parse_days(cchc_alert_rules_t *rules, const char *text);

//  A decided alert. Every string is owned by the alert.
typedef struct {
    char *ward, *task, *unit, *person, *person_name;
    Cchc__AlertKind kind;
    int level;
    int32_t due_date;
    int days_overdue;
    int64_t decided_ms;
    uint64_t cause_seq;
    char *text; //  Vietnamese message
    char *key;  //  "ward/task/person/kind/level": the dedupe token
} cchc_alert_t;

void cchc_alert_free(cchc_alert_t *alert);

//  Write the dedupe key into buf.
void cchc_alert_key(char *buf, size_t size, const char *ward, const char *task, const char *person,
                    Cchc__AlertKind kind, int level);

//  Has this key been decided before?
typedef bool(cchc_alert_seen_fn)(void *arg, const char *key);
//  A new alert; the callee owns it (and should remember its key).
typedef void(cchc_alert_emit_fn)(void *arg, cchc_alert_t *alert);

//  Decide the alerts due for task at log time now_ms, caused by event seq.
void cchc_alerts_decide(const cchc_alert_rules_t *rules, const cchc_task_t *task, int64_t now_ms,
                        uint64_t seq, cchc_alert_seen_fn *seen, cchc_alert_emit_fn *emit, void *arg);

#endif
