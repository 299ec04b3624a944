#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "igc_base.h"
#include "igc_engine.h"
#include "igc_index.h"
#include "dots.h"
#include "lexical.h"

const char *const igc_engine_signal_names[IGC_SIG_N] = {"lexical", "dense", "knn", "ksic_prior", "lexicon", "cases"};
const char *const igc_engine_feature_names[IGC_FT_N] = {
    "lexical",    "lexical_name",     "dense",    "knn",          "knn_lexical", "knn_field", "proto_dense",
    "proto_lexical", "ksic_prior",    "ksic_field_prior", "term", "term_ksic",   "case_knn",  "case_lexical",
    "case_proto"};
const int igc_engine_feature_signal[IGC_FT_N] = {
    IGC_SIG_LEXICAL, IGC_SIG_LEXICAL, IGC_SIG_DENSE,   IGC_SIG_KNN,     IGC_SIG_KNN,   IGC_SIG_KNN,   IGC_SIG_KNN,
    IGC_SIG_KNN,     IGC_SIG_PRIOR,   IGC_SIG_PRIOR,   IGC_SIG_LEXICON, IGC_SIG_LEXICON, IGC_SIG_CASES, IGC_SIG_CASES,
    IGC_SIG_CASES};
const char *const igc_engine_na_names[IGC_NA_N] = {"knn",  "knn_lexical", "ksic_prior", "lexical", "dense",
                                                   "top",  "text",        "term",       "cue",     "case"};

/* Weight of each input field in the query: products and the technology name say
 * most; the KSIC name only says where to look. */
enum { F_KSIC_NAME, F_MAIN_PRODUCT, F_PRODUCT_USE, F_TECH_NAME, F_NFIELDS };
static const float field_weight[F_NFIELDS] = {0.5f, 1.0f, 0.8f, 1.0f};
/* Whole words are stronger evidence than the syllable n-grams they contain. */
static float kind_weight(int kind) { return kind == IGC_FEAT_WORD ? 1.0f : kind == IGC_FEAT_TRI ? 0.7f : 0.4f; }

#define NGROUPS 1000 /* 3-digit KSIC groups */
#define NDIVS 100    /* 2-digit KSIC divisions */
#define NA_BUCKETS (1u << 16) /* hashed feature space of the applicability text classifier */
#define MAX_SENT 64  /* item sentences kept for 분류근거 */

typedef struct {
    char *key, *company, *text;
    int label[3];      /* item index or -1 */
    char *none_reason; /* NULL when labelled */
    int group;         /* 3-digit KSIC group or -1 */
    uint64_t *feats;   /* sorted unique feature ids, for keyword overlap */
    size_t nfeats;
    float *vec;        /* sentence vector (encoder present) */
    float vote_w;      /* weight of its vote as a neighbour, from the examiner's confidence */
    uint64_t owner;    /* the company's opaque key (igc_engine_input.owner), 0 when unknown */
    size_t own_prev;   /* the company's exemplar before this one, SIZE_MAX for none */
    int off;           /* removed (igc_engine_remove_exemplar): counts nowhere */
} exemplar;

typedef struct {
    char **sent;
    uint64_t **sfeat; /* sorted word/trigram features of each sentence */
    uint32_t **spos;  /* beside each feature: its word's byte offset << 2, | SPOS_WHOLE when it
                       * is the whole word, | SPOS_GENERIC when the word is generic (stop word,
                       * single syllable): where 분류근거 quotes from */
    size_t *nsfeat;
    size_t nsent;
} item_text;

enum { SPOS_WHOLE = 1, SPOS_GENERIC = 2 };

/* Open-addressed set of key hashes (0 = empty slot): unique keys without a scan. */
typedef struct {
    uint64_t *slot;
    size_t cap, n;
} key_set;

/* Open-addressed map of nonzero 64-bit keys to indices (key 0 = empty slot): what a
 * request looks up among the exemplars without a scan. */
typedef struct {
    uint64_t *key;
    size_t *val;
    size_t cap, n;
} idx_map;

struct igc_engine {
    int refs;
    igc_taxonomy *tx;
    const igc_ksic *ksic;
    const igc_encoder *enc; /* borrowed */
    int has_enc;
    igc_engine_params p;
    char factory[64];
    lex_index *items_lex;
    lex_index *names_lex;   /* item names only */
    item_text *itext;
    float *item_vecs;       /* [nvec][dim] vectors of item sentences, searched exactly */
    double item_vec_maxnorm; /* the largest norm among them (a bound on rounding) */
    size_t *item_vec0;      /* [nitems + 1]: an item's vectors are item_vec0[i] .. item_vec0[i+1]-1 */
    size_t nvec;
    exemplar *ex;
    size_t nex, excap;
    size_t noff;            /* exemplars removed (still in ex[], flagged off) */
    idx_map exidx;          /* key hash -> exemplar index */
    idx_map owners;         /* owner -> the company's latest exemplar (then own_prev) */
    lex_index *ex_lex;      /* doc i = ex[i]; classes: its labels, with label_weight */
    igc_index *ex_vidx;
    float *cnt3;            /* [NGROUPS][nitems+1], last column = none */
    float *cnt2;            /* [NDIVS][nitems+1], 2-digit divisions */
    float *cnt_item;        /* [nitems+1] */
    unsigned *firms3;       /* [NGROUPS][nitems]: past judgments of the group carrying the item (any rank) */
    unsigned *nfirms3;      /* [NGROUPS]: past judgments of the group */
    unsigned *nlabel;       /* [nitems+1]: exemplars carrying the item (any rank); last = none */
    float *natxt;           /* [NA_BUCKETS + 1]: text classifier weights, last = bias */
    unsigned long gen;      /* changes of the exemplars (add, remove): a prepared refit is for one */
    float *isum;            /* [nitems][dim]: label-weighted sum of exemplar vectors */
    float *iw;              /* [nitems]: label weight of exemplars per item */
    float total;
    /* the case dictionary: apart from past judgments, scored exactly (a few thousand) */
    exemplar *cs;
    size_t ncs, cscap;
    key_set cskeys;         /* keys of the cases */
    lex_index *cs_lex;
    float *cs_vecs;         /* [cscap][dim] */
    float *csum;            /* [nitems][dim]: sum of the vectors of each item's cases */
    float *cw;              /* [nitems]: cases per item */
    /* the index-term dictionary, swapped whole under the lock while others classify */
    igc_lexicon *lx;
    pthread_mutex_t lx_mu;
    char version[256];
};

/* ---------------- parameters ---------------- */

void igc_engine_params_default(igc_engine_params *p) {
    memset(p, 0, sizeof *p);
    /* Reasonable before fitting; `igc tune` replaces them. */
    static const double wf[IGC_FT_N] = {4, 1, 4, 3, 3, 1, 1, 1, 0.5, 0.5, 1.5, 0.5, 1, 1, 1};
    memcpy(p->wf, wf, sizeof wf);
    for (int i = 0; i < IGC_SIG_N; i++) p->use[i] = 1;
    p->na_bias = 0.5;
    p->na_w[IGC_NA_KNN] = -1.5;
    p->na_w[IGC_NA_KNN_LEX] = -1.5;
    p->na_w[IGC_NA_PRIOR] = -2.5;
    p->na_w[IGC_NA_LEX] = 0.3;
    p->na_w[IGC_NA_DENSE] = 1.0;
    p->na_w[IGC_NA_TERM] = 0.3;
    p->na_w[IGC_NA_CUE] = -0.5;
    p->apply_threshold = 0.5;
    p->review_min_score = 0.35;
    p->review_margin = 0.1;
    p->knn_k = 10;
    p->prior_alpha = 3.0;
}

static const struct {
    const char *name;
    size_t off;
} param_fields[] = {
    {"w_lexical", offsetof(igc_engine_params, wf[IGC_FT_LEX])},
    {"w_lexical_name", offsetof(igc_engine_params, wf[IGC_FT_LEX_NAME])},
    {"w_dense", offsetof(igc_engine_params, wf[IGC_FT_DENSE])},
    {"w_knn", offsetof(igc_engine_params, wf[IGC_FT_KNN])},
    {"w_knn_lexical", offsetof(igc_engine_params, wf[IGC_FT_KNN_LEX])},
    {"w_knn_field", offsetof(igc_engine_params, wf[IGC_FT_KNN_FIELD])},
    {"w_proto_dense", offsetof(igc_engine_params, wf[IGC_FT_PROTO_DENSE])},
    {"w_proto_lexical", offsetof(igc_engine_params, wf[IGC_FT_PROTO_LEX])},
    {"w_ksic_prior", offsetof(igc_engine_params, wf[IGC_FT_PRIOR])},
    {"w_ksic_field_prior", offsetof(igc_engine_params, wf[IGC_FT_FIELD_PRIOR])},
    {"w_term", offsetof(igc_engine_params, wf[IGC_FT_TERM])},
    {"w_term_ksic", offsetof(igc_engine_params, wf[IGC_FT_TERM_KSIC])},
    {"w_case_knn", offsetof(igc_engine_params, wf[IGC_FT_CASE_KNN])},
    {"w_case_lexical", offsetof(igc_engine_params, wf[IGC_FT_CASE_LEX])},
    {"w_case_proto", offsetof(igc_engine_params, wf[IGC_FT_CASE_PROTO])},
    {"na_bias", offsetof(igc_engine_params, na_bias)},
    {"na_w_knn", offsetof(igc_engine_params, na_w[IGC_NA_KNN])},
    {"na_w_knn_lexical", offsetof(igc_engine_params, na_w[IGC_NA_KNN_LEX])},
    {"na_w_prior", offsetof(igc_engine_params, na_w[IGC_NA_PRIOR])},
    {"na_w_lex", offsetof(igc_engine_params, na_w[IGC_NA_LEX])},
    {"na_w_dense", offsetof(igc_engine_params, na_w[IGC_NA_DENSE])},
    {"na_w_top", offsetof(igc_engine_params, na_w[IGC_NA_TOP])},
    {"na_w_text", offsetof(igc_engine_params, na_w[IGC_NA_TEXT])},
    {"na_w_term", offsetof(igc_engine_params, na_w[IGC_NA_TERM])},
    {"na_w_cue", offsetof(igc_engine_params, na_w[IGC_NA_CUE])},
    {"na_w_case", offsetof(igc_engine_params, na_w[IGC_NA_CASE])},
    {"apply_threshold", offsetof(igc_engine_params, apply_threshold)},
    {"review_min_score", offsetof(igc_engine_params, review_min_score)},
    {"review_margin", offsetof(igc_engine_params, review_margin)},
    {"prior_alpha", offsetof(igc_engine_params, prior_alpha)},
};

int igc_engine_params_load(const char *path, igc_engine_params *p) {
    char *txt;
    size_t len;
    int rc = igc_read_file(path, &txt, &len);
    if (rc) return rc;
    cJSON *o = cJSON_ParseWithLengthOpts(txt, len + 1, NULL, 1);
    free(txt);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return IGC_EPARSE;
    }
    for (size_t i = 0; i < sizeof param_fields / sizeof param_fields[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, param_fields[i].name);
        if (cJSON_IsNumber(v)) *(double *)((char *)p + param_fields[i].off) = v->valuedouble;
    }
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(o, "model");
    if (cJSON_IsString(mv)) snprintf(p->model, sizeof p->model, "%s", mv->valuestring);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "knn_k");
    if (cJSON_IsNumber(k) && k->valueint > 0 && k->valueint <= 100) p->knn_k = k->valueint;
    cJSON_Delete(o);
    return 0;
}

int igc_engine_params_save(const char *path, const igc_engine_params *p) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return IGC_ENOMEM;
    for (size_t i = 0; i < sizeof param_fields / sizeof param_fields[0]; i++) {
        /* 17 significant digits read back to the same double; cJSON's own printing
         * stops at 15 when its check with a tolerance passes, which loses bits */
        double v = *(const double *)((const char *)p + param_fields[i].off);
        char num[40];
        snprintf(num, sizeof num, "%.17g", isfinite(v) ? v : 0.0);
        cJSON_AddRawToObject(o, param_fields[i].name, num);
    }
    cJSON_AddNumberToObject(o, "knn_k", p->knn_k);
    cJSON_AddStringToObject(o, "model", p->model);
    char *txt = cJSON_Print(o);
    cJSON_Delete(o);
    if (!txt) return IGC_ENOMEM;
    int rc = igc_write_file_atomic(path, txt, strlen(txt));
    free(txt);
    return rc;
}

/* ---------------- helpers ---------------- */

