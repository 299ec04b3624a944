/*
 * Parts of the prelude done in C because every evaluation runs them many
 * times: the metamethods of the read-only views (shared by every view, so a
 * view costs two tables instead of two tables and three closures) and the
 * text helpers text.trim and text.segments. Each does exactly what the Lua it
 * replaces did; prelude.lua says where they are used.
 */
#include <ctype.h>
#include <string.h>

#include <lauxlib.h>

#include "rules_int.h"

/* ---- read-only views ----
 * A view is an empty table whose metatable is
 *   {__index = t, __newindex = ro_newindex, __len = ro_len, __pairs = ro_pairs,
 *    __metatable = false, what = "name used in the error"}
 * (built by the prelude's readonly()). lua_getmetatable ignores __metatable,
 * so these functions reach t and what through it. */

/* Pushes the table behind the view at idx. */
static void push_target(lua_State *L, int idx) {
    if (!lua_getmetatable(L, idx)) {
        lua_pushnil(L);
        return;
    }
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
}

int igc__rules_ro_newindex(lua_State *L) {
    const char *what = "";
    if (lua_getmetatable(L, 1)) {
        lua_getfield(L, -1, "what");
        what = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    }
    const char *k = luaL_tolstring(L, 2, NULL);
    /* The position of the code that assigned, as error(msg, 2) gave it. */
    luaL_where(L, 1);
    lua_pushfstring(L, "%s은(는) 읽기 전용입니다 (%s is read-only): %s", what, what, k);
    lua_concat(L, 2);
    return lua_error(L);
}

int igc__rules_ro_len(lua_State *L) {
    push_target(L, 1);
    lua_len(L, -1);
    return 1;
}

/* The iterator pairs() hands out: stateful, like the closure it replaces
 * (it ignores its arguments and starts over after the end). */
static int ro_iter(lua_State *L) {
    lua_settop(L, 0);
    lua_pushvalue(L, lua_upvalueindex(2));
    if (lua_next(L, lua_upvalueindex(1))) {
        lua_pushvalue(L, -2);
        lua_replace(L, lua_upvalueindex(2));
        return 2;
    }
    lua_pushnil(L);
    lua_replace(L, lua_upvalueindex(2));
    lua_pushnil(L);
    lua_pushnil(L);
    return 2;
}

int igc__rules_ro_pairs(lua_State *L) {
    push_target(L, 1);
    lua_pushnil(L);
    lua_pushcclosure(L, ro_iter, 2);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Pushes a new view of the table at idx: its own metatable (its __index names
 * the table) with the read-only metamethods and "what" for error messages, the
 * value at what_idx or else the C string what. */
static void push_view(lua_State *L, int idx, int what_idx, const char *what) {
    idx = lua_absindex(L, idx);
    if (what_idx) what_idx = lua_absindex(L, what_idx);
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 6);
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, igc__rules_ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, igc__rules_ro_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, igc__rules_ro_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    if (what_idx) lua_pushvalue(L, what_idx);
    else lua_pushstring(L, what);
    lua_setfield(L, -2, "what");
    lua_setmetatable(L, -2);
}

void igc__rules_push_readonly(lua_State *L, int idx, const char *what) { push_view(L, idx, 0, what); }

/* readonly(t, what): a new view of t, as the prelude's readonly() built it. In
 * C: the prelude makes several per evaluation for each candidate. */
int igc__rules_readonly(lua_State *L) {
    lua_settop(L, 2);
    push_view(L, 1, 2, NULL);
    return 1;
}

/* ---- the ctx's __index ----
 * ctx_index(methods, priv, slow) returns the __index of a ctx: methods[k]
 * if there is one, else priv[ctx].fields[k] (the fields made so far), else
 * slow(ctx, k), the Lua function that makes a field on first use. Every
 * method call of a rule reads through it, so the common cases stay in C. */
static int ctx_index(lua_State *L) {
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TTABLE && lua_getfield(L, -1, "fields") == LUA_TTABLE) {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, -2) != LUA_TNIL) return 1;
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(3));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

int igc__rules_ctx_index(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    lua_settop(L, 3);
    lua_pushcclosure(L, ctx_index, 3);
    return 1;
}

/* ---- what a failing rule must undo ----
 * snapshot(recs, basis): {score, dropped, drop_reason, #basis[j] or 0, ...}
 * for j = 1..#recs, four slots per candidate record, as the prelude's
 * save_state lays them out. Every rule that changes anything takes one. */
int igc__rules_snapshot(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    lua_createtable(L, n < 100000 ? (int)(4 * n) : 0, 2); /* 3 */
    for (lua_Integer j = 1; j <= n; j++) {
        lua_rawgeti(L, 1, j); /* 4: rec */
        lua_getfield(L, 4, "score");
        lua_rawseti(L, 3, 4 * j - 3);
        lua_getfield(L, 4, "dropped");
        lua_rawseti(L, 3, 4 * j - 2);
        lua_getfield(L, 4, "drop_reason");
        lua_rawseti(L, 3, 4 * j - 1);
        if (lua_rawgeti(L, 2, j) != LUA_TNIL && lua_toboolean(L, -1)) {
            lua_len(L, -1);
            lua_remove(L, -2);
        } else {
            lua_pop(L, 1);
            lua_pushinteger(L, 0);
        }
        lua_rawseti(L, 3, 4 * j);
        lua_pop(L, 1);
    }
    return 1;
}

/* candidate_views(recs, views, newindex): the list of the views of recs[1..]
 * (walked like ipairs), each a new empty table with the metatable
 * {__index = rec, __newindex = newindex, __metatable = false}, made once per
 * candidate and kept in views[i] (recs[i] is candidate i). */
