/*  csv.h - an RFC 4180 CSV reader for the plan files: UTF-8, a header row,
    quoted fields with embedded commas, quotes ("") and line breaks, LF or
    CRLF line ends. Errors name the file and line.
*/
#ifndef CCHC_CLI_CSV_H
#define CCHC_CLI_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct cchc_csv cchc_csv_t;

//  Open path and read its header. NULL with a message in err on failure.
cchc_csv_t *cchc_csv_open(const char *path, char *err, size_t err_size);
void cchc_csv_close(cchc_csv_t **self_p);

//  Read the next record. Returns 1 with the fields available through
//  cchc_csv_field, 0 at the end, -1 with a message in err.
int cchc_csv_next(cchc_csv_t *self, char *err, size_t err_size);

//  Value of the named column in the current record ("" when empty), or
//  NULL if the header has no such column.
const char *cchc_csv_field(const cchc_csv_t *self, const char *column);

//  Check that the header has every column of the NULL-terminated list;
//  returns 0 or -1 with err naming the first missing one.
int cchc_csv_require(const cchc_csv_t *self, const char *const *columns, char *err, size_t err_size);

//  Line where the current record starts, and the file name.
int cchc_csv_line(const cchc_csv_t *self);
const char *cchc_csv_path(const cchc_csv_t *self);

#endif
