#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_taxonomy.h"
#include "igc_test.h"

static char path[1024];

static const char *tx_path(void) {
    snprintf(path, sizeof path, "%s/taxonomy/igc-v6.json", igc_test_data_dir());
    return path;
}

/* The source file parsed independently, to compare against. */
static cJSON *read_source(void) {
    char *data;
    size_t len;
    if (igc_read_file(tx_path(), &data, &len)) return NULL;
    cJSON *j = cJSON_ParseWithLength(data, len);
    free(data);
    return j;
}

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

TEST(load_real_file_counts) {
    cJSON *src = read_source();
    REQUIRE(src != NULL);
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(src, "counts");
    REQUIRE(counts != NULL);
    igc_taxonomy *t = NULL;
    igc_buf err = {0};
    int rc = igc_taxonomy_load(tx_path(), &t, &err);
    if (rc) fprintf(stderr, "  load: %s\n", err.data ? err.data : "");
    REQUIRE(rc == 0 && t);
    CHECK_EQ_INT(t->nthemes, jint(counts, "themes"));
    CHECK_EQ_INT(t->nfields, jint(counts, "fields"));
    CHECK_EQ_INT(t->nitems, jint(counts, "items"));
    /* The revision-6 standard: 9 themes, 31 fields, 240 items. */
    CHECK_EQ_INT(t->nthemes, 9);
    CHECK_EQ_INT(t->nfields, 31);
    CHECK_EQ_INT(t->nitems, 240);
    CHECK_EQ_STR(t->version, jstr(src, "version"));
    CHECK_EQ_INT(t->revision, jint(src, "revision"));
    CHECK_EQ_STR(t->standard, jstr(src, "standard"));
    REQUIRE(t->sha != NULL);
    CHECK_EQ_INT(strlen(t->sha), 16);
    CHECK(strspn(t->sha, "0123456789abcdef") == 16);
    igc_taxonomy_unref(t);
    igc_buf_free(&err);
    cJSON_Delete(src);
}

TEST(every_item_looks_up) {
    cJSON *src = read_source();
    REQUIRE(src != NULL);
    igc_taxonomy *t = NULL;
    REQUIRE(igc_taxonomy_load(tx_path(), &t, NULL) == 0);
    const cJSON *e;
    size_t n = 0, damaged = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, "items")) {
        const char *code = jstr(e, "code");
        REQUIRE(code != NULL);
        const igc_tx_item *it = igc_taxonomy_item(t, code);
        if (!it) {
            fprintf(stderr, "  item %s not found\n", code);
            CHECK(0);
            continue;
        }
        n++;
        CHECK_EQ_STR(it->code, code);
        CHECK_EQ_STR(it->name, jstr(e, "name"));
        CHECK_EQ_STR(it->theme, jstr(e, "theme"));
        CHECK_EQ_STR(it->field, jstr(e, "field"));
        CHECK_EQ_STR(it->definition, jstr(e, "definition"));
        CHECK_EQ_STR(it->examples, jstr(e, "examples") ? jstr(e, "examples") : "");
        CHECK_EQ_STR(it->notes, jstr(e, "notes") ? jstr(e, "notes") : "");
        CHECK_EQ_INT(it->text_damaged, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "text_damaged")));
        damaged += it->text_damaged != 0;
        const igc_tx_theme *th = igc_taxonomy_item_theme(t, it);
        const igc_tx_field *fi = igc_taxonomy_item_field(t, it);
        REQUIRE(th && fi);
        CHECK_EQ_STR(th->code, it->theme);
        CHECK_EQ_STR(fi->code, it->field);
        CHECK_EQ_STR(fi->theme, it->theme);
        CHECK(th == &t->themes[it->theme_idx]);
        CHECK(fi == &t->fields[it->field_idx]);
        CHECK_EQ_INT(fi->theme_idx, it->theme_idx);
    }
    CHECK_EQ_INT(n, t->nitems);
    CHECK(damaged > 0); /* the file marks a few items with lossy text */
    /* Themes and fields keep the file's order and codes. */
    size_t i = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, "themes")) {
        if (i < t->nthemes) {
            CHECK_EQ_STR(t->themes[i].code, jstr(e, "code"));
            CHECK_EQ_STR(t->themes[i].name, jstr(e, "name"));
        }
        i++;
    }
    i = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, "fields")) {
        if (i < t->nfields) {
            CHECK_EQ_STR(t->fields[i].code, jstr(e, "code"));
            CHECK_EQ_STR(t->fields[i].theme, jstr(e, "theme"));
            CHECK_EQ_STR(t->themes[t->fields[i].theme_idx].code, jstr(e, "theme"));
        }
        i++;
    }
    igc_taxonomy_unref(t);
    cJSON_Delete(src);
}

