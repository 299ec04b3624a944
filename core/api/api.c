#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "igc_api.h"
#include "igc_static.h"

#define MAX_COMMENT_CHARS 1000

/* Who makes the request being handled: set by guard() around each handler
 * (per thread, so a worker pool could call handlers in parallel). */
static _Thread_local const igc_user *g_user;

/* The caller's name for records, NULL in open mode. */
static const char *who(void) { return g_user && g_user->name[0] ? g_user->name : NULL; }


static void send_json(igc_http_response *res, int status, cJSON *o) {
    res->status = status;
    char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!txt) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
        return;
    }
    res->body.len = 0;
    igc_buf_puts(&res->body, txt);
    free(txt);
    snprintf(res->extra_headers, sizeof res->extra_headers, "Cache-Control: no-store\r\n");
}

static void send_verr(igc_http_response *res, const igc_verr *e) {
    igc_http_error(res, e->status, e->code, e->message, e->fields, e->nfields);
}

/* POST bodies must be JSON when a content type is given. */
static int check_json_type(const igc_http_request *req, igc_http_response *res) {
    if (req->content_type[0] && !strstr(req->content_type, "json")) {
        igc_http_error(res, 415, "unsupported_media_type", "요청 본문은 application/json 형식이어야 합니다.", NULL, 0);
        return -1;
    }
    return 0;
}

/* ---- health ---- */

static void h_healthz(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud, (void)req;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    send_json(res, 200, o);
}

#define STORE_FULL_AT 0.95 /* share of the map at which /readyz answers 503 */

/* Share of the LMDB map in use, 0 when unknown. */
static double store_used(igc_app *a) {
    igc_store_stats st;
    if (!a->store || igc_store_stat(a->store, &st) || !st.map_size) return 0;
    return (double)st.map_used / (double)st.map_size;
}

static void h_readyz(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    int ready = a->engine && a->store && (a->rules || a->cfg.no_rules);
    double used = store_used(a);
    /* the alarm comes well before the map is full; at STORE_FULL_AT saves are about
     * to fail, so the service is no longer ready */
    int alarm = used >= (double)a->cfg.store_alarm_pct / 100.0;
    if (used >= STORE_FULL_AT) ready = 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ready", ready);
    cJSON_AddNumberToObject(o, "store_used", (double)(int)(used * 1000 + 0.5) / 1000);
    if (alarm) {
        char msg[300];
        snprintf(msg, sizeof msg, "저장소(LMDB)가 %.0f%% 찼습니다 (경보 기준 %zu%%). 가득 차면 판별을 저장할 수 없습니다: --map-mb를 늘려 다시 시작하거나 보존 기한이 지난 판별을 정리하십시오.",
                 used * 100, a->cfg.store_alarm_pct);
        cJSON_AddStringToObject(o, "store_alarm", msg);
    }
    cJSON_AddBoolToObject(o, "taxonomy", a->engine != NULL);
    cJSON_AddBoolToObject(o, "index", a->engine != NULL);
    cJSON_AddBoolToObject(o, "rules", a->rules != NULL);
    cJSON_AddBoolToObject(o, "store", a->store != NULL);
    send_json(res, ready ? 200 : 503, o);
}

/* ---- taxonomy ---- */

/* An item by code, ignoring ASCII case and surrounding blanks ("b60001 " is the item
 * coded "B60001"); NULL when there is none. */
static const igc_tx_item *item_by_code(const igc_taxonomy *t, const char *code) {
    const igc_tx_item *it = code ? igc_taxonomy_item(t, code) : NULL;
    if (it || !code) return it;
    while (*code == ' ') code++;
    size_t n = strlen(code);
    while (n && code[n - 1] == ' ') n--;
    for (size_t i = 0; i < t->nitems; i++)
        if (strlen(t->items[i].code) == n && strncasecmp(t->items[i].code, code, n) == 0) return &t->items[i];
    return NULL;
}

static void h_taxonomy(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    igc_bundle *b = igc_app_bundle_ref(a);
    cJSON *o = igc_taxonomy_to_json(igc_engine_taxonomy(b->engine), 0);
    if (o) cJSON_AddItemToObject(o, "revisions", igc_app_revisions_json(a));
    igc_app_bundle_unref(b);
    send_json(res, 200, o);
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

static void h_item(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    igc_engine *e = igc_engine_ref(a->engine);
    const igc_taxonomy *t = igc_engine_taxonomy(e);
    const igc_tx_item *it = item_by_code(t, req->params[0]);
    if (it) send_json(res, 200, item_with_crosswalk(a, t, it));
    else igc_http_error(res, 404, "unknown_item", "해당 품목코드를 찾을 수 없습니다.", NULL, 0);
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

static void h_search(void *ud, const igc_http_request *req, igc_http_response *res) {
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
    send_json(res, 200, o);
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

static void h_ksic(void *ud, const igc_http_request *req, igc_http_response *res) {
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
    send_json(res, 200, o);
}

/* ---- classification ---- */

/* Content type, body and the screen's fields of a POST; on failure the error is
 * already in res and -1 is returned. */
static int parse_request(igc_app *a, const igc_http_request *req, igc_http_response *res, igc_req *r, cJSON **doc) {
    igc_verr ve;
    *doc = NULL;
    if (check_json_type(req, res)) return -1;
    if (igc_req_from_body(a, req->body, req->body_len, 1, r, doc, &ve)) {
        cJSON_Delete(*doc);
        *doc = NULL;
        send_verr(res, &ve);
        return -1;
    }
    return 0;
}

/* What the answer to a classification is written from once the work is done: the
 * caller's identity is captured on the loop (g_user is the loop thread's). */
typedef struct classify_job {
    uv_work_t work;
    igc_http_deferred *d;
    igc_app *a;
    igc_bundle *b;   /* held for the whole classification: a revision switch cannot free its engine */
    igc_req r;
    cJSON *doc, *out;
    int rc;
    int see_previous; /* the caller may read the company's earlier judgments */
    char user[128];
} classify_job;

/* The worker's part: the engine, the rules and the store reads. Under the engine's read
 * lock, since a save may add an exemplar to the active engine from another thread. */
static void classify_work(classify_job *j) {
    igc_app *a = j->a;
    igc_engine *e = j->b ? igc_engine_ref(j->b->engine) : igc_app_engine_ref(a);
    pthread_rwlock_rdlock(&a->engine_rw);
    j->rc = igc_app_classify_engine(a, e, &j->r, NULL, 1, &j->out);
    pthread_rwlock_unlock(&a->engine_rw);
    igc_engine_unref(e);
}

/* The loop's part: the decision log (the audit queue is the loop's) and the answer. */
static void classify_answer(classify_job *j, igc_http_response *res) {
    igc_app *a = j->a;
    cJSON *out = j->out;
    if (j->rc) {
        igc_log(IGC_LOG_ERROR, "classify failed: %s", igc_strerror(j->rc));
        igc_http_error(res, 500, "internal_error", "분류 중 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.", NULL, 0);
        return;
    }
    /* the decision log: who asked what (hashed), what was answered, under which versions */
    char did[40] = "", ih[65], brnm[32];
    igc_random_hex(16, did);
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToObject(in, "company", igc_req_company_json(&j->r));
    cJSON_AddItemToObject(in, "tech", igc_req_tech_json(&j->r));
    char *it = cJSON_PrintUnformatted(in);
    cJSON_Delete(in);
    igc_sha256_hex(it ? it : "", it ? strlen(it) : 0, ih);
    free(it);
    igc_app_mask_brn(j->r.brn10, brnm);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "decision_id", did);
    cJSON_AddStringToObject(f, "brn", brnm);
    cJSON_AddStringToObject(f, "input_sha256", ih);
    cJSON *ans = cJSON_AddObjectToObject(f, "answer");
    const cJSON *appl = cJSON_GetObjectItemCaseSensitive(out, "applicable");
    cJSON_AddBoolToObject(ans, "applicable", cJSON_IsTrue(appl));
    cJSON *top = cJSON_AddArrayToObject(ans, "items");
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(out, "items")) {
        const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "code"));
        if (c) cJSON_AddItemToArray(top, cJSON_CreateString(c));
    }
    static const char *vers[] = {"taxonomy_version", "engine_version", "rules_version", "lexicon_version"};
    for (int i = 0; i < 4; i++) {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, vers[i]));
        if (v) cJSON_AddStringToObject(f, vers[i], v);
    }
    if (a->store) igc_app_audit(a, NULL, "classify", j->user[0] ? j->user : NULL, f);
    else cJSON_Delete(f);
    /* the company's earlier judgments are for those who may read judgments */
    if (!j->see_previous) cJSON_DeleteItemFromObjectCaseSensitive(out, "previous_judgments");
    cJSON_AddStringToObject(out, "decision_id", did);
    j->out = NULL;
    send_json(res, 200, out);
}

