#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_test.h"
#include "igc_text.h"

/* Splits text and compares the normalised words with want[] (NULL-terminated). */
static int words_are(const char *text, const char *const *want) {
    igc_words w = {0};
    if (igc_text_words(text, &w) != 0) return 0;
    size_t n = 0;
    while (want[n]) n++;
    int ok = w.n == n;
    for (size_t i = 0; ok && i < n; i++) ok = strcmp(w.w[i].norm, want[i]) == 0;
    if (!ok) {
        fprintf(stderr, "  words(\"%s\") =", text);
        for (size_t i = 0; i < w.n; i++) fprintf(stderr, " [%s]", w.w[i].norm);
        fprintf(stderr, "\n");
    }
    igc_text_words_free(&w);
    return ok;
}
#define WORDS(text, ...) words_are(text, (const char *const[]){__VA_ARGS__, NULL})

TEST(hangul_and_latin_runs) {
    CHECK(WORDS("리튬 배터리", "리튬", "배터리"));
    CHECK(WORDS("BIM 모델링", "bim", "모델링"));
    CHECK(WORDS("RPA,  AI/ML; 5G", "rpa", "ai", "ml", "5g"));
    CHECK(WORDS("드론(UAV) 제어", "드론", "uav", "제어"));
    CHECK(WORDS("3D프린팅", "3d", "프린팅"));
    CHECK(WORDS("abc123def", "abc123def"));
    CHECK(WORDS("2024", "2024"));
}

TEST(digits_join_following_hangul) {
    CHECK(WORDS("2차전지 소재", "2차전지", "소재"));
    CHECK(WORDS("5세대 이동통신", "5세대", "이동통신"));
    igc_words w = {0};
    REQUIRE(igc_text_words("2차전지", &w) == 0);
    REQUIRE(w.n == 1);
    CHECK(w.w[0].hangul);
    igc_text_words_free(&w);
}

TEST(latin_hangul_boundary) {
    CHECK(WORDS("IoT기반", "iot", "기반"));
    CHECK(WORDS("스마트IoT", "스마트", "iot"));
    CHECK(WORDS("AI반도체칩", "ai", "반도체칩"));
    igc_words w = {0};
    REQUIRE(igc_text_words("IoT기반", &w) == 0);
    REQUIRE(w.n == 2);
    CHECK(!w.w[0].hangul);
    CHECK(w.w[1].hangul);
    igc_text_words_free(&w);
}

TEST(lower_case_and_full_width) {
    CHECK(WORDS("LiDAR", "lidar"));
    CHECK(WORDS("\xEF\xBC\xA1\xEF\xBC\xA9 \xEF\xBC\x95\xEF\xBC\xA7", "ai", "5g")); /* ＡＩ ５Ｇ */
}

TEST(particles_are_stripped) {
    CHECK(WORDS("배터리를", "배터리"));
    CHECK(WORDS("반도체의 설계와", "반도체", "설계"));
    CHECK(WORDS("기업은 로봇으로", "기업", "로봇"));
    CHECK(WORDS("공장에서 생산", "공장", "생산"));
    CHECK(WORDS("부품들을", "부품"));
    CHECK(WORDS("배터리용으로", "배터리용")); /* 으로 goes; 용 stays (see below) */
    /* Nouns that merely end like a particle keep their ending. */
    CHECK(WORDS("디스플레이", "디스플레이"));
    CHECK(WORDS("회로", "회로"));
    /* At least two syllables must remain. */
    CHECK(WORDS("책을", "책을"));
    CHECK(WORDS("물의", "물의"));
    /* Latin words are not stripped. */
    CHECK(WORDS("Neon", "neon"));
}

TEST(spans_point_to_surface_text) {
    const char *text = "  IoT기반 배터리를, ＡＩ  2차전지";
    igc_words w = {0};
    REQUIRE(igc_text_words(text, &w) == 0);
    static const char *surf[] = {"IoT", "기반", "배터리를", "ＡＩ", "2차전지"};
    static const char *norm[] = {"iot", "기반", "배터리", "ai", "2차전지"};
    REQUIRE(w.n == 5);
    for (size_t i = 0; i < 5; i++) {
        CHECK(w.w[i].start < w.w[i].end);
        CHECK(w.w[i].end <= strlen(text));
        size_t len = w.w[i].end - w.w[i].start;
        CHECK_EQ_INT(len, strlen(surf[i]));
        CHECK(strncmp(text + w.w[i].start, surf[i], len) == 0);
        CHECK_EQ_STR(w.w[i].norm, norm[i]);
    }
    igc_text_words_free(&w);
    CHECK(w.w == NULL);
    CHECK_EQ_INT(w.n, 0);
}

