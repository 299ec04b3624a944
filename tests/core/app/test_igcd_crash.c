/*
 * igcd crash safety and personal data: judgments acknowledged with 201 survive
 * SIGKILL of the server (also in the middle of a stream of saves), come back
 * identical after a restart on the same store, and the server's log never holds
 * a full 사업자등록번호 or a CEO's name.
 */
#include "app_test_util.h"

#include <pthread.h>

static char tmp[PATH_MAX];
static igcd_proc srv;

static void cleanup(void) {
    igcd_kill(&srv);
    rm_tmp(tmp);
}

static int setup(void) {
    if (tmp[0]) return 1;
    if (make_tmpdir(tmp, "crash")) return 0;
    atexit(cleanup);
    return 1;
}

static void paths(const char *tag, char *db, size_t dbsz, char *log, size_t logsz) {
    snprintf(db, dbsz, "%s/db-%s", tmp, tag);
    snprintf(log, logsz, "%s/igcd-%s.log", tmp, tag);
}

/* A judgment body for dev row `pick`, company brn from body9, item = rank
 * `rank` of the answer (0: "none applies"). Classifies first through the server. */
static cJSON *make_judgment(int port, int pick, unsigned long body9, const char *ceo, int rank) {
    dev_row row;
    if (dev_row_pick(pick, &row)) return NULL;
    char brn[11];
    brn_make(body9, brn);
    cJSON *req = dev_request(&row, brn, ceo);
    int st;
    cJSON *res = http_post_obj(port, "/api/v1/classify", req, &st);
    if (st != 200 || !res) {
        cJSON_Delete(res);
        cJSON_Delete(req);
        return NULL;
    }
    const char *code = rank ? jstr(cJSON_GetArrayItem(jget(res, "items"), rank - 1), "code") : NULL;
    cJSON_AddItemToObject(req, "chosen_item", code ? cJSON_CreateString(code) : cJSON_CreateNull());
    cJSON_AddItemToObject(req, "result", res);
    cJSON_AddStringToObject(req, "comment", "판별 의견");
    return req;
}

static char *get_text(int port, const char *id, int *status) {
    char path[128];
    snprintf(path, sizeof path, "/api/v1/judgments/%s", id);
    http_resp r;
    *status = 0;
    if (http_req(port, "GET", path, NULL, NULL, 0, &r)) return NULL;
    *status = r.status;
    char *t = r.body;
    r.body = NULL;
    http_resp_free(&r);
    return t;
}

#define N_SAVED 24