static void classify_job_free(classify_job *j) {
    cJSON_Delete(j->out);
    cJSON_Delete(j->doc);
    igc_req_free(&j->r);
    igc_app_bundle_unref(j->b);
    free(j);
}

static void classify_work_cb(uv_work_t *w) { classify_work(w->data); }

static void classify_done_cb(uv_work_t *w, int status) {
    classify_job *j = w->data;
    igc_http_response res = {.status = 200};
    if (status) igc_http_error(&res, 503, "shutting_down", "서버가 종료 중입니다.", NULL, 0);
    else classify_answer(j, &res);
    igc_http_deferred_finish(j->d, &res);
    classify_job_free(j);
}

/* Validation on the loop (cheap), the classification on libuv's thread pool
 * (UV_THREADPOOL_SIZE, set by igcd to the cores), the answer back on the loop: the
 * loop stays free for /healthz, the screens and other requests meanwhile. */
static void h_classify(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    classify_job *j = calloc(1, sizeof *j);
    if (!j) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
        return;
    }
    if (parse_request(a, req, res, &j->r, &j->doc)) {
        free(j);
        return;
    }
    j->a = a;
    j->b = igc_app_bundle_ref(a);
    j->see_previous = !g_user || (g_user->role & (IGC_ROLE_EXAMINER | IGC_ROLE_REVIEWER));
    snprintf(j->user, sizeof j->user, "%s", who() ? who() : "");
    j->work.data = j;
    j->d = igc_http_defer(req);
    if (j->d && uv_queue_work(igc_http_deferred_loop(j->d), &j->work, classify_work_cb, classify_done_cb) == 0) return;
    if (j->d) {
        /* no worker: answer on the loop after all */
        classify_work(j);
        igc_http_response now = {.status = 200};
        classify_answer(j, &now);
        igc_http_deferred_finish(j->d, &now);
        classify_job_free(j);
        return;
    }
    /* not from a server connection: here */
    classify_work(j);
    classify_answer(j, res);
    classify_job_free(j);
}

/* ---- work off the loop ---- */

/* A job run on libuv's thread pool: run() on a worker (no g_user there: capture the
 * caller first), answer() back on the loop's thread, then done() frees the job. When
 * the answer cannot be deferred (no server connection) or no worker can be queued, all
 * three run at once, here. */
typedef struct offload {
    uv_work_t w;
    igc_http_deferred *d;
    void *job;
    void (*run)(void *job);
    void (*answer)(void *job, igc_http_response *res);
    void (*done)(void *job);
} offload;

static void offload_work_cb(uv_work_t *w) {
    offload *o = w->data;
    o->run(o->job);
}

static void offload_done_cb(uv_work_t *w, int status) {
    offload *o = w->data;
    igc_http_response res = {.status = 200};
    if (status) igc_http_error(&res, 503, "shutting_down", "서버가 종료 중입니다.", NULL, 0);
    else o->answer(o->job, &res);
    igc_http_deferred_finish(o->d, &res);
    o->done(o->job);
    free(o);
}

static void offload_run(const igc_http_request *req, igc_http_response *res, void *job, void (*run)(void *),
                        void (*answer)(void *, igc_http_response *), void (*done)(void *)) {
    offload *o = calloc(1, sizeof *o);
    igc_http_deferred *d = o ? igc_http_defer(req) : NULL;
    if (d) {
        *o = (offload){.d = d, .job = job, .run = run, .answer = answer, .done = done};
        o->w.data = o;
        if (uv_queue_work(igc_http_deferred_loop(d), &o->w, offload_work_cb, offload_done_cb) == 0) return;
        run(job);
        igc_http_response now = {.status = 200};
        answer(job, &now);
        igc_http_deferred_finish(d, &now);
    } else {
        run(job);
        answer(job, res);
    }
    free(o);
    done(job);
}

/* ---- judgments ---- */

/* Why an examiner saved 해당 없음 (none_reason): the 적용원칙 1-3 with the rules' reason
 * codes, the engine's, too little information, or anything else (said in the comment). The
 * same codes label past judgments (labeled/history.csv). */
static int none_reason_known(const char *s) {
    static const char *const codes[] = {"generic_supplier", "wholesale_retail", "merchandise_only",
                                        "not_innovation",   "insufficient_info", "other"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(s, codes[i]) == 0) return 1;
    return 0;
}

/* What a saved judgment keeps of the programmes the shown result listed: id, name,
 * agency, benefit, status, why, period (strings and {from, to} only). */
static cJSON *saved_programmes(const cJSON *result) {
    cJSON *out = cJSON_CreateArray();
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(result, "programmes")) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "id"))) continue;
        cJSON *x = cJSON_CreateObject();
        static const char *const keys[] = {"id", "name", "agency", "benefit", "status", "why"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, keys[k]));
            cJSON_AddStringToObject(x, keys[k], v ? v : "");
        }
        const cJSON *per = cJSON_GetObjectItemCaseSensitive(p, "period");
        const char *from = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(per, "from"));
        const char *to = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(per, "to"));
        if (from || to) {
            cJSON *po = cJSON_AddObjectToObject(x, "period");
            cJSON_AddStringToObject(po, "from", from ? from : "");
            cJSON_AddStringToObject(po, "to", to ? to : "");
        } else {
            cJSON_AddNullToObject(x, "period");
        }
        cJSON_AddItemToArray(out, x);
    }
    return out;
}

/* A save on a worker: judgment, superseding, exemplar and audit record in one store
 * transaction, then the running engine under its write lock (never on the loop, which
 * would wait for the classifications reading it). */
typedef struct save_job {
    igc_app *a;
    igc_req r;
    cJSON *doc, *j;
    char user[128];
    char id[IGC_STORE_ID_SIZE];
    int rc;
} save_job;

static void save_run(void *p) {
    save_job *sj = p;
    sj->rc = igc_app_judgment_save(sj->a, sj->user[0] ? sj->user : NULL, &sj->r, sj->j, sj->id);
}

static void save_answer(void *p, igc_http_response *res) {
    save_job *sj = p;
    if (sj->rc == IGC_EFULL) {
        igc_http_error(res, 507, "storage_full",
                       "저장 공간이 가득 찼습니다. 관리자에게 문의해 주세요 (이미 저장된 판별은 안전합니다).", NULL, 0);
        return;
    }
    if (sj->rc) {
        igc_http_error(res, 500, "storage_error", "판별 결과를 저장하지 못했습니다.", NULL, 0);
        return;
    }
    char brnm[32];
    igc_mask(sj->r.brn10, brnm, sizeof brnm);
    const char *item = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sj->j, "chosen_item"));
    igc_log(IGC_LOG_INFO, "judgment %s saved by %s (brn %s, item %s)", sj->id, sj->user[0] ? sj->user : "(open)",
            brnm, item ? item : "none");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", sj->id);
    static const char *copy[] = {"examiner", "status", "confirmed", "supersedes"};
    for (int k = 0; k < 4; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sj->j, copy[k]);
        if (v) cJSON_AddItemToObject(o, copy[k], cJSON_Duplicate(v, 1));
    }
    send_json(res, 201, o);
}

static void save_free(void *p) {
    save_job *sj = p;
    cJSON_Delete(sj->j);
    cJSON_Delete(sj->doc);
    igc_req_free(&sj->r);
    free(sj);
}

