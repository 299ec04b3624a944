/* The judgment record (who decided, one current judgment per company, review,
 * retention) and the audit log; see docs/security.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"

int igc_none_reason_known(const char *s) {
    /* a whole name of the list, between its ", " separators */
    static const char list[] = IGC_NONE_REASONS;
    size_t n = s && !strpbrk(s, ", ") ? strlen(s) : 0;
    for (const char *p = list; n && (p = strstr(p, s)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void set_str(cJSON *o, const char *k, const char *v) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

void igc_app_mask_brn(const char *brn, char out[32]) { igc_mask(brn ? brn : "", out, 32); }

/* "current" for documents written before judgments had a status. */
static const char *status_of(const cJSON *doc) {
    const char *s = jstr(doc, "status");
    return s ? s : "current";
}

/* Documents written before review count as confirmed: they were exemplars. */
static int confirmed_of(const cJSON *doc) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "confirmed");
    return c ? cJSON_IsTrue(c) : 1;
}

/* ---- audit ---- */

int igc_app_audit(igc_app *a, igc_store_txn *t, const char *action, const char *user, cJSON *fields) {
    cJSON *o = cJSON_CreateObject();
    char now[21];
    igc_iso_now(now);
    cJSON_AddStringToObject(o, "at", now);
    cJSON_AddStringToObject(o, "action", action);
    if (user && *user) cJSON_AddStringToObject(o, "user", user);
    else cJSON_AddNullToObject(o, "user");
    if (fields) {
        cJSON *f = fields->child;
        while (f) {
            cJSON *next = f->next;
            cJSON_AddItemToObject(o, f->string, cJSON_DetachItemViaPointer(fields, f));
            f = next;
        }
        cJSON_Delete(fields);
    }
    if (!t) {
        if (!a->audit_queue) a->audit_queue = cJSON_CreateArray();
        if (!a->audit_queue) {
            cJSON_Delete(o);
            return IGC_ENOMEM;
        }
        cJSON_AddItemToArray(a->audit_queue, o);
        return 0;
    }
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    int rc = txt ? igc_store_txn_audit_append(t, txt, strlen(txt)) : IGC_ENOMEM;
    free(txt);
    return rc;
}

