/*
 * Who may do what, against a real igcd and igc over a fresh store: users and
 * tokens (`igc users`), 401/403 on every route class, unguessable judgment ids,
 * the save quota, poisoning of another company's similar judgments, review,
 * the screens' login with cookie and CSRF, and the audit log (`igc audit export`).
 */
#include "app_test_util.h"

static char tmp[PATH_MAX];
static igcd_proc srv;

static void cleanup(void) {
    igcd_kill(&srv);
    rm_tmp(tmp);
}

static int setup(void) {
    if (tmp[0]) return 1;
    if (make_tmpdir(tmp, "auth")) return 0;
    atexit(cleanup);
    return 1;
}

/* Runs igc with args (NULL-terminated); stdout into out (malloc'ed, may be NULL). */
static int igc_run(const char *const *args, char **out) {
    const char *argv[40];
    int n = 0;
    argv[n++] = IGC_BIN;
    for (int i = 0; args[i] && n < 39; i++) argv[n++] = args[i];
    argv[n] = NULL;
    char op[PATH_MAX + 32], ep[PATH_MAX + 32];
    snprintf(op, sizeof op, "%s/igc.out", tmp);
    snprintf(ep, sizeof ep, "%s/igc.err", tmp);
    unlink(op);
    int rc = run_wait((char *const *)argv, tmp, op, ep);
    if (out) *out = slurp(op, NULL);
    return rc;
}

/* igc users add NAME --role ROLE on db; the token (last line of stdout) into tok. */
static int user_add(const char *db, const char *name, const char *role, char tok[128]) {
    const char *args[] = {"--db", db, "users", "add", name, "--role", role, NULL};
    char *out = NULL;
    int rc = igc_run(args, &out);
    tok[0] = '\0';
    if (!rc && out) {
        size_t n = strlen(out);
        while (n && out[n - 1] == '\n') out[--n] = '\0';
        const char *last = strrchr(out, '\n');
        snprintf(tok, 128, "%s", last ? last + 1 : out);
    }
    free(out);
    return rc;
}

