#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/Clustering_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/IndexIVFFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#ifdef IGC_HAVE_FAISS_GPU
#include <faiss/c_api/gpu/DeviceUtils_c.h>
#include <faiss/c_api/gpu/GpuAutoTune_c.h>
#include <faiss/c_api/gpu/StandardGpuResources_c.h>
#endif

#include "approx.h"
#include "igc_base.h"
#include "igc_index.h"

/* Training an IVF index needs a few vectors per list; below this, search exactly. */
#define MIN_TRAIN 4096
/* Vectors per inverted list the CPU scan aims at: nprobe lists of about this size are
 * scanned per query whatever the collection's size, so the list count follows the
 * collection (retrained when it has doubled and the lists have grown past 1.5x this). */
#define LIST_TARGET 160
/* Re-clustering samples at most this many vectors per list and iterates this often:
 * the centroids only route queries, the scan inside the lists stays exact. */
#define RETRAIN_POINTS 64
#define RETRAIN_ITER 10

/* One inverted list of the CPU scan: its vectors contiguous (one BLAS product scores
 * any run of them), their ids, and their 8-bit codes with scales and error bounds
 * (approx.h), which rule most of them out of a search before any is scored exactly. */
typedef struct {
    float *v;
    int64_t *id;
    int8_t *code;
    float *scale, *err;
    size_t n, cap;
} ivlist;

struct igc_index {
    int dim;
    FaissIndex *idx;     /* FAISS's index: the searchable one on a GPU or for types the
                            CPU scan does not cover (HNSW...); otherwise used to train */
    char factory[64];
    char params[64];
    char desc[160];
    int on_gpu;
    int want_gpu;
    /* The CPU scan ("own" mode: Flat and IVFn,Flat off the GPU, and any IVF before it is
     * trained). FAISS 1.7.3 as Debian builds it scores IVF and small flat searches with a
     * scalar loop; here every scored block is one BLAS product. nlist 1 is exact search. */
    int own;
    int ivf;             /* the factory is IVF-Flat: the CPU scan goes on once it is trained */
    int untrained;       /* FAISS's index needs training: exact search until MIN_TRAIN vectors */
    size_t factory_nlist;
    size_t nlist, nprobe;
    float *cent;         /* nlist x dim centroids; NULL while nlist is 1 */
    ivlist *lists;
    size_t ntotal;
    size_t trained_at;   /* size at the last clustering */
    int manual_recluster; /* re-clustering only through igc_index_recluster_prepare/apply */
    int exact_scan;       /* every probed vector scored exactly, none ruled out by its codes */
#ifdef IGC_HAVE_FAISS_GPU
    FaissStandardGpuResources *res;
#endif
};

/* Requests run one search each, in parallel at the request level: FAISS's own
 * OpenMP threads would only spin. The setting is per calling thread, so it is
 * made before every call. */
static void one_thread(void) { omp_set_num_threads(1); }

static int faiss_fail(const char *what) {
    const char *m = faiss_get_last_error();
    igc_log(IGC_LOG_ERROR, "index: %s failed: %s", what, m ? m : "unknown FAISS error");
    return IGC_EINVAL;
}

int igc_index_gpu_built(void) {
#ifdef IGC_HAVE_FAISS_GPU
    return 1;
#else
    return 0;
#endif
}

static void describe(igc_index *x) {
    char fac[64];
    if (x->own && x->nlist > 1) snprintf(fac, sizeof fac, "IVF%zu,Flat", x->nlist);
    else snprintf(fac, sizeof fac, "%s", x->factory);
    snprintf(x->desc, sizeof x->desc, "%s%s%s/%s", fac, x->params[0] ? " " : "", x->params,
             x->on_gpu ? "gpu0" : "cpu");
}

