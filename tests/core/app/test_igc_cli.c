/*
 * igc end to end: the command-line tool on real labelled rows copied to a
 * temporary file (batch classification with a bad row in the middle, the
 * client's metrics, fitting parameters), its help text and its refusal of
 * unknown commands.
 */
#include "app_test_util.h"

#include <math.h> /* after the header: it sets _XOPEN_SOURCE */

#ifndef IGC_BIN
#error "IGC_BIN must be defined by CMake"
#endif

#define NROWS 20

static char tmp[PATH_MAX];
static char in20[PATH_MAX + 16], inbad[PATH_MAX + 16], db[PATH_MAX + 16];
static char uids[NROWS + 1][64];
static int nlabelled;

static void cleanup(void) { rm_tmp(tmp); }

/* Writes the first NROWS rows of dev.csv (header kept) to in20, and the same
 * plus one row with an invalid brn in the middle to inbad. */
static int setup(void) {
    if (tmp[0]) return 1;
    if (make_tmpdir(tmp, "cli")) return 0;
    atexit(cleanup);
    snprintf(in20, sizeof in20, "%s/dev20.csv", tmp);
    snprintf(inbad, sizeof inbad, "%s/dev20bad.csv", tmp);
    snprintf(db, sizeof db, "%s/db", tmp);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/labeled/dev.csv", igc_test_data_dir());
    igc_csv *c;
    if (igc_csv_open(path, &c)) return 0;
    char **f;
    size_t nf;
    igc_buf a = {0}, b = {0};
    int rows = 0, ok = igc_csv_next(c, &f, &nf) == 1;
    int cu = igc_csv_col(c, "uid"), cb = igc_csv_col(c, "brn"), cl = igc_csv_col(c, "label1");
    ok &= cu >= 0 && cb >= 0 && cl >= 0;
    for (size_t i = 0; ok && i < nf; i++) {
        igc_buf_puts(&a, i ? "," : ""), igc_csv_field(&a, f[i]);
        igc_buf_puts(&b, i ? "," : ""), igc_csv_field(&b, f[i]);
    }
    igc_buf_puts(&a, "\n"), igc_buf_puts(&b, "\n");
    char badbrn[11];
    brn_bad(123456789, badbrn);
    while (ok && rows < NROWS && igc_csv_next(c, &f, &nf) == 1) {
        for (int copy = 1; copy >= 0; copy--) {
            if (copy && rows != NROWS / 2) continue;
            for (size_t i = 0; i < nf; i++) {
                const char *v = f[i];
                if (copy && (int)i == cu) v = "BAD1";
                if (copy && (int)i == cb) v = badbrn;
                igc_buf_puts(&b, i ? "," : ""), igc_csv_field(&b, v);
            }
            igc_buf_puts(&b, "\n");
        }
        for (size_t i = 0; i < nf; i++) igc_buf_puts(&a, i ? "," : ""), igc_csv_field(&a, f[i]);
        igc_buf_puts(&a, "\n");
        snprintf(uids[rows], sizeof uids[rows], "%s", f[cu]);
        nlabelled += f[cl][0] != '\0';
        rows++;
    }
    igc_csv_close(c);
    ok &= rows == NROWS && write_text(in20, a.data, a.len) == 0 && write_text(inbad, b.data, b.len) == 0;
    igc_buf_free(&a);
    igc_buf_free(&b);
    return ok;
}

