/*  alerts.c - alert decisions and their Vietnamese messages.

    Design: one decision function looks at a task at a log time and emits
    every alert whose condition holds and whose key is new. Conditions are
    levels, not edges ("overdue now", not "became overdue at this event"), so
    deciding again later never repeats an alert and a decision missed at one
    instant is made at the next one. The only edge-like rule is the reminder
    jump: of the reminder points already passed only the nearest is decided,
    so a late start never floods people with stale reminders.

    Messages are built from templates per kind and recipient role: who (name
    and title), which task (code and title), which unit, the due date as
    dd/mm/yyyy, days left or overdue, what to do, and who hears of it next.
    An alert delegated to a deputy starts with a line naming the official on
    leave and the leave's dates.

    Tier and rank drops come from scoring's output log, not from a task: a
    record whose tier got worse (both rated) or whose rank fell by at least
    rank_drop_min places (the unit rated before and after) is an alert to the unit's head, keyed (ward, "",
    head, kind, record seq), so each record is alerted once. Leave and unit
    silences apply as for tasks, at the record's log time.
*/
#include "alerts.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

// ---------------------------------------------------------------------------
//  Settings

void cchc_alert_rules_default(cchc_alert_rules_t *rules)
{
    assert(rules);
    memset(rules, 0, sizeof(*rules));
    static const int days[] = {7, 3, 1, 0};
    memcpy(rules->reminder_days, days, sizeof(days));
    rules->nreminders = 4;
    rules->escalate_after_days = 7;
    rules->chairman_after_days = 15;
    rules->tier_drop = true;
    rules->rank_drop_min = 1;
    snprintf(rules->coordinating_unit, sizeof(rules->coordinating_unit), "VHXH");
}

static int days_far_to_near(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

int cchc_alert_rules_parse_days(cchc_alert_rules_t *rules, const char *text)
{
    assert(rules);
    int days[CCHC_MAX_REMINDERS], n = 0;
    const char *p = text ? text : "";
    while (*p) {
        char *end;
        long d = strtol(p, &end, 10);
        if (end == p || d < 0 || d > 365 || n == CCHC_MAX_REMINDERS || (*end && *end != ','))
            return -1;
        for (int i = 0; i < n; i++)
            if (days[i] == d)
                return -1; //  a repeated point is a typo, not a setting
        days[n++] = (int)d;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && !*p)
            return -1; //  trailing comma
    }
    qsort(days, (size_t)n, sizeof(int), days_far_to_near);
    memcpy(rules->reminder_days, days, sizeof(int) * (size_t)n);
    rules->nreminders = n;
    return 0;
}

// ---------------------------------------------------------------------------
//  Alerts and keys

void cchc_alert_free(cchc_alert_t *alert)
{
    if (!alert)
        return;
    free(alert->ward);
    free(alert->task);
    free(alert->unit);
    free(alert->person);
    free(alert->person_name);
    free(alert->text);
    free(alert->key);
    free(alert);
}

int cchc_alert_key(char *buf, size_t size, const char *ward, const char *task, const char *person,
                   Cchc__AlertKind kind, int level)
{
    return snprintf(buf, size, "%s/%s/%s/%d/%d", ward, task, person, (int)kind, level);
}

static char *text_dup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

//  printf into a new string (caller frees).
static char *text_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *text_format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert(len >= 0);
    char *text = malloc((size_t)len + 1);
    if (!text)
        abort();
    va_start(ap, fmt);
    vsnprintf(text, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return text;
}

static char *key_new(const char *ward, const char *task, const char *person, Cchc__AlertKind kind, int level)
{
    int len = cchc_alert_key(NULL, 0, ward, task, person, kind, level);
    char *key = malloc((size_t)len + 1);
    if (!key)
        abort();
    cchc_alert_key(key, (size_t)len + 1, ward, task, person, kind, level);
    return key;
}

// ---------------------------------------------------------------------------
//  One decision

