/*
 * igc_embed: a Korean sentence embedding trained here, from ../shared/data, in C.
 *
 * A text is split into subword features by core/text (words with particles
 * stripped, Hangul syllable bigrams/trigrams, Latin tokens). Each known feature has
 * a learned vector; a sentence vector is the idf-weighted sum of its features'
 * vectors, L2-normalised. Both sides of every training pair go through the same
 * weights, so texts never seen in training (a new taxonomy revision, a new company)
 * are encoded without retraining. Format and training: docs/model.md.
 */
#ifndef IGC_EMBED_H
#define IGC_EMBED_H

#include <stdint.h>

#include "igc_base.h"
#include "igc_plugin.h"
#include "igc_text.h"

#define IGC_EMBED_MAGIC "IGCEMB01"
#define IGC_EMBED_FORMAT 1
#define IGC_EMBED_MAX_DIM 1024

typedef struct igc_embed_model igc_embed_model;

/* Loads a model file. Checks magic, format version, dimension, sizes, feature
 * order, finite numbers, the stored content hash, and that core/text still makes
 * the feature ids the model was trained on; a bad file is refused with a logged
 * reason: IGC_EVERSION (other format version, or text features changed since
 * training: retrain), IGC_EPARSE (corrupt or truncated), IGC_ENOTFOUND/IGC_EIO
 * (cannot read), IGC_ENOMEM. A loaded model is read-only: encode from any thread. */
int igc_embed_load(const char *path, igc_embed_model **out);
/* Frees a model; NULL is fine. */
void igc_embed_free(igc_embed_model *m);
/* Vector length. */
int igc_embed_dim(const igc_embed_model *m);
/* Number of features in the vocabulary. */
uint32_t igc_embed_nfeat(const igc_embed_model *m);
/* "subword-<format>/d<dim>/<8 hex of the content hash>": changes when vectors would. */
const char *igc_embed_version(const igc_embed_model *m);
/* Writes the model to path atomically (format in docs/model.md). */
int igc_embed_save(const igc_embed_model *m, const char *path);

/* Encodes text (any subset of fields concatenated) into out[dim], L2-normalised.
 * A text with no known feature gives a zero vector and IGC_ENOTFOUND; invalid
 * UTF-8 gives a zero vector and IGC_EUTF8. */
int igc_embed_encode(const igc_embed_model *m, const char *text, float *out);
/* Same from words split by igc_text_words(). When contrib is not NULL it receives
 * words->n values: contrib[w] = dot(u_w, out) / |u|, where u is the unnormalised
 * sentence vector and u_w the weighted sum of the features word w produced. The
 * values sum to 1 (a feature shared by several words is split between them), so
 * they read as each word's share; a word with no known feature gets 0. */
int igc_embed_encode_words(const igc_embed_model *m, const igc_words *words, float *out, float *contrib);
/* Per-word parts of the cosine between the words' vector and each of ntargets unit
 * vectors (targets[t * dim ...]): contrib[t * words->n + w] = dot(u_w, target_t) / |u|,
 * summing to dot(out, target_t). The words are encoded once for all targets. Returns
 * as igc_embed_encode_words (contrib all 0 when nothing is known). */
int igc_embed_explain(const igc_embed_model *m, const igc_words *words, const float *targets, size_t ntargets,
                      float *contrib);

/* Wraps a model as a generic encoder (igc_plugin.h). The encoder takes ownership
 * of the model: igc_encoder_free() frees both. */
int igc_embed_encoder(igc_embed_model *m, igc_encoder **out);
/* Loads a model file straight into an encoder. */
int igc_embed_encoder_open(const char *path, igc_encoder **out);

/* Text of a taxonomy item as the model is trained to see it: name and definition
 * (examples and notes are trained as separate pieces that must land near it).
 * Appends to out. Use this wherever item texts are encoded for retrieval. */
int igc_embed_item_text(const char *name, const char *definition, igc_buf *out);

/* ---- training ---- */

/* Training sources (bit mask). Listed companies are left out by default: pulling
 * products towards their KSIC group text groups firms by industry rather than by
 * item and lowered the held-out history check (docs/model.md). */
enum {
    IGC_EMBED_SRC_TAXONOMY = 1 << 0,  /* item names, definition lines, examples, notes -> item text */
    IGC_EMBED_SRC_KSIC = 1 << 1,      /* KSIC-10/11 examples and names -> code text */
    IGC_EMBED_SRC_COMPANIES = 1 << 2, /* listed companies' products -> their KSIC group text */
    IGC_EMBED_SRC_HISTORY = 1 << 3,   /* labelled past judgments -> item texts */
    IGC_EMBED_SRC_GENERAL = 1 << 4,   /* KorSTS / KLUE-STS high scores, NLI entailment */
    IGC_EMBED_SRC_LEXICON = 1 << 5,   /* index-term dictionary: each term -> its item's text and name */
    IGC_EMBED_SRC_CASES = 1 << 6,     /* case dictionary (labeled/synthetic.csv) -> item texts */
    IGC_EMBED_SRC_ALL = 0x7f,
    IGC_EMBED_SRC_DEFAULT = IGC_EMBED_SRC_ALL & ~IGC_EMBED_SRC_COMPANIES
};

