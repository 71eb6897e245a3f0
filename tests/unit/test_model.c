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

//  Log time: local 09:00 of yyyymmdd.
static int64_t at(int32_t date)
{
    return cchc_date_start_ms(date) + 9 * 3600 * 1000LL;
}

typedef struct {
    cchc_model_t *m;
    uint64_t seq;
} fixture_t;

//  Check then apply, as intake does; returns the error code (ERR_NONE on success).
static Cchc__ErrorCode submit(fixture_t *f, Cchc__Event *ev, int64_t when)
{
    cchc_err_t err;
    cchc_err_clear(&err);
    err.index = 0;
    if (cchc_model_check(f->m, ev, when, &err) != 0)
        return err.code;
    ev->has_seq = ev->has_log_time_ms = true;
    ev->seq = ++f->seq;
    ev->log_time_ms = when;
    assert_int_equal(cchc_model_apply(f->m, ev, NULL), 0);
    return CCHC__ERROR_CODE__ERR_NONE;
}

static Cchc__Event event(const char *actor)
{
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "W";
    ev.actor = (char *)actor;
    return ev;
}

static void register_ward(fixture_t *f)
{
    Cchc__Event ev = event("ward");
    Cchc__WardRegistered w = CCHC__WARD_REGISTERED__INIT;
    w.name = "Phường Thử";
    w.has_year = true;
    w.year = 2026;
    ev.payload_case = CCHC__EVENT__PAYLOAD_WARD_REGISTERED;
    ev.ward_registered = &w;
    assert_int_equal(submit(f, &ev, at(20260101)), CCHC__ERROR_CODE__ERR_NONE);

    Cchc__AreaDefined a = CCHC__AREA_DEFINED__INIT;
    a.code = "A1";
    a.name = "TTHC";
    a.has_weight = true;
    a.weight = 60;
    ev.payload_case = CCHC__EVENT__PAYLOAD_AREA_DEFINED;
    ev.area_defined = &a;
    assert_int_equal(submit(f, &ev, at(20260101)), CCHC__ERROR_CODE__ERR_NONE);

    const char *units[] = {"U1", "U2"};
    for (int i = 0; i < 2; i++) {
        Cchc__UnitRegistered u = CCHC__UNIT_REGISTERED__INIT;
        u.code = (char *)units[i];
        u.name = "Đơn vị";
        ev.payload_case = CCHC__EVENT__PAYLOAD_UNIT_REGISTERED;
        ev.unit_registered = &u;
        assert_int_equal(submit(f, &ev, at(20260101)), CCHC__ERROR_CODE__ERR_NONE);
    }
    Cchc__OfficialRegistered o = CCHC__OFFICIAL_REGISTERED__INIT;
    o.code = "CT";
    o.full_name = "Nguyễn Hữu Phúc";
    o.has_role = true;
    o.role = CCHC__OFFICIAL_ROLE__ROLE_CHAIRMAN;
    ev.payload_case = CCHC__EVENT__PAYLOAD_OFFICIAL_REGISTERED;
    ev.official_registered = &o;
    assert_int_equal(submit(f, &ev, at(20260101)), CCHC__ERROR_CODE__ERR_NONE);
}

static Cchc__ErrorCode assign(fixture_t *f, const char *code, const char *unit, int32_t due, int outputs)
{
    Cchc__Event ev = event("ward");
    Cchc__TaskAssigned t = CCHC__TASK_ASSIGNED__INIT;
    t.code = (char *)code;
    t.unit = (char *)unit;
    t.area = "A1";
    t.title = "Nhiệm vụ";
    t.has_due_date = true;
    t.due_date = due;
    t.has_outputs_required = outputs > 0;
    t.outputs_required = outputs;
    ev.payload_case = CCHC__EVENT__PAYLOAD_TASK_ASSIGNED;
    ev.task_assigned = &t;
    return submit(f, &ev, at(20260102));
}

static Cchc__ErrorCode progress(fixture_t *f, const char *actor, const char *task, int pct, int outputs,
                                int32_t day)
{
    Cchc__Event ev = event(actor);
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = (char *)task;
    p.has_percent = p.has_outputs_done = true;
    p.percent = pct;
    p.outputs_done = outputs;
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    return submit(f, &ev, at(day));
}

