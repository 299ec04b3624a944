/*
 * LMDB judgment store. Key layout and thread rules: see igc_store.h and
 * docs/store.md.
 */
#include "igc_store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "igc_base.h"

#define ID_LEN 18 /* stamps and old ids: 'J' + 13-digit ms + 4-digit sequence */
#define BRN_LEN 10
#define RID_LEN 32 /* new ids: 128 random bits as lowercase hex */
#define SEQ_MAX 9999
#define META_SCHEMA "store.schema_version"
#define META_CREATED "store.created_at"
#define META_STAMP "store.last_stamp" /* newest by_brn time stamp, 'J' + 17 digits */
#define AUDIT_KEY 16                  /* audit keys: 16-digit zero-padded sequence */

struct igc_store {
    MDB_env *env;
    MDB_dbi judg, by_brn, exem, meta, users, audit, recl;
    pid_t pid; /* opener; a fork child must not touch the environment */
    dev_t dev;
    ino_t ino;
    int write_error; /* the last commit's LMDB/OS error, 0 after one that succeeded (atomic) */
    struct igc_store *next; /* open-store registry */
};

/* ---- registry of directories open in this process ----
 * LMDB's fcntl locks are per process: opening one environment twice and
 * closing one copy would silently drop the other's locks. */
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static igc_store *reg_head;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

static void reg_prepare(void) { pthread_mutex_lock(&reg_mu); }
static void reg_parent(void) { pthread_mutex_unlock(&reg_mu); }
static void reg_child(void) {
    /* Inherited handles are unusable in the child, so it may open afresh. */
    reg_head = NULL;
    pthread_mutex_unlock(&reg_mu);
}
static void reg_init(void) { pthread_atfork(reg_prepare, reg_parent, reg_child); }

static int reg_add(igc_store *s) {
    pthread_once(&reg_once, reg_init);
    pthread_mutex_lock(&reg_mu);
    for (igc_store *p = reg_head; p; p = p->next) {
        if (p->dev == s->dev && p->ino == s->ino) {
            pthread_mutex_unlock(&reg_mu);
            return IGC_ESTATE;
        }
    }
    s->next = reg_head;
    reg_head = s;
    pthread_mutex_unlock(&reg_mu);
    return 0;
}

static void reg_remove(igc_store *s) {
    pthread_mutex_lock(&reg_mu);
    for (igc_store **pp = &reg_head; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

/* ---- helpers ---- */

static int map_err(int rc, const char *what) {
    if (rc == MDB_MAP_FULL) {
        igc_log(IGC_LOG_WARN, "store: %s: map full", what);
        return IGC_EFULL;
    }
    if (rc == ENOSPC || rc == EDQUOT) { /* the disk, not the map: the same answer to the user */
        igc_log(IGC_LOG_ERROR, "store: %s: disk full (%s)", what, mdb_strerror(rc));
        return IGC_EFULL;
    }
    if (rc == ENOMEM) return IGC_ENOMEM;
    igc_log(IGC_LOG_ERROR, "store: %s: %s", what, mdb_strerror(rc));
    return IGC_EIO;
}

/* Commits txn and remembers how it went, for the status page (igc_store_stat). */
static int commit(igc_store *s, MDB_txn *txn) {
    int rc = mdb_txn_commit(txn);
    __atomic_store_n(&s->write_error, rc, __ATOMIC_RELAXED);
    return rc;
}

static int txn_begin(igc_store *s, unsigned flags, MDB_txn **txn) {
    int rc = mdb_txn_begin(s->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED) {
        /* Another process grew the map past ours: adopt its size. */
        mdb_env_set_mapsize(s->env, 0);
        rc = mdb_txn_begin(s->env, NULL, flags, txn);
    }
    return rc;
}

static MDB_val mval(const void *p, size_t n) {
    MDB_val v;
    v.mv_data = (void *)p;
    v.mv_size = n;
    return v;
}

/* 10 digits, or 3-2-5 with hyphens. The check digit is the caller's concern:
 * the store indexes whatever number the judgment was made for. */
static int norm_brn(const char *in, char out[BRN_LEN + 1]) {
    size_t n = strlen(in), o = 0;
    int hyph = n == 12 && in[3] == '-' && in[6] == '-';
    if (n != BRN_LEN && !hyph) return IGC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (hyph && (i == 3 || i == 6)) continue;
        if (in[i] < '0' || in[i] > '9') return IGC_EINVAL;
        out[o++] = in[i];
    }
    out[o] = '\0';
    return 0;
}

static int bad_brn(const char *brn) {
    char m[64];
    igc_mask(brn, m, sizeof m);
    igc_log(IGC_LOG_WARN, "store: invalid brn %s", m);
    return IGC_EINVAL;
}

/* Documents must be one UTF-8 JSON object so every reader can parse them. */
static int check_doc(const char *json, size_t len) {
    if (!json || !len) return IGC_EINVAL;
    if (len > IGC_STORE_MAX_DOC) return IGC_ETOOBIG;
    if (memchr(json, '\0', len)) return IGC_EINVAL;
    if (!igc_utf8_valid(json, len)) return IGC_EUTF8;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!j) return IGC_EPARSE;
    int obj = cJSON_IsObject(j);
    cJSON_Delete(j);
    if (!obj) return IGC_EINVAL;
    for (const char *p = end; p && p < json + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return IGC_EPARSE;
    return 0;
}

static int check_key(const char *key, size_t max) {
    if (!key) return IGC_EINVAL;
    size_t n = strlen(key);
    if (!n || n > max) return IGC_EINVAL;
    if (!igc_utf8_valid(key, n)) return IGC_EUTF8;
    return 0;
}

static int check_id(const char *id) {
    if (!id) return IGC_EINVAL;
    size_t n = strnlen(id, IGC_STORE_ID_SIZE);
    return n == 0 || n >= IGC_STORE_ID_SIZE ? IGC_EINVAL : 0;
}

static int parse_id(const MDB_val *k, uint64_t *ms, unsigned *seq) {
    const char *p = k->mv_data;
    if (k->mv_size != ID_LEN || p[0] != 'J') return -1;
    uint64_t t = 0;
    unsigned q = 0;
    for (int i = 1; i < ID_LEN; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        if (i <= 13) t = t * 10 + (uint64_t)(p[i] - '0');
        else q = q * 10 + (unsigned)(p[i] - '0');
    }
    *ms = t;
    *seq = q;
    return 0;
}

/* Next time stamp after the newest one (meta META_STAMP, or for a store written
 * before random ids the newest judgment id); runs inside the write transaction,
 * which serialises all writers (threads and processes). The stamp orders a
 * company's judgments in by_brn; the id itself is random. */
static int next_stamp(igc_store *s, MDB_txn *txn, char stamp[32]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    unsigned seq = 0;
    MDB_val k = mval(META_STAMP, strlen(META_STAMP)), v;
    int rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        MDB_cursor *c;
        if ((rc = mdb_cursor_open(txn, s->judg, &c))) return rc;
        rc = mdb_cursor_get(c, &v, &k, MDB_LAST);
        mdb_cursor_close(c);
    }
    if (rc && rc != MDB_NOTFOUND) return rc;
    uint64_t lms;
    unsigned lseq;
    if (rc == 0 && parse_id(&v, &lms, &lseq) == 0 && ms <= lms) {
        ms = lms;
        seq = lseq + 1;
        if (seq > SEQ_MAX) {
            ms++;
            seq = 0;
        }
    }
    if (ms > 9999999999999ull) return MDB_BAD_VALSIZE; /* year 2286 */
    snprintf(stamp, 32, "J%013llu%04u", (unsigned long long)ms, seq);
    return mdb_put(txn, s->meta, &(MDB_val){strlen(META_STAMP), (void *)META_STAMP},
                   &(MDB_val){ID_LEN, stamp}, 0);
}

