/*  webhook.c - see webhook.h.

    JSON is written with stdio on a memory stream: strings escaped as JSON
    requires (quote, backslash, control characters), UTF-8 passed through.
*/
#include "webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "labels.h"
#include "log.h"

int cchc_http_target_check(const cchc_http_target_t *target)
{
    const char *u = target->url;
    const char *rest = !strncmp(u, "http://", 7) ? u + 7 : !strncmp(u, "https://", 8) ? u + 8 : NULL;
    if (!rest || !*rest || *rest == '/' || target->timeout_ms <= 0)
        return -1;
    return 0;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f); //  UTF-8 passes through as is
    }
    fputc('"', f);
}

static void json_field(FILE *f, const char *key, const char *s)
{
    fprintf(f, ",\"%s\":", key);
    json_str(f, s);
}

static char *stream_close(FILE *f, char **buf)
{
    if (fclose(f) != 0 || !*buf)
        abort(); //  out of memory, like the rest of notify
    return *buf;
}

char *cchc_alert_json(const cchc_alert_t *a)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    char decided[32], due[16];
    cchc_time_format(a->decided_ms, decided, sizeof(decided));
    cchc_date_format(a->due_date, due, sizeof(due));
    fprintf(f, "{\"id\":%lld", (long long)a->id);
    json_field(f, "token", a->key);
    json_field(f, "kind", cchc_alert_kind_name(a->kind));
    json_field(f, "kind_vi", cchc_alert_kind_label_vi(a->kind));
    fprintf(f, ",\"level\":%d", a->level);
    json_field(f, "ward", a->ward);
    json_field(f, "task", a->task);
    json_field(f, "unit", a->unit);
    json_field(f, "person", a->person);
    json_field(f, "person_name", a->person_name);
    json_field(f, "due", due);
    fprintf(f, ",\"days_overdue\":%d", a->days_overdue);
    json_field(f, "decided", decided);
    json_field(f, "text", a->text);
    fputc('}', f);
    return stream_close(f, &buf);
}

char *cchc_zalo_json(const cchc_alert_t *alert, const char *user_id)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    fputs("{\"recipient\":{\"user_id\":", f);
    json_str(f, user_id);
    fputs("},\"message\":{\"text\":", f);
    json_str(f, alert->text);
    fputs("}}", f);
    return stream_close(f, &buf);
}

#define REPLY_MAX 4096

struct cchc_http_session {
    CURL *curl;
    char error[CURL_ERROR_SIZE];
    char reply[REPLY_MAX + 1]; //  the start of the response body
    size_t reply_len;
};

cchc_http_session_t *cchc_http_session_new(void)
{
    cchc_http_session_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->curl = curl_easy_init();
    if (!self->curl) {
        free(self);
        return NULL;
    }
    return self;
}

void cchc_http_session_destroy(cchc_http_session_t **self_p)
{
    cchc_http_session_t *self = *self_p;
    if (!self)
        return;
    curl_easy_cleanup(self->curl);
    free(self);
    *self_p = NULL;
}

static size_t reply_write(char *data, size_t size, size_t nmemb, void *arg)
{
    cchc_http_session_t *self = arg;
    size_t n = size * nmemb, room = REPLY_MAX - self->reply_len;
    memcpy(self->reply + self->reply_len, data, n < room ? n : room);
    self->reply_len += n < room ? n : room;
    self->reply[self->reply_len] = '\0';
    return n;
}

//  Failures that every later request of the round would meet as well.
static bool receiver_level(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return true;
    default:
        return false;
    }
}

//  Zalo answers 200 with {"error":N,...}; N != 0 is a refusal.
static bool zalo_refused(const char *reply, long *code)
{
    const char *p = strstr(reply, "\"error\"");
    if (!p)
        return false;
    p += 7;
    while (*p == ' ' || *p == ':')
        p++;
    *code = strtol(p, NULL, 10);
    return *code != 0;
}

static void append_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (!grown)
        abort();
    *list = grown;
}

cchc_http_result_t cchc_http_post(cchc_http_session_t *self, const cchc_http_target_t *target,
                                  const char *auth_header, bool zalo, const char *request_id,
                                  const char *body, char *error, size_t error_size)
{
    struct curl_slist *headers = NULL;
    char line[1200];
    append_header(&headers, "Content-Type: application/json; charset=utf-8");
    append_header(&headers, "Expect:"); //  no 100-continue round trip
    snprintf(line, sizeof(line), "X-Request-Id: %s", request_id);
    append_header(&headers, line);
    snprintf(line, sizeof(line), "Idempotency-Key: %s", request_id);
    append_header(&headers, line);
    if (target->token[0] && auth_header) {
        snprintf(line, sizeof(line), "%s%s", auth_header, target->token);
        append_header(&headers, line);
        memset(line, 0, sizeof(line));
    }
    CURL *c = self->curl;
    self->error[0] = '\0';
    self->reply_len = 0;
    self->reply[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, target->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, self->error);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, target->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, target->timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, self);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL); //  headers (with the token) are freed below
    curl_slist_free_all(headers);
    long zalo_code = 0;
    if (rc != CURLE_OK) {
        snprintf(error, error_size, "%s", self->error[0] ? self->error : curl_easy_strerror(rc));
        return receiver_level(rc) ? CCHC_HTTP_UNREACHABLE : CCHC_HTTP_REFUSED;
    }
    if (status < 200 || status > 299) {
        snprintf(error, error_size, "HTTP %ld", status);
        return CCHC_HTTP_REFUSED;
    }
    if (zalo && zalo_refused(self->reply, &zalo_code)) {
        snprintf(error, error_size, "HTTP %ld, Zalo error %ld", status, zalo_code);
        return CCHC_HTTP_REFUSED;
    }
    return CCHC_HTTP_SENT;
}
