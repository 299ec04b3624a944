#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_eval.h"
#include "igc_test.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-9)
#define CHECK_NEAR(a, b)                                                                          \
    do {                                                                                          \
        double x_ = (a), y_ = (b);                                                                \
        if (!NEAR(x_, y_)) fprintf(stderr, "  %s = %.6f, want %.6f\n", #a, x_, y_);               \
        CHECK(NEAR(x_, y_));                                                                      \
    } while (0)

/* Adds a row: l1..l3 labels (NULL for none), applicable flag, up to three predictions. */
static int add(igc_eval *ev, const char *l1, const char *l2, const char *l3, int applicable, const char *p1,
               const char *p2, const char *p3) {
    const char *labels[3] = {l1, l2, l3};
    const char *pred[3] = {p1, p2, p3};
    size_t n = p3 ? 3 : p2 ? 2 : p1 ? 1 : 0;
    return igc_eval_add(ev, labels, applicable, pred, n);
}

TEST(empty_set_is_all_zero) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    igc_eval_metrics m;
    memset(&m, 0x7F, sizeof m);
    igc_eval_compute(ev, &m);
    CHECK_EQ_INT(m.rows, 0);
    CHECK_EQ_INT(m.labelled, 0);
    CHECK_EQ_INT(m.none_rows, 0);
    CHECK_EQ_INT(m.items_in_labels, 0);
    CHECK(m.accuracy == 0 && m.top1 == 0 && m.top3 == 0 && m.macro_f1 == 0);
    CHECK(m.na_precision == 0 && m.na_recall == 0);
    CHECK(m.micro_f1 == 0 && m.weighted_f1 == 0);
    /* no confusion yet: an empty summary (its list is NULL, never handed to memcpy or qsort) */
    igc_buf b = {0};
    CHECK_EQ_INT(igc_eval_confusions(ev, &b, 10), 0);
    CHECK(b.len == 0 || !strstr(b.data, "->"));
    igc_buf_free(&b);
    igc_eval_free(ev);
    igc_eval_free(NULL);
}

/*
 * Six rows worked by hand:
 *   1. labels A        pred A,B,C   rank-1 hit
 *   2. labels B,C      pred C,A     rank-1 hit on label2 (credited to C)
 *   3. labels A        pred B,A     rank-2 hit: top-3 only; miss against A, B false positive
 *   4. none            not applic.  right
 *   5. none            pred B       wrong; B false positive
 *   6. labels D        not applic.  wrong; miss against D
 * accuracy 3/6, top1 2/4, top3 3/4, NA precision 1/2, NA recall 1/2.
 * Per item: A tp1 fn1 -> 2/3; B tp0 fp2 -> 0; C tp1 -> 1; D fn1 -> 0: macro-F1 (2/3+1)/4 = 5/12.
 * With NA as a class: NA tp1 (row 4) fp1 (row 6) fn1 (row 5) -> 1/2. Supports (true
 * class: the item hit, else label1, else NA): A 2, C 1 (row 2 hit C), D 1, NA 2, B 0.
 * weighted-F1 (2*2/3 + 1*1 + 1*0 + 2*1/2) / 6 = 5/9; micro-F1 tp3 fp3 fn3 -> 1/2.
 */
static igc_eval *six_rows(void) {
    igc_eval *ev = NULL;
    if (igc_eval_new(&ev)) return NULL;
    int rc = 0;
    rc |= add(ev, "itA", NULL, NULL, 1, "itA", "itB", "itC");
    rc |= add(ev, "itB", "itC", "", 1, "itC", "itA", NULL);
    rc |= add(ev, "itA", "", NULL, 1, "itB", "itA", NULL);
    rc |= add(ev, NULL, NULL, NULL, 0, NULL, NULL, NULL);
    rc |= add(ev, "", "", "", 1, "itB", NULL, NULL);
    rc |= add(ev, "itD", NULL, NULL, 0, NULL, NULL, NULL);
    if (rc) {
        igc_eval_free(ev);
        return NULL;
    }
    return ev;
}

