/* The taxonomy's routes: the tree, one item with its crosswalk, the item search, KSIC codes. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"

/* ---- taxonomy ---- */

/* An item by code, ignoring ASCII case and surrounding blanks ("b60001 " is the item
 * coded "B60001"); NULL when there is none. */
const igc_tx_item *igc__api_item_by_code(const igc_taxonomy *t, const char *code) {
    const igc_tx_item *it = code ? igc_taxonomy_item(t, code) : NULL;
    if (it || !code) return it;
    while (*code == ' ') code++;
    size_t n = strlen(code);
    while (n && code[n - 1] == ' ') n--;
    for (size_t i = 0; i < t->nitems; i++)
        if (strlen(t->items[i].code) == n && strncasecmp(t->items[i].code, code, n) == 0) return &t->items[i];
    return NULL;
}

void igc__api_taxonomy(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    igc_bundle *b = igc_app_bundle_ref(a);
    cJSON *o = igc_taxonomy_to_json(igc_engine_taxonomy(b->engine), 0);
    if (o) cJSON_AddItemToObject(o, "revisions", igc_app_revisions_json(a));
    igc_app_bundle_unref(b);
    igc__api_send_json(res, 200, o);
}

/* An item's JSON with where it came from (the crosswalk of the revision that brought it
 * in) and where it went (the crosswalk of a staged revision): "crosswalk": {from: [{code,
 * name, relation, version}], to: [...]}; lists empty when there is no such crosswalk. */
static void add_xw_rows(cJSON *arr, const igc_xw_row *const *rows, size_t n, int from_side, const char *version) {
    for (size_t k = 0; k < n; k++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", from_side ? rows[k]->from : rows[k]->to);
        cJSON_AddStringToObject(x, "name", from_side ? rows[k]->from_name : rows[k]->to_name);
        cJSON_AddStringToObject(x, "relation", igc_crosswalk_relation_names[rows[k]->relation]);
        cJSON_AddStringToObject(x, "note", rows[k]->note);
        cJSON_AddStringToObject(x, "version", version);
        cJSON_AddItemToArray(arr, x);
    }
}

static cJSON *item_with_crosswalk(igc_app *a, const igc_taxonomy *t, const igc_tx_item *it) {
    cJSON *o = igc_taxonomy_item_json(t, it);
    if (!o) return NULL;
    cJSON *xw = cJSON_AddObjectToObject(o, "crosswalk");
    cJSON *from = cJSON_AddArrayToObject(xw, "from"), *to = cJSON_AddArrayToObject(xw, "to");
    const igc_xw_row *rows[64];
    igc_bundle *b = igc_app_bundle_ref(a);
    if (b->crosswalk && strcmp(b->version, t->version) == 0) {
        size_t n = igc_crosswalk_sources(b->crosswalk, it->code, rows, 64);
        add_xw_rows(from, rows, n < 64 ? n : 64, 1, igc_crosswalk_from(b->crosswalk)->version);
    }
    /* where it goes: the crosswalk of the staged revision, or of the revision this one
     * replaced when it is the previous (after a rollback) */
    igc_bundle *prev = a->previous;
    if (prev && prev->crosswalk && strcmp(igc_crosswalk_from(prev->crosswalk)->version, t->version) == 0) {
        size_t n = igc_crosswalk_targets(prev->crosswalk, it->code, rows, 64);
        add_xw_rows(to, rows, n < 64 ? n : 64, 0, prev->version);
    }
    igc_app_bundle_unref(b);
    return o;
}

void igc__api_item(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    igc_engine *e = igc_engine_ref(a->engine);
    const igc_taxonomy *t = igc_engine_taxonomy(e);
    const igc_tx_item *it = igc__api_item_by_code(t, req->params[0]);
    const char *f = "code";
    if (it) igc__api_send_json(res, 200, item_with_crosswalk(a, t, it));
    else igc_http_error(res, 404, "unknown_item", "해당 품목코드를 찾을 수 없습니다.", &f, 1);
    igc_engine_unref(e);
}

/* Up to ~40 characters around the first occurrence of q in s. */
static void snippet(const char *s, const char *hit, igc_buf *out) {
    const char *start = hit;
    for (int k = 0; k < 20 && start > s; k++) {
        start--;
        while (start > s && ((unsigned char)*start & 0xC0) == 0x80) start--;
    }
    const char *end = hit;
    for (int k = 0; k < 40 && *end; k++) {
        end++;
        while (*end && ((unsigned char)*end & 0xC0) == 0x80) end++;
    }
    igc_buf_printf(out, "%s%.*s%s", start > s ? "…" : "", (int)(end - start), start, *end ? "…" : "");
    for (size_t i = 0; i < out->len; i++)
        if (out->data[i] == '\n') out->data[i] = ' ';
}

