/*
 * The index-term dictionary: loading and validation, the term tables and matching.
 *
 * Layout: every string and per-item array lives in one arena freed with the lexicon.
 * Terms and not-applicable cues are each kept in a "dict": an entry per distinct
 * normalised form (terms) or per item and cue (cues), with two hash tables of chains:
 * by first word (sequence matches start there) and by compound key (the Hangul form
 * without spaces, >= 3 syllables) for matches inside a longer input word.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "igc_lexicon.h"
#include "lexicon_int.h"

#define MAX_ERRORS 20
#define MAX_TERM_CHARS 100  /* a term is a phrase, not a sentence */
#define MAX_CUE_CHARS 200
#define MAX_WORDS 16
#define MAX_PER_ITEM 1000   /* terms, codes or cues in one line */
#define MAX_SCAN_CP 256     /* code points of an input word scanned for compounds */

/* ---- arena ---- */

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(8) char data[];
} arena_chunk;

static void *arena_alloc(lex_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static char *arena_strndup(lex_arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void arena_free(lex_arena *a) {
    for (arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
}

/* ---- string-keyed tables of chains (open addressing) ---- */

static uint64_t key_hash(const char *k, size_t n) { return igc_hash64(k, n, 0x6c6578ULL); }

static lex_slot *table_find(const lex_table *t, const char *k, size_t n, uint64_t h) {
    if (!t->cap) return NULL;
    for (size_t i = (size_t)h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        lex_slot *s = &t->s[i];
        if (!s->head) return NULL;
        if (s->h == h && s->klen == n && memcmp(s->k, k, n) == 0) return s;
    }
}

/* Finds or adds the slot of key k (which must outlive the table). NULL on ENOMEM. */
static lex_slot *table_put(lex_table *t, const char *k, size_t n) {
    uint64_t h = key_hash(k, n);
    lex_slot *s = table_find(t, k, n, h);
    if (s) return s;
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        lex_slot *ns = calloc(cap, sizeof *ns);
        if (!ns) return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->s[i].head) continue;
            size_t j = (size_t)t->s[i].h & (cap - 1);
            while (ns[j].head) j = (j + 1) & (cap - 1);
            ns[j] = t->s[i];
        }
        free(t->s);
        t->s = ns;
        t->cap = cap;
    }
    size_t i = (size_t)h & (t->cap - 1);
    while (t->s[i].head) i = (i + 1) & (t->cap - 1);
    t->n++;
    t->s[i] = (lex_slot){h, k, (uint32_t)n, 0};
    return &t->s[i];
}

/* ---- dictionaries ---- */

static size_t hangul_syllables(const char *s) {
    size_t n = 0, len = strlen(s), i = 0;
    while (i < len) {
        uint32_t cp;
        int k = igc_utf8_decode(s + i, len - i, &cp);
        if (k <= 0) break;
        if (cp >= 0xAC00 && cp <= 0xD7A3) n++;
        i += (size_t)k;
    }
    return n;
}

/* Adds an entry of normalised words (copied to the arena); returns its index or -1. */
static int64_t dict_add(lex_dict *d, lex_arena *ar, const igc_words *w) {
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        lex_entry *e = realloc(d->e, cap * sizeof *e);
        if (!e) return -1;
        d->e = e;
        d->cap = cap;
    }
    lex_entry *e = &d->e[d->n];
    memset(e, 0, sizeof *e);
    e->w = arena_alloc(ar, w->n * sizeof *e->w);
    if (!e->w) return -1;
    e->nw = (uint32_t)w->n;
    int all_hangul = 1;
    size_t joined_len = 0;
    for (size_t i = 0; i < w->n; i++) {
        e->w[i] = arena_strndup(ar, w->w[i].norm, strlen(w->w[i].norm));
        if (!e->w[i]) return -1;
        all_hangul &= w->w[i].hangul != 0;
        joined_len += strlen(w->w[i].norm);
    }
    uint32_t id = (uint32_t)d->n;
    lex_slot *s = table_put(&d->first, e->w[0], strlen(e->w[0]));
    if (!s) return -1;
    e->next_first = s->head;
    s->head = id + 1;
    /* Compound key: the Hangul form without spaces, of at least 3 syllables. */
    if (all_hangul) {
        char *key = (char *)e->w[0];
        if (e->nw > 1) {
            key = arena_alloc(ar, joined_len + 1);
            if (!key) return -1;
            size_t o = 0;
            for (size_t i = 0; i < e->nw; i++) {
                size_t l = strlen(e->w[i]);
                memcpy(key + o, e->w[i], l);
                o += l;
            }
            key[o] = '\0';
        }
        if (hangul_syllables(key) >= 3) {
            s = table_put(&d->comp, key, strlen(key));
            if (!s) return -1;
            e->next_comp = s->head;
            e->joined = e->nw > 1;
            s->head = id + 1;
            size_t cps = igc_utf8_len(key);
            if (cps > d->comp_max_cp) d->comp_max_cp = cps;
        }
    }
    d->n++;
    return id;
}