TEST(hand_computed_metrics) {
    igc_eval *ev = six_rows();
    REQUIRE(ev != NULL);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_EQ_INT(m.rows, 6);
    CHECK_EQ_INT(m.labelled, 4);
    CHECK_EQ_INT(m.none_rows, 2);
    CHECK_NEAR(m.accuracy, 3.0 / 6);
    CHECK_NEAR(m.top1, 2.0 / 4);
    CHECK_NEAR(m.top3, 3.0 / 4);
    CHECK_NEAR(m.na_precision, 1.0 / 2);
    CHECK_NEAR(m.na_recall, 1.0 / 2);
    CHECK_EQ_INT(m.items_in_labels, 4);
    CHECK_NEAR(m.macro_f1, 5.0 / 12);
    CHECK_NEAR(m.micro_f1, 1.0 / 2);
    CHECK_NEAR(m.weighted_f1, 5.0 / 9);
    igc_eval_free(ev);
}

/*
 * Micro and weighted F1 where the variants differ (rows by hand):
 *   1, 2. labels A       pred A       A tp, tp
 *   3.    labels A       pred B       A fn, B fp
 *   4, 5. none           not applic.  NA tp, tp
 *   6.    none           pred A       NA fn, A fp
 *   7.    labels B       pred A       B fn, A fp
 *   8.    labels B,C     pred C       C tp (the true class is the item hit, not label1)
 * accuracy 5/8. A tp2 fp2 fn1 -> 4/7, support 3; B tp0 fp1 fn1 -> 0, support 1;
 * C tp1 -> 1, support 1; NA tp2 fn1 -> 4/5, support 3.
 *   micro-F1    tp 5, fp 3, fn 3 -> 10/16 = 5/8 (= accuracy; without NA it would be 6/12)
 *   weighted-F1 (3*4/7 + 1*0 + 1*1 + 3*4/5) / 8 = 179/280 (without NA 19/28 over 5
 *               rows; with supports by label1, B 2 and C 0, 144/280)
 *   macro-F1    items only: (4/7 + 0 + 1) / 3 = 11/21
 */
TEST(micro_and_weighted_f1_hand_computed) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itA", NULL, NULL) == 0);
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itA", "itB", NULL) == 0);
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itB", "itA", NULL) == 0);
    REQUIRE(add(ev, NULL, NULL, NULL, 0, NULL, NULL, NULL) == 0);
    REQUIRE(add(ev, "", "", "", 0, "itA", NULL, NULL) == 0);
    REQUIRE(add(ev, NULL, NULL, NULL, 1, "itA", NULL, NULL) == 0);
    REQUIRE(add(ev, "itB", NULL, NULL, 1, "itA", NULL, NULL) == 0);
    REQUIRE(add(ev, "itB", "itC", NULL, 1, "itC", "itB", NULL) == 0);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.accuracy, 5.0 / 8);
    CHECK_NEAR(m.micro_f1, 5.0 / 8);
    CHECK_NEAR(m.weighted_f1, 179.0 / 280);
    CHECK_NEAR(m.macro_f1, 11.0 / 21);
    igc_eval_free(ev);
}

TEST(rank2_hit_is_top3_not_top1) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itB", "itA", NULL) == 0);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.top1, 0);
    CHECK_NEAR(m.top3, 1);
    CHECK_NEAR(m.accuracy, 0); /* accuracy also needs rank 1 */
    CHECK_EQ_INT(m.items_in_labels, 1); /* itB is only predicted: not averaged */
    CHECK_NEAR(m.macro_f1, 0);
    /* Rank 3 also counts for top-3; a fourth-ranked match cannot be given. */
    REQUIRE(add(ev, "itC", NULL, NULL, 1, "itB", "itD", "itC") == 0);
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.top1, 0);
    CHECK_NEAR(m.top3, 1);
    igc_eval_free(ev);
}

TEST(macro_f1_averages_over_label_items_only) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    /* A hit twice, once missed as X (X never a label); B hit once.
     * A: tp2 fn1 -> 4/5; B: tp1 -> 1. X is excluded from the average: (4/5 + 1)/2 = 0.9. */
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itA", NULL, NULL) == 0);
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itA", NULL, NULL) == 0);
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itX", NULL, NULL) == 0);
    REQUIRE(add(ev, "itB", NULL, NULL, 1, "itB", NULL, NULL) == 0);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_EQ_INT(m.items_in_labels, 2);
    CHECK_NEAR(m.macro_f1, 0.9);
    /* Predicting B where A was right costs both: A fn, B fp. A: 4/6, B: 2/3. */
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itB", NULL, NULL) == 0);
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.macro_f1, (4.0 / 6 + 2.0 / 3) / 2);
    igc_eval_free(ev);
}

