/* Tests of the subword embedding: file format, determinism, encoding, and that
 * training actually helps on held-out history rows. Models go under the build dir. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embed_internal.h" /* to forge a model made with other text features */
#include "igc_embed.h"
#include "igc_test.h"

static char dir_[1024];

static const char *out_dir(void) {
    if (!dir_[0]) {
        snprintf(dir_, sizeof dir_, "%s/plugins-test", IGC_TEST_BINARY_DIR);
        if (mkdir(dir_, 0755) != 0 && errno != EEXIST) fprintf(stderr, "cannot create %s\n", dir_);
    }
    return dir_;
}

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", out_dir(), name); }

/* A tiny configuration: taxonomy pairs only, 16 dims, one epoch (well under a second). */
static void tiny_opts(igc_embed_train_opts *o) {
    igc_embed_train_defaults(o, igc_test_data_dir());
    o->sources = IGC_EMBED_SRC_TAXONOMY;
    o->dim = 16;
    o->epochs = 1;
}

static int read_all(const char *path, char **data, size_t *len) { return igc_read_file(path, data, len); }

static float dot(const float *a, const float *b, int d) {
    float s = 0;
    for (int k = 0; k < d; k++) s += a[k] * b[k];
    return s;
}

static float cos_of(const igc_embed_model *m, const char *x, const char *y) {
    float a[IGC_EMBED_MAX_DIM], b[IGC_EMBED_MAX_DIM];
    if (igc_embed_encode(m, x, a) || igc_embed_encode(m, y, b)) return -2;
    return dot(a, b, igc_embed_dim(m));
}

/* Data rows of labeled/history.csv that igc_embed_history_heldout(row, mod, fold)
 * leaves out of training. */
static size_t heldout_rows(int mod, int fold) {
    char p[1100];
    snprintf(p, sizeof p, "%s/labeled/history.csv", igc_test_data_dir());
    igc_csv *c;
    if (igc_csv_open(p, &c)) return 0;
    char **f;
    size_t nf, row = 0, n = 0;
    if (igc_csv_next(c, &f, &nf) == 1)
        while (igc_csv_next(c, &f, &nf) == 1) n += (size_t)igc_embed_history_heldout(row++, mod, fold);
    igc_csv_close(c);
    return n;
}

/* The small trained model shared by the quality tests: taxonomy and history pairs
 * with every 5th history row held out, 32 dims, 3 epochs. */
static igc_embed_model *small_;
static igc_buf small_report_;
static void cleanup(void) {
    igc_embed_free(small_);
    small_ = NULL;
    igc_buf_free(&small_report_);
}
static igc_embed_model *small_model(void) {
    if (small_) return small_;
    igc_embed_train_opts o;
    igc_embed_train_defaults(&o, igc_test_data_dir());
    o.sources = IGC_EMBED_SRC_TAXONOMY | IGC_EMBED_SRC_HISTORY;
    o.dim = 32;
    o.epochs = 3;
    o.holdout_mod = 5;
    char p[1100];
    path_of(p, sizeof p, "small.bin");
    int rc = igc_embed_train_model(&o, p, &small_report_, &small_);
    if (rc) fprintf(stderr, "  small model: %s\n", igc_strerror(rc));
    atexit(cleanup);
    return small_;
}