TEST(unknown_codes_are_null) {
    igc_taxonomy *t = NULL;
    REQUIRE(igc_taxonomy_load(tx_path(), &t, NULL) == 0);
    REQUIRE(t->nitems > 0);
    const char *code = t->items[0].code;
    char longer[64], shorter[64];
    snprintf(longer, sizeof longer, "%sX", code);
    snprintf(shorter, sizeof shorter, "%.*s", (int)strlen(code) - 1, code);
    CHECK(igc_taxonomy_item(t, longer) == NULL);
    CHECK(igc_taxonomy_item(t, shorter) == NULL);
    CHECK(igc_taxonomy_item(t, "") == NULL);
    CHECK(igc_taxonomy_item(t, NULL) == NULL);
    CHECK(igc_taxonomy_item(NULL, code) == NULL);
    /* A theme or field code is not an item. */
    CHECK(igc_taxonomy_item(t, t->themes[0].code) == NULL);
    CHECK(igc_taxonomy_item(t, t->fields[0].code) == NULL);
    /* First and last codes (in sorted order) are found: the binary search covers the ends. */
    const char *lo = t->items[0].code, *hi = t->items[0].code;
    for (size_t i = 1; i < t->nitems; i++) {
        if (strcmp(t->items[i].code, lo) < 0) lo = t->items[i].code;
        if (strcmp(t->items[i].code, hi) > 0) hi = t->items[i].code;
    }
    CHECK(igc_taxonomy_item(t, lo) != NULL);
    CHECK(igc_taxonomy_item(t, hi) != NULL);
    igc_taxonomy_unref(t);
}

TEST(sha_is_stable_and_content_based) {
    igc_taxonomy *a = NULL, *b = NULL;
    REQUIRE(igc_taxonomy_load(tx_path(), &a, NULL) == 0);
    REQUIRE(igc_taxonomy_load(tx_path(), &b, NULL) == 0);
    CHECK(a != b);
    CHECK_EQ_STR(a->sha, b->sha);
    igc_taxonomy_unref(b);
    /* Same document with different bytes: a different hash. */
    char *data;
    size_t len;
    REQUIRE(igc_read_file(tx_path(), &data, &len) == 0);
    char *more = malloc(len + 2);
    REQUIRE(more != NULL);
    memcpy(more, data, len);
    more[len] = '\n';
    more[len + 1] = '\0';
    CHECK_EQ_INT(igc_taxonomy_parse(more, len + 1, &b, NULL), 0);
    if (b) CHECK(strcmp(a->sha, b->sha) != 0);
    igc_taxonomy_unref(b);
    igc_taxonomy_unref(a);
    free(more);
    free(data);
}

TEST(refcounting) {
    igc_taxonomy *t = NULL;
    REQUIRE(igc_taxonomy_load(tx_path(), &t, NULL) == 0);
    CHECK(igc_taxonomy_ref(t) == t);
    CHECK(igc_taxonomy_ref(t) == t);
    igc_taxonomy_unref(t);
    igc_taxonomy_unref(t);
    /* Still alive with the original reference (ASan would flag a use after free). */
    CHECK(igc_taxonomy_item(t, t->items[t->nitems - 1].code) == &t->items[t->nitems - 1]);
    igc_taxonomy_unref(t); /* last reference frees; LeakSanitizer checks nothing is left */
    igc_taxonomy_unref(NULL);
    CHECK(igc_taxonomy_ref(NULL) == NULL);
}

