/*
 * Switching revisions in a running igcd, and the re-classification job:
 * a malformed revision or crosswalk is refused with a message naming the problem; a
 * rules file naming a code the new revision removed is reported at staging and blocks
 * activation; activation and rollback under a concurrent classification load fail no
 * request and never give an answer that mixes two revisions; the job re-classifies
 * every stored judgment, and one killed with SIGKILL resumes and finishes with nothing
 * lost or counted twice. Codes, relations and counts come from the data files.
 */
#include "app_test_util.h"

#include <pthread.h>

#include "igc_store.h"

static char tmp[PATH_MAX];
static igcd_proc srv;
static cJSON *v6, *v7;    /* the two taxonomy files, parsed here independently */
static char *v7_text, *cw_text;

static void cleanup(void) {
    igcd_kill(&srv);
    rm_tmp(tmp);
}

static const char *data_file(const char *rel) {
    static char p[4][PATH_MAX];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], PATH_MAX, "%s/%s", igc_test_data_dir(), rel);
    return p[k];
}

static int setup(void) {
    if (tmp[0]) return v6 && v7 && cw_text;
    if (make_tmpdir(tmp, "revision")) return 0;
    atexit(cleanup);
    size_t n;
    char *t = slurp(data_file("taxonomy/igc-v6.json"), &n);
    v6 = t ? cJSON_Parse(t) : NULL;
    free(t);
    v7_text = slurp(data_file("taxonomy/igc-v7-draft.json"), &n);
    v7 = v7_text ? cJSON_Parse(v7_text) : NULL;
    cw_text = slurp(data_file("taxonomy/crosswalk-v6-v7.csv"), &n);
    return v6 && v7 && cw_text;
}

/* The name of item `code` in a taxonomy document, or NULL. */
static const char *item_name(const cJSON *tx, const char *code) {
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(tx, "items")) if (strcmp(jstr(it, "code"), code) == 0) return jstr(it, "name");
    return NULL;
}

/* A store with the labelled history imported (lexical engine: fast). */
static int make_store(const char *db) {
    char *argv[] = {IGC_BIN, "--db", (char *)db, "--data", (char *)igc_test_data_dir(), "--model", "none", "--params",
                    "none", "history", "import", (char *)data_file("labeled/history.csv"), NULL};
    return run_wait(argv, NULL, NULL, NULL);
}

/* The first crosswalk line with this relation, split into its columns (copies). */
static int crosswalk_row(const char *relation, char cols[6][256], int skip) {
    igc_csv *c;
    if (igc_csv_open_mem(cw_text, strlen(cw_text), &c)) return -1;
    char **f;
    size_t nf;
    int rc = -1;
    igc_csv_next(c, &f, &nf);
    while (igc_csv_next(c, &f, &nf) == 1)
        if (nf >= 5 && strcmp(f[4], relation) == 0 && skip-- == 0) {
            for (int i = 0; i < 6; i++) snprintf(cols[i], 256, "%s", (size_t)i < nf ? f[i] : "");
            rc = 0;
            break;
        }
    igc_csv_close(c);
    return rc;
}