//  What every message about the task needs, computed once per decision.
typedef struct {
    const cchc_alert_rules_t *rules;
    const cchc_task_t *task; //  NULL for a unit's tier or rank drop
    const char *task_code;   //  the task's code, "" for a unit's alert (the key's task part)
    const cchc_ward_t *ward;
    const Cchc__UnitRegistered *unit; //  the lead unit's registration
    const char *unit_name;            //  "Phòng Kinh tế, Hạ tầng và Đô thị"
    char *head_mid;                   //  ", đồng chí Vũ Đức Thắng," or "" (owned)
    char *head_tail;                  //  ", đồng chí Vũ Đức Thắng" or "" (owned)
    char *vice_tail;                  //  ", đồng chí Trần Văn Hùng" or "" (owned)
    char due[16];                     //  due_target as dd/mm/yyyy
    const char *day_word;             //  "ngày" or "ngày làm việc": what the escalation delays count
    int64_t now;
    uint64_t seq;
    cchc_alert_seen_fn *seen;
    cchc_alert_emit_fn *emit;
    void *arg;
} decision_t;

static const cchc_official_t *official(const cchc_ward_t *ward, const char *code)
{
    return code && *code ? cchc_ward_official(ward, code) : NULL;
}

//  How a message names its recipient: "đồng chí Trần Thị B, Trưởng phòng
//  Văn hóa - Xã hội," before a verb (mid) or "đồng chí Trần Thị B (Trưởng
//  phòng Văn hóa - Xã hội)" at the end of a clause; without the title when
//  none is registered. Caller frees.
static char *person_phrase(const cchc_official_t *o, bool mid)
{
    const char *title = o->def->title;
    if (title && *title)
        return mid ? text_format("đồng chí %s, %s,", o->def->full_name, title)
                   : text_format("đồng chí %s (%s)", o->def->full_name, title);
    return text_format("đồng chí %s", o->def->full_name);
}

//  Is o on leave on the local date of now, with a registered deputy? The
//  deputy, or NULL.
static const cchc_official_t *deputy_now(const decision_t *d, const cchc_official_t *o)
{
    const Cchc__OfficialLeave *l = o->leave;
    int32_t today = cchc_date_of_ms(d->now);
    if (!l || today < l->from_date || today > l->to_date)
        return NULL;
    return official(d->ward, l->deputy);
}

//  Who acts for o at now: o while present; else o's deputy, or, while that
//  deputy is on leave too, the deputy's deputy, and so on. The chain stops
//  at someone present, at someone on leave without a deputy registered, or
//  before it would come back to someone already in it (then with the last
//  one reached). NULL when o is present.
static const cchc_official_t *acting_for(const decision_t *d, const cchc_official_t *o)
{
    const cchc_official_t *cur = o;
    for (size_t hops = 0; hops < d->ward->nofficials; hops++) {
        const cchc_official_t *next = deputy_now(d, cur);
        bool seen = next == o;
        for (const cchc_official_t *k = o; next && !seen && k && k != cur;) { //  already in the chain?
            k = deputy_now(d, k);
            seen = k == next;
        }
        if (!next || seen)
            break;
        cur = next;
    }
    return cur == o ? NULL : cur;
}

//  Versions before 02/12/2026 keyed an alert delivered on o's behalf by
//  the deputy who received it: back from that leave, an alert the deputy
//  had under such a key is not repeated to o either.
static bool seen_as_before_upgrade(const decision_t *d, const cchc_official_t *o,
                                   const cchc_official_t *acting, Cchc__AlertKind kind, int level)
{
    if (acting || !o->leave || cchc_date_of_ms(d->now) <= o->leave->to_date || !o->leave->deputy)
        return false;
    char *key = key_new(d->ward->code, d->task_code, o->leave->deputy, kind, level);
    bool seen = d->seen(d->arg, key);
    free(key);
    return seen;
}

