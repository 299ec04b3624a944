/*
 * igc_engine: ranks taxonomy items for one company and says whether any applies.
 *
 * Signals, each normalised to [0,1] per item:
 *   lexical    BM25 of the input's subword features against the item's name,
 *              definition and examples
 *   dense      cosine between sentence embeddings of the input and of the item's
 *              texts (name, definition sentences, examples), via a FAISS index
 *   knn        labels of the most similar past judgments (exemplars), weighted by
 *              similarity
 *   ksic_prior how often firms of the same KSIC group received the item in history
 * The fused score is a weighted sum; whether the firm is applicable at all is a
 * logistic model over "no item" evidence (neighbours judged not applicable, the KSIC
 * group's rate of such judgments, the strength of the best item). Weights come from
 * a parameter file fitted on history (igc tune) or defaults.
 *
 * An engine is bound to one taxonomy revision and is reference-counted like it.
 * igc_engine_classify() only reads the engine and may run on several threads;
 * igc_engine_add_exemplar() must not run concurrently with it.
 */
#ifndef IGC_ENGINE_H
#define IGC_ENGINE_H

#include <stddef.h>

#include "igc_ksic.h"
#include "igc_plugin.h"
#include "igc_taxonomy.h"
#include "igc_text.h"

enum { IGC_SIG_LEXICAL, IGC_SIG_DENSE, IGC_SIG_KNN, IGC_SIG_PRIOR, IGC_SIG_N };
/* "lexical", "dense", "knn", "ksic_prior" */
extern const char *const igc_engine_signal_names[IGC_SIG_N];

#define IGC_ENGINE_MAX_CANDS 10
#define IGC_ENGINE_MAX_KW 6
#define IGC_ENGINE_MAX_NEIGHBORS 5


typedef struct igc_engine_params {
    double w[IGC_SIG_N];        /* fusion weights */
    int use[IGC_SIG_N];         /* 0 switches a signal off (ablation) */
    double na_bias, na_w_knn, na_w_prior, na_w_lex, na_w_dense; /* applicability logit */
    double apply_threshold;     /* p_applicable >= this -> applicable */
    double review_gap;          /* needs_review when rank-1/2 gap is below this */
    int knn_k;                  /* neighbours consulted */
    double prior_alpha;         /* smoothing of the KSIC prior */
} igc_engine_params;

typedef struct igc_engine_input {
    const char *company_name;
    const char *ksic_code, *ksic_name, *main_product, *product_use, *tech_business_name, *tech_class;
} igc_engine_input;

typedef struct igc_exemplar {
    const char *key;            /* unique: "hist:K0301", a judgment id, ... */
    igc_engine_input in;
    const char *labels[3];      /* item codes (NULL/"" when absent) */
    const char *none_reason;    /* set when no item applies */
} igc_exemplar;

typedef struct igc_engine_cand {
    const igc_tx_item *item;
    double score;                       /* fused score in [0,1] */
    double sig[IGC_SIG_N];              /* each signal in [0,1] */
    char *keywords[IGC_ENGINE_MAX_KW];  /* the input's own words, most influential first */
    size_t nkeywords;
    char *basis;                        /* 분류근거 sentence(s), Korean */
} igc_engine_cand;

typedef struct igc_engine_neighbor {
    const char *key, *company, *label, *none_reason; /* owned by the engine */
    double sim;
} igc_engine_neighbor;

typedef struct igc_engine_result {
    igc_engine_cand cands[IGC_ENGINE_MAX_CANDS]; /* best first */
    size_t ncands;
    double p_applicable;        /* estimated probability that some item applies */
    int applicable;
    int needs_review;
    double gap;                 /* score of rank 1 minus rank 2 */
    double na_knn, na_prior;    /* "no item" evidence from neighbours and KSIC group */
    double lex_max, dense_max;  /* strength of the best lexical and dense item match */
    igc_engine_neighbor neighbors[IGC_ENGINE_MAX_NEIGHBORS];
    size_t nneighbors;
    igc_ksic_match ksic;        /* resolved KSIC (level 0 when unknown/blank) */
} igc_engine_result;

typedef struct igc_engine igc_engine;

/* Default parameters (all signals on). */
void igc_engine_params_default(igc_engine_params *p);
/* Reads parameters from a JSON file written by igc_engine_params_save(); missing keys
 * keep their current values. */
int igc_engine_params_load(const char *path, igc_engine_params *p);
int igc_engine_params_save(const char *path, const igc_engine_params *p);

/* Builds an engine over a taxonomy (takes a reference), KSIC tables (borrowed, must
 * outlive the engine) and an optional encoder (borrowed; NULL disables dense and
 * makes knn lexical). index_factory is the FAISS factory string (NULL = exact). */
int igc_engine_new(igc_taxonomy *tx, const igc_ksic *ksic, const igc_encoder *enc,
                   const igc_engine_params *p, const char *index_factory, igc_engine **out);
igc_engine *igc_engine_ref(igc_engine *e);
void igc_engine_unref(igc_engine *e);
/* Adds a past judgment. Labels not in this taxonomy revision are ignored (an
 * exemplar with no usable label and no none_reason is skipped: returns IGC_ENOTFOUND). */
int igc_engine_add_exemplar(igc_engine *e, const igc_exemplar *x);
size_t igc_engine_exemplar_count(const igc_engine *e);
/* Classifies one company. exclude_key skips that exemplar (leave-one-out tuning). */
int igc_engine_classify(const igc_engine *e, const igc_engine_input *in, const char *exclude_key,
                        igc_engine_result *r);
/* Frees strings held by a result (not the result struct). */
void igc_engine_result_free(igc_engine_result *r);
igc_taxonomy *igc_engine_taxonomy(const igc_engine *e);
const igc_engine_params *igc_engine_get_params(const igc_engine *e);
/* "igc-engine/1 lexical+dense(subword-1/...)+knn+prior" */
const char *igc_engine_version(const igc_engine *e);
/* Description of the vector index in use ("Flat/cpu"), or "none". */
const char *igc_engine_index_desc(const igc_engine *e);
/* Items per label and counts per source, for `igc history stats`. */
size_t igc_engine_label_count(const igc_engine *e, const igc_tx_item *it);
size_t igc_engine_none_count(const igc_engine *e);

#endif
