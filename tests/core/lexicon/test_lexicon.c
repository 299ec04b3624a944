#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_ksic.h"
#include "igc_lexicon.h"
#include "igc_taxonomy.h"
#include "igc_test.h"
#include "igc_text.h"

static igc_taxonomy *tx;
static igc_ksic *ksic;

static int setup(void) {
    if (tx) return 1;
    char p[1024];
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", igc_test_data_dir());
    if (igc_taxonomy_load(p, &tx, NULL)) return 0;
    if (igc_ksic_load(igc_test_data_dir(), &ksic)) return 0;
    return 1;
}

static const char *lex_path(void) {
    static char p[1024];
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6-lexicon.jsonl", igc_test_data_dir());
    return p;
}

/* Item codes and a KSIC code are read from the data, never written here. */
#define A (tx->items[0].code)
#define B (tx->items[1].code)
#define C (tx->items[2].code)
#define K (igc_ksic_at(ksic, 0)->code)

static char text[8192];

/* One JSONL line for item code with terms given as a JSON array body. */
static void line(igc_buf *b, const char *code, const char *terms, const char *cues) {
    igc_buf_printf(b, "{\"code\":\"%s\",\"terms\":[%s],\"ksic\":[\"%s\"],\"confusable\":[],\"not_applicable_cues\":[%s]}\n",
                   code, terms, K, cues ? cues : "");
}

static igc_lexicon *small(void) {
    igc_buf b = {0};
    line(&b, A, "\"RTO\",\"ESS\",\"OLED\",\"양극재\",\"제조\",\"BIM 설계\",\"AI 스피커\"", "\"의약품 도매\"");
    line(&b, B, "\"전자결제\",\"스마트 팜\",\"2차전지\",\"AI 스피커\",\"AI스피커\"", "\"의약품 도매\",\"단순 조립\"");
    line(&b, C, "\"전기차\"", NULL);
    igc_lexicon *lx = NULL;
    igc_buf err = {0};
    int rc = igc_lexicon_parse(b.data, b.len, "small.jsonl", tx, ksic, &lx, &err);
    if (rc) fprintf(stderr, "  small lexicon: %s\n", err.data ? err.data : igc_strerror(rc));
    igc_buf_free(&b);
    igc_buf_free(&err);
    return lx;
}

/* Hits of text as "term@word0+nwords[p]" joined by spaces, into text[]. */
static const char *hits_of(const igc_lexicon *lx, const char *in) {
    igc_words w = {0};
    igc_lex_hits h = {0};
    text[0] = '\0';
    if (igc_text_words(in, &w) || igc_lexicon_match(lx, &w, &h)) return "(error)";
    size_t o = 0;
    for (size_t i = 0; i < h.n; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%s%s@%u+%u%s", i ? " " : "",
                              igc_lexicon_term(lx, h.h[i].term)->text, h.h[i].word0, h.h[i].nwords,
                              h.h[i].partial ? "p" : "");
    igc_lex_hits_free(&h);
    igc_text_words_free(&w);
    return text;
}

TEST(load_shared_file) {
    REQUIRE(setup());
    igc_lexicon *lx = NULL;
    igc_buf err = {0};
    int rc = igc_lexicon_load(lex_path(), tx, ksic, &lx, &err);
    if (rc) fprintf(stderr, "  %s\n", err.data);
    REQUIRE(rc == 0);
    CHECK_EQ_INT(igc_lexicon_nitems(lx), tx->nitems);
    /* 8,305 terms as written; a few normalise alike or are shared by several items */
    size_t written = 0, shared = 0;
    for (size_t i = 0; i < tx->nitems; i++) {
        const igc_lex_item *li = igc_lexicon_item(lx, i);
        REQUIRE(li != NULL);
        CHECK(li->item == &tx->items[i]);
        CHECK(li->nterms >= 30);
        CHECK(li->nksic >= 1);
        CHECK(igc_ksic_find(ksic, li->ksic[0]) != NULL);
        written += li->nterms;
        /* every term finds its own item */
        for (size_t t = 0; t < li->nterms; t++) {
            int64_t id = igc_lexicon_find(lx, li->terms[t]);
            REQUIRE(id >= 0);
            const igc_lex_term *tm = igc_lexicon_term(lx, (uint32_t)id);
            int found = 0;
            for (size_t k = 0; k < tm->nitems; k++) found |= tm->items[k] == i;
            CHECK(found);
        }
    }
    CHECK_EQ_INT(written, 8305);
    for (uint32_t t = 0; t < igc_lexicon_nterms(lx); t++) shared += igc_lexicon_term(lx, t)->nitems > 1;
    CHECK(shared >= 74);
    CHECK(igc_lexicon_nterms(lx) < written && igc_lexicon_nterms(lx) > 8000);
    CHECK(igc_lexicon_ncues(lx) > 800);
    const char *v = igc_lexicon_version(lx);
    CHECK(strncmp(v, tx->version, strlen(tx->version)) == 0 && v[strlen(tx->version)] == '/' &&
          strlen(v) == strlen(tx->version) + 9);
    CHECK(igc_lexicon_taxonomy(lx) == tx);
    CHECK(igc_lexicon_item(lx, tx->nitems) == NULL);
    CHECK(igc_lexicon_term(lx, (uint32_t)igc_lexicon_nterms(lx)) == NULL);
    /* the same bytes give the same version */
    igc_lexicon *again = NULL;
    REQUIRE(igc_lexicon_load(lex_path(), tx, ksic, &again, NULL) == 0);
    CHECK_EQ_STR(igc_lexicon_version(again), v);
    igc_lexicon_unref(again);
    igc_lexicon_unref(lx);
    igc_buf_free(&err);
}