//  The official the alert (person, kind, level) is addressed to when it is
//  new, with its key in *key_out (the caller owns it; keyed by the
//  addressee) and the official who receives it in *to (who acts for the
//  addressee while on leave, else the addressee); NULL when it was decided
//  before or nobody is registered under that code.
static const cchc_official_t *new_recipient(const decision_t *d, const char *person, Cchc__AlertKind kind,
                                            int level, char **key_out, const cchc_official_t **to)
{
    const cchc_official_t *o = official(d->ward, person);
    if (!o)
        return NULL;
    const cchc_official_t *deputy = acting_for(d, o);
    *to = deputy ? deputy : o;
    //  Keyed by the addressee, whoever receives it: back from leave, the
    //  official is not told again what a stand-in had on their behalf.
    char *key = key_new(d->ward->code, d->task_code, o->def->code, kind, level);
    if (d->seen(d->arg, key) || seen_as_before_upgrade(d, o, deputy, kind, level)) {
        free(key);
        return NULL;
    }
    *key_out = key;
    return o;
}

//  Hand a new alert for o to the caller, delivered to `to`; takes key and
//  text (prefixed with the delegation line when to is not o).
static void alert_emit(const decision_t *d, const cchc_official_t *o, const cchc_official_t *to, char *key,
                       Cchc__AlertKind kind, int level, int days_overdue, char *text)
{
    cchc_alert_t *a = calloc(1, sizeof(*a));
    if (!a)
        abort();
    if (to != o) {
        char from[16], until[16];
        cchc_date_format(o->leave->from_date, from, sizeof(from));
        cchc_date_format(o->leave->to_date, until, sizeof(until));
        char *who = person_phrase(to, false);
        char *instead = person_phrase(o, false);
        char *full = text_format("Gửi %s, thay %s nghỉ phép từ ngày %s đến ngày %s:\n%s", who, instead, from,
                                 until, text);
        free(who);
        free(instead);
        free(text);
        text = full;
    }
    a->ward = text_dup(d->ward->code);
    a->task = text_dup(d->task_code);
    a->unit = text_dup(d->unit->code);
    a->person = text_dup(to->def->code);
    a->person_name = text_dup(to->def->full_name);
    a->kind = kind;
    a->level = level;
    a->due_date = d->task ? d->task->due_target : 0;
    a->days_overdue = days_overdue;
    a->decided_ms = d->now;
    a->cause_seq = d->seq;
    a->text = text;
    a->key = key;
    d->emit(d->arg, a);
}

static void decide_reminder(const decision_t *d, const char *person, int level, int days_left)
{
    char *key = NULL;
    const cchc_official_t *to = NULL;
    const cchc_official_t *o = new_recipient(d, person, CCHC__ALERT_KIND__ALERT_REMINDER, level, &key, &to);
    if (!o)
        return;
    const cchc_task_t *t = d->task;
    bool is_head = d->unit->head && strcmp(person, d->unit->head) == 0;
    char *who = person_phrase(o, true);
    char *when = days_left > 0 ? text_format("đến hạn ngày %s, còn %d ngày", d->due, days_left)
                               : text_format("đến hạn hôm nay, ngày %s", d->due);
    const char *finish = days_left > 0 ? "đúng hạn" : "trong ngày";
    char *text;
    if (is_head)
        text =
            text_format("Nhắc hạn: nhiệm vụ %s «%s» (%s) %s. Đề nghị %s chỉ đạo hoàn thành %s. Nếu quá "
                        "hạn, người đứng đầu đơn vị chịu trách nhiệm trước Chủ tịch UBND phường; quá hạn %d "
                        "%s sẽ báo cáo Phó Chủ tịch phụ trách%s.",
                        t->code, t->title, d->unit_name, when, who, finish, d->rules->escalate_after_days,
                        d->day_word, d->vice_tail);
    else
        text = text_format("Nhắc hạn: nhiệm vụ %s «%s» (%s) %s. Đề nghị %s tổ chức thực hiện, hoàn thành %s. "
                           "Nếu quá hạn sẽ báo cáo Thủ trưởng đơn vị%s.",
                           t->code, t->title, d->unit_name, when, who, finish, d->head_tail);
    free(who);
    free(when);
    alert_emit(d, o, to, key, CCHC__ALERT_KIND__ALERT_REMINDER, level, 0, text);
}

