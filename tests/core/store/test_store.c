#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "igc_base.h"
#include "igc_store.h"
#include "igc_test.h"

#define BRN_A "1018100340"
#define BRN_B "2208162517"

/* ---- helpers ---- */

static void tmp_dir(char out[64]) {
    snprintf(out, 64, "/tmp/igc-store-XXXXXX");
    if (!mkdtemp(out)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* Deterministic document for sequence n, with varying size so some land on
 * overflow pages. */
static size_t make_doc(unsigned n, char *out, size_t outsz) {
    size_t pad = (n * 37u) % 3000u;
    int k = snprintf(out, outsz, "{\"n\":%u,\"name\":\"주식회사 시험%u\",\"pad\":\"", n, n);
    size_t o = (size_t)k;
    for (size_t i = 0; i < pad && o + 3 < outsz; i++) out[o++] = (char)('a' + (n + i) % 26);
    out[o++] = '"';
    out[o++] = '}';
    out[o] = '\0';
    return o;
}

static int put_doc(igc_store *s, const char *brn, unsigned n, char id[IGC_STORE_ID_SIZE]) {
    char doc[4096];
    size_t len = make_doc(n, doc, sizeof doc);
    return igc_store_judgment_put(s, brn, doc, len, id);
}

static int doc_is(igc_store *s, const char *id, unsigned n) {
    char want[4096], *got = NULL;
    size_t wl = make_doc(n, want, sizeof want), gl = 0;
    if (igc_store_judgment_get(s, id, &got, &gl) != 0) return 0;
    int ok = gl == wl && memcmp(got, want, wl) == 0 && got[gl] == '\0';
    free(got);
    return ok;
}

static const char *J1 = "{\"company\":\"가나다\",\"items\":[]}";

/* ---- basic operations ---- */

TEST(test_put_get_update) {
    char dir[64], id[IGC_STORE_ID_SIZE], id2[IGC_STORE_ID_SIZE];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    CHECK_EQ_INT(igc_store_judgment_put(s, BRN_A, J1, strlen(J1), id), 0);
    CHECK_EQ_INT(strlen(id), 32);
    CHECK(strspn(id, "0123456789abcdef") == 32);
    char *got = NULL;
    size_t len = 0;
    CHECK_EQ_INT(igc_store_judgment_get(s, id, &got, &len), 0);
    CHECK_EQ_STR(got, J1);
    CHECK_EQ_INT(len, strlen(J1));
    free(got);

    const char *j2 = " {\"company\":\"가나다\",\"items\":[\"x\"]} \n";
    CHECK_EQ_INT(igc_store_judgment_update(s, id, j2, strlen(j2)), 0);
    CHECK_EQ_INT(igc_store_judgment_get(s, id, &got, NULL), 0);
    CHECK_EQ_STR(got, j2); /* verbatim, whitespace included */
    free(got);

    CHECK_EQ_INT(igc_store_judgment_update(s, "J00000000000000000", J1, strlen(J1)), IGC_ENOTFOUND);
    got = (char *)1;
    CHECK_EQ_INT(igc_store_judgment_get(s, "J00000000000000000", &got, &len), IGC_ENOTFOUND);
    CHECK(got == NULL);

    /* No brn: stored but not indexed. */
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, J1, strlen(J1), id2), 0);
    CHECK(strcmp(id2, id) != 0);
    CHECK_EQ_INT(igc_store_judgment_put(s, "", J1, strlen(J1), id2), 0);
    igc_store_stats st;
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.judgments, 3);
    CHECK(st.map_size == 16u * 1024 * 1024);
    CHECK(st.map_used > 0 && st.map_used <= st.map_size);
    CHECK_EQ_INT(st.readers, 0);
    igc_store_ids ids;
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_A, 0, &ids), 0);
    CHECK_EQ_INT(ids.n, 1);
    igc_store_ids_free(&ids);
    igc_store_close(s);

    /* Reopen: data still there, new ids unique and the company index still newest first. */
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    CHECK_EQ_INT(igc_store_judgment_get(s, id, &got, NULL), 0);
    CHECK_EQ_STR(got, j2);
    free(got);
    char id3[IGC_STORE_ID_SIZE];
    CHECK_EQ_INT(igc_store_judgment_put(s, BRN_A, J1, strlen(J1), id3), 0);
    CHECK(strcmp(id3, id2) != 0 && strcmp(id3, id) != 0);
    igc_store_ids l3;
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_A, 1, &l3), 0);
    CHECK(l3.n == 1 && strcmp(l3.ids[0], id3) == 0);
    igc_store_ids_free(&l3);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

/* Ids are 128 random bits: unique, and the next one says nothing of the last
 * (the old time-ordered ids let 8,000 guesses find every judgment). */
