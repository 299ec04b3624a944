/* POST /api/v1/classify: validation on the loop, the engine on a worker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* ---- classification ---- */

/* Content type, body and the screen's fields of a POST; on failure the error is
 * already in res and -1 is returned. */
int igc__api_parse_request(igc_app *a, const igc_http_request *req, igc_http_response *res, igc_req *r, cJSON **doc) {
    igc_verr ve;
    *doc = NULL;
    if (igc__api_check_json_type(req, res)) return -1;
    if (igc_req_from_body(a, req->body, req->body_len, 1, r, doc, &ve)) {
        cJSON_Delete(*doc);
        *doc = NULL;
        igc__api_send_verr(res, &ve);
        return -1;
    }
    return 0;
}

/* What the answer to a classification is written from once the work is done: the
 * caller's identity is captured on the loop (igc__api_user is the loop thread's). */
typedef struct classify_job {
    uv_work_t work;
    igc_http_deferred *d;
    igc_app *a;
    igc_bundle *b;   /* held for the whole classification: a revision switch cannot free its engine */
    igc_req r;
    cJSON *doc;
    cJSON *audit;     /* the decision log record (classify_prepare) */
    char *body;       /* the answer's bytes (classify_prepare) */
    int rc;
    int see_previous; /* the caller may read the company's earlier judgments */
    char user[128];
} classify_job;

static void classify_prepare(classify_job *j, cJSON *out);

/* The worker's part: the engine, the rules and the store reads. Under the engine's read
 * lock, since a save may add an exemplar to the active engine from another thread. */
static void classify_work(classify_job *j) {
    igc_app *a = j->a;
    igc_engine *e = j->b ? igc_engine_ref(j->b->engine) : igc_app_engine_ref(a);
    pthread_rwlock_rdlock(&a->engine_rw);
    cJSON *out = NULL;
    j->rc = igc_app_classify_engine(a, e, &j->r, NULL, 1, &out);
    pthread_rwlock_unlock(&a->engine_rw);
    igc_engine_unref(e);
    classify_prepare(j, out);
    /* The answer tree (hundreds of allocations) is freed by the thread that made it: on
     * the loop, each free of another thread's block is the allocator's slow path, and
     * the loop needs only the bytes and the log record. */
    cJSON_Delete(out);
}

/* The answer's bytes and its decision log record, made on the worker so that the loop
 * only queues the record and writes the bytes (printing a 7 KB answer is most of what
 * the loop did per classification). */
static void classify_prepare(classify_job *j, cJSON *out) {
    if (j->rc) return;
    /* the decision log: who asked what (hashed), what was answered, under which versions */
    char did[40] = "", ih[65], brnm[32];
    igc_random_hex(16, did);
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToObject(in, "company", igc_req_company_json(&j->r));
    cJSON_AddItemToObject(in, "tech", igc_req_tech_json(&j->r));
    char *it = cJSON_PrintUnformatted(in);
    cJSON_Delete(in);
    igc_sha256_hex(it ? it : "", it ? strlen(it) : 0, ih);
    free(it);
    igc_app_mask_brn(j->r.brn10, brnm);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "decision_id", did);
    cJSON_AddStringToObject(f, "brn", brnm);
    cJSON_AddStringToObject(f, "input_sha256", ih);
    cJSON *ans = cJSON_AddObjectToObject(f, "answer");
    const cJSON *appl = cJSON_GetObjectItemCaseSensitive(out, "applicable");
    cJSON_AddBoolToObject(ans, "applicable", cJSON_IsTrue(appl));
    cJSON *top = cJSON_AddArrayToObject(ans, "items");
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(out, "items")) {
        const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "code"));
        if (c) cJSON_AddItemToArray(top, cJSON_CreateString(c));
    }
    static const char *vers[] = {"taxonomy_version", "engine_version", "rules_version", "lexicon_version"};
    for (int i = 0; i < 4; i++) {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, vers[i]));
        if (v) cJSON_AddStringToObject(f, vers[i], v);
    }
    j->audit = f;
    /* the company's earlier judgments are for those who may read judgments */
    if (!j->see_previous) cJSON_DeleteItemFromObjectCaseSensitive(out, "previous_judgments");
    cJSON_AddStringToObject(out, "decision_id", did);
    j->body = cJSON_PrintUnformatted(out);
}

/* The loop's part: the record into the audit queue (the loop's), the bytes out. */
static void classify_answer(classify_job *j, igc_http_response *res) {
    igc_app *a = j->a;
    if (j->rc) {
        igc_log(IGC_LOG_ERROR, "classify failed: %s", igc_strerror(j->rc));
        igc_http_error(res, 500, "internal_error", "분류 중 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.", NULL, 0);
        return;
    }
    if (!j->body || !j->audit) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
        return;
    }
    if (a->store) igc_app_audit(a, NULL, "classify", j->user[0] ? j->user : NULL, j->audit);
    else cJSON_Delete(j->audit);
    j->audit = NULL;
    res->status = 200;
    /* the bytes change hands, not copied */
    igc_buf_free(&res->body);
    size_t n = strlen(j->body);
    res->body = (igc_buf){j->body, n, n + 1};
    j->body = NULL;
    snprintf(res->extra_headers, sizeof res->extra_headers, "Cache-Control: no-store\r\n");
}

static void classify_job_free(classify_job *j) {
    cJSON_Delete(j->audit);
    free(j->body);
    cJSON_Delete(j->doc);
    igc_req_free(&j->r);
    igc_app_bundle_unref(j->b);
    free(j);
}

static void classify_work_cb(uv_work_t *w) { classify_work(w->data); }

static void classify_done_cb(uv_work_t *w, int status) {
    classify_job *j = w->data;
    igc_http_response res = {.status = 200};
    if (status) igc_http_error(&res, 503, "shutting_down", "서버가 종료 중입니다.", NULL, 0);
    else classify_answer(j, &res);
    igc_http_deferred_finish(j->d, &res);
    classify_job_free(j);
}

/* Validation on the loop (cheap), the classification on libuv's thread pool
 * (UV_THREADPOOL_SIZE, set by igcd to the cores), the answer back on the loop: the
 * loop stays free for /healthz, the screens and other requests meanwhile. */
void igc__api_classify(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    classify_job *j = calloc(1, sizeof *j);
    if (!j) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
        return;
    }
    if (igc__api_parse_request(a, req, res, &j->r, &j->doc)) {
        free(j);
        return;
    }
    j->a = a;
    j->b = igc_app_bundle_ref(a);
    j->see_previous = !igc__api_user || (igc__api_user->role & (IGC_ROLE_EXAMINER | IGC_ROLE_REVIEWER));
    snprintf(j->user, sizeof j->user, "%s", igc__api_who() ? igc__api_who() : "");
    j->work.data = j;
    j->d = igc_http_defer(req);
    if (j->d && uv_queue_work(igc_http_deferred_loop(j->d), &j->work, classify_work_cb, classify_done_cb) == 0) return;
    if (j->d) {
        /* no worker: answer on the loop after all */
        classify_work(j);
        igc_http_response now = {.status = 200};
        classify_answer(j, &now);
        igc_http_deferred_finish(j->d, &now);
        classify_job_free(j);
        return;
    }
    /* not from a server connection: here */
    classify_work(j);
    classify_answer(j, res);
    classify_job_free(j);
}
