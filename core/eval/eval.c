#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "igc_eval.h"

typedef struct {
    char *code;
    size_t tp, fp, fn;
    int in_labels;
} item_stat;

typedef struct {
    char *truth, *pred; /* label1 -> predicted rank 1 (or "-" for not applicable) */
    size_t n;
} confusion;

struct igc_eval {
    size_t rows, labelled, none_rows, correct, top1, top3;
    size_t na_pred, na_pred_right, na_true_found;
    item_stat *items;
    size_t nitems, icap;
    confusion *conf;
    size_t nconf, ccap;
};

int igc_eval_new(igc_eval **out) {
    *out = calloc(1, sizeof **out);
    return *out ? 0 : IGC_ENOMEM;
}

void igc_eval_free(igc_eval *ev) {
    if (!ev) return;
    for (size_t i = 0; i < ev->nitems; i++) free(ev->items[i].code);
    for (size_t i = 0; i < ev->nconf; i++) free(ev->conf[i].truth), free(ev->conf[i].pred);
    free(ev->items);
    free(ev->conf);
    free(ev);
}

static item_stat *stat_of(igc_eval *ev, const char *code) {
    for (size_t i = 0; i < ev->nitems; i++)
        if (strcmp(ev->items[i].code, code) == 0) return &ev->items[i];
    if (ev->nitems == ev->icap) {
        size_t cap = ev->icap ? ev->icap * 2 : 64;
        item_stat *n = realloc(ev->items, cap * sizeof *n);
        if (!n) return NULL;
        ev->items = n;
        ev->icap = cap;
    }
    item_stat *s = &ev->items[ev->nitems];
    memset(s, 0, sizeof *s);
    if (!(s->code = igc_strdup(code))) return NULL;
    ev->nitems++;
    return s;
}

static int add_confusion(igc_eval *ev, const char *truth, const char *pred) {
    for (size_t i = 0; i < ev->nconf; i++)
        if (strcmp(ev->conf[i].truth, truth) == 0 && strcmp(ev->conf[i].pred, pred) == 0) {
            ev->conf[i].n++;
            return 0;
        }
    if (ev->nconf == ev->ccap) {
        size_t cap = ev->ccap ? ev->ccap * 2 : 64;
        confusion *n = realloc(ev->conf, cap * sizeof *n);
        if (!n) return IGC_ENOMEM;
        ev->conf = n;
        ev->ccap = cap;
    }
    confusion *c = &ev->conf[ev->nconf];
    c->truth = igc_strdup(truth);
    c->pred = igc_strdup(pred);
    c->n = 1;
    if (!c->truth || !c->pred) {
        free(c->truth), free(c->pred);
        return IGC_ENOMEM;
    }
    ev->nconf++;
    return 0;
}

static int nonempty(const char *s) { return s && *s; }

int igc_eval_add(igc_eval *ev, const char *const labels[3], int pred_applicable, const char *const *pred,
                 size_t npred) {
    int has_label = nonempty(labels[0]) || nonempty(labels[1]) || nonempty(labels[2]);
    const char *primary = nonempty(labels[0]) ? labels[0] : nonempty(labels[1]) ? labels[1] : labels[2];
    const char *p1 = pred_applicable && npred > 0 && nonempty(pred[0]) ? pred[0] : NULL;
    ev->rows++;
    for (int k = 0; k < 3; k++)
        if (nonempty(labels[k])) {
            item_stat *s = stat_of(ev, labels[k]);
            if (!s) return IGC_ENOMEM;
            s->in_labels = 1;
        }
    if (!p1) ev->na_pred++;
    if (!has_label) {
        ev->none_rows++;
        if (!p1) {
            ev->correct++;
            ev->na_pred_right++;
            ev->na_true_found++;
        } else {
            item_stat *s = stat_of(ev, p1);
            if (!s) return IGC_ENOMEM;
            s->fp++;
            return add_confusion(ev, "-", p1);
        }
        return 0;
    }
    ev->labelled++;
    int hit1 = 0, hit3 = 0;
    for (size_t r = 0; pred_applicable && r < npred && r < 3; r++)
        for (int k = 0; k < 3; k++)
            if (nonempty(pred[r]) && nonempty(labels[k]) && strcmp(pred[r], labels[k]) == 0) {
                if (r == 0) hit1 = 1;
                hit3 = 1;
            }
    ev->top1 += hit1;
    ev->top3 += hit3;
    ev->correct += hit1;
    if (hit1) {
        item_stat *s = stat_of(ev, p1);
        if (!s) return IGC_ENOMEM;
        s->tp++;
        return 0;
    }
    item_stat *t = stat_of(ev, primary);
    if (!t) return IGC_ENOMEM;
    t->fn++;
    if (p1) {
        item_stat *s = stat_of(ev, p1);
        if (!s) return IGC_ENOMEM;
        s->fp++;
    }
    return add_confusion(ev, primary, p1 ? p1 : "-");
}

