/*  clock.h - the service clock and calendar helpers for Asia/Ho_Chi_Minh.

    A clock is either the wall clock or a manual clock that moves only when
    told to (tests and the demo run a year in seconds). Time enters cchc only
    through intake's log: intake stamps every event with its clock, and
    consumers judge "overdue" by the log time, never their own wall clock.

    Dates are local calendar dates written as yyyymmdd integers. Vietnam has
    used UTC+7 without daylight saving since 1975, so local time is UTC+7.
    A task due on date D is due at the end of D: it is overdue from
    cchc_date_end_ms (D) on.
*/
#ifndef CCHC_CLOCK_H
#define CCHC_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCHC_TZ_OFFSET_MS (7LL * 3600 * 1000)
#define CCHC_DAY_MS       (24LL * 3600 * 1000)

typedef struct {
    bool manual;       //  true: moves only by cchc_clock_set
    int64_t manual_ms; //  current time of a manual clock
} cchc_clock_t;

//  Initialise a wall clock, or a manual clock starting at start_ms.
void cchc_clock_init(cchc_clock_t *self, bool manual, int64_t start_ms);

//  Current time in ms since the epoch (UTC).
int64_t cchc_clock_now(const cchc_clock_t *self);

//  Move a manual clock to to_ms. Returns 0, -1 if the clock is not manual,
//  -2 if to_ms is before the current time (clocks never go back).
int cchc_clock_set(cchc_clock_t *self, int64_t to_ms);

//  True if yyyymmdd is a real calendar date between years 1970 and 9999.
bool cchc_date_valid(int32_t date);

//  Local date (yyyymmdd) of an instant.
int32_t cchc_date_of_ms(int64_t ms);

//  Instant of local midnight starting the date.
int64_t cchc_date_start_ms(int32_t date);

//  Instant when the date ends (local midnight of the next day).
int64_t cchc_date_end_ms(int32_t date);

//  Days from a to b (b - a), may be negative.
int32_t cchc_date_diff(int32_t a, int32_t b);

//  The date n days after (or before, n < 0) date.
int32_t cchc_date_add(int32_t date, int32_t days);

//  "dd/mm/yyyy" into buf (at least 11 bytes). Returns buf.
char *cchc_date_format(int32_t date, char *buf, size_t size);

//  "dd/mm/yyyy HH:MM" local time into buf (at least 17 bytes). Returns buf.
char *cchc_time_format(int64_t ms, char *buf, size_t size);

//  Parse "dd/mm/yyyy" or "yyyy-mm-dd" into yyyymmdd. Returns 0 or -1.
int cchc_date_parse(const char *text, int32_t *date);

//  Parse a local date or date-time into an instant: "dd/mm/yyyy",
//  "yyyy-mm-dd", "yyyy-mm-ddTHH:MM[:SS]" (local), with an optional "Z" or
//  "+07:00" style offset. A bare date means its local midnight. Returns 0 or -1.
int cchc_time_parse(const char *text, int64_t *ms);

#endif
