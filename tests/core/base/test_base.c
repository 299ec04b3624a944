#include <dirent.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "igc_base.h"
#include "igc_test.h"

/* ---- errors ---- */

static int is_snake(const char *s) {
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '_' || (*s >= '0' && *s <= '9'))) return 0;
    return 1;
}

TEST(errors_have_distinct_codes) {
    const int codes[] = {IGC_OK,     IGC_ENOMEM, IGC_EINVAL, IGC_EIO,      IGC_ENOTFOUND,
                         IGC_EPARSE, IGC_EFULL,  IGC_ETOOBIG, IGC_EUTF8,   IGC_ESTATE,
                         IGC_ERULES, IGC_ETIMEOUT, IGC_EVERSION, IGC_EUNSUP};
    const size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *code = igc_errcode(codes[i]), *text = igc_strerror(codes[i]);
        REQUIRE(code && text);
        CHECK(is_snake(code));
        CHECK(*text);
        CHECK(strcmp(code, "unknown_error") != 0);
        for (size_t j = 0; j < i; j++) {
            CHECK(strcmp(code, igc_errcode(codes[j])) != 0);
            CHECK(strcmp(text, igc_strerror(codes[j])) != 0);
        }
    }
    CHECK_EQ_STR(igc_errcode(IGC_EINVAL), "invalid_input");
}

TEST(unknown_error_is_never_null) {
    CHECK(igc_strerror(-999) != NULL);
    CHECK(igc_errcode(-999) != NULL);
    CHECK(is_snake(igc_errcode(-999)));
    CHECK(igc_strerror(12345) != NULL);
    /* An unknown value must not be mistaken for a known one. */
    CHECK(strcmp(igc_errcode(-999), igc_errcode(IGC_EINVAL)) != 0);
    CHECK(strcmp(igc_errcode(-999), igc_errcode(IGC_OK)) != 0);
}

/* ---- mask ---- */

TEST(mask_keeps_first_character) {
    char out[64];
    igc_mask("홍길동", out, sizeof out);
    CHECK_EQ_STR(out, "홍**");
    igc_mask("1248100998", out, sizeof out);
    CHECK_EQ_STR(out, "1*********");
    igc_mask("A", out, sizeof out);
    CHECK_EQ_STR(out, "A");
    igc_mask("", out, sizeof out);
    CHECK_EQ_STR(out, "");
    igc_mask(NULL, out, sizeof out);
    CHECK_EQ_STR(out, "");
}

TEST(mask_respects_output_size) {
    char out[8];
    memset(out, 'x', sizeof out);
    igc_mask("홍길동", out, 4); /* room for the first syllable only */
    CHECK_EQ_STR(out, "홍");
    memset(out, 'x', sizeof out);
    igc_mask("홍길동", out, 3); /* not even the first syllable fits */
    CHECK_EQ_STR(out, "");
    memset(out, 'x', sizeof out);
    igc_mask("abcdefghij", out, 5);
    CHECK_EQ_STR(out, "a***");
    CHECK_EQ_INT(out[7], 'x'); /* nothing written past outsz */
    igc_mask("abc", out, 0);    /* must not write at all */
    CHECK_EQ_INT(out[0], 'a');
}

/* ---- buffer ---- */

/* igc_strlcpy writes what snprintf "%s" writes, for every size, cut included. */
TEST(strlcpy_as_snprintf) {
    const char *src[] = {"", "a", "양극재", "리튬이온배터리를", "0123456789abcdef"};
    for (size_t i = 0; i < sizeof src / sizeof *src; i++)
        for (size_t size = 0; size <= 24; size++) {
            char a[32], b[32];
            memset(a, 'x', sizeof a), memset(b, 'x', sizeof b);
            size_t n = igc_strlcpy(a, src[i], size);
            int m = snprintf(b, size, "%s", src[i]);
            CHECK_EQ_INT(n, (size_t)m);
            CHECK(memcmp(a, b, sizeof a) == 0);
        }
}

TEST(buf_grows_and_stays_terminated) {
    igc_buf b = {0};
    for (int i = 0; i < 1000; i++) REQUIRE(igc_buf_append(&b, "ab", 2) == 0);
    CHECK_EQ_INT(b.len, 2000);
    CHECK(b.cap > b.len);
    CHECK_EQ_INT(b.data[2000], '\0');
    CHECK_EQ_INT(strlen(b.data), 2000);
    CHECK(memcmp(b.data + 1998, "ab", 2) == 0);
    igc_buf_free(&b);
    CHECK(b.data == NULL);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(b.cap, 0);
}

TEST(buf_puts_printf_binary) {
    igc_buf b = {0};
    REQUIRE(igc_buf_append(&b, "", 0) == 0);
    REQUIRE(b.data != NULL);
    CHECK_EQ_STR(b.data, "");
    CHECK_EQ_INT(igc_buf_puts(&b, "가나"), 0);
    CHECK_EQ_INT(igc_buf_printf(&b, "-%d-%s", 42, "x"), 0);
    CHECK_EQ_STR(b.data, "가나-42-x");
    CHECK_EQ_INT(b.len, strlen("가나-42-x"));
    /* Long printf output crosses several growth steps. */
    char big[500];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_EQ_INT(igc_buf_printf(&b, "[%s]", big), 0);
    CHECK_EQ_INT(b.len, strlen("가나-42-x") + 501);
    CHECK_EQ_INT(b.data[b.len - 1], ']');
    CHECK_EQ_INT(b.data[b.len], '\0');
    igc_buf_free(&b);
    /* Embedded NUL bytes are kept and counted. */
    REQUIRE(igc_buf_append(&b, "a\0b", 3) == 0);
    CHECK_EQ_INT(b.len, 3);
    CHECK(memcmp(b.data, "a\0b", 4) == 0);
    igc_buf_free(&b);
    igc_buf_free(&b); /* freeing twice is harmless */
}

