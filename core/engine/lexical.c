#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "lexical.h"

typedef struct {
    uint32_t doc;
    float tf; /* weighted term frequency */
} posting;

/* A term of at least this many postings has its class sums kept (csum): summing them at
 * query time would walk a large share of the documents; below it, walking is cheaper
 * than the 8 x nclass bytes. */
#define CSUM_MIN 64

/* A common term's documents as a bitmap, with the postings before each word counted:
 * finding a document's posting is a bit test and a count of bits, not a search of a
 * long list (lex_top_k looks documents up in the common features thousands of times a
 * query, and the lists grow with the store). Built with the statistics; documents
 * added since are not covered and are searched for. */
typedef struct {
    uint32_t ndocs; /* documents covered: 0 .. ndocs-1 */
    uint64_t *bits; /* [(ndocs + 63) / 64]: the documents with a posting */
    uint32_t *rank; /* [(ndocs + 63) / 64]: postings of the documents before word w */
} docmap;

/* A term gets a map when at least one document in MAP_SPARSITY has it (the map is then
 * no larger than the postings) and it has at least MAP_MIN postings (a shorter list is
 * searched about as fast). */
#define MAP_SPARSITY 32
#define MAP_MIN 64

typedef struct {
    uint64_t feat;
    uint32_t n, cap;
    posting *p;
    docmap *map;  /* NULL: none (a rare term, or out of memory: then searched) */
    float idf;
    float maxr;   /* the largest tf / (tf + norm) of its postings: a bound on its share of any score */
    double *csum; /* [nclass] when n >= CSUM_MIN (NULL otherwise, or out of memory: then walked):
                   * per class, sum of class weight x tf / (tf + norm) over its documents not removed */
} term;

/* Up to this many documents, lex_top_k scores them all, feature by feature: as cheap
 * as bounding when the index is small (a young store); past it (the case dictionary's
 * 3,280 cases already) the bounds pay (callgrind, igc classify over the listing). */
#define EXHAUSTIVE_MAX 2048

struct lex_index {
    double k1, b;
    term *terms;      /* open addressing on feat */
    size_t nterms, tcap;
    float *doclen;
    float *maxtf;     /* per document, its largest tf: with its norm, a bound on any of its
                       * terms' tf / (tf + norm) (lex_top_k's per-document bound) */
    size_t ndocs, dcap;
    double avglen;
    float *dnorm;     /* per document k1 (1 - b + b len / avglen), as of the last lex_finish() */
    float *dshare;    /* per document a bound on any of its shares tf / (tf + norm), from its
                       * largest tf and dnorm: lex_top_k bounds thousands of documents a query */
    size_t nnorm;     /* documents dnorm and dshare cover; later ones are normalised on the fly */
    unsigned char *dead; /* [dcap]: removed by lex_remove */
    size_t nclass;    /* 0: documents carry no classes (cls NULL) */
    lex_classes *cls; /* [dcap] */
    unsigned long gen; /* changes of the documents (add, remove): prepared statistics are for one */
    size_t exhaustive_max; /* lex_top_k scores every document up to this many */
};

