/*  ingest.c - `cchc-bench ingest`: how fast intake acknowledges durable
    updates, and at what latency.

    Starts its own cchc-intake (a fresh temporary directory, synchronous=FULL
    as in production) on a free loopback port, registers a ward of 50 units
    with 20 tasks each, then drives N producers (DEALER sockets spread over a
    few threads), each with up to K submissions of one progress update in
    flight, numbered as an idempotent producer. With --rate R the whole load
    offers R updates/s at a fixed pace (open loop: latency is measured from
    the scheduled send time, so queueing delay is not hidden). Prints a
    summary and, as its last line, one JSON object.
*/
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "codec.h"

#define UNITS          50
#define TASKS_PER_UNIT 20
#define MAX_THREADS    4

typedef struct {
    int clients, inflight, batch;
    int threads; //  worker threads (over all processes), 1..MAX_THREADS
    bool with_consumers;
    long updates;
    long backlog; //  events logged before the load, fetched from seq 1 during it
    double rate;  //  updates/s in total; 0 = as fast as acks allow
    char endpoint[64];
    void *zctx;
} config_t;

typedef struct {
    void *sock;
    char id[32];
    uint64_t next_seq; //  next submission number
    int inflight;
    int64_t *sent_at; //  by (seq % window): send time, ns
} producer_t;

typedef struct {
    const config_t *cfg;
    int first, count;   //  producers [first, first + count)
    long quota;         //  updates this thread sends
    int64_t *latencies; //  ns, one per acked update
    int64_t *sent;      //  with CCHC_BENCH_TRACE: (scheduled) send time of each, ns after start
    long acked, busy;
    int64_t start_ns;
    const int64_t *start;       //  set by the main thread between the two barriers
    pthread_barrier_t *barrier; //  all workers and the main thread
    double connect_s;           //  until every producer's first round trip came back
    double cpu_wait_s;          //  runnable but waiting for a CPU during the load
} worker_t;

//  This thread's time spent runnable but waiting for a CPU so far, s.
static double thread_cpu_wait(void)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    unsigned long long run = 0, delay = 0;
    if (!f || fscanf(f, "%llu %llu", &run, &delay) != 2)
        delay = 0;
    if (f)
        fclose(f);
    return delay / 1e9;
}

//  The unit and task a producer reports on.
static void target(int producer, char *unit, size_t ulen, char *task, size_t tlen)
{
    int u = producer % UNITS, t = (producer / UNITS) % TASKS_PER_UNIT;
    snprintf(unit, ulen, "U%02d", u);
    snprintf(task, tlen, "U%02d-T%02d", u, t);
}

#define MAX_BATCH 64

//  Send submission number seq (also its request id) of producer p: batch
//  progress updates on the producer's task.
static int send_update(producer_t *p, int index, uint64_t seq, int batch)
{
    char unit[16], task[24];
    target(index, unit, sizeof(unit), task, sizeof(task));
    Cchc__ProgressReported pr[MAX_BATCH];
    Cchc__Event ev[MAX_BATCH], *evs[MAX_BATCH];
    for (int i = 0; i < batch; i++) {
        cchc__progress_reported__init(&pr[i]);
        pr[i].task = task;
        pr[i].has_percent = true;
        pr[i].percent = (int)((seq + (uint64_t)i) % 100);
        cchc__event__init(&ev[i]);
        ev[i].ward = "BENCH";
        ev[i].actor = unit;
        ev[i].payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev[i].progress_reported = &pr[i];
        evs[i] = &ev[i];
    }
    Cchc__Submit s = CCHC__SUBMIT__INIT;
    s.n_events = (size_t)batch;
    s.events = evs;
    s.producer_id = p->id;
    s.has_producer_seq = true;
    s.producer_seq = seq;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = seq;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &s;
    zmq_msg_t msg;
    if (cchc_encode(&env, &msg) != 0)
        return -1;
    int rc = zmq_msg_send(&msg, p->sock, ZMQ_DONTWAIT) < 0 ? -1 : 0;
    if (rc != 0)
        zmq_msg_close(&msg);
    return rc;
}

//  Everything a worker needs to receive: its producers and its counters.
typedef struct {
    worker_t *w;
    producer_t *ps;
    int n, window;
    int *ready; //  ring of producers whose window has room, each at most once
    bool *queued;
    int ready_head, ready_count;
    int *check; //  producers sent to since the last wait: ZMQ_EVENTS is read again
    bool *checking;
    int ncheck;
    long outstanding;
    long warm; //  producers whose warm-up round trip came back
} state_t;

static void ready_push(state_t *st, int i)
{
    if (st->queued[i])
        return;
    st->queued[i] = true;
    st->ready[(st->ready_head + st->ready_count++) % st->n] = i;
}

static int ready_pop(state_t *st)
{
    int i = st->ready[st->ready_head];
    st->ready_head = (st->ready_head + 1) % st->n;
    st->ready_count--;
    st->queued[i] = false;
    return i;
}

static void check_later(state_t *st, int i)
{
    if (!st->checking[i]) {
        st->checking[i] = true;
        st->check[st->ncheck++] = i;
    }
}

//  A round trip that proves the producer's connection is up: a status query.
static int send_ping(producer_t *p)
{
    Cchc__StatusQuery q = CCHC__STATUS_QUERY__INIT;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_STATUS_QUERY;
    env.status_query = &q;
    zmq_msg_t msg;
    if (cchc_encode(&env, &msg) != 0)
        return -1;
    int rc = zmq_msg_send(&msg, p->sock, 0) < 0 ? -1 : 0; //  blocks until a connection takes it
    if (rc != 0)
        zmq_msg_close(&msg);
    return rc;
}