/* ---- UTF-8 ---- */

TEST(utf8_valid_accepts_well_formed) {
    static const char *ok[] = {"", "abc", "한글", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xEF\xBF\xBF",
                               "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xE3\x80\x80", "😀 emoji"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) CHECK(igc_utf8_valid(ok[i], strlen(ok[i])) == 1);
    CHECK(igc_utf8_valid("a\0b", 3) == 1); /* NUL is a code point */
    /* but text ends at it, as at the first byte that does not decode */
    CHECK_EQ_INT(igc_utf8_text_end("a\0b", 3), 1);
    CHECK_EQ_INT(igc_utf8_text_end("가나\xff다", 8), 6);
    CHECK_EQ_INT(igc_utf8_text_end("가나다", 9), 9);
    CHECK_EQ_INT(igc_utf8_text_end("", 0), 0);
}

TEST(utf8_valid_rejects_malformed) {
    static const char *bad[] = {
        "\x80",             /* lone continuation */
        "\xC0\xAF",         /* overlong '/' */
        "\xC1\xBF",         /* overlong */
        "\xE0\x80\xAF",     /* overlong 3-byte */
        "\xF0\x80\x80\xAF", /* overlong 4-byte */
        "\xED\xA0\x80",     /* surrogate U+D800 */
        "\xED\xBF\xBF",     /* surrogate U+DFFF */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80", "\xFE", "\xFF",
        "\xE3\x80",         /* truncated */
        "\xEA\xB0",         /* truncated 가 */
        "\xC3\x28",         /* bad continuation */
        "abc\xE3\x80",      /* truncated at the end */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (igc_utf8_valid(bad[i], strlen(bad[i])) != 0) {
            fprintf(stderr, "  accepted bad[%zu]\n", i);
            CHECK(0);
        }
    }
    /* The length bound is honoured: a complete sequence cut by n is invalid. */
    CHECK(igc_utf8_valid("가", 2) == 0);
    CHECK(igc_utf8_valid("가", 3) == 1);
}

TEST(utf8_decode_lengths_and_values) {
    uint32_t cp = 0;
    CHECK_EQ_INT(igc_utf8_decode("A", 1, &cp), 1);
    CHECK_EQ_INT(cp, 'A');
    CHECK_EQ_INT(igc_utf8_decode("\xC2\xA0", 2, &cp), 2);
    CHECK_EQ_INT(cp, 0xA0);
    CHECK_EQ_INT(igc_utf8_decode("가나", 6, &cp), 3);
    CHECK_EQ_INT(cp, 0xAC00);
    CHECK_EQ_INT(igc_utf8_decode("\xF4\x8F\xBF\xBF", 4, &cp), 4);
    CHECK_EQ_INT(cp, 0x10FFFF);
    CHECK_EQ_INT(igc_utf8_decode("가", 2, &cp), 0); /* only 2 bytes available */
    CHECK_EQ_INT(igc_utf8_decode("", 0, &cp), 0);
    CHECK_EQ_INT(igc_utf8_decode("\xED\xA0\x80", 3, &cp), 0);
}

TEST(utf8_encode_round_trips) {
    static const uint32_t cps[] = {0,      0x41,    0x7F,   0x80,    0x7FF,   0x800,
                                   0x3000, 0xAC00,  0xD7A3, 0xD7FF,  0xE000,  0xFFFF,
                                   0x10000, 0x1F600, 0x10FFFF};
    static const int lens[] = {1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char buf[4];
        int n = igc_utf8_encode(cps[i], buf);
        CHECK_EQ_INT(n, lens[i]);
        uint32_t back = 0xFFFFFFFF;
        CHECK_EQ_INT(igc_utf8_decode(buf, (size_t)n, &back), n);
        CHECK_EQ_INT(back, cps[i]);
        CHECK(igc_utf8_valid(buf, (size_t)n));
    }
    char buf[4];
    CHECK_EQ_INT(igc_utf8_encode(0xAC00, buf), 3);
    CHECK(memcmp(buf, "가", 3) == 0);
}

TEST(utf8_len_counts_code_points) {
    CHECK_EQ_INT(igc_utf8_len(""), 0);
    CHECK_EQ_INT(igc_utf8_len("abc"), 3);
    CHECK_EQ_INT(igc_utf8_len("한글abc"), 5);
    CHECK_EQ_INT(igc_utf8_len("😀가"), 2);
}

/* ---- whitespace ---- */

TEST(blank_detects_whitespace_only) {
    CHECK(igc_blank(NULL));
    CHECK(igc_blank(""));
    CHECK(igc_blank(" \t\r\n\v\f"));
    CHECK(igc_blank("\xE3\x80\x80"));         /* U+3000 */
    CHECK(igc_blank(" \xE3\x80\x80 \t"));
    CHECK(igc_blank("\xC2\xA0"));             /* NBSP */
    CHECK(!igc_blank("a"));
    CHECK(!igc_blank("  가  "));
    CHECK(!igc_blank("\xE3\x80\x81"));        /* U+3001 ideographic comma is not space */
    CHECK(!igc_blank(" \xE3\x80\x80 ."));
}

TEST(no_content_is_marks_only) {
    CHECK(igc_no_content(NULL));
    CHECK(igc_no_content(""));
    CHECK(igc_no_content(" \xE3\x80\x80 "));
    CHECK(igc_no_content("."));
    CHECK(igc_no_content(" - / ... "));
    CHECK(igc_no_content("\xE2\x80\xA6"));      /* U+2026 ellipsis */
    CHECK(igc_no_content("\xE2\x80\xBB \xC2\xB7")); /* U+203B reference mark, U+00B7 middle dot */
    CHECK(igc_no_content("\xEF\xBC\x8E"));      /* U+FF0E full-width full stop */
    CHECK(!igc_no_content("a"));
    CHECK(!igc_no_content("7"));
    CHECK(!igc_no_content(". 가 ."));
    CHECK(!igc_no_content("\xE4\xB8\x80"));     /* U+4E00 */
    CHECK(!igc_no_content("\xEF\xBC\x91"));     /* U+FF11 full-width digit one */
    CHECK(!igc_no_content("\xFF"));               /* not UTF-8: left to the UTF-8 check */
}

