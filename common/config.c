/*  config.c - defaults < INI file < CCHC_* environment < command-line flags.

    Values are kept as strings per option with the source that set them; the
    typed getters parse on demand, except booleans, which are checked as they
    are set so that a bad one is reported where it was written.

    The INI file is read by cchc_ini_parse (also used for scoring's rules
    file): libinih through ini_parse_stream and our own line reader. inih reports only the line of the first error; the reader
    counts lines too, so the handler knows the line it is called for and
    every message names the right line. The reader also catches what inih
    would otherwise take silently: a line longer than inih's buffer (inih
    would read the rest as a new line) and an indented line in our section
    (inih would append it to the previous key as a continuation value). Only
    the section named after the service is applied; others are ignored.
*/
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *value;        //  owned, or NULL to use the default
    const char *source; //  "default", "file", "env", "flag" (static strings)
} setting_t;

struct cchc_config {
    char *service;                //  owned; also the INI section read
    const cchc_option_t *options; //  borrowed; outlives the config
    size_t count;                 //  options before the NULL key
    setting_t *settings;          //  owned; one per option
    char *file;                   //  owned; the INI file loaded, or NULL
};

//  The reader's state while inih parses a file (cchc_ini_parse).
typedef struct {
    FILE *file;
    cchc_ini_key_fn *on_key;
    cchc_ini_raw_fn *on_raw;
    void *arg;
    int line;        //  physical lines read so far = the line inih is on
    bool indented;   //  the current line starts with blank space
    int error_line;  //  first line refused (by a callback or for its length), or 0
    char error[256]; //  what was wrong with it
} ini_source_t;

static const char *const true_words[] = {"1", "true", "yes", "on"};
static const char *const false_words[] = {"0", "false", "no", "off"};

// ---------------------------------------------------------------------------
//  Lifecycle

cchc_config_t *cchc_config_new(const char *service, const cchc_option_t *options)
{
    assert(service && options);
    cchc_config_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    self->service = strdup(service);
    self->options = options;
    while (options[self->count].key)
        self->count++;
    self->settings = calloc(self->count + 1, sizeof(setting_t));
    if (!self->service || !self->settings)
        abort();
    for (size_t i = 0; i < self->count; i++)
        self->settings[i].source = "default";
    return self;
}

void cchc_config_destroy(cchc_config_t **self_p)
{
    assert(self_p);
    cchc_config_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        free(self->settings[i].value);
    free(self->settings);
    free(self->service);
    free(self->file);
    free(self);
    *self_p = NULL;
}

// ---------------------------------------------------------------------------
//  Private helpers

//  Index of key (len bytes; '-' reads as '_'), or -1.
static int option_index(const cchc_config_t *self, const char *key, size_t len)
{
    for (size_t i = 0; i < self->count; i++) {
        const char *k = self->options[i].key;
        if (strlen(k) != len)
            continue;
        size_t j = 0;
        while (j < len && (key[j] == k[j] || (key[j] == '-' && k[j] == '_')))
            j++;
        if (j == len)
            return (int)i;
    }
    return -1;
}

//  1 or 0 for a boolean word, -1 for anything else.
static int boolean_word(const char *text)
{
    for (size_t i = 0; text && i < sizeof(true_words) / sizeof(true_words[0]); i++) {
        if (strcasecmp(text, true_words[i]) == 0)
            return 1;
        if (strcasecmp(text, false_words[i]) == 0)
            return 0;
    }
    return -1;
}

//  A boolean option is one whose default is "true" or "false".
static bool is_boolean_option(const cchc_option_t *opt)
{
    return opt->value && (strcmp(opt->value, "true") == 0 || strcmp(opt->value, "false") == 0);
}

//  Store value for option index from source. Returns 0, or -1 with why (a
//  boolean option given something else) in problem.
static int set(cchc_config_t *self, int index, const char *value, const char *source, char *problem,
               size_t problem_size)
{
    if (is_boolean_option(&self->options[index]) && boolean_word(value) < 0) {
        snprintf(problem, problem_size, "'%s' must be true or false, not '%s'", self->options[index].key,
                 value);
        return -1;
    }
    free(self->settings[index].value);
    self->settings[index].value = strdup(value);
    if (!self->settings[index].value)
        abort();
    self->settings[index].source = source;
    return 0;
}

