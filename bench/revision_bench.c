/* igc-revision-bench: the cost of switching revisions with N stored past judgments.
 *
 *   igc-revision-bench --exemplars N [--revision FILE --crosswalk FILE] [--no-reclassify]
 *
 * Fills a fresh store (a temporary directory) with N past judgments under the revision
 * the service starts with: the rows of labeled/history.csv, then synthetic ones that
 * recombine the product text of two history rows with the same label. Opens the app
 * over it as igcd does (all exemplars in the engine), then measures: staging the new
 * revision (check, dictionary carried over, engine built with every judgment seen
 * through the crosswalk) and its activation, with the peak memory of the process; then
 * the re-classification job over every stored judgment (all cores). Prints a table and
 * one JSON line. Default revision: <data>/taxonomy/igc-v7-draft.json with
 * crosswalk-v6-v7.csv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "igc_app.h"

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Current resident memory in KiB (from /proc). */
static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f && fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    if (f) fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

typedef struct {
    char *uid, *json, *label, *product;
} hrow;

static int fill_store(const char *db, const char *history, size_t want, size_t *n_out) {
    igc_rows *rows;
    if (igc_rows_open(history, &rows)) return -1;
    hrow *h = NULL;
    size_t nh = 0, cap = 0;
    igc_row r;
    while (igc_rows_next(rows, &r) == 1) {
        if (nh == cap) {
            cap = cap ? cap * 2 : 1024;
            h = realloc(h, cap * sizeof *h);
        }
        cJSON *o = igc_exemplar_json(r.uid, &r.in, r.labels, r.none_reason, r.confidence, "history");
        h[nh].uid = igc_strdup(r.uid);
        h[nh].json = cJSON_PrintUnformatted(o);
        h[nh].label = igc_strdup(r.labels[0] ? r.labels[0] : "");
        h[nh].product = igc_strdup(r.in.main_product ? r.in.main_product : "");
        cJSON_Delete(o);
        nh++;
    }
    igc_rows_close(rows);
    igc_store *s;
    int rc = igc_store_open(db, 4096, &s);
    if (rc) return rc;
    enum { CHUNK = 2000 };
    char *keys[CHUNK], *docs[CHUNK];
    size_t k = 0, n = 0;
    unsigned long seed = 12345;
    for (size_t i = 0; i < want && !rc; i++) {
        const hrow *a = &h[i % nh];
        char key[320];
        if (i < nh) {
            snprintf(key, sizeof key, "hist:%s", a->uid);
            docs[k] = igc_strdup(a->json);
        } else {
            /* another row with the same label, found by a short random walk */
            const hrow *b = a;
            for (int t = 0; t < 50; t++) {
                seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                const hrow *c = &h[(seed >> 33) % nh];
                if (c != a && strcmp(c->label, a->label) == 0) {
                    b = c;
                    break;
                }
            }
            snprintf(key, sizeof key, "bench:%zu", i);
            cJSON *o = cJSON_Parse(a->json);
            char prod[4096];
            snprintf(prod, sizeof prod, "%s, %s", a->product, b->product);
            cJSON_ReplaceItemInObject(o, "main_product", cJSON_CreateString(prod));
            cJSON_ReplaceItemInObject(o, "uid", cJSON_CreateString(key));
            docs[k] = cJSON_PrintUnformatted(o);
            cJSON_Delete(o);
        }
        keys[k] = igc_strdup(key);
        k++;
        if (k == CHUNK || i + 1 == want) {
            rc = igc_store_exemplar_put_many(s, (const char *const *)keys, (const char *const *)docs, k);
            for (size_t q = 0; q < k; q++) free(keys[q]), free(docs[q]);
            n += k;
            k = 0;
        }
    }
    igc_store_close(s);
    for (size_t i = 0; i < nh; i++) free(h[i].uid), free(h[i].json), free(h[i].label), free(h[i].product);
    free(h);
    *n_out = n;
    return rc;
}

