/*
 * igcd end to end: the real server binary on a free port with a fresh store and
 * the lexical engine, spoken to over plain sockets. Covers the read-only routes,
 * classification of a real labelled row, every validation error, judgments and
 * their immediate use as exemplars, and a clean shutdown.
 */
#include "app_test_util.h"

#include <ctype.h>
#include <strings.h>

static igcd_proc srv;
static char tmp[PATH_MAX];
static cJSON *taxo_file; /* the taxonomy file itself, for expected counts and codes */

static igcd_proc lexsrv;

static void cleanup(void) {
    igcd_kill(&srv);
    igcd_kill(&lexsrv);
    cJSON_Delete(taxo_file);
    rm_tmp(tmp);
}

/* One server for the whole file, started on first use. */
static int server(void) {
    if (srv.pid > 0) return 1;
    if (!tmp[0]) {
        if (make_tmpdir(tmp, "api")) return 0;
        atexit(cleanup);
    }
    char db[PATH_MAX + 16], log[PATH_MAX + 32];
    snprintf(db, sizeof db, "%s/db", tmp);
    snprintf(log, sizeof log, "%s/igcd.log", tmp);
    return igcd_start(&srv, db, log) == 0;
}

static const cJSON *taxonomy_file(void) {
    if (!taxo_file) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/taxonomy/igc-v6.json", igc_test_data_dir());
        size_t n;
        char *t = slurp(path, &n);
        taxo_file = t ? cJSON_ParseWithLength(t, n) : NULL;
        free(t);
    }
    return taxo_file;
}

static void url_encode(const char *s, char *out, size_t outsz) {
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < outsz; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, outsz - o, "%%%02X", *p);
    }
    out[o] = '\0';
}

/* A classify request for the first usable dev row, with a valid brn. */
static cJSON *sample_request(unsigned long brn_body, dev_row *row_out) {
    dev_row row;
    if (dev_row_pick(0, &row)) return NULL;
    if (row_out) *row_out = row;
    char brn[11];
    brn_make(brn_body, brn);
    return dev_request(&row, brn, "홍길동");
}

/* Sets company.<k> or tech.<k> in a request document to a string (or removes it when v is NULL). */
static void set_field(cJSON *req, const char *path, const char *v) {
    char obj[16];
    const char *dot = strchr(path, '.');
    snprintf(obj, sizeof obj, "%.*s", (int)(dot - path), path);
    cJSON *o = cJSON_GetObjectItemCaseSensitive(req, obj);
    cJSON_DeleteItemFromObjectCaseSensitive(o, dot + 1);
    if (v) cJSON_AddStringToObject(o, dot + 1, v);
}

static void set_field_item(cJSON *req, const char *path, cJSON *v) {
    char obj[16];
    const char *dot = strchr(path, '.');
    snprintf(obj, sizeof obj, "%.*s", (int)(dot - path), path);
    cJSON *o = cJSON_GetObjectItemCaseSensitive(req, obj);
    cJSON_DeleteItemFromObjectCaseSensitive(o, dot + 1);
    cJSON_AddItemToObject(o, dot + 1, v);
}

static const char *all_fields[] = {"company.name",       "company.brn",          "company.ceo",
                                   "tech.ksic_code",     "tech.ksic_name",       "tech.main_product",
                                   "tech.product_use",   "tech.tech_business_name", "tech.tech_class"};
#define NALL (sizeof all_fields / sizeof all_fields[0])

/* A KSIC-10 code that is not a KSIC-11 code, and the KSIC-11 code the
 * concordance maps it to, read from the data files. */
static int ksic10_only(char old[8], char mapped[8]) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/ksic/ksic11_hierarchy.csv", igc_test_data_dir());
    char *k11 = slurp(path, NULL);
    if (!k11) return -1;
    snprintf(path, sizeof path, "%s/ksic/ksic11_to_ksic10.csv", igc_test_data_dir());
    igc_csv *c;
    char **f;
    size_t nf;
    old[0] = mapped[0] = '\0';
    if (igc_csv_open(path, &c) == 0) {
        if (igc_csv_next(c, &f, &nf) == 1) {
            int c11 = igc_csv_col(c, "ksic11"), c10 = igc_csv_col(c, "ksic10");
            while (c11 >= 0 && c10 >= 0 && !old[0] && igc_csv_next(c, &f, &nf) == 1) {
                if ((size_t)c10 >= nf || (size_t)c11 >= nf || strlen(f[c10]) != 5 || strcmp(f[c10], f[c11]) == 0)
                    continue;
                char needle[16];
                snprintf(needle, sizeof needle, "\n%s,", f[c10]);
                if (strstr(k11, needle)) continue; /* also a KSIC-11 code */
                snprintf(old, 8, "%s", f[c10]);
                snprintf(mapped, 8, "%s", f[c11]);
            }
        }
        igc_csv_close(c);
    }
    free(k11);
    return old[0] ? 0 : -1;
}

/* ---- read-only routes ---- */

TEST(health_and_ready) {
    REQUIRE(server());
    int st;
    cJSON *o = http_get_json(srv.port, "/healthz", &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(o, "status"), "ok");
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/readyz", &st);
    CHECK_EQ_INT(st, 200);
    CHECK(cJSON_IsTrue(jget(o, "ready")));
    CHECK(cJSON_IsTrue(jget(o, "store")));
    CHECK(cJSON_IsTrue(jget(o, "rules")));
    cJSON_Delete(o);
    /* HEAD is answered like GET, without a body */
    http_resp r;
    REQUIRE(http_req(srv.port, "HEAD", "/healthz", NULL, NULL, 0, &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.body_len, 0);
    http_resp_free(&r);
}

TEST(taxonomy_counts) {
    REQUIRE(server());
    const cJSON *file = taxonomy_file();
    REQUIRE(file);
    const cJSON *counts = jget(file, "counts");
    REQUIRE(cJSON_IsObject(counts));
    int st;
    cJSON *o = http_get_json(srv.port, "/api/v1/taxonomy", &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "themes")), (int)jnum(counts, "themes", -1));
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "fields")), (int)jnum(counts, "fields", -1));
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "items")), (int)jnum(counts, "items", -1));
    CHECK_EQ_STR(jstr(o, "version"), jstr(file, "version"));
    /* every item code of the file is served, in the same order */
    const cJSON *fi = jget(file, "items"), *x;
    int i = 0, same = 1;
    cJSON_ArrayForEach(x, fi) {
        const cJSON *y = cJSON_GetArrayItem(jget(o, "items"), i++);
        if (!y || !jstr(x, "code") || !jstr(y, "code") || strcmp(jstr(x, "code"), jstr(y, "code"))) same = 0;
    }
    CHECK(same);
    cJSON_Delete(o);
}

TEST(taxonomy_item) {
    REQUIRE(server());
    int st;
    cJSON *o = http_get_json(srv.port, "/api/v1/taxonomy", &st);
    REQUIRE(o);
    const cJSON *items = jget(o, "items");
    REQUIRE(cJSON_GetArraySize(items) > 10);
    int idxs[] = {0, 7, cJSON_GetArraySize(items) - 1};
    for (int k = 0; k < 3; k++) {
        const cJSON *it = cJSON_GetArrayItem(items, idxs[k]);
        const char *code = jstr(it, "code");
        REQUIRE(code);
        char path[128];
        snprintf(path, sizeof path, "/api/v1/taxonomy/items/%s", code);
        cJSON *d = http_get_json(srv.port, path, &st);
        CHECK_EQ_INT(st, 200);
        CHECK_EQ_STR(jstr(d, "code"), code);
        CHECK_EQ_STR(jstr(d, "name"), jstr(it, "name"));
        CHECK_EQ_STR(jstr(d, "theme"), jstr(it, "theme"));
        CHECK_EQ_STR(jstr(d, "field"), jstr(it, "field"));
        CHECK(jstr(d, "definition") && *jstr(d, "definition"));
        CHECK(jstr(d, "theme_name") && *jstr(d, "theme_name"));
        cJSON_Delete(d);
    }
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/api/v1/taxonomy/items/NOPE999", &st);
    CHECK(check_error(o, st, 404, "unknown_item", "code", "unknown item")); /* as the lexicon route names it */
    cJSON_Delete(o);
}

TEST(taxonomy_search) {
    REQUIRE(server());
    char q[128], path[256];
    url_encode("배터리", q, sizeof q);
    snprintf(path, sizeof path, "/api/v1/taxonomy/search?q=%s", q);
    int st;
    cJSON *o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    CHECK_EQ_STR(jstr(o, "query"), "배터리");
    const cJSON *items = jget(o, "items"), *x;
    REQUIRE(cJSON_GetArraySize(items) > 0);
    /* every hit mentions the word in its name, definition or examples */
    cJSON_ArrayForEach(x, items) {
        const char *code = jstr(x, "code");
        REQUIRE(code);
        char ip[128];
        snprintf(ip, sizeof ip, "/api/v1/taxonomy/items/%s", code);
        cJSON *d = http_get_json(srv.port, ip, &st);
        int hit = d && ((jstr(d, "name") && strstr(jstr(d, "name"), "배터리")) ||
                        (jstr(d, "definition") && strstr(jstr(d, "definition"), "배터리")) ||
                        (jstr(d, "examples") && strstr(jstr(d, "examples"), "배터리")));
        /* or found through an index term of the item that holds the word (a synonym) */
        const cJSON *term;
        cJSON_ArrayForEach(term, jget(x, "terms")) if (cJSON_IsString(term) && strstr(term->valuestring, "배터리")) hit = 1;
        if (!hit) fprintf(stderr, "  search hit %s does not mention the query\n", code);
        CHECK(hit);
        CHECK(jstr(x, "name") && jstr(x, "theme") && jstr(x, "field") && jstr(x, "snippet"));
        cJSON_Delete(d);
    }
    cJSON_Delete(o);
    /* limit is honoured */
    snprintf(path, sizeof path, "/api/v1/taxonomy/search?q=%s&limit=1", q);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "items")), 1);
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/api/v1/taxonomy/search?q=+", &st);
    CHECK(check_error(o, st, 400, "blank_field", "q", "blank search"));
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/api/v1/taxonomy/search", &st);
    CHECK(check_error(o, st, 400, "blank_field", "q", "missing q"));
    cJSON_Delete(o);
}

/* A KSIC-11 code from the hierarchy file, a KSIC-10-only code mapped through
 * the concordance, and bad codes. */
static cJSON *judgment_body(const cJSON *req, const cJSON *result, cJSON *chosen);

/* 1 when tok (ASCII) is in s as a whole token, any case: no ASCII letter or digit beside it. */
static int has_token(const char *s, const char *tok) {
    size_t n = strlen(tok);
    for (const char *p = s ? s : ""; *p; p++)
        if (strncasecmp(p, tok, n) == 0 && (p == s || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[n]))
            return 1;
    return 0;
}

/* s with every ASCII space dropped, into out. */
static void no_spaces(const char *s, char *out, size_t outsz) {
    size_t o = 0;
    for (; s && *s && o + 1 < outsz; s++)
        if (*s != ' ') out[o++] = *s;
    out[o] = '\0';
}

static cJSON *search(const char *q, int limit, int *st) {
    char enc[512], path[700];
    url_encode(q, enc, sizeof enc);
    snprintf(path, sizeof path, "/api/v1/taxonomy/search?q=%s&limit=%d", enc, limit);
    return http_get_json(srv.port, path, st);
}

static int hits_have(const cJSON *o, const char *code) {
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(o, "items")) if (jstr(x, "code") && strcmp(jstr(x, "code"), code) == 0) return 1;
    return 0;
}

/* Search is case-insensitive, finds Latin words whole ("ai" never in "Chain"), reads "2차"
 * as 이차, ignores the spaces of a written compound, falls back to a long word's parts, and
 * says how many items match in total. */
