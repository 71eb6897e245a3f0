/*  channels.c - console, file and e-mail delivery.

    The file is opened for each delivery (append) and closed after fsync, so
    an operator may rotate it at any time and a failed disk shows up as a
    failed delivery, not as a silently stale handle. The e-mail channel opens
    one SMTP session per round (email.h).
*/
#include "channels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "labels.h"
#include "log.h"

int cchc_channels_parse(cchc_channels_t *self, const char *list, const char *file_path)
{
    memset(self, 0, sizeof(*self));
    bool console = false, file = false, email = false;
    const char *p = list ? list : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len == 7 && strncmp(p, "console", 7) == 0)
            console = true;
        else if (len == 4 && strncmp(p, "file", 4) == 0)
            file = true;
        else if (len == 5 && strncmp(p, "email", 5) == 0)
            email = true;
        else if (len > 0)
            return -1;
        p += len + (p[len] == ',');
    }
    if (file) {
        if (!file_path || !*file_path || strlen(file_path) >= sizeof(self->file_path))
            return -1;
        memcpy(self->file_path, file_path, strlen(file_path) + 1);
    }
    self->console = console;
    self->file = file;
    self->email = email;
    return 0;
}

static void json_string(FILE *f, const char *key, const char *s)
{
    fprintf(f, ",\"%s\":\"", key);
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

static void json_alert(FILE *f, const cchc_alert_t *a)
{
    char decided[32], due[16];
    cchc_time_format(a->decided_ms, decided, sizeof(decided));
    cchc_date_format(a->due_date, due, sizeof(due));
    fprintf(f, "{\"id\":%lld", (long long)a->id);
    json_string(f, "token", a->key);
    json_string(f, "kind", cchc_alert_kind_name(a->kind));
    json_string(f, "kind_vi", cchc_alert_kind_label_vi(a->kind));
    fprintf(f, ",\"level\":%d", a->level);
    json_string(f, "ward", a->ward);
    json_string(f, "task", a->task);
    json_string(f, "unit", a->unit);
    json_string(f, "person", a->person);
    json_string(f, "person_name", a->person_name);
    json_string(f, "due", due);
    fprintf(f, ",\"days_overdue\":%d", a->days_overdue);
    json_string(f, "decided", decided);
    json_string(f, "text", a->text);
    fputs("}\n", f);
}

static int deliver_file(const char *path, cchc_alert_t *const *alerts, size_t n)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        cchc_log(CCHC_ERROR, "channel_failed", "channel=%s path=%s error=%s", "file", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        json_alert(f, alerts[i]);
    int rc = 0;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = -1;
    int saved = errno;
    if (fclose(f) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0)
        cchc_log(CCHC_ERROR, "channel_failed", "channel=%s path=%s error=%s", "file", path, strerror(saved));
    return rc;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Send each alert still ok by e-mail; clear ok[i] for those that failed.
static void deliver_email(const cchc_smtp_t *smtp, cchc_alert_t *const *alerts, size_t n,
                          const char *const *addresses, bool *ok, const atomic_bool *cancel)
{
    cchc_smtp_session_t *session = cchc_smtp_session_new(smtp);
    if (!session)
        cchc_log(CCHC_ERROR, "channel_failed", "channel=email error=%s", "cannot start a curl session");
    bool reachable = session != NULL;
    for (size_t i = 0; i < n; i++) {
        if (!ok[i])
            continue;
        const char *address = addresses ? addresses[i] : NULL;
        if (!address || !*address) {
            cchc_log(CCHC_WARN, "email_no_address", "token=%s person=%s", alerts[i]->key, alerts[i]->person);
            continue;
        }
        if (!reachable || (cancel && atomic_load(cancel))) {
            ok[i] = false;
            continue;
        }
        cchc_smtp_result_t r = cchc_smtp_send(session, alerts[i], address, wall_ms());
        if (r != CCHC_SMTP_SENT)
            ok[i] = false;
        if (r == CCHC_SMTP_UNREACHABLE)
            reachable = false; //  the rest of the round waits for the retry
    }
    cchc_smtp_session_destroy(&session);
}

size_t cchc_channels_deliver(const cchc_channels_t *self, cchc_alert_t *const *alerts, size_t n,
                             const char *const *addresses, bool *ok, const atomic_bool *cancel)
{
    bool file_ok = !self->file || n == 0 || deliver_file(self->file_path, alerts, n) == 0;
    for (size_t i = 0; i < n; i++)
        ok[i] = file_ok;
    if (file_ok && self->email)
        deliver_email(&self->smtp, alerts, n, addresses, ok, cancel);
    size_t delivered = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ok[i])
            continue;
        delivered++;
        if (!self->console)
            continue;
        const cchc_alert_t *a = alerts[i];
        cchc_log(CCHC_INFO, "alert",
                 "id=%lld token=%s kind=%s level=%d ward=%s task=%s person=%s person_name=%s text=%s",
                 (long long)a->id, a->key, cchc_alert_kind_name(a->kind), a->level, a->ward, a->task,
                 a->person, a->person_name, a->text);
    }
    return delivered;
}
