/* Model file I/O, encoding and word contributions. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "embed_internal.h"

enum { HDR = 40 };

static uint32_t f2u(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float u2f(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* FNV-1a fed with the LE bytes of each value, so the hash is the hash of the file's
 * data section whether computed from a file or from a model in memory. */
typedef struct {
    uint64_t h;
} fnv;
static void fnv_bytes(fnv *s, uint64_t v, int nbytes) {
    for (int i = 0; i < nbytes; i++) {
        s->h ^= (v >> (8 * i)) & 0xff;
        s->h *= 1099511628211ULL;
    }
}

static uint64_t content_hash(const igc_embed_model *m) {
    fnv s = {1469598103934665603ULL};
    fnv_bytes(&s, IGC_EMBED_FORMAT, 4);
    fnv_bytes(&s, (uint64_t)m->dim, 4);
    fnv_bytes(&s, m->nfeat, 4);
    fnv_bytes(&s, m->textfp, 8);
    for (uint32_t i = 0; i < m->nfeat; i++) fnv_bytes(&s, m->ids[i], 8);
    for (uint32_t i = 0; i < m->nfeat; i++) fnv_bytes(&s, f2u(m->idf[i]), 4);
    size_t nw = (size_t)m->nfeat * (size_t)m->dim;
    for (size_t i = 0; i < nw; i++) fnv_bytes(&s, f2u(m->w[i]), 4);
    return s.h;
}

uint64_t emb__text_fingerprint(void) {
    /* Words, particles, digits + Hangul, Latin, long compounds: every path of igc_text. */
    static const char probe[] = "리튬이온배터리를 2차전지 양극재와 BIM·5G 재활용 디스플레이의 반도체에서는 AI";
    fnv s = {1469598103934665603ULL};
    igc_feats f = {0};
    if (igc_text_features_of(probe, &f) == 0)
        for (size_t i = 0; i < f.n; i++) {
            fnv_bytes(&s, f.f[i].id, 8);
            fnv_bytes(&s, f.f[i].word, 4);
            fnv_bytes(&s, f.f[i].kind, 1);
        }
    igc_text_feats_free(&f);
    return s.h;
}

int emb__model_new(int dim, uint32_t nfeat, igc_embed_model **out) {
    *out = NULL;
    if (dim < 1 || dim > IGC_EMBED_MAX_DIM || nfeat < 1) return IGC_EINVAL;
    igc_embed_model *m = calloc(1, sizeof *m);
    if (!m) return IGC_ENOMEM;
    m->dim = dim;
    m->nfeat = nfeat;
    m->textfp = emb__text_fingerprint();
    m->ids = malloc((size_t)nfeat * sizeof *m->ids);
    m->idf = malloc((size_t)nfeat * sizeof *m->idf);
    m->w = malloc((size_t)nfeat * (size_t)dim * sizeof *m->w);
    if (!m->ids || !m->idf || !m->w) {
        igc_embed_free(m);
        return IGC_ENOMEM;
    }
    *out = m;
    return 0;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

int emb__model_finish(igc_embed_model *m) { return emb__model_finish_hashed(m, content_hash(m)); }

int emb__model_finish_hashed(igc_embed_model *m, uint64_t hash) {
    free(m->slots);
    uint64_t cap = 16;
    while (cap < (uint64_t)m->nfeat * 2) cap <<= 1;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) return IGC_ENOMEM;
    m->slot_mask = cap - 1;
    for (uint32_t r = 0; r < m->nfeat; r++) {
        uint64_t s = mix(m->ids[r]) & m->slot_mask;
        while (m->slots[s]) s = (s + 1) & m->slot_mask;
        m->slots[s] = r + 1;
    }
    m->hash = hash;
    snprintf(m->version, sizeof m->version, "subword-%d/d%d/%08x", IGC_EMBED_FORMAT, m->dim,
             (unsigned)(m->hash >> 32));
    return 0;
}

