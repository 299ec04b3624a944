/*
 * Internal to igc_engine: a BM25 index over hashed subword features.
 * Documents are added with weighted features; a query scores every document
 * that shares a feature with it and can report per-feature contributions.
 * For an index of many documents (the past judgments), a query's k best documents
 * (lex_top_k) and its score summed per class of document (lex_class_sums) cost what
 * its rare features' postings cost, not what the index holds: common features
 * are bounded (top-k) or summed ahead of time (classes).
 */
#ifndef IGC_ENGINE_LEXICAL_H
#define IGC_ENGINE_LEXICAL_H

#include <stddef.h>
#include <stdint.h>

#include "igc_text.h"

typedef struct lex_index lex_index;

/* k1/b are the usual BM25 constants. */
int lex_new(double k1, double b, lex_index **out);
void lex_free(lex_index *x);
/* Adds features of a document with a weight each (a field weight); returns its doc id in *id. */
int lex_add(lex_index *x, const igc_feats *f, const float *weights, uint32_t *id);

/* Classes of a document, for lex_class_sums: up to LEX_NCLS (class, weight) pairs,
 * class -1 for none. */
#define LEX_NCLS 3
typedef struct {
    int c[LEX_NCLS];
    float w[LEX_NCLS];
} lex_classes;
/* Number of classes (0..nclass-1) the documents may carry; call once, before any add. */
int lex_set_nclass(lex_index *x, size_t nclass);
/* lex_add for a document with classes (NULL: none). */
int lex_add_classed(lex_index *x, const igc_feats *f, const float *weights, const lex_classes *cls, uint32_t *id);
/* Takes document doc out of every later top-k and class sum; feats[n] are its distinct
 * features. IGC_ENOTFOUND when there is no such document, or it is out already. */
int lex_remove(lex_index *x, uint32_t doc, const uint64_t *feats, size_t n);
/* Recomputes idf and length norms after adds (documents added since are still
 * found, weighed with the statistics of the last finish); call after a batch. */
void lex_finish(lex_index *x);
/* lex_finish in two steps, for an index read by other threads meanwhile: prepare only
 * reads the index (the statistics go to *out); apply, with no reader, installs them when
 * the index got no document since (IGC_ESTATE otherwise: prepare again). On success st
 * holds what it replaced: free it with lex_stats_free after the readers are let in
 * again, so that freeing is not done while they wait. */
typedef struct lex_stats lex_stats;
int lex_prepare(const lex_index *x, lex_stats **out);
int lex_apply(lex_index *x, lex_stats *st);
void lex_stats_free(lex_stats *st);
size_t lex_ndocs(const lex_index *x);
/* Scores all documents for a query into scores[ndocs] (zeroed first);
 * qweight[i] weighs query feature i (NULL: all 1). */
void lex_score(const lex_index *x, const igc_feats *q, const float *qweight, float *scores);
/* A document and its score. */
typedef struct {
    uint32_t doc;
    float score;
} lex_hit;
/* The k documents of highest positive score, best first (equal scores: lower doc
 * first), leaving out removed documents and excl[nexcl] (any order); *n gets how
 * many. The scores are exactly lex_score's; the work follows the postings of the
 * query's features whose bound could still lift a document into the k best. */
int lex_top_k(const lex_index *x, const igc_feats *q, const float *qweight, size_t k, const uint32_t *excl,
              size_t nexcl, lex_hit *out, size_t *n);
/* Up to n documents, lex_top_k scores every document instead of bounding (the
 * default suits the engine; a test sets 0 to exercise the bounds on a small index). */
void lex_set_exhaustive_max(lex_index *x, size_t n);
/* Adds to sums[nclass] each class's sum of weight x score over the documents not
 * removed (the same sums as from lex_score's scores, to rounding). */
void lex_class_sums(const lex_index *x, const igc_feats *q, const float *qweight, double *sums);
/* The score of one document (as lex_score gives it). */
float lex_doc_score(const lex_index *x, const igc_feats *q, const float *qweight, uint32_t doc);
/* Contribution of each query feature to one document's score, into out[q->n]. */
void lex_contrib(const lex_index *x, const igc_feats *q, const float *qweight, uint32_t doc, float *out);
/* Inverse document frequency of a feature id (0 when unknown). */
float lex_idf(const lex_index *x, uint64_t feat);

#endif
