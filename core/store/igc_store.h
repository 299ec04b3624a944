/*
 * igc_store: durable storage of examiners' judgments and of the labelled
 * exemplars the retrieval index learns from, in one LMDB environment.
 *
 * Layout (schema version 2; also described in docs/store.md)
 * ----------------------------------------------------------
 * One environment directory (data.mdb + lock.mdb, created 0700/0600) with
 * seven named sub-databases ("reclass" is described below), all with the default bytewise key order:
 *
 *   "judgments"   key   judgment id: 32 lowercase hex digits of 128 random bits
 *                       (igc_store_new_id), so ids cannot be guessed or
 *                       enumerated. Stores of schema 1 also hold time-ordered
 *                       ids ('J' + 13-digit ms + 4-digit sequence); both stay
 *                       readable.
 *                 value the judgment document: a JSON object, UTF-8, stored
 *                       verbatim, no NUL terminator.
 *   "by_brn"      key   brn (10 ASCII digits) + inverted time stamp (a stamp
 *                       'J' + 13-digit ms + 4-digit sequence, unique and
 *                       increasing across restarts and processes, with each
 *                       digit d replaced by 9-d), so a forward scan from the
 *                       brn prefix yields that company's judgments newest first.
 *                 value the plain judgment id.
 *   "users"       key   free UTF-8 (the app uses "u:NAME" and "t:TOKENHASH").
 *                 value a JSON object.
 *   "audit"       key   16-digit zero-padded sequence, appended only: the
 *                       store has no call that changes or deletes an entry.
 *                 value a JSON object.
 *   "exemplars"   key   caller-chosen UTF-8 key, 1..400 bytes, no NUL
 *                       (e.g. "hist:K0301" or a judgment id).
 *                 value a JSON object, UTF-8, verbatim.
 *   "meta"        key   ASCII-ish UTF-8 key, 1..200 bytes.
 *                 value UTF-8 string without terminator.
 *                 Reserved: "store.schema_version" = "2" (written on create,
 *                 checked on open: "1" is upgraded in place, another value
 *                 gives IGC_EVERSION), "store.created_at" (ISO-8601 UTC) and
 *                 "store.last_stamp" (the newest by_brn stamp). Keys starting with
 *                 "store." cannot be set through igc_store_meta_set().
 *
 * Durability: every write is its own transaction (or, through igc_store_txn,
 * several writes are one), committed and fsynced
 * before the call returns 0. A failed write (IGC_EFULL when the map is full,
 * IGC_EIO on other LMDB/OS errors) aborts its transaction: nothing of it is
 * visible and earlier data is intact.
 *
 * Threads and processes: every function may be called concurrently from
 * several threads on one handle, except igc_store_close(), which must run
 * once after all other calls on that handle returned. Read transactions use
 * MDB_NOTLS, so parallel readers in many threads are fine; writers are
 * serialised by LMDB (a write waits for the running one). Several processes
 * may open the same directory at once. One process must not open the same
 * directory twice (LMDB forbids it; igc_store_open returns IGC_ESTATE). A
 * handle inherited through fork() must not be used in the child: the child
 * opens its own (closing the inherited one there only frees memory).
 */
#ifndef IGC_STORE_H
#define IGC_STORE_H

#include <stddef.h>

#define IGC_STORE_SCHEMA_VERSION "2"
#define IGC_STORE_ID_SIZE 48 /* buffer for a judgment id and its NUL */
#define IGC_STORE_DEFAULT_MAP_MB 1024
#define IGC_STORE_MAX_DOC (16u * 1024u * 1024u) /* largest JSON document, bytes */
#define IGC_STORE_MAX_KEY 400                   /* largest exemplar key, bytes */
#define IGC_STORE_MAX_META_KEY 200
#define IGC_STORE_MAX_META_VAL 65536

typedef struct igc_store igc_store;

/* Opens (creating the directory if missing) one LMDB environment at dir with
 * a map of map_mb MiB (0: IGC_STORE_DEFAULT_MAP_MB). An existing store keeps
 * at least the size its data needs. Clears reader slots left by processes that
 * died. Returns 0, IGC_EINVAL, IGC_EIO, IGC_EFULL, IGC_ENOMEM, IGC_ESTATE
 * (already open in this process) or IGC_EVERSION (other schema version). */