long emb__row(const igc_embed_model *m, uint64_t id) {
    uint64_t s = mix(id) & m->slot_mask;
    for (;;) {
        uint32_t v = m->slots[s];
        if (!v) return -1;
        if (m->ids[v - 1] == id) return (long)(v - 1);
        s = (s + 1) & m->slot_mask;
    }
}

void igc_embed_free(igc_embed_model *m) {
    if (!m) return;
    free(m->ids);
    free(m->idf);
    if (m->map) munmap(m->map, m->maplen);
    else free(m->w);
    free(m->slots);
    free(m);
}

int igc_embed_dim(const igc_embed_model *m) { return m ? m->dim : 0; }
uint32_t igc_embed_nfeat(const igc_embed_model *m) { return m ? m->nfeat : 0; }
const char *igc_embed_version(const igc_embed_model *m) { return m ? m->version : ""; }

/* ---- file format ---- */

int emb__serialize(const igc_embed_model *m, igc_buf *out) {
    size_t nw = (size_t)m->nfeat * (size_t)m->dim;
    size_t size = HDR + (size_t)m->nfeat * 12 + nw * 4;
    unsigned char *p = malloc(size);
    if (!p) return IGC_ENOMEM;
    memcpy(p, IGC_EMBED_MAGIC, 8);
    igc_put_le(p + 8, IGC_EMBED_FORMAT, 4);
    igc_put_le(p + 12, (uint32_t)m->dim, 4);
    igc_put_le(p + 16, m->nfeat, 4);
    igc_put_le(p + 20, 0, 4);
    igc_put_le(p + 24, m->hash, 8);
    igc_put_le(p + 32, m->textfp, 8);
    unsigned char *q = p + HDR;
    for (uint32_t i = 0; i < m->nfeat; i++, q += 8) igc_put_le(q, m->ids[i], 8);
    for (uint32_t i = 0; i < m->nfeat; i++, q += 4) igc_put_le(q, f2u(m->idf[i]), 4);
    for (size_t i = 0; i < nw; i++, q += 4) igc_put_le(q, f2u(m->w[i]), 4);
    int rc = igc_buf_append(out, p, size);
    free(p);
    return rc;
}

int igc_embed_save(const igc_embed_model *m, const char *path) {
    if (!m || !path) return IGC_EINVAL;
    igc_buf b = {0};
    int rc = emb__serialize(m, &b);
    if (!rc) rc = igc_write_file_atomic(path, b.data, b.len);
    igc_buf_free(&b);
    if (rc) igc_log(IGC_LOG_ERROR, "embed: cannot write model %s: %s", path, igc_strerror(rc));
    return rc;
}

/* content_hash of the model a file holds, from the file's bytes (the header's
 * format, dimension, count and text fingerprint, then the data section as
 * written): on its own thread while the sections are checked, since FNV-1a goes
 * one byte at a time (35 MB: about 45 ms). The data section is in two parts: the
 * ids and idf as read, and the weights, whose bytes in memory are the file's. */
typedef struct {
    const unsigned char *hdr, *meta, *w;
    size_t nmeta, nw;
    uint64_t h;
} file_hash;

