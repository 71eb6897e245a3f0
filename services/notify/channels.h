/*  channels.h - where alerts are delivered.

    console  one line per alert in the service's log (event "alert").
    file     one JSON object per line appended to file_path, flushed and
             fsync'd before the call returns, so an alert is on disk before
             the outbox marks it sent.

    Delivery is at least once: a crash between delivery and the "sent" record
    delivers the alert again with the same token ("ward/task/person/kind/
    level"), by which a receiver drops the repeat. SMTP, Zalo and SMS
    channels come with the notify issue.
*/
#ifndef CCHC_NOTIFY_CHANNELS_H
#define CCHC_NOTIFY_CHANNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "alerts.h"

typedef struct {
    bool console;         //  log each alert
    bool file;            //  append each alert to file_path
    char file_path[1024]; //  the file channel's path
} cchc_channels_t;

//  Set self from a comma-separated list of channel names ("console,file";
//  "" enables none) and the file channel's path (used only with "file").
//  Returns 0, or -1 for an unknown name, or "file" with an empty or too long
//  path (self is then left with no channel enabled).
int cchc_channels_parse(cchc_channels_t *self, const char *list, const char *file_path);

//  Deliver alerts (borrowed) to every enabled channel: the file first, then
//  the console, so a logged alert is also on disk. Returns 0, or -1 (logged)
//  when the file could not be written and synced; the caller then keeps the
//  alerts pending and retries them all (the file may hold some already: the
//  token tells a receiver).
int cchc_channels_deliver(const cchc_channels_t *self, cchc_alert_t *const *alerts, size_t n);

#endif
