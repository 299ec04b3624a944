/*
 * The past judgments' index centroids kept beside the store once it has re-clustered
 * (15,360 judgments with the default factory), so that a start does not cluster again
 * what the last clustering already did (a quarter of the start-up at 100,000 judgments)
 * and a restart keeps the centroids it had. One file,
 * <db>/index-centroids.bin, written atomically, all little-endian:
 *
 *   "IGCCENT1" | u32 dim | u32 nlist | u64 trained_at | u16 n + encoder version |
 *   u16 n + index factory | nlist * dim float32 | u64 igc_hash64 of all before it
 *
 * It is derived data: used only for the same encoder and factory, and anything that
 * does not fit (missing, damaged, another model) is logged where it matters and the
 * index clusters as before (the answers are those of a fresh clustering then).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"

#define MAGIC "IGCCENT1"
#define FILE_NAME "index-centroids.bin"

static void path_of(const igc_app *a, char *out, size_t n) { snprintf(out, n, "%s/" FILE_NAME, a->cfg.db_dir); }

/* A length-prefixed string at *p (within end) equal to want; advances *p. */
static int take_str(const unsigned char **p, const unsigned char *end, const char *want) {
    if (end - *p < 2) return 0;
    size_t n = (size_t)igc_get_le(*p, 2);
    *p += 2;
    if ((size_t)(end - *p) < n) return 0;
    int same = n == strlen(want) && memcmp(*p, want, n) == 0;
    *p += n;
    return same;
}

int igc_app_index_restore(igc_app *a, igc_engine *e) {
    if (!a->store || !a->enc) return IGC_ENOTFOUND;
    char path[PATH_MAX + 32];
    path_of(a, path, sizeof path);
    char *data;
    size_t len;
    int rc = igc_read_file(path, &data, &len);
    if (rc) return rc; /* no file: the first start after a clustering */
    const unsigned char *p = (const unsigned char *)data, *end = p + len;
    float *cent = NULL;
    size_t dim = 0, nlist = 0, at = 0;
    if (len < 8 + 16 + 8 || memcmp(p, MAGIC, 8) || igc_get_le(end - 8, 8) != igc_hash64(data, len - 8, 0)) {
        rc = IGC_EPARSE;
    } else {
        dim = (size_t)igc_get_le(p + 8, 4), nlist = (size_t)igc_get_le(p + 12, 4), at = (size_t)igc_get_le(p + 16, 8);
        p += 24;
        end -= 8;
        if (!take_str(&p, end, a->enc->version) || !take_str(&p, end, a->cfg.index_factory))
            rc = IGC_ESTATE; /* another model or index kind: cluster afresh */
        else if (dim != (size_t)a->enc->dim || !nlist || (size_t)(end - p) != nlist * dim * 4)
            rc = IGC_EPARSE;
        else if (!(cent = malloc(nlist * dim * sizeof *cent)))
            rc = IGC_ENOMEM;
        for (size_t i = 0; !rc && i < nlist * dim; i++) {
            uint32_t u = (uint32_t)igc_get_le(p + i * 4, 4);
            memcpy(&cent[i], &u, sizeof u);
        }
    }
    if (!rc) rc = igc_engine_index_seed(e, cent, nlist, at);
    if (!rc) a->index_saved_nlist = nlist, a->index_saved_at = at;
    /* damaged: said; made for a larger store (one restored from a backup, say): expected,
     * and it will not fit this one before a clustering of its own replaces it */
    if (rc && rc != IGC_ESTATE)
        igc_log(rc == IGC_EINVAL ? IGC_LOG_INFO : IGC_LOG_WARN, "index: %s not used (%s); clustering again", path,
                igc_strerror(rc));
    if (rc == IGC_EINVAL) remove(path);
    free(cent);
    free(data);
    return rc;
}

int igc_app_index_save(igc_app *a, const igc_engine *e) {
    if (!a->store || !a->enc) return 0;
    float *cent;
    size_t nlist, at;
    int rc = igc_engine_index_centroids(e, &cent, &nlist, &at);
    if (rc) return rc == IGC_ENOTFOUND ? 0 : rc;
    if (nlist == a->index_saved_nlist && at == a->index_saved_at) { /* saved or restored already */
        free(cent);
        return 0;
    }
    const char *ver = a->enc->version, *fac = a->cfg.index_factory;
    size_t dim = (size_t)a->enc->dim, nv = strlen(ver), nfac = strlen(fac);
    size_t len = 24 + 2 + nv + 2 + nfac + nlist * dim * 4 + 8;
    unsigned char *b = nv < 65536 && nfac < 65536 ? malloc(len) : NULL;
    if (!b) {
        free(cent);
        return IGC_ENOMEM;
    }
    unsigned char *p = b;
    memcpy(p, MAGIC, 8);
    igc_put_le(p + 8, dim, 4), igc_put_le(p + 12, nlist, 4), igc_put_le(p + 16, at, 8);
    p += 24;
    igc_put_le(p, nv, 2), memcpy(p + 2, ver, nv), p += 2 + nv;
    igc_put_le(p, nfac, 2), memcpy(p + 2, fac, nfac), p += 2 + nfac;
    for (size_t i = 0; i < nlist * dim; i++, p += 4) {
        uint32_t u;
        memcpy(&u, &cent[i], sizeof u);
        igc_put_le(p, u, 4);
    }
    igc_put_le(p, igc_hash64(b, len - 8, 0), 8);
    char path[PATH_MAX + 32];
    path_of(a, path, sizeof path);
    rc = igc_write_file_atomic(path, b, len);
    if (!rc) a->index_saved_nlist = nlist, a->index_saved_at = at;
    else igc_log(IGC_LOG_WARN, "index: %s not written (%s); the next start clusters again", path, igc_strerror(rc));
    free(b);
    free(cent);
    return rc;
}
