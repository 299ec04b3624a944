/* The engine's two dictionaries: the index-term dictionary (the `lexicon` signal)
 * and the case dictionary (the `cases` signal, kept apart from past judgments).
 * Item codes are never written here: items are found through the dictionary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_engine.h"
#include "igc_lexicon.h"
#include "igc_test.h"

static igc_taxonomy *g_tx;
static igc_ksic *g_ks;
static igc_lexicon *g_lx;

typedef struct {
    char *uid, *company, *ksic_code, *ksic_name, *main_product, *label1, *none_reason;
} crow;
static crow *g_cases;
static size_t g_ncases;

static char *dupe(const char *s) { return igc_strdup(s ? s : ""); }

static void cleanup(void) {
    for (size_t i = 0; i < g_ncases; i++) {
        crow *r = &g_cases[i];
        free(r->uid), free(r->company), free(r->ksic_code), free(r->ksic_name), free(r->main_product);
        free(r->label1), free(r->none_reason);
    }
    free(g_cases);
    igc_lexicon_unref(g_lx);
    igc_ksic_free(g_ks);
    igc_taxonomy_unref(g_tx);
}

static int load_cases(const char *path) {
    static const char *const names[] = {"uid", "company", "ksic_code", "ksic_name", "main_product", "label1",
                                        "none_reason"};
    int col[7];
    igc_csv *c;
    if (igc_csv_open_cols(path, names, 7, col, NULL, &c, NULL)) return -1;
    char **f;
    size_t nf, cap = 0;
    while (igc_csv_next(c, &f, &nf) == 1) {
        if (g_ncases == cap) {
            cap = cap ? cap * 2 : 512;
            g_cases = realloc(g_cases, cap * sizeof *g_cases);
        }
        crow *r = &g_cases[g_ncases++];
#define FLD(i) ((size_t)col[i] < nf ? f[col[i]] : "")
        r->uid = dupe(FLD(0)), r->company = dupe(FLD(1)), r->ksic_code = dupe(FLD(2));
        r->ksic_name = dupe(FLD(3)), r->main_product = dupe(FLD(4)), r->label1 = dupe(FLD(5));
        r->none_reason = dupe(FLD(6));
#undef FLD
    }
    igc_csv_close(c);
    return 0;
}

static int fixtures(void) {
    static int state;
    if (state) return state > 0 ? 0 : -1;
    state = -1;
    atexit(cleanup);
    const char *dir = igc_test_data_dir();
    char p[1024];
    igc_buf err = {0};
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", dir);
    int rc = igc_taxonomy_load(p, &g_tx, &err);
    if (!rc) rc = igc_ksic_load(dir, &g_ks);
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6-lexicon.jsonl", dir);
    if (!rc) rc = igc_lexicon_load(p, g_tx, g_ks, &g_lx, &err);
    if (rc) fprintf(stderr, "  fixtures: %s\n", err.data ? err.data : igc_strerror(rc));
    igc_buf_free(&err);
    snprintf(p, sizeof p, "%s/labeled/synthetic.csv", dir);
    if (rc || load_cases(p) || g_ncases < 100) return -1;
    state = 1;
    return 0;
}

static igc_engine_input product(const char *text) {
    return (igc_engine_input){"(주)테스트", "", "", text, "", "", ""};
}

static size_t rank_of(const igc_engine_result *r, const igc_tx_item *it) {
    for (size_t i = 0; i < r->ncands; i++)
        if (r->cands[i].item == it) return i;
    return IGC_ENGINE_MAX_CANDS;
}

/* The first item that lists the term, found through the dictionary itself. */
static const igc_tx_item *item_of_term(const char *term) {
    int64_t id = igc_lexicon_find(g_lx, term);
    if (id < 0) return NULL;
    const igc_lex_term *t = igc_lexicon_term(g_lx, (uint32_t)id);
    return t && t->nitems ? &g_tx->items[t->items[0]] : NULL;
}

/* An item's own dictionary terms, asked alone, put it in the top 3 far more often
 * with the dictionary than without (the taxonomy text alone). */