int igc_store_open(const char *dir, size_t map_mb, igc_store **out);
/* Closes the store. NULL is fine. */
void igc_store_close(igc_store *s);

/* Saves a judgment document (a JSON object text, stored verbatim) under a new
 * random id written to id. brn is the 사업자등록번호, 10 digits with
 * optional hyphens; NULL or "" stores the judgment without brn index entry.
 * Durable when it returns 0. IGC_EFULL when the map is full (nothing written).
 * Documents are checked: IGC_EPARSE (not JSON, or text after it), IGC_EINVAL
 * (JSON but not an object, empty, NUL byte, bad brn), IGC_EUTF8, IGC_ETOOBIG
 * (over IGC_STORE_MAX_DOC). The same checks apply to update and exemplars. */
int igc_store_judgment_put(igc_store *s, const char *brn, const char *json, size_t len, char id[IGC_STORE_ID_SIZE]);
/* Reads one judgment; *json is malloc'ed and NUL-terminated, *len (may be
 * NULL) its length. IGC_ENOTFOUND if absent. */
int igc_store_judgment_get(igc_store *s, const char *id, char **json, size_t *len);
/* Replaces the document of an existing judgment (re-classification). The brn
 * index is unchanged. IGC_ENOTFOUND if absent. */
int igc_store_judgment_update(igc_store *s, const char *id, const char *json, size_t len);

typedef struct {
    char (*ids)[IGC_STORE_ID_SIZE];
    size_t n;
} igc_store_ids;
/* Ids of a company's judgments, newest first, at most limit (0: all). An
 * unknown brn gives 0 with n == 0. Free with igc_store_ids_free(). */
int igc_store_judgment_list_brn(igc_store *s, const char *brn, size_t limit, igc_store_ids *out);
/* Frees the id list and zeroes it. NULL is fine. */
void igc_store_ids_free(igc_store_ids *ids);
/* Calls cb for every judgment in id (creation) order over one snapshot; id
 * and json are NUL-terminated copies valid only during the call. cb may write
 * to the store (e.g. igc_store_judgment_update); the walk does not see those
 * writes. A non-zero return from cb stops the walk and is returned. */
int igc_store_judgment_foreach(igc_store *s,
                               int (*cb)(void *ud, const char *id, const char *json, size_t len),
                               void *ud);

/* Saves an exemplar (a JSON object) under key, replacing an existing one. */
int igc_store_exemplar_put(igc_store *s, const char *key, const char *json, size_t len);
/* Saves n exemplars in one transaction (all or none): bulk loads. */
int igc_store_exemplar_put_many(igc_store *s, const char *const *keys, const char *const *docs, size_t n);
/* Deletes an exemplar. IGC_ENOTFOUND if absent. */
int igc_store_exemplar_del(igc_store *s, const char *key);
/* Calls cb for every exemplar in key order, like igc_store_judgment_foreach. */
int igc_store_exemplar_foreach(igc_store *s,
                               int (*cb)(void *ud, const char *key, const char *json, size_t len),
                               void *ud);

/* Reads one exemplar; *json is malloc'ed. IGC_ENOTFOUND if absent. */
int igc_store_exemplar_get(igc_store *s, const char *key, char **json, size_t *len);

/* A new judgment id: 32 lowercase hex digits of 128 bits from getrandom. */
int igc_store_new_id(char id[IGC_STORE_ID_SIZE]);

/* ---- several writes in one transaction ----
 * Begin, call the txn functions, then commit (durable when it returns 0) or
 * abort: either everything is written or nothing. While a transaction is open
 * no other write call may be made from the same thread (LMDB's writer lock
 * would wait for itself); reads through the non-txn calls see the state before
 * the transaction. Document and key checks are those of the single calls. */
typedef struct igc_store_txn igc_store_txn;
int igc_store_txn_begin(igc_store *s, igc_store_txn **out);
/* Commits and frees t. IGC_EFULL when the map is full (nothing written). */
int igc_store_txn_commit(igc_store_txn *t);
/* Drops every write of t and frees it. NULL is fine. */
void igc_store_txn_abort(igc_store_txn *t);
/* Saves a judgment under id (from igc_store_new_id); IGC_EEXIST when taken. brn
 * as in igc_store_judgment_put. */
