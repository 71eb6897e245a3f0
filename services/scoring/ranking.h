/*  ranking.h - every ward's ranking, kept current as the log is folded.

    The owner notes what each applied event touched (cchc_ranking_note) and
    then calls cchc_ranking_update: only the units touched are re-evaluated,
    plus the units of tasks whose due date (or the wards whose plan year)
    ended since the last update, found in a deadline index (one bucket per
    instant, the buckets in a min-heap), never by a scan. Each ward keeps its units in an
    order-statistic set (common/ostree.h): a re-evaluated unit is removed
    and inserted again, O(log n), and a RankChanged is produced for every
    unit whose rank, score or tier changed (the units between a moved
    unit's old and new places shift by one), in unit registration order.

    Ownership: a ranking stores its per-ward state in ward->user (the model
    leaves that field to its consumer), so it must be destroyed while the
    model is still alive, and only one ranking may follow a model. Units,
    wards and codes are borrowed from the model.
*/
#ifndef CCHC_SCORING_RANKING_H
#define CCHC_SCORING_RANKING_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "rules.h"
#include "scoring.pb-c.h"

typedef struct cchc_ranking cchc_ranking_t;

//  Changes produced by an update. Each item is owned by the list (it lives
//  in the list's blocks, reused after a clear: no allocation per change);
//  its ward and unit strings are borrowed from the model (valid while it
//  lives). A zeroed list is empty.
typedef struct {
    Cchc__RankChanged **items;
    size_t count, cap;
    Cchc__RankChanged **blocks; //  storage, CCHC_RANK_CHANGES_BLOCK records each
    size_t nblocks, used;       //  blocks allocated; records handed out
} cchc_rank_changes_t;

#define CCHC_RANK_CHANGES_BLOCK 256

//  Append a new record (initialised, empty) to the list and return it;
//  valid until the list is cleared or freed. Aborts on out-of-memory.
Cchc__RankChanged *cchc_rank_changes_add(cchc_rank_changes_t *changes);

//  Create a ranking that evaluates with a copy of rules. Caller owns it and
//  destroys it with cchc_ranking_destroy. Aborts on out-of-memory.
cchc_ranking_t *cchc_ranking_new(const cchc_rules_t *rules);

//  Free every per-ward state (resetting ward->user to NULL: the model must
//  still be alive) and the ranking; sets *self_p to NULL. NULL is a no-op.
void cchc_ranking_destroy(cchc_ranking_t **self_p);

//  Remember what one applied event touched: its unit, or, for a ward-level
//  event (unit NULL), the whole ward; and whether the log time moved.
void cchc_ranking_note(cchc_ranking_t *self, const cchc_touch_t *touch);

//  Re-evaluate what was noted since the last update, and the units of the
//  deadlines reached, at the model's log time, move them in their wards'
//  orders and forget the notes. If changes is not NULL,
//  append one RankChanged (seq = seq) per unit of those wards whose rank,
//  score or tier changed; a unit first ranked has old_rank 0, old score 0,
//  old tier TIER_UNRATED.
void cchc_ranking_update(cchc_ranking_t *self, cchc_model_t *model, uint64_t seq,
                         cchc_rank_changes_t *changes);

//  Evaluate with a copy of rules from now on, and note every unit of every
//  ward of model as touched: the next cchc_ranking_update re-evaluates and
//  re-ranks them all and reports each unit whose rank, score or tier the
//  new rules changed (scores are a function of the log and the rules).
void cchc_ranking_set_rules(cchc_ranking_t *self, cchc_model_t *model, const cchc_rules_t *rules);

//  A reload (SIGHUP): read the rules file at path. If it is invalid, return
//  -1 with err set ("path:line: what is wrong") and change nothing: the
//  rules in force stay. If it gives the rules in force, return 0. Otherwise
//  evaluate with the new rules from now on, re-evaluate and re-rank every
//  ward of model at once, append to changes (if not NULL; seq = seq) each
//  unit whose rank, score or tier changed, and return 1.
int cchc_ranking_reload_rules(cchc_ranking_t *self, cchc_model_t *model, const char *path, uint64_t seq,
                              cchc_rank_changes_t *changes, char *err, size_t err_size);

//  The rules in force (borrowed until the next set or reload).
const cchc_rules_t *cchc_ranking_rules(const cchc_ranking_t *self);

//  Evaluate and rank every unit of every ward (start-up, after loading the
//  model), producing no change; forgets any notes.
void cchc_ranking_rank_all(cchc_ranking_t *self, cchc_model_t *model);

//  Units ranked in ward (0 before the ward was first ranked).
size_t cchc_ranking_size(const cchc_ranking_t *self, const cchc_ward_t *ward);

//  The unit at position 0 .. size-1 (rank = position + 1), or NULL.
const cchc_unit_t *cchc_ranking_unit_at(const cchc_ranking_t *self, const cchc_ward_t *ward, size_t position);

//  The unit's current evaluation and rank (1-based), or NULL (rank
//  untouched) when the unit was not ranked yet. Borrowed until the next
//  update.
const cchc_unit_eval_t *cchc_ranking_eval(const cchc_ranking_t *self, const cchc_unit_t *unit,
                                          uint32_t *rank);

//  Work done since the ranking was created (for benchmarks).
typedef struct {
    uint64_t parts;     //  task parts computed
    uint64_t units;     //  unit evaluations finished
    uint64_t deadlines; //  deadline index entries popped
    uint64_t walked;    //  ranking positions walked to find changes
} cchc_ranking_stats_t;

void cchc_ranking_stats(const cchc_ranking_t *self, cchc_ranking_stats_t *stats);

//  Forget every change and reset the list to empty (the storage is kept).
void cchc_rank_changes_clear(cchc_rank_changes_t *changes);

//  Free every change and the list's storage; the list is left empty, reusable.
void cchc_rank_changes_free(cchc_rank_changes_t *changes);

#endif