//  Receive everything producer i has: acks, busy refusals, warm-up replies.
//  Receiving until EAGAIN also processes the socket's commands, which
//  re-arms its ZMQ_FD (edge-triggered) for the next epoll_wait.
static void drain(state_t *st, int i)
{
    worker_t *w = st->w;
    const config_t *cfg = w->cfg;
    producer_t *p = &st->ps[i];
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, p->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        int64_t now = bench_now_ns();
        cchc_decoded_t *dec = NULL;
        uint64_t id = 0;
        cchc_err_t err;
        if (cchc_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 20, &dec, &id, &err) == 0) {
            const Cchc__Envelope *env = cchc_decoded_env(dec);
            if (env->body_case == CCHC__ENVELOPE__BODY_ACK) {
                int64_t sent_at = p->sent_at[id % (uint64_t)st->window];
                int64_t latency = now - sent_at;
                for (int b = 0; b < cfg->batch; b++) { //  every update waited that long
                    if (w->sent)
                        w->sent[w->acked] = sent_at - w->start_ns;
                    w->latencies[w->acked++] = latency;
                }
                p->inflight--;
                st->outstanding--;
                ready_push(st, i);
            } else if (env->body_case == CCHC__ENVELOPE__BODY_STATUS) {
                st->warm++;
            } else if (env->body_case == CCHC__ENVELOPE__BODY_ERROR &&
                       env->error->code == CCHC__ERROR_CODE__ERR_BUSY) {
                //  refused before its number was used: send it again
                w->busy++;
                usleep(env->error->retry_after_ms * 1000);
                send_update(p, w->first + i, id, cfg->batch);
                check_later(st, i);
            } else {
                fprintf(stderr, "cchc-bench: unexpected reply type %d\n", (int)env->body_case);
                exit(1);
            }
        }
        cchc_decoded_destroy(&dec);
        zmq_msg_close(&msg);
    }
}

#define TIMER_KEY UINT32_MAX

//  Wait (at most timeout_ms) for sockets with input and the pace timer, and
//  drain them; first drain the sockets sent to, whose edge a send may have
//  consumed.
static int wait_and_drain(state_t *st, int ep, int timer, int timeout_ms)
{
    for (int k = 0; k < st->ncheck; k++) {
        st->checking[st->check[k]] = false;
        drain(st, st->check[k]);
    }
    st->ncheck = 0;
    struct epoll_event evs[256];
    int nev = epoll_wait(ep, evs, 256, timeout_ms);
    for (int e = 0; e < nev; e++) {
        if (evs[e].data.u32 == TIMER_KEY) {
            uint64_t expirations;
            if (read(timer, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
                return -1;
            continue;
        }
        drain(st, (int)evs[e].data.u32);
    }
    return nev < 0 && errno != EINTR ? -1 : 0;
}

//  A worker: its producers' sockets are watched with epoll (ZMQ_FD of each,
//  plus the pace timer), so a wake-up costs in proportion to the sockets
//  that have input, not to the number of sockets (zmq_poll over 2,500
//  sockets scanned them all on every wake-up). Producers with room in their
//  window wait in a FIFO. Before the clock starts, every producer makes one
//  round trip (a status query), so connection set-up is measured apart
//  (w->connect_s) and not charged to the first acks.
static void *worker_main(void *arg)
{
    worker_t *w = arg;
    const config_t *cfg = w->cfg;
    int n = w->count, window = cfg->inflight;
    producer_t *ps = calloc((size_t)n, sizeof(*ps));
    state_t st = {.w = w, .ps = ps, .n = n, .window = window};
    st.ready = calloc((size_t)n, sizeof(int));
    st.queued = calloc((size_t)n, sizeof(bool));
    st.check = calloc((size_t)n, sizeof(int));
    st.checking = calloc((size_t)n, sizeof(bool));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < n; i++) {
        ps[i].sock = zmq_socket(cfg->zctx, ZMQ_DEALER);
        int hwm = 0, linger = 0;
        zmq_setsockopt(ps[i].sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
        zmq_setsockopt(ps[i].sock, ZMQ_LINGER, &linger, sizeof(linger));
        zmq_connect(ps[i].sock, cfg->endpoint);
        snprintf(ps[i].id, sizeof(ps[i].id), "bench-%d-%ld", w->first + i, (long)getpid());
        ps[i].next_seq = 1;
        ps[i].sent_at = calloc((size_t)window, sizeof(int64_t));
        int fd = -1;
        size_t len = sizeof(fd);
        zmq_getsockopt(ps[i].sock, ZMQ_FD, &fd, &len);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        ready_push(&st, i);
    }
    //  The pace is kept by a timerfd armed for the next due time to the
    //  nanosecond: a millisecond timeout alone would send up to 1 ms late
    //  and charge that to intake's latency.
    double rate = cfg->rate > 0 ? cfg->rate * w->quota / (double)cfg->updates : 0;
    int timer = rate > 0 ? timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) : -1;
    if (timer >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TIMER_KEY};
        epoll_ctl(ep, EPOLL_CTL_ADD, timer, &ev);
    }

    //  Warm-up: one round trip per producer, then wait for the others.
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        send_ping(&ps[i]);
        check_later(&st, i);
    }
    while (st.warm < n && bench_now_ns() - t0 < 60000000000LL)
        if (wait_and_drain(&st, ep, -1, 100) != 0)
            break;
    w->connect_s = (bench_now_ns() - t0) / 1e9;
    pthread_barrier_wait(w->barrier); //  everyone connected
    pthread_barrier_wait(w->barrier); //  the main thread set the start time
    w->start_ns = *w->start;
    w->cpu_wait_s = -thread_cpu_wait();

    long sent = 0;
    while (w->acked < w->quota) {
        //  send everything that is due and that the windows allow, in FIFO order
        int64_t now = bench_now_ns(), next_due = 0;
        while (sent < w->quota && st.ready_count > 0) {
            int64_t due = rate > 0 ? w->start_ns + (int64_t)(sent * 1e9 / rate) : now;
            if (due > now) {
                next_due = due;
                break;
            }
            int i = ready_pop(&st);
            producer_t *p = &ps[i];
            if (send_update(p, w->first + i, p->next_seq, cfg->batch) != 0) {
                ready_push(&st, i); //  try it again after the wait
                break;
            }
            p->sent_at[p->next_seq % (uint64_t)window] = rate > 0 ? due : now;
            p->next_seq++;
            if (++p->inflight < window)
                ready_push(&st, i);
            check_later(&st, i);
            sent += cfg->batch;
            st.outstanding++;
        }
        if (timer >= 0 && next_due) {
            struct itimerspec at = {
                .it_value = {.tv_sec = next_due / 1000000000LL, .tv_nsec = next_due % 1000000000LL}};
            timerfd_settime(timer, TFD_TIMER_ABSTIME, &at, NULL);
        }
        if (wait_and_drain(&st, ep, timer, 100) != 0)
            break;
    }
    w->cpu_wait_s += thread_cpu_wait();
    for (int i = 0; i < n; i++) {
        zmq_close(ps[i].sock);
        free(ps[i].sent_at);
    }
    free(ps);
    free(st.ready);
    free(st.queued);
    free(st.check);
    free(st.checking);
    close(ep);
    if (timer >= 0)
        close(timer);
    return NULL;
}