static void exemplar_clear(exemplar *x) {
    free(x->key), free(x->company), free(x->text), free(x->none_reason), free(x->feats), free(x->vec);
    memset(x, 0, sizeof *x);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int has_feat(const uint64_t *ids, size_t n, uint64_t id) {
    return bsearch(&id, ids, n, sizeof *ids, cmp_u64) != NULL;
}

/* Words of the input's fields, with the field each word came from. */
typedef struct {
    igc_words w;
    int *field;      /* per word */
    igc_feats f;
    float *fw;       /* per feature: field weight x kind weight */
} query;

static int query_build(const igc_engine_input *in, query *q) {
    memset(q, 0, sizeof *q);
    const char *fields[F_NFIELDS] = {in->ksic_name, in->main_product, in->product_use, in->tech_business_name};
    size_t cap = 0;
    for (int fi = 0; fi < F_NFIELDS; fi++) {
        size_t before = q->w.n;
        if (fields[fi] && igc_text_words(fields[fi], &q->w)) return IGC_ENOMEM;
        if (q->w.n > cap) {
            cap = q->w.n + 16;
            int *nf = realloc(q->field, cap * sizeof *nf);
            if (!nf) return IGC_ENOMEM;
            q->field = nf;
        }
        for (size_t i = before; i < q->w.n; i++) q->field[i] = fi;
    }
    if (igc_text_features(&q->w, 0, &q->f)) return IGC_ENOMEM;
    q->fw = malloc((q->f.n + 1) * sizeof *q->fw);
    if (!q->fw) return IGC_ENOMEM;
    for (size_t i = 0; i < q->f.n; i++)
        q->fw[i] = field_weight[q->field[q->f.f[i].word]] * kind_weight(q->f.f[i].kind);
    return 0;
}

static void query_free(query *q) {
    igc_text_words_free(&q->w);
    igc_text_feats_free(&q->f);
    free(q->field);
    free(q->fw);
}

/* 3-digit group of a KSIC code, prefix or "739;7390"-style list; -1 if none. */
static int ksic_group(const igc_ksic *ks, const char *code, igc_ksic_match *m) {
    igc_ksic_match tmp;
    if (!m) m = &tmp;
    memset(m, 0, sizeof *m);
    if (!code || !*code) return -1;
    char c[8];
    size_t n = 0;
    while (code[n] && code[n] != ';' && n < sizeof c - 1) c[n] = code[n], n++;
    c[n] = '\0';
    if (ks && igc_ksic_resolve(ks, c, 1, m) == 0 && m->level >= 3)
        return (m->code[0] - '0') * 100 + (m->code[1] - '0') * 10 + (m->code[2] - '0');
    if (n >= 3 && isdigit((unsigned char)c[0]) && isdigit((unsigned char)c[1]) && isdigit((unsigned char)c[2]))
        return (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
    return -1;
}

static int item_index(const igc_engine *e, const char *code) {
    const igc_tx_item *it = code && *code ? igc_taxonomy_item(e->tx, code) : NULL;
    return it ? (int)(it - e->tx->items) : -1;
}

/* A word that says nothing of a product on its own: a generic word (제조, 시스템) or a
 * single Hangul syllable. No keyword, no reason to quote, no evidence of a known word. */
static int generic_word(const igc_word *w) {
    return igc_text_is_stopword(w->norm) || (w->hangul && igc_utf8_len(w->norm) < 2);
}

typedef struct {
    uint64_t id;
    uint32_t pos;
} sfeat_pos;

/* By feature, then by position: a stable order for equal features. */
static int cmp_sfeat_pos(const void *a, const void *b) {
    const sfeat_pos *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Splits item text into sentences for 분류근거: definition lines and example phrases. */
static int split_sentences(const char *text, const char *seps, item_text *t) {
    if (!text) return 0;
    const char *p = text;
    while (*p && t->nsent < MAX_SENT) {
        size_t n = strcspn(p, seps);
        char *s = malloc(n + 1);
        if (!s) return IGC_ENOMEM;
        memcpy(s, p, n);
        s[n] = '\0';
        igc_trim(s);
        if (strncmp(s, "(예시)", strlen("(예시)")) == 0) memmove(s, s + strlen("(예시)"), strlen(s) - strlen("(예시)") + 1), igc_trim(s);
        if (igc_utf8_len(s) >= 2) {
            char **ns = realloc(t->sent, (t->nsent + 1) * sizeof *ns);
            uint64_t **nf = ns ? realloc(t->sfeat, (t->nsent + 1) * sizeof *nf) : NULL;
            uint32_t **np = nf ? realloc(t->spos, (t->nsent + 1) * sizeof *np) : NULL;
            size_t *nn = np ? realloc(t->nsfeat, (t->nsent + 1) * sizeof *nn) : NULL;
            if (ns) t->sent = ns;
            if (nf) t->sfeat = nf;
            if (np) t->spos = np;
            if (nn) t->nsfeat = nn;
            igc_words ws = {0};
            igc_feats f = {0};
            sfeat_pos *fp = NULL;
            uint64_t *ids = NULL;
            uint32_t *pos = NULL;
            if (nn && !igc_text_words(s, &ws) && !igc_text_features(&ws, 0, &f) &&
                (fp = malloc((f.n + 1) * sizeof *fp)) && (ids = malloc((f.n + 1) * sizeof *ids)) &&
                (pos = malloc((f.n + 1) * sizeof *pos))) {
                size_t u = 0;
                for (size_t i = 0; i < f.n; i++) {
                    if (f.f[i].kind == IGC_FEAT_BI) continue;
                    const igc_word *w = &ws.w[f.f[i].word];
                    uint32_t flags = (f.f[i].kind == IGC_FEAT_WORD ? SPOS_WHOLE : 0) | (generic_word(w) ? SPOS_GENERIC : 0);
                    fp[u++] = (sfeat_pos){f.f[i].id, (uint32_t)w->start << 2 | flags};
                }
                qsort(fp, u, sizeof *fp, cmp_sfeat_pos);
                for (size_t i = 0; i < u; i++) ids[i] = fp[i].id, pos[i] = fp[i].pos;
                t->sent[t->nsent] = s;
                t->sfeat[t->nsent] = ids;
                t->spos[t->nsent] = pos;
                t->nsfeat[t->nsent] = u;
                t->nsent++;
                free(fp);
                igc_text_feats_free(&f);
                igc_text_words_free(&ws);
            } else {
                free(fp), free(ids), free(pos);
                igc_text_feats_free(&f);
                igc_text_words_free(&ws);
                free(s);
                return IGC_ENOMEM;
            }
        } else {
            free(s);
        }
        p += n;
        if (*p) p++;
    }
    return 0;
}

static int encode(const igc_engine *e, const igc_words *w, float *out, float *contrib) {
    if (!e->has_enc || !w->n) return IGC_ENOTFOUND;
    return igc_encoder_encode_words(e->enc, w, out, contrib);
}

/* ---------------- construction ---------------- */

/* A vector's Euclidean norm, rounded up a little (a bound for the rounding of dot products). */
static double norm_above(const float *v, size_t d) {
    double s = 0;
    for (size_t k = 0; k < d; k++) s += (double)v[k] * v[k];
    return sqrt(s) * (1 + 1e-6);
}

/* The item sentences' vectors, encoded on every core (the engine is only read). */
typedef struct {
    const igc_engine *e;
    char **text;
    float *vecs; /* n x dim */
    int *rc;     /* 0, IGC_ENOTFOUND (no vector: no word, or none the encoder knows) or an error */
} item_enc;

static void item_enc_one(void *arg, size_t i) {
    item_enc *j = arg;
    igc_words w = {0};
    int rc = igc_text_words(j->text[i], &w);
    if (!rc) rc = w.n ? encode(j->e, &w, j->vecs + i * (size_t)j->e->enc->dim, NULL) : IGC_ENOTFOUND;
    igc_text_words_free(&w);
    j->rc[i] = rc;
}

/* Several vectors per item: its name, name + definition, each example sentence
 * (item_vec0 says where an item's start), in item order. */
static int item_vectors(igc_engine *e) {
    const igc_taxonomy *t = e->tx;
    size_t n = 0, d = (size_t)e->enc->dim;
    for (size_t i = 0; i < t->nitems; i++) n += 2 + e->itext[i].nsent;
    item_enc j = {e, calloc(n, sizeof *j.text), malloc(n * d * sizeof *j.vecs), calloc(n, sizeof *j.rc)};
    size_t *first = calloc(t->nitems + 1, sizeof *first);
    int rc = j.text && j.vecs && j.rc && first ? 0 : IGC_ENOMEM;
    for (size_t i = 0, k = 0; !rc && i < t->nitems; i++) {
        const igc_tx_item *it = &t->items[i];
        first[i] = k;
        igc_buf b = {0};
        if (!(j.text[k++] = igc_strdup(it->name)) || igc_buf_printf(&b, "%s %s", it->name, it->definition)) rc = IGC_ENOMEM;
        j.text[k++] = b.data ? b.data : igc_strdup("");
        for (size_t s = 0; s < e->itext[i].nsent; s++) j.text[k++] = igc_strdup(e->itext[i].sent[s]);
        for (size_t x = first[i]; x < k; x++)
            if (!j.text[x]) rc = IGC_ENOMEM;
        first[i + 1] = k;
    }
    if (!rc) igc_par_for(n, igc_par_threads(), item_enc_one, &j);
    /* then in order, as each item's were appended one by one */
    if (!rc && !(e->item_vecs = malloc((n ? n : 1) * d * sizeof *e->item_vecs))) rc = IGC_ENOMEM;
    for (size_t i = 0; !rc && i < t->nitems; i++) {
        e->item_vec0[i] = e->nvec;
        for (size_t x = first[i]; !rc && x < first[i + 1]; x++) {
            if (j.rc[x] == IGC_ENOTFOUND) continue;
            if ((rc = j.rc[x])) break;
            const float *v = j.vecs + x * d;
            double n2 = norm_above(v, d);
            if (n2 > e->item_vec_maxnorm) e->item_vec_maxnorm = n2;
            memcpy(e->item_vecs + e->nvec++ * d, v, d * sizeof *v);
        }
    }
    for (size_t x = 0; j.text && x < n; x++) free(j.text[x]);
    free(j.text), free(j.vecs), free(j.rc), free(first);
    return rc;
}

static int build_items(igc_engine *e) {
    const igc_taxonomy *t = e->tx;
    int rc = lex_new(1.2, 0.5, &e->items_lex);
    if (!rc) rc = lex_new(1.2, 0.3, &e->names_lex);
    if (rc) return rc;
    if (!(e->itext = calloc(t->nitems, sizeof *e->itext)) ||
        !(e->item_vec0 = calloc(t->nitems + 1, sizeof *e->item_vec0)))
        return IGC_ENOMEM;
    for (size_t i = 0; i < t->nitems; i++) {
        const igc_tx_item *it = &t->items[i];
        /* The name is repeated in weight: it is the most specific text of an item. */
        const char *parts[4] = {it->name, it->definition, it->examples, it->notes};
        const float pw[4] = {3.0f, 1.0f, 1.5f, 0.5f};
        igc_words w = {0};
        igc_feats f = {0};
        float *fw = NULL;
        size_t cap = 0;
        for (int k = 0; k < 4 && !rc; k++) {
            size_t w0 = w.n, f0 = f.n;
            if ((rc = igc_text_words(parts[k], &w)) || (rc = igc_text_features(&w, w0, &f))) break;
            if (f.n > cap) {
                cap = f.n;
                float *n = realloc(fw, cap * sizeof *n);
                if (!n) { rc = IGC_ENOMEM; break; }
                fw = n;
            }
            for (size_t j = f0; j < f.n; j++) fw[j] = pw[k] * kind_weight(f.f[j].kind);
        }
        if (!rc) rc = lex_add(e->items_lex, &f, fw, NULL);
        if (!rc) {
            igc_feats nf = {0};
            rc = igc_text_features_of(it->name, &nf);
            if (!rc) rc = lex_add(e->names_lex, &nf, NULL, NULL);
            igc_text_feats_free(&nf);
        }
        free(fw);
        igc_text_words_free(&w);
        igc_text_feats_free(&f);
        if (!rc) rc = split_sentences(it->definition, "\n", &e->itext[i]);
        if (!rc) rc = split_sentences(it->examples, ",\n", &e->itext[i]);
        if (rc) return rc;
    }
    if (e->has_enc && (rc = item_vectors(e))) return rc;
    lex_finish(e->items_lex);
    lex_finish(e->names_lex);
    e->item_vec0[t->nitems] = e->nvec;
    return 0;
}

int igc_engine_new(igc_taxonomy *tx, const igc_ksic *ksic, const igc_encoder *enc,
                   const igc_engine_params *p, const char *index_factory, const char *index_params,
                   igc_engine **out) {
    *out = NULL;
    if (!tx) return IGC_EINVAL;
    igc_engine *e = calloc(1, sizeof *e);
    if (!e) return IGC_ENOMEM;
    e->refs = 1;
    e->tx = igc_taxonomy_ref(tx);
    e->ksic = ksic;
    if (p) e->p = *p;
    else igc_engine_params_default(&e->p);
    if (e->p.knn_k < 1 || e->p.knn_k > 100) {
        igc_taxonomy_unref(e->tx);
        free(e);
        return IGC_EINVAL;
    }
    snprintf(e->factory, sizeof e->factory, "%s", index_factory && *index_factory ? index_factory : "Flat");
    int rc = 0;
    if (enc && enc->encode_words && enc->dim > 0) {
        e->enc = enc;
        e->has_enc = 1;
        /* Past judgments grow without bound: a FAISS index. Item sentences are a
         * few thousand: one exact matrix-vector product scores them all. */
        /* re-clustering as the judgments grow is built aside by the refit, not in a save */
        igc_index_opts io = {e->factory, -1, index_params, 1};
        rc = igc_index_new(enc->dim, &io, &e->ex_vidx);
    }
    if (!rc) rc = build_items(e);
    if (!rc) rc = lex_new(1.2, 0.75, &e->ex_lex);
    if (!rc) rc = lex_set_nclass(e->ex_lex, tx->nitems); /* for the prototype sums */
    /* b = 0: the cases' scores have never been normalised for length (they used to be
     * added after the statistics were taken, every case at the average norm), and the
     * answers stay as they were now that igc_engine_cases_finish takes statistics */
    if (!rc) rc = lex_new(1.2, 0.0, &e->cs_lex);
    pthread_mutex_init(&e->lx_mu, NULL);
    size_t ni = tx->nitems + 1;
    if (!rc && (!(e->cnt3 = calloc(NGROUPS * ni, sizeof *e->cnt3)) || !(e->cnt2 = calloc(NDIVS * ni, sizeof *e->cnt2)) ||
                !(e->cnt_item = calloc(ni, sizeof *e->cnt_item)) || !(e->iw = calloc(ni, sizeof *e->iw)) ||
                !(e->nlabel = calloc(ni, sizeof *e->nlabel)) ||
                !(e->natxt = calloc(NA_BUCKETS + 1, sizeof *e->natxt)) ||
                !(e->cw = calloc(ni, sizeof *e->cw)) ||
                !(e->firms3 = calloc(NGROUPS * ni, sizeof *e->firms3)) ||
                !(e->nfirms3 = calloc(NGROUPS, sizeof *e->nfirms3)) ||
                (e->has_enc && !(e->isum = calloc(ni * (size_t)enc->dim, sizeof *e->isum))) ||
                (e->has_enc && !(e->csum = calloc(ni * (size_t)enc->dim, sizeof *e->csum)))))
        rc = IGC_ENOMEM;
    if (rc) {
        igc_engine_unref(e);
        return rc;
    }
    lex_finish(e->ex_lex);
    lex_finish(e->cs_lex);
    snprintf(e->version, sizeof e->version, "igc-engine/2 lexical%s+knn+ksic_prior+lexicon+cases%s%s%s", e->has_enc ? "+dense" : "",
             e->has_enc ? " [" : "", e->has_enc ? e->enc->version : "", e->has_enc ? "]" : "");
    *out = e;
    return 0;
}

igc_engine *igc_engine_ref(igc_engine *e) {
    if (e) __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
    return e;
}

void igc_engine_unref(igc_engine *e) {
    if (!e || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    lex_free(e->items_lex);
    lex_free(e->names_lex);
    lex_free(e->ex_lex);
    free(e->item_vecs);
    free(e->item_vec0);
    igc_index_free(e->ex_vidx);
    if (e->itext) {
        for (size_t i = 0; i < e->tx->nitems; i++) {
            for (size_t s = 0; s < e->itext[i].nsent; s++)
                free(e->itext[i].sent[s]), free(e->itext[i].sfeat[s]), free(e->itext[i].spos[s]);
            free(e->itext[i].sent);
            free(e->itext[i].sfeat);
            free(e->itext[i].spos);
            free(e->itext[i].nsfeat);
        }
        free(e->itext);
    }
    for (size_t i = 0; i < e->nex; i++) exemplar_clear(&e->ex[i]);
    free(e->ex);
    for (size_t i = 0; i < e->ncs; i++) exemplar_clear(&e->cs[i]);
    free(e->cs);
    lex_free(e->cs_lex);
    free(e->cs_vecs);
    free(e->csum);
    free(e->cw);
    igc_lexicon_unref(e->lx);
    pthread_mutex_destroy(&e->lx_mu);
    free(e->cskeys.slot);
    free(e->exidx.key), free(e->exidx.val);
    free(e->owners.key), free(e->owners.val);
    free(e->cnt3);
    free(e->cnt2);
    free(e->firms3);
    free(e->nfirms3);
    free(e->isum);
    free(e->iw);
    free(e->nlabel);
    free(e->natxt);
    free(e->cnt_item);
    igc_taxonomy_unref(e->tx);
    free(e);
}

static uint64_t key_hash(const char *key) { return igc_hash64(key, strlen(key), 7) | 1; }

/* Slot of hash h in the key set: where it is, or the empty slot where it would go. */
static size_t key_slot(const key_set *ks, uint64_t h) {
    size_t j = (size_t)h & (ks->cap - 1);
    while (ks->slot[j] && ks->slot[j] != h) j = (j + 1) & (ks->cap - 1);
    return j;
}

static size_t idx_slot(const idx_map *m, uint64_t k) {
    size_t j = (size_t)(k * 0x9E3779B97F4A7C15ULL) & (m->cap - 1);
    while (m->key[j] && m->key[j] != k) j = (j + 1) & (m->cap - 1);
    return j;
}

/* The index stored for k (not 0), SIZE_MAX when none. */
static size_t idx_get(const idx_map *m, uint64_t k) {
    if (!m->cap) return SIZE_MAX;
    size_t j = idx_slot(m, k);
    return m->key[j] ? m->val[j] : SIZE_MAX;
}

/* Stores v for k (not 0), replacing what was there. IGC_ENOMEM when out of memory. */
static int idx_put(idx_map *m, uint64_t k, size_t v) {
    if (m->cap < 2 * (m->n + 1)) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint64_t *nk = calloc(cap, sizeof *nk);
        size_t *nv = malloc(cap * sizeof *nv);
        if (!nk || !nv) {
            free(nk), free(nv);
            return IGC_ENOMEM;
        }
        idx_map g = {nk, nv, cap, 0};
        for (size_t i = 0; i < m->cap; i++)
            if (m->key[i]) {
                size_t j = idx_slot(&g, m->key[i]);
                nk[j] = m->key[i], nv[j] = m->val[i];
            }
        free(m->key), free(m->val);
        m->key = nk, m->val = nv, m->cap = cap;
    }
    size_t j = idx_slot(m, k);
    if (!m->key[j]) m->key[j] = k, m->n++;
    m->val[j] = v;
    return 0;
}

/* 1 when the key is in the set; with insert, adds it when it is not. -1 when out of memory. */
static int key_seen(key_set *ks, const char *key, int insert) {
    if (ks->cap < 2 * (ks->n + 1)) {
        size_t cap = ks->cap ? ks->cap * 2 : 1024;
        uint64_t *sl = calloc(cap, sizeof *sl);
        if (!sl) return -1;
        for (size_t i = 0; i < ks->cap; i++) {
            if (!ks->slot[i]) continue;
            size_t j = (size_t)ks->slot[i] & (cap - 1);
            while (sl[j]) j = (j + 1) & (cap - 1);
            sl[j] = ks->slot[i];
        }
        free(ks->slot);
        ks->slot = sl;
        ks->cap = cap;
    }
    uint64_t h = key_hash(key);
    size_t j = key_slot(ks, h);
    if (ks->slot[j]) return 1;
    if (insert) ks->slot[j] = h, ks->n++;
    return 0;
}

/* A judgment its examiner marked uncertain is a weaker precedent. The weights are
 * set a priori, not fitted: 700 past judgments are too few to fit them reliably. */
static float confidence_weight(const char *c) {
    if (c && strcmp(c, "medium") == 0) return 0.7f;
    if (c && strcmp(c, "low") == 0) return 0.4f;
    return 1.0f;
}

/* What exemplar_build needs of x that reads the engine only: its text's words and
 * features (q) and its sentence vector (vec, NULL without an encoder). Made ahead
 * on several threads when many are added together (add_many). */
typedef struct {
    query q;
    float *vec;
    int rc; /* query_build's, or the encoder's error */
} exemplar_prep;

static void exemplar_prepare(const igc_engine *e, const igc_exemplar *x, exemplar_prep *p) {
    memset(p, 0, sizeof *p);
    p->rc = query_build(&x->in, &p->q);
    if (p->rc || !p->q.f.n || !e->has_enc) return;
    if (!(p->vec = calloc((size_t)e->enc->dim, sizeof *p->vec))) {
        p->rc = IGC_ENOMEM;
        return;
    }
    /* A text with no known feature still gets a (zero) vector so ids stay aligned. */
    int erc = encode(e, &p->q.w, p->vec, NULL);
    if (erc && erc != IGC_ENOTFOUND) p->rc = erc;
}

static void exemplar_prep_free(exemplar_prep *p) {
    query_free(&p->q);
    free(p->vec);
    memset(p, 0, sizeof *p);
}

/* Fills ex from x: labels resolved in this taxonomy, features, the document in the
 * BM25 index lx, and the sentence vector (into ex->vec) when there is an encoder;
 * pre, when given, holds x's prepared text (taken once its labels are good; the caller frees
 * what is left). *nl gets the number of labels. On error nothing is kept but lx's document. */
static int exemplar_build(igc_engine *e, const igc_exemplar *x, lex_index *lx, exemplar *ex, int *nl_out,
                          exemplar_prep *pre) {
    int lab[3] = {-1, -1, -1}, nl = 0;
    for (int k = 0; k < 3; k++) {
        int li = item_index(e, x->labels[k]);
        /* an item named twice is one label */
        if (li >= 0 && li != lab[0] && li != lab[1]) lab[nl++] = li;
    }
    int is_none = x->none_reason && *x->none_reason;
    if (!nl && !is_none) return IGC_ENOTFOUND;
    if (nl) is_none = 0;
    exemplar_prep own;
    if (!pre) exemplar_prepare(e, x, pre = &own);
    query q = pre->q;
    float *vec = pre->vec;
    int rc = pre->rc ? pre->rc : pre->q.f.n ? 0 : IGC_EINVAL; /* no feature: nothing to find it by */
    memset(pre, 0, sizeof *pre); /* taken */
    if (rc) {
        query_free(&q);
        free(vec);
        return rc;
    }
    memset(ex, 0, sizeof *ex);
    ex->key = igc_strdup(x->key ? x->key : "");
    ex->company = igc_strdup(x->in.company_name ? x->in.company_name : "");
    ex->none_reason = is_none ? igc_strdup(x->none_reason) : NULL;
    memcpy(ex->label, lab, sizeof lab);
    ex->group = ksic_group(e->ksic, x->in.ksic_code, NULL);
    ex->feats = malloc(q.f.n * sizeof *ex->feats);
    if (!ex->key || !ex->company || (is_none && !ex->none_reason) || !ex->feats) rc = IGC_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < q.f.n; i++) ex->feats[i] = q.f.f[i].id;
        qsort(ex->feats, q.f.n, sizeof *ex->feats, cmp_u64);
        size_t u = 0;
        for (size_t i = 0; i < q.f.n; i++)
            if (!u || ex->feats[u - 1] != ex->feats[i]) ex->feats[u++] = ex->feats[i];
        ex->nfeats = u;
        /* its labels as classes, weighed as label_weight weighs them */
        lex_classes cls = {{lab[0], lab[1], lab[2]}, {1.0f, 0.5f, 0.5f}};
        rc = lex_add_classed(lx, &q.f, q.fw, &cls, NULL);
    }
    if (!rc && e->has_enc) ex->vec = vec, vec = NULL;
    free(vec);
    query_free(&q);
    if (rc) exemplar_clear(ex);
    ex->vote_w = confidence_weight(x->confidence);
    ex->owner = x->in.owner;
    *nl_out = nl;
    return rc;
}

/* Adds (sign 1) or takes back (sign -1) an exemplar's share of the per-item and
 * per-KSIC-group statistics. */
static void count_exemplar(igc_engine *e, const exemplar *ex, int nl, float sign) {
    const int *lab = ex->label;
    int is_none = ex->none_reason != NULL;
    size_t ni = e->tx->nitems + 1;
    float share = nl ? 1.0f / (float)nl : 1.0f;
    unsigned one = sign > 0 ? 1u : (unsigned)-1;
    for (int k = 0; k < 3; k++)
        if (lab[k] >= 0) {
            float lw = k == 0 ? 1.0f : 0.5f;
            e->nlabel[lab[k]] += one;
            e->iw[lab[k]] += sign * lw;
            for (int d = 0; ex->vec && d < e->enc->dim; d++)
                e->isum[(size_t)lab[k] * (size_t)e->enc->dim + (size_t)d] += sign * lw * ex->vec[d];
            if (ex->group >= 0) e->cnt3[(size_t)ex->group * ni + (size_t)lab[k]] += sign * share;
            if (ex->group >= 0) e->cnt2[(size_t)(ex->group / 10) * ni + (size_t)lab[k]] += sign * share;
            e->cnt_item[lab[k]] += sign * share;
        }
    if (is_none) {
        e->nlabel[ni - 1] += one;
        if (ex->group >= 0) e->cnt3[(size_t)ex->group * ni + ni - 1] += sign;
        if (ex->group >= 0) e->cnt2[(size_t)(ex->group / 10) * ni + ni - 1] += sign;
        e->cnt_item[ni - 1] += sign;
    }
    if (ex->group >= 0) {
        e->nfirms3[ex->group] += one;
        for (int k = 0; k < 3; k++)
            if (lab[k] >= 0) e->firms3[(size_t)ex->group * ni + (size_t)lab[k]] += one;
    }
    e->total += sign;
}

/* The exemplar of that key, removed or not (keys stay taken); NULL when none. */
static const exemplar *find_exemplar(const igc_engine *e, const char *key) {
    if (!key) return NULL;
    size_t i = idx_get(&e->exidx, key_hash(key));
    return i < e->nex && strcmp(e->ex[i].key, key) == 0 ? &e->ex[i] : NULL;
}

static int add_exemplar(igc_engine *e, const igc_exemplar *x, exemplar_prep *pre) {
    if (find_exemplar(e, x->key ? x->key : "")) return IGC_EEXIST;
    if (e->nex == e->excap) {
        size_t cap = e->excap ? e->excap * 2 : 256;
        exemplar *n = realloc(e->ex, cap * sizeof *n);
        if (!n) return IGC_ENOMEM;
        e->ex = n;
        e->excap = cap;
    }
    /* room in the maps first: past this point the exemplar is in the indexes */
    if (idx_put(&e->exidx, key_hash(x->key ? x->key : ""), e->nex) ||
        (x->in.owner && idx_put(&e->owners, x->in.owner, idx_get(&e->owners, x->in.owner))))
        return IGC_ENOMEM;
    exemplar *ex = &e->ex[e->nex];
    int nl = 0;
    int rc = exemplar_build(e, x, e->ex_lex, ex, &nl, pre);
    if (!rc && ex->vec && (rc = igc_index_add(e->ex_vidx, ex->vec, 1))) exemplar_clear(ex);
    if (rc) return rc; /* the key maps to an index no exemplar holds: find_exemplar checks */
    ex->own_prev = ex->owner ? idx_get(&e->owners, ex->owner) : SIZE_MAX;
    if (ex->owner) idx_put(&e->owners, ex->owner, e->nex); /* the key is there: no allocation */
    e->nex++;
    e->gen++;
    count_exemplar(e, ex, nl, 1.0f);
    return 0;
}

int igc_engine_remove_exemplar(igc_engine *e, const char *key) {
    if (!e || !key) return IGC_EINVAL;
    exemplar *ex = (exemplar *)find_exemplar(e, key);
    if (!ex || ex->off) return IGC_ENOTFOUND;
    int nl = (ex->label[0] >= 0) + (ex->label[1] >= 0) + (ex->label[2] >= 0);
    count_exemplar(e, ex, nl, -1.0f);
    /* out of the lexical neighbours and the prototype sums */
    lex_remove(e->ex_lex, (uint32_t)(ex - e->ex), ex->feats, ex->nfeats);
    ex->off = 1;
    e->noff++;
    e->gen++;
    return 0;
}

static int add_case(igc_engine *e, const igc_exemplar *x, exemplar_prep *pre) {
    int seen = key_seen(&e->cskeys, x->key ? x->key : "", 0);
    if (seen < 0) return IGC_ENOMEM;
    if (seen) return IGC_EEXIST;
    size_t d = e->has_enc ? (size_t)e->enc->dim : 0;
    if (e->ncs == e->cscap) {
        size_t cap = e->cscap ? e->cscap * 2 : 256;
        exemplar *n = realloc(e->cs, cap * sizeof *n);
        if (!n) return IGC_ENOMEM;
        e->cs = n;
        if (d) {
            float *v = realloc(e->cs_vecs, cap * d * sizeof *v);
            if (!v) return IGC_ENOMEM;
            e->cs_vecs = v;
        }
        e->cscap = cap;
    }
    exemplar *c = &e->cs[e->ncs];
    int nl = 0;
    int rc = exemplar_build(e, x, e->cs_lex, c, &nl, pre);
    if (rc) return rc;
    if (d) {
        memcpy(e->cs_vecs + e->ncs * d, c->vec, d * sizeof *c->vec);
        /* only the primary label: a case is written for one item */
        if (c->label[0] >= 0) {
            for (size_t k = 0; k < d; k++) e->csum[(size_t)c->label[0] * d + k] += c->vec[k];
        }
    }
    if (c->label[0] >= 0) e->cw[c->label[0]] += 1;
    free(c->vec); /* kept once, in cs_vecs */
    c->vec = NULL;
    e->ncs++;
    key_seen(&e->cskeys, c->key, 1);
    return 0;
}

int igc_engine_add_exemplar(igc_engine *e, const igc_exemplar *x) { return add_exemplar(e, x, NULL); }

int igc_engine_add_case(igc_engine *e, const igc_exemplar *x) { return add_case(e, x, NULL); }

typedef struct {
    const igc_engine *e;
    const igc_exemplar *xs;
    exemplar_prep *p;
} prep_job;

static void prep_one(void *arg, size_t i) {
    prep_job *j = arg;
    exemplar_prepare(j->e, &j->xs[i], &j->p[i]);
}

/* Adds xs[0..n) in order with add (add_exemplar or add_case), their texts encoded
 * first on every core: the engine is only read while they are. */
static int add_many(igc_engine *e, const igc_exemplar *xs, size_t n, int *rcs,
                    int (*add)(igc_engine *, const igc_exemplar *, exemplar_prep *)) {
    exemplar_prep *p = calloc(n ? n : 1, sizeof *p);
    if (!p) return IGC_ENOMEM;
    prep_job j = {e, xs, p};
    igc_par_for(n, igc_par_threads(), prep_one, &j);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rc) {
            rcs[i] = add(e, &xs[i], &p[i]);
            if (rcs[i] == IGC_ENOMEM) rc = IGC_ENOMEM;
        } else {
            rcs[i] = IGC_ENOMEM;
        }
        exemplar_prep_free(&p[i]); /* what add did not take */
    }
    free(p);
    return rc;
}