// ---------------------------------------------------------------------------
//  The INI file

static void ini_refuse(ini_source_t *src, const char *problem)
{
    if (src->error_line)
        return; //  the first problem by line is the one reported
    src->error_line = src->line;
    snprintf(src->error, sizeof(src->error), "%s", problem);
}

//  fgets for inih that counts lines, refuses over-long ones and shows each
//  line to on_raw.
static char *ini_read_line(char *str, int num, void *stream)
{
    ini_source_t *src = stream;
    if (!fgets(str, num, src->file))
        return NULL;
    src->line++;
    size_t n = strlen(str);
    if (n > 0 && str[n - 1] != '\n') {
        int c = fgetc(src->file);
        if (c != EOF && c != '\n') {
            //  The line does not fit inih's buffer: skip the rest of it and
            //  hand inih an empty line, so the line numbers stay in step.
            while (c != EOF && c != '\n')
                c = fgetc(src->file);
            char problem[64];
            snprintf(problem, sizeof(problem), "line longer than %d characters", num - 2);
            ini_refuse(src, problem);
            str[0] = 0;
        }
    }
    src->indented = str[0] == ' ' || str[0] == '\t';
    char problem[sizeof(src->error)];
    if (src->on_raw && src->on_raw(src->arg, str, src->line, problem, sizeof(problem)) != 0)
        ini_refuse(src, problem);
    return str;
}

static int ini_key(void *user, const char *section, const char *name, const char *value)
{
    ini_source_t *src = user;
    char problem[sizeof(src->error)];
    if (src->on_key(src->arg, section, name, value, src->line, src->indented, problem, sizeof(problem)) != 0)
        ini_refuse(src, problem);
    return 1; //  our own problems are reported by line, with inih's syntax errors
}

int cchc_ini_parse(const char *path, cchc_ini_key_fn *on_key, cchc_ini_raw_fn *on_raw, void *arg, char *err,
                   size_t err_size)
{
    assert(path && on_key && err && err_size > 0);
    ini_source_t src = {.on_key = on_key, .on_raw = on_raw, .arg = arg};
    src.file = fopen(path, "r");
    if (!src.file) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int rc = ini_parse_stream(ini_read_line, &src, ini_key, &src);
    bool read_error = ferror(src.file) != 0;
    fclose(src.file);
    if (read_error) {
        snprintf(err, err_size, "%s: read error", path);
        return -1;
    }
    if (rc == -2) {
        snprintf(err, err_size, "%s: out of memory while parsing", path);
        return -1;
    }
    //  The first problem by line: inih's syntax error or ours.
    int line = rc > 0 ? rc : 0;
    if (src.error_line && (!line || src.error_line <= line))
        line = src.error_line;
    if (!line)
        return 0;
    if (line == src.error_line)
        snprintf(err, err_size, "%s:%d: %s", path, line, src.error);
    else
        snprintf(err, err_size, "%s:%d: syntax error (expected 'key = value' or '[section]')", path, line);
    return -1;
}

//  The [service] section's keys; other services' sections are theirs.
static int config_ini_key(void *arg, const char *section, const char *name, const char *value, int line,
                          bool indented, char *problem, size_t size)
{
    (void)line;
    cchc_config_t *self = arg;
    if (strcmp(section, self->service) != 0)
        return 0;
    int index = option_index(self, name, strlen(name));
    if (indented)
        snprintf(problem, size,
                 "indented line in [%s]: start keys at the beginning of the line (values cannot continue on "
                 "the next line)",
                 section);
    else if (index < 0)
        snprintf(problem, size, "unknown key '%s' in [%s]", name, section);
    else if (set(self, index, value, "file", problem, size) == 0)
        return 0;
    return -1;
}

// ---------------------------------------------------------------------------
//  Loading