TEST(terms_rank_their_item) {
    REQUIRE(fixtures() == 0);
    igc_engine *with, *without;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &with) == 0);
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &without) == 0);
    REQUIRE(igc_engine_set_lexicon(with, g_lx) == 0);
    size_t n = 0, top3_with = 0, top3_without = 0;
    for (size_t i = 0; i < g_tx->nitems; i++) {
        const igc_lex_item *li = igc_lexicon_item(g_lx, i);
        if (!li || li->nterms < 3) continue;
        /* a term in the middle of the list: less likely to repeat the item's name */
        const char *term = li->terms[li->nterms / 2];
        igc_engine_input in = product(term);
        igc_engine_result a, b;
        REQUIRE(igc_engine_classify(with, &in, NULL, &a) == 0);
        REQUIRE(igc_engine_classify(without, &in, NULL, &b) == 0);
        n++;
        top3_with += rank_of(&a, &g_tx->items[i]) < 3;
        top3_without += rank_of(&b, &g_tx->items[i]) < 3;
        igc_engine_result_free(&a);
        igc_engine_result_free(&b);
    }
    fprintf(stderr, "  one term asked alone: its item in the top 3 for %zu/%zu with the dictionary, %zu without\n",
            top3_with, n, top3_without);
    CHECK(n >= 200);
    CHECK(top3_with * 100 >= n * 85);
    CHECK(top3_with >= top3_without + n / 5);
    igc_engine_unref(with);
    igc_engine_unref(without);
}

/* The answer says which dictionary terms drove it: in the keywords, in the
 * candidate's terms and in the 분류근거. */
TEST(terms_explain_the_answer) {
    REQUIRE(fixtures() == 0);
    const igc_tx_item *it = item_of_term("간편결제");
    REQUIRE(it);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    REQUIRE(igc_engine_set_lexicon(e, g_lx) == 0);
    igc_engine_input in = product("온라인 전자결제 대행(PG), 간편결제");
    igc_engine_result r;
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    size_t k = rank_of(&r, it);
    fprintf(stderr, "  '간편결제' item %s at rank %zu\n", it->name, k + 1);
    REQUIRE(k < 3);
    const igc_engine_cand *c = &r.cands[k];
    int term = 0, kw = 0;
    for (size_t i = 0; i < c->nterms; i++) term |= strcmp(c->terms[i], "간편결제") == 0;
    for (size_t i = 0; i < c->nkeywords; i++) kw |= strcmp(c->keywords[i], "간편결제") == 0;
    CHECK(term);
    CHECK(kw);
    CHECK(c->basis && strstr(c->basis, "'간편결제'") && strstr(c->basis, "색인어"));
    CHECK(c->sig[IGC_SIG_LEXICON] > 0);
    igc_engine_result_free(&r);
    igc_engine_unref(e);
}

/* A dictionary handed over while the engine runs changes the answer at once, and
 * taking it away restores the old one: how a staff edit reaches a running service. */
TEST(lexicon_swap_changes_answer) {
    REQUIRE(fixtures() == 0);
    const igc_tx_item *it = &g_tx->items[g_tx->nitems / 3];
    /* the shared dictionary with one term added to one item, as staff would edit it */
    char p[1024], *txt;
    size_t len;
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6-lexicon.jsonl", igc_test_data_dir());
    REQUIRE(igc_read_file(p, &txt, &len) == 0);
    char key[64];
    /* the item's own line, not a confusable entry naming it */
    snprintf(key, sizeof key, "\n{\"code\": \"%s\"", it->code);
    char *at = strstr(txt, key), *terms = at ? strstr(at, "\"terms\": [") : NULL;
    REQUIRE(terms);
    terms += strlen("\"terms\": [");
    igc_buf ed = {0};
    igc_buf_printf(&ed, "%.*s\"쿼블릭스 장치\", %s", (int)(terms - txt), txt, terms);
    free(txt);
    igc_lexicon *mine;
    igc_buf err = {0};
    int rc = igc_lexicon_parse(ed.data, ed.len, "edited", g_tx, g_ks, &mine, &err);
    igc_buf_free(&ed);
    if (rc) fprintf(stderr, "  %s\n", err.data ? err.data : "?");
    igc_buf_free(&err);
    REQUIRE(rc == 0);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    REQUIRE(igc_engine_set_lexicon(e, g_lx) == 0);
    igc_engine_input in = product("쿼블릭스 장치 제조");
    igc_engine_result r;
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    size_t before = rank_of(&r, it);
    CHECK(before >= 3);
    igc_engine_result_free(&r);
    REQUIRE(igc_engine_set_lexicon(e, mine) == 0);
    igc_lexicon *held = igc_engine_lexicon_ref(e);
    CHECK(held == mine);
    igc_lexicon_unref(held);
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    size_t after = rank_of(&r, it);
    fprintf(stderr, "  a term added to item %s: rank %zu before, %zu after\n", it->name, before + 1, after + 1);
    REQUIRE(after < 3);
    CHECK(r.cands[after].nterms == 1 && strcmp(r.cands[after].terms[0], "쿼블릭스 장치") == 0);
    igc_engine_result_free(&r);
    REQUIRE(igc_engine_set_lexicon(e, NULL) == 0);
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    CHECK(rank_of(&r, it) >= 3);
    igc_engine_result_free(&r);
    /* a dictionary of another taxonomy is refused */
    igc_taxonomy *other;
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", igc_test_data_dir());
    REQUIRE(igc_taxonomy_load(p, &other, NULL) == 0);
    igc_engine *e2;
    REQUIRE(igc_engine_new(other, g_ks, NULL, NULL, NULL, NULL, &e2) == 0);
    CHECK_EQ_INT(igc_engine_set_lexicon(e2, mine), IGC_EINVAL);
    igc_engine_unref(e2);
    igc_taxonomy_unref(other);
    igc_lexicon_unref(mine);
    igc_engine_unref(e);
}

