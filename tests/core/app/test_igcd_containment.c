/*
 * Containment of a running igcd (docs/security.md, "Containment"): a hostile
 * rule or rule reload does not stall other requests, one client address
 * cannot take every connection slot or flood past its request rate, Host /
 * Origin / Content-Type are checked, pages carry their security headers, and
 * JSON bodies with a NUL escape or a duplicate key are refused.
 */
#include "app_test_util.h"

#include <dirent.h>
#include <pthread.h>

#include "igc_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOW 8.0
#else
#define SLOW 1.0
#endif

static int put_file(const char *dir, const char *name, const char *text) {
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return write_text(p, text, strlen(text));
}

static cJSON *classify_body(unsigned long brn_body) {
    dev_row row;
    if (dev_row_pick(0, &row)) return NULL;
    char brn[11];
    brn_make(brn_body, brn);
    return dev_request(&row, brn, "홍길동");
}

/* A rule whose string pattern backtracks (n^4 steps) is stopped by the
 * instruction budget: classification goes on and a request beside it waits
 * no more than the budget allows (it used to wait 0.68 s per classification). */
TEST(hostile_rule_does_not_stall) {
    char dir[PATH_MAX], db[PATH_MAX], log[PATH_MAX + 16];
    REQUIRE(rules_copy(dir) == 0);
    REQUIRE(put_file(dir, "backtrack.lua",
                     "rule{ id='backtrack', description='되돌아가는 패턴', apply=function(ctx)\n"
                     "  if (ctx.company.name or '') == '' then return end -- the rule tests give no company\n"
                     "  local s = string.rep('a', 200)\n"
                     "  if s:find('.-.-.-b') then ctx:needs_review('b') end\n"
                     "end }\n") == 0);
    REQUIRE(make_tmpdir(db, "db") == 0);
    snprintf(log, sizeof log, "%s.log", db);
    igcd_proc p;
    const char *extra[] = {"--rules", dir, NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    cJSON *req = classify_body(123456789);
    REQUIRE(req);
    prober pr = {.port = p.port};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, probe_loop, &pr) == 0);
    double worst = 0, cpu0 = proc_cpu_ms(p.pid, p.pid);
    for (int i = 0; i < 20; i++) {
        int st;
        double t0 = ms_now();
        cJSON *o = http_post_obj(p.port, "/api/v1/classify", req, &st);
        double ms = ms_now() - t0;
        if (ms > worst) worst = ms;
        CHECK_EQ_INT(st, 200);
        /* answered without the rule that erred, and said so: left to the examiner */
        CHECK(cJSON_IsTrue(jget(o, "needs_review")));
        const cJSON *rr, *why = NULL;
        cJSON_ArrayForEach(rr, jget(o, "review_reasons")) {
            if (jstr(rr, "code") && strcmp(jstr(rr, "code"), "rule_error") == 0) why = rr;
        }
        CHECK(why && jstr(why, "message") && strstr(jstr(why, "message"), "규칙"));
        cJSON_Delete(o);
    }
    double cpu = proc_cpu_ms(p.pid, p.pid) - cpu0;
    pr.stop = 1;
    pthread_join(th, NULL);
    fprintf(stderr, "  20 classifications with a backtracking rule: loop thread CPU %.0f ms in all, slowest %.1f ms; "
                    "/healthz beside them: slowest %.1f ms of %d\n", cpu, worst, pr.max_ms, pr.n);
    /* the loop's own work per classification stays under 50 ms (it was 680 ms);
     * wall-clock times are bounded loosely, a shared machine adds its own delays */
    CHECK(cpu >= 0 && cpu < 20 * 50.0 * SLOW);
    CHECK(worst < 250.0 * SLOW);
    CHECK(pr.max_ms < 250.0 * SLOW);
    CHECK_EQ_INT(pr.failed, 0);
    int st;
    cJSON *o = http_get_json(p.port, "/api/v1/rules", &st);
    const cJSON *le = jget(o, "last_rule_error");
    CHECK(jnum(o, "rule_errors", 0) >= 20);
    CHECK(le && jstr(le, "message") && strstr(jstr(le, "message"), "instruction budget exceeded"));
    cJSON_Delete(o);
    cJSON_Delete(req);
    igcd_term(&p, 5000);
    rm_tmp(db);
    rm_tmp(dir);
    unlink(log);
}

