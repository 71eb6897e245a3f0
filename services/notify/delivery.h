/*  delivery.h - per-channel delivery state, routing and retry policy (pure
    logic: no I/O, no clock, randomness passed in).

    Channels are named in the `channels` setting as comma-separated groups;
    a group is one channel or a fallback chain joined by '>' ("console,file,
    zalo>email"). Every group must carry an alert. Within a group the first
    channel that can reach the recipient (e-mail needs an address, Zalo a
    user id) is used; after fallback_after failed attempts in a row for an
    alert the next reachable one of the group is tried. A group with no
    reachable channel has nothing to do (the alert counts as delivered by
    it).

    Each (alert, channel) has a state: pending, sent (never sent again on
    that channel) or failed (given up in favour of the next channel of its
    group). A failed attempt sets the channel's next attempt after an
    exponential backoff with jitter; when a channel with no fallback left
    reaches max_attempts, the alert is dead-lettered.

    Digests (setting digest_window_min): the day, in Asia/Ho_Chi_Minh, is
    cut into windows of that many minutes; the alerts for one person
    decided (log time) in one window go out on the person's channels
    (e-mail, Zalo) as ONE message. The alerts stay rows of their own, each
    with its key and its delivery state; the digest is only how they
    travel. Its token is derived from its members' keys, so the same
    members always give the same token (a redelivery after a crash carries
    it again) and different members a different one.
*/
#ifndef CCHC_NOTIFY_DELIVERY_H
#define CCHC_NOTIFY_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts.h"

typedef enum {
    CCHC_CH_CONSOLE = 0,
    CCHC_CH_FILE,
    CCHC_CH_EMAIL,
    CCHC_CH_WEBHOOK,
    CCHC_CH_ZALO,
    CCHC_CH_COUNT
} cchc_channel_t;

#define CCHC_CH_BIT(ch) (1u << (unsigned)(ch))

//  "console", "file", "email", "webhook", "zalo".
const char *cchc_channel_name(cchc_channel_t ch);

//  The channel named by the len bytes at name, or -1.
int cchc_channel_parse(const char *name, size_t len);

typedef struct {
    cchc_channel_t ch[CCHC_CH_COUNT]; //  in fallback order
    int n;
} cchc_channel_group_t;

typedef struct {
    cchc_channel_group_t groups[CCHC_CH_COUNT];
    int ngroups;
    unsigned enabled; //  CCHC_CH_BIT of every channel named
} cchc_route_t;

//  Parse "console,file,zalo>email" ("" enables none). Each channel at most
//  once. Returns 0, or -1 (self then routes nothing).
int cchc_route_parse(cchc_route_t *self, const char *list);

typedef struct {
    int64_t initial_ms; //  delay after the first failure
    int64_t max_ms;     //  no delay longer than this
    double factor;      //  growth per failure (>= 1)
    int max_attempts;   //  failed attempts on a channel with no fallback left before dead-lettering
    int fallback_after; //  failed attempts in a row before the next channel of the group is tried
} cchc_retry_policy_t;

//  Delay before the next attempt after `failures` (>= 1) failed attempts in
//  a row: base = initial_ms * factor^(failures-1), capped at max_ms, then
//  "equal jitter": a value in [base/2, base] chosen by random. Never < 1.
int64_t cchc_backoff_ms(const cchc_retry_policy_t *policy, int failures, uint32_t random);

//  A small PRNG for the jitter (xorshift64*); *state must not be 0.
uint32_t cchc_jitter_random(uint64_t *state);

typedef enum { CCHC_DS_PENDING = 0, CCHC_DS_SENT, CCHC_DS_FAILED } cchc_delivery_status_t;

//  "pending", "sent", "failed" and back (-1 when unknown).
const char *cchc_delivery_status_name(cchc_delivery_status_t s);
int cchc_delivery_status_parse(const char *name);

typedef struct {
    cchc_delivery_status_t status;
    int attempts;            //  failed attempts (a success adds one too)
    int64_t next_attempt_ms; //  not before (wall clock); 0: at once
} cchc_channel_state_t;

//  An alert's state on every channel (zeroed: nothing tried yet).
typedef struct {
    cchc_channel_state_t ch[CCHC_CH_COUNT];
} cchc_delivery_state_t;

//  The channels to try for an alert now (a mask of CCHC_CH_BIT): in each
//  group not yet delivered, its current channel (first reachable, not
//  failed), if its next attempt is due. reachable: a mask of the channels
//  that can reach the recipient.
unsigned cchc_delivery_plan(const cchc_route_t *route, const cchc_delivery_state_t *state, unsigned reachable,
                            int64_t now_ms);

typedef enum { CCHC_OUTCOME_PENDING = 0, CCHC_OUTCOME_SENT, CCHC_OUTCOME_DEAD } cchc_outcome_t;

//  Fold a round's result into state: the channels of `tried` were tried and
//  those of `ok` took the alert. Failures get a backoff (random from
//  *rng), fall back within their group or, past max_attempts with no
//  fallback, make the alert dead. Returns the alert's outcome; for pending,
//  *next_attempt_ms is the earliest next attempt of its channels.
cchc_outcome_t cchc_delivery_record(const cchc_route_t *route, const cchc_retry_policy_t *policy,
                                    cchc_delivery_state_t *state, unsigned reachable, unsigned tried,
                                    unsigned ok, int64_t now_ms, uint64_t *rng, int64_t *next_attempt_ms);

// ---------------------------------------------------------------------------
//  Digests

//  Longest window: one day (windows never straddle a local midnight).
#define CCHC_DIGEST_WINDOW_MAX_MIN 1440

//  Is minutes a usable digest_window_min: 0 (off), or 1..1440 dividing the
//  day (1440 % minutes == 0), so that every day has the same windows?
bool cchc_digest_window_ok(long minutes);

//  Start (ms) of the window of window_ms holding the instant ms; windows are
//  aligned on local midnight (Asia/Ho_Chi_Minh).
int64_t cchc_digest_window_start(int64_t ms, int64_t window_ms);

//  Do a and b travel in one digest: same ward, same person, decided in the
//  same window?
bool cchc_digest_same(const cchc_alert_t *a, const cchc_alert_t *b, int64_t window_ms);

//  The digest's dedupe token, "digest/WARD/PERSON/yyyymmddHHMM/<16 hex>":
//  the window's local start and a 64-bit FNV-1a hash of the members' keys
//  in the given order (the outbox's id order). Written into buf,
//  truncated to size; returns the length needed (snprintf).
int cchc_digest_token(char *buf, size_t size, const cchc_alert_t *const *members, size_t n,
                      int64_t window_ms);

//  "từ 09:00 đến 10:00 ngày 01/03/2026", or "ngày 01/03/2026" for a window
//  of a whole day, into buf. Returns buf.
char *cchc_digest_window_vi(char *buf, size_t size, int64_t start_ms, int64_t window_ms);

//  How many alerts of each kind, "Nhắc hạn: 2; Tụt xếp loại: 1", into buf
//  (every kind of the wire contract, in its order). Returns buf.
char *cchc_digest_kinds_vi(char *buf, size_t size, const cchc_alert_t *const *members, size_t n);

//  The digest in Vietnamese: a heading naming the window and how many
//  items of each kind, then every item numbered with its kind, its full
//  text, task, unit, due date and token. "\n" line ends; caller frees.
char *cchc_digest_text(const cchc_alert_t *const *members, size_t n, int64_t window_ms);

#endif
