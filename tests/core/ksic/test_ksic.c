#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "igc_base.h"
#include "igc_ksic.h"
#include "igc_test.h"

/* Rows of the hierarchy file, read independently of the module. */
typedef struct {
    char code[6], sec[2], div2[3], grp3[4], cls4[5];
    char *name, *div2_name, *grp3_name, *cls4_name;
} row11;

static row11 *rows;
static size_t nrows;

typedef struct {
    char k11[6], k10[6];
} maprow;
static maprow *maps;
static size_t nmaps;

static igc_ksic *K;

static void copy5(char *dst, size_t sz, const char *s) { snprintf(dst, sz, "%s", s); }

static int read_hierarchy(void) {
    char p[1024];
    snprintf(p, sizeof p, "%s/ksic/ksic11_hierarchy.csv", igc_test_data_dir());
    igc_csv *c;
    if (igc_csv_open(p, &c)) return 0;
    char **f;
    size_t nf, cap = 0;
    if (igc_csv_next(c, &f, &nf) != 1) return igc_csv_close(c), 0;
    int ci = igc_csv_col(c, "ksic5"), cn = igc_csv_col(c, "name5"), cs = igc_csv_col(c, "sec"),
        cd = igc_csv_col(c, "div2"), cdn = igc_csv_col(c, "div2_name"), cg = igc_csv_col(c, "grp3"),
        cgn = igc_csv_col(c, "grp3_name"), cc = igc_csv_col(c, "cls4"), ccn = igc_csv_col(c, "cls4_name");
    if (ci < 0 || cn < 0 || cs < 0 || cd < 0 || cdn < 0 || cg < 0 || cgn < 0 || cc < 0 || ccn < 0)
        return igc_csv_close(c), 0;
    while (igc_csv_next(c, &f, &nf) == 1) {
        if ((int)nf <= ccn || strlen(f[ci]) != 5) continue;
        if (nrows == cap) {
            cap = cap ? cap * 2 : 2048;
            rows = realloc(rows, cap * sizeof *rows);
            if (!rows) return igc_csv_close(c), 0;
        }
        row11 *r = &rows[nrows++];
        copy5(r->code, sizeof r->code, f[ci]);
        copy5(r->sec, sizeof r->sec, f[cs]);
        copy5(r->div2, sizeof r->div2, f[cd]);
        copy5(r->grp3, sizeof r->grp3, f[cg]);
        copy5(r->cls4, sizeof r->cls4, f[cc]);
        r->name = igc_strdup(f[cn]);
        r->div2_name = igc_strdup(f[cdn]);
        r->grp3_name = igc_strdup(f[cgn]);
        r->cls4_name = igc_strdup(f[ccn]);
    }
    igc_csv_close(c);
    snprintf(p, sizeof p, "%s/ksic/ksic11_to_ksic10.csv", igc_test_data_dir());
    if (igc_csv_open(p, &c)) return 0;
    if (igc_csv_next(c, &f, &nf) != 1) return igc_csv_close(c), 0;
    int c11 = igc_csv_col(c, "ksic11"), c10 = igc_csv_col(c, "ksic10");
    if (c11 < 0 || c10 < 0) return igc_csv_close(c), 0;
    cap = 0;
    while (igc_csv_next(c, &f, &nf) == 1) {
        if ((int)nf <= c10 || (int)nf <= c11 || strlen(f[c10]) != 5 || strlen(f[c11]) != 5) continue;
        if (nmaps == cap) {
            cap = cap ? cap * 2 : 2048;
            maps = realloc(maps, cap * sizeof *maps);
            if (!maps) return igc_csv_close(c), 0;
        }
        copy5(maps[nmaps].k11, 6, f[c11]);
        copy5(maps[nmaps].k10, 6, f[c10]);
        nmaps++;
    }
    igc_csv_close(c);
    return nrows > 0 && nmaps > 0;
}

static const row11 *row_of(const char *code) {
    for (size_t i = 0; i < nrows; i++)
        if (strcmp(rows[i].code, code) == 0) return &rows[i];
    return NULL;
}

static int is_k10_in_map(const char *code) {
    for (size_t i = 0; i < nmaps; i++)
        if (strcmp(maps[i].k10, code) == 0) return 1;
    return 0;
}

