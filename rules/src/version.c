/*
 * One loaded rule set: a sandboxed lua_State with a capped allocator and an
 * instruction-count hook, the rule files run in per-file environments built
 * by the prelude, the test runner and the evaluation loop.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "rules_int.h"

extern const unsigned char igc_rules_prelude[];
extern const unsigned long igc_rules_prelude_len;
extern const unsigned char igc_rules_programmes_layer[];
extern const unsigned long igc_rules_programmes_layer_len;

#define HOOK_STEP 1000
#define MAX_FILES 256
#define MAX_FILE_BYTES ((size_t)1 << 20)

void igc__rules_copy(char *dst, size_t n, const char *src) {
    if (!n) return;
    if (!src) src = "";
    size_t len = strlen(src);
    if (len >= n) {
        len = n - 1;
        /* Back off to a lead byte so no character is cut in half. */
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80) len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- allocator and budget ---- */

/* Small blocks are recycled through per-state free lists (a state is used by
 * one thread at a time, so no locking): evaluation makes and drops hundreds
 * of small tables, strings and closures per call. Sanitizer builds use plain
 * malloc so that misuse stays visible. */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_BLOCKS 0
#else
#define POOL_BLOCKS 1
#endif

/* SMALL_CLASSES means "not pooled": plain malloc/realloc/free. */
static size_t small_class(size_t n) {
    if (!POOL_BLOCKS) return SMALL_CLASSES;
    if (n == 0) return 0;
    return n <= SMALL_MAX ? (n + SMALL_GRAIN - 1) / SMALL_GRAIN - 1 : SMALL_CLASSES;
}

static void *block_take(rules_state *v, size_t n) {
    size_t c = small_class(n);
    if (c == SMALL_CLASSES) return malloc(n);
    void *p = v->free_blocks[c];
    if (p) {
        v->free_blocks[c] = *(void **)p;
        return p;
    }
    return malloc((c + 1) * SMALL_GRAIN);
}

/* n is the size the block was last given as, so the block holds at least
 * its class's size. */
static void block_give(rules_state *v, void *p, size_t n) {
    size_t c = small_class(n);
    if (c == SMALL_CLASSES) {
        free(p);
        return;
    }
    *(void **)p = v->free_blocks[c];
    v->free_blocks[c] = p;
}

static void blocks_free(rules_state *v) {
    for (size_t c = 0; c < SMALL_CLASSES; c++) {
        void *p = v->free_blocks[c];
        while (p) {
            void *next = *(void **)p;
            free(p);
            p = next;
        }
        v->free_blocks[c] = NULL;
    }
}

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    rules_state *v = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        if (ptr) block_give(v, ptr, osize);
        v->mem_used -= old;
        return NULL;
    }
    /* Lua requires shrinking to succeed; only growth is refused. */
    if (nsize > old && v->mem_used - old + nsize > v->mem_limit) return NULL;
    void *p;
    if (!ptr) {
        p = block_take(v, nsize);
    } else if (small_class(old) == small_class(nsize) && small_class(nsize) < SMALL_CLASSES) {
        p = ptr; /* same block class: nothing moves */
    } else if (small_class(old) == SMALL_CLASSES && small_class(nsize) == SMALL_CLASSES) {
        p = realloc(ptr, nsize);
    } else {
        p = block_take(v, nsize);
        if (p) {
            memcpy(p, ptr, old < nsize ? old : nsize);
            block_give(v, ptr, old);
        }
    }
    if (!p) {
        if (nsize <= old) {
            /* The old block stays; it is at least as large as nsize's class. */
            v->mem_used = v->mem_used - old + nsize;
            return ptr;
        }
        return NULL;
    }
    v->mem_used = v->mem_used - old + nsize;
    return p;
}

static rules_state *ver_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

/* Stops the rule call in progress: its instruction budget (VM instructions
 * and pattern-matching steps) or the wall-clock deadline is spent. Every later
 * hook call raises again, so a pcall inside the rule cannot swallow the stop. */
static int budget_stop(lua_State *L, rules_state *v, lua_Debug *ar) {
    v->exhausted = 1;
    char where[200] = "";
    if (ar && lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
        snprintf(where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
    } else if (!ar) {
        luaL_where(L, 1);
        igc__rules_copy(where, sizeof where, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (v->deadline > 0 && igc_now_ms() > v->deadline)
        lua_pushfstring(L, "%s시간 한도(%d ms)를 넘었습니다 — 규칙 테스트 전체에 걸린 시간입니다 / time limit exceeded",
                        where, (int)v->deadline_ms);
    else
        lua_pushfstring(L, "%s실행 한도(명령 %I개)를 넘었습니다 — 끝나지 않는 반복이거나 너무 많이 되돌아가는 "
                           "문자열 패턴일 수 있습니다 / instruction budget exceeded",
                        where, (lua_Integer)v->budget);
    return lua_error(L);
}

static int over_budget(const rules_state *v) {
    return v->used > v->budget || (v->deadline > 0 && igc_now_ms() > v->deadline);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
    rules_state *v = ver_of(L);
    v->used += HOOK_STEP;
    if (!over_budget(v)) return;
    budget_stop(L, v, ar);
}

void igc__rules_charge(lua_State *L, unsigned long steps) {
    rules_state *v = ver_of(L);
    v->used += steps;
    if (over_budget(v)) budget_stop(L, v, NULL);
}

static void budget_reset(rules_state *v) {
    v->used = 0;
    v->exhausted = 0;
}

/* Text of the error on top of the stack, with the usual causes spelled out. */
static void describe_error(rules_state *v, lua_State *L, int status, char *buf, size_t n) {
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (status == LUA_ERRMEM || (m && strstr(m, "not enough memory"))) {
        snprintf(buf, n, "메모리 한도(%zu KiB)를 넘었습니다 / memory limit exceeded", v->mem_limit >> 10);
    } else if (!m) {
        snprintf(buf, n, "오류 값이 문자열이 아닙니다 / error object is a %s value", luaL_typename(L, -1));
    } else if (!v->exhausted && strstr(m, "stack overflow")) {
        snprintf(buf, n, "재귀가 너무 깊습니다 / %s", m);
    } else {
        igc__rules_copy(buf, n, m);
    }
}

/* ---- C helpers handed to the prelude ---- */

static int l_where(lua_State *L) {
    luaL_where(L, (int)luaL_checkinteger(L, 1));
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    while (len > 0 && (s[len - 1] == ':' || s[len - 1] == ' ')) len--;
    lua_pushlstring(L, s, len);
    return 1;
}

/* Items of the taxonomy repeat from one evaluation to the next, and their
 * definitions and examples are long: the tables l_item made are kept per
 * state (up to ITEM_CACHE_BYTES of text, then the cache starts over) and
 * handed out again while the host's lookup still gives the same strings
 * (compared in full, so a new taxonomy shows at once). Rules only ever see
 * such a table through a read-only view, so sharing it is safe. */
#define ITEM_CACHE_BYTES ((size_t)512 << 10)

static const char *const ITEM_KEYS[8] = {"code",       "name",       "theme",      "theme_name",
                                         "field",      "field_name", "definition", "examples"};

/* Pushes the item table of the code at code_idx (a string) through the
 * host's lookup, or nil when there is none; returns whether it pushed a table. */
static int push_item(lua_State *L, rules_state *v, int code_idx) {
    code_idx = lua_absindex(L, code_idx);
    const char *code = lua_tostring(L, code_idx);
    igc_rules_input *in = v->cur;
    igc_rules_item it;
    memset(&it, 0, sizeof it);
    if (!in || !in->item_lookup || in->item_lookup(in->lookup_ud, code, &it) != 0) {
        lua_pushnil(L);
        return 0;
    }
    const char *vals[8] = {it.code ? it.code : code, it.name, it.theme, it.theme_name,
                           it.field, it.field_name, it.definition, it.examples};
    size_t lens[8], bytes = lua_rawlen(L, code_idx);
    for (int k = 0; k < 8; k++) {
        if (!vals[k]) vals[k] = "";
        lens[k] = strlen(vals[k]);
        bytes += lens[k];
    }
    int base = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->item_ref); /* base+1: the cache */
    lua_pushvalue(L, code_idx);
    if (lua_rawget(L, base + 1) == LUA_TTABLE) {
        int same = 1;
        for (int k = 0; k < 8 && same; k++) {
            size_t n;
            lua_getfield(L, base + 2, ITEM_KEYS[k]);
            const char *s = lua_tolstring(L, -1, &n);
            same = s && n == lens[k] && memcmp(s, vals[k], n) == 0;
            lua_pop(L, 1);
        }
        if (same) {
            lua_remove(L, base + 1);
            return 1;
        }
    }
    lua_settop(L, base + 1);
    lua_createtable(L, 0, 8); /* base+2 */
    for (int k = 0; k < 8; k++) {
        lua_pushlstring(L, vals[k], lens[k]);
        lua_setfield(L, base + 2, ITEM_KEYS[k]);
    }
    if (v->item_bytes + bytes > ITEM_CACHE_BYTES) { /* the full cache goes */
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawseti(L, LUA_REGISTRYINDEX, v->item_ref);
        lua_replace(L, base + 1);
        v->item_bytes = 0;
    }
    lua_pushvalue(L, code_idx);
    lua_pushvalue(L, base + 2);
    lua_rawset(L, base + 1);
    v->item_bytes += bytes;
    lua_remove(L, base + 1);
    return 1;
}

static int l_item(lua_State *L) {
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    return push_item(L, ver_of(L), 1);
}

static int l_log(lua_State *L) {
    igc_log(IGC_LOG_DEBUG, "rules: %.400s", luaL_checkstring(L, 1));
    return 0;
}

/* The sandbox's pcall: like the standard one, but a spent instruction budget
 * is re-raised instead of being caught. */
static int l_pcall(lua_State *L) {
    luaL_checkany(L, 1);
    int st = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (ver_of(L)->exhausted) return lua_error(L);
    if (st != LUA_OK) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* ---- text matching (the hot path of every rule) ---- */

/* Strings up to this size (words, keywords, short product names) are
 * memoised; longer ones are input texts that rarely repeat. A memo is
 * dropped once its keys and values pass MEMO_BYTES, so inputs cannot make it
 * grow without bound. */
#define MEMO_MAX_KEY 256
#define MEMO_BYTES ((size_t)256 << 10)

/* The two forms of a text: NORM_PLAIN is TEXT.normalize (no spaces at all,
 * ASCII lower-cased), what rules compare themselves; NORM_FOLD keeps one
 * space between words (igc__rules_fold), what word matching needs. */
enum norm_kind { NORM_PLAIN, NORM_FOLD };

/* Removes every run matching pat (n bytes) from s[0..*len), scanning left to
 * right like string.gsub with a literal pattern. */
static void remove_all(char *s, size_t *len, const char *pat, size_t n) {
    size_t r = 0, w = 0, end = *len;
    while (r < end) {
        const char *p = memchr(s + r, pat[0], end - r);
        size_t at = p ? (size_t)(p - s) : end;
        if (at > r) {
            if (w != r) memmove(s + w, s + r, at - r);
            w += at - r;
            r = at;
        }
        if (r == end) break;
        if (r + n <= end && memcmp(s + r, pat, n) == 0) {
            r += n;
        } else {
            s[w++] = s[r++];
        }
    }
    *len = w;
}

/* Writes TEXT.normalize of src to s (room for len bytes), in the prelude's
 * original order: gsub("%s+", ""), then U+3000, then U+00A0, then
 * string.lower. Returns the length. */
static size_t plain_normalize(char *s, const char *src, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)src[i])) s[n++] = src[i];
    remove_all(s, &n, "\343\200\200", 3);
    remove_all(s, &n, "\302\240", 2);
    for (size_t i = 0; i < n; i++) s[i] = (char)tolower((unsigned char)s[i]);
    return n;
}

