/*
 * igc end to end: the command-line tool on real labelled rows copied to a
 * temporary file (batch classification with a bad row in the middle, the
 * client's metrics, fitting parameters), its help text and its refusal of
 * unknown commands.
 */
#include "app_test_util.h"

#include <dirent.h>
#include <iconv.h>
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
    mkdir(db, 0700); /* the service's store (a batch run creates none) */
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
    /* the run is in the store's audit log: who, which files, how many rows (no row's 사업자등록번호) */
    char aud[PATH_MAX + 16];
    snprintf(aud, sizeof aud, "%s/audit.jsonl", tmp);
    const char *ex[] = {"--db", db, "audit", "export", NULL};
    CHECK_EQ_INT(run_igc(ex, aud, err), 0);
    t = slurp(aud, &n);
    REQUIRE(t);
    int found = 0;
    save = NULL;
    for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        cJSON *o = cJSON_Parse(l);
        if (o && jstr(o, "action") && strcmp(jstr(o, "action"), "batch.classify") == 0 && jstr(o, "input") &&
            strcmp(jstr(o, "input"), inbad) == 0) {
            found = 1;
            CHECK_EQ_INT((int)jnum(o, "rows", -1), NROWS + 1);
            CHECK_EQ_INT((int)jnum(o, "errors", -1), 1);
            CHECK(jstr(o, "user") && jstr(o, "taxonomy_version"));
        }
        cJSON_Delete(o);
    }
    CHECK(found);
    free(t);
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
    CHECK(strstr(t, "lexicon check") && strstr(t, "--lexicon-dir"));
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

/* igc lexicon check: the shared file loads (exit 0, a collision report); a broken copy
 * exits 2 naming the line; without FILE it checks the staff's copy in --lexicon-dir. */
TEST(lexicon_check) {
    REQUIRE(setup());
    char out[PATH_MAX + 16], err[PATH_MAX + 16], src[PATH_MAX], bad[PATH_MAX + 48], dir[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s/lexcheck.out", tmp);
    snprintf(err, sizeof err, "%s/lexcheck.err", tmp);
    snprintf(src, sizeof src, "%s/taxonomy/igc-v6-lexicon.jsonl", igc_test_data_dir());
    const char *good[] = {"lexicon", "check", src, "--data", igc_test_data_dir(), NULL};
    CHECK_EQ_INT(run_igc(good, out, err), 0);
    char *t = slurp(out, NULL);
    CHECK(t && strstr(t, "요약") && strstr(t, "충돌"));
    free(t);
    /* the third line broken: a KSIC code that does not exist */
    size_t n;
    char *text = slurp(src, &n);
    REQUIRE(text);
    char *l3 = strchr(strchr(text, '\n') + 1, '\n') + 1;
    char *k = strstr(l3, "\"ksic\": [\"");
    REQUIRE(k);
    memcpy(k + strlen("\"ksic\": [\""), "99999", 5);
    snprintf(dir, sizeof dir, "%s/lexdir", tmp);
    snprintf(bad, sizeof bad, "%s/igc-v6-lexicon.jsonl", dir);
    REQUIRE(mkdir(dir, 0700) == 0 && write_text(bad, text, n) == 0);
    free(text);
    const char *broken[] = {"lexicon", "check", bad, "--data", igc_test_data_dir(), NULL};
    CHECK_EQ_INT(run_igc(broken, out, err), 2);
    t = slurp(err, NULL);
    CHECK(t && strstr(t, "3번째 줄") && strstr(t, "99999"));
    free(t);
    /* the default file is the copy in --lexicon-dir */
    const char *dflt[] = {"lexicon", "check", "--lexicon-dir", dir, "--data", igc_test_data_dir(), NULL};
    CHECK_EQ_INT(run_igc(dflt, out, err), 2);
    const char *usage[] = {"lexicon", NULL};
    CHECK(run_igc(usage, out, err) != 0);
}

/* ---- issue 12: files from people (encodings, headers, quotes), the output, help ---- */

/* Runs igc classify on in (lexical engine, the test store) with out as --out and
 * extra arguments; stderr to err. */
static int classify_file(const char *in, const char *outp, const char *err, const char *const *extra) {
    const char *argv[32] = {"classify", "--in", in, "--out", outp, "--model", "none", "--params", "none",
                            "--db", db, "--data", igc_test_data_dir(), "--rules", IGC_TEST_SOURCE_DIR "/rules"};
    int n = 15;
    for (int i = 0; extra && extra[i] && n < 30; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    return run_igc(argv, NULL, err);
}

/* Writes the first n data rows of dev.csv to utf8 and the same rows converted to
 * CP949 (what Excel in Korean saves) to cp949; rows without a CP949 form are left
 * out of both. Returns the rows written, 0 on failure. */
static int write_cp949_pair(int n, const char *utf8, const char *cp949) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/labeled/dev.csv", igc_test_data_dir());
    size_t len;
    char *text = slurp(path, &len);
    iconv_t cd = iconv_open("CP949", "UTF-8");
    if (!text || cd == (iconv_t)-1) {
        free(text);
        return 0;
    }
    igc_buf u = {0}, c = {0};
    int rows = -1; /* the header is row -1 */
    for (char *line = text, *nl; line && *line && rows < n; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) + 1 : strlen(line);
        char outb[8192], *ip = line, *op = outb;
        size_t il = ll, ol = sizeof outb;
        iconv(cd, NULL, NULL, NULL, NULL);
        if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) continue; /* no CP949 form */
        igc_buf_append(&u, line, ll);
        igc_buf_append(&c, outb, sizeof outb - ol);
        rows++;
    }
    iconv_close(cd);
    free(text);
    int ok = rows > 0 && write_text(utf8, u.data, u.len) == 0 && write_text(cp949, c.data, c.len) == 0;
    /* the fixture must really be CP949, not UTF-8 */
    ok &= c.len && !igc_utf8_valid(c.data, c.len);
    igc_buf_free(&u);
    igc_buf_free(&c);
    return ok ? rows : 0;
}

static int file_has(const char *path, const char *s) {
    char *t = slurp(path, NULL);
    int yes = t && strstr(t, s) != NULL;
    free(t);
    return yes;
}

/* Classification on several threads writes exactly what one thread writes, in file
 * order, across batches (the input is longer than one batch of 512 rows). */
