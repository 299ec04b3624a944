/*
 * Tests of the programmes rule-set kind (rules/src/programmes.c and
 * programmes.lua): the shipped programmes/ files and their test{} blocks,
 * evaluation on verdicts and addresses, periods, bad files refused, a failing
 * programme skipped, version ids, and a hot reload through the watch.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "igc_rules.h"
#include "igc_test.h"

#define SHIPPED IGC_TEST_SOURCE_DIR "/programmes"

static char *path_join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int write_text(const char *dir, const char *name, const char *text) {
    char *p = path_join(dir, name);
    if (!p) return -1;
    int rc = igc_write_file_atomic(p, text, strlen(text));
    free(p);
    return rc;
}

/* A temp copy of the shipped programmes, so tests never write into the repo. */
static char *copy_shipped(void) {
    char tmpl[] = "/tmp/igc-prog-XXXXXX";
    if (!mkdtemp(tmpl)) return NULL;
    DIR *d = opendir(SHIPPED);
    if (!d) return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".lua") != 0) continue;
        char *from = path_join(SHIPPED, e->d_name), *data = NULL;
        size_t len = 0;
        if (from && igc_read_file(from, &data, &len) == 0) {
            char *to = path_join(tmpl, e->d_name);
            if (to) igc_write_file_atomic(to, data, len);
            free(to);
        }
        free(data);
        free(from);
    }
    closedir(d);
    return igc_strdup(tmpl);
}

static void remove_dir(char *dir) {
    if (!dir) return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char *p = path_join(dir, e->d_name);
            if (p) unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

static const igc_rules_prog_item ITEM = {"X1", "품목 가", "T", "테마 가", "T01", "분야 가", 0.8};

/* Evaluates one firm; returns the answer (caller frees) or NULL. */
static cJSON *eval(igc_rules_version *v, int applicable, const char *sido, const char *sigungu, const char *date) {
    igc_rules_prog_input in = {0};
    in.applicable = applicable;
    in.reason = applicable ? "" : "wholesale_retail";
    in.items = applicable ? &ITEM : NULL;
    in.nitems = applicable ? 1 : 0;
    in.ksic_code = "26110";
    in.sido = sido;
    in.sigungu = sigungu;
    in.date = date;
    cJSON *out = NULL;
    int rc = igc_rules_programmes_eval(v, &in, &out);
    CHECK_EQ_INT(rc, 0);
    return out;
}

static cJSON *find(cJSON *list, const char *id) {
    cJSON *p;
    cJSON_ArrayForEach(p, list) if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "id")), id) == 0) return p;
    return NULL;
}

static int to_check_has(cJSON *p, const char *word) {
    cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(p, "to_check")) if (strstr(t->valuestring, word)) return 1;
    return 0;
}

TEST(shipped_programme_tests_pass) {
    igc_buf report = {0};
    int failed = -1, total = -1;
    int rc = igc_rules_test_dir_kind(SHIPPED, IGC_RULES_KIND_PROGRAMMES, NULL, &report, &failed, &total);
    if (rc) fprintf(stderr, "%s", report.data ? report.data : "");
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(failed, 0);
    CHECK(total >= 15);
    REQUIRE(report.data);
    CHECK(strstr(report.data, "지원사업 6개 / 6 programmes") != NULL);
    igc_buf_free(&report);
    /* The same files are not a policy rule set: programme{} is unknown there. */
    CHECK_EQ_INT(igc_rules_test_dir(SHIPPED, NULL, NULL, &failed, &total), IGC_ERULES);
}