/* The firm's KSIC code among an item's typical codes raises that item. */
TEST(typical_ksic_codes) {
    REQUIRE(fixtures() == 0);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    REQUIRE(igc_engine_set_lexicon(e, g_lx) == 0);
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    REQUIRE(ft);
    size_t n = 0, exact = 0;
    for (size_t i = 0; i < g_tx->nitems; i += 5) {
        const igc_lex_item *li = igc_lexicon_item(g_lx, i);
        if (!li || !li->nksic) continue;
        igc_engine_input in = product("장비");
        in.ksic_code = li->ksic[0];
        REQUIRE(igc_engine_features(e, &in, NULL, ft, na) == 0);
        n++;
        exact += ft[i * IGC_FT_N + IGC_FT_TERM_KSIC] == 1.0f;
        for (size_t j = 0; j < g_tx->nitems; j++) CHECK(ft[j * IGC_FT_N + IGC_FT_TERM_KSIC] <= 1.0f);
    }
    CHECK(n >= 40);
    CHECK_EQ_INT(exact, n);
    free(ft);
    igc_engine_unref(e);
}

static igc_exemplar case_exemplar(const crow *r, char *key, size_t keysz) {
    snprintf(key, keysz, "case:%s", r->uid);
    igc_exemplar x = {0};
    x.key = key;
    x.in = (igc_engine_input){r->company, r->ksic_code, r->ksic_name, r->main_product, "", "", ""};
    x.labels[0] = r->label1;
    x.none_reason = r->none_reason;
    return x;
}

/* Cases feed only the cases signal: a case's own text finds its item through the
 * case neighbours, but cases are never shown as past judgments and change no other
 * feature or evidence (KSIC priors, neighbour shares, the text classifier). */