static void brn_key(const char brn[BRN_LEN + 1], const char *id, char key[BRN_LEN + ID_LEN]) {
    memcpy(key, brn, BRN_LEN);
    for (int i = 0; i < ID_LEN; i++) {
        char ch = id[i];
        key[BRN_LEN + i] = ch >= '0' && ch <= '9' ? (char)('9' - (ch - '0')) : ch;
    }
}

static int mkdir_p(const char *dir) {
    char *p = igc_strdup(dir);
    if (!p) return IGC_ENOMEM;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    int rc = 0;
    for (char *q = p + 1; *q && !rc; q++) {
        if (*q != '/') continue;
        *q = '\0';
        if (mkdir(p, 0700) && errno != EEXIST) rc = IGC_EIO;
        *q = '/';
    }
    if (!rc && mkdir(p, 0700) && errno != EEXIST) rc = IGC_EIO;
    if (rc) igc_log(IGC_LOG_ERROR, "store: cannot create %s: %s", dir, strerror(errno));
    free(p);
    return rc;
}

static int put_raw(MDB_txn *txn, MDB_dbi dbi, const char *k, size_t kn, const char *v, size_t vn,
                   unsigned flags) {
    MDB_val key = mval(k, kn), val = mval(v, vn);
    return mdb_put(txn, dbi, &key, &val, flags);
}

/* Writes one key in its own write transaction (committed and synced). */
static int put_one(igc_store *s, MDB_dbi dbi, const char *key, const char *v, size_t vn, const char *what) {
    MDB_txn *txn;
    int lrc = txn_begin(s, 0, &txn);
    if (lrc) return map_err(lrc, what);
    if ((lrc = put_raw(txn, dbi, key, strlen(key), v, vn, 0))) mdb_txn_abort(txn);
    else lrc = commit(s, txn);
    return lrc ? map_err(lrc, what) : 0;
}

/* ---- open / close ---- */

