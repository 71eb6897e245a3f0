/*  channels.c - console, file, e-mail, webhook and Zalo delivery of one
    round.

    The file is opened for each delivery (append) and closed after fsync, so
    an operator may rotate it at any time and a failed disk shows up as a
    failed delivery, not as a silently stale handle. The e-mail channel opens
    one SMTP session per round (email.h), each HTTP channel one curl handle
    per round (webhook.h). With digests on, the e-mail and Zalo channels
    send the items of a round that share a person and a window as one
    message (delivery.h); its outcome is each member's.
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

//  The items travelling with item i on channel ch (planned on ch, not yet
//  handled, and with digests on, the same person and window): their indexes
//  into group and their alerts into members, i first, in round order (the
//  outbox's id order). Marks them handled. Returns how many.
static size_t digest_group(const cchc_channels_t *self, const cchc_delivery_item_t *items, size_t n, size_t i,
                           cchc_channel_t ch, bool *handled, size_t *group, const cchc_alert_t **members)
{
    size_t m = 0;
    for (size_t j = i; j < n && (j == i || self->digest_window_ms > 0); j++) {
        if (handled[j] || !planned(&items[j], ch) ||
            (j != i && !cchc_digest_same(items[i].alert, items[j].alert, self->digest_window_ms)))
            continue;
        handled[j] = true;
        group[m] = j;
        members[m++] = items[j].alert;
    }
    return m;
}

//  Scratch arrays for digest_group, one round. Aborts on out-of-memory.
typedef struct {
    bool *handled;
    size_t *group;
    const cchc_alert_t **members;
} grouping_t;

static void grouping_init(grouping_t *g, size_t n)
{
    g->handled = calloc(n ? n : 1, sizeof(*g->handled));
    g->group = calloc(n ? n : 1, sizeof(*g->group));
    g->members = calloc(n ? n : 1, sizeof(*g->members));
    if (!g->handled || !g->group || !g->members)
        abort();
}

static void grouping_free(grouping_t *g)
{
    free(g->handled);
    free(g->group);
    free(g->members);
}

static void deliver_email(const cchc_channels_t *self, cchc_delivery_item_t *items, size_t n,
                          const atomic_bool *cancel)
{
    cchc_smtp_session_t *session = NULL;
    const char *down = NULL; //  set once the server cannot be reached: the rest fails with it
    grouping_t g;
    grouping_init(&g, n);
    for (size_t i = 0; i < n; i++) {
        cchc_delivery_item_t *it = &items[i];
        if (!planned(it, CCHC_CH_EMAIL) || g.handled[i] || cancelled(cancel))
            continue;
        size_t m = digest_group(self, items, n, i, CCHC_CH_EMAIL, g.handled, g.group, g.members);
        if (!down && !session && !(session = cchc_smtp_session_new(&self->smtp)))
            down = "cannot start a curl session";
        cchc_smtp_result_t r = CCHC_SMTP_UNREACHABLE;
        if (!down && m == 1) {
            r = cchc_smtp_send(session, it->alert, it->address, wall_ms());
        } else if (!down) {
            char token[512];
            cchc_digest_token(token, sizeof(token), g.members, m, self->digest_window_ms);
            r = cchc_smtp_send_digest(session, g.members, m, token, self->digest_window_ms, it->address,
                                      wall_ms());
            cchc_log(CCHC_DEBUG, "digest", "channel=email token=%s alerts=%zu sent=%d", token, m,
                     r == CCHC_SMTP_SENT);
        }
        if (!down && r == CCHC_SMTP_UNREACHABLE)
            down = "SMTP server unreachable";
        const char *error = r == CCHC_SMTP_UNREACHABLE ? down : "SMTP refused";
        for (size_t k = 0; k < m; k++)
            item_result(&items[g.group[k]], CCHC_CH_EMAIL, r == CCHC_SMTP_SENT, error);
    }
    grouping_free(&g);
    cchc_smtp_session_destroy(&session);
}

static void deliver_http(const cchc_channels_t *self, cchc_channel_t ch, const cchc_http_target_t *target,
                         cchc_delivery_item_t *items, size_t n, const atomic_bool *cancel)
{
    cchc_http_session_t *session = NULL;
    char down[CCHC_CHANNEL_ERROR_MAX] = "";
    bool zalo = ch == CCHC_CH_ZALO;
    grouping_t g;
    grouping_init(&g, n);
    for (size_t i = 0; i < n; i++) {
        cchc_delivery_item_t *it = &items[i];
        if (!planned(it, ch) || g.handled[i] || cancelled(cancel))
            continue;
        size_t m = 1;
        if (zalo) { //  a person's channel: digests; the generic webhook stays one request per alert
            m = digest_group(self, items, n, i, ch, g.handled, g.group, g.members);
        } else {
            g.handled[i] = true;
            g.group[0] = i;
            g.members[0] = it->alert;
        }
        if (!down[0] && !session && !(session = cchc_http_session_new()))
            snprintf(down, sizeof(down), "cannot start a curl session");
        if (down[0]) {
            for (size_t k = 0; k < m; k++)
                item_result(&items[g.group[k]], ch, false, down);
            continue;
        }
        char token[512];
        char *body;
        if (m == 1) {
            snprintf(token, sizeof(token), "%s", it->alert->key);
            body = zalo ? cchc_zalo_json(it->alert, it->zalo_user) : cchc_alert_json(it->alert);
        } else {
            //  the digest travels as a message of its own: its text, its token
            cchc_digest_token(token, sizeof(token), g.members, m, self->digest_window_ms);
            cchc_alert_t digest = *it->alert;
            digest.text = cchc_digest_text(g.members, m, self->digest_window_ms);
            digest.key = token;
            body = cchc_zalo_json(&digest, it->zalo_user);
            free(digest.text);
        }
        char error[CCHC_CHANNEL_ERROR_MAX] = "";
        cchc_http_result_t r =
            cchc_http_post(session, target, zalo ? "access_token: " : "Authorization: Bearer ", zalo, token,
                           body, error, sizeof(error));
        free(body);
        if (r != CCHC_HTTP_SENT)
            cchc_log(CCHC_WARN, "channel_failed", "channel=%s token=%s person=%s alerts=%zu error=%s",
                     cchc_channel_name(ch), token, it->alert->person, m, error);
        else
            cchc_log(CCHC_DEBUG, "http_sent", "channel=%s token=%s alerts=%zu", cchc_channel_name(ch), token,
                     m);
        if (r == CCHC_HTTP_UNREACHABLE)
            snprintf(down, sizeof(down), "%s", error);
        for (size_t k = 0; k < m; k++)
            item_result(&items[g.group[k]], ch, r == CCHC_HTTP_SENT, error);
    }
    grouping_free(&g);
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
    deliver_email(self, items, n, cancel);
    deliver_http(self, CCHC_CH_WEBHOOK, &self->webhook, items, n, cancel);
    deliver_http(self, CCHC_CH_ZALO, &self->zalo, items, n, cancel);
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
