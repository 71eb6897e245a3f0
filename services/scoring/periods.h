/*  periods.h - month and quarter rankings of a ward.

    The domain brief ranks units per month, quarter and year. The year is
    the live ranking (ranking.h). A month or quarter ranks the units over
    the tasks whose due date in force falls in it (rules.h,
    cchc_unit_evaluate_period), as of the period's last instant:

    - while a period is open (or not begun) its ranking is computed on
      demand at the model's log time: provisional, it moves with events;
    - when the log time crosses the end of a month, the owner calls
      cchc_periods_freeze BEFORE folding the event that crossed it, so the
      model is still as it stood at the end of the period. Every ward's
      month ranking (and the quarter's, at a quarter's end) is computed at
      the period's end instant (tasks due on its last day are due then)
      and kept as a final Ranking, written in the transaction
      of the batch that crossed the end (table period_ranking). A task
      completed later does not change a closed month's ranking, just as a
      monthly report once issued stays as issued.

    Time enters only through the log, so a replay freezes exactly what the
    live run froze. A change of rules (SIGHUP) re-scores the year but leaves
    closed periods as frozen under the rules then in force.
*/
#ifndef CCHC_SCORING_PERIODS_H
#define CCHC_SCORING_PERIODS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "rules.h"
#include "scoring.pb-c.h"

//  A resolved period of a plan year.
typedef struct {
    Cchc__PeriodKind kind; //  PERIOD_MONTH or PERIOD_QUARTER
    int32_t year;
    int index;           //  month 1..12 or quarter 1..4
    cchc_period_t dates; //  first and last day
    int64_t end_ms;      //  the instant it ends (local midnight after its last day)
} cchc_period_key_t;

//  Resolve month or quarter index of year. Returns 0, or -1 for another
//  kind or an index out of range.
int cchc_period_resolve(Cchc__PeriodKind kind, int32_t year, int index, cchc_period_key_t *key);

//  The instant the month containing ms ends (local midnight of the first
//  day of the next month): the next boundary at which periods close.
int64_t cchc_period_next_boundary(int64_t ms);

//  The ranking of ward over period at now_ms, every unit evaluated with
//  rules: entries in ranking order (cchc_eval_compare), final as given.
//  The caller owns the result and frees it with cchc_period_ranking_free; its
//  strings are borrowed from the model (use it before the next event).
Cchc__Ranking *cchc_period_ranking(const cchc_rules_t *rules, const cchc_ward_t *ward,
                                   const cchc_period_key_t *period, int64_t now_ms, uint64_t last_seq,
                                   bool final);
void cchc_period_ranking_free(Cchc__Ranking *ranking);

//  Frozen rankings waiting for their transaction (owned by the list).
typedef struct {
    struct cchc_period_row {
        char *ward;
        int kind, code; //  code: year * 100 + index
        uint8_t *blob;  //  packed Ranking
        size_t len;
    } * items;
    size_t count, cap;
} cchc_period_rows_t;

//  The log time is about to reach boundary_ms (an end of month, from
//  cchc_period_next_boundary): freeze, for every ward of model whose plan
//  year the month belongs to, the month's ranking and, at a quarter's end,
//  the quarter's, evaluated at boundary_ms with the model not yet past it
//  (so tasks due on the period's last day count as due), into rows.
//  Returns the number of rankings frozen.
//  Only the wards of source (all when NULL), each ranking naming source's
//  last seq (the model's when NULL).
size_t cchc_periods_freeze(const cchc_rules_t *rules, const cchc_model_t *model, const cchc_source_t *source,
                           int64_t boundary_ms, cchc_period_rows_t *rows);

void cchc_period_rows_clear(cchc_period_rows_t *rows);
void cchc_period_rows_free(cchc_period_rows_t *rows);

//  Writer thread, inside the batch's transaction: insert rows. *stmt caches
//  the INSERT (finalised by cchc_store_close). Returns 0 or -1.
int cchc_periods_append(sqlite3 *db, sqlite3_stmt **stmt, const cchc_period_rows_t *rows);

//  The frozen ranking of ward for period, unpacked (free it with
//  cchc__ranking__free_unpacked(r, NULL)); NULL when the period has not
//  closed (or on a read error, logged).
Cchc__Ranking *cchc_periods_read(sqlite3 *db, const char *ward, const cchc_period_key_t *period);

#endif
