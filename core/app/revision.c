/*
 * Revisions at run time: the bundle (taxonomy + dictionary + engine + crosswalk) the
 * service answers with, checking a new revision and its crosswalk, building its bundle
 * aside (a libuv worker thread), activating it with one pointer swap, rolling back, and
 * how stored judgments' labels are seen through a crosswalk.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "igc_app.h"

#define MAX_PARTS 64

enum { ST_BUILDING, ST_READY, ST_FAILED };
static const char *const state_names[] = {"building", "ready", "failed"};

typedef struct igc_app_staging {
    uv_work_t work;
    igc_app *app;
    char version[64];
    int state;                  /* read and written under bundle_mu */
    igc_taxonomy *tx;
    igc_crosswalk *cw;
    cJSON *report;              /* owned by the bundle once built */
    igc_bundle *bundle;         /* when ready */
    char error[512];
    int rc;
} igc_app_staging;

/* ---- bundles ---- */

igc_bundle *igc_app_bundle_ref(igc_app *a) {
    pthread_mutex_lock(&a->bundle_mu);
    igc_bundle *b = a->bundle;
    if (b) __atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&a->bundle_mu);
    return b;
}

void igc_app_bundle_unref(igc_bundle *b) {
    if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    igc_engine_unref(b->engine);
    igc_crosswalk_unref(b->crosswalk);
    cJSON_Delete(b->report);
    free(b->left_out);
    free(b);
}

static uint64_t key_hash(const char *key) { return igc_hash64(key, strlen(key), 11); }

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int igc_app_bundle_left_out(const igc_bundle *b, const char *key) {
    if (!b || !b->nleft_out || !key) return 0;
    uint64_t h = key_hash(key);
    return bsearch(&h, b->left_out, b->nleft_out, sizeof h, cmp_u64) != NULL;
}

static igc_bundle *bundle_new(igc_engine *e, igc_crosswalk *cw, cJSON *report) {
    igc_bundle *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->refs = 1;
    snprintf(b->version, sizeof b->version, "%s", igc_engine_taxonomy(e)->version);
    b->engine = e;
    b->crosswalk = cw;
    b->report = report;
    return b;
}

/* Swaps the active bundle; the engine pointer follows. Returns the old one (its
 * reference passes to the caller). */
static igc_bundle *swap_active(igc_app *a, igc_bundle *b) {
    pthread_mutex_lock(&a->bundle_mu);
    igc_bundle *old = a->bundle;
    a->bundle = b;
    a->engine = b->engine;
    pthread_mutex_unlock(&a->bundle_mu);
    return old;
}

void igc_app_bundle_install(igc_app *a, igc_bundle *b) {
    igc_engine_ref(b->engine); /* a->engine's own reference, dropped by igc_app_close */
    igc_bundle *old = swap_active(a, b);
    if (old) igc_engine_unref(old->engine);
    igc_app_bundle_unref(old);
    /* the next sync walks the store for judgments saved meanwhile */
    __atomic_store_n(&a->store_exemplars, (size_t)-1, __ATOMIC_RELAXED);
    __atomic_store_n(&a->engine_dirty, 1, __ATOMIC_RELEASE);
}

/* ---- labels through a crosswalk ---- */

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int igc_app_bundle_labels(const igc_bundle *b, const igc_bundle *other, const cJSON *x, const char *out[3],
                          const char **split_from) {
    const char *ver = jstr(x, "taxonomy_version");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(x, "labels"), *l;
    int n = 0, k = 0;
    out[0] = out[1] = out[2] = NULL;
    if (split_from) *split_from = NULL;
    cJSON_ArrayForEach(l, labels) {
        if (!cJSON_IsString(l) || k++ >= 3) continue;
        const char *code = l->valuestring, *mapped = NULL;
        const igc_xw_row *rows[MAX_PARTS];
        if (ver && strcmp(ver, b->version) == 0) {
            mapped = code;
        } else if (b->crosswalk && (!ver || strcmp(ver, igc_crosswalk_from(b->crosswalk)->version) == 0)) {
            size_t nt = igc_crosswalk_targets(b->crosswalk, code, rows, MAX_PARTS);
            if (nt == 1 && rows[0]->relation != IGC_XW_REMOVED && rows[0]->relation != IGC_XW_SPLIT)
                mapped = rows[0]->to;
            else if (nt > 1 && rows[0]->relation == IGC_XW_SPLIT && split_from && !*split_from && n == 0)
                *split_from = rows[0]->from; /* resolved by the caller among the parts */
        } else if (other && other->crosswalk && ver && strcmp(ver, other->version) == 0 &&
                   strcmp(igc_crosswalk_from(other->crosswalk)->version, b->version) == 0) {
            /* back to the revision a later one replaced: only where one old item answers */
            size_t ns = igc_crosswalk_sources(other->crosswalk, code, rows, MAX_PARTS);
            if (ns == 1 && rows[0]->relation != IGC_XW_NEW) mapped = rows[0]->from;
        } else if (!ver && !b->crosswalk) {
            mapped = code; /* saved before revisions were recorded, under the revision started with */
        }
        /* any other revision with no crosswalk to this one: the label is not guessed */
        if (mapped) out[n++] = mapped;
    }
    return n;
}