/* One request with optional bearer token, cookie and CSRF header. */
static int areq(const char *method, const char *path, const char *token, const char *cookie, const char *csrf,
                const char *body, http_resp *r) {
    igc_buf rq = {0};
    igc_buf_printf(&rq, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", method, path, srv.port);
    if (token) igc_buf_printf(&rq, "Authorization: Bearer %s\r\n", token);
    if (cookie) igc_buf_printf(&rq, "Cookie: igc_session=%s\r\n", cookie);
    if (csrf) igc_buf_printf(&rq, "X-CSRF-Token: %s\r\n", csrf);
    if (body) igc_buf_printf(&rq, "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body));
    igc_buf_puts(&rq, "\r\n");
    if (body) igc_buf_puts(&rq, body);
    int rc = http_raw(srv.port, rq.data, rq.len, r);
    igc_buf_free(&rq);
    return rc;
}

/* The status of a request and its JSON body (*o, may be NULL). */
static int call(const char *method, const char *path, const char *token, const char *body, cJSON **o) {
    http_resp r;
    if (o) *o = NULL;
    if (areq(method, path, token, NULL, NULL, body, &r)) return 0;
    int st = r.status;
    if (o) *o = cJSON_ParseWithLength(r.body, r.body_len);
    http_resp_free(&r);
    return st;
}

static int call_obj(const char *method, const char *path, const char *token, const cJSON *b, cJSON **o) {
    char *t = cJSON_PrintUnformatted(b);
    int st = call(method, path, token, t, o);
    free(t);
    return st;
}

static char db[PATH_MAX - 64], logp[PATH_MAX - 64];
static char t_exam[128], t_exam2[128], t_rev[128], t_pol[128], t_adm[128];

/* igcd with users, each role once (and a second examiner). */
static int server(const char *const *extra) {
    if (srv.pid > 0) igcd_kill(&srv);
    snprintf(db, sizeof db, "%.3000s/db", tmp);
    snprintf(logp, sizeof logp, "%.3000s/igcd.log", tmp);
    if (!t_exam[0]) {
        const char *imp[] = {"--db", db, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                             "history", "import", NULL, NULL};
        char hist[PATH_MAX + 32];
        snprintf(hist, sizeof hist, "%s/labeled/history.csv", igc_test_data_dir());
        imp[10] = hist;
        if (igc_run(imp, NULL)) return 0;
        if (user_add(db, "kim", "examiner", t_exam) || user_add(db, "lee", "examiner", t_exam2) ||
            user_add(db, "park", "reviewer", t_rev) || user_add(db, "choi", "policy", t_pol) ||
            user_add(db, "jung", "admin", t_adm))
            return 0;
    }
    return igcd_start_ex(&srv, db, logp, 1, extra) == 0;
}

static cJSON *judgment_of(const cJSON *req, const cJSON *res, const char *item) {
    cJSON *b = cJSON_Duplicate(req, 1);
    cJSON_AddItemToObject(b, "result", cJSON_Duplicate(res, 1));
    cJSON_AddItemToObject(b, "chosen_item", item ? cJSON_CreateString(item) : cJSON_CreateNull());
    cJSON_AddStringToObject(b, "comment", "의견");
    return b;
}

/* ---- users ---- */

TEST(users_cli) {
    REQUIRE(setup());
    char udb[PATH_MAX + 32], tok[128], tok2[128];
    snprintf(udb, sizeof udb, "%s/users-db", tmp);
    CHECK_EQ_INT(user_add(udb, "hong.gd", "reviewer", tok), 0);
    /* the token alone on the last line: igc_ + 64 hex digits */
    CHECK_EQ_INT((int)strlen(tok), 68);
    CHECK(strncmp(tok, "igc_", 4) == 0 && strspn(tok + 4, "0123456789abcdef") == 64);
    CHECK_EQ_INT(user_add(udb, "hong.gd", "examiner", tok2), 2); /* an active user has the name */
    CHECK_EQ_INT(user_add(udb, "nobody", "boss", tok2), 2);     /* no such role */
    CHECK_EQ_INT(user_add(udb, "bad name", "admin", tok2), 2);
    char *out = NULL;
    const char *list[] = {"--db", udb, "users", "list", NULL};
    CHECK_EQ_INT(igc_run(list, &out), 0);
    CHECK(out && strstr(out, "hong.gd") && strstr(out, "reviewer") && strstr(out, "expires"));
    CHECK(out && !strstr(out, tok + 4) && !strstr(out, "revoked"));
    free(out);
    /* only the token's hash is stored */
    size_t n = 0;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/data.mdb", udb);
    char *raw = slurp(path, &n);
    REQUIRE(raw);
    int plain = 0;
    for (size_t i = 0; i + 64 <= n; i++) plain |= memcmp(raw + i, tok + 4, 64) == 0;
    CHECK(!plain);
    free(raw);
    const char *rev[] = {"--db", udb, "users", "revoke", "hong.gd", NULL};
    CHECK_EQ_INT(igc_run(rev, NULL), 0);
    CHECK_EQ_INT(igc_run(rev, NULL), 2); /* already revoked */
    CHECK_EQ_INT(igc_run(list, &out), 0);
    CHECK(out && strstr(out, "revoked"));
    free(out);
    /* a revoked name may be given again, with a new token */
    CHECK_EQ_INT(user_add(udb, "hong.gd", "examiner", tok2), 0);
    CHECK(strcmp(tok, tok2) != 0);
    const char *aud[] = {"--db", udb, "audit", "export", NULL};
    CHECK_EQ_INT(igc_run(aud, &out), 0);
    CHECK(out && strstr(out, "\"action\":\"user.add\"") && strstr(out, "\"action\":\"user.revoke\""));
    free(out);
}

/* Without users igcd runs open, but only on loopback. */
TEST(open_mode_loopback_only) {
    REQUIRE(setup());
    char odb[PATH_MAX + 32], olog[PATH_MAX + 32], listen[64];
    snprintf(odb, sizeof odb, "%s/open-db", tmp);
    snprintf(olog, sizeof olog, "%s/open.log", tmp);
    snprintf(listen, sizeof listen, "0.0.0.0:%d", free_port());
    const char *argv[] = {IGCD_BIN, "--listen", listen, "--db", odb, "--data", igc_test_data_dir(), "--model", "none",
                          "--params", "none", "--rules", IGC_TEST_SOURCE_DIR "/rules", NULL};
    CHECK_EQ_INT(run_wait((char *const *)argv, tmp, olog, olog), 1);
    char *t = slurp(olog, NULL);
    CHECK(t && strstr(t, "refusing to run open"));
    free(t);
}

/* Users added while igcd runs open switch nothing on until a restart: the status says so
 * (it said nothing, and the service stayed open). */
TEST(users_added_while_open_are_warned) {
    REQUIRE(setup());
    char odb[PATH_MAX + 32], olog[PATH_MAX + 32], tok[128];
    snprintf(odb, sizeof odb, "%s/open-db2", tmp);
    snprintf(olog, sizeof olog, "%s/open2.log", tmp);
    igcd_proc p;
    REQUIRE(igcd_start(&p, odb, olog) == 0);
    int st;
    cJSON *o = http_get_json(p.port, "/api/v1/status", &st);
    CHECK(cJSON_IsFalse(jget(jget(o, "auth"), "enabled")));
    const cJSON *w;
    int warned = 0;
    cJSON_ArrayForEach(w, jget(o, "warnings")) warned |= jstr(w, "code") && !strcmp(jstr(w, "code"), "auth_needs_restart");
    CHECK(!warned);
    cJSON_Delete(o);
    REQUIRE(user_add(odb, "han", "examiner", tok) == 0);
    o = http_get_json(p.port, "/api/v1/status", &st);
    cJSON_ArrayForEach(w, jget(o, "warnings")) warned |= jstr(w, "code") && !strcmp(jstr(w, "code"), "auth_needs_restart");
    CHECK(warned);
    cJSON_Delete(o);
    igcd_kill(&p);
}

/* ---- 401 / 403 ---- */

TEST(every_route_needs_identity_and_role) {
    REQUIRE(setup());
    REQUIRE(server(NULL));
    cJSON *o;
    /* public: health, readiness, the screens' files, who am I */
    CHECK_EQ_INT(call("GET", "/healthz", NULL, NULL, NULL), 200);
    CHECK_EQ_INT(call("GET", "/readyz", NULL, NULL, NULL), 200);
    CHECK_EQ_INT(call("GET", "/", NULL, NULL, NULL), 200);
    CHECK_EQ_INT(call("GET", "/api/v1/session", NULL, NULL, &o), 200);
    CHECK(cJSON_IsTrue(jget(o, "auth")));
    cJSON_Delete(o);
    /* everything else: 401 without a valid token, with the JSON error body */
    static const char *const gets[] = {"/api/v1/taxonomy", "/api/v1/status", "/api/v1/rules", "/api/v1/judgments?brn=1018100340",
                                       "/api/v1/ksic/26211", "/api/v1/lexicon", "/api/v1/users"};
    for (size_t i = 0; i < sizeof gets / sizeof *gets; i++) {
        int st = call("GET", gets[i], NULL, NULL, &o);
        CHECK(check_error(o, st, 401, "unauthorized", NULL, gets[i]));
        cJSON_Delete(o);
        st = call("GET", gets[i], "igc_0000000000000000000000000000000000000000000000000000000000000000", NULL, &o);
        CHECK(check_error(o, st, 401, "unauthorized", NULL, gets[i]));
        cJSON_Delete(o);
    }
    http_resp r;
    REQUIRE(areq("POST", "/api/v1/classify", NULL, NULL, NULL, "{}", &r) == 0);
    char v[128];
    CHECK(r.status == 401 && http_header(&r, "WWW-Authenticate", v, sizeof v) == 0 && strstr(v, "Bearer"));
    http_resp_free(&r);
    /* roles */
    CHECK_EQ_INT(call("GET", "/api/v1/taxonomy", t_exam, NULL, NULL), 200);
    CHECK_EQ_INT(call("GET", "/api/v1/status", t_pol, NULL, NULL), 200);
    int st = call("POST", "/api/v1/rules/reload", t_exam, "", &o);
    CHECK(check_error(o, st, 403, "forbidden", NULL, "examiner reloads rules"));
    cJSON_Delete(o);
    st = call("POST", "/api/v1/lexicon/reload", t_rev, "", &o);
    CHECK(check_error(o, st, 403, "forbidden", NULL, "reviewer reloads the lexicon"));
    cJSON_Delete(o);
    CHECK_EQ_INT(call("POST", "/api/v1/rules/reload", t_pol, "", NULL), 200);
    st = call("GET", "/api/v1/users", t_exam, NULL, &o);
    CHECK(check_error(o, st, 403, "forbidden", NULL, "examiner lists users"));
    /* the roles in the screens' words, the caller's too */
    const char *fm = jstr(jget(o, "error"), "message");
    CHECK(fm && strstr(fm, "현재 역할: 심사역") && strstr(fm, "관리자") && !strstr(fm, "examiner"));
    cJSON_Delete(o);
    CHECK_EQ_INT(call("GET", "/api/v1/users", t_adm, NULL, &o), 200);
    CHECK(cJSON_GetArraySize(jget(o, "users")) == 5);
    char *txt = cJSON_PrintUnformatted(o);
    CHECK(txt && !strstr(txt, "token") && !strstr(txt, t_exam + 4));
    free(txt);
    cJSON_Delete(o);
    dev_row row;
    REQUIRE(dev_row_pick(2, &row) == 0);
    char brn[11];
    brn_make(314159265, brn);
    cJSON *req = dev_request(&row, brn, "홍길동");
    st = call_obj("POST", "/api/v1/classify", t_adm, req, &o);
    CHECK(check_error(o, st, 403, "forbidden", NULL, "admin classifies"));
    cJSON_Delete(o);
    CHECK_EQ_INT(call_obj("POST", "/api/v1/classify", t_pol, req, &o), 200);
    CHECK(jget(o, "previous_judgments") == NULL); /* judgments are not the policy role's to read */
    cJSON *body = judgment_of(req, o, NULL);
    cJSON_Delete(o);
    st = call_obj("POST", "/api/v1/judgments", t_pol, body, &o);
    CHECK(check_error(o, st, 403, "forbidden", NULL, "policy saves a judgment"));
    cJSON_Delete(o);
    CHECK_EQ_INT(call_obj("POST", "/api/v1/judgments", t_exam, body, &o), 201);
    CHECK_EQ_STR(jstr(o, "examiner"), "kim");
    cJSON_Delete(o);
    cJSON_Delete(body);
    CHECK_EQ_INT(call_obj("POST", "/api/v1/classify", t_pol, req, &o), 200);
    CHECK(jget(o, "previous_judgments") == NULL);
    cJSON_Delete(o);
    CHECK_EQ_INT(call_obj("POST", "/api/v1/classify", t_exam2, req, &o), 200);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "previous_judgments")), 1);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(jget(o, "previous_judgments"), 0), "examiner"), "kim");
    cJSON_Delete(o);
    cJSON_Delete(req);
    /* a token revoked while igcd runs stops working at once */
    char rdb_tok[128];
    REQUIRE(user_add(db, "temp", "examiner", rdb_tok) == 0);
    CHECK_EQ_INT(call("GET", "/api/v1/taxonomy", rdb_tok, NULL, NULL), 200);
    const char *rev[] = {"--db", db, "users", "revoke", "temp", NULL};
    CHECK_EQ_INT(igc_run(rev, NULL), 0);
    CHECK_EQ_INT(call("GET", "/api/v1/taxonomy", rdb_tok, NULL, NULL), 401);
}

