/*
 * igcd end to end: the support programmes a verdict unlocks (연계 우대지원 and the
 * regional programme) in POST /api/v1/classify and saved judgments, the optional
 * company.address and its validation, GET /api/v1/regions, and a programme edit
 * that changes a running server's answer. Runs on a temp copy of programmes/.
 */
#include "app_test_util.h"

#include <dirent.h>

static igcd_proc srv;
static char tmp[PATH_MAX - 64], progdir[PATH_MAX - 32];
static int started;

static void copy_programmes(void) {
    DIR *d = opendir(IGC_TEST_SOURCE_DIR "/programmes");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char from[PATH_MAX + 300], to[PATH_MAX + 300];
        snprintf(from, sizeof from, "%s/programmes/%s", IGC_TEST_SOURCE_DIR, e->d_name);
        snprintf(to, sizeof to, "%s/%s", progdir, e->d_name);
        size_t n;
        char *t = slurp(from, &n);
        if (t) write_text(to, t, n);
        free(t);
    }
    if (d) closedir(d);
}

static int server(void) {
    if (started) return srv.pid > 0;
    started = 1;
    char made[PATH_MAX];
    if (make_tmpdir(made, "prog") || strlen(made) >= sizeof tmp) return 0;
    snprintf(tmp, sizeof tmp, "%s", made);
    snprintf(progdir, sizeof progdir, "%s/programmes", tmp);
    mkdir(progdir, 0755);
    copy_programmes();
    char db[PATH_MAX - 32], log[PATH_MAX - 32];
    snprintf(db, sizeof db, "%s/db", tmp);
    snprintf(log, sizeof log, "%s/igcd.log", tmp);
    const char *extra[] = {"--programmes", progdir, NULL};
    return igcd_start_ex(&srv, db, log, 1, extra) == 0;
}

/* A request for a firm, with an address when sido is not NULL. */
static cJSON *request(const char *ksic, const char *ksic_name, const char *product, const char *sido,
                      const char *sigungu) {
    cJSON *d = cJSON_CreateObject();
    cJSON *co = cJSON_AddObjectToObject(d, "company"), *te = cJSON_AddObjectToObject(d, "tech");
    char brn[11];
    brn_make(271828182, brn);
    cJSON_AddStringToObject(co, "name", "시험기업");
    cJSON_AddStringToObject(co, "brn", brn);
    cJSON_AddStringToObject(co, "ceo", "홍길동");
    if (sido) {
        cJSON *ad = cJSON_AddObjectToObject(co, "address");
        cJSON_AddStringToObject(ad, "sido", sido);
        cJSON_AddStringToObject(ad, "sigungu", sigungu);
    }
    cJSON_AddStringToObject(te, "ksic_code", ksic);
    cJSON_AddStringToObject(te, "ksic_name", ksic_name);
    cJSON_AddStringToObject(te, "main_product", product);
    cJSON_AddStringToObject(te, "product_use", product);
    cJSON_AddStringToObject(te, "tech_business_name", product);
    cJSON_AddStringToObject(te, "tech_class", "EE0101");
    return d;
}

/* An applicable firm: the first labelled dev row the server judges applicable. */
static int applicable_row(dev_row *row) {
    for (int skip = 0; skip < 40; skip++) {
        if (dev_row_pick(skip, row)) return -1;
        cJSON *rq = request(row->ksic5, row->ksic_name, row->main_product, NULL, NULL);
        int st;
        cJSON *o = http_post_obj(srv.port, "/api/v1/classify", rq, &st);
        int ok = st == 200 && cJSON_IsTrue(jget(o, "applicable"));
        cJSON_Delete(o);
        cJSON_Delete(rq);
        if (ok) return 0;
    }
    return -1;
}

static cJSON *classify(const dev_row *row, const char *sido, const char *sigungu, int *st) {
    cJSON *rq = request(row->ksic5, row->ksic_name, row->main_product, sido, sigungu);
    cJSON *o = http_post_obj(srv.port, "/api/v1/classify", rq, st);
    cJSON_Delete(rq);
    return o;
}

static const cJSON *programme(const cJSON *answer, const char *id) {
    const cJSON *p;
    cJSON_ArrayForEach(p, jget(answer, "programmes")) if (jstr(p, "id") && !strcmp(jstr(p, "id"), id)) return p;
    return NULL;
}

