// A plain C face over the parts of Faiss that semi-instruct uses (Debian's Faiss ships no C API).
// Every function returns 0 on success; otherwise it writes a message into `error` and returns non-zero.
// No C++ exception ever crosses this boundary.
#ifndef SEMI_INSTRUCT_FAISS_SHIM_H
#define SEMI_INSTRUCT_FAISS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// k-means on n row-major vectors of dimension d; writes k*d centroids.
/// spherical != 0 re-normalises centroids after each iteration (for cosine geometry).
int si_faiss_kmeans(int64_t n, int32_t d, int32_t k, const float *x,
                    int32_t niter, int32_t seed, int32_t max_points_per_centroid, int32_t spherical,
                    float *centroids_out, float *objective_out,
                    char *error, size_t error_size);

/// Exact inner-product search: for each of nq queries, the k best of nb base vectors.
int si_faiss_flat_ip_search(int64_t nb, const float *base, int64_t nq, const float *queries,
                            int32_t d, int32_t k, float *scores_out, int64_t *labels_out,
                            char *error, size_t error_size);

/// An inverted-file index with inner product (faiss::IndexIVFFlat over an IndexFlatIP quantizer):
/// train it on a sample, add vectors, search only the nprobe nearest lists. Approximate; for scale.
typedef struct si_faiss_ivf si_faiss_ivf;

/// Creates an untrained index of nlist lists; *out receives it (free with si_faiss_ivf_free).
int si_faiss_ivf_create(int32_t d, int32_t nlist, int32_t seed, si_faiss_ivf **out, char *error, size_t error_size);

/// Trains the coarse quantizer (k-means into nlist lists) on n sample vectors.
int si_faiss_ivf_train(si_faiss_ivf *index, int64_t n, const float *x, char *error, size_t error_size);

/// Adds n vectors, numbered from the number already added.
int si_faiss_ivf_add(si_faiss_ivf *index, int64_t n, const float *x, char *error, size_t error_size);

/// For each of nq queries, the k best added vectors among those in the nprobe nearest lists.
/// Missing results have label -1.
int si_faiss_ivf_search(si_faiss_ivf *index, int64_t nq, const float *queries, int32_t k, int32_t nprobe,
                        float *scores_out, int64_t *labels_out, char *error, size_t error_size);

/// Vectors added so far.
int64_t si_faiss_ivf_count(const si_faiss_ivf *index);

void si_faiss_ivf_free(si_faiss_ivf *index);

/// An inner-product index that can be written to a file and read back (faiss::write_index / read_index): a flat
/// one (exact) or an IVF one (nlist > 0: approximate, trained first). For corpora already shipped.
typedef struct si_faiss_saved si_faiss_saved;

/// Creates an empty index of dimension d: flat when nlist is 0, IVF over nlist lists otherwise (untrained).
int si_faiss_saved_create(int32_t d, int32_t nlist, int32_t seed, si_faiss_saved **out, char *error, size_t error_size);

/// Trains an IVF index's lists on n sample vectors (nothing to do for a flat one).
int si_faiss_saved_train(si_faiss_saved *index, int64_t n, const float *x, char *error, size_t error_size);

/// Adds n vectors, numbered from the number already added.
int si_faiss_saved_add(si_faiss_saved *index, int64_t n, const float *x, char *error, size_t error_size);

/// The best added vector for each of nq queries (label -1 when none was found); nprobe lists for IVF.
int si_faiss_saved_search(si_faiss_saved *index, int64_t nq, const float *queries, int32_t nprobe,
                          float *scores_out, int64_t *labels_out, char *error, size_t error_size);

/// Writes the index to path, or reads one written so (refusing indexes that are not inner-product flat or IVF).
int si_faiss_saved_write(const si_faiss_saved *index, const char *path, char *error, size_t error_size);
int si_faiss_saved_read(const char *path, si_faiss_saved **out, char *error, size_t error_size);

/// Vectors added, dimension, and lists (0 for a flat index).
int64_t si_faiss_saved_count(const si_faiss_saved *index);
int32_t si_faiss_saved_dimension(const si_faiss_saved *index);
int32_t si_faiss_saved_lists(const si_faiss_saved *index);

void si_faiss_saved_free(si_faiss_saved *index);

/// Threads used by Faiss (OpenMP); n <= 0 leaves the default.
void si_faiss_set_threads(int32_t n);

/// The Faiss version the shim was built against, e.g. "1.7.3".
const char *si_faiss_version(void);

#ifdef __cplusplus
}
#endif

#endif
