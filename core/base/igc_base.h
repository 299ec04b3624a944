/*
 * igc_base: the small shared toolkit every other module builds on.
 *
 * Error convention (as in libuv/LMDB): functions return int, 0 on success and a
 * negative IGC_E* constant on failure; igc_strerror() gives English text and
 * igc_errcode() a stable machine code ("invalid_input", ...) for API bodies.
 */
#ifndef IGC_BASE_H
#define IGC_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum {
    IGC_OK = 0,
    IGC_ENOMEM = -1,    /* allocation failed */
    IGC_EINVAL = -2,    /* invalid argument or user input */
    IGC_EIO = -3,       /* file or OS error */
    IGC_ENOTFOUND = -4, /* no such item, judgment, file */
    IGC_EPARSE = -5,    /* malformed file or document */
    IGC_EFULL = -6,     /* storage map is full */
    IGC_ETOOBIG = -7,   /* input over a size limit */
    IGC_EUTF8 = -8,     /* invalid UTF-8 */
    IGC_ESTATE = -9,    /* call not valid in the current state */
    IGC_ERULES = -10,   /* a rule failed to load, run or pass its tests */
    IGC_ETIMEOUT = -11, /* a budget or deadline ran out */
    IGC_EVERSION = -12, /* file format or model version mismatch */
    IGC_EUNSUP = -13,   /* feature not built in */
    IGC_EEXIST = -14    /* already present */
};

/* English description of an IGC_E* code. Never NULL. */
const char *igc_strerror(int err);
/* Stable snake_case code for an IGC_E* value, for JSON error bodies. */
const char *igc_errcode(int err);

/* ---- logging: one line per event to stderr, ISO time, level ---- */
enum { IGC_LOG_DEBUG, IGC_LOG_INFO, IGC_LOG_WARN, IGC_LOG_ERROR };
/* Sets the minimum level that is printed (default INFO). */
void igc_log_set_level(int level);
/* printf-style log line. Never pass personal fields unmasked: see igc_mask(). */
void igc_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes a masked copy of a personal field (BRN, CEO name) to out: the first
 * character (UTF-8 aware) and '*' for the rest, at most outsz-1 bytes. */
void igc_mask(const char *in, char *out, size_t outsz);

/* ---- growable byte buffer, always NUL-terminated ---- */
typedef struct igc_buf {
    char *data;
    size_t len;
    size_t cap;
} igc_buf;
/* Appends n bytes. Returns 0 or IGC_ENOMEM. */
int igc_buf_append(igc_buf *b, const void *p, size_t n);
/* Appends a C string. */
int igc_buf_puts(igc_buf *b, const char *s);
/* Appends printf-formatted text. */
int igc_buf_printf(igc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the buffer's memory and zeroes it. */
void igc_buf_free(igc_buf *b);

/* ---- UTF-8 ---- */
/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates), else 0. */
int igc_utf8_valid(const char *s, size_t n);
/* Where s[0..n) stops being text: the offset of the first byte that is not well-formed
 * UTF-8 or is a NUL; n when it is text throughout. */
size_t igc_utf8_text_end(const char *s, size_t n);
/* Decodes one code point at s (len bytes available). Returns its byte length
 * (1..4) and stores it in *cp, or 0 on malformed input. */
int igc_utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Encodes cp into out (>= 4 bytes); returns bytes written. */
int igc_utf8_encode(uint32_t cp, char *out);
/* Number of code points in a valid UTF-8 string. */
size_t igc_utf8_len(const char *s);
/* 1 if the string is empty or only whitespace (ASCII or U+3000). */
int igc_blank(const char *s);
/* 1 if the string has no letter or digit of any script: empty, blanks, or only
 * punctuation and symbols (".", "-", "…", "※"); a field so filled says nothing. */
int igc_no_content(const char *s);

/* ---- files ---- */
/* Reads a whole file into a fresh NUL-terminated buffer (*out, *len).
 * Returns 0, IGC_ENOTFOUND, IGC_EIO or IGC_ENOMEM. */
int igc_read_file(const char *path, char **out, size_t *len);
/* Writes data to path atomically (temp file, fsync, rename). */
int igc_write_file_atomic(const char *path, const void *data, size_t len);

/* ---- CSV (RFC 4180: quotes, doubled quotes, newlines in fields) ---- */
typedef struct igc_csv igc_csv;
/* Opens a CSV reader over a file. A UTF-8 BOM is skipped. */
int igc_csv_open(const char *path, igc_csv **out);
/* Opens a CSV reader over a memory buffer (not copied; must outlive reader). */
int igc_csv_open_mem(const char *data, size_t len, igc_csv **out);
/* Reads the next record. Returns 1 with *nfields set, 0 at end, <0 on error.
 * Field pointers stay valid until the next call. */
int igc_csv_next(igc_csv *c, char ***fields, size_t *nfields);
/* Index of a column name in the first record (the header) or -1. Call after
 * the first igc_csv_next(). */