TEST(words_append_across_calls) {
    igc_words w = {0};
    REQUIRE(igc_text_words("로봇 제어", &w) == 0);
    REQUIRE(igc_text_words("자율주행", &w) == 0);
    REQUIRE(w.n == 3);
    CHECK_EQ_STR(w.w[0].norm, "로봇");
    CHECK_EQ_STR(w.w[2].norm, "자율주행");
    /* Spans of the second call refer to the second text. */
    CHECK_EQ_INT(w.w[2].start, 0);
    CHECK_EQ_INT(w.w[2].end, strlen("자율주행"));
    igc_text_words_free(&w);
}

TEST(empty_and_separator_only) {
    igc_words w = {0};
    CHECK_EQ_INT(igc_text_words("", &w), 0);
    CHECK_EQ_INT(w.n, 0);
    CHECK_EQ_INT(igc_text_words(" ,.!? \xE3\x80\x80 () ", &w), 0);
    CHECK_EQ_INT(w.n, 0);
    CHECK_EQ_INT(igc_text_words(NULL, &w), 0);
    CHECK_EQ_INT(w.n, 0);
    igc_text_words_free(&w);
}

TEST(invalid_utf8_does_not_crash) {
    igc_words w = {0};
    const char text[] = "배터리\xFF\xFE소재 \xE3\x80 abc\xC0";
    CHECK_EQ_INT(igc_text_words(text, &w), 0);
    for (size_t i = 0; i < w.n; i++) {
        CHECK(w.w[i].end <= strlen(text));
        CHECK(igc_utf8_valid(w.w[i].norm, strlen(w.w[i].norm)));
    }
    igc_text_words_free(&w);
}

/* ---- features ---- */

static size_t count_kind(const igc_feats *f, int kind) {
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) n += f->f[i].kind == kind;
    return n;
}

static int has_feat(const igc_feats *f, int kind, const char *s, uint32_t word) {
    uint64_t id = igc_text_feat_id(kind, s, strlen(s));
    for (size_t i = 0; i < f->n; i++)
        if (f->f[i].kind == kind && f->f[i].id == id && f->f[i].word == word) return 1;
    return 0;
}

TEST(features_of_hangul_word) {
    igc_feats f = {0};
    REQUIRE(igc_text_features_of("배터리양극재", &f) == 0);
    /* 6 syllables: the word, 5 bigrams, 4 trigrams. */
    CHECK_EQ_INT(count_kind(&f, IGC_FEAT_WORD), 1);
    CHECK_EQ_INT(count_kind(&f, IGC_FEAT_BI), 5);
    CHECK_EQ_INT(count_kind(&f, IGC_FEAT_TRI), 4);
    CHECK(has_feat(&f, IGC_FEAT_WORD, "배터리양극재", 0));
    static const char *bi[] = {"배터", "터리", "리양", "양극", "극재"};
    static const char *tri[] = {"배터리", "터리양", "리양극", "양극재"};
    for (int i = 0; i < 5; i++) CHECK(has_feat(&f, IGC_FEAT_BI, bi[i], 0));
    for (int i = 0; i < 4; i++) CHECK(has_feat(&f, IGC_FEAT_TRI, tri[i], 0));
    igc_text_feats_free(&f);
    CHECK(f.f == NULL);
    CHECK_EQ_INT(f.n, 0);
}

TEST(features_of_short_words) {
    igc_feats f = {0};
    /* Two syllables: the word is its own bigram; three: no trigram beyond the word. */
    REQUIRE(igc_text_features_of("로봇 배터리", &f) == 0);
    CHECK_EQ_INT(count_kind(&f, IGC_FEAT_WORD), 2);
    CHECK_EQ_INT(count_kind(&f, IGC_FEAT_BI), 2);
    CHECK_EQ_INT(count_kind(&f, IGC_FEAT_TRI), 0);
    CHECK(has_feat(&f, IGC_FEAT_WORD, "로봇", 0));
    CHECK(has_feat(&f, IGC_FEAT_BI, "배터", 1));
    CHECK(has_feat(&f, IGC_FEAT_BI, "터리", 1));
    igc_text_feats_free(&f);
}