static Cchc__ErrorCode submitted(fixture_t *f, const char *actor, const char *task, int32_t day)
{
    Cchc__Event ev = event(actor);
    Cchc__SubmittedForVerification s = CCHC__SUBMITTED_FOR_VERIFICATION__INIT;
    s.task = (char *)task;
    ev.payload_case = CCHC__EVENT__PAYLOAD_SUBMITTED;
    ev.submitted = &s;
    return submit(f, &ev, at(day));
}

static Cchc__ErrorCode verified(fixture_t *f, const char *actor, const char *task, bool pass, int32_t day)
{
    Cchc__Event ev = event(actor);
    Cchc__Verified v = CCHC__VERIFIED__INIT;
    v.task = (char *)task;
    v.has_passed = true;
    v.passed = pass;
    ev.payload_case = CCHC__EVENT__PAYLOAD_VERIFIED;
    ev.verified = &v;
    return submit(f, &ev, at(day));
}

static Cchc__ErrorCode deadline(fixture_t *f, const char *task, int32_t new_due, bool objective, int32_t day)
{
    Cchc__Event ev = event("ward");
    Cchc__DeadlineChanged d = CCHC__DEADLINE_CHANGED__INIT;
    d.task = (char *)task;
    d.has_new_due_date = d.has_objective = true;
    d.new_due_date = new_due;
    d.objective = objective;
    d.reason = "Chờ hướng dẫn của cấp trên";
    ev.payload_case = CCHC__EVENT__PAYLOAD_DEADLINE_CHANGED;
    ev.deadline_changed = &d;
    return submit(f, &ev, at(day));
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->m = cchc_model_new();
    register_ward(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    cchc_model_destroy(&f->m);
    assert_null(f->m);
    free(f);
    return 0;
}

static cchc_task_t *task(fixture_t *f, const char *code)
{
    cchc_task_t *t = cchc_ward_task(cchc_model_ward(f->m, "W"), code);
    assert_non_null(t);
    return t;
}

static void test_registration_and_lookup(void **state)
{
    fixture_t *f = *state;
    cchc_ward_t *w = cchc_model_ward(f->m, "W");
    assert_non_null(w);
    assert_int_equal(w->nunits, 2);
    assert_string_equal(w->chairman, "CT");
    assert_non_null(cchc_ward_area(w, "A1"));
    assert_null(cchc_ward_unit(w, "U9"));
    assert_int_equal(cchc_model_last_seq(f->m), f->seq);
    assert_int_equal(cchc_model_now(f->m), at(20260101));
    //  duplicates and references are checked
    assert_int_equal(assign(f, "T1", "U1", 20260131, 2), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(assign(f, "T1", "U1", 20260131, 2), CCHC__ERROR_CODE__ERR_DUPLICATE);
    assert_int_equal(assign(f, "T2", "U9", 20260131, 2), CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    assert_int_equal(assign(f, "T3", "U1", 20260230, 1), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(assign(f, "T4", "U1", 20260131, 1001), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    //  defaults applied at assignment: factor 1.0, one output
    assert_int_equal(assign(f, "T5", "U1", 20260131, 0), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(task(f, "T5")->rec->def->factor_milli, 1000);
    assert_int_equal(task(f, "T5")->rec->def->outputs_required, 1);
}

static void test_who_may_send_what(void **state)
{
    fixture_t *f = *state;
    assign(f, "T1", "U1", 20260131, 2);
    assert_int_equal(progress(f, "U2", "T1", 10, 0, 20260105), CCHC__ERROR_CODE__ERR_TASK_NOT_OWNED);
    assert_int_equal(progress(f, "U7", "T1", 10, 0, 20260105), CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT);
    assert_int_equal(progress(f, "U1", "T9", 10, 0, 20260105), CCHC__ERROR_CODE__ERR_UNKNOWN_TASK);
    assert_int_equal(progress(f, "U1", "T1", 101, 0, 20260105), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(progress(f, "U1", "T1", 50, 3, 20260105), CCHC__ERROR_CODE__ERR_OUT_OF_RANGE);
    assert_int_equal(progress(f, "U1", "T1", 50, 1, 20260105), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(verified(f, "U1", "T1", true, 20260106), CCHC__ERROR_CODE__ERR_NOT_PERMITTED);
    assert_int_equal(verified(f, "ward", "T1", true, 20260106), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(submitted(f, "U1", "T1", 20260107), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(progress(f, "U1", "T1", 60, 1, 20260108), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(submitted(f, "U1", "T1", 20260108), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(verified(f, "ward", "T1", true, 20260109), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(progress(f, "U1", "T1", 60, 1, 20260110), CCHC__ERROR_CODE__ERR_INVALID_STATE);
}

static void test_status_on_time_and_overdue(void **state)
{
    fixture_t *f = *state;
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
    assert_int_equal(submitted(f, "U1", "T1", 20260131), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(verified(f, "ward", "T1", true, 20260205), CCHC__ERROR_CODE__ERR_NONE);
    assert_true(cchc_task_done(t));
    assert_int_equal(cchc_task_status(t, at(20260301)), CCHC_STATUS_DONE_ON_TIME);
    assert_int_equal(cchc_task_delays(t, at(20260301)), 0);
    assert_false(cchc_task_unmet(t, at(20260301)));
    assert_string_equal(cchc_status_label_vi(CCHC_STATUS_DONE_ON_TIME), "Đã hoàn thành đúng hạn");
}

static void test_failed_review_is_unmet_until_resubmitted(void **state)
{
    fixture_t *f = *state;
    assign(f, "T1", "U1", 20260331, 1);
    cchc_task_t *t = task(f, "T1");
    submitted(f, "U1", "T1", 20260110);
    verified(f, "ward", "T1", false, 20260111);
    assert_int_equal(t->rec->phase, CCHC__TASK_PHASE__PHASE_REWORK);
    assert_int_equal(t->rec->failed_reviews, 1);
    assert_true(cchc_task_unmet(t, at(20260112))); //  not due, yet unmet
    assert_int_equal(submitted(f, "U1", "T1", 20260115), CCHC__ERROR_CODE__ERR_NONE);
    assert_false(cchc_task_unmet(t, at(20260116)));
}

static void test_deadline_rules(void **state)
{
    fixture_t *f = *state;
    //  objective extension approved before the due date: excused, no delay
    assign(f, "E", "U1", 20260131, 1);
    assert_int_equal(deadline(f, "E", 20260228, true, 20260125), CCHC__ERROR_CODE__ERR_NONE);
    submitted(f, "U1", "E", 20260220);
    verified(f, "ward", "E", true, 20260221);
    assert_int_equal(cchc_task_delays(task(f, "E"), at(20260301)), 0);
    assert_true(task(f, "E")->rec->excused);
    //  extension approved after the due date passed: the missed date is a delay
    assign(f, "L", "U1", 20260131, 1);
    assert_int_equal(deadline(f, "L", 20260228, true, 20260205), CCHC__ERROR_CODE__ERR_NONE);
    submitted(f, "U1", "L", 20260220);
    verified(f, "ward", "L", true, 20260221);
    assert_int_equal(cchc_task_delays(task(f, "L"), at(20260301)), 1);
    assert_int_equal(cchc_task_status(task(f, "L"), at(20260301)), CCHC_STATUS_DONE_LATE);
    //  ... and missing the new date too makes two
    assign(f, "L2", "U1", 20260131, 1);
    deadline(f, "L2", 20260215, false, 20260205);
    submitted(f, "U1", "L2", 20260220);
    verified(f, "ward", "L2", true, 20260221);
    assert_int_equal(cchc_task_delays(task(f, "L2"), at(20260301)), 2);
    //  in time but no objective reason: reminders move, lateness does not
    assign(f, "N", "U1", 20260131, 1);
    deadline(f, "N", 20260228, false, 20260120);
    assert_int_equal(task(f, "N")->rec->due_in_force, 20260131);
    assert_int_equal(task(f, "N")->rec->due_target, 20260228);
    assert_true(cchc_task_overdue(task(f, "N"), at(20260201)));
    //  no change once the task is done
    assert_int_equal(deadline(f, "E", 20260331, true, 20260302), CCHC__ERROR_CODE__ERR_INVALID_STATE);
}

static void test_paused_and_cancelled(void **state)
{
    fixture_t *f = *state;
    assign(f, "P", "U1", 20260131, 1);
    Cchc__Event ev = event("ward");
    Cchc__TaskPaused p = CCHC__TASK_PAUSED__INIT;
    p.task = "P";
    ev.payload_case = CCHC__EVENT__PAYLOAD_PAUSED;
    ev.paused = &p;
    assert_int_equal(submit(f, &ev, at(20260110)), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(cchc_task_status(task(f, "P"), at(20260301)), CCHC_STATUS_PAUSED);
    assert_false(cchc_task_unmet(task(f, "P"), at(20260301)));
    assert_int_equal(progress(f, "U1", "P", 10, 0, 20260111), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    assert_int_equal(submit(f, &ev, at(20260112)), CCHC__ERROR_CODE__ERR_INVALID_STATE);
    Cchc__TaskCancelled c = CCHC__TASK_CANCELLED__INIT;
    c.task = "P";
    ev.payload_case = CCHC__EVENT__PAYLOAD_CANCELLED;
    ev.cancelled = &c;
    assert_int_equal(submit(f, &ev, at(20260113)), CCHC__ERROR_CODE__ERR_NONE);
    assert_int_equal(cchc_task_status(task(f, "P"), at(20260301)), CCHC_STATUS_CANCELLED);
}

//  Records saved with their last_seq and loaded into a new model give the
//  same model: same tasks, same state, same clock and seq.
static void test_persistence_round_trip(void **state)
{
    fixture_t *f = *state;
    assign(f, "T1", "U1", 20260131, 2);
    assign(f, "T2", "U2", 20260228, 1);
    progress(f, "U1", "T1", 50, 1, 20260110);
    submitted(f, "U2", "T2", 20260111);
    verified(f, "ward", "T2", false, 20260112);
    deadline(f, "T1", 20260215, true, 20260120);

    char path[] = "/tmp/cchc-test-model-XXXXXX";
    assert_non_null(mkdtemp(path));
    char db_path[128];
    snprintf(db_path, sizeof(db_path), "%s/m.db", path);
    const char *migrations[] = {CCHC_MODEL_MIGRATION};
    char err[256];
    sqlite3 *db = cchc_store_open(db_path, migrations, 1, err, sizeof(err));
    assert_non_null(db);
    cchc_record_set_t set = {0};
    cchc_model_take_dirty(f->m, &set);
    assert_true(set.count >= 8); //  ward, area, 2 units, official, 2 tasks, clock
    assert_int_equal(cchc_store_exec(db, "BEGIN"), 0);
    assert_int_equal(cchc_record_set_save(&set, db), 0);
    assert_int_equal(cchc_store_exec(db, "COMMIT"), 0);
    cchc_record_set_clear(&set);
    //  nothing changed since: only nothing (or the clock) is dirty
    cchc_model_take_dirty(f->m, &set);
    assert_true(set.count <= 1);
    cchc_record_set_clear(&set);

    cchc_model_t *loaded = cchc_model_new();
    assert_int_equal(cchc_model_load(loaded, db), 0);
    assert_int_equal(cchc_model_last_seq(loaded), cchc_model_last_seq(f->m));
    assert_int_equal(cchc_model_now(loaded), cchc_model_now(f->m));
    cchc_ward_t *w1 = cchc_model_ward(f->m, "W"), *w2 = cchc_model_ward(loaded, "W");
    assert_non_null(w2);
    assert_int_equal(w2->ntasks, w1->ntasks);
    assert_int_equal(w2->nunits, w1->nunits);
    assert_string_equal(w2->chairman, "CT");
    for (size_t i = 0; i < w1->ntasks; i++) {
        //  same order, same packed record
        const Cchc__TaskRecord *a = w1->tasks[i]->rec, *b = w2->tasks[i]->rec;
        size_t la = cchc__task_record__get_packed_size(a), lb = cchc__task_record__get_packed_size(b);
        assert_int_equal(la, lb);
        uint8_t *ba = malloc(la), *bb = malloc(lb);
        cchc__task_record__pack(a, ba);
        cchc__task_record__pack(b, bb);
        assert_memory_equal(ba, bb, la);
        free(ba);
        free(bb);
    }
    assert_int_equal(cchc_ward_task(w2, "T2")->rec->failed_reviews, 1);
    assert_int_equal(cchc_ward_task(w2, "T1")->rec->due_in_force, 20260215);
    assert_ptr_equal(cchc_ward_task(w2, "T1")->unit, cchc_ward_unit(w2, "U1"));
    cchc_model_destroy(&loaded);
    cchc_store_close(&db);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
    assert_int_equal(system(cmd), 0);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