static char *revision_body(const char *tx_text, const char *cw) {
    cJSON *o = cJSON_CreateObject();
    cJSON *tx = cJSON_Parse(tx_text);
    cJSON_AddItemToObject(o, "taxonomy", tx ? tx : cJSON_CreateString(tx_text));
    cJSON_AddStringToObject(o, "crosswalk", cw);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

static cJSON *post_text(int port, const char *path, const char *body, int *status) {
    return http_post_json(port, path, body, status);
}

/* Waits until the staged revision is no longer building; returns its state. */
static char *wait_staged(int port) {
    static char state[32];
    state[0] = '\0';
    for (int i = 0; i < 600; i++) {
        int st;
        cJSON *o = http_get_json(port, "/api/v1/taxonomy/revisions", &st);
        const char *s = jstr(jget(o, "staged"), "state");
        snprintf(state, sizeof state, "%s", s ? s : "");
        cJSON_Delete(o);
        if (strcmp(state, "building") != 0) break;
        sleep_ms(100);
    }
    return state;
}

/* Uploads the 7th revision, waits until it is staged and activates it: 0, or -1. */
static int activate_v7(int port) {
    int st;
    char *body = revision_body(v7_text, cw_text);
    cJSON *o = post_text(port, "/api/v1/taxonomy/revisions", body, &st);
    free(body);
    cJSON_Delete(o);
    if (st != 201 || strcmp(wait_staged(port), "ready") != 0) return -1;
    char act[128];
    snprintf(act, sizeof act, "{\"version\": \"%s\"}", jstr(v7, "version"));
    o = post_text(port, "/api/v1/taxonomy/activate", act, &st);
    cJSON_Delete(o);
    return st == 200 ? 0 : -1;
}

static int start(const char *tag, const char *rules_dir) {
    char db[PATH_MAX + 32], log[PATH_MAX + 32];
    snprintf(db, sizeof db, "%s/db-%s", tmp, tag);
    snprintf(log, sizeof log, "%s/igcd-%s.log", tmp, tag);
    if (make_store(db) != 0) return -1;
    const char *extra[] = {"--rules", rules_dir, NULL};
    return igcd_start_ex(&srv, db, log, 1, rules_dir ? extra : NULL);
}

TEST(malformed_revision_or_crosswalk_refused) {
    REQUIRE(setup());
    REQUIRE(start("bad", NULL) == 0);
    int st;
    /* a crosswalk that lost the line of one old item: the message names that item */
    char row[6][256];
    REQUIRE(crosswalk_row("same", row, 3) == 0);
    char line[700];
    snprintf(line, sizeof line, "%s,", row[0]);
    igc_buf cw = {0};
    for (const char *p = cw_text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (strncmp(p, line, strlen(line)) != 0) igc_buf_append(&cw, p, n);
        p += n;
    }
    char *body = revision_body(v7_text, cw.data);
    cJSON *o = post_text(srv.port, "/api/v1/taxonomy/revisions", body, &st);
    CHECK(check_error(o, st, 422, "invalid_crosswalk", "crosswalk", "crosswalk missing an old item"));
    const char *msg = jstr(jget(o, "error"), "message");
    CHECK(msg && strstr(msg, row[0]) != NULL);
    CHECK(jget(o, "report") && !cJSON_IsTrue(jget(jget(o, "report"), "ok")));
    cJSON_Delete(o);
    free(body);
    /* a revision without items */
    cJSON *tx = cJSON_Parse(v7_text);
    cJSON_DeleteItemFromObject(tx, "items");
    char *txt = cJSON_PrintUnformatted(tx);
    cJSON_Delete(tx);
    body = revision_body(txt, cw_text);
    o = post_text(srv.port, "/api/v1/taxonomy/revisions", body, &st);
    CHECK(check_error(o, st, 422, "invalid_revision", "taxonomy", "revision without items"));
    CHECK(strstr(jstr(jget(o, "error"), "message"), "items") != NULL);
    cJSON_Delete(o);
    free(body), free(txt);
    /* the crosswalk must be CSV text, the taxonomy an object */
    o = post_text(srv.port, "/api/v1/taxonomy/revisions", "{\"taxonomy\": \"x\", \"crosswalk\": \"\"}", &st);
    CHECK(check_error(o, st, 400, "invalid_type", "taxonomy", "taxonomy not an object"));
    cJSON_Delete(o);
    /* an unknown relation is named with its line */
    igc_buf bad = {0};
    igc_buf_puts(&bad, cw_text);
    char *rel = strstr(bad.data, ",renamed,");
    REQUIRE(rel);
    memcpy(rel + 1, "renamex", 7);
    body = revision_body(v7_text, bad.data);
    o = post_text(srv.port, "/api/v1/taxonomy/revisions", body, &st);
    CHECK(check_error(o, st, 422, "invalid_crosswalk", "crosswalk", "unknown relation"));
    CHECK(strstr(jstr(jget(o, "error"), "message"), "renamex") && strstr(jstr(jget(o, "error"), "message"), "번째 줄"));
    cJSON_Delete(o);
    free(body);
    /* nothing was staged; the active revision is still the one started with */
    o = http_get_json(srv.port, "/api/v1/taxonomy", &st);
    CHECK(st == 200 && strcmp(jstr(o, "version"), jstr(v6, "version")) == 0);
    CHECK(cJSON_IsNull(jget(jget(o, "revisions"), "staged")));
    cJSON_Delete(o);
    /* the larger body limit is this route's only: the same size elsewhere is refused */
    size_t big = strlen(v7_text) + strlen(cw_text);
    CHECK(big > 256 * 1024);
    http_resp r;
    if (http_req(srv.port, "POST", "/api/v1/classify", "application/json", v7_text, strlen(v7_text), &r) == 0) {
        CHECK_EQ_INT(r.status, 413);
        http_resp_free(&r);
    }
    igc_buf_free(&cw);
    igc_buf_free(&bad);
    igcd_kill(&srv);
}

/* A copy of the rules folder whose first rule file names a code the new revision removed. */
static int rules_with_code(const char *dir, const char *code) {
    char cmd[PATH_MAX * 4];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/*.lua '%s'/", dir, IGC_TEST_SOURCE_DIR "/rules", dir);
    if (system(cmd) != 0) return -1;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/generic_supplier.lua", dir);
    size_t n;
    char *old = slurp(path, &n);
    if (!old) return -1;
    igc_buf b = {0};
    igc_buf_printf(&b, "local excluded_item = \"%s\" -- 정책상 제외 품목\n", code);
    igc_buf_append(&b, old, n);
    int rc = write_text(path, b.data, b.len);
    free(old);
    igc_buf_free(&b);
    return rc;
}

TEST(rules_naming_removed_code_block_activation) {
    REQUIRE(setup());
    char row[6][256], rules[PATH_MAX + 16];
    REQUIRE(crosswalk_row("removed", row, 0) == 0);
    snprintf(rules, sizeof rules, "%s/rules-removed", tmp);
    REQUIRE(rules_with_code(rules, row[0]) == 0);
    REQUIRE(start("rules", rules) == 0);
    int st;
    char *body = revision_body(v7_text, cw_text);
    cJSON *o = post_text(srv.port, "/api/v1/taxonomy/revisions", body, &st);
    free(body);
    CHECK_EQ_INT(st, 201);
    CHECK(strcmp(jstr(o, "version"), jstr(v7, "version")) == 0);
    const cJSON *rep = jget(o, "report"), *e;
    int found = 0;
    cJSON_ArrayForEach(e, jget(rep, "rules")) found |= strcmp(jstr(e, "code"), row[0]) == 0 &&
                                                    strcmp(jstr(e, "relation"), "removed") == 0 &&
                                                    strcmp(jstr(e, "file"), "generic_supplier.lua") == 0;
    CHECK(found);
    CHECK(!cJSON_IsTrue(jget(rep, "ok")));
    cJSON_Delete(o);
    CHECK(strcmp(wait_staged(srv.port), "ready") == 0);
    char act[128];
    snprintf(act, sizeof act, "{\"version\": \"%s\"}", jstr(v7, "version"));
    o = post_text(srv.port, "/api/v1/taxonomy/activate", act, &st);
    CHECK(check_error(o, st, 409, "rules_name_missing_codes", NULL, "activation with a rule naming a removed code"));
    const char *msg = jstr(jget(o, "error"), "message");
    CHECK(msg && strstr(msg, row[0]) != NULL);
    cJSON_Delete(o);
    /* fixed rules: activation goes through */
    char cmd[PATH_MAX * 4];
    snprintf(cmd, sizeof cmd, "cp '%s'/generic_supplier.lua '%s'/", IGC_TEST_SOURCE_DIR "/rules", rules);
    REQUIRE(system(cmd) == 0);
    o = post_text(srv.port, "/api/v1/taxonomy/activate", act, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(strcmp(jstr(jget(o, "active"), "version"), jstr(v7, "version")) == 0);
    cJSON_Delete(o);
    igcd_kill(&srv);
}

/* ---- swap under load ---- */

typedef struct {
    int port, stop, id, ready;
    int requests, failed, mixed, v6_seen, v7_seen;
} loader;

#define NREQ 12

static void *load_loop(void *arg) {
    loader *l = arg;
    char *reqs[NREQ] = {0};
    for (int i = 0; i < NREQ; i++) {
        dev_row row;
        if (dev_row_pick(l->id * NREQ + i, &row)) continue;
        char brn[11];
        brn_make(100000000UL + (unsigned long)i, brn);
        cJSON *req = dev_request(&row, brn, "홍길동");
        reqs[i] = cJSON_PrintUnformatted(req);
        cJSON_Delete(req);
    }
    __atomic_store_n(&l->ready, 1, __ATOMIC_RELEASE);
    for (int i = 0; !__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE); i++) {
        if (!reqs[i % NREQ]) continue;
        int st;
        cJSON *res = http_post_json(l->port, "/api/v1/classify", reqs[i % NREQ], &st);
        l->requests++;
        const char *ver = jstr(res, "taxonomy_version");
        if (st != 200 || !ver) {
            l->failed++;
            cJSON_Delete(res);
            continue;
        }
        const cJSON *tx = strcmp(ver, jstr(v6, "version")) == 0 ? v6 : strcmp(ver, jstr(v7, "version")) == 0 ? v7 : NULL;
        if (!tx) l->mixed++;
        else if (tx == v6) l->v6_seen++;
        else l->v7_seen++;
        /* every item of the answer is an item of the revision it names, by code and name */
        const cJSON *it;
        cJSON_ArrayForEach(it, jget(res, "items")) {
            const char *name = tx ? item_name(tx, jstr(it, "code")) : NULL;
            if (!name || strcmp(name, jstr(it, "name")) != 0) l->mixed++;
        }
        cJSON_Delete(res);
    }
    for (int i = 0; i < NREQ; i++) free(reqs[i]);
    return NULL;
}

TEST(swap_and_rollback_under_load_then_reclassify) {
    REQUIRE(setup());
    REQUIRE(start("swap", NULL) == 0);
    int st;
    /* one judgment saved under the first revision, to follow through the job */
    dev_row row;
    REQUIRE(dev_row_pick(5, &row) == 0);
    char brn[11];
    brn_make(123456789UL, brn);
    cJSON *req = dev_request(&row, brn, "김철수");
    cJSON *res = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    REQUIRE(st == 200);
    const char *chosen = jstr(cJSON_GetArrayItem(jget(res, "items"), 0), "code");
    cJSON_AddStringToObject(req, "chosen_item", chosen);
    cJSON_AddItemToObject(req, "result", res);
    cJSON *saved = http_post_obj(srv.port, "/api/v1/judgments", req, &st);
    CHECK_EQ_INT(st, 201);
    char jid[64];
    snprintf(jid, sizeof jid, "%s", jstr(saved, "id"));
    char chosen_code[32];
    snprintf(chosen_code, sizeof chosen_code, "%s", chosen);
    cJSON_Delete(saved);
    cJSON_Delete(req);

    char *body = revision_body(v7_text, cw_text);
    cJSON *o = post_text(srv.port, "/api/v1/taxonomy/revisions", body, &st);
    free(body);
    CHECK_EQ_INT(st, 201);
    CHECK(cJSON_IsTrue(jget(jget(o, "report"), "ok")));
    cJSON_Delete(o);
    CHECK(strcmp(wait_staged(srv.port), "ready") == 0);

    loader l[2] = {{.port = srv.port, .id = 0}, {.port = srv.port, .id = 1}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, load_loop, &l[i]);
    while (!__atomic_load_n(&l[0].ready, __ATOMIC_ACQUIRE) || !__atomic_load_n(&l[1].ready, __ATOMIC_ACQUIRE)) sleep_ms(10);
    sleep_ms(400);
    char act[128];
    snprintf(act, sizeof act, "{\"version\": \"%s\"}", jstr(v7, "version"));
    o = post_text(srv.port, "/api/v1/taxonomy/activate", act, &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    sleep_ms(600);
    o = http_get_json(srv.port, "/api/v1/taxonomy", &st);
    CHECK(strcmp(jstr(o, "version"), jstr(v7, "version")) == 0);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "items")), cJSON_GetArraySize(jget(v7, "items")));
    CHECK(strcmp(jstr(jget(o, "revisions"), "previous"), jstr(v6, "version")) == 0);
    cJSON_Delete(o);
    o = post_text(srv.port, "/api/v1/taxonomy/rollback", "{}", &st);
    CHECK_EQ_INT(st, 200);
    CHECK(strcmp(jstr(jget(o, "active"), "version"), jstr(v6, "version")) == 0);
    cJSON_Delete(o);
    sleep_ms(600);
    o = post_text(srv.port, "/api/v1/taxonomy/rollback", "{}", &st); /* and forward again */
    CHECK_EQ_INT(st, 200);
    CHECK(strcmp(jstr(jget(o, "active"), "version"), jstr(v7, "version")) == 0);
    cJSON_Delete(o);
    sleep_ms(400);
    for (int i = 0; i < 2; i++) {
        __atomic_store_n(&l[i].stop, 1, __ATOMIC_RELEASE);
        pthread_join(th[i], NULL);
    }
    int requests = l[0].requests + l[1].requests;
    fprintf(stderr, "  %d classifications during the switches: %d under %s, %d under %s\n", requests,
            l[0].v6_seen + l[1].v6_seen, jstr(v6, "version"), l[0].v7_seen + l[1].v7_seen, jstr(v7, "version"));
    CHECK(requests > 10);
    CHECK_EQ_INT(l[0].failed + l[1].failed, 0);
    CHECK_EQ_INT(l[0].mixed + l[1].mixed, 0);
    CHECK(l[0].v6_seen + l[1].v6_seen > 0 && l[0].v7_seen + l[1].v7_seen > 0);

    /* the re-classification job over every stored judgment, under v7 */
    o = post_text(srv.port, "/api/v1/reclassify", "{}", &st);
    CHECK_EQ_INT(st, 202);
    char job[64], path[128];
    snprintf(job, sizeof job, "%s", jstr(o, "job") ? jstr(o, "job") : "");
    cJSON_Delete(o);
    /* a judgment saved while the job classifies goes through at once (writers are not
     * kept waiting behind the job's readers) */
    REQUIRE(dev_row_pick(7, &row) == 0);
    brn_make(123456780UL, brn);
    req = dev_request(&row, brn, "이영희");
    res = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    REQUIRE(st == 200);
    cJSON_AddStringToObject(req, "chosen_item", jstr(cJSON_GetArrayItem(jget(res, "items"), 0), "code"));
    cJSON_AddItemToObject(req, "result", res);
    double t_save = ms_now();
    saved = http_post_obj(srv.port, "/api/v1/judgments", req, &st);
    t_save = ms_now() - t_save;
    CHECK_EQ_INT(st, 201);
    CHECK(t_save < 5000);
    o = http_get_json(srv.port, "/api/v1/reclassify/latest", &st);
    fprintf(stderr, "  a judgment saved in %.0f ms while the job was %s at %d of %d\n", t_save, jstr(o, "state"),
            (int)jnum(o, "done", 0), (int)jnum(o, "total", 0));
    cJSON_Delete(o);
    cJSON_Delete(saved);
    cJSON_Delete(req);
    snprintf(path, sizeof path, "/api/v1/reclassify/%s", job);
    for (int i = 0; i < 1200; i++) {
        o = http_get_json(srv.port, path, &st);
        int running = st == 200 && strcmp(jstr(o, "state"), "running") == 0;
        if (!running) break;
        cJSON_Delete(o);
        o = NULL;
        sleep_ms(100);
    }
    REQUIRE(o);
    CHECK(strcmp(jstr(o, "state"), "done") == 0);
    cJSON *status = http_get_json(srv.port, "/api/v1/status", &st);
    double exemplars = jnum(jget(status, "store"), "exemplars", -1);
    cJSON_Delete(status);
    /* every stored judgment but possibly the one saved during the job (a key before the
     * walk's position is left for the next job) */
    CHECK((int)jnum(o, "done", -1) == (int)exemplars || (int)jnum(o, "done", -1) == (int)exemplars - 1);
    CHECK_EQ_INT((int)jnum(o, "total", -1), (int)jnum(o, "done", -2));
    exemplars = jnum(o, "done", -1);
    const cJSON *rep = jget(o, "report"), *e;
    double sum = 0;
    cJSON_ArrayForEach(e, jget(rep, "by_relation")) sum += jnum(e, "judgments", 0);
    CHECK_EQ_INT((int)sum, (int)exemplars);
    CHECK(jget(jget(rep, "by_relation"), "removed") && jget(jget(rep, "by_relation"), "split"));
    CHECK(jnum(rep, "needs_review", 0) >= jnum(jget(jget(rep, "by_relation"), "removed"), "judgments", 0));
    cJSON_Delete(o);
    /* the full report: one CSV line per judgment after the header */
    snprintf(path, sizeof path, "/api/v1/reclassify/%s/report?format=csv", job);
    http_resp hr;
    REQUIRE(http_req(srv.port, "GET", path, NULL, NULL, 0, &hr) == 0);
    CHECK_EQ_INT(hr.status, 200);
    size_t lines = 0;
    for (size_t i = 0; i < hr.body_len; i++) lines += hr.body[i] == '\n';
    CHECK_EQ_INT((int)lines, (int)exemplars + 1);
    /* without format (and with an empty one) the same CSV: csv is the default */
    static const char *const plain[] = {"", "?format="};
    for (size_t k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "/api/v1/reclassify/%s/report%s", job, plain[k]);
        http_resp h2;
        REQUIRE(http_req(srv.port, "GET", path, NULL, NULL, 0, &h2) == 0);
        CHECK_EQ_INT(h2.status, 200);
        CHECK(h2.body_len == hr.body_len && memcmp(h2.body, hr.body, hr.body_len) == 0);
        http_resp_free(&h2);
    }
    http_resp_free(&hr);
    snprintf(path, sizeof path, "/api/v1/reclassify/%s/report?format=xml", job);
    o = http_get_json(srv.port, path, &st);
    CHECK(check_error(o, st, 400, "invalid_format", "format", "report format"));
    cJSON_Delete(o);
    /* the saved judgment keeps its original code and shows its re-classification */
    snprintf(path, sizeof path, "/api/v1/judgments/%s", jid);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(strcmp(jstr(o, "chosen_item"), chosen_code) == 0);
    CHECK(strcmp(jstr(o, "taxonomy_version"), jstr(v6, "version")) == 0);
    const cJSON *rc = jget(o, "reclassification");
    CHECK(cJSON_IsObject(rc) && strcmp(jstr(rc, "old_code"), chosen_code) == 0 &&
          strcmp(jstr(rc, "taxonomy_version"), jstr(v7, "version")) == 0 && strcmp(jstr(rc, "job"), job) == 0);
    cJSON_Delete(o);
    /* a restart keeps the active revision */
    igcd_proc keep = srv;
    CHECK_EQ_INT(igcd_term(&srv, 10000), 0);
    REQUIRE(igcd_start_ex(&srv, keep.db, keep.log, 1, NULL) == 0);
    o = http_get_json(srv.port, "/api/v1/taxonomy", &st);
    CHECK(strcmp(jstr(o, "version"), jstr(v7, "version")) == 0);
    cJSON_Delete(o);
    igcd_kill(&srv);
}

