/* Health, readiness and the status page of igcd, and the web screens' files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "igc_static.h"

/* ---- health ---- */

void igc__api_healthz(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud, (void)req;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    igc__api_send_json(res, 200, o);
}

#define STORE_FULL_AT 0.95 /* share of the map at which /readyz answers 503 */

/* Share of the LMDB map in use, 0 when unknown. */
static double store_used(igc_app *a) {
    igc_store_stats st;
    if (!a->store || igc_store_stat(a->store, &st) || !st.map_size) return 0;
    return (double)st.map_used / (double)st.map_size;
}

void igc__api_readyz(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    int ready = a->engine && a->store && (a->rules || a->cfg.no_rules);
    double used = store_used(a);
    /* the alarm comes well before the map is full; at STORE_FULL_AT saves are about
     * to fail, so the service is no longer ready */
    int alarm = used >= (double)a->cfg.store_alarm_pct / 100.0;
    if (used >= STORE_FULL_AT) ready = 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ready", ready);
    cJSON_AddNumberToObject(o, "store_used", (double)(int)(used * 1000 + 0.5) / 1000);
    if (alarm) {
        char msg[300];
        snprintf(msg, sizeof msg, "저장소(LMDB)가 %.0f%% 찼습니다 (경보 기준 %zu%%). 가득 차면 판별을 저장할 수 없습니다: --map-mb를 늘려 다시 시작하거나 보존 기한이 지난 판별을 정리하십시오.",
                 used * 100, a->cfg.store_alarm_pct);
        cJSON_AddStringToObject(o, "store_alarm", msg);
    }
    cJSON_AddBoolToObject(o, "taxonomy", a->engine != NULL);
    cJSON_AddBoolToObject(o, "index", a->engine != NULL);
    cJSON_AddBoolToObject(o, "rules", a->rules != NULL);
    cJSON_AddBoolToObject(o, "store", a->store != NULL);
    igc__api_send_json(res, ready ? 200 : 503, o);
}

