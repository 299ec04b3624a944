/*
 * Internal to igc_index: each vector of the CPU scan also as 8-bit codes (a scale per
 * vector), and a bound on how far an inner product from the codes can be from the one
 * the exact scan computes. A search scores the codes first (a quarter of the bytes) and
 * computes exactly only the vectors that the bounds cannot rule out of the k best.
 */
#ifndef IGC_INDEX_APPROX_H
#define IGC_INDEX_APPROX_H

#include <stddef.h>
#include <stdint.h>

/* Codes of one vector v of dimension d: code[i] = round(v[i] / *scale) in [-127, 127],
 * and *err such that for any query q, |exact(q . v) - approx(q . v)| <= |q| * err, where
 * exact is any float sum of the products (a BLAS one) and approx is approx_dots()'s. */
void approx_encode(const float *v, size_t d, int8_t *code, float *scale, float *err);

/* out[r] = scale[r] * sum_i q[i] * code[r * d + i] for the n rows, in float. */
void approx_dots(const int8_t *code, const float *scale, size_t n, size_t d, const float *q, float *out);

#endif