static void check_trim(const char *in, const char *want) {
    char *s = igc_strdup(in);
    if (!s) {
        CHECK(s != NULL);
        return;
    }
    char *r = igc_trim(s);
    CHECK(r == s);
    if (strcmp(r, want) != 0) fprintf(stderr, "  trim(\"%s\") = \"%s\", want \"%s\"\n", in, r, want);
    CHECK_EQ_STR(r, want);
    free(s);
}

TEST(trim_ascii_ideographic_and_nbsp) {
    check_trim("  abc  ", "abc");
    check_trim("\t\r\nabc\n", "abc");
    check_trim("abc", "abc");
    check_trim("", "");
    check_trim("   ", "");
    check_trim("a b", "a b");
    check_trim("\xE3\x80\x80가나\xE3\x80\x80", "가나");
    check_trim("\xC2\xA0x\xC2\xA0", "x");
    check_trim(" \xC2\xA0\xE3\x80\x80 혁신 성장 \xE3\x80\x80\xC2\xA0 ", "혁신 성장");
    check_trim("가\xE3\x80\x80나 ", "가\xE3\x80\x80나"); /* inner U+3000 kept */
    check_trim("\xE3\x80\x81", "\xE3\x80\x81");            /* U+3001 is not space */
    check_trim("가", "가");
    CHECK(igc_trim(NULL) == NULL);
}

/* ---- files ---- */

static char tmpdir[256];

static void rm_tmpdir(void) {
    if (!tmpdir[0]) return;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            if (unlink(p) != 0) rmdir(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    tmpdir[0] = '\0';
}

/* One scratch directory per run, removed at exit (also when a single test runs). */
static int make_tmpdir(void) {
    if (tmpdir[0]) return 1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/igc-test-base-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        tmpdir[0] = '\0';
        return 0;
    }
    atexit(rm_tmpdir);
    return 1;
}

static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

TEST(write_atomic_then_read_back) {
    REQUIRE(make_tmpdir());
    char path[512];
    snprintf(path, sizeof path, "%s/data.bin", tmpdir);
    const char data[] = "first\0line\n한글";
    CHECK_EQ_INT(igc_write_file_atomic(path, data, sizeof data - 1), 0);
    char *got = NULL;
    size_t len = 0;
    REQUIRE(igc_read_file(path, &got, &len) == 0);
    CHECK_EQ_INT(len, sizeof data - 1);
    CHECK(memcmp(got, data, len) == 0);
    CHECK_EQ_INT(got[len], '\0');
    free(got);
    /* Overwrite with shorter content: old bytes must be gone, no temp file left. */
    CHECK_EQ_INT(igc_write_file_atomic(path, "xy", 2), 0);
    REQUIRE(igc_read_file(path, &got, &len) == 0);
    CHECK_EQ_INT(len, 2);
    CHECK_EQ_STR(got, "xy");
    free(got);
    CHECK_EQ_INT(count_entries(tmpdir), 1);
    /* len may be NULL. */
    REQUIRE(igc_read_file(path, &got, NULL) == 0);
    CHECK_EQ_STR(got, "xy");
    free(got);
}

TEST(read_empty_file) {
    REQUIRE(make_tmpdir());
    char path[512];
    snprintf(path, sizeof path, "%s/empty.txt", tmpdir);
    REQUIRE(igc_write_file_atomic(path, "", 0) == 0);
    char *got = (char *)1;
    size_t len = 99;
    CHECK_EQ_INT(igc_read_file(path, &got, &len), 0);
    REQUIRE(got != NULL);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_STR(got, "");
    free(got);
}

TEST(file_errors) {
    REQUIRE(make_tmpdir());
    char path[512];
    char *got = (char *)1;
    size_t len = 7;
    snprintf(path, sizeof path, "%s/missing.txt", tmpdir);
    CHECK_EQ_INT(igc_read_file(path, &got, &len), IGC_ENOTFOUND);
    CHECK(got == NULL);
    CHECK_EQ_INT(len, 0);
    /* A directory is not a readable file. */
    CHECK_EQ_INT(igc_read_file(tmpdir, &got, &len), IGC_EIO);
    CHECK(got == NULL);
    /* Writing into a directory that does not exist fails cleanly. */
    snprintf(path, sizeof path, "%s/no/such/dir/f.txt", tmpdir);
    CHECK_EQ_INT(igc_write_file_atomic(path, "x", 1), IGC_EIO);
    /* Writing over a directory fails and leaves no temp file behind. */
    snprintf(path, sizeof path, "%s/adir", tmpdir);
    REQUIRE(mkdir(path, 0700) == 0);
    size_t before = count_entries(tmpdir);
    CHECK_EQ_INT(igc_write_file_atomic(path, "x", 1), IGC_EIO);
    CHECK_EQ_INT(count_entries(tmpdir), before);
    rmdir(path);
}

/* ---- CSV ---- */

typedef struct {
    size_t n;
    char f[8][64];
} rec;

/* Reads every record of a CSV in memory into recs; returns the count or <0. */
static int read_all(const char *data, size_t len, rec *recs, size_t max, size_t *lines) {
    igc_csv *c = NULL;
    int rc = igc_csv_open_mem(data, len, &c);
    if (rc) return rc;
    char **f;
    size_t nf, n = 0;
    while ((rc = igc_csv_next(c, &f, &nf)) == 1 && n < max) {
        recs[n].n = nf;
        for (size_t i = 0; i < nf && i < 8; i++) snprintf(recs[n].f[i], 64, "%s", f[i]);
        if (lines) lines[n] = igc_csv_line(c);
        n++;
    }
    igc_csv_close(c);
    return rc < 0 ? rc : (int)n;
}

