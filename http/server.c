/*
 * HTTP/1.1 server of igc_http: libuv TCP + llhttp parsing, synchronous handlers.
 *
 * Connection life cycle: IDLE (between requests) -> HEADERS (first byte of a
 * request seen) -> BODY (headers complete) -> handler -> IDLE. When the
 * connection is to end (Connection: close, protocol error, refusal) it goes to
 * LINGER: input is discarded, the response is flushed, the write side is shut
 * down and the socket is closed after EOF or a short delay, so clients still
 * read the error instead of a reset. One timer per connection enforces the
 * header, body, idle and linger deadlines; raw reads never extend them.
 */
#define _GNU_SOURCE /* strcasestr */
#include <llhttp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

#define READ_BUF_SIZE 65536
#define WRITE_HIGH_WATER (1u << 20) /* stop parsing pipelined requests while this much output is queued */
#define LINGER_MS 1000
#define LINGER_MAX_BYTES (4u << 20)
#define JSON_TYPE "application/json; charset=utf-8"

enum { ST_IDLE, ST_HEADERS, ST_BODY, ST_LINGER };

typedef struct conn conn;

struct igc_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    igc_http_config cfg;
    igc_http_handler h;
    void *ud;
    llhttp_settings_t settings;
    conn *head;
    int nconns; /* connections in the list */
    int active; /* connections counted against max_connections */
    int live;   /* connections not yet freed */
    int port;
    int stopping, listener_closed;
    igc__guard *guard;
    uv_timer_t tick; /* reports refusals and forgets idle clients each log interval */
    int tick_open;
    char rbuf[READ_BUF_SIZE]; /* shared: libuv hands it to one read callback at a time */
};

struct conn {
    igc_http_server *srv;
    conn *prev, *next;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shut;
    llhttp_t parser;
    int state;
    int handles; /* uv handles not yet closed */
    int closing, reading, read_paused, eof, rejected, shutdown_sent;
    int pending_writes;
    int ready;      /* a complete request waits for dispatch */
    int keep_alive; /* of the request being dispatched */
    int err_status; /* protocol error found by a parser callback */
    int have_method, have_url;
    size_t max_body; /* this request's body limit (body_limit), set when its headers are read */
    size_t hdr_bytes, linger_bytes;
    igc_buf url, hdrs, body;
    char *stash; /* unparsed input kept while output is backed up */
    size_t stash_len;
    double t_start;
    char remote[64];
    char addr[48];         /* the peer address without the port: the client of the limits */
    igc__client *client;   /* NULL when none could be made */
    int client_counted;    /* counted against the client's connection limit */
    igc__refusal refusal;  /* set with err_status by a containment check */
    int retry_after;       /* seconds, for a 429 rate_limited */
    struct igc_http_deferred *deferred; /* the request whose answer the handler deferred */
};

struct igc_http_deferred {
    conn *c; /* NULL once the connection is gone */
    uv_loop_t *loop;
    int keep, head_only, taken;
    double t_start;
    char method[16];
    char logp[256];
};

typedef struct wreq {
    uv_write_t req;
    conn *c;
    char data[];
} wreq;

static void conn_close(conn *c);
static void process(conn *c, const char *data, size_t len);

/* ---- small helpers ---- */

static conn *pconn(llhttp_t *p) { return p->data; }

static void timer_cb(uv_timer_t *t);

static void set_timer(conn *c, unsigned ms) {
    if (c->closing) return;
    uv_timer_stop(&c->timer);
    uv_timer_start(&c->timer, timer_cb, ms ? ms : 1, 0);
}

static void reset_request(conn *c) {
    igc_buf_free(&c->url);
    igc_buf_free(&c->hdrs);
    igc_buf_free(&c->body);
    c->hdr_bytes = 0;
    c->err_status = 0;
    c->refusal.status = 0;
    c->retry_after = 0;
    c->have_method = c->have_url = 0;
    c->ready = 0;
}

static void ensure_reading(conn *c);

static void maybe_free_server(igc_http_server *s) {
    if (s->stopping && s->listener_closed && s->live == 0 && !s->tick_open) {
        igc__guard_free(s->guard);
        free(s);
    }
}

static const struct {
    int status;
    const char *code, *msg;
} proto_errors[] = {
    {400, "bad_request", "잘못된 HTTP 요청입니다"},
    {408, "request_timeout", "요청 시간이 초과되었습니다"},
    {413, "body_too_large", "요청 본문이 너무 큽니다"},
    {431, "headers_too_large", "요청 헤더가 너무 큽니다"},
    {500, "internal_error", "서버 내부 오류입니다"},
    {503, "too_many_connections", "동시 연결이 너무 많습니다. 잠시 후 다시 시도하세요"},
};

