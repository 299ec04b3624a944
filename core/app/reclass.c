/*
 * The re-classification job: every stored judgment (examiners' saved judgments and
 * imported past judgments, i.e. every exemplar in the store) classified again under the
 * active revision, on its own thread, with its progress and results in the store
 * (results in their own sub-database, never over the original record). A batch of
 * results and the job's progress are written in one transaction, so a job killed at any
 * point resumes after its last batch with nothing lost or counted twice.
 *
 * For one judgment: old code -> the crosswalk's candidates -> the engine's answer among
 * those candidates where the relation leaves a choice (split) -> needs review when the
 * crosswalk and the engine disagree or the old item was removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "igc_app.h"

#define BATCH 64
#define REPORT_REVIEW_MAX 50 /* review entries kept in the job record; the files have all */
#define MAX_PARTS 64

struct igc_reclass {
    pthread_t th;
    int started;
    int stop;                 /* atomic: asks the worker to stop after its batch */
    igc_app *app;
    igc_bundle *b;
    cJSON *job;               /* the job record (worker's copy) */
    char id[32];
    size_t batch;
    int threads;              /* classifying a batch */
    void (*progress)(void *ud, size_t done, size_t total);
    void *progress_ud;
};

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void meta_key(const char *id, char *out, size_t n) { snprintf(out, n, "reclass.job.%s", id); }

static void set_str(cJSON *o, const char *k, const char *v) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddStringToObject(o, k, v);
}

static void set_num(cJSON *o, const char *k, double v) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddNumberToObject(o, k, v);
}

static int save_job(igc_store *s, const cJSON *job, const char *const *keys, const char *const *docs, size_t n) {
    char mk[64];
    meta_key(jstr(job, "job"), mk, sizeof mk);
    char *txt = cJSON_PrintUnformatted(job);
    if (!txt) return IGC_ENOMEM;
    int rc = igc_store_reclass_put(s, keys, docs, n, mk, txt);
    free(txt);
    return rc;
}

cJSON *igc_reclass_json(igc_app *a, const char *id) {
    char mk[64], *txt = NULL;
    if (!a->store || !id || strlen(id) > 40) return NULL;
    meta_key(id, mk, sizeof mk);
    if (igc_store_meta_get(a->store, mk, &txt)) return NULL;
    cJSON *o = cJSON_Parse(txt);
    free(txt);
    return o;
}

int igc_reclass_latest(igc_app *a, char id[32]) {
    char *v = NULL;
    id[0] = '\0';
    if (!a->store || igc_store_meta_get(a->store, "reclass.latest", &v)) return IGC_ENOTFOUND;
    snprintf(id, 32, "%s", v);
    free(v);
    return 0;
}

/* ---- one judgment ---- */

/* The engine input of stored exemplar x (its strings stay x's). */
static igc_engine_input stored_input(const cJSON *x) {
    igc_engine_input in = {0};
    in.company_name = jstr(x, "company");
    in.ksic_code = jstr(x, "ksic_code");
    in.ksic_name = jstr(x, "ksic_name");
    in.main_product = jstr(x, "main_product");
    in.product_use = jstr(x, "product_use");
    in.tech_business_name = jstr(x, "tech_business_name");
    in.tech_class = jstr(x, "tech_class");
    return in;
}

/* Judgment key (stored exemplar x) classified again; its dense products from slot bi of
 * batch eb when given (made on b->engine). */