TEST(missing_file) {
    igc_taxonomy *t = (igc_taxonomy *)1;
    igc_buf err = {0};
    char p[1100];
    snprintf(p, sizeof p, "%s/taxonomy/no-such-file.json", igc_test_data_dir());
    CHECK_EQ_INT(igc_taxonomy_load(p, &t, &err), IGC_ENOTFOUND);
    CHECK(t == NULL);
    CHECK(err.data && strstr(err.data, "no-such-file.json"));
    igc_buf_free(&err);
}

/* ---- malformed documents ---- */

/* A minimal valid document, with made-up codes, that the cases below damage one way each. */
static const char *THEMES = "\"themes\":[{\"code\":\"TA\",\"name\":\"테마A\"},{\"code\":\"TB\",\"name\":\"테마B\"}]";
static const char *FIELDS = "\"fields\":[{\"code\":\"FA\",\"theme\":\"TA\",\"name\":\"분야A\"},"
                            "{\"code\":\"FB\",\"theme\":\"TB\",\"name\":\"분야B\"}]";
#define ITEM(code, theme, field, name) \
    "{\"code\":\"" code "\",\"theme\":\"" theme "\",\"field\":\"" field "\",\"name\":\"" name \
    "\",\"definition\":\"정의\",\"examples\":\"예시\",\"notes\":\"\"}"

static int parse_doc(const char *themes, const char *fields, const char *items, igc_buf *err,
                     igc_taxonomy **out) {
    igc_buf doc = {0};
    igc_buf_printf(&doc, "{\"version\":\"t-1\",\"revision\":1,\"standard\":\"test\",%s,%s%s%s}", themes, fields,
                   items ? "," : "", items ? items : "");
    err->len = 0;
    int rc = igc_taxonomy_parse(doc.data, doc.len, out, err);
    igc_buf_free(&doc);
    return rc;
}

/* Checks the parse fails with IGC_EPARSE, no result, and a message containing each need. */
static void expect_refused(const char *what, const char *themes, const char *fields, const char *items,
                           const char *need1, const char *need2) {
    igc_taxonomy *t = (igc_taxonomy *)1;
    igc_buf err = {0};
    int rc = parse_doc(themes, fields, items, &err, &t);
    const char *msg = err.data ? err.data : "";
    int ok = rc == IGC_EPARSE && t == NULL && *msg && strstr(msg, need1) && (!need2 || strstr(msg, need2));
    if (!ok) fprintf(stderr, "  %s: rc=%d message \"%s\"\n", what, rc, msg);
    CHECK(ok);
    if (rc == 0) igc_taxonomy_unref(t);
    igc_buf_free(&err);
}

TEST(minimal_document_parses) {
    igc_taxonomy *t = NULL;
    igc_buf err = {0};
    int rc = parse_doc(THEMES, FIELDS, "\"items\":[" ITEM("t1", "TA", "FA", "항목1") "," ITEM("t2", "TB", "FB", "항목2") "]",
                       &err, &t);
    if (rc) fprintf(stderr, "  %s\n", err.data);
    REQUIRE(rc == 0);
    CHECK_EQ_INT(t->nitems, 2);
    CHECK_EQ_STR(t->version, "t-1");
    const igc_tx_item *it = igc_taxonomy_item(t, "t2");
    REQUIRE(it != NULL);
    CHECK_EQ_STR(it->name, "항목2");
    CHECK_EQ_STR(igc_taxonomy_item_theme(t, it)->name, "테마B");
    CHECK_EQ_STR(igc_taxonomy_item_field(t, it)->name, "분야B");
    igc_taxonomy_unref(t);
    igc_buf_free(&err);
}

TEST(refuses_invalid_json) {
    igc_taxonomy *t = (igc_taxonomy *)1;
    igc_buf err = {0};
    const char *bad = "{\"version\": \"x\", \"items\": [";
    CHECK_EQ_INT(igc_taxonomy_parse(bad, strlen(bad), &t, &err), IGC_EPARSE);
    CHECK(t == NULL);
    CHECK(err.data && strstr(err.data, "JSON"));
    igc_buf_free(&err);
    t = (igc_taxonomy *)1;
    CHECK_EQ_INT(igc_taxonomy_parse("", 0, &t, NULL), IGC_EPARSE); /* err may be NULL */
    CHECK(t == NULL);
    CHECK_EQ_INT(igc_taxonomy_parse("[1,2]", 5, &t, &err), IGC_EPARSE);
    CHECK(err.data && *err.data);
    igc_buf_free(&err);
}

