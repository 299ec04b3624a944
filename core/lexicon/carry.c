/* Carrying an index-term dictionary over to a new revision through a crosswalk. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "igc_lexicon.h"

#define MAX_XW 64
#define MIN_PHRASE_CP 2
#define MAX_PHRASE_CP 40

static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Code-point bigrams of s (letters and digits only, Latin lower-cased), sorted. */
static size_t bigrams(const char *s, uint64_t **out) {
    size_t n = strlen(s), cap = n + 1, k = 0;
    uint64_t *v = malloc(cap * sizeof *v);
    uint32_t prev = 0;
    if (!v) {
        *out = NULL;
        return 0;
    }
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = igc_utf8_decode(s + i, n - i, &cp);
        if (l <= 0) {
            i++;
            prev = 0;
            continue;
        }
        i += (size_t)l;
        if (cp < 128) {
            if (!isalnum((int)cp)) {
                prev = 0;
                continue;
            }
            cp = (uint32_t)tolower((int)cp);
        } else if (!(cp >= 0xAC00 && cp <= 0xD7A3)) {
            prev = 0;
            continue;
        }
        if (prev && k < cap) v[k++] = ((uint64_t)prev << 32) | cp;
        prev = cp;
    }
    qsort(v, k, sizeof *v, cmp);
    *out = v;
    return k;
}

/* Share of the term's bigrams found in a part's text bigrams (sorted). */
static double similarity(const char *term, const uint64_t *text, size_t ntext) {
    uint64_t *t;
    size_t n = bigrams(term, &t), hit = 0;
    for (size_t i = 0; i < n; i++)
        if (bsearch(&t[i], text, ntext, sizeof *text, cmp)) hit++;
    free(t);
    return n ? (double)hit / (double)n : 0.0;
}

static int has_str(const cJSON *arr, const char *s) {
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0) return 1;
    return 0;
}

static void add_unique(cJSON *arr, const char *s) {
    if (s && *s && !has_str(arr, s)) cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

/* Phrases of an item's name and examples ("(예시) A, B 및 C 등"): its first terms. */
static void draft_terms(const igc_tx_item *it, cJSON *terms) {
    add_unique(terms, it->name);
    char *ex = igc_strdup(it->examples ? it->examples : "");
    if (!ex) return;
    for (char *p = ex; *p; p++)
        if (*p == '\n' || *p == ';') *p = ',';
    char *save = NULL;
    for (char *tok = strtok_r(ex, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *s = tok;
        char *q = strstr(s, "(예시)");
        if (q) s = q + strlen("(예시)");
        /* "A 및 B" are two phrases */
        char *and = strstr(s, " 및 ");
        char *parts[2] = {s, NULL};
        if (and) *and = '\0', parts[1] = and + strlen(" 및 ");
        for (int k = 0; k < 2 && parts[k]; k++) {
            char *t = parts[k];
            while (*t == ' ') t++;
            size_t l = strlen(t);
            while (l && (t[l - 1] == ' ' || t[l - 1] == '.')) t[--l] = '\0';
            if (l > 4 && strcmp(t + l - 4, " 등") == 0) t[l -= 4] = '\0';
            else if (l >= 3 && strcmp(t + l - 3, "등") == 0 && l > 3) t[l -= 3] = '\0';
            while (l && t[l - 1] == ' ') t[--l] = '\0';
            size_t cp = igc_utf8_len(t);
            if (cp >= MIN_PHRASE_CP && cp <= MAX_PHRASE_CP && !strchr(t, '(') && !strchr(t, ')')) add_unique(terms, t);
        }
    }
    free(ex);
}

/* The new code an old confusable item became, when that is one item (not split, not removed). */
static const char *map_one(const igc_crosswalk *cw, const char *old) {
    const igc_xw_row *rows[MAX_XW];
    size_t n = igc_crosswalk_targets(cw, old, rows, MAX_XW);
    if (n != 1 || rows[0]->relation == IGC_XW_REMOVED || rows[0]->relation == IGC_XW_SPLIT) return NULL;
    return rows[0]->to;
}

static cJSON *old_line(cJSON *const *lines, const igc_taxonomy *from, const char *code) {
    const igc_tx_item *it = igc_taxonomy_item(from, code);
    return it ? lines[it - from->items] : NULL;
}

static void review(cJSON *list, const char *kind, const char *code, const char *name, const char *msg) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "kind", kind);
    cJSON_AddStringToObject(r, "code", code);
    cJSON_AddStringToObject(r, "name", name);
    cJSON_AddStringToObject(r, "message", msg);
    cJSON_AddItemToArray(list, r);
}

