/*  harness.c - real service processes for integration tests. */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static const char *svc_name[SVC_COUNT] = {"intake", "scoring", "notify"};

int64_t harness_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void harness_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

//  A free loopback port below the kernel's range for outgoing connections
//  (32768-60999 on Linux): a port taken from that range can be grabbed by a
//  service's own outgoing connection before the service that should bind it
//  starts. Chosen at random in 20000-32767 and checked by binding it.
//  In a forked child: be killed when the test process ends, however it
//  ends. A failed assertion skips the test's teardown; without this its
//  services would outlive the test and hold their ports.
static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1); //  the parent died before prctl
}

//  Claim port for this test process: an exclusive flock on a file named
//  after it, held (the descriptor is never closed) until the process exits.
//  Tests running side by side (ctest -j, or several checkouts on one
//  machine) pick random ports; without the claim two of them could choose
//  the same port between the check and the service's bind.
static bool claim_port(int port)
{
    static const char *const dir = "/tmp/cchc-test-ports";
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return true; //  no claims possible here: the bind check alone
    char path[64];
    snprintf(path, sizeof(path), "%s/%d", dir, port);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return true;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return false; //  another test process holds it
    }
    return true; //  fd stays open: the claim lasts as long as this process
}

int harness_free_port(void)
{
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int tries = 0; tries < 200; tries++) {
        int port = 20000 + (int)(rand_r(&seed) % 12768);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok && claim_port(port))
            return port;
    }
    return -1;
}

int cluster_init(cluster_t *c, int argc, char **argv)
{
    memset(c, 0, sizeof(*c));
    if (argc < 5) {
        fprintf(stderr, "usage: %s INTAKE SCORING NOTIFY CLI [args]\n", argv[0]);
        return -1;
    }
    for (int i = 0; i < SVC_COUNT; i++)
        snprintf(c->bin[i], sizeof(c->bin[i]), "%s", argv[1 + i]);
    snprintf(c->cli, sizeof(c->cli), "%s", argv[4]);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(c->dir, sizeof(c->dir), "%s/cchc-test-XXXXXX", tmp);
    if (!mkdtemp(c->dir))
        return -1;
    int ports[5];
    for (int i = 0; i < 5; i++)
        if ((ports[i] = harness_free_port()) <= 0)
            return -1;
    snprintf(c->intake_ep, sizeof(c->intake_ep), "tcp://127.0.0.1:%d", ports[0]);
    snprintf(c->intake_pub, sizeof(c->intake_pub), "tcp://127.0.0.1:%d", ports[1]);
    snprintf(c->scoring_ep, sizeof(c->scoring_ep), "tcp://127.0.0.1:%d", ports[2]);
    snprintf(c->scoring_pub, sizeof(c->scoring_pub), "tcp://127.0.0.1:%d", ports[3]);
    snprintf(c->notify_ep, sizeof(c->notify_ep), "tcp://127.0.0.1:%d", ports[4]);
    c->zctx = zmq_ctx_new();
    c->client[SVC_INTAKE] = cchc_client_new(c->zctx, c->intake_ep);
    c->client[SVC_SCORING] = cchc_client_new(c->zctx, c->scoring_ep);
    c->client[SVC_NOTIFY] = cchc_client_new(c->zctx, c->notify_ep);
    c->keep_dir = getenv("CCHC_KEEP_TEST_DIR") != NULL;
    signal(SIGPIPE, SIG_IGN);
    return c->client[0] && c->client[1] && c->client[2] ? 0 : -1;
}

//  One cheap request that every service answers (an error reply counts).
static int ping(cluster_t *c, svc_t svc, int timeout_ms)
{
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    Cchc__StatusQuery sq = CCHC__STATUS_QUERY__INIT;
    Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT;
    Cchc__AlertQuery aq = CCHC__ALERT_QUERY__INIT;
    if (svc == SVC_INTAKE) {
        env.body_case = CCHC__ENVELOPE__BODY_STATUS_QUERY;
        env.status_query = &sq;
    } else if (svc == SVC_SCORING) {
        rq.ward = "-";
        env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
        env.ranking_query = &rq;
    } else {
        aq.ward = "-";
        env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
        env.alert_query = &aq;
    }
    cchc_decoded_t *reply = NULL;
    int rc = cchc_client_call(c->client[svc], &env, timeout_ms, true, &reply);
    cchc_decoded_destroy(&reply);
    return rc;
}

