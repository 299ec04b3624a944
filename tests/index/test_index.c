#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "approx.h"
#include "igc_base.h"
#include "igc_index.h"
#include "igc_test.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static float frand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 9007199254740992.0) * 2.0f - 1.0f;
}

/* Scales r (dimension d) to unit length. */
static void unit(float *r, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) s += (double)r[j] * r[j];
    float inv = (float)(1.0 / sqrt(s));
    for (int j = 0; j < d; j++) r[j] *= inv;
}

/* n random L2-normalised vectors of dimension d. */
static float *random_vecs(size_t n, int d) {
    float *v = malloc(n * (size_t)d * sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) v[i * (size_t)d + (size_t)j] = frand();
        unit(v + i * (size_t)d, d);
    }
    return v;
}

/* Brute-force top-k by inner product. */
static void brute(const float *base, size_t n, const float *q, int d, int k, float *sims, int64_t *ids) {
    for (int j = 0; j < k; j++) sims[j] = -INFINITY, ids[j] = -1;
    for (size_t i = 0; i < n; i++) {
        float dot = 0;
        for (int t = 0; t < d; t++) dot += q[t] * base[i * (size_t)d + (size_t)t];
        if (dot <= sims[k - 1]) continue;
        int j = k - 1;
        while (j > 0 && sims[j - 1] < dot) sims[j] = sims[j - 1], ids[j] = ids[j - 1], j--;
        sims[j] = dot;
        ids[j] = (int64_t)i;
    }
}

/* Searches nq queries in x and compares with brute force over base; returns mismatches. */
static size_t compare_with_brute(const igc_index *x, const float *base, size_t n, const float *q, size_t nq, int d,
                                 int k) {
    float *s = malloc(nq * (size_t)k * sizeof *s), *bs = malloc((size_t)k * sizeof *bs);
    int64_t *id = malloc(nq * (size_t)k * sizeof *id), *bid = malloc((size_t)k * sizeof *bid);
    size_t bad = 0;
    if (!s || !bs || !id || !bid || igc_index_search(x, q, nq, k, s, id) != 0) {
        bad = (size_t)-1;
        goto out;
    }
    for (size_t qi = 0; qi < nq; qi++) {
        brute(base, n, q + qi * (size_t)d, d, k, bs, bid);
        for (int j = 0; j < k; j++) {
            size_t o = qi * (size_t)k + (size_t)j;
            if (id[o] != bid[j] || fabsf(s[o] - bs[j]) > 1e-4f) {
                if (bad < 5)
                    fprintf(stderr, "  q%zu rank %d: got %lld (%.5f), want %lld (%.5f)\n", qi, j, (long long)id[o],
                            s[o], (long long)bid[j], bs[j]);
                bad++;
            }
        }
    }
out:
    free(s), free(bs), free(id), free(bid);
    return bad;
}

static const igc_index_opts CPU_FLAT = {"Flat", 0};

TEST(flat_matches_brute_force) {
    enum { D = 32, N = 500, Q = 20, K = 10 };
    float *base = random_vecs(N, D), *q = random_vecs(Q, D);
    REQUIRE(base && q);
    igc_index *x = NULL;
    REQUIRE(igc_index_new(D, &CPU_FLAT, &x) == 0);
    CHECK_EQ_INT(igc_index_size(x), 0);
    CHECK_EQ_INT(igc_index_add(x, base, N), 0);
    CHECK_EQ_INT(igc_index_size(x), N);
    CHECK_EQ_INT(compare_with_brute(x, base, N, q, Q, D, K), 0);
    igc_index_free(x);
    free(base);
    free(q);
}

