/*
 * igc_engine: ranks taxonomy items for one company and says whether any applies.
 *
 * Signals (each a family of per-item features, see IGC_FT_*):
 *   lexical    BM25 of the input's subword features against the item's whole text
 *              and against its name alone
 *   dense      cosine between sentence embeddings of the input and of the item's
 *              sentences (name, name + definition, each definition line and example),
 *              scored exactly by one BLAS matrix-vector product
 *   knn        past judgments (exemplars): label shares among the nearest ones by
 *              dense similarity (a FAISS index) and by BM25, their fields, and the
 *              mean similarity to each item's past judgments (prototypes)
 *   ksic_prior how often firms of the same KSIC group (backed off to the division and
 *              the field) received the item in history
 *   lexicon    the index-term dictionary (igc_lexicon): the item's terms found in the
 *              input, weighted by how specific each term is across items, and whether
 *              the firm's KSIC code is one the dictionary lists as typical of the item
 *   cases      the case dictionary (사례사전): invented firms written per item, kept
 *              apart from past judgments: label shares among the nearest cases and the
 *              mean similarity to each item's cases; never shown as a past judgment
 * The item score is a softmax over items of the weighted features (a log-linear
 * model), so scores are probabilities. Whether the firm is applicable at all is a
 * logistic model over "no item" evidence (IGC_NA_*: neighbours judged not applicable,
 * the KSIC group's rate of such judgments, the best matches, a text classifier).
 * Weights come from a parameter file fitted on history (igc tune) or defaults.
 *
 * An engine is bound to one taxonomy revision and is reference-counted like it.
 * igc_engine_classify() only reads the engine and may run on several threads;
 * igc_engine_add_exemplar() must not run concurrently with it.
 */
#ifndef IGC_ENGINE_H
#define IGC_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "igc_ksic.h"
#include "igc_lexicon.h"
#include "igc_plugin.h"
#include "igc_taxonomy.h"
#include "igc_text.h"

enum { IGC_SIG_LEXICAL, IGC_SIG_DENSE, IGC_SIG_KNN, IGC_SIG_PRIOR, IGC_SIG_LEXICON, IGC_SIG_CASES, IGC_SIG_N };
/* "lexical", "dense", "knn", "ksic_prior", "lexicon", "cases" */
extern const char *const igc_engine_signal_names[IGC_SIG_N];

/* Per-item features; the fused score is a softmax over items of their weighted
 * sum (a log-linear model), so scores are probabilities that sum to 1. Each
 * feature belongs to one signal, which switches it on or off. */
enum {
    IGC_FT_LEX,         /* BM25 against the item's whole text, relative to the best item */
    IGC_FT_LEX_NAME,    /* BM25 against the item's name only, relative */
    IGC_FT_DENSE,       /* best cosine with the item's sentence vectors */
    IGC_FT_KNN,         /* similarity-weighted share of dense neighbours labelled with the item */
    IGC_FT_KNN_LEX,     /* the same over lexical (BM25) neighbours */
    IGC_FT_KNN_FIELD,   /* share of all neighbours labelled within the item's field */
    IGC_FT_PROTO_DENSE, /* mean cosine with the past judgments labelled with the item */
    IGC_FT_PROTO_LEX,   /* mean relative BM25 with the past judgments labelled with the item */
    IGC_FT_PRIOR,       /* log P(item | KSIC group), backed off to the division */
    IGC_FT_FIELD_PRIOR, /* log P(item's field | KSIC group), backed off likewise */
    IGC_FT_TERM,        /* log(1 + sum of the specificity of the item's dictionary terms found) */
    IGC_FT_TERM_KSIC,   /* the firm's KSIC code among the item's typical codes (1), its group (0.6), division (0.25) */
    IGC_FT_CASE_KNN,    /* similarity-weighted share of the nearest cases (dense) written for the item */
    IGC_FT_CASE_LEX,    /* the same over the nearest cases by BM25 */
    IGC_FT_CASE_PROTO,  /* mean cosine with the item's cases */
    IGC_FT_N
};
extern const char *const igc_engine_feature_names[IGC_FT_N];
extern const int igc_engine_feature_signal[IGC_FT_N];

