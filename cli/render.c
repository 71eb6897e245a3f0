/*  render.c - see render.h. People read Vietnamese (decimal commas, dates
    dd/mm/yyyy, times HH:MM in Asia/Ho_Chi_Minh); machines read --json.

    Tables are aligned by display width, not bytes: Vietnamese letters take
    two or three UTF-8 bytes, and text typed in decomposed form (NFD) carries
    combining marks that take no column.

    The --json output (one object per command on one line, UTF-8, keys in
    snake_case; stable: keys are only ever added). Scores are numbers with two
    decimals, exact values also as integers (_centi, _milli, _ppm), dates
    "dd/mm/yyyy", times "dd/mm/yyyy HH:MM" local with the instant in _ms:

    ranking   {"ward","ward_name","year","as_of","as_of_ms","last_seq",
               "entries":[ENTRY...]}
      ENTRY   {"rank","unit","unit_name","score","score_centi",
               "computed_score","appraised","tier","tier_vi","score_tier",
               "par_group","evaluated","done","on_time","late","overdue",
               "unmet","on_time_pct","on_time_ppm","bonus","penalty",
               "head_accountable","eligible"}
               tier, score_tier: "excellent" | "good" | "completed" |
               "not_completed" | "unrated"; on_time_pct: one decimal.
    explain   {"as_of","as_of_ms","entry":ENTRY,
               "areas":[{"area","name","weight","applicable","earned_milli",
                         "max_milli","pct_ppm"}],
               "tasks":[{"task","title","area","status","evaluated","unmet",
                         "excused","max_milli","earned_milli","quantity_ppm",
                         "quality_ppm","progress_ppm","failed_reviews",
                         "delays","due","done"}],   done: "dd/mm/yyyy" or null
               "gates":["Vietnamese sentence"...]}
    alerts    {"last_seq","total","alerts":[{"id","time","time_ms","kind",
               "kind_name","kind_vi","level","level_vi","unit","task",
               "person","person_name","due","days_overdue","status",
               "status_vi","text"}]}        kind: the AlertKind number;
               kind_name: "reminder" | "overdue" | "escalation" | "resolved" |
               "tier_drop" | "rank_drop" (task "" for the last two)
    holds     {"holds":[{"kind","task","unit","official","deputy","level",
               "from","until","reason","since"}]}  kind: "ack" | "silence" |
               "leave"; absent fields omitted; dates dd/mm/yyyy
    clock     {"now","now_ms","head_seq","manual"}
    updates   {"seq"}                       (progress, verify, deadline, ...)
    import    {"wards","units","officials","areas","tasks"}

    On failure nothing is printed on stdout: the error goes to stderr (in
    Vietnamese, then English and the error code's name) and the exit status
    is 1 (service or data error) or 2 (usage).
*/
#include "render.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

// ---------------------------------------------------------------------------
//  Text primitives

size_t cchc_display_width(const char *s)
{
    size_t width = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        int len;
        if (*p < 0x80) {
            cp = *p;
            len = 1;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            len = 2;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            len = 3;
        } else {
            cp = *p & 0x07;
            len = 4;
        }
        p++;
        for (int i = 1; i < len && (*p & 0xC0) == 0x80; i++, p++)
            cp = (cp << 6) | (*p & 0x3F);
        if (!(cp >= 0x300 && cp <= 0x36F))
            width++;
    }
    return width;
}

void cchc_print_padded(FILE *f, const char *s, size_t width, bool right)
{
    size_t w = cchc_display_width(s);
    int pad = w < width ? (int)(width - w) : 0;
    if (right)
        fprintf(f, "%*s%s", pad, "", s);
    else
        fprintf(f, "%s%*s", s, pad, "");
}

char *cchc_format_score(int32_t centi, char *buf, size_t size)
{
    long long v = centi;
    snprintf(buf, size, "%s%lld,%02lld", v < 0 ? "-" : "", (v < 0 ? -v : v) / 100, (v < 0 ? -v : v) % 100);
    return buf;
}

char *cchc_format_points(int64_t milli, char *buf, size_t size)
{
    bool neg = milli < 0;
    long long centi = ((neg ? -(long long)milli : (long long)milli) + 5) / 10;
    snprintf(buf, size, "%s%lld,%02lld", neg && centi ? "-" : "", centi / 100, centi % 100);
    return buf;
}

char *cchc_format_pct(int64_t ppm, char *buf, size_t size)
{
    long long tenths = (long long)ppm / 1000; //  ppm -> 0.1 %
    snprintf(buf, size, "%s%lld,%lld%%", tenths < 0 ? "-" : "", llabs(tenths) / 10, llabs(tenths) % 10);
    return buf;
}

void cchc_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

//  A fixed-point value as a JSON number with `decimals` decimals.
static void json_fixed(FILE *f, int64_t value, int decimals)
{
    long long scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    unsigned long long a = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    fprintf(f, "%s%llu.%0*llu", value < 0 ? "-" : "", a / (unsigned long long)scale, decimals,
            a % (unsigned long long)scale);
}

static const char *json_bool(bool b)
{
    return b ? "true" : "false";
}

// ---------------------------------------------------------------------------
//  Reading numbers people type