TEST(test_ids_random_unique) {
    char dir[64], ids[60][IGC_STORE_ID_SIZE];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    int ordered = 0;
    for (int i = 0; i < 60; i++) {
        REQUIRE(igc_store_judgment_put(s, NULL, J1, strlen(J1), ids[i]) == 0);
        CHECK_EQ_INT((int)strlen(ids[i]), 32);
        CHECK(strspn(ids[i], "0123456789abcdef") == 32);
        for (int j = 0; j < i; j++) CHECK(strcmp(ids[i], ids[j]) != 0);
        if (i) ordered += strcmp(ids[i], ids[i - 1]) > 0;
        char *got = NULL;
        CHECK_EQ_INT(igc_store_judgment_get(s, ids[i], &got, NULL), 0);
        free(got);
    }
    /* time-ordered ids would increase 59 times out of 59 */
    CHECK(ordered > 10 && ordered < 49);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

/* Several writes in one transaction are all there after commit, none after abort. */
TEST(test_txn_all_or_nothing) {
    char dir[64], id[IGC_STORE_ID_SIZE], id2[IGC_STORE_ID_SIZE];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    igc_store_txn *t;
    REQUIRE(igc_store_new_id(id) == 0);
    REQUIRE(igc_store_txn_begin(s, &t) == 0);
    CHECK_EQ_INT(igc_store_txn_judgment_put(t, id, BRN_A, J1, strlen(J1)), 0);
    CHECK_EQ_INT(igc_store_txn_exemplar_put(t, id, J1, strlen(J1)), 0);
    CHECK_EQ_INT(igc_store_txn_audit_append(t, "{\"a\":1}", 7), 0);
    igc_store_txn_abort(t);
    char *got = NULL;
    CHECK_EQ_INT(igc_store_judgment_get(s, id, &got, NULL), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_store_exemplar_get(s, id, &got, NULL), IGC_ENOTFOUND);
    igc_store_stats st;
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK(st.judgments == 0 && st.exemplars == 0 && st.audit == 0);
    REQUIRE(igc_store_txn_begin(s, &t) == 0);
    CHECK_EQ_INT(igc_store_txn_judgment_put(t, id, BRN_A, J1, strlen(J1)), 0);
    CHECK_EQ_INT(igc_store_txn_judgment_put(t, id, BRN_A, J1, strlen(J1)), IGC_EEXIST);
    CHECK_EQ_INT(igc_store_txn_exemplar_put(t, id, J1, strlen(J1)), 0);
    CHECK_EQ_INT(igc_store_txn_audit_append(t, "{\"a\":1}", 7), 0);
    CHECK_EQ_INT(igc_store_txn_audit_append(t, "{\"a\":2}", 7), 0);
    CHECK_EQ_INT(igc_store_txn_commit(t), 0);
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK(st.judgments == 1 && st.exemplars == 1 && st.audit == 2);
    /* the company index orders by save time although ids are random */
    REQUIRE(igc_store_new_id(id2) == 0);
    REQUIRE(igc_store_txn_begin(s, &t) == 0);
    CHECK_EQ_INT(igc_store_txn_judgment_put(t, id2, BRN_A, J1, strlen(J1)), 0);
    CHECK_EQ_INT(igc_store_txn_commit(t), 0);
    igc_store_ids ids;
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_A, 0, &ids), 0);
    CHECK(ids.n == 2 && strcmp(ids.ids[0], id2) == 0 && strcmp(ids.ids[1], id) == 0);
    igc_store_ids_free(&ids);
    /* deleting (retention) takes the index entry too */
    REQUIRE(igc_store_txn_begin(s, &t) == 0);
    CHECK_EQ_INT(igc_store_txn_judgment_del(t, id2, BRN_A), 0);
    CHECK_EQ_INT(igc_store_txn_commit(t), 0);
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_A, 0, &ids), 0);
    CHECK(ids.n == 1 && strcmp(ids.ids[0], id) == 0);
    igc_store_ids_free(&ids);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