/* Evidence that no item applies, for the applicability model. */
enum {
    IGC_NA_KNN,   /* similarity-weighted share of dense neighbours judged not applicable */
    IGC_NA_KNN_LEX, /* the same over lexical neighbours */
    IGC_NA_PRIOR, /* P(not applicable | KSIC group), backed off */
    IGC_NA_LEX,   /* log(1 + best BM25 score) */
    IGC_NA_DENSE, /* best cosine with any item sentence */
    IGC_NA_TOP,   /* probability of the rank-1 item */
    IGC_NA_TEXT,  /* logit of a text classifier (not applicable vs item) trained on past judgments */
    IGC_NA_TERM,  /* log(1 + best item's dictionary term score) */
    IGC_NA_CUE,   /* log(1 + number of the dictionary's not-applicable cues found) */
    IGC_NA_CASE,  /* share of the nearest cases written as not qualifying */
    IGC_NA_N
};
extern const char *const igc_engine_na_names[IGC_NA_N];

#define IGC_ENGINE_MAX_CANDS 10
#define IGC_ENGINE_MAX_KW 6
#define IGC_ENGINE_MAX_NEIGHBORS 5


typedef struct igc_engine_params {
    double wf[IGC_FT_N];        /* feature weights of the item model */
    int use[IGC_SIG_N];         /* 0 switches a signal off (ablation) */
    double na_bias, na_w[IGC_NA_N]; /* applicability logit */
    double apply_threshold;     /* p_applicable >= this -> applicable */
    double review_min_score;    /* needs_review when an applicable answer's rank 1 scores below this */
    double review_margin;       /* needs_review when |p_applicable - apply_threshold| < this */
    int knn_k;                  /* neighbours consulted */
    double prior_alpha;         /* smoothing of the KSIC prior */
    char model[96];             /* version of the encoder the weights were fitted with ("none") */
} igc_engine_params;

typedef struct igc_engine_input {
    const char *company_name;
    const char *ksic_code, *ksic_name, *main_product, *product_use, *tech_business_name, *tech_class;
    uint64_t owner; /* opaque key of the company (a hash of its 사업자등록번호), 0 when unknown: a
                       company's own past judgments are never its neighbours */
} igc_engine_input;

typedef struct igc_exemplar {
    const char *key;            /* unique: "hist:K0301", a judgment id, ... */
    igc_engine_input in;
    const char *labels[3];      /* item codes (NULL/"" when absent) */
    const char *none_reason;    /* set when no item applies */
    const char *confidence;     /* the examiner's "high", "medium" or "low"; NULL or "" counts as high */
} igc_exemplar;

typedef struct igc_engine_cand {
    const igc_tx_item *item;
    double score;                       /* fused score in [0,1] */
    double sig[IGC_SIG_N];              /* each signal in [0,1] */
    char *keywords[IGC_ENGINE_MAX_KW];  /* the input's own words, most influential first */
    size_t nkeywords;
    char *basis;                        /* 분류근거 sentence(s), Korean */
    char *terms[IGC_ENGINE_MAX_KW];     /* the item's dictionary terms found in the input, as written there */
    size_t nterms;
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
    size_t known_words;         /* 0 when no word of the input is known to the item texts, the
                                 * dictionary, the cases or the past judgments (else at least 1) */
    igc_engine_neighbor neighbors[IGC_ENGINE_MAX_NEIGHBORS];
    size_t nneighbors;
    igc_ksic_match ksic;        /* resolved KSIC (level 0 when unknown/blank) */
    char lexicon_version[64];   /* the index-term dictionary this answer used, "none" without */
    char na_cue[192];           /* a not-applicable cue of the dictionary found in the input, "" when none */
    struct igc_engine_why *why; /* what a deferred 분류근거 needs (IGC_ENGINE_DEFER_BASIS), else NULL */
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
 * makes knn lexical). index_factory is the FAISS factory string for past judgments
 * (NULL = exact) and index_params its search parameters ("nprobe=8", or NULL). */
int igc_engine_new(igc_taxonomy *tx, const igc_ksic *ksic, const igc_encoder *enc,
                   const igc_engine_params *p, const char *index_factory, const char *index_params,
                   igc_engine **out);
igc_engine *igc_engine_ref(igc_engine *e);
void igc_engine_unref(igc_engine *e);
/* Adds a past judgment. Labels not in this taxonomy revision are ignored (an
 * exemplar with no usable label and no none_reason is skipped: returns IGC_ENOTFOUND).
 * A key already present returns IGC_EEXIST (keys are unique). */
