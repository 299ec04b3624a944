/*
 * Internal to igc_engine: dot products of query vectors with the rows of a matrix
 * (item sentences, cases, per-item sums), in one fixed order of additions, so a
 * product is the same bits whether its query came alone or in a block with others,
 * and on every CPU (no fused multiply-add).
 */
#ifndef IGC_ENGINE_DOTS_H
#define IGC_ENGINE_DOTS_H

#include <stddef.h>

/* out[j * nrows + r] = dot(m[r * d ..], q[j * d ..]) for rows r < nrows and queries
 * j < nq. Each matrix row is read once for the whole block of queries. */
void dot_rows(const float *m, size_t nrows, size_t d, const float *q, size_t nq, float *out);

#endif