TEST(ids_follow_insertion_order) {
    enum { D = 16, N1 = 40, N2 = 25 };
    float *a = random_vecs(N1, D), *b = random_vecs(N2, D);
    REQUIRE(a && b);
    igc_index *x = NULL;
    REQUIRE(igc_index_new(D, &CPU_FLAT, &x) == 0);
    REQUIRE(igc_index_add(x, a, N1) == 0);
    REQUIRE(igc_index_add(x, b, N2) == 0);
    CHECK_EQ_INT(igc_index_add(x, b, 0), 0);
    CHECK_EQ_INT(igc_index_size(x), N1 + N2);
    /* Each stored vector finds itself first, with similarity 1. */
    float s[1];
    int64_t id[1];
    for (size_t i = 0; i < N1 + N2; i++) {
        const float *v = i < N1 ? a + i * D : b + (i - N1) * D;
        REQUIRE(igc_index_search(x, v, 1, 1, s, id) == 0);
        CHECK_EQ_INT(id[0], (long long)i);
        CHECK(fabsf(s[0] - 1.0f) < 1e-4f);
    }
    igc_index_free(x);
    free(a);
    free(b);
}

TEST(k_larger_than_size) {
    enum { D = 8, N = 3, K = 6 };
    float *base = random_vecs(N, D);
    REQUIRE(base);
    igc_index *x = NULL;
    REQUIRE(igc_index_new(D, &CPU_FLAT, &x) == 0);
    float s[K];
    int64_t id[K];
    /* Empty index: nothing found. */
    REQUIRE(igc_index_search(x, base, 1, K, s, id) == 0);
    for (int j = 0; j < K; j++) CHECK_EQ_INT(id[j], -1);
    REQUIRE(igc_index_add(x, base, N) == 0);
    REQUIRE(igc_index_search(x, base, 1, K, s, id) == 0);
    int seen[N] = {0};
    for (int j = 0; j < N; j++) {
        REQUIRE(id[j] >= 0 && id[j] < N);
        seen[id[j]]++;
    }
    for (int j = 0; j < N; j++) CHECK_EQ_INT(seen[j], 1);
    for (int j = N; j < K; j++) CHECK_EQ_INT(id[j], -1);
    CHECK_EQ_INT(id[0], 0);
    igc_index_free(x);
    free(base);
}

TEST(ivf_below_training_threshold_is_exact) {
    enum { D = 24, N = 300, Q = 15, K = 7 };
    float *base = random_vecs(N, D), *q = random_vecs(Q, D);
    REQUIRE(base && q);
    igc_index_opts o = {"IVF16,Flat", 0};
    igc_index *x = NULL;
    REQUIRE(igc_index_new(D, &o, &x) == 0);
    REQUIRE(strncmp(igc_index_describe(x), "IVF16,Flat", 10) == 0);
    /* Two batches, both below the threshold. */
    CHECK_EQ_INT(igc_index_add(x, base, 100), 0);
    CHECK_EQ_INT(igc_index_add(x, base + 100 * D, N - 100), 0);
    CHECK_EQ_INT(igc_index_size(x), N);
    CHECK_EQ_INT(compare_with_brute(x, base, N, q, Q, D, K), 0);
    /* k beyond the size gives -1 here too. */
    float s[N + 2];
    int64_t id[N + 2];
    REQUIRE(igc_index_search(x, q, 1, N + 2, s, id) == 0);
    CHECK(id[N - 1] >= 0);
    CHECK_EQ_INT(id[N], -1);
    CHECK_EQ_INT(id[N + 1], -1);
    igc_index_free(x);
    free(base);
    free(q);
}

TEST(ivf_empty_search_finds_nothing) {
    igc_index_opts o = {"IVF16,Flat", 0};
    igc_index *x = NULL;
    REQUIRE(igc_index_new(8, &o, &x) == 0);
    float *q = random_vecs(1, 8);
    REQUIRE(q);
    float s[4];
    int64_t id[4] = {7, 7, 7, 7};
    int rc = igc_index_search(x, q, 1, 4, s, id);
    CHECK_EQ_INT(rc, 0);
    for (int j = 0; j < 4; j++) CHECK_EQ_INT(id[j], -1);
    CHECK_EQ_INT(igc_index_size(x), 0);
    igc_index_free(x);
    free(q);
}

