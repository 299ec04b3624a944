#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"

#ifndef IGC_DEFAULT_DATA
#define IGC_DEFAULT_DATA "../shared/data"
#endif
#ifndef IGC_DEFAULT_RULES
#define IGC_DEFAULT_RULES "rules"
#endif
#ifndef IGC_DEFAULT_PROGRAMMES
#define IGC_DEFAULT_PROGRAMMES "programmes"
#endif
#ifndef IGC_DEFAULT_MODEL_DIR
#define IGC_DEFAULT_MODEL_DIR "model"
#endif

static void set(char *dst, size_t n, const char *v) { snprintf(dst, n, "%s", v); }

static const struct opt {
    const char *flag, *env;
    size_t off, size; /* size 0: numeric */
    const char *help;
} opts[] = {
#define S(f) offsetof(igc_config, f), sizeof(((igc_config *)0)->f)
#define N(f) offsetof(igc_config, f), 0
    {"--listen", "IGC_LISTEN", S(listen), "ADDR:PORT to serve on (127.0.0.1:8080)"},
    {"--data", "IGC_DATA", S(data_dir), "data directory (" IGC_DEFAULT_DATA ")"},
    {"--db", "IGC_DB", S(db_dir), "LMDB directory for judgments (./var/db)"},
    {"--rules", "IGC_RULES", S(rules_dir), "rules directory (" IGC_DEFAULT_RULES ")"},
    {"--programmes", "IGC_PROGRAMMES", S(programmes_dir), "support programmes directory (" IGC_DEFAULT_PROGRAMMES ")"},
    {"--taxonomy", "IGC_TAXONOMY", S(taxonomy), "taxonomy file (<data>/taxonomy/igc-v6.json)"},
    {"--model", "IGC_MODEL", S(model), "embedding model file, or 'none' (" IGC_DEFAULT_MODEL_DIR "/igc-embed.bin)"},
    {"--params", "IGC_PARAMS", S(params), "engine parameters (" IGC_DEFAULT_MODEL_DIR "/engine-params.json)"},
    {"--cases", "IGC_CASES", S(cases), "case dictionary CSV, or 'none' (<data>/labeled/synthetic.csv)"},
    {"--lexicon-dir", "IGC_LEXICON_DIR", S(lexicon_dir), "index-term dictionary directory (beside the store: <dir of --db>/lexicon, var/lexicon by default)"},
    {"--index", "IGC_INDEX", S(index_factory), "FAISS factory string for past judgments (IVF64,Flat)"},
    {"--index-params", "IGC_INDEX_PARAMS", S(index_params), "FAISS search parameters (nprobe=8)"},
    {"--map-mb", "IGC_MAP_MB", N(map_mb), "LMDB map size in MiB (1024)"},
    {"--max-body", "IGC_MAX_BODY", N(max_body), "largest request body in bytes (262144)"},
    {"--max-revision-body", "IGC_MAX_REVISION_BODY", N(max_revision_body),
     "largest body of POST /api/v1/taxonomy/revisions (8388608)"},
    {"--max-conn", "IGC_MAX_CONN", N(max_connections), "most concurrent connections (256)"},
    {"--log-level", "IGC_LOG_LEVEL", N(log_level), "0 debug, 1 info, 2 warn, 3 error (1)"},
    {"--token-days", "IGC_TOKEN_DAYS", N(token_days), "days a new user's token is valid (90)"},
    {"--session-minutes", "IGC_SESSION_MINUTES", N(session_minutes), "a screen session ends after this long unused (480)"},
    {"--cookie-secure", "IGC_COOKIE_SECURE", N(cookie_secure), "1: session cookie only over HTTPS (behind TLS) (0)"},
    {"--proxy-header", "IGC_PROXY_HEADER", S(proxy_header), "trusted reverse-proxy header naming the user (off)"},
    {"--proxy-addr", "IGC_PROXY_ADDR", S(proxy_addr), "address of that proxy; the header counts only from it"},
    {"--saves-per-minute", "IGC_SAVES_PER_MINUTE", N(saves_per_minute), "judgment saves per user per minute (30; 0 off)"},
    {"--max-judgment-body", "IGC_MAX_JUDGMENT_BODY", N(max_judgment_body), "largest judgment body in bytes (65536)"},
    {"--learn-from", "IGC_LEARN_FROM", S(learn_from), "'save' (a save is learnt at once) or 'review' (after a reviewer confirms) (save)"},
    {"--store-alarm", "IGC_STORE_ALARM", N(store_alarm_pct), "percent of the LMDB map that raises the store alarm (80)"},
    {"--hostname", "IGC_HOSTNAMES", S(hostnames), "names clients use for igcd, comma-separated (none)"},
    {"--max-conn-per-client", "IGC_MAX_CONN_PER_CLIENT", N(max_conn_per_client),
     "concurrent connections per client address (64)"},
    {"--rate-limit", "IGC_RATE_LIMIT", N(rate_limit), "requests per second per client address, 0 off (100)"},
    {"--rate-burst", "IGC_RATE_BURST", N(rate_burst), "requests a client may send at once (400)"},
    {"--rules-load-ms", "IGC_RULES_LOAD_MS", N(rules_load_ms), "time limit on loading and testing rules (10000)"},
#undef S
#undef N
};

