/* Carrying the index-term dictionary over to a new revision through the crosswalk,
 * with the data directory's files; items are picked from the crosswalk. */
#include <stdlib.h>
#include <string.h>

#include "igc_lexicon.h"
#include "igc_test.h"

static igc_taxonomy *v6, *v7;
static igc_crosswalk *cw;
static igc_ksic *ksic;
static igc_lexicon *old, *carried;
static cJSON *review;

static int setup(void) {
    if (carried) return 1;
    char p[1024];
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", igc_test_data_dir());
    if (igc_taxonomy_load(p, &v6, NULL)) return 0;
    snprintf(p, sizeof p, "%s/taxonomy/igc-v7-draft.json", igc_test_data_dir());
    if (igc_taxonomy_load(p, &v7, NULL)) return 0;
    snprintf(p, sizeof p, "%s/taxonomy/crosswalk-v6-v7.csv", igc_test_data_dir());
    if (igc_crosswalk_load(p, v6, v7, &cw, NULL, NULL)) return 0;
    if (igc_ksic_load(igc_test_data_dir(), &ksic)) return 0;
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6-lexicon.jsonl", igc_test_data_dir());
    if (igc_lexicon_load(p, v6, ksic, &old, NULL)) return 0;
    char *txt;
    size_t len;
    if (igc_read_file(p, &txt, &len)) return 0;
    igc_buf out = {0}, err = {0};
    review = cJSON_CreateArray();
    int rc = igc_lexicon_carry(txt, len, cw, &out, review, &err);
    free(txt);
    if (!rc) rc = igc_lexicon_parse(out.data, out.len, "carried", v7, ksic, &carried, &err);
    if (rc) fprintf(stderr, "%s\n", err.data ? err.data : "");
    igc_buf_free(&out);
    igc_buf_free(&err);
    return rc == 0;
}

static const igc_lex_item *line_of(const igc_lexicon *lx, const igc_taxonomy *t, const char *code) {
    const igc_tx_item *it = igc_taxonomy_item(t, code);
    return it ? igc_lexicon_item(lx, (size_t)(it - t->items)) : NULL;
}

static int has_term(const igc_lex_item *li, const char *term) {
    for (size_t i = 0; li && i < li->nterms; i++)
        if (strcmp(li->terms[i], term) == 0) return 1;
    return 0;
}

static size_t reviews(const char *kind, const char *code) {
    size_t n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, review) n += strcmp(cJSON_GetObjectItem(e, "kind")->valuestring, kind) == 0 &&
                                       (!code || strcmp(cJSON_GetObjectItem(e, "code")->valuestring, code) == 0);
    return n;
}

/* The carried dictionary loads against the new revision and covers every new item. */
TEST(carried_dictionary_loads_against_new_revision) {
    REQUIRE(setup());
    CHECK(igc_lexicon_taxonomy(carried) == v7);
    CHECK_EQ_INT((int)igc_lexicon_nitems(carried), (int)v7->nitems);
    for (size_t i = 0; i < v7->nitems; i++) {
        const igc_lex_item *li = igc_lexicon_item(carried, i);
        CHECK(li && li->nterms >= 1);
    }
}

TEST(one_to_one_and_merged_keep_their_terms) {
    REQUIRE(setup());
    size_t n;
    const igc_xw_row *rows = igc_crosswalk_rows(cw, &n);
    size_t checked_same = 0, checked_merged = 0;
    for (size_t i = 0; i < n; i++) {
        const igc_xw_row *r = &rows[i];
        if (r->relation != IGC_XW_SAME && r->relation != IGC_XW_RENAMED && r->relation != IGC_XW_MERGED) continue;
        const igc_lex_item *a = line_of(old, v6, r->from), *b = line_of(carried, v7, r->to);
        REQUIRE(b);
        for (size_t t = 0; a && t < a->nterms; t++) CHECK(has_term(b, a->terms[t]));
        if (r->relation == IGC_XW_MERGED) {
            checked_merged++;
            CHECK(reviews("merged", r->to) == 1);
        } else {
            checked_same++;
            CHECK_EQ_INT((int)b->nterms, (int)a->nterms);
            CHECK_EQ_INT((int)b->nksic, (int)a->nksic);
        }
    }
    CHECK(checked_same > 0 && checked_merged > 0);
}

