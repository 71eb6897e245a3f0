/*  service.c - the frame of every cchc process: loop, ZeroMQ context,
    signals, systemd notification, sockets with the required options.

    libuv owns the signals (SIGTERM/SIGINT begin a graceful stop, SIGHUP a
    reload) and the watchdog timer; all of them are unref'd, so the loop ends
    as soon as the service's own handles are closed, which is how a stop
    completes. cchc_service_run then closes what is left of ours, lets the
    close callbacks run, and releases the loop and the ZeroMQ context.
*/
#include "service.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <zmq.h>

#include "log.h"

//  How long a closed socket keeps trying to deliver what it queued.
#define CCHC_SOCKET_LINGER_MS 1000
#define CCHC_SOCKET_BACKLOG   4096

static void on_signal(uv_signal_t *handle, int signum)
{
    cchc_service_t *self = handle->data;
    if (signum == SIGHUP) {
        cchc_log(CCHC_INFO, "reload", "signal=%d", signum);
        if (self->on_reload)
            self->on_reload(self, self->arg);
        return;
    }
    if (self->stopping)
        return;
    self->stopping = true;
    sd_notify(0, "STOPPING=1");
    cchc_log(CCHC_INFO, "signal", "signal=%s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    if (self->on_stop)
        self->on_stop(self, self->arg);
}

static void on_watchdog(uv_timer_t *timer)
{
    (void)timer;
    sd_notify(0, "WATCHDOG=1"); //  a loop that stalls stops feeding it, and systemd restarts us
}

int cchc_service_init(cchc_service_t *self, cchc_service_fn *on_stop, cchc_service_fn *on_reload, void *arg)
{
    assert(self);
    memset(self, 0, sizeof(*self));
    signal(SIGPIPE, SIG_IGN);
    //  every peer is a file descriptor: allow as many as the system lets us
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    self->loop = uv_default_loop();
    if (!self->loop) {
        cchc_log(CCHC_ERROR, "service_init", "error=%s", "no libuv loop");
        return -1;
    }
    self->zctx = zmq_ctx_new();
    if (!self->zctx) {
        cchc_log(CCHC_ERROR, "service_init", "error=%s", zmq_strerror(errno));
        return -1;
    }
    self->on_stop = on_stop;
    self->on_reload = on_reload;
    self->arg = arg;
    //  All handles are initialised first, so that cchc_service_close can
    //  close them whatever fails after this point.
    uv_signal_t *signals[] = {&self->sig_term, &self->sig_int, &self->sig_hup};
    int numbers[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(self->loop, signals[i]);
        signals[i]->data = self;
    }
    uv_timer_init(self->loop, &self->watchdog);
    self->watchdog.data = self;
    for (int i = 0; i < 3; i++) {
        int rc = uv_signal_start(signals[i], on_signal, numbers[i]);
        if (rc != 0) {
            cchc_log(CCHC_ERROR, "service_init", "signal=%d error=%s", numbers[i], uv_strerror(rc));
            return -1;
        }
        uv_unref((uv_handle_t *)signals[i]); //  signals alone do not keep the loop alive
    }
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
        uint64_t half_ms = usec / 2000;
        uv_timer_start(&self->watchdog, on_watchdog, half_ms, half_ms);
        cchc_log(CCHC_INFO, "watchdog", "interval_ms=%llu", (unsigned long long)half_ms);
    }
    uv_unref((uv_handle_t *)&self->watchdog);
    return 0;
}

void cchc_service_ready(cchc_service_t *self, const char *status)
{
    (void)self;
    char msg[256];
    snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status ? status : "ready");
    sd_notify(0, msg);
    cchc_log(CCHC_INFO, "ready", "status=%s", status ? status : "");
}

void cchc_service_close(cchc_service_t *self)
{
    assert(self);
    uv_handle_t *handles[] = {(uv_handle_t *)&self->sig_term, (uv_handle_t *)&self->sig_int,
                              (uv_handle_t *)&self->sig_hup, (uv_handle_t *)&self->watchdog};
    for (int i = 0; i < 4; i++)
        if (!uv_is_closing(handles[i]))
            uv_close(handles[i], NULL);
}