/* The best-ranked of a split item's parts for this input, or NULL when the engine ranks
 * none of them among its candidates. */
static const char *resolve_split(const igc_engine *e, const igc_crosswalk *cw, const char *from,
                                 const igc_engine_input *in, const char *exclude) {
    const igc_xw_row *parts[MAX_PARTS];
    size_t np = igc_crosswalk_targets(cw, from, parts, MAX_PARTS);
    igc_engine_result r;
    if (igc_engine_classify(e, in, exclude, &r)) return NULL;
    const char *best = NULL;
    for (size_t c = 0; c < r.ncands && !best; c++)
        for (size_t k = 0; k < np && k < MAX_PARTS; k++)
            if (strcmp(r.cands[c].item->code, parts[k]->to) == 0) best = parts[k]->to;
    igc_engine_result_free(&r);
    return best;
}

const char *igc_app_resolve_split(const igc_bundle *b, const char *from, const igc_engine_input *in,
                                  const char *key) {
    return b && b->crosswalk ? resolve_split(b->engine, b->crosswalk, from, in, key) : NULL;
}

static void input_of(const cJSON *o, igc_engine_input *in) {
    memset(in, 0, sizeof *in);
    in->company_name = jstr(o, "company");
    in->ksic_code = jstr(o, "ksic_code");
    in->ksic_name = jstr(o, "ksic_name");
    in->main_product = jstr(o, "main_product");
    in->product_use = jstr(o, "product_use");
    in->tech_business_name = jstr(o, "tech_business_name");
    in->tech_class = jstr(o, "tech_class");
}

/* ---- check ---- */

/* Shape of the codes of a revision: a letter then digits, the length of its first code. */
static int code_like(const igc_taxonomy *t, const char *s, size_t n) {
    size_t want = strlen(t->items[0].code);
    if (n != want || !(s[0] >= 'A' && s[0] <= 'Z')) return 0;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* String literals in the rules' Lua files that look like item codes of either revision
 * and are not codes of the new one. */
static void check_rules(const char *dir, const igc_taxonomy *old, const igc_crosswalk *cw, const igc_taxonomy *nt,
                        cJSON *out) {
    DIR *d = dir && *dir ? opendir(dir) : NULL;
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 5 || strcmp(de->d_name + nl - 4, ".lua") != 0) continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *txt;
        size_t len;
        if (igc_read_file(path, &txt, &len)) continue;
        size_t line = 1;
        for (size_t i = 0; i < len; i++) {
            if (txt[i] == '\n') line++;
            if (txt[i] != '"' && txt[i] != '\'') continue;
            char q = txt[i];
            size_t j = i + 1;
            while (j < len && txt[j] != q && txt[j] != '\n') j++;
            if (j >= len || txt[j] != q) continue;
            const char *s = txt + i + 1;
            size_t n = j - i - 1;
            if (n < 64 && (code_like(old, s, n) || code_like(nt, s, n))) {
                char code[64];
                memcpy(code, s, n), code[n] = '\0';
                if (!igc_taxonomy_item(nt, code)) {
                    const igc_xw_row *rows[MAX_PARTS];
                    size_t nr = igc_crosswalk_targets(cw, code, rows, MAX_PARTS);
                    cJSON *o = cJSON_CreateObject();
                    cJSON_AddStringToObject(o, "file", de->d_name);
                    cJSON_AddNumberToObject(o, "line", (double)line);
                    cJSON_AddStringToObject(o, "code", code);
                    cJSON_AddStringToObject(o, "relation", nr ? igc_crosswalk_relation_names[rows[0]->relation] : "unknown");
                    igc_buf m = {0};
                    if (!nr) igc_buf_printf(&m, "%s %d번째 줄: 품목코드 '%s'는 어느 개편에도 없습니다.", de->d_name, (int)line, code);
                    else if (rows[0]->relation == IGC_XW_REMOVED)
                        igc_buf_printf(&m, "%s %d번째 줄: 품목 '%s'는 새 개편에서 삭제됩니다. 활성화 전에 규칙을 고치십시오.",
                                       de->d_name, (int)line, code);
                    else {
                        igc_buf_printf(&m, "%s %d번째 줄: 품목코드 '%s'는 새 개편에 없습니다 (%s →", de->d_name, (int)line,
                                       code, igc_crosswalk_relation_names[rows[0]->relation]);
                        for (size_t k = 0; k < nr && k < MAX_PARTS; k++) igc_buf_printf(&m, " %s", rows[k]->to);
                        igc_buf_puts(&m, "). 규칙의 코드를 새 코드로 바꾸십시오.");
                    }
                    cJSON_AddStringToObject(o, "message", m.data ? m.data : "");
                    igc_buf_free(&m);
                    cJSON_AddItemToArray(out, o);
                }
            }
            i = j;
        }
        free(txt);
    }
    closedir(d);
}

