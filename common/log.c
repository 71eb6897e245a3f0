/*  log.c - one JSON object per line on stderr, or a readable line on a tty.

    The field format is a printf format of `key=%spec` items; we walk it
    ourselves, pulling each argument with the type its spec names, so that
    strings can be JSON-escaped and numbers written bare. The compiler checks
    the argument types through the format attribute in log.h. An item may
    also be a literal (`key=clock`), written as a string.

    A line is built in a fixed buffer and written with one write(2) while the
    lock is held, so lines of concurrent threads never interleave. The end of
    the buffer is kept in reserve: when the fields do not fit, the last string
    is cut at a UTF-8 character boundary and closed, the fields that did not
    fit are dropped, and the line still ends as valid JSON with
    "truncated":true. Invalid UTF-8 in a value becomes U+FFFD, so that every
    line is valid JSON for any input.
*/
#include "log.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define LINE_BYTES 8192
//  Always kept free for what closes a truncated line: "\"", ",\"truncated\":true", "}\n".
#define TAIL_BYTES 32
//  Big enough for any double printed with %.99f.
#define NUMBER_BYTES 512

// ---------------------------------------------------------------------------
//  Settings

static struct {
    char service[32]; //  "intake"; guarded by g_log_lock
    bool text;        //  readable lines instead of JSON; guarded by g_log_lock
} g_log = {"cchc", false};

static atomic_int g_log_level = CCHC_INFO; //  read without the lock on every call
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char *const level_labels[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void cchc_log_init(const char *service, cchc_level_t level, const char *format)
{
    pthread_mutex_lock(&g_log_lock);
    snprintf(g_log.service, sizeof(g_log.service), "%s", service ? service : "cchc");
    if (format && strcmp(format, "json") == 0)
        g_log.text = false;
    else if (format && strcmp(format, "text") == 0)
        g_log.text = true;
    else
        g_log.text = isatty(STDERR_FILENO) == 1;
    atomic_store(&g_log_level, (int)level);
    pthread_mutex_unlock(&g_log_lock);
}

int cchc_log_level_parse(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

// ---------------------------------------------------------------------------
//  The line buffer

typedef struct {
    char data[LINE_BYTES];
    size_t len;
    bool full; //  something did not fit: nothing more is appended
} line_t;

//  Append n bytes if they fit before the reserved tail; else mark the line
//  full and append nothing.
static bool put(line_t *l, const char *s, size_t n)
{
    if (l->full || n > LINE_BYTES - TAIL_BYTES - l->len) {
        l->full = true;
        return false;
    }
    memcpy(l->data + l->len, s, n);
    l->len += n;
    return true;
}

static bool put_str(line_t *l, const char *s)
{
    return put(l, s, strlen(s));
}

//  Append into the reserved tail; only the closing bytes of a line go here.
static void put_tail(line_t *l, const char *s)
{
    size_t n = strlen(s);
    if (n > LINE_BYTES - l->len)
        n = LINE_BYTES - l->len; //  defensive: TAIL_BYTES covers every closing
    memcpy(l->data + l->len, s, n);
    l->len += n;
}

//  Bytes of the UTF-8 sequence that lead byte c starts, or 0 if c cannot
//  start one.
static size_t utf8_length(unsigned char c)
{
    return c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
}

//  Length of the well-formed UTF-8 sequence at p (at most avail bytes), or 0
//  if the bytes there are not one.
static size_t utf8_sequence(const unsigned char *p, size_t avail)
{
    size_t n = utf8_length(p[0]);
    if (n == 0 || n > avail)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) || //  overlong, surrogate
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))   //  overlong, > U+10FFFF
        return 0;
    return n;
}

