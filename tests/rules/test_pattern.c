/*
 * The budgeted string patterns (rules/src/pattern.c) against Lua's own
 * string library: the same answers (or both an error) for find, match,
 * gmatch and gsub on hand-picked and generated patterns, and backtracking
 * patterns stopped by the budget instead of running for seconds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "igc_test.h"
#include "rules_int.h"

static void *plain_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    (void)ud, (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

/* Every result of the four functions on (s, p), as one string. */
static const char *HARNESS =
    "local s, p, r = ...\n"
    "local out = {}\n"
    "local function put(ok, ...)\n"
    "  if not ok then out[#out+1] = 'E'; return end\n"
    "  local t = table.pack(...)\n"
    "  for i = 1, t.n do out[#out+1] = type(t[i]) .. ':' .. tostring(t[i]) end\n"
    "  out[#out+1] = '|'\n"
    "end\n"
    "for _, init in ipairs({1, 2, -3, 0, 40}) do\n"
    "  put(pcall(string.find, s, p, init))\n"
    "  put(pcall(string.match, s, p, init))\n"
    "end\n"
    "put(pcall(string.find, s, p, 1, true))\n"
    "put(pcall(function() local t = {} for a, b in string.gmatch(s, p) do t[#t+1] = tostring(a) .. ',' ..\n"
    "  tostring(b); if #t > 60 then break end end return table.concat(t, ';') end))\n"
    "put(pcall(function() local t = {} for a in string.gmatch(s, p, 3) do t[#t+1] = tostring(a)\n"
    "  if #t > 60 then break end end return table.concat(t, ';') end))\n"
    "put(pcall(string.gsub, s, p, r))\n"
    "put(pcall(string.gsub, s, p, r, 2))\n"
    "put(pcall(string.gsub, s, p, function(a) if a == 'b' then return nil end return '<' .. tostring(a) .. '>' end))\n"
    "put(pcall(string.gsub, s, p, {a = 'A', ab = false, b = 1}))\n"
    "put(pcall(function() return (s):find(p) end))\n"
    "return table.concat(out, ' ')\n";

static char *run(lua_State *L, const char *s, size_t sl, const char *p, size_t pl, const char *r) {
    if (luaL_loadstring(L, HARNESS) != LUA_OK) return NULL;
    lua_pushlstring(L, s, sl);
    lua_pushlstring(L, p, pl);
    lua_pushstring(L, r);
    if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
        char *e = igc_strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        return e;
    }
    char *out = igc_strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    return out;
}

static int same(lua_State *ref, lua_State *bnd, const char *s, size_t sl, const char *p, size_t pl, const char *r) {
    char *a = run(ref, s, sl, p, pl, r), *b = run(bnd, s, sl, p, pl, r);
    int ok = a && b && strcmp(a, b) == 0;
    if (!ok)
        fprintf(stderr, "  differs: s=[%.*s] p=[%.*s] r=[%s]\n    lua: %s\n    igc: %s\n", (int)sl, s, (int)pl, p, r,
                a, b);
    free(a);
    free(b);
    return ok;
}

