/*  delivery.c - see delivery.h. */
#include "delivery.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "labels.h"

static const char *const channel_names[CCHC_CH_COUNT] = {"console", "file", "email", "webhook", "zalo"};

const char *cchc_channel_name(cchc_channel_t ch)
{
    return (unsigned)ch < CCHC_CH_COUNT ? channel_names[ch] : "unknown";
}

int cchc_channel_parse(const char *name, size_t len)
{
    for (int i = 0; i < CCHC_CH_COUNT; i++)
        if (strlen(channel_names[i]) == len && strncmp(name, channel_names[i], len) == 0)
            return i;
    return -1;
}

int cchc_route_parse(cchc_route_t *self, const char *list)
{
    memset(self, 0, sizeof(*self));
    cchc_route_t r = {0};
    const char *p = list ? list : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        cchc_channel_group_t *g = &r.groups[r.ngroups];
        for (const char *q = p; q < p + len;) {
            size_t n = strcspn(q, ">,");
            if (n > (size_t)(p + len - q))
                n = (size_t)(p + len - q);
            while (n > 0 && (*q == ' ' || *q == '\t'))
                q++, n--;
            size_t m = n;
            while (m > 0 && (q[m - 1] == ' ' || q[m - 1] == '\t'))
                m--;
            int ch = cchc_channel_parse(q, m);
            if (ch < 0 || (r.enabled & CCHC_CH_BIT(ch)))
                return -1;
            r.enabled |= CCHC_CH_BIT(ch);
            g->ch[g->n++] = (cchc_channel_t)ch;
            q += n;
            if (q < p + len && *q == '>') {
                q++;
                if (q == p + len)
                    return -1; //  "zalo>" names nothing to fall back to
            }
        }
        if (g->n > 0)
            r.ngroups++;
        else if (len > 0)
            return -1;
        p += len + (p[len] == ',');
    }
    *self = r;
    return 0;
}

int64_t cchc_backoff_ms(const cchc_retry_policy_t *policy, int failures, uint32_t random)
{
    assert(policy->initial_ms > 0 && policy->max_ms >= policy->initial_ms && policy->factor >= 1.0);
    double base = (double)policy->initial_ms;
    for (int i = 1; i < failures && base < (double)policy->max_ms; i++)
        base *= policy->factor;
    int64_t b = base >= (double)policy->max_ms ? policy->max_ms : (int64_t)base;
    int64_t half = b / 2;
    int64_t delay = half + (int64_t)(random % (uint64_t)(b - half + 1));
    return delay > 0 ? delay : 1;
}

uint32_t cchc_jitter_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (uint32_t)((x * 2685821657736338717ULL) >> 32);
}

static const char *const status_names[] = {"pending", "sent", "failed"};

const char *cchc_delivery_status_name(cchc_delivery_status_t s)
{
    return (unsigned)s < 3 ? status_names[s] : "pending";
}

int cchc_delivery_status_parse(const char *name)
{
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, status_names[i]))
            return i;
    return -1;
}

//  The group's current channel (first reachable, not given up), or -1;
//  -2 when a channel of the group took the alert; *gave_up says a reachable
//  channel was given up on.
static int group_current(const cchc_channel_group_t *g, const cchc_delivery_state_t *st, unsigned reachable,
                         bool *gave_up)
{
    *gave_up = false;
    for (int i = 0; i < g->n; i++)
        if (st->ch[g->ch[i]].status == CCHC_DS_SENT)
            return -2; //  delivered
    for (int i = 0; i < g->n; i++) {
        cchc_channel_t c = g->ch[i];
        if (!(reachable & CCHC_CH_BIT(c)))
            continue;
        if (st->ch[c].status == CCHC_DS_FAILED) {
            *gave_up = true;
            continue;
        }
        return (int)c;
    }
    return -1;
}

unsigned cchc_delivery_plan(const cchc_route_t *route, const cchc_delivery_state_t *state, unsigned reachable,
                            int64_t now_ms)
{
    unsigned plan = 0;
    for (int g = 0; g < route->ngroups; g++) {
        bool gave_up;
        int c = group_current(&route->groups[g], state, reachable, &gave_up);
        if (c >= 0 && state->ch[c].next_attempt_ms <= now_ms)
            plan |= CCHC_CH_BIT(c);
    }
    return plan;
}

