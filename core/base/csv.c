#include <errno.h>
#include <iconv.h>
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

/* Counts the line breaks in [p, e): a quoted field may span lines. */
static size_t newlines(const char *p, const char *e) {
    size_t k = 0;
    while ((p = memchr(p, '\n', (size_t)(e - p)))) p++, k++;
    return k;
}

int igc_csv_next(igc_csv *c, char ***fields, size_t *nfields) {
    if (c->p >= c->end) return 0;
    c->field.len = 0;
    c->line = c->next_line;
    size_t n = 0;
    if (push_field(c, n++)) return IGC_ENOMEM;
    int quoted = 0, at_start = 1;
    /* Whole runs of plain bytes are copied at once: files of many thousand rows are
     * read at every start. */
    while (c->p < c->end) {
        if (at_start && *c->p == '"') {
            c->p++;
            at_start = 0;
            quoted = 1;
            while (quoted) {
                const char *q = memchr(c->p, '"', (size_t)(c->end - c->p));
                const char *stop = q ? q : c->end;
                c->next_line += newlines(c->p, stop);
                if (igc_buf_append(&c->field, c->p, (size_t)(stop - c->p))) return IGC_ENOMEM;
                c->p = stop;
                if (!q) break; /* unterminated: refused below */
                c->p++;
                if (c->p < c->end && *c->p == '"') { /* "" is one quote */
                    c->p++;
                    if (igc_buf_append(&c->field, "\"", 1)) return IGC_ENOMEM;
                } else {
                    quoted = 0;
                }
            }
            continue;
        }
        const char *s = c->p;
        while (s < c->end && *s != ',' && *s != '\n' && *s != '\r') s++;
        if (s > c->p) {
            at_start = 0;
            if (igc_buf_append(&c->field, c->p, (size_t)(s - c->p))) return IGC_ENOMEM;
            c->p = s;
        }
        if (c->p >= c->end) break;
        char ch = *c->p++;
        if (ch == ',') {
            if (igc_buf_append(&c->field, "", 1)) return IGC_ENOMEM;
            if (push_field(c, n++)) return IGC_ENOMEM;
            at_start = 1;
            continue;
        }
        if (ch == '\n') {
            c->next_line++;
            break;
        }
        if (c->p < c->end && *c->p == '\n') continue; /* CR LF */
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

/* ---- the text encoding of files people save ---- */

/* Converts with iconv into a fresh NUL-terminated buffer. Returns 0, IGC_EUTF8 with
 * *bad the offset of the first byte that does not decode, IGC_EUNSUP when glibc has
 * no converter, or IGC_ENOMEM. */
static int convert(const char *from, const char *data, size_t len, char **out, size_t *outlen, size_t *bad) {
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1) return IGC_EUNSUP;
    size_t cap = len + len / 2 + 16, used = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : IGC_ENOMEM;
    char *in = (char *)data;
    size_t left = len;
    while (!rc && left) {
        char *o = buf + used;
        size_t room = cap - used - 1;
        size_t r = iconv(cd, &in, &left, &o, &room);
        used = (size_t)(o - buf);
        if (r != (size_t)-1) break;
        if (errno == E2BIG) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) rc = IGC_ENOMEM;
            else buf = nb, cap *= 2;
        } else {
            /* EILSEQ, or EINVAL: a sequence cut off by the end of the file */
            *bad = (size_t)(in - data);
            rc = IGC_EUTF8;
        }
    }
    iconv_close(cd);
    if (!rc && memchr(buf, 0, used)) {
        *bad = len; /* a NUL decoded: not text */
        rc = IGC_EUTF8;
    }
    if (rc) {
        free(buf);
        return rc;
    }
    buf[used] = '\0';
    *out = buf;
    *outlen = used;
    return 0;
}

static size_t line_of(const char *s, size_t off) {
    size_t line = 1;
    for (size_t i = 0; i < off; i++) line += s[i] == '\n';
    return line;
}

int igc_csv_decode(const char *data, size_t len, char **out, size_t *outlen, const char **encoding,
                   size_t *bad_line) {
    const unsigned char *u = (const unsigned char *)data;
    *out = NULL;
    *outlen = 0;
    *encoding = "UTF-8";
    *bad_line = 0;
    size_t bad = 0, bad949 = 0;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        /* Excel's "Unicode text": iconv's UTF-16 reads the BOM and drops it */
        *encoding = "UTF-16";
        int rc = convert("UTF-16", data, len, out, outlen, &bad);
        if (rc == IGC_EUTF8) *bad_line = line_of(data, bad); /* counts 0x0A bytes: near enough for UTF-16 */
        return rc;
    }
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        data += 3, len -= 3; /* a BOM says UTF-8: nothing else is tried */
        if ((bad = igc_utf8_text_end(data, len)) < len) {
            *bad_line = line_of(data, bad);
            return IGC_EUTF8;
        }
    } else if ((bad = igc_utf8_text_end(data, len)) < len) {
        const char *nul = memchr(data, 0, len);
        if (nul) {
            /* a UTF-16 file without its BOM, or not text at all: in no 8-bit encoding */
            *bad_line = line_of(data, (size_t)(nul - data));
            return IGC_EUTF8;
        }
        /* Korean Windows (Excel's "CSV") saves CP949: EUC-KR plus the other 8,822 Hangul syllables */
        int rc = convert("CP949", data, len, out, outlen, &bad949);
        if (rc == 0) *encoding = "CP949";
        if (rc != IGC_EUTF8) return rc;
        /* neither: the encoding that decoded further is likely the intended one */
        *bad_line = line_of(data, bad949 > bad ? bad949 : bad);
        return IGC_EUTF8;
    }
    char *copy = malloc(len + 1);
    if (!copy) return IGC_ENOMEM;
    memcpy(copy, data, len);
    copy[len] = '\0';
    *out = copy;
    *outlen = len;
    return 0;
}
