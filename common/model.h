/*  model.h - the ward model: wards, units, officials, areas and tasks folded
    from the event log.

    Intake uses it to validate a submission before accepting it; scoring and
    notify fold the same events into the same model and derive scores and
    alerts from it. One folding function for everyone means the services can
    never disagree about what an event did.

    Task status is never stored as truth: a record holds what happened (phase,
    failed reviews, deadlines missed), and whether it is overdue follows from
    the due date in force and the current log time (cchc_task_overdue).

    Deadlines. `due_in_force` is the date lateness is judged by. A
    DeadlineChanged approved before the end of due_in_force for an objective
    reason replaces it (an excused extension). One approved after the task was
    already overdue counts the missed date as a delay and then replaces it. One
    approved in time but without an objective reason only moves `due_target`,
    the date reminders aim at; lateness is still judged by due_in_force.
    A date that passed while a submission made before it awaited
    verification was not missed if that verification passes: a change
    approved then keeps it in `missed_pending`, which a failed verification
    turns into delays and a passed one drops.

    Completion. A task is done when a verification passes; it is done as of
    its submission time (the unit is not penalised for the reviewer's pace).

    Alert state (notify's; scoring ignores it). AlertAcknowledged sets the
    task's hold (ack_ms, its official and level; a failed verification sets
    ack_ms to 0: no acknowledgement holds, whatever the others say; they are
    not persisted then); SilenceSet sets
    silenced_until of a task or a unit; OfficialLeave sets the official's
    leave (the deputy filled in from the unit when the event names none).
    None of them changes a score.

    Sources (shards). A consumer may follow several intake shards. Each
    intake stamps its own log time and numbers its own seqs, and a
    ClockAdvanced event has no ward, so the model keeps log time and
    last_seq PER SOURCE (cchc_source_t): a ward belongs to the source whose
    log registered it, and its time (cchc_ward_now) is that source's. An
    event is folded with cchc_model_apply_from(source); cchc_model_apply
    folds into source 0, created with the identity "" (the unnamed source:
    intake, and a consumer of one shard). A source's position is a CLOCK
    record keyed by its identity; a ward of a named source also has a
    WARD_SOURCE record naming it.

    Ownership: the model owns every record and source; records are returned
    as borrowed pointers valid until the model is destroyed (nothing is ever
    removed). A task's strings are the model's too (its arena or interned
    texts), valid as long as the model.
*/
#ifndef CCHC_MODEL_H
#define CCHC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "errors.h"
#include "events.pb-c.h"
#include "state.pb-c.h"
#include "strmap.h"

typedef struct cchc_ward cchc_ward_t;

//  A ward's tasks by code (private to model.c; a member of cchc_ward_t).
struct cchc_task_index {
    struct cchc_task_slot *slots;
    size_t cap, count;
};

//  A source of events (an intake shard): its log time and last seq folded.
typedef struct {
    char *id;          //  stable identity; "" for the unnamed source
    int index;         //  position in the model's sources
    int64_t now_ms;    //  log time of the last event folded from it
    uint64_t last_seq; //  last seq folded from it
    bool dirty;        //  changed since the last cchc_model_take_dirty
} cchc_source_t;

typedef struct {
    cchc_ward_t *ward;
    Cchc__OfficialRegistered *def; //  owned copy of the registration
    Cchc__OfficialLeave *leave;    //  owned: the last leave recorded (deputy filled in), or NULL
} cchc_official_t;

typedef struct {
    cchc_ward_t *ward;
    Cchc__AreaDefined *def; //  owned copy
    int index;              //  position in ward->areas
} cchc_area_t;

typedef struct cchc_task cchc_task_t;

typedef struct {
    cchc_ward_t *ward;
    Cchc__UnitRecord *rec; //  owned: rec->def is the registration
    const char *code;      //  rec->def->code
    int index;             //  position in ward->units
    cchc_task_t **tasks;   //  the tasks it leads, in ward order (borrowed from ward->tasks)
    size_t ntasks, tasks_cap;
} cchc_unit_t;