//  Append at most max bytes of s, escaped for JSON (json) or for a text line
//  (control characters, and '"' and '\' when quoted). Whole characters only.
//  Returns false if the line filled up first.
static bool put_escaped(line_t *l, const char *s, size_t max, bool json, bool quoted)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max);
    for (size_t i = 0; i < n;) {
        char unit[8];
        size_t ulen = 1;
        unsigned char c = p[i];
        if (c == '"' && (json || quoted))
            memcpy(unit, "\\\"", ulen = 2);
        else if (c == '\\' && (json || quoted))
            memcpy(unit, "\\\\", ulen = 2);
        else if (c == '\n')
            memcpy(unit, "\\n", ulen = 2);
        else if (c == '\t')
            memcpy(unit, "\\t", ulen = 2);
        else if (c == '\r')
            memcpy(unit, "\\r", ulen = 2);
        else if (c < 0x20 || c == 0x7f)
            ulen = (size_t)snprintf(unit, sizeof(unit), "\\u%04x", c);
        else if (c < 0x80)
            unit[0] = (char)c;
        else {
            size_t seq = utf8_sequence(p + i, n - i);
            if (seq == 0 && utf8_length(c) > n - i) {
                bool cut = true; //  a character cut by the precision: drop its start
                for (size_t k = i + 1; k < n; k++)
                    cut = cut && (p[k] & 0xC0) == 0x80;
                if (cut)
                    return true;
            }
            if (seq == 0) {
                if (!put(l, "\xEF\xBF\xBD", 3)) //  U+FFFD for a byte that is not UTF-8
                    return false;
                i++;
                continue;
            }
            if (!put(l, s + i, seq))
                return false;
            i += seq;
            continue;
        }
        if (!put(l, unit, ulen))
            return false;
        i++;
    }
    return true;
}

//  A JSON string, closed even when the line fills up. Returns false then.
static bool put_json_string(line_t *l, const char *s, size_t max)
{
    size_t mark = l->len;
    if (!put(l, "\"", 1)) {
        l->len = mark;
        return false;
    }
    if (!put_escaped(l, s, max, true, false) || !put(l, "\"", 1)) {
        put_tail(l, "\"");
        return false;
    }
    return true;
}