static void proto_error_body(igc_http_response *res, int status) {
    size_t i = 0, n = sizeof proto_errors / sizeof proto_errors[0];
    while (i < n - 1 && proto_errors[i].status != status) i++;
    if (proto_errors[i].status != status) i = 0;
    igc_http_error(res, proto_errors[i].status, proto_errors[i].code, proto_errors[i].msg, NULL, 0);
}

/* The raw path (no query) with control bytes masked, for the access log. */
static void log_path(const conn *c, char *out, size_t outsz) {
    const char *raw = c->have_url && c->url.data ? c->url.data : "-";
    size_t o = 0;
    for (const char *p = raw; *p && *p != '?' && *p != '#' && o + 1 < outsz; p++)
        out[o++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    out[o] = '\0';
}

static void access_log(conn *c, const char *method, int status) {
    char path[256];
    log_path(c, path, sizeof path);
    double ms = c->t_start > 0 ? igc_now_ms() - c->t_start : 0.0;
    igc_log(status >= 500 ? IGC_LOG_WARN : IGC_LOG_INFO, "http %s %s %d %.1fms", method ? method : "-",
            path, status, ms);
}

/* ---- writing ---- */

static void start_linger(conn *c);

static void on_write(uv_write_t *req, int status) {
    wreq *w = (wreq *)req;
    conn *c = w->c;
    free(w);
    c->pending_writes--;
    if (c->closing) return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->state == ST_LINGER) {
        if (c->pending_writes == 0) {
            if (c->eof)
                conn_close(c);
            else
                start_linger(c);
        }
        return;
    }
    if (c->pending_writes == 0 && c->state == ST_IDLE) set_timer(c, c->srv->cfg.idle_timeout_ms);
    if (c->read_paused && !c->deferred && c->tcp.write_queue_size < WRITE_HIGH_WATER / 2) {
        c->read_paused = 0;
        char *data = c->stash;
        size_t len = c->stash_len;
        c->stash = NULL;
        c->stash_len = 0;
        if (data) process(c, data, len);
        free(data);
        if (!c->read_paused) ensure_reading(c);
    }
}

static int queue_write(conn *c, const char *a, size_t alen, const char *b, size_t blen) {
    if (c->closing) return IGC_ESTATE;
    wreq *w = malloc(sizeof *w + alen + blen);
    if (!w) return IGC_ENOMEM;
    w->c = c;
    memcpy(w->data, a, alen);
    if (blen) memcpy(w->data + alen, b, blen);
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)(alen + blen));
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write) != 0) {
        free(w);
        return IGC_EIO;
    }
    c->pending_writes++;
    return 0;
}

/* 1 if the handler's extra header lines are well formed: CR and LF only as
 * CRLF pairs, no empty line (which would end the header block early). */
static int extra_ok(const char *x, size_t n) {
    if (n >= 2 && x[0] == '\r' && x[1] == '\n') return 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] == '\r') {
            if (i + 1 >= n || x[i + 1] != '\n') return 0;
            if (i + 3 < n && x[i + 2] == '\r' && x[i + 3] == '\n') return 0;
        } else if (x[i] == '\n' && (i == 0 || x[i - 1] != '\r')) {
            return 0;
        }
    }
    return 1;
}

