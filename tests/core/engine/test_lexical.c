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

/* ---- top k and class sums over an index of many documents ---- */

static uint64_t rnd(uint64_t *st) {
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return *st;
}

/* A feature drawn so that small ids are common (some in most documents, past the
 * length at which class sums are kept) and large ones rare. */
static uint64_t zipf_feat(uint64_t *st) { return 1 + (uint64_t)exp((double)(rnd(st) % 10000) / 10000.0 * log(20000.0)); }

#define NCLS 12

/* Adds a random document: 5..44 features (some repeated), field-like weights,
 * 0..3 classes. */
static void add_random_doc(lex_index *x, uint64_t *st, lex_classes *out) {
    size_t n = 5 + rnd(st) % 40;
    uint64_t ids[64];
    float w[64];
    for (size_t i = 0; i < n; i++) {
        ids[i] = zipf_feat(st);
        w[i] = (float)(1 + rnd(st) % 4) * 0.25f;
    }
    igc_feats f;
    feats_of_ids(&f, ids, n);
    lex_classes c = {{-1, -1, -1}, {1.0f, 0.5f, 0.5f}};
    int nc = (int)(rnd(st) % 4);
    for (int k = 0; k < nc; k++) c.c[k] = (int)((rnd(st) % NCLS + (uint64_t)k * 5) % NCLS); /* distinct */
    CHECK(lex_add_classed(x, &f, w, &c, NULL) == 0);
    igc_text_feats_free(&f);
    *out = c;
}

/* Removes document d, its features found again from the generator's state before it. */
static void remove_doc(lex_index *x, uint64_t st_before, uint32_t d) {
    uint64_t st = st_before;
    size_t n = 5 + rnd(&st) % 40;
    uint64_t ids[64];
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t id = zipf_feat(&st);
        rnd(&st);
        int seen = 0;
        for (size_t j = 0; j < u; j++) seen |= ids[j] == id;
        if (!seen) ids[u++] = id; /* distinct, as lex_remove wants them */
    }
    n = u;
    CHECK(lex_remove(x, d, ids, n) == 0);
    CHECK(lex_remove(x, d, ids, n) == IGC_ENOTFOUND);
}

static void random_query(uint64_t *st, igc_feats *q, float *qw) {
    uint64_t ids[40];
    size_t n = 1 + rnd(st) % 40;
    for (size_t i = 0; i < n; i++) {
        /* now and then a feature twice, or one no document has */
        ids[i] = i && rnd(st) % 8 == 0 ? ids[i - 1] : rnd(st) % 16 == 0 ? 900000 + i : zipf_feat(st);
        qw[i] = (float)(1 + rnd(st) % 5) * 0.2f;
    }
    feats_of_ids(q, ids, n);
}

/* The k best by an exhaustive lex_score, leaving out removed[] and excl[]. */
static size_t exhaustive_top(const lex_index *x, const igc_feats *q, const float *qw, const unsigned char *out_set,
                             size_t k, lex_hit *top) {
    size_t nd = lex_ndocs(x), n = 0;
    float *s = malloc((nd + 1) * sizeof *s);
    lex_score(x, q, qw, s);
    for (size_t d = 0; d < nd; d++) {
        if (out_set[d] || !(s[d] > 0)) continue;
        lex_hit h = {(uint32_t)d, s[d]};
        size_t j = n < k ? n++ : k;
        if (j == k && (h.score < top[k - 1].score || h.score == top[k - 1].score)) continue;
        if (j == k) j = k - 1;
        while (j > 0 && top[j - 1].score < h.score) top[j] = top[j - 1], j--;
        top[j] = h;
    }
    free(s);
    return n;
}

/* The class sums recomputed from lex_score's scores. */
static void exhaustive_sums(const lex_index *x, const igc_feats *q, const float *qw, const unsigned char *removed,
                            const lex_classes *cls, double *sums) {
    size_t nd = lex_ndocs(x);
    float *s = malloc((nd + 1) * sizeof *s);
    lex_score(x, q, qw, s);
    memset(sums, 0, NCLS * sizeof *sums);
    for (size_t d = 0; d < nd; d++)
        for (int k = 0; k < 3 && !removed[d]; k++)
            if (cls[d].c[k] >= 0) sums[cls[d].c[k]] += cls[d].w[k] * (double)s[d];
    free(s);
}

/* Compares lex_top_k with the exhaustive top k (the same documents in the same
 * order, the same float scores) and lex_class_sums and lex_doc_score with sums and
 * scores from lex_score, on nq random queries; returns the mismatches. */
