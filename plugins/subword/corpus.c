/* Training corpus: distinct texts and positive pairs gathered from ../shared/data.
 * labeled/dev.csv is never opened here: it is the held-out evaluation set. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "embed_internal.h"

const char *const emb__src_name[EMB_NSRC] = {"taxonomy", "ksic", "companies", "history", "general", "lexicon", "cases"};

static char *join_path(const char *dir, const char *rel) {
    size_t a = strlen(dir), b = strlen(rel);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, rel, b + 1);
    return p;
}

static int read_data(const char *dir, const char *rel, char **out, size_t *len) {
    char *path = join_path(dir, rel);
    if (!path) return IGC_ENOMEM;
    int rc = igc_read_file(path, out, len);
    if (rc) igc_log(IGC_LOG_ERROR, "embed: cannot read %s: %s", path, igc_strerror(rc));
    free(path);
    return rc;
}

/* Opens dir/rel and finds the named columns (see igc_csv_open_cols), saying
 * in the log what is wrong with a file that cannot be used. */
static int open_csv(const char *dir, const char *rel, const char *const *names, size_t n, int *cols, size_t *width,
                    igc_csv **c) {
    char *path = join_path(dir, rel);
    if (!path) return IGC_ENOMEM;
    const char *missing;
    int rc = igc_csv_open_cols(path, names, n, cols, width, c, &missing);
    if (rc && missing) igc_log(IGC_LOG_ERROR, "embed: %s: no column %s", path, missing);
    else if (rc) igc_log(IGC_LOG_ERROR, "embed: cannot read %s: %s", path, igc_strerror(rc));
    free(path);
    return rc;
}

static const char *jstr(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* ---- taxonomy items ---- */

void emb__free_items(emb__item *it, size_t n) {
    if (!it) return;
    for (size_t i = 0; i < n; i++) {
        free(it[i].code);
        free(it[i].name);
        free(it[i].definition);
        free(it[i].examples);
        free(it[i].notes);
    }
    free(it);
}

int emb__load_items(const char *data_dir, emb__item **out, size_t *n) {
    *out = NULL;
    *n = 0;
    char *data;
    size_t len;
    int rc = read_data(data_dir, "taxonomy/igc-v6.json", &data, &len);
    if (rc) return rc;
    cJSON *root = cJSON_ParseWithLength(data, len);
    free(data);
    const cJSON *items = root ? cJSON_GetObjectItemCaseSensitive(root, "items") : NULL;
    if (!cJSON_IsArray(items)) {
        cJSON_Delete(root);
        igc_log(IGC_LOG_ERROR, "embed: taxonomy/igc-v6.json: no items array");
        return IGC_EPARSE;
    }
    int cnt = cJSON_GetArraySize(items);
    emb__item *it = calloc(cnt > 0 ? (size_t)cnt : 1, sizeof *it);
    if (!it) {
        cJSON_Delete(root);
        return IGC_ENOMEM;
    }
    size_t k = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, items) {
        if (!*jstr(x, "code") || !*jstr(x, "name")) continue;
        emb__item *e = &it[k++];
        e->code = igc_strdup(jstr(x, "code"));
        e->name = igc_strdup(jstr(x, "name"));
        e->definition = igc_strdup(jstr(x, "definition"));
        e->examples = igc_strdup(jstr(x, "examples"));
        e->notes = igc_strdup(jstr(x, "notes"));
        if (!e->code || !e->name || !e->definition || !e->examples || !e->notes) {
            cJSON_Delete(root);
            emb__free_items(it, k);
            return IGC_ENOMEM;
        }
    }
    cJSON_Delete(root);
    *out = it;
    *n = k;
    return 0;
}

/* ---- history ---- */

void emb__free_history(emb__hrow *h, size_t n) {
    if (!h) return;
    for (size_t i = 0; i < n; i++) {
        free(h[i].uid);
        free(h[i].query);
        free(h[i].product);
        free(h[i].ksic_name);
        for (int j = 0; j < 3; j++) free(h[i].label[j]);
    }
    free(h);
}

