/*
 * Tests of the retrieval engine against the real taxonomy, KSIC tables and labelled
 * history (../shared/data). Item codes are read from those files at run time.
 * Dense vectors come from a tiny deterministic hashing encoder defined here, so the
 * tests never depend on a trained model.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igc_base.h"
#include "igc_engine.h"
#include "igc_test.h"

/* Sanitizer builds run several times slower: scale time limits. */
#if defined(__SANITIZE_ADDRESS__)
#define SLOWDOWN 6
#else
#define SLOWDOWN 1
#endif

/* ------------------------------------------------------------------ fixtures */

typedef struct {
    char *uid, *company, *ksic_code, *ksic_name, *main_product, *product_use, *tech_name, *tech_class;
    char *label[3], *none_reason;
    char *words; /* sorted unique normalised words of the text fields, for spotting twins */
    int nvalid;     /* labels that exist in the taxonomy */
    const igc_tx_item *l1; /* first valid label */
} row;

static igc_taxonomy *g_tx;
static igc_ksic *g_ks;
static row *g_rows;
static size_t g_nrows;
static igc_engine *g_full;     /* all history, no encoder, committed */
static igc_engine *g_full_enc; /* all history, test encoder, committed */

/* ---- test encoder: signed feature hashing into TDIM dimensions, L2-normalised ---- */
#define TDIM 16

static void tenc_word_vec(const igc_words *w, size_t wi, float *u) {
    memset(u, 0, TDIM * sizeof *u);
    igc_words one = {&w->w[wi], 1, 1};
    igc_feats f = {0};
    if (igc_text_features(&one, 0, &f)) return;
    for (size_t i = 0; i < f.n; i++) {
        uint64_t h = f.f[i].id * 0x9E3779B97F4A7C15ULL;
        float wt = f.f[i].kind == IGC_FEAT_WORD ? 1.0f : 0.5f;
        for (int k = 0; k < 2; k++) {
            size_t d = (size_t)(h >> (8 * k)) % TDIM;
            u[d] += ((h >> (40 + k)) & 1) ? wt : -wt;
        }
    }
    igc_text_feats_free(&f);
}

static int tenc_encode_words(const igc_encoder *e, const igc_words *w, float *out, float *contrib) {
    (void)e;
    memset(out, 0, TDIM * sizeof *out);
    float u[TDIM];
    double tot = 0;
    for (size_t i = 0; i < w->n; i++) {
        tenc_word_vec(w, i, u);
        double m = 0;
        for (int d = 0; d < TDIM; d++) out[d] += u[d], m += fabs(u[d]);
        if (contrib) contrib[i] = (float)m;
        tot += m;
    }
    double n = 0;
    for (int d = 0; d < TDIM; d++) n += (double)out[d] * out[d];
    if (contrib)
        for (size_t i = 0; i < w->n; i++) contrib[i] = tot > 0 ? (float)(contrib[i] / tot) : 0;
    if (n <= 0) return IGC_ENOTFOUND;
    n = sqrt(n);
    for (int d = 0; d < TDIM; d++) out[d] = (float)(out[d] / n);
    return 0;
}

static int tenc_encode(const igc_encoder *e, const char *text, float *out) {
    igc_words w = {0};
    int rc = igc_text_words(text, &w);
    if (!rc) rc = tenc_encode_words(e, &w, out, NULL);
    igc_text_words_free(&w);
    return rc;
}

static int tenc_explain(const igc_encoder *e, const igc_words *w, const float *targets, size_t ntargets,
                        float *contrib) {
    float v[TDIM], u[TDIM];
    (void)e;
    memset(v, 0, sizeof v);
    for (size_t i = 0; i < w->n; i++) {
        tenc_word_vec(w, i, u);
        for (int d = 0; d < TDIM; d++) v[d] += u[d];
    }
    double n = 0;
    for (int d = 0; d < TDIM; d++) n += (double)v[d] * v[d];
    n = n > 0 ? sqrt(n) : 1;
    for (size_t t = 0; t < ntargets; t++)
        for (size_t i = 0; i < w->n; i++) {
            tenc_word_vec(w, i, u);
            double dot = 0;
            for (int d = 0; d < TDIM; d++) dot += (double)u[d] * targets[t * TDIM + (size_t)d];
            contrib[t * w->n + i] = (float)(dot / n);
        }
    return 0;
}

static void tenc_destroy(igc_encoder *e) { (void)e; }

static const igc_encoder g_tenc = {"testhash", TDIM, "testhash-1/d16", NULL, tenc_encode, tenc_encode_words,
                                   tenc_explain, tenc_destroy};

/* ---- data ---- */

static char *dupe(const char *s) { return igc_strdup(s ? s : ""); }

static void free_rows(void) {
    for (size_t i = 0; i < g_nrows; i++) {
        row *r = &g_rows[i];
        free(r->uid), free(r->company), free(r->ksic_code), free(r->ksic_name), free(r->main_product);
        free(r->product_use), free(r->tech_name), free(r->tech_class), free(r->none_reason), free(r->words);
        for (int k = 0; k < 3; k++) free(r->label[k]);
    }
    free(g_rows);
    g_rows = NULL;
    g_nrows = 0;
}