/* Items of the staff's dictionary (the active one) whose code the new revision lacks. */
static void check_lexicon(igc_app *a, const igc_crosswalk *cw, const igc_taxonomy *nt, cJSON *out) {
    igc_lexicon *lx = a->cfg.no_lexicon ? NULL : igc_app_lexicon_ref(a);
    if (!lx) return;
    const igc_taxonomy *old = igc_lexicon_taxonomy(lx);
    size_t missing = 0, removed = 0, conf = 0;
    cJSON *list = cJSON_AddArrayToObject(out, "removed_items");
    for (size_t i = 0; i < old->nitems; i++) {
        const igc_lex_item *li = igc_lexicon_item(lx, i);
        if (!li) continue;
        if (!igc_taxonomy_item(nt, li->item->code)) missing++;
        const igc_xw_row *rows[MAX_PARTS];
        size_t nr = igc_crosswalk_targets(cw, li->item->code, rows, MAX_PARTS);
        if (nr == 1 && rows[0]->relation == IGC_XW_REMOVED) {
            removed++;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "code", li->item->code);
            cJSON_AddStringToObject(o, "name", li->item->name);
            cJSON_AddNumberToObject(o, "line", (double)li->line);
            cJSON_AddNumberToObject(o, "terms", (double)li->nterms);
            cJSON_AddItemToArray(list, o);
        }
        for (size_t c = 0; c < li->nconfusable; c++) {
            size_t n2 = igc_crosswalk_targets(cw, li->confusable[c].item->code, rows, MAX_PARTS);
            conf += n2 != 1 || rows[0]->relation == IGC_XW_REMOVED;
        }
    }
    cJSON_AddStringToObject(out, "version", igc_lexicon_version(lx));
    cJSON_AddNumberToObject(out, "items_with_codes_the_revision_lacks", (double)missing);
    cJSON_AddNumberToObject(out, "removed_items_with_terms", (double)removed);
    cJSON_AddNumberToObject(out, "confusable_links_dropped", (double)conf);
    igc_lexicon_unref(lx);
}

static void add_lines(cJSON *arr, const char *text) {
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n) {
            char *s = malloc(n + 1);
            if (s) {
                memcpy(s, p, n), s[n] = '\0';
                cJSON_AddItemToArray(arr, cJSON_CreateString(s));
                free(s);
            }
        }
        p = nl ? nl + 1 : NULL;
    }
}

