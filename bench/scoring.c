/*  scoring.c - `cchc-bench scoring`: what an event costs scoring, how fast
    it folds a whole log, and how fast it is ready after a restart.

    In process (no ZeroMQ, no SQLite): U units in wards of P units (3 areas
    each), T tasks per unit with due dates spread over 2026, then a stream
    of N updates on random tasks (progress, submission, verification passed
    or failed; a bonus on a unit whose task is done) at a log time moving
    21.6 s per event (6 hours per 1,000 events: the stream crosses months of
    due dates), with a ClockAdvanced every 1,000 events as intake's tick.
    Every event goes the way cchc-scoring folds it: unpacked from its stored
    bytes, folded into the model (cchc_model_apply), noted in the ranking and
    the ranking updated, collecting the RankChanged list (cleared every
    1,000 events, a batch).
      - ns_per_event, events_per_s: fold + note + update (incremental
        re-evaluation and re-rank, changes) per update of the stream, without
        the unpack; the clock events of the stream are included.
      - replay_events_per_s: the whole log (registrations, assignments, the
        stream) from an empty model, unpack included: a replay from zero in
        process (SQLite reads and ZeroMQ fetches excluded).
    After each chunk (10,000 events) the changed model records are
    serialised and the changes numbered as output records and, unless
    --no-restart, written to scoring.db in one transaction, as the follower
    does after each batch (model_record with last_seq, score_change): the
    database of a cchc-scoring that followed this log. A real cchc-scoring
    is then started on it:
      - restart_s: from the fork to its first answer to a RankingQuery with
        the full ranking and the expected last_seq (load + rank_all).
      - rss_mb: the restarted cchc-scoring's resident memory once ready.
    End to end (unless --no-e2e; --e2e-only runs nothing else): a fresh
    cchc-intake (manual clock) and cchc-scoring (--scoring-bin) following
    it, a ward of 10 units; one appraisal per submission, paced at --rate
    (5,000/s) for --e2e-updates (20,000), each changing its unit's score;
    the time from each submission's Ack to the RankChanged carrying its seq
    on scoring's PUB (p50, p99), the CPU time each service used, then the
    services' own timing lines (intake's ack_timing, scoring's
    follow_timing). Their databases go under --e2e-dir (/tmp); --keep
    keeps them and the logs.
    Prints the figures and, as its last line, one JSON object.
*/
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "model.h"
#include "outlog.h"
#include "periods.h"
#include "ranking.h"
#include "rules.h"
#include "store.h"

#define CHUNK         10000 //  events packed, then unpacked and folded, at a time
#define BATCH         1000  //  events per batch (changes cleared, a clock tick)
#define AREAS         3
#define STEP_MS       21600LL //  log time per event of the stream
#define MAX_EVENT_LEN 512

typedef struct {
    long units, tasks_per_unit, units_per_ward, events;
    bool restart, keep, e2e, e2e_only;
    double rate;         //  e2e: submissions/s offered
    long e2e_updates;    //  e2e: submissions
    const char *e2e_dir; //  e2e: where the services' databases go
    const char *scoring_bin;
} params_t;

//  The log, generated chunk by chunk: packed events with their seq and time.
typedef struct {
    params_t p;
    long wards;
    uint64_t seq;
    int64_t now;
    uint8_t *phase; //  per task: 0 new, 1 in progress, 2 submitted, 3 done, 4 rework
    unsigned rng;
    //  a chunk of packed events
    uint8_t *buf;
    size_t *offs, *lens;
    size_t count, used;
} gen_t;

// ---------------------------------------------------------------------------
//  The log

static void gen_push(gen_t *g, Cchc__Event *ev, const char *ward, const char *actor)
{
    ev->ward = (char *)ward;
    ev->actor = (char *)actor;
    ev->has_seq = ev->has_log_time_ms = true;
    ev->seq = ++g->seq;
    ev->log_time_ms = g->now;
    size_t len = cchc__event__get_packed_size(ev);
    if (len > MAX_EVENT_LEN)
        abort();
    g->offs[g->count] = g->used;
    g->lens[g->count] = cchc__event__pack(ev, g->buf + g->used);
    g->used += len;
    g->count++;
}

static void ward_code(char *buf, size_t size, long w)
{
    snprintf(buf, size, "P%05ld", w);
}

static void unit_code(char *buf, size_t size, long u)
{
    snprintf(buf, size, "U%03ld", u);
}

static void task_code(char *buf, size_t size, long u, long t)
{
    snprintf(buf, size, "T%03ld-%03ld", u, t);
}

