/*  test_codec.c - the envelope: round trip, size cap, memory budget,
    malformed input, versions, errors in both languages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static void test_round_trip(void **state)
{
    (void)state;
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = "CCHC-01";
    p.has_percent = true;
    p.percent = 60;
    p.note = "Đã dự thảo kế hoạch";
    Cchc__Event ev = CCHC__EVENT__INIT;
    ev.ward = "LTN";
    ev.actor = "VHXH";
    ev.payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
    ev.progress_reported = &p;
    Cchc__Event *events[1] = {&ev};
    Cchc__Submit submit = CCHC__SUBMIT__INIT;
    submit.n_events = 1;
    submit.events = events;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_request_id = true;
    env.request_id = 42;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    zmq_msg_t msg;
    assert_int_equal(cchc_encode(&env, &msg), 0);
    cchc_decoded_t *dec = NULL;
    uint64_t id = 0;
    cchc_err_t err;
    assert_int_equal(
        cchc_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), CCHC_DEFAULT_MAX_MSG_BYTES, &dec, &id, &err), 0);
    zmq_msg_close(&msg);
    assert_int_equal(id, 42);
    const Cchc__Envelope *got = cchc_decoded_env(dec);
    assert_int_equal(got->version, CCHC_PROTOCOL_VERSION);
    assert_int_equal(got->body_case, CCHC__ENVELOPE__BODY_SUBMIT);
    assert_string_equal(got->submit->events[0]->progress_reported->note, "Đã dự thảo kế hoạch");
    cchc_decoded_destroy(&dec);
    assert_null(dec);
}

static void test_over_the_cap(void **state)
{
    (void)state;
    uint8_t *big = calloc(1, 70000);
    cchc_decoded_t *dec = NULL;
    uint64_t id = 7;
    cchc_err_t err;
    assert_int_equal(cchc_decode(big, 70000, 65536, &dec, &id, &err), -1);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_OVERSIZED);
    assert_null(dec);
    assert_int_equal(id, 0);
    assert_non_null(strstr(err.en, "70000"));
    free(big);
}

//  Thousands of empty events cost 2 bytes each on the wire but a full
//  Event struct each once unpacked: the arena budget refuses it.
static void test_memory_budget(void **state)
{
    (void)state;
    size_t n = 20000;
    Cchc__Event *evs = calloc(n, sizeof(Cchc__Event));
    Cchc__Event **ptrs = calloc(n, sizeof(Cchc__Event *));
    for (size_t i = 0; i < n; i++) {
        cchc__event__init(&evs[i]);
        ptrs[i] = &evs[i];
    }
    Cchc__Submit submit = CCHC__SUBMIT__INIT;
    submit.n_events = n;
    submit.events = ptrs;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    uint8_t *buf;
    size_t len;
    assert_int_equal(cchc_encode_buf(&env, &buf, &len), 0);
    assert_true(len < 65536); //  small on the wire
    assert_true(n * sizeof(Cchc__Event) > CCHC_DECODE_EXPANSION * len + 4096);
    cchc_decoded_t *dec = NULL;
    cchc_err_t err;
    uint64_t id = 5;
    assert_int_equal(cchc_decode(buf, len, 65536, &dec, &id, &err), -1);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_OVERSIZED);
    assert_null(dec);
    assert_int_equal(id, 0); //  the envelope never unpacked: nothing to echo
    assert_string_equal(err.vi, "Thông điệp vượt quá kích thước cho phép: vượt ngân sách bộ nhớ");
    assert_string_equal(err.en, "message too large: memory budget exceeded");
    free(buf);
    //  the same number of bytes in real progress reports fits its budget
    Cchc__ProgressReported p = CCHC__PROGRESS_REPORTED__INIT;
    p.task = "CCHC-2026-017";
    p.has_percent = true;
    p.percent = 40;
    p.note = "Đang lấy ý kiến các phòng";
    size_t real = 600;
    for (size_t i = 0; i < real; i++) {
        evs[i].ward = "LTN";
        evs[i].actor = "VHXH";
        evs[i].payload_case = CCHC__EVENT__PAYLOAD_PROGRESS_REPORTED;
        evs[i].progress_reported = &p;
    }
    submit.n_events = real;
    assert_int_equal(cchc_encode_buf(&env, &buf, &len), 0);
    assert_int_equal(cchc_decode(buf, len, 65536, &dec, NULL, &err), 0);
    assert_int_equal(cchc_decoded_env(dec)->submit->n_events, real);
    assert_string_equal(cchc_decoded_env(dec)->submit->events[real - 1]->progress_reported->note, p.note);
    cchc_decoded_destroy(&dec);
    free(buf);
    free(ptrs);
    free(evs);
}

//  The Ack of a big batch decodes: one seq per event. Unpacked, each seq
//  was a field of its own and protobuf-c's scan slabs (32 bytes a field)
//  broke a budget of 16x the wire size at about 490 events; packed seqs and
//  a budget above the worst unpacked case (about 36x) both keep it working.
static void test_big_ack(void **state)
{
    (void)state;
    enum { N = 20000 };
    uint64_t *seqs = calloc(N, sizeof(uint64_t));
    for (size_t i = 0; i < N; i++)
        seqs[i] = 1000 + i;
    Cchc__Ack ack = CCHC__ACK__INIT;
    ack.n_seqs = N;
    ack.seqs = seqs;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_ACK;
    env.ack = &ack;
    uint8_t *buf;
    size_t len;
    assert_int_equal(cchc_encode_buf(&env, &buf, &len), 0);
    assert_true(len < 3 * N); //  packed: no tag per seq
    cchc_decoded_t *dec = NULL;
    cchc_err_t err;
    assert_int_equal(cchc_decode(buf, len, 1 << 20, &dec, NULL, &err), 0);
    assert_int_equal(cchc_decoded_env(dec)->ack->n_seqs, N);
    assert_int_equal(cchc_decoded_env(dec)->ack->seqs[N - 1], 1000 + N - 1);
    cchc_decoded_destroy(&dec);
    free(buf);
    //  the same seqs unpacked (as an older peer sends them) still decode
    uint8_t *raw = malloc(6 * N + 64), *p = raw;
    *p++ = (CCHC__ENVELOPE__BODY_ACK << 3) | 2;
    size_t body = 0;
    for (size_t i = 0; i < N; i++)
        body += 1 + (seqs[i] < 16384 ? 2 : 3);
    for (size_t v = body;; v >>= 7) {
        *p++ = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        if (!(v >> 7))
            break;
    }
    for (size_t i = 0; i < N; i++) {
        *p++ = (1 << 3) | 0; //  Ack.seqs, one varint field each
        for (uint64_t v = seqs[i];; v >>= 7) {
            *p++ = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
            if (!(v >> 7))
                break;
        }
    }
    *p++ = (1 << 3) | 0; //  Envelope.version
    *p++ = CCHC_PROTOCOL_VERSION;
    assert_int_equal(cchc_decode(raw, (size_t)(p - raw), 1 << 20, &dec, NULL, &err), 0);
    assert_int_equal(cchc_decoded_env(dec)->ack->n_seqs, N);
    assert_int_equal(cchc_decoded_env(dec)->ack->seqs[N - 1], 1000 + N - 1);
    cchc_decoded_destroy(&dec);
    free(raw);
    free(seqs);
}

//  A legitimate reply with many nested messages decodes: protobuf-c's
//  temporary parsing memory is freed as it goes and only live bytes count
//  against the budget (a ranking of 60 units once failed here).
static void test_many_nested_messages(void **state)
{
    (void)state;
    Cchc__RankEntry entries[60], *ptrs[60];
    char codes[60][8];
    for (int i = 0; i < 60; i++) {
        cchc__rank_entry__init(&entries[i]);
        snprintf(codes[i], sizeof(codes[i]), "U%02d", i);
        entries[i].unit = entries[i].unit_name = codes[i];
        entries[i].par_group = "A";
        entries[i].has_rank = entries[i].has_score_centi = entries[i].has_tier = true;
        entries[i].rank = (uint32_t)i + 1;
        entries[i].score_centi = 9000 - i;
        entries[i].tier = CCHC__TIER__TIER_GOOD;
        ptrs[i] = &entries[i];
    }
    Cchc__Ranking r = CCHC__RANKING__INIT;
    r.ward = "W";
    r.ward_name = "Phường đo hiệu năng";
    r.n_entries = 60;
    r.entries = ptrs;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING;
    env.ranking = &r;
    uint8_t *buf;
    size_t len;
    assert_int_equal(cchc_encode_buf(&env, &buf, &len), 0);
    cchc_decoded_t *dec = NULL;
    cchc_err_t err;
    assert_int_equal(cchc_decode(buf, len, 65536, &dec, NULL, &err), 0);
    assert_int_equal(cchc_decoded_env(dec)->ranking->n_entries, 60);
    assert_string_equal(cchc_decoded_env(dec)->ranking->entries[59]->unit, "U59");
    cchc_decoded_destroy(&dec);
    free(buf);
}

static void test_malformed(void **state)
{
    (void)state;
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 'x', 'y'};
    cchc_decoded_t *dec = NULL;
    cchc_err_t err;
    assert_int_equal(cchc_decode(garbage, sizeof(garbage), 65536, &dec, NULL, &err), -1);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_MALFORMED);
    //  a truncated valid message is malformed too
    Cchc__StatusQuery sq = CCHC__STATUS_QUERY__INIT;
    Cchc__RankingQuery rq = CCHC__RANKING_QUERY__INIT;
    rq.ward = "LTN-LONG-WARD-CODE";
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.body_case = CCHC__ENVELOPE__BODY_RANKING_QUERY;
    env.ranking_query = &rq;
    (void)sq;
    uint8_t *buf;
    size_t len;
    assert_int_equal(cchc_encode_buf(&env, &buf, &len), 0);
    assert_int_equal(cchc_decode(buf, len - 3, 65536, &dec, NULL, &err), -1);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_MALFORMED);
    free(buf);
}

static void test_version_and_type(void **state)
{
    (void)state;
    Cchc__StatusQuery sq = CCHC__STATUS_QUERY__INIT;
    Cchc__Envelope env = CCHC__ENVELOPE__INIT;
    env.has_version = true;
    env.version = 2;
    env.has_request_id = true;
    env.request_id = 9;
    env.body_case = CCHC__ENVELOPE__BODY_STATUS_QUERY;
    env.status_query = &sq;
    uint8_t buf[64];
    size_t len = cchc__envelope__pack(&env, buf);
    cchc_decoded_t *dec = NULL;
    uint64_t id = 0;
    cchc_err_t err;
    assert_int_equal(cchc_decode(buf, len, 65536, &dec, &id, &err), -1);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_UNSUPPORTED_VERSION);
    assert_int_equal(id, 9); //  echoed so that the error reply can be matched
    assert_null(dec);
    assert_string_equal(err.en, "unsupported protocol version: got version 2, expected 1");
    assert_string_equal(err.vi, "Phiên bản giao thức không được hỗ trợ: nhận phiên bản 2, cần phiên bản 1");

    env.has_version = false; //  an envelope without a version is refused too
    len = cchc__envelope__pack(&env, buf);
    assert_int_equal(cchc_decode(buf, len, 65536, &dec, &id, &err), -1);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_UNSUPPORTED_VERSION);
    assert_non_null(strstr(err.en, "no version"));

    Cchc__Envelope none = CCHC__ENVELOPE__INIT;
    none.has_version = true;
    none.version = 1;
    none.has_request_id = true;
    none.request_id = 11;
    len = cchc__envelope__pack(&none, buf);
    assert_int_equal(cchc_decode(buf, len, 65536, &dec, &id, &err), -1);
    assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE);
    assert_int_equal(id, 11);
    assert_null(dec);
}

//  Random bytes of random lengths (fixed seed): every decode ends in success
//  or one of the decode errors, never a crash or a leak (run under ASan).
static void test_random_bytes(void **state)
{
    (void)state;
    srand(20260114);
    uint8_t buf[512];
    int malformed = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(rand() % (int)sizeof(buf));
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rand();
        cchc_decoded_t *dec = NULL;
        uint64_t id;
        cchc_err_t err;
        int rc = cchc_decode(buf, len, 256, &dec, &id, &err);
        if (rc == 0) {
            assert_non_null(dec);
            cchc_decoded_destroy(&dec);
            continue;
        }
        assert_null(dec);
        assert_true(err.code == CCHC__ERROR_CODE__ERR_MALFORMED ||
                    err.code == CCHC__ERROR_CODE__ERR_OVERSIZED ||
                    err.code == CCHC__ERROR_CODE__ERR_UNSUPPORTED_VERSION ||
                    err.code == CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE);
        if (len > 256)
            assert_int_equal(err.code, CCHC__ERROR_CODE__ERR_OVERSIZED);
        malformed += err.code == CCHC__ERROR_CODE__ERR_MALFORMED;
    }
    assert_true(malformed > 1000);
}

static void test_error_reply(void **state)
{
    (void)state;
    cchc_err_t err;
    cchc_err_set(&err, CCHC__ERROR_CODE__ERR_UNKNOWN_TASK, 3, "CCHC-99");
    zmq_msg_t msg;
    assert_int_equal(cchc_encode_error(&err, 77, &msg), 0);
    cchc_decoded_t *dec = NULL;
    uint64_t id = 0;
    cchc_err_t err2;
    assert_int_equal(cchc_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), 65536, &dec, &id, &err2), 0);
    zmq_msg_close(&msg);
    const Cchc__Envelope *env = cchc_decoded_env(dec);
    assert_int_equal(id, 77);
    assert_int_equal(env->error->code, CCHC__ERROR_CODE__ERR_UNKNOWN_TASK);
    assert_int_equal(env->error->index, 3);
    assert_string_equal(env->error->message_vi, "Nhiệm vụ không tồn tại: CCHC-99");
    assert_string_equal(env->error->message_en, "unknown task: CCHC-99");
    cchc_decoded_destroy(&dec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_over_the_cap),
        cmocka_unit_test(test_memory_budget),    cmocka_unit_test(test_many_nested_messages),
        cmocka_unit_test(test_big_ack),          cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_version_and_type), cmocka_unit_test(test_error_reply),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