int main(int argc, char **argv) {
    igc_config cfg;
    igc_config_init(&cfg);
    size_t want = 2000;
    const char *rev = NULL, *cwf = NULL;
    int reclassify = 1;
    igc_buf err = {0};
    for (int i = 1; i < argc;) {
        int rc = igc_config_option(&cfg, argc, argv, &i, &err);
        if (rc < 0) return fprintf(stderr, "igc-revision-bench: %s\n", err.data), 2;
        if (rc == 1) continue;
        if (strcmp(argv[i], "--exemplars") == 0 && i + 1 < argc) want = strtoul(argv[i + 1], NULL, 10), i += 2;
        else if (strcmp(argv[i], "--revision") == 0 && i + 1 < argc) rev = argv[i + 1], i += 2;
        else if (strcmp(argv[i], "--crosswalk") == 0 && i + 1 < argc) cwf = argv[i + 1], i += 2;
        else if (strcmp(argv[i], "--no-reclassify") == 0) reclassify = 0, i++;
        else return fprintf(stderr, "igc-revision-bench: unknown option %s\n", argv[i]), 2;
    }
    char revp[PATH_MAX + 64], cwp[PATH_MAX + 64], hist[PATH_MAX + 64];
    snprintf(revp, sizeof revp, "%s", rev ? rev : "");
    snprintf(cwp, sizeof cwp, "%s", cwf ? cwf : "");
    if (!rev) snprintf(revp, sizeof revp, "%s/taxonomy/igc-v7-draft.json", cfg.data_dir);
    if (!cwf) snprintf(cwp, sizeof cwp, "%s/taxonomy/crosswalk-v6-v7.csv", cfg.data_dir);
    snprintf(hist, sizeof hist, "%s/labeled/history.csv", cfg.data_dir);
    char tmpl[] = "/tmp/igc-revbench-XXXXXX";
    if (!mkdtemp(tmpl)) return perror("mkdtemp"), 1;
    snprintf(cfg.db_dir, sizeof cfg.db_dir, "%s/db", tmpl);
    snprintf(cfg.lexicon_dir, sizeof cfg.lexicon_dir, "%s/lexicon", tmpl);
    cfg.map_mb = 4096;
    cfg.log_level = IGC_LOG_WARN;
    size_t stored = 0;
    if (mkdir(cfg.db_dir, 0700) || fill_store(cfg.db_dir, hist, want, &stored)) {
        fprintf(stderr, "igc-revision-bench: cannot fill the store\n");
        return 1;
    }
    double t0 = igc_now_ms();
    igc_app app;
    if (igc_app_open(&app, &cfg, IGC_APP_STORE | IGC_APP_EXEMPLARS, &err)) {
        fprintf(stderr, "igc-revision-bench: %s\n", err.data);
        return 1;
    }
    double open_ms = igc_now_ms() - t0;
    long rss_open = rss_kb();
    char *txt, *csv;
    size_t tl, cl;
    if (igc_read_file(revp, &txt, &tl) || igc_read_file(cwp, &csv, &cl)) return fprintf(stderr, "cannot read the revision\n"), 1;
    t0 = igc_now_ms();
    cJSON *report = NULL;
    igc_taxonomy *tx;
    igc_crosswalk *cw;
    int rc = igc_app_revision_check(&app, txt, tl, csv, cl, &report, &tx, &cw);
    double check_ms = igc_now_ms() - t0;
    if (rc) return fprintf(stderr, "the revision does not check: %s\n", igc_strerror(rc)), 1;
    char ver[64];
    snprintf(ver, sizeof ver, "%s", tx->version);
    t0 = igc_now_ms();
    rc = igc_app_revision_stage(&app, NULL, tx, cw, report);
    double stage_ms = igc_now_ms() - t0;
    t0 = igc_now_ms();
    if (!rc) rc = igc_app_revision_activate(&app, ver);
    double activate_ms = igc_now_ms() - t0;
    if (rc) return fprintf(stderr, "staging failed: %s\n", igc_strerror(rc)), 1;
    long peak_stage = peak_rss_kb();
    size_t in_engine = igc_engine_exemplar_count(app.engine);
    double reclass_ms = 0, per_s = 0;
    size_t done = 0;
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    if (reclassify) {
        char id[32];
        t0 = igc_now_ms();
        rc = igc_reclass_start(&app, 0, 0, NULL, NULL, id);
        reclass_ms = igc_now_ms() - t0;
        cJSON *job = igc_reclass_json(&app, id);
        done = (size_t)cJSON_GetNumberValue(cJSON_GetObjectItem(job, "done"));
        cJSON_Delete(job);
        per_s = reclass_ms > 0 ? 1000.0 * (double)done / reclass_ms : 0;
    }
    long peak_all = peak_rss_kb();
    printf("stored judgments      %zu\n", stored);
    printf("open (v6 engine)      %.0f ms, resident %.1f MiB\n", open_ms, rss_open / 1024.0);
    printf("check                 %.0f ms\n", check_ms);
    printf("stage (build aside)   %.0f ms (%zu judgments in the new engine)\n", stage_ms, in_engine);
    printf("activate (swap)       %.3f ms\n", activate_ms);
    printf("peak memory           %.1f MiB after staging (both revisions held), %.1f MiB at the end\n",
           peak_stage / 1024.0, peak_all / 1024.0);
    if (reclassify)
        printf("reclassify            %zu judgments in %.1f s: %.0f judgments/s (%ld threads)\n", done, reclass_ms / 1000,
               per_s, nc);
    printf("{\"exemplars\":%zu,\"open_ms\":%.0f,\"check_ms\":%.0f,\"stage_ms\":%.0f,\"activate_ms\":%.3f,"
           "\"rss_open_mib\":%.1f,\"peak_stage_mib\":%.1f,\"peak_mib\":%.1f,\"reclassified\":%zu,\"reclass_s\":%.2f,"
           "\"judgments_per_s\":%.0f,\"threads\":%ld}\n",
           stored, open_ms, check_ms, stage_ms, activate_ms, rss_open / 1024.0, peak_stage / 1024.0, peak_all / 1024.0,
           done, reclass_ms / 1000, per_s, nc);
    free(txt), free(csv);
    igc_app_close(&app);
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "igc-revision-bench: could not remove %s\n", tmpl);
    igc_buf_free(&err);
    return 0;
}