int lex_new(double k1, double b, lex_index **out) {
    lex_index *x = calloc(1, sizeof *x);
    if (!x) return IGC_ENOMEM;
    x->k1 = k1;
    x->b = b;
    x->exhaustive_max = EXHAUSTIVE_MAX;
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
    for (size_t i = 0; i < x->tcap; i++) {
        free(x->terms[i].p);
        free(x->terms[i].csum);
        free(x->terms[i].map);
    }
    free(x->terms);
    free(x->doclen);
    free(x->maxtf);
    free(x->dnorm);
    free(x->dshare);
    free(x->dead);
    free(x->cls);
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

int lex_set_nclass(lex_index *x, size_t nclass) {
    if (x->ndocs || nclass > INT32_MAX) return IGC_ESTATE;
    x->nclass = nclass;
    return 0;
}

int lex_add(lex_index *x, const igc_feats *f, const float *weights, uint32_t *id) {
    return lex_add_classed(x, f, weights, NULL, id);
}

static inline float doc_norm(const lex_index *x, uint32_t doc);

/* tf / (tf + norm): a posting's share of k1 + 1 in its BM25 term, under the norms dn
 * (NULL: the index's own). */
static double share(const lex_index *x, const posting *p, const float *dn) {
    return (double)p->tf / ((double)p->tf + (dn ? dn[p->doc] : doc_norm(x, p->doc)));
}

/* Adds sign x a posting's class shares to the term's sums. */
static void csum_add(const lex_index *x, double *csum, const posting *p, const float *dn, double sign) {
    const lex_classes *c = &x->cls[p->doc];
    double r = sign * share(x, p, dn);
    for (int k = 0; k < LEX_NCLS; k++)
        if (c->c[k] >= 0) csum[c->c[k]] += c->w[k] * r;
}

/* A term's bound (*maxr) and, when csum is not NULL, its class sums, from its
 * postings under the norms dn (NULL: the index's own). */
static void term_stats(const lex_index *x, const term *t, const float *dn, float *maxr, double *csum) {
    double m = 0;
    if (csum) memset(csum, 0, x->nclass * sizeof *csum);
    for (uint32_t j = 0; j < t->n; j++) {
        double r = share(x, &t->p[j], dn);
        if (r > m) m = r;
        if (csum && !x->dead[t->p[j].doc]) csum_add(x, csum, &t->p[j], dn, 1.0);
    }
    *maxr = (float)m;
}

/* Bits set in v: inline (the baseline x86-64 target has no popcnt instruction, and
 * the library call costs more than this). */
static inline uint32_t ones(uint64_t v) {
    v = v - ((v >> 1) & 0x5555555555555555ULL);
    v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
    v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (uint32_t)((v * 0x0101010101010101ULL) >> 56);
}

/* The map of t over the documents 0 .. ndocs-1, when t is common enough to get one
 * (NULL otherwise, or out of memory). One allocation: free() frees it. */
static docmap *map_build(const term *t, size_t ndocs) {
    if (t->n < MAP_MIN || (size_t)t->n * MAP_SPARSITY < ndocs || ndocs > UINT32_MAX) return NULL;
    size_t nw = (ndocs + 63) / 64;
    docmap *m = malloc(sizeof *m + nw * (sizeof *m->bits + sizeof *m->rank));
    if (!m) return NULL;
    m->ndocs = (uint32_t)ndocs;
    m->bits = (uint64_t *)(m + 1);
    m->rank = (uint32_t *)(m->bits + nw);
    memset(m->bits, 0, nw * sizeof *m->bits);
    for (uint32_t j = 0; j < t->n && t->p[j].doc < ndocs; j++) m->bits[t->p[j].doc >> 6] |= 1ull << (t->p[j].doc & 63);
    uint32_t r = 0;
    for (size_t w = 0; w < nw; w++) {
        m->rank[w] = r;
        r += ones(m->bits[w]);
    }
    return m;
}

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t p = (uintptr_t)*(void *const *)a, q = (uintptr_t)*(void *const *)b;
    return p < q ? -1 : p > q;
}

static int grow_docs(lex_index *x) {
    size_t cap = x->dcap ? x->dcap * 2 : 256;
    float *d = realloc(x->doclen, cap * sizeof *d);
    if (!d) return IGC_ENOMEM;
    x->doclen = d;
    float *mt = realloc(x->maxtf, cap * sizeof *mt);
    if (!mt) return IGC_ENOMEM;
    x->maxtf = mt;
    unsigned char *dd = realloc(x->dead, cap);
    if (!dd) return IGC_ENOMEM;
    x->dead = dd;
    if (x->nclass) {
        lex_classes *c = realloc(x->cls, cap * sizeof *c);
        if (!c) return IGC_ENOMEM;
        x->cls = c;
    }
    x->dcap = cap;
    return 0;
}