/* A reload whose rule tests take long (400 slow tests: more than 300 ms on a
 * fast machine too) runs off the loop: requests beside it are answered at
 * once, and the reload answers when its tests pass. (On the loop, a bad file
 * stalled every request 2.09 s.) */
TEST(hostile_reload_does_not_stall) {
    char dir[PATH_MAX], db[PATH_MAX], log[PATH_MAX + 16];
    REQUIRE(rules_copy(dir) == 0);
    REQUIRE(make_tmpdir(db, "db") == 0);
    snprintf(log, sizeof log, "%s.log", db);
    igcd_proc p;
    const char *extra[] = {"--rules", dir, NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    REQUIRE(put_file(dir, "slow.lua",
                     "rule{ id='slow', description='느린 규칙', apply=function(ctx)\n"
                     "  local n = 0 for i = 1, 250000 do n = n + i end\n"
                     "end }\n") == 0);
    REQUIRE(put_file(dir, "slow_test.lua",
                     "for i = 1, 400 do test { name = '느린 시험 ' .. i,\n"
                     "  given = {candidates = {{code = 'X1', score = 0.5}}}, expect = {applicable = true} } end\n") == 0);
    prober pr = {.port = p.port};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, probe_loop, &pr) == 0);
    http_resp r;
    double t0 = ms_now(), cpu0 = proc_cpu_ms(p.pid, p.pid);
    CHECK(http_req(p.port, "POST", "/api/v1/rules/reload", "application/json", "", 0, &r) == 0);
    double ms = ms_now() - t0, cpu = proc_cpu_ms(p.pid, p.pid) - cpu0;
    sleep_ms(50);
    pr.stop = 1;
    pthread_join(th, NULL);
    fprintf(stderr, "  reload with 400 slow tests: %.0f ms (status %d), loop thread CPU %.0f ms; /healthz beside it: "
                    "slowest %.1f ms of %d\n", ms, r.status, cpu, pr.max_ms, pr.n);
    CHECK_EQ_INT(r.status, 200);
    CHECK(pr.n >= 5);
    /* The loop's thread is free while the tests run (on the loop they took it
     * for the whole reload: its CPU would be about the reload's time); what it
     * spends answers the probes, one every few ms however long the reload takes
     * on a loaded machine. What a client sees also holds connection set-up and
     * scheduling on a shared machine, hence the looser wall-clock bound. */
    CHECK(cpu >= 0 && cpu < 0.25 * ms);
    CHECK(ms > 300.0);
    CHECK(pr.max_ms < 250.0 * SLOW);
    CHECK_EQ_INT(pr.failed, 0);
    http_resp_free(&r);
    int st;
    cJSON *o = http_get_json(p.port, "/api/v1/rules", &st);
    int has_slow = 0;
    const cJSON *ru;
    cJSON_ArrayForEach(ru, jget(o, "rules")) has_slow |= jstr(ru, "id") && !strcmp(jstr(ru, "id"), "slow");
    CHECK(has_slow);
    cJSON_Delete(o);
    /* a broken file is refused the same way, and the old rules stay */
    REQUIRE(put_file(dir, "slow.lua", "rule{ id='slow', description='x', apply=function(ctx)\n  if then\nend }\n") == 0);
    o = NULL;
    CHECK(http_req(p.port, "POST", "/api/v1/rules/reload", "application/json", "", 0, &r) == 0);
    o = cJSON_ParseWithLength(r.body, r.body_len);
    CHECK(check_error(o, r.status, 422, "rules_rejected", NULL, "broken rule file"));
    cJSON_Delete(o);
    http_resp_free(&r);
    igcd_term(&p, 5000);
    rm_tmp(db);
    rm_tmp(dir);
    unlink(log);
}

/* ---- connections and rates ---- */