static cJSON *reclassify_one(igc_app *a, const igc_bundle *b, const char *key, const cJSON *x,
                             const igc_engine_batch *eb, size_t bi) {
    igc_engine_input in = stored_input(x);
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(x, "labels");
    const cJSON *l0 = cJSON_GetArrayItem(labels, 0);
    const char *old = cJSON_IsString(l0) ? l0->valuestring : NULL;
    const char *ver = jstr(x, "taxonomy_version");
    const igc_taxonomy *nt = igc_engine_taxonomy(b->engine);
    const char *from_ver = b->crosswalk ? igc_crosswalk_from(b->crosswalk)->version : NULL;
    if (!ver) ver = from_ver ? from_ver : b->version; /* saved before revisions were recorded */

    igc_engine_result r;
    pthread_rwlock_rdlock(&a->engine_rw);
    /* codes, scores and applicability only: no explanations */
    int flags = IGC_ENGINE_STORED | IGC_ENGINE_NO_EXPLAIN;
    int rc = igc_engine_classify_in(b->engine, &in, eb, bi, key, flags, &r);
    /* a save changed the engine since the batch was made: this one alone */
    if (rc == IGC_ESTATE) rc = igc_engine_classify_in(b->engine, &in, NULL, 0, key, flags, &r);
    pthread_rwlock_unlock(&a->engine_rw);
    if (rc) return NULL;
    const char *top = r.ncands ? r.cands[0].item->code : NULL;

    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", key);
    cJSON_AddStringToObject(o, "source", jstr(x, "source") ? jstr(x, "source") : "");
    cJSON_AddStringToObject(o, "company", in.company_name ? in.company_name : "");
    cJSON_AddStringToObject(o, "old_version", ver);
    if (old) cJSON_AddStringToObject(o, "old_code", old);
    else cJSON_AddNullToObject(o, "old_code");
    cJSON *cands = cJSON_AddArrayToObject(o, "candidates");
    const char *relation, *new_code = NULL, *reason = NULL;
    int agree = 0;
    if (!old) {
        relation = "not_applicable";
        agree = !r.applicable;
        if (!agree) reason = "engine_finds_item";
    } else if (strcmp(ver, b->version) == 0) {
        relation = "current";
        new_code = old;
        cJSON_AddItemToArray(cands, cJSON_CreateString(old));
        agree = top && strcmp(top, old) == 0;
    } else if (!from_ver || strcmp(ver, from_ver) != 0) {
        relation = "unknown";
        reason = "no_crosswalk";
    } else {
        const igc_xw_row *rows[MAX_PARTS];
        size_t n = igc_crosswalk_targets(b->crosswalk, old, rows, MAX_PARTS);
        if (n > MAX_PARTS) n = MAX_PARTS;
        if (!n) {
            relation = "unknown";
            reason = "not_in_crosswalk";
        } else {
            relation = igc_crosswalk_relation_names[rows[0]->relation];
            for (size_t k = 0; k < n; k++)
                if (*rows[k]->to) cJSON_AddItemToArray(cands, cJSON_CreateString(rows[k]->to));
            if (rows[0]->relation == IGC_XW_REMOVED) {
                reason = "removed";
            } else if (rows[0]->relation == IGC_XW_SPLIT) {
                /* the engine chooses among the parts only */
                for (size_t c = 0; c < r.ncands && !new_code; c++)
                    for (size_t k = 0; k < n; k++)
                        if (strcmp(r.cands[c].item->code, rows[k]->to) == 0) new_code = rows[k]->to;
                for (size_t k = 0; k < n && top; k++) agree |= strcmp(top, rows[k]->to) == 0;
                if (!new_code) reason = "split_unresolved";
                else if (!agree) reason = "engine_outside_split";
            } else {
                new_code = rows[0]->to;
                agree = top && strcmp(top, new_code) == 0;
                if (!agree) reason = "engine_disagrees";
            }
        }
    }
    cJSON_AddStringToObject(o, "relation", relation);
    if (new_code) {
        const igc_tx_item *it = igc_taxonomy_item(nt, new_code);
        cJSON_AddStringToObject(o, "new_code", new_code);
        cJSON_AddStringToObject(o, "new_name", it ? it->name : "");
    } else {
        cJSON_AddNullToObject(o, "new_code");
    }
    if (top) {
        cJSON_AddStringToObject(o, "engine_code", top);
        cJSON_AddNumberToObject(o, "engine_score", (double)(int)(r.cands[0].score * 1000 + 0.5) / 1000);
    } else {
        cJSON_AddNullToObject(o, "engine_code");
    }
    cJSON_AddBoolToObject(o, "engine_applicable", r.applicable);
    cJSON_AddBoolToObject(o, "agree", agree);
    cJSON_AddBoolToObject(o, "needs_review", reason != NULL);
    if (reason) cJSON_AddStringToObject(o, "reason", reason);
    else cJSON_AddNullToObject(o, "reason");
    cJSON_AddStringToObject(o, "taxonomy_version", b->version);
    igc_engine_result_free(&r);
    return o;
}

/* ---- the report ---- */

typedef struct {
    cJSON *by_rel, *review;
    size_t n, agree, needs_review;
    igc_buf csv;
} report_ctx;

static const char *const csv_cols[] = {"key", "source", "company", "old_version", "old_code", "relation", "candidates",
                                       "new_code", "new_name", "engine_code", "engine_score", "agree", "needs_review",
                                       "reason"};