TEST(classify_threads_same_output) {
    REQUIRE(setup());
    char big[PATH_MAX + 16], o1[PATH_MAX + 16], o3[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(big, sizeof big, "%s/dev-big.csv", tmp);
    snprintf(o1, sizeof o1, "%s/big1.jsonl", tmp);
    snprintf(o3, sizeof o3, "%s/big3.jsonl", tmp);
    snprintf(err, sizeof err, "%s/big.err", tmp);
    size_t n;
    char *t = slurp(inbad, &n);
    REQUIRE(t);
    char *body = strchr(t, '\n');
    REQUIRE(body);
    body++;
    igc_buf b = {0};
    igc_buf_append(&b, t, (size_t)(body - t));
    for (int k = 0; k < 30; k++) igc_buf_puts(&b, body); /* 630 rows, 30 of them invalid */
    REQUIRE(write_text(big, b.data, b.len) == 0);
    igc_buf_free(&b);
    free(t);
    const char *one[] = {"--threads", "1", NULL}, *three[] = {"--threads", "3", NULL};
    CHECK_EQ_INT(classify_file(big, o1, err, one), 0);
    CHECK_EQ_INT(classify_file(big, o3, err, three), 0);
    CHECK(file_has(err, "3 threads"));
    size_t n1, n3;
    char *a = slurp(o1, &n1), *c = slurp(o3, &n3);
    REQUIRE(a && c);
    size_t lines = 0;
    for (size_t i = 0; i < n1; i++) lines += a[i] == '\n';
    CHECK_EQ_INT(lines, 30 * (NROWS + 1));
    CHECK(n1 == n3 && memcmp(a, c, n1) == 0);
    free(a), free(c);
}

/* A CP949 file gives the same answers as its UTF-8 original and says it was
 * converted; bytes that are neither are refused with their line. The same reader
 * serves history import and eval. */
TEST(classify_reads_cp949) {
    REQUIRE(setup());
    char u8[PATH_MAX + 16], k9[PATH_MAX + 16], ou[PATH_MAX + 16], ok[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(u8, sizeof u8, "%s/enc-utf8.csv", tmp);
    snprintf(k9, sizeof k9, "%s/enc-cp949.csv", tmp);
    snprintf(ou, sizeof ou, "%s/enc-utf8.jsonl", tmp);
    snprintf(ok, sizeof ok, "%s/enc-cp949.jsonl", tmp);
    snprintf(err, sizeof err, "%s/enc.err", tmp);
    int rows = write_cp949_pair(6, u8, k9);
    REQUIRE(rows >= 4);
    CHECK_EQ_INT(classify_file(u8, ou, err, NULL), 0);
    unlink(err);
    CHECK_EQ_INT(classify_file(k9, ok, err, NULL), 0);
    CHECK(file_has(err, "CP949"));
    char *a = slurp(ou, NULL), *b = slurp(ok, NULL);
    REQUIRE(a && b);
    CHECK(strcmp(a, b) == 0); /* same companies, same answers: no mojibake reached the engine */
    if (strcmp(a, b)) fprintf(stderr, "  utf-8:\n%.600s\n  cp949:\n%.600s\n", a, b);
    free(a);
    free(b);
    /* with a BOM, UTF-8 is read as is */
    size_t n;
    char *t = slurp(u8, &n), bom[PATH_MAX + 16], ob[PATH_MAX + 16];
    REQUIRE(t);
    snprintf(bom, sizeof bom, "%s/enc-bom.csv", tmp);
    snprintf(ob, sizeof ob, "%s/enc-bom.jsonl", tmp);
    igc_buf bb = {0};
    igc_buf_puts(&bb, "\xEF\xBB\xBF");
    igc_buf_append(&bb, t, n);
    REQUIRE(write_text(bom, bb.data, bb.len) == 0);
    igc_buf_free(&bb);
    unlink(err);
    CHECK_EQ_INT(classify_file(bom, ob, err, NULL), 0);
    CHECK(!file_has(err, "CP949"));
    a = slurp(ou, NULL), b = slurp(ob, NULL);
    CHECK(a && b && strcmp(a, b) == 0);
    free(a);
    free(b);
    free(t);
    /* a byte that is neither UTF-8 nor CP949 on the 4th line: refused, nothing written */
    t = slurp(k9, &n);
    REQUIRE(t);
    char *l4 = strchr(strchr(strchr(t, '\n') + 1, '\n') + 1, '\n') + 1;
    l4[strcspn(l4, ",")] = (char)0xFF;
    char badp[PATH_MAX + 16], badout[PATH_MAX + 16];
    snprintf(badp, sizeof badp, "%s/enc-bad.csv", tmp);
    snprintf(badout, sizeof badout, "%s/enc-bad.jsonl", tmp);
    REQUIRE(write_text(badp, t, n) == 0);
    free(t);
    unlink(err);
    CHECK_EQ_INT(classify_file(badp, badout, err, NULL), 2);
    CHECK(file_has(err, "4번째 줄") && file_has(err, "invalid_encoding"));
    struct stat st;
    CHECK(stat(badout, &st) != 0);
    /* history import and eval read it the same way */
    char hdb[PATH_MAX + 16], hout[PATH_MAX + 16];
    snprintf(hdb, sizeof hdb, "%s/enc-db", tmp);
    snprintf(hout, sizeof hout, "%s/enc-import.out", tmp);
    size_t imported[2] = {0, 1};
    for (int k = 0; k < 2; k++) { /* the UTF-8 file, then the CP949 one: the same rows */
        const char *imp[] = {"--db", hdb, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                             "history", "import", k ? k9 : u8, NULL};
        unlink(err), unlink(hout);
        CHECK_EQ_INT(run_igc(imp, hout, err), 0);
        t = slurp(hout, NULL);
        CHECK(t && sscanf(t, "imported %zu", &imported[k]) == 1);
        free(t);
    }
    CHECK(imported[0] == imported[1] && imported[1] > 0);
    CHECK(file_has(err, "CP949"));
    const char *bad_imp[] = {"--db", hdb, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                             "history", "import", badp, NULL};
    unlink(err);
    CHECK(run_igc(bad_imp, hout, err) != 0);
    CHECK(file_has(err, "4번째 줄"));
    char eout[PATH_MAX + 16];
    snprintf(eout, sizeof eout, "%s/enc-eval.json", tmp);
    const char *ev[] = {"eval", "--in", k9, "--no-history", "--json", "--model", "none", "--params", "none", "--db",
                        db, "--data", igc_test_data_dir(), "--rules", IGC_TEST_SOURCE_DIR "/rules", NULL};
    CHECK_EQ_INT(run_igc(ev, eout, err), 0);
    t = slurp(eout, NULL);
    cJSON *o = t ? cJSON_Parse(t) : NULL;
    CHECK(o && (int)jnum(o, "rows", -1) == rows);
    cJSON_Delete(o);
    free(t);
    const char *ev_bad[] = {"eval", "--in", badp, "--no-history", "--json", "--model", "none", "--params", "none",
                            "--db", db, "--data", igc_test_data_dir(), "--rules", IGC_TEST_SOURCE_DIR "/rules", NULL};
    unlink(err);
    CHECK_EQ_INT(run_igc(ev_bad, eout, err), 2);
    CHECK(file_has(err, "4번째 줄"));
}

/* Column names: unknown ones are reported with the expected list, the screen's
 * Korean labels are read, a file with none of them is refused. */
TEST(classify_columns) {
    REQUIRE(setup());
    char p[PATH_MAX + 16], o[PATH_MAX + 16], o2[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/cols.csv", tmp);
    snprintf(o, sizeof o, "%s/cols.jsonl", tmp);
    snprintf(o2, sizeof o2, "%s/cols-ko.jsonl", tmp);
    snprintf(err, sizeof err, "%s/cols.err", tmp);
    static const char row[] = "에이테크,,,28202,축전지 제조업,리튬이온 이차전지 양극재,전기차 배터리,양극재 개발,\n";
    /* misspelled: the product column is ignored, and the warning says so */
    igc_buf b = {0};
    igc_buf_puts(&b, "uid,company,brn,ceo,ksic_code,ksic_name,main_prodcut,product_use,tech_business_name,tech_class\n1,");
    igc_buf_puts(&b, row);
    REQUIRE(write_text(p, b.data, b.len) == 0);
    CHECK_EQ_INT(classify_file(p, o, err, NULL), 0);
    CHECK(file_has(err, "main_prodcut") && file_has(err, "main_product") && file_has(err, "기업명"));
    /* and the column the classification lacks is named: every row's 주요제품 is read as blank */
    CHECK(file_has(err, "columns missing, read as blank: 주요제품(main_product)"));
    /* the screen's labels (업종코드 as the screen writes it, with "(KSIC)"), no uid: rows named by line */
    b.len = 0;
    igc_buf_puts(&b, "기업명,사업자등록번호,대표자명,업종코드 (KSIC),업종명,주요제품,제품용도,기술사업명,기술분류\n");
    igc_buf_puts(&b, row);
    REQUIRE(write_text(p, b.data, b.len) == 0);
    unlink(err);
    CHECK_EQ_INT(classify_file(p, o2, err, NULL), 0);
    CHECK(!file_has(err, "unknown columns"));
    b.len = 0;
    igc_buf_puts(&b, "uid,company,brn,ceo,ksic_code,ksic_name,main_product,product_use,tech_business_name,tech_class\n2,");
    igc_buf_puts(&b, row);
    REQUIRE(write_text(p, b.data, b.len) == 0);
    CHECK_EQ_INT(classify_file(p, o, err, NULL), 0);
    char *ko = slurp(o2, NULL), *en = slurp(o, NULL);
    cJSON *jk = ko ? cJSON_Parse(ko) : NULL, *je = en ? cJSON_Parse(en) : NULL;
    CHECK(jk && je);
    CHECK_EQ_STR(jstr(jk, "uid"), "2");
    const cJSON *ik = cJSON_GetArrayItem(jget(jk, "items"), 0), *ie = cJSON_GetArrayItem(jget(je, "items"), 0);
    CHECK(ik && ie && jstr(ik, "code") && jstr(ie, "code") && strcmp(jstr(ik, "code"), jstr(ie, "code")) == 0);
    cJSON_Delete(jk);
    cJSON_Delete(je);
    free(ko);
    free(en);
    /* none of the expected columns: refused with the list, nothing written */
    b.len = 0;
    igc_buf_puts(&b, "name,product,code\n에이테크,양극재,28202\n");
    REQUIRE(write_text(p, b.data, b.len) == 0);
    char none_out[PATH_MAX + 16];
    snprintf(none_out, sizeof none_out, "%s/cols-none.jsonl", tmp);
    unlink(err);
    CHECK_EQ_INT(classify_file(p, none_out, err, NULL), 2);
    CHECK(file_has(err, "no_known_columns") && file_has(err, "main_product(주요제품)") && file_has(err, "tech_class"));
    struct stat st;
    CHECK(stat(none_out, &st) != 0);
    /* Excel's tab-separated text: said as such, not as unknown columns */
    b.len = 0;
    igc_buf_puts(&b, "기업명\t업종코드\t주요제품\n에이테크\t28202\t양극재\n");
    REQUIRE(write_text(p, b.data, b.len) == 0);
    unlink(err);
    CHECK_EQ_INT(classify_file(p, none_out, err, NULL), 2);
    CHECK(file_has(err, "tab_separated") && file_has(err, "쉼표"));
    /* an Excel workbook name is refused before anything is read (it got JSON lines); a folder
     * that is not there is said in Korean with a code */
    snprintf(none_out, sizeof none_out, "%s/result.xlsx", tmp);
    unlink(err);
    CHECK_EQ_INT(classify_file(in20, none_out, err, NULL), 2);
    CHECK(file_has(err, "unsupported_output") && stat(none_out, &st) != 0);
    char nodir[PATH_MAX + 32];
    snprintf(nodir, sizeof nodir, "%s/no-such-dir/result.csv", tmp);
    unlink(err);
    CHECK_EQ_INT(classify_file(in20, nodir, err, NULL), 2);
    CHECK(file_has(err, "cannot_write_output") && file_has(err, "폴더"));
    /* the output never replaces the input (the office worker's only copy of the 사업자등록번호) */
    char copy[PATH_MAX + 32];
    snprintf(copy, sizeof copy, "%s/same.csv", tmp);
    size_t inlen;
    char *intext = slurp(in20, &inlen);
    REQUIRE(intext && write_text(copy, intext, inlen) == 0);
    unlink(err);
    CHECK_EQ_INT(classify_file(copy, copy, err, NULL), 2);
    CHECK(file_has(err, "output_is_input"));
    size_t after;
    char *still = slurp(copy, &after);
    CHECK(still && after == inlen && memcmp(still, intext, inlen) == 0);
    free(still), free(intext);
    /* a workbook name is refused whatever --format says */
    const char *fmt[] = {"--format", "csv", NULL};
    snprintf(none_out, sizeof none_out, "%s/result2.xlsx", tmp);
    unlink(err);
    CHECK_EQ_INT(classify_file(in20, none_out, err, fmt), 2);
    CHECK(file_has(err, "unsupported_output"));
    /* an audit export from a store that is not there is an error, and makes no store */
    char nodb[PATH_MAX + 32];
    snprintf(nodb, sizeof nodb, "%s/no-such-store", tmp);
    const char *ex[] = {"--db", nodb, "audit", "export", NULL};
    unlink(err);
    CHECK_EQ_INT(run_igc(ex, NULL, err), 2);
    CHECK(file_has(err, "store_not_found") && stat(nodb, &st) != 0);
    igc_buf_free(&b);
}

/* A row whose technology fields hold only punctuation, or say nothing ("없음", a
 * number), is a row error (blank_field), as a blank one is, while the rows beside it
 * are classified; a placeholder beside a real description is no error. */
TEST(classify_punctuation_only_row) {
    REQUIRE(setup());
    char p[PATH_MAX + 16], o[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/dots.csv", tmp);
    snprintf(o, sizeof o, "%s/dots.jsonl", tmp);
    snprintf(err, sizeof err, "%s/dots.err", tmp);
    static const char csv[] = "uid,company,ksic_code,ksic_name,main_product,product_use,tech_business_name\n"
                              "d1,에이테크,28202,.,.,-,\xE2\x80\xA6\n"
                              "d2,비테크,28202,축전지 제조업,리튬이온 이차전지 양극재,,\n"
                              "d3,씨테크,28202,없음,N/A,1,미정\n"
                              "d4,디테크,28202,축전지 제조업,없음,없음,없음\n";
    REQUIRE(write_text(p, csv, sizeof csv - 1) == 0);
    CHECK_EQ_INT(classify_file(p, o, err, NULL), 0);
    char *txt = slurp(o, NULL);
    REQUIRE(txt);
    char *nl = strchr(txt, '\n');
    REQUIRE(nl);
    *nl = '\0';
    cJSON *d1 = cJSON_Parse(txt), *d2 = cJSON_Parse(nl + 1);
    CHECK(d1 && d2);
    CHECK_EQ_STR(jstr(jget(d1, "error"), "code"), "blank_field");
    CHECK(jget(d2, "items") && !jget(d2, "error"));
    cJSON_Delete(d1);
    cJSON_Delete(d2);
    char *l3 = strchr(nl + 1, '\n'), *l4 = l3 ? strchr(l3 + 1, '\n') : NULL;
    REQUIRE(l3 && l4);
    *l4 = '\0';
    cJSON *d3 = cJSON_Parse(l3 + 1), *d4 = cJSON_Parse(l4 + 1);
    CHECK(d3 && d4);
    CHECK_EQ_STR(jstr(jget(d3, "error"), "code"), "blank_field");
    CHECK(jget(d4, "items") && !jget(d4, "error"));
    cJSON_Delete(d3);
    cJSON_Delete(d4);
    free(txt);
}

/* A quote left open is reported with its line, and the output file of an earlier
 * run survives every failed run. */
TEST(classify_broken_quote_keeps_output) {
    REQUIRE(setup());
    char p[PATH_MAX + 16], o[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/quote.csv", tmp);
    snprintf(o, sizeof o, "%s/quote.jsonl", tmp);
    snprintf(err, sizeof err, "%s/quote.err", tmp);
    static const char prev[] = "{\"uid\":\"from an earlier run\"}\n";
    REQUIRE(write_text(o, prev, sizeof prev - 1) == 0);
    static const char text[] = "uid,company,ksic_code,main_product\n"
                               "1,에이테크,28202,리튬이온 이차전지 양극재\n"
                               "2,비테크,28202,\"리튬이온 이차전지, 양극재\n"
                               "3,씨테크,28202,이차전지 분리막\n";
    REQUIRE(write_text(p, text, sizeof text - 1) == 0);
    CHECK_EQ_INT(classify_file(p, o, err, NULL), 2);
    CHECK(file_has(err, "3번째 줄") && file_has(err, "malformed_csv"));
    CHECK(!file_has(err, "malformed document"));
    char *t = slurp(o, NULL);
    CHECK(t && strcmp(t, prev) == 0);
    free(t);
    /* an unquoted comma: more values than columns */
    static const char commas[] = "uid,company,ksic_code,main_product\n"
                                 "1,에이테크,28202,리튬이온 이차전지 양극재\n"
                                 "2,비테크,28202,리튬이온 이차전지, 양극재\n";
    REQUIRE(write_text(p, commas, sizeof commas - 1) == 0);
    unlink(err);
    CHECK_EQ_INT(classify_file(p, o, err, NULL), 2);
    CHECK(file_has(err, "3번째 줄") && file_has(err, "too_many_fields"));
    t = slurp(o, NULL);
    CHECK(t && strcmp(t, prev) == 0);
    free(t);
    /* nothing left behind beside it */
    char cmd_dir[PATH_MAX];
    snprintf(cmd_dir, sizeof cmd_dir, "%s", tmp);
    DIR *d = opendir(cmd_dir);
    int leftovers = 0;
    for (struct dirent *e; d && (e = readdir(d));) leftovers += strstr(e->d_name, "quote.jsonl.tmp") != NULL;
    if (d) closedir(d);
    CHECK_EQ_INT(leftovers, 0);
}

/* --format csv (or an .csv output): UTF-8 with a BOM for Excel, one company a
 * line with items, scores, reasons and versions; row errors in their own columns. */
TEST(classify_csv_output) {
    REQUIRE(setup());
    char o[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(o, sizeof o, "%s/result.csv", tmp);
    snprintf(err, sizeof err, "%s/csvout.err", tmp);
    CHECK_EQ_INT(classify_file(inbad, o, err, NULL), 0);
    size_t n;
    char *t = slurp(o, &n);
    REQUIRE(t && n > 3);
    CHECK(memcmp(t, "\xEF\xBB\xBF", 3) == 0);
    igc_csv *c;
    REQUIRE(igc_csv_open_mem(t, n, &c) == 0);
    char **f;
    size_t nf;
    REQUIRE(igc_csv_next(c, &f, &nf) == 1);
    const char *need[] = {"uid", "company", "applicable", "item1_code", "item1_name", "item1_score", "item3_score",
                          "reasons", "needs_review", "error_code", "taxonomy_version", "engine_version", "rules_version"};
    int ci[13];
    for (int i = 0; i < 13; i++) {
        ci[i] = igc_csv_col(c, need[i]);
        if (ci[i] < 0) fprintf(stderr, "  no column %s\n", need[i]);
        CHECK(ci[i] >= 0);
    }
    size_t width = nf;
    int lines = 0, good = 0, bad = 0;
    while (igc_csv_next(c, &f, &nf) == 1 && ci[0] >= 0 && ci[12] >= 0) {
        lines++;
        CHECK_EQ_INT((int)nf, (int)width);
        if (strcmp(f[ci[9]], "invalid_brn") == 0) {
            CHECK_EQ_STR(f[ci[0]], "BAD1");
            bad++;
            continue;
        }
        CHECK(f[ci[1]][0] != '\0');
        CHECK(strcmp(f[ci[2]], "true") == 0 || strcmp(f[ci[2]], "false") == 0);
        CHECK(f[ci[3]][0] && f[ci[4]][0]);
        double sc = strtod(f[ci[5]], NULL);
        CHECK(sc >= 0 && sc <= 1);
        CHECK(f[ci[10]][0] && f[ci[11]][0] && f[ci[12]][0]);
        good++;
    }
    igc_csv_close(c);
    free(t);
    CHECK_EQ_INT(lines, NROWS + 1);
    CHECK_EQ_INT(good, NROWS);
    CHECK_EQ_INT(bad, 1);
    /* --format wins over the name; an unknown format is a usage error */
    char oj[PATH_MAX + 16];
    snprintf(oj, sizeof oj, "%s/result-json.csv", tmp);
    const char *as_jsonl[] = {"--format", "jsonl", NULL};
    CHECK_EQ_INT(classify_file(in20, oj, err, as_jsonl), 0);
    t = slurp(oj, NULL);
    CHECK(t && t[0] == '{');
    free(t);
    const char *bogus[] = {"--format", "xlsx", NULL};
    CHECK_EQ_INT(classify_file(in20, oj, err, bogus), 2);
}

/* Help per command; igc rules test never counts -1 passed; the first build's
 * missing model is not an error. */
TEST(command_help_and_rules_count) {
    REQUIRE(setup());
    char out[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s/chelp.out", tmp);
    snprintf(err, sizeof err, "%s/chelp.err", tmp);
    const char *ch[] = {"classify", "--help", NULL};
    unlink(out);
    CHECK_EQ_INT(run_igc(ch, out, err), 0);
    CHECK(file_has(out, "--format") && file_has(out, "기업명") && file_has(out, "CP949"));
    CHECK(!file_has(out, "tune --history"));
    const char *he[] = {"help", "eval", NULL};
    unlink(out);
    CHECK_EQ_INT(run_igc(he, out, err), 0);
    CHECK(file_has(out, "--predictions") && !file_has(out, "classify --in"));
    const char *hh[] = {"help", "history", NULL};
    unlink(out);
    CHECK_EQ_INT(run_igc(hh, out, err), 0);
    CHECK(file_has(out, "history import"));
    const char *hx[] = {"help", "frobnicate", NULL};
    CHECK_EQ_INT(run_igc(hx, out, err), 2);
    /* rules that do not load: no test ran, and the count says so */
    char rdir[PATH_MAX + 16], rfile[PATH_MAX + 32];
    snprintf(rdir, sizeof rdir, "%s/badrules", tmp);
    snprintf(rfile, sizeof rfile, "%s/broken.lua", rdir);
    mkdir(rdir, 0700);
    REQUIRE(write_text(rfile, "this is not lua (\n", 18) == 0);
    const char *rt[] = {"rules", "test", rdir, NULL};
    unlink(out);
    CHECK_EQ_INT(run_igc(rt, out, err), 1);
    CHECK(!file_has(out, "-1 passed"));
    CHECK(file_has(out, "no test ran") && file_has(out, "규칙을 읽지 못해"));
    /* the same folder as programmes: it speaks of programmes, not rules */
    const char *pt[] = {"programmes", "test", rdir, NULL};
    unlink(out);
    CHECK_EQ_INT(run_igc(pt, out, err), 1);
    CHECK(file_has(out, "지원사업 파일을 읽지 못해") && !file_has(out, "규칙을 읽지 못해"));
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/no-such-rules", tmp);
    const char *rm[] = {"rules", "test", missing, NULL};
    unlink(out);
    CHECK_EQ_INT(run_igc(rm, out, err), 1);
    CHECK(!file_has(out, "-1 passed"));
    /* train --if-missing without a model: said calmly, no ERROR line about reading it */
    char empty[PATH_MAX + 16], model[PATH_MAX + 32];
    snprintf(empty, sizeof empty, "%s/emptydata", tmp);
    snprintf(model, sizeof model, "%s/nomodel/igc-embed.bin", tmp);
    mkdir(empty, 0700);
    const char *tr[] = {"train", "--if-missing", "--out", model, "--data", empty, NULL};
    unlink(err);
    run_igc(tr, out, err); /* fails later: the data directory is empty */
    CHECK(file_has(err, "no model at") && !file_has(err, "cannot read model"));
}

/* The past judgments' index clustering is kept beside the store: a start puts the
 * judgments in the saved lists instead of clustering them, with the same answers; a
 * damaged file is said, not used (the answers the same, from a fresh clustering) and
 * written again. Needs past judgments enough to re-cluster (15,360: past twice the
 * first training, into half as many lists again as its 64) and the trained model. */
TEST(index_centroids_kept) {
    REQUIRE(setup());
    const char *model = test_model_or_skip();
    if (!model) return;
    struct stat sb;
    char rows[PATH_MAX + 16], db2[PATH_MAX + 16], cent[PATH_MAX + 48], err[PATH_MAX + 16];
    char out[4][PATH_MAX + 16], errs[4][PATH_MAX + 16]; /* run_wait appends: a log per run */
    snprintf(rows, sizeof rows, "%s/hist8.csv", tmp);
    snprintf(db2, sizeof db2, "%s/db-cent", tmp);
    snprintf(cent, sizeof cent, "%s/index-centroids.bin", db2);
    snprintf(err, sizeof err, "%s/cent.err", tmp);
    for (int i = 0; i < 4; i++) {
        snprintf(out[i], sizeof out[i], "%s/cent%d.jsonl", tmp, i);
        snprintf(errs[i], sizeof errs[i], "%s/cent%d.err", tmp, i);
    }
    /* the history eight times over under new uids: 15,736 judgments */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/labeled/history.csv", igc_test_data_dir());
    igc_csv *c;
    REQUIRE(igc_csv_open(path, &c) == 0);
    char **f;
    size_t nf;
    REQUIRE(igc_csv_next(c, &f, &nf) == 1);
    int cu = igc_csv_col(c, "uid");
    REQUIRE(cu >= 0);
    igc_buf head = {0}, body = {0};
    for (size_t i = 0; i < nf; i++) igc_buf_puts(&head, i ? "," : ""), igc_csv_field(&head, f[i]);
    igc_buf_puts(&head, "\n");
    size_t n = 0;
    while (igc_csv_next(c, &f, &nf) == 1) {
        for (int k = 0; k < 8; k++) {
            char uid[96];
            snprintf(uid, sizeof uid, "%s-%d", f[cu], k);
            for (size_t i = 0; i < nf; i++) igc_buf_puts(&body, i ? "," : ""), igc_csv_field(&body, (int)i == cu ? uid : f[i]);
            igc_buf_puts(&body, "\n");
        }
        n++;
    }
    igc_csv_close(c);
    igc_buf_append(&head, body.data, body.len);
    REQUIRE(write_text(rows, head.data, head.len) == 0);
    igc_buf_free(&head), igc_buf_free(&body);
    CHECK(n * 8 > 15360);
    const char *imp[] = {"history", "import", rows, "--db", db2, "--model", model, "--params", "none",
                         "--data", igc_test_data_dir(), NULL};
    REQUIRE(run_igc(imp, NULL, err) == 0);
    CHECK(file_has(err, "re-clustered")); /* the import's clustering, kept */
    CHECK(stat(cent, &sb) == 0 && sb.st_size > 1000);
    const char *cls[] = {"classify", "--in", in20, "--out", NULL, "--db", db2, "--model", model, "--params", "none",
                         "--data", igc_test_data_dir(), "--rules", IGC_TEST_SOURCE_DIR "/rules", "--log-level", "1", NULL};
    for (int i = 0; i < 2; i++) {
        cls[4] = out[i];
        REQUIRE(run_igc(cls, NULL, errs[i]) == 0);
        CHECK(file_has(errs[i], "saved lists"));
        CHECK(!file_has(errs[i], "re-clustered"));
    }
    /* a byte of the centroids changed: refused, clustered again, written again */
    size_t len;
    char *t = slurp(cent, &len);
    REQUIRE(t && len > 1000);
    t[len / 2] ^= 0x40;
    REQUIRE(write_text(cent, t, len) == 0);
    free(t);
    cls[4] = out[2];
    REQUIRE(run_igc(cls, NULL, errs[2]) == 0);
    CHECK(file_has(errs[2], "not used"));
    CHECK(file_has(errs[2], "re-clustered"));
    cls[4] = out[3];
    REQUIRE(run_igc(cls, NULL, errs[3]) == 0);
    CHECK(file_has(errs[3], "saved lists"));
    size_t n0;
    char *a = slurp(out[0], &n0);
    REQUIRE(a && n0 > 0);
    for (int i = 1; i < 4; i++) {
        size_t ni;
        char *b = slurp(out[i], &ni);
        CHECK(b && ni == n0 && memcmp(a, b, n0) == 0);
        free(b);
    }
    free(a);
    /* a store smaller than the one the file was made for (a backup put back, say):
     * not used, said without a warning, and removed (this store has no re-clustering of
     * its own to keep: its first lists are trained at each start as before) */
    char db3[PATH_MAX + 16], cent3[PATH_MAX + 48], err3[PATH_MAX + 16], half[PATH_MAX + 16];
    snprintf(db3, sizeof db3, "%s/db-cent3", tmp);
    snprintf(cent3, sizeof cent3, "%s/index-centroids.bin", db3);
    snprintf(err3, sizeof err3, "%s/cent-small.err", tmp);
    snprintf(half, sizeof half, "%s/hist-half.csv", tmp);
    t = slurp(rows, &len);
    REQUIRE(t);
    size_t cut = 0;
    for (size_t i = 0, lines = 0; i < len && !cut; i++)
        if (t[i] == '\n' && ++lines == 1 + 9000) cut = i + 1; /* the header and 9,000 judgments */
    REQUIRE(cut && write_text(half, t, cut) == 0);
    free(t);
    imp[2] = half, imp[4] = db3;
    REQUIRE(run_igc(imp, NULL, err3) == 0);
    CHECK(stat(cent3, &sb) != 0); /* 9,000: no re-clustering, nothing kept */
    t = slurp(cent, &len);
    REQUIRE(t && write_text(cent3, t, len) == 0);
    free(t);
    cls[4] = out[0], cls[6] = db3;
    REQUIRE(run_igc(cls, NULL, err3) == 0);
    CHECK(file_has(err3, "info  index: ") && file_has(err3, "not used"));
    CHECK(!file_has(err3, "warn  index: "));
    CHECK(stat(cent3, &sb) != 0);
}

/* igcd on a store without past judgments: a WARN line at start naming the import,
 * and GET /api/v1/status warnings, gone once history arrives. */
TEST(igcd_warns_without_history) {
    REQUIRE(setup());
    char sdb[PATH_MAX], log[PATH_MAX];
    snprintf(sdb, sizeof sdb, "%.3000s/empty-db", tmp);
    snprintf(log, sizeof log, "%.3000s/empty-igcd.log", tmp);
    igcd_proc p;
    REQUIRE(igcd_start(&p, sdb, log) == 0);
    int status;
    cJSON *s = http_get_json(p.port, "/api/v1/status", &status);
    CHECK_EQ_INT(status, 200);
    const cJSON *w = jget(s, "warnings");
    CHECK(cJSON_IsArray(w) && cJSON_GetArraySize(w) == 1);
    const cJSON *w0 = cJSON_GetArrayItem(w, 0);
    CHECK_EQ_STR(jstr(w0, "code"), "no_past_judgments");
    CHECK(jstr(w0, "message") && strstr(jstr(w0, "message"), "history import"));
    cJSON_Delete(s);
    char *t = slurp(log, NULL);
    CHECK(t && strstr(t, "warn  NO PAST JUDGMENTS") && strstr(t, "history import"));
    free(t);
    /* history imported while it runs: the warning goes */
    const char *imp[] = {"--db", sdb, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                         "history", "import", in20, NULL};
    char out[PATH_MAX + 32], err[PATH_MAX + 32];
    snprintf(out, sizeof out, "%s/empty-import.out", tmp);
    snprintf(err, sizeof err, "%s/empty-import.err", tmp);
    CHECK_EQ_INT(run_igc(imp, out, err), 0);
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        s = http_get_json(p.port, "/api/v1/status", &status);
        gone = cJSON_GetArraySize(jget(s, "warnings")) == 0 && cJSON_IsArray(jget(s, "warnings"));
        cJSON_Delete(s);
        if (!gone) sleep_ms(50);
    }
    CHECK(gone);
    CHECK_EQ_INT(igcd_term(&p, 10000), 0);
    /* the import is in the audit log, with the file and the count */
    const char *ex[] = {"--db", sdb, "audit", "export", NULL};
    CHECK_EQ_INT(run_igc(ex, out, err), 0);
    t = slurp(out, NULL);
    CHECK(t && strstr(t, "\"action\":\"history.import\"") && strstr(t, "\"imported\":"));
    free(t);
    /* a batch run on the service's store with other rules than the service's says so; with the
     * same rules it does not */
    char other[PATH_MAX + 32], cmd[3 * PATH_MAX];
    snprintf(other, sizeof other, "%s/rules-other", tmp);
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s' && echo '-- 고친 규칙' >> '%s/generic_supplier.lua'",
             IGC_TEST_SOURCE_DIR "/rules", other, other);
    REQUIRE(system(cmd) == 0);
    for (int same = 0; same < 2; same++) {
        const char *cl[] = {"--db", sdb, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                            "--rules", same ? IGC_TEST_SOURCE_DIR "/rules" : other, "classify", "--in", in20, "--out",
                            out, NULL};
        unlink(err);
        CHECK_EQ_INT(run_igc(cl, NULL, err), 0);
        CHECK(file_has(err, "policy_mismatch") == !same);
    }
}

/* A batch run in a folder without a store (an office worker's documents) writes only its
 * output: no store, no dictionary copy appear there, and it says that it ran without
 * past judgments (it created ./var/db and ./var/lexicon and said nothing). */
TEST(classify_without_a_store_writes_nothing_else) {
    REQUIRE(setup());
    char dir[PATH_MAX + 16], out[PATH_MAX + 32], err[PATH_MAX + 32], var[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/docs", tmp);
    REQUIRE(mkdir(dir, 0700) == 0);
    snprintf(out, sizeof out, "%s/result.jsonl", dir);
    snprintf(err, sizeof err, "%s/nostore.err", tmp);
    snprintf(var, sizeof var, "%s/var", dir);
    const char *argv[] = {IGC_BIN, "classify", "--in", in20, "--out", out, "--model", "none", "--params", "none",
                          "--data", igc_test_data_dir(), "--rules", IGC_TEST_SOURCE_DIR "/rules", NULL};
    CHECK_EQ_INT(run_wait((char *const *)argv, dir, NULL, err), 0);
    struct stat sb;
    CHECK(stat(out, &sb) == 0);
    CHECK(stat(var, &sb) != 0);
    CHECK(file_has(err, "no_past_judgments"));
}

/* The staff's dictionary copy is found beside the store, wherever igc runs from: on
 * the service's store, igc reads the service's dictionary (it used ./var/lexicon of
 * the current folder, a stray copy with other terms). */
TEST(lexicon_dir_beside_the_store) {
    REQUIRE(setup());
    char sdb[PATH_MAX + 32], lex[PATH_MAX + 64], stray[PATH_MAX + 64], out[PATH_MAX + 32], err[PATH_MAX + 32];
    snprintf(sdb, sizeof sdb, "%s/srv/var/db", tmp);
    snprintf(lex, sizeof lex, "%s/srv/var/lexicon/igc-v6-lexicon.jsonl", tmp);
    snprintf(stray, sizeof stray, "%s/var/lexicon", tmp);
    snprintf(out, sizeof out, "%s/beside.out", tmp);
    snprintf(err, sizeof err, "%s/beside.err", tmp);
    struct stat sb;
    int had_stray = stat(stray, &sb) == 0;
    const char *imp[] = {"--db", sdb, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                         "history", "import", in20, NULL};
    CHECK_EQ_INT(run_igc(imp, out, err), 0); /* run from tmp, not from srv/ */
    CHECK(stat(lex, &sb) == 0);
    CHECK(had_stray || stat(stray, &sb) != 0);
}

/* scripts/run.sh while the port is taken: says so and stops before installing or
 * building anything (its install and build steps are stubs here). */
TEST(run_sh_port_busy) {
    REQUIRE(setup());
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    REQUIRE(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 4) == 0 &&
            getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    char dir[PATH_MAX + 16], script[PATH_MAX + 32], stub[PATH_MAX + 48], listen_at[64], out[PATH_MAX + 16],
        err[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/runsh/scripts", tmp);
    snprintf(script, sizeof script, "%s/run.sh", dir);
    snprintf(out, sizeof out, "%s/runsh.out", tmp);
    snprintf(err, sizeof err, "%s/runsh.err", tmp);
    snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", ntohs(sa.sin_port));
    snprintf(stub, sizeof stub, "%s/runsh", tmp);
    mkdir(stub, 0700);
    mkdir(dir, 0700);
    size_t n;
    char *text = slurp(IGC_TEST_SOURCE_DIR "/scripts/run.sh", &n);
    REQUIRE(text && write_text(script, text, n) == 0);
    free(text);
    static const char stub_text[] = "#!/bin/sh\necho 'stub ran' >&2\nexit 0\n";
    const char *stubs[] = {"install-deps.sh", "build.sh"};
    for (int i = 0; i < 2; i++) {
        snprintf(stub, sizeof stub, "%s/%s", dir, stubs[i]);
        REQUIRE(write_text(stub, stub_text, sizeof stub_text - 1) == 0 && chmod(stub, 0700) == 0);
    }
    /* the build's igcd is a stub too: if the check is missing it "starts" and exits */
    char fake_build[PATH_MAX + 16], fake_app[PATH_MAX + 48], bin[PATH_MAX + 64];
    snprintf(fake_build, sizeof fake_build, "%s/runsh/build", tmp);
    snprintf(fake_app, sizeof fake_app, "%s/core", fake_build);
    mkdir(fake_build, 0700), mkdir(fake_app, 0700);
    snprintf(fake_app, sizeof fake_app, "%s/core/app", fake_build);
    mkdir(fake_app, 0700);
    const char *bins[] = {"igc", "igcd"};
    for (int i = 0; i < 2; i++) {
        snprintf(bin, sizeof bin, "%s/%s", fake_app, bins[i]);
        REQUIRE(write_text(bin, stub_text, sizeof stub_text - 1) == 0 && chmod(bin, 0700) == 0);
    }
    /* both spellings of the option */
    char eq[80];
    snprintf(eq, sizeof eq, "--listen=%s", listen_at);
    const char *argv[] = {"/bin/bash", script, "--listen", listen_at, NULL};
    for (int k = 0; k < 2; k++) {
        if (k) argv[2] = eq, argv[3] = NULL;
        unlink(err);
        CHECK_EQ_INT(run_wait((char *const *)argv, tmp, out, err), 1);
        CHECK(file_has(err, "port busy") && file_has(err, listen_at));
        CHECK(!file_has(err, "stub ran"));
    }
    close(fd);
}

/* ---- answers of another system, labels of past judgments, options, messages ---- */

/* Writes one line per row of in20 whose uid is not skip (NULL: none): the answer
 * its labels give (applicable with label1, else not), so that every metric is 1. */
static int write_true_predictions(const char *path, const char *skip) {
    igc_csv *c;
    if (igc_csv_open(in20, &c)) return -1;
    char **f;
    size_t nf;
    int ok = igc_csv_next(c, &f, &nf) == 1;
    int cu = igc_csv_col(c, "uid"), cl = igc_csv_col(c, "label1");
    ok &= cu >= 0 && cl >= 0;
    igc_buf b = {0};
    while (ok && igc_csv_next(c, &f, &nf) == 1) {
        if (skip && strcmp(f[cu], skip) == 0) continue;
        cJSON *o = cJSON_CreateObject(), *items = cJSON_CreateArray();
        cJSON_AddStringToObject(o, "uid", f[cu]);
        cJSON_AddBoolToObject(o, "applicable", f[cl][0] != '\0');
        if (f[cl][0]) cJSON_AddItemToArray(items, cJSON_CreateString(f[cl]));
        cJSON_AddItemToObject(o, "items", items);
        char *t = cJSON_PrintUnformatted(o);
        igc_buf_puts(&b, t);
        igc_buf_puts(&b, "\n");
        free(t);
        cJSON_Delete(o);
    }
    igc_csv_close(c);
    ok &= b.len > 0 && write_text(path, b.data, b.len) == 0;
    igc_buf_free(&b);
    return ok ? 0 : -1;
}

/* igc eval --predictions on in20 (no history): exit status, stdout to out, stderr to err. */
static int eval_predictions(const char *pred, const char *out, const char *err) {
    const char *args[] = {"eval", "--in", in20, "--predictions", pred, "--no-history", "--json", "--model", "none",
                          "--params", "none", "--db", db, "--data", igc_test_data_dir(), "--rules",
                          IGC_TEST_SOURCE_DIR "/rules", NULL};
    unlink(out), unlink(err);
    return run_igc(args, out, err);
}

/* Another system's answers are scored only when every line is one object with the
 * documented members and every row of the input has its answer; anything else is
 * refused with its line and a stable code, and no metric is printed. */
TEST(eval_predictions_checked) {
    REQUIRE(setup());
    char p[PATH_MAX + 16], out[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/pred.jsonl", tmp);
    snprintf(out, sizeof out, "%s/pred.out", tmp);
    snprintf(err, sizeof err, "%s/pred.err", tmp);
    /* the labels themselves as answers: every metric is 1 */
    REQUIRE(write_true_predictions(p, NULL) == 0);
    int rc = eval_predictions(p, out, err);
    CHECK_EQ_INT(rc, 0);
    if (rc) dump(err);
    char *t = slurp(out, NULL);
    cJSON *o = t ? cJSON_Parse(t) : NULL;
    CHECK(o && (int)jnum(o, "rows", -1) == NROWS);
    CHECK(o && jnum(o, "accuracy", -1) > 0.999 && jnum(o, "top1", -1) > 0.999);
    cJSON_Delete(o);
    free(t);
    /* one row without its answer: refused, naming it, not counted as "not applicable" */
    REQUIRE(write_true_predictions(p, uids[3]) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "missing_predictions") && file_has(err, uids[3]));
    CHECK(!file_has(out, "accuracy"));
    /* answers for other companies only */
    static const char other[] = "{\"uid\":\"NOPE1\",\"applicable\":true,\"items\":[\"F10001\"]}\n"
                                "{\"uid\":\"NOPE2\",\"applicable\":false,\"items\":[]}\n";
    REQUIRE(write_text(p, other, sizeof other - 1) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "missing_predictions"));
    CHECK(!file_has(out, "accuracy"));
    /* wrong types on the second line */
    igc_buf b = {0};
    igc_buf_printf(&b, "{\"uid\":\"%s\",\"applicable\":false,\"items\":[]}\n", uids[0]);
    igc_buf_printf(&b, "{\"uid\":\"%s\",\"applicable\":\"yes\",\"items\":\"x\"}\n", uids[1]);
    REQUIRE(write_text(p, b.data, b.len) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "2번째 줄") && file_has(err, "invalid_type") && file_has(err, "applicable"));
    CHECK(!file_has(out, "accuracy"));
    /* items that are not codes */
    b.len = 0;
    igc_buf_printf(&b, "{\"uid\":\"%s\",\"applicable\":true,\"items\":[1,2]}\n", uids[0]);
    REQUIRE(write_text(p, b.data, b.len) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "1번째 줄") && file_has(err, "invalid_type") && file_has(err, "items"));
    /* a uid missing, a line that is not an object, a uid twice */
    b.len = 0;
    igc_buf_printf(&b, "{\"applicable\":true,\"items\":[]}\n");
    REQUIRE(write_text(p, b.data, b.len) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "1번째 줄") && file_has(err, "missing_field") && file_has(err, "uid"));
    b.len = 0;
    igc_buf_printf(&b, "{\"uid\":\"%s\",\"applicable\":false,\"items\":[]}\n\n[1,2,3]\n", uids[0]);
    REQUIRE(write_text(p, b.data, b.len) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "3번째 줄") && file_has(err, "invalid_json"));
    b.len = 0;
    igc_buf_printf(&b, "{\"uid\":\"%s\",\"applicable\":false,\"items\":[]}\n", uids[0]);
    igc_buf_printf(&b, "{\"uid\":\"%s\",\"applicable\":true,\"items\":[]}\n", uids[0]);
    REQUIRE(write_text(p, b.data, b.len) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "2번째 줄") && file_has(err, "duplicate_uid"));
    igc_buf_free(&b);
    /* an empty file, and 4 KB of random bytes */
    REQUIRE(write_text(p, "", 0) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "empty_file"));
    CHECK(!file_has(out, "accuracy"));
    char rnd[4096];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof rnd; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        rnd[i] = (char)(x >> 24);
    }
    REQUIRE(write_text(p, rnd, sizeof rnd) == 0);
    CHECK_EQ_INT(eval_predictions(p, out, err), 2);
    CHECK(file_has(err, "번째 줄") && (file_has(err, "invalid_json") || file_has(err, "invalid_encoding")));
    CHECK(!file_has(out, "accuracy"));
}