TEST(taxonomy_search_words) {
    REQUIRE(server());
    const cJSON *file = taxonomy_file();
    REQUIRE(file);
    int st;
    cJSON *lo = search("ai", 240, &st), *up = search("AI", 240, &st), *few = search("AI", 5, &st);
    REQUIRE(lo && up && few);
    int total = (int)jnum(up, "total", -1);
    CHECK(total > 20);
    CHECK_EQ_INT((int)jnum(lo, "total", -1), total);
    CHECK_EQ_INT((int)jnum(few, "total", -1), total); /* the true count, whatever the limit */
    CHECK_EQ_INT(cJSON_GetArraySize(jget(few, "items")), 5);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(up, "items")), total);
    /* every item whose name has the token is found; no hit has it only inside a word */
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(file, "items")) {
        if (has_token(jstr(it, "name"), "ai") && !hits_have(up, jstr(it, "code"))) {
            fprintf(stderr, "  'AI' misses %s %s\n", jstr(it, "code"), jstr(it, "name"));
            CHECK(0);
        }
    }
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(lo, "items")) {
        const cJSON *fi = NULL, *y;
        cJSON_ArrayForEach(y, jget(file, "items")) if (strcmp(jstr(y, "code"), jstr(x, "code")) == 0) fi = y;
        REQUIRE(fi);
        int ok = has_token(jstr(fi, "name"), "ai") || has_token(jstr(fi, "definition"), "ai") ||
                 has_token(jstr(fi, "examples"), "ai");
        const cJSON *term;
        cJSON_ArrayForEach(term, jget(x, "terms")) ok |= has_token(term->valuestring, "ai");
        if (!ok) fprintf(stderr, "  'ai' finds %s %s without the word\n", jstr(x, "code"), jstr(x, "name"));
        CHECK(ok);
    }
    cJSON_Delete(lo), cJSON_Delete(up), cJSON_Delete(few);
    /* 2차전지: every item named with 이차전지 */
    cJSON *o = search("2차전지", 240, &st);
    CHECK_EQ_INT(st, 200);
    int named = 0;
    cJSON_ArrayForEach(it, jget(file, "items")) if (strstr(jstr(it, "name"), "이차전지")) {
        named++;
        CHECK(hits_have(o, jstr(it, "code")));
    }
    CHECK(named > 0);
    cJSON_Delete(o);
    /* 체외진단: the items whose texts have it written with or without a space */
    o = search("체외진단", 240, &st);
    int written = 0;
    cJSON_ArrayForEach(it, jget(file, "items")) {
        static char buf[65536];
        igc_buf all = {0};
        igc_buf_printf(&all, "%s %s %s", jstr(it, "name"), jstr(it, "definition") ? jstr(it, "definition") : "",
                       jstr(it, "examples") ? jstr(it, "examples") : "");
        no_spaces(all.data, buf, sizeof buf);
        igc_buf_free(&all);
        if (strstr(buf, "체외진단")) {
            written++;
            CHECK(hits_have(o, jstr(it, "code")));
        }
    }
    CHECK(written > 0);
    CHECK(cJSON_IsFalse(jget(o, "partial")));
    cJSON_Delete(o);
    /* a word no item has: its parts, said so */
    o = search("면역진단", 240, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(jnum(o, "total", 0) > 0);
    CHECK(cJSON_IsTrue(jget(o, "partial")));
    cJSON_Delete(o);
    /* an item code in any case comes first */
    const char *code = jstr(cJSON_GetArrayItem(jget(file, "items"), 3), "code");
    char lower[32];
    snprintf(lower, sizeof lower, "%s", code);
    for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
    o = search(lower, 5, &st);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(jget(o, "items"), 0), "code"), code);
    cJSON_Delete(o);
}

/* Item codes are accepted in any case and answered in the taxonomy's own. */
TEST(item_codes_any_case) {
    REQUIRE(server());
    const cJSON *file = taxonomy_file();
    REQUIRE(file);
    const char *code = jstr(cJSON_GetArrayItem(jget(file, "items"), 5), "code");
    REQUIRE(code);
    char lower[32], path[128];
    snprintf(lower, sizeof lower, "%s", code);
    for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
    REQUIRE(strcmp(lower, code) != 0);
    int st;
    snprintf(path, sizeof path, "/api/v1/taxonomy/items/%s", lower);
    cJSON *o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(o, "code"), code);
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/api/v1/lexicon/items/%s", lower);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(o, "code"), code);
    cJSON_Delete(o);
    cJSON *req = sample_request(161803398, NULL);
    REQUIRE(req);
    cJSON *res = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    REQUIRE(st == 200 && res);
    cJSON *body = judgment_body(req, res, cJSON_CreateString(lower));
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK_EQ_INT(st, 201);
    char id[64] = "";
    if (jstr(o, "id")) snprintf(id, sizeof id, "%s", jstr(o, "id"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    snprintf(path, sizeof path, "/api/v1/judgments/%s", id);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(o, "chosen_item"), code);
    cJSON_Delete(o);
    cJSON_Delete(res);
    cJSON_Delete(req);
}

/* 해당 없음 is saved with its reason (none_reason), which is listed and checked. */
TEST(judgment_none_reason) {
    REQUIRE(server());
    char brn[11], path[128];
    brn_make(141421356, brn);
    cJSON *req = sample_request(141421356, NULL);
    REQUIRE(req);
    int st;
    cJSON *res = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    REQUIRE(st == 200 && res);
    cJSON *body = judgment_body(req, res, cJSON_CreateNull());
    cJSON_AddStringToObject(body, "none_reason", "wholesale_retail");
    cJSON *o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK_EQ_INT(st, 201);
    char id[64] = "";
    if (jstr(o, "id")) snprintf(id, sizeof id, "%s", jstr(o, "id"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    REQUIRE(id[0]);
    snprintf(path, sizeof path, "/api/v1/judgments/%s", id);
    o = http_get_json(srv.port, path, &st);
    CHECK(cJSON_IsNull(jget(o, "chosen_item")));
    CHECK_EQ_STR(jstr(o, "none_reason"), "wholesale_retail");
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", brn);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(jget(o, "judgments"), 0), "none_reason"), "wholesale_retail");
    cJSON_Delete(o);
    /* an unknown reason, and a reason with an item, are refused */
    /* (a part of a reason's name, or two of them, are no reason either) */
    static const char *const not_reasons[] = {"no_such_reason", "othe", "supplier", "insufficient_info, other", ""};
    for (size_t k = 0; k < sizeof not_reasons / sizeof *not_reasons; k++) {
        body = judgment_body(req, res, cJSON_CreateNull());
        cJSON_AddStringToObject(body, "none_reason", not_reasons[k]);
        o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
        CHECK(check_error(o, st, 400, "invalid_none_reason", "none_reason", not_reasons[k]));
        cJSON_Delete(o);
        cJSON_Delete(body);
    }
    body = judgment_body(req, res, cJSON_CreateString(jstr(cJSON_GetArrayItem(jget(res, "items"), 0), "code")));
    cJSON_AddStringToObject(body, "none_reason", "other");
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK(check_error(o, st, 400, "invalid_none_reason", "none_reason", "none_reason with an item"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    cJSON_Delete(res);
    cJSON_Delete(req);
}

/* The first 5-digit KSIC-11 code of a section, read from the data file. */
static int ksic5_of_section(const char *sec, char out[8]) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/ksic/ksic11_hierarchy.csv", igc_test_data_dir());
    igc_csv *c;
    char **f;
    size_t nf;
    out[0] = '\0';
    if (igc_csv_open(path, &c)) return -1;
    if (igc_csv_next(c, &f, &nf) == 1) {
        int ck = igc_csv_col(c, "ksic5"), cs = igc_csv_col(c, "sec");
        while (ck >= 0 && cs >= 0 && !out[0] && igc_csv_next(c, &f, &nf) == 1)
            if ((size_t)ck < nf && (size_t)cs < nf && strcmp(f[cs], sec) == 0 && strlen(f[ck]) == 5)
                snprintf(out, 8, "%s", f[ck]);
    }
    igc_csv_close(c);
    return out[0] ? 0 : -1;
}

/* The reason for review is in the answer, in words, and a rule's note names the field
 * its word was in. */
TEST(review_reasons_name_the_field) {
    REQUIRE(server());
    char ksic[8];
    REQUIRE(ksic5_of_section("G", ksic) == 0); /* wholesale and retail */
    cJSON *req = sample_request(173205080, NULL);
    REQUIRE(req);
    set_field(req, "tech.ksic_code", ksic);
    set_field(req, "tech.main_product", "리튬이온 배터리 양극재");
    set_field(req, "tech.product_use", "자체 공장에서 생산하여 전기차 배터리 업체에 공급");
    set_field(req, "tech.tech_business_name", "고니켈 양극재 기술");
    int st;
    cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    CHECK(cJSON_IsTrue(jget(o, "needs_review")));
    const char *note = jstr(o, "review_note");
    REQUIRE(note);
    fprintf(stderr, "  review_note: %s\n", note);
    CHECK(strstr(note, "제품용도에 '생산'") != NULL);
    CHECK(strstr(note, "주요제품에") == NULL);
    const cJSON *rr = jget(o, "review_reasons"), *x;
    REQUIRE(cJSON_IsArray(rr));
    int rule = 0;
    cJSON_ArrayForEach(x, rr) {
        CHECK(jstr(x, "code") && jstr(x, "message") && *jstr(x, "message"));
        if (jstr(x, "code") && strcmp(jstr(x, "code"), "rule") == 0) rule = jstr(x, "message") && strcmp(jstr(x, "message"), note) == 0;
    }
    CHECK(rule);
    cJSON_Delete(o);
    cJSON_Delete(req);
    /* an answer that needs no review has an empty list */
    cJSON *plain = sample_request(173205081, NULL);
    o = http_post_obj(srv.port, "/api/v1/classify", plain, &st);
    REQUIRE(o);
    CHECK(cJSON_IsArray(jget(o, "review_reasons")));
    if (cJSON_IsFalse(jget(o, "needs_review"))) CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "review_reasons")), 0);
    else CHECK(cJSON_GetArraySize(jget(o, "review_reasons")) > 0);
    cJSON_Delete(o);
    cJSON_Delete(plain);
}

/* An igcd of its own with this build's trained model, over a store <tmp>/db-TAG: 0 when
 * it runs, 1 when there is no model (the test is skipped, said), -1 when it did not start. */
static int model_server(const char *tag, igcd_proc *p) {
    if (!server()) return -1;
    if (!test_model_or_skip()) return 1;
    char db[PATH_MAX + 32], log[PATH_MAX + 48];
    snprintf(db, sizeof db, "%s/db-%s", tmp, tag);
    snprintf(log, sizeof log, "%s/igcd-%s.log", tmp, tag);
    return igcd_start_ex(p, db, log, 0, NULL) == 0 ? 0 : -1;
}

/* The near-threshold reason states the distance to the threshold and the margin apart
 * ("75%와 기준 64%의 차이가 11%p로 … ±28%p"): its one number read as the distance. */
TEST(near_threshold_states_the_distance) {
    /* the shipped model and operating point: its margin makes the reason common */
    igcd_proc p;
    int up = model_server("near", &p);
    if (up > 0) return;
    REQUIRE(up == 0);
    int found = 0;
    dev_row r;
    for (int k = 0; k < 200 && !found && dev_row_pick(k, &r) == 0; k++) {
        char brn[11];
        brn_make(173205200 + (unsigned long)k, brn);
        cJSON *req = dev_request(&r, brn, "홍길동");
        int st;
        cJSON *o = http_post_obj(p.port, "/api/v1/classify", req, &st);
        cJSON_Delete(req);
        const cJSON *x;
        cJSON_ArrayForEach(x, jget(o, "review_reasons")) {
            if (!jstr(x, "code") || strcmp(jstr(x, "code"), "near_threshold") != 0) continue;
            const char *m = jstr(x, "message");
            double a = -1, b = -1, c = -1, d = -1;
            const char *pa = m ? strstr(m, "해당 가능성 ") : NULL, *pm = m ? strstr(m, "±") : NULL;
            REQUIRE(pa && pm);
            CHECK_EQ_INT(sscanf(pa, "해당 가능성 %lf%%와 판정 기준 %lf%%의 차이가 %lf%%p로", &a, &b, &c), 3);
            CHECK_EQ_INT(sscanf(pm, "±%lf%%p", &d), 1);
            fprintf(stderr, "  %s\n", m);
            CHECK(fabs(fabs(a - b) - c) <= 1.0); /* whole percents, each rounded */
            CHECK(c < d + 0.5);
            CHECK(fabs(a - jnum(o, "p_applicable", -1) * 100) <= 0.5);
            found = 1;
        }
        cJSON_Delete(o);
    }
    igcd_kill(&p);
    CHECK(found);
}

/* A KSIC-10 code the revision split into several KSIC-11 codes, and those codes, read
 * from the concordance: 0 and the old code, or -1 when there is none. */
