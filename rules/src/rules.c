/*
 * The rules manager: holds the current good version, reloads (new state,
 * tests must pass, atomic swap), watches the directory and reports status.
 */
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

#define DEBOUNCE_MS 200

/* What the log calls a set of each kind, and its entries. */
static const char *kind_name(igc_rules_kind k) { return k == IGC_RULES_KIND_PROGRAMMES ? "programmes" : "rules"; }

typedef struct rules_watch {
    uv_fs_event_t ev;
    uv_timer_t timer;
    igc_rules *r; /* NULL once the manager is closed */
    int open_handles;
} rules_watch;

struct igc_rules {
    char *dir;
    igc_rules_kind kind;
    igc_rules_limits lim;
    pthread_mutex_t mu;        /* cur and the status fields */
    pthread_mutex_t reload_mu; /* one reload at a time */
    igc_rules_version *cur;
    char last_error[1024];
    char last_attempt_at[21];
    unsigned long reloads, failed_reloads;
    rules_watch *w;
    int inflight, closing; /* reloads queued on a loop; close waits for them (loop thread only) */
};

static void free_manager(igc_rules *r);

static void log_lines(int level, const char *prefix, const char *text) {
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        if (n > 0) igc_log(level, "%s%.*s", prefix, n, p);
        p = nl ? nl + 1 : NULL;
    }
}

int igc_rules_open(const char *dir, const igc_rules_limits *lim, igc_rules **out) {
    return igc_rules_open_kind(dir, IGC_RULES_KIND_POLICY, lim, out);
}

int igc_rules_open_kind(const char *dir, igc_rules_kind kind, const igc_rules_limits *lim, igc_rules **out) {
    if (!out) return IGC_EINVAL;
    *out = NULL;
    if (!dir || !*dir) return IGC_EINVAL;
    igc_rules *r = calloc(1, sizeof *r);
    if (!r) return IGC_ENOMEM;
    r->dir = igc_strdup(dir);
    if (!r->dir) {
        free(r);
        return IGC_ENOMEM;
    }
    if (lim) r->lim = *lim;
    r->kind = kind;
    igc_buf errors = {0};
    int failed, total;
    int rc = igc__rules_version_load(dir, kind, &r->lim, NULL, &errors, &failed, &total, &r->cur);
    if (rc) {
        igc_log(IGC_LOG_ERROR, "%s: cannot load %s (%s)", kind_name(kind), dir, igc_strerror(rc));
        log_lines(IGC_LOG_ERROR, kind == IGC_RULES_KIND_PROGRAMMES ? "programmes: " : "rules: ", errors.data);
        igc_buf_free(&errors);
        free(r->dir);
        free(r);
        return rc;
    }
    igc_buf_free(&errors);
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->reload_mu, NULL);
    igc_iso_now(r->last_attempt_at);
    igc_log(IGC_LOG_INFO, "%s: loaded %s version %s (%zu %s, %d tests passed)", kind_name(kind), dir, r->cur->id,
            r->cur->nrules, kind_name(kind), r->cur->tests_passed);
    *out = r;
    return 0;
}

static void watch_closed(uv_handle_t *h) {
    rules_watch *w = h->data;
    if (--w->open_handles == 0) free(w);
}

void igc_rules_close(igc_rules *r) {
    if (!r) return;
    if (r->w) {
        rules_watch *w = r->w;
        w->r = NULL;
        uv_fs_event_stop(&w->ev);
        uv_timer_stop(&w->timer);
        uv_close((uv_handle_t *)&w->ev, watch_closed);
        uv_close((uv_handle_t *)&w->timer, watch_closed);
    }
    r->w = NULL;
    if (r->inflight) { /* the last reload to come back frees it */
        r->closing = 1;
        return;
    }
    free_manager(r);
}

igc_rules_version *igc_rules_acquire(igc_rules *r) {
    if (!r) return NULL;
    pthread_mutex_lock(&r->mu);
    igc_rules_version *v = r->cur;
    atomic_fetch_add(&v->refs, 1);
    pthread_mutex_unlock(&r->mu);
    return v;
}

void igc_rules_release(igc_rules_version *v) {
    if (v && atomic_fetch_sub(&v->refs, 1) == 1) igc__rules_version_free(v);
}

const char *igc_rules_version_id(const igc_rules_version *v) { return v ? v->id : ""; }

/* Records the outcome of a load (rc, nv) started at `now`: swaps nv in when it
 * passed, else keeps the current version and records why. Takes nv. */