TEST(judgments_survive_sigkill) {
    REQUIRE(setup());
    char db[PATH_MAX + 32], log[PATH_MAX + 32];
    paths("kill", db, sizeof db, log, sizeof log);
    REQUIRE(igcd_start(&srv, db, log) == 0);
    char ids[N_SAVED][64];
    char *texts[N_SAVED] = {0};
    /* a few companies, several judgments each, items of every rank and "none" */
    for (int i = 0; i < N_SAVED; i++) {
        cJSON *j = make_judgment(srv.port, i % 6, 100000000UL + (unsigned long)(i % 4), "김판별", i % 4);
        REQUIRE(j);
        int st;
        cJSON *o = http_post_obj(srv.port, "/api/v1/judgments", j, &st);
        cJSON_Delete(j);
        CHECK_EQ_INT(st, 201);
        REQUIRE(jstr(o, "id"));
        snprintf(ids[i], sizeof ids[i], "%s", jstr(o, "id"));
        cJSON_Delete(o);
    }
    int st;
    /* read after all saves: a later judgment of the same company marks the earlier
     * one superseded */
    for (int i = 0; i < N_SAVED; i++) {
        texts[i] = get_text(srv.port, ids[i], &st);
        CHECK_EQ_INT(st, 200);
    }
    cJSON *s0 = http_get_json(srv.port, "/api/v1/status", &st);
    double ex_before = jnum(s0, "exemplars", -1);
    cJSON_Delete(s0);
    igcd_kill(&srv);

    REQUIRE(igcd_start(&srv, db, log) == 0);
    for (int i = 0; i < N_SAVED; i++) {
        char *t = get_text(srv.port, ids[i], &st);
        CHECK_EQ_INT(st, 200);
        if (!t || !texts[i] || strcmp(t, texts[i]) != 0) {
            fprintf(stderr, "  judgment %s differs after the restart\n", ids[i]);
            CHECK(0);
        }
        free(t);
        free(texts[i]);
    }
    cJSON *s1 = http_get_json(srv.port, "/api/v1/status", &st);
    CHECK_EQ_INT((int)jnum(jget(s1, "store"), "judgments", -1), N_SAVED);
    /* every company's current judgment is an exemplar again after the restart; the
     * ones it superseded are kept but no longer count */
    CHECK_EQ_INT((int)jnum(s1, "exemplars", -1), (int)ex_before);
    CHECK_EQ_INT((int)jnum(jget(s1, "store"), "exemplars", -1), 4);
    cJSON_Delete(s1);
    /* the per-company lists are intact and newest first */
    for (int c = 0; c < 4; c++) {
        char brn[11], path[96];
        brn_make(100000000UL + (unsigned long)c, brn);
        snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", brn);
        cJSON *o = http_get_json(srv.port, path, &st);
        const cJSON *list = jget(o, "judgments");
        CHECK_EQ_INT(cJSON_GetArraySize(list), N_SAVED / 4);
        int k = 0;
        const char *newer = NULL;
        for (int i = N_SAVED - 1; i >= 0; i--)
            if (i % 4 == c) {
                const cJSON *x = cJSON_GetArrayItem(list, k++);
                CHECK_EQ_STR(jstr(x, "id"), ids[i]);
                CHECK_EQ_STR(jstr(x, "status"), newer ? "superseded" : "current");
                if (newer) CHECK_EQ_STR(jstr(x, "superseded_by"), newer);
                newer = ids[i];
            }
        cJSON_Delete(o);
    }
    /* a new judgment supersedes the company's current one */
    cJSON *j = make_judgment(srv.port, 0, 100000000UL, "김판별", 1);
    REQUIRE(j);
    cJSON *o = http_post_obj(srv.port, "/api/v1/judgments", j, &st);
    CHECK_EQ_INT(st, 201);
    CHECK(jstr(o, "id") && strlen(jstr(o, "id")) == 32);
    CHECK_EQ_STR(jstr(o, "supersedes"), ids[N_SAVED - 4]);
    cJSON_Delete(o);
    cJSON_Delete(j);
    igcd_kill(&srv);
}

/* ---- SIGKILL in the middle of a stream of saves ---- */

typedef struct {
    int port;
    char *body;
    pthread_mutex_t mu;
    char (*ids)[64];
    size_t nids, cap;
    int errors;
    int stop;
} saver;

static void *save_loop(void *arg) {
    saver *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        int st;
        cJSON *o = http_post_json(s->port, "/api/v1/judgments", s->body, &st);
        pthread_mutex_lock(&s->mu);
        if (st == 201 && jstr(o, "id") && s->nids < s->cap) {
            snprintf(s->ids[s->nids++], 64, "%s", jstr(o, "id"));
        } else if (st == 0) {
            /* the server is gone */
            if (++s->errors > 20) s->stop = 1;
        } else {
            s->errors += 1000; /* any other answer is a failure */
            s->stop = 1;
        }
        pthread_mutex_unlock(&s->mu);
        cJSON_Delete(o);
        if (st == 0) sleep_ms(5);
    }
    return NULL;
}

