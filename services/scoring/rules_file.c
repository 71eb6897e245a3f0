/*  rules_file.c - the scoring rules read from a rules file.

    One table lists every setting: its section and key, its unit, where it
    lives in cchc_rules_t and its range. Loading, checking, writing and
    comparing all walk that table, so a new setting is one line here.

    The file is read with cchc_ini_parse (common/config.h), the reader the
    service settings use: every message names the right line, and what
    inih would take silently - a line longer than its buffer, an indented
    line (inih would append it to the previous key) - is refused. A section
    header we do not know is refused from the raw lines (inih calls no
    handler for a section without keys). Values are parsed as exact decimals into the
    integers the rules use (no floating point: a rules file must give the
    same scores on every machine).
*/
#include "rules_file.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "config.h" //  cchc_ini_parse

// ---------------------------------------------------------------------------
//  The settings

typedef enum {
    AS_POINTS,  //  points out of 100, stored x 100 (centi), 2 decimals
    AS_PERCENT, //  percent, stored in ppm (x 10^4), 4 decimals
    AS_WEIGHT,  //  a relative weight, stored x 1000 (milli), 3 decimals
    AS_COUNT,   //  a number of tasks, whole
} value_kind_t;

typedef struct {
    const char *section, *key;
    value_kind_t kind;
    size_t offset;    //  of the int32_t in cchc_rules_t
    int32_t min, max; //  stored units
} setting_t;

#define RULE(section, key, kind, field, min, max)                                                            \
    {                                                                                                        \
        section, key, kind, offsetof(cchc_rules_t, field), min, max                                          \
    }

static const setting_t settings[] = {
    RULE("tiers", "excellent", AS_POINTS, tier_excellent_centi, 0, 10000),
    RULE("tiers", "good", AS_POINTS, tier_good_centi, 0, 10000),
    RULE("tiers", "completed", AS_POINTS, tier_completed_centi, 0, 10000),
    RULE("components", "quantity_weight", AS_WEIGHT, quantity_weight_milli, 0, 100000),
    RULE("components", "quality_weight", AS_WEIGHT, quality_weight_milli, 0, 100000),
    RULE("components", "progress_weight", AS_WEIGHT, progress_weight_milli, 0, 100000),
    RULE("components", "quality_deduction", AS_PERCENT, quality_deduction_ppm, 0, 1000000),
    RULE("components", "progress_deduction", AS_PERCENT, progress_deduction_ppm, 0, 1000000),
    RULE("gates", "good_min_on_time", AS_PERCENT, gate_good_on_time_ppm, 0, 1000000),
    RULE("gates", "excellent_min_on_time", AS_PERCENT, gate_excellent_on_time_ppm, 0, 1000000),
    RULE("gates", "excellent_max_unmet", AS_COUNT, gate_excellent_max_unmet, 0, 100000),
    RULE("accountability", "year_end_max_unmet", AS_COUNT, year_end_max_unmet, 0, 100000),
    RULE("bonus", "cap", AS_POINTS, bonus_cap_centi, 0, 10000),
    RULE("par_groups", "a", AS_POINTS, par_a_centi, 0, 10000),
    RULE("par_groups", "b", AS_POINTS, par_b_centi, 0, 10000),
    RULE("par_groups", "c", AS_POINTS, par_c_centi, 0, 10000),
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

_Static_assert(sizeof(cchc_rules_t) == NSETTINGS * sizeof(int32_t),
               "every field of cchc_rules_t must be a setting of this table");

static int32_t *field(cchc_rules_t *rules, size_t i)
{
    return (int32_t *)((char *)rules + settings[i].offset);
}

static int32_t value_of(const cchc_rules_t *rules, size_t i)
{
    return *(const int32_t *)((const char *)rules + settings[i].offset);
}

static int32_t scale_of(value_kind_t kind)
{
    return kind == AS_POINTS ? 100 : kind == AS_PERCENT ? 10000 : kind == AS_WEIGHT ? 1000 : 1;
}

static int decimals_of(value_kind_t kind)
{
    return kind == AS_POINTS ? 2 : kind == AS_PERCENT ? 4 : kind == AS_WEIGHT ? 3 : 0;
}

static const char *unit_name(value_kind_t kind)
{
    return kind == AS_POINTS    ? "points"
           : kind == AS_PERCENT ? "percent"
           : kind == AS_WEIGHT  ? "weight"
                                : "tasks";
}

//  A stored value as written in a rules file: 8250 points -> "82.5".
static void format_value(value_kind_t kind, int32_t v, char *buf, size_t size)
{
    int32_t scale = scale_of(kind);
    int n = snprintf(buf, size, "%s%d", v < 0 ? "-" : "", (int)((v < 0 ? -(int64_t)v : v) / scale));
    int64_t frac = (v < 0 ? -(int64_t)v : v) % scale;
    if (frac && n > 0 && (size_t)n < size) {
        char digits[8];
        snprintf(digits, sizeof(digits), "%0*lld", decimals_of(kind), (long long)frac);
        size_t len = strlen(digits);
        while (len > 0 && digits[len - 1] == '0')
            digits[--len] = 0;
        snprintf(buf + n, size - (size_t)n, ".%s", digits);
    }
}

static size_t setting_index(const char *section, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].section, section) == 0 && strcmp(settings[i].key, key) == 0)
            return i;
    return NSETTINGS;
}