TEST(save_load_roundtrip) {
    igc_embed_train_opts o;
    tiny_opts(&o);
    char p[1100], p2[1100];
    path_of(p, sizeof p, "tiny.bin");
    path_of(p2, sizeof p2, "tiny-resaved.bin");
    igc_embed_model *mem = NULL, *disk = NULL;
    REQUIRE(igc_embed_train_model(&o, p, NULL, &mem) == 0);
    CHECK_EQ_INT(igc_embed_load(p, &disk), 0);
    REQUIRE(disk != NULL);
    CHECK_EQ_INT(igc_embed_dim(disk), 16);
    CHECK_EQ_INT(igc_embed_nfeat(disk), igc_embed_nfeat(mem));
    CHECK(igc_embed_nfeat(disk) > 1000);
    CHECK_EQ_STR(igc_embed_version(disk), igc_embed_version(mem));
    CHECK(strncmp(igc_embed_version(disk), "subword-1/d16/", 14) == 0);
    CHECK_EQ_INT(strlen(igc_embed_version(disk)), 22);
    float a[16], b[16];
    CHECK_EQ_INT(igc_embed_encode(mem, "리튬이온 배터리 양극재", a), 0);
    CHECK_EQ_INT(igc_embed_encode(disk, "리튬이온 배터리 양극재", b), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* Saving what was loaded gives the same bytes. */
    CHECK_EQ_INT(igc_embed_save(disk, p2), 0);
    char *d1, *d2;
    size_t l1, l2;
    REQUIRE(read_all(p, &d1, &l1) == 0);
    REQUIRE(read_all(p2, &d2, &l2) == 0);
    CHECK(l1 == l2 && memcmp(d1, d2, l1) == 0);
    CHECK(memcmp(d1, IGC_EMBED_MAGIC, 8) == 0);
    free(d1);
    free(d2);
    igc_embed_free(mem);
    igc_embed_free(disk);
}

/* Writes a modified copy of the tiny model and returns igc_embed_load's result. */
static int load_variant(const char *data, size_t len, const char *name) {
    char p[1100];
    path_of(p, sizeof p, name);
    if (igc_write_file_atomic(p, data, len)) return 999;
    igc_embed_model *m = (igc_embed_model *)(uintptr_t)1;
    int rc = igc_embed_load(p, &m);
    if (m && rc) rc = 998; /* a refused load must leave *out NULL */
    igc_embed_free(rc ? NULL : m);
    return rc;
}

static void put32le(char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}

TEST(corrupt_files_refused) {
    char p[1100];
    path_of(p, sizeof p, "tiny.bin");
    igc_embed_model *m = NULL;
    if (igc_embed_load(p, &m) != 0) { /* save_load_roundtrip writes it; run alone: make it */
        igc_embed_train_opts o;
        tiny_opts(&o);
        REQUIRE(igc_embed_train(&o, p, NULL) == 0);
    }
    igc_embed_free(m);
    char *d;
    size_t len;
    REQUIRE(read_all(p, &d, &len) == 0);
    REQUIRE(len > 1000);
    char *c = malloc(len + 1);
    REQUIRE(c != NULL);

    CHECK_EQ_INT(load_variant(d, len, "ok.bin"), 0);
    /* Truncations anywhere, including inside the header. */
    size_t cuts[] = {0, 7, 20, 39, 40, 41, len / 2, len - 4, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        CHECK_EQ_INT(load_variant(d, cuts[i], "cut.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    c[len] = 0;
    CHECK_EQ_INT(load_variant(c, len + 1, "trailing.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    memcpy(c, "GGUF\0\0\0\0", 8);
    CHECK_EQ_INT(load_variant(c, len, "magic.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    memcpy(c, "IGCEMB02", 8);
    CHECK_EQ_INT(load_variant(c, len, "magic2.bin"), IGC_EVERSION);
    memcpy(c, d, len);
    put32le(c + 8, 2);
    CHECK_EQ_INT(load_variant(c, len, "format2.bin"), IGC_EVERSION);
    memcpy(c, d, len);
    put32le(c + 12, 0);
    CHECK_EQ_INT(load_variant(c, len, "dim0.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    put32le(c + 12, 32); /* a dimension that does not match the size */
    CHECK_EQ_INT(load_variant(c, len, "dim32.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    put32le(c + 16, 0xFFFFFFFFu); /* a huge count must not allocate, just fail */
    CHECK_EQ_INT(load_variant(c, len, "nfeat.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    c[len - 3] ^= 0x01; /* one bit of the last weight */
    CHECK_EQ_INT(load_variant(c, len, "bitflip.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    memcpy(c + 40, d + 48, 8); /* ids out of order */
    memcpy(c + 48, d + 40, 8);
    CHECK_EQ_INT(load_variant(c, len, "order.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    c[len - 4] = (char)0xff, c[len - 3] = (char)0xff, c[len - 2] = (char)0xff, c[len - 1] = (char)0x7f; /* NaN */
    CHECK_EQ_INT(load_variant(c, len, "nan.bin"), IGC_EPARSE);
    memcpy(c, d, len);
    c[30] ^= 0x40; /* stored hash */
    CHECK_EQ_INT(load_variant(c, len, "hash.bin"), IGC_EPARSE);

    memcpy(c, d, len);
    c[33] ^= 0x01; /* stored text fingerprint (covered by the hash) */
    CHECK_EQ_INT(load_variant(c, len, "fp.bin"), IGC_EPARSE);

    /* A well-formed model whose feature ids came from another core/text: refused as
     * a version mismatch, since every text would silently encode to nothing. */
    REQUIRE(igc_embed_load(p, &m) == 0);
    m->textfp ^= 1;
    REQUIRE(emb__model_finish(m) == 0);
    char p2[1100];
    path_of(p2, sizeof p2, "other-text.bin");
    CHECK_EQ_INT(igc_embed_save(m, p2), 0);
    igc_embed_free(m);
    m = NULL;
    CHECK_EQ_INT(igc_embed_load(p2, &m), IGC_EVERSION);
    CHECK(m == NULL);

    path_of(p, sizeof p, "does-not-exist.bin");
    CHECK_EQ_INT(igc_embed_load(p, &m), IGC_ENOTFOUND);
    CHECK(m == NULL);
    CHECK_EQ_INT(igc_embed_load(NULL, &m), IGC_EINVAL);
    free(c);
    free(d);
}

TEST(training_is_deterministic) {
    igc_embed_train_opts o;
    tiny_opts(&o);
    char p1[1100], p2[1100], p3[1100], p4[1100];
    path_of(p1, sizeof p1, "det1.bin");
    path_of(p2, sizeof p2, "det2.bin");
    path_of(p3, sizeof p3, "det-threads.bin");
    path_of(p4, sizeof p4, "det-seed.bin");
    REQUIRE(igc_embed_train(&o, p1, NULL) == 0);
    REQUIRE(igc_embed_train(&o, p2, NULL) == 0);
    o.threads = 2;
    REQUIRE(igc_embed_train(&o, p3, NULL) == 0);
    o.threads = 1;
    o.seed = 7;
    REQUIRE(igc_embed_train(&o, p4, NULL) == 0);
    char *d1, *d2, *d3, *d4;
    size_t l1, l2, l3, l4;
    REQUIRE(read_all(p1, &d1, &l1) == 0);
    REQUIRE(read_all(p2, &d2, &l2) == 0);
    REQUIRE(read_all(p3, &d3, &l3) == 0);
    REQUIRE(read_all(p4, &d4, &l4) == 0);
    CHECK(l1 == l2 && memcmp(d1, d2, l1) == 0);
    CHECK(l1 == l3 && memcmp(d1, d3, l1) == 0); /* thread count does not change the result */
    CHECK(l1 == l4 && memcmp(d1, d4, l1) != 0); /* same vocabulary, other weights */
    free(d1);
    free(d2);
    free(d3);
    free(d4);
}

TEST(encode_edge_cases) {
    igc_embed_model *m = small_model();
    REQUIRE(m != NULL);
    int d = igc_embed_dim(m);
    float v[IGC_EMBED_MAX_DIM], zero[IGC_EMBED_MAX_DIM] = {0};
    const char *none[] = {"", "   ", "!!! ... ---", "\xe3\x80\x80", "qzxqv"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        for (int k = 0; k < d; k++) v[k] = 1;
        CHECK_EQ_INT(igc_embed_encode(m, none[i], v), IGC_ENOTFOUND);
        CHECK(memcmp(v, zero, (size_t)d * sizeof *v) == 0);
    }
    CHECK_EQ_INT(igc_embed_encode(m, NULL, v), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_embed_encode(m, "\xff\xfe 배터리", v), IGC_EUTF8);
    CHECK(memcmp(v, zero, (size_t)d * sizeof *v) == 0);
    CHECK_EQ_INT(igc_embed_encode(NULL, "배터리", v), IGC_EINVAL);

    CHECK_EQ_INT(igc_embed_encode(m, "리튬이온 배터리 양극재를 생산", v), 0);
    CHECK(fabsf(dot(v, v, d) - 1.0f) < 1e-4f);
    /* A long text works too (no fixed buffers). */
    igc_buf big = {0};
    for (int i = 0; i < 2000; i++) igc_buf_puts(&big, "반도체 검사장비 ");
    CHECK_EQ_INT(igc_embed_encode(m, big.data, v), 0);
    igc_buf_free(&big);
}

TEST(word_contributions) {
    igc_embed_model *m = small_model();
    REQUIRE(m != NULL);
    int d = igc_embed_dim(m);
    igc_words w = {0};
    REQUIRE(igc_text_words("qzxqv 리튬이온 배터리 양극재", &w) == 0);
    REQUIRE(w.n == 4);
    float v[IGC_EMBED_MAX_DIM], v2[IGC_EMBED_MAX_DIM], t[IGC_EMBED_MAX_DIM], contrib[4], part[4];
    CHECK_EQ_INT(igc_embed_encode_words(m, &w, v, contrib), 0);
    CHECK_EQ_INT(igc_embed_encode(m, "qzxqv 리튬이온 배터리 양극재", v2), 0);
    CHECK(memcmp(v, v2, (size_t)d * sizeof *v) == 0);
    CHECK(contrib[0] == 0); /* unknown word */
    CHECK(fabsf(contrib[0] + contrib[1] + contrib[2] + contrib[3] - 1.0f) < 1e-3f);
    CHECK(contrib[1] > 0.05f && contrib[2] > 0.05f && contrib[3] > 0.05f);
    /* explain splits a cosine with another text into parts that add up to it. */
    REQUIRE(igc_embed_encode(m, "이차전지 소재", t) == 0);
    CHECK_EQ_INT(igc_embed_explain(m, &w, t, 1, part), 0);
    CHECK(fabsf(part[0] + part[1] + part[2] + part[3] - dot(v, t, d)) < 1e-3f);
    CHECK(part[0] == 0);
    /* With the text itself as target, explain is encode_words' share. */
    CHECK_EQ_INT(igc_embed_explain(m, &w, v, 1, part), 0);
    for (int i = 0; i < 4; i++) CHECK(fabsf(part[i] - contrib[i]) < 1e-5f);
    /* Several targets in one call: each row as if asked alone. */
    float tt[2 * IGC_EMBED_MAX_DIM], parts[8], one[4];
    memcpy(tt, t, (size_t)d * sizeof *t);
    memcpy(tt + d, v, (size_t)d * sizeof *v);
    CHECK_EQ_INT(igc_embed_explain(m, &w, tt, 2, parts), 0);
    CHECK_EQ_INT(igc_embed_explain(m, &w, t, 1, one), 0);
    for (int i = 0; i < 4; i++) CHECK(parts[i] == one[i] && fabsf(parts[4 + i] - contrib[i]) < 1e-5f);
    igc_text_words_free(&w);
    /* More targets than one pass takes (14: groups of four, three groups a pass) over a
     * text of several rows: each target's shares still bit for bit as if asked alone. */
    enum { NT = 14 };
    static const char *const texts[] = {"이차전지 소재", "스마트팜 수경재배", "전기차 배터리", "반도체 장비"};
    float *many = malloc((size_t)NT * (size_t)d * sizeof *many);
    REQUIRE(many && igc_text_words("이차전지 양극재 전기차 배터리 소재 스마트팜 반도체 장비 수경재배", &w) == 0);
    for (int k = 0; k < NT; k++) {
        REQUIRE(igc_embed_encode(m, texts[k % 4], many + (size_t)k * (size_t)d) == 0);
        for (int j = 0; j < d; j++) many[(size_t)k * (size_t)d + (size_t)j] *= 1.0f + 0.125f * (float)k;
    }
    float *all = malloc((size_t)NT * w.n * sizeof *all), *alone = malloc(w.n * sizeof *alone);
    REQUIRE(all && alone);
    CHECK_EQ_INT(igc_embed_explain(m, &w, many, NT, all), 0);
    size_t differ = 0, nonzero = 0;
    for (int k = 0; k < NT; k++) {
        CHECK_EQ_INT(igc_embed_explain(m, &w, many + (size_t)k * (size_t)d, 1, alone), 0);
        for (size_t i = 0; i < w.n; i++) {
            differ += memcmp(&all[(size_t)k * w.n + i], &alone[i], sizeof *alone) != 0;
            nonzero += alone[i] != 0;
        }
    }
    CHECK_EQ_INT(differ, 0);
    CHECK(nonzero > (size_t)NT);
    free(many), free(all), free(alone);
    igc_text_words_free(&w);
    /* Nothing known: zeros and IGC_ENOTFOUND. */
    REQUIRE(igc_text_words("qzxqv", &w) == 0);
    contrib[0] = 5;
    CHECK_EQ_INT(igc_embed_encode_words(m, &w, v, contrib), IGC_ENOTFOUND);
    CHECK(contrib[0] == 0);
    igc_text_words_free(&w);
}

TEST(encoder_plugin) {
    igc_embed_train_opts o;
    tiny_opts(&o);
    igc_embed_model *m;
    REQUIRE(igc_embed_train_model(&o, NULL, NULL, &m) == 0);
    char version[64];
    snprintf(version, sizeof version, "%s", igc_embed_version(m));
    float a[16], b[16];
    CHECK_EQ_INT(igc_embed_encode(m, "스마트팜 수경재배", a), 0);
    igc_encoder *e;
    REQUIRE(igc_embed_encoder(m, &e) == 0); /* takes ownership of m */
    CHECK_EQ_STR(e->name, "subword");
    CHECK_EQ_INT(e->dim, 16);
    CHECK_EQ_STR(e->version, version);
    CHECK_EQ_INT(igc_encoder_encode(e, "스마트팜 수경재배", b), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK_EQ_INT(igc_encoder_encode(e, "", b), IGC_ENOTFOUND);
    igc_encoder_free(e);
    char p[1100];
    path_of(p, sizeof p, "tiny.bin");
    if (igc_embed_encoder_open(p, &e) == 0) {
        CHECK_EQ_INT(e->dim, 16);
        igc_encoder_free(e);
    }
    path_of(p, sizeof p, "does-not-exist.bin");
    CHECK_EQ_INT(igc_embed_encoder_open(p, &e), IGC_ENOTFOUND);
    CHECK(e == NULL);
}

TEST(related_products_are_close) {
    igc_embed_model *m = small_model();
    REQUIRE(m != NULL);
    float near = cos_of(m, "이차전지 소재", "리튬이온 배터리 양극재");
    float far = cos_of(m, "이차전지 소재", "화장품 용기");
    fprintf(stderr, "  cos(이차전지 소재, 리튬이온 배터리 양극재) %.3f, (.., 화장품 용기) %.3f\n", near, far);
    CHECK(near > 0.4f);
    CHECK(near > far + 0.3f);
    /* An untrained model (same vocabulary, random vectors) has no such knowledge:
     * the two share no feature at all. */
    igc_embed_train_opts o;
    igc_embed_train_defaults(&o, igc_test_data_dir());
    o.sources = IGC_EMBED_SRC_TAXONOMY | IGC_EMBED_SRC_HISTORY;
    o.dim = 32;
    o.epochs = -1;
    o.holdout_mod = 5;
    igc_embed_model *raw;
    REQUIRE(igc_embed_train_model(&o, NULL, NULL, &raw) == 0);
    float raw_near = cos_of(raw, "이차전지 소재", "리튬이온 배터리 양극재");
    CHECK(near > raw_near + 0.3f);
    igc_embed_free(raw);
}

TEST(item_names_find_their_items) {
    igc_embed_model *m = small_model();
    REQUIRE(m != NULL);
    igc_embed_eval tr, bag;
    REQUIRE(igc_embed_eval_names(m, igc_test_data_dir(), IGC_EMBED_EVAL_MODEL, &tr) == 0);
    REQUIRE(igc_embed_eval_names(m, igc_test_data_dir(), IGC_EMBED_EVAL_BAG, &bag) == 0);
    fprintf(stderr, "  item names: top1 %d/%d (idf bag %d), top3 %d (idf bag %d)\n", tr.top1, tr.rows, bag.top1,
            tr.top3, bag.top3);
    CHECK(tr.rows >= 200);
    CHECK(tr.top1 >= tr.rows * 9 / 10);
    CHECK(tr.top3 >= tr.rows * 95 / 100);
    CHECK(tr.top1 > bag.top1);
}

TEST(heldout_history_beats_baselines) {
    igc_embed_model *m = small_model();
    REQUIRE(m != NULL);
    igc_embed_eval tr, bag;
    REQUIRE(igc_embed_eval_history(m, igc_test_data_dir(), 5, 0, IGC_EMBED_EVAL_MODEL, &tr) == 0);
    REQUIRE(igc_embed_eval_history(m, igc_test_data_dir(), 5, 0, IGC_EMBED_EVAL_BAG, &bag) == 0);
    igc_embed_train_opts o;
    igc_embed_train_defaults(&o, igc_test_data_dir());
    o.sources = IGC_EMBED_SRC_TAXONOMY | IGC_EMBED_SRC_HISTORY;
    o.dim = 32;
    o.epochs = -1;
    o.holdout_mod = 5;
    igc_embed_model *raw;
    REQUIRE(igc_embed_train_model(&o, NULL, NULL, &raw) == 0);
    igc_embed_eval rnd;
    REQUIRE(igc_embed_eval_history(raw, igc_test_data_dir(), 5, 0, IGC_EMBED_EVAL_MODEL, &rnd) == 0);
    igc_embed_free(raw);
    fprintf(stderr, "  held-out rows %d: top1 trained %d, idf bag %d, random init %d; top3 %d / %d / %d\n",
            tr.rows, tr.top1, bag.top1, rnd.top1, tr.top3, bag.top3, rnd.top3);
    CHECK(tr.rows >= 60);
    CHECK_EQ_INT(tr.rows, bag.rows);
    /* Clearly better, not a coin flip: at least 10 more rows right at rank 1. */
    CHECK(tr.top1 >= bag.top1 + 10);
    CHECK(tr.top1 >= rnd.top1 + 10);
    CHECK(tr.top3 > bag.top3);
    CHECK(tr.mrr > bag.mrr + 0.1);
    /* The training report carries the same numbers. */
    CHECK(strstr(small_report_.data ? small_report_.data : "", "\"heldout_trained\"") != NULL);
    /* every 5th data row of the history file, counted from the file itself */
    char want[64];
    snprintf(want, sizeof want, "\"history_rows_left_out\":\t%zu", heldout_rows(5, 0));
    CHECK(heldout_rows(5, 0) >= 100);
    CHECK(strstr(small_report_.data ? small_report_.data : "", want) != NULL);
}

TEST(train_rejects_bad_options) {
    igc_embed_train_opts o;
    tiny_opts(&o);
    char p[1100];
    path_of(p, sizeof p, "never.bin");
    o.dim = IGC_EMBED_MAX_DIM + 1;
    CHECK_EQ_INT(igc_embed_train(&o, p, NULL), IGC_EINVAL);
    tiny_opts(&o);
    o.data_dir = "/nonexistent/data";
    CHECK_EQ_INT(igc_embed_train(&o, p, NULL), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_embed_train(NULL, p, NULL), IGC_EINVAL);
    tiny_opts(&o);
    CHECK_EQ_INT(igc_embed_train(&o, NULL, NULL), IGC_EINVAL);
    struct stat st;
    CHECK(stat(p, &st) != 0);
}

/* A loaded model reads its weights from its file's pages (mapped on a little-endian
 * host): a model saved over the file meanwhile (written aside, renamed), or the file
 * removed, leaves the loaded one as it was. */
TEST(loaded_model_outlives_its_file) {
    igc_embed_train_opts o;
    tiny_opts(&o);
    char p[1100];
    path_of(p, sizeof p, "tiny-replaced.bin");
    igc_embed_model *first = NULL, *loaded = NULL, *other = NULL;
    REQUIRE(igc_embed_train_model(&o, p, NULL, &first) == 0);
    REQUIRE(igc_embed_load(p, &loaded) == 0);
    const char *text = "리튬이온 배터리 양극재 제조";
    float a[16], b[16], c[16];
    CHECK_EQ_INT(igc_embed_encode(loaded, text, a), 0);
    o.epochs = 2; /* other weights, the same shape */
    REQUIRE(igc_embed_train_model(&o, p, NULL, &other) == 0);
    CHECK_EQ_INT(igc_embed_encode(other, text, c), 0);
    CHECK(memcmp(a, c, sizeof a) != 0); /* the file now holds another model */
    CHECK_EQ_INT(igc_embed_encode(loaded, text, b), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK_EQ_INT(unlink(p), 0);
    CHECK_EQ_INT(igc_embed_encode(loaded, text, b), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK_EQ_STR(igc_embed_version(loaded), igc_embed_version(first));
    igc_embed_free(first);
    igc_embed_free(other);
    igc_embed_free(loaded);
}

IGC_TEST_MAIN(TEST_ENTRY(save_load_roundtrip), TEST_ENTRY(corrupt_files_refused),
              TEST_ENTRY(loaded_model_outlives_its_file),
              TEST_ENTRY(training_is_deterministic), TEST_ENTRY(encode_edge_cases), TEST_ENTRY(word_contributions),
              TEST_ENTRY(encoder_plugin), TEST_ENTRY(related_products_are_close),
              TEST_ENTRY(item_names_find_their_items), TEST_ENTRY(heldout_history_beats_baselines),
              TEST_ENTRY(train_rejects_bad_options))
