/*  reply.h - answering a peer on a ROUTER socket: the identity frame, then
    the envelope, through the watcher (so ZMQ_EVENTS is re-checked). */
#ifndef CCHC_REPLY_H
#define CCHC_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "zwatch.h"

//  Send body (consumed) to the peer named by identity bytes. Returns 0, or
//  -1 with errno (EHOSTUNREACH: the peer has gone; EAGAIN: its queue is full).
int cchc_reply_bytes(cchc_zwatch_t *router, const void *identity, size_t identity_len, zmq_msg_t *body);

//  Encode env and send it to the peer of the identity frame.
int cchc_reply(cchc_zwatch_t *router, const zmq_msg_t *identity, Cchc__Envelope *env);

//  Encode err as an Error envelope echoing request_id and send it.
int cchc_reply_error(cchc_zwatch_t *router, const zmq_msg_t *identity, uint64_t request_id,
                     const cchc_err_t *err);

#endif
