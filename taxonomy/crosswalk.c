/* The crosswalk between two revisions: parsing, validation, lookups. */
#define _GNU_SOURCE /* qsort_r */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_taxonomy.h"

#define MAX_PROBLEMS 30

const char *const igc_crosswalk_relation_names[IGC_XW_NREL] = {"same",  "renamed", "revised", "split",
                                                               "merged", "new",     "removed"};

struct igc_crosswalk {
    int refs;
    igc_taxonomy *from, *to;
    igc_xw_row *rows;
    size_t nrows;
    size_t *by_from, *by_to; /* row indices sorted by from / to code */
};

int igc_crosswalk_relation(const char *name) {
    for (int i = 0; name && i < IGC_XW_NREL; i++)
        if (strcmp(name, igc_crosswalk_relation_names[i]) == 0) return i;
    return -1;
}

static void free_cw(igc_crosswalk *cw) {
    if (!cw) return;
    for (size_t i = 0; i < cw->nrows; i++) {
        igc_xw_row *r = &cw->rows[i];
        free((char *)r->from), free((char *)r->from_name), free((char *)r->to), free((char *)r->to_name);
        free((char *)r->note);
    }
    free(cw->rows), free(cw->by_from), free(cw->by_to);
    igc_taxonomy_unref(cw->from);
    igc_taxonomy_unref(cw->to);
    free(cw);
}

igc_crosswalk *igc_crosswalk_ref(igc_crosswalk *cw) {
    if (cw) __atomic_add_fetch(&cw->refs, 1, __ATOMIC_RELAXED);
    return cw;
}

void igc_crosswalk_unref(igc_crosswalk *cw) {
    if (cw && __atomic_sub_fetch(&cw->refs, 1, __ATOMIC_ACQ_REL) == 0) free_cw(cw);
}

igc_taxonomy *igc_crosswalk_from(const igc_crosswalk *cw) { return cw->from; }
igc_taxonomy *igc_crosswalk_to(const igc_crosswalk *cw) { return cw->to; }

const igc_xw_row *igc_crosswalk_rows(const igc_crosswalk *cw, size_t *n) {
    *n = cw->nrows;
    return cw->rows;
}

/* One problem line; counts them and stops writing after MAX_PROBLEMS. */
typedef struct {
    igc_buf *err;
    size_t n;
} problems;

static void problem(problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(problems *p, const char *fmt, ...) {
    p->n++;
    if (!p->err || p->n > MAX_PROBLEMS) return;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    igc_buf_printf(p->err, "%s\n", msg);
}

/* Column whose header ends with suffix, the k-th such (0-based), or -1. */
static int col_suffix(char **h, size_t n, const char *suffix, int k) {
    size_t sl = strlen(suffix);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(h[i]);
        if (l >= sl && strcmp(h[i] + l - sl, suffix) == 0 && k-- == 0) return (int)i;
    }
    return -1;
}

static const char *field(char **f, size_t n, int col) {
    return col >= 0 && (size_t)col < n && f[col] ? f[col] : "";
}

static char *trimmed_dup(const char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n), d[n] = '\0';
    return d;
}

static int cmp_from(const void *a, const void *b, void *ctx) {
    const igc_crosswalk *cw = ctx;
    return strcmp(cw->rows[*(const size_t *)a].from, cw->rows[*(const size_t *)b].from);
}
static int cmp_to(const void *a, const void *b, void *ctx) {
    const igc_crosswalk *cw = ctx;
    return strcmp(cw->rows[*(const size_t *)a].to, cw->rows[*(const size_t *)b].to);
}

static size_t lookup(const igc_crosswalk *cw, const size_t *idx, int by_to, const char *code, const igc_xw_row **rows,
                     size_t max) {
    if (!cw || !code || !*code) return 0;
    size_t lo = 0, hi = cw->nrows;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const igc_xw_row *r = &cw->rows[idx[mid]];
        if (strcmp(by_to ? r->to : r->from, code) < 0) lo = mid + 1;
        else hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < cw->nrows; i++) {
        const igc_xw_row *r = &cw->rows[idx[i]];
        if (strcmp(by_to ? r->to : r->from, code) != 0) break;
        if (n < max && rows) rows[n] = r;
        n++;
    }
    return n;
}

size_t igc_crosswalk_targets(const igc_crosswalk *cw, const char *from, const igc_xw_row **rows, size_t max) {
    return lookup(cw, cw ? cw->by_from : NULL, 0, from, rows, max);
}

