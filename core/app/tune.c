/* Fits the engine's fusion weights and applicability model on past judgments by
 * leave-one-out: each exemplar is classified with itself excluded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"
#include "igc_embed.h"
#include "igc_tune.h"

typedef struct {
    int labelled;
    int lab[3];                                   /* item indices of the truth */
    int cand[IGC_ENGINE_MAX_CANDS];               /* candidate item indices */
    double sig[IGC_ENGINE_MAX_CANDS][IGC_SIG_N];
    size_t ncand;
    double x[4];                                  /* applicability features */
} obs;

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

/* rank-1 candidate under weights w */
static int best_of(const obs *o, const double *w) {
    int best = -1;
    double bs = -1;
    for (size_t c = 0; c < o->ncand; c++) {
        double s = 0;
        for (int k = 0; k < IGC_SIG_N; k++) s += w[k] * o->sig[c][k];
        if (s > bs) bs = s, best = o->cand[c];
    }
    return best;
}

static int hit(const obs *o, int item) {
    return item >= 0 && (o->lab[0] == item || o->lab[1] == item || o->lab[2] == item);
}

int igc_tune(igc_app *a, const igc_tune_opts *opt, igc_engine_params *out, igc_buf *report) {
    igc_engine *e = a->engine;
    const igc_taxonomy *tx = igc_engine_taxonomy(e);
    igc_csv *c;
    int rc = igc_csv_open(opt->history_csv, &c);
    if (rc) return rc;
    char **f;
    size_t nf;
    if (igc_csv_next(c, &f, &nf) != 1) {
        igc_csv_close(c);
        return IGC_EPARSE;
    }
    static const char *cols[] = {"uid", "company", "ksic_code", "ksic_name", "main_product", "product_use",
                                 "tech_business_name", "tech_class", "label1", "label2", "label3", "none_reason"};
    int ci[12];
    for (int i = 0; i < 12; i++) ci[i] = igc_csv_col(c, cols[i]);
    obs *ob = NULL;
    size_t n = 0, cap = 0;
    const igc_engine_params *p0 = igc_engine_get_params(e);
#define COL(i) (ci[i] >= 0 && (size_t)ci[i] < nf ? f[ci[i]] : "")
    size_t row = 0;
    while ((rc = igc_csv_next(c, &f, &nf)) == 1) {
        if (opt->holdout_mod > 0 && !igc_embed_history_heldout(row++, opt->holdout_mod, 0)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            obs *nb = realloc(ob, cap * sizeof *nb);
            if (!nb) {
                rc = IGC_ENOMEM;
                break;
            }
            ob = nb;
        }
        obs *o = &ob[n];
        memset(o, 0, sizeof *o);
        for (int k = 0; k < 3; k++) {
            const igc_tx_item *it = igc_taxonomy_item(tx, COL(8 + k));
            o->lab[k] = it ? (int)(it - tx->items) : -1;
        }
        o->labelled = o->lab[0] >= 0 || o->lab[1] >= 0 || o->lab[2] >= 0;
        if (!o->labelled && !*COL(11)) continue; /* neither an item nor a reason: unusable */
        igc_engine_input in = {COL(1), COL(2), COL(3), COL(4), COL(5), COL(6), COL(7)};
        char key[300];
        snprintf(key, sizeof key, "hist:%s", COL(0));
        igc_engine_result r;
        if ((rc = igc_engine_classify(e, &in, key, &r))) break;
        o->ncand = r.ncands;
        for (size_t k = 0; k < r.ncands; k++) {
            o->cand[k] = (int)(r.cands[k].item - tx->items);
            memcpy(o->sig[k], r.cands[k].sig, sizeof o->sig[k]);
        }
        o->x[0] = p0->use[IGC_SIG_KNN] ? r.na_knn : 0;
        o->x[1] = p0->use[IGC_SIG_PRIOR] ? r.na_prior : 0;
        o->x[2] = p0->use[IGC_SIG_LEXICAL] ? log1p(r.lex_max) : 0;
        o->x[3] = p0->use[IGC_SIG_DENSE] ? r.dense_max : 0;
        igc_engine_result_free(&r);
        n++;
        if (opt->progress && n % 50 == 0) opt->progress(opt->progress_ud, n);
    }
#undef COL
    igc_csv_close(c);
    if (rc < 0 || !n) {
        free(ob);
        return rc < 0 ? rc : IGC_EINVAL;
    }
    *out = *p0;
    /* 1. fusion weights: grid over the simplex (step 0.05), best top-1 on labelled rows */
    double bw[IGC_SIG_N], best_top1 = -1;
    int steps = 20;
    for (int a1 = 0; a1 <= steps; a1++)
        for (int a2 = 0; a1 + a2 <= steps; a2++)
            for (int a3 = 0; a1 + a2 + a3 <= steps; a3++) {
                double w[IGC_SIG_N] = {a1 / (double)steps, a2 / (double)steps, a3 / (double)steps,
                                       (steps - a1 - a2 - a3) / (double)steps};
                int skip = 0;
                for (int k = 0; k < IGC_SIG_N; k++) skip |= !p0->use[k] && w[k] > 0;
                skip |= !a->enc && w[IGC_SIG_DENSE] > 0; /* no model: no dense signal */
                if (skip) continue;
                double t1 = 0;
                size_t nl = 0;
                for (size_t i = 0; i < n; i++) {
                    if (!ob[i].labelled) continue;
                    nl++;
                    t1 += hit(&ob[i], best_of(&ob[i], w));
                }
                t1 = nl ? t1 / (double)nl : 0;
                if (t1 > best_top1 + 1e-9) best_top1 = t1, memcpy(bw, w, sizeof bw);
            }
    for (int k = 0; k < IGC_SIG_N; k++) out->w[k] = bw[k];
    /* 2. applicability: logistic regression on the "no item" evidence */
    double wt[5] = {0, 0, 0, 0, 0};
    for (int it = 0; it < 3000; it++) {
        double g[5] = {0};
        for (size_t i = 0; i < n; i++) {
            double z = wt[0];
            for (int k = 0; k < 4; k++) z += wt[k + 1] * ob[i].x[k];
            double d = sigm(z) - (ob[i].labelled ? 1 : 0);
            g[0] += d;
            for (int k = 0; k < 4; k++) g[k + 1] += d * ob[i].x[k];
        }
        for (int k = 0; k < 5; k++) wt[k] -= 0.5 * (g[k] / (double)n + (k ? 1e-3 * wt[k] : 0));
    }
    out->na_bias = wt[0];
    out->na_w_knn = wt[1];
    out->na_w_prior = wt[2];
    out->na_w_lex = wt[3];
    out->na_w_dense = wt[4];
    /* 3. threshold: best accuracy as the client counts it */
    double best_acc = -1, best_t = 0.5;
    for (int ti = 10; ti <= 90; ti++) {
        double t = ti / 100.0, right = 0;
        for (size_t i = 0; i < n; i++) {
            double z = wt[0];
            for (int k = 0; k < 4; k++) z += wt[k + 1] * ob[i].x[k];
            int app = sigm(z) >= t;
            if (!ob[i].labelled) right += !app;
            else right += app && hit(&ob[i], best_of(&ob[i], bw));
        }
        if (right > best_acc) best_acc = right, best_t = t;
    }
    out->apply_threshold = best_t;
    if (report)
        igc_buf_printf(report,
                       "rows %zu (leave-one-out%s)\nweights lexical %.2f dense %.2f knn %.2f ksic_prior %.2f -> top-1 %.3f\n"
                       "applicability logit: bias %.3f knn %.3f prior %.3f lex %.3f dense %.3f, threshold %.2f -> "
                       "accuracy %.3f\n",
                       n, opt->holdout_mod > 0 ? ", rows held out of the model's training" : "", bw[0], bw[1], bw[2], bw[3], best_top1, wt[0], wt[1], wt[2], wt[3], wt[4], best_t,
                       best_acc / (double)n);
    free(ob);
    return 0;
}
