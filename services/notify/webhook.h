/*  webhook.h - the HTTP channels: an alert POSTed as JSON with libcurl.

    webhook  the generic shape: the alert's fields as one JSON object (the
             same object the file channel writes), to webhook_url, with an
             optional "Authorization: Bearer" token.
    zalo     the Zalo Official Account message shape:
             {"recipient":{"user_id":"..."},"message":{"text":"..."}}
             to zalo_url with the OA's access token in an `access_token`
             header. The recipient's Zalo user id comes from zalo_users_file.

    Every request carries the alert's dedupe token in X-Request-Id and
    Idempotency-Key, so a receiver can drop a repeat (delivery is at least
    once). A response other than 2xx, a transport error, or (zalo) a JSON
    reply whose "error" is not 0 is a failure. Tokens are never logged.

    Posting blocks (up to timeout_ms): it runs on a worker thread. A session
    keeps one curl handle, so the requests of one round share a connection.
    curl_global_init must have been called before any session is made.
*/
#ifndef CCHC_NOTIFY_WEBHOOK_H
#define CCHC_NOTIFY_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "alerts.h"

typedef struct {
    char url[512];    //  http:// or https://
    char token[1024]; //  read from a file by the caller; never logged ("" for none)
    long timeout_ms;  //  per request, connecting included
} cchc_http_target_t;

//  Check a target: an http(s) URL with a host and a positive timeout.
//  Returns 0 or -1.
int cchc_http_target_check(const cchc_http_target_t *target);

//  The alert as one JSON object (no line end): id, token, kind, kind_vi,
//  level, ward, task, unit, person, person_name, due (dd/mm/yyyy),
//  days_overdue, decided (dd/mm/yyyy HH:MM), text. Caller owns the result.
char *cchc_alert_json(const cchc_alert_t *alert);

//  The Zalo OA message body for user_id. Caller owns the result.
char *cchc_zalo_json(const cchc_alert_t *alert, const char *user_id);

typedef struct cchc_http_session cchc_http_session_t;

//  A session for one round (one thread at a time). NULL on failure.
cchc_http_session_t *cchc_http_session_new(void);

//  Free the session and close its connection; *self_p becomes NULL.
void cchc_http_session_destroy(cchc_http_session_t **self_p);

typedef enum {
    CCHC_HTTP_SENT = 0,        //  2xx (and, for zalo, "error":0)
    CCHC_HTTP_REFUSED = -1,    //  this request failed (an HTTP error status, a rejected message)
    CCHC_HTTP_UNREACHABLE = -2 //  the receiver cannot be reached: the rest of the round would fail too
} cchc_http_result_t;

//  POST body (application/json) to target->url with request_id as
//  X-Request-Id and Idempotency-Key and, when target->token is set,
//  auth_header followed by it ("Authorization: Bearer " or "access_token: ").
//  zalo: also check the reply's "error" field. Blocking; on failure a
//  short description is written to error (never the token).
cchc_http_result_t cchc_http_post(cchc_http_session_t *self, const cchc_http_target_t *target,
                                  const char *auth_header, bool zalo, const char *request_id,
                                  const char *body, char *error, size_t error_size);

#endif
