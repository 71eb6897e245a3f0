/*  test_sharding.c - two intake shards side by side: a submission for a
    ward another shard owns gets ERR_WRONG_SHARD naming the owner, nothing is
    appended, and the sender library follows it to the owner.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "scenario.h"
#include "sender.h"

static int g_argc;
static char **g_argv;

typedef struct {
    cluster_t a, b; //  shard A owns the small ward T1; shard B owns "OTHER"
} shards_t;

static int setup(void **state)
{
    static shards_t s;
    char out[4096], map[320];
    if (cluster_init(&s.a, g_argc, g_argv) != 0 || cluster_init(&s.b, g_argc, g_argv) != 0)
        return -1;
    const char *a_args[] = {"--wards=" SCENARIO_WARD, NULL};
    snprintf(map, sizeof(map), "--shard_map=%s@%s", SCENARIO_WARD, s.a.intake_ep);
    const char *b_args[] = {"--wards=OTHER", map, NULL};
    if (cluster_start(&s.a, SVC_INTAKE, a_args) != 0 || cluster_start(&s.b, SVC_INTAKE, b_args) != 0 ||
        cluster_cli(&s.a, out, sizeof(out), "import '%s'", g_argv[5]) != 0) {
        cluster_dump_logs(&s.a);
        cluster_dump_logs(&s.b);
        return -1;
    }
    *state = &s;
    return 0;
}

static int teardown(void **state)
{
    shards_t *s = *state;
    cluster_destroy(&s->a);
    cluster_destroy(&s->b);
    return 0;
}

static Cchc__Event progress_event(Cchc__ProgressReported *p)
{
    cchc__progress_reported__init(p);
    p->task = "T1";
    p->has_percent = true;
    p->percent = 33;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = SCENARIO_WARD;
    ev.actor = "VP";
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = p;
    return ev;
}

static void test_wrong_shard_names_the_owner(void **state)
{
    shards_t *s = *state;
    uint64_t head_b = cluster_head(&s->b);
    Cchc__ProgressReported p;
    Cchc__Event ev = progress_event(&p);
    Cchc__Event *evs[1] = {&ev};
    Cchc__Submit submit = CCHC__SUBMIT__INIT;
    submit.n_events = 1;
    submit.events = evs;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(&s->b, SVC_INTAKE, &env, &reply), 0);
    const Cchc__Ack *ack = cchc_decoded_env(reply)->ack;
    assert_int_equal(ack->seqs[0], 0);
    assert_int_equal(ack->n_errors, 1);
    assert_int_equal(ack->errors[0]->code, CCHC__ERROR_CODE__ERR_WRONG_SHARD);
    assert_string_equal(ack->errors[0]->owner, s->a.intake_ep);
    cchc_decoded_destroy(&reply);
    assert_int_equal(cluster_head(&s->b), head_b); //  nothing appended on B

    //  A does not own OTHER and knows no owner: the error says so, without one
    ev.ward = "OTHER";
    assert_int_equal(cluster_call(&s->a, SVC_INTAKE, &env, &reply), 0);
    ack = cchc_decoded_env(reply)->ack;
    assert_int_equal(ack->errors[0]->code, CCHC__ERROR_CODE__ERR_WRONG_SHARD);
    assert_null(ack->errors[0]->owner);
    cchc_decoded_destroy(&reply);
}

static void test_sender_follows_to_the_owner(void **state)
{
    shards_t *s = *state;
    uint64_t head_a = cluster_head(&s->a), head_b = cluster_head(&s->b);
    cchc_sender_t *sender = cchc_sender_new(s->b.zctx, s->b.intake_ep, NULL);
    Cchc__ProgressReported p;
    Cchc__Event ev = progress_event(&p);
    Cchc__Event *evs[1] = {&ev};
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cchc_sender_submit(sender, evs, 1, 2000, 10000, &reply), 0);
    const Cchc__Ack *ack = cchc_decoded_env(reply)->ack;
    assert_int_equal(ack->n_errors, 0);
    assert_int_equal(ack->seqs[0], head_a + 1);
    assert_int_equal(cchc_sender_followed(sender), 1);
    assert_string_equal(cchc_sender_endpoint(sender), s->a.intake_ep);
    cchc_decoded_destroy(&reply);
    //  the next submission goes straight to A
    assert_int_equal(cchc_sender_submit(sender, evs, 1, 2000, 10000, &reply), 0);
    assert_int_equal(cchc_decoded_env(reply)->ack->seqs[0], head_a + 2);
    assert_int_equal(cchc_sender_followed(sender), 1);
    cchc_decoded_destroy(&reply);
    cchc_sender_destroy(&sender);
    assert_int_equal(cluster_head(&s->a), head_a + 2);
    assert_int_equal(cluster_head(&s->b), head_b);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_shard_names_the_owner),
        cmocka_unit_test(test_sender_follows_to_the_owner),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