TEST(sigkill_during_saves) {
    REQUIRE(setup());
    char db[PATH_MAX + 32], log[PATH_MAX + 32];
    paths("stream", db, sizeof db, log, sizeof log);
    REQUIRE(igcd_start(&srv, db, log) == 0);
    cJSON *j = make_judgment(srv.port, 1, 987654321UL, "박저장", 1);
    REQUIRE(j);
    saver s = {.port = srv.port, .body = cJSON_PrintUnformatted(j), .cap = 100000};
    cJSON_Delete(j);
    s.ids = calloc(s.cap, sizeof *s.ids);
    pthread_mutex_init(&s.mu, NULL);
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, save_loop, &s) == 0);
    /* let it save a while, then kill the server under it */
    double t0 = ms_now();
    size_t n = 0;
    while (ms_now() - t0 < 20000) {
        pthread_mutex_lock(&s.mu);
        n = s.nids;
        pthread_mutex_unlock(&s.mu);
        if (n >= 40) break;
        sleep_ms(10);
    }
    sleep_ms(7); /* land somewhere inside a request */
    igcd_kill(&srv);
    pthread_join(th, NULL);
    fprintf(stderr, "  %zu saves acknowledged before the kill\n", s.nids);
    CHECK(s.nids >= 10);
    CHECK(s.errors < 1000);

    REQUIRE(igcd_start(&srv, db, log) == 0);
    size_t missing = 0;
    for (size_t i = 0; i < s.nids; i++) {
        int st;
        char *t = get_text(srv.port, s.ids[i], &st);
        if (st != 200) {
            if (missing++ < 5) fprintf(stderr, "  acknowledged judgment %s is missing (%d)\n", s.ids[i], st);
        } else {
            cJSON *o = cJSON_Parse(t);
            CHECK(jstr(o, "chosen_item") && jstr(jget(o, "company"), "name"));
            cJSON_Delete(o);
        }
        free(t);
    }
    CHECK_EQ_INT(missing, 0);
    /* at most the one in flight was stored without an answer */
    int st;
    cJSON *stt = http_get_json(srv.port, "/api/v1/status", &st);
    double stored = jnum(jget(stt, "store"), "judgments", -1);
    CHECK(stored >= (double)s.nids && stored <= (double)s.nids + 1);
    /* a save is one transaction: the company's one current judgment has its
     * exemplar, and none of the ones it superseded kept theirs */
    CHECK_EQ_INT((int)jnum(jget(stt, "store"), "exemplars", -1), 1);
    cJSON_Delete(stt);
    char brn[11], path[96];
    brn_make(987654321UL, brn);
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s&limit=500", brn);
    cJSON *o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK((size_t)cJSON_GetArraySize(jget(o, "judgments")) >= (s.nids < 500 ? s.nids : 500));
    int current = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(o, "judgments")) current += jstr(x, "status") && strcmp(jstr(x, "status"), "current") == 0;
    CHECK_EQ_INT(current, 1);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(jget(o, "judgments"), 0), "status"), "current");
    cJSON_Delete(o);
    igcd_kill(&srv);
    free(s.body);
    free(s.ids);
    pthread_mutex_destroy(&s.mu);
}

/* ---- personal data ---- */

static void set_brn(cJSON *j, const char *v) {
    cJSON *co = cJSON_GetObjectItemCaseSensitive(j, "company");
    cJSON_DeleteItemFromObject(co, "brn");
    cJSON_AddStringToObject(co, "brn", v);
}

static int log_contains(const char *log, const char *needle) {
    size_t n;
    char *t = slurp(log, &n);
    int hit = t && strstr(t, needle);
    free(t);
    return hit;
}