static int ctype_ok(const char *t) {
    if (!t || !*t || strlen(t) > 200) return 0;
    for (const char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return 0;
    return 1;
}

/* The headers every answer carries. Pages may run only this server's files
 * (no inline script or style, nothing framed or framing); other answers
 * load nothing at all. */
static const char *security_headers(const char *ctype, const char *extra) {
    static const char page[] =
        "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n"
        "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n";
    static const char other[] = "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
                                "Referrer-Policy: no-referrer\r\n";
    static const char nosniff[] = "X-Content-Type-Options: nosniff\r\n";
    static char buf[sizeof page + sizeof nosniff];
    int html = strncasecmp(ctype, "text/html", 9) == 0;
    snprintf(buf, sizeof buf, "%s%s", html ? page : other,
             strcasestr(extra, "x-content-type-options") ? "" : nosniff);
    return buf;
}

static int send_response(conn *c, igc_http_response *res, int head_only, int close) {
    igc_buf h = {0};
    int status = res->status;
    int nobody = status == 204 || status == 304;
    const char *ctype = ctype_ok(res->content_type) ? res->content_type : JSON_TYPE;
    int rc = igc_buf_printf(&h, "HTTP/1.1 %d %s\r\n", status, igc_http_reason(status));
    if (!nobody) rc |= igc_buf_printf(&h, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, res->body.len);
    rc |= igc_buf_puts(&h, close ? "Connection: close\r\n" : "Connection: keep-alive\r\n");
    rc |= igc_buf_puts(&h, security_headers(ctype, res->extra_headers));
    size_t xl = strnlen(res->extra_headers, sizeof res->extra_headers);
    if (xl && xl < sizeof res->extra_headers && extra_ok(res->extra_headers, xl)) {
        rc |= igc_buf_append(&h, res->extra_headers, xl);
        if (xl < 2 || res->extra_headers[xl - 2] != '\r') rc |= igc_buf_puts(&h, "\r\n");
    } else if (xl) {
        igc_log(IGC_LOG_WARN, "http: dropped malformed extra headers of a %d response", status);
    }
    rc |= igc_buf_puts(&h, "\r\n");
    if (!rc) {
        size_t blen = (head_only || nobody) ? 0 : res->body.len;
        rc = queue_write(c, h.data, h.len, res->body.data, blen);
    }
    igc_buf_free(&h);
    return rc;
}

/* Marks the connection to end once its output is flushed. */
static void close_after_write(conn *c) {
    if (c->closing) return;
    c->state = ST_LINGER;
    free(c->stash);
    c->stash = NULL;
    c->stash_len = 0;
    if (c->pending_writes == 0) {
        if (c->eof)
            conn_close(c);
        else
            start_linger(c);
    } else {
        set_timer(c, c->srv->cfg.idle_timeout_ms);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status) {
    (void)req;
    (void)status;
}

static void start_linger(conn *c) {
    if (c->closing) return;
    if (!c->shutdown_sent) {
        c->shutdown_sent = 1;
        if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
            conn_close(c);
            return;
        }
    }
    c->read_paused = 0;
    ensure_reading(c);
    set_timer(c, LINGER_MS);
}

/* Answers a protocol error (or the containment refusal c->refusal) with its
 * JSON body and ends the connection. quiet: no access line (refusals of a
 * flood are counted and logged once per interval instead). */
static void fail_ex(conn *c, int status, int quiet) {
    if (c->closing || c->state == ST_LINGER) return;
    const char *method = c->have_method ? llhttp_method_name(llhttp_get_method(&c->parser)) : NULL;
    igc_http_response res = {.status = status};
    if (c->refusal.status && c->refusal.status == status)
        igc_http_error(&res, status, c->refusal.code, c->refusal.msg, NULL, 0);
    else
        proto_error_body(&res, status);
    if (res.body.len == 0) res.status = 500;
    if (c->retry_after > 0)
        snprintf(res.extra_headers, sizeof res.extra_headers, "Retry-After: %d\r\n", c->retry_after);
    if (!quiet) access_log(c, method, res.status);
    int rc = send_response(c, &res, 0, 1);
    igc_buf_free(&res.body);
    reset_request(c);
    if (rc)
        conn_close(c);
    else
        close_after_write(c);
}

static void fail(conn *c, int status) { fail_ex(c, status, 0); }

/* ---- request dispatch ---- */

/* Splits the request target into a decoded path and the raw query. Returns 0
 * or IGC_EINVAL; *path is malloc'd. */
static int split_target(char *raw, char **path, const char **query) {
    *path = NULL;
    *query = "";
    char *hash = strchr(raw, '#');
    if (hash) *hash = '\0';
    if (strcmp(raw, "*") == 0) {
        *path = igc_strdup("*");
        return *path ? 0 : IGC_ENOMEM;
    }
    if (strncasecmp(raw, "http://", 7) == 0 || strncasecmp(raw, "https://", 8) == 0) {
        char *auth = strstr(raw, "//") + 2;
        char *end = auth + strcspn(auth, "/?");
        if (*end != '/') { /* "http://host" or "http://host?q" */
            *query = *end == '?' ? end + 1 : "";
            *path = igc_strdup("/");
            return *path ? 0 : IGC_ENOMEM;
        }
        raw = end;
    }
    if (raw[0] != '/') return IGC_EINVAL;
    char *q = strchr(raw, '?');
    size_t plen = q ? (size_t)(q - raw) : strlen(raw);
    if (q) *query = q + 1;
    char *p = malloc(plen + 1);
    if (!p) return IGC_ENOMEM;
    size_t dl = 0;
    if (igc_http_url_decode(raw, plen, 0, p, plen + 1, &dl) != 0 || memchr(p, '\0', dl) ||
        !igc_utf8_valid(p, dl)) {
        free(p);
        return IGC_EINVAL;
    }
    /* Reject dot segments outright: no handler has a use for them and they
     * are how decoded paths escape a directory. */
    for (const char *s = p; (s = strstr(s, "/..")) != NULL; s += 3) {
        if (s[3] == '\0' || s[3] == '/') {
            free(p);
            return IGC_EINVAL;
        }
    }
    *path = p;
    return 0;
}

static void dispatch(conn *c) {
    igc_http_server *s = c->srv;
    c->ready = 0;
    c->state = ST_IDLE;
    const char *method = llhttp_method_name(llhttp_get_method(&c->parser));
    int keep = c->keep_alive;
    int head_only = strcmp(method, "HEAD") == 0;

    if (!c->url.data && igc_buf_puts(&c->url, "") != 0) {
        fail(c, 500);
        return;
    }
    char *path = NULL;
    const char *query = "";
    char logp[256]; /* taken before split_target edits the url */
    log_path(c, logp, sizeof logp);
    int rc = split_target(c->url.data, &path, &query);
    if (rc == IGC_ENOMEM) {
        fail(c, 500);
        return;
    }
    igc_http_response res = {.status = 200};
    if (rc) {
        proto_error_body(&res, 400);
    } else {
        const char *ctype = NULL;
        igc_http_request req = {
            .method = method,
            .path = path,
            .query = query,
            .body = c->body.data ? c->body.data : "",
            .body_len = c->body.len,
            .content_type = "",
            .remote = c->remote,
            .headers_ = c->hdrs.data,
            .headers_len_ = c->hdrs.len,
            .conn_ = c,
        };
        ctype = igc_http_header(&req, "content-type");
        if (ctype) req.content_type = ctype;
        s->h(s->ud, &req, &res);
        if (c->deferred && !c->deferred->taken) {
            /* The handler answers later (igc_http_deferred_finish): nothing is
             * written now and the next pipelined request waits. */
            igc_http_deferred *d = c->deferred;
            d->taken = 1;
            d->keep = keep;
            d->head_only = head_only;
            d->t_start = c->t_start;
            snprintf(d->method, sizeof d->method, "%s", method);
            memcpy(d->logp, logp, sizeof d->logp);
            free(path);
            igc_buf_free(&res.body);
            reset_request(c);
            if (!c->closing) {
                uv_timer_stop(&c->timer);
                c->read_paused = 1;
                if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
                c->reading = 0;
            }
            return;
        }
        if (c->closing) { /* the handler stopped the server */
            free(path);
            igc_buf_free(&res.body);
            return;
        }
        if (res.status < 200 || res.status > 599) {
            igc_log(IGC_LOG_ERROR, "http: handler returned invalid status %d for %s %s", res.status,
                    method, logp);
            proto_error_body(&res, 500);
        }
    }
    free(path);
    double ms = igc_now_ms() - c->t_start;
    igc_log(res.status >= 500 ? IGC_LOG_WARN : IGC_LOG_INFO, "http %s %s %d %.1fms", method, logp,
            res.status, ms);
    rc = send_response(c, &res, head_only, !keep);
    igc_buf_free(&res.body);
    reset_request(c);
    if (rc) {
        conn_close(c);
        return;
    }
    if (!keep)
        close_after_write(c);
    else
        set_timer(c, s->cfg.idle_timeout_ms); /* also bounds a client that stops reading */
}

/* ---- deferred answers ---- */

igc_http_deferred *igc_http_defer(const igc_http_request *req) {
    conn *c = req ? req->conn_ : NULL;
    if (!c || c->deferred || c->closing) return NULL;
    igc_http_deferred *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->c = c;
    d->loop = c->srv->loop;
    c->deferred = d;
    return d;
}

uv_loop_t *igc_http_deferred_loop(const igc_http_deferred *d) { return d ? d->loop : NULL; }

void igc_http_deferred_finish(igc_http_deferred *d, igc_http_response *res) {
    if (!d) return;
    conn *c = d->c;
    if (!c || c->closing) { /* the client went away meanwhile */
        if (res) igc_buf_free(&res->body);
        free(d);
        return;
    }
    c->deferred = NULL;
    igc_http_response fallback = {.status = 500};
    if (!res) {
        res = &fallback;
        proto_error_body(res, 500);
    }
    if (res->status < 200 || res->status > 599) proto_error_body(res, 500);
    igc_log(res->status >= 500 ? IGC_LOG_WARN : IGC_LOG_INFO, "http %s %s %d %.1fms", d->method, d->logp,
            res->status, igc_now_ms() - d->t_start);
    int rc = send_response(c, res, d->head_only, !d->keep);
    igc_buf_free(&res->body);
    int keep = d->keep;
    free(d);
    if (rc) {
        conn_close(c);
        return;
    }
    c->state = ST_IDLE;
    if (!keep) {
        close_after_write(c);
        return;
    }
    set_timer(c, c->srv->cfg.idle_timeout_ms);
    /* on_write resumes reading, with any pipelined input kept meanwhile */
}

/* ---- llhttp callbacks ---- */

static int count_header(conn *c, size_t n) {
    c->hdr_bytes += n;
    if (c->hdr_bytes > c->srv->cfg.max_header_bytes) {
        c->err_status = 431;
        return HPE_USER;
    }
    return 0;
}

static int append_or_fail(conn *c, igc_buf *b, const char *at, size_t n) {
    if (igc_buf_append(b, at, n) != 0) {
        c->err_status = 500;
        return HPE_USER;
    }
    return 0;
}

static int on_message_begin(llhttp_t *p) {
    conn *c = pconn(p);
    reset_request(c);
    c->state = ST_HEADERS;
    c->t_start = igc_now_ms();
    set_timer(c, c->srv->cfg.header_timeout_ms);
    return 0;
}

static int on_method(llhttp_t *p, const char *at, size_t n) {
    (void)at;
    return count_header(pconn(p), n + 1);
}

static int on_method_complete(llhttp_t *p) {
    pconn(p)->have_method = 1;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n) {
    conn *c = pconn(p);
    int rc = count_header(c, n);
    return rc ? rc : append_or_fail(c, &c->url, at, n);
}

static int on_url_complete(llhttp_t *p) {
    pconn(p)->have_url = 1;
    return 0;
}

static int on_version(llhttp_t *p, const char *at, size_t n) {
    (void)at;
    return count_header(pconn(p), n + 3);
}

static int on_header_field(llhttp_t *p, const char *at, size_t n) {
    conn *c = pconn(p);
    int rc = count_header(c, n);
    if (rc) return rc;
    size_t old = c->hdrs.len;
    rc = append_or_fail(c, &c->hdrs, at, n);
    if (!rc)
        for (size_t i = old; i < c->hdrs.len; i++)
            if (c->hdrs.data[i] >= 'A' && c->hdrs.data[i] <= 'Z') c->hdrs.data[i] += 'a' - 'A';
    return rc;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n) {
    conn *c = pconn(p);
    int rc = count_header(c, n);
    return rc ? rc : append_or_fail(c, &c->hdrs, at, n);
}

/* Each field and value ends with a NUL in hdrs ("name\0value\0"). */
static int on_header_part_complete(llhttp_t *p) {
    conn *c = pconn(p);
    int rc = count_header(c, 2);
    return rc ? rc : append_or_fail(c, &c->hdrs, "", 1);
}

/* The containment checks on a request's head, before its body is read:
 * 0, or -1 with c->err_status and c->refusal set. */
static int check_head(conn *c, llhttp_t *p) {
    igc_http_server *s = c->srv;
    igc_http_request tmp = {.headers_ = c->hdrs.data, .headers_len_ = c->hdrs.len};
    const char *method = llhttp_method_name(llhttp_get_method(p));
    char *path = NULL, *raw = c->url.data ? igc_strdup(c->url.data) : igc_strdup("");
    const char *query;
    if (!raw) {
        c->err_status = 500;
        return -1;
    }
    int rc = split_target(raw, &path, &query);
    free(raw);
    if (rc) {
        c->err_status = rc == IGC_ENOMEM ? 500 : 400;
        return -1;
    }
    rc = igc__guard_check(s->guard, method, path, igc_http_header(&tmp, "host"), igc_http_header(&tmp, "origin"),
                          igc_http_header(&tmp, "content-type"), p->http_major, p->http_minor, &c->refusal);
    free(path);
    if (rc) {
        c->err_status = c->refusal.status;
        return -1;
    }
    int wait = igc__guard_take_request(s->guard, c->client);
    if (wait) {
        c->refusal = (igc__refusal){429, "rate_limited", "요청이 너무 잦습니다. 잠시 후 다시 시도하세요"};
        c->err_status = 429;
        c->retry_after = wait;
        return -1;
    }
    return 0;
}

/* The body limit of this request: the larger one for the one path configured with it
 * (an upload of a whole taxonomy revision), the server's everywhere else. */
static size_t body_limit(const igc_http_server *s, const conn *c) {
    const char *lp = s->cfg.large_body_path;
    if (!lp || !s->cfg.large_body_bytes || !c->url.data) return s->cfg.max_body_bytes;
    size_t n = strcspn(c->url.data, "?#");
    return strlen(lp) == n && strncmp(c->url.data, lp, n) == 0 ? s->cfg.large_body_bytes : s->cfg.max_body_bytes;
}

static int on_headers_complete(llhttp_t *p) {
    conn *c = pconn(p);
    igc_http_server *s = c->srv;
    if (check_head(c, p)) return -1;
    c->max_body = body_limit(s, c);
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > c->max_body) {
        c->err_status = 413;
        return -1;
    }
    c->state = ST_BODY;
    set_timer(c, s->cfg.body_timeout_ms);
    igc_http_request tmp = {.headers_ = c->hdrs.data, .headers_len_ = c->hdrs.len};
    const char *expect = igc_http_header(&tmp, "expect");
    if (expect && strcasecmp(expect, "100-continue") == 0 && p->http_major == 1 && p->http_minor >= 1 &&
        ((p->flags & F_CHUNKED) || ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0))) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (queue_write(c, cont, sizeof cont - 1, NULL, 0) != 0) {
            c->err_status = 500;
            return -1;
        }
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n) {
    conn *c = pconn(p);
    if (c->body.len + n > (c->max_body ? c->max_body : c->srv->cfg.max_body_bytes)) {
        c->err_status = 413;
        return HPE_USER;
    }
    return append_or_fail(c, &c->body, at, n);
}

