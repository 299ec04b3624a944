/* 8-bit codes of the CPU scan's vectors and their error bounds (approx.h).
 *
 * The bound of approx_encode covers three things, for a query q:
 *   - the codes' own error: |q . v - s q . c| <= |q| |v - s c| (Cauchy-Schwarz);
 *   - the exact scan's float sum of d products, in whatever order a BLAS adds them:
 *     at most gamma(d) sum |q_i v_i| <= gamma(d) |q| |v|, gamma(n) = n u / (1 - n u);
 *   - approx_dots' float sum and its multiplication by the scale: at most
 *     gamma(d + 2) s |q| |c|.
 * A margin on top makes the bound safe to compare in double at search time. */
#include <immintrin.h>
#include <math.h>

#include "approx.h"

static double gamma_n(double n) {
    const double u = 0x1p-24; /* float's unit roundoff */
    return n * u / (1.0 - n * u);
}

void approx_encode(const float *v, size_t d, int8_t *code, float *scale, float *err) {
    double amax = 0, vv = 0;
    int finite = 1;
    for (size_t i = 0; i < d; i++) {
        if (!isfinite(v[i])) finite = 0;
        double a = fabs((double)v[i]);
        amax = a > amax ? a : amax;
        vv += (double)v[i] * v[i];
    }
    if (!finite || amax == 0) {
        /* a zero vector is scored exactly by its zero codes; a non-finite one is never
         * ruled out (its bound is infinite) */
        for (size_t i = 0; i < d; i++) code[i] = 0;
        *scale = 0;
        *err = finite ? 0.0f : INFINITY;
        return;
    }
    float s = (float)(amax / 127.0);
    double res = 0, cc = 0;
    for (size_t i = 0; i < d; i++) {
        long c = lrint((double)v[i] / s);
        c = c > 127 ? 127 : c < -127 ? -127 : c;
        code[i] = (int8_t)c;
        double r = (double)v[i] - (double)s * (double)c;
        res += r * r;
        cc += (double)c * (double)c;
    }
    double e = sqrt(res) + gamma_n((double)d) * sqrt(vv) + gamma_n((double)d + 2) * s * sqrt(cc);
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

/* d a multiple of 16: sixteen codes widened to floats per step, two sums. */
__attribute__((target("avx2,fma"))) static void dots_avx2(const int8_t *code, const float *scale, size_t n,
                                                          size_t d, const float *q, float *out) {
    for (size_t r = 0; r < n; r++) {
        const int8_t *c = code + r * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        for (size_t i = 0; i < d; i += 16) {
            __m128i b = _mm_loadu_si128((const __m128i *)(c + i));
            __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
            __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(b, 8)));
            a0 = _mm256_fmadd_ps(f0, _mm256_loadu_ps(q + i), a0);
            a1 = _mm256_fmadd_ps(f1, _mm256_loadu_ps(q + i + 8), a1);
        }
        __m256 a = _mm256_add_ps(a0, a1);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
        out[r] = _mm_cvtss_f32(h) * scale[r];
    }
}

void approx_dots(const int8_t *code, const float *scale, size_t n, size_t d, const float *q, float *out) {
    if (d % 16 == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) dots_avx2(code, scale, n, d, q, out);
    else dots_scalar(code, scale, n, d, q, out);
}