int igc_app_revision_check(igc_app *a, const char *tx_json, size_t tx_len, const char *cw_csv, size_t cw_len,
                           cJSON **report, igc_taxonomy **txo, igc_crosswalk **cwo) {
    if (txo) *txo = NULL;
    if (cwo) *cwo = NULL;
    cJSON *r = cJSON_CreateObject();
    *report = r;
    igc_bundle *cur = igc_app_bundle_ref(a);
    igc_taxonomy *old = igc_engine_taxonomy(cur->engine);
    cJSON_AddStringToObject(r, "from", old->version);
    igc_buf err = {0}, warn = {0};
    igc_taxonomy *tx = NULL;
    igc_crosswalk *cw = NULL;
    int rc = igc_taxonomy_parse(tx_json, tx_len, &tx, &err);
    cJSON *tj = cJSON_AddObjectToObject(r, "taxonomy");
    if (rc) {
        cJSON_AddStringToObject(tj, "error", err.data ? err.data : igc_strerror(rc));
        cJSON_AddStringToObject(r, "message", "새 분류체계 파일이 올바르지 않습니다.");
        goto done;
    }
    cJSON_AddStringToObject(r, "version", tx->version);
    cJSON_AddStringToObject(tj, "version", tx->version);
    cJSON_AddNumberToObject(tj, "revision", tx->revision);
    cJSON_AddNumberToObject(tj, "themes", (double)tx->nthemes);
    cJSON_AddNumberToObject(tj, "fields", (double)tx->nfields);
    cJSON_AddNumberToObject(tj, "items", (double)tx->nitems);
    if (strcmp(tx->version, old->version) == 0) {
        rc = IGC_EINVAL;
        cJSON_AddStringToObject(tj, "error", "새 분류체계의 version이 지금 쓰는 분류체계와 같습니다. 개편마다 다른 version이 필요합니다.");
        cJSON_AddStringToObject(r, "message", "새 분류체계의 version이 지금 것과 같습니다.");
        goto done;
    }
    cJSON *cj = cJSON_AddObjectToObject(r, "crosswalk");
    err.len = 0;
    rc = cw_csv ? igc_crosswalk_parse(cw_csv, cw_len, old, tx, &cw, &err, &warn) : IGC_EINVAL;
    add_lines(cJSON_AddArrayToObject(cj, "errors"), cw_csv ? err.data : "대응표(crosswalk)가 없습니다.");
    add_lines(cJSON_AddArrayToObject(cj, "warnings"), warn.data);
    if (rc) {
        cJSON_AddStringToObject(r, "message", "대응표(crosswalk)가 올바르지 않습니다.");
        goto done;
    }
    cJSON_AddItemToObject(cj, "summary", igc_crosswalk_summary_json(cw));
    cJSON *rules = cJSON_AddArrayToObject(r, "rules");
    if (!a->cfg.no_rules) check_rules(a->cfg.rules_dir, old, cw, tx, rules);
    check_lexicon(a, cw, tx, cJSON_AddObjectToObject(r, "lexicon"));
done:
    cJSON_AddBoolToObject(r, "ok", rc == 0 && cJSON_GetArraySize(cJSON_GetObjectItem(r, "rules")) == 0);
    if (rc == 0 && txo && cwo) {
        *txo = tx;
        *cwo = cw;
    } else {
        igc_taxonomy_unref(tx);
        igc_crosswalk_unref(cw);
    }
    igc_app_bundle_unref(cur);
    igc_buf_free(&err);
    igc_buf_free(&warn);
    return rc;
}

/* ---- building a bundle ---- */

typedef struct {
    igc_engine *e;
    const igc_bundle *shape; /* the new bundle's version and crosswalk, for label mapping */
    cJSON *splits;           /* stored exemplars with a split label, resolved after the others */
    size_t direct, mapped, split_resolved, split_unresolved, removed, none, skipped;
    uint64_t *left_out; /* hashes of the keys left out, for the bundle */
    size_t nleft_out, capleft_out;
} build_ctx;

/* Remembers a stored judgment the build leaves out (igc_bundle.left_out). */
static void leave_out(build_ctx *c, const char *key) {
    if (c->nleft_out == c->capleft_out) {
        size_t cap = c->capleft_out ? c->capleft_out * 2 : 64;
        uint64_t *n = realloc(c->left_out, cap * sizeof *n);
        if (!n) return; /* the sync may then take it in: a judgment more, not one lost */
        c->left_out = n, c->capleft_out = cap;
    }
    c->left_out[c->nleft_out++] = key_hash(key);
}

/* One stored judgment into the new engine, one at a time: batched through
 * igc_engine_add_exemplars the build at 100,000 was no faster (4.3–4.4 s against 3.9–4.3 s),
 * the parsed documents kept between batches. */
static int build_cb(void *ud, const char *key, const char *json, size_t len) {
    build_ctx *c = ud;
    cJSON *o = cJSON_ParseWithLength(json, len);
    if (!o) return 0;
    const char *labels[3], *split_from = NULL;
    int n = igc_app_bundle_labels(c->shape, NULL, o, labels, &split_from);
    const char *ver = jstr(o, "taxonomy_version");
    int nlab = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "labels"));
    if (split_from) {
        cJSON_AddStringToObject(o, "_key", key);
        cJSON_AddStringToObject(o, "_split_from", split_from);
        cJSON_AddItemToArray(c->splits, o);
        return 0;
    }
    if (nlab && !n) {
        c->removed++; /* a removed item is evidence for nothing: not even "no item" */
        leave_out(c, key);
        cJSON_Delete(o);
        return 0;
    }
    igc_exemplar x = {0};
    x.key = key;
    input_of(o, &x.in);
    for (int k = 0; k < n; k++) x.labels[k] = labels[k];
    x.none_reason = jstr(o, "none_reason");
    x.confidence = jstr(o, "confidence");
    int rc = igc_engine_add_exemplar(c->e, &x);
    if (rc == 0) {
        if (!nlab) c->none++;
        else if (ver && strcmp(ver, c->shape->version) == 0) c->direct++;
        else c->mapped++;
    } else {
        c->skipped++;
        leave_out(c, key);
    }
    cJSON_Delete(o);
    return rc == IGC_ENOMEM ? rc : 0;
}

