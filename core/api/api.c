/*
 * The HTTP API of igcd: the route table with the roles that may call each route, the
 * guard in front of every handler (identity, role, CSRF), and what the handlers share
 * (JSON answers, work off the loop). The handlers live by resource in api_*.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"

/* Who makes the request being handled: set by guard() around each handler
 * (per thread, so a worker pool could call handlers in parallel). */
_Thread_local const igc_user *igc__api_user;

/* The caller's name for records, NULL in open mode. */
const char *igc__api_who(void) { return igc__api_user && igc__api_user->name[0] ? igc__api_user->name : NULL; }

void igc__api_send_json(igc_http_response *res, int status, cJSON *o) {
    res->status = status;
    char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!txt) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
        return;
    }
    res->body.len = 0;
    igc_buf_puts(&res->body, txt);
    free(txt);
    snprintf(res->extra_headers, sizeof res->extra_headers, "Cache-Control: no-store\r\n");
}

void igc__api_send_verr(igc_http_response *res, const igc_verr *e) {
    igc_http_error(res, e->status, e->code, e->message, e->fields, e->nfields);
}

/* POST bodies must be JSON when a content type is given. */
int igc__api_check_json_type(const igc_http_request *req, igc_http_response *res) {
    if (req->content_type[0] && !strstr(req->content_type, "json")) {
        igc_http_error(res, 415, "unsupported_media_type", "요청 본문은 application/json 형식이어야 합니다.", NULL, 0);
        return -1;
    }
    return 0;
}

cJSON *igc__api_body_object(const igc_http_request *req, igc_http_response *res) {
    if (igc__api_check_json_type(req, res)) return NULL;
    cJSON *doc = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : cJSON_CreateObject();
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        igc_http_error(res, 400, "invalid_json", "요청 본문이 JSON 객체가 아닙니다.", NULL, 0);
        return NULL;
    }
    return doc;
}

/* ---- work off the loop ---- */

/* A job run on libuv's thread pool: run() on a worker (no igc__api_user there: capture the
 * caller first), answer() back on the loop's thread, then done() frees the job. When
 * the answer cannot be deferred (no server connection) or no worker can be queued, all
 * three run at once, here. */
typedef struct offload {
    uv_work_t w;
    igc_http_deferred *d;
    void *job;
    void (*run)(void *job);
    void (*answer)(void *job, igc_http_response *res);
    void (*done)(void *job);
} offload;

static void offload_work_cb(uv_work_t *w) {
    offload *o = w->data;
    o->run(o->job);
}

static void offload_done_cb(uv_work_t *w, int status) {
    offload *o = w->data;
    igc_http_response res = {.status = 200};
    if (status) igc_http_error(&res, 503, "shutting_down", "서버가 종료 중입니다.", NULL, 0);
    else o->answer(o->job, &res);
    igc_http_deferred_finish(o->d, &res);
    o->done(o->job);
    free(o);
}

void igc__api_offload(const igc_http_request *req, igc_http_response *res, void *job, void (*run)(void *),
                        void (*answer)(void *, igc_http_response *), void (*done)(void *)) {
    offload *o = calloc(1, sizeof *o);
    igc_http_deferred *d = o ? igc_http_defer(req) : NULL;
    if (d) {
        *o = (offload){.d = d, .job = job, .run = run, .answer = answer, .done = done};
        o->w.data = o;
        if (uv_queue_work(igc_http_deferred_loop(d), &o->w, offload_work_cb, offload_done_cb) == 0) return;
        run(job);
        igc_http_response now = {.status = 200};
        answer(job, &now);
        igc_http_deferred_finish(d, &now);
    } else {
        run(job);
        answer(job, res);
    }
    free(o);
    done(job);
}

/* ---- the route table and the guard in front of every handler ---- */

#define R_PUBLIC IGC_ROLE_PUBLIC
#define R_ANY IGC_ROLES_ANY
#define R_EXAM (IGC_ROLE_EXAMINER | IGC_ROLE_REVIEWER)
#define R_REVIEW IGC_ROLE_REVIEWER
#define R_POLICY IGC_ROLE_POLICY
#define R_ADMIN IGC_ROLE_ADMIN

typedef struct api_route {
    const char *method, *pattern;
    igc_http_handler h;
    int roles; /* IGC_ROLE_* allowed to call it; R_PUBLIC: no identity needed */
} api_route;

typedef struct {
    igc_app *a;
    const api_route *r;
} api_bound;

