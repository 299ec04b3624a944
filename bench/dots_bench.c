/* igc-dots-bench: the engine's dense products (core/engine/dots.c) against OpenBLAS's
 * matrix-vector product, on a matrix the size of what one classification scores
 * (2,026 item sentences + 3,280 cases + 2 x 240 per-item sums = 5,786 rows of 128
 * floats), side by side in one run:
 *
 *   igc-dots-bench [--rows N] [--dim D] [--reps R]
 *
 * Prints the median over R rounds (default 15) of the time per query for
 * cblas_sgemv one query at a time, dot_rows one query at a time, and dot_rows over
 * blocks of 32 queries (what `igc classify` and re-classification do), and whether this
 * CPU's products are fused. Random data; the products' values are not compared here
 * (tests/core/engine/test_dots.c checks them). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dots.h"
#include "igc_base.h"

enum { BLOCK = 32, PER_ROUND = 256 };

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    size_t n = 5786, d = 128;
    int reps = 15;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows")) n = (size_t)atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--dim")) d = (size_t)atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: igc-dots-bench [--rows N] [--dim D] [--reps R]\n");
            return 2;
        }
    }
    if (n < 1 || d < 1 || d > 4096 || reps < 1 || reps > 1000) {
        fprintf(stderr, "igc-dots-bench: rows, dim (up to 4096) and reps (up to 1000) must be positive\n");
        return 2;
    }
    float *m = malloc(n * d * sizeof *m), *q = malloc(BLOCK * d * sizeof *q), *out = malloc(BLOCK * n * sizeof *out);
    double *t[3] = {malloc(reps * sizeof(double)), malloc(reps * sizeof(double)), malloc(reps * sizeof(double))};
    if (!m || !q || !out || !t[0] || !t[1] || !t[2]) {
        fprintf(stderr, "igc-dots-bench: out of memory\n");
        return 1;
    }
    srand(1);
    for (size_t i = 0; i < n * d; i++) m[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (size_t i = 0; i < BLOCK * d; i++) q[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    openblas_set_num_threads(1); /* as the engine runs it */
    for (int r = 0; r < reps; r++) {
        /* the three interleaved in each round, so that the machine's drift hits them alike */
        double t0 = igc_now_ms();
        for (int i = 0; i < PER_ROUND; i++)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)n, (blasint)d, 1.0f, m, (blasint)d, q + (i % BLOCK) * d,
                        1, 0.0f, out, 1);
        double t1 = igc_now_ms();
        for (int i = 0; i < PER_ROUND; i++) dot_rows(m, n, d, q + (i % BLOCK) * d, 1, out);
        double t2 = igc_now_ms();
        for (int i = 0; i < PER_ROUND / BLOCK; i++) dot_rows(m, n, d, q, BLOCK, out);
        double t3 = igc_now_ms();
        t[0][r] = (t1 - t0) * 1000 / PER_ROUND, t[1][r] = (t2 - t1) * 1000 / PER_ROUND;
        t[2][r] = (t3 - t2) * 1000 / PER_ROUND;
    }
    for (int k = 0; k < 3; k++) qsort(t[k], (size_t)reps, sizeof(double), cmp_d);
    double s = t[0][reps / 2], a = t[1][reps / 2], b = t[2][reps / 2];
    printf("%zu rows x %zu floats, median of %d rounds, fused multiply-add: %s\n", n, d, reps,
           dot_rows_fused() ? "yes" : "no");
    printf("| products for one query | us | vs cblas_sgemv |\n| --- | --- | --- |\n");
    printf("| cblas_sgemv, alone | %.1f | 1.00 |\n", s);
    printf("| dot_rows, alone | %.1f | %.2f |\n", a, a / s);
    printf("| dot_rows, in blocks of %d | %.1f | %.2f |\n", BLOCK, b, b / s);
    printf("{\"rows\":%zu,\"dim\":%zu,\"sgemv_us\":%.2f,\"dot_alone_us\":%.2f,\"dot_block_us\":%.2f,\"fused\":%d}\n", n,
           d, s, a, b, dot_rows_fused());
    free(m), free(q), free(out), free(t[0]), free(t[1]), free(t[2]);
    return 0;
}