/* ---- judgment ids: not enumerable, and reading one checks the role ---- */

TEST(judgment_ids_not_guessable) {
    REQUIRE(setup());
    REQUIRE(server(NULL));
    dev_row row;
    REQUIRE(dev_row_pick(4, &row) == 0);
    char brn[11], ids[3][64], path[160];
    cJSON *o;
    for (int i = 0; i < 3; i++) {
        brn_make(271828100 + (unsigned long)i, brn);
        cJSON *req = dev_request(&row, brn, "홍길동");
        REQUIRE(call_obj("POST", "/api/v1/classify", t_exam, req, &o) == 200);
        cJSON *body = judgment_of(req, o, NULL);
        cJSON_Delete(o);
        REQUIRE(call_obj("POST", "/api/v1/judgments", t_exam, body, &o) == 201);
        snprintf(ids[i], sizeof ids[i], "%s", jstr(o, "id") ? jstr(o, "id") : "");
        cJSON_Delete(o);
        cJSON_Delete(body);
        cJSON_Delete(req);
        /* 128 random bits in hex */
        CHECK_EQ_INT((int)strlen(ids[i]), 32);
        CHECK(strspn(ids[i], "0123456789abcdef") == 32);
    }
    /* consecutive saves share no long prefix (time-ordered ids shared 13+ characters) */
    for (int i = 1; i < 3; i++) CHECK(strncmp(ids[i], ids[i - 1], 6) != 0);
    snprintf(path, sizeof path, "/api/v1/judgments/%s", ids[0]);
    CHECK_EQ_INT(call("GET", path, t_exam2, NULL, &o), 200);
    CHECK_EQ_STR(jstr(o, "examiner"), "kim");
    cJSON_Delete(o);
    int st = call("GET", path, NULL, NULL, &o);
    CHECK(check_error(o, st, 401, "unauthorized", NULL, "read without a token"));
    cJSON_Delete(o);
    st = call("GET", path, t_pol, NULL, &o);
    CHECK(check_error(o, st, 403, "forbidden", NULL, "policy reads a judgment"));
    cJSON_Delete(o);
    /* guessing around a known id finds nothing */
    int found = 0;
    for (int k = 0; k < 200; k++) {
        char g[64];
        snprintf(g, sizeof g, "%s", ids[1]);
        g[31 - (k % 8)] = "0123456789abcdef"[k % 16];
        if (strcmp(g, ids[0]) == 0 || strcmp(g, ids[1]) == 0 || strcmp(g, ids[2]) == 0) continue;
        snprintf(path, sizeof path, "/api/v1/judgments/%s", g);
        found += call("GET", path, t_exam, NULL, NULL) == 200;
    }
    CHECK_EQ_INT(found, 0);
}

