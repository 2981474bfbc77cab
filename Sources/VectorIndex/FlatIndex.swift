// Exact inner-product search (cosine for unit vectors) through Faiss's IndexFlatIP.
import CFaiss

public struct Neighbours: Sendable, Equatable {
    /// For each query, the ids of the best base vectors, best first.
    public var labels: [[Int]]
    public var scores: [[Float]]
}

public enum FlatIndex {
    public static func search(base: Matrix, queries: Matrix, k: Int) throws -> Neighbours {
        guard base.columns == queries.columns else {
            throw VectorIndexError.shape("base vectors have dimension \(base.columns), queries \(queries.columns)")
        }
        var scores = [Float](repeating: 0, count: queries.rows * k)
        var labels = [Int64](repeating: -1, count: queries.rows * k)
        try FaissCall.run("inner-product search") { error, size in
            base.values.withUnsafeBufferPointer { b in
                queries.values.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { s in
                        labels.withUnsafeMutableBufferPointer { l in
                            si_faiss_flat_ip_search(Int64(base.rows), b.baseAddress, Int64(queries.rows), q.baseAddress,
                                                    Int32(base.columns), Int32(k), s.baseAddress, l.baseAddress,
                                                    error, size)
                        }
                    }
                }
            }
        }
        return Neighbours(
            labels: (0..<queries.rows).map { i in labels[(i * k)..<((i + 1) * k)].map { Int($0) } },
            scores: (0..<queries.rows).map { i in Array(scores[(i * k)..<((i + 1) * k)]) })
    }
}

/// The single best base vector for each query, as flat arrays (cheap for millions of queries).
public struct NearestNeighbour: Sendable, Equatable {
    public var labels: [Int]
    public var scores: [Float]
}

extension FlatIndex {
    /// Exact top-1 inner-product search; queries go to Faiss in batches of `batchRows` to bound memory.
    public static func nearest(base: Matrix, queries: Matrix, batchRows: Int = 65536) throws -> NearestNeighbour {
        guard base.columns == queries.columns else {
            throw VectorIndexError.shape("base vectors have dimension \(base.columns), queries \(queries.columns)")
        }
        var scores = [Float](repeating: 0, count: queries.rows)
        var labels = [Int64](repeating: -1, count: queries.rows)
        var start = 0
        while start < queries.rows {
            let rows = min(batchRows, queries.rows - start)
            try FaissCall.run("inner-product search") { error, size in
                base.values.withUnsafeBufferPointer { b in
                    queries.values.withUnsafeBufferPointer { q in
                        scores.withUnsafeMutableBufferPointer { s in
                            labels.withUnsafeMutableBufferPointer { l in
                                si_faiss_flat_ip_search(Int64(base.rows), b.baseAddress, Int64(rows),
                                                        q.baseAddress! + start * queries.columns, Int32(base.columns), 1,
                                                        s.baseAddress! + start, l.baseAddress! + start, error, size)
                            }
                        }
                    }
                }
            }
            start += rows
        }
        return NearestNeighbour(labels: labels.map { Int($0) }, scores: scores)
    }
}