//  Notify's alert state of a task (AlertAcknowledged, SilenceSet), kept
//  apart because few tasks ever have one: allocated on the first such event.
typedef struct {
    int64_t ack_ms;         //  the acknowledgement in force; 0: none
    char *ack_official;     //  owned, NULL when none
    int32_t ack_level;      //  acknowledged up to this escalation level
    int32_t silenced_until; //  no alert until the end of this date; 0: none
    char *silence_reason;   //  owned, NULL when none
} cchc_task_hold_t;

//  A task: its assignment (TaskAssigned, never changed after it) and what
//  has happened to it, as plain fields. The model holds millions of these,
//  so they are compact: allocated in the model's arena with the code right
//  after the struct, the title, output description, lead official and
//  co-unit codes interned (one copy per model of each text). A task is
//  persisted as a TaskRecord (state.proto; cchc_task_record).
struct cchc_task {
    //  Cold: read to word alerts and explanations, and to persist.
    cchc_ward_t *ward;
    void *user; //  free for the consumer (notify's schedule entry)
    //  The assignment; strings borrowed from the model (arena or interned).
    const char *title;
    const char *lead_official; //  "" when none
    const char *output_desc;   //  "" when none
    const char **co_units;     //  n_co_units codes, NULL when none
    cchc_task_hold_t *hold;    //  owned, NULL until an acknowledgement or silence (cchc_task_hold)
    const char *code;          //  right after the struct (task_alloc in model.c)
    int64_t assigned_ms;       //  log time of the assignment
    uint64_t last_seq;         //  seq of the last event that changed it
    //  Hot: read by every event on the task, by the deadline index and by
    //  scoring's task part. Last, next to the code that a lookup compares,
    //  so that a lookup, a check and a fold touch adjacent cache lines.
    cchc_unit_t *unit; //  lead unit
    cchc_area_t *area;
    int64_t submitted_ms; //  of the last submission for verification
    int64_t done_ms;      //  when done: the passed submission's time
    int32_t index;        //  position in ward->tasks
    int32_t due_in_force; //  the date lateness is judged by (model.h, Deadlines)
    int32_t due_target;   //  the date reminders aim at
    int32_t points_milli; //  fixed points; 0: a share of the area
    int32_t factor_milli; //  conversion factor, 1000 = 1.0
    int32_t failed_reviews;
    int32_t missed_deadlines; //  dates missed before a late change: delays
    int32_t missed_pending;   //  dates passed while awaiting verification
    int32_t due_date;         //  yyyymmdd as assigned
    int16_t outputs_required; //  1..1000
    int16_t outputs_done;
    uint16_t n_co_units;
    uint8_t percent; //  0..100
    uint8_t phase;   //  Cchc__TaskPhase
    bool excused, paused, cancelled;
    bool dirty; //  on the model's dirty list
};

//  The task's alert state; a shared all-zero one when it has none.
const cchc_task_hold_t *cchc_task_hold(const cchc_task_t *task);

//  The task as a TaskRecord (its def filled in too), for packing: every
//  string and array is borrowed from the task, so rec and def must not be
//  freed with protobuf_c_message_free_unpacked. co_units is scratch of at
//  least task->n_co_units pointers, or NULL when there are none.
void cchc_task_record(const cchc_task_t *task, Cchc__TaskRecord *rec, Cchc__TaskAssigned *def,
                      char **co_units);

struct cchc_ward {
    char *code;
    Cchc__WardRegistered *def;            //  owned copy, NULL until registered
    cchc_strmap_t *units_by_code;         //  code -> cchc_unit_t *
    cchc_strmap_t *officials_by_code;     //  code -> cchc_official_t *
    cchc_strmap_t *areas_by_code;         //  code -> cchc_area_t *
    struct cchc_task_index tasks_by_code; //  code -> task (model.c)
    cchc_unit_t **units;                  //  in registration order
    size_t nunits, units_cap;
    cchc_area_t **areas;
    size_t nareas, areas_cap;
    cchc_task_t **tasks;
    size_t ntasks, tasks_cap;
    cchc_official_t **officials;
    size_t nofficials, officials_cap;
    char *chairman;        //  official code of the Chairman, or NULL
    cchc_source_t *source; //  the source whose log registered it (owned by the model)
    void *user;            //  free for the consumer
};

