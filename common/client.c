/*  client.c - a blocking request/reply client over a DEALER socket.

    Each call numbers its request; replies with another id (late answers to
    an abandoned call) are dropped. An idempotent call that times out is
    retried on a fresh socket, up to CLIENT_RETRIES times (Lazy Pirate).
*/
#include "client.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define CLIENT_RETRIES   2
#define CLIENT_MAX_REPLY (64 * 1024 * 1024)

struct cchc_client {
    void *zctx; //  borrowed
    char *endpoint;
    void *sock; //  owned DEALER
    uint64_t next_id;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int client_connect(cchc_client_t *self)
{
    self->sock = zmq_socket(self->zctx, ZMQ_DEALER);
    if (!self->sock)
        return -1;
    int linger = 0;
    int64_t max = CLIENT_MAX_REPLY;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max));
    if (zmq_connect(self->sock, self->endpoint) != 0) {
        zmq_close(self->sock);
        self->sock = NULL;
        return -1;
    }
    return 0;
}

cchc_client_t *cchc_client_new(void *zctx, const char *endpoint)
{
    assert(zctx && endpoint);
    cchc_client_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->zctx = zctx;
    self->endpoint = strdup(endpoint);
    //  Distinct starting ids per client make stray replies easy to spot.
    self->next_id = ((uint64_t)now_ms() & 0xffffffu) << 20;
    if (!self->endpoint || client_connect(self) != 0) {
        free(self->endpoint);
        free(self);
        return NULL;
    }
    return self;
}

void cchc_client_destroy(cchc_client_t **self_p)
{
    assert(self_p);
    cchc_client_t *self = *self_p;
    if (!self)
        return;
    if (self->sock)
        zmq_close(self->sock);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

//  Wait for the reply to request_id until deadline. Returns 0, or -1 on
//  timeout or transport error.
static int wait_reply(cchc_client_t *self, uint64_t request_id, int64_t deadline, cchc_decoded_t **reply)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, (long)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        cchc_decoded_t *dec = NULL;
        uint64_t id = 0;
        cchc_err_t err;
        int ok = cchc_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), CLIENT_MAX_REPLY, &dec, &id, &err);
        zmq_msg_close(&msg);
        if (ok != 0)
            continue; //  not a reply we can read; keep waiting for ours
        if (id == request_id) {
            *reply = dec;
            return 0;
        }
        cchc_decoded_destroy(&dec);
    }
    errno = ETIMEDOUT;
    return -1;
}

int cchc_client_request(cchc_client_t *self, Cchc__Envelope *req, int timeout_ms, cchc_decoded_t **reply)
{
    assert(self && req && reply);
    *reply = NULL;
    if (!self->sock)
        return -1;
    req->has_request_id = true;
    req->request_id = ++self->next_id;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (cchc_encode_buf(req, &buf, &len) != 0)
        return -1;
    int sent = zmq_send(self->sock, buf, len, 0);
    free(buf);
    if (sent != (int)len)
        return -1;
    return wait_reply(self, req->request_id, now_ms() + timeout_ms, reply);
}

int cchc_client_reconnect(cchc_client_t *self, const char *endpoint)
{
    if (endpoint && strcmp(endpoint, self->endpoint) != 0) {
        char *copy = strdup(endpoint);
        if (!copy)
            return -1;
        free(self->endpoint);
        self->endpoint = copy;
    }
    if (self->sock)
        zmq_close(self->sock);
    self->sock = NULL;
    return client_connect(self);
}

const char *cchc_client_endpoint(const cchc_client_t *self)
{
    return self->endpoint;
}

int cchc_client_call(cchc_client_t *self, Cchc__Envelope *req, int timeout_ms, bool idempotent,
                     cchc_decoded_t **reply)
{
    assert(self && req && reply);
    int attempts = idempotent ? 1 + CLIENT_RETRIES : 1;
    int rc = -1;
    for (int attempt = 0; attempt < attempts && rc != 0; attempt++) {
        //  Lazy Pirate: a fresh socket drops whatever the old one queued.
        if (attempt > 0 && cchc_client_reconnect(self, NULL) != 0)
            break;
        rc = cchc_client_request(self, req, timeout_ms, reply);
    }
    if (rc != 0)
        errno = ETIMEDOUT;
    return rc;
}
