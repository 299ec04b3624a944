/* Fits the engine's item model, applicability model and review operating point on
 * past judgments by leave-one-out: each exemplar is classified with itself excluded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"
#include "igc_embed.h"
#include "igc_eval.h"
#include "igc_tune.h"

/* The review rule's operating point (see routing_fit): the largest share of answers
 * decided alone whose accuracy there reaches ROUTE_MIN_ACC; failing that, the most
 * accurate point that still decides at least ROUTE_MIN_SHARE alone. Grid: margins
 * 0..0.50 by 0.02, minimum rank-1 scores 0..0.95 by 0.05. */
#define ROUTE_MIN_ACC 0.90
#define ROUTE_MIN_SHARE 0.5
#define ROUTE_MARGINS 26
#define ROUTE_SCORES 20

typedef struct {
    char uid[64];
    int labelled;
    int lab[3];          /* item indices of the truth, -1 when absent */
    float *feat;         /* [nitems][IGC_FT_N] */
    double na[IGC_NA_N];
    int hit;             /* rank 1 among the labels under the fitted item model */
    size_t rank;         /* the labels' best rank under it (0 = rank 1) */
    double p_app;        /* probability of being applicable under the fitted gate */
    /* na[IGC_NA_TOP] is the rank-1 probability under the fitted item model */
} obs;

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

static int is_label(const obs *o, size_t i) {
    return o->lab[0] == (int)i || o->lab[1] == (int)i || o->lab[2] == (int)i;
}

/* Item probabilities under weights w into p[ni]. */
static void softmax(const obs *o, size_t ni, const double *w, double *p) {
    double m = -1e300, s = 0;
    for (size_t i = 0; i < ni; i++) {
        double z = 0;
        for (int f = 0; f < IGC_FT_N; f++) z += w[f] * o->feat[i * IGC_FT_N + f];
        p[i] = z;
        m = z > m ? z : m;
    }
    for (size_t i = 0; i < ni; i++) s += (p[i] = exp(p[i] - m));
    for (size_t i = 0; i < ni; i++) p[i] /= s;
}

/* Rank of the best-ranked label (0 = rank 1). */
static size_t label_rank(const obs *o, size_t ni, const double *p) {
    double best = -1;
    for (size_t i = 0; i < ni; i++)
        if (is_label(o, i) && p[i] > best) best = p[i];
    size_t rank = 0;
    for (size_t i = 0; i < ni; i++)
        if (p[i] > best) rank++;
    return rank;
}

/* What a threshold on p_app does to the client's metrics. */
typedef struct {
    double right;        /* rows right as accuracy counts them */
    double top3;         /* labelled rows applicable with a label in the top 3 */
    double item_refused; /* labelled rows judged not applicable */
    double na_missed;    /* not-applicable rows judged applicable */
} gate_counts;

static gate_counts gate_at(const obs *ob, size_t n, double t) {
    gate_counts g = {0, 0, 0, 0};
    for (size_t r = 0; r < n; r++) {
        int app = ob[r].p_app >= t;
        if (!ob[r].labelled) {
            g.right += !app;
            g.na_missed += app;
        } else if (app) {
            g.right += ob[r].hit;
            g.top3 += ob[r].rank < 3;
        } else {
            g.item_refused++;
        }
    }
    return g;
}

/* What one review rule does at threshold t: how many rows it leaves alone and how
 * many of those are right (as accuracy counts). The engine's rule, igc_engine_classify. */
static igc_route_point route_at(const obs *ob, size_t n, double t, double margin, double min_score) {
    igc_route_point pt = {margin, min_score, n, 0, 0};
    for (size_t r = 0; r < n; r++) {
        const obs *o = &ob[r];
        int app = o->p_app >= t;
        if (fabs(o->p_app - t) < margin || (app && o->na[IGC_NA_TOP] < min_score)) continue;
        pt.auto_rows++;
        pt.auto_right += o->labelled ? app && o->hit : !app;
    }
    return pt;
}

/* Chooses review_margin and review_min_score on the rows (see ROUTE_MIN_ACC) and
 * prints the curve: the Pareto front of share decided alone against accuracy there. */