TEST(shipped_programmes_on_verdicts) {
    igc_rules *r = NULL;
    REQUIRE(igc_rules_open_kind(SHIPPED, IGC_RULES_KIND_PROGRAMMES, NULL, &r) == 0);
    igc_rules_version *v = igc_rules_acquire(r);
    CHECK_EQ_INT(strlen(igc_rules_version_id(v)), 16);

    /* 강원 정선군, applicable: all six, the regional one with what remains. */
    cJSON *out = eval(v, 1, "강원특별자치도", "정선군", "2026-03-02");
    REQUIRE(out);
    CHECK_EQ_INT(cJSON_GetArraySize(out), 6);
    cJSON *reg = find(out, "regional-2025");
    REQUIRE(reg);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(reg, "status")), "eligible");
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(reg, "why")), "인구감소지역") != NULL);
    CHECK(to_check_has(reg, "중소기업 여부"));
    CHECK(to_check_has(reg, "육성 타겟군"));
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(reg, "period"), "to")), "2026-12-31");
    cJSON *kibo = find(out, "kibo-guarantee");
    REQUIRE(kibo);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(kibo, "agency")), "기술보증기금");
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(kibo, "why")), "품목 가") != NULL);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(kibo, "period")));
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 0), "id")), "kibo-guarantee");
    cJSON_Delete(out);

    /* 서울 강남구: five, the regional one absent. */
    out = eval(v, 1, "서울특별시", "강남구", "2026-03-02");
    CHECK_EQ_INT(cJSON_GetArraySize(out), 5);
    CHECK(find(out, "regional-2025") == NULL);
    cJSON_Delete(out);

    /* Not applicable in 정선군: only the regional one. */
    out = eval(v, 0, "강원특별자치도", "정선군", "2026-03-02");
    CHECK_EQ_INT(cJSON_GetArraySize(out), 1);
    CHECK(find(out, "regional-2025") != NULL);
    cJSON_Delete(out);

    /* Same-named district in another province: 경남 고성군 is listed, 대구 동구 is not. */
    out = eval(v, 0, "경상남도", "고성군", "2026-03-02");
    CHECK_EQ_INT(cJSON_GetArraySize(out), 1);
    cJSON_Delete(out);
    out = eval(v, 0, "대구광역시", "동구", "2026-03-02");
    CHECK_EQ_INT(cJSON_GetArraySize(out), 0);
    cJSON_Delete(out);

    /* No address: the regional one asks for it. */
    out = eval(v, 1, "", "", "2026-03-02");
    CHECK_EQ_INT(cJSON_GetArraySize(out), 6);
    reg = find(out, "regional-2025");
    REQUIRE(reg);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(reg, "status")), "check");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(reg, "why")),
                 "소재지를 입력하면 지역 지원사업 해당 여부를 확인합니다.");
    cJSON_Delete(out);

    /* After its period the regional one is shown as ended; before, not at all. */
    out = eval(v, 1, "강원특별자치도", "정선군", "2027-01-01");
    reg = find(out, "regional-2025");
    REQUIRE(reg);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(reg, "status")), "ended");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(reg, "to_check")), 0);
    cJSON_Delete(out);
    out = eval(v, 1, "강원특별자치도", "정선군", "2025-01-31");
    CHECK_EQ_INT(cJSON_GetArraySize(out), 5);
    cJSON_Delete(out);

    /* Kinds do not mix. */
    igc_rules_verdict verdict;
    igc_rules_input rin = {0};
    CHECK_EQ_INT(igc_rules_eval(v, &rin, &verdict), IGC_EINVAL);
    igc_rules_prog_input pin = {0};
    CHECK_EQ_INT(igc_rules_programmes_eval(v, &pin, NULL), IGC_EINVAL);
    cJSON *st = igc_rules_status_json(r);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(st, "kind")), "programmes");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(st, "rules")), 6);
    cJSON_Delete(st);
    igc_rules_release(v);
    igc_rules_close(r);

    igc_rules *pol = NULL;
    REQUIRE(igc_rules_open(IGC_TEST_SOURCE_DIR "/rules", NULL, &pol) == 0);
    v = igc_rules_acquire(pol);
    out = (cJSON *)1;
    CHECK_EQ_INT(igc_rules_programmes_eval(v, &pin, &out), IGC_EINVAL);
    CHECK(out == NULL);
    igc_rules_release(v);
    igc_rules_close(pol);
}

TEST(bad_programme_files_refused) {
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"programme{ id='Bad Id', name='a', agency='b', benefit='c', eligible=function() end }", "programme.id"},
        {"programme{ id='x', agency='b', benefit='c', eligible=function() end }", "programme.name"},
        {"programme{ id='x', name='a', agency='b', benefit='c' }", "programme.eligible"},
        {"programme{ id='x', name='a', agency='b', benefit='c', period={from='2026-01-01', to='2025-01-01'},"
         " eligible=function() end }",
         "programme.period"},
        {"programme{ id='x', name='a', agency='b', benefit='c', eligble=function() end }", "알 수 없는 항목"},
        {"programme{ id='kibo-guarantee', name='a', agency='b', benefit='c', eligible=function() end }",
         "duplicate programme id"},
        {"rule{ id='x', description='d', apply=function() end }", "nil"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = copy_shipped();
        REQUIRE(dir);
        CHECK_EQ_INT(write_text(dir, "zz_new.lua", cases[i].text), 0);
        igc_buf report = {0};
        int failed = 0, total = 0;
        CHECK_EQ_INT(igc_rules_test_dir_kind(dir, IGC_RULES_KIND_PROGRAMMES, NULL, &report, &failed, &total),
                     IGC_ERULES);
        if (!report.data || !strstr(report.data, cases[i].message))
            fprintf(stderr, "  case %zu: %s\n", i, report.data ? report.data : "(no report)");
        CHECK(report.data && strstr(report.data, cases[i].message) != NULL);
        igc_buf_free(&report);
        remove_dir(dir);
    }
}