size_t igc_crosswalk_sources(const igc_crosswalk *cw, const char *to, const igc_xw_row **rows, size_t max) {
    return lookup(cw, cw ? cw->by_to : NULL, 1, to, rows, max);
}

/* Checks relations against row counts per code and completeness against both revisions. */
static void validate(const igc_crosswalk *cw, problems *p, igc_buf *warn) {
    const igc_taxonomy *from = cw->from, *to = cw->to;
    for (size_t i = 0; i < cw->nrows; i++) {
        const igc_xw_row *r = &cw->rows[i];
        const char *rel = igc_crosswalk_relation_names[r->relation];
        const igc_tx_item *fi = *r->from ? igc_taxonomy_item(from, r->from) : NULL;
        const igc_tx_item *ti = *r->to ? igc_taxonomy_item(to, r->to) : NULL;
        if (*r->from && !fi)
            problem(p, "%zu번째 줄: 이전 개편(%s)에 품목코드 '%s'가 없습니다.", r->line, from->version, r->from);
        if (*r->to && !ti)
            problem(p, "%zu번째 줄: 새 개편(%s)에 품목코드 '%s'가 없습니다.", r->line, to->version, r->to);
        if (warn && fi && *r->from_name && strcmp(fi->name, r->from_name) != 0)
            igc_buf_printf(warn, "%zu번째 줄: 이전 품목명 '%s'가 분류체계의 '%s'와 다릅니다.\n", r->line, r->from_name,
                           fi->name);
        if (warn && ti && *r->to_name && strcmp(ti->name, r->to_name) != 0)
            igc_buf_printf(warn, "%zu번째 줄: 새 품목명 '%s'가 분류체계의 '%s'와 다릅니다.\n", r->line, r->to_name,
                           ti->name);
        const igc_xw_row *same[64];
        size_t nt = *r->from ? igc_crosswalk_targets(cw, r->from, same, 64) : 0;
        size_t ns = *r->to ? igc_crosswalk_sources(cw, r->to, NULL, 0) : 0;
        for (size_t k = 0; k < nt && k < 64; k++)
            if (same[k] < r && strcmp(same[k]->to, r->to) == 0)
                problem(p, "%zu번째 줄: %zu번째 줄과 같은 대응(%s → %s)이 두 번 적혀 있습니다.", r->line, same[k]->line,
                        r->from, *r->to ? r->to : "없음");
        switch (r->relation) {
        case IGC_XW_SAME:
        case IGC_XW_RENAMED:
        case IGC_XW_REVISED:
            if (nt > 1)
                problem(p, "%zu번째 줄: '%s' 관계인 이전 품목 %s가 다른 줄에도 있습니다 (여러 품목으로 나뉘면 split).",
                        r->line, rel, r->from);
            if (ns > 1)
                problem(p, "%zu번째 줄: '%s' 관계인 새 품목 %s가 다른 줄에도 있습니다 (여러 품목이 합쳐지면 merged).",
                        r->line, rel, r->to);
            break;
        case IGC_XW_SPLIT:
            if (nt < 2) problem(p, "%zu번째 줄: split인데 이전 품목 %s의 나뉜 품목이 하나뿐입니다 (2개 이상 필요).", r->line, r->from);
            for (size_t k = 0; k < nt && k < 64; k++)
                if (same[k]->relation != IGC_XW_SPLIT && same[k] > r)
                    problem(p, "%zu번째 줄: 이전 품목 %s가 split과 '%s' 관계에 함께 쓰였습니다.", same[k]->line, r->from,
                            igc_crosswalk_relation_names[same[k]->relation]);
            if (ns > 1) problem(p, "%zu번째 줄: split으로 나뉜 새 품목 %s가 다른 줄에도 있습니다.", r->line, r->to);
            break;
        case IGC_XW_MERGED:
            if (ns < 2) problem(p, "%zu번째 줄: merged인데 새 품목 %s로 합쳐지는 이전 품목이 하나뿐입니다 (2개 이상 필요).", r->line, r->to);
            if (nt > 1) problem(p, "%zu번째 줄: merged인 이전 품목 %s가 다른 줄에도 있습니다.", r->line, r->from);
            break;
        case IGC_XW_NEW:
            if (ns > 1) problem(p, "%zu번째 줄: 신설(new) 품목 %s가 다른 줄에도 있습니다.", r->line, r->to);
            break;
        case IGC_XW_REMOVED:
            if (nt > 1) problem(p, "%zu번째 줄: 삭제(removed)된 품목 %s가 다른 줄에도 있습니다.", r->line, r->from);
            break;
        }
    }
    for (size_t i = 0; i < from->nitems; i++)
        if (!igc_crosswalk_targets(cw, from->items[i].code, NULL, 0))
            problem(p, "이전 개편(%s)의 품목 %s(%s)이(가) 대응표에 없습니다 (삭제라면 removed 줄이 필요합니다).",
                    from->version, from->items[i].code, from->items[i].name);
    for (size_t i = 0; i < to->nitems; i++)
        if (!igc_crosswalk_sources(cw, to->items[i].code, NULL, 0))
            problem(p, "새 개편(%s)의 품목 %s(%s)이(가) 대응표에 없습니다 (신설이라면 new 줄이 필요합니다).", to->version,
                    to->items[i].code, to->items[i].name);
}

