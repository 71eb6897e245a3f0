/*  scenario.c - see scenario.h. */
#include "scenario.h"

#include <stdio.h>
#include <string.h>

#define STEP(expr)                                                                                           \
    do {                                                                                                     \
        if (!(expr)) {                                                                                       \
            fprintf(stderr, "scenario: step failed at %s: %s\n", day, #expr);                                \
            return -1;                                                                                       \
        }                                                                                                    \
    } while (0)

static int advance(cluster_t *c, const char *day)
{
    char when[32];
    snprintf(when, sizeof(when), "%s/2026 09:00", day);
    if (cluster_advance(c, when) != 0 || cluster_wait_caught_up(c, SCENARIO_WARD, 10000) != 0) {
        fprintf(stderr, "scenario: could not advance to %s\n", when);
        return -1;
    }
    return 0;
}

int scenario_play(cluster_t *c, const char *data_dir, const char *after, const char *until)
{
    static const char *days[] = {"10/01", "15/01", "20/01", "25/01", "05/02",
                                 "10/02", "20/02", "27/02", "20/03"};
    const char *W = SCENARIO_WARD;
    char out[4096];
    const char *day = "01/01";
    bool skipping = after != NULL;
    if (!after) {
        int rc = cluster_cli(c, out, sizeof(out), "import '%s'", data_dir);
        if (rc != 0) {
            fprintf(stderr, "scenario: import failed (%d):\n%s\n", rc, out);
            return -1;
        }
        STEP(cluster_wait_caught_up(c, W, 10000) == 0);
    }
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        day = days[i];
        if (skipping) {
            skipping = strcmp(day, after) != 0;
            continue;
        }
        if (advance(c, day) != 0)
            return -1;
        if (!strcmp(day, "10/01")) {
            STEP(ev_progress(c, W, "VP", "T1", 100, 1));
            STEP(ev_submit_done(c, W, "VP", "T1"));
            STEP(ev_verify(c, W, "T1", true));
        } else if (!strcmp(day, "15/01")) {
            STEP(ev_progress(c, W, "KT", "T3", 50, 1));
        } else if (!strcmp(day, "20/01")) {
            STEP(ev_progress(c, W, "VHXH", "T5", 100, 1));
            STEP(ev_submit_done(c, W, "VHXH", "T5"));
            STEP(ev_verify(c, W, "T5", false));
        } else if (!strcmp(day, "25/01")) {
            STEP(ev_submit_done(c, W, "VHXH", "T5"));
            STEP(ev_verify(c, W, "T5", true));
        } else if (!strcmp(day, "05/02")) {
            STEP(ev_progress(c, W, "KT", "T3", 100, 2));
        } else if (!strcmp(day, "10/02")) {
            STEP(ev_submit_done(c, W, "KT", "T3"));
            STEP(ev_verify(c, W, "T3", true));
        } else if (!strcmp(day, "20/02")) {
            STEP(ev_progress(c, W, "VP", "T2", 100, 2));
            STEP(ev_submit_done(c, W, "VP", "T2"));
            STEP(ev_verify(c, W, "T2", true));
        } else if (!strcmp(day, "27/02")) {
            STEP(ev_progress(c, W, "VHXH", "T6", 100, 1));
            STEP(ev_submit_done(c, W, "VHXH", "T6"));
            STEP(ev_verify(c, W, "T6", true));
        }
        STEP(cluster_wait_caught_up(c, W, 10000) == 0);
        if (until && !strcmp(day, until))
            break;
    }
    return 0;
}

const Cchc__RankEntry *ranking_entry(const Cchc__Ranking *r, const char *unit)
{
    for (size_t i = 0; i < r->n_entries; i++)
        if (!strcmp(r->entries[i]->unit, unit))
            return r->entries[i];
    return NULL;
}
