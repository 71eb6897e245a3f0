/*  service.c - the frame of every cchc process: loop, ZeroMQ context,
    signals, systemd notification, sockets with the required options. */
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
    sd_notify(0, "WATCHDOG=1");
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
    self->zctx = zmq_ctx_new();
    if (!self->loop || !self->zctx)
        return -1;
    self->on_stop = on_stop;
    self->on_reload = on_reload;
    self->arg = arg;
    uv_signal_t *signals[] = {&self->sig_term, &self->sig_int, &self->sig_hup};
    int numbers[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(self->loop, signals[i]);
        signals[i]->data = self;
        if (uv_signal_start(signals[i], on_signal, numbers[i]) != 0)
            return -1;
        uv_unref((uv_handle_t *)signals[i]); //  signals alone do not keep the loop alive
    }
    uv_timer_init(self->loop, &self->watchdog);
    self->watchdog.data = self;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
        uv_timer_start(&self->watchdog, on_watchdog, usec / 2000, usec / 2000);
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
    int rc = uv_run(self->loop, UV_RUN_DEFAULT);
    cchc_service_close(self);
    uv_run(self->loop, UV_RUN_DEFAULT); //  finish the close callbacks
    if (uv_loop_close(self->loop) == UV_EBUSY) {
        uv_walk(self->loop, walk_report, NULL);
        rc = -1;
    }
    zmq_ctx_term(self->zctx);
    self->zctx = NULL;
    return rc == 0 ? 0 : -1;
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

void *cchc_socket(void *zctx, int type, const char *endpoint, bool bind, int hwm, long max_msg_bytes)
{
    void *sock = zmq_socket(zctx, type);
    if (!sock) {
        cchc_log(CCHC_ERROR, "socket", "endpoint=%s error=%s", endpoint, zmq_strerror(errno));
        return NULL;
    }
    int linger = 1000, one = 1;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    if (max_msg_bytes > 0) {
        int64_t max = max_msg_bytes;
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max));
    }
    if (type == ZMQ_ROUTER)
        zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
    if (type == ZMQ_DEALER)
        zmq_setsockopt(sock, ZMQ_IMMEDIATE, &one, sizeof(one));
    int rc = bind ? zmq_bind(sock, endpoint) : zmq_connect(sock, endpoint);
    if (rc != 0) {
        cchc_log(CCHC_ERROR, "socket", "endpoint=%s bind=%d error=%s", endpoint, bind, zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }
    return sock;
}
