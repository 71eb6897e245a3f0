/*  csv.c - see csv.h. Records are parsed character by character (RFC 4180)
    so that quoted fields may hold commas, doubled quotes and line breaks;
    anything RFC 4180 does not allow (a quote inside an unquoted field, text
    after a closing quote, bytes that are not UTF-8) is an error naming the
    file, line and column, because a silently misread plan file would score
    the wrong tasks. */
#include "csv.h"

#include <assert.h>
#include <errno.h>
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

//  "path:line, cột 3 (due_date)": where field col (0-based) of the record
//  being read sits, for error messages.
static void where(const cchc_csv_t *self, int line, size_t col, char *buf, size_t size)
{
    if (col < self->ncols)
        snprintf(buf, size, "%s:%d, cột %zu (%s)", self->path, line, col + 1, self->header[col]);
    else
        snprintf(buf, size, "%s:%d, cột %zu", self->path, line, col + 1);
}

//  Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid
//  (overlong forms, surrogates and code points past U+10FFFF included).
static size_t utf8_sequence(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len)
        return 0;
    unsigned cp = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

//  Read one record into out. Returns 1, 0 at EOF, -1 on error (err set).
static int read_record(cchc_csv_t *self, char **out, size_t *nout, char *err, size_t err_size)
{
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    char at[512];
    //  field: before its first character; quoted: inside quotes;
    //  after_quote: a quoted field's closing quote was read
    bool quoted = false, field_started = false, after_quote = false, any = false;
    int c;
    *nout = 0;
    self->record_line = self->line;
    if (!buf)
        abort();
    for (;;) {
        c = fgetc(self->file);
        if (c == EOF) {
            if (quoted) {
                where(self, self->record_line, *nout, at, sizeof(at));
                snprintf(err, err_size, "%s: thiếu dấu ngoặc kép đóng (unterminated quoted field)", at);
                goto fail;
            }
            if (!any) {
                free(buf);
                return 0;
            }
            c = '\n'; //  the last record without a final line break
        }
        any = true;
        if (c == 0) {
            where(self, self->record_line, *nout, at, sizeof(at));
            snprintf(err, err_size, "%s: ký tự NUL (NUL byte)", at);
            goto fail;
        }
        if (quoted) {
            if (c == '"') {
                int next = fgetc(self->file);
                if (next != '"') { //  "" is a quote; a lone " closes the field
                    quoted = false;
                    after_quote = true;
                    if (next != EOF)
                        ungetc(next, self->file);
                    continue;
                }
            } else if (c == '\n') {
                self->line++;
            }
        } else if (c == ',' || c == '\n' || c == '\r') {
            if (c == '\r') {
                int next = fgetc(self->file);
                if (next != '\n' && next != EOF)
                    ungetc(next, self->file);
                c = '\n';
            }
            if (*nout == MAX_FIELDS) {
                snprintf(err, err_size, "%s:%d: quá %d cột (more than %d fields)", self->path,
                         self->record_line, MAX_FIELDS, MAX_FIELDS);
                goto fail;
            }
            buf[len] = 0;
            for (size_t i = 0; i < len;) {
                size_t n = utf8_sequence((const unsigned char *)buf + i);
                if (!n) {
                    where(self, self->record_line, *nout, at, sizeof(at));
                    snprintf(
                        err, err_size,
                        "%s: không phải văn bản UTF-8 hợp lệ, hãy lưu tệp dạng CSV UTF-8 (invalid UTF-8)",
                        at);
                    goto fail;
                }
                i += n;
            }
            out[(*nout)++] = strdup(buf);
            len = 0;
            field_started = after_quote = false;
            if (c == '\n') {
                self->line++;
                free(buf);
                return 1;
            }
            continue;
        } else if (after_quote || (c == '"' && field_started)) {
            where(self, self->record_line, *nout, at, sizeof(at));
            snprintf(err, err_size,
                     after_quote
                         ? "%s: ký tự sau dấu ngoặc kép đóng, trước dấu phẩy (text after a closing quote)"
                         : "%s: dấu ngoặc kép giữa trường không đặt trong ngoặc kép (quote inside an "
                           "unquoted field)",
                     at);
            goto fail;
        } else if (c == '"') {
            quoted = field_started = true;
            continue;
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
        snprintf(err, err_size, "%s: không mở được tệp (cannot open: %s)", path, strerror(errno));
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
            snprintf(err, err_size, "%s: tệp rỗng, không có dòng tiêu đề (empty file, no header row)", path);
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
            snprintf(err, err_size,
                     "%s:%d: dòng có %zu cột, dòng tiêu đề có %zu (%zu fields, the header has %zu)",
                     self->path, self->record_line, self->nfields, self->ncols, self->nfields, self->ncols);
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
            snprintf(err, err_size, "%s:1: thiếu cột '%s' trong dòng tiêu đề (missing column '%s')",
                     self->path, columns[c], columns[c]);
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
