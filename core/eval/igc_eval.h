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

#endif