/* Past the threshold the index is trained; ids stay in insertion order. */
TEST(ivf_trains_past_threshold) {
    enum { D = 8, N = 4200, EXTRA = 10 };
    float *base = random_vecs(N + EXTRA, D);
    REQUIRE(base);
    igc_index_opts o = {"IVF16,Flat", 0};
    igc_index *x = NULL;
    REQUIRE(igc_index_new(D, &o, &x) == 0);
    CHECK_EQ_INT(igc_index_add(x, base, 1000), 0);
    CHECK_EQ_INT(igc_index_add(x, base + 1000 * D, N - 1000), 0);
    CHECK_EQ_INT(igc_index_size(x), N);
    CHECK_EQ_INT(igc_index_add(x, base + (size_t)N * D, EXTRA), 0);
    CHECK_EQ_INT(igc_index_size(x), N + EXTRA);
    /* A stored vector lies in the list its own centroid selects, so it finds itself. */
    static const size_t probe[] = {0, 1, 999, 1000, 2500, N - 1, N, N + EXTRA - 1};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        float s[1];
        int64_t id[1];
        REQUIRE(igc_index_search(x, base + probe[i] * D, 1, 1, s, id) == 0);
        CHECK_EQ_INT(id[0], (long long)probe[i]);
        CHECK(fabsf(s[0] - 1.0f) < 1e-4f);
    }
    igc_index_free(x);
    free(base);
}

/* Probing every list makes the trained IVF scan exact: the lists partition the
 * vectors and each is scored whole. */
TEST(ivf_probing_every_list_is_exact) {
    enum { D = 16, N = 4500, Q = 25, K = 8 };
    float *base = random_vecs(N, D), *q = random_vecs(Q, D);
    REQUIRE(base && q);
    igc_index_opts o = {"IVF16,Flat", 0, "nprobe=16"};
    igc_index *x = NULL;
    REQUIRE(igc_index_new(D, &o, &x) == 0);
    REQUIRE(igc_index_add(x, base, N) == 0);
    CHECK_EQ_STR(igc_index_describe(x), "IVF16,Flat nprobe=16/cpu");
    CHECK_EQ_INT(compare_with_brute(x, base, N, q, Q, D, K), 0);
    igc_index_free(x);
    /* with fewer lists probed the answers are a subset of the truth, never invented */
    o.search_params = "nprobe=2";
    REQUIRE(igc_index_new(D, &o, &x) == 0);
    REQUIRE(igc_index_add(x, base, N) == 0);
    float s[K], bs[K];
    int64_t id[K], bid[K];
    REQUIRE(igc_index_search(x, q, 1, K, s, id) == 0);
    brute(base, N, q, D, K, bs, bid);
    CHECK(s[0] <= bs[0] + 1e-5f);
    for (int j = 0; j < K; j++) {
        REQUIRE(id[j] >= 0 && id[j] < N);
        float dot = 0;
        for (int t = 0; t < D; t++) dot += q[t] * base[(size_t)id[j] * D + (size_t)t];
        CHECK(fabsf(dot - s[j]) < 1e-4f);
    }
    igc_index_free(x);
    free(base);
    free(q);
}

/* As the collection grows the lists are re-clustered into more of them, so a query
 * scans about the same number of vectors; ids and self-matches survive. */
TEST(ivf_reclusters_as_it_grows) {
    enum { D = 8, N = 9000 };
    float *base = random_vecs(N, D);
    REQUIRE(base);
    igc_index_opts o = {"IVF16,Flat", 0, "nprobe=4"};
    igc_index *x = NULL;
    REQUIRE(igc_index_new(D, &o, &x) == 0);
    REQUIRE(igc_index_add(x, base, 4200) == 0);
    CHECK_EQ_STR(igc_index_describe(x), "IVF16,Flat nprobe=4/cpu");
    for (size_t i = 4200; i < N; i += 600) REQUIRE(igc_index_add(x, base + i * D, N - i < 600 ? N - i : 600) == 0);
    CHECK_EQ_INT(igc_index_size(x), N);
    long lists = strtol(igc_index_describe(x) + 3, NULL, 10);
    CHECK(lists > 16);
    static const size_t probe[] = {0, 4199, 4200, 8191, 8192, N - 1};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        float s[1];
        int64_t id[1];
        REQUIRE(igc_index_search(x, base + probe[i] * D, 1, 1, s, id) == 0);
        CHECK_EQ_INT(id[0], (long long)probe[i]);
    }
    igc_index_free(x);
    free(base);
}