static int init_dbs(igc_store *s) {
    MDB_txn *txn;
    int rc = txn_begin(s, 0, &txn);
    if (rc) return map_err(rc, "open");
    if ((rc = mdb_dbi_open(txn, "judgments", MDB_CREATE, &s->judg)) ||
        (rc = mdb_dbi_open(txn, "by_brn", MDB_CREATE, &s->by_brn)) ||
        (rc = mdb_dbi_open(txn, "exemplars", MDB_CREATE, &s->exem)) ||
        (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) ||
        (rc = mdb_dbi_open(txn, "users", MDB_CREATE, &s->users)) ||
        (rc = mdb_dbi_open(txn, "audit", MDB_CREATE, &s->audit)) ||
        (rc = mdb_dbi_open(txn, "reclass", MDB_CREATE, &s->recl))) {
        mdb_txn_abort(txn);
        return map_err(rc, "open sub-databases");
    }
    MDB_val k = mval(META_SCHEMA, strlen(META_SCHEMA)), v;
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == 0) {
        size_t n = strlen(IGC_STORE_SCHEMA_VERSION);
        if (v.mv_size == 1 && memcmp(v.mv_data, "1", 1) == 0) {
            /* version 1 had no users/audit databases and time-ordered ids; both
             * kinds of id stay readable, so upgrading is writing the version */
            rc = put_raw(txn, s->meta, META_SCHEMA, strlen(META_SCHEMA), IGC_STORE_SCHEMA_VERSION, n, 0);
            if (!rc) igc_log(IGC_LOG_INFO, "store: schema 1 upgraded to %s", IGC_STORE_SCHEMA_VERSION);
        } else if (v.mv_size != n || memcmp(v.mv_data, IGC_STORE_SCHEMA_VERSION, n) != 0) {
            igc_log(IGC_LOG_ERROR, "store: schema version %.*s, expected %s", (int)(v.mv_size < 16 ? v.mv_size : 16),
                    (const char *)v.mv_data, IGC_STORE_SCHEMA_VERSION);
            mdb_txn_abort(txn);
            return IGC_EVERSION;
        }
    } else if (rc == MDB_NOTFOUND) {
        char now[21];
        igc_iso_now(now);
        rc = put_raw(txn, s->meta, META_SCHEMA, strlen(META_SCHEMA), IGC_STORE_SCHEMA_VERSION,
                     strlen(IGC_STORE_SCHEMA_VERSION), 0);
        if (!rc) rc = put_raw(txn, s->meta, META_CREATED, strlen(META_CREATED), now, strlen(now), 0);
    }
    if (rc) {
        mdb_txn_abort(txn);
        return map_err(rc, "open");
    }
    rc = commit(s, txn);
    return rc ? map_err(rc, "open commit") : 0;
}

int igc_store_open(const char *dir, size_t map_mb, igc_store **out) {
    if (!out) return IGC_EINVAL;
    *out = NULL;
    if (!dir || !*dir) return IGC_EINVAL;
    if (!map_mb) map_mb = IGC_STORE_DEFAULT_MAP_MB;
    if (map_mb > SIZE_MAX / (1024 * 1024) / 2) return IGC_EINVAL;
    int rc = mkdir_p(dir);
    if (rc) return rc;
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        igc_log(IGC_LOG_ERROR, "store: %s is not a directory", dir);
        return IGC_EIO;
    }
    igc_store *s = calloc(1, sizeof *s);
    if (!s) return IGC_ENOMEM;
    s->pid = getpid();
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    if ((rc = reg_add(s))) {
        igc_log(IGC_LOG_ERROR, "store: %s is already open in this process", dir);
        free(s);
        return rc;
    }
    int lrc = mdb_env_create(&s->env);
    if (lrc) {
        reg_remove(s);
        free(s);
        return map_err(lrc, "env create");
    }
    if ((lrc = mdb_env_set_maxdbs(s->env, 8)) ||
        (lrc = mdb_env_set_mapsize(s->env, map_mb * 1024 * 1024)) ||
        (lrc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600))) {
        rc = map_err(lrc, "env open");
        goto fail;
    }
    int dead = 0;
    if ((lrc = mdb_reader_check(s->env, &dead))) {
        rc = map_err(lrc, "reader check");
        goto fail;
    }
    if (dead) igc_log(IGC_LOG_INFO, "store: cleared %d stale reader slot(s)", dead);
    if ((rc = init_dbs(s))) goto fail;
    *out = s;
    return 0;
fail:
    mdb_env_close(s->env);
    reg_remove(s);
    free(s);
    return rc;
}

void igc_store_close(igc_store *s) {
    if (!s) return;
    /* In a fork child, closing would release the parent's reader slots. */
    if (s->pid == getpid()) {
        reg_remove(s);
        mdb_env_close(s->env);
    }
    free(s);
}

/* ---- judgments ---- */

int igc_store_new_id(char id[IGC_STORE_ID_SIZE]) {
    if (!id) return IGC_EINVAL;
    id[0] = '\0';
    return igc_random_hex(RID_LEN / 2, id);
}

struct igc_store_txn {
    igc_store *s;
    MDB_txn *txn;
};

int igc_store_txn_begin(igc_store *s, igc_store_txn **out) {
    if (!out) return IGC_EINVAL;
    *out = NULL;
    if (!s) return IGC_EINVAL;
    igc_store_txn *t = calloc(1, sizeof *t);
    if (!t) return IGC_ENOMEM;
    int lrc = txn_begin(s, 0, &t->txn);
    if (lrc) {
        free(t);
        return map_err(lrc, "begin");
    }
    t->s = s;
    *out = t;
    return 0;
}