TEST(refuses_non_utf8) {
    igc_taxonomy *t = (igc_taxonomy *)1;
    igc_buf err = {0};
    const char bad[] = "{\"version\":\"t\xFF\",\"revision\":1}";
    CHECK_EQ_INT(igc_taxonomy_parse(bad, sizeof bad - 1, &t, &err), IGC_EPARSE);
    CHECK(t == NULL);
    CHECK(err.data && strstr(err.data, "UTF-8"));
    igc_buf_free(&err);
}

TEST(refuses_structural_errors) {
    expect_refused("missing items", THEMES, FIELDS, NULL, "items", NULL);
    expect_refused("empty items", THEMES, FIELDS, "\"items\":[]", "items", NULL);
    expect_refused("items not an array", THEMES, FIELDS, "\"items\":{}", "items", NULL);
    expect_refused("item missing name", THEMES, FIELDS,
                   "\"items\":[" ITEM("t1", "TA", "FA", "항목1") ","
                   "{\"code\":\"t2\",\"theme\":\"TA\",\"field\":\"FA\",\"definition\":\"d\"}]",
                   "items[1]", "name");
    expect_refused("item with blank name", THEMES, FIELDS, "\"items\":[" ITEM("t1", "TA", "FA", "  ") "]", "items[0]",
                   "name");
    expect_refused("duplicate item code", THEMES, FIELDS,
                   "\"items\":[" ITEM("t1", "TA", "FA", "a") "," ITEM("t2", "TA", "FA", "b") "," ITEM("t1", "TB", "FB", "c") "]",
                   "duplicate", "t1");
    expect_refused("item with undefined field", THEMES, FIELDS,
                   "\"items\":[" ITEM("t1", "TA", "FA", "a") "," ITEM("t2", "TA", "FZZ", "b") "]", "FZZ", "items[1]");
    expect_refused("item with undefined theme", THEMES, FIELDS, "\"items\":[" ITEM("t1", "TZZ", "FA", "a") "]", "TZZ",
                   "items[0]");
    expect_refused("item field in another theme", THEMES, FIELDS, "\"items\":[" ITEM("t1", "TA", "FB", "a") "]", "FB",
                   "items[0]");
    expect_refused("field with undefined theme", THEMES,
                   "\"fields\":[{\"code\":\"FA\",\"theme\":\"TA\",\"name\":\"a\"},{\"code\":\"FB\",\"theme\":\"TQQ\","
                   "\"name\":\"b\"}]",
                   "\"items\":[" ITEM("t1", "TA", "FA", "a") "]", "TQQ", "fields[1]");
    expect_refused("duplicate field", THEMES,
                   "\"fields\":[{\"code\":\"FA\",\"theme\":\"TA\",\"name\":\"a\"},{\"code\":\"FA\",\"theme\":\"TB\","
                   "\"name\":\"b\"}]",
                   "\"items\":[" ITEM("t1", "TA", "FA", "a") "]", "duplicate", "FA");
    expect_refused("duplicate theme", "\"themes\":[{\"code\":\"TA\",\"name\":\"a\"},{\"code\":\"TA\",\"name\":\"b\"}]",
                   FIELDS, "\"items\":[" ITEM("t1", "TA", "FA", "a") "]", "duplicate", "TA");
    expect_refused("missing themes", "\"x\":1", FIELDS, "\"items\":[" ITEM("t1", "TA", "FA", "a") "]", "themes", NULL);
    expect_refused("item not an object", THEMES, FIELDS, "\"items\":[" ITEM("t1", "TA", "FA", "a") ",3]", "items[1]",
                   NULL);
    expect_refused("examples not a string", THEMES, FIELDS,
                   "\"items\":[{\"code\":\"t1\",\"theme\":\"TA\",\"field\":\"FA\",\"name\":\"n\",\"definition\":\"d\","
                   "\"examples\":5}]",
                   "items[0]", "examples");
}