static int connect_from(int port, const char *src) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in b = {.sin_family = AF_INET}, a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, src, &b.sin_addr);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (bind(fd, (struct sockaddr *)&b, sizeof b) || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends one GET on fd and returns the status of the answer (0: none). */
static int get_status(int fd, int port, const char *path) {
    char req[256], buf[4096];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
    if (send_all(fd, req, strlen(req))) return 0;
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n < 12) return 0;
    buf[n] = '\0';
    return atoi(buf + 9);
}

/* One client holding its share of slots does not lock out the others: its
 * next connections get 429 while another address is served, and the log has
 * one line for all those refusals (it had two per refusal: 30 MB in 5 min). */
TEST(one_client_cannot_take_every_slot) {
    char db[PATH_MAX], log[PATH_MAX + 16];
    REQUIRE(make_tmpdir(db, "db") == 0);
    snprintf(log, sizeof log, "%s.log", db);
    igcd_proc p;
    const char *extra[] = {"--no-rules", "--max-conn", "32", "--max-conn-per-client", "8", NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    int held[8];
    for (int i = 0; i < 8; i++) {
        held[i] = connect_from(p.port, "127.0.0.1");
        REQUIRE(held[i] >= 0);
        CHECK_EQ_INT(get_status(held[i], p.port, "/healthz"), 200);
    }
    int refused = 0;
    for (int i = 0; i < 200; i++) {
        int fd = connect_from(p.port, "127.0.0.1");
        if (fd < 0) continue;
        refused += get_status(fd, p.port, "/healthz") == 429;
        close(fd);
    }
    CHECK_EQ_INT(refused, 200);
    for (int k = 2; k <= 4; k++) {
        char src[32];
        snprintf(src, sizeof src, "127.0.0.%d", k);
        int fd = connect_from(p.port, src);
        CHECK(fd >= 0 && get_status(fd, p.port, "/healthz") == 200);
        if (fd >= 0) close(fd);
    }
    for (int i = 0; i < 8; i++) close(held[i]);
    sleep_ms(100);
    size_t len;
    char *t = slurp(log, &len);
    int lines = 0;
    for (const char *q = t; q && (q = strstr(q, "refused")) != NULL; q++) lines++;
    fprintf(stderr, "  200 refused connections: %d log line(s)\n", lines);
    CHECK_EQ_INT(lines, 1);
    CHECK(t && strstr(t, "client 127.0.0.1: 1 connections refused (limit 8 per client)"));
    free(t);
    igcd_term(&p, 5000);
    rm_tmp(db);
    unlink(log);
}

TEST(request_rate_limit) {
    char db[PATH_MAX], log[PATH_MAX + 16];
    REQUIRE(make_tmpdir(db, "db") == 0);
    snprintf(log, sizeof log, "%s.log", db);
    igcd_proc p;
    const char *extra[] = {"--no-rules", "--rate-limit", "5", "--rate-burst", "10", NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    int ok = 0, limited = 0;
    for (int i = 0; i < 30; i++) {
        http_resp r;
        if (http_req(p.port, "GET", "/healthz", NULL, NULL, 0, &r)) continue;
        char v[32];
        if (r.status == 200) ok++;
        if (r.status == 429 && http_header(&r, "Retry-After", v, sizeof v) == 0 && atoi(v) >= 1) {
            cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
            limited += check_error(o, r.status, 429, "rate_limited", NULL, "over the rate");
            cJSON_Delete(o);
        }
        http_resp_free(&r);
    }
    fprintf(stderr, "  30 requests at once, limit 5/s burst 10: %d answered, %d refused\n", ok, limited);
    CHECK(ok >= 5 && ok <= 13); /* the start-up readiness probes took some of the burst */
    CHECK_EQ_INT(ok + limited, 30);
    int fd = connect_from(p.port, "127.0.0.5");
    CHECK(fd >= 0 && get_status(fd, p.port, "/healthz") == 200);
    if (fd >= 0) close(fd);
    igcd_term(&p, 5000);
    rm_tmp(db);
    unlink(log);
}

/* ---- what a web page of another site could send ---- */

static int raw_status(int port, const char *req, http_resp *r) {
    if (http_raw(port, req, strlen(req), r)) return 0;
    return r->status;
}

TEST(host_origin_and_content_type) {
    char db[PATH_MAX], log[PATH_MAX + 16];
    REQUIRE(make_tmpdir(db, "db") == 0);
    snprintf(log, sizeof log, "%s.log", db);
    igcd_proc p;
    const char *extra[] = {"--no-rules", "--hostname", "igc.bank.local", NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    char req[4096];
    http_resp r;
    /* DNS rebinding: a name that resolves here but is not this server's */
    snprintf(req, sizeof req, "GET /api/v1/taxonomy HTTP/1.1\r\nHost: attacker.example:%d\r\nConnection: close\r\n\r\n",
             p.port);
    CHECK_EQ_INT(raw_status(p.port, req, &r), 421);
    cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
    CHECK(check_error(o, r.status, 421, "unknown_host", NULL, "rebinding"));
    cJSON_Delete(o);
    http_resp_free(&r);
    const char *good[] = {"127.0.0.1:%d", "localhost:%d", "igc.bank.local"};
    for (int i = 0; i < 3; i++) {
        char h[64];
        snprintf(h, sizeof h, good[i], p.port);
        snprintf(req, sizeof req, "GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", h);
        CHECK_EQ_INT(raw_status(p.port, req, &r), 200);
        http_resp_free(&r);
    }
    /* another site's page posting to the API */
    cJSON *body = classify_body(987654321);
    REQUIRE(body);
    char *t = cJSON_PrintUnformatted(body);
    snprintf(req, sizeof req,
             "POST /api/v1/classify HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://attacker.example\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             p.port, strlen(t), t);
    CHECK_EQ_INT(raw_status(p.port, req, &r), 403);
    o = cJSON_ParseWithLength(r.body, r.body_len);
    CHECK(check_error(o, r.status, 403, "cross_origin", NULL, "foreign origin"));
    cJSON_Delete(o);
    http_resp_free(&r);
    snprintf(req, sizeof req,
             "POST /api/v1/classify HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             p.port, p.port, strlen(t), t);
    CHECK_EQ_INT(raw_status(p.port, req, &r), 200);
    http_resp_free(&r);
    /* a form post (no preflight) and a post without Content-Type */
    const char *types[] = {"text/plain", "application/x-www-form-urlencoded", NULL};
    for (int i = 0; i < 3; i++) {
        CHECK(http_req(p.port, "POST", "/api/v1/judgments", types[i], t, strlen(t), &r) == 0);
        o = cJSON_ParseWithLength(r.body, r.body_len);
        CHECK(check_error(o, r.status, 415, "unsupported_media_type", NULL, types[i] ? types[i] : "none"));
        cJSON_Delete(o);
        http_resp_free(&r);
    }
    free(t);
    cJSON_Delete(body);
    igcd_term(&p, 5000);
    rm_tmp(db);
    unlink(log);
}

/* The screens: a CSP without inline script or style, no framing, no referrer;
 * and the files themselves carry no inline script or style to need one. */
TEST(screens_security_headers) {
    char db[PATH_MAX], log[PATH_MAX + 16];
    REQUIRE(make_tmpdir(db, "db") == 0);
    snprintf(log, sizeof log, "%s.log", db);
    igcd_proc p;
    const char *extra[] = {"--no-rules", NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    http_resp r;
    char v[1024];
    REQUIRE(http_req(p.port, "GET", "/", NULL, NULL, 0, &r) == 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK(http_header(&r, "Content-Security-Policy", v, sizeof v) == 0 && strstr(v, "frame-ancestors 'none'") &&
          strstr(v, "script-src 'self'") && !strstr(v, "unsafe-inline") && !strstr(v, "unsafe-eval"));
    CHECK(http_header(&r, "Referrer-Policy", v, sizeof v) == 0 && !strcmp(v, "no-referrer"));
    CHECK(http_header(&r, "X-Content-Type-Options", v, sizeof v) == 0 && !strcmp(v, "nosniff"));
    CHECK(http_header(&r, "X-Frame-Options", v, sizeof v) == 0 && !strcmp(v, "DENY"));
    /* no inline script or style in the page */
    for (const char *s = r.body; (s = strstr(s, "<script")) != NULL; s++) {
        char tag[256];
        snprintf(tag, sizeof tag, "%.*s", (int)strcspn(s, ">"), s);
        CHECK(strstr(tag, "src=") != NULL);
    }
    CHECK(!strstr(r.body, "<style") && !strstr(r.body, " style=") && !strstr(r.body, " onclick="));
    http_resp_free(&r);
    REQUIRE(http_req(p.port, "GET", "/api/v1/taxonomy", NULL, NULL, 0, &r) == 0);
    CHECK(http_header(&r, "X-Content-Type-Options", v, sizeof v) == 0 && !strcmp(v, "nosniff"));
    CHECK(http_header(&r, "Content-Security-Policy", v, sizeof v) == 0 && strstr(v, "default-src 'none'"));
    http_resp_free(&r);
    igcd_term(&p, 5000);
    rm_tmp(db);
    unlink(log);
}

/* JSON a lenient parser would take: a NUL escape cutting a field, a key twice. */
TEST(strict_json_bodies) {
    char db[PATH_MAX], log[PATH_MAX + 16];
    REQUIRE(make_tmpdir(db, "db") == 0);
    snprintf(log, sizeof log, "%s.log", db);
    igcd_proc p;
    const char *extra[] = {"--no-rules", NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    cJSON *body = classify_body(135792468);
    REQUIRE(body);
    char *t = cJSON_PrintUnformatted(body);
    int st;
    cJSON *o = http_post_json(p.port, "/api/v1/classify", t, &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    /* "main_product":"X\u0000 ..." : the product would be read as "X" */
    igc_buf b = {0};
    const char *mp = strstr(t, "\"main_product\":\"");
    REQUIRE(mp);
    mp += strlen("\"main_product\":\"");
    igc_buf_append(&b, t, (size_t)(mp - t));
    igc_buf_puts(&b, "X\\u0000");
    igc_buf_puts(&b, mp);
    o = http_post_json(p.port, "/api/v1/classify", b.data, &st);
    CHECK(check_error(o, st, 400, "nul_in_string", NULL, "NUL escape"));
    cJSON_Delete(o);
    igc_buf_free(&b);
    /* the escaped backslash before u0000 is text, not a NUL */
    igc_buf_append(&b, t, (size_t)(mp - t));
    igc_buf_puts(&b, "X\\\\u0000");
    igc_buf_puts(&b, mp);
    o = http_post_json(p.port, "/api/v1/classify", b.data, &st);
    CHECK_EQ_INT(st, 200);
    cJSON_Delete(o);
    igc_buf_free(&b);
    /* "tech" twice: which one counts would be arbitrary */
    const char *te = strstr(t, "\"tech\":");
    REQUIRE(te);
    igc_buf_append(&b, t, (size_t)(te - t));
    igc_buf_puts(&b, "\"tech\":{\"ksic_code\":\"01110\"},");
    igc_buf_puts(&b, te);
    o = http_post_json(p.port, "/api/v1/classify", b.data, &st);
    CHECK(check_error(o, st, 400, "duplicate_key", NULL, "duplicate tech"));
    cJSON_Delete(o);
    igc_buf_free(&b);
    /* a key twice inside company, spelled once with an escape */
    const char *nm = strstr(t, "\"name\":");
    REQUIRE(nm);
    igc_buf_append(&b, t, (size_t)(nm - t));
    igc_buf_puts(&b, "\"n\\u0061me\":\"다른 회사\",");
    igc_buf_puts(&b, nm);
    o = http_post_json(p.port, "/api/v1/classify", b.data, &st);
    CHECK(check_error(o, st, 400, "duplicate_key", NULL, "duplicate escaped name"));
    cJSON_Delete(o);
    igc_buf_free(&b);
    free(t);
    cJSON_Delete(body);
    igcd_term(&p, 5000);
    rm_tmp(db);
    unlink(log);
}

IGC_TEST_MAIN(TEST_ENTRY(hostile_rule_does_not_stall), TEST_ENTRY(hostile_reload_does_not_stall),
              TEST_ENTRY(one_client_cannot_take_every_slot), TEST_ENTRY(request_rate_limit),
              TEST_ENTRY(host_origin_and_content_type), TEST_ENTRY(screens_security_headers),
              TEST_ENTRY(strict_json_bodies))