static void push_form(lua_State *L, const char *src, size_t len, int kind) {
    luaL_Buffer b;
    char *s = luaL_buffinitsize(L, &b, len ? len : 1);
    luaL_pushresultsize(&b, kind == NORM_PLAIN ? plain_normalize(s, src, len) : igc__rules_fold(s, src, len));
}

/* Pushes the kind form of the value at idx: nil is "", other non-strings go
 * through tostring. Strings are looked up in (and added to) the state's memo
 * of that form. */
static const char *push_norm(lua_State *L, rules_state *v, int idx, int kind, size_t *nlen) {
    idx = lua_absindex(L, idx);
    int t = lua_type(L, idx);
    if (t == LUA_TNIL) {
        lua_pushliteral(L, "");
        *nlen = 0;
        return lua_tostring(L, -1);
    }
    if (t != LUA_TSTRING) {
        size_t len;
        const char *s = luaL_tolstring(L, idx, &len);
        push_form(L, s, len, kind);
        lua_remove(L, -2);
        return lua_tolstring(L, -1, nlen);
    }
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (len > MEMO_MAX_KEY) {
        push_form(L, s, len, kind);
        return lua_tolstring(L, -1, nlen);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->memo_ref[kind]);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TSTRING) {
        lua_remove(L, -2);
        return lua_tolstring(L, -1, nlen);
    }
    lua_pop(L, 1);
    push_form(L, s, len, kind);
    size_t vlen;
    lua_tolstring(L, -1, &vlen);
    if (v->memo_bytes[kind] + len + vlen > MEMO_BYTES) {
        lua_remove(L, -2); /* the full memo goes */
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawseti(L, LUA_REGISTRYINDEX, v->memo_ref[kind]);
        lua_insert(L, -2);
        v->memo_bytes[kind] = 0;
    }
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
    v->memo_bytes[kind] += len + vlen;
    lua_remove(L, -2);
    return lua_tolstring(L, -1, nlen);
}

static int l_normalize(lua_State *L) {
    size_t n;
    lua_settop(L, 1);
    push_norm(L, ver_of(L), 1, NORM_PLAIN, &n);
    return 1;
}

static int l_fold(lua_State *L) {
    size_t n;
    lua_settop(L, 1);
    push_norm(L, ver_of(L), 1, NORM_FOLD, &n);
    return 1;
}

/* set_compounds(compounds, exceptions): both plain lists of strings, already
 * checked by the prelude. Replaces the state's compound set. */
static int l_set_compounds(lua_State *L) {
    rules_state *v = ver_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t nc = (size_t)lua_rawlen(L, 1), nx = (size_t)lua_rawlen(L, 2), bytes = 0;
    if (nc > 65536 || nx > 65536) return luaL_error(L, "too many compounds");
    for (int a = 1; a <= 2; a++)
        for (size_t i = 1; i <= (a == 1 ? nc : nx); i++) {
            if (lua_rawgeti(L, a, (lua_Integer)i) != LUA_TSTRING) return luaL_error(L, "compounds: strings expected");
            bytes += lua_rawlen(L, -1);
            lua_pop(L, 1);
        }
    size_t n = nc + nx;
    /* One block: the header, then masks, pointers, lengths and the bytes. */
    size_t head = sizeof(igc__rules_compounds) + n * (sizeof(uint64_t) + sizeof(const char *) + sizeof(size_t));
    igc__rules_compounds *cs = lua_newuserdatauv(L, head + bytes + 1, 0);
    cs->ncomp = nc;
    cs->nexc = nx;
    cs->mask = (uint64_t *)(cs + 1);
    cs->word = (const char **)(cs->mask + n);
    cs->len = (size_t *)(cs->word + n);
    char *text = (char *)(cs->len + n);
    size_t k = 0;
    for (int a = 1; a <= 2; a++)
        for (size_t i = 1; i <= (a == 1 ? nc : nx); i++, k++) {
            size_t len;
            lua_rawgeti(L, a, (lua_Integer)i);
            const char *s = lua_tolstring(L, -1, &len);
            cs->word[k] = text;
            cs->len[k] = plain_normalize(text, s, len);
            cs->mask[k] = igc__rules_byte_mask(text, cs->len[k]);
            text += cs->len[k];
            lua_pop(L, 1);
        }
    /* Swap the reference first: a failed luaL_ref would leave the old set. */
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (v->cmp_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, v->cmp_ref);
    v->cmp_ref = ref;
    v->cmp = cs;
    return 0;
}

