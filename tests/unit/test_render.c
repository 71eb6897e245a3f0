/*  test_render.c - what people and machines read: display width of
    Vietnamese text, decimal commas, exact decimal parsing, JSON escaping,
    and the ranking, explanation and alert renderings (table alignment by
    display width, marks and footnotes, JSON shape). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "render.h"

//  Output captured from a renderer; the caller frees it.
typedef struct {
    char *text;
    size_t len;
    FILE *f;
} capture_t;

static void capture_start(capture_t *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
}

static char *capture_end(capture_t *c)
{
    fclose(c->f);
    return c->text;
}

//  The display column where needle starts in line (first occurrence), or -1.
static int column_of(const char *line, const char *needle)
{
    const char *p = strstr(line, needle);
    if (!p)
        return -1;
    char *prefix = strndup(line, (size_t)(p - line));
    int col = (int)cchc_display_width(prefix);
    free(prefix);
    return col;
}

//  Line n (0-based) of text, copied; the caller frees it.
static char *line_of(const char *text, int n)
{
    for (; n > 0 && text; n--) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    assert_non_null(text);
    const char *end = strchr(text, '\n');
    return strndup(text, end ? (size_t)(end - text) : strlen(text));
}

// ---------------------------------------------------------------------------

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(cchc_display_width("Hoàn thành xuất sắc"), 19); //  precomposed (NFC)
    assert_int_equal(cchc_display_width("Ho\xcc\x80"
                                        "an"),
                     4); //  "Hoàn" with a combining grave accent (NFD)
    assert_int_equal(cchc_display_width("Đơn vị"), 6);
    assert_int_equal(cchc_display_width("Nghi\xcc\xa3"), 4); //  dot below U+0323 takes no column
    assert_int_equal(cchc_display_width("—"), 1);
    assert_int_equal(cchc_display_width(""), 0);
    char buf[64];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    cchc_print_padded(f, "Điểm", 6, true);
    cchc_print_padded(f, "|", 1, false);
    cchc_print_padded(f, "Hạng", 6, false);
    cchc_print_padded(f, "quá dài", 3, false); //  longer than the width: whole
    fclose(f);
    assert_string_equal(buf, "  Điểm|Hạng  quá dài");
}

static void test_numbers(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(cchc_format_score(8750, buf, sizeof(buf)), "87,50");
    assert_string_equal(cchc_format_score(5, buf, sizeof(buf)), "0,05");
    assert_string_equal(cchc_format_score(10000, buf, sizeof(buf)), "100,00");
    assert_string_equal(cchc_format_score(-250, buf, sizeof(buf)), "-2,50");
    assert_string_equal(cchc_format_points(3745, buf, sizeof(buf)), "3,75"); //  rounded half up
    assert_string_equal(cchc_format_points(3744, buf, sizeof(buf)), "3,74");
    assert_string_equal(cchc_format_points(2727, buf, sizeof(buf)), "2,73");
    assert_string_equal(cchc_format_points(0, buf, sizeof(buf)), "0,00");
    assert_string_equal(cchc_format_pct(833333, buf, sizeof(buf)), "83,3%");
    assert_string_equal(cchc_format_pct(1000000, buf, sizeof(buf)), "100,0%");
    assert_string_equal(cchc_format_pct(0, buf, sizeof(buf)), "0,0%");
}

static void test_parsing(void **state)
{
    (void)state;
    int64_t v = 42;
    assert_int_equal(cli_parse_fixed("1.5", 1000, &v), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(cli_parse_fixed("87,25", 100, &v), 0);
    assert_int_equal(v, 8725);
    assert_int_equal(cli_parse_fixed("2", 1000, &v), 0);
    assert_int_equal(v, 2000);
    assert_int_equal(cli_parse_fixed("-0.5", 100, &v), 0);
    assert_int_equal(v, -50);
    assert_int_equal(cli_parse_fixed("0.1230", 1000, &v), 0);
    assert_int_equal(v, 123);
    v = 42;
    assert_int_equal(cli_parse_fixed("0.1234", 1000, &v), -1); //  more precision than milli
    assert_int_equal(cli_parse_fixed("abc", 1000, &v), -1);
    assert_int_equal(cli_parse_fixed("", 1000, &v), -1);
    assert_int_equal(cli_parse_fixed("-", 1000, &v), -1);
    assert_int_equal(cli_parse_fixed("1.5x", 1000, &v), -1);
    assert_int_equal(cli_parse_fixed("99999999999999999999", 1000, &v), -1); //  overflow
    assert_int_equal(v, 42);                                                 //  untouched on failure

    long n = 7;
    assert_int_equal(cli_parse_int("100", 0, 100, &n), 0);
    assert_int_equal(n, 100);
    assert_int_equal(cli_parse_int("-3", -5, 5, &n), 0);
    assert_int_equal(n, -3);
    n = 7;
    assert_int_equal(cli_parse_int("101", 0, 100, &n), -1);
    assert_int_equal(cli_parse_int("5%", 0, 100, &n), -1);
    assert_int_equal(cli_parse_int("", 0, 100, &n), -1);
    assert_int_equal(cli_parse_int("99999999999999999999999", 0, 100, &n), -1);
    assert_int_equal(n, 7);
}

static void test_json_string(void **state)
{
    (void)state;
    char buf[128];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    cchc_json_string(f, "nói \"đúng\"\\\n\t\x01\x7f/");
    cchc_json_string(f, NULL);
    fclose(f);
    assert_string_equal(buf, "\"nói \\\"đúng\\\"\\\\\\n\\t\\u0001\\u007f/\"\"\"");
}

static void test_labels(void **state)
{
    (void)state;
    assert_string_equal(cchc_tier_label_vi(CCHC__TIER__TIER_EXCELLENT), "Hoàn thành xuất sắc");
    assert_string_equal(cchc_tier_name(CCHC__TIER__TIER_NOT_COMPLETED), "not_completed");
    assert_string_equal(cchc_alert_kind_name(CCHC__ALERT_KIND__ALERT_ESCALATION), "escalation");
    Cchc__Alert a = CCHC__ALERT__INIT;
    char buf[32];
    a.kind = CCHC__ALERT_KIND__ALERT_REMINDER;
    a.level = 7;
    assert_string_equal(cchc_alert_level_vi(&a, buf, sizeof(buf)), "D−7");
    a.level = 0;
    assert_string_equal(cchc_alert_level_vi(&a, buf, sizeof(buf)), "D");
    a.kind = CCHC__ALERT_KIND__ALERT_OVERDUE;
    a.days_overdue = 3;
    assert_string_equal(cchc_alert_level_vi(&a, buf, sizeof(buf)), "quá 3 ngày");
    a.kind = CCHC__ALERT_KIND__ALERT_ESCALATION;
    a.level = 2;
    assert_string_equal(cchc_alert_level_vi(&a, buf, sizeof(buf)), "cấp 2");
    assert_string_equal(cchc_alert_status_vi("sent"), "đã gửi");
    assert_string_equal(cchc_alert_status_vi("pending"), "chờ gửi");

    int64_t ms;
    assert_int_equal(cchc_time_parse("01/01/2027", &ms), 0);
    assert_int_equal(cchc_ranking_year(ms), 2026); //  the end of 2026 is still 2026's ranking
    assert_int_equal(cchc_ranking_year(ms + 1), 2027);
    assert_int_equal(cchc_ranking_year(0), 0);
}

// ---------------------------------------------------------------------------
//  A ranking of three units: one appraised, one accountable, one unrated.

typedef struct {
    Cchc__RankEntry e[3];
    Cchc__RankEntry *ptrs[3];
    Cchc__Ranking r;
} ranking_fixture_t;

static void ranking_fixture(ranking_fixture_t *x)
{
    static const Cchc__RankEntry init = CCHC__RANK_ENTRY__INIT;
    static const Cchc__Ranking rinit = CCHC__RANKING__INIT;
    for (int i = 0; i < 3; i++) {
        x->e[i] = init;
        x->ptrs[i] = &x->e[i];
        x->e[i].rank = (uint32_t)i + 1;
    }
    x->e[0].unit = "VP";
    x->e[0].unit_name = "Văn phòng HĐND và UBND";
    x->e[0].score_centi = 9550;
    x->e[0].computed_centi = 9231;
    x->e[0].appraised = true;
    x->e[0].tier = x->e[0].score_tier = CCHC__TIER__TIER_EXCELLENT;
    x->e[0].par_group = "A";
    x->e[0].evaluated = x->e[0].done = x->e[0].on_time = 6;
    x->e[0].on_time_ppm = 1000000;
    x->e[0].eligible = true;

    x->e[1].unit = "DVSNC";
    //  decomposed (NFD) Vietnamese and a quote: width and escaping both matter
    x->e[1].unit_name = "Trung ta\xcc\x82m \"Di\xcc\xa3\x63h vu\xcc\xa3\"";
    x->e[1].score_centi = x->e[1].computed_centi = 4250;
    x->e[1].tier = x->e[1].score_tier = CCHC__TIER__TIER_NOT_COMPLETED;
    x->e[1].par_group = "D";
    x->e[1].evaluated = 6;
    x->e[1].done = x->e[1].late = 3;
    x->e[1].overdue = x->e[1].unmet = 3;
    x->e[1].on_time_ppm = 0;
    x->e[1].penalty_centi = 50;
    x->e[1].head_accountable = true;

    x->e[2].unit = "PVHCC";
    x->e[2].unit_name = "Trung tâm Phục vụ hành chính công";
    x->e[2].tier = CCHC__TIER__TIER_UNRATED;
    x->e[2].eligible = true;

    x->r = rinit;
    x->r.ward = "LTN";
    x->r.ward_name = "Phường Lê Thanh Nghị";
    assert_int_equal(cchc_time_parse("01/01/2027", &x->r.as_of_ms), 0);
    x->r.last_seq = 556;
    x->r.n_entries = 3;
    x->r.entries = x->ptrs;
}

static void test_ranking_table(void **state)
{
    (void)state;
    ranking_fixture_t x;
    ranking_fixture(&x);
    capture_t c;
    capture_start(&c);
    cchc_render_ranking(c.f, &x.r);
    char *out = capture_end(&c);

    char *heading = line_of(out, 0);
    assert_string_equal(heading,
                        "Bảng xếp hạng CCHC năm 2026 — Phường Lê Thanh Nghị (tính đến 01/01/2027 00:00)");
    free(heading);

    //  columns line up by display width, whatever the bytes
    char *head = line_of(out, 1), *vp = line_of(out, 3), *dv = line_of(out, 4), *pv = line_of(out, 5);
    int tier_col = column_of(head, "Xếp loại");
    assert_true(tier_col > 0);
    assert_int_equal(column_of(vp, "Hoàn thành xuất sắc"), tier_col);
    assert_int_equal(column_of(dv, "Không hoàn thành"), tier_col);
    assert_int_equal(column_of(pv, "Chưa đánh giá"), tier_col);
    //  scores: comma decimals, right-aligned numbers, the appraisal marked
    assert_int_equal(column_of(vp, "95,50 (thẩm định)"), column_of(dv, "42,50"));
    assert_int_equal(column_of(vp, "95,50") + 4, column_of(pv, "—")); //  "—" under the last digit
    //  right-aligned counts end under their heading
    int unmet_end = column_of(head, "Chưa đạt") + 8;
    assert_int_equal(column_of(dv, "3  !") + 1, unmet_end);
    assert_non_null(strstr(vp, "100,0%"));
    assert_null(strstr(pv, "0,0%"));        //  nothing evaluated: no on-time rate
    assert_true(vp[strlen(vp) - 1] != ' '); //  no trailing spaces
    free(head);
    free(vp);
    free(dv);
    free(pv);

    //  one footnote per appraised unit and per accountable head
    assert_non_null(strstr(out, "(thẩm định) Văn phòng HĐND và UBND: điểm thẩm định 95,50, thay cho điểm tự "
                                "tính 92,31."));
    assert_non_null(strstr(out,
                           "! Trung ta\xcc\x82m \"Di\xcc\xa3\x63h vu\xcc\xa3\": Người đứng đầu chịu trách "
                           "nhiệm trước Chủ tịch UBND phường (xếp loại Không hoàn thành; 3 nhiệm vụ chưa "
                           "đạt yêu cầu); đơn vị không đủ điều kiện xét thi đua."));
    assert_null(strstr(out, "! Trung tâm Phục vụ"));
    free(out);
}

static void test_ranking_json(void **state)
{
    (void)state;
    ranking_fixture_t x;
    ranking_fixture(&x);
    capture_t c;
    capture_start(&c);
    cchc_render_ranking_json(c.f, &x.r);
    char *out = capture_end(&c);
    assert_int_equal(
        strncmp(out,
                "{\"ward\":\"LTN\",\"ward_name\":\"Phường Lê Thanh Nghị\",\"year\":2026,"
                "\"period\":\"year\",\"from_history\":false,\"as_of\":\"01/01/2027 00:00\",",
                strlen("{\"ward\":\"LTN\",\"ward_name\":\"Phường Lê Thanh Nghị\",\"year\":2026,"
                       "\"period\":\"year\",\"from_history\":false,\"as_of\":\"01/01/2027 00:00\",")),
        0);
    assert_non_null(strstr(out, "\"last_seq\":556,\"entries\":[{\"rank\":1,\"unit\":\"VP\","));
    assert_non_null(strstr(out,
                           "\"score\":95.50,\"score_centi\":9550,\"computed_score\":92.31,"
                           "\"appraised\":true,\"tier\":\"excellent\",\"tier_vi\":\"Hoàn thành xuất sắc\""));
    assert_non_null(strstr(out, "\"unit_name\":\"Trung ta\xcc\x82m \\\"Di\xcc\xa3\x63h vu\xcc\xa3\\\"\""));
    assert_non_null(strstr(out, "\"score\":42.50,"));
    assert_non_null(strstr(out,
                           "\"overdue\":3,\"unmet\":3,\"on_time_pct\":0.0,\"on_time_ppm\":0,\"bonus\":0.00,"
                           "\"penalty\":0.50,\"head_accountable\":true,\"eligible\":false}"));
    assert_non_null(strstr(out, "\"on_time_pct\":100.0,"));
    assert_non_null(strstr(out, "\"tier\":\"unrated\",\"tier_vi\":\"Chưa đánh giá\""));
    //  one object on one line
    assert_string_equal(out + strlen(out) - 4, "}]}\n");
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
    free(out);
}

static void test_explanation(void **state)
{
    (void)state;
    ranking_fixture_t x;
    ranking_fixture(&x);
    Cchc__AreaExplain ar[2] = {CCHC__AREA_EXPLAIN__INIT, CCHC__AREA_EXPLAIN__INIT};
    Cchc__AreaExplain *areas[2] = {&ar[0], &ar[1]};
    ar[0].area = "TTHC";
    ar[0].name = "Cải cách thủ tục hành chính";
    ar[0].weight = 25;
    ar[0].applicable = true;
    ar[0].earned_milli = 11249;
    ar[0].max_milli = 25000;
    ar[0].pct_ppm = 450000;
    ar[1].area = "CQS";
    ar[1].name = "Chính quyền số";
    ar[1].weight = 20;
    Cchc__TaskExplain tk = CCHC__TASK_EXPLAIN__INIT;
    Cchc__TaskExplain *tasks[1] = {&tk};
    tk.task = "CCHC-53";
    tk.title = "Thực hiện cơ chế tự chủ tài chính";
    tk.area = "TTHC";
    tk.status = "Chưa hoàn thành quá hạn";
    tk.evaluated = tk.unmet = true;
    tk.max_milli = 6667;
    tk.delays = 1;
    tk.due_date = 20260630;
    char *gates[1] = {"Người đứng đầu chịu trách nhiệm trước Chủ tịch UBND phường."};
    Cchc__Explanation e = CCHC__EXPLANATION__INIT;
    e.entry = &x.e[1];
    e.n_areas = 2;
    e.areas = areas;
    e.n_tasks = 1;
    e.tasks = tasks;
    e.n_gates = 1;
    e.gates = gates;
    e.as_of_ms = x.r.as_of_ms;

    capture_t c;
    capture_start(&c);
    cchc_render_explanation(c.f, &e);
    char *out = capture_end(&c);
    assert_non_null(strstr(out, "Hạng 2: 42,50 điểm, Không hoàn thành (nhóm D)."));
    assert_non_null(strstr(out, "Điểm thưởng: +0,00; điểm trừ: −0,50."));
    assert_non_null(strstr(out, "11,25 / 25,00  45,0%"));
    assert_non_null(strstr(out, "không áp dụng"));
    assert_non_null(strstr(out, "CCHC-53  Thực hiện cơ chế tự chủ tài chính\n"
                                "      Chưa hoàn thành quá hạn (chưa đạt yêu cầu); hạn 30/06/2026\n"
                                "      0,00 / 6,67 điểm"));
    assert_non_null(strstr(out, "1 lần chậm tiến độ"));
    assert_non_null(strstr(out, "  - Người đứng đầu chịu trách nhiệm"));
    free(out);

    capture_start(&c);
    cchc_render_explanation_json(c.f, &e);
    out = capture_end(&c);
    assert_non_null(
        strstr(out, "{\"area\":\"TTHC\",\"name\":\"Cải cách thủ tục hành chính\",\"weight\":25,"
                    "\"applicable\":true,\"earned_milli\":11249,\"max_milli\":25000,\"pct_ppm\":450000}"));
    assert_non_null(strstr(out, "\"status\":\"Chưa hoàn thành quá hạn\",\"evaluated\":true,\"unmet\":true,"));
    assert_non_null(strstr(out, "\"delays\":1,\"due\":\"30/06/2026\",\"done\":null}"));
    assert_non_null(strstr(out, "\"gates\":[\"Người đứng đầu"));
    free(out);
}

static void test_alerts(void **state)
{
    (void)state;
    Cchc__Alert a[2] = {CCHC__ALERT__INIT, CCHC__ALERT__INIT};
    Cchc__Alert *ptrs[2] = {&a[0], &a[1]};
    a[0].id = 9;
    a[0].kind = CCHC__ALERT_KIND__ALERT_ESCALATION;
    a[0].level = 2;
    a[0].task = "CCHC-58";
    a[0].person = "CT";
    a[0].person_name = "Nguyễn Hữu Phúc";
    a[0].status = "sent";
    a[0].text = "Báo cáo Chủ tịch:\n«quá hạn»";
    assert_int_equal(cchc_time_parse("30/12/2026 09:00", &a[0].decided_ms), 0);
    a[1].id = 8;
    a[1].kind = CCHC__ALERT_KIND__ALERT_REMINDER;
    a[1].level = 3;
    a[1].task = "CCHC-7";
    a[1].person = "VP_CV1";
    a[1].person_name = "Lê Văn An";
    a[1].status = "pending";
    a[1].text = "Nhắc hạn";
    a[1].decided_ms = a[0].decided_ms - 86400000;
    Cchc__AlertList l = CCHC__ALERT_LIST__INIT;
    l.n_alerts = 2;
    l.alerts = ptrs;
    l.total = 40;
    l.last_seq = 77;

    capture_t c;
    capture_start(&c);
    cchc_render_alerts(c.f, &l);
    char *out = capture_end(&c);
    assert_non_null(strstr(out, "Cảnh báo: 2 / 40, mới nhất trước."));
    char *head = line_of(out, 1), *first = line_of(out, 3), *second = line_of(out, 6);
    assert_int_equal(column_of(first, "Nguyễn Hữu Phúc"), column_of(head, "Người nhận"));
    assert_int_equal(column_of(second, "Lê Văn An"), column_of(head, "Người nhận"));
    assert_non_null(strstr(first, "30/12/2026 09:00  Báo cáo vượt cấp  cấp 2"));
    assert_non_null(strstr(second, "29/12/2026 09:00  Nhắc hạn"));
    assert_non_null(strstr(second, "D−3"));
    assert_non_null(strstr(second, "chờ gửi"));
    free(head);
    free(first);
    free(second);
    assert_non_null(strstr(out, "\n    Báo cáo Chủ tịch:\n«quá hạn»\n"));
    free(out);

    capture_start(&c);
    cchc_render_alerts_json(c.f, &l);
    out = capture_end(&c);
    assert_non_null(
        strstr(out, "{\"last_seq\":77,\"total\":40,\"alerts\":[{\"id\":9,\"time\":\"30/12/2026 09:00\","));
    assert_non_null(strstr(out, "\"kind\":2,\"kind_name\":\"escalation\",\"kind_vi\":\"Báo cáo vượt cấp\","
                                "\"level\":2,\"level_vi\":\"cấp 2\""));
    assert_non_null(strstr(out, "\"text\":\"Báo cáo Chủ tịch:\\n«quá hạn»\"}"));
    assert_non_null(strstr(out, "\"status\":\"pending\",\"status_vi\":\"chờ gửi\""));
    free(out);

    //  a tier drop: the unit in the task column, the output record as the level
    a[1].kind = CCHC__ALERT_KIND__ALERT_TIER_DROP;
    a[1].level = 16;
    a[1].task = "";
    a[1].unit = "KT";
    capture_start(&c);
    cchc_render_alerts(c.f, &l);
    out = capture_end(&c);
    second = line_of(out, 6);
    assert_non_null(strstr(second, "29/12/2026 09:00  Tụt xếp loại      thay đổi số 16"));
    assert_non_null(strstr(second, "đơn vị KT"));
    free(second);
    free(out);
    capture_start(&c);
    cchc_render_alerts_json(c.f, &l);
    out = capture_end(&c);
    assert_non_null(strstr(out, "\"kind\":4,\"kind_name\":\"tier_drop\",\"kind_vi\":\"Tụt xếp loại\","
                                "\"level\":16,\"level_vi\":\"thay đổi số 16\""));
    free(out);
}

static void test_small_replies(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(cchc_time_parse("31/03/2026 17:00", &ms), 0);
    capture_t c;
    capture_start(&c);
    cchc_render_clock(c.f, ms, 12, true, false);
    cchc_render_clock(c.f, ms, 12, false, true);
    cchc_render_recorded(c.f, 13, false);
    cchc_render_recorded(c.f, 14, true);
    cchc_render_imported(c.f, 1, 5, 20, 7, 60, false);
    cchc_render_imported(c.f, 1, 5, 20, 7, 60, true);
    char *out = capture_end(&c);
    char expected[512];
    snprintf(expected, sizeof(expected),
             "Thời gian của nhật ký: 31/03/2026 17:00 (đồng hồ thủ công); sự kiện cuối: seq 12.\n"
             "{\"now\":\"31/03/2026 17:00\",\"now_ms\":%lld,\"head_seq\":12,\"manual\":false}\n"
             "Đã ghi nhận (seq 13).\n"
             "{\"seq\":14}\n"
             "Đã nhập: 1 phường, 5 đơn vị, 20 cán bộ, 7 lĩnh vực, 60 nhiệm vụ.\n"
             "{\"wards\":1,\"units\":5,\"officials\":20,\"areas\":7,\"tasks\":60}\n",
             (long long)ms);
    assert_string_equal(out, expected);
    free(out);
}

//  The province view: wards of several shards stand at different times;
//  the heading gives the earliest, a ward ahead of it gets its own line,
//  and the JSON gives every ward's as_of_ms.
static void test_province(void **state)
{
    (void)state;
    int64_t early, late;
    assert_int_equal(cchc_time_parse("01/03/2026 09:00", &early), 0);
    assert_int_equal(cchc_time_parse("05/03/2026 17:30", &late), 0);
    Cchc__WardEntry a = CCHC__WARD_ENTRY__INIT, b = CCHC__WARD_ENTRY__INIT;
    a.rank = 1;
    a.ward = "LTN";
    a.ward_name = "Phường Lê Thanh Nghị";
    a.score_centi = 9250;
    a.units = a.rated = 5;
    a.has_as_of_ms = true;
    a.as_of_ms = late;
    b.rank = 2;
    b.ward = "TH";
    b.ward_name = "Phường Tân Hưng";
    b.score_centi = 8100;
    b.units = b.rated = 4;
    b.has_as_of_ms = true;
    b.as_of_ms = early;
    Cchc__WardEntry *entries[] = {&a, &b};
    Cchc__ProvinceRanking p = CCHC__PROVINCE_RANKING__INIT;
    p.province = "Tỉnh Kiểm Thử";
    p.has_as_of_ms = true;
    p.as_of_ms = early;
    p.n_entries = 2;
    p.entries = entries;
    capture_t c;
    capture_start(&c);
    cchc_render_province(c.f, &p);
    char *out = capture_end(&c);
    assert_non_null(strstr(out, "Xếp hạng CCHC các phường — Tỉnh Kiểm Thử (tính đến 01/03/2026 09:00)\n"));
    assert_non_null(strstr(out, "Số liệu Phường Lê Thanh Nghị tính đến 05/03/2026 17:30.\n"));
    assert_null(strstr(out, "Số liệu Phường Tân Hưng")); //  at the heading's time
    free(out);
    capture_start(&c);
    cchc_render_province_json(c.f, &p);
    out = capture_end(&c);
    char field[64];
    snprintf(field, sizeof(field), "\"as_of_ms\":%lld}", (long long)late);
    assert_non_null(strstr(out, field));
    snprintf(field, sizeof(field), "\"as_of_ms\":%lld}]", (long long)early);
    assert_non_null(strstr(out, field));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display_width), cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_parsing),       cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_labels),        cmocka_unit_test(test_ranking_table),
        cmocka_unit_test(test_ranking_json),  cmocka_unit_test(test_explanation),
        cmocka_unit_test(test_alerts),        cmocka_unit_test(test_small_replies),
        cmocka_unit_test(test_province),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