/* Place names are checked against the host's official list: a programme or test that
 * writes "경기"/"수원" (as notices abbreviate) would pass its own tests while never
 * matching a real company, whose address comes as 경기도/수원시. Without a list
 * (NULL) names are not checked. */
TEST(unofficial_place_names_refused) {
    static const char *const places[] = {"경기도", "경기도\t수원시", "강원특별자치도", "강원특별자치도\t정선군", NULL};
    static const char prog[] =
        "local AREA = {[\"%s\"] = {\"%s\"}}\n"
        "programme{ id='area', name='지역 사업', agency='기관', benefit='우대', eligible=function(ctx)\n"
        "  if ctx:region_in(AREA) then ctx:eligible('지역 기업') end end }\n";
    static const char test[] =
        "test{ name='지역', given={verdict={applicable=true}, address={sido='%s', sigungu='%s'}},\n"
        "      expect={status={area='eligible'}} }\n";
    static const struct {
        const char *prog_sido, *prog_gu, *test_sido, *test_gu, *message; /* NULL: loads and passes */
    } cases[] = {
        {"경기도", "수원시", "경기도", "수원시", NULL},
        {"경기", "수원", "경기도", "수원시", "'경기'은(는) 광역의 정식 이름이 아닙니다"},
        {"경기도", "수원", "경기도", "수원시", "'수원'은(는) 경기도의 시군구 정식 이름이 아닙니다"},
        {"경기도", "수원시", "경기", "수원시", "given.address.sido '경기'"},
        {"경기도", "수원시", "경기도", "수원", "given.address.sigungu '수원'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int checked = 0; checked < 2; checked++) {
            char tmpl[] = "/tmp/igc-prog-XXXXXX";
            REQUIRE(mkdtemp(tmpl));
            char *dir = igc_strdup(tmpl);
            char text[1024];
            snprintf(text, sizeof text, prog, cases[i].prog_sido, cases[i].prog_gu);
            CHECK_EQ_INT(write_text(dir, "area.lua", text), 0);
            snprintf(text, sizeof text, test, cases[i].test_sido, cases[i].test_gu);
            CHECK_EQ_INT(write_text(dir, "area_test.lua", text), 0);
            igc_rules_limits lim = {.places = checked ? places : NULL};
            igc_buf report = {0};
            int failed = 0, total = 0;
            int rc = igc_rules_test_dir_kind(dir, IGC_RULES_KIND_PROGRAMMES, &lim, &report, &failed, &total);
            int refused = checked && cases[i].message;
            /* unchecked, an abbreviated pair still agrees with itself in a test (what went unnoticed) */
            int want_pass = !refused && (!cases[i].message || (strcmp(cases[i].prog_sido, cases[i].test_sido) == 0 &&
                                                                strcmp(cases[i].prog_gu, cases[i].test_gu) == 0));
            if (want_pass) CHECK_EQ_INT(rc, 0);
            else CHECK(rc != 0 || failed > 0);
            if (refused && !(report.data && strstr(report.data, cases[i].message)))
                fprintf(stderr, "  case %zu: %s\n", i, report.data ? report.data : "(no report)");
            if (refused) CHECK(report.data && strstr(report.data, cases[i].message) != NULL);
            igc_buf_free(&report);
            remove_dir(dir);
        }
}

TEST(failing_programme_is_skipped) {
    char *dir = copy_shipped();
    REQUIRE(dir);
    /* Throws only outside tests (no test gives a KSIC code): loads, then fails per call. */
    CHECK_EQ_INT(write_text(dir, "zz_broken.lua",
                            "programme{ id='broken', name='깨진 사업', agency='기관', benefit='혜택',"
                            " eligible=function(ctx) ctx:eligible('먼저 보임')"
                            " if ctx.ksic.code ~= '' then error('일부러') end end }\n"
                            "programme{ id='loop', name='끝없는 사업', agency='기관', benefit='혜택',"
                            " eligible=function(ctx) if ctx.ksic.code ~= '' then while true do end end end }\n"),
                 0);
    igc_rules *r = NULL;
    REQUIRE(igc_rules_open_kind(dir, IGC_RULES_KIND_PROGRAMMES, NULL, &r) == 0);
    igc_rules_version *v = igc_rules_acquire(r);
    cJSON *out = eval(v, 1, "강원특별자치도", "정선군", "2026-03-02");
    CHECK_EQ_INT(cJSON_GetArraySize(out), 6);
    CHECK(find(out, "broken") == NULL); /* its partial answer was rolled back */
    cJSON_Delete(out);
    cJSON *st = igc_rules_status_json(r);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(st, "rule_errors")), 2);
    cJSON_Delete(st);
    igc_rules_release(v);
    igc_rules_close(r);
    remove_dir(dir);
}