TEST(idf_and_shared_terms) {
    REQUIRE(setup());
    igc_lexicon *lx = small();
    REQUIRE(lx);
    int64_t id = igc_lexicon_find(lx, "AI 스피커");
    REQUIRE(id >= 0);
    const igc_lex_term *t = igc_lexicon_term(lx, (uint32_t)id);
    CHECK_EQ_INT(t->nitems, 2);
    CHECK(t->items[0] == 0 && t->items[1] == 1);
    CHECK(fabs(t->idf - log(3.0 / 2.0)) < 1e-9);
    const igc_lex_term *r = igc_lexicon_term(lx, (uint32_t)igc_lexicon_find(lx, "rto"));
    CHECK(fabs(r->idf - log(3.0)) < 1e-9);
    CHECK_EQ_STR(r->text, "RTO");
    /* "AI스피커" normalises to other words ("ai", "스피커"): the same term */
    CHECK(igc_lexicon_find(lx, "AI스피커") == id);
    CHECK(igc_lexicon_find(lx, "없는 말") == -1);
    /* a shared term is one hit listing both items */
    CHECK_EQ_STR(hits_of(lx, "AI 스피커 개발"), "AI 스피커@0+2");
    igc_lexicon_unref(lx);
}

TEST(latin_whole_tokens_only) {
    REQUIRE(setup());
    igc_lexicon *lx = small();
    REQUIRE(lx);
    CHECK_EQ_STR(hits_of(lx, "RTOS 개발"), "");
    CHECK_EQ_STR(hits_of(lx, "축열식 RTO 설치"), "RTO@1+1");
    CHECK_EQ_STR(hits_of(lx, "process control"), "");
    CHECK_EQ_STR(hits_of(lx, "ESS 구축"), "ESS@0+1");
    CHECK_EQ_STR(hits_of(lx, "cooled display"), "");
    CHECK_EQ_STR(hits_of(lx, "oled패널"), "OLED@0+1");
    CHECK_EQ_STR(hits_of(lx, "ＯＬＥＤ"), "OLED@0+1"); /* full width folds */
    igc_lexicon_unref(lx);
}

TEST(hangul_compounds) {
    REQUIRE(setup());
    igc_lexicon *lx = small();
    REQUIRE(lx);
    CHECK_EQ_STR(hits_of(lx, "리튬이온배터리양극재 생산"), "양극재@0+1p");
    CHECK_EQ_STR(hits_of(lx, "양극재를 생산"), "양극재@0+1");
    CHECK_EQ_STR(hits_of(lx, "모바일전자결제 서비스"), "전자결제@0+1p");
    /* two syllables never inside a word */
    CHECK_EQ_STR(hits_of(lx, "자동차 제조사"), "");
    CHECK_EQ_STR(hits_of(lx, "전지 제조 설비"), "제조@1+1");
    /* never across a word boundary */
    CHECK_EQ_STR(hits_of(lx, "양극 재활용"), "");
    CHECK_EQ_STR(hits_of(lx, "전기 차단기"), "");
    /* a multi-word Hangul term written without its space */
    CHECK_EQ_STR(hits_of(lx, "스마트팜"), "스마트 팜@0+1");
    CHECK_EQ_STR(hits_of(lx, "스마트팜솔루션"), "스마트 팜@0+1p");
    CHECK_EQ_STR(hits_of(lx, "스마트 팜 구축"), "스마트 팜@0+2");
    /* digits joined to Hangul */
    CHECK_EQ_STR(hits_of(lx, "리튬2차전지용 분리막"), "2차전지@0+1p");
    /* a word holding the term twice is one hit */
    CHECK_EQ_STR(hits_of(lx, "양극재양극재"), "양극재@0+1p");
    /* 3-syllable compounds may be false friends: partial says so */
    CHECK_EQ_STR(hits_of(lx, "전기차단기"), "전기차@0+1p");
    igc_lexicon_unref(lx);
}