void igc_eval_compute(const igc_eval *ev, igc_eval_metrics *m) {
    memset(m, 0, sizeof *m);
    m->rows = ev->rows;
    m->labelled = ev->labelled;
    m->none_rows = ev->none_rows;
    m->accuracy = ev->rows ? (double)ev->correct / (double)ev->rows : 0;
    m->top1 = ev->labelled ? (double)ev->top1 / (double)ev->labelled : 0;
    m->top3 = ev->labelled ? (double)ev->top3 / (double)ev->labelled : 0;
    m->na_precision = ev->na_pred ? (double)ev->na_pred_right / (double)ev->na_pred : 0;
    m->na_recall = ev->none_rows ? (double)ev->na_true_found / (double)ev->none_rows : 0;
    double f1 = 0;
    for (size_t i = 0; i < ev->nitems; i++) {
        const item_stat *s = &ev->items[i];
        size_t den = 2 * s->tp + s->fp + s->fn;
        /* An item seen only as an alternative label and never predicted has no
         * evidence either way: it does not enter the average. */
        if (!s->in_labels || !den) continue;
        m->items_in_labels++;
        f1 += 2.0 * (double)s->tp / (double)den;
    }
    m->macro_f1 = m->items_in_labels ? f1 / (double)m->items_in_labels : 0;
    /* micro and support-weighted F1 over the items plus NA as a class (see the
     * header): NA's counts are the not-applicable ones */
    size_t na_tp = ev->na_pred_right, na_fp = ev->na_pred - ev->na_pred_right, na_fn = ev->none_rows - ev->na_true_found;
    size_t tp = na_tp, fp = na_fp, fn = na_fn;
    double wsum = na_tp + na_fp + na_fn ? (double)(na_tp + na_fn) * 2.0 * (double)na_tp / (double)(2 * na_tp + na_fp + na_fn) : 0;
    for (size_t i = 0; i < ev->nitems; i++) {
        const item_stat *s = &ev->items[i];
        tp += s->tp, fp += s->fp, fn += s->fn;
        size_t den = 2 * s->tp + s->fp + s->fn;
        if (den) wsum += (double)(s->tp + s->fn) * 2.0 * (double)s->tp / (double)den;
    }
    m->micro_f1 = tp + fp + fn ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0;
    m->weighted_f1 = ev->rows ? wsum / (double)ev->rows : 0;
}

static int cmp_conf(const void *a, const void *b) {
    const confusion *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->truth, y->truth);
}

int igc_eval_confusions(const igc_eval *ev, igc_buf *out, size_t max) {
    confusion *c = malloc((ev->nconf + 1) * sizeof *c);
    if (!c) return IGC_ENOMEM;
    if (ev->nconf) { /* conf is NULL while there is none: no memcpy or qsort of it */
        memcpy(c, ev->conf, ev->nconf * sizeof *c);
        qsort(c, ev->nconf, sizeof *c, cmp_conf);
    }
    for (size_t i = 0; i < ev->nconf && i < max; i++)
        igc_buf_printf(out, "  %-8s -> %-8s x%zu\n", c[i].truth, c[i].pred, c[i].n);
    free(c);
    return 0;
}

static size_t calib_bin(double p) {
    size_t b = (size_t)(p * IGC_CALIB_BINS);
    return b < IGC_CALIB_BINS ? b : IGC_CALIB_BINS - 1;
}

void igc_calib_add(igc_calib *c, double p, int happened) {
    p = p < 0 || p != p ? 0 : p > 1 ? 1 : p; /* NaN counts as 0 */
    size_t b = calib_bin(p);
    c->n[b]++;
    c->sum_p[b] += p;
    c->sum_y[b] += happened ? 1 : 0;
}

