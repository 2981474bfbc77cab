// Wraps faiss::Clustering and faiss::IndexFlatIP behind faiss_shim.h, turning exceptions into messages.
#include "faiss_shim.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

// omp.h is not on Swift's clang search path; declare the one call we need.
extern "C" void omp_set_num_threads(int);

namespace {

void write_error(char *error, size_t error_size, const std::string &message) {
    if (error == nullptr || error_size == 0) return;
    std::snprintf(error, error_size, "%s", message.c_str());
}

template <typename Body>
int guarded(char *error, size_t error_size, Body body) {
    try {
        body();
        return 0;
    } catch (const faiss::FaissException &e) {
        write_error(error, error_size, e.msg);
    } catch (const std::exception &e) {
        write_error(error, error_size, e.what());
    } catch (...) {
        write_error(error, error_size, "unknown C++ exception in Faiss");
    }
    return 1;
}

} // namespace

extern "C" int si_faiss_kmeans(int64_t n, int32_t d, int32_t k, const float *x,
                               int32_t niter, int32_t seed, int32_t max_points_per_centroid,
                               int32_t spherical, float *centroids_out, float *objective_out,
                               char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (n <= 0 || d <= 0 || k <= 0) {
            throw std::invalid_argument("k-means needs n, d and k above zero (n=" + std::to_string(n) +
                                        ", d=" + std::to_string(d) + ", k=" + std::to_string(k) + ")");
        }
        if (k > n) {
            throw std::invalid_argument("k-means needs at least as many points as clusters (n=" +
                                        std::to_string(n) + ", k=" + std::to_string(k) + ")");
        }
        faiss::ClusteringParameters params;
        params.niter = niter;
        params.seed = seed;
        params.spherical = spherical != 0;
        params.verbose = false;
        // Faiss printf()s a warning below 39 points per centroid; callers warn about k themselves.
        params.min_points_per_centroid = 1;
        if (max_points_per_centroid > 0) params.max_points_per_centroid = max_points_per_centroid;
        faiss::Clustering clustering(d, k, params);
        faiss::IndexFlatIP ip(d);
        faiss::IndexFlatL2 l2(d);
        faiss::Index &index = spherical ? static_cast<faiss::Index &>(ip) : static_cast<faiss::Index &>(l2);
        clustering.train(n, x, index);
        std::memcpy(centroids_out, clustering.centroids.data(), sizeof(float) * size_t(k) * size_t(d));
        if (objective_out != nullptr) {
            *objective_out = clustering.iteration_stats.empty() ? 0.0f : float(clustering.iteration_stats.back().obj);
        }
    });
}

extern "C" int si_faiss_flat_ip_search(int64_t nb, const float *base, int64_t nq, const float *queries,
                                       int32_t d, int32_t k, float *scores_out, int64_t *labels_out,
                                       char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (d <= 0 || k <= 0) throw std::invalid_argument("search needs d and k above zero");
        if (k > nb) {
            throw std::invalid_argument("search asks for " + std::to_string(k) + " neighbours among " +
                                        std::to_string(nb) + " vectors");
        }
        faiss::IndexFlatIP index(d);
        index.add(nb, base);
        index.search(nq, queries, k, scores_out, labels_out);
    });
}

struct si_faiss_ivf {
    faiss::IndexFlatIP quantizer;
    faiss::IndexIVFFlat index;
    si_faiss_ivf(int32_t d, int32_t nlist)
        : quantizer(d), index(&quantizer, d, size_t(nlist), faiss::METRIC_INNER_PRODUCT) {}
};

extern "C" int si_faiss_ivf_create(int32_t d, int32_t nlist, int32_t seed, si_faiss_ivf **out,
                                   char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (d <= 0 || nlist <= 0) {
            throw std::invalid_argument("IVF index needs d and nlist above zero (d=" + std::to_string(d) +
                                        ", nlist=" + std::to_string(nlist) + ")");
        }
        auto *created = new si_faiss_ivf(d, nlist);
        created->index.cp.seed = seed;
        created->index.cp.verbose = false;
        *out = created;
    });
}

extern "C" int si_faiss_ivf_train(si_faiss_ivf *index, int64_t n, const float *x, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (n < int64_t(index->index.nlist)) {
            throw std::invalid_argument("IVF training needs at least nlist=" + std::to_string(index->index.nlist) +
                                        " vectors, got " + std::to_string(n));
        }
        index->index.train(n, x);
    });
}

extern "C" int si_faiss_ivf_add(si_faiss_ivf *index, int64_t n, const float *x, char *error, size_t error_size) {
    return guarded(error, error_size, [&] { index->index.add(n, x); });
}

