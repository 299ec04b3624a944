/* 8-bit codes of the CPU scan's vectors and their error bounds (approx.h).
 *
 * The bound of approx_encode covers, for a query q:
 *   - the codes' own error: |q . v - s q . c| <= |q| |v - s c| (Cauchy-Schwarz);
 *   - the exact scan's float sum of d products, in whatever order a BLAS adds them:
 *     at most gamma(d) sum |q_i v_i| <= gamma(d) |q| |v|, gamma(n) = n u / (1 - n u);
 *   - approx_dots' arithmetic, either of its two ways: a float sum of the products and
 *     the multiplication by the scale, at most gamma(d + 2) s |q| |c|; or the query
 *     rounded to 16-bit integers t q' (t = max |q_i| / 32767, each |q_i - t q'_i| at
 *     most 0.502 t), an exact integer sum, and three float roundings: at most
 *     s |c| |q| (0.502 sqrt(d) (1 + u) / 32767 + 4 u).
 * A margin on top makes the bound safe to compare in double at search time. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "approx.h"

#define UNIT_ROUNDOFF 0x1p-24 /* float's */

static double gamma_n(double n) { return n * UNIT_ROUNDOFF / (1.0 - n * UNIT_ROUNDOFF); }

void approx_encode(const float *v, size_t d, int8_t *code, float *scale, float *err) {
    float amax = 0;
    int finite = 1;
    for (size_t i = 0; i < d; i++) {
        finite &= isfinite(v[i]) != 0;
        float a = fabsf(v[i]);
        amax = a > amax ? a : amax;
    }
    if (!finite || amax == 0) {
        /* a zero vector is scored exactly by its zero codes; a non-finite one is never
         * ruled out (its bound is infinite) */
        memset(code, 0, d);
        *scale = 0;
        *err = finite ? 0.0f : INFINITY;
        return;
    }
    /* any integer codes will do (the bound is taken from the codes as rounded): the
     * nearest ones, by a multiplication rather than a division per component */
    float s = amax / 127.0f;
    double inv = 127.0 / amax; /* finite even for a subnormal amax */
    double vv = 0, res = 0, cc = 0;
    for (size_t i = 0; i < d; i++) {
        /* |x| is 127 at most (and a rounding): to the nearest, ties away from zero,
         * without a branch on the sign */
        double x = v[i] * inv;
        int ci = (int)(x + copysign(0.5, x));
        ci = ci > 127 ? 127 : ci;
        ci = ci < -127 ? -127 : ci;
        code[i] = (int8_t)ci;
        double c = ci;
        /* s c has at most 31 significant bits: exact in double, as is the difference */
        double r = (double)v[i] - (double)s * c;
        vv += (double)v[i] * v[i];
        res += r * r;
        cc += c * c;
    }
    double sc = s * sqrt(cc);
    double e = sqrt(res) + gamma_n((double)d) * sqrt(vv) + gamma_n((double)d + 2) * sc +
               sc * (0.502 * sqrt((double)d) * (1 + UNIT_ROUNDOFF) / 32767.0 + 4 * UNIT_ROUNDOFF);
    e = e * (1 + 1e-3) + 1e-7;
    float f = (float)e;
    *scale = s;
    *err = (double)f < e ? nextafterf(f, INFINITY) : f;
}

static void dots_scalar(const int8_t *code, const float *scale, size_t n, size_t d, const float *q, float *out) {
    for (size_t r = 0; r < n; r++) {
        const int8_t *c = code + r * d;
        float s = 0;
        for (size_t i = 0; i < d; i++) s += q[i] * (float)c[i];
        out[r] = s * scale[r];
    }
}

void approx_query_init(approx_query *aq, const float *q, size_t d) {
    aq->q = q;
    aq->t = 0;
    if (d % 16 || d > APPROX_MAX_DIM || !__builtin_cpu_supports("avx2")) return;
    float m = 0;
    for (size_t i = 0; i < d; i++) m = fabsf(q[i]) > m ? fabsf(q[i]) : m;
    if (!(m > 0) || !isfinite(m)) return; /* a zero query scores 0, a non-finite one as floats do */
    float t = m / 32767.0f;
    for (size_t i = 0; i < d; i++) {
        long v = lrintf(q[i] / t);
        aq->qi[i] = (int16_t)(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
    }
    aq->t = t;
}

/* The integer form of a query (approx_query_init): sixteen codes widened to 16 bits,
 * multiplied and summed in pairs per step, exactly. */
__attribute__((target("avx2"))) static void dots_avx2(const int8_t *code, const float *scale, size_t n, size_t d,
                                                      const int16_t *qi, float t, float *out) {
    for (size_t r = 0; r < n; r++) {
        const int8_t *c = code + r * d;
        __m256i a = _mm256_setzero_si256();
        for (size_t i = 0; i < d; i += 16) {
            __m256i c16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(c + i)));
            a = _mm256_add_epi32(a, _mm256_madd_epi16(c16, _mm256_loadu_si256((const __m256i *)(qi + i))));
        }
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
        out[r] = (float)_mm_cvtsi128_si32(h) * (t * scale[r]);
    }
}

void approx_dots(const approx_query *aq, const int8_t *code, const float *scale, size_t n, size_t d, float *out) {
    if (aq->t > 0) dots_avx2(code, scale, n, d, aq->qi, aq->t, out);
    else dots_scalar(code, scale, n, d, aq->q, out);
}