/* Copies ksic, confusable (mapped) and not-applicable cues of an old line into dst. */
static void merge_rest(const igc_crosswalk *cw, const cJSON *src, cJSON *ksic, cJSON *conf, cJSON *na,
                       const char *self) {
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, "ksic")) if (cJSON_IsString(e)) add_unique(ksic, e->valuestring);
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, "not_applicable_cues")) if (cJSON_IsString(e))
        add_unique(na, e->valuestring);
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, "confusable")) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code"), *cue = cJSON_GetObjectItemCaseSensitive(e, "cue");
        const char *to = cJSON_IsString(c) ? map_one(cw, c->valuestring) : NULL;
        if (!to || !cJSON_IsString(cue) || strcmp(to, self) == 0) continue;
        const cJSON *x;
        int dup = 0;
        cJSON_ArrayForEach(x, conf) dup |= strcmp(cJSON_GetObjectItem(x, "code")->valuestring, to) == 0;
        if (dup) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code", to);
        cJSON_AddStringToObject(o, "cue", cue->valuestring);
        cJSON_AddItemToArray(conf, o);
    }
}

/* A line as the shipped dictionary writes it ({"code": "B60001", "name": ...}: a space
 * after each colon and comma), so staff find an item's line the same way in both
 * revisions' files (lexicon guide, section 2). */
static int print_spaced(const cJSON *v, igc_buf *out) {
    int rc = 0;
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int obj = cJSON_IsObject(v);
        rc = igc_buf_append(out, obj ? "{" : "[", 1);
        const cJSON *c;
        int first = 1;
        cJSON_ArrayForEach(c, v) {
            if (!rc && !first) rc = igc_buf_append(out, ", ", 2);
            first = 0;
            if (!rc && obj) {
                cJSON key = {0};
                key.type = cJSON_String;
                key.valuestring = c->string;
                rc = print_spaced(&key, out);
                if (!rc) rc = igc_buf_append(out, ": ", 2);
            }
            if (!rc) rc = print_spaced(c, out);
        }
        if (!rc) rc = igc_buf_append(out, obj ? "}" : "]", 1);
        return rc;
    }
    char *txt = cJSON_PrintUnformatted(v); /* a string (escaped), number, bool or null */
    if (!txt) return IGC_ENOMEM;
    rc = igc_buf_puts(out, txt);
    free(txt);
    return rc;
}

