/*  email.c - see email.h.

    The message is composed in full (mime.h) before the SMTP dialogue and fed
    to curl from memory. Errors that will repeat for every message of the
    round (no connection, timeout, login refused, TLS) are told apart from
    those of one message, so a dead server costs one timeout per round, not
    one per alert.
*/
#include "email.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "labels.h"
#include "log.h"
#include "mime.h"

int cchc_smtp_tls_parse(const char *text, cchc_smtp_tls_t *tls)
{
    if (!text)
        return -1;
    if (strcmp(text, "auto") == 0)
        *tls = CCHC_SMTP_TLS_AUTO;
    else if (strcmp(text, "required") == 0)
        *tls = CCHC_SMTP_TLS_REQUIRED;
    else if (strcmp(text, "off") == 0)
        *tls = CCHC_SMTP_TLS_OFF;
    else
        return -1;
    return 0;
}

int cchc_smtp_check(const cchc_smtp_t *smtp, const char **what)
{
    const char *host = NULL;
    if (strncmp(smtp->url, "smtp://", 7) == 0)
        host = smtp->url + 7;
    else if (strncmp(smtp->url, "smtps://", 8) == 0)
        host = smtp->url + 8;
    if (!host || !*host || *host == ':' || *host == '/' || strpbrk(smtp->url, " \t\r\n")) {
        *what = "smtp_url";
        return -1;
    }
    if (!cchc_mime_address_ok(smtp->from)) {
        *what = "smtp_from";
        return -1;
    }
    if (smtp->timeout_ms <= 0) {
        *what = "smtp_timeout_ms";
        return -1;
    }
    if (smtp->password[0] && !smtp->user[0]) {
        *what = "smtp_user";
        return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
//  The message's text

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s)
        abort();
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

//  Longest subject sentence kept, in bytes.
#define SUBJECT_MAX 200

char *cchc_email_subject(const cchc_alert_t *alert)
{
    const char *text = alert->text ? alert->text : "";
    //  the first sentence ends at the first ". " after the task's title,
    //  which is quoted «...» and may itself hold a full stop
    const char *from = strstr(text, "»");
    const char *end = strstr(from ? from : text, ". ");
    size_t len = end ? (size_t)(end - text) : strlen(text);
    if (len > 0 && text[len - 1] == '.')
        len--;
    const char *ellipsis = "";
    if (len > SUBJECT_MAX) {
        len = SUBJECT_MAX;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--; //  back to the start of a UTF-8 character
        ellipsis = "…";
    }
    if (len == 0)
        return alert->task && *alert->task
                   ? format("[CCHC] %s: nhiệm vụ %s", cchc_alert_kind_label_vi(alert->kind), alert->task)
                   : format("[CCHC] %s: đơn vị %s", cchc_alert_kind_label_vi(alert->kind), alert->unit);
    return format("[CCHC] %.*s%s", (int)len, text, ellipsis);
}

char *cchc_email_body(const cchc_alert_t *alert)
{
    char due[16], decided[32], overdue[64] = "", task[320] = "";
    cchc_date_format(alert->due_date, due, sizeof(due));
    cchc_time_format(alert->decided_ms, decided, sizeof(decided));
    if (alert->days_overdue > 0)
        snprintf(overdue, sizeof(overdue), "Số ngày quá hạn: %d\n", alert->days_overdue);
    //  a tier or rank drop is about the unit: no task, no due date
    if (alert->task && *alert->task)
        snprintf(task, sizeof(task), "Nhiệm vụ: %.256s\n", alert->task);
    bool has_due = alert->due_date > 0;
    return format("Kính gửi đồng chí %s,\n"
                  "\n"
                  "%s\n"
                  "\n"
                  "Loại thông báo: %s\n"
                  "%s"
                  "Đơn vị: %s\n"
                  "%s%s%s"
                  "%s"
                  "Thời điểm ghi nhận: %s\n"
                  "Phường: %s\n"
                  "Mã thông báo: %s\n"
                  "\n"
                  "-- \n"
                  "Thư được gửi tự động từ hệ thống theo dõi kế hoạch cải cách hành chính (CCHC).\n"
                  "Vui lòng không trả lời thư này.\n",
                  alert->person_name, alert->text, cchc_alert_kind_label_vi(alert->kind), task, alert->unit,
                  has_due ? "Hạn: " : "", has_due ? due : "", has_due ? "\n" : "", overdue, decided,
                  alert->ward, alert->key);
}

// ---------------------------------------------------------------------------
//  Sending

struct cchc_smtp_session {
    const cchc_smtp_t *smtp; //  borrowed settings
    CURL *curl;              //  owned; keeps the connection between messages
    char error[CURL_ERROR_SIZE];
};

cchc_smtp_session_t *cchc_smtp_session_new(const cchc_smtp_t *smtp)
{
    cchc_smtp_session_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->smtp = smtp;
    self->curl = curl_easy_init();
    if (!self->curl) {
        free(self);
        return NULL;
    }
    return self;
}

void cchc_smtp_session_destroy(cchc_smtp_session_t **self_p)
{
    cchc_smtp_session_t *self = *self_p;
    if (!self)
        return;
    curl_easy_cleanup(self->curl);
    free(self);
    *self_p = NULL;
}

typedef struct {
    const char *data;
    size_t len, pos;
} upload_t;

static size_t upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
    upload_t *up = arg;
    size_t room = size * nitems, left = up->len - up->pos;
    size_t n = left < room ? left : room;
    memcpy(buf, up->data + up->pos, n);
    up->pos += n;
    return n;
}

