/* igc-bench: latency and throughput of classification, with the taxonomy's items
 * and a configurable number of past judgments (exemplars).
 *
 * Exemplars beyond the history file are synthetic: each joins the product text of
 * one history row (whose label, industry and KSIC code it takes) with that of another,
 * the partner shifting with every pass over the history, so that no two are the same
 * text and the index and the neighbour search work at the requested size as on as
 * many distinct judgments. Queries are the
 * rows of a labelled file (dev.csv by default). Prints medians and p99 in ms,
 * companies per second and peak memory, how often the answers agree with those of
 * an exact (Flat) index over the same exemplars, checksums of the answers (the
 * engine's to 1e-6, the whole answer as the API gives it) and one JSON line for
 * scripts. --answers-out F writes each query's answers in full for
 * bench/same_answers.py, which compares two builds' answers with a tolerance. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "igc_app.h"

typedef struct {
    char *f[10];
} row;

/* Copies every row of a company file: uid, company, ksic_code, ksic_name,
 * main_product, product_use, tech_business_name, tech_class, label1, none_reason. */
static int read_rows(const char *path, row **out, size_t *n) {
    igc_rows *rows;
    if (igc_rows_open(path, &rows)) return -1;
    size_t cap = 0;
    *n = 0;
    *out = NULL;
    igc_row r;
    while (igc_rows_next(rows, &r) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            row *nr = realloc(*out, cap * sizeof **out);
            if (!nr) break;
            *out = nr;
        }
        const char *v[10] = {r.uid, r.in.company_name, r.in.ksic_code, r.in.ksic_name, r.in.main_product,
                             r.in.product_use, r.in.tech_business_name, r.in.tech_class, r.labels[0], r.none_reason};
        row *dst = &(*out)[(*n)++];
        for (int k = 0; k < 10; k++) dst->f[k] = igc_strdup(v[k]);
    }
    igc_rows_close(rows);
    return 0;
}

static void free_rows(row *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 10; k++) free(r[i].f[k]);
    free(r);
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

typedef struct {
    igc_app *a;
    row *q;
    size_t nq, from, count;
    int full;
} job;

static void req_of(const row *r, igc_req *req) {
    memset(req, 0, sizeof *req);
    req->company_name = r->f[1];
    req->brn = "";
    req->ceo = "";
    req->ksic_code = r->f[2];
    req->ksic_name = r->f[3];
    req->main_product = r->f[4];
    req->product_use = r->f[5];
    req->tech_business_name = r->f[6];
    req->tech_class = r->f[7];
}

static void *worker(void *arg) {
    job *j = arg;
    for (size_t k = 0; k < j->count; k++) {
        const row *r = &j->q[(j->from + k) % j->nq];
        if (j->full) {
            igc_req req;
            req_of(r, &req);
            cJSON *o;
            if (igc_app_classify(j->a, &req, 0, &o) == 0) cJSON_Delete(o);
        } else {
            igc_engine_input in = {r->f[1], r->f[2], r->f[3], r->f[4], r->f[5], r->f[6], r->f[7]};
            igc_engine_result res;
            if (igc_engine_classify(j->a->engine, &in, NULL, &res) == 0) igc_engine_result_free(&res);
        }
    }
    return NULL;
}

/* Adds the history and synthetic exemplars up to nex; returns the synthetic count. */
static size_t fill(igc_app *app, const row *hist, size_t nhr, size_t nh, long nex) {
    size_t added = 0;
    for (long i = 0; (long)(nh + added) < nex && i < nex * 4; i++) {
        /* the partner moves on each pass: repeated pairs would make the store one of
         * copies, whose ties flatter the top-k bounds */
        const row *a = &hist[(size_t)i % nhr], *b = &hist[((size_t)i * 7 + 3 + (size_t)i / nhr * 31) % nhr];
        char key[64], product[2048];
        snprintf(key, sizeof key, "synthetic:%ld", i);
        snprintf(product, sizeof product, "%s %s", a->f[4], b->f[4]);
        igc_exemplar x = {key, {a->f[1], a->f[2], a->f[3], product, "", "", ""}, {a->f[8], NULL, NULL}, a->f[9], NULL};
        if (igc_engine_add_exemplar(app->engine, &x) == 0) added++;
    }
    igc_engine_commit(app->engine);
    return added;
}