/* A chunk larger than what the body may still take is refused at its header,
 * not after waiting for its bytes. */
static int on_chunk_header(llhttp_t *p) {
    conn *c = pconn(p);
    size_t lim = c->max_body ? c->max_body : c->srv->cfg.max_body_bytes;
    if (c->body.len > lim || p->content_length > lim - c->body.len) {
        c->err_status = 413;
        return HPE_USER;
    }
    return 0;
}

static int on_message_complete(llhttp_t *p) {
    conn *c = pconn(p);
    c->keep_alive = llhttp_should_keep_alive(p) && !llhttp_get_upgrade(p);
    c->ready = 1;
    /* Pause so the request is answered before the next pipelined one is parsed. */
    return HPE_PAUSED;
}

/* ---- reading ---- */

static void process(conn *c, const char *data, size_t len) {
    while (len > 0) {
        if (c->closing || c->state == ST_LINGER) return;
        llhttp_errno_t err = llhttp_execute(&c->parser, data, len);
        if (err == HPE_OK) return;
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            const char *pos = llhttp_get_error_pos(&c->parser);
            size_t used = (pos && pos >= data && pos <= data + len) ? (size_t)(pos - data) : len;
            data += used;
            len -= used;
            if (err == HPE_PAUSED) llhttp_resume(&c->parser);
            if (c->ready) dispatch(c);
            if (c->deferred && !c->closing) {
                if (len) { /* kept until the deferred answer is written */
                    char *rest = malloc(c->stash_len + len);
                    if (!rest) {
                        conn_close(c);
                        return;
                    }
                    if (c->stash_len) memcpy(rest, c->stash, c->stash_len);
                    memcpy(rest + c->stash_len, data, len);
                    free(c->stash);
                    c->stash = rest;
                    c->stash_len += len;
                }
                return;
            }
            if (err == HPE_PAUSED_UPGRADE) {
                close_after_write(c); /* no protocol upgrades here */
                return;
            }
            if (len && !c->closing && c->state != ST_LINGER && c->tcp.write_queue_size > WRITE_HIGH_WATER) {
                c->stash = malloc(len);
                if (!c->stash) {
                    conn_close(c);
                    return;
                }
                memcpy(c->stash, data, len);
                c->stash_len = len;
                c->read_paused = 1;
                igc_log(IGC_LOG_DEBUG, "http: output backed up, pausing input");
                if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
                c->reading = 0;
                return;
            }
            continue;
        }
        if (c->err_status == 429 && c->client) {
            igc__guard_note_refusal(c->srv->guard, c->client, 'r');
            fail_ex(c, 429, 1);
        } else {
            fail(c, c->err_status ? c->err_status : 400);
        }
        return;
    }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    conn *c = h->data;
    buf->base = c->srv->rbuf;
    buf->len = sizeof c->srv->rbuf;
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
    conn *c = st->data;
    if (c->closing) return;
    if (nread < 0) {
        /* EOF or reset: a half-closed client may still read pending output. */
        c->eof = 1;
        uv_read_stop(st);
        c->reading = 0;
        if (nread == UV_EOF && c->pending_writes > 0) {
            if (c->state != ST_LINGER) {
                c->state = ST_LINGER;
                set_timer(c, c->srv->cfg.idle_timeout_ms);
            }
            return;
        }
        conn_close(c);
        return;
    }
    if (nread == 0) return;
    if (c->state == ST_LINGER) {
        c->linger_bytes += (size_t)nread;
        if (c->linger_bytes > LINGER_MAX_BYTES) conn_close(c);
        return;
    }
    process(c, buf->base, (size_t)nread);
}

