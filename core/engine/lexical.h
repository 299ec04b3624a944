/*
 * Internal to igc_engine: a BM25 index over hashed subword features.
 * Documents are added with weighted features; a query scores every document
 * that shares a feature with it and can report per-feature contributions.
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
/* Recomputes idf and length norms after adds (documents added since are still
 * found, weighed with the statistics of the last finish); call after a batch. */
void lex_finish(lex_index *x);
/* lex_finish in two steps, for an index read by other threads meanwhile: prepare only
 * reads the index (the statistics go to *out); apply, with no reader, installs them when
 * the index got no document since (IGC_ESTATE otherwise: prepare again). Free what
 * prepare made with lex_stats_free (apply takes it over on success). */
typedef struct lex_stats lex_stats;
int lex_prepare(const lex_index *x, lex_stats **out);
int lex_apply(lex_index *x, lex_stats *st);
void lex_stats_free(lex_stats *st);
size_t lex_ndocs(const lex_index *x);
/* Scores all documents for a query into scores[ndocs] (zeroed first);
 * qweight[i] weighs query feature i (NULL: all 1). */
void lex_score(const lex_index *x, const igc_feats *q, const float *qweight, float *scores);
/* Same, for a large index: scores[ndocs] must be zero on entry (only the documents
 * touched are written, so clearing them after use is the caller's cheaper option), and
 * touched[] (room for ndocs) receives the documents that share a feature with the
 * query, *ntouched how many: the work follows the query's postings, not ndocs. */
void lex_score_touched(const lex_index *x, const igc_feats *q, const float *qweight, float *scores,
                       uint32_t *touched, size_t *ntouched);
/* Contribution of each query feature to one document's score, into out[q->n]. */
void lex_contrib(const lex_index *x, const igc_feats *q, const float *qweight, uint32_t doc, float *out);
/* Inverse document frequency of a feature id (0 when unknown). */
float lex_idf(const lex_index *x, uint64_t feat);

#endif
