/*
 * The programmes layer over the rule-set core: how a verdict, the KSIC code,
 * the location and the date reach programme{} files (programmes.lua builds
 * the ctx) and how the programmes shown come back as JSON. Loading, budgets,
 * the state pool, tests and reloads are version.c's and rules.c's.
 */
#include <string.h>

#include <lauxlib.h>

#include "rules_int.h"

typedef struct prog_arg {
    const igc_rules_prog_input *in;
    cJSON *out;
    int nomem;
} prog_arg;

static void push_str(lua_State *L, const char *val) { lua_pushstring(L, val ? val : ""); }

/* Sets t[key] (t at the top) to val, "" for NULL. */
static void set_str(lua_State *L, const char *key, const char *val) {
    push_str(L, val);
    lua_setfield(L, -2, key);
}

/* Calls the layer's new_ctx with the input (see programmes.lua): the texts
 * as strings, the items and the KSIC fields as the tables the ctx keeps. */
static int p_build(lua_State *L) {
    prog_arg *a = lua_touserdata(L, 1);
    const igc_rules_prog_input *in = a->in;
    rules_state *s = NULL;
    lua_getallocf(L, (void **)&s);
    luaL_checkstack(L, 16, NULL);
    igc__rules_push_internal(s, F_NEW_CTX);
    lua_pushboolean(L, in->applicable != 0);
    push_str(L, in->reason);
    size_t n = in->items ? (in->nitems < 64 ? in->nitems : 64) : 0;
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const igc_rules_prog_item *it = &in->items[i];
        lua_createtable(L, 0, 7);
        set_str(L, "code", it->code);
        set_str(L, "name", it->name);
        set_str(L, "theme", it->theme);
        set_str(L, "theme_name", it->theme_name);
        set_str(L, "field", it->field);
        set_str(L, "field_name", it->field_name);
        lua_pushnumber(L, it->score);
        lua_setfield(L, -2, "score");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_createtable(L, 0, 7);
    set_str(L, "code", in->ksic_code);
    set_str(L, "section", in->ksic_section);
    set_str(L, "section_name", in->ksic_section_name);
    set_str(L, "division", in->ksic_division);
    set_str(L, "division_name", in->ksic_division_name);
    set_str(L, "group", in->ksic_group);
    set_str(L, "group_name", in->ksic_group_name);
    push_str(L, in->sido);
    push_str(L, in->sigungu);
    push_str(L, in->date);
    lua_call(L, 7, 1);
    return 1;
}

static const char *field_str(lua_State *L, int idx, const char *key) {
    lua_getfield(L, idx, key);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    lua_pop(L, 1); /* the string stays alive in the table */
    return s;
}

/* Adds the string val to o under key, a string literal: cJSON keeps the
 * pointer instead of copying the key (cJSON_Delete knows not to free it). */
static int add_str(cJSON *o, const char *key, const char *val) {
    cJSON *x = cJSON_CreateString(val);
    if (!x) return -1;
    if (!cJSON_AddItemToObjectCS(o, key, x)) {
        cJSON_Delete(x);
        return -1;
    }
    return 0;
}

static cJSON *add_item(cJSON *o, const char *key, cJSON *x) {
    if (x && !cJSON_AddItemToObjectCS(o, key, x)) {
        cJSON_Delete(x);
        return NULL;
    }
    return x;
}

/* Copies one programme shown into a JSON object: the layer's record of the
 * programme at index p (id, name, agency, benefit, kind, period), then its
 * status, why and to_check at p+1..p+3. */
static int row_json(lua_State *L, int p, cJSON *o) {
    static const char *const keys[] = {"id", "name", "agency", "benefit", "kind"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (add_str(o, keys[k], field_str(L, p, keys[k]))) return -1;
    const char *status = lua_type(L, p + 1) == LUA_TSTRING ? lua_tostring(L, p + 1) : "";
    const char *why = lua_type(L, p + 2) == LUA_TSTRING ? lua_tostring(L, p + 2) : "";
    if (add_str(o, "status", status) || add_str(o, "why", why)) return -1;
    const char *from = "", *to = "";
    if (lua_getfield(L, p, "period") == LUA_TTABLE) {
        from = field_str(L, -1, "from");
        to = field_str(L, -1, "to");
    }
    if (*from || *to) {
        cJSON *per = add_item(o, "period", cJSON_CreateObject());
        if (!per || add_str(per, "from", from) || add_str(per, "to", to)) return -1;
    } else if (!add_item(o, "period", cJSON_CreateNull())) {
        return -1;
    }
    lua_pop(L, 1);
    cJSON *tc = add_item(o, "to_check", cJSON_CreateArray());
    if (!tc) return -1;
    lua_Integer n = lua_type(L, p + 3) == LUA_TTABLE ? (lua_Integer)lua_rawlen(L, p + 3) : 0;
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, p + 3, i) == LUA_TSTRING) {
            cJSON *x = cJSON_CreateString(lua_tostring(L, -1));
            if (!x) return -1;
            cJSON_AddItemToArray(tc, x);
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int p_extract(lua_State *L) {
    prog_arg *a = lua_touserdata(L, 1);
    rules_state *s = NULL;
    lua_getallocf(L, (void **)&s);
    igc__rules_push_internal(s, F_RESULT);
    lua_pushvalue(L, 2);
    lua_call(L, 1, 1);
    lua_Integer n = lua_type(L, -1) == LUA_TTABLE ? (lua_Integer)lua_rawlen(L, -1) : 0;
    luaL_checkstack(L, 8, NULL);
    for (lua_Integer i = 1; i + 3 <= n && !a->nomem; i += 4) {
        for (int k = 0; k < 4; k++) lua_rawgeti(L, 3, i + k); /* 4..7 */
        if (lua_type(L, 4) == LUA_TTABLE) {
            cJSON *o = cJSON_CreateObject();
            if (!o) {
                a->nomem = 1;
            } else {
                cJSON_AddItemToArray(a->out, o); /* owned by out from here, also on failure */
                if (row_json(L, 4, o)) a->nomem = 1;
            }
        }
        lua_settop(L, 3);
    }
    return 0;
}

int igc_rules_programmes_eval(igc_rules_version *v, const igc_rules_prog_input *in, cJSON **out) {
    return igc_rules_programmes_eval_counted(v, in, out, NULL);
}

int igc_rules_programmes_eval_counted(igc_rules_version *v, const igc_rules_prog_input *in, cJSON **out,
                                      unsigned *failed) {
    if (failed) *failed = 0;
    if (!out) return IGC_EINVAL;
    *out = NULL;
    if (!v || !in || (in->nitems && !in->items) || v->kind != IGC_RULES_KIND_PROGRAMMES) return IGC_EINVAL;
    prog_arg a = {in, cJSON_CreateArray(), 0};
    if (!a.out) return IGC_ENOMEM;
    int rc = igc__rules_eval_with(v, NULL, p_build, p_extract, &a, failed);
    if (a.nomem) {
        cJSON_Delete(a.out);
        return IGC_ENOMEM;
    }
    *out = a.out;
    return rc;
}