/* Rules pass the same word lists (plain tables of strings) on every call. A
 * weak-keyed cache maps such a list to its words' folded forms, checked
 * word by word against the list (the same string object means the same word),
 * so a list that a rule changes is simply rebuilt. */
typedef struct wl_entry {
    const void *w; /* the word's string object, kept alive by the uservalue */
    const char *nw;
    size_t nwlen;
    size_t minlen;   /* its bytes but spaces: a match takes at least these from the text */
    uint64_t set[4]; /* which byte values it has but space */
} wl_entry;

/* The byte values of s[0..n), space left out, as a 256-bit set. */
static void byte_set(const char *s, size_t n, uint64_t set[4]) {
    set[0] = set[1] = set[2] = set[3] = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != ' ') set[c >> 6] |= (uint64_t)1 << (c & 63);
    }
}

/* Texts up to this long get the byte-set test below before a word is looked
 * for; in longer ones most bytes are present anyway. */
#define SHORT_TEXT 96

/* Whether word e may occur in a text of tn bytes with byte set ts: every
 * byte of the word but a space is matched by an equal byte of the text
 * (match.c), so a word with a byte the text lacks, or more such bytes than
 * the text has, cannot occur. */
static int may_occur(const wl_entry *e, size_t tn, const uint64_t ts[4]) {
    return e->minlen <= tn && !(e->set[0] & ~ts[0]) && !(e->set[1] & ~ts[1]) && !(e->set[2] & ~ts[2]) &&
           !(e->set[3] & ~ts[3]);
}

typedef struct word_list {
    lua_Integer n;
    wl_entry e[];
} word_list;

#define WL_MIN 4 /* shorter lists are cheaper to fold than to cache */
#define WL_BATCH 32 /* a power of two */

/* The cached list for the table at idx (plain, no metatable), building it
 * when missing or stale; NULL when the list is not cacheable. */
static word_list *wl_get(lua_State *L, rules_state *v, int idx, int rebuild) {
    if (lua_type(L, idx) != LUA_TTABLE || lua_getmetatable(L, idx)) {
        if (lua_type(L, idx) == LUA_TTABLE) lua_pop(L, 1);
        return NULL;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->wl_ref);
    int cache = lua_gettop(L);
    if (!rebuild) {
        lua_pushvalue(L, idx);
        if (lua_rawget(L, cache) == LUA_TUSERDATA) {
            word_list *wl = lua_touserdata(L, -1);
            lua_pop(L, 2);
            return wl; /* the cache's reference keeps it alive */
        }
        lua_pop(L, 1);
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    int ok = n >= WL_MIN && n <= 4096;
    for (lua_Integer i = 1; ok && i <= n; i++) {
        ok = lua_rawgeti(L, idx, i) == LUA_TSTRING;
        lua_pop(L, 1);
    }
    if (!ok) {
        if (rebuild) { /* no longer cacheable: drop the stale entry */
            lua_pushvalue(L, idx);
            lua_pushnil(L);
            lua_rawset(L, cache);
        }
        lua_pop(L, 1);
        return NULL;
    }
    /* ipairs stops at the first nil; rawlen may see past a hole. */
    word_list *wl = lua_newuserdatauv(L, sizeof *wl + (size_t)n * sizeof(wl_entry), 1);
    wl->n = n;
    lua_createtable(L, (int)(2 * n), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        wl->e[i - 1].w = lua_topointer(L, -1);
        lua_rawseti(L, -2, 2 * i - 1);
        lua_rawgeti(L, idx, i);
        wl_entry *e = &wl->e[i - 1];
        push_norm(L, v, -1, NORM_FOLD, &e->nwlen);
        e->nw = lua_tostring(L, -1);
        byte_set(e->nw, e->nwlen, e->set);
        e->minlen = 0;
        for (size_t k = 0; k < e->nwlen; k++) e->minlen += e->nw[k] != ' ';
        lua_rawseti(L, -3, 2 * i);
        lua_pop(L, 1);
    }
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -2);
    lua_rawset(L, cache);
    lua_pop(L, 2);
    return wl;
}

/* The first w of the words at index 2 (walked like ipairs) whose folded
 * form is non-empty and occurs as a word in the folded text ft, pushed; or
 * nil. ft may lie in the state's scratch buffer (in_scratch): it is copied
 * to a string before anything that can run Lua code (a metamethod of the
 * list may call text.has_any again). */
static int first_match_in(lua_State *L, rules_state *v, const char *ft, size_t ftlen, int in_scratch) {
    luaL_checkstack(L, 12 + WL_BATCH, NULL);
    word_list *wl = wl_get(L, v, 2, 0);
    if (wl) {
        uint64_t ts[4];
        int short_text = ftlen <= SHORT_TEXT;
        if (short_text) byte_set(ft, ftlen, ts);
        int base = lua_gettop(L);
        /* The words checked stay on the stack, WL_BATCH at a time: one pop
         * per batch instead of one per word. */
        for (lua_Integer i = 1;; i++) {
            if ((i & (WL_BATCH - 1)) == 0) lua_settop(L, base);
            int t = lua_rawgeti(L, 2, i);
            if (i > wl->n || t != LUA_TSTRING || lua_topointer(L, -1) != wl->e[i - 1].w) {
                if (t == LUA_TNIL && i == wl->n + 1) return 1;
                lua_settop(L, base);
                wl = wl_get(L, v, 2, 1); /* changed since cached */
                break;
            }
            const wl_entry *e = &wl->e[i - 1];
            if (e->nwlen && (!short_text || may_occur(e, ftlen, ts)) &&
                igc__rules_find(ft, ftlen, e->nw, e->nwlen, v->cmp))
                return 1;
        }
    }
    /* Only a metamethod (of the list, or the __tostring of a word that is no
     * string) can run Lua code here. */
    if (in_scratch && lua_getmetatable(L, 2)) {
        lua_pop(L, 1);
        lua_pushlstring(L, ft, ftlen);
        ft = lua_tostring(L, -1);
        in_scratch = 0;
    }
    for (lua_Integer i = 1;; i++) {
        int t = lua_geti(L, 2, i);
        if (t == LUA_TNIL) return 1;
        if (in_scratch && t != LUA_TSTRING) {
            lua_pushlstring(L, ft, ftlen);
            ft = lua_tostring(L, -1);
            lua_insert(L, -2);
            in_scratch = 0;
        }
        size_t nwlen;
        const char *nw = push_norm(L, v, -1, NORM_FOLD, &nwlen);
        if (nwlen && igc__rules_find(ft, ftlen, nw, nwlen, v->cmp)) {
            lua_pop(L, 1);
            return 1;
        }
        lua_pop(L, 2);
    }
}

/* first_match(ft, words): the first w of words (walked like ipairs) whose
 * folded form is non-empty and occurs as a word in the folded text ft; or
 * nil. */
static int l_first_match(lua_State *L) {
    size_t ftlen;
    const char *ft = luaL_checklstring(L, 1, &ftlen);
    lua_settop(L, 2);
    return first_match_in(L, ver_of(L), ft, ftlen, 0);
}

/* all_matches(ft, words): a new list of every such w, in order. */
static int l_all_matches(lua_State *L) {
    size_t ftlen;
    const char *ft = luaL_checklstring(L, 1, &ftlen);
    rules_state *v = ver_of(L);
    lua_settop(L, 2);
    lua_newtable(L);
    lua_Integer n = 0;
    for (lua_Integer i = 1;; i++) {
        if (lua_geti(L, 2, i) == LUA_TNIL) return lua_pop(L, 1), 1;
        size_t nwlen;
        const char *nw = push_norm(L, v, -1, NORM_FOLD, &nwlen);
        lua_pop(L, 1);
        if (nwlen && igc__rules_find(ft, ftlen, nw, nwlen, v->cmp))
            lua_rawseti(L, 3, ++n);
        else
            lua_pop(L, 1);
    }
}