/* An empty array or object counts as none. */
static cJSON *nonempty(cJSON *o) {
    if (o && !o->child) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

int igc_app_audit_take(igc_app *a, igc_audit_batch *b) {
    b->records = nonempty(a->audit_queue);
    b->meta = nonempty(a->meta_queue);
    a->audit_queue = a->meta_queue = NULL;
    return b->records || b->meta;
}

void igc_audit_batch_free(igc_audit_batch *b) {
    cJSON_Delete(b->records);
    cJSON_Delete(b->meta);
    b->records = b->meta = NULL;
}

int igc_app_audit_write(igc_app *a, const igc_audit_batch *b) {
    if (!a->store || (!b->records && !b->meta)) return 0;
    igc_store_txn *t;
    int rc = igc_store_txn_begin(a->store, &t);
    const cJSON *o;
    cJSON_ArrayForEach(o, b->records) {
        if (rc) break;
        char *txt = cJSON_PrintUnformatted(o);
        rc = txt ? igc_store_txn_audit_append(t, txt, strlen(txt)) : IGC_ENOMEM;
        free(txt);
    }
    cJSON_ArrayForEach(o, b->meta) {
        if (rc) break;
        if (cJSON_IsString(o)) rc = igc_store_txn_meta_set(t, o->string, o->valuestring);
    }
    if (rc) igc_store_txn_abort(t);
    else rc = igc_store_txn_commit(t);
    return rc;
}

/* Records not written stay for the next try, ahead of those queued since, but never
 * more than a bounded backlog. */
#define AUDIT_BACKLOG 100000

void igc_app_audit_putback(igc_app *a, igc_audit_batch *b, int rc) {
    cJSON *records = b->records, *meta = b->meta;
    b->records = b->meta = NULL;
    if (meta && !records) igc_log(IGC_LOG_WARN, "store: the versions in use not recorded yet: %s", igc_strerror(rc));
    /* meta queued since is newer: only the keys it lacks come back */
    if (meta && !a->meta_queue) {
        a->meta_queue = meta;
    } else if (meta) {
        while (meta->child) {
            cJSON *m = cJSON_DetachItemViaPointer(meta, meta->child);
            if (cJSON_HasObjectItem(a->meta_queue, m->string)) cJSON_Delete(m);
            else cJSON_AddItemToObject(a->meta_queue, m->string, m);
        }
        cJSON_Delete(meta);
    }
    if (!records) return;
    int n = cJSON_GetArraySize(records), queued = a->audit_queue ? cJSON_GetArraySize(a->audit_queue) : 0;
    if (n + queued >= AUDIT_BACKLOG) {
        igc_log(IGC_LOG_ERROR, "audit: %d record(s) not written and dropped (backlog of %d): %s", n, n + queued,
                igc_strerror(rc));
        cJSON_Delete(records);
        return;
    }
    igc_log(IGC_LOG_ERROR, "audit: %d record(s) not written, kept for the next try: %s", n, igc_strerror(rc));
    cJSON *later = a->audit_queue;
    a->audit_queue = records;
    if (later) {
        while (later->child) cJSON_AddItemToArray(records, cJSON_DetachItemViaPointer(later, later->child));
        cJSON_Delete(later);
    }
}

int igc_app_audit_flush(igc_app *a) {
    if (!a->store) return 0;
    igc_audit_batch b;
    if (!igc_app_audit_take(a, &b)) return 0;
    int rc = igc_app_audit_write(a, &b);
    if (rc) igc_app_audit_putback(a, &b, rc);
    else igc_audit_batch_free(&b);
    return rc;
}

static void policy_one(igc_app *a, const char *what, const char *now, char *last, size_t lastsz, const char *user) {
    if (!now || strcmp(now, last) == 0) return;
    if ((a->flags & IGC_APP_DAEMON) && a->store) {
        /* what the service uses, for igc commands on its store to compare theirs with:
         * queued, written with the audit records (off the loop: a save may hold the
         * write lock) */
        char key[48];
        snprintf(key, sizeof key, "service.%s", what);
        if (!a->meta_queue) a->meta_queue = cJSON_CreateObject();
        cJSON_DeleteItemFromObjectCaseSensitive(a->meta_queue, key);
        if (!a->meta_queue || !cJSON_AddStringToObject(a->meta_queue, key, now))
            igc_log(IGC_LOG_WARN, "store: cannot record the %s version", what);
    }
    if (last[0]) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "object", what);
        cJSON_AddStringToObject(f, "before", last);
        cJSON_AddStringToObject(f, "after", now);
        igc_app_audit(a, NULL, "policy.change", user, f);
    }
    snprintf(last, lastsz, "%s", now);
}

void igc_app_audit_policy(igc_app *a, const char *user) {
    igc_rules_version *v = a->rules ? igc_rules_acquire(a->rules) : NULL;
    if (v) policy_one(a, "rules", igc_rules_version_id(v), a->audit_rules, sizeof a->audit_rules, user);
    igc_rules_release(v);
    v = a->programmes ? igc_rules_acquire(a->programmes) : NULL;
    if (v) policy_one(a, "programmes", igc_rules_version_id(v), a->audit_programmes, sizeof a->audit_programmes, user);
    igc_rules_release(v);
    igc_lexicon *lx = a->cfg.no_lexicon ? NULL : igc_app_lexicon_ref(a);
    if (lx) policy_one(a, "lexicon", igc_lexicon_version(lx), a->audit_lexicon, sizeof a->audit_lexicon, user);
    igc_lexicon_unref(lx);
}