/* ---- quota: one user cannot fill the store ---- */

TEST(save_quota_per_user) {
    REQUIRE(setup());
    const char *extra[] = {"--saves-per-minute", "5", NULL};
    REQUIRE(server(extra));
    dev_row row;
    REQUIRE(dev_row_pick(5, &row) == 0);
    char brn[11];
    brn_make(141421356, brn);
    cJSON *req = dev_request(&row, brn, "홍길동"), *o;
    REQUIRE(call_obj("POST", "/api/v1/classify", t_exam, req, &o) == 200);
    cJSON *body = judgment_of(req, o, NULL);
    cJSON_Delete(o);
    cJSON *s0;
    REQUIRE(call("GET", "/api/v1/status", t_exam, NULL, &s0) == 200);
    double j0 = jnum(jget(s0, "store"), "judgments", -1);
    cJSON_Delete(s0);
    int ok = 0, limited = 0;
    for (int i = 0; i < 40; i++) {
        int st = call_obj("POST", "/api/v1/judgments", t_exam, body, &o);
        ok += st == 201;
        if (st == 429) {
            if (!limited) CHECK(check_error(o, st, 429, "too_many_saves", NULL, "save over the quota"));
            limited++;
        }
        cJSON_Delete(o);
    }
    CHECK_EQ_INT(ok, 5);
    CHECK_EQ_INT(limited, 35);
    /* another user still saves */
    CHECK_EQ_INT(call_obj("POST", "/api/v1/judgments", t_exam2, body, NULL), 201);
    REQUIRE(call("GET", "/api/v1/status", t_exam, NULL, &s0) == 200);
    CHECK_EQ_INT((int)jnum(jget(s0, "store"), "judgments", -1), (int)j0 + 6);
    cJSON_Delete(s0);
    /* a judgment body is held to its own limit */
    cJSON *big = cJSON_Duplicate(body, 1);
    char *pad = malloc(70000);
    REQUIRE(pad);
    memset(pad, 'a', 69999);
    pad[69999] = '\0';
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(big, "result"), "pad", pad);
    free(pad);
    int st = call_obj("POST", "/api/v1/judgments", t_exam2, big, &o);
    CHECK(check_error(o, st, 413, "body_too_large", NULL, "judgment body over 64 KiB"));
    cJSON_Delete(o);
    cJSON_Delete(big);
    cJSON_Delete(body);
    cJSON_Delete(req);
}

/* ---- poisoning ---- */

static void similar_list(const cJSON *res, char *out, size_t outsz) {
    out[0] = '\0';
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(res, "similar_judgments")) {
        size_t l = strlen(out);
        snprintf(out + l, outsz - l, "%s/%s;", jstr(x, "company") ? jstr(x, "company") : "",
                 jstr(x, "item") ? jstr(x, "item") : "none");
    }
}

/* An item unrelated to the answer: the last item of the taxonomy not in the top 3. */
static void unrelated_item(const cJSON *res, char out[32]) {
    cJSON *tx;
    out[0] = '\0';
    if (call("GET", "/api/v1/taxonomy", t_exam, NULL, &tx) != 200) return;
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(tx, "items")) {
        const char *c = jstr(it, "code");
        int top = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, jget(res, "items")) top |= c && jstr(x, "code") && strcmp(c, jstr(x, "code")) == 0;
        if (c && !top) snprintf(out, 32, "%s", c);
    }
    cJSON_Delete(tx);
}

/* 10 saves by one user naming an unrelated item, for the target company itself and
 * for 10 other companies with the target's text: the target's similar judgments
 * change by at most one attributable judgment; in review mode by none. */