TEST(sequences_and_fields) {
    REQUIRE(setup());
    igc_lexicon *lx = small();
    REQUIRE(lx);
    CHECK_EQ_STR(hits_of(lx, "BIM 설계 용역"), "BIM 설계@0+2");
    CHECK_EQ_STR(hits_of(lx, "bim설계"), "BIM 설계@0+2");
    CHECK_EQ_STR(hits_of(lx, "BIM 기반 설계"), "");
    CHECK_EQ_STR(hits_of(lx, "BIM"), "");
    /* overlapping hits are all reported */
    CHECK_EQ_STR(hits_of(lx, "ESS RTO OLED"), "ESS@0+1 RTO@1+1 OLED@2+1");
    /* two fields gathered in one list: a term does not span them */
    igc_words w = {0};
    igc_lex_hits h = {0};
    REQUIRE(igc_text_words("스마트 BIM", &w) == 0 && igc_text_words("설계 팜", &w) == 0);
    REQUIRE(igc_lexicon_match(lx, &w, &h) == 0);
    CHECK_EQ_INT(h.n, 0);
    igc_text_words_free(&w);
    REQUIRE(igc_text_words("BIM 설계", &w) == 0 && igc_text_words("양극재", &w) == 0);
    REQUIRE(igc_lexicon_match(lx, &w, &h) == 0);
    CHECK_EQ_INT(h.n, 2);
    CHECK(h.n == 2 && h.h[1].word0 == 2 && !h.h[1].partial);
    igc_lex_hits_free(&h);
    igc_text_words_free(&w);
    igc_lexicon_unref(lx);
}

TEST(not_applicable_cues) {
    REQUIRE(setup());
    igc_lexicon *lx = small();
    REQUIRE(lx);
    CHECK_EQ_INT(igc_lexicon_ncues(lx), 3);
    igc_words w = {0};
    igc_lex_hits h = {0};
    REQUIRE(igc_text_words("전문 의약품 도매 및 단순 조립", &w) == 0);
    REQUIRE(igc_lexicon_match_cues(lx, &w, &h) == 0);
    CHECK_EQ_INT(h.n, 3);
    size_t items = 0, idx;
    for (size_t i = 0; i < h.n; i++) {
        const char *cue = igc_lexicon_cue(lx, h.h[i].term, &idx);
        REQUIRE(cue != NULL);
        items |= (size_t)1 << idx;
        if (strcmp(cue, "단순 조립") == 0) CHECK(idx == 1 && h.h[i].word0 == 4 && h.h[i].nwords == 2);
    }
    CHECK_EQ_INT(items, 3);
    CHECK(igc_lexicon_cue(lx, 3, NULL) == NULL);
    igc_lex_hits_free(&h);
    igc_text_words_free(&w);
    igc_lexicon_unref(lx);
}

/* Parses a one-off lexicon text; returns the code and leaves the message in text[]. */
static int parse_bad(const char *src) {
    igc_lexicon *lx = NULL;
    igc_buf err = {0};
    int rc = igc_lexicon_parse(src, strlen(src), "bad.jsonl", tx, ksic, &lx, &err);
    snprintf(text, sizeof text, "%s", err.data ? err.data : "");
    igc_buf_free(&err);
    if (lx) igc_lexicon_unref(lx);
    if (rc == 0) fprintf(stderr, "  accepted: %s\n", src);
    else if (getenv("IGC_TEST_VERBOSE")) fprintf(stderr, "  %s\n", text);
    return rc;
}

