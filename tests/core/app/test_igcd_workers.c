/*
 * Work off the event loop (docs/architecture.md, "Threads"): classifications run
 * on the thread pool while the loop answers other requests, with the same answers;
 * saves and the engine's refit after them leave the loop free too.
 *
 * Wall-clock times on a shared machine are noisy, so the tests measure the CPU time
 * of igcd's main thread (the loop's) against the whole process's.
 */
#include "app_test_util.h"

#include <dirent.h>
#include <pthread.h>

#include "igc_store.h"
#include "igc_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOW 8.0
#else
#define SLOW 1.0
#endif

/* A fresh store folder, and beside it the path of igcd's log. */
static int fresh_store(char db[PATH_MAX], char log[PATH_MAX]) {
    if (make_tmpdir(db, "db")) return -1;
    snprintf(log, PATH_MAX, "%.4000s.log", db);
    return 0;
}

/* A copy of the shipped rules plus one that spends most of its instruction budget
 * on every classification: a slow-ish classification (tens of ms). */
static int slow_rules(char out[PATH_MAX]) {
    int rc = rules_copy(out);
    const char *slow = "rule{ id='slow', description='느린 규칙', apply=function(ctx)\n"
                       "  if (ctx.company.name or '') == '' then return end -- the rule tests give no company\n"
                       "  local s = string.rep('a', 160)\n"
                       "  if s:find('.-.-.-b') then ctx:needs_review('b') end\n"
                       "end }\n";
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/slow.lua", out);
    return rc || write_text(p, slow, strlen(slow));
}

/* The answer without what differs from call to call. */
static char *stable_answer(cJSON *o) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, "elapsed_ms");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "decision_id");
    return cJSON_PrintUnformatted(o);
}

typedef struct {
    int port, n, ok, same;
    const cJSON *req;
    const char *want;
} client;

static void *classify_client(void *arg) {
    client *c = arg;
    for (int i = 0; i < c->n; i++) {
        int st;
        cJSON *o = http_post_obj(c->port, "/api/v1/classify", c->req, &st);
        if (st == 200 && o) {
            c->ok++;
            char *s = stable_answer(o);
            c->same += s && strcmp(s, c->want) == 0;
            free(s);
        }
        cJSON_Delete(o);
    }
    return NULL;
}


/* Four clients classify at once: the loop's thread spends almost nothing on them
 * (before, it ran every classification: all of the process's CPU), /healthz is
 * answered beside them, and every answer equals the one given alone. */