static void decide_overdue(const decision_t *d, int days, int escalation_days)
{
    char *key = NULL;
    const cchc_official_t *to = NULL;
    const cchc_official_t *o = new_recipient(d, d->unit->head, CCHC__ALERT_KIND__ALERT_OVERDUE, 0, &key, &to);
    if (!o)
        return;
    const cchc_task_t *t = d->task;
    char *who = person_phrase(o, true);
    char *next = escalation_days >= d->rules->escalate_after_days
                     ? text_format("Nhiệm vụ đã được báo cáo Phó Chủ tịch phụ trách%s.", d->vice_tail)
                     : text_format("Nếu quá hạn %d %s sẽ báo cáo Phó Chủ tịch phụ trách%s.",
                                   d->rules->escalate_after_days, d->day_word, d->vice_tail);
    char *text =
        text_format("Quá hạn: nhiệm vụ %s «%s» (%s) đã quá hạn %d ngày (hạn %s), chưa hoàn thành. Người "
                    "đứng đầu đơn vị chịu trách nhiệm trước Chủ tịch UBND phường về nhiệm vụ chưa đạt yêu "
                    "cầu. Đề nghị %s chỉ đạo hoàn thành ngay. %s",
                    t->code, t->title, d->unit_name, days, d->due, who, next);
    free(who);
    free(next);
    alert_emit(d, o, to, key, CCHC__ALERT_KIND__ALERT_OVERDUE, 0, days, text);
}

//  Level 1: the vice-chairman in charge directs, the coordinating unit's
//  head (Phòng Văn hóa - Xã hội) guides and urges.
static void decide_escalation(const decision_t *d, const char *person, bool coordinator, int days,
                              int escalation_days)
{
    char *key = NULL;
    const cchc_official_t *to = NULL;
    const cchc_official_t *o = new_recipient(d, person, CCHC__ALERT_KIND__ALERT_ESCALATION, 1, &key, &to);
    if (!o)
        return;
    const cchc_task_t *t = d->task;
    char *who = person_phrase(o, true);
    char *next = escalation_days >= d->rules->chairman_after_days
                     ? text_format("Nhiệm vụ đã được báo cáo Chủ tịch UBND phường.")
                     : text_format("Nếu quá hạn %d %s sẽ báo cáo Chủ tịch UBND phường.",
                                   d->rules->chairman_after_days, d->day_word);
    char *text = text_format(
        "Báo cáo vượt cấp: nhiệm vụ %s «%s» của %s đã quá hạn %d ngày (hạn %s), chưa hoàn thành. Thủ trưởng "
        "đơn "
        "vị%s chịu trách nhiệm trước Chủ tịch UBND phường về nhiệm vụ chưa đạt yêu cầu. Đề nghị %s %s. %s",
        t->code, t->title, d->unit_name, days, d->due, d->head_mid, who,
        coordinator ? "hướng dẫn, đôn đốc đơn vị hoàn thành" : "chỉ đạo xử lý dứt điểm", next);
    free(who);
    free(next);
    alert_emit(d, o, to, key, CCHC__ALERT_KIND__ALERT_ESCALATION, 1, days, text);
}

