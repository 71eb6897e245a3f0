/*  zwatch.c - a ZeroMQ socket in a libuv loop.

    ZMQ_FD only says "the socket's state may have changed" (edge-triggered),
    and both sending and receiving can swallow that edge while input is
    waiting. So the watcher never trusts the fd alone: after every wake-up it
    reads ZMQ_EVENTS and receives while ZMQ_POLLIN shows input, and every
    send starts the uv_idle handle so that ZMQ_EVENTS is read again on the
    next loop turn. At most CCHC_ZWATCH_BATCH messages are handled per
    callback; the idle handle carries the rest over to the next turns, fairly
    with other handles, and stops itself once ZMQ_EVENTS shows no input.

    on_message may send, stop or close the watcher: after each call the drain
    loop re-reads `active` and `closing` before touching the socket again.
    The socket itself is closed only in the last handle's close callback, so
    it outlives every callback that could still use it.
*/
#include "zwatch.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "log.h"

static void on_idle(uv_idle_t *handle);

// ---------------------------------------------------------------------------
//  Receiving

//  Outcome of one attempt to receive a multipart message.
typedef enum {
    RECEIVE_NONE,     //  nothing waiting (EAGAIN on the first frame)
    RECEIVE_MESSAGE,  //  frames[0..*nframes-1] hold the message; caller closes them
    RECEIVE_TOO_LONG, //  more than CCHC_ZWATCH_MAX_FRAMES frames: all released
    RECEIVE_ERROR     //  libzmq failed (errno set); all frames released
} receive_result_t;

//  Receive one multipart message without blocking. Frames past
//  CCHC_ZWATCH_MAX_FRAMES are still received (a message is atomic in ZeroMQ:
//  its tail must be drained) but released at once.
static receive_result_t receive_message(cchc_zwatch_t *self, zmq_msg_t *frames, int *nframes)
{
    int n = 0; //  frames received so far, kept or not
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, self->socket, ZMQ_DONTWAIT) < 0) {
            int err = errno;
            zmq_msg_close(&part);
            for (int i = 0; i < n && i < CCHC_ZWATCH_MAX_FRAMES; i++)
                zmq_msg_close(&frames[i]);
            errno = err;
            return n == 0 && err == EAGAIN ? RECEIVE_NONE : RECEIVE_ERROR;
        }
        bool more = zmq_msg_more(&part);
        if (n < CCHC_ZWATCH_MAX_FRAMES)
            frames[n] = part; //  the frame moves into the array
        else
            zmq_msg_close(&part);
        n++;
        if (!more)
            break;
    }
    if (n > CCHC_ZWATCH_MAX_FRAMES) {
        for (int i = 0; i < CCHC_ZWATCH_MAX_FRAMES; i++)
            zmq_msg_close(&frames[i]);
        return RECEIVE_TOO_LONG;
    }
    *nframes = n;
    return RECEIVE_MESSAGE;
}

//  True when ZMQ_EVENTS shows input. Reading ZMQ_EVENTS also processes the
//  socket's pending commands, which is what re-arms ZMQ_FD.
static bool socket_readable(cchc_zwatch_t *self)
{
    int events = 0;
    size_t len = sizeof(events);
    if (zmq_getsockopt(self->socket, ZMQ_EVENTS, &events, &len) != 0) {
        cchc_log(CCHC_ERROR, "zwatch_events", "error=%s", zmq_strerror(errno));
        return false;
    }
    return (events & ZMQ_POLLIN) != 0;
}