//  Memory shared with the worker processes (MAP_SHARED, survives fork).
typedef struct {
    worker_t workers[MAX_THREADS];
    pthread_barrier_t barrier; //  the workers and the main thread (process-shared)
    pthread_barrier_t done;    //  the processes, at the end
    int64_t start;             //  when the clock started
} shared_t;

static void *shared_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("cchc-bench: mmap");
        exit(1);
    }
    return p; //  zero-filled
}

static void shared_free(void *p, size_t size)
{
    munmap(p, size);
}

//  Run this process's workers (t % nprocs == proc) on threads and wait for them.
static void run_workers(worker_t *workers, int nthreads, int nprocs, int proc)
{
    pthread_t threads[MAX_THREADS];
    for (int t = proc; t < nthreads; t += nprocs)
        pthread_create(&threads[t], NULL, worker_main, &workers[t]);
    for (int t = proc; t < nthreads; t += nprocs)
        pthread_join(threads[t], NULL);
}

//  Register the ward, its units and tasks through one sender-less client.
static int setup_ward(void *zctx, const char *endpoint)
{
    cchc_client_t *client = cchc_client_new(zctx, endpoint);
    int rc = 0;
    for (int phase = 0; phase < 3 && rc == 0; phase++) {
        int n = phase == 0 ? 2 : phase == 1 ? UNITS : UNITS * TASKS_PER_UNIT;
        Cchc__Event *evs = calloc((size_t)n, sizeof(Cchc__Event));
        Cchc__Event **ptrs = calloc((size_t)n, sizeof(Cchc__Event *));
        Cchc__WardRegistered wr = CCHC__WARD_REGISTERED__INIT;
        Cchc__AreaDefined area = CCHC__AREA_DEFINED__INIT;
        Cchc__UnitRegistered *units = calloc(UNITS, sizeof(*units));
        Cchc__TaskAssigned *tasks = calloc((size_t)UNITS * TASKS_PER_UNIT, sizeof(*tasks));
        char(*codes)[24] = calloc((size_t)UNITS * TASKS_PER_UNIT, 24);
        char(*ucodes)[16] = calloc(UNITS, 16);
        for (int i = 0; i < n; i++) {
            cchc__event__init(&evs[i]);
            evs[i].ward = "BENCH";
            evs[i].actor = "ward";
            ptrs[i] = &evs[i];
            if (phase == 0 && i == 0) {
                wr.name = "Phường đo hiệu năng";
                wr.has_year = true;
                wr.year = 2026;
                evs[i].payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
                evs[i].ward_registered = &wr;
            } else if (phase == 0) {
                area.code = "A";
                area.name = "TTHC";
                area.has_weight = true;
                area.weight = 100;
                evs[i].payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
                evs[i].area_defined = &area;
            } else if (phase == 1) {
                cchc__unit_registered__init(&units[i]);
                snprintf(ucodes[i], 16, "U%02d", i);
                units[i].code = ucodes[i];
                units[i].name = ucodes[i];
                evs[i].payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
                evs[i].unit_registered = &units[i];
            } else {
                cchc__task_assigned__init(&tasks[i]);
                snprintf(codes[i], 24, "U%02d-T%02d", i / TASKS_PER_UNIT, i % TASKS_PER_UNIT);
                snprintf(ucodes[i / TASKS_PER_UNIT], 16, "U%02d", i / TASKS_PER_UNIT);
                tasks[i].code = codes[i];
                tasks[i].unit = ucodes[i / TASKS_PER_UNIT];
                tasks[i].area = "A";
                tasks[i].title = "Nhiệm vụ đo tải";
                tasks[i].has_due_date = true;
                tasks[i].due_date = 20261231;
                evs[i].payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
                evs[i].task_assigned = &tasks[i];
            }
        }
        Cchc__Submit s = CCHC__SUBMIT__INIT;
        s.n_events = (size_t)n;
        s.events = ptrs;
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
        env.submit = &s;
        cchc_decoded_t *reply = NULL;
        if (cchc_client_call(client, &env, 10000, false, &reply) != 0 ||
            cchc_decoded_env(reply)->body_case != CCHC__ENVELOPE__BODY_ACK ||
            cchc_decoded_env(reply)->ack->n_errors)
            rc = -1;
        cchc_decoded_destroy(&reply);
        free(evs);
        free(ptrs);
        free(units);
        free(tasks);
        free(codes);
        free(ucodes);
    }
    cchc_client_destroy(&client);
    return rc;
}

