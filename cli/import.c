/*  import.c - `cchc import DIR`: a ward's plan from CSV files into intake.

    Order matters: the ward; the leadership (Chairman, vice-chairmen); the
    reform areas; the units; the units' officials; the tasks. Events go in
    batches of up to 200; every rejected row is reported with its file, line
    and the service's reason, and the import then fails.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "csv.h"
#include "render.h"

#define BATCH_MAX 200

//  A batch of events and every allocation behind them (freed together).
typedef struct {
    Cchc__Event *events[BATCH_MAX];
    char labels[BATCH_MAX][96];
    size_t n;
    void **owned;
    size_t nowned, owned_cap;
    int rejected;
    int failed; //  transport failure: stop
} batch_t;

static void *own(batch_t *b, void *p)
{
    if (!p)
        abort();
    if (b->nowned == b->owned_cap) {
        b->owned_cap = b->owned_cap ? b->owned_cap * 2 : 256;
        b->owned = realloc(b->owned, b->owned_cap * sizeof(void *));
        if (!b->owned)
            abort();
    }
    b->owned[b->nowned++] = p;
    return p;
}

static char *own_str(batch_t *b, const char *s)
{
    return own(b, strdup(s ? s : ""));
}

static const char *label_of(void *arg, size_t i)
{
    batch_t *b = arg;
    return i < b->n ? b->labels[i] : "?";
}

static void flush(cli_t *cli, batch_t *b)
{
    if (b->n && !b->failed) {
        int rc = cli_submit(cli, b->events, b->n, NULL, NULL, label_of, b);
        if (rc < 0)
            b->failed = 1;
        else
            b->rejected += rc;
    }
    for (size_t i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    b->nowned = 0;
    b->n = 0;
}

//  A new event in the batch, with ward and actor set; flushes a full batch.
static Cchc__Event *add(cli_t *cli, batch_t *b, const cchc_csv_t *csv, const char *code)
{
    if (b->n == BATCH_MAX)
        flush(cli, b);
    Cchc__Event *ev = own(b, calloc(1, sizeof(*ev)));
    cchc__event__init(ev);
    ev->ward = own_str(b, cli->ward);
    ev->actor = "ward";
    snprintf(b->labels[b->n], sizeof(b->labels[b->n]), "%s:%d (%s)", csv ? cchc_csv_path(csv) : "?",
             csv ? cchc_csv_line(csv) : 0, code);
    b->events[b->n++] = ev;
    return ev;
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

static cchc_csv_t *open_csv(const char *dir, const char *name, const char *const *columns)
{
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cchc_csv_t *csv = cchc_csv_open(path, err, sizeof(err));
    if (csv && cchc_csv_require(csv, columns, err, sizeof(err)) != 0)
        cchc_csv_close(&csv);
    if (!csv)
        fprintf(stderr, "Lỗi tệp: %s\n", err);
    return csv;
}

//  Report a value the CSV holds but cchc cannot read; returns -2 ("reported").
static int bad_value(const cchc_csv_t *csv, const char *column, const char *value)
{
    fprintf(stderr, "Lỗi tệp: %s:%d: giá trị không hợp lệ ở cột %s: '%s'\n", cchc_csv_path(csv),
            cchc_csv_line(csv), column, value);
    return -2;
}

//  Officials: pass 0 the leadership (no unit), pass 1 the units' officials.
static int import_officials(cli_t *cli, batch_t *b, const char *dir, int pass, int *count)
{
    static const char *const cols[] = {"code", "full_name", "title", "unit", "role", "email", "phone", NULL};
    cchc_csv_t *csv = open_csv(dir, "officials.csv", cols);
    if (!csv)
        return -1;
    char err[512];
    int rc;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1) {
        const char *unit = cchc_csv_field(csv, "unit");
        if ((pass == 0) != (*unit == 0))
            continue;
        Cchc__OfficialRole role;
        if (role_parse(cchc_csv_field(csv, "role"), &role) != 0) {
            rc = bad_value(csv, "role", cchc_csv_field(csv, "role"));
            break;
        }
        Cchc__OfficialRegistered *o = own(b, calloc(1, sizeof(*o)));
        cchc__official_registered__init(o);
        o->code = own_str(b, cchc_csv_field(csv, "code"));
        o->full_name = own_str(b, cchc_csv_field(csv, "full_name"));
        o->title = own_str(b, cchc_csv_field(csv, "title"));
        o->unit = own_str(b, unit);
        o->has_role = true;
        o->role = role;
        o->email = own_str(b, cchc_csv_field(csv, "email"));
        o->phone = own_str(b, cchc_csv_field(csv, "phone"));
        Cchc__Event *ev = add(cli, b, csv, o->code);
        ev->payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED;
        ev->official_registered = o;
        (*count)++;
    }
    if (rc == -1)
        fprintf(stderr, "Lỗi tệp: %s\n", err);
    cchc_csv_close(&csv);
    return rc;
}

int cmd_import(cli_t *cli, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr,
                "Cách dùng: cchc import DIR   (ward.csv, officials.csv, areas.csv, units.csv, tasks.csv)\n");
        return 2;
    }
    const char *dir = argv[0];
    batch_t *b = calloc(1, sizeof(*b));
    if (!b)
        abort();
    int officials = 0, areas = 0, units = 0, tasks = 0, wards = 0, rc = 0;
    char err[512] = "";
    cchc_csv_t *csv;

    static const char *const ward_cols[] = {"code", "name", "province", "year", NULL};
    if (!(csv = open_csv(dir, "ward.csv", ward_cols)))
        goto fail;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1) {
        Cchc__WardRegistered *w = own(b, calloc(1, sizeof(*w)));
        cchc__ward_registered__init(w);
        w->name = own_str(b, cchc_csv_field(csv, "name"));
        w->province = own_str(b, cchc_csv_field(csv, "province"));
        w->has_year = true;
        w->year = atoi(cchc_csv_field(csv, "year"));
        //  the file names the ward: it becomes the ward of every event
        static char ward_code[65];
        snprintf(ward_code, sizeof(ward_code), "%s", cchc_csv_field(csv, "code"));
        cli->ward = ward_code;
        Cchc__Event *ev = add(cli, b, csv, ward_code);
        ev->payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
        ev->ward_registered = w;
        wards++;
        break;
    }
    cchc_csv_close(&csv);
    if (rc < 0 || wards != 1) {
        fprintf(stderr, "Lỗi tệp: %s/ward.csv: %s\n", dir, err[0] ? err : "cần đúng một phường");
        goto fail;
    }
    if (import_officials(cli, b, dir, 0, &officials) < 0)
        goto fail;

    static const char *const area_cols[] = {"code", "name", "weight", NULL};
    if (!(csv = open_csv(dir, "areas.csv", area_cols)))
        goto fail;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1) {
        Cchc__AreaDefined *a = own(b, calloc(1, sizeof(*a)));
        cchc__area_defined__init(a);
        a->code = own_str(b, cchc_csv_field(csv, "code"));
        a->name = own_str(b, cchc_csv_field(csv, "name"));
        a->has_weight = true;
        a->weight = atoi(cchc_csv_field(csv, "weight"));
        Cchc__Event *ev = add(cli, b, csv, a->code);
        ev->payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
        ev->area_defined = a;
        areas++;
    }
    cchc_csv_close(&csv);
    if (rc < 0) {
        fprintf(stderr, "Lỗi tệp: %s\n", err);
        goto fail;
    }

    static const char *const unit_cols[] = {"code", "name", "head", "deputy", "vice_chairman", NULL};
    if (!(csv = open_csv(dir, "units.csv", unit_cols)))
        goto fail;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1) {
        Cchc__UnitRegistered *u = own(b, calloc(1, sizeof(*u)));
        cchc__unit_registered__init(u);
        u->code = own_str(b, cchc_csv_field(csv, "code"));
        u->name = own_str(b, cchc_csv_field(csv, "name"));
        u->head = own_str(b, cchc_csv_field(csv, "head"));
        u->deputy = own_str(b, cchc_csv_field(csv, "deputy"));
        u->vice_chairman = own_str(b, cchc_csv_field(csv, "vice_chairman"));
        Cchc__Event *ev = add(cli, b, csv, u->code);
        ev->payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
        ev->unit_registered = u;
        units++;
    }
    cchc_csv_close(&csv);
    if (rc < 0) {
        fprintf(stderr, "Lỗi tệp: %s\n", err);
        goto fail;
    }
    if (import_officials(cli, b, dir, 1, &officials) < 0)
        goto fail;

    static const char *const task_cols[] = {"code",          "unit",     "co_units",    "area",
                                            "title",         "due_date", "factor",      "outputs_required",
                                            "lead_official", "points",   "output_desc", NULL};
    if (!(csv = open_csv(dir, "tasks.csv", task_cols)))
        goto fail;
    while ((rc = cchc_csv_next(csv, err, sizeof(err))) == 1) {
        Cchc__TaskAssigned *t = own(b, calloc(1, sizeof(*t)));
        cchc__task_assigned__init(t);
        int32_t due;
        int64_t factor = 1000, points = 0;
        const char *f;
        if (cchc_date_parse(cchc_csv_field(csv, "due_date"), &due) != 0) {
            rc = bad_value(csv, "due_date", cchc_csv_field(csv, "due_date"));
            break;
        }
        if (*(f = cchc_csv_field(csv, "factor")) && cli_parse_fixed(f, 1000, &factor) != 0) {
            rc = bad_value(csv, "factor", f);
            break;
        }
        if (*(f = cchc_csv_field(csv, "points")) && cli_parse_fixed(f, 1000, &points) != 0) {
            rc = bad_value(csv, "points", f);
            break;
        }
        t->code = own_str(b, cchc_csv_field(csv, "code"));
        t->unit = own_str(b, cchc_csv_field(csv, "unit"));
        t->area = own_str(b, cchc_csv_field(csv, "area"));
        t->title = own_str(b, cchc_csv_field(csv, "title"));
        t->lead_official = own_str(b, cchc_csv_field(csv, "lead_official"));
        t->output_desc = own_str(b, cchc_csv_field(csv, "output_desc"));
        t->has_due_date = t->has_factor_milli = t->has_outputs_required = true;
        t->due_date = due;
        t->factor_milli = (int32_t)factor;
        t->outputs_required = atoi(cchc_csv_field(csv, "outputs_required"));
        if (points > 0) {
            t->has_points_milli = true;
            t->points_milli = points;
        }
        //  co-operating units, ';'-separated
        char *co = own_str(b, cchc_csv_field(csv, "co_units"));
        size_t nco = *co ? 1 : 0;
        for (char *p = co; *p; p++)
            nco += *p == ';';
        t->co_units = own(b, calloc(nco + 1, sizeof(char *)));
        for (char *save = NULL, *tok = strtok_r(co, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
            t->co_units[t->n_co_units++] = tok;
        Cchc__Event *ev = add(cli, b, csv, t->code);
        ev->payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
        ev->task_assigned = t;
        tasks++;
    }
    if (rc == -1)
        fprintf(stderr, "Lỗi tệp: %s\n", err);
    cchc_csv_close(&csv);
    if (rc < 0)
        goto fail;
    flush(cli, b);
    if (b->failed || b->rejected) {
        fprintf(stderr, "Nhập kế hoạch không thành công: %d dòng bị từ chối.\n", b->rejected);
        goto fail_flushed;
    }
    if (cli->json)
        printf("{\"wards\":%d,\"units\":%d,\"officials\":%d,\"areas\":%d,\"tasks\":%d}\n", wards, units,
               officials, areas, tasks);
    else
        printf("Đã nhập: %d phường, %d đơn vị, %d cán bộ, %d lĩnh vực, %d nhiệm vụ.\n", wards, units,
               officials, areas, tasks);
    free(b->owned);
    free(b);
    return 0;
fail:
    b->failed = 1;
    flush(cli, b);
fail_flushed:
    free(b->owned);
    free(b);
    return 1;
}