TEST(csv_simple_records) {
    rec r[8];
    const char *s = "a,b,c\n1,,3\nx,y,\n";
    REQUIRE(read_all(s, strlen(s), r, 8, NULL) == 3);
    CHECK_EQ_INT(r[0].n, 3);
    CHECK_EQ_STR(r[0].f[0], "a");
    CHECK_EQ_STR(r[0].f[2], "c");
    CHECK_EQ_INT(r[1].n, 3);
    CHECK_EQ_STR(r[1].f[1], "");
    CHECK_EQ_STR(r[1].f[2], "3");
    CHECK_EQ_INT(r[2].n, 3); /* trailing comma: an empty last field */
    CHECK_EQ_STR(r[2].f[2], "");
}

TEST(csv_no_trailing_newline) {
    rec r[4];
    const char *s = "a,b\n1,2";
    REQUIRE(read_all(s, strlen(s), r, 4, NULL) == 2);
    CHECK_EQ_STR(r[1].f[0], "1");
    CHECK_EQ_STR(r[1].f[1], "2");
    CHECK_EQ_INT(read_all("", 0, r, 4, NULL), 0);
}

TEST(csv_quotes_doubled_quotes_newlines) {
    rec r[8];
    size_t lines[8];
    const char *s = "name,desc\n"
                    "\"Kim, Ltd\",\"say \"\"hi\"\"\"\n"
                    "\"multi\nline\nfield\",end\n"
                    "last,\"\"\n";
    REQUIRE(read_all(s, strlen(s), r, 8, lines) == 4);
    CHECK_EQ_INT(r[1].n, 2);
    CHECK_EQ_STR(r[1].f[0], "Kim, Ltd");
    CHECK_EQ_STR(r[1].f[1], "say \"hi\"");
    CHECK_EQ_INT(r[2].n, 2);
    CHECK_EQ_STR(r[2].f[0], "multi\nline\nfield");
    CHECK_EQ_STR(r[2].f[1], "end");
    CHECK_EQ_STR(r[3].f[0], "last");
    CHECK_EQ_STR(r[3].f[1], "");
    /* Line numbers are those where each record starts. */
    CHECK_EQ_INT(lines[0], 1);
    CHECK_EQ_INT(lines[1], 2);
    CHECK_EQ_INT(lines[2], 3);
    CHECK_EQ_INT(lines[3], 6);
}

TEST(csv_crlf_and_bom) {
    rec r[4];
    size_t lines[4];
    const char *s = "\xEF\xBB\xBFksic5,name\r\n01110,\"곡물\r\n재배\"\r\n02,x\r\n";
    REQUIRE(read_all(s, strlen(s), r, 4, lines) == 3);
    CHECK_EQ_STR(r[0].f[0], "ksic5"); /* BOM not part of the first name */
    CHECK_EQ_STR(r[0].f[1], "name");  /* no trailing CR */
    CHECK_EQ_STR(r[1].f[0], "01110");
    CHECK_EQ_STR(r[2].f[1], "x");
    CHECK_EQ_INT(lines[2], 4);
    /* A CR inside a quoted field is data. */
    CHECK_EQ_STR(r[1].f[1], "곡물\r\n재배");
}

TEST(csv_unterminated_quote_is_error) {
    rec r[4];
    const char *s = "a,b\n\"open,never closed\n";
    int rc = read_all(s, strlen(s), r, 4, NULL);
    CHECK(rc < 0);
    CHECK_EQ_INT(rc, IGC_EPARSE);
}

TEST(csv_col_finds_header_names) {
    const char *s = "\xEF\xBB\xBFuid,company,brn\n1,가나,123\n";
    igc_csv *c = NULL;
    REQUIRE(igc_csv_open_mem(s, strlen(s), &c) == 0);
    char **f;
    size_t nf;
    REQUIRE(igc_csv_next(c, &f, &nf) == 1);
    CHECK_EQ_INT(igc_csv_col(c, "uid"), 0);
    CHECK_EQ_INT(igc_csv_col(c, "company"), 1);
    CHECK_EQ_INT(igc_csv_col(c, "brn"), 2);
    CHECK_EQ_INT(igc_csv_col(c, "ceo"), -1);
    CHECK_EQ_INT(igc_csv_col(c, "Company"), -1);
    REQUIRE(igc_csv_next(c, &f, &nf) == 1);
    /* The header lookup still works after later records replaced the field buffer. */
    CHECK_EQ_INT(igc_csv_col(c, "brn"), 2);
    CHECK_EQ_STR(f[igc_csv_col(c, "company")], "가나");
    CHECK_EQ_INT(igc_csv_line(c), 2);
    CHECK_EQ_INT(igc_csv_next(c, &f, &nf), 0);
    CHECK_EQ_INT(igc_csv_next(c, &f, &nf), 0); /* stays at end */
    igc_csv_close(c);
    igc_csv_close(NULL);
}

TEST(csv_open_file) {
    REQUIRE(make_tmpdir());
    char path[512];
    snprintf(path, sizeof path, "%s/t.csv", tmpdir);
    const char *s = "\xEF\xBB\xBF" "code,name\r\n\"A1\",\"x,y\"\r\n";
    REQUIRE(igc_write_file_atomic(path, s, strlen(s)) == 0);
    igc_csv *c = NULL;
    REQUIRE(igc_csv_open(path, &c) == 0);
    char **f;
    size_t nf;
    REQUIRE(igc_csv_next(c, &f, &nf) == 1);
    CHECK_EQ_INT(igc_csv_col(c, "code"), 0);
    REQUIRE(igc_csv_next(c, &f, &nf) == 1);
    REQUIRE(nf == 2);
    CHECK_EQ_STR(f[0], "A1");
    CHECK_EQ_STR(f[1], "x,y");
    CHECK_EQ_INT(igc_csv_next(c, &f, &nf), 0);
    igc_csv_close(c);
    snprintf(path, sizeof path, "%s/none.csv", tmpdir);
    c = NULL;
    CHECK_EQ_INT(igc_csv_open(path, &c), IGC_ENOTFOUND);
}

