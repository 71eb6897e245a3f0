/*  clock.c - wall or manual clock, and Asia/Ho_Chi_Minh calendar arithmetic
    in integers (days_from_civil / civil_from_days, H. Hinnant's algorithms),
    independent of the C library's time zone settings. */
#include "clock.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void cchc_clock_init(cchc_clock_t *self, bool manual, int64_t start_ms)
{
    assert(self);
    self->manual = manual;
    self->manual_ms = manual ? start_ms : 0;
}

int64_t cchc_clock_now(const cchc_clock_t *self)
{
    assert(self);
    if (self->manual)
        return self->manual_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cchc_clock_set(cchc_clock_t *self, int64_t to_ms)
{
    assert(self);
    if (!self->manual)
        return -1;
    if (to_ms < self->manual_ms)
        return -2;
    self->manual_ms = to_ms;
    return 0;
}

// ---------------------------------------------------------------------------
//  Civil calendar

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool cchc_date_valid(int32_t date)
{
    int y = date / 10000, m = date / 100 % 100, d = date % 100;
    return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
}

static int64_t date_days(int32_t date)
{
    return days_from_civil(date / 10000, date / 100 % 100, date % 100);
}

static int32_t date_of_days(int64_t days)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    return y * 10000 + m * 100 + d;
}

//  Floor division for negative instants.
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int32_t cchc_date_of_ms(int64_t ms)
{
    return date_of_days(floor_div(ms + CCHC_TZ_OFFSET_MS, CCHC_DAY_MS));
}

int64_t cchc_date_start_ms(int32_t date)
{
    return date_days(date) * CCHC_DAY_MS - CCHC_TZ_OFFSET_MS;
}

int64_t cchc_date_end_ms(int32_t date)
{
    return cchc_date_start_ms(date) + CCHC_DAY_MS;
}

int32_t cchc_date_diff(int32_t a, int32_t b)
{
    return (int32_t)(date_days(b) - date_days(a));
}

int32_t cchc_date_add(int32_t date, int32_t days)
{
    return date_of_days(date_days(date) + days);
}

char *cchc_date_format(int32_t date, char *buf, size_t size)
{
    snprintf(buf, size, "%02d/%02d/%04d", date % 100, date / 100 % 100, date / 10000);
    return buf;
}

char *cchc_time_format(int64_t ms, char *buf, size_t size)
{
    int64_t local = ms + CCHC_TZ_OFFSET_MS;
    int32_t date = date_of_days(floor_div(local, CCHC_DAY_MS));
    int64_t in_day = local - floor_div(local, CCHC_DAY_MS) * CCHC_DAY_MS;
    int minutes = (int)(in_day / 60000);
    snprintf(buf, size, "%02d/%02d/%04d %02d:%02d", date % 100, date / 100 % 100, date / 10000, minutes / 60,
             minutes % 60);
    return buf;
}

//  Read exactly n digits.
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

//  Parse a date at *p: "dd/mm/yyyy" or "yyyy-mm-dd"; advances *p.
static int parse_date(const char **p, int32_t *date)
{
    int y, m, d;
    const char *s = *p;
    if (digits(&s, 2, &d) == 0 && *s == '/') {
        s++;
        if (digits(&s, 2, &m) != 0 || *s++ != '/' || digits(&s, 4, &y) != 0)
            return -1;
    } else {
        s = *p;
        if (digits(&s, 4, &y) != 0 || *s++ != '-' || digits(&s, 2, &m) != 0 || *s++ != '-' ||
            digits(&s, 2, &d) != 0)
            return -1;
    }
    int32_t v = y * 10000 + m * 100 + d;
    if (!cchc_date_valid(v))
        return -1;
    *date = v;
    *p = s;
    return 0;
}

int cchc_date_parse(const char *text, int32_t *date)
{
    const char *p = text;
    if (!text || parse_date(&p, date) != 0 || *p)
        return -1;
    return 0;
}

int cchc_time_parse(const char *text, int64_t *ms)
{
    const char *p = text;
    int32_t date;
    if (!text || parse_date(&p, &date) != 0)
        return -1;
    int hh = 0, mm = 0, ss = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &hh) != 0 || *p++ != ':' || digits(&p, 2, &mm) != 0)
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &ss) != 0)
                return -1;
        }
        if (hh > 23 || mm > 59 || ss > 59)
            return -1;
    }
    int64_t offset = CCHC_TZ_OFFSET_MS; //  local time unless told otherwise
    if (*p == 'Z') {
        offset = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) != 0 || *p++ != ':' || digits(&p, 2, &om) != 0 || oh > 23 || om > 59)
            return -1;
        offset = sign * ((int64_t)oh * 3600000 + (int64_t)om * 60000);
    }
    if (*p)
        return -1;
    *ms = date_days(date) * CCHC_DAY_MS + ((int64_t)hh * 3600 + mm * 60 + ss) * 1000 - offset;
    return 0;
}
