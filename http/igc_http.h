/*
 * igc_http: an embedded HTTP/1.1 server on libuv + llhttp, with a small router.
 *
 * The server lives in the caller's libuv loop (single-threaded). Handlers are
 * synchronous: the server calls the handler once a whole request has been read
 * and writes the response it fills in (or answers later, igc_http_defer).
 * Before a handler runs, the server refuses HTTP versions other than 1.0/1.1
 * (505), a Host that is not this server (421, against DNS rebinding), a
 * state-changing request whose Origin is another site (403), a POST/PUT/PATCH
 * to /api/ whose Content-Type is not application/json (415), a client over its
 * connection or request-rate limit (429) and chunk sizes over the body limit
 * (413, at the chunk header). Every response carries X-Content-Type-Options:
 * nosniff, Referrer-Policy: no-referrer and a Content-Security-Policy (for
 * HTML: scripts, styles and images from this server only, no framing). Keep-alive, pipelining, chunked request
 * bodies and Expect: 100-continue are supported; HEAD is answered like GET
 * without a body. Every protocol error gets a JSON error body (see
 * igc_http_error) with a stable English code and a Korean message.
 *
 * Request fields point into connection memory and are valid only during the
 * handler call.
 */
#ifndef IGC_HTTP_H
#define IGC_HTTP_H

#include <stddef.h>
#include <uv.h>

#include "igc_base.h"

#define IGC_HTTP_MAX_PARAMS 4

typedef struct igc_http_request {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* percent-decoded path, no query; "/api/v1/x" */
    const char *query;        /* raw query string after '?', or "" */
    const char *body;         /* request body (NUL-terminated for convenience) or "" */
    size_t body_len;
    const char *content_type; /* header value or "" */
    const char *remote;       /* "127.0.0.1:53422" */
    const char *params[IGC_HTTP_MAX_PARAMS]; /* values of {param} segments matched by the router */
    int nparams;
    /* Internal: all request headers as "name\0value\0" pairs, names lower-cased. */
    const char *headers_;
    size_t headers_len_;
    void *conn_; /* internal: the connection, for igc_http_defer */
} igc_http_request;

typedef struct igc_http_response {
    int status;               /* preset to 200 */
    const char *content_type; /* NULL means "application/json; charset=utf-8" */
    igc_buf body;             /* freed by the server after writing */
    char extra_headers[512];  /* header lines, e.g. "Cache-Control: no-store\r\n" (final CRLF
                                 optional); malformed text is dropped with a warning */
} igc_http_response;

typedef void (*igc_http_handler)(void *ud, const igc_http_request *req, igc_http_response *res);

typedef struct igc_http_config {
    const char *listen;          /* "127.0.0.1:8080", "[::1]:8080", "localhost:0"; NULL: 127.0.0.1:8080 */
    size_t max_header_bytes;     /* 0: 16 KiB; beyond -> 431 */
    size_t max_body_bytes;       /* 0: 256 KiB; beyond -> 413 */
    const char *large_body_path; /* NULL, or one exact path (no query) allowed a larger body: */
    size_t large_body_bytes;     /* its limit (an administrator's upload of a whole revision) */
    unsigned header_timeout_ms;  /* 0: 10000; headers must complete in time -> 408 + close */
    unsigned body_timeout_ms;    /* 0: 30000; body must complete in time after the headers -> 408 */
    unsigned idle_timeout_ms;    /* 0: 60000; keep-alive idle connections are closed after it */
    int max_connections;         /* 0: 256; beyond -> 503 + close */
    /* Containment (one client address cannot take every slot or the loop): */
    int max_conn_per_client;     /* 0: 64; beyond -> 429 client_connection_limit + close */
    double rate_per_client;      /* requests per second per client address, refilled continuously;
                                    0: 100; < 0: no limit. An empty bucket -> 429 rate_limited */
    unsigned rate_burst;         /* bucket size (requests at once); 0: 400 */
    unsigned log_interval_ms;    /* refusals are logged once per client per interval; 0: 60000 */
    /* Names besides the listen address and localhost / 127.0.0.1 / [::1] (with the
     * bound port) that Host and Origin may carry: "igc.bank.local" (any port) or
     * "igc.bank.local:8443", separated by commas; NULL: none. Another Host ->
     * 421 unknown_host; a state-changing request with another Origin -> 403
     * cross_origin. */
    const char *hostnames;
    int any_host;                /* accept any Host and Origin (fuzzing harnesses only) */
} igc_http_config;

typedef struct igc_http_server igc_http_server;

/* Binds and starts listening on cfg->listen (cfg may be NULL for defaults) and
 * serves requests with h(ud, ...). Returns 0, IGC_EINVAL (bad listen address),
 * IGC_EEXIST (the address is in use), IGC_EIO (bind/listen failed otherwise; logged)
 * or IGC_ENOMEM. On failure the loop must
 * still be run once to release the listening handle. Sets SIGPIPE to ignored
 * when it has the default action, so a client that resets cannot kill the
 * process. */
