/*  cli.h - what the cchc commands share: the endpoints and output mode
    chosen on the command line, the connections to the three services
    (opened on first use, closed by cli_close), request helpers, and the
    commands themselves (one function per command, argv after the command's
    name, returning the process's exit status: 0 done, 1 refused or failed,
    2 usage error).
*/
#ifndef CCHC_CLI_H
#define CCHC_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "client.h"
#include "codec.h"
#include "sender.h"

typedef struct {
    const char *intake_ep, *scoring_ep, *notify_ep; //  not owned
    const char *ward;                               //  not owned
    bool json;                                      //  machine output (render.c documents it)
    int timeout_ms;                                 //  per request attempt
    void *zctx;                                     //  owned by main
    cchc_client_t *intake, *scoring, *notify;       //  owned; opened on first use
    cchc_sender_t *sender;                          //  owned; this process's idempotent producer
} cli_t;

//  Close whatever connections cli opened (the ZeroMQ context stays).
void cli_close(cli_t *cli);

// ---------------------------------------------------------------------------
//  Requests

//  Submit n events (ward and actor already set) as one submission, resent
//  with the same producer number until acknowledged (never applied twice).
//  Prints each rejected event's error on stderr (Vietnamese, English, code
//  name) prefixed by what(what_arg, i), the caller's description of event i
//  (what may be NULL). seqs (n entries, may be NULL) receives each event's
//  seq or 0; head (may be NULL) intake's head seq after the submission.
//  Returns the number of events rejected (n when the submission was refused
//  as a whole), or -1 if no acknowledgement came in time (then whether the
//  events were recorded is unknown) or intake reported a sequence error.
int cli_submit(cli_t *cli, Cchc__Event **events, size_t n, uint64_t *seqs, uint64_t *head,
               const char *(*what)(void *arg, size_t i), void *what_arg);

//  Send a query to "intake", "scoring" or "notify" (retried on a fresh
//  socket after a timeout). Returns the reply, which the caller owns and
//  destroys, or NULL after printing why on stderr (no reply in time, the
//  service's Error, or a reply of another type than want).
cchc_decoded_t *cli_query(cli_t *cli, const char *service, Cchc__Envelope *req,
                          Cchc__Envelope__BodyCase want);

//  The ward's ranking from scoring (caller owns the reply), or NULL.
cchc_decoded_t *cli_query_ranking(cli_t *cli);

//  The ward's alerts from notify, newest first, at most limit (0: all);
//  caller owns the reply. NULL on failure.
cchc_decoded_t *cli_query_alerts(cli_t *cli, uint32_t limit);

//  Intake's head seq, log time and clock mode (each out pointer may be
//  NULL). Returns 0, or -1 with the reason printed.
int cli_status(cli_t *cli, uint64_t *head, int64_t *now_ms, bool *manual);

//  Move intake's manual clock to to_ms; head (may be NULL) receives the head
//  seq after the move. Returns 0, or -1 with the reason printed.
int cli_advance(cli_t *cli, int64_t to_ms, uint64_t *head);

//  Poll scoring and notify every 20 ms until both have consumed the log up
//  to head (Ranking.last_seq and AlertList.last_seq >= head). Returns 0, or
//  -1 with a message after timeout_ms.
int cli_wait_consumers(cli_t *cli, uint64_t head, int timeout_ms);

// ---------------------------------------------------------------------------
//  Command-line arguments after the command's name

#define CLI_ARGS_MAX 16

typedef struct {
    const char *positional[CLI_ARGS_MAX];
    int npositional;
    const char *names[CLI_ARGS_MAX]; //  option names without "--"
    const char *values[CLI_ARGS_MAX];
    int nopts;
} cli_args_t;

//  Split argv into positionals and --name value pairs. flags lists the
//  option names that take no value (NULL-terminated; their value is
//  "true"); every other option takes the next argument. --json is always a
//  flag. Returns 0, or -1 after printing what is wrong (an option without
//  its value, an option not in known (NULL-terminated, flags count as
//  known), too many arguments).
int cli_args_parse(int argc, char **argv, const char *const *known, const char *const *flags, cli_args_t *a);

//  The value of option name, or NULL when absent.
const char *cli_arg(const cli_args_t *a, const char *name);

// ---------------------------------------------------------------------------
//  Commands

int cmd_import(cli_t *cli, int argc, char **argv);   //  import.c
int cmd_simulate(cli_t *cli, int argc, char **argv); //  simulate.c

//  commands.c: progress, submit-done, verify, deadline, pause, resume,
//  cancel, adjust, appraise (cmd names the command).
int cmd_update(cli_t *cli, const char *cmd, int argc, char **argv);
bool cmd_is_update(const char *cmd);
int cmd_ranking(cli_t *cli, int argc, char **argv);
int cmd_explain(cli_t *cli, int argc, char **argv);
int cmd_alerts(cli_t *cli, int argc, char **argv);
int cmd_holds(cli_t *cli, int argc, char **argv);
int cmd_clock(cli_t *cli, int argc, char **argv);
int cmd_changes(cli_t *cli, int argc, char **argv);  //  changes.c
int cmd_history(cli_t *cli, int argc, char **argv);  //  history.c
int cmd_province(cli_t *cli, int argc, char **argv); //  history.c

//  One output-log record for people (two lines: "#seq  time  ward  unit
//  điểm a → b  hạng ..." and the tier and cause), or as a JSON object
//  (preceded by a comma unless first). changes.c.
void cli_print_change(FILE *f, const Cchc__ScoreChange *c);
void cli_print_change_json(FILE *f, const Cchc__ScoreChange *c, bool first);
int cmd_dead_letters(cli_t *cli, int argc, char **argv); //  deadletters.c

#endif
