/* Internal to igc_rules: the loaded-version object shared by version.c and rules.c. */
#ifndef IGC_RULES_INT_H
#define IGC_RULES_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <lua.h>

#include "igc_rules.h"

#define IGC_RULES_DEFAULT_MEM ((size_t)8 << 20)
#define IGC_RULES_DEFAULT_INSTRUCTIONS 2000000UL
#define IGC_RULES_MAX_STATES 16
#define IGC_RULES_DEFAULT_LOAD_MS 10000u

typedef struct rule_info {
    char *id, *description, *file, *where;
    double priority;
    unsigned long errors; /* calls that failed, under the version's mu */
} rule_info;

#define SMALL_GRAIN 16
#define SMALL_MAX 256
#define SMALL_CLASSES (SMALL_MAX / SMALL_GRAIN)

/* One lua_State with the version's rules loaded. A state is single-threaded:
 * an evaluation takes one from the version's pool and gives it back. */
typedef struct rules_state {
    lua_State *L;
    struct igc_rules_version *v;
    int fref[16];    /* registry references of the prelude's internal functions */
    int memo_ref[2]; /* registry references of the memo tables, one per text form (norm_kind) */
    int wl_ref;      /* registry reference of the word-list cache (weak keys) */
    int cmp_ref;     /* registry reference of the userdata behind cmp, or LUA_NOREF */
    int item_ref;    /* registry reference of the item tables made so far, by code (l_item) */
    int scratch_ref; /* registry reference of the userdata behind scratch */
    char *scratch;   /* folded long texts (text.has_any), scratch_cap bytes */
    size_t scratch_cap;
    size_t item_bytes;
    size_t memo_bytes[2];
    const struct igc__rules_compounds *cmp; /* compounds the rule files declared, or NULL */
    size_t mem_used, mem_limit;
    unsigned long budget, used;
    double deadline;    /* igc_now_ms() after which every call stops; 0: none */
    unsigned deadline_ms; /* the limit it came from, for the message */
    int exhausted;
    igc_rules_input *cur; /* input of the evaluation in progress, for item lookups */
    unsigned long seq;    /* evaluations begun on this state: names the ctx of each */
    struct rules_state *next_free;
    void *free_blocks[SMALL_CLASSES]; /* recycled small blocks, by size class */
} rules_state;

struct igc_rules_version {
    atomic_int refs;
    igc_rules_kind kind;
    pthread_mutex_t mu; /* the status fields below (rule errors) */

    /* The pool: the first state ran the tests; more are loaded on demand,
     * from the same file contents, when every state is busy. */
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    rules_state *states[IGC_RULES_MAX_STATES];
    int nstates, max_states, grow_failed;
    rules_state *free_states;
    char **data; /* file contents, for states loaded later */
    size_t *lens;
    size_t mem_limit;
    unsigned long budget;
    unsigned load_ms; /* wall-clock limit on the first state's load and tests */
    const char *const *places; /* igc_rules_limits.places */

    char id[17];
    char loaded_at[21];
    char **files;
    size_t nfiles;
    rule_info *rules;
    size_t nrules;
    int tests_total, tests_passed;

    unsigned long rule_errors;
    char last_rule_error[512];
    char last_rule_error_at[21];
};

/* The compounds and their exceptions a rule set declared (compounds{},
 * not_compounds{}), normalized without spaces: word[0..ncomp) are compounds,
 * word[ncomp..ncomp+nexc) exceptions. */
typedef struct igc__rules_compounds {
    size_t ncomp, nexc;
    const char **word;
    size_t *len;
    uint64_t *mask; /* igc__rules_byte_mask of each word: a cheap "cannot contain" test */
} igc__rules_compounds;

/* A 64-bit set of the byte values (mod 64) of s[0..n). */
uint64_t igc__rules_byte_mask(const char *s, size_t n);

/* Writes the folded form of src (len bytes) to dst (room for len bytes):
 * ASCII lower-cased, each run of white space (ASCII, U+3000, U+00A0) one
 * space, none at either end. Returns its length. */
size_t igc__rules_fold(char *dst, const char *src, size_t len);
/* Whether the folded word w (wn > 0 bytes) occurs in the folded text t as a
 * word (see match.c), outside the compounds of cs (may be NULL). */
int igc__rules_find(const char *t, size_t tn, const char *w, size_t wn, const igc__rules_compounds *cs);

/* Loads every *.lua of dir into a new state of the given kind and runs the
 * *_test.lua cases. report (may be NULL) gets one line per case; errors (may
 * be NULL) only the failures. On success *out holds one reference. */
int igc__rules_version_load(const char *dir, igc_rules_kind kind, const igc_rules_limits *lim, igc_buf *report,
                            igc_buf *errors, int *failed, int *total, igc_rules_version **out);

/* The internal functions of a state (the prelude's, or the programmes layer's). */
enum { F_NEW_ENV, F_NEW_CTX, F_FINISH, F_RUN, F_ROLLBACK, F_RESULT, F_NTESTS, F_TEST_INFO, F_TEST_CTX,
       F_CHECK, F_CLEAR_TESTS, F_COUNT };
/* Pushes internal function f of the state. */
void igc__rules_push_internal(rules_state *s, int f);

/* One evaluation on a state of v's pool: build(ud) (a protected C function,
 * called with ud as light userdata) must return the ctx; every rule or
 * programme then runs on it, one budget each (failures rolled back, recorded
 * in the status, logged, counted in *failed when not NULL); then extract(ud, ctx)
 * reads the outcome. Returns 0, or IGC_ERULES when the ctx could not be built or
 * read or no rule could run. */
int igc__rules_eval_with(igc_rules_version *v, igc_rules_input *lookup, lua_CFunction build,
                         lua_CFunction extract, void *ud, unsigned *failed);
void igc__rules_version_free(igc_rules_version *v);
/* Charges steps of work done in C (pattern matching, sorting) to the rule
 * call in progress; raises the budget error when it is spent (pattern.c). */
void igc__rules_charge(lua_State *L, unsigned long steps);
/* Replaces string.find/match/gmatch/gsub/rep and table.sort of the state's
 * libraries with versions that charge their work (pattern.c). */
void igc__rules_install_bounded(lua_State *L);
/* The read-only views' shared metamethods and text.trim / text.segments,
 * handed to the prelude (views.c). */
int igc__rules_ro_newindex(lua_State *L);
int igc__rules_ro_len(lua_State *L);
int igc__rules_ro_pairs(lua_State *L);
int igc__rules_readonly(lua_State *L);
int igc__rules_candidate_views(lua_State *L);
/* Pushes readonly(t, what) of the table at idx (views.c). */
void igc__rules_push_readonly(lua_State *L, int idx, const char *what);
/* ctx_index(methods, priv, slow): the ctx's __index, a C closure (views.c). */
int igc__rules_ctx_index(lua_State *L);
/* snapshot(recs, basis): what a failing rule must undo (views.c). */
int igc__rules_snapshot(lua_State *L);
int igc__rules_trim(lua_State *L);
int igc__rules_segments(lua_State *L);
/* utf8_ok(s): utf8.len(s) ~= nil for a string s (views.c). */
int igc__rules_utf8_ok(lua_State *L);
/* Copies src into dst (size n), cutting at a UTF-8 character boundary. */
void igc__rules_copy(char *dst, size_t n, const char *src);

#endif