static int buf_word(igc_buf *b, const char *s) {
    if (!s || igc_blank(s)) return 0;
    if (b->len && igc_buf_puts(b, " ")) return IGC_ENOMEM;
    return igc_buf_puts(b, s);
}

int emb__load_history(const char *data_dir, emb__hrow **out, size_t *n) {
    return emb__load_labelled(data_dir, "labeled/history.csv", out, n);
}

int emb__load_labelled(const char *data_dir, const char *rel, emb__hrow **out, size_t *n) {
    *out = NULL;
    *n = 0;
    static const char *const names[] = {"uid", "ksic_name", "main_product", "product_use", "tech_business_name",
                                        "label1", "label2", "label3", "none_reason"};
    int col[9];
    igc_csv *c;
    char **f;
    size_t nf;
    int rc = open_csv(data_dir, rel, names, 9, col, NULL, &c);
    if (rc) return rc;
    emb__hrow *h = NULL;
    size_t k = 0, cap = 0;
    int r;
    while ((r = igc_csv_next(c, &f, &nf)) == 1) {
        const char *v[9];
        for (int i = 0; i < 9; i++) v[i] = (size_t)col[i] < nf ? f[col[i]] : "";
        if (k == cap) {
            cap = cap ? cap * 2 : 256;
            emb__hrow *t = realloc(h, cap * sizeof *t);
            if (!t) {
                rc = IGC_ENOMEM;
                break;
            }
            h = t;
        }
        emb__hrow *e = &h[k];
        memset(e, 0, sizeof *e);
        e->row = k++;
        igc_buf q = {0};
        if (buf_word(&q, v[1]) || buf_word(&q, v[2]) || buf_word(&q, v[3]) || buf_word(&q, v[4]) ||
            igc_buf_puts(&q, "")) {
            igc_buf_free(&q);
            rc = IGC_ENOMEM;
            break;
        }
        e->query = q.data;
        e->uid = igc_strdup(v[0]);
        e->ksic_name = igc_strdup(v[1]);
        e->product = igc_strdup(v[2]);
        for (int j = 0; j < 3; j++) e->label[j] = igc_strdup(v[5 + j]);
        e->none = !igc_blank(v[8]);
        if (!e->uid || !e->ksic_name || !e->product || !e->label[0] || !e->label[1] || !e->label[2]) {
            rc = IGC_ENOMEM;
            break;
        }
    }
    if (!rc && r < 0) {
        igc_log(IGC_LOG_ERROR, "embed: %s: bad CSV near line %zu", rel, igc_csv_line(c));
        rc = r;
    }
    igc_csv_close(c);
    if (rc) {
        emb__free_history(h, k);
        return rc;
    }
    *out = h;
    *n = k;
    return 0;
}

/* ---- corpus building ---- */

static uint64_t str_hash(const char *s, size_t n) { return igc_hash64(s, n, 0x5eed); }

/* Adds the trimmed text s[0..n) (deduplicated); *idx gets its index. Returns 1 when
 * the text is blank (nothing added). */
static int add_text(emb__corpus *c, const char *s, size_t n, uint32_t *idx) {
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    if (!n) return 1;
    if ((c->ntext + 1) * 2 > c->tmask + 1 || !c->tslot) {
        uint64_t cap = c->tslot ? (c->tmask + 1) * 2 : 4096;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t) return IGC_ENOMEM;
        for (size_t i = 0; i < c->ntext; i++) {
            uint64_t h = str_hash(c->text[i], strlen(c->text[i])) & (cap - 1);
            while (t[h]) h = (h + 1) & (cap - 1);
            t[h] = (uint32_t)i + 1;
        }
        free(c->tslot);
        c->tslot = t;
        c->tmask = cap - 1;
    }
    uint64_t h = str_hash(s, n) & c->tmask;
    while (c->tslot[h]) {
        const char *t = c->text[c->tslot[h] - 1];
        if (strlen(t) == n && memcmp(t, s, n) == 0) {
            *idx = c->tslot[h] - 1;
            return 0;
        }
        h = (h + 1) & c->tmask;
    }
    if (c->ntext == c->tcap) {
        size_t cap = c->tcap ? c->tcap * 2 : 1024;
        char **t = realloc(c->text, cap * sizeof *t);
        if (!t) return IGC_ENOMEM;
        c->text = t;
        c->tcap = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy) return IGC_ENOMEM;
    memcpy(copy, s, n);
    copy[n] = '\0';
    c->text[c->ntext] = copy;
    c->tslot[h] = (uint32_t)c->ntext + 1;
    *idx = (uint32_t)c->ntext++;
    return 0;
}