/* With manual re-clustering, adds never re-cluster (a save must not stall); the new
 * lists are built aside by prepare, which leaves the index searchable and unchanged,
 * and swapped in by apply; a plan made stale by an add is refused. */
TEST(ivf_recluster_built_aside) {
    enum { D = 8, N = 9000 };
    float *base = random_vecs(N + 1, D);
    REQUIRE(base);
    igc_index_opts o = {"IVF16,Flat", 0, "nprobe=4", 1};
    igc_index *x = NULL;
    REQUIRE(igc_index_new(D, &o, &x) == 0);
    for (size_t i = 0; i < N; i += 600) REQUIRE(igc_index_add(x, base + i * D, N - i < 600 ? N - i : 600) == 0);
    CHECK_EQ_STR(igc_index_describe(x), "IVF16,Flat nprobe=4/cpu");
    igc_index_plan *p = NULL;
    REQUIRE(igc_index_recluster_prepare(x, &p) == 0);
    REQUIRE(p != NULL);
    CHECK_EQ_STR(igc_index_describe(x), "IVF16,Flat nprobe=4/cpu");
    /* stale after an add: refused, nothing changed */
    REQUIRE(igc_index_add(x, base + (size_t)N * D, 1) == 0);
    CHECK_EQ_INT(igc_index_recluster_apply(x, p), IGC_ESTATE);
    CHECK_EQ_STR(igc_index_describe(x), "IVF16,Flat nprobe=4/cpu");
    REQUIRE(igc_index_recluster_prepare(x, &p) == 0);
    REQUIRE(p != NULL);
    CHECK_EQ_INT(igc_index_recluster_apply(x, p), 0);
    CHECK(strtol(igc_index_describe(x) + 3, NULL, 10) > 16);
    static const size_t probe[] = {0, 4095, 4096, 8999, N};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        float s[1];
        int64_t id[1];
        REQUIRE(igc_index_search(x, base + probe[i] * D, 1, 1, s, id) == 0);
        CHECK_EQ_INT(id[0], (long long)probe[i]);
    }
    /* nothing due right after: no plan */
    REQUIRE(igc_index_recluster_prepare(x, &p) == 0);
    CHECK(p == NULL);
    igc_index_free(x);
    free(base);
}

/* Centroids saved from a clustering and given to another index of the same vectors
 * make the same lists: every search answers as in the index that clustered, with no
 * clustering of its own, and the next one is due as it was there. Centroids that do
 * not fit are refused and leave the index as it was. */
