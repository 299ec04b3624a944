/*
 * Tests of igc_http: helpers and router as units, then the server over real
 * sockets. The server's loop runs on its own thread; the test is the client,
 * written with plain blocking sockets.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "igc_http.h"
#include "igc_test.h"

/* ---- fixture: a server with a router on a loop thread ---- */

typedef struct fixture {
    uv_loop_t loop;
    uv_async_t stop;
    uv_thread_t th;
    igc_http_server *srv;
    igc_http_router *router;
    int port;
} fixture;

static void h_hello(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    (void)req;
    igc_buf_puts(&res->body, "{\"hello\":\"world\"}");
}

static void h_item(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    igc_buf_puts(&res->body, "{\"code\":");
    igc_http_json_str(&res->body, req->params[0]);
    igc_buf_printf(&res->body, ",\"nparams\":%d}", req->nparams);
}

static void h_item_judgment(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    igc_buf_puts(&res->body, "{\"code\":");
    igc_http_json_str(&res->body, req->params[0]);
    igc_buf_puts(&res->body, ",\"id\":");
    igc_http_json_str(&res->body, req->params[1]);
    igc_buf_puts(&res->body, "}");
}

static void h_search(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    igc_buf_printf(&res->body, "{\"search\":true,\"nparams\":%d}", req->nparams);
}

static void h_delete(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    (void)req;
    res->status = 204;
}

static void h_echo(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    res->content_type = "text/plain; charset=utf-8";
    igc_buf_append(&res->body, req->body, req->body_len);
    const char *x = igc_http_header(req, "X-Test");
    snprintf(res->extra_headers, sizeof res->extra_headers, "X-In-Type: %s\r\nX-In-Test: %s",
             req->content_type, x ? x : "(none)");
}

static void h_query(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    char name[128];
    int rc = igc_http_query_param(req->query, "name", name, sizeof name);
    res->extra_headers[0] = '\0';
    strcat(res->extra_headers, "Cache-Control: no-store\r\n");
    igc_buf_printf(&res->body, "{\"rc\":%d,\"name\":", rc);
    igc_http_json_str(&res->body, rc == 0 ? name : "");
    igc_buf_puts(&res->body, "}");
}

/* 64 KiB body that starts with the {id} segment. */
static void h_big(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    res->content_type = "text/plain";
    igc_buf_printf(&res->body, "%s;", req->params[0]);
    while (res->body.len < 64 * 1024) igc_buf_puts(&res->body, "0123456789abcdef");
}

static void h_page(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    (void)req;
    res->content_type = "text/html; charset=utf-8";
    igc_buf_puts(&res->body, "<!doctype html><title>t</title>");
}

static void h_bad_status(void *ud, const igc_http_request *req, igc_http_response *res) {
    (void)ud;
    (void)req;
    res->status = 42;
}

static void on_stop(uv_async_t *a) {
    fixture *f = a->data;
    igc_http_server_stop(f->srv);
    uv_close((uv_handle_t *)&f->stop, NULL);
}

static void loop_thread(void *arg) {
    fixture *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

static int fixture_start(fixture *f, const igc_http_config *cfg_in) {
    memset(f, 0, sizeof *f);
    igc_http_config cfg = {0};
    if (cfg_in) cfg = *cfg_in;
    cfg.listen = "127.0.0.1:0";
    if (!cfg.hostnames) cfg.hostnames = "x"; /* the name these tests send */
    if (uv_loop_init(&f->loop) != 0) return -1;
    if (igc_http_router_new(&f->router) != 0) return -1;
    int rc = 0;
    rc |= igc_http_router_add(f->router, "GET", "/hello", h_hello, NULL);
    rc |= igc_http_router_add(f->router, "GET", "/items/{code}", h_item, NULL);
    rc |= igc_http_router_add(f->router, "GET", "/items/search", h_search, NULL);
    rc |= igc_http_router_add(f->router, "DELETE", "/items/{code}", h_delete, NULL);
    rc |= igc_http_router_add(f->router, "GET", "/items/{code}/judgments/{id}", h_item_judgment, NULL);
    rc |= igc_http_router_add(f->router, "POST", "/echo", h_echo, NULL);
    rc |= igc_http_router_add(f->router, "GET", "/q", h_query, NULL);
    rc |= igc_http_router_add(f->router, "GET", "/bad", h_bad_status, NULL);
    rc |= igc_http_router_add(f->router, "GET", "/big/{id}", h_big, NULL);
    rc |= igc_http_router_add(f->router, "POST", "/api/x", h_echo, NULL);
    rc |= igc_http_router_add(f->router, "GET", "/page", h_page, NULL);
    if (rc) return -1;
    if (igc_http_server_start(&f->loop, &cfg, igc_http_router_dispatch, f->router, &f->srv) != 0) return -1;
    f->port = igc_http_server_port(f->srv);
    uv_async_init(&f->loop, &f->stop, on_stop);
    f->stop.data = f;
    return uv_thread_create(&f->th, loop_thread, f) == 0 ? 0 : -1;
}

/* Stops the server from its own thread; returns uv_loop_close()'s result,
 * which is non-zero when a handle was left open. */
static int fixture_stop(fixture *f) {
    uv_async_send(&f->stop);
    uv_thread_join(&f->th);
    int rc = uv_loop_close(&f->loop);
    igc_http_router_free(f->router);
    return rc;
}

/* ---- a blocking client ---- */

typedef struct client {
    int fd;
    size_t len;
    char buf[1 << 18];
} client;

typedef struct resp {
    int status;
    char head[8192]; /* status line and headers */
    char *body;
    size_t body_len;
} resp;

static client *cli_open(int port) {
    client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (c->fd >= 0) close(c->fd);
        free(c);
        return NULL;
    }
    return c;
}

/* A connection from another loopback address (127.0.0.x): another client. */
static client *cli_open_from(int port, const char *src) {
    client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in b = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &b.sin_addr);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&b, sizeof b) != 0 ||
        connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (c->fd >= 0) close(c->fd);
        free(c);
        return NULL;
    }
    return c;
}

