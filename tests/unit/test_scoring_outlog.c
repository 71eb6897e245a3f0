/*  test_scoring_outlog.c - scoring's output log (services/scoring/outlog.h): no
    change, no record; records numbered, stored and served back as the
    packed bytes they were written as. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "clock.h"
#include "envelope.pb-c.h"
#include "outlog.h"
#include "ranking.h"
#include "store.h"

#define OK(call) assert_int_equal((call), CCHC__ERROR_CODE__ERR_NONE)

typedef struct {
    builder_t b;
    cchc_rules_t rules;
    cchc_ranking_t *ranking;
    char dir[64];
    sqlite3 *db;
    sqlite3_stmt *append;
} fixture_t;

//  Ward W: area A1; U1 with T1 (due 31/01, done 20/01), U2 with T2 (due
//  28/02, nothing done). At 15/02: U1 100.00 rank 1, U2 unrated rank 2.
static int setup(void **state)
{
    static fixture_t f;
    memset(&f, 0, sizeof(f));
    builder_init(&f.b);
    b_area(&f.b, "A1", 60);
    b_unit(&f.b, "U1", "H1", NULL);
    b_unit(&f.b, "U2", "H2", NULL);
    OK(b_task(&f.b, "T1", "U1", "A1", 20260131, 1, 1000, NULL));
    OK(b_task(&f.b, "T2", "U2", "A1", 20260228, 1, 1000, NULL));
    OK(b_progress(&f.b, "T1", 1, 20260120));
    OK(b_submit(&f.b, "T1", 20260120));
    OK(b_verify(&f.b, "T1", true, 20260120));
    OK(b_clock(&f.b, 20260215));
    cchc_rules_default(&f.rules);
    f.ranking = cchc_ranking_new(&f.rules);
    cchc_ranking_rank_all(f.ranking, f.b.model);

    snprintf(f.dir, sizeof(f.dir), "/tmp/cchc-outlog-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/scoring.db", f.dir);
    const char *migrations[8] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION};
    assert_true(cchc_outlog_migration_count <= 6);
    for (int i = 0; i < cchc_outlog_migration_count; i++)
        migrations[2 + i] = cchc_outlog_migrations[i];
    f.db = cchc_store_open(path, migrations, 2 + cchc_outlog_migration_count, err, sizeof(err));
    assert_non_null(f.db);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    cchc_ranking_destroy(&f->ranking);
    builder_free(&f->b);
    cchc_store_close(&f->db);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

//  Fold ev at `when` and return what it touched.
static cchc_touch_t fold(builder_t *b, Cchc__Event *ev, int64_t when)
{
    cchc_err_t err;
    cchc_err_clear(&err);
    ev->ward = "W";
    assert_int_equal(cchc_model_check(b->model, ev, when, &err), 0);
    ev->has_seq = ev->has_log_time_ms = true;
    ev->seq = ++b->seq;
    ev->log_time_ms = when;
    cchc_touch_t touch;
    assert_int_equal(cchc_model_apply(b->model, ev, &touch), 0);
    return touch;
}

//  Number the changes as records from seq first_seq and append them.
static void record(fixture_t *f, const cchc_rank_changes_t *changes, uint64_t first_seq, cchc_outrows_t *rows)
{
    for (size_t i = 0; i < changes->count; i++)
        cchc_outrows_add(rows, first_seq + i, changes->items[i],
                         cchc_model_ward(f->b.model, changes->items[i]->ward), cchc_model_now(f->b.model),
                         f->b.seq, CCHC__CHANGE_CAUSE__CAUSE_LOG);
    assert_int_equal(cchc_store_exec(f->db, "BEGIN IMMEDIATE"), 0);
    assert_int_equal(cchc_outlog_append(f->db, &f->append, rows), 0);
    assert_int_equal(cchc_store_exec(f->db, "COMMIT"), 0);
}

static const Cchc__ChangeBatch *fetch(fixture_t *f, uint64_t from, uint64_t head, Cchc__Envelope **env)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    long n = cchc_outlog_fetch_reply(f->db, 42, from, head, 100, 1 << 20, &bytes, &len);
    assert_true(n >= 0);
    *env = cchc__envelope__unpack(NULL, len, bytes);
    free(bytes);
    assert_non_null(*env);
    assert_int_equal((*env)->request_id, 42);
    assert_int_equal((*env)->body_case, CCHC__ENVELOPE__BODY_CHANGE_BATCH);
    assert_int_equal((*env)->change_batch->n_changes, (size_t)n);
    assert_int_equal((*env)->change_batch->head_seq, head);
    return (*env)->change_batch;
}

//  A progress report on a task not due yet, a clock move within the day:
//  U2 is re-evaluated, nothing changes -> no change, no record, head 0.
static void test_no_change_no_record(void **state)
{
    fixture_t *f = *state;
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = "T2";
    p.has_percent = p.has_outputs_done = true;
    p.percent = 50;
    p.outputs_done = 0;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.actor = "U2";
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    cchc_touch_t t = fold(&f->b, &ev, at9(20260215) + 3600 * 1000);
    assert_non_null(t.unit);
    assert_true(t.clock);
    cchc_rank_changes_t changes = {0};
    cchc_ranking_note(f->ranking, &t);
    cchc_ranking_update(f->ranking, f->b.model, f->b.seq, &changes);
    assert_int_equal(changes.count, 0);

    cchc_outrows_t rows = {0};
    record(f, &changes, 1, &rows);
    uint64_t head = 99;
    assert_int_equal(cchc_outlog_head(f->db, &head), 0);
    assert_int_equal(head, 0);
    Cchc__Envelope *env;
    assert_int_equal(fetch(f, 1, 0, &env)->n_changes, 0);
    cchc__envelope__free_unpacked(env, NULL);
    cchc_outrows_free(&rows);
    cchc_rank_changes_free(&changes);
}

//  A 10.00 penalty on U1 at the same time: 10000 -> 9000, rank and tier
//  kept (9000 >= 9000) -> exactly one record, stored and served back as
//  the bytes packed; a fetch past the head returns none.
static void test_change_recorded_and_served(void **state)
{
    fixture_t *f = *state;
    Cchc__Adjustment a = CCHC__ADJUSTMENT__INIT;
    a.unit = "U1";
    a.has_penalty_centi = true;
    a.penalty_centi = 1000;
    a.reason = "Điều chỉnh";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_ADJUSTMENT;
    ev.adjustment = &a;
    cchc_touch_t t = fold(&f->b, &ev, at9(20260215));
    cchc_rank_changes_t changes = {0};
    cchc_ranking_note(f->ranking, &t);
    cchc_ranking_update(f->ranking, f->b.model, f->b.seq, &changes);
    assert_int_equal(changes.count, 1);

    cchc_outrows_t rows = {0};
    record(f, &changes, 1, &rows);
    uint64_t head = 0;
    assert_int_equal(cchc_outlog_head(f->db, &head), 0);
    assert_int_equal(head, 1);
    Cchc__Envelope *env;
    const Cchc__ChangeBatch *batch = fetch(f, 1, head, &env);
    assert_int_equal(batch->n_changes, 1);
    const Cchc__ScoreChange *r = batch->changes[0];
    assert_int_equal(r->seq, 1);
    assert_string_equal(r->ward, "W");
    assert_string_equal(r->unit, "U1");
    assert_int_equal(r->period, 2026);
    assert_int_equal(r->old_score_centi, 10000);
    assert_int_equal(r->new_score_centi, 9000);
    assert_int_equal(r->old_rank, 1);
    assert_int_equal(r->new_rank, 1);
    assert_int_equal(r->old_tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(r->new_tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(r->input_seq, f->b.seq);
    assert_int_equal(r->log_time_ms, at9(20260215) + 3600 * 1000); //  the log time stays at the latest event
    size_t len = cchc__score_change__get_packed_size(r);
    uint8_t buf[256];
    assert_true(len <= sizeof(buf));
    cchc__score_change__pack(r, buf);
    assert_int_equal(len, rows.items[0].len);
    assert_memory_equal(buf, rows.items[0].blob, len);
    cchc__envelope__free_unpacked(env, NULL);
    assert_int_equal(fetch(f, 2, head, &env)->n_changes, 0);
    cchc__envelope__free_unpacked(env, NULL);

    //  The same seq twice is refused: never two records under one number.
    assert_int_equal(cchc_store_exec(f->db, "BEGIN IMMEDIATE"), 0);
    assert_int_equal(cchc_outlog_append(f->db, &f->append, &rows), -1);
    assert_int_equal(cchc_store_exec(f->db, "ROLLBACK"), 0);
    cchc_outrows_free(&rows);
    cchc_rank_changes_free(&changes);
}

typedef struct {
    char unit[8];
    int32_t score;
    uint32_t rank;
    int tier;
} state_t;

static void collect(const char *ward, const char *unit, int32_t score, uint32_t rank, int tier, void *arg)
{
    state_t *st = arg; //  [0] U1, [1] U2
    assert_string_equal(ward, "W");
    state_t *s = &st[strcmp(unit, "U1") == 0 ? 0 : 1];
    assert_string_equal(s->unit, ""); //  each unit once
    snprintf(s->unit, sizeof(s->unit), "%s", unit);
    s->score = score;
    s->rank = rank;
    s->tier = tier;
}

//  Each unit's last record (unit_state, scoring's migration step 3): filled
//  from an output log written before the step existed, then kept with each
//  append (the last of a batch wins).
static void test_unit_state(void **state)
{
    fixture_t *f = *state;
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/old.db", f->dir);
    const char *migrations[5] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION, cchc_outlog_migrations[0],
                                 cchc_outlog_migrations[1], cchc_outlog_migrations[2]};
    assert_int_equal(cchc_outlog_migration_count, 3);
    sqlite3 *db = cchc_store_open(path, migrations, 4, err, sizeof(err)); //  steps 1 and 2 only
    assert_non_null(db);
    assert_int_equal(cchc_store_exec(db, "INSERT INTO score_change VALUES"
                                         " (1, 0, 'W', 'U1', 2026, 0, 5000, 0, 1, 0, 3, 1, 1, x'00'),"
                                         " (2, 0, 'W', 'U2', 2026, 0, 4000, 0, 2, 0, 4, 2, 1, x'00'),"
                                         " (3, 0, 'W', 'U1', 2026, 5000, 7000, 1, 1, 3, 2, 3, 1, x'00'),"
                                         " (4, 0, 'W', 'U2', 2026, 4000, 3000, 2, 2, 4, 4, 4, 1, x'00')"),
                     0);
    cchc_store_close(&db);
    db = cchc_store_open(path, migrations, 5, err, sizeof(err)); //  step 3 fills unit_state
    assert_non_null(db);
    state_t st[2];
    memset(st, 0, sizeof(st));
    assert_int_equal(cchc_outlog_last_states(db, collect, st), 0);
    assert_string_equal(st[0].unit, "U1");
    assert_int_equal(st[0].score, 7000);
    assert_int_equal(st[0].rank, 1);
    assert_int_equal(st[0].tier, 2);
    assert_string_equal(st[1].unit, "U2");
    assert_int_equal(st[1].score, 3000);
    assert_int_equal(st[1].tier, 4);

    //  A batch with two records of U1: the later one is U1's state.
    cchc_outrows_t rows = {0};
    Cchc__RankChanged c = CCHC__RANK_CHANGED__INIT;
    c.ward = "W";
    c.unit = "U1";
    c.old_score_centi = 7000;
    c.new_score_centi = 8000;
    c.old_rank = c.new_rank = 1;
    c.old_tier = c.new_tier = CCHC__TIER__TIER_GOOD;
    cchc_outrows_add(&rows, 5, &c, cchc_model_ward(f->b.model, c.ward), 0, 5, CCHC__CHANGE_CAUSE__CAUSE_LOG);
    c.old_score_centi = 8000;
    c.new_score_centi = 9100;
    c.new_tier = CCHC__TIER__TIER_EXCELLENT;
    cchc_outrows_add(&rows, 6, &c, cchc_model_ward(f->b.model, c.ward), 0, 6, CCHC__CHANGE_CAUSE__CAUSE_LOG);
    sqlite3_stmt *append = NULL;
    assert_int_equal(cchc_store_exec(db, "BEGIN IMMEDIATE"), 0);
    assert_int_equal(cchc_outlog_append(db, &append, &rows), 0);
    assert_int_equal(cchc_store_exec(db, "COMMIT"), 0);
    memset(st, 0, sizeof(st));
    assert_int_equal(cchc_outlog_last_states(db, collect, st), 0);
    assert_int_equal(st[0].score, 9100);
    assert_int_equal(st[0].tier, CCHC__TIER__TIER_EXCELLENT);
    assert_int_equal(st[1].score, 3000); //  untouched
    cchc_outrows_free(&rows);
    cchc_store_close(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_change_no_record),
        cmocka_unit_test(test_change_recorded_and_served),
        cmocka_unit_test(test_unit_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
