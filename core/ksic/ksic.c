#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"
#include "igc_ksic.h"

typedef struct {
    char k10[6], k11[6];
} concord;

struct igc_ksic {
    igc_ksic_entry *e; /* KSIC-11, sorted by code (the files are) */
    size_t n;
    char (*k10)[6];    /* KSIC-10 codes known to exist */
    size_t n10;
    concord *map;
    size_t nmap;
};

static void copy_code(char *dst, size_t sz, const char *src) {
    snprintf(dst, sz, "%s", src ? src : "");
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const igc_ksic_entry *)a)->code, ((const igc_ksic_entry *)b)->code);
}

static int load_hierarchy11(igc_ksic *k, const char *path) {
    static const char *const cols[] = {"ksic5", "name5", "name5_en", "sec", "sec_name", "div2",
                                       "div2_name", "grp3", "grp3_name", "cls4", "cls4_name"};
    igc_csv *c;
    char **f;
    size_t nf, cap = 0, width;
    int ci[11];
    int rc = igc_csv_open_cols(path, cols, 11, ci, &width, &c, NULL);
    if (rc) return rc;
    while ((rc = igc_csv_next(c, &f, &nf)) == 1) {
        if (nf < width || strlen(f[ci[0]]) != 5) continue;
        if (k->n == cap) {
            cap = cap ? cap * 2 : 1024;
            igc_ksic_entry *e = realloc(k->e, cap * sizeof *e);
            if (!e) { rc = IGC_ENOMEM; break; }
            k->e = e;
        }
        igc_ksic_entry *e = &k->e[k->n++];
        memset(e, 0, sizeof *e);
        copy_code(e->code, sizeof e->code, f[ci[0]]);
        e->name = igc_strdup(f[ci[1]]);
        e->name_en = igc_strdup(f[ci[2]]);
        copy_code(e->sec, sizeof e->sec, f[ci[3]]);
        e->sec_name = igc_strdup(f[ci[4]]);
        copy_code(e->div2, sizeof e->div2, f[ci[5]]);
        e->div2_name = igc_strdup(f[ci[6]]);
        copy_code(e->grp3, sizeof e->grp3, f[ci[7]]);
        e->grp3_name = igc_strdup(f[ci[8]]);
        copy_code(e->cls4, sizeof e->cls4, f[ci[9]]);
        e->cls4_name = igc_strdup(f[ci[10]]);
        if (!e->name || !e->name_en || !e->sec_name || !e->div2_name || !e->grp3_name || !e->cls4_name) {
            rc = IGC_ENOMEM;
            break;
        }
    }
    igc_csv_close(c);
    if (rc < 0) return rc;
    qsort(k->e, k->n, sizeof *k->e, cmp_entry);
    return k->n ? 0 : IGC_EPARSE;
}

static int load_descriptions(igc_ksic *k, const char *path) {
    static const char *const cols[] = {"ksic5", "desc5", "examples5", "exclusions5", "desc4"};
    enum { C5, D5, EX5, EXC5, D4 };
    igc_csv *c;
    char **f;
    size_t nf, width;
    int ci[5];
    int rc = igc_csv_open_cols(path, cols, 5, ci, &width, &c, NULL);
    if (rc) return rc;
    while ((rc = igc_csv_next(c, &f, &nf)) == 1) {
        if (nf < width) continue;
        igc_ksic_entry *e = (igc_ksic_entry *)igc_ksic_find(k, f[ci[C5]]);
        if (!e || e->desc5) continue;
        e->desc5 = igc_strdup(f[ci[D5]]);
        e->examples5 = igc_strdup(f[ci[EX5]]);
        e->exclusions5 = igc_strdup(f[ci[EXC5]]);
        e->desc4 = igc_strdup(f[ci[D4]]);
    }
    igc_csv_close(c);
    return rc < 0 ? rc : 0;
}

static int load_ksic10(igc_ksic *k, const char *hier10, const char *concord_path) {
    static const char *const code_col[] = {"ksic5"}, *const map_cols[] = {"ksic11", "ksic10"};
    igc_csv *c;
    char **f;
    size_t nf, cap = 0, width;
    int col, mc[2];
    int rc = igc_csv_open_cols(hier10, code_col, 1, &col, NULL, &c, NULL);
    if (rc) return rc;
    while ((rc = igc_csv_next(c, &f, &nf)) == 1) {
        if ((int)nf <= col || strlen(f[col]) != 5) continue;
        if (k->n10 == cap) {
            cap = cap ? cap * 2 : 1024;
            char(*p)[6] = realloc(k->k10, cap * sizeof *p);
            if (!p) { rc = IGC_ENOMEM; break; }
            k->k10 = p;
        }
        copy_code(k->k10[k->n10++], 6, f[col]);
    }
    igc_csv_close(c);
    if (rc < 0) return rc;
    if ((rc = igc_csv_open_cols(concord_path, map_cols, 2, mc, &width, &c, NULL))) return rc;
    cap = 0;
    int c11 = mc[0], c10 = mc[1];
    while ((rc = igc_csv_next(c, &f, &nf)) == 1) {
        if (nf < width || strlen(f[c10]) != 5 || strlen(f[c11]) != 5) continue;
        if (k->nmap == cap) {
            cap = cap ? cap * 2 : 1024;
            concord *p = realloc(k->map, cap * sizeof *p);
            if (!p) { rc = IGC_ENOMEM; break; }
            k->map = p;
        }
        copy_code(k->map[k->nmap].k10, 6, f[c10]);
        copy_code(k->map[k->nmap].k11, 6, f[c11]);
        k->nmap++;
    }
    igc_csv_close(c);
    return rc < 0 ? rc : 0;
}