static void cleanup(void) {
    igc_engine_unref(g_full);
    igc_engine_unref(g_full_enc);
    g_full = g_full_enc = NULL;
    free_rows();
    igc_ksic_free(g_ks);
    igc_taxonomy_unref(g_tx);
    g_ks = NULL;
    g_tx = NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "w1 w2 ..." of the row's text fields, sorted and unique: two rows with the same
 * words are the same text to every signal. */
static char *word_set(const row *r) {
    igc_words w = {0};
    const char *f[4] = {r->ksic_name, r->main_product, r->product_use, r->tech_name};
    for (int i = 0; i < 4; i++) igc_text_words(f[i], &w);
    char **v = malloc((w.n + 1) * sizeof *v);
    for (size_t i = 0; i < w.n; i++) v[i] = w.w[i].norm;
    qsort(v, w.n, sizeof *v, cmp_str);
    igc_buf b = {0};
    igc_buf_puts(&b, "");
    for (size_t i = 0; i < w.n; i++)
        if (!i || strcmp(v[i], v[i - 1]) != 0) igc_buf_printf(&b, "%s ", v[i]);
    free(v);
    igc_text_words_free(&w);
    return b.data;
}

static int load_rows(const char *path) {
    igc_csv *c;
    if (igc_csv_open(path, &c)) return -1;
    char **f;
    size_t nf;
    if (igc_csv_next(c, &f, &nf) != 1) {
        igc_csv_close(c);
        return -1;
    }
    const char *names[] = {"uid", "company", "ksic_code", "ksic_name", "main_product", "product_use",
                           "tech_business_name", "tech_class", "label1", "label2", "label3", "none_reason"};
    int col[12];
    for (int i = 0; i < 12; i++)
        if ((col[i] = igc_csv_col(c, names[i])) < 0) {
            igc_csv_close(c);
            return -1;
        }
    size_t cap = 0;
    while (igc_csv_next(c, &f, &nf) == 1) {
        if (g_nrows == cap) {
            cap = cap ? cap * 2 : 256;
            g_rows = realloc(g_rows, cap * sizeof *g_rows);
        }
        row *r = &g_rows[g_nrows++];
        memset(r, 0, sizeof *r);
#define FLD(i) ((size_t)col[i] < nf ? f[col[i]] : "")
        r->uid = dupe(FLD(0)), r->company = dupe(FLD(1)), r->ksic_code = dupe(FLD(2)), r->ksic_name = dupe(FLD(3));
        r->main_product = dupe(FLD(4)), r->product_use = dupe(FLD(5)), r->tech_name = dupe(FLD(6));
        r->tech_class = dupe(FLD(7));
        for (int k = 0; k < 3; k++) r->label[k] = dupe(FLD(8 + k));
        r->none_reason = dupe(FLD(11));
#undef FLD
        r->words = word_set(r);
        for (int k = 0; k < 3; k++) {
            const igc_tx_item *it = *r->label[k] ? igc_taxonomy_item(g_tx, r->label[k]) : NULL;
            if (it) {
                r->nvalid++;
                if (!r->l1) r->l1 = it;
            }
        }
    }
    igc_csv_close(c);
    return 0;
}

/* Loads taxonomy, KSIC and history once; 0 when ready. */
static int fixtures(void) {
    static int state; /* 0 not tried, 1 ok, -1 failed */
    if (state) return state > 0 ? 0 : -1;
    state = -1;
    atexit(cleanup);
    const char *dir = igc_test_data_dir();
    char p[1024];
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", dir);
    igc_buf err = {0};
    if (igc_taxonomy_load(p, &g_tx, &err)) {
        fprintf(stderr, "  taxonomy: %s\n", err.data ? err.data : "?");
        igc_buf_free(&err);
        return -1;
    }
    igc_buf_free(&err);
    if (igc_ksic_load(dir, &g_ks)) return -1;
    snprintf(p, sizeof p, "%s/labeled/history.csv", dir);
    if (load_rows(p) || g_nrows < 100) return -1;
    state = 1;
    return 0;
}

static igc_engine_input row_input(const row *r) {
    return (igc_engine_input){r->company, r->ksic_code, r->ksic_name, r->main_product, r->product_use, r->tech_name,
                              r->tech_class};
}

static igc_exemplar row_exemplar(const row *r) {
    igc_exemplar x = {0};
    x.key = r->uid;
    x.in = row_input(r);
    for (int k = 0; k < 3; k++) x.labels[k] = r->label[k];
    x.none_reason = r->none_reason;
    return x;
}

static int row_is_none(const row *r) { return !r->nvalid && *r->none_reason; }

/* The labelled files repeat some firms' texts, as real records do (35 texts in
 * history, 8 of them with different judgments): a verbatim query may find such a
 * twin before the row itself. */
static int same_text(const row *a, const row *b) {
    return strcmp(a->ksic_code, b->ksic_code) == 0 && strcmp(a->words, b->words) == 0;
}

static const row *row_by_uid(const char *uid) {
    for (size_t i = 0; i < g_nrows; i++)
        if (strcmp(g_rows[i].uid, uid) == 0) return &g_rows[i];
    return NULL;
}

/* 1 when neighbour key names the row itself or a row with the same text. */
static int is_self_or_twin(const row *rw, const char *key) {
    const row *o = row_by_uid(key);
    return o && (o == rw || same_text(o, rw));
}

/* 1 when another row has the same text and a different judgment, or when the row
 * has no text of its own (no product, use or technology: only its KSIC name, which
 * many firms share). */
static int ambiguous_text(const row *rw) {
    if (!*rw->main_product && !*rw->product_use && !*rw->tech_name) return 1;
    for (size_t i = 0; i < g_nrows; i++) {
        const row *o = &g_rows[i];
        if (o == rw || !same_text(o, rw)) continue;
        if (!o->nvalid != !rw->nvalid || o->l1 != rw->l1) return 1;
    }
    return 0;
}

static int row_has_label(const row *r, const igc_tx_item *it) {
    for (int k = 0; k < 3; k++)
        if (*r->label[k] && strcmp(r->label[k], it->code) == 0) return 1;
    return 0;
}

/* Engine over the whole history except row `skip` (-1: none); NULL on failure. */
static igc_engine *build(const igc_encoder *enc, const igc_engine_params *p, long skip, int commit) {
    igc_engine *e;
    if (igc_engine_new(g_tx, g_ks, enc, p, NULL, NULL, &e)) return NULL;
    for (size_t i = 0; i < g_nrows; i++) {
        if ((long)i == skip) continue;
        igc_exemplar x = row_exemplar(&g_rows[i]);
        int rc = igc_engine_add_exemplar(e, &x);
        if (rc && rc != IGC_ENOTFOUND && rc != IGC_EINVAL) {
            fprintf(stderr, "  add_exemplar(%s): %d\n", g_rows[i].uid, rc);
            igc_engine_unref(e);
            return NULL;
        }
    }
    if (commit && igc_engine_commit(e)) {
        igc_engine_unref(e);
        return NULL;
    }
    return e;
}

static igc_engine *full(void) {
    if (!g_full) g_full = build(NULL, NULL, -1, 1);
    return g_full;
}

static igc_engine *full_enc(void) {
    if (!g_full_enc) g_full_enc = build(&g_tenc, NULL, -1, 1);
    return g_full_enc;
}

static size_t rank_of(const igc_engine_result *r, const igc_tx_item *it) {
    for (size_t c = 0; c < r->ncands; c++)
        if (r->cands[c].item == it) return c + 1;
    return 0;
}

/* ---- result invariants: returns the number of violations (printing the first few) ---- */

static int is_hangul_text(const char *s) {
    size_t n = strlen(s), i = 0;
    while (i < n) {
        uint32_t cp;
        int k = igc_utf8_decode(s + i, n - i, &cp);
        if (k <= 0) return 0;
        if (cp >= 0xAC00 && cp <= 0xD7A3) return 1;
        i += (size_t)k;
    }
    return 0;
}

static int g_report_left = 12;
#define VIOL(...)                                                                                   \
    do {                                                                                            \
        bad++;                                                                                      \
        if (g_report_left > 0) g_report_left--, fprintf(stderr, "  violation: " __VA_ARGS__), fputc('\n', stderr); \
    } while (0)

static int check_result(const igc_engine *e, const igc_engine_input *in, const char *exclude,
                        const igc_engine_result *r) {
    int bad = 0;
    const igc_taxonomy *tx = igc_engine_taxonomy(e);
    const igc_engine_params *p = igc_engine_get_params(e);
    size_t want = tx->nitems < IGC_ENGINE_MAX_CANDS ? tx->nitems : IGC_ENGINE_MAX_CANDS;
    if (r->ncands > IGC_ENGINE_MAX_CANDS || r->ncands != want) VIOL("ncands %zu", r->ncands);
    double sum = 0;
    for (size_t c = 0; c < r->ncands && c < IGC_ENGINE_MAX_CANDS; c++) {
        const igc_engine_cand *cd = &r->cands[c];
        if (!cd->item || cd->item < tx->items || cd->item >= tx->items + tx->nitems) {
            VIOL("cand %zu: item outside taxonomy", c);
            continue;
        }
        if (!(cd->score >= 0 && cd->score <= 1)) VIOL("cand %zu score %g", c, cd->score);
        if (c && cd->score > r->cands[c - 1].score) VIOL("cand %zu not sorted", c);
        for (size_t d = 0; d < c; d++)
            if (r->cands[d].item == cd->item) VIOL("cand %zu duplicates %zu", c, d);
        sum += cd->score;
        for (int s = 0; s < IGC_SIG_N; s++)
            if (!(cd->sig[s] >= 0 && cd->sig[s] <= 1)) VIOL("cand %zu (%s) sig[%s] = %.9g", c, cd->item->code,
                                                            igc_engine_signal_names[s], cd->sig[s]);
        if (cd->nkeywords > IGC_ENGINE_MAX_KW) VIOL("cand %zu nkeywords %zu", c, cd->nkeywords);
        for (size_t k = 0; k < cd->nkeywords && k < IGC_ENGINE_MAX_KW; k++) {
            const char *kw = cd->keywords[k];
            if (!kw || !*kw) {
                VIOL("cand %zu keyword %zu empty", c, k);
                continue;
            }
            if (!igc_utf8_valid(kw, strlen(kw))) VIOL("keyword %zu of cand %zu is not valid UTF-8", k, c);
            const char *fields[] = {in->ksic_name, in->main_product, in->product_use, in->tech_business_name};
            int found = 0;
            for (int fi = 0; fi < 4 && !found; fi++) found = fields[fi] && strstr(fields[fi], kw);
            if (!found) VIOL("keyword '%s' is not in the input", kw);
            igc_words w = {0};
            if (igc_text_words(kw, &w) == 0 && w.n >= 1) {
                for (size_t j = 0; j < w.n; j++)
                    if (igc_text_is_stopword(w.w[j].norm)) VIOL("keyword '%s' is a stop word", kw);
            } else {
                VIOL("keyword '%s' has no word", kw);
            }
            igc_text_words_free(&w);
            for (size_t j = 0; j < k; j++)
                if (cd->keywords[j] && strcmp(cd->keywords[j], kw) == 0) VIOL("keyword '%s' repeated", kw);
        }
        if (!cd->basis || !*cd->basis) VIOL("cand %zu: empty basis", c);
        else if (!igc_utf8_valid(cd->basis, strlen(cd->basis)) || !is_hangul_text(cd->basis))
            VIOL("cand %zu: basis not Korean UTF-8", c);
        else if (!strstr(cd->basis, cd->item->name))
            VIOL("cand %zu: basis does not name the item", c);
    }
    if (sum > 1 + 1e-9) VIOL("sum of scores %.12g > 1", sum);
    double gap = r->ncands > 1 ? r->cands[0].score - r->cands[1].score : r->ncands ? r->cands[0].score : 0;
    if (r->gap != gap) VIOL("gap %.17g != %.17g", r->gap, gap);
    if (!(r->p_applicable >= 0 && r->p_applicable <= 1)) VIOL("p_applicable %g", r->p_applicable);
    if (r->applicable != (r->p_applicable >= p->apply_threshold && r->ncands > 0)) VIOL("applicable inconsistent");
    if (r->applicable && r->ncands && r->cands[0].score < p->review_min_score && !r->needs_review)
        VIOL("rank-1 score %g below review_min_score without needs_review", r->cands[0].score);
    if (r->ksic.level != 0 && (r->ksic.level < 2 || r->ksic.level > 5)) VIOL("ksic level %d", r->ksic.level);
    if ((!in->ksic_code || !*in->ksic_code) && r->ksic.level != 0) VIOL("ksic resolved from nothing");
    if (!isfinite(r->na_knn) || !isfinite(r->na_prior) || !isfinite(r->lex_max) || !isfinite(r->dense_max))
        VIOL("evidence not finite");
    if (r->nneighbors > IGC_ENGINE_MAX_NEIGHBORS) VIOL("nneighbors %zu", r->nneighbors);
    for (size_t j = 0; j < r->nneighbors && j < IGC_ENGINE_MAX_NEIGHBORS; j++) {
        const igc_engine_neighbor *n = &r->neighbors[j];
        if (!n->key) VIOL("neighbour %zu without key", j);
        else if (exclude && strcmp(n->key, exclude) == 0) VIOL("neighbour %zu is the excluded key %s", j, exclude);
        if (!(n->sim >= -1 - 1e-5 && n->sim <= 1 + 1e-5)) VIOL("neighbour %zu sim %g", j, n->sim);
        if (!n->label == !n->none_reason) VIOL("neighbour %zu: exactly one of label/none_reason", j);
        if (n->label && !igc_taxonomy_item(tx, n->label)) VIOL("neighbour %zu: label %s not in taxonomy", j, n->label);
        for (size_t k = 0; k < j; k++)
            if (n->key && r->neighbors[k].key && strcmp(n->key, r->neighbors[k].key) == 0)
                VIOL("neighbour %s listed twice", n->key);
    }
    return bad;
}

/* 1 when two results are identical, bit for bit. */
static int same_result(const igc_engine_result *a, const igc_engine_result *b) {
    if (a->ncands != b->ncands || a->nneighbors != b->nneighbors || a->applicable != b->applicable ||
        a->needs_review != b->needs_review)
        return 0;
    if (memcmp(&a->p_applicable, &b->p_applicable, sizeof(double)) || memcmp(&a->gap, &b->gap, sizeof(double)) ||
        memcmp(&a->na_knn, &b->na_knn, sizeof(double)) || memcmp(&a->na_prior, &b->na_prior, sizeof(double)) ||
        memcmp(&a->lex_max, &b->lex_max, sizeof(double)) || memcmp(&a->dense_max, &b->dense_max, sizeof(double)))
        return 0;
    for (size_t c = 0; c < a->ncands; c++) {
        const igc_engine_cand *x = &a->cands[c], *y = &b->cands[c];
        if (strcmp(x->item->code, y->item->code) || memcmp(&x->score, &y->score, sizeof x->score) ||
            memcmp(x->sig, y->sig, sizeof x->sig) || x->nkeywords != y->nkeywords || strcmp(x->basis, y->basis))
            return 0;
        for (size_t k = 0; k < x->nkeywords; k++)
            if (strcmp(x->keywords[k], y->keywords[k])) return 0;
    }
    for (size_t j = 0; j < a->nneighbors; j++)
        if (strcmp(a->neighbors[j].key, b->neighbors[j].key) ||
            memcmp(&a->neighbors[j].sim, &b->neighbors[j].sim, sizeof(double)))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ tests */

TEST(construction_and_refs) {
    REQUIRE(fixtures() == 0);
    igc_engine *e = (igc_engine *)1;
    CHECK_EQ_INT(igc_engine_new(NULL, g_ks, NULL, NULL, NULL, NULL, &e), IGC_EINVAL);
    CHECK(e == NULL);

    /* The engine holds its own taxonomy reference. */
    char p[1024];
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", igc_test_data_dir());
    igc_taxonomy *tx;
    REQUIRE(igc_taxonomy_load(p, &tx, NULL) == 0);
    REQUIRE(igc_engine_new(tx, NULL, NULL, NULL, NULL, NULL, &e) == 0);
    igc_taxonomy_unref(tx);
    CHECK(igc_engine_taxonomy(e) == tx);
    CHECK_EQ_INT(igc_engine_exemplar_count(e), 0);
    CHECK_EQ_INT(igc_engine_none_count(e), 0);
    CHECK(strstr(igc_engine_version(e), "lexical") != NULL);
    CHECK(strstr(igc_engine_version(e), "dense") == NULL);
    CHECK_EQ_STR(igc_engine_index_desc(e), "none");
    igc_engine_params d;
    igc_engine_params_default(&d);
    CHECK(memcmp(igc_engine_get_params(e), &d, sizeof d) == 0);
    CHECK(igc_engine_ref(e) == e);
    igc_engine_unref(e);
    igc_engine_input in = {.main_product = tx->items[0].name};
    igc_engine_result r;
    CHECK(igc_engine_classify(e, &in, NULL, &r) == 0);
    CHECK(r.ncands > 0);
    CHECK(r.ksic.level == 0); /* no code given */
    igc_engine_result_free(&r);
    CHECK_EQ_INT(r.ncands, 0);
    igc_engine_result_free(&r); /* twice is harmless */
    igc_engine_unref(e);
    igc_engine_unref(NULL);
    CHECK(igc_engine_ref(NULL) == NULL);

    REQUIRE(igc_engine_new(g_tx, g_ks, &g_tenc, NULL, NULL, NULL, &e) == 0);
    CHECK(strstr(igc_engine_version(e), "dense") != NULL);
    CHECK(strstr(igc_engine_version(e), g_tenc.version) != NULL);
    CHECK(strcmp(igc_engine_index_desc(e), "none") != 0);
    igc_engine_unref(e);
}

/* Without exemplars only lexical evidence counts: an item's own name as the product
 * puts that item first. */
TEST(item_name_ranks_first) {
    REQUIRE(fixtures() == 0);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    size_t first = 0, top3 = 0, bad = 0, withkw = 0, tech1 = 0;
    for (size_t i = 0; i < g_tx->nitems; i++) {
        const igc_tx_item *it = &g_tx->items[i];
        igc_engine_input in = {.main_product = it->name};
        igc_engine_result r;
        if (igc_engine_classify(e, &in, NULL, &r)) {
            bad++;
            continue;
        }
        size_t rk = rank_of(&r, it);
        first += rk == 1;
        top3 += rk >= 1 && rk <= 3;
        withkw += r.cands[0].nkeywords > 0;
        if (rk != 1 && g_report_left > 0) {
            g_report_left--;
            fprintf(stderr, "  name of %s '%s' ranks %zu (first: %s '%s')\n", it->code, it->name, rk,
                    r.cands[0].item->code, r.cands[0].item->name);
        }
        bad += (size_t)check_result(e, &in, NULL, &r);
        CHECK(r.nneighbors == 0);
        CHECK(r.cands[0].sig[IGC_SIG_LEXICAL] > 0);
        igc_engine_result_free(&r);
        /* the name in the technology field works as well */
        in = (igc_engine_input){.tech_business_name = it->name};
        if (igc_engine_classify(e, &in, NULL, &r) == 0) {
            tech1 += rank_of(&r, it) == 1;
            igc_engine_result_free(&r);
        }
    }
    fprintf(stderr, "  item names: %zu/%zu first, %zu in top 3\n", first, g_tx->nitems, top3);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(first, g_tx->nitems);
    CHECK_EQ_INT(top3, g_tx->nitems);
    CHECK_EQ_INT(tech1, g_tx->nitems);
    /* the name's own words explain the match */
    CHECK(withkw * 100 >= g_tx->nitems * 95);
    igc_engine_unref(e);
}

TEST(exemplar_errors_and_counts) {
    REQUIRE(fixtures() == 0);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    size_t added = 0, none = 0;
    size_t *any = calloc(g_tx->nitems, sizeof *any);
    for (size_t i = 0; i < g_nrows; i++) {
        igc_exemplar x = row_exemplar(&g_rows[i]);
        int rc = igc_engine_add_exemplar(e, &x);
        if (g_rows[i].nvalid || *g_rows[i].none_reason) {
            if (rc) fprintf(stderr, "  row %s: %d\n", g_rows[i].uid, rc);
            CHECK_EQ_INT(rc, 0);
        } else {
            CHECK_EQ_INT(rc, IGC_ENOTFOUND);
        }
        if (rc) continue;
        added++;
        none += row_is_none(&g_rows[i]);
        for (size_t t = 0; t < g_tx->nitems; t++) any[t] += row_has_label(&g_rows[i], &g_tx->items[t]);
    }
    CHECK_EQ_INT(igc_engine_exemplar_count(e), added);
    CHECK_EQ_INT(igc_engine_none_count(e), none);
    CHECK(added >= g_nrows - 5);

    /* every item that some past judgment carries is counted */
    size_t missing = 0, with = 0;
    for (size_t t = 0; t < g_tx->nitems; t++) {
        size_t n = igc_engine_label_count(e, &g_tx->items[t]);
        with += any[t] > 0;
        if ((n > 0) != (any[t] > 0)) {
            if (missing++ < 5)
                fprintf(stderr, "  label_count(%s) = %zu but %zu rows carry it\n", g_tx->items[t].code, n, any[t]);
        }
        CHECK(n <= any[t]);
    }
    if (missing) fprintf(stderr, "  %zu of %zu labelled items get label_count 0\n", missing, with);
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(igc_engine_label_count(e, NULL), 0);

    /* items carried only as the primary label of single-label rows: exact counts */
    for (size_t t = 0; t < g_tx->nitems; t++) {
        size_t single = 0, other = 0;
        for (size_t i = 0; i < g_nrows; i++) {
            if (!row_has_label(&g_rows[i], &g_tx->items[t])) continue;
            if (g_rows[i].nvalid == 1) single++;
            else other++;
        }
        if (!other && single) CHECK_EQ_INT(igc_engine_label_count(e, &g_tx->items[t]), single);
    }

    /* duplicate key */
    const row *r0 = NULL;
    for (size_t i = 0; i < g_nrows && !r0; i++)
        if (g_rows[i].nvalid) r0 = &g_rows[i];
    REQUIRE(r0);
    igc_exemplar x = row_exemplar(r0);
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &x), IGC_EEXIST);
    x.labels[0] = x.labels[1] = x.labels[2] = NULL;
    x.none_reason = "not_innovation";
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &x), IGC_EEXIST);
    CHECK_EQ_INT(igc_engine_exemplar_count(e), added);

    /* no usable label and no none_reason: skipped, and the key stays free */
    x = row_exemplar(r0);
    x.key = "test:unlabelled";
    x.labels[0] = "NOT-A-CODE";
    x.labels[1] = "";
    x.labels[2] = NULL;
    x.none_reason = NULL;
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &x), IGC_ENOTFOUND);
    x.none_reason = "";
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &x), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_engine_exemplar_count(e), added);
    x.labels[1] = r0->l1->code;
    size_t before = igc_engine_label_count(e, r0->l1);
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &x), 0);
    CHECK_EQ_INT(igc_engine_label_count(e, r0->l1), before + 1);
    CHECK_EQ_INT(igc_engine_exemplar_count(e), added + 1);
    /* a not-applicable judgment counts as such even with junk labels */
    x.key = "test:none";
    x.labels[1] = NULL;
    x.none_reason = "wholesale_retail";
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &x), 0);
    CHECK_EQ_INT(igc_engine_none_count(e), none + 1);
    /* a text with no word at all */
    igc_exemplar blank = {.key = "test:blank", .in = {.main_product = " ,.; "}, .none_reason = "insufficient_info"};
    int rc = igc_engine_add_exemplar(e, &blank);
    CHECK(rc == 0 || rc == IGC_EINVAL);
    /* the same label twice counts once */
    igc_exemplar twice = row_exemplar(r0);
    twice.key = "test:twice";
    twice.labels[0] = twice.labels[1] = r0->l1->code;
    twice.labels[2] = NULL;
    before = igc_engine_label_count(e, r0->l1);
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &twice), 0);
    CHECK_EQ_INT(igc_engine_label_count(e, r0->l1), before + 1);
    free(any);
    igc_engine_unref(e);

    /* ... and does not push the neighbour vote of its item above 1 */
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &twice), 0);
    CHECK_EQ_INT(igc_engine_label_count(e, r0->l1), 1);
    igc_engine_input in = twice.in;
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    REQUIRE(igc_engine_features(e, &in, NULL, ft, na) == 0);
    size_t l = (size_t)(r0->l1 - g_tx->items);
    for (int f = IGC_FT_KNN; f <= IGC_FT_PROTO_LEX; f++)
        if (f != IGC_FT_PROTO_DENSE && !(ft[l * IGC_FT_N + f] <= 1.0f)) {
            fprintf(stderr, "  duplicated label: feature %s = %g\n", igc_engine_feature_names[f], ft[l * IGC_FT_N + f]);
            CHECK(ft[l * IGC_FT_N + f] <= 1.0f);
        }
    igc_engine_result r;
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    CHECK_EQ_INT(check_result(e, &in, NULL, &r), 0);
    igc_engine_result_free(&r);
    free(ft);
    igc_engine_unref(e);
}