TEST(refuses_missing_version) {
    igc_taxonomy *t = (igc_taxonomy *)1;
    igc_buf err = {0};
    const char *doc = "{\"revision\":1,\"themes\":[],\"fields\":[],\"items\":[]}";
    CHECK_EQ_INT(igc_taxonomy_parse(doc, strlen(doc), &t, &err), IGC_EPARSE);
    CHECK(t == NULL);
    CHECK(err.data && strstr(err.data, "version"));
    igc_buf_free(&err);
}

/* Messages name the problem and nothing else: no stray characters after it. */
TEST(messages_have_no_stray_text) {
    igc_taxonomy *t = NULL;
    igc_buf err = {0};
    const char bad[] = "{\"version\":\"t\xFF\"}";
    igc_taxonomy_parse(bad, sizeof bad - 1, &t, &err);
    REQUIRE(err.data != NULL);
    size_t n = strlen(err.data);
    CHECK(n >= 5 && strcmp(err.data + n - 5, "UTF-8") == 0);
    if (n < 5 || strcmp(err.data + n - 5, "UTF-8") != 0) fprintf(stderr, "  message \"%s\"\n", err.data);
    igc_buf_free(&err);
    parse_doc(THEMES, FIELDS, NULL, &err, &t);
    REQUIRE(err.data != NULL);
    n = strlen(err.data);
    CHECK(n >= 7 && strcmp(err.data + n - 7, "'items'") == 0);
    if (n < 7 || strcmp(err.data + n - 7, "'items'") != 0) fprintf(stderr, "  message \"%s\"\n", err.data);
    parse_doc(THEMES, FIELDS, "\"items\":[" ITEM("t1", "TA", "FA", "a") "," ITEM("t1", "TA", "FA", "b") "]", &err, &t);
    n = strlen(err.data);
    /* Korean first, naming the code, then the English gloss */
    CHECK(strstr(err.data, "'t1'") && strstr(err.data, "겹칩니다") && n >= 14 &&
          strcmp(err.data + n - 14, "duplicate code") == 0);
    if (n < 14 || strcmp(err.data + n - 14, "duplicate code") != 0) fprintf(stderr, "  message \"%s\"\n", err.data);
    igc_buf_free(&err);
}

/* ---- JSON output ---- */

TEST(to_json_round_trip) {
    igc_taxonomy *t = NULL;
    REQUIRE(igc_taxonomy_load(tx_path(), &t, NULL) == 0);
    cJSON *j = igc_taxonomy_to_json(t, 1);
    REQUIRE(j != NULL);
    char *text = cJSON_PrintUnformatted(j);
    REQUIRE(text != NULL);
    igc_taxonomy *u = NULL;
    igc_buf err = {0};
    int rc = igc_taxonomy_parse(text, strlen(text), &u, &err);
    if (rc) fprintf(stderr, "  reparse: %s\n", err.data);
    REQUIRE(rc == 0);
    CHECK_EQ_STR(u->version, t->version);
    CHECK_EQ_INT(u->revision, t->revision);
    CHECK_EQ_STR(u->standard, t->standard);
    REQUIRE(u->nthemes == t->nthemes && u->nfields == t->nfields && u->nitems == t->nitems);
    for (size_t i = 0; i < t->nthemes; i++) {
        CHECK_EQ_STR(u->themes[i].code, t->themes[i].code);
        CHECK_EQ_STR(u->themes[i].name, t->themes[i].name);
    }
    for (size_t i = 0; i < t->nfields; i++) {
        CHECK_EQ_STR(u->fields[i].code, t->fields[i].code);
        CHECK_EQ_STR(u->fields[i].name, t->fields[i].name);
        CHECK_EQ_STR(u->fields[i].theme, t->fields[i].theme);
    }
    for (size_t i = 0; i < t->nitems; i++) {
        const igc_tx_item *a = &t->items[i], *b = &u->items[i];
        CHECK_EQ_STR(b->code, a->code);
        CHECK_EQ_STR(b->name, a->name);
        CHECK_EQ_STR(b->theme, a->theme);
        CHECK_EQ_STR(b->field, a->field);
        CHECK_EQ_STR(b->definition, a->definition);
        CHECK_EQ_STR(b->examples, a->examples);
        CHECK_EQ_STR(b->notes, a->notes);
        CHECK_EQ_INT(b->text_damaged, a->text_damaged);
    }
    igc_taxonomy_unref(u);
    igc_buf_free(&err);
    cJSON_free(text);
    cJSON_Delete(j);
    igc_taxonomy_unref(t);
}