#define SEARCH_WORDS 16 /* query words looked at; more are ignored */
#define SEARCH_TERMS 4  /* index terms reported per hit */

enum { ST_NAME, ST_EXAMPLES, ST_DEFINITION, ST_N };
static const double st_weight[ST_N] = {10, 4, 3}; /* per query word found in the name, examples, definition */
#define W_CODE_EXACT 100.0
#define W_CODE_PREFIX 20.0
#define W_TERM 6.0   /* an index term of the item (synonym) is in the query */
#define W_TERM_PART 3.0 /* ... or holds a query word */
#define W_PHRASE 10.0 /* the whole query in the name */

static int hangul_syllable(uint32_t cp) { return cp >= 0xAC00 && cp <= 0xD7A3; }

/* A text with the spaces between two Hangul syllables dropped ("체외 진단기기" ->
 * "체외진단기기"): a compound is found written with or without its spaces. at[i] is the
 * source offset of byte i. */
typedef struct {
    char *s;
    size_t *at;
} compact_text;

static int compact(const char *src, compact_text *c) {
    size_t n = strlen(src);
    c->s = malloc(n + 1);
    c->at = malloc((n + 1) * sizeof *c->at);
    if (!c->s || !c->at) return IGC_ENOMEM;
    size_t o = 0;
    uint32_t prev = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = igc_utf8_decode(src + i, n - i, &cp);
        if (l <= 0) l = 1, cp = 0;
        if (cp == ' ' && hangul_syllable(prev)) {
            size_t j = i;
            while (j < n && src[j] == ' ') j++;
            uint32_t next = 0;
            if (j < n && igc_utf8_decode(src + j, n - j, &next) > 0 && hangul_syllable(next)) {
                i = j;
                continue;
            }
        }
        for (int k = 0; k < l; k++) c->s[o] = src[i + k], c->at[o++] = i;
        prev = cp;
        i += (size_t)l;
    }
    c->s[o] = '\0';
    c->at[o] = n;
    return 0;
}

static void compact_free(compact_text *c) {
    free(c->s);
    free(c->at);
    memset(c, 0, sizeof *c);
}

/* First case-insensitive occurrence of a Latin token as a whole token (no ASCII letter or
 * digit on either side: "ai" in "AI칩" and "AI 기반", never in "Chain"), or NULL. */
static const char *find_token(const char *text, const char *tok) {
    size_t n = strlen(tok);
    if (!n) return NULL;
    for (const char *p = text; *p; p++)
        if (strncasecmp(p, tok, n) == 0 && (p == text || !isalnum((unsigned char)p[-1])) &&
            !isalnum((unsigned char)p[n]))
            return p;
    return NULL;
}

/* First ASCII-case-insensitive occurrence of needle in s, or NULL. */
static const char *find_ci(const char *s, const char *needle) {
    size_t n = strlen(needle);
    for (const char *p = s; *p; p++)
        if (strncasecmp(p, needle, n) == 0) return p;
    return NULL;
}

/* A Hangul word with a leading single digit read as a Sino-Korean numeral ("2차전지" ->
 * "이차전지", "3차원" -> "삼차원"), or "" when it has none. */
static void numeral_variant(const char *w, char *out, size_t outsz) {
    static const char *const sino[10] = {"영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"};
    out[0] = '\0';
    uint32_t cp;
    if (!isdigit((unsigned char)w[0]) || isdigit((unsigned char)w[1]) || igc_utf8_decode(w + 1, strlen(w + 1), &cp) <= 0 ||
        !hangul_syllable(cp))
        return;
    snprintf(out, outsz, "%s%s", sino[w[0] - '0'], w + 1);
}

typedef struct {
    double score, term_score;  /* all, and from index terms alone */
    uint32_t covered, term_covered; /* query words found (bit per word): all, by index terms */
    int snip_text, snip_at;    /* where to quote from: ST_* and byte offset, -1 when none */
    uint32_t terms[SEARCH_TERMS];
    int nterms;
} search_hit;

/* One needle in one item's texts: adds the weights of the texts it is in and remembers
 * the first place in the definition or examples for the snippet. */