//  Handle messages while ZMQ_EVENTS shows input, at most a batch per call;
//  when the batch is used up, the idle handle continues on the next turn.
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
        int n = 0;
        switch (receive_message(self, frames, &n)) {
        case RECEIVE_NONE:
            handled++; //  counted, so that this can never spin unbounded
            continue;  //  ZMQ_EVENTS is read again
        case RECEIVE_ERROR:
            //  Try again next turn rather than spin here; a dead socket
            //  fails ZMQ_EVENTS too, which stops the idle handle.
            cchc_log(CCHC_WARN, "zwatch_receive", "error=%s", zmq_strerror(errno));
            uv_idle_start(&self->idle, on_idle);
            return;
        case RECEIVE_TOO_LONG:
            self->dropped++;
            handled++;
            continue;
        case RECEIVE_MESSAGE:
            break;
        }
        handled++;
        if (self->on_message) {
            self->received++;
            self->on_message(self, frames, n, self->arg); //  may send, stop or close
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    (void)events;
    cchc_zwatch_t *self = handle->data;
    //  Unexpected on libzmq's signaller; ZMQ_EVENTS still tells the truth.
    if (status < 0)
        cchc_log(CCHC_WARN, "zwatch_poll", "error=%s", uv_strerror(status));
    drain(self);
}

static void on_idle(uv_idle_t *handle)
{
    drain(handle->data); //  stops the idle handle itself when nothing waits
}

// ---------------------------------------------------------------------------
//  API

int cchc_zwatch_init(uv_loop_t *loop, cchc_zwatch_t *self, void *socket, cchc_zwatch_fn *on_message,
                     void *arg)
{
    assert(loop && self && socket);
    memset(self, 0, sizeof(*self));
    int fd = -1;
    size_t len = sizeof(fd);
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) != 0)
        return UV_EINVAL;
    //  uv_poll_init, not uv_poll_init_socket: ZMQ_FD is libzmq's signaller (an eventfd on Linux)
    int rc = uv_poll_init(loop, &self->poll, fd);
    if (rc != 0)
        return rc; //  nothing initialised: the caller still owns the socket
    rc = uv_idle_init(loop, &self->idle);
    assert(rc == 0); //  uv_idle_init cannot fail
    self->socket = socket;
    self->on_message = on_message;
    self->arg = arg;
    self->poll.data = self;
    self->idle.data = self;
    return 0;
}

int cchc_zwatch_start(cchc_zwatch_t *self)
{
    assert(self && !self->closing);
    int rc = uv_poll_start(&self->poll, UV_READABLE, on_poll);
    if (rc != 0)
        return rc;
    self->active = true;
    //  Input may already be waiting, its edge spent before we watched.
    return uv_idle_start(&self->idle, on_idle);
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
    assert(self && self->socket && frames && n > 0);
    int i = 0, err = 0;
    for (; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i < n - 1 ? ZMQ_SNDMORE : 0);
        if (zmq_msg_send(&frames[i], self->socket, flags) < 0) {
            err = errno;
            break;
        }
        //  A sent frame is now libzmq's: nothing to close.
    }
    for (int j = i; j < n; j++) //  the frame that failed and those after it
        zmq_msg_close(&frames[j]);
    //  A send may have consumed the edge of pending input: look again next turn.
    if (self->active && !self->closing)
        uv_idle_start(&self->idle, on_idle);
    if (i < n) {
        self->send_failed++;
        errno = err;
        return -1;
    }
    return 0;
}

static void on_handle_closed(uv_handle_t *handle)
{
    cchc_zwatch_t *self = handle->data;
    assert(self->pending_closes > 0);
    if (--self->pending_closes > 0)
        return;
    //  Both handles are gone: nothing can reach the socket any more.
    zmq_close(self->socket);
    self->socket = NULL;
    if (self->on_close)
        self->on_close(self, self->close_arg); //  may free self
}

void cchc_zwatch_close(cchc_zwatch_t *self, cchc_zwatch_close_fn *on_close, void *arg)
{
    assert(self && !self->closing);
    cchc_zwatch_stop(self);
    self->closing = true;
    self->on_close = on_close;
    self->close_arg = arg;
    self->pending_closes = 2;
    uv_close((uv_handle_t *)&self->poll, on_handle_closed);
    uv_close((uv_handle_t *)&self->idle, on_handle_closed);
}
