/* Unit tests of the engine's BM25 index (core/engine/lexical.h). */
#include <stdint.h>

#include "igc_base.h"
#include "igc_test.h"
#include "igc_text.h"
#include "lexical.h"

/* A feature list from explicit ids (the word index is irrelevant to the index). */
static void feats_of_ids(igc_feats *f, const uint64_t *ids, size_t n) {
    f->f = calloc(n ? n : 1, sizeof *f->f);
    f->n = f->cap = n;
    for (size_t i = 0; i < n; i++) f->f[i] = (igc_feat){ids[i], 0, IGC_FEAT_WORD};
}

static int close_rel(double a, double b) { return fabs(a - b) <= 1e-5 * (fabs(a) + fabs(b) + 1e-6); }

/* Three documents of the same length, with feature 100 once, twice and three times:
 * the score of a query for 100 grows strictly with its frequency. */
TEST(bm25_monotonic_in_tf) {
    const double bs[] = {0.0, 0.5, 0.75};
    for (size_t bi = 0; bi < 3; bi++) {
        lex_index *x;
        REQUIRE(lex_new(1.2, bs[bi], &x) == 0);
        const uint64_t d[4][3] = {{100, 1, 2}, {100, 100, 3}, {100, 100, 100}, {4, 5, 6}};
        for (uint32_t i = 0; i < 4; i++) {
            igc_feats f;
            feats_of_ids(&f, d[i], 3);
            uint32_t id = 99;
            CHECK(lex_add(x, &f, NULL, &id) == 0);
            CHECK_EQ_INT(id, i);
            igc_text_feats_free(&f);
        }
        lex_finish(x);
        CHECK_EQ_INT(lex_ndocs(x), 4);
        igc_feats q;
        const uint64_t qi[] = {100};
        feats_of_ids(&q, qi, 1);
        float s[4];
        lex_score(x, &q, NULL, s);
        CHECK(s[0] > 0);
        CHECK(s[1] > s[0]);
        CHECK(s[2] > s[1]);
        CHECK(s[3] == 0);
        /* A query weight scales the score linearly. */
        const float w2[] = {2.0f};
        float s2[4];
        lex_score(x, &q, w2, s2);
        for (int i = 0; i < 4; i++) CHECK(close_rel(s2[i], 2.0 * s[i]));
        igc_text_feats_free(&q);
        lex_free(x);
    }
}

/* A field weight at add time acts as term frequency. */
TEST(bm25_weighted_tf) {
    lex_index *x;
    REQUIRE(lex_new(1.2, 0.0, &x) == 0);
    const uint64_t a[] = {7, 8}, b[] = {7, 8};
    const float wa[] = {1.0f, 1.0f}, wb[] = {3.0f, 1.0f};
    igc_feats f;
    feats_of_ids(&f, a, 2);
    CHECK(lex_add(x, &f, wa, NULL) == 0);
    igc_text_feats_free(&f);
    feats_of_ids(&f, b, 2);
    CHECK(lex_add(x, &f, wb, NULL) == 0);
    igc_text_feats_free(&f);
    const uint64_t c[] = {9};
    feats_of_ids(&f, c, 1);
    CHECK(lex_add(x, &f, NULL, NULL) == 0);
    igc_text_feats_free(&f);
    lex_finish(x);
    igc_feats q;
    const uint64_t qi[] = {7};
    feats_of_ids(&q, qi, 1);
    float s[3];
    lex_score(x, &q, NULL, s);
    CHECK(s[1] > s[0] && s[0] > 0);
    CHECK(s[2] == 0);
    igc_text_feats_free(&q);
    lex_free(x);
}

/* idf: 0 for a feature never added, larger for rarer features, positive for all. */
TEST(idf) {
    lex_index *x;
    REQUIRE(lex_new(1.2, 0.75, &x) == 0);
    for (int i = 0; i < 10; i++) {
        uint64_t ids[2] = {1000, 2000 + (uint64_t)i};
        igc_feats f;
        feats_of_ids(&f, ids, i < 3 ? 2 : 1); /* 2000..2002 in one document each */
        CHECK(lex_add(x, &f, NULL, NULL) == 0);
        igc_text_feats_free(&f);
    }
    lex_finish(x);
    CHECK(lex_idf(x, 123456789) == 0.0f);
    CHECK(lex_idf(x, 2005) == 0.0f); /* never added: document 5 had only 1000 */
    CHECK(lex_idf(x, 1000) > 0);
    CHECK(lex_idf(x, 2001) > lex_idf(x, 1000));
    CHECK(lex_idf(x, 2000) == lex_idf(x, 2001));
    /* Query features unknown to the index contribute nothing. */
    igc_feats q;
    const uint64_t qi[] = {123456789, 987654321};
    feats_of_ids(&q, qi, 2);
    float s[10];
    lex_score(x, &q, NULL, s);
    for (int i = 0; i < 10; i++) CHECK(s[i] == 0);
    float c[2] = {5, 5};
    lex_contrib(x, &q, NULL, 0, c);
    CHECK(c[0] == 0 && c[1] == 0);
    igc_text_feats_free(&q);
    lex_free(x);
}