/* Adds a positive pair (texts given with lengths). Blank or identical sides are
 * skipped silently. */
static int add_pair_n(emb__corpus *c, const char *a, size_t an, const char *b, size_t bn, int src) {
    uint32_t ia, ib;
    int rc = add_text(c, a, an, &ia);
    if (rc) return rc < 0 ? rc : 0;
    rc = add_text(c, b, bn, &ib);
    if (rc) return rc < 0 ? rc : 0;
    if (ia == ib) return 0;
    /* Same pair from two sources (KSIC-10 and -11 share most notes) counts once. */
    if ((c->npair + 1) * 2 > c->pmask + 1 || !c->pset) {
        uint64_t cap = c->pset ? (c->pmask + 1) * 2 : 8192;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t) return IGC_ENOMEM;
        for (size_t i = 0; i < c->npair; i++) {
            uint64_t key = (uint64_t)c->pair[i].a << 32 | c->pair[i].b;
            uint64_t h = igc_hash64(&key, sizeof key, 0) & (cap - 1);
            while (t[h]) h = (h + 1) & (cap - 1);
            t[h] = key;
        }
        free(c->pset);
        c->pset = t;
        c->pmask = cap - 1;
    }
    uint64_t key = (uint64_t)ia << 32 | ib; /* never 0: ia != ib */
    uint64_t h = igc_hash64(&key, sizeof key, 0) & c->pmask;
    while (c->pset[h]) {
        if (c->pset[h] == key) return 0;
        h = (h + 1) & c->pmask;
    }
    c->pset[h] = key;
    if (c->npair == c->pcap) {
        size_t cap = c->pcap ? c->pcap * 2 : 4096;
        emb__pair *p = realloc(c->pair, cap * sizeof *p);
        if (!p) return IGC_ENOMEM;
        c->pair = p;
        c->pcap = cap;
    }
    c->pair[c->npair++] = (emb__pair){ia, ib, (uint8_t)src};
    c->per_src[src]++;
    return 0;
}

static int add_pair(emb__corpus *c, const char *a, const char *b, int src) {
    return add_pair_n(c, a, strlen(a), b, strlen(b), src);
}

/* Calls fn on every piece of s between any of the separators (UTF-8 strings). */
typedef int (*piece_fn)(emb__corpus *c, const char *p, size_t n, void *ud);
static int split_pieces(emb__corpus *c, const char *s, const char *const *seps, piece_fn fn, void *ud) {
    const char *start = s;
    for (const char *p = s;; ) {
        size_t sl = 0;
        if (*p) {
            for (int i = 0; seps[i]; i++) {
                size_t l = strlen(seps[i]);
                if (strncmp(p, seps[i], l) == 0) {
                    sl = l;
                    break;
                }
            }
        }
        if (!*p || sl) {
            if (p > start) {
                int rc = fn(c, start, (size_t)(p - start), ud);
                if (rc) return rc;
            }
            if (!*p) return 0;
            p += sl;
            start = p;
        } else {
            p++;
        }
    }
}

typedef struct {
    const char *target;
    int src;
} piece_ctx;