static void cli_close(client *c) {
    if (!c) return;
    close(c->fd);
    free(c);
}

static int cli_send(client *c, const void *p, size_t n) {
    const char *s = p;
    while (n) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int cli_sends(client *c, const char *s) { return cli_send(c, s, strlen(s)); }

/* Reads more bytes; returns the count, 0 at EOF, -1 on error or timeout. */
static ssize_t cli_fill(client *c) {
    if (c->len == sizeof c->buf) return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n > 0) c->len += (size_t)n;
    return n < 0 ? -1 : n;
}

static void resp_free(resp *r) {
    free(r->body);
    r->body = NULL;
}

/* Value of a response header (first match, case-insensitive) into out. */
static const char *resp_header(const resp *r, const char *name, char *out, size_t outsz) {
    size_t nl = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p && p[2]) {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ') v++;
            const char *e = strstr(v, "\r\n");
            size_t l = e ? (size_t)(e - v) : strlen(v);
            if (l >= outsz) l = outsz - 1;
            memcpy(out, v, l);
            out[l] = '\0';
            return out;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

static char *find_crlf2(char *p, size_t n) {
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(p + i, "\r\n\r\n", 4) == 0) return p + i;
    return NULL;
}

/* Reads one response (Content-Length framed, or headers only for 1xx/204 and
 * HEAD when head_req). Returns the status or -1. */
static int cli_read_resp_x(client *c, resp *r, int head_req) {
    memset(r, 0, sizeof *r);
    r->status = -1;
    char *end;
    for (;;) {
        end = find_crlf2(c->buf, c->len);
        if (end) break;
        if (cli_fill(c) <= 0) return -1;
    }
    size_t hl = (size_t)(end - c->buf) + 4;
    if (hl >= sizeof r->head) return -1;
    memcpy(r->head, c->buf, hl);
    r->head[hl] = '\0';
    if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1) return -1;
    char v[64];
    size_t blen = 0;
    if (!head_req && r->status >= 200 && r->status != 204 && r->status != 304 &&
        resp_header(r, "Content-Length", v, sizeof v))
        blen = (size_t)strtoul(v, NULL, 10);
    while (c->len < hl + blen)
        if (cli_fill(c) <= 0) return -1;
    r->body = malloc(blen + 1);
    memcpy(r->body, c->buf + hl, blen);
    r->body[blen] = '\0';
    r->body_len = blen;
    memmove(c->buf, c->buf + hl + blen, c->len - hl - blen);
    c->len -= hl + blen;
    return r->status;
}

static int cli_read_resp(client *c, resp *r) { return cli_read_resp_x(c, r, 0); }

/* 1 when the server closes the connection (EOF or reset) with no further data. */
static int cli_closed(client *c) {
    char b[256];
    ssize_t n = recv(c->fd, b, sizeof b, 0);
    if (n == 0) return 1;
    return n < 0 && (errno == ECONNRESET || errno == EPIPE);
}

/* One request on a fresh connection; returns the status. */
static int one_shot(int port, const char *raw, resp *r) {
    client *c = cli_open(port);
    if (!c) return -1;
    int st = cli_sends(c, raw) == 0 ? cli_read_resp(c, r) : -1;
    cli_close(c);
    return st;
}

/* The "code" of a JSON error body, into out. */
static const char *err_code(const resp *r, char *out, size_t outsz) {
    out[0] = '\0';
    cJSON *j = cJSON_Parse(r->body ? r->body : "");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(code) && cJSON_IsString(msg) && msg->valuestring[0])
        snprintf(out, outsz, "%s", code->valuestring);
    cJSON_Delete(j);
    return out;
}

static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

/* ---- unit tests ---- */

TEST(query_param_decoding) {
    char out[64];
    CHECK_EQ_INT(igc_http_query_param("name=%EA%B0%80%EB%82%98&x=1", "name", out, sizeof out), 0);
    CHECK_EQ_STR(out, "가나");
    CHECK_EQ_INT(igc_http_query_param("x=1&q=a+b%2Bc%20d", "q", out, sizeof out), 0);
    CHECK_EQ_STR(out, "a b+c d");
    CHECK_EQ_INT(igc_http_query_param("x=1&q=2", "missing", out, sizeof out), IGC_ENOTFOUND);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(igc_http_query_param("", "x", out, sizeof out), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_http_query_param("aname=1&nam=2", "name", out, sizeof out), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_http_query_param("flag&x=2", "flag", out, sizeof out), 0);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(igc_http_query_param("a=&b=2", "a", out, sizeof out), 0);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(igc_http_query_param("a=1&a=2", "a", out, sizeof out), 0);
    CHECK_EQ_STR(out, "1");
    CHECK_EQ_INT(igc_http_query_param("n%61me=v", "name", out, sizeof out), 0);
    CHECK_EQ_STR(out, "v");
    CHECK_EQ_INT(igc_http_query_param("a=%G1", "a", out, sizeof out), IGC_EINVAL);
    CHECK_EQ_INT(igc_http_query_param("a=%E", "a", out, sizeof out), IGC_EINVAL);
    CHECK_EQ_INT(igc_http_query_param("a=x%00y", "a", out, sizeof out), IGC_EINVAL);
    CHECK_EQ_INT(igc_http_query_param("a=%FF", "a", out, sizeof out), IGC_EUTF8);
    char small[4];
    CHECK_EQ_INT(igc_http_query_param("a=%EA%B0%80%EA%B0%80", "a", small, sizeof small), IGC_ETOOBIG);
    CHECK_EQ_STR(small, "");
    CHECK_EQ_INT(igc_http_query_param("a=abc", "a", small, sizeof small), 0);
    CHECK_EQ_STR(small, "abc");
}

