/*  test_periods.c - rankings by month and quarter, the year ranking as of a
    past instant, a unit's score history and the province view (scoring,
    docs/SCORING.md "Periods and history").

    The small ward's scenario (scenario.h) is played step by step. Checked:
    - January while open (25/01): provisional, only the tasks due in January
      that came due or were done early; once the log passes 01/02 it is
      frozen as it stood at the end of 31/01 (KT's unfinished T3 counts
      16,66), and it stays so after KT finishes T3 late in February, while
      the year ranking moves on;
    - February frozen at 01/03, with its tie broken by unit code; the first
      quarter frozen at 01/04 equals the year ranking then (every task of
      the scenario is due in the quarter, no bonus or appraisal);
    - kill -9 of scoring between two month ends, and a rebuild of scoring
      from an empty database: the same frozen rankings, byte for byte;
    - the year ranking as of each instant recorded during the play equals,
      unit for unit, what the live ranking said at that instant;
    - KT's history is a chain (each record's old values are the previous
      record's new ones) ending in its live entry;
    - the province view ranks the province's wards and leaves out others;
    - bad period arguments get ERR_OUT_OF_RANGE; the CLI prints the periods.

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
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "scenario.h"

static char **g_argv;

#define MAX_SNAPSHOTS 16
#define MAX_UNITS     8

//  The live year ranking at one instant.
typedef struct {
    int64_t as_of_ms;
    size_t n;
    struct {
        char unit[16];
        uint32_t rank;
        int32_t score;
        int tier;
    } e[MAX_UNITS];
} snapshot_t;

static cchc_decoded_t *ranking_query(cluster_t *c, Cchc__RankingQuery *q, Cchc__ErrorCode *error)
{
    q->ward = (char *)SCENARIO_WARD;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    env.ranking_query = q;
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(c, SVC_SCORING, &env, &reply), 0);
    const Cchc__Envelope *r = cchc_decoded_env(reply);
    if (error) {
        assert_int_equal(r->body_case, CCHC__ENVELOPE__BODY_ERROR);
        *error = r->error->code;
        cchc_decoded_destroy(&reply);
        return NULL;
    }
    assert_int_equal(r->body_case, CCHC__ENVELOPE__BODY_RANKING);
    return reply;
}

static cchc_decoded_t *period(cluster_t *c, Cchc__PeriodKind kind, int index)
{
    Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
    q.has_period = q.has_period_index = true;
    q.period = kind;
    q.period_index = index;
    return ranking_query(c, &q, NULL);
}

static const Cchc__Ranking *ranking_of(cchc_decoded_t *reply)
{
    return cchc_decoded_env(reply)->ranking;
}

static void expect_entry(const Cchc__Ranking *r, size_t position, const char *unit, int32_t score,
                         Cchc__Tier tier)
{
    assert_true(position < r->n_entries);
    const Cchc__RankEntry *e = r->entries[position];
    assert_string_equal(e->unit, unit);
    assert_int_equal(e->rank, position + 1);
    assert_int_equal(e->tier, tier);
    if (tier != CCHC__TIER__TIER_UNRATED)
        assert_int_equal(e->score_centi, score);
}

static void expect_period(const Cchc__Ranking *r, Cchc__PeriodKind kind, int index, int32_t from, int32_t to,
                          bool final)
{
    assert_int_equal(r->period, kind);
    assert_int_equal(r->period_index, index);
    assert_int_equal(r->year, 2026);
    assert_int_equal(r->from_date, from);
    assert_int_equal(r->to_date, to);
    assert_int_equal(r->final, final);
    assert_int_equal(r->n_entries, 3);
}

//  The packed bytes of a ranking, for byte-for-byte comparisons.
static uint8_t *packed(const Cchc__Ranking *r, size_t *len)
{
    *len = cchc__ranking__get_packed_size(r);
    uint8_t *buf = malloc(*len + 1);
    assert_non_null(buf);
    cchc__ranking__pack(r, buf);
    return buf;
}

static void expect_same_bytes(cluster_t *c, Cchc__PeriodKind kind, int index, const uint8_t *want, size_t len)
{
    cchc_decoded_t *reply = period(c, kind, index);
    size_t got_len;
    uint8_t *got = packed(ranking_of(reply), &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, want, len);
    free(got);
    cchc_decoded_destroy(&reply);
}

static void take_snapshot(cluster_t *c, snapshot_t *s)
{
    cchc_decoded_t *reply = cluster_ranking(c, SCENARIO_WARD);
    assert_non_null(reply);
    const Cchc__Ranking *r = ranking_of(reply);
    memset(s, 0, sizeof(*s));
    s->as_of_ms = r->as_of_ms;
    for (size_t i = 0; i < r->n_entries && s->n < MAX_UNITS; i++) {
        snprintf(s->e[s->n].unit, sizeof(s->e[s->n].unit), "%s", r->entries[i]->unit);
        s->e[s->n].rank = r->entries[i]->rank;
        s->e[s->n].score = r->entries[i]->score_centi;
        s->e[s->n].tier = r->entries[i]->tier;
        s->n++;
    }
    cchc_decoded_destroy(&reply);
}

static void play(cluster_t *c, const char *after, const char *until)
{
    if (scenario_play(c, g_argv[5], after, until) != 0 ||
        cluster_wait_caught_up(c, SCENARIO_WARD, 10000) != 0) {
        cluster_dump_logs(c);
        fail_msg("the scenario did not play to %s", until);
    }
}

static void restart_scoring(cluster_t *c, bool from_empty)
{
    if (from_empty) {
        assert_int_equal(cluster_stop(c, SVC_SCORING), 0);
        char path[512];
        static const char *const suffixes[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof(path), "%s/scoring/scoring.db%s", c->dir, suffixes[i]);
            unlink(path);
        }
    } else {
        cluster_kill(c, SVC_SCORING);
    }
    assert_int_equal(cluster_start(c, SVC_SCORING, NULL), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 20000), 0);
}

static void test_periods(void **state)
{
    cluster_t *c = *state;
    static const char *const days[] = {"10/01", "15/01", "20/01", "25/01"};
    snapshot_t snaps[MAX_SNAPSHOTS];
    size_t nsnaps = 0;
    const char *after = NULL;
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        play(c, after, days[i]);
        after = days[i];
        take_snapshot(c, &snaps[nsnaps++]);
    }

    //  January, open: T3 (KT, due 31/01) is not due yet; T1 and T5 are done.
    cchc_decoded_t *reply = period(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 1);
    const Cchc__Ranking *r = ranking_of(reply);
    expect_period(r, CCHC__PERIOD_KIND__PERIOD_MONTH, 1, 20260101, 20260131, false);
    expect_entry(r, 0, "VP", 10000, CCHC__TIER__TIER_EXCELLENT);
    expect_entry(r, 1, "VHXH", 9166, CCHC__TIER__TIER_EXCELLENT); //  one failed review: (1 + 0,75 + 1) / 3
    expect_entry(r, 2, "KT", 0, CCHC__TIER__TIER_UNRATED);
    cchc_decoded_destroy(&reply);

    //  Past 01/02: January frozen with T3 overdue at 1 of 2 outputs.
    play(c, after, "05/02");
    after = "05/02";
    take_snapshot(c, &snaps[nsnaps++]);
    reply = period(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 1);
    r = ranking_of(reply);
    expect_period(r, CCHC__PERIOD_KIND__PERIOD_MONTH, 1, 20260101, 20260131, true);
    expect_entry(r, 0, "VP", 10000, CCHC__TIER__TIER_EXCELLENT);
    expect_entry(r, 1, "VHXH", 9166, CCHC__TIER__TIER_EXCELLENT);
    expect_entry(r, 2, "KT", 1666, CCHC__TIER__TIER_NOT_COMPLETED); //  (1/2 + 0 + 0) / 3
    assert_int_equal(r->as_of_ms, cchc_date_end_ms(20260131));
    size_t jan_len;
    uint8_t *jan = packed(r, &jan_len);
    cchc_decoded_destroy(&reply);

    //  KT finishes T3 late (10/02): the year moves, January does not.
    static const char *const feb[] = {"10/02", "20/02", "27/02"};
    for (size_t i = 0; i < 3; i++) {
        play(c, after, feb[i]);
        after = feb[i];
        take_snapshot(c, &snaps[nsnaps++]);
    }
    expect_same_bytes(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 1, jan, jan_len);
    reply = cluster_ranking(c, SCENARIO_WARD);
    const Cchc__RankEntry *kt = ranking_entry(ranking_of(reply), "KT");
    assert_non_null(kt);
    assert_int_equal(kt->score_centi, 9166); //  T3 late: (1 + 1 + 0,75) / 3; T4 not due yet
    cchc_decoded_destroy(&reply);

    //  February open (27/02): T2 and T6 done early count; T4 is not due.
    reply = period(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 2);
    r = ranking_of(reply);
    expect_period(r, CCHC__PERIOD_KIND__PERIOD_MONTH, 2, 20260201, 20260228, false);
    expect_entry(r, 2, "KT", 0, CCHC__TIER__TIER_UNRATED);
    cchc_decoded_destroy(&reply);
    reply = period(c, CCHC__PERIOD_KIND__PERIOD_QUARTER, 1);
    expect_period(ranking_of(reply), CCHC__PERIOD_KIND__PERIOD_QUARTER, 1, 20260101, 20260331, false);
    cchc_decoded_destroy(&reply);

    //  kill -9 before the end of February: the restarted scoring must still
    //  freeze February when the log crosses 01/03.
    restart_scoring(c, false);
    play(c, after, "20/03");
    after = "20/03";
    take_snapshot(c, &snaps[nsnaps++]);
    reply = period(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 2);
    r = ranking_of(reply);
    expect_period(r, CCHC__PERIOD_KIND__PERIOD_MONTH, 2, 20260201, 20260228, true);
    expect_entry(r, 0, "VHXH", 10000, CCHC__TIER__TIER_EXCELLENT); //  tie with VP: code order
    expect_entry(r, 1, "VP", 10000, CCHC__TIER__TIER_EXCELLENT);
    expect_entry(r, 2, "KT", 0, CCHC__TIER__TIER_NOT_COMPLETED); //  T4 overdue, nothing done
    size_t feb_len;
    uint8_t *febb = packed(r, &feb_len);
    cchc_decoded_destroy(&reply);

    //  01/04: the quarter and March close. The quarter holds every task of
    //  the scenario, so it equals the year ranking then.
    assert_int_equal(cluster_advance(c, "01/04/2026 09:00"), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);
    take_snapshot(c, &snaps[nsnaps++]);
    reply = period(c, CCHC__PERIOD_KIND__PERIOD_QUARTER, 1);
    r = ranking_of(reply);
    expect_period(r, CCHC__PERIOD_KIND__PERIOD_QUARTER, 1, 20260101, 20260331, true);
    const snapshot_t *now = &snaps[nsnaps - 1];
    assert_int_equal(now->n, 3);
    for (size_t i = 0; i < 3; i++)
        expect_entry(r, i, now->e[i].unit, now->e[i].score, (Cchc__Tier)now->e[i].tier);
    size_t q1_len;
    uint8_t *q1 = packed(r, &q1_len);
    cchc_decoded_destroy(&reply);
    reply = period(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 3);
    r = ranking_of(reply);
    expect_period(r, CCHC__PERIOD_KIND__PERIOD_MONTH, 3, 20260301, 20260331, true);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(r->entries[i]->tier, CCHC__TIER__TIER_UNRATED); //  no task due in March
    cchc_decoded_destroy(&reply);

    //  A rebuild from an empty database freezes the same rankings.
    restart_scoring(c, true);
    expect_same_bytes(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 1, jan, jan_len);
    expect_same_bytes(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 2, febb, feb_len);
    expect_same_bytes(c, CCHC__PERIOD_KIND__PERIOD_QUARTER, 1, q1, q1_len);
    free(jan);
    free(febb);
    free(q1);

    //  The year as of each recorded instant, from the output log.
    for (size_t s = 0; s < nsnaps; s++) {
        Cchc__RankingQuery q = CCHC__RANKING_QUERY__INIT;
        q.has_as_of_ms = true;
        q.as_of_ms = snaps[s].as_of_ms;
        reply = ranking_query(c, &q, NULL);
        r = ranking_of(reply);
        assert_int_equal(r->from_history, s + 1 < nsnaps); //  the last one is now: the live ranking
        size_t ranked = 0;
        for (size_t i = 0; i < snaps[s].n; i++) {
            const Cchc__RankEntry *e = ranking_entry(r, snaps[s].e[i].unit);
            if (!e) //  not ranked then: the live ranking listed it unrated
                continue;
            ranked++;
            assert_int_equal(e->rank, snaps[s].e[i].rank);
            assert_int_equal(e->score_centi, snaps[s].e[i].score);
            assert_int_equal(e->tier, snaps[s].e[i].tier);
        }
        assert_int_equal(ranked, r->n_entries);
        assert_true(ranked > 0);
        cchc_decoded_destroy(&reply);
    }
    Cchc__RankingQuery before = CCHC__RANKING_QUERY__INIT;
    before.has_as_of_ms = true;
    before.as_of_ms = cchc_date_start_ms(20251231);
    reply = ranking_query(c, &before, NULL);
    assert_int_equal(ranking_of(reply)->n_entries, 0);
    cchc_decoded_destroy(&reply);

    //  Bad arguments.
    Cchc__ErrorCode code = 0;
    Cchc__RankingQuery bad = CCHC__RANKING_QUERY__INIT;
    bad.has_period = bad.has_period_index = true;
    bad.period = CCHC__PERIOD_KIND__PERIOD_MONTH;
    bad.period_index = 13;
    ranking_query(c, &bad, &code);
    assert_int_equal(code, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    bad.period = CCHC__PERIOD_KIND__PERIOD_QUARTER;
    bad.period_index = 0;
    ranking_query(c, &bad, &code);
    assert_int_equal(code, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    bad.period_index = 1;
    bad.has_as_of_ms = true;
    bad.as_of_ms = snaps[0].as_of_ms;
    ranking_query(c, &bad, &code);
    assert_int_equal(code, CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);

    //  The CLI.
    static char out[16384];
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward %s ranking --month 1", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "Bảng xếp hạng CCHC tháng 1/2026"));
    assert_non_null(strstr(out, "chính thức: chốt hết ngày 31/01/2026"));
    assert_non_null(strstr(out, "16,66"));
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward %s ranking --quarter 1", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "quý I/2026"));
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward %s ranking --as-of 25/01/2026", SCENARIO_WARD),
                     0);
    assert_non_null(strstr(out, "tại thời điểm 25/01/2026 23:59"));
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward %s ranking --month 13", SCENARIO_WARD), 2);
}

static void test_history(void **state)
{
    cluster_t *c = *state;
    Cchc__HistoryQuery q = CCHC__HISTORY_QUERY__INIT;
    q.ward = (char *)SCENARIO_WARD;
    q.unit = (char *)"KT";
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_HISTORY_QUERY;
    env.history_query = &q;
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(c, SVC_SCORING, &env, &reply), 0);
    assert_int_equal(cchc_decoded_env(reply)->body_case, CCHC__ENVELOPE__BODY_SCORE_HISTORY);
    const Cchc__ScoreHistory *h = cchc_decoded_env(reply)->score_history;
    assert_true(h->n_changes >= 3);
    assert_int_equal(h->total, h->n_changes);
    for (size_t i = 0; i < h->n_changes; i++) {
        const Cchc__ScoreChange *x = h->changes[i];
        assert_string_equal(x->unit, "KT");
        if (i == 0) {
            assert_int_equal(x->old_rank, 0);
            continue;
        }
        const Cchc__ScoreChange *p = h->changes[i - 1];
        assert_true(x->seq > p->seq);
        assert_true(x->log_time_ms >= p->log_time_ms);
        assert_int_equal(x->old_score_centi, p->new_score_centi);
        assert_int_equal(x->old_rank, p->new_rank);
        assert_int_equal(x->old_tier, p->new_tier);
    }
    const Cchc__ScoreChange *last = h->changes[h->n_changes - 1];
    cchc_decoded_t *live = cluster_ranking(c, SCENARIO_WARD);
    const Cchc__RankEntry *kt = ranking_entry(ranking_of(live), "KT");
    assert_non_null(kt);
    assert_int_equal(last->new_score_centi, kt->score_centi);
    assert_int_equal(last->new_rank, kt->rank);
    assert_int_equal(last->new_tier, kt->tier);
    cchc_decoded_destroy(&live);

    //  A limit keeps the latest records.
    size_t all = h->n_changes;
    uint64_t last_seq = last->seq;
    cchc_decoded_destroy(&reply);
    q.has_limit = true;
    q.limit = 2;
    assert_int_equal(cluster_call(c, SVC_SCORING, &env, &reply), 0);
    h = cchc_decoded_env(reply)->score_history;
    assert_int_equal(h->n_changes, 2);
    assert_int_equal(h->total, all);
    assert_int_equal(h->changes[1]->seq, last_seq);
    cchc_decoded_destroy(&reply);

    q.unit = (char *)"NOPE";
    assert_int_equal(cluster_call(c, SVC_SCORING, &env, &reply), 0);
    assert_int_equal(cchc_decoded_env(reply)->body_case, CCHC__ENVELOPE__BODY_ERROR);
    assert_int_equal(cchc_decoded_env(reply)->error->code, CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    cchc_decoded_destroy(&reply);

    static char out[65536];
    assert_int_equal(cluster_cli(c, out, sizeof(out), "--ward %s history KT", SCENARIO_WARD), 0);
    assert_non_null(strstr(out, "Lịch sử điểm"));
    assert_non_null(strstr(out, "thay đổi."));
}

static uint64_t register_ward(cluster_t *c, const char *code, const char *name, const char *province)
{
    Cchc__WardRegistered w = CCHC__WARD_REGISTERED__INIT;
    w.name = (char *)name;
    w.province = (char *)province;
    w.has_year = true;
    w.year = 2026;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)code;
    ev.actor = (char *)"ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
    ev.ward_registered = &w;
    return cluster_submit(c, &ev, NULL);
}

static void test_province(void **state)
{
    cluster_t *c = *state;
    assert_true(register_ward(c, "T2", "Phường Thứ Hai", "Tỉnh Kiểm Thử") > 0);
    assert_true(register_ward(c, "X1", "Phường Tỉnh Khác", "Tỉnh Khác") > 0);
    Cchc__UnitRegistered u = CCHC__UNIT_REGISTERED__INIT;
    u.code = (char *)"VP";
    u.name = (char *)"Văn phòng";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = (char *)"T2";
    ev.actor = (char *)"ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
    ev.unit_registered = &u;
    assert_true(cluster_submit(c, &ev, NULL) > 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);

    cchc_decoded_t *live = cluster_ranking(c, SCENARIO_WARD);
    const Cchc__Ranking *lr = ranking_of(live);
    int64_t sum = 0;
    uint32_t rated = 0;
    for (size_t i = 0; i < lr->n_entries; i++)
        if (lr->entries[i]->tier != CCHC__TIER__TIER_UNRATED) {
            sum += lr->entries[i]->score_centi;
            rated++;
        }
    assert_true(rated > 0);

    Cchc__ProvinceQuery q = CCHC__PROVINCE_QUERY__INIT;
    q.province = (char *)"Tỉnh Kiểm Thử";
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_PROVINCE_QUERY;
    env.province_query = &q;
    cchc_decoded_t *reply = NULL;
    assert_int_equal(cluster_call(c, SVC_SCORING, &env, &reply), 0);
    assert_int_equal(cchc_decoded_env(reply)->body_case, CCHC__ENVELOPE__BODY_PROVINCE_RANKING);
    const Cchc__ProvinceRanking *p = cchc_decoded_env(reply)->province_ranking;
    assert_int_equal(p->n_entries, 2);
    assert_string_equal(p->entries[0]->ward, SCENARIO_WARD);
    assert_int_equal(p->entries[0]->rank, 1);
    assert_int_equal(p->entries[0]->units, lr->n_entries);
    assert_int_equal(p->entries[0]->rated, rated);
    assert_int_equal(p->entries[0]->score_centi, (int32_t)(sum / rated));
    assert_int_equal(p->entries[0]->excellent + p->entries[0]->good + p->entries[0]->completed +
                         p->entries[0]->not_completed,
                     rated);
    assert_string_equal(p->entries[1]->ward, "T2");
    assert_int_equal(p->entries[1]->rank, 2);
    assert_int_equal(p->entries[1]->units, 1);
    assert_int_equal(p->entries[1]->rated, 0);
    cchc_decoded_destroy(&reply);
    cchc_decoded_destroy(&live);

    q.province = (char *)"";
    assert_int_equal(cluster_call(c, SVC_SCORING, &env, &reply), 0);
    assert_int_equal(cchc_decoded_env(reply)->province_ranking->n_entries, 3);
    cchc_decoded_destroy(&reply);

    static char out[16384];
    assert_int_equal(cluster_cli(c, out, sizeof(out), "province \"Tỉnh Kiểm Thử\""), 0);
    assert_non_null(strstr(out, "Xếp hạng CCHC các phường — Tỉnh Kiểm Thử"));
    assert_non_null(strstr(out, "Phường Thứ Hai"));
    assert_null(strstr(out, "Phường Tỉnh Khác"));
}

//  A change of rules re-scores the year but leaves closed periods as they
//  were frozen (docs/SCORING.md): a quality deduction of 50 % instead of
//  25 % lowers VHXH (one failed review) in the year, not in January's or
//  the first quarter's frozen rankings.
static void test_rules_change_keeps_closed_periods(void **state)
{
    cluster_t *c = *state;
    char rules[400], arg[460];
    snprintf(rules, sizeof(rules), "%s/rules.ini", c->dir);
    snprintf(arg, sizeof(arg), "--rules_file=%s", rules);
    FILE *f = fopen(rules, "w");
    assert_non_null(f);
    fputs("[bonus]\ncap = 5\n", f); //  the defaults
    fclose(f);
    assert_int_equal(cluster_stop(c, SVC_SCORING), 0);
    const char *args[] = {arg, NULL};
    assert_int_equal(cluster_start(c, SVC_SCORING, args), 0);
    assert_int_equal(cluster_wait_caught_up(c, SCENARIO_WARD, 10000), 0);

    cchc_decoded_t *reply = period(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 1);
    size_t jan_len, q1_len;
    uint8_t *jan = packed(ranking_of(reply), &jan_len);
    expect_entry(ranking_of(reply), 1, "VHXH", 9166, CCHC__TIER__TIER_EXCELLENT);
    cchc_decoded_destroy(&reply);
    reply = period(c, CCHC__PERIOD_KIND__PERIOD_QUARTER, 1);
    uint8_t *q1 = packed(ranking_of(reply), &q1_len);
    cchc_decoded_destroy(&reply);
    reply = cluster_ranking(c, SCENARIO_WARD);
    int32_t year_before = ranking_entry(ranking_of(reply), "VHXH")->score_centi;
    cchc_decoded_destroy(&reply);

    f = fopen(rules, "w");
    assert_non_null(f);
    fputs("[components]\nquality_deduction = 50\n", f);
    fclose(f);
    kill(c->pid[SVC_SCORING], SIGHUP);
    int32_t year_after = year_before;
    for (int i = 0; i < 100 && year_after == year_before; i++) {
        harness_sleep_ms(50);
        reply = cluster_ranking(c, SCENARIO_WARD);
        year_after = ranking_entry(ranking_of(reply), "VHXH")->score_centi;
        cchc_decoded_destroy(&reply);
    }
    assert_true(year_after < year_before); //  the year is re-scored
    expect_same_bytes(c, CCHC__PERIOD_KIND__PERIOD_MONTH, 1, jan, jan_len);
    expect_same_bytes(c, CCHC__PERIOD_KIND__PERIOD_QUARTER, 1, q1, q1_len);
    free(jan);
    free(q1);
}

int main(int argc, char **argv)
{
    g_argv = argv;
    harness_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_province),
        cmocka_unit_test(test_rules_change_keeps_closed_periods),
    };
    return cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
}
