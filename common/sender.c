/*  sender.c - see sender.h. */
#include "sender.h"

#include "client.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct cchc_sender {
    cchc_client_t *client; //  owned: the connection to intake (request ids, replies)
    char id[64];
    uint64_t seq; //  last acknowledged submission number
    uint64_t retries;
    uint64_t busy;
    uint64_t shards;   //  shards moved to (suffix of the producer id)
    uint64_t followed; //  WRONG_SHARD replies followed
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cchc_sender_t *cchc_sender_new(void *zctx, const char *endpoint, const char *producer_id)
{
    cchc_sender_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->client = cchc_client_new(zctx, endpoint);
    if (!self->client) {
        free(self);
        return NULL;
    }
    if (producer_id) {
        snprintf(self->id, sizeof(self->id), "%s", producer_id);
    } else {
        uint64_t r = 0;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            r = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
        snprintf(self->id, sizeof(self->id), "p-%016llx", (unsigned long long)r);
    }
    return self;
}

void cchc_sender_destroy(cchc_sender_t **self_p)
{
    assert(self_p);
    cchc_sender_t *self = *self_p;
    if (!self)
        return;
    cchc_client_destroy(&self->client);
    free(self);
    *self_p = NULL;
}

//  The owner named when every event of a submission went to the wrong
//  shard, all to the same owner; else NULL.
static const char *wrong_shard_owner(const Cchc__Ack *ack, size_t n)
{
    if (n == 0 || ack->n_errors != n)
        return NULL;
    const char *owner = ack->errors[0]->owner;
    for (size_t i = 0; i < n; i++)
        if (ack->errors[i]->code != CCHC__ERROR_CODE__ERR_WRONG_SHARD || !ack->errors[i]->owner ||
            !*ack->errors[i]->owner || strcmp(ack->errors[i]->owner, owner) != 0)
            return NULL;
    return owner;
}

//  Move to another shard's intake: a new connection and, since producer
//  numbers are kept per intake, a new producer id starting again at 1.
static int follow(cchc_sender_t *self, const char *endpoint)
{
    size_t len = strlen(self->id);
    char *at = strchr(self->id, '@');
    snprintf(at ? at : self->id + len, sizeof(self->id) - (size_t)((at ? at : self->id + len) - self->id),
             "@%llu", (unsigned long long)++self->shards);
    self->seq = 0;
    self->followed++;
    return cchc_client_reconnect(self->client, endpoint);
}

int cchc_sender_submit(cchc_sender_t *self, Cchc__Event **events, size_t n, int timeout_ms, int deadline_ms,
                       cchc_decoded_t **reply)
{
    assert(self && reply);
    *reply = NULL;
    Cchc__Submit submit = CCHC__SUBMIT__INIT;
    submit.n_events = n;
    submit.events = events;
    submit.producer_id = self->id;
    submit.has_producer_seq = true;
    submit.producer_seq = self->seq + 1;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    int64_t give_up = deadline_ms > 0 ? now_ms() + deadline_ms : INT64_MAX;
    int follows = 0;
    for (int attempt = 0;; attempt++) {
        if (now_ms() >= give_up) {
            errno = ETIMEDOUT;
            return -1;
        }
        //  Lazy Pirate: a fresh socket, the same submission number
        if (attempt > 0) {
            self->retries++;
            if (cchc_client_reconnect(self->client, NULL) != 0) {
                struct timespec ts = {0, 100 * 1000000L};
                nanosleep(&ts, NULL);
                continue;
            }
        }
        int64_t wait = give_up - now_ms();
        cchc_decoded_t *dec = NULL;
        if (cchc_client_request(self->client, &env, wait < timeout_ms ? (int)wait : timeout_ms, &dec) != 0)
            continue;
        const Cchc__Envelope *r = cchc_decoded_env(dec);
        *reply = dec;
        if (r->body_case == CCHC__ENVELOPE__BODY_ACK) {
            self->seq = submit.producer_seq;
            const char *owner = wrong_shard_owner(r->ack, n);
            if (owner && follows < 3 && follow(self, owner) == 0) {
                //  nothing was appended here: send it to the owner instead
                follows++;
                cchc_decoded_destroy(reply);
                submit.producer_id = self->id;
                submit.producer_seq = self->seq + 1;
                attempt = -1;
                continue;
            }
            return 0;
        }
        if (r->body_case == CCHC__ENVELOPE__BODY_ERROR && r->error->code == CCHC__ERROR_CODE__ERR_BUSY) {
            //  backpressure: wait, then the same number again on the same socket
            unsigned wait_ms = r->error->retry_after_ms ? r->error->retry_after_ms : 10;
            cchc_decoded_destroy(reply);
            self->busy++;
            struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            attempt = -1; //  not a lost reply: keep the socket
            continue;
        }
        if (r->body_case == CCHC__ENVELOPE__BODY_ERROR &&
            (r->error->code == CCHC__ERROR_CODE__ERR_SEQUENCE_GAP ||
             r->error->code == CCHC__ERROR_CODE__ERR_STALE_SEQUENCE)) {
            errno = EPROTO;
            return -1;
        }
        return 1;
    }
}

const char *cchc_sender_id(const cchc_sender_t *self)
{
    return self->id;
}

uint64_t cchc_sender_seq(const cchc_sender_t *self)
{
    return self->seq;
}

uint64_t cchc_sender_retries(const cchc_sender_t *self)
{
    return self->retries;
}

uint64_t cchc_sender_busy(const cchc_sender_t *self)
{
    return self->busy;
}

uint64_t cchc_sender_followed(const cchc_sender_t *self)
{
    return self->followed;
}

const char *cchc_sender_endpoint(const cchc_sender_t *self)
{
    return cchc_client_endpoint(self->client);
}