size_t igc_calib_count(const igc_calib *c) {
    size_t n = 0;
    for (size_t b = 0; b < IGC_CALIB_BINS; b++) n += c->n[b];
    return n;
}

double igc_calib_ece(const igc_calib *c) {
    size_t n = igc_calib_count(c);
    double e = 0;
    for (size_t b = 0; b < IGC_CALIB_BINS && n; b++)
        if (c->n[b]) e += fabs(c->sum_p[b] - c->sum_y[b]) / (double)n;
    return e;
}

int igc_calib_table(const igc_calib *c, igc_buf *out) {
    int rc = 0;
    for (size_t b = 0; b < IGC_CALIB_BINS && !rc; b++)
        if (c->n[b])
            rc = igc_buf_printf(out, "  %.1f-%.1f  %4zu rows  stated %.3f  happened %.3f\n", (double)b / IGC_CALIB_BINS,
                                (double)(b + 1) / IGC_CALIB_BINS, c->n[b], c->sum_p[b] / (double)c->n[b],
                                c->sum_y[b] / (double)c->n[b]);
    return rc;
}

/* ---- routing ---- */

double igc_route_share(const igc_route_point *p) { return p->rows ? (double)p->auto_rows / (double)p->rows : 0; }

double igc_route_accuracy(const igc_route_point *p) {
    return p->auto_rows ? (double)p->auto_right / (double)p->auto_rows : 0;
}

/* Compares two fractions num/den exactly by cross-multiplying; a fraction with
 * den 0 is 0 (its num is 0 too), as igc_route_share/accuracy say. */
static int frac_cmp(size_t an, size_t ad, size_t bn, size_t bd) {
    unsigned long long x = (unsigned long long)an * (bd ? bd : 1), y = (unsigned long long)bn * (ad ? ad : 1);
    return x > y ? 1 : x < y ? -1 : 0;
}

static int route_cmp_share(const igc_route_point *a, const igc_route_point *b) {
    return frac_cmp(a->auto_rows, a->rows, b->auto_rows, b->rows);
}

static int route_cmp_acc(const igc_route_point *a, const igc_route_point *b) {
    return frac_cmp(a->auto_right, a->auto_rows, b->auto_right, b->auto_rows);
}

size_t igc_route_pareto(igc_route_point *pts, size_t n) {
    /* stable insertion sort by share, then accuracy, largest first; then one sweep
     * keeps a point when it is more accurate than every larger-share one */
    for (size_t i = 1; i < n; i++) {
        igc_route_point t = pts[i];
        size_t j = i;
        while (j > 0) {
            int c = route_cmp_share(&pts[j - 1], &t);
            if (c > 0 || (c == 0 && route_cmp_acc(&pts[j - 1], &t) >= 0)) break;
            pts[j] = pts[j - 1], j--;
        }
        pts[j] = t;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || route_cmp_acc(&pts[i], &pts[k - 1]) > 0) pts[k++] = pts[i];
    return k;
}

long igc_route_choose(const igc_route_point *pts, size_t n, double min_acc, double min_share, int *fallback) {
    long best = -1;
    if (fallback) *fallback = 0;
    for (size_t i = 0; i < n; i++) {
        /* on the bar counts: a little slack for a decimal bar times a count */
        if (!pts[i].auto_rows || (double)pts[i].auto_right < min_acc * (double)pts[i].auto_rows - 1e-9) continue;
        if (best < 0) {
            best = (long)i;
            continue;
        }
        int s = route_cmp_share(&pts[i], &pts[best]);
        if (s > 0 || (s == 0 && route_cmp_acc(&pts[i], &pts[best]) > 0)) best = (long)i;
    }
    if (best >= 0) return best;
    for (size_t i = 0; i < n; i++) {
        if (!pts[i].rows || (double)pts[i].auto_rows < min_share * (double)pts[i].rows - 1e-9) continue;
        if (best < 0) {
            best = (long)i;
            continue;
        }
        int a = route_cmp_acc(&pts[i], &pts[best]);
        if (a > 0 || (a == 0 && route_cmp_share(&pts[i], &pts[best]) > 0)) best = (long)i;
    }
    if (best >= 0 && fallback) *fallback = 1;
    return best;
}
