/*  render.h - text for people (Vietnamese tables) and for machines (JSON).

    --json output is stable: one JSON object per command, keys in English
    snake_case, scores as numbers with two decimals, dates dd/mm/yyyy.
*/
#ifndef CCHC_CLI_RENDER_H
#define CCHC_CLI_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "envelope.pb-c.h"
#include "labels.h"

//  Columns a UTF-8 string takes on a terminal: one per code point, none for
//  combining marks (U+0300..U+036F).
size_t cchc_display_width(const char *s);

//  Print s padded with spaces to width columns (left-aligned; right-aligned
//  when right is non-zero). Longer strings are printed whole.
void cchc_print_padded(FILE *f, const char *s, size_t width, int right);

//  "87,50": centi-points with a comma, as Vietnamese write decimals.
char *cchc_format_score(int32_t centi, char *buf, size_t size);

//  "87,5%": a ppm value as a percentage with one decimal.
char *cchc_format_pct(int64_t ppm, char *buf, size_t size);

//  Print s as a JSON string (quotes, backslashes and controls escaped).
void cchc_json_string(FILE *f, const char *s);

//  Parse a decimal ("1.5", "1,5", "87.25") into an integer scaled by scale
//  (1000 -> milli, 100 -> centi), exactly. Returns 0 or -1.
int cli_parse_fixed(const char *text, int64_t scale, int64_t *out);

#endif