//  Is there a reachable channel after position of c in its group, not given up?
static bool has_fallback(const cchc_route_t *route, const cchc_delivery_state_t *st, unsigned reachable,
                         cchc_channel_t c)
{
    for (int g = 0; g < route->ngroups; g++) {
        const cchc_channel_group_t *grp = &route->groups[g];
        bool after = false;
        for (int i = 0; i < grp->n; i++) {
            if (grp->ch[i] == c) {
                after = true;
                continue;
            }
            if (after && (reachable & CCHC_CH_BIT(grp->ch[i])) && st->ch[grp->ch[i]].status != CCHC_DS_FAILED)
                return true;
        }
    }
    return false;
}

cchc_outcome_t cchc_delivery_record(const cchc_route_t *route, const cchc_retry_policy_t *policy,
                                    cchc_delivery_state_t *state, unsigned reachable, unsigned tried,
                                    unsigned ok, int64_t now_ms, uint64_t *rng, int64_t *next_attempt_ms)
{
    bool dead = false;
    for (int c = 0; c < CCHC_CH_COUNT; c++) {
        if (!(tried & CCHC_CH_BIT(c)))
            continue;
        cchc_channel_state_t *s = &state->ch[c];
        s->attempts++;
        if (ok & CCHC_CH_BIT(c)) {
            s->status = CCHC_DS_SENT;
            s->next_attempt_ms = 0;
        } else if (s->attempts >= policy->fallback_after && has_fallback(route, state, reachable, c)) {
            s->status = CCHC_DS_FAILED; //  the next channel of the group is tried at once
            s->next_attempt_ms = 0;
        } else if (s->attempts >= policy->max_attempts) {
            dead = true;
            s->next_attempt_ms = 0;
        } else {
            s->next_attempt_ms = now_ms + cchc_backoff_ms(policy, s->attempts, cchc_jitter_random(rng));
        }
    }
    *next_attempt_ms = 0;
    if (dead)
        return CCHC_OUTCOME_DEAD;
    bool pending = false;
    int64_t next = INT64_MAX;
    for (int g = 0; g < route->ngroups; g++) {
        bool gave_up;
        int c = group_current(&route->groups[g], state, reachable, &gave_up);
        if (c == -1 && gave_up)
            return CCHC_OUTCOME_DEAD; //  every reachable channel of the group gave up
        if (c >= 0) {
            pending = true;
            if (state->ch[c].next_attempt_ms < next)
                next = state->ch[c].next_attempt_ms;
        }
    }
    if (!pending)
        return CCHC_OUTCOME_SENT;
    *next_attempt_ms = next;
    return CCHC_OUTCOME_PENDING;
}

// ---------------------------------------------------------------------------
//  Digests

bool cchc_digest_window_ok(long minutes)
{
    return minutes == 0 || (minutes > 0 && minutes <= CCHC_DIGEST_WINDOW_MAX_MIN &&
                            CCHC_DIGEST_WINDOW_MAX_MIN % minutes == 0);
}

int64_t cchc_digest_window_start(int64_t ms, int64_t window_ms)
{
    assert(window_ms > 0);
    int64_t day = cchc_date_start_ms(cchc_date_of_ms(ms));
    return day + (ms - day) / window_ms * window_ms;
}

bool cchc_digest_same(const cchc_alert_t *a, const cchc_alert_t *b, int64_t window_ms)
{
    return strcmp(a->ward, b->ward) == 0 && strcmp(a->person, b->person) == 0 &&
           cchc_digest_window_start(a->decided_ms, window_ms) ==
               cchc_digest_window_start(b->decided_ms, window_ms);
}