static void poison(int review) {
    dev_row row;
    REQUIRE(dev_row_pick(7, &row) == 0);
    char brn[11];
    brn_make(review ? 173205080 : 223606797, brn);
    cJSON *req = dev_request(&row, brn, "홍길동"), *res0, *o;
    REQUIRE(call_obj("POST", "/api/v1/classify", t_exam, req, &res0) == 200);
    char before[4096], after[4096], bad[32];
    similar_list(res0, before, sizeof before);
    double knn0 = jnum(jget(cJSON_GetArrayItem(jget(res0, "items"), 0), "signals"), "knn", -1);
    unrelated_item(res0, bad);
    REQUIRE(bad[0]);
    cJSON *s0;
    REQUIRE(call("GET", "/api/v1/status", t_exam, NULL, &s0) == 200);
    double ex0 = jnum(s0, "exemplars", -1);
    cJSON_Delete(s0);
    /* 10 on the target company */
    for (int i = 0; i < 10; i++) {
        cJSON *b = judgment_of(req, res0, bad);
        CHECK_EQ_INT(call_obj("POST", "/api/v1/judgments", t_exam2, b, NULL), 201);
        cJSON_Delete(b);
    }
    REQUIRE(call_obj("POST", "/api/v1/classify", t_exam, req, &o) == 200);
    similar_list(o, after, sizeof after);
    CHECK_EQ_STR(after, before); /* its own judgments are never its similar ones */
    CHECK(jnum(jget(cJSON_GetArrayItem(jget(o, "items"), 0), "signals"), "knn", -2) == knn0);
    /* shown apart: the newest current, the rest superseded */
    const cJSON *prev = jget(o, "previous_judgments");
    CHECK_EQ_INT(cJSON_GetArraySize(prev), 5);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(prev, 0), "status"), "current");
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(prev, 0), "examiner"), "lee");
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(prev, 1), "status"), "superseded");
    cJSON_Delete(o);
    /* 10 more on other companies with the same text */
    char last_id[64] = "";
    for (int i = 0; i < 10; i++) {
        char ob[11];
        brn_make((review ? 300000000UL : 400000000UL) + (unsigned long)i, ob);
        cJSON *r2 = dev_request(&row, ob, "홍길동");
        cJSON *b = judgment_of(r2, res0, bad);
        CHECK_EQ_INT(call_obj("POST", "/api/v1/judgments", t_exam2, b, &o), 201);
        if (jstr(o, "id")) snprintf(last_id, sizeof last_id, "%s", jstr(o, "id"));
        cJSON_Delete(o);
        cJSON_Delete(b);
        cJSON_Delete(r2);
    }
    REQUIRE(call("GET", "/api/v1/status", t_exam, NULL, &s0) == 200);
    /* save mode: one user's repeated text counts once (the latest); review: none */
    CHECK_EQ_INT((int)jnum(s0, "exemplars", -1), (int)ex0 + (review ? 0 : 1));
    cJSON_Delete(s0);
    REQUIRE(call_obj("POST", "/api/v1/classify", t_exam, req, &o) == 200);
    int poisoned = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(o, "similar_judgments")) if (jstr(x, "item") && strcmp(jstr(x, "item"), bad) == 0) {
        poisoned++;
        CHECK_EQ_STR(jstr(x, "examiner"), "lee"); /* attributable */
    }
    CHECK(poisoned <= (review ? 0 : 1));
    cJSON_Delete(o);
    if (review) {
        /* only a reviewer's confirmation makes one count; an examiner cannot confirm */
        char path[160];
        snprintf(path, sizeof path, "/api/v1/judgments/%s/confirm", last_id);
        int st = call("POST", path, t_exam, "", &o);
        CHECK(check_error(o, st, 403, "forbidden", NULL, "examiner confirms"));
        cJSON_Delete(o);
        /* nor the reviewer who saved it: a confirmation is a second person's */
        {
            char ob[11], own[160];
            brn_make(500000001UL, ob);
            cJSON *r3 = dev_request(&row, ob, "홍길동");
            cJSON *b = judgment_of(r3, res0, bad);
            CHECK_EQ_INT(call_obj("POST", "/api/v1/judgments", t_rev, b, &o), 201);
            snprintf(own, sizeof own, "/api/v1/judgments/%s/confirm", jstr(o, "id") ? jstr(o, "id") : "x");
            cJSON_Delete(o);
            cJSON_Delete(b);
            cJSON_Delete(r3);
            st = call("POST", own, t_rev, "", &o);
            CHECK(check_error(o, st, 409, "own_judgment", NULL, "reviewer confirms own"));
            cJSON_Delete(o);
        }
        CHECK_EQ_INT(call("POST", path, t_rev, "", &o), 200);
        CHECK(cJSON_IsTrue(jget(o, "confirmed")));
        CHECK_EQ_STR(jstr(o, "confirmed_by"), "park");
        CHECK_EQ_STR(jstr(o, "examiner"), "lee");
        cJSON_Delete(o);
        st = call("POST", path, t_rev, "", &o);
        CHECK(check_error(o, st, 409, "judgment_confirmed", NULL, "confirm twice"));
        cJSON_Delete(o);
        REQUIRE(call("GET", "/api/v1/status", t_exam, NULL, &s0) == 200);
        CHECK_EQ_INT((int)jnum(s0, "exemplars", -1), (int)ex0 + 1);
        cJSON_Delete(s0);
        /* voided: kept, marked, and no longer counts */
        snprintf(path, sizeof path, "/api/v1/judgments/%s/void", last_id);
        st = call("POST", path, t_rev, "{\"reason\":\"  \"}", &o);
        CHECK(check_error(o, st, 400, "blank_field", "reason", "void without a reason"));
        cJSON_Delete(o);
        st = call("POST", path, t_rev, "{\"reason\":5}", &o);
        CHECK(check_error(o, st, 400, "invalid_type", "reason", "void with a number for a reason"));
        cJSON_Delete(o);
        st = call("POST", path, t_rev, "{\"reason\":", &o);
        CHECK(check_error(o, st, 400, "invalid_json", NULL, "void with a broken body"));
        cJSON_Delete(o);
        CHECK_EQ_INT(call("POST", path, t_rev, "{\"reason\":\"품목 오기\"}", &o), 200);
        CHECK_EQ_STR(jstr(o, "status"), "voided");
        CHECK_EQ_STR(jstr(o, "void_reason"), "품목 오기");
        cJSON_Delete(o);
        REQUIRE(call("GET", "/api/v1/status", t_exam, NULL, &s0) == 200);
        CHECK_EQ_INT((int)jnum(s0, "exemplars", -1), (int)ex0);
        cJSON_Delete(s0);
        snprintf(path, sizeof path, "/api/v1/judgments/%s", last_id);
        CHECK_EQ_INT(call("GET", path, t_exam, NULL, &o), 200);
        CHECK_EQ_STR(jstr(o, "status"), "voided");
        cJSON_Delete(o);
    }
    cJSON_Delete(res0);
    cJSON_Delete(req);
}