static int routing_fit(const obs *ob, size_t n, double t, const igc_engine_params *p0, igc_engine_params *out,
                       igc_buf *report) {
    igc_route_point grid[ROUTE_MARGINS * ROUTE_SCORES];
    size_t ng = 0;
    for (int mi = 0; mi < ROUTE_MARGINS; mi++)
        for (int si = 0; si < ROUTE_SCORES; si++) grid[ng++] = route_at(ob, n, t, mi / 50.0, si / 20.0);
    int fallback = 0;
    long c = igc_route_choose(grid, ng, ROUTE_MIN_ACC, ROUTE_MIN_SHARE, &fallback);
    if (c < 0) return 0; /* no rows: keep the starting point */
    igc_route_point chosen = grid[c];
    out->review_margin = chosen.margin;
    out->review_min_score = chosen.min_score;
    if (!report) return 0;
    size_t nf = igc_route_pareto(grid, ng);
    int rc = igc_buf_printf(report,
                            "review operating point (needs_review when |P(applicable) - threshold| < margin, or an applicable\n"
                            "rank 1 scores below the minimum; the same rows, engine only: rules may flag more).\n"
                            "Pareto front of the %zu points tried (margin 0-0.50, minimum 0-0.95):\n"
                            "  decided alone   accuracy there   margin  min score\n",
                            ng);
    double last = 2;
    for (size_t i = 0; i < nf && !rc; i++) {
        const igc_route_point *q = &grid[i];
        int is_chosen = q->margin == chosen.margin && q->min_score == chosen.min_score;
        /* a compact table: a step of 0.04 in share or more, the ends and the choice */
        if (!is_chosen && i && i + 1 < nf && igc_route_share(q) > last - 0.04) continue;
        last = igc_route_share(q);
        rc = igc_buf_printf(report, "  %5.3f (%4zu)    %5.3f            %4.2f    %4.2f%s\n", igc_route_share(q), q->auto_rows,
                            igc_route_accuracy(q), q->margin, q->min_score, is_chosen ? "  <- chosen" : "");
    }
    igc_route_point before = route_at(ob, n, t, p0->review_margin, p0->review_min_score);
    if (!rc)
        rc = igc_buf_printf(report, "  chosen: margin %.2f, min score %.2f: %zu of %zu rows decided alone (%.3f), accuracy there %.3f\n"
                            "  (%s %.2f%s)\n  before: margin %.2f, min score %.2f: %.3f decided alone, accuracy there %.3f\n",
                            chosen.margin, chosen.min_score, chosen.auto_rows, n, igc_route_share(&chosen),
                            igc_route_accuracy(&chosen),
                            fallback ? "no point reaches the accuracy bar: the most accurate deciding at least"
                                     : "the largest share decided alone with accuracy there >=",
                            fallback ? ROUTE_MIN_SHARE : ROUTE_MIN_ACC, fallback ? " alone" : "", p0->review_margin, p0->review_min_score, igc_route_share(&before), igc_route_accuracy(&before));
    return rc;
}

struct igc_tune_set {
    obs *ob;
    size_t n, cap, ni;
};

int igc_tune_set_new(igc_tune_set **out) {
    *out = calloc(1, sizeof **out);
    return *out ? 0 : IGC_ENOMEM;
}

void igc_tune_set_free(igc_tune_set *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) free(s->ob[i].feat);
    free(s->ob);
    free(s);
}

size_t igc_tune_set_size(const igc_tune_set *s) { return s->n; }

int igc_tune_collect(igc_tune_set *set, const igc_engine *e, const igc_tune_opts *opt) {
    const igc_taxonomy *tx = igc_engine_taxonomy(e);
    size_t ni = tx->nitems;
    if (set->ni && set->ni != ni) return IGC_EINVAL;
    set->ni = ni;
    igc_rows *rows;
    int rc = igc_rows_open(opt->history_csv, &rows);
    if (rc) return rc;
    obs *ob = set->ob;
    size_t n = set->n, cap = set->cap, row = 0;
    igc_row r;
    while ((rc = igc_rows_next(rows, &r)) == 1) {
        if (opt->holdout_mod > 0 && !igc_embed_history_heldout(row++, opt->holdout_mod, opt->fold)) continue;
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
            const igc_tx_item *it = igc_taxonomy_item(tx, r.labels[k]);
            o->lab[k] = it ? (int)(it - tx->items) : -1;
        }
        o->labelled = o->lab[0] >= 0 || o->lab[1] >= 0 || o->lab[2] >= 0;
        if (!o->labelled && !*r.none_reason) continue; /* neither an item nor a reason: unusable */
        snprintf(o->uid, sizeof o->uid, "%s", r.uid);
        char key[300];
        snprintf(key, sizeof key, "hist:%s", r.uid);
        if (!(o->feat = malloc(ni * IGC_FT_N * sizeof *o->feat))) {
            rc = IGC_ENOMEM;
            break;
        }
        if ((rc = igc_engine_features(e, &r.in, key, o->feat, o->na))) {
            free(o->feat);
            break;
        }
        n++;
        if (opt->progress && n % 50 == 0) opt->progress(opt->progress_ud, n);
    }
    igc_rows_close(rows);
    set->ob = ob;
    set->n = n;
    set->cap = cap;
    return rc < 0 ? rc : 0;
}

