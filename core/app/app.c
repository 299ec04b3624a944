#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "igc_app.h"
#include "igc_embed.h"

static int fail(igc_buf *err, int rc, const char *fmt, const char *a) {
    if (err) igc_buf_printf(err, fmt, a, igc_strerror(rc));
    return rc;
}

/* Creates dir and its parents (mkdir -p). */
static int mkdirs(const char *dir) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0700);
            *s = '/';
        }
    /* the store holds names and 사업자등록번호: owner only */
    return mkdir(p, 0700) == 0 || errno == EEXIST ? 0 : IGC_EIO;
}

int igc_app_not_writable(igc_buf *err, const char *dir, int rc) {
    if (err)
        igc_buf_printf(err, "저장소 폴더 %s에 쓸 수 없습니다: %s (읽기 전용 파일 시스템이거나 권한이 없습니다; "
                            "store_not_writable) / store directory not writable",
                       dir, strerror(errno));
    return rc;
}

/* One igcd per store: an exclusive lock on <db>/igcd.lock, held until the process
 * ends (the kernel drops it even after a crash). A second igcd would keep its own
 * engine, revision and caches beside the first's and answer differently from the
 * same store. The file holds the holder's pid, for the message. */
static int lock_store(igc_app *a, const char *db_dir, igc_buf *err) {
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/igcd.lock", db_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return igc_app_not_writable(err, db_dir, IGC_EIO);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        if (err)
            igc_buf_printf(err,
                           "저장소 %s를 다른 igcd(pid %s)가 쓰고 있습니다: 한 저장소에는 igcd 하나만 실행하십시오 "
                           "(store_in_use) / the store is in use by another igcd",
                           db_dir, pid[0] ? pid : "?");
        return IGC_ESTATE;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
        igc_log(IGC_LOG_WARN, "%s: cannot write the pid", path);
    a->lock_fd = fd;
    return 0;
}

/* The store, opened once (the start may need it early to read which revision is active). */
static int open_store(igc_app *a, const igc_config *cfg, igc_buf *err) {
    if (a->store) return 0;
    if (mkdirs(cfg->db_dir)) return fail(err, IGC_EIO, "cannot create %s: %s", cfg->db_dir);
    int rc = igc_store_open(cfg->db_dir, cfg->map_mb, &a->store);
    if (rc && access(cfg->db_dir, W_OK) != 0) return igc_app_not_writable(err, cfg->db_dir, rc);
    if (rc) return fail(err, rc, "store %s: %s", cfg->db_dir);
    return 0;
}

/* The embedding model (35 MB, its hash checked) is read on a thread of its own while
 * the KSIC tables, the taxonomy and the index-term dictionary load on the caller's:
 * they need nothing of each other, and the start-up is that much shorter. */
typedef struct {
    const char *path;
    igc_encoder *enc;
    int rc, wanted, started;
    pthread_t th;
} model_load;

static void *model_load_run(void *arg) {
    model_load *m = arg;
    m->rc = igc_embed_encoder_open(m->path, &m->enc);
    return NULL;
}

static void model_load_start(model_load *m, const char *path) {
    *m = (model_load){.path = path, .wanted = strcmp(path, "none") != 0};
    if (!m->wanted) return;
    m->started = pthread_create(&m->th, NULL, model_load_run, m) == 0;
    if (!m->started) model_load_run(m); /* no thread: here and now */
}

/* Waits for the model and gives it (NULL: not usable, dense retrieval off) to the caller. */
static igc_encoder *model_load_finish(model_load *m) {
    if (m->started) pthread_join(m->th, NULL);
    m->started = 0;
    if (m->wanted && m->rc) {
        /* Dense retrieval is an improvement, not a requirement: run lexical-only. */
        igc_log(IGC_LOG_WARN, "model %s not usable (%s): dense retrieval off; build it with `igc train`", m->path,
                igc_strerror(m->rc));
        m->enc = NULL;
    }
    igc_encoder *enc = m->enc;
    m->enc = NULL;
    return enc;
}

