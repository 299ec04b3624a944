/*
 * Internal to igc_engine: dot products of query vectors with the rows of a matrix
 * (item sentences, cases, per-item sums), in one fixed order of additions, so that on
 * one machine a product has the same bits whether its query came alone or in a block
 * with others.
 */
#ifndef IGC_ENGINE_DOTS_H
#define IGC_ENGINE_DOTS_H

#include <stddef.h>

/* out[j * nrows + r] = dot(m[r * d ..], q[j * d ..]) for rows r < nrows and queries
 * j < nq: dimension k summed into lane k % 8, then the lanes as
 * ((0+1)+(2+3))+((4+5)+(6+7)). Each matrix row is read once for the whole block. */
void dot_rows(const float *m, size_t nrows, size_t d, const float *q, size_t nq, float *out);

/* 1 when this CPU's products are fused multiply-adds (AVX with FMA), 0 when each is a
 * multiply then an add. */
int dot_rows_fused(void);

/* dot_rows with fused (1) or separate (0) multiply-adds whatever the CPU, for tests:
 * fused needs dot_rows_fused(). */
void dot_rows_as(int fused, const float *m, size_t nrows, size_t d, const float *q, size_t nq, float *out);

#endif