static size_t compare_queries(const lex_index *x, uint64_t *st, size_t nq, const unsigned char *removed,
                              const lex_classes *cls) {
    size_t nd = lex_ndocs(x), bad = 0;
    unsigned char *out_set = malloc(nd + 1);
    float *s = malloc((nd + 1) * sizeof *s);
    for (size_t qi = 0; qi < nq; qi++) {
        igc_feats q;
        float qw[40];
        random_query(st, &q, qw);
        const float *w = qi % 3 ? qw : NULL;
        /* left out: the removed ones, and now and then a few more */
        memcpy(out_set, removed, nd);
        uint32_t excl[4];
        size_t nexcl = qi % 2 ? rnd(st) % 4 : 0;
        for (size_t j = 0; j < nexcl; j++) out_set[excl[j] = (uint32_t)(rnd(st) % nd)] = 1;
        const size_t ks[] = {1, 3, 10, 40, 5000};
        size_t k = ks[qi % 5];
        lex_hit *a = malloc(k * sizeof *a), *b = malloc(k * sizeof *b);
        size_t na = 99, nb = exhaustive_top(x, &q, w, out_set, k, b);
        CHECK(lex_top_k(x, &q, w, k, excl, nexcl, a, &na) == 0);
        int same = na == nb;
        for (size_t j = 0; same && j < na; j++) same = a[j].doc == b[j].doc && a[j].score == b[j].score;
        if (!same && bad < 3)
            fprintf(stderr, "  query %zu, k %zu: top-k of %zu, exhaustive %zu (first %u %g / %u %g)\n", qi, k, na, nb,
                    na ? a[0].doc : 0, na ? (double)a[0].score : 0, nb ? b[0].doc : 0, nb ? (double)b[0].score : 0);
        bad += !same;
        double got[NCLS] = {0}, want[NCLS];
        lex_class_sums(x, &q, w, got);
        exhaustive_sums(x, &q, w, removed, cls, want);
        for (int c = 0; c < NCLS; c++)
            if (fabs(got[c] - want[c]) > 1e-5 * (fabs(want[c]) + 1e-3)) {
                if (bad < 3) fprintf(stderr, "  query %zu class %d: sum %.9g, from the scores %.9g\n", qi, c, got[c], want[c]);
                bad++;
            }
        lex_score(x, &q, w, s);
        for (size_t j = 0; j < 20; j++) {
            uint32_t d = (uint32_t)(rnd(st) % nd);
            bad += lex_doc_score(x, &q, w, d) != s[d];
        }
        free(a), free(b);
        igc_text_feats_free(&q);
    }
    free(out_set), free(s);
    return bad;
}

/* lex_top_k gives exactly the exhaustive k best, and lex_class_sums the sums of the
 * scores, on random queries: after a finish, with documents added since (normalised
 * on the fly, their class sums kept as they come, some terms reaching the length at
 * which sums are kept), after removals, and after the statistics were refreshed by
 * lex_finish or by lex_prepare/lex_apply (which agree bit for bit). */
TEST(top_k_and_class_sums) {
    lex_index *x, *y;
    REQUIRE(lex_new(1.2, 0.75, &x) == 0);
    REQUIRE(lex_new(1.2, 0.75, &y) == 0);
    CHECK(lex_set_nclass(x, NCLS) == 0);
    CHECK(lex_set_nclass(y, NCLS) == 0);
    /* x bounds (MaxScore) at any size, y scores every document: both must give the
     * exhaustive top k */
    lex_set_exhaustive_max(x, 0);
    enum { ND = 4000 };
    uint64_t st = 88172645463325252ULL, sq = 12345, *before = calloc(ND, sizeof *before);
    lex_classes *cls = calloc(ND, sizeof *cls);
    unsigned char *removed = calloc(ND, 1);
    /* x and its twin y get the same documents */
    for (size_t d = 0; d < ND / 2; d++) {
        uint64_t sy = before[d] = st;
        add_random_doc(x, &st, &cls[d]);
        add_random_doc(y, &sy, &cls[d]);
    }
    lex_finish(x);
    lex_finish(y);
    CHECK_EQ_INT(compare_queries(x, &sq, 100, removed, cls), 0);
    /* more documents, scored before the next finish */
    for (size_t d = ND / 2; d < ND; d++) {
        uint64_t sy = before[d] = st;
        add_random_doc(x, &st, &cls[d]);
        add_random_doc(y, &sy, &cls[d]);
    }
    CHECK_EQ_INT(compare_queries(x, &sq, 100, removed, cls), 0);
    /* removals: out of the top k and of the sums */
    for (uint32_t d = 7; d < ND; d += 13) {
        remove_doc(x, before[d], d);
        remove_doc(y, before[d], d);
        removed[d] = 1;
    }
    CHECK_EQ_INT(compare_queries(x, &sq, 100, removed, cls), 0);
    /* statistics refreshed: in one step on x, in two on y, the same sums either way */
    lex_stats *sts = NULL;
    REQUIRE(lex_prepare(y, &sts) == 0);
    lex_finish(x);
    CHECK_EQ_INT(lex_apply(y, sts), 0);
    lex_stats_free(sts); /* what apply replaced */
    CHECK_EQ_INT(compare_queries(x, &sq, 100, removed, cls), 0);
    CHECK_EQ_INT(compare_queries(y, &sq, 50, removed, cls), 0);
    size_t differ = 0;
    for (size_t qi = 0; qi < 50; qi++) {
        igc_feats q;
        float qw[40];
        random_query(&sq, &q, qw);
        double a[NCLS] = {0}, b[NCLS] = {0};
        lex_class_sums(x, &q, qw, a);
        lex_class_sums(y, &q, qw, b);
        differ += memcmp(a, b, sizeof a) != 0;
        igc_text_feats_free(&q);
    }
    CHECK_EQ_INT(differ, 0);
    /* a removal between the two steps: the prepared statistics are stale */
    REQUIRE(lex_prepare(y, &sts) == 0);
    remove_doc(y, before[8], 8);
    CHECK_EQ_INT(lex_apply(y, sts), IGC_ESTATE);
    lex_stats_free(sts);
    CHECK(lex_set_nclass(y, 3) == IGC_ESTATE); /* classes are set before the first document */
    free(cls), free(removed), free(before);
    lex_free(x), lex_free(y);
}