int lex_add_classed(lex_index *x, const igc_feats *f, const float *weights, const lex_classes *cls, uint32_t *id) {
    if (x->ndocs == x->dcap && grow_docs(x)) return IGC_ENOMEM;
    if (x->ndocs >= UINT32_MAX) return IGC_ENOMEM;
    uint32_t doc = (uint32_t)x->ndocs;
    term **touched = malloc((f->n + 1) * sizeof *touched);
    if (!touched) return IGC_ENOMEM;
    float len = 0;
    for (size_t i = 0; i < f->n; i++) {
        term *t = intern(x, f->f[i].id);
        if (!t) {
            free(touched);
            return IGC_ENOMEM;
        }
        float w = weights ? weights[i] : 1.0f;
        len += w;
        if (t->n && t->p[t->n - 1].doc == doc) {
            t->p[t->n - 1].tf += w;
            continue;
        }
        if (t->n == t->cap) {
            uint32_t cap = t->cap ? t->cap * 2 : 4;
            posting *p = realloc(t->p, cap * sizeof *p);
            if (!p) {
                free(touched);
                return IGC_ENOMEM;
            }
            t->p = p;
            t->cap = cap;
        }
        t->p[t->n++] = (posting){doc, w};
    }
    x->doclen[doc] = len;
    x->maxtf[doc] = 0;
    x->dead[doc] = 0;
    if (x->nclass) {
        lex_classes none = {{-1, -1, -1}, {0, 0, 0}};
        x->cls[doc] = cls ? *cls : none;
        for (int k = 0; k < LEX_NCLS; k++)
            if (x->cls[doc].c[k] >= (int)x->nclass) x->cls[doc].c[k] = -1;
    }
    x->ndocs++;
    x->gen++;
    /* its terms once each, looked up again: interning a later feature may have moved the table */
    size_t nt = 0;
    for (size_t i = 0; i < f->n; i++) touched[nt++] = find(x, f->f[i].id);
    qsort(touched, nt, sizeof *touched, cmp_ptr);
    for (size_t i = 0; i < nt; i++) {
        term *t = touched[i];
        if (i && t == touched[i - 1]) continue;
        const posting *p = &t->p[t->n - 1];
        if (p->tf > x->maxtf[doc]) x->maxtf[doc] = p->tf;
        /* the norm of a document added since the last finish stays what it is now
         * (the average length changes only then), so the bound and sums hold */
        float r = (float)share(x, p, NULL);
        if (r > t->maxr) t->maxr = r;
        if (!x->nclass) continue;
        if (t->csum) csum_add(x, t->csum, p, NULL, 1.0);
        else if (t->n >= CSUM_MIN && (t->csum = malloc(x->nclass * sizeof *t->csum)))
            term_stats(x, t, NULL, &t->maxr, t->csum);
    }
    free(touched);
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

/* A bound on any share tf / (tf + norm) of a document of largest tf maxtf: its own,
 * as a float rounded up. */
static float share_cap(float maxtf, float norm) {
    double r = (double)maxtf / ((double)maxtf + norm);
    float c = (float)r;
    return (double)c < r ? nextafterf(c, INFINITY) : c;
}

void lex_finish(lex_index *x) {
    double total = 0;
    for (size_t i = 0; i < x->ndocs; i++) total += x->doclen[i];
    x->avglen = x->ndocs ? total / (double)x->ndocs : 1;
    if (x->avglen <= 0) x->avglen = 1;
    float *dn = realloc(x->dnorm, (x->ndocs + 1) * sizeof *dn);
    if (dn) x->dnorm = dn;
    float *dc = realloc(x->dshare, (x->ndocs + 1) * sizeof *dc);
    if (dc) x->dshare = dc;
    if (dn && dc) {
        for (size_t i = 0; i < x->ndocs; i++) {
            dn[i] = len_norm(x, x->doclen[i]);
            dc[i] = share_cap(x->maxtf[i], dn[i]);
        }
        x->nnorm = x->ndocs;
    } /* else: keep the old norms, the rest is normalised on the fly */
    for (size_t i = 0; i < x->tcap; i++) {
        term *t = &x->terms[i];
        if (!t->feat) continue;
        t->idf = bm25_idf(x->ndocs, t->n);
        /* the norms changed: bounds and class sums again (a term whose sums cannot be
         * kept is walked at query time) */
        if (x->nclass && t->n >= CSUM_MIN && !t->csum) t->csum = malloc(x->nclass * sizeof *t->csum);
        term_stats(x, t, NULL, &t->maxr, t->csum);
        free(t->map);
        t->map = map_build(t, x->ndocs);
    }
}

struct lex_stats {
    size_t ndocs, tcap, nset;
    unsigned long gen;
    double avglen;
    float *dnorm; /* [ndocs + 1] */
    float *dshare; /* [ndocs + 1] */
    uint32_t *slot; /* [nset]: term slots, in table order */
    float *idf;     /* [nset] */
    float *maxr;    /* [nset] */
    double **csum;  /* [nset]: the class sums of terms that keep them, else NULL */
    docmap **map;   /* [nset]: the maps of terms common enough, else NULL */
};

void lex_stats_free(lex_stats *st) {
    if (!st) return;
    free(st->dnorm);
    free(st->dshare);
    free(st->slot);
    free(st->idf);
    free(st->maxr);
    for (size_t k = 0; st->csum && k < st->nset; k++) free(st->csum[k]);
    free(st->csum);
    for (size_t k = 0; st->map && k < st->nset; k++) free(st->map[k]);
    free(st->map);
    free(st);
}

int lex_prepare(const lex_index *x, lex_stats **out) {
    *out = NULL;
    lex_stats *st = calloc(1, sizeof *st);
    if (!st) return IGC_ENOMEM;
    st->ndocs = x->ndocs;
    st->tcap = x->tcap;
    st->gen = x->gen;
    st->dnorm = malloc((x->ndocs + 1) * sizeof *st->dnorm);
    st->dshare = malloc((x->ndocs + 1) * sizeof *st->dshare);
    st->slot = malloc((x->nterms + 1) * sizeof *st->slot);
    st->idf = malloc((x->nterms + 1) * sizeof *st->idf);
    st->maxr = malloc((x->nterms + 1) * sizeof *st->maxr);
    st->csum = calloc(x->nterms + 1, sizeof *st->csum);
    st->map = calloc(x->nterms + 1, sizeof *st->map);
    if (!st->dnorm || !st->dshare || !st->slot || !st->idf || !st->maxr || !st->csum || !st->map) {
        lex_stats_free(st);
        return IGC_ENOMEM;
    }
    /* the same arithmetic as lex_finish: the answers must not depend on which ran */
    double total = 0;
    for (size_t i = 0; i < x->ndocs; i++) total += x->doclen[i];
    double avg = x->ndocs ? total / (double)x->ndocs : 1;
    if (avg <= 0) avg = 1;
    st->avglen = avg;
    for (size_t i = 0; i < x->ndocs; i++) {
        st->dnorm[i] = (float)(x->k1 * (1.0 - x->b + x->b * x->doclen[i] / avg));
        st->dshare[i] = share_cap(x->maxtf[i], st->dnorm[i]);
    }
    for (size_t i = 0; i < x->tcap && st->nset < x->nterms; i++) {
        const term *t = &x->terms[i];
        if (!t->feat) continue;
        st->slot[st->nset] = (uint32_t)i;
        st->idf[st->nset] = bm25_idf(x->ndocs, t->n);
        /* bounds and class sums under the new norms, aside: the index is still read */
        double *cs = NULL;
        if (x->nclass && t->n >= CSUM_MIN && !(cs = st->csum[st->nset] = malloc(x->nclass * sizeof *cs))) {
            st->nset++;
            lex_stats_free(st);
            return IGC_ENOMEM;
        }
        term_stats(x, t, st->dnorm, &st->maxr[st->nset], cs);
        st->map[st->nset] = map_build(t, x->ndocs);
        st->nset++;
    }
    *out = st;
    return 0;
}

int lex_apply(lex_index *x, lex_stats *st) {
    if (st->ndocs != x->ndocs || st->tcap != x->tcap || st->gen != x->gen) return IGC_ESTATE;
    x->avglen = st->avglen;
    float *dn = x->dnorm;
    x->dnorm = st->dnorm;
    x->nnorm = st->ndocs;
    st->dnorm = dn; /* freed with st */
    float *dc = x->dshare;
    x->dshare = st->dshare;
    st->dshare = dc;
    for (size_t k = 0; k < st->nset; k++) {
        term *t = &x->terms[st->slot[k]];
        t->idf = st->idf[k];
        t->maxr = st->maxr[k];
        double *old = t->csum;
        t->csum = st->csum[k];
        st->csum[k] = old; /* freed with st */
        docmap *om = t->map;
        t->map = st->map[k];
        st->map[k] = om;
    }
    return 0;
}

size_t lex_ndocs(const lex_index *x) { return x->ndocs; }

float lex_idf(const lex_index *x, uint64_t feat) {
    const term *t = find(x, feat);
    return t ? idf_of(x, t) : 0.0f;
}

static float doc_norm_late(const lex_index *x, uint32_t doc) {
    /* no statistics yet (an empty index when last finished): an average length */
    if (!x->nnorm) return (float)x->k1;
    return len_norm(x, x->doclen[doc]);
}

/* Inline: every posting a query touches reads it. */
static inline float doc_norm(const lex_index *x, uint32_t doc) {
    return doc < x->nnorm ? x->dnorm[doc] : doc_norm_late(x, doc);
}

/* share_cap of document doc under its norm. */
static inline float doc_cap(const lex_index *x, uint32_t doc) {
    return doc < x->nnorm ? x->dshare[doc] : share_cap(x->maxtf[doc], doc_norm_late(x, doc));
}

static float bm25(const lex_index *x, const term *t, const posting *p) {
    return (float)(idf_of(x, t) * (x->k1 + 1.0)) * p->tf / (p->tf + doc_norm(x, p->doc));
}

/* A query feature's factor: its weight x idf x (k1 + 1). */
static float factor(const lex_index *x, const term *t, const float *qweight, size_t i) {
    return (qweight ? qweight[i] : 1.0f) * (float)(idf_of(x, t) * (x->k1 + 1.0));
}

/* One posting's BM25 term, for a feature of factor a: every scorer computes it so,
 * which keeps their sums bit for bit the same. */
static float part(const lex_index *x, float a, const posting *p) {
    return a * p->tf / (p->tf + doc_norm(x, p->doc));
}

void lex_score(const lex_index *x, const igc_feats *q, const float *qweight, float *scores) {
    memset(scores, 0, x->ndocs * sizeof *scores);
    for (size_t i = 0; i < q->n; i++) {
        const term *t = find(x, q->f[i].id);
        if (!t) continue;
        /* hot loop: the term's factor once, the document's norm from the table */
        float a = factor(x, t, qweight, i);
        for (uint32_t j = 0; j < t->n; j++) scores[t->p[j].doc] += part(x, a, &t->p[j]);
    }
}

/* Index of the first posting of t at or after doc, searching from lo (postings are in
 * doc order): galloping, as the documents asked for only grow. */
static uint32_t seek(const term *t, uint32_t lo, uint32_t doc) {
    const posting *p = t->p;
    uint32_t n = t->n;
    if (lo >= n || p[lo].doc >= doc) return lo;
    uint32_t step = 1, hi = lo + 1;
    while (hi < n && p[hi].doc < doc) {
        lo = hi;
        step *= 2;
        hi = n - lo > step ? lo + step : n;
    }
    /* p[lo].doc < doc, and hi == n or p[hi].doc >= doc */
    lo++;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p[mid].doc < doc) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Whether doc has a posting in t; *pos gets the index of the first posting at or after
 * doc, from t's map when it covers doc (no posting is read unless doc has one: a read
 * in a long list is a miss of the cache), else searched from *pos (which must not be
 * past it). */