static void dict_free(lex_dict *d) {
    free(d->e);
    free(d->first.s);
    free(d->comp.s);
    memset(d, 0, sizeof *d);
}

static int push_hit(igc_lex_hits *out, uint32_t id, uint32_t w0, uint32_t nw, int partial) {
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 32;
        igc_lex_hit *h = realloc(out->h, cap * sizeof *h);
        if (!h) return IGC_ENOMEM;
        out->h = h;
        out->cap = cap;
    }
    out->h[out->n++] = (igc_lex_hit){id, w0, nw, partial};
    return 0;
}

static int dict_match(const lex_dict *d, const igc_words *w, igc_lex_hits *out) {
    if (!d->n || !w) return 0;
    for (size_t i = 0; i < w->n; i++) {
        const char *s = w->w[i].norm;
        size_t len = strlen(s);
        if (!len) continue;
        /* whole-word sequences starting here */
        lex_slot *sl = table_find(&d->first, s, len, key_hash(s, len));
        for (uint32_t id = sl ? sl->head : 0; id; id = d->e[id - 1].next_first) {
            const lex_entry *e = &d->e[id - 1];
            if (i + e->nw > w->n) continue;
            size_t k = 1;
            /* spans that do not move forward mark the start of another gathered field */
            while (k < e->nw && w->w[i + k].start >= w->w[i + k - 1].end && strcmp(w->w[i + k].norm, e->w[k]) == 0)
                k++;
            if (k == e->nw && push_hit(out, id - 1, (uint32_t)i, e->nw, 0)) return IGC_ENOMEM;
        }
        if (!w->w[i].hangul || !d->comp.n) continue;
        /* compounds: every substring of >= 3 code points, up to the longest key */
        size_t offs[MAX_SCAN_CP + 1], m = 0, p = 0;
        while (p < len && m < MAX_SCAN_CP) {
            offs[m++] = p;
            uint32_t cp;
            int k = igc_utf8_decode(s + p, len - p, &cp);
            p += k > 0 ? (size_t)k : 1;
        }
        offs[m] = p;
        if (m < 3) continue;
        size_t first_hit = out->n;
        size_t maxl = m < d->comp_max_cp ? m : d->comp_max_cp;
        for (size_t a = 0; a + 3 <= m; a++) {
            for (size_t l = 3; l <= maxl && a + l <= m; l++) {
                size_t kl = offs[a + l] - offs[a];
                const char *k = s + offs[a];
                sl = table_find(&d->comp, k, kl, key_hash(k, kl));
                if (!sl) continue;
                int whole = a == 0 && l == m && p == len;
                for (uint32_t id = sl->head; id; id = d->e[id - 1].next_comp) {
                    const lex_entry *e = &d->e[id - 1];
                    if (whole && !e->joined) continue; /* already a whole-word hit above */
                    int dup = 0;
                    for (size_t h = first_hit; h < out->n && !dup; h++)
                        dup = out->h[h].term == id - 1 && out->h[h].nwords == 1;
                    if (!dup && push_hit(out, id - 1, (uint32_t)i, 1, !whole)) return IGC_ENOMEM;
                }
            }
        }
    }
    return 0;
}

/* ---- loading ---- */

typedef struct load_ctx {
    igc_lexicon *lx;
    const igc_ksic *ksic;
    const char *name;
    igc_buf *err;
    size_t nerr;
    int rc;
    size_t line;
    const char *code; /* of the current line, for messages */
    size_t *line_of;  /* per taxonomy item: line that listed it, 0 none */
    uint32_t *pairs;  /* (term id, item index) pairs */
    size_t npairs, pcap;
} load_ctx;

