/*
 * igc_plugin: the sentence-encoder interface the retrieval engine codes against.
 *
 * An encoder maps any text (one field or several concatenated) to a unit vector of
 * `dim` floats; the engine compares vectors by inner product (= cosine). Encoders
 * also report how much each of the input's own words contributed, so that a match
 * can be explained with the user's words. The built-in self-trained subword model
 * (plugins/subword, igc_embed_encoder()) is one implementation; others (for example
 * an ONNX Runtime model) fill in the same table.
 *
 * The `version` string changes whenever the vectors would change (other weights,
 * vocabulary or dimension): stored vectors carry it, and a mismatch means re-encode.
 */
#ifndef IGC_PLUGIN_H
#define IGC_PLUGIN_H

#include <stddef.h>

#include "igc_text.h"

typedef struct igc_encoder igc_encoder;

struct igc_encoder {
    const char *name;    /* short kind, e.g. "subword" */
    int dim;             /* length of every vector */
    const char *version; /* e.g. "subword-1/d128/3f2a9c1e" */
    void *impl;          /* the implementation's state */

    /* Encodes text into out[dim], L2-normalised. A text with no known feature
     * gives a zero vector and IGC_ENOTFOUND; invalid UTF-8 gives IGC_EUTF8. */
    int (*encode)(const igc_encoder *e, const char *text, float *out);
    /* Same from words already split by igc_text_words(). When contrib is not NULL
     * it receives words->n values: each word's share of the vector, summing to 1
     * (0 for words the encoder does not know). */
    int (*encode_words)(const igc_encoder *e, const igc_words *words, float *out, float *contrib);
    /* Splits the cosine of the words' vector with each of ntargets unit vectors
     * (targets[t * dim ...]) into per-word parts: contrib[t * words->n + w] sum to that
     * cosine, so the largest parts are the words that made the match. One call for
     * all targets, so the words are encoded once. */
    int (*explain)(const igc_encoder *e, const igc_words *words, const float *targets, size_t ntargets,
                   float *contrib);
    /* Releases the encoder (and what it owns). */
    void (*destroy)(igc_encoder *e);
};

/* Convenience wrappers so callers need not spell the function pointers. */
static inline int igc_encoder_encode(const igc_encoder *e, const char *text, float *out) {
    return e->encode(e, text, out);
}
static inline int igc_encoder_encode_words(const igc_encoder *e, const igc_words *words, float *out,
                                           float *contrib) {
    return e->encode_words(e, words, out, contrib);
}
static inline int igc_encoder_explain(const igc_encoder *e, const igc_words *words, const float *targets,
                                      size_t ntargets, float *contrib) {
    return e->explain(e, words, targets, ntargets, contrib);
}
/* Destroys an encoder; NULL is fine. */
static inline void igc_encoder_free(igc_encoder *e) {
    if (e && e->destroy) e->destroy(e);
}

#endif
