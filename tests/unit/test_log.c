/*  test_log.c - JSON lines: every line is parsed back with a small strict
    JSON reader (below), then its fields are checked: key order, escaping of
    quotes, newlines and control characters, UTF-8 kept or repaired, numbers
    written bare with their length modifiers and precision, truncation of a
    huge line at a character boundary, the level filter, the text format,
    and whole lines from concurrent threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

// ---------------------------------------------------------------------------
//  A strict reader for one flat JSON object (string keys; values string,
//  number, true, false or null), enough to check what log.c writes.

#define MAX_FIELDS 32

typedef struct {
    char key[64];
    char value[9000]; //  decoded string, or the literal text of a number
    bool is_string;
} json_field_t;

typedef struct {
    json_field_t fields[MAX_FIELDS];
    int count;
} json_object_t;

static bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = p[i] < 0x80             ? 1
                     : (p[i] & 0xE0) == 0xC0 ? 2
                     : (p[i] & 0xF0) == 0xE0 ? 3
                     : (p[i] & 0xF8) == 0xF0 ? 4
                                             : 0;
        if (len == 0 || i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

//  Read a JSON string at *p into out (size bytes); advances *p.
static bool json_string(const char **p, char *out, size_t size)
{
    const char *s = *p;
    size_t n = 0;
    if (*s++ != '"')
        return false;
    while (*s != '"') {
        unsigned char c = (unsigned char)*s;
        if (c == 0 || c < 0x20 || n + 4 >= size)
            return false; //  raw control characters are not allowed in JSON strings
        if (c != '\\') {
            out[n++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case '"':
            out[n++] = '"';
            break;
        case '\\':
            out[n++] = '\\';
            break;
        case '/':
            out[n++] = '/';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'u': {
            unsigned v = 0;
            for (int i = 1; i <= 4; i++) {
                char h = s[i];
                v = v * 16 + (unsigned)(h >= '0' && h <= '9'   ? h - '0'
                                        : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                        : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                               : 99);
                if (v > 0xFFFF)
                    return false;
            }
            if (v >= 0x80)
                return false; //  log.c only escapes ASCII control characters
            out[n++] = (char)v;
            s += 4;
            break;
        }
        default:
            return false;
        }
        s++;
    }
    out[n] = 0;
    *p = s + 1;
    return utf8_valid(out, n);
}

//  Read a JSON number or literal at *p as text.
static bool json_scalar(const char **p, char *out, size_t size)
{
    const char *s = *p;
    if (strncmp(s, "true", 4) == 0 || strncmp(s, "null", 4) == 0 || strncmp(s, "false", 5) == 0) {
        size_t n = s[0] == 'f' ? 5 : 4;
        memcpy(out, s, n);
        out[n] = 0;
        *p = s + n;
        return true;
    }
    char *end;
    strtod(s, &end);
    if (end == s || (size_t)(end - s) >= size || s[0] == '+' || s[0] == '.' ||
        (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return false;
    for (const char *c = s; c < end; c++)
        if (!strchr("0123456789-+.eE", *c))
            return false; //  no "nan", "inf", hex
    memcpy(out, s, (size_t)(end - s));
    out[end - s] = 0;
    *p = end;
    return true;
}

//  Parse exactly one object followed by "\n" and the end of the text.
static bool json_parse_line(const char *line, json_object_t *obj)
{
    const char *p = line;
    obj->count = 0;
    if (*p++ != '{')
        return false;
    while (*p != '}') {
        if (obj->count > 0 && *p++ != ',')
            return false;
        if (obj->count == MAX_FIELDS)
            return false;
        json_field_t *f = &obj->fields[obj->count++];
        if (!json_string(&p, f->key, sizeof(f->key)) || *p++ != ':')
            return false;
        f->is_string = *p == '"';
        if (f->is_string ? !json_string(&p, f->value, sizeof(f->value))
                         : !json_scalar(&p, f->value, sizeof(f->value)))
            return false;
    }
    return strcmp(p, "}\n") == 0;
}

static const json_field_t *field(const json_object_t *obj, const char *key)
{
    for (int i = 0; i < obj->count; i++)
        if (strcmp(obj->fields[i].key, key) == 0)
            return &obj->fields[i];
    return NULL;
}

static void assert_string_field(const json_object_t *obj, const char *key, const char *value)
{
    const json_field_t *f = field(obj, key);
    assert_non_null(f);
    assert_true(f->is_string);
    assert_string_equal(f->value, value);
}

static void assert_number_field(const json_object_t *obj, const char *key, const char *value)
{
    const json_field_t *f = field(obj, key);
    assert_non_null(f);
    assert_false(f->is_string);
    assert_string_equal(f->value, value);
}

// ---------------------------------------------------------------------------
//  Capturing stderr through a pipe

static char g_out[65536];

typedef struct {
    int fds[2];
    int saved;
} capture_t;

static void capture_begin(capture_t *c)
{
    assert_int_equal(pipe(c->fds), 0);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_int_equal(dup2(c->fds[1], STDERR_FILENO), STDERR_FILENO);
}

//  Restore stderr and return everything written meanwhile (< 64 KiB).
static const char *capture_end(capture_t *c)
{
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    close(c->fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(g_out) - 1 && (r = read(c->fds[0], g_out + n, sizeof(g_out) - 1 - n)) > 0)
        n += (size_t)r;
    g_out[n] = 0;
    close(c->fds[0]);
    return g_out;
}

static int count_lines(const char *s)
{
    int lines = 0;
    for (; *s; s++)
        lines += *s == '\n';
    return lines;
}

// ---------------------------------------------------------------------------
//  Tests

static json_object_t g_obj; //  large: kept off the stack
const char *g_no_value;     //  NULL, out of the compiler's sight (a NULL %s is allowed)

static void test_json_line(void **state)
{
    (void)state;
    cchc_log_init("intake", CCHC_INFO, "json");
    capture_t c;
    capture_begin(&c);
    time_t before = time(NULL);
    cchc_log(CCHC_INFO, "commit",
             "batch=%d ms=%.2f ward=%s seq=%llu size=%zu neg=%lld lag=%ld pct=%u mask=%x short=%.3s none=%s",
             12, 3.14159, "Lê \"Thanh\"\nNghị\\", 18446744073709551615ULL, (size_t)7, -5LL, -1L, 100u, 255u,
             "Phường", g_no_value);
    const char *out = capture_end(&c);
    assert_int_equal(count_lines(out), 1); //  one event, one line
    assert_true(json_parse_line(out, &g_obj));
    //  the fixed keys come first, in order
    assert_string_equal(g_obj.fields[0].key, "time");
    assert_string_equal(g_obj.fields[1].key, "level");
    assert_string_equal(g_obj.fields[2].key, "service");
    assert_string_equal(g_obj.fields[3].key, "event");
    assert_string_equal(g_obj.fields[4].key, "batch");
    assert_int_equal(g_obj.count, 4 + 11);
    //  time: "2026-11-25T06:30:00.123Z", UTC, now
    const char *t = g_obj.fields[0].value;
    assert_int_equal(strlen(t), 24);
    struct tm tm = {0};
    int msec;
    assert_int_equal(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &msec),
                     7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t logged = timegm(&tm);
    assert_true(logged >= before && logged <= time(NULL));
    assert_string_field(&g_obj, "level", "info");
    assert_string_field(&g_obj, "service", "intake");
    assert_string_field(&g_obj, "event", "commit");
    assert_number_field(&g_obj, "batch", "12");
    assert_number_field(&g_obj, "ms", "3.14");
    assert_string_field(&g_obj, "ward", "Lê \"Thanh\"\nNghị\\"); //  decoded back exactly
    assert_non_null(strstr(out, "\"ward\":\"Lê \\\"Thanh\\\"\\nNghị\\\\\""));
    assert_number_field(&g_obj, "seq", "18446744073709551615");
    assert_number_field(&g_obj, "size", "7");
    assert_number_field(&g_obj, "neg", "-5");
    assert_number_field(&g_obj, "lag", "-1");
    assert_number_field(&g_obj, "pct", "100");
    assert_string_field(&g_obj, "mask", "ff");
    assert_string_field(&g_obj, "short", "Ph"); //  3 bytes would cut "ư" in half: the piece is dropped
    assert_string_field(&g_obj, "none", "(null)");
}

static void test_control_characters_and_bad_utf8(void **state)
{
    (void)state;
    cchc_log_init("notify", CCHC_DEBUG, "json");
    capture_t c;
    capture_begin(&c);
    cchc_log(CCHC_DEBUG, "smtp", "reply=%s bytes=%s ratio=%f key=clock value=%s", "a\x01\tb\r", "x\xff\xc3y",
             NAN, "manual");
    const char *out = capture_end(&c);
    assert_non_null(strstr(out, "\"reply\":\"a\\u0001\\tb\\r\""));
    assert_true(json_parse_line(out, &g_obj));
    assert_string_field(&g_obj, "level", "debug");
    assert_string_field(&g_obj, "reply", "a\x01\tb\r");
    assert_string_field(&g_obj, "bytes", "x\xEF\xBF\xBD\xEF\xBF\xBDy"); //  each bad byte is U+FFFD
    assert_number_field(&g_obj, "ratio", "null");                       //  NaN is not JSON
    assert_string_field(&g_obj, "key", "clock");                        //  a literal item
    assert_string_field(&g_obj, "value", "manual");
}

static void test_unsupported_spec_stops_reading(void **state)
{
    (void)state;
    cchc_log_init("scoring", CCHC_INFO, "json");
    capture_t c;
    capture_begin(&c);
    cchc_log(CCHC_WARN, "odd", "a=%d b=%5d c=%s", 1, 2, "three"); //  width is not supported
    const char *out = capture_end(&c);
    assert_true(json_parse_line(out, &g_obj));
    assert_number_field(&g_obj, "a", "1");
    assert_null(field(&g_obj, "b"));
    assert_null(field(&g_obj, "c"));
    assert_string_field(&g_obj, "log_format_error", "b=%5d c=%s");
}

static void test_huge_line_is_cut_cleanly(void **state)
{
    (void)state;
    cchc_log_init("intake", CCHC_INFO, "json");
    static char big[30000];
    big[0] = 0;
    for (int i = 0; i < 9000; i++) //  "ệ" is 3 bytes: 27000 bytes in all
        strcat(big + (size_t)i * 3, "ệ");
    capture_t c;
    capture_begin(&c);
    cchc_log(CCHC_ERROR, "huge", "first=%d note=%s after=%d", 1, big, 2);
    const char *out = capture_end(&c);
    assert_int_equal(count_lines(out), 1);
    assert_true(strlen(out) <= 8192);
    assert_true(json_parse_line(out, &g_obj)); //  still valid JSON, valid UTF-8
    assert_number_field(&g_obj, "first", "1");
    const json_field_t *note = field(&g_obj, "note");
    assert_non_null(note);
    assert_true(strlen(note->value) > 7000);
    assert_int_equal(strlen(note->value) % 3, 0); //  whole characters only
    assert_null(field(&g_obj, "after"));          //  did not fit: dropped, not half written
    assert_number_field(&g_obj, "truncated", "true");
}

static void test_level_filter_and_text(void **state)
{
    (void)state;
    cchc_log_init("scoring", CCHC_WARN, "text");
    capture_t c;
    capture_begin(&c);
    cchc_log(CCHC_INFO, "hidden", "x=%d", 1);
    cchc_log(CCHC_DEBUG, "hidden_too", "x=%d", 1);
    cchc_log(CCHC_ERROR, "shown", "unit=%s name=%s score=%.1f", "VHXH", "Phòng Văn hóa - Xã hội", 87.25);
    cchc_log(CCHC_WARN, "also_shown", "n=%zu", (size_t)3);
    const char *out = capture_end(&c);
    assert_null(strstr(out, "hidden"));
    assert_int_equal(count_lines(out), 2);
    //  "HH:MM:SS.mmm ERROR scoring shown ..." in local time
    int hh, mm, ss, ms;
    assert_int_equal(sscanf(out, "%2d:%2d:%2d.%3d ", &hh, &mm, &ss, &ms), 4);
    assert_non_null(strstr(out, " ERROR scoring shown unit=VHXH name=\"Phòng Văn hóa - Xã hội\" score=87.2"));
    assert_non_null(strstr(out, " WARN  scoring also_shown n=3\n"));
    assert_int_equal(cchc_log_level_parse("warn"), CCHC_WARN);
    assert_int_equal(cchc_log_level_parse("debug"), CCHC_DEBUG);
    assert_int_equal(cchc_log_level_parse("loud"), -1);
    assert_int_equal(cchc_log_level_parse(NULL), -1);
}

#define THREADS          4
#define LINES_PER_THREAD 200

static char g_payload[3000]; //  lines of ~3 KB: bigger than one pipe atom would allow by luck

static void *log_lines(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < LINES_PER_THREAD; i++)
        cchc_log(CCHC_INFO, "burst", "thread=%d i=%d payload=%s", id, i, g_payload);
    return NULL;
}

static void test_threads_write_whole_lines(void **state)
{
    (void)state;
    cchc_log_init("intake", CCHC_INFO, "json");
    memset(g_payload, 'x', sizeof(g_payload) - 1);
    char path[64];
    snprintf(path, sizeof(path), "/tmp/cchc-test-log-%d.txt", (int)getpid());
    FILE *file = fopen(path, "w+");
    assert_non_null(file);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(file), STDERR_FILENO);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, log_lines, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(file);
    static char line[16384];
    int next[THREADS] = {0}, lines = 0;
    while (fgets(line, sizeof(line), file)) {
        assert_true(json_parse_line(line, &g_obj));
        int t = atoi(field(&g_obj, "thread")->value), i = atoi(field(&g_obj, "i")->value);
        assert_true(t >= 0 && t < THREADS);
        assert_int_equal(i, next[t]++); //  each thread's lines whole and in its order
        assert_int_equal(strlen(field(&g_obj, "payload")->value), sizeof(g_payload) - 1);
        lines++;
    }
    fclose(file);
    unlink(path);
    assert_int_equal(lines, THREADS * LINES_PER_THREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_control_characters_and_bad_utf8),
        cmocka_unit_test(test_unsupported_spec_stops_reading),
        cmocka_unit_test(test_huge_line_is_cut_cleanly),
        cmocka_unit_test(test_level_filter_and_text),
        cmocka_unit_test(test_threads_write_whole_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
