/* Saved judgments: save, read, list, and a reviewer's confirm or void. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

#define MAX_COMMENT_CHARS 1000

/* ---- judgments ---- */

/* What a saved judgment keeps of a programmes list: id, name, agency, benefit, kind,
 * status, why, period ({from, to}) and to_check (strings only). */
static cJSON *saved_programmes(const cJSON *result) {
    cJSON *out = cJSON_CreateArray();
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(result, "programmes")) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "id"))) continue;
        cJSON *x = cJSON_CreateObject();
        static const char *const keys[] = {"id", "name", "agency", "benefit", "kind", "status", "why"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, keys[k]));
            cJSON_AddStringToObject(x, keys[k], v ? v : "");
        }
        const cJSON *per = cJSON_GetObjectItemCaseSensitive(p, "period");
        const char *from = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(per, "from"));
        const char *to = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(per, "to"));
        if (from || to) {
            cJSON *po = cJSON_AddObjectToObject(x, "period");
            cJSON_AddStringToObject(po, "from", from ? from : "");
            cJSON_AddStringToObject(po, "to", to ? to : "");
        } else {
            cJSON_AddNullToObject(x, "period");
        }
        /* what the examiner must still check (중소기업 여부, …): kept for the reopened judgment */
        cJSON *tc = cJSON_AddArrayToObject(x, "to_check");
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(p, "to_check"))
            if (cJSON_IsString(c)) cJSON_AddItemToArray(tc, cJSON_CreateString(c->valuestring));
        cJSON_AddItemToArray(out, x);
    }
    return out;
}

/* A save on a worker: judgment, superseding, exemplar and audit record in one store
 * transaction, then the running engine under its write lock (never on the loop, which
 * would wait for the classifications reading it). */
typedef struct save_job {
    igc_app *a;
    igc_req r;
    cJSON *doc, *j;
    char user[128];
    char id[IGC_STORE_ID_SIZE];
    int rc;
} save_job;

static void save_run(void *p) {
    save_job *sj = p;
    sj->rc = igc_app_judgment_save(sj->a, sj->user[0] ? sj->user : NULL, &sj->r, sj->j, sj->id);
}

static void save_answer(void *p, igc_http_response *res) {
    save_job *sj = p;
    if (sj->rc == IGC_EFULL) {
        igc_http_error(res, 507, "storage_full",
                       "저장 공간이 가득 찼습니다. 관리자에게 문의해 주세요 (이미 저장된 판별은 안전합니다).", NULL, 0);
        return;
    }
    if (sj->rc) {
        igc_http_error(res, 500, "storage_error", "판별 결과를 저장하지 못했습니다.", NULL, 0);
        return;
    }
    char brnm[32];
    igc_mask(sj->r.brn10, brnm, sizeof brnm);
    const char *item = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sj->j, "chosen_item"));
    igc_log(IGC_LOG_INFO, "judgment %s saved by %s (brn %s, item %s)", sj->id, sj->user[0] ? sj->user : "(open)",
            brnm, item ? item : "none");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", sj->id);
    /* the programmes kept are those of the decision: the screen shows them once saved */
    static const char *copy[] = {"examiner", "status", "confirmed", "supersedes", "programmes", "programmes_basis"};
    for (int k = 0; k < 6; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sj->j, copy[k]);
        if (v) cJSON_AddItemToObject(o, copy[k], cJSON_Duplicate(v, 1));
    }
    igc__api_send_json(res, 201, o);
}

static void save_free(void *p) {
    save_job *sj = p;
    cJSON_Delete(sj->j);
    cJSON_Delete(sj->doc);
    igc_req_free(&sj->r);
    free(sj);
}

