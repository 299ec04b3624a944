/*
 * Containment of igc_http: per-client connection and request-rate limits with
 * throttled logging of refusals, and the checks on each request's head (HTTP
 * version, Host against DNS rebinding, Origin against cross-site requests,
 * Content-Type of JSON routes).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

#define CLIENT_BUCKETS 256
#define MAX_NAMES 64

typedef struct allowed {
    char name[64]; /* lower-case; IPv6 in brackets */
    int port;      /* -1: any port */
} allowed;

struct igc__guard {
    igc_http_config cfg;
    igc__client *tab[CLIENT_BUCKETS];
    size_t nclients;
    unsigned long refused_global; /* server-wide connection limit, since the last line */
    double global_logged_at;
    allowed names[MAX_NAMES];
    int nnames;
};

static int split_hostport(const char *s, size_t n, char *name, size_t namesz, int *port);

static void add_name(igc__guard *g, const char *name, size_t n, int port) {
    if (g->nnames >= MAX_NAMES || n == 0 || n >= sizeof g->names[0].name) return;
    allowed *a = &g->names[g->nnames];
    for (size_t i = 0; i < n; i++) a->name[i] = (char)tolower((unsigned char)name[i]);
    a->name[n] = '\0';
    a->port = port;
    g->nnames++;
}

static void add_addr(igc__guard *g, const struct sockaddr *sa, int port) {
    char ip[64], br[72];
    if (sa->sa_family == AF_INET6) {
        if (uv_ip6_name((const struct sockaddr_in6 *)sa, ip, sizeof ip) != 0) return;
        snprintf(br, sizeof br, "[%s]", ip);
        add_name(g, br, strlen(br), port);
    } else if (sa->sa_family == AF_INET) {
        if (uv_ip4_name((const struct sockaddr_in *)sa, ip, sizeof ip) != 0) return;
        add_name(g, ip, strlen(ip), port);
    }
}

static int is_wildcard(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == 0;
    if (sa->sa_family == AF_INET6) {
        static const unsigned char zero[16];
        return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, zero, 16) == 0;
    }
    return 0;
}

int igc__guard_new(const igc_http_config *cfg, const struct sockaddr *addr, int port, igc__guard **out) {
    *out = NULL;
    igc__guard *g = calloc(1, sizeof *g);
    if (!g) return IGC_ENOMEM;
    g->cfg = *cfg;
    g->cfg.hostnames = NULL; /* not kept: parsed below */
    add_name(g, "localhost", 9, port);
    add_name(g, "127.0.0.1", 9, port);
    add_name(g, "[::1]", 5, port);
    if (addr && is_wildcard(addr)) {
        /* Listening on every interface: each local address is this server. */
        uv_interface_address_t *ifs = NULL;
        int n = 0;
        if (uv_interface_addresses(&ifs, &n) == 0) {
            for (int i = 0; i < n; i++) add_addr(g, (const struct sockaddr *)&ifs[i].address, port);
            uv_free_interface_addresses(ifs, n);
        }
    } else if (addr) {
        add_addr(g, addr, port);
    }
    /* Configured names: "igc.bank.local" (any port: a proxy in front may use
     * its own) or "igc.bank.local:8443" (that port only). */
    const char *p = cfg->hostnames ? cfg->hostnames : "";
    while (*p) {
        size_t n = strcspn(p, ", \t");
        char name[64];
        int prt;
        if (n && split_hostport(p, n, name, sizeof name, &prt) == 0)
            add_name(g, name, strlen(name), prt == -2 ? -1 : prt);
        else if (n)
            igc_log(IGC_LOG_WARN, "http: ignoring malformed host name '%.*s'", (int)(n < 100 ? n : 100), p);
        p += n;
        while (*p == ',' || *p == ' ' || *p == '\t') p++;
    }
    *out = g;
    return 0;
}

void igc__guard_free(igc__guard *g) {
    if (!g) return;
    for (size_t b = 0; b < CLIENT_BUCKETS; b++) {
        igc__client *c = g->tab[b];
        while (c) {
            igc__client *n = c->next;
            free(c);
            c = n;
        }
    }
    free(g);
}

unsigned igc__guard_interval_ms(const igc__guard *g) { return g->cfg.log_interval_ms; }

/* ---- clients ---- */

static size_t bucket_of(const char *addr) {
    return (size_t)(igc_hash64(addr, strlen(addr), 0) % CLIENT_BUCKETS);
}