/* The per-feature contributions of a query to a document add up to its score, for
 * every document, with query weights and repeated query features; many documents and
 * more distinct features than the initial table (forcing it to grow). */
TEST(contributions_sum_to_score) {
    lex_index *x;
    REQUIRE(lex_new(1.2, 0.5, &x) == 0);
    const char *texts[] = {"리튬이온배터리 양극재 제조", "2차전지 음극재와 전해액", "BIM 설계 소프트웨어 개발",
                           "인공지능 기반 의료영상 판독", "배터리 재활용 및 양극재 회수", "5G 통신장비 RPA",
                           "수소연료전지 스택", "반도체 장비 부품 세정"};
    size_t nt = sizeof texts / sizeof texts[0];
    for (size_t i = 0; i < nt; i++) {
        igc_feats f = {0};
        REQUIRE(igc_text_features_of(texts[i], &f) == 0);
        CHECK(lex_add(x, &f, NULL, NULL) == 0);
        igc_text_feats_free(&f);
    }
    /* 3000 documents of synthetic distinct features */
    for (uint64_t i = 0; i < 3000; i++) {
        uint64_t ids[3] = {0x1000000 + i, 0x2000000 + i % 7, 0x3000000 + i * 13};
        igc_feats f;
        feats_of_ids(&f, ids, 3);
        CHECK(lex_add(x, &f, NULL, NULL) == 0);
        igc_text_feats_free(&f);
    }
    lex_finish(x);
    CHECK_EQ_INT(lex_ndocs(x), nt + 3000);
    /* every added feature is still found after the table grew */
    int lost = 0;
    for (uint64_t i = 0; i < 3000; i++) lost += lex_idf(x, 0x1000000 + i) <= 0 || lex_idf(x, 0x3000000 + i * 13) <= 0;
    CHECK_EQ_INT(lost, 0);

    igc_feats q = {0};
    REQUIRE(igc_text_features_of("배터리 양극재 양극재 재활용 BIM 5G 반도체", &q) == 0);
    /* add two synthetic features, one repeated */
    uint64_t extra[3] = {0x1000000 + 5, 0x2000000 + 3, 0x2000000 + 3};
    for (int k = 0; k < 3; k++) {
        if (q.n == q.cap) {
            q.cap = q.cap * 2 + 4;
            q.f = realloc(q.f, q.cap * sizeof *q.f);
        }
        q.f[q.n++] = (igc_feat){extra[k], 0, IGC_FEAT_WORD};
    }
    float *qw = malloc(q.n * sizeof *qw), *c = malloc(q.n * sizeof *c);
    for (size_t i = 0; i < q.n; i++) qw[i] = 0.25f + (float)(i % 5) * 0.3f;
    size_t nd = lex_ndocs(x);
    float *s = malloc(nd * sizeof *s);
    for (int weighted = 0; weighted < 2; weighted++) {
        const float *w = weighted ? qw : NULL;
        lex_score(x, &q, w, s);
        size_t nonzero = 0, bad = 0;
        for (size_t d = 0; d < nd; d++) {
            lex_contrib(x, &q, w, (uint32_t)d, c);
            double sum = 0;
            for (size_t i = 0; i < q.n; i++) {
                sum += c[i];
                if (c[i] < 0) bad++;
            }
            if (!close_rel(sum, s[d])) {
                if (bad < 5) fprintf(stderr, "  doc %zu: sum %g score %g\n", d, sum, (double)s[d]);
                bad++;
            }
            nonzero += s[d] > 0;
        }
        CHECK_EQ_INT(bad, 0);
        CHECK(nonzero >= 5); /* the Korean documents and the synthetic ones matched */
    }
    free(s), free(c), free(qw);
    igc_text_feats_free(&q);
    lex_free(x);
}

/* Documents added after lex_finish() are scored before the next one (their norm is
 * computed on the fly), the same as an identical document that was there at the
 * last finish; after the next finish, contributions still sum to the score. */