//  The setup of ward w: registration, areas, units and their tasks.
static void gen_ward(gen_t *g, long w)
{
    char ward[32], code[48], unit[24], area[8];
    ward_code(ward, sizeof(ward), w);
    Cchc__Event ev = CCHC__EVENT__INIT;
    Cchc__WardRegistered wr = CCHC__WARD_REGISTERED__INIT;
    wr.name = "Phường Thử Nghiệm";
    wr.has_year = true;
    wr.year = 2026;
    ev.payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
    ev.ward_registered = &wr;
    gen_push(g, &ev, ward, "ward");
    static const int weights[AREAS] = {30, 30, 40};
    static const char *names[AREAS] = {"Cải cách thể chế", "Cải cách thủ tục hành chính", "Chuyển đổi số"};
    for (int a = 0; a < AREAS; a++) {
        Cchc__AreaDefined ad = CCHC__AREA_DEFINED__INIT;
        snprintf(area, sizeof(area), "A%d", a + 1);
        ad.code = area;
        ad.name = (char *)names[a];
        ad.has_weight = true;
        ad.weight = weights[a];
        ev = (Cchc__Event)CCHC__EVENT__INIT;
        ev.payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
        ev.area_defined = &ad;
        gen_push(g, &ev, ward, "ward");
    }
    long first = w * g->p.units_per_ward, n = g->p.units_per_ward;
    if (first + n > g->p.units)
        n = g->p.units - first;
    for (long u = 0; u < n; u++) {
        Cchc__UnitRegistered ur = CCHC__UNIT_REGISTERED__INIT;
        unit_code(unit, sizeof(unit), u);
        ur.code = unit;
        ur.name = "Phòng Văn hóa - Xã hội";
        ur.head = "H";
        ev = (Cchc__Event)CCHC__EVENT__INIT;
        ev.payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
        ev.unit_registered = &ur;
        gen_push(g, &ev, ward, "ward");
    }
    for (long u = 0; u < n; u++) {
        unit_code(unit, sizeof(unit), u);
        for (long t = 0; t < g->p.tasks_per_unit; t++) {
            Cchc__TaskAssigned ta = CCHC__TASK_ASSIGNED__INIT;
            task_code(code, sizeof(code), u, t);
            snprintf(area, sizeof(area), "A%ld", t % AREAS + 1);
            ta.code = code;
            ta.unit = unit;
            ta.area = area;
            ta.title = "Rà soát, đơn giản hóa thủ tục hành chính";
            ta.has_due_date = ta.has_outputs_required = ta.has_factor_milli = true;
            //  Spread over 15/01 .. 25/12, shifted per unit.
            ta.due_date = cchc_date_add(20260115, (int32_t)((t * 344 / g->p.tasks_per_unit + u * 7) % 344));
            ta.outputs_required = 1;
            ta.factor_milli = 1000;
            ev = (Cchc__Event)CCHC__EVENT__INIT;
            ev.payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
            ev.task_assigned = &ta;
            gen_push(g, &ev, ward, "ward");
        }
    }
}

//  One update of the stream on a random task: the next step of its workflow.
static void gen_update(gen_t *g, long i)
{
    g->now += STEP_MS;
    Cchc__Event ev = CCHC__EVENT__INIT;
    if (i % BATCH == BATCH - 1) { //  intake's tick
        Cchc__ClockAdvanced c = CCHC__CLOCK_ADVANCED__INIT;
        ev.payload_case = CCHC__EVENT__PAYLOAD_CLOCK;
        ev.clock = &c;
        gen_push(g, &ev, "", "intake");
        return;
    }
    long gu = (long)(rand_r(&g->rng) % (unsigned)g->p.units);
    long t = (long)(rand_r(&g->rng) % (unsigned)g->p.tasks_per_unit);
    long w = gu / g->p.units_per_ward, u = gu % g->p.units_per_ward;
    char ward[32], unit[24], task[48];
    ward_code(ward, sizeof(ward), w);
    unit_code(unit, sizeof(unit), u);
    task_code(task, sizeof(task), u, t);
    uint8_t *ph = &g->phase[gu * g->p.tasks_per_unit + t];
    Cchc__ProgressReported pr = CCHC__PROGRESS_REPORTED__INIT;
    Cchc__SubmittedForVerification sv = CCHC__SUBMITTED_FOR_VERIFICATION__INIT;
    Cchc__Verified vf = CCHC__VERIFIED__INIT;
    Cchc__Adjustment ad = CCHC__ADJUSTMENT__INIT;
    switch (*ph) {
    case 0:
        pr.task = task;
        pr.has_percent = pr.has_outputs_done = true;
        pr.percent = 60;
        pr.outputs_done = 1;
        ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        ev.progress_reported = &pr;
        *ph = 1;
        gen_push(g, &ev, ward, unit);
        return;
    case 1:
    case 4:
        sv.task = task;
        ev.payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
        ev.submitted = &sv;
        *ph = 2;
        gen_push(g, &ev, ward, unit);
        return;
    case 2:
        vf.task = task;
        vf.has_passed = true;
        vf.passed = rand_r(&g->rng) % 5 != 0;
        ev.payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
        ev.verified = &vf;
        *ph = vf.passed ? 3 : 4;
        gen_push(g, &ev, ward, "ward");
        return;
    default:
        ad.unit = unit;
        ad.has_bonus_centi = true;
        ad.bonus_centi = 10;
        ad.reason = "Sáng kiến cải cách hành chính";
        ev.payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
        ev.adjustment = &ad;
        gen_push(g, &ev, ward, "ward");
        return;
    }
}

// ---------------------------------------------------------------------------
//  Folding

typedef struct {
    cchc_model_t *model;
    cchc_ranking_t *ranking;
    cchc_rank_changes_t changes;
    Cchc__Event **events; //  a chunk, unpacked
    sqlite3 *db;          //  scoring.db being written, or NULL
    sqlite3_stmt *append; //  its cached output-log INSERT
    cchc_record_set_t records;
    cchc_outrows_t rows;
    uint64_t out_seq;
    int64_t unpack_ns, fold_ns, records_ns, store_ns; //  CPU time
    int64_t fold_wall_ns;
    //  CPU time in the ranking alone (note + update) of the sampled events
    //  (one in RANK_SAMPLE: a clock read costs ~200 ns, as much as the work
    //  it would time), one clock read included in each.
    int64_t rank_cpu_ns;
    long rank_samples, folded, ignored, changes_total;
} fold_t;

#define RANK_SAMPLE 16