static int to_check_has(const cJSON *p, const char *word) {
    const cJSON *t;
    cJSON_ArrayForEach(t, jget(p, "to_check")) if (cJSON_IsString(t) && strstr(t->valuestring, word)) return 1;
    return 0;
}

TEST(regions_route) {
    REQUIRE(server());
    int st;
    cJSON *o = http_get_json(srv.port, "/api/v1/regions", &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "regions")), 17);
    int districts = 0, jeongseon = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, jget(o, "regions")) {
        districts += cJSON_GetArraySize(jget(r, "sigungu"));
        if (!strcmp(jstr(r, "sido"), "강원특별자치도")) jeongseon = jarr_has(jget(r, "sigungu"), "정선군");
    }
    CHECK_EQ_INT(districts, 228); /* 226 autonomous districts and 제주's two cities */
    CHECK(jeongseon);
    cJSON_Delete(o);
}

TEST(programmes_by_verdict_and_address) {
    REQUIRE(server());
    dev_row row;
    REQUIRE(applicable_row(&row) == 0);
    int st;
    /* 강원 정선군, applicable: all six; the regional one with what remains to check. */
    cJSON *o = classify(&row, "강원특별자치도", "정선군", &st);
    CHECK_EQ_INT(st, 200);
    REQUIRE(o);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "programmes")), 6);
    CHECK_EQ_INT(strlen(jstr(o, "programmes_version") ? jstr(o, "programmes_version") : ""), 16);
    const cJSON *reg = programme(o, "regional-2025");
    REQUIRE(reg);
    CHECK(to_check_has(reg, "중소기업 여부"));
    CHECK(to_check_has(reg, "육성 타겟군"));
    CHECK(jget(reg, "name") && jget(reg, "agency") && jget(reg, "benefit") && jget(reg, "why"));
    CHECK_EQ_STR(jstr(jget(reg, "period"), "from"), "2025-02-01");
    const cJSON *kibo = programme(o, "kibo-guarantee");
    REQUIRE(kibo);
    CHECK_EQ_STR(jstr(kibo, "agency"), "기술보증기금");
    CHECK(strstr(jstr(kibo, "why"), jstr(cJSON_GetArrayItem(jget(o, "items"), 0), "name")) != NULL);
    CHECK_EQ_STR(jstr(jget(jget(o, "company"), "address"), "sigungu"), "정선군");
    cJSON_Delete(o);

    /* 서울 강남구: five, without the regional one. */
    o = classify(&row, "서울특별시", "강남구", &st);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "programmes")), 5);
    CHECK(programme(o, "regional-2025") == NULL);
    cJSON_Delete(o);

    /* Without an address the regional one says what it needs. */
    o = classify(&row, NULL, NULL, &st);
    reg = programme(o, "regional-2025");
    REQUIRE(reg);
    CHECK_EQ_STR(jstr(reg, "status"), "check");
    CHECK(strstr(jstr(reg, "why"), "소재지를 입력하면 지역 지원사업 해당 여부를 확인합니다") != NULL);
    cJSON_Delete(o);

    /* A wholesaler (적용원칙 2) in 정선군: only the regional programme. */
    cJSON *rq = request("46510", "컴퓨터 및 주변장치, 소프트웨어 도매업", "메인보드, 그래픽카드 유통", "강원특별자치도",
                        "정선군");
    o = http_post_obj(srv.port, "/api/v1/classify", rq, &st);
    cJSON_Delete(rq);
    CHECK_EQ_INT(st, 200);
    CHECK(cJSON_IsFalse(jget(o, "applicable")));
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "programmes")), 1);
    CHECK(programme(o, "regional-2025") != NULL);
    cJSON_Delete(o);
}