void igc__api_judgment_post(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    igc_req r;
    cJSON *doc;
    if (a->cfg.max_judgment_body && req->body_len > a->cfg.max_judgment_body) {
        char msg[200];
        snprintf(msg, sizeof msg, "판별 저장 요청 본문이 너무 큽니다 (최대 %zu바이트).", a->cfg.max_judgment_body);
        igc_http_error(res, 413, "body_too_large", msg, NULL, 0);
        return;
    }
    if (igc__api_parse_request(a, req, res, &r, &doc)) return;
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(doc, "result");
    const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(doc, "chosen_item");
    const cJSON *comment = cJSON_GetObjectItemCaseSensitive(doc, "comment");
    const cJSON *none = cJSON_GetObjectItemCaseSensitive(doc, "none_reason");
    igc_engine *e = igc_engine_ref(a->engine);
    const igc_taxonomy *t = igc_engine_taxonomy(e);
    const igc_tx_item *chosen_it = cJSON_IsString(chosen) ? igc__api_item_by_code(t, chosen->valuestring) : NULL;
    const char *bad = NULL, *code = NULL, *msg = NULL;
    if (!cJSON_IsObject(result))
        bad = "result", code = "invalid_result", msg = "result 항목에 화면에 표시된 분류결과(JSON 객체)가 필요합니다.";
    else if (!chosen || (!cJSON_IsNull(chosen) && !cJSON_IsString(chosen)))
        bad = "chosen_item", code = "invalid_type", msg = "chosen_item은 품목코드 문자열 또는 null(해당 없음)이어야 합니다.";
    else if (cJSON_IsString(chosen) && !chosen_it)
        bad = "chosen_item", code = "unknown_item", msg = "선택한 품목코드가 현재 분류체계에 없습니다.";
    else if (comment && !cJSON_IsNull(comment) && !cJSON_IsString(comment))
        bad = "comment", code = "invalid_type", msg = "comment는 문자열이어야 합니다.";
    else if (cJSON_IsString(comment) && igc_utf8_len(comment->valuestring) > MAX_COMMENT_CHARS)
        bad = "comment", code = "field_too_long", msg = "의견이 너무 깁니다 (최대 1000자).";
    else if (none && !cJSON_IsNull(none) && (!cJSON_IsString(none) || !igc_none_reason_known(none->valuestring)))
        bad = "none_reason", code = "invalid_none_reason",
        msg = "none_reason은 " IGC_NONE_REASONS " 중 하나여야 합니다.";
    else if (cJSON_IsString(none) && chosen_it)
        bad = "none_reason", code = "invalid_none_reason", msg = "해당 없음 사유는 품목을 고르지 않았을 때(chosen_item이 null)만 씁니다.";
    if (bad) {
        igc_http_error(res, 400, code, msg, &bad, 1);
        goto out;
    }
    /* the quota is per user: with authentication on (open mode is this computer only) */
    if (a->auth_on && !igc_auth_rate_take(a->save_rate, igc__api_who() ? igc__api_who() : "", (unsigned)a->cfg.saves_per_minute)) {
        char rmsg[256];
        snprintf(rmsg, sizeof rmsg, "저장 요청이 너무 많습니다. 한 사용자는 1분에 %zu건까지 저장할 수 있습니다. 잠시 후 다시 시도해 주세요.",
                 a->cfg.saves_per_minute);
        igc_http_error(res, 429, "too_many_saves", rmsg, NULL, 0);
        snprintf(res->extra_headers, sizeof res->extra_headers, "Retry-After: 60\r\n");
        goto out;
    }
    {
        cJSON *j = cJSON_CreateObject();
        char now[21];
        igc_iso_now(now);
        cJSON_AddStringToObject(j, "saved_at", now);
        cJSON_AddItemToObject(j, "company", igc_req_company_json(&r));
        cJSON_AddItemToObject(j, "tech", igc_req_tech_json(&r));
        cJSON_AddItemToObject(j, "result", cJSON_Duplicate(result, 1));
        if (chosen_it) {
            cJSON_AddStringToObject(j, "chosen_item", chosen_it->code);
            cJSON_AddStringToObject(j, "chosen_item_name", chosen_it->name);
        } else {
            cJSON_AddNullToObject(j, "chosen_item");
            if (cJSON_IsString(none)) cJSON_AddStringToObject(j, "none_reason", none->valuestring);
        }
        cJSON_AddStringToObject(j, "comment", cJSON_IsString(comment) ? comment->valuestring : "");
        cJSON_AddStringToObject(j, "taxonomy_version", t->version);
        /* The versions in force when the examiner saved, from the server itself; the
         * ones the shown result claims stay inside "result" as sent. */
        igc_rules_version *cur = a->rules ? igc_rules_acquire(a->rules) : NULL;
        cJSON_AddStringToObject(j, "rules_version", cur ? igc_rules_version_id(cur) : "none");
        igc_rules_release(cur);
        /* The programmes the decision unlocks, evaluated here on the examiner's decision
         * (the chosen item, or 해당 없음 and its reason): never the list the request
         * carries, which a client could have written itself. */
        const char *on = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(result, "classified_on"));
        char today[11];
        igc_today_seoul(today);
        cJSON *wrap = cJSON_CreateObject();
        cJSON_AddItemToObject(wrap, "programmes",
                              igc_app_programmes_decided(a, &r, t, chosen_it, cJSON_IsString(none) ? none->valuestring : "",
                                                         on && strlen(on) == 10 && on[4] == '-' ? on : today));
        cJSON_AddItemToObject(j, "programmes", saved_programmes(wrap));
        cJSON_Delete(wrap);
        cJSON_AddStringToObject(j, "programmes_basis", "decision");
        cur = a->programmes ? igc_rules_acquire(a->programmes) : NULL;
        cJSON_AddStringToObject(j, "programmes_version", cur ? igc_rules_version_id(cur) : "none");
        igc_rules_release(cur);
        cJSON_AddStringToObject(j, "engine_version", igc_engine_version(e));
        save_job *sj = calloc(1, sizeof *sj);
        if (!sj) {
            cJSON_Delete(j);
            igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
            goto out;
        }
        sj->a = a;
        sj->r = r;
        sj->doc = doc;
        sj->j = j;
        snprintf(sj->user, sizeof sj->user, "%s", igc__api_who() ? igc__api_who() : "");
        igc_engine_unref(e);
        /* the store's transaction and the engine's update on a worker; the request is
         * the job's now */
        igc__api_offload(req, res, sj, save_run, save_answer, save_free);
        return;
    }
