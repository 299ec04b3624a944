/*
 * igc_app: what the server (igcd) and the command-line tool (igc) share: the
 * configuration, the loaded state (KSIC tables, encoder, engine over the current
 * taxonomy, rules, store) and the classification pipeline (validate -> engine ->
 * rules -> top 3 with explanations) that turns a request into the answer JSON.
 */
#ifndef IGC_APP_H
#define IGC_APP_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <pthread.h>

#include "igc_auth.h"
#include "igc_base.h"
#include "igc_engine.h"
#include "igc_ksic.h"
#include "igc_plugin.h"
#include "igc_rules.h"
#include "igc_store.h"
#include "igc_taxonomy.h"

#define IGC_VERSION "0.1.0"
#define IGC_TOP 3

typedef struct igc_config {
    char listen[128];          /* igcd: ADDR:PORT */
    char data_dir[PATH_MAX];   /* ../shared/data */
    char db_dir[PATH_MAX];     /* LMDB environment directory */
    char rules_dir[PATH_MAX];  /* Lua rules */
    char programmes_dir[PATH_MAX]; /* Lua support programmes (연계 우대지원, regional) */
    char taxonomy[PATH_MAX];   /* taxonomy file; default <data>/taxonomy/igc-v6.json */
    char model[PATH_MAX];      /* embedding model file; "none" disables dense retrieval */
    char params[PATH_MAX];     /* engine parameters fitted by `igc tune` */
    char cases[PATH_MAX];      /* case dictionary CSV; default <data>/labeled/synthetic.csv; "none" */
    char lexicon_dir[PATH_MAX]; /* staff's copy of the index-term dictionary, seeded from <data>; "" until
                                   igc_config_finish: <dir of db_dir>/lexicon (var/lexicon) */
    int no_lexicon;            /* evaluation/ablation: run without the index-term dictionary */
    char index_factory[64];    /* FAISS factory string for past judgments */
    char index_params[64];     /* its search parameters ("nprobe=8") */
    size_t map_mb;             /* LMDB map size */
    size_t max_body;           /* HTTP body limit */
    size_t max_revision_body;  /* body limit of POST /api/v1/taxonomy/revisions only */
    int max_connections;
    int log_level;
    int no_rules;              /* evaluation/ablation: skip the rules */
    /* who may call (docs/security.md) */
    size_t token_days;         /* validity of a new user's token (90) */
    size_t session_minutes;    /* a screen session ends after this long unused (480) */
    size_t cookie_secure;      /* 1: the session cookie is Secure (behind TLS) */
    char proxy_header[64];     /* trusted reverse-proxy header naming the user ("" off) */
    char proxy_addr[64];       /* the proxy's address; the header counts only from it */
    size_t saves_per_minute;   /* judgment saves per user per minute (30; 0 no limit) */
    size_t max_judgment_body;  /* largest judgment body in bytes (65536) */
    char learn_from[16];       /* "save": a save is confirmed and learnt at once; "review":
                                  only after a reviewer confirms */
    size_t store_alarm_pct;    /* /readyz and status warn when the map is this full (80) */
    /* containment (docs/security.md) */
    char hostnames[512];       /* names Host/Origin may carry besides the listen address and localhost */
    int max_conn_per_client;   /* concurrent connections per client address (64) */
    size_t rate_limit;         /* requests per second per client address (100); 0: no limit */
    size_t rate_burst;         /* requests a client may send at once (400) */
    size_t rules_load_ms;      /* wall-clock limit on loading and testing a rule set (10000) */
} igc_config;

/* Fills defaults, then applies IGC_* environment variables (IGC_LISTEN, IGC_DATA,
 * IGC_DB, IGC_RULES, IGC_PROGRAMMES, IGC_TAXONOMY, IGC_MODEL, IGC_PARAMS, IGC_INDEX, IGC_MAP_MB,
 * IGC_MAX_BODY, IGC_MAX_CONN, IGC_LOG_LEVEL, IGC_HOSTNAMES, IGC_MAX_CONN_PER_CLIENT, IGC_RATE_LIMIT,
 * IGC_RATE_BURST, IGC_RULES_LOAD_MS). */