static void ensure_reading(conn *c) {
    if (c->closing || c->reading || c->eof) return;
    if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) == 0) c->reading = 1;
}

static void timer_cb(uv_timer_t *t) {
    conn *c = t->data;
    switch (c->state) {
    case ST_HEADERS:
    case ST_BODY:
        fail(c, 408);
        break;
    default: /* idle keep-alive, stalled writer, or linger over */
        conn_close(c);
        break;
    }
}

/* ---- connection management ---- */

static void on_conn_closed(uv_handle_t *h) {
    conn *c = h->data;
    if (--c->handles > 0) return;
    igc_http_server *s = c->srv;
    reset_request(c);
    free(c->stash);
    free(c);
    s->live--;
    maybe_free_server(s);
}

static void conn_close(conn *c) {
    if (c->closing) return;
    igc_http_server *s = c->srv;
    c->closing = 1;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->head = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    s->nconns--;
    if (!c->rejected) s->active--;
    if (c->deferred) {
        c->deferred->c = NULL;
        c->deferred = NULL;
    }
    if (c->client_counted) igc__guard_conn_closed(s->guard, c->client);
    c->client_counted = 0;
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void format_peer(conn *c) {
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    strcpy(c->remote, "?");
    strcpy(c->addr, "?");
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) return;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        snprintf(c->remote, sizeof c->remote, "[%s]:%d", ip, port);
        snprintf(c->addr, sizeof c->addr, "%s", ip);
    } else if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        uv_ip4_name(a, ip, sizeof ip);
        port = ntohs(a->sin_port);
        snprintf(c->remote, sizeof c->remote, "%s:%d", ip, port);
        snprintf(c->addr, sizeof c->addr, "%s", ip);
    }
}