TEST(test_list_brn_order_limit) {
    char dir[64], ida[6][IGC_STORE_ID_SIZE], idb[3][IGC_STORE_ID_SIZE];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    for (int i = 0; i < 6; i++) {
        REQUIRE(put_doc(s, i % 2 ? "101-81-00340" : BRN_A, (unsigned)i, ida[i]) == 0);
        if (i < 3) REQUIRE(put_doc(s, BRN_B, 100u + (unsigned)i, idb[i]) == 0);
    }
    igc_store_ids ids;
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_A, 0, &ids), 0);
    REQUIRE(ids.n == 6);
    for (int i = 0; i < 6; i++) CHECK_EQ_STR(ids.ids[i], ida[5 - i]); /* newest first */
    igc_store_ids_free(&ids);
    CHECK(ids.ids == NULL && ids.n == 0);

    CHECK_EQ_INT(igc_store_judgment_list_brn(s, "101-81-00340", 2, &ids), 0);
    REQUIRE(ids.n == 2);
    CHECK_EQ_STR(ids.ids[0], ida[5]);
    CHECK_EQ_STR(ids.ids[1], ida[4]);
    igc_store_ids_free(&ids);

    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_B, 10, &ids), 0);
    REQUIRE(ids.n == 3);
    CHECK_EQ_STR(ids.ids[0], idb[2]);
    CHECK_EQ_STR(ids.ids[2], idb[0]);
    CHECK(doc_is(s, ids.ids[0], 102));
    igc_store_ids_free(&ids);

    /* A brn that sorts right after another must not pick up its entries. */
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, "1018100341", 0, &ids), 0);
    CHECK_EQ_INT(ids.n, 0);
    igc_store_ids_free(&ids);
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, "0000000000", 0, &ids), 0);
    CHECK_EQ_INT(ids.n, 0);
    igc_store_ids_free(&ids);
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, "9999999999", 0, &ids), 0);
    CHECK_EQ_INT(ids.n, 0);
    igc_store_ids_free(&ids);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

typedef struct {
    igc_store *s;
    int calls, stop_at;
    char seen[8][IGC_STORE_ID_SIZE];
    int updated;
} walk;

static int walk_cb(void *ud, const char *id, const char *json, size_t len) {
    walk *w = ud;
    if (w->calls < 8) snprintf(w->seen[w->calls], IGC_STORE_ID_SIZE, "%s", id);
    w->calls++;
    if (strlen(json) != len || json[0] != '{') return -100;
    if (w->s) {
        /* Writing from the callback must work; the walk keeps its snapshot. */
        /* Nested read transactions in one thread need MDB_NOTLS. */
        char *again = NULL;
        if (igc_store_judgment_get(w->s, id, &again, NULL) != 0) return -102;
        free(again);
        const char *nj = "{\"reclassified\":true}";
        if (igc_store_judgment_update(w->s, id, nj, strlen(nj)) == 0) w->updated++;
        if (strstr(json, "reclassified")) return -101;
    }
    return w->calls == w->stop_at ? 42 : 0;
}

TEST(test_foreach) {
    char dir[64], id[5][IGC_STORE_ID_SIZE];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    walk w = {0};
    CHECK_EQ_INT(igc_store_judgment_foreach(s, walk_cb, &w), 0);
    CHECK_EQ_INT(w.calls, 0);
    for (int i = 0; i < 5; i++) REQUIRE(put_doc(s, i % 2 ? BRN_A : NULL, (unsigned)i, id[i]) == 0);
    memset(&w, 0, sizeof w);
    CHECK_EQ_INT(igc_store_judgment_foreach(s, walk_cb, &w), 0);
    CHECK_EQ_INT(w.calls, 5);
    /* every judgment once (in id order, which is random, not creation order) */
    for (int i = 0; i < 5; i++) {
        int found = 0;
        for (int j = 0; j < 5; j++) found += strcmp(w.seen[j], id[i]) == 0;
        CHECK_EQ_INT(found, 1);
        if (i) CHECK(strcmp(w.seen[i], w.seen[i - 1]) > 0);
    }

    memset(&w, 0, sizeof w);
    w.stop_at = 3;
    CHECK_EQ_INT(igc_store_judgment_foreach(s, walk_cb, &w), 42);
    CHECK_EQ_INT(w.calls, 3);

    memset(&w, 0, sizeof w);
    w.s = s;
    CHECK_EQ_INT(igc_store_judgment_foreach(s, walk_cb, &w), 0);
    CHECK_EQ_INT(w.updated, 5);
    char *got;
    CHECK_EQ_INT(igc_store_judgment_get(s, id[4], &got, NULL), 0);
    CHECK_EQ_STR(got, "{\"reclassified\":true}");
    free(got);
    CHECK_EQ_INT(igc_store_judgment_foreach(s, NULL, NULL), IGC_EINVAL);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

typedef struct {
    int n;
    char keys[8][64];
    char docs[8][128];
} ex_walk;

static int ex_cb(void *ud, const char *key, const char *json, size_t len) {
    ex_walk *w = ud;
    if (w->n >= 8 || len >= 128) return -1;
    snprintf(w->keys[w->n], 64, "%s", key);
    memcpy(w->docs[w->n], json, len + 1);
    w->n++;
    return 0;
}

TEST(test_exemplars) {
    char dir[64];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    CHECK_EQ_INT(igc_store_exemplar_put(s, "hist:K0301", "{\"v\":1}", 7), 0);
    CHECK_EQ_INT(igc_store_exemplar_put(s, "hist:K0100", "{\"v\":2}", 7), 0);
    CHECK_EQ_INT(igc_store_exemplar_put(s, "판단:한글키", "{\"v\":3}", 7), 0);
    CHECK_EQ_INT(igc_store_exemplar_put(s, "hist:K0301", "{\"v\":4}", 7), 0); /* replace */
    ex_walk w = {0};
    CHECK_EQ_INT(igc_store_exemplar_foreach(s, ex_cb, &w), 0);
    REQUIRE(w.n == 3);
    CHECK_EQ_STR(w.keys[0], "hist:K0100");
    CHECK_EQ_STR(w.docs[0], "{\"v\":2}");
    CHECK_EQ_STR(w.keys[1], "hist:K0301");
    CHECK_EQ_STR(w.docs[1], "{\"v\":4}");
    CHECK_EQ_STR(w.keys[2], "판단:한글키");
    igc_store_stats st;
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.exemplars, 3);
    CHECK_EQ_INT(st.judgments, 0);

    CHECK_EQ_INT(igc_store_exemplar_del(s, "hist:K0100"), 0);
    CHECK_EQ_INT(igc_store_exemplar_del(s, "hist:K0100"), IGC_ENOTFOUND);
    memset(&w, 0, sizeof w);
    CHECK_EQ_INT(igc_store_exemplar_foreach(s, ex_cb, &w), 0);
    CHECK_EQ_INT(w.n, 2);
    CHECK_EQ_STR(w.keys[0], "hist:K0301");
    igc_store_close(s);

    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.exemplars, 2);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

