/* igcd: the classification service. One process, one libuv loop for I/O (HTTP API
 * and web screens, the Lua rules' hot reload, timers) and libuv's thread pool for the
 * work (classifications, saves, the engine's refit): see docs/architecture.md. */
#define _GNU_SOURCE /* SCHED_BATCH (Linux) in <sched.h> */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include "igc_api.h"

/* How often the engine is brought up to date with the store (igc_app_sync_engine). */
#define SYNC_MS 1000

static uv_signal_t sig_int, sig_term;
static uv_timer_t sync_timer;
static igc_http_server *server;
static igc_app app;

/* The engine's sync (the store's new exemplars, the refit after saves: 0.6 s at
 * 100,000 past judgments) runs on the thread pool, one at a time; the audit queue,
 * the loop's, is written here. */
static uv_work_t sync_work;
static int sync_busy, sync_rc;
static size_t sync_added;

static void sync_work_cb(uv_work_t *w) {
    sync_added = 0;
    sync_rc = igc_app_sync_engine(&app, &sync_added);
    (void)w;
}

static void sync_done_cb(uv_work_t *w, int status) {
    sync_busy = 0;
    if (status == 0 && sync_rc) igc_log(IGC_LOG_WARN, "sync with the store: %s", igc_strerror(sync_rc));
    else if (status == 0 && sync_added) {
        igc_engine *e = igc_app_engine_ref(&app);
        igc_log(IGC_LOG_INFO, "%zu past judgments added to the store by another process are now exemplars (%zu in all)",
                sync_added, igc_engine_exemplar_count(e));
        igc_engine_unref(e);
    }
    (void)w;
}

/* The audit queue's records are written on the pool too, one batch at a time so that
 * they reach the log in order: a write waits for the store's write lock (held by a
 * save) and the disk, and printing a second's records (thousands under classify load)
 * took the loop 14-24 ms, once a second, in which nothing else was answered. */
static uv_work_t audit_work;
static igc_audit_batch audit_batch; /* the worker's while audit_busy; the loop's queues take what comes meanwhile */
static int audit_busy, audit_rc;

/* Freed here when written: a second's records are tens of thousands of blocks. */
static void audit_work_cb(uv_work_t *w) {
    audit_rc = igc_app_audit_write(&app, &audit_batch);
    if (audit_rc == 0) igc_audit_batch_free(&audit_batch);
    (void)w;
}

static void audit_done_cb(uv_work_t *w, int status) {
    (void)w;
    igc_app_audit_putback(&app, &audit_batch, status ? IGC_ESTATE : audit_rc);
    audit_busy = 0;
}

static void on_sync(uv_timer_t *t) {
    if (!sync_busy && uv_queue_work(t->loop, &sync_work, sync_work_cb, sync_done_cb) == 0) sync_busy = 1;
    if (!app.store) return;
    igc_app_audit_policy(&app, NULL);
    if (audit_busy || !igc_app_audit_take(&app, &audit_batch)) return;
    if (uv_queue_work(t->loop, &audit_work, audit_work_cb, audit_done_cb) == 0) audit_busy = 1;
    else igc_app_audit_putback(&app, &audit_batch, IGC_ESTATE);
}