TEST(ivf_saved_centroids) {
    enum { D = 8, N = 9000, NQ = 200, K = 5 };
    float *base = random_vecs(N, D), *q = random_vecs(NQ, D);
    REQUIRE(base && q);
    igc_index_opts o = {"IVF16,Flat", 0, "nprobe=2", 1};
    igc_index *x = NULL, *y = NULL;
    REQUIRE(igc_index_new(D, &o, &x) == 0);
    REQUIRE(igc_index_new(D, &o, &y) == 0);
    float *cent;
    size_t nlist, at;
    CHECK_EQ_INT(igc_index_centroids(x, &cent, &nlist, &at), IGC_ENOTFOUND); /* untrained */
    CHECK_EQ_INT(igc_index_recluster_with(y, base, 1, 1), IGC_ESTATE);
    /* in parts, so that the lists are trained at 4,200 and due for more at 8,400 */
    for (size_t i = 0; i < N; i += 600) {
        REQUIRE(igc_index_add(x, base + i * D, N - i < 600 ? N - i : 600) == 0);
        REQUIRE(igc_index_add(y, base + i * D, N - i < 600 ? N - i : 600) == 0);
    }
    /* trained on its first 4,200 only: nothing to keep */
    CHECK_EQ_INT(igc_index_centroids(x, &cent, &nlist, &at), IGC_ENOTFOUND);
    igc_index_plan *p = NULL;
    REQUIRE(igc_index_recluster_prepare(x, &p) == 0);
    REQUIRE(p != NULL);
    REQUIRE(igc_index_recluster_apply(x, p) == 0);
    REQUIRE(igc_index_centroids(x, &cent, &nlist, &at) == 0);
    CHECK(nlist > 16);
    CHECK_EQ_INT(at, N);
    const char *before = igc_strdup(igc_index_describe(y));
    /* refused: more lists than vectors, a clustering size past the index's, not finite */
    CHECK_EQ_INT(igc_index_recluster_with(y, cent, N + 1, N), IGC_EINVAL);
    CHECK_EQ_INT(igc_index_recluster_with(y, cent, nlist, N + 1), IGC_EINVAL);
    float keep = cent[3];
    cent[3] = NAN;
    CHECK_EQ_INT(igc_index_recluster_with(y, cent, nlist, at), IGC_EINVAL);
    cent[3] = keep;
    CHECK_EQ_STR(igc_index_describe(y), before);
    REQUIRE(igc_index_recluster_with(y, cent, nlist, at) == 0);
    CHECK_EQ_STR(igc_index_describe(y), igc_index_describe(x));
    float sx[NQ * K], sy[NQ * K];
    int64_t ix[NQ * K], iy[NQ * K];
    REQUIRE(igc_index_search(x, q, NQ, K, sx, ix) == 0);
    REQUIRE(igc_index_search(y, q, NQ, K, sy, iy) == 0);
    CHECK(memcmp(ix, iy, sizeof ix) == 0);
    CHECK(memcmp(sx, sy, sizeof sx) == 0);
    /* as clustered at N: nothing due until twice that */
    REQUIRE(igc_index_recluster_prepare(y, &p) == 0);
    CHECK(p == NULL);
    free((void *)before);
    free(cent);
    igc_index_free(x);
    igc_index_free(y);
    free(base), free(q);
}

TEST(bad_arguments_are_errors) {
    igc_index *x = (igc_index *)1;
    igc_index_opts o = {"NotAnIndexType,,", 0};
    int rc = igc_index_new(16, &o, &x);
    CHECK(rc < 0);
    CHECK(x == NULL);
    x = (igc_index *)1;
    o.factory = "IVF";
    CHECK(igc_index_new(16, &o, &x) < 0);
    CHECK(x == NULL);
    x = (igc_index *)1;
    CHECK_EQ_INT(igc_index_new(0, NULL, &x), IGC_EINVAL);
    CHECK(x == NULL);
    CHECK_EQ_INT(igc_index_new(-4, NULL, &x), IGC_EINVAL);
    REQUIRE(igc_index_new(4, &CPU_FLAT, &x) == 0);
    float q[4] = {1, 0, 0, 0}, s[1];
    int64_t id[1];
    CHECK_EQ_INT(igc_index_search(x, q, 1, 0, s, id), IGC_EINVAL);
    CHECK_EQ_INT(igc_index_search(x, q, 0, 1, s, id), IGC_EINVAL);
    igc_index_free(x);
    igc_index_free(NULL);
}

