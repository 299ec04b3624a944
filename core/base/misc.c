#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "igc_base.h"

int igc_parse_ll(const char *s, long long *out) {
    if (!s || !*s) return IGC_EINVAL;
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (end == s || *end || errno) return IGC_EINVAL;
    *out = n;
    return 0;
}

int igc_brn_normalize(const char *in, char out[11]) {
    static const int w[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
    if (!in) return IGC_EINVAL;
    char d[11];
    size_t n = 0, i = 0, hyphens = 0;
    for (; in[i]; i++) {
        if (isdigit((unsigned char)in[i])) {
            if (n == 10) return IGC_EINVAL;
            d[n++] = in[i];
        } else if (in[i] == '-') {
            /* Hyphens only in the printed 3-2-5 layout. */
            if (!((hyphens == 0 && n == 3) || (hyphens == 1 && n == 5))) return IGC_EINVAL;
            hyphens++;
        } else {
            return IGC_EINVAL;
        }
    }
    if (n != 10 || hyphens == 1) return IGC_EINVAL;
    /* 000-00-00000 passes the check digit: a placeholder typed to get past the field */
    if (memcmp(d, "0000000000", 10) == 0) return IGC_EINVAL;
    int sum = 0;
    for (int k = 0; k < 9; k++) sum += (d[k] - '0') * w[k];
    sum += ((d[8] - '0') * 5) / 10;
    if ((10 - sum % 10) % 10 != d[9] - '0') return IGC_EINVAL;
    memcpy(out, d, 10);
    out[10] = '\0';
    return 0;
}

void igc_today_seoul(char out[11]) {
    /* Korea Standard Time is UTC+9 all year (no daylight saving since 1988). */
    time_t t = time(NULL) + 9 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

void igc_iso_now(char out[21]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double igc_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

uint64_t igc_hash64(const void *p, size_t n, uint64_t seed) {
    const unsigned char *s = p;
    uint64_t h = 14695981039346656037ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

size_t igc_strlcpy(char *dst, const char *src, size_t size) {
    size_t n = strlen(src);
    if (size) {
        size_t k = n < size ? n : size - 1;
        memcpy(dst, src, k);
        dst[k] = '\0';
    }
    return n;
}

char *igc_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