void igc__api_status(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    igc_engine *e = igc_engine_ref(a->engine);
    const igc_taxonomy *t = igc_engine_taxonomy(e);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "service", "igcd");
    cJSON_AddStringToObject(o, "version", IGC_VERSION);
    cJSON_AddStringToObject(o, "started_at", a->loaded_at);
    cJSON_AddStringToObject(o, "taxonomy_version", t->version);
    cJSON *tx = cJSON_AddObjectToObject(o, "taxonomy");
    cJSON_AddStringToObject(tx, "version", t->version);
    cJSON_AddNumberToObject(tx, "themes", (double)t->nthemes);
    cJSON_AddNumberToObject(tx, "fields", (double)t->nfields);
    cJSON_AddNumberToObject(tx, "items", (double)t->nitems);
    cJSON_AddStringToObject(o, "engine_version", igc_engine_version(e));
    cJSON_AddStringToObject(o, "index", igc_engine_index_desc(e));
    cJSON_AddStringToObject(o, "model", a->enc ? a->enc->version : "none");
    cJSON_AddNumberToObject(o, "exemplars", (double)igc_engine_exemplar_count(e));
    /* stored judgments the active revision leaves out on purpose: the expected gap to store.exemplars */
    igc_bundle *ab = igc_app_bundle_ref(a);
    cJSON_AddNumberToObject(o, "exemplars_left_out", ab ? (double)ab->nleft_out : 0);
    igc_app_bundle_unref(ab);
    /* what an operator must act on, {code, message}; [] when all is well */
    cJSON *warn = cJSON_AddArrayToObject(o, "warnings");
    if (igc_engine_exemplar_count(e) == 0) {
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "code", "no_past_judgments");
        cJSON_AddStringToObject(w, "message",
                                "저장소에 과거 판별이 없어 분류 정확도가 크게 낮습니다. 서버 컴퓨터에서 igc --db <저장소> history "
                                "import <데이터>/labeled/history.csv 명령으로 가져오십시오(실행 중에도 1초 안에 "
                                "반영됩니다).");
        cJSON_AddItemToArray(warn, w);
    }
    char lost[sizeof a->revision_lost];
    pthread_mutex_lock(&a->bundle_mu);
    memcpy(lost, a->revision_lost, sizeof lost);
    pthread_mutex_unlock(&a->bundle_mu);
    if (lost[0]) {
        char msg[600];
        snprintf(msg, sizeof msg,
                 "저장소에는 분류체계 %s가 활성으로 기록되어 있으나 그 파일(<저장소>/revisions/)을 찾거나 읽지 못해 %s로 "
                 "판별하고 있습니다. 백업에서 되살렸다면 revisions 폴더도 함께 되살린 뒤 다시 시작하거나, 새 개정판을 "
                 "다시 올려 활성화하십시오 (운영 안내서 6장).",
                 lost, t->version);
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "code", "revision_not_restored");
        cJSON_AddStringToObject(w, "message", msg);
        cJSON_AddItemToArray(warn, w);
    }
    size_t nusers = 0;
    if (!a->auth_on && a->store && igc_auth_active_users(a->store, &nusers) == 0 && nusers > 0) {
        /* authentication is decided at start: users added since do nothing until a restart */
        char msg[300];
        snprintf(msg, sizeof msg,
                 "사용자 %zu명이 등록되었지만 igcd를 다시 시작해야 인증이 켜집니다. 지금은 인증 없이(개방 모드) 실행 "
                 "중입니다.",
                 nusers);
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "code", "auth_needs_restart");
        cJSON_AddStringToObject(w, "message", msg);
        cJSON_AddItemToArray(warn, w);
    }
    igc_store_stats sst = {0};
    if (a->store && igc_store_stat(a->store, &sst) == 0 && sst.write_error) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "%s 마지막 저장이 실패했습니다(%s). 저장소 폴더의 디스크 여유·권한을 확인하십시오. 원인을 없애면 다음 "
                 "저장부터 다시 됩니다(이미 저장된 판별은 안전합니다).",
                 sst.write_error == ENOSPC || sst.write_error == EDQUOT ? "디스크 공간이 부족해" : "저장소에 쓰지 못해",
                 sst.write_error_text);
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "code", "store_write_failed");
        cJSON_AddStringToObject(w, "message", msg);
        cJSON_AddItemToArray(warn, w);
    }
    double used = store_used(a);
    if (used >= (double)a->cfg.store_alarm_pct / 100.0) {
        char msg[300];
        snprintf(msg, sizeof msg, "저장소(LMDB)가 %.0f%% 찼습니다 (경보 기준 %zu%%). 가득 차면 판별을 저장할 수 없습니다: --map-mb를 늘려 다시 시작하거나 보존 기한이 지난 판별을 정리하십시오.",
                 used * 100, a->cfg.store_alarm_pct);
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "code", "store_almost_full");
        cJSON_AddStringToObject(w, "message", msg);
        cJSON_AddItemToArray(warn, w);
    }
    cJSON *au = cJSON_AddObjectToObject(o, "auth");
    cJSON_AddBoolToObject(au, "enabled", a->auth_on);
    cJSON_AddStringToObject(au, "learn_from", a->cfg.learn_from);
    cJSON_AddItemToObject(o, "revisions", igc_app_revisions_json(a));
    char job[32];
    cJSON *jo = igc_reclass_latest(a, job) == 0 ? igc_reclass_json(a, job) : NULL;
    if (jo) cJSON_DeleteItemFromObject(jo, "last_key");
    cJSON_AddItemToObject(o, "reclassify", jo ? jo : cJSON_CreateNull());
    if (a->rules) cJSON_AddItemToObject(o, "rules", igc_rules_status_json(a->rules));
    /* the support programmes are policy too: their version, load and errors like the rules' */
    if (a->programmes) cJSON_AddItemToObject(o, "programmes", igc_rules_status_json(a->programmes));
    if (!a->cfg.no_lexicon) cJSON_AddItemToObject(o, "lexicon", igc_app_lexicon_status_json(a));
    igc_store_stats st;
    if (a->store && igc_store_stat(a->store, &st) == 0) {
        cJSON *s = cJSON_AddObjectToObject(o, "store");
        cJSON_AddNumberToObject(s, "judgments", (double)st.judgments);
        cJSON_AddNumberToObject(s, "exemplars", (double)st.exemplars);
        cJSON_AddNumberToObject(s, "map_size", (double)st.map_size);
        cJSON_AddNumberToObject(s, "map_used", (double)st.map_used);
        cJSON_AddNumberToObject(s, "alarm_pct", (double)a->cfg.store_alarm_pct);
        cJSON_AddNumberToObject(s, "audit_records", (double)st.audit);
    }
    igc_engine_unref(e);
    igc__api_send_json(res, 200, o);
}

/* ---- web screens ---- */

void igc__api_static(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    const igc_static_file *f = igc_static_find(req->path);
    if (!f) {
        igc_http_error(res, 404, "not_found", "요청한 페이지를 찾을 수 없습니다.", NULL, 0);
        return;
    }
    res->status = 200;
    res->content_type = f->content_type;
    igc_buf_append(&res->body, f->data, f->len);
    snprintf(res->extra_headers, sizeof res->extra_headers,
             "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n");
}