int igc__rules_candidate_views(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 3);
    lua_Integer n = 0;
    while (lua_rawgeti(L, 1, n + 1) != LUA_TNIL) {
        lua_pop(L, 1);
        n++;
    }
    lua_pop(L, 1);
    lua_createtable(L, n < 1000000 ? (int)n : 0, 0); /* 4: the list */
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 2, i) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_createtable(L, 0, 0);
            lua_createtable(L, 0, 3);
            lua_rawgeti(L, 1, i);
            lua_setfield(L, -2, "__index");
            lua_pushvalue(L, 3);
            lua_setfield(L, -2, "__newindex");
            lua_pushboolean(L, 0);
            lua_setfield(L, -2, "__metatable");
            lua_setmetatable(L, -2);
            lua_pushvalue(L, -1);
            lua_rawseti(L, 2, i);
        }
        lua_rawseti(L, 4, i);
    }
    return 1;
}

/* ---- text.trim and text.segments ---- */

/* str(v): nil is "", strings are themselves, anything else tostring(v). */
static const char *arg_str(lua_State *L, int idx, size_t *len) {
    if (lua_isnoneornil(L, idx)) {
        *len = 0;
        return "";
    }
    if (lua_type(L, idx) == LUA_TSTRING) return lua_tolstring(L, idx, len);
    return luaL_tolstring(L, idx, len); /* stays on the stack */
}

static int is_ideo_space(const char *s, size_t n) {
    return n >= 3 && (unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80;
}

/* Strips ASCII white space (%s) and U+3000 at both ends of s[*b..*e): the
 * fixed point of the prelude's loop, which took off every leading %s run and
 * one U+3000, then the same at the end, until nothing changed. */
static void trim_range(const char *s, size_t *b, size_t *e) {
    for (;;) {
        if (*b < *e && isspace((unsigned char)s[*b])) {
            (*b)++;
        } else if (is_ideo_space(s + *b, *e - *b)) {
            *b += 3;
        } else {
            break;
        }
    }
    for (;;) {
        if (*e > *b && isspace((unsigned char)s[*e - 1])) {
            (*e)--;
        } else if (*e - *b >= 3 && is_ideo_space(s + *e - 3, 3)) {
            *e -= 3;
        } else {
            break;
        }
    }
}

int igc__rules_trim(lua_State *L) {
    size_t n, b = 0, e;
    const char *s = arg_str(L, 1, &n);
    e = n;
    trim_range(s, &b, &e);
    lua_pushlstring(L, s + b, e - b);
    return 1;
}

static const char *const TAILS[] = {"등등", "등", "외"};
static const char *const SEPS[] = {",", "/", ";", "|", "\n", "\302\267", "\343\206\215", "\357\274\214",
                                   "\343\200\201"};
#define AND "및"
#define AND_LEN 3

/* Appends the item s[b..e) (trimmed, trailing 등/외 taken off twice over)
 * to the list at the top of the stack when something is left. */
static void push_segment(lua_State *L, const char *s, size_t b, size_t e, lua_Integer *n) {
    if (e < b) e = b;
    trim_range(s, &b, &e);
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < sizeof TAILS / sizeof TAILS[0]; k++) {
            size_t tn = strlen(TAILS[k]);
            if (e - b > tn && memcmp(s + e - tn, TAILS[k], tn) == 0) {
                e -= tn;
                trim_range(s, &b, &e);
            }
        }
    if (e > b) {
        lua_pushlstring(L, s + b, e - b);
        lua_rawseti(L, -2, ++*n);
    }
}

/* Splits a product list ("A, B 및 C 등") into its items; separators inside
 * brackets do not split, and 및 splits only next to a space. */
int igc__rules_segments(lua_State *L) {
    size_t n;
    const char *s = arg_str(L, 1, &n);
    lua_newtable(L);
    lua_Integer count = 0;
    int depth = 0;
    size_t start = 0; /* 0-based; the prelude's `start` less one */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* Only these bytes can start a bracket, a separator or 및. */
        if (!(c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '/' || c == ';' || c == '|' ||
              c == '\n' || c == 0xC2 || c == 0xE3 || c == 0xEB || c == 0xEF))
            continue;
        if (c == '(' || c == '[') {
            depth++;
        } else if ((c == ')' || c == ']') && depth > 0) {
            depth--;
        } else if (depth == 0 && i + AND_LEN <= n && memcmp(s + i, AND, AND_LEN) == 0 &&
                   ((i > 0 && s[i - 1] == ' ') || (i + AND_LEN < n && s[i + AND_LEN] == ' '))) {
            push_segment(L, s, start, i, &count);
            start = i + AND_LEN;
            i = i + AND_LEN - 1;
        } else if (depth == 0) {
            for (size_t k = 0; k < sizeof SEPS / sizeof SEPS[0]; k++) {
                size_t sn = strlen(SEPS[k]);
                if (i + sn <= n && memcmp(s + i, SEPS[k], sn) == 0) {
                    push_segment(L, s, start, i, &count);
                    start = i + sn;
                    i = i + sn - 1;
                    break;
                }
            }
        }
    }
    push_segment(L, s, start, n, &count);
    return 1;
}

/* ---- UTF-8 check ---- */

/* utf8.len(s) ~= nil, as Lua 5.4's strict decoder reads it: no surrogates,
 * nothing past U+10FFFF, no overlong forms, no sequence cut short (the
 * decoder would meet the string's terminating NUL) -- which is well-formed
 * UTF-8 as RFC 3629 has it, checked here by lead byte. */
static int utf8_valid(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= len || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= len || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0)) return 0;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= len || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return 0;
            if ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90)) return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

int igc__rules_utf8_ok(lua_State *L) {
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    lua_pushboolean(L, utf8_valid(s, n));
    return 1;
}
