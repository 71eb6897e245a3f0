/*  scenario.h - the small ward's first quarter of 2026, played against a
    running cluster. Every step waits until scoring and notify caught up, so
    each clock step is folded before the actions that follow it and the
    alerts decided are the same on every run.

    Timeline (local time, 09:00 each day):
      01/01  import tests/integration/data/small (3 units, 6 tasks)
      10/01  VP: T1 progress 1/1, submitted, verified pass          (on time)
      15/01  KT: T3 progress 1/2
      20/01  VHXH: T5 1/1 submitted, verification FAILS            (rework)
      25/01  VHXH: T5 resubmitted, pass                             (on time, 1 failed review)
      05/02  KT: T3 overdue since 01/02; progress 2/2
      10/02  KT: T3 submitted, pass                                 (late: 1 delay)
      20/02  VP: T2 2/2 submitted, pass                             (on time)
      27/02  VHXH: T6 1/1 submitted, pass                           (on time)
      20/03  clock only: KT's T4 (due 28/02) is 19 days overdue, never done
*/
#ifndef CCHC_TEST_SCENARIO_H
#define CCHC_TEST_SCENARIO_H

#include "harness.h"

#define SCENARIO_WARD "T1"

//  Play the timeline after date `after` ("dd/mm"; NULL: from the start,
//  importing data_dir first) up to and including `until` (NULL: to the end).
//  Returns 0, or -1 at the first step that failed (reported on stderr).
int scenario_play(cluster_t *c, const char *data_dir, const char *after, const char *until);

//  Find a unit's entry in a ranking, or NULL.
const Cchc__RankEntry *ranking_entry(const Cchc__Ranking *r, const char *unit);

#endif