/* Applies the search parameters (nprobe for IVF, efSearch for HNSW...). */
static int apply_params(igc_index *x) {
    if (!x->params[0]) return 0;
    FaissParameterSpace *ps;
    if (faiss_ParameterSpace_new(&ps)) return faiss_fail("parameter space");
    int rc = faiss_ParameterSpace_set_index_parameters(ps, x->idx, x->params);
    faiss_ParameterSpace_free(ps);
    if (rc) {
        /* e.g. nprobe on a Flat index: the parameter has no meaning there */
        const char *m = faiss_get_last_error();
        igc_log(IGC_LOG_WARN, "index: search parameters \"%s\" do not apply to %s (%s); ignored", x->params,
                x->factory, m ? m : "");
        x->params[0] = '\0';
        describe(x);
    }
    return 0;
}

/* Moves a CPU index to device 0 when wanted and possible. */
static int maybe_gpu(igc_index *x) {
#ifdef IGC_HAVE_FAISS_GPU
    int ngpu = 0;
    if (x->want_gpu != 0 && faiss_get_num_gpus(&ngpu) == 0 && ngpu > 0) {
        if (!x->res && faiss_StandardGpuResources_new(&x->res)) return faiss_fail("gpu resources");
        FaissGpuIndex *g = NULL;
        if (faiss_index_cpu_to_gpu((FaissGpuResourcesProvider *)x->res, 0, x->idx, &g)) {
            /* not every index type has a GPU version (HNSW has none): stay on the CPU */
            faiss_fail("cpu_to_gpu");
            if (x->want_gpu == 1) return IGC_EUNSUP;
            igc_log(IGC_LOG_WARN, "index: %s stays on the CPU", x->factory);
        } else {
            faiss_Index_free(x->idx);
            x->idx = g;
            x->on_gpu = 1;
        }
    }
#endif
    if (x->want_gpu == 1 && !x->on_gpu) {
        igc_log(IGC_LOG_ERROR, "index: a GPU was required but none is available in this build or machine");
        return IGC_EUNSUP;
    }
    describe(x);
    return 0;
}

/* ---- the CPU scan ---- */

/* Appends vector v with its codes (approx_encode's; code NULL: encoded here). */
static int list_push_coded(ivlist *l, int dim, const float *v, const int8_t *code, float scale, float err,
                           int64_t id) {
    size_t d = (size_t)dim;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        float *nv = realloc(l->v, cap * d * sizeof *nv);
        if (!nv) return IGC_ENOMEM;
        l->v = nv;
        int64_t *ni = realloc(l->id, cap * sizeof *ni);
        if (!ni) return IGC_ENOMEM;
        l->id = ni;
        int8_t *nc = realloc(l->code, cap * d);
        if (!nc) return IGC_ENOMEM;
        l->code = nc;
        float *ns = realloc(l->scale, cap * sizeof *ns);
        if (!ns) return IGC_ENOMEM;
        l->scale = ns;
        float *ne = realloc(l->err, cap * sizeof *ne);
        if (!ne) return IGC_ENOMEM;
        l->err = ne;
        l->cap = cap;
    }
    memcpy(l->v + l->n * d, v, d * sizeof *v);
    if (code) {
        memcpy(l->code + l->n * d, code, d);
        l->scale[l->n] = scale, l->err[l->n] = err;
    } else {
        approx_encode(v, d, l->code + l->n * d, &l->scale[l->n], &l->err[l->n]);
    }
    l->id[l->n++] = id;
    return 0;
}

static int list_push(ivlist *l, int dim, const float *v, int64_t id) {
    return list_push_coded(l, dim, v, NULL, 0, 0, id);
}

static void lists_free(ivlist *ls, size_t n) {
    for (size_t i = 0; ls && i < n; i++) {
        free(ls[i].v), free(ls[i].id);
        free(ls[i].code), free(ls[i].scale), free(ls[i].err);
    }
    free(ls);
}

/* The list of each of n vectors: the centroid of largest inner product (as FAISS's
 * IVF quantizer chooses), one BLAS product per block of vectors. */