int igc_store_txn_commit(igc_store_txn *t) {
    if (!t) return IGC_EINVAL;
    int lrc = commit(t->s, t->txn); /* frees txn even when it fails */
    free(t);
    return lrc ? map_err(lrc, "commit") : 0;
}

void igc_store_txn_abort(igc_store_txn *t) {
    if (!t) return;
    mdb_txn_abort(t->txn);
    free(t);
}

int igc_store_txn_judgment_put(igc_store_txn *t, const char *id, const char *brn, const char *json, size_t len) {
    if (!t || check_id(id)) return IGC_EINVAL;
    int rc = check_doc(json, len);
    if (rc) return rc;
    char b[BRN_LEN + 1] = "";
    if (brn && *brn && norm_brn(brn, b)) return bad_brn(brn);
    int lrc = put_raw(t->txn, t->s->judg, id, strlen(id), json, len, MDB_NOOVERWRITE);
    if (lrc == MDB_KEYEXIST) return IGC_EEXIST;
    if (!lrc && b[0]) {
        char stamp[32], key[BRN_LEN + ID_LEN];
        if (!(lrc = next_stamp(t->s, t->txn, stamp))) {
            brn_key(b, stamp, key);
            lrc = put_raw(t->txn, t->s->by_brn, key, sizeof key, id, strlen(id), 0);
        }
    }
    if (lrc == MDB_MAP_FULL && b[0]) {
        char m[64];
        igc_mask(b, m, sizeof m);
        igc_log(IGC_LOG_WARN, "store: judgment for brn %s not saved", m);
    }
    return lrc ? map_err(lrc, "put judgment") : 0;
}

int igc_store_judgment_put(igc_store *s, const char *brn, const char *json, size_t len, char id[IGC_STORE_ID_SIZE]) {
    if (id) id[0] = '\0';
    if (!s || !id) return IGC_EINVAL;
    char nid[IGC_STORE_ID_SIZE];
    igc_store_txn *t;
    int rc = igc_store_new_id(nid);
    if (!rc) rc = igc_store_txn_begin(s, &t);
    if (rc) return rc;
    if ((rc = igc_store_txn_judgment_put(t, nid, brn, json, len))) igc_store_txn_abort(t);
    else rc = igc_store_txn_commit(t);
    if (!rc) memcpy(id, nid, sizeof nid);
    return rc;
}

static int txn_get_copy(MDB_txn *txn, MDB_dbi dbi, const char *key, char **out, size_t *len, const char *what) {
    MDB_val k = mval(key, strlen(key)), v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc) return rc == MDB_NOTFOUND ? IGC_ENOTFOUND : map_err(rc, what);
    char *p = malloc(v.mv_size + 1);
    if (!p) return IGC_ENOMEM;
    memcpy(p, v.mv_data, v.mv_size);
    p[v.mv_size] = '\0';
    if (len) *len = v.mv_size;
    *out = p;
    return 0;
}

int igc_store_txn_judgment_get(igc_store_txn *t, const char *id, char **json, size_t *len) {
    if (json) *json = NULL;
    if (len) *len = 0;
    if (!t || !json || check_id(id)) return IGC_EINVAL;
    return txn_get_copy(t->txn, t->s->judg, id, json, len, "get judgment");
}

static int txn_update(MDB_txn *txn, MDB_dbi dbi, const char *id, const char *json, size_t len) {
    MDB_val k = mval(id, strlen(id)), v;
    int lrc = mdb_get(txn, dbi, &k, &v);
    if (lrc == MDB_NOTFOUND) return IGC_ENOTFOUND;
    if (!lrc) lrc = put_raw(txn, dbi, id, strlen(id), json, len, 0);
    return lrc ? map_err(lrc, "update judgment") : 0;
}

int igc_store_txn_judgment_update(igc_store_txn *t, const char *id, const char *json, size_t len) {
    if (!t || check_id(id)) return IGC_EINVAL;
    int rc = check_doc(json, len);
    return rc ? rc : txn_update(t->txn, t->s->judg, id, json, len);
}

static int get_copy(igc_store *s, MDB_dbi dbi, const char *key, char **out, size_t *len, const char *what) {
    MDB_txn *txn;
    int rc = txn_begin(s, MDB_RDONLY, &txn);
    if (rc) return map_err(rc, what);
    MDB_val k = mval(key, strlen(key)), v;
    rc = mdb_get(txn, dbi, &k, &v);
    if (rc) {
        mdb_txn_abort(txn);
        return rc == MDB_NOTFOUND ? IGC_ENOTFOUND : map_err(rc, what);
    }
    char *p = malloc(v.mv_size + 1);
    if (!p) {
        mdb_txn_abort(txn);
        return IGC_ENOMEM;
    }
    memcpy(p, v.mv_data, v.mv_size);
    p[v.mv_size] = '\0';
    if (len) *len = v.mv_size;
    mdb_txn_abort(txn);
    *out = p;
    return 0;
}

int igc_store_judgment_get(igc_store *s, const char *id, char **json, size_t *len) {
    if (json) *json = NULL;
    if (len) *len = 0;
    if (!s || !json || check_id(id)) return IGC_EINVAL;
    return get_copy(s, s->judg, id, json, len, "get judgment");
}