/* A past judgment's text asked verbatim finds that judgment as nearest neighbour and
 * its label first. */
static void verbatim_case(igc_engine *e, const char *what) {
    size_t n = 0, hit1 = 0, any1 = 0, nb1 = 0, bad = 0;
    for (size_t i = 0; i < g_nrows; i++) {
        const row *rw = &g_rows[i];
        if (!rw->nvalid) continue;
        igc_engine_input in = row_input(rw);
        igc_engine_result r;
        REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
        n++;
        hit1 += r.ncands && r.cands[0].item == rw->l1;
        any1 += r.ncands && row_has_label(rw, r.cands[0].item);
        int found = 0;
        for (size_t j = 0; j < r.nneighbors; j++) found |= is_self_or_twin(rw, r.neighbors[j].key);
        nb1 += found;
        bad += (size_t)check_result(e, &in, NULL, &r);
        igc_engine_result_free(&r);
    }
    fprintf(stderr, "  %s: verbatim history text: label1 first %zu/%zu, any label first %zu, itself a neighbour %zu\n",
            what, hit1, n, any1, nb1);
    CHECK_EQ_INT(bad, 0);
    /* every judgment finds itself (or a twin with the same text); its labels win unless
     * near-identical texts carry other items (measured: about 95% lexical, 98% dense) */
    CHECK(nb1 == n);
    CHECK(any1 * 100 >= n * 90);
}

TEST(exemplar_verbatim_knn) {
    REQUIRE(fixtures() == 0);
    igc_engine *e = full();
    REQUIRE(e);
    verbatim_case(e, "lexical");
    /* the neighbour feature itself: the row's label has the largest lexical-knn vote */
    size_t n = 0, top = 0;
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    for (size_t i = 0; i < g_nrows; i += 7) {
        const row *rw = &g_rows[i];
        if (!rw->nvalid) continue;
        igc_engine_input in = row_input(rw);
        REQUIRE(igc_engine_features(e, &in, NULL, ft, na) == 0);
        size_t l = (size_t)(rw->l1 - g_tx->items), best = 0;
        for (size_t t = 1; t < g_tx->nitems; t++)
            if (ft[t * IGC_FT_N + IGC_FT_KNN_LEX] > ft[best * IGC_FT_N + IGC_FT_KNN_LEX]) best = t;
        n++;
        CHECK(ft[l * IGC_FT_N + IGC_FT_KNN_LEX] > 0);
        top += ft[l * IGC_FT_N + IGC_FT_KNN_LEX] >= ft[best * IGC_FT_N + IGC_FT_KNN_LEX];
    }
    CHECK(top * 100 >= n * 90);
    free(ft);
    REQUIRE(full_enc());
    verbatim_case(full_enc(), "dense");
}