static void on_connection(uv_stream_t *ls, int status) {
    igc_http_server *s = ls->data;
    if (status < 0) {
        igc_log(IGC_LOG_WARN, "http: accept failed: %s", uv_strerror(status));
        return;
    }
    if (s->stopping) return;
    conn *c = calloc(1, sizeof *c);
    if (!c) return;
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    c->next = s->head;
    if (s->head) s->head->prev = c;
    s->head = c;
    s->nconns++;
    s->live++;
    s->active++;
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    format_peer(c);
    llhttp_init(&c->parser, HTTP_REQUEST, &s->settings);
    c->parser.data = c;
    c->state = ST_IDLE;
    if (s->active > s->cfg.max_connections) {
        c->rejected = 1;
        s->active--;
        igc__guard_note_refusal(s->guard, NULL, 'c');
        fail_ex(c, 503, 1);
        return;
    }
    c->client = igc__guard_client(s->guard, c->addr);
    if (c->client) {
        if (!igc__guard_conn_open(s->guard, c->client)) {
            c->rejected = 1;
            s->active--;
            igc__guard_note_refusal(s->guard, c->client, 'c');
            c->refusal = (igc__refusal){429, "client_connection_limit",
                                        "이 주소에서 연 동시 연결이 너무 많습니다. 잠시 후 다시 시도하세요"};
            fail_ex(c, 429, 1);
            return;
        }
        c->client_counted = 1;
    }
    /* A fresh connection gets the header deadline to send its first byte. */
    unsigned first = s->cfg.header_timeout_ms < s->cfg.idle_timeout_ms ? s->cfg.header_timeout_ms
                                                                        : s->cfg.idle_timeout_ms;
    set_timer(c, first);
    ensure_reading(c);
}

