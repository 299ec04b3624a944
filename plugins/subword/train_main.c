/* igc-embed-train: builds the subword embedding model from the data directory, or
 * measures an existing one on held-out history rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_embed.h"

#ifndef IGC_DEFAULT_DATA
#define IGC_DEFAULT_DATA "../shared/data"
#endif

static void usage(void) {
    fprintf(stderr,
            "usage: igc-embed-train [--data DIR] --out MODEL [--dim N] [--epochs N] [--seed N]\n"
            "                       [--threads N] [--holdout N [--fold K]] [--min-count N] [--batch N]\n"
            "                       [--lr X] [--tau X] [--sources taxonomy,ksic,companies,history,general,lexicon,cases]\n"
            "                       [--report FILE]\n"
            "       igc-embed-train [--data DIR] --eval MODEL [--holdout N [--fold K]]\n");
}

typedef struct {
    const char *stage;
    int tenth;
} shown;

/* One line per stage and per 10% of training. */
static void show(void *ud, const char *stage, double f) {
    shown *s = ud;
    int tenth = (int)(f * 10);
    if (s->stage && !strcmp(s->stage, stage) && tenth == s->tenth) return;
    fprintf(stderr, "%-10s %3d%%\n", stage, tenth * 10);
    s->stage = stage;
    s->tenth = tenth;
}

static unsigned parse_sources(const char *s) {
    unsigned mask = igc_embed_sources_parse(s);
    if (!mask) fprintf(stderr, "unknown source in: %s\n", s);
    return mask;
}

static void print_eval(const char *what, const igc_embed_eval *e) {
    double n = e->rows ? e->rows : 1;
    printf("%-12s rows %d  top1 %.3f  top3 %.3f  top1(label1) %.3f  top3(label1) %.3f  mrr %.3f\n", what,
           e->rows, e->top1 / n, e->top3 / n, e->top1_label1 / n, e->top3_label1 / n, e->mrr);
}

int main(int argc, char **argv) {
    igc_embed_train_opts o;
    igc_embed_train_defaults(&o, IGC_DEFAULT_DATA);
    const char *out = NULL, *report = NULL, *eval = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "--data")) o.data_dir = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--eval")) eval = v;
        else if (!strcmp(a, "--report")) report = v;
        else if (!strcmp(a, "--dim")) o.dim = atoi(v);
        else if (!strcmp(a, "--epochs")) o.epochs = atoi(v);
        else if (!strcmp(a, "--seed")) o.seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--threads")) o.threads = atoi(v);
        else if (!strcmp(a, "--holdout")) o.holdout_mod = atoi(v);
        else if (!strcmp(a, "--fold")) o.holdout_fold = atoi(v);
        else if (!strcmp(a, "--min-count")) o.min_count = atoi(v);
        else if (!strcmp(a, "--batch")) o.batch = atoi(v);
        else if (!strcmp(a, "--lr")) o.lr = strtof(v, NULL);
        else if (!strcmp(a, "--tau")) o.temperature = strtof(v, NULL);
        else if (!strcmp(a, "--sources")) {
            if (!(o.sources = parse_sources(v))) return 2;
        } else {
            usage();
            return 2;
        }
    }
    if (eval) {
        igc_embed_model *m;
        int rc = igc_embed_load(eval, &m);
        if (rc) return 1;
        igc_embed_eval e;
        printf("%s (%u features)\n", igc_embed_version(m), igc_embed_nfeat(m));
        static const int modes[2] = {IGC_EMBED_EVAL_BAG, IGC_EMBED_EVAL_MODEL};
        static const char *const names[2] = {"idf-bag", "model"};
        for (int i = 0; i < 2 && !rc; i++) {
            rc = igc_embed_eval_history(m, o.data_dir, o.holdout_mod, o.holdout_fold, modes[i], &e);
            if (!rc) print_eval(names[i], &e);
        }
        for (int i = 0; i < 2 && !rc; i++) {
            rc = igc_embed_eval_names(m, o.data_dir, modes[i], &e);
            if (!rc) print_eval(i ? "names/model" : "names/bag", &e);
        }
        igc_embed_free(m);
        if (rc) fprintf(stderr, "eval failed: %s\n", igc_strerror(rc));
        return rc ? 1 : 0;
    }
    if (!out) {
        usage();
        return 2;
    }
    shown last = {NULL, -1};
    o.progress = show;
    o.progress_ud = &last;
    igc_buf rep = {0};
    int rc = igc_embed_train(&o, out, &rep);
    if (rc) {
        fprintf(stderr, "training failed: %s\n", igc_strerror(rc));
    } else if (report) {
        rc = igc_write_file_atomic(report, rep.data, rep.len);
        if (rc) fprintf(stderr, "cannot write %s: %s\n", report, igc_strerror(rc));
    } else {
        printf("%s\n", rep.data);
    }
    igc_buf_free(&rep);
    return rc ? 1 : 0;
}
