/* Administrator actions: taxonomy revisions (check, stage, activate, roll back) and re-classification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* ---- revisions and re-classification (administrator) ---- */

/* {"error": {...}, "report": report} */
static void send_report_error(igc_http_response *res, int status, const char *code, const char *msg, const char *field,
                              cJSON *report) {
    igc_http_error(res, status, code, msg, field ? &field : NULL, field ? 1 : 0);
    cJSON *o = cJSON_Parse(res->body.data);
    if (o && report) cJSON_AddItemToObject(o, "report", report);
    else cJSON_Delete(report);
    if (o) {
        res->body.len = 0;
        char *txt = cJSON_PrintUnformatted(o);
        igc_buf_puts(&res->body, txt ? txt : "{}");
        free(txt);
        cJSON_Delete(o);
    }
}

/* An administrator's change of the standard in force, in the audit log (queued,
 * written by the next store sync like a policy change). */
static void audit_revision(igc_app *a, const char *action, const char *field, const char *value) {
    if (!a->store) return;
    cJSON *f = cJSON_CreateObject();
    if (field) cJSON_AddStringToObject(f, field, value);
    igc_bundle *b = igc_app_bundle_ref(a);
    cJSON_AddStringToObject(f, "active", b->version);
    igc_app_bundle_unref(b);
    igc_app_audit(a, NULL, action, igc__api_who(), f);
}

void igc__api_revision_post(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (igc__api_check_json_type(req, res)) return;
    if (!igc_utf8_valid(req->body, req->body_len)) {
        igc_http_error(res, 400, "invalid_utf8", "요청 본문이 올바른 UTF-8이 아닙니다.", NULL, 0);
        return;
    }
    cJSON *doc = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *tx = doc ? cJSON_GetObjectItemCaseSensitive(doc, "taxonomy") : NULL;
    const cJSON *cw = doc ? cJSON_GetObjectItemCaseSensitive(doc, "crosswalk") : NULL;
    if (!cJSON_IsObject(doc)) {
        igc_http_error(res, 400, "invalid_json", "요청 본문이 JSON 객체가 아닙니다.", NULL, 0);
        cJSON_Delete(doc);
        return;
    }
    if (!cJSON_IsObject(tx) || !cJSON_IsString(cw)) {
        const char *f = !cJSON_IsObject(tx) ? "taxonomy" : "crosswalk";
        igc_http_error(res, 400, "invalid_type",
                       !cJSON_IsObject(tx) ? "taxonomy에 새 개편의 분류체계(JSON 객체)가 필요합니다."
                                           : "crosswalk에 대응표 CSV 텍스트(문자열)가 필요합니다.",
                       &f, 1);
        cJSON_Delete(doc);
        return;
    }
    char *txt = cJSON_PrintUnformatted(tx);
    const char *csv = cw->valuestring;
    size_t skip = strncmp(csv, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    cJSON *report = NULL;
    igc_taxonomy *t = NULL;
    igc_crosswalk *c = NULL;
    int rc = txt ? igc_app_revision_check(a, txt, strlen(txt), csv + skip, strlen(csv + skip), &report, &t, &c) : IGC_ENOMEM;
    if (rc) {
        int tx_bad = report && cJSON_GetObjectItem(cJSON_GetObjectItem(report, "taxonomy"), "error");
        const cJSON *errs = cJSON_GetObjectItem(cJSON_GetObjectItem(report, "crosswalk"), "errors");
        char msg[700];
        if (tx_bad)
            snprintf(msg, sizeof msg, "새 개편의 분류체계가 올바르지 않습니다: %s",
                     cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(report, "taxonomy"), "error")));
        else
            snprintf(msg, sizeof msg, "대응표가 올바르지 않습니다 (%d건): %s", cJSON_GetArraySize(errs),
                     cJSON_GetArraySize(errs) ? cJSON_GetArrayItem(errs, 0)->valuestring : "");
        send_report_error(res, 422, tx_bad ? "invalid_revision" : "invalid_crosswalk", msg, tx_bad ? "taxonomy" : "crosswalk",
                          report);
        free(txt);
        cJSON_Delete(doc);
        return;
    }
    char ver[64];
    snprintf(ver, sizeof ver, "%s", t->version);
    if (igc_app_revision_save(a, ver, txt, strlen(txt), csv + skip, strlen(csv + skip)))
        igc_log(IGC_LOG_WARN, "revision %s: its files could not be kept under %s/revisions", ver, a->cfg.db_dir);
    free(txt);
    cJSON_Delete(doc);
    cJSON *shown = cJSON_Duplicate(report, 1);
    rc = igc_app_revision_stage(a, uv_default_loop(), t, c, report);
    if (rc == IGC_ESTATE) {
        cJSON_Delete(shown);
        igc_http_error(res, 409, "staging_in_progress", "다른 개편을 준비하고 있습니다. 끝난 뒤 다시 올려 주십시오.", NULL, 0);
        return;
    }
    if (rc) {
        cJSON_Delete(shown);
        igc_http_error(res, 500, "staging_failed", "새 개편을 준비하지 못했습니다.", NULL, 0);
        return;
    }
    audit_revision(a, "taxonomy.stage", "version", ver);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", ver);
    cJSON_AddStringToObject(o, "state", "building");
    cJSON_AddItemToObject(o, "report", shown);
    igc__api_send_json(res, 201, o);
    /* where to watch the build: its state turns ready (or failed) there */
    snprintf(res->extra_headers, sizeof res->extra_headers, "Cache-Control: no-store\r\nLocation: %s\r\n",
             IGC_API_REVISIONS_PATH);
}