static void on_signal(uv_signal_t *h, int signum) {
    igc_log(IGC_LOG_INFO, "signal %d: shutting down", signum);
    igc_http_server_stop(server);
    server = NULL;
    uv_timer_stop(&sync_timer);
    uv_close((uv_handle_t *)&sync_timer, NULL);
    /* the rules watcher is the last handle that keeps the loop alive */
    if (app.rules) igc_rules_close(app.rules);
    app.rules = NULL;
    if (app.programmes) igc_rules_close(app.programmes);
    app.programmes = NULL;
    igc_app_lexicon_unwatch(&app);
    uv_signal_stop(&sig_int);
    uv_signal_stop(&sig_term);
    uv_close((uv_handle_t *)&sig_int, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
    (void)h;
}

static void close_walk(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* 1 when ADDR:PORT can only be reached from this computer. */
static int loopback(const char *listen) {
    return strncmp(listen, "127.", 4) == 0 || strncmp(listen, "[::1]:", 6) == 0 || strncmp(listen, "localhost:", 10) == 0;
}

/* Classifications run on libuv's thread pool, which reads UV_THREADPOOL_SIZE once,
 * when first used: unless the operator set it, one thread per core, at least 4: the
 * refit after saves (0.6 s at 100,000 past judgments) and a save waiting for it may
 * hold two threads, a rule reload a third, and classifications must still find one. */
static void size_thread_pool(void) {
    const char *v = getenv("UV_THREADPOOL_SIZE");
    if (v && *v) return;
    unsigned n = uv_available_parallelism();
    char buf[16];
    snprintf(buf, sizeof buf, "%u", n < 4 ? 4 : n > 1024 ? 1024 : n);
    setenv("UV_THREADPOOL_SIZE", buf, 1);
}

/* The pool's threads run at a lower priority than the event loop's (nice +POOL_NICE,
 * per thread on Linux): under classify load the loop, which only moves bytes, is
 * scheduled as soon as a request or /healthz arrives instead of waiting for a busy
 * core's time slice. They are also marked as batch work (SCHED_BATCH, which needs no
 * privilege): a worker handed a job does not preempt the thread running, and workers
 * keep a core for longer slices (bench/http.sh: more classifications per second and
 * a lower /healthz p99 under load, docs/evaluation.md). One job per thread, each held
 * at a barrier until all have started, so that every thread takes exactly one; done
 * before anything else uses the pool. */
#define POOL_NICE 5
static pthread_barrier_t pool_barrier;

static void pool_nice_cb(uv_work_t *w) {
    (void)w;
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
    if (errno == 0) setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), cur + POOL_NICE);
#ifdef SCHED_BATCH
    struct sched_param sp = {0}; /* a failure leaves the thread as it was: only slower to yield */
    (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
#endif
    pthread_barrier_wait(&pool_barrier);
}

static long pool_niced;

static void pool_nice_done(uv_work_t *w, int status) {
    (void)status;
    (void)w;
    pool_niced++;
}

static void lower_pool_priority(uv_loop_t *loop) {
    const char *v = getenv("UV_THREADPOOL_SIZE");
    long n = v ? strtol(v, NULL, 10) : 4;
    if (n < 1 || n > 1024 || pthread_barrier_init(&pool_barrier, NULL, (unsigned)n)) return;
    uv_work_t *w = calloc((size_t)n, sizeof *w);
    long queued = 0;
    for (long i = 0; w && i < n; i++) queued += uv_queue_work(loop, &w[i], pool_nice_cb, pool_nice_done) == 0;
    /* uv_queue_work fails only without a work callback; were a set partial, its jobs
     * would wait at the barrier for ever, so nothing is run unless all are queued */
    if (queued == n)
        while (pool_niced < n) uv_run(loop, UV_RUN_ONCE);
    else
        igc_log(IGC_LOG_WARN, "igcd: the worker threads keep the loop's priority");
    free(w);
}

int main(int argc, char **argv) {
    size_thread_pool();
    igc_config cfg;
    igc_config_init(&cfg);
    igc_buf err = {0};
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: igcd [options]\nserves the classification API and screens (default http://127.0.0.1:8080/)\n"
                   "options (environment variable in the second column):\n%s  %-20s %-22s %s\n", igc_config_help(),
                   "--no-rules", "", "answer without the Lua rules (evaluation only)");
            printf("  %-20s %-22s %s\n", "--no-lexicon", "IGC_LEXICON=0",
                   "answer without the index-term dictionary (evaluation only)");
            return 0;
        }
        if (strcmp(argv[i], "--no-rules") == 0) {
            cfg.no_rules = 1;
            i++;
            continue;
        }
        if (strcmp(argv[i], "--no-lexicon") == 0) {
            cfg.no_lexicon = 1;
            i++;
            continue;
        }
        int rc = igc_config_option(&cfg, argc, argv, &i, &err);
        if (rc < 0) {
            fprintf(stderr, "igcd: %s\n", err.data);
            return 2;
        }
        if (rc == 0) {
            fprintf(stderr, "igcd: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    int rc = igc_app_open(&app, &cfg, IGC_APP_STORE | IGC_APP_RULES | IGC_APP_EXEMPLARS | IGC_APP_DAEMON, &err);
    if (rc) {
        fprintf(stderr, "igcd: cannot start: %s\n", err.data ? err.data : igc_strerror(rc));
        igc_buf_free(&err);
        igc_app_close(&app);
        return 1;
    }
    igc_buf_free(&err);
    /* users in the store switch authentication on; without any, only this
     * computer may connect */
    size_t nusers = 0;
    if (igc_auth_active_users(app.store, &nusers)) {
        fprintf(stderr, "igcd: cannot read the users in the store\n");
        igc_app_close(&app);
        return 1;
    }
    app.auth_on = nusers > 0;
    if (!app.auth_on && !loopback(cfg.listen)) {
        fprintf(stderr, "igcd: 사용자가 없어 인증 없이(개방 모드) 실행되므로 이 컴퓨터 밖에서 접속할 수 있는 주소(%s)에서는 "
                        "시작하지 않습니다 / no users in the store: refusing to run open on %s; add one with "
                        "`igc users add NAME --role admin` or listen on 127.0.0.1\n",
                cfg.listen, cfg.listen);
        igc_app_close(&app);
        return 1;
    }
    if (app.auth_on)
        igc_log(IGC_LOG_INFO, "authentication on: %zu user(s); saves learnt on %s", nusers,
                strcmp(cfg.learn_from, "review") == 0 ? "a reviewer's confirmation" : "save");
    else
        igc_log(IGC_LOG_WARN, "RUNNING OPEN: no users in the store %s, so every request is allowed without "
                              "identity (loopback only); add users with `igc users add NAME --role ROLE` and restart",
                cfg.db_dir);
    /* the versions in force at start, in the store before the first request; later
     * changes go with the audit records, off the loop */
    igc_app_audit_policy(&app, NULL);
    (void)igc_app_audit_flush(&app); /* a failure is logged and kept for the next flush */
    uv_loop_t *loop = uv_default_loop();
    lower_pool_priority(loop);
    /* a revision activated before a restart is active again, and its unfinished
     * re-classification goes on */
    igc_app_revision_restore(&app);
    char job[32];
    igc_reclass_resume(&app, 1, 0, NULL, NULL, job);
    igc_http_router *router;
    if (igc_http_router_new(&router) || igc_api_register(router, &app)) {
        fprintf(stderr, "igcd: out of memory\n");
        return 1;
    }
    if (app.rules && igc_rules_watch(app.rules, loop))
        igc_log(IGC_LOG_WARN, "rules: cannot watch %s; use POST /api/v1/rules/reload", cfg.rules_dir);
    if (app.programmes && igc_rules_watch(app.programmes, loop))
        igc_log(IGC_LOG_WARN, "programmes: cannot watch %s; use POST /api/v1/programmes/reload", cfg.programmes_dir);
    if (igc_app_lexicon_watch(&app, loop))
        igc_log(IGC_LOG_WARN, "lexicon: cannot watch %s; use POST /api/v1/lexicon/reload", app.cfg.lexicon_dir);
    igc_http_config hc = {.listen = cfg.listen,
                          .max_body_bytes = cfg.max_body,
                          .large_body_path = IGC_API_REVISIONS_PATH,
                          .large_body_bytes = cfg.max_revision_body,
                          .max_connections = cfg.max_connections,
                          .max_conn_per_client = cfg.max_conn_per_client,
                          .rate_per_client = cfg.rate_limit ? (double)cfg.rate_limit : -1.0,
                          .rate_burst = (unsigned)(cfg.rate_burst > 1000000 ? 1000000 : cfg.rate_burst),
                          .hostnames = cfg.hostnames};
    rc = igc_http_server_start(loop, &hc, igc_http_router_dispatch, router, &server);
    if (rc) {
        if (rc == IGC_EEXIST)
            fprintf(stderr, "igcd: cannot listen on %s: 이미 다른 프로그램(실행 중인 igcd 등)이 이 주소를 쓰고 있습니다 / "
                            "the address is already in use (another igcd running?); stop it or pass --listen\n",
                    cfg.listen);
        else
            fprintf(stderr, "igcd: cannot listen on %s: %s\n", cfg.listen, igc_strerror(rc));
        igc_app_lexicon_unwatch(&app);
        uv_run(loop, UV_RUN_NOWAIT);
        igc_http_router_free(router);
        igc_app_close(&app);
        return 1;
    }
    uv_signal_init(loop, &sig_int);
    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_timer_init(loop, &sync_timer);
    uv_timer_start(&sync_timer, on_sync, SYNC_MS, SYNC_MS);
    igc_log(IGC_LOG_INFO, "igcd %s listening on http://%s/ (taxonomy %s, %zu exemplars, engine %s, index %s)",
            IGC_VERSION, cfg.listen, igc_engine_taxonomy(app.engine)->version, igc_engine_exemplar_count(app.engine),
            igc_engine_version(app.engine), igc_engine_index_desc(app.engine));
    /* the engine learns from past judgments: without them it answers, but far worse */
    if (igc_engine_exemplar_count(app.engine) == 0)
        igc_log(IGC_LOG_WARN,
                "NO PAST JUDGMENTS in the store %s: accuracy is much lower until they are imported; run "
                "`igc --db %s history import %s/labeled/history.csv` (this server picks them up within a second)",
                cfg.db_dir, cfg.db_dir, cfg.data_dir);
    uv_run(loop, UV_RUN_DEFAULT);
    /* the rules watcher closes with the manager; close whatever else remains */
    if (app.rules) igc_rules_close(app.rules);
    app.rules = NULL;
    if (app.programmes) igc_rules_close(app.programmes);
    app.programmes = NULL;
    uv_walk(loop, close_walk, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    igc_http_router_free(router);
    igc_app_close(&app);
    igc_log(IGC_LOG_INFO, "igcd stopped");
    return 0;
}