//  Unpack and fold the chunk in g, timing the two apart.
static void fold_chunk(fold_t *f, gen_t *g)
{
    int64_t t0 = bench_thread_cpu_ns();
    for (size_t i = 0; i < g->count; i++) {
        f->events[i] = cchc__event__unpack(NULL, g->lens[i], g->buf + g->offs[i]);
        if (!f->events[i])
            abort();
    }
    int64_t t1 = bench_thread_cpu_ns(), w1 = bench_now_ns();
    for (size_t i = 0; i < g->count; i++) {
        cchc_touch_t touch;
        if (cchc_model_apply(f->model, f->events[i], &touch) != 0)
            f->ignored++;
        bool sample = (f->folded + (long)i) % RANK_SAMPLE == 0;
        int64_t r0 = sample ? bench_thread_cpu_ns() : 0;
        cchc_ranking_note(f->ranking, &touch);
        cchc_ranking_update(f->ranking, f->model, f->events[i]->seq, &f->changes);
        if (sample) {
            f->rank_cpu_ns += bench_thread_cpu_ns() - r0;
            f->rank_samples++;
        }
    }
    int64_t t2 = bench_thread_cpu_ns(), w2 = bench_now_ns();
    for (size_t i = 0; i < g->count; i++)
        cchc__event__free_unpacked(f->events[i], NULL);
    //  As the follower after each batch (here a chunk): the changed model
    //  records serialised, the changes numbered as output records, both
    //  written in one transaction.
    int64_t t3 = bench_thread_cpu_ns();
    cchc_model_take_dirty(f->model, &f->records);
    for (size_t i = 0; i < f->changes.count; i++)
        cchc_outrows_add(&f->rows, ++f->out_seq, f->changes.items[i],
                         cchc_model_ward(f->model, f->changes.items[i]->ward), cchc_model_now(f->model),
                         f->changes.items[i]->seq, CCHC__CHANGE_CAUSE__CAUSE_LOG);
    f->changes_total += (long)f->changes.count;
    cchc_rank_changes_clear(&f->changes);
    int64_t t4 = bench_thread_cpu_ns();
    if (f->db &&
        (cchc_store_exec(f->db, "BEGIN IMMEDIATE") != 0 || cchc_record_set_save(&f->records, f->db) != 0 ||
         cchc_outlog_append(f->db, &f->append, &f->rows) != 0 || cchc_store_exec(f->db, "COMMIT") != 0))
        abort();
    cchc_record_set_reset(&f->records);
    cchc_outrows_clear(&f->rows);
    f->records_ns += t4 - t3;
    f->store_ns += bench_thread_cpu_ns() - t4;
    f->fold_wall_ns += w2 - w1;
    f->unpack_ns += t1 - t0;
    f->fold_ns += t2 - t1;
    f->folded += (long)g->count;
    g->count = g->used = 0;
}

// ---------------------------------------------------------------------------
//  Restart

//  Start cchc-scoring on dir and time it until it answers a RankingQuery for
//  the first ward with the whole ranking at last_seq. Returns seconds, or
//  -1; *rss gets its resident MB once ready.
static int stop(pid_t pid);

static double time_restart(const params_t *p, const char *dir, uint64_t last_seq, double *rss, double *hwm)
{
    int port = bench_free_port(), pub = bench_free_port(), intake = bench_free_port(),
        intake_pub = bench_free_port();
    char a1[64], a2[64], a3[64], a4[64], a5[PATH_MAX + 16], log[PATH_MAX + 16];
    snprintf(a1, sizeof(a1), "--bind=tcp://127.0.0.1:%d", port);
    snprintf(a2, sizeof(a2), "--pub_bind=tcp://127.0.0.1:%d", pub);
    snprintf(a3, sizeof(a3), "--intake=tcp://127.0.0.1:%d", intake); //  nothing there: no new event
    snprintf(a4, sizeof(a4), "--intake_pub=tcp://127.0.0.1:%d", intake_pub);
    snprintf(a5, sizeof(a5), "--data_dir=%s", dir);
    snprintf(log, sizeof(log), "%s/scoring.log", dir);
    int64_t t0 = bench_now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDERR_FILENO);
        execl(p->scoring_bin, p->scoring_bin, a1, a2, a3, a4, a5, "--log_format=json", (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        return -1;
    void *zctx = zmq_ctx_new();
    char endpoint[64];
    snprintf(endpoint, sizeof(endpoint), "tcp://127.0.0.1:%d", port);
    cchc_client_t *client = cchc_client_new(zctx, endpoint);
    double secs = -1;
    char ward[32];
    ward_code(ward, sizeof(ward), 0);
    while (secs < 0 && (bench_now_ns() - t0) < 120LL * 1000000000LL) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "cchc-bench: cchc-scoring exited (see %s)\n", log);
            pid = 0;
            break;
        }
        Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
        q.ward = ward;
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
        env.ranking_query = &q;
        cchc_decoded_t *reply = NULL;
        if (cchc_client_request(client, &env, 50, &reply) == 0) {
            const Cchc__Envelope *r = cchc_decoded_env(reply);
            if (r->body_case == CCHC__ENVELOPE__BODY_RANKING &&
                r->ranking->n_entries ==
                    (size_t)(p->units < p->units_per_ward ? p->units : p->units_per_ward) &&
                r->ranking->last_seq == last_seq)
                secs = (double)(bench_now_ns() - t0) / 1e9;
        } else {
            cchc_client_reconnect(client, NULL);
        }
        cchc_decoded_destroy(&reply);
    }
    cchc_client_destroy(&client);
    zmq_ctx_term(zctx);
    if (pid > 0) {
        *rss = bench_status_mb(pid, "VmRSS:");
        *hwm = bench_status_mb(pid, "VmHWM:");
        if (stop(pid) != 0) {
            fprintf(stderr, "cchc-bench: cchc-scoring did not stop cleanly (see %s)\n", log);
            secs = -1;
        }
    }
    return secs;
}

// ---------------------------------------------------------------------------
//  End to end: a submission's ack to the published rank change

static pid_t spawn(const char *bin, char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDERR_FILENO);
        execv(bin, argv);
        _exit(127);
    }
    return pid;
}