static int problem(load_ctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int problem(load_ctx *c, int rc, const char *fmt, ...) {
    if (!c->rc) c->rc = rc;
    if (rc == IGC_ENOMEM) c->rc = rc;
    if (c->nerr++ >= MAX_ERRORS || !c->err || rc == IGC_ENOMEM) return c->rc;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->err->len) igc_buf_puts(c->err, "\n");
    if (c->name) igc_buf_printf(c->err, "%s: ", c->name);
    if (!c->line) igc_buf_puts(c->err, msg);
    else if (c->code) igc_buf_printf(c->err, "%zu번째 줄 (%s): %s", c->line, c->code, msg);
    else igc_buf_printf(c->err, "%zu번째 줄: %s", c->line, msg);
    return c->rc;
}

/* Trimmed copy of a JSON string in the arena; NULL when out of memory. */
static char *trimmed(load_ctx *c, const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    char *p = arena_strndup(&c->lx->ar, s, n);
    if (p) igc_trim(p);
    return p;
}

/* Normalised words of a phrase; 0 words means it has no letters or digits. */
static int phrase_words(const char *s, igc_words *w) {
    igc_text_words_free(w);
    return igc_text_words(s, w);
}

/* Short display of a (possibly long) user string for messages. */
static const char *show(const char *s, char *buf, size_t n) {
    size_t len = strlen(s);
    if (len < n) return s;
    size_t cut = n - 4;
    while (cut && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
    snprintf(buf, n, "%.*s…", (int)cut, s);
    return buf;
}

static const cJSON *field(load_ctx *c, const cJSON *o, const char *key, int array) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        problem(c, IGC_EPARSE, "'%s' 항목이 없습니다 (missing field)", key);
        return NULL;
    }
    if (array && !cJSON_IsArray(v)) {
        problem(c, IGC_EPARSE, "'%s' 항목은 배열이어야 합니다 (must be an array)", key);
        return NULL;
    }
    if (cJSON_GetArraySize(v) > MAX_PER_ITEM) {
        problem(c, IGC_EINVAL, "'%s' 항목이 너무 깁니다 (최대 %d개)", key, MAX_PER_ITEM);
        return NULL;
    }
    return v;
}

/* A distinct term by normalised form; adds it when new. Returns its id or -1 (ENOMEM). */
static int64_t term_id(load_ctx *c, const char *text, const igc_words *w) {
    igc_lexicon *lx = c->lx;
    size_t n = 0;
    for (size_t i = 0; i < w->n; i++) n += strlen(w->w[i].norm) + 1;
    char *form = arena_alloc(&lx->ar, n);
    if (!form) return -1;
    size_t o = 0;
    for (size_t i = 0; i < w->n; i++) {
        size_t l = strlen(w->w[i].norm);
        memcpy(form + o, w->w[i].norm, l);
        o += l;
        form[o++] = i + 1 < w->n ? ' ' : '\0';
    }
    lex_slot *s = table_put(&lx->byform, form, o - 1);
    if (!s) return -1;
    if (s->head) return s->head - 1;
    int64_t id = dict_add(&lx->tdict, &lx->ar, w);
    if (id < 0) return -1;
    if (lx->nterms == lx->termcap) {
        size_t cap = lx->termcap ? lx->termcap * 2 : 1024;
        igc_lex_term *t = realloc(lx->terms, cap * sizeof *t);
        if (!t) return -1;
        lx->terms = t;
        lx->termcap = cap;
    }
    lx->terms[lx->nterms++] = (igc_lex_term){text, NULL, 0, 0};
    s->head = (uint32_t)id + 1;
    return id;
}

static int add_pair(load_ctx *c, uint32_t term, uint32_t item) {
    if (c->npairs + 2 > c->pcap) {
        size_t cap = c->pcap ? c->pcap * 2 : 4096;
        uint32_t *p = realloc(c->pairs, cap * sizeof *p);
        if (!p) return IGC_ENOMEM;
        c->pairs = p;
        c->pcap = cap;
    }
    c->pairs[c->npairs++] = term;
    c->pairs[c->npairs++] = item;
    return 0;
}