TEST(describe_and_gpu_choice) {
    igc_index *x = NULL;
    REQUIRE(igc_index_new(4, NULL, &x) == 0);
    const char *d = igc_index_describe(x);
    REQUIRE(d != NULL);
    CHECK(strncmp(d, "Flat/", 5) == 0);
    CHECK(strcmp(d + 5, igc_index_on_gpu(x) ? "gpu0" : "cpu") == 0);
    igc_index_free(x);
    igc_index_opts o = {"", 0};
    REQUIRE(igc_index_new(4, &o, &x) == 0);
    CHECK_EQ_STR(igc_index_describe(x), "Flat/cpu");
    CHECK_EQ_INT(igc_index_on_gpu(x), 0);
    igc_index_free(x);
    o.factory = "IVF16,Flat";
    REQUIRE(igc_index_new(4, &o, &x) == 0);
    CHECK_EQ_STR(igc_index_describe(x), "IVF16,Flat/cpu");
    igc_index_free(x);
    /* Requiring a GPU in a build without one is refused, not ignored. */
    if (!igc_index_gpu_built()) {
        o.factory = "Flat";
        o.use_gpu = 1;
        x = (igc_index *)1;
        CHECK_EQ_INT(igc_index_new(4, &o, &x), IGC_EUNSUP);
        CHECK(x == NULL);
    }
}

/* n unit vectors around a few centres (near-duplicates, as past judgments of similar
 * firms are), with every seventh an exact copy of an earlier one (ties) and one zero
 * vector. */
static float *clustered_vecs(size_t n, int d) {
    float *c = random_vecs(12, d), *v = random_vecs(n, d);
    if (!c || !v) {
        free(c), free(v);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        float *r = v + i * (size_t)d;
        if (i % 7 == 6) {
            memcpy(r, v + (i / 2) * (size_t)d, (size_t)d * sizeof *r);
            continue;
        }
        for (int j = 0; j < d; j++) r[j] = c[(i % 12) * (size_t)d + (size_t)j] + 0.15f * r[j];
        unit(r, d);
    }
    memset(v + (n / 3) * (size_t)d, 0, (size_t)d * sizeof *v);
    free(c);
    return v;
}

/* The codes' bound holds against any float sum of the products: BLAS's, and a plain
 * loop in either direction; vectors of any length; a non-finite one is never ruled out. */
TEST(codes_bound_the_exact_products) {
    enum { D = 128, N = 300, Q = 40 };
    float *v = clustered_vecs(N, D), *q = random_vecs(Q, D);
    int8_t *code = malloc((size_t)N * D);
    float *scale = malloc(N * sizeof *scale), *err = malloc(N * sizeof *err), *approx = malloc(N * sizeof *approx);
    float *exact = malloc(N * sizeof *exact);
    REQUIRE(v && q && code && scale && err && approx && exact);
    for (size_t i = 0; i < N; i++) {
        float len = i % 5 == 0 ? 3.5f : i % 5 == 1 ? 0.01f : 1.0f; /* not only unit vectors */
        for (size_t j = 0; j < D; j++) v[i * D + j] *= len;
        approx_encode(v + i * D, D, code + i * D, &scale[i], &err[i]);
        CHECK(err[i] >= 0 && err[i] < 0.05f * len + 1e-6f);
    }
    size_t bad = 0;
    for (size_t k = 0; k < Q; k++) {
        const float *qv = q + k * D;
        float qs = k % 3 == 0 ? 2.0f : 1.0f, qq[D];
        for (size_t j = 0; j < D; j++) qq[j] = qv[j] * qs;
        double qn = 0;
        for (size_t j = 0; j < D; j++) qn += (double)qq[j] * qq[j];
        qn = sqrt(qn);
        approx_query aq;
        approx_query_init(&aq, qq, D);
        approx_dots(&aq, code, scale, N, D, approx);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, D, 1.0f, v, D, qq, 1, 0.0f, exact, 1);
        for (size_t i = 0; i < N; i++) {
            float up = 0, down = 0;
            for (size_t j = 0; j < D; j++) up += qq[j] * v[i * D + j];
            for (size_t j = D; j-- > 0;) down += qq[j] * v[i * D + j];
            double b = qn * err[i];
            bad += fabs((double)exact[i] - approx[i]) > b || fabs((double)up - approx[i]) > b ||
                   fabs((double)down - approx[i]) > b;
        }
    }
    CHECK_EQ_INT(bad, 0);
    /* subnormal components: codes still bounded */
    float tiny[D], one;
    for (size_t j = 0; j < D; j++) tiny[j] = v[D + j] * 1e-39f;
    approx_encode(tiny, D, code, &scale[0], &err[0]);
    approx_query aq;
    approx_query_init(&aq, q, D);
    approx_dots(&aq, code, scale, 1, D, approx);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, 1, D, 1.0f, tiny, D, q, 1, 0.0f, &one, 1);
    CHECK(isfinite(err[0]) && fabs((double)one - approx[0]) <= err[0]);
    v[5] = NAN;
    approx_encode(v, D, code, &scale[0], &err[0]);
    CHECK(isinf(err[0]));
    free(v), free(q), free(code), free(scale), free(err), free(approx), free(exact);
}