/* A piece paired with the context's target text; a trailing "등" (etc.) is dropped. */
static int piece_to_target(emb__corpus *c, const char *p, size_t n, void *ud) {
    piece_ctx *x = ud;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '.')) n--;
    if (n > 4 && memcmp(p + n - 4, " 등", 4) == 0) n -= 4;
    return add_pair_n(c, p, n, x->target, strlen(x->target), x->src);
}

static const char *skip_prefix(const char *s, const char *prefix) {
    while (*s == ' ') s++;
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) == 0) s += n;
    return s;
}

static int taxonomy_pairs(const char *dir, emb__corpus *c) {
    emb__item *it;
    size_t n;
    int rc = emb__load_items(dir, &it, &n);
    if (rc) return rc;
    static const char *const lines[] = {"\n", NULL};
    static const char *const list[] = {",", "\n", NULL};
    for (size_t i = 0; i < n && !rc; i++) {
        igc_buf t = {0};
        rc = igc_embed_item_text(it[i].name, it[i].definition, &t);
        if (rc) break;
        piece_ctx x = {t.data, EMB_SRC_TAX};
        rc = add_pair(c, it[i].name, t.data, EMB_SRC_TAX);
        if (!rc) rc = split_pieces(c, it[i].definition, lines, piece_to_target, &x);
        if (!rc) rc = split_pieces(c, skip_prefix(it[i].examples, "(예시)"), list, piece_to_target, &x);
        if (!rc) rc = split_pieces(c, it[i].notes, lines, piece_to_target, &x);
        /* Examples also pull towards the bare name: short queries meet short names. */
        piece_ctx xn = {it[i].name, EMB_SRC_TAX};
        if (!rc) rc = split_pieces(c, skip_prefix(it[i].examples, "(예시)"), list, piece_to_target, &xn);
        igc_buf_free(&t);
    }
    emb__free_items(it, n);
    return rc;
}

static int ksic_pairs(const char *dir, const char *rel, emb__corpus *c) {
    static const char *const names[] = {"name5", "desc5", "examples5", "cls4_name", "desc4"};
    int col[5];
    igc_csv *csv;
    char **f;
    size_t nf, width;
    int rc = open_csv(dir, rel, names, 5, col, &width, &csv);
    if (rc) return rc;
    int cn = col[0], cd = col[1], ce = col[2], c4 = col[3], cd4 = col[4];
    static const char *const seps[] = {"|", "\xe2\x80\xa4" /* ․ */, ",", NULL};
    int r;
    while (!rc && (r = igc_csv_next(csv, &f, &nf)) == 1) {
        if (nf < width) continue;
        igc_buf t = {0};
        rc = igc_buf_puts(&t, f[cn]);
        if (!rc && !igc_blank(f[cd])) rc = igc_buf_printf(&t, "\n%s", f[cd]);
        if (rc) {
            igc_buf_free(&t);
            break;
        }
        piece_ctx x = {t.data, EMB_SRC_KSIC};
        rc = add_pair(c, f[cn], f[cd], EMB_SRC_KSIC);
        if (!rc) rc = split_pieces(c, f[ce], seps, piece_to_target, &x);
        if (!rc) rc = add_pair(c, f[c4], f[cd4], EMB_SRC_KSIC);
        igc_buf_free(&t);
    }
    igc_csv_close(csv);
    return rc;
}

/* Group text of each KSIC-11 3-digit group: its name and its 5-digit names. */
typedef struct {
    char code[4];
    igc_buf text;
} grp_text;

