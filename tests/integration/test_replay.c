/*  test_replay.c - scoring and notify are functions of intake's log.

    After the small ward's timeline: (1) scoring stopped, its database
    deleted and started again rebuilds exactly the same ranking and
    explanations from the log, byte for byte; (2) scoring killed with
    kill -9 and restarted answers the same; (3) notify likewise: a rebuild
    from zero decides exactly the same alerts (same keys), and a kill -9
    restart repeats none.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR.
*/
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

#include "harness.h"
#include "scenario.h"

static int g_argc;
static char **g_argv;

typedef struct {
    uint8_t *data;
    size_t len;
} blob_t;

static int setup(void **state)
{
    static cluster_t c;
    if (cluster_init(&c, g_argc, g_argv) != 0 || cluster_start_all(&c) != 0 ||
        scenario_play(&c, g_argv[5], NULL, NULL) != 0) {
        cluster_dump_logs(&c);
        cluster_destroy(&c);
        return -1;
    }
    *state = &c;
    return 0;
}

static int teardown(void **state)
{
    cluster_destroy(*state);
    return 0;
}

//  Packed bytes of a reply body: equal bytes mean equal answers.
static blob_t pack_body(const ProtobufCMessage *msg)
{
    blob_t b;
    b.len = protobuf_c_message_get_packed_size(msg);
    b.data = malloc(b.len ? b.len : 1);
    protobuf_c_message_pack(msg, b.data);
    return b;
}

//  Ranking plus every unit's explanation, packed one after another.
static blob_t scoring_answers(cluster_t *c)
{
    blob_t all = {NULL, 0};
    cchc_decoded_t *dec = cluster_ranking(c, SCENARIO_WARD);
    assert_non_null(dec);
    const Cchc__Ranking *r = cchc_decoded_env(dec)->ranking;
    assert_int_equal(r->n_entries, 3);
    blob_t b = pack_body(&r->base);
    all = b;
    for (size_t i = 0; i < r->n_entries; i++) {
        Cchc__ExplainQuery q = CCHC__EXPLAIN_QUERY__INIT;
        q.ward = SCENARIO_WARD;
        q.unit = r->entries[i]->unit;
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_EXPLAIN_QUERY;
        env.explain_query = &q;
        cchc_decoded_t *ex = NULL;
        assert_int_equal(cluster_call(c, SVC_SCORING, &env, &ex), 0);
        assert_int_equal(cchc_decoded_env(ex)->body_case, CCHC__ENVELOPE__BODY_EXPLANATION);
        blob_t e = pack_body(&cchc_decoded_env(ex)->explanation->base);
        all.data = realloc(all.data, all.len + e.len);
        memcpy(all.data + all.len, e.data, e.len);
        all.len += e.len;
        free(e.data);
        cchc_decoded_destroy(&ex);
    }
    cchc_decoded_destroy(&dec);
    return all;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

//  The sorted alert keys "task/person/kind/level", newline-separated.
static char *alert_keys(cluster_t *c, size_t *count)
{
    cchc_decoded_t *dec = cluster_alerts(c, SCENARIO_WARD);
    assert_non_null(dec);
    const Cchc__AlertList *l = cchc_decoded_env(dec)->alert_list;
    char **keys = calloc(l->n_alerts + 1, sizeof(char *));
    size_t total = 1;
    for (size_t i = 0; i < l->n_alerts; i++) {
        char key[256];
        snprintf(key, sizeof(key), "%s/%s/%d/%d", l->alerts[i]->task, l->alerts[i]->person,
                 (int)l->alerts[i]->kind, l->alerts[i]->level);
        keys[i] = strdup(key);
        total += strlen(key) + 1;
    }
    qsort(keys, l->n_alerts, sizeof(char *), key_cmp);
    char *out = calloc(1, total);
    for (size_t i = 0; i < l->n_alerts; i++) {
        if (i > 0)
            assert_string_not_equal(keys[i], keys[i - 1]); //  no key twice
        strcat(out, keys[i]);
        strcat(out, "\n");
    }
    for (size_t i = 0; i < l->n_alerts; i++)
        free(keys[i]);
    *count = l->n_alerts;
    free(keys);
    cchc_decoded_destroy(&dec);
    return out;
}

static void assert_same(blob_t a, blob_t b)
{
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
}

static void test_scoring_rebuilds_from_zero(void **state)
{
    cluster_t *c = *state;
    blob_t live = scoring_answers(c);
    assert_int_equal(cluster_stop(c, SVC_SCORING), 0);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/scoring'", c->dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cluster_start(c, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    blob_t rebuilt = scoring_answers(c);
    assert_same(live, rebuilt);
    free(live.data);
    free(rebuilt.data);
}

static void test_scoring_survives_kill9(void **state)
{
    cluster_t *c = *state;
    blob_t before = scoring_answers(c);
    cluster_kill(c, SVC_SCORING);
    assert_int_equal(cluster_start(c, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    blob_t after = scoring_answers(c);
    assert_same(before, after);
    free(before.data);
    free(after.data);
}

static void test_notify_rebuilds_same_alerts(void **state)
{
    cluster_t *c = *state;
    size_t n_live, n_rebuilt, n_after_kill;
    char *live = alert_keys(c, &n_live);
    assert_true(n_live > 10);

    cluster_kill(c, SVC_NOTIFY);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, NULL), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    char *after_kill = alert_keys(c, &n_after_kill);
    assert_int_equal(n_after_kill, n_live);
    assert_string_equal(after_kill, live);

    assert_int_equal(cluster_stop(c, SVC_NOTIFY), 0);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/notify'", c->dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cluster_start(c, SVC_NOTIFY, NULL), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    char *rebuilt = alert_keys(c, &n_rebuilt);
    assert_int_equal(n_rebuilt, n_live);
    assert_string_equal(rebuilt, live);
    free(live);
    free(after_kill);
    free(rebuilt);
}

//  True if the service's log (JSON lines) has an event of that name.
static bool log_has(cluster_t *c, const char *service, const char *event)
{
    char path[400], needle[96], line[4096];
    snprintf(path, sizeof(path), "%s/%s.log", c->dir, service);
    snprintf(needle, sizeof(needle), "\"event\":\"%s\"", event);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

//  Heartbeats: with intake dead, scoring and notify say so within seconds,
//  and say when it is back; then they catch up as usual.
static void test_consumers_notice_a_dead_intake(void **state)
{
    cluster_t *c = *state;
    cluster_kill(c, SVC_INTAKE);
    bool noticed = false;
    for (int i = 0; i < 100 && !noticed; i++) { //  up to 10 s
        usleep(100 * 1000);
        noticed = log_has(c, "scoring", "intake_silent") && log_has(c, "notify", "intake_silent");
    }
    assert_true(noticed);
    assert_int_equal(cluster_start(c, SVC_INTAKE, NULL), 0);
    assert_true(ev_progress(c, SCENARIO_WARD, "KT", "T4", 10, 0) > 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    assert_true(log_has(c, "scoring", "intake_back"));
    assert_true(log_has(c, "notify", "intake_back"));
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scoring_rebuilds_from_zero),
        cmocka_unit_test(test_scoring_survives_kill9),
        cmocka_unit_test(test_notify_rebuilds_same_alerts),
        cmocka_unit_test(test_consumers_notice_a_dead_intake),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
