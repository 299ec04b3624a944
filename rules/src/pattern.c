/*
 * Lua string patterns with a step budget.
 *
 * The standard string.find/match/gmatch/gsub run their backtracking matcher
 * in C, where the instruction-count hook never fires: one rule doing
 * string.rep('a', 200):find('.-.-.-b') ran for 0.68 s. This is an
 * implementation of the same pattern language (classes, sets, the * + - ?
 * quantifiers, anchors, captures and position captures, %b, %f, back
 * references) and of the four functions' calling conventions, whose every
 * matching step is charged to the rule call's instruction budget
 * (igc__rules_charge), so a pattern that backtracks without end stops like an
 * endless loop does. string.rep with an empty result and table.sort are
 * bounded the same way. igc__rules_install_bounded() puts them into the real
 * string and table libraries of a state, which the string metatable uses
 * too ("s:find(p)").
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#include "rules_int.h"

#define PM_MAXCAPTURES 32
#define PM_MAXDEPTH 200  /* nested matcher calls, as the standard library allows */
#define PM_CHARGE 4096   /* steps counted locally before they are charged */
#define PM_STEP_COST 4   /* instructions one matching step is worth (measured: 2M steps ~ 4x 2M instructions) */
#define SORT_CMP_COST 10 /* instructions one comparison of table.sort is worth */
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

typedef struct pm {
    const char *src_init, *src_end, *p_end;
    lua_State *L;
    int level, depth;
    unsigned long steps;
    struct {
        const char *init;
        ptrdiff_t len;
    } cap[PM_MAXCAPTURES];
} pm;

static void pm_charge(pm *m) {
    unsigned long n = m->steps;
    m->steps = 0;
    if (n) igc__rules_charge(m->L, n * PM_STEP_COST);
}

static inline void pm_step(pm *m, unsigned long n) {
    m->steps += n;
    if (m->steps >= PM_CHARGE) pm_charge(m);
}

