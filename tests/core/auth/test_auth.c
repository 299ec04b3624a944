/* igc_auth on its own, over a fresh store: roles and names, users and their tokens,
 * revocation, screen sessions and the per-user save quota. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igc_auth.h"
#include "igc_base.h"
#include "igc_store.h"
#include "igc_test.h"

static igc_store *open_store(char dir[64]) {
    snprintf(dir, 64, "/tmp/igc-auth-XXXXXX");
    if (!mkdtemp(dir)) return NULL;
    igc_store *s = NULL;
    return igc_store_open(dir, 0, &s) == 0 ? s : NULL;
}

static void close_store(igc_store *s, const char *dir) {
    igc_store_close(s);
    igc_test_rm_lmdb_dir(dir);
}

TEST(roles_and_names) {
    CHECK_EQ_INT(igc_auth_role_parse("examiner"), IGC_ROLE_EXAMINER);
    CHECK_EQ_INT(igc_auth_role_parse("admin"), IGC_ROLE_ADMIN);
    CHECK_EQ_INT(igc_auth_role_parse("Admin"), 0);
    CHECK_EQ_INT(igc_auth_role_parse(NULL), 0);
    CHECK_EQ_STR(igc_auth_role_name(IGC_ROLE_POLICY), "policy");
    CHECK_EQ_STR(igc_auth_role_name(IGC_ROLES_ANY), "open");
    CHECK(igc_auth_name_ok("kim.j-h_1@bank"));
    CHECK(!igc_auth_name_ok(""));
    CHECK(!igc_auth_name_ok("kim jh"));
    CHECK(!igc_auth_name_ok("김심사"));
    char longname[IGC_AUTH_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(!igc_auth_name_ok(longname));
}

TEST(user_token_revoke) {
    char dir[64];
    igc_store *s = open_store(dir);
    REQUIRE(s);
    char tok[IGC_AUTH_TOKEN_SIZE], tok2[IGC_AUTH_TOKEN_SIZE];
    CHECK_EQ_INT(igc_auth_user_add(s, "bad name", IGC_ROLE_EXAMINER, 90, tok), IGC_EINVAL);
    CHECK_EQ_INT(igc_auth_user_add(s, "kim", IGC_ROLES_ANY, 90, tok), IGC_EINVAL);
    CHECK_EQ_INT(igc_auth_user_add(s, "kim", IGC_ROLE_EXAMINER, 0, tok), IGC_EINVAL);
    REQUIRE(igc_auth_user_add(s, "kim", IGC_ROLE_EXAMINER, 90, tok) == 0);
    CHECK(strncmp(tok, "igc_", 4) == 0 && strlen(tok) == 4 + 64); /* "igc_" + 64 hex digits */
    CHECK_EQ_INT(igc_auth_user_add(s, "kim", IGC_ROLE_ADMIN, 90, tok2), IGC_EEXIST);
    size_t n = 0;
    CHECK(igc_auth_active_users(s, &n) == 0 && n == 1);

    igc_user u;
    REQUIRE(igc_auth_token_user(s, tok, &u) == 0);
    CHECK_EQ_STR(u.name, "kim");
    CHECK_EQ_INT(u.role, IGC_ROLE_EXAMINER);
    CHECK_EQ_INT(igc_auth_name_user(s, "kim", &u), 0);
    tok[10] = tok[10] == 'a' ? 'b' : 'a';
    CHECK_EQ_INT(igc_auth_token_user(s, tok, &u), IGC_ENOTFOUND);
    CHECK_EQ_STR(u.name, "");
    tok[10] = tok[10] == 'a' ? 'b' : 'a';

    cJSON *list = igc_auth_user_list(s);
    REQUIRE(cJSON_GetArraySize(list) == 1);
    const cJSON *x = cJSON_GetArrayItem(list, 0);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "active")));
    CHECK(!cJSON_GetObjectItemCaseSensitive(x, "token_sha256")); /* hashes never listed */
    cJSON_Delete(list);

    REQUIRE(igc_auth_user_revoke(s, "kim") == 0);
    CHECK_EQ_INT(igc_auth_token_user(s, tok, &u), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_auth_name_user(s, "kim", &u), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_auth_user_revoke(s, "kim"), IGC_ENOTFOUND);
    CHECK(igc_auth_active_users(s, &n) == 0 && n == 0);
    /* a revoked name may be added again, with a new token; the old one stays dead */
    REQUIRE(igc_auth_user_add(s, "kim", IGC_ROLE_REVIEWER, 1, tok2) == 0);
    CHECK(strcmp(tok, tok2) != 0);
    CHECK_EQ_INT(igc_auth_token_user(s, tok, &u), IGC_ENOTFOUND);
    REQUIRE(igc_auth_token_user(s, tok2, &u) == 0);
    CHECK_EQ_INT(u.role, IGC_ROLE_REVIEWER);
    close_store(s, dir);
}

TEST(sessions) {
    char dir[64];
    igc_store *s = open_store(dir);
    REQUIRE(s);
    char tok[IGC_AUTH_TOKEN_SIZE], hash[65];
    REQUIRE(igc_auth_user_add(s, "lee", IGC_ROLE_POLICY, 90, tok) == 0);
    igc_sha256_hex(tok, strlen(tok), hash);
    igc_auth_sessions *t;
    REQUIRE(igc_auth_sessions_new(480, &t) == 0);
    char sid[40], csrf[40];
    REQUIRE(igc_auth_session_open(t, hash, sid, csrf) == 0);
    CHECK(strlen(sid) == 32 && strlen(csrf) == 32 && strcmp(sid, csrf) != 0);
    const char *h = NULL, *c = NULL;
    REQUIRE(igc_auth_session_find(t, sid, &h, &c) == 0);
    CHECK_EQ_STR(c, csrf);
    igc_user u;
    REQUIRE(igc_auth_hash_user(s, h, &u) == 0);
    CHECK_EQ_STR(u.name, "lee");
    CHECK_EQ_INT(igc_auth_session_find(t, "0123456789abcdef0123456789abcdef", &h, &c), IGC_ENOTFOUND);
    CHECK_EQ_INT(igc_auth_session_find(t, "short", &h, &c), IGC_ENOTFOUND);
    /* the session's token is checked again: revoking the user ends what it opened */
    REQUIRE(igc_auth_user_revoke(s, "lee") == 0);
    REQUIRE(igc_auth_session_find(t, sid, &h, &c) == 0);
    CHECK_EQ_INT(igc_auth_hash_user(s, h, &u), IGC_ENOTFOUND);
    igc_auth_session_close(t, sid);
    CHECK_EQ_INT(igc_auth_session_find(t, sid, &h, &c), IGC_ENOTFOUND);
    igc_auth_sessions_free(t);
    close_store(s, dir);
}

TEST(save_quota) {
    igc_auth_rate *r;
    REQUIRE(igc_auth_rate_new(&r) == 0);
    for (int i = 0; i < 3; i++) CHECK(igc_auth_rate_take(r, "kim", 3));
    CHECK(!igc_auth_rate_take(r, "kim", 3));
    CHECK(igc_auth_rate_take(r, "lee", 3)); /* per user */
    CHECK(igc_auth_rate_take(r, "kim", 0)); /* 0: no limit */
    igc_auth_rate_free(r);
}

IGC_TEST_MAIN(TEST_ENTRY(roles_and_names), TEST_ENTRY(user_token_revoke), TEST_ENTRY(sessions), TEST_ENTRY(save_quota))