static void walk_report(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        cchc_log(CCHC_WARN, "handle_left_open", "type=%s", uv_handle_type_name(uv_handle_get_type(handle)));
}

int cchc_service_run(cchc_service_t *self)
{
    assert(self && self->loop && self->zctx);
    uv_run(self->loop, UV_RUN_DEFAULT);
    cchc_service_close(self);
    uv_run(self->loop, UV_RUN_DEFAULT); //  finish the close callbacks
    if (uv_loop_close(self->loop) == UV_EBUSY) {
        //  A handle left open may be a watcher whose socket is still open:
        //  zmq_ctx_term would then wait for it forever. Report and leave the
        //  context to the process exit.
        uv_walk(self->loop, walk_report, NULL);
        cchc_log(CCHC_ERROR, "loop_busy", "action=%s", "zmq context not terminated");
        return -1;
    }
    //  Waits for each socket's linger: queued replies still go out.
    while (zmq_ctx_term(self->zctx) != 0 && errno == EINTR)
        ;
    self->zctx = NULL;
    return 0;
}

cchc_config_t *cchc_service_config(const char *service, const cchc_option_t *options, int argc, char **argv,
                                   int *exit_code)
{
    cchc_log_init(service, CCHC_INFO, "auto");
    cchc_config_t *config = cchc_config_new(service, options);
    char err[512];
    int rc = cchc_config_load(config, argc, argv, err, sizeof(err));
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "cchc-%s: %s\n", service, err);
        cchc_config_destroy(&config);
        *exit_code = rc < 0 ? 2 : 0;
        return NULL;
    }
    cchc_service_log_config(service, config);
    return config;
}

void cchc_service_log_config(const char *service, const cchc_config_t *config)
{
    int level = cchc_log_level_parse(cchc_config_get(config, "log_level"));
    cchc_log_init(service, level >= 0 ? (cchc_level_t)level : CCHC_INFO,
                  cchc_config_get(config, "log_format"));
}

//  Socket options every cchc socket gets; returns 0 or -1 with errno.
static int socket_set_options(void *sock, int type, bool bind, int hwm, long max_msg_bytes)
{
    int linger = CCHC_SOCKET_LINGER_MS, one = 1;
    //  ZeroMQ's listen backlog is 100: a burst of a thousand units connecting
    //  at once would lose SYNs and wait 1-3 s for the kernel's retransmit.
    //  The kernel caps it at net.core.somaxconn.
    int backlog = CCHC_SOCKET_BACKLOG;
    if (bind && zmq_setsockopt(sock, ZMQ_BACKLOG, &backlog, sizeof(backlog)) != 0)
        return -1;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0)
        return -1;
    if (max_msg_bytes > 0) {
        int64_t max = max_msg_bytes;
        if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0)
            return -1;
    }
    //  A reply to a peer that left must fail loudly, not vanish.
    if (type == ZMQ_ROUTER && zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) != 0)
        return -1;
    //  Queue only to connected peers, so a dead server does not swallow requests.
    if (type == ZMQ_DEALER && zmq_setsockopt(sock, ZMQ_IMMEDIATE, &one, sizeof(one)) != 0)
        return -1;
    return 0;
}

void *cchc_socket(void *zctx, int type, const char *endpoint, bool bind, int hwm, long max_msg_bytes)
{
    assert(zctx && endpoint);
    void *sock = zmq_socket(zctx, type);
    if (!sock) {
        cchc_log(CCHC_ERROR, "socket", "endpoint=%s error=%s", endpoint, zmq_strerror(errno));
        return NULL;
    }
    if (socket_set_options(sock, type, bind, hwm, max_msg_bytes) != 0 ||
        (bind ? zmq_bind(sock, endpoint) : zmq_connect(sock, endpoint)) != 0) {
        cchc_log(CCHC_ERROR, "socket", "endpoint=%s error=%s", endpoint, zmq_strerror(errno));
        int zero = 0; //  nothing was sent: do not linger on close
        zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
        zmq_close(sock);
        return NULL;
    }
    return sock;
}
