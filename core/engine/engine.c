#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "igc_base.h"
#include "igc_engine.h"
#include "igc_index.h"
#include "lexical.h"

const char *const igc_engine_signal_names[IGC_SIG_N] = {"lexical", "dense", "knn", "ksic_prior"};

/* Weight of each input field in the query: products and the technology name say
 * most; the KSIC name only says where to look. */
enum { F_KSIC_NAME, F_MAIN_PRODUCT, F_PRODUCT_USE, F_TECH_NAME, F_NFIELDS };
static const float field_weight[F_NFIELDS] = {0.5f, 1.0f, 0.8f, 1.0f};
/* Whole words are stronger evidence than the syllable n-grams they contain. */
static float kind_weight(int kind) { return kind == IGC_FEAT_WORD ? 1.0f : kind == IGC_FEAT_TRI ? 0.7f : 0.4f; }

#define NGROUPS 1000 /* 3-digit KSIC groups */
#define MAX_SENT 64  /* item sentences kept for 분류근거 */

typedef struct {
    char *key, *company, *text;
    int label[3];      /* item index or -1 */
    char *none_reason; /* NULL when labelled */
    int group;         /* 3-digit KSIC group or -1 */
    uint64_t *feats;   /* sorted unique feature ids, for keyword overlap */
    size_t nfeats;
} exemplar;

typedef struct {
    char **sent;
    uint64_t **sfeat; /* sorted unique word/trigram features of each sentence */
    size_t *nsfeat;
    size_t nsent;
} item_text;

struct igc_engine {
    int refs;
    igc_taxonomy *tx;
    const igc_ksic *ksic;
    const igc_encoder *enc; /* borrowed */
    int has_enc;
    igc_engine_params p;
    char factory[64];
    lex_index *items_lex;
    item_text *itext;
    igc_index *item_vidx;   /* vectors of item texts */
    int *vec_item;          /* vector id -> item index */
    size_t nvec;
    exemplar *ex;
    size_t nex, excap;
    lex_index *ex_lex;
    igc_index *ex_vidx;
    float *cnt3;            /* [NGROUPS][nitems+1], last column = none */
    float *cnt_item;        /* [nitems+1] */
    float total;
    char version[256];
};

/* ---------------- parameters ---------------- */

void igc_engine_params_default(igc_engine_params *p) {
    memset(p, 0, sizeof *p);
    p->w[IGC_SIG_LEXICAL] = 0.35;
    p->w[IGC_SIG_DENSE] = 0.25;
    p->w[IGC_SIG_KNN] = 0.25;
    p->w[IGC_SIG_PRIOR] = 0.15;
    for (int i = 0; i < IGC_SIG_N; i++) p->use[i] = 1;
    p->na_bias = 0.5;
    p->na_w_knn = -2.5;
    p->na_w_prior = -2.5;
    p->na_w_lex = 0.3;
    p->na_w_dense = 1.0;
    p->apply_threshold = 0.5;
    p->review_gap = 0.05;
    p->knn_k = 10;
    p->prior_alpha = 3.0;
}

static const struct {
    const char *name;
    size_t off;
} param_fields[] = {
    {"w_lexical", offsetof(igc_engine_params, w[IGC_SIG_LEXICAL])},
    {"w_dense", offsetof(igc_engine_params, w[IGC_SIG_DENSE])},
    {"w_knn", offsetof(igc_engine_params, w[IGC_SIG_KNN])},
    {"w_ksic_prior", offsetof(igc_engine_params, w[IGC_SIG_PRIOR])},
    {"na_bias", offsetof(igc_engine_params, na_bias)},
    {"na_w_knn", offsetof(igc_engine_params, na_w_knn)},
    {"na_w_prior", offsetof(igc_engine_params, na_w_prior)},
    {"na_w_lex", offsetof(igc_engine_params, na_w_lex)},
    {"na_w_dense", offsetof(igc_engine_params, na_w_dense)},
    {"apply_threshold", offsetof(igc_engine_params, apply_threshold)},
    {"review_gap", offsetof(igc_engine_params, review_gap)},
    {"prior_alpha", offsetof(igc_engine_params, prior_alpha)},
};