/* Mask of a comma-separated list of source names (taxonomy, ksic, companies, history,
 * general, lexicon, cases); 0 when a name is unknown or the list is empty. */
unsigned igc_embed_sources_parse(const char *list);

typedef struct igc_embed_train_opts {
    const char *data_dir; /* ../shared/data (required) */
    int dim;              /* 0 -> 128 */
    int epochs;           /* 0 -> 8 (about 12 s on one core); -1 -> none: the random-init model */
    uint64_t seed;        /* 0 -> 42: same options and seed -> identical model file (bit-for-bit) */
    int threads;          /* 0 -> 1, at most 64. Threads split each batch's texts (forward and
                           * backward) and the weight rows (updates, each row in batch order), so
                           * the file is the same for any count */
    void (*progress)(void *ud, const char *stage, double fraction);
    void *progress_ud;
    unsigned sources;     /* IGC_EMBED_SRC_* mask; 0 -> IGC_EMBED_SRC_DEFAULT */
    int min_count;        /* a feature enters the vocabulary when in >= this many texts; 0 -> 2 */
    int batch;            /* pairs per in-batch softmax; 0 -> 128, at most 4096 */
    float lr;             /* Adagrad step; 0 -> 0.1 */
    float temperature;    /* softmax temperature; 0 -> 0.05 */
    /* History rows left out of training (and its vocabulary), for held-out checks:
     * data row i (0-based, header excluded) is left out when holdout_mod > 0 and
     * i % holdout_mod == holdout_fold (every holdout_mod-th row; folds for
     * cross-validation) ... */
    int holdout_mod;
    int holdout_fold;
    /* ... or when exclude_uid(exclude_ud, uid) returns non-zero. */
    int (*exclude_uid)(void *ud, const char *uid);
    void *exclude_ud;
} igc_embed_train_opts;

/* Fills o with the defaults (zeroes everything else). */
void igc_embed_train_defaults(igc_embed_train_opts *o, const char *data_dir);

/* Builds the training corpus from data_dir (never labeled/dev.csv), trains, and
 * writes the model to out_path atomically. When report is not NULL a JSON summary
 * (corpus sizes, vocabulary, loss per epoch, seconds, held-out numbers before and
 * after training when holdout_mod > 0) is appended to it. */
int igc_embed_train(const igc_embed_train_opts *o, const char *out_path, igc_buf *report);
/* Same, returning the model in memory instead of (or as well as, when out_path is
 * not NULL) writing it. */
int igc_embed_train_model(const igc_embed_train_opts *o, const char *out_path, igc_buf *report,
                          igc_embed_model **out);

/* ---- measuring without dev.csv ---- */

enum {
    IGC_EMBED_EVAL_MODEL = 0, /* cosine of the model's vectors */
    IGC_EMBED_EVAL_BAG = 1    /* baseline: cosine of sparse idf-weighted feature bags (model's idf) */
};

typedef struct igc_embed_eval {
    int rows;        /* held-out rows with label1 that were scored */
    int top1;        /* nearest item is label1, label2 or label3 */
    int top3;        /* one of the 3 nearest is label1..3 */
    int top1_label1; /* nearest item is label1 */
    int top3_label1; /* label1 among the 3 nearest */
    double mrr;      /* mean reciprocal rank of label1 */
} igc_embed_eval;

/* 1 when history data row (0-based) is held out: holdout_mod > 0 and
 * row % holdout_mod == holdout_fold. */
int igc_embed_history_heldout(size_t row, int holdout_mod, int holdout_fold);

/* Nearest-item check on labeled/history.csv: every held-out row (see
 * igc_embed_history_heldout; all rows when holdout_mod is 0) with a label1 is
 * encoded as "ksic_name main_product product_use tech_business_name" and ranked
 * by cosine against the item texts (igc_embed_item_text) of taxonomy/igc-v6.json.
 * A row whose text has no known feature counts as a miss. */
int igc_embed_eval_history(const igc_embed_model *m, const char *data_dir, int holdout_mod, int holdout_fold,
                           int mode, igc_embed_eval *res);

/* Item-name check: each taxonomy item's bare name is ranked against all item texts;
 * rows = items, top1/top3 = its own item among the nearest 1/3 (the label fields
 * count the same), mrr of its own item. */
int igc_embed_eval_names(const igc_embed_model *m, const char *data_dir, int mode, igc_embed_eval *res);

#endif