TEST(classify_runs_off_the_loop) {
    char dir[PATH_MAX], db[PATH_MAX], log[PATH_MAX];
    REQUIRE(slow_rules(dir) == 0);
    REQUIRE(fresh_store(db, log) == 0);
    igcd_proc p;
    const char *extra[] = {"--rules", dir, NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    dev_row row;
    REQUIRE(dev_row_pick(0, &row) == 0);
    char brn[11];
    brn_make(123456789, brn);
    cJSON *req = dev_request(&row, brn, "홍길동");
    int st;
    cJSON *o = http_post_obj(p.port, "/api/v1/classify", req, &st);
    REQUIRE(st == 200 && o);
    char *want = stable_answer(o);
    cJSON_Delete(o);
    REQUIRE(want);

    enum { NC = 4, PER = 10 };
    client cl[NC];
    pthread_t th[NC], pt;
    prober pr = {.port = p.port, .every_ms = 5};
    double loop0 = proc_cpu_ms(p.pid, p.pid), all0 = proc_cpu_ms(p.pid, 0);
    REQUIRE(pthread_create(&pt, NULL, probe_loop, &pr) == 0);
    for (int i = 0; i < NC; i++) {
        cl[i] = (client){.port = p.port, .n = PER, .req = req, .want = want};
        REQUIRE(pthread_create(&th[i], NULL, classify_client, &cl[i]) == 0);
    }
    int ok = 0, same = 0;
    for (int i = 0; i < NC; i++) {
        pthread_join(th[i], NULL);
        ok += cl[i].ok;
        same += cl[i].same;
    }
    pr.stop = 1;
    pthread_join(pt, NULL);
    double loop = proc_cpu_ms(p.pid, p.pid) - loop0, all = proc_cpu_ms(p.pid, 0) - all0;
    fprintf(stderr, "  %d classifications from %d clients: process CPU %.0f ms, loop thread %.0f ms; /healthz beside "
                    "them: slowest %.1f ms of %d\n", NC * PER, NC, all, loop, pr.max_ms, pr.n);
    CHECK_EQ_INT(ok, NC * PER);
    CHECK_EQ_INT(same, NC * PER);
    CHECK_EQ_INT(pr.failed, 0);
    /* the classifications cost real CPU, and the loop's thread did little of it */
    CHECK(all >= 100);
    CHECK(loop >= 0 && loop < all * 0.25);
    CHECK(pr.max_ms < 250.0 * SLOW);
    free(want);
    cJSON_Delete(req);
    CHECK_EQ_INT(igcd_term(&p, 10000), 0);
    rm_tmp(db);
    rm_tmp(dir);
    unlink(log);
}


/* A store of n past judgments: the history rows repeated under new uids, imported
 * with igc history import. */
static int big_store(const char *db, size_t n) {
    char src[PATH_MAX], rows[PATH_MAX + 16], log[PATH_MAX + 16];
    snprintf(src, sizeof src, "%s/labeled/history.csv", igc_test_data_dir());
    snprintf(rows, sizeof rows, "%s.csv", db);
    snprintf(log, sizeof log, "%s.import.log", db);
    igc_csv *c;
    if (igc_csv_open(src, &c)) return -1;
    FILE *out = fopen(rows, "w");
    char **f;
    size_t nf, nhead = 0, nrow = 0;
    /* the header, then every row with its uid made unique, n rows in all */
    cJSON *body = cJSON_CreateArray();
    while (out && igc_csv_next(c, &f, &nf) == 1) {
        cJSON *r = cJSON_CreateArray();
        for (size_t i = 0; i < nf; i++) cJSON_AddItemToArray(r, cJSON_CreateString(f[i]));
        cJSON_AddItemToArray(body, r);
        if (!nhead) nhead = nf;
    }
    igc_csv_close(c);
    int rows_in = cJSON_GetArraySize(body);
    for (size_t k = 0; out && rows_in > 1 && nrow <= n; k++) {
        const cJSON *r = cJSON_GetArrayItem(body, k == 0 ? 0 : (int)(1 + (k - 1) % (size_t)(rows_in - 1)));
        const cJSON *v;
        int col = 0;
        cJSON_ArrayForEach(v, r) {
            if (col++) fputc(',', out);
            fputc('"', out);
            for (const char *p = v->valuestring; *p; p++) {
                if (*p == '"') fputc('"', out);
                fputc(*p, out);
            }
            if (k && col == 1) fprintf(out, "-%zu", k);
            fputc('"', out);
        }
        fputc('\n', out);
        nrow++;
    }
    cJSON_Delete(body);
    if (!out || fclose(out)) return -1;
    const char *argv[] = {IGC_BIN, "--db", db, "--data", igc_test_data_dir(), "--model", "none", "--params", "none",
                          "history", "import", rows, NULL};
    int rc = run_wait((char *const *)argv, NULL, log, log);
    unlink(rows);
    unlink(log);
    return rc;
}

/* Each save makes the next sync refit the engine (0.6 s at 100,000 past judgments):
 * at a store of 30,000 the refits of three saves run off the loop's thread (before,
 * each took the loop for its whole length), and /healthz is answered meanwhile. */
TEST(refit_after_saves_runs_off_the_loop) {
    char db[PATH_MAX], log[PATH_MAX];
    REQUIRE(fresh_store(db, log) == 0);
    REQUIRE(big_store(db, 30000) == 0);
    igcd_proc p;
    REQUIRE(igcd_start_ex(&p, db, log, 1, NULL) == 0);
    dev_row row;
    REQUIRE(dev_row_pick(3, &row) == 0);
    prober pr = {.port = p.port, .every_ms = 50}; /* each answer costs the loop a little CPU too */
    pthread_t pt;
    sleep_ms(1500); /* the first sync after the start is done */
    double loop0 = proc_cpu_ms(p.pid, p.pid), all0 = proc_cpu_ms(p.pid, 0);
    REQUIRE(pthread_create(&pt, NULL, probe_loop, &pr) == 0);
    int saved = 0;
    for (int i = 0; i < 3; i++) {
        char brn[11];
        brn_make(200000000UL + (unsigned long)i * 7919, brn);
        cJSON *req = dev_request(&row, brn, "홍길동");
        int st;
        cJSON *res = http_post_obj(p.port, "/api/v1/classify", req, &st);
        const cJSON *top = cJSON_GetArrayItem(jget(res, "items"), 0);
        cJSON *j = cJSON_Duplicate(req, 1);
        cJSON_AddItemToObject(j, "result", cJSON_Duplicate(res, 1));
        cJSON_AddItemToObject(j, "chosen_item", jstr(top, "code") ? cJSON_CreateString(jstr(top, "code")) : cJSON_CreateNull());
        cJSON_AddStringToObject(j, "comment", "");
        cJSON *o = http_post_obj(p.port, "/api/v1/judgments", j, &st);
        saved += st == 201;
        cJSON_Delete(o);
        cJSON_Delete(j);
        cJSON_Delete(res);
        cJSON_Delete(req);
        sleep_ms(1500); /* the sync (every second) refits meanwhile */
    }
    pr.stop = 1;
    pthread_join(pt, NULL);
    double loop = proc_cpu_ms(p.pid, p.pid) - loop0, all = proc_cpu_ms(p.pid, 0) - all0;
    fprintf(stderr, "  3 saves at 30,000 past judgments: process CPU %.0f ms, loop thread %.0f ms; /healthz beside "
                    "them: slowest %.1f ms of %d\n", all, loop, pr.max_ms, pr.n);
    CHECK_EQ_INT(saved, 3);
    CHECK_EQ_INT(pr.failed, 0);
    /* three refits cost real CPU (over 100 ms at this size), and not on the loop's thread */
    CHECK(all - loop >= 100);
    /* the loop's own share (the saves' parsing, the answers, the probes) is a fraction of the
     * refits' (before, they were the loop's): a bound that holds on a loaded machine and under
     * the sanitizers, where both grow */
    CHECK(loop >= 0 && loop < 0.5 * (all - loop));
    CHECK(pr.max_ms < 100.0 * SLOW);
    CHECK_EQ_INT(igcd_term(&p, 10000), 0);
    rm_tmp(db);
    unlink(log);
}

/* The classify records of `igc audit export`, by decision_id: how many of ids are there,
 * each after the one before it (the log's order). */
static int audited(const char *db, char ids[][40], int n) {
    char out[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s.audit", db);
    const char *argv[] = {IGC_BIN, "--db", db, "audit", "export", NULL};
    if (run_wait((char *const *)argv, NULL, out, "/dev/null") != 0) return -1;
    size_t len;
    char *t = slurp(out, &len);
    int found = 0;
    for (const char *at = t; at && found < n && (at = strstr(at, ids[found])) != NULL;) found++;
    free(t);
    unlink(out);
    return found;
}

/* The store's write lock held from this process, as a save or an import holds it, with
 * a prober on igcd's /healthz beside it. */
typedef struct {
    igc_store *s;
    igc_store_txn *t;
    prober pr;
    pthread_t pt;
} lock_watch;

static int lock_watch_start(lock_watch *w, const char *db, int port) {
    memset(w, 0, sizeof *w);
    w->pr = (prober){.port = port, .every_ms = 10};
    if (igc_store_open(db, 0, &w->s)) return -1;
    if (igc_store_txn_begin(w->s, &w->t) || pthread_create(&w->pt, NULL, probe_loop, &w->pr)) {
        if (w->t) igc_store_txn_abort(w->t);
        igc_store_close(w->s);
        return -1;
    }
    return 0;
}

/* Stops the prober and frees the lock; the store stays open (w->s) for reads. */
static void lock_watch_stop(lock_watch *w) {
    w->pr.stop = 1;
    pthread_join(w->pt, NULL);
    igc_store_txn_abort(w->t);
}

/* The audit log is written on the pool: while another process holds the store's write
 * lock (as a save does, or a slow disk would), the queued classify records wait there
 * and the loop goes on answering (before, it waited in its once-a-second flush, and
 * under classify load printing the second's records cost it 14-24 ms each time). Once
 * the lock is free every record is written, in order, none lost. */
TEST(audit_writes_off_the_loop) {
    char db[PATH_MAX], log[PATH_MAX];
    REQUIRE(fresh_store(db, log) == 0);
    igcd_proc p;
    REQUIRE(igcd_start_ex(&p, db, log, 1, NULL) == 0);
    dev_row row;
    REQUIRE(dev_row_pick(1, &row) == 0);
    enum { N = 3 };
    char ids[N][40];
    lock_watch w; /* the write lock, held for 3 s */
    REQUIRE(lock_watch_start(&w, db, p.port) == 0);
    for (int i = 0; i < N; i++) {
        char brn[11];
        brn_make(300000000UL + (unsigned long)i * 7919, brn);
        cJSON *req = dev_request(&row, brn, "홍길동");
        int st;
        cJSON *o = http_post_obj(p.port, "/api/v1/classify", req, &st);
        CHECK_EQ_INT(st, 200);
        snprintf(ids[i], sizeof ids[i], "%s", jstr(o, "decision_id") ? jstr(o, "decision_id") : "?");
        cJSON_Delete(o);
        cJSON_Delete(req);
        sleep_ms(1000); /* a flush comes between each */
    }
    lock_watch_stop(&w);
    igc_store_close(w.s);
    fprintf(stderr, "  /healthz while the store's write lock was held for 3 s: slowest %.1f ms of %d\n", w.pr.max_ms,
            w.pr.n);
    CHECK_EQ_INT(w.pr.failed, 0);
    CHECK(w.pr.n >= 50);
    CHECK(w.pr.max_ms < 1000.0); /* before, up to the 2-3 s the lock was held */
    sleep_ms(2500); /* the records reach the store at the next flushes */
    CHECK_EQ_INT(audited(db, ids, N), N);
    CHECK_EQ_INT(igcd_term(&p, 10000), 0);
    rm_tmp(db);
    unlink(log);
}

/* A change of policy while another process holds the store's write lock: the version
 * the service now uses (service.rules in the store's meta, which igc compares its own
 * with) is written with the audit records, off the loop. Before, the reload's answer
 * wrote it on the loop, and /healthz waited for the lock as long as it was held. */
TEST(policy_version_recorded_off_the_loop) {
    char db[PATH_MAX], log[PATH_MAX], dir[PATH_MAX];
    REQUIRE(fresh_store(db, log) == 0);
    REQUIRE(rules_copy(dir) == 0);
    igcd_proc p;
    const char *extra[] = {"--rules", dir, NULL};
    REQUIRE(igcd_start_ex(&p, db, log, 1, extra) == 0);
    REQUIRE(rules_touch(dir) == 0);
    lock_watch w; /* the write lock, held for 3 s */
    REQUIRE(lock_watch_start(&w, db, p.port) == 0);
    igc_store *s = w.s;
    char *before = NULL;
    CHECK(igc_store_meta_get(s, "service.rules", &before) == 0);
    int st;
    cJSON *o = http_post_json(p.port, "/api/v1/rules/reload", "", &st);
    CHECK_EQ_INT(st, 200);
    char now[128] = "";
    snprintf(now, sizeof now, "%s", jstr(o, "version") ? jstr(o, "version") : "");
    cJSON_Delete(o);
    sleep_ms(3000); /* two ticks */
    lock_watch_stop(&w);
    fprintf(stderr, "  /healthz while the store's write lock was held for 3 s after a rules change: slowest %.1f ms "
                    "of %d\n", w.pr.max_ms, w.pr.n);
    CHECK_EQ_INT(w.pr.failed, 0);
    CHECK(w.pr.max_ms < 1000.0); /* before, until the lock was free */
    CHECK(*now && before && strcmp(now, before) != 0);
    /* once the lock is free, the next tick records it */
    char *after = NULL;
    for (int i = 0; i < 40; i++) {
        free(after);
        after = NULL;
        if (igc_store_meta_get(s, "service.rules", &after) == 0 && strcmp(after, now) == 0) break;
        sleep_ms(100);
    }
    CHECK(after && strcmp(after, now) == 0);
    free(after);
    free(before);
    igc_store_close(s);
    CHECK_EQ_INT(igcd_term(&p, 10000), 0);
    rm_tmp(db);
    rm_tmp(dir);
    unlink(log);
}

/* The nice value (field 19) and scheduling policy (field 41) of thread tid of process
 * pid. */
static int thread_sched(int pid, int tid, int *nice, int *policy) {
    long v[23]; /* fields 19..41 */
    if (proc_stat_fields(pid, tid, 19, 23, v)) return -1;
    *nice = (int)v[0];
    *policy = (int)v[22];
    return 0;
}

/* The pool's threads run below the loop's priority, so that under classify load the
 * loop is scheduled at once for /healthz and new requests: every pool thread (four at
 * least) is niced and marked as batch work (SCHED_BATCH, policy 3 on Linux); the
 * loop's thread is neither. */
TEST(pool_threads_yield_to_the_loop) {
    char db[PATH_MAX], log[PATH_MAX];
    REQUIRE(fresh_store(db, log) == 0);
    igcd_proc p;
    REQUIRE(igcd_start_ex(&p, db, log, 0, NULL) == 0);
    int loop_nice = 99, loop_policy = 99, niced = 0, batch = 0, plain = 0;
    CHECK(thread_sched(p.pid, p.pid, &loop_nice, &loop_policy) == 0);
    CHECK_EQ_INT(loop_policy, 0); /* SCHED_OTHER */
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", p.pid);
    DIR *d = opendir(dir);
    REQUIRE(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        int tid = atoi(de->d_name), nv, pol;
        if (tid <= 0 || tid == p.pid || thread_sched(p.pid, tid, &nv, &pol)) continue;
        if (nv > loop_nice) {
            niced++;
            batch += pol == 3;
        } else {
            plain++;
        }
    }
    closedir(d);
    fprintf(stderr, "  loop nice %d, %d threads below it (%d of them batch), %d not\n", loop_nice, niced, batch,
            plain);
    CHECK(niced >= 4);
    CHECK_EQ_INT(batch, niced);
    CHECK_EQ_INT(igcd_term(&p, 10000), 0);
}

IGC_TEST_MAIN(TEST_ENTRY(classify_runs_off_the_loop), TEST_ENTRY(refit_after_saves_runs_off_the_loop),
              TEST_ENTRY(pool_threads_yield_to_the_loop), TEST_ENTRY(audit_writes_off_the_loop),
              TEST_ENTRY(policy_version_recorded_off_the_loop))
