/*  channels.h - where alerts are delivered.

    console  one line per alert in the service's log (event "alert").
    file     one JSON object per line appended to file_path, flushed and
             fsync'd before the call returns, so an alert is on disk before
             the outbox marks it sent.
    email    one message per alert over SMTP (email.h) to the recipient's
             address; with digest_window_ms set, one per person and window
             (a digest, delivery.h).
    webhook  the alert as JSON POSTed to webhook_url (webhook.h).
    zalo     a Zalo OA message to the recipient's Zalo user id (webhook.h);
             digests as for e-mail.

    Which channels an alert goes to, in which fallback order, and when a
    failed one is tried again is delivery.h's business; this module only
    runs one round: each item says which channels to try, and gets back which
    were tried and which took it, with an error text per failed channel.

    Delivery is at least once: a crash between delivery and its record
    delivers the alert again with the same token ("ward/task/person/kind/
    level"), by which a receiver drops the repeat: an e-mail carries it in
    its Message-ID, an HTTP request in X-Request-Id and Idempotency-Key.

    cchc_channels_deliver blocks (fsync, SMTP, HTTP): notify runs it on a
    worker thread, never on its loop.
*/
#ifndef CCHC_NOTIFY_CHANNELS_H
#define CCHC_NOTIFY_CHANNELS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "alerts.h"
#include "delivery.h"
#include "email.h"
#include "webhook.h"

typedef struct {
    cchc_route_t route;         //  the channels named, in groups
    char file_path[1024];       //  the file channel's path
    cchc_smtp_t smtp;           //  the e-mail channel's settings (set by the caller)
    cchc_http_target_t webhook; //  the generic webhook (set by the caller)
    cchc_http_target_t zalo;    //  the Zalo OA endpoint and access token (set by the caller)
    int64_t digest_window_ms;   //  0: one message per alert; else digests (delivery.h) on email and zalo
} cchc_channels_t;

//  Set self from the `channels` setting (delivery.h: "console,file,
//  zalo>email"; "" enables none) and the file channel's path (used only
//  with "file"). smtp, webhook and zalo are cleared: the caller fills those
//  it enables. Returns 0, or -1 for an unknown or repeated name, or "file"
//  with an empty or too long path (self is then left with no channel).
int cchc_channels_parse(cchc_channels_t *self, const char *list, const char *file_path);

//  Is ch named in the setting?
bool cchc_channels_enabled(const cchc_channels_t *self, cchc_channel_t ch);

#define CCHC_CHANNEL_ERROR_MAX 160

//  One alert of a round.
typedef struct {
    const cchc_alert_t *alert;                         //  borrowed
    const char *address;                               //  the recipient's e-mail address (email), borrowed
    const char *zalo_user;                             //  the recipient's Zalo user id (zalo), borrowed
    unsigned plan;                                     //  CCHC_CH_BIT of the channels to try
    unsigned tried;                                    //  out: the channels tried (a failed one too)
    unsigned ok;                                       //  out: the channels that took it
    char error[CCHC_CH_COUNT][CCHC_CHANNEL_ERROR_MAX]; //  out: why a tried channel failed
} cchc_delivery_item_t;

//  Try each item on the channels of its plan. The file, all or nothing for
//  the round; then e-mail, webhook and zalo per item (a receiver that cannot
//  be reached fails the rest of its channel's round without trying them,
//  each with that error); then the console. When *cancel (may be NULL)
//  becomes true the items not yet tried on a channel are left untried.
void cchc_channels_deliver(const cchc_channels_t *self, cchc_delivery_item_t *items, size_t n,
                           const atomic_bool *cancel);

#endif
