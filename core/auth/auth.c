/* Users, bearer tokens, screen sessions and save quotas (igc_auth.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "igc_auth.h"
#include "igc_base.h"

static const char *const role_names[] = {"examiner", "reviewer", "policy", "admin"};

int igc_auth_role_parse(const char *s) {
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, role_names[i]) == 0) return 1 << i;
    return 0;
}

const char *igc_auth_role_name(int role) {
    for (int i = 0; i < 4; i++)
        if (role == 1 << i) return role_names[i];
    return "open";
}

int igc_auth_name_ok(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (!n || n > IGC_AUTH_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '@'))
            return 0;
    }
    return 1;
}

static void iso_of(time_t t, char out[21]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cJSON *parse(char *txt, size_t len) {
    cJSON *o = txt ? cJSON_ParseWithLength(txt, len) : NULL;
    free(txt);
    return o;
}

static int put_json(igc_store_txn *t, const char *key, cJSON *o) {
    char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
    int rc = txt ? igc_store_txn_user_put(t, key, txt, strlen(txt)) : IGC_ENOMEM;
    free(txt);
    return rc;
}

/* 1 when the user document can sign in now. */
static int active(const cJSON *u) {
    if (!cJSON_IsObject(u) || cJSON_IsString(cJSON_GetObjectItemCaseSensitive(u, "revoked_at"))) return 0;
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(u, "expires");
    return cJSON_IsNumber(ex) && ex->valuedouble > (double)time(NULL);
}

int igc_auth_user_add(igc_store *s, const char *name, int role, unsigned days, char token[IGC_AUTH_TOKEN_SIZE]) {
    if (token) token[0] = '\0';
    if (!s || !token || !igc_auth_name_ok(name) || !igc_auth_role_name(role) ||
        strcmp(igc_auth_role_name(role), "open") == 0 || days < 1 || days > 3650)
        return IGC_EINVAL;
    char hex[65], tok[IGC_AUTH_TOKEN_SIZE], hash[65], ukey[80], tkey[80];
    int rc = igc_random_hex(32, hex);
    if (rc) return rc;
    snprintf(tok, sizeof tok, "igc_%s", hex);
    igc_sha256_hex(tok, strlen(tok), hash);
    snprintf(ukey, sizeof ukey, "u:%s", name);
    snprintf(tkey, sizeof tkey, "t:%s", hash);
    igc_store_txn *t;
    if ((rc = igc_store_txn_begin(s, &t))) return rc;
    char *old = NULL;
    size_t olen = 0;
    rc = igc_store_txn_user_get(t, ukey, &old, &olen);
    if (rc == 0) {
        cJSON *o = parse(old, olen);
        int busy = active(o);
        const cJSON *oh = cJSON_GetObjectItemCaseSensitive(o, "token_sha256");
        if (!busy && cJSON_IsString(oh)) { /* an expired user's old token index goes */
            char okey[80];
            snprintf(okey, sizeof okey, "t:%s", oh->valuestring);
            igc_store_txn_user_del(t, okey);
        }
        cJSON_Delete(o);
        rc = busy ? IGC_EEXIST : 0;
    } else if (rc == IGC_ENOTFOUND) {
        rc = 0;
    }
    time_t now = time(NULL), exp = now + (time_t)days * 86400;
    char at[21], until[21];
    iso_of(now, at);
    iso_of(exp, until);
    cJSON *u = cJSON_CreateObject(), *tn = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "name", name);
    cJSON_AddStringToObject(u, "role", igc_auth_role_name(role));
    cJSON_AddStringToObject(u, "created_at", at);
    cJSON_AddStringToObject(u, "expires_at", until);
    cJSON_AddNumberToObject(u, "expires", (double)exp);
    cJSON_AddStringToObject(u, "token_sha256", hash);
    cJSON_AddStringToObject(tn, "name", name);
    if (!rc) rc = put_json(t, ukey, u);
    if (!rc) rc = put_json(t, tkey, tn);
    cJSON_Delete(u);
    cJSON_Delete(tn);
    if (rc) {
        igc_store_txn_abort(t);
        return rc;
    }
    if ((rc = igc_store_txn_commit(t))) return rc;
    memcpy(token, tok, strlen(tok) + 1);
    return 0;
}

