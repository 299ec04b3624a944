#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#ifdef IGC_HAVE_FAISS_GPU
#include <faiss/c_api/gpu/DeviceUtils_c.h>
#include <faiss/c_api/gpu/GpuAutoTune_c.h>
#include <faiss/c_api/gpu/StandardGpuResources_c.h>
#endif

#include "igc_base.h"
#include "igc_index.h"

/* Training an IVF index needs a few vectors per list; below this, search exactly. */
#define MIN_TRAIN 4096

struct igc_index {
    int dim;
    FaissIndex *idx;     /* the searchable index (GPU copy when on_gpu) */
    char factory[64];
    char params[64];
    char desc[160];
    int on_gpu;
    int want_gpu;
    float *pending;      /* vectors held until an index that needs training can be trained */
    size_t npending;
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
    snprintf(x->desc, sizeof x->desc, "%s%s%s/%s", x->factory, x->params[0] ? " " : "", x->params,
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

int igc_index_new(int dim, const igc_index_opts *o, igc_index **out) {
    *out = NULL;
    if (dim <= 0) return IGC_EINVAL;
    igc_index *x = calloc(1, sizeof *x);
    if (!x) return IGC_ENOMEM;
    x->dim = dim;
    x->want_gpu = o ? o->use_gpu : -1;
    snprintf(x->factory, sizeof x->factory, "%s", o && o->factory && *o->factory ? o->factory : "Flat");
    snprintf(x->params, sizeof x->params, "%s", o && o->search_params ? o->search_params : "");
    if (faiss_index_factory(&x->idx, dim, x->factory, METRIC_INNER_PRODUCT)) {
        int rc = faiss_fail("index_factory");
        free(x);
        return rc;
    }
    int rc = 0;
    if (faiss_Index_is_trained(x->idx)) {
        /* parameters first: the CPU parameter space knows CPU index types, and
         * the GPU copy takes them over */
        rc = apply_params(x);
        if (!rc) rc = maybe_gpu(x);
    } else {
        describe(x);
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
    free(x->pending);
    free(x);
}

/* For factories that need training: below MIN_TRAIN vectors keep them pending and
 * answer from an exact search over them; at MIN_TRAIN train, add and move to GPU. */
static int add_untrained(igc_index *x, const float *v, size_t n) {
    size_t d = (size_t)x->dim;
    float *p = realloc(x->pending, (x->npending + n) * d * sizeof *p);
    if (!p) return IGC_ENOMEM;
    memcpy(p + x->npending * d, v, n * d * sizeof *p);
    x->pending = p;
    x->npending += n;
    if (x->npending < MIN_TRAIN) return 0;
    if (faiss_Index_train(x->idx, (idx_t)x->npending, x->pending)) return faiss_fail("train");
    if (faiss_Index_add(x->idx, (idx_t)x->npending, x->pending)) return faiss_fail("add");
    free(x->pending);
    x->pending = NULL;
    x->npending = 0;
    int rc = apply_params(x);
    return rc ? rc : maybe_gpu(x);
}

int igc_index_add(igc_index *x, const float *vecs, size_t n) {
    if (!n) return 0;
    one_thread();
    if (!faiss_Index_is_trained(x->idx)) return add_untrained(x, vecs, n);
    if (faiss_Index_add(x->idx, (idx_t)n, vecs)) return faiss_fail("add");
    return 0;
}

size_t igc_index_size(const igc_index *x) {
    return x->npending ? x->npending : (size_t)faiss_Index_ntotal(x->idx);
}

/* Exact search over pending vectors (untrained index, small collection): one BLAS
 * matrix-vector product per query scores them all (the scalar loop it replaces was
 * most of a classification's work below MIN_TRAIN vectors). */
static int search_pending(const igc_index *x, const float *q, size_t nq, int k, float *sims, int64_t *ids) {
    size_t d = (size_t)x->dim;
    float *dots = malloc(x->npending * sizeof *dots);
    if (!dots) return IGC_ENOMEM;
    for (size_t qi = 0; qi < nq; qi++) {
        float *s = sims + qi * (size_t)k;
        int64_t *id = ids + qi * (size_t)k;
        for (int j = 0; j < k; j++) s[j] = -1e30f, id[j] = -1;
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)x->npending, (blasint)d, 1.0f, x->pending, (blasint)d,
                    q + qi * d, 1, 0.0f, dots, 1);
        for (size_t v = 0; v < x->npending; v++) {
            float dot = dots[v];
            if (dot <= s[k - 1]) continue;
            int j = k - 1;
            while (j > 0 && s[j - 1] < dot) s[j] = s[j - 1], id[j] = id[j - 1], j--;
            s[j] = dot;
            id[j] = (int64_t)v;
        }
    }
    free(dots);
    return 0;
}

int igc_index_search(const igc_index *x, const float *q, size_t nq, int k, float *sims, int64_t *ids) {
    if (k <= 0 || !nq) return IGC_EINVAL;
    one_thread();
    if (x->npending) return search_pending(x, q, nq, k, sims, ids);
    if (faiss_Index_search(x->idx, (idx_t)nq, q, (idx_t)k, sims, (idx_t *)ids)) return faiss_fail("search");
    return 0;
}

int igc_index_on_gpu(const igc_index *x) { return x->on_gpu; }
const char *igc_index_describe(const igc_index *x) { return x->desc; }