extern "C" int si_faiss_ivf_search(si_faiss_ivf *index, int64_t nq, const float *queries, int32_t k, int32_t nprobe,
                                   float *scores_out, int64_t *labels_out, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (k <= 0 || nprobe <= 0) throw std::invalid_argument("IVF search needs k and nprobe above zero");
        faiss::SearchParametersIVF params;
        params.nprobe = size_t(nprobe);
        index->index.search(nq, queries, k, scores_out, labels_out, &params);
    });
}

extern "C" int64_t si_faiss_ivf_count(const si_faiss_ivf *index) { return index->index.ntotal; }

extern "C" void si_faiss_ivf_free(si_faiss_ivf *index) { delete index; }

struct si_faiss_saved {
    std::unique_ptr<faiss::Index> index;
    faiss::IndexIVF *ivf() const { return dynamic_cast<faiss::IndexIVF *>(index.get()); }
};

extern "C" int si_faiss_saved_create(int32_t d, int32_t nlist, int32_t seed, si_faiss_saved **out,
                                     char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (d <= 0 || nlist < 0) throw std::invalid_argument("an index needs d above zero and nlist of zero or more");
        auto created = std::make_unique<si_faiss_saved>();
        if (nlist == 0) {
            created->index = std::make_unique<faiss::IndexFlatIP>(d);
        } else {
            auto ivf = std::make_unique<faiss::IndexIVFFlat>(new faiss::IndexFlatIP(d), d, size_t(nlist), faiss::METRIC_INNER_PRODUCT);
            ivf->own_fields = true;
            ivf->cp.seed = seed;
            ivf->cp.verbose = false;
            created->index = std::move(ivf);
        }
        *out = created.release();
    });
}

extern "C" int si_faiss_saved_train(si_faiss_saved *index, int64_t n, const float *x, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (index->index->is_trained) return;
        if (auto *ivf = index->ivf(); ivf != nullptr && n < int64_t(ivf->nlist)) {
            throw std::invalid_argument("IVF training needs at least nlist=" + std::to_string(ivf->nlist) + " vectors, got " +
                                        std::to_string(n));
        }
        index->index->train(n, x);
    });
}

extern "C" int si_faiss_saved_add(si_faiss_saved *index, int64_t n, const float *x, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (!index->index->is_trained) throw std::invalid_argument("the IVF index must be trained before vectors are added");
        index->index->add(n, x);
    });
}

extern "C" int si_faiss_saved_search(si_faiss_saved *index, int64_t nq, const float *queries, int32_t nprobe,
                                     float *scores_out, int64_t *labels_out, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (index->index->ntotal == 0) {
            for (int64_t i = 0; i < nq; i++) { scores_out[i] = 0; labels_out[i] = -1; }
            return;
        }
        if (index->ivf() != nullptr) {
            if (nprobe <= 0) throw std::invalid_argument("IVF search needs nprobe above zero");
            faiss::SearchParametersIVF params;
            params.nprobe = size_t(nprobe);
            index->index->search(nq, queries, 1, scores_out, labels_out, &params);
        } else {
            index->index->search(nq, queries, 1, scores_out, labels_out);
        }
    });
}

extern "C" int si_faiss_saved_write(const si_faiss_saved *index, const char *path, char *error, size_t error_size) {
    return guarded(error, error_size, [&] { faiss::write_index(index->index.get(), path); });
}

extern "C" int si_faiss_saved_read(const char *path, si_faiss_saved **out, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        std::unique_ptr<faiss::Index> read(faiss::read_index(path));
        bool flat = dynamic_cast<faiss::IndexFlatIP *>(read.get()) != nullptr;
        bool ivf = dynamic_cast<faiss::IndexIVFFlat *>(read.get()) != nullptr;
        if ((!flat && !ivf) || read->metric_type != faiss::METRIC_INNER_PRODUCT) {
            throw std::invalid_argument("not an inner-product flat or IVF index");
        }
        auto created = std::make_unique<si_faiss_saved>();
        created->index = std::move(read);
        *out = created.release();
    });
}

extern "C" int64_t si_faiss_saved_count(const si_faiss_saved *index) { return index->index->ntotal; }
extern "C" int32_t si_faiss_saved_dimension(const si_faiss_saved *index) { return int32_t(index->index->d); }
extern "C" int32_t si_faiss_saved_lists(const si_faiss_saved *index) {
    auto *ivf = index->ivf();
    return ivf == nullptr ? 0 : int32_t(ivf->nlist);
}

extern "C" void si_faiss_saved_free(si_faiss_saved *index) { delete index; }

extern "C" void si_faiss_set_threads(int32_t n) {
    if (n > 0) omp_set_num_threads(n);
}

extern "C" const char *si_faiss_version(void) {
    static char version[32];
    std::snprintf(version, sizeof(version), "%d.%d.%d", FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR, FAISS_VERSION_PATCH);
    return version;
}