static int parse_terms(load_ctx *c, const cJSON *arr, igc_lex_item *li, uint32_t idx, igc_words *w) {
    size_t n = (size_t)cJSON_GetArraySize(arr);
    const char **terms = arena_alloc(&c->lx->ar, (n ? n : 1) * sizeof *terms);
    if (!terms) return problem(c, IGC_ENOMEM, "out of memory");
    size_t k = 0, pos = 0;
    char b1[64];
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        size_t at = pos++;
        if (!cJSON_IsString(v)) {
            problem(c, IGC_EPARSE, "terms[%zu]: 문자열이어야 합니다", at);
            continue;
        }
        char *t = trimmed(c, v->valuestring);
        if (!t) return problem(c, IGC_ENOMEM, "out of memory");
        if (!*t) {
            problem(c, IGC_EINVAL, "terms[%zu]: 빈 색인어입니다 (empty term)", at);
            continue;
        }
        if (igc_utf8_len(t) > MAX_TERM_CHARS) {
            problem(c, IGC_EINVAL, "terms[%zu] \"%s\": 너무 깁니다 (최대 %d자)", at, show(t, b1, sizeof b1),
                    MAX_TERM_CHARS);
            continue;
        }
        if (phrase_words(t, w)) return problem(c, IGC_ENOMEM, "out of memory");
        if (w->n == 0) {
            problem(c, IGC_EINVAL, "terms[%zu] \"%s\": 한글·영문·숫자가 없는 빈 색인어입니다 (empty term)", at, t);
            continue;
        }
        if (w->n > MAX_WORDS) {
            problem(c, IGC_EINVAL, "terms[%zu] \"%s\": 낱말이 너무 많습니다 (최대 %d개)", at, show(t, b1, sizeof b1),
                    MAX_WORDS);
            continue;
        }
        size_t dup = k;
        for (size_t j = 0; j < k && dup == k; j++)
            if (strcmp(terms[j], t) == 0) dup = j;
        if (dup < k) {
            problem(c, IGC_EINVAL, "terms[%zu] \"%s\": 같은 품목에 이미 있는 색인어입니다 (duplicate term)", at, t);
            continue;
        }
        int64_t id = term_id(c, t, w);
        if (id < 0 || add_pair(c, (uint32_t)id, idx)) return problem(c, IGC_ENOMEM, "out of memory");
        terms[k++] = t;
    }
    li->terms = terms;
    li->nterms = k;
    return 0;
}

static int parse_ksic(load_ctx *c, const cJSON *arr, igc_lex_item *li) {
    size_t n = (size_t)cJSON_GetArraySize(arr);
    const char **codes = arena_alloc(&c->lx->ar, (n ? n : 1) * sizeof *codes);
    if (!codes) return problem(c, IGC_ENOMEM, "out of memory");
    size_t k = 0, pos = 0;
    char b1[64];
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        size_t at = pos++;
        if (!cJSON_IsString(v)) {
            problem(c, IGC_EPARSE, "ksic[%zu]: 문자열이어야 합니다", at);
            continue;
        }
        const char *s = v->valuestring;
        int digits = strlen(s) == 5;
        for (int i = 0; digits && i < 5; i++) digits = s[i] >= '0' && s[i] <= '9';
        if (!digits) {
            problem(c, IGC_EINVAL, "ksic[%zu] \"%s\": KSIC 11차 5자리 숫자 코드가 아닙니다", at, show(s, b1, sizeof b1));
            continue;
        }
        if (c->ksic && !igc_ksic_find(c->ksic, s)) {
            problem(c, IGC_EINVAL, "ksic[%zu] \"%s\": KSIC 11차에 없는 업종코드입니다 (unknown KSIC code)", at, s);
            continue;
        }
        size_t dup = k;
        for (size_t j = 0; j < k && dup == k; j++)
            if (strcmp(codes[j], s) == 0) dup = j;
        if (dup < k) {
            problem(c, IGC_EINVAL, "ksic[%zu] \"%s\": 이미 적은 업종코드입니다", at, s);
            continue;
        }
        codes[k] = arena_strndup(&c->lx->ar, s, 5);
        if (!codes[k]) return problem(c, IGC_ENOMEM, "out of memory");
        k++;
    }
    li->ksic = codes;
    li->nksic = k;
    return 0;
}

static int parse_confusable(load_ctx *c, const cJSON *arr, igc_lex_item *li) {
    igc_taxonomy *tx = c->lx->tx;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    igc_lex_confusable *cf = arena_alloc(&c->lx->ar, (n ? n : 1) * sizeof *cf);
    if (!cf) return problem(c, IGC_ENOMEM, "out of memory");
    size_t k = 0, pos = 0;
    char b1[64];
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        size_t at = pos++;
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(v, "code");
        const cJSON *cue = cJSON_GetObjectItemCaseSensitive(v, "cue");
        if (!cJSON_IsObject(v) || !cJSON_IsString(code) || !cJSON_IsString(cue)) {
            problem(c, IGC_EPARSE, "confusable[%zu]: {\"code\": 문자열, \"cue\": 문자열} 꼴이어야 합니다", at);
            continue;
        }
        const igc_tx_item *it = igc_taxonomy_item(tx, code->valuestring);
        if (!it) {
            problem(c, IGC_EINVAL, "confusable[%zu] \"%s\": 분류체계(%s)에 없는 품목코드입니다 (unknown item code)", at,
                    show(code->valuestring, b1, sizeof b1), tx->version);
            continue;
        }
        if (it == li->item) {
            problem(c, IGC_EINVAL, "confusable[%zu] \"%s\": 자기 자신을 가리킵니다", at, it->code);
            continue;
        }
        char *t = trimmed(c, cue->valuestring);
        if (!t) return problem(c, IGC_ENOMEM, "out of memory");
        if (!*t) {
            problem(c, IGC_EINVAL, "confusable[%zu] \"%s\": cue(구별 기준)가 비어 있습니다", at, it->code);
            continue;
        }
        cf[k++] = (igc_lex_confusable){it, t};
    }
    li->confusable = cf;
    li->nconfusable = k;
    return 0;
}

