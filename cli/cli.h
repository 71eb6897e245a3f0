/*  cli.h - what the cchc commands share: endpoints, clients, output mode,
    and helpers to submit events and query the services. */
#ifndef CCHC_CLI_H
#define CCHC_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "client.h"
#include "sender.h"
#include "codec.h"

typedef struct {
    const char *intake_ep, *scoring_ep, *notify_ep;
    const char *ward;
    bool json;
    int timeout_ms;
    void *zctx;
    cchc_client_t *intake, *scoring, *notify; //  opened on first use
    cchc_sender_t *sender;                   //  this process's idempotent producer, on first use
} cli_t;

//  Submit events (actor and ward already set). Prints each rejected event's
//  error (Vietnamese, English, code) prefixed by what(i), the caller's
//  description of event i (may be NULL). seqs (n entries, may be NULL)
//  receives each event's seq or 0. The submission is resent with the same
//  producer number until acknowledged (never applied twice). Returns the
//  number rejected, or -1 if intake could not be reached in time (then
//  nothing was written).
int cli_submit(cli_t *cli, Cchc__Event **events, size_t n, uint64_t *seqs, uint64_t *head,
               const char *(*what)(void *arg, size_t i), void *what_arg);

//  Query a service; returns the reply (caller owns) or NULL after printing
//  why (timeout, or the service's Error).
cchc_decoded_t *cli_query(cli_t *cli, const char *service, Cchc__Envelope *req,
                          Cchc__Envelope__BodyCase want);

//  Intake's head seq and log time; returns 0 or -1.
int cli_status(cli_t *cli, uint64_t *head, int64_t *now_ms, bool *manual);

//  Move the manual clock; returns 0 or -1 (error printed).
int cli_advance(cli_t *cli, int64_t to_ms, uint64_t *head);

//  Wait until scoring and notify have consumed up to head. Returns 0 or -1.
int cli_wait_consumers(cli_t *cli, uint64_t head, int timeout_ms);

//  Print a ranking as a Vietnamese table (or JSON with cli->json).
void cli_print_ranking(cli_t *cli, const Cchc__Ranking *r);

int cmd_import(cli_t *cli, int argc, char **argv);
int cmd_simulate(cli_t *cli, int argc, char **argv);

#endif
