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

/* Dimensions up to which a query is rounded to 16-bit integers (so that no sum of
 * products overflows 32 bits). */
#define APPROX_MAX_DIM 512

/* A query as approx_dots() reads it, prepared once for every list a search probes. */
typedef struct {
    const float *q;               /* the query (scored in floats when t is 0) */
    float t;                      /* q[i] is about t * qi[i]; 0: no integer form */
    int16_t qi[APPROX_MAX_DIM];
} approx_query;

/* Prepares query q of dimension d: its integer form where the CPU has AVX2, d is a
 * multiple of 16 and at most APPROX_MAX_DIM, and q is finite and not zero. q must
 * outlive aq. */
void approx_query_init(approx_query *aq, const float *q, size_t d);

/* out[r] = scale[r] * sum_i q[i] * code[r * d + i] for the n rows, in float (within
 * approx_encode's bound). */
void approx_dots(const approx_query *aq, const int8_t *code, const float *scale, size_t n, size_t d, float *out);

#endif