static int parse_cues(load_ctx *c, const cJSON *arr, igc_lex_item *li, uint32_t idx, igc_words *w) {
    igc_lexicon *lx = c->lx;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    const char **cues = arena_alloc(&lx->ar, (n ? n : 1) * sizeof *cues);
    if (!cues) return problem(c, IGC_ENOMEM, "out of memory");
    size_t k = 0, pos = 0;
    char b1[64];
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        size_t at = pos++;
        if (!cJSON_IsString(v)) {
            problem(c, IGC_EPARSE, "not_applicable_cues[%zu]: 문자열이어야 합니다", at);
            continue;
        }
        char *t = trimmed(c, v->valuestring);
        if (!t) return problem(c, IGC_ENOMEM, "out of memory");
        if (phrase_words(t, w)) return problem(c, IGC_ENOMEM, "out of memory");
        if (w->n == 0) {
            problem(c, IGC_EINVAL, "not_applicable_cues[%zu]: 빈 표현입니다 (empty cue)", at);
            continue;
        }
        if (igc_utf8_len(t) > MAX_CUE_CHARS || w->n > MAX_WORDS) {
            problem(c, IGC_EINVAL, "not_applicable_cues[%zu] \"%s\": 너무 깁니다 (최대 %d자, 낱말 %d개)", at,
                    show(t, b1, sizeof b1), MAX_CUE_CHARS, MAX_WORDS);
            continue;
        }
        if (dict_add(&lx->cdict, &lx->ar, w) < 0) return problem(c, IGC_ENOMEM, "out of memory");
        if (lx->ncues == lx->cuecap) {
            size_t cap = lx->cuecap ? lx->cuecap * 2 : 512;
            lex_cue *nc = realloc(lx->cues, cap * sizeof *nc);
            if (!nc) return problem(c, IGC_ENOMEM, "out of memory");
            lx->cues = nc;
            lx->cuecap = cap;
        }
        lx->cues[lx->ncues++] = (lex_cue){t, idx};
        cues[k++] = t;
    }
    li->na_cues = cues;
    li->nna_cues = k;
    return 0;
}

static int parse_line(load_ctx *c, const char *s, size_t len, igc_words *w) {
    igc_lexicon *lx = c->lx;
    c->code = NULL;
    if (!igc_utf8_valid(s, len)) return problem(c, IGC_EPARSE, "UTF-8 텍스트가 아닙니다 (invalid UTF-8)");
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    if (o && end) {
        while (end < s + len && (*end == ' ' || *end == '\t' || *end == '\r')) end++;
        if (end < s + len) {
            cJSON_Delete(o);
            return problem(c, IGC_EPARSE, "JSON 객체 뒤에 다른 글자가 있습니다 (%ld번째 바이트)", (long)(end - s) + 1);
        }
    }
    if (!o) return problem(c, IGC_EPARSE, "JSON 형식이 올바르지 않습니다 (bad JSON)");
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return problem(c, IGC_EPARSE, "한 줄에 JSON 객체 하나가 있어야 합니다");
    }
    char b1[64];
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    const igc_tx_item *it = NULL;
    if (!code) problem(c, IGC_EPARSE, "'code' 항목이 없습니다 (missing field)");
    else if (!cJSON_IsString(code)) problem(c, IGC_EPARSE, "'code' 항목은 문자열이어야 합니다");
    else if (!(it = igc_taxonomy_item(lx->tx, code->valuestring)))
        problem(c, IGC_EINVAL, "code \"%s\": 분류체계(%s)에 없는 품목코드입니다 (unknown item code)",
                show(code->valuestring, b1, sizeof b1), lx->tx->version);
    if (!it) {
        cJSON_Delete(o);
        return 0;
    }
    c->code = it->code;
    size_t idx = (size_t)(it - lx->tx->items);
    if (c->line_of[idx]) {
        problem(c, IGC_EINVAL, "이 품목은 %zu번째 줄에 이미 있습니다 (item listed twice)", c->line_of[idx]);
        cJSON_Delete(o);
        return 0;
    }
    c->line_of[idx] = c->line;
    if (name && !cJSON_IsString(name)) problem(c, IGC_EPARSE, "'name' 항목은 문자열이어야 합니다");
    igc_lex_item *li = &lx->items[idx];
    li->item = it;
    li->line = c->line;
    lx->nlines++;
    const cJSON *terms = field(c, o, "terms", 1), *ksic = field(c, o, "ksic", 1);
    const cJSON *conf = field(c, o, "confusable", 1), *cues = field(c, o, "not_applicable_cues", 1);
    if (terms) parse_terms(c, terms, li, (uint32_t)idx, w);
    if (ksic) parse_ksic(c, ksic, li);
    if (conf) parse_confusable(c, conf, li);
    if (cues) parse_cues(c, cues, li, (uint32_t)idx, w);
    if (cJSON_IsString(name)) {
        char *nm = trimmed(c, name->valuestring);
        if (!nm) problem(c, IGC_ENOMEM, "out of memory");
        lx->names[idx] = nm;
    }
    cJSON_Delete(o);
    return 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Per term: the items that list it (ascending, unique) and its idf. */