/* ---- exemplars of judgments ---- */

/* The exemplar a judgment document stands for (strings point into doc). */
static void doc_exemplar(const cJSON *doc, const char *id, igc_exemplar *x) {
    memset(x, 0, sizeof *x);
    const cJSON *co = cJSON_GetObjectItemCaseSensitive(doc, "company");
    const cJSON *te = cJSON_GetObjectItemCaseSensitive(doc, "tech");
    x->key = id;
    x->in.company_name = jstr(co, "name");
    x->in.ksic_code = jstr(te, "ksic_code");
    x->in.ksic_name = jstr(te, "ksic_name");
    x->in.main_product = jstr(te, "main_product");
    x->in.product_use = jstr(te, "product_use");
    x->in.tech_business_name = jstr(te, "tech_business_name");
    x->in.tech_class = jstr(te, "tech_class");
    const char *brn = jstr(co, "brn");
    char b10[11];
    if (brn && igc_brn_normalize(brn, b10) == 0) x->in.owner = igc_app_owner(b10);
    x->labels[0] = jstr(doc, "chosen_item");
    if (!x->labels[0]) x->none_reason = jstr(doc, "none_reason") ? jstr(doc, "none_reason") : "examiner_not_applicable";
}

static int put_exemplar(igc_store_txn *t, const cJSON *doc, const char *id) {
    igc_exemplar x;
    doc_exemplar(doc, id, &x);
    cJSON *xo = igc_exemplar_json(id, &x.in, x.labels, x.none_reason, NULL, "judgment");
    if (xo) {
        const char *ex = jstr(doc, "examiner");
        if (ex) cJSON_AddStringToObject(xo, "examiner", ex);
        /* the revision its item code belongs to: read through the crosswalk after a switch */
        const char *tv = jstr(doc, "taxonomy_version");
        if (tv) cJSON_AddStringToObject(xo, "taxonomy_version", tv);
    }
    char *xt = xo ? cJSON_PrintUnformatted(xo) : NULL;
    cJSON_Delete(xo);
    int rc = xt ? igc_store_txn_exemplar_put(t, id, xt, strlen(xt)) : IGC_ENOMEM;
    free(xt);
    return rc;
}

static void engine_add(igc_app *a, const cJSON *doc, const char *id) {
    igc_exemplar x;
    doc_exemplar(doc, id, &x);
    /* classifications and a re-classification worker may be reading the engine */
    igc_engine *e = igc_app_engine_ref(a);
    pthread_mutex_lock(&a->engine_wmu);
    pthread_rwlock_wrlock(&a->engine_rw);
    int rc = igc_engine_add_exemplar(e, &x);
    pthread_rwlock_unlock(&a->engine_rw);
    pthread_mutex_unlock(&a->engine_wmu);
    igc_engine_unref(e);
    if (rc == 0) {
        /* found as a neighbour from now on; the statistics are refitted by the
         * server's next sync (igc_app_sync_engine), once for a burst of saves */
        __atomic_store_n(&a->engine_dirty, 1, __ATOMIC_RELEASE);
    } else if (rc != IGC_EEXIST) {
        igc_log(IGC_LOG_WARN, "judgment %s: not added to the running engine (%s); a restart loads it", id,
                igc_strerror(rc));
    }
}

static void engine_remove(igc_app *a, const char *id) {
    igc_engine *e = igc_app_engine_ref(a);
    pthread_mutex_lock(&a->engine_wmu);
    pthread_rwlock_wrlock(&a->engine_rw);
    int rc = igc_engine_remove_exemplar(e, id);
    pthread_rwlock_unlock(&a->engine_rw);
    pthread_mutex_unlock(&a->engine_wmu);
    igc_engine_unref(e);
    if (rc == 0) __atomic_store_n(&a->engine_dirty, 1, __ATOMIC_RELEASE);
}

/* ---- save ---- */