int igc_engine_params_load(const char *path, igc_engine_params *p) {
    char *txt;
    size_t len;
    int rc = igc_read_file(path, &txt, &len);
    if (rc) return rc;
    cJSON *o = cJSON_ParseWithLength(txt, len);
    free(txt);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return IGC_EPARSE;
    }
    for (size_t i = 0; i < sizeof param_fields / sizeof param_fields[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, param_fields[i].name);
        if (cJSON_IsNumber(v)) *(double *)((char *)p + param_fields[i].off) = v->valuedouble;
    }
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "knn_k");
    if (cJSON_IsNumber(k) && k->valueint > 0 && k->valueint <= 100) p->knn_k = k->valueint;
    cJSON_Delete(o);
    return 0;
}

int igc_engine_params_save(const char *path, const igc_engine_params *p) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return IGC_ENOMEM;
    for (size_t i = 0; i < sizeof param_fields / sizeof param_fields[0]; i++)
        cJSON_AddNumberToObject(o, param_fields[i].name, *(const double *)((const char *)p + param_fields[i].off));
    cJSON_AddNumberToObject(o, "knn_k", p->knn_k);
    char *txt = cJSON_Print(o);
    cJSON_Delete(o);
    if (!txt) return IGC_ENOMEM;
    int rc = igc_write_file_atomic(path, txt, strlen(txt));
    free(txt);
    return rc;
}

/* ---------------- helpers ---------------- */

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
            size_t *nn = nf ? realloc(t->nsfeat, (t->nsent + 1) * sizeof *nn) : NULL;
            if (ns) t->sent = ns;
            if (nf) t->sfeat = nf;
            if (nn) t->nsfeat = nn;
            igc_feats f = {0};
            uint64_t *ids = NULL;
            if (nn && !igc_text_features_of(s, &f) && (ids = malloc((f.n + 1) * sizeof *ids))) {
                size_t u = 0;
                for (size_t i = 0; i < f.n; i++)
                    if (f.f[i].kind != IGC_FEAT_BI) ids[u++] = f.f[i].id;
                qsort(ids, u, sizeof *ids, cmp_u64);
                t->sent[t->nsent] = s;
                t->sfeat[t->nsent] = ids;
                t->nsfeat[t->nsent] = u;
                t->nsent++;
                igc_text_feats_free(&f);
            } else {
                igc_text_feats_free(&f);
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

static int add_item_vectors(igc_engine *e, size_t ii, const char *text) {
    igc_words w = {0};
    int rc = igc_text_words(text, &w);
    if (rc || !w.n) {
        igc_text_words_free(&w);
        return rc;
    }
    float *v = malloc((size_t)e->enc->dim * sizeof *v);
    if (!v) {
        igc_text_words_free(&w);
        return IGC_ENOMEM;
    }
    rc = encode(e, &w, v, NULL);
    igc_text_words_free(&w);
    if (rc == IGC_ENOTFOUND) {
        free(v);
        return 0;
    }
    if (!rc) rc = igc_index_add(e->item_vidx, v, 1);
    free(v);
    if (rc) return rc;
    int *vi = realloc(e->vec_item, (e->nvec + 1) * sizeof *vi);
    if (!vi) return IGC_ENOMEM;
    e->vec_item = vi;
    e->vec_item[e->nvec++] = (int)ii;
    return 0;
}

static int build_items(igc_engine *e) {
    const igc_taxonomy *t = e->tx;
    int rc = lex_new(1.2, 0.5, &e->items_lex);
    if (rc) return rc;
    if (!(e->itext = calloc(t->nitems, sizeof *e->itext))) return IGC_ENOMEM;
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
        free(fw);
        igc_text_words_free(&w);
        igc_text_feats_free(&f);
        if (!rc) rc = split_sentences(it->definition, "\n", &e->itext[i]);
        if (!rc) rc = split_sentences(it->examples, ",\n", &e->itext[i]);
        if (rc) return rc;
        if (e->has_enc) {
            /* Several vectors per item: its name, name + definition, each example sentence. */
            if ((rc = add_item_vectors(e, i, it->name))) return rc;
            igc_buf b = {0};
            igc_buf_printf(&b, "%s %s", it->name, it->definition);
            rc = add_item_vectors(e, i, b.data ? b.data : "");
            igc_buf_free(&b);
            if (rc) return rc;
            for (size_t s = 0; s < e->itext[i].nsent; s++)
                if ((rc = add_item_vectors(e, i, e->itext[i].sent[s]))) return rc;
        }
    }
    lex_finish(e->items_lex);
    return 0;
}