static const struct {
    int role;
    const char *ko;
} role_names[] = {{IGC_ROLE_EXAMINER, "심사역"}, {IGC_ROLE_REVIEWER, "검토자"}, {IGC_ROLE_POLICY, "정책담당"},
                  {IGC_ROLE_ADMIN, "관리자"}};

/* One role in the words of the screens ("심사역"); its code when it has none. */
static const char *role_ko(int role) {
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (role == role_names[i].role) return role_names[i].ko;
    return igc_auth_role_name(role);
}

static const char *role_list_ko(int roles) {
    const size_t nn = sizeof role_names / sizeof role_names[0];
    static _Thread_local char buf[96];
    buf[0] = '\0';
    for (size_t i = 0; i < nn; i++)
        if (roles & role_names[i].role)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? ", " : "", role_names[i].ko);
    return buf;
}

/* Finds who makes the request: the trusted proxy's header, a bearer token or a
 * session cookie (then *csrf is its CSRF token). 0, or IGC_ENOTFOUND when none is
 * valid. */
static int identify(igc_app *a, const igc_http_request *req, igc_user *u, const char **csrf) {
    *csrf = NULL;
    memset(u, 0, sizeof *u);
    if (a->cfg.proxy_header[0] && a->cfg.proxy_addr[0]) {
        const char *name = igc_http_header(req, a->cfg.proxy_header);
        size_t hl = strlen(a->cfg.proxy_addr);
        const char *rem = req->remote ? req->remote : "";
        /* "10.0.0.5:41234" or "[::1]:41234": the host part must be the proxy's */
        int from_proxy = (strncmp(rem, a->cfg.proxy_addr, hl) == 0 && rem[hl] == ':') ||
                         (rem[0] == '[' && strncmp(rem + 1, a->cfg.proxy_addr, hl) == 0 && rem[hl + 1] == ']');
        if (name && from_proxy) {
            if (igc_auth_name_user(a->store, name, u)) return IGC_ENOTFOUND;
            u->via = "proxy";
            return 0;
        }
    }
    const char *auth = igc_http_header(req, "authorization");
    if (auth) {
        if (strncasecmp(auth, "Bearer ", 7) != 0) return IGC_ENOTFOUND;
        const char *tok = auth + 7;
        while (*tok == ' ') tok++;
        if (igc_auth_token_user(a->store, tok, u)) return IGC_ENOTFOUND;
        u->via = "token";
        return 0;
    }
    char sid[40];
    const char *hash;
    igc__api_cookie_sid(req, sid);
    if (sid[0] && igc_auth_session_find(a->sessions, sid, &hash, csrf) == 0 && igc_auth_hash_user(a->store, hash, u) == 0) {
        u->via = "session";
        snprintf(u->session, sizeof u->session, "%s", sid);
        return 0;
    }
    *csrf = NULL;
    return IGC_ENOTFOUND;
}

static int safe_method(const char *m) { return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0; }

/* Checks identity and role, then calls the route's handler with igc__api_user set. */
static void guard(void *ud, const igc_http_request *req, igc_http_response *res) {
    const api_bound *b = ud;
    igc_app *a = b->a;
    igc_user u;
    const char *csrf = NULL;
    if (!a->auth_on) {
        memset(&u, 0, sizeof u);
        u.role = IGC_ROLES_ANY;
        u.via = "open";
    } else if (identify(a, req, &u, &csrf)) {
        if (b->r->roles != R_PUBLIC) {
            igc_http_error(res, 401, "unauthorized",
                           "로그인이 필요합니다: 인증 토큰(Authorization: Bearer)이나 로그인 세션이 없거나, 올바르지 않거나, 만료되었습니다.",
                           NULL, 0);
            snprintf(res->extra_headers, sizeof res->extra_headers, "WWW-Authenticate: Bearer realm=\"igc\"\r\n");
            return;
        }
        memset(&u, 0, sizeof u);
    } else if (b->r->roles != R_PUBLIC && !(u.role & b->r->roles)) {
        char msg[256];
        snprintf(msg, sizeof msg, "이 기능을 사용할 권한이 없습니다 (현재 역할: %s, 필요한 역할: %s).",
                 role_ko(u.role), role_list_ko(b->r->roles));
        igc_http_error(res, 403, "forbidden", msg, NULL, 0);
        return;
    } else if (csrf && !safe_method(req->method) && b->r->roles != R_PUBLIC) {
        /* a cookie rides along with any request the browser makes: a change must
         * also carry the CSRF token only the screens' own script can read (public
         * routes such as a new login act with no identity and need none) */
        const char *sent = igc_http_header(req, "x-csrf-token");
        if (!sent || !igc_const_eq(sent, csrf)) {
            igc_http_error(res, 403, "csrf_failed", "요청을 확인할 수 없습니다 (CSRF 토큰 불일치). 화면을 새로 고친 뒤 다시 시도해 주세요.",
                           NULL, 0);
            return;
        }
    }
    const igc_user *prev = igc__api_user;
    igc__api_user = &u;
    b->r->h(a, req, res);
    igc__api_user = prev;
}