/* The staff's dictionary for the new revision: their own file when it loads against it,
 * else the active one carried over through the crosswalk (and written as their file). */
static int build_lexicon(igc_app *a, igc_taxonomy *tx, igc_crosswalk *cw, cJSON *report, igc_lexicon **out) {
    *out = NULL;
    if (a->cfg.no_lexicon) return 0;
    cJSON *lr = cJSON_GetObjectItem(report, "lexicon");
    if (!lr) lr = cJSON_AddObjectToObject(report, "lexicon");
    char path[PATH_MAX + 64], oldpath[PATH_MAX + 64];
    igc_app_lexicon_path(a, tx, path, sizeof path);
    igc_buf err = {0};
    struct stat st;
    if (stat(path, &st) == 0 && igc_lexicon_load(path, tx, a->ksic, out, &err) == 0) {
        cJSON_AddStringToObject(lr, "source", "staff_file");
        cJSON_AddStringToObject(lr, "path", path);
        igc_buf_free(&err);
        return 0;
    }
    igc_app_lexicon_path(a, igc_crosswalk_from(cw), oldpath, sizeof oldpath);
    char *old;
    size_t len;
    int rc = igc_read_file(oldpath, &old, &len);
    if (rc) {
        char seed[PATH_MAX + 64];
        snprintf(seed, sizeof seed, "%s/taxonomy/igc-v%d-lexicon.jsonl", a->cfg.data_dir, igc_crosswalk_from(cw)->revision);
        rc = igc_read_file(seed, &old, &len);
    }
    if (rc) {
        cJSON_AddStringToObject(lr, "source", "none");
        igc_buf_free(&err);
        return 0; /* no dictionary to carry: the engine runs without one */
    }
    igc_buf txt = {0};
    cJSON *rev = cJSON_AddArrayToObject(lr, "review");
    err.len = 0;
    rc = igc_lexicon_carry(old, len, cw, &txt, rev, &err);
    free(old);
    if (!rc) rc = igc_lexicon_parse(txt.data ? txt.data : "", txt.len, path, tx, a->ksic, out, &err);
    if (rc) {
        cJSON_AddStringToObject(lr, "error", err.data ? err.data : igc_strerror(rc));
    } else {
        cJSON_AddStringToObject(lr, "source", "carried_over");
        cJSON_AddStringToObject(lr, "path", path);
        cJSON_AddNumberToObject(lr, "terms", (double)igc_lexicon_nterms(*out));
        /* staff edit the carried dictionary like any other: it is their file from now on */
        if (igc_write_file_atomic(path, txt.data ? txt.data : "", txt.len))
            igc_log(IGC_LOG_WARN, "revision: cannot write the carried dictionary to %s", path);
    }
    igc_buf_free(&txt);
    igc_buf_free(&err);
    return rc;
}

/* Past judgments from a labelled CSV (labels of the crosswalk's old revision), through
 * the same path as stored ones. */
static int build_from_csv(build_ctx *c, const char *csv) {
    igc_rows *rows;
    int rc = igc_rows_open(csv, &rows);
    if (rc) return rc;
    igc_row r;
    while ((rc = igc_rows_next(rows, &r)) == 1) {
        char key[300];
        snprintf(key, sizeof key, "hist:%s", r.uid);
        cJSON *o = igc_exemplar_json(r.uid, &r.in, r.labels, r.none_reason, r.confidence, "history");
        char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        rc = txt ? build_cb(c, key, txt, strlen(txt)) : IGC_ENOMEM;
        free(txt);
        if (rc) break;
    }
    igc_rows_close(rows);
    return rc < 0 ? rc : 0;
}

int igc_app_bundle_build(igc_app *a, igc_taxonomy *tx, igc_crosswalk *cw, cJSON *report, igc_bundle **out) {
    return igc_app_bundle_build_from(a, tx, cw, report, NULL, out);
}