int cli_parse_fixed(const char *text, int64_t scale, int64_t *out)
{
    if (!text || scale < 1)
        return -1;
    const char *p = text;
    int64_t whole = 0, frac = 0, frac_scale = 1;
    bool neg = *p == '-', digits = false;
    if (neg)
        p++;
    for (; *p >= '0' && *p <= '9'; p++, digits = true) {
        if (whole > (INT64_MAX / scale - 9) / 10)
            return -1;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.' || *p == ',') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, digits = true) {
            if (frac_scale < scale) {
                frac = frac * 10 + (*p - '0');
                frac_scale *= 10;
            } else if (*p != '0') {
                return -1; //  more precision than the scale holds
            }
        }
    }
    if (!digits || *p)
        return -1;
    *out = (whole * scale + frac * (scale / frac_scale)) * (neg ? -1 : 1);
    return 0;
}

int cli_parse_int(const char *text, long min, long max, long *out)
{
    if (!text)
        return -1;
    const char *p = text;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (!*p)
        return -1;
    long long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || v > (LLONG_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return -1;
    *out = (long)v;
    return 0;
}

// ---------------------------------------------------------------------------
//  Labels

char *cchc_alert_level_vi(const Cchc__Alert *a, char *buf, size_t size)
{
    switch (a->kind) {
    case CCHC__ALERT_KIND__ALERT_REMINDER:
        if (a->level > 0)
            snprintf(buf, size, "D−%d", a->level);
        else
            snprintf(buf, size, "D");
        break;
    case CCHC__ALERT_KIND__ALERT_OVERDUE:
        snprintf(buf, size, "quá %d ngày", a->days_overdue);
        break;
    case CCHC__ALERT_KIND__ALERT_ESCALATION:
        snprintf(buf, size, "cấp %d", a->level);
        break;
    case CCHC__ALERT_KIND__ALERT_TIER_DROP:
    case CCHC__ALERT_KIND__ALERT_RANK_DROP:
        //  the level is the seq of scoring's output record (cchc changes)
        snprintf(buf, size, "thay đổi số %d", a->level);
        break;
    default:
        snprintf(buf, size, "—");
    }
    return buf;
}

const char *cchc_alert_status_vi(const char *status)
{
    if (!status || !*status)
        return "—";
    if (!strcmp(status, "sent"))
        return "đã gửi";
    if (!strcmp(status, "pending"))
        return "chờ gửi";
    if (!strcmp(status, "dead"))
        return "gửi thất bại";
    return status;
}

int cchc_ranking_year(int64_t as_of_ms)
{
    return as_of_ms > 0 ? cchc_date_of_ms(as_of_ms - 1) / 10000 : 0;
}

// ---------------------------------------------------------------------------
//  Tables: cells are rendered first, then every column takes the width of
//  its widest cell. Cells hold codes, names and short labels (a unit's name
//  is under 100 bytes); longer text would be cut at CELL_MAX - 1 bytes.

#define CELL_MAX  512
#define TABLE_MAX 16 //  columns

typedef struct {
    size_t ncols;
    const bool *right; //  per column: right-aligned
    char (*cells)[CELL_MAX];
    size_t nrows, cap;
} table_t;

static void table_init(table_t *t, size_t ncols, const bool *right)
{
    assert(ncols > 0 && ncols <= TABLE_MAX);
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    t->right = right;
}

//  A new row; returns its first cell (ncols cells follow).
static char (*table_row(table_t *t))[CELL_MAX]
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = realloc(t->cells, t->cap * t->ncols * sizeof(*t->cells));
        if (!t->cells)
            abort();
    }
    char(*row)[CELL_MAX] = t->cells + t->nrows++ * t->ncols;
    memset(row, 0, t->ncols * sizeof(*row));
    return row;
}

//  Each column's width: that of its widest cell.
static void table_widths(const table_t *t, size_t widths[TABLE_MAX])
{
    memset(widths, 0, TABLE_MAX * sizeof(size_t));
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = cchc_display_width(t->cells[r * t->ncols + c]);
            if (w > widths[c])
                widths[c] = w;
        }
}

//  Print row r, indented; the heading (row 0) is underlined.
static void table_print_row(FILE *f, const table_t *t, size_t r, const size_t widths[TABLE_MAX], int indent)
{
    const char(*row)[CELL_MAX] = t->cells + r * t->ncols;
    size_t ncols = t->ncols;
    while (ncols > 1 && !row[ncols - 1][0])
        ncols--; //  no trailing spaces for trailing empty cells
    fprintf(f, "%*s", indent, "");
    for (size_t c = 0; c < ncols; c++) {
        bool last = c + 1 == ncols;
        //  no trailing spaces after a left-aligned last column
        cchc_print_padded(f, row[c], last && !t->right[c] ? 0 : widths[c], t->right[c]);
        fputs(last ? "\n" : "  ", f);
    }
    if (r == 0) {
        size_t total = 0;
        for (size_t c = 0; c < t->ncols; c++)
            total += widths[c] + (c ? 2 : 0);
        fprintf(f, "%*s", indent, "");
        for (size_t i = 0; i < total; i++)
            fputs("─", f);
        fputc('\n', f);
    }
}

static void table_print(FILE *f, const table_t *t, int indent)
{
    size_t widths[TABLE_MAX];
    table_widths(t, widths);
    for (size_t r = 0; r < t->nrows; r++)
        table_print_row(f, t, r, widths, indent);
}

static void table_free(table_t *t)
{
    free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap = 0;
}

// ---------------------------------------------------------------------------
//  Ranking