/* The prelude's wordlist(words, fname) for the text helpers below: a string
 * becomes a list of one word; anything but a table is an error pointing at
 * the rule that called. */
static void words_arg(lua_State *L, int idx, const char *fname) {
    if (lua_type(L, idx) == LUA_TSTRING) {
        lua_createtable(L, 1, 0);
        lua_pushvalue(L, idx);
        lua_rawseti(L, -2, 1);
        lua_replace(L, idx);
    } else if (lua_type(L, idx) != LUA_TTABLE) {
        luaL_error(L, "%s: 단어 목록(표)이 필요합니다 (a list of words is required)", fname);
    }
}

/* text.has_any(s, words): the first word of words found in s (folded), or
 * nil; what the prelude did with wordlist, fold and first_match. */
static int l_text_has_any(lua_State *L) {
    lua_settop(L, 2);
    words_arg(L, 2, "text.has_any");
    rules_state *v = ver_of(L);
    size_t n, len;
    /* A long text (an item's definition and examples, joined by the rule)
     * is seldom the same string twice: folded into the scratch buffer, it
     * costs no string of its own. */
    if (lua_type(L, 1) == LUA_TSTRING && lua_rawlen(L, 1) > MEMO_MAX_KEY) {
        const char *s = lua_tolstring(L, 1, &len);
        if (len > v->scratch_cap) {
            size_t cap = len < 4096 ? 4096 : len;
            char *p = lua_newuserdatauv(L, cap, 0);
            lua_rawseti(L, LUA_REGISTRYINDEX, v->scratch_ref);
            v->scratch = p;
            v->scratch_cap = cap;
        }
        n = igc__rules_fold(v->scratch, s, len);
        if (n == 0) {
            lua_pushnil(L);
            return 1;
        }
        return first_match_in(L, v, v->scratch, n, 1);
    }
    push_norm(L, v, 1, NORM_FOLD, &n);
    if (n == 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_replace(L, 1);
    return l_first_match(L);
}

/* text.find_all(s, words): every word of words found in s, in list order. */
/* place_known(sido[, sigungu]): whether the host knows that 광역 (and 시군구 in it); true
 * when the host gave no list. */
static int l_place_known(lua_State *L) {
    const char *sido = luaL_checkstring(L, 1), *gu = luaL_optstring(L, 2, NULL);
    const char *const *pl = ver_of(L)->v->places;
    int known = pl == NULL;
    size_t ns = strlen(sido);
    for (; pl && *pl && !known; pl++) {
        const char *e = *pl;
        if (strncmp(e, sido, ns) != 0) continue;
        known = gu ? e[ns] == '\t' && strcmp(e + ns + 1, gu) == 0 : e[ns] == '\0';
    }
    lua_pushboolean(L, known);
    return 1;
}

static int l_text_find_all(lua_State *L) {
    lua_settop(L, 2);
    words_arg(L, 2, "text.find_all");
    size_t n;
    push_norm(L, ver_of(L), 1, NORM_FOLD, &n);
    if (n == 0) {
        lua_newtable(L);
        return 1;
    }
    lua_replace(L, 1);
    return l_all_matches(L);
}

/* host_keywords(i, seq) and host_signals(i, seq): the keywords (a list) and
 * signals (name -> number) of candidate i of the host's input, made when a
 * rule first reads them. seq is the evaluation the ctx was built for: a view
 * kept past its evaluation gets empty tables, never another input's data. */
static const igc_rules_candidate *cand_of(rules_state *v, lua_Integer i, lua_Integer seq) {
    if (!v->cur || seq != (lua_Integer)v->seq || i < 1 || (size_t)i > v->cur->ncands) return NULL;
    return &v->cur->cands[i - 1];
}

static const igc_rules_candidate *host_cand(lua_State *L) {
    lua_Integer i = luaL_checkinteger(L, 1), seq = luaL_checkinteger(L, 2);
    return cand_of(ver_of(L), i, seq);
}

static void push_keywords(lua_State *L, const igc_rules_candidate *c) {
    size_t nk = c && c->keywords ? c->nkeywords : 0;
    lua_createtable(L, (int)(nk < 100000 ? nk : 0), 0);
    for (size_t k = 0, n = 0; k < nk; k++) {
        if (!c->keywords[k]) continue;
        lua_pushstring(L, c->keywords[k]);
        lua_rawseti(L, -2, (lua_Integer)++n);
    }
}

static void push_signals(lua_State *L, const igc_rules_candidate *c) {
    int ns = c && c->nsignals > 0 ? c->nsignals : 0;
    lua_createtable(L, 0, ns);
    for (int k = 0; k < ns && k < 8; k++) {
        if (!c->signal_names[k]) continue;
        lua_pushnumber(L, c->signals[k]);
        lua_setfield(L, -2, c->signal_names[k]);
    }
}

static int l_host_keywords(lua_State *L) {
    push_keywords(L, host_cand(L));
    return 1;
}

static int l_host_signals(lua_State *L) {
    push_signals(L, host_cand(L));
    return 1;
}

/* ---- candidate records of the host's input ----
 * A record is {code, score, dropped, drop_reason = "", [K_ST] = st,
 * [K_I] = i} with the metatable the prelude gives (host_rec_mt); see the
 * prelude's REC_MT for what the fields mean. Built here from the input
 * itself: every evaluation makes one per candidate. */

/* host_recs(st, recs, by_code, K_ST, K_I, mt): fills recs[i] with the
 * record of candidate i of the input in progress, and by_code[code] with the
 * first record of each code. */
static int l_host_recs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    luaL_checktype(L, 6, LUA_TTABLE);
    lua_settop(L, 6);
    const igc_rules_input *in = ver_of(L)->cur;
    size_t n = in ? in->ncands : 0;
    for (size_t i = 0; i < n; i++) {
        const igc_rules_candidate *c = &in->cands[i];
        lua_pushlstring(L, c->code, strnlen(c->code, sizeof c->code)); /* 7 */
        /* Room for item and keywords, which most rules read. */
        lua_createtable(L, 0, 8); /* 8 */
        lua_pushvalue(L, 7);
        lua_setfield(L, 8, "code");
        double sc = c->score; /* as the prelude clamped it: NaN and below 0 are 0 */
        if (sc != sc || sc < 0) sc = 0;
        else if (sc > 1) sc = 1;
        lua_pushnumber(L, sc);
        lua_setfield(L, 8, "score");
        lua_pushboolean(L, c->dropped != 0);
        lua_setfield(L, 8, "dropped");
        lua_pushliteral(L, "");
        lua_setfield(L, 8, "drop_reason");
        lua_pushvalue(L, 4);
        lua_pushvalue(L, 1);
        lua_rawset(L, 8);
        lua_pushvalue(L, 5);
        lua_pushinteger(L, (lua_Integer)i + 1);
        lua_rawset(L, 8);
        lua_pushvalue(L, 6);
        lua_setmetatable(L, 8);
        lua_pushvalue(L, 8);
        lua_rawseti(L, 2, (lua_Integer)i + 1);
        lua_pushvalue(L, 7);
        if (lua_rawget(L, 3) == LUA_TNIL) {
            lua_pushvalue(L, 7);
            lua_pushvalue(L, 8);
            lua_rawset(L, 3);
        }
        lua_settop(L, 6);
    }
    return 0;
}

/* The __index of a host record (upvalues K_ST, K_I, EMPTY_ITEM and the
 * prelude's REC_MT.__index for every other key): item, keywords and signals
 * are made on first read, as REC_MT.__index makes them for a host ctx, and
 * kept in the record. Most rules read a candidate's keywords and item. */
