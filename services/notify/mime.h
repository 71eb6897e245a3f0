/*  mime.h - the pieces of an Internet message that notify's e-mail channel
    writes (pure functions, no I/O).

    RFC 2047 encoded-words for UTF-8 header text (Vietnamese subjects and
    names), the RFC 5322 Date in Asia/Ho_Chi_Minh (+0700), a Message-ID
    derived from a dedupe token (the same token always gives the same id, so
    a redelivery after a crash carries the same Message-ID), and a whole
    text/plain; charset=UTF-8 message with a base64 body, lines ending in
    CRLF.
*/
#ifndef CCHC_NOTIFY_MIME_H
#define CCHC_NOTIFY_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The longest encoded-word RFC 2047 allows.
#define CCHC_MIME_WORD_MAX 75
//  The longest header line holding encoded-words RFC 2047 allows.
#define CCHC_MIME_LINE_MAX 76

//  Encode UTF-8 text as "=?UTF-8?B?...?=" encoded-words, each at most
//  CCHC_MIME_WORD_MAX characters and never splitting a UTF-8 character
//  (an invalid byte counts as a character of its own). Words are joined by
//  CRLF SP (folding), so each header line stays within CCHC_MIME_LINE_MAX
//  when the first line already holds `used` characters ("Subject: " = 9;
//  used must be at most 48). Empty text gives "". Caller owns the result
//  (free); aborts on out-of-memory.
char *cchc_mime_encode_words(const char *text, size_t used);

//  "Wed, 25 Nov 2026 16:22:46 +0700": the instant ms in Asia/Ho_Chi_Minh
//  (UTC+7, no daylight saving), English names as RFC 5322 requires, into buf
//  (at least 32 bytes). Returns buf.
char *cchc_mime_date(int64_t ms, char *buf, size_t size);

//  "<cchc.TOKEN@DOMAIN>" with TOKEN made a dot-atom: '/' becomes '.', every
//  byte other than a letter, digit, '-' or '_' becomes "=XX" (hex), so
//  distinct tokens give distinct ids. DOMAIN is domain, or "cchc.invalid"
//  when domain is NULL or not a plain host name. Caller owns the result.
char *cchc_mime_message_id(const char *token, const char *domain);

//  True if addr is a plain "local@domain" address safe to put between
//  angle brackets: printable ASCII, no space, '<', '>', '"', ',' or ';', one
//  '@' with text on both sides.
bool cchc_mime_address_ok(const char *addr);

typedef struct {
    const char *from_name;  //  display name (UTF-8), may be NULL or ""
    const char *from_addr;  //  checked by cchc_mime_address_ok
    const char *to_name;    //  display name (UTF-8), may be NULL or ""
    const char *to_addr;    //  checked by cchc_mime_address_ok
    const char *subject;    //  UTF-8
    const char *body;       //  UTF-8; "\n" line ends become CRLF in the message
    const char *message_id; //  from cchc_mime_message_id
    int64_t date_ms;        //  the Date header's instant
    const char *token;      //  X-CCHC-Token header (printable ASCII), may be NULL
} cchc_mail_t;

//  The whole message: headers (Date, From, To, Subject, Message-ID,
//  MIME-Version, Content-Type: text/plain; charset=UTF-8,
//  Content-Transfer-Encoding: base64, X-CCHC-Token), a blank line and the
//  body in base64 lines of 76 characters. Returns a new NUL-terminated
//  string with its length in *len, or NULL when an address is not
//  acceptable. Caller owns the result.
char *cchc_mime_compose(const cchc_mail_t *mail, size_t *len);

#endif
