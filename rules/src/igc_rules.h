/*
 * igc_rules: the 적용원칙 (application principles) as Lua 5.4 rules.
 *
 * Policy staff keep one rule set in a directory: rule files (*.lua) that call
 * rule{...} and test files (*_test.lua) that call test{...}. A loaded set is
 * an immutable, refcounted version with a small pool of sandboxed lua_States
 * (the same rules loaded in each, so requests evaluate in parallel); the
 * manager holds the current good version, reloads on change (only when every
 * rule test passes) and swaps atomically, so requests in flight finish on the
 * version they acquired. See docs/rules-guide.md for the Lua side.
 *
 * The same machinery holds a second kind of set: the support programmes a
 * verdict unlocks (programme{...} files, igc_rules_programmes_eval(); the
 * layer is programmes.c and programmes.lua over the shared core in version.c).
 */
#ifndef IGC_RULES_H
#define IGC_RULES_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "igc_base.h"

/* Taxonomy lookup result, filled by the host callback. */
typedef struct igc_rules_item {
    const char *code, *name, *theme, *theme_name, *field, *field_name, *definition, *examples;
} igc_rules_item;

typedef struct igc_rules_candidate {
    char code[16];
    double score;                 /* fused score in [0,1]; rules may change it */
    const char *signal_names[8];  /* e.g. "dense", "lexical", "knn", "ksic_prior" */
    double signals[8];
    int nsignals;
    const char **keywords;        /* input words that drove it */
    size_t nkeywords;
    int dropped;                  /* set by rules (a host may pre-set it) */
    char drop_reason[128];
    igc_buf basis;                /* sentences rules add to 분류근거, one per line (host frees) */
} igc_rules_candidate;

typedef struct igc_rules_input {
    const char *company_name;     /* personal fields (brn, ceo) are never passed to rules */
    const char *ksic_code, *ksic_name, *main_product, *product_use, *tech_business_name, *tech_class;
    const char *ksic_section, *ksic_section_name, *ksic_division, *ksic_division_name, *ksic_group,
        *ksic_group_name;
    igc_rules_candidate *cands;
    size_t ncands;
    /* May be NULL; returns 0 or IGC_ENOTFOUND. Strings need only live for the call. */
    int (*item_lookup)(void *ud, const char *code, igc_rules_item *out);
    void *lookup_ud;
} igc_rules_input;

typedef struct igc_rules_verdict {
    int applicable;               /* 1 unless a rule marks the firm not applicable */
    char reason_code[48];         /* e.g. "wholesale_retail" */
    char reason_message[512];     /* Korean, for examiners */
    char rule_id[64];             /* which rule decided */
    int needs_review;
    char review_note[256];
    unsigned failed;              /* rules that threw or ran over a budget: skipped, their
                                     exclusions missing from this verdict */
} igc_rules_verdict;

typedef struct igc_rules igc_rules;                 /* the manager */
typedef struct igc_rules_version igc_rules_version; /* one loaded rule set, refcounted */

typedef struct igc_rules_limits {
    size_t mem_bytes;           /* Lua heap cap per state of a version; 0 = 8 MiB */
    unsigned long instructions; /* VM instructions per rule call; 0 = 2,000,000 */
    unsigned states;            /* lua_States per version for parallel evaluation, loaded on
                                   demand (each capped at mem_bytes); 0 = online CPUs, at most 16 */
    unsigned load_ms;           /* wall-clock limit on loading a set and running all its tests;
                                   0 = 10,000 ms */
    const char *const *places;  /* the official places a programme set may name (ctx:region_in, a
                                   test's address): "광역" and "광역\t시군구" strings, NULL-ended;
                                   NULL = names are not checked. The caller keeps them alive. */
} igc_rules_limits;

/* What a rule-set directory holds. Both kinds share the sandbox, budgets,
 * versions, state pool, test{} runner, watch and status; they differ in what
 * files register and in how a set is evaluated:
 *   IGC_RULES_KIND_POLICY      rule{...}: the 적용원칙, igc_rules_eval();
 *   IGC_RULES_KIND_PROGRAMMES  programme{...}: the support a verdict unlocks
 *                              (연계 우대지원, regional programmes),
 *                              igc_rules_programmes_eval() (programmes.c). */
typedef enum igc_rules_kind { IGC_RULES_KIND_POLICY = 0, IGC_RULES_KIND_PROGRAMMES = 1 } igc_rules_kind;

/* Loads dir's rules and runs its rule tests; on any load error or failing
 * test logs why and returns IGC_ERULES (*out stays NULL). lim may be NULL. */
int igc_rules_open(const char *dir, const igc_rules_limits *lim, igc_rules **out);
/* The same for a directory of the given kind. */
int igc_rules_open_kind(const char *dir, igc_rules_kind kind, const igc_rules_limits *lim, igc_rules **out);
/* Frees the manager. Versions still acquired stay valid until released. If a
 * watch or an asynchronous reload was started, run its loop afterwards so the
 * handles close and the reload ends (its callback gets IGC_ESTATE). */
void igc_rules_close(igc_rules *r);