int igc_engine_new(igc_taxonomy *tx, const igc_ksic *ksic, const igc_encoder *enc,
                   const igc_engine_params *p, const char *index_factory, igc_engine **out) {
    *out = NULL;
    if (!tx) return IGC_EINVAL;
    igc_engine *e = calloc(1, sizeof *e);
    if (!e) return IGC_ENOMEM;
    e->refs = 1;
    e->tx = igc_taxonomy_ref(tx);
    e->ksic = ksic;
    if (p) e->p = *p;
    else igc_engine_params_default(&e->p);
    snprintf(e->factory, sizeof e->factory, "%s", index_factory && *index_factory ? index_factory : "Flat");
    int rc = 0;
    if (enc && enc->encode_words && enc->dim > 0) {
        e->enc = enc;
        e->has_enc = 1;
        igc_index_opts io = {"Flat", -1};
        /* Item vectors are few (a few thousand): always exact. */
        if ((rc = igc_index_new(enc->dim, &io, &e->item_vidx)) == 0) {
            io.factory = e->factory;
            rc = igc_index_new(enc->dim, &io, &e->ex_vidx);
        }
    }
    if (!rc) rc = build_items(e);
    if (!rc) rc = lex_new(1.2, 0.75, &e->ex_lex);
    size_t ni = tx->nitems + 1;
    if (!rc && (!(e->cnt3 = calloc(NGROUPS * ni, sizeof *e->cnt3)) || !(e->cnt_item = calloc(ni, sizeof *e->cnt_item))))
        rc = IGC_ENOMEM;
    if (rc) {
        igc_engine_unref(e);
        return rc;
    }
    lex_finish(e->ex_lex);
    snprintf(e->version, sizeof e->version, "igc-engine/1 lexical%s+knn+ksic_prior%s%s%s", e->has_enc ? "+dense" : "",
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
    lex_free(e->ex_lex);
    igc_index_free(e->item_vidx);
    igc_index_free(e->ex_vidx);
    if (e->itext) {
        for (size_t i = 0; i < e->tx->nitems; i++) {
            for (size_t s = 0; s < e->itext[i].nsent; s++) free(e->itext[i].sent[s]), free(e->itext[i].sfeat[s]);
            free(e->itext[i].sent);
            free(e->itext[i].sfeat);
            free(e->itext[i].nsfeat);
        }
        free(e->itext);
    }
    for (size_t i = 0; i < e->nex; i++) {
        exemplar *x = &e->ex[i];
        free(x->key), free(x->company), free(x->text), free(x->none_reason), free(x->feats);
    }
    free(e->ex);
    free(e->vec_item);
    free(e->cnt3);
    free(e->cnt_item);
    igc_taxonomy_unref(e->tx);
    free(e);
}

int igc_engine_add_exemplar(igc_engine *e, const igc_exemplar *x) {
    int lab[3] = {-1, -1, -1}, nl = 0;
    for (int k = 0; k < 3; k++) {
        int li = item_index(e, x->labels[k]);
        if (li >= 0) lab[nl++] = li;
    }
    int is_none = x->none_reason && *x->none_reason;
    if (!nl && !is_none) return IGC_ENOTFOUND;
    if (nl) is_none = 0;
    query q;
    int rc = query_build(&x->in, &q);
    if (rc || !q.f.n) {
        query_free(&q);
        return rc ? rc : IGC_EINVAL;
    }
    if (e->nex == e->excap) {
        size_t cap = e->excap ? e->excap * 2 : 256;
        exemplar *n = realloc(e->ex, cap * sizeof *n);
        if (!n) {
            query_free(&q);
            return IGC_ENOMEM;
        }
        e->ex = n;
        e->excap = cap;
    }
    exemplar *ex = &e->ex[e->nex];
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
        rc = lex_add(e->ex_lex, &q.f, q.fw, NULL);
    }
    if (!rc && e->has_enc) {
        float *v = calloc((size_t)e->enc->dim, sizeof *v);
        if (!v) rc = IGC_ENOMEM;
        else {
            /* A text with no known feature still gets a (zero) vector so ids stay aligned. */
            int erc = encode(e, &q.w, v, NULL);
            if (erc && erc != IGC_ENOTFOUND) rc = erc;
            if (!rc) rc = igc_index_add(e->ex_vidx, v, 1);
            free(v);
        }
    }
    query_free(&q);
    if (rc) {
        free(ex->key), free(ex->company), free(ex->none_reason), free(ex->feats);
        return rc;
    }
    e->nex++;
    lex_finish(e->ex_lex);
    size_t ni = e->tx->nitems + 1;
    float share = nl ? 1.0f / (float)nl : 1.0f;
    for (int k = 0; k < 3; k++)
        if (lab[k] >= 0) {
            if (ex->group >= 0) e->cnt3[(size_t)ex->group * ni + (size_t)lab[k]] += share;
            e->cnt_item[lab[k]] += share;
        }
    if (is_none) {
        if (ex->group >= 0) e->cnt3[(size_t)ex->group * ni + ni - 1] += 1;
        e->cnt_item[ni - 1] += 1;
    }
    e->total += 1;
    return 0;
}