int igc_app_bundle_build_from(igc_app *a, igc_taxonomy *tx, igc_crosswalk *cw, cJSON *report, const char *history_csv,
                              igc_bundle **out) {
    *out = NULL;
    igc_bundle *cur = igc_app_bundle_ref(a);
    igc_engine_params p = *igc_engine_get_params(cur->engine);
    igc_app_bundle_unref(cur);
    igc_lexicon *lx = NULL;
    int rc = build_lexicon(a, tx, cw, report, &lx);
    if (rc) return rc;
    igc_engine *e = NULL;
    rc = igc_app_engine_build(a, tx, lx, cw, a->enc, &p, &e, NULL);
    igc_lexicon_unref(lx);
    if (rc) return rc;
    igc_bundle shape = {.crosswalk = cw};
    snprintf(shape.version, sizeof shape.version, "%s", tx->version);
    build_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        igc_engine_unref(e);
        return IGC_ENOMEM;
    }
    c->e = e, c->shape = &shape, c->splits = cJSON_CreateArray();
    if (history_csv) rc = build_from_csv(c, history_csv);
    else if (a->store) rc = igc_store_exemplar_foreach(a->store, build_cb, c);
    if (!rc) rc = igc_engine_commit(e);
    /* split labels: classified by the engine built from everything else, among the parts only */
    cJSON *o;
    cJSON_ArrayForEach(o, c->splits) {
        if (rc) break;
        igc_exemplar x = {0};
        x.key = jstr(o, "_key");
        input_of(o, &x.in);
        x.confidence = jstr(o, "confidence");
        x.labels[0] = resolve_split(e, cw, jstr(o, "_split_from"), &x.in, x.key);
        if (!x.labels[0]) {
            c->split_unresolved++;
            leave_out(c, x.key);
            continue;
        }
        int arc = igc_engine_add_exemplar(e, &x);
        if (arc == IGC_ENOMEM) rc = arc;
        c->split_resolved += arc == 0;
    }
    cJSON_Delete(c->splits);
    if (!rc && c->split_resolved) rc = igc_engine_commit(e);
    if (rc) {
        free(c->left_out);
        free(c);
        igc_engine_unref(e);
        return rc;
    }
    cJSON *ex = cJSON_AddObjectToObject(report, "exemplars");
    cJSON_AddNumberToObject(ex, "same_revision", (double)c->direct);
    cJSON_AddNumberToObject(ex, "mapped", (double)c->mapped);
    cJSON_AddNumberToObject(ex, "split_resolved", (double)c->split_resolved);
    cJSON_AddNumberToObject(ex, "split_unresolved", (double)c->split_unresolved);
    cJSON_AddNumberToObject(ex, "removed", (double)c->removed);
    cJSON_AddNumberToObject(ex, "not_applicable", (double)c->none);
    cJSON_AddNumberToObject(ex, "skipped", (double)c->skipped);
    cJSON_AddNumberToObject(ex, "in_engine", (double)igc_engine_exemplar_count(e));
    cJSON_AddNumberToObject(ex, "left_out", (double)c->nleft_out);
    igc_bundle *b = bundle_new(e, igc_crosswalk_ref(cw), NULL);
    if (!b) {
        free(c->left_out);
        free(c);
        igc_engine_unref(e);
        igc_crosswalk_unref(cw);
        return IGC_ENOMEM;
    }
    /* none left out: left_out is NULL, which qsort may not be given even for 0 elements */
    if (c->nleft_out) qsort(c->left_out, c->nleft_out, sizeof *c->left_out, cmp_u64);
    b->left_out = c->left_out, b->nleft_out = c->nleft_out;
    free(c);
    *out = b;
    return 0;
}

/* ---- staging ---- */

static void stage_work(uv_work_t *w) {
    igc_app_staging *s = w->data;
    igc_bundle *b = NULL;
    double t0 = igc_now_ms();
    s->rc = igc_app_bundle_build(s->app, s->tx, s->cw, s->report, &b);
    cJSON_AddNumberToObject(s->report, "build_ms", igc_now_ms() - t0);
    pthread_mutex_lock(&s->app->bundle_mu);
    if (s->rc == 0) {
        b->report = s->report;
        s->report = NULL;
        s->bundle = b;
        s->state = ST_READY;
    } else {
        snprintf(s->error, sizeof s->error, "새 개편의 엔진을 만들지 못했습니다: %s", igc_strerror(s->rc));
        s->state = ST_FAILED;
    }
    pthread_mutex_unlock(&s->app->bundle_mu);
}

static void stage_done(uv_work_t *w, int status) {
    igc_app_staging *s = w->data;
    (void)status;
    igc_log(s->state == ST_READY ? IGC_LOG_INFO : IGC_LOG_ERROR, "revision %s staged: %s", s->version,
            state_names[s->state]);
}