int igc_store_judgment_update(igc_store *s, const char *id, const char *json, size_t len) {
    if (!s || check_id(id)) return IGC_EINVAL;
    int rc = check_doc(json, len);
    if (rc) return rc;
    MDB_txn *txn;
    int lrc = txn_begin(s, 0, &txn);
    if (lrc) return map_err(lrc, "update judgment");
    if ((rc = txn_update(txn, s->judg, id, json, len))) {
        mdb_txn_abort(txn);
        return rc;
    }
    lrc = commit(s, txn);
    return lrc ? map_err(lrc, "update judgment") : 0;
}

static int list_brn(igc_store *s, MDB_txn *txn, const char *brn, size_t limit, igc_store_ids *out) {
    char b[BRN_LEN + 1];
    if (norm_brn(brn, b)) return bad_brn(brn);
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->by_brn, &c);
    if (rc) return map_err(rc, "list judgments");
    size_t cap = 0;
    int err = 0;
    MDB_val k = mval(b, BRN_LEN), v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < BRN_LEN || memcmp(k.mv_data, b, BRN_LEN) != 0) break;
        if (limit && out->n >= limit) break;
        if (v.mv_size == 0 || v.mv_size >= IGC_STORE_ID_SIZE) continue;
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char(*p)[IGC_STORE_ID_SIZE] = realloc(out->ids, ncap * sizeof *p);
            if (!p) {
                err = IGC_ENOMEM;
                break;
            }
            out->ids = p;
            cap = ncap;
        }
        memcpy(out->ids[out->n], v.mv_data, v.mv_size);
        out->ids[out->n][v.mv_size] = '\0';
        out->n++;
    }
    if (!err && rc && rc != MDB_NOTFOUND) err = map_err(rc, "list judgments");
    mdb_cursor_close(c);
    if (err) igc_store_ids_free(out);
    return err;
}

int igc_store_judgment_list_brn(igc_store *s, const char *brn, size_t limit, igc_store_ids *out) {
    if (out) {
        out->ids = NULL;
        out->n = 0;
    }
    if (!s || !out || !brn) return IGC_EINVAL;
    MDB_txn *txn;
    int rc = txn_begin(s, MDB_RDONLY, &txn);
    if (rc) return map_err(rc, "list judgments");
    rc = list_brn(s, txn, brn, limit, out);
    mdb_txn_abort(txn);
    return rc;
}

int igc_store_txn_judgment_list_brn(igc_store_txn *t, const char *brn, size_t limit, igc_store_ids *out) {
    if (out) {
        out->ids = NULL;
        out->n = 0;
    }
    if (!t || !out || !brn) return IGC_EINVAL;
    return list_brn(t->s, t->txn, brn, limit, out);
}

void igc_store_ids_free(igc_store_ids *ids) {
    if (!ids) return;
    free(ids->ids);
    ids->ids = NULL;
    ids->n = 0;
}

typedef int (*row_cb)(void *ud, const char *key, const char *json, size_t len);

/* Copies each row so callers get NUL-terminated text and may write to the
 * store from the callback without touching mapped pages. */
static int foreach_db(igc_store *s, MDB_dbi dbi, row_cb cb, void *ud, const char *what) {
    if (!cb) return IGC_EINVAL;
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = txn_begin(s, MDB_RDONLY, &txn);
    if (rc) return map_err(rc, what);
    if ((rc = mdb_cursor_open(txn, dbi, &c))) {
        mdb_txn_abort(txn);
        return map_err(rc, what);
    }
    igc_buf key = {0}, val = {0};
    int ret = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        key.len = val.len = 0;
        if (igc_buf_append(&key, k.mv_data, k.mv_size) || igc_buf_append(&val, v.mv_data, v.mv_size)) {
            ret = IGC_ENOMEM;
            break;
        }
        if ((ret = cb(ud, key.data, val.data, val.len))) break;
    }
    if (!ret && rc && rc != MDB_NOTFOUND) ret = map_err(rc, what);
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    igc_buf_free(&key);
    igc_buf_free(&val);
    return ret;
}

int igc_store_judgment_foreach(igc_store *s, int (*cb)(void *ud, const char *id, const char *json, size_t len),
                               void *ud) {
    if (!s) return IGC_EINVAL;
    return foreach_db(s, s->judg, cb, ud, "list judgments");
}

/* ---- exemplars ---- */

int igc_store_exemplar_put(igc_store *s, const char *key, const char *json, size_t len) {
    if (!s) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    if (!rc) rc = check_doc(json, len);
    if (rc) return rc;
    return put_one(s, s->exem, key, json, len, "put exemplar");
}

int igc_store_exemplar_put_many(igc_store *s, const char *const *keys, const char *const *docs, size_t n) {
    if (!s || (n && (!keys || !docs))) return IGC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int rc = check_key(keys[i], IGC_STORE_MAX_KEY);
        if (!rc) rc = check_doc(docs[i], strlen(docs[i]));
        if (rc) return rc;
    }
    MDB_txn *txn;
    int lrc = txn_begin(s, 0, &txn);
    if (lrc) return map_err(lrc, "put exemplars");
    for (size_t i = 0; i < n && !lrc; i++) lrc = put_raw(txn, s->exem, keys[i], strlen(keys[i]), docs[i], strlen(docs[i]), 0);
    if (lrc) mdb_txn_abort(txn);
    else lrc = commit(s, txn);
    return lrc ? map_err(lrc, "put exemplars") : 0;
}

