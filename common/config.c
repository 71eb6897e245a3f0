/*  config.c - defaults < INI file < CCHC_* environment < command-line flags.

    Values are kept as strings per option with the source that set them; the
    typed getters parse on demand. The INI file is read with libinih; only the
    section named after the service is applied.
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
    const char *source; //  "default", "file", "env", "flag"
} setting_t;

struct cchc_config {
    char *service;
    const cchc_option_t *options;
    size_t count;
    setting_t *settings; //  one per option
    char err[512];       //  first error while reading the file
    const char *file;
};

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
    free(self);
    *self_p = NULL;
}

//  Index of key (with '-' read as '_'), or -1.
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

static void set(cchc_config_t *self, int index, const char *value, const char *source)
{
    free(self->settings[index].value);
    self->settings[index].value = strdup(value);
    if (!self->settings[index].value)
        abort();
    self->settings[index].source = source;
}

static int config_ini_line(void *user, const char *section, const char *name, const char *value)
{
    cchc_config_t *self = user;
    if (strcmp(section, self->service) != 0)
        return 1; //  other services' sections
    int index = option_index(self, name, strlen(name));
    if (index < 0) {
        if (!self->err[0])
            snprintf(self->err, sizeof(self->err), "unknown key '%s' in [%s]", name, section);
        return 0;
    }
    set(self, index, value, "file");
    return 1;
}

static bool is_boolean_option(const cchc_option_t *opt)
{
    return opt->value && (strcmp(opt->value, "true") == 0 || strcmp(opt->value, "false") == 0);
}

int cchc_config_load(cchc_config_t *self, int argc, char **argv, char *err, size_t err_size)
{
    //  1. The file: --config FILE / --config=FILE, else CCHC_CONFIG.
    const char *file = getenv("CCHC_CONFIG");
    bool check = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cchc_config_usage(self);
            return 1;
        }
        if (strcmp(argv[i], "--check-config") == 0)
            check = true;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file && *file) {
        self->err[0] = 0;
        int rc = ini_parse(file, config_ini_line, self);
        if (rc == -1) {
            snprintf(err, err_size, "%s: cannot open: %s", file, strerror(errno));
            return -1;
        }
        if (rc != 0) {
            snprintf(err, err_size, "%s:%d: %s", file, rc, self->err[0] ? self->err : "syntax error");
            return -1;
        }
        self->file = file;
    }
    //  2. The environment: CCHC_<KEY>.
    for (size_t i = 0; i < self->count; i++) {
        char name[128] = "CCHC_";
        size_t n = 5;
        for (const char *k = self->options[i].key; *k && n < sizeof(name) - 1; k++)
            name[n++] = (char)(*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
        name[n] = 0;
        const char *value = getenv(name);
        if (value)
            set(self, (int)i, value, "env");
    }
    //  3. Flags.
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, err_size, "unexpected argument '%s'", arg);
            return -1;
        }
        const char *key = arg + 2;
        const char *eq = strchr(key, '=');
        size_t klen = eq ? (size_t)(eq - key) : strlen(key);
        if (klen == 6 && strncmp(key, "config", 6) == 0) {
            if (!eq)
                i++;
            continue;
        }
        if (strcmp(arg, "--check-config") == 0)
            continue;
        int index = option_index(self, key, klen);
        if (index < 0) {
            snprintf(err, err_size, "unknown option '--%.*s' (see --help)", (int)klen, key);
            return -1;
        }
        const char *value;
        if (eq)
            value = eq + 1;
        else if (is_boolean_option(&self->options[index]) &&
                 (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0))
            value = "true";
        else if (i + 1 < argc)
            value = argv[++i];
        else {
            snprintf(err, err_size, "option '--%s' needs a value", key);
            return -1;
        }
        set(self, index, value, "flag");
    }
    if (check) {
        printf("cchc-%s: configuration OK (file: %s)\n", self->service, self->file ? self->file : "none");
        for (size_t i = 0; i < self->count; i++)
            printf("  %-22s = %s  [%s]\n", self->options[i].key, cchc_config_get(self, self->options[i].key),
                   self->settings[i].source);
        return 1;
    }
    return 0;
}

const char *cchc_config_get(const cchc_config_t *self, const char *key)
{
    int index = option_index(self, key, strlen(key));
    if (index < 0)
        return NULL;
    return self->settings[index].value ? self->settings[index].value : self->options[index].value;
}

int cchc_config_get_int(const cchc_config_t *self, const char *key, int64_t *value)
{
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
    const char *text = cchc_config_get(self, key);
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
    for (int i = 0; text && i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *value = true;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *value = false;
            return 0;
        }
    }
    return -1;
}

const char *cchc_config_source(const cchc_config_t *self, const char *key)
{
    int index = option_index(self, key, strlen(key));
    return index < 0 ? NULL : self->settings[index].source;
}

void cchc_config_usage(const cchc_config_t *self)
{
    printf("Usage: cchc-%s [--config FILE] [--check-config] [--key=value ...]\n\n"
           "Settings (defaults < [%s] section of the file < CCHC_<KEY> < flags):\n",
           self->service, self->service);
    for (size_t i = 0; i < self->count; i++)
        printf("  --%-22s %s (default: %s)\n", self->options[i].key,
               self->options[i].help ? self->options[i].help : "",
               self->options[i].value ? self->options[i].value : "none");
}