/* Opening with required columns: indices in the asked order, the width a record
 * needs, and a missing column or a missing header refused with its name. */
TEST(csv_open_cols) {
    REQUIRE(make_tmpdir());
    char path[512];
    snprintf(path, sizeof path, "%s/cols.csv", tmpdir);
    const char *s = "a,b,c,d\n1,2,3,4\n";
    REQUIRE(igc_write_file_atomic(path, s, strlen(s)) == 0);
    static const char *const want[] = {"c", "a"};
    int cols[2] = {-9, -9};
    size_t width = 0;
    igc_csv *c = NULL;
    const char *missing = "x";
    REQUIRE(igc_csv_open_cols(path, want, 2, cols, &width, &c, &missing) == 0);
    CHECK_EQ_INT(cols[0], 2);
    CHECK_EQ_INT(cols[1], 0);
    CHECK(width == 3);
    CHECK(missing == NULL);
    char **f;
    size_t nf;
    REQUIRE(igc_csv_next(c, &f, &nf) == 1); /* the first record, not the header */
    CHECK_EQ_STR(f[cols[0]], "3");
    igc_csv_close(c);
    static const char *const bad[] = {"a", "zz"};
    c = NULL;
    CHECK_EQ_INT(igc_csv_open_cols(path, bad, 2, cols, NULL, &c, &missing), IGC_EPARSE);
    CHECK(c == NULL);
    CHECK(missing && strcmp(missing, "zz") == 0);
    snprintf(path, sizeof path, "%s/empty.csv", tmpdir);
    REQUIRE(igc_write_file_atomic(path, "", 0) == 0);
    CHECK_EQ_INT(igc_csv_open_cols(path, want, 2, cols, NULL, &c, NULL), IGC_EPARSE);
    snprintf(path, sizeof path, "%s/absent.csv", tmpdir);
    CHECK_EQ_INT(igc_csv_open_cols(path, want, 2, cols, NULL, &c, &missing), IGC_ENOTFOUND);
    CHECK(missing == NULL);
}

TEST(csv_field_quotes_when_needed) {
    igc_buf b = {0};
    CHECK_EQ_INT(igc_csv_field(&b, "plain 한글"), 0);
    CHECK_EQ_STR(b.data, "plain 한글");
    b.len = 0;
    igc_csv_field(&b, "a,b");
    CHECK_EQ_STR(b.data, "\"a,b\"");
    b.len = 0;
    igc_csv_field(&b, "say \"hi\"");
    CHECK_EQ_STR(b.data, "\"say \"\"hi\"\"\"");
    b.len = 0;
    igc_csv_field(&b, "two\nlines");
    CHECK_EQ_STR(b.data, "\"two\nlines\"");
    b.len = 0;
    igc_csv_field(&b, "cr\r");
    CHECK_EQ_STR(b.data, "\"cr\r\"");
    b.len = 0;
    igc_csv_field(&b, NULL);
    CHECK_EQ_INT(b.len, 0);
    igc_csv_field(&b, "");
    CHECK_EQ_INT(b.len, 0);
    igc_buf_free(&b);
}

TEST(csv_field_round_trips_through_reader) {
    static const char *vals[] = {"plain", "a,b", "\"", "say \"hi\", ok", "x\ny", "", "끝\r\n줄", "\"\""};
    const size_t n = sizeof vals / sizeof vals[0];
    igc_buf b = {0};
    for (int row = 0; row < 2; row++) {
        for (size_t i = 0; i < n; i++) {
            if (i) igc_buf_puts(&b, ",");
            REQUIRE(igc_csv_field(&b, vals[i]) == 0);
        }
        igc_buf_puts(&b, "\r\n");
    }
    igc_csv *c = NULL;
    REQUIRE(igc_csv_open_mem(b.data, b.len, &c) == 0);
    char **f;
    size_t nf;
    for (int row = 0; row < 2; row++) {
        REQUIRE(igc_csv_next(c, &f, &nf) == 1);
        CHECK_EQ_INT(nf, n);
        for (size_t i = 0; i < n && i < nf; i++) CHECK_EQ_STR(f[i], vals[i]);
    }
    CHECK_EQ_INT(igc_csv_next(c, &f, &nf), 0);
    igc_csv_close(c);
    igc_buf_free(&b);
}

/* The line of a quote left open is the line its record starts on (issue 12). */
TEST(csv_unterminated_quote_names_its_line) {
    const char *s = "a,b\n1,2\n3,\"open\nstill open\n5,6\n";
    igc_csv *c = NULL;
    REQUIRE(igc_csv_open_mem(s, strlen(s), &c) == 0);
    char **f;
    size_t nf;
    CHECK_EQ_INT(igc_csv_next(c, &f, &nf), 1);
    CHECK_EQ_INT(igc_csv_next(c, &f, &nf), 1);
    CHECK_EQ_INT(igc_csv_next(c, &f, &nf), IGC_EPARSE);
    CHECK_EQ_INT((int)igc_csv_line(c), 3);
    igc_csv_close(c);
}

/* ---- file encodings (issue 12: Excel in Korean saves CP949) ---- */

/* text converted from UTF-8 by iconv at test time, as Excel would save it */
static char *to_encoding(const char *enc, const char *utf8, size_t *len) {
    iconv_t cd = iconv_open(enc, "UTF-8");
    if (cd == (iconv_t)-1) return NULL;
    size_t in_left = strlen(utf8), cap = in_left * 4 + 8, out_left = cap;
    char *out = malloc(cap), *ip = (char *)utf8, *op = out;
    if (out && iconv(cd, &ip, &in_left, &op, &out_left) == (size_t)-1) {
        free(out);
        out = NULL;
    }
    iconv_close(cd);
    if (out) *len = cap - out_left;
    return out;
}