//  "tháng 3/2026", "quý I/2026", "năm 2026" (or "" for no year) into buf.
static char *period_vi(const Cchc__Ranking *r, char *buf, size_t size)
{
    static const char *const roman[] = {"I", "II", "III", "IV"};
    int year = r->has_year && r->year ? r->year : cchc_ranking_year(r->as_of_ms);
    if (r->period == CCHC__PERIOD_KIND__PERIOD_MONTH)
        snprintf(buf, size, "tháng %d/%d", r->period_index, year);
    else if (r->period == CCHC__PERIOD_KIND__PERIOD_QUARTER && r->period_index >= 1 && r->period_index <= 4)
        snprintf(buf, size, "quý %s/%d", roman[r->period_index - 1], year);
    else if (year)
        snprintf(buf, size, "năm %d", year);
    else
        snprintf(buf, size, "%s", "");
    return buf;
}

//  A ranking read back from the output log: rank, unit, score and tier.
static void render_ranking_history(FILE *f, const Cchc__Ranking *r)
{
    static const bool right[] = {true, false, false, false};
    static const char *const heads[] = {"Hạng", "Đơn vị", "Điểm", "Xếp loại"};
    table_t t;
    table_init(&t, 4, right);
    char(*row)[CELL_MAX] = table_row(&t);
    for (int c = 0; c < 4; c++)
        snprintf(row[c], CELL_MAX, "%s", heads[c]);
    for (size_t i = 0; i < r->n_entries; i++) {
        const Cchc__RankEntry *e = r->entries[i];
        char score[16];
        row = table_row(&t);
        snprintf(row[0], CELL_MAX, "%u", e->rank);
        snprintf(row[1], CELL_MAX, "%s", e->unit_name && *e->unit_name ? e->unit_name : e->unit);
        const char *number = e->tier != CCHC__TIER__TIER_UNRATED
                                 ? cchc_format_score(e->score_centi, score, sizeof(score))
                                 : "—";
        size_t w = cchc_display_width(number);
        snprintf(row[2], CELL_MAX, "%*s%s", w < 6 ? (int)(6 - w) : 0, "", number);
        snprintf(row[3], CELL_MAX, "%s", cchc_tier_label_vi(e->tier));
    }
    table_print(f, &t, 0);
    table_free(&t);
}

void cchc_render_ranking(FILE *f, const Cchc__Ranking *r)
{
    char when[32], period[32], last[16];
    cchc_time_format(r->as_of_ms, when, sizeof(when));
    period_vi(r, period, sizeof(period));
    const char *ward = r->ward_name && *r->ward_name ? r->ward_name : r->ward;
    fprintf(f, "Bảng xếp hạng CCHC%s%s — %s", *period ? " " : "", period, ward ? ward : "");
    if (r->period != CCHC__PERIOD_KIND__PERIOD_YEAR && r->final)
        fprintf(f, " (chính thức: chốt hết ngày %s)\n", cchc_date_format(r->to_date, last, sizeof(last)));
    else if (r->period != CCHC__PERIOD_KIND__PERIOD_YEAR)
        fprintf(f, " (tạm tính đến %s)\n", when);
    else if (r->from_history)
        fprintf(f, " (tại thời điểm %s)\n", when);
    else
        fprintf(f, " (tính đến %s)\n", when);
    if (r->period != CCHC__PERIOD_KIND__PERIOD_YEAR) {
        char from[16];
        fprintf(f, "Nhiệm vụ có thời hạn từ %s đến %s; không tính điểm thưởng, điểm trừ, điểm thẩm định.\n",
                cchc_date_format(r->from_date, from, sizeof(from)),
                cchc_date_format(r->to_date, last, sizeof(last)));
    }
    if (!r->n_entries) {
        fprintf(f, "Chưa có đơn vị nào%s.\n", r->from_history ? " được xếp hạng vào thời điểm đó" : "");
        return;
    }
    if (r->from_history) {
        render_ranking_history(f, r);
        return;
    }

    //  the last column, without a heading, marks accountable heads
    static const bool right[] = {true, false, false, false, false, true, true, true, false};
    static const char *const heads[] = {"Hạng",     "Đơn vị",  "Điểm",     "Xếp loại", "Nhóm",
                                        "Đúng hạn", "Quá hạn", "Chưa đạt", ""};
    table_t t;
    table_init(&t, 9, right);
    char(*row)[CELL_MAX] = table_row(&t);
    for (int c = 0; c < 9; c++)
        snprintf(row[c], CELL_MAX, "%s", heads[c]);
    bool notes = false;
    for (size_t i = 0; i < r->n_entries; i++) {
        const Cchc__RankEntry *e = r->entries[i];
        bool rated = e->tier != CCHC__TIER__TIER_UNRATED;
        char score[16], pct[16];
        row = table_row(&t);
        snprintf(row[0], CELL_MAX, "%u", e->rank);
        snprintf(row[1], CELL_MAX, "%s", e->unit_name && *e->unit_name ? e->unit_name : e->unit);
        //  the number right-aligned in six columns, the mark after it
        const char *number = rated ? cchc_format_score(e->score_centi, score, sizeof(score)) : "—";
        size_t w = cchc_display_width(number);
        snprintf(row[2], CELL_MAX, "%*s%s%s", w < 6 ? (int)(6 - w) : 0, "", number,
                 e->appraised ? " (thẩm định)" : "");
        snprintf(row[3], CELL_MAX, "%s", cchc_tier_label_vi(e->tier));
        snprintf(row[4], CELL_MAX, "%s", rated && e->par_group ? e->par_group : "—");
        snprintf(row[5], CELL_MAX, "%s",
                 e->evaluated ? cchc_format_pct(e->on_time_ppm, pct, sizeof(pct)) : "—");
        snprintf(row[6], CELL_MAX, "%u", e->overdue);
        snprintf(row[7], CELL_MAX, "%u", e->unmet);
        snprintf(row[8], CELL_MAX, "%s", e->head_accountable ? "!" : "");
        notes |= e->appraised || e->head_accountable;
    }
    table_print(f, &t, 0);
    table_free(&t);
    if (!notes)
        return;
    fprintf(f, "Ghi chú:\n");
    for (size_t i = 0; i < r->n_entries; i++) {
        const Cchc__RankEntry *e = r->entries[i];
        const char *name = e->unit_name && *e->unit_name ? e->unit_name : e->unit;
        char a[16], b[16];
        if (e->appraised)
            fprintf(f, "  (thẩm định) %s: điểm thẩm định %s, thay cho điểm tự tính %s.\n", name,
                    cchc_format_score(e->score_centi, a, sizeof(a)),
                    cchc_format_score(e->computed_centi, b, sizeof(b)));
        if (e->head_accountable) {
            fprintf(f, "  ! %s: Người đứng đầu chịu trách nhiệm trước Chủ tịch UBND phường (", name);
            if (e->tier == CCHC__TIER__TIER_NOT_COMPLETED)
                fprintf(f, "xếp loại Không hoàn thành%s", e->unmet ? "; " : "");
            if (e->unmet)
                fprintf(f, "%u nhiệm vụ chưa đạt yêu cầu", e->unmet);
            fprintf(f, ")%s.\n", e->eligible ? "" : "; đơn vị không đủ điều kiện xét thi đua");
        }
    }
}

