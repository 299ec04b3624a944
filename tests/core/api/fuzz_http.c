/*
 * Fuzz target: the HTTP server with the whole API. Each input is sent as raw
 * bytes over a loopback connection to a real igc_http server (llhttp parser,
 * containment checks, router, every handler of igc_api) in this process,
 * over the real data with the lexical engine, the shipped rules and a
 * throw-away store; the answer is read to the end. The server must answer
 * (or close) every time and keep serving: after each input a GET /healthz
 * on a fresh connection must get 200.
 * libFuzzer: scripts/fuzz.sh http [SECONDS]; seeds in tests/fuzz/corpus/http
 * (requests name the host "fuzz", which the server accepts).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "igc_api.h"
#include "igc_app.h"

static uv_loop_t loop;
static igc_app app;
static igc_http_server *srv;
static igc_http_router *router;
static int port;

static void setup(void) {
    igc_log_set_level(IGC_LOG_ERROR + 1);
    char tmpl[] = "/tmp/igc-fuzz-http-XXXXXX";
    if (!mkdtemp(tmpl)) abort();
    igc_config cfg;
    igc_config_init(&cfg);
    const char *data = getenv("IGC_DATA") ? getenv("IGC_DATA") : IGC_TEST_DATA_DIR;
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data);
    snprintf(cfg.db_dir, sizeof cfg.db_dir, "%s/db", tmpl);
    snprintf(cfg.lexicon_dir, sizeof cfg.lexicon_dir, "%s/lexicon", tmpl);
    snprintf(cfg.rules_dir, sizeof cfg.rules_dir, "%s/rules", IGC_TEST_SOURCE_DIR);
    snprintf(cfg.programmes_dir, sizeof cfg.programmes_dir, "%s/programmes", IGC_TEST_SOURCE_DIR);
    snprintf(cfg.model, sizeof cfg.model, "none");
    snprintf(cfg.params, sizeof cfg.params, "none");
    cfg.map_mb = 64;
    cfg.log_level = IGC_LOG_ERROR + 1;
    igc_buf err = {0};
    if (igc_app_open(&app, &cfg, IGC_APP_STORE | IGC_APP_RULES | IGC_APP_EXEMPLARS, &err)) {
        fprintf(stderr, "fuzz_http: %s\n", err.data ? err.data : "cannot open");
        abort();
    }
    uv_loop_init(&loop);
    if (igc_http_router_new(&router) || igc_api_register(router, &app)) abort();
    igc_http_config hc = {.listen = "127.0.0.1:0", .hostnames = "fuzz", .rate_per_client = -1,
                          .header_timeout_ms = 2000, .body_timeout_ms = 2000, .idle_timeout_ms = 2000};
    if (igc_http_server_start(&loop, &hc, igc_http_router_dispatch, router, &srv)) abort();
    port = igc_http_server_port(srv);
}

/* Sends data on a fresh connection, half-closes, and drives the loop until the
 * server has answered and closed (or 3 s passed). Returns the bytes read. */
static size_t exchange(const uint8_t *data, size_t size, char *first, size_t firstsz) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) abort();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) abort();
    size_t sent = 0, got = 0;
    int wdone = 0;
    double t0 = igc_now_ms();
    if (first && firstsz) first[0] = '\0';
    while (igc_now_ms() - t0 < 3000) {
        uv_run(&loop, UV_RUN_NOWAIT);
        if (!wdone) {
            ssize_t w = sent < size ? send(fd, data + sent, size - sent, MSG_NOSIGNAL) : 0;
            if (w > 0) sent += (size_t)w;
            if (sent >= size || (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)) {
                shutdown(fd, SHUT_WR);
                wdone = 1;
            }
        }
        char buf[16384];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r > 0) {
            if (first && got < firstsz - 1) {
                size_t m = (size_t)r < firstsz - 1 - got ? (size_t)r : firstsz - 1 - got;
                memcpy(first + got, buf, m);
                first[got + m] = '\0';
            }
            got += (size_t)r;
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN && errno != EINPROGRESS))
            break;
        struct pollfd pf = {.fd = uv_backend_fd(&loop), .events = POLLIN};
        poll(&pf, 1, 1);
    }
    close(fd);
    for (int i = 0; i < 5; i++) uv_run(&loop, UV_RUN_NOWAIT);
    return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!srv) setup();
    char first[2048];
    exchange(data, size, first, sizeof first);
    if (getenv("IGC_FUZZ_VERBOSE")) /* what the server made of the input */
        fprintf(stderr, "fuzz_http: %.*s | %s\n", (int)strcspn(first, "\r\n"), first,
                strstr(first, "\r\n\r\n") ? strstr(first, "\r\n\r\n") + 4 : "");
    /* the server still answers */
    static const char hz[] = "GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";
    char head[64];
    exchange((const uint8_t *)hz, sizeof hz - 1, head, sizeof head);
    if (strncmp(head, "HTTP/1.1 200", 12) != 0) {
        fprintf(stderr, "fuzz_http: the server stopped answering: '%s'\n", head);
        abort();
    }
    return 0;
}