/* exclude_key really leaves the judgment out of the neighbours. */
static void leave_one_out_case(igc_engine *e) {
    size_t tried = 0, was_there = 0, bad = 0;
    for (size_t i = 0; i < g_nrows; i += 3) {
        const row *rw = &g_rows[i];
        igc_engine_input in = row_input(rw);
        igc_engine_result r;
        REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
        for (size_t j = 0; j < r.nneighbors; j++) was_there += strcmp(r.neighbors[j].key, rw->uid) == 0;
        igc_engine_result_free(&r);
        REQUIRE(igc_engine_classify(e, &in, rw->uid, &r) == 0);
        tried++;
        for (size_t j = 0; j < r.nneighbors; j++)
            if (strcmp(r.neighbors[j].key, rw->uid) == 0) {
                bad++;
                fprintf(stderr, "  %s still among its own neighbours\n", rw->uid);
            }
        bad += (size_t)check_result(e, &in, rw->uid, &r);
        igc_engine_result_free(&r);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(was_there * 10 >= tried * 9); /* so the exclusion had something to exclude */
}

TEST(leave_one_out_excludes) {
    REQUIRE(fixtures() == 0);
    REQUIRE(full());
    leave_one_out_case(full());
    REQUIRE(full_enc());
    leave_one_out_case(full_enc());
    /* an unknown exclude key changes nothing */
    const row *rw = &g_rows[1];
    igc_engine_input in = row_input(rw);
    igc_engine_result a, b;
    REQUIRE(igc_engine_classify(full(), &in, NULL, &a) == 0);
    REQUIRE(igc_engine_classify(full(), &in, "no-such-key", &b) == 0);
    CHECK(same_result(&a, &b));
    igc_engine_result_free(&a);
    igc_engine_result_free(&b);
}

/* Leaving a judgment out must give the same KSIC prior and text-classifier evidence as
 * an engine that never saw it. */
TEST(leave_one_out_matches_engine_without_row) {
    REQUIRE(fixtures() == 0);
    REQUIRE(full());
    size_t ni = g_tx->nitems;
    float *fa = malloc(ni * IGC_FT_N * sizeof *fa), *fb = malloc(ni * IGC_FT_N * sizeof *fb);
    size_t picks[3] = {0, 0, 0}, np = 0;
    /* one labelled row, one not-applicable row, one labelled with several items */
    for (size_t i = 0; i < g_nrows && np < 3; i++) {
        const row *rw = &g_rows[i];
        if ((np == 0 && rw->nvalid == 1) || (np == 1 && row_is_none(rw)) || (np == 2 && rw->nvalid >= 2))
            picks[np++] = i;
    }
    REQUIRE(np == 3);
    for (size_t k = 0; k < np; k++) {
        const row *rw = &g_rows[picks[k]];
        igc_engine *without = build(NULL, NULL, (long)picks[k], 1);
        REQUIRE(without);
        igc_engine_input in = row_input(rw);
        double na_a[IGC_NA_N], na_b[IGC_NA_N];
        REQUIRE(igc_engine_features(full(), &in, rw->uid, fa, na_a) == 0);
        REQUIRE(igc_engine_features(without, &in, NULL, fb, na_b) == 0);
        size_t diff = 0;
        for (size_t t = 0; t < ni; t++)
            for (int f = IGC_FT_PRIOR; f <= IGC_FT_FIELD_PRIOR; f++)
                diff += fabsf(fa[t * IGC_FT_N + f] - fb[t * IGC_FT_N + f]) > 1e-4f;
        if (diff) fprintf(stderr, "  %s: %zu prior features differ\n", rw->uid, diff);
        CHECK_EQ_INT(diff, 0);
        CHECK(fabs(na_a[IGC_NA_PRIOR] - na_b[IGC_NA_PRIOR]) < 1e-6);
        CHECK(fabs(na_a[IGC_NA_TEXT] - na_b[IGC_NA_TEXT]) < 1e-6);
        /* and it does differ from not excluding it */
        double na_c[IGC_NA_N];
        REQUIRE(igc_engine_features(full(), &in, NULL, fa, na_c) == 0);
        CHECK(na_c[IGC_NA_TEXT] != na_a[IGC_NA_TEXT]);
        igc_engine_unref(without);

        /* with the encoder, the prototype (mean vector of an item's judgments) also
         * leaves the row out */
        REQUIRE(full_enc());
        without = build(&g_tenc, NULL, (long)picks[k], 1);
        REQUIRE(without);
        REQUIRE(igc_engine_features(full_enc(), &in, rw->uid, fa, na_a) == 0);
        REQUIRE(igc_engine_features(without, &in, NULL, fb, na_b) == 0);
        diff = 0;
        for (size_t t = 0; t < ni; t++) {
            diff += fabsf(fa[t * IGC_FT_N + IGC_FT_PROTO_DENSE] - fb[t * IGC_FT_N + IGC_FT_PROTO_DENSE]) > 1e-4f;
            diff += fa[t * IGC_FT_N + IGC_FT_DENSE] != fb[t * IGC_FT_N + IGC_FT_DENSE];
        }
        if (diff) fprintf(stderr, "  %s: %zu prototype/dense features differ\n", rw->uid, diff);
        CHECK_EQ_INT(diff, 0);
        CHECK(fabs(na_a[IGC_NA_PRIOR] - na_b[IGC_NA_PRIOR]) < 1e-6);
        igc_engine_unref(without);
    }
    free(fa), free(fb);
}

static void mean_p(igc_engine *e, int none_rows, double *mean_p_app, double *frac_na, double *mean_text) {
    double s = 0, t = 0;
    size_t n = 0, na = 0;
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    for (size_t i = 0; i < g_nrows; i++) {
        const row *rw = &g_rows[i];
        if (none_rows ? !row_is_none(rw) : !rw->nvalid) continue;
        igc_engine_input in = row_input(rw);
        igc_engine_result r;
        double nav[IGC_NA_N];
        if (igc_engine_classify(e, &in, NULL, &r)) continue;
        if (igc_engine_features(e, &in, NULL, ft, nav) == 0) t += nav[IGC_NA_TEXT];
        s += r.p_applicable;
        na += !r.applicable;
        n++;
        igc_engine_result_free(&r);
    }
    free(ft);
    *mean_p_app = n ? s / (double)n : 0;
    *frac_na = n ? (double)na / (double)n : 0;
    if (mean_text) *mean_text = n ? t / (double)n : 0;
}

TEST(applicability_and_commit) {
    REQUIRE(fixtures() == 0);
    igc_engine *e = full();
    REQUIRE(e);
    double p_none, p_lab, na_none, na_lab, t_none, t_lab;
    mean_p(e, 1, &p_none, &na_none, &t_none);
    mean_p(e, 0, &p_lab, &na_lab, &t_lab);
    fprintf(stderr, "  verbatim: not-applicable rows p=%.3f (judged n/a %.2f), labelled rows p=%.3f (n/a %.2f)\n",
            p_none, na_none, p_lab, na_lab);
    CHECK(p_none < p_lab);
    CHECK(na_none > na_lab);
    /* the text classifier learnt at commit separates the two kinds of rows */
    CHECK(t_none > 0 && t_lab < 0);

    /* Versus an engine that has only the labelled judgments: the not-applicable
     * exemplars are what lowers p_applicable for their own texts. */
    igc_engine *lab;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &lab) == 0);
    for (size_t i = 0; i < g_nrows; i++)
        if (g_rows[i].nvalid) {
            igc_exemplar x = row_exemplar(&g_rows[i]);
            CHECK_EQ_INT(igc_engine_add_exemplar(lab, &x), 0);
        }
    CHECK_EQ_INT(igc_engine_commit(lab), 0);
    size_t lower = 0, n = 0, twins = 0;
    for (size_t i = 0; i < g_nrows; i++) {
        const row *rw = &g_rows[i];
        if (!row_is_none(rw)) continue;
        igc_engine_input in = row_input(rw);
        igc_engine_result a, b;
        REQUIRE(igc_engine_classify(e, &in, NULL, &a) == 0);
        REQUIRE(igc_engine_classify(lab, &in, NULL, &b) == 0);
        lower += a.p_applicable < b.p_applicable;
        n++;
        /* its nearest neighbour is a not-applicable judgment, itself or a twin, unless
         * the same text was also judged otherwise */
        if (ambiguous_text(rw)) twins++;
        else CHECK(a.nneighbors > 0 && a.neighbors[0].none_reason != NULL && a.neighbors[0].label == NULL);
        igc_engine_result_free(&a);
        igc_engine_result_free(&b);
    }
    fprintf(stderr, "  p_applicable lower with not-applicable exemplars for %zu/%zu rows (%zu skipped: twin judged otherwise, or no text but the KSIC name)\n",
            lower, n, twins);
    CHECK(lower * 100 >= n * 95);
    CHECK(twins * 100 <= n * 4);
    igc_engine_unref(lab);

    /* before commit the text classifier says nothing */
    igc_engine *nc = build(NULL, NULL, -1, 0);
    REQUIRE(nc);
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    double nav[IGC_NA_N];
    igc_engine_input in0 = row_input(&g_rows[0]);
    REQUIRE(igc_engine_features(nc, &in0, NULL, ft, nav) == 0);
    CHECK(nav[IGC_NA_TEXT] == 0);
    CHECK(nav[IGC_NA_TOP] == 0);
    CHECK_EQ_INT(igc_engine_commit(nc), 0);
    REQUIRE(igc_engine_features(nc, &in0, NULL, ft, nav) == 0);
    CHECK(nav[IGC_NA_TEXT] != 0);
    /* commit is idempotent */
    double before = nav[IGC_NA_TEXT];
    CHECK_EQ_INT(igc_engine_commit(nc), 0);
    REQUIRE(igc_engine_features(nc, &in0, NULL, ft, nav) == 0);
    CHECK(nav[IGC_NA_TEXT] == before);
    free(ft);
    igc_engine_unref(nc);
}

/* The result's na_knn ("share of similar past judgments that were not applicable",
 * quoted to users as '해당 없음' %) reflects the neighbours, with or without an
 * encoder: a not-applicable judgment's own text has it as nearest neighbour. */
TEST(na_knn_reports_neighbours) {
    REQUIRE(fixtures() == 0);
    igc_engine *es[2] = {full(), full_enc()};
    REQUIRE(es[0] && es[1]);
    for (int k = 0; k < 2; k++) {
        size_t n = 0, zero = 0, nb_none = 0;
        for (size_t i = 0; i < g_nrows; i++) {
            const row *rw = &g_rows[i];
            /* a text also judged otherwise may find that twin first */
            if (!row_is_none(rw) || ambiguous_text(rw)) continue;
            igc_engine_input in = row_input(rw);
            igc_engine_result r;
            REQUIRE(igc_engine_classify(es[k], &in, NULL, &r) == 0);
            n++;
            zero += !(r.na_knn > 0);
            nb_none += r.nneighbors > 0 && r.neighbors[0].none_reason != NULL;
            igc_engine_result_free(&r);
        }
        if (zero)
            fprintf(stderr, "  %s: na_knn is 0 for %zu of %zu not-applicable texts whose nearest neighbour is "
                    "not applicable in %zu cases\n", k ? "encoder" : "no encoder", zero, n, nb_none);
        CHECK_EQ_INT(nb_none, n);
        CHECK_EQ_INT(zero, 0);
    }
}

/* How far a and b differ on one input, leaving out ex: 1 for its features (bit for bit),
 * 1 for its answer (same_result), 1 for each that could not be made; fa gets a's features. */
static size_t engines_differ(igc_engine *a, igc_engine *b, const igc_engine_input *in, const char *ex, float *fa,
                             float *fb) {
    size_t ni = g_tx->nitems, differ = 0;
    double na_a[IGC_NA_N], na_b[IGC_NA_N];
    if (igc_engine_features(a, in, ex, fa, na_a) || igc_engine_features(b, in, ex, fb, na_b)) return 1;
    differ += memcmp(fa, fb, ni * IGC_FT_N * sizeof *fa) != 0 || memcmp(na_a, na_b, sizeof na_a) != 0;
    igc_engine_result ra, rb;
    if (igc_engine_classify(a, in, ex, &ra)) return differ + 1;
    if (igc_engine_classify(b, in, ex, &rb)) {
        igc_engine_result_free(&ra);
        return differ + 1;
    }
    differ += !same_result(&ra, &rb);
    igc_engine_result_free(&ra);
    igc_engine_result_free(&rb);
    return differ;
}

/* Two engines built the same way agree bit for bit, with and without the encoder. */
TEST(deterministic) {
    REQUIRE(fixtures() == 0);
    for (int withenc = 0; withenc < 2; withenc++) {
        igc_engine *a = build(withenc ? &g_tenc : NULL, NULL, -1, 1);
        igc_engine *b = withenc ? full_enc() : full();
        REQUIRE(a && b);
        size_t ni = g_tx->nitems, differ = 0;
        float *fa = malloc(ni * IGC_FT_N * sizeof *fa), *fb = malloc(ni * IGC_FT_N * sizeof *fb);
        for (size_t i = 0; i < g_nrows; i += 11) {
            igc_engine_input in = row_input(&g_rows[i]);
            differ += engines_differ(a, b, &in, i % 2 ? g_rows[i].uid : NULL, fa, fb);
        }
        CHECK_EQ_INT(differ, 0);
        free(fa), free(fb);
        igc_engine_unref(a);
    }
}

/* Adding many at once (their texts encoded on every core first) builds the same
 * engine as adding them one by one: the same results, and the same per-row return
 * codes (a duplicate key and a row with no usable label among them). Half the rows
 * go in as judgments, the other half as cases. */
TEST(add_many_matches_one_by_one) {
    REQUIRE(fixtures() == 0);
    size_t n = g_nrows + 2;
    igc_exemplar *xs = calloc(n, sizeof *xs);
    int *rcs = calloc(n, sizeof *rcs);
    REQUIRE(xs && rcs);
    size_t half = n / 2;
    for (size_t i = 0; i < g_nrows; i++) xs[i] = row_exemplar(&g_rows[i]);
    xs[g_nrows] = xs[half + 1]; /* a case's key again */
    xs[g_nrows + 1] = (igc_exemplar){"nolabel", row_input(&g_rows[5]), {"no-such-item"}, NULL, NULL};
    for (int withenc = 0; withenc < 2; withenc++) {
        const igc_encoder *enc = withenc ? &g_tenc : NULL;
        igc_engine *a, *b;
        REQUIRE(igc_engine_new(g_tx, g_ks, enc, NULL, NULL, NULL, &a) == 0);
        REQUIRE(igc_engine_new(g_tx, g_ks, enc, NULL, NULL, NULL, &b) == 0);
        size_t rc_differ = 0, differ = 0;
        CHECK_EQ_INT(igc_engine_add_exemplars(b, xs, half, rcs), 0);
        CHECK_EQ_INT(igc_engine_add_cases(b, xs + half, n - half, rcs + half), 0);
        for (size_t i = 0; i < n; i++) {
            int one = i < half ? igc_engine_add_exemplar(a, &xs[i]) : igc_engine_add_case(a, &xs[i]);
            rc_differ += one != rcs[i];
        }
        CHECK_EQ_INT(rc_differ, 0);
        CHECK_EQ_INT(rcs[g_nrows], IGC_EEXIST);
        CHECK_EQ_INT(rcs[g_nrows + 1], IGC_ENOTFOUND);
        CHECK_EQ_INT(igc_engine_exemplar_count(a), igc_engine_exemplar_count(b));
        CHECK_EQ_INT(igc_engine_case_count(a), igc_engine_case_count(b));
        REQUIRE(igc_engine_commit(a) == 0 && igc_engine_commit(b) == 0);
        for (size_t i = 0; i < g_nrows; i += 7) {
            igc_engine_input in = row_input(&g_rows[i]);
            igc_engine_result ra, rb;
            REQUIRE(igc_engine_classify(a, &in, NULL, &ra) == 0);
            REQUIRE(igc_engine_classify(b, &in, NULL, &rb) == 0);
            differ += !same_result(&ra, &rb);
            igc_engine_result_free(&ra);
            igc_engine_result_free(&rb);
        }
        CHECK_EQ_INT(differ, 0);
        igc_engine_unref(a);
        igc_engine_unref(b);
    }
    free(xs), free(rcs);
}

/* Taking the case dictionary's statistics (igc_engine_cases_finish) changes no answer,
 * bit for bit: the cases were always scored at the average length, and their idf from
 * the counts of the moment. Two copies of every row go in as cases, so that the lexical
 * search bounds (more cases than it scores exhaustively) and common terms get maps. */
