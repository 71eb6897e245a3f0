/*  log.c - one JSON object per line on stderr, or a readable line on a tty.

    The field format is a printf format of `key=%spec` items; we walk it
    ourselves, pulling each argument with the type its spec names, so that
    strings can be JSON-escaped and numbers written bare. The compiler checks
    the argument types through the format attribute in log.h.
*/
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192

static struct {
    char service[32];
    cchc_level_t level;
    bool text;
} g_log = {"cchc", CCHC_INFO, false};

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void cchc_log_init(const char *service, cchc_level_t level, const char *format)
{
    pthread_mutex_lock(&g_log_lock);
    snprintf(g_log.service, sizeof(g_log.service), "%s", service ? service : "cchc");
    g_log.level = level;
    if (format && strcmp(format, "json") == 0)
        g_log.text = false;
    else if (format && strcmp(format, "text") == 0)
        g_log.text = true;
    else
        g_log.text = isatty(STDERR_FILENO);
    pthread_mutex_unlock(&g_log_lock);
}

int cchc_log_level_parse(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

//  A line being built; appends are truncated safely at the end.
typedef struct {
    char data[LINE_MAX_BYTES];
    size_t len;
} line_t;

static void put(line_t *l, const char *s, size_t n)
{
    if (l->len + n > sizeof(l->data) - 2)
        n = sizeof(l->data) - 2 - l->len;
    memcpy(l->data + l->len, s, n);
    l->len += n;
}

static void puts_(line_t *l, const char *s)
{
    put(l, s, strlen(s));
}

static void putf(line_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(line_t *l, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

//  JSON string escaping; UTF-8 bytes pass through unchanged.
static void put_json_string(line_t *l, const char *s)
{
    put(l, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : "(null)"); *p; p++) {
        if (*p == '"')
            put(l, "\\\"", 2);
        else if (*p == '\\')
            put(l, "\\\\", 2);
        else if (*p == '\n')
            put(l, "\\n", 2);
        else if (*p == '\t')
            put(l, "\\t", 2);
        else if (*p == '\r')
            put(l, "\\r", 2);
        else if (*p < 0x20 || *p == 0x7f)
            putf(l, "\\u%04x", *p);
        else
            put(l, (const char *)p, 1);
    }
    put(l, "\"", 1);
}

//  Walk "key=%spec key=%spec" and append each field.
static void put_fields(line_t *l, const char *fields, va_list ap)
{
    const char *p = fields;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *eq = strchr(p, '=');
        if (!eq || eq[1] != '%')
            break;
        char key[64];
        size_t klen = (size_t)(eq - p) < sizeof(key) - 1 ? (size_t)(eq - p) : sizeof(key) - 1;
        memcpy(key, p, klen);
        key[klen] = 0;
        //  the spec: %[.N][l|ll|z]conv
        const char *s = eq + 2;
        char spec[16] = "%";
        size_t sl = 1;
        while ((*s == '.' || (*s >= '0' && *s <= '9')) && sl < 8)
            spec[sl++] = *s++;
        int longs = 0;
        bool size = false;
        while (*s == 'l' && longs < 2) {
            spec[sl++] = 'l';
            longs++;
            s++;
        }
        if (*s == 'z') {
            spec[sl++] = 'z';
            size = true;
            s++;
        }
        char conv = *s ? *s++ : 0;
        spec[sl++] = conv;
        spec[sl] = 0;
        char value[128];
        bool quoted = false;
        const char *str = NULL;
        switch (conv) {
        case 'd':
        case 'i':
            if (size)
                snprintf(value, sizeof(value), "%zd", va_arg(ap, ssize_t));
            else if (longs == 2)
                snprintf(value, sizeof(value), "%lld", va_arg(ap, long long));
            else if (longs == 1)
                snprintf(value, sizeof(value), "%ld", va_arg(ap, long));
            else
                snprintf(value, sizeof(value), "%d", va_arg(ap, int));
            break;
        case 'u':
        case 'x':
            if (size)
                snprintf(value, sizeof(value), conv == 'u' ? "%zu" : "\"%zx\"", va_arg(ap, size_t));
            else if (longs == 2)
                snprintf(value, sizeof(value), conv == 'u' ? "%llu" : "\"%llx\"",
                         va_arg(ap, unsigned long long));
            else if (longs == 1)
                snprintf(value, sizeof(value), conv == 'u' ? "%lu" : "\"%lx\"", va_arg(ap, unsigned long));
            else
                snprintf(value, sizeof(value), conv == 'u' ? "%u" : "\"%x\"", va_arg(ap, unsigned));
            break;
        case 'f':
        case 'g':
        case 'e': {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            snprintf(value, sizeof(value), spec, va_arg(ap, double));
#pragma GCC diagnostic pop
            break;
        }
        case 's':
            str = va_arg(ap, const char *);
            quoted = true;
            break;
        case 'p':
            snprintf(value, sizeof(value), "\"%p\"", va_arg(ap, void *));
            break;
        default:
            return; //  unsupported spec: stop rather than misread arguments
        }
        if (g_log.text) {
            putf(l, " %s=", key);
            if (quoted)
                puts_(l, str ? str : "(null)");
            else
                puts_(l, value);
        } else {
            put(l, ",", 1);
            put_json_string(l, key);
            put(l, ":", 1);
            if (quoted)
                put_json_string(l, str);
            else
                puts_(l, value);
        }
        p = s;
    }
}

void cchc_log(cchc_level_t level, const char *event, const char *fields, ...)
{
    if (level < g_log.level)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    line_t line;
    line.len = 0;
    va_list ap;
    va_start(ap, fields);
    pthread_mutex_lock(&g_log_lock);
    if (g_log.text) {
        struct tm local;
        time_t t = tv.tv_sec + 7 * 3600; //  operators read Asia/Ho_Chi_Minh time
        gmtime_r(&t, &local);
        putf(&line, "%02d:%02d:%02d.%03d %-5s %s %s", local.tm_hour, local.tm_min, local.tm_sec,
             (int)(tv.tv_usec / 1000), level_names[level], g_log.service, event);
    } else {
        putf(&line, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\",\"level\":\"%s\",\"service\":",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(tv.tv_usec / 1000), level_names[level]);
        put_json_string(&line, g_log.service);
        puts_(&line, ",\"event\":");
        put_json_string(&line, event);
    }
    put_fields(&line, fields, ap);
    if (!g_log.text)
        put(&line, "}", 1);
    line.data[line.len++] = '\n';
    pthread_mutex_unlock(&g_log_lock);
    va_end(ap);
    ssize_t w = write(STDERR_FILENO, line.data, line.len);
    (void)w;
}