typedef struct cchc_model cchc_model_t;

//  What an applied event touched, for incremental consumers.
typedef struct {
    cchc_ward_t *ward;           //  NULL for clock events
    cchc_unit_t *unit;           //  unit whose score may change, or NULL
    cchc_task_t *task;           //  task changed, or NULL
    bool clock;                  //  the log time of source moved
    const cchc_source_t *source; //  the source the event came from
} cchc_touch_t;

//  Create an empty model. Caller owns it.
cchc_model_t *cchc_model_new(void);

//  Destroy the model and every record; sets *self_p to NULL.
void cchc_model_destroy(cchc_model_t **self_p);

//  Check that ev may be appended at log time now_ms, given everything
//  already applied. Returns 0, or -1 with err set (index left as given by the
//  caller via err->index). Does not change the model. The caller checks the
//  envelope-level fields (version, size) before.
int cchc_model_check(const cchc_model_t *self, const Cchc__Event *ev, int64_t now_ms, cchc_err_t *err);

//  Fold a committed event (seq and log_time_ms set) into the model. The event
//  must have passed cchc_model_check; an event that does not apply (which can
//  only come from a damaged log) is logged and ignored. Fills touch if not
//  NULL. Returns 0, or -1 if the event was ignored.
int cchc_model_apply(cchc_model_t *self, const Cchc__Event *ev, cchc_touch_t *touch);

//  Fold a committed event of the given source (an index returned by
//  cchc_model_source). An event for a ward of another source is logged and
//  ignored (-1), as a ward registered twice is.
int cchc_model_apply_from(cchc_model_t *self, int source, const Cchc__Event *ev, cchc_touch_t *touch);

//  Log time of the last event applied from source 0, and its seq (0 when
//  the model has no source yet). With one source: the model's time.
int64_t cchc_model_now(const cchc_model_t *self);
uint64_t cchc_model_last_seq(const cchc_model_t *self);

//  The source of that identity, added (time 0, seq 0) if absent: its index.
int cchc_model_source(cchc_model_t *self, const char *id);
size_t cchc_model_source_count(const cchc_model_t *self);
cchc_source_t *cchc_model_source_at(const cchc_model_t *self, size_t index);

//  The log time a ward is judged at: its source's (0 before any event).
int64_t cchc_ward_now(const cchc_ward_t *ward);

//  The last seq folded from the ward's source; with no ward (or a ward of
//  no source yet), source 0's (cchc_model_last_seq).
uint64_t cchc_ward_last_seq(const cchc_model_t *model, const cchc_ward_t *ward);

//  Lookups: NULL when absent.
cchc_ward_t *cchc_model_ward(const cchc_model_t *self, const char *code);
cchc_unit_t *cchc_ward_unit(const cchc_ward_t *ward, const char *code);
cchc_task_t *cchc_ward_task(const cchc_ward_t *ward, const char *code);
cchc_area_t *cchc_ward_area(const cchc_ward_t *ward, const char *code);
cchc_official_t *cchc_ward_official(const cchc_ward_t *ward, const char *code);

//  Wards in registration order (index 0 .. count-1).
size_t cchc_model_ward_count(const cchc_model_t *self);
cchc_ward_t *cchc_model_ward_at(const cchc_model_t *self, size_t index);

// ---------------------------------------------------------------------------
//  Derived task status at log time now_ms

//  The official classification of a task (Văn phòng Chính phủ usage) plus the
//  states that take a task out of evaluation.
typedef enum {
    CCHC_STATUS_NOT_DUE = 0,      //  Chưa hoàn thành trong hạn
    CCHC_STATUS_OVERDUE = 1,      //  Chưa hoàn thành quá hạn
    CCHC_STATUS_DONE_ON_TIME = 2, //  Đã hoàn thành đúng hạn
    CCHC_STATUS_DONE_LATE = 3,    //  Đã hoàn thành quá hạn
    CCHC_STATUS_PAUSED = 4,       //  Tạm dừng
    CCHC_STATUS_CANCELLED = 5,    //  Hủy
} cchc_status_t;