int igc_store_exemplar_page(igc_store *s, const char *after, size_t max,
                            int (*cb)(void *ud, const char *key, const char *json, size_t len), void *ud,
                            size_t *n) {
    if (n) *n = 0;
    if (!s || !cb || !max) return IGC_EINVAL;
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = txn_begin(s, MDB_RDONLY, &txn);
    if (rc) return map_err(rc, "list exemplars");
    if ((rc = mdb_cursor_open(txn, s->exem, &c))) {
        mdb_txn_abort(txn);
        return map_err(rc, "list exemplars");
    }
    size_t al = after ? strlen(after) : 0;
    MDB_val k = mval(after, al), v;
    rc = mdb_cursor_get(c, &k, &v, al ? MDB_SET_RANGE : MDB_FIRST);
    /* SET_RANGE lands on the key itself when present: skip it */
    if (rc == 0 && al && k.mv_size == al && memcmp(k.mv_data, after, al) == 0) rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    igc_buf key = {0}, val = {0};
    int ret = 0;
    size_t got = 0;
    for (; rc == 0 && got < max; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        key.len = val.len = 0;
        if (igc_buf_append(&key, k.mv_data, k.mv_size) || igc_buf_append(&val, v.mv_data, v.mv_size)) {
            ret = IGC_ENOMEM;
            break;
        }
        got++;
        if ((ret = cb(ud, key.data, val.data, val.len))) break;
    }
    if (!ret && rc && rc != MDB_NOTFOUND) ret = map_err(rc, "list exemplars");
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    igc_buf_free(&key);
    igc_buf_free(&val);
    if (n) *n = got;
    return ret;
}

int igc_store_exemplar_del(igc_store *s, const char *key) {
    if (!s) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    if (rc) return rc;
    MDB_txn *txn;
    int lrc = txn_begin(s, 0, &txn);
    if (lrc) return map_err(lrc, "delete exemplar");
    MDB_val k = mval(key, strlen(key));
    lrc = mdb_del(txn, s->exem, &k, NULL);
    if (lrc) {
        mdb_txn_abort(txn);
        return lrc == MDB_NOTFOUND ? IGC_ENOTFOUND : map_err(lrc, "delete exemplar");
    }
    lrc = commit(s, txn);
    return lrc ? map_err(lrc, "delete exemplar") : 0;
}

int igc_store_exemplar_foreach(igc_store *s, int (*cb)(void *ud, const char *key, const char *json, size_t len),
                               void *ud) {
    if (!s) return IGC_EINVAL;
    return foreach_db(s, s->exem, cb, ud, "list exemplars");
}

int igc_store_txn_judgment_del(igc_store_txn *t, const char *id, const char *brn) {
    if (!t || check_id(id)) return IGC_EINVAL;
    MDB_val k = mval(id, strlen(id));
    int lrc = mdb_del(t->txn, t->s->judg, &k, NULL);
    if (lrc == MDB_NOTFOUND) return IGC_ENOTFOUND;
    if (lrc) return map_err(lrc, "delete judgment");
    char b[BRN_LEN + 1];
    if (!brn || !*brn || norm_brn(brn, b)) return 0;
    MDB_cursor *c;
    if ((lrc = mdb_cursor_open(t->txn, t->s->by_brn, &c))) return map_err(lrc, "delete judgment");
    MDB_val v;
    k = mval(b, BRN_LEN);
    for (lrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); lrc == 0; lrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < BRN_LEN || memcmp(k.mv_data, b, BRN_LEN) != 0) break;
        if (v.mv_size == strlen(id) && memcmp(v.mv_data, id, v.mv_size) == 0) {
            lrc = mdb_cursor_del(c, 0);
            break;
        }
    }
    mdb_cursor_close(c);
    return lrc && lrc != MDB_NOTFOUND ? map_err(lrc, "delete judgment") : 0;
}

int igc_store_txn_exemplar_put(igc_store_txn *t, const char *key, const char *json, size_t len) {
    if (!t) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    if (!rc) rc = check_doc(json, len);
    if (rc) return rc;
    int lrc = put_raw(t->txn, t->s->exem, key, strlen(key), json, len, 0);
    return lrc ? map_err(lrc, "put exemplar") : 0;
}

int igc_store_txn_exemplar_del(igc_store_txn *t, const char *key) {
    if (!t) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    if (rc) return rc;
    MDB_val k = mval(key, strlen(key));
    int lrc = mdb_del(t->txn, t->s->exem, &k, NULL);
    if (lrc == MDB_NOTFOUND) return IGC_ENOTFOUND;
    return lrc ? map_err(lrc, "delete exemplar") : 0;
}

int igc_store_exemplar_get(igc_store *s, const char *key, char **json, size_t *len) {
    if (json) *json = NULL;
    if (!s || !json) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    return rc ? rc : get_copy(s, s->exem, key, json, len, "get exemplar");
}