void igc_config_init(igc_config *c);
/* Consumes a common option at argv[*i] (and its value), advancing *i. Returns 1
 * when consumed, 0 when not a common option, IGC_EINVAL with a message in err. */
int igc_config_option(igc_config *c, int argc, char **argv, int *i, igc_buf *err);
/* Help text for the common options. */
const char *igc_config_help(void);
/* Fills what the options left to be derived: lexicon_dir beside the store. igc_app_open calls it. */
void igc_config_finish(igc_config *c);

/* One revision as the service uses it: the taxonomy, its index-term dictionary and the
 * engine over both (the engine holds the other two), and the crosswalk from the revision
 * it replaced (NULL for the revision the service started with). Built aside, immutable
 * once published, reference-counted (atomic) and swapped in by one pointer
 * (igc_app.bundle); a caller keeps the bundle it took for its whole work, so nothing it
 * reads can change revision under it. */
typedef struct igc_bundle {
    int refs;
    char version[64];            /* the taxonomy's version, named in every answer and judgment */
    igc_engine *engine;
    igc_crosswalk *crosswalk;    /* from the previous revision; NULL for the first */
    cJSON *report;               /* the staging report (NULL for the first) */
    uint64_t *left_out;          /* hashes (igc_hash64) of the stored judgments the build left out
                                    (a removed item, a split it could not place), sorted: the store
                                    sync must not take them in afterwards by another road */
    size_t nleft_out;
} igc_bundle;
/* 1 when the build of b left the stored judgment `key` out on purpose. */
int igc_app_bundle_left_out(const igc_bundle *b, const char *key);

struct igc_app_staging;
struct igc_reclass;

typedef struct igc_app {
    igc_config cfg;
    int lock_fd; /* <db>/igcd.lock held by igcd (IGC_APP_DAEMON), else -1 */
    int flags;   /* igc_app_open's: what this process opened (IGC_APP_STORE...) */
    char revision_lost[64]; /* the active revision the store names but that could not be restored, or "" */
    igc_ksic *ksic;
    igc_encoder *enc;          /* NULL when no model is available */
    igc_engine *engine;        /* over the current taxonomy; swapped as a whole */
    igc_lexicon *lexicon;      /* the index-term dictionary handed to every engine built; NULL when off */
    size_t ncases;             /* cases of the case dictionary in the engine */
    igc_taxonomy *tx;          /* while opening: the taxonomy the first engine is built over */
    igc_rules *rules;          /* NULL when cfg.no_rules */
    igc_rules *programmes;     /* programmes rule set (IGC_APP_RULES); NULL when not loaded */
    igc_store *store;          /* NULL unless opened */
    char loaded_at[21];
    int engine_dirty;          /* exemplars added since the last igc_engine_commit() */
    size_t index_saved_nlist, index_saved_at; /* the index clustering saved (centroids.c) */
    size_t store_exemplars;    /* the store's exemplar count when last synced */
    /* index-term dictionary reloads (core/app/lexicon.c): lexicon and these fields are
     * read and swapped under lexicon_lock */
    int lexicon_lock;
    char lexicon_loaded_at[21];          /* "" until the first reload: loaded at start */
    char lexicon_error[2048], lexicon_error_at[21]; /* last refused reload, "" after a good one */
    unsigned long lexicon_reloads, lexicon_failed_reloads;
    struct igc_app_lexwatch *lexicon_watch; /* igcd's watch on cfg.lexicon_dir */
    /* who calls (igcd): auth_on when the store had users at start */
    int auth_on;
    igc_auth_sessions *sessions;
    igc_auth_rate *save_rate;
    void *api_routes;          /* igc_api_register's per-route table */
    cJSON *audit_queue;        /* classify and read records, written by igc_app_audit_flush */
    cJSON *meta_queue;         /* the store's meta to write with them {key: value} (igcd's policy versions) */
    char audit_rules[128], audit_lexicon[128], audit_programmes[128]; /* versions last logged */
    /* revisions (revision.c): bundle is the active one and `engine` above is always its
     * engine (both change together, under bundle_mu, on the loop's thread); previous is
     * kept for rollback; staged is being built or waits for activation */
    pthread_mutex_t bundle_mu;
    int bundle_mu_ready;
    igc_bundle *bundle, *previous;
    struct igc_app_staging *staged;
    /* writers of the active engine (saved judgments, sync) hold it for writing, the
     * classifications (thread pool) and a re-classification worker for reading, since
     * igc_engine_add_exemplar must not run during a classification on another thread.
     * Writers first take engine_wmu, which the refit after saves holds (without
     * engine_rw) while it computes aside: one writer at a time, readers never wait for
     * the long part (docs/architecture.md, "Threads") */
    pthread_rwlock_t engine_rw;
    pthread_mutex_t engine_wmu;
    struct igc_reclass *reclass;   /* the running re-classification job, NULL when none */
} igc_app;