static void staging_free(igc_app_staging *s) {
    if (!s) return;
    igc_taxonomy_unref(s->tx);
    igc_crosswalk_unref(s->cw);
    cJSON_Delete(s->report);
    igc_app_bundle_unref(s->bundle);
    free(s);
}

int igc_app_revision_stage(igc_app *a, uv_loop_t *loop, igc_taxonomy *tx, igc_crosswalk *cw, cJSON *report) {
    pthread_mutex_lock(&a->bundle_mu);
    if (a->staged && a->staged->state == ST_BUILDING) {
        pthread_mutex_unlock(&a->bundle_mu);
        igc_taxonomy_unref(tx);
        igc_crosswalk_unref(cw);
        cJSON_Delete(report);
        return IGC_ESTATE;
    }
    igc_app_staging *old = a->staged;
    a->staged = NULL;
    pthread_mutex_unlock(&a->bundle_mu);
    staging_free(old);
    igc_app_staging *s = calloc(1, sizeof *s);
    if (!s) return IGC_ENOMEM;
    s->app = a;
    s->tx = tx;
    s->cw = cw;
    s->report = report;
    s->state = ST_BUILDING;
    snprintf(s->version, sizeof s->version, "%s", tx->version);
    s->work.data = s;
    pthread_mutex_lock(&a->bundle_mu);
    a->staged = s;
    pthread_mutex_unlock(&a->bundle_mu);
    if (loop && uv_queue_work(loop, &s->work, stage_work, stage_done) == 0) return 0;
    stage_work(&s->work);
    return s->rc;
}

cJSON *igc_app_staged_json(igc_app *a) {
    pthread_mutex_lock(&a->bundle_mu);
    igc_app_staging *s = a->staged;
    cJSON *o = NULL;
    if (s) {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", s->version);
        cJSON_AddStringToObject(o, "state", state_names[s->state]);
        if (s->state == ST_FAILED) cJSON_AddStringToObject(o, "error", s->error);
        const cJSON *rep = s->bundle ? s->bundle->report : s->state == ST_BUILDING ? NULL : s->report;
        if (rep) cJSON_AddItemToObject(o, "report", cJSON_Duplicate(rep, 1));
    }
    pthread_mutex_unlock(&a->bundle_mu);
    return o;
}

int igc_app_revision_activate(igc_app *a, const char *version) {
    pthread_mutex_lock(&a->bundle_mu);
    igc_app_staging *s = a->staged;
    int rc = !s || strcmp(s->version, version) != 0 ? IGC_ENOTFOUND : s->state != ST_READY ? IGC_ESTATE : 0;
    igc_bundle *b = NULL;
    if (!rc) {
        b = s->bundle;
        s->bundle = NULL;
        a->staged = NULL;
        a->revision_lost[0] = '\0'; /* a revision chosen again */
    }
    pthread_mutex_unlock(&a->bundle_mu);
    if (rc) return rc;
    staging_free(s); /* the building thread is done: state was ready */
    igc_bundle *prev = igc_app_bundle_ref(a);
    igc_app_bundle_install(a, b);
    igc_app_bundle_unref(a->previous);
    a->previous = prev;
    if (!a->cfg.no_lexicon) igc_app_lexicon_adopt(a, igc_engine_lexicon_ref(b->engine));
    if (a->store) igc_store_meta_set(a->store, "taxonomy.active", b->version);
    igc_log(IGC_LOG_INFO, "revision %s active (previous %s kept for rollback)", b->version, prev->version);
    return 0;
}

int igc_app_revision_rollback(igc_app *a) {
    igc_bundle *prev = a->previous;
    if (!prev) return IGC_ENOTFOUND;
    a->previous = igc_app_bundle_ref(a);
    igc_app_bundle_install(a, prev);
    if (!a->cfg.no_lexicon) igc_app_lexicon_adopt(a, igc_engine_lexicon_ref(prev->engine));
    if (a->store) igc_store_meta_set(a->store, "taxonomy.active", prev->version);
    igc_log(IGC_LOG_INFO, "revision rolled back to %s (%s kept)", prev->version, a->previous->version);
    return 0;
}

int igc_app_revision_rules_check(igc_app *a, const char *version, cJSON **out) {
    *out = NULL;
    pthread_mutex_lock(&a->bundle_mu);
    igc_app_staging *s = a->staged;
    igc_taxonomy *tx = s && strcmp(s->version, version) == 0 ? igc_taxonomy_ref(s->tx) : NULL;
    igc_crosswalk *cw = tx ? igc_crosswalk_ref(s->cw) : NULL;
    pthread_mutex_unlock(&a->bundle_mu);
    if (!tx) return IGC_ENOTFOUND;
    *out = cJSON_CreateArray();
    if (!a->cfg.no_rules) check_rules(a->cfg.rules_dir, igc_crosswalk_from(cw), cw, tx, *out);
    igc_taxonomy_unref(tx);
    igc_crosswalk_unref(cw);
    return 0;
}