static inline int posting_of(const term *t, uint32_t *pos, uint32_t doc) {
    const docmap *m = t->map;
    if (m && doc < m->ndocs) {
        uint64_t w = m->bits[doc >> 6], bit = 1ull << (doc & 63);
        *pos = m->rank[doc >> 6] + ones(w & (bit - 1));
        return (w & bit) != 0;
    }
    *pos = seek(t, *pos, doc);
    return *pos < t->n && t->p[*pos].doc == doc;
}

void lex_contrib(const lex_index *x, const igc_feats *q, const float *qweight, uint32_t doc, float *out) {
    for (size_t i = 0; i < q->n; i++) {
        out[i] = 0;
        const term *t = find(x, q->f[i].id);
        if (!t) continue;
        uint32_t j = 0;
        if (posting_of(t, &j, doc)) out[i] = (qweight ? qweight[i] : 1.0f) * bm25(x, t, &t->p[j]);
    }
}

int lex_remove(lex_index *x, uint32_t doc, const uint64_t *feats, size_t n) {
    if (doc >= x->ndocs || x->dead[doc]) return IGC_ENOTFOUND;
    for (size_t i = 0; x->nclass && i < n; i++) {
        term *t = find(x, feats[i]);
        if (!t || !t->csum) continue;
        uint32_t j = 0;
        if (posting_of(t, &j, doc)) csum_add(x, t->csum, &t->p[j], NULL, -1.0);
    }
    x->dead[doc] = 1;
    x->gen++;
    return 0;
}

