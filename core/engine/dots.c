/* Dot products in a fixed order: dimension k is added into lane k % 8 of an
 * eight-lane sum, lanes from 0 to d in order, then the lanes are added pairwise
 * ((0+4)+(2+6))+((1+5)+(3+7)). Every path below does exactly these additions, so the
 * result does not depend on the block size, the vector width the compiler chose, or
 * whether a query was scored alone. Built without contraction to fused multiply-adds
 * (CMakeLists.txt), which would round differently on CPUs that have them. */
#include "dots.h"

typedef float v8 __attribute__((vector_size(32)));
/* the same, loadable from any float address */
typedef float v8u __attribute__((vector_size(32), aligned(4)));

/* The lanes of sum a, added in the fixed order (a macro: a function taking a vector
 * would differ in ABI between the two builds of dot_rows). */
#define LANES_SUM(a) ((((a)[0] + (a)[4]) + ((a)[2] + (a)[6])) + (((a)[1] + (a)[5]) + ((a)[3] + (a)[7])))

/* Eight rows at once against one query: eight independent sums keep the adders
 * busy (one sum's additions wait on each other), and the eight rows stay in the
 * first-level cache while a block's queries pass over them. */
enum { ROWS = 8 };

__attribute__((target_clones("avx2", "default"))) void dot_rows(const float *m, size_t nrows, size_t d,
                                                                const float *q, size_t nq, float *out) {
    size_t d8 = d / 8 * 8, r = 0;
    for (; r + ROWS <= nrows; r += ROWS) {
        const float *mr = m + r * d;
        for (size_t j = 0; j < nq; j++) {
            const float *qj = q + j * d;
            v8 a[ROWS] = {{0}};
            for (size_t k = 0; k < d8; k += 8) {
                v8 x = *(const v8u *)(qj + k);
#pragma GCC unroll 8
                for (int i = 0; i < ROWS; i++) a[i] += *(const v8u *)(mr + i * d + k) * x;
            }
            float *o = out + j * nrows + r;
#pragma GCC unroll 8
            for (int i = 0; i < ROWS; i++) {
                /* the dimensions past the last whole group of eight, into their lanes */
                for (size_t k = d8; k < d; k++) a[i][k % 8] += mr[i * d + k] * qj[k];
                o[i] = LANES_SUM(a[i]);
            }
        }
    }
    for (; r < nrows; r++) {
        const float *mr = m + r * d;
        for (size_t j = 0; j < nq; j++) {
            const float *qj = q + j * d;
            v8 a = {0};
            for (size_t k = 0; k < d8; k += 8) a += *(const v8u *)(mr + k) * *(const v8u *)(qj + k);
            for (size_t k = d8; k < d; k++) a[k % 8] += mr[k] * qj[k];
            out[j * nrows + r] = LANES_SUM(a);
        }
    }
}