//  SIGTERM (SIGKILL after 10 s); returns 0 if the service stopped cleanly
//  (exit status 0: under ASan, also no leak).
static int stop(pid_t pid)
{
    int status = 0;
    if (pid <= 0)
        return -1;
    kill(pid, SIGTERM);
    pid_t w = 0;
    for (int i = 0; i < 100 && (w = waitpid(pid, &status, WNOHANG)) == 0; i++)
        usleep(100000);
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

#define E2E_UNITS 10

static bool has_input(void *sock)
{
    int events = 0;
    size_t len = sizeof(events);
    return zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN);
}

//  Wait until either socket has input or until deadline (monotonic ns),
//  without spinning: zmq_poll's timeout is in milliseconds, and the next
//  submission is due within 200 us at 5,000/s, so a zmq_poll loop spun one
//  of the two cores the services share. The deadline is a timerfd (to the
//  nanosecond, as in ingest.c). ZMQ_FD only signals edges: it is polled
//  only after ZMQ_EVENTS showed no input (which also resets it).
static void wait_input(void *a, void *b, int timer, int64_t deadline)
{
    if (has_input(a) || has_input(b) || deadline <= bench_now_ns())
        return;
    struct pollfd fds[3] = {
        {.fd = -1, .events = POLLIN}, {.fd = -1, .events = POLLIN}, {.fd = timer, .events = POLLIN}};
    size_t len = sizeof(int);
    zmq_getsockopt(a, ZMQ_FD, &fds[0].fd, &len);
    len = sizeof(int);
    zmq_getsockopt(b, ZMQ_FD, &fds[1].fd, &len);
    struct itimerspec at = {
        .it_value = {.tv_sec = deadline / 1000000000LL, .tv_nsec = deadline % 1000000000LL}};
    timerfd_settime(timer, TFD_TIMER_ABSTIME, &at, NULL);
    if (poll(fds, 3, -1) > 0 && (fds[2].revents & POLLIN)) {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof(expirations)) < 0)
            return; //  EAGAIN: re-armed meanwhile
    }
}

