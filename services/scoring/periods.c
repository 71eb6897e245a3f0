/*  periods.c - see periods.h. */
#include "periods.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

static int32_t last_day(int32_t year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[month - 1] + (month == 2 && leap);
}

int cchc_period_resolve(Cchc__PeriodKind kind, int32_t year, int index, cchc_period_key_t *key)
{
    int first, last;
    if (year < 1970 || year > 9999)
        return -1;
    if (kind == CCHC__PERIOD_KIND__PERIOD_MONTH && index >= 1 && index <= 12)
        first = last = index;
    else if (kind == CCHC__PERIOD_KIND__PERIOD_QUARTER && index >= 1 && index <= 4)
        first = 3 * index - 2, last = 3 * index;
    else
        return -1;
    key->kind = kind;
    key->year = year;
    key->index = index;
    key->dates.from_date = year * 10000 + first * 100 + 1;
    key->dates.to_date = year * 10000 + last * 100 + last_day(year, last);
    key->end_ms = cchc_date_end_ms(key->dates.to_date);
    return 0;
}

int64_t cchc_period_next_boundary(int64_t ms)
{
    int32_t date = cchc_date_of_ms(ms);
    int32_t year = date / 10000, month = date / 100 % 100;
    return cchc_date_end_ms(year * 10000 + month * 100 + last_day(year, month));
}

// ---------------------------------------------------------------------------
//  On-demand rankings

typedef struct {
    const cchc_unit_t *unit;
    cchc_unit_eval_t eval;
} ranked_t;

static int compare_ranked(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    return cchc_eval_compare(&x->eval, x->unit->rec->def->code, &y->eval, y->unit->rec->def->code);
}

static char *xstrdup(const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        abort();
    return copy;
}

Cchc__Ranking *cchc_period_ranking(const cchc_rules_t *rules, const cchc_ward_t *ward,
                                   const cchc_period_key_t *period, int64_t now_ms, uint64_t last_seq,
                                   bool final)
{
    size_t n = ward->nunits;
    ranked_t *ranked = calloc(n + 1, sizeof(*ranked));
    Cchc__Ranking *r = calloc(1, sizeof(*r));
    if (!ranked || !r)
        abort();
    for (size_t i = 0; i < n; i++) {
        ranked[i].unit = ward->units[i];
        cchc_unit_evaluate_period(rules, ward->units[i], now_ms, &period->dates, &ranked[i].eval, NULL);
    }
    qsort(ranked, n, sizeof(*ranked), compare_ranked);
    cchc__ranking__init(r);
    r->ward = ward->code; //  borrowed from the model, like the entries' strings
    r->ward_name = ward->def && ward->def->name ? ward->def->name : ward->code;
    r->has_as_of_ms = r->has_last_seq = r->has_period = r->has_period_index = r->has_year = true;
    r->has_from_date = r->has_to_date = r->has_final = true;
    r->as_of_ms = now_ms;
    r->last_seq = last_seq;
    r->period = period->kind;
    r->period_index = period->index;
    r->year = period->year;
    r->from_date = period->dates.from_date;
    r->to_date = period->dates.to_date;
    r->final = final;
    r->entries = calloc(n + 1, sizeof(*r->entries));
    if (!r->entries)
        abort();
    for (size_t i = 0; i < n; i++) {
        Cchc__RankEntry *e = malloc(sizeof(*e));
        if (!e)
            abort();
        cchc_rank_entry_fill(e, ranked[i].unit, &ranked[i].eval, (uint32_t)(i + 1));
        r->entries[r->n_entries++] = e;
    }
    free(ranked);
    return r;
}

void cchc_period_ranking_free(Cchc__Ranking *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_entries; i++)
        free(r->entries[i]);
    free(r->entries);
    free(r);
}

// ---------------------------------------------------------------------------
//  Freezing at the end of a month

static void add_row(cchc_period_rows_t *rows, const Cchc__Ranking *r)
{
    if (rows->count == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 8;
        rows->items = realloc(rows->items, rows->cap * sizeof(*rows->items));
        if (!rows->items)
            abort();
    }
    struct cchc_period_row *row = &rows->items[rows->count++];
    row->ward = xstrdup(r->ward);
    row->kind = (int)r->period;
    row->code = r->year * 100 + r->period_index;
    row->len = cchc__ranking__get_packed_size(r);
    row->blob = malloc(row->len ? row->len : 1);
    if (!row->blob)
        abort();
    cchc__ranking__pack(r, row->blob);
}