cJSON *igc_app_revisions_json(igc_app *a) {
    cJSON *o = cJSON_CreateObject();
    igc_bundle *b = igc_app_bundle_ref(a);
    cJSON *act = cJSON_AddObjectToObject(o, "active");
    cJSON_AddStringToObject(act, "version", b->version);
    cJSON_AddNumberToObject(act, "items", (double)igc_engine_taxonomy(b->engine)->nitems);
    if (b->crosswalk) cJSON_AddItemToObject(act, "crosswalk", igc_crosswalk_summary_json(b->crosswalk));
    igc_app_bundle_unref(b);
    if (a->previous) cJSON_AddStringToObject(o, "previous", a->previous->version);
    else cJSON_AddNullToObject(o, "previous");
    cJSON *st = igc_app_staged_json(a);
    if (st) cJSON_AddItemToObject(o, "staged", st);
    else cJSON_AddNullToObject(o, "staged");
    return o;
}

void igc_app_revisions_close(igc_app *a) {
    staging_free(a->staged);
    a->staged = NULL;
    igc_app_bundle_unref(a->previous);
    a->previous = NULL;
    igc_app_bundle_unref(a->bundle);
    a->bundle = NULL;
}

/* ---- keeping staged revisions across restarts ---- */

static void revision_dir(const igc_app *a, const char *version, char *out, size_t n) {
    snprintf(out, n, "%s/revisions/%s", a->cfg.db_dir, version);
}

int igc_app_revision_save(igc_app *a, const char *version, const char *tx_json, size_t tx_len, const char *cw_csv,
                          size_t cw_len) {
    char dir[PATH_MAX + 128], path[PATH_MAX + 200];
    for (const char *p = version; *p; p++)
        if (*p == '/' || (p == version && *p == '.')) return IGC_EINVAL;
    snprintf(dir, sizeof dir, "%s/revisions", a->cfg.db_dir);
    mkdir(dir, 0700);
    revision_dir(a, version, dir, sizeof dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return IGC_EIO;
    snprintf(path, sizeof path, "%s/taxonomy.json", dir);
    int rc = igc_write_file_atomic(path, tx_json, tx_len);
    snprintf(path, sizeof path, "%s/crosswalk.csv", dir);
    if (!rc) rc = igc_write_file_atomic(path, cw_csv, cw_len);
    return rc;
}

int igc_app_revision_restore(igc_app *a) {
    char *ver = NULL;
    if (!a->store || igc_store_meta_get(a->store, "taxonomy.active", &ver)) return 0;
    int rc = 0;
    if (strcmp(ver, a->bundle->version) != 0) {
        char dir[PATH_MAX + 128], path[PATH_MAX + 200];
        revision_dir(a, ver, dir, sizeof dir);
        char *tj = NULL, *cc = NULL;
        size_t tl = 0, cl = 0;
        snprintf(path, sizeof path, "%s/taxonomy.json", dir);
        rc = igc_read_file(path, &tj, &tl);
        snprintf(path, sizeof path, "%s/crosswalk.csv", dir);
        if (!rc) rc = igc_read_file(path, &cc, &cl);
        cJSON *report = NULL;
        igc_taxonomy *tx = NULL;
        igc_crosswalk *cw = NULL;
        if (!rc) rc = igc_app_revision_check(a, tj, tl, cc, cl, &report, &tx, &cw);
        free(tj), free(cc);
        if (!rc) {
            rc = igc_app_revision_stage(a, NULL, tx, cw, report);
            if (!rc) rc = igc_app_revision_activate(a, ver);
        } else {
            cJSON_Delete(report);
        }
        if (rc) {
            igc_log(IGC_LOG_ERROR, "revision %s was active but cannot be restored (%s): running %s", ver,
                    igc_strerror(rc), a->bundle->version);
            /* the status screen says so until a revision is activated again */
            pthread_mutex_lock(&a->bundle_mu);
            snprintf(a->revision_lost, sizeof a->revision_lost, "%s", ver);
            pthread_mutex_unlock(&a->bundle_mu);
        } else {
            igc_log(IGC_LOG_INFO, "revision %s restored as active", ver);
        }
    }
    free(ver);
    return rc;
}
