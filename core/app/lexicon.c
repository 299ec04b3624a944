/*
 * The app's index-term dictionary at run time: the current lexicon behind a small
 * lock, reloads (validate the staff's file, then swap it into the app and its engine,
 * or keep the last good one and say why), its status for the API, and the watch on
 * the lexicon directory that igcd runs on its loop. Loading at start and seeding the
 * staff's copy are in app.c (igc_app_lexicon_open).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "igc_app.h"

#define DEBOUNCE_MS 200

/* A spin lock on an int that zero-initialises unlocked (igc_app is memset at open);
 * held only to read or swap a pointer and copy a few strings. */
static void lex_lock(igc_app *a) {
    while (__atomic_exchange_n(&a->lexicon_lock, 1, __ATOMIC_ACQUIRE)) sched_yield();
}

static void lex_unlock(igc_app *a) { __atomic_store_n(&a->lexicon_lock, 0, __ATOMIC_RELEASE); }

igc_lexicon *igc_app_lexicon_ref(igc_app *a) {
    lex_lock(a);
    igc_lexicon *lx = igc_lexicon_ref(a->lexicon);
    lex_unlock(a);
    return lx;
}

void igc_app_lexicon_adopt(igc_app *a, igc_lexicon *lx) {
    lex_lock(a);
    igc_lexicon *old = a->lexicon;
    a->lexicon = lx;
    a->lexicon_error[0] = a->lexicon_error_at[0] = '\0';
    igc_iso_now(a->lexicon_loaded_at);
    lex_unlock(a);
    igc_lexicon_unref(old);
}

static void log_lines(int level, const char *text) {
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        if (n > 0) igc_log(level, "lexicon: %.*s", n, p);
        p = nl ? nl + 1 : NULL;
    }
}

int igc_app_lexicon_reload(igc_app *a, igc_buf *err) {
    if (a->cfg.no_lexicon) return IGC_ESTATE;
    igc_engine *e = igc_engine_ref(a->engine);
    igc_taxonomy *tx = igc_engine_taxonomy(e);
    char path[PATH_MAX + 64], now[21];
    igc_app_lexicon_path(a, tx, path, sizeof path);
    igc_iso_now(now);
    igc_buf why = {0};
    igc_lexicon *lx = NULL;
    int rc = igc_lexicon_load(path, tx, a->ksic, &lx, &why);
    if (rc) {
        const char *msg = why.data ? why.data : igc_strerror(rc);
        lex_lock(a);
        snprintf(a->lexicon_error, sizeof a->lexicon_error, "%s", msg);
        memcpy(a->lexicon_error_at, now, sizeof now);
        a->lexicon_failed_reloads++;
        const char *keep = a->lexicon ? igc_lexicon_version(a->lexicon) : "none";
        igc_log(IGC_LOG_ERROR, "lexicon: %s refused, keeping version %s", path, keep);
        lex_unlock(a);
        log_lines(IGC_LOG_ERROR, msg);
        if (err) igc_buf_puts(err, msg);
        igc_buf_free(&why);
        igc_engine_unref(e);
        return rc;
    }
    igc_buf_free(&why);
    /* the engine first: a classification takes the lexicon from its engine */
    rc = igc_engine_set_lexicon(e, lx);
    if (rc) {
        igc_lexicon_unref(lx);
        igc_engine_unref(e);
        if (err) igc_buf_puts(err, igc_strerror(rc));
        return rc;
    }
    lex_lock(a);
    igc_lexicon *old = a->lexicon;
    a->lexicon = lx;
    memcpy(a->lexicon_loaded_at, now, sizeof now);
    a->lexicon_error[0] = a->lexicon_error_at[0] = '\0';
    a->lexicon_reloads++;
    lex_unlock(a);
    const char *was = old ? igc_lexicon_version(old) : "none";
    if (old && strcmp(was, igc_lexicon_version(lx)) == 0)
        igc_log(IGC_LOG_INFO, "lexicon: %s reloaded, unchanged (%s)", path, was);
    else
        igc_log(IGC_LOG_INFO, "lexicon: reloaded %s: version %s -> %s (%zu items, %zu terms)", path, was,
                igc_lexicon_version(lx), igc_lexicon_nitems(lx), igc_lexicon_nterms(lx));
    igc_lexicon_unref(old); /* requests holding it finish on it */
    igc_engine_unref(e);
    return 0;
}

