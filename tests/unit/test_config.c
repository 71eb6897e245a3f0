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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_flag_spellings),
        cmocka_unit_test(test_errors_name_their_place),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