int igc_csv_col(igc_csv *c, const char *name);
/* Opens a CSV file and reads its header, finding each of the n column names:
 * cols[i] gets the index of names[i], *width (may be NULL) one more than the
 * largest, i.e. how many fields a record needs to have them all. IGC_EPARSE when
 * the header is missing or lacks a column, then *missing (may be NULL) names it
 * and nothing stays open. */
int igc_csv_open_cols(const char *path, const char *const *names, size_t n, int *cols, size_t *width,
                      igc_csv **out, const char **missing);
/* 1-based line number of the last record read, for error messages. */
size_t igc_csv_line(const igc_csv *c);
/* Closes the reader. NULL is fine. */
void igc_csv_close(igc_csv *c);
/* Appends s to b as one CSV field (quoted when needed). */
int igc_csv_field(igc_buf *b, const char *s);
/* The bytes of a file people saved, as UTF-8: well-formed UTF-8 (a BOM dropped) is
 * kept; otherwise bytes that decode as CP949 (what Excel in Korean saves; EUC-KR is
 * a subset) are converted, and a UTF-16 file with its BOM too. *out is a fresh
 * NUL-terminated copy (free it), *encoding "UTF-8", "CP949" or "UTF-16". Returns 0,
 * IGC_EUTF8 when the bytes are none of these (NUL bytes included), with *bad_line
 * the 1-based line of the first byte that does not decode, IGC_EUNSUP when the C
 * library has no converter, or IGC_ENOMEM. */
int igc_csv_decode(const char *data, size_t len, char **out, size_t *outlen, const char **encoding,
                   size_t *bad_line);

/* A whole decimal number and nothing after it ("3x", "", "abc" and values beyond long
 * long are not), as strtoll reads it. Returns 0 with *out set, or IGC_EINVAL. */
int igc_parse_ll(const char *s, long long *out);

/* ---- domain helpers ---- */
/* Checks a 사업자등록번호: 10 digits (hyphens allowed as 3-2-5) with a valid
 * check digit, not all zeros. Writes the 10 bare digits to out (>= 11 bytes) when valid.
 * Returns 0, or IGC_EINVAL. */
int igc_brn_normalize(const char *in, char out[11]);
/* Today's date in Asia/Seoul (UTC+9, no DST) as YYYY-MM-DD into out (>= 11). */
void igc_today_seoul(char out[11]);
/* Milliseconds from a monotonic clock. */
double igc_now_ms(void);
/* Wall clock as ISO-8601 UTC "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21). */
void igc_iso_now(char out[21]);
/* 64-bit FNV-1a hash. */
uint64_t igc_hash64(const void *p, size_t n, uint64_t seed);
/* Duplicates a string; NULL stays NULL. */
char *igc_strdup(const char *s);
/* Copies src into dst[size] as snprintf(dst, size, "%s", src) would (cut to size - 1
 * bytes, always terminated when size > 0), without its cost; returns strlen(src). */
size_t igc_strlcpy(char *dst, const char *src, size_t size);
/* Trims ASCII/U+3000 whitespace in place at both ends; returns s. */
char *igc_trim(char *s);

/* ---- par.c: independent work on several threads ---- */
#define IGC_PAR_MAX 16
/* Threads worth starting for CPU-bound work: the online cores, at most IGC_PAR_MAX. */
int igc_par_threads(void);
/* Calls fn(arg, i) for every i in [0, n) on up to `threads` threads (the caller's
 * among them), returning when all are done. The calls must be independent; their
 * order is not fixed. Without threads (none could start) the caller does them all. */
void igc_par_for(size_t n, int threads, void (*fn)(void *arg, size_t i), void *arg);

/* ---- little-endian fields of the project's binary files (inline: read per weight) ---- */
/* The nbytes (1..8) at p as a little-endian unsigned value, whatever the host's order. */
static inline uint64_t igc_get_le(const unsigned char *p, int nbytes) {
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (nbytes == 4) { /* the bytes are the value: one load */
        uint32_t v4;
        memcpy(&v4, p, 4);
        return v4;
    }
    if (nbytes == 8) {
        memcpy(&v, p, 8);
        return v;
    }
#endif
    for (int i = 0; i < nbytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
/* The low nbytes (1..8) of v at p, little-endian. */
static inline void igc_put_le(unsigned char *p, uint64_t v, int nbytes) {
    for (int i = 0; i < nbytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- crypto.c: hashing tokens, drawing ids ---- */
/* SHA-256 of n bytes into out (32 bytes). */
void igc_sha256(const void *data, size_t n, unsigned char out[32]);
/* SHA-256 as 64 lowercase hex digits (out >= 65 bytes). */
void igc_sha256_hex(const void *data, size_t n, char out[65]);
/* n bytes as 2n lowercase hex digits plus NUL. */
void igc_hex(const unsigned char *p, size_t n, char *out);
/* n random bytes from the kernel (getrandom). 0 or IGC_EIO. */
int igc_random(void *buf, size_t n);
/* nbytes (<= 64) random bytes as 2*nbytes hex digits plus NUL. */
int igc_random_hex(size_t nbytes, char *out);
/* 1 when two strings are equal, in time that does not depend on where they differ. */
int igc_const_eq(const char *a, const char *b);

#endif