TEST(to_json_without_text) {
    igc_taxonomy *t = NULL;
    REQUIRE(igc_taxonomy_load(tx_path(), &t, NULL) == 0);
    cJSON *j = igc_taxonomy_to_json(t, 0);
    REQUIRE(j != NULL);
    CHECK_EQ_STR(jstr(j, "version"), t->version);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items");
    REQUIRE(cJSON_IsArray(items));
    CHECK_EQ_INT(cJSON_GetArraySize(items), t->nitems);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "themes")), t->nthemes);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "fields")), t->nfields);
    const cJSON *first = cJSON_GetArrayItem(items, 0);
    CHECK_EQ_STR(jstr(first, "code"), t->items[0].code);
    CHECK_EQ_STR(jstr(first, "field"), t->items[0].field);
    CHECK(cJSON_GetObjectItemCaseSensitive(first, "definition") == NULL);
    cJSON_Delete(j);
    igc_taxonomy_unref(t);
}

TEST(item_json_has_names) {
    igc_taxonomy *t = NULL;
    REQUIRE(igc_taxonomy_load(tx_path(), &t, NULL) == 0);
    const igc_tx_item *it = &t->items[t->nitems / 2];
    cJSON *j = igc_taxonomy_item_json(t, it);
    REQUIRE(j != NULL);
    CHECK_EQ_STR(jstr(j, "code"), it->code);
    CHECK_EQ_STR(jstr(j, "name"), it->name);
    CHECK_EQ_STR(jstr(j, "theme_name"), igc_taxonomy_item_theme(t, it)->name);
    CHECK_EQ_STR(jstr(j, "field_name"), igc_taxonomy_item_field(t, it)->name);
    CHECK_EQ_STR(jstr(j, "definition"), it->definition);
    CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "text_damaged")));
    cJSON_Delete(j);
    igc_taxonomy_unref(t);
}

/* Text after the document is not JSON: a file with trailing junk (two documents
 * pasted together, a bad merge) must be refused, not half-read. */
TEST(refuses_trailing_garbage) {
    igc_buf doc = {0};
    igc_buf_printf(&doc, "{\"version\":\"t-1\",\"revision\":1,%s,%s,\"items\":[" ITEM("t1", "TA", "FA", "a") "]}", THEMES,
                   FIELDS);
    igc_taxonomy *t = NULL;
    igc_buf err = {0};
    /* The document alone and with trailing whitespace is fine. */
    REQUIRE(igc_taxonomy_parse(doc.data, doc.len, &t, &err) == 0);
    igc_taxonomy_unref(t);
    igc_buf_puts(&doc, " \n");
    CHECK_EQ_INT(igc_taxonomy_parse(doc.data, doc.len, &t, &err), 0);
    igc_taxonomy_unref(t);
    igc_buf_puts(&doc, "{\"version\":\"t-2\"}");
    t = NULL;
    CHECK_EQ_INT(igc_taxonomy_parse(doc.data, doc.len, &t, &err), IGC_EPARSE);
    CHECK(t == NULL);
    CHECK(err.data && strstr(err.data, "JSON"));
    igc_taxonomy_unref(t);
    igc_buf_free(&err);
    igc_buf_free(&doc);
}

IGC_TEST_MAIN(TEST_ENTRY(load_real_file_counts), TEST_ENTRY(every_item_looks_up), TEST_ENTRY(unknown_codes_are_null),
              TEST_ENTRY(sha_is_stable_and_content_based), TEST_ENTRY(refcounting), TEST_ENTRY(missing_file),
              TEST_ENTRY(minimal_document_parses), TEST_ENTRY(refuses_invalid_json), TEST_ENTRY(refuses_non_utf8), TEST_ENTRY(refuses_trailing_garbage),
              TEST_ENTRY(refuses_structural_errors), TEST_ENTRY(refuses_missing_version),
              TEST_ENTRY(messages_have_no_stray_text), TEST_ENTRY(to_json_round_trip),
              TEST_ENTRY(to_json_without_text), TEST_ENTRY(item_json_has_names))