static int run_igc(const char *const *args, const char *out, const char *err) {
    const char *argv[32];
    int n = 0;
    argv[n++] = IGC_BIN;
    for (int i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
    argv[n] = NULL;
    /* run from the temp dir: nothing may land in the source or build tree */
    return run_wait((char *const *)argv, tmp, out, err);
}

static void dump(const char *path) {
    size_t n;
    char *t = slurp(path, &n);
    if (t) fprintf(stderr, "  ---- %s ----\n%s\n  ----\n", path, n > 4000 ? t + n - 4000 : t);
    free(t);
}

TEST(classify_batch) {
    REQUIRE(setup());
    struct stat before;
    int had_var = stat(IGC_TEST_SOURCE_DIR "/var", &before) == 0;
    char out[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s/out.jsonl", tmp);
    snprintf(err, sizeof err, "%s/classify.err", tmp);
    const char *args[] = {"classify", "--in", inbad, "--out", out, "--model", "none", "--params", "none",
                          "--db", db, "--data", igc_test_data_dir(), "--rules", IGC_TEST_SOURCE_DIR "/rules", NULL};
    int rc = run_igc(args, NULL, err);
    CHECK_EQ_INT(rc, 0);
    if (rc) dump(err);
    size_t n;
    char *t = slurp(out, &n);
    REQUIRE(t);
    int line = 0, good = 0, bad = 0;
    char *save = NULL;
    for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save), line++) {
        cJSON *o = cJSON_Parse(l);
        CHECK(o != NULL);
        if (!o) continue;
        /* order kept: the bad row sits after the NROWS/2-th row */
        const char *want = line < NROWS / 2 ? uids[line] : line == NROWS / 2 ? "BAD1" : uids[line - 1];
        CHECK_EQ_STR(jstr(o, "uid"), want);
        if (line == NROWS / 2) {
            const cJSON *e = jget(o, "error");
            CHECK_EQ_STR(jstr(e, "code"), "invalid_brn");
            CHECK(jstr(e, "message") && *jstr(e, "message"));
            CHECK(jarr_has(jget(e, "fields"), "company.brn"));
            CHECK(jget(o, "items") == NULL);
            bad++;
        } else {
            if (jget(o, "error")) {
                char *p = cJSON_PrintUnformatted(o);
                fprintf(stderr, "  row %s failed: %s\n", want, p);
                free(p);
            }
            CHECK(jget(o, "error") == NULL);
            CHECK(cJSON_IsBool(jget(o, "applicable")));
            CHECK(cJSON_IsArray(jget(o, "reasons")));
            const cJSON *items = jget(o, "items"), *x;
            CHECK(cJSON_IsArray(items) && cJSON_GetArraySize(items) >= 1 && cJSON_GetArraySize(items) <= 3);
            cJSON_ArrayForEach(x, items) {
                CHECK(jstr(x, "code") && jstr(x, "name"));
                double sc = jnum(x, "score", -1);
                CHECK(sc >= 0 && sc <= 1);
                CHECK(cJSON_IsArray(jget(x, "keywords")));
            }
            good++;
        }
        cJSON_Delete(o);
    }
    free(t);
    CHECK_EQ_INT(line, NROWS + 1);
    CHECK_EQ_INT(good, NROWS);
    CHECK_EQ_INT(bad, 1);
    /* nothing written in the working tree (var/ may exist from running the service) */
    struct stat sb;
    CHECK(had_var || stat(IGC_TEST_SOURCE_DIR "/var", &sb) != 0);
}

TEST(eval_metrics) {
    REQUIRE(setup());
    char out[PATH_MAX + 16], err[PATH_MAX + 16], hist[PATH_MAX];
    snprintf(out, sizeof out, "%s/eval.json", tmp);
    snprintf(err, sizeof err, "%s/eval.err", tmp);
    snprintf(hist, sizeof hist, "%s/labeled/history.csv", igc_test_data_dir());
    const char *args[] = {"eval", "--in", in20, "--history", hist, "--model", "none", "--params", "none", "--json",
                          "--db", db, "--data", igc_test_data_dir(), "--rules", IGC_TEST_SOURCE_DIR "/rules", NULL};
    int rc = run_igc(args, out, err);
    CHECK_EQ_INT(rc, 0);
    if (rc) dump(err);
    size_t n;
    char *t = slurp(out, &n);
    REQUIRE(t);
    cJSON *o = cJSON_Parse(t);
    if (!o) fprintf(stderr, "  eval printed: %s\n", t);
    free(t);
    REQUIRE(o);
    CHECK_EQ_INT((int)jnum(o, "rows", -1), NROWS);
    CHECK_EQ_INT((int)jnum(o, "labelled", -1), nlabelled);
    const char *m[] = {"accuracy", "top1", "top3", "macro_f1", "na_precision", "na_recall"};
    for (int i = 0; i < 6; i++) {
        double v = jnum(o, m[i], -1);
        if (!(v >= 0 && v <= 1)) fprintf(stderr, "  %s = %g\n", m[i], v);
        CHECK(v >= 0 && v <= 1);
    }
    CHECK(jnum(o, "top3", 0) >= jnum(o, "top1", 1));
    /* the other F1 averages: items plus "not applicable" as classes; micro-F1 is the
     * accuracy again (one true and one predicted class per row) */
    const char *f1[] = {"micro_f1", "weighted_f1"};
    for (int i = 0; i < 2; i++) CHECK(jnum(o, f1[i], -1) >= 0 && jnum(o, f1[i], -1) <= 1);
    CHECK(fabs(jnum(o, "micro_f1", -1) - jnum(o, "accuracy", -2)) < 1e-3);
    /* routing: the share decided alone and the accuracy there, next to the flagged count */
    double share = jnum(o, "auto_share", -1), flagged = jnum(o, "needs_review", -1);
    CHECK(share >= 0 && share <= 1 && flagged >= 0);
    CHECK(fabs(share * NROWS + flagged - NROWS) < 0.01);
    CHECK(jnum(o, "auto_accuracy", -1) >= 0 && jnum(o, "auto_accuracy", -1) <= 1);
    CHECK(fabs(jnum(o, "auto_accuracy", -1) - jnum(o, "accuracy_unflagged", -2)) < 1e-9);
    /* the history helps: something is right on real rows */
    CHECK(jnum(o, "accuracy", 0) > 0);
    CHECK(jnum(o, "ms_per_row", -1) >= 0);
    /* calibration errors of the stated probabilities: present, and errors are in [0,1] */
    const char *ece[] = {"ece_applicable", "ece_rank1"};
    for (int i = 0; i < 2; i++) CHECK(jnum(o, ece[i], -1) >= 0 && jnum(o, ece[i], -1) <= 1);
    cJSON_Delete(o);
    /* the stderr report names the history it used */
    char *e = slurp(err, NULL);
    CHECK(e && strstr(e, "history:"));
    free(e);
}

