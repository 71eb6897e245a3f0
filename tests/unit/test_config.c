/*  test_config.c - defaults < file < environment < flags, and clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static const cchc_option_t options[] = {
    {"bind", "tcp://127.0.0.1:5570", "endpoint"},
    {"data_dir", "./data", "data"},
    {"tick_ms", "60000", "tick"},
    {"verbose", "false", "a boolean"},
    {"clock", "wall", "clock"},
    {NULL, NULL, NULL},
};

static char g_file[64];

static int setup(void **state)
{
    (void)state;
    snprintf(g_file, sizeof(g_file), "/tmp/cchc-test-config-%d.ini", (int)getpid());
    FILE *f = fopen(g_file, "w");
    fputs("; sample\n[scoring]\nbind = tcp://0.0.0.0:1\n[intake]\ndata_dir = /var/lib/x\ntick_ms = 1000\n"
          "clock = manual\n",
          f);
    fclose(f);
    unsetenv("CCHC_TICK_MS");
    unsetenv("CCHC_CLOCK");
    unsetenv("CCHC_CONFIG");
    unsetenv("CCHC_VERBOSE");
    return 0;
}

//  Before each test: no CCHC_* variable left over from the one before.
static int clean_env(void **state)
{
    (void)state;
    unsetenv("CCHC_TICK_MS");
    unsetenv("CCHC_CLOCK");
    unsetenv("CCHC_CONFIG");
    unsetenv("CCHC_VERBOSE");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_file);
    unsetenv("CCHC_TICK_MS");
    unsetenv("CCHC_CLOCK");
    return 0;
}

static void test_precedence(void **state)
{
    (void)state;
    setenv("CCHC_TICK_MS", "2000", 1);
    setenv("CCHC_CLOCK", "wall", 1);
    char *argv[] = {"cchc-intake", "--config", g_file, "--clock=manual", "--verbose", NULL};
    cchc_config_t *cfg = cchc_config_new("intake", options);
    char err[256];
    assert_int_equal(cchc_config_load(cfg, 5, argv, err, sizeof(err)), 0);
    //  default: the file's [scoring] section does not apply to intake
    assert_string_equal(cchc_config_get(cfg, "bind"), "tcp://127.0.0.1:5570");
    assert_string_equal(cchc_config_source(cfg, "bind"), "default");
    assert_string_equal(cchc_config_get(cfg, "data_dir"), "/var/lib/x");
    assert_string_equal(cchc_config_source(cfg, "data_dir"), "file");
    int64_t tick;
    assert_int_equal(cchc_config_get_int(cfg, "tick_ms", &tick), 0);
    assert_int_equal(tick, 2000); //  env beats file
    assert_string_equal(cchc_config_source(cfg, "tick_ms"), "env");
    assert_string_equal(cchc_config_get(cfg, "clock"), "manual"); //  flag beats env and file
    assert_string_equal(cchc_config_source(cfg, "clock"), "flag");
    bool verbose = false;
    assert_int_equal(cchc_config_get_bool(cfg, "verbose", &verbose), 0);
    assert_true(verbose);
    cchc_config_destroy(&cfg);
    assert_null(cfg);
}

static void test_flag_spellings(void **state)
{
    (void)state;
    char *argv[] = {"x", "--data-dir", "/d1", "--tick_ms", "5", NULL};
    cchc_config_t *cfg = cchc_config_new("intake", options);
    char err[256];
    assert_int_equal(cchc_config_load(cfg, 5, argv, err, sizeof(err)), 0);
    assert_string_equal(cchc_config_get(cfg, "data_dir"), "/d1");
    assert_string_equal(cchc_config_get(cfg, "tick_ms"), "5");
    cchc_config_destroy(&cfg);
}

static void test_errors_name_their_place(void **state)
{
    (void)state;
    char err[256];
    char bad[80];
    snprintf(bad, sizeof(bad), "%s.bad", g_file);
    FILE *f = fopen(bad, "w");
    fputs("[intake]\nbind = x\nno_such_key = 1\n", f);
    fclose(f);
    char *argv1[] = {"x", "--config", bad, NULL};
    cchc_config_t *cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 3, argv1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3:"));
    assert_non_null(strstr(err, "no_such_key"));
    cchc_config_destroy(&cfg);
    unlink(bad);

    char *argv2[] = {"x", "--nope=1", NULL};
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 2, argv2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--nope"));
    cchc_config_destroy(&cfg);

    char *argv3[] = {"x", "--config", "/nonexistent/cchc.ini", NULL};
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 3, argv3, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/cchc.ini"));
    cchc_config_destroy(&cfg);

    char *argv4[] = {"x", "--tick_ms=abc", NULL};
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 2, argv4, err, sizeof(err)), 0);
    int64_t v;
    assert_int_equal(cchc_config_get_int(cfg, "tick_ms", &v), -1);
    cchc_config_destroy(&cfg);
}

//  Write text to a new file named after g_file with suffix; returns its path.
static const char *write_file(const char *suffix, const char *text)
{
    static char path[96];
    snprintf(path, sizeof(path), "%s.%s", g_file, suffix);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

//  Load path for intake; returns the result with the message in err.
static int load_file(const char *path, char *err, size_t size)
{
    char *argv[] = {"x", "--config", (char *)path, NULL};
    cchc_config_t *cfg = cchc_config_new("intake", options);
    int rc = cchc_config_load(cfg, 3, argv, err, size);
    cchc_config_destroy(&cfg);
    return rc;
}

//  Each kind of error in the file names its own line, even when an earlier
//  or later line has another kind of error.
static void test_file_errors_name_the_right_line(void **state)
{
    (void)state;
    char err[512];
    //  a syntax error on line 3 comes before the unknown key on line 5
    const char *path =
        write_file("syntax", "[intake]\nbind = x\nthis line has no equals sign\n\nbogus = 1\n");
    assert_int_equal(load_file(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3: syntax error"));
    unlink(path);
    //  an unknown key on line 2 comes before the syntax error on line 4
    path = write_file("unknown", "[intake]\nbogus = 1\n\nno equals\n");
    assert_int_equal(load_file(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: unknown key 'bogus' in [intake]"));
    unlink(path);
    //  an unknown key in another service's section is that service's business
    path = write_file("other", "[scoring]\nbogus = 1\n[intake]\ndata-dir = /srv/x\n");
    char *argv[] = {"x", "--config", (char *)path, NULL};
    cchc_config_t *cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 3, argv, err, sizeof(err)), 0);
    assert_string_equal(cchc_config_get(cfg, "data_dir"), "/srv/x"); //  '-' accepted for '_'
    cchc_config_destroy(&cfg);
    unlink(path);
    //  an indented line would silently become part of the previous value
    path = write_file("indent", "[intake]\nbind = tcp://127.0.0.1:1\n  data_dir = /srv/x\n");
    assert_int_equal(load_file(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3: indented line"));
    unlink(path);
    //  a line longer than inih's buffer is refused, and the lines after it keep their numbers
    char text[1024];
    snprintf(text, sizeof(text), "[intake]\ndata_dir = /%0600d\nbogus = 2\n", 0);
    path = write_file("long", text);
    assert_int_equal(load_file(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: line longer than"));
    unlink(path);
    snprintf(text, sizeof(text), "[intake]\n; %0600d\nbogus = 2\n", 0);
    path = write_file("long2", text);
    assert_int_equal(load_file(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: line longer than")); //  even a long comment: it cannot be read whole
    unlink(path);
    //  a bad boolean names its line
    path = write_file("bool", "[intake]\nclock = manual\nverbose = maybe\n");
    assert_int_equal(load_file(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3: 'verbose' must be true or false, not 'maybe'"));
    unlink(path);
}

static void test_config_from_environment_and_flags(void **state)
{
    (void)state;
    char err[512];
    //  CCHC_CONFIG names the file when --config does not
    setenv("CCHC_CONFIG", g_file, 1);
    char *argv1[] = {"x", NULL};
    cchc_config_t *cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 1, argv1, err, sizeof(err)), 0);
    assert_string_equal(cchc_config_get(cfg, "clock"), "manual");
    assert_string_equal(cchc_config_source(cfg, "clock"), "file");
    cchc_config_destroy(&cfg);
    //  ... and a missing one is an error too
    setenv("CCHC_CONFIG", "/nonexistent/from-env.ini", 1);
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 1, argv1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/from-env.ini"));
    cchc_config_destroy(&cfg);
    unsetenv("CCHC_CONFIG");
    //  a bad boolean in the environment names the variable
    setenv("CCHC_VERBOSE", "sometimes", 1);
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 1, argv1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "CCHC_VERBOSE"));
    cchc_config_destroy(&cfg);
    unsetenv("CCHC_VERBOSE");
    //  booleans: "--verbose false" takes the word, "--verbose" before another flag means true
    char *argv2[] = {"x", "--verbose", "false", "--tick-ms=5", NULL};
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 4, argv2, err, sizeof(err)), 0);
    bool verbose = true;
    assert_int_equal(cchc_config_get_bool(cfg, "verbose", &verbose), 0);
    assert_false(verbose);
    assert_string_equal(cchc_config_source(cfg, "verbose"), "flag");
    cchc_config_destroy(&cfg);
    //  a boolean does not swallow a stray word; a non-boolean option alone needs a value
    char *argv3[] = {"x", "--verbose", "stray", NULL};
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 3, argv3, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'stray'"));
    cchc_config_destroy(&cfg);
    char *argv4[] = {"x", "--clock", "--verbose", NULL};
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 3, argv4, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'--clock' needs a value"));
    cchc_config_destroy(&cfg);
    char *argv5[] = {"x", "--config", NULL};
    cfg = cchc_config_new("intake", options);
    assert_int_equal(cchc_config_load(cfg, 2, argv5, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--config"));
    cchc_config_destroy(&cfg);
    //  unknown keys: NULL value and source
    cfg = cchc_config_new("intake", options);
    assert_null(cchc_config_get(cfg, "nope"));
    assert_null(cchc_config_source(cfg, "nope"));
    cchc_config_destroy(&cfg);
}

static void test_help(void **state)
{
    (void)state;
    char *argv[] = {"x", "--help", NULL};
    cchc_config_t *cfg = cchc_config_new("intake", options);
    char err[256];
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = cchc_config_load(cfg, 2, argv, err, sizeof(err));
    fclose(stdout);
    stdout = saved;
    assert_int_equal(rc, 1);
    cchc_config_destroy(&cfg);
    //  --check-config loads everything, prints, and also returns 1
    char *argv2[] = {"x", "--config", g_file, "--check-config", NULL};
    cfg = cchc_config_new("intake", options);
    stdout = fopen("/dev/null", "w");
    rc = cchc_config_load(cfg, 4, argv2, err, sizeof(err));
    fclose(stdout);
    stdout = saved;
    assert_int_equal(rc, 1);
    assert_string_equal(cchc_config_source(cfg, "clock"), "file");
    cchc_config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_precedence, clean_env),
        cmocka_unit_test_setup(test_flag_spellings, clean_env),
        cmocka_unit_test_setup(test_errors_name_their_place, clean_env),
        cmocka_unit_test_setup(test_file_errors_name_the_right_line, clean_env),
        cmocka_unit_test_setup(test_config_from_environment_and_flags, clean_env),
        cmocka_unit_test_setup(test_help, clean_env),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