static const char korean_csv[] = "uid,company,main_product\n1,에이테크,리튬이온 이차전지 양극재\n2,똠방각하,체외진단 시약\n";

TEST(decode_keeps_utf8_and_drops_bom) {
    char *out;
    size_t n, line;
    const char *enc;
    CHECK_EQ_INT(igc_csv_decode(korean_csv, strlen(korean_csv), &out, &n, &enc, &line), 0);
    CHECK_EQ_STR(enc, "UTF-8");
    CHECK_EQ_INT((int)n, (int)strlen(korean_csv));
    CHECK_EQ_STR(out, korean_csv);
    free(out);
    igc_buf b = {0};
    igc_buf_puts(&b, "\xEF\xBB\xBF");
    igc_buf_puts(&b, korean_csv);
    CHECK_EQ_INT(igc_csv_decode(b.data, b.len, &out, &n, &enc, &line), 0);
    CHECK_EQ_STR(enc, "UTF-8");
    CHECK_EQ_STR(out, korean_csv);
    free(out);
    igc_buf_free(&b);
    CHECK_EQ_INT(igc_csv_decode("", 0, &out, &n, &enc, &line), 0);
    CHECK(out && n == 0 && out[0] == '\0');
    free(out);
}

TEST(decode_converts_cp949) {
    size_t len, n, line;
    /* 똠 is one of the syllables CP949 has and EUC-KR lacks */
    char *cp = to_encoding("CP949", korean_csv, &len);
    REQUIRE(cp);
    CHECK(!igc_utf8_valid(cp, len));
    char *out;
    const char *enc;
    CHECK_EQ_INT(igc_csv_decode(cp, len, &out, &n, &enc, &line), 0);
    CHECK_EQ_STR(enc, "CP949");
    CHECK(out && strcmp(out, korean_csv) == 0);
    free(out);
    /* and EUC-KR, its subset */
    size_t eklen;
    char *ek = to_encoding("EUC-KR", "회사,양극재\n", &eklen);
    REQUIRE(ek);
    CHECK_EQ_INT(igc_csv_decode(ek, eklen, &out, &n, &enc, &line), 0);
    CHECK(out && strcmp(out, "회사,양극재\n") == 0);
    free(out);
    free(ek);
    /* a byte that is neither, on the third line: refused, and the line named */
    char *nl = strchr(strchr(cp, '\n') + 1, '\n') + 1;
    nl[2] = (char)0xFF;
    out = (char *)1;
    CHECK_EQ_INT(igc_csv_decode(cp, len, &out, &n, &enc, &line), IGC_EUTF8);
    CHECK(out == NULL);
    CHECK_EQ_INT((int)line, 3);
    free(cp);
}

TEST(decode_refuses_what_is_not_text) {
    char *out;
    size_t n, line;
    const char *enc;
    /* a NUL: a UTF-16 file without its BOM, or not text at all */
    static const char nul[] = "a,b\n1,\0\n";
    CHECK_EQ_INT(igc_csv_decode(nul, sizeof nul - 1, &out, &n, &enc, &line), IGC_EUTF8);
    CHECK_EQ_INT((int)line, 2);
    /* a BOM says UTF-8: invalid bytes after it are not read as CP949 */
    static const char bom_bad[] = "\xEF\xBB\xBF" "a\n\xB0\xA1\n";
    CHECK_EQ_INT(igc_csv_decode(bom_bad, sizeof bom_bad - 1, &out, &n, &enc, &line), IGC_EUTF8);
    CHECK_EQ_INT((int)line, 2);
    /* a CP949 lead byte cut off by the end of the file */
    static const char cut[] = "a\n\xB0";
    CHECK_EQ_INT(igc_csv_decode(cut, sizeof cut - 1, &out, &n, &enc, &line), IGC_EUTF8);
    CHECK_EQ_INT((int)line, 2);
}

TEST(decode_converts_utf16_with_bom) {
    size_t len, n, line;
    char *u16 = to_encoding("UTF-16", korean_csv, &len); /* glibc writes a BOM */
    REQUIRE(u16);
    char *out;
    const char *enc;
    CHECK_EQ_INT(igc_csv_decode(u16, len, &out, &n, &enc, &line), 0);
    CHECK_EQ_STR(enc, "UTF-16");
    CHECK(out && strcmp(out, korean_csv) == 0);
    free(out);
    free(u16);
}

/* ---- 사업자등록번호 ---- */

