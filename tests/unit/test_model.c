/*  test_model.c - the ward model: validation, folding, derived task status,
    deadline rules and persistence of records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "model.h"
#include "store.h"
#include "builder.h"

//  Ward W: area A1 (60), units U1 and U2, the Chairman CT.
static int setup(void **state)
{
    static builder_t b;
    builder_init(&b);
    b_area(&b, "A1", 60);
    b_unit(&b, "U1", NULL, NULL);
    b_unit(&b, "U2", NULL, NULL);
    b_official(&b, "CT", "Nguyễn Hữu Phúc", NULL, CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN);
    *state = &b;
    return 0;
}

static int teardown(void **state)
{
    builder_t *b = *state;
    builder_free(b);
    assert_null(b->model);
    return 0;
}

//  A task of area A1 assigned on 02/01.
static Cchc__ErrorCode assign(builder_t *b, const char *code, const char *unit, int32_t due, int outputs)
{
    return b_task(b, code, unit, "A1", due, outputs, 1000, NULL);
}

static cchc_task_t *task(builder_t *b, const char *code)
{
    cchc_task_t *t = b_task_get(b, code);
    assert_non_null(t);
    return t;
}

static int64_t at(int32_t date)
{
    return at9(date);
}

static void test_registration_and_lookup(void **state)
{
    builder_t *f = *state;
    cchc_ward_t *w = cchc_model_ward(f->model, "W");
    assert_non_null(w);
    assert_int_equal(w->nunits, 2);
    assert_string_equal(w->chairman, "CT");
    assert_non_null(cchc_ward_area(w, "A1"));
    assert_null(cchc_ward_unit(w, "U9"));
    assert_int_equal(cchc_model_last_seq(f->model), f->seq);
    assert_int_equal(cchc_model_now(f->model), at(20260101));
    //  duplicates and references are checked
    assert_int_equal(assign(f, "T1", "U1", 20260131, 2), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(assign(f, "T1", "U1", 20260131, 2), CCHC__ERROR_CODE__ERR_DUPLICATE);
    assert_int_equal(assign(f, "T2", "U9", 20260131, 2), CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    assert_int_equal(assign(f, "T3", "U1", 20260230, 1), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(assign(f, "T4", "U1", 20260131, 1001), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    //  defaults applied at assignment: factor 1.0, one output
    Cchc__TaskAssigned t5 = CCHC__TASK_ASSIGNED__INIT;
    t5.code = "T5";
    t5.unit = "U1";
    t5.area = "A1";
    t5.title = "Nhiệm vụ";
    t5.has_due_date = true;
    t5.due_date = 20260131;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
    ev.task_assigned = &t5;
    assert_int_equal(builder_apply(f, &ev, at(20260102)), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(task(f, "T5")->factor_milli, 1000);
    assert_int_equal(task(f, "T5")->outputs_required, 1);
}

static void test_who_may_send_what(void **state)
{
    builder_t *f = *state;
    assign(f, "T1", "U1", 20260131, 2);
    assert_int_equal(b_progress_as(f, "U2", "T1", 10, 0, 20260105), CCHC__ERROR_CODE__ERR_TASK_NOT_OWNED);
    assert_int_equal(b_progress_as(f, "U7", "T1", 10, 0, 20260105), CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    assert_int_equal(b_progress_as(f, "U1", "T9", 10, 0, 20260105), CCHC__ERROR_CODE__ERR_UNKNOWN_TASK);
    assert_int_equal(b_progress_as(f, "U1", "T1", 101, 0, 20260105), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(b_progress_as(f, "U1", "T1", 50, 3, 20260105), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(b_progress_as(f, "U1", "T1", 50, 1, 20260105), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(b_verify_as(f, "U1", "T1", true, 20260106), CCHC__ERROR_CODE__ERR_NOT_PERMITTED);
    assert_int_equal(b_verify_as(f, "ward", "T1", true, 20260106), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(b_submit_as(f, "U1", "T1", 20260107), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(b_progress_as(f, "U1", "T1", 60, 1, 20260108), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(b_submit_as(f, "U1", "T1", 20260108), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(b_verify_as(f, "ward", "T1", true, 20260109), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(b_progress_as(f, "U1", "T1", 60, 1, 20260110), CCHC__ERROR_CODE__ERR_INVALID_STATE);
}

static void test_status_on_time_and_overdue(void **state)
{
    builder_t *f = *state;
    assign(f, "T1", "U1", 20260131, 1);
    cchc_task_t *t = task(f, "T1");
    //  due at the end of 31/01 local time, i.e. 2026-01-31T17:00:00Z
    int64_t end = cchc_date_end_ms(20260131);
    assert_int_equal(cchc_task_status(t, end - 1), CCHC_STATUS_NOT_DUE);
    assert_int_equal(cchc_task_status(t, end), CCHC_STATUS_OVERDUE);
    assert_true(cchc_task_unmet(t, end));
    assert_false(cchc_task_unmet(t, end - 1));
    assert_int_equal(cchc_task_delays(t, end), 1);
    //  submitted on the due date itself, verified later: done on time
    assert_int_equal(b_submit_as(f, "U1", "T1", 20260131), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(b_verify_as(f, "ward", "T1", true, 20260205), CCHC__ERROR_CODE__ERR_NONE);
    assert_true(cchc_task_done(t));
    assert_int_equal(cchc_task_status(t, at(20260301)), CCHC_STATUS_DONE_ON_TIME);
    assert_int_equal(cchc_task_delays(t, at(20260301)), 0);
    assert_false(cchc_task_unmet(t, at(20260301)));
    assert_string_equal(cchc_status_label_vi(CCHC_STATUS_DONE_ON_TIME), "Đã hoàn thành đúng hạn");
}

static void test_failed_review_is_unmet_until_resubmitted(void **state)
{
    builder_t *f = *state;
    assign(f, "T1", "U1", 20260331, 1);
    cchc_task_t *t = task(f, "T1");
    b_submit_as(f, "U1", "T1", 20260110);
    b_verify_as(f, "ward", "T1", false, 20260111);
    assert_int_equal(t->phase, CCHC__TASK_PHASE__PHASE_REWORK);
    assert_int_equal(t->failed_reviews, 1);
    assert_true(cchc_task_unmet(t, at(20260112))); //  not due, yet unmet
    assert_int_equal(b_submit_as(f, "U1", "T1", 20260115), CCHC__ERROR_CODE__ERR_NONE);
    assert_false(cchc_task_unmet(t, at(20260116)));
}

static void test_deadline_rules(void **state)
{
    builder_t *f = *state;
    //  objective extension approved before the due date: excused, no delay
    assign(f, "E", "U1", 20260131, 1);
    assert_int_equal(b_deadline(f, "E", 20260228, true, 20260125), CCHC__ERROR_CODE__ERR_NONE);
    b_submit_as(f, "U1", "E", 20260220);
    b_verify_as(f, "ward", "E", true, 20260221);
    assert_int_equal(cchc_task_delays(task(f, "E"), at(20260301)), 0);
    assert_true(task(f, "E")->excused);
    //  extension approved after the due date passed: the missed date is a delay
    assign(f, "L", "U1", 20260131, 1);
    assert_int_equal(b_deadline(f, "L", 20260228, true, 20260205), CCHC__ERROR_CODE__ERR_NONE);
    b_submit_as(f, "U1", "L", 20260220);
    b_verify_as(f, "ward", "L", true, 20260221);
    assert_int_equal(cchc_task_delays(task(f, "L"), at(20260301)), 1);
    assert_int_equal(cchc_task_status(task(f, "L"), at(20260301)), CCHC_STATUS_DONE_LATE);
    //  ... and missing the new date too makes two
    assign(f, "L2", "U1", 20260131, 1);
    b_deadline(f, "L2", 20260215, false, 20260205);
    b_submit_as(f, "U1", "L2", 20260220);
    b_verify_as(f, "ward", "L2", true, 20260221);
    assert_int_equal(cchc_task_delays(task(f, "L2"), at(20260301)), 2);
    //  in time but no objective reason: reminders move, lateness does not
    assign(f, "N", "U1", 20260131, 1);
    b_deadline(f, "N", 20260228, false, 20260120);
    assert_int_equal(task(f, "N")->due_in_force, 20260131);
    assert_int_equal(task(f, "N")->due_target, 20260228);
    assert_true(cchc_task_overdue(task(f, "N"), at(20260201)));
    //  no change once the task is done
    assert_int_equal(b_deadline(f, "E", 20260331, true, 20260302), CCHC__ERROR_CODE__ERR_INVALID_STATE);
}

static void test_paused_and_cancelled(void **state)
{
    builder_t *f = *state;
    assign(f, "P", "U1", 20260131, 1);
    assert_int_equal(b_pause(f, "P", 20260110), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(cchc_task_status(task(f, "P"), at(20260301)), CCHC_STATUS_PAUSED);
    assert_false(cchc_task_unmet(task(f, "P"), at(20260301)));
    assert_int_equal(b_progress_as(f, "U1", "P", 10, 0, 20260111), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(b_pause(f, "P", 20260112), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(b_cancel(f, "P", 20260113), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(cchc_task_status(task(f, "P"), at(20260301)), CCHC_STATUS_CANCELLED);
}

//  Records saved with their last_seq and loaded into a new model give the
//  same model: same tasks, same state, same clock and seq.
static void test_persistence_round_trip(void **state)
{
    builder_t *f = *state;
    assign(f, "T1", "U1", 20260131, 2);
    assign(f, "T2", "U2", 20260228, 1);
    b_progress_as(f, "U1", "T1", 50, 1, 20260110);
    b_submit_as(f, "U2", "T2", 20260111);
    b_verify_as(f, "ward", "T2", false, 20260112);
    b_deadline(f, "T1", 20260215, true, 20260120);
    //  notify's state: an acknowledgement, a task's and a unit's silence, a leave
    b_official(f, "PCT", "Trần Văn Hùng", NULL, CCHC__OFFICIAL_ROLE__ROLE_VICE_CHAIRMAN);
    Cchc__AlertAcknowledged ack = CCHC__ALERT_ACKNOWLEDGED__INIT;
    ack.task = "T2";
    ack.official = "CT";
    ack.has_kind = ack.has_level = true;
    ack.kind = 2;
    ack.level = 2;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_ALERT_ACKNOWLEDGED;
    ev.alert_acknowledged = &ack;
    assert_int_equal(builder_apply(f, &ev, at(20260121)), CCHC__ERROR_CODE__ERR_NONE);
    Cchc__SilenceSet si = CCHC__SILENCE_SET__INIT;
    si.unit = "U1";
    si.has_until_date = true;
    si.until_date = 20260205;
    si.reason = "Gia hạn";
    ev.payload_case = CCHC__EVENT__PAYLOAD_SILENCE_SET;
    ev.silence_set = &si;
    assert_int_equal(builder_apply(f, &ev, at(20260122)), CCHC__ERROR_CODE__ERR_NONE);
    si.unit = NULL;
    si.task = "T1";
    si.until_date = 20260206;
    assert_int_equal(builder_apply(f, &ev, at(20260122)), CCHC__ERROR_CODE__ERR_NONE);
    Cchc__OfficialLeave leave = CCHC__OFFICIAL_LEAVE__INIT;
    leave.official = "CT";
    leave.deputy = "PCT";
    leave.has_from_date = leave.has_to_date = true;
    leave.from_date = 20260201;
    leave.to_date = 20260210;
    ev.payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_LEAVE;
    ev.official_leave = &leave;
    assert_int_equal(builder_apply(f, &ev, at(20260123)), CCHC__ERROR_CODE__ERR_NONE);

    char path[] = "/tmp/cchc-test-model-XXXXXX";
    assert_non_null(mkdtemp(path));
    char db_path[128];
    snprintf(db_path, sizeof(db_path), "%s/m.db", path);
    const char *migrations[] = {CCHC_MODEL_MIGRATION};
    char err[256];
    sqlite3 *db = cchc_store_open(db_path, migrations, 1, err, sizeof(err));
    assert_non_null(db);
    cchc_record_set_t set = {0};
    cchc_model_take_dirty(f->model, &set);
    assert_true(set.count >= 8); //  ward, area, 2 units, official, 2 tasks, clock
    assert_int_equal(cchc_store_exec(db, "BEGIN"), 0);
    assert_int_equal(cchc_record_set_save(&set, db), 0);
    assert_int_equal(cchc_store_exec(db, "COMMIT"), 0);
    cchc_record_set_clear(&set);
    //  nothing changed since: only nothing (or the clock) is dirty
    cchc_model_take_dirty(f->model, &set);
    assert_true(set.count <= 1);
    cchc_record_set_clear(&set);

    cchc_model_t *loaded = cchc_model_new();
    assert_int_equal(cchc_model_load(loaded, db), 0);
    assert_int_equal(cchc_model_last_seq(loaded), cchc_model_last_seq(f->model));
    assert_int_equal(cchc_model_now(loaded), cchc_model_now(f->model));
    cchc_ward_t *w1 = cchc_model_ward(f->model, "W"), *w2 = cchc_model_ward(loaded, "W");
    assert_non_null(w2);
    assert_int_equal(w2->ntasks, w1->ntasks);
    assert_int_equal(w2->nunits, w1->nunits);
    assert_string_equal(w2->chairman, "CT");
    for (size_t i = 0; i < w1->ntasks; i++) {
        //  same order, same packed record
        Cchc__TaskRecord ra, rb;
        Cchc__TaskAssigned da, db2;
        char *ca[8], *cb[8];
        cchc_task_record(w1->tasks[i], &ra, &da, ca);
        cchc_task_record(w2->tasks[i], &rb, &db2, cb);
        const Cchc__TaskRecord *a = &ra, *b = &rb;
        size_t la = cchc__task_record__get_packed_size(a), lb = cchc__task_record__get_packed_size(b);
        assert_int_equal(la, lb);
        uint8_t *ba = malloc(la), *bb = malloc(lb);
        cchc__task_record__pack(a, ba);
        cchc__task_record__pack(b, bb);
        assert_memory_equal(ba, bb, la);
        free(ba);
        free(bb);
    }
    assert_int_equal(cchc_ward_task(w2, "T2")->failed_reviews, 1);
    assert_int_equal(cchc_ward_task(w2, "T1")->due_in_force, 20260215);
    assert_ptr_equal(cchc_ward_task(w2, "T1")->unit, cchc_ward_unit(w2, "U1"));
    assert_int_equal(cchc_ward_task(w2, "T2")->hold->ack_level, 2);
    assert_string_equal(cchc_ward_task(w2, "T2")->hold->ack_official, "CT");
    assert_int_equal(cchc_ward_task(w2, "T1")->hold->silenced_until, 20260206);
    assert_int_equal(cchc_ward_unit(w2, "U1")->rec->silenced_until, 20260205);
    assert_string_equal(cchc_ward_unit(w2, "U1")->rec->silence_reason, "Gia hạn");
    const cchc_official_t *ct = cchc_ward_official(w2, "CT");
    assert_non_null(ct->leave);
    assert_string_equal(ct->leave->deputy, "PCT");
    assert_int_equal(ct->leave->to_date, 20260210);
    assert_null(cchc_ward_official(w2, "PCT")->leave);
    cchc_model_destroy(&loaded);
    cchc_store_close(&db);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
    assert_int_equal(system(cmd), 0);
}

//  Save every dirty record of f's model into a fresh database in dir.
static sqlite3 *save_all(builder_t *f, const char *dir)
{
    char db_path[128];
    snprintf(db_path, sizeof(db_path), "%s/m.db", dir);
    const char *migrations[] = {CCHC_MODEL_MIGRATION};
    char err[256];
    sqlite3 *db = cchc_store_open(db_path, migrations, 1, err, sizeof(err));
    assert_non_null(db);
    cchc_record_set_t set = {0};
    cchc_model_take_dirty(f->model, &set);
    assert_int_equal(cchc_store_exec(db, "BEGIN"), 0);
    assert_int_equal(cchc_record_set_save(&set, db), 0);
    assert_int_equal(cchc_store_exec(db, "COMMIT"), 0);
    cchc_record_set_clear(&set);
    return db;
}

static void remove_dir(const char *dir)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

//  The table is read in primary-key (code) order; registration order must
//  come back anyway: every array, index and unit task list as folded.
static void test_load_restores_registration_order(void **state)
{
    builder_t *f = *state;
    //  registered after U1, U2, A1 and CT, but first in code order
    b_unit(f, "U0", NULL, NULL);
    b_area(f, "A0", 40);
    b_official(f, "AA", "Lê Thị Hoa", "U0", CCHC__OFFICIAL_ROLE__ROLE_VICE_CHAIRMAN);
    //  tasks whose code order (T1 < T10 < T11 < T2 < T3 < T9) is not their order
    const char *codes[] = {"T9", "T3", "T10", "T2", "T11", "T1"};
    const char *units[] = {"U2", "U0", "U1", "U2", "U0", "U1"};
    for (int i = 0; i < 6; i++)
        assert_int_equal(b_task(f, codes[i], units[i], i % 2 ? "A0" : "A1", 20260131, 1, 1000, NULL),
                         CCHC__ERROR_CODE__ERR_NONE);
    char dir[] = "/tmp/cchc-test-model-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sqlite3 *db = save_all(f, dir);
    cchc_model_t *loaded = cchc_model_new();
    assert_int_equal(cchc_model_load(loaded, db), 0);
    cchc_ward_t *w1 = cchc_model_ward(f->model, "W"), *w2 = cchc_model_ward(loaded, "W");
    assert_non_null(w2);
    assert_int_equal(w2->nunits, 3);
    assert_int_equal(w2->nareas, 2);
    assert_int_equal(w2->nofficials, 2);
    assert_int_equal(w2->ntasks, 6);
    for (size_t i = 0; i < w1->nunits; i++) {
        assert_string_equal(w2->units[i]->rec->def->code, w1->units[i]->rec->def->code);
        assert_int_equal(w2->units[i]->index, (int)i);
        assert_int_equal(w2->units[i]->ntasks, w1->units[i]->ntasks);
        for (size_t k = 0; k < w1->units[i]->ntasks; k++)
            assert_string_equal(w2->units[i]->tasks[k]->code, w1->units[i]->tasks[k]->code);
    }
    for (size_t i = 0; i < w1->nareas; i++) {
        assert_string_equal(w2->areas[i]->def->code, w1->areas[i]->def->code);
        assert_int_equal(w2->areas[i]->index, (int)i);
    }
    for (size_t i = 0; i < w1->nofficials; i++)
        assert_string_equal(w2->officials[i]->def->code, w1->officials[i]->def->code);
    for (size_t i = 0; i < w1->ntasks; i++) {
        assert_string_equal(w2->tasks[i]->code, codes[i]);
        assert_int_equal(w2->tasks[i]->index, (int)i);
        assert_ptr_equal(w2->tasks[i]->unit, cchc_ward_unit(w2, units[i]));
    }
    assert_string_equal(w2->units[2]->tasks[0]->code, "T3"); //  U0: T3 then T11
    assert_string_equal(w2->units[2]->tasks[1]->code, "T11");
    assert_string_equal(w2->chairman, "CT");
    cchc_model_destroy(&loaded);

    //  a task naming a unit the ward lacks: an error, nothing leaked
    Cchc__TaskAssigned def = CCHC__TASK_ASSIGNED__INIT;
    def.code = "T5";
    def.unit = "UX";
    def.area = "A1";
    Cchc__TaskRecord rec = CCHC__TASK_RECORD__INIT;
    rec.def = &def;
    uint8_t buf[128];
    size_t len = cchc__task_record__pack(&rec, buf);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "INSERT INTO model_record VALUES (5, 'W', 'T5', 6, ?1)", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, buf, (int)len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    loaded = cchc_model_new();
    assert_int_equal(cchc_model_load(loaded, db), -1);
    cchc_model_destroy(&loaded);
    cchc_store_close(&db);
    remove_dir(dir);
}

//  Every field of an assignment survives the compact task (strings in the
//  model's arena or interned) and a save and load: co-units (more than the
//  packer's 8 on its stack), lead official, output description, fixed
//  points. Equal texts are stored once. A stored record out of range (a
//  percentage of 200) is refused at load rather than truncated.
static void test_task_fields_round_trip(void **state)
{
    builder_t *f = *state;
    char codes[10][8];
    char *co[10];
    for (int i = 0; i < 10; i++) {
        snprintf(codes[i], sizeof(codes[i]), "C%d", i);
        b_unit(f, codes[i], NULL, NULL);
        co[i] = codes[i];
    }
    Cchc__TaskAssigned t = CCHC__TASK_ASSIGNED__INIT;
    t.code = "TF";
    t.unit = "U1";
    t.area = "A1";
    t.title = "Rà soát thủ tục hành chính";
    t.has_due_date = true;
    t.due_date = 20260320;
    t.co_units = co;
    t.n_co_units = 10;
    t.lead_official = "CT";
    t.output_desc = "Báo cáo";
    t.has_points_milli = true;
    t.points_milli = 2500;
    t.has_outputs_required = true;
    t.outputs_required = 3;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = "ward";
    ev.payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
    ev.task_assigned = &t;
    assert_int_equal(builder_apply(f, &ev, at(20260102)), CCHC__ERROR_CODE__ERR_NONE);
    t.code = "TG"; //  same title, no co-units
    t.n_co_units = 0;
    t.co_units = NULL;
    assert_int_equal(builder_apply(f, &ev, at(20260102)), CCHC__ERROR_CODE__ERR_NONE);
    assert_ptr_equal(task(f, "TF")->title, task(f, "TG")->title); //  interned
    assert_ptr_equal(task(f, "TF")->output_desc, task(f, "TG")->output_desc);

    char dir[] = "/tmp/cchc-test-model-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sqlite3 *db = save_all(f, dir);
    cchc_model_t *loaded = cchc_model_new();
    assert_int_equal(cchc_model_load(loaded, db), 0);
    const cchc_task_t *a = cchc_ward_task(cchc_model_ward(loaded, "W"), "TF");
    assert_non_null(a);
    assert_string_equal(a->code, "TF");
    assert_string_equal(a->unit->code, "U1");
    assert_string_equal(a->area->def->code, "A1");
    assert_string_equal(a->title, "Rà soát thủ tục hành chính");
    assert_int_equal(a->due_date, 20260320);
    assert_int_equal(a->due_in_force, 20260320);
    assert_int_equal(a->n_co_units, 10);
    for (int i = 0; i < 10; i++)
        assert_string_equal(a->co_units[i], codes[i]);
    assert_string_equal(a->lead_official, "CT");
    assert_string_equal(a->output_desc, "Báo cáo");
    assert_int_equal(a->points_milli, 2500);
    assert_int_equal(a->outputs_required, 3);
    assert_int_equal(a->factor_milli, 1000);
    assert_null(a->hold);
    const cchc_task_t *g = cchc_ward_task(cchc_model_ward(loaded, "W"), "TG");
    assert_ptr_equal(a->title, g->title);
    assert_int_equal(g->n_co_units, 0);
    cchc_model_destroy(&loaded);

    //  the same record with a percentage out of range: the load refuses it
    Cchc__TaskRecord rec;
    Cchc__TaskAssigned def;
    char *scratch[10];
    cchc_task_record(task(f, "TF"), &rec, &def, scratch);
    rec.has_percent = true;
    rec.percent = 200;
    uint8_t buf[512];
    assert_true(cchc__task_record__get_packed_size(&rec) <= sizeof(buf));
    size_t len = cchc__task_record__pack(&rec, buf);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE model_record SET blob = ?1 WHERE kind = 5 AND code = 'TF'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, buf, (int)len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_changes(db), 1);
    loaded = cchc_model_new();
    assert_int_equal(cchc_model_load(loaded, db), -1);
    cchc_model_destroy(&loaded);
    cchc_store_close(&db);
    remove_dir(dir);
}

//  Enough records for many of load's batches: a damaged record early makes
//  the load stop the reader that is still ahead and free what it read (the
//  ASan and valgrind runs check that nothing leaks); intact, it loads all.
static void test_load_many_records(void **state)
{
    builder_t *f = *state;
    enum { TASKS = 40000 };
    char code[16];
    for (int i = 0; i < TASKS; i++) {
        snprintf(code, sizeof(code), "T%d", TASKS - i); //  code order is not registration order
        assert_int_equal(b_task(f, code, i % 2 ? "U1" : "U2", "A1", 20260131, 1, 1000, NULL),
                         CCHC__ERROR_CODE__ERR_NONE);
    }
    char dir[] = "/tmp/cchc-test-model-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sqlite3 *db = save_all(f, dir);
    cchc_model_t *loaded = cchc_model_new();
    assert_int_equal(cchc_model_load(loaded, db), 0);
    cchc_ward_t *w1 = cchc_model_ward(f->model, "W"), *w2 = cchc_model_ward(loaded, "W");
    assert_int_equal(w2->ntasks, TASKS);
    for (size_t i = 0; i < TASKS; i++) {
        assert_string_equal(w2->tasks[i]->code, w1->tasks[i]->code);
        assert_int_equal(w2->tasks[i]->index, (int)i);
    }
    for (size_t u = 0; u < w1->nunits; u++) {
        assert_int_equal(w2->units[u]->ntasks, w1->units[u]->ntasks);
        for (size_t k = 0; k < w1->units[u]->ntasks; k++)
            assert_int_equal(w2->units[u]->tasks[k]->index, w1->units[u]->tasks[k]->index);
    }
    cchc_model_destroy(&loaded);
    //  a unit record that does not unpack: everything after it is dropped
    assert_int_equal(
        cchc_store_exec(db, "UPDATE model_record SET blob = x'ffff' WHERE kind = 2 AND code = 'U1'"), 0);
    loaded = cchc_model_new();
    assert_int_equal(cchc_model_load(loaded, db), -1);
    cchc_model_destroy(&loaded);
    cchc_store_close(&db);
    remove_dir(dir);
}

//  Several sources (intake shards): a ward belongs to the source whose log
//  registered it; the same ward registered by another shard, or any other
//  event of another shard for it, is ignored (ARCHITECTURE.md, "Several
//  shards"), and each source keeps its own time.
static void test_other_shard_ignored(void **state)
{
    (void)state;
    cchc_model_t *m = cchc_model_new();
    int a = cchc_model_source(m, "tcp://a"), b = cchc_model_source(m, "tcp://b");
    assert_int_not_equal(a, b);
    Cchc__WardRegistered w = CCHC__WARD_REGISTERED__INIT;
    w.name = "Phường A";
    w.has_year = true;
    w.year = 2026;
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = "ward";
    ev.has_seq = ev.has_log_time_ms = true;
    ev.seq = 1;
    ev.log_time_ms = at(20260102);
    ev.payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
    ev.ward_registered = &w;
    assert_int_equal(cchc_model_apply_from(m, a, &ev, NULL), 0);
    ev.log_time_ms = at(20260105);
    assert_int_equal(cchc_model_apply_from(m, b, &ev, NULL), -1); //  registered by A already
    Cchc__AreaDefined area = CCHC__AREA_DEFINED__INIT;
    area.code = "A1";
    area.name = "Lĩnh vực";
    area.has_weight = true;
    area.weight = 10;
    ev.seq = 2;
    ev.payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
    ev.area_defined = &area;
    assert_int_equal(cchc_model_apply_from(m, b, &ev, NULL), -1); //  B's event for A's ward
    cchc_ward_t *ward = cchc_model_ward(m, "W");
    assert_int_equal(ward->nareas, 0);
    assert_int_equal(cchc_ward_now(ward), at(20260102)); //  A's time, not B's
    assert_int_equal(cchc_model_source_at(m, (size_t)b)->now_ms, at(20260105));
    assert_int_equal(cchc_model_apply_from(m, a, &ev, NULL), 0);
    assert_int_equal(ward->nareas, 1);
    assert_int_equal(cchc_ward_last_seq(m, ward), 2);
    cchc_model_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registration_and_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_who_may_send_what, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_on_time_and_overdue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_review_is_unmet_until_resubmitted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paused_and_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_restores_registration_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_fields_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_many_records, setup, teardown),
        cmocka_unit_test(test_other_shard_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