static uint64_t fnv_run(uint64_t h, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static void *file_hash_run(void *arg) {
    file_hash *f = arg;
    uint64_t h = fnv_run(1469598103934665603ULL, f->hdr + 8, 12);
    h = fnv_run(h, f->hdr + 32, HDR - 32);
    h = fnv_run(h, f->meta, f->nmeta);
    f->h = fnv_run(h, f->w, f->nw);
    return NULL;
}

static int refuse(const char *path, int rc, const char *why) {
    igc_log(IGC_LOG_ERROR, "embed: model %s refused: %s", path, why);
    return rc;
}

/* 1 when every one of the n floats of w is finite: the largest magnitude's bits
 * below infinity's (eight running maxima, so that the loop vectorises). */
static int all_finite(const float *w, size_t n) {
    uint32_t mx[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) {
            uint32_t u = f2u(w[i + (size_t)k]) & 0x7fffffffu;
            mx[k] = u > mx[k] ? u : mx[k];
        }
    for (; i < n; i++) mx[0] = (f2u(w[i]) & 0x7fffffffu) > mx[0] ? f2u(w[i]) & 0x7fffffffu : mx[0];
    uint32_t all = 0;
    for (int k = 0; k < 8; k++) all = mx[k] > all ? mx[k] : all;
    return all < 0x7f800000u;
}

int igc_embed_load(const char *path, igc_embed_model **out) {
    if (!out) return IGC_EINVAL;
    *out = NULL;
    if (!path) return IGC_EINVAL;
    /* The sections are read straight into the model (the weights into m->w as they
     * lie in the file, on a little-endian host): no copy of the whole file first, and
     * no second pass over 35 MB to decode it. */
    FILE *f = fopen(path, "rb");
    struct stat st;
    int rc = !f ? (errno == ENOENT ? IGC_ENOTFOUND : IGC_EIO) : fstat(fileno(f), &st) ? IGC_EIO : 0;
    if (rc) {
        /* a missing model is a normal state (before the first training): the caller
         * says what follows from it; other read errors are real faults */
        igc_log(rc == IGC_ENOTFOUND ? IGC_LOG_INFO : IGC_LOG_ERROR, "embed: cannot read model %s: %s", path,
                igc_strerror(rc));
        if (f) fclose(f);
        return rc;
    }
    uint64_t len = (uint64_t)st.st_size;
    unsigned char p[HDR], *meta = NULL;
    igc_embed_model *m = NULL;
    file_hash fh;
    pthread_t hasher;
    int hashing = 0;
    if (len < HDR || fread(p, 1, HDR, f) != HDR) {
        rc = refuse(path, IGC_EPARSE, "shorter than the header (truncated)");
        goto done;
    }
    if (memcmp(p, IGC_EMBED_MAGIC, 6) != 0) {
        rc = refuse(path, IGC_EPARSE, "bad magic: not an igc embedding model");
        goto done;
    }
    if (memcmp(p, IGC_EMBED_MAGIC, 8) != 0 || (uint32_t)igc_get_le(p + 8, 4) != IGC_EMBED_FORMAT) {
        rc = refuse(path, IGC_EVERSION, "unsupported format version (retrain or upgrade)");
        goto done;
    }
    uint32_t dim = (uint32_t)igc_get_le(p + 12, 4), nfeat = (uint32_t)igc_get_le(p + 16, 4);
    if (dim < 1 || dim > IGC_EMBED_MAX_DIM || nfeat < 1 || (uint32_t)igc_get_le(p + 20, 4) != 0) {
        rc = refuse(path, IGC_EPARSE, "bad header fields (dimension, feature count or reserved)");
        goto done;
    }
    /* 64-bit arithmetic: nfeat and dim are bounded, so no overflow. */
    uint64_t want = HDR + (uint64_t)nfeat * 12 + (uint64_t)nfeat * dim * 4;
    if (len != want) {
        rc = refuse(path, IGC_EPARSE, len < want ? "truncated" : "trailing bytes after the weights");
        goto done;
    }
    size_t nmeta = (size_t)nfeat * 12, nw = (size_t)nfeat * dim;
    if ((rc = emb__model_new((int)dim, nfeat, &m))) goto done;
    if (!(meta = malloc(nmeta))) {
        rc = IGC_ENOMEM;
        goto done;
    }
    if (fread(meta, 1, nmeta, f) != nmeta) {
        rc = refuse(path, IGC_EPARSE, "truncated while reading (the file changed?)");
        goto done;
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* The weights as they lie in the file are this host's floats: the file is mapped
     * and used in place (its pages are the page cache's; reading them into memory of
     * our own cost a page fault per 4 KiB, most of the start-up). The mapping is
     * private: a model retrained meanwhile is a new file (written aside, renamed). */
    void *map = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fileno(f), 0);
    if (map != MAP_FAILED) {
        free(m->w);
        m->map = map, m->maplen = (size_t)len;
        m->w = (float *)((unsigned char *)map + HDR + nmeta);
    } else if (fread(m->w, 4, nw, f) != nw) {
        rc = refuse(path, IGC_EPARSE, "truncated while reading (the file changed?)");
        goto done;
    }
    fh = (file_hash){p, meta, (const unsigned char *)m->w, nmeta, nw * 4, 0};
    hashing = pthread_create(&hasher, NULL, file_hash_run, &fh) == 0;
#else
    if (fread(m->w, 4, nw, f) != nw) {
        rc = refuse(path, IGC_EPARSE, "truncated while reading (the file changed?)");
        goto done;
    }
    fh = (file_hash){p, meta, (const unsigned char *)m->w, nmeta, nw * 4, 0};
    file_hash_run(&fh); /* over the file's bytes, before they are turned to this host's order */
    for (size_t i = 0; i < nw; i++) m->w[i] = u2f((uint32_t)igc_get_le((const unsigned char *)&m->w[i], 4));
#endif
    m->textfp = igc_get_le(p + 32, 8);
    const unsigned char *q = meta;
    for (uint32_t i = 0; i < nfeat; i++, q += 8) {
        m->ids[i] = igc_get_le(q, 8);
        if (i && m->ids[i] <= m->ids[i - 1]) {
            rc = refuse(path, IGC_EPARSE, "feature ids out of order (corrupt)");
            goto done;
        }
    }
    for (uint32_t i = 0; i < nfeat; i++, q += 4) {
        m->idf[i] = u2f((uint32_t)igc_get_le(q, 4));
        if (!isfinite(m->idf[i]) || m->idf[i] <= 0) {
            rc = refuse(path, IGC_EPARSE, "bad idf value (corrupt)");
            goto done;
        }
    }
    if (!all_finite(m->w, nw)) {
        rc = refuse(path, IGC_EPARSE, "non-finite weight (corrupt)");
        goto done;
    }
    if (hashing) pthread_join(hasher, NULL), hashing = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    else file_hash_run(&fh);
#endif
    if ((rc = emb__model_finish_hashed(m, fh.h))) goto done;
    if (m->hash != igc_get_le(p + 24, 8)) {
        rc = refuse(path, IGC_EPARSE, "content hash mismatch (corrupt)");
        goto done;
    }
    if (m->textfp != emb__text_fingerprint()) {
        /* Feature ids would silently miss: every text would encode to nothing. */
        rc = refuse(path, IGC_EVERSION, "trained with other text features (core/text changed): retrain the model");
        goto done;
    }
    igc_log(IGC_LOG_DEBUG, "embed: loaded %s (%s, %u features)", path, m->version, m->nfeat);
done:
    if (hashing) pthread_join(hasher, NULL); /* it reads meta and m->w */
    fclose(f);
    free(meta);
    if (rc) {
        igc_embed_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- encoding ---- */

float emb__tfidf(uint32_t c, float idf) { return (1.0f + logf((float)c)) * idf; }

typedef struct {
    uint32_t row, word;
} occ;

static int occ_cmp(const void *x, const void *y) {
    const occ *a = x, *b = y;
    if (a->row != b->row) return a->row < b->row ? -1 : 1;
    return a->word < b->word ? -1 : a->word > b->word;
}

/* Known feature occurrences of words, sorted by row (then word). */
static int occurrences(const igc_embed_model *m, const igc_words *words, occ **out, size_t *n) {
    *out = NULL;
    *n = 0;
    igc_feats f = {0};
    int rc = igc_text_features(words, 0, &f);
    if (rc) {
        igc_text_feats_free(&f);
        return rc;
    }
    occ *o = malloc((f.n ? f.n : 1) * sizeof *o);
    if (!o) {
        igc_text_feats_free(&f);
        return IGC_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < f.n; i++) {
        long r = emb__row(m, f.f[i].id);
        if (r >= 0) o[k++] = (occ){(uint32_t)r, f.f[i].word};
    }
    igc_text_feats_free(&f);
    qsort(o, k, sizeof *o, occ_cmp);
    *out = o;
    *n = k;
    return 0;
}

/* u = sum over distinct rows of tfidf * row; returns |u|. Summation in row order,
 * exactly as training does, so a text gets the vector it was trained with. */
/* Four floats (an SSE register), and the same loadable from any float address. */
typedef float emb_v4f __attribute__((vector_size(16)));
typedef float emb_v4fu __attribute__((vector_size(16), aligned(4)));

/* u (never a row of the model) summed four elements at a time, each element multiplied
 * and added as one at a time would be, so no bit changes. */
static float sum_rows(const igc_embed_model *m, const occ *o, size_t n, float *restrict u) {
    int d = m->dim;
    memset(u, 0, (size_t)d * sizeof *u);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && o[j].row == o[i].row) j++;
        float wt = emb__tfidf((uint32_t)(j - i), m->idf[o[i].row]);
        const float *restrict v = m->w + (size_t)o[i].row * (size_t)d;
        int k = 0;
        for (emb_v4f w4 = {wt, wt, wt, wt}; k + 4 <= d; k += 4)
            *(emb_v4fu *)(u + k) += w4 * *(const emb_v4fu *)(v + k);
        for (; k < d; k++) u[k] += wt * v[k];
        i = j;
    }
    double s = 0;
    for (int k = 0; k < d; k++) s += (double)u[k] * u[k];
    return (float)sqrt(s);
}

/* contrib[w] = sum over w's occurrences of (tfidf/c) * dot(row, target) / norm. */
/* Four doubles, one AVX register where the CPU has them (two SSE2 ones elsewhere). */
typedef double emb_v4d __attribute__((vector_size(32)));

/* Each dot product below is summed in dimension order, a chain of dependent additions:
 * one row at a time would wait on the adder's latency at every dimension, so the chains
 * of SPLIT_ROWS rows and SPLIT_GROUPS target groups advance together (every sum is
 * still the same sequence of operations, so no bit changes). */
#define SPLIT_ROWS 4
#define SPLIT_GROUPS 3

/* The dot products of the rows v[0..SPLIT_ROWS) with target groups g0 .. g0+G-1 (tt as
 * laid out by split(), ng groups per dimension) into acc[row][group - g0]. Inlined with
 * G a constant, the sums stay in registers. */
static inline __attribute__((always_inline)) void split_dots(const float *const *v, const emb_v4d *tt, size_t d,
                                                             size_t ng, size_t g0, size_t G,
                                                             emb_v4d acc[SPLIT_ROWS][SPLIT_GROUPS]) {
    for (size_t r = 0; r < SPLIT_ROWS; r++)
        for (size_t g = 0; g < G; g++) acc[r][g] = (emb_v4d){0, 0, 0, 0};
    for (size_t k = 0; k < d; k++) {
        const emb_v4d *t = tt + k * ng + g0;
        for (size_t r = 0; r < SPLIT_ROWS; r++) {
            double vk = v[r][k];
            emb_v4d b = {vk, vk, vk, vk};
            for (size_t g = 0; g < G; g++) acc[r][g] += b * t[g];
        }
    }
}

/* Each word's share of the cosine between the text (its occurrences o, norm) and
 * each of nt targets, into contrib[t * nwords + word]. The targets are laid out as
 * doubles four to a vector, so one pass over a row's vector advances four dot
 * products at once; each is still summed in dimension order from exact products, and
 * each contrib gets its rows' shares in row order, so the result is the same as one
 * dot product at a time, whatever nt. */
__attribute__((target_clones("avx2", "default"))) static int split(const igc_embed_model *m, const occ *o, size_t n,
                                                                   const float *targets, size_t nt, float norm,
                                                                   float *contrib, size_t nwords) {
    memset(contrib, 0, nt * nwords * sizeof *contrib);
    if (norm <= 0 || !nt || !n) return 0;
    size_t d = (size_t)m->dim, ng = (nt + 3) / 4;
    /* tt[k * ng + g][l] = target (4g + l), dimension k; the last group padded with 0 */
    emb_v4d *tt = aligned_alloc(32, d * ng * sizeof *tt);
    size_t *gs = malloc((n + 1) * sizeof *gs); /* where each row's occurrences start in o */
    if (!tt || !gs) {
        free(tt), free(gs);
        return IGC_ENOMEM;
    }
    for (size_t k = 0; k < d; k++)
        for (size_t g = 0; g < ng; g++)
            for (size_t l = 0; l < 4; l++) tt[k * ng + g][l] = 4 * g + l < nt ? (double)targets[(4 * g + l) * d + k] : 0;
    size_t nr = 0;
    for (size_t i = 0; i < n; i++)
        if (!i || o[i].row != o[i - 1].row) gs[nr++] = i;
    gs[nr] = n;
    for (size_t r0 = 0; r0 < nr; r0 += SPLIT_ROWS) {
        size_t rn = nr - r0 < SPLIT_ROWS ? nr - r0 : SPLIT_ROWS;
        const float *v[SPLIT_ROWS];
        for (size_t r = 0; r < SPLIT_ROWS; r++) /* a short last block repeats its last row, unused */
            v[r] = m->w + (size_t)o[gs[r0 + (r < rn ? r : rn - 1)]].row * d;
        for (size_t g0 = 0; g0 < ng; g0 += SPLIT_GROUPS) {
            size_t G = ng - g0 < SPLIT_GROUPS ? ng - g0 : SPLIT_GROUPS;
            emb_v4d acc[SPLIT_ROWS][SPLIT_GROUPS];
            if (G == 1) split_dots(v, tt, d, ng, g0, 1, acc);
            else if (G == 2) split_dots(v, tt, d, ng, g0, 2, acc);
            else split_dots(v, tt, d, ng, g0, SPLIT_GROUPS, acc);
            size_t t1 = 4 * (g0 + G) < nt ? 4 * (g0 + G) : nt;
            for (size_t r = 0; r < rn; r++) {
                size_t i = gs[r0 + r], j = gs[r0 + r + 1];
                float c = (float)(j - i);
                float share = emb__tfidf((uint32_t)(j - i), m->idf[o[i].row]) / c;
                for (size_t t = 4 * g0; t < t1; t++) {
                    double dot = acc[r][t / 4 - g0][t % 4];
                    for (size_t w = i; w < j; w++)
                        if (o[w].word < nwords) contrib[t * nwords + o[w].word] += (float)(share * dot / norm);
                }
            }
        }
    }
    free(tt), free(gs);
    return 0;
}

static int encode_occ(const igc_embed_model *m, const igc_words *words, float *out, float *norm_out,
                      occ **o, size_t *n) {
    int rc = occurrences(m, words, o, n);
    if (rc) {
        memset(out, 0, (size_t)m->dim * sizeof *out);
        return rc;
    }
    float norm = sum_rows(m, *o, *n, out);
    *norm_out = norm;
    if (!(norm > 0)) {
        memset(out, 0, (size_t)m->dim * sizeof *out);
        *norm_out = 0;
        return IGC_ENOTFOUND;
    }
    for (int k = 0; k < m->dim; k++) out[k] /= norm;
    return 0;
}

int igc_embed_encode_words(const igc_embed_model *m, const igc_words *words, float *out, float *contrib) {
    if (!m || !words || !out) return IGC_EINVAL;
    occ *o;
    size_t n;
    float norm;
    int rc = encode_occ(m, words, out, &norm, &o, &n);
    if (contrib) {
        if (rc) memset(contrib, 0, words->n * sizeof *contrib);
        else if (split(m, o, n, out, 1, norm, contrib, words->n)) memset(contrib, 0, words->n * sizeof *contrib);
    }
    free(o);
    return rc;
}

int igc_embed_explain(const igc_embed_model *m, const igc_words *words, const float *targets, size_t ntargets,
                      float *contrib) {
    if (!m || !words || (!targets && ntargets) || (!contrib && ntargets)) return IGC_EINVAL;
    float *u = malloc((size_t)m->dim * sizeof *u);
    if (!u) return IGC_ENOMEM;
    occ *o;
    size_t n;
    float norm;
    /* the words are encoded once, whatever the number of targets */
    int rc = encode_occ(m, words, u, &norm, &o, &n);
    if (!rc) rc = split(m, o, n, targets, ntargets, norm, contrib, words->n);
    if (rc) memset(contrib, 0, ntargets * words->n * sizeof *contrib);
    free(o);
    free(u);
    return rc;
}

int igc_embed_encode(const igc_embed_model *m, const char *text, float *out) {
    if (!m || !out) return IGC_EINVAL;
    memset(out, 0, (size_t)m->dim * sizeof *out);
    if (!text) return IGC_ENOTFOUND;
    if (!igc_utf8_valid(text, strlen(text))) return IGC_EUTF8;
    igc_words w = {0};
    int rc = igc_text_words(text, &w);
    if (!rc) rc = igc_embed_encode_words(m, &w, out, NULL);
    igc_text_words_free(&w);
    return rc;
}

int emb__bag_of(const igc_embed_model *m, const char *text, emb__bag *bag) {
    memset(bag, 0, sizeof *bag);
    igc_words w = {0};
    int rc = igc_text_words(text, &w);
    occ *o = NULL;
    size_t n = 0;
    if (!rc) rc = occurrences(m, &w, &o, &n);
    igc_text_words_free(&w);
    if (rc) return rc;
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) distinct += !i || o[i].row != o[i - 1].row;
    if (distinct) {
        bag->row = malloc(distinct * sizeof *bag->row);
        bag->wt = malloc(distinct * sizeof *bag->wt);
        if (!bag->row || !bag->wt) {
            free(o);
            emb__bag_free(bag);
            return IGC_ENOMEM;
        }
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && o[j].row == o[i].row) j++;
        bag->row[bag->n] = o[i].row;
        bag->wt[bag->n++] = emb__tfidf((uint32_t)(j - i), m->idf[o[i].row]);
        i = j;
    }
    free(o);
    return 0;
}