int igc_engine_add_exemplars(igc_engine *e, const igc_exemplar *xs, size_t n, int *rcs) {
    return add_many(e, xs, n, rcs, add_exemplar);
}

int igc_engine_add_cases(igc_engine *e, const igc_exemplar *xs, size_t n, int *rcs) {
    return add_many(e, xs, n, rcs, add_case);
}

void igc_engine_cases_finish(igc_engine *e) { lex_finish(e->cs_lex); }

size_t igc_engine_case_count(const igc_engine *e) { return e->ncs; }

int igc_engine_set_lexicon(igc_engine *e, igc_lexicon *lx) {
    if (lx && igc_lexicon_taxonomy(lx) != e->tx) return IGC_EINVAL;
    igc_lexicon_ref(lx);
    pthread_mutex_lock(&e->lx_mu);
    igc_lexicon *old = e->lx;
    e->lx = lx;
    pthread_mutex_unlock(&e->lx_mu);
    igc_lexicon_unref(old);
    return 0;
}

igc_lexicon *igc_engine_lexicon_ref(const igc_engine *e) {
    igc_engine *m = (igc_engine *)e; /* the lock, not the engine, changes */
    pthread_mutex_lock(&m->lx_mu);
    igc_lexicon *lx = igc_lexicon_ref(m->lx);
    pthread_mutex_unlock(&m->lx_mu);
    return lx;
}

