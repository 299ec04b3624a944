/*
 * igc-rules-bench: latency and throughput of igc_rules_eval on realistic
 * inputs built from the labelled dev rows (tech fields, the KSIC hierarchy of
 * the row's 3-digit group, 10 candidates with keywords and taxonomy lookups).
 * Prints a checksum of every verdict so rule-engine changes can be shown to
 * decide exactly the same; --expect HEX makes a mismatch an error. Then the
 * same for the support programmes (igc_rules_programmes_eval on each row's
 * verdict, first three items and one of a few addresses; --programmes none
 * skips them), with a checksum of every answer as JSON.
 *
 *   igc-rules-bench [--rules DIR] [--programmes DIR|none] [--data DIR] [--reps N] [--threads N]
 *                   [--seconds S] [--expect HEX]
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "igc_base.h"
#include "igc_rules.h"

#define NCANDS 10
#define MAX_KW 3

typedef struct ksic_grp {
    char grp[4];
    char *sec, *sec_name, *div, *div_name, *grp_name;
} ksic_grp;

typedef struct item {
    char *code, *name, *theme, *field, *definition, *examples;
} item;

typedef struct row {
    char *company, *ksic_code, *ksic_name, *main_product, *product_use, *tech_business_name, *tech_class;
    const ksic_grp *k;
    char *tokens[8];
    int ntok;
    const char *kw[NCANDS][MAX_KW];
    int nkw[NCANDS];
    const char *codes[NCANDS];
} row;

static item *items;
static size_t nitems;
static ksic_grp *grps;
static size_t ngrps;
static row *rows;
static size_t nrows;

static int cmp_item(const void *a, const void *b) { return strcmp(((const item *)a)->code, ((const item *)b)->code); }

static int lookup(void *ud, const char *code, igc_rules_item *out) {
    (void)ud;
    item key = {.code = (char *)code};
    item *it = bsearch(&key, items, nitems, sizeof *items, cmp_item);
    if (!it) return IGC_ENOTFOUND;
    out->code = it->code;
    out->name = it->name;
    out->theme = it->theme;
    out->theme_name = "";
    out->field = it->field;
    out->field_name = "";
    out->definition = it->definition;
    out->examples = it->examples;
    return 0;
}

static char *jstr(cJSON *o, const char *k) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
    return igc_strdup(s ? s : "");
}

static int load_items(const char *data) {
    char path[1024], *txt = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/taxonomy/igc-v6.json", data);
    if (igc_read_file(path, &txt, &len)) return -1;
    cJSON *d = cJSON_ParseWithLength(txt, len);
    free(txt);
    cJSON *arr = cJSON_GetObjectItem(d, "items");
    if (!arr) return -1;
    nitems = (size_t)cJSON_GetArraySize(arr);
    items = calloc(nitems, sizeof *items);
    size_t i = 0;
    cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        items[i++] = (item){jstr(o, "code"), jstr(o, "name"), jstr(o, "theme"), jstr(o, "field"),
                            jstr(o, "definition"), jstr(o, "examples")};
    }
    cJSON_Delete(d);
    qsort(items, nitems, sizeof *items, cmp_item);
    return 0;
}

static int load_ksic(const char *data) {
    char path[1024];
    snprintf(path, sizeof path, "%s/ksic/ksic11_hierarchy.csv", data);
    igc_csv *c;
    if (igc_csv_open(path, &c)) return -1;
    char **f;
    size_t nf;
    if (igc_csv_next(c, &f, &nf) != 1) return -1;
    int csec = igc_csv_col(c, "sec"), csn = igc_csv_col(c, "sec_name"), cdiv = igc_csv_col(c, "div2"),
        cdn = igc_csv_col(c, "div2_name"), cgrp = igc_csv_col(c, "grp3"), cgn = igc_csv_col(c, "grp3_name");
    size_t cap = 0;
    while (igc_csv_next(c, &f, &nf) == 1) {
        if ((size_t)cgn >= nf || strlen(f[cgrp]) != 3) continue;
        if (ngrps && !strcmp(grps[ngrps - 1].grp, f[cgrp])) continue;
        if (ngrps == cap) {
            cap = cap ? cap * 2 : 256;
            grps = realloc(grps, cap * sizeof *grps);
        }
        ksic_grp *g = &grps[ngrps++];
        memcpy(g->grp, f[cgrp], 4);
        g->sec = igc_strdup(f[csec]);
        g->sec_name = igc_strdup(f[csn]);
        g->div = igc_strdup(f[cdiv]);
        g->div_name = igc_strdup(f[cdn]);
        g->grp_name = igc_strdup(f[cgn]);
    }
    igc_csv_close(c);
    return 0;
}

static const ksic_grp *find_grp(const char *code) {
    if (strlen(code) < 3) return NULL;
    for (size_t i = 0; i < ngrps; i++)
        if (!strncmp(grps[i].grp, code, 3)) return &grps[i];
    return NULL;
}

/* Words of the product texts, split at commas, slashes and spaces. */
static void tokenize(row *r) {
    const char *srcs[2] = {r->main_product, r->product_use};
    for (int s = 0; s < 2; s++) {
        const char *p = srcs[s];
        while (*p && r->ntok < 8) {
            size_t n = strcspn(p, ", /;()");
            if (n >= 2) {
                char *t = malloc(n + 1);
                memcpy(t, p, n);
                t[n] = '\0';
                r->tokens[r->ntok++] = t;
            }
            p += n;
            if (*p) p++;
        }
    }
}