int igc_lexicon_carry(const char *old_text, size_t len, const igc_crosswalk *cw, igc_buf *out, cJSON *review_list,
                      igc_buf *err) {
    igc_taxonomy *from = igc_crosswalk_from(cw), *to = igc_crosswalk_to(cw);
    cJSON **lines = calloc(from->nitems + 1, sizeof *lines);
    if (!lines) return IGC_ENOMEM;
    int rc = 0;
    size_t lineno = 0;
    for (const char *p = old_text, *end = old_text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        cJSON *o = l ? cJSON_ParseWithLength(p, l) : NULL;
        int blank = 1;
        for (size_t i = 0; i < l; i++) blank &= isspace((unsigned char)p[i]) != 0;
        p += l + 1;
        if (!o) {
            if (!blank && err) igc_buf_printf(err, "%zu번째 줄: JSON이 아닙니다 (이전 색인어 사전)\n", lineno);
            if (!blank) rc = IGC_EPARSE;
            continue;
        }
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
        const igc_tx_item *it = cJSON_IsString(code) ? igc_taxonomy_item(from, code->valuestring) : NULL;
        if (!it || lines[it - from->items]) {
            cJSON_Delete(o);
            continue; /* the old file was validated when loaded; stray lines carry nothing */
        }
        lines[it - from->items] = o;
    }
    const igc_xw_row *rows[MAX_XW];
    for (size_t i = 0; !rc && i < to->nitems; i++) {
        const igc_tx_item *it = &to->items[i];
        size_t ns = igc_crosswalk_sources(cw, it->code, rows, MAX_XW);
        if (ns > MAX_XW) ns = MAX_XW;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code", it->code);
        cJSON_AddStringToObject(o, "name", it->name);
        cJSON *terms = cJSON_AddArrayToObject(o, "terms"), *ksic = cJSON_AddArrayToObject(o, "ksic");
        cJSON *conf = cJSON_AddArrayToObject(o, "confusable"), *na = cJSON_AddArrayToObject(o, "not_applicable_cues");
        int rel = ns ? rows[0]->relation : IGC_XW_NEW;
        char msg[600];
        if (rel == IGC_XW_NEW) {
            draft_terms(it, terms);
            snprintf(msg, sizeof msg, "신설 품목: 명칭·예시에서 색인어 %d개를 뽑았습니다. 색인어·대표 업종코드를 보완해 주십시오.",
                     cJSON_GetArraySize(terms));
            review(review_list, "new", it->code, it->name, msg);
        } else if (rel == IGC_XW_SPLIT) {
            /* this part's share of the old item's terms: each term goes to the part whose
             * name, definition and examples it resembles most; a term like none goes to all */
            const igc_xw_row *parts[MAX_XW];
            size_t np = igc_crosswalk_targets(cw, rows[0]->from, parts, MAX_XW);
            if (np > MAX_XW) np = MAX_XW;
            uint64_t *bg[MAX_XW];
            size_t nbg[MAX_XW];
            for (size_t k = 0; k < np; k++) {
                const igc_tx_item *pi = igc_taxonomy_item(to, parts[k]->to);
                igc_buf t = {0};
                igc_buf_printf(&t, "%s %s %s %s", pi->name, pi->definition, pi->examples ? pi->examples : "",
                               parts[k]->note);
                nbg[k] = bigrams(t.data ? t.data : "", &bg[k]);
                igc_buf_free(&t);
            }
            add_unique(terms, it->name);
            const cJSON *src = old_line(lines, from, rows[0]->from), *e;
            size_t mine = 0, shared = 0;
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, "terms")) {
                if (!cJSON_IsString(e)) continue;
                double best = 0, self = 0;
                for (size_t k = 0; k < np; k++) {
                    double s = similarity(e->valuestring, bg[k], nbg[k]);
                    if (s > best) best = s;
                    if (strcmp(parts[k]->to, it->code) == 0) self = s;
                }
                if (best == 0 || self == best) {
                    if (!has_str(terms, e->valuestring)) best == 0 ? shared++ : mine++;
                    add_unique(terms, e->valuestring);
                }
            }
            for (size_t k = 0; k < np; k++) free(bg[k]);
            draft_terms(it, terms);
            merge_rest(cw, src, ksic, conf, na, it->code);
            snprintf(msg, sizeof msg,
                     "분할 품목(이전 %s %s): 이전 색인어 중 %zu개는 이 품목의 정의와 가장 비슷해 옮겼고, %zu개는 어느 쪽과도 "
                     "닮지 않아 나뉜 품목 모두에 두었습니다. 확인해 주십시오.",
                     rows[0]->from, rows[0]->from_name, mine, shared);
            review(review_list, "split", it->code, it->name, msg);
        } else {
            for (size_t k = 0; k < ns; k++) {
                const cJSON *src = old_line(lines, from, rows[k]->from), *e;
                cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, "terms")) if (cJSON_IsString(e))
                    add_unique(terms, e->valuestring);
                merge_rest(cw, src, ksic, conf, na, it->code);
            }
            if (rel == IGC_XW_MERGED) {
                igc_buf srcs = {0};
                for (size_t k = 0; k < ns; k++) igc_buf_printf(&srcs, "%s%s %s", k ? ", " : "", rows[k]->from, rows[k]->from_name);
                snprintf(msg, sizeof msg, "통합 품목(%s): 색인어를 합쳤습니다 (%d개). 겹치거나 범위를 벗어난 색인어를 확인해 주십시오.",
                         srcs.data ? srcs.data : "", cJSON_GetArraySize(terms));
                igc_buf_free(&srcs);
                review(review_list, "merged", it->code, it->name, msg);
            } else if (rel == IGC_XW_REVISED) {
                draft_terms(it, terms);
                review(review_list, "revised", it->code, it->name,
                       "범위·문구가 바뀐 품목: 이전 색인어를 옮겼습니다. 새 범위에 맞는지 확인해 주십시오.");
            }
        }
        rc = print_spaced(o, out);
        cJSON_Delete(o);
        if (!rc) rc = igc_buf_append(out, "\n", 1);
        if (rc) break;
    }
    for (size_t i = 0; i < from->nitems; i++) {
        if (!lines[i]) continue;
        size_t nt = igc_crosswalk_targets(cw, from->items[i].code, rows, MAX_XW);
        if (nt == 1 && rows[0]->relation == IGC_XW_REMOVED) {
            char msg[300];
            snprintf(msg, sizeof msg, "삭제된 품목: 색인어 %d개는 옮기지 않았습니다.",
                     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(lines[i], "terms")));
            review(review_list, "removed", from->items[i].code, from->items[i].name, msg);
        }
        cJSON_Delete(lines[i]);
    }
    free(lines);
    return rc;
}