/* ---- kill -9 in the middle of the job ---- */

typedef struct {
    size_t n, dup, missing;
    const char *job;
    igc_store *s;
} count_ctx;

static int count_result(void *ud, const char *key, const char *json, size_t len) {
    count_ctx *c = ud;
    (void)key, (void)json, (void)len;
    c->n++;
    return 0;
}

static int check_exemplar(void *ud, const char *key, const char *json, size_t len) {
    count_ctx *c = ud;
    (void)json, (void)len;
    char rk[600], *doc = NULL;
    snprintf(rk, sizeof rk, "%s/%s", c->job, key);
    if (igc_store_reclass_get(c->s, rk, &doc) != 0) c->missing++;
    free(doc);
    return 0;
}

/* The last "reclassify: N/M" progress line of a log: N, or -1. */
static long progress_done(const char *log, long *total) {
    size_t n;
    char *t = slurp(log, &n);
    long done = -1;
    for (char *p = t; p && (p = strstr(p, "reclassify: ")); p++) {
        long d, m;
        if (sscanf(p, "reclassify: %ld/%ld", &d, &m) == 2) done = d, *total = m;
    }
    free(t);
    return done;
}

TEST(killed_job_resumes_without_loss_or_duplicates) {
    REQUIRE(setup());
    char db[PATH_MAX + 32], log[PATH_MAX + 32], out[PATH_MAX + 32];
    snprintf(db, sizeof db, "%s/db-kill", tmp);
    snprintf(log, sizeof log, "%s/reclassify-1.log", tmp);
    snprintf(out, sizeof out, "%s/reclassify-2.json", tmp);
    REQUIRE(make_store(db) == 0);
    char *argv[] = {IGC_BIN, "--db", db, "--data", (char *)igc_test_data_dir(), "--model", "none", "--params", "none",
                    "--lexicon-dir", tmp, "reclassify", "--revision", (char *)data_file("taxonomy/igc-v7-draft.json"),
                    "--crosswalk", (char *)data_file("taxonomy/crosswalk-v6-v7.csv"), "--batch", "4", NULL};
    pid_t pid = spawn(argv, NULL, NULL, log);
    REQUIRE(pid > 0);
    remember_pid_(pid);
    long total = 0, done = -1;
    for (int i = 0; i < 3000 && done < 40; i++) {
        sleep_ms(10);
        done = progress_done(log, &total);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    forget_pid_(pid);
    done = progress_done(log, &total);
    fprintf(stderr, "  killed after %ld of %ld\n", done, total);
    CHECK(done > 0 && done < total);
    /* again, with nothing named: the store knows the revision and the job */
    char *argv2[] = {IGC_BIN, "--db", db, "--data", (char *)igc_test_data_dir(), "--model", "none", "--params", "none",
                     "--lexicon-dir", tmp, "reclassify", "--json", NULL};
    char log2[PATH_MAX + 32];
    snprintf(log2, sizeof log2, "%s/reclassify-2.log", tmp);
    CHECK_EQ_INT(run_wait(argv2, NULL, out, log2), 0);
    size_t n;
    char *t = slurp(log2, &n);
    CHECK(t && strstr(t, "resumes after"));
    free(t);
    t = slurp(out, &n);
    cJSON *job = t ? cJSON_Parse(t) : NULL;
    free(t);
    REQUIRE(job);
    CHECK(strcmp(jstr(job, "state"), "done") == 0);
    CHECK(strcmp(jstr(job, "to"), jstr(v7, "version")) == 0);
    CHECK_EQ_INT((int)jnum(job, "done", -1), (int)total);
    /* in the store: one result per exemplar, none missing, none extra */
    igc_store *s;
    REQUIRE(igc_store_open(db, 0, &s) == 0);
    igc_store_stats stt;
    igc_store_stat(s, &stt);
    CHECK_EQ_INT((int)stt.exemplars, (int)total);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s/", jstr(job, "job"));
    count_ctx c = {.job = jstr(job, "job"), .s = s};
    igc_store_reclass_foreach(s, prefix, count_result, &c);
    CHECK_EQ_INT((int)c.n, (int)stt.exemplars);
    igc_store_exemplar_foreach(s, check_exemplar, &c);
    CHECK_EQ_INT((int)c.missing, 0);
    igc_store_close(s);
    /* the report on disk lists every judgment */
    const char *csvp = jstr(jget(job, "report"), "csv");
    t = csvp ? slurp(csvp, &n) : NULL;
    size_t lines = 0;
    for (size_t i = 0; t && i < n; i++) lines += t[i] == '\n';
    CHECK_EQ_INT((int)lines, (int)total + 1);
    free(t);
    cJSON_Delete(job);
}

/* igc taxonomy check FILE --crosswalk FILE: 0 on the data directory's pair; 1 with the
 * report naming the item when the crosswalk lost an old item's line, or naming the rule
 * file when a rule names a removed code. */
TEST(taxonomy_check_cli) {
    REQUIRE(setup());
    char out[PATH_MAX + 32], cwbad[PATH_MAX + 32], rules[PATH_MAX + 32];
    snprintf(out, sizeof out, "%s/check.out", tmp);
    char *argv[] = {IGC_BIN, "--data", (char *)igc_test_data_dir(), "--model", "none", "--params", "none",
                    "--lexicon-dir", tmp, "taxonomy", "check", (char *)data_file("taxonomy/igc-v7-draft.json"),
                    "--crosswalk", (char *)data_file("taxonomy/crosswalk-v6-v7.csv"), NULL};
    CHECK_EQ_INT(run_wait(argv, NULL, out, NULL), 0);
    size_t n;
    char *t = slurp(out, &n);
    CHECK(t && strstr(t, "올바름"));
    free(t);
    /* without the line of one old item */
    char row[6][256];
    REQUIRE(crosswalk_row("renamed", row, 1) == 0);
    snprintf(cwbad, sizeof cwbad, "%s/cw-missing.csv", tmp);
    igc_buf b = {0};
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s,", row[0]);
    for (const char *p = cw_text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (strncmp(p, prefix, strlen(prefix)) != 0) igc_buf_append(&b, p, len);
        p += len;
    }
    REQUIRE(write_text(cwbad, b.data, b.len) == 0);
    igc_buf_free(&b);
    argv[13] = cwbad;
    unlink(out);
    CHECK_EQ_INT(run_wait(argv, NULL, out, NULL), 1);
    t = slurp(out, &n);
    CHECK(t && strstr(t, row[0]) && strstr(t, "대응표에 없습니다"));
    free(t);
    /* a rule naming a removed code */
    REQUIRE(crosswalk_row("removed", row, 1) == 0);
    snprintf(rules, sizeof rules, "%s/rules-check", tmp);
    REQUIRE(rules_with_code(rules, row[0]) == 0);
    char *argv2[] = {IGC_BIN, "--data", (char *)igc_test_data_dir(), "--model", "none", "--params", "none",
                     "--lexicon-dir", tmp, "--rules", rules, "taxonomy", "check",
                     (char *)data_file("taxonomy/igc-v7-draft.json"), "--crosswalk",
                     (char *)data_file("taxonomy/crosswalk-v6-v7.csv"), NULL};
    unlink(out);
    CHECK_EQ_INT(run_wait(argv2, NULL, out, NULL), 1);
    t = slurp(out, &n);
    CHECK(t && strstr(t, "generic_supplier.lua") && strstr(t, row[0]) && strstr(t, "삭제"));
    free(t);
}

/* The same through igcd: a server killed in the middle of the job resumes it at start. */
TEST(killed_igcd_resumes_job_at_start) {
    REQUIRE(setup());
    setenv("IGC_RECLASS_BATCH", "1", 1); /* one fsync per judgment: the job lasts long enough to be cut */
    REQUIRE(start("igcd-kill", NULL) == 0);
    int st;
    REQUIRE(activate_v7(srv.port) == 0);
    cJSON *o = post_text(srv.port, "/api/v1/reclassify", "{}", &st);
    CHECK_EQ_INT(st, 202);
    cJSON_Delete(o);
    double done = 0, total = 0;
    for (int i = 0; i < 3000 && done < 20; i++) {
        o = http_get_json(srv.port, "/api/v1/reclassify/latest", &st);
        done = jnum(o, "done", 0), total = jnum(o, "total", 0);
        cJSON_Delete(o);
        sleep_ms(10);
    }
    igcd_proc keep = srv;
    igcd_kill(&srv);
    fprintf(stderr, "  igcd killed with the job at %.0f or more of %.0f\n", done, total);
    unsetenv("IGC_RECLASS_BATCH");
    REQUIRE(igcd_start_ex(&srv, keep.db, keep.log, 1, NULL) == 0);
    /* the activated revision is back, and the job goes on by itself */
    o = http_get_json(srv.port, "/api/v1/taxonomy", &st);
    CHECK(strcmp(jstr(o, "version"), jstr(v7, "version")) == 0);
    cJSON_Delete(o);
    const char *state = NULL;
    for (int i = 0; i < 1200; i++) {
        o = http_get_json(srv.port, "/api/v1/reclassify/latest", &st);
        state = jstr(o, "state");
        if (state && strcmp(state, "running") != 0) break;
        cJSON_Delete(o);
        o = NULL;
        sleep_ms(100);
    }
    REQUIRE(o);
    CHECK(strcmp(jstr(o, "state"), "done") == 0);
    CHECK(done < total);
    CHECK_EQ_INT((int)jnum(o, "done", -1), (int)total);
    CHECK_EQ_INT((int)jnum(jget(o, "report"), "judgments", -1), (int)total);
    cJSON_Delete(o);
    size_t n;
    char *t = slurp(keep.log, &n);
    CHECK(t && strstr(t, "resumes after"));
    free(t);
    igcd_kill(&srv);
}

/* With the 7th revision active in a store, `igc history import` checks and stores under
 * it (a code only the new revision has is taken, one it removed is refused); when the
 * revision's files are gone (a backup put back without <db>/revisions), the import
 * refuses and igcd says so on its status, instead of silently judging under the old. */
TEST(history_import_follows_active_revision) {
    REQUIRE(setup());
    REQUIRE(start("import-rev", NULL) == 0);
    int st;
    REQUIRE(activate_v7(srv.port) == 0);
    cJSON *o = NULL;
    igcd_proc keep = srv;
    REQUIRE(igcd_term(&srv, 10000) == 0);
    /* the administrator's staging and activation are in the audit log */
    {
        char aud[PATH_MAX + 32];
        snprintf(aud, sizeof aud, "%s/import-rev-audit.jsonl", tmp);
        char *ax[] = {IGC_BIN, "--db", keep.db, "audit", "export", NULL};
        CHECK_EQ_INT(run_wait(ax, NULL, aud, NULL), 0);
        char *t = slurp(aud, NULL);
        char want[160];
        snprintf(want, sizeof want, "\"action\":\"taxonomy.activate\",\"user\":null,\"version\":\"%s\"",
                 jstr(v7, "version"));
        CHECK(t && strstr(t, "\"action\":\"taxonomy.stage\"") && strstr(t, want));
        if (t && !strstr(t, want)) fprintf(stderr, "  audit: %s\n", t);
        free(t);
    }
    /* a code of the new revision only, and one it removed */
    const char *fresh = NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(v7, "items")) if (!fresh && !item_name(v6, jstr(it, "code"))) fresh = jstr(it, "code");
    char removed[6][256];
    REQUIRE(fresh && crosswalk_row("removed", removed, 0) == 0);
    char csv[PATH_MAX + 32], out[PATH_MAX + 32], lex[PATH_MAX + 32];
    snprintf(csv, sizeof csv, "%s/import-rev.csv", tmp);
    snprintf(out, sizeof out, "%s/import-rev.out", tmp);
    snprintf(lex, sizeof lex, "%s-lexicon", keep.db);
    char *argv[] = {IGC_BIN, "--db", keep.db, "--data", (char *)igc_test_data_dir(), "--model", "none", "--params", "none",
                    "--lexicon-dir", lex, "history", "import", csv, NULL};
    for (int k = 0; k < 2; k++) {
        char text[512];
        snprintf(text, sizeof text, "uid,company,ksic_code,ksic_name,main_product,label1\n"
                                    "R%d,알파테크,28202,축전지 제조업,리튬이온 이차전지 양극재,%s\n",
                 k, k == 0 ? fresh : removed[0]);
        REQUIRE(write_text(csv, text, strlen(text)) == 0);
        unlink(out);
        CHECK_EQ_INT(run_wait(argv, NULL, out, out), k == 0 ? 0 : 2);
        char *t = slurp(out, NULL);
        if (k == 1) CHECK(t && strstr(t, "unknown_item") && strstr(t, removed[0]));
        free(t);
    }
    /* `igc lexicon check` reads the staff's copy of the active revision, against that revision */
    {
        char chk[PATH_MAX + 32];
        snprintf(chk, sizeof chk, "%s/lexcheck.out", tmp);
        char *lc[] = {IGC_BIN, "--db", keep.db, "--data", (char *)igc_test_data_dir(), "--lexicon-dir", lex, "lexicon",
                      "check", NULL};
        CHECK_EQ_INT(run_wait(lc, NULL, chk, chk), 0);
        char *t = slurp(chk, NULL);
        CHECK(t && strstr(t, "igc-v7-lexicon.jsonl") && strstr(t, jstr(v7, "version")));
        free(t);
    }
    /* with the 7th active, a broken 6th dictionary (no longer in use) does not stop a start */
    {
        char v6lex[PATH_MAX + 64];
        snprintf(v6lex, sizeof v6lex, "%s/igc-v6-lexicon.jsonl", lex);
        size_t n6;
        char *keep6 = slurp(v6lex, &n6);
        REQUIRE(keep6);
        REQUIRE(write_text(v6lex, "{\"code\": \n", 11) == 0);
        REQUIRE(igcd_start_ex(&srv, keep.db, keep.log, 1, NULL) == 0);
        o = http_get_json(srv.port, "/api/v1/taxonomy", &st);
        CHECK(jstr(o, "version") && strcmp(jstr(o, "version"), jstr(v7, "version")) == 0);
        cJSON_Delete(o);
        /* what the revision left out stays out: the store's sync does not take it in by
         * another road (it did, "added by another process", at every start), and the gap
         * the status shows is what it says was left out */
        sleep_ms(1500); /* a sync or two */
        o = http_get_json(srv.port, "/api/v1/status", &st);
        double ex = jnum(o, "exemplars", -1), left = jnum(o, "exemplars_left_out", -1),
               stored = jnum(jget(o, "store"), "exemplars", -1);
        CHECK(left > 0);
        CHECK_EQ_INT((int)(ex + left), (int)stored);
        cJSON_Delete(o);
        char *lg = slurp(keep.log, NULL);
        CHECK(lg && !strstr(lg, "by another process"));
        free(lg);
        /* an edit of the 6th's dictionary, not in use now, is said to be so */
        REQUIRE(write_text(v6lex, keep6, n6) == 0);
        int said = 0;
        for (int i = 0; i < 40 && !said; i++) {
            sleep_ms(100);
            lg = slurp(keep.log, NULL);
            said = lg && strstr(lg, "igc-v6-lexicon.jsonl changed, but the active revision's dictionary is igc-v7");
            free(lg);
        }
        CHECK(said);
        igcd_kill(&srv);
        REQUIRE(write_text(v6lex, keep6, n6) == 0);
        free(keep6);
    }
    /* the revision's files lost */
    char revs[PATH_MAX + 32];
    snprintf(revs, sizeof revs, "%s/revisions", keep.db);
    rm_tmp(revs);
    unlink(out);
    CHECK_EQ_INT(run_wait(argv, NULL, out, out), 1);
    char *t = slurp(out, NULL);
    CHECK(t && strstr(t, "revision_not_restored"));
    free(t);
    REQUIRE(igcd_start_ex(&srv, keep.db, keep.log, 1, NULL) == 0);
    o = http_get_json(srv.port, "/api/v1/status", &st);
    int warned = 0;
    cJSON_ArrayForEach(it, jget(o, "warnings")) {
        const char *m = jstr(it, "message");
        warned |= jstr(it, "code") && strcmp(jstr(it, "code"), "revision_not_restored") == 0 && m &&
                  strstr(m, jstr(v7, "version")) && strstr(m, "revisions");
    }
    CHECK(warned);
    cJSON_Delete(o);
    igcd_kill(&srv);
}

IGC_TEST_MAIN(TEST_ENTRY(taxonomy_check_cli), TEST_ENTRY(history_import_follows_active_revision), TEST_ENTRY(killed_igcd_resumes_job_at_start), TEST_ENTRY(malformed_revision_or_crosswalk_refused), TEST_ENTRY(rules_naming_removed_code_block_activation),
              TEST_ENTRY(swap_and_rollback_under_load_then_reclassify),
              TEST_ENTRY(killed_job_resumes_without_loss_or_duplicates))