typedef struct watch_ctx {
    igc_rules *r;
    const char *dir;
    char old_id[17];
    int ticks, edited, changed;
} watch_ctx;

/* The benefit a firm in 정선군 sees for kibo-guarantee now. */
static char *kibo_benefit(igc_rules *r) {
    igc_rules_version *v = igc_rules_acquire(r);
    cJSON *out = eval(v, 1, "강원특별자치도", "정선군", "2026-03-02");
    cJSON *k = find(out, "kibo-guarantee");
    char *b = igc_strdup(k ? cJSON_GetStringValue(cJSON_GetObjectItem(k, "benefit")) : "");
    cJSON_Delete(out);
    igc_rules_release(v);
    return b;
}

static void watch_tick(uv_timer_t *t) {
    watch_ctx *w = t->data;
    w->ticks++;
    if (!w->edited) {
        char *p = path_join(w->dir, "kibo-guarantee.lua"), *data = NULL;
        size_t len = 0;
        if (p && igc_read_file(p, &data, &len) == 0) {
            const char *old = "보증비율 우대(최대 100%)";
            char *at = strstr(data, old);
            if (at) {
                igc_buf b = {0};
                igc_buf_append(&b, data, (size_t)(at - data));
                igc_buf_puts(&b, "보증비율 우대(최대 95%)");
                igc_buf_puts(&b, at + strlen(old));
                igc_write_file_atomic(p, b.data, b.len);
                igc_buf_free(&b);
            }
        }
        free(data);
        free(p);
        w->edited = 1;
        return;
    }
    igc_rules_version *v = igc_rules_acquire(w->r);
    int changed = strcmp(igc_rules_version_id(v), w->old_id) != 0;
    igc_rules_release(v);
    if (changed || w->ticks > 100) {
        w->changed = changed;
        uv_timer_stop(t);
        uv_stop(t->loop);
    }
}

TEST(edit_hot_reloads) {
    char *dir = copy_shipped();
    REQUIRE(dir);
    igc_rules *r = NULL;
    REQUIRE(igc_rules_open_kind(dir, IGC_RULES_KIND_PROGRAMMES, NULL, &r) == 0);
    char *before = kibo_benefit(r);
    CHECK(strstr(before, "최대 100%") != NULL);
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    CHECK_EQ_INT(igc_rules_watch(r, &loop), 0);
    watch_ctx w = {.r = r, .dir = dir};
    igc_rules_version *v = igc_rules_acquire(r);
    snprintf(w.old_id, sizeof w.old_id, "%s", igc_rules_version_id(v));
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &w;
    uv_timer_start(&t, watch_tick, 50, 50);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(w.changed, 1);
    char *after = kibo_benefit(r);
    CHECK(strstr(after, "최대 95%") != NULL);
    /* A request that held the old version still answers with it. */
    cJSON *old = eval(v, 1, "강원특별자치도", "정선군", "2026-03-02");
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(find(old, "kibo-guarantee"), "benefit")), "100%") != NULL);
    cJSON_Delete(old);
    igc_rules_release(v);
    /* A broken edit is refused and the last good set stays. */
    CHECK_EQ_INT(write_text(dir, "zz_bad.lua", "programme{ id = }"), 0);
    igc_buf err = {0};
    CHECK_EQ_INT(igc_rules_reload(r, &err), IGC_ERULES);
    CHECK(err.data && strstr(err.data, "zz_bad.lua") != NULL);
    igc_buf_free(&err);
    char *kept = kibo_benefit(r);
    CHECK_EQ_STR(kept, after);
    free(before);
    free(after);
    free(kept);
    uv_close((uv_handle_t *)&t, NULL);
    igc_rules_close(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    remove_dir(dir);
}

IGC_TEST_MAIN(TEST_ENTRY(shipped_programme_tests_pass), TEST_ENTRY(shipped_programmes_on_verdicts),
              TEST_ENTRY(bad_programme_files_refused), TEST_ENTRY(unofficial_place_names_refused), TEST_ENTRY(failing_programme_is_skipped),
              TEST_ENTRY(edit_hot_reloads))