static int set_opt(igc_config *c, const struct opt *o, const char *v) {
    char *p = (char *)c + o->off;
    if (o->size) {
        if (strlen(v) >= o->size) return IGC_ETOOBIG;
        set(p, o->size, v);
        return 0;
    }
    long long n;
    if (igc_parse_ll(v, &n) || n < 0 || n > (1LL << 40)) return IGC_EINVAL;
    if (o->off == offsetof(igc_config, max_connections) || o->off == offsetof(igc_config, log_level) ||
        o->off == offsetof(igc_config, max_conn_per_client)) {
        if (n > 1000000) return IGC_EINVAL;
        *(int *)p = (int)n;
    } else {
        *(size_t *)p = (size_t)n;
    }
    return 0;
}

void igc_config_init(igc_config *c) {
    memset(c, 0, sizeof *c);
    set(c->listen, sizeof c->listen, "127.0.0.1:8080");
    set(c->data_dir, sizeof c->data_dir, IGC_DEFAULT_DATA);
    set(c->db_dir, sizeof c->db_dir, "var/db");
    set(c->rules_dir, sizeof c->rules_dir, IGC_DEFAULT_RULES);
    set(c->programmes_dir, sizeof c->programmes_dir, IGC_DEFAULT_PROGRAMMES);
    /* "": beside the store (<dirname of --db>/lexicon, var/lexicon by default), so
     * igc run from any folder on the service's store reads the service's dictionary */
    c->lexicon_dir[0] = '\0';
    set(c->model, sizeof c->model, IGC_DEFAULT_MODEL_DIR "/igc-embed.bin");
    set(c->params, sizeof c->params, IGC_DEFAULT_MODEL_DIR "/engine-params.json");
    /* Exact below 4096 past judgments (the index trains only then), IVF beyond:
     * the CPU flat kernel of the packaged FAISS is not vectorised. */
    set(c->index_factory, sizeof c->index_factory, "IVF64,Flat");
    set(c->index_params, sizeof c->index_params, "nprobe=8");
    c->map_mb = 1024;
    c->max_body = 256 * 1024;
    c->max_revision_body = 8 * 1024 * 1024; /* a whole revision (~350 KB) with its crosswalk, and room */
    c->max_connections = 256;
    c->max_conn_per_client = 64;
    c->rate_limit = 100;
    c->rate_burst = 400;
    c->rules_load_ms = 10000;
    c->log_level = IGC_LOG_INFO;
    c->token_days = 90;
    c->session_minutes = 480;
    c->saves_per_minute = 30;
    c->max_judgment_body = 64 * 1024;
    set(c->learn_from, sizeof c->learn_from, "save");
    c->store_alarm_pct = 80;
    const char *lx = getenv("IGC_LEXICON");
    c->no_lexicon = lx && strcmp(lx, "0") == 0;
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const char *v = getenv(opts[i].env);
        if (v && *v && set_opt(c, &opts[i], v))
            igc_log(IGC_LOG_WARN, "config: ignoring invalid %s", opts[i].env);
    }
}

int igc_config_option(igc_config *c, int argc, char **argv, int *i, igc_buf *err) {
    const char *a = argv[*i];
    if (strcmp(a, "--no-lexicon") == 0) { /* a switch, not a value: every program takes it */
        c->no_lexicon = 1;
        (*i)++;
        return 1;
    }
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        size_t fl = strlen(opts[k].flag);
        const char *v = NULL;
        if (strcmp(a, opts[k].flag) == 0) {
            if (*i + 1 >= argc) {
                igc_buf_printf(err, "%s needs a value", a);
                return IGC_EINVAL;
            }
            v = argv[++*i];
        } else if (strncmp(a, opts[k].flag, fl) == 0 && a[fl] == '=') {
            v = a + fl + 1;
        } else {
            continue;
        }
        int rc = set_opt(c, &opts[k], v);
        if (!rc && opts[k].off == offsetof(igc_config, learn_from) && strcmp(v, "save") && strcmp(v, "review"))
            rc = IGC_EINVAL;
        if (!rc && opts[k].off == offsetof(igc_config, store_alarm_pct) && (c->store_alarm_pct < 1 || c->store_alarm_pct > 99))
            rc = IGC_EINVAL;
        if (rc) {
            igc_buf_printf(err, "invalid value for %s: %s", opts[k].flag, v);
            return IGC_EINVAL;
        }
        (*i)++;
        return 1;
    }
    return 0;
}

void igc_config_finish(igc_config *c) {
    if (c->lexicon_dir[0]) return;
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", c->db_dir);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/') d[--n] = '\0';
    char *slash = strrchr(d, '/');
    if (!slash) snprintf(c->lexicon_dir, sizeof c->lexicon_dir, "lexicon"); /* "db": cwd */
    else if (slash == d) snprintf(c->lexicon_dir, sizeof c->lexicon_dir, "/lexicon");
    else {
        *slash = '\0';
        snprintf(c->lexicon_dir, sizeof c->lexicon_dir, "%s/lexicon", d);
    }
}

const char *igc_config_help(void) {
    static char text[8192];
    if (text[0]) return text;
    size_t o = 0;
    for (size_t i = 0; i < sizeof opts / sizeof opts[0] && o < sizeof text; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "  %-20s %-22s %s\n", opts[i].flag, opts[i].env,
                              opts[i].help);
    return text;
}
