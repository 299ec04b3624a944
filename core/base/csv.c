#include <stdlib.h>
#include <string.h>

#include "igc_base.h"

struct igc_csv {
    char *owned;        /* file contents when opened from a path */
    const char *p, *end;
    size_t line, next_line;
    igc_buf field;      /* current record's bytes, fields NUL-separated */
    size_t *offs;       /* field start offsets into field.data */
    char **ptrs;
    size_t cap;
    char **header;      /* copy of the first record's names */
    size_t nheader;
};

static int open_common(igc_csv *c, const char *data, size_t len) {
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
        (unsigned char)data[2] == 0xBF) {
        data += 3;
        len -= 3;
    }
    c->p = data;
    c->end = data + len;
    c->next_line = 1;
    return 0;
}

int igc_csv_open_mem(const char *data, size_t len, igc_csv **out) {
    igc_csv *c = calloc(1, sizeof *c);
    if (!c) return IGC_ENOMEM;
    open_common(c, data, len);
    *out = c;
    return 0;
}

int igc_csv_open(const char *path, igc_csv **out) {
    char *data;
    size_t len;
    int rc = igc_read_file(path, &data, &len);
    if (rc) return rc;
    igc_csv *c = calloc(1, sizeof *c);
    if (!c) {
        free(data);
        return IGC_ENOMEM;
    }
    c->owned = data;
    open_common(c, data, len);
    *out = c;
    return 0;
}

static int push_field(igc_csv *c, size_t n) {
    if (n >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        size_t *o = realloc(c->offs, cap * sizeof *o);
        if (!o) return IGC_ENOMEM;
        c->offs = o;
        char **p = realloc(c->ptrs, cap * sizeof *p);
        if (!p) return IGC_ENOMEM;
        c->ptrs = p;
        c->cap = cap;
    }
    c->offs[n] = c->field.len;
    return 0;
}

int igc_csv_next(igc_csv *c, char ***fields, size_t *nfields) {
    if (c->p >= c->end) return 0;
    c->field.len = 0;
    c->line = c->next_line;
    size_t n = 0;
    if (push_field(c, n++)) return IGC_ENOMEM;
    int quoted = 0, at_start = 1;
    while (c->p < c->end) {
        char ch = *c->p++;
        if (quoted) {
            if (ch == '"') {
                if (c->p < c->end && *c->p == '"') {
                    c->p++;
                    if (igc_buf_append(&c->field, "\"", 1)) return IGC_ENOMEM;
                } else {
                    quoted = 0;
                }
            } else {
                if (ch == '\n') c->next_line++;
                if (igc_buf_append(&c->field, &ch, 1)) return IGC_ENOMEM;
            }
            continue;
        }
        if (ch == '"' && at_start) {
            quoted = 1;
            at_start = 0;
            continue;
        }
        if (ch == ',') {
            if (igc_buf_append(&c->field, "", 1)) return IGC_ENOMEM;
            if (push_field(c, n++)) return IGC_ENOMEM;
            at_start = 1;
            continue;
        }
        if (ch == '\r' && c->p < c->end && *c->p == '\n') continue;
        if (ch == '\n') {
            c->next_line++;
            break;
        }
        at_start = 0;
        if (igc_buf_append(&c->field, &ch, 1)) return IGC_ENOMEM;
    }
    if (quoted) return IGC_EPARSE; /* unterminated quote at end of input */
    if (igc_buf_append(&c->field, "", 1)) return IGC_ENOMEM;
    for (size_t i = 0; i < n; i++) c->ptrs[i] = c->field.data + c->offs[i];
    if (!c->header) {
        c->header = calloc(n, sizeof *c->header);
        if (!c->header) return IGC_ENOMEM;
        c->nheader = n;
        for (size_t i = 0; i < n; i++)
            if (!(c->header[i] = igc_strdup(c->ptrs[i]))) return IGC_ENOMEM;
    }
    *fields = c->ptrs;
    *nfields = n;
    return 1;
}

int igc_csv_col(igc_csv *c, const char *name) {
    for (size_t i = 0; i < c->nheader; i++)
        if (strcmp(c->header[i], name) == 0) return (int)i;
    return -1;
}

int igc_csv_open_cols(const char *path, const char *const *names, size_t n, int *cols, size_t *width,
                      igc_csv **out, const char **missing) {
    igc_csv *c;
    char **f;
    size_t nf, w = 0;
    if (missing) *missing = NULL;
    int rc = igc_csv_open(path, &c);
    if (rc) return rc;
    if ((rc = igc_csv_next(c, &f, &nf)) != 1) {
        igc_csv_close(c);
        return rc < 0 ? rc : IGC_EPARSE;
    }
    for (size_t i = 0; i < n; i++) {
        if ((cols[i] = igc_csv_col(c, names[i])) < 0) {
            if (missing) *missing = names[i];
            igc_csv_close(c);
            return IGC_EPARSE;
        }
        if ((size_t)cols[i] + 1 > w) w = (size_t)cols[i] + 1;
    }
    if (width) *width = w;
    *out = c;
    return 0;
}

size_t igc_csv_line(const igc_csv *c) { return c->line; }

void igc_csv_close(igc_csv *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nheader; i++) free(c->header[i]);
    free(c->header);
    free(c->offs);
    free(c->ptrs);
    igc_buf_free(&c->field);
    free(c->owned);
    free(c);
}

int igc_csv_field(igc_buf *b, const char *s) {
    if (!s) s = "";
    if (!strpbrk(s, ",\"\r\n")) return igc_buf_puts(b, s);
    if (igc_buf_append(b, "\"", 1)) return IGC_ENOMEM;
    for (; *s; s++) {
        if (*s == '"' && igc_buf_append(b, "\"", 1)) return IGC_ENOMEM;
        if (igc_buf_append(b, s, 1)) return IGC_ENOMEM;
    }
    return igc_buf_append(b, "\"", 1);
}