static int reload_commit(igc_rules *r, int rc, igc_rules_version *nv, const char *errors, int failed, int total,
                         const char *now, igc_buf *err) {
    if (rc) {
        const char *why = errors && *errors ? errors : igc_strerror(rc);
        pthread_mutex_lock(&r->mu);
        memcpy(r->last_attempt_at, now, 21);
        igc__rules_copy(r->last_error, sizeof r->last_error, why);
        size_t n = strlen(r->last_error);
        while (n && r->last_error[n - 1] == '\n') r->last_error[--n] = '\0';
        r->failed_reloads++;
        pthread_mutex_unlock(&r->mu);
        if (total)
            igc_log(IGC_LOG_ERROR, "%s: reload of %s refused, keeping version %s (%d of %d tests failed)",
                    kind_name(r->kind), r->dir, r->cur->id, failed, total);
        else
            igc_log(IGC_LOG_ERROR, "%s: reload of %s refused, keeping version %s (load error)", kind_name(r->kind),
                    r->dir, r->cur->id);
        log_lines(IGC_LOG_ERROR, r->kind == IGC_RULES_KIND_PROGRAMMES ? "programmes: " : "rules: ", why);
        if (err) igc_buf_puts(err, why);
        return rc == IGC_ENOMEM ? rc : IGC_ERULES;
    }
    pthread_mutex_lock(&r->mu);
    igc_rules_version *old = r->cur;
    r->cur = nv;
    memcpy(r->last_attempt_at, now, 21);
    r->last_error[0] = '\0';
    r->reloads++;
    pthread_mutex_unlock(&r->mu);
    igc_log(IGC_LOG_INFO, "%s: reloaded %s: version %s -> %s (%zu %s, %d tests passed)", kind_name(r->kind), r->dir,
            old->id, nv->id, nv->nrules, kind_name(r->kind), nv->tests_passed);
    /* Requests that acquired the old version keep it alive until they finish. */
    igc_rules_release(old);
    return 0;
}

int igc_rules_reload(igc_rules *r, igc_buf *err) {
    if (!r) return IGC_EINVAL;
    pthread_mutex_lock(&r->reload_mu);
    char now[21];
    igc_iso_now(now);
    igc_buf errors = {0};
    int failed, total;
    igc_rules_version *nv = NULL;
    int rc = igc__rules_version_load(r->dir, r->kind, &r->lim, NULL, &errors, &failed, &total, &nv);
    rc = reload_commit(r, rc, nv, errors.data, failed, total, now, err);
    igc_buf_free(&errors);
    pthread_mutex_unlock(&r->reload_mu);
    return rc;
}

/* ---- reloading off the loop ---- */

typedef struct reload_job {
    uv_work_t work;
    igc_rules *r;
    igc_rules_reload_cb done;
    void *ud;
    char now[21];
    int rc, failed, total;
    igc_rules_version *nv;
    igc_buf errors;
} reload_job;

static void free_manager(igc_rules *r) {
    igc_rules_release(r->cur);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->reload_mu);
    free(r->dir);
    free(r);
}

/* On a worker thread: read, load and test the files (bounded by the load
 * limit); nothing the loop reads changes here. */
static void reload_work(uv_work_t *w) {
    reload_job *j = w->data;
    pthread_mutex_lock(&j->r->reload_mu);
    igc_iso_now(j->now);
    j->rc = igc__rules_version_load(j->r->dir, j->r->kind, &j->r->lim, NULL, &j->errors, &j->failed, &j->total,
                                    &j->nv);
    pthread_mutex_unlock(&j->r->reload_mu);
}

/* On the loop: the swap (or the refusal), then the caller's callback. */
static void reload_after(uv_work_t *w, int status) {
    reload_job *j = w->data;
    igc_rules *r = j->r;
    r->inflight--;
    if (r->closing) {
        igc_rules_release(j->nv);
        if (j->done) j->done(j->ud, IGC_ESTATE, "");
    } else {
        if (status < 0 && !j->rc) { /* cancelled before it ran */
            igc_rules_release(j->nv);
            j->nv = NULL;
            j->rc = IGC_ESTATE;
        }
        igc_buf err = {0};
        int rc = reload_commit(r, j->rc, j->nv, j->errors.data, j->failed, j->total, j->now, &err);
        if (j->done) j->done(j->ud, rc, err.data ? err.data : "");
        igc_buf_free(&err);
    }
    igc_buf_free(&j->errors);
    free(j);
    if (r->closing && r->inflight == 0) free_manager(r);
}

int igc_rules_reload_async(igc_rules *r, uv_loop_t *loop, igc_rules_reload_cb done, void *ud) {
    if (!r || !loop || r->closing) return IGC_EINVAL;
    reload_job *j = calloc(1, sizeof *j);
    if (!j) return IGC_ENOMEM;
    j->r = r;
    j->done = done;
    j->ud = ud;
    j->work.data = j;
    if (uv_queue_work(loop, &j->work, reload_work, reload_after) != 0) {
        free(j);
        return IGC_EIO;
    }
    r->inflight++;
    return 0;
}

/* ---- watching ---- */

static void on_debounced(uv_timer_t *t) {
    rules_watch *w = t->data;
    if (!w->r) return;
    /* Off the loop: a slow or hostile rule test must not stall requests. The
     * outcome is logged and recorded in the status. */
    if (igc_rules_reload_async(w->r, t->loop, NULL, NULL) != 0) igc_rules_reload(w->r, NULL);
}

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status) {
    (void)events;
    rules_watch *w = h->data;
    if (!w->r) return;
    if (status < 0) {
        igc_log(IGC_LOG_WARN, "%s: watching %s: %s", kind_name(w->r->kind), w->r->dir, uv_strerror(status));
        return;
    }
    /* Editors' swap and temp files do not matter; the final rename does. */
    if (filename) {
        size_t n = strlen(filename);
        if (filename[0] == '.' || n < 4 || strcmp(filename + n - 4, ".lua") != 0) return;
    }
    uv_timer_start(&w->timer, on_debounced, DEBOUNCE_MS, 0);
}