float lex_doc_score(const lex_index *x, const igc_feats *q, const float *qweight, uint32_t doc) {
    float s = 0;
    if (doc >= x->ndocs) return 0;
    /* the features and their order of lex_top_k, so the same float sum */
    for (size_t i = 0; i < q->n; i++) {
        const term *t = find(x, q->f[i].id);
        if (!t) continue;
        float a = factor(x, t, qweight, i);
        if (!(a > 0)) continue;
        uint32_t j = 0;
        if (posting_of(t, &j, doc)) s += part(x, a, &t->p[j]);
    }
    return s;
}

void lex_class_sums(const lex_index *x, const igc_feats *q, const float *qweight, double *sums) {
    if (!x->nclass) return;
    /* BM25 is linear in each feature's factor: per feature, its factor x its class sums,
     * kept for a common feature, summed from the postings of a rare one */
    for (size_t i = 0; i < q->n; i++) {
        const term *t = find(x, q->f[i].id);
        if (!t) continue;
        float a = factor(x, t, qweight, i);
        if (!(a > 0)) continue;
        if (t->csum) {
            for (size_t c = 0; c < x->nclass; c++) sums[c] += a * t->csum[c];
            continue;
        }
        for (uint32_t j = 0; j < t->n; j++) {
            const posting *p = &t->p[j];
            if (x->dead[p->doc]) continue;
            const lex_classes *c = &x->cls[p->doc];
            double r = a * share(x, p, NULL);
            for (int k = 0; k < LEX_NCLS; k++)
                if (c->c[k] >= 0) sums[c->c[k]] += c->w[k] * r;
        }
    }
}

/* ---- top k: MaxScore (Turtle & Flood) over the query's features ----
 * Each feature gets a bound on its share of any score (factor x maxr). With a
 * threshold below the k-th best score, the features of smallest bounds whose bounds
 * sum to no more than it are "non-essential": a document found in those alone cannot
 * enter the k best. The postings of the others are summed term by term (a dense
 * accumulator, no merging of cursors); each document found there is bounded (its
 * partial sum, plus what the non-essential features could add: their bounds, or their
 * factors times the document's own largest share), and looked up in the non-essential
 * features, highest bound first, while it can still make it. The threshold comes from
 * the rarest features' documents first: their k best partial sums, with their shares
 * in the mapped features added, bound the k-th score from below. */