static void match_needle(const igc_tx_item *it, compact_text ct[ST_N], const char *needle, int latin, double scale,
                         int word, search_hit *h) {
    const char *raw[ST_N] = {it->name, it->examples, it->definition};
    for (int k = 0; k < ST_N; k++) {
        long at = -1;
        if (latin) {
            const char *p = find_token(raw[k], needle);
            if (p) at = p - raw[k];
        } else {
            const char *p = strstr(ct[k].s, needle);
            if (p) at = (long)ct[k].at[p - ct[k].s];
        }
        if (at < 0) continue;
        h->score += st_weight[k] * scale;
        h->covered |= 1u << word;
        if (k != ST_NAME && (h->snip_text < 0 || (h->snip_text == ST_EXAMPLES && k == ST_DEFINITION)))
            h->snip_text = k, h->snip_at = (int)at;
    }
}

/* Sorts idx by hit score, best first, ties in taxonomy order (at most 240: insertion). */
static void sort_hits(size_t *idx, size_t n, const search_hit *h) {
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && h[idx[j]].score > h[idx[j - 1]].score; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
}

void igc__api_search(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char q[401], lim[16];
    int rc = igc_http_query_param(req->query, "q", q, sizeof q);
    if (rc == 0) igc_trim(q);
    const char *f[] = {"q"};
    if (rc == IGC_ETOOBIG) {
        igc_http_error(res, 400, "field_too_long", "검색어가 너무 깁니다 (최대 400바이트).", f, 1);
        return;
    }
    if (rc && rc != IGC_ENOTFOUND) {
        igc_http_error(res, 400, "invalid_query", "검색어를 해석할 수 없습니다 (URL 인코딩 또는 UTF-8 오류).", f, 1);
        return;
    }
    if (rc || igc_blank(q)) {
        igc_http_error(res, 400, "blank_field", "공란 입력: 검색어를 입력해 주세요.", f, 1);
        return;
    }
    long limit = 20;
    if (igc_http_query_param(req->query, "limit", lim, sizeof lim) == 0) limit = strtol(lim, NULL, 10);
    if (limit < 1 || limit > 240) limit = 20;
    igc_engine *e = igc_engine_ref(a->engine);
    const igc_taxonomy *t = igc_engine_taxonomy(e);
    igc_lexicon *lx = a->cfg.no_lexicon ? NULL : igc_app_lexicon_ref(a);
    const igc_taxonomy *lt = lx ? igc_lexicon_taxonomy(lx) : NULL;
    igc_words qw = {0};
    igc_lex_hits lh = {0};
    search_hit *hits = calloc(t->nitems, sizeof *hits);
    size_t *idx = calloc(t->nitems, sizeof *idx);
    compact_text ct[ST_N] = {{0}};
    cJSON *o = NULL;
    rc = hits && idx ? igc_text_words(q, &qw) : IGC_ENOMEM;
    if (!rc && lx) rc = igc_lexicon_match(lx, &qw, &lh);
    size_t nw = qw.n < SEARCH_WORDS ? qw.n : SEARCH_WORDS;
    /* every word counts but stop words (및, 제조...) need not be found */
    uint32_t need = 0;
    for (size_t w = 0; w < nw; w++)
        if (!igc_text_is_stopword(qw.w[w].norm)) need |= 1u << w;
    if (!need) need = nw ? (uint32_t)((1ull << nw) - 1) : 0;
    char variant[SEARCH_WORDS][128];
    for (size_t w = 0; w < nw; w++) {
        variant[w][0] = '\0';
        if (qw.w[w].hangul) numeral_variant(qw.w[w].norm, variant[w], sizeof variant[w]);
    }
    /* synonyms: index terms found in the query, for the items that list them */
    for (size_t i = 0; !rc && i < lh.n; i++) {
        const igc_lex_term *term = igc_lexicon_term(lx, lh.h[i].term);
        for (size_t k = 0; term && k < term->nitems; k++) {
            const igc_tx_item *it = term->items[k] < lt->nitems ? igc_taxonomy_item(t, lt->items[term->items[k]].code) : NULL;
            if (!it) continue;
            search_hit *h = &hits[it - t->items];
            int dup = 0;
            for (int j = 0; j < h->nterms; j++) dup |= h->terms[j] == lh.h[i].term;
            if (dup) continue;
            if (h->nterms < SEARCH_TERMS) h->terms[h->nterms++] = lh.h[i].term;
            h->term_score += W_TERM;
            for (uint32_t w = lh.h[i].word0; w < lh.h[i].word0 + lh.h[i].nwords && w < nw; w++)
                h->term_covered |= 1u << w;
        }
    }
    /* index terms that hold a query word ("리튬이차전지" for 이차전지, "AI 진단" for ai):
     * weaker synonyms, once per item and word */
    size_t nterms = lx ? igc_lexicon_nterms(lx) : 0;
    for (size_t w = 0; !rc && w < nw; w++) {
        const igc_word *qwd = &qw.w[w];
        if (qwd->hangul && igc_utf8_len(qwd->norm) < 3) continue; /* 2 syllables: too loose */
        for (uint32_t id = 0; !rc && id < nterms; id++) {
            const igc_lex_term *term = igc_lexicon_term(lx, id);
            int found = 0;
            if (!qwd->hangul) {
                found = find_token(term->text, qwd->norm) != NULL;
            } else {
                compact_text ctt = {0};
                rc = compact(term->text, &ctt);
                found = !rc && (strstr(ctt.s, qwd->norm) || (variant[w][0] && strstr(ctt.s, variant[w])));
                compact_free(&ctt);
            }
            for (size_t k = 0; found && k < term->nitems; k++) {
                const igc_tx_item *it = term->items[k] < lt->nitems ? igc_taxonomy_item(t, lt->items[term->items[k]].code) : NULL;
                if (!it) continue;
                search_hit *h = &hits[it - t->items];
                if (h->term_covered & (1u << w)) continue;
                h->term_covered |= 1u << w;
                h->term_score += W_TERM_PART;
                if (h->nterms < SEARCH_TERMS) h->terms[h->nterms++] = id;
            }
        }
    }
    /* the query in the item texts; a second pass splits long Hangul words into their
     * two-syllable parts when nothing has every word ("면역진단" -> 면역, 진단) */
    size_t total = 0;
    int partial = 0;
    for (int pass = 0; !rc && pass < 2 && total == 0; pass++) {
        if (pass == 1) {
            int any = 0;
            for (size_t w = 0; w < nw; w++) any |= qw.w[w].hangul && igc_utf8_len(qw.w[w].norm) >= 4;
            if (!any) break;
            partial = 1;
        }
        for (size_t i = 0; !rc && i < t->nitems; i++) {
            const igc_tx_item *it = &t->items[i];
            search_hit *h = &hits[i];
            h->score = h->term_score, h->covered = h->term_covered, h->snip_text = -1;
            const char *raw[ST_N] = {it->name, it->examples, it->definition};
            for (int k = 0; k < ST_N && !rc; k++) rc = compact(raw[k], &ct[k]);
            if (!rc && pass == 0) {
                if (strcasecmp(it->code, q) == 0) h->score += W_CODE_EXACT, h->covered = need;
                else if (strlen(q) >= 3 && strncasecmp(it->code, q, strlen(q)) == 0) h->score += W_CODE_PREFIX, h->covered = need;
                compact_text cq = {0};
                if (nw > 1 && compact(q, &cq) == 0 && find_ci(ct[ST_NAME].s, cq.s)) h->score += W_PHRASE;
                compact_free(&cq);
            }
            for (size_t w = 0; !rc && w < nw; w++) {
                const igc_word *qwd = &qw.w[w];
                if (pass == 0) {
                    match_needle(it, ct, qwd->norm, !qwd->hangul, 1.0, (int)w, h);
                    if (variant[w][0]) match_needle(it, ct, variant[w], 0, 1.0, (int)w, h);
                    continue;
                }
                size_t syl = igc_utf8_len(qwd->norm);
                if (!qwd->hangul || syl < 4) {
                    match_needle(it, ct, qwd->norm, !qwd->hangul, 1.0, (int)w, h);
                    continue;
                }
                /* two syllables at a time, the last part taking an odd one (6 bytes each) */
                const char *s = qwd->norm;
                size_t n = strlen(s);
                for (size_t off = 0; off < n; off += 6) {
                    char part[16];
                    size_t l = n - off <= 9 ? n - off : 6;
                    snprintf(part, sizeof part, "%.*s", (int)l, s + off);
                    match_needle(it, ct, part, 0, 0.5, (int)w, h);
                    if (l > 6) break;
                }
            }
            for (int k = 0; k < ST_N; k++) compact_free(&ct[k]);
            if (h->score > 0 && (h->covered & need) == need) idx[total++] = i;
        }
    }
    if (!rc) {
        sort_hits(idx, total, hits);
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "query", q);
        cJSON_AddNumberToObject(o, "total", (double)total);
        cJSON_AddBoolToObject(o, "partial", partial);
        cJSON *arr = cJSON_AddArrayToObject(o, "items");
        for (size_t n = 0; n < total && n < (size_t)limit; n++) {
            const igc_tx_item *it = &t->items[idx[n]];
            const search_hit *h = &hits[idx[n]];
            cJSON *x = igc_taxonomy_item_ref_json(t, it);
            igc_buf sn = {0};
            const char *src = h->snip_text == ST_EXAMPLES ? it->examples : it->definition;
            snippet(src, src + (h->snip_text >= 0 ? h->snip_at : 0), &sn);
            cJSON_AddStringToObject(x, "snippet", sn.data ? sn.data : "");
            igc_buf_free(&sn);
            cJSON *terms = cJSON_AddArrayToObject(x, "terms");
            for (int k = 0; k < h->nterms; k++) {
                const igc_lex_term *term = igc_lexicon_term(lx, h->terms[k]);
                if (term) cJSON_AddItemToArray(terms, cJSON_CreateString(term->text));
            }
            cJSON_AddItemToArray(arr, x);
        }
    }
    for (int k = 0; k < ST_N; k++) compact_free(&ct[k]);
    igc_lex_hits_free(&lh);
    igc_text_words_free(&qw);
    free(hits);
    free(idx);
    igc_lexicon_unref(lx);
    igc_engine_unref(e);
    if (rc || !o) {
        cJSON_Delete(o);
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
        return;
    }
    igc__api_send_json(res, 200, o);
}

