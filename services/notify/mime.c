/*  mime.c - see mime.h.

    B encoding (base64) is used for every encoded-word and for the body: it
    carries Vietnamese text whatever the relays do with 8-bit data, and its
    length is known in advance, which is what lets a word be filled with
    whole UTF-8 characters up to the 75-character limit.
*/
#include "mime.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------------------
//  A growable string

typedef struct {
    char *data;
    size_t len, cap;
} text_t;

static void text_reserve(text_t *t, size_t more)
{
    if (t->len + more + 1 <= t->cap)
        return;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *grown = realloc(t->data, cap);
    if (!grown)
        abort();
    t->data = grown;
    t->cap = cap;
}

static void text_add(text_t *t, const char *s, size_t n)
{
    text_reserve(t, n);
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_str(text_t *t, const char *s)
{
    text_add(t, s, strlen(s));
}

static void text_printf(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(text_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    text_reserve(t, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

//  The string, owned by the caller ("" rather than NULL when empty).
static char *text_take(text_t *t)
{
    text_reserve(t, 0);
    t->data[t->len] = '\0';
    char *s = t->data;
    memset(t, 0, sizeof(*t));
    return s;
}

// ---------------------------------------------------------------------------
//  base64 (RFC 4648) and UTF-8

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_add(text_t *t, const unsigned char *in, size_t n)
{
    text_reserve(t, (n + 2) / 3 * 4);
    char *out = t->data + t->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *out++ = B64[v >> 18 & 63];
        *out++ = B64[v >> 12 & 63];
        *out++ = B64[v >> 6 & 63];
        *out++ = B64[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
        *out++ = B64[v >> 18 & 63];
        *out++ = B64[v >> 12 & 63];
        *out++ = i + 1 < n ? B64[v >> 6 & 63] : '=';
        *out++ = '=';
    }
    t->len = (size_t)(out - t->data);
    t->data[t->len] = '\0';
}

//  Length of the UTF-8 character at s (n bytes left): its sequence length
//  when the lead byte and the continuation bytes are well formed, else 1.
static size_t utf8_char_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xE0) == 0xC0 ? 2
                 : (s[0] & 0xF0) == 0xE0 ? 3
                 : (s[0] & 0xF8) == 0xF0 ? 4
                                         : 1;
    if (len > n)
        return 1;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 1;
    return len;
}

// ---------------------------------------------------------------------------
//  Encoded-words

#define WORD_OPEN     "=?UTF-8?B?"
#define WORD_CLOSE    "?="
#define WORD_OVERHEAD (sizeof(WORD_OPEN) - 1 + sizeof(WORD_CLOSE) - 1)

//  Text bytes that fit a word of at most `chars` characters.
static size_t word_capacity(size_t chars)
{
    return chars < WORD_OVERHEAD + 4 ? 0 : (chars - WORD_OVERHEAD) / 4 * 3;
}

char *cchc_mime_encode_words(const char *text, size_t used)
{
    assert(used <= 48);
    text_t out = {0};
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t n = strlen((const char *)s);
    //  the first word shares its line with "Name: "; each later one follows
    //  a folding CRLF SP
    size_t first_room = CCHC_MIME_LINE_MAX - used;
    size_t cap = word_capacity(first_room < CCHC_MIME_WORD_MAX ? first_room : CCHC_MIME_WORD_MAX);
    size_t later = word_capacity(CCHC_MIME_WORD_MAX < CCHC_MIME_LINE_MAX - 1 ? CCHC_MIME_WORD_MAX
                                                                             : CCHC_MIME_LINE_MAX - 1);
    for (size_t pos = 0; pos < n; cap = later) {
        size_t take = 0;
        while (pos + take < n) {
            size_t c = utf8_char_len(s + pos + take, n - pos - take);
            if (take + c > cap)
                break;
            take += c;
        }
        assert(take > 0); //  cap >= 12 bytes: any character fits an empty word
        if (pos > 0)
            text_str(&out, "\r\n ");
        text_str(&out, WORD_OPEN);
        base64_add(&out, s + pos, take);
        text_str(&out, WORD_CLOSE);
        pos += take;
    }
    return text_take(&out);
}

// ---------------------------------------------------------------------------
//  Date and Message-ID

char *cchc_mime_date(int64_t ms, char *buf, size_t size)
{
    static const char *const days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"}; //  01/01/1970: Thu
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t local = ms / 1000 + 7 * 3600; //  Asia/Ho_Chi_Minh: UTC+7 all year
    int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int64_t secs = local - day * 86400;
    //  civil date from days since 1970-01-01 (Howard Hinnant's algorithm)
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    int weekday = (int)(((day % 7) + 7) % 7);
    snprintf(buf, size, "%s, %02d %s %04lld %02d:%02d:%02d +0700", days[weekday], (int)d, months[m - 1],
             (long long)y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    return buf;
}

static bool host_ok(const char *domain)
{
    if (!domain || !*domain || domain[0] == '.' || domain[0] == '-')
        return false;
    for (const char *p = domain; *p; p++) {
        bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!alnum && *p != '-' && !(*p == '.' && p[1] && p[1] != '.'))
            return false;
    }
    return true;
}

char *cchc_mime_message_id(const char *token, const char *domain)
{
    text_t out = {0};
    text_str(&out, "<cchc.");
    for (const unsigned char *p = (const unsigned char *)(token ? token : ""); *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                     *p == '-' || *p == '_';
        if (plain)
            text_add(&out, (const char *)p, 1);
        else if (*p == '/' && p[1] && p[1] != '/')
            text_str(&out, ".");
        else
            text_printf(&out, "=%02X", *p);
    }
    text_printf(&out, "@%s>", host_ok(domain) ? domain : "cchc.invalid");
    return text_take(&out);
}

bool cchc_mime_address_ok(const char *addr)
{
    if (!addr)
        return false;
    const char *at = strchr(addr, '@');
    if (!at || at == addr || !at[1] || strchr(at + 1, '@'))
        return false;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        if (*p <= ' ' || *p >= 0x7F || strchr("<>\",;()[]\\", *p))
            return false;
    return true;
}

// ---------------------------------------------------------------------------
//  The message

//  "Name: " + the display name encoded (when there is one) + " <addr>".
static void address_header(text_t *t, const char *name, const char *display, const char *addr)
{
    text_printf(t, "%s: ", name);
    if (display && *display) {
        char *words = cchc_mime_encode_words(display, strlen(name) + 2);
        text_str(t, words);
        free(words);
        text_str(t, "\r\n ");
    }
    text_printf(t, "<%s>\r\n", addr);
}

static bool header_text_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < ' ' || *p >= 0x7F)
            return false;
    return true;
}

