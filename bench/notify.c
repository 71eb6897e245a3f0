/*  notify.c - `cchc-bench notify --tasks N`: what notify's decisions cost at
    the scale of a province or the country, in process (no sockets).

    Builds a ward model the way notify folds it (cchc_model_apply of the
    registration events): N tasks (default 2,000,000) in wards of
    --tasks-per-ward (600) tasks, 6 units each (a head and a staff member per
    unit, two vice-chairmen, a Chairman). Due dates are spread over 100 days
    from 01/03/2026, so each day 1 % of the tasks reach their D-7 reminder.
    Then, with notify's own parts (alerts.c, schedule.c, outbox.c):

      schedule   every task decided at 01/01/2026 09:00 (as at a start) and
                 put in the timer heap
      idle tick  a clock event on 21/02/2026 09:00 at which nothing comes due:
                 model fold + heap check (must not depend on N)
      tick       a clock event on 22/02/2026 09:00 at which 1 % of the tasks
                 come due: model fold, heap pops, deciding those tasks
                 (lead official and head: two reminders each) and setting
                 their next instant  -> tick_ms
      outbox     the alerts of that tick inserted into a fresh outbox
                 (cchc_store_open: WAL, synchronous=FULL) in one transaction,
                 as notify's writer does -> insert_ms
      alerts_per_s = alerts / (tick_ms + insert_ms)

    The owner of everything here is the benchmark; the model, the heap, the
    key map, the alerts and the temporary database are freed or removed
    before it returns. The last line printed is one JSON object.
*/
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "bench.h"
#include "clock.h"
#include "log.h"
#include "model.h"
#include "outbox.h"
#include "schedule.h"
#include "store.h"
#include "strmap.h"

#define UNITS 6

typedef struct {
    cchc_model_t *model;
    uint64_t seq;
    cchc_strmap_t *keys; //  every key decided (notify's keys map)
    cchc_alert_t **alerts;
    size_t nalerts, cap;
} bench_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t at9(int32_t date)
{
    return cchc_date_start_ms(date) + 9 * 3600 * 1000LL;
}

//  Fold one event at log time when, as notify's follower does after intake
//  accepted it.
static void apply(bench_t *b, Cchc__Event *ev, int64_t when, cchc_touch_t *touch)
{
    ev->has_seq = ev->has_log_time_ms = true;
    ev->seq = ++b->seq;
    ev->log_time_ms = when;
    if (cchc_model_apply(b->model, ev, touch) != 0) {
        fprintf(stderr, "bench notify: event %llu did not apply\n", (unsigned long long)ev->seq);
        abort();
    }
}

static Cchc__Event event(const char *ward, const char *actor)
{
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)ward;
    ev.actor = (char *)actor;
    return ev;
}