TEST(miss_counts_against_label1_only) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    /* Labels A,B; predicted C: A gets the miss, B nothing, C a false positive.
     * Then B hit once. A: 0; B: tp1 -> 1; C (not a label): excluded. (0 + 1)/2. */
    REQUIRE(add(ev, "itA", "itB", NULL, 1, "itC", NULL, NULL) == 0);
    REQUIRE(add(ev, "itB", NULL, NULL, 1, "itB", NULL, NULL) == 0);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_EQ_INT(m.items_in_labels, 2);
    CHECK_NEAR(m.macro_f1, 0.5);
    igc_eval_free(ev);
}

TEST(not_applicable_on_labelled_row) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    REQUIRE(add(ev, "itA", NULL, NULL, 0, NULL, NULL, NULL) == 0);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_EQ_INT(m.rows, 1);
    CHECK_EQ_INT(m.labelled, 1);
    CHECK_EQ_INT(m.none_rows, 0);
    CHECK_NEAR(m.accuracy, 0);
    CHECK_NEAR(m.top1, 0);
    CHECK_NEAR(m.top3, 0);
    CHECK_NEAR(m.na_precision, 0); /* one NA prediction, wrong */
    CHECK_NEAR(m.na_recall, 0);    /* no NA rows */
    CHECK_NEAR(m.macro_f1, 0);
    /* A correct NA row brings precision to 1/2 and recall to 1. */
    REQUIRE(add(ev, NULL, NULL, NULL, 0, NULL, NULL, NULL) == 0);
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.na_precision, 0.5);
    CHECK_NEAR(m.na_recall, 1);
    CHECK_NEAR(m.accuracy, 0.5);
    igc_eval_free(ev);
}

TEST(not_applicable_ignores_ranked_codes) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    /* Judged not applicable: any codes passed along must not count as a hit. */
    REQUIRE(add(ev, "itA", NULL, NULL, 0, "itA", "itB", NULL) == 0);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.top1, 0);
    CHECK_NEAR(m.top3, 0);
    CHECK_NEAR(m.accuracy, 0);
    CHECK_NEAR(m.macro_f1, 0);
    CHECK_NEAR(m.na_precision, 0);
    /* Applicable with an empty list is a not-applicable answer too. */
    igc_eval_free(ev);
    REQUIRE(igc_eval_new(&ev) == 0);
    const char *labels[3] = {NULL, NULL, NULL};
    REQUIRE(igc_eval_add(ev, labels, 1, NULL, 0) == 0);
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.accuracy, 1);
    CHECK_NEAR(m.na_precision, 1);
    CHECK_NEAR(m.na_recall, 1);
    igc_eval_free(ev);
}

TEST(applicable_on_none_row) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    REQUIRE(add(ev, NULL, NULL, NULL, 1, "itA", NULL, NULL) == 0);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_EQ_INT(m.none_rows, 1);
    CHECK_EQ_INT(m.labelled, 0);
    CHECK_NEAR(m.accuracy, 0);
    CHECK_NEAR(m.top1, 0); /* no labelled rows: defined as 0, not NaN */
    CHECK_NEAR(m.na_precision, 0);
    CHECK_NEAR(m.na_recall, 0);
    CHECK_EQ_INT(m.items_in_labels, 0);
    CHECK_NEAR(m.macro_f1, 0);
    igc_eval_free(ev);
}