/* igc tune on the first 80 history rows (lexical engine: every row scored leave-one-
 * out), run once for the tests below: a parameter file the engine loads, the report
 * with the threshold trade-off and the review curve, and one analysis line per usable
 * row. */
static char tune_params[PATH_MAX + 16], tune_rows[PATH_MAX + 16], tune_out[PATH_MAX + 16];
static int tune_nlab;

static int run_tune(void) {
    static int done; /* 0 not yet, 1 ran, -1 failed */
    if (done) return done > 0;
    done = -1;
    if (!setup()) return 0;
    char src[PATH_MAX], hist[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(src, sizeof src, "%s/labeled/history.csv", igc_test_data_dir());
    snprintf(hist, sizeof hist, "%s/hist80.csv", tmp);
    snprintf(tune_params, sizeof tune_params, "%s/params.json", tmp);
    snprintf(tune_rows, sizeof tune_rows, "%s/rows.tsv", tmp);
    snprintf(tune_out, sizeof tune_out, "%s/tune.out", tmp);
    snprintf(err, sizeof err, "%s/tune.err", tmp);
    igc_csv *c;
    char **f;
    size_t nf;
    igc_buf b = {0};
    int n = -1, cl = -1;
    if (igc_csv_open(src, &c)) return 0;
    while (n < 80 && igc_csv_next(c, &f, &nf) == 1) {
        if (n < 0) cl = igc_csv_col(c, "label1");
        else tune_nlab += cl >= 0 && (size_t)cl < nf && f[cl][0];
        for (size_t i = 0; i < nf; i++) igc_buf_puts(&b, i ? "," : ""), igc_csv_field(&b, f[i]);
        igc_buf_puts(&b, "\n");
        n++;
    }
    igc_csv_close(c);
    int ok = n == 80 && cl >= 0 && write_text(hist, b.data, b.len) == 0;
    igc_buf_free(&b);
    if (!ok) return 0;
    const char *args[] = {"tune", "--history", hist, "--out", tune_params, "--rows-out", tune_rows, "--model", "none",
                          "--params", "none", "--db", db, "--data", igc_test_data_dir(), "--rules",
                          IGC_TEST_SOURCE_DIR "/rules", NULL};
    int rc = run_igc(args, tune_out, err);
    if (rc) {
        fprintf(stderr, "  igc tune exited with %d\n", rc);
        dump(err);
        return 0;
    }
    done = 1;
    return 1;
}

TEST(tune_fits_parameters) {
    REQUIRE(run_tune());
    char *t = slurp(tune_params, NULL);
    cJSON *pj = t ? cJSON_Parse(t) : NULL;
    free(t);
    REQUIRE(pj);
    double th = jnum(pj, "apply_threshold", -1);
    CHECK(th >= 0.1 && th <= 0.9);
    CHECK(jnum(pj, "w_lexical", 0) != 0 && jnum(pj, "w_knn", 0) != 0);
    CHECK(jstr(pj, "model") && strcmp(jstr(pj, "model"), "none") == 0);
    cJSON_Delete(pj);
    t = slurp(tune_out, NULL);
    REQUIRE(t);
    CHECK(strstr(t, "rows 80,") != NULL);
    CHECK(strstr(t, "threshold trade-off") && strstr(t, "<- fitted"));
    free(t);
    /* header + one line per row; p_applicable a probability; labelled as in the file */
    t = slurp(tune_rows, NULL);
    REQUIRE(t);
    int lines = 0, labelled = 0, bad = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        if (!lines) {
            CHECK(strncmp(line, "uid\tlabelled\thit\trank\tp_applicable\tna_", 38) == 0);
            continue;
        }
        char uid[64];
        int lab, hit;
        unsigned rank;
        double pa;
        if (sscanf(line, "%63s %d %d %u %lf", uid, &lab, &hit, &rank, &pa) != 5 || pa < 0 || pa > 1 ||
            (hit && (!lab || rank != 0)))
            bad++;
        labelled += lab;
    }
    free(t);
    CHECK_EQ_INT(lines, 81);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(labelled, tune_nlab);
}