static uint64_t next_rand(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

TEST(patterns_match_lua) {
    rules_state rs;
    memset(&rs, 0, sizeof rs);
    rs.budget = (unsigned long)-1 / 2;
    lua_State *ref = luaL_newstate(), *bnd = lua_newstate(plain_alloc, &rs);
    REQUIRE(ref && bnd);
    luaL_openlibs(ref);
    luaL_openlibs(bnd);
    igc__rules_install_bounded(bnd);
    static const char *const cases[][3] = {
        {"hello world", "o", "0"},
        {"hello world", "(o)(r)", "%2%1"},
        {"hello world", "%w+", "<%0>"},
        {"  trim me  ", "^%s*(.-)%s*$", "%1"},
        {"판매 대행 업체", "판매", "X"},
        {"매출 30.5% 상품", "^%D-(%d+%.?%d*)%%", "%1"},
        {"THE (quick) fox", "%((%a+)%)", "[%1]"},
        {"f(a(b)c)d", "%b()", "_"},
        {"THE (quick) fox", "%f[%a]%a+", "w"},
        {"abc", "", "-"},
        {"abc", "()", "%1"},
        {"aaa", "a-", "x"},
        {"aaa", "a*", "x"},
        {"aaa", "a+?", "x"},
        {"abab", "(ab)%1", "y"},
        {"x=1, y=22", "(%w+)=(%w+)", "%2=%1"},
        {"a.b.c", ".", "%%"},
        {"a]b", "[]]", "!"},
        {"a-b", "[a-]", "!"},
        {"a^b", "[%^b]", "!"},
        {"abc", "[^a]", "!"},
        {"abc$", "c$", "!"},
        {"abc$", "$c", "!"},
        {"abc", "^b", "!"},
        {"abc", "%", "!"},
        {"abc", "[a", "!"},
        {"abc", "(a", "!"},
        {"abc", "a)", "!"},
        {"abc", "%1", "!"},
        {"abc", "a", "%2"},
        {"abc", "a", "%x"},
        {"abc", "%ba", "!"},
        {"abc", "%fa", "!"},
        {"hello", "l*", "."},
        {"a,b,,c", "([^,]*)", "<%1>"},
        {"AbC 123\t_", "[%u%d]", "#"},
        {"AbC 123\t_", "[%L%S]", "#"},
        {"a\tb", "%c", "#"},
        /* plain words with a plain replacement (the literal fast path) */
        {"aaaa", "aa", "x"},
        {"제조판매제조 도매", "제조", ""},
        {"abc", "abcd", "x"},
        {"abcabc", "bc", "]"},
        {"a]b]", "]", "("},
        {"x^y", "^y", "z"},
        {"제조", "제조", "%1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(same(ref, bnd, cases[i][0], strlen(cases[i][0]), cases[i][1], strlen(cases[i][1]), cases[i][2]));
    CHECK(same(ref, bnd, "a\0b\0", 4, "%z", 2, "."));
    CHECK(same(ref, bnd, "a\0b\0", 4, "[\0]", 3, "."));
    /* Generated patterns over a small alphabet, so that the odd corners meet. */
    static const char *const atoms[] = {"a", "b", ".", "%a", "%d", "[ab]", "[^a]", "(", ")", "()", "*", "+", "-", "?",
                                        "^", "$", "%b()", "%f[%w]", "%1", "%", "[", "]", "%s", "[%d-]"};
    static const char subj[] = "ab(a1)b a ba(()bb1 2a";
    uint64_t x = 88172645463325252ULL;
    int bad = 0;
    for (int n = 0; n < 3000 && bad < 5; n++) {
        char p[128] = "";
        int len = 1 + (int)(next_rand(&x) % 6);
        for (int k = 0; k < len; k++) strcat(p, atoms[next_rand(&x) % (sizeof atoms / sizeof atoms[0])]);
        size_t off = next_rand(&x) % 8, sl = next_rand(&x) % (sizeof subj - off);
        if (!same(ref, bnd, subj + off, sl, p, strlen(p), "<%0>")) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    lua_close(ref);
    lua_close(bnd);
}

TEST(backtracking_stops_at_the_budget) {
    rules_state rs;
    memset(&rs, 0, sizeof rs);
    rs.budget = 2000000;
    lua_State *L = lua_newstate(plain_alloc, &rs);
    REQUIRE(L);
    luaL_openlibs(L);
    igc__rules_install_bounded(L);
    static const char *const hostile[] = {
        "return string.rep('a', 200):find('.-.-.-b')",
        "return string.rep('a', 300):match('(.*)(.*)(.*)(.*)b')",
        "return select(2, string.rep('a', 300):gsub('a*a*a*b', ''))",
        "for a in string.rep('a', 300):gmatch('.-.-.-b') do end",
        "return string.rep('', 1e15)",
        "local t = {} for i = 1, 100000 do t[i] = -i end table.sort(t) return t[1]",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        rs.used = 0;
        rs.exhausted = 0;
        /* the thread's CPU time, not the wall clock: other work on the machine must not
         * fail the test; unbounded backtracking would take minutes either way */
        struct timespec c0, c1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        int st = luaL_dostring(L, hostile[i]);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        double ms = (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
        const char *msg = st ? lua_tostring(L, -1) : "";
        fprintf(stderr, "  %-72s %7.1f ms  %s\n", hostile[i], ms, st ? msg : "finished");
        if (i < 4) CHECK(st != LUA_OK && msg && strstr(msg, "instruction budget exceeded"));
        if (i == 4) CHECK(st == LUA_OK);
        CHECK(ms < 100.0 * (getenv("IGC_SLOW_TESTS") ? 10 : 1));
        lua_settop(L, 0);
    }
    lua_close(L);
}

/* The prelude's UTF-8 check (views.c) says yes exactly when Lua's
 * utf8.len(s) counts s, on generated byte strings full of the awkward cases
 * (cut sequences, overlong forms, surrogates, past U+10FFFF, NUL). */
TEST(utf8_check_matches_lua) {
    lua_State *L = luaL_newstate();
    REQUIRE(L);
    luaL_openlibs(L);
    static const char *const pieces[] = {"a", "\0", "가", "\xea", "\xea\xb0", "\x80", "\xbf", "\xc0\x80", "\xc2\xa0",
                                         "\xed\xa0\x80", "\xed\x9f\xbf", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
                                         "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
                                         "\xfe", "\xff", "\xe0\x80\x80", "\xf0\x80\x80\x80", "·", "\xc1\xbf",
                                         "\xe0\xa0\x80", "\xf0\x8f\xbf\xbf", "\xf0\x90", "\xf5\x80\x80\x80",
                                         "\xdf\xbf", "\xee\x80\x80"};
    static const size_t lens[] = {1, 1, 3, 1, 2, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 1, 1, 3, 4, 2, 2, 3, 4, 2, 4, 2, 3};
    uint64_t x = 0x9E3779B97F4A7C15u;
    int agree = 0, valid = 0;
    for (int n = 0; n < 4000; n++) {
        char buf[64];
        size_t len = 0;
        int k = (int)(next_rand(&x) % 5);
        for (int j = 0; j < k; j++) {
            size_t p = next_rand(&x) % (sizeof lens / sizeof lens[0]);
            memcpy(buf + len, pieces[p], lens[p]);
            len += lens[p];
        }
        lua_getglobal(L, "utf8");
        lua_getfield(L, -1, "len");
        lua_pushlstring(L, buf, len);
        lua_call(L, 1, 1);
        int want = !lua_isnil(L, -1);
        lua_pop(L, 2);
        lua_pushcfunction(L, igc__rules_utf8_ok);
        lua_pushlstring(L, buf, len);
        lua_call(L, 1, 1);
        int got = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (got != want) fprintf(stderr, "  utf8 differs on %zu bytes: lua %d, igc %d\n", len, want, got);
        agree += got == want;
        valid += want;
    }
    CHECK_EQ_INT(agree, 4000);
    CHECK(valid > 100 && valid < 3900); /* both kinds were tried */
    lua_close(L);
}

/* The fold of text.has_any by its definition, one byte at a time: ASCII
 * upper case lowered, every run of white space (ASCII, U+3000, U+00A0) one
 * space, none at the ends. igc__rules_fold takes eight bytes at a time where
 * it can; the two must agree on every text. */
static size_t fold_by_definition(char *dst, const char *src, size_t len) {
    size_t n = 0;
    int pending = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)src[i];
        size_t sp = c == ' ' || (c >= '\t' && c <= '\r') ? 1
                    : c == 0xE3 && i + 2 < len && (unsigned char)src[i + 1] == 0x80 &&
                              (unsigned char)src[i + 2] == 0x80
                        ? 3
                    : c == 0xC2 && i + 1 < len && (unsigned char)src[i + 1] == 0xA0 ? 2
                                                                                   : 0;
        if (sp) {
            pending = n > 0;
            i += sp;
            continue;
        }
        if (pending) dst[n++] = ' ';
        pending = 0;
        dst[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        i++;
    }
    return n;
}

TEST(fold_matches_its_definition) {
    /* pieces the inputs are made of, white space and the bytes the fold looks at */
    static const char *const parts[] = {"반도체", "배터리", "a", "Z", "EV", "ess", " ", "  ", "\t", "\n",
                                        "\xE3\x80\x80", "\xC2\xA0", "\xE3", "\xC2", "\xE3\x80", "!", "-", "0",
                                        "@", "[", "`", "{", "\x7F", "\x80", "\xFF", "\x01", "\x1F", "A1 b2"};
    size_t nparts = sizeof parts / sizeof *parts, differ = 0;
    srand(7);
    char src[200], a[200], b[200];
    for (int k = 0; k < 200000; k++) {
        size_t len = 0;
        for (int w = rand() % 24; w > 0; w--) {
            const char *p = parts[rand() % (int)nparts];
            size_t pl = strlen(p);
            if (len + pl > sizeof src) break;
            memcpy(src + len, p, pl);
            len += pl;
        }
        size_t na = igc__rules_fold(a, src, len), nb = fold_by_definition(b, src, len);
        if (na != nb || memcmp(a, b, na)) {
            if (!differ) fprintf(stderr, "  fold differs on %zu bytes: %zu vs %zu\n", len, na, nb);
            differ++;
        }
    }
    CHECK_EQ_INT(differ, 0);
}

IGC_TEST_MAIN(TEST_ENTRY(patterns_match_lua), TEST_ENTRY(backtracking_stops_at_the_budget),
              TEST_ENTRY(utf8_check_matches_lua), TEST_ENTRY(fold_matches_its_definition))