//  Level 2: the Chairman, for a long delay or a failed verification.
static void decide_chairman(const decision_t *d, int days, bool late)
{
    char *key = NULL;
    const cchc_official_t *to = NULL;
    const cchc_official_t *o =
        new_recipient(d, d->ward->chairman, CCHC__ALERT_KIND__ALERT_ESCALATION, 2, &key, &to);
    if (!o)
        return;
    const cchc_task_t *t = d->task;
    char *who = person_phrase(o, true);
    char *what =
        late ? text_format("đã quá hạn %d ngày (hạn %s), chưa hoàn thành", days, d->due)
             : text_format("có kết quả không đạt yêu cầu khi kiểm tra, xác nhận (lần %d), phải thực hiện "
                           "lại; hạn %s",
                           t->failed_reviews, d->due);
    char *text =
        text_format("Báo cáo Chủ tịch UBND phường: nhiệm vụ %s «%s» của %s %s. Thủ trưởng đơn vị%s chịu "
                    "trách nhiệm trước Chủ tịch về nhiệm vụ chưa đạt yêu cầu. Kính đề nghị %s xem xét, chỉ "
                    "đạo. Đây là cấp báo cáo cuối cùng.",
                    t->code, t->title, d->unit_name, what, d->head_mid, who);
    free(who);
    free(what);
    alert_emit(d, o, to, key, CCHC__ALERT_KIND__ALERT_ESCALATION, 2, days, text);
}

//  Everyone told of the delay hears that it is over. Any official of the
//  ward may have been (settings such as the coordinating unit can change
//  between runs), so each is checked against the keys already decided.
static void decide_resolved(const decision_t *d)
{
    const cchc_task_t *task = d->task;
    char done[16];
    cchc_date_format(cchc_date_of_ms(task->done_ms), done, sizeof(done));
    for (size_t i = 0; i < d->ward->nofficials; i++) {
        const cchc_official_t *o = d->ward->officials[i];
        bool told = false;
        for (int level = 0; level <= 2 && !told; level++) {
            Cchc__AlertKind kind =
                level == 0 ? CCHC__ALERT_KIND__ALERT_OVERDUE : CCHC__ALERT_KIND__ALERT_ESCALATION;
            char *key = key_new(d->ward->code, task->code, o->def->code, kind, level);
            told = d->seen(d->arg, key);
            free(key);
        }
        char *key = NULL;
        const cchc_official_t *to = NULL;
        if (!told || !new_recipient(d, o->def->code, CCHC__ALERT_KIND__ALERT_RESOLVED, 0, &key, &to))
            continue;
        char *who = person_phrase(o, false);
        char *text =
            text_format("Đã xử lý: nhiệm vụ %s «%s» (%s) đã hoàn thành ngày %s (hạn %s). Xin thông báo "
                        "tới %s: cảnh báo về nhiệm vụ này đã kết thúc.",
                        task->code, task->title, d->unit_name, done, d->due, who);
        free(who);
        alert_emit(d, o, to, key, CCHC__ALERT_KIND__ALERT_RESOLVED, 0, 0, text);
    }
}

//  The head of the coordinating unit, unless the task is that unit's own
//  (its head already heard as the head).
static const char *coordinator_head(const decision_t *d)
{
    const cchc_unit_t *u = cchc_ward_unit(d->ward, d->rules->coordinating_unit);
    if (!u || u == d->task->unit)
        return NULL;
    return u->rec->def->head;
}

//  Calendar days after due_target at now (>= 1 once the due date has ended).
static int days_overdue(int32_t due, int64_t now)
{
    return cchc_date_diff(due, cchc_date_of_ms(now));
}

//  Days counted by the escalation delays at now: calendar days overdue, or
//  working days whose working time has started (escalation_days = working).
static int escalation_days(const cchc_alert_rules_t *rules, int32_t due, int64_t now)
{
    if (rules->working_days && rules->calendar)
        return cchc_calendar_working_days_since(rules->calendar, due, now);
    return days_overdue(due, now);
}

//  The instant the escalation delay of k days is reached.
static int64_t escalation_at(const cchc_alert_rules_t *rules, int32_t due, int k)
{
    if (rules->working_days && rules->calendar)
        return cchc_calendar_work_start_ms(rules->calendar,
                                           cchc_calendar_working_day_after(rules->calendar, due, k));
    return cchc_date_start_ms(cchc_date_add(due, k));
}