TEST(error_body_json) {
    igc_http_response res = {.status = 200};
    igc_buf_puts(&res.body, "old content");
    const char *fields[] = {"brn", "name \"x\""};
    igc_http_error(&res, 422, "invalid_input", "입력값이 올바르지 않습니다", fields, 2);
    CHECK_EQ_INT(res.status, 422);
    cJSON *j = cJSON_Parse(res.body.data);
    REQUIRE(j != NULL);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code")), "invalid_input");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message")),
                 "입력값이 올바르지 않습니다");
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(e, "fields");
    CHECK_EQ_INT(cJSON_GetArraySize(fl), 2);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetArrayItem(fl, 1)), "name \"x\"");
    cJSON_Delete(j);
    igc_http_error(&res, 404, "not_found", "없음", NULL, 0);
    CHECK_EQ_STR(res.body.data, "{\"error\":{\"code\":\"not_found\",\"message\":\"없음\",\"fields\":[]}}");
    igc_buf_free(&res.body);

    igc_buf b = {0};
    igc_http_json_str(&b, "a\"b\\c\n\x01가");
    CHECK_EQ_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001가\"");
    igc_buf_free(&b);
}

static void dispatch_to(igc_http_router *r, const char *method, const char *path, igc_http_response *res) {
    igc_http_request req = {.method = method, .path = path, .query = "", .body = "", .content_type = "",
                            .remote = "test"};
    memset(res, 0, sizeof *res);
    res->status = 200;
    igc_http_router_dispatch(r, &req, res);
}