TEST(confusions_most_missed_first) {
    igc_eval *ev = six_rows();
    REQUIRE(ev != NULL);
    /* A second A -> B miss makes it the most frequent confusion. */
    REQUIRE(add(ev, "itA", NULL, NULL, 1, "itB", NULL, NULL) == 0);
    igc_buf out = {0};
    REQUIRE(igc_eval_confusions(ev, &out, 10) == 0);
    REQUIRE(out.data != NULL);
    /* Three distinct confusions: A->B x2, none->B, D->none. */
    size_t lines = 0;
    for (const char *p = out.data; *p; p++) lines += *p == '\n';
    CHECK_EQ_INT(lines, 3);
    char *nl = strchr(out.data, '\n');
    REQUIRE(nl != NULL);
    *nl = '\0';
    CHECK(strstr(out.data, "itA") && strstr(out.data, "itB") && strstr(out.data, "x2"));
    *nl = '\n';
    CHECK(strstr(out.data, "itD") != NULL);
    /* Hits are not confusions. */
    CHECK(strstr(out.data, "itC") == NULL);
    igc_buf_free(&out);
    REQUIRE(igc_eval_confusions(ev, &out, 1) == 0);
    lines = 0;
    for (const char *p = out.data; p && *p; p++) lines += *p == '\n';
    CHECK_EQ_INT(lines, 1);
    igc_buf_free(&out);
    igc_eval_free(ev);
}

/* ---- the real labelled file ---- */

typedef struct {
    char l[3][16];
} labrow;

static size_t read_dev(labrow **out) {
    char p[1024];
    snprintf(p, sizeof p, "%s/labeled/dev.csv", igc_test_data_dir());
    igc_csv *c;
    *out = NULL;
    if (igc_csv_open(p, &c)) return 0;
    char **f;
    size_t nf, n = 0, cap = 0;
    if (igc_csv_next(c, &f, &nf) != 1) return igc_csv_close(c), 0;
    int ci[3] = {igc_csv_col(c, "label1"), igc_csv_col(c, "label2"), igc_csv_col(c, "label3")};
    if (ci[0] < 0 || ci[1] < 0 || ci[2] < 0) return igc_csv_close(c), 0;
    labrow *rows = NULL;
    while (igc_csv_next(c, &f, &nf) == 1) {
        if ((int)nf <= ci[2]) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            labrow *r = realloc(rows, cap * sizeof *r);
            if (!r) break;
            rows = r;
        }
        for (int k = 0; k < 3; k++) snprintf(rows[n].l[k], 16, "%s", f[ci[k]]);
        n++;
    }
    igc_csv_close(c);
    *out = rows;
    return n;
}

TEST(dev_set_perfect_and_all_none) {
    labrow *rows;
    size_t n = read_dev(&rows);
    REQUIRE(n > 0);
    igc_eval *perfect = NULL, *none = NULL;
    REQUIRE(igc_eval_new(&perfect) == 0 && igc_eval_new(&none) == 0);
    size_t nnone = 0;
    for (size_t i = 0; i < n; i++) {
        const char *labels[3] = {rows[i].l[0], rows[i].l[1], rows[i].l[2]};
        int has = rows[i].l[0][0] || rows[i].l[1][0] || rows[i].l[2][0];
        nnone += !has;
        const char *pred[1] = {rows[i].l[0]};
        CHECK_EQ_INT(igc_eval_add(perfect, labels, has, pred, has ? 1 : 0), 0);
        CHECK_EQ_INT(igc_eval_add(none, labels, 0, NULL, 0), 0);
    }
    REQUIRE(nnone > 0 && nnone < n);
    igc_eval_metrics m;
    igc_eval_compute(perfect, &m);
    CHECK_EQ_INT(m.rows, n);
    CHECK_EQ_INT(m.none_rows, nnone);
    CHECK_EQ_INT(m.labelled, n - nnone);
    CHECK_NEAR(m.accuracy, 1);
    CHECK_NEAR(m.top1, 1);
    CHECK_NEAR(m.top3, 1);
    CHECK_NEAR(m.na_precision, 1);
    CHECK_NEAR(m.na_recall, 1);
    CHECK(m.items_in_labels > 1);
    CHECK_NEAR(m.micro_f1, 1);
    CHECK_NEAR(m.weighted_f1, 1);
    igc_eval_compute(none, &m);
    CHECK_NEAR(m.accuracy, (double)nnone / (double)n);
    /* all "not applicable": NA tp nnone, fp n - nnone; every item scores 0 */
    CHECK_NEAR(m.micro_f1, (double)nnone / (double)n);
    CHECK_NEAR(m.weighted_f1, (double)nnone / (double)n * 2.0 * (double)nnone / (double)(n + nnone));
    CHECK_NEAR(m.top1, 0);
    CHECK_NEAR(m.top3, 0);
    CHECK_NEAR(m.macro_f1, 0);
    CHECK_NEAR(m.na_precision, (double)nnone / (double)n);
    CHECK_NEAR(m.na_recall, 1);
    igc_eval_free(perfect);
    igc_eval_free(none);
    free(rows);
}