/* The answer's summary for the audit log: applicable and the top item. */
static cJSON *answer_summary(const cJSON *result) {
    cJSON *s = cJSON_CreateObject();
    const cJSON *app = cJSON_GetObjectItemCaseSensitive(result, "applicable");
    if (cJSON_IsBool(app)) cJSON_AddBoolToObject(s, "applicable", cJSON_IsTrue(app));
    const cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(result, "items"), 0);
    const char *code = jstr(top, "code");
    if (code) cJSON_AddStringToObject(s, "top_item", code);
    return s;
}

int igc_app_judgment_save(igc_app *a, const char *user, const igc_req *r, cJSON *doc, char id[IGC_STORE_ID_SIZE]) {
    int rc = igc_store_new_id(id);
    if (rc) return rc;
    int on_save = strcmp(a->cfg.learn_from, "review") != 0;
    char now[21];
    igc_iso_now(now);
    set_str(doc, "id", id);
    set_str(doc, "examiner", user && *user ? user : NULL);
    set_str(doc, "status", "current");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "confirmed");
    cJSON_AddBoolToObject(doc, "confirmed", on_save);
    if (on_save) {
        set_str(doc, "confirmed_by", user && *user ? user : NULL);
        set_str(doc, "confirmed_at", now);
    }
    igc_store_txn *t;
    if ((rc = igc_store_txn_begin(a->store, &t))) return rc;
    char prev[IGC_STORE_ID_SIZE] = "";
    int prev_exemplar = 0; /* the superseded judgment still had its exemplar */
    if (r->brn10[0]) {
        igc_store_ids ids;
        rc = igc_store_txn_judgment_list_brn(t, r->brn10, 1, &ids);
        if (!rc && ids.n) {
            char *txt;
            size_t len;
            if (igc_store_txn_judgment_get(t, ids.ids[0], &txt, &len) == 0) {
                cJSON *p = cJSON_ParseWithLength(txt, len);
                free(txt);
                if (p && strcmp(status_of(p), "current") == 0) {
                    snprintf(prev, sizeof prev, "%s", ids.ids[0]);
                    set_str(p, "status", "superseded");
                    set_str(p, "superseded_by", id);
                    set_str(p, "superseded_at", now);
                    char *pt = cJSON_PrintUnformatted(p);
                    rc = pt ? igc_store_txn_judgment_update(t, prev, pt, strlen(pt)) : IGC_ENOMEM;
                    free(pt);
                    if (!rc) {
                        int drc = igc_store_txn_exemplar_del(t, prev);
                        if (drc && drc != IGC_ENOTFOUND) rc = drc;
                        prev_exemplar = drc == 0;
                    }
                }
                cJSON_Delete(p);
            }
        }
        igc_store_ids_free(&ids);
    }
    if (prev[0]) set_str(doc, "supersedes", prev);
    /* One user's identical text saved for several companies counts once: the
     * earlier one's exemplar is retired (the judgment stays current). Signed-in
     * users only (open mode has no one to tell apart). Index in the
     * users database: "c:" + SHA-256(user, text) -> judgment id. */
    char same[IGC_STORE_ID_SIZE] = "", ckey[80] = "";
    if (!rc && on_save && user && *user) {
        igc_exemplar x;
        doc_exemplar(doc, id, &x);
        igc_buf b = {0};
        igc_buf_printf(&b, "%s|%s|%s|%s|%s|%s|%s", user ? user : "", x.in.ksic_code ? x.in.ksic_code : "",
                       x.in.ksic_name ? x.in.ksic_name : "", x.in.main_product ? x.in.main_product : "",
                       x.in.product_use ? x.in.product_use : "", x.in.tech_business_name ? x.in.tech_business_name : "",
                       x.in.tech_class ? x.in.tech_class : "");
        char h[65];
        igc_sha256_hex(b.data ? b.data : "", b.len, h);
        igc_buf_free(&b);
        snprintf(ckey, sizeof ckey, "c:%s", h);
        char *old = NULL;
        size_t olen = 0;
        if (igc_store_txn_user_get(t, ckey, &old, &olen) == 0) {
            cJSON *o = cJSON_ParseWithLength(old, olen);
            const char *oid = jstr(o, "judgment");
            if (oid && strcmp(oid, prev) != 0 && igc_store_txn_exemplar_del(t, oid) == 0) {
                snprintf(same, sizeof same, "%s", oid);
                set_str(doc, "replaces_exemplar_of", same);
            }
            cJSON_Delete(o);
        }
        free(old);
        char val[96];
        snprintf(val, sizeof val, "{\"judgment\":\"%s\"}", id);
        rc = igc_store_txn_user_put(t, ckey, val, strlen(val));
    }
    char *txt = NULL;
    if (!rc) txt = cJSON_PrintUnformatted(doc);
    if (!rc && !txt) rc = IGC_ENOMEM;
    if (!rc) rc = igc_store_txn_judgment_put(t, id, r->brn10, txt, strlen(txt));
    if (!rc && on_save) rc = put_exemplar(t, doc, id);
    if (!rc) {
        char input_hash[65], brnm[32];
        cJSON *in = cJSON_CreateObject();
        cJSON_AddItemToObject(in, "company", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "company"), 1));
        cJSON_AddItemToObject(in, "tech", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "tech"), 1));
        char *it = cJSON_PrintUnformatted(in);
        cJSON_Delete(in);
        igc_sha256_hex(it ? it : "", it ? strlen(it) : 0, input_hash);
        free(it);
        igc_app_mask_brn(r->brn10, brnm);
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "decision_id", id);
        cJSON_AddStringToObject(f, "judgment", id);
        cJSON_AddStringToObject(f, "brn", brnm);
        cJSON_AddStringToObject(f, "input_sha256", input_hash);
        const char *ch = jstr(doc, "chosen_item");
        if (ch) cJSON_AddStringToObject(f, "chosen_item", ch);
        else cJSON_AddNullToObject(f, "chosen_item");
        cJSON_AddItemToObject(f, "answer", answer_summary(cJSON_GetObjectItemCaseSensitive(doc, "result")));
        cJSON_AddBoolToObject(f, "confirmed", on_save);
        if (prev[0]) cJSON_AddStringToObject(f, "supersedes", prev);
        static const char *vers[] = {"taxonomy_version", "engine_version", "rules_version", "programmes_version"};
        for (int i = 0; i < 4; i++)
            if (jstr(doc, vers[i])) cJSON_AddStringToObject(f, vers[i], jstr(doc, vers[i]));
        igc_lexicon *lx = a->cfg.no_lexicon ? NULL : igc_app_lexicon_ref(a);
        cJSON_AddStringToObject(f, "lexicon_version", lx ? igc_lexicon_version(lx) : "none");
        igc_lexicon_unref(lx);
        rc = igc_app_audit(a, t, "judgment.save", user, f);
    }
    free(txt);
    if (rc) {
        igc_store_txn_abort(t);
        id[0] = '\0';
        return rc;
    }
    if ((rc = igc_store_txn_commit(t))) {
        id[0] = '\0';
        return rc;
    }
    /* the store is the truth; the running engine follows it */
    if (prev_exemplar) {
        engine_remove(a, prev);
        __atomic_sub_fetch(&a->store_exemplars, 1, __ATOMIC_RELAXED);
    }
    if (same[0]) {
        engine_remove(a, same);
        __atomic_sub_fetch(&a->store_exemplars, 1, __ATOMIC_RELAXED);
    }
    if (on_save) {
        engine_add(a, doc, id);
        __atomic_add_fetch(&a->store_exemplars, 1, __ATOMIC_RELAXED);
    }
    return 0;
}