static void h_judgment_post(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    igc_req r;
    cJSON *doc;
    if (a->cfg.max_judgment_body && req->body_len > a->cfg.max_judgment_body) {
        char msg[200];
        snprintf(msg, sizeof msg, "판별 저장 요청 본문이 너무 큽니다 (최대 %zu바이트).", a->cfg.max_judgment_body);
        igc_http_error(res, 413, "body_too_large", msg, NULL, 0);
        return;
    }
    if (parse_request(a, req, res, &r, &doc)) return;
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(doc, "result");
    const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(doc, "chosen_item");
    const cJSON *comment = cJSON_GetObjectItemCaseSensitive(doc, "comment");
    const cJSON *none = cJSON_GetObjectItemCaseSensitive(doc, "none_reason");
    igc_engine *e = igc_engine_ref(a->engine);
    const igc_taxonomy *t = igc_engine_taxonomy(e);
    const igc_tx_item *chosen_it = cJSON_IsString(chosen) ? item_by_code(t, chosen->valuestring) : NULL;
    const char *bad = NULL, *code = NULL, *msg = NULL;
    if (!cJSON_IsObject(result))
        bad = "result", code = "invalid_result", msg = "result 항목에 화면에 표시된 분류결과(JSON 객체)가 필요합니다.";
    else if (!chosen || (!cJSON_IsNull(chosen) && !cJSON_IsString(chosen)))
        bad = "chosen_item", code = "invalid_type", msg = "chosen_item은 품목코드 문자열 또는 null(해당 없음)이어야 합니다.";
    else if (cJSON_IsString(chosen) && !chosen_it)
        bad = "chosen_item", code = "unknown_item", msg = "선택한 품목코드가 현재 분류체계에 없습니다.";
    else if (comment && !cJSON_IsNull(comment) && !cJSON_IsString(comment))
        bad = "comment", code = "invalid_type", msg = "comment는 문자열이어야 합니다.";
    else if (cJSON_IsString(comment) && igc_utf8_len(comment->valuestring) > MAX_COMMENT_CHARS)
        bad = "comment", code = "field_too_long", msg = "의견이 너무 깁니다 (최대 1000자).";
    else if (none && !cJSON_IsNull(none) && (!cJSON_IsString(none) || !none_reason_known(none->valuestring)))
        bad = "none_reason", code = "invalid_none_reason",
        msg = "none_reason은 generic_supplier, wholesale_retail, merchandise_only, not_innovation, "
              "insufficient_info, other 중 하나여야 합니다.";
    else if (cJSON_IsString(none) && chosen_it)
        bad = "none_reason", code = "invalid_none_reason", msg = "해당 없음 사유는 품목을 고르지 않았을 때(chosen_item이 null)만 씁니다.";
    if (bad) {
        igc_http_error(res, 400, code, msg, &bad, 1);
        goto out;
    }
    /* the quota is per user: with authentication on (open mode is this computer only) */
    if (a->auth_on && !igc_auth_rate_take(a->save_rate, who() ? who() : "", (unsigned)a->cfg.saves_per_minute)) {
        char rmsg[256];
        snprintf(rmsg, sizeof rmsg, "저장 요청이 너무 많습니다. 한 사용자는 1분에 %zu건까지 저장할 수 있습니다. 잠시 후 다시 시도해 주세요.",
                 a->cfg.saves_per_minute);
        igc_http_error(res, 429, "too_many_saves", rmsg, NULL, 0);
        snprintf(res->extra_headers, sizeof res->extra_headers, "Retry-After: 60\r\n");
        goto out;
    }
    {
        cJSON *j = cJSON_CreateObject();
        char now[21];
        igc_iso_now(now);
        cJSON_AddStringToObject(j, "saved_at", now);
        cJSON_AddItemToObject(j, "company", igc_req_company_json(&r));
        cJSON_AddItemToObject(j, "tech", igc_req_tech_json(&r));
        cJSON_AddItemToObject(j, "result", cJSON_Duplicate(result, 1));
        if (chosen_it) {
            cJSON_AddStringToObject(j, "chosen_item", chosen_it->code);
            cJSON_AddStringToObject(j, "chosen_item_name", chosen_it->name);
        } else {
            cJSON_AddNullToObject(j, "chosen_item");
            if (cJSON_IsString(none)) cJSON_AddStringToObject(j, "none_reason", none->valuestring);
        }
        cJSON_AddStringToObject(j, "comment", cJSON_IsString(comment) ? comment->valuestring : "");
        cJSON_AddStringToObject(j, "taxonomy_version", t->version);
        /* The versions in force when the examiner saved, from the server itself; the
         * ones the shown result claims stay inside "result" as sent. */
        igc_rules_version *cur = a->rules ? igc_rules_acquire(a->rules) : NULL;
        cJSON_AddStringToObject(j, "rules_version", cur ? igc_rules_version_id(cur) : "none");
        igc_rules_release(cur);
        cJSON_AddItemToObject(j, "programmes", saved_programmes(result));
        cur = a->programmes ? igc_rules_acquire(a->programmes) : NULL;
        cJSON_AddStringToObject(j, "programmes_version", cur ? igc_rules_version_id(cur) : "none");
        igc_rules_release(cur);
        cJSON_AddStringToObject(j, "engine_version", igc_engine_version(e));
        save_job *sj = calloc(1, sizeof *sj);
        if (!sj) {
            cJSON_Delete(j);
            igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
            goto out;
        }
        sj->a = a;
        sj->r = r;
        sj->doc = doc;
        sj->j = j;
        snprintf(sj->user, sizeof sj->user, "%s", who() ? who() : "");
        igc_engine_unref(e);
        /* the store's transaction and the engine's update on a worker; the request is
         * the job's now */
        offload_run(req, res, sj, save_run, save_answer, save_free);
        return;
    }
out:
    igc_engine_unref(e);
    cJSON_Delete(doc);
    igc_req_free(&r);
}

/* Every read of a judgment goes to the audit log: who read whose 사업자등록번호. */
static void audit_read(igc_app *a, const char *id, const cJSON *doc) {
    char brnm[32];
    const cJSON *co = cJSON_GetObjectItemCaseSensitive(doc, "company");
    igc_app_mask_brn(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(co, "brn")), brnm);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "judgment", id);
    cJSON_AddStringToObject(f, "brn", brnm);
    igc_app_audit(a, NULL, "judgment.read", who(), f);
}

/* A confirmation or a voiding on a worker (store transaction, then the engine under
 * its write lock). */
typedef struct review_job {
    igc_app *a;
    int action, rc;
    char id[256], user[128], reason[2048];
    cJSON *doc;
    const char *why;
} review_job;

static void review_run(void *p) {
    review_job *rj = p;
    rj->rc = igc_app_judgment_review(rj->a, rj->user[0] ? rj->user : NULL, rj->id, rj->action, rj->reason, &rj->doc,
                                     &rj->why);
}

static void review_answer(void *p, igc_http_response *res) {
    review_job *rj = p;
    int rc = rj->rc;
    if (rc == IGC_ENOTFOUND || rc == IGC_EINVAL) {
        igc_http_error(res, 404, "unknown_judgment", "해당 판별 기록을 찾을 수 없습니다.", NULL, 0);
    } else if (rc == IGC_ESTATE) {
        const char *why = rj->why ? rj->why : "judgment_confirmed";
        const char *msg = strcmp(why, "judgment_voided") == 0        ? "이미 무효 처리된 판별입니다."
                          : strcmp(why, "judgment_superseded") == 0 ? "이후의 판별로 대체된 판별은 확정할 수 없습니다."
                                                                    : "이미 확정된 판별입니다.";
        igc_http_error(res, 409, why, msg, NULL, 0);
    } else if (rc == IGC_EFULL) {
        igc_http_error(res, 507, "storage_full", "저장 공간이 가득 찼습니다. 관리자에게 문의해 주세요.", NULL, 0);
    } else if (rc) {
        igc_http_error(res, 500, "storage_error", "판별 기록을 고치지 못했습니다.", NULL, 0);
    } else {
        igc_log(IGC_LOG_INFO, "judgment %s %s by %s", rj->id,
                rj->action == IGC_JUDGMENT_CONFIRM ? "confirmed" : "voided", rj->user[0] ? rj->user : "(open)");
        send_json(res, 200, rj->doc);
        rj->doc = NULL;
    }
}

static void review_free(void *p) {
    review_job *rj = p;
    cJSON_Delete(rj->doc);
    free(rj);
}

