/*  csv.h - an RFC 4180 CSV reader for the plan files: UTF-8 (a byte order
    mark is skipped), a header row naming the columns, fields quoted or not,
    quoted fields holding commas, doubled quotes ("") and line breaks, LF or
    CRLF line ends, blank lines skipped. Errors are messages in Vietnamese
    (with English in parentheses) that name the file, the line and, where it
    applies, the column.
*/
#ifndef CCHC_CLI_CSV_H
#define CCHC_CLI_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct cchc_csv cchc_csv_t;

//  Open path and read its header row. Returns the reader, which the caller
//  owns and closes with cchc_csv_close, or NULL with a message in err (the
//  file cannot be opened, is empty, or its header is malformed).
cchc_csv_t *cchc_csv_open(const char *path, char *err, size_t err_size);

//  Close the file, free the reader and set *self_p to NULL. NULL *self_p is
//  a no-op.
void cchc_csv_close(cchc_csv_t **self_p);

//  Read the next record. Returns 1 with its fields available through
//  cchc_csv_field, 0 at the end of the file, or -1 with a message in err (a
//  quoting error, invalid UTF-8, or a record whose number of fields differs
//  from the header's). After -1 the reader should only be closed.
int cchc_csv_next(cchc_csv_t *self, char *err, size_t err_size);

//  The current record's value in the named column ("" when empty), or NULL
//  if the header has no such column. The string belongs to the reader and
//  stays valid until the next cchc_csv_next or cchc_csv_close.
const char *cchc_csv_field(const cchc_csv_t *self, const char *column);

//  Check that the header has every column of the NULL-terminated list;
//  returns 0, or -1 with err naming the first missing one.
int cchc_csv_require(const cchc_csv_t *self, const char *const *columns, char *err, size_t err_size);

//  The line (1-based, the header is line 1) where the current record
//  starts, and the path the reader was opened with (owned by the reader).
int cchc_csv_line(const cchc_csv_t *self);
const char *cchc_csv_path(const cchc_csv_t *self);

#endif
