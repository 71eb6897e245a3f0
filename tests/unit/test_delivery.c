/*  test_delivery.c - the retry policy (delivery.h): backoff with jitter,
    routing into fallback groups, fallback and dead-lettering; and the HTTP
    channels' bodies (webhook.h).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "webhook.h"

static const cchc_retry_policy_t POLICY = {
    .initial_ms = 1000, .max_ms = 30000, .factor = 2.0, .max_attempts = 5, .fallback_after = 2};

static void test_backoff_grows_to_the_cap(void **state)
{
    (void)state;
    //  random 0: the lower edge (base/2); a random equal to base/2: the upper edge
    assert_int_equal(cchc_backoff_ms(&POLICY, 1, 0), 500);
    assert_int_equal(cchc_backoff_ms(&POLICY, 1, 500), 1000);
    assert_int_equal(cchc_backoff_ms(&POLICY, 2, 0), 1000);
    assert_int_equal(cchc_backoff_ms(&POLICY, 2, 1000), 2000);
    assert_int_equal(cchc_backoff_ms(&POLICY, 3, 2000), 4000);
    assert_int_equal(cchc_backoff_ms(&POLICY, 5, 8000), 16000);
    assert_int_equal(cchc_backoff_ms(&POLICY, 6, 15000), 30000); //  32 s capped at 30 s
    assert_int_equal(cchc_backoff_ms(&POLICY, 60, 15000), 30000);
    assert_int_equal(cchc_backoff_ms(&POLICY, 60, 0), 15000);
    //  the random value wraps into the window, never past base
    uint64_t rng = 42;
    for (int failures = 1; failures < 12; failures++) {
        int64_t base = failures >= 6 ? 30000 : 1000LL << (failures - 1);
        for (int i = 0; i < 200; i++) {
            int64_t d = cchc_backoff_ms(&POLICY, failures, cchc_jitter_random(&rng));
            assert_true(d >= base / 2 && d <= base);
        }
    }
    //  a fractional factor
    cchc_retry_policy_t p = POLICY;
    p.factor = 1.5;
    assert_int_equal(cchc_backoff_ms(&p, 3, 1125), 2250); //  1000 * 1.5^2, upper edge
}

static void test_route_groups(void **state)
{
    (void)state;
    cchc_route_t r;
    assert_int_equal(cchc_route_parse(&r, "console,zalo>email,webhook"), 0);
    assert_int_equal(r.ngroups, 3);
    assert_int_equal(r.groups[1].n, 2);
    assert_true(r.enabled & CCHC_CH_BIT(CCHC_CH_EMAIL));
    assert_false(r.enabled & CCHC_CH_BIT(CCHC_CH_FILE));
    assert_int_equal(cchc_route_parse(&r, "zalo>zalo"), -1);
    assert_int_equal(cchc_route_parse(&r, "sms"), -1);
    assert_int_equal(r.ngroups, 0);
    assert_int_equal(cchc_route_parse(&r, ""), 0);
}

#define BIT(c) CCHC_CH_BIT(CCHC_CH_##c)

static void test_fallback_then_dead(void **state)
{
    (void)state;
    cchc_route_t r;
    assert_int_equal(cchc_route_parse(&r, "file,zalo>email"), 0);
    unsigned reach = BIT(FILE) | BIT(ZALO) | BIT(EMAIL);
    cchc_delivery_state_t st = {0};
    uint64_t rng = 7;
    int64_t now = 1000000, next = 0;
    //  first round: the file and Zalo; the file takes it, Zalo fails
    unsigned plan = cchc_delivery_plan(&r, &st, reach, now);
    assert_int_equal(plan, BIT(FILE) | BIT(ZALO));
    assert_int_equal(cchc_delivery_record(&r, &POLICY, &st, reach, plan, BIT(FILE), now, &rng, &next),
                     CCHC_OUTCOME_PENDING);
    assert_int_equal(st.ch[CCHC_CH_FILE].status, CCHC_DS_SENT);
    assert_true(next >= now + 500 && next <= now + 1000);
    assert_int_equal(cchc_delivery_plan(&r, &st, reach, now + 10), 0); //  not due yet
    //  second round: only Zalo (the file never again); it fails again: fall back to e-mail at once
    now = next;
    plan = cchc_delivery_plan(&r, &st, reach, now);
    assert_int_equal(plan, BIT(ZALO));
    assert_int_equal(cchc_delivery_record(&r, &POLICY, &st, reach, plan, 0, now, &rng, &next),
                     CCHC_OUTCOME_PENDING);
    assert_int_equal(st.ch[CCHC_CH_ZALO].status, CCHC_DS_FAILED);
    assert_int_equal(next, 0);
    //  e-mail fails up to max_attempts: dead
    for (int i = 1; i <= POLICY.max_attempts; i++) {
        now += 100000;
        plan = cchc_delivery_plan(&r, &st, reach, now);
        assert_int_equal(plan, BIT(EMAIL));
        cchc_outcome_t o = cchc_delivery_record(&r, &POLICY, &st, reach, plan, 0, now, &rng, &next);
        assert_int_equal(o, i < POLICY.max_attempts ? CCHC_OUTCOME_PENDING : CCHC_OUTCOME_DEAD);
    }
    //  a replay resets the channels not sent: e-mail, then Zalo, are tried again; the file is not
    st.ch[CCHC_CH_ZALO] = (cchc_channel_state_t){0};
    st.ch[CCHC_CH_EMAIL] = (cchc_channel_state_t){0};
    plan = cchc_delivery_plan(&r, &st, reach, now);
    assert_int_equal(plan, BIT(ZALO));
    assert_int_equal(cchc_delivery_record(&r, &POLICY, &st, reach, plan, plan, now, &rng, &next),
                     CCHC_OUTCOME_SENT);
}

static void test_unreachable_channels(void **state)
{
    (void)state;
    cchc_route_t r;
    assert_int_equal(cchc_route_parse(&r, "zalo>email,webhook"), 0);
    cchc_delivery_state_t st = {0};
    uint64_t rng = 9;
    int64_t next;
    //  no Zalo id: e-mail is the group's channel; nothing reachable in it: only the webhook
    assert_int_equal(cchc_delivery_plan(&r, &st, BIT(EMAIL) | BIT(WEBHOOK), 0), BIT(EMAIL) | BIT(WEBHOOK));
    unsigned plan = cchc_delivery_plan(&r, &st, BIT(WEBHOOK), 0);
    assert_int_equal(plan, BIT(WEBHOOK));
    assert_int_equal(cchc_delivery_record(&r, &POLICY, &st, BIT(WEBHOOK), plan, plan, 0, &rng, &next),
                     CCHC_OUTCOME_SENT);
    //  a single channel with no fallback: dead at max_attempts, not at fallback_after
    memset(&st, 0, sizeof(st));
    assert_int_equal(cchc_route_parse(&r, "webhook"), 0);
    for (int i = 1; i <= POLICY.max_attempts; i++) {
        cchc_outcome_t o =
            cchc_delivery_record(&r, &POLICY, &st, BIT(WEBHOOK), BIT(WEBHOOK), 0, i, &rng, &next);
        assert_int_equal(o, i < POLICY.max_attempts ? CCHC_OUTCOME_PENDING : CCHC_OUTCOME_DEAD);
    }
    //  nothing tried (a stop): unchanged, still pending
    memset(&st, 0, sizeof(st));
    assert_int_equal(cchc_delivery_record(&r, &POLICY, &st, BIT(WEBHOOK), 0, 0, 5, &rng, &next),
                     CCHC_OUTCOME_PENDING);
    assert_int_equal(st.ch[CCHC_CH_WEBHOOK].attempts, 0);
}

static void test_bodies(void **state)
{
    (void)state;
    cchc_alert_t a = {.id = 12,
                      .ward = "LTN",
                      .task = "T3",
                      .unit = "KT",
                      .person = "H_KT",
                      .person_name = "Đỗ Quang Khải",
                      .kind = CCHC__ALERT_KIND__ALERT_OVERDUE,
                      .level = 0,
                      .due_date = 20260131,
                      .days_overdue = 5,
                      .decided_ms = 0,
                      .text = "Quá hạn: \"T3\"\nchưa xong",
                      .key = "LTN/T3/H_KT/1/0"};
    char *z = cchc_zalo_json(&a, "5551234");
    assert_string_equal(z, "{\"recipient\":{\"user_id\":\"5551234\"},\"message\":{\"text\":\"Quá hạn: "
                           "\\\"T3\\\"\\u000achưa xong\"}}");
    free(z);
    char *j = cchc_alert_json(&a);
    assert_memory_equal(
        j, "{\"id\":12,\"token\":\"LTN/T3/H_KT/1/0\",\"kind\":\"overdue\",\"kind_vi\":\"Quá hạn\"",
        strlen("{\"id\":12,\"token\":\"LTN/T3/H_KT/1/0\",\"kind\":\"overdue\",\"kind_vi\":\"Quá hạn\""));
    assert_non_null(strstr(j, ",\"due\":\"31/01/2026\",\"days_overdue\":5,"));
    free(j);
    cchc_http_target_t t = {.url = "https://openapi.zalo.me/v3.0/oa/message/cs", .timeout_ms = 1000};
    assert_int_equal(cchc_http_target_check(&t), 0);
    strcpy(t.url, "ftp://x");
    assert_int_equal(cchc_http_target_check(&t), -1);
    strcpy(t.url, "http://");
    assert_int_equal(cchc_http_target_check(&t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_grows_to_the_cap),
        cmocka_unit_test(test_route_groups),
        cmocka_unit_test(test_fallback_then_dead),
        cmocka_unit_test(test_unreachable_channels),
        cmocka_unit_test(test_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
