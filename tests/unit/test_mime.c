/*  test_mime.c - the e-mail channel's message pieces: RFC 2047 encoded-words
    (length limits, UTF-8 characters never split, decoding gives the text
    back), the +0700 Date, the Message-ID derived from the token, the whole
    message, and an alert's subject and body in Vietnamese. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "email.h"
#include "mime.h"

// ---------------------------------------------------------------------------
//  A decoder written here from RFC 2047 and RFC 4648, independent of mime.c

static int b64_value(char c)
{
    const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(set, c) : NULL;
    return p ? (int)(p - set) : -1;
}

//  Decode base64 text of length n (a multiple of 4) into out; returns bytes.
static size_t b64_decode(const char *in, size_t n, unsigned char *out)
{
    assert_int_equal(n % 4, 0);
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = in[i + k] == '=' ? 0 : b64_value(in[i + k]);
        for (int k = 0; k < 4; k++)
            assert_true(v[k] >= 0);
        unsigned bits = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        out[len++] = (unsigned char)(bits >> 16);
        if (in[i + 2] != '=')
            out[len++] = (unsigned char)(bits >> 8);
        if (in[i + 3] != '=')
            out[len++] = (unsigned char)bits;
    }
    return len;
}

//  True if buf[0..n) is complete, well-formed UTF-8.
static bool utf8_complete(const unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t len = buf[i] < 0x80 ? 1 : (buf[i] & 0xE0) == 0xC0 ? 2 : (buf[i] & 0xF0) == 0xE0 ? 3 : 4;
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if ((buf[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

//  Check the encoded header value (as after "Name: " of `used` characters)
//  and decode it into out. Each word <= 75, each line <= 76, each word's
//  bytes whole UTF-8 characters. Returns the number of words.
static int words_decode(const char *encoded, size_t used, char *out, size_t out_size)
{
    size_t len = 0;
    int words = 0;
    const char *p = encoded;
    size_t line = used;
    while (*p) {
        if (words > 0) {
            assert_memory_equal(p, "\r\n ", 3); //  folded between words
            p += 3;
            line = 1;
        }
        assert_memory_equal(p, "=?UTF-8?B?", 10);
        const char *end = strstr(p + 10, "?=");
        assert_non_null(end);
        size_t word_len = (size_t)(end + 2 - p);
        assert_true(word_len <= 75);
        assert_true(line + word_len <= 76);
        unsigned char bytes[64];
        size_t n = b64_decode(p + 10, (size_t)(end - p - 10), bytes);
        assert_true(n > 0);
        assert_true(utf8_complete(bytes, n)); //  never a split character
        assert_true(len + n < out_size);
        memcpy(out + len, bytes, n);
        len += n;
        words++;
        p = end + 2;
    }
    out[len] = '\0';
    return words;
}

// ---------------------------------------------------------------------------
//  Encoded-words

static void check_round_trip(const char *text, size_t used, int min_words)
{
    char *enc = cchc_mime_encode_words(text, used);
    char back[4096];
    int words = words_decode(enc, used, back, sizeof(back));
    assert_string_equal(back, text);
    assert_true(words >= min_words);
    free(enc);
}

static void test_short_subject_is_one_word(void **state)
{
    (void)state;
    char *enc = cchc_mime_encode_words("Nhắc hạn", 9);
    assert_string_equal(enc, "=?UTF-8?B?Tmjhuq9jIGjhuqFu?=");
    free(enc);
    enc = cchc_mime_encode_words("", 9);
    assert_string_equal(enc, "");
    free(enc);
    check_round_trip("Quá hạn", 9, 1);
}

static void test_long_vietnamese_subject_is_split_on_characters(void **state)
{
    (void)state;
    const char *subject =
        "[CCHC] Nhắc hạn: nhiệm vụ T3 «Rà soát, đơn giản hóa thủ tục hành chính lĩnh vực đất đai» "
        "(Phòng Kinh tế, Hạ tầng và Đô thị) đến hạn ngày 31/01/2026, còn 7 ngày";
    check_round_trip(subject, 9, 4);
    //  every offset of a multi-byte character against the word boundary:
    //  prefixes of growing length shift the characters through it
    char text[512];
    const char *tail = "ữữữữữữữữữữữữữữữữữữữữữữữữữữữữữữữữữữữ𝔘𝔘𝔘ệệệệệệệệệệệệệệệệệệệệệệệệệệệệệệ";
    for (int shift = 0; shift < 8; shift++) {
        snprintf(text, sizeof(text), "%.*s%s", shift, "abcdefgh", tail);
        for (size_t used = 0; used <= 48; used += 8)
            check_round_trip(text, used, 2);
    }
}

static void test_plain_and_odd_text(void **state)
{
    (void)state;
    check_round_trip("a", 9, 1);
    //  exactly a full word of ASCII (45 bytes after the first)
    check_round_trip("0123456789012345678901234567890123456789012345678901234567890123456789012345678901234",
                     9, 2);
    check_round_trip("Dấu =?UTF-8?B?...?= và \"ngoặc kép\" giữ nguyên", 9, 1);
    //  a stray byte (not UTF-8) is carried as it is, not dropped or merged
    char *enc = cchc_mime_encode_words("a\xC3", 9);
    assert_string_equal(enc, "=?UTF-8?B?YcM=?=");
    free(enc);
}

// ---------------------------------------------------------------------------
//  Date, Message-ID, addresses

static void test_date_is_rfc5322_in_plus_0700(void **state)
{
    (void)state;
    char buf[40];
    //  2026-11-25T09:22:46Z = 16:22:46 in Hà Nội, a Wednesday
    assert_string_equal(cchc_mime_date(1795598566000LL, buf, sizeof(buf)), "Wed, 25 Nov 2026 16:22:46 +0700");
    //  17:30 UTC on 31/12/2025 is already 01/01/2026 locally (a Thursday)
    assert_string_equal(cchc_mime_date(1767202200000LL, buf, sizeof(buf)), "Thu, 01 Jan 2026 00:30:00 +0700");
    assert_string_equal(cchc_mime_date(0, buf, sizeof(buf)), "Thu, 01 Jan 1970 07:00:00 +0700");
    //  29/02/2028, leap day
    assert_string_equal(cchc_mime_date(1835409600000LL, buf, sizeof(buf)), "Tue, 29 Feb 2028 11:00:00 +0700");
}

static void test_message_id_from_token(void **state)
{
    (void)state;
    char *a = cchc_mime_message_id("T1/T3/KT_TP/0/7", "test.example.vn");
    assert_string_equal(a, "<cchc.T1.T3.KT_TP.0.7@test.example.vn>");
    char *b = cchc_mime_message_id("T1/T3/KT_TP/0/7", "test.example.vn");
    assert_string_equal(a, b); //  stable: a redelivery has the same id
    free(b);
    b = cchc_mime_message_id("T1/T3/KT_TP/0/3", "test.example.vn");
    assert_string_not_equal(a, b);
    free(b);
    free(a);
    //  anything outside a dot-atom is escaped, so distinct tokens stay distinct
    a = cchc_mime_message_id("P.1/Tạ/x y//1", NULL);
    assert_string_equal(a, "<cchc.P=2E1.T=E1=BA=A1.x=20y=2F.1@cchc.invalid>");
    free(a);
    a = cchc_mime_message_id("W/T/P/1/0", "bad domain");
    assert_string_equal(a, "<cchc.W.T.P.1.0@cchc.invalid>");
    free(a);
}

static void test_address_check(void **state)
{
    (void)state;
    assert_true(cchc_mime_address_ok("ct@lethanhnghi.example.vn"));
    assert_false(cchc_mime_address_ok(""));
    assert_false(cchc_mime_address_ok(NULL));
    assert_false(cchc_mime_address_ok("no-at.example.vn"));
    assert_false(cchc_mime_address_ok("@example.vn"));
    assert_false(cchc_mime_address_ok("a@"));
    assert_false(cchc_mime_address_ok("a@b@c"));
    assert_false(cchc_mime_address_ok("a b@example.vn"));
    assert_false(cchc_mime_address_ok("a@example.vn\r\nBcc: x@y"));
    assert_false(cchc_mime_address_ok("<a@example.vn>"));
    assert_false(cchc_mime_address_ok("hùng@example.vn"));
}

// ---------------------------------------------------------------------------
//  The whole message

//  The header named name (with its folded lines joined), or fail.
static void header_value(const char *msg, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    const char *p = msg;
    while (strncmp(p, "\r\n", 2) != 0) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        if (strncmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 2;
            const char *end = eol;
            while (end[2] == ' ') //  continuation lines
                end = strstr(end + 2, "\r\n");
            assert_true((size_t)(end - v) < size);
            memcpy(out, v, (size_t)(end - v));
            out[end - v] = '\0';
            return;
        }
        p = eol + 2;
    }
    fail_msg("no header %s", name);
}

static void test_compose(void **state)
{
    (void)state;
    const char *body = "Kính gửi đồng chí Nguyễn Hữu Phúc,\n\nNhiệm vụ T3 đã quá hạn 19 ngày.\n";
    cchc_mail_t mail = {.from_name = "Hệ thống theo dõi CCHC",
                        .from_addr = "cchc@test.example.vn",
                        .to_name = "Nguyễn Hữu Phúc",
                        .to_addr = "ct@test.example.vn",
                        .subject = "[CCHC] Báo cáo Chủ tịch UBND phường: nhiệm vụ T4 đã quá hạn 19 ngày",
                        .body = body,
                        .message_id = "<cchc.T1.T4.CT.2.2@test.example.vn>",
                        .date_ms = 1795598566000LL,
                        .token = "T1/T4/CT/2/2"};
    size_t len = 0;
    char *msg = cchc_mime_compose(&mail, &len);
    assert_non_null(msg);
    assert_int_equal(len, strlen(msg));
    //  every line ends in CRLF and is within 78 characters
    for (const char *p = msg; *p;) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        assert_true(eol - p <= 78);
        assert_null(memchr(p, '\n', (size_t)(eol - p)));
        p = eol + 2;
    }
    char v[1024], text[1024];
    header_value(msg, "Date", v, sizeof(v));
    assert_string_equal(v, "Wed, 25 Nov 2026 16:22:46 +0700");
    header_value(msg, "Message-ID", v, sizeof(v));
    assert_string_equal(v, "<cchc.T1.T4.CT.2.2@test.example.vn>");
    header_value(msg, "X-CCHC-Token", v, sizeof(v));
    assert_string_equal(v, "T1/T4/CT/2/2");
    header_value(msg, "Content-Type", v, sizeof(v));
    assert_string_equal(v, "text/plain; charset=UTF-8");
    header_value(msg, "Content-Transfer-Encoding", v, sizeof(v));
    assert_string_equal(v, "base64");
    header_value(msg, "MIME-Version", v, sizeof(v));
    assert_string_equal(v, "1.0");
    const char *subject = strstr(msg, "\r\nSubject: ") + 11;
    char *subject_end = strstr(subject, "\r\nMessage-ID:");
    *subject_end = '\0';
    words_decode(subject, 9, text, sizeof(text));
    assert_string_equal(text, mail.subject);
    *subject_end = '\r';
    header_value(msg, "To", v, sizeof(v));
    char *angle = strstr(v, "\r\n <ct@test.example.vn>");
    assert_non_null(angle);
    *angle = '\0';
    words_decode(v, 4, text, sizeof(text));
    assert_string_equal(text, "Nguyễn Hữu Phúc");

    //  the body: base64 lines of at most 76 giving the text with CRLF ends
    const char *b = strstr(msg, "\r\n\r\n") + 4;
    unsigned char decoded[1024];
    size_t n = 0;
    for (const char *eol; *b; b = eol + 2) {
        eol = strstr(b, "\r\n");
        assert_true(eol - b <= 76);
        n += b64_decode(b, (size_t)(eol - b), decoded + n);
    }
    decoded[n] = '\0';
    assert_string_equal((char *)decoded,
                        "Kính gửi đồng chí Nguyễn Hữu Phúc,\r\n\r\nNhiệm vụ T3 đã quá hạn 19 ngày.\r\n");
    free(msg);

    //  an address that could inject a header is refused
    mail.to_addr = "ct@test.example.vn\r\nBcc: x@example.vn";
    assert_null(cchc_mime_compose(&mail, &len));
}

// ---------------------------------------------------------------------------
//  An alert's subject and body

static void test_alert_subject_and_body(void **state)
{
    (void)state;
    cchc_alert_t a = {
        .id = 7,
        .ward = "T1",
        .task = "T3",
        .unit = "KT",
        .person = "KT_TP",
        .person_name = "Vũ Đức Thắng",
        .kind = CCHC__ALERT_KIND__ALERT_OVERDUE,
        .level = 0,
        .due_date = 20260131,
        .days_overdue = 4,
        .decided_ms = 1770256800000LL, //  05/02/2026 09:00 local
        .text = "Quá hạn: nhiệm vụ T3 «Rà soát TTHC. Đợt 1» (Phòng Kinh tế, Hạ tầng và Đô thị) đã quá hạn 4 "
                "ngày (hạn 31/01/2026), chưa hoàn thành. Người đứng đầu đơn vị chịu trách nhiệm.",
        .key = "T1/T3/KT_TP/1/0",
    };
    char *subject = cchc_email_subject(&a);
    assert_string_equal(subject, "[CCHC] Quá hạn: nhiệm vụ T3 «Rà soát TTHC. Đợt 1» (Phòng Kinh tế, Hạ tầng "
                                 "và Đô thị) đã quá hạn 4 ngày (hạn 31/01/2026), chưa hoàn thành");
    free(subject);
    char *body = cchc_email_body(&a);
    assert_non_null(strstr(body, "Kính gửi đồng chí Vũ Đức Thắng,\n\nQuá hạn: nhiệm vụ T3"));
    assert_non_null(strstr(body, "\nHạn: 31/01/2026\n"));
    assert_non_null(strstr(body, "\nSố ngày quá hạn: 4\n"));
    assert_non_null(strstr(body, "\nThời điểm ghi nhận: 05/02/2026 09:00\n"));
    assert_non_null(strstr(body, "\nMã thông báo: T1/T3/KT_TP/1/0\n"));
    free(body);

    //  a very long first sentence is cut at a character, with an ellipsis
    char text[1024] = "Nhắc hạn: "; //  then 300 bytes of 3-byte characters
    for (int i = 0; i < 100; i++)
        strcat(text, "ữ");
    a.text = text;
    subject = cchc_email_subject(&a);
    assert_true(strlen(subject) <= 7 + 200 + 3);
    assert_true(utf8_complete((const unsigned char *)subject, strlen(subject)));
    assert_string_equal(subject + strlen(subject) - 3, "…");
    free(subject);
}

//  A rank drop is about a unit: the subject and body name it, with no task
//  and no due date.
static void test_unit_alert_subject_and_body(void **state)
{
    (void)state;
    cchc_alert_t a = {
        .id = 8,
        .ward = "T1",
        .task = "",
        .unit = "KT",
        .person = "H_KT",
        .person_name = "Đỗ Quang Khải",
        .kind = CCHC__ALERT_KIND__ALERT_RANK_DROP,
        .level = 16,
        .decided_ms = 1773972000000LL, //  20/03/2026 09:00 local
        .text = "",
        .key = "T1//H_KT/5/16",
    };
    char *subject = cchc_email_subject(&a);
    assert_string_equal(subject, "[CCHC] Tụt hạng: đơn vị KT");
    free(subject);
    a.text = "Tụt hạng: Phòng Kinh tế, Hạ tầng và Đô thị giảm từ hạng 1 xuống hạng 2.";
    char *body = cchc_email_body(&a);
    assert_non_null(
        strstr(body, "\nLoại thông báo: Tụt hạng\nĐơn vị: KT\nThời điểm ghi nhận: 20/03/2026 09:00\n"));
    assert_null(strstr(body, "Nhiệm vụ:"));
    assert_null(strstr(body, "Hạn:"));
    assert_non_null(strstr(body, "\nMã thông báo: T1//H_KT/5/16\n"));
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_subject_is_one_word),
        cmocka_unit_test(test_long_vietnamese_subject_is_split_on_characters),
        cmocka_unit_test(test_plain_and_odd_text),
        cmocka_unit_test(test_date_is_rfc5322_in_plus_0700),
        cmocka_unit_test(test_message_id_from_token),
        cmocka_unit_test(test_address_check),
        cmocka_unit_test(test_compose),
        cmocka_unit_test(test_alert_subject_and_body),
        cmocka_unit_test(test_unit_alert_subject_and_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