static int ksic_groups(const char *dir, grp_text **out, size_t *n) {
    *out = NULL;
    *n = 0;
    static const char *const names[] = {"grp3", "grp3_name", "name5"};
    int col[3];
    igc_csv *csv;
    char **f;
    size_t nf, width;
    int rc = open_csv(dir, "ksic/ksic11_hierarchy.csv", names, 3, col, &width, &csv);
    if (rc) return rc;
    int cg = col[0], cgn = col[1], cn = col[2];
    grp_text *g = NULL;
    size_t k = 0, cap = 0;
    int r;
    while (!rc && (r = igc_csv_next(csv, &f, &nf)) == 1) {
        if (nf < width || strlen(f[cg]) != 3) continue;
        size_t i = 0;
        while (i < k && strcmp(g[i].code, f[cg]) != 0) i++;
        if (i == k) {
            if (k == cap) {
                cap = cap ? cap * 2 : 256;
                grp_text *t = realloc(g, cap * sizeof *t);
                if (!t) {
                    rc = IGC_ENOMEM;
                    break;
                }
                g = t;
            }
            memset(&g[k], 0, sizeof g[k]);
            memcpy(g[k].code, f[cg], 4);
            rc = igc_buf_puts(&g[k++].text, f[cgn]);
        }
        if (!rc) rc = igc_buf_printf(&g[i].text, "\n%s", f[cn]);
    }
    igc_csv_close(csv);
    if (rc) {
        for (size_t i = 0; i < k; i++) igc_buf_free(&g[i].text);
        free(g);
        return rc;
    }
    *out = g;
    *n = k;
    return 0;
}

static int company_pairs(const char *dir, emb__corpus *c) {
    grp_text *g;
    size_t ng;
    int rc = ksic_groups(dir, &g, &ng);
    if (rc) return rc;
    static const char *const names[] = {"main_products", "ksic11_group", "industry_name"};
    int col[3] = {-1, -1, -1};
    igc_csv *csv = NULL;
    char **f;
    size_t nf, width = 0;
    rc = open_csv(dir, "companies/krx_listed_2026-04.csv", names, 3, col, &width, &csv);
    int cp = col[0], cg = col[1], ci = col[2];
    int r;
    while (!rc && (r = igc_csv_next(csv, &f, &nf)) == 1) {
        if (nf < width) continue;
        const char *target = f[ci];
        for (size_t i = 0; i < ng; i++)
            if (strcmp(g[i].code, f[cg]) == 0) target = g[i].text.data;
        rc = add_pair(c, f[cp], target, EMB_SRC_COMP);
    }
    igc_csv_close(csv);
    for (size_t i = 0; i < ng; i++) igc_buf_free(&g[i].text);
    free(g);
    return rc;
}

int igc_embed_history_heldout(size_t row, int holdout_mod, int holdout_fold) {
    return holdout_mod > 0 && holdout_fold >= 0 && row % (size_t)holdout_mod == (size_t)holdout_fold;
}

static int history_pairs(const igc_embed_train_opts *o, emb__corpus *c) {
    emb__hrow *h;
    size_t n;
    int rc = emb__load_history(o->data_dir, &h, &n);
    if (rc) return rc;
    emb__item *it;
    size_t ni;
    rc = emb__load_items(o->data_dir, &it, &ni);
    if (rc) {
        emb__free_history(h, n);
        return rc;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (igc_embed_history_heldout(h[i].row, o->holdout_mod, o->holdout_fold) ||
            (o->exclude_uid && o->exclude_uid(o->exclude_ud, h[i].uid))) {
            c->history_left_out++;
            continue;
        }
        if (h[i].none) {
            rc = add_pair(c, h[i].product, h[i].ksic_name, EMB_SRC_HIST);
            continue;
        }
        for (int j = 0; j < 3 && !rc; j++) {
            if (!*h[i].label[j]) continue;
            for (size_t t = 0; t < ni; t++) {
                if (strcmp(it[t].code, h[i].label[j]) != 0) continue;
                igc_buf b = {0};
                rc = igc_embed_item_text(it[t].name, it[t].definition, &b);
                if (!rc) rc = add_pair(c, h[i].query, b.data, EMB_SRC_HIST);
                igc_buf_free(&b);
                break;
            }
        }
    }
    emb__free_items(it, ni);
    emb__free_history(h, n);
    return rc;
}

/* Index of the item with this code, or n. */
static size_t item_by_code(const emb__item *it, size_t n, const char *code) {
    for (size_t t = 0; t < n; t++)
        if (strcmp(it[t].code, code) == 0) return t;
    return n;
}

