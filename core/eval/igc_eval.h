/*
 * igc_eval: the client's metrics over a labelled set (see
 * ../shared/data/labeled/README.md for the definitions).
 *
 *   accuracy   all rows: right when correctly judged not applicable, or judged
 *              applicable with rank 1 among the labels
 *   top1/top3  rows with a label: applicable and rank 1 (ranks 1-3) among the labels
 *   macro_f1   per item on rank 1: a hit counts for the item hit, a miss against
 *              label1 (and against the predicted item); averaged over the items
 *              present in the labels (an item seen only as label2/label3 and never
 *              predicted has no evidence and is left out)
 *   na_*       precision and recall of "not applicable"
 *
 * The two other F1 averages treat the task as single-label classification with
 * 241 classes, the items plus "not applicable" (NA): each row has one true class,
 * the item its rank 1 hit when it hit one of the labels, else label1 (NA for a row
 * without labels), and one predicted class, rank 1 when applicable, else NA. Per
 * class c: tp, fp, fn and F1_c = 2 tp / (2 tp + fp + fn); support_c = tp + fn
 * (rows whose true class is c).
 *   micro_f1     2 Σtp / (2 Σtp + Σfp + Σfn) over all classes. Every row adds one
 *                true and one predicted class, so Σfp = Σfn = wrong rows and
 *                micro-F1 equals accuracy: reported to make that visible.
 *   weighted_f1  Σ support_c · F1_c / rows (sklearn's "weighted"): classes weigh
 *                by their rows, so NA (about 45 % of rows) dominates; a class that
 *                is only predicted has support 0 and weight 0.
 * The client's "F1 >= 0.75", stated next to "accuracy >= 80 %", most likely means
 * macro_f1 (the metric its labelled set's README defines): micro-F1 would be the
 * accuracy itself, held to two different bars (docs/evaluation.md).
 *
 * Also here: calibration of stated probabilities, and routing (the share of
 * answers decided alone and the accuracy there, for choosing the review rule).
 */
#ifndef IGC_EVAL_H
#define IGC_EVAL_H

#include <stddef.h>

#include "igc_base.h"

typedef struct igc_eval igc_eval;

typedef struct igc_eval_metrics {
    size_t rows, labelled, none_rows;
    double accuracy, top1, top3, macro_f1, na_precision, na_recall;
    size_t items_in_labels;
    double micro_f1, weighted_f1; /* over the items plus NA as a class (above) */
} igc_eval_metrics;

int igc_eval_new(igc_eval **out);
void igc_eval_free(igc_eval *ev);
/* Adds one row: truth labels (up to 3 codes, NULL/"" for none), whether the
 * prediction is applicable and its ranked item codes (npred <= 3). */
int igc_eval_add(igc_eval *ev, const char *const labels[3], int pred_applicable, const char *const *pred,
                 size_t npred);
/* Computes the metrics over the rows added so far. */
void igc_eval_compute(const igc_eval *ev, igc_eval_metrics *m);
/* Appends a per-item confusion summary (most missed items first), max lines. */
int igc_eval_confusions(const igc_eval *ev, igc_buf *out, size_t max);

/* ---- calibration: does a stated probability match how often it comes true? ---- */
#define IGC_CALIB_BINS 5 /* [0,0.2) [0.2,0.4) ... [0.8,1] */
typedef struct igc_calib {
    size_t n[IGC_CALIB_BINS];
    double sum_p[IGC_CALIB_BINS], sum_y[IGC_CALIB_BINS];
} igc_calib;
/* Records one stated probability p (clamped to [0,1]) and whether it happened. */
void igc_calib_add(igc_calib *c, double p, int happened);
/* Rows recorded. */
size_t igc_calib_count(const igc_calib *c);
/* Expected calibration error: over the bins, the row-weighted mean of
 * |mean stated probability - share that happened|; 0 without rows. */
double igc_calib_ece(const igc_calib *c);
/* Appends one line per non-empty bin: range, rows, mean stated, share happened. */
int igc_calib_table(const igc_calib *c, igc_buf *out);

/* ---- routing: the answers the service gives alone (needs_review false) ----
 * One operating point of the review rule (needs_review when |p_applicable -
 * threshold| < margin, or an applicable answer's rank 1 scores below min_score)
 * and what it gives on a set of rows: the share decided alone, auto_rows / rows,
 * and the accuracy there, auto_right / auto_rows (right as accuracy counts). */
typedef struct igc_route_point {
    double margin, min_score;
    size_t rows, auto_rows, auto_right;
} igc_route_point;
/* auto_rows / rows; 0 without rows. */
double igc_route_share(const igc_route_point *p);
/* auto_right / auto_rows; 0 when no row is decided alone. */
double igc_route_accuracy(const igc_route_point *p);
/* Keeps the Pareto front: the points that no other point matches or beats on both
 * share and accuracy while beating it on one (of equal points, the first). Orders
 * them by share, largest first, in place; returns how many there are. */
size_t igc_route_pareto(igc_route_point *pts, size_t n);
/* The operating point to ship: the largest share whose accuracy is >= min_acc
 * (ties: the higher accuracy, then the first); when none reaches it, the best
 * accuracy among shares >= min_share (ties: the larger share, then the first) and
 * *fallback = 1. Returns the index, or -1 when neither exists. */
long igc_route_choose(const igc_route_point *pts, size_t n, double min_acc, double min_share, int *fallback);

#endif
