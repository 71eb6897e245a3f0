/*  alerts.c - alert decisions and their Vietnamese messages. */
#include "alerts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

void cchc_alert_rules_default(cchc_alert_rules_t *r)
{
    memset(r, 0, sizeof(*r));
    cchc_alert_rules_parse_days(r, "7,3,1,0");
    r->escalate_after_days = 7;
    r->chairman_after_days = 15;
    snprintf(r->coordinating_unit, sizeof(r->coordinating_unit), "VHXH");
}

static int cmp_desc(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

int cchc_alert_rules_parse_days(cchc_alert_rules_t *r, const char *text)
{
    int days[CCHC_MAX_REMINDERS], n = 0;
    const char *p = text;
    while (p && *p) {
        char *end;
        long d = strtol(p, &end, 10);
        if (end == p || d < 0 || d > 365 || n == CCHC_MAX_REMINDERS)
            return -1;
        days[n++] = (int)d;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    qsort(days, (size_t)n, sizeof(int), cmp_desc);
    memcpy(r->reminder_days, days, sizeof(int) * (size_t)n);
    r->nreminders = n;
    return 0;
}

void cchc_alert_free(cchc_alert_t *a)
{
    if (!a)
        return;
    free(a->ward);
    free(a->task);
    free(a->unit);
    free(a->person);
    free(a->person_name);
    free(a->text);
    free(a->key);
    free(a);
}

void cchc_alert_key(char *buf, size_t size, const char *ward, const char *task, const char *person,
                    Cchc__AlertKind kind, int level)
{
    snprintf(buf, size, "%s/%s/%s/%d/%d", ward, task, person, (int)kind, level);
}

static char *dup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

//  What every message of a task says: "nhiệm vụ CODE «title» (unit)".
typedef struct {
    const cchc_task_t *task;
    const char *unit_name;
    const char *head_name;
    char due[16];
    int64_t now;
    uint64_t seq;
    const cchc_alert_rules_t *rules;
    cchc_alert_seen_fn *seen;
    cchc_alert_emit_fn *emit;
    void *arg;
} context_t;

static void emit(const context_t *c, const char *person, Cchc__AlertKind kind, int level, int days_overdue,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void emit(const context_t *c, const char *person, Cchc__AlertKind kind, int level, int days_overdue,
                 const char *fmt, ...)
{
    const cchc_ward_t *ward = c->task->ward;
    const cchc_official_t *o = person && *person ? cchc_ward_official(ward, person) : NULL;
    if (!o)
        return; //  nobody registered for this role: nobody to tell
    char key[512];
    cchc_alert_key(key, sizeof(key), ward->code, c->task->rec->def->code, person, kind, level);
    if (c->seen(c->arg, key))
        return;
    char body[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    char text[1400];
    snprintf(text, sizeof(text), "Kính gửi đồng chí %s (%s). %s", o->def->full_name,
             o->def->title && *o->def->title ? o->def->title : "cán bộ", body);
    cchc_alert_t *a = calloc(1, sizeof(*a));
    if (!a)
        abort();
    a->ward = dup(ward->code);
    a->task = dup(c->task->rec->def->code);
    a->unit = dup(c->task->unit->rec->def->code);
    a->person = dup(person);
    a->person_name = dup(o->def->full_name);
    a->kind = kind;
    a->level = level;
    a->due_date = c->task->rec->due_target;
    a->days_overdue = days_overdue;
    a->decided_ms = c->now;
    a->cause_seq = c->seq;
    a->text = dup(text);
    a->key = dup(key);
    c->emit(c->arg, a);
}

static const char *official_name(const cchc_ward_t *ward, const char *code)
{
    const cchc_official_t *o = code && *code ? cchc_ward_official(ward, code) : NULL;
    return o ? o->def->full_name : "(chưa đăng ký)";
}

//  The head of the coordinating unit, unless the task is that unit's own.
static const char *coordinator(const context_t *c)
{
    const cchc_unit_t *u = cchc_ward_unit(c->task->ward, c->rules->coordinating_unit);
    if (!u || u == c->task->unit)
        return NULL;
    return u->rec->def->head;
}

static void decide_resolved(const context_t *c)
{
    const cchc_ward_t *ward = c->task->ward;
    const cchc_unit_t *unit = c->task->unit;
    const char *people[] = {unit->rec->def->head, unit->rec->def->vice_chairman, coordinator(c),
                            ward->chairman};
    char done[16];
    cchc_date_format(cchc_date_of_ms(c->task->rec->done_ms), done, sizeof(done));
    for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
        const char *p = people[i];
        if (!p || !*p)
            continue;
        //  only those who were alerted about the task hear that it is resolved
        bool alerted = false;
        for (int level = 0; level <= 2 && !alerted; level++) {
            char key[512];
            cchc_alert_key(key, sizeof(key), ward->code, c->task->rec->def->code, p,
                           level == 0 ? CCHC__ALERT_KIND__ALERT_OVERDUE : CCHC__ALERT_KIND__ALERT_ESCALATION,
                           level);
            alerted = c->seen(c->arg, key);
        }
        if (alerted)
            emit(c, p, CCHC__ALERT_KIND__ALERT_RESOLVED, 0, 0,
                 "Đã xử lý: nhiệm vụ %s «%s» (%s) đã hoàn thành ngày %s. Cảnh báo về nhiệm vụ này đã kết "
                 "thúc.",
                 c->task->rec->def->code, c->task->rec->def->title, c->unit_name, done);
    }
}

void cchc_alerts_decide(const cchc_alert_rules_t *rules, const cchc_task_t *task, int64_t now, uint64_t seq,
                        cchc_alert_seen_fn *seen, cchc_alert_emit_fn *emit_fn, void *arg)
{
    const Cchc__TaskRecord *rec = task->rec;
    if (rec->cancelled || rec->paused)
        return;
    const cchc_unit_t *unit = task->unit;
    const cchc_ward_t *ward = task->ward;
    context_t c = {task,
                   unit->rec->def->name,
                   official_name(ward, unit->rec->def->head),
                   "",
                   now,
                   seq,
                   rules,
                   seen,
                   emit_fn,
                   arg};
    cchc_date_format(rec->due_target, c.due, sizeof(c.due));
    const char *code = rec->def->code, *title = rec->def->title;
    if (cchc_task_done(task)) {
        decide_resolved(&c);
        return;
    }
    int64_t due_end = cchc_date_end_ms(rec->due_target);
    if (now >= due_end) {
        //  calendar days after the due date: the first day after it is day 1
        int days = cchc_date_diff(rec->due_target, cchc_date_of_ms(now));
        emit(&c, unit->rec->def->head, CCHC__ALERT_KIND__ALERT_OVERDUE, 0, days,
             "Quá hạn: nhiệm vụ %s «%s» (%s) đã quá hạn %d ngày (hạn %s) mà chưa hoàn thành. Người đứng đầu "
             "đơn "
             "vị chịu trách nhiệm trước Chủ tịch UBND phường về nhiệm vụ chưa đạt yêu cầu. Nếu quá hạn %d "
             "ngày "
             "sẽ báo cáo Phó Chủ tịch phụ trách.",
             code, title, c.unit_name, days, c.due, rules->escalate_after_days);
        if (days >= rules->escalate_after_days) {
            const char *to[] = {unit->rec->def->vice_chairman, coordinator(&c)};
            for (int i = 0; i < 2; i++)
                emit(
                    &c, to[i], CCHC__ALERT_KIND__ALERT_ESCALATION, 1, days,
                    "Báo cáo vượt cấp: nhiệm vụ %s «%s» của %s đã quá hạn %d ngày (hạn %s), chưa hoàn thành. "
                    "Thủ trưởng đơn vị: đồng chí %s. Đề nghị đôn đốc, chỉ đạo xử lý. Nếu quá hạn %d ngày sẽ "
                    "báo "
                    "cáo Chủ tịch UBND phường.",
                    code, title, c.unit_name, days, c.due, c.head_name, rules->chairman_after_days);
        }
        if (days >= rules->chairman_after_days)
            emit(
                &c, ward->chairman, CCHC__ALERT_KIND__ALERT_ESCALATION, 2, days,
                "Báo cáo Chủ tịch UBND phường: nhiệm vụ %s «%s» của %s đã quá hạn %d ngày (hạn %s), chưa "
                "hoàn "
                "thành. Thủ trưởng đơn vị, đồng chí %s, chịu trách nhiệm trước Chủ tịch về nhiệm vụ chưa đạt "
                "yêu cầu. Đây là cấp báo cáo cuối cùng.",
                code, title, c.unit_name, days, c.due, c.head_name);
    } else {
        //  the nearest reminder point that has passed
        int level = -1;
        for (int i = 0; i < rules->nreminders; i++)
            if (now >= cchc_date_start_ms(cchc_date_add(rec->due_target, -rules->reminder_days[i])))
                level = rules->reminder_days[i];
        if (level >= 0) {
            int left = cchc_date_diff(cchc_date_of_ms(now), rec->due_target);
            const char *to[] = {rec->def->lead_official, unit->rec->def->head};
            for (int i = 0; i < 2; i++) {
                if (i == 1 && to[0] && to[1] && strcmp(to[0], to[1]) == 0)
                    break; //  the head leads the task: one message
                if (left > 0)
                    emit(&c, to[i], CCHC__ALERT_KIND__ALERT_REMINDER, level, 0,
                         "Nhắc hạn: nhiệm vụ %s «%s» (%s) đến hạn ngày %s, còn %d ngày. Đề nghị chỉ đạo hoàn "
                         "thành "
                         "đúng hạn.",
                         code, title, c.unit_name, c.due, left);
                else
                    emit(&c, to[i], CCHC__ALERT_KIND__ALERT_REMINDER, level, 0,
                         "Nhắc hạn: nhiệm vụ %s «%s» (%s) đến hạn hôm nay, ngày %s. Đề nghị hoàn thành trong "
                         "ngày.",
                         code, title, c.unit_name, c.due);
            }
        }
    }
    if (rec->phase == CCHC__TASK_PHASE__PHASE_REWORK)
        emit(
            &c, ward->chairman, CCHC__ALERT_KIND__ALERT_ESCALATION, 2, 0,
            "Báo cáo Chủ tịch UBND phường: kết quả nhiệm vụ %s «%s» của %s không đạt khi thẩm định (lần %d), "
            "phải thực hiện lại. Thủ trưởng đơn vị, đồng chí %s, chịu trách nhiệm trước Chủ tịch về nhiệm vụ "
            "chưa đạt yêu cầu. Hạn: %s.",
            code, title, c.unit_name, rec->failed_reviews, c.head_name, c.due);
}
