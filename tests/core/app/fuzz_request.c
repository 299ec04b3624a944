/*
 * Fuzz target: request validation (igc_req_from_body), the function every
 * classify and save body goes through, strict (the API) and lenient (the
 * batch tool), against the real KSIC tables. Any bytes must end in a request
 * whose 사업자등록번호 checks out, or in an error with a status, a stable code
 * and a Korean message: never a crash.
 * libFuzzer: scripts/fuzz.sh request [SECONDS]; seeds in tests/fuzz/corpus/request.
 */
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"

static igc_app app;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!app.ksic) {
        igc_log_set_level(IGC_LOG_ERROR);
        const char *dir = getenv("IGC_DATA") ? getenv("IGC_DATA") : IGC_TEST_DATA_DIR;
        if (igc_ksic_load(dir, &app.ksic)) abort();
    }
    for (int strict = 1; strict >= 0; strict--) {
        igc_req r;
        cJSON *doc = NULL;
        igc_verr e;
        int rc = igc_req_from_body(&app, (const char *)data, size, strict, &r, &doc, &e);
        if (rc == 0) {
            if (r.brn10[0] && (strlen(r.brn10) != 10 || strspn(r.brn10, "0123456789") != 10)) abort();
            if (strict && (!r.company_name || !r.company_name[0] || !r.ksic_code)) abort();
            cJSON *co = igc_req_company_json(&r), *te = igc_req_tech_json(&r);
            char *t = cJSON_PrintUnformatted(te);
            if (!co || !te || !t) abort();
            free(t);
            cJSON_Delete(co);
            cJSON_Delete(te);
            igc_req_free(&r);
        } else {
            unsigned char hangul = 0;
            for (const unsigned char *p = (const unsigned char *)e.message; *p; p++) hangul |= *p >= 0xEA && *p <= 0xED;
            if (e.status < 400 || e.status > 599 || !e.code || !*e.code || !hangul) abort();
        }
        cJSON_Delete(doc);
    }
    return 0;
}