static int status(void *zctx, const char *endpoint, Cchc__Status *out)
{
    cchc_client_t *client = cchc_client_new(zctx, endpoint);
    Cchc__StatusQuery q = CCHC__STATUS_QUERY__INIT;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_STATUS_QUERY;
    env.status_query = &q;
    cchc_decoded_t *reply = NULL;
    int rc = -1;
    if (cchc_client_call(client, &env, 5000, true, &reply) == 0 &&
        cchc_decoded_env(reply)->body_case == CCHC__ENVELOPE__BODY_STATUS) {
        const Cchc__Status *s = cchc_decoded_env(reply)->status;
        out->commits = s->commits;
        out->committed_jobs = s->committed_jobs;
        out->accepted = s->accepted;
        out->head_seq = s->head_seq;
        out->busy = s->busy;
        rc = 0;
    }
    cchc_decoded_destroy(&reply);
    cchc_client_destroy(&client);
    return rc;
}

//  CPU time (user + system) a process used so far, in seconds.
static double cpu_seconds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long utime = 0, stime = 0;
    //  after "pid (comm) ": fields 3..13 skipped, 14 utime, 15 stime
    int ok = f && fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                         &stime) == 2;
    if (f)
        fclose(f);
    return ok ? (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK) : 0;
}

//  Per thread of a process: name, and time spent runnable but waiting for
//  a CPU (schedstat run_delay), summed by thread name.
#define MAX_NAMES 8
typedef struct {
    int n;
    char name[MAX_NAMES][20];
    double wait_s[MAX_NAMES];
    unsigned long waits[MAX_NAMES];
} sched_t;

static void sched_read(pid_t pid, sched_t *out)
{
    memset(out, 0, sizeof(*out));
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        char name[20] = "?", file[400];
        unsigned long long run = 0, delay = 0, slices = 0;
        snprintf(file, sizeof(file), "%s/%s/comm", path, de->d_name);
        FILE *f = fopen(file, "r");
        if (f && fgets(name, sizeof(name), f))
            name[strcspn(name, "\n")] = 0;
        if (f)
            fclose(f);
        snprintf(file, sizeof(file), "%s/%s/schedstat", path, de->d_name);
        f = fopen(file, "r");
        if (!f || fscanf(f, "%llu %llu %llu", &run, &delay, &slices) != 3)
            delay = slices = 0;
        if (f)
            fclose(f);
        int i = 0;
        while (i < out->n && strcmp(out->name[i], name))
            i++;
        if (i == out->n && out->n < MAX_NAMES)
            snprintf(out->name[out->n++], sizeof(out->name[0]), "%s", name);
        if (i < out->n) {
            out->wait_s[i] += delay / 1e9;
            out->waits[i] += slices;
        }
    }
    if (dir)
        closedir(dir);
}

//  Print after - before per thread name.
static void sched_print(const char *who, const sched_t *before, const sched_t *after)
{
    printf("%s threads runnable but waiting for a CPU:", who);
    for (int i = 0; i < after->n; i++) {
        double w = after->wait_s[i];
        for (int j = 0; j < before->n; j++)
            if (!strcmp(before->name[j], after->name[i]))
                w -= before->wait_s[j];
        if (w >= 0.0005) //  (threads that ended meanwhile would show a negative time)
            printf(" %s %.3f s;", after->name[i], w);
    }
    printf("\n");
}

//  Start a consumer service (scoring or notify) following intake.
static pid_t start_consumer(const char *bin, const char *dir, const char *name, int port, const char *intake,
                            int intake_pub)
{
    char a1[128], a2[128], a3[128], a4[300], a5[128];
    snprintf(a1, sizeof(a1), "--bind=tcp://127.0.0.1:%d", port);
    snprintf(a2, sizeof(a2), "--intake=%s", intake);
    snprintf(a3, sizeof(a3), "--intake_pub=tcp://127.0.0.1:%d", intake_pub);
    snprintf(a4, sizeof(a4), "--data_dir=%s/%s", dir, name);
    snprintf(a5, sizeof(a5), "--pub_bind=tcp://127.0.0.1:%d", bench_free_port());
    char log[400];
    snprintf(log, sizeof(log), "%s/%s.log", dir, name);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDERR_FILENO);
        if (!strcmp(name, "scoring"))
            execl(bin, bin, a1, a2, a3, a4, a5, "--log_format=json", (char *)NULL);
        else
            execl(bin, bin, a1, a2, a3, a4, "--channels=", "--log_format=json", (char *)NULL);
        _exit(127);
    }
    return pid;
}

//  The last seq a consumer has applied for ward BENCH (0 if it cannot say yet).
static uint64_t consumer_seq(cchc_client_t *client, bool scoring)
{
    Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT;
    Cchc__AlertQuery aq = CCHC__ALERT_QUERY__INIT;
    rq.ward = aq.ward = "BENCH";
    aq.has_limit = true;
    aq.limit = 1;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    if (scoring) {
        env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
        env.ranking_query = &rq;
    } else {
        env.body_case = CCHC__ENVELOPE__BODY_ALERT_QUERY;
        env.alert_query = &aq;
    }
    cchc_decoded_t *reply = NULL;
    uint64_t seq = 0;
    if (cchc_client_call(client, &env, 2000, true, &reply) == 0) {
        const Cchc__Envelope *r = cchc_decoded_env(reply);
        if (r->body_case == CCHC__ENVELOPE__BODY_RANKING)
            seq = r->ranking->last_seq;
        else if (r->body_case == CCHC__ENVELOPE__BODY_ALERT_LIST)
            seq = r->alert_list->last_seq;
    }
    cchc_decoded_destroy(&reply);
    return seq;
}