/* ---- review ---- */

int igc_app_judgment_review(igc_app *a, const char *user, const char *id, int action, const char *reason, cJSON **out,
                            const char **why) {
    if (out) *out = NULL;
    *why = NULL;
    igc_store_txn *t;
    int rc = igc_store_txn_begin(a->store, &t);
    if (rc) return rc;
    char *txt = NULL;
    size_t len = 0;
    rc = igc_store_txn_judgment_get(t, id, &txt, &len);
    cJSON *doc = rc ? NULL : cJSON_ParseWithLength(txt, len);
    free(txt);
    if (!rc && !doc) rc = IGC_EPARSE;
    int had_exemplar = 0;
    char st[16]; /* a copy: the document's own string changes below */
    snprintf(st, sizeof st, "%s", doc ? status_of(doc) : "");
    int was_confirmed = doc ? confirmed_of(doc) : 0;
    char now[21];
    igc_iso_now(now);
    if (!rc && strcmp(st, "voided") == 0) *why = "judgment_voided", rc = IGC_ESTATE;
    else if (!rc && action == IGC_JUDGMENT_CONFIRM && strcmp(st, "current") != 0)
        *why = "judgment_superseded", rc = IGC_ESTATE;
    else if (!rc && action == IGC_JUDGMENT_CONFIRM && was_confirmed)
        *why = "judgment_confirmed", rc = IGC_ESTATE;
    else if (!rc && action == IGC_JUDGMENT_CONFIRM && user && *user) {
        /* a second person's confirmation: the examiner who saved it cannot be that person */
        const char *ex = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "examiner"));
        if (ex && strcmp(ex, user) == 0) *why = "own_judgment", rc = IGC_ESTATE;
    }
    if (!rc && action == IGC_JUDGMENT_CONFIRM) {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "confirmed");
        cJSON_AddBoolToObject(doc, "confirmed", 1);
        set_str(doc, "confirmed_by", user && *user ? user : NULL);
        set_str(doc, "confirmed_at", now);
        set_str(doc, "reviewed_by", user && *user ? user : NULL);
        rc = put_exemplar(t, doc, id);
    } else if (!rc) {
        set_str(doc, "status", "voided");
        set_str(doc, "voided_by", user && *user ? user : NULL);
        set_str(doc, "voided_at", now);
        set_str(doc, "void_reason", reason);
        int drc = igc_store_txn_exemplar_del(t, id);
        if (drc && drc != IGC_ENOTFOUND) rc = drc;
        had_exemplar = drc == 0;
    }
    if (!rc) {
        char *nt = cJSON_PrintUnformatted(doc);
        rc = nt ? igc_store_txn_judgment_update(t, id, nt, strlen(nt)) : IGC_ENOMEM;
        free(nt);
    }
    if (!rc) {
        char brnm[32];
        igc_app_mask_brn(jstr(cJSON_GetObjectItemCaseSensitive(doc, "company"), "brn"), brnm);
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "judgment", id);
        cJSON_AddStringToObject(f, "brn", brnm);
        if (action == IGC_JUDGMENT_VOID) cJSON_AddStringToObject(f, "reason", reason ? reason : "");
        rc = igc_app_audit(a, t, action == IGC_JUDGMENT_CONFIRM ? "judgment.confirm" : "judgment.void", user, f);
    }
    if (rc) {
        igc_store_txn_abort(t);
        cJSON_Delete(doc);
        return rc;
    }
    if ((rc = igc_store_txn_commit(t))) {
        cJSON_Delete(doc);
        return rc;
    }
    if (action == IGC_JUDGMENT_CONFIRM) {
        engine_add(a, doc, id);
        __atomic_add_fetch(&a->store_exemplars, 1, __ATOMIC_RELAXED);
    } else if (had_exemplar) {
        engine_remove(a, id);
        __atomic_sub_fetch(&a->store_exemplars, 1, __ATOMIC_RELAXED);
    }
    if (out) *out = doc;
    else cJSON_Delete(doc);
    return 0;
}

