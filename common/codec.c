/*  codec.c - the envelope: size cap, arena-budgeted decode, encode.

    Decoding unpacks into one malloc'd arena through a ProtobufCAllocator
    whose alloc bumps a pointer and whose free does nothing; destroying the
    decoded envelope frees the arena at once. The arena's capacity is fixed
    from the input size, so a message that expands far beyond its wire size
    fails to unpack instead of taking memory.
*/
#include "codec.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cchc_decoded {
    Cchc__Envelope *env; //  lives in the arena
    uint8_t *arena;      //  owned
    size_t used, cap;
    bool exhausted; //  an allocation did not fit
};

static void *arena_alloc(void *data, size_t size)
{
    cchc_decoded_t *self = data;
    size_t aligned = (size + 15) & ~(size_t)15;
    if (aligned < size || self->used + aligned > self->cap) {
        self->exhausted = true;
        return NULL;
    }
    void *p = self->arena + self->used;
    self->used += aligned;
    return p;
}

static void arena_free(void *data, void *ptr)
{
    (void)data, (void)ptr; //  the arena is freed whole
}

void cchc_decoded_destroy(cchc_decoded_t **self_p)
{
    assert(self_p);
    cchc_decoded_t *self = *self_p;
    if (!self)
        return;
    free(self->arena);
    free(self);
    *self_p = NULL;
}

const Cchc__Envelope *cchc_decoded_env(const cchc_decoded_t *self)
{
    return self->env;
}

int cchc_decode(const void *data, size_t len, size_t max_bytes, cchc_decoded_t **out, uint64_t *request_id,
                cchc_err_t *err)
{
    assert(out && err);
    *out = NULL;
    if (request_id)
        *request_id = 0;
    cchc_err_clear(err);
    if (len > max_bytes) {
        char detail[64];
        snprintf(detail, sizeof(detail), "%zu > %zu bytes", len, max_bytes);
        return cchc_err_set(err, CCHC__ERROR_CODE__ERR_OVERSIZED, -1, detail);
    }
    cchc_decoded_t *self = calloc(1, sizeof(*self));
    if (!self)
        return cchc_err_set(err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "out of memory");
    self->cap = CCHC_DECODE_EXPANSION * len + 4096;
    self->arena = malloc(self->cap);
    if (!self->arena) {
        free(self);
        return cchc_err_set(err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "out of memory");
    }
    ProtobufCAllocator allocator = {arena_alloc, arena_free, self};
    self->env = cchc__envelope__unpack(&allocator, len, data);
    if (!self->env) {
        bool budget = self->exhausted;
        cchc_decoded_destroy(&self);
        if (budget)
            return cchc_err_set(err, CCHC__ERROR_CODE__ERR_OVERSIZED, -1,
                                "vượt ngân sách bộ nhớ / memory budget exceeded");
        return cchc_err_set(err, CCHC__ERROR_CODE__ERR_MALFORMED, -1, NULL);
    }
    if (request_id && self->env->has_request_id)
        *request_id = self->env->request_id;
    if (!self->env->has_version || self->env->version != CCHC_PROTOCOL_VERSION) {
        char detail[64];
        if (self->env->has_version)
            snprintf(detail, sizeof(detail), "%u (expected %d)", self->env->version, CCHC_PROTOCOL_VERSION);
        else
            snprintf(detail, sizeof(detail), "none (expected %d)", CCHC_PROTOCOL_VERSION);
        cchc_decoded_destroy(&self);
        return cchc_err_set(err, CCHC__ERROR_CODE__ERR_UNSUPPORTED_VERSION, -1, detail);
    }
    if (self->env->body_case == CCHC__ENVELOPE__BODY__NOT_SET) {
        cchc_decoded_destroy(&self);
        return cchc_err_set(err, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE, -1, "no body");
    }
    *out = self;
    return 0;
}

int cchc_encode(Cchc__Envelope *env, zmq_msg_t *msg)
{
    env->has_version = true;
    env->version = CCHC_PROTOCOL_VERSION;
    size_t len = cchc__envelope__get_packed_size(env);
    if (zmq_msg_init_size(msg, len) != 0)
        return -1;
    cchc__envelope__pack(env, zmq_msg_data(msg));
    return 0;
}

int cchc_encode_buf(Cchc__Envelope *env, uint8_t **buf, size_t *len)
{
    env->has_version = true;
    env->version = CCHC_PROTOCOL_VERSION;
    *len = cchc__envelope__get_packed_size(env);
    *buf = malloc(*len ? *len : 1);
    if (!*buf)
        return -1;
    cchc__envelope__pack(env, *buf);
    return 0;
}

int cchc_encode_error(const cchc_err_t *err, uint64_t request_id, zmq_msg_t *msg)
{
    Cchc__Error error = CCHC__ERROR__INIT;
    error.has_code = error.has_index = true;
    error.code = err->code;
    error.index = err->index;
    error.message_vi = (char *)err->vi;
    error.message_en = (char *)err->en;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = request_id != 0;
    env.request_id = request_id;
    env.body_case = CCHC__ENVELOPE__BODY_ERROR;
    env.error = &error;
    return cchc_encode(&env, msg);
}
