/* igc-index-bench: the nearest-neighbour search over past judgments' sentence vectors,
 * with the 8-bit codes ruling vectors out first (the default) against scoring every
 * vector of the probed lists (exact_scan), side by side on the same vectors.
 *
 *   igc-index-bench [--model FILE] [--data DIR] [--exemplars N] [--k K] [--reps R]
 *
 * The vectors are the model's sentences of history texts recombined as igc-bench makes
 * its store (a row's text with another row's main product), N of them (default
 * 100,000), added in blocks of 1,000 so that the IVF re-clusters as the engine's does
 * (IVF64,Flat, nprobe=8: the service's defaults), two indexes of each kind; the queries
 * are the dev rows. Prints the median and lowest, over R rounds (default 9) that take the
 * four indexes in turn, of the time per search of each kind, their ratio, and a checksum
 * of each one's ids and similarity bits: equal checksums mean the same answers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_embed.h"
#include "igc_index.h"

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Rows of a labelled file: the four text fields joined, and the main product alone. */
typedef struct {
    char **text, **product;
    size_t n;
} rows;

static int load_rows(const char *path, rows *r) {
    static const char *const names[] = {"ksic_name", "main_product", "product_use", "tech_business_name"};
    int cols[4];
    size_t width, cap = 0;
    igc_csv *c;
    const char *missing = NULL;
    memset(r, 0, sizeof *r);
    int rc = igc_csv_open_cols(path, names, 4, cols, &width, &c, &missing);
    if (rc) return rc;
    char **f;
    size_t nf;
    while (!rc && igc_csv_next(c, &f, &nf) == 1) {
        if (r->n == cap) {
            cap = cap ? cap * 2 : 1024;
            char **t = realloc(r->text, cap * sizeof *t), **p = t ? realloc(r->product, cap * sizeof *p) : NULL;
            if (t) r->text = t;
            if (p) r->product = p;
            if (!t || !p) rc = IGC_ENOMEM;
        }
        if (rc) break;
        igc_buf t = {0};
        for (int k = 0; k < 4; k++)
            if ((size_t)cols[k] < nf) igc_buf_printf(&t, "%s\n", f[cols[k]]);
        r->text[r->n] = t.data ? t.data : strdup("");
        r->product[r->n] = strdup((size_t)cols[1] < nf ? f[cols[1]] : "");
        r->n++;
    }
    igc_csv_close(c);
    return rc;
}

static void rows_free(rows *r) {
    for (size_t i = 0; i < r->n; i++) free(r->text[i]), free(r->product[i]);
    free(r->text), free(r->product);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
    return h;
}