int igc_crosswalk_parse(const char *csv, size_t len, igc_taxonomy *from, igc_taxonomy *to,
                        igc_crosswalk **out, igc_buf *err, igc_buf *warn) {
    *out = NULL;
    problems p = {err, 0};
    if (!csv || !from || !to) return IGC_EINVAL;
    if (!igc_utf8_valid(csv, len)) {
        /* Excel in Korean saves "CSV" as CP949: read it as batch files are read */
        char *u8 = NULL;
        size_t u8len = 0, bad = 0;
        const char *enc = NULL;
        int drc = igc_csv_decode(csv, len, &u8, &u8len, &enc, &bad);
        if (drc == 0 && igc_utf8_valid(u8, u8len)) {
            if (warn) igc_buf_printf(warn, "대응표를 %s 인코딩으로 읽어 UTF-8로 바꿨습니다.\n", enc);
            int rc = igc_crosswalk_parse(u8, u8len, from, to, out, err, warn);
            free(u8);
            return rc;
        }
        free(u8);
        if (bad)
            problem(&p, "대응표 %zu번째 줄: UTF-8로도 CP949로도 읽을 수 없는 바이트가 있습니다 (invalid_encoding). "
                        "\"CSV UTF-8\"로 다시 저장하십시오.", bad);
        else
            problem(&p, "대응표가 UTF-8로도 CP949로도 읽을 수 없는 텍스트입니다 (invalid_encoding).");
        return IGC_EPARSE;
    }
    igc_csv *c;
    int rc = igc_csv_open_mem(csv, len, &c);
    if (rc) return rc;
    char **f;
    size_t nf;
    rc = igc_csv_next(c, &f, &nf);
    if (rc != 1) {
        igc_csv_close(c);
        problem(&p, "대응표가 비어 있습니다 (머리글 줄이 필요합니다).");
        return IGC_EPARSE;
    }
    int cf = col_suffix(f, nf, "_code", 0), ct = col_suffix(f, nf, "_code", 1);
    int nmf = col_suffix(f, nf, "_name", 0), nmt = col_suffix(f, nf, "_name", 1);
    int cr = col_suffix(f, nf, "relation", 0), cn = col_suffix(f, nf, "note", 0);
    if (cf < 0 || ct < 0 || cr < 0) {
        igc_csv_close(c);
        problem(&p, "1번째 줄: 머리글에 이전 코드, 새 코드(…_code 두 열)와 relation 열이 필요합니다.");
        return IGC_EPARSE;
    }
    igc_crosswalk *cw = calloc(1, sizeof *cw);
    size_t cap = 0;
    if (!cw) {
        igc_csv_close(c);
        return IGC_ENOMEM;
    }
    cw->refs = 1;
    cw->from = igc_taxonomy_ref(from);
    cw->to = igc_taxonomy_ref(to);
    while ((rc = igc_csv_next(c, &f, &nf)) == 1) {
        size_t line = igc_csv_line(c);
        int blank = 1;
        for (size_t i = 0; i < nf; i++)
            if (f[i] && !igc_blank(f[i])) blank = 0;
        if (blank) continue;
        const char *rel = field(f, nf, cr);
        char *relt = trimmed_dup(rel);
        int ri = relt ? igc_crosswalk_relation(relt) : -1;
        if (ri < 0) {
            problem(&p, "%zu번째 줄: relation '%s'을(를) 알 수 없습니다 (same, renamed, revised, split, merged, new, removed 중 하나).",
                    line, relt ? relt : rel);
            free(relt);
            continue;
        }
        free(relt);
        if (cw->nrows == cap) {
            cap = cap ? cap * 2 : 256;
            igc_xw_row *nr = realloc(cw->rows, cap * sizeof *nr);
            if (!nr) {
                rc = IGC_ENOMEM;
                break;
            }
            cw->rows = nr;
        }
        igc_xw_row *r = &cw->rows[cw->nrows];
        memset(r, 0, sizeof *r);
        r->from = trimmed_dup(field(f, nf, cf));
        r->from_name = trimmed_dup(field(f, nf, nmf));
        r->to = trimmed_dup(field(f, nf, ct));
        r->to_name = trimmed_dup(field(f, nf, nmt));
        r->note = trimmed_dup(field(f, nf, cn));
        r->relation = ri;
        r->line = line;
        cw->nrows++;
        if (!r->from || !r->from_name || !r->to || !r->to_name || !r->note) {
            rc = IGC_ENOMEM;
            break;
        }
        if (ri == IGC_XW_NEW && (*r->from || !*r->to))
            problem(&p, "%zu번째 줄: 신설(new)은 이전 코드가 비고 새 코드가 있어야 합니다.", line);
        else if (ri == IGC_XW_REMOVED && (!*r->from || *r->to))
            problem(&p, "%zu번째 줄: 삭제(removed)는 이전 코드가 있고 새 코드가 비어야 합니다.", line);
        else if (ri != IGC_XW_NEW && ri != IGC_XW_REMOVED && (!*r->from || !*r->to))
            problem(&p, "%zu번째 줄: '%s' 관계에는 이전 코드와 새 코드가 모두 필요합니다.", line,
                    igc_crosswalk_relation_names[ri]);
    }
    if (rc < 0 && rc != IGC_ENOMEM) problem(&p, "%zu번째 줄: CSV 형식이 깨졌습니다 (닫히지 않은 따옴표 등).", igc_csv_line(c));
    igc_csv_close(c);
    if (rc == IGC_ENOMEM) {
        free_cw(cw);
        return rc;
    }
    if (rc < 0) {
        free_cw(cw);
        return IGC_EPARSE;
    }
    if (!cw->nrows) problem(&p, "대응표에 대응 줄이 하나도 없습니다.");
    cw->by_from = malloc((cw->nrows + 1) * sizeof *cw->by_from);
    cw->by_to = malloc((cw->nrows + 1) * sizeof *cw->by_to);
    if (!cw->by_from || !cw->by_to) {
        free_cw(cw);
        return IGC_ENOMEM;
    }
    for (size_t i = 0; i < cw->nrows; i++) cw->by_from[i] = cw->by_to[i] = i;
    qsort_r(cw->by_from, cw->nrows, sizeof *cw->by_from, cmp_from, cw);
    qsort_r(cw->by_to, cw->nrows, sizeof *cw->by_to, cmp_to, cw);
    if (!p.n) validate(cw, &p, warn);
    if (p.n) {
        if (err && p.n > MAX_PROBLEMS) igc_buf_printf(err, "... 외 %zu건\n", p.n - MAX_PROBLEMS);
        free_cw(cw);
        return IGC_EINVAL;
    }
    *out = cw;
    return 0;
}