//  A text-line value: bare when it is one simple word, else quoted.
static bool put_text_value(line_t *l, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    bool quote = n == 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ' ' || s[i] == '"' || s[i] == '=' || (unsigned char)s[i] < 0x20;
    if (!quote)
        return put_escaped(l, s, max, false, false);
    size_t mark = l->len;
    if (!put(l, "\"", 1)) {
        l->len = mark;
        return false;
    }
    if (!put_escaped(l, s, max, false, true) || !put(l, "\"", 1)) {
        put_tail(l, "\"");
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
//  Fields

//  One parsed `%spec`: [.N|.*][hh|h|l|ll|z|j]conv
typedef struct {
    int precision; //  -1 when none; from the format or from a `.*` argument
    bool star;     //  precision comes from an int argument
    int halves;    //  number of 'h': the int argument is narrowed
    int longs;     //  number of 'l'
    bool size;     //  'z'
    bool intmax;   //  'j'
    char conv;     //  d i u x f g e s p, or 0 when not supported
} spec_t;

//  Parse the spec after '%' at s; returns the end of the spec.
static const char *spec_parse(const char *s, spec_t *spec)
{
    *spec = (spec_t){.precision = -1};
    if (*s == '.') {
        s++;
        if (*s == '*') {
            spec->star = true;
            s++;
        } else {
            int v = 0, digits = 0;
            while (*s >= '0' && *s <= '9' && digits < 3) {
                v = v * 10 + (*s++ - '0');
                digits++;
            }
            if (digits == 0 || digits > 2) //  "%.f" or a precision over 99: not supported
                return s;
            spec->precision = v;
        }
    }
    if (*s == 'h') {
        spec->halves = s[1] == 'h' ? 2 : 1; //  passed as int, printed narrowed
        s += spec->halves;
    } else if (*s == 'l') {
        spec->longs = s[1] == 'l' ? 2 : 1;
        s += spec->longs;
    } else if (*s == 'z') {
        spec->size = true;
        s++;
    } else if (*s == 'j') {
        spec->intmax = true;
        s++;
    }
    if (*s && strchr("diuxfgesp", *s))
        spec->conv = *s++;
    return s;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
//  Print a double with the spec's conversion and precision.
static void format_double(char *out, size_t size, const spec_t *spec, double v)
{
    char fmt[8] = "%.*";
    size_t n = strlen(fmt);
    fmt[n++] = spec->conv;
    fmt[n] = 0;
    int precision = spec->precision >= 0 ? spec->precision : 6;
    snprintf(out, size, fmt, precision > 99 ? 99 : precision, v);
}
#pragma GCC diagnostic pop

//  Write the key prefix of a field: `,"key":` or ` key=`.
static bool put_key(line_t *l, const char *key, size_t klen, bool text)
{
    if (text)
        return put(l, " ", 1) && put(l, key, klen) && put(l, "=", 1);
    return put(l, ",", 1) && put_json_string(l, key, klen) && put(l, ":", 1);
}

//  Walk "key=%spec key=literal ..." appending each field; va_args are taken
//  by the types the specs name. Stops at the first item it cannot read, and
//  records the rest of the format as "log_format_error" rather than misread
//  the arguments.
static void put_fields(line_t *l, const char *fields, va_list ap, bool text)
{
    const char *p = fields;
    while (p && *p && !l->full) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ' ' && *eq != '%')
            eq++;
        if (*eq != '=' || eq == p)
            goto bad_format;
        size_t mark = l->len;
        const char *key = p;
        size_t klen = (size_t)(eq - p);
        if (eq[1] != '%' || eq[2] == '%') {
            //  a literal value up to the next space ("%%" reads as '%')
            const char *v = eq + 1, *end = v;
            while (*end && *end != ' ')
                end++;
            char literal[256];
            size_t n = 0;
            for (const char *c = v; c < end && n < sizeof(literal) - 1; c++) {
                literal[n++] = *c;
                if (c[0] == '%' && c[1] == '%')
                    c++;
                else if (c[0] == '%')
                    goto bad_format; //  a spec inside a literal: cannot tell its argument's place
            }
            literal[n] = 0;
            if (!put_key(l, key, klen, text)) {
                l->len = mark;
                break;
            }
            if (!(text ? put_text_value(l, literal, n) : put_json_string(l, literal, n)))
                break;
            p = end;
            continue;
        }
        spec_t spec;
        const char *after = spec_parse(eq + 2, &spec);
        if (!spec.conv || (*after && *after != ' '))
            goto bad_format;
        if (spec.star)
            spec.precision = va_arg(ap, int);
        char number[NUMBER_BYTES];
        const char *string = NULL;
        switch (spec.conv) {
        case 'd':
        case 'i':
            if (spec.size)
                snprintf(number, sizeof(number), "%zd", va_arg(ap, ssize_t));
            else if (spec.intmax)
                snprintf(number, sizeof(number), "%jd", va_arg(ap, intmax_t));
            else if (spec.longs == 2)
                snprintf(number, sizeof(number), "%lld", va_arg(ap, long long));
            else if (spec.longs == 1)
                snprintf(number, sizeof(number), "%ld", va_arg(ap, long));
            else if (spec.halves == 2)
                snprintf(number, sizeof(number), "%d", (signed char)va_arg(ap, int));
            else if (spec.halves == 1)
                snprintf(number, sizeof(number), "%d", (short)va_arg(ap, int));
            else
                snprintf(number, sizeof(number), "%d", va_arg(ap, int));
            break;
        case 'u':
        case 'x': {
            uintmax_t v;
            if (spec.size)
                v = va_arg(ap, size_t);
            else if (spec.intmax)
                v = va_arg(ap, uintmax_t);
            else if (spec.longs == 2)
                v = va_arg(ap, unsigned long long);
            else if (spec.longs == 1)
                v = va_arg(ap, unsigned long);
            else if (spec.halves == 2)
                v = (unsigned char)va_arg(ap, unsigned);
            else if (spec.halves == 1)
                v = (unsigned short)va_arg(ap, unsigned);
            else
                v = va_arg(ap, unsigned);
            //  hex is not a JSON number: written as a string
            snprintf(number, sizeof(number), spec.conv == 'u' ? "%ju" : text ? "%jx" : "\"%jx\"", v);
            break;
        }
        case 'f':
        case 'g':
        case 'e': {
            double v = va_arg(ap, double);
            if (!isfinite(v) && !text)
                snprintf(number, sizeof(number), "null"); //  JSON has no NaN or infinity
            else
                format_double(number, sizeof(number), &spec, v);
            break;
        }
        case 's':
            string = va_arg(ap, const char *);
            if (!string)
                string = "(null)";
            break;
        case 'p':
            snprintf(number, sizeof(number), text ? "%p" : "\"%p\"", va_arg(ap, void *));
            break;
        default:
            goto bad_format;
        }
        if (!put_key(l, key, klen, text)) {
            l->len = mark;
            break;
        }
        if (string) {
            size_t max = spec.precision >= 0 ? (size_t)spec.precision : SIZE_MAX;
            if (!(text ? put_text_value(l, string, max) : put_json_string(l, string, max)))
                break;
        } else if (!put_str(l, number)) {
            l->len = mark; //  a number is written whole or not at all
            break;
        }
        p = after;
    }
    return;
bad_format:
    //  Unknown spec or stray text: the remaining arguments cannot be read
    //  safely, so the rest of the format is shown instead of their values.
    if (!put_key(l, "log_format_error", strlen("log_format_error"), text))
        return;
    if (text)
        put_text_value(l, p, SIZE_MAX);
    else
        put_json_string(l, p, SIZE_MAX);
}

// ---------------------------------------------------------------------------
//  The call

//  write(2) the whole line, retrying on EINTR and partial writes.
static void write_line(const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; //  stderr is gone: nowhere left to report it
        data += n;
        len -= (size_t)n;
    }
}