int cluster_start(cluster_t *c, svc_t svc, const char *const *extra_args)
{
    char data_dir[400], log_path[400];
    snprintf(data_dir, sizeof(data_dir), "--data_dir=%s/%s", c->dir, svc_name[svc]);
    snprintf(log_path, sizeof(log_path), "%s/%s.log", c->dir, svc_name[svc]);
    char a[8][300];
    const char *argv[32];
    int n = 0;
    argv[n++] = c->bin[svc];
    argv[n++] = data_dir;
    argv[n++] = "--log_format=json";
    if (svc == SVC_INTAKE) {
        snprintf(a[0], sizeof(a[0]), "--bind=%s", c->intake_ep);
        snprintf(a[1], sizeof(a[1]), "--pub_bind=%s", c->intake_pub);
        argv[n++] = a[0];
        argv[n++] = a[1];
        argv[n++] = "--clock=manual";
        argv[n++] = "--clock_start=2026-01-01T00:00:00+07:00";
    } else {
        snprintf(a[0], sizeof(a[0]), "--bind=%s", svc == SVC_SCORING ? c->scoring_ep : c->notify_ep);
        snprintf(a[1], sizeof(a[1]), "--intake=%s", c->intake_ep);
        snprintf(a[2], sizeof(a[2]), "--intake_pub=%s", c->intake_pub);
        argv[n++] = a[0];
        argv[n++] = a[1];
        argv[n++] = a[2];
        if (svc == SVC_SCORING) {
            snprintf(a[3], sizeof(a[3]), "--pub_bind=%s", c->scoring_pub);
            argv[n++] = a[3];
        }
    }
    for (int i = 0; extra_args && extra_args[i] && n < 30; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        die_with_parent(parent);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
        if (getenv("CCHC_TEST_VALGRIND")) {
            //  valgrind exits 99 on any memory error or definite leak, and
            //  cluster_stop reports a non-zero exit as a failure.
            const char *vg[40] = {"valgrind",
                                  "--quiet",
                                  "--error-exitcode=99",
                                  "--leak-check=full",
                                  "--errors-for-leak-kinds=definite",
                                  "--track-fds=no"};
            int k = 6;
            for (int i = 0; i < n && k < 39; i++)
                vg[k++] = argv[i];
            vg[k] = NULL;
            execvp("valgrind", (char *const *)vg);
        } else {
            execv(argv[0], (char *const *)argv);
        }
        _exit(127);
    }
    c->pid[svc] = pid;
    int64_t deadline = harness_mono_ms() + (getenv("CCHC_TEST_VALGRIND") ? 60000 : 15000);
    while (harness_mono_ms() < deadline) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            c->pid[svc] = 0;
            fprintf(stderr, "harness: %s exited during start-up (status %d)\n", svc_name[svc], status);
            return -1;
        }
        if (ping(c, svc, 300) == 0)
            return 0;
    }
    fprintf(stderr, "harness: %s did not answer in time\n", svc_name[svc]);
    return -1;
}

int cluster_follow(cluster_t *c, const cluster_t *const *shards, size_t n)
{
    size_t ep = 0, pub = 0;
    c->intake_ep[0] = c->intake_pub[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int a = snprintf(c->intake_ep + ep, sizeof(c->intake_ep) - ep, "%s%s", i ? "," : "",
                         shards[i]->intake_ep);
        int b = snprintf(c->intake_pub + pub, sizeof(c->intake_pub) - pub, "%s%s", i ? "," : "",
                         shards[i]->intake_pub);
        if (a < 0 || b < 0 || ep + (size_t)a >= sizeof(c->intake_ep) ||
            pub + (size_t)b >= sizeof(c->intake_pub))
            return -1;
        ep += (size_t)a;
        pub += (size_t)b;
    }
    return 0;
}

int cluster_start_all(cluster_t *c)
{
    for (int s = 0; s < SVC_COUNT; s++)
        if (cluster_start(c, (svc_t)s, NULL) != 0)
            return -1;
    return 0;
}