/* The start-up stopped before the model was taken: it is waited for and dropped. */
static int model_load_drop(model_load *m, int rc) {
    m->wanted = 0;
    igc_encoder_free(model_load_finish(m));
    return rc;
}

int igc_app_open(igc_app *a, const igc_config *cfg, int flags, igc_buf *err) {
    memset(a, 0, sizeof *a);
    a->lock_fd = -1;
    a->flags = flags;
    a->cfg = *cfg;
    igc_config_finish(&a->cfg);
    pthread_mutex_init(&a->bundle_mu, NULL);
    /* writers first: a save on the loop's thread must not wait behind a stream of
     * re-classification readers */
    pthread_rwlockattr_t rwa;
    pthread_rwlockattr_init(&rwa);
    pthread_rwlockattr_setkind_np(&rwa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&a->engine_rw, &rwa);
    pthread_mutex_init(&a->engine_wmu, NULL);
    pthread_rwlockattr_destroy(&rwa);
    a->bundle_mu_ready = 1;
    igc_iso_now(a->loaded_at);
    igc_log_set_level(cfg->log_level);
    int rc;
    if (flags & IGC_APP_DAEMON) { /* before the minutes a large store may take to load */
        if (mkdirs(cfg->db_dir)) return fail(err, IGC_EIO, "cannot create %s: %s", cfg->db_dir);
        if ((rc = lock_store(a, cfg->db_dir, err))) return rc;
    }
    model_load ml;
    model_load_start(&ml, cfg->model);
    rc = igc_ksic_load(cfg->data_dir, &a->ksic);
    if (rc) return model_load_drop(&ml, fail(err, rc, "KSIC tables under %s/ksic: %s", cfg->data_dir));

    char txpath[PATH_MAX + 32];
    if (cfg->taxonomy[0]) snprintf(txpath, sizeof txpath, "%s", cfg->taxonomy);
    else snprintf(txpath, sizeof txpath, "%s/taxonomy/igc-v6.json", cfg->data_dir);
    igc_taxonomy *tx = NULL;
    igc_buf terr = {0};
    rc = igc_taxonomy_load(txpath, &tx, &terr);
    if (rc) {
        if (err) igc_buf_printf(err, "taxonomy %s: %s", txpath, terr.data ? terr.data : igc_strerror(rc));
        igc_buf_free(&terr);
        return model_load_drop(&ml, rc);
    }
    igc_buf_free(&terr);

    if (!cfg->no_lexicon) {
        igc_buf lerr = {0};
        rc = igc_app_lexicon_open(a, tx, &lerr);
        /* A store that has another revision active (the 7th) brings that revision's own
         * dictionary at the restore: this revision's file, not in use, must not stop the start. */
        char *active = NULL;
        if (rc && (flags & IGC_APP_STORE) && open_store(a, cfg, err) == 0 &&
            igc_store_meta_get(a->store, "taxonomy.active", &active) == 0 && strcmp(active, tx->version) != 0) {
            igc_log(IGC_LOG_WARN, "%s — not used: revision %s is active in the store and has its own dictionary",
                    lerr.data ? lerr.data : igc_strerror(rc), active);
            rc = 0;
        }
        free(active);
        if (rc && err) igc_buf_puts(err, lerr.data ? lerr.data : igc_strerror(rc));
        igc_buf_free(&lerr);
        if (rc) {
            igc_taxonomy_unref(tx);
            return model_load_drop(&ml, rc);
        }
    }
    a->enc = model_load_finish(&ml);
    igc_engine_params p;
    igc_engine_params_default(&p);
    if (cfg->params[0] && strcmp(cfg->params, "none") != 0) {
        rc = igc_engine_params_load(cfg->params, &p);
        if (rc && rc != IGC_ENOTFOUND)
            igc_log(IGC_LOG_WARN, "engine parameters %s unreadable (%s): defaults used", cfg->params,
                    igc_strerror(rc));
        else if (rc == IGC_ENOTFOUND)
            igc_log(IGC_LOG_INFO, "no engine parameters at %s: defaults used (fit them with `igc tune`)",
                    cfg->params);
    }
    a->tx = tx;
    rc = igc_app_engine_new(a, a->enc, &p, &a->engine);
    a->tx = NULL;
    igc_taxonomy_unref(tx);
    if (rc) return fail(err, rc, "engine: %s%s", "");
    /* the revision the service starts with: its own bundle, no crosswalk */
    a->bundle = calloc(1, sizeof *a->bundle);
    if (!a->bundle) return fail(err, IGC_ENOMEM, "engine: %s%s", "");
    a->bundle->refs = 1;
    a->bundle->engine = igc_engine_ref(a->engine);
    snprintf(a->bundle->version, sizeof a->bundle->version, "%s", igc_engine_taxonomy(a->engine)->version);

    igc_rules_limits lim = {0};
    lim.load_ms = cfg->rules_load_ms > 600000 ? 600000 : (unsigned)cfg->rules_load_ms;
    lim.places = igc_region_places(); /* programmes name places by their official names */
    if (flags & IGC_APP_RULES && !cfg->no_rules) {
        rc = igc_rules_open(cfg->rules_dir, &lim, &a->rules);
        if (rc) return fail(err, rc, "rules in %s: %s (run `igc rules test` for details)", cfg->rules_dir);
    }
    /* Support programmes are policy like the rules; "none" or a missing folder runs without them. */
    if (flags & IGC_APP_RULES && strcmp(cfg->programmes_dir, "none") != 0) {
        struct stat sb;
        if (stat(cfg->programmes_dir, &sb) != 0) {
            igc_log(IGC_LOG_WARN, "programmes: no folder %s; answers list no support programmes", cfg->programmes_dir);
        } else {
            rc = igc_rules_open_kind(cfg->programmes_dir, IGC_RULES_KIND_PROGRAMMES, &lim, &a->programmes);
            if (rc)
                return fail(err, rc, "programmes in %s: %s (run `igc programmes test` for details)",
                            cfg->programmes_dir);
        }
    }
    if (flags & IGC_APP_STORE) {
        if ((rc = open_store(a, cfg, err))) return rc;
        if (flags & IGC_APP_EXEMPLARS) {
            size_t n = 0;
            rc = igc_app_load_exemplars(a, &n);
            if (rc) return fail(err, rc, "loading past judgments from %s: %s", cfg->db_dir);
            igc_log(IGC_LOG_INFO, "loaded %zu past judgments as exemplars", n);
        }
    }
    return 0;
}