int cchc_config_load(cchc_config_t *self, int argc, char **argv, char *err, size_t err_size)
{
    assert(self && err && err_size > 0);
    err[0] = 0;
    //  1. The file: --config FILE / --config=FILE, else CCHC_CONFIG.
    const char *file = getenv("CCHC_CONFIG");
    bool check = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cchc_config_usage(self);
            return 1;
        }
        if (strcmp(argv[i], "--check-config") == 0 || strcmp(argv[i], "--check_config") == 0)
            check = true;
        else if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
                snprintf(err, err_size, "option '--config' needs a file name");
                return -1;
            }
            file = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    free(self->file);
    self->file = NULL;
    if (file && *file) {
        if (cchc_ini_parse(file, config_ini_key, NULL, self, err, err_size) != 0)
            return -1;
        self->file = strdup(file);
        if (!self->file)
            abort();
    }
    //  2. The environment: CCHC_<KEY>.
    for (size_t i = 0; i < self->count; i++) {
        char name[128] = "CCHC_";
        size_t n = 5;
        for (const char *k = self->options[i].key; *k && n < sizeof(name) - 1; k++)
            name[n++] = (char)(*k >= 'a' && *k <= 'z' ? *k - 'a' + 'A' : *k);
        name[n] = 0;
        const char *value = getenv(name);
        char problem[256];
        if (value && set(self, (int)i, value, "env", problem, sizeof(problem)) != 0) {
            snprintf(err, err_size, "%s: %s", name, problem);
            return -1;
        }
    }
    //  3. Flags.
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == 0) {
            snprintf(err, err_size, "unexpected argument '%s' (options are --key=value; see --help)", arg);
            return -1;
        }
        const char *key = arg + 2;
        const char *eq = strchr(key, '=');
        size_t klen = eq ? (size_t)(eq - key) : strlen(key);
        if (klen == 6 && strncmp(key, "config", 6) == 0) {
            if (!eq)
                i++; //  its value, read above
            continue;
        }
        if (!eq && (strcmp(key, "check-config") == 0 || strcmp(key, "check_config") == 0))
            continue;
        int index = option_index(self, key, klen);
        if (index < 0) {
            snprintf(err, err_size, "unknown option '--%.*s' (see --help)", (int)klen, key);
            return -1;
        }
        const char *value;
        if (eq)
            value = eq + 1;
        else if (is_boolean_option(&self->options[index]))
            value = i + 1 < argc && boolean_word(argv[i + 1]) >= 0 ? argv[++i] : "true"; //  "--verbose" alone
        else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
            value = argv[++i];
        else {
            snprintf(err, err_size, "option '--%s' needs a value", key);
            return -1;
        }
        char problem[256];
        if (set(self, index, value, "flag", problem, sizeof(problem)) != 0) {
            snprintf(err, err_size, "--%.*s: %s", (int)klen, key, problem);
            return -1;
        }
    }
    if (check) {
        printf("cchc-%s: configuration OK (file: %s)\n", self->service, self->file ? self->file : "none");
        for (size_t i = 0; i < self->count; i++) {
            const char *value = cchc_config_get(self, self->options[i].key);
            printf("  %-22s = %s  [%s]\n", self->options[i].key, value ? value : "(none)",
                   self->settings[i].source);
        }
        return 1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
//  Reading values

const char *cchc_config_get(const cchc_config_t *self, const char *key)
{
    assert(self && key);
    int index = option_index(self, key, strlen(key));
    if (index < 0)
        return NULL;
    return self->settings[index].value ? self->settings[index].value : self->options[index].value;
}

int cchc_config_get_int(const cchc_config_t *self, const char *key, int64_t *value)
{
    assert(value);
    const char *text = cchc_config_get(self, key);
    if (!text || !*text)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end)
        return -1;
    *value = v;
    return 0;
}

int cchc_config_get_bool(const cchc_config_t *self, const char *key, bool *value)
{
    assert(value);
    int word = boolean_word(cchc_config_get(self, key));
    if (word < 0)
        return -1;
    *value = word == 1;
    return 0;
}

const char *cchc_config_source(const cchc_config_t *self, const char *key)
{
    assert(self && key);
    int index = option_index(self, key, strlen(key));
    return index < 0 ? NULL : self->settings[index].source;
}

void cchc_config_usage(const cchc_config_t *self)
{
    assert(self);
    printf("Usage: cchc-%s [--config FILE] [--check-config] [--key=value ...]\n\n"
           "Settings (defaults < [%s] section of the file < CCHC_<KEY> < flags):\n",
           self->service, self->service);
    for (size_t i = 0; i < self->count; i++)
        printf("  --%-22s %s (default: %s)\n", self->options[i].key,
               self->options[i].help ? self->options[i].help : "",
               self->options[i].value ? self->options[i].value : "none");
}