static bool known_section(const char *section)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].section, section) == 0)
            return true;
    return false;
}

//  Parse text as a decimal in the unit of setting i into *out (stored
//  units). Returns 0, or -1 with what is wrong in problem.
static int parse_value(size_t i, const char *text, int32_t *out, char *problem, size_t size)
{
    const setting_t *s = &settings[i];
    char lo[24], hi[24];
    format_value(s->kind, s->min, lo, sizeof(lo));
    format_value(s->kind, s->max, hi, sizeof(hi));
    const char *p = text;
    bool negative = *p == '-';
    if (negative)
        p++;
    int64_t whole = 0, frac = 0;
    int ndigits = 0, nfrac = 0;
    for (; *p >= '0' && *p <= '9'; p++, ndigits++)
        whole = whole < INT32_MAX ? whole * 10 + (*p - '0') : whole; //  saturates: out of range anyway
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, nfrac++)
            if (nfrac < decimals_of(s->kind))
                frac = frac * 10 + (*p - '0');
        if (nfrac == 0)
            ndigits = 0; //  "90." is not a number
    }
    if (!*text) {
        snprintf(problem, size, "[%s] %s has no value (a number of %s, %s to %s)", s->section, s->key,
                 unit_name(s->kind), lo, hi);
        return -1;
    }
    if (ndigits == 0 || *p) {
        snprintf(problem, size, "[%s] %s = '%s' is not a number (a number of %s, %s to %s)", s->section,
                 s->key, text, unit_name(s->kind), lo, hi);
        return -1;
    }
    if (nfrac > decimals_of(s->kind)) {
        if (decimals_of(s->kind) == 0)
            snprintf(problem, size, "[%s] %s = %s must be a whole number of %s", s->section, s->key, text,
                     unit_name(s->kind));
        else
            snprintf(problem, size, "[%s] %s = %s has more than %d decimals", s->section, s->key, text,
                     decimals_of(s->kind));
        return -1;
    }
    for (int d = nfrac; d < decimals_of(s->kind); d++)
        frac *= 10;
    int64_t v = whole * scale_of(s->kind) + frac;
    if (negative)
        v = -v;
    if (v < s->min || v > s->max) {
        snprintf(problem, size, "[%s] %s = %s is out of range (%s to %s %s)", s->section, s->key, text, lo,
                 hi, unit_name(s->kind));
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

// ---------------------------------------------------------------------------
//  Checking a whole rule set

//  "[tiers] good = 95"
static void describe(const cchc_rules_t *rules, size_t i, char *buf, size_t size)
{
    char v[24];
    format_value(settings[i].kind, value_of(rules, i), v, sizeof(v));
    snprintf(buf, size, "[%s] %s = %s", settings[i].section, settings[i].key, v);
}

//  The relations between settings; each names the settings involved so a
//  file's error can point at the line that set the later of them.
typedef struct {
    size_t a, b, c; //  settings involved (NSETTINGS: none)
} culprits_t;

static int check(const cchc_rules_t *rules, char *err, size_t size, culprits_t *who)
{
    static const struct {
        const char *section, *above, *below;
    } orders[] = {
        {"tiers", "excellent", "good"},
        {"tiers", "good", "completed"},
        {"par_groups", "a", "b"},
        {"par_groups", "b", "c"},
    };
    who->a = who->b = who->c = NSETTINGS;
    for (size_t i = 0; i < NSETTINGS; i++) {
        int32_t v = value_of(rules, i);
        if (v < settings[i].min || v > settings[i].max) {
            char d[96], lo[24], hi[24];
            describe(rules, i, d, sizeof(d));
            format_value(settings[i].kind, settings[i].min, lo, sizeof(lo));
            format_value(settings[i].kind, settings[i].max, hi, sizeof(hi));
            snprintf(err, size, "%s is out of range (%s to %s %s)", d, lo, hi, unit_name(settings[i].kind));
            who->a = i;
            return -1;
        }
    }
    for (size_t k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
        size_t hi = setting_index(orders[k].section, orders[k].above);
        size_t lo = setting_index(orders[k].section, orders[k].below);
        assert(hi < NSETTINGS && lo < NSETTINGS);
        if (value_of(rules, hi) <= value_of(rules, lo)) {
            char dh[96], dl[96];
            describe(rules, hi, dh, sizeof(dh));
            describe(rules, lo, dl, sizeof(dl));
            snprintf(err, size, "thresholds out of order: %s must be above %s", dh, dl);
            who->a = hi;
            who->b = lo;
            return -1;
        }
    }
    if (rules->quantity_weight_milli == 0 && rules->quality_weight_milli == 0 &&
        rules->progress_weight_milli == 0) {
        snprintf(err, size,
                 "[components] quantity_weight, quality_weight and progress_weight are all 0: a "
                 "task score needs at least one component");
        who->a = setting_index("components", "quantity_weight");
        who->b = setting_index("components", "quality_weight");
        who->c = setting_index("components", "progress_weight");
        return -1;
    }
    if (rules->gate_excellent_on_time_ppm < rules->gate_good_on_time_ppm) {
        size_t e = setting_index("gates", "excellent_min_on_time"),
               g = setting_index("gates", "good_min_on_time");
        char de[96], dg[96];
        describe(rules, e, de, sizeof(de));
        describe(rules, g, dg, sizeof(dg));
        snprintf(err, size, "%s must not be below %s (xuất sắc needs what tốt needs)", de, dg);
        who->a = e;
        who->b = g;
        return -1;
    }
    return 0;
}

int cchc_rules_check(const cchc_rules_t *rules, char *err, size_t err_size)
{
    assert(rules && err && err_size > 0);
    culprits_t who;
    return check(rules, err, err_size, &who);
}

// ---------------------------------------------------------------------------
//  Reading a file

typedef struct {
    cchc_rules_t rules;    //  defaults, then the file's values
    int set_on[NSETTINGS]; //  line that set each setting, 0 = default
} rules_source_t;

//  Every physical line: a section header we do not know is refused here,
//  since inih tells nobody about a section with no keys.
static int rules_raw_line(void *arg, const char *line, int number, char *problem, size_t size)
{
    (void)arg;
    if (number == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3; //  inih skips a UTF-8 BOM
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line != '[')
        return 0;
    const char *end = strchr(line, ']');
    if (!end)
        return 0; //  inih reports the syntax error
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(end - line - 1), line + 1);
    if (known_section(name))
        return 0;
    snprintf(problem, size,
             "unknown section [%s] (sections: tiers, components, gates, accountability, bonus, par_groups)",
             name);
    return -1;
}