/* Path of the staff's lexicon file for taxonomy tx: <lexicon_dir>/igc-v<revision>-lexicon.jsonl. */
void igc_app_lexicon_path(const igc_app *a, const igc_taxonomy *tx, char *out, size_t outsz) {
    snprintf(out, outsz, "%s/igc-v%d-lexicon.jsonl", a->cfg.lexicon_dir, tx->revision);
}

/* Seeds the staff's copy from <data>/taxonomy when it has none, then loads it. */
int igc_app_lexicon_open(igc_app *a, igc_taxonomy *tx, igc_buf *err) {
    char path[PATH_MAX + 64], seed[PATH_MAX + 64];
    igc_app_lexicon_path(a, tx, path, sizeof path);
    struct stat st;
    if (stat(path, &st) != 0 && !(a->flags & IGC_APP_STORE)) {
        /* the staff's copy lives beside a store: without one (a batch run in some folder)
         * the data folder's dictionary is read as it is, and nothing is written */
        snprintf(path, sizeof path, "%s/taxonomy/igc-v%d-lexicon.jsonl", a->cfg.data_dir, tx->revision);
    } else if (stat(path, &st) != 0) {
        snprintf(seed, sizeof seed, "%s/taxonomy/igc-v%d-lexicon.jsonl", a->cfg.data_dir, tx->revision);
        char *txt;
        size_t len;
        int rc = igc_read_file(seed, &txt, &len);
        if (rc) return fail(err, rc, "index-term dictionary %s: %s", seed);
        if (mkdirs(a->cfg.lexicon_dir) == 0) rc = igc_write_file_atomic(path, txt, len);
        else rc = IGC_EIO;
        free(txt);
        if (rc) return fail(err, rc, "cannot seed the index-term dictionary %s: %s", path);
        igc_log(IGC_LOG_INFO, "lexicon: seeded %s from %s", path, seed);
    }
    igc_buf lerr = {0};
    igc_lexicon *lx;
    int rc = igc_lexicon_load(path, tx, a->ksic, &lx, &lerr);
    if (rc) {
        if (err) igc_buf_printf(err, "index-term dictionary %s: %s (run `igc lexicon check`)", path,
                                lerr.data ? lerr.data : igc_strerror(rc));
        igc_buf_free(&lerr);
        return rc;
    }
    igc_buf_free(&lerr);
    igc_lexicon_unref(a->lexicon);
    a->lexicon = lx;
    igc_log(IGC_LOG_INFO, "lexicon: %s (%s, %zu terms)", path, igc_lexicon_version(lx), igc_lexicon_nterms(lx));
    return 0;
}