//  The ward E2E (one area, 10 units, a due-today task each so that the
//  units are rated) through intake; then one appraisal per submission at
//  rate/s, each changing its unit's score: the time from the Ack to the
//  RankChanged carrying that seq on scoring's PUB. Prints the figures.
static int bench_e2e(const char *bin_dir, const params_t *p, double *p50, double *p99)
{
    double rate = p->rate;
    long updates = p->e2e_updates;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/cchc-bench-e2e-XXXXXX", p->e2e_dir);
    if (!mkdtemp(dir))
        return -1;
    int ip = bench_free_port(), ipub = bench_free_port(), sp = bench_free_port(), spub = bench_free_port();
    char intake_bin[PATH_MAX + 64], scoring_bin[PATH_MAX + 64], a[10][PATH_MAX + 32], log[PATH_MAX + 32];
    snprintf(intake_bin, sizeof(intake_bin), "%s/../services/intake/cchc-intake", bin_dir);
    snprintf(scoring_bin, sizeof(scoring_bin), "%s", p->scoring_bin);
    snprintf(a[0], sizeof(a[0]), "--bind=tcp://127.0.0.1:%d", ip);
    snprintf(a[1], sizeof(a[1]), "--pub_bind=tcp://127.0.0.1:%d", ipub);
    snprintf(a[2], sizeof(a[2]), "--data_dir=%s/intake", dir);
    char *iargv[] = {intake_bin, a[0], a[1], a[2], "--clock=manual", "--log_format=json", NULL};
    snprintf(log, sizeof(log), "%s/intake.log", dir);
    pid_t intake = spawn(intake_bin, iargv, log);
    snprintf(a[3], sizeof(a[3]), "--bind=tcp://127.0.0.1:%d", sp);
    snprintf(a[4], sizeof(a[4]), "--pub_bind=tcp://127.0.0.1:%d", spub);
    snprintf(a[5], sizeof(a[5]), "--intake=tcp://127.0.0.1:%d", ip);
    snprintf(a[6], sizeof(a[6]), "--intake_pub=tcp://127.0.0.1:%d", ipub);
    snprintf(a[7], sizeof(a[7]), "--data_dir=%s/scoring", dir);
    char *sargv[] = {scoring_bin, a[3], a[4], a[5], a[6], a[7], "--log_format=json", NULL};
    snprintf(log, sizeof(log), "%s/scoring.log", dir);
    pid_t scoring = spawn(scoring_bin, sargv, log);

    void *zctx = zmq_ctx_new();
    char ep[64];
    snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", ip);
    int rc = -1, timer = -1;
    int64_t *ack_at = NULL, *change_at = NULL, *lat = NULL;
    uint64_t first_seq = 0;
    //  The ward, its area, units and a task due on the manual clock's day.
    {
        cchc_client_t *client = cchc_client_new(zctx, ep);
        enum { N = 2 + 2 * E2E_UNITS };
        Cchc__Event evs[N], *ptrs[N];
        Cchc__WardRegistered wr = CCHC__WARD_REGISTERED__INIT;
        Cchc__AreaDefined ad = CCHC__AREA_DEFINED__INIT;
        Cchc__UnitRegistered ur[E2E_UNITS];
        Cchc__TaskAssigned ta[E2E_UNITS];
        char codes[E2E_UNITS][16], tcodes[E2E_UNITS][16];
        wr.name = "Phường đo độ trễ";
        wr.has_year = true;
        wr.year = 2026;
        ad.code = "A1";
        ad.name = "Cải cách thủ tục hành chính";
        ad.has_weight = true;
        ad.weight = 100;
        for (int i = 0; i < N; i++) {
            cchc__event__init(&evs[i]);
            evs[i].ward = "E2E";
            evs[i].actor = "ward";
            ptrs[i] = &evs[i];
        }
        evs[0].payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
        evs[0].ward_registered = &wr;
        evs[1].payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
        evs[1].area_defined = &ad;
        for (int u = 0; u < E2E_UNITS; u++) {
            snprintf(codes[u], sizeof(codes[u]), "U%02d", u);
            snprintf(tcodes[u], sizeof(tcodes[u]), "T%02d", u);
            cchc__unit_registered__init(&ur[u]);
            ur[u].code = ur[u].name = codes[u];
            evs[2 + u].payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
            evs[2 + u].unit_registered = &ur[u];
            cchc__task_assigned__init(&ta[u]);
            ta[u].code = tcodes[u];
            ta[u].unit = codes[u];
            ta[u].area = "A1";
            ta[u].title = "Nhiệm vụ đo độ trễ";
            ta[u].has_due_date = true;
            ta[u].due_date = 20261231;
            evs[2 + E2E_UNITS + u].payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
            evs[2 + E2E_UNITS + u].task_assigned = &ta[u];
        }
        Cchc__Submit sub = CCHC__SUBMIT__INIT;
        sub.n_events = N;
        sub.events = ptrs;
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
        env.submit = &sub;
        cchc_decoded_t *reply = NULL;
        int ok = cchc_client_call(client, &env, 10000, false, &reply) == 0 &&
                 cchc_decoded_env(reply)->body_case == CCHC__ENVELOPE__BODY_ACK &&
                 cchc_decoded_env(reply)->ack->n_errors == 0;
        if (ok)
            first_seq = cchc_decoded_env(reply)->ack->seqs[N - 1] + 1;
        cchc_decoded_destroy(&reply);
        cchc_client_destroy(&client);
        if (!ok) {
            fprintf(stderr, "cchc-bench: e2e setup refused (see %s)\n", dir);
            goto out;
        }
    }
    //  Subscribe, and wait until scoring ranks the ward (a subscriber that
    //  joined late misses nothing of the load).
    void *sub = zmq_socket(zctx, ZMQ_SUB);
    snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", spub);
    zmq_connect(sub, ep);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "rank.E2E", 8);
    {
        char sep[64];
        snprintf(sep, sizeof(sep), "tcp://127.0.0.1:%d", sp);
        cchc_client_t *client = cchc_client_new(zctx, sep);
        bool ready = false;
        for (int i = 0; i < 200 && !ready; i++) {
            Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
            q.ward = "E2E";
            Cchc__Envelope env = CCHC__ENVELOPE__INIT;
            env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
            env.ranking_query = &q;
            cchc_decoded_t *reply = NULL;
            if (cchc_client_request(client, &env, 100, &reply) == 0 &&
                cchc_decoded_env(reply)->body_case == CCHC__ENVELOPE__BODY_RANKING &&
                cchc_decoded_env(reply)->ranking->n_entries == E2E_UNITS)
                ready = true;
            else
                usleep(50000);
            cchc_decoded_destroy(&reply);
        }
        cchc_client_destroy(&client);
        if (!ready) {
            fprintf(stderr, "cchc-bench: scoring did not rank the ward (see %s)\n", dir);
            zmq_close(sub);
            goto out;
        }
    }
    usleep(200000); //  the subscription reaches scoring's PUB
    void *dealer = zmq_socket(zctx, ZMQ_DEALER);
    snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", ip);
    zmq_connect(dealer, ep);
    ack_at = calloc((size_t)updates, sizeof(int64_t));
    change_at = calloc((size_t)updates, sizeof(int64_t));
    lat = calloc((size_t)updates, sizeof(int64_t));
    timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer < 0)
        goto out_socks;
    int64_t t0 = bench_now_ns(), period = (int64_t)(1e9 / rate);
    long sent = 0, acked = 0, seen = 0;
    int32_t last_score[E2E_UNITS] = {0};
    while ((sent < updates || acked < updates || seen < updates) &&
           bench_now_ns() - t0 < (int64_t)(updates / rate * 1e9) + 5000000000LL) {
        int64_t now = bench_now_ns();
        while (sent < updates && now >= t0 + sent * period) {
            int u = (int)(sent % E2E_UNITS);
            Cchc__AppraisalRecorded ap = CCHC__APPRAISAL_RECORDED__INIT;
            char code[16];
            snprintf(code, sizeof(code), "U%02d", u);
            ap.unit = code;
            ap.has_score_centi = true;
            ap.score_centi = (int32_t)((sent * 7919 + 1) % 10001);
            if (ap.score_centi == last_score[u])
                ap.score_centi = (ap.score_centi + 1) % 10001;
            last_score[u] = ap.score_centi;
            Cchc__Event ev = CCHC__EVENT__INIT, *evp = &ev;
            ev.ward = "E2E";
            ev.actor = "ward";
            ev.payload_case = CCHC__EVENT__PAYLOAD_APPRAISAL;
            ev.appraisal = &ap;
            Cchc__Submit s = CCHC__SUBMIT__INIT;
            s.n_events = 1;
            s.events = &evp;
            Cchc__Envelope env = CCHC__ENVELOPE__INIT;
            env.has_request_id = true;
            env.request_id = (uint64_t)sent + 1;
            env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
            env.submit = &s;
            zmq_msg_t msg;
            if (cchc_encode(&env, &msg) != 0 || zmq_msg_send(&msg, dealer, 0) < 0)
                goto out_socks;
            sent++;
        }
        wait_input(dealer, sub, timer, sent < updates ? t0 + sent * period : now + 10000000);
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        while (zmq_msg_recv(&msg, dealer, ZMQ_DONTWAIT) >= 0) {
            int64_t at = bench_now_ns();
            cchc_decoded_t *d = NULL;
            uint64_t rid;
            cchc_err_t err;
            if (cchc_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 20, &d, &rid, &err) == 0 &&
                cchc_decoded_env(d)->body_case == CCHC__ENVELOPE__BODY_ACK &&
                cchc_decoded_env(d)->ack->n_seqs == 1) {
                uint64_t seq = cchc_decoded_env(d)->ack->seqs[0];
                if (seq >= first_seq && seq < first_seq + (uint64_t)updates && !ack_at[seq - first_seq]) {
                    ack_at[seq - first_seq] = at;
                    acked++;
                }
            }
            cchc_decoded_destroy(&d);
        }
        while (zmq_msg_recv(&msg, sub, ZMQ_DONTWAIT) >= 0) { //  topic, then the envelope
            int64_t at = bench_now_ns();
            if (!zmq_msg_more(&msg))
                continue;
            if (zmq_msg_recv(&msg, sub, 0) < 0)
                break;
            cchc_decoded_t *d = NULL;
            uint64_t rid;
            cchc_err_t err;
            if (cchc_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 20, &d, &rid, &err) == 0 &&
                cchc_decoded_env(d)->body_case == CCHC__ENVELOPE__BODY_RANK_CHANGED) {
                uint64_t seq = cchc_decoded_env(d)->rank_changed->seq;
                if (seq >= first_seq && seq < first_seq + (uint64_t)updates && !change_at[seq - first_seq]) {
                    change_at[seq - first_seq] = at;
                    seen++;
                }
            }
            cchc_decoded_destroy(&d);
        }
        zmq_msg_close(&msg);
    }
    double cpu_intake = bench_cpu_s(intake), cpu_scoring = bench_cpu_s(scoring);
    long n = 0, early = 0;
    for (long i = 0; i < updates; i++)
        if (ack_at[i] && change_at[i]) {
            lat[n++] = change_at[i] - ack_at[i];
            early += change_at[i] < ack_at[i];
        }
    qsort(lat, (size_t)n, sizeof(*lat), bench_cmp_i64);
    *p50 = n ? lat[n / 2] / 1e6 : -1;
    *p99 = n ? lat[(size_t)((double)n * 0.99)] / 1e6 : -1;
    printf(
        "e2e: %ld appraisals offered at %.0f/s, %ld acked, %ld rank changes seen on PUB; from the ack to the "
        "RankChanged: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%ld changes arrived before their ack)\n",
        updates, rate, acked, seen, *p50, *p99, n ? lat[n - 1] / 1e6 : -1, early);
    printf("e2e: CPU used by cchc-intake %.2f s, by cchc-scoring %.2f s (start included)\n", cpu_intake,
           cpu_scoring);
    rc = acked == updates && seen == updates ? 0 : -1;