TEST(documents_added_after_finish) {
    lex_index *x;
    REQUIRE(lex_new(1.2, 0.75, &x) == 0);
    const uint64_t d[3][4] = {{100, 101, 1, 2}, {100, 3, 4, 5}, {6, 7, 8, 9}};
    for (int i = 0; i < 3; i++) {
        igc_feats f;
        feats_of_ids(&f, d[i], 4);
        CHECK(lex_add(x, &f, NULL, NULL) == 0);
        igc_text_feats_free(&f);
    }
    lex_finish(x);
    igc_feats f;
    feats_of_ids(&f, d[0], 4); /* a copy of document 0 */
    uint32_t id = 0;
    CHECK(lex_add(x, &f, NULL, &id) == 0);
    igc_text_feats_free(&f);
    CHECK_EQ_INT(id, 3);
    igc_feats q;
    const uint64_t qi[] = {100, 101};
    feats_of_ids(&q, qi, 2);
    float s[4], c[2];
    lex_score(x, &q, NULL, s);
    CHECK(s[0] > 0);
    CHECK(close_rel(s[3], s[0]));
    lex_finish(x);
    lex_score(x, &q, NULL, s);
    CHECK(close_rel(s[3], s[0]));
    CHECK(s[0] > s[1] && s[1] > 0 && s[2] == 0);
    for (uint32_t doc = 0; doc < 4; doc++) {
        lex_contrib(x, &q, NULL, doc, c);
        CHECK(close_rel((double)c[0] + c[1], s[doc]));
    }
    igc_text_feats_free(&q);
    lex_free(x);
}

/* A document added after the last finish is found through words no earlier
 * document had, also when the index was empty at that finish (a fresh store whose
 * first judgment was just saved); a finish gives it the usual statistics. */
TEST(new_words_after_finish) {
    lex_index *x;
    REQUIRE(lex_new(1.2, 0.75, &x) == 0);
    lex_finish(x);
    const uint64_t d0[] = {200, 201, 202}, d1[] = {300, 301};
    igc_feats f, q;
    float s[2];
    feats_of_ids(&f, d0, 3);
    CHECK(lex_add(x, &f, NULL, NULL) == 0);
    igc_text_feats_free(&f);
    feats_of_ids(&q, d0, 1);
    lex_score(x, &q, NULL, s);
    CHECK(s[0] > 0);
    CHECK(lex_idf(x, 200) > 0);
    lex_finish(x);
    feats_of_ids(&f, d1, 2);
    CHECK(lex_add(x, &f, NULL, NULL) == 0);
    igc_text_feats_free(&f);
    igc_text_feats_free(&q);
    feats_of_ids(&q, d1, 2);
    lex_score(x, &q, NULL, s);
    CHECK(s[0] == 0 && s[1] > 0);
    float before = s[1];
    lex_finish(x);
    lex_score(x, &q, NULL, s);
    CHECK(s[0] == 0 && s[1] > 0);
    /* the same idf either way; only the length norm is refreshed */
    CHECK(fabsf(s[1] - before) < 0.5f * before);
    igc_text_feats_free(&q);
    lex_free(x);
}

/* Edge cases: an empty index, an empty document, an empty query. */
TEST(empty_cases) {
    lex_index *x;
    REQUIRE(lex_new(1.2, 0.75, &x) == 0);
    lex_finish(x);
    CHECK_EQ_INT(lex_ndocs(x), 0);
    igc_feats q;
    const uint64_t qi[] = {1, 2};
    feats_of_ids(&q, qi, 2);
    float dummy = 42;
    lex_score(x, &q, NULL, &dummy); /* writes nothing for 0 docs */
    CHECK(dummy == 42);
    CHECK(lex_idf(x, 1) == 0.0f);
    igc_feats empty = {0};
    CHECK(lex_add(x, &empty, NULL, NULL) == 0);
    CHECK(lex_add(x, &q, NULL, NULL) == 0);
    lex_finish(x);
    float s[2] = {-1, -1};
    lex_score(x, &q, NULL, s);
    CHECK(s[0] == 0);
    CHECK(s[1] > 0 && isfinite(s[1]));
    lex_score(x, &empty, NULL, s);
    CHECK(s[0] == 0 && s[1] == 0);
    igc_text_feats_free(&q);
    lex_free(x);
    lex_free(NULL);
}

IGC_TEST_MAIN(TEST_ENTRY(bm25_monotonic_in_tf), TEST_ENTRY(bm25_weighted_tf), TEST_ENTRY(idf),
              TEST_ENTRY(contributions_sum_to_score), TEST_ENTRY(empty_cases),
              TEST_ENTRY(documents_added_after_finish), TEST_ENTRY(new_words_after_finish))