/* A labelled row as an exemplar whose key is prefix + uid (written into key). */
static igc_exemplar row_exemplar(const igc_row *r, const char *prefix, char *key, size_t keysz) {
    snprintf(key, keysz, "%s%s", prefix, r->uid);
    return (igc_exemplar){key, r->in, {r->labels[0], r->labels[1], r->labels[2]}, r->none_reason, r->confidence};
}

/* The case dictionary into engine e: every labelled row of cfg.cases (default
 * <data>/labeled/synthetic.csv; "none" leaves it out). */
/* A case's labels through the crosswalk cw (when given): labels that became one item
 * are mapped; split and removed ones are left out (a case is written for one item). */
static void map_case_labels(const igc_crosswalk *cw, igc_exemplar *x) {
    if (!cw) return;
    for (int k = 0; k < 3; k++) {
        const igc_xw_row *rows[2];
        if (!x->labels[k] || !*x->labels[k]) continue;
        size_t n = igc_crosswalk_targets(cw, x->labels[k], rows, 2);
        x->labels[k] = n == 1 && rows[0]->relation != IGC_XW_REMOVED && rows[0]->relation != IGC_XW_SPLIT
                           ? rows[0]->to
                           : NULL;
    }
}

/* Rows read a batch at a time, each as an exemplar with its own copy of the strings
 * (igc_rows keeps them until the next row only), for igc_engine_add_cases/_exemplars,
 * which encode a batch's texts on every core. */
enum { ROW_STRS = 14 }; /* key, the 7 inputs, 3 labels, none_reason, confidence, uid */
typedef struct {
    igc_exemplar *x;
    const char **uid;       /* each row's uid */
    char *(*s)[ROW_STRS]; /* the copies */
    int *rcs;               /* what adding each one gave */
    size_t cap, n;
} row_batch;

static int row_batch_new(row_batch *b, size_t cap) {
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->x = calloc(cap, sizeof *b->x), b->uid = calloc(cap, sizeof *b->uid);
    b->s = calloc(cap, sizeof *b->s), b->rcs = calloc(cap, sizeof *b->rcs);
    return b->x && b->uid && b->s && b->rcs ? 0 : IGC_ENOMEM;
}

/* Frees the copies of the rows read (the batch is empty again). */
static void row_batch_clear(row_batch *b) {
    for (size_t i = 0; i < b->n; i++)
        for (int k = 0; k < ROW_STRS; k++) free(b->s[i][k]);
    memset(b->s, 0, b->n * sizeof *b->s);
    b->n = 0;
}

static void row_batch_free(row_batch *b) {
    if (b->s) row_batch_clear(b);
    free(b->x), free(b->uid), free(b->s), free(b->rcs);
}

/* Reads up to cap rows into the (cleared) batch as exemplars keyed prefix + uid, their
 * labels through the crosswalk cw when given (cases). Returns 1 when more rows may
 * follow, 0 at the end of the file, <0 on a read or memory error (the batch then holds
 * what was read and is not to be added). */