static int host_rec_index(lua_State *L) {
    size_t n = 0;
    const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &n) : NULL;
    int item = k && n == 4 && memcmp(k, "item", 4) == 0;
    int kw = k && n == 8 && memcmp(k, "keywords", 8) == 0;
    int sig = k && n == 7 && memcmp(k, "signals", 7) == 0;
    if (!item && !kw && !sig) {
        lua_settop(L, 2);
        lua_pushvalue(L, lua_upvalueindex(4));
        lua_insert(L, 1);
        lua_call(L, 2, 1);
        return 1;
    }
    lua_settop(L, 2);
    rules_state *v = ver_of(L);
    if (item) {
        if (lua_getfield(L, 1, "code") != LUA_TSTRING) return luaL_error(L, "candidate code is not a string");
        if (!push_item(L, v, 3)) { /* 4 */
            lua_pop(L, 1);
            lua_pushvalue(L, lua_upvalueindex(3));
        }
        igc__rules_push_readonly(L, 4, "item");
    } else {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_rawget(L, 1); /* 3: st */
        lua_getfield(L, 3, "seq");
        lua_pushvalue(L, lua_upvalueindex(2));
        lua_rawget(L, 1);
        int ok1, ok2;
        lua_Integer seq = lua_tointegerx(L, 4, &ok1), i = lua_tointegerx(L, 5, &ok2);
        const igc_rules_candidate *c = ok1 && ok2 ? cand_of(v, i, seq) : NULL;
        if (kw)
            push_keywords(L, c);
        else
            push_signals(L, c);
        igc__rules_push_readonly(L, -1, kw ? "keywords" : "signals");
    }
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

/* host_rec_index(K_ST, K_I, EMPTY_ITEM, fallback): host_rec_index bound to them. */
static int l_host_rec_index(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    luaL_checktype(L, 4, LUA_TFUNCTION);
    lua_settop(L, 4);
    lua_pushcclosure(L, host_rec_index, 4);
    return 1;
}

/* The internal functions, kept as registry references so fetching one never
 * allocates (and so can never fail outside a protected call). */
static const char *const fnames[F_COUNT] = {"new_env", "new_ctx", "finish", "run", "rollback", "result",
                                            "ntests", "test_info", "test_ctx", "check", "clear_tests"};

void igc__rules_push_internal(rules_state *v, int f) { lua_rawgeti(v->L, LUA_REGISTRYINDEX, v->fref[f]); }
#define push_internal igc__rules_push_internal

/* ---- state setup ---- */

static int p_setup(lua_State *L) {
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},     {LUA_STRLIBNAME, luaopen_string},
                                    {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    for (const luaL_Reg *l = libs; l->func; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    /* Nothing in the state may reach files, processes or bytecode. */
    static const char *strip[] = {"dofile", "loadfile", "collectgarbage", "print", "warn", "require", NULL};
    for (const char **s = strip; *s; s++) {
        lua_pushnil(L);
        lua_setglobal(L, *s);
    }
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    /* Pattern matching, string.rep and table.sort charged to the budget. */
    igc__rules_install_bounded(L);
    /* getmetatable("") would otherwise hand out the real string table. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    rules_state *v = ver_of(L);
    for (int k = 0; k < 2; k++) {
        lua_newtable(L);
        v->memo_ref[k] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    v->cmp_ref = LUA_NOREF;
    lua_newtable(L);
    v->item_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0); /* the scratch buffer, made on first use */
    v->scratch_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L); /* word lists, weak keys */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    v->wl_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (luaL_loadbufferx(L, (const char *)igc_rules_prelude, igc_rules_prelude_len, "=prelude", "t") !=
        LUA_OK)
        return lua_error(L);
    static const luaL_Reg helpers[] = {{"where", l_where},
                                       {"item", l_item},
                                       {"log", l_log},
                                       {"pcall", l_pcall},
                                       {"normalize", l_normalize},
                                       {"fold", l_fold},
                                       {"set_compounds", l_set_compounds},
                                       {"first_match", l_first_match},
                                       {"all_matches", l_all_matches},
                                       {"text_has_any", l_text_has_any},
                                       {"place_known", l_place_known},
                                       {"text_find_all", l_text_find_all},
                                       {"host_keywords", l_host_keywords},
                                       {"host_signals", l_host_signals},
                                       {"host_recs", l_host_recs},
                                       {"host_rec_index", l_host_rec_index},
                                       {"ctx_index", igc__rules_ctx_index},
                                       {"snapshot", igc__rules_snapshot},
                                       {"ro_newindex", igc__rules_ro_newindex},
                                       {"ro_len", igc__rules_ro_len},
                                       {"ro_pairs", igc__rules_ro_pairs},
                                       {"readonly", igc__rules_readonly},
                                       {"candidate_views", igc__rules_candidate_views},
                                       {"trim", igc__rules_trim},
                                       {"segments", igc__rules_segments},
                                       {"utf8_ok", igc__rules_utf8_ok},
                                       {NULL, NULL}};
    luaL_newlib(L, helpers);
    lua_call(L, 1, 1);
    if (v->v->kind == IGC_RULES_KIND_PROGRAMMES) {
        /* The programmes layer replaces the prelude's interface, built on its
         * shared sandbox parts. */
        if (luaL_loadbufferx(L, (const char *)igc_rules_programmes_layer, igc_rules_programmes_layer_len,
                             "=programmes", "t") != LUA_OK)
            return lua_error(L);
        lua_getfield(L, -2, "shared");
        lua_call(L, 1, 1);
    }
    for (int f = 0; f < F_COUNT; f++) {
        if (lua_getfield(L, -1, fnames[f]) != LUA_TFUNCTION) return luaL_error(L, "prelude lacks %s", fnames[f]);
        v->fref[f] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    return 0;
}

typedef struct chunk_arg {
    const char *name; /* chunk name, e.g. "=wholesale_retail.lua" */
    const char *file;
    const char *data;
    size_t len;
    const char *kind; /* "rule" or "test" */
} chunk_arg;

static int p_run_file(lua_State *L) {
    chunk_arg *a = lua_touserdata(L, 1);
    rules_state *v = ver_of(L);
    if (luaL_loadbufferx(L, a->data, a->len, a->name, "t") != LUA_OK) return lua_error(L);
    push_internal(v, F_NEW_ENV);
    lua_pushstring(L, a->file);
    lua_pushstring(L, a->kind);
    lua_call(L, 2, 1);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    lua_call(L, 0, 0);
    return 0;
}

/* Sorts the rules; the first state records them in the version, a later one
 * (argument true) only checks that it loaded the same rules in the same order. */
static int p_finish(lua_State *L) {
    int later = lua_toboolean(L, 1);
    rules_state *s = ver_of(L);
    igc_rules_version *v = s->v;
    push_internal(s, F_FINISH);
    lua_call(L, 0, 1);
    size_t n = (size_t)luaL_len(L, -1);
    if (later) {
        int same = n == v->nrules;
        for (size_t i = 0; same && i < n; i++) {
            lua_geti(L, -1, (lua_Integer)i + 1);
            lua_getfield(L, -1, "id");
            same = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), v->rules[i].id) == 0;
            lua_pop(L, 2);
        }
        if (!same) return luaL_error(L, "rules differ from the first state's");
        return 0;
    }
    if (n == 0) return 0;
    v->rules = calloc(n, sizeof *v->rules);
    if (!v->rules) return luaL_error(L, "not enough memory");
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, -1, (lua_Integer)i + 1);
        rule_info *r = &v->rules[v->nrules++];
        lua_getfield(L, -1, "id");
        r->id = igc_strdup(lua_tostring(L, -1));
        lua_getfield(L, -2, "description");
        r->description = igc_strdup(lua_tostring(L, -1));
        lua_getfield(L, -3, "file");
        r->file = igc_strdup(lua_tostring(L, -1));
        lua_getfield(L, -4, "where");
        r->where = igc_strdup(lua_tostring(L, -1));
        lua_getfield(L, -5, "priority");
        r->priority = lua_tonumber(L, -1);
        lua_pop(L, 6);
        if (!r->id || !r->description || !r->file || !r->where) return luaL_error(L, "not enough memory");
    }
    return 0;
}

/* ---- running rules ---- */

typedef struct run_stats {
    size_t ok, failed;
    char first_error[512];
} run_stats;