void cchc_log(cchc_level_t level, const char *event, const char *fields, ...)
{
    if ((int)level < atomic_load(&g_log_level) || (int)level < CCHC_DEBUG || (int)level > CCHC_ERROR)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int ms = (int)(now.tv_nsec / 1000000);
    static line_t line; //  8 KiB, used only under the lock
    pthread_mutex_lock(&g_log_lock);
    bool text = g_log.text;
    line.len = 0;
    line.full = false;
    char head[128];
    struct tm tm;
    if (text) {
        time_t local = now.tv_sec + 7 * 3600; //  operators read Asia/Ho_Chi_Minh time (UTC+7)
        gmtime_r(&local, &tm);
        snprintf(head, sizeof(head), "%02d:%02d:%02d.%03d %-5s %s ", tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
                 level_labels[level], g_log.service);
        put_str(&line, head);
        put_escaped(&line, event ? event : "", SIZE_MAX, false, false);
    } else {
        gmtime_r(&now.tv_sec, &tm);
        snprintf(head, sizeof(head),
                 "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\",\"level\":\"%s\",\"service\":",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
                 level_names[level]);
        put_str(&line, head);
        put_json_string(&line, g_log.service, SIZE_MAX);
        put_str(&line, ",\"event\":");
        put_json_string(&line, event ? event : "", SIZE_MAX);
    }
    va_list ap;
    va_start(ap, fields);
    put_fields(&line, fields, ap, text);
    va_end(ap);
    if (text)
        put_tail(&line, line.full ? " [truncated]\n" : "\n");
    else
        put_tail(&line, line.full ? ",\"truncated\":true}\n" : "}\n");
    write_line(line.data, line.len);
    pthread_mutex_unlock(&g_log_lock);
}