//  The end of the task's silence (its own or its unit's, the later), or 0.
static int64_t silence_end(const cchc_task_t *task)
{
    int32_t until = cchc_task_hold(task)->silenced_until;
    if (task->unit->rec->silenced_until > until)
        until = task->unit->rec->silenced_until;
    return until ? cchc_date_end_ms(until) : 0;
}

//  The nearest reminder point passed at now, or -1 when none has.
static int reminder_level(const cchc_alert_rules_t *rules, int32_t due, int64_t now)
{
    int level = -1;
    for (int i = 0; i < rules->nreminders; i++) //  far to near: the last passed is the nearest
        if (now >= cchc_date_start_ms(cchc_date_add(due, -rules->reminder_days[i])))
            level = rules->reminder_days[i];
    return level;
}

void cchc_alerts_decide(const cchc_alert_rules_t *rules, const cchc_task_t *task, int64_t now, uint64_t seq,
                        cchc_alert_seen_fn *seen, cchc_alert_emit_fn *emit, void *arg)
{
    assert(rules && task && seen && emit);
    if (task->cancelled || task->paused || now < silence_end(task))
        return;
    const cchc_ward_t *ward = task->ward;
    const Cchc__UnitRegistered *unit = task->unit->rec->def;
    const cchc_official_t *head = official(ward, unit->head);
    const cchc_official_t *vice = official(ward, unit->vice_chairman);
    decision_t d = {
        .rules = rules,
        .task = task,
        .task_code = task->code,
        .ward = ward,
        .unit = unit,
        .unit_name = unit->name && *unit->name ? unit->name : unit->code,
        .head_mid = head ? text_format(", đồng chí %s,", head->def->full_name) : text_dup(""),
        .head_tail = head ? text_format(", đồng chí %s", head->def->full_name) : text_dup(""),
        .vice_tail = vice ? text_format(", đồng chí %s", vice->def->full_name) : text_dup(""),
        .day_word = rules->working_days && rules->calendar ? "ngày làm việc" : "ngày",
        .now = now,
        .seq = seq,
        .seen = seen,
        .emit = emit,
        .arg = arg,
    };
    cchc_date_format(task->due_target, d.due, sizeof(d.due));

    //  an acknowledgement in force caps the escalation at its level
    int max_level = cchc_task_hold(task)->ack_ms ? cchc_task_hold(task)->ack_level : 2;
    if (cchc_task_done(task)) {
        decide_resolved(&d);
    } else if (now >= cchc_date_end_ms(task->due_target)) {
        int days = days_overdue(task->due_target, now);
        int late = escalation_days(rules, task->due_target, now);
        decide_overdue(&d, days, late);
        if (late >= rules->escalate_after_days && max_level >= 1) {
            decide_escalation(&d, unit->vice_chairman, false, days, late);
            const char *coordinator = coordinator_head(&d);
            if (coordinator)
                decide_escalation(&d, coordinator, true, days, late);
        }
        if (late >= rules->chairman_after_days && max_level >= 2)
            decide_chairman(&d, days, true);
    } else {
        int level = reminder_level(rules, task->due_target, now);
        if (level >= 0) {
            int left = cchc_date_diff(cchc_date_of_ms(now), task->due_target);
            const char *lead = task->lead_official;
            if (lead && *lead)
                decide_reminder(&d, lead, level, left);
            if (unit->head && *unit->head && !(lead && strcmp(lead, unit->head) == 0))
                decide_reminder(&d, unit->head, level, left); //  once when the head leads the task
        }
    }
    //  A failed verification not yet redone goes to the Chairman at once.
    if (!cchc_task_done(task) && task->phase == CCHC__TASK_PHASE__PHASE_REWORK && max_level >= 2) {
        bool late = now >= cchc_date_end_ms(task->due_target) &&
                    escalation_days(rules, task->due_target, now) >= rules->chairman_after_days;
        decide_chairman(
            &d, now >= cchc_date_end_ms(task->due_target) ? days_overdue(task->due_target, now) : 0, late);
    }
    free(d.head_mid);
    free(d.head_tail);
    free(d.vice_tail);
}