int igc_engine_has_exemplar(const igc_engine *e, const char *key) { return find_exemplar(e, key ? key : "") != NULL; }

size_t igc_engine_exemplar_count(const igc_engine *e) { return e->nex - e->noff; }
igc_taxonomy *igc_engine_taxonomy(const igc_engine *e) { return e->tx; }
const igc_engine_params *igc_engine_get_params(const igc_engine *e) { return &e->p; }
const char *igc_engine_version(const igc_engine *e) { return e->version; }
int igc_engine_index_centroids(const igc_engine *e, float **cent, size_t *nlist, size_t *trained_at) {
    *cent = NULL, *nlist = 0, *trained_at = 0;
    return e->ex_vidx ? igc_index_centroids(e->ex_vidx, cent, nlist, trained_at) : IGC_ENOTFOUND;
}

int igc_engine_index_seed(igc_engine *e, const float *cent, size_t nlist, size_t trained_at) {
    return e->ex_vidx ? igc_index_recluster_with(e->ex_vidx, cent, nlist, trained_at) : IGC_ESTATE;
}

const char *igc_engine_index_desc(const igc_engine *e) { return e->ex_vidx ? igc_index_describe(e->ex_vidx) : "none"; }
size_t igc_engine_label_count(const igc_engine *e, const igc_tx_item *it) {
    return it ? e->nlabel[it - e->tx->items] : 0;
}
size_t igc_engine_none_count(const igc_engine *e) { return e->nlabel[e->tx->nitems]; }

/* ---------------- applicability text classifier ---------------- */

/* Whether exemplar ex takes part in training the text classifier. */
static int trains(const exemplar *ex, const exemplar *skip) { return ex != skip && !ex->off && ex->nfeats; }

/* The applicability text classifier: logistic regression on hashed subword features
 * (does a past judgment's text say "not applicable"?), 20 epochs of SGD in exemplar
 * order (deterministic), leaving `skip` out (leave-one-out). The epochs read each
 * exemplar's buckets from one contiguous array (2 bytes each) made here rather than
 * its own feature list (8 bytes each): a refit at 100,000 past judgments took 0.35 s
 * instead of 0.60 (bench/scale.sh). The same sums in the same order: the same weights.
 * IGC_ENOMEM leaves w as it was. */
_Static_assert(NA_BUCKETS <= 65536, "buckets are kept as uint16_t");
static int train_natext(const igc_engine *e, const exemplar *skip, float *w) {
    size_t n = 0, tot = 0;
    for (size_t x = 0; x < e->nex; x++) {
        if (!trains(&e->ex[x], skip)) continue;
        n++;
        tot += e->ex[x].nfeats;
    }
    uint16_t *bk = malloc((tot + 1) * sizeof *bk);
    size_t *off = malloc((n + 1) * sizeof *off);
    unsigned char *none = malloc(n + 1);
    if (!bk || !off || !none) {
        free(bk), free(off), free(none);
        return IGC_ENOMEM;
    }
    memset(w, 0, (NA_BUCKETS + 1) * sizeof *w);
    off[0] = 0;
    for (size_t x = 0, i = 0; x < e->nex; x++) {
        const exemplar *ex = &e->ex[x];
        if (!trains(ex, skip)) continue;
        for (size_t f = 0; f < ex->nfeats; f++) bk[off[i] + f] = (uint16_t)(ex->feats[f] & (NA_BUCKETS - 1));
        none[i] = ex->none_reason != NULL;
        off[i + 1] = off[i] + ex->nfeats;
        i++;
    }
    for (int epoch = 0; epoch < 20; epoch++) {
        float lr = 0.2f / (1.0f + (float)epoch * 0.2f);
        for (size_t i = 0; i < n; i++) {
            const uint16_t *b = bk + off[i];
            size_t nf = off[i + 1] - off[i];
            double z = w[NA_BUCKETS];
            for (size_t f = 0; f < nf; f++) z += w[b[f]];
            double y = none[i] ? 1.0 : 0.0, g = 1.0 / (1.0 + exp(-z)) - y;
            float step = lr * (float)g / (float)sqrt((double)nf);
            for (size_t f = 0; f < nf; f++) {
                float *wf = &w[b[f]];
                *wf -= step + 1e-4f * *wf;
            }
            w[NA_BUCKETS] -= lr * (float)g * 0.1f;
        }
    }
    free(bk), free(off), free(none);
    return 0;
}

static double natext_logit(const float *w, const query *q) {
    double z = w[NA_BUCKETS];
    uint64_t *ids = malloc((q->f.n + 1) * sizeof *ids);
    if (!ids) return z;
    for (size_t i = 0; i < q->f.n; i++) ids[i] = q->f.f[i].id;
    qsort(ids, q->f.n, sizeof *ids, cmp_u64);
    /* unique features, as in training */
    for (size_t i = 0; i < q->f.n; i++)
        if (!i || ids[i] != ids[i - 1]) z += w[ids[i] & (NA_BUCKETS - 1)];
    free(ids);
    return z;
}

int igc_engine_commit(igc_engine *e) {
    lex_finish(e->ex_lex);
    int rc = train_natext(e, NULL, e->natxt);
    igc_index_plan *ix = NULL;
    if (e->ex_vidx && igc_index_recluster_prepare(e->ex_vidx, &ix) == 0) igc_index_recluster_apply(e->ex_vidx, ix);
    return rc;
}

struct igc_engine_refit {
    unsigned long gen;
    lex_stats *lex;
    float *natxt;
    igc_index_plan *ix; /* the exemplar index's new lists when it is due for more, else NULL */
};

void igc_engine_refit_free(igc_engine_refit *r) {
    if (!r) return;
    lex_stats_free(r->lex);
    igc_index_plan_free(r->ix);
    free(r->natxt);
    free(r);
}