/* The usual cause of a store that cannot be opened, in words with its code (store_not_writable),
 * into err (the log has the OS's); returns rc. Call with errno still that of the failure. */
int igc_app_not_writable(igc_buf *err, const char *dir, int rc);
/* IGC_APP_DAEMON: igcd's open, which locks the store against a second igcd. */
enum { IGC_APP_STORE = 1, IGC_APP_RULES = 2, IGC_APP_EXEMPLARS = 4, IGC_APP_DAEMON = 8 };
/* Loads what flags ask for. On failure writes a message to err and returns an
 * IGC_E* code; igc_app_close() is safe after a partial open. */
int igc_app_open(igc_app *a, const igc_config *cfg, int flags, igc_buf *err);
void igc_app_close(igc_app *a);
/* Loads the staff's index-term dictionary for taxonomy tx into a->lexicon, seeding
 * <lexicon_dir> from <data>/taxonomy when it has no copy yet. */
int igc_app_lexicon_open(igc_app *a, igc_taxonomy *tx, igc_buf *err);
/* <lexicon_dir>/igc-v<revision>-lexicon.jsonl */
void igc_app_lexicon_path(const igc_app *a, const igc_taxonomy *tx, char *out, size_t outsz);
/* Builds an engine over the current taxonomy with this encoder and parameters,
 * loaded with the case dictionary (cfg.cases) and handed the app's lexicon: how
 * every engine of the app is made (start, ablations, tuning folds). */
int igc_app_engine_new(igc_app *a, const igc_encoder *enc, const igc_engine_params *p, igc_engine **out);
/* The same over any revision tx with dictionary lx (may be NULL); the case dictionary's
 * labels go through cw when given (those that became one item). */
int igc_app_engine_build(igc_app *a, igc_taxonomy *tx, igc_lexicon *lx, const igc_crosswalk *cw,
                         const igc_encoder *enc, const igc_engine_params *p, igc_engine **out, size_t *ncases);
/* The active engine with one more reference (igc_engine_unref it). Thread-safe. */
igc_engine *igc_app_engine_ref(igc_app *a);
/* Adds the store's exemplars to the current engine; *n receives how many. */
int igc_app_load_exemplars(igc_app *a, size_t *n);
/* Brings a long-running engine up to date: adds exemplars another process (such as
 * `igc history import`) put in the store since the last look, and commits what was
 * added since the last commit (the refit computed under engine_wmu while
 * classifications go on, installed under a brief write lock). Cheap when nothing
 * changed; *added (may be NULL) gets how many came from the store. What igcd runs on a
 * worker thread, one at a time. */
int igc_app_sync_engine(igc_app *a, size_t *added);
/* Adds every labelled row of a CSV (labeled/ format) to the engine, and to the
 * store when to_store. Returns rows added in *n, rows skipped in *skipped. */
int igc_app_import_history(igc_app *a, const char *csv, int to_store, size_t *n, size_t *skipped);