static void json_entry(FILE *f, const Cchc__RankEntry *e)
{
    fprintf(f, "{\"rank\":%u,\"unit\":", e->rank);
    cchc_json_string(f, e->unit);
    fputs(",\"unit_name\":", f);
    cchc_json_string(f, e->unit_name);
    fputs(",\"score\":", f);
    json_fixed(f, e->score_centi, 2);
    fprintf(f, ",\"score_centi\":%d,\"computed_score\":", e->score_centi);
    json_fixed(f, e->computed_centi, 2);
    fprintf(f, ",\"appraised\":%s,\"tier\":\"%s\",\"tier_vi\":", json_bool(e->appraised),
            cchc_tier_name(e->tier));
    cchc_json_string(f, cchc_tier_label_vi(e->tier));
    fprintf(f, ",\"score_tier\":\"%s\",\"par_group\":", cchc_tier_name(e->score_tier));
    cchc_json_string(f, e->par_group);
    fprintf(f, ",\"evaluated\":%u,\"done\":%u,\"on_time\":%u,\"late\":%u,\"overdue\":%u,\"unmet\":%u",
            e->evaluated, e->done, e->on_time, e->late, e->overdue, e->unmet);
    fputs(",\"on_time_pct\":", f);
    json_fixed(f, e->on_time_ppm / 1000, 1);
    fprintf(f, ",\"on_time_ppm\":%d,\"bonus\":", e->on_time_ppm);
    json_fixed(f, e->bonus_centi, 2);
    fputs(",\"penalty\":", f);
    json_fixed(f, e->penalty_centi, 2);
    fprintf(f, ",\"head_accountable\":%s,\"eligible\":%s}", json_bool(e->head_accountable),
            json_bool(e->eligible));
}

void cchc_render_ranking_json(FILE *f, const Cchc__Ranking *r)
{
    char when[32];
    fputs("{\"ward\":", f);
    cchc_json_string(f, r->ward);
    fputs(",\"ward_name\":", f);
    cchc_json_string(f, r->ward_name);
    static const char *const kinds[] = {"year", "quarter", "month"};
    fprintf(f, ",\"year\":%d,\"period\":\"%s\"",
            r->has_year && r->year ? r->year : cchc_ranking_year(r->as_of_ms),
            r->period <= CCHC__PERIOD_KIND__PERIOD_MONTH ? kinds[r->period] : "year");
    if (r->period != CCHC__PERIOD_KIND__PERIOD_YEAR)
        fprintf(f, ",\"period_index\":%d,\"from_date\":%d,\"to_date\":%d,\"final\":%s", r->period_index,
                r->from_date, r->to_date, json_bool(r->final));
    fprintf(f, ",\"from_history\":%s,\"as_of\":\"%s\",\"as_of_ms\":%lld,\"last_seq\":%llu,\"entries\":[",
            json_bool(r->from_history), cchc_time_format(r->as_of_ms, when, sizeof(when)),
            (long long)r->as_of_ms, (unsigned long long)r->last_seq);
    for (size_t i = 0; i < r->n_entries; i++) {
        if (i)
            fputc(',', f);
        json_entry(f, r->entries[i]);
    }
    fputs("]}\n", f);
}

// ---------------------------------------------------------------------------
//  Explanation

