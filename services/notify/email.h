/*  email.h - the e-mail channel: an alert as a Vietnamese message, sent over
    SMTP with libcurl.

    One message per alert, or per digest when digests are on (delivery.h:
    the alerts of one person and one window in one message), to the
    recipient official's address (the e-mail of their registration, read
    from the model when the alert is delivered).
    The Message-ID is derived from the alert's dedupe token, so a message
    sent again after a crash (at-least-once delivery) carries the same
    Message-ID and a mail client or archive can drop the repeat.

    Sending blocks (connect, SMTP dialogue, up to timeout_ms per message): it
    runs on a worker thread, never on the service's loop. A session keeps one
    curl handle, so the messages of one round share a connection.
    curl_global_init must have been called by the process before any session
    is made (notify's main does it before it starts threads).
*/
#ifndef CCHC_NOTIFY_EMAIL_H
#define CCHC_NOTIFY_EMAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "alerts.h"
#include "delivery.h"

typedef enum { CCHC_SMTP_TLS_AUTO = 0, CCHC_SMTP_TLS_REQUIRED, CCHC_SMTP_TLS_OFF } cchc_smtp_tls_t;

typedef struct {
    char url[512];       //  smtp://host:port (STARTTLS as tls says) or smtps://host:port
    char from[256];      //  envelope sender and From address
    char from_name[256]; //  From display name (UTF-8), may be ""
    char user[256];      //  login, "" for none
    char password[512];  //  read from a file by the caller; never logged
    cchc_smtp_tls_t tls; //  auto: STARTTLS when offered; required: fail without it; off: never
    long timeout_ms;     //  per message, connecting included
} cchc_smtp_t;

//  Parse "auto", "required" or "off". Returns 0 or -1.
int cchc_smtp_tls_parse(const char *text, cchc_smtp_tls_t *tls);

//  Check settings for use: an smtp:// or smtps:// URL with a host, a usable
//  From address, a positive timeout, a password only with a user. Returns 0,
//  or -1 with the offending setting's name in *what.
int cchc_smtp_check(const cchc_smtp_t *smtp, const char **what);

//  The Subject of an alert's message: "[CCHC] " and the first sentence of
//  its text (at most about 200 bytes, cut at a character boundary with
//  "…"). Caller owns the result.
char *cchc_email_subject(const cchc_alert_t *alert);

//  The body of an alert's message: a salutation, the alert's text and its
//  particulars (task, unit, due date dd/mm/yyyy, days overdue, decision time
//  dd/mm/yyyy HH:MM, token), "\n" line ends. Caller owns the result.
char *cchc_email_body(const cchc_alert_t *alert);

typedef struct cchc_smtp_session cchc_smtp_session_t;

//  A session for one round of messages (one thread at a time); smtp is
//  borrowed and must outlive it. Returns NULL on out-of-memory or a failed
//  curl_easy_init.
cchc_smtp_session_t *cchc_smtp_session_new(const cchc_smtp_t *smtp);

//  Free the session and close its connection; *self_p becomes NULL.
void cchc_smtp_session_destroy(cchc_smtp_session_t **self_p);

//  What a send came to.
typedef enum {
    CCHC_SMTP_SENT = 0,        //  the server accepted the message
    CCHC_SMTP_REFUSED = -1,    //  this message failed (e.g. the recipient was refused)
    CCHC_SMTP_UNREACHABLE = -2 //  the server could not be reached or refused the login: the rest waits too
} cchc_smtp_result_t;

//  Compose the alert's message to address and send it, dated now_ms.
//  Blocking; logs a failure (without the password).
cchc_smtp_result_t cchc_smtp_send(cchc_smtp_session_t *self, const cchc_alert_t *alert, const char *address,
                                  int64_t now_ms);

//  A digest (delivery.h): the members (n >= 2, one person, one window) in
//  one message. Subject: "[CCHC] Tổng hợp N thông báo từ 09:00 đến 10:00
//  ngày 01/03/2026 (Nhắc hạn: 2; Quá hạn: 1)"; body: the salutation,
//  cchc_digest_text, the ward and the digest's token. Callers free.
char *cchc_email_digest_subject(const cchc_alert_t *const *members, size_t n, int64_t window_ms);
char *cchc_email_digest_body(const cchc_alert_t *const *members, size_t n, const char *token,
                             int64_t window_ms);

//  Send a digest to address; its Message-ID and X-CCHC-Token come from the
//  digest's token (cchc_digest_token), not from a member's.
cchc_smtp_result_t cchc_smtp_send_digest(cchc_smtp_session_t *self, const cchc_alert_t *const *members,
                                         size_t n, const char *token, int64_t window_ms, const char *address,
                                         int64_t now_ms);

#endif
