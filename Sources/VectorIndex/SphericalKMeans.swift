// Spherical k-means on our own GEMM, following Faiss's `Clustering::train` step for step: subsample to
// `maxPointsPerCentroid` points per centroid, seed the centroids with a random sample of the points, then
// each iteration assigns (inner product, arg max), averages, splits empty clusters and renormalises.
// The assignment is a fused product + arg max over row tiles, so the n x k similarity matrix never exists;
// rows are spread over threads in chunks that idle threads claim.
import Foundation
import Kernels

public enum SphericalKMeans {
    /// Faiss's default cap on training points per centroid.
    public static let defaultMaxPointsPerCentroid = 256
    /// Rows one thread assigns at a time: small enough to balance two threads on a busy machine.
    static let assignmentChunk = 2048

    /// Trains k centroids (unit rows) on unit-length `points`; `parameters.spherical` must be true. Only the training
    /// sample (at most `maxPointsPerCentroid` rows per centroid) is read into memory.
    /// `threads` 1 keeps all work on the calling thread; any other value spreads rows over the cores.
    public static func train(_ points: some RowSource, _ parameters: KMeansParameters, threads: Int = 0) throws -> KMeansResult {
        let (n, d, k) = (points.rows, points.columns, parameters.clusters)
        guard n > 0, d > 0, k > 0 else {
            throw VectorIndexError.shape("k-means needs n, d and k above zero (n=\(n), d=\(d), k=\(k))")
        }
        guard k <= n else {
            throw VectorIndexError.shape("k-means needs at least as many points as clusters (n=\(n), k=\(k))")
        }
        guard parameters.spherical else {
            throw VectorIndexError.shape("our k-means is spherical only; use KMeans.train (Faiss) for L2 centroids")
        }
        // Like Faiss: as many points as clusters means the points are the centroids.
        if n == k { return KMeansResult(centroids: try points.block(0..<n), objective: Float(n)) }

        var generator = SplitMix64(seed: UInt64(bitPattern: Int64(parameters.seed)))
        let cap = parameters.maxPointsPerCentroid > 0 ? parameters.maxPointsPerCentroid : defaultMaxPointsPerCentroid
        let training = n > k * cap ? try points.gather(sampleOrder(rows: n, count: k * cap, generator: &generator)) : try points.block(0..<n)
        let m = training.rows

        var centroids = try training.gather(sampleOrder(rows: m, count: k, generator: &generator)).values
        renormalize(&centroids, rows: k, columns: d)
        var labels = [Int32](repeating: 0, count: m)
        var similarities = [Float](repeating: 0, count: m)
        var objective: Float = 0
        // Faiss re-seeds its split generator every iteration, so the same sizes pick the same donor again and
        // exact duplicates can keep a cluster empty forever; one generator for the whole run avoids that.
        var splitGenerator = SplitMix64(seed: 1234)
        var previous: [Int32]?
        for _ in 0..<max(parameters.iterations, 1) {
            let packed = centroids.withUnsafeBufferPointer {
                PackedMatrix($0.baseAddress!, columns: k, depth: d, transposed: true)
            }
            assign(training, to: packed, labels: &labels, similarities: &similarities, threads: threads)
            objective = similarities.reduce(0, +)
            // A fixed point: the labels that made these centroids (with no cluster split) came back, so every later
            // iteration would give these centroids again; stopping returns exactly what running on would.
            if labels == previous { break }
            var sizes = average(training, labels: labels, into: &centroids, clusters: k, threads: threads)
            let split = sizes.contains(0)
            splitEmptyClusters(&centroids, sizes: &sizes, columns: d, points: m, generator: &splitGenerator)
            renormalize(&centroids, rows: k, columns: d)
            previous = split ? nil : labels
        }
        return KMeansResult(centroids: try Matrix(rows: k, columns: d, values: centroids), objective: objective)
    }

    /// The nearest centroid (largest inner product, lowest index on ties) of every row of `points`, read a block at a
    /// time; the blocks start at multiples of the assignment chunk, so the result is that of one pass over a matrix.
    public static func assign(_ points: some RowSource, centroids: Matrix, threads: Int = 0) throws -> NearestNeighbour {
        guard points.columns == centroids.columns, centroids.rows > 0 else {
            throw VectorIndexError.shape("points have dimension \(points.columns), \(centroids.rows) centroids have \(centroids.columns)")
        }
        let packed = centroids.values.withUnsafeBufferPointer {
            PackedMatrix($0.baseAddress!, columns: centroids.rows, depth: centroids.columns, transposed: true)
        }
        var labels = [Int](repeating: 0, count: points.rows)
        var scores = [Float](repeating: 0, count: points.rows)
        try points.forEachBlock { start, block in
            var blockLabels = [Int32](repeating: 0, count: block.rows)
            var blockScores = [Float](repeating: 0, count: block.rows)
            assign(block, to: packed, labels: &blockLabels, similarities: &blockScores, threads: threads)
            for i in 0..<block.rows {
                labels[start + i] = Int(blockLabels[i])
                scores[start + i] = blockScores[i]
            }
        }
        return NearestNeighbour(labels: labels, scores: scores)
    }