/* Each term of a split item goes to at least one part; the parts are marked for review. */
TEST(split_terms_go_to_the_parts) {
    REQUIRE(setup());
    size_t n;
    const igc_xw_row *rows = igc_crosswalk_rows(cw, &n);
    size_t splits = 0;
    for (size_t i = 0; i < n; i++) {
        const igc_xw_row *r = &rows[i];
        if (r->relation != IGC_XW_SPLIT) continue;
        CHECK(reviews("split", r->to) == 1);
        const igc_xw_row *parts[16];
        size_t np = igc_crosswalk_targets(cw, r->from, parts, 16);
        if (parts[0] != r) continue; /* each old item once */
        splits++;
        const igc_lex_item *a = line_of(old, v6, r->from);
        size_t spread = 0;
        for (size_t t = 0; a && t < a->nterms; t++) {
            size_t in = 0;
            for (size_t k = 0; k < np; k++) in += has_term(line_of(carried, v7, parts[k]->to), a->terms[t]);
            CHECK(in >= 1);
            spread += in < np;
        }
        CHECK(spread > 0); /* not every term copied to every part */
    }
    CHECK(splits > 0);
}

TEST(new_and_removed_items_are_listed) {
    REQUIRE(setup());
    size_t n, nnew = 0, nrem = 0;
    const igc_xw_row *rows = igc_crosswalk_rows(cw, &n);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].relation == IGC_XW_NEW) {
            nnew++;
            CHECK(reviews("new", rows[i].to) == 1);
            CHECK(has_term(line_of(carried, v7, rows[i].to), igc_taxonomy_item(v7, rows[i].to)->name));
        }
        if (rows[i].relation == IGC_XW_REMOVED) {
            nrem++;
            CHECK(reviews("removed", rows[i].from) == 1);
        }
    }
    CHECK_EQ_INT((int)reviews("new", NULL), (int)nnew);
    CHECK_EQ_INT((int)reviews("removed", NULL), (int)nrem);
}

TEST(broken_old_text_is_refused) {
    REQUIRE(setup());
    igc_buf out = {0}, err = {0};
    cJSON *rev = cJSON_CreateArray();
    CHECK_EQ_INT(igc_lexicon_carry("{\"code\": \n", 10, cw, &out, rev, &err), IGC_EPARSE);
    CHECK(err.data && strstr(err.data, "1번째 줄"));
    cJSON_Delete(rev);
    igc_buf_free(&out);
    igc_buf_free(&err);
}

/* The carried file is written as the shipped one is ({"code": "X", "name": ...), so the
 * search the lexicon guide gives ({"code": "X", "name") finds each item's line, once,
 * and never a confusable entry ({"code": "X", "cue": ...}). */
TEST(carried_file_reads_like_the_shipped_one) {
    REQUIRE(setup());
    char p[1024];
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6-lexicon.jsonl", igc_test_data_dir());
    char *txt;
    size_t len;
    REQUIRE(igc_read_file(p, &txt, &len) == 0);
    igc_buf out = {0}, err = {0};
    cJSON *rev = cJSON_CreateArray();
    REQUIRE(igc_lexicon_carry(txt, len, cw, &out, rev, &err) == 0);
    free(txt);
    size_t wrong = 0;
    for (size_t i = 0; i < v7->nitems; i++) {
        char key[64];
        snprintf(key, sizeof key, "{\"code\": \"%s\", \"name\"", v7->items[i].code);
        const char *at = strstr(out.data, key);
        wrong += !at || (at != out.data && at[-1] != '\n') || strstr(at + 1, key) != NULL;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK(strstr(out.data, "\"confusable\": [{\"code\": \"") != NULL);
    CHECK(strstr(out.data, "\",\"") == NULL); /* no compact separators */
    cJSON_Delete(rev);
    igc_buf_free(&out);
    igc_buf_free(&err);
}

IGC_TEST_MAIN(TEST_ENTRY(carried_dictionary_loads_against_new_revision), TEST_ENTRY(one_to_one_and_merged_keep_their_terms),
              TEST_ENTRY(split_terms_go_to_the_parts), TEST_ENTRY(new_and_removed_items_are_listed),
              TEST_ENTRY(broken_old_text_is_refused), TEST_ENTRY(carried_file_reads_like_the_shipped_one))