/* Writes the header and rows of in20 to path, with column col of data row row (0-based)
 * set to v, and column col2 of that row to v2 when col2 is not NULL. */
static int write_history_variant(const char *path, int row, const char *col, const char *v, const char *col2,
                                 const char *v2) {
    igc_csv *c;
    if (igc_csv_open(in20, &c)) return -1;
    char **f;
    size_t nf;
    int ok = igc_csv_next(c, &f, &nf) == 1;
    int ci = igc_csv_col(c, col), ci2 = col2 ? igc_csv_col(c, col2) : -1;
    ok &= ci >= 0 && (!col2 || ci2 >= 0);
    igc_buf b = {0};
    for (int r = -1; ok; r++) {
        if (r >= 0 && igc_csv_next(c, &f, &nf) != 1) break;
        for (size_t i = 0; i < nf; i++) {
            const char *val = f[i];
            if (r == row && (int)i == ci) val = v;
            if (r == row && (int)i == ci2) val = v2;
            igc_buf_puts(&b, i ? "," : ""), igc_csv_field(&b, val);
        }
        igc_buf_puts(&b, "\n");
    }
    igc_csv_close(c);
    ok &= write_text(path, b.data, b.len) == 0;
    igc_buf_free(&b);
    return ok ? 0 : -1;
}

