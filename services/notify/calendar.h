/*  calendar.h - working days and working hours in Asia/Ho_Chi_Minh: the
    weekend (Saturday, Sunday), public holidays from a data file
    (data/calendar/holidays-2026.txt) and the working hours (07:30-17:00 by
    default). Notify counts escalation delays in working days with it when
    escalation_days = working, and may hold deliveries until working time.

    The calendar is a plain value filled at start-up and read-only after:
    the decisions stay a pure function of the log and the settings. The
    caller owns it (cchc_calendar_new / cchc_calendar_destroy).
*/
#ifndef CCHC_NOTIFY_CALENDAR_H
#define CCHC_NOTIFY_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cchc_calendar cchc_calendar_t;

//  A calendar with Saturday and Sunday off, no holidays, hours 07:30-17:00.
cchc_calendar_t *cchc_calendar_new(void);
void cchc_calendar_destroy(cchc_calendar_t **self_p);

//  Add a holiday (a local date, yyyymmdd) with its name. Returns 0, or -1
//  for an invalid date. Adding a date twice keeps the first name.
int cchc_calendar_add_holiday(cchc_calendar_t *self, int32_t date, const char *name);

//  Read a holidays file: "dd/mm/yyyy name" per line, '#' comments, blank
//  lines. Returns 0, or -1 with a message naming the line in err.
int cchc_calendar_load(cchc_calendar_t *self, const char *path, char *err, size_t err_size);

//  Set the working hours from "HH:MM-HH:MM" (start before end). Returns 0 or -1.
int cchc_calendar_set_hours(cchc_calendar_t *self, const char *text);

//  Holidays loaded.
size_t cchc_calendar_holiday_count(const cchc_calendar_t *self);

//  The holiday's name, or NULL when date is not a listed holiday.
const char *cchc_calendar_holiday(const cchc_calendar_t *self, int32_t date);

//  True when date is neither a Saturday, a Sunday nor a holiday.
bool cchc_calendar_working_day(const cchc_calendar_t *self, int32_t date);

//  The n-th working day after date (n >= 1; date itself not counted).
int32_t cchc_calendar_working_day_after(const cchc_calendar_t *self, int32_t date, int n);

//  Instant working time starts on date (local midnight + the start hour).
int64_t cchc_calendar_work_start_ms(const cchc_calendar_t *self, int32_t date);

//  Working days after date whose working time has started at now_ms (0
//  before the first one): how many working days a task due on date is late.
int cchc_calendar_working_days_since(const cchc_calendar_t *self, int32_t date, int64_t now_ms);

//  now_ms when it is within working time of a working day, else the next
//  start of working time.
int64_t cchc_calendar_next_work_time(const cchc_calendar_t *self, int64_t now_ms);

#endif