static const char *class_end(pm *m, const char *p) {
    if (*p++ == ESC) {
        if (p >= m->p_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (p[-1] == '[') {
        if (*p == '^') p++;
        do { /* the first character of a set is literal, even ']' */
            if (p >= m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
            if (*p++ == ESC && p < m->p_end) p++;
        } while (*p != ']');
        return p + 1;
    }
    return p;
}

static int class_match(int c, int cl) {
    int r;
    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    case 'z': r = c == 0; break; /* deprecated in Lua, still understood */
    default: return cl == c;
    }
    if (isupper(cl)) r = !r;
    return r != 0;
}

/* p points at '[', ec at the closing ']'. */
static int set_match(int c, const char *p, const char *ec) {
    int hit = 1;
    p++;
    if (*p == '^') {
        hit = 0;
        p++;
    }
    while (p < ec) {
        if (*p == ESC && p + 1 < ec) {
            if (class_match(c, (unsigned char)p[1])) return hit;
            p += 2;
        } else if (p + 2 < ec && p[1] == '-') {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return hit;
            p += 3;
        } else {
            if ((unsigned char)*p == c) return hit;
            p++;
        }
    }
    return !hit;
}

static int single_match(const pm *m, const char *s, const char *p, const char *ep) {
    if (s >= m->src_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case ESC: return class_match(c, (unsigned char)p[1]);
    case '[': return set_match(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *do_match(pm *m, const char *s, const char *p);

static const char *match_balance(pm *m, const char *s, const char *p) {
    if (p + 1 >= m->p_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->src_end || *s != *p) return NULL;
    int open = *p, close = p[1], depth = 1;
    while (++s < m->src_end) {
        pm_step(m, 1);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

static const char *max_expand(pm *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t i = 0;
    while (single_match(m, s + i, p, ep)) {
        pm_step(m, 1);
        i++;
    }
    for (; i >= 0; i--) { /* longest first */
        const char *r = do_match(m, s + i, ep + 1);
        if (r) return r;
    }
    return NULL;
}

static const char *min_expand(pm *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *r = do_match(m, s, ep + 1);
        if (r) return r;
        if (!single_match(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *start_capture(pm *m, const char *s, const char *p, ptrdiff_t what) {
    if (m->level >= PM_MAXCAPTURES) luaL_error(m->L, "too many captures");
    m->cap[m->level].init = s;
    m->cap[m->level].len = what;
    m->level++;
    const char *r = do_match(m, s, p);
    if (!r) m->level--;
    return r;
}

static const char *end_capture(pm *m, const char *s, const char *p) {
    int l = m->level - 1;
    while (l >= 0 && m->cap[l].len != CAP_UNFINISHED) l--;
    if (l < 0) luaL_error(m->L, "invalid pattern capture");
    m->cap[l].len = s - m->cap[l].init;
    const char *r = do_match(m, s, p);
    if (!r) m->cap[l].len = CAP_UNFINISHED;
    return r;
}

static int check_capture(pm *m, int l) {
    l -= '1';
    if (l < 0 || l >= m->level || m->cap[l].len == CAP_UNFINISHED)
        return luaL_error(m->L, "invalid capture index %%%d", l + 1);
    return l;
}

static const char *match_capture(pm *m, const char *s, int l) {
    l = check_capture(m, l);
    ptrdiff_t len = m->cap[l].len;
    if (len < 0) return NULL; /* a position capture matches no text */
    pm_step(m, 1 + (unsigned long)len / 16);
    if (m->src_end - s >= len && memcmp(m->cap[l].init, s, (size_t)len) == 0) return s + len;
    return NULL;
}

/* The end of the match of p[..p_end) at s, or NULL. */
static const char *do_match(pm *m, const char *s, const char *p) {
    if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
    for (;;) {
        pm_step(m, 1);
        if (p >= m->p_end) break;
        if (*p == '(') {
            if (p + 1 < m->p_end && p[1] == ')')
                s = start_capture(m, s, p + 2, CAP_POSITION);
            else
                s = start_capture(m, s, p + 1, CAP_UNFINISHED);
            break;
        }
        if (*p == ')') {
            s = end_capture(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == m->p_end) {
            if (s != m->src_end) s = NULL;
            break;
        }
        if (*p == ESC && p[1] == 'b' && p + 1 < m->p_end) {
            s = match_balance(m, s, p + 2);
            if (!s) break;
            p += 4;
            continue;
        }
        if (*p == ESC && p[1] == 'f' && p + 1 < m->p_end) {
            p += 2;
            if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
            const char *ep = class_end(m, p);
            int prev = s == m->src_init ? '\0' : (unsigned char)s[-1];
            int cur = s < m->src_end ? (unsigned char)*s : '\0';
            if (!set_match(prev, p, ep - 1) && set_match(cur, p, ep - 1)) {
                p = ep;
                continue;
            }
            s = NULL;
            break;
        }
        if (*p == ESC && p + 1 < m->p_end && isdigit((unsigned char)p[1])) {
            s = match_capture(m, s, (unsigned char)p[1]);
            if (!s) break;
            p += 2;
            continue;
        }
        /* one character class, maybe with a quantifier */
        const char *ep = class_end(m, p);
        int q = ep < m->p_end ? *ep : '\0';
        if (!single_match(m, s, p, ep)) {
            if (q == '*' || q == '?' || q == '-') {
                p = ep + 1;
                continue;
            }
            s = NULL;
            break;
        }
        if (q == '?') {
            const char *r = do_match(m, s + 1, ep + 1);
            if (r) {
                s = r;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (q == '+') {
            s = max_expand(m, s + 1, p, ep);
            break;
        }
        if (q == '*') {
            s = max_expand(m, s, p, ep);
            break;
        }
        if (q == '-') {
            s = min_expand(m, s, p, ep);
            break;
        }
        s++;
        p = ep;
    }
    m->depth++;
    return s;
}

static void pm_init(pm *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    m->L = L;
    m->src_init = s;
    m->src_end = s + ls;
    m->p_end = p + lp;
    m->steps = 0;
}

static void pm_reset(pm *m) {
    m->level = 0;
    m->depth = PM_MAXDEPTH;
}

/* Pushes capture i (the whole match s..e when there are none). */
static void push_capture(pm *m, int i, const char *s, const char *e) {
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t l = m->cap[i].len;
    if (l == CAP_UNFINISHED) luaL_error(m->L, "unfinished capture");
    if (l == CAP_POSITION)
        lua_pushinteger(m->L, (lua_Integer)(m->cap[i].init - m->src_init) + 1);
    else
        lua_pushlstring(m->L, m->cap[i].init, (size_t)l);
}

/* Pushes every capture, or the whole match when there are none and s is not
 * NULL. Returns how many. */
static int push_captures(pm *m, const char *s, const char *e) {
    int n = (m->level == 0 && s) ? 1 : m->level;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(m, i, s, e);
    return n;
}

/* A 1-based start position, as the standard library reads it. */
static size_t start_pos(lua_Integer pos, size_t len) {
    if (pos > 0) return (size_t)pos;
    if (pos == 0) return 1;
    if (pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static int no_specials(const char *p, size_t lp) {
    for (size_t i = 0; i < lp; i++)
        if (strchr(SPECIALS, p[i]) && p[i]) return 0;
    return 1;
}

static int find_aux(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_pos(luaL_optinteger(L, 3, 1), ls);
    if (init > ls + 1) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        igc__rules_charge(L, 1 + (ls - init + 1) / 16);
        const char *hit = lp == 0 ? s + init - 1 : memmem(s + init - 1, ls - init + 1, p, lp);
        if (hit) {
            lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
            lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)lp);
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    pm m;
    int anchor = lp > 0 && *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    pm_init(&m, L, s, ls, p, lp);
    const char *s1 = s + init - 1;
    do {
        pm_reset(&m);
        const char *e = do_match(&m, s1, p);
        if (e) {
            pm_charge(&m);
            if (find) {
                lua_pushinteger(L, (lua_Integer)(s1 - s) + 1);
                lua_pushinteger(L, (lua_Integer)(e - s));
                return push_captures(&m, NULL, NULL) + 2;
            }
            return push_captures(&m, s1, e);
        }
    } while (s1++ < m.src_end && !anchor);
    pm_charge(&m);
    luaL_pushfail(L);
    return 1;
}

static int b_find(lua_State *L) { return find_aux(L, 1); }
static int b_match(lua_State *L) { return find_aux(L, 0); }

/* gmatch's iterator: upvalues subject, pattern, next position, last match end (-1: none). */
static int gmatch_next(lua_State *L) {
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
    pm m;
    pm_init(&m, L, s, ls, p, lp);
    for (const char *src = s + pos; src <= m.src_end; src++) {
        pm_reset(&m);
        const char *e = do_match(&m, src, p);
        if (e && (last < 0 || e != s + last)) {
            pm_charge(&m);
            lua_pushinteger(L, (lua_Integer)(e - s));
            lua_copy(L, -1, lua_upvalueindex(3));
            lua_replace(L, lua_upvalueindex(4));
            return push_captures(&m, src, e);
        }
    }
    pm_charge(&m);
    lua_pushinteger(L, (lua_Integer)ls + 1);
    lua_replace(L, lua_upvalueindex(3));
    return 0;
}

static int b_gmatch(lua_State *L) {
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_pos(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) init = ls + 1; /* past the end: no match at all */
    lua_settop(L, 2);
    lua_pushinteger(L, (lua_Integer)init);
    lua_pushinteger(L, -1);
    lua_pushcclosure(L, gmatch_next, 4);
    return 1;
}

static void add_string(pm *m, luaL_Buffer *b, const char *s, const char *e) {
    size_t l;
    lua_State *L = m->L;
    const char *r = lua_tolstring(L, 3, &l);
    for (size_t i = 0; i < l; i++) {
        if (r[i] != ESC) {
            luaL_addchar(b, r[i]);
            continue;
        }
        i++;
        if (i >= l) luaL_error(L, "invalid use of '%c' in replacement string", ESC);
        if (r[i] == ESC) {
            luaL_addchar(b, ESC);
        } else if (r[i] == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)r[i])) {
            push_capture(m, r[i] - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESC);
        }
    }
}

/* Appends the replacement of the match s..e; returns whether it changed the text. */
static int add_value(pm *m, luaL_Buffer *b, const char *s, const char *e, int tr) {
    lua_State *L = m->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        pm_charge(m);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_string(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int b_gsub(lua_State *L) {
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    int anchor = lp > 0 && *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    luaL_Buffer b;
    /* A plain word replaced by a plain string (rules strip words this way):
     * the matcher would find exactly the non-overlapping occurrences from
     * left to right, so memmem finds them. ')' would be a pattern error. */
    size_t lr;
    const char *r = tr == LUA_TSTRING ? lua_tolstring(L, 3, &lr) : NULL;
    if (r && !anchor && lp > 0 && no_specials(p, lp) && !memchr(p, ')', lp) && !memchr(r, ESC, lr)) {
        igc__rules_charge(L, ((unsigned long)ls + 1) * PM_STEP_COST);
        const char *s = src, *end = src + ls;
        lua_Integer n = 0;
        luaL_buffinit(L, &b);
        while (n < max_n) {
            const char *hit = memmem(s, (size_t)(end - s), p, lp);
            if (!hit) break;
            luaL_addlstring(&b, s, (size_t)(hit - s));
            luaL_addlstring(&b, r, lr);
            s = hit + lp;
            n++;
        }
        if (n == 0) {
            lua_pushvalue(L, 1);
        } else {
            luaL_addlstring(&b, s, (size_t)(end - s));
            luaL_pushresult(&b);
        }
        lua_pushinteger(L, n);
        return 2;
    }
    luaL_buffinit(L, &b);
    pm m;
    pm_init(&m, L, src, ls, p, lp);
    const char *last = NULL;
    lua_Integer n = 0;
    int changed = 0;
    while (n < max_n) {
        pm_reset(&m);
        const char *e = do_match(&m, src, p);
        if (e && e != last) {
            n++;
            changed |= add_value(&m, &b, src, e, tr);
            src = last = e;
        } else if (src < m.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    pm_charge(&m);
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(m.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

/* string.rep: the standard one loops n times even when every copy is empty;
 * otherwise its work is bounded by the memory cap. */
static int b_rep(lua_State *L) {
    size_t l, lsep;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || (l == 0 && lsep == 0)) {
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* table.sort: n log n comparisons in C are charged before sorting. */
static int b_sort(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n > 1) {
        unsigned long lg = 1;
        while (lg < 63 && ((lua_Integer)1 << lg) < n) lg++;
        unsigned long cost = (unsigned long)(n < 1 << 24 ? n : 1 << 24) * lg * SORT_CMP_COST;
        igc__rules_charge(L, cost);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 0);
    return 0;
}

void igc__rules_install_bounded(lua_State *L) {
    lua_getglobal(L, "string");
    static const luaL_Reg fns[] = {{"find", b_find}, {"match", b_match}, {"gmatch", b_gmatch}, {"gsub", b_gsub},
                                   {NULL, NULL}};
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
    lua_getfield(L, -1, "rep");
    lua_pushcclosure(L, b_rep, 1);
    lua_setfield(L, -2, "rep");
    lua_pop(L, 1);
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushcclosure(L, b_sort, 1);
    lua_setfield(L, -2, "sort");
    lua_pop(L, 1);
}