/* ---- retention ---- */

typedef struct {
    igc_app *a;
    const char *before;
    int all;
    char (*ids)[IGC_STORE_ID_SIZE];
    char (*brns)[16];
    size_t n, cap;
} purge_ctx;

static int purge_cb(void *ud, const char *id, const char *json, size_t len) {
    purge_ctx *c = ud;
    cJSON *d = cJSON_ParseWithLength(json, len);
    const char *at = jstr(d, "saved_at"), *st = d ? status_of(d) : "current";
    int take = at && strncmp(at, c->before, strlen(c->before)) < 0 && (c->all || strcmp(st, "current") != 0);
    char b10[11] = "";
    const char *brn = jstr(cJSON_GetObjectItemCaseSensitive(d, "company"), "brn");
    if (brn && igc_brn_normalize(brn, b10)) b10[0] = '\0';
    cJSON_Delete(d);
    if (!take || strlen(id) >= IGC_STORE_ID_SIZE) return 0;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        void *p = realloc(c->ids, ncap * sizeof *c->ids);
        if (!p) return IGC_ENOMEM;
        c->ids = p;
        p = realloc(c->brns, ncap * sizeof *c->brns);
        if (!p) return IGC_ENOMEM;
        c->brns = p, c->cap = ncap;
    }
    snprintf(c->brns[c->n], 16, "%s", b10);
    snprintf(c->ids[c->n++], IGC_STORE_ID_SIZE, "%s", id);
    return 0;
}

