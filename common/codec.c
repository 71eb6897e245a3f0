/*  codec.c - the envelope: size cap, memory-budgeted decode, encode.

    Decoding unpacks through a ProtobufCAllocator that counts the bytes it
    has handed out and not yet taken back, and refuses an allocation that
    would take the live total past a budget fixed from the input size
    (CCHC_DECODE_EXPANSION x len + 4 KiB). Frees are real: protobuf-c
    allocates temporary parsing slabs for every nested message and frees
    them as it goes, so only the peak of live memory counts. A message that
    would expand beyond the budget fails to unpack instead of taking memory.
*/
#include "codec.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Each block starts with its size, so that free can give it back.
#define HEADER 16

struct cchc_decoded {
    Cchc__Envelope *env; //  unpacked through allocator
    ProtobufCAllocator allocator;
    size_t live, budget; //  bytes handed out and not freed; the cap
    bool exhausted;      //  an allocation was refused: over the budget
    bool out_of_memory;  //  malloc itself failed (not the sender's fault)
};

static void *budget_alloc(void *data, size_t size)
{
    cchc_decoded_t *self = data;
    if (size > self->budget || self->live + size > self->budget) {
        self->exhausted = true;
        return NULL;
    }
    uint8_t *block = malloc(size + HEADER);
    if (!block) {
        self->out_of_memory = true;
        return NULL;
    }
    memcpy(block, &size, sizeof(size));
    self->live += size;
    return block + HEADER;
}

static void budget_free(void *data, void *ptr)
{
    cchc_decoded_t *self = data;
    if (!ptr)
        return;
    uint8_t *block = (uint8_t *)ptr - HEADER;
    size_t size;
    memcpy(&size, block, sizeof(size));
    self->live -= size;
    free(block);
}

void cchc_decoded_destroy(cchc_decoded_t **self_p)
{
    assert(self_p);
    cchc_decoded_t *self = *self_p;
    if (!self)
        return;
    if (self->env)
        cchc__envelope__free_unpacked(self->env, &self->allocator);
    assert(self->live == 0);
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
        char vi[96], en[96]; //  refused before unpacking anything
        snprintf(vi, sizeof(vi), "%zu byte, tối đa %zu byte", len, max_bytes);
        snprintf(en, sizeof(en), "%zu bytes, at most %zu", len, max_bytes);
        return cchc_err_set_vi_en(err, CCHC__ERROR_CODE__ERR_OVERSIZED, -1, vi, en);
    }
    cchc_decoded_t *self = calloc(1, sizeof(*self));
    if (!self)
        return cchc_err_set_vi_en(err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "hết bộ nhớ", "out of memory");
    self->budget = CCHC_DECODE_EXPANSION * len + 4096;
    self->allocator = (ProtobufCAllocator){budget_alloc, budget_free, self};
    self->env = cchc__envelope__unpack(&self->allocator, len, data);
    if (!self->env) {
        bool budget = self->exhausted, oom = self->out_of_memory;
        cchc_decoded_destroy(&self);
        if (budget)
            return cchc_err_set_vi_en(err, CCHC__ERROR_CODE__ERR_OVERSIZED, -1, "vượt ngân sách bộ nhớ",
                                      "memory budget exceeded");
        if (oom)
            return cchc_err_set_vi_en(err, CCHC__ERROR_CODE__ERR_INTERNAL, -1, "hết bộ nhớ", "out of memory");
        return cchc_err_set(err, CCHC__ERROR_CODE__ERR_MALFORMED, -1, NULL);
    }
    if (request_id && self->env->has_request_id)
        *request_id = self->env->request_id;
    if (!self->env->has_version || self->env->version != CCHC_PROTOCOL_VERSION) {
        char vi[96], en[96];
        if (self->env->has_version) {
            snprintf(vi, sizeof(vi), "nhận phiên bản %u, cần phiên bản %d", self->env->version,
                     CCHC_PROTOCOL_VERSION);
            snprintf(en, sizeof(en), "got version %u, expected %d", self->env->version,
                     CCHC_PROTOCOL_VERSION);
        } else {
            snprintf(vi, sizeof(vi), "không ghi phiên bản, cần phiên bản %d", CCHC_PROTOCOL_VERSION);
            snprintf(en, sizeof(en), "no version given, expected %d", CCHC_PROTOCOL_VERSION);
        }
        cchc_decoded_destroy(&self);
        return cchc_err_set_vi_en(err, CCHC__ERROR_CODE__ERR_UNSUPPORTED_VERSION, -1, vi, en);
    }
    if (self->env->body_case == CCHC__ENVELOPE__BODY__NOT_SET) {
        cchc_decoded_destroy(&self);
        return cchc_err_set_vi_en(err, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE, -1,
                                  "không có nội dung hoặc loại thông điệp chưa biết",
                                  "no body, or a body of a type this build does not know");
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
    size_t packed = cchc__envelope__pack(env, zmq_msg_data(msg));
    assert(packed == len);
    (void)packed;
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
    size_t packed = cchc__envelope__pack(env, *buf);
    assert(packed == *len);
    (void)packed;
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

void *cchc_message_dup(const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    protobuf_c_message_pack(msg, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(msg->descriptor, NULL, len, buf);
    free(buf);
    if (!copy)
        abort();
    return copy;
}