/* ---- users ---- */

int igc_store_user_get(igc_store *s, const char *key, char **json, size_t *len) {
    if (json) *json = NULL;
    if (!s || !json) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    return rc ? rc : get_copy(s, s->users, key, json, len, "get user");
}

int igc_store_txn_user_get(igc_store_txn *t, const char *key, char **json, size_t *len) {
    if (json) *json = NULL;
    if (!t || !json) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    return rc ? rc : txn_get_copy(t->txn, t->s->users, key, json, len, "get user");
}

int igc_store_txn_user_put(igc_store_txn *t, const char *key, const char *json, size_t len) {
    if (!t) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    if (!rc) rc = check_doc(json, len);
    if (rc) return rc;
    int lrc = put_raw(t->txn, t->s->users, key, strlen(key), json, len, 0);
    return lrc ? map_err(lrc, "put user") : 0;
}

int igc_store_txn_user_del(igc_store_txn *t, const char *key) {
    if (!t) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY);
    if (rc) return rc;
    MDB_val k = mval(key, strlen(key));
    int lrc = mdb_del(t->txn, t->s->users, &k, NULL);
    if (lrc == MDB_NOTFOUND) return IGC_ENOTFOUND;
    return lrc ? map_err(lrc, "delete user") : 0;
}

int igc_store_user_foreach(igc_store *s, int (*cb)(void *ud, const char *key, const char *json, size_t len),
                           void *ud) {
    if (!s) return IGC_EINVAL;
    return foreach_db(s, s->users, cb, ud, "list users");
}

/* ---- audit log: append-only, keys are a 16-digit sequence ---- */

static int audit_append(igc_store *s, MDB_txn *txn, const char *json, size_t len) {
    int rc = check_doc(json, len);
    if (rc) return rc;
    MDB_cursor *c;
    int lrc = mdb_cursor_open(txn, s->audit, &c);
    if (lrc) return map_err(lrc, "audit");
    MDB_val k, v;
    unsigned long long next = 1;
    lrc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    mdb_cursor_close(c);
    if (lrc == 0 && k.mv_size == AUDIT_KEY) {
        char buf[AUDIT_KEY + 1];
        memcpy(buf, k.mv_data, AUDIT_KEY);
        buf[AUDIT_KEY] = '\0';
        next = strtoull(buf, NULL, 10) + 1;
    } else if (lrc && lrc != MDB_NOTFOUND) {
        return map_err(lrc, "audit");
    }
    char key[AUDIT_KEY + 1];
    snprintf(key, sizeof key, "%016llu", next);
    lrc = put_raw(txn, s->audit, key, AUDIT_KEY, json, len, MDB_NOOVERWRITE | MDB_APPEND);
    return lrc ? map_err(lrc, "audit") : 0;
}

int igc_store_txn_audit_append(igc_store_txn *t, const char *json, size_t len) {
    if (!t) return IGC_EINVAL;
    return audit_append(t->s, t->txn, json, len);
}

int igc_store_audit_append(igc_store *s, const char *json, size_t len) {
    if (!s) return IGC_EINVAL;
    MDB_txn *txn;
    int lrc = txn_begin(s, 0, &txn);
    if (lrc) return map_err(lrc, "audit");
    int rc = audit_append(s, txn, json, len);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    lrc = commit(s, txn);
    return lrc ? map_err(lrc, "audit") : 0;
}

int igc_store_audit_foreach(igc_store *s, int (*cb)(void *ud, const char *key, const char *json, size_t len),
                            void *ud) {
    if (!s) return IGC_EINVAL;
    return foreach_db(s, s->audit, cb, ud, "read audit");
}

/* ---- meta ---- */

int igc_store_meta_get(igc_store *s, const char *key, char **val) {
    if (val) *val = NULL;
    if (!s || !val) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_META_KEY);
    if (rc) return rc;
    return get_copy(s, s->meta, key, val, NULL, "get meta");
}

/* What igc_store_meta_set accepts: 0, or why not. */
static int meta_check(const char *key, const char *val) {
    if (!val) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_META_KEY);
    if (rc) return rc;
    if (strncmp(key, "store.", 6) == 0) return IGC_EINVAL;
    size_t n = strlen(val);
    if (n > IGC_STORE_MAX_META_VAL) return IGC_ETOOBIG;
    return igc_utf8_valid(val, n) ? 0 : IGC_EUTF8;
}

int igc_store_meta_set(igc_store *s, const char *key, const char *val) {
    if (!s) return IGC_EINVAL;
    int rc = meta_check(key, val);
    return rc ? rc : put_one(s, s->meta, key, val, strlen(val), "set meta");
}

int igc_store_txn_meta_set(igc_store_txn *t, const char *key, const char *val) {
    if (!t) return IGC_EINVAL;
    int rc = meta_check(key, val);
    if (rc) return rc;
    int lrc = put_raw(t->txn, t->s->meta, key, strlen(key), val, strlen(val), 0);
    return lrc ? map_err(lrc, "set meta") : 0;
}

/* ---- re-classification results ---- */

