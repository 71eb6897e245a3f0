/*  rules_file.h - the scoring rules as a rules file (INI, read with libinih).

    Every number of cchc_rules_t is a key of a section; a file sets any of
    them, the rest keep the built-in defaults (cchc_rules_default). Values
    are plain decimal numbers in the unit of the key: points out of 100
    (at most 2 decimals), percent (at most 4 decimals), weights (at most 3
    decimals) or a count of tasks (whole). The whole file is refused, with
    the line at fault, for an unknown section or key, a key set twice, a
    value that is not such a number or out of range, thresholds out of
    order, or an INI syntax error. deploy/config/rules.ini is the commented
    reference; docs/SCORING.md explains each setting.
*/
#ifndef CCHC_SCORING_RULES_FILE_H
#define CCHC_SCORING_RULES_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rules.h"

//  Read the rules file at path: the defaults, then every key of the file,
//  then the checks of cchc_rules_check. Returns 0 with *rules written, or
//  -1 with *rules untouched and err set to "path:line: what is wrong"
//  (English; "path: ..." when the file cannot be read at all).
int cchc_rules_load(const char *path, cchc_rules_t *rules, char *err, size_t err_size);

//  Check a rule set: every value in its range, tiers and PAR groups in
//  strictly descending order, some component weight, the xuất sắc on-time
//  floor not below tốt's. Returns 0, or -1 with err naming the setting.
int cchc_rules_check(const cchc_rules_t *rules, char *err, size_t err_size);

//  Write rules to out as a rules file that cchc_rules_load reads back to
//  the same rules (every section and key, no comments).
void cchc_rules_write(const cchc_rules_t *rules, FILE *out);

//  Whether a and b are the same rules (every setting equal).
bool cchc_rules_equal(const cchc_rules_t *a, const cchc_rules_t *b);

#endif