static void official(bench_t *b, const char *ward, const char *code, const char *name, const char *unit,
                     Cchc__OfficialRole role, int64_t when)
{
    Cchc__OfficialRegistered o = CCHC__OFFICIAL_REGISTERED__INIT;
    o.code = (char *)code;
    o.full_name = (char *)name;
    o.title = "Cán bộ";
    o.unit = (char *)unit;
    o.has_role = true;
    o.role = role;
    Cchc__Event ev = event(ward, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED;
    ev.official_registered = &o;
    apply(b, &ev, when, NULL);
}

static const char *const unit_codes[UNITS] = {"VP", "KT", "VHXH", "TTPV", "DVSN", "CA"};

//  One ward "W000123" with ntasks tasks; task k (global index first + k) is
//  due on 01/03/2026 + (first + k) % 100.
static void ward_build(bench_t *b, size_t w, size_t first, size_t ntasks, int64_t when)
{
    char ward[32], name[64];
    snprintf(ward, sizeof(ward), "W%06zu", w);
    snprintf(name, sizeof(name), "Phường số %zu", w);
    Cchc__WardRegistered wr = CCHC__WARD_REGISTERED__INIT;
    wr.name = name;
    wr.has_year = true;
    wr.year = 2026;
    Cchc__Event ev = event(ward, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
    ev.ward_registered = &wr;
    apply(b, &ev, when, NULL);

    Cchc__AreaDefined a = CCHC__AREA_DEFINED__INIT;
    a.code = "A1";
    a.name = "Cải cách thủ tục hành chính";
    a.has_weight = true;
    a.weight = 100;
    ev = event(ward, "ward");
    ev.payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
    ev.area_defined = &a;
    apply(b, &ev, when, NULL);

    char head[UNITS][16], staff[UNITS][16];
    for (int u = 0; u < UNITS; u++) {
        snprintf(head[u], sizeof(head[u]), "H_%s", unit_codes[u]);
        snprintf(staff[u], sizeof(staff[u]), "S_%s", unit_codes[u]);
        Cchc__UnitRegistered ur = CCHC__UNIT_REGISTERED__INIT;
        ur.code = (char *)unit_codes[u];
        ur.name = (char *)unit_codes[u];
        ur.head = head[u];
        ur.vice_chairman = u < UNITS / 2 ? "PCT1" : "PCT2";
        ev = event(ward, "ward");
        ev.payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
        ev.unit_registered = &ur;
        apply(b, &ev, when, NULL);
    }
    official(b, ward, "CT", "Nguyễn Văn Chủ", NULL, CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN, when);
    official(b, ward, "PCT1", "Lê Văn Phó", NULL, CCHC__OFFICIAL_ROLE__ROLE_VICE_CHAIRMAN, when);
    official(b, ward, "PCT2", "Trần Thị Phó", NULL, CCHC__OFFICIAL_ROLE__ROLE_VICE_CHAIRMAN, when);
    for (int u = 0; u < UNITS; u++) {
        official(b, ward, head[u], "Trưởng đơn vị", unit_codes[u], CCHC__OFFICIAL_ROLE__ROLE_HEAD, when);
        official(b, ward, staff[u], "Chuyên viên", unit_codes[u], CCHC__OFFICIAL_ROLE__ROLE_STAFF, when);
    }
    for (size_t k = 0; k < ntasks; k++) {
        char code[32];
        snprintf(code, sizeof(code), "T%05zu", k);
        int u = (int)(k % UNITS);
        Cchc__TaskAssigned t = CCHC__TASK_ASSIGNED__INIT;
        t.code = code;
        t.unit = (char *)unit_codes[u];
        t.area = "A1";
        t.title = "Nhiệm vụ cải cách hành chính";
        t.has_due_date = t.has_outputs_required = t.has_factor_milli = true;
        t.due_date = cchc_date_add(20260301, (int32_t)((first + k) % 100));
        t.outputs_required = 1;
        t.factor_milli = 1000;
        t.lead_official = staff[u];
        ev = event(ward, "ward");
        ev.payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
        ev.task_assigned = &t;
        apply(b, &ev, when, NULL);
    }
}

static bool key_seen(void *arg, const char *key)
{
    return cchc_strmap_get(((bench_t *)arg)->keys, key) != NULL;
}

static void alert_emit(void *arg, cchc_alert_t *alert)
{
    bench_t *b = arg;
    cchc_strmap_put(b->keys, alert->key, (void *)1);
    if (b->nalerts == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        cchc_alert_t **grown = realloc(b->alerts, b->cap * sizeof(*grown));
        if (!grown)
            abort();
        b->alerts = grown;
    }
    b->alerts[b->nalerts++] = alert;
}

static int task_order(const void *a, const void *b)
{
    const cchc_task_t *x = *(cchc_task_t *const *)a, *y = *(cchc_task_t *const *)b;
    if (x->ward != y->ward)
        return strcmp(x->ward->code, y->ward->code);
    return (x->index > y->index) - (x->index < y->index);
}

//  A clock event at when, then what notify's on_event does with it: pop the
//  due tasks, decide them in the model's order, set their next instant.
//  Returns how many tasks were decided; *pop_ms: the time until the due
//  tasks were known and sorted (fold, heap pops, sort).
static size_t clock_step(bench_t *b, const cchc_alert_rules_t *rules, cchc_alert_schedule_t *sched,
                         int64_t when, cchc_task_t ***scratch, size_t *scratch_cap, double *pop_ms)
{
    double t0 = now_s();
    Cchc__ClockAdvanced c = CCHC__CLOCK_ADVANCED__INIT;
    c.reason = "tick";
    Cchc__Event ev = event("", "intake");
    ev.payload_case = CCHC__EVENT__PAYLOAD_CLOCK;
    ev.clock = &c;
    cchc_touch_t touch;
    memset(&touch, 0, sizeof(touch));
    apply(b, &ev, when, &touch);
    int64_t now = cchc_model_now(b->model);
    size_t n = 0;
    cchc_task_t *task;
    while ((task = cchc_alert_schedule_pop_due(sched, now))) {
        if (n == *scratch_cap) {
            *scratch_cap = *scratch_cap ? *scratch_cap * 2 : 1024;
            cchc_task_t **grown = realloc(*scratch, *scratch_cap * sizeof(*grown));
            if (!grown)
                abort();
            *scratch = grown;
        }
        (*scratch)[n++] = task;
    }
    if (n > 1)
        qsort(*scratch, n, sizeof(**scratch), task_order);
    *pop_ms = (now_s() - t0) * 1000;
    for (size_t i = 0; i < n; i++) {
        cchc_alerts_decide(rules, (*scratch)[i], now, ev.seq, key_seen, alert_emit, b);
        cchc_alert_schedule_set(sched, (*scratch)[i], cchc_alerts_next_check_ms(rules, (*scratch)[i], now));
    }
    return n;
}

static void alerts_clear(bench_t *b)
{
    for (size_t i = 0; i < b->nalerts; i++)
        cchc_alert_free(b->alerts[i]);
    b->nalerts = 0;
}

int bench_notify(int argc, char **argv)
{
    long tasks = 2000000, per_ward = 600;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--tasks") && i + 1 < argc)
            tasks = atol(argv[++i]);
        else if (!strcmp(argv[i], "--tasks-per-ward") && i + 1 < argc)
            per_ward = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: cchc-bench notify [--tasks N] [--tasks-per-ward K]\n");
            return 2;
        }
    }
    if (tasks < 100 || per_ward < 1 || per_ward > 99999) {
        fprintf(stderr, "bench notify: --tasks must be >= 100, --tasks-per-ward 1..99999\n");
        return 2;
    }
    cchc_log_init("bench", CCHC_WARN, "text"); //  the store's migration notes are not figures
    bench_t b;
    memset(&b, 0, sizeof(b));
    b.model = cchc_model_new();
    b.keys = cchc_strmap_new();
    cchc_alert_rules_t rules;
    cchc_alert_rules_default(&rules);

    //  The model.
    double t = now_s();
    int64_t start = at9(20260101);
    size_t nwards = 0;
    for (long first = 0; first < tasks; first += per_ward, nwards++)
        ward_build(&b, nwards, (size_t)first, (size_t)(tasks - first < per_ward ? tasks - first : per_ward),
                   start);
    double build_s = now_s() - t;
    double model_rss = bench_status_mb(0, "VmRSS:");
    printf("model: %ld tasks in %zu wards folded in %.1f s, RSS %.0f MB\n", tasks, nwards, build_s,
           model_rss);

    //  Every task decided once and scheduled, as at a start.
    cchc_alert_schedule_t *sched = cchc_alert_schedule_new();
    t = now_s();
    for (size_t w = 0; w < cchc_model_ward_count(b.model); w++) {
        cchc_ward_t *ward = cchc_model_ward_at(b.model, w);
        for (size_t k = 0; k < ward->ntasks; k++) {
            cchc_alerts_decide(&rules, ward->tasks[k], start, b.seq, key_seen, alert_emit, &b);
            cchc_alert_schedule_set(sched, ward->tasks[k],
                                    cchc_alerts_next_check_ms(&rules, ward->tasks[k], start));
        }
    }
    double schedule_s = now_s() - t;
    size_t at_start = b.nalerts;
    alerts_clear(&b);
    printf("start: %zu tasks decided and scheduled in %.2f s (%zu alerts: nothing is near yet)\n",
           cchc_alert_schedule_size(sched), schedule_s, at_start);

    //  A clock step at which nothing comes due.
    cchc_task_t **scratch = NULL;
    size_t scratch_cap = 0;
    t = now_s();
    double pop_ms = 0;
    size_t idle_tasks = clock_step(&b, &rules, sched, at9(20260221), &scratch, &scratch_cap, &pop_ms);
    double idle_ms = (now_s() - t) * 1000;
    printf("idle tick (21/02/2026 09:00): %zu tasks due, %.3f ms\n", idle_tasks, idle_ms);

    //  The clock step at which 1 % of the tasks come due.
    t = now_s();
    size_t due_tasks = clock_step(&b, &rules, sched, at9(20260222), &scratch, &scratch_cap, &pop_ms);
    double tick_ms = (now_s() - t) * 1000;
    size_t nalerts = b.nalerts;
    printf("tick (22/02/2026 09:00): %zu tasks due (%.2f %%), %zu alerts decided in %.1f ms (fold, heap pops "
           "and sort %.1f ms; deciding and rescheduling %.1f ms)\n",
           due_tasks, 100.0 * (double)due_tasks / (double)tasks, nalerts, tick_ms, pop_ms, tick_ms - pop_ms);

    //  Their outbox rows, one transaction, as notify's writer commits them.
    char dir[] = "/tmp/cchc-bench-notify-XXXXXX", path[128];
    int rc = 0;
    double insert_ms = -1;
    if (!mkdtemp(dir)) {
        perror("bench notify: mkdtemp");
        rc = 1;
    } else {
        snprintf(path, sizeof(path), "%s/notify.db", dir);
        const char *migrations[16] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION};
        for (int i = 0; i < cchc_outbox_migration_count && i < 14; i++)
            migrations[2 + i] = cchc_outbox_migrations[i];
        char err[256];
        sqlite3 *db = cchc_store_open(path, migrations, 2 + cchc_outbox_migration_count, err, sizeof(err));
        size_t inserted = 0;
        if (!db) {
            fprintf(stderr, "bench notify: %s\n", err);
            rc = 1;
        } else {
            t = now_s();
            if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
                cchc_outbox_insert(db, b.alerts, b.nalerts, &inserted) != 0 ||
                sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                fprintf(stderr, "bench notify: outbox insert failed: %s\n", sqlite3_errmsg(db));
                rc = 1;
            }
            insert_ms = (now_s() - t) * 1000;
            sqlite3_close(db);
        }
        printf("outbox: %zu rows inserted and committed in %.1f ms\n", inserted, insert_ms);
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench notify: could not remove %s\n", dir);
    }
    double peak = bench_status_mb(0, "VmHWM:");
    double alerts_per_s = rc == 0 ? (double)nalerts / ((tick_ms + insert_ms) / 1000.0) : 0;
    printf("alerts: %.0f decided and stored per second; peak RSS %.0f MB\n", alerts_per_s, peak);

    alerts_clear(&b);
    free(b.alerts);
    free(scratch);
    cchc_alert_schedule_destroy(&sched);
    cchc_strmap_destroy(&b.keys);
    cchc_model_destroy(&b.model);
    printf("{\"bench\":\"notify\",\"tasks\":%ld,\"wards\":%zu,\"due_tasks\":%zu,\"alerts\":%zu,"
           "\"alerts_per_s\":%.0f,\"tick_ms\":%.1f,\"pop_ms\":%.1f,\"insert_ms\":%.1f,\"idle_tick_ms\":%.3f,"
           "\"build_s\":%.1f,\"schedule_s\":%.2f,\"rss_mb\":%.0f}\n",
           tasks, nwards, due_tasks, nalerts, alerts_per_s, tick_ms, pop_ms, insert_ms, idle_ms, build_s,
           schedule_s, peak);
    return rc;
}