TEST(poisoning_save_mode) {
    REQUIRE(setup());
    REQUIRE(server(NULL));
    poison(0);
}

TEST(poisoning_review_mode) {
    REQUIRE(setup());
    const char *extra[] = {"--learn-from", "review", NULL};
    REQUIRE(server(extra));
    poison(1);
}

/* ---- the screens: login, cookie, CSRF ---- */

static int cookie_of(const http_resp *r, char sid[64], char attrs[256]) {
    char v[320];
    if (http_header(r, "Set-Cookie", v, sizeof v)) return -1;
    if (strncmp(v, "igc_session=", 12)) return -1;
    size_t n = strcspn(v + 12, ";");
    snprintf(sid, 64, "%.*s", (int)n, v + 12);
    snprintf(attrs, 256, "%s", v + 12 + n);
    return 0;
}

TEST(login_cookie_csrf) {
    REQUIRE(setup());
    const char *extra[] = {"--cookie-secure", "1", NULL};
    REQUIRE(server(extra));
    http_resp r;
    char body[256], sid[64], attrs[256];
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", "igc_nope");
    REQUIRE(areq("POST", "/api/v1/session", NULL, NULL, NULL, body, &r) == 0);
    cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
    CHECK(check_error(o, r.status, 401, "invalid_token", "token", "login with a wrong token"));
    cJSON_Delete(o);
    http_resp_free(&r);
    /* a token that is not a string, or a body that is not JSON: said so, not "blank" */
    static const char *const bad[][3] = {{"{\"token\":5}", "invalid_type", "token"},
                                         {"{\"token\":[\"x\"]}", "invalid_type", "token"},
                                         {"{\"token\":", "invalid_json", NULL},
                                         {"[1]", "invalid_json", NULL}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        REQUIRE(areq("POST", "/api/v1/session", NULL, NULL, NULL, bad[k][0], &r) == 0);
        o = cJSON_ParseWithLength(r.body, r.body_len);
        CHECK(check_error(o, r.status, 400, bad[k][1], bad[k][2], bad[k][0]));
        cJSON_Delete(o);
        http_resp_free(&r);
    }
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", t_exam);
    REQUIRE(areq("POST", "/api/v1/session", NULL, NULL, NULL, body, &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    REQUIRE(cookie_of(&r, sid, attrs) == 0);
    CHECK(strstr(attrs, "HttpOnly") && strstr(attrs, "SameSite=Strict") && strstr(attrs, "Secure") &&
          strstr(attrs, "Path=/"));
    o = cJSON_ParseWithLength(r.body, r.body_len);
    http_resp_free(&r);
    CHECK_EQ_STR(jstr(o, "user"), "kim");
    CHECK_EQ_STR(jstr(o, "role"), "examiner");
    char csrf[64];
    snprintf(csrf, sizeof csrf, "%s", jstr(o, "csrf") ? jstr(o, "csrf") : "");
    cJSON_Delete(o);
    CHECK_EQ_INT((int)strlen(csrf), 32);
    /* the cookie identifies for reads */
    REQUIRE(areq("GET", "/api/v1/session", NULL, sid, NULL, NULL, &r) == 0);
    o = cJSON_ParseWithLength(r.body, r.body_len);
    CHECK_EQ_STR(jstr(o, "user"), "kim");
    CHECK_EQ_STR(jstr(o, "csrf"), csrf);
    cJSON_Delete(o);
    http_resp_free(&r);
    REQUIRE(areq("GET", "/api/v1/taxonomy", NULL, sid, NULL, NULL, &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    http_resp_free(&r);
    /* a change needs the CSRF token besides the cookie */
    dev_row row;
    REQUIRE(dev_row_pick(1, &row) == 0);
    char brn[11];
    brn_make(577215664, brn);
    cJSON *req = dev_request(&row, brn, "홍길동");
    char *rq = cJSON_PrintUnformatted(req);
    REQUIRE(areq("POST", "/api/v1/classify", NULL, sid, NULL, rq, &r) == 0);
    o = cJSON_ParseWithLength(r.body, r.body_len);
    CHECK(check_error(o, r.status, 403, "csrf_failed", NULL, "cookie without CSRF"));
    cJSON_Delete(o);
    http_resp_free(&r);
    REQUIRE(areq("POST", "/api/v1/classify", NULL, sid, "0123456789abcdef0123456789abcdef", rq, &r) == 0);
    CHECK_EQ_INT(r.status, 403);
    http_resp_free(&r);
    REQUIRE(areq("POST", "/api/v1/classify", NULL, sid, csrf, rq, &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    http_resp_free(&r);
    /* logout: the cookie stops working */
    REQUIRE(areq("DELETE", "/api/v1/session", NULL, sid, csrf, NULL, &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    http_resp_free(&r);
    REQUIRE(areq("GET", "/api/v1/taxonomy", NULL, sid, NULL, NULL, &r) == 0);
    CHECK_EQ_INT(r.status, 401);
    http_resp_free(&r);
    free(rq);
    cJSON_Delete(req);
}

/* ---- the audit log ---- */

TEST(audit_export) {
    REQUIRE(setup());
    REQUIRE(server(NULL));
    dev_row row;
    REQUIRE(dev_row_pick(6, &row) == 0);
    char brn[11], path[160];
    brn_make(662607015, brn);
    cJSON *req = dev_request(&row, brn, "홍길동"), *res, *o;
    REQUIRE(call_obj("POST", "/api/v1/classify", t_exam, req, &res) == 200);
    const char *did = jstr(res, "decision_id");
    CHECK(did && strlen(did) == 32);
    cJSON *b = judgment_of(req, res, NULL);
    REQUIRE(call_obj("POST", "/api/v1/judgments", t_exam, b, &o) == 201);
    snprintf(path, sizeof path, "/api/v1/judgments/%s", jstr(o, "id"));
    char id[64];
    snprintf(id, sizeof id, "%s", jstr(o, "id"));
    cJSON_Delete(o);
    CHECK_EQ_INT(call("GET", path, t_rev, NULL, NULL), 200);
    /* queued records reach the store within a second (and at exit) */
    CHECK_EQ_INT(igcd_term(&srv, 10000), 0);
    char *out = NULL;
    const char *aud[] = {"--db", db, "audit", "export", NULL};
    CHECK_EQ_INT(igc_run(aud, &out), 0);
    REQUIRE(out);
    int classify = 0, save = 0, read = 0, lines = 0;
    char *save_ptr = NULL;
    for (char *l = strtok_r(out, "\n", &save_ptr); l; l = strtok_r(NULL, "\n", &save_ptr)) {
        cJSON *x = cJSON_Parse(l);
        CHECK(x != NULL);
        lines++;
        CHECK(jstr(x, "at") && jstr(x, "action"));
        const char *act = jstr(x, "action");
        if (act && strcmp(act, "classify") == 0 && jstr(x, "decision_id") && strcmp(jstr(x, "decision_id"), did) == 0) {
            classify++;
            CHECK_EQ_STR(jstr(x, "user"), "kim");
            CHECK(jstr(x, "input_sha256") && strlen(jstr(x, "input_sha256")) == 64);
            CHECK(jstr(x, "taxonomy_version") && jstr(x, "engine_version") && jstr(x, "rules_version") &&
                  jstr(x, "lexicon_version"));
            CHECK(jget(x, "answer") != NULL);
        }
        if (act && strcmp(act, "judgment.save") == 0 && jstr(x, "judgment") && strcmp(jstr(x, "judgment"), id) == 0) {
            save++;
            CHECK_EQ_STR(jstr(x, "user"), "kim");
            CHECK(jstr(x, "input_sha256") && jstr(x, "engine_version"));
        }
        if (act && strcmp(act, "judgment.read") == 0 && jstr(x, "judgment") && strcmp(jstr(x, "judgment"), id) == 0) {
            read++;
            CHECK_EQ_STR(jstr(x, "user"), "park");
            CHECK(jstr(x, "brn") && strcmp(jstr(x, "brn"), brn) != 0 && strchr(jstr(x, "brn"), '*'));
        }
        cJSON_Delete(x);
    }
    CHECK_EQ_INT(classify, 1);
    CHECK_EQ_INT(save, 1);
    CHECK_EQ_INT(read, 1);
    free(out);
    /* personal fields never in full */
    CHECK_EQ_INT(igc_run(aud, &out), 0);
    CHECK(out && !strstr(out, brn) && !strstr(out, "홍길동"));
    free(out);
    const char *later[] = {"--db", db, "audit", "export", "--since", "2999-01-01", NULL};
    CHECK_EQ_INT(igc_run(later, &out), 0);
    CHECK(out && out[0] == '\0');
    free(out);
    const char *badd[] = {"--db", db, "audit", "export", "--since", "yesterday", NULL};
    CHECK_EQ_INT(igc_run(badd, NULL), 2);
    cJSON_Delete(b);
    cJSON_Delete(res);
    cJSON_Delete(req);
}

/* ---- retention: the only way a judgment goes ---- */

TEST(retention_purge) {
    REQUIRE(setup());
    REQUIRE(server(NULL));
    cJSON *s0;
    REQUIRE(call("GET", "/api/v1/status", t_exam, NULL, &s0) == 200);
    double j0 = jnum(jget(s0, "store"), "judgments", -1), x0 = jnum(jget(s0, "store"), "exemplars", -1);
    cJSON_Delete(s0);
    igcd_kill(&srv);
    char *out = NULL;
    const char *purge[] = {"--db", db, "judgments", "purge", "--before", "2999-01-01", NULL};
    CHECK_EQ_INT(igc_run(purge, &out), 0);
    CHECK(out && strstr(out, "deleted"));
    free(out);
    REQUIRE(server(NULL));
    REQUIRE(call("GET", "/api/v1/status", t_exam, NULL, &s0) == 200);
    double j1 = jnum(jget(s0, "store"), "judgments", -1);
    /* superseded and voided ones went, current ones and every exemplar stayed */
    CHECK(j1 < j0 && j1 > 0);
    CHECK_EQ_INT((int)jnum(jget(s0, "store"), "exemplars", -1), (int)x0);
    cJSON_Delete(s0);
    const char *aud[] = {"--db", db, "audit", "export", NULL};
    CHECK_EQ_INT(igc_run(aud, &out), 0);
    CHECK(out && strstr(out, "\"action\":\"judgment.purge\""));
    free(out);
    const char *nodate[] = {"--db", db, "judgments", "purge", NULL};
    CHECK_EQ_INT(igc_run(nodate, NULL), 2);
}


/* ---- trusted reverse-proxy header ---- */

static int call_hdr(const char *path, const char *hdr) {
    igc_buf rq = {0};
    igc_buf_printf(&rq, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s\r\n", path, srv.port, hdr);
    http_resp r;
    int rc = http_raw(srv.port, rq.data, rq.len, &r);
    igc_buf_free(&rq);
    int st = rc ? 0 : r.status;
    if (!rc) http_resp_free(&r);
    return st;
}

TEST(proxy_header) {
    REQUIRE(setup());
    const char *from_us[] = {"--proxy-header", "X-Remote-User", "--proxy-addr", "127.0.0.1", NULL};
    REQUIRE(server(from_us));
    CHECK_EQ_INT(call_hdr("/api/v1/taxonomy", "X-Remote-User: kim\r\n"), 200);
    CHECK_EQ_INT(call_hdr("/api/v1/users", "X-Remote-User: kim\r\n"), 403); /* the user's own role */
    CHECK_EQ_INT(call_hdr("/api/v1/users", "X-Remote-User: jung\r\n"), 200);
    CHECK_EQ_INT(call_hdr("/api/v1/taxonomy", "X-Remote-User: nobody\r\n"), 401);
    CHECK_EQ_INT(call_hdr("/api/v1/taxonomy", "X-Remote-User: temp\r\n"), 401); /* revoked */
    /* from any other address the header means nothing */
    const char *elsewhere[] = {"--proxy-header", "X-Remote-User", "--proxy-addr", "10.9.9.9", NULL};
    REQUIRE(server(elsewhere));
    CHECK_EQ_INT(call_hdr("/api/v1/taxonomy", "X-Remote-User: jung\r\n"), 401);
}

/* ---- the store alarm: on /readyz and the status page well before the map is full ---- */

TEST(store_alarm) {
    REQUIRE(setup());
    const char *extra[] = {"--store-alarm", "1", "--map-mb", "64", NULL};
    REQUIRE(server(extra));
    cJSON *o;
    CHECK_EQ_INT(call("GET", "/readyz", NULL, NULL, &o), 200);
    CHECK(jnum(o, "store_used", 0) > 0.01);
    CHECK(jstr(o, "store_alarm") && strstr(jstr(o, "store_alarm"), "저장소"));
    cJSON_Delete(o);
    CHECK_EQ_INT(call("GET", "/api/v1/status", t_exam, NULL, &o), 200);
    int warned = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, jget(o, "warnings")) warned |= jstr(w, "code") && strcmp(jstr(w, "code"), "store_almost_full") == 0;
    CHECK(warned);
    cJSON_Delete(o);
    REQUIRE(server(NULL)); /* the default alarm (80%) is far away */
    CHECK_EQ_INT(call("GET", "/readyz", NULL, NULL, &o), 200);
    CHECK(!jget(o, "store_alarm"));
    cJSON_Delete(o);
}

/* ---- a policy change is audited with its before and after versions ---- */

TEST(policy_change_audited) {
    REQUIRE(setup());
    char rdir[PATH_MAX + 64], cmd[PATH_MAX * 2 + 64];
    snprintf(rdir, sizeof rdir, "%.3000s/rules-copy", tmp);
    snprintf(cmd, sizeof cmd, "cp -r '%s/rules' '%s'", IGC_TEST_SOURCE_DIR, rdir);
    REQUIRE(system(cmd) == 0);
    const char *extra[] = {"--rules", rdir, NULL};
    REQUIRE(server(extra));
    REQUIRE(rules_touch(rdir) == 0);
    CHECK_EQ_INT(call("POST", "/api/v1/rules/reload", t_pol, "", NULL), 200);
    CHECK_EQ_INT(igcd_term(&srv, 10000), 0);
    char *out = NULL;
    const char *aud[] = {"--db", db, "audit", "export", NULL};
    CHECK_EQ_INT(igc_run(aud, &out), 0);
    int found = 0;
    char *save_ptr = NULL;
    for (char *l = out ? strtok_r(out, "\n", &save_ptr) : NULL; l; l = strtok_r(NULL, "\n", &save_ptr)) {
        cJSON *x = cJSON_Parse(l);
        if (jstr(x, "action") && strcmp(jstr(x, "action"), "policy.change") == 0 && jstr(x, "object") &&
            strcmp(jstr(x, "object"), "rules") == 0) {
            found++;
            CHECK(jstr(x, "before") && jstr(x, "after") && strcmp(jstr(x, "before"), jstr(x, "after")) != 0);
            /* by the policy user, or by the directory watcher when it reloaded first */
            CHECK(!jstr(x, "user") || strcmp(jstr(x, "user"), "choi") == 0);
        }
        cJSON_Delete(x);
    }
    CHECK_EQ_INT(found, 1);
    free(out);
}

IGC_TEST_MAIN(TEST_ENTRY(users_cli), TEST_ENTRY(open_mode_loopback_only), TEST_ENTRY(users_added_while_open_are_warned), TEST_ENTRY(every_route_needs_identity_and_role),
              TEST_ENTRY(judgment_ids_not_guessable), TEST_ENTRY(save_quota_per_user), TEST_ENTRY(poisoning_save_mode),
              TEST_ENTRY(poisoning_review_mode), TEST_ENTRY(login_cookie_csrf), TEST_ENTRY(audit_export),
              TEST_ENTRY(retention_purge), TEST_ENTRY(proxy_header), TEST_ENTRY(store_alarm),
              TEST_ENTRY(policy_change_audited))