/* Ruling vectors out by their codes changes no answer: the same ids and the same bits
 * of every similarity as scoring every probed vector, for an exact and an IVF index
 * (both probing enough vectors for the codes to be used), small and large k, queries
 * that are stored vectors (ties with their copies), and fewer vectors than k. */
TEST(codes_change_no_answer) {
    enum { D = 64, N = 5000, Q = 60 };
    float *base = clustered_vecs(N, D), *q = random_vecs(Q, D);
    REQUIRE(base && q);
    for (size_t i = 0; i < Q; i += 2) memcpy(q + i * D, base + (i * 37 % N) * D, D * sizeof *q);
    static const char *const factories[][2] = {{"Flat", NULL}, {"IVF16,Flat", "nprobe=6"}};
    static const int ks[] = {1, 5, 11, 64};
    size_t sizes[] = {3, N};
    for (size_t f = 0; f < 2; f++)
        for (size_t z = 0; z < 2; z++) {
            igc_index_opts o = {factories[f][0], 0, factories[f][1]}, e = o;
            e.exact_scan = 1;
            igc_index *x = NULL, *y = NULL;
            REQUIRE(igc_index_new(D, &o, &x) == 0 && igc_index_new(D, &e, &y) == 0);
            REQUIRE(igc_index_add(x, base, sizes[z]) == 0 && igc_index_add(y, base, sizes[z]) == 0);
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                int k = ks[ki];
                size_t m = (size_t)Q * (size_t)k;
                float *s1 = malloc(m * sizeof *s1), *s2 = malloc(m * sizeof *s2);
                int64_t *i1 = malloc(m * sizeof *i1), *i2 = malloc(m * sizeof *i2);
                REQUIRE(s1 && s2 && i1 && i2);
                REQUIRE(igc_index_search(x, q, Q, k, s1, i1) == 0 && igc_index_search(y, q, Q, k, s2, i2) == 0);
                CHECK(!memcmp(i1, i2, m * sizeof *i1));
                CHECK(!memcmp(s1, s2, m * sizeof *s1));
                free(s1), free(s2), free(i1), free(i2);
            }
            igc_index_free(x), igc_index_free(y);
        }
    free(base), free(q);
}

IGC_TEST_MAIN(TEST_ENTRY(flat_matches_brute_force), TEST_ENTRY(ids_follow_insertion_order),
              TEST_ENTRY(k_larger_than_size), TEST_ENTRY(ivf_below_training_threshold_is_exact),
              TEST_ENTRY(ivf_empty_search_finds_nothing), TEST_ENTRY(ivf_trains_past_threshold),
              TEST_ENTRY(ivf_probing_every_list_is_exact), TEST_ENTRY(ivf_reclusters_as_it_grows),
              TEST_ENTRY(ivf_recluster_built_aside), TEST_ENTRY(ivf_saved_centroids),
              TEST_ENTRY(bad_arguments_are_errors), TEST_ENTRY(describe_and_gpu_choice),
              TEST_ENTRY(codes_bound_the_exact_products), TEST_ENTRY(codes_change_no_answer))