/* The index-term dictionary: every term pulls towards its item's text and name, so
 * the dense signal learns the vocabulary firms use for an item. */
static int lexicon_pairs(const char *dir, emb__corpus *c) {
    char *data;
    size_t len;
    int rc = read_data(dir, "taxonomy/igc-v6-lexicon.jsonl", &data, &len);
    if (rc) return rc;
    emb__item *it;
    size_t ni;
    if ((rc = emb__load_items(dir, &it, &ni))) {
        free(data);
        return rc;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l && !rc; l = strtok_r(NULL, "\n", &save)) {
        cJSON *o = cJSON_Parse(l);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
        const cJSON *terms = cJSON_GetObjectItemCaseSensitive(o, "terms"), *t;
        size_t k = cJSON_IsString(code) ? item_by_code(it, ni, code->valuestring) : ni;
        if (k < ni) {
            igc_buf b = {0};
            rc = igc_embed_item_text(it[k].name, it[k].definition, &b);
            cJSON_ArrayForEach(t, terms) {
                if (rc || !cJSON_IsString(t)) continue;
                rc = add_pair(c, t->valuestring, b.data, EMB_SRC_LEX);
                if (!rc) rc = add_pair(c, t->valuestring, it[k].name, EMB_SRC_LEX);
            }
            igc_buf_free(&b);
        }
        cJSON_Delete(o); /* a line the lexicon loader would refuse is skipped here */
    }
    emb__free_items(it, ni);
    free(data);
    return rc;
}

/* The case dictionary: invented firms written for an item pull towards its text.
 * Cases that do not qualify teach nothing about items and are left out. */
static int case_pairs(const char *dir, emb__corpus *c) {
    emb__hrow *h;
    size_t n, ni;
    int rc = emb__load_labelled(dir, "labeled/synthetic.csv", &h, &n);
    if (rc) return rc;
    emb__item *it;
    if ((rc = emb__load_items(dir, &it, &ni))) {
        emb__free_history(h, n);
        return rc;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        for (int j = 0; j < 3 && !rc && !h[i].none; j++) {
            size_t k = *h[i].label[j] ? item_by_code(it, ni, h[i].label[j]) : ni;
            if (k == ni) continue;
            igc_buf b = {0};
            rc = igc_embed_item_text(it[k].name, it[k].definition, &b);
            if (!rc) rc = add_pair(c, h[i].query, b.data, EMB_SRC_CASE);
            igc_buf_free(&b);
        }
    }
    emb__free_items(it, ni);
    emb__free_history(h, n);
    return rc;
}