int igc_tune_fit(const igc_tune_set *set, const igc_engine_params *p0, igc_engine_params *out, igc_buf *report) {
    obs *ob = set->ob;
    size_t n = set->n, ni = set->ni;
    double *p = n ? malloc(ni * sizeof *p) : NULL;
    if (!p) return n ? IGC_ENOMEM : IGC_EINVAL;
    *out = *p0;
    /* 1. item model: maximise the probability mass on the accepted labels
     * (softmax regression, L2-regularised), by Adam: features differ in scale
     * (log-probabilities next to shares in [0,1]). */
    double w[IGC_FT_N], m1[IGC_FT_N] = {0}, m2[IGC_FT_N] = {0};
    memcpy(w, p0->wf, sizeof w);
    for (int k = 0; k < IGC_FT_N; k++)
        if (!p0->use[igc_engine_feature_signal[k]]) w[k] = 0;
    size_t nl = 0;
    for (size_t r = 0; r < n; r++) nl += ob[r].labelled;
    for (int it = 1; it <= 800 && nl; it++) {
        double g[IGC_FT_N] = {0};
        for (size_t r = 0; r < n; r++) {
            const obs *o = &ob[r];
            if (!o->labelled) continue;
            softmax(o, ni, w, p);
            double mass = 0;
            for (size_t i = 0; i < ni; i++)
                if (is_label(o, i)) mass += p[i];
            for (size_t i = 0; i < ni; i++) {
                double d = p[i] - (is_label(o, i) ? p[i] / (mass > 1e-300 ? mass : 1e-300) : 0);
                if (d == 0) continue;
                for (int k = 0; k < IGC_FT_N; k++) g[k] += d * o->feat[i * IGC_FT_N + k];
            }
        }
        for (int k = 0; k < IGC_FT_N; k++) {
            if (!p0->use[igc_engine_feature_signal[k]]) continue;
            double gk = g[k] / (double)nl + 1e-3 * w[k];
            m1[k] = 0.9 * m1[k] + 0.1 * gk;
            m2[k] = 0.999 * m2[k] + 0.001 * gk * gk;
            double mh = m1[k] / (1 - pow(0.9, it)), vh = m2[k] / (1 - pow(0.999, it));
            w[k] -= 0.05 * mh / (sqrt(vh) + 1e-8);
        }
    }
    memcpy(out->wf, w, sizeof w);
    double top1 = 0, top3 = 0;
    for (size_t r = 0; r < n; r++) {
        obs *o = &ob[r];
        softmax(o, ni, w, p);
        double best = 0;
        for (size_t i = 0; i < ni; i++) best = p[i] > best ? p[i] : best;
        o->na[IGC_NA_TOP] = best;
        if (!o->labelled) continue;
        o->rank = label_rank(o, ni, p);
        o->hit = o->rank == 0;
        top1 += o->hit;
        top3 += o->rank < 3;
    }
    /* 2. applicability: logistic regression on the "no item" evidence */
    double wt[IGC_NA_N + 1] = {0}, a1[IGC_NA_N + 1] = {0}, a2[IGC_NA_N + 1] = {0};
    /* A labelled row whose rank 1 is wrong counts as wrong whether or not it is
     * called applicable, so it weighs less than the rows the decision can get right. */
    const double miss_w = 0.3;
    for (int it = 1; it <= 3000; it++) {
        double g[IGC_NA_N + 1] = {0};
        for (size_t r = 0; r < n; r++) {
            double z = wt[0];
            for (int k = 0; k < IGC_NA_N; k++) z += wt[k + 1] * ob[r].na[k];
            double d = (sigm(z) - (ob[r].labelled ? 1 : 0)) * (ob[r].labelled && !ob[r].hit ? miss_w : 1.0);
            g[0] += d;
            for (int k = 0; k < IGC_NA_N; k++) g[k + 1] += d * ob[r].na[k];
        }
        for (int k = 0; k <= IGC_NA_N; k++) {
            double gk = g[k] / (double)n + (k ? 1e-3 * wt[k] : 0);
            a1[k] = 0.9 * a1[k] + 0.1 * gk;
            a2[k] = 0.999 * a2[k] + 0.001 * gk * gk;
            double mh = a1[k] / (1 - pow(0.9, it)), vh = a2[k] / (1 - pow(0.999, it));
            wt[k] -= 0.02 * mh / (sqrt(vh) + 1e-8);
        }
    }
    out->na_bias = wt[0];
    for (int k = 0; k < IGC_NA_N; k++) out->na_w[k] = wt[k + 1];
    /* 3. threshold: best accuracy as the client counts it. Each row's probability
     * of being applicable is computed once. */
    for (size_t r = 0; r < n; r++) {
        double z = wt[0];
        for (int k = 0; k < IGC_NA_N; k++) z += wt[k + 1] * ob[r].na[k];
        ob[r].p_app = sigm(z);
    }
    double best_acc = -1, best_t = 0.5;
    for (int ti = 10; ti <= 90; ti++) {
        gate_counts g = gate_at(ob, n, ti / 100.0);
        if (g.right > best_acc) best_acc = g.right, best_t = ti / 100.0;
    }
    out->apply_threshold = best_t;
    if (report) {
        /* the client's other metrics at that threshold, on the same cross-fitted rows */
        gate_counts g = gate_at(ob, n, best_t);
        double na_tp = (double)(n - nl) - g.na_missed;
        igc_buf_printf(report, "rows %zu, %zu with an item (leave-one-out)\nitem model weights:", n, nl);
        for (int k = 0; k < IGC_FT_N; k++) igc_buf_printf(report, " %s %.3f", igc_engine_feature_names[k], w[k]);
        igc_buf_printf(report, "\n  -> top-1 %.3f, top-3 %.3f\napplicability: bias %.3f", nl ? top1 / (double)nl : 0,
                       nl ? top3 / (double)nl : 0, wt[0]);
        for (int k = 0; k < IGC_NA_N; k++) igc_buf_printf(report, " %s %.3f", igc_engine_na_names[k], wt[k + 1]);
        igc_buf_printf(report, ", threshold %.2f\n  -> accuracy %.3f, top-1 %.3f, top-3 %.3f, n/a precision %.3f, recall %.3f\n",
                       best_t, g.right / (double)n, nl ? (g.right - na_tp) / (double)nl : 0,
                       nl ? g.top3 / (double)nl : 0, na_tp + g.item_refused > 0 ? na_tp / (na_tp + g.item_refused) : 0,
                       n > nl ? na_tp / (double)(n - nl) : 0);
        igc_buf_printf(report, "threshold trade-off (the same rows; accuracy and top-3 pull against each other):\n");
        for (int ti = 10; ti <= 90; ti += 5) {
            gate_counts c = gate_at(ob, n, ti / 100.0);
            igc_buf_printf(report, "  %.2f  accuracy %.3f  top-3 %.3f%s\n", ti / 100.0, c.right / (double)n,
                           nl ? c.top3 / (double)nl : 0, fabs(ti / 100.0 - best_t) < 0.025 ? "  <- fitted" : "");
        }
    }
    /* 4. routing: which answers go to an examiner, at that threshold */
    int rc = routing_fit(ob, n, best_t, p0, out, report);
    free(p);
    return rc;
}

int igc_tune_rows_write(const igc_tune_set *s, const char *path) {
    igc_buf b = {0};
    int rc = igc_buf_puts(&b, "uid\tlabelled\thit\trank\tp_applicable");
    for (int k = 0; k < IGC_NA_N && !rc; k++) rc = igc_buf_printf(&b, "\tna_%s", igc_engine_na_names[k]);
    for (size_t r = 0; r < s->n && !rc; r++) {
        const obs *o = &s->ob[r];
        /* uids are the file's own; a tab or newline in one would break the table */
        char uid[64];
        snprintf(uid, sizeof uid, "%s", o->uid);
        for (char *c = uid; *c; c++)
            if (*c == '\t' || *c == '\n' || *c == '\r') *c = ' ';
        rc = igc_buf_printf(&b, "\n%s\t%d\t%d\t%zu\t%.6f", uid, o->labelled, o->hit, o->rank, o->p_app);
        for (int k = 0; k < IGC_NA_N && !rc; k++) rc = igc_buf_printf(&b, "\t%.6g", o->na[k]);
    }
    if (!rc) rc = igc_buf_puts(&b, "\n");
    if (!rc) rc = igc_write_file_atomic(path, b.data, b.len);
    igc_buf_free(&b);
    return rc;
}