/* The current version with one more reference (thread-safe). Never NULL. */
igc_rules_version *igc_rules_acquire(igc_rules *r);
/* Drops a reference; the last one frees the version. NULL is fine. */
void igc_rules_release(igc_rules_version *v);
/* Short content hash of the version's files (16 hex digits). */
const char *igc_rules_version_id(const igc_rules_version *v);

/* Runs every rule, in priority order, on the input: fills out (always) and
 * may set cands[i].dropped/drop_reason/score and append to cands[i].basis.
 * A rule that throws or runs over its instruction or memory budget is rolled
 * back and skipped, logged, counted in the status and in out->failed. Returns 0,
 * IGC_ERULES when no rule could run, IGC_EINVAL or IGC_ENOMEM. Thread-safe: concurrent
 * calls each take a lua_State of the version's pool. */
int igc_rules_eval(igc_rules_version *v, igc_rules_input *in, igc_rules_verdict *out);

/* Loads the directory again into a new state and runs its rule tests there;
 * swaps it in only if everything passes. On refusal returns IGC_ERULES, keeps
 * the last good version, records last_error and writes the reasons to err
 * (may be NULL). */
int igc_rules_reload(igc_rules *r, igc_buf *err);
/* Called on the loop when an asynchronous reload ends: rc 0 (swapped in),
 * IGC_ERULES (refused; why says why, as igc_rules_reload writes to err),
 * IGC_ENOMEM, or IGC_ESTATE (the manager was closed meanwhile). */
typedef void (*igc_rules_reload_cb)(void *ud, int rc, const char *why);
/* Reloads like igc_rules_reload(), but reads, loads and tests the files on a
 * worker thread of loop (uv_queue_work), so a slow or hostile rule test never
 * stalls the loop (the load has the wall-clock limit lim.load_ms); the swap,
 * the status and done (may be NULL) happen on the loop's thread. Returns 0
 * when started, IGC_EINVAL, IGC_ENOMEM or IGC_EIO. */
int igc_rules_reload_async(igc_rules *r, uv_loop_t *loop, igc_rules_reload_cb done, void *ud);
/* Watches the directory (uv_fs_event) and reloads (asynchronously) 200 ms
 * after the last change to a *.lua file. Call on the loop's thread; once per manager. */
int igc_rules_watch(igc_rules *r, uv_loop_t *loop);

/* {version, loaded_at, dir, files:[...], rules:[{id,description,priority,file}],
 *  tests:{passed,total}, last_error, last_attempt_at, reloads, failed_reloads,
 *  rule_errors, last_rule_error}. Caller frees with cJSON_Delete. */
cJSON *igc_rules_status_json(igc_rules *r);

/* Runs the *_test.lua tests of dir in a fresh state and writes per-case
 * results (Korean and English) to report. Returns 0 when all passed,
 * IGC_ERULES on a load error or failing test, or another IGC_E* code;
 * *failed and *total count test cases (a load error counts as one failure).
 * lim may be NULL. */
int igc_rules_test_dir(const char *dir, const igc_rules_limits *lim, igc_buf *report, int *failed,
                       int *total);
int igc_rules_test_dir_kind(const char *dir, igc_rules_kind kind, const igc_rules_limits *lim, igc_buf *report,
                            int *failed, int *total);

/* ---- programmes (programmes.c): a rule set of IGC_RULES_KIND_PROGRAMMES ---- */

/* One item of the verdict, as the programmes see it. */
typedef struct igc_rules_prog_item {
    const char *code, *name, *theme, *theme_name, *field, *field_name;
    double score;
} igc_rules_prog_item;

/* What eligibility reads: the verdict, the KSIC code, the location and the
 * classification date. NULL strings read as "". */
typedef struct igc_rules_prog_input {
    int applicable;               /* the firm is an innovation-growth firm */
    const char *reason;           /* the first not-applicable reason code, or "" */
    const igc_rules_prog_item *items; /* the kept items, best first */
    size_t nitems;
    const char *ksic_code, *ksic_section, *ksic_section_name, *ksic_division, *ksic_division_name,
        *ksic_group, *ksic_group_name;
    const char *sido, *sigungu;   /* official full names; "" when not given */
    const char *date;             /* classification date, YYYY-MM-DD */
} igc_rules_prog_input;

/* Runs every programme's eligible(ctx) and sets *out to a new JSON array of the
 * programmes shown, in order: {id, name, agency, benefit, kind, status
 * ("eligible", "check": something is missing, "ended": its period is over),
 * why (Korean), period: {from, to} | null, to_check: [..]}. A programme that
 * throws or runs over its budget is skipped, logged and counted in the status
 * like a failing rule. Returns 0, IGC_EINVAL (also for a policy set),
 * IGC_ENOMEM or IGC_ERULES (no programme could run; *out may still hold the
 * others). Thread-safe like igc_rules_eval(). */
int igc_rules_programmes_eval(igc_rules_version *v, const igc_rules_prog_input *in, cJSON **out);
/* The same, *failed (not NULL) getting how many programmes erred or ran over their budget
 * and are missing from the list (the answer should then go to a person). */
int igc_rules_programmes_eval_counted(igc_rules_version *v, const igc_rules_prog_input *in, cJSON **out,
                                      unsigned *failed);

#endif