/* Confirms (reviewer) or voids (reviewer, with a reason) a judgment. */
static void judgment_review(igc_app *a, const igc_http_request *req, igc_http_response *res, int action) {
    char reason[2048] = "";
    if (action == IGC_JUDGMENT_VOID) {
        const char *f[] = {"reason"};
        if (check_json_type(req, res)) return;
        cJSON *b = cJSON_ParseWithLength(req->body, req->body_len);
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(b, "reason");
        if (cJSON_IsString(rs)) snprintf(reason, sizeof reason, "%s", rs->valuestring);
        int too_long = cJSON_IsString(rs) && igc_utf8_len(rs->valuestring) > MAX_COMMENT_CHARS;
        cJSON_Delete(b);
        igc_trim(reason);
        if (too_long) {
            igc_http_error(res, 400, "field_too_long", "무효 사유가 너무 깁니다 (최대 1000자).", f, 1);
            return;
        }
        if (!reason[0]) {
            igc_http_error(res, 400, "blank_field", "공란 입력: 무효 처리 사유(reason)를 입력해 주세요.", f, 1);
            return;
        }
    }
    review_job *rj = calloc(1, sizeof *rj);
    if (!rj) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
        return;
    }
    rj->a = a;
    rj->action = action;
    snprintf(rj->reason, sizeof rj->reason, "%s", reason);
    snprintf(rj->user, sizeof rj->user, "%s", who() ? who() : "");
    /* longer than any id: unknown (said by the store's own check of the cut id) */
    if (snprintf(rj->id, sizeof rj->id, "%s", req->params[0]) >= (int)sizeof rj->id) rj->id[0] = '\0';
    offload_run(req, res, rj, review_run, review_answer, review_free);
}

static void h_judgment_confirm(void *ud, const igc_http_request *req, igc_http_response *res) {
    judgment_review(ud, req, res, IGC_JUDGMENT_CONFIRM);
}

static void h_judgment_void(void *ud, const igc_http_request *req, igc_http_response *res) {
    judgment_review(ud, req, res, IGC_JUDGMENT_VOID);
}

/* The judgment's result in the latest re-classification job, when there is one:
 * "reclassification": {job, taxonomy_version, relation, new_code, ...} or null. */
static void add_reclassification(igc_app *a, const char *id, cJSON *o) {
    char job[32], key[96], *txt = NULL;
    cJSON *r = NULL;
    if (igc_reclass_latest(a, job) == 0) {
        snprintf(key, sizeof key, "%s/%s", job, id);
        if (igc_store_reclass_get(a->store, key, &txt) == 0) r = cJSON_Parse(txt);
        free(txt);
        if (r) cJSON_AddStringToObject(r, "job", job);
    }
    cJSON_AddItemToObject(o, "reclassification", r ? r : cJSON_CreateNull());
}