static int row_batch_read(row_batch *b, igc_rows *rows, const char *prefix, const igc_crosswalk *cw) {
    row_batch_clear(b);
    igc_row r;
    int rc = 1;
    while (b->n < b->cap && (rc = igc_rows_next(rows, &r)) == 1) {
        char key[300];
        igc_exemplar *x = &b->x[b->n];
        *x = row_exemplar(&r, prefix, key, sizeof key);
        map_case_labels(cw, x);
        char **s = b->s[b->n++];
        const char **f[ROW_STRS] = {&x->key, &x->in.company_name, &x->in.ksic_code, &x->in.ksic_name,
                                    &x->in.main_product, &x->in.product_use, &x->in.tech_business_name,
                                    &x->in.tech_class, &x->labels[0], &x->labels[1], &x->labels[2],
                                    &x->none_reason, &x->confidence, &r.uid};
        for (int k = 0; k < ROW_STRS; k++) {
            s[k] = *f[k] ? igc_strdup(*f[k]) : NULL;
            if (*f[k] && !s[k]) rc = IGC_ENOMEM;
            *f[k] = s[k];
        }
        b->uid[b->n - 1] = s[ROW_STRS - 1];
        if (rc < 0) return rc;
    }
    return rc < 0 ? rc : rc == 1 ? 1 : 0;
}

static int load_cases(igc_app *a, igc_engine *e, const igc_crosswalk *cw, size_t *n) {
    char path[PATH_MAX + 32];
    *n = 0;
    if (strcmp(a->cfg.cases, "none") == 0) return 0;
    if (a->cfg.cases[0]) snprintf(path, sizeof path, "%s", a->cfg.cases);
    else snprintf(path, sizeof path, "%s/labeled/synthetic.csv", a->cfg.data_dir);
    igc_rows *rows;
    int rc = igc_rows_open(path, &rows);
    if (rc) {
        igc_log(IGC_LOG_ERROR, "case dictionary %s: %s", path, igc_strerror(rc));
        return rc;
    }
    row_batch b;
    rc = row_batch_new(&b, 512);
    for (int more = !rc; more;) {
        more = rc = row_batch_read(&b, rows, "case:", cw);
        if (rc < 0) break;
        int arc = igc_engine_add_cases(e, b.x, b.n, b.rcs);
        for (size_t i = 0; i < b.n; i++) *n += b.rcs[i] == 0;
        if (arc) rc = arc, more = 0;
    }
    row_batch_free(&b);
    igc_rows_close(rows);
    if (rc < 0) igc_log(IGC_LOG_ERROR, "case dictionary %s: %s", path, igc_strerror(rc));
    return rc < 0 ? rc : 0;
}

int igc_app_engine_build(igc_app *a, igc_taxonomy *tx, igc_lexicon *lx, const igc_crosswalk *cw,
                         const igc_encoder *enc, const igc_engine_params *p, igc_engine **out, size_t *ncases) {
    igc_engine *e;
    int rc = igc_engine_new(tx, a->ksic, enc, p, a->cfg.index_factory, a->cfg.index_params, &e);
    if (rc) return rc;
    size_t n = 0;
    if ((rc = load_cases(a, e, cw, &n)) == 0) igc_engine_cases_finish(e);
    if (!rc && lx) rc = igc_engine_set_lexicon(e, lx);
    if (rc) {
        igc_engine_unref(e);
        return rc;
    }
    if (ncases) *ncases = n;
    *out = e;
    return 0;
}

int igc_app_engine_new(igc_app *a, const igc_encoder *enc, const igc_engine_params *p, igc_engine **out) {
    igc_taxonomy *tx = a->engine ? igc_engine_taxonomy(a->engine) : a->tx;
    return igc_app_engine_build(a, tx, a->lexicon, NULL, enc, p, out, &a->ncases);
}