void cchc_render_explanation(FILE *f, const Cchc__Explanation *x)
{
    static const Cchc__RankEntry empty = CCHC__RANK_ENTRY__INIT;
    const Cchc__RankEntry *e = x->entry ? x->entry : &empty;
    char when[32], a[32], b[32], pct[32];
    cchc_time_format(x->as_of_ms, when, sizeof(when));
    fprintf(f, "%s (%s) — tính đến %s\n", e->unit_name ? e->unit_name : "", e->unit ? e->unit : "", when);
    if (e->tier == CCHC__TIER__TIER_UNRATED)
        fprintf(f, "Hạng %u; chưa đánh giá: chưa có nhiệm vụ đến hạn hoặc hoàn thành.\n", e->rank);
    else
        fprintf(f, "Hạng %u: %s điểm, %s (nhóm %s).\n", e->rank,
                cchc_format_score(e->score_centi, a, sizeof(a)), cchc_tier_label_vi(e->tier),
                e->par_group ? e->par_group : "—");
    if (e->appraised)
        fprintf(f, "Điểm thẩm định được dùng; điểm tự tính: %s.\n",
                cchc_format_score(e->computed_centi, a, sizeof(a)));
    if (e->bonus_centi || e->penalty_centi)
        fprintf(f, "Điểm thưởng: +%s; điểm trừ: −%s.\n", cchc_format_score(e->bonus_centi, a, sizeof(a)),
                cchc_format_score(e->penalty_centi, b, sizeof(b)));
    fprintf(f,
            "Nhiệm vụ được đánh giá: %u (hoàn thành đúng hạn %u, hoàn thành quá hạn %u, chưa hoàn thành quá "
            "hạn %u); chưa đạt yêu cầu: %u.\n",
            e->evaluated, e->on_time, e->late, e->overdue, e->unmet);
    if (e->head_accountable)
        fprintf(
            f,
            "Người đứng đầu chịu trách nhiệm trước Chủ tịch UBND phường; đơn vị không đủ điều kiện xét thi "
            "đua.\n");

    fprintf(f, "\nTheo lĩnh vực:\n");
    static const bool area_right[] = {false, false, true, true, true};
    table_t t;
    table_init(&t, 5, area_right);
    char(*row)[CELL_MAX] = table_row(&t);
    snprintf(row[0], CELL_MAX, "Mã");
    snprintf(row[1], CELL_MAX, "Lĩnh vực");
    snprintf(row[2], CELL_MAX, "Trọng số");
    snprintf(row[3], CELL_MAX, "Đạt / tối đa");
    snprintf(row[4], CELL_MAX, "Tỷ lệ");
    for (size_t i = 0; i < x->n_areas; i++) {
        const Cchc__AreaExplain *ar = x->areas[i];
        row = table_row(&t);
        snprintf(row[0], CELL_MAX, "%s", ar->area ? ar->area : "");
        snprintf(row[1], CELL_MAX, "%s", ar->name ? ar->name : "");
        snprintf(row[2], CELL_MAX, "%d", ar->weight);
        if (ar->applicable) {
            snprintf(row[3], CELL_MAX, "%s / %s", cchc_format_points(ar->earned_milli, a, sizeof(a)),
                     cchc_format_points(ar->max_milli, b, sizeof(b)));
            snprintf(row[4], CELL_MAX, "%s", cchc_format_pct(ar->pct_ppm, pct, sizeof(pct)));
        } else {
            snprintf(row[3], CELL_MAX, "không áp dụng");
            snprintf(row[4], CELL_MAX, "—");
        }
    }
    table_print(f, &t, 2);
    table_free(&t);

    fprintf(f, "\nTheo nhiệm vụ (điểm = tối đa × (khối lượng + chất lượng + tiến độ) / 3):\n");
    for (size_t i = 0; i < x->n_tasks; i++) {
        const Cchc__TaskExplain *tk = x->tasks[i];
        char due[16], done[16], q1[16], q2[16], q3[16];
        fprintf(f, "  %s  %s\n      %s%s; hạn %s", tk->task ? tk->task : "", tk->title ? tk->title : "",
                tk->status ? tk->status : "", tk->unmet ? " (chưa đạt yêu cầu)" : "",
                cchc_date_format(tk->due_date, due, sizeof(due)));
        if (tk->done_date)
            fprintf(f, "; hoàn thành %s", cchc_date_format(tk->done_date, done, sizeof(done)));
        if (tk->excused)
            fprintf(f, "; gia hạn vì lý do khách quan, được duyệt trước hạn");
        fputc('\n', f);
        if (!tk->evaluated) {
            fprintf(f, "      chưa đến hạn: chưa tính điểm\n");
            continue;
        }
        fprintf(f, "      %s / %s điểm: khối lượng %s, chất lượng %s, tiến độ %s",
                cchc_format_points(tk->earned_milli, a, sizeof(a)),
                cchc_format_points(tk->max_milli, b, sizeof(b)),
                cchc_format_pct(tk->quantity_ppm, q1, sizeof(q1)),
                cchc_format_pct(tk->quality_ppm, q2, sizeof(q2)),
                cchc_format_pct(tk->progress_ppm, q3, sizeof(q3)));
        if (tk->failed_reviews)
            fprintf(f, "; %d lần không đạt khi kiểm tra (−25%% chất lượng mỗi lần)", tk->failed_reviews);
        if (tk->delays)
            fprintf(f, "; %d lần chậm tiến độ (−25%% tiến độ mỗi lần)", tk->delays);
        fputc('\n', f);
    }
    if (x->n_gates) {
        fprintf(f, "\nĐiều kiện xếp loại:\n");
        for (size_t i = 0; i < x->n_gates; i++)
            fprintf(f, "  - %s\n", x->gates[i]);
    }
}

