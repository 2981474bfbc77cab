// Clustering for SemDeDup: spherical k-means trained on a sample (ours on our GEMM, or Faiss's), then every
// vector assigned to its nearest centroid, exactly (flat inner product) or approximately (inverted file).
import Kernels
import VectorIndex

public enum AssignmentMethod: String, CaseIterable, Sendable {
    /// Exact: a fused product + arg max against all centroids on our GEMM. The default, because it was
    /// also the faster one here (2-core EPYC, Debian Faiss 1.7.3): 1M x 384 to 1,000 centroids took
    /// 11.6 s flat (through Faiss) versus 86 s through the inverted file, and 100k to 10,000 centroids 15.6 s versus 95 s.
    case flat
    /// Approximate: an inverted file over the centroids (IndexIVFFlat, inner product), its lists trained
    /// on a sample of the data; for centroid counts far beyond those, or a Faiss build with faster scans.
    case ivf
}

/// Who trains the centroids: the same algorithm (Faiss's), on different matrix products.
public enum KMeansImplementation: String, CaseIterable, Sendable {
    /// `SphericalKMeans` on our AVX-512 GEMM with a fused arg max.
    case own
    /// `faiss::Clustering` through the shim (OpenBLAS sgemm, then a top-1 heap per row).
    case faiss
}

public struct ClusteringOptions: Sendable, Equatable {
    public var clusters: Int
    public var iterations: Int
    public var seed: Int
    /// Faiss trains on at most this many points per centroid (a random sample); SemDeDup's scale knob.
    public var maxPointsPerCentroid: Int
    public var assignment: AssignmentMethod
    /// OpenMP threads for Faiss. 1 by default: the heavy part is OpenBLAS's sgemm, which has its own
    /// threads, and OpenMP's spinning threads next to them made k-means 2-4x slower on a busy 2-core machine.
    public var faissThreads: Int
    public var kmeans: KMeansImplementation

    public init(clusters: Int, iterations: Int = 100, seed: Int = 1234, maxPointsPerCentroid: Int = 256,
                assignment: AssignmentMethod = .flat, faissThreads: Int = 1, kmeans: KMeansImplementation = .own) {
        self.clusters = clusters
        self.iterations = iterations
        self.seed = seed
        self.maxPointsPerCentroid = maxPointsPerCentroid
        self.assignment = assignment
        self.faissThreads = faissThreads
        self.kmeans = kmeans
    }
}

public struct SemanticClusters: Sendable {
    public var centroids: Matrix
    public var assignment: [Int]
    public var method: AssignmentMethod
    public var kmeansSeconds: Double
    public var assignmentSeconds: Double

    /// Number of items in each cluster.
    public var sizes: [Int] {
        var sizes = [Int](repeating: 0, count: centroids.rows)
        for cluster in assignment { sizes[cluster] += 1 }
        return sizes
    }
}

public enum SemanticClustering {
    /// Clusters L2-normalised rows. Needs at least as many rows as clusters. Our k-means with flat assignment reads
    /// only its training sample and a block at a time; Faiss's k-means and the inverted file take every row at once.
    public static func cluster(_ embeddings: some RowSource, _ options: ClusteringOptions) throws -> SemanticClusters {
        let k = options.clusters
        guard k >= 1, k <= embeddings.rows else {
            throw DedupError.clusters("asked for \(k) clusters of \(embeddings.rows) vectors; need 1 <= k <= n")
        }
        Faiss.setThreads(options.faissThreads)
        let clock = ContinuousClock()
        let kmeansStart = clock.now
        let parameters = KMeansParameters(clusters: k, iterations: options.iterations, seed: options.seed,
                                          maxPointsPerCentroid: options.maxPointsPerCentroid, spherical: true)
        let trained = options.kmeans == .own
            ? try SphericalKMeans.train(embeddings, parameters) : try KMeans.train(try embeddings.block(0..<embeddings.rows), parameters)
        let kmeansSeconds = seconds(clock.now - kmeansStart)

        let assignStart = clock.now
        let method = options.assignment
        let nearest: NearestNeighbour
        switch method {
        case .ivf: nearest = try assignWithInvertedFile(try embeddings.block(0..<embeddings.rows), centroids: trained.centroids, seed: options.seed)
        case .flat: nearest = try SphericalKMeans.assign(embeddings, centroids: trained.centroids)
        }
        guard let unassigned = nearest.labels.firstIndex(where: { $0 < 0 || $0 >= k }) else {
            return SemanticClusters(centroids: trained.centroids, assignment: nearest.labels, method: method,
                                    kmeansSeconds: kmeansSeconds, assignmentSeconds: seconds(clock.now - assignStart))
        }
        throw DedupError.clusters("vector \(unassigned) got no centroid (label \(nearest.labels[unassigned]))")
    }