static int assign(const igc_index *x, const float *cent, size_t nlist, const float *v, size_t n, size_t *out) {
    if (nlist == 1) {
        memset(out, 0, n * sizeof *out);
        return 0;
    }
    enum { BLOCK = 256 };
    float *dots = malloc(BLOCK * nlist * sizeof *dots);
    if (!dots) return IGC_ENOMEM;
    size_t d = (size_t)x->dim;
    for (size_t b = 0; b < n; b += BLOCK) {
        size_t m = n - b < BLOCK ? n - b : BLOCK;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)nlist, (blasint)d, 1.0f,
                    v + b * d, (blasint)d, cent, (blasint)d, 0.0f, dots, (blasint)nlist);
        for (size_t i = 0; i < m; i++) {
            const float *r = dots + i * nlist;
            size_t best = 0;
            for (size_t c = 1; c < nlist; c++)
                if (r[c] > r[best]) best = c;
            out[b + i] = best;
        }
    }
    free(dots);
    return 0;
}

/* Every vector in id order (ids are dense 0..ntotal-1). */
static float *gather(const igc_index *x) {
    size_t d = (size_t)x->dim;
    float *all = malloc((x->ntotal ? x->ntotal : 1) * d * sizeof *all);
    if (!all) return NULL;
    for (size_t l = 0; l < x->nlist; l++)
        for (size_t j = 0; j < x->lists[l].n; j++)
            memcpy(all + (size_t)x->lists[l].id[j] * d, x->lists[l].v + j * d, d * sizeof *all);
    return all;
}

/* Every vector (all: gather()'s copy) bucketed under new centroids (nlist of them; cent
 * NULL for one list) into new lists; x is only read. */
static int rebucket_plan(const igc_index *x, const float *all, const float *cent, size_t nlist, ivlist **out) {
    *out = NULL;
    size_t n = x->ntotal ? x->ntotal : 1, d = (size_t)x->dim;
    size_t *which = malloc(n * sizeof *which);
    uint64_t *at = malloc(n * sizeof *at); /* at: id -> list << 32 | row */
    ivlist *ls = calloc(nlist, sizeof *ls);
    int rc = all && which && at && ls ? assign(x, cent, nlist, all, x->ntotal, which) : IGC_ENOMEM;
    for (size_t l = 0; !rc && l < x->nlist; l++)
        for (size_t j = 0; j < x->lists[l].n; j++) at[x->lists[l].id[j]] = (uint64_t)l << 32 | j;
    /* in id order, as always; the codes move with their vectors (they depend on nothing else) */
    for (size_t i = 0; !rc && i < x->ntotal; i++) {
        const ivlist *o = &x->lists[at[i] >> 32];
        size_t j = at[i] & 0xFFFFFFFFu;
        rc = list_push_coded(&ls[which[i]], x->dim, all + i * d, o->code + j * d, o->scale[j], o->err[j], (int64_t)i);
    }
    free(which), free(at);
    if (rc) {
        lists_free(ls, nlist);
        return rc;
    }
    *out = ls;
    return 0;
}

/* Puts new centroids and lists in place (takes both over). */
static void install(igc_index *x, float *cent, ivlist *ls, size_t nlist) {
    lists_free(x->lists, x->nlist);
    free(x->cent);
    x->lists = ls;
    x->cent = cent;
    x->nlist = nlist;
    x->trained_at = x->ntotal;
    describe(x);
}

/* Re-buckets every vector (all) under new centroids. Takes cent over. On failure the
 * index is unchanged. */
static int rebucket(igc_index *x, const float *all, float *cent, size_t nlist) {
    ivlist *ls;
    int rc = rebucket_plan(x, all, cent, nlist, &ls);
    if (rc) {
        free(cent);
        return rc;
    }
    install(x, cent, ls, nlist);
    return 0;
}