typedef struct {
    const term *t;
    float a;        /* the feature's factor */
    double ub;      /* bound on its share of a score */
    uint32_t pos;   /* into t->p: lookups only move it forward */
    uint32_t stamp; /* the document val is of */
    float val;
    int seeded;     /* summed for the first threshold */
} cursor;

/* The worse of two hits: lower score, or the same score and a later document. */
static int worse(const lex_hit *a, const lex_hit *b) { return a->score < b->score || (a->score == b->score && a->doc > b->doc); }

/* Min-heap of the k best on worse(): the root is the one to drop. */
static void rheap_down(lex_hit *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && worse(&h[l], &h[m])) m = l;
        if (l + 1 < n && worse(&h[l + 1], &h[m])) m = l + 1;
        if (m == i) return;
        lex_hit tmp = h[i];
        h[i] = h[m], h[m] = tmp;
        i = m;
    }
}

static void rheap_up(lex_hit *h, size_t i) {
    while (i) {
        size_t up = (i - 1) / 2;
        if (!worse(&h[i], &h[up])) return;
        lex_hit tmp = h[i];
        h[i] = h[up], h[up] = tmp;
        i = up;
    }
}

typedef struct {
    double ub;
    uint32_t l;
} by_ub;

static int cmp_ub(const void *a, const void *b) {
    const by_ub *x = a, *y = b;
    return x->ub < y->ub ? -1 : x->ub > y->ub ? 1 : x->l < y->l ? -1 : x->l > y->l;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_hit(const void *a, const void *b) { return worse(b, a) ? -1 : worse(a, b) ? 1 : 0; }

void lex_set_exhaustive_max(lex_index *x, size_t n) { x->exhaustive_max = n; }

/* Puts hit h among the k best in out[*cnt] (a min-heap on worse()). */
static void keep_best(lex_hit *out, size_t k, size_t *cnt, lex_hit h) {
    if (*cnt < k) {
        out[*cnt] = h;
        rheap_up(out, (*cnt)++);
    } else if (worse(&out[0], &h)) {
        out[0] = h;
        rheap_down(out, *cnt, 0);
    }
}

/* lex_top_k on a small index: every document's score, in lex_score's order. */
static int top_k_exhaustive(const lex_index *x, const igc_feats *q, const float *qweight, size_t k,
                            const uint32_t *excl, size_t nexcl, lex_hit *out, size_t *n) {
    float *s = calloc(x->ndocs + 1, sizeof *s);
    if (!s) return IGC_ENOMEM;
    for (size_t i = 0; i < q->n; i++) {
        const term *t = find(x, q->f[i].id);
        if (!t) continue;
        float a = factor(x, t, qweight, i);
        if (!(a > 0)) continue;
        for (uint32_t j = 0; j < t->n; j++) s[t->p[j].doc] += part(x, a, &t->p[j]);
    }
    for (size_t j = 0; j < nexcl; j++)
        if (excl[j] < x->ndocs) s[excl[j]] = 0;
    size_t cnt = 0;
    for (uint32_t d = 0; d < x->ndocs; d++)
        if (s[d] > 0 && !x->dead[d]) keep_best(out, k, &cnt, (lex_hit){d, s[d]});
    free(s);
    qsort(out, cnt, sizeof *out, cmp_hit);
    *n = cnt;
    return 0;
}

/* Bound on what the features order[0 .. j-1] can add to a document whose shares are at
 * most db (cum and acum: their bounds' and factors' running sums). */
static double rest(const double *cum, const double *acum, size_t j, double db) {
    if (!j) return 0;
    double b = acum[j - 1] * db;
    return b < cum[j - 1] ? b : cum[j - 1];
}

/* Postings summed before the first threshold is taken: a few thousand, so that it
 * costs little. */
#define SEED_POSTINGS 2048

/* A lower bound on the score of each of h[0..n), whose score holds its shares in the
 * seeded features, into that score: those plus its shares in the other features that
 * have a map (a bit and a count each; a feature without one would be searched, a
 * gallop through a long list per document, and is left out), less the slack (the
 * float sum in another order than the score's). */
static void lower_scores(const lex_index *x, const cursor *cur, size_t L, lex_hit *h, size_t n, double slack) {
    for (size_t i = 0; i < n; i++) {
        uint32_t d = h[i].doc, j = 0;
        double s = h[i].score;
        for (size_t l = 0; l < L; l++) {
            const docmap *m = cur[l].t->map;
            if (cur[l].seeded || !m || d >= m->ndocs) continue;
            if (posting_of(cur[l].t, &j, d)) s += part(x, cur[l].a, &cur[l].t->p[j]);
        }
        h[i].score = (float)(s / slack);
    }
}

/* The largest float f with f x slack + most <= thr as the walk's bound computes it (in
 * double): a document whose partial sum is at most f fails the bound, as the features
 * left add at most most (rest() <= it). */
static float quick_floor(double thr, double most, double slack) {
    float f = (float)((thr - most) / slack);
    while ((double)f * slack + most > thr) f = nextafterf(f, -INFINITY);
    return f;
}

/* Bit i: acc[i] > f, for the 64 sums at acc (acc is padded to whole words; a sum not
 * yet written is compared too, and masked out by the caller). */
__attribute__((target("avx2"))) static uint64_t above_avx2(const float *acc, float f) {
    __m256 t = _mm256_set1_ps(f);
    uint64_t m = 0;
    for (int i = 0; i < 8; i++)
        m |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(acc + 8 * i), t, _CMP_GT_OQ))
             << (8 * i);
    return m;
}

