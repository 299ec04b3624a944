/* Dot products in one fixed order: dimension k is added into lane k % 8 of an
 * eight-lane sum, dimensions in order, then the lanes are added as
 * ((0+1)+(2+3))+((4+5)+(6+7)). Where the CPU has fused multiply-add (AVX with FMA),
 * every product-and-add of a lane is one fused operation, elsewhere a multiply then an
 * add: the two round differently, so the last bits can differ between such CPUs (as
 * with any BLAS), but on one machine every path below gives the same bits, whether a
 * query came alone or in a block of any size. The file is built without the compiler's
 * own contraction to fused operations (CMakeLists.txt), which would mix the two. */
#include <immintrin.h>
#include <math.h>

#include "dots.h"

static float reduce_lanes(const float l[8]) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }

int dot_rows_fused(void) { return __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma"); }

/* Any dimension: each lane in scalar code, fused or not as the vector paths are. */
static void dots_scalar(const float *m, size_t nrows, size_t d, const float *q, size_t nq, float *out, int fused) {
    for (size_t r = 0; r < nrows; r++)
        for (size_t j = 0; j < nq; j++) {
            const float *a = m + r * d, *b = q + j * d;
            float l[8] = {0};
            for (size_t k = 0; k < d; k++) l[k % 8] = fused ? fmaf(a[k], b[k], l[k % 8]) : l[k % 8] + a[k] * b[k];
            out[j * nrows + r] = reduce_lanes(l);
        }
}

/* The eight sums a0..a7 reduced in the fixed order, sum i in lane i. */
__attribute__((target("avx,fma"))) static inline __m256 reduce8(__m256 a0, __m256 a1, __m256 a2, __m256 a3,
                                                                   __m256 a4, __m256 a5, __m256 a6, __m256 a7) {
    /* hadd pairs neighbouring lanes: (0+1),(2+3) then their sum per half; the two
     * halves ((0+1)+(2+3) and (4+5)+(6+7)) are added last */
    __m256 t0 = _mm256_hadd_ps(a0, a1), t1 = _mm256_hadd_ps(a2, a3), t2 = _mm256_hadd_ps(a4, a5),
           t3 = _mm256_hadd_ps(a6, a7);
    __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

/* d a multiple of 8, fused: eight rows at once, each query of the block passing over
 * them while they sit in the first-level cache (the matrix is read once per block);
 * eight independent sums keep both FMA units busy. */
__attribute__((target("avx,fma"))) static void dots_fma(const float *m, size_t nrows, size_t d, const float *q,
                                                        size_t nq, float *out) {
    size_t r = 0;
    for (; r + 8 <= nrows; r += 8) {
        const float *mr = m + r * d;
        for (size_t j = 0; j < nq; j++) {
            const float *qj = q + j * d;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (size_t k = 0; k < d; k += 8) {
                __m256 x = _mm256_loadu_ps(qj + k);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(mr + k), x, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(mr + d + k), x, a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(mr + 2 * d + k), x, a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(mr + 3 * d + k), x, a3);
                a4 = _mm256_fmadd_ps(_mm256_loadu_ps(mr + 4 * d + k), x, a4);
                a5 = _mm256_fmadd_ps(_mm256_loadu_ps(mr + 5 * d + k), x, a5);
                a6 = _mm256_fmadd_ps(_mm256_loadu_ps(mr + 6 * d + k), x, a6);
                a7 = _mm256_fmadd_ps(_mm256_loadu_ps(mr + 7 * d + k), x, a7);
            }
            _mm256_storeu_ps(out + j * nrows + r, reduce8(a0, a1, a2, a3, a4, a5, a6, a7));
        }
    }
    for (; r < nrows; r++)
        for (size_t j = 0; j < nq; j++) {
            __m256 a = _mm256_setzero_ps();
            for (size_t k = 0; k < d; k += 8)
                a = _mm256_fmadd_ps(_mm256_loadu_ps(m + r * d + k), _mm256_loadu_ps(q + j * d + k), a);
            float l[8];
            _mm256_storeu_ps(l, a);
            out[j * nrows + r] = reduce_lanes(l);
        }
}

/* d a multiple of 8, without FMA: the same loop in eight-float vectors (one AVX
 * register each where the CPU has AVX, two SSE ones on the x86-64 baseline), a
 * multiply then an add per lane. */
typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4))); /* loadable from any float */

__attribute__((target_clones("avx", "default"))) static void dots_plain(const float *m, size_t nrows, size_t d,
                                                                        const float *q, size_t nq, float *out) {
    size_t r = 0;
    for (; r + 8 <= nrows; r += 8) {
        const float *mr = m + r * d;
        for (size_t j = 0; j < nq; j++) {
            const float *qj = q + j * d;
            v8 a[8] = {{0}};
            for (size_t k = 0; k < d; k += 8) {
                v8 x = *(const v8u *)(qj + k);
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++) a[i] += *(const v8u *)(mr + i * d + k) * x;
            }
            float l[8][8];
            __builtin_memcpy(l, a, sizeof l);
            for (int i = 0; i < 8; i++) out[j * nrows + r + (size_t)i] = reduce_lanes(l[i]);
        }
    }
    for (; r < nrows; r++)
        for (size_t j = 0; j < nq; j++) {
            v8 a = {0};
            for (size_t k = 0; k < d; k += 8) a += *(const v8u *)(m + r * d + k) * *(const v8u *)(q + j * d + k);
            float l[8];
            __builtin_memcpy(l, &a, sizeof l);
            out[j * nrows + r] = reduce_lanes(l);
        }
}

void dot_rows_as(int fused, const float *m, size_t nrows, size_t d, const float *q, size_t nq, float *out) {
    if (d % 8) dots_scalar(m, nrows, d, q, nq, out, fused);
    else if (fused) dots_fma(m, nrows, d, q, nq, out);
    else dots_plain(m, nrows, d, q, nq, out);
}

void dot_rows(const float *m, size_t nrows, size_t d, const float *q, size_t nq, float *out) {
    dot_rows_as(dot_rows_fused(), m, nrows, d, q, nq, out);
}