int igc_store_reclass_put(igc_store *s, const char *const *keys, const char *const *docs, size_t n,
                          const char *meta_key, const char *meta_val) {
    if (!s || (n && (!keys || !docs))) return IGC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int rc = check_key(keys[i], IGC_STORE_MAX_KEY + 64);
        if (!rc) rc = check_doc(docs[i], strlen(docs[i]));
        if (rc) return rc;
    }
    if (meta_key && (check_key(meta_key, IGC_STORE_MAX_META_KEY) || !meta_val || strncmp(meta_key, "store.", 6) == 0 ||
                     strlen(meta_val) > IGC_STORE_MAX_META_VAL))
        return IGC_EINVAL;
    MDB_txn *txn;
    int lrc = txn_begin(s, 0, &txn);
    if (lrc) return map_err(lrc, "put re-classification");
    for (size_t i = 0; i < n && !lrc; i++) lrc = put_raw(txn, s->recl, keys[i], strlen(keys[i]), docs[i], strlen(docs[i]), 0);
    if (!lrc && meta_key) lrc = put_raw(txn, s->meta, meta_key, strlen(meta_key), meta_val, strlen(meta_val), 0);
    if (lrc) mdb_txn_abort(txn);
    else lrc = commit(s, txn);
    return lrc ? map_err(lrc, "put re-classification") : 0;
}

int igc_store_reclass_get(igc_store *s, const char *key, char **json) {
    if (json) *json = NULL;
    if (!s || !json) return IGC_EINVAL;
    int rc = check_key(key, IGC_STORE_MAX_KEY + 64);
    return rc ? rc : get_copy(s, s->recl, key, json, NULL, "get re-classification");
}

int igc_store_reclass_foreach(igc_store *s, const char *prefix,
                              int (*cb)(void *ud, const char *key, const char *json, size_t len), void *ud) {
    if (!s || !cb || !prefix) return IGC_EINVAL;
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = txn_begin(s, MDB_RDONLY, &txn);
    if (rc) return map_err(rc, "list re-classifications");
    if ((rc = mdb_cursor_open(txn, s->recl, &c))) {
        mdb_txn_abort(txn);
        return map_err(rc, "list re-classifications");
    }
    size_t pl = strlen(prefix);
    igc_buf key = {0}, val = {0};
    int ret = 0;
    MDB_val k = mval(prefix, pl), v;
    for (rc = mdb_cursor_get(c, &k, &v, pl ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < pl || memcmp(k.mv_data, prefix, pl) != 0) break;
        key.len = val.len = 0;
        if (igc_buf_append(&key, k.mv_data, k.mv_size) || igc_buf_append(&val, v.mv_data, v.mv_size)) {
            ret = IGC_ENOMEM;
            break;
        }
        if ((ret = cb(ud, key.data, val.data, val.len))) break;
    }
    if (!ret && rc && rc != MDB_NOTFOUND) ret = map_err(rc, "list re-classifications");
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    igc_buf_free(&key);
    igc_buf_free(&val);
    return ret;
}

/* ---- status ---- */

/* mdb_reader_list prints one line per held slot, starting with the pid. */
static int count_reader(const char *msg, void *ctx) {
    while (*msg == ' ') msg++;
    if (*msg >= '0' && *msg <= '9') (*(size_t *)ctx)++;
    return 0;
}

int igc_store_stat(igc_store *s, igc_store_stats *st) {
    if (!s || !st) return IGC_EINVAL;
    memset(st, 0, sizeof *st);
    MDB_txn *txn;
    int rc = txn_begin(s, MDB_RDONLY, &txn);
    if (rc) return map_err(rc, "stat");
    MDB_stat js, es, us, as, envst;
    MDB_envinfo info;
    if ((rc = mdb_stat(txn, s->judg, &js)) || (rc = mdb_stat(txn, s->exem, &es)) ||
        (rc = mdb_stat(txn, s->users, &us)) || (rc = mdb_stat(txn, s->audit, &as)) ||
        (rc = mdb_env_stat(s->env, &envst)) || (rc = mdb_env_info(s->env, &info))) {
        mdb_txn_abort(txn);
        return map_err(rc, "stat");
    }
    mdb_txn_abort(txn);
    st->judgments = js.ms_entries;
    st->exemplars = es.ms_entries;
    st->user_keys = us.ms_entries;
    st->audit = as.ms_entries;
    st->map_size = info.me_mapsize;
    st->map_used = (info.me_last_pgno + 1) * (size_t)envst.ms_psize;
    mdb_reader_list(s->env, count_reader, &st->readers);
    st->write_error = __atomic_load_n(&s->write_error, __ATOMIC_RELAXED);
    if (st->write_error) snprintf(st->write_error_text, sizeof st->write_error_text, "%s", mdb_strerror(st->write_error));
    return 0;
}

int igc_store_reader_check(igc_store *s, int *dead) {
    if (dead) *dead = 0;
    if (!s) return IGC_EINVAL;
    int n = 0, rc = mdb_reader_check(s->env, &n);
    if (rc) return map_err(rc, "reader check");
    if (n) igc_log(IGC_LOG_INFO, "store: cleared %d stale reader slot(s)", n);
    if (dead) *dead = n;
    return 0;
}