TEST(cases_finish_same_answers) {
    REQUIRE(fixtures() == 0);
    size_t n = 2 * g_nrows;
    igc_exemplar *xs = calloc(n, sizeof *xs);
    char (*keys)[48] = calloc(n, sizeof *keys);
    int *rcs = calloc(n, sizeof *rcs);
    REQUIRE(xs && keys && rcs);
    for (size_t i = 0; i < n; i++) {
        xs[i] = row_exemplar(&g_rows[i % g_nrows]);
        snprintf(keys[i], sizeof keys[i], "case%zu:%s", i / g_nrows, g_rows[i % g_nrows].uid);
        xs[i].key = keys[i];
    }
    igc_engine *a, *b;
    REQUIRE(igc_engine_new(g_tx, g_ks, &g_tenc, NULL, NULL, NULL, &a) == 0);
    REQUIRE(igc_engine_new(g_tx, g_ks, &g_tenc, NULL, NULL, NULL, &b) == 0);
    REQUIRE(igc_engine_add_cases(a, xs, n, rcs) == 0 && igc_engine_add_cases(b, xs, n, rcs) == 0);
    REQUIRE(igc_engine_case_count(b) > 2048);
    igc_engine_cases_finish(b);
    size_t ni = g_tx->nitems, differ = 0, seen = 0;
    float *fa = malloc(ni * IGC_FT_N * sizeof *fa), *fb = malloc(ni * IGC_FT_N * sizeof *fb);
    REQUIRE(fa && fb);
    for (size_t i = 0; i < g_nrows; i += 5) {
        igc_engine_input in = row_input(&g_rows[i]);
        differ += engines_differ(a, b, &in, NULL, fa, fb);
        for (size_t k = 0; k < ni; k++) seen += fa[k * IGC_FT_N + IGC_FT_CASE_LEX] > 0;
    }
    CHECK(seen > 0); /* the cases took part */
    CHECK_EQ_INT(differ, 0);
    free(fa), free(fb), free(xs), free(keys), free(rcs);
    igc_engine_unref(a);
    igc_engine_unref(b);
}

/* A deferred 분류근거 (IGC_ENGINE_DEFER_BASIS) is the same answer: no basis until asked,
 * then each one written on demand equals the one written at once; the rest equal too. */
TEST(deferred_basis) {
    REQUIRE(fixtures() == 0);
    igc_engine *e = full_enc();
    REQUIRE(e);
    size_t differ = 0, asked = 0;
    for (size_t i = 0; i < g_nrows; i += 17) {
        igc_engine_input in = row_input(&g_rows[i]);
        igc_engine_result ra, rb;
        REQUIRE(igc_engine_classify(e, &in, NULL, &ra) == 0);
        REQUIRE(igc_engine_classify_ex(e, &in, NULL, IGC_ENGINE_DEFER_BASIS, &rb) == 0);
        CHECK(ra.why == NULL);
        for (size_t c = 0; c < rb.ncands; c++) differ += rb.cands[c].basis != NULL;
        /* in an order other than the candidates' own, and twice */
        for (size_t k = rb.ncands; k-- > 0;) {
            CHECK_EQ_INT(igc_engine_result_basis(e, &rb, k), 0);
            CHECK_EQ_INT(igc_engine_result_basis(e, &rb, k), 0);
            asked++;
        }
        CHECK_EQ_INT(igc_engine_result_basis(e, &rb, rb.ncands), IGC_EINVAL);
        differ += !same_result(&ra, &rb);
        igc_engine_result_free(&ra);
        igc_engine_result_free(&rb);
        CHECK(rb.why == NULL);
    }
    CHECK(asked > 0);
    CHECK_EQ_INT(differ, 0);
}

/* The refit in two steps (computed aside, then installed) answers exactly as
 * igc_engine_commit, and refuses to install statistics an add has made stale. */
TEST(refit_matches_commit) {
    REQUIRE(fixtures() == 0);
    igc_engine *a = build(NULL, NULL, -1, 1);
    igc_engine *b = build(NULL, NULL, -1, 0);
    REQUIRE(a && b);
    igc_engine_refit *r;
    REQUIRE(igc_engine_refit_prepare(b, &r) == 0);
    CHECK_EQ_INT(igc_engine_refit_apply(b, r), 0);
    igc_engine_refit_free(r); /* what the refit replaced */
    size_t ni = g_tx->nitems, differ = 0;
    float *fa = malloc(ni * IGC_FT_N * sizeof *fa), *fb = malloc(ni * IGC_FT_N * sizeof *fb);
    REQUIRE(fa && fb);
    for (size_t i = 0; i < g_nrows; i += 7) {
        igc_engine_input in = row_input(&g_rows[i]);
        differ += engines_differ(a, b, &in, g_rows[i].uid, fa, fb);
    }
    CHECK_EQ_INT(differ, 0);
    free(fa), free(fb);
    /* an exemplar added between the two steps: the prepared refit is stale */
    igc_engine *c = build(NULL, NULL, 0, 0);
    REQUIRE(c);
    REQUIRE(igc_engine_refit_prepare(c, &r) == 0);
    igc_exemplar x = row_exemplar(&g_rows[0]);
    REQUIRE(igc_engine_add_exemplar(c, &x) == 0);
    CHECK_EQ_INT(igc_engine_refit_apply(c, r), IGC_ESTATE);
    igc_engine_refit_free(r);
    REQUIRE(igc_engine_refit_prepare(c, &r) == 0);
    CHECK_EQ_INT(igc_engine_refit_apply(c, r), 0);
    igc_engine_refit_free(r);
    igc_engine_unref(a);
    igc_engine_unref(b);
    igc_engine_unref(c);
}

/* Invariants of every result, over the history (left out) and both engines. */
TEST(result_invariants) {
    REQUIRE(fixtures() == 0);
    igc_engine *es[3] = {full(), full_enc(), NULL};
    REQUIRE(es[0] && es[1]);
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &es[2]) == 0);
    size_t bad = 0, withkw = 0, n = 0;
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < g_nrows; i += 2) {
            igc_engine_input in = row_input(&g_rows[i]);
            igc_engine_result r;
            REQUIRE(igc_engine_classify(es[k], &in, g_rows[i].uid, &r) == 0);
            bad += (size_t)check_result(es[k], &in, g_rows[i].uid, &r);
            withkw += r.cands[0].nkeywords > 0;
            n++;
            igc_engine_result_free(&r);
        }
    CHECK_EQ_INT(bad, 0);
    CHECK(withkw * 2 >= n); /* keywords are usually given */
    igc_engine_unref(es[2]);
}

/* Whitespace and punctuation only: nothing to go on. */
TEST(blank_input) {
    REQUIRE(fixtures() == 0);
    const char *blanks[] = {"", "   ", " ,.;!?()[]-/ ", "\t\r\n", "\xE3\x80\x80\xE3\x80\x80", "···, ※ ◆ →"};
    igc_engine *es[2] = {full(), full_enc()};
    REQUIRE(es[0] && es[1]);
    for (int k = 0; k < 2; k++) {
        for (size_t b = 0; b < sizeof blanks / sizeof blanks[0]; b++) {
            igc_engine_input in = {blanks[b], "", blanks[b], blanks[b], blanks[b], blanks[b], blanks[b]};
            igc_engine_result r;
            REQUIRE(igc_engine_classify(es[k], &in, NULL, &r) == 0);
            CHECK(r.p_applicable == 0);
            CHECK(r.applicable == 0);
            CHECK_EQ_INT((int)r.known_words, 0);
            CHECK_EQ_INT(check_result(es[k], &in, NULL, &r), 0);
            for (size_t c = 0; c < r.ncands; c++) CHECK_EQ_INT(r.cands[c].nkeywords, 0);
            igc_engine_result_free(&r);
        }
        igc_engine_input none = {0};
        igc_engine_result r;
        REQUIRE(igc_engine_classify(es[k], &none, NULL, &r) == 0);
        CHECK(r.p_applicable == 0 && !r.applicable);
        CHECK_EQ_INT(check_result(es[k], &none, NULL, &r), 0);
        igc_engine_result_free(&r);
    }
}

/* known_words is 0 when no word of the input but generic ones is known to the
 * engine's texts (the answer then rests on KSIC and word fragments), else positive. */
TEST(known_words) {
    REQUIRE(fixtures() == 0);
    igc_engine *es[2] = {full(), full_enc()};
    REQUIRE(es[0] && es[1]);
    static const struct {
        const char *product;
        int known;
    } cases[] = {{"asdf qwer zxcv", 0}, {"제조 기타 판매", 0}, {"배터리 양극재", 1}, {"asdf 배터리", 1}};
    for (int k = 0; k < 2; k++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            igc_engine_input in = {.ksic_code = "28202", .main_product = cases[c].product};
            igc_engine_result r;
            REQUIRE(igc_engine_classify(es[k], &in, NULL, &r) == 0);
            if ((r.known_words > 0) != cases[c].known)
                fprintf(stderr, "  '%s': known_words %zu\n", cases[c].product, r.known_words);
            CHECK_EQ_INT(r.known_words > 0, cases[c].known);
            igc_engine_result_free(&r);
        }
}

/* 기여 키워드: a particle split off a Latin word ("OLED으로") and a generic word (시스템)
 * are never keywords, and a word written in several fields is one keyword, in every
 * candidate's list. */
TEST(keywords_skip_particles_and_repeats) {
    REQUIRE(fixtures() == 0);
    igc_engine *es[2] = {full(), full_enc()};
    REQUIRE(es[0] && es[1]);
    for (int k = 0; k < 2; k++) {
        igc_engine_input in = {.ksic_code = "28202",
                               .main_product = "OLED으로 만든 디스플레이 패널 시스템",
                               .product_use = "디스플레이 패널",
                               .tech_business_name = "OLED에서 쓰는 디스플레이 구동 시스템"};
        igc_engine_result r;
        REQUIRE(igc_engine_classify(es[k], &in, NULL, &r) == 0);
        size_t with_display = 0;
        for (size_t c = 0; c < r.ncands; c++) {
            size_t display = 0;
            for (size_t j = 0; j < r.cands[c].nkeywords; j++) {
                const char *kw = r.cands[c].keywords[j];
                if (!strcmp(kw, "으로") || !strcmp(kw, "에서") || !strcmp(kw, "시스템"))
                    fprintf(stderr, "  candidate %zu keyword '%s'\n", c, kw);
                CHECK(strcmp(kw, "으로") && strcmp(kw, "에서") && strcmp(kw, "시스템"));
                display += !strcmp(kw, "디스플레이");
            }
            CHECK(display <= 1);
            with_display += display;
        }
        CHECK(with_display > 0); /* the word that names the product is found */
        igc_engine_result_free(&r);
    }
}

/* 분류근거 quotes the part of an item sentence that meets the input in a word of its
 * own: never a sentence's opening that shares nothing with it, never one met only in
 * a generic word (시스템); a part of a word is said to be a part. */
TEST(basis_quotes_the_words_met) {
    REQUIRE(fixtures() == 0);
    igc_engine *e = full_enc();
    REQUIRE(e);
    static const char *const met[] = {"금융", "소프트웨어", "솔루션", "동기화"};
    igc_engine_input in = {.ksic_code = "58221",
                           .ksic_name = "시스템 소프트웨어 개발 및 공급업",
                           .main_product = "금융솔루션,동기화솔루션",
                           .product_use = "금융솔루션,동기화솔루션",
                           .tech_business_name = "금융솔루션,동기화솔루션"};
    igc_engine_result r;
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    size_t quoted = 0;
    for (size_t c = 0; c < r.ncands && c < 3; c++) {
        const char *b = r.cands[c].basis, *q = b ? strstr(b, "정의·예시 중 \"") : NULL;
        if (!q) continue;
        q += strlen("정의·예시 중 \"");
        const char *end = strchr(q, '"');
        REQUIRE(end);
        int has = 0;
        for (size_t k = 0; k < 4; k++) {
            const char *m = strstr(q, met[k]);
            has |= m && m < end;
        }
        if (!has) fprintf(stderr, "  quote without the input's words: %s\n", b);
        CHECK(has);
        /* a part of a word met is not "the same word" */
        if (has && !strstr(q, "금융") && !strstr(q, "소프트웨어")) CHECK(strstr(end, "낱말 일부가 겹칩니다") != NULL);
        quoted++;
    }
    CHECK(quoted > 0);
    igc_engine_result_free(&r);
}

static char g_tmpdir[256];
static const char *tmp_path(const char *name) {
    static char p[512];
    if (!g_tmpdir[0]) {
        snprintf(g_tmpdir, sizeof g_tmpdir, "/tmp/igc-test-engine-XXXXXX");
        if (!mkdtemp(g_tmpdir)) return NULL;
    }
    snprintf(p, sizeof p, "%s/%s", g_tmpdir, name);
    return p;
}

static int write_text(const char *path, const char *s) {
    return igc_write_file_atomic(path, s, strlen(s));
}

