/*
 * Helpers for the end-to-end tests of igcd and igc: run the real binaries as
 * child processes (igcd on a free port with a fresh store), a minimal blocking
 * HTTP/1.1 client, and request bodies built from rows of the shared data files.
 * Header-only (static functions) so each test executable stays one file.
 */
#ifndef APP_TEST_UTIL_H
#define APP_TEST_UTIL_H

#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#endif

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "igc_base.h"
#include "igc_test.h"

#ifndef IGCD_BIN
#error "IGCD_BIN must be defined by CMake"
#endif

/* ASan builds start and answer more slowly. */
#define READY_TIMEOUT_MS 60000
#define IO_TIMEOUT_S 60

static inline double ms_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static inline void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

/* ---- temp directories ---- */

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static inline void rm_rf(const char *dir) {
    if (dir && *dir) nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes a test's temporary directory unless IGC_TEST_KEEP is set (to read the logs). */
static inline void rm_tmp(const char *dir) {
    if (!dir || !*dir) return;
    if (getenv("IGC_TEST_KEEP")) fprintf(stderr, "kept %s\n", dir);
    else rm_rf(dir);
}

/* A fresh directory under $TMPDIR (or /tmp); out gets its path. */
static inline int make_tmpdir(char out[PATH_MAX], const char *tag) {
    const char *t = getenv("TMPDIR");
    snprintf(out, PATH_MAX, "%s/igc-%s-XXXXXX", t && *t ? t : "/tmp", tag);
    return mkdtemp(out) ? 0 : -1;
}

static inline char *slurp(const char *path, size_t *len) {
    char *d = NULL;
    size_t n = 0;
    if (igc_read_file(path, &d, &n)) return NULL;
    if (len) *len = n;
    return d;
}

static inline int write_text(const char *path, const char *s, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(s, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* ---- HTTP client ---- */

typedef struct {
    int status;      /* 0 when no response could be read */
    char *head;      /* status line and headers, NUL-terminated */
    char *body;      /* NUL-terminated */
    size_t body_len;
} http_resp;

static inline void http_resp_free(http_resp *r) {
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Value of a response header (case-insensitive name) into out; 0 when found. */
static inline int http_header(const http_resp *r, const char *name, char *out, size_t outsz) {
    if (!r->head) return -1;
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *l = p + 2;
        if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ') v++;
            size_t n = strcspn(v, "\r\n");
            if (n >= outsz) n = outsz - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
    }
    return -1;
}

static inline int connect_port(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* Decodes a chunked body in place; returns the decoded length or -1. */
static inline long dechunk(char *b, size_t n) {
    size_t in = 0, out = 0;
    for (;;) {
        char *end;
        if (in >= n) return -1;
        unsigned long sz = strtoul(b + in, &end, 16);
        char *crlf = strstr(b + in, "\r\n");
        if (!crlf || end == b + in) return -1;
        in = (size_t)(crlf - b) + 2;
        if (sz == 0) break;
        if (in + sz > n) return -1;
        memmove(b + out, b + in, sz);
        out += sz, in += sz + 2;
    }
    b[out] = '\0';
    return (long)out;
}

/* Sends raw request bytes and reads the whole response (the request must ask
 * for Connection: close). Returns 0 when a status line was read. */
static inline int http_raw(int port, const char *req, size_t reqlen, http_resp *out) {
    memset(out, 0, sizeof *out);
    int fd = connect_port(port);
    if (fd < 0) return -1;
    if (send_all(fd, req, reqlen)) {
        /* the server may answer (413) and close before reading everything */
        shutdown(fd, SHUT_WR);
    }
    igc_buf b = {0};
    char tmp[16384];
    for (;;) {
        ssize_t r = recv(fd, tmp, sizeof tmp, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        igc_buf_append(&b, tmp, (size_t)r);
    }
    close(fd);
    if (!b.data) return -1;
    char *sep = strstr(b.data, "\r\n\r\n");
    if (!sep || strncmp(b.data, "HTTP/1.1 ", 9) != 0) {
        igc_buf_free(&b);
        return -1;
    }
    size_t hl = (size_t)(sep - b.data);
    out->head = malloc(hl + 3);
    memcpy(out->head, b.data, hl + 2);
    out->head[hl + 2] = '\0';
    out->status = atoi(b.data + 9);
    size_t bl = b.len - hl - 4;
    out->body = malloc(bl + 1);
    memcpy(out->body, sep + 4, bl);
    out->body[bl] = '\0';
    out->body_len = bl;
    igc_buf_free(&b);
    char v[64];
    if (http_header(out, "Transfer-Encoding", v, sizeof v) == 0 && strstr(v, "chunked")) {
        long n = dechunk(out->body, out->body_len);
        if (n < 0) return -1;
        out->body_len = (size_t)n;
    } else if (http_header(out, "Content-Length", v, sizeof v) == 0) {
        size_t cl = strtoul(v, NULL, 10);
        if (cl < out->body_len) out->body_len = cl, out->body[cl] = '\0';
    }
    return 0;
}

/* One request; ctype NULL sends no Content-Type header. */
static inline int http_req(int port, const char *method, const char *path, const char *ctype, const char *body,
                           size_t len, http_resp *out) {
    igc_buf rq = {0};
    igc_buf_printf(&rq, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", method, path, port);
    if (ctype) igc_buf_printf(&rq, "Content-Type: %s\r\n", ctype);
    if (body) igc_buf_printf(&rq, "Content-Length: %zu\r\n", len);
    igc_buf_puts(&rq, "\r\n");
    if (body) igc_buf_append(&rq, body, len);
    int rc = http_raw(port, rq.data, rq.len, out);
    igc_buf_free(&rq);
    return rc;
}

/* GET returning the parsed JSON body (NULL if none); *status gets the code. */
static inline cJSON *http_get_json(int port, const char *path, int *status) {
    http_resp r;
    *status = 0;
    if (http_req(port, "GET", path, NULL, NULL, 0, &r)) return NULL;
    *status = r.status;
    cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
    http_resp_free(&r);
    return o;
}

/* Fields first..first+n-1 (numbered as in proc(5), 4 or more) of /proc/PID/task/TID/stat
 * or, with tid 0, /proc/PID/stat, into v; -1 when unknown. */
static inline int proc_stat_fields(pid_t pid, pid_t tid, int first, int n, long *v) {
    char path[64], buf[1024];
    if (tid) snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    else snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *p = strrchr(buf, ')'); /* the name may hold spaces */
    if (!p) return -1;
    /* after the name, field 3 (the state) onwards, one per word */
    int field = 3, got = 0;
    for (char *save = NULL, *w = strtok_r(p + 1, " ", &save); w && got < n; w = strtok_r(NULL, " ", &save), field++)
        if (field >= first) v[got++] = strtol(w, NULL, 10);
    return got == n ? 0 : -1;
}

/* CPU time (ms, 10 ms resolution) of igcd's thread tid (tid == pid: the loop's) or,
 * with tid 0, of the whole process; -1 when unknown. */
static inline double proc_cpu_ms(pid_t pid, pid_t tid) {
    long v[2]; /* utime, stime: fields 14 and 15 */
    if (proc_stat_fields(pid, tid, 14, 2, v)) return -1;
    return (double)(v[0] + v[1]) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* A copy of the shipped rules in a fresh directory (out). */
static inline int rules_copy(char out[PATH_MAX]) {
    if (make_tmpdir(out, "rules")) return -1;
    DIR *d = opendir(IGC_TEST_SOURCE_DIR "/rules");
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".lua")) continue;
        char from[PATH_MAX * 2], to[PATH_MAX * 2];
        snprintf(from, sizeof from, "%s/rules/%s", IGC_TEST_SOURCE_DIR, e->d_name);
        snprintf(to, sizeof to, "%s/%s", out, e->d_name);
        size_t len;
        char *t = slurp(from, &len);
        if (!t || write_text(to, t, len)) {
            free(t);
            closedir(d);
            return -1;
        }
        free(t);
    }
    closedir(d);
    return 0;
}

/* A change of policy that changes no verdict: a comment appended to dir's
 * compounds.lua, so the rules' version differs from the shipped one. */
static inline int rules_touch(const char *dir) {
    char f[PATH_MAX + 32];
    snprintf(f, sizeof f, "%.4000s/compounds.lua", dir);
    FILE *fp = fopen(f, "a");
    if (!fp) return -1;
    fputs("\n-- 정책 변경 시험\n", fp);
    return fclose(fp) ? -1 : 0;
}

/* A thread watching the event loop: GET /healthz every every_ms (10 when 0) until
 * stop, counting answers and failures and keeping the slowest. */
typedef struct {
    int port, every_ms;
    volatile int stop;
    double max_ms;
    int n, failed;
} prober;

static inline void *probe_loop(void *arg) {
    prober *p = arg;
    while (!p->stop) {
        double t0 = ms_now();
        int st;
        cJSON *o = http_get_json(p->port, "/healthz", &st);
        double ms = ms_now() - t0;
        cJSON_Delete(o);
        if (st != 200) p->failed++;
        if (ms > p->max_ms) p->max_ms = ms;
        p->n++;
        sleep_ms(p->every_ms ? p->every_ms : 10);
    }
    return NULL;
}

/* POST of a JSON text; returns the parsed body and sets *status. */
static inline cJSON *http_post_json(int port, const char *path, const char *json, int *status) {
    http_resp r;
    *status = 0;
    if (http_req(port, "POST", path, "application/json", json, strlen(json), &r)) return NULL;
    *status = r.status;
    cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
    http_resp_free(&r);
    return o;
}

static inline cJSON *http_post_obj(int port, const char *path, const cJSON *o, int *status) {
    char *t = cJSON_PrintUnformatted(o);
    cJSON *r = http_post_json(port, path, t, status);
    free(t);
    return r;
}

/* ---- JSON helpers ---- */

static inline const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline double jnum(const cJSON *o, const char *k, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static inline const cJSON *jget(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* 1 if the JSON array arr holds the string s. */
static inline int jarr_has(const cJSON *arr, const char *s) {
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0) return 1;
    return 0;
}

/* ---- igcd as a child process ---- */

typedef struct {
    pid_t pid;
    int port;
    char db[PATH_MAX];
    char log[PATH_MAX];
} igcd_proc;

static inline int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* Forks and execs argv with stdout and stderr appended to log (NULL: /dev/null)
 * and stdout to out_path when given; cwd NULL keeps ours. */
static inline pid_t spawn(char *const argv[], const char *cwd, const char *out_path, const char *err_path) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    int nul = open("/dev/null", O_RDWR);
    dup2(nul, 0);
    int o = out_path ? open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600) : nul;
    int e = err_path ? open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600) : nul;
    if (o < 0 || e < 0) _exit(126);
    dup2(o, 1);
    dup2(e, 2);
    if (cwd && chdir(cwd)) _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

/* Runs a command to completion; returns its exit status (128+sig if killed). */
static inline int run_wait(char *const argv[], const char *cwd, const char *out_path, const char *err_path) {
    pid_t pid = spawn(argv, cwd, out_path, err_path);
    if (pid < 0) return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline void igcd_dump_log(const igcd_proc *p) {
    size_t n;
    char *t = slurp(p->log, &n);
    if (!t) return;
    const char *s = n > 6000 ? t + n - 6000 : t;
    fprintf(stderr, "  ---- igcd log (%s), last part ----\n%s  ----\n", p->log, s);
    free(t);
}

/* Every igcd this process started, so none outlives a test that stopped early. */
static pid_t started_[64];
static int nstarted_;

static void kill_started_(void) {
    for (int i = 0; i < nstarted_; i++)
        if (started_[i] > 0 && kill(started_[i], SIGKILL) == 0) waitpid(started_[i], NULL, 0);
}

/* Called once a child has been reaped: its pid may be reused by then. */
static inline void forget_pid_(pid_t pid) {
    for (int i = 0; i < nstarted_; i++)
        if (started_[i] == pid) started_[i] = 0;
}

static inline void remember_pid_(pid_t pid) {
    if (nstarted_ == 0) atexit(kill_started_);
    if (nstarted_ < 64) started_[nstarted_++] = pid;
}

static inline void igcd_kill(igcd_proc *p) {
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {}
        forget_pid_(p->pid);
    }
    p->pid = 0;
}

/* Waits for GET /readyz to say 200; 0 when ready, -1 if igcd died or never got ready. */
static inline int igcd_wait_ready(igcd_proc *p) {
    double t0 = ms_now();
    while (ms_now() - t0 < READY_TIMEOUT_MS) {
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            forget_pid_(p->pid);
            p->pid = 0;
            return -1;
        }
        http_resp r;
        if (http_req(p->port, "GET", "/readyz", NULL, NULL, 0, &r) == 0) {
            int s = r.status;
            http_resp_free(&r);
            if (s == 200) return 0;
        }
        sleep_ms(20);
    }
    return -1;
}

/* Starts igcd on a free port over db with the lexical engine unless extra
 * names --model itself. extra: NULL-terminated additional arguments. The log
 * (stderr+stdout) goes to log_path, appended. Retries when the port is taken. */
static inline int igcd_start_ex(igcd_proc *p, const char *db, const char *log_path, int lexical,
                                const char *const *extra) {
    memset(p, 0, sizeof *p);
    snprintf(p->db, sizeof p->db, "%s", db);
    snprintf(p->log, sizeof p->log, "%s", log_path);
    for (int attempt = 0; attempt < 5; attempt++) {
        p->port = free_port();
        char listen[64];
        snprintf(listen, sizeof listen, "127.0.0.1:%d", p->port);
        const char *argv[40];
        int n = 0;
        argv[n++] = IGCD_BIN;
        argv[n++] = "--listen", argv[n++] = listen;
        argv[n++] = "--db", argv[n++] = db;
        argv[n++] = "--data", argv[n++] = igc_test_data_dir();
        argv[n++] = "--rules", argv[n++] = IGC_TEST_SOURCE_DIR "/rules";
        char lexdir[PATH_MAX + 16]; /* the staff's lexicon copy, seeded beside the store */
        snprintf(lexdir, sizeof lexdir, "%s-lexicon", db);
        argv[n++] = "--lexicon-dir", argv[n++] = lexdir;
        /* the suites send hundreds of requests a second from one address; the
         * limit itself is tested with its own values (test_igcd_containment) */
        argv[n++] = "--rate-limit", argv[n++] = "0";
        if (lexical) argv[n++] = "--model", argv[n++] = "none", argv[n++] = "--params", argv[n++] = "none";
        for (int i = 0; extra && extra[i] && n < 38; i++) argv[n++] = extra[i];
        argv[n] = NULL;
        p->pid = spawn((char *const *)argv, NULL, log_path, log_path);
        if (p->pid < 0) return -1;
        remember_pid_(p->pid);
        if (igcd_wait_ready(p) == 0) return 0;
        igcd_kill(p);
        size_t ln;
        char *t = slurp(log_path, &ln);
        int port_taken = t && strstr(t, "cannot listen");
        free(t);
        if (!port_taken) break;
    }
    igcd_dump_log(p);
    return -1;
}

static inline int igcd_start(igcd_proc *p, const char *db, const char *log_path) {
    return igcd_start_ex(p, db, log_path, 1, NULL);
}


/* SIGTERM and wait up to ms; returns the exit status, or -1 when igcd had to
 * be killed because it did not stop in time. */
static inline int igcd_term(igcd_proc *p, int ms) {
    if (p->pid <= 0) return -1;
    kill(p->pid, SIGTERM);
    double t0 = ms_now();
    while (ms_now() - t0 < ms) {
        int st;
        pid_t w = waitpid(p->pid, &st, WNOHANG);
        if (w == p->pid) {
            forget_pid_(p->pid);
            p->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        sleep_ms(20);
    }
    igcd_kill(p);
    return -1;
}

/* ---- data for requests ---- */

/* 사업자등록번호 with a valid check digit from a 9-digit body. */
static inline void brn_make(unsigned long body9, char out[11]) {
    static const int w[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
    snprintf(out, 11, "%09lu", body9 % 1000000000UL);
    int sum = 0;
    for (int k = 0; k < 9; k++) sum += (out[k] - '0') * w[k];
    sum += ((out[8] - '0') * 5) / 10;
    out[9] = (char)('0' + (10 - sum % 10) % 10);
    out[10] = '\0';
}

/* The same number with a wrong check digit. */
static inline void brn_bad(unsigned long body9, char out[11]) {
    brn_make(body9, out);
    out[9] = (char)('0' + (out[9] - '0' + 1) % 10);
}

/* Today in Asia/Seoul (UTC+9, no DST), computed independently of igc_base. */
static inline void today_kst(char out[11]) {
    time_t t = time(NULL) + 9 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

typedef struct {
    char uid[32];
    char company[256];
    char ksic3[8];
    char ksic5[8];
    char ksic_name[256];
    char main_product[1024];
    char label1[16];
} dev_row;

/* First 5-digit KSIC-11 code under a 3-digit group, from ksic11_hierarchy.csv. */
static inline int ksic5_under(const char *grp3, char out[8]) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/ksic/ksic11_hierarchy.csv", igc_test_data_dir());
    igc_csv *c;
    if (igc_csv_open(path, &c)) return -1;
    char **f;
    size_t nf;
    int found = -1;
    if (igc_csv_next(c, &f, &nf) == 1) {
        int k5 = igc_csv_col(c, "ksic5"), g3 = igc_csv_col(c, "grp3");
        while (k5 >= 0 && g3 >= 0 && igc_csv_next(c, &f, &nf) == 1)
            if ((size_t)k5 < nf && (size_t)g3 < nf && strcmp(f[g3], grp3) == 0 && strlen(f[k5]) == 5) {
                snprintf(out, 8, "%s", f[k5]);
                found = 0;
                break;
            }
    }
    igc_csv_close(c);
    return found;
}

/* The skip-th row of labeled/dev.csv that has label1, a product and a 3-digit
 * KSIC group with a 5-digit code under it. */
static inline int dev_row_pick(int skip, dev_row *r) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/labeled/dev.csv", igc_test_data_dir());
    igc_csv *c;
    if (igc_csv_open(path, &c)) return -1;
    char **f;
    size_t nf;
    int rc = -1;
    if (igc_csv_next(c, &f, &nf) == 1) {
        int ci[6] = {igc_csv_col(c, "uid"),       igc_csv_col(c, "company"),      igc_csv_col(c, "ksic_code"),
                     igc_csv_col(c, "ksic_name"), igc_csv_col(c, "main_product"), igc_csv_col(c, "label1")};
        for (int i = 0; i < 6; i++)
            if (ci[i] < 0) goto out;
        while (igc_csv_next(c, &f, &nf) == 1) {
            int ok = 1;
            for (int i = 0; i < 6; i++) ok &= (size_t)ci[i] < nf && f[ci[i]][0];
            if (!ok || strlen(f[ci[2]]) != 3 || strlen(f[ci[4]]) >= sizeof r->main_product) continue;
            memset(r, 0, sizeof *r);
            snprintf(r->ksic3, sizeof r->ksic3, "%s", f[ci[2]]);
            if (ksic5_under(r->ksic3, r->ksic5)) continue;
            if (skip-- > 0) continue;
            snprintf(r->uid, sizeof r->uid, "%s", f[ci[0]]);
            snprintf(r->company, sizeof r->company, "%s", f[ci[1]]);
            snprintf(r->ksic_name, sizeof r->ksic_name, "%s", f[ci[3]]);
            snprintf(r->main_product, sizeof r->main_product, "%s", f[ci[4]]);
            snprintf(r->label1, sizeof r->label1, "%s", f[ci[5]]);
            rc = 0;
            break;
        }
    }
out:
    igc_csv_close(c);
    return rc;
}

/* A complete classify request for a dev row, with the fields the CSV lacks. */
static inline cJSON *dev_request(const dev_row *r, const char *brn, const char *ceo) {
    cJSON *d = cJSON_CreateObject();
    cJSON *co = cJSON_AddObjectToObject(d, "company"), *te = cJSON_AddObjectToObject(d, "tech");
    cJSON_AddStringToObject(co, "name", r->company);
    cJSON_AddStringToObject(co, "brn", brn);
    cJSON_AddStringToObject(co, "ceo", ceo);
    cJSON_AddStringToObject(te, "ksic_code", r->ksic5);
    cJSON_AddStringToObject(te, "ksic_name", r->ksic_name);
    cJSON_AddStringToObject(te, "main_product", r->main_product);
    cJSON_AddStringToObject(te, "product_use", r->main_product);
    cJSON_AddStringToObject(te, "tech_business_name", r->main_product);
    cJSON_AddStringToObject(te, "tech_class", "EE0101");
    return d;
}

/* Checks an error body {error:{code, message (non-empty, Korean), fields}}:
 * the status, the code and, when field is given, that fields names it. */
static inline int check_error(const cJSON *body, int status, int want_status, const char *want_code,
                              const char *field, const char *what) {
    int ok = 1;
    const cJSON *e = body ? jget(body, "error") : NULL;
    const char *code = e ? jstr(e, "code") : NULL, *msg = e ? jstr(e, "message") : NULL;
    const cJSON *fields = e ? jget(e, "fields") : NULL;
    if (status != want_status || !code || strcmp(code, want_code) != 0) ok = 0;
    /* Korean: at least one Hangul syllable (UTF-8 lead bytes 0xEA..0xED) */
    int hangul = 0;
    for (const unsigned char *p = (const unsigned char *)(msg ? msg : ""); *p; p++)
        if (*p >= 0xEA && *p <= 0xED) hangul = 1;
    if (!msg || !*msg || !hangul || !cJSON_IsArray(fields)) ok = 0;
    if (field && (!fields || !jarr_has(fields, field))) ok = 0;
    if (!ok) {
        char *t = body ? cJSON_PrintUnformatted(body) : NULL;
        fprintf(stderr, "  case '%s': want %d %s%s%s, got %d %s\n", what, want_status, want_code,
                field ? " field " : "", field ? field : "", status, t ? t : "(no JSON body)");
        free(t);
    }
    return ok;
}

/* The trained model of this build, or NULL (said: the test is skipped) when the 'model'
 * target has not been built. */
static inline const char *test_model_or_skip(void) {
    static const char model[] = IGC_TEST_BINARY_DIR "/model/igc-embed.bin";
    struct stat sb;
    if (stat(model, &sb) == 0) return model;
    fprintf(stderr, "  skipped: %s does not exist (build the 'model' target to train it)\n", model);
    return NULL;
}

#endif