void cchc_render_explanation_json(FILE *f, const Cchc__Explanation *x)
{
    static const Cchc__RankEntry empty = CCHC__RANK_ENTRY__INIT;
    char when[32], due[16], done[16];
    fprintf(f, "{\"as_of\":\"%s\",\"as_of_ms\":%lld,\"entry\":",
            cchc_time_format(x->as_of_ms, when, sizeof(when)), (long long)x->as_of_ms);
    json_entry(f, x->entry ? x->entry : &empty);
    fputs(",\"areas\":[", f);
    for (size_t i = 0; i < x->n_areas; i++) {
        const Cchc__AreaExplain *ar = x->areas[i];
        fprintf(f, "%s{\"area\":", i ? "," : "");
        cchc_json_string(f, ar->area);
        fputs(",\"name\":", f);
        cchc_json_string(f, ar->name);
        fprintf(f,
                ",\"weight\":%d,\"applicable\":%s,\"earned_milli\":%lld,\"max_milli\":%lld,\"pct_ppm\":%d}",
                ar->weight, json_bool(ar->applicable), (long long)ar->earned_milli, (long long)ar->max_milli,
                ar->pct_ppm);
    }
    fputs("],\"tasks\":[", f);
    for (size_t i = 0; i < x->n_tasks; i++) {
        const Cchc__TaskExplain *t = x->tasks[i];
        fprintf(f, "%s{\"task\":", i ? "," : "");
        cchc_json_string(f, t->task);
        fputs(",\"title\":", f);
        cchc_json_string(f, t->title);
        fputs(",\"area\":", f);
        cchc_json_string(f, t->area);
        fputs(",\"status\":", f);
        cchc_json_string(f, t->status);
        fprintf(
            f,
            ",\"evaluated\":%s,\"unmet\":%s,\"excused\":%s,\"max_milli\":%lld,\"earned_milli\":%lld,"
            "\"quantity_ppm\":%d,\"quality_ppm\":%d,\"progress_ppm\":%d,\"failed_reviews\":%d,\"delays\":%d,"
            "\"due\":\"%s\",\"done\":",
            json_bool(t->evaluated), json_bool(t->unmet), json_bool(t->excused), (long long)t->max_milli,
            (long long)t->earned_milli, t->quantity_ppm, t->quality_ppm, t->progress_ppm, t->failed_reviews,
            t->delays, cchc_date_format(t->due_date, due, sizeof(due)));
        if (t->done_date)
            fprintf(f, "\"%s\"}", cchc_date_format(t->done_date, done, sizeof(done)));
        else
            fputs("null}", f);
    }
    fputs("],\"gates\":[", f);
    for (size_t i = 0; i < x->n_gates; i++) {
        if (i)
            fputc(',', f);
        cchc_json_string(f, x->gates[i]);
    }
    fputs("]}\n", f);
}

// ---------------------------------------------------------------------------
//  Alerts

void cchc_render_alerts(FILE *f, const Cchc__AlertList *l)
{
    fprintf(f, "Cảnh báo: %zu / %u, mới nhất trước.\n", l->n_alerts, l->total);
    if (!l->n_alerts)
        return;
    static const bool right[] = {false, false, false, false, false, false};
    table_t t;
    table_init(&t, 6, right);
    static const char *const heads[] = {"Thời điểm", "Loại", "Mức", "Người nhận", "Nhiệm vụ", "Trạng thái"};
    char(*row)[CELL_MAX] = table_row(&t);
    for (int c = 0; c < 6; c++)
        snprintf(row[c], CELL_MAX, "%s", heads[c]);
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        row = table_row(&t);
        cchc_time_format(a->decided_ms, row[0], CELL_MAX);
        snprintf(row[1], CELL_MAX, "%s", cchc_alert_kind_label_vi(a->kind));
        cchc_alert_level_vi(a, row[2], CELL_MAX);
        snprintf(row[3], CELL_MAX, "%s", a->person_name && *a->person_name ? a->person_name : a->person);
        if (a->task && *a->task)
            snprintf(row[4], CELL_MAX, "%s", a->task);
        else //  a tier or rank drop is about the unit
            snprintf(row[4], CELL_MAX, "đơn vị %s", a->unit ? a->unit : "");
        snprintf(row[5], CELL_MAX, "%s", cchc_alert_status_vi(a->status));
    }
    //  each alert's row, then its message on the next line
    size_t widths[TABLE_MAX];
    table_widths(&t, widths);
    for (size_t r = 0; r < t.nrows; r++) {
        table_print_row(f, &t, r, widths, 0);
        if (r > 0)
            fprintf(f, "    %s\n", l->alerts[r - 1]->text ? l->alerts[r - 1]->text : "");
    }
    table_free(&t);
}

