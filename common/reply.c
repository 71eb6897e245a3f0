/*  reply.c - see reply.h. */
#include "reply.h"

#include <errno.h>
#include <string.h>

#include "log.h"

int cchc_reply_bytes(cchc_zwatch_t *router, const void *identity, size_t identity_len, zmq_msg_t *body)
{
    zmq_msg_t frames[2];
    zmq_msg_init_size(&frames[0], identity_len);
    memcpy(zmq_msg_data(&frames[0]), identity, identity_len);
    frames[1] = *body;
    int rc = cchc_zwatch_send(router, frames, 2);
    if (rc != 0)
        cchc_log(CCHC_WARN, "reply_failed", "error=%s", zmq_strerror(errno));
    return rc;
}

int cchc_reply(cchc_zwatch_t *router, const zmq_msg_t *identity, Cchc__Envelope *env)
{
    zmq_msg_t body;
    if (cchc_encode(env, &body) != 0)
        return -1;
    zmq_msg_t *id = (zmq_msg_t *)identity; //  zmq_msg_data takes no const
    return cchc_reply_bytes(router, zmq_msg_data(id), zmq_msg_size(id), &body);
}

int cchc_reply_error(cchc_zwatch_t *router, const zmq_msg_t *identity, uint64_t request_id,
                     const cchc_err_t *err)
{
    zmq_msg_t body;
    if (cchc_encode_error(err, request_id, &body) != 0)
        return -1;
    zmq_msg_t *id = (zmq_msg_t *)identity;
    return cchc_reply_bytes(router, zmq_msg_data(id), zmq_msg_size(id), &body);
}