/* Share of queries on which engine a and the exact engine b agree: rank-1 item and
 * applicability (agree[0]), and the set of the three best items (agree[1]). Items
 * are compared by code: each engine holds its own copy of the taxonomy. */
static void agreement(const igc_engine *a, const igc_engine *b, const row *q, size_t nq, double agree[2]) {
    size_t same1 = 0, same3 = 0;
    for (size_t k = 0; k < nq; k++) {
        igc_engine_input in = {q[k].f[1], q[k].f[2], q[k].f[3], q[k].f[4], q[k].f[5], q[k].f[6], q[k].f[7]};
        igc_engine_result ra, rb;
        if (igc_engine_classify(a, &in, NULL, &ra)) continue;
        if (igc_engine_classify(b, &in, NULL, &rb)) {
            igc_engine_result_free(&ra);
            continue;
        }
        same1 += ra.applicable == rb.applicable && ra.ncands && rb.ncands && !strcmp(ra.cands[0].item->code, rb.cands[0].item->code);
        size_t m = 0, n3 = ra.ncands < 3 ? ra.ncands : 3;
        for (size_t i = 0; i < n3; i++)
            for (size_t j = 0; j < n3 && j < rb.ncands; j++) m += !strcmp(ra.cands[i].item->code, rb.cands[j].item->code);
        same3 += m == n3;
        igc_engine_result_free(&ra);
        igc_engine_result_free(&rb);
    }
    agree[0] = nq ? (double)same1 / (double)nq : 0;
    agree[1] = nq ? (double)same3 / (double)nq : 0;
}

/* Folds an answer into a 64-bit FNV-1a checksum: applicability, review flag, every
 * candidate's code, score (to 1e-6) and keywords. Two builds that print the same
 * checksum gave the same answers. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
    return h;
}
/* The pipeline's answer as the API gives it, less what changes from run to run
 * (elapsed_ms, classified_on): detached from o, printed unformatted. */
static char *answer_text(cJSON *o) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, "elapsed_ms");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "classified_on");
    return cJSON_PrintUnformatted(o);
}

/* One line of --answers-out: the engine's answer to full precision and the
 * pipeline's, for bench/same_answers.py. */
static void write_answer(FILE *f, const row *r, const igc_engine_result *res, const char *full) {
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "engine");
    cJSON_AddStringToObject(o, "uid", r->f[0]);
    cJSON_AddBoolToObject(e, "applicable", res->applicable);
    cJSON_AddBoolToObject(e, "needs_review", res->needs_review);
    cJSON_AddNumberToObject(e, "p_applicable", res->p_applicable);
    cJSON *cs = cJSON_AddArrayToObject(e, "cands");
    for (size_t c = 0; c < res->ncands; c++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", res->cands[c].item->code);
        cJSON_AddNumberToObject(x, "score", res->cands[c].score);
        cJSON *kw = cJSON_AddArrayToObject(x, "keywords");
        for (size_t k = 0; k < res->cands[c].nkeywords; k++) cJSON_AddItemToArray(kw, cJSON_CreateString(res->cands[c].keywords[k]));
        cJSON *tm = cJSON_AddArrayToObject(x, "terms");
        for (size_t k = 0; k < res->cands[c].nterms; k++) cJSON_AddItemToArray(tm, cJSON_CreateString(res->cands[c].terms[k]));
        cJSON_AddStringToObject(x, "basis", res->cands[c].basis ? res->cands[c].basis : "");
        cJSON_AddItemToArray(cs, x);
    }
    cJSON_AddItemToObject(o, "answer", full ? cJSON_Parse(full) : cJSON_CreateNull());
    char *t = cJSON_PrintUnformatted(o);
    if (t) fprintf(f, "%s\n", t);
    free(t);
    cJSON_Delete(o);
}