/* ---- revisions (revision.c) ---- */
/* The active bundle with one more reference (igc_app_bundle_unref it). Thread-safe. */
igc_bundle *igc_app_bundle_ref(igc_app *a);
void igc_app_bundle_unref(igc_bundle *b);
/* The labels of a stored exemplar (its JSON) as seen by bundle b: labels saved under
 * b's revision as they are; labels of the revision b's crosswalk maps from (or of a
 * judgment with no recorded revision, saved before revisions were recorded) through the
 * crosswalk: same, renamed, revised and merged to their new item, split resolved later
 * (the old code goes to split_from), removed to nothing; labels of `other` (may be
 * NULL), a later revision whose crosswalk maps from b's (after a rollback), back where
 * one old item answers; labels of any other revision are left out, never guessed.
 * out[3] get codes of b's revision (NULL when absent). Returns the number set. */
int igc_app_bundle_labels(const igc_bundle *b, const igc_bundle *other, const cJSON *exemplar, const char *out[3],
                          const char **split_from);
/* The part of split item `from` (an old code of b's crosswalk) that b's engine ranks
 * best for this input among the parts only, the judgment `key` itself left out (as
 * the revision's build does: both must agree); NULL when it ranks none of them. */
const char *igc_app_resolve_split(const igc_bundle *b, const char *from, const igc_engine_input *in,
                                  const char *key);
/* Validates a new revision (its JSON text) with its crosswalk (CSV text) from the active
 * revision and checks the rules and the dictionary against it: the report (Korean
 * messages) goes to *report, {ok, version, from, taxonomy, crosswalk:{summary, errors,
 * warnings}, rules:[{file, line, code, relation}], ...}. *tx and *cw (may be NULL) get the
 * loaded revision and crosswalk when valid. Returns 0 when the pair is valid (the report
 * may still list rules naming codes the revision lacks: ok false then), IGC_EPARSE or
 * IGC_EINVAL otherwise. */
int igc_app_revision_check(igc_app *a, const char *tx_json, size_t tx_len, const char *cw_csv, size_t cw_len,
                           cJSON **report, igc_taxonomy **tx, igc_crosswalk **cw);
/* Stages a checked revision: the bundle (dictionary carried over, engine with the
 * stored exemplars seen through the crosswalk) is built on a libuv worker thread when
 * loop is given, at once otherwise. One staging at a time: IGC_ESTATE while one builds.
 * Takes the references on tx and cw. The report is completed when the build ends. */
int igc_app_revision_stage(igc_app *a, uv_loop_t *loop, igc_taxonomy *tx, igc_crosswalk *cw, cJSON *report);
/* {version, state: building|ready|failed, report} of the staged revision, or NULL. */
cJSON *igc_app_staged_json(igc_app *a);
/* Makes the staged revision active (one pointer swap; the old bundle is kept for
 * rollback). IGC_ENOTFOUND when no staged revision has this version, IGC_ESTATE while
 * it is still being built or failed. Call on the loop's thread. */
int igc_app_revision_activate(igc_app *a, const char *version);
/* The rules (their Lua files, read again now) that name item codes the staged revision
 * `version` lacks: *out gets [{file, line, code, relation, message}] (empty when none).
 * IGC_ENOTFOUND when no staged revision has this version. Activation refuses while
 * the list is not empty. */
int igc_app_revision_rules_check(igc_app *a, const char *version, cJSON **out);
/* Makes the previous revision active again (the current one becomes the previous).
 * IGC_ENOTFOUND when there is none. Call on the loop's thread. */
int igc_app_revision_rollback(igc_app *a);
/* {version, crosswalk summary or null, since} for the status page. */
cJSON *igc_app_revisions_json(igc_app *a);
/* Builds the bundle for revision tx with crosswalk cw from the active one, synchronously
 * (what staging runs on its worker; igc reclassify and igc eval use it directly).
 * *stats (may be NULL) gets what the exemplars became. */
int igc_app_bundle_build(igc_app *a, igc_taxonomy *tx, igc_crosswalk *cw, cJSON *report, igc_bundle **out);
/* The same with the past judgments of a labelled CSV (old revision's labels) instead of
 * the store's (igc eval under a new revision). */
int igc_app_bundle_build_from(igc_app *a, igc_taxonomy *tx, igc_crosswalk *cw, cJSON *report, const char *history_csv,
                              igc_bundle **out);