int cluster_stop(cluster_t *c, svc_t svc)
{
    pid_t pid = c->pid[svc];
    if (pid <= 0)
        return -1;
    kill(pid, SIGTERM);
    int64_t deadline = harness_mono_ms() + (getenv("CCHC_TEST_VALGRIND") ? 60000 : 10000);
    int status = 0;
    while (harness_mono_ms() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            c->pid[svc] = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        harness_sleep_ms(10);
    }
    fprintf(stderr, "harness: %s ignored SIGTERM; killing\n", svc_name[svc]);
    cluster_kill(c, svc);
    return -1;
}

void cluster_kill(cluster_t *c, svc_t svc)
{
    if (c->pid[svc] <= 0)
        return;
    kill(c->pid[svc], SIGKILL);
    waitpid(c->pid[svc], NULL, 0);
    c->pid[svc] = 0;
}

void cluster_dump_logs(const cluster_t *c)
{
    for (int s = 0; s < SVC_COUNT; s++) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "echo '--- %s.log (last 25 lines)'; tail -n 25 '%s/%s.log' 2>/dev/null",
                 svc_name[s], c->dir, svc_name[s]);
        if (system(cmd) != 0)
            fprintf(stderr, "(no log)\n");
    }
}

int cluster_stop_all(cluster_t *c)
{
    int rc = 0;
    if (!c) //  a group set-up that failed leaves no cluster to stop
        return 0;
    for (int s = SVC_COUNT - 1; s >= 0; s--)
        if (c->pid[s] > 0 && cluster_stop(c, (svc_t)s) != 0) {
            fprintf(stderr, "harness: %s did not exit 0 on SIGTERM\n", svc_name[s]);
            rc = -1;
        }
    if (rc != 0)
        cluster_dump_logs(c);
    return rc;
}

void cluster_destroy(cluster_t *c)
{
    if (!c)
        return;
    for (int s = SVC_COUNT - 1; s >= 0; s--)
        if (c->pid[s] > 0 && cluster_stop(c, (svc_t)s) != 0)
            fprintf(stderr, "harness: %s did not stop cleanly\n", svc_name[s]);
    for (int s = 0; s < SVC_COUNT; s++)
        cchc_client_destroy(&c->client[s]);
    if (c->zctx)
        zmq_ctx_term(c->zctx);
    c->zctx = NULL;
    if (c->dir[0] && !c->keep_dir) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", c->dir);
    } else if (c->dir[0]) {
        fprintf(stderr, "harness: kept %s\n", c->dir);
    }
}