static const char *GENERIC[] = {"볼트", "케이블", "모터", "부품", "필름", "포장재", "반도체 부품"};

static int load_rows(const char *data) {
    char path[1024];
    snprintf(path, sizeof path, "%s/labeled/dev.csv", data);
    igc_csv *c;
    if (igc_csv_open(path, &c)) return -1;
    char **f;
    size_t nf;
    if (igc_csv_next(c, &f, &nf) != 1) return -1;
    int cols[7] = {igc_csv_col(c, "company"),     igc_csv_col(c, "ksic_code"),
                   igc_csv_col(c, "ksic_name"),   igc_csv_col(c, "main_product"),
                   igc_csv_col(c, "product_use"), igc_csv_col(c, "tech_business_name"),
                   igc_csv_col(c, "tech_class")};
    size_t cap = 0;
    while (igc_csv_next(c, &f, &nf) == 1) {
        if (nrows == cap) {
            cap = cap ? cap * 2 : 256;
            rows = realloc(rows, cap * sizeof *rows);
        }
        row *r = &rows[nrows];
        memset(r, 0, sizeof *r);
        char **dst[7] = {&r->company,     &r->ksic_code,          &r->ksic_name, &r->main_product,
                         &r->product_use, &r->tech_business_name, &r->tech_class};
        for (int k = 0; k < 7; k++) *dst[k] = igc_strdup(cols[k] >= 0 && (size_t)cols[k] < nf ? f[cols[k]] : "");
        r->k = find_grp(r->ksic_code);
        tokenize(r);
        for (int i = 0; i < NCANDS; i++) {
            r->codes[i] = items[(nrows * 7 + (size_t)i * 23) % nitems].code;
            const char *g = GENERIC[(nrows + (size_t)i) % (sizeof GENERIC / sizeof *GENERIC)];
            const char *t = r->ntok ? r->tokens[i % r->ntok] : g;
            switch (i % 3) {
            case 0: r->kw[i][r->nkw[i]++] = g; break;
            case 1: r->kw[i][r->nkw[i]++] = t; break;
            default:
                r->kw[i][r->nkw[i]++] = t;
                r->kw[i][r->nkw[i]++] = g;
            }
        }
        nrows++;
    }
    igc_csv_close(c);
    return nrows ? 0 : -1;
}

static const char *SIGNAMES[] = {"dense", "lexical", "knn", "ksic_prior"};

/* Evaluates row i; returns the hash of the verdict (0 on an eval error). */
static long st_na, st_review, st_dropped, st_basis;

static uint64_t eval_row(igc_rules *rs, size_t i, int stats) {
    const row *r = &rows[i];
    igc_rules_candidate cands[NCANDS];
    memset(cands, 0, sizeof cands);
    for (int j = 0; j < NCANDS; j++) {
        igc_rules_candidate *c = &cands[j];
        snprintf(c->code, sizeof c->code, "%s", r->codes[j]);
        c->score = 0.92 - 0.07 * j;
        for (int s = 0; s < 4; s++) {
            c->signal_names[s] = SIGNAMES[s];
            c->signals[s] = c->score - 0.01 * s;
        }
        c->nsignals = 4;
        c->keywords = (const char **)r->kw[j];
        c->nkeywords = (size_t)r->nkw[j];
    }
    const ksic_grp *k = r->k;
    igc_rules_input in = {
        .company_name = r->company, .ksic_code = r->ksic_code, .ksic_name = r->ksic_name,
        .main_product = r->main_product, .product_use = r->product_use,
        .tech_business_name = r->tech_business_name, .tech_class = r->tech_class,
        .ksic_section = k ? k->sec : "", .ksic_section_name = k ? k->sec_name : "",
        .ksic_division = k ? k->div : "", .ksic_division_name = k ? k->div_name : "",
        .ksic_group = k ? k->grp : "", .ksic_group_name = k ? k->grp_name : "",
        .cands = cands, .ncands = NCANDS, .item_lookup = lookup, .lookup_ud = NULL};
    igc_rules_verdict out;
    igc_rules_version *v = igc_rules_acquire(rs);
    int rc = igc_rules_eval(v, &in, &out);
    igc_rules_release(v);
    uint64_t h = 0;
    if (rc == 0 && stats) {
        st_na += !out.applicable;
        st_review += out.needs_review;
        for (int j = 0; j < NCANDS; j++) {
            st_dropped += cands[j].dropped;
            st_basis += cands[j].basis.len > 0;
        }
    }
    if (rc == 0) {
        h = igc_hash64(&out.applicable, sizeof out.applicable, 1);
        h = igc_hash64(out.reason_code, strlen(out.reason_code), h);
        h = igc_hash64(out.reason_message, strlen(out.reason_message), h);
        h = igc_hash64(out.rule_id, strlen(out.rule_id), h);
        h = igc_hash64(&out.needs_review, sizeof out.needs_review, h);
        h = igc_hash64(out.review_note, strlen(out.review_note), h);
        for (int j = 0; j < NCANDS; j++) {
            char sc[40];
            snprintf(sc, sizeof sc, "%.17g|%d|", cands[j].score, cands[j].dropped);
            h = igc_hash64(sc, strlen(sc), h);
            h = igc_hash64(cands[j].drop_reason, strlen(cands[j].drop_reason), h);
            if (cands[j].basis.data) h = igc_hash64(cands[j].basis.data, cands[j].basis.len, h);
        }
        if (!h) h = 1;
    }
    for (int j = 0; j < NCANDS; j++) igc_buf_free(&cands[j].basis);
    return h;
}

