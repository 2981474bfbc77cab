// k-means clustering through Faiss; spherical for cosine geometry (SemDeDup's setting).
import CFaiss

public struct KMeansParameters: Sendable, Equatable {
    public var clusters: Int
    public var iterations: Int = 100
    public var seed: Int = 1234
    /// Faiss subsamples to this many points per centroid when training; 0 keeps Faiss's default (256).
    public var maxPointsPerCentroid: Int = 0
    public var spherical: Bool = true

    public init(clusters: Int, iterations: Int = 100, seed: Int = 1234, maxPointsPerCentroid: Int = 0,
                spherical: Bool = true) {
        self.clusters = clusters
        self.iterations = iterations
        self.seed = seed
        self.maxPointsPerCentroid = maxPointsPerCentroid
        self.spherical = spherical
    }
}

public struct KMeansResult: Sendable {
    public var centroids: Matrix
    /// The final objective Faiss reports (sum of similarities for spherical, of squared distances otherwise).
    public var objective: Float
}

public enum KMeans {
    public static func train(_ points: Matrix, _ parameters: KMeansParameters) throws -> KMeansResult {
        let k = parameters.clusters
        var centroids = [Float](repeating: 0, count: k * points.columns)
        var objective: Float = 0
        try FaissCall.run("k-means") { error, size in
            points.values.withUnsafeBufferPointer { x in
                centroids.withUnsafeMutableBufferPointer { out in
                    si_faiss_kmeans(
                        Int64(points.rows), Int32(points.columns), Int32(k), x.baseAddress,
                        Int32(parameters.iterations), Int32(parameters.seed),
                        Int32(parameters.maxPointsPerCentroid), parameters.spherical ? 1 : 0,
                        out.baseAddress, &objective, error, size)
                }
            }
        }
        return KMeansResult(centroids: try Matrix(rows: k, columns: points.columns, values: centroids),
                            objective: objective)
    }
}