/* KorSTS: genre filename year id score sentence1 sentence2 (tab-separated, no quoting). */
static int korsts_pairs(const char *dir, const char *rel, emb__corpus *c) {
    char *data;
    size_t len;
    int rc = read_data(dir, rel, &data, &len);
    if (rc) return rc;
    char *line = data, *save = NULL;
    int first = 1;
    for (char *l = strtok_r(line, "\n", &save); l && !rc; l = strtok_r(NULL, "\n", &save)) {
        if (first) {
            first = 0;
            continue;
        }
        char *col[7];
        int k = 0;
        char *p = l;
        while (k < 7) {
            col[k++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = '\0';
            p = tab + 1;
        }
        if (k < 7) continue;
        col[6][strcspn(col[6], "\r")] = '\0';
        if (strtod(col[4], NULL) >= 4.0) rc = add_pair(c, col[5], col[6], EMB_SRC_GEN);
    }
    free(data);
    return rc;
}

/* XNLI (Korean): sentence1 sentence2 gold_label; entailment pairs are positives. */
static int xnli_pairs(const char *dir, const char *rel, emb__corpus *c) {
    char *data;
    size_t len;
    int rc = read_data(dir, rel, &data, &len);
    if (rc) return rc;
    char *save = NULL;
    int first = 1;
    for (char *l = strtok_r(data, "\n", &save); l && !rc; l = strtok_r(NULL, "\n", &save)) {
        if (first) {
            first = 0;
            continue;
        }
        char *t1 = strchr(l, '\t');
        if (!t1) continue;
        *t1 = '\0';
        char *t2 = strchr(t1 + 1, '\t');
        if (!t2) continue;
        *t2 = '\0';
        t2[1 + strcspn(t2 + 1, "\r")] = '\0';
        if (strcmp(t2 + 1, "entailment") == 0) rc = add_pair(c, l, t1 + 1, EMB_SRC_GEN);
    }
    free(data);
    return rc;
}

static int klue_pairs(const char *dir, emb__corpus *c) {
    char *data;
    size_t len;
    int rc = read_data(dir, "corpus/klue-nli-v1.1_dev.json", &data, &len);
    if (rc) return rc;
    cJSON *root = cJSON_ParseWithLength(data, len);
    free(data);
    const cJSON *x;
    cJSON_ArrayForEach(x, root) {
        if (strcmp(jstr(x, "gold_label"), "entailment") == 0)
            if ((rc = add_pair(c, jstr(x, "premise"), jstr(x, "hypothesis"), EMB_SRC_GEN))) break;
    }
    cJSON_Delete(root);
    if (rc) return rc;
    rc = read_data(dir, "corpus/klue-sts-v1.1_dev.json", &data, &len);
    if (rc) return rc;
    root = cJSON_ParseWithLength(data, len);
    free(data);
    cJSON_ArrayForEach(x, root) {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(x, "labels");
        const cJSON *lab = labels ? cJSON_GetObjectItemCaseSensitive(labels, "label") : NULL;
        if (cJSON_IsNumber(lab) && lab->valuedouble >= 4.0)
            if ((rc = add_pair(c, jstr(x, "sentence1"), jstr(x, "sentence2"), EMB_SRC_GEN))) break;
    }
    cJSON_Delete(root);
    return rc;
}

int emb__corpus_build(const igc_embed_train_opts *o, emb__corpus *c) {
    memset(c, 0, sizeof *c);
    unsigned src = o->sources ? o->sources : IGC_EMBED_SRC_DEFAULT;
    const char *d = o->data_dir;
    int rc = 0;
    if (!rc && (src & IGC_EMBED_SRC_TAXONOMY)) rc = taxonomy_pairs(d, c);
    if (!rc && (src & IGC_EMBED_SRC_KSIC)) rc = ksic_pairs(d, "ksic/ksic11_descriptions.csv", c);
    if (!rc && (src & IGC_EMBED_SRC_KSIC)) rc = ksic_pairs(d, "ksic/ksic10_descriptions.csv", c);
    if (!rc && (src & IGC_EMBED_SRC_COMPANIES)) rc = company_pairs(d, c);
    if (!rc && (src & IGC_EMBED_SRC_HISTORY)) rc = history_pairs(o, c);
    if (!rc && (src & IGC_EMBED_SRC_LEXICON)) rc = lexicon_pairs(d, c);
    if (!rc && (src & IGC_EMBED_SRC_CASES)) rc = case_pairs(d, c);
    if (!rc && (src & IGC_EMBED_SRC_GENERAL)) {
        static const char *const sts[] = {"corpus/korsts_sts-train.tsv", "corpus/korsts_sts-dev.tsv",
                                          "corpus/korsts_sts-test.tsv"};
        for (int i = 0; i < 3 && !rc; i++) rc = korsts_pairs(d, sts[i], c);
        if (!rc) rc = xnli_pairs(d, "corpus/xnli_dev_ko.tsv", c);
        if (!rc) rc = xnli_pairs(d, "corpus/xnli_test_ko.tsv", c);
        if (!rc) rc = klue_pairs(d, c);
    }
    if (rc) emb__corpus_free(c);
    return rc;
}

void emb__corpus_free(emb__corpus *c) {
    for (size_t i = 0; i < c->ntext; i++) free(c->text[i]);
    free(c->text);
    free(c->tslot);
    free(c->pair);
    free(c->pset);
    memset(c, 0, sizeof *c);
}