    static func assign(_ points: Matrix, to centroids: PackedMatrix, labels: inout [Int32], similarities: inout [Float],
                       threads: Int) {
        let rows = points.rows, d = points.columns
        let chunks = (rows + assignmentChunk - 1) / assignmentChunk
        let workers = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        points.values.withUnsafeBufferPointer { x in
            labels.withUnsafeMutableBufferPointer { l in
                similarities.withUnsafeMutableBufferPointer { s in
                    let (x, l, s) = (SendablePointer(x.baseAddress!), SendablePointer(l.baseAddress!), SendablePointer(s.baseAddress!))
                    let work: @Sendable (Int) -> Void = { chunk in
                        let start = chunk * assignmentChunk
                        GEMM.argmax(m: min(assignmentChunk, rows - start), a: x.pointer + start * d, b: centroids,
                                    bestColumn: l.pointer + start, bestValue: s.pointer + start)
                    }
                    if workers == 1 || chunks == 1 {
                        for chunk in 0..<chunks { work(chunk) }
                    } else {
                        DispatchQueue.concurrentPerform(iterations: chunks, execute: work)
                    }
                }
            }
        }
    }

    /// Centroid j <- mean of the points labelled j (left as it was when none are); returns the counts.
    /// Each thread sums its own share of the rows into its own k x d table; the tables are added after.
    static func average(_ points: Matrix, labels: [Int32], into centroids: inout [Float], clusters k: Int,
                        threads: Int) -> [Int] {
        let d = points.columns, n = points.rows
        let shares = max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, n / 4096))
        var sums = [Float](repeating: 0, count: shares * k * d)
        var counts = [Int](repeating: 0, count: shares * k)
        points.values.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { l in
                sums.withUnsafeMutableBufferPointer { s in
                    counts.withUnsafeMutableBufferPointer { c in
                        let (x, l, s, c) = (SendablePointer(x.baseAddress!), SendablePointer(l.baseAddress!),
                                            SendablePointer(s.baseAddress!), SendablePointer(c.baseAddress!))
                        DispatchQueue.concurrentPerform(iterations: shares) { share in
                            let table = s.pointer + share * k * d, sizes = c.pointer + share * k
                            for i in (share * n / shares)..<((share + 1) * n / shares) {
                                let j = Int(l.pointer[i])
                                sizes[j] += 1
                                let row = x.pointer + i * d, sum = table + j * d
                                for t in 0..<d { sum[t] += row[t] }
                            }
                        }
                    }
                }
            }
        }
        var sizes = [Int](repeating: 0, count: k)
        for j in 0..<k {
            for share in 0..<shares { sizes[j] += counts[share * k + j] }
            guard sizes[j] > 0 else { continue }
            let scale = 1 / Float(sizes[j])
            for t in 0..<d {
                var total: Float = 0
                for share in 0..<shares { total += sums[(share * k + j) * d + t] }
                centroids[j * d + t] = total * scale
            }
        }
        return sizes
    }

    /// Faiss's rule for an empty cluster: pick a cluster with probability (size - 1) / (n - k), copy its
    /// centroid with a small symmetric perturbation, and give each half of its points.
    static func splitEmptyClusters(_ centroids: inout [Float], sizes: inout [Int], columns d: Int, points n: Int,
                                   generator: inout SplitMix64) {
        let k = sizes.count
        let epsilon: Float = 1.0 / 1024
        for empty in 0..<k where sizes[empty] == 0 {
            var donor = 0
            while true {
                let probability = Float(sizes[donor] - 1) / Float(n - k)
                if Float(generator.next() >> 40) / Float(1 << 24) < probability { break }
                donor = (donor + 1) % k
            }
            for t in 0..<d {
                let up = t % 2 == 0
                centroids[empty * d + t] = centroids[donor * d + t] * (up ? 1 + epsilon : 1 - epsilon)
                centroids[donor * d + t] *= up ? 1 - epsilon : 1 + epsilon
            }
            sizes[empty] = sizes[donor] / 2
            sizes[donor] -= sizes[empty]
        }
    }

    static func renormalize(_ values: inout [Float], rows: Int, columns: Int) {
        for row in 0..<rows {
            let start = row * columns
            var sum: Float = 0
            for t in start..<(start + columns) { sum += values[t] * values[t] }
            guard sum > 0 else { continue }
            let scale = 1 / sum.squareRoot()
            for t in start..<(start + columns) { values[t] *= scale }
        }
    }

    /// `count` distinct row numbers of `rows` in random order (a seeded partial Fisher-Yates shuffle).
    static func sampleOrder(rows: Int, count: Int, generator: inout SplitMix64) -> [Int] {
        var order = Array(0..<rows)
        for i in 0..<count { order.swapAt(i, i + Int(generator.next() % UInt64(rows - i))) }
        return Array(order.prefix(count))
    }
}

/// A pointer handed to worker threads that write disjoint ranges.
struct SendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
    init(_ pointer: UnsafePointer<Pointee>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
}
