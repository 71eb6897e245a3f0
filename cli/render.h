/*  render.h - what the cchc CLI shows: Vietnamese tables and sentences for
    people, and one JSON object per command for machines (the JSON shapes are
    documented at the top of render.c and kept stable), plus the text
    primitives they rest on (display width, decimal commas, JSON escaping)
    and the exact reading of decimals people type.

    Every function writes to the FILE it is given and allocates nothing that
    outlives the call; the messages it renders stay owned by the caller.
*/
#ifndef CCHC_CLI_RENDER_H
#define CCHC_CLI_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "envelope.pb-c.h"
#include "labels.h"

// ---------------------------------------------------------------------------
//  Text primitives

//  Columns a UTF-8 string takes on a terminal: one per code point, none for
//  combining marks (U+0300..U+036F). s must not be NULL.
size_t cchc_display_width(const char *s);

//  Print s padded with spaces to width columns (left-aligned; right-aligned
//  when right is true). Longer strings are printed whole.
void cchc_print_padded(FILE *f, const char *s, size_t width, bool right);

//  "87,50": centi-points with a comma, as Vietnamese write decimals. buf
//  should hold at least 16 bytes. Returns buf.
char *cchc_format_score(int32_t centi, char *buf, size_t size);

//  "3,75": milli-points rounded half away from zero to two decimals, with a
//  comma. Returns buf.
char *cchc_format_points(int64_t milli, char *buf, size_t size);

//  "87,5%": a ppm value (1,000,000 = 100 %) as a percentage with one decimal
//  (truncated). Returns buf.
char *cchc_format_pct(int64_t ppm, char *buf, size_t size);

//  Print s as a JSON string (quotes, backslashes and control characters
//  escaped; UTF-8 passed through). NULL prints "".
void cchc_json_string(FILE *f, const char *s);

// ---------------------------------------------------------------------------
//  Reading numbers people type

//  Parse a decimal ("1.5", "1,5", "87.25", "-2") into an integer scaled by
//  scale (a power of ten: 1000 -> milli, 100 -> centi) without floating
//  point. Fails (-1, *out untouched) on anything else, on more decimals than
//  the scale holds (trailing zeros excepted) and on overflow. Returns 0.
int cli_parse_fixed(const char *text, int64_t scale, int64_t *out);

//  Parse a whole decimal number in [min, max]. Returns 0, or -1 (*out
//  untouched) on an empty string, other characters, or a value out of range.
int cli_parse_int(const char *text, long min, long max, long *out);

// ---------------------------------------------------------------------------
//  Labels

//  An alert's level for people: "D−7" ... "D" for reminders, "quá N ngày"
//  for overdue alerts, "cấp 1" / "cấp 2" for escalations, "—" otherwise.
//  Returns buf.
char *cchc_alert_level_vi(const Cchc__Alert *alert, char *buf, size_t size);

//  "đã gửi" for "sent", "chờ gửi" for "pending", else the status itself.
const char *cchc_alert_status_vi(const char *status);

//  The plan year a ranking reports on: the local year of the last instant
//  it covers (as_of_ms - 1 ms, so a ranking as of 01/01/2027 00:00 is the
//  ranking of 2026). 0 when as_of_ms is not positive.
int cchc_ranking_year(int64_t as_of_ms);

// ---------------------------------------------------------------------------
//  Whole replies

//  The ward's ranking: a heading, a table (Hạng, Đơn vị, Điểm, Xếp loại,
//  Nhóm, Đúng hạn, Quá hạn, Chưa đạt) aligned by display width, and one
//  footnote per appraised unit and per unit whose head is accountable.
void cchc_render_ranking(FILE *f, const Cchc__Ranking *ranking);
void cchc_render_ranking_json(FILE *f, const Cchc__Ranking *ranking);

//  The province view: its wards ranked by the mean score of their rated
//  units, with the count of units per tier.
void cchc_render_province(FILE *f, const Cchc__ProvinceRanking *province);
void cchc_render_province_json(FILE *f, const Cchc__ProvinceRanking *province);

//  One unit's score explained: the entry, each area, each task, the gates.
void cchc_render_explanation(FILE *f, const Cchc__Explanation *explanation);
void cchc_render_explanation_json(FILE *f, const Cchc__Explanation *explanation);

//  Alerts as notify returns them (newest first).
void cchc_render_alerts(FILE *f, const Cchc__AlertList *alerts);
void cchc_render_alerts_json(FILE *f, const Cchc__AlertList *alerts);

//  Acknowledgements, silences and leaves in force (notify's AlertQuery.holds),
//  one Vietnamese line each with dd/mm/yyyy dates; or one JSON object
//  {"holds":[{"kind","task","unit","official","deputy","level","from","until","reason","since"}]}.
void cchc_render_holds(FILE *f, const Cchc__AlertList *list, bool json);

//  Intake's clock and head: "Thời gian của nhật ký: dd/mm/yyyy HH:MM ...".
void cchc_render_clock(FILE *f, int64_t now_ms, uint64_t head_seq, bool manual, bool json);

//  An accepted update: "Đã ghi nhận (seq N)." or {"seq":N}.
void cchc_render_recorded(FILE *f, uint64_t seq, bool json);

//  A finished import: "Đã nhập: 1 phường, 5 đơn vị, ..." or its JSON.
void cchc_render_imported(FILE *f, int wards, int units, int officials, int areas, int tasks, bool json);

#endif