/* ---- programmes ---- */

static const char *const SIDO[][2] = {{"강원특별자치도", "정선군"}, {"서울특별시", "강남구"}, {"", ""},
                                     {"경상남도", "고성군"}, {"대전광역시", "중구"}};

/* Evaluates the programmes for row i (as if its verdict were applicable
 * unless i % 7 == 0); returns the hash of the answer (0 on an error). */
static uint64_t eval_programmes(igc_rules *ps, size_t i) {
    const row *r = &rows[i];
    igc_rules_prog_item its[3];
    for (int j = 0; j < 3; j++) {
        item key = {.code = (char *)r->codes[j]};
        const item *it = bsearch(&key, items, nitems, sizeof *items, cmp_item);
        its[j] = (igc_rules_prog_item){r->codes[j], it ? it->name : "", it ? it->theme : "", "",
                                       it ? it->field : "", "", 0.9 - 0.1 * j};
    }
    const ksic_grp *k = r->k;
    const char *const *addr = SIDO[i % (sizeof SIDO / sizeof SIDO[0])];
    igc_rules_prog_input in = {
        .applicable = i % 7 != 0, .reason = i % 7 ? "" : "wholesale_retail", .items = its, .nitems = 3,
        .ksic_code = r->ksic_code, .ksic_section = k ? k->sec : "", .ksic_section_name = k ? k->sec_name : "",
        .ksic_division = k ? k->div : "", .ksic_division_name = k ? k->div_name : "",
        .ksic_group = k ? k->grp : "", .ksic_group_name = k ? k->grp_name : "", .sido = addr[0],
        .sigungu = addr[1], .date = i % 11 ? "2025-06-01" : "2027-01-05"};
    cJSON *out = NULL;
    igc_rules_version *v = igc_rules_acquire(ps);
    int rc = igc_rules_programmes_eval(v, &in, &out);
    igc_rules_release(v);
    uint64_t h = 0;
    char *txt = rc == 0 && out ? cJSON_PrintUnformatted(out) : NULL;
    if (txt) {
        h = igc_hash64(txt, strlen(txt), 1);
        if (!h) h = 1;
    }
    free(txt);
    cJSON_Delete(out);
    return h;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct worker {
    igc_rules *rs;
    const uint64_t *expect;
    double seconds;
    atomic_int *go;
    size_t start;
    long calls, mismatches;
} worker;

static void *work(void *p) {
    worker *w = p;
    while (!atomic_load(w->go)) {
    }
    double end = now_us() + w->seconds * 1e6;
    size_t i = w->start;
    while (now_us() < end) {
        if (eval_row(w->rs, i, 0) != w->expect[i]) w->mismatches++;
        w->calls++;
        i = (i + 1) % nrows;
    }
    return NULL;
}

static double throughput(igc_rules *rs, const uint64_t *expect, int nthreads, double seconds, long *mismatches) {
    worker ws[16];
    pthread_t th[16];
    atomic_int go = 0;
    for (int t = 0; t < nthreads; t++) {
        ws[t] = (worker){rs, expect, seconds, &go, (size_t)t * nrows / (size_t)nthreads, 0, 0};
        pthread_create(&th[t], NULL, work, &ws[t]);
    }
    double t0 = now_us();
    atomic_store(&go, 1);
    long calls = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        calls += ws[t].calls;
        *mismatches += ws[t].mismatches;
    }
    return (double)calls / ((now_us() - t0) / 1e6);
}

