/*  codec.h - the envelope around every message: decode with a size cap and a
    memory budget, encode into a ZeroMQ message.

    protobuf-c has no limits of its own: a small message can unpack into many
    times its size. cchc_decode refuses input over max_bytes, and unpacks
    through an allocator whose live bytes may not exceed a fixed multiple of
    the input size, so a hostile message costs bounded memory and fails as a
    clean error.
*/
#ifndef CCHC_CODEC_H
#define CCHC_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "envelope.pb-c.h"
#include "errors.h"

#define CCHC_PROTOCOL_VERSION      1
#define CCHC_DEFAULT_MAX_MSG_BYTES (64 * 1024)
//  An idempotent producer keeps at most this many submissions in flight;
//  intake remembers the Acks of each producer's last this many (a resend of
//  any of them gets its original Ack). Also intake's table layout (slot =
//  seq % window): changing it needs a migration.
#define CCHC_PRODUCER_WINDOW 16
//  Memory budget of a decode = CCHC_DECODE_EXPANSION * input size + 4 KiB.
//  40: the worst legitimate case, a long unpacked repeated scalar (2 bytes a
//  field on the wire), costs protobuf-c about 36 bytes a wire byte (its
//  scan slabs of 32 bytes a field, grown by doubling, and the array).
#define CCHC_DECODE_EXPANSION 40

typedef struct cchc_decoded cchc_decoded_t;

//  Decode data into an envelope. On success returns 0 and *out owns the
//  envelope (read it with cchc_decoded_env); the caller destroys it. On error
//  returns -1 with err set: ERR_OVERSIZED (len > max_bytes or the budget was
//  exceeded), ERR_MALFORMED, ERR_UNSUPPORTED_VERSION, ERR_UNKNOWN_TYPE (no
//  body set). request_id is still stored in *request_id when it could be
//  read, so the error reply can echo it (0 otherwise).
int cchc_decode(const void *data, size_t len, size_t max_bytes, cchc_decoded_t **out, uint64_t *request_id,
                cchc_err_t *err);

//  The decoded envelope; owned by self.
const Cchc__Envelope *cchc_decoded_env(const cchc_decoded_t *self);

//  Free the envelope and its arena; sets *self_p to NULL. NULL is allowed.
void cchc_decoded_destroy(cchc_decoded_t **self_p);

//  Pack env (version is set to CCHC_PROTOCOL_VERSION) into msg, which the
//  function initialises; the caller owns msg. Returns 0 or -1.
int cchc_encode(Cchc__Envelope *env, zmq_msg_t *msg);

//  Pack env into a malloc'd buffer; caller frees *buf. Returns 0 or -1.
int cchc_encode_buf(Cchc__Envelope *env, uint8_t **buf, size_t *len);

//  A deep copy of any protobuf-c message, by packing and unpacking it: the
//  caller owns it (protobuf_c_message_free_unpacked(copy, NULL)). Aborts
//  on out-of-memory.
void *cchc_message_dup(const ProtobufCMessage *msg);

//  Build an Error envelope for err, echoing request_id, into msg.
int cchc_encode_error(const cchc_err_t *err, uint64_t request_id, zmq_msg_t *msg);

#endif