//  Failures that every later message of the round would meet as well.
static bool server_level(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_LOGIN_DENIED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_GOT_NOTHING:
        return true;
    default:
        return false;
    }
}

//  Compose and send one message (token: its dedupe token, which makes its
//  Message-ID); takes subject and body.
static cchc_smtp_result_t send_message(cchc_smtp_session_t *self, const char *token, const char *to_name,
                                       const char *address, char *subject, char *body, int64_t now_ms)
{
    const cchc_smtp_t *smtp = self->smtp;
    const char *at = strrchr(smtp->from, '@');
    char *message_id = cchc_mime_message_id(token, at ? at + 1 : NULL);
    cchc_mail_t mail = {.from_name = smtp->from_name,
                        .from_addr = smtp->from,
                        .to_name = to_name,
                        .to_addr = address,
                        .subject = subject,
                        .body = body,
                        .message_id = message_id,
                        .date_ms = now_ms,
                        .token = token};
    size_t len = 0;
    char *message = cchc_mime_compose(&mail, &len);
    free(subject);
    free(body);
    if (!message) {
        cchc_log(CCHC_WARN, "channel_failed", "channel=email token=%s to=%s error=%s", token, address,
                 "address not acceptable");
        free(message_id);
        return CCHC_SMTP_REFUSED;
    }
    char from[300], to[300];
    snprintf(from, sizeof(from), "<%s>", smtp->from);
    snprintf(to, sizeof(to), "<%s>", address);
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    if (!rcpt)
        abort();
    upload_t up = {.data = message, .len = len};
    static const long tls_level[] = {CURLUSESSL_TRY, CURLUSESSL_ALL, CURLUSESSL_NONE};
    CURL *c = self->curl;
    self->error[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, smtp->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, self->error);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, smtp->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, smtp->timeout_ms);
    curl_easy_setopt(c, CURLOPT_USE_SSL, tls_level[smtp->tls]);
    if (smtp->user[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, smtp->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, smtp->password);
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    CURLcode rc = curl_easy_perform(c);
    long response = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL); //  rcpt is freed below
    curl_slist_free_all(rcpt);
    free(message);
    cchc_smtp_result_t result = CCHC_SMTP_SENT;
    if (rc != CURLE_OK) {
        result = server_level(rc) ? CCHC_SMTP_UNREACHABLE : CCHC_SMTP_REFUSED;
        cchc_log(CCHC_WARN, "channel_failed", "channel=email token=%s to=%s smtp_code=%ld error=%s", token,
                 address, response, self->error[0] ? self->error : curl_easy_strerror(rc));
    } else {
        cchc_log(CCHC_DEBUG, "email_sent", "token=%s to=%s message_id=%s", token, address, message_id);
    }
    free(message_id);
    return result;
}

cchc_smtp_result_t cchc_smtp_send(cchc_smtp_session_t *self, const cchc_alert_t *alert, const char *address,
                                  int64_t now_ms)
{
    return send_message(self, alert->key, alert->person_name, address, cchc_email_subject(alert),
                        cchc_email_body(alert), now_ms);
}

// ---------------------------------------------------------------------------
//  Digests

char *cchc_email_digest_subject(const cchc_alert_t *const *members, size_t n, int64_t window_ms)
{
    char window[96];
    cchc_digest_window_vi(window, sizeof(window), cchc_digest_window_start(members[0]->decided_ms, window_ms),
                          window_ms);
    char kinds[256];
    cchc_digest_kinds_vi(kinds, sizeof(kinds), members, n); //  every kind, drops included
    return format("[CCHC] Tổng hợp %zu thông báo %s (%s)", n, window, kinds);
}

char *cchc_email_digest_body(const cchc_alert_t *const *members, size_t n, const char *token,
                             int64_t window_ms)
{
    char *items = cchc_digest_text(members, n, window_ms);
    char *body = format("Kính gửi đồng chí %s,\n"
                        "\n"
                        "%s"
                        "\n"
                        "Phường: %s\n"
                        "Mã thư tổng hợp: %s\n"
                        "\n"
                        "-- \n"
                        "Thư được gửi tự động từ hệ thống theo dõi kế hoạch cải cách hành chính (CCHC).\n"
                        "Vui lòng không trả lời thư này.\n",
                        members[0]->person_name, items, members[0]->ward, token);
    free(items);
    return body;
}

cchc_smtp_result_t cchc_smtp_send_digest(cchc_smtp_session_t *self, const cchc_alert_t *const *members,
                                         size_t n, const char *token, int64_t window_ms, const char *address,
                                         int64_t now_ms)
{
    return send_message(self, token, members[0]->person_name, address,
                        cchc_email_digest_subject(members, n, window_ms),
                        cchc_email_digest_body(members, n, token, window_ms), now_ms);
}
