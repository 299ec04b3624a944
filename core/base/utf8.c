#include <ctype.h>
#include <string.h>

#include "igc_base.h"

int igc_utf8_decode(const char *str, size_t len, uint32_t *cp) {
    const unsigned char *s = (const unsigned char *)str;
    if (!len) return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) { n = 2; c = s[0] & 0x1F; min = 0x80; }
    else if ((s[0] & 0xF0) == 0xE0) { n = 3; c = s[0] & 0x0F; min = 0x800; }
    else if ((s[0] & 0xF8) == 0xF0) { n = 4; c = s[0] & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)n > len) return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n;
}

int igc_utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12)); o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F)); return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18)); o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t igc_utf8_text_end(const char *s, size_t n) {
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        int k = igc_utf8_decode(s + i, n - i, &cp);
        if (k <= 0 || cp == 0) return i;
        i += (size_t)k;
    }
    return n;
}

int igc_utf8_valid(const char *s, size_t n) {
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        int k = igc_utf8_decode(s + i, n - i, &cp);
        if (k <= 0) return 0;
        i += (size_t)k;
    }
    return 1;
}

size_t igc_utf8_len(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

static int is_space_at(const char *s, size_t *w) {
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') { *w = 1; return 1; }
    /* U+3000 IDEOGRAPHIC SPACE and U+00A0 NO-BREAK SPACE appear in pasted Korean text. */
    if (c == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) { *w = 3; return 1; }
    if (c == 0xC2 && (unsigned char)s[1] == 0xA0) { *w = 2; return 1; }
    return 0;
}

int igc_blank(const char *s) {
    if (!s) return 1;
    size_t w;
    while (*s) {
        if (!is_space_at(s, &w)) return 0;
        s += w;
    }
    return 1;
}

/* Code points that carry no content of their own: punctuation and symbols of the
 * Latin-1, General Punctuation, CJK and full-width blocks (letters and digits of any
 * script, Hangul among them, count as content). */
static int is_mark(uint32_t cp) {
    return (cp >= 0xA0 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
           (cp >= 0x2190 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF0F) ||
           (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65);
}

int igc_no_content(const char *s) {
    if (!s) return 1;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (isalnum(c)) return 0;
            i++;
            continue;
        }
        uint32_t cp;
        int w = igc_utf8_decode(s + i, len - i, &cp);
        if (w <= 0) return 0; /* not valid UTF-8: the caller's check says so */
        if (!is_mark(cp)) return 0;
        i += (size_t)w;
    }
    return 1;
}

char *igc_trim(char *s) {
    if (!s) return s;
    size_t w, start = 0, len = strlen(s);
    while (s[start] && is_space_at(s + start, &w)) start += w;
    size_t end = start, i = start;
    while (s[i]) {
        if (is_space_at(s + i, &w)) { i += w; continue; }
        i++;
        while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        end = i;
    }
    (void)len;
    memmove(s, s + start, end - start);
    s[end - start] = '\0';
    return s;
}