/* The 5-digit KSIC-11 codes an answer offers to choose from: {code, name}. */
static void ksic_candidates(cJSON *o, const igc_ksic_entry *const *es, size_t n) {
    cJSON *arr = cJSON_AddArrayToObject(o, "candidates");
    for (size_t i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", es[i]->code);
        cJSON_AddStringToObject(x, "name", es[i]->name);
        cJSON_AddItemToArray(arr, x);
    }
}

void igc__api_ksic(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    igc_ksic_match m;
    int rc = igc_ksic_resolve(a->ksic, req->params[0], 1, &m);
    const char *f[] = {"code"};
    if (rc == IGC_EINVAL) {
        igc_http_error(res, 400, "invalid_ksic", "업종코드는 2~5자리 숫자(KSIC)여야 합니다.", f, 1);
        return;
    }
    if (rc) {
        igc_http_error(res, 404, "unknown_ksic", "존재하지 않는 업종코드입니다.", f, 1);
        return;
    }
    /* A KSIC-10 code split into several KSIC-11 codes answers at the level they share
     * (the 4-digit class when they share it) with the codes to choose from. */
    const igc_ksic_entry *split[16];
    size_t nsplit = m.mapped_from[0] ? igc_ksic_map10(a->ksic, m.mapped_from, split, 16) : 0;
    if (nsplit > 16) nsplit = 16;
    if (nsplit > 1) {
        size_t common = 5;
        for (size_t i = 1; i < nsplit; i++)
            while (common && strncmp(split[0]->code, split[i]->code, common) != 0) common--;
        char prefix[6], old[6];
        snprintf(prefix, sizeof prefix, "%.*s", (int)common, split[0]->code);
        snprintf(old, sizeof old, "%s", m.mapped_from);
        igc_ksic_match pm;
        if (common >= 2 && igc_ksic_resolve(a->ksic, prefix, 1, &pm) == 0) {
            m = pm;
            snprintf(m.mapped_from, sizeof m.mapped_from, "%s", old);
        }
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", m.code);
    cJSON_AddStringToObject(o, "name", m.name ? m.name : "");
    cJSON_AddNumberToObject(o, "level", m.level);
    cJSON_AddStringToObject(o, "section", m.first->sec);
    cJSON_AddStringToObject(o, "section_name", m.first->sec_name);
    cJSON_AddStringToObject(o, "division_name", m.first->div2_name);
    if (m.level >= 3) cJSON_AddStringToObject(o, "group_name", m.first->grp3_name);
    if (m.mapped_from[0]) cJSON_AddStringToObject(o, "mapped_from", m.mapped_from);
    if (nsplit > 1) {
        cJSON_AddBoolToObject(o, "split", 1);
        ksic_candidates(o, split, nsplit);
    } else if (m.level < 5) {
        /* a prefix: its 5-digit codes, in order (the table is sorted) */
        size_t from = (size_t)(m.first - igc_ksic_at(a->ksic, 0)), n = 0;
        while (from + n < igc_ksic_count(a->ksic) && strncmp(igc_ksic_at(a->ksic, from + n)->code, m.code, (size_t)m.level) == 0)
            n++;
        const igc_ksic_entry **es = malloc((n ? n : 1) * sizeof *es);
        if (!es) {
            cJSON_Delete(o);
            igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
            return;
        }
        for (size_t i = 0; i < n; i++) es[i] = igc_ksic_at(a->ksic, from + i);
        ksic_candidates(o, es, n);
        free(es);
    }
    if (m.entry && m.entry->desc5) cJSON_AddStringToObject(o, "description", m.entry->desc5);
    igc__api_send_json(res, 200, o);
}