TEST(load_errors_name_the_line) {
    REQUIRE(setup());
    igc_buf b = {0};
    char good[1024];
    snprintf(good, sizeof good,
             "{\"code\":\"%s\",\"terms\":[\"가나다\"],\"ksic\":[\"%s\"],\"confusable\":[{\"code\":\"%s\",\"cue\":\"다름\"}],"
             "\"not_applicable_cues\":[\"단순 유통\"]}\n",
             A, K, B);
    struct {
        const char *line2; /* printf with %s = item code B, then KSIC code */
        int rc;
        const char *needle;
    } cases[] = {
        {"{\"code\":\"Z99999\",\"terms\":[],\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]}", IGC_EINVAL,
         "Z99999"},
        {"{\"code\":\"%s\",\"terms\":[\"x\"],\"ksic\":[\"99999\"],\"confusable\":[],\"not_applicable_cues\":[]}",
         IGC_EINVAL, "99999"},
        {"{\"code\":\"%s\",\"terms\":[\"x\"],\"ksic\":[\"1234\"],\"confusable\":[],\"not_applicable_cues\":[]}",
         IGC_EINVAL, "ksic[0]"},
        {"{\"code\":\"%s\",\"terms\":[\"로봇\",\"센서\",\" 로봇 \"],\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]}",
         IGC_EINVAL, "terms[2]"},
        {"{\"code\":\"%s\",\"terms\":[\"로봇\",\"   \"],\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]}",
         IGC_EINVAL, "terms[1]"},
        {"{\"code\":\"%s\",\"terms\":[\"·/()\"],\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]}", IGC_EINVAL,
         "terms[0]"},
        {"{\"code\":\"%s\",\"terms\":[\"로봇\"],\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[\"\"]}",
         IGC_EINVAL, "not_applicable_cues[0]"},
        {"{\"code\":\"%s\",\"terms\":[\"로봇\"] \"ksic\":[]}", IGC_EPARSE, "JSON"},
        {"{\"code\":\"%s\",\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]}", IGC_EPARSE, "'terms'"},
        {"{\"code\":\"%s\",\"terms\":\"로봇\",\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]}", IGC_EPARSE,
         "'terms'"},
        {"{\"code\":\"%s\",\"terms\":[1],\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]}", IGC_EPARSE,
         "terms[0]"},
        {"{\"code\":\"%s\",\"terms\":[],\"ksic\":[],\"confusable\":[{\"code\":\"Q00000\",\"cue\":\"x\"}],"
         "\"not_applicable_cues\":[]}",
         IGC_EINVAL, "Q00000"},
        {"{\"code\":\"%s\",\"terms\":[],\"ksic\":[],\"confusable\":[{\"code\":\"x\"}],\"not_applicable_cues\":[]}",
         IGC_EPARSE, "confusable[0]"},
        {"[1,2]", IGC_EPARSE, "JSON 객체"},
        {"{\"code\":\"%s\",\"terms\":[],\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]} x", IGC_EPARSE,
         "뒤에"},
        {"{\"code\":\"\xff\"}", IGC_EPARSE, "UTF-8"},
        {"{\"code\":5}", IGC_EPARSE, "'code'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b.len = 0;
        igc_buf_puts(&b, good);
        igc_buf_puts(&b, "\n"); /* a blank line is fine and still counts */
        igc_buf_printf(&b, cases[i].line2, B, K);
        igc_buf_puts(&b, "\n");
        int rc = parse_bad(b.data);
        CHECK_EQ_INT(rc, cases[i].rc);
        if (!strstr(text, "3번째 줄") || !strstr(text, cases[i].needle))
            fprintf(stderr, "  case %zu: message \"%s\" lacks the line or \"%s\"\n", i, text, cases[i].needle);
        CHECK(strstr(text, "bad.jsonl: 3번째 줄") != NULL);
        CHECK(strstr(text, cases[i].needle) != NULL);
    }
    /* an item listed twice names both lines */
    b.len = 0;
    igc_buf_puts(&b, good);
    igc_buf_puts(&b, good);
    CHECK_EQ_INT(parse_bad(b.data), IGC_EINVAL);
    CHECK(strstr(text, "2번째 줄") && strstr(text, "1번째 줄에 이미"));
    /* several problems are all reported */
    b.len = 0;
    igc_buf_printf(&b, "{\"code\":\"%s\",\"terms\":[\"\",\"a\",\"a\"],\"ksic\":[\"00000\"],\"confusable\":[],"
                       "\"not_applicable_cues\":[]}\nnot json\n", A);
    CHECK_EQ_INT(parse_bad(b.data), IGC_EINVAL);
    CHECK(strstr(text, "terms[0]") && strstr(text, "terms[2]") && strstr(text, "00000") && strstr(text, "2번째 줄"));
    /* empty file, missing file */
    CHECK_EQ_INT(parse_bad("\n\n"), IGC_EPARSE);
    igc_lexicon *lx = (igc_lexicon *)1;
    igc_buf err = {0};
    CHECK_EQ_INT(igc_lexicon_load("/nonexistent/lexicon.jsonl", tx, ksic, &lx, &err), IGC_ENOTFOUND);
    CHECK(lx == NULL && err.data && strstr(err.data, "/nonexistent/lexicon.jsonl"));
    /* CRLF line ends and a BOM are accepted */
    b.len = 0;
    igc_buf_puts(&b, "\xEF\xBB\xBF");
    igc_buf_printf(&b, "{\"code\":\"%s\",\"terms\":[\"가나다\"],\"ksic\":[],\"confusable\":[],\"not_applicable_cues\":[]}\r\n",
                   A);
    lx = NULL;
    CHECK_EQ_INT(igc_lexicon_parse(b.data, b.len, NULL, tx, ksic, &lx, NULL), 0);
    CHECK(lx && igc_lexicon_item(lx, 0) && igc_lexicon_item(lx, 1) == NULL);
    igc_lexicon_unref(lx);
    igc_buf_free(&err);
    igc_buf_free(&b);
}

TEST(refcount_keeps_taxonomy) {
    REQUIRE(setup());
    char p[1024];
    snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", igc_test_data_dir());
    igc_taxonomy *own = NULL;
    REQUIRE(igc_taxonomy_load(p, &own, NULL) == 0);
    igc_lexicon *lx = NULL;
    REQUIRE(igc_lexicon_load(lex_path(), own, ksic, &lx, NULL) == 0);
    igc_taxonomy_unref(own); /* the lexicon holds its own reference */
    CHECK(igc_lexicon_ref(lx) == lx);
    igc_lexicon_unref(lx);
    CHECK_EQ_STR(igc_lexicon_item(lx, 0)->item->code, igc_lexicon_taxonomy(lx)->items[0].code);
    CHECK_EQ_STR(hits_of(lx, "리튬이온배터리양극재") [0] ? "some" : "", "some");
    igc_lexicon_unref(lx);
    igc_lexicon_unref(NULL);
    CHECK(igc_lexicon_ref(NULL) == NULL);
}

TEST(check_reports_collisions) {
    REQUIRE(setup());
    /* a term equal to another item's name fires on that item's text */
    igc_buf b = {0};
    igc_buf_printf(&b, "{\"code\":\"%s\",\"name\":\"다른 이름\",\"terms\":[\"%s\"],\"ksic\":[],\"confusable\":[],"
                       "\"not_applicable_cues\":[]}\n",
                   A, tx->items[1].name);
    igc_lexicon *lx = NULL;
    REQUIRE(igc_lexicon_parse(b.data, b.len, NULL, tx, ksic, &lx, NULL) == 0);
    igc_buf r = {0};
    size_t n = 0;
    REQUIRE(igc_lexicon_check(lx, ksic, &r, &n) == 0);
    CHECK(n >= 1);
    char want[256];
    snprintf(want, sizeof want, "[%s]", A);
    CHECK(strstr(r.data, want) != NULL);
    snprintf(want, sizeof want, "→ %s ", B);
    CHECK(strstr(r.data, want) != NULL);
    CHECK(strstr(r.data, "품목명") != NULL);
    CHECK(strstr(r.data, "다른 이름") != NULL);         /* name differs from the taxonomy's */
    CHECK(strstr(r.data, "사전에 줄이 없습니다") != NULL); /* the other items */
    CHECK(strstr(r.data, "요약") != NULL);
    igc_lexicon_unref(lx);
    igc_buf_free(&r);
    igc_buf_free(&b);

    /* the shared file: runs, reports per item, counts */
    REQUIRE(igc_lexicon_load(lex_path(), tx, ksic, &lx, NULL) == 0);
    double t0 = igc_now_ms();
    REQUIRE(igc_lexicon_check(lx, ksic, &r, &n) == 0);
    double ms = igc_now_ms() - t0;
    const char *sum = strstr(r.data, "요약");
    fprintf(stderr, "  shared lexicon: %zu collision lines, %zu bytes of report, %.0f ms\n  %.*s\n", n, r.len, ms,
            sum ? (int)strcspn(sum, "\n") : 0, sum ? sum : "");
    CHECK(sum != NULL);
    CHECK(strstr(r.data, "AR·VR") != NULL); /* written twice in forms that normalise alike */
    igc_lexicon_unref(lx);
    igc_buf_free(&r);
}

/* Not a timed assertion: prints the time per call for a realistic 30-word input. */
TEST(match_speed) {
    REQUIRE(setup());
    igc_lexicon *lx = NULL;
    REQUIRE(igc_lexicon_load(lex_path(), tx, ksic, &lx, NULL) == 0);
    const char *in[] = {"이차전지 양극재 제조업",
                        "리튬이온배터리양극재, 전구체, NCM 양극활물질, 전기차용 배터리 소재",
                        "전기자동차 및 ESS용 이차전지의 에너지밀도 향상, 고니켈 하이니켈 양극재 양산 공정 개발",
                        "차세대 고용량 배터리 소재 기술 사업화"};
    igc_words w = {0};
    for (size_t i = 0; i < 4; i++) REQUIRE(igc_text_words(in[i], &w) == 0);
    igc_lex_hits h = {0};
    int n = 20000;
    double t0 = igc_now_ms();
    for (int i = 0; i < n; i++) {
        h.n = 0;
        REQUIRE(igc_lexicon_match(lx, &w, &h) == 0);
        REQUIRE(igc_lexicon_match_cues(lx, &w, &h) == 0);
    }
    double us = (igc_now_ms() - t0) * 1000.0 / n;
    h.n = 0;
    REQUIRE(igc_lexicon_match(lx, &w, &h) == 0);
    fprintf(stderr, "  match + cues, %zu words: %.2f us per call, %zu term hits:", w.n, us, h.n);
    for (size_t i = 0; i < h.n; i++)
        fprintf(stderr, " %s%s", igc_lexicon_term(lx, h.h[i].term)->text, h.h[i].partial ? "(p)" : "");
    fprintf(stderr, "\n");
    CHECK(h.n >= 5);
    igc_lex_hits_free(&h);
    igc_text_words_free(&w);
    igc_lexicon_unref(lx);
}

/* The typical KSIC codes by division are exactly the items' own codes with those two
 * first digits, each once; other input finds none. */
TEST(ksic_by_division) {
    REQUIRE(setup());
    igc_lexicon *lx = NULL;
    REQUIRE(igc_lexicon_load(lex_path(), tx, ksic, &lx, NULL) == 0);
    size_t total = 0, n;
    for (int d = 0; d < 100; d++) {
        char code[8];
        snprintf(code, sizeof code, "%02d123", d);
        const igc_lex_ksic *k = igc_lexicon_ksic_division(lx, code, &n);
        size_t want = 0;
        for (size_t i = 0; i < tx->nitems; i++) {
            const igc_lex_item *li = igc_lexicon_item(lx, i);
            for (size_t c = 0; li && c < li->nksic; c++) {
                if (strncmp(li->ksic[c], code, 2)) continue;
                want++;
                size_t found = 0;
                for (size_t j = 0; j < n; j++) found += k[j].item == i && k[j].code == li->ksic[c];
                CHECK_EQ_INT(found, 1);
            }
        }
        CHECK_EQ_INT(n, want);
        total += n;
    }
    size_t all = 0;
    for (size_t i = 0; i < tx->nitems; i++) all += igc_lexicon_item(lx, i)->nksic;
    CHECK_EQ_INT(total, all);
    CHECK(igc_lexicon_ksic_division(lx, "2", &n) == NULL && n == 0);
    CHECK(igc_lexicon_ksic_division(lx, "A1234", &n) == NULL && n == 0);
    CHECK(igc_lexicon_ksic_division(lx, "", &n) == NULL && n == 0);
    CHECK(igc_lexicon_ksic_division(NULL, "26", &n) == NULL && n == 0);
    igc_lexicon_unref(lx);
}

TEST(teardown) {
    igc_taxonomy_unref(tx);
    igc_ksic_free(ksic);
    tx = NULL;
    ksic = NULL;
}

IGC_TEST_MAIN(TEST_ENTRY(load_shared_file), TEST_ENTRY(idf_and_shared_terms), TEST_ENTRY(latin_whole_tokens_only),
              TEST_ENTRY(hangul_compounds), TEST_ENTRY(sequences_and_fields), TEST_ENTRY(not_applicable_cues),
              TEST_ENTRY(load_errors_name_the_line), TEST_ENTRY(refcount_keeps_taxonomy),
              TEST_ENTRY(check_reports_collisions), TEST_ENTRY(match_speed), TEST_ENTRY(ksic_by_division), TEST_ENTRY(teardown))
