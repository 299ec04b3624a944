/* Internal to igc_http: the containment checks server.c applies (guard.c). */
#ifndef IGC_HTTP_INT_H
#define IGC_HTTP_INT_H

#include "igc_http.h"

/* One client address and what it holds and spends. */
typedef struct igc__client {
    char addr[48];        /* "127.0.0.1", "::1" */
    int conns;            /* open connections counted against its limit */
    double tokens;        /* request-rate bucket */
    double refill_at;     /* igc_now_ms() of the last refill */
    unsigned long refused_conns, refused_reqs; /* since the last log line about it */
    double logged_at;     /* igc_now_ms() of that line; 0: never */
    struct igc__client *next;
} igc__client;

typedef struct igc__guard igc__guard;

/* A refusal a check asks for: status, stable code, Korean message. */
typedef struct igc__refusal {
    int status;
    const char *code, *msg;
} igc__refusal;

/* Builds the guard for a server listening on addr (bound port port). */
int igc__guard_new(const igc_http_config *cfg, const struct sockaddr *addr, int port, igc__guard **out);
void igc__guard_free(igc__guard *g);

/* The client entry of a peer address (created when new); NULL on ENOMEM. */
igc__client *igc__guard_client(igc__guard *g, const char *addr);
/* 1 when the client may open one more connection (then counted), else 0. */
int igc__guard_conn_open(igc__guard *g, igc__client *cl);
/* A counted connection of the client ended. */
void igc__guard_conn_closed(igc__guard *g, igc__client *cl);
/* Takes one request from the client's rate bucket: 0, or the seconds to
 * wait (Retry-After) when it is empty. */
int igc__guard_take_request(igc__guard *g, igc__client *cl);
/* Records a refused connection (what: 'c') or request ('r') of cl (NULL: the
 * server-wide connection limit) and logs at most one line per client per
 * interval, with the count since the last one. */
void igc__guard_note_refusal(igc__guard *g, igc__client *cl, char what);
/* Logs the counts not yet logged and forgets idle clients (called each interval). */
void igc__guard_tick(igc__guard *g);
unsigned igc__guard_interval_ms(const igc__guard *g);

/* Checks one request's head: method, decoded path, Host and Origin and
 * Content-Type header values (NULL when absent) and HTTP version. Returns 0
 * or fills *why. */
int igc__guard_check(const igc__guard *g, const char *method, const char *path, const char *host,
                     const char *origin, const char *ctype, int http_major, int http_minor, igc__refusal *why);

#endif