void igc_app_close(igc_app *a) {
    if (a->bundle_mu_ready) igc_reclass_stop(a);
    if (a->store) igc_app_audit_flush(a);
    igc_auth_sessions_free(a->sessions);
    igc_auth_rate_free(a->save_rate);
    free(a->api_routes);
    cJSON_Delete(a->audit_queue);
    cJSON_Delete(a->meta_queue);
    igc_app_revisions_close(a);
    igc_engine_unref(a->engine);
    igc_lexicon_unref(a->lexicon);
    igc_encoder_free(a->enc);
    if (a->rules) igc_rules_close(a->rules);
    if (a->programmes) igc_rules_close(a->programmes);
    if (a->store) igc_store_close(a->store);
    igc_ksic_free(a->ksic);
    if (a->lock_fd > 2) close(a->lock_fd); /* zeroed (never opened): 0 */
    if (a->bundle_mu_ready) {
        pthread_mutex_destroy(&a->bundle_mu);
        pthread_rwlock_destroy(&a->engine_rw);
        pthread_mutex_destroy(&a->engine_wmu);
    }
    memset(a, 0, sizeof *a);
}

/* ---- exemplars ---- */

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Exemplar from its stored JSON: {key fields..., labels:[..], none_reason,
 * taxonomy_version}, its labels seen through the active revision (igc_app_bundle_labels:
 * a label of the revision it replaced goes through the crosswalk). */
static int exemplar_from_json(igc_app *a, const char *key, const cJSON *o, igc_exemplar *xp) {
    igc_exemplar x = {0};
    x.key = key;
    x.in.company_name = jstr(o, "company");
    x.in.ksic_code = jstr(o, "ksic_code");
    x.in.ksic_name = jstr(o, "ksic_name");
    x.in.main_product = jstr(o, "main_product");
    x.in.product_use = jstr(o, "product_use");
    x.in.tech_business_name = jstr(o, "tech_business_name");
    x.in.tech_class = jstr(o, "tech_class");
    x.none_reason = jstr(o, "none_reason");
    x.confidence = jstr(o, "confidence");
    const char *owner = jstr(o, "owner");
    if (owner) x.in.owner = strtoull(owner, NULL, 16);
    const char *split_from = NULL;
    int n = igc_app_bundle_labels(a->bundle, a->previous, o, x.labels, &split_from);
    if (split_from) x.labels[0] = igc_app_resolve_split(a->bundle, split_from, &x.in, key);
    else if (!n && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "labels")) > 0)
        return IGC_ENOTFOUND; /* a removed item is evidence for nothing */
    *xp = x;
    return 0;
}

/* The store's exemplars are added one at a time as the walk reads them: batched through
 * igc_engine_add_exemplars (texts encoded on both cores) the start at 100,000 was no
 * faster and took about 15% more CPU, the parsed documents and the threads' allocations
 * kept alive between batches (docs/evaluation.md). */
typedef struct {
    igc_app *a;
    igc_engine *e;
    igc_bundle *bundle; /* the revision e belongs to (its left-out judgments) */
    size_t n;
} load_ctx;

static int load_cb(void *ud, const char *key, const char *json, size_t len) {
    load_ctx *c = ud;
    /* known already, or left out by the revision's build on purpose (a removed item, a
     * split it could not place): taking it in here would undo that decision */
    if (igc_engine_has_exemplar(c->e, key) || igc_app_bundle_left_out(c->bundle, key)) return 0;
    cJSON *o = cJSON_ParseWithLength(json, len);
    if (!o) return 0; /* a damaged exemplar is skipped, not fatal */
    igc_exemplar x;
    int rc = exemplar_from_json(c->a, key, o, &x);
    if (!rc) rc = igc_engine_add_exemplar(c->e, &x);
    cJSON_Delete(o);
    if (rc == 0) c->n++;
    return rc == IGC_ENOMEM ? rc : 0;
}

/* Adds the store's exemplars the engine lacks; count is the store's exemplar count
 * read before the walk (an exemplar put meanwhile is picked up by the next sync). */
