#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_text.h"

enum { C_SEP, C_HANGUL, C_LATIN, C_DIGIT };

static int classify(uint32_t cp) {
    if (cp >= 0xAC00 && cp <= 0xD7A3) return C_HANGUL;
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return C_LATIN;
    if (cp >= '0' && cp <= '9') return C_DIGIT;
    /* Full-width Latin letters and digits are folded below. */
    if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A)) return C_LATIN;
    if (cp >= 0xFF10 && cp <= 0xFF19) return C_DIGIT;
    return C_SEP;
}

static uint32_t fold(uint32_t cp) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0; /* full-width ASCII */
    if (cp >= 'A' && cp <= 'Z') cp += 32;
    return cp;
}

/* Particles and light endings stripped from the end of Hangul words, longest first.
 * Only stripped when at least two syllables remain. 이/가/도/만/로/용 are left alone:
 * too many nouns end in them (디스플레이, 회로, 재활용). */
#define SUF(s) {s, sizeof s - 1} /* with its length in bytes, known when compiled */
static const struct {
    const char *s;
    size_t n;
} suffixes[] = {
    SUF("에서의"), SUF("으로서"), SUF("으로써"), SUF("에서는"), SUF("으로는"), SUF("에서"), SUF("으로"), SUF("에게"),
    SUF("부터"),   SUF("까지"),   SUF("처럼"),   SUF("보다"),   SUF("하는"),   SUF("되는"), SUF("하여"), SUF("위한"),
    SUF("대한"),   SUF("관한"),   SUF("에는"),   SUF("과의"),   SUF("와의"),   SUF("들을"), SUF("들의"), SUF("들이"),
    SUF("을"),     SUF("를"),     SUF("은"),     SUF("는"),     SUF("의"),     SUF("에"),   SUF("와"),   SUF("과"),
    SUF("들"),     SUF("등"),     {NULL, 0}};

static size_t syllables(const char *s) { return igc_utf8_len(s); }

static void strip_particles(char *w) {
    size_t len = strlen(w);
    for (int round = 0; round < 2; round++) {
        int stripped = 0;
        for (int i = 0; suffixes[i].s; i++) {
            size_t sl = suffixes[i].n;
            /* the last byte first: it rules out almost every suffix without a call */
            if (len > sl && w[len - 1] == suffixes[i].s[sl - 1] && memcmp(w + len - sl, suffixes[i].s, sl) == 0) {
                w[len - sl] = '\0';
                if (syllables(w) >= 2) {
                    len -= sl;
                    stripped = 1;
                    break;
                }
                w[len - sl] = suffixes[i].s[0];
            }
        }
        if (!stripped) break;
    }
}

static int push_word(igc_words *out, const char *norm, size_t nlen, size_t start, size_t end, int hangul) {
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        igc_word *w = realloc(out->w, cap * sizeof *w);
        if (!w) return IGC_ENOMEM;
        out->w = w;
        out->cap = cap;
    }
    char *s = malloc(nlen + 1);
    if (!s) return IGC_ENOMEM;
    memcpy(s, norm, nlen);
    s[nlen] = '\0';
    if (hangul) strip_particles(s);
    out->w[out->n++] = (igc_word){s, start, end, hangul};
    return 0;
}

int igc_text_words(const char *text, igc_words *out) {
    if (!text) return 0;
    size_t len = strlen(text), i = 0;
    igc_buf cur = {0};
    size_t wstart = 0, wend = 0;
    int wclass = C_SEP, has_hangul = 0, rc = 0;
    while (i <= len) {
        uint32_t cp = 0;
        int k = i < len ? igc_utf8_decode(text + i, len - i, &cp) : 1;
        if (k <= 0) k = 1, cp = ' ';
        int c = i < len ? classify(cp) : C_SEP;
        /* Boundary: separator, or a switch between Hangul and Latin (digits join either). */
        int boundary = c == C_SEP || (wclass == C_HANGUL && c == C_LATIN) ||
                       (wclass == C_LATIN && c == C_HANGUL);
        if (boundary && cur.len) {
            if ((rc = push_word(out, cur.data, cur.len, wstart, wend, has_hangul))) break;
            cur.len = 0;
            wclass = C_SEP;
            has_hangul = 0;
        }
        if (c != C_SEP) {
            if (!cur.len) wstart = i;
            char enc[4];
            int n = igc_utf8_encode(fold(cp), enc);
            if ((rc = igc_buf_append(&cur, enc, (size_t)n))) break;
            wend = i + (size_t)k;
            if (c == C_HANGUL) has_hangul = 1, wclass = C_HANGUL;
            else if (c == C_LATIN) wclass = C_LATIN;
        }
        i += (size_t)k;
    }
    igc_buf_free(&cur);
    return rc;
}

