/* Reading company files: the columns of the examiners' screen plus, in labelled
 * files, the examiners' labels (../shared/data/labeled format). Files come from
 * people: Excel in Korean saves CP949 and Korean headers, hand-edited files have
 * misspelled columns and broken quotes. Whatever is read is UTF-8 and in the right
 * column, or the file is refused with its line and a Korean message; never mojibake. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"

enum { C_UID, C_COMPANY, C_BRN, C_CEO, C_KSIC, C_KSIC_NAME, C_PRODUCT, C_USE, C_TECH_NAME, C_TECH_CLASS, C_L1,
       C_L2, C_L3, C_NONE, C_CONF, C_SIDO, C_SIGUNGU, C_N };
static const char *const cols[C_N] = {"uid",          "company",     "brn",          "ceo",
                                      "ksic_code",    "ksic_name",   "main_product", "product_use",
                                      "tech_business_name", "tech_class", "label1", "label2",
                                      "label3",       "none_reason", "confidence", "sido", "sigungu"};
/* The labels of the input screen (http/static/index.html), accepted as headers. */
static const char *const cols_ko[C_N] = {NULL,       "기업명",   "사업자등록번호", "대표자명", "업종코드",
                                         "업종명",   "주요제품", "제품용도",       "기술사업명", "기술분류",
                                         [C_SIDO] = "광역", [C_SIGUNGU] = "시군구"};
/* Columns of the labelled files that are known and not read. */
static const char *const cols_ignored[] = {"evidence"};

struct igc_rows {
    char *text;         /* the file as UTF-8 */
    size_t nrows;       /* records after the header, blank ones left out */
    int log_errors;     /* opened by igc_rows_open: failures go to the log */
    igc_csv *csv;
    const char *path;   /* for messages; the caller's string */
    int ci[C_N];
    size_t ncols;       /* header width */
    char ksic[16];
    char uid[24];       /* the line number, when the file has no uid column */
    char err[1024];     /* the last failure, Korean, with its line and code */
};

__attribute__((format(printf, 4, 5))) static void set_err(igc_rows *r, size_t line, const char *code,
                                                          const char *fmt, ...) {
    char what[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (line) snprintf(r->err, sizeof r->err, "%s %zu번째 줄: %s (%s)", r->path, line, what, code);
    else snprintf(r->err, sizeof r->err, "%s: %s (%s)", r->path, what, code);
}

/* A header cell as it is compared: ASCII spaces and '*' dropped, a trailing
 * "(...)" dropped ("업종코드 (KSIC)"), ASCII lower-cased. */
static void header_key(const char *h, char *out, size_t outsz) {
    size_t o = 0;
    for (const char *p = h; *p && o + 1 < outsz; p++)
        if (*p != ' ' && *p != '\t' && *p != '*') out[o++] = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
    out[o] = '\0';
    char *open = strrchr(out, '(');
    if (open && open > out && o && out[o - 1] == ')') *open = '\0';
}

static int column_of(const char *key) {
    for (int i = 0; i < C_N; i++)
        if (strcmp(key, cols[i]) == 0 || (cols_ko[i] && strcmp(key, cols_ko[i]) == 0)) return i;
    return -1;
}

static void expected_columns(igc_buf *b) {
    for (int i = 0; i <= C_TECH_CLASS; i++) {
        igc_buf_puts(b, i ? ", " : "");
        igc_buf_puts(b, cols[i]);
        if (cols_ko[i]) igc_buf_printf(b, "(%s)", cols_ko[i]);
    }
    igc_buf_puts(b, ", sido(광역), sigungu(시군구) (과거 판별 파일에는 label1, label2, label3, none_reason, confidence도)");
}

/* Maps the header's cells to columns; warns about the ones it does not know.
 * 0, or IGC_EPARSE with r->err set when nothing the engine reads is there. */
static int map_header(igc_rows *r, char **f, size_t nf) {
    for (int i = 0; i < C_N; i++) r->ci[i] = -1;
    r->ncols = nf;
    igc_buf unknown = {0}, exp = {0};
    for (size_t j = 0; j < nf; j++) {
        char key[128];
        header_key(f[j], key, sizeof key);
        int c = column_of(key);
        int ignored = 0;
        for (size_t k = 0; k < sizeof cols_ignored / sizeof *cols_ignored; k++) ignored |= strcmp(key, cols_ignored[k]) == 0;
        if (c >= 0 && r->ci[c] < 0) {
            r->ci[c] = (int)j;
        } else if (!ignored && (key[0] || j + 1 < nf)) {
            igc_buf_printf(&unknown, "%s'%s'%s", unknown.len ? ", " : "", f[j], c >= 0 ? "(중복)" : "");
        }
    }
    int usable = 0;
    for (int i = C_COMPANY; i <= C_TECH_CLASS; i++) usable |= r->ci[i] >= 0 && i != C_BRN && i != C_CEO;
    expected_columns(&exp);
    int rc = 0;
    if (!usable) {
        igc_buf got = {0};
        for (size_t j = 0; j < nf && got.len < 200; j++) igc_buf_printf(&got, "%s%s", j ? ", " : "", f[j]);
        char what[400];
        snprintf(what, sizeof what, "첫 줄(머리글)에서 읽을 열을 찾지 못했습니다 (머리글: %.150s). 머리글에 쓸 수 있는 열: ",
                 got.data ? got.data : "");
        int tabs = got.data && strchr(got.data, '\t') != NULL;
        igc_buf_free(&got);
        if (tabs) /* Excel's "텍스트(탭으로 분리)" / "유니코드 텍스트": a header read as one cell */
            set_err(r, 1, "tab_separated",
                    "열이 쉼표가 아닌 탭으로 나뉘어 있습니다. 엑셀에서 'CSV UTF-8(쉼표로 분리)' 또는 'CSV(쉼표로 분리)'로 "
                    "다시 저장하십시오");
        else
            snprintf(r->err, sizeof r->err, "%s 1번째 줄: %s%.*s (no_known_columns)", r->path, what,
                     (int)(sizeof r->err / 2), exp.data);
        rc = IGC_EPARSE;
    } else if (r->ci[C_L1] >= 0 && r->ci[C_UID] < 0) {
        /* a past judgment is stored under its uid: re-importing must replace, not add */
        set_err(r, 1, "missing_uid", "과거 판별 파일(label1 열)에는 uid 열이 있어야 합니다");
        rc = IGC_EPARSE;
    } else {
        if (unknown.len)
            igc_log(IGC_LOG_WARN, "%s: 알 수 없는 열은 읽지 않습니다 / unknown columns ignored: %s. 쓸 수 있는 열: %s", r->path,
                    unknown.data, exp.data);
        if (r->ci[C_UID] < 0)
            igc_log(IGC_LOG_WARN, "%s: uid 열이 없어 줄 번호를 uid로 씁니다 / no uid column: rows are named by their line",
                    r->path);
        /* a column the classification reads, missing: every row is judged as if it were blank */
        igc_buf missing = {0};
        for (int i = C_KSIC; i <= C_TECH_CLASS; i++)
            if (r->ci[i] < 0) igc_buf_printf(&missing, "%s%s(%s)", missing.len ? ", " : "", cols_ko[i], cols[i]);
        if (missing.len)
            igc_log(IGC_LOG_WARN, "%s: 분류에 쓰는 열이 없어 모든 행에서 빈 값으로 봅니다 / columns missing, read as blank: %s",
                    r->path, missing.data);
        igc_buf_free(&missing);
    }
    igc_buf_free(&unknown);
    igc_buf_free(&exp);
    return rc;
}

/* The first U+FFFD (a character already lost) or C1 control (UTF-8 read as Latin-1)
 * of valid UTF-8 text, as an offset; len when there is none. */
static size_t garbled_at(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i + 1 < len; i++) {
        if (u[i] == 0xC2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F) return i;
        if (u[i] == 0xEF && i + 2 < len && u[i + 1] == 0xBF && u[i + 2] == 0xBD) return i;
    }
    return len;
}

