/* Router and request/response helpers of igc_http. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "igc_http.h"

typedef struct route {
    char method[16];
    char *pattern;  /* copy, segments separated by '\0' after split */
    char **segs;    /* nsegs pointers into pattern; "{x}" for params */
    size_t nsegs;
    igc_http_handler h;
    void *ud;
} route;

struct igc_http_router {
    route *routes;
    size_t n, cap;
};

/* ---- helpers ---- */

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int igc_http_url_decode(const char *in, size_t n, int plus_is_space, char *out, size_t outsz,
                        size_t *outlen) {
    size_t o = 0;
    if (outlen) *outlen = 0;
    if (!in || !out || !outsz) return IGC_EINVAL;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (n - i < 3) return IGC_EINVAL;
            int hi = hexval((unsigned char)in[i + 1]), lo = hexval((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0) return IGC_EINVAL;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (o + 1 >= outsz) {
            out[0] = '\0';
            return IGC_ETOOBIG;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (outlen) *outlen = o;
    return 0;
}

int igc_http_query_param(const char *query, const char *key, char *out, size_t outsz) {
    if (!out || !outsz) return IGC_EINVAL;
    out[0] = '\0';
    if (!query || !key) return IGC_ENOTFOUND;
    size_t klen = strlen(key);
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        if (!end) end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *kend = eq ? eq : end;
        /* Keys are compared decoded, so "na%6De" matches "name". Keys longer
         * than 3x the wanted one cannot match. */
        size_t rawk = (size_t)(kend - p);
        if (rawk && rawk <= klen * 3) {
            char kbuf[256];
            size_t kl = 0;
            if (klen < sizeof kbuf &&
                igc_http_url_decode(p, rawk, 1, kbuf, sizeof kbuf, &kl) == 0 && kl == klen &&
                memcmp(kbuf, key, klen) == 0) {
                size_t vl = 0;
                const char *v = eq ? eq + 1 : end;
                int rc = igc_http_url_decode(v, (size_t)(end - v), 1, out, outsz, &vl);
                if (rc) return rc;
                if (memchr(out, '\0', vl)) {
                    out[0] = '\0';
                    return IGC_EINVAL;
                }
                if (!igc_utf8_valid(out, vl)) {
                    out[0] = '\0';
                    return IGC_EUTF8;
                }
                return 0;
            }
        }
        p = *end ? end + 1 : end;
    }
    return IGC_ENOTFOUND;
}

const char *igc_http_header(const igc_http_request *req, const char *name) {
    if (!req || !name || !req->headers_) return NULL;
    const char *p = req->headers_, *end = req->headers_ + req->headers_len_;
    while (p < end) {
        const char *v = p + strlen(p) + 1;
        if (v >= end) break;
        if (strcasecmp(p, name) == 0) return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

int igc_http_json_str(igc_buf *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    int rc = igc_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && !rc; p++) {
        const char *esc = NULL;
        switch (*p) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc) {
            rc = igc_buf_puts(b, esc);
        } else if (*p < 0x20 || *p == 0x7f) {
            char u[7] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0};
            rc = igc_buf_append(b, u, 6);
        } else {
            /* Copy the run of plain bytes in one go. */
            const unsigned char *q = p;
            while (q[1] && q[1] >= 0x20 && q[1] != '"' && q[1] != '\\' && q[1] != 0x7f) q++;
            rc = igc_buf_append(b, p, (size_t)(q - p + 1));
            p = q;
        }
    }
    if (!rc) rc = igc_buf_append(b, "\"", 1);
    return rc;
}

/* 1 when a string of the JSON text holds a \u0000 escape. */
static int has_nul_escape(const char *s, size_t n) {
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_str) {
            in_str = s[i] == '"';
        } else if (s[i] == '"') {
            in_str = 0;
        } else if (s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == 'u' && i + 5 < n && s[i + 2] == '0' && s[i + 3] == '0' && s[i + 4] == '0' &&
                s[i + 5] == '0')
                return 1;
            i++;
        }
    }
    return 0;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 when an object of the tree names a key twice; -1 out of memory. */
static int has_duplicate_key(const cJSON *j) {
    if (!cJSON_IsObject(j) && !cJSON_IsArray(j)) return 0;
    size_t n = 0;
    for (const cJSON *c = j->child; c; c = c->next) {
        int r = has_duplicate_key(c);
        if (r) return r;
        n++;
    }
    if (!cJSON_IsObject(j) || n < 2) return 0;
    const char **names = malloc(n * sizeof *names);
    if (!names) return -1;
    size_t k = 0;
    for (const cJSON *c = j->child; c; c = c->next) names[k++] = c->string ? c->string : "";
    qsort(names, n, sizeof *names, cmp_names);
    int dup = 0;
    for (size_t i = 1; i < n && !dup; i++) dup = strcmp(names[i - 1], names[i]) == 0;
    free(names);
    return dup;
}