cchc_status_t cchc_task_status(const cchc_task_t *task, int64_t now_ms);

//  True when the task is done (a verification passed).
bool cchc_task_done(const cchc_task_t *task);

//  True when the due date in force has passed at now_ms and the task is not done.
bool cchc_task_overdue(const cchc_task_t *task, int64_t now_ms);

//  Delays counted against the task at now_ms (or at completion if done):
//  deadlines missed before a late change, plus one if the task was completed
//  (or is still open) after the end of its due date in force.
int cchc_task_delays(const cchc_task_t *task, int64_t now_ms);

//  "Chưa đạt yêu cầu": overdue and not done, or failed verification and not
//  yet resubmitted. Paused and cancelled tasks are never unmet.
bool cchc_task_unmet(const cchc_task_t *task, int64_t now_ms);

//  Vietnamese label of a status ("Đã hoàn thành đúng hạn") and of the
//  workflow phase ("Chờ xác nhận").
const char *cchc_status_label_vi(cchc_status_t status);
const char *cchc_phase_label_vi(Cchc__TaskPhase phase);

// ---------------------------------------------------------------------------
//  Persistence for consumers (scoring, notify)
//
//  The model keeps a list of records changed since the last take. Consumers
//  serialise them on the loop thread and write the blobs, with their last_seq,
//  in one transaction on their writer thread.

typedef struct {
    int kind;      //  CCHC_REC_WARD, _UNIT, _OFFICIAL, _AREA, _TASK, _LEAVE, _CLOCK
    char *ward;    //  in blob's allocation, after the blob
    char *code;    //  in blob's allocation too
    int64_t ord;   //  position within its kind and ward (registration order)
    uint8_t *blob; //  owned: one allocation with ward and code
    size_t len;
} cchc_record_blob_t;

enum {
    CCHC_REC_CLOCK = 0,
    CCHC_REC_WARD = 1,
    CCHC_REC_UNIT = 2,
    CCHC_REC_OFFICIAL = 3,
    CCHC_REC_AREA = 4,
    CCHC_REC_TASK = 5,
    CCHC_REC_LEAVE = 6,      //  an official's OfficialLeave, keyed by the official's code
    CCHC_REC_WARD_SOURCE = 7 //  the named source a ward belongs to (WardSource), code ""
};

typedef struct {
    cchc_record_blob_t *items;
    size_t count, cap;
} cchc_record_set_t;

//  Serialise every record changed since the last call into out (appending),
//  including a CLOCK record (code: the source's identity) holding now and
//  last_seq of each source that moved; clears the dirty list.
void cchc_model_take_dirty(cchc_model_t *self, cchc_record_set_t *out);

//  Free the blobs of a set and reset it to empty.
void cchc_record_set_clear(cchc_record_set_t *set);

//  Free the blobs of a set but keep its array for the next batch (a set
//  reused batch after batch grows once). cchc_record_set_clear frees all.
void cchc_record_set_reset(cchc_record_set_t *set);

//  SQL for the table the records live in (a migration step).
#define CCHC_MODEL_MIGRATION                                                                                 \
    "CREATE TABLE model_record (kind INTEGER NOT NULL, ward TEXT NOT NULL, code TEXT NOT NULL,"              \
    " ord INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (kind, ward, code)) WITHOUT ROWID;"

//  Write a record set into model_record (INSERT OR REPLACE); call inside the
//  writer's transaction, on the writer thread. Returns 0 or -1.
int cchc_record_set_save(const cchc_record_set_t *set, sqlite3 *db);

//  Load every record of model_record into an empty model (at start-up,
//  before consuming). Returns 0 or -1 (a damaged record is an error).
//  Reads in primary-key order on a reader thread of its own (joined before
//  it returns) that uses db meanwhile: nothing else may use db during the
//  call. Registration order is restored in memory from `ord`.
int cchc_model_load(cchc_model_t *self, sqlite3 *db);

#endif
