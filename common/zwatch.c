/*  zwatch.c - a ZeroMQ socket in a libuv loop.

    ZMQ_FD only says "the socket's state may have changed" (edge-triggered):
    after every wake-up, and after every send, ZMQ_EVENTS is read again and
    messages are received while it shows ZMQ_POLLIN. At most
    CCHC_ZWATCH_BATCH messages are handled per turn; the uv_idle handle keeps
    the work going on the next turns, fairly with other handles, and stops
    itself once ZMQ_EVENTS shows no input.
*/
#include "zwatch.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "log.h"

static void on_idle(uv_idle_t *handle);

//  Receive one multipart message into frames; extra frames are drained.
//  Returns the frame count, 0 if nothing was there, -1 on error.
static int receive_message(cchc_zwatch_t *self, zmq_msg_t *frames, bool *too_many)
{
    int n = 0;
    *too_many = false;
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, self->socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            for (int i = 0; i < n && i < CCHC_ZWATCH_MAX_FRAMES; i++)
                zmq_msg_close(&frames[i]);
            return errno == EAGAIN && n == 0 ? 0 : -1;
        }
        bool more = zmq_msg_more(&part);
        if (n < CCHC_ZWATCH_MAX_FRAMES)
            frames[n] = part; //  the frame moves into the array
        else {
            zmq_msg_close(&part);
            *too_many = true;
        }
        n++;
        if (!more)
            break;
    }
    return n < CCHC_ZWATCH_MAX_FRAMES ? n : CCHC_ZWATCH_MAX_FRAMES;
}

static bool socket_readable(cchc_zwatch_t *self)
{
    int events = 0;
    size_t len = sizeof(events);
    if (zmq_getsockopt(self->socket, ZMQ_EVENTS, &events, &len) != 0)
        return false;
    return (events & ZMQ_POLLIN) != 0;
}

//  Handle up to a batch of messages; keep the idle handle running if more wait.
static void drain(cchc_zwatch_t *self)
{
    int handled = 0;
    while (self->active && !self->closing) {
        if (!socket_readable(self)) {
            uv_idle_stop(&self->idle);
            return;
        }
        if (handled == CCHC_ZWATCH_BATCH) {
            uv_idle_start(&self->idle, on_idle);
            return;
        }
        zmq_msg_t frames[CCHC_ZWATCH_MAX_FRAMES];
        bool too_many;
        int n = receive_message(self, frames, &too_many);
        if (n <= 0)
            continue; //  ZMQ_EVENTS said input; a failed read re-checks it
        handled++;
        if (too_many) {
            self->dropped++;
        } else if (self->on_message) {
            self->received++;
            self->on_message(self, frames, n, self->arg);
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    (void)status, (void)events;
    drain(handle->data);
}

static void on_idle(uv_idle_t *handle)
{
    cchc_zwatch_t *self = handle->data;
    if (!self->active || self->closing) {
        uv_idle_stop(handle);
        return;
    }
    drain(self);
}

int cchc_zwatch_init(uv_loop_t *loop, cchc_zwatch_t *self, void *socket, cchc_zwatch_fn *on_message,
                     void *arg)
{
    assert(loop && self && socket);
    memset(self, 0, sizeof(*self));
    self->socket = socket;
    self->on_message = on_message;
    self->arg = arg;
    int fd;
    size_t len = sizeof(fd);
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) != 0)
        return UV_EINVAL;
    int rc = uv_poll_init(loop, &self->poll, fd);
    if (rc != 0)
        return rc;
    uv_idle_init(loop, &self->idle);
    self->poll.data = self;
    self->idle.data = self;
    return 0;
}

int cchc_zwatch_start(cchc_zwatch_t *self)
{
    assert(self && !self->closing);
    self->active = true;
    int rc = uv_poll_start(&self->poll, UV_READABLE, on_poll);
    if (rc == 0)
        uv_idle_start(&self->idle, on_idle); //  input may already be waiting
    return rc;
}

int cchc_zwatch_stop(cchc_zwatch_t *self)
{
    assert(self);
    self->active = false;
    uv_idle_stop(&self->idle);
    return uv_poll_stop(&self->poll);
}

int cchc_zwatch_send(cchc_zwatch_t *self, zmq_msg_t *frames, int n)
{
    assert(self && frames && n > 0);
    int rc = 0, err = 0;
    for (int i = 0; i < n && rc == 0; i++)
        if (zmq_msg_send(&frames[i], self->socket, (i < n - 1 ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0) {
            rc = -1;
            err = errno;
        }
    //  A sent frame is nullified by libzmq; closing it is harmless. Unsent
    //  frames are released here, as the contract says.
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
    if (rc != 0)
        self->send_failed++;
    //  A send can consume the edge of pending input: look again next turn.
    if (self->active && !self->closing)
        uv_idle_start(&self->idle, on_idle);
    if (rc != 0)
        errno = err;
    return rc;
}

static void on_handle_closed(uv_handle_t *handle)
{
    cchc_zwatch_t *self = handle->data;
    if (--self->pending_closes > 0)
        return;
    zmq_close(self->socket);
    self->socket = NULL;
    if (self->on_close)
        self->on_close(self, self->close_arg);
}

void cchc_zwatch_close(cchc_zwatch_t *self, cchc_zwatch_close_fn *on_close, void *arg)
{
    assert(self && !self->closing);
    self->closing = true;
    self->active = false;
    self->on_close = on_close;
    self->close_arg = arg;
    self->pending_closes = 2;
    uv_close((uv_handle_t *)&self->poll, on_handle_closed);
    uv_close((uv_handle_t *)&self->idle, on_handle_closed);
}