TEST(log_has_no_personal_data) {
    REQUIRE(setup());
    char db[PATH_MAX + 32], log[PATH_MAX + 32];
    paths("pii", db, sizeof db, log, sizeof log);
    /* debug level: the most the server ever writes */
    const char *extra[] = {"--log-level", "0", NULL};
    REQUIRE(igcd_start_ex(&srv, db, log, 1, extra) == 0);
    const char *ceo = "남궁옥분";
    unsigned long body9 = 582913467UL;
    char brn[11], hy[16], bad[11];
    brn_make(body9, brn);
    brn_bad(body9, bad);
    snprintf(hy, sizeof hy, "%.3s-%.2s-%.5s", brn, brn + 3, brn + 5);

    /* classify, save with an item and with none, read back, list */
    cJSON *j = make_judgment(srv.port, 2, body9, ceo, 1);
    REQUIRE(j);
    int st;
    cJSON *o = http_post_obj(srv.port, "/api/v1/judgments", j, &st);
    CHECK_EQ_INT(st, 201);
    char id[64] = "";
    if (jstr(o, "id")) snprintf(id, sizeof id, "%s", jstr(o, "id"));
    cJSON_Delete(o);
    cJSON_DeleteItemFromObject(j, "chosen_item");
    cJSON_AddNullToObject(j, "chosen_item");
    set_brn(j, hy);
    o = http_post_obj(srv.port, "/api/v1/judgments", j, &st);
    CHECK_EQ_INT(st, 201);
    cJSON_Delete(o);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/judgments/%s", id);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(jget(o, "company"), "ceo"), ceo); /* stored in full, for the examiner */
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", brn);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", hy);
    o = http_get_json(srv.port, path, &st);
    cJSON_Delete(o);
    /* refused requests: bad check digit, bad item, and a broken body carrying the data */
    set_brn(j, bad);
    o = http_post_obj(srv.port, "/api/v1/judgments", j, &st);
    CHECK_EQ_INT(st, 400);
    cJSON_Delete(o);
    o = http_post_obj(srv.port, "/api/v1/classify", j, &st);
    CHECK_EQ_INT(st, 400);
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", bad);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 400);
    cJSON_Delete(o);
    char *t = cJSON_PrintUnformatted(j);
    t[strlen(t) - 1] = '\0'; /* unterminated object */
    o = http_post_json(srv.port, "/api/v1/classify", t, &st);
    CHECK_EQ_INT(st, 400);
    cJSON_Delete(o);
    free(t);
    set_brn(j, brn);
    cJSON_DeleteItemFromObject(j, "chosen_item");
    cJSON_AddStringToObject(j, "chosen_item", "NOPE000");
    o = http_post_obj(srv.port, "/api/v1/judgments", j, &st);
    CHECK_EQ_INT(st, 400);
    cJSON_Delete(o);
    cJSON_Delete(j);
    /* then stop it, so shutdown lines are in the log too */
    igcd_term(&srv, 3000);
    igcd_kill(&srv);

    REQUIRE(log_contains(log, "judgment")); /* the log was written at all */
    const char *secrets[] = {brn, hy, bad, ceo};
    for (int i = 0; i < 4; i++) {
        if (log_contains(log, secrets[i])) {
            fprintf(stderr, "  the log holds '%s'\n", secrets[i]);
            CHECK(0);
        }
    }
    /* nor the brn split differently: its last 9 digits */
    CHECK(!log_contains(log, brn + 1));
}

/* The store holds names and 사업자등록번호: a store igcd creates is private to
 * its user (directory 0700, files 0600, as docs/store.md says), whatever the umask. */
TEST(store_is_private) {
    REQUIRE(setup());
    char db[PATH_MAX + 32], log[PATH_MAX + 32];
    paths("perm", db, sizeof db, log, sizeof log);
    REQUIRE(igcd_start(&srv, db, log) == 0);
    struct stat sb;
    REQUIRE(stat(db, &sb) == 0);
    if (sb.st_mode & 077) fprintf(stderr, "  %s has mode %03o\n", db, (unsigned)(sb.st_mode & 0777));
    CHECK((sb.st_mode & 077) == 0);
    const char *files[] = {"data.mdb", "lock.mdb"};
    for (int i = 0; i < 2; i++) {
        char f[PATH_MAX + 64];
        snprintf(f, sizeof f, "%s/%s", db, files[i]);
        REQUIRE(stat(f, &sb) == 0);
        CHECK((sb.st_mode & 077) == 0);
    }
    igcd_kill(&srv);
}

/* One igcd per store: a second one on the same store stops at once with the
 * stable code and the first one's pid, and the first serves on; once the first is
 * gone (even killed), the store can be opened again. */
TEST(second_igcd_on_a_store_refused) {
    REQUIRE(setup());
    char db[PATH_MAX + 32], log[PATH_MAX + 32], log2[PATH_MAX + 32];
    paths("lock", db, sizeof db, log, sizeof log);
    snprintf(log2, sizeof log2, "%s/igcd-lock2.log", tmp);
    igcd_proc a, b;
    REQUIRE(igcd_start(&a, db, log) == 0);
    CHECK(igcd_start(&b, db, log2) != 0);
    char *t = slurp(log2, NULL);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %d", (int)a.pid);
    CHECK(t && strstr(t, "store_in_use") && strstr(t, pid));
    free(t);
    int st;
    cJSON *o = http_get_json(a.port, "/readyz", &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    igcd_kill(&a);
    CHECK(igcd_start(&b, db, log2) == 0);
    igcd_kill(&b);
}

IGC_TEST_MAIN(TEST_ENTRY(store_is_private), TEST_ENTRY(second_igcd_on_a_store_refused), TEST_ENTRY(judgments_survive_sigkill), TEST_ENTRY(sigkill_during_saves), TEST_ENTRY(log_has_no_personal_data))
