/*  channels.h - where alerts are delivered: the console (the service's log)
    and a file (one JSON object per line, fsync'd before the alert is marked
    sent). Delivery is at least once: after a crash between delivery and the
    "sent" record an alert is delivered again with the same token, so a
    receiver can drop the repeat. SMTP and webhooks come with the notify issue.
*/
#ifndef CCHC_NOTIFY_CHANNELS_H
#define CCHC_NOTIFY_CHANNELS_H

#include <stdbool.h>

#include "alerts.h"

typedef struct {
    bool console;
    char file_path[1024]; //  empty: no file channel
} cchc_channels_t;

//  Parse "console,file" into self (file_path set separately). Returns 0 or -1.
int cchc_channels_parse(cchc_channels_t *self, const char *list);

//  Deliver alerts to every enabled channel. Returns 0, or -1 if a channel
//  failed (the alerts stay pending and are retried later).
int cchc_channels_deliver(const cchc_channels_t *self, cchc_alert_t *const *alerts, size_t n);

#endif
