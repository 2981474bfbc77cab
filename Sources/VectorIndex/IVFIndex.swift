// An inverted-file index with inner product (Faiss IndexIVFFlat): train on a sample, add, search nprobe
// lists. Approximate but sublinear, for assigning many vectors to many centroids.
import CFaiss

public final class IVFIndex {
    public let dimension: Int
    public let lists: Int
    private let handle: OpaquePointer

    /// An untrained index of `lists` inverted lists; `seed` drives the coarse quantizer's k-means.
    public init(dimension: Int, lists: Int, seed: Int = 1234) throws {
        var created: OpaquePointer?
        try FaissCall.run("IVF index creation") { error, size in
            si_faiss_ivf_create(Int32(dimension), Int32(lists), Int32(truncatingIfNeeded: seed), &created, error, size)
        }
        guard let created else { throw VectorIndexError.faiss(operation: "IVF index creation", message: "no index returned") }
        self.dimension = dimension
        self.lists = lists
        self.handle = created
    }

    deinit { si_faiss_ivf_free(handle) }

    /// Vectors added so far; added vectors are numbered 0, 1, ... in the order they were added.
    public var count: Int { Int(si_faiss_ivf_count(handle)) }

    public func train(_ sample: Matrix) throws {
        try checkDimension(sample, "training sample")
        try FaissCall.run("IVF training") { error, size in
            sample.values.withUnsafeBufferPointer { si_faiss_ivf_train(handle, Int64(sample.rows), $0.baseAddress, error, size) }
        }
    }

    public func add(_ vectors: Matrix) throws {
        try checkDimension(vectors, "added vectors")
        try FaissCall.run("IVF add") { error, size in
            vectors.values.withUnsafeBufferPointer { si_faiss_ivf_add(handle, Int64(vectors.rows), $0.baseAddress, error, size) }
        }
    }

    /// The best added vector for each query among the `probes` nearest lists (label -1 when those lists are empty).
    public func nearest(_ queries: Matrix, probes: Int) throws -> NearestNeighbour {
        try checkDimension(queries, "queries")
        var scores = [Float](repeating: 0, count: queries.rows)
        var labels = [Int64](repeating: -1, count: queries.rows)
        try FaissCall.run("IVF search") { error, size in
            queries.values.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    labels.withUnsafeMutableBufferPointer { l in
                        si_faiss_ivf_search(handle, Int64(queries.rows), q.baseAddress, 1, Int32(probes),
                                            s.baseAddress, l.baseAddress, error, size)
                    }
                }
            }
        }
        return NearestNeighbour(labels: labels.map { Int($0) }, scores: scores)
    }

    private func checkDimension(_ matrix: Matrix, _ what: String) throws {
        guard matrix.columns == dimension else {
            throw VectorIndexError.shape("IVF index has dimension \(dimension), \(what) have \(matrix.columns)")
        }
    }
}