/* Makes b the active bundle at once (for offline tools). Takes the reference. */
void igc_app_bundle_install(igc_app *a, igc_bundle *b);
/* Keeps a staged revision's files under <db>/revisions/<version>/ so that an active one
 * comes back after a restart. */
int igc_app_revision_save(igc_app *a, const char *version, const char *tx_json, size_t tx_len, const char *cw_csv,
                          size_t cw_len);
/* At start: when the store says another revision was active (meta "taxonomy.active"),
 * builds and activates it from its saved files (the one started with becomes the
 * previous). 0 when nothing is to be done or it worked. */
int igc_app_revision_restore(igc_app *a);
/* Frees the bundles and the staging (igc_app_close does it). */
void igc_app_revisions_close(igc_app *a);

/* ---- re-classification of stored judgments (reclass.c) ----
 * A job re-classifies every stored judgment (every exemplar in the store, imported past
 * judgments included) under the active revision; results go to the store's "reclass"
 * sub-database and its record (meta "reclass.job.<id>": {job, state: running|done|failed,
 * from, to, total, done, last_key, started_at, finished_at, elapsed_ms, report}) is
 * updated with every batch in the same transaction, so a killed job resumes. */
/* Starts a job over the active revision: on a thread when background, else before it
 * returns. batch: results per transaction (0: 64). progress (may be NULL) is called after
 * each batch, on the worker. id gets the job id. IGC_ESTATE when one is running (id is
 * that one). */
int igc_reclass_start(igc_app *a, int background, size_t batch, void (*progress)(void *ud, size_t done, size_t total),
                      void *ud, char id[32]);
/* Resumes the latest job when it was left running and is for the active revision;
 * IGC_ENOTFOUND when there is none to resume, IGC_ESTATE when it is for another revision
 * (the job is then marked failed, with the reason). */
int igc_reclass_resume(igc_app *a, int background, size_t batch,
                       void (*progress)(void *ud, size_t done, size_t total), void *ud, char id[32]);
/* 1 while the app's job is running. */
int igc_reclass_running(igc_app *a);
/* The job record, or NULL when unknown. */
cJSON *igc_reclass_json(igc_app *a, const char *id);
/* Id of the latest job; IGC_ENOTFOUND when none. */
int igc_reclass_latest(igc_app *a, char id[32]);
/* Stops the worker after its current batch and waits for it (the job stays resumable). */
void igc_reclass_stop(igc_app *a);

/* ---- the index-term dictionary at run time (lexicon.c) ---- */
/* Makes lx (its reference passes to the app) the app's dictionary after a revision
 * switch, so reloads and the status follow the active revision. */
void igc_app_lexicon_adopt(igc_app *a, igc_lexicon *lx);
/* The current lexicon with one more reference (the caller unrefs), or NULL when off:
 * a classification holding it keeps it through a reload. Thread-safe. */
igc_lexicon *igc_app_lexicon_ref(igc_app *a);
/* Loads the staff's file again and, when valid, swaps it into the app and its engine;
 * otherwise keeps the last good one, records the Korean message (line-named) for the
 * status and writes it to err. IGC_ESTATE when the lexicon is switched off. */
int igc_app_lexicon_reload(igc_app *a, igc_buf *err);
/* {version, path, loaded_at, items, terms, reloads, failed_reloads, last_error:
 * null | {message, at}}. */
cJSON *igc_app_lexicon_status_json(igc_app *a);
/* Reloads 200 ms after a *.jsonl in cfg.lexicon_dir changes (uv_fs_event); call on the
 * loop's thread. igc_app_lexicon_unwatch() closes the handles (run the loop after). */
int igc_app_lexicon_watch(igc_app *a, uv_loop_t *loop);
void igc_app_lexicon_unwatch(igc_app *a);