static int ksic10_split(char old[8], char targets[8][8], int *ntargets) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/ksic/ksic11_hierarchy.csv", igc_test_data_dir());
    char *k11 = slurp(path, NULL);
    if (!k11) return -1;
    snprintf(path, sizeof path, "%s/ksic/ksic11_to_ksic10.csv", igc_test_data_dir());
    char *map = slurp(path, NULL);
    old[0] = '\0';
    *ntargets = 0;
    for (char *line = map ? strchr(map, '\n') : NULL; line && !old[0]; line = strchr(line + 1, '\n')) {
        char k11c[8], k10c[8];
        if (sscanf(line + 1, "%5[0-9],%*[^,],%5[0-9],", k11c, k10c) != 2) continue;
        char needle[16];
        snprintf(needle, sizeof needle, "\n%s,", k10c);
        if (strstr(k11, needle)) continue; /* also a KSIC-11 code */
        int n = 0;
        for (char *l2 = strchr(map, '\n'); l2 && n < 8; l2 = strchr(l2 + 1, '\n')) {
            char a11[8], a10[8];
            if (sscanf(l2 + 1, "%5[0-9],%*[^,],%5[0-9],", a11, a10) != 2 || strcmp(a10, k10c)) continue;
            int dup = 0;
            for (int j = 0; j < n; j++) dup |= strcmp(targets[j], a11) == 0;
            if (!dup) snprintf(targets[n++], 8, "%s", a11);
        }
        if (n > 1) snprintf(old, 8, "%s", k10c), *ntargets = n;
    }
    free(map);
    free(k11);
    return old[0] ? 0 : -1;
}

/* A split KSIC-10 code is never mapped silently to one KSIC-11 code: the lookup offers
 * the codes, classify asks which; a prefix offers its 5-digit codes. */
TEST(ksic_split_and_prefix_candidates) {
    REQUIRE(server());
    char old[8], targets[8][8];
    int nt = 0;
    REQUIRE(ksic10_split(old, targets, &nt) == 0);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/ksic/%s", old);
    int st;
    cJSON *o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(cJSON_IsTrue(jget(o, "split")));
    CHECK_EQ_STR(jstr(o, "mapped_from"), old);
    CHECK((int)jnum(o, "level", 5) < 5);
    const cJSON *cands = jget(o, "candidates");
    CHECK_EQ_INT(cJSON_GetArraySize(cands), nt);
    for (int i = 0; i < nt; i++) {
        CHECK_EQ_STR(jstr(cJSON_GetArrayItem(cands, i), "code"), targets[i]);
        CHECK(strncmp(targets[i], jstr(o, "code"), strlen(jstr(o, "code"))) == 0);
    }
    cJSON_Delete(o);
    cJSON *req = sample_request(223606797, NULL);
    set_field(req, "tech.ksic_code", old);
    o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    CHECK(check_error(o, st, 400, "ambiguous_ksic", "tech.ksic_code", "split KSIC-10 code"));
    const char *msg = jstr(jget(o, "error"), "message");
    for (int i = 0; i < nt; i++) CHECK(msg && strstr(msg, targets[i]));
    cJSON_Delete(o);
    cJSON_Delete(req);
    /* a 3-digit group lists every 5-digit code under it */
    dev_row row;
    REQUIRE(dev_row_pick(0, &row) == 0);
    char grp[4];
    snprintf(grp, sizeof grp, "%.3s", row.ksic5);
    snprintf(path, sizeof path, "/api/v1/ksic/%s", grp);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    char hp[PATH_MAX];
    snprintf(hp, sizeof hp, "%s/ksic/ksic11_hierarchy.csv", igc_test_data_dir());
    char *h = slurp(hp, NULL);
    int want = 0;
    for (char *l = h ? strchr(h, '\n') : NULL; l; l = strchr(l + 1, '\n'))
        if (strncmp(l + 1, grp, 3) == 0 && isdigit((unsigned char)l[4]) && isdigit((unsigned char)l[5]) && l[6] == ',') want++;
    free(h);
    CHECK(want > 0);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "candidates")), want);
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(o, "candidates")) CHECK(jstr(x, "code") && strncmp(jstr(x, "code"), grp, 3) == 0);
    CHECK(jget(o, "split") == NULL);
    cJSON_Delete(o);
    /* a KSIC-11 code has none */
    snprintf(path, sizeof path, "/api/v1/ksic/%s", row.ksic5);
    o = http_get_json(srv.port, path, &st);
    CHECK(jget(o, "candidates") == NULL);
    cJSON_Delete(o);
}