static int brn_check_digit(const int d[9]) {
    static const int w[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
    int sum = 0;
    for (int k = 0; k < 9; k++) sum += d[k] * w[k];
    sum += (d[8] * 5) / 10;
    return (10 - sum % 10) % 10;
}

TEST(brn_known_number) {
    char out[11];
    /* A real, published number: 124-81-00998. */
    CHECK_EQ_INT(igc_brn_normalize("124-81-00998", out), 0);
    CHECK_EQ_STR(out, "1248100998");
    memset(out, 0, sizeof out);
    CHECK_EQ_INT(igc_brn_normalize("1248100998", out), 0);
    CHECK_EQ_STR(out, "1248100998");
    CHECK_EQ_INT(igc_brn_normalize("1248100997", out), IGC_EINVAL);
    /* all zeros pass the check digit but are no number */
    CHECK_EQ_INT(igc_brn_normalize("000-00-00000", out), IGC_EINVAL);
    CHECK_EQ_INT(igc_brn_normalize("0000000000", out), IGC_EINVAL);
}

TEST(parse_ll_whole_numbers_only) {
    long long n = -1;
    CHECK(igc_parse_ll("0", &n) == 0 && n == 0);
    CHECK(igc_parse_ll("3650", &n) == 0 && n == 3650);
    CHECK(igc_parse_ll("-2", &n) == 0 && n == -2);
    n = 7;
    CHECK_EQ_INT(igc_parse_ll("", &n), IGC_EINVAL);
    CHECK_EQ_INT(igc_parse_ll(NULL, &n), IGC_EINVAL);
    CHECK_EQ_INT(igc_parse_ll("abc", &n), IGC_EINVAL);
    CHECK_EQ_INT(igc_parse_ll("3x", &n), IGC_EINVAL);
    CHECK_EQ_INT(igc_parse_ll("2 ", &n), IGC_EINVAL);
    CHECK_EQ_INT(igc_parse_ll("99999999999999999999", &n), IGC_EINVAL);
    CHECK_EQ_INT((int)n, 7); /* untouched when refused */
}

TEST(brn_computed_numbers) {
    uint32_t seed = 12345;
    int accepted = 0;
    for (int t = 0; t < 300; t++) {
        int d[9];
        for (int k = 0; k < 9; k++) {
            seed = seed * 1103515245u + 12345u;
            d[k] = (int)((seed >> 16) % 10);
        }
        if (t < 10) d[8] = t; /* cover every value of the 9th digit, which has its own term */
        int cd = brn_check_digit(d);
        char bare[11], hy[13], out[11];
        for (int k = 0; k < 9; k++) bare[k] = (char)('0' + d[k]);
        bare[9] = (char)('0' + cd);
        bare[10] = '\0';
        snprintf(hy, sizeof hy, "%.3s-%.2s-%.5s", bare, bare + 3, bare + 5);
        memset(out, 'x', sizeof out);
        int rc1 = igc_brn_normalize(bare, out);
        CHECK_EQ_INT(rc1, 0);
        if (rc1 == 0) CHECK_EQ_STR(out, bare);
        memset(out, 'x', sizeof out);
        int rc2 = igc_brn_normalize(hy, out);
        CHECK_EQ_INT(rc2, 0);
        if (rc2 == 0) CHECK_EQ_STR(out, bare);
        accepted += rc1 == 0 && rc2 == 0;
        /* Every other check digit is refused. */
        for (int wrong = 0; wrong < 10; wrong++) {
            if (wrong == cd) continue;
            bare[9] = (char)('0' + wrong);
            CHECK_EQ_INT(igc_brn_normalize(bare, out), IGC_EINVAL);
        }
    }
    CHECK_EQ_INT(accepted, 300);
}

TEST(brn_rejects_bad_layouts) {
    char out[11];
    static const char *bad[] = {
        "",              "124810099",     "12481009980",  "124-8100998",   "12-481-00998",
        "1248-1-00998",  "124-81-0099-8", "124-81-00998-", "-124-81-00998", "124--8100998",
        "124 81 00998",  " 1248100998",  "1248100998 ",  "124.81.00998",  "12481OO998",
        "１２４８１００９９８", "124-81-00998\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (igc_brn_normalize(bad[i], out) != IGC_EINVAL) {
            fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
            CHECK(0);
        }
    }
    CHECK_EQ_INT(igc_brn_normalize(NULL, out), IGC_EINVAL);
}

/* ---- dates, hashes, misc ---- */

static void seoul_date(time_t t, char out[11]) {
    t += 9 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

TEST(today_seoul_is_utc_plus_9) {
    char before[11], after[11], got[11];
    seoul_date(time(NULL), before);
    igc_today_seoul(got);
    seoul_date(time(NULL), after);
    CHECK_EQ_INT(strlen(got), 10);
    CHECK(got[4] == '-' && got[7] == '-');
    CHECK(strcmp(got, before) == 0 || strcmp(got, after) == 0);
    /* Independent of the process time zone. */
    char *old = getenv("TZ") ? igc_strdup(getenv("TZ")) : NULL;
    setenv("TZ", "America/Los_Angeles", 1);
    tzset();
    seoul_date(time(NULL), before);
    igc_today_seoul(got);
    seoul_date(time(NULL), after);
    CHECK(strcmp(got, before) == 0 || strcmp(got, after) == 0);
    if (old) setenv("TZ", old, 1);
    else unsetenv("TZ");
    tzset();
    free(old);
}

TEST(iso_now_and_clock) {
    char iso[21];
    igc_iso_now(iso);
    CHECK_EQ_INT(strlen(iso), 20);
    CHECK(iso[4] == '-' && iso[7] == '-' && iso[10] == 'T' && iso[13] == ':' && iso[16] == ':' && iso[19] == 'Z');
    double a = igc_now_ms(), b = igc_now_ms();
    CHECK(a > 0);
    CHECK(b >= a);
}

/* The header promises FNV-1a: with seed 0 the published 64-bit test vectors
 * (offset basis 0xcbf29ce484222325) must come out. */
TEST(hash64_matches_fnv1a_vectors) {
    CHECK(igc_hash64("", 0, 0) == 0xcbf29ce484222325ULL);
    CHECK(igc_hash64("a", 1, 0) == 0xaf63dc4c8601ec8cULL);
    CHECK(igc_hash64("foobar", 6, 0) == 0x85944171f73967e8ULL);
}

TEST(hash64_properties) {
    CHECK(igc_hash64("한글", 6, 7) == igc_hash64("한글", 6, 7));
    CHECK(igc_hash64("한글", 6, 1) != igc_hash64("한글", 6, 2));
    CHECK(igc_hash64("ab", 2, 0) != igc_hash64("ba", 2, 0));
    CHECK(igc_hash64("a\0b", 3, 0) != igc_hash64("a", 1, 0));
}

TEST(strdup_copies) {
    CHECK(igc_strdup(NULL) == NULL);
    char src[] = "복사본";
    char *d = igc_strdup(src);
    REQUIRE(d != NULL);
    CHECK(d != src);
    CHECK_EQ_STR(d, src);
    free(d);
}

TEST(log_levels_do_not_crash) {
    igc_log_set_level(IGC_LOG_ERROR);
    igc_log(IGC_LOG_DEBUG, "hidden %d", 1);
    igc_log(IGC_LOG_ERROR, "test log line %s", "가나");
    igc_log(99, "out of range level %d", 99);
    igc_log_set_level(IGC_LOG_INFO);
    CHECK(1);
}


/* SHA-256 against the FIPS 180-4 examples (empty, "abc", two blocks, a million 'a'). */
/* Every index is done exactly once, whatever the thread count (more than the
 * items, more than IGC_PAR_MAX, one) and however many items (none, one, many). */
static void par_count(void *arg, size_t i) { __atomic_add_fetch(&((int *)arg)[i], 1, __ATOMIC_RELAXED); }

TEST(par_for_does_each_once) {
    static int seen[5000];
    const size_t sizes[] = {0, 1, 7, 5000};
    const int threads[] = {1, 2, 3, IGC_PAR_MAX + 5};
    CHECK(igc_par_threads() >= 1 && igc_par_threads() <= IGC_PAR_MAX);
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++) {
            memset(seen, 0, sizeof seen);
            igc_par_for(sizes[a], threads[b], par_count, seen);
            size_t wrong = 0;
            for (size_t i = 0; i < 5000; i++) wrong += seen[i] != (i < sizes[a]);
            CHECK_EQ_INT(wrong, 0);
        }
}