void igc_text_words_free(igc_words *w) {
    for (size_t i = 0; i < w->n; i++) free(w->w[i].norm);
    free(w->w);
    memset(w, 0, sizeof *w);
}

uint64_t igc_text_feat_id(int kind, const char *s, size_t n) {
    return igc_hash64(s, n, (uint64_t)kind * 0x9E3779B97F4A7C15ULL);
}

static int push_feat(igc_feats *out, uint64_t id, uint32_t word, uint8_t kind) {
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        igc_feat *f = realloc(out->f, cap * sizeof *f);
        if (!f) return IGC_ENOMEM;
        out->f = f;
        out->cap = cap;
    }
    out->f[out->n++] = (igc_feat){id, word, kind};
    return 0;
}

int igc_text_features(const igc_words *words, size_t from, igc_feats *out) {
    for (size_t wi = from; wi < words->n; wi++) {
        const char *s = words->w[wi].norm;
        size_t n = strlen(s);
        if (!n) continue;
        if (push_feat(out, igc_text_feat_id(IGC_FEAT_WORD, s, n), (uint32_t)wi, IGC_FEAT_WORD)) return IGC_ENOMEM;
        if (!words->w[wi].hangul) continue;
        /* Byte offsets of each code point, for syllable n-grams. */
        /* Only the first 255 syllables of an (absurdly) long word yield n-grams. */
        size_t offs[256], m = 0, i = 0;
        while (i < n && m < 255) {
            offs[m++] = i;
            uint32_t cp;
            int k = igc_utf8_decode(s + i, n - i, &cp);
            i += k > 0 ? (size_t)k : 1;
        }
        offs[m] = i;
        if (m < 3) continue; /* a 2-syllable word is its own bigram */
        for (int g = 2; g <= 3; g++) {
            for (size_t a = 0; a + (size_t)g <= m; a++) {
                uint8_t kind = g == 2 ? IGC_FEAT_BI : IGC_FEAT_TRI;
                if (g == 3 && m == 3) break; /* the trigram is the word itself */
                uint64_t id = igc_text_feat_id(kind, s + offs[a], offs[a + (size_t)g] - offs[a]);
                if (push_feat(out, id, (uint32_t)wi, kind)) return IGC_ENOMEM;
            }
        }
    }
    return 0;
}

int igc_text_features_of(const char *text, igc_feats *out) {
    igc_words w = {0};
    int rc = igc_text_words(text, &w);
    if (!rc) rc = igc_text_features(&w, 0, out);
    igc_text_words_free(&w);
    return rc;
}

void igc_text_feats_free(igc_feats *f) {
    free(f->f);
    memset(f, 0, sizeof *f);
}

static int cmp_word(const void *a, const void *b) { return strcmp(a, *(const char *const *)b); }

int igc_text_is_stopword(const char *w) {
    /* in byte order, for bsearch: asked for every word of every candidate's keywords */
    static const char *const stop[] = {
        "and", "for", "of", "the", "개발", "개발업", "것", "공급", "공급업", "관련", "기반", "기술", "기타",
        "도매업", "등", "목적용", "및", "부품", "분야", "사업", "생산", "서비스", "서비스업", "소매업", "소재", "수", "시스템",
        "외", "용", "위한", "이용", "장비", "제조", "제조업", "제품", "특수", "판매", "판매업", "활용"};
    return bsearch(w, stop, sizeof stop / sizeof *stop, sizeof *stop, cmp_word) != NULL;
}