int main(int argc, char **argv) {
    const char *model = IGC_BENCH_MODEL, *data = IGC_BENCH_DATA;
    long nex = 100000;
    int k = 11, reps = 9;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!strcmp(argv[i], "--data")) data = argv[i + 1];
        else if (!strcmp(argv[i], "--exemplars")) nex = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--k")) k = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: igc-index-bench [--model FILE] [--data DIR] [--exemplars N] [--k K] [--reps R]\n");
            return 2;
        }
    }
    if (nex < 1 || nex > 10000000 || k < 1 || k > 128 || reps < 1 || reps > 1000) {
        fprintf(stderr, "igc-index-bench: --exemplars 1..10000000, --k 1..128, --reps 1..1000\n");
        return 2;
    }
    igc_embed_model *m;
    int rc = igc_embed_load(model, &m);
    if (rc) {
        fprintf(stderr, "igc-index-bench: cannot load %s: %s\n", model, igc_strerror(rc));
        return 1;
    }
    size_t d = (size_t)igc_embed_dim(m), n = (size_t)nex;
    char path[4096];
    rows hist, dev;
    snprintf(path, sizeof path, "%s/labeled/history.csv", data);
    if ((rc = load_rows(path, &hist)) || !hist.n) {
        fprintf(stderr, "igc-index-bench: cannot read %s: %s\n", path, igc_strerror(rc));
        return 1;
    }
    snprintf(path, sizeof path, "%s/labeled/dev.csv", data);
    if ((rc = load_rows(path, &dev)) || !dev.n) {
        fprintf(stderr, "igc-index-bench: cannot read %s: %s\n", path, igc_strerror(rc));
        return 1;
    }
    float *vecs = malloc(n * d * sizeof *vecs), *q = malloc(dev.n * d * sizeof *q);
    float *s = malloc(dev.n * (size_t)k * sizeof *s);
    int64_t *id = malloc(dev.n * (size_t)k * sizeof *id);
    double *per[2] = {malloc((size_t)reps * sizeof(double)), malloc((size_t)reps * sizeof(double))};
    if (!vecs || !q || !s || !id || !per[0] || !per[1]) return 1;
    double t0 = igc_now_ms();
    for (size_t i = 0; i < n; i++) {
        /* the history first, then each row's text with another row's main product */
        size_t a = i % hist.n, b = (i * 7 + 3 + i / hist.n * 31) % hist.n;
        igc_buf t = {0};
        igc_buf_printf(&t, "%s", hist.text[a]);
        if (i >= hist.n) igc_buf_printf(&t, " %s", hist.product[b]);
        igc_embed_encode(m, t.data ? t.data : "", vecs + i * d);
        igc_buf_free(&t);
    }
    for (size_t i = 0; i < dev.n; i++) igc_embed_encode(m, dev.text[i], q + i * d);
    double t1 = igc_now_ms();
    /* four indexes built in the order codes, exact, exact, codes: the one built first
     * can run faster or slower for where its memory fell (about a tenth at 700), which
     * each kind then has once */
    static const int kind[4] = {0, 1, 1, 0};
    igc_index *x[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++) {
        igc_index_opts o = {"IVF64,Flat", 0, "nprobe=8", 0, kind[i]};
        if ((rc = igc_index_new((int)d, &o, &x[i]))) {
            fprintf(stderr, "igc-index-bench: %s\n", igc_strerror(rc));
            return 1;
        }
        for (size_t j = 0; j < n && !rc; j += 1000) rc = igc_index_add(x[i], vecs + j * d, n - j < 1000 ? n - j : 1000);
        if (rc) {
            fprintf(stderr, "igc-index-bench: %s\n", igc_strerror(rc));
            return 1;
        }
    }
    printf("igc-index-bench  %zu vectors of %zu dimensions (%s; encoded in %.0f ms), %zu queries, k %d\n", n, d,
           igc_index_describe(x[0]), t1 - t0, dev.n, k);
    uint64_t sum[2] = {0xcbf29ce484222325ULL, 0xcbf29ce484222325ULL};
    for (int r = 0; r < reps; r++) {
        double t[2] = {0, 0};
        for (int i0 = 0; i0 < 4; i0++) {
            int i = (r + i0) % 4; /* each round starts with another */
            double a = igc_now_ms();
            for (size_t j = 0; j < dev.n && !rc; j++)
                rc = igc_index_search(x[i], q + j * d, 1, k, s + j * (size_t)k, id + j * (size_t)k);
            t[kind[i]] += (igc_now_ms() - a) * 1000.0 / (double)dev.n / 2;
            if (r == 0 && (i == 0 || i == 1)) {
                sum[kind[i]] = fnv(sum[kind[i]], id, dev.n * (size_t)k * sizeof *id);
                sum[kind[i]] = fnv(sum[kind[i]], s, dev.n * (size_t)k * sizeof *s);
            }
        }
        per[0][r] = t[0], per[1][r] = t[1];
    }
    if (rc) {
        fprintf(stderr, "igc-index-bench: search: %s\n", igc_strerror(rc));
        return 1;
    }
    qsort(per[0], (size_t)reps, sizeof(double), cmp_d);
    qsort(per[1], (size_t)reps, sizeof(double), cmp_d);
    printf("| search | median us | lowest us | answers checksum |\n| --- | --- | --- | --- |\n");
    printf("| codes first (default) | %.2f | %.2f | %016llx |\n", per[0][reps / 2], per[0][0],
           (unsigned long long)sum[0]);
    printf("| every probed vector (exact_scan) | %.2f | %.2f | %016llx |\n", per[1][reps / 2], per[1][0],
           (unsigned long long)sum[1]);
    printf("\ncodes first / every vector: median %.2f, lowest %.2f; answers %s\n", per[0][reps / 2] / per[1][reps / 2],
           per[0][0] / per[1][0], sum[0] == sum[1] ? "the same" : "DIFFER");
    for (int i = 0; i < 4; i++) igc_index_free(x[i]);
    free(vecs), free(q), free(s), free(id), free(per[0]), free(per[1]);
    rows_free(&hist), rows_free(&dev);
    igc_embed_free(m);
    return sum[0] == sum[1] ? 0 : 1;
}