/*
 * A predictor that answers label1 on every labelled row and "not applicable" on the
 * rest makes no mistake at all, so its macro-F1 must be 1. Items that occur only as
 * label2/label3 and are never predicted have no true positive, false positive or
 * miss: they carry no evidence and must not pull the average down.
 */
TEST(dev_set_perfect_predictor_macro_f1) {
    labrow *rows;
    size_t n = read_dev(&rows);
    REQUIRE(n > 0);
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    for (size_t i = 0; i < n; i++) {
        const char *labels[3] = {rows[i].l[0], rows[i].l[1], rows[i].l[2]};
        int has = rows[i].l[0][0] || rows[i].l[1][0] || rows[i].l[2][0];
        const char *pred[1] = {rows[i].l[0]};
        CHECK_EQ_INT(igc_eval_add(ev, labels, has, pred, has ? 1 : 0), 0);
    }
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.accuracy, 1);
    CHECK_NEAR(m.macro_f1, 1);
    igc_eval_free(ev);
    free(rows);
}

/* The same on a small case: labels A,B on one row, predicted A; B was never
 * predicted nor missed. */
TEST(item_without_evidence_does_not_lower_macro_f1) {
    igc_eval *ev = NULL;
    REQUIRE(igc_eval_new(&ev) == 0);
    REQUIRE(add(ev, "itA", "itB", NULL, 1, "itA", NULL, NULL) == 0);
    igc_eval_metrics m;
    igc_eval_compute(ev, &m);
    CHECK_NEAR(m.top1, 1);
    CHECK_NEAR(m.macro_f1, 1);
    igc_eval_free(ev);
}

/* Calibration by hand: two bins. 0.1 stated four times, one came true (share 0.25,
 * error 0.15); 0.9 stated four times, all four came true (error 0.1). The expected
 * error weighs each bin by its rows: (4 * 0.15 + 4 * 0.1) / 8 = 0.125. */
TEST(calibration_hand_computed) {
    igc_calib c = {0};
    CHECK_NEAR(igc_calib_ece(&c), 0);
    CHECK(igc_calib_count(&c) == 0);
    for (int i = 0; i < 4; i++) igc_calib_add(&c, 0.1, i == 0);
    for (int i = 0; i < 4; i++) igc_calib_add(&c, 0.9, 1);
    CHECK(igc_calib_count(&c) == 8);
    CHECK_NEAR(igc_calib_ece(&c), 0.125);
    igc_buf t = {0};
    REQUIRE(igc_calib_table(&c, &t) == 0);
    CHECK(t.data && strstr(t.data, "0.0-0.2") && strstr(t.data, "0.8-1.0") && !strstr(t.data, "0.4-0.6"));
    CHECK(t.data && strstr(t.data, "stated 0.100  happened 0.250"));
    igc_buf_free(&t);
    /* out-of-range and NaN probabilities land in the end bins, not outside the table */
    igc_calib d = {0};
    igc_calib_add(&d, 1.5, 1);
    igc_calib_add(&d, -2, 0);
    igc_calib_add(&d, NAN, 0);
    CHECK(d.n[IGC_CALIB_BINS - 1] == 1 && d.n[0] == 2);
    CHECK_NEAR(igc_calib_ece(&d), 0);
    /* a perfectly calibrated statement has no error */
    igc_calib e = {0};
    for (int i = 0; i < 10; i++) igc_calib_add(&e, 0.5, i < 5);
    CHECK_NEAR(igc_calib_ece(&e), 0);
}

/* ---- routing ---- */

static igc_route_point pt(double margin, size_t rows, size_t auto_rows, size_t auto_right) {
    igc_route_point p = {margin, 0, rows, auto_rows, auto_right};
    return p;
}