TEST(router_unit) {
    igc_http_router *r = NULL;
    REQUIRE(igc_http_router_new(&r) == 0);
    CHECK_EQ_INT(igc_http_router_add(r, "GET", "/items/{code}", h_item, NULL), 0);
    CHECK_EQ_INT(igc_http_router_add(r, "GET", "/items/search", h_search, NULL), 0);
    CHECK_EQ_INT(igc_http_router_add(r, "DELETE", "/items/{code}", h_delete, NULL), 0);
    CHECK_EQ_INT(igc_http_router_add(r, "GET", "/a/{b}/c/{d}", h_item_judgment, NULL), 0);
    CHECK_EQ_INT(igc_http_router_add(r, "GET", "/", h_hello, NULL), 0);
    CHECK_EQ_INT(igc_http_router_add(r, "GET", "no-slash", h_hello, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_http_router_add(r, "GET", "/{a}/{b}/{c}/{d}/{e}", h_hello, NULL), IGC_EINVAL);
    CHECK_EQ_INT(igc_http_router_add(r, "GET", "/x{a}", h_hello, NULL), IGC_EINVAL);

    igc_http_response res;
    dispatch_to(r, "GET", "/items/ABC", &res);
    CHECK_EQ_INT(res.status, 200);
    CHECK_EQ_STR(res.body.data, "{\"code\":\"ABC\",\"nparams\":1}");
    igc_buf_free(&res.body);

    /* The literal route wins over the {code} one registered before it. */
    dispatch_to(r, "GET", "/items/search", &res);
    CHECK_EQ_STR(res.body.data, "{\"search\":true,\"nparams\":0}");
    igc_buf_free(&res.body);

    dispatch_to(r, "GET", "/a/x/c/y", &res);
    CHECK_EQ_STR(res.body.data, "{\"code\":\"x\",\"id\":\"y\"}");
    igc_buf_free(&res.body);

    dispatch_to(r, "HEAD", "/items/ABC", &res);
    CHECK_EQ_INT(res.status, 200);
    igc_buf_free(&res.body);

    dispatch_to(r, "GET", "/", &res);
    CHECK_EQ_STR(res.body.data, "{\"hello\":\"world\"}");
    igc_buf_free(&res.body);

    const char *notfound[] = {"/items", "/items/", "/items/a/b", "/a/x/c/", "/a//c/y", "/nope", ""};
    for (size_t i = 0; i < sizeof notfound / sizeof notfound[0]; i++) {
        dispatch_to(r, "GET", notfound[i], &res);
        CHECK_EQ_INT(res.status, 404);
        CHECK(strstr(res.body.data, "\"not_found\"") != NULL);
        igc_buf_free(&res.body);
    }

    dispatch_to(r, "POST", "/items/ABC", &res);
    CHECK_EQ_INT(res.status, 405);
    CHECK(strstr(res.body.data, "\"method_not_allowed\"") != NULL);
    CHECK_EQ_STR(res.extra_headers, "Allow: GET, DELETE, HEAD\r\n");
    igc_buf_free(&res.body);
    igc_http_router_free(r);
}

TEST(url_decode_and_header_lookup) {
    char out[16];
    size_t n = 0;
    CHECK_EQ_INT(igc_http_url_decode("/a%20b+c", 8, 0, out, sizeof out, &n), 0);
    CHECK_EQ_STR(out, "/a b+c");
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_INT(igc_http_url_decode("%4", 2, 0, out, sizeof out, &n), IGC_EINVAL);
    CHECK_EQ_INT(igc_http_url_decode("0123456789abcdefg", 17, 0, out, sizeof out, &n), IGC_ETOOBIG);
    static const char hdrs[] = "content-type\0text/plain\0x-a\0\0";
    igc_http_request req = {.headers_ = hdrs, .headers_len_ = sizeof hdrs - 1};
    CHECK_EQ_STR(igc_http_header(&req, "Content-Type"), "text/plain");
    CHECK_EQ_STR(igc_http_header(&req, "X-A"), "");
    CHECK(igc_http_header(&req, "x-b") == NULL);
}

/* ---- server tests ---- */

TEST(start_errors) {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    igc_http_server *s = NULL, *s2 = NULL;
    igc_http_config cfg = {.listen = "not-an-address:x"};
    CHECK_EQ_INT(igc_http_server_start(&loop, &cfg, h_hello, NULL, &s), IGC_EINVAL);
    cfg.listen = "127.0.0.1:70000";
    CHECK_EQ_INT(igc_http_server_start(&loop, &cfg, h_hello, NULL, &s), IGC_EINVAL);
    cfg.listen = "127.0.0.1:0";
    REQUIRE(igc_http_server_start(&loop, &cfg, h_hello, NULL, &s) == 0);
    int port = igc_http_server_port(s);
    CHECK(port > 0);
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
    cfg.listen = spec;
    CHECK_EQ_INT(igc_http_server_start(&loop, &cfg, h_hello, NULL, &s2), IGC_EEXIST); /* the port is taken: its own code */
    CHECK(s2 == NULL);
    igc_http_server_stop(s);
    igc_http_server_stop(NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(get_200) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    resp r;
    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    CHECK_EQ_STR(r.body, "{\"hello\":\"world\"}");
    char v[128];
    CHECK_EQ_STR(resp_header(&r, "Content-Type", v, sizeof v), "application/json; charset=utf-8");
    CHECK_EQ_STR(resp_header(&r, "Content-Length", v, sizeof v), "17");
    resp_free(&r);

    /* Query string is split off the path and passed raw; a handler decodes it. */
    CHECK_EQ_INT(one_shot(f.port, "GET /q?x=1&name=%EA%B0%80+%EB%82%98 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    CHECK_EQ_STR(r.body, "{\"rc\":0,\"name\":\"가 나\"}");
    CHECK_EQ_STR(resp_header(&r, "Cache-Control", v, sizeof v), "no-store");
    resp_free(&r);

    /* HEAD: headers with the GET length, no body (the next response parses cleanly). */
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp_x(c, &r, 1), 200);
    CHECK_EQ_STR(resp_header(&r, "Content-Length", v, sizeof v), "17");
    resp_free(&r);
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(r.body, "{\"hello\":\"world\"}");
    resp_free(&r);
    cli_close(c);

    /* Absolute-form target. */
    CHECK_EQ_INT(one_shot(f.port, "GET http://example.com/items/Z?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    CHECK_EQ_STR(r.body, "{\"code\":\"Z\",\"nparams\":1}");
    resp_free(&r);

    CHECK_EQ_INT(one_shot(f.port, "GET http://example.com?name=a/b HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    resp_free(&r);

    /* A handler that returns a nonsense status becomes a 500 JSON error. */
    CHECK_EQ_INT(one_shot(f.port, "GET /bad HTTP/1.1\r\nHost: x\r\n\r\n", &r), 500);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "internal_error");
    resp_free(&r);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

TEST(router_params_404_405) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    resp r;
    char v[128];
    CHECK_EQ_INT(one_shot(f.port, "GET /items/%EA%B0%80%20A/judgments/7 HTTP/1.1\r\nHost: x\r\n\r\n", &r),
                 200);
    CHECK_EQ_STR(r.body, "{\"code\":\"가 A\",\"id\":\"7\"}");
    resp_free(&r);
    CHECK_EQ_INT(one_shot(f.port, "GET /items/search HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    CHECK_EQ_STR(r.body, "{\"search\":true,\"nparams\":0}");
    resp_free(&r);
    CHECK_EQ_INT(one_shot(f.port, "DELETE /items/X1 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 204);
    CHECK(resp_header(&r, "Content-Length", v, sizeof v) == NULL);
    resp_free(&r);

    CHECK_EQ_INT(one_shot(f.port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "not_found");
    resp_free(&r);
    CHECK_EQ_INT(one_shot(f.port, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", &r), 405);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "method_not_allowed");
    CHECK_EQ_STR(resp_header(&r, "Allow", v, sizeof v), "GET, HEAD");
    resp_free(&r);
    CHECK_EQ_INT(one_shot(f.port, "PUT /items/X HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", &r), 405);
    CHECK_EQ_STR(resp_header(&r, "Allow", v, sizeof v), "GET, DELETE, HEAD");
    resp_free(&r);

    /* Bad escapes, NUL bytes, invalid UTF-8 and dot segments in the path are 400s. */
    const char *bad[] = {"/items/%zz", "/items/a%00b", "/items/%FF", "/items/../hello", "/items/%2e%2e/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char req[256];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", bad[i]);
        CHECK_EQ_INT(one_shot(f.port, req, &r), 400);
        CHECK_EQ_STR(err_code(&r, v, sizeof v), "bad_request");
        resp_free(&r);
    }
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

TEST(keep_alive_and_pipelining) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    resp r;
    char v[64];
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(resp_header(&r, "Connection", v, sizeof v), "keep-alive");
    resp_free(&r);
    cli_sends(c, "GET /items/B2 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(r.body, "{\"code\":\"B2\",\"nparams\":1}");
    resp_free(&r);

    /* Three pipelined requests in one write come back in order. */
    cli_sends(c, "GET /items/P1 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                 "GET /items/P3 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(r.body, "{\"code\":\"P1\",\"nparams\":1}");
    resp_free(&r);
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(r.body, "abc");
    resp_free(&r);
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(r.body, "{\"code\":\"P3\",\"nparams\":1}");
    resp_free(&r);

    /* Connection: close is honoured: the response says so and the socket ends. */
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(resp_header(&r, "Connection", v, sizeof v), "close");
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    /* Upgrade is not supported: the request is answered and the connection ends. */
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(resp_header(&r, "Connection", v, sizeof v), "close");
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 400);
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    /* HTTP/1.0 without keep-alive closes too. */
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "GET /hello HTTP/1.0\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

typedef struct sender {
    client *c;
    int n;
    int rc;
} sender;

static void send_pipelined(void *arg) {
    sender *s = arg;
    char req[128];
    for (int i = 0; i < s->n && s->rc == 0; i++) {
        snprintf(req, sizeof req, "GET /big/%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
        s->rc = cli_sends(s->c, req);
    }
}

/* A client that pipelines far more output than the server will queue: the
 * server stops reading until the client catches up, and nothing is lost or
 * reordered. */
TEST(pipelining_backpressure) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    sender s = {.c = c, .n = 200};
    uv_thread_t th;
    REQUIRE(uv_thread_create(&th, send_pipelined, &s) == 0);
    sleep_ms(300); /* let the server's output back up */
    int ok = 0;
    for (int i = 0; i < s.n; i++) {
        resp r;
        if (cli_read_resp(c, &r) != 200) break;
        char want[32];
        int wl = snprintf(want, sizeof want, "%d;", i);
        if (r.body_len == 64 * 1024 + (size_t)wl && strncmp(r.body, want, (size_t)wl) == 0) ok++;
        resp_free(&r);
    }
    uv_thread_join(&th);
    CHECK_EQ_INT(s.rc, 0);
    CHECK_EQ_INT(ok, s.n);
    cli_close(c);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

TEST(post_body_chunked_expect) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    resp r;
    char v[128];
    const char *json = "{\"name\":\"주식회사 가나\",\"text\":\"a\\nb\"}";
    char req[512];
    snprintf(req, sizeof req,
             "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Test: t1\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(json), json);
    CHECK_EQ_INT(one_shot(f.port, req, &r), 200);
    CHECK_EQ_STR(r.body, json);
    CHECK_EQ_STR(resp_header(&r, "Content-Type", v, sizeof v), "text/plain; charset=utf-8");
    CHECK_EQ_STR(resp_header(&r, "X-In-Type", v, sizeof v), "application/json");
    CHECK_EQ_STR(resp_header(&r, "X-In-Test", v, sizeof v), "t1");
    resp_free(&r);

    /* Chunked body sent in pieces, split inside the chunk framing. */
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    sleep_ms(20);
    cli_sends(c, "lo\r\n5\r\n, 가\r");
    sleep_ms(20);
    cli_sends(c, "\n0\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(r.body, "hello, 가");
    resp_free(&r);

    /* Expect: 100-continue gets an interim response before the body is sent. */
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 100);
    resp_free(&r);
    cli_sends(c, "body");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    CHECK_EQ_STR(r.body, "body");
    resp_free(&r);
    cli_close(c);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

TEST(limits_413_431) {
    fixture f;
    igc_http_config cfg = {.max_body_bytes = 1024, .max_header_bytes = 1024};
    REQUIRE(fixture_start(&f, &cfg) == 0);
    resp r;
    char v[128];

    /* Declared length over the limit: refused before the body is read. */
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 413);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "body_too_large");
    CHECK_EQ_STR(resp_header(&r, "Connection", v, sizeof v), "close");
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    /* Body exactly at the limit passes. */
    char *big = malloc(8192);
    REQUIRE(big != NULL);
    int hl = snprintf(big, 8192, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n");
    memset(big + hl, 'x', 1024);
    big[hl + 1024] = '\0';
    CHECK_EQ_INT(one_shot(f.port, big, &r), 200);
    CHECK_EQ_INT(r.body_len, 1024);
    resp_free(&r);

    /* Chunked body growing past the limit, sent while the client keeps writing. */
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    char chunk[600];
    int cl = snprintf(chunk, sizeof chunk, "200\r\n");
    memset(chunk + cl, 'y', 0x200);
    memcpy(chunk + cl + 0x200, "\r\n", 2);
    for (int i = 0; i < 3; i++) cli_send(c, chunk, (size_t)cl + 0x200 + 2);
    CHECK_EQ_INT(cli_read_resp(c, &r), 413);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "body_too_large");
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    /* Huge header. */
    int n = snprintf(big, 8192, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + n, 'h', 4000);
    strcpy(big + n + 4000, "\r\n\r\n");
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, big);
    CHECK_EQ_INT(cli_read_resp(c, &r), 431);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "headers_too_large");
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    /* A long URL counts against the header limit too. */
    n = snprintf(big, 8192, "GET /items/");
    memset(big + n, 'u', 2000);
    strcpy(big + n + 2000, " HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(one_shot(f.port, big, &r), 431);
    resp_free(&r);

    /* Many small headers add up. */
    n = snprintf(big, 8192, "GET /hello HTTP/1.1\r\n");
    for (int i = 0; i < 200; i++) n += snprintf(big + n, 8192 - (size_t)n, "X-H%d: v\r\n", i);
    strcpy(big + n, "\r\n");
    CHECK_EQ_INT(one_shot(f.port, big, &r), 431);
    resp_free(&r);
    free(big);

    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    resp_free(&r);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

/* One path may be allowed a larger body (an upload of a whole revision); every other
 * path keeps the server's limit. */
TEST(large_body_path_only) {
    fixture f;
    igc_http_config cfg = {.max_body_bytes = 1024, .large_body_path = "/echo", .large_body_bytes = 4096};
    REQUIRE(fixture_start(&f, &cfg) == 0);
    resp r;
    char v[128];
    char *big = malloc(8192);
    REQUIRE(big != NULL);
    int hl = snprintf(big, 8192, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n");
    memset(big + hl, 'x', 3000);
    big[hl + 3000] = '\0';
    CHECK_EQ_INT(one_shot(f.port, big, &r), 200);
    CHECK_EQ_INT(r.body_len, 3000);
    resp_free(&r);
    /* over the larger limit */
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 413);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "body_too_large");
    resp_free(&r);
    cli_close(c);
    /* another path: the server's limit (its route does not even exist: refused first) */
    hl = snprintf(big, 8192, "POST /echo2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n");
    memset(big + hl, 'x', 3000);
    big[hl + 3000] = '\0';
    CHECK_EQ_INT(one_shot(f.port, big, &r), 413);
    resp_free(&r);
    /* the larger limit follows the request on a kept-alive connection: the next one is small again */
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    hl = snprintf(big, 8192, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n");
    memset(big + hl, 'x', 2000);
    big[hl + 2000] = '\0';
    cli_sends(c, big);
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    resp_free(&r);
    cli_sends(c, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 413);
    resp_free(&r);
    cli_close(c);
    free(big);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

TEST(garbage_400) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    resp r;
    char v[128];
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "\x01\x02 garbage \xff\xfe\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 400);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "bad_request");
    CHECK(strstr(r.body, "잘못된 HTTP 요청입니다") != NULL);
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    const char *bad[] = {
        "GET / HTTP/9.9\r\n\r\n",
        "GET /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /hello HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET /hel lo HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(one_shot(f.port, bad[i], &r), 400);
        resp_free(&r);
    }

    /* Random bytes, some after a valid request line: the server answers 400
     * or closes, and keeps serving. */
    srand(1234);
    for (int i = 0; i < 60; i++) {
        char buf[600];
        size_t n = 0;
        if (i % 2) n = (size_t)snprintf(buf, sizeof buf, "GET /hello HTTP/1.1\r\n");
        size_t extra = 1 + (size_t)(rand() % 400);
        for (size_t k = 0; k < extra; k++) buf[n++] = (char)(rand() % 256);
        memcpy(buf + n, "\r\n\r\n", 4);
        n += 4;
        c = cli_open(f.port);
        REQUIRE(c != NULL);
        cli_send(c, buf, n);
        int st = cli_read_resp(c, &r);
        CHECK(st == 400 || st == 431 || st == 404 || st == -1);
        resp_free(&r);
        cli_close(c);
    }
    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    resp_free(&r);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

TEST(timeouts_408) {
    fixture f;
    igc_http_config cfg = {.header_timeout_ms = 200, .body_timeout_ms = 300, .idle_timeout_ms = 400};
    REQUIRE(fixture_start(&f, &cfg) == 0);
    resp r;
    char v[128];

    /* Headers started, never finished. */
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    double t0 = igc_now_ms();
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: x\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 408);
    double dt = igc_now_ms() - t0;
    CHECK(dt >= 150 && dt < 3000);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "request_timeout");
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    /* Trickling header bytes does not extend the deadline. */
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    t0 = igc_now_ms();
    cli_sends(c, "GET /hello HTTP/1.1\r\n");
    for (int i = 0; i < 6; i++) {
        sleep_ms(50);
        if (cli_sends(c, "X: y\r\n") != 0) break;
    }
    CHECK_EQ_INT(cli_read_resp(c, &r), 408);
    CHECK(igc_now_ms() - t0 < 3000);
    resp_free(&r);
    cli_close(c);

    /* Body started, never finished. */
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    CHECK_EQ_INT(cli_read_resp(c, &r), 408);
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    /* A connection that never sends anything is closed without a response,
     * as is an idle keep-alive connection. */
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    t0 = igc_now_ms();
    CHECK(cli_closed(c));
    CHECK(igc_now_ms() - t0 < 3000);
    cli_close(c);
    c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    resp_free(&r);
    t0 = igc_now_ms();
    CHECK(cli_closed(c));
    dt = igc_now_ms() - t0;
    CHECK(dt >= 200 && dt < 3000);
    cli_close(c);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

TEST(connection_limit_503) {
    fixture f;
    igc_http_config cfg = {.max_connections = 2};
    REQUIRE(fixture_start(&f, &cfg) == 0);
    resp r;
    char v[128];
    client *a = cli_open(f.port), *b = cli_open(f.port);
    REQUIRE(a && b);
    cli_sends(a, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(a, &r), 200);
    resp_free(&r);
    cli_sends(b, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(b, &r), 200);
    resp_free(&r);

    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(c, &r), 503);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "too_many_connections");
    CHECK_EQ_STR(resp_header(&r, "Connection", v, sizeof v), "close");
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    /* The two accepted connections still work. */
    cli_sends(a, "GET /items/A HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(a, &r), 200);
    resp_free(&r);

    /* Once one leaves, a new client is served. */
    cli_close(b);
    int st = -1;
    for (int i = 0; i < 100 && st != 200; i++) {
        st = one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r);
        resp_free(&r);
        if (st != 200) sleep_ms(20);
    }
    CHECK_EQ_INT(st, 200);
    cli_close(a);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

/* One client address cannot hold every slot: past its own limit it gets 429
 * client_connection_limit while another address is still served; the
 * refusals are logged once per interval, not once (or twice) each. */
TEST(per_client_connection_limit) {
    fixture f;
    igc_http_config cfg = {.max_connections = 16, .max_conn_per_client = 4};
    REQUIRE(fixture_start(&f, &cfg) == 0);
    char path[] = "/tmp/igc_http_logXXXXXX";
    int lfd = mkstemp(path);
    REQUIRE(lfd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(lfd, 2);
    resp r;
    char v[128];
    client *held[4];
    for (int i = 0; i < 4; i++) {
        held[i] = cli_open(f.port);
        REQUIRE(held[i]);
        cli_sends(held[i], "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK_EQ_INT(cli_read_resp(held[i], &r), 200);
        resp_free(&r);
    }
    int refused = 0;
    for (int i = 0; i < 40; i++) {
        client *c = cli_open(f.port);
        if (!c) continue;
        cli_sends(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        if (cli_read_resp(c, &r) == 429 && !strcmp(err_code(&r, v, sizeof v), "client_connection_limit")) refused++;
        resp_free(&r);
        cli_close(c);
    }
    CHECK_EQ_INT(refused, 40);
    client *other = cli_open_from(f.port, "127.0.0.2");
    REQUIRE(other);
    cli_sends(other, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(other, &r), 200);
    resp_free(&r);
    cli_close(other);
    /* A slot given back is usable again. */
    cli_close(held[0]);
    int st = -1;
    for (int i = 0; i < 100 && st != 200; i++) {
        st = one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r);
        resp_free(&r);
        if (st != 200) sleep_ms(20);
    }
    CHECK_EQ_INT(st, 200);
    for (int i = 1; i < 4; i++) cli_close(held[i]);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *log = NULL;
    size_t len = 0;
    REQUIRE(igc_read_file(path, &log, &len) == 0);
    close(lfd);
    unlink(path);
    int lines = 0;
    for (const char *p = log; (p = strstr(p, "refused")) != NULL; p++) lines++;
    CHECK_EQ_INT(lines, 1);
    CHECK(strstr(log, "client 127.0.0.1: 1 connections refused") != NULL);
    CHECK(strstr(log, " 429 ") == NULL); /* no access line per refusal */
    free(log);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

/* Past its request-rate bucket a client gets 429 rate_limited with Retry-After. */
TEST(per_client_rate_limit) {
    fixture f;
    igc_http_config cfg = {.rate_per_client = 2, .rate_burst = 5};
    REQUIRE(fixture_start(&f, &cfg) == 0);
    resp r;
    char v[128];
    int ok = 0, limited = 0;
    for (int i = 0; i < 8; i++) {
        int st = one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r);
        if (st == 200) ok++;
        if (st == 429 && !strcmp(err_code(&r, v, sizeof v), "rate_limited") &&
            resp_header(&r, "Retry-After", v, sizeof v) && atoi(v) >= 1)
            limited++;
        resp_free(&r);
    }
    CHECK(ok >= 5 && ok <= 6);
    CHECK_EQ_INT(ok + limited, 8);
    client *other = cli_open_from(f.port, "127.0.0.3");
    REQUIRE(other);
    cli_sends(other, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_read_resp(other, &r), 200);
    resp_free(&r);
    cli_close(other);
    sleep_ms(600); /* the bucket refills at 2 a second */
    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    resp_free(&r);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

/* Host (DNS rebinding), Origin (another site's page), Content-Type of JSON
 * routes, HTTP version and chunk sizes, each refused with its JSON error. */
TEST(request_head_checks) {
    fixture f;
    igc_http_config cfg = {.hostnames = "igc.bank.local, igc2.bank.local:8443", .max_body_bytes = 1024};
    REQUIRE(fixture_start(&f, &cfg) == 0);
    resp r;
    char v[128], req[512];
    struct {
        const char *host;
        int status;
    } hosts[] = {{"127.0.0.1:%d", 200}, {"localhost:%d", 200}, {"LOCALHOST:%d", 200}, {"[::1]:%d", 200},
                 {"igc.bank.local", 200}, {"igc.bank.local:443", 200}, {"igc2.bank.local:8443", 200},
                 {"igc2.bank.local", 421}, {"evil.example:%d", 421}, {"127.0.0.1:1", 421}, {"127.0.0.1", 421},
                 {"x", 421}, {"127.0.0.1:%d@evil", 421}, {"", 421}};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        char h[128];
        snprintf(h, sizeof h, hosts[i].host, f.port);
        snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nHost: %s\r\n\r\n", h);
        int st = one_shot(f.port, req, &r);
        if (st != hosts[i].status) fprintf(stderr, "  Host '%s': %d\n", h, st);
        CHECK_EQ_INT(st, hosts[i].status);
        if (st == 421) CHECK_EQ_STR(err_code(&r, v, sizeof v), "unknown_host");
        resp_free(&r);
    }
    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.1\r\n\r\n", &r), 400);
    CHECK_EQ_STR(err_code(&r, v, sizeof v), "missing_host");
    resp_free(&r);
    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.0\r\n\r\n", &r), 200);
    resp_free(&r);

    /* Origin on a state-changing request */
    const char *origins[] = {"http://evil.example", "null", "http://127.0.0.1:1", "https://igc.bank.local.evil.example"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(req, sizeof req,
                 "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: %s\r\nContent-Length: 2\r\n\r\nhi", f.port,
                 origins[i]);
        CHECK_EQ_INT(one_shot(f.port, req, &r), 403);
        CHECK_EQ_STR(err_code(&r, v, sizeof v), "cross_origin");
        resp_free(&r);
    }
    snprintf(req, sizeof req,
             "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\nContent-Length: 2\r\n\r\nhi",
             f.port, f.port);
    CHECK_EQ_INT(one_shot(f.port, req, &r), 200);
    resp_free(&r);
    CHECK_EQ_INT(one_shot(f.port, "POST /echo HTTP/1.1\r\nHost: igc.bank.local\r\nOrigin: https://igc.bank.local\r\n"
                                  "Content-Length: 2\r\n\r\nhi", &r), 200);
    resp_free(&r);
    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x.igc.bank.local\r\n\r\n", &r), 421);
    resp_free(&r);
    snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://evil.example\r\n\r\n",
             f.port);
    CHECK_EQ_INT(one_shot(f.port, req, &r), 200); /* reading is not a change */
    resp_free(&r);

    /* Content-Type of POST to /api/ */
    struct {
        const char *ctype;
        int status;
    } types[] = {{NULL, 415}, {"text/plain", 415}, {"application/x-www-form-urlencoded", 415},
                 {"application/jsonx", 415}, {"application/json; charset=latin1", 415},
                 {"multipart/form-data; boundary=x", 415}, {"application/json", 200},
                 {"application/json; charset=utf-8", 200}, {"Application/JSON;charset=\"UTF-8\"", 200}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char ct[128] = "";
        if (types[i].ctype) snprintf(ct, sizeof ct, "Content-Type: %s\r\n", types[i].ctype);
        snprintf(req, sizeof req, "POST /api/x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sContent-Length: 2\r\n\r\n{}",
                 f.port, ct);
        int st = one_shot(f.port, req, &r);
        if (st != types[i].status) fprintf(stderr, "  Content-Type '%s': %d\n", ct, st);
        CHECK_EQ_INT(st, types[i].status);
        if (st == 415) CHECK_EQ_STR(err_code(&r, v, sizeof v), "unsupported_media_type");
        resp_free(&r);
    }
    /* percent-encoded path is the same path */
    snprintf(req, sizeof req, "POST /%%61pi/x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 2\r\n\r\n{}", f.port);
    CHECK_EQ_INT(one_shot(f.port, req, &r), 415);
    resp_free(&r);

    /* HTTP versions other than 1.0 and 1.1 */
    const char *versions[] = {"HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "HTTP/9.9"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(req, sizeof req, "GET /hello %s\r\nHost: igc.bank.local\r\n\r\n", versions[i]);
        int st = one_shot(f.port, req, &r);
        fprintf(stderr, "  %s: %d\n", versions[i], st);
        CHECK(st == 505 || st == 400);
        CHECK(st != 505 || !strcmp(err_code(&r, v, sizeof v), "http_version_not_supported"));
        resp_free(&r);
    }

    /* An absurd chunk size is refused at its header, without waiting for it. */
    client *c = cli_open(f.port);
    REQUIRE(c);
    double t0 = igc_now_ms();
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: igc.bank.local\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\nab");
    CHECK_EQ_INT(cli_read_resp(c, &r), 413);
    CHECK(igc_now_ms() - t0 < 1000);
    resp_free(&r);
    cli_close(c);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

/* Pages carry a CSP without inline script or style and refuse framing;
 * every answer has nosniff and Referrer-Policy, once. */
TEST(security_headers) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    resp r;
    char v[512];
    CHECK_EQ_INT(one_shot(f.port, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    REQUIRE(resp_header(&r, "Content-Security-Policy", v, sizeof v));
    CHECK(strstr(v, "frame-ancestors 'none'") && strstr(v, "script-src 'self'") && strstr(v, "style-src 'self'"));
    CHECK(!strstr(v, "unsafe-inline") && !strstr(v, "unsafe-eval"));
    CHECK_EQ_STR(resp_header(&r, "Referrer-Policy", v, sizeof v), "no-referrer");
    CHECK_EQ_STR(resp_header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
    CHECK_EQ_STR(resp_header(&r, "X-Frame-Options", v, sizeof v), "DENY");
    resp_free(&r);
    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    CHECK_EQ_STR(resp_header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
    REQUIRE(resp_header(&r, "Content-Security-Policy", v, sizeof v));
    CHECK(strstr(v, "default-src 'none'") != NULL);
    CHECK(strstr(r.head, "nosniff") == strstr(r.head, "X-Content-Type-Options: nosniff") + 24);
    resp_free(&r);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

TEST(client_disconnects) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    resp r;
    /* Mid-headers, mid-body, mid-chunk, and after a request without reading. */
    const char *partial[] = {
        "GET /hel",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
        "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (int reset = 0; reset < 2; reset++) {
        for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
            client *c = cli_open(f.port);
            REQUIRE(c != NULL);
            cli_sends(c, partial[i]);
            if (reset) { /* abortive close: RST instead of FIN */
                struct linger lg = {.l_onoff = 1, .l_linger = 0};
                setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            }
            cli_close(c);
        }
    }
    /* Half-close after a full request: the response still arrives. */
    client *c = cli_open(f.port);
    REQUIRE(c != NULL);
    cli_sends(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    shutdown(c->fd, SHUT_WR);
    CHECK_EQ_INT(cli_read_resp(c, &r), 200);
    resp_free(&r);
    CHECK(cli_closed(c));
    cli_close(c);

    sleep_ms(50);
    CHECK_EQ_INT(one_shot(f.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    resp_free(&r);

    /* Stopping with connections still open releases everything. */
    client *open1 = cli_open(f.port);
    REQUIRE(open1 != NULL);
    cli_sends(open1, "GET /hello HTTP/1.1\r\nHost: x\r\n");
    sleep_ms(50);
    CHECK_EQ_INT(fixture_stop(&f), 0);
    CHECK(cli_closed(open1));
    cli_close(open1);
}

TEST(access_log_has_no_query_or_body) {
    fixture f;
    REQUIRE(fixture_start(&f, NULL) == 0);
    char path[] = "/tmp/igc_http_logXXXXXX";
    int lfd = mkstemp(path);
    REQUIRE(lfd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(lfd, 2);
    resp r;
    int s1 = one_shot(f.port, "GET /q?name=SECRETNAME HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    resp_free(&r);
    int s2 = one_shot(f.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nSECRETBODY", &r);
    resp_free(&r);
    int s3 = one_shot(f.port, "GET /nope?brn=SECRETBRN HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    resp_free(&r);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CHECK_EQ_INT(s1, 200);
    CHECK_EQ_INT(s2, 200);
    CHECK_EQ_INT(s3, 404);
    char *log = NULL;
    size_t len = 0;
    REQUIRE(igc_read_file(path, &log, &len) == 0);
    close(lfd);
    unlink(path);
    CHECK(strstr(log, "GET /q 200") != NULL);
    CHECK(strstr(log, "POST /echo 200") != NULL);
    CHECK(strstr(log, "GET /nope 404") != NULL);
    CHECK(strstr(log, "SECRET") == NULL);
    free(log);
    CHECK_EQ_INT(fixture_stop(&f), 0);
}

IGC_TEST_MAIN(TEST_ENTRY(per_client_connection_limit), TEST_ENTRY(per_client_rate_limit),
              TEST_ENTRY(request_head_checks), TEST_ENTRY(security_headers), TEST_ENTRY(query_param_decoding), TEST_ENTRY(error_body_json), TEST_ENTRY(router_unit),
              TEST_ENTRY(url_decode_and_header_lookup), TEST_ENTRY(start_errors), TEST_ENTRY(get_200),
              TEST_ENTRY(router_params_404_405), TEST_ENTRY(keep_alive_and_pipelining), TEST_ENTRY(pipelining_backpressure),
              TEST_ENTRY(post_body_chunked_expect), TEST_ENTRY(limits_413_431), TEST_ENTRY(large_body_path_only), TEST_ENTRY(garbage_400),
              TEST_ENTRY(timeouts_408), TEST_ENTRY(connection_limit_503), TEST_ENTRY(client_disconnects),
              TEST_ENTRY(access_log_has_no_query_or_body))