TEST(cases_kept_apart) {
    REQUIRE(fixtures() == 0);
    igc_engine *plain, *withc;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &plain) == 0);
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &withc) == 0);
    /* the same few real judgments in both: cases of every 7th item */
    for (size_t i = 0; i < g_ncases; i += 7) {
        char key[64];
        igc_exemplar x = case_exemplar(&g_cases[i], key, sizeof key);
        snprintf(key, sizeof key, "hist:%s", g_cases[i].uid);
        CHECK_EQ_INT(igc_engine_add_exemplar(plain, &x), 0);
        CHECK_EQ_INT(igc_engine_add_exemplar(withc, &x), 0);
    }
    size_t added = 0;
    for (size_t i = 0; i < g_ncases; i++) {
        char key[64];
        igc_exemplar x = case_exemplar(&g_cases[i], key, sizeof key);
        added += igc_engine_add_case(withc, &x) == 0;
    }
    CHECK_EQ_INT(added, g_ncases);
    CHECK_EQ_INT(igc_engine_case_count(withc), g_ncases);
    char key[64];
    igc_exemplar again = case_exemplar(&g_cases[0], key, sizeof key);
    CHECK_EQ_INT(igc_engine_add_case(withc, &again), IGC_EEXIST);
    CHECK_EQ_INT(igc_engine_exemplar_count(withc), igc_engine_exemplar_count(plain));
    CHECK_EQ_INT(igc_engine_commit(plain), 0);
    CHECK_EQ_INT(igc_engine_commit(withc), 0);
    size_t ni = g_tx->nitems, n = 0, top = 0, shown = 0, differ = 0;
    float *fa = malloc(ni * IGC_FT_N * sizeof *fa), *fb = malloc(ni * IGC_FT_N * sizeof *fb);
    REQUIRE(fa && fb);
    for (size_t i = 3; i < g_ncases; i += 11) {
        const crow *rw = &g_cases[i];
        const igc_tx_item *it = *rw->label1 ? igc_taxonomy_item(g_tx, rw->label1) : NULL;
        igc_engine_input in = {rw->company, rw->ksic_code, rw->ksic_name, rw->main_product, "", "", ""};
        double na_a[IGC_NA_N], na_b[IGC_NA_N];
        REQUIRE(igc_engine_features(plain, &in, NULL, fa, na_a) == 0);
        REQUIRE(igc_engine_features(withc, &in, NULL, fb, na_b) == 0);
        for (size_t t = 0; t < ni; t++)
            for (int f = 0; f < IGC_FT_N; f++) {
                if (igc_engine_feature_signal[f] == IGC_SIG_CASES) continue;
                differ += fa[t * IGC_FT_N + f] != fb[t * IGC_FT_N + f];
            }
        for (int k = 0; k < IGC_NA_N; k++) differ += k != IGC_NA_CASE && na_a[k] != na_b[k];
        if (it) {
            size_t l = (size_t)(it - g_tx->items), best = 0;
            for (size_t t = 1; t < ni; t++)
                if (fb[t * IGC_FT_N + IGC_FT_CASE_LEX] > fb[best * IGC_FT_N + IGC_FT_CASE_LEX]) best = t;
            top += fb[l * IGC_FT_N + IGC_FT_CASE_LEX] >= fb[best * IGC_FT_N + IGC_FT_CASE_LEX];
            n++;
        } else {
            CHECK(na_b[IGC_NA_CASE] > 0);
        }
        igc_engine_result r;
        REQUIRE(igc_engine_classify(withc, &in, NULL, &r) == 0);
        for (size_t j = 0; j < r.nneighbors; j++) shown += strncmp(r.neighbors[j].key, "case:", 5) == 0;
        igc_engine_result_free(&r);
    }
    fprintf(stderr, "  a case's own text: its item leads the case votes for %zu/%zu\n", top, n);
    CHECK_EQ_INT(differ, 0);
    CHECK_EQ_INT(shown, 0);
    CHECK(n >= 200 && top * 100 >= n * 95);
    /* switched off, the cases say nothing */
    igc_engine_params p;
    igc_engine_params_default(&p);
    p.use[IGC_SIG_CASES] = 0;
    igc_engine *off;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, &p, NULL, NULL, &off) == 0);
    for (size_t i = 0; i < 50; i++) {
        igc_exemplar x = case_exemplar(&g_cases[i], key, sizeof key);
        CHECK_EQ_INT(igc_engine_add_case(off, &x), 0);
    }
    igc_engine_input in0 = {g_cases[0].company, g_cases[0].ksic_code, g_cases[0].ksic_name, g_cases[0].main_product,
                            "", "", ""};
    double nav[IGC_NA_N];
    REQUIRE(igc_engine_features(off, &in0, NULL, fb, nav) == 0);
    size_t nonzero = 0;
    for (size_t t = 0; t < ni; t++)
        for (int f = 0; f < IGC_FT_N; f++) nonzero += igc_engine_feature_signal[f] == IGC_SIG_CASES && fb[t * IGC_FT_N + f];
    CHECK_EQ_INT(nonzero, 0);
    CHECK(nav[IGC_NA_CASE] == 0);
    igc_engine_unref(off);
    free(fa);
    free(fb);
    igc_engine_unref(plain);
    igc_engine_unref(withc);
}

/* 기여 키워드 are stems an examiner reads: no particles or endings, no bare particle,
 * Latin words as written (issue: 양극재로, 항체를, 제약사로부터, 으로). */