static void h_judgment_get(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char *json;
    size_t len;
    int rc = igc_store_judgment_get(a->store, req->params[0], &json, &len);
    if (rc == IGC_ENOTFOUND || rc == IGC_EINVAL) {
        igc_http_error(res, 404, "unknown_judgment", "해당 판별 기록을 찾을 수 없습니다.", NULL, 0);
        return;
    }
    if (rc) {
        igc_http_error(res, 500, "storage_error", "판별 기록을 읽지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_ParseWithLength(json, len);
    free(json);
    if (!o) {
        igc_http_error(res, 500, "storage_error", "판별 기록이 손상되었습니다.", NULL, 0);
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
    cJSON_AddStringToObject(o, "id", req->params[0]);
    audit_read(a, req->params[0], o);
    add_reclassification(a, req->params[0], o);
    send_json(res, 200, o);
}

static void h_judgment_list(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char brn[64], brn10[11], lim[16];
    const char *f[] = {"brn"};
    int qrc = igc_http_query_param(req->query, "brn", brn, sizeof brn);
    if (qrc == IGC_ENOTFOUND || (qrc == 0 && igc_blank(brn))) {
        igc_http_error(res, 400, "blank_field", "공란 입력: 사업자등록번호(brn)를 입력해 주세요.", f, 1);
        return;
    }
    if (qrc) {
        igc_http_error(res, 400, "invalid_brn", "사업자등록번호가 올바르지 않습니다. 10자리 숫자와 검증번호를 확인해 주세요.", f, 1);
        return;
    }
    if (igc_brn_normalize(brn, brn10)) {
        igc_http_error(res, 400, "invalid_brn", "사업자등록번호가 올바르지 않습니다. 10자리 숫자와 검증번호를 확인해 주세요.", f, 1);
        return;
    }
    long limit = 50;
    if (igc_http_query_param(req->query, "limit", lim, sizeof lim) == 0) limit = strtol(lim, NULL, 10);
    if (limit < 1 || limit > 500) limit = 50;
    igc_store_ids ids;
    if (igc_store_judgment_list_brn(a->store, brn10, (size_t)limit, &ids)) {
        igc_http_error(res, 500, "storage_error", "판별 이력을 읽지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "judgments");
    static const char *copy[] = {"saved_at",   "chosen_item",  "chosen_item_name", "none_reason",
                                 "comment",    "taxonomy_version", "rules_version", "examiner",
                                 "status",     "confirmed",    "confirmed_by",     "supersedes",
                                 "superseded_by", "voided_by", "void_reason"};
    for (size_t i = 0; i < ids.n; i++) {
        cJSON *j, *x = igc_app_judgment_brief(a, ids.ids[i], copy, sizeof copy / sizeof copy[0], &j);
        if (!x) continue;
        add_reclassification(a, ids.ids[i], x);
        cJSON *co = cJSON_GetObjectItemCaseSensitive(j, "company");
        cJSON *nm = co ? cJSON_GetObjectItemCaseSensitive(co, "name") : NULL;
        cJSON_AddStringToObject(x, "company_name", cJSON_IsString(nm) ? nm->valuestring : "");
        cJSON *result = cJSON_GetObjectItemCaseSensitive(j, "result");
        cJSON *items = result ? cJSON_GetObjectItemCaseSensitive(result, "items") : NULL;
        cJSON *top = cJSON_GetArrayItem(items, 0);
        cJSON *tc = top ? cJSON_GetObjectItemCaseSensitive(top, "code") : NULL;
        if (cJSON_IsString(tc)) cJSON_AddStringToObject(x, "top_item", tc->valuestring);
        cJSON *app = result ? cJSON_GetObjectItemCaseSensitive(result, "applicable") : NULL;
        if (cJSON_IsBool(app)) cJSON_AddBoolToObject(x, "applicable", cJSON_IsTrue(app));
        if (!cJSON_GetObjectItemCaseSensitive(x, "status")) cJSON_AddStringToObject(x, "status", "current");
        cJSON_AddItemToArray(arr, x);
        cJSON_Delete(j);
    }
    if (ids.n) {
        char brnm[32];
        igc_app_mask_brn(brn10, brnm);
        cJSON *af = cJSON_CreateObject();
        cJSON_AddStringToObject(af, "brn", brnm);
        cJSON_AddNumberToObject(af, "judgments", (double)ids.n);
        igc_app_audit(a, NULL, "judgment.list", who(), af);
    }
    igc_store_ids_free(&ids);
    send_json(res, 200, o);
}

/* ---- rules and status ---- */

/* 1 when the rules are on; otherwise answers 503 and returns 0. */
static int rules_on(const igc_app *a, igc_http_response *res) {
    if (a->rules) return 1;
    igc_http_error(res, 503, "rules_disabled", "적용원칙 규칙이 꺼져 있습니다.", NULL, 0);
    return 0;
}

static void h_rules(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (!rules_on(a, res)) return;
    send_json(res, 200, igc_rules_status_json(a->rules));
}

/* A rule or programme reload answered when its worker thread is done. */
typedef struct reload_wait {
    igc_http_deferred *d;
    igc_app *a;
    igc_rules *set;
    int programmes;
    char user[128]; /* who asked, for the audit log: the answer comes after the handler returned */
} reload_wait;

static void reload_answer(igc_http_response *res, igc_rules *set, int programmes, int rc, const char *why) {
    if (rc == IGC_ENOMEM) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
    } else if (rc == IGC_ESTATE) {
        igc_http_error(res, 503, "shutting_down", "서버가 종료 중입니다.", NULL, 0);
    } else if (rc) {
        char msg[1024];
        snprintf(msg, sizeof msg,
                 programmes ? "지원사업 변경이 거부되어 이전 목록을 계속 사용합니다: %.900s"
                            : "규칙 변경이 거부되어 이전 규칙을 계속 사용합니다: %.900s",
                 why && *why ? why : igc_strerror(rc));
        igc_http_error(res, 422, programmes ? "programmes_rejected" : "rules_rejected", msg, NULL, 0);
    } else {
        send_json(res, 200, igc_rules_status_json(set));
    }
}

static void reload_done(void *ud, int rc, const char *why) {
    reload_wait *w = ud;
    igc_http_response res = {.status = 200};
    if (!rc) igc_app_audit_policy(w->a, w->user[0] ? w->user : NULL);
    if (rc == IGC_ESTATE)
        reload_answer(&res, NULL, w->programmes, rc, why);
    else
        reload_answer(&res, w->set, w->programmes, rc, why);
    igc_http_deferred_finish(w->d, &res);
    free(w);
}

/* Loads and tests the set on a worker thread, so a slow or hostile rule test
 * never stalls other requests; answers when it is done. */
static void reload_set(igc_app *a, const igc_http_request *req, igc_http_response *res, igc_rules *set,
                       int programmes) {
    reload_wait *w = calloc(1, sizeof *w);
    igc_http_deferred *d = w ? igc_http_defer(req) : NULL;
    if (d) {
        w->d = d;
        w->a = a;
        snprintf(w->user, sizeof w->user, "%s", who() ? who() : "");
        w->set = set;
        w->programmes = programmes;
        if (igc_rules_reload_async(set, igc_http_deferred_loop(d), reload_done, w) == 0) return;
        igc_http_response now = {.status = 200};
        igc_http_error(&now, 500, "internal_error", "서버 내부 오류입니다.", NULL, 0);
        igc_http_deferred_finish(d, &now);
        free(w);
        return;
    }
    free(w);
    /* Not from a server connection: reload here. */
    igc_buf err = {0};
    int rc = igc_rules_reload(set, &err);
    if (!rc) igc_app_audit_policy(a, who());
    reload_answer(res, set, programmes, rc, err.data);
    igc_buf_free(&err);
}

static void h_rules_reload(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (!rules_on(a, res)) return;
    reload_set(a, req, res, a->rules, 0);
}

/* ---- support programmes and regions ---- */

/* 1 when a programme set is loaded; otherwise answers 503 and returns 0. */
static int programmes_on(const igc_app *a, igc_http_response *res) {
    if (a->programmes) return 1;
    igc_http_error(res, 503, "programmes_disabled", "지원사업(연계 우대지원) 목록이 꺼져 있습니다.", NULL, 0);
    return 0;
}

static void h_programmes(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (!programmes_on(a, res)) return;
    send_json(res, 200, igc_rules_status_json(a->programmes));
}

static void h_programmes_reload(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (!programmes_on(a, res)) return;
    reload_set(a, req, res, a->programmes, 1);
}

static void h_regions(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    (void)req;
    send_json(res, 200, igc_regions_json());
}

/* ---- the index-term dictionary ---- */

/* 1 when the lexicon is on; otherwise answers 503 and returns 0. */
static int lexicon_on(const igc_app *a, igc_http_response *res) {
    if (!a->cfg.no_lexicon) return 1;
    igc_http_error(res, 503, "lexicon_disabled", "색인어 사전이 꺼져 있습니다.", NULL, 0);
    return 0;
}

static void h_lexicon(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (lexicon_on(a, res)) send_json(res, 200, igc_app_lexicon_status_json(a));
}

static void h_lexicon_reload(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (!lexicon_on(a, res)) return;
    igc_buf err = {0};
    int rc = igc_app_lexicon_reload(a, &err);
    if (rc == IGC_ENOMEM) {
        igc_http_error(res, 500, "out_of_memory", "서버 메모리가 부족합니다.", NULL, 0);
    } else if (rc) {
        char msg[2200];
        snprintf(msg, sizeof msg, "색인어 사전 변경이 거부되어 이전 사전을 계속 사용합니다: %.2000s",
                 err.data ? err.data : igc_strerror(rc));
        igc_http_error(res, 422, "lexicon_rejected", msg, NULL, 0);
    } else {
        igc_app_audit_policy(a, who());
        send_json(res, 200, igc_app_lexicon_status_json(a));
    }
    igc_buf_free(&err);
}

static void h_lexicon_item(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (!lexicon_on(a, res)) return;
    igc_lexicon *lx = igc_app_lexicon_ref(a);
    const igc_taxonomy *t = lx ? igc_lexicon_taxonomy(lx) : NULL;
    const igc_tx_item *it = t ? item_by_code(t, req->params[0]) : NULL;
    const char *f[] = {"code"};
    if (!it) {
        igc_http_error(res, 404, "unknown_item", "해당 품목코드를 찾을 수 없습니다.", f, 1);
        igc_lexicon_unref(lx);
        return;
    }
    const igc_lex_item *li = igc_lexicon_item(lx, (size_t)(it - t->items));
    cJSON *o = li ? igc_lexicon_item_json(lx, li, a->ksic) : cJSON_CreateObject();
    if (o && !li) { /* the file has no line for it: empty lists */
        cJSON_AddStringToObject(o, "code", it->code);
        cJSON_AddStringToObject(o, "name", it->name);
        const char *lists[] = {"terms", "ksic", "confusable", "not_applicable_cues"};
        for (int i = 0; i < 4; i++) cJSON_AddArrayToObject(o, lists[i]);
    }
    if (o) {
        cJSON_AddBoolToObject(o, "listed", li != NULL);
        cJSON_AddStringToObject(o, "version", igc_lexicon_version(lx));
    }
    igc_lexicon_unref(lx);
    send_json(res, 200, o);
}

static void h_status(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    igc_engine *e = igc_engine_ref(a->engine);
    const igc_taxonomy *t = igc_engine_taxonomy(e);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "service", "igcd");
    cJSON_AddStringToObject(o, "version", IGC_VERSION);
    cJSON_AddStringToObject(o, "started_at", a->loaded_at);
    cJSON_AddStringToObject(o, "taxonomy_version", t->version);
    cJSON *tx = cJSON_AddObjectToObject(o, "taxonomy");
    cJSON_AddStringToObject(tx, "version", t->version);
    cJSON_AddNumberToObject(tx, "themes", (double)t->nthemes);
    cJSON_AddNumberToObject(tx, "fields", (double)t->nfields);
    cJSON_AddNumberToObject(tx, "items", (double)t->nitems);
    cJSON_AddStringToObject(o, "engine_version", igc_engine_version(e));
    cJSON_AddStringToObject(o, "index", igc_engine_index_desc(e));
    cJSON_AddStringToObject(o, "model", a->enc ? a->enc->version : "none");
    cJSON_AddNumberToObject(o, "exemplars", (double)igc_engine_exemplar_count(e));
    /* what an operator must act on, {code, message}; [] when all is well */
    cJSON *warn = cJSON_AddArrayToObject(o, "warnings");
    if (igc_engine_exemplar_count(e) == 0) {
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "code", "no_past_judgments");
        cJSON_AddStringToObject(w, "message",
                                "저장소에 과거 판별이 없어 분류 정확도가 크게 낮습니다. 서버 컴퓨터에서 igc --db <저장소> history "
                                "import <데이터>/labeled/history.csv 명령으로 가져오십시오(실행 중에도 1초 안에 "
                                "반영됩니다).");
        cJSON_AddItemToArray(warn, w);
    }
    double used = store_used(a);
    if (used >= (double)a->cfg.store_alarm_pct / 100.0) {
        char msg[300];
        snprintf(msg, sizeof msg, "저장소(LMDB)가 %.0f%% 찼습니다 (경보 기준 %zu%%). 가득 차면 판별을 저장할 수 없습니다: --map-mb를 늘려 다시 시작하거나 보존 기한이 지난 판별을 정리하십시오.",
                 used * 100, a->cfg.store_alarm_pct);
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "code", "store_almost_full");
        cJSON_AddStringToObject(w, "message", msg);
        cJSON_AddItemToArray(warn, w);
    }
    cJSON *au = cJSON_AddObjectToObject(o, "auth");
    cJSON_AddBoolToObject(au, "enabled", a->auth_on);
    cJSON_AddStringToObject(au, "learn_from", a->cfg.learn_from);
    cJSON_AddItemToObject(o, "revisions", igc_app_revisions_json(a));
    char job[32];
    cJSON *jo = igc_reclass_latest(a, job) == 0 ? igc_reclass_json(a, job) : NULL;
    if (jo) cJSON_DeleteItemFromObject(jo, "last_key");
    cJSON_AddItemToObject(o, "reclassify", jo ? jo : cJSON_CreateNull());
    if (a->rules) cJSON_AddItemToObject(o, "rules", igc_rules_status_json(a->rules));
    if (!a->cfg.no_lexicon) cJSON_AddItemToObject(o, "lexicon", igc_app_lexicon_status_json(a));
    igc_store_stats st;
    if (a->store && igc_store_stat(a->store, &st) == 0) {
        cJSON *s = cJSON_AddObjectToObject(o, "store");
        cJSON_AddNumberToObject(s, "judgments", (double)st.judgments);
        cJSON_AddNumberToObject(s, "exemplars", (double)st.exemplars);
        cJSON_AddNumberToObject(s, "map_size", (double)st.map_size);
        cJSON_AddNumberToObject(s, "map_used", (double)st.map_used);
        cJSON_AddNumberToObject(s, "alarm_pct", (double)a->cfg.store_alarm_pct);
        cJSON_AddNumberToObject(s, "audit_records", (double)st.audit);
    }
    igc_engine_unref(e);
    send_json(res, 200, o);
}

/* ---- web screens ---- */

static void h_static(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    const igc_static_file *f = igc_static_find(req->path);
    if (!f) {
        igc_http_error(res, 404, "not_found", "요청한 페이지를 찾을 수 없습니다.", NULL, 0);
        return;
    }
    res->status = 200;
    res->content_type = f->content_type;
    igc_buf_append(&res->body, f->data, f->len);
    snprintf(res->extra_headers, sizeof res->extra_headers,
             "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n");
}

/* ---- identity: sessions of the screens, users ---- */

#define COOKIE "igc_session"

/* The session id of the request's cookie into sid ("" when none). */
static void cookie_sid(const igc_http_request *req, char sid[40]) {
    sid[0] = '\0';
    const char *c = igc_http_header(req, "cookie");
    for (const char *p = c; p && *p;) {
        while (*p == ' ' || *p == ';') p++;
        size_t n = strlen(COOKIE);
        if (strncmp(p, COOKIE, n) == 0 && p[n] == '=') {
            p += n + 1;
            size_t l = strcspn(p, "; ");
            if (l < 40) memcpy(sid, p, l), sid[l] = '\0';
            return;
        }
        p = strchr(p, ';');
    }
}

static void session_json(igc_app *a, const igc_user *u, const char *csrf, cJSON *o) {
    cJSON_AddBoolToObject(o, "auth", a->auth_on);
    if (u && u->name[0]) {
        cJSON_AddStringToObject(o, "user", u->name);
        cJSON_AddStringToObject(o, "role", igc_auth_role_name(u->role));
    } else {
        cJSON_AddNullToObject(o, "user");
        cJSON_AddStringToObject(o, "role", "open");
    }
    if (csrf) cJSON_AddStringToObject(o, "csrf", csrf);
    cJSON_AddStringToObject(o, "learn_from", a->cfg.learn_from);
}

/* Who is signed in (the screens ask at start); in open mode {auth:false}. */
static void h_session_get(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char sid[40];
    const char *hash = NULL, *csrf = NULL;
    cookie_sid(req, sid);
    if (sid[0]) igc_auth_session_find(a->sessions, sid, &hash, &csrf);
    cJSON *o = cJSON_CreateObject();
    session_json(a, g_user, csrf, o);
    send_json(res, 200, o);
}

/* Signs in with a bearer token: a session cookie (HttpOnly, SameSite=Strict,
 * Secure behind TLS) and the CSRF token the screens send back on every change. */
static void h_session_post(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (check_json_type(req, res)) return;
    cJSON *b = cJSON_ParseWithLength(req->body, req->body_len);
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "token"));
    const char *f[] = {"token"};
    if (!a->auth_on) {
        cJSON_Delete(b);
        cJSON *o = cJSON_CreateObject();
        session_json(a, NULL, NULL, o);
        send_json(res, 200, o);
        return;
    }
    if (!tok || igc_blank(tok)) {
        cJSON_Delete(b);
        igc_http_error(res, 400, "blank_field", "공란 입력: 인증 토큰을 입력해 주세요.", f, 1);
        return;
    }
    char t2[IGC_AUTH_TOKEN_SIZE + 8];
    snprintf(t2, sizeof t2, "%s", tok);
    cJSON_Delete(b);
    igc_trim(t2);
    igc_user u;
    char hash[65], sid[40], csrf[40];
    if (igc_auth_token_user(a->store, t2, &u)) {
        igc_http_error(res, 401, "invalid_token", "인증 토큰이 올바르지 않거나 만료되었습니다. 관리자에게 새 토큰을 요청하십시오.", f, 1);
        return;
    }
    igc_sha256_hex(t2, strlen(t2), hash);
    if (igc_auth_session_open(a->sessions, hash, sid, csrf)) {
        igc_http_error(res, 500, "internal_error", "로그인 세션을 만들지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    u.via = "session";
    session_json(a, &u, csrf, o);
    igc_app_audit(a, NULL, "session.login", u.name, NULL);
    send_json(res, 200, o);
    snprintf(res->extra_headers, sizeof res->extra_headers,
             "Cache-Control: no-store\r\nSet-Cookie: " COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s\r\n", sid,
             a->cfg.cookie_secure ? "; Secure" : "");
}

static void h_session_delete(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char sid[40];
    cookie_sid(req, sid);
    if (sid[0]) igc_auth_session_close(a->sessions, sid);
    if (who()) igc_app_audit(a, NULL, "session.logout", who(), NULL);
    cJSON *o = cJSON_CreateObject();
    session_json(a, NULL, NULL, o);
    send_json(res, 200, o);
    snprintf(res->extra_headers, sizeof res->extra_headers,
             "Cache-Control: no-store\r\nSet-Cookie: " COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s\r\n",
             a->cfg.cookie_secure ? "; Secure" : "");
}

static void h_users(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    cJSON *arr = igc_auth_user_list(a->store);
    if (!arr) {
        igc_http_error(res, 500, "storage_error", "사용자 목록을 읽지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "users", arr);
    send_json(res, 200, o);
}

/* ---- revisions and re-classification (administrator) ---- */

/* {"error": {...}, "report": report} */
static void send_report_error(igc_http_response *res, int status, const char *code, const char *msg, const char *field,
                              cJSON *report) {
    igc_http_error(res, status, code, msg, field ? &field : NULL, field ? 1 : 0);
    cJSON *o = cJSON_Parse(res->body.data);
    if (o && report) cJSON_AddItemToObject(o, "report", report);
    else cJSON_Delete(report);
    if (o) {
        res->body.len = 0;
        char *txt = cJSON_PrintUnformatted(o);
        igc_buf_puts(&res->body, txt ? txt : "{}");
        free(txt);
        cJSON_Delete(o);
    }
}

static void h_revision_post(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    if (check_json_type(req, res)) return;
    if (!igc_utf8_valid(req->body, req->body_len)) {
        igc_http_error(res, 400, "invalid_utf8", "요청 본문이 올바른 UTF-8이 아닙니다.", NULL, 0);
        return;
    }
    cJSON *doc = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *tx = doc ? cJSON_GetObjectItemCaseSensitive(doc, "taxonomy") : NULL;
    const cJSON *cw = doc ? cJSON_GetObjectItemCaseSensitive(doc, "crosswalk") : NULL;
    if (!cJSON_IsObject(doc)) {
        igc_http_error(res, 400, "invalid_json", "요청 본문이 JSON 객체가 아닙니다.", NULL, 0);
        cJSON_Delete(doc);
        return;
    }
    if (!cJSON_IsObject(tx) || !cJSON_IsString(cw)) {
        const char *f = !cJSON_IsObject(tx) ? "taxonomy" : "crosswalk";
        igc_http_error(res, 400, "invalid_type",
                       !cJSON_IsObject(tx) ? "taxonomy에 새 개편의 분류체계(JSON 객체)가 필요합니다."
                                           : "crosswalk에 대응표 CSV 텍스트(문자열)가 필요합니다.",
                       &f, 1);
        cJSON_Delete(doc);
        return;
    }
    char *txt = cJSON_PrintUnformatted(tx);
    const char *csv = cw->valuestring;
    size_t skip = strncmp(csv, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    cJSON *report = NULL;
    igc_taxonomy *t = NULL;
    igc_crosswalk *c = NULL;
    int rc = txt ? igc_app_revision_check(a, txt, strlen(txt), csv + skip, strlen(csv + skip), &report, &t, &c) : IGC_ENOMEM;
    if (rc) {
        int tx_bad = report && cJSON_GetObjectItem(cJSON_GetObjectItem(report, "taxonomy"), "error");
        const cJSON *errs = cJSON_GetObjectItem(cJSON_GetObjectItem(report, "crosswalk"), "errors");
        char msg[700];
        if (tx_bad)
            snprintf(msg, sizeof msg, "새 개편의 분류체계가 올바르지 않습니다: %s",
                     cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(report, "taxonomy"), "error")));
        else
            snprintf(msg, sizeof msg, "대응표가 올바르지 않습니다 (%d건): %s", cJSON_GetArraySize(errs),
                     cJSON_GetArraySize(errs) ? cJSON_GetArrayItem(errs, 0)->valuestring : "");
        send_report_error(res, 422, tx_bad ? "invalid_revision" : "invalid_crosswalk", msg, tx_bad ? "taxonomy" : "crosswalk",
                          report);
        free(txt);
        cJSON_Delete(doc);
        return;
    }
    char ver[64];
    snprintf(ver, sizeof ver, "%s", t->version);
    if (igc_app_revision_save(a, ver, txt, strlen(txt), csv + skip, strlen(csv + skip)))
        igc_log(IGC_LOG_WARN, "revision %s: its files could not be kept under %s/revisions", ver, a->cfg.db_dir);
    free(txt);
    cJSON_Delete(doc);
    cJSON *shown = cJSON_Duplicate(report, 1);
    rc = igc_app_revision_stage(a, uv_default_loop(), t, c, report);
    if (rc == IGC_ESTATE) {
        cJSON_Delete(shown);
        igc_http_error(res, 409, "staging_in_progress", "다른 개편을 준비하고 있습니다. 끝난 뒤 다시 올려 주십시오.", NULL, 0);
        return;
    }
    if (rc) {
        cJSON_Delete(shown);
        igc_http_error(res, 500, "staging_failed", "새 개편을 준비하지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", ver);
    cJSON_AddStringToObject(o, "state", "building");
    cJSON_AddItemToObject(o, "report", shown);
    send_json(res, 201, o);
    /* where to watch the build: its state turns ready (or failed) there */
    snprintf(res->extra_headers, sizeof res->extra_headers, "Cache-Control: no-store\r\nLocation: %s\r\n",
             IGC_API_REVISIONS_PATH);
}

static void h_revisions_get(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)req;
    send_json(res, 200, igc_app_revisions_json(ud));
}

/* {"version": "..."} from a POST body; NULL with the error sent. */
static cJSON *body_object(const igc_http_request *req, igc_http_response *res) {
    if (check_json_type(req, res)) return NULL;
    cJSON *doc = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : cJSON_CreateObject();
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        igc_http_error(res, 400, "invalid_json", "요청 본문이 JSON 객체가 아닙니다.", NULL, 0);
        return NULL;
    }
    return doc;
}

static void h_activate(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    cJSON *doc = body_object(req, res);
    if (!doc) return;
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "version"));
    const char *f = "version";
    if (!ver) {
        igc_http_error(res, 400, "invalid_type", "version에 활성화할 개편의 version 문자열이 필요합니다.", &f, 1);
        cJSON_Delete(doc);
        return;
    }
    cJSON *rules = NULL;
    int rc = igc_app_revision_rules_check(a, ver, &rules);
    if (rc == 0 && cJSON_GetArraySize(rules) > 0) {
        char msg[700];
        snprintf(msg, sizeof msg, "규칙이 새 개편에 없는 품목코드를 씁니다. 규칙을 고친 뒤 활성화하십시오: %s",
                 cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rules, 0), "message")));
        cJSON *rep = cJSON_CreateObject();
        cJSON_AddItemToObject(rep, "rules", rules);
        send_report_error(res, 409, "rules_name_missing_codes", msg, NULL, rep);
        cJSON_Delete(doc);
        return;
    }
    cJSON_Delete(rules);
    if (!rc) rc = igc_app_revision_activate(a, ver);
    if (rc == IGC_ENOTFOUND)
        igc_http_error(res, 404, "unknown_revision", "준비된(staged) 개편 중 그 version이 없습니다.", &f, 1);
    else if (rc == IGC_ESTATE)
        igc_http_error(res, 409, "revision_not_ready",
                       "그 개편은 아직 준비 중이거나 준비에 실패했습니다. GET /api/v1/taxonomy/revisions로 상태를 확인하십시오.", &f, 1);
    else if (rc)
        igc_http_error(res, 500, "activation_failed", "개편을 활성화하지 못했습니다.", NULL, 0);
    else
        send_json(res, 200, igc_app_revisions_json(a));
    cJSON_Delete(doc);
}