int igc_api_register(igc_http_router *r, igc_app *a) {
    /* Every route states who may call it (docs/security.md, docs/openapi.yaml). */
    static const api_route routes[] = {
        {"GET", "/healthz", igc__api_healthz, R_PUBLIC},
        {"GET", "/readyz", igc__api_readyz, R_PUBLIC},
        {"GET", "/api/v1/session", igc__api_session_get, R_PUBLIC},
        {"POST", "/api/v1/session", igc__api_session_post, R_PUBLIC},
        {"DELETE", "/api/v1/session", igc__api_session_delete, R_ANY},
        {"GET", "/api/v1/taxonomy", igc__api_taxonomy, R_ANY},
        {"GET", "/api/v1/taxonomy/search", igc__api_search, R_ANY},
        {"GET", "/api/v1/taxonomy/items/{code}", igc__api_item, R_ANY},
        {"GET", "/api/v1/ksic/{code}", igc__api_ksic, R_ANY},
        {"POST", "/api/v1/classify", igc__api_classify, R_EXAM | R_POLICY},
        {"POST", "/api/v1/judgments", igc__api_judgment_post, R_EXAM},
        {"GET", "/api/v1/judgments", igc__api_judgment_list, R_EXAM},
        {"GET", "/api/v1/judgments/{id}", igc__api_judgment_get, R_EXAM},
        {"POST", "/api/v1/judgments/{id}/confirm", igc__api_judgment_confirm, R_REVIEW},
        {"POST", "/api/v1/judgments/{id}/void", igc__api_judgment_void, R_REVIEW},
        {"GET", "/api/v1/rules", igc__api_rules, R_ANY},
        {"POST", "/api/v1/rules/reload", igc__api_rules_reload, R_POLICY},
        {"GET", "/api/v1/programmes", igc__api_programmes, R_ANY},
        {"POST", "/api/v1/programmes/reload", igc__api_programmes_reload, R_POLICY},
        {"GET", "/api/v1/regions", igc__api_regions, R_ANY},
        {"GET", "/api/v1/lexicon", igc__api_lexicon, R_ANY},
        {"POST", "/api/v1/lexicon/reload", igc__api_lexicon_reload, R_POLICY},
        {"GET", "/api/v1/lexicon/items/{code}", igc__api_lexicon_item, R_ANY},
        {"GET", "/api/v1/status", igc__api_status, R_ANY},
        {"GET", "/api/v1/users", igc__api_users, R_ADMIN},
        /* administrator actions: revisions and re-classification */
        {"GET", IGC_API_REVISIONS_PATH, igc__api_revisions_get, R_ADMIN},
        {"POST", IGC_API_REVISIONS_PATH, igc__api_revision_post, R_ADMIN},
        {"POST", "/api/v1/taxonomy/activate", igc__api_activate, R_ADMIN},
        {"POST", "/api/v1/taxonomy/rollback", igc__api_rollback, R_ADMIN},
        {"POST", "/api/v1/reclassify", igc__api_reclassify_post, R_ADMIN},
        {"GET", "/api/v1/reclassify/{job}", igc__api_reclassify_get, R_ADMIN},
        {"GET", "/api/v1/reclassify/{job}/report", igc__api_reclassify_report, R_ADMIN},
        {"GET", "/", igc__api_static, R_PUBLIC},
        {"GET", "/{file}", igc__api_static, R_PUBLIC},
    };
    size_t n = sizeof routes / sizeof routes[0];
    api_bound *bound = calloc(n, sizeof *bound);
    if (!bound) return IGC_ENOMEM;
    free(a->api_routes);
    a->api_routes = bound;
    if (!a->sessions && igc_auth_sessions_new((unsigned)a->cfg.session_minutes, &a->sessions)) return IGC_ENOMEM;
    if (!a->save_rate && igc_auth_rate_new(&a->save_rate)) return IGC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        bound[i] = (api_bound){a, &routes[i]};
        int rc = igc_http_router_add(r, routes[i].method, routes[i].pattern, guard, &bound[i]);
        if (rc) return rc;
    }
    return 0;
}
