/*  errors.h - error replies: a specific code and a message in Vietnamese and
    English. The codes are the wire enum Cchc__ErrorCode (envelope.proto).
*/
#ifndef CCHC_ERRORS_H
#define CCHC_ERRORS_H

#include "envelope.pb-c.h"

typedef struct {
    Cchc__ErrorCode code; //  CCHC__ERROR_CODE__ERR_NONE when no error
    int index;            //  index of the offending event in a batch, or -1
    char vi[256];         //  Vietnamese message, UTF-8
    char en[256];         //  English message
} cchc_err_t;

//  Fill err with code's standard message followed by ": detail" (detail may
//  be NULL). Returns -1 so that validators can `return cchc_err_set (...)`.
int cchc_err_set(cchc_err_t *err, Cchc__ErrorCode code, int index, const char *detail);

//  The same with the detail in each language (a state, a reason) where the
//  detail is words rather than a code or a value.
int cchc_err_set_vi_en(cchc_err_t *err, Cchc__ErrorCode code, int index, const char *detail_vi,
                       const char *detail_en);

//  Reset to "no error".
void cchc_err_clear(cchc_err_t *err);

//  Stable lower-case name of a code, e.g. "unknown_task" (for metrics, logs).
const char *cchc_err_name(Cchc__ErrorCode code);

#endif