int igc_auth_user_revoke(igc_store *s, const char *name) {
    if (!s || !igc_auth_name_ok(name)) return IGC_EINVAL;
    char ukey[80];
    snprintf(ukey, sizeof ukey, "u:%s", name);
    igc_store_txn *t;
    int rc = igc_store_txn_begin(s, &t);
    if (rc) return rc;
    char *txt = NULL;
    size_t len = 0;
    rc = igc_store_txn_user_get(t, ukey, &txt, &len);
    cJSON *u = rc ? NULL : parse(txt, len);
    if (!rc && (!u || cJSON_IsString(cJSON_GetObjectItemCaseSensitive(u, "revoked_at")))) rc = IGC_ENOTFOUND;
    if (!rc) {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(u, "token_sha256");
        if (cJSON_IsString(h)) {
            char tkey[80];
            snprintf(tkey, sizeof tkey, "t:%s", h->valuestring);
            int drc = igc_store_txn_user_del(t, tkey);
            if (drc && drc != IGC_ENOTFOUND) rc = drc;
        }
        char at[21];
        igc_iso_now(at);
        cJSON_AddStringToObject(u, "revoked_at", at);
        if (!rc) rc = put_json(t, ukey, u);
    }
    cJSON_Delete(u);
    if (rc) {
        igc_store_txn_abort(t);
        return rc;
    }
    return igc_store_txn_commit(t);
}

typedef struct {
    cJSON *arr;
    size_t active;
} list_ctx;

static int list_cb(void *ud, const char *key, const char *json, size_t len) {
    list_ctx *c = ud;
    if (strncmp(key, "u:", 2) != 0) return 0;
    cJSON *u = cJSON_ParseWithLength(json, len);
    if (!u) return 0;
    int on = active(u);
    c->active += (size_t)on;
    if (c->arr) {
        cJSON *x = cJSON_CreateObject();
        static const char *copy[] = {"name", "role", "created_at", "expires_at", "revoked_at"};
        for (int i = 0; i < 5; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(u, copy[i]);
            if (cJSON_IsString(v)) cJSON_AddStringToObject(x, copy[i], v->valuestring);
        }
        cJSON_AddBoolToObject(x, "active", on);
        cJSON_AddItemToArray(c->arr, x);
    }
    cJSON_Delete(u);
    return 0;
}

cJSON *igc_auth_user_list(igc_store *s) {
    list_ctx c = {cJSON_CreateArray(), 0};
    if (!c.arr || igc_store_user_foreach(s, list_cb, &c)) {
        cJSON_Delete(c.arr);
        return NULL;
    }
    return c.arr;
}

int igc_auth_active_users(igc_store *s, size_t *n) {
    list_ctx c = {NULL, 0};
    *n = 0;
    int rc = igc_store_user_foreach(s, list_cb, &c);
    *n = c.active;
    return rc;
}

/* The user store's document under "<kind>:<id>" (kind 'u' a user, 't' a token), parsed
 * into *out; IGC_ENOTFOUND when there is none. */
static int user_doc(igc_store *s, char kind, const char *id, cJSON **out) {
    char key[80], *txt = NULL;
    size_t len = 0;
    *out = NULL;
    snprintf(key, sizeof key, "%c:%s", kind, id);
    int rc = igc_store_user_get(s, key, &txt, &len);
    if (rc) return rc == IGC_EINVAL ? IGC_ENOTFOUND : rc;
    *out = parse(txt, len);
    return 0;
}

/* u from the user document o of name when it can sign in now (a role, not revoked or
 * expired); IGC_ENOTFOUND otherwise. */
static int user_of(const cJSON *o, const char *name, igc_user *u) {
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "role");
    int role = cJSON_IsString(r) ? igc_auth_role_parse(r->valuestring) : 0;
    if (!active(o) || !role) return IGC_ENOTFOUND;
    snprintf(u->name, sizeof u->name, "%s", name);
    u->role = role;
    return 0;
}

int igc_auth_name_user(igc_store *s, const char *name, igc_user *u) {
    memset(u, 0, sizeof *u);
    if (!igc_auth_name_ok(name)) return IGC_ENOTFOUND;
    cJSON *o;
    int rc = user_doc(s, 'u', name, &o);
    if (!rc) rc = user_of(o, name, u);
    cJSON_Delete(o);
    return rc;
}

int igc_auth_hash_user(igc_store *s, const char *hash, igc_user *u) {
    memset(u, 0, sizeof *u);
    if (!hash || strlen(hash) != 64) return IGC_ENOTFOUND;
    cJSON *o;
    int rc = user_doc(s, 't', hash, &o);
    if (rc) return rc;
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
    char name[IGC_AUTH_NAME_MAX + 1] = "";
    if (cJSON_IsString(nm)) snprintf(name, sizeof name, "%s", nm->valuestring);
    cJSON_Delete(o);
    if (!igc_auth_name_ok(name)) return IGC_ENOTFOUND;
    /* the user's document, read once: signs in now, and its current token is this one
     * (a re-added user has a new one) */
    if ((rc = user_doc(s, 'u', name, &o))) return rc;
    rc = user_of(o, name, u);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "token_sha256");
    if (!rc && !(cJSON_IsString(h) && igc_const_eq(h->valuestring, hash))) rc = IGC_ENOTFOUND;
    cJSON_Delete(o);
    if (rc) memset(u, 0, sizeof *u);
    return rc;
}