static int decode(igc_rows *r) {
    char *raw;
    size_t len, tlen, bad_line;
    const char *enc;
    int rc = igc_read_file(r->path, &raw, &len);
    if (rc) {
        set_err(r, 0, rc == IGC_ENOTFOUND ? "not_found" : "io_error", "%s",
                rc == IGC_ENOTFOUND ? "파일이 없습니다" : "파일을 읽을 수 없습니다");
        return rc;
    }
    rc = igc_csv_decode(raw, len, &r->text, &tlen, &enc, &bad_line);
    free(raw);
    if (rc == IGC_EUTF8) {
        set_err(r, bad_line, "invalid_encoding",
                "UTF-8로도 CP949(EUC-KR)로도 읽을 수 없는 글자가 있습니다. 엑셀에서 'CSV UTF-8(쉼표로 분리)'로 다시 "
                "저장해 주세요");
        return rc;
    }
    if (rc == IGC_EUNSUP) {
        set_err(r, 0, "invalid_encoding", "UTF-8이 아닌데 CP949 변환기(iconv)를 쓸 수 없어 읽지 못했습니다");
        return rc;
    }
    if (rc) return rc;
    size_t at = garbled_at(r->text, tlen);
    if (at < tlen) {
        size_t line = 1;
        for (size_t i = 0; i < at; i++) line += r->text[i] == '\n';
        set_err(r, line, "garbled_text",
                "깨진 글자(U+FFFD 또는 제어 문자)가 있습니다. 다른 인코딩으로 잘못 저장된 파일입니다. 원본을 'CSV "
                "UTF-8'로 다시 저장해 주세요");
        return IGC_EUTF8;
    }
    if (strcmp(enc, "UTF-8") != 0)
        igc_log(IGC_LOG_WARN, "%s: %s 인코딩으로 읽어 UTF-8로 바꿨습니다 / read as %s and converted to UTF-8", r->path, enc,
                enc);
    return igc_csv_open_mem(r->text, tlen, &r->csv);
}