//  Log `count` progress updates before the load starts, in big batches
//  without a producer id: the backlog a consumer that fell behind must read.
static int preload(void *zctx, const char *endpoint, long count)
{
    enum { CHUNK = 500 };
    cchc_client_t *client = cchc_client_new(zctx, endpoint);
    static char units[CHUNK][16], tasks[CHUNK][24];
    Cchc__ProgressReported pr[CHUNK];
    Cchc__Event ev[CHUNK], *evs[CHUNK];
    int rc = client ? 0 : -1;
    for (long done = 0; done < count && rc == 0;) {
        int n = count - done < CHUNK ? (int)(count - done) : CHUNK;
        for (int i = 0; i < n; i++) {
            target((int)((done + i) % (UNITS * TASKS_PER_UNIT)), units[i], sizeof(units[i]), tasks[i],
                   sizeof(tasks[i]));
            cchc__progress_reported__init(&pr[i]);
            pr[i].task = tasks[i];
            pr[i].has_percent = true;
            pr[i].percent = (int)((done + i) % 100);
            cchc__event__init(&ev[i]);
            ev[i].ward = "BENCH";
            ev[i].actor = units[i];
            ev[i].payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
            ev[i].progress_reported = &pr[i];
            evs[i] = &ev[i];
        }
        Cchc__Submit s = CCHC__SUBMIT__INIT;
        s.n_events = (size_t)n;
        s.events = evs;
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
        env.submit = &s;
        cchc_decoded_t *reply = NULL;
        if (cchc_client_call(client, &env, 30000, false, &reply) != 0) {
            fprintf(stderr, "cchc-bench: preload: no reply from intake (%s)\n", strerror(errno));
            rc = -1;
        } else if (cchc_decoded_env(reply)->body_case != CCHC__ENVELOPE__BODY_ACK ||
                   cchc_decoded_env(reply)->ack->n_errors) {
            const Cchc__Envelope *r = cchc_decoded_env(reply);
            const Cchc__Error *e = r->body_case == CCHC__ENVELOPE__BODY_ERROR ? r->error
                                   : r->body_case == CCHC__ENVELOPE__BODY_ACK ? r->ack->errors[0]
                                                                              : NULL;
            fprintf(stderr, "cchc-bench: preload refused: %s\n", e && e->message_en ? e->message_en : "?");
            rc = -1;
        }
        cchc_decoded_destroy(&reply);
        done += n;
    }
    cchc_client_destroy(&client);
    return rc;
}

//  A consumer that fell behind: fetches from seq 1 to `until` with credit,
//  as fast as intake serves, while the load runs.
typedef struct {
    void *zctx;
    const char *endpoint;
    uint64_t until;
    uint64_t events;
    double seconds;
    int failed;
} catch_up_t;

static void *catch_up_main(void *arg)
{
    catch_up_t *c = arg;
    cchc_client_t *client = cchc_client_new(c->zctx, c->endpoint);
    int64_t t0 = bench_now_ns();
    uint64_t from = 1;
    while (client && from <= c->until) {
        Cchc__Fetch f = CCHC__FETCH__INIT;
        f.has_from_seq = f.has_credit = true;
        f.from_seq = from;
        f.credit = 5000;
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_FETCH;
        env.fetch = &f;
        cchc_decoded_t *reply = NULL;
        if (cchc_client_call(client, &env, 10000, true, &reply) != 0 ||
            cchc_decoded_env(reply)->body_case != CCHC__ENVELOPE__BODY_EVENT_BATCH ||
            cchc_decoded_env(reply)->event_batch->n_events == 0) {
            cchc_decoded_destroy(&reply);
            c->failed = 1;
            break;
        }
        const Cchc__EventBatch *b = cchc_decoded_env(reply)->event_batch;
        from = b->events[b->n_events - 1]->seq + 1;
        c->events += b->n_events;
        cchc_decoded_destroy(&reply);
    }
    c->seconds = (bench_now_ns() - t0) / 1e9;
    cchc_client_destroy(&client);
    return NULL;
}

