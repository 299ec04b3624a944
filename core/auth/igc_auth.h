/*
 * igc_auth: who calls igcd. Users live in the store ("users"
 * database: "u:NAME" -> {name, role, created_at, expires, token_sha256,
 * revoked_at}, "t:<sha256 of the token>" -> {name}); a bearer token is shown
 * once, when the user is added, and only its SHA-256 is kept. Screens log in
 * with the token and then carry a session cookie (sessions live in igcd's
 * memory) and a CSRF token. Roles and what each may call: docs/security.md.
 */
#ifndef IGC_AUTH_H
#define IGC_AUTH_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "igc_store.h"

enum {
    IGC_ROLE_EXAMINER = 1, /* 심사역: classify, save, read judgments */
    IGC_ROLE_REVIEWER = 2, /* 검토자: also confirm or void judgments */
    IGC_ROLE_POLICY = 4,   /* 정책담당: rules, lexicon, programmes */
    IGC_ROLE_ADMIN = 8,    /* 관리자: users, store, taxonomy revisions */
};
#define IGC_ROLES_ANY 15   /* any signed-in user */
#define IGC_ROLE_PUBLIC 0  /* a route that needs no identity (health, the screens' files, login) */
#define IGC_AUTH_NAME_MAX 64
#define IGC_AUTH_TOKEN_SIZE 72 /* "igc_" + 64 hex digits + NUL */

typedef struct igc_user {
    char name[IGC_AUTH_NAME_MAX + 1]; /* "" in open mode */
    int role;                         /* one IGC_ROLE_*; every role in open mode */
    const char *via;                  /* "token", "session", "proxy" or "open" */
    char session[40];                 /* the session id when via a cookie */
} igc_user;

/* "examiner" ... "admin" -> IGC_ROLE_*, 0 when unknown. */
int igc_auth_role_parse(const char *s);
/* IGC_ROLE_* -> "examiner" ...; "open" for a combination. */
const char *igc_auth_role_name(int role);
/* 1 when name is 1..64 of A-Z a-z 0-9 . _ - @ */
int igc_auth_name_ok(const char *name);

/* Adds a user with a fresh token valid for days (>= 1) and writes the token to
 * token. IGC_EEXIST when an active user has that name (a revoked one is
 * replaced), IGC_EINVAL for a bad name or role. */
int igc_auth_user_add(igc_store *s, const char *name, int role, unsigned days, char token[IGC_AUTH_TOKEN_SIZE]);
/* Revokes a user: the token stops working at once; the record stays.
 * IGC_ENOTFOUND when there is no such active user. */
int igc_auth_user_revoke(igc_store *s, const char *name);
/* [{name, role, created_at, expires_at, expired, revoked_at}] without token hashes. */
cJSON *igc_auth_user_list(igc_store *s);
/* Users that can sign in now (not revoked, not expired). */
int igc_auth_active_users(igc_store *s, size_t *n);
/* The user a bearer token belongs to, when it is valid now: 0, IGC_ENOTFOUND
 * (unknown, revoked or expired) or a store error. */
int igc_auth_token_user(igc_store *s, const char *token, igc_user *u);
/* The active user of that name (for the trusted proxy header): 0 or IGC_ENOTFOUND. */
int igc_auth_name_user(igc_store *s, const char *name, igc_user *u);

/* ---- screen sessions (in memory, one table per igcd) ---- */
typedef struct igc_auth_sessions igc_auth_sessions;
/* An empty table whose sessions end after idle_minutes unused (0: 480). */
int igc_auth_sessions_new(unsigned idle_minutes, igc_auth_sessions **out);
void igc_auth_sessions_free(igc_auth_sessions *t);
/* Opens a session for a user signed in with token (kept hashed, to re-check it
 * on every request); writes the session id and CSRF token (32 hex each). */
int igc_auth_session_open(igc_auth_sessions *t, const char *token_sha256, char sid[40], char csrf[40]);
/* Finds a live session by id: *token_sha256 and csrf point into the table until
 * the next call. IGC_ENOTFOUND when unknown or idle too long. */
int igc_auth_session_find(igc_auth_sessions *t, const char *sid, const char **token_sha256, const char **csrf);
/* Ends a session (logout); nothing when unknown. */
void igc_auth_session_close(igc_auth_sessions *t, const char *sid);
/* The user behind a session's stored token hash (re-checked each time). */
int igc_auth_hash_user(igc_store *s, const char *token_sha256, igc_user *u);

/* ---- saves per user per minute ---- */
typedef struct igc_auth_rate igc_auth_rate;
/* An empty counter table: 0 or IGC_ENOMEM. */
int igc_auth_rate_new(igc_auth_rate **out);
void igc_auth_rate_free(igc_auth_rate *r);
/* 1 when who may do one more within the minute (and counts it), 0 when the limit
 * is reached; limit 0 means no limit. */
int igc_auth_rate_take(igc_auth_rate *r, const char *who, unsigned limit);

#endif
