/* The store's parts for the re-classification job: bulk exemplar puts, paging through
 * exemplars, and results written with a meta key in one transaction. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igc_base.h"
#include "igc_store.h"
#include "igc_test.h"

static void tmp_dir(char out[64]) {
    snprintf(out, 64, "/tmp/igc-store-rc-XXXXXX");
    if (!mkdtemp(out)) exit(1);
}

typedef struct {
    char keys[2000][32];
    size_t n;
} seen;

static int collect(void *ud, const char *key, const char *json, size_t len) {
    seen *s = ud;
    (void)json, (void)len;
    if (s->n < 2000) snprintf(s->keys[s->n++], 32, "%s", key);
    return 0;
}

static int stop_at_third(void *ud, const char *key, const char *json, size_t len) {
    (void)key, (void)json, (void)len;
    return ++*(int *)ud == 3 ? IGC_ESTATE : 0;
}

TEST(pages_cover_every_exemplar_once) {
    char dir[64];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 0, &s) == 0);
    enum { N = 1000 };
    char *keys[N], *docs[N];
    for (int i = 0; i < N; i++) {
        keys[i] = malloc(32), docs[i] = malloc(64);
        snprintf(keys[i], 32, "k:%05d", (i * 7919) % N); /* put in scrambled order */
        snprintf(docs[i], 64, "{\"i\":%d}", i);
    }
    CHECK_EQ_INT(igc_store_exemplar_put_many(s, (const char *const *)keys, (const char *const *)docs, N), 0);
    igc_store_stats st;
    igc_store_stat(s, &st);
    CHECK_EQ_INT((int)st.exemplars, N);
    /* all or nothing: a bad document refuses the whole batch */
    char *bad_docs[2] = {"{\"ok\":1}", "not json"};
    char *bad_keys[2] = {"z:1", "z:2"};
    CHECK(igc_store_exemplar_put_many(s, (const char *const *)bad_keys, (const char *const *)bad_docs, 2) != 0);
    igc_store_stat(s, &st);
    CHECK_EQ_INT((int)st.exemplars, N);
    static seen all;
    all.n = 0;
    char last[32] = "";
    size_t got, pages = 0;
    do {
        CHECK_EQ_INT(igc_store_exemplar_page(s, last, 64, collect, &all, &got), 0);
        if (got) snprintf(last, sizeof last, "%s", all.keys[all.n - 1]);
        pages++;
    } while (got);
    CHECK_EQ_INT((int)all.n, N);
    CHECK_EQ_INT((int)pages, N / 64 + 2); /* 15 full pages, one of 40, one empty */
    for (size_t i = 1; i < all.n; i++) CHECK(strcmp(all.keys[i - 1], all.keys[i]) < 0);
    /* a key that is not stored still pages from where it would sort */
    seen *part = calloc(1, sizeof *part);
    CHECK_EQ_INT(igc_store_exemplar_page(s, "k:00499x", 3, collect, part, &got), 0);
    CHECK_EQ_INT((int)got, 3);
    CHECK_EQ_STR(part->keys[0], "k:00500");
    free(part);
    /* a callback's error stops the page and is returned */
    int calls = 0;
    CHECK_EQ_INT(igc_store_exemplar_page(s, NULL, 10, stop_at_third, &calls, &got), IGC_ESTATE);
    CHECK_EQ_INT(calls, 3);
    for (int i = 0; i < N; i++) free(keys[i]), free(docs[i]);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

TEST(results_and_progress_in_one_transaction) {
    char dir[64];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 0, &s) == 0);
    const char *k[2] = {"R1/a", "R1/b"}, *d[2] = {"{\"x\":1}", "{\"x\":2}"};
    CHECK_EQ_INT(igc_store_reclass_put(s, k, d, 2, "reclass.job.R1", "{\"done\":2}"), 0);
    char *v = NULL;
    CHECK_EQ_INT(igc_store_meta_get(s, "reclass.job.R1", &v), 0);
    CHECK_EQ_STR(v, "{\"done\":2}");
    free(v);
    CHECK_EQ_INT(igc_store_reclass_get(s, "R1/b", &v), 0);
    CHECK_EQ_STR(v, "{\"x\":2}");
    free(v);
    /* a bad result refuses the batch and leaves the progress as it was */
    const char *k2[2] = {"R1/c", "R1/d"}, *d2[2] = {"{\"x\":3}", "[1"};
    CHECK(igc_store_reclass_put(s, k2, d2, 2, "reclass.job.R1", "{\"done\":4}") != 0);
    CHECK_EQ_INT(igc_store_meta_get(s, "reclass.job.R1", &v), 0);
    CHECK_EQ_STR(v, "{\"done\":2}");
    free(v);
    CHECK_EQ_INT(igc_store_reclass_get(s, "R1/c", &v), IGC_ENOTFOUND);
    /* reserved meta keys stay reserved here too */
    CHECK_EQ_INT(igc_store_reclass_put(s, k, d, 2, "store.schema_version", "2"), IGC_EINVAL);
    /* prefix listing: only this job's results */
    const char *k3[1] = {"R2/a"}, *d3[1] = {"{}"};
    CHECK_EQ_INT(igc_store_reclass_put(s, k3, d3, 1, NULL, NULL), 0);
    static seen one;
    one.n = 0;
    CHECK_EQ_INT(igc_store_reclass_foreach(s, "R1/", collect, &one), 0);
    CHECK_EQ_INT((int)one.n, 2);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

IGC_TEST_MAIN(TEST_ENTRY(pages_cover_every_exemplar_once), TEST_ENTRY(results_and_progress_in_one_transaction))