/* ---- company files (CSV with a header) ---- */
typedef struct igc_row {
    const char *uid, *brn, *ceo;
    igc_engine_input in;        /* ksic_code is the first code of a "739;7390" list */
    const char *labels[3];      /* "" when absent or not a labelled file */
    const char *none_reason;
    const char *confidence;     /* "high", "medium", "low" or "" */
    const char *sido, *sigungu; /* the address columns, "" when absent */
    size_t line;                /* line number in the file, for messages */
} igc_row;
typedef struct igc_rows igc_rows;
/* Opens a file with the columns uid, company, brn, ceo, ksic_code, ksic_name,
 * main_product, product_use, tech_business_name, tech_class (or the screen's Korean
 * labels 기업명 ... 기술분류; any may be missing but not all the ones classified on)
 * and, in labelled files, label1..3, none_reason and confidence (then uid is needed;
 * elsewhere rows without it are named by their line). UTF-8, or CP949 converted
 * (igc_csv_decode); a conversion and unknown columns are logged as warnings. On
 * failure the message, in Korean with the line and a stable code in parentheses,
 * goes to the log (igc_rows_open) or to err (igc_rows_open_msg, may be NULL). */
int igc_rows_open(const char *path, igc_rows **out);
int igc_rows_open_msg(const char *path, igc_rows **out, igc_buf *err);
/* 1 when the file has a label1 column. */
int igc_rows_labelled(const igc_rows *r);
/* Rows in the file (blank lines left out). */
size_t igc_rows_count(const igc_rows *r);
/* Next row: 1, 0 at the end. Blank lines are skipped. The whole file was checked at
 * open (a quote left open, values past the header refuse it), so <0 is rare; then
 * igc_rows_error() says why. Strings live until the next call. */
int igc_rows_next(igc_rows *r, igc_row *row);
/* The Korean message of the last failure, with its line and code; "" if none. */
const char *igc_rows_error(const igc_rows *r);
void igc_rows_close(igc_rows *r);

/* The stored form of a past judgment used as an exemplar (store "exemplars" DB). */
cJSON *igc_exemplar_json(const char *uid, const igc_engine_input *in, const char *const labels[3],
                         const char *none_reason, const char *confidence, const char *source);

/* ---- validation ---- */
typedef struct igc_req {
    char *company_name, *brn, *ceo;
    char *ksic_code, *ksic_name, *main_product, *product_use, *tech_business_name, *tech_class;
    char *sido, *sigungu;      /* company.address, official names; NULL when not given */
    char address_dropped[128]; /* a file row's address that names no place, left out; "" */
    char brn10[11];
} igc_req;

typedef struct igc_verr {
    int status;                /* HTTP status */
    const char *code;          /* stable snake_case */
    char message[768];         /* Korean */
    const char *fields[16];
    size_t nfields;
} igc_verr;

/* Validates a request JSON document {company:{...}, tech:{...}}. strict: every
 * field is required and the KSIC code must be 5 digits (the API); otherwise tech
 * fields may be blank and KSIC a 2-5 digit prefix (batch files). Returns 0 or
 * IGC_EINVAL with err filled. */
int igc_req_from_json(const igc_app *a, const cJSON *doc, int strict, igc_req *r, igc_verr *err);
/* Validates the raw body bytes (UTF-8, JSON, object) and then as above. */
int igc_req_from_body(const igc_app *a, const char *body, size_t len, int strict, igc_req *r, cJSON **doc,
                      igc_verr *err);
void igc_req_free(igc_req *r);
/* The request's company (brn normalised to 10 digits when valid) and tech fields. */
cJSON *igc_req_company_json(const igc_req *r);
cJSON *igc_req_tech_json(const igc_req *r);
/* {error:{code,message,fields}} */
cJSON *igc_verr_json(const igc_verr *e);

/* ---- the past judgments' index centroids beside the store (centroids.c) ---- */
/* Puts e's past judgments in the lists of the re-clustering saved in
 * <db>/index-centroids.bin (after they are added, before the commit), so the commit need
 * not cluster them again. The caller holds engine_wmu and engine_rw for writing. 0 when
 * used; IGC_ENOTFOUND when none is saved, IGC_ESTATE when it is for another model or
 * index kind, other codes (logged; one made for a larger store is removed) when it does
 * not fit: e then clusters as before. */
int igc_app_index_restore(igc_app *a, igc_engine *e);
/* Saves e's index centroids there after a re-clustering not saved yet; 0 when there is
 * nothing to save. The caller is e's only writer (holds engine_wmu). */
