/* Reading company files: the columns of the examiners' screen plus, in labelled
 * files, the examiners' labels (../shared/data/labeled format). */
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"

enum { C_UID, C_COMPANY, C_BRN, C_CEO, C_KSIC, C_KSIC_NAME, C_PRODUCT, C_USE, C_TECH_NAME, C_TECH_CLASS, C_L1,
       C_L2, C_L3, C_NONE, C_CONF, C_N };
static const char *const cols[C_N] = {"uid",          "company",     "brn",          "ceo",
                                      "ksic_code",    "ksic_name",   "main_product", "product_use",
                                      "tech_business_name", "tech_class", "label1", "label2",
                                      "label3",       "none_reason", "confidence"};

struct igc_rows {
    igc_csv *csv;
    int ci[C_N];
    char ksic[16];
};

int igc_rows_open(const char *path, igc_rows **out) {
    *out = NULL;
    igc_rows *r = calloc(1, sizeof *r);
    if (!r) return IGC_ENOMEM;
    char **f;
    size_t nf;
    int rc = igc_csv_open(path, &r->csv);
    if (!rc) {
        rc = igc_csv_next(r->csv, &f, &nf); /* the header */
        rc = rc == 1 ? 0 : rc < 0 ? rc : IGC_EPARSE;
    }
    if (!rc) {
        for (int i = 0; i < C_N; i++) r->ci[i] = igc_csv_col(r->csv, cols[i]);
        if (r->ci[C_UID] < 0) {
            igc_log(IGC_LOG_ERROR, "%s: no 'uid' column in the header", path);
            rc = IGC_EPARSE;
        }
    }
    if (rc) {
        igc_rows_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int igc_rows_labelled(const igc_rows *r) { return r->ci[C_L1] >= 0; }

int igc_rows_next(igc_rows *r, igc_row *row) {
    char **f;
    size_t nf;
    int rc = igc_csv_next(r->csv, &f, &nf);
    if (rc != 1) return rc;
    const char *v[C_N];
    for (int i = 0; i < C_N; i++) v[i] = r->ci[i] >= 0 && (size_t)r->ci[i] < nf ? f[r->ci[i]] : "";
    /* Historical records list several codes ("739;7390"): the first one is the main one. */
    snprintf(r->ksic, sizeof r->ksic, "%.*s", (int)strcspn(v[C_KSIC], ";"), v[C_KSIC]);
    *row = (igc_row){.uid = v[C_UID], .brn = v[C_BRN], .ceo = v[C_CEO],
                     .in = {v[C_COMPANY], r->ksic, v[C_KSIC_NAME], v[C_PRODUCT], v[C_USE], v[C_TECH_NAME],
                            v[C_TECH_CLASS]},
                     .labels = {v[C_L1], v[C_L2], v[C_L3]}, .none_reason = v[C_NONE], .confidence = v[C_CONF],
                     .line = igc_csv_line(r->csv)};
    return 1;
}

void igc_rows_close(igc_rows *r) {
    if (!r) return;
    igc_csv_close(r->csv);
    free(r);
}
