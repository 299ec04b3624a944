/* igc_tune: fitting engine parameters on past judgments (part of igc_app). */
#ifndef IGC_TUNE_H
#define IGC_TUNE_H

#include "igc_app.h"

typedef struct igc_tune_opts {
    const char *history_csv;  /* labelled rows already added to the engine as exemplars */
    int holdout_mod;          /* > 0: tune only on history rows held out of the model's training
                               * (igc_embed_history_heldout), so that no row's own text leaked into
                               * the embedding that scores it */
    void (*progress)(void *ud, size_t done);
    void *progress_ud;
} igc_tune_opts;

/* Leave-one-out over the history rows: fits fusion weights (grid, best top-1),
 * the applicability logistic model and its threshold (best accuracy). Signals
 * switched off in the engine's parameters stay off. Writes a summary to report. */
int igc_tune(igc_app *a, const igc_tune_opts *o, igc_engine_params *out, igc_buf *report);

#endif