int igc_app_index_save(igc_app *a, const igc_engine *e);

/* ---- classification ---- */
/* Runs engine and rules on a validated request; returns the answer object
 * (classified_on, applicable, reasons, needs_review, items, versions, elapsed_ms).
 * with_input adds the company and tech fields as entered (the examiner's own screen). */
int igc_app_classify(igc_app *a, const igc_req *r, int with_input, cJSON **out);
/* The support programmes of the examiner's decision rather than the engine's: chosen
 * (an item of taxonomy t) or none (chosen NULL, none_reason), for the firm r on date
 * (YYYY-MM-DD). A new list (empty without a programme set). */
cJSON *igc_app_programmes_decided(igc_app *a, const igc_req *r, const igc_taxonomy *t, const igc_tx_item *chosen,
                                  const char *none_reason, const char *date);
/* Same, skipping the past judgment stored under exclude_key (leave-one-out evaluation). */
int igc_app_classify_excluding(igc_app *a, const igc_req *r, const char *exclude_key, int with_input, cJSON **out);
/* The same on engine eng (the caller holds it, e.g. through a bundle reference): what a
 * worker thread runs, so that a revision switch on the loop cannot change the engine
 * under it. Safe on several threads at once; the caller holds a->engine_rw for reading
 * when eng may be written meanwhile (the active engine). */
int igc_app_classify_engine(igc_app *a, igc_engine *eng, const igc_req *r, const char *exclude_key, int with_input,
                            cJSON **out);
/* Classifies n validated requests on eng as igc_app_classify_engine would, one by one
 * (out[i], rcs[i]), with the engine's dense work done for all n at once (a batch:
 * each matrix read once for the block). The same answers; with detail 0, without what
 * only a screen shows beside them: the items' "basis" (분류근거, its sentences sought and
 * quoted) and the "similar_judgments" (an examiner's name read from the store for each);
 * the same locking. */
void igc_app_classify_many(igc_app *a, igc_engine *eng, const igc_req *const *reqs, size_t n, int detail,
                           cJSON **out, int *rcs);

/* ---- regions (regions.c): the optional company address ---- */
typedef struct igc_region {
    const char *sido;             /* official full name, "강원특별자치도" */
    const char *short_name;       /* as notices write it, "강원" */
    const char *const *sigungu;   /* NULL-terminated; empty for 세종특별자치시 */
} igc_region;
/* The 17 provinces, in official order. */
const igc_region *igc_regions(size_t *n);
/* 0 when sido is a province and sigungu one of its districts ("" or NULL where
 * it has none); IGC_ENOTFOUND for an unknown sido, IGC_EINVAL for a district
 * it does not have. *out (may be NULL) gets the province when known. */
int igc_region_check(const char *sido, const char *sigungu, const igc_region **out);
/* {regions:[{sido, short, sigungu:[...]}]} */
cJSON *igc_regions_json(void);
/* The official names of a province and district as people write them: "경기"/"경기도",
 * former names ("강원도"), a district without its last syllable ("수원" → "수원시") or with a
 * city's own district after it ("수원시 영통구"). 0 with *osido and *osigungu (NULL when
 * none was given) set to the list's strings; IGC_ENOTFOUND (province) or IGC_EINVAL
 * (district) when no single one matches. */
int igc_region_normalize(const char *sido, const char *sigungu, const char **osido, const char **osigungu);
/* Every "광역" and "광역\t시군구", NULL-ended, for igc_rules_limits.places (NULL when out of
 * memory: names then go unchecked). Built once, kept for the process. */
const char *const *igc_region_places(void);

/* Engine input view of a request (owner: igc_app_owner of its 사업자등록번호). */
void igc_req_engine_input(const igc_req *r, igc_engine_input *in);
/* The engine's opaque company key for a 10-digit 사업자등록번호 (never 0). */
uint64_t igc_app_owner(const char *brn10);

/* ---- the judgment record (judgments.c) ---- */
/* 1 when s is a code for why no item applies (none_reason): the 적용원칙 1-3 with
 * the rules' reason codes, the engine's, too little information, or anything else
 * (said in the comment). Saved judgments and imported past judgments use the same. */
