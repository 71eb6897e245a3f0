/*  outlog.c - see outlog.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "outlog.h"

void outlog_fetch(cluster_t *c, uint32_t credit, outlog_t *o)
{
    memset(o, 0, sizeof(*o));
    uint64_t from = 1;
    for (;;) {
        Cchc__Fetch f = CCHC__FETCH__INIT;
        f.has_from_seq = f.has_credit = true;
        f.from_seq = from;
        f.credit = credit;
        Cchc__Envelope env = CCHC__ENVELOPE__INIT;
        env.body_case = CCHC__ENVELOPE__BODY_FETCH;
        env.fetch = &f;
        cchc_decoded_t *dec = NULL;
        assert_int_equal(cluster_call(c, SVC_SCORING, &env, &dec), 0);
        const Cchc__Envelope *r = cchc_decoded_env(dec);
        assert_int_equal(r->body_case, CCHC__ENVELOPE__BODY_CHANGE_BATCH);
        const Cchc__ChangeBatch *b = r->change_batch;
        assert_true(b->has_head_seq);
        assert_true(b->n_changes <= credit); //  flow control
        o->head = b->head_seq;
        o->items = realloc(o->items, (o->count + b->n_changes + 1) * sizeof(*o->items));
        assert_non_null(o->items);
        for (size_t i = 0; i < b->n_changes; i++) {
            size_t len = cchc__score_change__get_packed_size(b->changes[i]);
            o->packed = realloc(o->packed, o->packed_len + len + 1);
            assert_non_null(o->packed);
            cchc__score_change__pack(b->changes[i], o->packed + o->packed_len);
            o->items[o->count++] = cchc__score_change__unpack(NULL, len, o->packed + o->packed_len);
            o->packed_len += len;
        }
        bool done = b->n_changes == 0 || from + b->n_changes > b->head_seq;
        from += b->n_changes;
        cchc_decoded_destroy(&dec);
        if (done)
            break;
    }
}

void outlog_free(outlog_t *o)
{
    for (size_t i = 0; i < o->count; i++)
        cchc__score_change__free_unpacked(o->items[i], NULL);
    free(o->items);
    free(o->packed);
    memset(o, 0, sizeof(*o));
}

void outlog_assert_chained(cluster_t *c, const outlog_t *o, const char *const *wards, size_t nwards)
{
    assert_int_equal(o->count, o->head);
    for (size_t i = 0; i < o->count; i++) {
        const Cchc__ScoreChange *r = o->items[i];
        assert_int_equal(r->seq, i + 1);
        const Cchc__ScoreChange *prev = NULL;
        for (size_t j = i; j-- > 0 && !prev;)
            if (!strcmp(o->items[j]->ward, r->ward) && !strcmp(o->items[j]->unit, r->unit))
                prev = o->items[j];
        assert_int_equal(r->old_score_centi, prev ? prev->new_score_centi : 0);
        assert_int_equal(r->old_rank, prev ? prev->new_rank : 0);
        assert_int_equal(r->old_tier, prev ? prev->new_tier : CCHC__TIER__TIER_UNRATED);
    }
    for (size_t w = 0; w < nwards; w++) {
        cchc_decoded_t *dec = cluster_ranking(c, wards[w]);
        assert_non_null(dec);
        const Cchc__Ranking *rk = cchc_decoded_env(dec)->ranking;
        for (size_t e = 0; e < rk->n_entries; e++) {
            const Cchc__RankEntry *en = rk->entries[e];
            const Cchc__ScoreChange *last = NULL;
            for (size_t j = o->count; j-- > 0 && !last;)
                if (!strcmp(o->items[j]->ward, wards[w]) && !strcmp(o->items[j]->unit, en->unit))
                    last = o->items[j];
            assert_non_null(last);
            assert_int_equal(last->new_score_centi, en->score_centi);
            assert_int_equal(last->new_rank, en->rank);
            assert_int_equal(last->new_tier, en->tier);
        }
        cchc_decoded_destroy(&dec);
    }
}