/* The review operating point: tune prints the curve (share decided alone against the
 * accuracy there, its Pareto front, largest share first) and writes the chosen
 * review_margin and review_min_score, the ones marked in the table. */
TEST(tune_chooses_review_operating_point) {
    REQUIRE(run_tune());
    char *t = slurp(tune_params, NULL);
    cJSON *pj = t ? cJSON_Parse(t) : NULL;
    free(t);
    REQUIRE(pj);
    double margin = jnum(pj, "review_margin", -1), min_score = jnum(pj, "review_min_score", -1);
    cJSON_Delete(pj);
    CHECK(margin >= 0 && margin <= 0.5);
    CHECK(min_score >= 0 && min_score <= 0.95);
    t = slurp(tune_out, NULL);
    REQUIRE(t);
    char *curve = strstr(t, "review operating point");
    /* the rule: accuracy there >= 0.90, unless the report says no point reaches it */
    int fallback = strstr(t, "no point reaches") != NULL;
    CHECK(curve != NULL);
    CHECK(strstr(t, "decided alone") && strstr(t, "accuracy there"));
    int lines = 0, chosen = 0, ordered = 1, bad = 0;
    double last_share = 2, last_acc = -1;
    char *save = NULL;
    for (char *l = curve ? strtok_r(curve, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
        double sh, acc, m, ms;
        unsigned nrows;
        if (sscanf(l, " %lf (%u) %lf %lf %lf", &sh, &nrows, &acc, &m, &ms) != 5) continue;
        lines++;
        bad += sh < 0 || sh > 1 || acc < 0 || acc > 1 || nrows > 80;
        /* a front: share falls, accuracy rises */
        ordered &= sh <= last_share && acc >= last_acc;
        last_share = sh, last_acc = acc;
        if (strstr(l, "<- chosen")) {
            chosen++;
            CHECK(fabs(m - margin) < 1e-6 && fabs(ms - min_score) < 1e-6);
            CHECK(fallback ? sh >= 0.4995 : acc >= 0.8995);
        }
    }
    free(t);
    CHECK(lines >= 2);
    CHECK_EQ_INT(bad, 0);
    CHECK(ordered);
    CHECK_EQ_INT(chosen, 1);
}

TEST(help_and_errors) {
    REQUIRE(setup());
    char out[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s/help.out", tmp);
    snprintf(err, sizeof err, "%s/help.err", tmp);
    const char *help[] = {"--help", NULL};
    CHECK_EQ_INT(run_igc(help, out, err), 0);
    char *t = slurp(out, NULL);
    REQUIRE(t);
    CHECK(strstr(t, "--data") && strstr(t, "--db") && strstr(t, "classify") && strstr(t, "eval"));
    free(t);
    const char *unknown[] = {"frobnicate", NULL};
    CHECK(run_igc(unknown, out, err) != 0);
    const char *badopt[] = {"classify", "--no-such-option", NULL};
    CHECK(run_igc(badopt, out, err) != 0);
    const char *none[] = {NULL};
    CHECK(run_igc(none, out, err) != 0);
    /* classify without its files, and with an input that does not exist */
    const char *noin[] = {"classify", "--model", "none", "--params", "none", "--db", db, NULL};
    CHECK(run_igc(noin, out, err) != 0);
    char missing[PATH_MAX + 32], o2[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/does-not-exist.csv", tmp);
    snprintf(o2, sizeof o2, "%s/o2.jsonl", tmp);
    const char *nofile[] = {"classify", "--in", missing, "--out", o2, "--model", "none", "--params", "none",
                            "--db", db, NULL};
    CHECK(run_igc(nofile, out, err) != 0);
    /* eval needs labels */
    const char *eval_noin[] = {"eval", "--model", "none", "--params", "none", "--no-history", NULL};
    CHECK(run_igc(eval_noin, out, err) != 0);
    /* igcd's help too */
    const char *dargv[] = {IGCD_BIN, "--help", NULL};
    CHECK_EQ_INT(run_wait((char *const *)dargv, tmp, out, err), 0);
    const char *dbad[] = {IGCD_BIN, "--bogus", NULL};
    CHECK(run_wait((char *const *)dbad, tmp, out, err) != 0);
}

IGC_TEST_MAIN(TEST_ENTRY(classify_batch), TEST_ENTRY(eval_metrics), TEST_ENTRY(tune_fits_parameters),
              TEST_ENTRY(tune_chooses_review_operating_point), TEST_ENTRY(help_and_errors))
