/* igc_tune: fitting engine parameters on past judgments (over igc_app, for `igc tune`). */
#ifndef IGC_TUNE_H
#define IGC_TUNE_H

#include "igc_app.h"

typedef struct igc_tune_opts {
    const char *history_csv;  /* labelled rows already added to the engine as exemplars */
    /* > 0: use only history rows held out of the model's training
     * (igc_embed_history_heldout(row, holdout_mod, fold)), so that no row's own
     * text leaked into the embedding that scores it */
    int holdout_mod;
    int fold;
    void (*progress)(void *ud, size_t done);
    void *progress_ud;
} igc_tune_opts;

/* Observations (per-item features and applicability evidence of labelled rows). */
typedef struct igc_tune_set igc_tune_set;
/* An empty set: 0 or IGC_ENOMEM. */
int igc_tune_set_new(igc_tune_set **out);
void igc_tune_set_free(igc_tune_set *s);
/* Rows collected so far. */
size_t igc_tune_set_size(const igc_tune_set *s);
/* Adds the rows of o->history_csv (already added to e as exemplars), each scored
 * leave-one-out (its own exemplar excluded). */
int igc_tune_collect(igc_tune_set *s, const igc_engine *e, const igc_tune_opts *o);
/* Fits the item model (softmax regression), the applicability logistic model and
 * its threshold (best accuracy as the client counts it), then the review operating
 * point (review_margin, review_min_score): the largest share of rows decided alone
 * (needs_review false) whose accuracy there is >= 0.90, or else the most accurate
 * point deciding at least half alone. Signals switched off in p0 stay off. Writes a
 * summary to report, with the curve of share decided alone against accuracy there. */
int igc_tune_fit(const igc_tune_set *s, const igc_engine_params *p0, igc_engine_params *out, igc_buf *report);
/* After igc_tune_fit: writes one tab-separated line per row (uid, labelled, hit =
 * rank 1 right, rank of the best label (0-based), p_applicable under the fitted
 * gate, then the applicability evidence na_<name>), for analysis of the gate. */
int igc_tune_rows_write(const igc_tune_set *s, const char *path);

#endif