int igc_http_json_parse(const char *body, size_t len, cJSON **out, const char **code, const char **msg_ko) {
    *out = NULL;
    *code = "invalid_json";
    *msg_ko = "요청 본문의 JSON 형식이 올바르지 않습니다.";
    if (!body) return IGC_EINVAL;
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (doc && end) { /* one JSON document only: trailing text is an error, not ignored */
        while (end < body + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) end++;
        if (end < body + len) {
            cJSON_Delete(doc);
            return IGC_EINVAL;
        }
    }
    if (!doc) return IGC_EINVAL;
    if (has_nul_escape(body, len)) {
        cJSON_Delete(doc);
        *code = "nul_in_string";
        *msg_ko = "요청 본문의 문자열에 NUL 문자(\\u0000)가 있습니다. 값이 잘리지 않도록 받지 않습니다.";
        return IGC_EINVAL;
    }
    int dup = has_duplicate_key(doc);
    if (dup) {
        cJSON_Delete(doc);
        *code = dup < 0 ? "out_of_memory" : "duplicate_key";
        *msg_ko = dup < 0 ? "서버 메모리가 부족합니다." : "요청 본문의 같은 객체에 같은 이름의 항목이 두 번 있습니다.";
        return dup < 0 ? IGC_ENOMEM : IGC_EINVAL;
    }
    *out = doc;
    *code = *msg_ko = "";
    return 0;
}

void igc_http_error(igc_http_response *res, int status, const char *code, const char *message_ko,
                    const char *const *fields, size_t nfields) {
    if (!res) return;
    res->status = status;
    res->content_type = NULL;
    res->body.len = 0;
    if (res->body.data) res->body.data[0] = '\0';
    igc_buf *b = &res->body;
    int rc = igc_buf_puts(b, "{\"error\":{\"code\":");
    rc |= igc_http_json_str(b, code ? code : "error");
    rc |= igc_buf_puts(b, ",\"message\":");
    rc |= igc_http_json_str(b, message_ko ? message_ko : "");
    rc |= igc_buf_puts(b, ",\"fields\":[");
    for (size_t i = 0; fields && i < nfields; i++) {
        if (i) rc |= igc_buf_puts(b, ",");
        rc |= igc_http_json_str(b, fields[i]);
    }
    rc |= igc_buf_puts(b, "]}}");
    if (rc) {
        /* Out of memory: the server turns an empty error body into a bare 500. */
        igc_buf_free(b);
        res->status = 500;
    }
}

const char *igc_http_reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* ---- router ---- */

int igc_http_router_new(igc_http_router **out) {
    if (!out) return IGC_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? 0 : IGC_ENOMEM;
}

void igc_http_router_free(igc_http_router *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->routes[i].pattern);
        free(r->routes[i].segs);
    }
    free(r->routes);
    free(r);
}

static int is_param(const char *seg) {
    size_t n = strlen(seg);
    return n >= 2 && seg[0] == '{' && seg[n - 1] == '}';
}

/* Splits a path ("/a/b") in place into its segments after the leading '/'.
 * "/" has one empty segment, like "/a/" ends with one. */
static size_t split_path(char *p, char **segs, size_t maxsegs) {
    size_t n = 0;
    char *s = p + 1;
    for (;;) {
        if (n == maxsegs) return maxsegs + 1;
        segs[n++] = s;
        char *slash = strchr(s, '/');
        if (!slash) break;
        *slash = '\0';
        s = slash + 1;
    }
    return n;
}

static size_t count_segs(const char *p) {
    size_t n = 1;
    for (; *p; p++)
        if (*p == '/') n++;
    return n;
}

int igc_http_router_add(igc_http_router *r, const char *method, const char *pattern, igc_http_handler h,
                        void *ud) {
    if (!r || !method || !pattern || !h || pattern[0] != '/') return IGC_EINVAL;
    size_t mlen = strlen(method);
    if (mlen == 0 || mlen >= sizeof r->routes[0].method) return IGC_EINVAL;
    route rt = {0};
    memcpy(rt.method, method, mlen + 1);
    rt.pattern = igc_strdup(pattern);
    if (!rt.pattern) return IGC_ENOMEM;
    size_t cnt = count_segs(pattern) - 1;
    rt.segs = calloc(cnt ? cnt : 1, sizeof *rt.segs);
    if (!rt.segs) {
        free(rt.pattern);
        return IGC_ENOMEM;
    }
    rt.nsegs = split_path(rt.pattern, rt.segs, cnt ? cnt : 1);
    int nparams = 0, bad = 0;
    for (size_t i = 0; i < rt.nsegs; i++) {
        if (is_param(rt.segs[i])) {
            nparams++;
        } else if (strchr(rt.segs[i], '{') || strchr(rt.segs[i], '}')) {
            bad = 1;
        }
    }
    if (bad || nparams > IGC_HTTP_MAX_PARAMS) {
        free(rt.pattern);
        free(rt.segs);
        return IGC_EINVAL;
    }
    rt.h = h;
    rt.ud = ud;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        route *nr = realloc(r->routes, cap * sizeof *nr);
        if (!nr) {
            free(rt.pattern);
            free(rt.segs);
            return IGC_ENOMEM;
        }
        r->routes = nr;
        r->cap = cap;
    }
    r->routes[r->n++] = rt;
    return 0;
}