static uint64_t above(const float *acc, float f) {
    if (__builtin_cpu_supports("avx2")) return above_avx2(acc, f);
    uint64_t m = 0;
    for (int i = 0; i < 64; i++) m |= (uint64_t)(acc[i] > f) << i;
    return m;
}

/* Adds a feature's shares of its documents to acc, marking them in seen (acc of a
 * document not yet seen is not read). */
static void accumulate(const lex_index *x, const cursor *c, float *acc, uint64_t *seen) {
    const term *t = c->t;
    for (uint32_t j = 0; j < t->n; j++) {
        uint32_t d = t->p[j].doc;
        uint64_t bit = 1ull << (d & 63);
        float v = part(x, c->a, &t->p[j]);
        if (seen[d >> 6] & bit) {
            acc[d] += v;
        } else {
            seen[d >> 6] |= bit;
            acc[d] = v;
        }
    }
}

int lex_top_k(const lex_index *x, const igc_feats *q, const float *qweight, size_t k, const uint32_t *excl,
              size_t nexcl, lex_hit *out, size_t *n) {
    *n = 0;
    if (!k || !q->n || !x->ndocs) return 0;
    if (x->ndocs <= x->exhaustive_max) return top_k_exhaustive(x, q, qweight, k, excl, nexcl, out, n);
    size_t L = 0, cnt = 0;
    cursor *cur = malloc(q->n * sizeof *cur);
    uint32_t *order = malloc(q->n * sizeof *order), *ex = malloc((nexcl + 1) * sizeof *ex);
    double *cum = malloc(2 * q->n * sizeof *cum), *acum = cum ? cum + q->n : NULL;
    by_ub *srt = malloc(q->n * sizeof *srt);
    if (!cur || !order || !ex || !cum || !srt) {
        free(cur), free(order), free(ex), free(cum), free(srt);
        return IGC_ENOMEM;
    }
    /* the cursors in query order, the order lex_score adds the features in */
    for (size_t i = 0; i < q->n; i++) {
        const term *t = find(x, q->f[i].id);
        if (!t || !t->n) continue;
        float a = factor(x, t, qweight, i);
        if (!(a > 0)) continue;
        cur[L++] = (cursor){t, a, 0, 0, UINT32_MAX, 0, 0};
    }
    /* Slack on the bounds: a float sum of L terms can exceed the exact one by about
     * L x 2^-24 of itself, a float term its real value by an ulp or two. */
    double slack = 1.0 + 1e-4 + (double)L * 1.2e-7;
    for (size_t l = 0; l < L; l++) {
        cur[l].ub = (double)cur[l].a * cur[l].t->maxr * slack;
        srt[l] = (by_ub){cur[l].ub, (uint32_t)l};
    }
    qsort(srt, L, sizeof *srt, cmp_ub);
    for (size_t j = 0; j < L; j++) order[j] = srt[j].l;
    free(srt);
    for (size_t j = 0; j < L; j++) {
        cum[j] = (j ? cum[j - 1] : 0) + cur[order[j]].ub;
        acum[j] = (j ? acum[j - 1] : 0) + cur[order[j]].a;
    }
    if (nexcl) memcpy(ex, excl, nexcl * sizeof *ex); /* excl may be NULL when nexcl is 0 */
    qsort(ex, nexcl, sizeof *ex, cmp_u32);
    ex[nexcl] = UINT32_MAX;
    size_t ei = 0;
    /* The essential features' postings are summed term by term into acc, the documents
     * seen marked in seen: one pass over each list, no merging of cursors. The rarest
     * features first, as long as their postings stay few: the k best of those partial
     * sums, completed from the mapped features' bits, give a first threshold (k
     * documents score at least that much), and with it the common features that are
     * not essential. Then the documents seen, in order, each bounded and looked up in
     * the non-essential features like MaxScore's walk; the partial sums only bound
     * (with slack), the score kept is summed again in query order. */
    size_t nw = (x->ndocs + 63) / 64;
    float *acc = malloc(nw * 64 * sizeof *acc);
    uint64_t *seen = calloc(nw, sizeof *seen);
    lex_hit *best = malloc(k * sizeof *best);
    if (!acc || !seen || !best) {
        free(acc), free(seen), free(best);
        free(cur), free(order), free(ex), free(cum);
        return IGC_ENOMEM;
    }
    size_t na = 0, budget = SEED_POSTINGS;
    for (size_t j = L; j-- > 0;) {
        const cursor *c = &cur[order[j]];
        if (na && c->t->n > budget) break;
        budget -= c->t->n < budget ? c->t->n : budget;
        accumulate(x, c, acc, seen);
        cur[order[j]].seeded = 1;
        na++;
    }
    float thr = 0;
    size_t nb = 0;
    for (size_t w = 0; w < nw; w++)
        for (uint64_t bits = seen[w]; bits; bits &= bits - 1) {
            uint32_t d = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            if (!x->dead[d] && !(nexcl && bsearch(&d, ex, nexcl, sizeof *ex, cmp_u32)))
                keep_best(best, k, &nb, (lex_hit){d, acc[d]});
        }
    if (nb == k) {
        float kth = INFINITY;
        lower_scores(x, cur, L, best, nb, slack);
        for (size_t i = 0; i < nb; i++) kth = best[i].score < kth ? best[i].score : kth;
        /* just below: a document scoring kth still enters (a tie goes to the earlier) */
        if (kth > 0 && kth < INFINITY) thr = nextafterf(kth, 0);
    }
    free(best);
    size_t ness = 0; /* order[0 .. ness-1] are non-essential; the summed ones never */
    while (ness < L - na && cum[ness] <= thr) ness++;
    for (size_t j = ness; j < L - na; j++) accumulate(x, &cur[order[j]], acc, seen);
    /* Most documents seen fail the bound on their partial sum alone (the features left
     * add at most cum[ness - 1]): sixty-four at a time, by one comparison each. */
    double most = ness ? cum[ness - 1] : 0;
    float floor = quick_floor(thr, most, slack);
    for (size_t w = 0; w < nw; w++) {
        uint64_t bits = seen[w];
        if (bits) bits &= above(acc + w * 64, floor);
        for (; bits; bits &= bits - 1) {
            uint32_t d = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            if (x->dead[d]) continue;
            while (ex[ei] < d) ei++;
            if (ex[ei] == d) continue;
            double partial = acc[d];
            /* d's share of any of its features is at most maxtf / (maxtf + its norm):
             * with the factors of the features left, often a tighter bound than theirs */
            double db = ness ? doc_cap(x, d) * slack : 0;
            if (partial * slack + rest(cum, acum, ness, db) <= thr) continue;
            int out_of_reach = 0;
            /* the non-essential ones, by lookup, while d can still pass the threshold */
            for (size_t j = ness; j-- > 0;) {
                cursor *c = &cur[order[j]];
                if (posting_of(c->t, &c->pos, d)) {
                    c->val = part(x, c->a, &c->t->p[c->pos]);
                    c->stamp = d;
                    partial += c->val;
                }
                if (partial * slack + rest(cum, acum, j, db) <= thr) {
                    out_of_reach = 1;
                    break;
                }
            }
            if (out_of_reach) continue;
            /* the essential ones' shares of d, their cursors moved up to it */
            for (size_t j = ness; j < L; j++) {
                cursor *c = &cur[order[j]];
                if (posting_of(c->t, &c->pos, d)) {
                    c->val = part(x, c->a, &c->t->p[c->pos]);
                    c->stamp = d;
                }
            }
            /* the exact score: the float sum in query order, as lex_score adds it */
            float sc = 0;
            for (size_t l = 0; l < L; l++)
                if (cur[l].stamp == d) sc += cur[l].val;
            if (!(sc > thr)) continue; /* equal: an earlier document holds the place */
            keep_best(out, k, &cnt, (lex_hit){d, sc});
            if (cnt == k && out[0].score > thr) {
                thr = out[0].score;
                floor = quick_floor(thr, most, slack);
            }
        }
    }
    free(acc), free(seen);
    qsort(out, cnt, sizeof *out, cmp_hit);
    *n = cnt;
    free(cur), free(order), free(ex), free(cum);
    return 0;
}