int igc_http_server_start(uv_loop_t *loop, const igc_http_config *cfg, igc_http_handler h, void *ud,
                          igc_http_server **out);
/* Actual bound port (useful with port 0 in tests). */
int igc_http_server_port(const igc_http_server *s);
/* Number of open client connections (including ones being refused or closed). */
int igc_http_server_connections(const igc_http_server *s);
/* Stops listening, closes connections; frees once the loop has run the close
 * callbacks. NULL is fine. */
void igc_http_server_stop(igc_http_server *s);

/* ---- answers that come later ---- */
/* A handler whose work must not run on the loop (a rule reload) calls
 * igc_http_defer(req) and returns; the server then writes nothing, holds the
 * connection's next pipelined request, and answers when the work ends and
 * calls igc_http_deferred_finish() on the loop's thread (exactly once). If the
 * client goes away meanwhile, finish just frees. */
typedef struct igc_http_deferred igc_http_deferred;
/* Defers the answer to req; NULL when req came from no server connection (the
 * handler then answers at once) or out of memory. */
igc_http_deferred *igc_http_defer(const igc_http_request *req);
/* The loop the connection lives in. */
uv_loop_t *igc_http_deferred_loop(const igc_http_deferred *d);
/* Writes res (its body is taken and freed; NULL: a 500) and frees d. */
void igc_http_deferred_finish(igc_http_deferred *d, igc_http_response *res);

/* ---- router ---- */
/* Routes by method and pattern ("/api/v1/items/{code}") with up to
 * IGC_HTTP_MAX_PARAMS {param} segments, each matching one non-empty path
 * segment. A literal segment beats a {param} at the same position. Unknown
 * path -> 404 not_found; known path with another method -> 405
 * method_not_allowed with an Allow header; both as JSON errors. HEAD is
 * served by GET routes. */
typedef struct igc_http_router igc_http_router;
/* Creates an empty router. */
int igc_http_router_new(igc_http_router **out);
/* Adds a route. Returns 0, IGC_EINVAL (pattern not starting with '/', too many
 * or malformed params) or IGC_ENOMEM. */
int igc_http_router_add(igc_http_router *r, const char *method, const char *pattern, igc_http_handler h,
                        void *ud);
/* An igc_http_handler: pass the router as ud to igc_http_server_start. */
void igc_http_router_dispatch(void *router, const igc_http_request *req, igc_http_response *res);
/* Frees the router. NULL is fine. */
void igc_http_router_free(igc_http_router *r);

/* ---- helpers ---- */
/* Finds key in a query string ("a=1&b=%EA%B0%80") and writes its decoded value
 * ('+' is a space) to out. The first occurrence wins; "key" without '=' gives "".
 * Returns 0, IGC_ENOTFOUND, IGC_EINVAL (bad escape or NUL byte), IGC_EUTF8 or
 * IGC_ETOOBIG (value does not fit; out is then empty). */
int igc_http_query_param(const char *query, const char *key, char *out, size_t outsz);
/* Percent-decodes in[0..n) into out (NUL-terminated, at most outsz-1 bytes),
 * turning '+' into a space when plus_is_space. *outlen (may be NULL) gets the
 * decoded length. Returns 0, IGC_EINVAL (bad escape) or IGC_ETOOBIG. */
int igc_http_url_decode(const char *in, size_t n, int plus_is_space, char *out, size_t outsz,
                        size_t *outlen);
/* Value of a request header (name case-insensitive) or NULL. */
const char *igc_http_header(const igc_http_request *req, const char *name);
/* Resets the body and writes {"error":{"code":code,"message":message_ko,"fields":[...]}}
 * with the status and the JSON content type. */
void igc_http_error(igc_http_response *res, int status, const char *code, const char *message_ko,
                    const char *const *fields, size_t nfields);
/* Parses body[0..len) as exactly one JSON document (nothing but white space
 * after it) and refuses what a lenient parser takes silently: a \u0000 escape
 * in a string (the text would be cut there) and an object naming the same key
 * twice (which one counts would be arbitrary). Returns 0 with *out (free with
 * cJSON_Delete), or IGC_EINVAL / IGC_ENOMEM with *code ("invalid_json",
 * "nul_in_string", "duplicate_key", "out_of_memory") and *msg_ko set to
 * static strings. */
struct cJSON;
int igc_http_json_parse(const char *body, size_t len, struct cJSON **out, const char **code, const char **msg_ko);
/* Appends s as a JSON string literal (quoted, escaped) to b. */
int igc_http_json_str(igc_buf *b, const char *s);
/* Standard reason phrase for a status ("Not Found"), "Unknown" otherwise. */
const char *igc_http_reason(int status);

#endif