TEST(test_meta) {
    char dir[64];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    char *v = NULL;
    CHECK_EQ_INT(igc_store_meta_get(s, "store.schema_version", &v), 0);
    CHECK_EQ_STR(v, IGC_STORE_SCHEMA_VERSION);
    free(v);
    CHECK_EQ_INT(igc_store_meta_get(s, "store.created_at", &v), 0);
    CHECK(v && strlen(v) == 20 && v[19] == 'Z');
    free(v);
    CHECK_EQ_INT(igc_store_meta_get(s, "taxonomy_version", &v), IGC_ENOTFOUND);
    CHECK(v == NULL);
    CHECK_EQ_INT(igc_store_meta_set(s, "taxonomy_version", "6차"), 0);
    CHECK_EQ_INT(igc_store_meta_set(s, "taxonomy_version", "6"), 0);
    CHECK_EQ_INT(igc_store_meta_set(s, "empty", ""), 0);
    CHECK_EQ_INT(igc_store_meta_set(s, "store.schema_version", "2"), IGC_EINVAL);
    igc_store_close(s);
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    CHECK_EQ_INT(igc_store_meta_get(s, "taxonomy_version", &v), 0);
    CHECK_EQ_STR(v, "6");
    free(v);
    CHECK_EQ_INT(igc_store_meta_get(s, "empty", &v), 0);
    CHECK_EQ_STR(v, "");
    free(v);
    /* within a transaction: the same checks; seen once committed, not at all when aborted */
    igc_store_txn *t;
    REQUIRE(igc_store_txn_begin(s, &t) == 0);
    CHECK_EQ_INT(igc_store_txn_meta_set(t, "service.rules", "v2"), 0);
    CHECK_EQ_INT(igc_store_txn_meta_set(t, "store.schema_version", "2"), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_txn_meta_set(t, "k", "\xff"), IGC_EUTF8);
    CHECK_EQ_INT(igc_store_txn_meta_set(t, "k", NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_txn_meta_set(NULL, "k", "x"), IGC_EINVAL);
    igc_store_txn_abort(t);
    CHECK_EQ_INT(igc_store_meta_get(s, "service.rules", &v), IGC_ENOTFOUND);
    REQUIRE(igc_store_txn_begin(s, &t) == 0);
    CHECK_EQ_INT(igc_store_txn_meta_set(t, "service.rules", "v2"), 0);
    CHECK_EQ_INT(igc_store_txn_commit(t), 0);
    CHECK_EQ_INT(igc_store_meta_get(s, "service.rules", &v), 0);
    CHECK_EQ_STR(v, "v2");
    free(v);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

/* Another schema version on disk must be refused, not reinterpreted. */
TEST(test_schema_mismatch) {
    char dir[64];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    igc_store_close(s);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 8);
    REQUIRE(mdb_env_open(env, dir, 0, 0600) == 0);
    REQUIRE(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    REQUIRE(mdb_dbi_open(txn, "meta", 0, &dbi) == 0);
    MDB_val k = {strlen("store.schema_version"), "store.schema_version"}, v = {2, "99"};
    REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    s = (igc_store *)1;
    CHECK_EQ_INT(igc_store_open(dir, 16, &s), IGC_EVERSION);
    CHECK(s == NULL);
    /* The refused open must not stay registered. */
    CHECK_EQ_INT(igc_store_open(dir, 16, &s), IGC_EVERSION);
    igc_test_rm_lmdb_dir(dir);
}

TEST(test_invalid_args) {
    char dir[64], id[IGC_STORE_ID_SIZE];
    tmp_dir(dir);
    igc_store *s = NULL, *s2 = NULL;
    CHECK_EQ_INT(igc_store_open(NULL, 16, &s), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_open("", 16, &s), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_open(dir, 16, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_open(dir, SIZE_MAX, &s), IGC_EINVAL);
    /* A regular file where the directory should be. */
    char fpath[96];
    snprintf(fpath, sizeof fpath, "%s/file", dir);
    FILE *f = fopen(fpath, "w");
    REQUIRE(f);
    fclose(f);
    CHECK_EQ_INT(igc_store_open(fpath, 16, &s), IGC_EIO);
    unlink(fpath);
    /* Nested directories are created. */
    char nested[96];
    snprintf(nested, sizeof nested, "%s/a/b", dir);
    REQUIRE(igc_store_open(nested, 0, &s) == 0);
    igc_store_stats st;
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK(st.map_size == (size_t)IGC_STORE_DEFAULT_MAP_MB * 1024 * 1024);
    /* Same directory twice in one process. */
    CHECK_EQ_INT(igc_store_open(nested, 16, &s2), IGC_ESTATE);
    CHECK(s2 == NULL);

    CHECK_EQ_INT(igc_store_judgment_put(NULL, NULL, J1, strlen(J1), id), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, J1, strlen(J1), NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, NULL, 0, id), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, J1, 0, id), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, "[1,2]", 5, id), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, "\"x\"", 3, id), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, "{\"a\":", 5, id), IGC_EPARSE);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, "{} x", 4, id), IGC_EPARSE);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, "{}{}", 4, id), IGC_EPARSE);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, "{\"a\":\"\xff\"}", 9, id), IGC_EUTF8);
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, "{}\0{}", 5, id), IGC_EINVAL);
    CHECK(id[0] == '\0');
    /* Length bounds the parse: the text after len is not read. */
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, "{}garbage", 2, id), 0);
    size_t big = (size_t)IGC_STORE_MAX_DOC + 1;
    char *bigdoc = malloc(big);
    REQUIRE(bigdoc);
    memset(bigdoc, ' ', big);
    bigdoc[0] = '{';
    bigdoc[big - 1] = '}';
    CHECK_EQ_INT(igc_store_judgment_put(s, NULL, bigdoc, big, id), IGC_ETOOBIG);
    free(bigdoc);

    const char *bad_brns[] = {"123", "12345678901", "10181003AB", "101-8100340", "1018-100340", "101-81-0034 "};
    for (size_t i = 0; i < sizeof bad_brns / sizeof *bad_brns; i++)
        CHECK_EQ_INT(igc_store_judgment_put(s, bad_brns[i], J1, strlen(J1), id), IGC_EINVAL);
    igc_store_ids ids = {(char(*)[IGC_STORE_ID_SIZE])1, 5};
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, "12", 0, &ids), IGC_EINVAL);
    CHECK(ids.ids == NULL && ids.n == 0);
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, NULL, 0, &ids), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_A, 0, NULL), IGC_EINVAL);
    igc_store_ids_free(NULL);

    char *got;
    char longid[60];
    memset(longid, 'J', 59);
    longid[59] = '\0';
    CHECK_EQ_INT(igc_store_judgment_get(s, longid, &got, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_get(s, "", &got, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_get(s, NULL, &got, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_get(s, "J1", NULL, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_get(s, "없는id", &got, NULL), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_store_judgment_update(s, NULL, J1, strlen(J1)), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_judgment_update(s, "J1", "nope", 4), IGC_EPARSE);

    char longkey[IGC_STORE_MAX_KEY + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    CHECK_EQ_INT(igc_store_exemplar_put(s, longkey, "{}", 2), IGC_EINVAL);
    longkey[IGC_STORE_MAX_KEY] = '\0';
    CHECK_EQ_INT(igc_store_exemplar_put(s, longkey, "{}", 2), 0);
    CHECK_EQ_INT(igc_store_exemplar_put(s, "", "{}", 2), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_exemplar_put(s, NULL, "{}", 2), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_exemplar_put(s, "k\xc3", "{}", 2), IGC_EUTF8);
    CHECK_EQ_INT(igc_store_exemplar_put(s, "k", "[]", 2), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_exemplar_del(s, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_exemplar_foreach(s, NULL, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_meta_set(s, NULL, "x"), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_meta_set(s, "k", NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_meta_set(s, "k", "\xff"), IGC_EUTF8);
    CHECK_EQ_INT(igc_store_meta_get(s, "k", NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_stat(s, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_stat(NULL, &st), IGC_EINVAL);
    CHECK_EQ_INT(igc_store_reader_check(NULL, NULL), IGC_EINVAL);
    igc_store_close(NULL);
    igc_store_close(s);
    /* Closed handles leave the registry: the directory opens again. */
    REQUIRE(igc_store_open(nested, 16, &s) == 0);
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.judgments, 1);
    CHECK_EQ_INT(st.exemplars, 1);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(nested);
    snprintf(nested, sizeof nested, "%s/a", dir);
    rmdir(nested);
    igc_test_rm_lmdb_dir(dir);
}

/* ---- map full ---- */

TEST(test_map_full) {
    char dir[64], id[IGC_STORE_ID_SIZE];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 1, &s) == 0);
    static char ids[1000][IGC_STORE_ID_SIZE];
    unsigned n = 0;
    int rc = 0;
    while (n < 1000) {
        rc = put_doc(s, BRN_A, 2000u + n, ids[n]); /* docs of 0.1..3 KB */
        if (rc) break;
        n++;
    }
    CHECK_EQ_INT(rc, IGC_EFULL);
    REQUIRE(n > 50);
    CHECK(ids[n][0] == '\0');
    /* Exemplar writes hit the same limit and leave judgments alone. */
    unsigned nex = 0;
    int erc = 0;
    char key[32], doc[300];
    while (nex < 1000) {
        snprintf(key, sizeof key, "hist:%04u", nex);
        size_t dl = make_doc(nex, doc, sizeof doc);
        if ((erc = igc_store_exemplar_put(s, key, doc, dl))) break;
        nex++;
    }
    CHECK_EQ_INT(erc, IGC_EFULL);
    for (unsigned i = 0; i < n; i++) CHECK(doc_is(s, ids[i], 2000u + i));
    igc_store_close(s);

    REQUIRE(igc_store_open(dir, 1, &s) == 0);
    igc_store_stats st;
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.judgments, n);
    CHECK(st.map_used <= st.map_size);
    unsigned bad = 0;
    for (unsigned i = 0; i < n; i++) bad += !doc_is(s, ids[i], 2000u + i);
    CHECK_EQ_INT(bad, 0);
    /* The index holds exactly the committed judgments: no half-written put. */
    igc_store_ids list;
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_A, 0, &list), 0);
    CHECK_EQ_INT(list.n, n);
    if (list.n == n)
        for (unsigned i = 0; i < n; i++) CHECK_EQ_STR(list.ids[i], ids[n - 1 - i]);
    igc_store_ids_free(&list);
    CHECK_EQ_INT(st.exemplars, nex);
    /* Same state as when it failed: the same write fails the same way. */
    CHECK_EQ_INT(igc_store_exemplar_put(s, key, doc, strlen(doc)), IGC_EFULL);
    igc_store_close(s);

    /* A larger map makes room again. */
    REQUIRE(igc_store_open(dir, 4, &s) == 0);
    CHECK_EQ_INT(put_doc(s, BRN_A, 2999, id), 0);
    CHECK(doc_is(s, id, 2999));
    CHECK(strcmp(id, ids[n - 1]) != 0);
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.judgments, n + 1);
    CHECK(st.map_size == 4u * 1024 * 1024);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

/* A write the disk refuses (here the file-size limit stands in for a full disk) is
 * remembered for the status page until a later write succeeds. Run in a child: the
 * limit is the whole process's. Exit codes name the check that failed. */
static int disk_refuses_child(const char *dir) {
    igc_store *s;
    if (igc_store_open(dir, 64, &s)) return 10;
    char id[IGC_STORE_ID_SIZE];
    if (put_doc(s, BRN_A, 1, id)) return 11;
    igc_store_stats st;
    if (igc_store_stat(s, &st) || st.write_error) return 12;
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat sb;
    if (stat(path, &sb)) return 13;
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {(rlim_t)sb.st_size, RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &rl)) return 14;
    int rc = 0;
    for (unsigned n = 0; n < 2000 && !rc; n++) rc = put_doc(s, BRN_A, 3000u + n, id);
    if (!rc) return 15;
    if (igc_store_stat(s, &st) || !st.write_error || !st.write_error_text[0]) return 16;
    rl.rlim_cur = RLIM_INFINITY;
    if (setrlimit(RLIMIT_FSIZE, &rl)) return 17;
    if (put_doc(s, BRN_A, 5000, id)) return 18;
    if (igc_store_stat(s, &st) || st.write_error) return 19;
    igc_store_close(s);
    return 0;
}

TEST(test_disk_write_error_reported) {
    char dir[64];
    tmp_dir(dir);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) _exit(disk_refuses_child(dir));
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ_INT(WEXITSTATUS(st), 0);
    igc_test_rm_lmdb_dir(dir);
}

/* ---- crash safety ---- */

#define KILL_ROUNDS 8
#define MAX_REPORTED 20000

typedef struct {
    char id[IGC_STORE_ID_SIZE];
    unsigned n;
} reported;

static void child_writer(const char *dir, int wfd, unsigned start) {
    igc_store *s;
    if (igc_store_open(dir, 64, &s)) _exit(2);
    for (unsigned n = start;; n++) {
        char id[IGC_STORE_ID_SIZE], line[64], *back;
        if (put_doc(s, BRN_A, n, id)) _exit(3);
        /* A read after each write keeps reader slots busy for the kill. */
        if (igc_store_judgment_get(s, id, &back, NULL)) _exit(4);
        free(back);
        int k = snprintf(line, sizeof line, "%s %u\n", id, n);
        if (write(wfd, line, (size_t)k) != k) _exit(5);
    }
}

/* Reads complete "id n" lines; a line cut by the kill is not counted (writes
 * under PIPE_BUF are atomic, so there is none in practice). */
static size_t read_reports(int fd, reported *out, size_t have) {
    static char buf[1 << 20];
    size_t len = 0;
    ssize_t k;
    while ((k = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)k;
    buf[len] = '\0';
    char *p = buf;
    for (char *nl; (nl = strchr(p, '\n')) && have < MAX_REPORTED; p = nl + 1) {
        *nl = '\0';
        unsigned n;
        char id[IGC_STORE_ID_SIZE];
        if (sscanf(p, "%47s %u", id, &n) == 2) {
            memcpy(out[have].id, id, IGC_STORE_ID_SIZE);
            out[have].n = n;
            have++;
        }
    }
    return have;
}

TEST(test_kill9) {
    char dir[64];
    tmp_dir(dir);
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (getenv("IGC_TEST_SEED")) seed = (unsigned)strtoul(getenv("IGC_TEST_SEED"), NULL, 10);
    fprintf(stderr, "  test_kill9 seed %u\n", seed);
    srand(seed);
    static reported rep[MAX_REPORTED];
    size_t nrep = 0, child_reports = 0;
    for (int round = 0; round < KILL_ROUNDS; round++) {
        int pfd[2];
        REQUIRE(pipe(pfd) == 0);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            child_writer(dir, pfd[1], (unsigned)round * 100000u);
        }
        close(pfd[1]);
        /* Every other round this process keeps the store open while the child
         * dies: the lock file then survives, with the child's reader slot and
         * possibly the writer mutex it held. */
        igc_store *held = NULL;
        if (round % 2) REQUIRE(igc_store_open(dir, 64, &held) == 0);
        struct timespec ts = {0, (long)(20 + rand() % 130) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        REQUIRE(waitpid(pid, &status, 0) == pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        if (WIFEXITED(status)) fprintf(stderr, "  writer exited with %d\n", WEXITSTATUS(status));
        size_t before = nrep;
        nrep = read_reports(pfd[0], rep, nrep);
        child_reports += nrep - before;
        close(pfd[0]);
        if (held) {
            char id[IGC_STORE_ID_SIZE];
            unsigned n = 900000u + (unsigned)round;
            CHECK_EQ_INT(put_doc(held, BRN_A, n, id), 0);
            if (id[0] && nrep < MAX_REPORTED) {
                memcpy(rep[nrep].id, id, IGC_STORE_ID_SIZE);
                rep[nrep++].n = n;
            }
            igc_store_close(held);
        }

        igc_store *s;
        REQUIRE(igc_store_open(dir, 64, &s) == 0);
        size_t bad = 0;
        for (size_t i = 0; i < nrep; i++) bad += !doc_is(s, rep[i].id, rep[i].n);
        CHECK_EQ_INT(bad, 0);
        char id[IGC_STORE_ID_SIZE];
        unsigned n = 800000u + (unsigned)round;
        CHECK_EQ_INT(put_doc(s, BRN_A, n, id), 0);
        CHECK(doc_is(s, id, n));
        if (nrep < MAX_REPORTED) {
            memcpy(rep[nrep].id, id, IGC_STORE_ID_SIZE);
            rep[nrep++].n = n;
        }
        igc_store_close(s);
    }
    fprintf(stderr, "  test_kill9: %zu committed ids (%zu from killed writers) checked over %d rounds\n", nrep,
            child_reports, KILL_ROUNDS);
    CHECK(child_reports > 0);

    igc_store *s;
    REQUIRE(igc_store_open(dir, 64, &s) == 0);
    igc_store_stats st;
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    /* At most one unreported commit per kill. */
    CHECK(st.judgments >= nrep && st.judgments <= nrep + KILL_ROUNDS);
    CHECK_EQ_INT(st.readers, 0);
    igc_store_ids list;
    CHECK_EQ_INT(igc_store_judgment_list_brn(s, BRN_A, 0, &list), 0);
    CHECK_EQ_INT(list.n, st.judgments);
    /* Every reported id is in the index. */
    size_t missing = 0;
    for (size_t i = 0; i < nrep; i++) {
        int found = 0;
        for (size_t j = 0; j < list.n && !found; j++) found = strcmp(list.ids[j], rep[i].id) == 0;
        missing += !found;
    }
    CHECK_EQ_INT(missing, 0);
    igc_store_ids_free(&list);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

static int hold_cb(void *ud, const char *id, const char *json, size_t len) {
    (void)id, (void)json, (void)len;
    int fd = *(int *)ud;
    if (write(fd, "r", 1) != 1) _exit(6);
    for (;;) pause(); /* keep the read transaction open until killed */
    return 0;
}

TEST(test_stale_reader) {
    char dir[64], id[IGC_STORE_ID_SIZE];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    REQUIRE(put_doc(s, BRN_A, 1, id) == 0);
    int pfd[2];
    REQUIRE(pipe(pfd) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        igc_store *c;
        if (igc_store_open(dir, 16, &c)) _exit(2);
        igc_store_judgment_foreach(c, hold_cb, &pfd[1]);
        _exit(3);
    }
    close(pfd[1]);
    char ch;
    CHECK_EQ_INT(read(pfd[0], &ch, 1), 1);
    close(pfd[0]);
    igc_store_stats st;
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.readers, 1);
    kill(pid, SIGKILL);
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.readers, 1); /* the dead child's slot is still taken */

    /* A fresh open (another process, as the lock file is shared) clears it. */
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        igc_store *c;
        if (igc_store_open(dir, 16, &c)) _exit(2);
        igc_store_stats cst;
        if (igc_store_stat(c, &cst)) _exit(3);
        char nid[IGC_STORE_ID_SIZE];
        if (put_doc(c, BRN_A, 2, nid)) _exit(4);
        igc_store_close(c);
        _exit(cst.readers == 0 ? 0 : 10 + (int)cst.readers);
    }
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0);
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.readers, 0);
    CHECK_EQ_INT(st.judgments, 2);
    int dead = -1;
    CHECK_EQ_INT(igc_store_reader_check(s, &dead), 0);
    CHECK_EQ_INT(dead, 0);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