igc__client *igc__guard_client(igc__guard *g, const char *addr) {
    size_t b = bucket_of(addr);
    for (igc__client *c = g->tab[b]; c; c = c->next)
        if (strcmp(c->addr, addr) == 0) return c;
    igc__client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    c->tokens = g->cfg.rate_burst;
    c->refill_at = igc_now_ms();
    c->next = g->tab[b];
    g->tab[b] = c;
    g->nclients++;
    return c;
}

int igc__guard_conn_open(igc__guard *g, igc__client *cl) {
    if (cl->conns >= g->cfg.max_conn_per_client) return 0;
    cl->conns++;
    return 1;
}

void igc__guard_conn_closed(igc__guard *g, igc__client *cl) {
    (void)g;
    if (cl && cl->conns > 0) cl->conns--;
}

static void refill(const igc__guard *g, igc__client *cl, double now) {
    double add = (now - cl->refill_at) / 1000.0 * g->cfg.rate_per_client;
    cl->refill_at = now;
    cl->tokens += add;
    if (cl->tokens > g->cfg.rate_burst) cl->tokens = g->cfg.rate_burst;
}

int igc__guard_take_request(igc__guard *g, igc__client *cl) {
    if (!cl || g->cfg.rate_per_client <= 0) return 0;
    refill(g, cl, igc_now_ms());
    if (cl->tokens >= 1.0) {
        cl->tokens -= 1.0;
        return 0;
    }
    int wait = (int)((1.0 - cl->tokens) / g->cfg.rate_per_client) + 1;
    return wait < 1 ? 1 : wait;
}

static void log_refusals(const igc__guard *g, const char *who, unsigned long conns, unsigned long reqs) {
    unsigned s = g->cfg.log_interval_ms / 1000;
    if (conns && reqs)
        igc_log(IGC_LOG_WARN, "http: client %s: %lu connections and %lu requests refused (limits: %d connections, "
                              "%.0f requests/s); next report in %u s at the earliest",
                who, conns, reqs, g->cfg.max_conn_per_client, g->cfg.rate_per_client, s);
    else if (conns)
        igc_log(IGC_LOG_WARN, "http: client %s: %lu connections refused (limit %d per client); next report in %u s "
                              "at the earliest", who, conns, g->cfg.max_conn_per_client, s);
    else
        igc_log(IGC_LOG_WARN, "http: client %s: %lu requests refused (limit %.0f requests/s, burst %u); next "
                              "report in %u s at the earliest", who, reqs, g->cfg.rate_per_client, g->cfg.rate_burst, s);
}

void igc__guard_note_refusal(igc__guard *g, igc__client *cl, char what) {
    double now = igc_now_ms();
    if (!cl) {
        g->refused_global++;
        if (g->global_logged_at == 0 || now - g->global_logged_at >= g->cfg.log_interval_ms) {
            igc_log(IGC_LOG_WARN, "http: connection limit %d reached: %lu connections refused; next report in %u s "
                                  "at the earliest", g->cfg.max_connections, g->refused_global,
                    g->cfg.log_interval_ms / 1000);
            g->refused_global = 0;
            g->global_logged_at = now;
        }
        return;
    }
    if (what == 'c')
        cl->refused_conns++;
    else
        cl->refused_reqs++;
    if (cl->logged_at == 0 || now - cl->logged_at >= g->cfg.log_interval_ms) {
        log_refusals(g, cl->addr, cl->refused_conns, cl->refused_reqs);
        cl->refused_conns = cl->refused_reqs = 0;
        cl->logged_at = now;
    }
}

void igc__guard_tick(igc__guard *g) {
    double now = igc_now_ms();
    if (g->refused_global && now - g->global_logged_at >= g->cfg.log_interval_ms) {
        igc_log(IGC_LOG_WARN, "http: connection limit %d reached: %lu connections refused in the last %u s",
                g->cfg.max_connections, g->refused_global, g->cfg.log_interval_ms / 1000);
        g->refused_global = 0;
        g->global_logged_at = now;
    }
    for (size_t b = 0; b < CLIENT_BUCKETS; b++) {
        igc__client **pp = &g->tab[b];
        while (*pp) {
            igc__client *c = *pp;
            if ((c->refused_conns || c->refused_reqs) && now - c->logged_at >= g->cfg.log_interval_ms) {
                log_refusals(g, c->addr, c->refused_conns, c->refused_reqs);
                c->refused_conns = c->refused_reqs = 0;
                c->logged_at = now;
            }
            refill(g, c, now);
            /* Forget clients with nothing open, a full bucket and nothing to report. */
            if (c->conns == 0 && c->tokens >= g->cfg.rate_burst && !c->refused_conns && !c->refused_reqs &&
                (c->logged_at == 0 || now - c->logged_at >= g->cfg.log_interval_ms)) {
                *pp = c->next;
                free(c);
                g->nclients--;
                continue;
            }
            pp = &c->next;
        }
    }
}