/* Runs every rule on the ctx at stack index ctx, one budget each. */
static void run_rules(rules_state *s, int ctx, run_stats *rs, int record) {
    igc_rules_version *v = s->v;
    lua_State *L = s->L;
    for (size_t j = 0; j < v->nrules; j++) {
        budget_reset(s);
        push_internal(s, F_RUN);
        lua_pushvalue(L, ctx);
        lua_pushinteger(L, (lua_Integer)j + 1);
        int st = lua_pcall(L, 2, 0, 0);
        if (st == LUA_OK) {
            rs->ok++;
            continue;
        }
        char msg[400];
        describe_error(s, L, st, msg, sizeof msg);
        lua_pop(L, 1);
        rs->failed++;
        char line[512];
        snprintf(line, sizeof line, "규칙 %s (%s) 오류 / rule error: %s", v->rules[j].id, v->rules[j].where,
                 msg);
        if (rs->failed == 1) igc__rules_copy(rs->first_error, sizeof rs->first_error, line);
        budget_reset(s);
        push_internal(s, F_ROLLBACK);
        lua_pushvalue(L, ctx);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
        if (st == LUA_ERRMEM || strstr(msg, "memory")) lua_gc(L, LUA_GCCOLLECT);
        if (record) {
            pthread_mutex_lock(&v->mu);
            unsigned long e = ++v->rules[j].errors;
            v->rule_errors++;
            igc__rules_copy(v->last_rule_error, sizeof v->last_rule_error, line);
            igc_iso_now(v->last_rule_error_at);
            pthread_mutex_unlock(&v->mu);
            /* A rule failing on every request must not flood the log. */
            if (e <= 10 || (e & (e - 1)) == 0)
                igc_log(IGC_LOG_WARN, "%s %s: %s (failure %lu; skipped, other rules still apply)",
                        v->kind == IGC_RULES_KIND_PROGRAMMES ? "programmes" : "rules", v->id,
                        line, e);
        }
    }
}

static int p_test_ctx(lua_State *L) {
    rules_state *v = ver_of(L);
    push_internal(v, F_TEST_CTX);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

static void run_tests(rules_state *v, igc_buf *report, igc_buf *errors, int *failed, int *total) {
    lua_State *L = v->L;
    budget_reset(v);
    push_internal(v, F_NTESTS);
    int n = 0;
    if (lua_pcall(L, 0, 1, 0) == LUA_OK) n = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    for (int i = 1; i <= n; i++) {
        (*total)++;
        char name[200] = "", where[200] = "", why[1024] = "";
        budget_reset(v);
        push_internal(v, F_TEST_INFO);
        lua_pushinteger(L, i);
        if (lua_pcall(L, 1, 3, 0) == LUA_OK) {
            igc__rules_copy(name, sizeof name, lua_tostring(L, -3));
            igc__rules_copy(where, sizeof where, lua_tostring(L, -1));
            lua_pop(L, 3);
        } else {
            lua_pop(L, 1);
        }
        int ok = 0;
        budget_reset(v);
        lua_pushcfunction(L, p_test_ctx);
        lua_pushinteger(L, i);
        int st = lua_pcall(L, 1, 1, 0);
        if (st != LUA_OK) {
            char msg[400];
            describe_error(v, L, st, msg, sizeof msg);
            lua_pop(L, 1);
            snprintf(why, sizeof why, "입력(given)을 만들 수 없습니다 / cannot build the input: %s", msg);
        } else {
            int ctx = lua_gettop(L);
            run_stats rs = {0};
            run_rules(v, ctx, &rs, 0);
            if (rs.failed) {
                igc__rules_copy(why, sizeof why, rs.first_error);
            } else {
                budget_reset(v);
                push_internal(v, F_CHECK);
                lua_pushinteger(L, i);
                lua_pushvalue(L, ctx);
                st = lua_pcall(L, 2, 2, 0);
                if (st != LUA_OK) {
                    char msg[400];
                    describe_error(v, L, st, msg, sizeof msg);
                    lua_pop(L, 1);
                    snprintf(why, sizeof why, "기대값을 확인할 수 없습니다 / cannot check: %s", msg);
                } else {
                    ok = lua_toboolean(L, -2);
                    if (!ok) igc__rules_copy(why, sizeof why, lua_tostring(L, -1));
                    lua_pop(L, 2);
                }
            }
            lua_pop(L, 1);
        }
        if (ok) {
            v->v->tests_passed++;
            if (report) igc_buf_printf(report, "[통과 PASS] %s %s\n", where, name);
        } else {
            (*failed)++;
            char line[1600];
            snprintf(line, sizeof line, "[실패 FAIL] %s %s — %s\n", where, name, why);
            if (report) igc_buf_puts(report, line);
            if (errors) igc_buf_puts(errors, line);
        }
    }
}

/* ---- loading a directory ---- */

static int has_suffix(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void load_error(igc_buf *report, igc_buf *errors, const char *fmt, const char *a, const char *b) {
    char line[1600];
    snprintf(line, sizeof line, fmt, a, b);
    if (report) igc_buf_puts(report, line);
    if (errors) igc_buf_puts(errors, line);
}

/* Sorted names of the loadable *.lua files of dir. */
static int list_dir(const char *dir, char ***names, size_t *n, igc_buf *errors) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errors)
            igc_buf_printf(errors, "[오류 ERROR] 규칙 폴더를 열 수 없습니다 / cannot open rules dir %s: %s\n", dir,
                           strerror(errno));
        return errno == ENOENT ? IGC_ENOTFOUND : IGC_EIO;
    }
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".lua")) continue;
        size_t pl = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(pl);
        if (!path) {
            rc = IGC_ENOMEM;
            break;
        }
        snprintf(path, pl, "%s/%s", dir, e->d_name);
        struct stat sb;
        int regular = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
        free(path);
        if (!regular) continue;
        if (*n == MAX_FILES) {
            if (errors)
                igc_buf_printf(errors, "[오류 ERROR] 규칙 파일이 %d개를 넘습니다 / more than %d rule files\n",
                               MAX_FILES, MAX_FILES);
            rc = IGC_ETOOBIG;
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(*names, cap * sizeof *p);
            if (!p) {
                rc = IGC_ENOMEM;
                break;
            }
            *names = p;
        }
        if (!((*names)[*n] = igc_strdup(e->d_name))) {
            rc = IGC_ENOMEM;
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc) {
        for (size_t i = 0; i < *n; i++) free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
        return rc;
    }
    if (*n) qsort(*names, *n, sizeof **names, cmp_str);
    return 0;
}

static void state_free(rules_state *s) {
    if (!s) return;
    if (s->L) lua_close(s->L);
    blocks_free(s);
    free(s);
}

void igc__rules_version_free(igc_rules_version *v) {
    if (!v) return;
    for (int i = 0; i < v->nstates; i++) state_free(v->states[i]);
    for (size_t i = 0; i < v->nfiles; i++) {
        free(v->files[i]);
        if (v->data) free(v->data[i]);
    }
    free(v->files);
    free(v->data);
    free(v->lens);
    for (size_t i = 0; i < v->nrules; i++) {
        free(v->rules[i].id);
        free(v->rules[i].description);
        free(v->rules[i].file);
        free(v->rules[i].where);
    }
    free(v->rules);
    pthread_mutex_destroy(&v->mu);
    pthread_mutex_destroy(&v->pool_mu);
    pthread_cond_destroy(&v->pool_cv);
    free(v);
}

/* A new state with the prelude and the version's rule files (and, for the
 * first state, its test files) loaded. On failure *out is NULL and the
 * reasons go to report/errors (both may be NULL). */