// ---------------------------------------------------------------------------
//  Tier and rank drops (scoring's output log)

//  "91,66": centi-points as Vietnamese write decimals.
static void score_format(int32_t centi, char *buf, size_t size)
{
    int64_t v = centi < 0 ? -(int64_t)centi : centi;
    snprintf(buf, size, "%s%lld,%02lld", centi < 0 ? "-" : "", (long long)(v / 100), (long long)(v % 100));
}

//  Is new_tier worse than old_tier, both rated? (Excellent 1 .. not completed 4.)
static bool tier_dropped(const Cchc__ScoreChange *c)
{
    return c->old_tier != CCHC__TIER__TIER_UNRATED && c->new_tier != CCHC__TIER__TIER_UNRATED &&
           c->new_tier > c->old_tier;
}

bool cchc_alerts_change_wanted(const cchc_alert_rules_t *rules, const Cchc__ScoreChange *c, bool *tier,
                               bool *rank)
{
    assert(rules && c);
    *tier = rules->tier_drop && tier_dropped(c);
    //  Unrated units are ordered by unit code: a place among them means
    //  nothing (a unit registered or rated ahead of them moves them down).
    bool rated = c->old_tier != CCHC__TIER__TIER_UNRATED && c->new_tier != CCHC__TIER__TIER_UNRATED;
    *rank = rules->rank_drop_min > 0 && rated && c->old_rank > 0 && c->new_rank > c->old_rank &&
            c->new_rank - c->old_rank >= (uint32_t)rules->rank_drop_min;
    return *tier || *rank;
}

static void decide_drop(const decision_t *d, const Cchc__ScoreChange *c, Cchc__AlertKind kind)
{
    char *key = NULL;
    const cchc_official_t *to = NULL;
    const cchc_official_t *o = new_recipient(d, d->unit->head, kind, (int)c->seq, &key, &to);
    if (!o)
        return;
    char day[16], old_score[16], new_score[16];
    cchc_date_format(cchc_date_of_ms(c->log_time_ms), day, sizeof(day));
    score_format(c->old_score_centi, old_score, sizeof(old_score));
    score_format(c->new_score_centi, new_score, sizeof(new_score));
    const char *why =
        c->cause == CCHC__CHANGE_CAUSE__CAUSE_RULES
            ? " Thay đổi này do quy tắc chấm điểm của phường được điều chỉnh, không do sự kiện mới "
              "của đơn vị."
            : "";
    //  a tier can fall with the score unchanged: a gate (docs/SCORING.md) no longer holds
    const char *gate = c->new_score_centi >= c->old_score_centi
                           ? " Điểm không giảm: xếp loại giảm vì đơn vị không còn đáp ứng điều kiện của mức "
                             "xếp loại trước."
                           : "";
    //  Accountability follows from Không hoàn thành only (docs/SCORING.md, the
    //  gates); a drop between the higher tiers does not make the head answer.
    const char *accountable =
        c->new_tier == CCHC__TIER__TIER_NOT_COMPLETED
            ? " Đơn vị xếp loại Không hoàn thành nhiệm vụ: người đứng đầu chịu trách nhiệm trước Chủ tịch "
              "UBND phường và đơn vị không đủ điều kiện xét thi đua."
            : "";
    char *who = person_phrase(o, true);
    char *text;
    if (kind == CCHC__ALERT_KIND__ALERT_TIER_DROP)
        text = text_format(
            "Tụt xếp loại: %s giảm từ «%s nhiệm vụ» xuống «%s nhiệm vụ» ngày %s; điểm %s → %s, "
            "hạng %u → %u.%s%s%s Đề nghị %s rà soát tiến độ, chất lượng các nhiệm vụ của đơn vị, "
            "chỉ đạo khắc phục; xem chi tiết bằng lệnh cchc --ward %s explain %s.",
            d->unit_name, cchc_tier_label_vi(c->old_tier), cchc_tier_label_vi(c->new_tier), day, old_score,
            new_score, c->old_rank, c->new_rank, gate, why, accountable, who, d->ward->code, d->unit->code);
    else
        text =
            text_format("Tụt hạng: %s giảm từ hạng %u xuống hạng %u (%u bậc) trong bảng xếp hạng cải cách "
                        "hành chính của phường ngày %s; điểm %s → %s, xếp loại «%s nhiệm vụ».%s Đề nghị "
                        "%s rà soát tiến độ, chất lượng các nhiệm vụ của đơn vị, chỉ đạo khắc phục; xem chi "
                        "tiết bằng lệnh cchc --ward %s explain %s.",
                        d->unit_name, c->old_rank, c->new_rank, c->new_rank - c->old_rank, day, old_score,
                        new_score, cchc_tier_label_vi(c->new_tier), why, who, d->ward->code, d->unit->code);
    free(who);
    alert_emit(d, o, to, key, kind, (int)c->seq, 0, text);
}

