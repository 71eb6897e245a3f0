/*  harness.h - start the real cchc service processes for integration tests.

    A cluster is intake, scoring and notify on free loopback ports with a
    fresh temporary data directory and a manual clock starting 01/01/2026.
    Services log JSON to <dir>/<service>.log; on failure the tails are printed.
    Requests go through common/client.h like any other client.
*/
#ifndef CCHC_TEST_HARNESS_H
#define CCHC_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"
#include "codec.h"

typedef enum { SVC_INTAKE = 0, SVC_SCORING = 1, SVC_NOTIFY = 2, SVC_COUNT = 3 } svc_t;

typedef struct {
    char dir[256];            //  temporary data directory, removed by cluster_destroy
    char bin[SVC_COUNT][512]; //  service binaries
    char cli[512];            //  the cchc CLI
    //  intake_ep and intake_pub may list several intakes (cluster_follow)
    char intake_ep[256], intake_pub[256], scoring_ep[64], scoring_pub[64], notify_ep[64];
    pid_t pid[SVC_COUNT];
    void *zctx;
    cchc_client_t *client[SVC_COUNT];
    bool keep_dir; //  leave the directory for inspection
} cluster_t;

//  A free loopback port below the kernel's range for outgoing connections,
//  claimed for this process (a lock file in /tmp/cchc-test-ports) so that
//  tests running side by side never pick the same one.
int harness_free_port(void);

//  A monotonic clock in milliseconds, and a sleep.
int64_t harness_mono_ms(void);
void harness_sleep_ms(int ms);

//  Start a helper server: Debian's python3 with args (NULL-terminated: a
//  script or "-m module", then its arguments), stderr appended to log_path,
//  PYTHONPATH set when pythonpath is not NULL. Waits up to 15 s until
//  127.0.0.1:port accepts. Returns its pid, or -1 (said on stderr).
pid_t harness_python_start(const char *const *args, const char *pythonpath, const char *log_path, int port);

//  What a helper server captured in dir: the text of every *.txt file, in
//  name order (the helpers number them in arrival order). Free with
//  harness_captured_free.
typedef struct {
    char **text;
    size_t n;
} captured_t;
captured_t harness_captured(const char *dir);
void harness_captured_free(captured_t *box);

//  The value of field name in a captured mail or request ("name: value"
//  lines before the first blank line), copied into out; NULL when absent or
//  longer than size - 1.
const char *harness_captured_field(const char *text, const char *name, char *out, size_t size);

//  SIGTERM a helper server and reap it; *pid_p becomes 0. Nothing if <= 0.
void harness_helper_stop(pid_t *pid_p);

//  Fill paths from argv (argv[1..4] = intake, scoring, notify, cli binaries),
//  pick free ports, make the temporary directory. Returns 0 or -1.
int cluster_init(cluster_t *c, int argc, char **argv);

//  Make the scoring and notify of c follow the intakes of shards[0..n-1]
//  (comma-separated intake and intake_pub settings, in that order) instead
//  of c's own intake; c's intake must not be started then. Returns 0 or -1.
int cluster_follow(cluster_t *c, const cluster_t *const *shards, size_t n);

//  Start one service and wait until it answers (intake: Status; scoring and
//  notify: a query). extra_args are appended (NULL-terminated, may be NULL).
int cluster_start(cluster_t *c, svc_t svc, const char *const *extra_args);
int cluster_start_all(cluster_t *c);

//  Stop every running service, last started first: each must exit 0 on
//  SIGTERM (the graceful-shutdown promise). Returns 0, or -1 after saying
//  which did not and printing the logs.
int cluster_stop_all(cluster_t *c);

//  SIGTERM and wait (up to 10 s). Returns the exit status, or -1.
int cluster_stop(cluster_t *c, svc_t svc);

//  kill -9 and reap.
void cluster_kill(cluster_t *c, svc_t svc);

//  Stop everything, close clients; remove the directory unless keep_dir.
//  cluster_stop_all and cluster_destroy accept NULL (a failed set-up).
void cluster_destroy(cluster_t *c);

//  Print the last lines of each service's log (for a failing test).
void cluster_dump_logs(const cluster_t *c);

//  Run the CLI with the cluster's endpoints: `cchc --intake .. --scoring ..
//  --notify .. <args>`; output captured into out (NUL-terminated). Returns
//  the exit status.
int cluster_cli(cluster_t *c, char *out, size_t out_size, const char *args_fmt, ...)
    __attribute__((format(printf, 4, 5)));

//  Request/reply with one service; reply owned by the caller.
int cluster_call(cluster_t *c, svc_t svc, Cchc__Envelope *req, cchc_decoded_t **reply);

//  Intake's committed head seq, or 0 on error.
uint64_t cluster_head(cluster_t *c);

//  Wait until scoring and notify have consumed everything intake committed
//  (their replies' last_seq reach intake's head). Returns 0 or -1 on timeout.
int cluster_wait_caught_up(cluster_t *c, const char *ward, int timeout_ms);

//  Move the manual clock to a local time "dd/mm/yyyy HH:MM". Returns 0 or -1.
int cluster_advance(cluster_t *c, const char *local_time);

//  Submit one event; returns its seq (> 0), or 0 if rejected, with the
//  error code in *code when code is not NULL.
uint64_t cluster_submit(cluster_t *c, Cchc__Event *ev, Cchc__ErrorCode *code);

//  Event shortcuts (ward and actor filled in). Return the seq or 0.
uint64_t ev_progress(cluster_t *c, const char *ward, const char *unit, const char *task, int percent,
                     int outputs);
uint64_t ev_submit_done(cluster_t *c, const char *ward, const char *unit, const char *task);
uint64_t ev_verify(cluster_t *c, const char *ward, const char *task, bool passed);

//  Ranking of a ward (caller owns the decoded reply), or NULL.
cchc_decoded_t *cluster_ranking(cluster_t *c, const char *ward);

//  Alerts of a ward (caller owns the decoded reply), or NULL.
cchc_decoded_t *cluster_alerts(cluster_t *c, const char *ward);

//  cmocka group fixtures: one cluster (cluster_start_all) for a whole group,
//  passed to each test as *state; the teardown requires every service to
//  exit 0 on SIGTERM. Call harness_args(argc, argv) in main first.
void harness_args(int argc, char **argv);
int harness_group_setup(void **state);
int harness_group_teardown(void **state);

#endif
