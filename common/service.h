/*  service.h - what every cchc service process does around its own work:
    the libuv loop, the ZeroMQ context, signals (SIGTERM/SIGINT stop, SIGHUP
    reloads), systemd notification (READY=1, WATCHDOG=1, STOPPING=1), and
    socket helpers with the options the architecture requires.
*/
#ifndef CCHC_SERVICE_H
#define CCHC_SERVICE_H

#include <stdbool.h>
#include <uv.h>

#include "config.h"

typedef struct cchc_service cchc_service_t;

//  Called on the loop thread when SIGTERM or SIGINT arrives (once), and on
//  SIGHUP. The stop callback begins a graceful shutdown: it must close every
//  handle it owns so that the loop can end.
typedef void(cchc_service_fn)(cchc_service_t *self, void *arg);

struct cchc_service {
    uv_loop_t *loop;
    void *zctx; //  ZeroMQ context, owned
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t watchdog; //  WATCHDOG=1 at half WATCHDOG_USEC, if set
    cchc_service_fn *on_stop;
    cchc_service_fn *on_reload;
    void *arg;
    bool stopping;
};

//  Initialise: default loop, a ZeroMQ context, signal watchers. Returns 0 or -1.
int cchc_service_init(cchc_service_t *self, cchc_service_fn *on_stop, cchc_service_fn *on_reload, void *arg);

//  Tell systemd we are ready (sockets bound, database open); logs "ready".
void cchc_service_ready(cchc_service_t *self, const char *status);

//  Run the loop until no handles are active, then close the signal handles,
//  the ZeroMQ context and the loop. Returns 0 or -1.
int cchc_service_run(cchc_service_t *self);

//  Close the service's own handles (signals, watchdog) so that the loop can
//  end; called by the stop path after the service closed its own handles.
void cchc_service_close(cchc_service_t *self);

//  Start a service's configuration: load defaults < file < environment <
//  flags and set up logging. Returns the config (caller owns it), or NULL
//  with *exit_code set: 0 after --help or --check-config, 2 on a bad setting
//  (the message printed to stderr).
cchc_config_t *cchc_service_config(const char *service, const cchc_option_t *options, int argc, char **argv,
                                   int *exit_code);

//  (Re)initialise logging for service from the config's log_level and
//  log_format keys (at start and on SIGHUP).
void cchc_service_log_config(const char *service, const cchc_config_t *config);

//  Create a ZeroMQ socket with the options every cchc socket gets:
//  linger (ms), send/receive HWM, ZMQ_MAXMSGSIZE = max_msg_bytes (0: none),
//  ZMQ_ROUTER_MANDATORY for ROUTER, ZMQ_IMMEDIATE for DEALER. Then bind
//  (bind=true) or connect to endpoint. Returns the socket or NULL (logged).
void *cchc_socket(void *zctx, int type, const char *endpoint, bool bind, int hwm, long max_msg_bytes);

#endif