TEST(params_files) {
    igc_engine_params a, b, d;
    igc_engine_params_default(&d);
    for (int i = 0; i < IGC_SIG_N; i++) CHECK_EQ_INT(d.use[i], 1);
    CHECK(d.knn_k > 0);
    CHECK(d.apply_threshold > 0 && d.apply_threshold < 1);

    /* round trip of non-default values, to the last bit */
    a = d;
    for (int f = 0; f < IGC_FT_N; f++) a.wf[f] = 0.1 * (f + 1) + 1.0 / 3.0;
    a.na_bias = -0.123456789012345678;
    for (int k = 0; k < IGC_NA_N; k++) a.na_w[k] = (k - 3) * 0.7071067811865476;
    a.apply_threshold = 0.4321;
    a.review_min_score = 0.123;
    a.knn_k = 17;
    a.prior_alpha = 2.5e-1;
    snprintf(a.model, sizeof a.model, "%s", g_tenc.version);
    const char *p = tmp_path("params.json");
    REQUIRE(p);
    char path[512];
    snprintf(path, sizeof path, "%s", p);
    REQUIRE(igc_engine_params_save(path, &a) == 0);
    igc_engine_params_default(&b);
    REQUIRE(igc_engine_params_load(path, &b) == 0);
    CHECK(memcmp(a.wf, b.wf, sizeof a.wf) == 0);
    CHECK(memcmp(&a.na_bias, &b.na_bias, sizeof a.na_bias) == 0);
    CHECK(memcmp(a.na_w, b.na_w, sizeof a.na_w) == 0);
    CHECK(a.apply_threshold == b.apply_threshold);
    CHECK(a.review_min_score == b.review_min_score);
    CHECK(a.prior_alpha == b.prior_alpha);
    CHECK_EQ_INT(b.knn_k, 17);
    CHECK_EQ_STR(b.model, a.model);
    for (int i = 0; i < IGC_SIG_N; i++) CHECK_EQ_INT(b.use[i], 1);

    /* missing keys keep what was there */
    REQUIRE(write_text(path, "{\"w_dense\": 7.5, \"na_w_text\": -2, \"unknown_key\": 1}") == 0);
    igc_engine_params_default(&b);
    REQUIRE(igc_engine_params_load(path, &b) == 0);
    igc_engine_params want = d;
    want.wf[IGC_FT_DENSE] = 7.5;
    want.na_w[IGC_NA_TEXT] = -2;
    CHECK(memcmp(&b, &want, sizeof b) == 0);
    REQUIRE(write_text(path, "{}") == 0);
    b = a;
    REQUIRE(igc_engine_params_load(path, &b) == 0);
    CHECK(memcmp(&b, &a, sizeof b) == 0);

    /* wrong types and out-of-range knn_k are ignored */
    REQUIRE(write_text(path, "{\"w_dense\": \"big\", \"knn_k\": 0, \"na_bias\": null, \"model\": 3}") == 0);
    igc_engine_params_default(&b);
    REQUIRE(igc_engine_params_load(path, &b) == 0);
    CHECK(memcmp(&b, &d, sizeof b) == 0);
    const char *badk[] = {"{\"knn_k\": -4}", "{\"knn_k\": 100000}"};
    for (int i = 0; i < 2; i++) {
        REQUIRE(write_text(path, badk[i]) == 0);
        igc_engine_params_default(&b);
        REQUIRE(igc_engine_params_load(path, &b) == 0);
        CHECK_EQ_INT(b.knn_k, d.knn_k);
    }

    /* malformed files */
    const char *bad[] = {"", "{", "{\"w_dense\": }", "[1, 2, 3]", "42", "\"text\"", "null", "{\"a\":1}}x", "\xff\xfe"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        REQUIRE(write_text(path, bad[i]) == 0);
        b = a;
        int rc = igc_engine_params_load(path, &b);
        if (rc != IGC_EPARSE) fprintf(stderr, "  params '%s': %d\n", bad[i], rc);
        CHECK_EQ_INT(rc, IGC_EPARSE);
        CHECK(memcmp(&b, &a, sizeof b) == 0);
    }
    b = a;
    CHECK_EQ_INT(igc_engine_params_load(tmp_path("no-such-file.json"), &b), IGC_ENOTFOUND);
    CHECK(memcmp(&b, &a, sizeof b) == 0);
    CHECK(igc_engine_params_save("/nonexistent-dir/x/params.json", &a) < 0);
    unlink(path);
    rmdir(g_tmpdir);
    g_tmpdir[0] = '\0';
}

/* Switching a signal off zeroes every feature that belongs to it. */
TEST(signal_switch_off) {
    REQUIRE(fixtures() == 0);
    size_t ni = g_tx->nitems;
    float *ft = malloc(ni * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    const igc_tx_item *named = &g_tx->items[ni / 2];
    for (int s = 0; s < IGC_SIG_N; s++) {
        igc_engine_params p;
        igc_engine_params_default(&p);
        p.use[s] = 0;
        igc_engine *e = build(&g_tenc, &p, -1, 1);
        REQUIRE(e);
        size_t nonzero = 0, other = 0;
        for (size_t i = 0; i < g_nrows; i += 25) {
            igc_engine_input in = row_input(&g_rows[i]);
            if (i == 0) in.main_product = named->name;
            REQUIRE(igc_engine_features(e, &in, i % 2 ? g_rows[i].uid : NULL, ft, na) == 0);
            for (size_t t = 0; t < ni; t++)
                for (int f = 0; f < IGC_FT_N; f++) {
                    float v = ft[t * IGC_FT_N + f];
                    if (igc_engine_feature_signal[f] == s) nonzero += v != 0;
                    else other += v != 0;
                }
            igc_engine_result r;
            REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
            for (size_t c = 0; c < r.ncands; c++) CHECK(r.cands[c].sig[s] == 0);
            if (s == IGC_SIG_KNN) CHECK_EQ_INT(r.nneighbors, 0);
            CHECK_EQ_INT(check_result(e, &in, NULL, &r), 0);
            igc_engine_result_free(&r);
        }
        if (nonzero) fprintf(stderr, "  signal %s off: %zu features still set\n", igc_engine_signal_names[s], nonzero);
        CHECK_EQ_INT(nonzero, 0);
        CHECK(other > 0);
        igc_engine_unref(e);
    }
    free(ft);
}

/* With the test encoder: an item's name is densely closest to that item. */
TEST(dense_features) {
    REQUIRE(fixtures() == 0);
    size_t ni = g_tx->nitems;
    float *ft = malloc(ni * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    igc_engine *e0;
    REQUIRE(igc_engine_new(g_tx, g_ks, &g_tenc, NULL, NULL, NULL, &e0) == 0);
    igc_engine *es[2] = {e0, full_enc()};
    REQUIRE(es[1]);
    size_t notbest = 0, nonfinite = 0, low = 0;
    for (int k = 0; k < 2; k++)
        for (size_t t = 0; t < ni; t += 3) {
            igc_engine_input in = {.main_product = g_tx->items[t].name};
            REQUIRE(igc_engine_features(es[k], &in, NULL, ft, na) == 0);
            for (size_t j = 0; j < ni * IGC_FT_N; j++) nonfinite += !isfinite(ft[j]);
            for (int q = 0; q < IGC_NA_N; q++) nonfinite += !isfinite(na[q]);
            float d = ft[t * IGC_FT_N + IGC_FT_DENSE];
            low += !(d > 0.999f);
            for (size_t u = 0; u < ni; u++) notbest += ft[u * IGC_FT_N + IGC_FT_DENSE] > d + 1e-6f;
            CHECK(na[IGC_NA_DENSE] >= d - 1e-6);
            /* dense evidence does not exist without an encoder */
            if (k == 1) {
                REQUIRE(igc_engine_features(full(), &in, NULL, ft, na) == 0);
                for (size_t u = 0; u < ni; u++) CHECK(ft[u * IGC_FT_N + IGC_FT_DENSE] == 0);
                CHECK(na[IGC_NA_DENSE] == 0);
            }
        }
    CHECK_EQ_INT(nonfinite, 0);
    CHECK_EQ_INT(low, 0);
    CHECK_EQ_INT(notbest, 0);
    /* the classify result reports it, within [0,1] */
    igc_engine_input in = {.main_product = g_tx->items[0].name};
    igc_engine_result r;
    REQUIRE(igc_engine_classify(e0, &in, NULL, &r) == 0);
    CHECK(r.dense_max > 0.999);
    CHECK(rank_of(&r, &g_tx->items[0]) >= 1);
    CHECK_EQ_INT(check_result(e0, &in, NULL, &r), 0);
    igc_engine_result_free(&r);
    free(ft);
    igc_engine_unref(e0);
}

/* Each feature stays in the range its definition gives it: relative scores, cosines
 * and shares in [0,1], log-probabilities <= 0. */
TEST(feature_ranges) {
    REQUIRE(fixtures() == 0);
    igc_engine *es[2] = {full(), full_enc()};
    REQUIRE(es[0] && es[1]);
    size_t ni = g_tx->nitems, out[IGC_FT_N] = {0}, na_bad = 0;
    double worst[IGC_FT_N] = {0};
    float *ft = malloc(ni * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < g_nrows; i += 4) {
            igc_engine_input in = row_input(&g_rows[i]);
            REQUIRE(igc_engine_features(es[k], &in, g_rows[i].uid, ft, na) == 0);
            for (size_t t = 0; t < ni; t++)
                for (int f = 0; f < IGC_FT_N; f++) {
                    double v = ft[t * IGC_FT_N + f];
                    int ok = f == IGC_FT_PRIOR || f == IGC_FT_FIELD_PRIOR ? v <= 0 && isfinite(v)
                           : f == IGC_FT_PROTO_DENSE ? v >= -1 - 1e-5 && v <= 1 + 1e-5
                           : v >= 0 && v <= 1;
                    if (!ok) {
                        out[f]++;
                        if (fabs(v) > fabs(worst[f])) worst[f] = v;
                    }
                }
            for (int q = 0; q < IGC_NA_N; q++) na_bad += !isfinite(na[q]);
            na_bad += !(na[IGC_NA_KNN] >= 0 && na[IGC_NA_KNN] <= 1) || !(na[IGC_NA_KNN_LEX] >= 0 && na[IGC_NA_KNN_LEX] <= 1);
            na_bad += !(na[IGC_NA_PRIOR] >= 0 && na[IGC_NA_PRIOR] <= 1) || na[IGC_NA_TOP] != 0;
        }
    for (int f = 0; f < IGC_FT_N; f++) {
        if (out[f]) fprintf(stderr, "  feature %s out of range %zu times (e.g. %g)\n", igc_engine_feature_names[f], out[f], worst[f]);
        CHECK_EQ_INT(out[f], 0);
    }
    CHECK_EQ_INT(na_bad, 0);
    free(ft);
}

/* Very long, unusual and invalid inputs: no crash, sane results. */
TEST(robustness) {
    REQUIRE(fixtures() == 0);
    igc_engine *es[2] = {full(), full_enc()};
    REQUIRE(es[0] && es[1]);
    /* ~100 KB: a long product list, and one 100 KB Hangul "word" */
    const char *phrase = "리튬이온배터리 양극재, 전기차용 2차전지 모듈 BIM 설계 ";
    igc_buf big = {0}, word = {0};
    while (big.len < 100 * 1024) igc_buf_puts(&big, phrase);
    while (word.len < 100 * 1024) igc_buf_puts(&word, "배터리양극재");
    /* ~100 KB of distinct pseudo-random Hangul words (no repeated feature to shortcut on) */
    igc_buf rnd = {0};
    uint64_t st = 0x12345678;
    while (rnd.len < 100 * 1024) {
        int len = 2 + (int)(st % 4);
        for (int c = 0; c < len; c++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            char enc[4];
            int nb = igc_utf8_encode(0xAC00 + (uint32_t)((st >> 33) % 11172), enc);
            igc_buf_append(&rnd, enc, (size_t)nb);
        }
        igc_buf_puts(&rnd, " ");
    }
    const char *odd[] = {
        "BIM RPA 5G",
        "😀🚀 배터리 🔋 ⚡️ 👩‍🔬",
        "電池 正極材 人工知能 半導體",
        "ＢＩＭ　５Ｇ　ＲＰＡ",
        "\xED\x95\x9C\xEA\xB5",       /* truncated UTF-8 */
        "\xff\xfe 배터리 \xc0\xaf \xed\xa0\x80", /* invalid bytes, overlong, surrogate */
        "a\xCC\x81 e\xCC\x8A n\xCC\x83",     /* combining marks */
        "\xE1\x84\x87\xE1\x85\xA2\xE1\x84\x90\xE1\x85\xA5\xE1\x84\x85\xE1\x85\xB5", /* conjoining jamo */
        "ㄱㄴㄷ ㅏㅑ",
        "‮배터리‬ ​제로폭​",                 /* bidi controls, zero-width space */
        "1234567890 0000 99.9%",
    };
    const char *ksic[] = {"", "abc", "9", "99999", "262;2621", "12345678901234567890", "2 6 2", "-1"};
    size_t bad = 0;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
            igc_engine_input in = {odd[i], ksic[i % 8], odd[i], odd[i], odd[i], odd[i], odd[i]};
            igc_engine_result r;
            int rc = igc_engine_classify(es[k], &in, NULL, &r);
            CHECK(rc == 0);
            if (rc) continue;
            bad += (size_t)check_result(es[k], &in, NULL, &r);
            igc_engine_result_free(&r);
            float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
            double na[IGC_NA_N];
            CHECK(igc_engine_features(es[k], &in, "x", ft, na) == 0);
            for (size_t j = 0; j < g_tx->nitems * IGC_FT_N; j++) bad += !isfinite(ft[j]);
            free(ft);
        }
        /* Latin-only input matches and reports its own words */
        igc_engine_input lat = {.main_product = "BIM RPA 5G"};
        igc_engine_result r;
        REQUIRE(igc_engine_classify(es[k], &lat, NULL, &r) == 0);
        CHECK(r.lex_max > 0);
        CHECK(r.cands[0].nkeywords > 0);
        igc_engine_result_free(&r);
        const char *longs[3] = {big.data, word.data, rnd.data};
        for (int l = 0; l < (k ? 2 : 3); l++) {
            igc_engine_input in = {.company_name = "테스트", .ksic_name = longs[l], .main_product = longs[l]};
            double t0 = igc_now_ms();
            int rc = igc_engine_classify(es[k], &in, NULL, &r);
            double ms = igc_now_ms() - t0;
            fprintf(stderr, "  %zu-byte %s: %.0f ms\n", strlen(longs[l]), l == 1 ? "word" : l ? "random text" : "text", ms);
            CHECK(ms < 2000 * SLOWDOWN);
            CHECK(rc == 0);
            if (rc) continue;
            bad += (size_t)check_result(es[k], &in, NULL, &r);
            CHECK(r.ncands > 0);
            igc_engine_result_free(&r);
        }
    }
    CHECK_EQ_INT(bad, 0);
    igc_buf_free(&big);
    igc_buf_free(&word);
    igc_buf_free(&rnd);
}