/* Training at MIN_TRAIN: FAISS trains its index on every vector (for an IVF, the same
 * centroids FAISS's own search would use); then either FAISS takes the vectors (a GPU,
 * or a type the CPU scan does not cover), or the centroids are copied out and the CPU
 * scan goes on with nprobe lists. */
static int train_first(igc_index *x) {
    float *all = gather(x);
    if (!all) return IGC_ENOMEM;
    int rc = 0;
    if (faiss_Index_train(x->idx, (idx_t)x->ntotal, all)) rc = faiss_fail("train");
    if (!rc) rc = apply_params(x);
    if (!rc) rc = maybe_gpu(x);
    if (!rc) x->untrained = 0;
    if (!rc && (x->on_gpu || !x->ivf)) {
        if (faiss_Index_add(x->idx, (idx_t)x->ntotal, all)) rc = faiss_fail("add");
        if (!rc) {
            lists_free(x->lists, x->nlist);
            x->lists = NULL;
            x->nlist = 0;
            x->own = 0;
            x->ntotal = 0;
        }
        free(all);
        return rc;
    }
    if (rc) {
        free(all);
        return rc;
    }
    FaissIndexIVF *ivf = faiss_IndexIVF_cast(x->idx);
    FaissIndexFlat *q = ivf ? faiss_IndexFlat_cast(faiss_IndexIVF_quantizer(ivf)) : NULL;
    float *xb = NULL;
    size_t sz = 0;
    if (q) faiss_IndexFlat_xb(q, &xb, &sz);
    size_t nlist = ivf ? faiss_IndexIVF_nlist(ivf) : 0;
    if (!xb || !nlist || sz != nlist * (size_t)x->dim) {
        igc_log(IGC_LOG_ERROR, "index: %s has no flat coarse quantizer to scan with", x->factory);
        free(all);
        return IGC_EUNSUP;
    }
    x->nprobe = faiss_IndexIVF_nprobe(ivf);
    float *cent = malloc(sz * sizeof *cent);
    if (!cent) {
        free(all);
        return IGC_ENOMEM;
    }
    memcpy(cent, xb, sz * sizeof *cent);
    rc = rebucket(x, all, cent, nlist);
    free(all);
    return rc;
}

/* Once the collection has doubled since the last clustering and its lists have grown
 * well past LIST_TARGET, it is clustered again into more lists, so a query keeps
 * scanning about nprobe * LIST_TARGET vectors: the new list count, 0 when not due. */
static size_t recluster_want(const igc_index *x) {
    if (!x->own || !x->ivf || x->nlist < 2 || x->ntotal < 2 * x->trained_at) return 0;
    size_t want = x->ntotal / LIST_TARGET;
    return want < x->factory_nlist || want * 2 < x->nlist * 3 ? 0 : want;
}

/* want unit centroids by k-means on a sample (FAISS's Clustering) of all, the index's
 * vectors (gather()). */
static int cluster(const igc_index *x, const float *all, size_t want, float **out) {
    *out = NULL;
    float *cent = malloc(want * (size_t)x->dim * sizeof *cent);
    FaissClustering *cl = NULL;
    FaissIndexFlatIP *assigner = NULL;
    int rc = all && cent ? 0 : IGC_ENOMEM;
    if (!rc) {
        FaissClusteringParameters cp;
        faiss_ClusteringParameters_init(&cp);
        cp.niter = RETRAIN_ITER;
        cp.max_points_per_centroid = RETRAIN_POINTS;
        cp.spherical = 1; /* inner-product search: unit centroids */
        one_thread();
        if (faiss_Clustering_new_with_params(&cl, x->dim, (int)want, &cp) ||
            faiss_IndexFlatIP_new_with(&assigner, x->dim) ||
            faiss_Clustering_train(cl, (idx_t)x->ntotal, all, (FaissIndex *)assigner))
            rc = faiss_fail("clustering");
    }
    if (!rc) {
        float *c = NULL;
        size_t sz = 0;
        faiss_Clustering_centroids(cl, &c, &sz);
        if (!c || sz != want * (size_t)x->dim) rc = faiss_fail("clustering centroids");
        else memcpy(cent, c, sz * sizeof *cent);
    }
    if (cl) faiss_Clustering_free(cl);
    if (assigner) faiss_Index_free((FaissIndex *)assigner);
    if (rc) free(cent);
    else *out = cent;
    return rc;
}

