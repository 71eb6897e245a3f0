/*  import.c - `cchc import DIR`: a ward's plan from CSV files into intake.

    Every file is read and checked first, so that a typing mistake in
    tasks.csv stops the import before anything is written. Then the events
    go to intake as actor "ward", in the order the model needs them: the
    ward; the leadership (officials without a unit: Chairman, vice-chairmen);
    the reform areas; the units; the units' officials; the tasks. They go in
    submissions of up to 200 events; intake judges each event on its own, so
    the import stops after the first submission with a rejected row, and each
    rejected row is reported with its file, line and code and the service's
    reason (Vietnamese, English, code name).

    The ward is the one ward.csv names: its code becomes the ward of every
    event, whatever --ward says.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "csv.h"
#include "render.h"

#define BATCH_MAX 200

//  The whole plan as events, and every allocation behind them.
typedef struct {
    Cchc__Event **events;
    char **labels; //  "DIR/tasks.csv:12 (CCHC-05)": where event i comes from
    size_t n, cap;
    void **owned;
    size_t nowned, owned_cap;
} plan_t;

static void *own(plan_t *p, void *mem)
{
    if (!mem)
        abort();
    if (p->nowned == p->owned_cap) {
        p->owned_cap = p->owned_cap ? p->owned_cap * 2 : 256;
        p->owned = realloc(p->owned, p->owned_cap * sizeof(void *));
        if (!p->owned)
            abort();
    }
    p->owned[p->nowned++] = mem;
    return mem;
}

static char *own_str(plan_t *p, const char *s)
{
    return own(p, strdup(s ? s : ""));
}

static void plan_free(plan_t *p)
{
    for (size_t i = 0; i < p->nowned; i++)
        free(p->owned[i]);
    free(p->owned);
    free(p->events);
    free(p->labels);
    memset(p, 0, sizeof(*p));
}

//  A new event of the plan from the current row of csv: ward and actor set.
static Cchc__Event *plan_add(plan_t *p, const char *ward, const cchc_csv_t *csv, const char *code)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 128;
        p->events = realloc(p->events, p->cap * sizeof(*p->events));
        p->labels = realloc(p->labels, p->cap * sizeof(*p->labels));
        if (!p->events || !p->labels)
            abort();
    }
    Cchc__Event *ev = own(p, calloc(1, sizeof(*ev)));
    cchc__event__init(ev);
    ev->ward = (char *)ward;
    ev->actor = "ward";
    char label[1200];
    snprintf(label, sizeof(label), "%s:%d (%s)", cchc_csv_path(csv), cchc_csv_line(csv), code);
    p->labels[p->n] = own_str(p, label);
    p->events[p->n++] = ev;
    return ev;
}

static const char *label_of(void *arg, size_t i)
{
    const char **labels = arg;
    return labels[i];
}

// ---------------------------------------------------------------------------
//  Reading the files

static cchc_csv_t *open_csv(const char *dir, const char *name, const char *const *columns)
{
    char path[1024], err[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cchc_csv_t *csv = cchc_csv_open(path, err, sizeof(err));
    if (csv && cchc_csv_require(csv, columns, err, sizeof(err)) != 0)
        cchc_csv_close(&csv);
    if (!csv)
        fprintf(stderr, "Lỗi tệp: %s\n", err);
    return csv;
}

//  Report a value cchc cannot read; returns -1.
static int bad_value(const cchc_csv_t *csv, const char *column, const char *expected)
{
    fprintf(stderr, "Lỗi tệp: %s:%d, cột %s: giá trị không hợp lệ '%s' (cần %s).\n", cchc_csv_path(csv),
            cchc_csv_line(csv), column, cchc_csv_field(csv, column), expected);
    return -1;
}

static int need_code(const cchc_csv_t *csv, const char *column)
{
    return *cchc_csv_field(csv, column) ? 0 : bad_value(csv, column, "một mã, không để trống");
}

//  Read every record of csv through row(); returns 0 or -1 (reported).
static int read_rows(cchc_csv_t *csv, int (*row)(const cchc_csv_t *csv, void *arg), void *arg)
{
    char err[1200];
    int rc;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1)
        if (row(csv, arg) != 0)
            return -1;
    if (rc < 0)
        fprintf(stderr, "Lỗi tệp: %s\n", err);
    return rc;
}

typedef struct {
    plan_t *plan;
    const char *ward;
    int pass; //  officials: 0 the leadership, 1 the units' officials
    int count;
} reader_t;

static int ward_row(const cchc_csv_t *csv, void *arg)
{
    reader_t *r = arg;
    long year;
    if (r->count++) {
        fprintf(stderr, "Lỗi tệp: %s:%d: ward.csv chỉ được có một phường (one ward per import).\n",
                cchc_csv_path(csv), cchc_csv_line(csv));
        return -1;
    }
    if (need_code(csv, "code") || (*cchc_csv_field(csv, "name") == 0 && bad_value(csv, "name", "tên phường")))
        return -1;
    if (cli_parse_int(cchc_csv_field(csv, "year"), 2000, 2100, &year) != 0)
        return bad_value(csv, "year", "năm, ví dụ 2026");
    Cchc__WardRegistered *w = own(r->plan, calloc(1, sizeof(*w)));
    cchc__ward_registered__init(w);
    w->name = own_str(r->plan, cchc_csv_field(csv, "name"));
    w->province = own_str(r->plan, cchc_csv_field(csv, "province"));
    w->has_year = true;
    w->year = (int32_t)year;
    r->ward = own_str(r->plan, cchc_csv_field(csv, "code"));
    Cchc__Event *ev = plan_add(r->plan, r->ward, csv, r->ward);
    ev->payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
    ev->ward_registered = w;
    return 0;
}

static int role_parse(const char *s, Cchc__OfficialRole *role)
{
    static const struct {
        const char *name;
        Cchc__OfficialRole role;
    } roles[] = {{"staff", CCHC__OFFICIAL_ROLE__ROLE_STAFF},
                 {"head", CCHC__OFFICIAL_ROLE__ROLE_HEAD},
                 {"deputy", CCHC__OFFICIAL_ROLE__ROLE_DEPUTY},
                 {"chairman", CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN},
                 {"vice_chairman", CCHC__OFFICIAL_ROLE__ROLE_VICE_CHAIRMAN}};
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (!strcmp(s, roles[i].name)) {
            *role = roles[i].role;
            return 0;
        }
    return -1;
}

static int official_row(const cchc_csv_t *csv, void *arg)
{
    reader_t *r = arg;
    const char *unit = cchc_csv_field(csv, "unit");
    if ((r->pass == 0) != (*unit == 0))
        return 0; //  the other pass's row
    Cchc__OfficialRole role;
    if (need_code(csv, "code"))
        return -1;
    if (role_parse(cchc_csv_field(csv, "role"), &role) != 0)
        return bad_value(csv, "role", "head, deputy, staff, chairman hoặc vice_chairman");
    Cchc__OfficialRegistered *o = own(r->plan, calloc(1, sizeof(*o)));
    cchc__official_registered__init(o);
    o->code = own_str(r->plan, cchc_csv_field(csv, "code"));
    o->full_name = own_str(r->plan, cchc_csv_field(csv, "full_name"));
    o->title = own_str(r->plan, cchc_csv_field(csv, "title"));
    o->unit = own_str(r->plan, unit);
    o->has_role = true;
    o->role = role;
    o->email = own_str(r->plan, cchc_csv_field(csv, "email"));
    o->phone = own_str(r->plan, cchc_csv_field(csv, "phone"));
    Cchc__Event *ev = plan_add(r->plan, r->ward, csv, o->code);
    ev->payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED;
    ev->official_registered = o;
    r->count++;
    return 0;
}

static int area_row(const cchc_csv_t *csv, void *arg)
{
    reader_t *r = arg;
    long weight;
    if (need_code(csv, "code"))
        return -1;
    if (cli_parse_int(cchc_csv_field(csv, "weight"), 0, 100, &weight) != 0)
        return bad_value(csv, "weight", "số nguyên từ 0 đến 100");
    Cchc__AreaDefined *a = own(r->plan, calloc(1, sizeof(*a)));
    cchc__area_defined__init(a);
    a->code = own_str(r->plan, cchc_csv_field(csv, "code"));
    a->name = own_str(r->plan, cchc_csv_field(csv, "name"));
    a->has_weight = true;
    a->weight = (int32_t)weight;
    Cchc__Event *ev = plan_add(r->plan, r->ward, csv, a->code);
    ev->payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
    ev->area_defined = a;
    r->count++;
    return 0;
}

static int unit_row(const cchc_csv_t *csv, void *arg)
{
    reader_t *r = arg;
    if (need_code(csv, "code"))
        return -1;
    Cchc__UnitRegistered *u = own(r->plan, calloc(1, sizeof(*u)));
    cchc__unit_registered__init(u);
    u->code = own_str(r->plan, cchc_csv_field(csv, "code"));
    u->name = own_str(r->plan, cchc_csv_field(csv, "name"));
    u->head = own_str(r->plan, cchc_csv_field(csv, "head"));
    u->deputy = own_str(r->plan, cchc_csv_field(csv, "deputy"));
    u->vice_chairman = own_str(r->plan, cchc_csv_field(csv, "vice_chairman"));
    Cchc__Event *ev = plan_add(r->plan, r->ward, csv, u->code);
    ev->payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
    ev->unit_registered = u;
    r->count++;
    return 0;
}

//  "VHXH; VP" -> {"VHXH", "VP"}: ';'-separated codes, spaces trimmed.
static void split_codes(plan_t *p, const char *text, char ***codes, size_t *n)
{
    char *copy = own_str(p, text);
    size_t cap = 1;
    for (const char *c = copy; *c; c++)
        cap += *c == ';';
    *codes = own(p, calloc(cap, sizeof(char *)));
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            tok[--len] = 0;
        if (len)
            (*codes)[(*n)++] = tok;
    }
}

static int task_row(const cchc_csv_t *csv, void *arg)
{
    reader_t *r = arg;
    int32_t due;
    int64_t factor = 1000, points = 0;
    long outputs = 1;
    const char *v;
    if (need_code(csv, "code") || need_code(csv, "unit") || need_code(csv, "area"))
        return -1;
    if (cchc_date_parse(cchc_csv_field(csv, "due_date"), &due) != 0)
        return bad_value(csv, "due_date", "ngày dd/mm/yyyy");
    if (*(v = cchc_csv_field(csv, "factor")) &&
        (cli_parse_fixed(v, 1000, &factor) != 0 || factor <= 0 || factor > INT32_MAX))
        return bad_value(csv, "factor", "hệ số dương, ví dụ 1.5");
    if (*(v = cchc_csv_field(csv, "outputs_required")) && cli_parse_int(v, 1, 1000000, &outputs) != 0)
        return bad_value(csv, "outputs_required", "số sản phẩm, số nguyên dương");
    if (*(v = cchc_csv_field(csv, "points")) && (cli_parse_fixed(v, 1000, &points) != 0 || points < 0))
        return bad_value(csv, "points", "điểm không âm, ví dụ 2.5, hoặc để trống");
    Cchc__TaskAssigned *t = own(r->plan, calloc(1, sizeof(*t)));
    cchc__task_assigned__init(t);
    t->code = own_str(r->plan, cchc_csv_field(csv, "code"));
    t->unit = own_str(r->plan, cchc_csv_field(csv, "unit"));
    t->area = own_str(r->plan, cchc_csv_field(csv, "area"));
    t->title = own_str(r->plan, cchc_csv_field(csv, "title"));
    t->lead_official = own_str(r->plan, cchc_csv_field(csv, "lead_official"));
    t->output_desc = own_str(r->plan, cchc_csv_field(csv, "output_desc"));
    t->has_due_date = t->has_factor_milli = t->has_outputs_required = true;
    t->due_date = due;
    t->factor_milli = (int32_t)factor;
    t->outputs_required = (int32_t)outputs;
    if (points > 0) {
        t->has_points_milli = true;
        t->points_milli = points;
    }
    split_codes(r->plan, cchc_csv_field(csv, "co_units"), &t->co_units, &t->n_co_units);
    Cchc__Event *ev = plan_add(r->plan, r->ward, csv, t->code);
    ev->payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
    ev->task_assigned = t;
    r->count++;
    return 0;
}

//  Read DIR/name (which must have columns) through row().
static int read_file(const char *dir, const char *name, const char *const *columns,
                     int (*row)(const cchc_csv_t *, void *), reader_t *r)
{
    cchc_csv_t *csv = open_csv(dir, name, columns);
    if (!csv)
        return -1;
    int rc = read_rows(csv, row, r);
    cchc_csv_close(&csv);
    return rc;
}

// ---------------------------------------------------------------------------

int cmd_import(cli_t *cli, int argc, char **argv)
{
    cli_args_t a;
    if (cli_args_parse(argc, argv, NULL, NULL, &a) != 0 || a.npositional != 1) {
        fprintf(stderr,
                "Cách dùng (usage): cchc import DIR   (ward.csv, officials.csv, areas.csv, units.csv, "
                "tasks.csv)\n");
        return 2;
    }
    const char *dir = a.positional[0];
    static const char *const ward_cols[] = {"code", "name", "province", "year", NULL};
    static const char *const official_cols[] = {"code", "full_name", "title", "unit",
                                                "role", "email",     "phone", NULL};
    static const char *const area_cols[] = {"code", "name", "weight", NULL};
    static const char *const unit_cols[] = {"code", "name", "head", "deputy", "vice_chairman", NULL};
    static const char *const task_cols[] = {"code",          "unit",     "co_units",    "area",
                                            "title",         "due_date", "factor",      "outputs_required",
                                            "lead_official", "points",   "output_desc", NULL};
    plan_t plan = {0};
    reader_t ward = {&plan, NULL, 0, 0}, leaders = {&plan, NULL, 0, 0}, staff = {&plan, NULL, 1, 0},
             areas = {&plan, NULL, 0, 0}, units = {&plan, NULL, 0, 0}, tasks = {&plan, NULL, 0, 0};
    int rc = 1;
    if (read_file(dir, "ward.csv", ward_cols, ward_row, &ward) != 0)
        goto done;
    if (!ward.count) {
        fprintf(stderr, "Lỗi tệp: %s/ward.csv: chưa có phường nào (no ward).\n", dir);
        goto done;
    }
    leaders.ward = staff.ward = areas.ward = units.ward = tasks.ward = ward.ward;
    if (read_file(dir, "officials.csv", official_cols, official_row, &leaders) != 0 ||
        read_file(dir, "areas.csv", area_cols, area_row, &areas) != 0 ||
        read_file(dir, "units.csv", unit_cols, unit_row, &units) != 0 ||
        read_file(dir, "officials.csv", official_cols, official_row, &staff) != 0 ||
        read_file(dir, "tasks.csv", task_cols, task_row, &tasks) != 0)
        goto done;

    for (size_t from = 0; from < plan.n; from += BATCH_MAX) {
        size_t n = plan.n - from < BATCH_MAX ? plan.n - from : BATCH_MAX;
        int rejected = cli_submit(cli, plan.events + from, n, NULL, NULL, label_of, plan.labels + from);
        if (rejected < 0) {
            fprintf(
                stderr,
                "Nhập kế hoạch dừng lại: %zu sự kiện đầu đã được ghi; chưa rõ %zu sự kiện tiếp theo đã được "
                "ghi hay chưa; %zu sự kiện sau chưa gửi.\n"
                "    (import stopped: %zu events recorded, %zu unknown, %zu not sent)\n",
                from, n, plan.n - from - n, from, n, plan.n - from - n);
            goto done;
        }
        if (rejected > 0) {
            fprintf(
                stderr,
                "Nhập kế hoạch dừng lại: %d dòng bị từ chối; %zu sự kiện khác đã được ghi, %zu sự kiện sau "
                "chưa gửi.\n    (import stopped at rejected rows)\n",
                rejected, from + n - (size_t)rejected, plan.n - from - n);
            goto done;
        }
    }
    cchc_render_imported(stdout, ward.count, units.count, leaders.count + staff.count, areas.count,
                         tasks.count, cli->json);
    rc = 0;
done:
    plan_free(&plan);
    return rc;
}