/* 1 if the route's pattern matches the split path. */
static int route_matches(const route *rt, char **segs, size_t nsegs) {
    if (rt->nsegs != nsegs) return 0;
    for (size_t i = 0; i < nsegs; i++) {
        if (is_param(rt->segs[i])) {
            if (!segs[i][0]) return 0;
        } else if (strcmp(rt->segs[i], segs[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

/* -1/0/1 as a is less/equally/more specific than b: at the first position
 * where one has a literal and the other a param, the literal wins. */
static int specificity_cmp(const route *a, const route *b) {
    for (size_t i = 0; i < a->nsegs && i < b->nsegs; i++) {
        int pa = is_param(a->segs[i]), pb = is_param(b->segs[i]);
        if (pa != pb) return pa ? -1 : 1;
    }
    return 0;
}

static int method_ok(const route *rt, const char *method) {
    if (strcmp(rt->method, method) == 0) return 1;
    return strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0;
}

void igc_http_router_dispatch(void *router, const igc_http_request *req, igc_http_response *res) {
    igc_http_router *r = router;
    if (!r || !req || !res) return;
    const char *path = req->path ? req->path : "";
    const char *method = req->method ? req->method : "";
    if (path[0] != '/') {
        igc_http_error(res, 404, "not_found", "요청한 경로를 찾을 수 없습니다", NULL, 0);
        return;
    }
    char *copy = igc_strdup(path);
    size_t maxsegs = count_segs(path);
    char **segs = copy ? calloc(maxsegs, sizeof *segs) : NULL;
    if (!segs) {
        free(copy);
        igc_http_error(res, 500, "internal_error", "서버 내부 오류입니다", NULL, 0);
        return;
    }
    size_t nsegs = split_path(copy, segs, maxsegs);

    const route *best = NULL;
    int any_path = 0;
    for (size_t i = 0; i < r->n; i++) {
        const route *rt = &r->routes[i];
        if (!route_matches(rt, segs, nsegs)) continue;
        any_path = 1;
        if (!method_ok(rt, method)) continue;
        /* An exact method beats HEAD-served-by-GET; then specificity; then order. */
        if (!best) {
            best = rt;
            continue;
        }
        int exact_rt = strcmp(rt->method, method) == 0, exact_best = strcmp(best->method, method) == 0;
        int c = specificity_cmp(rt, best);
        if (c > 0 || (c == 0 && exact_rt && !exact_best)) best = rt;
    }

    if (best) {
        igc_http_request sub = *req;
        sub.nparams = 0;
        for (size_t i = 0; i < best->nsegs; i++)
            if (is_param(best->segs[i]) && sub.nparams < IGC_HTTP_MAX_PARAMS)
                sub.params[sub.nparams++] = segs[i];
        for (int i = sub.nparams; i < IGC_HTTP_MAX_PARAMS; i++) sub.params[i] = NULL;
        best->h(best->ud, &sub, res);
    } else if (any_path) {
        /* Allow lists each method of the routes for this path once. */
        char allow[256] = "";
        size_t al = 0;
        int has_get = 0, has_head = 0;
        for (size_t i = 0; i < r->n; i++) {
            const route *rt = &r->routes[i];
            if (!route_matches(rt, segs, nsegs)) continue;
            int dup = 0;
            for (size_t j = 0; j < i && !dup; j++)
                dup = route_matches(&r->routes[j], segs, nsegs) &&
                      strcmp(r->routes[j].method, rt->method) == 0;
            if (dup) continue;
            has_get |= strcmp(rt->method, "GET") == 0;
            has_head |= strcmp(rt->method, "HEAD") == 0;
            size_t ml = strlen(rt->method);
            if (al + ml + 3 < sizeof allow) {
                if (al) {
                    memcpy(allow + al, ", ", 2);
                    al += 2;
                }
                memcpy(allow + al, rt->method, ml + 1);
                al += ml;
            }
        }
        if (has_get && !has_head && al + 7 < sizeof allow) {
            memcpy(allow + al, ", HEAD", 7);
            al += 6;
        }
        igc_http_error(res, 405, "method_not_allowed", "허용되지 않는 메서드입니다", NULL, 0);
        size_t el = strlen(res->extra_headers);
        if (el + al + 10 < sizeof res->extra_headers)
            snprintf(res->extra_headers + el, sizeof res->extra_headers - el, "Allow: %s\r\n", allow);
    } else {
        igc_http_error(res, 404, "not_found", "요청한 경로를 찾을 수 없습니다", NULL, 0);
    }
    free(segs);
    free(copy);
}