TEST(route_share_accuracy_and_front) {
    igc_route_point none = pt(0, 0, 0, 0);
    CHECK_NEAR(igc_route_share(&none), 0);
    CHECK_NEAR(igc_route_accuracy(&none), 0);
    /* ten rows each; margin tags the points to find them after reordering.
     *   0: share 1.0 acc 0.6   1: 0.8 / 0.75   2: 0.8 / 0.625 (beaten by 1)
     *   3: 0.5 / 1.0           4: 0.6 / 5/6    5: the same as 3 (the first is kept)
     *   6: nothing alone (share 0, accuracy 0: beaten by everything)
     * front, largest share first: 0, 1, 4, 3 */
    igc_route_point p[] = {pt(0, 10, 10, 6), pt(1, 10, 8, 6), pt(2, 10, 8, 5), pt(3, 10, 5, 5),
                           pt(4, 10, 6, 5),  pt(5, 10, 5, 5), pt(6, 10, 0, 0)};
    CHECK_NEAR(igc_route_share(&p[1]), 0.8);
    CHECK_NEAR(igc_route_accuracy(&p[1]), 0.75);
    size_t k = igc_route_pareto(p, 7);
    CHECK_EQ_INT(k, 4);
    const double want[] = {0, 1, 4, 3};
    for (size_t i = 0; i < k && i < 4; i++) CHECK_NEAR(p[i].margin, want[i]);
}

TEST(route_choose_operating_point) {
    igc_route_point p[] = {pt(0, 10, 10, 6), pt(1, 10, 8, 6), pt(2, 10, 8, 5), pt(3, 10, 5, 5),
                           pt(4, 10, 6, 5),  pt(5, 10, 5, 5), pt(6, 10, 0, 0)};
    int fb = -1;
    /* largest share reaching the accuracy: 0.9 -> 3 (share 0.5; 5 is equal, later) */
    CHECK_EQ_INT(igc_route_choose(p, 7, 0.9, 0.5, &fb), 3);
    CHECK_EQ_INT(fb, 0);
    CHECK_EQ_INT(igc_route_choose(p, 7, 0.8, 0.5, &fb), 4);
    /* exactly on the bar counts (6 of 8 = 0.75); of two at share 0.8 the more accurate */
    CHECK_EQ_INT(igc_route_choose(p, 7, 0.75, 0.5, &fb), 1);
    CHECK_EQ_INT(igc_route_choose(p, 7, 0.6, 0.5, &fb), 0);
    /* 9 of 10 is on a 0.9 bar, 89 of 99 is not */
    igc_route_point q[] = {pt(0, 99, 99, 89), pt(1, 10, 10, 9)};
    CHECK_EQ_INT(igc_route_choose(q, 2, 0.9, 0.5, &fb), 1);
    CHECK_EQ_INT(fb, 0);
    /* nothing reaches the bar: the best accuracy among shares >= min_share */
    CHECK_EQ_INT(igc_route_choose(p, 7, 1.01, 0.5, &fb), 3);
    CHECK_EQ_INT(fb, 1);
    CHECK_EQ_INT(igc_route_choose(p, 7, 1.01, 0.7, &fb), 1);
    CHECK_EQ_INT(fb, 1);
    CHECK_EQ_INT(igc_route_choose(p, 7, 1.01, 1.1, &fb), -1);
    CHECK_EQ_INT(fb, 0);
    CHECK_EQ_INT(igc_route_choose(p, 0, 0.9, 0.5, NULL), -1);
}

IGC_TEST_MAIN(TEST_ENTRY(empty_set_is_all_zero), TEST_ENTRY(hand_computed_metrics),
              TEST_ENTRY(rank2_hit_is_top3_not_top1), TEST_ENTRY(macro_f1_averages_over_label_items_only),
              TEST_ENTRY(miss_counts_against_label1_only), TEST_ENTRY(not_applicable_on_labelled_row),
              TEST_ENTRY(not_applicable_ignores_ranked_codes), TEST_ENTRY(applicable_on_none_row),
              TEST_ENTRY(confusions_most_missed_first), TEST_ENTRY(dev_set_perfect_and_all_none),
              TEST_ENTRY(dev_set_perfect_predictor_macro_f1), TEST_ENTRY(item_without_evidence_does_not_lower_macro_f1),
              TEST_ENTRY(calibration_hand_computed), TEST_ENTRY(micro_and_weighted_f1_hand_computed),
              TEST_ENTRY(route_share_accuracy_and_front), TEST_ENTRY(route_choose_operating_point))