int cluster_cli(cluster_t *c, char *out, size_t out_size, const char *args_fmt, ...)
{
    char args[2048], cmd[3072];
    va_list ap;
    va_start(ap, args_fmt);
    vsnprintf(args, sizeof(args), args_fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "'%s' --intake '%s' --scoring '%s' --notify '%s' %s 2>&1", c->cli,
             c->intake_ep, c->scoring_ep, c->notify_ep, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t len = 0;
    if (out && out_size) {
        len = fread(out, 1, out_size - 1, p);
        out[len] = 0;
    }
    char sink[4096];
    while (fread(sink, 1, sizeof(sink), p) > 0)
        ;
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int cluster_call(cluster_t *c, svc_t svc, Cchc__Envelope *req, cchc_decoded_t **reply)
{
    return cchc_client_call(c->client[svc], req, 5000, req->body_case != CCHC__ENVELOPE__BODY_SUBMIT, reply);
}

uint64_t cluster_head(cluster_t *c)
{
    Cchc__StatusQuery sq = CCHC__STATUS_QUERY__INIT;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_STATUS_QUERY;
    env.status_query = &sq;
    cchc_decoded_t *reply = NULL;
    uint64_t head = 0;
    if (cluster_call(c, SVC_INTAKE, &env, &reply) == 0 &&
        cchc_decoded_env(reply)->body_case == CCHC__ENVELOPE__BODY_STATUS)
        head = cchc_decoded_env(reply)->status->head_seq;
    cchc_decoded_destroy(&reply);
    return head;
}

int cluster_wait_caught_up(cluster_t *c, const char *ward, int timeout_ms)
{
    uint64_t head = cluster_head(c);
    int64_t deadline = harness_mono_ms() + timeout_ms;
    while (harness_mono_ms() < deadline) {
        uint64_t scoring = 0, notify = 0;
        cchc_decoded_t *r = cluster_ranking(c, ward);
        if (r)
            scoring = cchc_decoded_env(r)->ranking->last_seq;
        cchc_decoded_destroy(&r);
        cchc_decoded_t *a = cluster_alerts(c, ward);
        if (a)
            notify = cchc_decoded_env(a)->alert_list->last_seq;
        cchc_decoded_destroy(&a);
        if (scoring >= head && notify >= head)
            return 0;
        harness_sleep_ms(20);
    }
    fprintf(stderr, "harness: consumers did not reach seq %llu within %d ms\n", (unsigned long long)head,
            timeout_ms);
    return -1;
}

int cluster_advance(cluster_t *c, const char *local_time)
{
    int64_t to;
    if (cchc_time_parse(local_time, &to) != 0) {
        char iso[64];
        int d, m, y, hh = 0, mm = 0;
        if (sscanf(local_time, "%d/%d/%d %d:%d", &d, &m, &y, &hh, &mm) < 3)
            return -1;
        snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:00+07:00", y, m, d, hh, mm);
        if (cchc_time_parse(iso, &to) != 0)
            return -1;
    }
    Cchc__AdvanceClock adv = CCHC__ADVANCE_CLOCK__INIT;
    adv.has_to_ms = true;
    adv.to_ms = to;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ADVANCE_CLOCK;
    env.advance_clock = &adv;
    cchc_decoded_t *reply = NULL;
    int rc = cluster_call(c, SVC_INTAKE, &env, &reply);
    if (rc == 0 && cchc_decoded_env(reply)->body_case != CCHC__ENVELOPE__BODY_ACK)
        rc = -1;
    cchc_decoded_destroy(&reply);
    return rc;
}

uint64_t cluster_submit(cluster_t *c, Cchc__Event *ev, Cchc__ErrorCode *code)
{
    Cchc__Event *events[1] = {ev};
    Cchc__Submit submit = CCHC__SUBMIT__INIT;
    submit.n_events = 1;
    submit.events = events;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    cchc_decoded_t *reply = NULL;
    uint64_t seq = 0;
    if (code)
        *code = CCHC__ERROR_CODE__ERR_INTERNAL;
    if (cluster_call(c, SVC_INTAKE, &env, &reply) == 0) {
        const Cchc__Envelope *r = cchc_decoded_env(reply);
        if (r->body_case == CCHC__ENVELOPE__BODY_ACK && r->ack->n_seqs == 1) {
            seq = r->ack->seqs[0];
            if (code)
                *code = r->ack->n_errors ? r->ack->errors[0]->code : CCHC__ERROR_CODE__ERR_NONE;
        } else if (r->body_case == CCHC__ENVELOPE__BODY_ERROR && code) {
            *code = r->error->code;
        }
    }
    cchc_decoded_destroy(&reply);
    return seq;
}

uint64_t ev_progress(cluster_t *c, const char *ward, const char *unit, const char *task, int percent,
                     int outputs)
{
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = (char *)task;
    p.has_percent = p.has_outputs_done = true;
    p.percent = percent;
    p.outputs_done = outputs;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)ward;
    ev.actor = (char *)unit;
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    return cluster_submit(c, &ev, NULL);
}

uint64_t ev_submit_done(cluster_t *c, const char *ward, const char *unit, const char *task)
{
    Cchc__SubmittedForVerification s = CCHC__SUBMITTED_FOR_VERIFICATION__INIT;
    s.task = (char *)task;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)ward;
    ev.actor = (char *)unit;
    ev.payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
    ev.submitted = &s;
    return cluster_submit(c, &ev, NULL);
}

uint64_t ev_verify(cluster_t *c, const char *ward, const char *task, bool passed)
{
    Cchc__Verified v = CCHC__VERIFIED__INIT;
    v.task = (char *)task;
    v.has_passed = true;
    v.passed = passed;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)ward;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
    ev.verified = &v;
    return cluster_submit(c, &ev, NULL);
}

static cchc_decoded_t *query(cluster_t *c, svc_t svc, Cchc__Envelope *env, Cchc__Envelope__BodyCase want)
{
    cchc_decoded_t *reply = NULL;
    if (cluster_call(c, svc, env, &reply) != 0)
        return NULL;
    if (cchc_decoded_env(reply)->body_case != want) {
        cchc_decoded_destroy(&reply);
        return NULL;
    }
    return reply;
}