static void h_rollback(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    if (igc_app_revision_rollback(a))
        igc_http_error(res, 409, "no_previous_revision", "되돌아갈 이전 개편이 없습니다.", NULL, 0);
    else
        send_json(res, 200, igc_app_revisions_json(a));
}

static void h_reclassify_post(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    (void)req;
    char id[32];
    int rc = igc_reclass_start(a, 1, 0, NULL, NULL, id);
    if (rc == IGC_ESTATE) {
        igc_http_error(res, 409, "reclassify_running", "재분류 작업이 이미 진행 중입니다.", NULL, 0);
        return;
    }
    if (rc) {
        igc_http_error(res, 500, "reclassify_failed", "재분류 작업을 시작하지 못했습니다.", NULL, 0);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "job", id);
    send_json(res, 202, o);
}

static void h_reclassify_get(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char id[32];
    const char *want = req->params[0];
    if (strcmp(want, "latest") == 0 && igc_reclass_latest(a, id) == 0) want = id;
    cJSON *o = igc_reclass_json(a, want);
    if (!o) {
        igc_http_error(res, 404, "unknown_job", "그런 재분류 작업이 없습니다.", NULL, 0);
        return;
    }
    cJSON_DeleteItemFromObject(o, "last_key");
    send_json(res, 200, o);
}

