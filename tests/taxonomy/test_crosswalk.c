/* The crosswalk between revisions, against the data directory's pair. Codes and
 * counts are taken from the files themselves, never written here. */
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_taxonomy.h"
#include "igc_test.h"

static igc_taxonomy *v6, *v7;
static char *csv;
static size_t csv_len;

static void setup(void) {
    if (v6) return;
    char p[1024];
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", igc_test_data_dir());
    if (igc_taxonomy_load(p, &v6, NULL)) return;
    snprintf(p, sizeof p, "%s/taxonomy/igc-v7-draft.json", igc_test_data_dir());
    if (igc_taxonomy_load(p, &v7, NULL)) return;
    snprintf(p, sizeof p, "%s/taxonomy/crosswalk-v6-v7.csv", igc_test_data_dir());
    igc_read_file(p, &csv, &csv_len);
}

/* Lines of the file as a NULL-terminated array of copies. */
static char **lines_of(const char *text, size_t *n) {
    size_t cap = 512, k = 0;
    char **v = calloc(cap + 1, sizeof *v);
    const char *s = text;
    while (*s && k < cap) {
        const char *e = strchr(s, '\n');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        v[k] = malloc(l + 1);
        memcpy(v[k], s, l), v[k][l] = '\0';
        k++;
        s = e ? e + 1 : s + l;
    }
    *n = k;
    return v;
}

static void join(char **v, size_t n, size_t skip, igc_buf *out) {
    out->len = 0;
    for (size_t i = 0; i < n; i++)
        if (i != skip) igc_buf_printf(out, "%s\n", v[i]);
}