static int build_terms(load_ctx *c) {
    igc_lexicon *lx = c->lx;
    size_t *count = calloc(lx->nterms + 1, sizeof *count);
    if (!count) return IGC_ENOMEM;
    for (size_t p = 0; p < c->npairs; p += 2) count[c->pairs[p]]++;
    uint32_t **fill = calloc(lx->nterms + 1, sizeof *fill);
    if (!fill) {
        free(count);
        return IGC_ENOMEM;
    }
    for (size_t t = 0; t < lx->nterms; t++) {
        fill[t] = arena_alloc(&lx->ar, count[t] * sizeof(uint32_t) + 1);
        if (!fill[t]) {
            free(count), free(fill);
            return IGC_ENOMEM;
        }
        lx->terms[t].items = fill[t];
    }
    for (size_t p = 0; p < c->npairs; p += 2) {
        igc_lex_term *t = &lx->terms[c->pairs[p]];
        fill[c->pairs[p]][t->nitems++] = c->pairs[p + 1];
    }
    size_t with_terms = 0;
    for (size_t i = 0; i < lx->tx->nitems; i++) with_terms += lx->items[i].nterms > 0;
    for (size_t t = 0; t < lx->nterms; t++) {
        igc_lex_term *tm = &lx->terms[t];
        qsort(fill[t], tm->nitems, sizeof(uint32_t), cmp_u32);
        size_t u = 0;
        for (size_t k = 0; k < tm->nitems; k++)
            if (!u || fill[t][u - 1] != fill[t][k]) fill[t][u++] = fill[t][k];
        tm->nitems = u;
        tm->idf = u ? log((double)with_terms / (double)u) : 0.0;
    }
    free(count);
    free(fill);
    return 0;
}

/* kdiv: the typical KSIC codes of every item, grouped by division (first two digits),
 * so a firm's code is compared with its division's codes only. */
static int build_ksic_index(igc_lexicon *lx) {
    size_t cnt[101] = {0}, total = 0;
    for (size_t i = 0; i < lx->tx->nitems; i++)
        for (size_t c = 0; lx->items[i].item && c < lx->items[i].nksic; c++) {
            const char *k = lx->items[i].ksic[c];
            if (isdigit((unsigned char)k[0]) && isdigit((unsigned char)k[1])) cnt[(k[0] - '0') * 10 + (k[1] - '0')]++, total++;
        }
    lx->kdiv = malloc((total ? total : 1) * sizeof *lx->kdiv);
    if (!lx->kdiv) return IGC_ENOMEM;
    size_t fill[100];
    lx->kdiv0[0] = 0;
    for (int d = 0; d < 100; d++) lx->kdiv0[d + 1] = lx->kdiv0[d] + cnt[d], fill[d] = lx->kdiv0[d];
    for (size_t i = 0; i < lx->tx->nitems; i++)
        for (size_t c = 0; lx->items[i].item && c < lx->items[i].nksic; c++) {
            const char *k = lx->items[i].ksic[c];
            if (isdigit((unsigned char)k[0]) && isdigit((unsigned char)k[1]))
                lx->kdiv[fill[(k[0] - '0') * 10 + (k[1] - '0')]++] = (igc_lex_ksic){(uint32_t)i, k};
        }
    return 0;
}