static int maybe_retrain(igc_index *x) {
    size_t want = x->manual_recluster ? 0 : recluster_want(x);
    if (!want) return 0;
    float *cent, *all = gather(x);
    int rc = all ? cluster(x, all, want, &cent) : IGC_ENOMEM;
    if (!rc) {
        igc_log(IGC_LOG_INFO, "index: %zu vectors re-clustered from %zu into %zu lists", x->ntotal, x->nlist, want);
        rc = rebucket(x, all, cent, want);
    }
    free(all);
    return rc;
}

struct igc_index_plan {
    size_t ntotal, nlist;
    float *cent;
    ivlist *lists;
};

void igc_index_plan_free(igc_index_plan *p) {
    if (!p) return;
    lists_free(p->lists, p->nlist);
    free(p->cent);
    free(p);
}

int igc_index_recluster_prepare(const igc_index *x, igc_index_plan **out) {
    *out = NULL;
    size_t want = recluster_want(x);
    if (!want) return 0;
    igc_index_plan *p = calloc(1, sizeof *p);
    if (!p) return IGC_ENOMEM;
    p->ntotal = x->ntotal;
    p->nlist = want;
    float *all = gather(x);
    int rc = all ? cluster(x, all, want, &p->cent) : IGC_ENOMEM;
    if (!rc) rc = rebucket_plan(x, all, p->cent, want, &p->lists);
    free(all);
    if (rc) {
        igc_index_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int igc_index_recluster_apply(igc_index *x, igc_index_plan *p) {
    if (!p) return 0;
    if (p->ntotal != x->ntotal || !x->own) {
        igc_index_plan_free(p);
        return IGC_ESTATE;
    }
    igc_log(IGC_LOG_INFO, "index: %zu vectors re-clustered from %zu into %zu lists", x->ntotal, x->nlist, p->nlist);
    install(x, p->cent, p->lists, p->nlist);
    free(p);
    return 0;
}

int igc_index_centroids(const igc_index *x, float **cent, size_t *nlist, size_t *trained_at) {
    *cent = NULL, *nlist = 0, *trained_at = 0;
    /* a re-clustering only: the factory's first lists are trained again by every start
     * as they always were (and cost little) */
    if (!x->own || !x->ivf || x->untrained || !x->cent || x->nlist <= x->factory_nlist) return IGC_ENOTFOUND;
    size_t sz = x->nlist * (size_t)x->dim;
    float *c = malloc(sz * sizeof *c);
    if (!c) return IGC_ENOMEM;
    memcpy(c, x->cent, sz * sizeof *c);
    *cent = c, *nlist = x->nlist, *trained_at = x->trained_at;
    return 0;
}

int igc_index_recluster_with(igc_index *x, const float *cent, size_t nlist, size_t trained_at) {
    if (!x->own || !x->ivf || x->untrained) return IGC_ESTATE;
    if (!cent || nlist < 1 || nlist > x->ntotal || trained_at > x->ntotal || trained_at < nlist) return IGC_EINVAL;
    size_t sz = nlist * (size_t)x->dim;
    for (size_t i = 0; i < sz; i++)
        if (!isfinite(cent[i])) return IGC_EINVAL;
    /* the clustering x already has (it trained itself on the same vectors): nothing to do */
    if (nlist == x->nlist && trained_at == x->trained_at && x->cent && !memcmp(cent, x->cent, sz * sizeof *cent))
        return 0;
    float *c = malloc(sz * sizeof *c), *all = gather(x);
    if (!c || !all) {
        free(c), free(all);
        return IGC_ENOMEM;
    }
    memcpy(c, cent, sz * sizeof *c);
    int rc = rebucket(x, all, c, nlist); /* takes c over */
    free(all);
    if (rc) return rc;
    x->trained_at = trained_at; /* as when they were clustered: the next one is due at twice that */
    igc_log(IGC_LOG_INFO, "index: %zu vectors put in %zu saved lists (clustered at %zu)", x->ntotal, nlist, trained_at);
    return 0;
}

static int own_add(igc_index *x, const float *v, size_t n) {
    size_t *which = malloc(n * sizeof *which);
    if (!which) return IGC_ENOMEM;
    int rc = assign(x, x->cent, x->nlist, v, n, which);
    for (size_t i = 0; !rc && i < n; i++) {
        rc = list_push(&x->lists[which[i]], x->dim, v + i * (size_t)x->dim, (int64_t)x->ntotal);
        if (!rc) x->ntotal++;
    }
    free(which);
    if (rc) return rc;
    if (x->untrained && x->ntotal >= MIN_TRAIN) return train_first(x);
    return maybe_retrain(x);
}

/* Keeps the k best of (sim, id) in descending order; k is small. */
static void keep(float *s, int64_t *id, int k, float dot, int64_t v) {
    if (dot <= s[k - 1]) return;
    int j = k - 1;
    while (j > 0 && s[j - 1] < dot) s[j] = s[j - 1], id[j] = id[j - 1], j--;
    s[j] = dot;
    id[j] = v;
}

/* Rows of a list are scored exactly in runs that start at a multiple of RUN_ALIGN: with
 * one thread, OpenBLAS's product gives a row the same bits at any such offset as in the
 * product of the whole list (its kernels take rows four at a time; tests/index checks
 * it), so a search that scores only some runs answers bit for bit as one scoring all. */
#define RUN_ALIGN 8

/* Below this many probed vectors the float scan alone is faster: they sit in the cache,
 * and the codes' pass and the runs cost more than they save (igc-index-bench: 1.2 to 1.4
 * times the time at 700 with the codes; with this limit 1.00 there, 0.82 at 1,967, about
 * 1 at 10,000 and 0.57 at 100,000). */
#define CODES_MIN_ROWS 1024

/* The k best (sim, id) of one list's rows lo..hi-1, scored exactly, into s/id. */
static void score_run(const ivlist *l, size_t d, const float *qv, size_t lo, size_t hi, float *dots, int k,
                      float *s, int64_t *id) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)(hi - lo), (blasint)d, 1.0f, l->v + lo * d, (blasint)d, qv, 1,
                0.0f, dots, 1);
    for (size_t v = lo; v < hi; v++) keep(s, id, k, dots[v - lo], l->id[v]);
}

