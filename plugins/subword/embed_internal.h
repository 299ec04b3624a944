/* Shared between the igc_embed sources; not a public header. */
#ifndef IGC_EMBED_INTERNAL_H
#define IGC_EMBED_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "igc_embed.h"

struct igc_embed_model {
    int dim;
    uint32_t nfeat;
    uint64_t *ids;   /* feature ids, strictly ascending */
    float *idf;      /* nfeat */
    float *w;        /* nfeat * dim, row-major */
    void *map;       /* a loaded model's file mapped read-only (w points into it), or NULL */
    size_t maplen;
    uint64_t textfp; /* emb__text_fingerprint() of the igc_text that made the ids */
    uint64_t hash;   /* content hash (text fingerprint, ids, idf, weights) */
    char version[48];
    uint32_t *slots; /* open-addressing id -> row+1 (0 = empty) */
    uint64_t slot_mask;
};

/* Fingerprint of core/text's feature extraction (ids of a fixed probe text): a
 * model is only valid with the igc_text that produced its feature ids. */
uint64_t emb__text_fingerprint(void);
/* Allocates a model with room for nfeat rows (contents uninitialised). */
int emb__model_new(int dim, uint32_t nfeat, igc_embed_model **out);
/* Builds the lookup table and computes hash and version; call after filling. */
int emb__model_finish(igc_embed_model *m);
/* emb__model_finish with the content hash already known (a file's, checked by the caller). */
int emb__model_finish_hashed(igc_embed_model *m, uint64_t hash);
/* Row of feature id, or -1. */
long emb__row(const igc_embed_model *m, uint64_t id);
/* Serialises the model (file format of docs/model.md). */
int emb__serialize(const igc_embed_model *m, igc_buf *out);

/* A text as weighted vocabulary rows: the same weighting encode uses. */
typedef struct emb__bag {
    uint32_t *row;
    float *wt;
    size_t n;
} emb__bag;
/* The known features of text as a bag (rows ascending). */
int emb__bag_of(const igc_embed_model *m, const char *text, emb__bag *bag);
void emb__bag_free(emb__bag *bag);
/* Weight of a feature seen c times in a text with inverse document frequency idf. */
float emb__tfidf(uint32_t c, float idf);

/* ---- corpus (corpus.c) ---- */
typedef struct emb__item {
    char *code, *name, *definition, *examples, *notes;
} emb__item;
/* Reads taxonomy/igc-v6.json items. */
int emb__load_items(const char *data_dir, emb__item **out, size_t *n);
void emb__free_items(emb__item *it, size_t n);

typedef struct emb__hrow {
    size_t row;      /* 0-based data row */
    char *uid;
    char *query;     /* input fields joined */
    char *product;   /* main_product */
    char *ksic_name;
    char *label[3];  /* "" when empty */
    int none;        /* none_reason set */
} emb__hrow;
/* Reads labeled/history.csv. */
int emb__load_history(const char *data_dir, emb__hrow **out, size_t *n);
/* Reads another file of the labelled format (rel to data_dir). */
int emb__load_labelled(const char *data_dir, const char *rel, emb__hrow **out, size_t *n);
void emb__free_history(emb__hrow *h, size_t n);

enum { EMB_SRC_TAX, EMB_SRC_KSIC, EMB_SRC_COMP, EMB_SRC_HIST, EMB_SRC_GEN, EMB_SRC_LEX, EMB_SRC_CASE, EMB_NSRC };

typedef struct emb__pair {
    uint32_t a, b; /* text indexes */
    uint8_t src;
} emb__pair;

typedef struct emb__corpus {
    char **text;
    size_t ntext, tcap;
    uint32_t *tslot; /* dedup table: text index + 1 */
    uint64_t tmask;
    emb__pair *pair;
    size_t npair, pcap;
    uint64_t *pset; /* dedup of pairs: (a << 32 | b), 0 = empty */
    uint64_t pmask;
    size_t per_src[EMB_NSRC];
    size_t history_left_out;
} emb__corpus;

/* Builds the distinct texts and positive pairs from the sources in o. */
int emb__corpus_build(const igc_embed_train_opts *o, emb__corpus *c);
void emb__corpus_free(emb__corpus *c);
extern const char *const emb__src_name[EMB_NSRC];

#endif