/* ---- request checks ---- */

static int refuse(igc__refusal *why, int status, const char *code, const char *msg) {
    why->status = status;
    why->code = code;
    why->msg = msg;
    return -1;
}

/* Splits "name[:port]" / "[v6][:port]" (n bytes); port -2 when absent. Returns
 * 0 or -1 when malformed. name gets the lower-cased name. */
static int split_hostport(const char *s, size_t n, char *name, size_t namesz, int *port) {
    *port = -2;
    size_t nl = n;
    const char *colon = NULL;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb) return -1;
        nl = (size_t)(rb - s) + 1;
        if (nl < n) {
            if (s[nl] != ':') return -1;
            colon = s + nl;
        }
    } else {
        colon = memchr(s, ':', n);
        if (colon) nl = (size_t)(colon - s);
    }
    if (nl == 0 || nl >= namesz) return -1;
    for (size_t i = 0; i < nl; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '?' || c == '#') return -1;
        name[i] = (char)tolower(c);
    }
    name[nl] = '\0';
    if (colon) {
        const char *p = colon + 1, *end = s + n;
        if (p == end || end - p > 5) return -1;
        long v = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9') return -1;
            v = v * 10 + (*p - '0');
        }
        if (v > 65535) return -1;
        *port = (int)v;
    }
    return 0;
}

/* Whether name:port (port -2: absent, then dflt) is one of this server's names. */
static int host_allowed(const igc__guard *g, const char *name, int port, int dflt) {
    int eff = port == -2 ? dflt : port;
    for (int i = 0; i < g->nnames; i++) {
        if (strcmp(g->names[i].name, name) != 0) continue;
        if (g->names[i].port == -1 || g->names[i].port == eff) return 1;
    }
    return 0;
}

static int media_is_json(const char *ct) {
    while (*ct == ' ' || *ct == '\t') ct++;
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof want - 1) != 0) return 0;
    const char *p = ct + sizeof want - 1;
    while (*p == ' ' || *p == '\t') p++;
    while (*p == ';') { /* parameters: only charset=utf-8 */
        p++;
        while (*p == ' ' || *p == '\t') p++;
        if (strncasecmp(p, "charset=", 8) != 0) return 0;
        p += 8;
        int quoted = *p == '"';
        if (quoted) p++;
        if (strncasecmp(p, "utf-8", 5) != 0) return 0;
        p += 5;
        if (quoted) {
            if (*p != '"') return 0;
            p++;
        }
        while (*p == ' ' || *p == '\t') p++;
    }
    return *p == '\0';
}

static int safe_method(const char *m) {
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

int igc__guard_check(const igc__guard *g, const char *method, const char *path, const char *host,
                     const char *origin, const char *ctype, int http_major, int http_minor, igc__refusal *why) {
    if (http_major != 1 || (http_minor != 0 && http_minor != 1))
        return refuse(why, 505, "http_version_not_supported", "HTTP/1.0과 HTTP/1.1만 지원합니다");
    char name[80];
    int port;
    if (!host) {
        if (http_minor == 1) return refuse(why, 400, "missing_host", "Host 헤더가 없습니다");
    } else if (!g->cfg.any_host) {
        if (split_hostport(host, strlen(host), name, sizeof name, &port) != 0 || !host_allowed(g, name, port, 80))
            return refuse(why, 421, "unknown_host",
                          "이 서버의 주소가 아닌 Host로 온 요청입니다. 서버 이름은 --hostname으로 설정합니다");
    }
    if (origin && !safe_method(method) && !g->cfg.any_host) {
        int dflt = 0;
        const char *hp = NULL;
        if (strncasecmp(origin, "http://", 7) == 0) hp = origin + 7, dflt = 80;
        if (strncasecmp(origin, "https://", 8) == 0) hp = origin + 8, dflt = 443;
        if (!hp || split_hostport(hp, strlen(hp), name, sizeof name, &port) != 0 ||
            !host_allowed(g, name, port, dflt))
            return refuse(why, 403, "cross_origin", "다른 사이트의 화면에서 보낸 요청은 받지 않습니다");
    }
    if ((!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) &&
        strncmp(path, "/api/", 5) == 0 && (!ctype || !media_is_json(ctype)))
        return refuse(why, 415, "unsupported_media_type",
                      "요청 본문은 Content-Type: application/json 형식이어야 합니다");
    return 0;
}