/* Keeps the k largest of lower bounds in t (descending, k small). */
static void keep_bound(double *t, int k, double b) {
    if (!(b > t[k - 1])) return;
    int j = k - 1;
    while (j > 0 && t[j - 1] < b) t[j] = t[j - 1], j--;
    t[j] = b;
}

/* The probed lists cl[0..np) searched through their codes: every row's inner product
 * from its codes, with its bound, gives a lower bound on its exact one; the k-th
 * largest lower bound T is one that k rows reach. A row whose upper bound is below T
 * cannot be among the k best, whatever the ties; the others are scored exactly, in runs,
 * lists and rows in the same order as a scan of everything (ties go to the first). */
static int prefiltered(const igc_index *x, const float *qv, const int64_t *cl, size_t np, size_t tot, int k,
                       float *dots, float *s, int64_t *id) {
    size_t d = (size_t)x->dim;
    float *a = malloc((tot + 1) * sizeof *a);
    double *t = malloc((size_t)k * sizeof *t);
    if (!a || !t) {
        free(a), free(t);
        return IGC_ENOMEM;
    }
    double qn = 0;
    for (size_t i = 0; i < d; i++) qn += (double)qv[i] * qv[i];
    qn = sqrt(qn);
    approx_query aq;
    approx_query_init(&aq, qv, d);
    for (int j = 0; j < k; j++) t[j] = -INFINITY;
    size_t off = 0;
    for (size_t p = 0; p < np; p++) {
        if (cl[p] < 0) continue;
        const ivlist *l = &x->lists[cl[p]];
        approx_dots(&aq, l->code, l->scale, l->n, d, a + off);
        for (size_t v = 0; v < l->n; v++) keep_bound(t, k, (double)a[off + v] - qn * l->err[v]);
        off += l->n;
    }
    double T = t[k - 1];
    off = 0;
    for (size_t p = 0; p < np; p++) {
        if (cl[p] < 0) continue;
        const ivlist *l = &x->lists[cl[p]];
        size_t run = SIZE_MAX; /* start of the run being gathered */
        for (size_t b = 0; b < l->n; b += RUN_ALIGN) {
            size_t e = l->n - b < RUN_ALIGN ? l->n : b + RUN_ALIGN;
            int need = 0;
            for (size_t v = b; v < e && !need; v++) need = !((double)a[off + v] + qn * l->err[v] < T);
            if (need && run == SIZE_MAX) run = b;
            if (!need && run != SIZE_MAX) {
                score_run(l, d, qv, run, b, dots, k, s, id);
                run = SIZE_MAX;
            }
        }
        if (run != SIZE_MAX) score_run(l, d, qv, run, l->n, dots, k, s, id);
        off += l->n;
    }
    free(a), free(t);
    return 0;
}