int igc_crosswalk_load(const char *path, igc_taxonomy *from, igc_taxonomy *to, igc_crosswalk **out,
                       igc_buf *err, igc_buf *warn) {
    char *data;
    size_t len;
    *out = NULL;
    int rc = igc_read_file(path, &data, &len);
    if (rc) {
        if (err) igc_buf_printf(err, "대응표 파일 %s을(를) 읽을 수 없습니다: %s\n", path, igc_strerror(rc));
        return rc;
    }
    /* a BOM from Excel is not part of the header */
    size_t skip = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    rc = igc_crosswalk_parse(data + skip, len - skip, from, to, out, err, warn);
    free(data);
    return rc;
}

cJSON *igc_crosswalk_summary_json(const igc_crosswalk *cw) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "from", cw->from->version);
    cJSON_AddStringToObject(o, "to", cw->to->version);
    cJSON_AddNumberToObject(o, "rows", (double)cw->nrows);
    cJSON *rel = cJSON_AddObjectToObject(o, "relations");
    size_t counts[IGC_XW_NREL] = {0};
    for (size_t i = 0; i < cw->nrows; i++) counts[cw->rows[i].relation]++;
    for (int k = 0; k < IGC_XW_NREL; k++)
        cJSON_AddNumberToObject(rel, igc_crosswalk_relation_names[k], (double)counts[k]);
    return o;
}