void cchc_render_alerts_json(FILE *f, const Cchc__AlertList *l)
{
    fprintf(f, "{\"last_seq\":%llu,\"total\":%u,\"alerts\":[", (unsigned long long)l->last_seq, l->total);
    for (size_t i = 0; i < l->n_alerts; i++) {
        const Cchc__Alert *a = l->alerts[i];
        char when[32], level[32], due[16];
        fprintf(
            f,
            "%s{\"id\":%llu,\"time\":\"%s\",\"time_ms\":%lld,\"kind\":%d,\"kind_name\":\"%s\",\"kind_vi\":",
            i ? "," : "", (unsigned long long)a->id, cchc_time_format(a->decided_ms, when, sizeof(when)),
            (long long)a->decided_ms, (int)a->kind, cchc_alert_kind_name(a->kind));
        cchc_json_string(f, cchc_alert_kind_label_vi(a->kind));
        fprintf(f, ",\"level\":%d,\"level_vi\":", a->level);
        cchc_json_string(f, cchc_alert_level_vi(a, level, sizeof(level)));
        fputs(",\"unit\":", f);
        cchc_json_string(f, a->unit);
        fputs(",\"task\":", f);
        cchc_json_string(f, a->task);
        fputs(",\"person\":", f);
        cchc_json_string(f, a->person);
        fputs(",\"person_name\":", f);
        cchc_json_string(f, a->person_name);
        fprintf(f, ",\"due\":\"%s\",\"days_overdue\":%d,\"status\":",
                a->due_date ? cchc_date_format(a->due_date, due, sizeof(due)) : "", a->days_overdue);
        cchc_json_string(f, a->status);
        fputs(",\"status_vi\":", f);
        cchc_json_string(f, cchc_alert_status_vi(a->status));
        fputs(",\"text\":", f);
        cchc_json_string(f, a->text);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

// ---------------------------------------------------------------------------
//  Small replies

void cchc_render_clock(FILE *f, int64_t now_ms, uint64_t head_seq, bool manual, bool json)
{
    char when[32];
    cchc_time_format(now_ms, when, sizeof(when));
    if (json)
        fprintf(f, "{\"now\":\"%s\",\"now_ms\":%lld,\"head_seq\":%llu,\"manual\":%s}\n", when,
                (long long)now_ms, (unsigned long long)head_seq, json_bool(manual));
    else
        fprintf(f, "Thời gian của nhật ký: %s (%s); sự kiện cuối: seq %llu.\n", when,
                manual ? "đồng hồ thủ công" : "đồng hồ thực", (unsigned long long)head_seq);
}

void cchc_render_recorded(FILE *f, uint64_t seq, bool json)
{
    if (json)
        fprintf(f, "{\"seq\":%llu}\n", (unsigned long long)seq);
    else
        fprintf(f, "Đã ghi nhận (seq %llu).\n", (unsigned long long)seq);
}

void cchc_render_imported(FILE *f, int wards, int units, int officials, int areas, int tasks, bool json)
{
    if (json)
        fprintf(f, "{\"wards\":%d,\"units\":%d,\"officials\":%d,\"areas\":%d,\"tasks\":%d}\n", wards, units,
                officials, areas, tasks);
    else
        fprintf(f, "Đã nhập: %d phường, %d đơn vị, %d cán bộ, %d lĩnh vực, %d nhiệm vụ.\n", wards, units,
                officials, areas, tasks);
}

// ---------------------------------------------------------------------------
//  Acknowledgements, silences, leaves

static const char *ack_level_vi(int level)
{
    return level == 0 ? "quá hạn" : level == 1 ? "vượt cấp (cấp 1)" : "vượt cấp (Chủ tịch)";
}

void cchc_render_holds(FILE *f, const Cchc__AlertList *list, bool json)
{
    char d1[16], d2[32];
    if (json) {
        fputs("{\"holds\":[", f);
        for (size_t i = 0; i < list->n_holds; i++) {
            const Cchc__AlertHold *h = list->holds[i];
            fputs(i ? ",{\"kind\":" : "{\"kind\":", f);
            cchc_json_string(f, h->kind);
            const char *keys[] = {"task", "unit", "official", "deputy", "reason"};
            const char *values[] = {h->task, h->unit, h->official, h->deputy, h->reason};
            for (size_t k = 0; k < 5; k++)
                if (values[k] && *values[k]) {
                    fprintf(f, ",\"%s\":", keys[k]);
                    cchc_json_string(f, values[k]);
                }
            if (h->has_level)
                fprintf(f, ",\"level\":%d", h->level);
            if (h->has_from_date)
                fprintf(f, ",\"from\":\"%s\"", cchc_date_format(h->from_date, d1, sizeof(d1)));
            if (h->has_until_date)
                fprintf(f, ",\"until\":\"%s\"", cchc_date_format(h->until_date, d1, sizeof(d1)));
            if (h->has_since_ms)
                fprintf(f, ",\"since\":\"%s\"", cchc_time_format(h->since_ms, d2, sizeof(d2)));
            fputc('}', f);
        }
        fputs("]}\n", f);
        return;
    }
    if (list->n_holds == 0) {
        fputs("Không có xác nhận, tạm ngừng hay nghỉ phép nào đang có hiệu lực.\n", f);
        return;
    }
    for (size_t i = 0; i < list->n_holds; i++) {
        const Cchc__AlertHold *h = list->holds[i];
        const char *reason = h->reason && *h->reason ? h->reason : "";
        if (!strcmp(h->kind, "ack")) {
            fprintf(f,
                    "Đã xác nhận: nhiệm vụ %s (%s), %s xác nhận cảnh báo %s lúc %s; không báo cáo vượt cấp "
                    "tiếp.\n",
                    h->task, h->unit, h->official, ack_level_vi(h->level),
                    cchc_time_format(h->since_ms, d2, sizeof(d2)));
        } else if (!strcmp(h->kind, "silence")) {
            fprintf(f, "Tạm ngừng cảnh báo: %s %s đến hết ngày %s%s%s.\n",
                    h->task && *h->task ? "nhiệm vụ" : "đơn vị", h->task && *h->task ? h->task : h->unit,
                    cchc_date_format(h->until_date, d1, sizeof(d1)), *reason ? " — " : "", reason);
        } else {
            cchc_date_format(h->from_date, d1, sizeof(d1));
            fprintf(f, "Nghỉ phép: %s từ ngày %s đến hết ngày %s, người thay %s%s%s.\n", h->official, d1,
                    cchc_date_format(h->until_date, d2, sizeof(d2)), h->deputy, *reason ? " — " : "", reason);
        }
    }
}

// ---------------------------------------------------------------------------
//  Province view

void cchc_render_province(FILE *f, const Cchc__ProvinceRanking *p)
{
    char when[32];
    cchc_time_format(p->as_of_ms, when, sizeof(when));
    if (p->province && *p->province)
        fprintf(f, "Xếp hạng CCHC các phường — %s (tính đến %s)\n", p->province, when);
    else
        fprintf(f, "Xếp hạng CCHC các phường (tính đến %s)\n", when);
    if (!p->n_entries) {
        fprintf(f, "Không có phường nào%s.\n", p->province && *p->province ? " thuộc tỉnh này" : "");
        return;
    }
    static const bool right[] = {true, false, true, true, true, true, true, true, true};
    static const char *const heads[] = {"Hạng", "Phường",     "Điểm TB",  "Đơn vị", "Xuất sắc",
                                        "Tốt",  "Hoàn thành", "Không HT", "Chịu TN"};
    table_t t;
    table_init(&t, 9, right);
    char(*row)[CELL_MAX] = table_row(&t);
    for (int c = 0; c < 9; c++)
        snprintf(row[c], CELL_MAX, "%s", heads[c]);
    for (size_t i = 0; i < p->n_entries; i++) {
        const Cchc__WardEntry *e = p->entries[i];
        char score[16];
        row = table_row(&t);
        snprintf(row[0], CELL_MAX, "%u", e->rank);
        snprintf(row[1], CELL_MAX, "%s", e->ward_name && *e->ward_name ? e->ward_name : e->ward);
        snprintf(row[2], CELL_MAX, "%s",
                 e->rated ? cchc_format_score(e->score_centi, score, sizeof(score)) : "—");
        snprintf(row[3], CELL_MAX, "%u/%u", e->rated, e->units);
        snprintf(row[4], CELL_MAX, "%u", e->excellent);
        snprintf(row[5], CELL_MAX, "%u", e->good);
        snprintf(row[6], CELL_MAX, "%u", e->completed);
        snprintf(row[7], CELL_MAX, "%u", e->not_completed);
        snprintf(row[8], CELL_MAX, "%u", e->head_accountable);
    }
    table_print(f, &t, 0);
    table_free(&t);
    fprintf(f, "Điểm TB: trung bình điểm các đơn vị đã được đánh giá; Đơn vị: đã đánh giá/tổng số; "
               "Chịu TN: số người đứng đầu chịu trách nhiệm trước Chủ tịch.\n");
    //  Wards followed from several intake shards can stand at different times.
    for (size_t i = 0; i < p->n_entries; i++) {
        const Cchc__WardEntry *e = p->entries[i];
        if (e->has_as_of_ms && e->as_of_ms != p->as_of_ms) {
            cchc_time_format(e->as_of_ms, when, sizeof(when));
            fprintf(f, "Số liệu %s tính đến %s.\n", e->ward_name && *e->ward_name ? e->ward_name : e->ward,
                    when);
        }
    }
}

void cchc_render_province_json(FILE *f, const Cchc__ProvinceRanking *p)
{
    char when[32];
    fputs("{\"province\":", f);
    cchc_json_string(f, p->province);
    fprintf(f, ",\"as_of\":\"%s\",\"as_of_ms\":%lld,\"wards\":[",
            cchc_time_format(p->as_of_ms, when, sizeof(when)), (long long)p->as_of_ms);
    for (size_t i = 0; i < p->n_entries; i++) {
        const Cchc__WardEntry *e = p->entries[i];
        fprintf(f, "%s{\"rank\":%u,\"ward\":", i ? "," : "", e->rank);
        cchc_json_string(f, e->ward);
        fputs(",\"ward_name\":", f);
        cchc_json_string(f, e->ward_name);
        fputs(",\"province\":", f);
        cchc_json_string(f, e->province);
        fputs(",\"score\":", f);
        json_fixed(f, e->score_centi, 2);
        fprintf(f,
                ",\"score_centi\":%d,\"units\":%u,\"rated\":%u,\"excellent\":%u,\"good\":%u,\"completed\":%u,"
                "\"not_completed\":%u,\"head_accountable\":%u,\"as_of_ms\":%lld}",
                e->score_centi, e->units, e->rated, e->excellent, e->good, e->completed, e->not_completed,
                e->head_accountable, (long long)(e->has_as_of_ms ? e->as_of_ms : p->as_of_ms));
    }
    fputs("]}\n", f);
}