int igc_engine_add_exemplar(igc_engine *e, const igc_exemplar *x);
/* Takes an exemplar out at once: it is no neighbour, and its share of the priors,
 * prototypes and label counts is taken back; the text classifier forgets it at
 * the next igc_engine_commit(). Its key stays taken (adding it again gives
 * IGC_EEXIST). IGC_ENOTFOUND when no such exemplar is in. Not concurrently with
 * classification (like add_exemplar). */
int igc_engine_remove_exemplar(igc_engine *e, const char *key);
/* 1 when an exemplar with this key was added (a cheap check before parsing one). */
int igc_engine_has_exemplar(const igc_engine *e, const char *key);
size_t igc_engine_exemplar_count(const igc_engine *e);
/* Adds a case of the case dictionary (an invented firm written for an item, or one
 * that does not qualify). Cases feed only the `cases` signal and its applicability
 * evidence: never neighbours shown to users, KSIC priors or the text classifier, so
 * their item/none mix does not shift the decision. Same errors as add_exemplar. */
int igc_engine_add_case(igc_engine *e, const igc_exemplar *x);
/* igc_engine_add_exemplar / igc_engine_add_case for xs[0..n) in order, rcs[i]
 * getting each one's result; their texts are encoded first on every core (the
 * same engine as adding them one by one). Returns IGC_ENOMEM when memory ran out
 * (those not added then have IGC_ENOMEM too), else 0. */
int igc_engine_add_exemplars(igc_engine *e, const igc_exemplar *xs, size_t n, int *rcs);
int igc_engine_add_cases(igc_engine *e, const igc_exemplar *xs, size_t n, int *rcs);
/* Takes the case dictionary's statistics once its cases are added: each term's idf,
 * bound and document map, which a query otherwise works out case by case. The answers
 * are the same either way. Same single-writer rule as igc_engine_add_case. */
void igc_engine_cases_finish(igc_engine *e);
size_t igc_engine_case_count(const igc_engine *e);
/* Hands the engine an index-term dictionary (takes a reference; NULL removes it).
 * Safe while other threads classify: each classification holds the dictionary it
 * started with. The dictionary must be loaded against the engine's taxonomy. */
int igc_engine_set_lexicon(igc_engine *e, igc_lexicon *lx);
/* The dictionary in use, with a reference the caller drops (NULL when none). */
igc_lexicon *igc_engine_lexicon_ref(const igc_engine *e);
/* Makes added exemplars fully count: refreshes the lexical statistics of past
 * judgments and retrains the applicability text classifier. An added exemplar is
 * already found as a neighbour and counted in priors before this; call it after a
 * batch (about 18 ms at 10,000 exemplars: `igc-bench`). */
int igc_engine_commit(igc_engine *e);
/* The past judgments' index's centroids and its size when they were clustered, to be
 * saved (igc_index_centroids); IGC_ENOTFOUND when it has none. */
int igc_engine_index_centroids(const igc_engine *e, float **cent, size_t *nlist, size_t *trained_at);
/* Puts the past judgments' vectors in the lists of saved centroids instead of clustering
 * them (igc_index_recluster_with): after adding them, before igc_engine_commit, which
 * then clusters only if they have doubled since trained_at. Same single-writer rule as
 * igc_engine_add_exemplar. */
int igc_engine_index_seed(igc_engine *e, const float *cent, size_t nlist, size_t trained_at);
/* igc_engine_commit in two steps, so that the long part (about 0.3 s at 100,000
 * exemplars) runs while other threads classify: prepare only reads the engine (run it
 * where adds and removes cannot happen, e.g. under the caller's read lock) and computes
 * the new statistics and weights aside; apply installs them in a moment (no
 * classification may run then, like add_exemplar) and leaves in r what they replaced:
 * free r with igc_engine_refit_free after letting the classifications in again, so
 * that they do not wait for the freeing (a megabyte of sums at 100,000). Apply returns
 * IGC_ESTATE, leaving the engine as it was, when an exemplar was added or removed since
 * prepare: prepare again (free r too). The engine answers exactly as after igc_engine_commit. When
 * the past judgments have doubled since the exemplar index was last clustered, prepare
 * also builds its new lists (seconds at 100,000) and apply swaps them in; commit does
 * both at once. */