out:
    igc_engine_unref(e);
    cJSON_Delete(doc);
    igc_req_free(&r);
}

/* Every read of a judgment goes to the audit log: who read whose 사업자등록번호. */
static void audit_read(igc_app *a, const char *id, const cJSON *doc) {
    char brnm[32];
    const cJSON *co = cJSON_GetObjectItemCaseSensitive(doc, "company");
    igc_app_mask_brn(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(co, "brn")), brnm);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "judgment", id);
    cJSON_AddStringToObject(f, "brn", brnm);
    igc_app_audit(a, NULL, "judgment.read", igc__api_who(), f);
}

/* A confirmation or a voiding on a worker (store transaction, then the engine under
 * its write lock). */
typedef struct review_job {
    igc_app *a;
    int action, rc;
    char id[256], user[128], reason[2048];
    cJSON *doc;
    const char *why;
} review_job;

static void review_run(void *p) {
    review_job *rj = p;
    rj->rc = igc_app_judgment_review(rj->a, rj->user[0] ? rj->user : NULL, rj->id, rj->action, rj->reason, &rj->doc,
                                     &rj->why);
}

static void review_answer(void *p, igc_http_response *res) {
    review_job *rj = p;
    int rc = rj->rc;
    if (rc == IGC_ENOTFOUND || rc == IGC_EINVAL) {
        igc_http_error(res, 404, "unknown_judgment", "해당 판별 기록을 찾을 수 없습니다.", NULL, 0);
    } else if (rc == IGC_ESTATE) {
        const char *why = rj->why ? rj->why : "judgment_confirmed";
        const char *msg = strcmp(why, "judgment_voided") == 0        ? "이미 무효 처리된 판별입니다."
                          : strcmp(why, "judgment_superseded") == 0 ? "이후의 판별로 대체된 판별은 확정할 수 없습니다."
                          : strcmp(why, "own_judgment") == 0
                              ? "자신이 저장한 판별은 확정할 수 없습니다: 다른 검토자가 확정해야 합니다."
                              : "이미 확정된 판별입니다.";
        igc_http_error(res, 409, why, msg, NULL, 0);
    } else if (rc == IGC_EFULL) {
        igc_http_error(res, 507, "storage_full", "저장 공간이 가득 찼습니다. 관리자에게 문의해 주세요.", NULL, 0);
    } else if (rc) {
        igc_http_error(res, 500, "storage_error", "판별 기록을 고치지 못했습니다.", NULL, 0);
    } else {
        igc_log(IGC_LOG_INFO, "judgment %s %s by %s", rj->id,
                rj->action == IGC_JUDGMENT_CONFIRM ? "confirmed" : "voided", rj->user[0] ? rj->user : "(open)");
        igc__api_send_json(res, 200, rj->doc);
        rj->doc = NULL;
    }
}