TEST(bad_addresses) {
    REQUIRE(server());
    dev_row row;
    REQUIRE(dev_row_pick(0, &row) == 0);
    static const struct {
        const char *sido, *sigungu, *code, *field;
    } cases[] = {
        {"강원도", "정선군", "invalid_address", "company.address.sido"},
        {"강원", "정선군", "invalid_address", "company.address.sido"},
        {"서울특별시", "정선군", "invalid_address", "company.address.sigungu"},
        {"강원특별자치도", "", "invalid_address", "company.address.sigungu"},
        {"", "정선군", "invalid_address", "company.address.sido"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st;
        cJSON *o = classify(&row, cases[i].sido, cases[i].sigungu, &st);
        CHECK(check_error(o, st, 400, cases[i].code, cases[i].field, cases[i].sido));
        cJSON_Delete(o);
    }
    int st;
    cJSON *o = http_post_json(srv.port, "/api/v1/classify",
                              "{\"company\":{\"name\":\"a\",\"brn\":\"\",\"ceo\":\"\",\"address\":\"정선군\"},"
                              "\"tech\":{\"ksic_code\":\"26110\",\"ksic_name\":\"a\",\"main_product\":\"반도체\","
                              "\"product_use\":\"a\",\"tech_business_name\":\"a\",\"tech_class\":\"EE0101\"}}",
                              &st);
    CHECK(check_error(o, st, 400, "blank_field", NULL, "blank first") ||
          check_error(o, st, 400, "invalid_type", "company.address", "address type"));
    cJSON_Delete(o);
    /* 세종 has no districts: the province alone is a whole address. */
    o = classify(&row, "세종특별자치시", "", &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
}

TEST(saved_judgment_keeps_programmes) {
    REQUIRE(server());
    dev_row row;
    REQUIRE(applicable_row(&row) == 0);
    int st;
    cJSON *res = classify(&row, "강원특별자치도", "정선군", &st);
    REQUIRE(st == 200 && res);
    cJSON *body = request(row.ksic5, row.ksic_name, row.main_product, "강원특별자치도", "정선군");
    cJSON_AddItemToObject(body, "result", cJSON_Duplicate(res, 1));
    cJSON_AddStringToObject(body, "chosen_item", jstr(cJSON_GetArrayItem(jget(res, "items"), 0), "code"));
    cJSON *o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK_EQ_INT(st, 201);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/judgments/%s", jstr(o, "id") ? jstr(o, "id") : "x");
    cJSON_Delete(o);
    cJSON_Delete(body);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(o, "programmes")), 6);
    const cJSON *reg = programme(o, "regional-2025");
    REQUIRE(reg);
    CHECK(jstr(reg, "agency") && jstr(reg, "benefit") && jstr(reg, "why"));
    CHECK_EQ_STR(jstr(jget(reg, "period"), "to"), "2026-12-31");
    CHECK_EQ_STR(jstr(o, "programmes_version"), jstr(res, "programmes_version"));
    CHECK_EQ_STR(jstr(jget(jget(o, "company"), "address"), "sido"), "강원특별자치도");
    CHECK_EQ_STR(jstr(o, "programmes_basis"), "decision");
    /* what is left to check is kept with it */
    CHECK(cJSON_GetArraySize(jget(reg, "to_check")) > 0);
    cJSON_Delete(o);
    /* a list the request carries is never what is kept: the server's own evaluation is */
    cJSON *forged = cJSON_Duplicate(res, 1);
    cJSON *fake = cJSON_CreateObject();
    cJSON_AddStringToObject(fake, "id", "fake-programme");
    cJSON_AddStringToObject(fake, "name", "가짜 지원사업");
    cJSON_AddStringToObject(fake, "status", "eligible");
    cJSON_AddItemToArray(cJSON_GetObjectItem(forged, "programmes"), fake);
    body = request(row.ksic5, row.ksic_name, row.main_product, "강원특별자치도", "정선군");
    cJSON_AddItemToObject(body, "result", forged);
    cJSON_AddStringToObject(body, "chosen_item", jstr(cJSON_GetArrayItem(jget(res, "items"), 0), "code"));
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK_EQ_INT(st, 201);
    CHECK(programme(o, "fake-programme") == NULL && programme(o, "regional-2025") != NULL);
    cJSON_Delete(o);
    cJSON_Delete(body);
    /* The examiner decides 해당 없음 against the answer: what is kept is what that decision
     * unlocks (the innovation programmes are not eligible), not the answer's list. */
    const char *shown = jstr(programme(res, "kibo-guarantee"), "status");
    CHECK(shown && strcmp(shown, "eligible") == 0);
    body = request(row.ksic5, row.ksic_name, row.main_product, "강원특별자치도", "정선군");
    cJSON_AddItemToObject(body, "result", cJSON_Duplicate(res, 1));
    cJSON_AddNullToObject(body, "chosen_item");
    cJSON_AddStringToObject(body, "none_reason", "other");
    cJSON_AddStringToObject(body, "comment", "기타 사유");
    o = http_post_obj(srv.port, "/api/v1/judgments", body, &st);
    CHECK_EQ_INT(st, 201);
    snprintf(path, sizeof path, "/api/v1/judgments/%s", jstr(o, "id") ? jstr(o, "id") : "x");
    cJSON_Delete(o);
    cJSON_Delete(body);
    o = http_get_json(srv.port, path, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(jstr(o, "programmes_basis"), "decision");
    const char *kept = jstr(programme(o, "kibo-guarantee"), "status");
    CHECK(!kept || strcmp(kept, "eligible") != 0); /* left out, or not eligible */
    CHECK(cJSON_IsArray(jget(o, "programmes")));
    cJSON_Delete(o);
    cJSON_Delete(res);
}

TEST(programme_edit_hot_reloads) {
    REQUIRE(server());
    dev_row row;
    REQUIRE(applicable_row(&row) == 0);
    int st;
    cJSON *o = classify(&row, "서울특별시", "강남구", &st);
    char v1[32];
    snprintf(v1, sizeof v1, "%s", jstr(o, "programmes_version") ? jstr(o, "programmes_version") : "");
    CHECK(strstr(jstr(programme(o, "kibo-guarantee"), "benefit"), "최대 100%") != NULL);
    cJSON_Delete(o);
    char file[PATH_MAX + 64];
    snprintf(file, sizeof file, "%s/kibo-guarantee.lua", progdir);
    size_t n;
    char *t = slurp(file, &n);
    REQUIRE(t);
    char *at = strstr(t, "최대 100%");
    REQUIRE(at);
    igc_buf b = {0};
    igc_buf_printf(&b, "%.*s최대 90%%%s", (int)(at - t), t, at + strlen("최대 100%"));
    char tmpf[PATH_MAX + 80];
    snprintf(tmpf, sizeof tmpf, "%s.new", file);
    REQUIRE(write_text(tmpf, b.data, b.len) == 0);
    REQUIRE(rename(tmpf, file) == 0); /* as editors save */
    igc_buf_free(&b);
    free(t);
    int changed = 0;
    for (int i = 0; i < 100 && !changed; i++) {
        sleep_ms(100);
        o = classify(&row, "서울특별시", "강남구", &st);
        const char *ben = jstr(programme(o, "kibo-guarantee"), "benefit");
        changed = ben && strstr(ben, "최대 90%") && strcmp(jstr(o, "programmes_version"), v1) != 0;
        cJSON_Delete(o);
    }
    CHECK(changed);
    o = http_get_json(srv.port, "/api/v1/programmes", &st);
    CHECK_EQ_INT(st, 200);
    CHECK(jnum(o, "reloads", 0) >= 1);
    CHECK_EQ_STR(jstr(o, "kind"), "programmes");
    cJSON_Delete(o);
    /* the status screen's source shows the programmes' version beside the rules' */
    o = http_get_json(srv.port, "/api/v1/status", &st);
    CHECK_EQ_INT(st, 200);
    const cJSON *ps = cJSON_GetObjectItem(o, "programmes");
    CHECK(ps != NULL);
    CHECK(jnum(ps, "reloads", 0) >= 1);
    CHECK(jstr(ps, "version") && strcmp(jstr(ps, "version"), v1) != 0);
    cJSON_Delete(o);
}

/* A programme that errs while judging (here a place name that is no official one, which
 * only a call can reveal) is missing from the list: the answer then goes to a person,
 * saying so, instead of a short list read as complete. */
TEST(failing_programme_sends_to_review) {
    REQUIRE(server());
    dev_row row;
    REQUIRE(applicable_row(&row) == 0);
    static const char prog[] =
        "programme{ id='zz-area', name='지역 사업', agency='기관', benefit='우대', eligible=function(ctx)\n"
        "  if ctx.address.sigungu == '울릉군' and ctx:region_in({['경북'] = {'울릉'}}) then\n"
        "    ctx:eligible('지역 기업') end end }\n";
    char file[PATH_MAX + 64];
    snprintf(file, sizeof file, "%s/zz-area.lua", progdir);
    REQUIRE(write_text(file, prog, sizeof prog - 1) == 0);
    int st, found = 0;
    for (int i = 0; i < 100 && !found; i++) {
        sleep_ms(100);
        cJSON *o = classify(&row, "경상북도", "울릉군", &st);
        const cJSON *x;
        cJSON_ArrayForEach(x, jget(o, "review_reasons")) if (jstr(x, "code") && strcmp(jstr(x, "code"), "programme_error") == 0) {
            found = 1;
            CHECK(cJSON_IsTrue(jget(o, "needs_review")));
            CHECK(programme(o, "zz-area") == NULL);
        }
        cJSON_Delete(o);
    }
    CHECK(found);
    unlink(file);
}

/* igc classify reads the sido, sigungu columns and writes the programmes (JSONL and CSV). */
TEST(cli_classify_programmes) {
    REQUIRE(server());
    char in[PATH_MAX], out[PATH_MAX], csv[PATH_MAX], err[PATH_MAX], db[PATH_MAX];
    snprintf(in, sizeof in, "%s/in.csv", tmp);
    snprintf(out, sizeof out, "%s/out.jsonl", tmp);
    snprintf(csv, sizeof csv, "%s/out.csv", tmp);
    snprintf(err, sizeof err, "%s/cli.err", tmp);
    snprintf(db, sizeof db, "%s/cli-db", tmp);
    const char *text = "uid,company,ksic_code,ksic_name,main_product,광역,시군구\n"
                       "w1,가,46510,컴퓨터 도매업,메인보드 유통,강원특별자치도,정선군\n"
                       "w2,나,46510,컴퓨터 도매업,메인보드 유통,서울특별시,강남구\n"
                       "w3,다,46510,컴퓨터 도매업,메인보드 유통,강원도,정선\n"
                       "w4,라,46510,컴퓨터 도매업,메인보드 유통,서울,없는구\n";
    REQUIRE(write_text(in, text, strlen(text)) == 0);
    for (int pass = 0; pass < 2; pass++) {
        const char *argv[] = {IGC_BIN, "--db", db, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                              "--programmes", progdir, "classify", "--in", in, "--out", pass ? csv : out, NULL};
        CHECK_EQ_INT(run_wait((char *const *)argv, NULL, err, err), 0);
    }
    size_t n;
    char *t = slurp(out, &n);
    REQUIRE(t);
    char *l2 = strchr(t, '\n'), *l3 = l2 ? strchr(l2 + 1, '\n') : NULL, *l4 = l3 ? strchr(l3 + 1, '\n') : NULL;
    REQUIRE(l4);
    *l2 = *l3 = *l4 = '\0';
    cJSON *a = cJSON_Parse(t), *b = cJSON_Parse(l2 + 1), *c = cJSON_Parse(l3 + 1), *d = cJSON_Parse(l4 + 1);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(a, "programmes")), 1); /* a wholesaler in 정선군: the regional one */
    CHECK(programme(a, "regional-2025") != NULL);
    CHECK(jstr(a, "programmes_version") != NULL);
    CHECK_EQ_INT(cJSON_GetArraySize(jget(b, "programmes")), 0);
    /* written as people write it (the former 강원도, 정선 for 정선군): the same place */
    CHECK(!jget(c, "error") && programme(c, "regional-2025") != NULL);
    CHECK_EQ_STR(jstr(programme(c, "regional-2025"), "why"), jstr(programme(a, "regional-2025"), "why"));
    /* a district that is no place: the row is classified, the address left out and said */
    CHECK(!jget(d, "error") && jget(d, "items"));
    CHECK(jstr(d, "address_unrecognized") && strstr(jstr(d, "address_unrecognized"), "없는구"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(d);
    free(t);
    t = slurp(csv, &n);
    REQUIRE(t);
    CHECK(strstr(t, ",programmes,") != NULL);
    CHECK(strstr(t, "regional-2025: 소재지 강원특별자치도 정선군") != NULL);
    CHECK(strstr(t, "소재지 '서울 없는구'를 알 수 없어") != NULL);
    free(t);
}

static void cleanup(void) {
    if (srv.pid > 0) igcd_term(&srv, 5000);
    if (tmp[0]) rm_tmp(tmp);
}

TEST(stop) { cleanup(); }

IGC_TEST_MAIN(TEST_ENTRY(regions_route), TEST_ENTRY(programmes_by_verdict_and_address), TEST_ENTRY(bad_addresses),
              TEST_ENTRY(saved_judgment_keeps_programmes), TEST_ENTRY(programme_edit_hot_reloads), TEST_ENTRY(failing_programme_sends_to_review),
              TEST_ENTRY(cli_classify_programmes), TEST_ENTRY(stop))