static int rules_key(void *arg, const char *section, const char *name, const char *value, int line,
                     bool indented, char *problem, size_t size)
{
    rules_source_t *src = arg;
    size_t i = setting_index(section, name);
    if (indented)
        snprintf(problem, size,
                 "indented line in [%s]: start keys at the beginning of the line (values cannot continue on "
                 "the next line)",
                 section);
    else if (!*section)
        snprintf(problem, size, "key '%s' outside a section", name);
    else if (!known_section(section))
        snprintf(problem, size, "key '%s' in unknown section [%s]", name, section);
    else if (i == NSETTINGS)
        snprintf(problem, size, "unknown key '%s' in [%s]", name, section);
    else if (src->set_on[i])
        snprintf(problem, size, "%s set twice (first on line %d)", name, src->set_on[i]);
    else if (parse_value(i, value, field(&src->rules, i), problem, size) == 0) {
        src->set_on[i] = line;
        return 0;
    }
    return -1;
}

int cchc_rules_load(const char *path, cchc_rules_t *rules, char *err, size_t err_size)
{
    assert(path && rules && err && err_size > 0);
    rules_source_t src;
    memset(&src, 0, sizeof(src));
    cchc_rules_default(&src.rules);
    if (cchc_ini_parse(path, rules_key, rules_raw_line, &src, err, err_size) != 0)
        return -1;
    //  Relations between settings: the line of the later setting involved.
    char problem[256];
    culprits_t who;
    if (check(&src.rules, problem, sizeof(problem), &who) != 0) {
        size_t involved[] = {who.a, who.b, who.c};
        int line = 0;
        for (size_t k = 0; k < 3; k++)
            if (involved[k] < NSETTINGS && src.set_on[involved[k]] > line)
                line = src.set_on[involved[k]];
        snprintf(err, err_size, "%s:%d: %s", path, line, problem);
        return -1;
    }
    *rules = src.rules;
    return 0;
}

// ---------------------------------------------------------------------------
//  Writing and comparing

void cchc_rules_write(const cchc_rules_t *rules, FILE *out)
{
    assert(rules && out);
    const char *section = NULL;
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (!section || strcmp(section, settings[i].section) != 0) {
            section = settings[i].section;
            fprintf(out, "%s[%s]\n", i ? "\n" : "", section);
        }
        char v[24];
        format_value(settings[i].kind, value_of(rules, i), v, sizeof(v));
        fprintf(out, "%s = %s\n", settings[i].key, v);
    }
}

bool cchc_rules_equal(const cchc_rules_t *a, const cchc_rules_t *b)
{
    assert(a && b);
    for (size_t i = 0; i < NSETTINGS; i++)
        if (value_of(a, i) != value_of(b, i))
            return false;
    return true;
}