const igc_lex_ksic *igc_lexicon_ksic_division(const igc_lexicon *lx, const char *code, size_t *n) {
    *n = 0;
    if (!lx || !code || !isdigit((unsigned char)code[0]) || !isdigit((unsigned char)code[1])) return NULL;
    int d = (code[0] - '0') * 10 + (code[1] - '0');
    *n = lx->kdiv0[d + 1] - lx->kdiv0[d];
    return lx->kdiv + lx->kdiv0[d];
}

static void lexicon_free(igc_lexicon *lx) {
    if (!lx) return;
    free(lx->kdiv);
    dict_free(&lx->tdict);
    dict_free(&lx->cdict);
    free(lx->byform.s);
    free(lx->terms);
    free(lx->cues);
    free(lx->items);
    free(lx->names);
    arena_free(&lx->ar);
    igc_taxonomy_unref(lx->tx);
    free(lx);
}

int igc_lexicon_parse(const char *text, size_t len, const char *name, igc_taxonomy *tx, const igc_ksic *ksic,
                      igc_lexicon **out, igc_buf *err) {
    if (!out) return IGC_EINVAL;
    *out = NULL;
    if (!text || !tx) return IGC_EINVAL;
    igc_lexicon *lx = calloc(1, sizeof *lx);
    if (!lx) return IGC_ENOMEM;
    lx->tx = igc_taxonomy_ref(tx);
    lx->items = calloc(tx->nitems ? tx->nitems : 1, sizeof *lx->items);
    lx->names = calloc(tx->nitems ? tx->nitems : 1, sizeof *lx->names);
    load_ctx c = {.lx = lx, .ksic = ksic, .name = name, .err = err};
    c.line_of = calloc(tx->nitems ? tx->nitems : 1, sizeof *c.line_of);
    if (!lx->items || !lx->names || !c.line_of) {
        free(c.line_of);
        lexicon_free(lx);
        return IGC_ENOMEM;
    }
    igc_words w = {0};
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    while (p < end && c.rc != IGC_ENOMEM) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        c.line++;
        size_t n = (size_t)(le - p);
        if (n && p[n - 1] == '\r') n--;
        int blank = 1;
        for (size_t i = 0; i < n && blank; i++) blank = p[i] == ' ' || p[i] == '\t';
        if (!blank) parse_line(&c, p, n, &w);
        p = nl ? nl + 1 : end;
    }
    igc_text_words_free(&w);
    if (!c.rc && lx->nlines == 0) {
        c.code = NULL;
        c.line = 0;
        problem(&c, IGC_EPARSE, "품목이 한 줄도 없습니다 (empty file)");
    }
    if (c.nerr > MAX_ERRORS && err && c.rc != IGC_ENOMEM)
        igc_buf_printf(err, "\n… 오류 %zu건 중 처음 %d건만 표시했습니다", c.nerr, MAX_ERRORS);
    if (!c.rc) c.rc = build_terms(&c);
    if (!c.rc) c.rc = build_ksic_index(lx);
    free(c.line_of);
    free(c.pairs);
    if (c.rc) {
        lexicon_free(lx);
        return c.rc;
    }
    uint64_t h = igc_hash64(text, len, 0);
    snprintf(lx->version, sizeof lx->version, "%s/%08x", tx->version, (unsigned)((h >> 32) ^ h));
    lx->refs = 1;
    *out = lx;
    return 0;
}

int igc_lexicon_load(const char *path, igc_taxonomy *tx, const igc_ksic *ksic, igc_lexicon **out, igc_buf *err) {
    if (!out) return IGC_EINVAL;
    *out = NULL;
    if (!path || !tx) return IGC_EINVAL;
    char *data;
    size_t len;
    int rc = igc_read_file(path, &data, &len);
    if (rc) {
        if (err) igc_buf_printf(err, "%s: 파일을 읽을 수 없습니다 (%s)", path, igc_strerror(rc));
        return rc;
    }
    const char *base = strrchr(path, '/');
    rc = igc_lexicon_parse(data, len, base ? base + 1 : path, tx, ksic, out, err);
    free(data);
    return rc;
}

igc_lexicon *igc_lexicon_ref(igc_lexicon *lx) {
    if (lx) __atomic_add_fetch(&lx->refs, 1, __ATOMIC_RELAXED);
    return lx;
}