/* The job's full report file: ?format=csv (default; UTF-8 with BOM, one judgment a line) or json. */
static void h_reclassify_report(void *ud, const igc_http_request *req, igc_http_response *res) {
    igc_app *a = ud;
    char id[32], fmt[8] = "csv";
    const char *want = req->params[0];
    if (strcmp(want, "latest") == 0 && igc_reclass_latest(a, id) == 0) want = id;
    cJSON *job = igc_reclass_json(a, want);
    const cJSON *rep = job ? cJSON_GetObjectItem(job, "report") : NULL;
    igc_http_query_param(req->query, "format", fmt, sizeof fmt);
    const char *f = "format";
    if (strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0) {
        igc_http_error(res, 400, "invalid_format", "format은 csv 또는 json이어야 합니다.", &f, 1);
    } else if (!job) {
        igc_http_error(res, 404, "unknown_job", "그런 재분류 작업이 없습니다.", NULL, 0);
    } else if (!cJSON_IsObject(rep)) {
        igc_http_error(res, 409, "report_not_ready", "재분류 작업이 끝나야 보고서가 있습니다.", NULL, 0);
    } else {
        /* the path comes from the job record the service wrote, never from the request */
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(rep, fmt));
        char *txt = NULL;
        size_t len = 0;
        if (!path || igc_read_file(path, &txt, &len)) {
            igc_http_error(res, 404, "report_missing", "보고서 파일을 찾을 수 없습니다.", NULL, 0);
        } else {
            res->status = 200;
            res->content_type = strcmp(fmt, "csv") == 0 ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
            igc_buf_append(&res->body, txt, len);
            snprintf(res->extra_headers, sizeof res->extra_headers,
                     "Cache-Control: no-store\r\nContent-Disposition: attachment; filename=\"reclassify-%s.%s\"\r\n",
                     cJSON_GetStringValue(cJSON_GetObjectItem(job, "job")), fmt);
        }
        free(txt);
    }
    cJSON_Delete(job);
}

/* ---- the route table and the guard in front of every handler ---- */

#define R_PUBLIC IGC_ROLE_PUBLIC
#define R_ANY IGC_ROLES_ANY
#define R_EXAM (IGC_ROLE_EXAMINER | IGC_ROLE_REVIEWER)
#define R_REVIEW IGC_ROLE_REVIEWER
#define R_POLICY IGC_ROLE_POLICY
#define R_ADMIN IGC_ROLE_ADMIN

typedef struct api_route {
    const char *method, *pattern;
    igc_http_handler h;
    int roles; /* IGC_ROLE_* allowed to call it; R_PUBLIC: no identity needed */
} api_route;

typedef struct {
    igc_app *a;
    const api_route *r;
} api_bound;

