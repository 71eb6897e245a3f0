/*  csv.c - see csv.h. Records are parsed character by character so that
    quoted fields may hold commas, quotes and line breaks. */
#include "csv.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 64

struct cchc_csv {
    FILE *file;
    char *path;
    int line;        //  next line to read
    int record_line; //  first line of the current record
    char *header[MAX_FIELDS];
    size_t ncols;
    char *fields[MAX_FIELDS];
    size_t nfields;
};

static void fields_free(char **fields, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free(fields[i]);
    *n = 0;
}

//  Read one record into out. Returns 1, 0 at EOF, -1 on error.
static int read_record(cchc_csv_t *self, char **out, size_t *nout, char *err, size_t err_size)
{
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    bool quoted = false, field_started = false, any = false;
    int c;
    *nout = 0;
    self->record_line = self->line;
    if (!buf)
        abort();
    for (;;) {
        c = fgetc(self->file);
        if (c == EOF) {
            if (quoted) {
                snprintf(err, err_size, "%s:%d: unterminated quoted field", self->path, self->record_line);
                goto fail;
            }
            if (!any) {
                free(buf);
                return 0;
            }
            break;
        }
        any = true;
        if (quoted) {
            if (c == '"') {
                int next = fgetc(self->file);
                if (next == '"') {
                    c = '"';
                } else {
                    quoted = false;
                    if (next != EOF)
                        ungetc(next, self->file);
                    continue;
                }
            } else if (c == '\n') {
                self->line++;
            }
        } else if (c == '"' && !field_started) {
            quoted = field_started = true;
            continue;
        } else if (c == ',' || c == '\n' || c == '\r') {
            if (c == '\r') {
                int next = fgetc(self->file);
                if (next != '\n' && next != EOF)
                    ungetc(next, self->file);
                c = '\n';
            }
            if (*nout == MAX_FIELDS) {
                snprintf(err, err_size, "%s:%d: more than %d fields", self->path, self->record_line,
                         MAX_FIELDS);
                goto fail;
            }
            buf[len] = 0;
            out[(*nout)++] = strdup(buf);
            len = 0;
            field_started = false;
            if (c == '\n') {
                self->line++;
                free(buf);
                return 1;
            }
            continue;
        } else if (c == '"') {
            snprintf(err, err_size, "%s:%d: quote inside an unquoted field", self->path, self->record_line);
            goto fail;
        }
        field_started = true;
        if (len + 2 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        buf[len++] = (char)c;
    }
    //  last record without a final newline
    buf[len] = 0;
    out[(*nout)++] = strdup(buf);
    free(buf);
    return 1;
fail:
    free(buf);
    fields_free(out, nout);
    return -1;
}

cchc_csv_t *cchc_csv_open(const char *path, char *err, size_t err_size)
{
    cchc_csv_t *self = calloc(1, sizeof(*self));
    if (!self)
        abort();
    self->file = fopen(path, "r");
    self->path = strdup(path);
    self->line = 1;
    if (!self->file) {
        snprintf(err, err_size, "%s: cannot open", path);
        cchc_csv_close(&self);
        return NULL;
    }
    //  skip a UTF-8 byte order mark
    int c1 = fgetc(self->file);
    if (c1 == 0xEF) {
        if (fgetc(self->file) != 0xBB || fgetc(self->file) != 0xBF)
            rewind(self->file);
    } else if (c1 != EOF) {
        ungetc(c1, self->file);
    }
    int rc = read_record(self, self->header, &self->ncols, err, err_size);
    if (rc <= 0) {
        if (rc == 0)
            snprintf(err, err_size, "%s: empty file (no header row)", path);
        cchc_csv_close(&self);
        return NULL;
    }
    return self;
}

void cchc_csv_close(cchc_csv_t **self_p)
{
    assert(self_p);
    cchc_csv_t *self = *self_p;
    if (!self)
        return;
    if (self->file)
        fclose(self->file);
    fields_free(self->header, &self->ncols);
    fields_free(self->fields, &self->nfields);
    free(self->path);
    free(self);
    *self_p = NULL;
}

int cchc_csv_next(cchc_csv_t *self, char *err, size_t err_size)
{
    for (;;) {
        fields_free(self->fields, &self->nfields);
        int rc = read_record(self, self->fields, &self->nfields, err, err_size);
        if (rc <= 0)
            return rc;
        if (self->nfields == 1 && self->fields[0][0] == 0)
            continue; //  blank line
        if (self->nfields != self->ncols) {
            snprintf(err, err_size, "%s:%d: %zu fields, the header has %zu", self->path, self->record_line,
                     self->nfields, self->ncols);
            return -1;
        }
        return 1;
    }
}

const char *cchc_csv_field(const cchc_csv_t *self, const char *column)
{
    for (size_t i = 0; i < self->ncols; i++)
        if (strcmp(self->header[i], column) == 0)
            return i < self->nfields ? self->fields[i] : "";
    return NULL;
}

int cchc_csv_require(const cchc_csv_t *self, const char *const *columns, char *err, size_t err_size)
{
    for (size_t c = 0; columns[c]; c++) {
        bool found = false;
        for (size_t i = 0; i < self->ncols && !found; i++)
            found = strcmp(self->header[i], columns[c]) == 0;
        if (!found) {
            snprintf(err, err_size, "%s:1: missing column '%s'", self->path, columns[c]);
            return -1;
        }
    }
    return 0;
}

int cchc_csv_line(const cchc_csv_t *self)
{
    return self->record_line;
}

const char *cchc_csv_path(const cchc_csv_t *self)
{
    return self->path;
}