/* ---- server ---- */

static int parse_listen(const char *spec, struct sockaddr_storage *ss) {
    char host[128];
    const char *port_s;
    memset(ss, 0, sizeof *ss);
    if (!spec || !*spec) spec = "127.0.0.1:8080";
    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof host) return IGC_EINVAL;
        memcpy(host, spec + 1, (size_t)(rb - spec - 1));
        host[rb - spec - 1] = '\0';
        port_s = rb + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon) {
            strcpy(host, "127.0.0.1");
            port_s = spec;
        } else {
            if ((size_t)(colon - spec) >= sizeof host) return IGC_EINVAL;
            memcpy(host, spec, (size_t)(colon - spec));
            host[colon - spec] = '\0';
            port_s = colon + 1;
        }
        if (!host[0]) strcpy(host, "0.0.0.0");
        if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
    }
    if (!*port_s || strlen(port_s) > 5) return IGC_EINVAL;
    long port = 0;
    for (const char *p = port_s; *p; p++) {
        if (*p < '0' || *p > '9') return IGC_EINVAL;
        port = port * 10 + (*p - '0');
    }
    if (port > 65535) return IGC_EINVAL;
    if (strchr(host, ':')) {
        if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) != 0) return IGC_EINVAL;
    } else if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) != 0) {
        return IGC_EINVAL;
    }
    return 0;
}

