/*  test_digest_email.c - digests by e-mail through a real SMTP server on
    loopback (aiosmtpd with smtp_capture.py) and by Zalo to a real HTTP
    receiver (http_capture.py), every official having a Zalo user id.

    notify runs with channels "email,zalo" and digest_window_min=1440: one
    message per person per local day on each channel. The small ward's quarter is played (tests/integration/
    scenario.h), then the clock moves one more day so that the last day's
    window closes. Afterwards, from notify's own list of alerts (which
    person, which token, decided when):
      - every alert is sent, and appears in exactly one message, addressed
        to its recipient;
      - a person's alerts of one day travel in ONE message: a digest when
        there are several (X-CCHC-Token "digest/T1/PERSON/yyyymmdd0000/…",
        its Message-ID made from that token, the subject "[CCHC] Tổng hợp N
        thông báo ngày dd/mm/yyyy (…)", the body listing each member's
        token; on Zalo the digest's token in X-Request-Id and
        Idempotency-Key, the text opening with the same heading), the
        alert's own message when there is one;
      - no message is sent twice, and none is left over.
    While the scenario runs, the alerts of the day that is still open are
    held: right after the clock reaches 20/03, no alert decided that day
    has been mailed.

    Arguments: INTAKE SCORING NOTIFY CLI DATA_DIR SMTP_CAPTURE_PY HTTP_CAPTURE_PY.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "scenario.h"

static int g_argc;
static char **g_argv;

static const char *addresses[][2] = {{"CT", "ct@test.example.vn"},     {"PCT", "pct@test.example.vn"},
                                     {"H_VP", "hvp@test.example.vn"},  {"S_VP", "svp@test.example.vn"},
                                     {"H_KT", "hkt@test.example.vn"},  {"S_KT", "skt@test.example.vn"},
                                     {"H_VHXH", "hvh@test.example.vn"}};

static const char *address_of(const char *person)
{
    for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++)
        if (!strcmp(addresses[i][0], person))
            return addresses[i][1];
    fail_msg("no address for %s", person);
    return NULL;
}

static size_t index_of(const char *person)
{
    for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++)
        if (!strcmp(addresses[i][0], person))
            return i;
    fail_msg("unknown official %s", person);
    return 0;
}

//  How many messages carry the token KEY (their own) or list it as a
//  digest member ("mã thông báo: KEY" at the end of a line; the Zalo
//  receiver writes the text's line ends as "\n").
static int messages_with(const captured_t *box, const char *key, bool zalo, size_t *which)
{
    char needle[300], token[300];
    snprintf(needle, sizeof(needle), zalo ? "mã thông báo: %s\\n" : "mã thông báo: %s\n", key);
    int n = 0;
    for (size_t i = 0; i < box->n; i++) {
        bool single =
            harness_captured_field(box->text[i], zalo ? "h.x-request-id" : "token", token, sizeof(token)) &&
            !strcmp(token, key);
        if (single || strstr(box->text[i], needle)) {
            n++;
            *which = i;
        }
    }
    return n;
}

static void check_channel(const Cchc__AlertList *list, const char *dir, bool zalo);

static void test_digest_by_day(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, g_argc, g_argv), 0);
    int port = harness_free_port();
    char mail[400], log_path[400], listen[64], script[512], url[128];
    snprintf(mail, sizeof(mail), "%s/mail", c.dir);
    snprintf(log_path, sizeof(log_path), "%s/smtp.log", c.dir);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(script, sizeof(script), "%s", g_argv[6]);
    snprintf(url, sizeof(url), "--smtp_url=smtp://127.0.0.1:%d", port);
    const char *smtp_args[] = {"-m", "aiosmtpd", "-n", "-l", listen, "-c", "smtp_capture.Capture",
                               mail, NULL};
    pid_t smtp = harness_python_start(smtp_args, dirname(script), log_path, port);
    assert_true(smtp > 0);
    //  the Zalo receiver, and a Zalo user id for every official
    int http_port = harness_free_port();
    char zalo[400], http_log[400], http_port_text[16], zalo_url[128], users[400], token_file[400],
        users_arg[440], token_arg[440];
    snprintf(zalo, sizeof(zalo), "%s/zalo", c.dir);
    snprintf(http_log, sizeof(http_log), "%s/http.log", c.dir);
    snprintf(http_port_text, sizeof(http_port_text), "%d", http_port);
    snprintf(zalo_url, sizeof(zalo_url), "--zalo_url=http://127.0.0.1:%d/zalo", http_port);
    snprintf(users, sizeof(users), "%s/zalo-users", c.dir);
    snprintf(token_file, sizeof(token_file), "%s/zalo-token", c.dir);
    snprintf(users_arg, sizeof(users_arg), "--zalo_users_file=%s", users);
    snprintf(token_arg, sizeof(token_arg), "--zalo_token_file=%s", token_file);
    FILE *f = fopen(users, "w");
    assert_non_null(f);
    for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++)
        fprintf(f, "%s = 55500000%02zu\n", addresses[i][0], i);
    assert_int_equal(fclose(f), 0);
    assert_non_null(f = fopen(token_file, "w"));
    fputs("zalo-token\n", f);
    assert_int_equal(fclose(f), 0);
    const char *http_args[] = {g_argv[7], http_port_text, zalo, NULL};
    pid_t http = harness_python_start(http_args, NULL, http_log, http_port);
    assert_true(http > 0);
    const char *notify_args[] = {url,
                                 zalo_url,
                                 users_arg,
                                 token_arg,
                                 "--channels=email,zalo",
                                 "--smtp_from=cchc@test.example.vn",
                                 "--smtp_tls=off",
                                 "--smtp_timeout_ms=3000",
                                 "--digest_window_min=1440",
                                 NULL};
    assert_int_equal(cluster_start(&c, SVC_INTAKE, NULL), 0);
    assert_int_equal(cluster_start(&c, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_start(&c, SVC_NOTIFY, notify_args), 0);
    assert_int_equal(scenario_play(&c, g_argv[5], NULL, NULL), 0); //  the clock is on 20/03 now

    //  20/03's window is open: its alerts are decided but held
    harness_sleep_ms(500);
    cchc_decoded_t *r = cluster_alerts(&c, SCENARIO_WARD);
    assert_non_null(r);
    const Cchc__AlertList *list = cchc_decoded_env(r)->alert_list;
    int held = 0;
    for (size_t i = 0; i < list->n_alerts; i++)
        if (cchc_date_of_ms(list->alerts[i]->decided_ms) == 20260320) {
            assert_string_equal(list->alerts[i]->status, "pending");
            held++;
        }
    assert_true(held > 0);
    cchc_decoded_destroy(&r);

    //  the next day closes it
    assert_int_equal(cluster_advance(&c, "21/03/2026 09:00"), 0);
    assert_int_equal(cluster_wait_caught_up(&c, SCENARIO_WARD, 10000), 0);
    int64_t deadline = harness_mono_ms() + 15000;
    bool all_sent = false;
    while (!all_sent && harness_mono_ms() < deadline) {
        harness_sleep_ms(100);
        r = cluster_alerts(&c, SCENARIO_WARD);
        assert_non_null(r);
        list = cchc_decoded_env(r)->alert_list;
        all_sent = list->n_alerts > 0;
        for (size_t i = 0; i < list->n_alerts; i++)
            all_sent = all_sent && !strcmp(list->alerts[i]->status, "sent");
        if (!all_sent)
            cchc_decoded_destroy(&r);
    }
    assert_true(all_sent);
    assert_int_equal(cluster_stop(&c, SVC_NOTIFY), 0);
    harness_helper_stop(&smtp);
    harness_helper_stop(&http);
    check_channel(list, mail, false);
    check_channel(list, zalo, true);
    cchc_decoded_destroy(&r);
    assert_int_equal(cluster_stop_all(&c), 0);
    cluster_destroy(&c);
}

//  What arrived in dir (e-mail, or Zalo requests): each alert in exactly
//  one message to its recipient, one message per person per day.
static void check_channel(const Cchc__AlertList *list, const char *dir, bool zalo)
{
    captured_t box = harness_captured(dir);
    size_t n = list->n_alerts, groups = 0, digests = 0;
    int *group_size = calloc(n, sizeof(*group_size));
    assert_non_null(group_size);
    //  a person's alerts of one day: one group
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            group_size[i] +=
                !strcmp(list->alerts[i]->person, list->alerts[j]->person) &&
                cchc_date_of_ms(list->alerts[i]->decided_ms) == cchc_date_of_ms(list->alerts[j]->decided_ms);
    for (size_t i = 0; i < n; i++) {
        const Cchc__Alert *a = list->alerts[i];
        char key[256], v[512], prefix[128];
        snprintf(key, sizeof(key), "%s/%s/%s/%d/%d", a->ward, a->task, a->person, (int)a->kind, a->level);
        size_t m = 0;
        if (messages_with(&box, key, zalo, &m) != 1)
            fail_msg("%s is in %d messages, not 1", key, messages_with(&box, key, zalo, &m));
        const char *msg = box.text[m];
        if (zalo) {
            char user[32];
            snprintf(user, sizeof(user), "55500000%02zu", index_of(a->person));
            assert_string_equal(harness_captured_field(msg, "j.recipient.user_id", v, sizeof(v)), user);
            assert_string_equal(harness_captured_field(msg, "status", v, sizeof(v)), "200");
        } else {
            assert_string_equal(harness_captured_field(msg, "rcpt_to", v, sizeof(v)), address_of(a->person));
        }
        assert_non_null(harness_captured_field(msg, zalo ? "h.x-request-id" : "token", v, sizeof(v)));
        char day[16];
        cchc_date_format(cchc_date_of_ms(a->decided_ms), day, sizeof(day));
        if (group_size[i] == 1) {
            assert_string_equal(v, key);
            groups++;
            continue;
        }
        //  a digest: its own token, made a Message-ID, a subject naming the day and the count
        snprintf(prefix, sizeof(prefix), "digest/%s/%s/%d0000/", a->ward, a->person,
                 (int)cchc_date_of_ms(a->decided_ms));
        assert_true(!strncmp(v, prefix, strlen(prefix)));
        char id[512], subject[512], expect[700];
        if (zalo) {
            //  the text begins with the heading naming the day and the count
            snprintf(expect, sizeof(expect), "j.message.text: Tổng hợp %d thông báo ngày %s về",
                     group_size[i], day);
            assert_non_null(strstr(msg, expect));
            assert_string_equal(harness_captured_field(msg, "h.idempotency-key", id, sizeof(id)), v);
        } else {
            harness_captured_field(msg, "message_id", id, sizeof(id));
            assert_true(!strncmp(id, "<cchc.digest.", 13));
            snprintf(expect, sizeof(expect), "[CCHC] Tổng hợp %d thông báo ngày %s (", group_size[i], day);
            assert_non_null(harness_captured_field(msg, "subject", subject, sizeof(subject)));
            assert_true(!strncmp(subject, expect, strlen(expect)));
            snprintf(expect, sizeof(expect), "Mã thư tổng hợp: %s\n", v);
            assert_non_null(strstr(msg, expect));
        }
        assert_non_null(strstr(msg, a->text));
        //  count each digest once: at its first member in the list
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = !(!strcmp(list->alerts[j]->person, a->person) &&
                      cchc_date_of_ms(list->alerts[j]->decided_ms) == cchc_date_of_ms(a->decided_ms));
        groups += first;
        digests += first;
    }
    //  one message per group, nothing else, nothing twice
    assert_int_equal(box.n, groups);
    assert_true(digests > 0);
    fprintf(stderr, "digest test (%s): %zu alerts in %zu messages (%zu digests)\n", zalo ? "zalo" : "email",
            n, box.n, digests);
    free(group_size);
    harness_captured_free(&box);
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: %s INTAKE SCORING NOTIFY CLI DATA_DIR SMTP_CAPTURE_PY HTTP_CAPTURE_PY\n",
                argv[0]);
        return 2;
    }
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_digest_by_day)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