static void cleanup(void) {
    igc_ksic_free(K);
    K = NULL;
    for (size_t i = 0; i < nrows; i++)
        free(rows[i].name), free(rows[i].div2_name), free(rows[i].grp3_name), free(rows[i].cls4_name);
    free(rows);
    free(maps);
    rows = NULL;
    maps = NULL;
    nrows = nmaps = 0;
}

/* Loads the tables once (so any single test can run on its own). */
static int need(void) {
    if (K) return 1;
    atexit(cleanup);
    if (!read_hierarchy()) return 0;
    return igc_ksic_load(igc_test_data_dir(), &K) == 0 && K;
}

TEST(loads) {
    CHECK(need());
}

TEST(count_and_order) {
    REQUIRE(need());
    CHECK_EQ_INT(igc_ksic_count(K), nrows);
    for (size_t i = 1; i < igc_ksic_count(K); i++)
        CHECK(strcmp(igc_ksic_at(K, i - 1)->code, igc_ksic_at(K, i)->code) < 0);
    CHECK(igc_ksic_at(K, igc_ksic_count(K)) == NULL);
}

TEST(every_ksic11_code_resolves) {
    REQUIRE(need());
    size_t bad = 0;
    for (size_t i = 0; i < nrows; i++) {
        const row11 *r = &rows[i];
        const igc_ksic_entry *e = igc_ksic_find(K, r->code);
        igc_ksic_match m;
        int rc = igc_ksic_resolve(K, r->code, 0, &m);
        int ok = e && rc == 0 && m.entry == e && m.first == e && m.level == 5 && strcmp(m.code, r->code) == 0 &&
                 m.mapped_from[0] == '\0' && m.name && strcmp(m.name, r->name) == 0 &&
                 strcmp(e->name, r->name) == 0 && strcmp(e->sec, r->sec) == 0 && strcmp(e->div2, r->div2) == 0 &&
                 strcmp(e->grp3, r->grp3) == 0 && strcmp(e->cls4, r->cls4) == 0 &&
                 strcmp(e->div2_name, r->div2_name) == 0 && strcmp(e->grp3_name, r->grp3_name) == 0 &&
                 strcmp(e->cls4_name, r->cls4_name) == 0 && e->sec_name && *e->sec_name;
        if (!ok && bad++ < 5) fprintf(stderr, "  code %s: rc=%d\n", r->code, rc);
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(descriptions_are_attached) {
    REQUIRE(need());
    char p[1024];
    snprintf(p, sizeof p, "%s/ksic/ksic11_descriptions.csv", igc_test_data_dir());
    igc_csv *c;
    REQUIRE(igc_csv_open(p, &c) == 0);
    char **f;
    size_t nf, checked = 0;
    REQUIRE(igc_csv_next(c, &f, &nf) == 1);
    int ci = igc_csv_col(c, "ksic5"), cd = igc_csv_col(c, "desc5");
    REQUIRE(ci >= 0 && cd >= 0);
    while (igc_csv_next(c, &f, &nf) == 1 && checked < 50) {
        if ((int)nf <= cd || !*f[cd]) continue;
        const igc_ksic_entry *e = igc_ksic_find(K, f[ci]);
        if (!e) continue;
        CHECK(e->desc5 != NULL);
        if (e->desc5) CHECK_EQ_STR(e->desc5, f[cd]);
        checked++;
    }
    igc_csv_close(c);
    CHECK(checked > 0);
}

TEST(ksic10_code_maps_through_concordance) {
    REQUIRE(need());
    size_t tried = 0, single = 0;
    for (size_t i = 0; i < nmaps; i++) {
        const char *k10 = maps[i].k10;
        if (row_of(k10)) continue; /* also a KSIC-11 code: resolves directly */
        /* Skip codes already tried (several rows may share a KSIC-10 code). */
        int seen = 0, targets = 0;
        for (size_t j = 0; j < nmaps; j++) {
            if (strcmp(maps[j].k10, k10) != 0) continue;
            if (j < i) seen = 1;
            targets++;
        }
        if (seen) continue;
        tried++;
        igc_ksic_match m;
        int rc = igc_ksic_resolve(K, k10, 0, &m);
        CHECK_EQ_INT(rc, 0);
        if (rc) continue;
        CHECK_EQ_STR(m.mapped_from, k10);
        CHECK_EQ_INT(m.level, 5);
        REQUIRE(m.entry != NULL);
        CHECK_EQ_STR(m.entry->code, m.code);
        CHECK(m.name == m.entry->name);
        /* The result is one of the concordance's targets for this code. */
        int ok = 0;
        for (size_t j = 0; j < nmaps; j++)
            if (strcmp(maps[j].k10, k10) == 0 && strcmp(maps[j].k11, m.code) == 0) ok = 1;
        CHECK(ok);
        if (targets == 1) {
            single++;
            CHECK_EQ_STR(m.code, maps[i].k11);
        }
    }
    CHECK(tried > 0);
    CHECK(single > 0);
}

/* igc_ksic_map10 lists every KSIC-11 code a KSIC-10 code became, each once (the
 * concordance file read here independently), and igc_ksic_resolve gives one of them. */
TEST(ksic10_split_codes_are_listed) {
    REQUIRE(need());
    size_t split = 0;
    for (size_t i = 0; i < nmaps; i++) {
        const char *k10 = maps[i].k10;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) seen = strcmp(maps[j].k10, k10) == 0;
        if (seen) continue;
        const char *want[16];
        size_t nwant = 0;
        for (size_t j = i; j < nmaps; j++) {
            if (strcmp(maps[j].k10, k10) != 0 || !row_of(maps[j].k11)) continue;
            int dup = 0;
            for (size_t w = 0; w < nwant; w++) dup |= strcmp(want[w], maps[j].k11) == 0;
            if (!dup && nwant < 16) want[nwant++] = maps[j].k11;
        }
        const igc_ksic_entry *got[16];
        size_t n = igc_ksic_map10(K, k10, got, 16);
        CHECK_EQ_INT((int)n, (int)nwant);
        for (size_t w = 0; w < nwant && w < n; w++) CHECK_EQ_STR(got[w]->code, want[w]);
        CHECK_EQ_INT((int)igc_ksic_map10(K, k10, NULL, 0), (int)nwant);
        if (nwant > 1 && !row_of(k10)) {
            split++;
            igc_ksic_match m;
            REQUIRE(igc_ksic_resolve(K, k10, 0, &m) == 0);
            CHECK_EQ_STR(m.code, want[0]);
        }
    }
    CHECK(split > 0); /* the revision split some codes */
    CHECK_EQ_INT((int)igc_ksic_map10(K, "1234", NULL, 0), 0);
    CHECK_EQ_INT((int)igc_ksic_map10(K, NULL, NULL, 0), 0);
}

TEST(prefixes) {
    REQUIRE(need() && nrows > 10);
    const row11 *r = &rows[nrows / 2];
    const char *pre[3] = {r->div2, r->grp3, r->cls4};
    const char *names[3] = {r->div2_name, r->grp3_name, r->cls4_name};
    for (int lv = 0; lv < 3; lv++) {
        igc_ksic_match m;
        int rc = igc_ksic_resolve(K, pre[lv], 1, &m);
        CHECK_EQ_INT(rc, 0);
        if (rc) continue;
        CHECK_EQ_INT(m.level, lv + 2);
        CHECK_EQ_STR(m.code, pre[lv]);
        CHECK(m.entry == NULL);
        REQUIRE(m.first != NULL);
        CHECK(strncmp(m.first->code, pre[lv], strlen(pre[lv])) == 0);
        CHECK_EQ_STR(m.name, names[lv]);
        CHECK_EQ_STR(m.mapped_from, "");
        /* first is the smallest code under the prefix. */
        for (size_t i = 0; i < nrows; i++)
            if (strncmp(rows[i].code, pre[lv], strlen(pre[lv])) == 0) CHECK(strcmp(m.first->code, rows[i].code) <= 0);
        /* Without allow_prefix a prefix is not a code. */
        CHECK_EQ_INT(igc_ksic_resolve(K, pre[lv], 0, &m), IGC_EINVAL);
    }
    /* The first and last rows' prefixes are found too (ends of the sorted table). */
    igc_ksic_match m;
    CHECK_EQ_INT(igc_ksic_resolve(K, rows[0].div2, 1, &m), 0);
    CHECK_EQ_INT(igc_ksic_resolve(K, rows[nrows - 1].cls4, 1, &m), 0);
}

TEST(invalid_codes) {
    REQUIRE(need());
    static const char *bad[] = {"1", "123456", "12a45", "abcde", "", "C2611", " 2611", "2611 ", "-261", "26.11",
                                "１２３４５"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        igc_ksic_match m;
        memset(&m, 0x5A, sizeof m);
        int rc = igc_ksic_resolve(K, bad[i], 1, &m);
        if (rc != IGC_EINVAL) fprintf(stderr, "  \"%s\": rc=%d\n", bad[i], rc);
        CHECK_EQ_INT(rc, IGC_EINVAL);
        CHECK(m.entry == NULL && m.first == NULL);
    }
    igc_ksic_match m;
    CHECK_EQ_INT(igc_ksic_resolve(K, NULL, 1, &m), IGC_EINVAL);
    CHECK(igc_ksic_find(K, NULL) == NULL);
    CHECK(igc_ksic_find(K, "123") == NULL);
    CHECK(igc_ksic_find(K, "123456") == NULL);
}

TEST(unknown_codes) {
    REQUIRE(need());
    /* A 5-digit code in neither KSIC-11 nor the concordance, found at run time. */
    char code[6] = "";
    for (int v = 99999; v >= 0 && !code[0]; v--) {
        char c[6];
        snprintf(c, sizeof c, "%05d", v);
        if (!row_of(c) && !is_k10_in_map(c)) memcpy(code, c, 6);
    }
    REQUIRE(code[0]);
    igc_ksic_match m;
    CHECK_EQ_INT(igc_ksic_resolve(K, code, 0, &m), IGC_ENOTFOUND);
    CHECK(m.entry == NULL);
    CHECK_EQ_INT(igc_ksic_resolve(K, code, 1, &m), IGC_ENOTFOUND);
    CHECK(igc_ksic_find(K, code) == NULL);
    /* An unused 2-digit prefix. */
    char pre[3] = "";
    for (int v = 99; v >= 0 && !pre[0]; v--) {
        char c[3];
        snprintf(c, sizeof c, "%02d", v);
        int used = 0;
        for (size_t i = 0; i < nrows && !used; i++) used = strncmp(rows[i].code, c, 2) == 0;
        if (!used) memcpy(pre, c, 3);
    }
    REQUIRE(pre[0]);
    CHECK_EQ_INT(igc_ksic_resolve(K, pre, 1, &m), IGC_ENOTFOUND);
}

TEST(load_errors) {
    igc_ksic *k = (igc_ksic *)1;
    CHECK_EQ_INT(igc_ksic_load("/nonexistent/igc-test-dir", &k), IGC_ENOTFOUND);
    CHECK(k == NULL);
    /* A hierarchy file missing required columns is a parse error. */
    char dir[] = "/tmp/igc-test-ksic-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char sub[128], file[160];
    snprintf(sub, sizeof sub, "%s/ksic", dir);
    REQUIRE(mkdir(sub, 0700) == 0);
    snprintf(file, sizeof file, "%s/ksic11_hierarchy.csv", sub);
    const char *csv = "ksic5,name5\n01110,x\n";
    REQUIRE(igc_write_file_atomic(file, csv, strlen(csv)) == 0);
    k = (igc_ksic *)1;
    CHECK_EQ_INT(igc_ksic_load(dir, &k), IGC_EPARSE);
    CHECK(k == NULL);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
    igc_ksic_free(NULL);
}

IGC_TEST_MAIN(TEST_ENTRY(loads), TEST_ENTRY(count_and_order), TEST_ENTRY(every_ksic11_code_resolves),
              TEST_ENTRY(descriptions_are_attached), TEST_ENTRY(ksic10_code_maps_through_concordance),
              TEST_ENTRY(ksic10_split_codes_are_listed),
              TEST_ENTRY(prefixes), TEST_ENTRY(invalid_codes), TEST_ENTRY(unknown_codes), TEST_ENTRY(load_errors))