int cchc_digest_token(char *buf, size_t size, const cchc_alert_t *const *members, size_t n, int64_t window_ms)
{
    assert(n > 0);
    uint64_t h = 0xcbf29ce484222325ULL; //  FNV-1a 64
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)members[i]->key; *p; p++)
            h = (h ^ *p) * 0x100000001b3ULL;
        h = (h ^ '\n') * 0x100000001b3ULL;
    }
    int64_t start = cchc_digest_window_start(members[0]->decided_ms, window_ms);
    int32_t date = cchc_date_of_ms(start);
    int minute = (int)((start - cchc_date_start_ms(date)) / 60000);
    return snprintf(buf, size, "digest/%s/%s/%08d%02d%02d/%016llx", members[0]->ward, members[0]->person,
                    (int)date, minute / 60, minute % 60, (unsigned long long)h);
}

char *cchc_digest_window_vi(char *buf, size_t size, int64_t start_ms, int64_t window_ms)
{
    char from[32], to[32], day[16];
    cchc_date_format(cchc_date_of_ms(start_ms), day, sizeof(day));
    if (window_ms >= (int64_t)CCHC_DIGEST_WINDOW_MAX_MIN * 60000) {
        snprintf(buf, size, "ngày %s", day);
        return buf;
    }
    cchc_time_format(start_ms, from, sizeof(from));
    cchc_time_format(start_ms + window_ms, to, sizeof(to));
    //  "dd/mm/yyyy HH:MM": the times are the last five characters
    snprintf(buf, size, "từ %s đến %s ngày %s", from + strlen(from) - 5, to + strlen(to) - 5, day);
    return buf;
}

//  A growing string.
typedef struct {
    char *s;
    size_t len, cap;
} text_t;

static void append(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(text_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert(n >= 0);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        char *grown = realloc(t->s, t->cap);
        if (!grown)
            abort();
        t->s = grown;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

char *cchc_digest_kinds_vi(char *buf, size_t size, const cchc_alert_t *const *members, size_t n)
{
    enum { KINDS = CCHC__ALERT_KIND__ALERT_RANK_DROP + 1 };
    int count[KINDS] = {0};
    for (size_t i = 0; i < n; i++)
        if ((unsigned)members[i]->kind < KINDS)
            count[members[i]->kind]++;
    size_t used = 0;
    buf[0] = 0;
    for (int k = 0; k < KINDS; k++)
        if (count[k] > 0 && used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s: %d", used ? "; " : "",
                                     cchc_alert_kind_label_vi((Cchc__AlertKind)k), count[k]);
    return buf;
}

char *cchc_digest_text(const cchc_alert_t *const *members, size_t n, int64_t window_ms)
{
    assert(n > 0);
    char window[96], kinds[256];
    cchc_digest_window_vi(window, sizeof(window), cchc_digest_window_start(members[0]->decided_ms, window_ms),
                          window_ms);
    //  What the digest is about: tasks, the unit's tier or rank (a drop has
    //  no task), or both.
    size_t drops = 0;
    for (size_t i = 0; i < n; i++)
        drops += !(members[i]->task && *members[i]->task);
    const char *about = drops == 0 ? "các nhiệm vụ cải cách hành chính"
                        : drops == n
                            ? "xếp loại, xếp hạng thi đua của đơn vị"
                            : "các nhiệm vụ cải cách hành chính và xếp loại, xếp hạng thi đua của đơn vị";
    text_t t = {0};
    append(&t, "Tổng hợp %zu thông báo %s về %s: %s", n, window, about,
           cchc_digest_kinds_vi(kinds, sizeof(kinds), members, n));
    append(&t, ".\n");
    for (size_t i = 0; i < n; i++) {
        const cchc_alert_t *a = members[i];
        char due[16];
        cchc_date_format(a->due_date, due, sizeof(due));
        if (a->task && *a->task)
            append(&t, "\n%zu. [%s] %s\n   Nhiệm vụ: %s; đơn vị: %s; hạn: %s; mã thông báo: %s\n", i + 1,
                   cchc_alert_kind_label_vi(a->kind), a->text, a->task, a->unit, due, a->key);
        else //  a tier or rank drop: about the unit, no task or due date
            append(&t, "\n%zu. [%s] %s\n   Đơn vị: %s; mã thông báo: %s\n", i + 1,
                   cchc_alert_kind_label_vi(a->kind), a->text, a->unit, a->key);
    }
    return t.s;
}