static int own_search(const igc_index *x, const float *q, size_t nq, int k, float *sims, int64_t *ids) {
    size_t d = (size_t)x->dim, most = 0;
    size_t nprobe = x->nlist > 1 ? (x->nprobe ? x->nprobe : 1) : 1;
    if (nprobe > x->nlist) nprobe = x->nlist;
    for (size_t l = 0; l < x->nlist; l++) most = x->lists[l].n > most ? x->lists[l].n : most;
    float *dots = malloc((most > x->nlist ? most : x->nlist) * sizeof *dots + 1);
    float *cs = malloc((nprobe + 1) * sizeof *cs);
    int64_t *cl = malloc((nprobe + 1) * sizeof *cl);
    if (!dots || !cs || !cl) {
        free(dots), free(cs), free(cl);
        return IGC_ENOMEM;
    }
    int rc = 0;
    for (size_t qi = 0; qi < nq && !rc; qi++) {
        const float *qv = q + qi * d;
        float *s = sims + qi * (size_t)k;
        int64_t *id = ids + qi * (size_t)k;
        for (int j = 0; j < k; j++) s[j] = -1e30f, id[j] = -1;
        /* the lists to scan: the nprobe closest centroids */
        size_t np = 1;
        cl[0] = 0;
        if (x->nlist > 1) {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)x->nlist, (blasint)d, 1.0f, x->cent, (blasint)d, qv,
                        1, 0.0f, dots, 1);
            for (size_t c = 0; c < nprobe; c++) cs[c] = -1e30f, cl[c] = -1;
            for (size_t c = 0; c < x->nlist; c++) keep(cs, cl, (int)nprobe, dots[c], (int64_t)c);
            np = nprobe;
        }
        size_t tot = 0;
        for (size_t p = 0; p < np; p++)
            if (cl[p] >= 0) tot += x->lists[cl[p]].n;
        if (!x->exact_scan && tot >= CODES_MIN_ROWS) {
            rc = prefiltered(x, qv, cl, np, tot, k, dots, s, id);
            continue;
        }
        for (size_t p = 0; p < np; p++) {
            if (cl[p] < 0) continue;
            const ivlist *l = &x->lists[cl[p]];
            if (l->n) score_run(l, d, qv, 0, l->n, dots, k, s, id);
        }
    }
    free(dots), free(cs), free(cl);
    return rc;
}