void cchc_alerts_decide_change(const cchc_alert_rules_t *rules, const cchc_ward_t *ward,
                               const Cchc__ScoreChange *c, cchc_alert_seen_fn *seen, cchc_alert_emit_fn *emit,
                               void *arg)
{
    assert(rules && c && seen && emit);
    bool tier, rank;
    if (!ward || !c->unit || !cchc_alerts_change_wanted(rules, c, &tier, &rank))
        return;
    const cchc_unit_t *u = cchc_ward_unit(ward, c->unit);
    if (!u || !u->rec->def->head || !*u->rec->def->head)
        return;
    //  a silence of the unit covers its drops as well as its tasks
    if (u->rec->silenced_until && c->log_time_ms < cchc_date_end_ms(u->rec->silenced_until))
        return;
    const Cchc__UnitRegistered *unit = u->rec->def;
    decision_t d = {
        .rules = rules,
        .task_code = "",
        .ward = ward,
        .unit = unit,
        .unit_name = unit->name && *unit->name ? unit->name : unit->code,
        .now = c->log_time_ms,
        .seq = c->input_seq,
        .seen = seen,
        .emit = emit,
        .arg = arg,
    };
    if (tier)
        decide_drop(&d, c, CCHC__ALERT_KIND__ALERT_TIER_DROP);
    if (rank)
        decide_drop(&d, c, CCHC__ALERT_KIND__ALERT_RANK_DROP);
}

// ---------------------------------------------------------------------------
//  When to look again

int64_t cchc_alerts_next_check_ms(const cchc_alert_rules_t *rules, const cchc_task_t *task, int64_t now)
{
    assert(rules && task);
    if (task->cancelled || task->paused)
        return CCHC_ALERT_NEVER;
    int64_t silenced = silence_end(task);
    if (now < silenced)
        return silenced; //  decided again when the silence ends
    if (cchc_task_done(task))
        return CCHC_ALERT_NEVER;
    int64_t next = CCHC_ALERT_NEVER;
    int64_t due_end = cchc_date_end_ms(task->due_target);
    if (now < due_end) {
        next = due_end;
        for (int i = 0; i < rules->nreminders; i++) {
            int64_t point = cchc_date_start_ms(cchc_date_add(task->due_target, -rules->reminder_days[i]));
            if (point > now && point < next)
                next = point;
        }
        return next;
    }
    //  Overdue: day k after the due date starts at the start of due + k.
    int thresholds[] = {rules->escalate_after_days, rules->chairman_after_days};
    for (int i = 0; i < 2; i++) {
        int k = thresholds[i] < 1 ? 1 : thresholds[i];
        int64_t at = escalation_at(rules, task->due_target, k);
        if (at > now && at < next)
            next = at;
    }
    return next;
}
