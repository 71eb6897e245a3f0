/*  zwatch.h - a ZeroMQ socket driven by a libuv loop, done right.

    ZMQ_FD is edge-triggered and signals only "something changed": the watcher
    polls it with one uv_poll_t and, on every wake-up, reads ZMQ_EVENTS and
    receives messages while ZMQ_POLLIN shows input. It handles at most
    `batch` messages per turn and then continues in a uv_idle callback, so
    one busy socket cannot starve the loop. Sending may consume the edge of a
    pending input, so every send through cchc_zwatch_send re-checks
    ZMQ_EVENTS on the next turn.

    Lifecycle: init -> start -> (stop) -> close. The socket is handed over at
    init and closed (zmq_close) in the close callback of the poll handle.
*/
#ifndef CCHC_ZWATCH_H
#define CCHC_ZWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include <zmq.h>

#define CCHC_ZWATCH_MAX_FRAMES 4
#define CCHC_ZWATCH_BATCH      256

typedef struct cchc_zwatch cchc_zwatch_t;

//  Called once per received multipart message. The frames belong to the
//  watcher and are closed after the call returns. A message with more than
//  CCHC_ZWATCH_MAX_FRAMES frames is dropped and counted in `dropped`.
typedef void(cchc_zwatch_fn)(cchc_zwatch_t *self, zmq_msg_t *frames, int nframes, void *arg);

//  Called after the watcher's handles are closed and its socket closed.
typedef void(cchc_zwatch_close_fn)(cchc_zwatch_t *self, void *arg);

struct cchc_zwatch {
    uv_poll_t poll; //  watches ZMQ_FD for readability
    uv_idle_t idle; //  continues a capped batch, re-checks after sends
    void *socket;   //  owned ZeroMQ socket
    cchc_zwatch_fn *on_message;
    void *arg;
    cchc_zwatch_close_fn *on_close;
    void *close_arg;
    int pending_closes; //  handles still closing
    bool active;
    bool closing;
    unsigned long received;    //  messages handed to on_message
    unsigned long dropped;     //  messages with too many frames
    unsigned long send_failed; //  sends that returned an error
};

//  Initialise self (caller-allocated, must stay put until closed) to watch
//  socket. Takes ownership of socket. Returns 0 or a negative libuv error.
int cchc_zwatch_init(uv_loop_t *loop, cchc_zwatch_t *self, void *socket, cchc_zwatch_fn *on_message,
                     void *arg);

//  Start or stop delivering messages. Returns 0 or a negative libuv error.
int cchc_zwatch_start(cchc_zwatch_t *self);
int cchc_zwatch_stop(cchc_zwatch_t *self);

//  Send a multipart message of n frames; each frame is consumed (closed)
//  whatever happens. flags may include ZMQ_DONTWAIT (the default behaviour
//  is always non-blocking). Returns 0 or -1 with errno (EAGAIN at the HWM,
//  EHOSTUNREACH for an unknown ROUTER peer with ZMQ_ROUTER_MANDATORY).
int cchc_zwatch_send(cchc_zwatch_t *self, zmq_msg_t *frames, int n);

//  Close the handles, then the socket (linger as set on it), then call
//  on_close (may be NULL). Free self only in or after on_close.
void cchc_zwatch_close(cchc_zwatch_t *self, cchc_zwatch_close_fn *on_close, void *arg);

#endif