int main(int argc, char **argv) {
    const char *rules_dir = IGC_BENCH_RULES, *data = IGC_BENCH_DATA, *expect_hex = NULL,
               *prog_dir = IGC_BENCH_PROGRAMMES;
    int reps = 20, nthreads = 2;
    double seconds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rules")) rules_dir = argv[i + 1];
        else if (!strcmp(argv[i], "--data")) data = argv[i + 1];
        else if (!strcmp(argv[i], "--programmes")) prog_dir = argv[i + 1];
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) nthreads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--expect")) expect_hex = argv[i + 1];
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (nthreads < 1 || nthreads > 16) nthreads = 2;
    igc_log_set_level(IGC_LOG_WARN);
    if (load_items(data) || load_ksic(data) || load_rows(data)) {
        fprintf(stderr, "cannot load the data under %s\n", data);
        return 1;
    }
    igc_rules *rs = NULL;
    if (igc_rules_open(rules_dir, NULL, &rs)) {
        fprintf(stderr, "cannot load rules from %s\n", rules_dir);
        return 1;
    }

    /* Verdicts: one pass, hashed per row and over all rows. */
    uint64_t *expect = calloc(nrows, sizeof *expect);
    uint64_t sum = 0;
    long errors = 0;
    for (size_t i = 0; i < nrows; i++) {
        expect[i] = eval_row(rs, i, 1);
        if (!expect[i]) errors++;
        sum = igc_hash64(&expect[i], sizeof expect[i], sum);
    }

    /* Single-threaded latency. */
    size_t n = (size_t)reps * nrows, m = 0;
    double *lat = malloc(n * sizeof *lat);
    long mism = 0;
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < nrows; i++) {
            double t0 = now_us();
            uint64_t h = eval_row(rs, i, 0);
            lat[m++] = now_us() - t0;
            if (h != expect[i]) mism++;
        }
    qsort(lat, n, sizeof *lat, cmp_d);
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += lat[i];
    mean /= (double)n;
    printf("rows %zu, candidates %d, calls %zu; not applicable %ld, review %ld, dropped %ld, with basis %ld\n",
           nrows, NCANDS, n, st_na, st_review, st_dropped, st_basis);
    printf("single thread: median %.1f us, p99 %.1f us, mean %.1f us\n", lat[n / 2], lat[n * 99 / 100], mean);
    double c1 = throughput(rs, expect, 1, seconds, &mism);
    double cn = throughput(rs, expect, nthreads, seconds, &mism);
    printf("throughput: 1 thread %.0f calls/s, %d threads %.0f calls/s\n", c1, nthreads, cn);
    printf("verdict checksum %016" PRIx64 " (eval errors %ld, mismatches on repeat %ld)\n", sum, errors, mism);
    int bad = errors || mism;

    igc_rules *ps = NULL;
    if (strcmp(prog_dir, "none") != 0) {
        if (igc_rules_open_kind(prog_dir, IGC_RULES_KIND_PROGRAMMES, NULL, &ps)) {
            fprintf(stderr, "cannot load programmes from %s\n", prog_dir);
            return 1;
        }
        uint64_t psum = 0, *pexp = calloc(nrows, sizeof *pexp);
        long perr = 0, pmism = 0;
        for (size_t i = 0; i < nrows; i++) {
            pexp[i] = eval_programmes(ps, i);
            if (!pexp[i]) perr++;
            psum = igc_hash64(&pexp[i], sizeof pexp[i], psum);
        }
        m = 0;
        for (int r = 0; r < reps; r++)
            for (size_t i = 0; i < nrows; i++) {
                double t0 = now_us();
                uint64_t h = eval_programmes(ps, i);
                lat[m++] = now_us() - t0;
                if (h != pexp[i]) pmism++;
            }
        qsort(lat, n, sizeof *lat, cmp_d);
        printf("programmes, single thread: median %.1f us, p99 %.1f us\n", lat[n / 2], lat[n * 99 / 100]);
        printf("programmes checksum %016" PRIx64 " (eval errors %ld, mismatches on repeat %ld)\n", psum, perr,
               pmism);
        bad |= perr || pmism;
        free(pexp);
        igc_rules_close(ps);
    }
    free(lat);
    free(expect);
    igc_rules_close(rs);
    if (expect_hex) {
        char got[17];
        snprintf(got, sizeof got, "%016" PRIx64, sum);
        if (strcmp(got, expect_hex) != 0) {
            printf("CHECKSUM MISMATCH: expected %s\n", expect_hex);
            bad = 1;
        } else {
            printf("checksum matches\n");
        }
    }
    return bad;
}