TEST(latin_words_have_no_ngrams) {
    igc_feats f = {0};
    REQUIRE(igc_text_features_of("LiDAR sensor 5G", &f) == 0);
    CHECK_EQ_INT(f.n, 3);
    CHECK_EQ_INT(count_kind(&f, IGC_FEAT_WORD), 3);
    CHECK(has_feat(&f, IGC_FEAT_WORD, "lidar", 0));
    CHECK(has_feat(&f, IGC_FEAT_WORD, "sensor", 1));
    CHECK(has_feat(&f, IGC_FEAT_WORD, "5g", 2));
    igc_text_feats_free(&f);
}

TEST(features_use_normalised_word_and_source_index) {
    igc_words w = {0};
    REQUIRE(igc_text_words("스마트IoT 배터리를", &w) == 0);
    REQUIRE(w.n == 3);
    igc_feats f = {0};
    REQUIRE(igc_text_features(&w, 0, &f) == 0);
    CHECK(has_feat(&f, IGC_FEAT_WORD, "iot", 1));
    CHECK(has_feat(&f, IGC_FEAT_WORD, "배터리", 2));
    CHECK(!has_feat(&f, IGC_FEAT_WORD, "배터리를", 2));
    CHECK(!has_feat(&f, IGC_FEAT_BI, "리를", 2));
    for (size_t i = 0; i < f.n; i++) CHECK(f.f[i].word < w.n);
    /* from skips earlier words; indices still refer to the whole list. */
    igc_feats g = {0};
    REQUIRE(igc_text_features(&w, 2, &g) == 0);
    CHECK(g.n > 0);
    for (size_t i = 0; i < g.n; i++) CHECK_EQ_INT(g.f[i].word, 2);
    igc_text_feats_free(&g);
    igc_text_feats_free(&f);
    igc_text_words_free(&w);
}

TEST(feature_ids_equal_for_equal_strings) {
    CHECK(igc_text_feat_id(IGC_FEAT_WORD, "배터리", strlen("배터리")) ==
          igc_text_feat_id(IGC_FEAT_WORD, "배터리를", strlen("배터리")));
    CHECK(igc_text_feat_id(IGC_FEAT_WORD, "배터", 6) != igc_text_feat_id(IGC_FEAT_BI, "배터", 6));
    CHECK(igc_text_feat_id(IGC_FEAT_BI, "배터", 6) != igc_text_feat_id(IGC_FEAT_BI, "터리", 6));
    /* The same word in different texts (and surface forms) gets the same id. */
    igc_feats a = {0}, b = {0};
    REQUIRE(igc_text_features_of("리튬이온 배터리", &a) == 0);
    REQUIRE(igc_text_features_of("배터리를 사용한", &b) == 0);
    uint64_t id = igc_text_feat_id(IGC_FEAT_WORD, "배터리", strlen("배터리"));
    int in_a = 0, in_b = 0;
    for (size_t i = 0; i < a.n; i++) in_a |= a.f[i].id == id;
    for (size_t i = 0; i < b.n; i++) in_b |= b.f[i].id == id;
    CHECK(in_a && in_b);
    igc_text_feats_free(&a);
    igc_text_feats_free(&b);
    /* Case-folding makes Latin variants equal. */
    igc_feats c = {0}, d = {0};
    REQUIRE(igc_text_features_of("BIM", &c) == 0);
    REQUIRE(igc_text_features_of("bim", &d) == 0);
    REQUIRE(c.n == 1 && d.n == 1);
    CHECK(c.f[0].id == d.f[0].id);
    igc_text_feats_free(&c);
    igc_text_feats_free(&d);
}

TEST(features_append) {
    igc_feats f = {0};
    REQUIRE(igc_text_features_of("AI", &f) == 0);
    REQUIRE(igc_text_features_of("5G", &f) == 0);
    CHECK_EQ_INT(f.n, 2);
    igc_text_feats_free(&f);
}