int igc_rules_watch(igc_rules *r, uv_loop_t *loop) {
    if (!r || !loop) return IGC_EINVAL;
    if (r->w) return IGC_ESTATE;
    rules_watch *w = calloc(1, sizeof *w);
    if (!w) return IGC_ENOMEM;
    w->r = r;
    w->ev.data = w->timer.data = w;
    int e = uv_fs_event_init(loop, &w->ev);
    if (e) {
        free(w);
        return IGC_EIO;
    }
    w->open_handles = 1;
    e = uv_timer_init(loop, &w->timer);
    if (e) {
        uv_close((uv_handle_t *)&w->ev, watch_closed);
        return IGC_EIO;
    }
    w->open_handles = 2;
    e = uv_fs_event_start(&w->ev, on_fs_event, r->dir, 0);
    if (e) {
        igc_log(IGC_LOG_ERROR, "%s: cannot watch %s: %s", kind_name(r->kind), r->dir, uv_strerror(e));
        w->r = NULL;
        uv_close((uv_handle_t *)&w->ev, watch_closed);
        uv_close((uv_handle_t *)&w->timer, watch_closed);
        return IGC_EIO;
    }
    r->w = w;
    return 0;
}

/* ---- status ---- */

cJSON *igc_rules_status_json(igc_rules *r) {
    if (!r) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    pthread_mutex_lock(&r->mu);
    igc_rules_version *v = r->cur;
    atomic_fetch_add(&v->refs, 1);
    cJSON_AddStringToObject(o, "version", v->id);
    cJSON_AddStringToObject(o, "kind", r->kind == IGC_RULES_KIND_PROGRAMMES ? "programmes" : "rules");
    cJSON_AddStringToObject(o, "loaded_at", v->loaded_at);
    cJSON_AddStringToObject(o, "dir", r->dir);
    if (r->last_error[0])
        cJSON_AddStringToObject(o, "last_error", r->last_error);
    else
        cJSON_AddNullToObject(o, "last_error");
    cJSON_AddStringToObject(o, "last_attempt_at", r->last_attempt_at);
    cJSON_AddNumberToObject(o, "reloads", (double)r->reloads);
    cJSON_AddNumberToObject(o, "failed_reloads", (double)r->failed_reloads);
    pthread_mutex_unlock(&r->mu);

    cJSON *files = cJSON_AddArrayToObject(o, "files");
    for (size_t i = 0; files && i < v->nfiles; i++) cJSON_AddItemToArray(files, cJSON_CreateString(v->files[i]));
    pthread_mutex_lock(&v->mu);
    cJSON *rules = cJSON_AddArrayToObject(o, "rules");
    for (size_t i = 0; rules && i < v->nrules; i++) {
        cJSON *ru = cJSON_CreateObject();
        if (!ru) break;
        cJSON_AddStringToObject(ru, "id", v->rules[i].id);
        cJSON_AddStringToObject(ru, "description", v->rules[i].description);
        cJSON_AddNumberToObject(ru, "priority", v->rules[i].priority);
        cJSON_AddStringToObject(ru, "file", v->rules[i].file);
        cJSON_AddNumberToObject(ru, "errors", (double)v->rules[i].errors);
        cJSON_AddItemToArray(rules, ru);
    }
    cJSON *tests = cJSON_AddObjectToObject(o, "tests");
    if (tests) {
        cJSON_AddNumberToObject(tests, "passed", v->tests_passed);
        cJSON_AddNumberToObject(tests, "total", v->tests_total);
    }
    cJSON_AddNumberToObject(o, "rule_errors", (double)v->rule_errors);
    if (v->last_rule_error[0]) {
        cJSON *le = cJSON_AddObjectToObject(o, "last_rule_error");
        if (le) {
            cJSON_AddStringToObject(le, "message", v->last_rule_error);
            cJSON_AddStringToObject(le, "at", v->last_rule_error_at);
        }
    } else {
        cJSON_AddNullToObject(o, "last_rule_error");
    }
    pthread_mutex_unlock(&v->mu);
    igc_rules_release(v);
    return o;
}

int igc_rules_test_dir(const char *dir, const igc_rules_limits *lim, igc_buf *report, int *failed, int *total) {
    return igc_rules_test_dir_kind(dir, IGC_RULES_KIND_POLICY, lim, report, failed, total);
}

int igc_rules_test_dir_kind(const char *dir, igc_rules_kind kind, const igc_rules_limits *lim, igc_buf *report,
                            int *failed, int *total) {
    int f = 0, t = 0;
    int rc = IGC_EINVAL;
    if (dir && *dir) {
        igc_rules_version *v = NULL;
        rc = igc__rules_version_load(dir, kind, lim, report, NULL, &f, &t, &v);
        igc_rules_release(v);
    }
    if (failed) *failed = f;
    if (total) *total = t;
    return rc;
}