static int scan_store(igc_app *a, igc_engine *e, size_t count, size_t *n) {
    load_ctx *c = calloc(1, sizeof *c);
    if (!c) return IGC_ENOMEM;
    c->a = a, c->e = e;
    if (a->bundle_mu_ready && a->bundle) c->bundle = igc_app_bundle_ref(a);
    pthread_mutex_lock(&a->engine_wmu);
    pthread_rwlock_wrlock(&a->engine_rw);
    int rc = igc_store_exemplar_foreach(a->store, load_cb, c);
    pthread_rwlock_unlock(&a->engine_rw);
    pthread_mutex_unlock(&a->engine_wmu);
    if (!rc) __atomic_store_n(&a->store_exemplars, count, __ATOMIC_RELAXED);
    if (c->n) __atomic_store_n(&a->engine_dirty, 1, __ATOMIC_RELEASE);
    *n = c->n;
    igc_app_bundle_unref(c->bundle);
    free(c);
    return rc;
}

/* The active engine with a reference: read under bundle_mu, since the loop swaps it at
 * a revision switch while workers read it. */
igc_engine *igc_app_engine_ref(igc_app *a) {
    if (!a->bundle_mu_ready) return igc_engine_ref(a->engine);
    pthread_mutex_lock(&a->bundle_mu);
    igc_engine *e = igc_engine_ref(a->engine);
    pthread_mutex_unlock(&a->bundle_mu);
    return e;
}

/* igc_engine_commit without stalling the readers: the new statistics are computed
 * aside under engine_wmu alone (no save can change the engine meanwhile, the
 * classifications go on) and installed under the write lock in a moment. */
static int refit(igc_app *a, igc_engine *e) {
    pthread_mutex_lock(&a->engine_wmu);
    igc_engine_refit *r;
    int rc = igc_engine_refit_prepare(e, &r);
    if (!rc) {
        pthread_rwlock_wrlock(&a->engine_rw);
        rc = igc_engine_refit_apply(e, r);
        pthread_rwlock_unlock(&a->engine_rw);
        igc_engine_refit_free(r); /* what it replaced, once the readers are back */
        /* a re-clustering (the judgments doubled) kept for the next start */
        if (!rc) igc_app_index_save(a, e);
    }
    pthread_mutex_unlock(&a->engine_wmu);
    return rc;
}

int igc_app_load_exemplars(igc_app *a, size_t *n) {
    igc_store_stats st = {0};
    size_t k = 0;
    int rc = a->store ? igc_store_stat(a->store, &st) : 0;
    if (!rc && a->store) rc = scan_store(a, a->engine, st.exemplars, &k);
    if (!rc && a->store) {
        /* the last re-clustering, kept beside the store: the commit need not do it again
         * (it changes the engine's index: the locks scan_store takes) */
        pthread_mutex_lock(&a->engine_wmu);
        pthread_rwlock_wrlock(&a->engine_rw);
        int irc = igc_app_index_restore(a, a->engine);
        pthread_rwlock_unlock(&a->engine_rw);
        pthread_mutex_unlock(&a->engine_wmu);
        if (irc == IGC_ENOMEM) rc = irc;
    }
    if (!rc) rc = igc_engine_commit(a->engine);
    if (!rc) a->engine_dirty = 0;
    if (!rc) { /* failure logged: the next start clusters again */
        pthread_mutex_lock(&a->engine_wmu);
        igc_app_index_save(a, a->engine);
        pthread_mutex_unlock(&a->engine_wmu);
    }
    if (n) *n = k;
    return rc;
}

int igc_app_sync_engine(igc_app *a, size_t *added) {
    igc_store_stats st = {0};
    size_t n = 0;
    int rc = 0;
    igc_engine *e = igc_app_engine_ref(a);
    if (a->store && (rc = igc_store_stat(a->store, &st)) == 0 &&
        st.exemplars != __atomic_load_n(&a->store_exemplars, __ATOMIC_RELAXED))
        rc = scan_store(a, e, st.exemplars, &n);
    /* a save after the exchange marks it dirty again: refitted at the next sync */
    if (!rc && __atomic_exchange_n(&a->engine_dirty, 0, __ATOMIC_ACQ_REL)) {
        rc = refit(a, e);
        if (rc) __atomic_store_n(&a->engine_dirty, 1, __ATOMIC_RELEASE);
    }
    igc_engine_unref(e);
    if (added) *added = n;
    return rc;
}

