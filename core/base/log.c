#include <stdio.h>
#include <string.h>
#include <time.h>

#include "igc_base.h"

static int min_level = IGC_LOG_INFO;

void igc_log_set_level(int level) { min_level = level; }

void igc_log(int level, const char *fmt, ...) {
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < min_level) return;
    if (level < IGC_LOG_DEBUG || level > IGC_LOG_ERROR) level = IGC_LOG_ERROR;
    char ts[21];
    igc_iso_now(ts);
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so concurrent writers do not interleave within a line. */
    fprintf(stderr, "%s %-5s %s\n", ts, names[level], line);
}

void igc_mask(const char *in, char *out, size_t outsz) {
    if (!outsz) return;
    out[0] = '\0';
    if (!in || !*in) return;
    uint32_t cp;
    int n = igc_utf8_decode(in, strlen(in), &cp);
    if (n <= 0) n = 1;
    if ((size_t)n + 1 > outsz) return;
    memcpy(out, in, (size_t)n);
    size_t o = (size_t)n, rest = igc_utf8_valid(in, strlen(in)) ? igc_utf8_len(in) - 1 : strlen(in) - 1;
    for (size_t i = 0; i < rest && o + 1 < outsz; i++) out[o++] = '*';
    out[o] = '\0';
}