int igc_auth_token_user(igc_store *s, const char *token, igc_user *u) {
    memset(u, 0, sizeof *u);
    size_t n = token ? strlen(token) : 0;
    if (n < 8 || n >= IGC_AUTH_TOKEN_SIZE) return IGC_ENOTFOUND;
    char hash[65];
    igc_sha256_hex(token, n, hash);
    return igc_auth_hash_user(s, hash, u);
}

/* ---- sessions ---- */

#define MAX_SESSIONS 4096

typedef struct {
    char sid[40], csrf[40], token[65];
    double last; /* monotonic ms of the last use */
} session;

struct igc_auth_sessions {
    session *s;
    size_t n;
    double idle_ms;
};

int igc_auth_sessions_new(unsigned idle_minutes, igc_auth_sessions **out) {
    igc_auth_sessions *t = calloc(1, sizeof *t);
    if (!t || !(t->s = calloc(MAX_SESSIONS, sizeof *t->s))) {
        free(t);
        return IGC_ENOMEM;
    }
    t->idle_ms = (idle_minutes ? idle_minutes : 480) * 60000.0;
    *out = t;
    return 0;
}

void igc_auth_sessions_free(igc_auth_sessions *t) {
    if (!t) return;
    free(t->s);
    free(t);
}

int igc_auth_session_open(igc_auth_sessions *t, const char *token_sha256, char sid[40], char csrf[40]) {
    double now = igc_now_ms();
    size_t slot = t->n;
    /* reuse an idle slot; when full, the least recently used session ends */
    for (size_t i = 0; i < t->n; i++) {
        if (now - t->s[i].last > t->idle_ms || !t->s[i].sid[0]) {
            slot = i;
            break;
        }
    }
    if (slot == MAX_SESSIONS) {
        slot = 0;
        for (size_t i = 1; i < t->n; i++)
            if (t->s[i].last < t->s[slot].last) slot = i;
    }
    session *x = &t->s[slot];
    int rc = igc_random_hex(16, x->sid);
    if (!rc) rc = igc_random_hex(16, x->csrf);
    if (rc) {
        memset(x, 0, sizeof *x);
        return rc;
    }
    snprintf(x->token, sizeof x->token, "%s", token_sha256);
    x->last = now;
    if (slot == t->n) t->n++;
    memcpy(sid, x->sid, 33);
    memcpy(csrf, x->csrf, 33);
    return 0;
}

int igc_auth_session_find(igc_auth_sessions *t, const char *sid, const char **token_sha256, const char **csrf) {
    if (!t || !sid || strlen(sid) != 32) return IGC_ENOTFOUND;
    double now = igc_now_ms();
    for (size_t i = 0; i < t->n; i++) {
        session *x = &t->s[i];
        if (!x->sid[0] || !igc_const_eq(x->sid, sid)) continue;
        if (now - x->last > t->idle_ms) {
            memset(x, 0, sizeof *x);
            return IGC_ENOTFOUND;
        }
        x->last = now;
        *token_sha256 = x->token;
        *csrf = x->csrf;
        return 0;
    }
    return IGC_ENOTFOUND;
}

void igc_auth_session_close(igc_auth_sessions *t, const char *sid) {
    for (size_t i = 0; t && sid && i < t->n; i++)
        if (t->s[i].sid[0] && strcmp(t->s[i].sid, sid) == 0) memset(&t->s[i], 0, sizeof t->s[i]);
}

/* ---- rate ---- */

#define RATE_SLOTS 1024

typedef struct {
    char who[IGC_AUTH_NAME_MAX + 1];
    double start;
    unsigned n;
} rate_slot;

struct igc_auth_rate {
    rate_slot s[RATE_SLOTS];
};

int igc_auth_rate_new(igc_auth_rate **out) {
    *out = calloc(1, sizeof **out);
    return *out ? 0 : IGC_ENOMEM;
}

void igc_auth_rate_free(igc_auth_rate *r) { free(r); }

int igc_auth_rate_take(igc_auth_rate *r, const char *who, unsigned limit) {
    if (!limit) return 1;
    double now = igc_now_ms();
    rate_slot *x = NULL, *oldest = &r->s[0];
    for (size_t i = 0; i < RATE_SLOTS; i++) {
        if (strcmp(r->s[i].who, who) == 0 && r->s[i].start > 0) {
            x = &r->s[i];
            break;
        }
        if (r->s[i].start < oldest->start) oldest = &r->s[i];
    }
    if (!x) {
        x = oldest;
        snprintf(x->who, sizeof x->who, "%s", who);
        x->start = now;
        x->n = 0;
    }
    if (now - x->start >= 60000.0) x->start = now, x->n = 0;
    if (x->n >= limit) return 0;
    x->n++;
    return 1;
}