int igc_none_reason_known(const char *s);
/* Those reasons as people are told them, in one line (the list igc_none_reason_known checks). */
#define IGC_NONE_REASONS "generic_supplier, wholesale_retail, merchandise_only, not_innovation, insufficient_info, other"
/* Saves the judgment document doc (borrowed; id, examiner, status and
 * confirmation fields are added) for the validated request r in one store
 * transaction with: the superseding of the company's current judgment (kept,
 * marked "superseded", linked both ways), its exemplar when the judgment counts
 * as confirmed (cfg.learn_from "save"), and the audit record. Then updates the
 * running engine. user NULL in open mode. Writes the new id. */
int igc_app_judgment_save(igc_app *a, const char *user, const igc_req *r, cJSON *doc, char id[IGC_STORE_ID_SIZE]);
enum { IGC_JUDGMENT_CONFIRM = 1, IGC_JUDGMENT_VOID = 2 };
/* A reviewer confirms a current judgment (it becomes an exemplar) or voids one
 * with a reason (kept, marked; its exemplar goes). One transaction with the audit
 * record. IGC_ENOTFOUND, IGC_ESTATE (already voided/superseded/confirmed: *why
 * gets a stable code). *out (may be NULL) gets the updated document. */
int igc_app_judgment_review(igc_app *a, const char *user, const char *id, int action, const char *reason,
                            cJSON **out, const char **why);
/* Deletes judgments saved before date (YYYY-MM-DD) that are superseded or voided
 * (all when all_states), with their exemplars; logs and audits it. *n gets how
 * many. */
int igc_app_judgment_purge(igc_app *a, const char *user, const char *before, int all_states, size_t *n);
/* A stored judgment in brief for lists: {id, and those of the ncopy fields it has}.
 * *doc gets the whole parsed document (the caller deletes it). NULL when it cannot be
 * read. */
cJSON *igc_app_judgment_brief(igc_app *a, const char *id, const char *const *copy, size_t ncopy, cJSON **doc);

/* ---- the audit log (judgments.c) ---- */
/* A record {at, action, user, ...fields} (fields consumed). With t, written in
 * that transaction; without, queued on the loop's queue and written later (igcd hands
 * the queue to a worker every second, igc_app_audit_take and _write, and flushes what
 * is left at exit; igc flushes with igc_app_audit_flush). */
int igc_app_audit(igc_app *a, igc_store_txn *t, const char *action, const char *user, cJSON *fields);
/* Writes queued records in one transaction (take, write, and on failure put back). */
int igc_app_audit_flush(igc_app *a);
/* What the loop hands a worker to write: the queued audit records (an array) and the
 * store's meta queued with them ({key: value}); either may be NULL. */
typedef struct igc_audit_batch {
    cJSON *records, *meta;
} igc_audit_batch;
/* Moves the queues into *b (the caller's), leaving them empty; 0 when there was nothing
 * to write. The queues are the loop's: take and put back there. */
int igc_app_audit_take(igc_app *a, igc_audit_batch *b);
/* Writes b in one transaction; from any one thread at a time, so a slow disk or a save
 * holding the store's write lock does not hold up the loop. */
int igc_app_audit_write(igc_app *a, const igc_audit_batch *b);
/* A batch whose write failed with rc (consumed): logged, and back at the head of the
 * queues for the next flush (meta queued since wins) unless the backlog of records has
 * grown too long. */
void igc_app_audit_putback(igc_app *a, igc_audit_batch *b, int rc);
/* Frees what b holds. */
void igc_audit_batch_free(igc_audit_batch *b);
/* The masked 사업자등록번호 for logs and the audit log. */
void igc_app_mask_brn(const char *brn, char out[32]);
/* Notes policy versions (rules, lexicon, programmes) that changed since the last
 * look as policy.change records (file watchers change them without a user), and, for
 * igcd, in the store's meta (service.rules ...: igc compares its own with them); both
 * queued, written by the next flush. */
void igc_app_audit_policy(igc_app *a, const char *user);

#endif