int igc_store_txn_judgment_put(igc_store_txn *t, const char *id, const char *brn, const char *json, size_t len);
int igc_store_txn_judgment_get(igc_store_txn *t, const char *id, char **json, size_t *len);
int igc_store_txn_judgment_update(igc_store_txn *t, const char *id, const char *json, size_t len);
/* Deletes a judgment and its company index entry (brn as saved; retention
 * only). IGC_ENOTFOUND if absent. */
int igc_store_txn_judgment_del(igc_store_txn *t, const char *id, const char *brn);
int igc_store_txn_judgment_list_brn(igc_store_txn *t, const char *brn, size_t limit, igc_store_ids *out);
int igc_store_txn_exemplar_put(igc_store_txn *t, const char *key, const char *json, size_t len);
/* IGC_ENOTFOUND if absent (the transaction stays usable). */
int igc_store_txn_exemplar_del(igc_store_txn *t, const char *key);
int igc_store_txn_user_get(igc_store_txn *t, const char *key, char **json, size_t *len);
int igc_store_txn_user_put(igc_store_txn *t, const char *key, const char *json, size_t len);
int igc_store_txn_user_del(igc_store_txn *t, const char *key);
/* Appends one audit record (a JSON object) after the last one. */
int igc_store_txn_audit_append(igc_store_txn *t, const char *json, size_t len);

/* ---- users (keys and documents belong to the caller) ---- */
int igc_store_user_get(igc_store *s, const char *key, char **json, size_t *len);
int igc_store_user_foreach(igc_store *s, int (*cb)(void *ud, const char *key, const char *json, size_t len),
                           void *ud);

/* ---- audit log: append, read in order; nothing changes or deletes a record ---- */
int igc_store_audit_append(igc_store *s, const char *json, size_t len);
int igc_store_audit_foreach(igc_store *s, int (*cb)(void *ud, const char *key, const char *json, size_t len),
                            void *ud);

/* Calls cb for at most max exemplars whose key sorts after `after` ("" or NULL: from the
 * first), in key order, inside one short read transaction; *n (may be NULL) gets how
 * many. A long walk done page by page holds no snapshot between pages, so LMDB can reuse
 * freed pages meanwhile (a long read transaction makes the file grow). */
int igc_store_exemplar_page(igc_store *s, const char *after, size_t max,
                            int (*cb)(void *ud, const char *key, const char *json, size_t len), void *ud,
                            size_t *n);
/* Reads a metadata string; *val is malloc'ed. IGC_ENOTFOUND if absent. */
int igc_store_meta_get(igc_store *s, const char *key, char **val);
/* Sets a metadata string (UTF-8). Keys starting with "store." are reserved. */
int igc_store_meta_set(igc_store *s, const char *key, const char *val);
/* The same within transaction t. */
int igc_store_txn_meta_set(igc_store_txn *t, const char *key, const char *val);

/* ---- re-classification results: sub-database "reclass" ----
 * key   "<job id>/<exemplar key>", value the JSON result for that judgment under the
 *       job's revision. Results never touch the judgments or exemplars they came from.
 * Writes n results and (when meta_key is given) one "meta" key in ONE transaction, so a
 * job's progress and its results are durable together: after a crash either both or
 * neither are there. Keys are 1..464 bytes. */
int igc_store_reclass_put(igc_store *s, const char *const *keys, const char *const *docs, size_t n,
                          const char *meta_key, const char *meta_val);
/* One result (*json malloc'ed). IGC_ENOTFOUND if absent. */
int igc_store_reclass_get(igc_store *s, const char *key, char **json);
/* Calls cb for every result whose key starts with prefix, in key order (one snapshot). */
int igc_store_reclass_foreach(igc_store *s, const char *prefix,
                              int (*cb)(void *ud, const char *key, const char *json, size_t len), void *ud);
typedef struct {
    size_t judgments, exemplars;
    size_t user_keys, audit;   /* entries of "users" and "audit" */
    size_t map_size, map_used; /* bytes */
    size_t readers;            /* reader slots held, by live or crashed processes */
    int write_error;           /* the last write's error (errno or LMDB code), 0 when it succeeded */
    char write_error_text[96]; /* its text, "" when none */
} igc_store_stats;
/* Counts and map usage for status pages and tools. */
int igc_store_stat(igc_store *s, igc_store_stats *st);
/* Frees reader slots of processes that died; *dead (may be NULL) gets how many.
 * Done on open; long-running processes may call it now and then. */
int igc_store_reader_check(igc_store *s, int *dead);

#endif