/* A very long Hangul run must still yield only true 2- and 3-syllable n-grams. */
TEST(long_word_ngrams_are_exact) {
    enum { SYL = 300 };
    char *text = malloc(SYL * 3 + 1);
    REQUIRE(text != NULL);
    for (int i = 0; i < SYL; i++) igc_utf8_encode(0xAC00 + (uint32_t)(i * 7 % 11172), text + i * 3);
    text[SYL * 3] = '\0';
    igc_feats f = {0};
    REQUIRE(igc_text_features_of(text, &f) == 0);
    size_t bad = 0, nbi = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (f.f[i].kind == IGC_FEAT_WORD) continue;
        int g = f.f[i].kind == IGC_FEAT_BI ? 2 : 3;
        nbi += g == 2;
        int found = 0;
        for (int a = 0; a + g <= SYL && !found; a++)
            found = igc_text_feat_id(f.f[i].kind, text + a * 3, (size_t)g * 3) == f.f[i].id;
        bad += !found;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(nbi > 0);
    igc_text_feats_free(&f);
    free(text);
}

/* Every stop word is found (the table is searched by halves: one out of order would
 * hide others), and words around them in byte order are not. */
TEST(stopwords) {
    static const char *stop[] = {"및", "등", "기타", "제조", "제조업", "서비스", "서비스업", "제품", "개발", "판매",
                                 "생산", "공급", "사업", "기술", "관련", "위한", "이용", "활용", "기반", "시스템",
                                 "장비", "부품", "소재", "분야", "외", "용", "것", "수", "the", "and", "of", "for",
                                 /* words of KSIC names that say nothing of a product (특수 목적용 기계 제조업) */
                                 "공급업", "도매업", "소매업", "판매업", "개발업", "특수", "목적용"};
    for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++) CHECK(igc_text_is_stopword(stop[i]));
    static const char *keep[] = {"배터리", "반도체", "로봇", "bim", "", "제조장비", "a", "zz", "힣", "서비", "기계"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) CHECK(!igc_text_is_stopword(keep[i]));
}

/* 용 is not stripped: several nouns of the taxonomy's own text end in it
 * (재활용 "recycling", 재사용, 부작용, 상호작용), and cutting them yields another
 * word (재활 is "rehabilitation"), the same reason 이/로 are left alone. 의료용
 * still shares its bigram 의료 with 의료. */
TEST(nouns_ending_in_yong_keep_it) {
    CHECK(WORDS("의료용", "의료용"));
    CHECK(WORDS("재활용", "재활용"));
    CHECK(WORDS("재사용", "재사용"));
    CHECK(WORDS("부작용", "부작용"));
    CHECK(WORDS("상호작용", "상호작용"));
    /* And the word stays apart from 재활 (rehabilitation). */
    igc_feats a = {0}, b = {0};
    REQUIRE(igc_text_features_of("재활용", &a) == 0);
    REQUIRE(igc_text_features_of("재활", &b) == 0);
    REQUIRE(a.n > 0 && b.n > 0);
    uint64_t wa = 0, wb = 0;
    for (size_t i = 0; i < a.n; i++)
        if (a.f[i].kind == IGC_FEAT_WORD) wa = a.f[i].id;
    for (size_t i = 0; i < b.n; i++)
        if (b.f[i].kind == IGC_FEAT_WORD) wb = b.f[i].id;
    CHECK(wa != wb);
    igc_text_feats_free(&a);
    igc_text_feats_free(&b);
}

IGC_TEST_MAIN(TEST_ENTRY(hangul_and_latin_runs), TEST_ENTRY(digits_join_following_hangul),
              TEST_ENTRY(latin_hangul_boundary), TEST_ENTRY(lower_case_and_full_width),
              TEST_ENTRY(particles_are_stripped), TEST_ENTRY(nouns_ending_in_yong_keep_it), TEST_ENTRY(spans_point_to_surface_text),
              TEST_ENTRY(words_append_across_calls), TEST_ENTRY(empty_and_separator_only),
              TEST_ENTRY(invalid_utf8_does_not_crash), TEST_ENTRY(features_of_hangul_word),
              TEST_ENTRY(features_of_short_words), TEST_ENTRY(latin_words_have_no_ngrams),
              TEST_ENTRY(features_use_normalised_word_and_source_index),
              TEST_ENTRY(feature_ids_equal_for_equal_strings), TEST_ENTRY(features_append),
              TEST_ENTRY(long_word_ngrams_are_exact), TEST_ENTRY(stopwords))
