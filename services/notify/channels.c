/*  channels.c - console, file, e-mail, webhook and Zalo delivery of one
    round.

    The file is opened for each delivery (append) and closed after fsync, so
    an operator may rotate it at any time and a failed disk shows up as a
    failed delivery, not as a silently stale handle. The e-mail channel opens
    one SMTP session per round (email.h), each HTTP channel one curl handle
    per round (webhook.h).
*/
#include "channels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int cchc_channels_parse(cchc_channels_t *self, const char *list, const char *file_path)
{
    memset(self, 0, sizeof(*self));
    cchc_route_t route;
    if (cchc_route_parse(&route, list) != 0)
        return -1;
    if (route.enabled & CCHC_CH_BIT(CCHC_CH_FILE)) {
        if (!file_path || !*file_path || strlen(file_path) >= sizeof(self->file_path))
            return -1;
        memcpy(self->file_path, file_path, strlen(file_path) + 1);
    }
    self->route = route;
    return 0;
}

bool cchc_channels_enabled(const cchc_channels_t *self, cchc_channel_t ch)
{
    return (self->route.enabled & CCHC_CH_BIT(ch)) != 0;
}

static bool planned(const cchc_delivery_item_t *it, cchc_channel_t ch)
{
    return (it->plan & CCHC_CH_BIT(ch)) != 0;
}

static void item_result(cchc_delivery_item_t *it, cchc_channel_t ch, bool ok, const char *error)
{
    it->tried |= CCHC_CH_BIT(ch);
    if (ok)
        it->ok |= CCHC_CH_BIT(ch);
    else
        snprintf(it->error[ch], sizeof(it->error[ch]), "%s", error ? error : "failed");
}

static void deliver_file(const char *path, cchc_delivery_item_t *items, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += planned(&items[i], CCHC_CH_FILE);
    if (count == 0)
        return;
    FILE *f = fopen(path, "a");
    int rc = f ? 0 : -1;
    int saved = errno;
    for (size_t i = 0; f && i < n; i++) {
        if (!planned(&items[i], CCHC_CH_FILE))
            continue;
        char *json = cchc_alert_json(items[i].alert);
        fputs(json, f);
        fputc('\n', f);
        free(json);
    }
    if (f && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
        rc = -1;
        saved = errno;
    }
    if (f && fclose(f) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0)
        cchc_log(CCHC_ERROR, "channel_failed", "channel=%s path=%s error=%s", "file", path, strerror(saved));
    for (size_t i = 0; i < n; i++)
        if (planned(&items[i], CCHC_CH_FILE))
            item_result(&items[i], CCHC_CH_FILE, rc == 0, strerror(saved));
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool cancelled(const atomic_bool *cancel)
{
    return cancel && atomic_load(cancel);
}

static void deliver_email(const cchc_smtp_t *smtp, cchc_delivery_item_t *items, size_t n,
                          const atomic_bool *cancel)
{
    cchc_smtp_session_t *session = NULL;
    const char *down = NULL; //  set once the server cannot be reached: the rest fails with it
    for (size_t i = 0; i < n; i++) {
        cchc_delivery_item_t *it = &items[i];
        if (!planned(it, CCHC_CH_EMAIL) || cancelled(cancel))
            continue;
        if (!down && !session && !(session = cchc_smtp_session_new(smtp)))
            down = "cannot start a curl session";
        if (down) {
            item_result(it, CCHC_CH_EMAIL, false, down);
            continue;
        }
        cchc_smtp_result_t r = cchc_smtp_send(session, it->alert, it->address, wall_ms());
        if (r == CCHC_SMTP_UNREACHABLE)
            down = "SMTP server unreachable";
        item_result(it, CCHC_CH_EMAIL, r == CCHC_SMTP_SENT,
                    r == CCHC_SMTP_UNREACHABLE ? down : "SMTP refused");
    }
    cchc_smtp_session_destroy(&session);
}

static void deliver_http(cchc_channel_t ch, const cchc_http_target_t *target, cchc_delivery_item_t *items,
                         size_t n, const atomic_bool *cancel)
{
    cchc_http_session_t *session = NULL;
    char down[CCHC_CHANNEL_ERROR_MAX] = "";
    bool zalo = ch == CCHC_CH_ZALO;
    for (size_t i = 0; i < n; i++) {
        cchc_delivery_item_t *it = &items[i];
        if (!planned(it, ch) || cancelled(cancel))
            continue;
        if (!down[0] && !session && !(session = cchc_http_session_new()))
            snprintf(down, sizeof(down), "cannot start a curl session");
        if (down[0]) {
            item_result(it, ch, false, down);
            continue;
        }
        char *body = zalo ? cchc_zalo_json(it->alert, it->zalo_user) : cchc_alert_json(it->alert);
        char error[CCHC_CHANNEL_ERROR_MAX] = "";
        cchc_http_result_t r =
            cchc_http_post(session, target, zalo ? "access_token: " : "Authorization: Bearer ", zalo,
                           it->alert->key, body, error, sizeof(error));
        free(body);
        if (r != CCHC_HTTP_SENT)
            cchc_log(CCHC_WARN, "channel_failed", "channel=%s token=%s person=%s error=%s",
                     cchc_channel_name(ch), it->alert->key, it->alert->person, error);
        else
            cchc_log(CCHC_DEBUG, "http_sent", "channel=%s token=%s", cchc_channel_name(ch), it->alert->key);
        if (r == CCHC_HTTP_UNREACHABLE)
            snprintf(down, sizeof(down), "%s", error);
        item_result(it, ch, r == CCHC_HTTP_SENT, error);
    }
    cchc_http_session_destroy(&session);
}

void cchc_channels_deliver(const cchc_channels_t *self, cchc_delivery_item_t *items, size_t n,
                           const atomic_bool *cancel)
{
    for (size_t i = 0; i < n; i++) {
        items[i].tried = items[i].ok = 0;
        items[i].plan &= self->route.enabled;
    }
    deliver_file(self->file_path, items, n);
    deliver_email(&self->smtp, items, n, cancel);
    deliver_http(CCHC_CH_WEBHOOK, &self->webhook, items, n, cancel);
    deliver_http(CCHC_CH_ZALO, &self->zalo, items, n, cancel);
    for (size_t i = 0; i < n; i++) {
        cchc_delivery_item_t *it = &items[i];
        if (!planned(it, CCHC_CH_CONSOLE))
            continue;
        const cchc_alert_t *a = it->alert;
        cchc_log(CCHC_INFO, "alert",
                 "id=%lld token=%s kind=%s level=%d ward=%s task=%s person=%s person_name=%s text=%s",
                 (long long)a->id, a->key, cchc_alert_kind_name(a->kind), a->level, a->ward, a->task,
                 a->person, a->person_name, a->text);
        item_result(it, CCHC_CH_CONSOLE, true, NULL);
    }
}