size_t cchc_periods_freeze(const cchc_rules_t *rules, const cchc_model_t *model, const cchc_source_t *source,
                           int64_t boundary_ms, cchc_period_rows_t *rows)
{
    int32_t last = cchc_date_of_ms(boundary_ms - 1);
    int32_t year = last / 10000, month = last / 100 % 100;
    cchc_period_key_t keys[2];
    size_t nkeys = 0;
    if (cchc_period_resolve(CCHC__PERIOD_KIND__PERIOD_MONTH, year, month, &keys[nkeys]) == 0)
        nkeys++;
    if (month % 3 == 0 &&
        cchc_period_resolve(CCHC__PERIOD_KIND__PERIOD_QUARTER, year, month / 3, &keys[nkeys]) == 0)
        nkeys++;
    size_t frozen = 0;
    for (size_t w = 0; w < cchc_model_ward_count(model); w++) {
        const cchc_ward_t *ward = cchc_model_ward_at(model, w);
        if (source && ward->source != source) //  another shard's ward: its own log time closes it
            continue;
        int32_t plan_year = ward->def && ward->def->year ? ward->def->year : year;
        if (plan_year != year || ward->nunits == 0)
            continue;
        for (size_t k = 0; k < nkeys; k++) {
            assert(keys[k].end_ms == boundary_ms);
            Cchc__Ranking *r =
                cchc_period_ranking(rules, ward, &keys[k], boundary_ms,
                                    source ? source->last_seq : cchc_model_last_seq(model), true);
            add_row(rows, r);
            cchc_period_ranking_free(r);
            frozen++;
        }
    }
    return frozen;
}

void cchc_period_rows_clear(cchc_period_rows_t *rows)
{
    for (size_t i = 0; i < rows->count; i++) {
        free(rows->items[i].ward);
        free(rows->items[i].blob);
    }
    rows->count = 0;
}

void cchc_period_rows_free(cchc_period_rows_t *rows)
{
    cchc_period_rows_clear(rows);
    free(rows->items);
    rows->items = NULL;
    rows->cap = 0;
}

int cchc_periods_append(sqlite3 *db, sqlite3_stmt **stmt, const cchc_period_rows_t *rows)
{
    if (rows->count == 0)
        return 0;
    if (!*stmt &&
        sqlite3_prepare_v3(db, "INSERT INTO period_ranking (ward, kind, code, blob) VALUES (?1, ?2, ?3, ?4)",
                           -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "period_prepare", "error=%s", sqlite3_errmsg(db));
        return -1;
    }
    for (size_t i = 0; i < rows->count; i++) {
        const struct cchc_period_row *row = &rows->items[i];
        sqlite3_bind_text(*stmt, 1, row->ward, -1, SQLITE_STATIC);
        sqlite3_bind_int(*stmt, 2, row->kind);
        sqlite3_bind_int(*stmt, 3, row->code);
        sqlite3_bind_blob(*stmt, 4, row->blob, (int)row->len, SQLITE_STATIC);
        int rc = sqlite3_step(*stmt);
        sqlite3_reset(*stmt);
        sqlite3_clear_bindings(*stmt);
        if (rc != SQLITE_DONE) {
            cchc_log(CCHC_ERROR, "period_append", "ward=%s code=%d error=%s", row->ward, row->code,
                     sqlite3_errmsg(db));
            return -1;
        }
    }
    return 0;
}

Cchc__Ranking *cchc_periods_read(sqlite3 *db, const char *ward, const cchc_period_key_t *period)
{
    sqlite3_stmt *stmt = NULL;
    Cchc__Ranking *r = NULL;
    if (sqlite3_prepare_v2(db, "SELECT blob FROM period_ranking WHERE ward = ?1 AND kind = ?2 AND code = ?3",
                           -1, &stmt, NULL) != SQLITE_OK) {
        cchc_log(CCHC_ERROR, "period_read", "error=%s", sqlite3_errmsg(db));
        return NULL;
    }
    sqlite3_bind_text(stmt, 1, ward, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, (int)period->kind);
    sqlite3_bind_int(stmt, 3, period->year * 100 + period->index);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        r = cchc__ranking__unpack(NULL, (size_t)sqlite3_column_bytes(stmt, 0), sqlite3_column_blob(stmt, 0));
        if (!r)
            cchc_log(CCHC_ERROR, "period_read", "ward=%s error=%s", ward, "stored ranking does not decode");
    } else if (rc != SQLITE_DONE)
        cchc_log(CCHC_ERROR, "period_read", "ward=%s error=%s", ward, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return r;
}
