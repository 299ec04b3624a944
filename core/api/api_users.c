/* Identity: the screens' sessions (log in, who am I, log out) and the user list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* ---- identity: sessions of the screens, users ---- */

#define COOKIE "igc_session"

/* The session id of the request's cookie into sid ("" when none). */
void igc__api_cookie_sid(const igc_http_request *req, char sid[40]) {
    sid[0] = '\0';
    const char *c = igc_http_header(req, "cookie");
    for (const char *p = c; p && *p;) {
        while (*p == ' ' || *p == ';') p++;
        size_t n = strlen(COOKIE);
        if (strncmp(p, COOKIE, n) == 0 && p[n] == '=') {
            p += n + 1;
            size_t l = strcspn(p, "; ");
            if (l < 40) memcpy(sid, p, l), sid[l] = '\0';
            return;
        }
        p = strchr(p, ';');
    }
}

static void session_json(igc_app *a, const igc_user *u, const char *csrf, cJSON *o) {
    cJSON_AddBoolToObject(o, "auth", a->auth_on);
    if (u && u->name[0]) {
        cJSON_AddStringToObject(o, "user", u->name);
        cJSON_AddStringToObject(o, "role", igc_auth_role_name(u->role));
    } else {
        cJSON_AddNullToObject(o, "user");
        cJSON_AddStringToObject(o, "role", "open");
    }
    if (csrf) cJSON_AddStringToObject(o, "csrf", csrf);
    cJSON_AddStringToObject(o, "learn_from", a->cfg.learn_from);
}

/* Who is signed in (the screens ask at start); in open mode {auth:false}. */
void igc__api_session_get(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char sid[40];
    const char *hash = NULL, *csrf = NULL;
    igc__api_cookie_sid(req, sid);
    if (sid[0]) igc_auth_session_find(a->sessions, sid, &hash, &csrf);
    cJSON *o = cJSON_CreateObject();
    session_json(a, igc__api_user, csrf, o);
    igc__api_send_json(res, 200, o);
}

/* Signs in with a bearer token: a session cookie (HttpOnly, SameSite=Strict,
 * Secure behind TLS) and the CSRF token the screens send back on every change. */
void igc__api_session_post(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    cJSON *b = igc__api_body_object(req, res);
    if (!b) return;
    const cJSON *tj = cJSON_GetObjectItemCaseSensitive(b, "token");
    const char *tok = cJSON_GetStringValue(tj);
    const char *f[] = {"token"};
    if (tj && !cJSON_IsNull(tj) && !tok) {
        cJSON_Delete(b);
        igc_http_error(res, 400, "invalid_type", "token(인증 토큰)은 문자열이어야 합니다.", f, 1);
        return;
    }
    if (!a->auth_on) {
        cJSON_Delete(b);
        cJSON *o = cJSON_CreateObject();
        session_json(a, NULL, NULL, o);
        igc__api_send_json(res, 200, o);
        return;
    }
    if (!tok || igc_blank(tok)) {
        cJSON_Delete(b);
        igc_http_error(res, 400, "blank_field", "공란 입력: 인증 토큰을 입력해 주세요.", f, 1);
        return;
    }
    char t2[IGC_AUTH_TOKEN_SIZE + 8];
    snprintf(t2, sizeof t2, "%s", tok);
    cJSON_Delete(b);
    igc_trim(t2);
    igc_user u;
    char hash[65], sid[40], csrf[40];
    if (igc_auth_token_user(a->store, t2, &u)) {
        igc_http_error(res, 401, "invalid_token", "인증 토큰이 올바르지 않거나 만료되었습니다. 관리자에게 새 토큰을 요청하십시오.", f, 1);
        return;
    }
    igc_sha256_hex(t2, strlen(t2), hash);
    if (igc_auth_session_open(a->sessions, hash, sid, csrf)) {
        igc_http_error(res, 500, "internal_error", "로그인 세션을 만들지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    u.via = "session";
    session_json(a, &u, csrf, o);
    igc_app_audit(a, NULL, "session.login", u.name, NULL);
    igc__api_send_json(res, 200, o);
    snprintf(res->extra_headers, sizeof res->extra_headers,
             "Cache-Control: no-store\r\nSet-Cookie: " COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s\r\n", sid,
             a->cfg.cookie_secure ? "; Secure" : "");
}

void igc__api_session_delete(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char sid[40];
    igc__api_cookie_sid(req, sid);
    if (sid[0]) igc_auth_session_close(a->sessions, sid);
    if (igc__api_who()) igc_app_audit(a, NULL, "session.logout", igc__api_who(), NULL);
    cJSON *o = cJSON_CreateObject();
    session_json(a, NULL, NULL, o);
    igc__api_send_json(res, 200, o);
    snprintf(res->extra_headers, sizeof res->extra_headers,
             "Cache-Control: no-store\r\nSet-Cookie: " COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s\r\n",
             a->cfg.cookie_secure ? "; Secure" : "");
}

void igc__api_users(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    cJSON *arr = igc_auth_user_list(a->store);
    if (!arr) {
        igc_http_error(res, 500, "storage_error", "사용자 목록을 읽지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "users", arr);
    igc__api_send_json(res, 200, o);
}
