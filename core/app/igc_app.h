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
    char lexicon_dir[PATH_MAX]; /* staff's copy of the index-term dictionary (var/lexicon), seeded from <data> */
    int no_lexicon;            /* evaluation/ablation: run without the index-term dictionary */
    char index_factory[64];    /* FAISS factory string for past judgments */
    char index_params[64];     /* its search parameters ("nprobe=8") */
    size_t map_mb;             /* LMDB map size */
    size_t max_body;           /* HTTP body limit */
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

typedef struct igc_app {
    igc_config cfg;
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
    char audit_rules[128], audit_lexicon[128], audit_programmes[128]; /* versions last logged */
} igc_app;

enum { IGC_APP_STORE = 1, IGC_APP_RULES = 2, IGC_APP_EXEMPLARS = 4 };
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
/* Adds the store's exemplars to the current engine; *n receives how many. */
int igc_app_load_exemplars(igc_app *a, size_t *n);
/* Brings a long-running engine up to date: adds exemplars another process (such as
 * `igc history import`) put in the store since the last look, and commits what was
 * added since the last commit. Cheap when nothing changed; *added (may be NULL)
 * gets how many came from the store. */
int igc_app_sync(igc_app *a, size_t *added);
/* Adds every labelled row of a CSV (labeled/ format) to the engine, and to the
 * store when to_store. Returns rows added in *n, rows skipped in *skipped. */
int igc_app_import_history(igc_app *a, const char *csv, int to_store, size_t *n, size_t *skipped);

/* ---- the index-term dictionary at run time (lexicon.c) ---- */
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

/* ---- classification ---- */
/* Runs engine and rules on a validated request; returns the answer object
 * (classified_on, applicable, reasons, needs_review, items, versions, elapsed_ms).
 * with_input adds the company and tech fields as entered (the examiner's own screen). */
int igc_app_classify(igc_app *a, const igc_req *r, int with_input, cJSON **out);
/* Same, skipping the past judgment stored under exclude_key (leave-one-out evaluation). */
int igc_app_classify_excluding(igc_app *a, const igc_req *r, const char *exclude_key, int with_input, cJSON **out);

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

/* Engine input view of a request (owner: igc_app_owner of its 사업자등록번호). */
void igc_req_engine_input(const igc_req *r, igc_engine_input *in);
/* The engine's opaque company key for a 10-digit 사업자등록번호 (never 0). */
uint64_t igc_app_owner(const char *brn10);

/* ---- the judgment record (judgments.c) ---- */
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

/* ---- the audit log (judgments.c) ---- */
/* A record {at, action, user, ...fields} (fields consumed). With t, written in
 * that transaction; without, queued and written by igc_app_audit_flush (igcd
 * flushes every second and at exit). */
int igc_app_audit(igc_app *a, igc_store_txn *t, const char *action, const char *user, cJSON *fields);
/* Writes queued records in one transaction. */
int igc_app_audit_flush(igc_app *a);
/* The masked 사업자등록번호 for logs and the audit log. */
void igc_app_mask_brn(const char *brn, char out[32]);
/* Notes policy versions (rules, lexicon, programmes) that changed since the last
 * look as policy.change records (file watchers change them without a user). */
void igc_app_audit_policy(igc_app *a, const char *user);

#endif