static void csv_err(igc_rows *r, int rc) {
    if (rc == IGC_EPARSE)
        set_err(r, igc_csv_line(r->csv), "malformed_csv",
                "따옴표(\")로 시작한 값이 파일 끝까지 닫히지 않았습니다. 값 안의 따옴표는 두 번(\"\") 써야 합니다");
    else set_err(r, igc_csv_line(r->csv), igc_errcode(rc), "%s", igc_strerror(rc));
}

/* Reads every record once, so that a broken file is refused before anything is
 * classified or imported (all or nothing), and counts them. */
static int check_records(igc_rows *r) {
    igc_row row;
    int rc;
    while ((rc = igc_rows_next(r, &row)) == 1) r->nrows++;
    igc_csv_close(r->csv);
    r->csv = NULL;
    if (rc < 0) return rc;
    char **f;
    size_t nf;
    size_t len = strlen(r->text);
    if ((rc = igc_csv_open_mem(r->text, len, &r->csv))) return rc;
    return igc_csv_next(r->csv, &f, &nf) == 1 ? 0 : IGC_EPARSE; /* past the header again */
}

int igc_rows_open_msg(const char *path, igc_rows **out, igc_buf *err) {
    *out = NULL;
    igc_rows *r = calloc(1, sizeof *r);
    if (!r) return IGC_ENOMEM;
    r->path = path;
    char **f;
    size_t nf;
    int rc = decode(r);
    if (!rc) {
        rc = igc_csv_next(r->csv, &f, &nf); /* the header */
        if (rc == 0) set_err(r, 0, "empty_file", "빈 파일입니다. 첫 줄에 머리글이 있어야 합니다");
        if (rc < 0) csv_err(r, rc);
        rc = rc == 1 ? 0 : rc < 0 ? rc : IGC_EPARSE;
    }
    if (!rc) rc = map_header(r, f, nf);
    if (!rc) rc = check_records(r);
    if (rc) {
        if (err) igc_buf_puts(err, r->err[0] ? r->err : igc_strerror(rc));
        igc_rows_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int igc_rows_open(const char *path, igc_rows **out) {
    igc_buf err = {0};
    int rc = igc_rows_open_msg(path, out, &err);
    if (rc) igc_log(IGC_LOG_ERROR, "%s", err.data ? err.data : igc_strerror(rc));
    else (*out)->log_errors = 1;
    igc_buf_free(&err);
    return rc;
}

size_t igc_rows_count(const igc_rows *r) { return r->nrows; }

int igc_rows_labelled(const igc_rows *r) { return r->ci[C_L1] >= 0; }

const char *igc_rows_error(const igc_rows *r) { return r->err; }

int igc_rows_next(igc_rows *r, igc_row *row) {
    char **f;
    size_t nf;
    int rc;
    for (;;) {
        rc = igc_csv_next(r->csv, &f, &nf);
        if (rc < 0) {
            csv_err(r, rc);
            if (r->log_errors) igc_log(IGC_LOG_ERROR, "%s", r->err);
        }
        if (rc != 1) return rc;
        size_t filled = 0;
        for (size_t i = 0; i < nf; i++) filled += f[i][0] != '\0';
        if (!filled) continue; /* a blank line, or Excel's ",,,," */
        /* values past the header: an unquoted comma moved every later value one column */
        for (size_t i = r->ncols; i < nf; i++) {
            if (!f[i][0]) continue;
            set_err(r, igc_csv_line(r->csv), "too_many_fields",
                    "값이 %zu개로 머리글의 열 %zu개보다 많습니다. 쉼표(,)가 든 값은 따옴표(\")로 감싸야 합니다", nf, r->ncols);
            if (r->log_errors) igc_log(IGC_LOG_ERROR, "%s", r->err);
            return IGC_EPARSE;
        }
        break;
    }
    const char *v[C_N];
    for (int i = 0; i < C_N; i++) v[i] = r->ci[i] >= 0 && (size_t)r->ci[i] < nf ? f[r->ci[i]] : "";
    if (r->ci[C_UID] < 0) {
        snprintf(r->uid, sizeof r->uid, "%zu", igc_csv_line(r->csv));
        v[C_UID] = r->uid;
    }
    /* Historical records list several codes ("739;7390"): the first one is the main one. */
    snprintf(r->ksic, sizeof r->ksic, "%.*s", (int)strcspn(v[C_KSIC], ";"), v[C_KSIC]);
    *row = (igc_row){.uid = v[C_UID], .brn = v[C_BRN], .ceo = v[C_CEO],
                     .in = {v[C_COMPANY], r->ksic, v[C_KSIC_NAME], v[C_PRODUCT], v[C_USE], v[C_TECH_NAME],
                            v[C_TECH_CLASS]},
                     .labels = {v[C_L1], v[C_L2], v[C_L3]}, .none_reason = v[C_NONE], .confidence = v[C_CONF],
                     .sido = v[C_SIDO], .sigungu = v[C_SIGUNGU],
                     .line = igc_csv_line(r->csv)};
    return 1;
}

void igc_rows_close(igc_rows *r) {
    if (!r) return;
    igc_csv_close(r->csv);
    free(r->text);
    free(r);
}