static void review_free(void *p) {
    review_job *rj = p;
    cJSON_Delete(rj->doc);
    free(rj);
}

/* Confirms (reviewer) or voids (reviewer, with a reason) a judgment. */
static void judgment_review(igc_app *a, const igc_http_request *req, igc_http_response *res, int action) {
    char reason[2048] = "";
    if (action == IGC_JUDGMENT_VOID) {
        const char *f[] = {"reason"};
        cJSON *b = igc__api_body_object(req, res);
        if (!b) return;
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(b, "reason");
        if (rs && !cJSON_IsNull(rs) && !cJSON_IsString(rs)) {
            cJSON_Delete(b);
            igc_http_error(res, 400, "invalid_type", "무효 처리 사유는 문자열이어야 합니다.", f, 1);
            return;
        }
        if (cJSON_IsString(rs)) snprintf(reason, sizeof reason, "%s", rs->valuestring);
        int too_long = cJSON_IsString(rs) && igc_utf8_len(rs->valuestring) > MAX_COMMENT_CHARS;
        cJSON_Delete(b);
        igc_trim(reason);
        if (too_long) {
            igc_http_error(res, 400, "field_too_long", "무효 사유가 너무 깁니다 (최대 1000자).", f, 1);
            return;
        }
        if (!reason[0]) {
            igc_http_error(res, 400, "blank_field", "공란 입력: 무효 처리 사유를 입력해 주세요.", f, 1);
            return;
        }
    }
    review_job *rj = calloc(1, sizeof *rj);
    if (!rj) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
        return;
    }
    rj->a = a;
    rj->action = action;
    snprintf(rj->reason, sizeof rj->reason, "%s", reason);
    snprintf(rj->user, sizeof rj->user, "%s", igc__api_who() ? igc__api_who() : "");
    /* longer than any id: unknown (said by the store's own check of the cut id) */
    if (snprintf(rj->id, sizeof rj->id, "%s", req->params[0]) >= (int)sizeof rj->id) rj->id[0] = '\0';
    igc__api_offload(req, res, rj, review_run, review_answer, review_free);
}

void igc__api_judgment_confirm(void *ud, const igc_http_request *req, igc_http_response *res) {
    judgment_review(ud, req, res, IGC_JUDGMENT_CONFIRM);
}

void igc__api_judgment_void(void *ud, const igc_http_request *req, igc_http_response *res) {
    judgment_review(ud, req, res, IGC_JUDGMENT_VOID);
}

/* The judgment's result in the latest re-classification job, when there is one:
 * "reclassification": {job, taxonomy_version, relation, new_code, ...} or null. */
static void add_reclassification(igc_app *a, const char *id, cJSON *o) {
    char job[32], key[96], *txt = NULL;
    cJSON *r = NULL;
    if (igc_reclass_latest(a, job) == 0) {
        snprintf(key, sizeof key, "%s/%s", job, id);
        if (igc_store_reclass_get(a->store, key, &txt) == 0) r = cJSON_Parse(txt);
        free(txt);
        if (r) cJSON_AddStringToObject(r, "job", job);
    }
    cJSON_AddItemToObject(o, "reclassification", r ? r : cJSON_CreateNull());
}