void igc__api_revisions_get(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)req;
    igc__api_send_json(res, 200, igc_app_revisions_json(ud));
}

void igc__api_activate(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    cJSON *doc = igc__api_body_object(req, res);
    if (!doc) return;
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "version"));
    const char *f = "version";
    if (!ver) {
        igc_http_error(res, 400, "invalid_type", "version에 활성화할 개편의 version 문자열이 필요합니다.", &f, 1);
        cJSON_Delete(doc);
        return;
    }
    cJSON *rules = NULL;
    int rc = igc_app_revision_rules_check(a, ver, &rules);
    if (rc == 0 && cJSON_GetArraySize(rules) > 0) {
        char msg[700];
        snprintf(msg, sizeof msg, "규칙이 새 개편에 없는 품목코드를 씁니다. 규칙을 고친 뒤 활성화하십시오: %s",
                 cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rules, 0), "message")));
        cJSON *rep = cJSON_CreateObject();
        cJSON_AddItemToObject(rep, "rules", rules);
        send_report_error(res, 409, "rules_name_missing_codes", msg, NULL, rep);
        cJSON_Delete(doc);
        return;
    }
    cJSON_Delete(rules);
    if (!rc) rc = igc_app_revision_activate(a, ver);
    if (rc == IGC_ENOTFOUND)
        igc_http_error(res, 404, "unknown_revision", "준비된(staged) 개편 중 그 version이 없습니다.", &f, 1);
    else if (rc == IGC_ESTATE)
        igc_http_error(res, 409, "revision_not_ready",
                       "그 개편은 아직 준비 중이거나 준비에 실패했습니다. GET /api/v1/taxonomy/revisions로 상태를 확인하십시오.", &f, 1);
    else if (rc)
        igc_http_error(res, 500, "activation_failed", "개편을 활성화하지 못했습니다.", NULL, 0);
    else {
        audit_revision(a, "taxonomy.activate", "version", ver);
        igc__api_send_json(res, 200, igc_app_revisions_json(a));
    }
    cJSON_Delete(doc);
}

void igc__api_rollback(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (igc_app_revision_rollback(a))
        igc_http_error(res, 409, "no_previous_revision", "되돌아갈 이전 개편이 없습니다.", NULL, 0);
    else {
        audit_revision(a, "taxonomy.rollback", NULL, NULL);
        igc__api_send_json(res, 200, igc_app_revisions_json(a));
    }
}

void igc__api_reclassify_post(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    char id[32];
    int rc = igc_reclass_start(a, 1, 0, NULL, NULL, id);
    if (rc == IGC_ESTATE) {
        igc_http_error(res, 409, "reclassify_running", "재분류 작업이 이미 진행 중입니다.", NULL, 0);
        return;
    }
    if (rc) {
        igc_http_error(res, 500, "reclassify_failed", "재분류 작업을 시작하지 못했습니다.", NULL, 0);
        return;
    }
    audit_revision(a, "reclassify", "job", id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "job", id);
    igc__api_send_json(res, 202, o);
}

void igc__api_reclassify_get(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char id[32];
    const char *want = req->params[0];
    if (strcmp(want, "latest") == 0 && igc_reclass_latest(a, id) == 0) want = id;
    cJSON *o = igc_reclass_json(a, want);
    if (!o) {
        igc_http_error(res, 404, "unknown_job", "그런 재분류 작업이 없습니다.", NULL, 0);
        return;
    }
    cJSON_DeleteItemFromObject(o, "last_key");
    igc__api_send_json(res, 200, o);
}

/* The job's full report file: ?format=csv (default; UTF-8 with BOM, one judgment a line) or json. */
void igc__api_reclassify_report(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char id[32], fmt[8];
    const char *want = req->params[0];
    if (strcmp(want, "latest") == 0 && igc_reclass_latest(a, id) == 0) want = id;
    cJSON *job = igc_reclass_json(a, want);
    const cJSON *rep = job ? cJSON_GetObjectItem(job, "report") : NULL;
    /* absent or empty: the default; a value too long or badly escaped is refused below */
    int qrc = igc_http_query_param(req->query, "format", fmt, sizeof fmt);
    if (qrc == IGC_ENOTFOUND || (qrc == 0 && !fmt[0])) snprintf(fmt, sizeof fmt, "csv");
    const char *f = "format";
    if (strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0) {
        igc_http_error(res, 400, "invalid_format", "format은 csv 또는 json이어야 합니다.", &f, 1);
    } else if (!job) {
        igc_http_error(res, 404, "unknown_job", "그런 재분류 작업이 없습니다.", NULL, 0);
    } else if (!cJSON_IsObject(rep)) {
        igc_http_error(res, 409, "report_not_ready", "재분류 작업이 끝나야 보고서가 있습니다.", NULL, 0);
    } else {
        /* the path comes from the job record the service wrote, never from the request */
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(rep, fmt));
        char *txt = NULL;
        size_t len = 0;
        if (!path || igc_read_file(path, &txt, &len)) {
            igc_http_error(res, 404, "report_missing", "보고서 파일을 찾을 수 없습니다.", NULL, 0);
        } else {
            res->status = 200;
            res->content_type = strcmp(fmt, "csv") == 0 ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
            igc_buf_append(&res->body, txt, len);
            snprintf(res->extra_headers, sizeof res->extra_headers,
                     "Cache-Control: no-store\r\nContent-Disposition: attachment; filename=\"reclassify-%s.%s\"\r\n",
                     cJSON_GetStringValue(cJSON_GetObjectItem(job, "job")), fmt);
        }
        free(txt);
    }
    cJSON_Delete(job);
}