void igc_lexicon_unref(igc_lexicon *lx) {
    if (lx && __atomic_sub_fetch(&lx->refs, 1, __ATOMIC_ACQ_REL) == 0) lexicon_free(lx);
}

const char *igc_lexicon_version(const igc_lexicon *lx) { return lx ? lx->version : ""; }

igc_taxonomy *igc_lexicon_taxonomy(const igc_lexicon *lx) { return lx ? lx->tx : NULL; }

const igc_lex_item *igc_lexicon_item(const igc_lexicon *lx, size_t item_index) {
    if (!lx || item_index >= lx->tx->nitems || !lx->items[item_index].item) return NULL;
    return &lx->items[item_index];
}

size_t igc_lexicon_nitems(const igc_lexicon *lx) { return lx ? lx->nlines : 0; }

size_t igc_lexicon_nterms(const igc_lexicon *lx) { return lx ? lx->nterms : 0; }

const igc_lex_term *igc_lexicon_term(const igc_lexicon *lx, uint32_t id) {
    return lx && id < lx->nterms ? &lx->terms[id] : NULL;
}

int64_t igc_lexicon_find(const igc_lexicon *lx, const char *text) {
    if (!lx || !text) return -1;
    igc_words w = {0};
    igc_buf form = {0};
    int64_t id = -1;
    if (igc_text_words(text, &w) == 0 && w.n) {
        for (size_t i = 0; i < w.n; i++) {
            if (i) igc_buf_puts(&form, " ");
            igc_buf_puts(&form, w.w[i].norm);
        }
        lex_slot *s = form.data ? table_find(&lx->byform, form.data, form.len, key_hash(form.data, form.len)) : NULL;
        if (s) id = (int64_t)s->head - 1;
    }
    igc_buf_free(&form);
    igc_text_words_free(&w);
    return id;
}

int igc_lexicon_match(const igc_lexicon *lx, const igc_words *w, igc_lex_hits *out) {
    if (!lx || !out) return IGC_EINVAL;
    return dict_match(&lx->tdict, w, out);
}

int igc_lexicon_match_cues(const igc_lexicon *lx, const igc_words *w, igc_lex_hits *out) {
    if (!lx || !out) return IGC_EINVAL;
    return dict_match(&lx->cdict, w, out);
}

size_t igc_lexicon_ncues(const igc_lexicon *lx) { return lx ? lx->ncues : 0; }

const char *igc_lexicon_cue(const igc_lexicon *lx, uint32_t id, size_t *item_index) {
    if (!lx || id >= lx->ncues) return NULL;
    if (item_index) *item_index = lx->cues[id].item;
    return lx->cues[id].text;
}

void igc_lex_hits_free(igc_lex_hits *h) {
    if (!h) return;
    free(h->h);
    memset(h, 0, sizeof *h);
}

cJSON *igc_lexicon_item_json(const igc_lexicon *lx, const igc_lex_item *li, const igc_ksic *ksic) {
    if (!lx || !li) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "code", li->item->code);
    cJSON_AddStringToObject(o, "name", li->item->name);
    cJSON_AddNumberToObject(o, "line", (double)li->line);
    cJSON *a = cJSON_AddArrayToObject(o, "terms");
    for (size_t i = 0; a && i < li->nterms; i++) cJSON_AddItemToArray(a, cJSON_CreateString(li->terms[i]));
    a = cJSON_AddArrayToObject(o, "ksic");
    for (size_t i = 0; a && i < li->nksic; i++) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddStringToObject(k, "code", li->ksic[i]);
        const igc_ksic_entry *e = ksic ? igc_ksic_find(ksic, li->ksic[i]) : NULL;
        if (e) cJSON_AddStringToObject(k, "name", e->name);
        cJSON_AddItemToArray(a, k);
    }
    a = cJSON_AddArrayToObject(o, "confusable");
    for (size_t i = 0; a && i < li->nconfusable; i++) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddStringToObject(k, "code", li->confusable[i].item->code);
        cJSON_AddStringToObject(k, "name", li->confusable[i].item->name);
        cJSON_AddStringToObject(k, "cue", li->confusable[i].cue);
        cJSON_AddItemToArray(a, k);
    }
    a = cJSON_AddArrayToObject(o, "not_applicable_cues");
    for (size_t i = 0; a && i < li->nna_cues; i++) cJSON_AddItemToArray(a, cJSON_CreateString(li->na_cues[i]));
    return o;
}