static const char *role_list_ko(int roles) {
    static const struct {
        int role;
        const char *ko;
    } names[] = {{IGC_ROLE_EXAMINER, "심사역"}, {IGC_ROLE_REVIEWER, "검토자"}, {IGC_ROLE_POLICY, "정책담당"}, {IGC_ROLE_ADMIN, "관리자"}};
    static _Thread_local char buf[96];
    buf[0] = '\0';
    for (int i = 0; i < 4; i++)
        if (roles & names[i].role)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? ", " : "", names[i].ko);
    return buf;
}

/* Finds who makes the request: the trusted proxy's header, a bearer token or a
 * session cookie (then *csrf is its CSRF token). 0, or IGC_ENOTFOUND when none is
 * valid. */
static int identify(igc_app *a, const igc_http_request *req, igc_user *u, const char **csrf) {
    *csrf = NULL;
    memset(u, 0, sizeof *u);
    if (a->cfg.proxy_header[0] && a->cfg.proxy_addr[0]) {
        const char *name = igc_http_header(req, a->cfg.proxy_header);
        size_t hl = strlen(a->cfg.proxy_addr);
        const char *rem = req->remote ? req->remote : "";
        /* "10.0.0.5:41234" or "[::1]:41234": the host part must be the proxy's */
        int from_proxy = (strncmp(rem, a->cfg.proxy_addr, hl) == 0 && rem[hl] == ':') ||
                         (rem[0] == '[' && strncmp(rem + 1, a->cfg.proxy_addr, hl) == 0 && rem[hl + 1] == ']');
        if (name && from_proxy) {
            if (igc_auth_name_user(a->store, name, u)) return IGC_ENOTFOUND;
            u->via = "proxy";
            return 0;
        }
    }
    const char *auth = igc_http_header(req, "authorization");
    if (auth) {
        if (strncasecmp(auth, "Bearer ", 7) != 0) return IGC_ENOTFOUND;
        const char *tok = auth + 7;
        while (*tok == ' ') tok++;
        if (igc_auth_token_user(a->store, tok, u)) return IGC_ENOTFOUND;
        u->via = "token";
        return 0;
    }
    char sid[40];
    const char *hash;
    cookie_sid(req, sid);
    if (sid[0] && igc_auth_session_find(a->sessions, sid, &hash, csrf) == 0 && igc_auth_hash_user(a->store, hash, u) == 0) {
        u->via = "session";
        snprintf(u->session, sizeof u->session, "%s", sid);
        return 0;
    }
    *csrf = NULL;
    return IGC_ENOTFOUND;
}

static int safe_method(const char *m) { return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0; }

/* Checks identity and role, then calls the route's handler with g_user set. */
static void guard(void *ud, const igc_http_request *req, igc_http_response *res) {
    const api_bound *b = ud;
    igc_app *a = b->a;
    igc_user u;
    const char *csrf = NULL;
    if (!a->auth_on) {
        memset(&u, 0, sizeof u);
        u.role = IGC_ROLES_ANY;
        u.via = "open";
    } else if (identify(a, req, &u, &csrf)) {
        if (b->r->roles != R_PUBLIC) {
            igc_http_error(res, 401, "unauthorized",
                           "로그인이 필요합니다: 인증 토큰(Authorization: Bearer)이나 로그인 세션이 없거나, 올바르지 않거나, 만료되었습니다.",
                           NULL, 0);
            snprintf(res->extra_headers, sizeof res->extra_headers, "WWW-Authenticate: Bearer realm=\"igc\"\r\n");
            return;
        }
        memset(&u, 0, sizeof u);
    } else if (b->r->roles != R_PUBLIC && !(u.role & b->r->roles)) {
        char msg[256];
        snprintf(msg, sizeof msg, "이 기능을 사용할 권한이 없습니다 (현재 역할: %s, 필요한 역할: %s).",
                 igc_auth_role_name(u.role), role_list_ko(b->r->roles));
        igc_http_error(res, 403, "forbidden", msg, NULL, 0);
        return;
    } else if (csrf && !safe_method(req->method) && b->r->roles != R_PUBLIC) {
        /* a cookie rides along with any request the browser makes: a change must
         * also carry the CSRF token only the screens' own script can read (public
         * routes such as a new login act with no identity and need none) */
        const char *sent = igc_http_header(req, "x-csrf-token");
        if (!sent || !igc_const_eq(sent, csrf)) {
            igc_http_error(res, 403, "csrf_failed", "요청을 확인할 수 없습니다 (CSRF 토큰 불일치). 화면을 새로 고친 뒤 다시 시도해 주세요.",
                           NULL, 0);
            return;
        }
    }
    const igc_user *prev = g_user;
    g_user = &u;
    b->r->h(a, req, res);
    g_user = prev;
}

int igc_api_register(igc_http_router *r, igc_app *a) {
    /* Every route states who may call it (docs/security.md, docs/openapi.yaml). */
    static const api_route routes[] = {
        {"GET", "/healthz", h_healthz, R_PUBLIC},
        {"GET", "/readyz", h_readyz, R_PUBLIC},
        {"GET", "/api/v1/session", h_session_get, R_PUBLIC},
        {"POST", "/api/v1/session", h_session_post, R_PUBLIC},
        {"DELETE", "/api/v1/session", h_session_delete, R_ANY},
        {"GET", "/api/v1/taxonomy", h_taxonomy, R_ANY},
        {"GET", "/api/v1/taxonomy/search", h_search, R_ANY},
        {"GET", "/api/v1/taxonomy/items/{code}", h_item, R_ANY},
        {"GET", "/api/v1/ksic/{code}", h_ksic, R_ANY},
        {"POST", "/api/v1/classify", h_classify, R_EXAM | R_POLICY},
        {"POST", "/api/v1/judgments", h_judgment_post, R_EXAM},
        {"GET", "/api/v1/judgments", h_judgment_list, R_EXAM},
        {"GET", "/api/v1/judgments/{id}", h_judgment_get, R_EXAM},
        {"POST", "/api/v1/judgments/{id}/confirm", h_judgment_confirm, R_REVIEW},
        {"POST", "/api/v1/judgments/{id}/void", h_judgment_void, R_REVIEW},
        {"GET", "/api/v1/rules", h_rules, R_ANY},
        {"POST", "/api/v1/rules/reload", h_rules_reload, R_POLICY},
        {"GET", "/api/v1/programmes", h_programmes, R_ANY},
        {"POST", "/api/v1/programmes/reload", h_programmes_reload, R_POLICY},
        {"GET", "/api/v1/regions", h_regions, R_ANY},
        {"GET", "/api/v1/lexicon", h_lexicon, R_ANY},
        {"POST", "/api/v1/lexicon/reload", h_lexicon_reload, R_POLICY},
        {"GET", "/api/v1/lexicon/items/{code}", h_lexicon_item, R_ANY},
        {"GET", "/api/v1/status", h_status, R_ANY},
        {"GET", "/api/v1/users", h_users, R_ADMIN},
        /* administrator actions: revisions and re-classification */
        {"GET", IGC_API_REVISIONS_PATH, h_revisions_get, R_ADMIN},
        {"POST", IGC_API_REVISIONS_PATH, h_revision_post, R_ADMIN},
        {"POST", "/api/v1/taxonomy/activate", h_activate, R_ADMIN},
        {"POST", "/api/v1/taxonomy/rollback", h_rollback, R_ADMIN},
        {"POST", "/api/v1/reclassify", h_reclassify_post, R_ADMIN},
        {"GET", "/api/v1/reclassify/{job}", h_reclassify_get, R_ADMIN},
        {"GET", "/api/v1/reclassify/{job}/report", h_reclassify_report, R_ADMIN},
        {"GET", "/", h_static, R_PUBLIC},
        {"GET", "/{file}", h_static, R_PUBLIC},
    };
    size_t n = sizeof routes / sizeof routes[0];
    api_bound *bound = calloc(n, sizeof *bound);
    if (!bound) return IGC_ENOMEM;
    free(a->api_routes);
    a->api_routes = bound;
    if (!a->sessions && igc_auth_sessions_new((unsigned)a->cfg.session_minutes, &a->sessions)) return IGC_ENOMEM;
    if (!a->save_rate && igc_auth_rate_new(&a->save_rate)) return IGC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        bound[i] = (api_bound){a, &routes[i]};
        int rc = igc_http_router_add(r, routes[i].method, routes[i].pattern, guard, &bound[i]);
        if (rc) return rc;
    }
    return 0;
}