/* Pseudo-random Hangul text of nwords words (a growing vocabulary, as real history has). */
static void random_text(uint64_t *st, int nwords, igc_buf *b) {
    b->len = 0;
    for (int w = 0; w < nwords; w++) {
        int len = 2 + (int)(*st % 3);
        for (int c = 0; c < len; c++) {
            *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
            char enc[4];
            int nb = igc_utf8_encode(0xAC00 + (uint32_t)((*st >> 33) % 2000), enc);
            igc_buf_append(b, enc, (size_t)nb);
        }
        igc_buf_puts(b, " ");
    }
}

/* Adding one past judgment must not cost time proportional to everything added before
 * (history grows without bound and is loaded at start-up): the last adds into an
 * engine of 3000 judgments are not much slower than the first adds into an empty one. */
TEST(add_exemplar_scales) {
    REQUIRE(fixtures() == 0);
    enum { N = 3000, W = 300 };
    double first = 1e30, last = 1e30;
    igc_buf text = {0};
    char key[32];
    for (int rep = 0; rep < 3; rep++) {
        igc_engine *e;
        REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
        uint64_t st = 0x9E3779B97F4A7C15ULL;
        int upto = rep == 0 ? N : W;
        double t0 = igc_now_ms();
        for (int i = 0; i < upto; i++) {
            if (i >= N - 3 * W && (i - (N - 3 * W)) % W == 0) t0 = igc_now_ms();
            random_text(&st, 8, &text);
            snprintf(key, sizeof key, "test:%d", i);
            igc_exemplar x = {.key = key, .in = {.main_product = text.data},
                              .labels = {g_tx->items[(size_t)i % g_tx->nitems].code}};
            REQUIRE(igc_engine_add_exemplar(e, &x) == 0);
            if (i + 1 == W) first = fmin(first, igc_now_ms() - t0);
            if (i >= N - 3 * W && (i + 1 - (N - 3 * W)) % W == 0) last = fmin(last, igc_now_ms() - t0);
        }
        CHECK_EQ_INT(igc_engine_exemplar_count(e), upto);
        igc_engine_unref(e);
    }
    igc_buf_free(&text);
    fprintf(stderr, "  %d adds: %.1f ms into an empty engine, %.1f ms after %d\n", W, first, last, N - W);
    CHECK(last < 5 * first + 20);
}

/* Concurrent classification on one engine gives exactly the sequential results. */
#define NTHREAD_IN 40
#define NROUNDS 4
typedef struct {
    igc_engine *e;
    igc_engine_input in[NTHREAD_IN];
    const char *ex[NTHREAD_IN];
    igc_engine_result *base;
    int offset;
    size_t calls, mismatches, errors;
} thr_arg;

static void *thr_main(void *p) {
    thr_arg *a = p;
    for (int round = 0; round < NROUNDS; round++)
        for (int j = 0; j < NTHREAD_IN; j++) {
            int i = (j + a->offset + round * 7) % NTHREAD_IN;
            igc_engine_result r;
            if (igc_engine_classify(a->e, &a->in[i], a->ex[i], &r)) {
                a->errors++;
                continue;
            }
            a->calls++;
            a->mismatches += !same_result(&r, &a->base[i]);
            igc_engine_result_free(&r);
        }
    return NULL;
}

TEST(threads) {
    REQUIRE(fixtures() == 0);
    igc_engine *es[2] = {full(), full_enc()};
    REQUIRE(es[0] && es[1]);
    for (int k = 0; k < 2; k++) {
        thr_arg args[2];
        igc_engine_result *base = calloc(NTHREAD_IN, sizeof *base);
        memset(args, 0, sizeof args);
        for (int j = 0; j < NTHREAD_IN; j++) {
            const row *rw = &g_rows[(size_t)j * 13 % g_nrows];
            args[0].in[j] = row_input(rw);
            args[0].ex[j] = j % 3 == 0 ? rw->uid : NULL;
            REQUIRE(igc_engine_classify(es[k], &args[0].in[j], args[0].ex[j], &base[j]) == 0);
        }
        args[1] = args[0];
        pthread_t th[2];
        for (int t = 0; t < 2; t++) {
            args[t].e = es[k];
            args[t].base = base;
            args[t].offset = t * 17;
            REQUIRE(pthread_create(&th[t], NULL, thr_main, &args[t]) == 0);
        }
        for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
        for (int t = 0; t < 2; t++) {
            CHECK_EQ_INT(args[t].errors, 0);
            CHECK_EQ_INT(args[t].mismatches, 0);
            CHECK_EQ_INT(args[t].calls, NTHREAD_IN * NROUNDS);
        }
        for (int j = 0; j < NTHREAD_IN; j++) igc_engine_result_free(&base[j]);
        free(base);
    }
}

/* Parameters given directly to igc_engine_new() with an unusable neighbour count must
 * be refused or clamped, never write out of bounds. Run in a child so that memory
 * corruption shows as a failure of this test only. */
TEST(knn_k_out_of_range) {
    REQUIRE(fixtures() == 0);
    const int ks[] = {0, -1, 1000};
    for (int i = 0; i < 3; i++) {
        fflush(stderr);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            igc_engine_params p;
            igc_engine_params_default(&p);
            p.knn_k = ks[i];
            igc_engine *e;
            int rc = igc_engine_new(g_tx, g_ks, NULL, &p, NULL, NULL, &e);
            if (rc) _exit(rc == IGC_EINVAL ? 0 : 3);
            for (size_t j = 0; j < g_nrows; j++) {
                igc_exemplar x = row_exemplar(&g_rows[j]);
                igc_engine_add_exemplar(e, &x);
            }
            int fails = 0;
            for (size_t j = 0; j < g_nrows; j += 50) {
                igc_engine_input in = row_input(&g_rows[j]);
                igc_engine_result r;
                if (igc_engine_classify(e, &in, NULL, &r)) continue;
                fails += check_result(e, &in, NULL, &r);
                if (ks[i] > 0 && r.nneighbors == 0) fails++;
                igc_engine_result_free(&r);
            }
            igc_engine_unref(e);
            _exit(fails ? 4 : 0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!ok)
            fprintf(stderr, "  knn_k=%d: child %s %d\n", ks[i], WIFEXITED(st) ? "exited" : "killed by signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        CHECK(ok);
    }
}

/* An examiner's low-confidence judgment is a weaker precedent: two past judgments
 * with the same text and different items vote 0.4 : 1 (low : high), and equally
 * when neither states a confidence. */
static void confidence_case(const char *ca, const char *cb, double want_ratio) {
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    const char *text = "리튬이온 배터리 양극재 및 전구체";
    igc_exemplar a = {.key = "test:a", .in = {.main_product = text}, .labels = {g_tx->items[0].code}, .confidence = ca};
    igc_exemplar b = {.key = "test:b", .in = {.main_product = text}, .labels = {g_tx->items[1].code}, .confidence = cb};
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &a), 0);
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &b), 0);
    CHECK_EQ_INT(igc_engine_commit(e), 0);
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    igc_engine_input in = {.main_product = text};
    REQUIRE(ft && igc_engine_features(e, &in, NULL, ft, na) == 0);
    double va = ft[0 * IGC_FT_N + IGC_FT_KNN_LEX], vb = ft[1 * IGC_FT_N + IGC_FT_KNN_LEX];
    CHECK(vb > 0);
    if (vb > 0 && fabs(va / vb - want_ratio) > 1e-3) {
        fprintf(stderr, "  confidence %s vs %s: votes %g / %g, want ratio %g\n", ca ? ca : "-", cb ? cb : "-", va, vb,
                want_ratio);
        CHECK(0);
    }
    CHECK(fabs(va + vb - 1.0) < 1e-4); /* shares of one vote */
    free(ft);
    igc_engine_unref(e);
}

TEST(confidence_weights_votes) {
    REQUIRE(fixtures() == 0);
    confidence_case("low", "high", 0.4);
    confidence_case("medium", "high", 0.7);
    confidence_case("high", "low", 2.5);
    confidence_case(NULL, "", 1.0);
    confidence_case("unknown", "high", 1.0);
}


/* 1 when the result's neighbours include key. */
static int has_neighbour(const igc_engine_result *r, const char *key) {
    for (size_t i = 0; i < r->nneighbors; i++)
        if (strcmp(r->neighbors[i].key, key) == 0) return 1;
    return 0;
}

/* A removed exemplar counts nowhere at once; a company's own exemplars are never
 * its neighbours (the owner key), another company's are. */
static void remove_and_owner_case(const igc_encoder *enc) {
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, enc, NULL, NULL, NULL, &e) == 0);
    const char *text = "리튬이온 배터리 양극재 및 전구체";
    igc_exemplar a = {.key = "test:a", .in = {.main_product = text, .owner = 7}, .labels = {g_tx->items[0].code}};
    igc_exemplar b = {.key = "test:b", .in = {.main_product = text, .owner = 8}, .labels = {g_tx->items[1].code}};
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &a), 0);
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &b), 0);
    CHECK_EQ_INT(igc_engine_commit(e), 0);
    igc_engine_result r;
    igc_engine_input own = {.main_product = text, .owner = 7}, other = {.main_product = text, .owner = 9};
    REQUIRE(igc_engine_classify(e, &own, NULL, &r) == 0);
    CHECK(!has_neighbour(&r, "test:a") && has_neighbour(&r, "test:b"));
    igc_engine_result_free(&r);
    REQUIRE(igc_engine_classify(e, &other, NULL, &r) == 0);
    CHECK(has_neighbour(&r, "test:a") && has_neighbour(&r, "test:b"));
    igc_engine_result_free(&r);
    CHECK_EQ_INT(igc_engine_label_count(e, &g_tx->items[1]), 1);
    CHECK_EQ_INT(igc_engine_remove_exemplar(e, "test:b"), 0);
    CHECK_EQ_INT((int)igc_engine_exemplar_count(e), 1);
    CHECK_EQ_INT(igc_engine_label_count(e, &g_tx->items[1]), 0);
    REQUIRE(igc_engine_classify(e, &other, NULL, &r) == 0);
    CHECK(has_neighbour(&r, "test:a") && !has_neighbour(&r, "test:b"));
    igc_engine_result_free(&r);
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    REQUIRE(ft && igc_engine_features(e, &other, NULL, ft, na) == 0);
    CHECK(ft[1 * IGC_FT_N + IGC_FT_KNN_LEX] == 0 && ft[0 * IGC_FT_N + IGC_FT_KNN_LEX] > 0.99);
    free(ft);
    CHECK_EQ_INT(igc_engine_remove_exemplar(e, "test:b"), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_engine_remove_exemplar(e, "test:none"), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_engine_add_exemplar(e, &b), IGC_EEXIST); /* keys stay taken */
    CHECK_EQ_INT(igc_engine_commit(e), 0);
    igc_engine_unref(e);
}