TEST(ksic_lookup) {
    REQUIRE(server());
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/ksic/ksic11_hierarchy.csv", igc_test_data_dir());
    igc_csv *c;
    REQUIRE(igc_csv_open(path, &c) == 0);
    char **f;
    size_t nf;
    REQUIRE(igc_csv_next(c, &f, &nf) == 1);
    int k5 = igc_csv_col(c, "ksic5"), n5 = igc_csv_col(c, "name5"), sec = igc_csv_col(c, "sec");
    REQUIRE(k5 >= 0 && n5 >= 0 && sec >= 0);
    char code[8] = "", name[256] = "", section[4] = "";
    int row = 0;
    /* the 300th code: somewhere in manufacturing, not the first line */
    while (igc_csv_next(c, &f, &nf) == 1)
        if (++row == 300) {
            snprintf(code, sizeof code, "%s", f[k5]);
            snprintf(name, sizeof name, "%s", f[n5]);
            snprintf(section, sizeof section, "%s", f[sec]);
        }
    igc_csv_close(c);
    REQUIRE(strlen(code) == 5);
    char url[128];
    snprintf(url, sizeof url, "/api/v1/ksic/%s", code);
    int st;
    cJSON *o = http_get_json(srv.port, url, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(o, "code"), code);
    CHECK_EQ_STR(jstr(o, "name"), name);
    CHECK_EQ_STR(jstr(o, "section"), section);
    CHECK_EQ_INT((int)jnum(o, "level", 0), 5);
    CHECK(jget(o, "mapped_from") == NULL);
    cJSON_Delete(o);

    /* KSIC-10 only: not in ksic11, mapped by the concordance */
    char old[8] = "", mapped[8] = "";
    REQUIRE(ksic10_only(old, mapped) == 0);
    snprintf(url, sizeof url, "/api/v1/ksic/%s", old);
    o = http_get_json(srv.port, url, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(o, "mapped_from"), old);
    CHECK_EQ_STR(jstr(o, "code"), mapped);
    cJSON_Delete(o);

    /* a prefix is a level-2..4 answer */
    snprintf(url, sizeof url, "/api/v1/ksic/%.3s", code);
    o = http_get_json(srv.port, url, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT((int)jnum(o, "level", 0), 3);
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/api/v1/ksic/12a45", &st);
    CHECK(check_error(o, st, 400, "invalid_ksic", "code", "letters in ksic"));
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/api/v1/ksic/99999", &st);
    CHECK(check_error(o, st, 404, "unknown_ksic", "code", "unknown ksic"));
    cJSON_Delete(o);
}

TEST(status) {
    REQUIRE(server());
    const cJSON *file = taxonomy_file();
    REQUIRE(file);
    int st;
    cJSON *o = http_get_json(srv.port, "/api/v1/status", &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    CHECK_EQ_STR(jstr(o, "service"), "igcd");
    CHECK_EQ_STR(jstr(o, "taxonomy_version"), jstr(file, "version"));
    const cJSON *tx = jget(o, "taxonomy"), *counts = jget(file, "counts");
    CHECK_EQ_INT((int)jnum(tx, "items", -1), (int)jnum(counts, "items", -2));
    CHECK_EQ_INT((int)jnum(tx, "themes", -1), (int)jnum(counts, "themes", -2));
    CHECK_EQ_INT((int)jnum(tx, "fields", -1), (int)jnum(counts, "fields", -2));
    CHECK_EQ_STR(jstr(o, "model"), "none");
    CHECK(jstr(o, "engine_version") && *jstr(o, "engine_version"));
    CHECK(cJSON_IsObject(jget(o, "rules")) && jstr(jget(o, "rules"), "version"));
    CHECK(cJSON_IsObject(jget(o, "store")) && jnum(jget(o, "store"), "judgments", -1) >= 0);
    cJSON_Delete(o);
}

TEST(root_html) {
    REQUIRE(server());
    http_resp r;
    REQUIRE(http_req(srv.port, "GET", "/", NULL, NULL, 0, &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    char ct[128] = "";
    http_header(&r, "Content-Type", ct, sizeof ct);
    CHECK(strstr(ct, "text/html") != NULL);
    CHECK(strstr(r.body, "<html") || strstr(r.body, "<HTML") || strstr(r.body, "<!doctype html") ||
          strstr(r.body, "<!DOCTYPE html"));
    CHECK(strstr(r.body, "사업자등록번호") != NULL);
    http_resp_free(&r);
    REQUIRE(http_req(srv.port, "GET", "/no-such-page.html", NULL, NULL, 0, &r) == 0);
    CHECK_EQ_INT(r.status, 404);
    http_resp_free(&r);
}

/* ---- classification ---- */

TEST(classify_real_row) {
    REQUIRE(server());
    dev_row row;
    cJSON *req = sample_request(123456789, &row);
    REQUIRE(req);
    fprintf(stderr, "  dev row %s (%s, KSIC %s -> %s, label %s)\n", row.uid, row.company, row.ksic3, row.ksic5,
            row.label1);
    char before[11], after[11];
    today_kst(before);
    int st;
    cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    today_kst(after);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    const char *on = jstr(o, "classified_on");
    CHECK(on && (strcmp(on, before) == 0 || strcmp(on, after) == 0));
    CHECK(cJSON_IsBool(jget(o, "applicable")));
    const cJSON *reasons = jget(o, "reasons"), *x;
    CHECK(cJSON_IsArray(reasons));
    cJSON_ArrayForEach(x, reasons) CHECK(jstr(x, "code") && jstr(x, "message") && *jstr(x, "message"));
    if (cJSON_IsFalse(jget(o, "applicable"))) CHECK(cJSON_GetArraySize(reasons) > 0);
    const cJSON *items = jget(o, "items");
    CHECK_EQ_INT(cJSON_GetArraySize(items), 3);
    /* the words the engine could have picked from */
    igc_buf text = {0};
    igc_buf_printf(&text, "%s\n%s\n%s\n%s\n%s\n%s\n%s", row.company, row.ksic5, row.ksic_name, row.main_product,
                   row.main_product, row.main_product, "EE0101");
    double prev = 2;
    int rank = 0;
    cJSON_ArrayForEach(x, items) {
        rank++;
        CHECK_EQ_INT((int)jnum(x, "rank", 0), rank);
        const char *code = jstr(x, "code");
        REQUIRE(code);
        char ip[128];
        snprintf(ip, sizeof ip, "/api/v1/taxonomy/items/%s", code);
        cJSON *d = http_get_json(srv.port, ip, &st);
        CHECK_EQ_INT(st, 200);
        CHECK_EQ_STR(jstr(x, "name"), jstr(d, "name"));
        CHECK_EQ_STR(jstr(x, "theme"), jstr(d, "theme"));
        CHECK_EQ_STR(jstr(x, "field"), jstr(d, "field"));
        cJSON_Delete(d);
        double sc = jnum(x, "score", -1);
        CHECK(sc >= 0 && sc <= 1);
        CHECK(sc <= prev);
        prev = sc;
        CHECK(jstr(x, "basis") && *jstr(x, "basis"));
        const cJSON *kw = jget(x, "keywords"), *k;
        CHECK(cJSON_IsArray(kw) && cJSON_GetArraySize(kw) <= 6);
        cJSON_ArrayForEach(k, kw) {
            CHECK(cJSON_IsString(k) && *k->valuestring);
            if (cJSON_IsString(k) && !strstr(text.data, k->valuestring)) {
                fprintf(stderr, "  keyword '%s' of %s is not in the input\n", k->valuestring, code);
                CHECK(0);
            }
        }
    }
    /* at least the first item explains itself with words of the input */
    CHECK(cJSON_GetArraySize(jget(cJSON_GetArrayItem(items, 0), "keywords")) > 0);
    const cJSON *file = taxonomy_file();
    CHECK_EQ_STR(jstr(o, "taxonomy_version"), jstr(file, "version"));
    CHECK(jstr(o, "engine_version") && *jstr(o, "engine_version"));
    cJSON *stt = http_get_json(srv.port, "/api/v1/status", &st);
    CHECK_EQ_STR(jstr(o, "rules_version"), jstr(jget(stt, "rules"), "version"));
    CHECK_EQ_STR(jstr(o, "engine_version"), jstr(stt, "engine_version"));
    cJSON_Delete(stt);
    CHECK(jnum(o, "elapsed_ms", -1) >= 0);
    CHECK(cJSON_IsArray(jget(o, "similar_judgments")) && cJSON_GetArraySize(jget(o, "similar_judgments")) <= 5);
    double pa = jnum(o, "p_applicable", -1);
    CHECK(pa >= 0 && pa <= 1);
    CHECK(cJSON_IsBool(jget(o, "needs_review")));
    igc_buf_free(&text);
    cJSON_Delete(o);

    /* hyphenated 3-2-5 brn is the same number */
    char brn[11], hy[16];
    brn_make(123456789, brn);
    snprintf(hy, sizeof hy, "%.3s-%.2s-%.5s", brn, brn + 3, brn + 5);
    set_field(req, "company.brn", hy);
    o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    /* no Content-Type header at all is refused: a page of another site could
     * otherwise post JSON-looking text without the browser asking first */
    char *t = cJSON_PrintUnformatted(req);
    http_resp r;
    REQUIRE(http_req(srv.port, "POST", "/api/v1/classify", NULL, t, strlen(t), &r) == 0);
    o = cJSON_ParseWithLength(r.body, r.body_len);
    CHECK(check_error(o, r.status, 415, "unsupported_media_type", NULL, "no Content-Type"));
    cJSON_Delete(o);
    http_resp_free(&r);
    free(t);
    cJSON_Delete(req);
}

/* Keywords are cut from the input: even for a very long word without spaces
 * each one is a whole substring of the input, and the body stays valid UTF-8. */
TEST(classify_long_word_keywords) {
    REQUIRE(server());
    cJSON *req = sample_request(777, NULL);
    REQUIRE(req);
    igc_buf w = {0};
    for (int k = 0; k < 12; k++) igc_buf_puts(&w, "리튬이온배터리"); /* 84 syllables, 252 bytes */
    set_field(req, "tech.main_product", w.data);
    set_field(req, "tech.ksic_name", "축전지 제조업");
    igc_buf use = {0};
    igc_buf_printf(&use, "%s 배터리", w.data);
    set_field(req, "tech.product_use", use.data);
    set_field(req, "tech.tech_business_name", "배터리");
    char *t = cJSON_PrintUnformatted(req);
    http_resp r;
    REQUIRE(http_req(srv.port, "POST", "/api/v1/classify", "application/json", t, strlen(t), &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    int valid = igc_utf8_valid(r.body, r.body_len);
    if (!valid) fprintf(stderr, "  the classify answer is not valid UTF-8\n");
    CHECK(valid);
    cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
    const cJSON *x, *k;
    cJSON_ArrayForEach(x, jget(o, "items")) cJSON_ArrayForEach(k, jget(x, "keywords")) {
        int ok = cJSON_IsString(k) && igc_utf8_valid(k->valuestring, strlen(k->valuestring)) &&
                 (strstr(w.data, k->valuestring) || strstr(use.data, k->valuestring) ||
                  strstr("축전지 제조업", k->valuestring));
        if (!ok) fprintf(stderr, "  keyword of %zu bytes is not a piece of the input\n",
                         cJSON_IsString(k) ? strlen(k->valuestring) : 0);
        CHECK(ok);
    }
    cJSON_Delete(o);
    http_resp_free(&r);
    free(t);
    igc_buf_free(&w);
    igc_buf_free(&use);
    cJSON_Delete(req);
}

/* A KSIC-10 code in a request is accepted and answered as its KSIC-11 code. */
TEST(classify_ksic10_code) {
    REQUIRE(server());
    char old[8], mapped[8];
    REQUIRE(ksic10_only(old, mapped) == 0);
    cJSON *req = sample_request(778, NULL);
    REQUIRE(req);
    set_field(req, "tech.ksic_code", old);
    int st;
    cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(jget(o, "ksic"), "code"), mapped);
    CHECK_EQ_STR(jstr(jget(o, "ksic"), "mapped_from"), old);
    CHECK_EQ_STR(jstr(jget(o, "tech"), "ksic_code"), old); /* the input is echoed as given */
    cJSON_Delete(o);
    cJSON_Delete(req);
}

/* An input whose words are known nowhere (item texts, dictionary, cases, history)
 * is answered, but never as decided: it goes to review and says why. A real row
 * gives no such reason. */
TEST(classify_unknown_words) {
    REQUIRE(server());
    static const char *const tech[] = {"tech.ksic_name", "tech.main_product", "tech.product_use",
                                       "tech.tech_business_name"};
    for (int unknown = 0; unknown < 2; unknown++) {
        cJSON *req = sample_request(779, NULL);
        REQUIRE(req);
        for (size_t i = 0; unknown && i < 4; i++) set_field(req, tech[i], "qwzx vbnm");
        int st;
        cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
        CHECK_EQ_INT(st, 200);
        const cJSON *rr, *why = NULL;
        cJSON_ArrayForEach(rr, jget(o, "review_reasons")) {
            if (jstr(rr, "code") && strcmp(jstr(rr, "code"), "unknown_words") == 0) why = rr;
        }
        CHECK_EQ_INT(why != NULL, unknown);
        if (unknown) CHECK(cJSON_IsTrue(jget(o, "needs_review")) && jstr(why, "message"));
        cJSON_Delete(o);
        cJSON_Delete(req);
    }
}

/* ---- validation ---- */

TEST(validation_blank_fields) {
    REQUIRE(server());
    for (size_t i = 0; i < NALL; i++) {
        /* missing, empty, spaces, U+3000, and only punctuation (a dot, a dash and U+2026) */
        const char *variants[] = {NULL, "", "   ", "\xE3\x80\x80\t", ".", " - \xE2\x80\xA6"};
        for (int v = 0; v < 6; v++) {
            cJSON *req = sample_request(123456789, NULL);
            REQUIRE(req);
            set_field(req, all_fields[i], variants[v]);
            int st;
            cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
            char what[128];
            snprintf(what, sizeof what, "%s %s", all_fields[i], v ? "blank" : "missing");
            CHECK(check_error(o, st, 400, "blank_field", all_fields[i], what));
            const char *msg = jstr(jget(o, "error"), "message");
            CHECK(msg && strstr(msg, "공란 입력"));
            /* only the blank field is reported */
            CHECK_EQ_INT(cJSON_GetArraySize(jget(jget(o, "error"), "fields")), 1);
            cJSON_Delete(o);
            cJSON_Delete(req);
        }
    }
    /* a description that says nothing is blank too, and the message says why; a name or
     * code is not a description ("1" is no placeholder there) */
    const char *nothing[] = {"없음", "미정", "해당 없음", "N/A", "none", "1", "2024", "- 3 -"};
    const char *described[] = {"tech.ksic_name", "tech.main_product", "tech.product_use", "tech.tech_business_name"};
    for (int d = 0; d < 4; d++)
        for (size_t v = 0; v < sizeof nothing / sizeof *nothing; v++) {
            cJSON *req = sample_request(123456789, NULL);
            REQUIRE(req);
            set_field(req, described[d], nothing[v]);
            int st;
            cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
            char what[128];
            snprintf(what, sizeof what, "%s '%s'", described[d], nothing[v]);
            CHECK(check_error(o, st, 400, "blank_field", described[d], what));
            const char *msg = jstr(jget(o, "error"), "message");
            CHECK(msg && strstr(msg, "공란 입력") && strstr(msg, "'없음'"));
            cJSON_Delete(o);
            cJSON_Delete(req);
        }
    static const char *const content[][2] = {{"tech.main_product", "2차전지"}, {"tech.main_product", "5G 중계기"},
                                             {"tech.main_product", "없음표시등"}, {"tech.main_product", "A4 용지"},
                                             {"company.name", "1"}};
    for (size_t v = 0; v < sizeof content / sizeof *content; v++) {
        cJSON *req = sample_request(123456789, NULL);
        set_field(req, content[v][0], content[v][1]);
        int st;
        cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
        CHECK_EQ_INT(st, 200);
        cJSON_Delete(o);
        cJSON_Delete(req);
    }
    /* a whole object missing reports all its fields at once; null counts as missing */
    cJSON *req = sample_request(123456789, NULL);
    cJSON_DeleteItemFromObject(req, "company");
    int st;
    cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    CHECK(check_error(o, st, 400, "blank_field", "company.name", "no company"));
    CHECK(jarr_has(jget(jget(o, "error"), "fields"), "company.brn"));
    CHECK(jarr_has(jget(jget(o, "error"), "fields"), "company.ceo"));
    cJSON_Delete(o);
    cJSON_Delete(req);
    req = sample_request(123456789, NULL);
    set_field_item(req, "tech.ksic_name", cJSON_CreateNull());
    o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    CHECK(check_error(o, st, 400, "blank_field", "tech.ksic_name", "null field"));
    cJSON_Delete(o);
    cJSON_Delete(req);
    o = http_post_json(srv.port, "/api/v1/classify", "{}", &st);
    CHECK(check_error(o, st, 400, "blank_field", "tech.tech_class", "empty object"));
    CHECK_EQ_INT(cJSON_GetArraySize(jget(jget(o, "error"), "fields")), (int)NALL);
    cJSON_Delete(o);
}

TEST(validation_brn) {
    REQUIRE(server());
    char good[11], bad[11], nine[10], letters[16], hy[20];
    brn_make(220811234, good);
    brn_bad(220811234, bad);
    snprintf(nine, sizeof nine, "%.9s", good);
    snprintf(letters, sizeof letters, "12345abcde");
    snprintf(hy, sizeof hy, "%.5s-%.5s", good, good + 5); /* hyphen in the wrong place */
    const char *cases[] = {nine, letters, bad, hy, "12345678901"};
    for (int i = 0; i < 5; i++) {
        cJSON *req = sample_request(1, NULL);
        set_field(req, "company.brn", cases[i]);
        int st;
        cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
        char what[64];
        snprintf(what, sizeof what, "brn '%s'", cases[i]);
        CHECK(check_error(o, st, 400, "invalid_brn", "company.brn", what));
        cJSON_Delete(o);
        cJSON_Delete(req);
    }
}

TEST(validation_ksic) {
    REQUIRE(server());
    /* a 5-digit code in neither KSIC-11 nor KSIC-10 */
    char h11[PATH_MAX], h10[PATH_MAX];
    snprintf(h11, sizeof h11, "%s/ksic/ksic11_hierarchy.csv", igc_test_data_dir());
    snprintf(h10, sizeof h10, "%s/ksic/ksic10_hierarchy.csv", igc_test_data_dir());
    char *a = slurp(h11, NULL), *b = slurp(h10, NULL);
    REQUIRE(a && b);
    char unknown[8] = "";
    for (int n = 99999; n > 0 && !unknown[0]; n--) {
        char needle[16];
        snprintf(needle, sizeof needle, "\n%05d,", n);
        if (!strstr(a, needle) && !strstr(b, needle)) snprintf(unknown, sizeof unknown, "%05d", n);
    }
    free(a);
    free(b);
    REQUIRE(unknown[0]);
    dev_row row;
    REQUIRE(dev_row_pick(0, &row) == 0);
    char four[8];
    snprintf(four, sizeof four, "%.4s", row.ksic5);
    const char *cases[] = {row.ksic3, four, "123456", "2a611", unknown};
    for (int i = 0; i < 5; i++) {
        cJSON *req = sample_request(1, NULL);
        set_field(req, "tech.ksic_code", cases[i]);
        int st;
        cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
        char what[64];
        snprintf(what, sizeof what, "ksic '%s'", cases[i]);
        CHECK(check_error(o, st, 400, "invalid_ksic", "tech.ksic_code", what));
        cJSON_Delete(o);
        cJSON_Delete(req);
    }
}

TEST(validation_too_long) {
    REQUIRE(server());
    static const struct {
        const char *path;
        size_t max;
    } lim[] = {{"company.name", 100}, {"company.ceo", 50}, {"tech.ksic_name", 100}, {"tech.main_product", 1000},
               {"tech.product_use", 3000}, {"tech.tech_business_name", 300}};
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        /* the limit counts characters: max Hangul syllables (3 bytes each) pass, one more fails */
        for (int over = 0; over < 2; over++) {
            igc_buf s = {0};
            for (size_t k = 0; k < lim[i].max + (size_t)over; k++) igc_buf_puts(&s, "가");
            cJSON *req = sample_request(1, NULL);
            set_field(req, lim[i].path, s.data);
            int st;
            cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
            char what[96];
            snprintf(what, sizeof what, "%s with %zu chars", lim[i].path, lim[i].max + (size_t)over);
            if (over) {
                CHECK(check_error(o, st, 400, "field_too_long", lim[i].path, what));
            } else if (st != 200) {
                fprintf(stderr, "  case '%s': want 200, got %d\n", what, st);
                CHECK(0);
            }
            cJSON_Delete(o);
            cJSON_Delete(req);
            igc_buf_free(&s);
        }
    }
    /* the short ASCII fields: length is checked before the format */
    static const struct {
        const char *path;
        size_t n;
    } ascii[] = {{"company.brn", 21}, {"tech.ksic_code", 11}, {"tech.tech_class", 21}};
    for (size_t i = 0; i < 3; i++) {
        char v[32];
        memset(v, '1', ascii[i].n);
        v[ascii[i].n] = '\0';
        cJSON *req = sample_request(1, NULL);
        set_field(req, ascii[i].path, v);
        int st;
        cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
        CHECK(check_error(o, st, 400, "field_too_long", ascii[i].path, ascii[i].path));
        cJSON_Delete(o);
        cJSON_Delete(req);
    }
}

TEST(validation_types) {
    REQUIRE(server());
    for (size_t i = 0; i < NALL; i++) {
        cJSON *vals[] = {cJSON_CreateNumber(1234567890), cJSON_CreateTrue(), cJSON_CreateArray(), cJSON_CreateObject()};
        for (int v = 0; v < 4; v++) {
            cJSON *req = sample_request(1, NULL);
            set_field_item(req, all_fields[i], vals[v]);
            int st;
            cJSON *o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
            char what[96];
            snprintf(what, sizeof what, "%s as non-string #%d", all_fields[i], v);
            CHECK(check_error(o, st, 400, "invalid_type", all_fields[i], what));
            cJSON_Delete(o);
            cJSON_Delete(req);
        }
    }
    int st;
    cJSON *o = http_post_json(srv.port, "/api/v1/classify", "{\"company\":\"x\",\"tech\":{}}", &st);
    CHECK(check_error(o, st, 400, "invalid_type", "company", "company as string"));
    cJSON_Delete(o);
    o = http_post_json(srv.port, "/api/v1/classify", "{\"company\":{},\"tech\":[1]}", &st);
    CHECK(check_error(o, st, 400, "invalid_type", "tech", "tech as array"));
    cJSON_Delete(o);
    cJSON *req = sample_request(1, NULL);
    set_field(req, "tech.tech_class", "ee01");
    o = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    CHECK(check_error(o, st, 400, "invalid_tech_class", "tech.tech_class", "tech class"));
    cJSON_Delete(o);
    cJSON_Delete(req);
}

TEST(validation_json_and_utf8) {
    REQUIRE(server());
    const char *bad_json[] = {"{", "{\"company\":}", "not json", "[1,2]", "\"text\"", "null", ""};
    for (int i = 0; i < 7; i++) {
        int st;
        cJSON *o = http_post_json(srv.port, "/api/v1/classify", bad_json[i], &st);
        char what[64];
        snprintf(what, sizeof what, "body '%s'", bad_json[i]);
        CHECK(check_error(o, st, 400, "invalid_json", NULL, what));
        cJSON_Delete(o);
    }
    cJSON *req = sample_request(1, NULL);
    char *t = cJSON_PrintUnformatted(req);
    cJSON *o;
    /* invalid UTF-8 inside a string value: a lone continuation, an overlong '/', a surrogate */
    const char *bytes[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xea\xb0"};
    for (int i = 0; i < 4; i++) {
        char *at = strstr(t, "EE0101");
        REQUIRE(at);
        igc_buf x = {0};
        igc_buf_append(&x, t, (size_t)(at - t));
        igc_buf_puts(&x, "EE");
        igc_buf_puts(&x, bytes[i]);
        igc_buf_puts(&x, at + 2);
        http_resp r;
        REQUIRE(http_req(srv.port, "POST", "/api/v1/classify", "application/json", x.data, x.len, &r) == 0);
        o = cJSON_ParseWithLength(r.body, r.body_len);
        char what[32];
        snprintf(what, sizeof what, "utf8 case %d", i);
        CHECK(check_error(o, r.status, 400, "invalid_utf8", NULL, what));
        cJSON_Delete(o);
        http_resp_free(&r);
        igc_buf_free(&x);
    }
    /* a NUL byte in the body */
    {
        size_t n = strlen(t);
        char *x = malloc(n);
        memcpy(x, t, n);
        x[n - 2] = '\0';
        http_resp r;
        REQUIRE(http_req(srv.port, "POST", "/api/v1/classify", "application/json", x, n, &r) == 0);
        o = cJSON_ParseWithLength(r.body, r.body_len);
        CHECK_EQ_INT(r.status, 400);
        CHECK(jget(o, "error") && jstr(jget(o, "error"), "code"));
        cJSON_Delete(o);
        http_resp_free(&r);
        free(x);
    }
    free(t);
    cJSON_Delete(req);
}

/* GET /api/v1/judgments?brn=: blank_field only when brn is missing or blank
 * (docs/api.md); a brn that is given but cannot be a 사업자등록번호 (too long for
 * the server's buffer, or not UTF-8) is invalid_brn, not "공란 입력". */
TEST(judgment_list_brn_errors) {
    REQUIRE(server());
    char longbrn[80], p3[128];
    memset(longbrn, '1', 70);
    longbrn[70] = '\0';
    snprintf(p3, sizeof p3, "/api/v1/judgments?brn=%s", longbrn);
    const char *paths[] = {"/api/v1/judgments?brn=12345678901", "/api/v1/judgments?brn=%EA%B0%80", p3,
                           "/api/v1/judgments?brn=%FF"};
    for (int i = 0; i < 4; i++) {
        int st;
        cJSON *o = http_get_json(srv.port, paths[i], &st);
        CHECK(check_error(o, st, 400, "invalid_brn", "brn", paths[i]));
        cJSON_Delete(o);
    }
    int st;
    cJSON *o = http_get_json(srv.port, "/api/v1/judgments?brn=", &st);
    CHECK(check_error(o, st, 400, "blank_field", "brn", "empty brn"));
    cJSON_Delete(o);
}

/* Search: q missing or blank is blank_field, badly percent-encoded or not UTF-8
 * is invalid_query, over 400 bytes is field_too_long (docs/api.md). */
TEST(search_query_errors) {
    REQUIRE(server());
    const char *paths[] = {"/api/v1/taxonomy/search?q=%20%20", "/api/v1/taxonomy/search?limit=3"};
    for (int i = 0; i < 2; i++) {
        int st;
        cJSON *o = http_get_json(srv.port, paths[i], &st);
        CHECK(check_error(o, st, 400, "blank_field", "q", paths[i]));
        cJSON_Delete(o);
    }
    const char *bad[] = {"/api/v1/taxonomy/search?q=%ZZ", "/api/v1/taxonomy/search?q=%FF"};
    for (int i = 0; i < 2; i++) {
        int st;
        cJSON *o = http_get_json(srv.port, bad[i], &st);
        CHECK(check_error(o, st, 400, "invalid_query", "q", bad[i]));
        cJSON_Delete(o);
    }
    igc_buf q = {0};
    igc_buf_puts(&q, "/api/v1/taxonomy/search?q=");
    for (int k = 0; k < 401; k++) igc_buf_puts(&q, "a");
    int st;
    cJSON *o = http_get_json(srv.port, q.data, &st);
    CHECK(check_error(o, st, 400, "field_too_long", "q", "long query"));
    cJSON_Delete(o);
    igc_buf_free(&q);
}

/* Nesting deeper than the parser allows is invalid JSON, not a crash. */
TEST(validation_deep_nesting) {
    REQUIRE(server());
    igc_buf b = {0};
    for (int k = 0; k < 20000; k++) igc_buf_puts(&b, "[");
    int st;
    cJSON *o = http_post_json(srv.port, "/api/v1/classify", b.data, &st);
    CHECK(check_error(o, st, 400, "invalid_json", NULL, "deep nesting"));
    cJSON_Delete(o);
    b.len = 0;
    igc_buf_puts(&b, "{\"company\":");
    for (int k = 0; k < 5000; k++) igc_buf_puts(&b, "{\"a\":");
    o = http_post_json(srv.port, "/api/v1/classify", b.data, &st);
    CHECK_EQ_INT(st, 400);
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/healthz", &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    igc_buf_free(&b);
}

/* A valid request followed by more text is not one JSON text (RFC 8259). */
TEST(validation_json_trailing_garbage) {
    REQUIRE(server());
    cJSON *req = sample_request(1, NULL);
    char *t = cJSON_PrintUnformatted(req);
    const char *tails[] = {"}garbage", " {}", "x"};
    for (int i = 0; i < 3; i++) {
        igc_buf b = {0};
        igc_buf_printf(&b, "%s%s", t, tails[i]);
        int st;
        cJSON *o = http_post_json(srv.port, "/api/v1/classify", b.data, &st);
        char what[64];
        snprintf(what, sizeof what, "request + '%s'", tails[i]);
        if (st == 200) {
            fprintf(stderr, "  case '%s': want 400 invalid_json, got 200 (a classification)\n", what);
            CHECK(0);
        } else {
            CHECK(check_error(o, st, 400, "invalid_json", NULL, what));
        }
        cJSON_Delete(o);
        igc_buf_free(&b);
    }
    free(t);
    cJSON_Delete(req);
}

TEST(routes_and_methods) {
    REQUIRE(server());
    int st;
    cJSON *o = http_get_json(srv.port, "/api/v1/nope", &st);
    CHECK(check_error(o, st, 404, "not_found", NULL, "unknown route"));
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/api/v2/classify", &st);
    CHECK_EQ_INT(st, 404);
    cJSON_Delete(o);
    http_resp r;
    REQUIRE(http_req(srv.port, "GET", "/api/v1/classify", NULL, NULL, 0, &r) == 0);
    o = cJSON_ParseWithLength(r.body, r.body_len);
    CHECK(check_error(o, r.status, 405, "method_not_allowed", NULL, "GET classify"));
    char allow[64] = "";
    http_header(&r, "Allow", allow, sizeof allow);
    CHECK(strstr(allow, "POST") != NULL);
    cJSON_Delete(o);
    http_resp_free(&r);
    REQUIRE(http_req(srv.port, "DELETE", "/api/v1/judgments", NULL, NULL, 0, &r) == 0);
    CHECK_EQ_INT(r.status, 405);
    http_resp_free(&r);
    REQUIRE(http_req(srv.port, "POST", "/api/v1/taxonomy", "application/json", "{}", 2, &r) == 0);
    CHECK_EQ_INT(r.status, 405);
    http_resp_free(&r);
    /* wrong content type */
    cJSON *req = sample_request(1, NULL);
    char *t = cJSON_PrintUnformatted(req);
    const char *types[] = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"};
    for (int i = 0; i < 3; i++) {
        REQUIRE(http_req(srv.port, "POST", "/api/v1/classify", types[i], t, strlen(t), &r) == 0);
        o = cJSON_ParseWithLength(r.body, r.body_len);
        CHECK(check_error(o, r.status, 415, "unsupported_media_type", NULL, types[i]));
        cJSON_Delete(o);
        http_resp_free(&r);
    }
    REQUIRE(http_req(srv.port, "POST", "/api/v1/judgments", "text/plain", t, strlen(t), &r) == 0);
    CHECK_EQ_INT(r.status, 415);
    http_resp_free(&r);
    /* charset parameter is fine */
    REQUIRE(http_req(srv.port, "POST", "/api/v1/classify", "application/json; charset=utf-8", t, strlen(t), &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    http_resp_free(&r);
    free(t);
    cJSON_Delete(req);
}

/* A second server with a 4 KiB body limit. */
TEST(body_too_large) {
    REQUIRE(server());
    char db[PATH_MAX + 16], log[PATH_MAX + 32];
    snprintf(db, sizeof db, "%s/db-small", tmp);
    snprintf(log, sizeof log, "%s/igcd-small.log", tmp);
    igcd_proc small;
    const char *extra[] = {"--max-body", "4096", NULL};
    REQUIRE(igcd_start_ex(&small, db, log, 1, extra) == 0);
    cJSON *req = sample_request(1, NULL);
    igc_buf s = {0};
    for (int k = 0; k < 500; k++) igc_buf_puts(&s, "가"); /* 1500 bytes, under every field limit */
    set_field(req, "tech.product_use", s.data);
    set_field(req, "tech.tech_business_name", "x");
    int st;
    cJSON *o = http_post_obj(small.port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200); /* under the limit */
    cJSON_Delete(o);
    s.len = 0;
    for (int k = 0; k < 1500; k++) igc_buf_puts(&s, "가"); /* 4500 bytes */
    set_field(req, "tech.product_use", s.data);
    o = http_post_obj(small.port, "/api/v1/classify", req, &st);
    CHECK(check_error(o, st, 413, "body_too_large", NULL, "4.5 KiB body"));
    cJSON_Delete(o);
    /* the server is still serving afterwards */
    o = http_get_json(small.port, "/healthz", &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    igc_buf_free(&s);
    cJSON_Delete(req);
    igcd_kill(&small);
}

/* ---- judgments ---- */

static cJSON *judgment_body(const cJSON *req, const cJSON *result, cJSON *chosen) {
    cJSON *j = cJSON_Duplicate(req, 1);
    cJSON_AddItemToObject(j, "result", cJSON_Duplicate(result, 1));
    cJSON_AddItemToObject(j, "chosen_item", chosen);
    cJSON_AddStringToObject(j, "comment", "2순위 품목이 주력 제품에 더 가깝습니다.");
    return j;
}

TEST(judgments) {
    REQUIRE(server());
    char brn[11];
    brn_make(314159265, brn);
    dev_row row;
    cJSON *req = sample_request(314159265, &row);
    REQUIRE(req);
    int st;
    cJSON *res = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    REQUIRE(st == 200 && res);
    const char *rank2 = jstr(cJSON_GetArrayItem(jget(res, "items"), 1), "code");
    REQUIRE(rank2);
    cJSON *body = judgment_body(req, res, cJSON_CreateString(rank2));
    cJSON *o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK_EQ_INT(st, 201);
    char id1[64] = "";
    if (jstr(o, "id")) snprintf(id1, sizeof id1, "%s", jstr(o, "id"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    REQUIRE(id1[0]);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/judgments/%s", id1);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    CHECK_EQ_STR(jstr(o, "id"), id1);
    CHECK_EQ_STR(jstr(o, "chosen_item"), rank2);
    CHECK_EQ_STR(jstr(o, "chosen_item_name"), jstr(cJSON_GetArrayItem(jget(res, "items"), 1), "name"));
    CHECK_EQ_STR(jstr(o, "rules_version"), jstr(res, "rules_version"));
    CHECK_EQ_STR(jstr(o, "engine_version"), jstr(res, "engine_version"));
    CHECK_EQ_STR(jstr(o, "taxonomy_version"), jstr(res, "taxonomy_version"));
    CHECK_EQ_STR(jstr(o, "comment"), "2순위 품목이 주력 제품에 더 가깝습니다.");
    CHECK_EQ_STR(jstr(jget(o, "company"), "brn"), brn);
    CHECK_EQ_STR(jstr(jget(o, "company"), "name"), row.company);
    CHECK_EQ_STR(jstr(jget(o, "tech"), "main_product"), row.main_product);
    CHECK(cJSON_Compare(jget(o, "result"), res, 1));
    CHECK(jstr(o, "saved_at") && strlen(jstr(o, "saved_at")) == 20);
    cJSON_Delete(o);

    /* a second judgment for the same company, "none applies" (null), given with hyphens */
    char hy[16];
    snprintf(hy, sizeof hy, "%.3s-%.2s-%.5s", brn, brn + 3, brn + 5);
    set_field(req, "company.brn", hy);
    body = judgment_body(req, res, cJSON_CreateNull());
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK_EQ_INT(st, 201);
    char id2[64] = "";
    if (jstr(o, "id")) snprintf(id2, sizeof id2, "%s", jstr(o, "id"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    REQUIRE(id2[0]);
    CHECK(strcmp(id1, id2) != 0);
    snprintf(path, sizeof path, "/api/v1/judgments/%s", id2);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK(cJSON_IsNull(jget(o, "chosen_item")));
    CHECK_EQ_STR(jstr(jget(o, "company"), "brn"), brn); /* stored normalised */
    cJSON_Delete(o);

    /* newest first, by the bare and the hyphenated number */
    const char *q[] = {brn, hy};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", q[k]);
        o = http_get_json(srv.port, path, &st);
        CHECK_EQ_INT(st, 200);
        const cJSON *list = jget(o, "judgments");
        CHECK_EQ_INT(cJSON_GetArraySize(list), 2);
        CHECK_EQ_STR(jstr(cJSON_GetArrayItem(list, 0), "id"), id2);
        CHECK_EQ_STR(jstr(cJSON_GetArrayItem(list, 1), "id"), id1);
        CHECK_EQ_STR(jstr(cJSON_GetArrayItem(list, 1), "chosen_item"), rank2);
        CHECK_EQ_STR(jstr(cJSON_GetArrayItem(list, 1), "company_name"), row.company);
        CHECK_EQ_STR(jstr(cJSON_GetArrayItem(list, 1), "rules_version"), jstr(res, "rules_version"));
        cJSON_Delete(o);
    }
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s&limit=1", brn);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "judgments")), 1);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(jget(o, "judgments"), 0), "id"), id2);
    cJSON_Delete(o);
    /* another company has none */
    char other[11];
    brn_make(271828182, other);
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", other);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "judgments")), 0);
    cJSON_Delete(o);

    /* errors */
    o = http_get_json(srv.port, "/api/v1/judgments/J99999999999990000", &st);
    CHECK(check_error(o, st, 404, "unknown_judgment", NULL, "unknown id"));
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/api/v1/judgments/not-an-id", &st);
    CHECK_EQ_INT(st, 404);
    cJSON_Delete(o);
    char badbrn[11];
    brn_bad(314159265, badbrn);
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", badbrn);
    o = http_get_json(srv.port, path, &st);
    CHECK(check_error(o, st, 400, "invalid_brn", "brn", "list bad brn"));
    cJSON_Delete(o);
    o = http_get_json(srv.port, "/api/v1/judgments", &st);
    CHECK(check_error(o, st, 400, "blank_field", "brn", "list no brn"));
    cJSON_Delete(o);
    set_field(req, "company.brn", badbrn);
    body = judgment_body(req, res, cJSON_CreateString(rank2));
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK(check_error(o, st, 400, "invalid_brn", "company.brn", "save bad brn"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    set_field(req, "company.brn", brn);
    body = judgment_body(req, res, cJSON_CreateString("ZZ99999"));
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK(check_error(o, st, 400, "unknown_item", "chosen_item", "chosen not in taxonomy"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    body = judgment_body(req, res, cJSON_CreateNumber(3));
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK(check_error(o, st, 400, "invalid_type", "chosen_item", "chosen a number"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    body = judgment_body(req, res, cJSON_CreateString(rank2));
    cJSON_DeleteItemFromObject(body, "result");
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK(check_error(o, st, 400, "invalid_result", "result", "no result"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    body = judgment_body(req, res, cJSON_CreateString(rank2));
    set_field(body, "company.ceo", " ");
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK(check_error(o, st, 400, "blank_field", "company.ceo", "save blank ceo"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    /* nothing of the refused saves was stored */
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", brn);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "judgments")), 2);
    cJSON_Delete(o);
    cJSON_Delete(res);
    cJSON_Delete(req);
}

/* A saved judgment is an exemplar at once: the same text classified for another
 * company finds it among similar_judgments, without a restart; for the company
 * itself it is no similar judgment but one of its previous_judgments. */
TEST(judgment_becomes_exemplar) {
    REQUIRE(server());
    dev_row row;
    REQUIRE(dev_row_pick(3, &row) == 0);
    /* a company name no other test uses */
    snprintf(row.company + strlen(row.company), sizeof row.company - strlen(row.company), " 예시기업");
    char brn[11], other[11];
    brn_make(161803371, brn);
    brn_make(161803372, other);
    cJSON *req = dev_request(&row, brn, "이순신");
    cJSON *req2 = dev_request(&row, other, "이순신");
    int st;
    cJSON *res = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    REQUIRE(st == 200 && res);
    CHECK(cJSON_IsArray(jget(res, "previous_judgments")) && cJSON_GetArraySize(jget(res, "previous_judgments")) == 0);
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(res, "similar_judgments")) CHECK(!jstr(x, "company") || strcmp(jstr(x, "company"), row.company));
    cJSON *stt = http_get_json(srv.port, "/api/v1/status", &st);
    double ex0 = jnum(stt, "exemplars", -1);
    cJSON_Delete(stt);
    const char *chosen = jstr(cJSON_GetArrayItem(jget(res, "items"), 1), "code");
    REQUIRE(chosen);
    char chosen_code[32], id[64] = "";
    snprintf(chosen_code, sizeof chosen_code, "%s", chosen);
    cJSON *body = judgment_body(req, res, cJSON_CreateString(chosen_code));
    cJSON *o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK_EQ_INT(st, 201);
    if (jstr(o, "id")) snprintf(id, sizeof id, "%s", jstr(o, "id"));
    cJSON_Delete(o);
    cJSON_Delete(body);
    cJSON_Delete(res);
    stt = http_get_json(srv.port, "/api/v1/status", &st);
    CHECK_EQ_INT((int)jnum(stt, "exemplars", -1), (int)ex0 + 1);
    cJSON_Delete(stt);

    res = http_post_obj(srv.port, "/api/v1/classify", req2, &st);
    REQUIRE(st == 200 && res);
    int found = 0;
    cJSON_ArrayForEach(x, jget(res, "similar_judgments")) {
        if (jstr(x, "company") && strcmp(jstr(x, "company"), row.company) == 0) {
            found = 1;
            CHECK_EQ_STR(jstr(x, "item"), chosen_code);
            CHECK(jnum(x, "similarity", 0) > 0.5);
        }
    }
    if (!found) {
        char *t = cJSON_PrintUnformatted(jget(res, "similar_judgments"));
        fprintf(stderr, "  similar_judgments after the save: %s\n", t ? t : "?");
        free(t);
    }
    CHECK(found);
    cJSON_Delete(res);
    /* the company itself: not similar to itself, listed as its previous judgment */
    res = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    REQUIRE(st == 200 && res);
    cJSON_ArrayForEach(x, jget(res, "similar_judgments")) CHECK(!jstr(x, "company") || strcmp(jstr(x, "company"), row.company));
    const cJSON *prev = jget(res, "previous_judgments");
    CHECK_EQ_INT(cJSON_GetArraySize(prev), 1);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(prev, 0), "id"), id);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(prev, 0), "chosen_item"), chosen_code);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(prev, 0), "status"), "current");
    cJSON_Delete(res);
    cJSON_Delete(req);
    cJSON_Delete(req2);
}

/* The default embedding model, when the build has one: dense retrieval is on
 * and the answer has the same shape. */
/* Past judgments imported by another process while the server runs (`igc history
 * import` on the same store) become exemplars without a restart. */
TEST(history_import_while_running) {
    REQUIRE(server());
    /* the header and the first three rows of the history file */
    char src[PATH_MAX], csv[PATH_MAX + 16], out[PATH_MAX + 16];
    snprintf(src, sizeof src, "%s/labeled/history.csv", igc_test_data_dir());
    snprintf(csv, sizeof csv, "%s/import.csv", tmp);
    snprintf(out, sizeof out, "%s/import.log", tmp);
    size_t n;
    char *t = slurp(src, &n);
    REQUIRE(t);
    size_t len = 0;
    for (int lines = 0; len < n && lines < 4; len++) lines += t[len] == '\n';
    int wrote = write_text(csv, t, len);
    free(t);
    REQUIRE(wrote == 0);
    /* a row with an item, to look for among similar judgments: its company, and its
     * own text under another name for the query */
    igc_csv *c;
    char **f;
    size_t nf;
    char company[256] = "";
    dev_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.company, sizeof row.company, "가져오기 확인");
    REQUIRE(igc_csv_open(csv, &c) == 0);
    if (igc_csv_next(c, &f, &nf) == 1) {
        int cc = igc_csv_col(c, "company"), cl = igc_csv_col(c, "label1"), ck = igc_csv_col(c, "ksic_code"),
            cn = igc_csv_col(c, "ksic_name"), cp = igc_csv_col(c, "main_product");
        while (cc >= 0 && cl >= 0 && ck >= 0 && cn >= 0 && cp >= 0 && !company[0] && igc_csv_next(c, &f, &nf) == 1)
            if ((size_t)cl < nf && f[cl][0]) {
                snprintf(company, sizeof company, "%s", f[cc]);
                snprintf(row.ksic3, sizeof row.ksic3, "%.3s", f[ck]);
                snprintf(row.ksic_name, sizeof row.ksic_name, "%s", f[cn]);
                snprintf(row.main_product, sizeof row.main_product, "%s", f[cp]);
            }
    }
    igc_csv_close(c);
    REQUIRE(company[0]);
    REQUIRE(ksic5_under(row.ksic3, row.ksic5) == 0);

    int st;
    cJSON *stt = http_get_json(srv.port, "/api/v1/status", &st);
    int ex0 = (int)jnum(stt, "exemplars", -1);
    cJSON_Delete(stt);
    const char *argv[] = {IGC_BIN, "--db", srv.db, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                          "--rules", IGC_TEST_SOURCE_DIR "/rules", "history", "import", csv, NULL};
    CHECK_EQ_INT(run_wait((char *const *)argv, tmp, out, out), 0);
    int ex = ex0;
    for (int i = 0; i < 100 && ex < ex0 + 3; i++) {
        usleep(100 * 1000);
        stt = http_get_json(srv.port, "/api/v1/status", &st);
        ex = (int)jnum(stt, "exemplars", -1);
        cJSON_Delete(stt);
    }
    CHECK_EQ_INT(ex, ex0 + 3);
    /* the engine takes them on a worker thread and the loop logs it after: the status
     * can show the new count a moment before the line is written */
    const char *line = "3 past judgments added to the store by another process";
    t = slurp(srv.log, &n);
    for (int i = 0; i < 50 && !(t && strstr(t, line)); i++) {
        free(t);
        usleep(100 * 1000);
        t = slurp(srv.log, &n);
    }
    CHECK(t && strstr(t, line));
    free(t);

    /* the imported row's own text finds it as a similar judgment */
    char brn[11];
    brn_make(271828182, brn);
    cJSON *req = dev_request(&row, brn, "김확인");
    cJSON *res = http_post_obj(srv.port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200);
    if (st != 200) {
        char *e = cJSON_PrintUnformatted(res);
        fprintf(stderr, "  answer: %s\n", e ? e : "?");
        free(e);
    }
    int found = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(res, "similar_judgments")) found |= jstr(x, "company") && !strcmp(jstr(x, "company"), company);
    cJSON_Delete(res);
    cJSON_Delete(req);
    CHECK(found);
}

TEST(classify_default_model) {
    igcd_proc p;
    int up = model_server("model", &p);
    if (up > 0) return;
    REQUIRE(up == 0);
    int st;
    cJSON *stt = http_get_json(p.port, "/api/v1/status", &st);
    CHECK_EQ_INT(st, 200);
    CHECK(jstr(stt, "model") && strcmp(jstr(stt, "model"), "none") != 0);
    CHECK(jstr(stt, "engine_version") && strstr(jstr(stt, "engine_version"), "dense"));
    dev_row row;
    cJSON *req = sample_request(55, &row);
    REQUIRE(req);
    cJSON *o = http_post_obj(p.port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "items")), 3);
    CHECK_EQ_STR(jstr(o, "engine_version"), jstr(stt, "engine_version"));
    double dense = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(o, "items")) {
        double d = jnum(jget(x, "signals"), "dense", 0);
        if (d > dense) dense = d;
    }
    if (!(dense > 0)) {
        char *t = cJSON_PrintUnformatted(jget(o, "items"));
        fprintf(stderr, "  no item has a dense signal: %s\n", t ? t : "?");
        free(t);
    }
    CHECK(dense > 0);
    fprintf(stderr, "  with the model: rank 1 %s (label %s), engine %s\n",
            jstr(cJSON_GetArrayItem(jget(o, "items"), 0), "code"), row.label1, jstr(o, "engine_version"));
    cJSON_Delete(o);
    cJSON_Delete(stt);
    cJSON_Delete(req);
    igcd_kill(&p);
}

/* Every route once, successes and refusals, so that a sanitizer build sees
 * each handler's allocations before the clean exit below. */
static void workload(int port) {
    static const char *gets[] = {"/healthz", "/readyz", "/api/v1/status", "/api/v1/taxonomy", "/api/v1/rules",
                                 "/api/v1/taxonomy/search?q=%EB%B0%B0%ED%84%B0%EB%A6%AC&limit=5",
                                 "/api/v1/taxonomy/search?q=%FF", "/api/v1/ksic/26", "/api/v1/ksic/12a",
                                 "/api/v1/ksic/99999", "/api/v1/taxonomy/items/NOPE", "/api/v1/judgments/J1",
                                 "/api/v1/judgments?brn=1", "/", "/app.js", "/nope.css", "/api/v1/nope"};
    for (size_t i = 0; i < sizeof gets / sizeof gets[0]; i++) {
        http_resp r;
        CHECK(http_req(port, "GET", gets[i], NULL, NULL, 0, &r) == 0 && r.status > 0);
        http_resp_free(&r);
    }
    int st;
    cJSON *o = http_get_json(port, "/api/v1/taxonomy", &st);
    const char *code = jstr(cJSON_GetArrayItem(jget(o, "items"), 3), "code");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/taxonomy/items/%s", code ? code : "x");
    cJSON_Delete(o);
    o = http_get_json(port, path, &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    cJSON *req = sample_request(99, NULL);
    cJSON *res = http_post_obj(port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200);
    for (int k = 0; k < 3; k++) {
        cJSON *j = cJSON_Duplicate(req, 1);
        cJSON_AddItemToObject(j, "result", cJSON_Duplicate(res, 1));
        const char *c = jstr(cJSON_GetArrayItem(jget(res, "items"), k), "code");
        cJSON_AddItemToObject(j, "chosen_item", k == 2 || !c ? cJSON_CreateNull() : cJSON_CreateString(c));
        o = http_post_obj(port, "/api/v1/judgments", j, &st);
        CHECK_EQ_INT(st, 201);
        if (jstr(o, "id")) {
            snprintf(path, sizeof path, "/api/v1/judgments/%s", jstr(o, "id"));
            cJSON *g = http_get_json(port, path, &st);
            CHECK_EQ_INT(st, 200);
            cJSON_Delete(g);
        }
        cJSON_Delete(o);
        cJSON_Delete(j);
    }
    char brn[11];
    brn_make(99, brn);
    snprintf(path, sizeof path, "/api/v1/judgments?brn=%s", brn);
    o = http_get_json(port, path, &st);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "judgments")), 3);
    cJSON_Delete(o);
    /* the same input again: the saved judgments are neighbours now */
    o = http_post_obj(port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    const char *bad[] = {"{", "[]", "{}", "{\"company\":1}", "{\"company\":{\"name\":[]}}", "\xff"};
    for (int i = 0; i < 6; i++) {
        o = http_post_json(port, "/api/v1/classify", bad[i], &st);
        CHECK_EQ_INT(st, 400);
        cJSON_Delete(o);
        o = http_post_json(port, "/api/v1/judgments", bad[i], &st);
        CHECK_EQ_INT(st, 400);
        cJSON_Delete(o);
    }
    cJSON *j = cJSON_Duplicate(req, 1);
    cJSON_AddItemToObject(j, "result", cJSON_Duplicate(res, 1));
    cJSON_AddStringToObject(j, "chosen_item", "NOPE000");
    o = http_post_obj(port, "/api/v1/judgments", j, &st);
    CHECK_EQ_INT(st, 400);
    cJSON_Delete(o);
    cJSON_Delete(j);
    http_resp r;
    CHECK(http_req(port, "POST", "/api/v1/rules/reload", "application/json", "", 0, &r) == 0);
    http_resp_free(&r);
    cJSON_Delete(res);
    cJSON_Delete(req);
}

/* ---- the index-term dictionary ---- */

/* A server of its own (rules off: they are not what is tested) whose lexicon copy the
 * tests below edit; the file is seeded from the data directory at its first start. */
static char lexfile[PATH_MAX + 64];

static int lexicon_server(void) {
    if (lexsrv.pid > 0) return 1;
    if (!server()) return 0;
    char db[PATH_MAX + 16], log[PATH_MAX + 32];
    snprintf(db, sizeof db, "%s/db-lex", tmp);
    snprintf(log, sizeof log, "%s/igcd-lex.log", tmp);
    snprintf(lexfile, sizeof lexfile, "%s-lexicon/igc-v6-lexicon.jsonl", db);
    const char *extra[] = {"--no-rules", NULL};
    return igcd_start_ex(&lexsrv, db, log, 1, extra) == 0;
}

/* Replaces the lexicon file as editors do: a temporary file renamed over it. */
static int replace_lexicon(const char *text) {
    char t[PATH_MAX + 80];
    snprintf(t, sizeof t, "%s.edit~", lexfile);
    return write_text(t, text, strlen(text)) == 0 && rename(t, lexfile) == 0 ? 0 : -1;
}

/* Polls GET /api/v1/lexicon until pred holds (up to 10 s); returns the last status body. */
static cJSON *lexicon_wait(int (*pred)(const cJSON *, const char *), const char *arg) {
    cJSON *o = NULL;
    for (int i = 0; i < 500; i++) {
        cJSON_Delete(o);
        int st;
        o = http_get_json(lexsrv.port, "/api/v1/lexicon", &st);
        if (o && pred(o, arg)) break;
        sleep_ms(20);
    }
    return o;
}

static int version_differs(const cJSON *o, const char *v) { return jstr(o, "version") && strcmp(jstr(o, "version"), v); }
static int has_error(const cJSON *o, const char *v) {
    (void)v;
    return cJSON_IsObject(jget(o, "last_error"));
}

TEST(lexicon_status_and_item) {
    REQUIRE(lexicon_server());
    const cJSON *file = taxonomy_file();
    REQUIRE(file);
    int st;
    cJSON *o = http_get_json(lexsrv.port, "/api/v1/lexicon", &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s/", jstr(file, "version"));
    CHECK(jstr(o, "version") && strncmp(jstr(o, "version"), prefix, strlen(prefix)) == 0);
    CHECK_EQ_STR(jstr(o, "path"), lexfile);
    CHECK(jstr(o, "loaded_at") && strlen(jstr(o, "loaded_at")) == 20);
    CHECK_EQ_INT((int)jnum(o, "items", -1), (int)jnum(jget(file, "counts"), "items", -2));
    CHECK(jnum(o, "terms", 0) > 8000);
    CHECK(cJSON_IsNull(jget(o, "last_error")));
    cJSON_Delete(o);
    /* seeded byte for byte from the data directory */
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/taxonomy/igc-v6-lexicon.jsonl", igc_test_data_dir());
    size_t n1, n2;
    char *a = slurp(src, &n1), *b = slurp(lexfile, &n2);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    free(a), free(b);
    /* the status page carries it too */
    o = http_get_json(lexsrv.port, "/api/v1/status", &st);
    CHECK(o && cJSON_IsObject(jget(o, "lexicon")) && jstr(jget(o, "lexicon"), "version"));
    cJSON_Delete(o);

    /* one item: its terms, KSIC codes with names, confusable items with cues */
    const char *code = jstr(cJSON_GetArrayItem(jget(file, "items"), 0), "code");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/lexicon/items/%s", code);
    o = http_get_json(lexsrv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    CHECK_EQ_STR(jstr(o, "code"), code);
    CHECK(cJSON_IsTrue(jget(o, "listed")));
    CHECK(cJSON_GetArraySize(jget(o, "terms")) >= 30);
    const cJSON *k0 = cJSON_GetArrayItem(jget(o, "ksic"), 0);
    CHECK(k0 && jstr(k0, "code") && strlen(jstr(k0, "code")) == 5 && jstr(k0, "name"));
    const cJSON *c0 = cJSON_GetArrayItem(jget(o, "confusable"), 0);
    CHECK(c0 && jstr(c0, "code") && jstr(c0, "name") && jstr(c0, "cue"));
    CHECK(cJSON_IsArray(jget(o, "not_applicable_cues")));
    cJSON_Delete(o);
    o = http_get_json(lexsrv.port, "/api/v1/lexicon/items/NOPE00", &st);
    CHECK_EQ_INT(st, 404);
    CHECK_EQ_STR(jstr(jget(o, "error"), "code"), "unknown_item");
    cJSON_Delete(o);
}

/* An edited file is picked up without a restart; a broken one is refused, the last
 * good version stays in use and the status and the reload route say why. */
/* Classifies a sample firm whose products are `text`: the rank (1-3) of item code
 * among the answer's items, 0 when absent; *has_term gets whether that item's terms
 * list `term`. */
static int rank_with_term(int port, const char *text, const char *code, const char *term, int *has_term) {
    cJSON *req = sample_request(123456789UL, NULL);
    if (!req) return -1;
    set_field(req, "tech.main_product", text);
    set_field(req, "tech.product_use", text);
    set_field(req, "tech.tech_business_name", text);
    int st, rank = 0;
    cJSON *o = http_post_obj(port, "/api/v1/classify", req, &st);
    cJSON_Delete(req);
    *has_term = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(o, "items")) {
        if (!jstr(it, "code") || strcmp(jstr(it, "code"), code) != 0) continue;
        rank = (int)jnum(it, "rank", 0);
        *has_term = jarr_has(jget(it, "terms"), term);
    }
    cJSON_Delete(o);
    return st == 200 ? rank : -1;
}

TEST(lexicon_hot_reload) {
    REQUIRE(lexicon_server());
    int st;
    cJSON *o = http_get_json(lexsrv.port, "/api/v1/lexicon", &st);
    REQUIRE(o && jstr(o, "version"));
    char v1[64];
    snprintf(v1, sizeof v1, "%s", jstr(o, "version"));
    cJSON_Delete(o);
    size_t n;
    char *orig = slurp(lexfile, &n);
    REQUIRE(orig);
    /* add a term to the first line */
    const char *at = strstr(orig, "\"terms\": [");
    REQUIRE(at && at < strchr(orig, '\n'));
    size_t cut = (size_t)(at - orig) + strlen("\"terms\": [");
    igc_buf ed = {0};
    igc_buf_printf(&ed, "%.*s\"시험용 새 색인어\", %s", (int)cut, orig, orig + cut);
    /* the first item, and a firm described only by the new term: not that item before */
    const char *code = jstr(cJSON_GetArrayItem(jget(taxonomy_file(), "items"), 0), "code");
    REQUIRE(code);
    int has_term = 0, before = rank_with_term(lexsrv.port, "시험용 새 색인어", code, "시험용 새 색인어", &has_term);
    CHECK(before >= 0 && !has_term);
    REQUIRE(replace_lexicon(ed.data) == 0);
    o = lexicon_wait(version_differs, v1);
    CHECK(o && version_differs(o, v1));
    CHECK(o && cJSON_IsNull(jget(o, "last_error")));
    CHECK(o && jnum(o, "reloads", 0) >= 1);
    char v2[64];
    snprintf(v2, sizeof v2, "%s", o ? jstr(o, "version") : "");
    cJSON_Delete(o);
    /* the running service classifies with the edited dictionary, no restart */
    int after = rank_with_term(lexsrv.port, "시험용 새 색인어", code, "시험용 새 색인어", &has_term);
    fprintf(stderr, "  a firm described by the new term: item rank %d before the edit, %d after\n", before, after);
    CHECK(after >= 1 && has_term);
    CHECK(before == 0 || after < before);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/lexicon/items/%s", code);
    o = http_get_json(lexsrv.port, path, &st);
    CHECK(o && jarr_has(jget(o, "terms"), "시험용 새 색인어"));
    CHECK_EQ_STR(jstr(o, "version"), v2);
    cJSON_Delete(o);

    /* break the second line (a term written twice): refused, v2 stays */
    char *l2 = strchr(ed.data, '\n') + 1;
    at = strstr(l2, "\"terms\": [\"");
    REQUIRE(at);
    const char *t0 = at + strlen("\"terms\": [");
    size_t tl = strcspn(t0 + 1, "\"") + 2; /* the first term with its quotes */
    igc_buf bad = {0};
    igc_buf_printf(&bad, "%.*s%.*s, %s", (int)(t0 - ed.data), ed.data, (int)tl, t0, t0);
    REQUIRE(replace_lexicon(bad.data) == 0);
    o = lexicon_wait(has_error, NULL);
    const cJSON *le = o ? jget(o, "last_error") : NULL;
    CHECK(cJSON_IsObject(le));
    CHECK(le && jstr(le, "message") && strstr(jstr(le, "message"), "2번째 줄") &&
          strstr(jstr(le, "message"), "duplicate term"));
    CHECK(le && jstr(le, "at") && strlen(jstr(le, "at")) == 20);
    CHECK_EQ_STR(o ? jstr(o, "version") : "", v2);
    CHECK(o && jnum(o, "failed_reloads", 0) >= 1);
    cJSON_Delete(o);
    o = http_post_json(lexsrv.port, "/api/v1/lexicon/reload", "", &st);
    CHECK_EQ_INT(st, 422);
    const cJSON *err = jget(o, "error");
    CHECK_EQ_STR(jstr(err, "code"), "lexicon_rejected");
    CHECK(jstr(err, "message") && strstr(jstr(err, "message"), "이전 사전을 계속 사용합니다") &&
          strstr(jstr(err, "message"), "2번째 줄"));
    cJSON_Delete(o);
    /* classification goes on with the last good version */
    cJSON *req = sample_request(123456789UL, NULL);
    REQUIRE(req);
    o = http_post_obj(lexsrv.port, "/api/v1/classify", req, &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    cJSON_Delete(req);
    o = http_get_json(lexsrv.port, path, &st);
    CHECK(o && jarr_has(jget(o, "terms"), "시험용 새 색인어"));
    cJSON_Delete(o);

    /* the original back: accepted again, error cleared, the first version again */
    REQUIRE(replace_lexicon(orig) == 0);
    o = lexicon_wait(version_differs, v2);
    CHECK_EQ_STR(o ? jstr(o, "version") : "", v1);
    CHECK(o && cJSON_IsNull(jget(o, "last_error")));
    cJSON_Delete(o);
    CHECK(rank_with_term(lexsrv.port, "시험용 새 색인어", code, "시험용 새 색인어", &has_term) >= 0 && !has_term);
    o = http_post_json(lexsrv.port, "/api/v1/lexicon/reload", "", &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(o, "version"), v1);
    cJSON_Delete(o);
    igc_buf_free(&bad);
    igc_buf_free(&ed);
    free(orig);
}

/* --no-lexicon switches it off (503 on its routes); a broken file at start is fatal,
 * with the line in the message. */
TEST(lexicon_off_and_broken_at_start) {
    REQUIRE(server());
    char db[PATH_MAX + 16], log[PATH_MAX + 32];
    snprintf(db, sizeof db, "%s/db-nolex", tmp);
    snprintf(log, sizeof log, "%s/igcd-nolex.log", tmp);
    const char *extra[] = {"--no-rules", "--no-lexicon", NULL};
    igcd_proc p;
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    int st;
    cJSON *o = http_get_json(p.port, "/api/v1/lexicon", &st);
    CHECK_EQ_INT(st, 503);
    CHECK_EQ_STR(jstr(jget(o, "error"), "code"), "lexicon_disabled");
    cJSON_Delete(o);
    o = http_post_json(p.port, "/api/v1/lexicon/reload", "", &st);
    CHECK_EQ_INT(st, 503);
    cJSON_Delete(o);
    o = http_get_json(p.port, "/api/v1/status", &st);
    CHECK(o && !jget(o, "lexicon"));
    cJSON_Delete(o);
    CHECK_EQ_INT(igcd_term(&p, 8000), 0);

    /* broken copy in the lexicon directory: igcd refuses to start */
    char dir[PATH_MAX + 32], file[PATH_MAX + 64], port[16];
    snprintf(db, sizeof db, "%s/db-badlex", tmp);
    snprintf(log, sizeof log, "%s/igcd-badlex.log", tmp);
    snprintf(dir, sizeof dir, "%s-lexicon", db);
    snprintf(file, sizeof file, "%s/igc-v6-lexicon.jsonl", dir);
    REQUIRE(mkdir(dir, 0700) == 0);
    REQUIRE(write_text(file, "{\"code\": \"NOPE00\"}\n", 19) == 0);
    snprintf(port, sizeof port, "127.0.0.1:%d", free_port());
    const char *argv[] = {IGCD_BIN, "--listen", port, "--db", db, "--data", igc_test_data_dir(), "--no-rules",
                          "--model", "none", "--params", "none", "--lexicon-dir", dir, NULL};
    int rc = run_wait((char *const *)argv, NULL, log, log);
    CHECK(rc != 0);
    char *t = slurp(log, NULL);
    CHECK(t && strstr(t, "1번째 줄") && strstr(t, "NOPE00") && strstr(t, "igc lexicon check"));
    free(t);
}

/* SIGTERM stops the service cleanly: exit status 0 within a few seconds (under
 * ASan this also reports leaks as a non-zero status). */
static void shutdown_case(const char *tag, const char *const *extra) {
    char db[PATH_MAX + 16], log[PATH_MAX + 32];
    snprintf(db, sizeof db, "%s/db-%s", tmp, tag);
    snprintf(log, sizeof log, "%s/igcd-%s.log", tmp, tag);
    igcd_proc p;
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    workload(p.port);
    int rc = igcd_term(&p, 8000);
    if (rc != 0) {
        fprintf(stderr, "  igcd (%s) after SIGTERM: %s %d\n", tag, rc < 0 ? "still running after 8 s;" : "exit status",
                rc);
        igcd_dump_log(&p);
    }
    CHECK_EQ_INT(rc, 0);
    size_t n;
    char *t = slurp(log, &n);
    CHECK(t && strstr(t, "igcd stopped"));
    free(t);
}

TEST(shutdown_on_sigterm_without_rules) {
    REQUIRE(server());
    const char *extra[] = {"--no-rules", NULL};
    shutdown_case("norules", extra);
}

TEST(shutdown_on_sigterm) {
    REQUIRE(server());
    shutdown_case("rules", NULL);
}

/* No sanitizer report in any log of this file's servers (sanitizer builds). */
TEST(no_sanitizer_reports) {
    REQUIRE(tmp[0]);
    const char *logs[] = {"igcd.log",       "igcd-small.log", "igcd-model.log", "igcd-norules.log",
                          "igcd-rules.log", "igcd-lex.log",   "igcd-nolex.log", "igcd-badlex.log"};
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", tmp, logs[i]);
        char *t = slurp(path, NULL);
        if (!t) continue;
        int hit = strstr(t, "runtime error:") || strstr(t, "Sanitizer") || strstr(t, "LeakSanitizer");
        if (hit) fprintf(stderr, "  sanitizer report in %s:\n%s\n", logs[i], t);
        CHECK(!hit);
        free(t);
    }
}

/* A second igcd on a port in use says so in plain words and exits non-zero. */
TEST(port_in_use) {
    REQUIRE(server());
    char listen[64], db[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", srv.port);
    snprintf(db, sizeof db, "%s/db-second", tmp);
    snprintf(err, sizeof err, "%s/second.log", tmp);
    char lexdir[PATH_MAX + 32];
    snprintf(lexdir, sizeof lexdir, "%s/db-second-lexicon", tmp);
    const char *argv[] = {IGCD_BIN, "--listen", listen, "--db", db, "--data", igc_test_data_dir(),
                          "--rules", IGC_TEST_SOURCE_DIR "/rules", "--lexicon-dir", lexdir,
                          "--model", "none", "--params", "none", NULL};
    int rc = run_wait((char *const *)argv, NULL, err, err);
    size_t n;
    char *t = slurp(err, &n);
    CHECK(rc != 0);
    CHECK(t && strstr(t, "already in use") && strstr(t, "이미 다른 프로그램"));
    free(t);
}

/* Without a model file igcd serves lexically and says so as a warning, not as an
 * error: before the first training that is the normal state. */
TEST(missing_model_is_not_an_error) {
    REQUIRE(server());
    char db[PATH_MAX + 16], log[PATH_MAX + 16];
    snprintf(db, sizeof db, "%s/db-nomodel", tmp);
    snprintf(log, sizeof log, "%s/nomodel.log", tmp);
    const char *extra[] = {"--model", "/nonexistent/igc-embed.bin", "--params", "none", NULL};
    igcd_proc p;
    REQUIRE(igcd_start_ex(&p, db, log, 0, extra) == 0);
    igcd_term(&p, 5000);
    size_t n;
    char *t = slurp(log, &n);
    REQUIRE(t);
    CHECK(strstr(t, "dense retrieval off") != NULL);
    for (char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, "20", 2) == 0 && strstr(l, " error ") && strstr(l, "model") && strstr(l, "model") < strchr(l, '\n')) {
            fprintf(stderr, "  %.*s\n", (int)strcspn(l, "\n"), l);
            CHECK(0);
        }
    free(t);
}

IGC_TEST_MAIN(TEST_ENTRY(missing_model_is_not_an_error), TEST_ENTRY(port_in_use), TEST_ENTRY(health_and_ready), TEST_ENTRY(taxonomy_counts), TEST_ENTRY(taxonomy_item),
              TEST_ENTRY(taxonomy_search), TEST_ENTRY(taxonomy_search_words), TEST_ENTRY(item_codes_any_case),
              TEST_ENTRY(judgment_none_reason), TEST_ENTRY(review_reasons_name_the_field), TEST_ENTRY(near_threshold_states_the_distance),
              TEST_ENTRY(ksic_split_and_prefix_candidates), TEST_ENTRY(ksic_lookup), TEST_ENTRY(status), TEST_ENTRY(root_html),
              TEST_ENTRY(classify_real_row), TEST_ENTRY(classify_long_word_keywords),
              TEST_ENTRY(classify_ksic10_code), TEST_ENTRY(classify_unknown_words), TEST_ENTRY(validation_blank_fields), TEST_ENTRY(validation_brn),
              TEST_ENTRY(validation_ksic), TEST_ENTRY(validation_too_long), TEST_ENTRY(validation_types),
              TEST_ENTRY(validation_json_and_utf8),
              TEST_ENTRY(validation_json_trailing_garbage), TEST_ENTRY(judgment_list_brn_errors),
              TEST_ENTRY(search_query_errors),
              TEST_ENTRY(validation_deep_nesting), TEST_ENTRY(routes_and_methods), TEST_ENTRY(body_too_large),
              TEST_ENTRY(judgments), TEST_ENTRY(judgment_becomes_exemplar), TEST_ENTRY(history_import_while_running),
              TEST_ENTRY(classify_default_model), TEST_ENTRY(lexicon_status_and_item),
              TEST_ENTRY(lexicon_hot_reload), TEST_ENTRY(lexicon_off_and_broken_at_start),
              TEST_ENTRY(shutdown_on_sigterm_without_rules), TEST_ENTRY(shutdown_on_sigterm),
              TEST_ENTRY(no_sanitizer_reports))