int igc_ksic_load(const char *data_dir, igc_ksic **out) {
    *out = NULL;
    igc_ksic *k = calloc(1, sizeof *k);
    if (!k) return IGC_ENOMEM;
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/ksic/ksic11_hierarchy.csv", data_dir);
    int rc = load_hierarchy11(k, p1);
    if (!rc) {
        snprintf(p1, sizeof p1, "%s/ksic/ksic11_descriptions.csv", data_dir);
        rc = load_descriptions(k, p1);
    }
    if (!rc) {
        snprintf(p1, sizeof p1, "%s/ksic/ksic10_hierarchy.csv", data_dir);
        snprintf(p2, sizeof p2, "%s/ksic/ksic11_to_ksic10.csv", data_dir);
        rc = load_ksic10(k, p1, p2);
    }
    if (rc) {
        igc_log(IGC_LOG_ERROR, "ksic: cannot load tables under %s: %s", data_dir, igc_strerror(rc));
        igc_ksic_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

void igc_ksic_free(igc_ksic *k) {
    if (!k) return;
    for (size_t i = 0; i < k->n; i++) {
        igc_ksic_entry *e = &k->e[i];
        free(e->name), free(e->name_en), free(e->sec_name), free(e->div2_name), free(e->grp3_name);
        free(e->cls4_name), free(e->desc5), free(e->examples5), free(e->exclusions5), free(e->desc4);
    }
    free(k->e), free(k->k10), free(k->map), free(k);
}

const igc_ksic_entry *igc_ksic_find(const igc_ksic *k, const char *code5) {
    if (!k || !code5 || strlen(code5) != 5) return NULL;
    igc_ksic_entry key;
    copy_code(key.code, sizeof key.code, code5);
    return bsearch(&key, k->e, k->n, sizeof *k->e, cmp_entry);
}

/* First KSIC-11 entry whose code starts with prefix (entries are sorted). */
static const igc_ksic_entry *first_with_prefix(const igc_ksic *k, const char *prefix) {
    size_t lo = 0, hi = k->n, pl = strlen(prefix);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strncmp(k->e[mid].code, prefix, pl) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < k->n && strncmp(k->e[lo].code, prefix, pl) == 0 ? &k->e[lo] : NULL;
}

int igc_ksic_resolve(const igc_ksic *k, const char *code, int allow_prefix, igc_ksic_match *m) {
    memset(m, 0, sizeof *m);
    if (!code) return IGC_EINVAL;
    size_t n = strlen(code);
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)code[i])) return IGC_EINVAL;
    if (n == 5) {
        const igc_ksic_entry *e = igc_ksic_find(k, code);
        if (!e) {
            /* Not a KSIC-11 code: map a KSIC-10 code through the official concordance. */
            for (size_t i = 0; i < k->nmap && !e; i++)
                if (strcmp(k->map[i].k10, code) == 0) e = igc_ksic_find(k, k->map[i].k11);
            if (!e) return IGC_ENOTFOUND;
            copy_code(m->mapped_from, sizeof m->mapped_from, code);
        }
        m->entry = m->first = e;
        m->level = 5;
        copy_code(m->code, sizeof m->code, e->code);
        m->name = e->name;
        return 0;
    }
    if (!allow_prefix || n < 2 || n > 4) return IGC_EINVAL;
    const igc_ksic_entry *e = first_with_prefix(k, code);
    if (!e) return IGC_ENOTFOUND;
    m->first = e;
    m->level = (int)n;
    copy_code(m->code, sizeof m->code, code);
    m->name = n == 2 ? e->div2_name : n == 3 ? e->grp3_name : e->cls4_name;
    return 0;
}

size_t igc_ksic_map10(const igc_ksic *k, const char *code10, const igc_ksic_entry **out, size_t max) {
    size_t n = 0;
    if (!k || !code10 || strlen(code10) != 5) return 0;
    for (size_t i = 0; i < k->nmap; i++) {
        if (strcmp(k->map[i].k10, code10) != 0) continue;
        const igc_ksic_entry *e = igc_ksic_find(k, k->map[i].k11);
        if (!e) continue;
        int seen = 0; /* the concordance may list a pair twice */
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(k->map[j].k10, code10) == 0 && strcmp(k->map[j].k11, e->code) == 0;
        if (seen) continue;
        if (n < max) out[n] = e;
        n++;
    }
    return n;
}

size_t igc_ksic_count(const igc_ksic *k) { return k->n; }
const igc_ksic_entry *igc_ksic_at(const igc_ksic *k, size_t i) { return i < k->n ? &k->e[i] : NULL; }