TEST(remove_exemplar_and_owner) {
    REQUIRE(fixtures() == 0);
    remove_and_owner_case(NULL);
    remove_and_owner_case(&g_tenc);
}

/* A company's own past judgments move nothing of its answer: not the neighbours, nor
 * the KSIC prior or the dense item prototypes (they did: an examiner's save came back
 * as the engine's own first choice on the next classification of the same company).
 * Those features of its input are those of an engine without its judgment. */
static void own_judgment_case(const igc_encoder *enc) {
    igc_engine *with, *without;
    REQUIRE(igc_engine_new(g_tx, g_ks, enc, NULL, NULL, NULL, &with) == 0);
    REQUIRE(igc_engine_new(g_tx, g_ks, enc, NULL, NULL, NULL, &without) == 0);
    for (size_t i = 0; i < g_nrows; i += 3) {
        igc_exemplar x = row_exemplar(&g_rows[i]);
        igc_engine_add_exemplar(with, &x);
        igc_engine_add_exemplar(without, &x);
    }
    const row *r = &g_rows[1];
    igc_engine_input own = row_input(r);
    own.owner = 4242;
    /* its own judgment, for another item than the engine would say */
    igc_exemplar mine = {.key = "own:1", .in = own, .labels = {g_tx->items[7].code}};
    CHECK_EQ_INT(igc_engine_add_exemplar(with, &mine), 0);
    REQUIRE(igc_engine_commit(with) == 0 && igc_engine_commit(without) == 0);
    size_t ni = g_tx->nitems;
    float *fa = malloc(ni * IGC_FT_N * sizeof *fa), *fb = malloc(ni * IGC_FT_N * sizeof *fb);
    double na_a[IGC_NA_N], na_b[IGC_NA_N];
    REQUIRE(fa && fb);
    REQUIRE(igc_engine_features(with, &own, NULL, fa, na_a) == 0);
    REQUIRE(igc_engine_features(without, &own, NULL, fb, na_b) == 0);
    /* (the lexical prototype is left out: BM25 weighs a word by its rarity among all the
     * documents, the company's judgment one of them, so it moves by that, not by its label) */
    static const int checked[] = {IGC_FT_PRIOR, IGC_FT_FIELD_PRIOR, IGC_FT_PROTO_DENSE, IGC_FT_KNN};
    size_t differ = 0;
    for (size_t i = 0; i < ni; i++)
        for (size_t k = 0; k < sizeof checked / sizeof *checked; k++) {
            float a = fa[i * IGC_FT_N + checked[k]], b = fb[i * IGC_FT_N + checked[k]];
            if (fabsf(a - b) > 1e-4f * (1 + fabsf(b))) {
                if (differ < 4) fprintf(stderr, "  item %zu feature %s: %g vs %g\n", i, igc_engine_feature_names[checked[k]], a, b);
                differ++;
            }
        }
    CHECK_EQ_INT(differ, 0);
    CHECK(fabs(na_a[IGC_NA_PRIOR] - na_b[IGC_NA_PRIOR]) < 1e-6);
    free(fa), free(fb);
    igc_engine_unref(with);
    igc_engine_unref(without);
}

TEST(own_judgments_move_nothing) {
    REQUIRE(fixtures() == 0);
    own_judgment_case(NULL);
    own_judgment_case(&g_tenc);
}

/* The dense neighbours are the nearest usable past judgments however many nearer ones
 * are left out: a company judged 140 times (its own never count) and 140 superseded
 * near-duplicates (removed) once filled every slot the index was asked for, leaving
 * no dense neighbour at all. */
TEST(dense_neighbours_past_left_out_ones) {
    REQUIRE(fixtures() == 0);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, &g_tenc, NULL, NULL, NULL, &e) == 0);
    const char *text = "리튬이온 배터리 양극재 및 전구체";
    char key[64];
    for (int i = 0; i < 280; i++) {
        snprintf(key, sizeof key, "test:dup%d", i);
        /* the first 140 the company's own, the rest another's, superseded below */
        igc_exemplar x = {.key = key, .in = {.main_product = text, .owner = i < 140 ? 7 : 8},
                          .labels = {g_tx->items[0].code}};
        REQUIRE(igc_engine_add_exemplar(e, &x) == 0);
    }
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "test:other%d", i);
        igc_exemplar x = {.key = key, .in = {.main_product = "리튬이온 배터리 양극재 소재", .owner = 100 + i},
                          .labels = {g_tx->items[1].code}};
        REQUIRE(igc_engine_add_exemplar(e, &x) == 0);
    }
    for (int i = 140; i < 280; i++) {
        snprintf(key, sizeof key, "test:dup%d", i);
        REQUIRE(igc_engine_remove_exemplar(e, key) == 0);
    }
    REQUIRE(igc_engine_commit(e) == 0);
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    REQUIRE(ft);
    /* the company itself: its 140 own judgments are nearest */
    igc_engine_input own = {.main_product = text, .owner = 7};
    REQUIRE(igc_engine_features(e, &own, NULL, ft, na) == 0);
    CHECK(ft[1 * IGC_FT_N + IGC_FT_KNN] > 0.99);
    /* another company: 140 removed near-duplicates are nearest */
    igc_engine_input other = {.main_product = text, .owner = 9};
    REQUIRE(igc_engine_features(e, &other, NULL, ft, na) == 0);
    CHECK(ft[0 * IGC_FT_N + IGC_FT_KNN] > 0.99);
    CHECK(ft[1 * IGC_FT_N + IGC_FT_KNN] < 0.01);
    for (int i = 0; i < 140; i++) {
        snprintf(key, sizeof key, "test:dup%d", i);
        REQUIRE(igc_engine_remove_exemplar(e, key) == 0);
    }
    REQUIRE(igc_engine_commit(e) == 0);
    REQUIRE(igc_engine_features(e, &other, NULL, ft, na) == 0);
    CHECK(ft[1 * IGC_FT_N + IGC_FT_KNN] > 0.99);
    free(ft);
    igc_engine_unref(e);
}

/* Two classifications of one input (return codes ra, rb) compared bit for bit and freed. */
static void compare_pair(int ra, igc_engine_result *a, int rb, igc_engine_result *b, size_t *differ, size_t *compared) {
    CHECK_EQ_INT(rb, ra);
    if (!ra && !rb) {
        *differ += !same_result(a, b);
        (*compared)++;
    }
    if (!ra) igc_engine_result_free(a);
    if (!rb) igc_engine_result_free(b);
}

/* A batch's classifications answer bit for bit as lone ones (stored judgments too,
 * their own left out), whatever the block size and the slot, with cases in the engine
 * (every product the batch makes is read); a
 * batch is refused by another engine, past its end, and once an exemplar came in. */
TEST(batch_matches_lone) {
    REQUIRE(fixtures() == 0);
    igc_engine *e = build(&g_tenc, NULL, -1, 0);
    REQUIRE(e);
    size_t ncases = 0;
    for (size_t i = 0; i < g_nrows; i += 5) {
        char key[64];
        snprintf(key, sizeof key, "case:%s", g_rows[i].uid);
        igc_exemplar x = row_exemplar(&g_rows[i]);
        x.key = key;
        ncases += igc_engine_add_case(e, &x) == 0;
    }
    REQUIRE(ncases > 100);
    REQUIRE(igc_engine_commit(e) == 0);
    const size_t sizes[] = {1, 7, 40};
    size_t compared = 0, differ = 0, keywords = 0;
    for (size_t si = 0; si < 3; si++) {
        size_t n = sizes[si];
        igc_engine_input in[40];
        const row *rw[40];
        for (size_t k = 0; k < n; k++) rw[k] = &g_rows[(k * 37 + si * 11) % g_nrows], in[k] = row_input(rw[k]);
        in[n - 1] = (igc_engine_input){.main_product = "", .ksic_code = "28202"}; /* nothing to encode */
        igc_engine_batch *b;
        REQUIRE(igc_engine_batch_new(e, in, n, &b) == 0);
        /* in another order than the batch's */
        for (size_t k = n; k-- > 0;) {
            igc_engine_result lone, batched;
            int ra = igc_engine_classify(e, &in[k], NULL, &lone);
            int rb = igc_engine_classify_in(e, &in[k], b, k, NULL, 0, &batched);
            compare_pair(ra, &lone, rb, &batched, &differ, &compared);
            if (k == n - 1) continue;
            /* a stored judgment classified again, as the re-classification job does */
            ra = igc_engine_classify_stored(e, &in[k], rw[k]->uid, &lone);
            rb = igc_engine_classify_in(e, &in[k], b, k, rw[k]->uid, IGC_ENGINE_STORED, &batched);
            compare_pair(ra, &lone, rb, &batched, &differ, &compared);
        }
        igc_engine_result r;
        CHECK_EQ_INT(igc_engine_classify_in(e, &in[0], b, n, NULL, 0, &r), IGC_EINVAL);
        CHECK_EQ_INT(igc_engine_classify_in(full_enc(), &in[0], b, 0, NULL, 0, &r), IGC_EINVAL);
        /* no batch: alone; without explanations: the same codes, scores and flags */
        igc_engine_result lone, brief;
        REQUIRE(igc_engine_classify(e, &in[0], NULL, &lone) == 0);
        REQUIRE(igc_engine_classify_in(e, &in[0], NULL, 0, NULL, 0, &r) == 0);
        differ += !same_result(&lone, &r);
        igc_engine_result_free(&r);
        REQUIRE(igc_engine_classify_in(e, &in[0], b, 0, NULL, IGC_ENGINE_NO_EXPLAIN, &brief) == 0);
        CHECK(brief.ncands == lone.ncands && brief.applicable == lone.applicable &&
              brief.needs_review == lone.needs_review && brief.nneighbors == lone.nneighbors && !brief.why);
        for (size_t c = 0; c < brief.ncands && c < lone.ncands; c++) {
            CHECK(brief.cands[c].item == lone.cands[c].item && brief.cands[c].score == lone.cands[c].score);
            CHECK(!brief.cands[c].nkeywords && !brief.cands[c].basis && !brief.cands[c].nterms);
            keywords += lone.cands[c].nkeywords;
        }
        CHECK_EQ_INT(igc_engine_result_basis(e, &brief, 0), IGC_ESTATE);
        igc_engine_result_free(&lone);
        igc_engine_result_free(&brief);
        igc_engine_batch_free(b);
    }
    CHECK(compared >= 90);
    CHECK(keywords > 0); /* the lone answers had what the brief ones leave out */
    CHECK_EQ_INT(differ, 0);
    /* made before an exemplar came in: its per-item sums are stale */
    igc_engine_input one = row_input(&g_rows[3]);
    igc_engine_batch *b;
    REQUIRE(igc_engine_batch_new(e, &one, 1, &b) == 0);
    igc_exemplar x = row_exemplar(&g_rows[3]);
    x.key = "test:late";
    REQUIRE(igc_engine_add_exemplar(e, &x) == 0);
    igc_engine_result r;
    CHECK_EQ_INT(igc_engine_classify_in(e, &one, b, 0, NULL, 0, &r), IGC_ESTATE);
    igc_engine_batch_free(b);
    igc_engine_batch_free(NULL);
    igc_engine_unref(e);
}

IGC_TEST_MAIN(TEST_ENTRY(construction_and_refs), TEST_ENTRY(item_name_ranks_first),
              TEST_ENTRY(exemplar_errors_and_counts), TEST_ENTRY(exemplar_verbatim_knn),
              TEST_ENTRY(leave_one_out_excludes), TEST_ENTRY(leave_one_out_matches_engine_without_row),
              TEST_ENTRY(applicability_and_commit), TEST_ENTRY(na_knn_reports_neighbours),
              TEST_ENTRY(deterministic), TEST_ENTRY(add_many_matches_one_by_one), TEST_ENTRY(cases_finish_same_answers), TEST_ENTRY(deferred_basis), TEST_ENTRY(refit_matches_commit), TEST_ENTRY(result_invariants),
              TEST_ENTRY(blank_input), TEST_ENTRY(known_words), TEST_ENTRY(keywords_skip_particles_and_repeats), TEST_ENTRY(basis_quotes_the_words_met), TEST_ENTRY(params_files), TEST_ENTRY(signal_switch_off),
              TEST_ENTRY(dense_features), TEST_ENTRY(feature_ranges), TEST_ENTRY(robustness), TEST_ENTRY(add_exemplar_scales),
              TEST_ENTRY(threads),
              TEST_ENTRY(knn_k_out_of_range), TEST_ENTRY(confidence_weights_votes), TEST_ENTRY(remove_exemplar_and_owner), TEST_ENTRY(own_judgments_move_nothing),
              TEST_ENTRY(dense_neighbours_past_left_out_ones), TEST_ENTRY(batch_matches_lone))
