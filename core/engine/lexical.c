#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "lexical.h"

typedef struct {
    uint32_t doc;
    float tf; /* weighted term frequency */
} posting;

typedef struct {
    uint64_t feat;
    uint32_t n, cap;
    posting *p;
    float idf;
} term;

struct lex_index {
    double k1, b;
    term *terms;      /* open addressing on feat */
    size_t nterms, tcap;
    float *doclen;
    size_t ndocs, dcap;
    double avglen;
    float *dnorm;     /* per document k1 (1 - b + b len / avglen), as of the last lex_finish() */
    size_t nnorm;     /* documents dnorm covers; later ones are normalised on the fly */
};

int lex_new(double k1, double b, lex_index **out) {
    lex_index *x = calloc(1, sizeof *x);
    if (!x) return IGC_ENOMEM;
    x->k1 = k1;
    x->b = b;
    x->tcap = 1024;
    if (!(x->terms = calloc(x->tcap, sizeof *x->terms))) {
        free(x);
        return IGC_ENOMEM;
    }
    *out = x;
    return 0;
}

void lex_free(lex_index *x) {
    if (!x) return;
    for (size_t i = 0; i < x->tcap; i++) free(x->terms[i].p);
    free(x->terms);
    free(x->doclen);
    free(x->dnorm);
    free(x);
}

/* Feature 0 marks an empty slot; a real hash of 0 is remapped (astronomically rare). */
static uint64_t key(uint64_t f) { return f ? f : 1; }

static term *find(const lex_index *x, uint64_t f) {
    f = key(f);
    size_t m = x->tcap - 1, i = (size_t)(f * 0x9E3779B97F4A7C15ULL) & m;
    while (x->terms[i].feat) {
        if (x->terms[i].feat == f) return &x->terms[i];
        i = (i + 1) & m;
    }
    return NULL;
}

static int grow_terms(lex_index *x) {
    size_t ncap = x->tcap * 2, m = ncap - 1;
    term *nt = calloc(ncap, sizeof *nt);
    if (!nt) return IGC_ENOMEM;
    for (size_t j = 0; j < x->tcap; j++) {
        if (!x->terms[j].feat) continue;
        size_t i = (size_t)(x->terms[j].feat * 0x9E3779B97F4A7C15ULL) & m;
        while (nt[i].feat) i = (i + 1) & m;
        nt[i] = x->terms[j];
    }
    free(x->terms);
    x->terms = nt;
    x->tcap = ncap;
    return 0;
}

static term *intern(lex_index *x, uint64_t f) {
    term *t = find(x, f);
    if (t) return t;
    if ((x->nterms + 1) * 2 > x->tcap && grow_terms(x)) return NULL;
    f = key(f);
    size_t m = x->tcap - 1, i = (size_t)(f * 0x9E3779B97F4A7C15ULL) & m;
    while (x->terms[i].feat) i = (i + 1) & m;
    x->terms[i].feat = f;
    x->terms[i].idf = -1; /* not yet counted by lex_finish() */
    x->nterms++;
    return &x->terms[i];
}

int lex_add(lex_index *x, const igc_feats *f, const float *weights, uint32_t *id) {
    if (x->ndocs == x->dcap) {
        size_t cap = x->dcap ? x->dcap * 2 : 256;
        float *d = realloc(x->doclen, cap * sizeof *d);
        if (!d) return IGC_ENOMEM;
        x->doclen = d;
        x->dcap = cap;
    }
    uint32_t doc = (uint32_t)x->ndocs;
    float len = 0;
    for (size_t i = 0; i < f->n; i++) {
        term *t = intern(x, f->f[i].id);
        if (!t) return IGC_ENOMEM;
        float w = weights ? weights[i] : 1.0f;
        len += w;
        if (t->n && t->p[t->n - 1].doc == doc) {
            t->p[t->n - 1].tf += w;
            continue;
        }
        if (t->n == t->cap) {
            uint32_t cap = t->cap ? t->cap * 2 : 4;
            posting *p = realloc(t->p, cap * sizeof *p);
            if (!p) return IGC_ENOMEM;
            t->p = p;
            t->cap = cap;
        }
        t->p[t->n++] = (posting){doc, w};
    }
    x->doclen[doc] = len;
    x->ndocs++;
    if (id) *id = doc;
    return 0;
}

/* BM25 idf of a feature found in df of ndocs documents. */
static float bm25_idf(size_t ndocs, uint32_t df) {
    return (float)log(1.0 + ((double)ndocs - (double)df + 0.5) / ((double)df + 0.5));
}

/* The term's idf as of the last lex_finish(); a term first seen since is weighed
 * from the counts of now, so a document added since is found through its new
 * words too. */
static float idf_of(const lex_index *x, const term *t) { return t->idf >= 0 ? t->idf : bm25_idf(x->ndocs, t->n); }

/* k1 (1 - b + b len / avglen): the length normalisation of a document's tf. */
static float len_norm(const lex_index *x, float len) {
    return (float)(x->k1 * (1.0 - x->b + x->b * len / x->avglen));
}

void lex_finish(lex_index *x) {
    double total = 0;
    for (size_t i = 0; i < x->ndocs; i++) total += x->doclen[i];
    x->avglen = x->ndocs ? total / (double)x->ndocs : 1;
    if (x->avglen <= 0) x->avglen = 1;
    float *dn = realloc(x->dnorm, (x->ndocs + 1) * sizeof *dn);
    if (dn) {
        x->dnorm = dn;
        for (size_t i = 0; i < x->ndocs; i++)
            dn[i] = len_norm(x, x->doclen[i]);
        x->nnorm = x->ndocs;
    } /* else: keep the old norms, the rest is normalised on the fly */
    for (size_t i = 0; i < x->tcap; i++) {
        term *t = &x->terms[i];
        if (!t->feat) continue;
        t->idf = bm25_idf(x->ndocs, t->n);
    }
}

