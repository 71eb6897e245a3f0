/*  delivery.c - see delivery.h. */
#include "delivery.h"

#include <assert.h>
#include <string.h>

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