static int report_cb(void *ud, const char *key, const char *json, size_t len) {
    report_ctx *c = ud;
    (void)key;
    cJSON *o = cJSON_ParseWithLength(json, len);
    if (!o) return 0;
    const char *rel = jstr(o, "relation");
    cJSON *rc = cJSON_GetObjectItemCaseSensitive(c->by_rel, rel);
    if (!rc) {
        rc = cJSON_AddObjectToObject(c->by_rel, rel);
        cJSON_AddNumberToObject(rc, "judgments", 0);
        cJSON_AddNumberToObject(rc, "agree", 0);
        cJSON_AddNumberToObject(rc, "needs_review", 0);
    }
    int agree = cJSON_IsTrue(cJSON_GetObjectItem(o, "agree")), rev = cJSON_IsTrue(cJSON_GetObjectItem(o, "needs_review"));
    set_num(rc, "judgments", jnum(rc, "judgments") + 1);
    set_num(rc, "agree", jnum(rc, "agree") + agree);
    set_num(rc, "needs_review", jnum(rc, "needs_review") + rev);
    c->n++;
    c->agree += agree;
    c->needs_review += rev;
    if (rev) {
        cJSON *e = cJSON_CreateObject();
        static const char *const keep[] = {"key", "company", "old_code", "relation", "new_code", "engine_code", "reason"};
        for (size_t k = 0; k < sizeof keep / sizeof *keep; k++) {
            const cJSON *v = cJSON_GetObjectItem(o, keep[k]);
            cJSON_AddItemToObject(e, keep[k], v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
        }
        cJSON_AddItemToArray(c->review, e);
    }
    for (size_t k = 0; k < sizeof csv_cols / sizeof *csv_cols; k++) {
        const cJSON *v = cJSON_GetObjectItem(o, csv_cols[k]);
        igc_buf cell = {0};
        if (cJSON_IsString(v)) igc_buf_puts(&cell, v->valuestring);
        else if (cJSON_IsBool(v)) igc_buf_puts(&cell, cJSON_IsTrue(v) ? "1" : "0");
        else if (cJSON_IsNumber(v)) igc_buf_printf(&cell, "%g", v->valuedouble);
        else if (cJSON_IsArray(v)) {
            const cJSON *e;
            int first = 1;
            cJSON_ArrayForEach(e, v) if (cJSON_IsString(e)) igc_buf_printf(&cell, "%s%s", first ? "" : ";", e->valuestring), first = 0;
        }
        if (k) igc_buf_puts(&c->csv, ",");
        igc_csv_field(&c->csv, cell.data ? cell.data : "");
        igc_buf_free(&cell);
    }
    igc_buf_puts(&c->csv, "\r\n");
    cJSON_Delete(o);
    return 0;
}

/* Counts by relation, agreement and the review list from the job's stored results;
 * writes <db>/reclass/<job>.json and .csv; returns the report for the job record. */
static cJSON *build_report(igc_app *a, const char *id) {
    report_ctx c = {cJSON_CreateObject(), cJSON_CreateArray(), 0, 0, 0, {0}};
    igc_buf_puts(&c.csv, "\xEF\xBB\xBF"); /* Excel reads UTF-8 with a BOM */
    for (size_t k = 0; k < sizeof csv_cols / sizeof *csv_cols; k++) igc_buf_printf(&c.csv, "%s%s", k ? "," : "", csv_cols[k]);
    igc_buf_puts(&c.csv, "\r\n");
    char prefix[48];
    snprintf(prefix, sizeof prefix, "%s/", id);
    igc_store_reclass_foreach(a->store, prefix, report_cb, &c);
    cJSON *full = cJSON_CreateObject();
    cJSON_AddStringToObject(full, "job", id);
    cJSON_AddNumberToObject(full, "judgments", (double)c.n);
    cJSON_AddNumberToObject(full, "agree", (double)c.agree);
    cJSON_AddNumberToObject(full, "agreement", c.n ? (double)(int)(1000.0 * c.agree / c.n + 0.5) / 1000 : 0);
    cJSON_AddNumberToObject(full, "needs_review", (double)c.needs_review);
    cJSON_AddItemToObject(full, "by_relation", c.by_rel);
    char dir[PATH_MAX + 32], path[PATH_MAX + 96];
    snprintf(dir, sizeof dir, "%s/reclass", a->cfg.db_dir);
    mkdir(dir, 0700);
    cJSON *summary = cJSON_Duplicate(full, 1);
    cJSON_AddItemToObject(full, "review", c.review);
    char *txt = cJSON_Print(full);
    snprintf(path, sizeof path, "%s/%s.json", dir, id);
    if (txt) igc_write_file_atomic(path, txt, strlen(txt));
    cJSON_AddStringToObject(summary, "json", path);
    free(txt);
    snprintf(path, sizeof path, "%s/%s.csv", dir, id);
    igc_write_file_atomic(path, c.csv.data, c.csv.len);
    cJSON_AddStringToObject(summary, "csv", path);
    cJSON *rv = cJSON_AddArrayToObject(summary, "review");
    for (int i = 0; i < cJSON_GetArraySize(c.review) && i < REPORT_REVIEW_MAX; i++)
        cJSON_AddItemToArray(rv, cJSON_Duplicate(cJSON_GetArrayItem(c.review, i), 1));
    cJSON_Delete(full);
    igc_buf_free(&c.csv);
    return summary;
}

/* ---- the worker ---- */

/* A batch is read from the store first, then classified by up to MAX_THREADS threads
 * (the engine only reads), then written with the job's progress in one transaction. */
#define MAX_THREADS 8

typedef struct {
    struct igc_reclass *j;
    const char *last;         /* resume after this key ("" from the start) */
    char *xkeys[BATCH];       /* the exemplars of the batch */
    char *xjson[BATCH];
    char *keys[BATCH];        /* their results */
    char *docs[BATCH];
    size_t n;
    int nthreads;
} walk_ctx;

typedef struct {
    walk_ctx *w;
    int t;
} part_arg;

/* Thread t's contiguous part of the batch, its engine products made for the part at
 * once (igc_engine_batch_new). */
static void *classify_part(void *arg) {
    part_arg *p = arg;
    walk_ctx *w = p->w;
    struct igc_reclass *j = w->j;
    size_t from = w->n * (size_t)p->t / (size_t)w->nthreads, to = w->n * (size_t)(p->t + 1) / (size_t)w->nthreads;
    cJSON *xs[BATCH] = {0};
    igc_engine_input in[BATCH];
    size_t slot[BATCH], nin = 0;
    for (size_t i = from; i < to; i++) {
        xs[i - from] = cJSON_Parse(w->xjson[i]);
        if (xs[i - from]) slot[i - from] = nin, in[nin++] = stored_input(xs[i - from]);
    }
    igc_engine_batch *eb = NULL;
    pthread_rwlock_rdlock(&j->app->engine_rw);
    if (igc_engine_batch_new(j->b->engine, in, nin, &eb)) eb = NULL; /* each alone then */
    pthread_rwlock_unlock(&j->app->engine_rw);
    for (size_t i = from; i < to; i++) {
        cJSON *x = xs[i - from];
        cJSON *res = x ? reclassify_one(j->app, j->b, w->xkeys[i], x, eb, slot[i - from]) : NULL;
        cJSON_Delete(x);
        if (!res) {
            /* a damaged exemplar still gets a result, so done reaches total */
            res = cJSON_CreateObject();
            cJSON_AddStringToObject(res, "key", w->xkeys[i]);
            cJSON_AddStringToObject(res, "relation", "unreadable");
            cJSON_AddBoolToObject(res, "agree", 0);
            cJSON_AddBoolToObject(res, "needs_review", 1);
            cJSON_AddStringToObject(res, "reason", "unreadable");
        }
        char rk[IGC_STORE_MAX_KEY + 64];
        snprintf(rk, sizeof rk, "%s/%s", j->id, w->xkeys[i]);
        w->keys[i] = igc_strdup(rk);
        w->docs[i] = cJSON_PrintUnformatted(res);
        cJSON_Delete(res);
    }
    igc_engine_batch_free(eb);
    return NULL;
}

static void free_batch(walk_ctx *w) {
    for (size_t i = 0; i < w->n; i++) {
        free(w->xkeys[i]), free(w->xjson[i]), free(w->keys[i]), free(w->docs[i]);
        w->xkeys[i] = w->xjson[i] = w->keys[i] = w->docs[i] = NULL;
    }
    w->n = 0;
}

static int flush(walk_ctx *w) {
    struct igc_reclass *j = w->j;
    if (!w->n) return 0;
    pthread_t th[MAX_THREADS];
    part_arg args[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 1; t < w->nthreads; t++) {
        args[t] = (part_arg){w, t};
        started[t] = pthread_create(&th[t], NULL, classify_part, &args[t]) == 0;
    }
    args[0] = (part_arg){w, 0};
    classify_part(&args[0]);
    for (int t = 1; t < w->nthreads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else classify_part(&args[t]);
    }
    for (size_t i = 0; i < w->n; i++)
        if (!w->keys[i] || !w->docs[i]) {
            free_batch(w);
            return IGC_ENOMEM;
        }
    set_num(j->job, "done", jnum(j->job, "done") + (double)w->n);
    set_str(j->job, "last_key", w->xkeys[w->n - 1]); /* where the walk resumes */
    int rc = save_job(j->app->store, j->job, (const char *const *)w->keys, (const char *const *)w->docs, w->n);
    free_batch(w);
    if (j->progress) j->progress(j->progress_ud, (size_t)jnum(j->job, "done"), (size_t)jnum(j->job, "total"));
    return rc;
}

/* Collects one page of exemplars into the batch (the read transaction ends before any
 * classification or write). */
static int page_cb(void *ud, const char *key, const char *json, size_t len) {
    walk_ctx *w = ud;
    (void)len;
    w->xkeys[w->n] = igc_strdup(key);
    w->xjson[w->n] = igc_strdup(json);
    w->n++;
    return w->xkeys[w->n - 1] && w->xjson[w->n - 1] ? 0 : IGC_ENOMEM;
}

/* The walk: page after page from the job's last key, each classified and written with
 * the job's progress. */
static int walk(walk_ctx *w) {
    struct igc_reclass *j = w->j;
    char last[IGC_STORE_MAX_KEY + 1];
    snprintf(last, sizeof last, "%s", w->last);
    for (;;) {
        if (__atomic_load_n(&j->stop, __ATOMIC_ACQUIRE)) return IGC_ESTATE;
        size_t got = 0;
        int rc = igc_store_exemplar_page(j->app->store, last, j->batch, page_cb, w, &got);
        if (rc) {
            free_batch(w);
            return rc;
        }
        if (!got) return 0;
        snprintf(last, sizeof last, "%s", w->xkeys[w->n - 1]);
        if ((rc = flush(w))) return rc;
    }
}

static void *worker(void *arg) {
    struct igc_reclass *j = arg;
    double t0 = igc_now_ms();
    const char *last = jstr(j->job, "last_key");
    char *last_copy = igc_strdup(last ? last : "");
    walk_ctx w = {.j = j, .last = last_copy, .nthreads = j->threads};
    int rc = walk(&w);
    free_batch(&w);
    free(last_copy);
    set_num(j->job, "elapsed_ms", jnum(j->job, "elapsed_ms") + igc_now_ms() - t0);
    if (rc == IGC_ESTATE) {
        /* stopped (shutdown): left running, resumed at the next start */
        save_job(j->app->store, j->job, NULL, NULL, 0);
        return NULL;
    }
    char now[21];
    igc_iso_now(now);
    set_str(j->job, "finished_at", now);
    if (rc) {
        set_str(j->job, "state", "failed");
        char msg[256];
        snprintf(msg, sizeof msg, "재분류 작업이 실패했습니다: %s", igc_strerror(rc));
        set_str(j->job, "error", msg);
    } else {
        set_str(j->job, "state", "done");
        cJSON_DeleteItemFromObject(j->job, "report");
        cJSON_AddItemToObject(j->job, "report", build_report(j->app, j->id));
        /* done counts every result; judgments saved during the job before the walk's
         * position are in the next job */
        set_num(j->job, "total", jnum(j->job, "done"));
    }
    save_job(j->app->store, j->job, NULL, NULL, 0);
    igc_log(rc ? IGC_LOG_ERROR : IGC_LOG_INFO, "re-classification %s %s: %.0f judgments", j->id, rc ? "failed" : "done",
            jnum(j->job, "done"));
    return NULL;
}

static int launch(igc_app *a, cJSON *job, int background, size_t batch,
                  void (*progress)(void *, size_t, size_t), void *ud) {
    struct igc_reclass *j = calloc(1, sizeof *j);
    if (!j) {
        cJSON_Delete(job);
        return IGC_ENOMEM;
    }
    j->app = a;
    j->b = igc_app_bundle_ref(a);
    j->job = job;
    /* IGC_RECLASS_BATCH: results per transaction when the caller leaves it (1..64): smaller
     * batches lose less work to a crash and cost one fsync each */
    const char *env = getenv("IGC_RECLASS_BATCH");
    if (!batch && env && *env) batch = strtoul(env, NULL, 10);
    j->batch = batch && batch <= BATCH ? batch : BATCH;
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    j->threads = nc < 1 ? 1 : nc > MAX_THREADS ? MAX_THREADS : (int)nc;
    j->progress = progress;
    j->progress_ud = ud;
    snprintf(j->id, sizeof j->id, "%s", jstr(job, "job"));
    a->reclass = j;
    if (background && pthread_create(&j->th, NULL, worker, j) == 0) {
        j->started = 1;
        return 0;
    }
    worker(j);
    igc_reclass_stop(a);
    return 0;
}

int igc_reclass_running(igc_app *a) {
    struct igc_reclass *j = a->reclass;
    if (!j) return 0;
    cJSON *cur = igc_reclass_json(a, j->id);
    int running = cur && strcmp(jstr(cur, "state") ? jstr(cur, "state") : "", "running") == 0;
    cJSON_Delete(cur);
    return running;
}

int igc_reclass_start(igc_app *a, int background, size_t batch, void (*progress)(void *, size_t, size_t), void *ud,
                      char id[32]) {
    if (!a->store) return IGC_ESTATE;
    if (a->reclass && igc_reclass_running(a)) {
        snprintf(id, 32, "%s", a->reclass->id);
        return IGC_ESTATE;
    }
    igc_reclass_stop(a); /* joins a finished worker */
    igc_store_stats st;
    int rc = igc_store_stat(a->store, &st);
    if (rc) return rc;
    igc_bundle *b = igc_app_bundle_ref(a);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(id, 32, "R%013lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    cJSON *job = cJSON_CreateObject();
    char now[21];
    igc_iso_now(now);
    cJSON_AddStringToObject(job, "job", id);
    cJSON_AddStringToObject(job, "state", "running");
    cJSON_AddStringToObject(job, "to", b->version);
    if (b->crosswalk) cJSON_AddStringToObject(job, "from", igc_crosswalk_from(b->crosswalk)->version);
    else cJSON_AddNullToObject(job, "from");
    cJSON_AddNumberToObject(job, "total", (double)st.exemplars);
    cJSON_AddNumberToObject(job, "done", 0);
    cJSON_AddStringToObject(job, "last_key", "");
    cJSON_AddStringToObject(job, "started_at", now);
    cJSON_AddNullToObject(job, "report");
    igc_app_bundle_unref(b);
    if ((rc = save_job(a->store, job, NULL, NULL, 0)) || (rc = igc_store_meta_set(a->store, "reclass.latest", id))) {
        cJSON_Delete(job);
        return rc;
    }
    return launch(a, job, background, batch, progress, ud);
}

int igc_reclass_resume(igc_app *a, int background, size_t batch, void (*progress)(void *, size_t, size_t), void *ud,
                       char id[32]) {
    if (igc_reclass_latest(a, id)) return IGC_ENOTFOUND;
    cJSON *job = igc_reclass_json(a, id);
    const char *state = job ? jstr(job, "state") : NULL;
    if (!state || strcmp(state, "running") != 0) {
        cJSON_Delete(job);
        return IGC_ENOTFOUND;
    }
    igc_bundle *b = igc_app_bundle_ref(a);
    int same = strcmp(jstr(job, "to") ? jstr(job, "to") : "", b->version) == 0;
    igc_app_bundle_unref(b);
    if (!same) {
        /* its revision is no longer active: it cannot finish, so it says so instead of
         * showing "running" for ever; a new job re-classifies under the active one */
        igc_log(IGC_LOG_WARN, "re-classification %s was for revision %s, not the active one: stopped", id,
                jstr(job, "to"));
        set_str(job, "state", "failed");
        char msg[256];
        snprintf(msg, sizeof msg, "작업 대상 개편(%s)이 더 이상 활성 개편이 아니어서 멈췄습니다. 새 재분류 작업을 시작하십시오.",
                 jstr(job, "to"));
        set_str(job, "error", msg);
        save_job(a->store, job, NULL, NULL, 0);
        cJSON_Delete(job);
        return IGC_ESTATE;
    }
    igc_log(IGC_LOG_INFO, "re-classification %s resumes after %.0f of %.0f", id, jnum(job, "done"), jnum(job, "total"));
    return launch(a, job, background, batch, progress, ud);
}

void igc_reclass_stop(igc_app *a) {
    struct igc_reclass *j = a->reclass;
    if (!j) return;
    __atomic_store_n(&j->stop, 1, __ATOMIC_RELEASE);
    if (j->started) pthread_join(j->th, NULL);
    igc_app_bundle_unref(j->b);
    cJSON_Delete(j->job);
    free(j);
    a->reclass = NULL;
}
