/*  channels.h - where alerts are delivered.

    console  one line per alert in the service's log (event "alert").
    file     one JSON object per line appended to file_path, flushed and
             fsync'd before the call returns, so an alert is on disk before
             the outbox marks it sent.
    email    one message per alert over SMTP (email.h) to the recipient's
             address; an official without a usable address is skipped (a
             warning), the alert counts as delivered.

    Delivery is at least once: a crash between delivery and the "sent" record
    delivers the alert again with the same token ("ward/task/person/kind/
    level"), by which a receiver drops the repeat; an e-mail carries the
    token in its Message-ID. Zalo and SMS channels come with the notify issue.

    cchc_channels_deliver blocks (fsync, SMTP): notify runs it on a worker
    thread, never on its loop.
*/
#ifndef CCHC_NOTIFY_CHANNELS_H
#define CCHC_NOTIFY_CHANNELS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "alerts.h"
#include "email.h"

typedef struct {
    bool console;         //  log each alert
    bool file;            //  append each alert to file_path
    bool email;           //  send each alert by e-mail with smtp
    char file_path[1024]; //  the file channel's path
    cchc_smtp_t smtp;     //  the e-mail channel's settings (set by the caller)
} cchc_channels_t;

//  Set self from a comma-separated list of channel names ("console,file,
//  email"; "" enables none) and the file channel's path (used only with
//  "file"). self->smtp is cleared: the caller fills it when email is on.
//  Returns 0, or -1 for an unknown name, or "file" with an empty or too
//  long path (self is then left with no channel enabled).
int cchc_channels_parse(cchc_channels_t *self, const char *list, const char *file_path);

//  Deliver alerts (borrowed) to every enabled channel; addresses[i] is the
//  e-mail address of alerts[i]'s recipient (NULL or "" when none; addresses
//  may be NULL without the email channel). The file first, all or nothing:
//  when it fails nothing else is tried. Then each alert by e-mail; a server
//  that cannot be reached fails the rest of the round without trying them.
//  Then the console for the alerts delivered. ok[i] says whether alerts[i]
//  reached every channel. When *cancel (may be NULL) becomes true the alerts
//  not yet sent fail at once. Returns how many were delivered (-1 never: a
//  failure is logged and left in ok).
size_t cchc_channels_deliver(const cchc_channels_t *self, cchc_alert_t *const *alerts, size_t n,
                             const char *const *addresses, bool *ok, const atomic_bool *cancel);

#endif