typedef struct igc_engine_refit igc_engine_refit;
int igc_engine_refit_prepare(const igc_engine *e, igc_engine_refit **out);
int igc_engine_refit_apply(igc_engine *e, igc_engine_refit *r);
/* Frees a prepared refit, applied or not. NULL is fine. */
void igc_engine_refit_free(igc_engine_refit *r);
/* Classifies one company. exclude_key skips that exemplar (leave-one-out tuning). */
int igc_engine_classify(const igc_engine *e, const igc_engine_input *in, const char *exclude_key,
                        igc_engine_result *r);
/* igc_engine_classify_ex() flags. DEFER_BASIS: the candidates' 분류근거 are left NULL
 * and written by igc_engine_result_basis() for the ones shown (the rest of the answer,
 * keywords included, is complete and the same). */
#define IGC_ENGINE_DEFER_BASIS 1
/* STORED (igc_engine_classify_in only): exclude_key is the input's own stored exemplar,
 * classified again as igc_engine_classify_stored does. */
#define IGC_ENGINE_STORED 2
/* NO_EXPLAIN: no keywords, terms or 분류근거 (what re-classification, which keeps only
 * the codes, scores and applicability, does not read); the rest the same. */
#define IGC_ENGINE_NO_EXPLAIN 4
/* igc_engine_classify with flags. */
int igc_engine_classify_ex(const igc_engine *e, const igc_engine_input *in, const char *exclude_key, int flags,
                           igc_engine_result *r);
/* The dense part of n classifications done together: each input's sentence vector and
 * its dot products with every item sentence, case and per-item sum, each matrix read
 * once for the block instead of once per input (batch work: `igc classify`). The
 * products are summed as a lone classification sums them, so the answers are the same
 * bits. The batch belongs to e: hold e (a reference) until it is freed. */
typedef struct igc_engine_batch igc_engine_batch;
int igc_engine_batch_new(const igc_engine *e, const igc_engine_input *in, size_t n, igc_engine_batch **out);
/* Frees a batch. NULL is fine. */
void igc_engine_batch_free(igc_engine_batch *b);
/* igc_engine_classify_ex of in, which is input i of batch b (made on e), or alone when
 * b is NULL; IGC_EINVAL when b is another engine's or i is past its end, IGC_ESTATE when
 * e gained or lost an exemplar or case since b was made (make it again, or pass NULL). */
int igc_engine_classify_in(const igc_engine *e, const igc_engine_input *in, const igc_engine_batch *b, size_t i,
                           const char *exclude_key, int flags, igc_engine_result *r);
/* Writes candidate c's 분류근거 (r->cands[c].basis) when the classification deferred it;
 * 0 at once when it is there. e is the engine that classified, unchanged since (the
 * caller still holds it as it did for the classification). */
int igc_engine_result_basis(const igc_engine *e, igc_engine_result *r, size_t c);
/* Classifies a stored exemplar again (re-classification): like igc_engine_classify with
 * exclude_key = key, its own vote left out of the neighbours, prototypes and priors, but
 * the applicability text classifier is the one trained on all exemplars (retraining it
 * per call costs O(exemplars); the item ranking does not use it). */
int igc_engine_classify_stored(const igc_engine *e, const igc_engine_input *in, const char *key,
                               igc_engine_result *r);
/* Features of every item for one company (feat[nitems * IGC_FT_N], row per item in
 * taxonomy order) and the applicability evidence na[IGC_NA_N] (IGC_NA_TOP left 0):
 * what igc tune fits the parameters on. Signals switched off give 0. */
int igc_engine_features(const igc_engine *e, const igc_engine_input *in, const char *exclude_key, float *feat,
                        double *na);
/* Frees strings held by a result (not the result struct). */
void igc_engine_result_free(igc_engine_result *r);
igc_taxonomy *igc_engine_taxonomy(const igc_engine *e);
const igc_engine_params *igc_engine_get_params(const igc_engine *e);
/* "igc-engine/2 lexical+dense+knn+ksic_prior+lexicon+cases [subword-1/d128/...]" */
const char *igc_engine_version(const igc_engine *e);
/* Description of the vector index in use ("Flat/cpu"), or "none". */
const char *igc_engine_index_desc(const igc_engine *e);
/* Items per label and counts per source, for `igc history stats`. */
size_t igc_engine_label_count(const igc_engine *e, const igc_tx_item *it);
size_t igc_engine_none_count(const igc_engine *e);

#endif