TEST(keywords_are_stems) {
    REQUIRE(fixtures() == 0);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    REQUIRE(igc_engine_set_lexicon(e, g_lx) == 0);
    igc_engine_input in = product("리튬이온 배터리 양극재로 쓰이는 소재를 제약사로부터 받은 항체를 OLED으로");
    igc_engine_result r;
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    int stem = 0, bad = 0, oled = 0;
    for (size_t c = 0; c < r.ncands; c++)
        for (size_t k = 0; k < r.cands[c].nkeywords; k++) {
            const char *w = r.cands[c].keywords[k];
            stem |= strcmp(w, "양극재") == 0;
            oled |= strcmp(w, "OLED") == 0;
            size_t n = strlen(w);
            int ends_particle = (n > 3 && strcmp(w + n - 3, "로") == 0) || (n > 3 && strcmp(w + n - 3, "를") == 0);
            if (ends_particle || strcmp(w, "으로") == 0 || strstr(w, "로부터")) {
                fprintf(stderr, "  keyword with a particle: %s\n", w);
                bad++;
            }
        }
    CHECK(stem);
    CHECK(oled);
    CHECK_EQ_INT(bad, 0);
    igc_engine_result_free(&r);
    igc_engine_unref(e);
}

/* The KSIC group's history is told in firms ("5개사 중 1개사"), not label weights. */
TEST(group_history_in_firms) {
    REQUIRE(fixtures() == 0);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    const igc_tx_item *a = &g_tx->items[10], *b = &g_tx->items[20], *c = &g_tx->items[30];
    /* five firms of one group: one with items a and b, four with c */
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof key, "g%d", i);
        igc_exemplar x = {0};
        x.key = key;
        x.in = (igc_engine_input){"회사", "262", "전자부품 제조업", i ? "전자 부품 모듈" : a->name, "", "", ""};
        x.labels[0] = i ? c->code : a->code;
        x.labels[1] = i ? NULL : b->code;
        CHECK_EQ_INT(igc_engine_add_exemplar(e, &x), 0);
    }
    CHECK_EQ_INT(igc_engine_commit(e), 0);
    igc_engine_input in = {"회사", "262", "전자부품 제조업", a->name, "", "", ""};
    igc_engine_result r;
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    size_t k = rank_of(&r, a);
    REQUIRE(k < r.ncands);
    fprintf(stderr, "  basis: %s\n", r.cands[k].basis);
    CHECK(strstr(r.cands[k].basis, "5개사 중 1개사") != NULL);
    CHECK(strstr(r.cands[k].basis, "%") == NULL);
    igc_engine_result_free(&r);
    igc_engine_unref(e);
}

/* A not-applicable cue of the dictionary found in the input is named in the result
 * (the answer explains it) and counts as evidence against applicability. */
TEST(not_applicable_cue_named) {
    REQUIRE(fixtures() == 0);
    const char *cue = NULL;
    for (size_t i = 0; i < g_tx->nitems && !cue; i++) {
        const igc_lex_item *li = igc_lexicon_item(g_lx, i);
        if (li && li->nna_cues) cue = li->na_cues[0];
    }
    REQUIRE(cue);
    igc_engine *e;
    REQUIRE(igc_engine_new(g_tx, g_ks, NULL, NULL, NULL, NULL, &e) == 0);
    REQUIRE(igc_engine_set_lexicon(e, g_lx) == 0);
    igc_engine_input in = product(cue);
    igc_engine_result r;
    REQUIRE(igc_engine_classify(e, &in, NULL, &r) == 0);
    fprintf(stderr, "  cue '%s' -> named '%s'\n", cue, r.na_cue);
    CHECK(r.na_cue[0] != 0);
    igc_engine_result_free(&r);
    float *ft = malloc(g_tx->nitems * IGC_FT_N * sizeof *ft);
    double na[IGC_NA_N];
    REQUIRE(ft && igc_engine_features(e, &in, NULL, ft, na) == 0);
    CHECK(na[IGC_NA_CUE] > 0);
    igc_engine_input plain = product("리튬이온 배터리 양극재");
    REQUIRE(igc_engine_classify(e, &plain, NULL, &r) == 0);
    CHECK(r.na_cue[0] == 0);
    igc_engine_result_free(&r);
    free(ft);
    igc_engine_unref(e);
}

IGC_TEST_MAIN(TEST_ENTRY(not_applicable_cue_named), TEST_ENTRY(keywords_are_stems), TEST_ENTRY(group_history_in_firms), TEST_ENTRY(terms_rank_their_item), TEST_ENTRY(terms_explain_the_answer),
              TEST_ENTRY(lexicon_swap_changes_answer), TEST_ENTRY(typical_ksic_codes), TEST_ENTRY(cases_kept_apart))
