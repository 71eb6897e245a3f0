/*  channels.c - console and file delivery. */
#include "channels.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "labels.h"
#include "log.h"

int cchc_channels_parse(cchc_channels_t *self, const char *list)
{
    self->console = false;
    bool file = false;
    const char *p = list ? list : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len == 7 && strncmp(p, "console", 7) == 0)
            self->console = true;
        else if (len == 4 && strncmp(p, "file", 4) == 0)
            file = true;
        else if (len > 0)
            return -1;
        p += len + (p[len] == ',');
    }
    if (!file)
        self->file_path[0] = 0;
    return 0;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static int deliver_file(const char *path, cchc_alert_t *const *alerts, size_t n)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        cchc_log(CCHC_ERROR, "channel_file", "path=%s error=%s", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const cchc_alert_t *a = alerts[i];
        char when[32], due[16];
        cchc_time_format(a->decided_ms, when, sizeof(when));
        cchc_date_format(a->due_date, due, sizeof(due));
        fputs("{\"token\":", f);
        json_string(f, a->key);
        fputs(",\"time\":", f);
        json_string(f, when);
        fputs(",\"kind\":", f);
        json_string(f, cchc_alert_kind_label_vi(a->kind));
        fprintf(f, ",\"level\":%d,\"ward\":", a->level);
        json_string(f, a->ward);
        fputs(",\"task\":", f);
        json_string(f, a->task);
        fputs(",\"person\":", f);
        json_string(f, a->person);
        fputs(",\"person_name\":", f);
        json_string(f, a->person_name);
        fputs(",\"due\":", f);
        json_string(f, due);
        fputs(",\"text\":", f);
        json_string(f, a->text);
        fputs("}\n", f);
    }
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        cchc_log(CCHC_ERROR, "channel_file", "path=%s error=%s", path, strerror(errno));
    return rc;
}

int cchc_channels_deliver(const cchc_channels_t *self, cchc_alert_t *const *alerts, size_t n)
{
    if (n == 0)
        return 0;
    if (self->file_path[0] && deliver_file(self->file_path, alerts, n) != 0)
        return -1;
    for (size_t i = 0; self->console && i < n; i++)
        cchc_log(CCHC_INFO, "alert", "kind=%s level=%d ward=%s task=%s person=%s token=%s text=%s",
                 cchc_alert_kind_label_vi(alerts[i]->kind), alerts[i]->level, alerts[i]->ward,
                 alerts[i]->task, alerts[i]->person_name, alerts[i]->key, alerts[i]->text);
    return 0;
}
