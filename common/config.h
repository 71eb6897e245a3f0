/*  config.h - settings with precedence: defaults < INI file < environment
    (CCHC_<KEY>) < command-line flags (--key=value or --key value).

    Each service declares its options in a table. The INI file is named by
    --config FILE (or CCHC_CONFIG); its [<service>] section is read and other
    sections are ignored, so one file may configure every service. Keys are
    lower-case with underscores: "data_dir" is CCHC_DATA_DIR and --data-dir or
    --data_dir on the command line. Unknown keys in the file or on the command
    line are errors naming the line or flag. Parsed with libinih.
*/
#ifndef CCHC_CONFIG_H
#define CCHC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *key;   //  "data_dir"
    const char *value; //  default, may be NULL
    const char *help;  //  one line for --help
} cchc_option_t;

typedef struct cchc_config cchc_config_t;

//  New config for service with options (terminated by an entry whose key is
//  NULL); the table must outlive the config. Caller owns the result.
cchc_config_t *cchc_config_new(const char *service, const cchc_option_t *options);

void cchc_config_destroy(cchc_config_t **self_p);

//  Load file, environment and argv (argv[0] is skipped) in precedence order.
//  Returns 0; 1 if --help was given (usage printed to stdout) or
//  --check-config (everything loaded; the effective settings and their
//  sources printed to stdout); or -1 with a message in err naming the file
//  line, variable or flag at fault.
int cchc_config_load(cchc_config_t *self, int argc, char **argv, char *err, size_t err_size);

//  Value of key (never NULL for a key with a default), or NULL.
const char *cchc_config_get(const cchc_config_t *self, const char *key);

//  Integer value; returns -1 with err set if the value is not an integer.
int cchc_config_get_int(const cchc_config_t *self, const char *key, int64_t *value);

//  Boolean value (1/0, true/false, yes/no, on/off); -1 if not boolean.
int cchc_config_get_bool(const cchc_config_t *self, const char *key, bool *value);

//  Where the value of key came from: "default", "file", "env" or "flag".
const char *cchc_config_source(const cchc_config_t *self, const char *key);

//  Print usage and the options with their defaults to stdout.
void cchc_config_usage(const cchc_config_t *self);

// ---------------------------------------------------------------------------
//  A line-accurate INI reader over libinih, for the services' settings and
//  any other INI file (scoring's rules file).
//
//  on_key gets every key = value with its physical line and whether that
//  line was indented (inih would take an indented line as the continuation
//  of the previous value); on_raw, if not NULL, sees every physical line
//  first (section headers, which inih reports to nobody when the section is
//  empty). A callback accepts with 0 or refuses with -1 and a problem
//  written into (problem, size). The file is refused at its first problem
//  by line - a callback's, a line longer than inih's buffer, or an inih
//  syntax error - as "path:line: problem". Returns 0, or -1 with err set.

#include <stdbool.h>

typedef int(cchc_ini_key_fn)(void *arg, const char *section, const char *name, const char *value, int line,
                             bool indented, char *problem, size_t size);
typedef int(cchc_ini_raw_fn)(void *arg, const char *text, int line, char *problem, size_t size);

int cchc_ini_parse(const char *path, cchc_ini_key_fn *on_key, cchc_ini_raw_fn *on_raw, void *arg, char *err,
                   size_t err_size);

#endif
