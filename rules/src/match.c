/*
 * How rules find their words in a firm's text (text.has_any, ctx:has_any and
 * friends). Policy staff write plain words ("제조", "ESS"); this file decides
 * where such a word counts:
 *
 *  - Korean words attach particles and other nouns without a space
 *    ("제조를", "화장품제조", "제조및판매"), so a Hangul word may start and end
 *    inside an input word;
 *  - a Latin word (letters, digits) must not touch another Latin letter or
 *    digit: "ESS" is not in "process", "5G" is not in "5GHz";
 *  - spacing may differ ("판매 대행" = "판매대행", "총 판" = "총판"), but a
 *    match that jumps over a space of the input must begin at the start of
 *    an input word and end at the end of one (particles allowed), so "가공"
 *    is not found in "추가 공급" nor "총판" in "총 판매량";
 *  - an occurrence inside a listed compound ("제조" in "제조사", the firm's
 *    supplier) does not count, unless that compound is itself part of a
 *    listed exception ("제조사업" is 제조 + 사업).
 *
 * Texts and words are first folded (fold()): ASCII lower-cased, every run of
 * white space (ASCII, U+3000, U+00A0) one space, none at the ends.
 */
#include <stdint.h>
#include <string.h>

#include "rules_int.h"

static int is_space_byte(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Eight bytes at a time: fold_special() sets the high bit of each byte
 * fold() must look at (white space and other bytes below ' ', the lead bytes
 * 0xC2 and 0xE3, 'A'..'Z'), fold_space() that of each ' '. The lowest set bit
 * of either is exact (borrows and carries only run upwards); above it a '!'
 * may show as a space, which only sends that chunk the slow way. Input texts
 * are mostly runs of Hangul and lower-case letters between single spaces,
 * which fold() leaves as they are. */
#define FOLD_ONES ((uint64_t)0x0101010101010101)
#define FOLD_HIGH ((uint64_t)0x8080808080808080)

static uint64_t fold_special(uint64_t x) {
    uint64_t lt = (x - FOLD_ONES * 0x20) & ~x;
    uint64_t c2 = x ^ (FOLD_ONES * 0xC2), e3 = x ^ (FOLD_ONES * 0xE3);
    c2 = (c2 - FOLD_ONES) & ~c2;
    e3 = (e3 - FOLD_ONES) & ~e3;
    uint64_t low = x & (FOLD_ONES * 0x7F);
    uint64_t up = (FOLD_ONES * (127 + 0x5B) - low) & ~x & (low + FOLD_ONES * (127 - 0x40));
    return (lt | c2 | e3 | up) & FOLD_HIGH;
}

static uint64_t fold_space(uint64_t x) {
    uint64_t sp = x ^ (FOLD_ONES * 0x20);
    return (sp - FOLD_ONES) & ~sp & FOLD_HIGH;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FOLD_SWAR 1
#else
#define FOLD_SWAR 0
#endif

/* How many of the eight bytes x (in memory order) fold() copies unchanged,
 * given its state before them: visible bytes, and lone spaces that neither
 * follow a blank run or the text's start, nor touch another space, nor end
 * the run (the byte after it is not known here). */
static size_t fold_run(uint64_t x, int pending, size_t n) {
    uint64_t sp = fold_special(x), blank = fold_space(x);
    size_t k = sp ? (size_t)__builtin_ctzll(sp) >> 3 : 8;
    if (k < 8) blank &= ((uint64_t)1 << (8 * k)) - 1;
    if (!blank) return k;
    if ((blank & (blank << 8)) || ((blank & 0x80) && (pending || n == 0)))
        return (size_t)__builtin_ctzll(blank) >> 3;
    size_t last = (size_t)(63 - __builtin_clzll(blank)) >> 3;
    return last == k - 1 ? last : k;
}

size_t igc__rules_fold(char *dst, const char *src, size_t len) {
    size_t n = 0;
    int pending = 0; /* a space to write before the next visible character */
    for (size_t i = 0; i < len;) {
        if (FOLD_SWAR && i + 8 <= len) {
            uint64_t x;
            memcpy(&x, src + i, 8);
            size_t k = fold_run(x, pending, n);
            if (k) {
                if (pending) dst[n++] = ' ';
                pending = 0;
                memcpy(dst + n, &x, 8); /* only the first k count: n <= i and i + 8 <= len */
                n += k;
                i += k;
                continue;
            }
        }
        unsigned char c = (unsigned char)src[i];
        /* Most bytes are Hangul continuation bytes or lower-case ASCII. */
        if (c > ' ' && c != 0xC2 && c != 0xE3 && !(c >= 'A' && c <= 'Z')) {
            if (pending) dst[n++] = ' ';
            pending = 0;
            dst[n++] = (char)c;
            i++;
            continue;
        }
        size_t sp = 0;
        if (is_space_byte(c))
            sp = 1;
        else if (c == 0xE3 && i + 2 < len && (unsigned char)src[i + 1] == 0x80 && (unsigned char)src[i + 2] == 0x80)
            sp = 3; /* U+3000 */
        else if (c == 0xC2 && i + 1 < len && (unsigned char)src[i + 1] == 0xA0)
            sp = 2; /* U+00A0 */
        if (sp) {
            pending = n > 0;
            i += sp;
            continue;
        }
        if (pending) dst[n++] = ' ';
        pending = 0;
        dst[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        i++;
    }
    return n;
}

uint64_t igc__rules_byte_mask(const char *s, size_t n) {
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++) m |= (uint64_t)1 << ((unsigned char)s[i] & 63);
    return m;
}

/* ---- code points ---- */

/* The code point starting at s[0] (n bytes available); malformed bytes read
 * as U+FFFD one byte long. */
static uint32_t cp_at(const char *s, size_t n, size_t *clen) {
    const unsigned char *u = (const unsigned char *)s;
    size_t need = u[0] < 0x80 ? 1 : u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 0;
    if (!need || need > n) {
        *clen = 1;
        return 0xFFFD;
    }
    uint32_t cp = need == 1 ? u[0] : (uint32_t)u[0] & (0x7Fu >> need);
    for (size_t k = 1; k < need; k++) {
        if ((u[k] & 0xC0) != 0x80) {
            *clen = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (u[k] & 0x3F);
    }
    *clen = need;
    return cp;
}

/* The code point that ends at t[i] (i > 0). */
static uint32_t cp_before(const char *t, size_t i) {
    size_t j = i - 1, clen;
    while (j > 0 && i - j < 4 && ((unsigned char)t[j] & 0xC0) == 0x80) j--;
    uint32_t cp = cp_at(t + j, i - j, &clen);
    return j + clen == i ? cp : 0xFFFD;
}

static int is_latin(uint32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7);
}

static int is_hangul_syllable(uint32_t c) { return c >= 0xAC00 && c <= 0xD7A3; }

/* Letters and digits of the scripts the inputs use; everything else (space,
 * punctuation, '·', 'ㆍ' U+318D, '，') separates words. */
static int is_letter(uint32_t c) {
    return is_latin(c) || is_hangul_syllable(c) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3131 && c <= 0x318C) ||
           (c >= 0xA960 && c <= 0xA97F) || (c >= 0xD7B0 && c <= 0xD7FF) || (c >= 0x0370 && c <= 0x052F) ||
           (c >= 0x3041 && c <= 0x30FA) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
           (c >= 0xFF41 && c <= 0xFF5A) || (c >= 0xFFA0 && c <= 0xFFDC);
}

static int ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A word beginning (ending) with a Latin letter or digit must not have one
 * right before (after) it in the text. */
static int latin_edges_ok(const char *t, size_t tn, size_t s, size_t e, const char *w, size_t wn) {
    size_t clen;
    if (ascii_alnum((unsigned char)w[0]) && s > 0 && is_latin(cp_before(t, s))) return 0;
    if (ascii_alnum((unsigned char)w[wn - 1]) && e < tn && is_latin(cp_at(t + e, tn - e, &clen))) return 0;
    return 1;
}

/* ---- spacing ---- */

/* What may follow a word whose match jumped over an input space, inside the
 * same input word: particles, 하다 endings and the suffixes 업/용/등. Longest
 * first. */
static const char *const PARTICLES[] = {
    "으로부터", "로부터", "으로서", "으로써", "에서", "에게", "으로", "로서", "로써", "하는", "하며", "하고", "하여",
    "해서", "이며", "이고", "이나", "까지", "부터", "을", "를", "이", "가", "은", "는", "의", "에", "로", "와",
    "과", "도", "만", "및", "등", "들", "용", "업", "한", "함", "해", "할", "인", "나",
};

/* Whether the Hangul syllables from t[e] to the end of that run are all
 * particles (none is fine). */
static int particles_only(const char *t, size_t tn, size_t e) {
    size_t end = e, clen;
    while (end < tn && is_hangul_syllable(cp_at(t + end, tn - end, &clen))) end += clen;
    while (e < end) {
        size_t best = 0;
        for (size_t k = 0; k < sizeof PARTICLES / sizeof PARTICLES[0]; k++) {
            size_t pn = strlen(PARTICLES[k]);
            if (pn <= end - e && memcmp(t + e, PARTICLES[k], pn) == 0) {
                best = pn;
                break;
            }
        }
        if (!best) return 0;
        e += best;
    }
    return 1;
}

/* Whether t[s] starts an input word (nothing but a separator before it). */
static int word_start(const char *t, size_t s) { return s == 0 || !is_letter(cp_before(t, s)); }

/* Length of the text that w matches at t[s] (0: no match). A space in w
 * may be absent in t; a space in t that w lacks is jumped over only when the
 * match starts an input word, and *jumped says whether that happened. */
static size_t match_at(const char *t, size_t tn, size_t s, const char *w, size_t wn, int *jumped) {
    size_t i = s, j = 0;
    int may_jump = -1; /* not known yet: most matches never need it */
    *jumped = 0;
    while (j < wn) {
        if (w[j] == ' ') {
            j++;
            if (i < tn && t[i] == ' ') i++;
        } else if (i < tn && t[i] == w[j]) {
            i++;
            j++;
        } else if (i > s && i < tn && t[i] == ' ') {
            if (may_jump < 0) may_jump = word_start(t, s);
            if (!may_jump) return 0;
            i++;
            *jumped = 1;
        } else {
            return 0;
        }
    }
    return i - s;
}

/* ---- compounds ---- */

/* First occurrence of needle (nn > 0 bytes) in hay, or NULL. */
static const char *find_bytes(const char *hay, size_t hn, const char *needle, size_t nn) {
    while (hn >= nn) {
        const char *p = memchr(hay, needle[0], hn - nn + 1);
        if (!p) return NULL;
        if (memcmp(p, needle, nn) == 0) return p;
        hn -= (size_t)(p - hay) + 1;
        hay = p + 1;
    }
    return NULL;
}

/* Whether the text t[s..s+n) (byte mask m) is inside an occurrence of a
 * listed word of cs->word[from..to) longer than n; *at gets that
 * occurrence's start and *len its length. */
static int inside_listed(const char *t, size_t tn, size_t s, size_t n, uint64_t m, const igc__rules_compounds *cs,
                         size_t from, size_t to, size_t *at, size_t *len) {
    for (size_t k = from; k < to; k++) {
        const char *c = cs->word[k];
        size_t cn = cs->len[k];
        if (cn <= n || (m & ~cs->mask[k])) continue; /* too short, or lacks one of the bytes */
        for (const char *p = c; (size_t)(c + cn - p) >= n;) {
            const char *hit = find_bytes(p, (size_t)(c + cn - p), t + s, n);
            if (!hit) break;
            size_t off = (size_t)(hit - c);
            p = hit + 1;
            if (off > s || s - off + cn > tn) continue;
            size_t cs0 = s - off;
            if (memcmp(t + cs0, c, cn) != 0 || !latin_edges_ok(t, tn, cs0, cs0 + cn, c, cn)) continue;
            *at = cs0;
            *len = cn;
            return 1;
        }
    }
    return 0;
}

/* Whether the occurrence t[s..s+n) belongs to a compound, that is, lies
 * inside a listed compound that no listed exception covers. */
static int in_compound(const char *t, size_t tn, size_t s, size_t n, const igc__rules_compounds *cs) {
    if (!cs || !cs->ncomp) return 0;
    /* Each compound that covers the occurrence is tried in turn: "제조사업"
     * breaks "제조사", but "제조업체" may still hold. */
    uint64_t m = igc__rules_byte_mask(t + s, n);
    for (size_t k = 0; k < cs->ncomp; k++) {
        size_t at, len, xat, xlen;
        if (!inside_listed(t, tn, s, n, m, cs, k, k + 1, &at, &len)) continue;
        if (!cs->nexc || !inside_listed(t, tn, at, len, cs->mask[k], cs, cs->ncomp, cs->ncomp + cs->nexc, &xat, &xlen))
            return 1;
    }
    return 0;
}

int igc__rules_find(const char *t, size_t tn, const char *w, size_t wn, const igc__rules_compounds *cs) {
    if (!wn) return 0;
    for (size_t s = 0; s < tn;) {
        const char *p = memchr(t + s, w[0], tn - s);
        if (!p) return 0;
        s = (size_t)(p - t);
        size_t at = s++;
        /* Hangul lead bytes repeat every few bytes: look at the next byte
         * before the full comparison (a space there may still be jumped). */
        if (wn > 1 && at + 1 < tn && t[at + 1] != w[1] && t[at + 1] != ' ' && w[1] != ' ') continue;
        int jumped;
        size_t n = match_at(t, tn, at, w, wn, &jumped);
        if (!n || !latin_edges_ok(t, tn, at, at + n, w, wn)) continue;
        /* A match that jumped an input space must end its input word too,
         * but for particles (a Latin end is bounded by latin_edges_ok). */
        if (jumped && !ascii_alnum((unsigned char)w[wn - 1]) && !particles_only(t, tn, at + n)) continue;
        if (in_compound(t, tn, at, n, cs)) continue;
        return 1;
    }
    return 0;
}