size_t igc_engine_exemplar_count(const igc_engine *e) { return e->nex; }
igc_taxonomy *igc_engine_taxonomy(const igc_engine *e) { return e->tx; }
const igc_engine_params *igc_engine_get_params(const igc_engine *e) { return &e->p; }
const char *igc_engine_version(const igc_engine *e) { return e->version; }
const char *igc_engine_index_desc(const igc_engine *e) { return e->ex_vidx ? igc_index_describe(e->ex_vidx) : "none"; }
size_t igc_engine_label_count(const igc_engine *e, const igc_tx_item *it) {
    return it ? (size_t)(e->cnt_item[it - e->tx->items] + 0.5f) : 0;
}
size_t igc_engine_none_count(const igc_engine *e) { return (size_t)e->cnt_item[e->tx->nitems]; }

/* ---------------- classification ---------------- */

typedef struct {
    int idx;
    double sim, w;
} nb;

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* Surface text of word wi (its span in the field it came from), into out. */
static void surface(const igc_engine_input *in, const query *q, size_t wi, char *out, size_t outsz) {
    const char *fields[F_NFIELDS] = {in->ksic_name, in->main_product, in->product_use, in->tech_business_name};
    const char *src = fields[q->field[wi]];
    size_t a = q->w.w[wi].start, b = q->w.w[wi].end;
    size_t n = b - a < outsz - 1 ? b - a : outsz - 1;
    memcpy(out, src + a, n);
    out[n] = '\0';
}

/* Per-word contribution to item ii: lexical match plus words shared with the
 * neighbours that carry the item. Fills the candidate's keywords. */
