/* Unit tests of the engine's dot products (core/engine/dots.h). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dots.h"
#include "igc_base.h"
#include "igc_test.h"

/* Deterministic floats of mixed sign and magnitude, so that the order of additions
 * shows in the last bits. */
static float pseudo(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    int32_t m = (int32_t)(*s >> 40) - (1 << 23);
    return (float)m / (float)(1 << 23) * (float)(1 + (*s >> 60));
}

/* The documented order: lane k % 8 (fused where the CPU's products are), lanes in
 * order, then ((0+1)+(2+3))+((4+5)+(6+7)). */
static float reference(int fused, const float *a, const float *b, size_t d) {
    float l[8] = {0};
    for (size_t k = 0; k < d; k++) l[k % 8] = fused ? fmaf(a[k], b[k], l[k % 8]) : l[k % 8] + a[k] * b[k];
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* Every dimension (whole groups of eight, a tail, only a tail), row count (past and
 * short of a block of eight rows) and number of queries gives the reference bits,
 * and a query in a block gives what it gives alone. */
static void check_order(int fused) {
    const size_t dims[] = {1, 5, 8, 16, 21, 128, 131};
    const size_t nrows[] = {1, 7, 8, 9, 23};
    uint64_t seed = 42;
    size_t checked = 0, wrong = 0, lone_differs = 0;
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++)
        for (size_t ri = 0; ri < sizeof nrows / sizeof *nrows; ri++) {
            size_t d = dims[di], nr = nrows[ri], nq = 5;
            float *m = malloc(nr * d * sizeof *m), *q = malloc(nq * d * sizeof *q);
            float *out = malloc(nq * nr * sizeof *out), *one = malloc(nr * sizeof *one);
            REQUIRE(m && q && out && one);
            for (size_t i = 0; i < nr * d; i++) m[i] = pseudo(&seed);
            for (size_t i = 0; i < nq * d; i++) q[i] = pseudo(&seed);
            dot_rows_as(fused, m, nr, d, q, nq, out);
            for (size_t j = 0; j < nq; j++) {
                dot_rows_as(fused, m, nr, d, q + j * d, 1, one);
                lone_differs += memcmp(one, out + j * nr, nr * sizeof *one) != 0;
                for (size_t r = 0; r < nr; r++) {
                    float want = reference(fused, m + r * d, q + j * d, d);
                    wrong += memcmp(&want, &out[j * nr + r], sizeof want) != 0;
                    checked++;
                }
            }
            free(m), free(q), free(out), free(one);
        }
    CHECK(checked > 1000);
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(lone_differs, 0);
}

/* With separate multiply-adds, with fused ones where the CPU has them, and the
 * engine's own choice is one of the two. */
TEST(dots_fixed_order) {
    check_order(0);
    if (dot_rows_fused()) check_order(1);
    float v[16], w[16], a, b;
    for (int i = 0; i < 16; i++) v[i] = 0.1f * (float)i - 0.7f, w[i] = 1.3f - 0.17f * (float)i;
    dot_rows(v, 1, 16, w, 1, &a);
    dot_rows_as(dot_rows_fused(), v, 1, 16, w, 1, &b);
    CHECK(a == b);
}

/* No rows or no queries: nothing written, nothing read. */
TEST(dots_empty) {
    float out[4] = {7, 7, 7, 7};
    const float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    dot_rows(v, 0, 8, v, 1, out);
    dot_rows(v, 1, 8, v, 0, out);
    CHECK(out[0] == 7 && out[3] == 7);
    dot_rows(v, 1, 8, v, 1, out);
    CHECK(out[0] == 204);
}

IGC_TEST_MAIN(TEST_ENTRY(dots_fixed_order), TEST_ENTRY(dots_empty))