int igc_engine_refit_prepare(const igc_engine *e, igc_engine_refit **out) {
    *out = NULL;
    igc_engine_refit *r = calloc(1, sizeof *r);
    if (!r) return IGC_ENOMEM;
    r->gen = e->gen;
    int rc = lex_prepare(e->ex_lex, &r->lex);
    if (!rc && !(r->natxt = malloc((NA_BUCKETS + 1) * sizeof *r->natxt))) rc = IGC_ENOMEM;
    if (rc) {
        igc_engine_refit_free(r);
        return rc;
    }
    if ((rc = train_natext(e, NULL, r->natxt)) ||
        (e->ex_vidx && (rc = igc_index_recluster_prepare(e->ex_vidx, &r->ix)))) {
        igc_engine_refit_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int igc_engine_refit_apply(igc_engine *e, igc_engine_refit *r) {
    if (r->gen != e->gen) return IGC_ESTATE;
    int rc = lex_apply(e->ex_lex, r->lex);
    if (rc) return rc;
    /* r->lex holds the replaced statistics now: freed with r, outside the lock */
    if (r->ix) {
        /* no exemplar came in since prepare (same generation), so the new lists cover
         * the index; were it otherwise they would be dropped and built again next time */
        igc_index_recluster_apply(e->ex_vidx, r->ix);
        r->ix = NULL;
    }
    float *old = e->natxt;
    e->natxt = r->natxt;
    r->natxt = old;
    return 0;
}

/* ---------------- scoring ---------------- */

typedef struct {
    int idx;
    double sim, w;
} nb;

/* Everything computed for one company before the parameters are applied. */
typedef struct {
    query q;
    int group;
    float *feat;       /* [nitems][IGC_FT_N] */
    float *lex;        /* raw BM25 per item (for keyword attribution) */
    double lex_max, dense_max;
    nb *nbs;           /* dense neighbours first, then lexical ones not already in */
    size_t nnb;
    double wsum;       /* sum of neighbour weights */
    double na[IGC_NA_N];
    float *qv;         /* the query's sentence vector, NULL without a model */
    float *sims;       /* [nvec]: its cosine with each item sentence (NULL: not scored) */
    igc_lexicon *lx;   /* the dictionary this classification holds (a reference) */
    igc_lex_hits hits; /* its terms found in the query */
    double *hw;        /* per hit: specificity x field weight (0 for a term already counted) */
    igc_lex_hits cues; /* its not-applicable cues found */
} scoring;

static void scoring_free(scoring *sc) {
    igc_lex_hits_free(&sc->hits);
    igc_lex_hits_free(&sc->cues);
    free(sc->hw);
    igc_lexicon_unref(sc->lx);
    query_free(&sc->q);
    free(sc->feat);
    free(sc->lex);
    free(sc->nbs);
    free(sc->qv);
    free(sc->sims);
    memset(sc, 0, sizeof *sc);
}

/* Count of category j (an item, or ni for "not applicable") in a counts row, less the
 * shares of the left-out exemplars (excl[nexcl]: the excluded one and the company's
 * own) that count in that row: level 3 the row of `group`, 2 its division's, 0 every. */
static double count_less(const igc_engine *e, const float *row, size_t j, size_t ni, const uint32_t *excl,
                         size_t nexcl, int level, int group) {
    double c = row ? row[j] : 0;
    for (size_t k = 0; row && k < nexcl; k++) {
        const exemplar *x = &e->ex[excl[k]];
        if ((level == 3 && x->group != group) || (level == 2 && (x->group < 0 || x->group / 10 != group / 10)))
            continue;
        if (j == ni) {
            c -= x->none_reason ? 1 : 0;
            continue;
        }
        int nl = (x->label[0] >= 0) + (x->label[1] >= 0) + (x->label[2] >= 0);
        for (int m = 0; m < 3; m++)
            if (x->label[m] == (int)j) c -= 1.0 / nl;
    }
    return c;
}

/* KSIC priors: P(item | group) and P(field | group), each backed off to the
 * division and then to the field, so that sparse groups still say something. */
static int compute_priors(const igc_engine *e, int group, const uint32_t *excl, size_t nexcl, scoring *sc) {
    const igc_taxonomy *t = e->tx;
    size_t ni = t->nitems, nfl = t->nfields, W = ni + 1;
    double beta = e->p.prior_alpha > 0 ? e->p.prior_alpha : 3.0;
    const float *r3 = group >= 0 ? e->cnt3 + (size_t)group * W : NULL;
    const float *r2 = group >= 0 ? e->cnt2 + (size_t)(group / 10) * W : NULL;
    double N = e->total - (double)nexcl;
    double *c3 = calloc(W, sizeof *c3), *c2 = calloc(W, sizeof *c2), *cg = calloc(W, sizeof *cg);
    double *f3 = calloc(nfl + 1, sizeof *f3), *f2 = calloc(nfl + 1, sizeof *f2), *fg = calloc(nfl + 1, sizeof *fg);
    size_t *fn = calloc(nfl + 1, sizeof *fn);
    if (!c3 || !c2 || !cg || !f3 || !f2 || !fg || !fn) {
        free(c3), free(c2), free(cg), free(f3), free(f2), free(fg), free(fn);
        return IGC_ENOMEM;
    }
    double t3 = 0, t2 = 0;
    for (size_t j = 0; j < W; j++) {
        c3[j] = count_less(e, r3, j, ni, excl, nexcl, 3, group);
        c2[j] = count_less(e, r2, j, ni, excl, nexcl, 2, group);
        cg[j] = count_less(e, e->cnt_item, j, ni, excl, nexcl, 0, group);
        size_t f = j < ni ? t->items[j].field_idx : nfl;
        f3[f] += c3[j], f2[f] += c2[j], fg[f] += cg[j];
        if (j < ni) fn[f]++;
        t3 += c3[j], t2 += c2[j];
    }
    double *pf_d = calloc(nfl + 1, sizeof *pf_d), *pf_g = calloc(nfl + 1, sizeof *pf_g);
    if (!pf_d || !pf_g) {
        free(c3), free(c2), free(cg), free(f3), free(f2), free(fg), free(fn), free(pf_d), free(pf_g);
        return IGC_ENOMEM;
    }
    for (size_t f = 0; f <= nfl; f++) {
        double glob = (fg[f] + 0.5) / (N + 0.5 * (double)(nfl + 1));
        pf_d[f] = (f2[f] + beta * glob) / (t2 + beta);
        pf_g[f] = (f3[f] + beta * pf_d[f]) / (t3 + beta);
    }
    for (size_t j = 0; j < W; j++) {
        size_t f = j < ni ? t->items[j].field_idx : nfl;
        double base = j < ni ? pf_d[f] / (double)(fn[f] ? fn[f] : 1) : pf_d[nfl];
        double pd = (c2[j] + beta * base) / (t2 + beta);
        double pg = (c3[j] + beta * pd) / (t3 + beta);
        if (j == ni) {
            sc->na[IGC_NA_PRIOR] = pg;
        } else {
            sc->feat[j * IGC_FT_N + IGC_FT_PRIOR] = (float)log(pg);
            sc->feat[j * IGC_FT_N + IGC_FT_FIELD_PRIOR] = (float)log(pf_g[f]);
        }
    }
    free(c3), free(c2), free(cg), free(f3), free(f2), free(fg), free(fn), free(pf_d), free(pf_g);
    return 0;
}

/* k nearest past judgments by cosine of sentence vectors, excluding one key,
 * removed exemplars and the company's own (owner, when not 0). */
static int neighbours_dense(const igc_engine *e, const float *qv, size_t kk, size_t skip, uint64_t owner, nb *out,
                            size_t *n) {
    /* Removed exemplars stay in the index and the company's own are left out here: ask
     * for room for them (at most 128 at first), and when the ones left out still fill
     * it (a company judged many times, many superseded near-duplicates), ask again for
     * twice as many, so that the kk - 1 nearest usable ones are always found. */
    size_t want = kk + e->noff + (owner ? 4 : 0);
    if (want > 128) want = 128;
    for (;;) {
        size_t k = want < e->nex ? want : e->nex, used = 0;
        float *sims = malloc(k * sizeof *sims);
        int64_t *ids = malloc(k * sizeof *ids);
        int rc = !sims || !ids ? IGC_ENOMEM : igc_index_search(e->ex_vidx, qv, 1, (int)k, sims, ids) ? IGC_EINVAL : 0;
        *n = 0;
        for (; !rc && used < k && ids[used] >= 0; used++) {
            size_t id = (size_t)ids[used];
            if (id != skip && id < e->nex && !e->ex[id].off && !(owner && e->ex[id].owner == owner) && *n < kk)
                out[(*n)++] = (nb){(int)id, sims[used], 0};
        }
        free(sims), free(ids);
        if (rc) return rc;
        /* enough found, or the index has no more to give */
        if (*n >= kk - 1 || used < k || k >= e->nex) break;
        want = k * 2;
    }
    if (*n > kk - 1) *n = kk - 1;
    return 0;
}

/* The k nearest past judgments by BM25 (lex_top_k's, best first), scaled so the best is 1. */
static void neighbours_lexical(const lex_hit *top, size_t ntop, nb *out, size_t *n) {
    double inv = ntop ? 1.0 / ((double)top[0].score + 1e-9) : 0;
    for (size_t j = 0; j < ntop; j++) out[j] = (nb){(int)top[j].doc, top[j].score * inv, 0};
    *n = ntop;
}

/* The exemplars a request leaves out besides the removed ones, into *out (free it):
 * the excluded one (skip, or SIZE_MAX) and the company's own (owner, when not 0). */
static int left_out(const igc_engine *e, size_t skip, uint64_t owner, uint32_t **out, size_t *n) {
    size_t cnt = skip < e->nex && !e->ex[skip].off;
    size_t head = owner ? idx_get(&e->owners, owner) : SIZE_MAX;
    for (size_t i = head; i < e->nex; i = e->ex[i].own_prev) cnt += !e->ex[i].off && i != skip;
    *n = 0;
    if (!(*out = malloc((cnt + 1) * sizeof **out))) return IGC_ENOMEM;
    if (skip < e->nex && !e->ex[skip].off) (*out)[(*n)++] = (uint32_t)skip;
    for (size_t i = head; i < e->nex; i = e->ex[i].own_prev)
        if (!e->ex[i].off && i != skip) (*out)[(*n)++] = (uint32_t)i;
    return 0;
}

/* Label weight of exemplar x for item i: 1 for its primary label, 0.5 for others. */
static float label_weight(const exemplar *x, int i) {
    return x->label[0] == i ? 1.0f : (x->label[1] == i || x->label[2] == i) ? 0.5f : 0.0f;
}

/* Prototype features: mean similarity to each item's past judgments, leaving the
 * excluded exemplar out. The lexical one sums label weight x BM25 / the best score
 * over the past judgments not left out: from the index's class sums (which hold the
 * common features' shares ahead of time), less the shares of the left-out ones
 * (excl[nexcl], not removed), divided by the best score (top[0], from the same set). */
static int prototypes(const igc_engine *e, const float *qv, const float *pre_dots, const query *q, const lex_hit *top,
                      size_t ntop, const uint32_t *excl, size_t nexcl, float *feat) {
    size_t ni = e->tx->nitems;
    double *lsum = calloc(ni, sizeof *lsum);
    float *dots = qv && e->isum ? malloc(ni * sizeof *dots) : NULL;
    if (!lsum || (qv && e->isum && !dots)) {
        free(lsum), free(dots);
        return IGC_ENOMEM;
    }
    /* one product for every item's summed vector, less the left-out exemplars' shares
     * (the excluded one and the company's own: its own judgments must not move its answer) */
    double *wless = calloc(ni, sizeof *wless), *dless = calloc(ni, sizeof *dless);
    if (!wless || !dless) {
        free(lsum), free(dots), free(wless), free(dless);
        return IGC_ENOMEM;
    }
    if (dots) {
        int dim = e->enc->dim;
        if (pre_dots) memcpy(dots, pre_dots, ni * sizeof *dots);
        else dot_rows(e->isum, ni, (size_t)dim, qv, 1, dots);
    }
    for (size_t j = 0; j < nexcl; j++) {
        const exemplar *x = &e->ex[excl[j]];
        double qx = 0;
        if (dots && x->vec)
            for (int d = 0; d < e->enc->dim; d++) qx += (double)qv[d] * x->vec[d];
        for (int k = 0; k < 3; k++) {
            int li = x->label[k];
            if (li < 0 || (k == 1 && li == x->label[0]) || (k == 2 && (li == x->label[0] || li == x->label[1]))) continue;
            double lw = label_weight(x, li);
            wless[li] += lw;
            if (x->vec) dless[li] += lw * qx;
        }
    }
    if (ntop && top[0].score > 0) { /* else no past judgment shares a feature with the query */
        lex_class_sums(e->ex_lex, &q->f, q->fw, lsum);
        for (size_t j = 0; j < nexcl; j++) {
            const exemplar *ex = &e->ex[excl[j]];
            if (ex->none_reason) continue;
            double s = lex_doc_score(e->ex_lex, &q->f, q->fw, excl[j]);
            for (int k = 0; k < 3 && s > 0; k++)
                if (ex->label[k] >= 0) lsum[ex->label[k]] -= label_weight(ex, ex->label[k]) * s;
        }
        for (size_t i = 0; i < ni; i++) lsum[i] /= top[0].score;
    }
    for (size_t i = 0; i < ni; i++) {
        double w = e->iw[i] - wless[i];
        if (w <= 1e-6) continue;
        /* in [0, 1] as each score is at most the best: the sums, in another order than
         * the scores' float ones and less the left-out shares, can miss by a rounding */
        double pl = lsum[i] / w;
        feat[i * IGC_FT_N + IGC_FT_PROTO_LEX] = (float)(pl < 0 ? 0 : pl > 1 ? 1 : pl);
        if (!dots) continue;
        feat[i * IGC_FT_N + IGC_FT_PROTO_DENSE] = (float)((dots[i] - dless[i]) / w);
    }
    free(lsum), free(dots), free(wless), free(dless);
    return 0;
}

/* Similarity- and confidence-weighted label votes of neighbours into votes[item] and
 * votes[nitems + field]; *na gets the share judged not applicable. Returns the
 * total weight. */
static double vote(const igc_engine *e, const exemplar *arr, nb *nbs, size_t n, double *votes, double *na) {
    size_t ni = e->tx->nitems;
    double wsum = 0, na_w = 0;
    for (size_t j = 0; j < n; j++) {
        /* Softmax-like weights: close neighbours dominate. */
        nbs[j].w = exp((nbs[j].sim - nbs[0].sim) / 0.1) * arr[nbs[j].idx].vote_w;
        wsum += nbs[j].w;
        const exemplar *x = &arr[nbs[j].idx];
        if (x->none_reason) {
            na_w += nbs[j].w;
            continue;
        }
        /* The primary label counts fully, the alternatives an examiner would accept
         * half; a field counts once per neighbour, with its best label's weight. */
        for (int k = 0; k < 3; k++) {
            if (x->label[k] < 0) continue;
            votes[x->label[k]] += nbs[j].w * (k == 0 ? 1.0 : 0.5);
            size_t fk = e->tx->items[x->label[k]].field_idx;
            int seen = 0;
            for (int m = 0; m < k; m++) seen |= x->label[m] >= 0 && e->tx->items[x->label[m]].field_idx == fk;
            if (!seen) votes[ni + fk] += nbs[j].w * (k == 0 ? 1.0 : 0.5);
        }
    }
    *na = wsum > 0 ? na_w / wsum : 0;
    return wsum;
}

/* The k most similar of n scores (raw cosines), best first. */
static void select_top(const float *sims, size_t n, size_t k, nb *out, size_t *cnt) {
    *cnt = 0;
    for (size_t i = 0; i < n && k; i++) {
        double s = sims[i];
        if (*cnt == k && s <= out[k - 1].sim) continue;
        size_t j = *cnt < k ? (*cnt)++ : k - 1;
        while (j > 0 && out[j - 1].sim < s) out[j] = out[j - 1], j--;
        out[j] = (nb){(int)i, s, 0};
    }
}

/* Compound words in a term found inside a longer input word are weaker evidence
 * than whole words: the compound may name something else. */
#define TERM_PARTIAL_W 0.6

/* The index-term dictionary: each term found adds its specificity (weighed by the
 * field it was found in) to every item that lists it; the firm's KSIC code against
 * each item's typical codes; the not-applicable cues found. */
static int score_lexicon(const igc_engine *e, const igc_ksic_match *km, scoring *sc) {
    sc->lx = igc_engine_lexicon_ref(e);
    if (!sc->lx) return 0;
    size_t ni = e->tx->nitems;
    int rc = igc_lexicon_match(sc->lx, &sc->q.w, &sc->hits);
    if (!rc) rc = igc_lexicon_match_cues(sc->lx, &sc->q.w, &sc->cues);
    double *sum = calloc(ni, sizeof *sum);
    sc->hw = calloc(sc->hits.n + 1, sizeof *sc->hw);
    if (rc || !sum || !sc->hw) {
        free(sum);
        return rc ? rc : IGC_ENOMEM;
    }
    for (size_t h = 0; h < sc->hits.n; h++) {
        const igc_lex_hit *x = &sc->hits.h[h];
        const igc_lex_term *t = igc_lexicon_term(sc->lx, x->term);
        /* specificity: log(1 + items with terms / items listing this one), never 0 */
        double spec = log1p((double)igc_lexicon_nitems(sc->lx) / (double)(t->nitems ? t->nitems : 1));
        double w = spec * field_weight[sc->q.field[x->word0]] * (x->partial ? TERM_PARTIAL_W : 1.0);
        /* a term found in several fields counts once, where it weighs most */
        for (size_t g = 0; g < h && w > 0; g++) {
            if (sc->hits.h[g].term != x->term || sc->hw[g] <= 0) continue;
            if (sc->hw[g] >= w) w = 0;
            else sc->hw[g] = 0;
        }
        sc->hw[h] = w;
    }
    double best = 0;
    for (size_t h = 0; h < sc->hits.n; h++) {
        if (sc->hw[h] <= 0) continue;
        const igc_lex_term *t = igc_lexicon_term(sc->lx, sc->hits.h[h].term);
        for (size_t k = 0; k < t->nitems; k++) sum[t->items[k]] += sc->hw[h];
    }
    for (size_t i = 0; i < ni; i++) {
        sc->feat[i * IGC_FT_N + IGC_FT_TERM] = (float)log1p(sum[i]);
        best = sum[i] > best ? sum[i] : best;
    }
    /* the firm's KSIC code against the typical codes of its division (the others
     * differ in the first two digits and weigh 0): each item's best match */
    size_t nk = 0;
    const igc_lex_ksic *kd = km->level >= 2 ? igc_lexicon_ksic_division(sc->lx, km->code, &nk) : NULL;
    for (size_t c = 0; c < nk; c++) {
        const char *code = kd[c].code;
        double w = km->level == 5 && strcmp(code, km->code) == 0       ? 1.0
                   : km->level >= 3 && strncmp(code, km->code, 3) == 0 ? 0.6
                   : strncmp(code, km->code, 2) == 0                   ? 0.25
                                                                         : 0;
        float *f = &sc->feat[kd[c].item * IGC_FT_N + IGC_FT_TERM_KSIC];
        if ((float)w > *f) *f = (float)w;
    }
    sc->na[IGC_NA_TERM] = log1p(best);
    sc->na[IGC_NA_CUE] = log1p((double)sc->cues.n);
    free(sum);
    return 0;
}

/* The dense products of a block of inputs (igc_engine_batch_new), and one input's
 * slot of them. */
struct igc_engine_batch {
    const igc_engine *e;
    unsigned long gen;      /* e's exemplars (their per-item sums) when made */
    size_t nvec, ncs;       /* e's item sentences and cases when made */
    size_t n;
    float *qv;              /* [n][dim] */
    unsigned char *has_qv;  /* [n]: its text encoded (else the products are unused) */
    float *item, *cs;       /* [n][nvec], [n][ncs] */
    float *csum, *isum;     /* [n][nitems] each */
};

typedef struct {
    const float *qv, *item, *cs, *csum, *isum;
    int has_qv;
} dense_pre;

static dense_pre batch_slot(const igc_engine_batch *b, size_t i) {
    const igc_engine *e = b->e;
    size_t ni = e->tx->nitems, d = (size_t)e->enc->dim;
    return (dense_pre){b->qv + i * d, b->item ? b->item + i * e->nvec : NULL, b->cs ? b->cs + i * e->ncs : NULL,
                       b->csum ? b->csum + i * ni : NULL, b->isum ? b->isum + i * ni : NULL, b->has_qv[i]};
}

void igc_engine_batch_free(igc_engine_batch *b) {
    if (!b) return;
    free(b->qv), free(b->has_qv), free(b->item), free(b->cs), free(b->csum), free(b->isum);
    free(b);
}

int igc_engine_batch_new(const igc_engine *e, const igc_engine_input *in, size_t n, igc_engine_batch **out) {
    *out = NULL;
    if (!e || (n && !in)) return IGC_EINVAL;
    igc_engine_batch *b = calloc(1, sizeof *b);
    if (!b) return IGC_ENOMEM;
    b->e = e;
    b->gen = e->gen, b->nvec = e->nvec, b->ncs = e->ncs;
    b->n = n;
    if (!e->has_enc || !n) {
        *out = b; /* nothing dense to do: classifications compute what they need */
        return 0;
    }
    size_t d = (size_t)e->enc->dim, ni = e->tx->nitems;
    b->qv = calloc(n * d, sizeof *b->qv);
    b->has_qv = calloc(n, 1);
    if (e->nvec) b->item = malloc(n * e->nvec * sizeof *b->item);
    if (e->ncs) b->cs = malloc(n * e->ncs * sizeof *b->cs);
    if (e->ncs) b->csum = malloc(n * ni * sizeof *b->csum);
    if (e->isum) b->isum = malloc(n * ni * sizeof *b->isum);
    int rc = !b->qv || !b->has_qv || (e->nvec && !b->item) || (e->ncs && (!b->cs || !b->csum)) ||
                     (e->isum && !b->isum)
                 ? IGC_ENOMEM
                 : 0;
    /* each query encoded as score_items encodes it */
    for (size_t i = 0; i < n && !rc; i++) {
        query q;
        if ((rc = query_build(&in[i], &q))) break;
        b->has_qv[i] = encode(e, &q.w, b->qv + i * d, NULL) == 0;
        query_free(&q);
    }
    if (!rc) {
        if (b->item) dot_rows(e->item_vecs, e->nvec, d, b->qv, n, b->item);
        if (b->cs) dot_rows(e->cs_vecs, e->ncs, d, b->qv, n, b->cs);
        if (b->csum) dot_rows(e->csum, ni, d, b->qv, n, b->csum);
        if (b->isum) dot_rows(e->isum, ni, d, b->qv, n, b->isum);
    }
    if (rc) {
        igc_engine_batch_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* The case dictionary: label shares among the nearest cases by BM25 and by
 * cosine, and the mean cosine with each item's cases. */
static int score_cases(const igc_engine *e, const float *qv, const dense_pre *pre, scoring *sc) {
    size_t ni = e->tx->nitems, kk = (size_t)e->p.knn_k + 1, d = e->has_enc ? (size_t)e->enc->dim : 0;
    nb *ln = calloc(kk, sizeof *ln), *dn = calloc(kk, sizeof *dn);
    lex_hit *top = malloc(kk * sizeof *top);
    double *votes = calloc(ni + e->tx->nfields, sizeof *votes);
    float *sims = qv ? malloc((e->ncs > ni ? e->ncs : ni) * sizeof *sims) : NULL;
    int rc = 0;
    if (!ln || !dn || !top || !votes || (qv && !sims)) {
        rc = IGC_ENOMEM;
        goto done;
    }
    size_t nln = 0, ndn = 0, ntop = 0;
    double na_l = 0, na_d = 0;
    if ((rc = lex_top_k(e->cs_lex, &sc->q.f, sc->q.fw, kk - 1, NULL, 0, top, &ntop))) goto done;
    neighbours_lexical(top, ntop, ln, &nln);
    double wl = vote(e, e->cs, ln, nln, votes, &na_l);
    for (size_t i = 0; i < ni && wl > 0; i++) sc->feat[i * IGC_FT_N + IGC_FT_CASE_LEX] = (float)(votes[i] / wl);
    sc->na[IGC_NA_CASE] = na_l;
    if (qv) {
        if (pre) memcpy(sims, pre->cs, e->ncs * sizeof *sims);
        else dot_rows(e->cs_vecs, e->ncs, d, qv, 1, sims);
        select_top(sims, e->ncs, kk - 1, dn, &ndn);
        memset(votes, 0, (ni + e->tx->nfields) * sizeof *votes);
        double wd = vote(e, e->cs, dn, ndn, votes, &na_d);
        for (size_t i = 0; i < ni && wd > 0; i++) sc->feat[i * IGC_FT_N + IGC_FT_CASE_KNN] = (float)(votes[i] / wd);
        sc->na[IGC_NA_CASE] = (na_l + na_d) / 2;
        if (pre) memcpy(sims, pre->csum, ni * sizeof *sims);
        else dot_rows(e->csum, ni, d, qv, 1, sims);
        for (size_t i = 0; i < ni; i++)
            if (e->cw[i] > 0) sc->feat[i * IGC_FT_N + IGC_FT_CASE_PROTO] = sims[i] / e->cw[i];
    }
done:
    free(ln), free(dn), free(top), free(votes), free(sims);
    return rc;
}

/* pre: the dense products already made for this input in a batch, or NULL. */
static int score_items(const igc_engine *e, const igc_engine_input *in, const dense_pre *pre, const char *exclude_key,
                       int retrain_text, igc_ksic_match *km, scoring *sc) {
    memset(sc, 0, sizeof *sc);
    const igc_engine_params *p = &e->p;
    const igc_taxonomy *t = e->tx;
    size_t ni = t->nitems;
    int rc = query_build(in, &sc->q);
    if (rc) return rc;
    sc->group = ksic_group(e->ksic, in->ksic_code, km);
    const exemplar *self = find_exemplar(e, exclude_key); /* left out of every statistic */
    uint32_t *excl = NULL; /* it and the company's own judgments, by index (left_out) */
    size_t nexcl = 0;
    size_t kk = (size_t)p->knn_k + 1;
    sc->feat = calloc(ni * IGC_FT_N, sizeof *sc->feat);
    sc->lex = calloc(ni, sizeof *sc->lex);
    sc->nbs = calloc(2 * kk, sizeof *sc->nbs);
    float *tmp = calloc(ni, sizeof *tmp);
    double *votes = calloc(ni + t->nfields, sizeof *votes), *fvotes = calloc(t->nfields, sizeof *fvotes);
    float *qv = e->has_enc ? calloc((size_t)e->enc->dim, sizeof *qv) : NULL;
    int have_qv = 0; /* read at done: */
    if (!sc->feat || !sc->lex || !sc->nbs || !tmp || !votes || !fvotes || (e->has_enc && !qv)) {
        rc = IGC_ENOMEM;
        goto done;
    }
    /* lexical: whole item text and name only */
    lex_score(e->items_lex, &sc->q.f, sc->q.fw, sc->lex);
    for (size_t i = 0; i < ni; i++) sc->lex_max = sc->lex[i] > sc->lex_max ? sc->lex[i] : sc->lex_max;
    lex_score(e->names_lex, &sc->q.f, sc->q.fw, tmp);
    double name_max = 0;
    for (size_t i = 0; i < ni; i++) name_max = tmp[i] > name_max ? tmp[i] : name_max;
    if (p->use[IGC_SIG_LEXICAL]) {
        for (size_t i = 0; i < ni; i++) {
            sc->feat[i * IGC_FT_N + IGC_FT_LEX] = sc->lex_max > 0 ? (float)(sc->lex[i] / sc->lex_max) : 0;
            sc->feat[i * IGC_FT_N + IGC_FT_LEX_NAME] = name_max > 0 ? (float)(tmp[i] / name_max) : 0;
        }
        sc->na[IGC_NA_LEX] = log1p(sc->lex_max);
    }
    /* dense */
    if (pre && e->has_enc) {
        memcpy(qv, pre->qv, (size_t)e->enc->dim * sizeof *qv);
        have_qv = pre->has_qv;
    } else {
        have_qv = e->has_enc && encode(e, &sc->q.w, qv, NULL) == 0;
    }
    if (have_qv && p->use[IGC_SIG_DENSE] && e->nvec) {
        float *sims = malloc(e->nvec * sizeof *sims);
        if (!sims) {
            rc = IGC_ENOMEM;
            goto done;
        }
        if (pre) memcpy(sims, pre->item, e->nvec * sizeof *sims);
        else dot_rows(e->item_vecs, e->nvec, (size_t)e->enc->dim, qv, 1, sims);
        /* an item's vectors are contiguous: its best one, then the best of all */
        double dmax = 0;
        for (size_t i = 0; i < ni; i++) {
            float best = 0;
            for (size_t v = e->item_vec0[i]; v < e->item_vec0[i + 1]; v++)
                if (sims[v] > best) best = sims[v];
            sc->feat[i * IGC_FT_N + IGC_FT_DENSE] = best;
            if (best > dmax) dmax = best;
        }
        sc->dense_max = dmax;
        sc->sims = sims; /* kept for the explanation's choice of sentence */
        sc->na[IGC_NA_DENSE] = sc->dense_max;
    }
    /* neighbours among past judgments, by dense and by lexical similarity: each
     * finds cases the other misses (paraphrases vs rare shared terms). */
    /* removed exemplars, the excluded one and the company's own judgments are no
     * neighbours and count in no prototype or prior: the work follows the query's rare
     * features, not the number of past judgments */
    size_t skip = self ? (size_t)(self - e->ex) : SIZE_MAX;
    if (e->nex && (rc = left_out(e, skip, in->owner, &excl, &nexcl))) goto done;
    if (e->nex && p->use[IGC_SIG_KNN]) {
        nb *dn = sc->nbs, *ln = sc->nbs + kk;
        size_t ndn = 0, nln = 0;
        if (have_qv && (rc = neighbours_dense(e, qv, kk, skip, in->owner, dn, &ndn))) goto done;
        size_t ntop = 0;
        lex_hit *top = malloc(kk * sizeof *top);
        if (!top) rc = IGC_ENOMEM;
        if (!rc) rc = lex_top_k(e->ex_lex, &sc->q.f, sc->q.fw, kk - 1, excl, nexcl, top, &ntop);
        if (!rc) neighbours_lexical(top, ntop, ln, &nln);
        if (!rc) rc = prototypes(e, have_qv ? qv : NULL, pre ? pre->isum : NULL, &sc->q, top, ntop, excl, nexcl,
                                    sc->feat);
        free(top);
        if (rc) goto done;
        double wd = vote(e, e->ex, dn, ndn, votes, &sc->na[IGC_NA_KNN]);
        for (size_t i = 0; i < ni && wd > 0; i++) sc->feat[i * IGC_FT_N + IGC_FT_KNN] = (float)(votes[i] / wd);
        memcpy(fvotes, votes + ni, t->nfields * sizeof *fvotes);
        memset(votes, 0, (ni + t->nfields) * sizeof *votes);
        double wl = vote(e, e->ex, ln, nln, votes, &sc->na[IGC_NA_KNN_LEX]);
        for (size_t i = 0; i < ni && wl > 0; i++) sc->feat[i * IGC_FT_N + IGC_FT_KNN_LEX] = (float)(votes[i] / wl);
        for (size_t i = 0; i < ni && wd + wl > 0; i++) {
            size_t f = t->items[i].field_idx;
            sc->feat[i * IGC_FT_N + IGC_FT_KNN_FIELD] = (float)((fvotes[f] + votes[ni + f]) / (wd + wl));
        }
        /* one list for explanations: dense neighbours, then lexical ones not already in */
        sc->nnb = ndn;
        sc->wsum = wd;
        for (size_t j = 0; j < nln; j++) {
            int dup = 0;
            for (size_t k = 0; k < ndn; k++) dup |= dn[k].idx == ln[j].idx;
            if (dup) continue;
            sc->nbs[sc->nnb++] = ln[j];
            sc->wsum += ln[j].w;
        }
    }
    if (p->use[IGC_SIG_KNN] && e->nex) {
        if (self && retrain_text) {
            float *w = malloc((NA_BUCKETS + 1) * sizeof *w);
            if (!w) {
                rc = IGC_ENOMEM;
                goto done;
            }
            if ((rc = train_natext(e, self, w))) {
                free(w);
                goto done;
            }
            sc->na[IGC_NA_TEXT] = natext_logit(w, &sc->q);
            free(w);
        } else {
            sc->na[IGC_NA_TEXT] = natext_logit(e->natxt, &sc->q);
        }
    }
    if (!rc && p->use[IGC_SIG_PRIOR] && e->nex) rc = compute_priors(e, sc->group, excl, nexcl, sc);
    if (!rc && p->use[IGC_SIG_LEXICON]) rc = score_lexicon(e, km, sc);
    if (!rc && p->use[IGC_SIG_CASES] && e->ncs) rc = score_cases(e, have_qv ? qv : NULL, pre, sc);
done:
    free(tmp), free(votes), free(fvotes), free(excl);
    if (have_qv && !rc) sc->qv = qv;
    else free(qv);
    if (rc) scoring_free(sc);
    return rc;
}

int igc_engine_features(const igc_engine *e, const igc_engine_input *in, const char *exclude_key, float *feat,
                        double *na) {
    scoring sc;
    igc_ksic_match km;
    int rc = score_items(e, in, NULL, exclude_key, 1, &km, &sc);
    if (rc) return rc;
    memcpy(feat, sc.feat, e->tx->nitems * IGC_FT_N * sizeof *feat);
    memcpy(na, sc.na, sizeof sc.na);
    scoring_free(&sc);
    return 0;
}

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* ---------------- classification ---------------- */


/* Surface text of word wi (its span in the field it came from), into out. */
static void surface(const igc_engine_input *in, const query *q, size_t wi, char *out, size_t outsz) {
    const char *fields[F_NFIELDS] = {in->ksic_name, in->main_product, in->product_use, in->tech_business_name};
    const char *src = fields[q->field[wi]];
    size_t a = q->w.w[wi].start, b = q->w.w[wi].end;
    size_t n = b - a < outsz - 1 ? b - a : outsz - 1;
    /* never cut inside a UTF-8 sequence */
    while (n > 0 && n < b - a && ((unsigned char)src[a + n] & 0xC0) == 0x80) n--;
    memcpy(out, src + a, n);
    out[n] = '\0';
}

/* 1 when a word (normalised) is known: in the item texts, in past judgments or a
 * dictionary term. */
static int known_word(const igc_engine *e, const igc_lexicon *lx, const char *w, size_t n) {
    uint64_t id = igc_text_feat_id(IGC_FEAT_WORD, w, n);
    if (lex_idf(e->items_lex, id) > 0 || lex_idf(e->ex_lex, id) > 0) return 1;
    if (!lx) return 0;
    char tmp[128];
    if (n >= sizeof tmp) return 0;
    memcpy(tmp, w, n);
    tmp[n] = '\0';
    return igc_lexicon_find(lx, tmp) >= 0;
}

/* A word that is nothing but a particle ("으로" after a Latin word): never a keyword. */
static int particle_only(const char *norm) {
    static const char *const p[] = {"으로", "에서", "에게", "부터", "까지", "처럼", "보다", "에는", "으로는",
                                    "에서는", "로서", "로써", "로부터", "으로부터", "이나", "이며", "이고", NULL};
    for (int i = 0; p[i]; i++)
        if (strcmp(norm, p[i]) == 0) return 1;
    return 0;
}

/* 기여 키워드 as an examiner reads it: a Hangul word's stem without its particles
 * ("양극재로" -> "양극재", "제약사로부터" -> "제약사"; a trailing 로 only when the rest is
 * a known word, so "마이크로" stays), a Latin word as written ("OLED"). The stem is a
 * prefix of the text, so the screen marks it there. */
static void keyword_text(const igc_engine *e, const igc_lexicon *lx, const igc_engine_input *in, const query *q,
                         size_t wi, char *out, size_t outsz) {
    const igc_word *w = &q->w.w[wi];
    surface(in, q, wi, out, outsz);
    if (!w->hangul) return;
    char stem[128];
    igc_strlcpy(stem, w->norm, sizeof stem); /* for every keyword: not snprintf */
    static const char *const ends[] = {"으로부터", "로부터", "로서", "로써", "로", NULL};
    size_t n = strlen(stem);
    for (int i = 0; ends[i]; i++) {
        size_t el = strlen(ends[i]);
        if (n <= el || memcmp(stem + n - el, ends[i], el) != 0) continue;
        stem[n - el] = '\0';
        if (igc_utf8_len(stem) >= 2 && known_word(e, lx, stem, n - el)) n -= el;
        break;
    }
    /* the stem as it is written: only when the text starts with it (normalisation
     * such as full-width letters may differ from the text) */
    if (n < strlen(out) && strncmp(out, w->norm, n) == 0) out[n] = '\0';
}

/* 1 when dictionary term id is listed under item ii. */
static int term_names_item(const igc_lexicon *lx, uint32_t id, int ii) {
    const igc_lex_term *t = igc_lexicon_term(lx, id);
    for (size_t k = 0; k < t->nitems; k++)
        if ((int)t->items[k] == ii) return 1;
    return 0;
}

/* Surface text of words [w0, w0 + n) when they come from one field, else of w0 alone. */
static void span_surface(const igc_engine_input *in, const query *q, size_t w0, size_t n, char *out, size_t outsz) {
    size_t last = w0 + (n ? n : 1) - 1;
    if (q->field[last] != q->field[w0]) last = w0;
    const char *fields[F_NFIELDS] = {in->ksic_name, in->main_product, in->product_use, in->tech_business_name};
    const char *src = fields[q->field[w0]];
    size_t a = q->w.w[w0].start, b = q->w.w[last].end;
    size_t len = b - a < outsz - 1 ? b - a : outsz - 1;
    while (len > 0 && len < b - a && ((unsigned char)src[a + len] & 0xC0) == 0x80) len--;
    memcpy(out, src + a, len);
    out[len] = '\0';
}

/* The item's dictionary terms found in the input (as written there), strongest first. */
static int explain_terms(const igc_engine *e, const igc_engine_input *in, const scoring *sc, int ii,
                         igc_engine_cand *c) {
    (void)e;
    c->nterms = 0;
    size_t nh = sc->hits.n;
    char *used = calloc(nh + 1, 1);
    if (!used) return IGC_ENOMEM;
    while (c->nterms < IGC_ENGINE_MAX_KW) {
        size_t best = nh;
        for (size_t h = 0; h < nh; h++)
            if (!used[h] && sc->hw[h] > 0 && term_names_item(sc->lx, sc->hits.h[h].term, ii) &&
                (best == nh || sc->hw[h] > sc->hw[best]))
                best = h;
        if (best == nh) break;
        used[best] = 1;
        char sf[160];
        const igc_lex_hit *x = &sc->hits.h[best];
        if (x->partial) {
            /* inside a compound: quote the term itself, not the whole word */
            snprintf(sf, sizeof sf, "%s", igc_lexicon_term(sc->lx, x->term)->text);
        } else {
            span_surface(in, &sc->q, x->word0, x->nwords, sf, sizeof sf);
        }
        int dup = 0;
        for (size_t k = 0; k < c->nterms; k++) dup |= strcmp(c->terms[k], sf) == 0;
        if (dup || !*sf) continue;
        if (!(c->terms[c->nterms] = igc_strdup(sf))) {
            free(used);
            return IGC_ENOMEM;
        }
        c->nterms++;
    }
    free(used);
    return 0;
}

/* What explain_keywords asks of each query word for every candidate, found once per
 * query: the first word of the same normalised form (a word in several fields counts
 * once), and whether the word may be a keyword at all (not generic, not a particle). */
typedef struct {
    uint32_t *same; /* [nw] */
    unsigned char *quotable; /* [nw] */
} word_info;

static int word_info_build(const query *q, word_info *wi) {
    size_t nw = q->w.n;
    uint64_t *h = malloc((nw + 1) * sizeof *h);
    wi->same = malloc((nw + 1) * sizeof *wi->same);
    wi->quotable = malloc(nw + 1);
    if (!h || !wi->same || !wi->quotable) {
        free(h), free(wi->same), free(wi->quotable);
        wi->same = NULL, wi->quotable = NULL;
        return IGC_ENOMEM;
    }
    for (size_t w = 0; w < nw; w++) {
        const char *norm = q->w.w[w].norm;
        h[w] = igc_hash64(norm, strlen(norm), 0);
        wi->same[w] = (uint32_t)w;
        for (size_t v = 0; v < w; v++)
            if (h[v] == h[w] && strcmp(q->w.w[v].norm, norm) == 0) {
                wi->same[w] = wi->same[v];
                break;
            }
        wi->quotable[w] = !generic_word(&q->w.w[w]) && !particle_only(norm);
    }
    free(h);
    return 0;
}

static void word_info_free(word_info *wi) { free(wi->same), free(wi->quotable); }

/* Per-word contribution to item ii: lexical match plus words shared with the
 * neighbours that carry the item. Fills the candidate's keywords. wi: what is known of
 * each query word (word_info_build); dcontrib: the words' parts of the cosine with the
 * item's closest sentence (NULL without the dense signal). */
static int explain_keywords(const igc_engine *e, const igc_engine_input *in, const scoring *sc, const word_info *wi,
                            const float *lexc, const float *dcontrib, int ii, igc_engine_cand *c) {
    const query *q = &sc->q;
    const nb *nbs = sc->nbs;
    size_t nnb = sc->nnb;
    double lex_max = sc->lex_max, wsum = sc->wsum;
    size_t nw = q->w.n;
    double *cw = calloc(nw ? nw : 1, sizeof *cw);
    if (!cw) return IGC_ENOMEM;
    const igc_engine_params *p = &e->p;
    /* the item's dictionary terms found in the input: the words an examiner looks for */
    for (size_t h = 0; h < sc->hits.n; h++) {
        if (sc->hw[h] <= 0 || !term_names_item(sc->lx, sc->hits.h[h].term, ii)) continue;
        for (uint32_t k = 0; k < sc->hits.h[h].nwords; k++)
            cw[sc->hits.h[h].word0 + k] += p->wf[IGC_FT_TERM] * sc->hw[h];
    }
    if (dcontrib)
        for (size_t w = 0; w < nw; w++)
            if (dcontrib[w] > 0) cw[w] += p->wf[IGC_FT_DENSE] * dcontrib[w];
    if (p->use[IGC_SIG_LEXICAL] && lex_max > 0)
        for (size_t f = 0; f < q->f.n; f++) cw[q->f.f[f].word] += p->wf[IGC_FT_LEX] * lexc[f] / lex_max;
    if (p->use[IGC_SIG_KNN] && wsum > 0) {
        for (size_t k = 0; k < nnb; k++) {
            const exemplar *x = &e->ex[nbs[k].idx];
            if (x->label[0] != ii && x->label[1] != ii && x->label[2] != ii) continue;
            for (size_t f = 0; f < q->f.n; f++)
                if (q->f.f[f].kind != IGC_FEAT_BI && has_feat(x->feats, x->nfeats, q->f.f[f].id))
                    cw[q->f.f[f].word] += p->wf[IGC_FT_KNN] * nbs[k].w / wsum * 0.2;
        }
    }
    c->nkeywords = 0;
    for (size_t pick = 0; pick < IGC_ENGINE_MAX_KW; pick++) {
        size_t best = nw;
        for (size_t w = 0; w < nw; w++)
            if (cw[w] > 1e-6 && (best == nw || cw[w] > cw[best])) best = w;
        if (best == nw) break;
        cw[best] = 0;
        if (!wi->quotable[best]) {
            pick--;
            continue;
        }
        char sf[128];
        keyword_text(e, sc->lx, in, q, best, sf, sizeof sf);
        int dup = 0;
        for (size_t k = 0; k < c->nkeywords; k++) dup |= strcmp(c->keywords[k], sf) == 0;
        /* The same word in several fields counts once. */
        for (size_t w = 0; w < nw; w++)
            if (wi->same[w] == wi->same[best]) cw[w] = 0;
        if (dup) {
            pick--;
            continue;
        }
        if (!(c->keywords[c->nkeywords] = igc_strdup(sf))) {
            free(cw);
            return IGC_ENOMEM;
        }
        c->nkeywords++;
    }
    free(cw);
    return 0;
}

/* A query feature's weight for quoting: idf x field/kind weight, summed over its
 * occurrences. Sorted by id so that a sentence is matched by one merge. */
typedef struct {
    uint64_t id;
    double w;
} qweight;

static int cmp_qweight(const void *a, const void *b) {
    uint64_t x = ((const qweight *)a)->id, y = ((const qweight *)b)->id;
    return x < y ? -1 : x > y;
}

/* The query's non-bigram features merged by id into out (room for q->f.n); returns the count. */
static size_t query_weights(const igc_engine *e, const query *q, qweight *out) {
    size_t n = 0;
    for (size_t f = 0; f < q->f.n; f++)
        if (q->f.f[f].kind != IGC_FEAT_BI) out[n++] = (qweight){q->f.f[f].id, q->fw[f]};
    qsort(out, n, sizeof *out, cmp_qweight);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && out[m - 1].id == out[i].id) out[m - 1].w += out[i].w;
        else out[m++] = out[i];
    }
    for (size_t i = 0; i < m; i++) out[i].w *= lex_idf(e->items_lex, out[i].id);
    return m;
}

/* What 분류근거 needs of a classification's scoring, kept with a result whose bases
 * are written later (IGC_ENGINE_DEFER_BASIS). */
struct igc_engine_why {
    qweight *qw; /* the query's weights for quoting (query_weights) */
    size_t nqw;
    int group;   /* KSIC group, -1 when unknown */
    nb *nbs;     /* the neighbours, as in scoring */
    size_t nnb;
    igc_lexicon *lx; /* the dictionary the classification held (a reference) */
};

static void why_free(struct igc_engine_why *w) {
    if (!w) return;
    free(w->qw);
    free(w->nbs);
    igc_lexicon_unref(w->lx);
    free(w);
}

/* 분류근거: the item sentence that shares most with the input, the similar past
 * judgments that carry the item, and the KSIC group's history. */
static int explain_basis(const igc_engine *e, const struct igc_engine_why *why, const igc_engine_result *r,
                         size_t ci) {
    igc_engine_cand *c = (igc_engine_cand *)&r->cands[ci];
    int ii = (int)(c->item - e->tx->items), group = why->group;
    const nb *nbs = why->nbs;
    size_t nnb = why->nnb;
    const qweight *qw = why->qw;
    size_t nqw = why->nqw;
    const igc_ksic_match *km = &r->ksic;
    const item_text *t = &e->itext[ii];
    /* the sentence sharing the most with the query (idf-weighted) among those that meet
     * it in a word of their own (a generic word met is no reason to quote); quoted
     * around that word's heaviest feature */
    size_t bs = t->nsent, at = SIZE_MAX;
    int whole = 0;
    double best = 0;
    for (size_t s = 0; s < t->nsent; s++) {
        const uint64_t *sf = t->sfeat[s];
        const uint32_t *sp = t->spos[s];
        double ms = 0, mw = 0;
        uint32_t mp = 0;
        for (size_t a = 0, b = 0; a < nqw && b < t->nsfeat[s];) {
            if (qw[a].id < sf[b]) {
                a++;
            } else if (qw[a].id > sf[b]) {
                b++;
            } else {
                if (!(sp[b] & SPOS_GENERIC) && qw[a].w > mw) mw = qw[a].w, mp = sp[b];
                ms += qw[a++].w, b++;
            }
        }
        if (mw > 0 && ms > best) best = ms, bs = s, at = mp >> 2, whole = (mp & SPOS_WHOLE) != 0;
    }
    igc_buf b = {0};
    const igc_tx_item *it = &e->tx->items[ii];
    if (c->nterms) {
        igc_buf_puts(&b, "");
        for (size_t k = 0; k < c->nterms && k < 3; k++) igc_buf_printf(&b, "%s'%s'", k ? ", " : "", c->terms[k]);
        igc_buf_printf(&b, "은(는) 품목 '%s'의 색인어입니다. ", it->name);
    }
    if (at != SIZE_MAX) {
        /* Quote about 60 characters around the word that meets the input (a long
         * sentence's opening may share nothing with it), from up to 15 before it. */
        const char *sent = t->sent[bs];
        size_t from = at, back = 0;
        while (from > 0 && back < 15) {
            do from--;
            while (from > 0 && ((unsigned char)sent[from] & 0xC0) == 0x80);
            back++;
        }
        size_t bytes = 0, chars = 0;
        while (sent[from + bytes] && chars < 60) {
            uint32_t cp;
            int k = igc_utf8_decode(sent + from + bytes, strlen(sent + from + bytes), &cp);
            bytes += k > 0 ? (size_t)k : 1;
            chars++;
        }
        igc_buf_printf(&b, "품목 '%s'의 정의·예시 중 \"%s%.*s%s\" 부분이 입력 내용과 %s.", it->name, from ? "…" : "",
                       (int)bytes, sent + from, sent[from + bytes] ? "…" : "",
                       whole ? "같은 낱말로 일치합니다" : "낱말 일부가 겹칩니다");
    } else if (c->sig[IGC_SIG_DENSE] > 0) {
        igc_buf_printf(&b, "품목 '%s'의 정의와 의미상 유사합니다(문장 임베딩 유사도 %.2f).", it->name,
                       c->sig[IGC_SIG_DENSE]);
    } else {
        igc_buf_printf(&b, "품목 '%s'과(와) 직접 일치하는 표현은 적습니다.", it->name);
    }
    int shown = 0;
    for (size_t k = 0; k < nnb && shown < 2; k++) {
        const exemplar *x = &e->ex[nbs[k].idx];
        if (x->label[0] != ii && x->label[1] != ii && x->label[2] != ii) continue;
        igc_buf_printf(&b, "%s%s(유사도 %.2f)", shown ? ", " : " 유사 판별 이력: ", x->company, nbs[k].sim);
        shown++;
    }
    if (shown) igc_buf_puts(&b, "이(가) 같은 품목으로 판별되었습니다.");
    if (group >= 0) {
        /* firms, not label weights: "5개사 중 1개사" is what an examiner can check */
        unsigned tot = e->nfirms3[group], with = e->firms3[(size_t)group * (e->tx->nitems + 1) + (size_t)ii];
        if (tot >= 3 && with * 10 >= tot)
            igc_buf_printf(&b, " 같은 업종(%03d %s)의 판별 이력 %u개사 중 %u개사가 이 품목으로 판별되었습니다.", group,
                           km->first ? km->first->grp3_name : "", tot, with);
    }
    /* an item easily mixed up with another shown candidate: the dictionary's cue */
    const igc_lex_item *li = why->lx ? igc_lexicon_item(why->lx, (size_t)ii) : NULL;
    for (size_t k = 0; li && k < li->nconfusable; k++) {
        int also = 0;
        for (size_t o = 0; o < r->ncands && o < 3; o++) also |= o != ci && r->cands[o].item == li->confusable[k].item;
        if (!also) continue;
        igc_buf_printf(&b, " '%s'과(와) 구분: %s", li->confusable[k].item->name, li->confusable[k].cue);
        break;
    }
    if (!b.data) return IGC_ENOMEM;
    c->basis = b.data;
    return 0;
}

static int classify(const igc_engine *e, const igc_engine_input *in, const dense_pre *pre, const char *exclude_key,
                    int retrain_text, int flags, igc_engine_result *r);

int igc_engine_classify(const igc_engine *e, const igc_engine_input *in, const char *exclude_key,
                        igc_engine_result *r) {
    return classify(e, in, NULL, exclude_key, 1, 0, r);
}

int igc_engine_classify_ex(const igc_engine *e, const igc_engine_input *in, const char *exclude_key, int flags,
                           igc_engine_result *r) {
    return classify(e, in, NULL, exclude_key, 1, flags, r);
}

int igc_engine_classify_in(const igc_engine *e, const igc_engine_input *in, const igc_engine_batch *b, size_t i,
                           const char *exclude_key, int flags, igc_engine_result *r) {
    if (!b) return classify(e, in, NULL, exclude_key, !(flags & IGC_ENGINE_STORED), flags, r);
    if (b->e != e || i >= b->n) return IGC_EINVAL;
    /* an exemplar or case added since: the products are not this engine's any more */
    if (b->gen != e->gen || b->nvec != e->nvec || b->ncs != e->ncs) return IGC_ESTATE;
    dense_pre pre;
    if (e->has_enc) pre = batch_slot(b, i);
    return classify(e, in, e->has_enc ? &pre : NULL, exclude_key, !(flags & IGC_ENGINE_STORED), flags, r);
}

int igc_engine_classify_stored(const igc_engine *e, const igc_engine_input *in, const char *key,
                               igc_engine_result *r) {
    return classify(e, in, NULL, key, 0, 0, r);
}

int igc_engine_result_basis(const igc_engine *e, igc_engine_result *r, size_t c) {
    if (c >= r->ncands) return IGC_EINVAL;
    if (r->cands[c].basis) return 0;
    if (!r->why) return IGC_ESTATE;
    return explain_basis(e, r->why, r, c);
}

/* The input's words that the item texts, the cases or the past judgments also hold
 * (generic words such as 제조 or 기타, and single syllables, left out, as they are from
 * the keywords), plus its dictionary terms and cues: 0 means the answer rests on
 * fragments of unknown words and the KSIC code alone. */
static size_t known_words(const igc_engine *e, const scoring *sc) {
    size_t n = sc->hits.n + sc->cues.n;
    for (size_t i = 0; i < sc->q.w.n && !n; i++) {
        const igc_word *w = &sc->q.w.w[i];
        if (generic_word(w)) continue;
        uint64_t id = igc_text_feat_id(IGC_FEAT_WORD, w->norm, strlen(w->norm));
        n += lex_idf(e->items_lex, id) > 0 || (e->cs_lex && lex_idf(e->cs_lex, id) > 0) ||
             (e->ex_lex && lex_idf(e->ex_lex, id) > 0);
    }
    return n;
}

static int classify(const igc_engine *e, const igc_engine_input *in, const dense_pre *pre, const char *exclude_key,
                    int retrain_text, int flags, igc_engine_result *r) {
    memset(r, 0, sizeof *r);
    const igc_engine_params *p = &e->p;
    size_t ni = e->tx->nitems;
    scoring sc;
    int rc = score_items(e, in, pre, exclude_key, retrain_text, &r->ksic, &sc);
    if (rc) return rc;
    double *prob = calloc(ni, sizeof *prob);
    float *lexc = calloc(sc.q.f.n + 1, sizeof *lexc);
    qweight *qw = malloc((sc.q.f.n + 1) * sizeof *qw);
    if (!prob || !lexc || !qw) {
        rc = IGC_ENOMEM;
        goto done;
    }
    /* log-linear item model: softmax over items of the weighted features */
    double zmax = -1e300, zsum = 0;
    for (size_t i = 0; i < ni; i++) {
        double z = 0;
        for (int f = 0; f < IGC_FT_N; f++)
            if (p->use[igc_engine_feature_signal[f]]) z += p->wf[f] * sc.feat[i * IGC_FT_N + f];
        prob[i] = z;
        zmax = z > zmax ? z : zmax;
    }
    for (size_t i = 0; i < ni; i++) zsum += (prob[i] = exp(prob[i] - zmax));
    for (size_t i = 0; i < ni; i++) prob[i] /= zsum;
    for (size_t i = 0; i < ni; i++) {
        size_t n = r->ncands;
        if (n == IGC_ENGINE_MAX_CANDS && prob[i] <= r->cands[n - 1].score) continue;
        if (n < IGC_ENGINE_MAX_CANDS) r->ncands++;
        size_t j = r->ncands - 1;
        while (j > 0 && r->cands[j - 1].score < prob[i]) r->cands[j] = r->cands[j - 1], j--;
        igc_engine_cand *c = &r->cands[j];
        memset(c, 0, sizeof *c);
        const float *ft = sc.feat + i * IGC_FT_N;
        c->item = &e->tx->items[i];
        c->score = prob[i];
        c->sig[IGC_SIG_LEXICAL] = ft[IGC_FT_LEX];
        c->sig[IGC_SIG_DENSE] = ft[IGC_FT_DENSE];
        c->sig[IGC_SIG_KNN] = ft[IGC_FT_KNN];
        c->sig[IGC_SIG_PRIOR] = p->use[IGC_SIG_PRIOR] && e->nex ? exp(ft[IGC_FT_PRIOR]) : 0;
        /* the item's term score relative to the best item's */
        c->sig[IGC_SIG_LEXICON] = sc.na[IGC_NA_TERM] > 0 ? expm1(ft[IGC_FT_TERM]) / expm1(sc.na[IGC_NA_TERM]) : 0;
        c->sig[IGC_SIG_CASES] = ft[IGC_FT_CASE_KNN];
    }
    r->gap = r->ncands > 1 ? r->cands[0].score - r->cands[1].score : r->ncands ? r->cands[0].score : 0;
    snprintf(r->lexicon_version, sizeof r->lexicon_version, "%s", sc.lx ? igc_lexicon_version(sc.lx) : "none");
    if (sc.cues.n) {
        /* the longest cue found says the most */
        const char *best = NULL;
        for (size_t h = 0; h < sc.cues.n; h++) {
            const char *cue = igc_lexicon_cue(sc.lx, sc.cues.h[h].term, NULL);
            if (cue && (!best || strlen(cue) > strlen(best))) best = cue;
        }
        snprintf(r->na_cue, sizeof r->na_cue, "%s", best ? best : "");
    }
    /* applicability */
    sc.na[IGC_NA_TOP] = r->ncands ? r->cands[0].score : 0;
    double z = p->na_bias;
    for (int k = 0; k < IGC_NA_N; k++) z += p->na_w[k] * sc.na[k];
    /* shown to examiners: the dense neighbours' share, or the lexical one without a model */
    r->na_knn = e->has_enc && e->nex ? sc.na[IGC_NA_KNN] : sc.na[IGC_NA_KNN_LEX];
    r->na_prior = sc.na[IGC_NA_PRIOR];
    r->lex_max = sc.lex_max;
    r->known_words = known_words(e, &sc);
    r->dense_max = sc.dense_max;
    r->p_applicable = sc.q.f.n ? sigmoid(z) : 0;
    r->applicable = r->p_applicable >= p->apply_threshold && r->ncands > 0;
    /* Unsure: the applicability decision is close, or an applicable answer's best item
     * has little probability: an operating point igc tune chooses on history. */
    r->needs_review = fabs(r->p_applicable - p->apply_threshold) < p->review_margin ||
                      (r->applicable && r->cands[0].score < p->review_min_score);
    /* neighbours and explanations */
    for (size_t j = 0; j < sc.nnb && r->nneighbors < IGC_ENGINE_MAX_NEIGHBORS; j++) {
        const exemplar *x = &e->ex[sc.nbs[j].idx];
        igc_engine_neighbor *n = &r->neighbors[r->nneighbors++];
        n->key = x->key;
        n->company = x->company;
        n->label = x->label[0] >= 0 ? e->tx->items[x->label[0]].code : NULL;
        n->none_reason = x->none_reason;
        n->sim = sc.nbs[j].sim;
    }
    if (flags & IGC_ENGINE_NO_EXPLAIN) goto done;
    size_t nqw = query_weights(e, &sc.q, qw);
    /* what 분류근거 needs, kept with the result (qw moved, the neighbours copied) */
    struct igc_engine_why *why = calloc(1, sizeof *why);
    if (!why) {
        rc = IGC_ENOMEM;
        goto done;
    }
    *why = (struct igc_engine_why){qw, nqw, sc.group, malloc((sc.nnb + 1) * sizeof *sc.nbs), sc.nnb,
                                   sc.lx ? igc_lexicon_ref(sc.lx) : NULL};
    qw = NULL;
    r->why = why;
    if (!why->nbs) {
        rc = IGC_ENOMEM;
        goto done;
    }
    memcpy(why->nbs, sc.nbs, sc.nnb * sizeof *sc.nbs);
    /* the words that made each candidate's cosine with its closest item sentence: one
     * call to the encoder for all candidates */
    size_t nw = sc.q.w.n;
    float *dcontrib = NULL;
    if (sc.qv && p->use[IGC_SIG_DENSE] && e->nvec && nw && e->enc->explain && r->ncands) {
        size_t d = (size_t)e->enc->dim;
        float *targets = malloc(r->ncands * d * sizeof *targets);
        double qnorm = norm_above(sc.qv, d);
        dcontrib = calloc(r->ncands * nw, sizeof *dcontrib);
        for (size_t c = 0; targets && dcontrib && c < r->ncands; c++) {
            int ii = (int)(r->cands[c].item - e->tx->items);
            size_t best = e->item_vec0[ii];
            double bs = -2;
            /* The sentence of largest dot product summed in double, in sentence order,
             * ties to the first. Only those whose float cosine is within the float
             * rounding of the best float cosine can be it (a float dot of d terms is
             * off by at most d 2^-24 |q| |x|): the others are not summed again. */
            float fmax = -INFINITY;
            for (size_t v = e->item_vec0[ii]; sc.sims && v < e->item_vec0[ii + 1]; v++)
                fmax = sc.sims[v] > fmax ? sc.sims[v] : fmax;
            double margin = 2.0 * (double)d * 0x1p-23 * qnorm * e->item_vec_maxnorm;
            for (size_t v = e->item_vec0[ii]; v < e->item_vec0[ii + 1]; v++) {
                if (sc.sims && (double)sc.sims[v] < (double)fmax - margin) continue;
                const float *iv = e->item_vecs + v * d;
                double dot = 0;
                for (size_t k = 0; k < d; k++) dot += sc.qv[k] * iv[k]; /* a float product, as before */
                if (dot > bs) bs = dot, best = v;
            }
            if (e->item_vec0[ii] == e->item_vec0[ii + 1]) memset(targets + c * d, 0, d * sizeof *targets);
            else memcpy(targets + c * d, e->item_vecs + best * d, d * sizeof *targets);
        }
        if (!targets || !dcontrib || e->enc->explain(e->enc, &sc.q.w, targets, r->ncands, dcontrib) != 0) {
            free(dcontrib);
            dcontrib = NULL;
        }
        free(targets);
    }
    word_info wi;
    rc = word_info_build(&sc.q, &wi);
    for (size_t c = 0; c < r->ncands && !rc; c++) {
        int ii = (int)(r->cands[c].item - e->tx->items);
        lex_contrib(e->items_lex, &sc.q.f, sc.q.fw, (uint32_t)ii, lexc);
        if (sc.lx) rc = explain_terms(e, in, &sc, ii, &r->cands[c]);
        if (!rc) rc = explain_keywords(e, in, &sc, &wi, lexc, dcontrib ? dcontrib + c * nw : NULL, ii, &r->cands[c]);
        if (!rc && !(flags & IGC_ENGINE_DEFER_BASIS)) rc = explain_basis(e, why, r, c);
    }
    word_info_free(&wi);
    if (!(flags & IGC_ENGINE_DEFER_BASIS)) {
        why_free(r->why);
        r->why = NULL;
    }
    free(dcontrib);
done:
    free(prob), free(lexc), free(qw);
    scoring_free(&sc);
    if (rc) igc_engine_result_free(r);
    return rc;
}

void igc_engine_result_free(igc_engine_result *r) {
    for (size_t c = 0; c < IGC_ENGINE_MAX_CANDS; c++) {
        for (size_t k = 0; k < r->cands[c].nkeywords; k++) free(r->cands[c].keywords[k]);
        r->cands[c].nkeywords = 0;
        for (size_t k = 0; k < r->cands[c].nterms; k++) free(r->cands[c].terms[k]);
        r->cands[c].nterms = 0;
        free(r->cands[c].basis);
        r->cands[c].basis = NULL;
    }
    r->ncands = 0;
    why_free(r->why);
    r->why = NULL;
}