static void on_tick(uv_timer_t *t) {
    igc_http_server *s = t->data;
    igc__guard_tick(s->guard);
}

static void on_tick_closed(uv_handle_t *h) {
    igc_http_server *s = h->data;
    s->tick_open = 0;
    maybe_free_server(s);
}

static void on_listener_closed(uv_handle_t *h) {
    igc_http_server *s = h->data;
    s->listener_closed = 1;
    maybe_free_server(s);
}

int igc_http_server_start(uv_loop_t *loop, const igc_http_config *cfg, igc_http_handler h, void *ud,
                          igc_http_server **out) {
    if (out) *out = NULL;
    if (!loop || !h || !out) return IGC_EINVAL;
    struct sockaddr_storage addr;
    if (parse_listen(cfg ? cfg->listen : NULL, &addr) != 0) {
        igc_log(IGC_LOG_ERROR, "http: invalid listen address");
        return IGC_EINVAL;
    }
    /* libuv writes with write(2): a peer that resets the connection would
     * otherwise kill the process with SIGPIPE. A handler someone installed is kept. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
    igc_http_server *s = calloc(1, sizeof *s);
    if (!s) return IGC_ENOMEM;
    if (cfg) s->cfg = *cfg;
    s->cfg.listen = NULL; /* not kept: the caller owns the string */
    if (!s->cfg.max_header_bytes) s->cfg.max_header_bytes = 16 * 1024;
    if (!s->cfg.max_body_bytes) s->cfg.max_body_bytes = 256 * 1024;
    if (!s->cfg.header_timeout_ms) s->cfg.header_timeout_ms = 10000;
    if (!s->cfg.body_timeout_ms) s->cfg.body_timeout_ms = 30000;
    if (!s->cfg.idle_timeout_ms) s->cfg.idle_timeout_ms = 60000;
    if (s->cfg.max_connections <= 0) s->cfg.max_connections = 256;
    if (s->cfg.max_conn_per_client <= 0) s->cfg.max_conn_per_client = 64;
    if (s->cfg.rate_per_client == 0) s->cfg.rate_per_client = 100;
    if (!s->cfg.rate_burst) s->cfg.rate_burst = 400;
    if (!s->cfg.log_interval_ms) s->cfg.log_interval_ms = 60000;
    s->loop = loop;
    s->h = h;
    s->ud = ud;
    llhttp_settings_init(&s->settings);
    s->settings.on_message_begin = on_message_begin;
    s->settings.on_method = on_method;
    s->settings.on_method_complete = on_method_complete;
    s->settings.on_url = on_url;
    s->settings.on_url_complete = on_url_complete;
    s->settings.on_version = on_version;
    s->settings.on_header_field = on_header_field;
    s->settings.on_header_field_complete = on_header_part_complete;
    s->settings.on_header_value = on_header_value;
    s->settings.on_header_value_complete = on_header_part_complete;
    s->settings.on_headers_complete = on_headers_complete;
    s->settings.on_body = on_body;
    s->settings.on_chunk_header = on_chunk_header;
    s->settings.on_message_complete = on_message_complete;

    int rc = uv_tcp_init(loop, &s->listener);
    if (rc) {
        free(s);
        return IGC_EIO;
    }
    s->listener.data = s;
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (!rc) rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
    if (rc) {
        igc_log(IGC_LOG_ERROR, "http: cannot listen: %s", uv_strerror(rc));
        s->stopping = 1;
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
        /* the usual cause, another server on the port, deserves its own answer */
        return rc == UV_EADDRINUSE ? IGC_EEXIST : IGC_EIO;
    }
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen) == 0)
        s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
    igc_http_config gc = s->cfg;
    gc.hostnames = cfg ? cfg->hostnames : NULL;
    if (igc__guard_new(&gc, (const struct sockaddr *)&addr, s->port, &s->guard) != 0) {
        s->stopping = 1;
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
        return IGC_ENOMEM;
    }
    uv_timer_init(loop, &s->tick);
    s->tick.data = s;
    s->tick_open = 1;
    uv_timer_start(&s->tick, on_tick, s->cfg.log_interval_ms, s->cfg.log_interval_ms);
    uv_unref((uv_handle_t *)&s->tick); /* never what keeps a loop running */
    *out = s;
    return 0;
}

int igc_http_server_port(const igc_http_server *s) { return s ? s->port : 0; }

int igc_http_server_connections(const igc_http_server *s) { return s ? s->nconns : 0; }

void igc_http_server_stop(igc_http_server *s) {
    if (!s || s->stopping) return;
    s->stopping = 1;
    if (s->tick_open) uv_close((uv_handle_t *)&s->tick, on_tick_closed);
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    while (s->head) conn_close(s->head);
}