cJSON *igc_app_lexicon_status_json(igc_app *a) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    igc_engine *e = igc_engine_ref(a->engine);
    char path[PATH_MAX + 64];
    igc_app_lexicon_path(a, igc_engine_taxonomy(e), path, sizeof path);
    igc_engine_unref(e);
    lex_lock(a);
    igc_lexicon *lx = igc_lexicon_ref(a->lexicon);
    if (lx) cJSON_AddStringToObject(o, "version", igc_lexicon_version(lx));
    else cJSON_AddNullToObject(o, "version");
    cJSON_AddStringToObject(o, "path", path);
    /* loaded at start unless a reload has happened since */
    cJSON_AddStringToObject(o, "loaded_at", a->lexicon_loaded_at[0] ? a->lexicon_loaded_at : a->loaded_at);
    cJSON_AddNumberToObject(o, "items", (double)igc_lexicon_nitems(lx));
    cJSON_AddNumberToObject(o, "terms", (double)igc_lexicon_nterms(lx));
    cJSON_AddNumberToObject(o, "reloads", (double)a->lexicon_reloads);
    cJSON_AddNumberToObject(o, "failed_reloads", (double)a->lexicon_failed_reloads);
    if (a->lexicon_error[0]) {
        cJSON *le = cJSON_AddObjectToObject(o, "last_error");
        if (le) {
            cJSON_AddStringToObject(le, "message", a->lexicon_error);
            cJSON_AddStringToObject(le, "at", a->lexicon_error_at);
        }
    } else {
        cJSON_AddNullToObject(o, "last_error");
    }
    lex_unlock(a);
    igc_lexicon_unref(lx);
    return o;
}

/* ---- watching the directory (igcd) ---- */

struct igc_app_lexwatch {
    uv_fs_event_t ev;
    uv_timer_t timer;
    igc_app *a; /* NULL once stopped */
    int open_handles;
};

static void watch_closed(uv_handle_t *h) {
    struct igc_app_lexwatch *w = h->data;
    if (--w->open_handles == 0) free(w);
}

static void on_debounced(uv_timer_t *t) {
    struct igc_app_lexwatch *w = t->data;
    if (w->a) igc_app_lexicon_reload(w->a, NULL); /* logs and records the outcome itself */
}

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status) {
    (void)events;
    struct igc_app_lexwatch *w = h->data;
    if (!w->a) return;
    if (status < 0) {
        igc_log(IGC_LOG_WARN, "lexicon: watching %s: %s", w->a->cfg.lexicon_dir, uv_strerror(status));
        return;
    }
    /* editors' swap files and our own temporary files do not matter; the final rename does */
    if (filename) {
        size_t n = strlen(filename);
        if (filename[0] == '.' || n < 6 || strcmp(filename + n - 6, ".jsonl") != 0) return;
        /* another revision's file (the 6th's after the switch to the 7th): an edit there is
         * not in use, which the editor must hear of */
        igc_bundle *b = igc_app_bundle_ref(w->a);
        char active[PATH_MAX + 64];
        igc_app_lexicon_path(w->a, igc_engine_taxonomy(b->engine), active, sizeof active);
        igc_app_bundle_unref(b);
        const char *base = strrchr(active, '/');
        base = base ? base + 1 : active;
        if (strncmp(filename, "igc-v", 5) == 0 && strcmp(filename, base) != 0) {
            igc_log(IGC_LOG_WARN, "lexicon: %s changed, but the active revision's dictionary is %s: the change is not "
                                  "used / 고친 파일은 지금 쓰이지 않습니다",
                    filename, base);
            return;
        }
    }
    uv_timer_start(&w->timer, on_debounced, DEBOUNCE_MS, 0);
}

int igc_app_lexicon_watch(igc_app *a, uv_loop_t *loop) {
    if (a->cfg.no_lexicon) return 0;
    if (a->lexicon_watch) return IGC_ESTATE;
    struct igc_app_lexwatch *w = calloc(1, sizeof *w);
    if (!w) return IGC_ENOMEM;
    w->a = a;
    w->ev.data = w->timer.data = w;
    if (uv_fs_event_init(loop, &w->ev)) {
        free(w);
        return IGC_EIO;
    }
    w->open_handles = 1;
    if (uv_timer_init(loop, &w->timer)) {
        uv_close((uv_handle_t *)&w->ev, watch_closed);
        return IGC_EIO;
    }
    w->open_handles = 2;
    int e = uv_fs_event_start(&w->ev, on_fs_event, a->cfg.lexicon_dir, 0);
    if (e) {
        igc_log(IGC_LOG_ERROR, "lexicon: cannot watch %s: %s", a->cfg.lexicon_dir, uv_strerror(e));
        w->a = NULL;
        uv_close((uv_handle_t *)&w->ev, watch_closed);
        uv_close((uv_handle_t *)&w->timer, watch_closed);
        return IGC_EIO;
    }
    a->lexicon_watch = w;
    return 0;
}

void igc_app_lexicon_unwatch(igc_app *a) {
    struct igc_app_lexwatch *w = a->lexicon_watch;
    if (!w) return;
    a->lexicon_watch = NULL;
    w->a = NULL;
    uv_fs_event_stop(&w->ev);
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->ev, watch_closed);
    uv_close((uv_handle_t *)&w->timer, watch_closed);
}