static int state_load(igc_rules_version *v, int first, igc_buf *report, igc_buf *errors, rules_state **out) {
    *out = NULL;
    rules_state *s = calloc(1, sizeof *s);
    if (!s) return IGC_ENOMEM;
    s->v = v;
    s->mem_limit = v->mem_limit;
    s->budget = v->budget;
    if (first) { /* loading and testing a set has one wall-clock limit in all */
        s->deadline_ms = v->load_ms;
        s->deadline = igc_now_ms() + v->load_ms;
    }
    s->L = lua_newstate(capped_alloc, s);
    if (!s->L) {
        free(s);
        return IGC_ENOMEM;
    }
    lua_State *L = s->L;
    int rc = 0;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
    budget_reset(s);
    lua_pushcfunction(L, p_setup);
    int st = lua_pcall(L, 0, 0, 0);
    if (st != LUA_OK) {
        char msg[400];
        describe_error(s, L, st, msg, sizeof msg);
        lua_pop(L, 1);
        load_error(report, errors, "[오류 ERROR] %s%s\n", "prelude: ", msg);
        rc = IGC_ERULES;
    }
    /* Rule files first, so that every test sees the whole rule set. */
    for (int pass = 0; pass < (first ? 2 : 1) && !rc; pass++) {
        for (size_t i = 0; i < v->nfiles && !rc; i++) {
            int is_test = has_suffix(v->files[i], "_test.lua");
            if (is_test != pass) continue;
            char name[300];
            snprintf(name, sizeof name, "=%s", v->files[i]);
            chunk_arg a = {name, v->files[i], v->data[i], v->lens[i], is_test ? "test" : "rule"};
            budget_reset(s);
            lua_pushcfunction(L, p_run_file);
            lua_pushlightuserdata(L, &a);
            st = lua_pcall(L, 1, 0, 0);
            if (st != LUA_OK) {
                char msg[400];
                describe_error(s, L, st, msg, sizeof msg);
                lua_pop(L, 1);
                /* Syntax and runtime errors already start with file:line. */
                if (strncmp(msg, v->files[i], strlen(v->files[i])) == 0)
                    load_error(report, errors, "[오류 ERROR] %s%s\n", "", msg);
                else
                    load_error(report, errors, "[오류 ERROR] %s: %s\n", v->files[i], msg);
                rc = IGC_ERULES;
            }
        }
        if (pass == 0 && !rc) {
            budget_reset(s);
            lua_pushcfunction(L, p_finish);
            lua_pushboolean(L, !first);
            st = lua_pcall(L, 1, 0, 0);
            if (st != LUA_OK) {
                char msg[400];
                describe_error(s, L, st, msg, sizeof msg);
                lua_pop(L, 1);
                load_error(report, errors, "[오류 ERROR] %s%s\n", "", msg);
                rc = IGC_ERULES;
            }
        }
    }
    if (rc) {
        state_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Ready to serve: tests dropped, garbage collected, and the collector
 * switched to generational mode, which suits the many short-lived tables
 * each evaluation makes. */
static void state_ready(rules_state *s) {
    budget_reset(s);
    push_internal(s, F_CLEAR_TESTS);
    if (lua_pcall(s->L, 0, 0, 0) != LUA_OK) lua_pop(s->L, 1);
    lua_gc(s->L, LUA_GCCOLLECT);
    lua_gc(s->L, LUA_GCGEN, 0, 0);
}

static int default_states(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > IGC_RULES_MAX_STATES ? IGC_RULES_MAX_STATES : (int)n;
}

int igc__rules_version_load(const char *dir, igc_rules_kind kind, const igc_rules_limits *lim, igc_buf *report,
                            igc_buf *errors, int *failed, int *total, igc_rules_version **out) {
    *out = NULL;
    *failed = *total = 0;
    igc_rules_version *v = calloc(1, sizeof *v);
    if (!v) return IGC_ENOMEM;
    atomic_init(&v->refs, 1);
    v->kind = kind;
    pthread_mutex_init(&v->mu, NULL);
    pthread_mutex_init(&v->pool_mu, NULL);
    pthread_cond_init(&v->pool_cv, NULL);
    v->mem_limit = lim && lim->mem_bytes ? lim->mem_bytes : IGC_RULES_DEFAULT_MEM;
    v->budget = lim && lim->instructions ? lim->instructions : IGC_RULES_DEFAULT_INSTRUCTIONS;
    v->load_ms = lim && lim->load_ms ? lim->load_ms : IGC_RULES_DEFAULT_LOAD_MS;
    v->places = lim ? lim->places : NULL;
    v->max_states = lim && lim->states ? (int)(lim->states < IGC_RULES_MAX_STATES ? lim->states
                                                                                : IGC_RULES_MAX_STATES)
                                       : default_states();
    igc_iso_now(v->loaded_at);

    igc_buf why = {0};
    int rc = list_dir(dir, &v->files, &v->nfiles, &why);
    if (rc) {
        if (why.data) load_error(report, errors, "%s%s", why.data, "");
        igc_buf_free(&why);
        (*failed)++;
        igc__rules_version_free(v);
        return rc == IGC_ENOMEM ? rc : IGC_ERULES;
    }

    v->data = calloc(v->nfiles ? v->nfiles : 1, sizeof *v->data);
    v->lens = calloc(v->nfiles ? v->nfiles : 1, sizeof *v->lens);
    if (!v->data || !v->lens) {
        igc__rules_version_free(v);
        return IGC_ENOMEM;
    }
    uint64_t h = 0;
    for (size_t i = 0; i < v->nfiles && !rc; i++) {
        size_t pl = strlen(dir) + strlen(v->files[i]) + 2;
        char *path = malloc(pl);
        if (!path) {
            rc = IGC_ENOMEM;
            break;
        }
        snprintf(path, pl, "%s/%s", dir, v->files[i]);
        int r = igc_read_file(path, &v->data[i], &v->lens[i]);
        free(path);
        if (r == 0 && v->lens[i] > MAX_FILE_BYTES) r = IGC_ETOOBIG;
        if (r) {
            load_error(report, errors, "[오류 ERROR] %s: 읽을 수 없습니다 / cannot read: %s\n", v->files[i],
                       igc_strerror(r));
            rc = r == IGC_ENOMEM ? r : IGC_ERULES;
            break;
        }
        h = igc_hash64(v->files[i], strlen(v->files[i]) + 1, h);
        h = igc_hash64(v->data[i], v->lens[i] + 1, h);
    }
    snprintf(v->id, sizeof v->id, "%016" PRIx64, h);

    rules_state *s = NULL;
    if (!rc) rc = state_load(v, 1, report, errors, &s);
    if (rc) {
        (*failed)++;
        igc__rules_version_free(v);
        return rc;
    }
    v->states[v->nstates++] = s;

    run_tests(s, report, errors, failed, total);
    v->tests_total = *total;
    if (report && kind == IGC_RULES_KIND_PROGRAMMES)
        igc_buf_printf(report,
                       "테스트 %d건 중 %d건 통과 / %d of %d tests passed (지원사업 %zu개 / %zu programmes, 버전 %s)\n",
                       *total, *total - *failed, *total - *failed, *total, v->nrules, v->nrules, v->id);
    else if (report)
        igc_buf_printf(report, "테스트 %d건 중 %d건 통과 / %d of %d tests passed (규칙 %zu개 / %zu rules, 버전 %s)\n",
                       *total, *total - *failed, *total - *failed, *total, v->nrules, v->nrules, v->id);
    if (*failed) {
        igc__rules_version_free(v);
        return IGC_ERULES;
    }
    s->deadline = 0; /* evaluations have their instruction budget only */
    state_ready(s);
    v->free_states = s;
    *out = v;
    return 0;
}

/* ---- the state pool ---- */

/* A free state of v, loading another one when all are busy and the pool may
 * grow, else waiting for one to come back. */
static rules_state *pool_take(igc_rules_version *v) {
    pthread_mutex_lock(&v->pool_mu);
    for (;;) {
        rules_state *s = v->free_states;
        if (s) {
            v->free_states = s->next_free;
            pthread_mutex_unlock(&v->pool_mu);
            s->next_free = NULL;
            return s;
        }
        if (v->nstates < v->max_states && !v->grow_failed) {
            int slot = v->nstates++; /* reserved while loading outside the lock */
            pthread_mutex_unlock(&v->pool_mu);
            rules_state *ns = NULL;
            int rc = state_load(v, 0, NULL, NULL, &ns);
            if (!rc) state_ready(ns);
            pthread_mutex_lock(&v->pool_mu);
            if (!rc) {
                v->states[slot] = ns;
                pthread_mutex_unlock(&v->pool_mu);
                return ns;
            }
            /* Slots are only ever reserved at the end, and growth stops
             * here, so this slot is still the last one. */
            v->nstates--;
            v->grow_failed = 1;
            igc_log(IGC_LOG_WARN, "rules %s: cannot load another evaluation state (%s); using %d",
                    v->id, igc_strerror(rc), v->nstates);
            pthread_cond_broadcast(&v->pool_cv);
            continue;
        }
        pthread_cond_wait(&v->pool_cv, &v->pool_mu);
    }
}

static void pool_give(igc_rules_version *v, rules_state *s) {
    pthread_mutex_lock(&v->pool_mu);
    s->next_free = v->free_states;
    v->free_states = s;
    pthread_cond_signal(&v->pool_cv);
    pthread_mutex_unlock(&v->pool_mu);
}

/* ---- evaluation ---- */

/* Input texts are cut at this size (at a character boundary): product
 * descriptions are short, and it bounds what a rule's pattern can chew on. */
#define MAX_FIELD_BYTES ((size_t)16 << 10)

static void push_text(lua_State *L, const char *val) {
    if (!val) val = "";
    size_t len = strlen(val);
    if (len > MAX_FIELD_BYTES) {
        len = MAX_FIELD_BYTES;
        while (len > 0 && ((unsigned char)val[len] & 0xC0) == 0x80) len--;
    }
    lua_pushlstring(L, val, len);
}

/* Calls the prelude's new_ctx with the input's texts as plain arguments;
 * it builds the candidate records through host_recs, from the input itself.
 * The keywords and signals stay in the input until a rule reads them
 * (host_rec_index). */
static int p_build_ctx(lua_State *L) {
    rules_state *v = ver_of(L);
    igc_rules_input *in = lua_touserdata(L, 1);
    luaL_checkstack(L, 24, NULL);
    push_internal(v, F_NEW_CTX);
    lua_pushinteger(L, (lua_Integer)++v->seq);
    const char *texts[] = {in->company_name, in->ksic_code, in->ksic_name, in->main_product, in->product_use,
                           in->tech_business_name, in->tech_class, in->ksic_section, in->ksic_section_name,
                           in->ksic_division, in->ksic_division_name, in->ksic_group, in->ksic_group_name};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) push_text(L, texts[k]);
    int hint = (int)(in->ncands < 1000000 ? in->ncands : 0);
    /* The ctx's candidate records, by code, and views: sized here, they
     * never grow while the prelude fills them. */
    lua_createtable(L, hint, 0);
    lua_createtable(L, 0, hint);
    lua_createtable(L, hint, 0);
    lua_call(L, 17, 1);
    return 1;
}

typedef struct extract_arg {
    igc_rules_input *in;
    igc_rules_verdict *out;
    int nomem;
} extract_arg;

static const char *field_str(lua_State *L, int idx, const char *key) {
    lua_getfield(L, idx, key);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    lua_pop(L, 1); /* the string stays alive in the table */
    return s;
}

static int p_extract(lua_State *L) {
    rules_state *v = ver_of(L);
    extract_arg *a = lua_touserdata(L, 1);
    push_internal(v, F_RESULT);
    lua_pushvalue(L, 2);
    lua_call(L, 1, 1);
    int res = lua_gettop(L);

    lua_getfield(L, res, "applicable");
    int applicable = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!applicable) {
        a->out->applicable = 0;
        igc__rules_copy(a->out->reason_code, sizeof a->out->reason_code, field_str(L, res, "reason"));
        igc__rules_copy(a->out->reason_message, sizeof a->out->reason_message, field_str(L, res, "message"));
        igc__rules_copy(a->out->rule_id, sizeof a->out->rule_id, field_str(L, res, "rule"));
    }
    const char *review = field_str(L, res, "review");
    if (*review) {
        a->out->needs_review = 1;
        igc__rules_copy(a->out->review_note, sizeof a->out->review_note, review);
    }

    lua_getfield(L, res, "basis");
    int bases = lua_gettop(L);
    lua_getfield(L, res, "cands");
    for (size_t i = 0; i < a->in->ncands; i++) {
        igc_rules_candidate *c = &a->in->cands[i];
        if (lua_geti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) {
            lua_pop(L, 1);
            continue;
        }
        lua_getfield(L, -1, "score");
        if (lua_type(L, -1) == LUA_TNUMBER) c->score = lua_tonumber(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, -1, "dropped");
        int dropped = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (dropped && !c->dropped) {
            c->dropped = 1;
            igc__rules_copy(c->drop_reason, sizeof c->drop_reason, field_str(L, -1, "drop_reason"));
        }
        if (lua_type(L, bases) == LUA_TTABLE)
            lua_geti(L, bases, (lua_Integer)i + 1);
        else
            lua_pushnil(L);
        lua_Integer nb = lua_type(L, -1) == LUA_TTABLE ? luaL_len(L, -1) : 0;
        for (lua_Integer k = 1; k <= nb; k++) {
            lua_geti(L, -1, k);
            size_t len;
            const char *s = lua_tolstring(L, -1, &len);
            if (s && (igc_buf_append(&c->basis, s, len) || igc_buf_append(&c->basis, "\n", 1))) a->nomem = 1;
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 3);
    return 0;
}

int igc__rules_eval_with(igc_rules_version *v, igc_rules_input *lookup, lua_CFunction build,
                         lua_CFunction extract, void *ud, unsigned *failed) {
    rules_state *s = pool_take(v);
    lua_State *L = s->L;
    int top = lua_gettop(L);
    int rc = 0;
    s->cur = lookup;
    budget_reset(s);
    lua_pushcfunction(L, build);
    lua_pushlightuserdata(L, ud);
    int st = lua_pcall(L, 1, 1, 0);
    if (st != LUA_OK) {
        char msg[400];
        describe_error(s, L, st, msg, sizeof msg);
        pthread_mutex_lock(&v->mu);
        v->rule_errors++;
        snprintf(v->last_rule_error, sizeof v->last_rule_error, "입력을 넘길 수 없습니다 / cannot pass the input: %s",
                 msg);
        igc_iso_now(v->last_rule_error_at);
        pthread_mutex_unlock(&v->mu);
        igc_log(IGC_LOG_WARN, "rules %s: 입력을 넘길 수 없습니다 / cannot pass the input: %s", v->id, msg);
        rc = IGC_ERULES;
    } else {
        int ctx = lua_gettop(L);
        run_stats rs = {0};
        run_rules(s, ctx, &rs, 1);
        if (failed) *failed = (unsigned)rs.failed;
        if (v->nrules && !rs.ok) rc = IGC_ERULES;
        budget_reset(s);
        lua_pushcfunction(L, extract);
        lua_pushlightuserdata(L, ud);
        lua_pushvalue(L, ctx);
        st = lua_pcall(L, 2, 0, 0);
        if (st != LUA_OK) {
            char msg[400];
            describe_error(s, L, st, msg, sizeof msg);
            igc_log(IGC_LOG_WARN, "rules %s: cannot read the rules' result: %s", v->id, msg);
            rc = IGC_ERULES;
        }
    }
    s->cur = NULL;
    lua_settop(L, top);
    pool_give(v, s);
    return rc;
}

/* p_build_ctx and p_extract get one argument block for both. */
typedef struct eval_arg {
    igc_rules_input *in;
    extract_arg x;
} eval_arg;

static int p_build_policy(lua_State *L) {
    eval_arg *a = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_pushlightuserdata(L, a->in);
    return p_build_ctx(L);
}

static int p_extract_policy(lua_State *L) {
    eval_arg *a = lua_touserdata(L, 1);
    lua_pushlightuserdata(L, &a->x);
    lua_replace(L, 1);
    return p_extract(L);
}

int igc_rules_eval(igc_rules_version *v, igc_rules_input *in, igc_rules_verdict *out) {
    if (!out) return IGC_EINVAL;
    memset(out, 0, sizeof *out);
    out->applicable = 1;
    if (!v || !in || (in->ncands && !in->cands) || v->kind != IGC_RULES_KIND_POLICY) return IGC_EINVAL;
    eval_arg a = {in, {in, out, 0}};
    int rc = igc__rules_eval_with(v, in, p_build_policy, p_extract_policy, &a, &out->failed);
    if (!rc && a.x.nomem) rc = IGC_ENOMEM;
    return rc;
}
