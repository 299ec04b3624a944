/*
 * igc_index: nearest-neighbour search over sentence embeddings, through the FAISS C API.
 *
 * Vectors are L2-normalised by the caller, so inner product is cosine similarity.
 * Ids are the insertion order (0, 1, ...). The index type is a FAISS factory string
 * ("Flat" for exact search, "IVF256,Flat" or "HNSW32" for millions of vectors);
 * index types that need training are trained on the first batch that is large enough,
 * and fall back to exact search below that. When FAISS was built with GPU support and
 * a device is present, the index lives on the GPU; results are the same either way.
 */
#ifndef IGC_INDEX_H
#define IGC_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct igc_index igc_index;

typedef struct igc_index_opts {
    const char *factory; /* FAISS factory string; NULL or "" = "Flat" */
    int use_gpu;         /* -1 auto (default), 0 never, 1 require (error if unavailable) */
    const char *search_params; /* FAISS parameter string applied once trained, e.g. "nprobe=8"; NULL: none */
    int manual_recluster; /* 1: an IVF searched on the CPU re-clusters as it grows only through
                             igc_index_recluster_prepare/apply (built aside, then swapped); 0: inside
                             the igc_index_add that makes it due */
    int exact_scan;       /* 1: the CPU scan scores every vector of the lists it probes, ruling
                             none out by its 8-bit codes first: the same answers, slower (for
                             comparisons); 0: the default */
} igc_index_opts;

/* Creates an empty inner-product index of dimension dim. */
int igc_index_new(int dim, const igc_index_opts *o, igc_index **out);
/* Frees the index. NULL is fine. */
void igc_index_free(igc_index *x);
/* Appends n vectors (n*dim floats); their ids continue from igc_index_size(). */
int igc_index_add(igc_index *x, const float *vecs, size_t n);
/* Number of vectors. */
size_t igc_index_size(const igc_index *x);
/* k nearest by inner product for nq queries: sims[nq*k], ids[nq*k] (-1 where fewer). */
int igc_index_search(const igc_index *x, const float *q, size_t nq, int k, float *sims, int64_t *ids);
/* Re-clustering built aside: when the collection is due for more lists (it doubled since
 * the last clustering), prepare computes the new centroids and lists from x without
 * changing it (searches may run meanwhile; no add may), *out NULL when nothing is due.
 * apply puts them in place and takes p over; IGC_ESTATE (p freed, x unchanged) when
 * vectors were added since prepare. */
typedef struct igc_index_plan igc_index_plan;
int igc_index_recluster_prepare(const igc_index *x, igc_index_plan **out);
int igc_index_recluster_apply(igc_index *x, igc_index_plan *p);
/* Frees a plan that will not be applied. NULL is fine. */
void igc_index_plan_free(igc_index_plan *p);
/* The centroids of an IVF searched on the CPU once it has re-clustered (*nlist x dim
 * floats, malloc'ed) and its size when they were clustered, to be saved; IGC_ENOTFOUND
 * when it has none of those (exact search, only its first training, or FAISS holds the
 * vectors). */
int igc_index_centroids(const igc_index *x, float **cent, size_t *nlist, size_t *trained_at);
/* Puts every vector in the lists of saved centroids (igc_index_centroids of an index of
 * the same vectors' kind), without clustering, as if x had clustered them itself at size
 * trained_at (the next re-clustering is due at twice that). IGC_EINVAL when they cannot
 * be (count, trained_at, non-finite values), IGC_ESTATE when x has no lists of its own;
 * x is unchanged then. */
int igc_index_recluster_with(igc_index *x, const float *cent, size_t nlist, size_t trained_at);
/* 1 when searches run on a GPU. */
int igc_index_on_gpu(const igc_index *x);
/* Human-readable description: "Flat/cpu", "IVF256,Flat/gpu0". */
const char *igc_index_describe(const igc_index *x);
/* 1 when this build has the FAISS GPU C API. */
int igc_index_gpu_built(void);

#endif