int igc_app_judgment_purge(igc_app *a, const char *user, const char *before, int all_states, size_t *n) {
    *n = 0;
    purge_ctx c = {a, before, all_states, NULL, NULL, 0, 0};
    int rc = igc_store_judgment_foreach(a->store, purge_cb, &c);
    igc_store_txn *t = NULL;
    if (!rc) rc = igc_store_txn_begin(a->store, &t);
    for (size_t i = 0; !rc && i < c.n; i++) {
        rc = igc_store_txn_judgment_del(t, c.ids[i], c.brns[i]);
        if (!rc) {
            int drc = igc_store_txn_exemplar_del(t, c.ids[i]);
            if (drc && drc != IGC_ENOTFOUND) rc = drc;
        }
    }
    if (!rc) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "before", before);
        cJSON_AddStringToObject(f, "states", all_states ? "all" : "superseded_or_voided");
        cJSON_AddNumberToObject(f, "deleted", (double)c.n);
        cJSON *ids = cJSON_AddArrayToObject(f, "judgments");
        for (size_t i = 0; i < c.n; i++) cJSON_AddItemToArray(ids, cJSON_CreateString(c.ids[i]));
        rc = igc_app_audit(a, t, "judgment.purge", user, f);
    }
    if (t && rc) igc_store_txn_abort(t);
    else if (t) rc = igc_store_txn_commit(t);
    if (!rc) {
        *n = c.n;
        igc_log(IGC_LOG_WARN, "retention: %zu judgment(s) saved before %s deleted by %s", c.n, before,
                user && *user ? user : "(local operator)");
    }
    free(c.ids);
    free(c.brns);
    return rc;
}

cJSON *igc_app_judgment_brief(igc_app *a, const char *id, const char *const *copy, size_t ncopy, cJSON **doc) {
    *doc = NULL;
    char *txt;
    size_t len;
    if (igc_store_judgment_get(a->store, id, &txt, &len)) return NULL;
    cJSON *d = cJSON_ParseWithLength(txt, len);
    free(txt);
    if (!d) return NULL;
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "id", id);
    for (size_t k = 0; k < ncopy; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, copy[k]);
        if (v) cJSON_AddItemToObject(x, copy[k], cJSON_Duplicate(v, 1));
    }
    *doc = d;
    return x;
}