/* The top k of an index without classes, of an empty one, for an empty query. */
TEST(top_k_edges) {
    lex_index *x;
    REQUIRE(lex_new(1.2, 0.75, &x) == 0);
    lex_finish(x);
    igc_feats q;
    const uint64_t qi[] = {1, 2};
    feats_of_ids(&q, qi, 2);
    lex_hit h[3];
    size_t n = 99;
    CHECK(lex_top_k(x, &q, NULL, 3, NULL, 0, h, &n) == 0 && n == 0);
    lex_set_exhaustive_max(x, 0); /* empty through the bounds too: no zero-sized buffers */
    n = 99;
    CHECK(lex_top_k(x, &q, NULL, 3, NULL, 0, h, &n) == 0 && n == 0);
    lex_set_exhaustive_max(x, 2048);
    const uint64_t d[3][2] = {{1, 5}, {2, 6}, {1, 2}};
    for (int i = 0; i < 3; i++) {
        igc_feats f;
        feats_of_ids(&f, d[i], 2);
        CHECK(lex_add(x, &f, NULL, NULL) == 0);
        igc_text_feats_free(&f);
    }
    CHECK(lex_top_k(x, &q, NULL, 3, NULL, 0, h, &n) == 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(h[0].doc, 2); /* both features */
    CHECK(h[1].score == h[2].score && h[1].doc == 0 && h[2].doc == 1); /* a tie: the earlier first */
    const uint32_t ex[] = {2};
    CHECK(lex_top_k(x, &q, NULL, 1, ex, 1, h, &n) == 0 && n == 1 && h[0].doc == 0);
    /* the same through the bounds, with no list of left-out documents at all (NULL, as
     * the case dictionary asks: once passed on to memcpy, which UBSan refuses) */
    lex_set_exhaustive_max(x, 0);
    CHECK(lex_top_k(x, &q, NULL, 3, NULL, 0, h, &n) == 0 && n == 3 && h[0].doc == 2 && h[1].doc == 0);
    CHECK(lex_top_k(x, &q, NULL, 1, ex, 1, h, &n) == 0 && n == 1 && h[0].doc == 0);
    double sums[1] = {0};
    lex_class_sums(x, &q, NULL, sums); /* no classes: nothing added */
    CHECK(sums[0] == 0);
    igc_feats empty = {0};
    CHECK(lex_top_k(x, &empty, NULL, 3, NULL, 0, h, &n) == 0 && n == 0);
    igc_text_feats_free(&q);
    lex_free(x);
}

IGC_TEST_MAIN(TEST_ENTRY(bm25_monotonic_in_tf), TEST_ENTRY(bm25_weighted_tf), TEST_ENTRY(idf),
              TEST_ENTRY(contributions_sum_to_score), TEST_ENTRY(empty_cases),
              TEST_ENTRY(documents_added_after_finish), TEST_ENTRY(new_words_after_finish),
              TEST_ENTRY(top_k_and_class_sums), TEST_ENTRY(top_k_edges))