static int explain_keywords(const igc_engine *e, const igc_engine_input *in, const query *q, const float *lexc,
                            double lex_max, const nb *nbs, size_t nnb, double wsum, int ii, igc_engine_cand *c) {
    size_t nw = q->w.n;
    double *cw = calloc(nw ? nw : 1, sizeof *cw);
    if (!cw) return IGC_ENOMEM;
    const igc_engine_params *p = &e->p;
    if (p->use[IGC_SIG_LEXICAL] && lex_max > 0)
        for (size_t f = 0; f < q->f.n; f++) cw[q->f.f[f].word] += p->w[IGC_SIG_LEXICAL] * lexc[f] / lex_max;
    if (p->use[IGC_SIG_KNN] && wsum > 0) {
        for (size_t k = 0; k < nnb; k++) {
            const exemplar *x = &e->ex[nbs[k].idx];
            if (x->label[0] != ii && x->label[1] != ii && x->label[2] != ii) continue;
            for (size_t f = 0; f < q->f.n; f++)
                if (q->f.f[f].kind != IGC_FEAT_BI && has_feat(x->feats, x->nfeats, q->f.f[f].id))
                    cw[q->f.f[f].word] += p->w[IGC_SIG_KNN] * nbs[k].w / wsum * 0.2;
        }
    }
    c->nkeywords = 0;
    for (size_t pick = 0; pick < IGC_ENGINE_MAX_KW; pick++) {
        size_t best = nw;
        for (size_t w = 0; w < nw; w++)
            if (cw[w] > 1e-6 && (best == nw || cw[w] > cw[best])) best = w;
        if (best == nw) break;
        cw[best] = 0;
        if (igc_text_is_stopword(q->w.w[best].norm) || (igc_utf8_len(q->w.w[best].norm) < 2 && q->w.w[best].hangul)) {
            pick--;
            continue;
        }
        char sf[128];
        surface(in, q, best, sf, sizeof sf);
        int dup = 0;
        for (size_t k = 0; k < c->nkeywords; k++) dup |= strcmp(c->keywords[k], sf) == 0;
        /* The same word in several fields counts once. */
        for (size_t w = 0; w < nw; w++)
            if (strcmp(q->w.w[w].norm, q->w.w[best].norm) == 0) cw[w] = 0;
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

/* 분류근거: the item sentence that shares most with the input, the similar past
 * judgments that carry the item, and the KSIC group's history. */
static int explain_basis(const igc_engine *e, const query *q, const nb *nbs, size_t nnb, int ii, int group,
                         const igc_ksic_match *km, igc_engine_cand *c) {
    const item_text *t = &e->itext[ii];
    double best = 0;
    size_t bs = t->nsent;
    for (size_t s = 0; s < t->nsent; s++) {
        double sc = 0;
        for (size_t f = 0; f < q->f.n; f++)
            if (q->f.f[f].kind != IGC_FEAT_BI && has_feat(t->sfeat[s], t->nsfeat[s], q->f.f[f].id))
                sc += lex_idf(e->items_lex, q->f.f[f].id) * q->fw[f];
        if (sc > best) best = sc, bs = s;
    }
    igc_buf b = {0};
    const igc_tx_item *it = &e->tx->items[ii];
    if (bs < t->nsent) {
        /* Quote at most ~60 characters of the sentence. */
        const char *sent = t->sent[bs];
        size_t bytes = 0, chars = 0;
        while (sent[bytes] && chars < 60) {
            uint32_t cp;
            int k = igc_utf8_decode(sent + bytes, strlen(sent + bytes), &cp);
            bytes += k > 0 ? (size_t)k : 1;
            chars++;
        }
        igc_buf_printf(&b, "품목 '%s'의 정의·예시 중 \"%.*s%s\" 부분과 입력 내용이 일치합니다.", it->name, (int)bytes,
                       sent, sent[bytes] ? "…" : "");
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
        size_t ni = e->tx->nitems + 1;
        double tot = 0;
        for (size_t j = 0; j < ni; j++) tot += e->cnt3[(size_t)group * ni + j];
        double share = tot > 0 ? e->cnt3[(size_t)group * ni + (size_t)ii] / tot : 0;
        if (tot >= 3 && share >= 0.1)
            igc_buf_printf(&b, " 같은 업종(%03d %s)의 판별 이력 %.0f건 중 %.0f%%가 이 품목입니다.", group,
                           km->first ? km->first->grp3_name : "", tot, share * 100);
    }
    if (!b.data) return IGC_ENOMEM;
    c->basis = b.data;
    return 0;
}

static int cmp_nb(const void *a, const void *b) {
    double x = ((const nb *)a)->sim, y = ((const nb *)b)->sim;
    return x < y ? 1 : x > y ? -1 : 0;
}

int igc_engine_classify(const igc_engine *e, const igc_engine_input *in, const char *exclude_key,
                        igc_engine_result *r) {
    memset(r, 0, sizeof *r);
    const igc_engine_params *p = &e->p;
    size_t ni = e->tx->nitems;
    query q;
    int rc = query_build(in, &q);
    if (rc) {
        query_free(&q);
        return rc;
    }
    int group = ksic_group(e->ksic, in->ksic_code, &r->ksic);
    float *lex = calloc(ni, sizeof *lex), *dense = calloc(ni, sizeof *dense), *knn = calloc(ni, sizeof *knn);
    float *prior = calloc(ni, sizeof *prior), *lexc = calloc(q.f.n + 1, sizeof *lexc);
    double *fused = calloc(ni, sizeof *fused);
    float *qv = e->has_enc ? calloc((size_t)e->enc->dim, sizeof *qv) : NULL;
    size_t kk = (size_t)p->knn_k + 1;
    nb *nbs = calloc(kk, sizeof *nbs);
    if (!lex || !dense || !knn || !prior || !lexc || !fused || !nbs || (e->has_enc && !qv)) {
        rc = IGC_ENOMEM;
        goto done;
    }
    /* lexical */
    double lex_max = 0;
    lex_score(e->items_lex, &q.f, q.fw, lex);
    for (size_t i = 0; i < ni; i++) lex_max = lex[i] > lex_max ? lex[i] : lex_max;
    /* dense */
    double dense_max = 0;
    int have_qv = e->has_enc && encode(e, &q.w, qv, NULL) == 0;
    if (have_qv && e->nvec) {
        int k = (int)(e->nvec < 4096 ? e->nvec : 4096);
        float *sims = malloc((size_t)k * sizeof *sims);
        int64_t *ids = malloc((size_t)k * sizeof *ids);
        if (!sims || !ids || igc_index_search(e->item_vidx, qv, 1, k, sims, ids)) {
            free(sims), free(ids);
            rc = sims && ids ? IGC_EINVAL : IGC_ENOMEM;
            goto done;
        }
        for (int j = 0; j < k; j++) {
            if (ids[j] < 0) continue;
            int ii = e->vec_item[ids[j]];
            float s = sims[j] > 0 ? sims[j] : 0;
            if (s > dense[ii]) dense[ii] = s;
        }
        free(sims), free(ids);
        for (size_t i = 0; i < ni; i++) dense_max = dense[i] > dense_max ? dense[i] : dense_max;
    }
    /* knn over past judgments: dense when an encoder is present, else lexical */
    size_t nnb = 0;
    if (e->nex) {
        if (have_qv) {
            int k = (int)(kk < e->nex ? kk : e->nex);
            float sims[128];
            int64_t ids[128];
            if (k > 128) k = 128;
            if (igc_index_search(e->ex_vidx, qv, 1, k, sims, ids)) {
                rc = IGC_EINVAL;
                goto done;
            }
            for (int j = 0; j < k; j++)
                if (ids[j] >= 0) nbs[nnb++] = (nb){(int)ids[j], sims[j], 0};
        } else {
            float *es = calloc(e->nex, sizeof *es);
            if (!es) {
                rc = IGC_ENOMEM;
                goto done;
            }
            lex_score(e->ex_lex, &q.f, q.fw, es);
            double m = 0;
            for (size_t i = 0; i < e->nex; i++) m = es[i] > m ? es[i] : m;
            for (size_t i = 0; i < e->nex; i++) {
                if (es[i] <= 0) continue;
                double s = es[i] / (m + 1e-9);
                if (nnb < kk) nbs[nnb++] = (nb){(int)i, s, 0};
                else if (s > nbs[kk - 1].sim) nbs[kk - 1] = (nb){(int)i, s, 0};
                else continue;
                qsort(nbs, nnb, sizeof *nbs, cmp_nb);
            }
            free(es);
        }
        /* drop the excluded exemplar, keep knn_k */
        size_t o = 0;
        for (size_t j = 0; j < nnb; j++)
            if (!exclude_key || strcmp(e->ex[nbs[j].idx].key, exclude_key) != 0) nbs[o++] = nbs[j];
        nnb = o < (size_t)p->knn_k ? o : (size_t)p->knn_k;
    }
    double wsum = 0, na_w = 0;
    for (size_t j = 0; j < nnb; j++) {
        /* Softmax-like weights: close neighbours dominate. */
        nbs[j].w = exp((nbs[j].sim - (nnb ? nbs[0].sim : 0)) / 0.1);
        wsum += nbs[j].w;
        const exemplar *x = &e->ex[nbs[j].idx];
        if (x->none_reason) {
            na_w += nbs[j].w;
            continue;
        }
        /* The primary label counts fully, the alternatives an examiner would accept half. */
        for (int k = 0; k < 3; k++)
            if (x->label[k] >= 0) knn[x->label[k]] += (float)(nbs[j].w * (k == 0 ? 1.0 : 0.5));
    }
    if (wsum > 0)
        for (size_t i = 0; i < ni; i++) knn[i] = (float)(knn[i] / wsum);
    r->na_knn = wsum > 0 ? na_w / wsum : 0.5;
    /* KSIC prior, minus the excluded exemplar's own contribution */
    double na_prior = 0.5;
    {
        const float *row = group >= 0 ? e->cnt3 + (size_t)group * (ni + 1) : NULL;
        double tot = 0, alpha = p->prior_alpha, gtot = e->total > 0 ? e->total : 1;
        const exemplar *self = NULL;
        if (exclude_key)
            for (size_t i = 0; i < e->nex && !self; i++)
                if (strcmp(e->ex[i].key, exclude_key) == 0) self = &e->ex[i];
        if (row)
            for (size_t j = 0; j <= ni; j++) tot += row[j];
        int self_in = self && self->group == group && row;
        if (self_in) tot -= 1;
        double pmax = 0;
        for (size_t i = 0; i < ni; i++) {
            double c = row ? row[i] : 0;
            if (self_in) {
                int nl = (self->label[0] >= 0) + (self->label[1] >= 0) + (self->label[2] >= 0);
                for (int k = 0; k < 3; k++)
                    if (self->label[k] == (int)i) c -= 1.0 / nl;
            }
            double g = (e->cnt_item[i] + 0.1) / (gtot + 0.1 * (double)ni);
            prior[i] = (float)((c + alpha * g) / (tot + alpha));
            pmax = prior[i] > pmax ? prior[i] : pmax;
        }
        for (size_t i = 0; i < ni && pmax > 0; i++) prior[i] = (float)(prior[i] / pmax);
        double cn = row ? row[ni] : 0;
        if (self_in && self->none_reason) cn -= 1;
        double gnone = (e->cnt_item[ni] + 1) / (gtot + 2);
        na_prior = (cn + alpha * gnone) / (tot + alpha);
    }
    r->na_prior = na_prior;
    r->lex_max = lex_max;
    r->dense_max = dense_max;
    /* fuse */
    double wtot = 0;
    for (int s = 0; s < IGC_SIG_N; s++)
        if (p->use[s] && (s != IGC_SIG_DENSE || have_qv)) wtot += p->w[s];
    if (wtot <= 0) wtot = 1;
    for (size_t i = 0; i < ni; i++) {
        double sig[IGC_SIG_N] = {lex_max > 0 ? lex[i] / lex_max : 0, dense[i], knn[i], prior[i]};
        double f = 0;
        for (int s = 0; s < IGC_SIG_N; s++)
            if (p->use[s]) f += p->w[s] * sig[s];
        fused[i] = f / wtot;
    }
    /* top candidates */
    for (size_t i = 0; i < ni; i++) {
        size_t n = r->ncands;
        if (n == IGC_ENGINE_MAX_CANDS && fused[i] <= r->cands[n - 1].score) continue;
        if (n < IGC_ENGINE_MAX_CANDS) r->ncands++;
        size_t j = r->ncands - 1;
        while (j > 0 && r->cands[j - 1].score < fused[i]) r->cands[j] = r->cands[j - 1], j--;
        igc_engine_cand *c = &r->cands[j];
        memset(c, 0, sizeof *c);
        c->item = &e->tx->items[i];
        c->score = fused[i];
        c->sig[IGC_SIG_LEXICAL] = lex_max > 0 ? lex[i] / lex_max : 0;
        c->sig[IGC_SIG_DENSE] = dense[i];
        c->sig[IGC_SIG_KNN] = knn[i];
        c->sig[IGC_SIG_PRIOR] = prior[i];
    }
    r->gap = r->ncands > 1 ? r->cands[0].score - r->cands[1].score : r->ncands ? r->cands[0].score : 0;
    /* applicability */
    double z = p->na_bias;
    if (p->use[IGC_SIG_KNN] && e->nex) z += p->na_w_knn * r->na_knn;
    if (p->use[IGC_SIG_PRIOR] && e->nex) z += p->na_w_prior * na_prior;
    if (p->use[IGC_SIG_LEXICAL]) z += p->na_w_lex * log1p(lex_max);
    if (p->use[IGC_SIG_DENSE] && have_qv) z += p->na_w_dense * dense_max;
    r->p_applicable = q.f.n ? sigmoid(z) : 0;
    r->applicable = r->p_applicable >= p->apply_threshold && r->ncands > 0;
    r->needs_review = r->gap < p->review_gap || fabs(r->p_applicable - p->apply_threshold) < 0.1;
    /* neighbours and explanations */
    for (size_t j = 0; j < nnb && r->nneighbors < IGC_ENGINE_MAX_NEIGHBORS; j++) {
        const exemplar *x = &e->ex[nbs[j].idx];
        igc_engine_neighbor *n = &r->neighbors[r->nneighbors++];
        n->key = x->key;
        n->company = x->company;
        n->label = x->label[0] >= 0 ? e->tx->items[x->label[0]].code : NULL;
        n->none_reason = x->none_reason;
        n->sim = nbs[j].sim;
    }
    for (size_t c = 0; c < r->ncands && !rc; c++) {
        int ii = (int)(r->cands[c].item - e->tx->items);
        lex_contrib(e->items_lex, &q.f, q.fw, (uint32_t)ii, lexc);
        rc = explain_keywords(e, in, &q, lexc, lex[ii], nbs, nnb, wsum, ii, &r->cands[c]);
        if (!rc) rc = explain_basis(e, &q, nbs, nnb, ii, group, &r->ksic, &r->cands[c]);
    }
done:
    free(lex), free(dense), free(knn), free(prior), free(lexc), free(fused), free(qv), free(nbs);
    query_free(&q);
    if (rc) igc_engine_result_free(r);
    return rc;
}

void igc_engine_result_free(igc_engine_result *r) {
    for (size_t c = 0; c < IGC_ENGINE_MAX_CANDS; c++) {
        for (size_t k = 0; k < r->cands[c].nkeywords; k++) free(r->cands[c].keywords[k]);
        r->cands[c].nkeywords = 0;
        free(r->cands[c].basis);
        r->cands[c].basis = NULL;
    }
    r->ncands = 0;
}