cchc_decoded_t *cluster_ranking(cluster_t *c, const char *ward)
{
    Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
    q.ward = (char *)ward;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    env.ranking_query = &q;
    return query(c, SVC_SCORING, &env, CCHC__ENVELOPE__BODY_RANKING);
}

cchc_decoded_t *cluster_alerts(cluster_t *c, const char *ward)
{
    Cchc__AlertQuery q = CCHC__ALERT_QUERY__INIT;
    q.ward = (char *)ward;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
    env.alert_query = &q;
    return query(c, SVC_NOTIFY, &env, CCHC__ENVELOPE__BODY_ALERT_LIST);
}

// ---------------------------------------------------------------------------
//  Helper servers (a real SMTP server, an HTTP receiver)

static bool port_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

pid_t harness_python_start(const char *const *args, const char *pythonpath, const char *log_path, int port)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        die_with_parent(parent);
        FILE *log = freopen(log_path, "a", stderr);
        (void)log;
        if (pythonpath)
            setenv("PYTHONPATH", pythonpath, 1);
        //  Debian's interpreter, which the python3-* packages install for,
        //  even when another python3 comes first in PATH
        const char *python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
        char *argv[32];
        int n = 0;
        argv[n++] = "python3";
        for (int i = 0; args[i] && n < 31; i++)
            argv[n++] = (char *)args[i];
        argv[n] = NULL;
        execvp(python, argv);
        _exit(127);
    }
    for (int64_t deadline = harness_mono_ms() + 15000; harness_mono_ms() < deadline; harness_sleep_ms(50)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "harness: python3 %s exited (status %d); see %s\n", args[0], status, log_path);
            return -1;
        }
        if (port_accepts(port))
            return pid;
    }
    fprintf(stderr, "harness: python3 %s did not listen on %d in time\n", args[0], port);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

void harness_helper_stop(pid_t *pid_p)
{
    if (*pid_p <= 0)
        return;
    kill(*pid_p, SIGTERM);
    waitpid(*pid_p, NULL, 0);
    *pid_p = 0;
}

static int name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

//  The whole file as a string, or NULL.
static char *file_text(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *data = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (data && fread(data, 1, (size_t)size, in) == (size_t)size)
        data[size] = '\0';
    else {
        free(data);
        data = NULL;
    }
    fclose(in);
    return data;
}

captured_t harness_captured(const char *dir)
{
    captured_t box = {0};
    DIR *d = opendir(dir);
    if (!d)
        return box;
    size_t cap = 0;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
            if (!names)
                abort();
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), name_order);
    box.text = calloc(n ? n : 1, sizeof(*box.text));
    if (!box.text)
        abort();
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        char *text = file_text(path);
        if (text)
            box.text[box.n++] = text;
        free(names[i]);
    }
    free(names);
    return box;
}

const char *harness_captured_field(const char *text, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *p = text; *p && *p != '\n';) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            break;
        if (!strncmp(p, name, nlen) && !strncmp(p + nlen, ": ", 2)) {
            size_t len = (size_t)(eol - p - nlen - 2);
            if (len >= size)
                return NULL;
            memcpy(out, p + nlen + 2, len);
            out[len] = '\0';
            return out;
        }
        p = eol + 1;
    }
    return NULL;
}

void harness_captured_free(captured_t *box)
{
    for (size_t i = 0; i < box->n; i++)
        free(box->text[i]);
    free(box->text);
    box->text = NULL;
    box->n = 0;
}

// ---------------------------------------------------------------------------
//  cmocka group fixtures

static int g_group_argc;
static char **g_group_argv;

void harness_args(int argc, char **argv)
{
    g_group_argc = argc;
    g_group_argv = argv;
}

int harness_group_setup(void **state)
{
    static cluster_t c;
    if (cluster_init(&c, g_group_argc, g_group_argv) != 0 || cluster_start_all(&c) != 0) {
        cluster_dump_logs(&c);
        cluster_destroy(&c);
        return -1;
    }
    *state = &c;
    return 0;
}

int harness_group_teardown(void **state)
{
    cluster_t *c = *state;
    int rc = cluster_stop_all(c);
    cluster_destroy(c);
    return rc;
}
