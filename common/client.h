/*  client.h - a blocking request/reply client for the CLI, the simulator and
    tests: a DEALER socket, request ids, a reply timeout.

    Queries are idempotent and are retried after a timeout on a fresh socket
    (Lazy Pirate). Submissions are sent once: a submission whose reply did not
    arrive is reported as unknown, never resent blindly; resending safely is
    the idempotent producer's job (sender.h, built on this client).
*/
#ifndef CCHC_CLIENT_H
#define CCHC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"

typedef struct cchc_client cchc_client_t;

//  Connect to endpoint. Caller owns the client. NULL on failure.
cchc_client_t *cchc_client_new(void *zctx, const char *endpoint);
void cchc_client_destroy(cchc_client_t **self_p);

//  One attempt: send req (request_id is set by the client) and wait up to
//  timeout_ms for the matching reply; replies to earlier requests are
//  dropped. Returns 0 with *reply owned by the caller, or -1 (errno
//  ETIMEDOUT, or the transport's error).
int cchc_client_request(cchc_client_t *self, Cchc__Envelope *req, int timeout_ms, cchc_decoded_t **reply);

//  Throw the socket away and connect a fresh one, to endpoint (NULL: the
//  same endpoint). Whatever the old socket had queued is dropped. Returns 0
//  or -1.
int cchc_client_reconnect(cchc_client_t *self, const char *endpoint);

//  The endpoint the client is connected to.
const char *cchc_client_endpoint(const cchc_client_t *self);

//  Send req (request_id is set by the client) and wait up to timeout_ms for
//  the matching reply; when idempotent is true, retries up to two more times
//  on a fresh socket. Returns 0 with *reply owned by the caller, or -1 on
//  timeout / transport error (errno ETIMEDOUT).
int cchc_client_call(cchc_client_t *self, Cchc__Envelope *req, int timeout_ms, bool idempotent,
                     cchc_decoded_t **reply);

#endif
