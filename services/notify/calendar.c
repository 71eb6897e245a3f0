/*  calendar.c - working days and hours: a sorted array of holidays (a year
    has about a dozen), weekday arithmetic on yyyymmdd dates through
    common/clock.h. Walking day by day is fine: escalation delays are a few
    weeks at most and the walk is bounded by them.
*/
#include "calendar.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define MINUTE_MS (60LL * 1000)

typedef struct {
    int32_t date;
    char *name; //  owned
} holiday_t;

struct cchc_calendar {
    holiday_t *holidays; //  sorted by date
    size_t n, cap;
    int start_min, end_min; //  working hours, minutes after local midnight
};

cchc_calendar_t *cchc_calendar_new(void)
{
    cchc_calendar_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    self->start_min = 7 * 60 + 30;
    self->end_min = 17 * 60;
    return self;
}

void cchc_calendar_destroy(cchc_calendar_t **self_p)
{
    assert(self_p);
    cchc_calendar_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++)
        free(self->holidays[i].name);
    free(self->holidays);
    free(self);
    *self_p = NULL;
}

static const holiday_t *find(const cchc_calendar_t *self, int32_t date)
{
    size_t lo = 0, hi = self->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->holidays[mid].date < date)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->n && self->holidays[lo].date == date ? &self->holidays[lo] : NULL;
}

int cchc_calendar_add_holiday(cchc_calendar_t *self, int32_t date, const char *name)
{
    assert(self);
    if (!cchc_date_valid(date))
        return -1;
    if (find(self, date))
        return 0;
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 16;
        holiday_t *grown = realloc(self->holidays, self->cap * sizeof(*grown));
        if (!grown)
            abort();
        self->holidays = grown;
    }
    size_t at = self->n;
    while (at > 0 && self->holidays[at - 1].date > date)
        at--;
    memmove(&self->holidays[at + 1], &self->holidays[at], (self->n - at) * sizeof(holiday_t));
    self->holidays[at].date = date;
    self->holidays[at].name = strdup(name ? name : "");
    if (!self->holidays[at].name)
        abort();
    self->n++;
    return 0;
}

int cchc_calendar_load(cchc_calendar_t *self, const char *path, char *err, size_t err_size)
{
    assert(self && path);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "#\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (!*p)
            continue;
        char *name = p + strcspn(p, " \t");
        if (*name)
            *name++ = '\0';
        name += strspn(name, " \t");
        for (char *e = name + strlen(name); e > name && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = '\0';
        int32_t date;
        if (cchc_date_parse(p, &date) != 0 || !*name) {
            snprintf(err, err_size, "%s:%d: expected \"dd/mm/yyyy name\"", path, lineno);
            rc = -1;
            break;
        }
        cchc_calendar_add_holiday(self, date, name);
    }
    fclose(f);
    return rc;
}

static int parse_hhmm(const char *s, int *minutes, const char **end)
{
    int h = 0, m = 0, n = 0;
    if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || h * 60 + m > 1440)
        return -1;
    *minutes = h * 60 + m;
    *end = s + n;
    return 0;
}

int cchc_calendar_set_hours(cchc_calendar_t *self, const char *text)
{
    assert(self);
    int start, end;
    const char *p = text ? text : "";
    if (parse_hhmm(p, &start, &p) != 0 || *p++ != '-' || parse_hhmm(p, &end, &p) != 0 || *p || start >= end)
        return -1;
    self->start_min = start;
    self->end_min = end;
    return 0;
}

size_t cchc_calendar_holiday_count(const cchc_calendar_t *self)
{
    return self->n;
}

const char *cchc_calendar_holiday(const cchc_calendar_t *self, int32_t date)
{
    const holiday_t *h = find(self, date);
    return h ? h->name : NULL;
}

bool cchc_calendar_working_day(const cchc_calendar_t *self, int32_t date)
{
    int dow = ((cchc_date_diff(19700105, date) % 7) + 7) % 7; //  05/01/1970 was a Monday: 0
    return dow < 5 && !find(self, date);
}

int32_t cchc_calendar_working_day_after(const cchc_calendar_t *self, int32_t date, int n)
{
    assert(n >= 1);
    int32_t d = date;
    while (n > 0) {
        d = cchc_date_add(d, 1);
        if (cchc_calendar_working_day(self, d))
            n--;
    }
    return d;
}

int64_t cchc_calendar_work_start_ms(const cchc_calendar_t *self, int32_t date)
{
    return cchc_date_start_ms(date) + self->start_min * MINUTE_MS;
}

int cchc_calendar_working_days_since(const cchc_calendar_t *self, int32_t date, int64_t now_ms)
{
    int32_t today = cchc_date_of_ms(now_ms);
    int n = 0;
    for (int32_t d = cchc_date_add(date, 1); d <= today; d = cchc_date_add(d, 1))
        if (cchc_calendar_working_day(self, d) && now_ms >= cchc_calendar_work_start_ms(self, d))
            n++;
    return n;
}

int64_t cchc_calendar_next_work_time(const cchc_calendar_t *self, int64_t now_ms)
{
    int32_t day = cchc_date_of_ms(now_ms);
    if (cchc_calendar_working_day(self, day)) {
        int64_t start = cchc_calendar_work_start_ms(self, day);
        if (now_ms < start)
            return start;
        if (now_ms < cchc_date_start_ms(day) + self->end_min * MINUTE_MS)
            return now_ms;
    }
    return cchc_calendar_work_start_ms(self, cchc_calendar_working_day_after(self, day, 1));
}