void igc__api_judgment_get(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char *json;
    size_t len;
    int rc = igc_store_judgment_get(a->store, req->params[0], &json, &len);
    if (rc == IGC_ENOTFOUND || rc == IGC_EINVAL) {
        igc_http_error(res, 404, "unknown_judgment", "해당 판별 기록을 찾을 수 없습니다.", NULL, 0);
        return;
    }
    if (rc) {
        igc_http_error(res, 500, "storage_error", "판별 기록을 읽지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_ParseWithLength(json, len);
    free(json);
    if (!o) {
        igc_http_error(res, 500, "storage_error", "판별 기록이 손상되었습니다.", NULL, 0);
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
    cJSON_AddStringToObject(o, "id", req->params[0]);
    audit_read(a, req->params[0], o);
    add_reclassification(a, req->params[0], o);
    igc__api_send_json(res, 200, o);
}

void igc__api_judgment_list(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char brn[64], brn10[11], lim[16];
    const char *f[] = {"brn"};
    int qrc = igc_http_query_param(req->query, "brn", brn, sizeof brn);
    if (qrc == IGC_ENOTFOUND || (qrc == 0 && igc_blank(brn))) {
        igc_http_error(res, 400, "blank_field", "공란 입력: 사업자등록번호(brn)를 입력해 주세요.", f, 1);
        return;
    }
    if (qrc) {
        igc_http_error(res, 400, "invalid_brn", "사업자등록번호가 올바르지 않습니다. 10자리 숫자와 검증번호를 확인해 주세요.", f, 1);
        return;
    }
    if (igc_brn_normalize(brn, brn10)) {
        igc_http_error(res, 400, "invalid_brn", "사업자등록번호가 올바르지 않습니다. 10자리 숫자와 검증번호를 확인해 주세요.", f, 1);
        return;
    }
    long limit = 50;
    if (igc_http_query_param(req->query, "limit", lim, sizeof lim) == 0) limit = strtol(lim, NULL, 10);
    if (limit < 1 || limit > 500) limit = 50;
    igc_store_ids ids;
    if (igc_store_judgment_list_brn(a->store, brn10, (size_t)limit, &ids)) {
        igc_http_error(res, 500, "storage_error", "판별 이력을 읽지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "judgments");
    static const char *copy[] = {"saved_at",   "chosen_item",  "chosen_item_name", "none_reason",
                                 "comment",    "taxonomy_version", "rules_version", "examiner",
                                 "status",     "confirmed",    "confirmed_by",     "supersedes",
                                 "superseded_by", "voided_by", "void_reason"};
    for (size_t i = 0; i < ids.n; i++) {
        cJSON *j, *x = igc_app_judgment_brief(a, ids.ids[i], copy, sizeof copy / sizeof copy[0], &j);
        if (!x) continue;
        add_reclassification(a, ids.ids[i], x);
        cJSON *co = cJSON_GetObjectItemCaseSensitive(j, "company");
        cJSON *nm = co ? cJSON_GetObjectItemCaseSensitive(co, "name") : NULL;
        cJSON_AddStringToObject(x, "company_name", cJSON_IsString(nm) ? nm->valuestring : "");
        cJSON *result = cJSON_GetObjectItemCaseSensitive(j, "result");
        cJSON *items = result ? cJSON_GetObjectItemCaseSensitive(result, "items") : NULL;
        cJSON *top = cJSON_GetArrayItem(items, 0);
        cJSON *tc = top ? cJSON_GetObjectItemCaseSensitive(top, "code") : NULL;
        if (cJSON_IsString(tc)) cJSON_AddStringToObject(x, "top_item", tc->valuestring);
        cJSON *app = result ? cJSON_GetObjectItemCaseSensitive(result, "applicable") : NULL;
        if (cJSON_IsBool(app)) cJSON_AddBoolToObject(x, "applicable", cJSON_IsTrue(app));
        if (!cJSON_GetObjectItemCaseSensitive(x, "status")) cJSON_AddStringToObject(x, "status", "current");
        cJSON_AddItemToArray(arr, x);
        cJSON_Delete(j);
    }
    if (ids.n) {
        char brnm[32];
        igc_app_mask_brn(brn10, brnm);
        cJSON *af = cJSON_CreateObject();
        cJSON_AddStringToObject(af, "brn", brnm);
        cJSON_AddNumberToObject(af, "judgments", (double)ids.n);
        igc_app_audit(a, NULL, "judgment.list", igc__api_who(), af);
    }
    igc_store_ids_free(&ids);
    igc__api_send_json(res, 200, o);
}
