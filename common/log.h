/*  log.h - structured logging: one JSON object per line on stderr.

    Each line carries time (UTC, RFC 3339 with ms), level, service, event and
    the fields of the call. When stderr is a terminal the line is written for
    people instead ("12:00:01.123 INFO  intake commit batch=12").

    Fields are given as a printf format made only of `key=%spec` items
    separated by single spaces, so the compiler checks argument types:
        cchc_log (CCHC_INFO, "commit", "batch=%d ms=%.2f ward=%s", n, ms, w);
    Supported specs: %d %i %u %ld %lu %lld %llu %zu %x %f %.Nf %g %s. String
    values are JSON-escaped; numbers are written bare.
*/
#ifndef CCHC_LOG_H
#define CCHC_LOG_H

#include <stdbool.h>

typedef enum { CCHC_DEBUG = 0, CCHC_INFO = 1, CCHC_WARN = 2, CCHC_ERROR = 3 } cchc_level_t;

//  Set the service name and minimum level. format: "json", "text" or "auto"
//  (text when stderr is a terminal). Safe to call again (on reload).
void cchc_log_init(const char *service, cchc_level_t level, const char *format);

//  Parse "debug", "info", "warn", "error"; returns -1 when unknown.
int cchc_log_level_parse(const char *name);

//  Write one log line. Thread-safe; one write(2) per line.
void cchc_log(cchc_level_t level, const char *event, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));

#endif
