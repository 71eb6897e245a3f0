/*  render.c - see render.h. */
#include "render.h"

#include <stdbool.h>
#include <string.h>

size_t cchc_display_width(const char *s)
{
    size_t width = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        int len;
        if (*p < 0x80) {
            cp = *p;
            len = 1;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            len = 2;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            len = 3;
        } else {
            cp = *p & 0x07;
            len = 4;
        }
        for (int i = 1; i < len && p[i]; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        for (int i = 0; i < len && *p; i++)
            p++;
        if (!(cp >= 0x300 && cp <= 0x36F))
            width++;
    }
    return width;
}

void cchc_print_padded(FILE *f, const char *s, size_t width, int right)
{
    size_t w = cchc_display_width(s);
    size_t pad = w < width ? width - w : 0;
    if (right)
        fprintf(f, "%*s%s", (int)pad, "", s);
    else
        fprintf(f, "%s%*s", s, (int)pad, "");
}

char *cchc_format_score(int32_t centi, char *buf, size_t size)
{
    snprintf(buf, size, "%s%d,%02d", centi < 0 ? "-" : "", (centi < 0 ? -centi : centi) / 100,
             (centi < 0 ? -centi : centi) % 100);
    return buf;
}

char *cchc_format_pct(int64_t ppm, char *buf, size_t size)
{
    int64_t tenths = ppm / 1000; //  ppm -> 0.1 %
    snprintf(buf, size, "%lld,%lld%%", (long long)(tenths / 10), (long long)(tenths % 10));
    return buf;
}

void cchc_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

int cli_parse_fixed(const char *text, int64_t scale, int64_t *out)
{
    const char *p = text;
    int64_t whole = 0, frac = 0, frac_scale = 1;
    bool neg = *p == '-', digits = false;
    if (neg)
        p++;
    for (; *p >= '0' && *p <= '9'; p++, digits = true)
        whole = whole * 10 + (*p - '0');
    if (*p == '.' || *p == ',') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, digits = true) {
            if (frac_scale < scale) {
                frac = frac * 10 + (*p - '0');
                frac_scale *= 10;
            } else if (*p != '0') {
                return -1; //  more precision than the scale holds
            }
        }
    }
    if (!digits || *p || whole > INT64_MAX / scale / 2)
        return -1;
    *out = (whole * scale + frac * (scale / frac_scale)) * (neg ? -1 : 1);
    return 0;
}