/* ---- public ---- */

/* "IVF64,Flat" -> 64; 0 for anything else. */
static size_t ivf_flat_lists(const char *f) {
    if (strncmp(f, "IVF", 3) != 0) return 0;
    char *end = NULL;
    long n = strtol(f + 3, &end, 10);
    return n > 0 && end && strcmp(end, ",Flat") == 0 ? (size_t)n : 0;
}

int igc_index_new(int dim, const igc_index_opts *o, igc_index **out) {
    *out = NULL;
    if (dim <= 0) return IGC_EINVAL;
    igc_index *x = calloc(1, sizeof *x);
    if (!x) return IGC_ENOMEM;
    /* One BLAS thread: requests run in parallel at the request level, and the scan's
     * runs (RUN_ALIGN) have the bits of the whole list's product only when one thread
     * computes it (two split the rows wherever the halves fall). */
    openblas_set_num_threads(1);
    x->dim = dim;
    x->want_gpu = o ? o->use_gpu : -1;
    snprintf(x->factory, sizeof x->factory, "%s", o && o->factory && *o->factory ? o->factory : "Flat");
    snprintf(x->params, sizeof x->params, "%s", o && o->search_params ? o->search_params : "");
    if (faiss_index_factory(&x->idx, dim, x->factory, METRIC_INNER_PRODUCT)) {
        int rc = faiss_fail("index_factory");
        free(x);
        return rc;
    }
    x->factory_nlist = ivf_flat_lists(x->factory);
    x->manual_recluster = o ? o->manual_recluster : 0;
    x->exact_scan = o ? o->exact_scan : 0;
    x->ivf = x->factory_nlist > 0;
    int rc = 0;
    if (faiss_Index_is_trained(x->idx)) {
        /* parameters first: the CPU parameter space knows CPU index types, and
         * the GPU copy takes them over */
        rc = apply_params(x);
        if (!rc) rc = maybe_gpu(x);
        /* a flat index off the GPU: the CPU scan with one list */
        if (!rc && !x->on_gpu && strcmp(x->factory, "Flat") == 0) x->own = 1;
    } else {
        x->own = x->untrained = 1; /* exact until trained */
        describe(x);
    }
    if (!rc && x->own) {
        x->nlist = 1;
        if (!(x->lists = calloc(1, sizeof *x->lists))) rc = IGC_ENOMEM;
    }
    if (rc) {
        igc_index_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

void igc_index_free(igc_index *x) {
    if (!x) return;
    if (x->idx) faiss_Index_free(x->idx);
#ifdef IGC_HAVE_FAISS_GPU
    if (x->res) faiss_StandardGpuResources_free(x->res);
#endif
    lists_free(x->lists, x->nlist);
    free(x->cent);
    free(x);
}

int igc_index_add(igc_index *x, const float *vecs, size_t n) {
    if (!n) return 0;
    one_thread();
    if (x->own) return own_add(x, vecs, n);
    if (faiss_Index_add(x->idx, (idx_t)n, vecs)) return faiss_fail("add");
    return 0;
}

size_t igc_index_size(const igc_index *x) { return x->own ? x->ntotal : (size_t)faiss_Index_ntotal(x->idx); }

int igc_index_search(const igc_index *x, const float *q, size_t nq, int k, float *sims, int64_t *ids) {
    if (k <= 0 || !nq) return IGC_EINVAL;
    one_thread();
    if (x->own) return own_search(x, q, nq, k, sims, ids);
    if (faiss_Index_search(x->idx, (idx_t)nq, q, (idx_t)k, sims, (idx_t *)ids)) return faiss_fail("search");
    return 0;
}

int igc_index_on_gpu(const igc_index *x) { return x->on_gpu; }
const char *igc_index_describe(const igc_index *x) { return x->desc; }