char *cchc_mime_compose(const cchc_mail_t *mail, size_t *len)
{
    if (!cchc_mime_address_ok(mail->from_addr) || !cchc_mime_address_ok(mail->to_addr) || !mail->message_id ||
        !header_text_ok(mail->message_id) || (mail->token && !header_text_ok(mail->token)))
        return NULL;
    text_t t = {0};
    char date[40];
    text_printf(&t, "Date: %s\r\n", cchc_mime_date(mail->date_ms, date, sizeof(date)));
    address_header(&t, "From", mail->from_name, mail->from_addr);
    address_header(&t, "To", mail->to_name, mail->to_addr);
    char *subject = cchc_mime_encode_words(mail->subject, strlen("Subject: "));
    text_printf(&t, "Subject: %s\r\n", subject);
    free(subject);
    text_printf(&t, "Message-ID: %s\r\n", mail->message_id);
    if (mail->token)
        text_printf(&t, "X-CCHC-Token: %s\r\n", mail->token);
    text_str(&t, "MIME-Version: 1.0\r\n"
                 "Content-Type: text/plain; charset=UTF-8\r\n"
                 "Content-Transfer-Encoding: base64\r\n"
                 "\r\n");
    //  the body with CRLF line ends, then base64 in lines of 76 (57 bytes)
    text_t body = {0};
    for (const char *p = mail->body ? mail->body : ""; *p; p++) {
        if (*p == '\n' && (p == mail->body || p[-1] != '\r'))
            text_add(&body, "\r", 1);
        text_add(&body, p, 1);
    }
    for (size_t off = 0; off < body.len; off += 57) {
        size_t n = body.len - off < 57 ? body.len - off : 57;
        base64_add(&t, (const unsigned char *)body.data + off, n);
        text_str(&t, "\r\n");
    }
    free(body.data);
    *len = t.len;
    return text_take(&t);
}