static uint64_t answer_hash(uint64_t h, const igc_engine_result *r) {
    long long v[3] = {r->applicable, r->needs_review, llround(r->p_applicable * 1e6)};
    h = fnv(h, v, sizeof v);
    for (size_t c = 0; c < r->ncands; c++) {
        long long sc = llround(r->cands[c].score * 1e6);
        h = fnv(h, r->cands[c].item->code, strlen(r->cands[c].item->code));
        h = fnv(h, &sc, sizeof sc);
        for (size_t k = 0; k < r->cands[c].nkeywords; k++) h = fnv(h, r->cands[c].keywords[k], strlen(r->cands[c].keywords[k]) + 1);
    }
    return h;
}

/* CPU time of the calling thread, in ms: unlike the wall clock it does not count the
 * time another process held the core, so it is the steadier measure on a busy machine. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double throughput(igc_app *a, row *q, size_t nq, size_t total, int threads, int full) {
    pthread_t th[64];
    job jobs[64];
    double t0 = igc_now_ms();
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){a, q, nq, (size_t)t * (total / (size_t)threads), total / (size_t)threads, full};
        pthread_create(&th[t], NULL, worker, &jobs[t]);
    }
    for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
    return (double)total / ((igc_now_ms() - t0) / 1000.0);
}

int main(int argc, char **argv) {
    igc_config cfg;
    igc_config_init(&cfg);
    const char *queries = NULL, *history = NULL, *answers_out = NULL;
    long nex = 10000, threads = 2, batch = 20000, reps = 5;
    igc_buf err = {0};
    for (int i = 1; i < argc;) {
        int rc = igc_config_option(&cfg, argc, argv, &i, &err);
        if (rc < 0) {
            fprintf(stderr, "igc-bench: %s\n", err.data);
            return 2;
        }
        if (rc == 1) continue;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "usage: igc-bench [--queries F.csv] [--history F.csv] [--exemplars N] [--threads T] "
                            "[--batch N] [--reps N] [--answers-out F.jsonl] [common options]\n%s", igc_config_help());
            return 2;
        }
        if (!strcmp(argv[i], "--queries")) queries = v;
        else if (!strcmp(argv[i], "--history")) history = v;
        else if (!strcmp(argv[i], "--exemplars")) nex = strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "--threads")) threads = strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "--batch")) batch = strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "--reps")) reps = strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "--answers-out")) answers_out = v;
        else {
            fprintf(stderr, "igc-bench: unknown option %s\n", argv[i]);
            return 2;
        }
        i += 2;
    }
    if (threads < 1 || threads > 64) threads = 2;
    char qpath[PATH_MAX + 64], hpath[PATH_MAX + 64];
    snprintf(qpath, sizeof qpath, "%s/labeled/dev.csv", cfg.data_dir);
    snprintf(hpath, sizeof hpath, "%s/labeled/history.csv", cfg.data_dir);
    if (!queries) queries = qpath;
    if (!history) history = hpath;
    igc_app app;
    if (igc_app_open(&app, &cfg, IGC_APP_RULES, &err)) {
        fprintf(stderr, "igc-bench: %s\n", err.data);
        return 1;
    }
    size_t nh, skipped;
    igc_app_import_history(&app, history, 0, &nh, &skipped);
    row *hist, *q;
    size_t nhr, nq;
    if (read_rows(history, &hist, &nhr) || read_rows(queries, &q, &nq) || !nq || !nhr) {
        fprintf(stderr, "igc-bench: cannot read %s or %s\n", history, queries);
        return 1;
    }
    /* synthetic exemplars up to nex */
    double t0 = igc_now_ms();
    size_t added = fill(&app, hist, nhr, nh, nex);
    double build_ms = igc_now_ms() - t0;
    /* single requests: engine alone, and the whole pipeline (rules, explanations, JSON) */
    size_t n = nq * (size_t)reps;
    double *eng = malloc(n * sizeof *eng), *full = malloc(n * sizeof *full);
    double *engc = malloc(n * sizeof *engc), *fullc = malloc(n * sizeof *fullc);
    uint64_t answers = 0xcbf29ce484222325ULL, full_answers = answers;
    FILE *af = answers_out ? fopen(answers_out, "w") : NULL;
    if (answers_out && !af) {
        fprintf(stderr, "igc-bench: cannot write %s\n", answers_out);
        return 1;
    }
    for (size_t k = 0; k < n; k++) {
        const row *r = &q[k % nq];
        igc_engine_input in = {r->f[1], r->f[2], r->f[3], r->f[4], r->f[5], r->f[6], r->f[7]};
        igc_engine_result res;
        double s = igc_now_ms(), sc = cpu_ms();
        int crc = igc_engine_classify(app.engine, &in, NULL, &res);
        engc[k] = cpu_ms() - sc;
        eng[k] = igc_now_ms() - s;
        if (!crc && k < nq) answers = answer_hash(answers, &res);
        igc_req req;
        req_of(r, &req);
        cJSON *o;
        s = igc_now_ms(), sc = cpu_ms();
        int frc = igc_app_classify(&app, &req, 1, &o);
        fullc[k] = cpu_ms() - sc;
        full[k] = igc_now_ms() - s;
        char *text = !frc && k < nq ? answer_text(o) : NULL;
        if (text) full_answers = fnv(full_answers, text, strlen(text) + 1);
        if (af && !crc && k < nq) write_answer(af, r, &res, text);
        free(text);
        if (!frc) cJSON_Delete(o);
        if (!crc) igc_engine_result_free(&res);
    }
    if (af) fclose(af);
    double e50 = pct(eng, n, 0.5), e99 = pct(eng, n, 0.99), f50 = pct(full, n, 0.5), f99 = pct(full, n, 0.99);
    double ec50 = pct(engc, n, 0.5), fc50 = pct(fullc, n, 0.5);
    double tp1 = throughput(&app, q, nq, (size_t)batch, 1, 0);
    double tpn = throughput(&app, q, nq, (size_t)batch, (int)threads, 0);
    double tpf = throughput(&app, q, nq, (size_t)batch, (int)threads, 1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* the same exemplars in an exact index, to measure what the configured one trades
     * (after the peak memory reading, which is of the configured engine alone) */
    igc_config exact_cfg = cfg;
    snprintf(exact_cfg.index_factory, sizeof exact_cfg.index_factory, "Flat");
    exact_cfg.index_params[0] = '\0';
    igc_app exact;
    double agree[2] = {-1, -1};
    if (igc_app_open(&exact, &exact_cfg, 0, &err) == 0) {
        size_t nh2, sk2;
        igc_app_import_history(&exact, history, 0, &nh2, &sk2);
        fill(&exact, hist, nhr, nh2, nex);
        agreement(app.engine, exact.engine, q, nq, agree);
        igc_app_close(&exact);
    }
    size_t total_ex = igc_engine_exemplar_count(app.engine);
    /* what saving one judgment costs the event loop: the new exemplar enters the
     * index (add), then lexical statistics and the applicability text model are
     * refitted (commit) */
    enum { NSAVE = 21 };
    double save[NSAVE], refit[NSAVE];
    for (size_t k = 0; k < NSAVE; k++) {
        const row *r = &hist[k % nhr];
        char key[64];
        snprintf(key, sizeof key, "bench-judgment:%zu", k);
        igc_exemplar x = {key, {r->f[1], r->f[2], r->f[3], r->f[4], r->f[5], r->f[6], r->f[7]}, {r->f[8], NULL, NULL},
                          r->f[9], NULL};
        double s = igc_now_ms();
        igc_engine_add_exemplar(app.engine, &x);
        double m = igc_now_ms();
        igc_engine_commit(app.engine);
        save[k] = m - s;
        refit[k] = igc_now_ms() - m;
    }
    double s50 = pct(save, NSAVE, 0.5), r50 = pct(refit, NSAVE, 0.5);
    /* the same refit in igcd's two steps: computed aside while classifications go on,
     * then installed under the engine's write lock: the longest any request waits */
    double prep[NSAVE], inst[NSAVE], inst_max = 0;
    for (size_t k = 0; k < NSAVE; k++) {
        const row *r = &hist[k % nhr];
        char key[64];
        snprintf(key, sizeof key, "bench-judgment-2:%zu", k);
        igc_exemplar x = {key, {r->f[1], r->f[2], r->f[3], r->f[4], r->f[5], r->f[6], r->f[7]}, {r->f[8], NULL, NULL},
                          r->f[9], NULL};
        igc_engine_add_exemplar(app.engine, &x);
        igc_engine_refit *rf = NULL;
        double s = igc_now_ms();
        int prc = igc_engine_refit_prepare(app.engine, &rf);
        double m = igc_now_ms();
        if (!prc) igc_engine_refit_apply(app.engine, rf);
        prep[k] = m - s;
        inst[k] = igc_now_ms() - m;
        igc_engine_refit_free(rf); /* what it replaced: freed after the lock, as igcd does */
        if (inst[k] > inst_max) inst_max = inst[k];
    }
    double p50 = pct(prep, NSAVE, 0.5), i50 = pct(inst, NSAVE, 0.5);
    printf("igc-bench  items %zu, exemplars %zu (%zu from history, %zu synthetic; added in %.0f ms)\n",
           igc_engine_taxonomy(app.engine)->nitems, total_ex, nh, added, build_ms);
    printf("engine     %s\nindex      %s\nqueries    %zu rows of %s, %ld repetitions\n", igc_engine_version(app.engine),
           igc_engine_index_desc(app.engine), nq, queries, reps);
    printf("single request, engine only          median %.3f ms   p99 %.3f ms\n", e50, e99);
    printf("single request, with rules and JSON  median %.3f ms   p99 %.3f ms\n", f50, f99);
    printf("the same in CPU time (this thread)   engine median %.3f ms, with rules and JSON %.3f ms\n", ec50, fc50);
    printf("batch, engine only, 1 thread         %.0f companies/s\n", tpn > 0 ? tp1 : 0);
    printf("batch, engine only, %ld threads        %.0f companies/s\n", threads, tpn);
    printf("batch, with rules and JSON, %ld thr.   %.0f companies/s\n", threads, tpf);
    printf("saving a judgment: add exemplar      median %.3f ms   refit (commit) %.2f ms\n", s50, r50);
    printf("refit in two steps (igcd)            aside %.2f ms, installed under the write lock median %.3f ms, "
           "max %.3f ms\n", p50, i50, inst_max);
    printf("peak memory (max RSS)                %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    printf("same answer as an exact index        rank 1 and applicability %.1f%%, top-3 set %.1f%%\n",
           agree[0] * 100, agree[1] * 100);
    printf("answers checksum                     %016llx (engine), %016llx (whole answer as the API gives it)\n",
           (unsigned long long)answers, (unsigned long long)full_answers);
    printf("{\"exemplars\":%zu,\"engine_p50_ms\":%.4f,\"engine_p99_ms\":%.4f,\"full_p50_ms\":%.4f,\"full_p99_ms\":%.4f,"
           "\"batch_1t\":%.0f,\"batch_%ldt\":%.0f,\"batch_full_%ldt\":%.0f,\"max_rss_mib\":%.1f,"
           "\"agree_exact_top1\":%.3f,\"agree_exact_top3\":%.3f,\"add_exemplar_p50_ms\":%.3f,\"commit_p50_ms\":%.3f,"
           "\"engine_cpu_p50_ms\":%.4f,\"full_cpu_p50_ms\":%.4f,\"refit_apply_p50_ms\":%.4f,\"refit_apply_max_ms\":%.4f,"
           "\"answers\":\"%016llx\",\"full_answers\":\"%016llx\"}\n",
           total_ex, e50, e99, f50, f99, tp1, threads, tpn, threads, tpf, (double)ru.ru_maxrss / 1024.0, agree[0],
           agree[1], s50, r50, ec50, fc50, i50, inst_max, (unsigned long long)answers, (unsigned long long)full_answers);
    free(engc), free(fullc);
    free(eng), free(full);
    free_rows(hist, nhr), free_rows(q, nq);
    igc_buf_free(&err);
    igc_app_close(&app);
    return 0;
}