static void free_lines(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* The first data line whose relation column (5th) is rel; its index or 0. */
static size_t line_with(char **v, size_t n, const char *rel) {
    char pat[32];
    snprintf(pat, sizeof pat, ",%s,", rel);
    for (size_t i = 1; i < n; i++)
        if (strstr(v[i], pat)) return i;
    return 0;
}

TEST(real_pair_is_valid_and_complete) {
    setup();
    REQUIRE(v6 && v7 && csv);
    igc_crosswalk *cw = NULL;
    igc_buf err = {0}, warn = {0};
    int rc = igc_crosswalk_parse(csv, csv_len, v6, v7, &cw, &err, &warn);
    if (rc) fprintf(stderr, "%s\n", err.data ? err.data : "");
    REQUIRE(rc == 0 && cw);
    CHECK(igc_crosswalk_from(cw) == v6 && igc_crosswalk_to(cw) == v7);
    /* every item of both revisions is reachable */
    for (size_t i = 0; i < v6->nitems; i++) CHECK(igc_crosswalk_targets(cw, v6->items[i].code, NULL, 0) >= 1);
    for (size_t i = 0; i < v7->nitems; i++) CHECK(igc_crosswalk_sources(cw, v7->items[i].code, NULL, 0) >= 1);
    /* rows and relations match the file read line by line */
    size_t n, nrows;
    char **v = lines_of(csv, &n);
    size_t data_lines = 0;
    for (size_t i = 1; i < n; i++) data_lines += v[i][0] != '\0';
    const igc_xw_row *rows = igc_crosswalk_rows(cw, &nrows);
    CHECK_EQ_INT((int)nrows, (int)data_lines);
    for (size_t i = 0; i < nrows; i++) {
        const igc_xw_row *r = &rows[i];
        if (r->relation == IGC_XW_SPLIT) CHECK(igc_crosswalk_targets(cw, r->from, NULL, 0) >= 2);
        if (r->relation == IGC_XW_MERGED) CHECK(igc_crosswalk_sources(cw, r->to, NULL, 0) >= 2);
        if (r->relation == IGC_XW_REMOVED) CHECK(r->to[0] == '\0' && igc_taxonomy_item(v6, r->from));
        if (r->relation == IGC_XW_NEW) CHECK(r->from[0] == '\0' && igc_taxonomy_item(v7, r->to));
        CHECK(strstr(v[r->line - 1], igc_crosswalk_relation_names[r->relation]) != NULL);
    }
    cJSON *sum = igc_crosswalk_summary_json(cw);
    CHECK_EQ_INT(cJSON_GetObjectItem(sum, "rows")->valueint, (int)nrows);
    cJSON_Delete(sum);
    free_lines(v, n);
    igc_crosswalk_unref(cw);
    igc_buf_free(&err);
    igc_buf_free(&warn);
}

/* A crosswalk missing an old item is invalid, and the message names that item. */
TEST(missing_old_item_is_refused) {
    setup();
    REQUIRE(csv);
    size_t n;
    char **v = lines_of(csv, &n);
    size_t k = line_with(v, n, "same");
    REQUIRE(k);
    char code[32] = {0};
    memcpy(code, v[k], strcspn(v[k], ","));
    igc_buf doc = {0}, err = {0};
    join(v, n, k, &doc);
    igc_crosswalk *cw = NULL;
    CHECK_EQ_INT(igc_crosswalk_parse(doc.data, doc.len, v6, v7, &cw, &err, NULL), IGC_EINVAL);
    CHECK(cw == NULL);
    CHECK(err.data && strstr(err.data, code) && strstr(err.data, "대응표에 없습니다"));
    free_lines(v, n);
    igc_buf_free(&doc);
    igc_buf_free(&err);
}

/* A new item without its row is invalid too (completeness against the new revision). */
TEST(missing_new_item_is_refused) {
    setup();
    size_t n;
    char **v = lines_of(csv, &n);
    size_t k = line_with(v, n, "new");
    REQUIRE(k);
    const char *p = v[k];
    for (int c = 0; c < 2; c++) p = strchr(p, ',') + 1;
    char code[32] = {0};
    memcpy(code, p, strcspn(p, ","));
    igc_buf doc = {0}, err = {0};
    join(v, n, k, &doc);
    igc_crosswalk *cw = NULL;
    CHECK_EQ_INT(igc_crosswalk_parse(doc.data, doc.len, v6, v7, &cw, &err, NULL), IGC_EINVAL);
    CHECK(err.data && strstr(err.data, code) && strstr(err.data, "새 개편"));
    free_lines(v, n);
    igc_buf_free(&doc);
    igc_buf_free(&err);
}

/* Unknown relation and unknown code are named with their line. */
TEST(bad_rows_are_named_by_line) {
    setup();
    size_t n;
    char **v = lines_of(csv, &n);
    size_t k = line_with(v, n, "renamed");
    REQUIRE(k);
    igc_buf doc = {0}, err = {0};
    char *orig = v[k];
    char *pos = strstr(orig, ",renamed,");
    igc_buf fixed = {0};
    igc_buf_append(&fixed, orig, (size_t)(pos - orig));
    igc_buf_printf(&fixed, ",renamedd,%s", pos + strlen(",renamed,"));
    v[k] = fixed.data;
    join(v, n, (size_t)-1, &doc);
    igc_crosswalk *cw = NULL;
    CHECK_EQ_INT(igc_crosswalk_parse(doc.data, doc.len, v6, v7, &cw, &err, NULL), IGC_EINVAL);
    char want[64];
    snprintf(want, sizeof want, "%zu번째 줄", k + 1);
    CHECK(err.data && strstr(err.data, want) && strstr(err.data, "renamedd"));
    /* a code the old revision lacks */
    fixed.len = 0;
    igc_buf_printf(&fixed, "ZZ%s", orig);
    v[k] = fixed.data;
    join(v, n, (size_t)-1, &doc);
    err.len = 0;
    CHECK_EQ_INT(igc_crosswalk_parse(doc.data, doc.len, v6, v7, &cw, &err, NULL), IGC_EINVAL);
    CHECK(err.data && strstr(err.data, want) && strstr(err.data, "품목코드 'ZZ"));
    v[k] = orig;
    free_lines(v, n);
    igc_buf_free(&fixed);
    igc_buf_free(&doc);
    igc_buf_free(&err);
}

/* A split with only one part left is refused. */
TEST(split_needs_two_parts) {
    setup();
    size_t n;
    char **v = lines_of(csv, &n);
    size_t k = line_with(v, n, "split");
    REQUIRE(k);
    char code[32] = {0};
    memcpy(code, v[k], strcspn(v[k], ","));
    /* drop every other part of this item, keep the first */
    igc_buf doc = {0}, err = {0};
    for (size_t i = 0; i < n; i++)
        if (i == k || strncmp(v[i], code, strlen(code)) != 0 || v[i][strlen(code)] != ',')
            igc_buf_printf(&doc, "%s\n", v[i]);
    igc_crosswalk *cw = NULL;
    CHECK_EQ_INT(igc_crosswalk_parse(doc.data, doc.len, v6, v7, &cw, &err, NULL), IGC_EINVAL);
    CHECK(err.data && strstr(err.data, "split") && strstr(err.data, code));
    free_lines(v, n);
    igc_buf_free(&doc);
    igc_buf_free(&err);
}

TEST(header_and_encoding) {
    setup();
    igc_buf err = {0};
    igc_crosswalk *cw = NULL;
    CHECK_EQ_INT(igc_crosswalk_parse("a,b\n1,2\n", 8, v6, v7, &cw, &err, NULL), IGC_EPARSE);
    CHECK(err.data && strstr(err.data, "머리글"));
    err.len = 0;
    CHECK_EQ_INT(igc_crosswalk_parse("from_code\n\x80\x80\n", 14, v6, v7, &cw, &err, NULL), IGC_EPARSE);
    CHECK(err.data && strstr(err.data, "UTF-8") && strstr(err.data, "invalid_encoding") && strstr(err.data, "번째 줄"));
    /* the crosswalk saved by Excel in Korean (CP949) reads as its UTF-8 original, and says so */
    char *k9 = NULL;
    size_t k9len = 0;
    iconv_t cd = iconv_open("CP949", "UTF-8");
    REQUIRE(cd != (iconv_t)-1);
    k9 = malloc(csv_len * 2 + 1);
    REQUIRE(k9);
    char *in = csv, *o = k9;
    size_t il = csv_len, ol = csv_len * 2;
    REQUIRE(iconv(cd, &in, &il, &o, &ol) != (size_t)-1);
    iconv_close(cd);
    k9len = (size_t)(o - k9);
    igc_buf warn = {0};
    err.len = 0;
    CHECK_EQ_INT(igc_crosswalk_parse(k9, k9len, v6, v7, &cw, &err, &warn), 0);
    CHECK(warn.data && strstr(warn.data, "CP949"));
    CHECK(cw && igc_crosswalk_from(cw) == v6);
    igc_crosswalk_unref(cw);
    cw = NULL;
    igc_buf_free(&warn);
    free(k9);
    err.len = 0;
    CHECK_EQ_INT(igc_crosswalk_parse("", 0, v6, v7, &cw, &err, NULL), IGC_EPARSE);
    igc_buf_free(&err);
}

IGC_TEST_MAIN(TEST_ENTRY(real_pair_is_valid_and_complete), TEST_ENTRY(missing_old_item_is_refused),
              TEST_ENTRY(missing_new_item_is_refused), TEST_ENTRY(bad_rows_are_named_by_line),
              TEST_ENTRY(split_needs_two_parts), TEST_ENTRY(header_and_encoding))