/* igc history import FILE into the store dir: exit status, stdout to out, stderr to err. */
static int history_import(const char *dir, const char *file, const char *out, const char *err) {
    const char *args[] = {"--db", dir, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                          "history", "import", file, NULL};
    unlink(out), unlink(err);
    return run_igc(args, out, err);
}

/* Exemplars in the store dir, as igc history stats counts them; -1 when it fails. */
static long store_exemplars(const char *dir, const char *out, const char *err) {
    const char *args[] = {"--db", dir, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                          "history", "stats", NULL};
    long n = -1;
    unlink(out);
    if (run_igc(args, out, err) != 0) return -1;
    char *t = slurp(out, NULL);
    if (!t || sscanf(t, "exemplars %ld", &n) != 1) n = -1;
    free(t);
    return n;
}

/* Labels the API would refuse are refused by history import too, with the file's line
 * and the API's code, and nothing of the file is stored; the shared history file still
 * imports every row. */
TEST(history_import_refuses_bad_labels) {
    REQUIRE(setup());
    char h[PATH_MAX + 16], hdb[PATH_MAX + 16], out[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(h, sizeof h, "%s/hist-bad.csv", tmp);
    snprintf(hdb, sizeof hdb, "%s/hist-bad-db", tmp);
    snprintf(out, sizeof out, "%s/hist-bad.out", tmp);
    snprintf(err, sizeof err, "%s/hist-bad.err", tmp);
    static const struct {
        const char *col, *v, *col2, *v2, *code;
    } bad[] = {
        {"none_reason", "bogus", "label1", "", "invalid_none_reason"},
        {"label1", "F10001", "none_reason", "not_innovation", "invalid_none_reason"},
        {"confidence", "sure", NULL, NULL, "invalid_confidence"},
        {"label1", "Z99999", "none_reason", "", "unknown_item"},
        {"label2", "F1000", NULL, NULL, "unknown_item"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        /* data row 4 is the file's 6th line (header, then rows 0..) */
        REQUIRE(write_history_variant(h, 4, bad[k].col, bad[k].v, bad[k].col2, bad[k].v2) == 0);
        int rc = history_import(hdb, h, out, err);
        CHECK_EQ_INT(rc, 2);
        CHECK(file_has(err, "6번째 줄") && file_has(err, bad[k].code) && file_has(err, bad[k].v));
        if (!file_has(err, bad[k].code)) dump(err);
        CHECK(!file_has(out, "imported"));
        CHECK_EQ_INT(store_exemplars(hdb, out, err), 0);
    }
    /* the same file without the bad value imports every row */
    REQUIRE(write_history_variant(h, 4, "uid", uids[4], NULL, NULL) == 0);
    CHECK_EQ_INT(history_import(hdb, h, out, err), 0);
    CHECK(file_has(out, "imported 20 past judgments"));
    CHECK_EQ_INT(store_exemplars(hdb, out, err), NROWS);
    /* the shared history file: every row */
    char full[PATH_MAX], fdb[PATH_MAX + 16];
    snprintf(full, sizeof full, "%s/labeled/history.csv", igc_test_data_dir());
    snprintf(fdb, sizeof fdb, "%s/hist-full-db", tmp);
    igc_csv *c;
    REQUIRE(igc_csv_open(full, &c) == 0);
    char **f;
    size_t nf, rows = 0;
    while (igc_csv_next(c, &f, &nf) == 1) rows++;
    igc_csv_close(c);
    REQUIRE(rows > 1);
    rows--; /* the header */
    CHECK_EQ_INT(history_import(fdb, full, out, err), 0);
    size_t n = 0, skipped = 1;
    char *t = slurp(out, NULL);
    CHECK(t && sscanf(t, "imported %zu past judgments from %*s (%zu rows skipped", &n, &skipped) == 2);
    free(t);
    CHECK_EQ_INT(n, rows);
    CHECK_EQ_INT(skipped, 0);
}

/* --threads takes a whole number of at least 1; anything else is refused before
 * anything is read or written. */
TEST(classify_threads_refused) {
    REQUIRE(setup());
    char o[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(o, sizeof o, "%s/threads.jsonl", tmp);
    snprintf(err, sizeof err, "%s/threads.err", tmp);
    const char *vals[] = {"abc", "0", "-2", "3x", ""};
    for (size_t k = 0; k < sizeof vals / sizeof *vals; k++) {
        const char *extra[] = {"--threads", vals[k], NULL};
        unlink(err);
        CHECK_EQ_INT(classify_file(in20, o, err, extra), 2);
        CHECK(file_has(err, "--threads") && file_has(err, "정수"));
        struct stat st;
        CHECK(stat(o, &st) != 0);
    }
    const char *two[] = {"--threads", "2", NULL};
    CHECK_EQ_INT(classify_file(in20, o, err, two), 0);
    CHECK(file_has(err, "2 threads"));
}

/* What the user reads when a file is refused: one Korean message with its code, no
 * English or generic line after it. */
TEST(cli_refusals_in_korean) {
    REQUIRE(setup());
    char p[PATH_MAX + 16], hdb[PATH_MAX + 16], out[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/nolabel.csv", tmp);
    snprintf(hdb, sizeof hdb, "%s/msg-db", tmp);
    snprintf(out, sizeof out, "%s/msg.out", tmp);
    snprintf(err, sizeof err, "%s/msg.err", tmp);
    static const char nolabel[] = "uid,company,ksic_code,main_product\n1,에이테크,28202,리튬이온 이차전지 양극재\n";
    REQUIRE(write_text(p, nolabel, sizeof nolabel - 1) == 0);
    CHECK_EQ_INT(history_import(hdb, p, out, err), 2);
    CHECK(file_has(err, "missing_label1") && file_has(err, "label1 열"));
    CHECK(!file_has(err, "needs at least") && !file_has(err, "malformed document") && !file_has(err, "import failed"));
    static const char notutf8[] = "uid,company,ksic_code,main_product,label1\n1,\xFF\xFF,28202,양극재,F10001\n";
    REQUIRE(write_text(p, notutf8, sizeof notutf8 - 1) == 0);
    CHECK_EQ_INT(history_import(hdb, p, out, err), 2);
    CHECK(file_has(err, "2번째 줄") && file_has(err, "invalid_encoding"));
    CHECK(!file_has(err, "invalid UTF-8") && !file_has(err, "import failed"));
    /* eval --history reads the file the same way */
    const char *ev[] = {"eval", "--in", in20, "--history", p, "--json", "--model", "none", "--params", "none",
                        "--db", db, "--data", igc_test_data_dir(), "--rules", IGC_TEST_SOURCE_DIR "/rules", NULL};
    unlink(err);
    CHECK_EQ_INT(run_igc(ev, out, err), 2);
    CHECK(file_has(err, "2번째 줄") && file_has(err, "invalid_encoding") && !file_has(err, "cannot load history"));
    /* a revision file that is not UTF-8: its line, in Korean */
    char src[PATH_MAX], cw[PATH_MAX], rev[PATH_MAX + 16];
    snprintf(src, sizeof src, "%s/taxonomy/igc-v7-draft.json", igc_test_data_dir());
    snprintf(cw, sizeof cw, "%s/taxonomy/crosswalk-v6-v7.csv", igc_test_data_dir());
    snprintf(rev, sizeof rev, "%s/v7-latin1.json", tmp);
    size_t n;
    char *t = slurp(src, &n);
    REQUIRE(t && n > 100);
    char *l3 = strchr(strchr(t, '\n') + 1, '\n') + 1;
    char *q = strchr(l3, '"');
    REQUIRE(q && q[1] != '\n');
    q[1] = (char)0xE9; /* Latin-1 é */
    REQUIRE(write_text(rev, t, n) == 0);
    free(t);
    const char *tc[] = {"--db", hdb, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                        "--rules", IGC_TEST_SOURCE_DIR "/rules", "taxonomy", "check", rev, "--crosswalk", cw, NULL};
    unlink(out), unlink(err);
    CHECK_EQ_INT(run_igc(tc, out, err), 1);
    CHECK(file_has(out, "3번째 줄") && file_has(out, "invalid_encoding") && file_has(out, "UTF-8"));
    CHECK(!file_has(out, "file is not valid UTF-8") && !file_has(err, "file is not valid UTF-8"));
    const char *tj[] = {"--db", hdb, "--data", igc_test_data_dir(), "--model", "none", "--params", "none", "--rules",
                        IGC_TEST_SOURCE_DIR "/rules", "taxonomy", "check", rev, "--crosswalk", cw, "--json", NULL};
    unlink(out);
    CHECK_EQ_INT(run_igc(tj, out, err), 1);
    t = slurp(out, NULL);
    cJSON *o = t ? cJSON_Parse(t) : NULL;
    const char *te = jstr(jget(o, "taxonomy"), "error");
    CHECK(te && strstr(te, "invalid_encoding") && !strstr(te, "file is not valid"));
    cJSON_Delete(o);
    free(t);
    /* a user name in Hangul (names are ASCII): said in Korean, with the rule */
    const char *ua[] = {"--db", hdb, "users", "add", "김심사", "--role", "examiner", NULL};
    unlink(out), unlink(err);
    CHECK_EQ_INT(run_igc(ua, out, err), 2);
    CHECK(file_has(err, "사용자 이름은") && file_has(err, "김심사"));
    const char *ub[] = {"--db", hdb, "users", "add", "kim", "--role", "boss", NULL};
    unlink(err);
    CHECK_EQ_INT(run_igc(ub, out, err), 2);
    CHECK(file_has(err, "심사역") && file_has(err, "boss"));
}

/* cmake --install puts igc and igcd in <prefix>/bin, and they run from there. */
TEST(install_target) {
    REQUIRE(setup());
    char prefix[PATH_MAX + 16], bin[PATH_MAX + 32], out[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(prefix, sizeof prefix, "%s/prefix", tmp);
    snprintf(out, sizeof out, "%s/install.out", tmp);
    snprintf(err, sizeof err, "%s/install.err", tmp);
    const char *argv[] = {IGC_CMAKE, "--install", IGC_TEST_BINARY_DIR, "--prefix", prefix, NULL};
    int rc = run_wait((char *const *)argv, tmp, out, err);
    CHECK_EQ_INT(rc, 0);
    if (rc) dump(err);
    const char *names[] = {"igc", "igcd"};
    for (int i = 0; i < 2; i++) {
        snprintf(bin, sizeof bin, "%s/bin/%s", prefix, names[i]);
        CHECK(access(bin, X_OK) == 0);
        const char *help[] = {bin, "--help", NULL};
        CHECK_EQ_INT(run_wait((char *const *)help, tmp, out, err), 0);
    }
}

IGC_TEST_MAIN(TEST_ENTRY(classify_batch), TEST_ENTRY(classify_threads_same_output), TEST_ENTRY(eval_metrics), TEST_ENTRY(tune_fits_parameters),
              TEST_ENTRY(tune_chooses_review_operating_point), TEST_ENTRY(help_and_errors), TEST_ENTRY(lexicon_check),
              TEST_ENTRY(classify_reads_cp949), TEST_ENTRY(classify_columns), TEST_ENTRY(classify_punctuation_only_row), TEST_ENTRY(lexicon_dir_beside_the_store), TEST_ENTRY(classify_without_a_store_writes_nothing_else), TEST_ENTRY(classify_broken_quote_keeps_output),
              TEST_ENTRY(classify_csv_output), TEST_ENTRY(command_help_and_rules_count), TEST_ENTRY(igcd_warns_without_history),
              TEST_ENTRY(run_sh_port_busy), TEST_ENTRY(install_target), TEST_ENTRY(index_centroids_kept),
              TEST_ENTRY(eval_predictions_checked), TEST_ENTRY(history_import_refuses_bad_labels),
              TEST_ENTRY(classify_threads_refused), TEST_ENTRY(cli_refusals_in_korean))
