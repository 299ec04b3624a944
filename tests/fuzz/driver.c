/*
 * Stand-in for libFuzzer where the compiler has none (the default gcc build):
 * runs a harness's LLVMFuzzerTestOneInput on every file of a seed corpus, then
 * on deterministic mutations of them (byte flips, insertions, deletions,
 * repeats, splices) until the time is up. Coverage-guided runs use the same
 * harness built with clang (-DIGC_FUZZ=ON, scripts/fuzz.sh).
 *   usage: fuzz_x CORPUS_DIR [SECONDS] [SEED]
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 65536

typedef struct {
    char *data;
    size_t len;
} seed;

static uint64_t rnd(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static size_t mutate(uint64_t *x, uint8_t *buf, size_t len, const seed *other) {
    int n = 1 + (int)(rnd(x) % 4);
    for (int k = 0; k < n; k++) {
        size_t pos = len ? rnd(x) % len : 0;
        switch (rnd(x) % 6) {
        case 0: /* flip a byte */
            if (len) buf[pos] ^= (uint8_t)(1u << (rnd(x) % 8));
            break;
        case 1: /* an interesting byte */
            if (len) {
                static const uint8_t b[] = {0, '"', '\\', '{', '}', '[', ']', ',', ':', '\r', '\n', ';', 0xff, 0xea};
                buf[pos] = b[rnd(x) % sizeof b];
            }
            break;
        case 2: /* delete a run */
            if (len) {
                size_t m = 1 + rnd(x) % 16;
                if (pos + m > len) m = len - pos;
                memmove(buf + pos, buf + pos + m, len - pos - m);
                len -= m;
            }
            break;
        case 3: /* insert random bytes */
            if (len < FUZZ_MAX_INPUT - 16) {
                size_t m = 1 + rnd(x) % 8;
                memmove(buf + pos + m, buf + pos, len - pos);
                for (size_t i = 0; i < m; i++) buf[pos + i] = (uint8_t)rnd(x);
                len += m;
            }
            break;
        case 4: /* repeat a run */
            if (len && len < FUZZ_MAX_INPUT / 2) {
                size_t m = 1 + rnd(x) % 64;
                if (pos + m > len) m = len - pos;
                memmove(buf + pos + m, buf + pos, len - pos);
                len += m;
            }
            break;
        default: /* splice in part of another seed */
            if (other->len && len + other->len < FUZZ_MAX_INPUT) {
                size_t from = rnd(x) % other->len, m = 1 + rnd(x) % (other->len - from);
                memmove(buf + pos + m, buf + pos, len - pos);
                memcpy(buf + pos, other->data + from, m);
                len += m;
            }
            break;
        }
    }
    return len;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR [SECONDS] [SEED]\n", argv[0]);
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 3.0;
    uint64_t x = argc > 3 ? strtoull(argv[3], NULL, 10) : 88172645463325252ULL;
    if (!x) x = 1;
    DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    char *names[512];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 512)
        if (e->d_name[0] != '.') names[nn++] = igc_strdup(e->d_name);
    closedir(d);
    qsort(names, nn, sizeof *names, cmp);
    seed *seeds = calloc(nn ? nn : 1, sizeof *seeds);
    size_t ns = 0;
    for (size_t i = 0; i < nn; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", argv[1], names[i]);
        if (igc_read_file(p, &seeds[ns].data, &seeds[ns].len) == 0 && seeds[ns].len < FUZZ_MAX_INPUT) ns++;
        free(names[i]);
    }
    if (!ns) {
        fprintf(stderr, "no seeds in %s\n", argv[1]);
        return 2;
    }
    uint8_t *buf = malloc(FUZZ_MAX_INPUT);
    unsigned long runs = 0;
    for (size_t i = 0; i < ns; i++, runs++) { /* each seed as it is */
        memcpy(buf, seeds[i].data, seeds[i].len);
        LLVMFuzzerTestOneInput(buf, seeds[i].len);
    }
    double t0 = igc_now_ms();
    while (igc_now_ms() - t0 < secs * 1000.0) {
        const seed *s = &seeds[rnd(&x) % ns], *o = &seeds[rnd(&x) % ns];
        memcpy(buf, s->data, s->len);
        size_t len = mutate(&x, buf, s->len, o);
        /* an exact-size copy, so reads past the end are caught under ASan */
        uint8_t *in = malloc(len ? len : 1);
        memcpy(in, buf, len);
        LLVMFuzzerTestOneInput(in, len);
        free(in);
        runs++;
    }
    fprintf(stderr, "%s: %lu runs (%zu seeds) in %.1f s, no crash\n", argv[0], runs, ns, (igc_now_ms() - t0) / 1000);
    for (size_t i = 0; i < ns; i++) free(seeds[i].data);
    free(seeds);
    free(buf);
    return 0;
}