/* ---- threads: parallel readers while one thread writes ---- */

typedef struct {
    igc_store *s;
    char (*ids)[IGC_STORE_ID_SIZE];
    unsigned n;
    int errors;
} reader_arg;

static int count_cb(void *ud, const char *id, const char *json, size_t len) {
    (void)id;
    if (json[0] != '{' || strlen(json) != len) return -1;
    (*(unsigned *)ud)++;
    return 0;
}

static void *reader_thread(void *p) {
    reader_arg *a = p;
    for (unsigned i = 0; i < 300; i++) {
        unsigned k = i % a->n;
        if (!doc_is(a->s, a->ids[k], k)) a->errors++;
        if (i % 50 == 0) {
            unsigned cnt = 0;
            if (igc_store_judgment_foreach(a->s, count_cb, &cnt) || cnt < a->n) a->errors++;
            igc_store_ids l;
            if (igc_store_judgment_list_brn(a->s, BRN_B, 5, &l) || l.n != 5) a->errors++;
            igc_store_ids_free(&l);
        }
    }
    return NULL;
}

TEST(test_threads) {
    char dir[64];
    tmp_dir(dir);
    igc_store *s;
    REQUIRE(igc_store_open(dir, 16, &s) == 0);
    static char ids[40][IGC_STORE_ID_SIZE];
    for (unsigned i = 0; i < 40; i++) REQUIRE(put_doc(s, BRN_B, i, ids[i]) == 0);
    pthread_t th[4];
    reader_arg args[4];
    for (int t = 0; t < 4; t++) {
        args[t] = (reader_arg){s, ids, 40, 0};
        REQUIRE(pthread_create(&th[t], NULL, reader_thread, &args[t]) == 0);
    }
    char id[IGC_STORE_ID_SIZE];
    for (unsigned i = 0; i < 15; i++) CHECK_EQ_INT(put_doc(s, BRN_B, 500 + i, id), 0);
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ_INT(args[t].errors, 0);
    }
    igc_store_stats st;
    CHECK_EQ_INT(igc_store_stat(s, &st), 0);
    CHECK_EQ_INT(st.judgments, 55);
    CHECK_EQ_INT(st.readers, 0);
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

IGC_TEST_MAIN(TEST_ENTRY(test_put_get_update), TEST_ENTRY(test_ids_random_unique), TEST_ENTRY(test_txn_all_or_nothing),
              TEST_ENTRY(test_list_brn_order_limit), TEST_ENTRY(test_foreach), TEST_ENTRY(test_exemplars),
              TEST_ENTRY(test_meta), TEST_ENTRY(test_schema_mismatch), TEST_ENTRY(test_invalid_args),
              TEST_ENTRY(test_map_full), TEST_ENTRY(test_disk_write_error_reported), TEST_ENTRY(test_kill9), TEST_ENTRY(test_stale_reader),
              TEST_ENTRY(test_threads))
