/* igc-explain-bench: the word shares behind a classification's keywords
 * (igc_embed_explain: each input word's share of the cosine with each candidate's closest
 * item sentence), as one classification asks them: the text of a dev row against ten
 * targets. The targets are the first item names of the taxonomy, encoded.
 *
 *   igc-explain-bench [--model FILE] [--data DIR] [--targets N] [--reps R]
 *
 * Prints the median and the lowest, over R rounds (default 15), of the time per call over
 * the dev rows, and a checksum of every share's bits: two builds that print the same
 * checksum computed the same shares. The lowest round is the steadier figure on a busy
 * machine (another process can only add time). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_embed.h"
#include "igc_text.h"

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The dev rows' texts as the engine reads them (the four text fields, one per line). */
static int load_texts(const char *data, igc_words **out, size_t *n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/labeled/dev.csv", data);
    static const char *const names[] = {"ksic_name", "main_product", "product_use", "tech_business_name"};
    int cols[4];
    size_t width;
    igc_csv *c;
    const char *missing = NULL;
    int rc = igc_csv_open_cols(path, names, 4, cols, &width, &c, &missing);
    if (rc) return rc;
    size_t cap = 0;
    *out = NULL, *n = 0;
    char **f;
    size_t nf;
    while (!rc && igc_csv_next(c, &f, &nf) == 1) {
        igc_buf t = {0};
        for (int k = 0; k < 4; k++)
            if ((size_t)cols[k] < nf) igc_buf_printf(&t, "%s\n", f[cols[k]]);
        if (*n == cap) {
            cap = cap ? cap * 2 : 512;
            igc_words *w = realloc(*out, cap * sizeof *w);
            if (!w) rc = IGC_ENOMEM;
            else *out = w;
        }
        if (!rc) {
            memset(&(*out)[*n], 0, sizeof **out);
            rc = igc_text_words(t.data ? t.data : "", &(*out)[*n]);
            if (!rc) (*n)++;
        }
        igc_buf_free(&t);
    }
    igc_csv_close(c);
    return rc;
}

int main(int argc, char **argv) {
    const char *model = IGC_BENCH_MODEL, *data = IGC_BENCH_DATA;
    int nt = 10, reps = 15;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!strcmp(argv[i], "--data")) data = argv[i + 1];
        else if (!strcmp(argv[i], "--targets")) nt = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: igc-explain-bench [--model FILE] [--data DIR] [--targets N] [--reps R]\n");
            return 2;
        }
    }
    if (nt < 1 || nt > 64 || reps < 1 || reps > 1000) {
        fprintf(stderr, "igc-explain-bench: --targets 1..64, --reps 1..1000\n");
        return 2;
    }
    igc_embed_model *m;
    int rc = igc_embed_load(model, &m);
    if (rc) {
        fprintf(stderr, "igc-explain-bench: cannot load %s: %s\n", model, igc_strerror(rc));
        return 1;
    }
    size_t d = (size_t)igc_embed_dim(m), n = 0;
    igc_words *texts = NULL;
    if ((rc = load_texts(data, &texts, &n)) || !n) {
        fprintf(stderr, "igc-explain-bench: cannot read %s/labeled/dev.csv: %s\n", data, igc_strerror(rc));
        return 1;
    }
    /* targets: the first item names, encoded (any unit vectors of the model's kind) */
    static const char *const names[] = {"이차전지", "반도체 장비", "전기차 부품", "수소 연료전지", "스마트팜",
                                        "항공기", "로봇", "바이오 의약품", "디스플레이", "태양광 발전",
                                        "5G 통신장비", "인공지능 소프트웨어", "의료기기", "드론", "풍력",
                                        "자율주행"};
    float *targets = calloc((size_t)nt * d, sizeof *targets);
    size_t maxw = 0;
    for (size_t i = 0; i < n; i++) maxw = texts[i].n > maxw ? texts[i].n : maxw;
    float *contrib = malloc(((size_t)nt * maxw + 1) * sizeof *contrib);
    double *per = malloc((size_t)reps * sizeof *per);
    if (!targets || !contrib || !per) return 1;
    for (int t = 0; t < nt; t++)
        igc_embed_encode(m, names[(size_t)t % (sizeof names / sizeof names[0])], targets + (size_t)t * d);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int r = 0; r < reps; r++) {
        double t0 = igc_now_ms();
        for (size_t i = 0; i < n; i++) {
            if (!texts[i].n) continue;
            igc_embed_explain(m, &texts[i], targets, (size_t)nt, contrib);
            if (r == 0) {
                const unsigned char *b = (const unsigned char *)contrib;
                for (size_t k = 0; k < (size_t)nt * texts[i].n * sizeof *contrib; k++) h = (h ^ b[k]) * 0x100000001b3ULL;
            }
        }
        per[r] = (igc_now_ms() - t0) * 1000.0 / (double)n;
    }
    qsort(per, (size_t)reps, sizeof *per, cmp_d);
    printf("igc_embed_explain, %zu dev rows x %d targets (%s): median %.2f us, lowest %.2f us per call\n", n, nt,
           igc_embed_version(m), per[reps / 2], per[0]);
    printf("shares checksum %016llx\n", (unsigned long long)h);
    for (size_t i = 0; i < n; i++) igc_text_words_free(&texts[i]);
    free(texts), free(targets), free(contrib), free(per);
    igc_embed_free(m);
    return 0;
}