cJSON *igc_exemplar_json(const char *uid, const igc_engine_input *in, const char *const labels[3],
                         const char *none_reason, const char *confidence, const char *source) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "uid", uid ? uid : "");
    cJSON_AddStringToObject(o, "source", source);
    const char *names[] = {"company", "ksic_code", "ksic_name", "main_product", "product_use", "tech_business_name",
                           "tech_class"};
    const char *vals[] = {in->company_name, in->ksic_code, in->ksic_name, in->main_product, in->product_use,
                          in->tech_business_name, in->tech_class};
    for (int i = 0; i < 7; i++) cJSON_AddStringToObject(o, names[i], vals[i] ? vals[i] : "");
    cJSON *ls = cJSON_AddArrayToObject(o, "labels");
    for (int k = 0; k < 3; k++)
        if (labels[k] && *labels[k]) cJSON_AddItemToArray(ls, cJSON_CreateString(labels[k]));
    if (none_reason && *none_reason) cJSON_AddStringToObject(o, "none_reason", none_reason);
    if (confidence && *confidence) cJSON_AddStringToObject(o, "confidence", confidence);
    if (in->owner) {
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)in->owner);
        cJSON_AddStringToObject(o, "owner", hex);
    }
    return o;
}

int igc_app_import_history(igc_app *a, const char *csv, int to_store, size_t *n, size_t *skipped) {
    igc_rows *rows;
    *n = *skipped = 0;
    int rc = igc_rows_open(csv, &rows);
    if (rc) return rc;
    if (!igc_rows_labelled(rows)) {
        igc_rows_close(rows);
        igc_log(IGC_LOG_ERROR, "%s: 과거 판별 파일에는 uid와 label1 열이 있어야 합니다 / needs the columns uid and label1", csv);
        return IGC_EPARSE;
    }
    /* Rows are read 2,000 at a time: their texts encoded on every core
     * (igc_engine_add_exemplars), then the batch stored in one transaction, one disk
     * sync per batch, not per row (100,000 rows took minutes). A batch that fails is
     * not stored at all; *n counts the rows stored (or, without a store, added to the
     * engine). */
    row_batch b;
    rc = row_batch_new(&b, 2000);
    for (int more = !rc; more;) {
        more = rc = row_batch_read(&b, rows, "hist:", NULL);
        if (rc >= 0) rc = igc_engine_add_exemplars(a->engine, b.x, b.n, b.rcs);
        igc_store_txn *t = NULL;
        size_t pending = 0;
        for (size_t i = 0; rc >= 0 && i < b.n; i++) {
            const igc_exemplar *x = &b.x[i];
            if (b.rcs[i]) {
                (*skipped)++;
                continue;
            }
            if (!to_store || !a->store) {
                (*n)++;
                continue;
            }
            const char *labels[3] = {x->labels[0], x->labels[1], x->labels[2]};
            cJSON *o = igc_exemplar_json(b.uid[i], &x->in, labels, x->none_reason, x->confidence, "history");
            if (o) cJSON_AddStringToObject(o, "taxonomy_version", igc_engine_taxonomy(a->engine)->version);
            char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
            cJSON_Delete(o);
            int arc = !txt ? IGC_ENOMEM : t ? 0 : igc_store_txn_begin(a->store, &t);
            if (!arc) arc = igc_store_txn_exemplar_put(t, x->key, txt, strlen(txt));
            free(txt);
            if (arc) rc = arc;
            else pending++;
        }
        if (t && rc >= 0) {
            int crc = igc_store_txn_commit(t);
            if (crc) rc = crc;
            else *n += pending;
        } else if (t) {
            igc_store_txn_abort(t);
        }
        if (rc < 0) more = 0;
    }
    row_batch_free(&b);
    igc_rows_close(rows);
    if (rc >= 0) rc = igc_engine_commit(a->engine);
    if (rc >= 0) { /* the clustering the commit may have made, for the next start */
        pthread_mutex_lock(&a->engine_wmu);
        igc_app_index_save(a, a->engine);
        pthread_mutex_unlock(&a->engine_wmu);
    }
    return rc < 0 ? rc : 0;
}