void emb__bag_free(emb__bag *bag) {
    free(bag->row);
    free(bag->wt);
    memset(bag, 0, sizeof *bag);
}

int igc_embed_item_text(const char *name, const char *definition, igc_buf *out) {
    int rc = igc_buf_puts(out, name ? name : "");
    if (!rc && definition && *definition) {
        rc = igc_buf_puts(out, "\n");
        if (!rc) rc = igc_buf_puts(out, definition);
    }
    return rc;
}

/* ---- the generic encoder ---- */

static int enc_encode(const igc_encoder *e, const char *text, float *out) {
    return igc_embed_encode(e->impl, text, out);
}
static int enc_words(const igc_encoder *e, const igc_words *w, float *out, float *contrib) {
    return igc_embed_encode_words(e->impl, w, out, contrib);
}
static int enc_explain(const igc_encoder *e, const igc_words *w, const float *targets, size_t ntargets,
                       float *contrib) {
    return igc_embed_explain(e->impl, w, targets, ntargets, contrib);
}
static void enc_destroy(igc_encoder *e) {
    igc_embed_free(e->impl);
    free(e);
}

int igc_embed_encoder(igc_embed_model *m, igc_encoder **out) {
    if (!out) return IGC_EINVAL;
    *out = NULL;
    if (!m) return IGC_EINVAL;
    igc_encoder *e = calloc(1, sizeof *e);
    if (!e) return IGC_ENOMEM;
    *e = (igc_encoder){"subword", m->dim, m->version, m, enc_encode, enc_words, enc_explain, enc_destroy};
    *out = e;
    return 0;
}

int igc_embed_encoder_open(const char *path, igc_encoder **out) {
    if (!out) return IGC_EINVAL;
    *out = NULL;
    igc_embed_model *m;
    int rc = igc_embed_load(path, &m);
    if (rc) return rc;
    rc = igc_embed_encoder(m, out);
    if (rc) igc_embed_free(m);
    return rc;
}
