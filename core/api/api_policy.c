/* What policy staff maintain: the rules, the support programmes and regions, the index-term dictionary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* ---- rules ---- */

/* 1 when the rules are on; otherwise answers 503 and returns 0. */
static int rules_on(const igc_app *a, igc_http_response *res) {
    if (a->rules) return 1;
    igc_http_error(res, 503, "rules_disabled", "적용원칙 규칙이 꺼져 있습니다.", NULL, 0);
    return 0;
}

void igc__api_rules(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (!rules_on(a, res)) return;
    igc__api_send_json(res, 200, igc_rules_status_json(a->rules));
}

/* A rule or programme reload answered when its worker thread is done. */
typedef struct reload_wait {
    igc_http_deferred *d;
    igc_app *a;
    igc_rules *set;
    int programmes;
    char user[128]; /* who asked, for the audit log: the answer comes after the handler returned */
} reload_wait;

static void reload_answer(igc_http_response *res, igc_rules *set, int programmes, int rc, const char *why) {
    if (rc == IGC_ENOMEM) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
    } else if (rc == IGC_ESTATE) {
        igc_http_error(res, 503, "shutting_down", "서버가 종료 중입니다.", NULL, 0);
    } else if (rc) {
        char msg[1024];
        snprintf(msg, sizeof msg,
                 programmes ? "지원사업 변경이 거부되어 이전 목록을 계속 사용합니다: %.900s"
                            : "규칙 변경이 거부되어 이전 규칙을 계속 사용합니다: %.900s",
                 why && *why ? why : igc_strerror(rc));
        igc_http_error(res, 422, programmes ? "programmes_rejected" : "rules_rejected", msg, NULL, 0);
    } else {
        igc__api_send_json(res, 200, igc_rules_status_json(set));
    }
}

static void reload_done(void *ud, int rc, const char *why) {
    reload_wait *w = ud;
    igc_http_response res = {.status = 200};
    if (!rc) igc_app_audit_policy(w->a, w->user[0] ? w->user : NULL);
    if (rc == IGC_ESTATE)
        reload_answer(&res, NULL, w->programmes, rc, why);
    else
        reload_answer(&res, w->set, w->programmes, rc, why);
    igc_http_deferred_finish(w->d, &res);
    free(w);
}

/* Loads and tests the set on a worker thread, so a slow or hostile rule test
 * never stalls other requests; answers when it is done. */
static void reload_set(igc_app *a, const igc_http_request *req, igc_http_response *res, igc_rules *set,
                       int programmes) {
    reload_wait *w = calloc(1, sizeof *w);
    igc_http_deferred *d = w ? igc_http_defer(req) : NULL;
    if (d) {
        w->d = d;
        w->a = a;
        snprintf(w->user, sizeof w->user, "%s", igc__api_who() ? igc__api_who() : "");
        w->set = set;
        w->programmes = programmes;
        if (igc_rules_reload_async(set, igc_http_deferred_loop(d), reload_done, w) == 0) return;
        igc_http_response now = {.status = 200};
        igc_http_error(&now, 500, "internal_error", "서버 내부 오류입니다.", NULL, 0);
        igc_http_deferred_finish(d, &now);
        free(w);
        return;
    }
    free(w);
    /* Not from a server connection: reload here. */
    igc_buf err = {0};
    int rc = igc_rules_reload(set, &err);
    if (!rc) igc_app_audit_policy(a, igc__api_who());
    reload_answer(res, set, programmes, rc, err.data);
    igc_buf_free(&err);
}

void igc__api_rules_reload(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (!rules_on(a, res)) return;
    reload_set(a, req, res, a->rules, 0);
}

/* ---- support programmes and regions ---- */

/* 1 when a programme set is loaded; otherwise answers 503 and returns 0. */
static int programmes_on(const igc_app *a, igc_http_response *res) {
    if (a->programmes) return 1;
    igc_http_error(res, 503, "programmes_disabled", "지원사업(연계 우대지원) 목록이 꺼져 있습니다.", NULL, 0);
    return 0;
}

void igc__api_programmes(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (!programmes_on(a, res)) return;
    igc__api_send_json(res, 200, igc_rules_status_json(a->programmes));
}

void igc__api_programmes_reload(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (!programmes_on(a, res)) return;
    reload_set(a, req, res, a->programmes, 1);
}

void igc__api_regions(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    (void)req;
    igc__api_send_json(res, 200, igc_regions_json());
}

/* ---- the index-term dictionary ---- */

/* 1 when the lexicon is on; otherwise answers 503 and returns 0. */
static int lexicon_on(const igc_app *a, igc_http_response *res) {
    if (!a->cfg.no_lexicon) return 1;
    igc_http_error(res, 503, "lexicon_disabled", "색인어 사전이 꺼져 있습니다.", NULL, 0);
    return 0;
}

void igc__api_lexicon(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (lexicon_on(a, res)) igc__api_send_json(res, 200, igc_app_lexicon_status_json(a));
}

void igc__api_lexicon_reload(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (!lexicon_on(a, res)) return;
    igc_buf err = {0};
    int rc = igc_app_lexicon_reload(a, &err);
    if (rc == IGC_ENOMEM) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
    } else if (rc) {
        char msg[2200];
        snprintf(msg, sizeof msg, "색인어 사전 변경이 거부되어 이전 사전을 계속 사용합니다: %.2000s",
                 err.data ? err.data : igc_strerror(rc));
        igc_http_error(res, 422, "lexicon_rejected", msg, NULL, 0);
    } else {
        igc_app_audit_policy(a, igc__api_who());
        igc__api_send_json(res, 200, igc_app_lexicon_status_json(a));
    }
    igc_buf_free(&err);
}

void igc__api_lexicon_item(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (!lexicon_on(a, res)) return;
    igc_lexicon *lx = igc_app_lexicon_ref(a);
    const igc_taxonomy *t = lx ? igc_lexicon_taxonomy(lx) : NULL;
    const igc_tx_item *it = t ? igc__api_item_by_code(t, req->params[0]) : NULL;
    const char *f[] = {"code"};
    if (!it) {
        igc_http_error(res, 404, "unknown_item", "해당 품목코드를 찾을 수 없습니다.", f, 1);
        igc_lexicon_unref(lx);
        return;
    }
    const igc_lex_item *li = igc_lexicon_item(lx, (size_t)(it - t->items));
    cJSON *o = li ? igc_lexicon_item_json(lx, li, a->ksic) : cJSON_CreateObject();
    if (o && !li) { /* the file has no line for it: empty lists */
        cJSON_AddStringToObject(o, "code", it->code);
        cJSON_AddStringToObject(o, "name", it->name);
        const char *lists[] = {"terms", "ksic", "confusable", "not_applicable_cues"};
        for (int i = 0; i < 4; i++) cJSON_AddArrayToObject(o, lists[i]);
    }
    if (o) {
        cJSON_AddBoolToObject(o, "listed", li != NULL);
        cJSON_AddStringToObject(o, "version", igc_lexicon_version(lx));
    }
    igc_lexicon_unref(lx);
    igc__api_send_json(res, 200, o);
}