    /// Lists over the centroids (about 4 sqrt(k)), trained on a sample of the data, probing
    /// a quarter of them (at least 8); a vector whose probed lists are empty falls back to an exact search.
    static func assignWithInvertedFile(_ embeddings: Matrix, centroids: Matrix, seed: Int) throws -> NearestNeighbour {
        let k = centroids.rows
        let lists = max(1, min(k / 8, Int(4 * Double(k).squareRoot())))
        let index = try IVFIndex(dimension: centroids.columns, lists: lists, seed: seed)
        try index.train(try sampleRows(embeddings, count: min(embeddings.rows, 64 * lists), seed: UInt64(seed)))
        try index.add(centroids)
        var nearest = try index.nearest(embeddings, probes: min(lists, max(8, lists / 4)))
        let missing = nearest.labels.indices.filter { nearest.labels[$0] < 0 }
        if !missing.isEmpty {
            let queries = try Matrix(rows: missing.count, columns: embeddings.columns,
                                     values: missing.flatMap { embeddings.row($0) })
            let exact = try FlatIndex.nearest(base: centroids, queries: queries)
            for (slot, item) in missing.enumerated() {
                nearest.labels[item] = exact.labels[slot]
                nearest.scores[item] = exact.scores[slot]
            }
        }
        return nearest
    }

    /// `count` distinct rows chosen by a seeded partial Fisher-Yates shuffle.
    static func sampleRows(_ matrix: Matrix, count: Int, seed: UInt64) throws -> Matrix {
        var indices = Array(0..<matrix.rows)
        var generator = SplitMix64(seed: seed)
        for i in 0..<count {
            let j = i + Int(generator.next() % UInt64(matrix.rows - i))
            indices.swapAt(i, j)
        }
        var values = [Float]()
        values.reserveCapacity(count * matrix.columns)
        for i in indices.prefix(count).sorted() { values.append(contentsOf: matrix.row(i)) }
        return try Matrix(rows: count, columns: matrix.columns, values: values)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

extension Matrix {
    /// Scales rows to unit length in place; rows with zero or non-finite norm are left as they are and listed.
    public mutating func normalizeRows() -> [Int] {
        var degenerate: [Int] = []
        let columns = self.columns
        values.withUnsafeMutableBufferPointer { v in
            for row in 0..<rows where !Self.normalize(v.baseAddress! + row * columns, count: columns) { degenerate.append(row) }
        }
        return degenerate
    }

    /// Scales one row of `count` floats to unit length in place; false (and left as it is) when its norm is zero or not finite.
    public static func normalize(_ row: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        var sum: Float = 0
        for i in 0..<count { sum += row[i] * row[i] }
        let norm = sum.squareRoot()
        guard norm > 0, norm.isFinite else { return false }
        for i in 0..<count { row[i] /= norm }
        return true
    }

    /// A copy with rows scaled to unit length, and the rows that could not be.
    public func normalizedRows() -> (matrix: Matrix, degenerate: [Int]) {
        var copy = self
        let degenerate = copy.normalizeRows()
        return (copy, degenerate)
    }
}
