/*  test_outbox.c - the outbox keeps each alert once, even across restarts,
    moves it from pending to sent, answers queries newest first; and the
    channels deliver what the outbox hands them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "channels.h"
#include "model.h"
#include "outbox.h"
#include "store.h"
#include "strmap.h"

typedef struct {
    char dir[64];
    char path[128];
    sqlite3 *db;
} fixture_t;

//  Open with meta, model_record and the first `steps` outbox steps, as the
//  follower does (steps = cchc_outbox_migration_count: the current code).
static sqlite3 *outbox_open_steps(const char *path, int steps)
{
    const char *migrations[16] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION};
    assert_true(steps <= cchc_outbox_migration_count && 2 + steps <= 16);
    for (int i = 0; i < steps; i++)
        migrations[2 + i] = cchc_outbox_migrations[i];
    char err[256];
    sqlite3 *db = cchc_store_open(path, migrations, 2 + steps, err, sizeof(err));
    if (!db)
        fail_msg("open %s: %s", path, err);
    return db;
}

static sqlite3 *outbox_open(const char *path)
{
    return outbox_open_steps(path, cchc_outbox_migration_count);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/cchc-test-outbox-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/notify.db", f->dir);
    f->db = outbox_open(f->path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    cchc_store_close(&f->db);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static char *text_copy(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

//  A decided alert as cchc_alerts_decide makes them.
static cchc_alert_t *alert_new(const char *ward, const char *task, const char *person, Cchc__AlertKind kind,
                               int level, const char *text)
{
    cchc_alert_t *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    a->ward = text_copy(ward);
    a->task = text_copy(task);
    a->unit = text_copy("KT");
    a->person = text_copy(person);
    a->person_name = text_copy("Vũ Đức Thắng");
    a->kind = kind;
    a->level = level;
    a->due_date = 20260331;
    a->days_overdue = kind == CCHC__ALERT_KIND__ALERT_OVERDUE ? 2 : 0;
    a->decided_ms = 1775000000000LL;
    a->cause_seq = 42;
    a->text = text_copy(text);
    char key[256];
    cchc_alert_key(key, sizeof(key), ward, task, person, kind, level);
    a->key = text_copy(key);
    return a;
}

static size_t insert_one(sqlite3 *db, cchc_alert_t *a)
{
    size_t inserted = 99;
    assert_int_equal(cchc_outbox_insert(db, &a, 1, &inserted), 0);
    cchc_alert_free(a);
    return inserted;
}

static void free_alerts(cchc_alert_t **alerts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cchc_alert_free(alerts[i]);
    free(alerts);
}

static const Cchc__AlertKind OVD = CCHC__ALERT_KIND__ALERT_OVERDUE, REM = CCHC__ALERT_KIND__ALERT_REMINDER;

static void test_same_key_twice_is_one_row(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", OVD, 0, "Quá hạn: lần đầu")), 1);
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", OVD, 0, "Quá hạn: lần hai")), 0);
    //  twice in one call, as a replayed batch could carry
    cchc_alert_t *pair[2] = {alert_new("W", "T", "S_KT", REM, 7, "a"),
                             alert_new("W", "T", "S_KT", REM, 7, "b")};
    size_t inserted = 0;
    assert_int_equal(cchc_outbox_insert(f->db, pair, 2, &inserted), 0);
    assert_int_equal(inserted, 1);
    cchc_alert_free(pair[0]);
    cchc_alert_free(pair[1]);
    //  a different level, kind, person or task is another alert
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "S_KT", REM, 3, "c")), 1);
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", REM, 7, "d")), 1);
    assert_int_equal(insert_one(f->db, alert_new("W", "U", "H_KT", OVD, 0, "e")), 1);

    Cchc__Alert **list = NULL;
    size_t n = 0;
    unsigned total = 0;
    assert_int_equal(cchc_outbox_list(f->db, "W", 0, &list, &n, &total), 0);
    assert_int_equal(n, 5);
    assert_int_equal(total, 5);
    assert_string_equal(list[4]->text, "Quá hạn: lần đầu"); //  the first decision stands
    cchc_outbox_list_free(list, n);
}

//  Keys survive a restart: the set notify loads, and the UNIQUE constraint.
static void test_keys_survive_a_restart(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", OVD, 0, "x")), 1);
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "S_KT", REM, 7, "y")), 1);
    cchc_store_close(&f->db);
    f->db = outbox_open(f->path);
    cchc_strmap_t *keys = cchc_strmap_new();
    assert_int_equal(cchc_outbox_load_keys(f->db, keys), 0);
    assert_int_equal(cchc_strmap_size(keys), 2);
    assert_non_null(cchc_strmap_get(keys, "W/T/H_KT/1/0"));
    assert_non_null(cchc_strmap_get(keys, "W/T/S_KT/0/7"));
    cchc_strmap_destroy(&keys);
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", OVD, 0, "x again")), 0);
}

static void test_pending_then_sent(void **state)
{
    fixture_t *f = *state;
    for (int level = 7; level >= 5; level--)
        assert_int_equal(insert_one(f->db, alert_new("W", "T", "S_KT", REM, level, "Nhắc hạn")), 1);
    cchc_alert_t **pending = NULL;
    size_t n = 0;
    assert_int_equal(cchc_outbox_pending(f->db, 2, &pending, &n), 0); //  a round of at most 2
    assert_int_equal(n, 2);
    assert_true(pending[0]->id > 0 && pending[1]->id > pending[0]->id); //  oldest first
    assert_string_equal(pending[0]->key, "W/T/S_KT/0/7");
    assert_string_equal(pending[0]->person_name, "Vũ Đức Thắng");
    assert_int_equal(pending[0]->cause_seq, 42);
    assert_int_equal(pending[0]->due_date, 20260331);

    //  a failed attempt is counted and leaves them pending
    assert_int_equal(cchc_outbox_mark_failed(f->db, pending, n), 0);
    cchc_alert_t **again = NULL;
    size_t m = 0;
    assert_int_equal(cchc_outbox_pending(f->db, 0, &again, &m), 0);
    assert_int_equal(m, 3);
    free_alerts(again, m);

    assert_int_equal(cchc_outbox_mark_sent(f->db, pending, n, 1775000100000LL), 0);
    free_alerts(pending, n);
    assert_int_equal(cchc_outbox_pending(f->db, 0, &pending, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(pending[0]->key, "W/T/S_KT/0/5");
    free_alerts(pending, n);

    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT status, attempts, sent_ms FROM outbox WHERE level = 7",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "sent");
    assert_int_equal(sqlite3_column_int(st, 1), 2);
    assert_int_equal(sqlite3_column_int64(st, 2), 1775000100000LL);
    sqlite3_finalize(st);

    Cchc__Alert **list = NULL;
    unsigned total = 0;
    assert_int_equal(cchc_outbox_list(f->db, "W", 0, &list, &n, &total), 0);
    assert_int_equal(n, 3);
    assert_string_equal(list[0]->status, "pending"); //  newest first: level 5
    assert_int_equal(list[0]->level, 5);
    assert_string_equal(list[2]->status, "sent");
    cchc_outbox_list_free(list, n);
}

//  Inserted in the caller's transaction: a rollback (a crash before COMMIT)
//  leaves nothing, so a replay decides and inserts it again.
static void test_insert_rolls_back_with_the_batch(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(cchc_store_exec(f->db, "BEGIN IMMEDIATE"), 0);
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", OVD, 0, "x")), 1);
    assert_int_equal(cchc_store_exec(f->db, "ROLLBACK"), 0);
    cchc_alert_t **pending = NULL;
    size_t n = 9;
    assert_int_equal(cchc_outbox_pending(f->db, 0, &pending, &n), 0);
    assert_int_equal(n, 0);
    free(pending);
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", OVD, 0, "x")), 1);
}

static void test_list_per_ward_with_limit(void **state)
{
    fixture_t *f = *state;
    for (int level = 0; level < 5; level++)
        assert_int_equal(insert_one(f->db, alert_new("W", "T", "S_KT", REM, level, "w")), 1);
    assert_int_equal(insert_one(f->db, alert_new("OTHER", "T", "S_KT", REM, 0, "o")), 1);
    Cchc__Alert **list = NULL;
    size_t n = 0;
    unsigned total = 0;
    assert_int_equal(cchc_outbox_list(f->db, "W", 2, &list, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 5);
    assert_int_equal(list[0]->level, 4);
    assert_int_equal(list[1]->level, 3);
    assert_true(list[0]->has_id && list[0]->id > list[1]->id);
    assert_string_equal(list[0]->ward, "W");
    cchc_outbox_list_free(list, n);
    assert_int_equal(cchc_outbox_list(f->db, "NONE", 0, &list, &n, &total), 0);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    cchc_outbox_list_free(list, n);
}

// ---------------------------------------------------------------------------
//  Migrations

//  notify's only outbox step as released on main (94bb110), verbatim. Every
//  notify.db in the field was made by it: it must never change, and the
//  current code must open such a database with its rows intact.
static const char MAIN_OUTBOX_STEP_1[] =
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, ward TEXT NOT NULL, task TEXT NOT NULL, unit TEXT NOT NULL,"
    " person TEXT NOT NULL, person_name TEXT NOT NULL, kind INTEGER NOT NULL, level INTEGER NOT NULL,"
    " due_date INTEGER NOT NULL, days_overdue INTEGER NOT NULL, decided_ms INTEGER NOT NULL,"
    " cause_seq INTEGER NOT NULL, text TEXT NOT NULL, token TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, sent_ms INTEGER,"
    " UNIQUE (ward, task, person, kind, level));"
    "CREATE INDEX outbox_pending ON outbox (status) WHERE status = 'pending';";

static void test_released_steps_are_unchanged(void **state)
{
    (void)state;
    assert_true(cchc_outbox_migration_count >= 2);
    assert_string_equal(cchc_outbox_migrations[0], MAIN_OUTBOX_STEP_1);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

//  A notify.db made by main's code (step 1 only, rows written the way main
//  wrote them, token included) is migrated by the current code: every row,
//  id, status and attempt count kept, keys the same as the old tokens, and
//  the outbox then works as a new one does.
static void test_main_database_migrates(void **state)
{
    fixture_t *f = *state;
    cchc_store_close(&f->db);
    assert_int_equal(unlink(f->path), 0);
    const char *main_steps[] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION, MAIN_OUTBOX_STEP_1};
    char err[256];
    f->db = cchc_store_open(f->path, main_steps, 3, err, sizeof(err));
    assert_non_null(f->db);
    assert_int_equal(
        cchc_store_exec(f->db, "INSERT INTO outbox (ward, task, unit, person, person_name, kind, level,"
                               " due_date, days_overdue, decided_ms, cause_seq, text, token) VALUES"
                               " ('W', 'T', 'KT', 'H_KT', 'Vũ Đức Thắng', 1, 0, 20260331, 2,"
                               " 1775000000000, 42, 'Quá hạn 2 ngày', 'W/T/H_KT/1/0'),"
                               " ('W', 'T', 'KT', 'S_KT', 'Lê Thị Hoa', 0, 7, 20260331, 0,"
                               " 1774000000000, 40, 'Nhắc hạn', 'W/T/S_KT/0/7');"
                               "UPDATE outbox SET status = 'sent', sent_ms = 1774000100000, attempts = 3"
                               " WHERE token = 'W/T/S_KT/0/7';"),
        0);
    assert_int_equal(query_int(f->db, "PRAGMA user_version"), 3);
    cchc_store_close(&f->db);

    f->db = outbox_open(f->path); //  the current code
    assert_int_equal(query_int(f->db, "PRAGMA user_version"), 2 + cchc_outbox_migration_count);
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM outbox"), 2);
    assert_int_equal(
        query_int(f->db, "SELECT count(*) FROM pragma_table_info('outbox') WHERE name = 'token'"), 0);
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                      " ('outbox_pending', 'outbox_ward', 'outbox_v2')"),
                     2);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);

    //  keys composed from the columns equal the stored tokens of old
    cchc_strmap_t *keys = cchc_strmap_new();
    assert_int_equal(cchc_outbox_load_keys(f->db, keys), 0);
    assert_int_equal(cchc_strmap_size(keys), 2);
    assert_non_null(cchc_strmap_get(keys, "W/T/H_KT/1/0"));
    assert_non_null(cchc_strmap_get(keys, "W/T/S_KT/0/7"));
    cchc_strmap_destroy(&keys);

    //  the pending row, whole, with its old id
    cchc_alert_t **pending = NULL;
    size_t n = 0;
    assert_int_equal(cchc_outbox_pending(f->db, 0, &pending, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(pending[0]->id, 1);
    assert_string_equal(pending[0]->key, "W/T/H_KT/1/0");
    assert_string_equal(pending[0]->person_name, "Vũ Đức Thắng");
    assert_string_equal(pending[0]->text, "Quá hạn 2 ngày");
    assert_int_equal(pending[0]->kind, OVD);
    assert_int_equal(pending[0]->due_date, 20260331);
    assert_int_equal(pending[0]->days_overdue, 2);
    assert_int_equal(pending[0]->decided_ms, 1775000000000LL);
    assert_int_equal(pending[0]->cause_seq, 42);

    //  the sent row keeps its delivery state
    assert_int_equal(query_int(f->db, "SELECT attempts FROM outbox WHERE id = 2"), 3);
    assert_int_equal(query_int(f->db, "SELECT sent_ms FROM outbox WHERE id = 2"), 1774000100000LL);
    assert_int_equal(query_int(f->db, "SELECT status = 'sent' FROM outbox WHERE id = 2"), 1);

    //  it works as a new outbox: the UNIQUE key holds, new rows follow the
    //  old ids, delivery state moves, the status CHECK is in force
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", OVD, 0, "lần hai")), 0);
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "H_KT", REM, 3, "Nhắc hạn 3 ngày")), 1);
    assert_int_equal(query_int(f->db, "SELECT max(id) FROM outbox"), 3);
    assert_int_equal(cchc_outbox_mark_sent(f->db, pending, n, 1775000100000LL), 0);
    free_alerts(pending, n);
    assert_int_equal(cchc_outbox_pending(f->db, 0, &pending, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(pending[0]->key, "W/T/H_KT/0/3");
    free_alerts(pending, n);
    assert_int_equal(query_int(f->db, "SELECT attempts FROM outbox WHERE id = 1"), 1);
    assert_int_not_equal(
        sqlite3_exec(f->db, "UPDATE outbox SET status = 'lost' WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
    Cchc__Alert **list = NULL;
    unsigned total = 0;
    assert_int_equal(cchc_outbox_list(f->db, "W", 0, &list, &n, &total), 0);
    assert_int_equal(total, 3);
    assert_string_equal(list[2]->status, "sent");
    assert_string_equal(list[2]->text, "Quá hạn 2 ngày");
    cchc_outbox_list_free(list, n);

    //  and a reopen does not run a step again
    cchc_store_close(&f->db);
    f->db = outbox_open(f->path);
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM outbox"), 3);
}

//  A database at an intermediate step (here: made by main) opened by older
//  code after the new code migrated it is refused, not misread.
static void test_newer_database_is_refused_by_main(void **state)
{
    fixture_t *f = *state;
    cchc_store_close(&f->db);
    const char *main_steps[] = {CCHC_STORE_META_MIGRATION, CCHC_MODEL_MIGRATION, MAIN_OUTBOX_STEP_1};
    char err[256] = "";
    sqlite3 *db = cchc_store_open(f->path, main_steps, 3, err, sizeof(err));
    assert_null(db);
    assert_true(err[0] != '\0');
    f->db = outbox_open_steps(f->path, cchc_outbox_migration_count);
}

// ---------------------------------------------------------------------------
//  Channels

#define ENABLED(c, ch) cchc_channels_enabled(&(c), CCHC_CH_##ch)

static void test_channels_parse(void **state)
{
    (void)state;
    cchc_channels_t c;
    assert_int_equal(cchc_channels_parse(&c, "console,file", "/tmp/a.log"), 0);
    assert_true(ENABLED(c, CONSOLE) && ENABLED(c, FILE));
    assert_string_equal(c.file_path, "/tmp/a.log");
    assert_int_equal(cchc_channels_parse(&c, "", "/tmp/a.log"), 0);
    assert_false(ENABLED(c, CONSOLE) || ENABLED(c, FILE));
    assert_int_equal(cchc_channels_parse(&c, "console", ""), 0);
    assert_true(ENABLED(c, CONSOLE) && !ENABLED(c, FILE));
    assert_int_equal(cchc_channels_parse(&c, "file", ""), -1); //  a file channel needs a path
    assert_int_equal(cchc_channels_parse(&c, "console,telegram", "/tmp/a.log"), -1);
    assert_false(ENABLED(c, CONSOLE) || ENABLED(c, FILE));
    assert_int_equal(cchc_channels_parse(&c, "email,console", ""), 0);
    assert_true(ENABLED(c, EMAIL) && ENABLED(c, CONSOLE) && !ENABLED(c, FILE));
    assert_int_equal(cchc_channels_parse(&c, "file", "/tmp/a.log"), 0);
    assert_false(ENABLED(c, EMAIL));
    //  fallback groups: zalo, then e-mail; the webhook on its own
    assert_int_equal(cchc_channels_parse(&c, "console, webhook,zalo>email", ""), 0);
    assert_int_equal(c.route.ngroups, 3);
    assert_int_equal(c.route.groups[2].n, 2);
    assert_int_equal(c.route.groups[2].ch[0], CCHC_CH_ZALO);
    assert_int_equal(c.route.groups[2].ch[1], CCHC_CH_EMAIL);
    assert_int_equal(cchc_channels_parse(&c, "zalo>", ""), -1);
    assert_int_equal(cchc_channels_parse(&c, "email,zalo>email", ""), -1); //  a channel once
    assert_int_equal(cchc_channels_parse(&c, "zalo>>email", ""), -1);
}

//  One round of the given alerts on the channels of plan; returns how many
//  took it on every planned channel.
static size_t deliver(const cchc_channels_t *c, cchc_alert_t **alerts, size_t n, unsigned plan)
{
    cchc_delivery_item_t *items = calloc(n, sizeof(*items));
    assert_non_null(items);
    for (size_t i = 0; i < n; i++) {
        items[i].alert = alerts[i];
        items[i].plan = plan;
    }
    cchc_channels_deliver(c, items, n, NULL);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(items[i].tried, plan);
        ok += items[i].ok == plan;
    }
    free(items);
    return ok;
}

//  The file channel: one JSON object per line with the token; appended.
static void test_file_channel(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(
        insert_one(f->db, alert_new("W", "T", "H_KT", OVD, 0, "Quá hạn: \"trích dẫn\"\nxuống dòng")), 1);
    assert_int_equal(insert_one(f->db, alert_new("W", "T", "S_KT", REM, 7, "Nhắc hạn")), 1);
    cchc_alert_t **pending = NULL;
    size_t n = 0;
    assert_int_equal(cchc_outbox_pending(f->db, 0, &pending, &n), 0);
    char path[160];
    snprintf(path, sizeof(path), "%s/alerts.log", f->dir);
    cchc_channels_t c;
    assert_int_equal(cchc_channels_parse(&c, "file", path), 0);
    unsigned file = CCHC_CH_BIT(CCHC_CH_FILE);
    assert_int_equal(deliver(&c, pending, n, file), 2);
    assert_int_equal(deliver(&c, pending, 1, file), 1); //  a redelivery appends, same token

    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char line[4096];
    assert_non_null(fgets(line, sizeof(line), in));
    char expect[256];
    snprintf(expect, sizeof(expect), "{\"id\":%lld,\"token\":\"W/T/H_KT/1/0\",\"kind\":\"overdue\"",
             (long long)pending[0]->id);
    assert_memory_equal(line, expect, strlen(expect));
    assert_non_null(strstr(line, "\"person\":\"H_KT\",\"person_name\":\"Vũ Đức Thắng\""));
    assert_non_null(strstr(line, "\"level\":0"));
    assert_non_null(strstr(line, "\"task\":\"T\""));
    assert_non_null(strstr(line, "\"due\":\"31/03/2026\""));
    assert_non_null(strstr(line, "\"text\":\"Quá hạn: \\\"trích dẫn\\\"\\u000axuống dòng\"}\n"));
    assert_non_null(fgets(line, sizeof(line), in));
    assert_non_null(strstr(line, "\"token\":\"W/T/S_KT/0/7\""));
    assert_non_null(fgets(line, sizeof(line), in));
    assert_non_null(strstr(line, "\"token\":\"W/T/H_KT/1/0\""));
    assert_null(fgets(line, sizeof(line), in));
    fclose(in);

    //  an unwritable path fails the delivery (the alerts stay pending)
    snprintf(path, sizeof(path), "%s/no-such-dir/alerts.log", f->dir);
    assert_int_equal(cchc_channels_parse(&c, "console,file", path), 0);
    assert_int_equal(deliver(&c, pending, n, file), 0);
    free_alerts(pending, n);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_same_key_twice_is_one_row),
        T(test_keys_survive_a_restart),
        T(test_pending_then_sent),
        T(test_insert_rolls_back_with_the_batch),
        T(test_list_per_ward_with_limit),
        T(test_released_steps_are_unchanged),
        T(test_main_database_migrates),
        T(test_newer_database_is_refused_by_main),
        T(test_channels_parse),
        T(test_file_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