out_socks:
    zmq_close(dealer);
    zmq_close(sub);
out:
    if (timer >= 0)
        close(timer);
    if (stop(scoring) != 0 || stop(intake) != 0) {
        fprintf(stderr, "cchc-bench: a service did not stop cleanly\n");
        rc = -1;
    }
    zmq_ctx_term(zctx);
    free(ack_at);
    free(change_at);
    free(lat);
    //  Where the time went, in the services' own accounts (logged at stop).
    for (int i = 0; i < 2; i++) {
        char line[4096];
        snprintf(log, sizeof(log), "%s/%s.log", dir, i ? "scoring" : "intake");
        FILE *lf = fopen(log, "r");
        while (lf && fgets(line, sizeof(line), lf))
            if (strstr(line, i ? "follow_timing" : "ack_timing"))
                printf("e2e, %s's own account: %s", i ? "cchc-scoring" : "cchc-intake", line);
        if (lf)
            fclose(lf);
    }
    if (rc == 0 && !p->keep) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            rc = -1;
    } else {
        fprintf(stderr, "cchc-bench: e2e databases and logs kept in %s\n", dir);
    }
    return rc;
}

// ---------------------------------------------------------------------------

int bench_scoring(int argc, char **argv, const char *bin_dir)
{
    params_t p = {.units = 20000,
                  .tasks_per_unit = 100,
                  .units_per_ward = 10,
                  .events = 1000000,
                  .restart = true,
                  .e2e = true,
                  .rate = 5000,
                  .e2e_updates = 20000,
                  .e2e_dir = "/tmp"};
    char scoring_bin[PATH_MAX];
    snprintf(scoring_bin, sizeof(scoring_bin), "%s/../services/scoring/cchc-scoring", bin_dir);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--units") && v)
            p.units = atol(argv[++i]);
        else if (!strcmp(a, "--tasks-per-unit") && v)
            p.tasks_per_unit = atol(argv[++i]);
        else if (!strcmp(a, "--units-per-ward") && v)
            p.units_per_ward = atol(argv[++i]);
        else if (!strcmp(a, "--events") && v)
            p.events = atol(argv[++i]);
        else if (!strcmp(a, "--no-restart"))
            p.restart = false;
        else if (!strcmp(a, "--keep"))
            p.keep = true;
        else if (!strcmp(a, "--no-e2e"))
            p.e2e = false;
        else if (!strcmp(a, "--e2e-only"))
            p.e2e_only = true;
        else if (!strcmp(a, "--e2e-dir") && v)
            p.e2e_dir = argv[++i];
        else if (!strcmp(a, "--rate") && v)
            p.rate = atof(argv[++i]);
        else if (!strcmp(a, "--e2e-updates") && v)
            p.e2e_updates = atol(argv[++i]);
        else if (!strcmp(a, "--scoring-bin") && v)
            snprintf(scoring_bin, sizeof(scoring_bin), "%s", argv[++i]);
        else {
            fprintf(stderr,
                    "usage: cchc-bench scoring [--units U] [--tasks-per-unit T] [--units-per-ward P] "
                    "[--events N] [--no-restart] [--keep] [--scoring-bin PATH] [--no-e2e | --e2e-only] "
                    "[--rate R] [--e2e-updates N] [--e2e-dir DIR]\n");
            return 2;
        }
    }
    if (p.units < 1 || p.tasks_per_unit < 1 || p.units_per_ward < 1 || p.units_per_ward > 999 ||
        p.tasks_per_unit > 999 || p.events < 0) {
        fprintf(stderr,
                "cchc-bench: need units >= 1, 1 <= tasks-per-unit <= 999, 1 <= units-per-ward <= 999\n");
        return 2;
    }
    p.scoring_bin = scoring_bin;
    setvbuf(stdout, NULL, _IOLBF, 0); //  progress as it comes, also into a file
    if (p.e2e_only) {
        double p50 = -1, p99 = -1;
        int rc = p.rate > 0 && p.e2e_updates > 0 ? bench_e2e(bin_dir, &p, &p50, &p99) : 2;
        printf("{\"bench\":\"scoring\",\"e2e_rate\":%.0f,\"e2e_updates\":%ld,\"e2e_p50_ms\":%.2f,"
               "\"e2e_p99_ms\":%.2f}\n",
               p.rate, p.e2e_updates, p50, p99);
        return rc == 0 ? 0 : 1;
    }
    cchc_log_init("bench", CCHC_WARN, "text"); //  an ignored event is reported on stderr

    gen_t g = {.p = p, .rng = 20261201};
    g.wards = (p.units + p.units_per_ward - 1) / p.units_per_ward;
    g.now = cchc_date_start_ms(20260102) + 9 * 3600 * 1000LL;
    g.phase = calloc((size_t)(p.units * p.tasks_per_unit), 1);
    g.buf = malloc((size_t)CHUNK * MAX_EVENT_LEN);
    g.offs = malloc(CHUNK * sizeof(size_t));
    g.lens = malloc(CHUNK * sizeof(size_t));
    cchc_rules_t rules;
    cchc_rules_default(&rules);
    fold_t f = {.model = cchc_model_new(), .ranking = cchc_ranking_new(&rules)};
    f.events = malloc(CHUNK * sizeof(*f.events));
    if (!g.phase || !g.buf || !g.offs || !g.lens || !f.events)
        abort();

    char dir[] = "/tmp/cchc-bench-scoring-XXXXXX";
    if (p.restart) {
        if (!mkdtemp(dir))
            return 1;
        char path[PATH_MAX], err[512];
        snprintf(path, sizeof(path), "%s/scoring.db", dir);
        const char *migrations[8] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION};
        for (int i = 0; i < cchc_outlog_migration_count; i++)
            migrations[2 + i] = cchc_outlog_migrations[i];
        f.db = cchc_store_open(path, migrations, 2 + cchc_outlog_migration_count, err, sizeof(err));
        if (!f.db) {
            fprintf(stderr, "cchc-bench: %s\n", err);
            return 1;
        }
    }

    //  The setup: wards, areas, units, tasks, assigned on 02/01.
    for (long w = 0; w < g.wards; w++) {
        gen_ward(&g, w);
        if (g.count + (size_t)(p.units_per_ward * (p.tasks_per_unit + 1) + AREAS + 1) > CHUNK)
            fold_chunk(&f, &g);
    }
    fold_chunk(&f, &g);
    long setup_events = f.folded;
    int64_t setup_ns = f.unpack_ns + f.fold_ns;
    double setup_rss = bench_status_mb(getpid(), "VmRSS:");
    printf("setup: %ld wards, %ld units, %ld tasks: %ld events folded in %.2f s (%.0f events/s)\n", g.wards,
           p.units, p.units * p.tasks_per_unit, setup_events, setup_ns / 1e9,
           setup_events / (setup_ns / 1e9));

    //  The stream of updates, from 01/02 09:00.
    g.now = cchc_date_start_ms(20260201) + 9 * 3600 * 1000LL;
    int64_t fold_before = f.fold_ns, unpack_before = f.unpack_ns, wall_before = f.fold_wall_ns;
    int64_t rank_before = f.rank_cpu_ns;
    long samples_before = f.rank_samples;
    long changes_before = f.changes_total;
    cchc_ranking_stats_t st0, st1;
    cchc_ranking_stats(f.ranking, &st0);
    for (long i = 0; i < p.events; i++) {
        gen_update(&g, i);
        if (g.count == CHUNK)
            fold_chunk(&f, &g);
    }
    fold_chunk(&f, &g);
    int64_t stream_fold_ns = f.fold_ns - fold_before, stream_unpack_ns = f.unpack_ns - unpack_before;
    double ns_per_event = p.events ? (double)stream_fold_ns / (double)p.events : 0;
    double wall_ns_per_event = p.events ? (double)(f.fold_wall_ns - wall_before) / (double)p.events : 0;
    cchc_ranking_stats(f.ranking, &st1);
    double events_per_s = stream_fold_ns ? p.events / (stream_fold_ns / 1e9) : 0;
    double replay_per_s = f.folded / ((f.unpack_ns + f.fold_ns) / 1e9);
    double bench_rss = bench_status_mb(getpid(), "VmRSS:");
    char day[16];
    cchc_date_format(cchc_date_of_ms(cchc_model_now(f.model)), day, sizeof(day));
    printf("stream: %ld updates to %s: %.0f ns CPU per event (fold + re-rank; %.0f ns wall), %.0f events/s; "
           "unpack %.0f ns per event; %ld rank changes (%.2f per event)\n",
           p.events, day, ns_per_event, wall_ns_per_event, events_per_s,
           p.events ? (double)stream_unpack_ns / p.events : 0, f.changes_total - changes_before,
           p.events ? (double)(f.changes_total - changes_before) / p.events : 0);
    //  The cost of a clock read (one per sampled ranking), subtracted.
    int64_t c0 = bench_thread_cpu_ns();
    for (int i = 0; i < 100000; i++)
        (void)bench_thread_cpu_ns();
    double clock_ns = (double)(bench_thread_cpu_ns() - c0) / 100000;
    long samples = f.rank_samples - samples_before;
    double rank_ns_per_event = samples ? (double)(f.rank_cpu_ns - rank_before) / samples - clock_ns : 0;
    if (p.events)
        printf("stream, ranking alone (note + incremental update + re-rank + changes): %.0f ns CPU per event "
               "(timed on 1 event in %d; a clock read, %.0f ns, subtracted); the rest is the model's fold "
               "(cchc_model_apply)\n",
               rank_ns_per_event, RANK_SAMPLE, clock_ns);
    if (p.events)
        printf("stream, per event: %.2f task parts computed, %.2f units re-evaluated, %.2f deadlines popped, "
               "%.2f ranking positions walked\n",
               (double)(st1.parts - st0.parts) / p.events, (double)(st1.units - st0.units) / p.events,
               (double)(st1.deadlines - st0.deadlines) / p.events,
               (double)(st1.walked - st0.walked) / p.events);
    printf("replay: %ld events from an empty model in %.2f s: %.0f events/s (unpack + fold + re-rank)\n",
           f.folded, (f.unpack_ns + f.fold_ns) / 1e9, replay_per_s);
    printf("memory: bench %.0f MB after setup, %.0f MB after the stream (model + ranking + generator)\n",
           setup_rss, bench_rss);
    if (f.ignored) {
        fprintf(stderr, "cchc-bench: %ld events were refused by the model: the generator is wrong\n",
                f.ignored);
        return 1;
    }

    //  The end of a month: every ward's month (and, at a quarter's end, the
    //  quarter's) ranking evaluated and packed as cchc-scoring does before
    //  folding the event that crosses it (periods.h), on its loop thread.
    cchc_period_rows_t period_rows = {0};
    int64_t boundary = cchc_period_next_boundary(cchc_model_now(f.model));
    int64_t w0 = bench_now_ns();
    size_t frozen = cchc_periods_freeze(&rules, f.model, NULL, boundary, &period_rows);
    double freeze_ms = (bench_now_ns() - w0) / 1e6;
    size_t frozen_bytes = 0;
    for (size_t i = 0; i < period_rows.count; i++)
        frozen_bytes += period_rows.items[i].len;
    cchc_period_rows_free(&period_rows);
    printf("period end: %zu rankings frozen (%zu KB packed) in %.0f ms\n", frozen, frozen_bytes / 1024,
           freeze_ms);

    double restart_s = -1, rss = -1, hwm = -1;
    uint64_t last_seq = cchc_model_last_seq(f.model);
    int rc = 0;
    printf("records: %.0f ns per event to serialise the changed model records and number the output records "
           "(per chunk of %d)",
           (double)f.records_ns / f.folded, CHUNK);
    if (p.restart) {
        cchc_store_close(&f.db);
        printf("; %.0f ns per event to write them (SQLite, one transaction per chunk)",
               (double)f.store_ns / f.folded);
    }
    printf("\n");
    cchc_ranking_destroy(&f.ranking);
    cchc_model_destroy(&f.model);
    cchc_rank_changes_free(&f.changes);
    cchc_record_set_clear(&f.records);
    cchc_outrows_free(&f.rows);
    free(f.events);
    free(g.phase);
    free(g.buf);
    free(g.offs);
    free(g.lens);
    if (p.restart && rc == 0) {
        restart_s = time_restart(&p, dir, last_seq, &rss, &hwm);
        printf("restart: cchc-scoring answered the first ranking after %.2f s; RSS %.0f MB (peak %.0f MB)\n",
               restart_s, rss, hwm);
        char log[PATH_MAX + 16], line[1024];
        snprintf(log, sizeof(log), "%s/scoring.log", dir);
        FILE *lf = fopen(log, "r");
        while (lf && fgets(line, sizeof(line), lf))
            if (strstr(line, "start_timing"))
                printf("restart, cchc-scoring's own account: %s", line);
        if (lf)
            fclose(lf);
        if (restart_s < 0)
            rc = 1;
    }
    if (p.restart && p.keep) {
        printf("kept: %s (scoring.db, scoring.log)\n", dir);
    } else if (p.restart) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            rc = 1;
    }
    double e2e_p50 = -1, e2e_p99 = -1;
    if (p.e2e && p.rate > 0 && p.e2e_updates > 0 && bench_e2e(bin_dir, &p, &e2e_p50, &e2e_p99) != 0)
        rc = 1;
    printf(
        "{\"bench\":\"scoring\",\"units\":%ld,\"tasks\":%ld,\"units_per_ward\":%ld,\"events\":%ld,"
        "\"events_per_s\":%.0f,\"ns_per_event\":%.0f,\"ns_per_event_wall\":%.0f,\"rank_ns_per_event\":%.0f,"
        "\"replay_events_per_s\":%.0f,\"replay\":\"in-process\",\"restart_s\":%.2f,\"rss_mb\":%.0f,"
        "\"rss_peak_mb\":%.0f,\"bench_rss_mb\":%.0f,\"period_freeze_ms\":%.0f,\"e2e_rate\":%.0f,\"e2e_p50_"
        "ms\":%.2f,\"e2e_p99_ms\":%."
        "2f}\n",
        p.units, p.units * p.tasks_per_unit, p.units_per_ward, p.events, events_per_s, ns_per_event,
        wall_ns_per_event, rank_ns_per_event, replay_per_s, restart_s, rss, hwm, bench_rss, freeze_ms,
        p.e2e ? p.rate : 0, e2e_p50, e2e_p99);
    return rc;
}