int bench_ingest(int argc, char **argv, const char *bin_dir)
{
    config_t cfg = {.clients = 100, .inflight = 1, .batch = 1, .updates = 100000, .threads = MAX_THREADS};
    char intake_bin[PATH_MAX];
    snprintf(intake_bin, sizeof(intake_bin), "%s/../services/intake/cchc-intake", bin_dir);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--clients") && v)
            cfg.clients = atoi(argv[++i]);
        else if (!strcmp(a, "--inflight") && v)
            cfg.inflight = atoi(argv[++i]);
        else if (!strcmp(a, "--updates") && v)
            cfg.updates = atol(argv[++i]);
        else if (!strcmp(a, "--backlog") && v)
            cfg.backlog = atol(argv[++i]);
        else if (!strcmp(a, "--with-consumers"))
            cfg.with_consumers = true;
        else if (!strcmp(a, "--batch") && v)
            cfg.batch = atoi(argv[++i]);
        else if (!strcmp(a, "--rate") && v)
            cfg.rate = atof(argv[++i]);
        else if (!strcmp(a, "--threads") && v)
            cfg.threads = atoi(argv[++i]);
        else if (!strcmp(a, "--intake-bin") && v)
            snprintf(intake_bin, sizeof(intake_bin), "%s", argv[++i]);
        else {
            fprintf(
                stderr,
                "usage: cchc-bench ingest --clients N --inflight K --updates M [--batch B] [--rate R] "
                "[--threads T (1-4, default 4)] [--with-consumers] [--backlog EVENTS] [--intake-bin PATH]\n");
            return 2;
        }
    }
    if (cfg.clients < 1 || cfg.inflight < 1 || cfg.batch < 1 || cfg.batch > MAX_BATCH || cfg.threads < 1 ||
        cfg.threads > MAX_THREADS || cfg.updates < (long)cfg.clients * cfg.batch) {
        fprintf(
            stderr,
            "cchc-bench: need clients >= 1, inflight >= 1, 1 <= batch <= %d, 1 <= threads <= %d, updates >= "
            "clients x batch\n",
            MAX_BATCH, MAX_THREADS);
        return 2;
    }
    cfg.updates -= cfg.updates % ((long)cfg.clients * cfg.batch); //  whole submissions for everyone
    //  Each producer takes two descriptors here (its TCP connection and its
    //  socket's mailbox) and one in intake, which inherits this limit. Raise
    //  the hard limit too when allowed (root), else use what is allowed.
    struct rlimit files;
    rlim_t need = (rlim_t)cfg.clients * 2 + 1024;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
        struct rlimit more = {need, need > files.rlim_max ? need : files.rlim_max};
        if (files.rlim_cur >= need || setrlimit(RLIMIT_NOFILE, &more) != 0) {
            files.rlim_cur = files.rlim_max;
            setrlimit(RLIMIT_NOFILE, &files);
        }
        if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < need)
            fprintf(stderr, "cchc-bench: %d clients need %lu descriptors, the limit is %lu\n", cfg.clients,
                    (unsigned long)need, (unsigned long)files.rlim_cur);
    }
    char dir[] = "/tmp/cchc-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    int port = bench_free_port(), pub = bench_free_port();
    snprintf(cfg.endpoint, sizeof(cfg.endpoint), "tcp://127.0.0.1:%d", port);
    char a1[128], a2[128], a3[300];
    snprintf(a1, sizeof(a1), "--bind=%s", cfg.endpoint);
    snprintf(a2, sizeof(a2), "--pub_bind=tcp://127.0.0.1:%d", pub);
    snprintf(a3, sizeof(a3), "--data_dir=%s/intake", dir);
    pid_t pid = fork();
    if (pid == 0) {
        //  intake's log, for its ack_timing line at the end
        char log[PATH_MAX];
        snprintf(log, sizeof(log), "%s/intake.log", dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDERR_FILENO);
        execl(intake_bin, intake_bin, a1, a2, a3, "--clock=manual", "--log_format=json", (char *)NULL);
        _exit(127);
    }
    cfg.zctx = zmq_ctx_new();
    zmq_ctx_set(cfg.zctx, ZMQ_MAX_SOCKETS, cfg.clients + 64);
    pid_t scoring_pid = 0, notify_pid = 0;
    cchc_client_t *scoring = NULL, *notify = NULL;
    if (cfg.with_consumers) {
        char bin[PATH_MAX + 64], ep[64];
        int sp = bench_free_port(), np = bench_free_port();
        snprintf(bin, sizeof(bin), "%s/../services/scoring/cchc-scoring", bin_dir);
        scoring_pid = start_consumer(bin, dir, "scoring", sp, cfg.endpoint, pub);
        snprintf(bin, sizeof(bin), "%s/../services/notify/cchc-notify", bin_dir);
        notify_pid = start_consumer(bin, dir, "notify", np, cfg.endpoint, pub);
        snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", sp);
        scoring = cchc_client_new(cfg.zctx, ep);
        snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", np);
        notify = cchc_client_new(cfg.zctx, ep);
    }
    Cchc__Status st0 = CCHC__STATUS__INIT, st1 = CCHC__STATUS__INIT;
    int up = -1;
    for (int i = 0; i < 50 && up != 0; i++) {
        up = status(cfg.zctx, cfg.endpoint, &st0);
        if (up != 0)
            usleep(100000);
    }
    if (up != 0 || setup_ward(cfg.zctx, cfg.endpoint) != 0 ||
        (cfg.backlog > 0 && preload(cfg.zctx, cfg.endpoint, cfg.backlog) != 0) ||
        status(cfg.zctx, cfg.endpoint, &st0) != 0) {
        fprintf(stderr, "cchc-bench: intake did not start or refused the ward (%s)\n", intake_bin);
        kill(pid, SIGKILL);
        return 1;
    }

    catch_up_t catch_up_job = {.zctx = cfg.zctx, .endpoint = cfg.endpoint, .until = st0.head_seq};
    pthread_t catch_up_thread;
    if (cfg.backlog > 0)
        pthread_create(&catch_up_thread, NULL, catch_up_main, &catch_up_job);
    int nthreads = cfg.clients < cfg.threads ? cfg.clients : cfg.threads;
    //  One process may hold too few descriptors for every producer (two
    //  each): the workers are then spread over child processes, worker t in
    //  process t % nprocs, and report through shared memory.
    int nprocs = 1;
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
        while (nprocs < nthreads && (rlim_t)(cfg.clients / nprocs) * 2 + 1024 > lim.rlim_cur)
            nprocs++;
    shared_t *sh = shared_alloc(sizeof(*sh));
    worker_t *workers = sh->workers;
    pthread_barrierattr_t battr;
    pthread_barrierattr_init(&battr);
    pthread_barrierattr_setpshared(&battr, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->barrier, &battr, (unsigned)nthreads + 1);
    pthread_barrier_init(&sh->done, &battr, (unsigned)nprocs);
    pthread_barrierattr_destroy(&battr);
    int64_t connect_start = bench_now_ns();
    int first = 0;
    long assigned = 0;
    for (int t = 0; t < nthreads; t++) {
        int count = cfg.clients / nthreads + (t < cfg.clients % nthreads);
        long quota = t == nthreads - 1 ? cfg.updates - assigned : cfg.updates / cfg.clients * count;
        workers[t] = (worker_t){.cfg = &cfg,
                                .first = first,
                                .count = count,
                                .quota = quota,
                                .start = &sh->start,
                                .barrier = &sh->barrier};
        workers[t].latencies = shared_alloc(((size_t)quota + 1) * sizeof(int64_t));
        if (getenv("CCHC_BENCH_TRACE"))
            workers[t].sent = shared_alloc(((size_t)quota + 1) * sizeof(int64_t));
        first += count;
        assigned += quota;
    }
    pid_t procs[MAX_THREADS] = {0};
    for (int p = 1; p < nprocs; p++) {
        procs[p] = fork();
        if (procs[p] == 0) {
            //  a child: its own ZeroMQ context (the parent's does not survive fork)
            cfg.zctx = zmq_ctx_new();
            zmq_ctx_set(cfg.zctx, ZMQ_MAX_SOCKETS, cfg.clients + 64);
            run_workers(workers, nthreads, nprocs, p);
            pthread_barrier_wait(&sh->done); //  finished: the parent reads our CPU time
            pthread_barrier_wait(&sh->done); //  then lets us go
            zmq_ctx_term(cfg.zctx);
            _exit(0);
        }
    }
    pthread_t threads[MAX_THREADS];
    for (int t = 0; t < nthreads; t += nprocs)
        pthread_create(&threads[t], NULL, worker_main, &workers[t]);
    pthread_barrier_wait(&sh->barrier); //  every producer made its first round trip
    double connect_s = (bench_now_ns() - connect_start) / 1e9;
    double rss_connected = bench_status_mb(pid, "VmRSS:");
    double cpu0_bench = cpu_seconds(getpid()), cpu0_intake = cpu_seconds(pid);
    for (int p = 1; p < nprocs; p++)
        cpu0_bench += cpu_seconds(procs[p]);
    sched_t sched0_intake, sched0_bench, sched1_intake, sched1_bench;
    sched_read(pid, &sched0_intake);
    sched_read(getpid(), &sched0_bench);
    sh->start = bench_now_ns();
    int64_t start = sh->start;
    pthread_barrier_wait(&sh->barrier); //  go
    double peak_rss = 0;
    //  with consumers: sample their lag (events behind intake's head) while
    //  the load runs
    uint64_t max_lag = 0;
    long total_quota = cfg.updates;
    while (cfg.with_consumers) {
        long acked = 0;
        for (int t = 0; t < nthreads; t++)
            acked += workers[t].acked;
        if (acked >= total_quota)
            break;
        Cchc__Status now_st = CCHC__STATUS__INIT;
        uint64_t head = st0.head_seq, s_seq = consumer_seq(scoring, true),
                 n_seq = consumer_seq(notify, false);
        if (status(cfg.zctx, cfg.endpoint, &now_st) == 0)
            head = now_st.head_seq;
        uint64_t lag = head > (s_seq < n_seq ? s_seq : n_seq) ? head - (s_seq < n_seq ? s_seq : n_seq) : 0;
        if (s_seq && n_seq && lag > max_lag)
            max_lag = lag;
        usleep(200 * 1000);
    }
    for (int t = 0; t < nthreads; t += nprocs)
        pthread_join(threads[t], NULL);
    pthread_barrier_wait(&sh->done); //  the children's workers finished too
    double elapsed = (bench_now_ns() - start) / 1e9;
    double cpu_bench = cpu_seconds(getpid()) - cpu0_bench, cpu_intake = cpu_seconds(pid) - cpu0_intake;
    for (int p = 1; p < nprocs; p++)
        cpu_bench += cpu_seconds(procs[p]);
    sched_read(pid, &sched1_intake);
    sched_read(getpid(), &sched1_bench);
    double workers_wait = 0;
    for (int t = 0; t < nthreads; t++)
        workers_wait += workers[t].cpu_wait_s;
    pthread_barrier_wait(&sh->done);
    for (int p = 1; p < nprocs; p++)
        waitpid(procs[p], NULL, 0);
    pthread_barrier_destroy(&sh->barrier);
    pthread_barrier_destroy(&sh->done);
    if (cfg.backlog > 0)
        pthread_join(catch_up_thread, NULL);
    double catch_up = 0;
    if (cfg.with_consumers) {
        //  how long after the last ack both consumers have applied everything
        Cchc__Status end_st = CCHC__STATUS__INIT;
        status(cfg.zctx, cfg.endpoint, &end_st);
        int64_t t0 = bench_now_ns();
        while ((consumer_seq(scoring, true) < end_st.accepted ||
                consumer_seq(notify, false) < end_st.accepted) &&
               bench_now_ns() - t0 < 120000000000LL)
            usleep(10 * 1000);
        catch_up = (bench_now_ns() - t0) / 1e9;
    }
    peak_rss = bench_status_mb(pid, "VmHWM:");
    status(cfg.zctx, cfg.endpoint, &st1);

    long total = 0, busy = 0;
    for (int t = 0; t < nthreads; t++) {
        total += workers[t].acked;
        busy += workers[t].busy;
    }
    const char *trace_path = getenv("CCHC_BENCH_TRACE");
    FILE *trace = trace_path ? fopen(trace_path, "w") : NULL;
    for (int t = 0; t < nthreads && trace; t++)
        for (long i = 0; i < workers[t].acked; i++)
            fprintf(trace, "%d %.3f %.3f\n", t, workers[t].sent[i] / 1e6, workers[t].latencies[i] / 1e6);
    if (trace)
        fclose(trace);
    int64_t *all = calloc((size_t)total + 1, sizeof(int64_t));
    long k = 0;
    for (int t = 0; t < nthreads; t++) {
        memcpy(all + k, workers[t].latencies, (size_t)workers[t].acked * sizeof(int64_t));
        k += workers[t].acked;
        shared_free(workers[t].latencies, ((size_t)workers[t].quota + 1) * sizeof(int64_t));
        if (workers[t].sent)
            shared_free(workers[t].sent, ((size_t)workers[t].quota + 1) * sizeof(int64_t));
    }
    qsort(all, (size_t)total, sizeof(int64_t), bench_cmp_i64);
    double p50 = all[total / 2] / 1e6, p99 = all[(long)(total * 0.99)] / 1e6,
           p999 = all[(long)(total * 0.999)] / 1e6;
    uint64_t commits = st1.commits - st0.commits;
    uint64_t jobs = st1.committed_jobs - st0.committed_jobs;
    double mean_batch = commits ? (double)jobs / (double)commits : 0;
    free(all);
    shared_free(sh, sizeof(*sh));
    cchc_client_destroy(&scoring);
    cchc_client_destroy(&notify);
    pid_t children[3] = {notify_pid, scoring_pid, pid};
    for (int i = 0; i < 3; i++)
        if (children[i] > 0) {
            kill(children[i], SIGTERM);
            waitpid(children[i], NULL, 0);
        }
    zmq_ctx_term(cfg.zctx);
    //  intake's own account of where submissions spent their time
    char log[PATH_MAX], line[4096], timing[4096] = "";
    snprintf(log, sizeof(log), "%s/intake.log", dir);
    FILE *lf = fopen(log, "r");
    while (lf && fgets(line, sizeof(line), lf))
        if (strstr(line, "\"ack_timing\""))
            snprintf(timing, sizeof(timing), "%s", line);
    if (lf)
        fclose(lf);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (getenv("CCHC_BENCH_KEEP"))
        fprintf(stderr, "cchc-bench: kept %s\n", dir);
    else if (system(cmd) != 0)
        fprintf(stderr, "cchc-bench: could not remove %s\n", dir);

    printf("ingest: %d clients x %d in flight x %d updates per submission, %ld updates%s in %.2f s: %.0f "
           "acked/s\n",
           cfg.clients, cfg.inflight, cfg.batch, total, cfg.rate > 0 ? " (paced)" : "", elapsed,
           total / elapsed);
    printf("ack latency: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms; %llu commits, %.1f submissions per commit; "
           "%ld busy; intake peak RSS %.1f MB\n",
           p50, p99, p999, (unsigned long long)commits, mean_batch, busy, peak_rss);
    printf("connect: %d clients made their first round trip in %.2f s (intake RSS then %.1f MB); CPU during "
           "the load: intake %.2f s, cchc-bench %.2f s (%.0f%% and %.0f%% of one core)\n",
           cfg.clients, connect_s, rss_connected, cpu_intake, cpu_bench, 100 * cpu_intake / elapsed,
           100 * cpu_bench / elapsed);
    sched_print("intake's", &sched0_intake, &sched1_intake);
    sched_print(nprocs > 1 ? "cchc-bench's (first process)" : "cchc-bench's", &sched0_bench, &sched1_bench);
    printf("cchc-bench's %d workers runnable but waiting for a CPU: %.3f s in all\n", nthreads, workers_wait);
    if (*timing) {
        printf("intake's own timing, ms, set-up included:");
        static const char *const keys[] = {"received_to_ack",      "received_to_writer", "writer_queued",
                                           "writer_group",         "commit_to_loop",     "wal_checkpoint",
                                           "wal_checkpoint_inline"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            char key[64];
            snprintf(key, sizeof(key), "\"%s\":\"", keys[i]);
            const char *v = strstr(timing, key);
            if (v)
                printf("%s %s %.*s", i ? ";" : "", keys[i], (int)strcspn(v + strlen(key), "\""),
                       v + strlen(key));
        }
        printf("\n");
    }
    if (cfg.backlog > 0)
        printf("catch-up: fetched %llu events from seq 1 in %.2f s (%.0f events/s) while the load ran%s\n",
               (unsigned long long)catch_up_job.events, catch_up_job.seconds,
               catch_up_job.seconds > 0 ? catch_up_job.events / catch_up_job.seconds : 0,
               catch_up_job.failed ? " (FAILED)" : "");
    if (cfg.with_consumers)
        printf("consumers (scoring, notify): at most %llu events behind during the load; all applied %.3f s "
               "after the last ack\n",
               (unsigned long long)max_lag, catch_up);
    printf("{\"bench\":\"ingest\",\"clients\":%d,\"inflight\":%d,\"batch\":%d,\"updates\":%ld,\"rate\":%.0f,"
           "\"seconds\":%.3f,\"acked_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
           "\"mean_batch\":%.1f,\"busy\":%ld,\"rss_mb\":%.1f,\"consumer_max_lag_events\":%lld,"
           "\"consumer_catch_up_s\":%.3f,\"backlog\":%ld,\"backlog_fetch_per_s\":%.0f}\n",
           cfg.clients, cfg.inflight, cfg.batch, total, cfg.rate, elapsed, total / elapsed, p50, p99, p999,
           mean_batch, busy, peak_rss, cfg.with_consumers ? (long long)max_lag : -1LL,
           cfg.with_consumers ? catch_up : -1.0, cfg.backlog,
           cfg.backlog > 0 && catch_up_job.seconds > 0 ? catch_up_job.events / catch_up_job.seconds : 0);
    return catch_up_job.failed ? 1 : 0;
}
