/*
 * Fuzz target: the CSV reader (igc_csv: RFC 4180 quoting, CP949 / UTF-16
 * detection in igc_csv_decode) and the company-file reader over it
 * (igc_rows: headers in English or the screen's Korean labels, labelled
 * files). Any bytes end in rows or a Korean message naming the line, never a
 * crash or a field that runs past its row.
 * libFuzzer: scripts/fuzz.sh csv [SECONDS]; seeds in tests/fuzz/corpus/csv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igc_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) {
        igc_log_set_level(IGC_LOG_ERROR + 1);
        snprintf(path, sizeof path, "/tmp/igc-fuzz-csv-%d.csv", (int)getpid());
    }
    /* the raw reader */
    igc_csv *c = NULL;
    if (igc_csv_open_mem((const char *)data, size, &c) == 0) {
        char **f;
        size_t nf, rows = 0;
        int rc;
        while ((rc = igc_csv_next(c, &f, &nf)) == 1 && rows++ < 100000)
            for (size_t i = 0; i < nf; i++)
                if (!f[i]) abort();
        (void)igc_csv_col(c, "company");
        igc_csv_close(c);
    }
    /* the encoding detection */
    char *out = NULL;
    size_t outlen = 0, bad = 0;
    const char *enc = NULL;
    if (igc_csv_decode((const char *)data, size, &out, &outlen, &enc, &bad) == 0) {
        if (!out || strlen(out) != outlen || !igc_utf8_valid(out, outlen)) abort();
    }
    free(out);
    /* the company-file reader, which works on files */
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    igc_rows *r = NULL;
    igc_buf err = {0};
    if (igc_rows_open_msg(path, &r, &err) == 0) {
        igc_row row;
        size_t n = 0;
        while (igc_rows_next(r, &row) == 1 && n++ < 100000)
            if (!row.in.company_name || !row.uid || !row.labels[0]) abort();
        igc_rows_close(r);
    } else if (!err.data || !*err.data) {
        abort(); /* every refusal says why */
    }
    igc_buf_free(&err);
    unlink(path);
    return 0;
}