TEST(sha256_known_vectors) {
    char h[65];
    igc_sha256_hex("", 0, h);
    CHECK_EQ_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    igc_sha256_hex("abc", 3, h);
    CHECK_EQ_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    igc_sha256_hex(two, strlen(two), h);
    CHECK_EQ_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *m = malloc(1000000);
    REQUIRE(m);
    memset(m, 'a', 1000000);
    igc_sha256_hex(m, 1000000, h);
    CHECK_EQ_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(m);
    /* 55 and 56 bytes: from 56 on the length no longer fits the last block */
    char b[64];
    memset(b, 'x', sizeof b);
    igc_sha256_hex(b, 55, h);
    CHECK_EQ_STR(h, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
    igc_sha256_hex(b, 56, h);
    CHECK_EQ_STR(h, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
    igc_sha256_hex(b, 63, h);
    CHECK_EQ_STR(h, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2");
    igc_sha256_hex(b, 64, h);
    CHECK_EQ_STR(h, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

/* Random ids: the requested length, hex, and not the same twice. */
TEST(random_hex_differs) {
    char a[65], b[65];
    CHECK_EQ_INT(igc_random_hex(16, a), 0);
    CHECK_EQ_INT(igc_random_hex(16, b), 0);
    CHECK_EQ_INT((int)strlen(a), 32);
    CHECK(strspn(a, "0123456789abcdef") == 32);
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_INT(igc_random_hex(65, a), IGC_EINVAL);
    CHECK(igc_const_eq("abc", "abc") && !igc_const_eq("abc", "abd") && !igc_const_eq("abc", "ab"));
}

IGC_TEST_MAIN(TEST_ENTRY(par_for_does_each_once), TEST_ENTRY(sha256_known_vectors), TEST_ENTRY(random_hex_differs), TEST_ENTRY(errors_have_distinct_codes), TEST_ENTRY(unknown_error_is_never_null),
              TEST_ENTRY(mask_keeps_first_character), TEST_ENTRY(mask_respects_output_size),
              TEST_ENTRY(strlcpy_as_snprintf), TEST_ENTRY(buf_grows_and_stays_terminated), TEST_ENTRY(buf_puts_printf_binary),
              TEST_ENTRY(utf8_valid_accepts_well_formed), TEST_ENTRY(utf8_valid_rejects_malformed),
              TEST_ENTRY(utf8_decode_lengths_and_values), TEST_ENTRY(utf8_encode_round_trips),
              TEST_ENTRY(utf8_len_counts_code_points), TEST_ENTRY(blank_detects_whitespace_only), TEST_ENTRY(no_content_is_marks_only),
              TEST_ENTRY(trim_ascii_ideographic_and_nbsp), TEST_ENTRY(write_atomic_then_read_back),
              TEST_ENTRY(read_empty_file), TEST_ENTRY(file_errors), TEST_ENTRY(csv_simple_records),
              TEST_ENTRY(csv_no_trailing_newline), TEST_ENTRY(csv_quotes_doubled_quotes_newlines),
              TEST_ENTRY(csv_crlf_and_bom), TEST_ENTRY(csv_unterminated_quote_is_error),
              TEST_ENTRY(csv_col_finds_header_names), TEST_ENTRY(csv_open_file), TEST_ENTRY(csv_open_cols),
              TEST_ENTRY(csv_field_quotes_when_needed), TEST_ENTRY(csv_field_round_trips_through_reader),
              TEST_ENTRY(csv_unterminated_quote_names_its_line), TEST_ENTRY(decode_keeps_utf8_and_drops_bom),
              TEST_ENTRY(decode_converts_cp949), TEST_ENTRY(decode_refuses_what_is_not_text),
              TEST_ENTRY(decode_converts_utf16_with_bom),
              TEST_ENTRY(brn_known_number), TEST_ENTRY(parse_ll_whole_numbers_only), TEST_ENTRY(brn_computed_numbers), TEST_ENTRY(brn_rejects_bad_layouts),
              TEST_ENTRY(today_seoul_is_utc_plus_9), TEST_ENTRY(iso_now_and_clock), TEST_ENTRY(hash64_matches_fnv1a_vectors),
              TEST_ENTRY(hash64_properties),
              TEST_ENTRY(strdup_copies), TEST_ENTRY(log_levels_do_not_crash))