struct lex_stats {
    size_t ndocs, tcap, nset;
    double avglen;
    float *dnorm; /* [ndocs + 1] */
    uint32_t *slot; /* [nset]: term slots, in table order */
    float *idf;     /* [nset] */
};

void lex_stats_free(lex_stats *st) {
    if (!st) return;
    free(st->dnorm);
    free(st->slot);
    free(st->idf);
    free(st);
}

int lex_prepare(const lex_index *x, lex_stats **out) {
    *out = NULL;
    lex_stats *st = calloc(1, sizeof *st);
    if (!st) return IGC_ENOMEM;
    st->ndocs = x->ndocs;
    st->tcap = x->tcap;
    st->dnorm = malloc((x->ndocs + 1) * sizeof *st->dnorm);
    st->slot = malloc((x->nterms + 1) * sizeof *st->slot);
    st->idf = malloc((x->nterms + 1) * sizeof *st->idf);
    if (!st->dnorm || !st->slot || !st->idf) {
        lex_stats_free(st);
        return IGC_ENOMEM;
    }
    /* the same arithmetic as lex_finish: the answers must not depend on which ran */
    double total = 0;
    for (size_t i = 0; i < x->ndocs; i++) total += x->doclen[i];
    double avg = x->ndocs ? total / (double)x->ndocs : 1;
    if (avg <= 0) avg = 1;
    st->avglen = avg;
    for (size_t i = 0; i < x->ndocs; i++)
        st->dnorm[i] = (float)(x->k1 * (1.0 - x->b + x->b * x->doclen[i] / avg));
    for (size_t i = 0; i < x->tcap && st->nset < x->nterms; i++) {
        const term *t = &x->terms[i];
        if (!t->feat) continue;
        st->slot[st->nset] = (uint32_t)i;
        st->idf[st->nset++] = bm25_idf(x->ndocs, t->n);
    }
    *out = st;
    return 0;
}

int lex_apply(lex_index *x, lex_stats *st) {
    if (st->ndocs != x->ndocs || st->tcap != x->tcap) return IGC_ESTATE;
    x->avglen = st->avglen;
    free(x->dnorm);
    x->dnorm = st->dnorm;
    x->nnorm = st->ndocs;
    st->dnorm = NULL;
    for (size_t k = 0; k < st->nset; k++) x->terms[st->slot[k]].idf = st->idf[k];
    lex_stats_free(st);
    return 0;
}

size_t lex_ndocs(const lex_index *x) { return x->ndocs; }

float lex_idf(const lex_index *x, uint64_t feat) {
    const term *t = find(x, feat);
    return t ? idf_of(x, t) : 0.0f;
}

static float doc_norm(const lex_index *x, uint32_t doc) {
    if (doc < x->nnorm) return x->dnorm[doc];
    /* no statistics yet (an empty index when last finished): an average length */
    if (!x->nnorm) return (float)x->k1;
    return len_norm(x, x->doclen[doc]);
}

static float bm25(const lex_index *x, const term *t, const posting *p) {
    return (float)(idf_of(x, t) * (x->k1 + 1.0)) * p->tf / (p->tf + doc_norm(x, p->doc));
}

/* The BM25 loop of both scorers. With touched, documents are recorded as they are first
 * reached and features of no positive weight are passed over, so "score > 0" means
 * "touched"; without it every feature is added, as it always was. */
static void score_into(const lex_index *x, const igc_feats *q, const float *qweight, float *scores,
                       uint32_t *touched, size_t *ntouched) {
    size_t nt = 0;
    for (size_t i = 0; i < q->n; i++) {
        const term *t = find(x, q->f[i].id);
        if (!t) continue;
        /* hot loop: the term's factor once, the document's norm from the table */
        float a = (qweight ? qweight[i] : 1.0f) * (float)(idf_of(x, t) * (x->k1 + 1.0));
        if (touched && !(a > 0)) continue;
        for (uint32_t j = 0; j < t->n; j++) {
            const posting *p = &t->p[j];
            if (touched && scores[p->doc] == 0) touched[nt++] = p->doc;
            scores[p->doc] += a * p->tf / (p->tf + doc_norm(x, p->doc));
        }
    }
    if (ntouched) *ntouched = nt;
}

void lex_score(const lex_index *x, const igc_feats *q, const float *qweight, float *scores) {
    memset(scores, 0, x->ndocs * sizeof *scores);
    score_into(x, q, qweight, scores, NULL, NULL);
}

void lex_score_touched(const lex_index *x, const igc_feats *q, const float *qweight, float *scores,
                       uint32_t *touched, size_t *ntouched) {
    score_into(x, q, qweight, scores, touched, ntouched);
}

void lex_contrib(const lex_index *x, const igc_feats *q, const float *qweight, uint32_t doc, float *out) {
    for (size_t i = 0; i < q->n; i++) {
        out[i] = 0;
        const term *t = find(x, q->f[i].id);
        if (!t) continue;
        /* Postings are in doc order: binary search. */
        uint32_t lo = 0, hi = t->n;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (t->p[mid].doc < doc) lo = mid + 1;
            else hi = mid;
        }
        if (lo < t->n && t->p[lo].doc == doc) out[i] = (qweight ? qweight[i] : 1.0f) * bm25(x, t, &t->p[lo]);
    }
}
