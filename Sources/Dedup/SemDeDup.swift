// SemDeDup (Abbas et al. 2023) given cluster assignments: within each cluster, walk the items in the
// keep order and find, for every item, its most similar EARLIER item. One scan serves every eps, because
// the rule is greedy (an earlier item counts even when it is itself removed).
import Foundation
import Kernels
import VectorIndex

/// For every item: the earlier item of its cluster it is most similar to, and that similarity.
public struct SemDeDupScan: Sendable {
    /// Cluster of each item.
    public var cluster: [Int]
    /// Index of the most similar earlier item in the same cluster, or -1 for the first item of a cluster.
    public var duplicateOf: [Int]
    /// Cosine similarity to `duplicateOf`, or -infinity for the first item of a cluster. It is the exact
    /// dot product recomputed in Double in dimension order, so it does not depend on the BLAS kernel.
    public var maxSimilarity: [Double]

    public var count: Int { cluster.count }

    /// Item j is removed when its similarity to an earlier item exceeds 1 - eps (strictly, as the SemDeDup
    /// reference does; NeMo Curator uses >=), compared in Double.
    public func isRemoved(_ item: Int, eps: Double) -> Bool {
        duplicateOf[item] >= 0 && maxSimilarity[item] > 1 - eps
    }

    /// Removed items for one eps, ascending.
    public func removed(eps: Double) -> [Int] { (0..<count).filter { isRemoved($0, eps: eps) } }
}

public enum SemDeDup {
    /// The one default threshold, for `dedup` and for recipes: removed when cosine similarity exceeds 1 - eps.
    public static let defaultEps = 0.05

    /// Upper bound on the similarity block held at once (floats): row blocks shrink for large clusters.
    public static let defaultBlockBudget = 8 << 20

    /// Scans every cluster. `embeddings` rows must be L2-normalised; `assignment[i]` is item i's cluster
    /// in 0..<centroids.rows. The float32 sgemm block finds the candidates (all earlier items within its
    /// rounding bound of the best); their similarities are recomputed exactly as Double dot products in
    /// dimension order and the largest wins, ties going to the earliest item in the keep order. So bitwise
    /// identical items tie exactly, whatever blocking or kernel the BLAS chose.
    /// A cluster's rows are read when its scan starts, so memory holds the clusters being scanned, not every row.
    public static func scan(embeddings: some RowSource, assignment: [Int], centroids: Matrix, keep: KeepPolicy,
                            seed: UInt64 = 1234, blockBudget: Int = defaultBlockBudget) throws -> SemDeDupScan {
        guard assignment.count == embeddings.rows else {
            throw DedupError.shape("\(embeddings.rows) embeddings but \(assignment.count) cluster assignments")
        }
        guard centroids.columns == embeddings.columns else {
            throw DedupError.shape("embeddings have dimension \(embeddings.columns), centroids \(centroids.columns)")
        }
        var members = [[Int]](repeating: [], count: centroids.rows)
        for (item, cluster) in assignment.enumerated() {
            guard cluster >= 0 && cluster < centroids.rows else {
                throw DedupError.shape("item \(item) is assigned to cluster \(cluster); there are \(centroids.rows)")
            }
            members[cluster].append(item)
        }
        var duplicateOf = [Int](repeating: -1, count: embeddings.rows)
        var maxSimilarity = [Double](repeating: -.infinity, count: embeddings.rows)
        // Clusters are independent and write disjoint items: threads take them largest first.
        let clusters = members
        let work = clusters.indices.filter { clusters[$0].count > 1 }.sorted { clusters[$0].count > clusters[$1].count }
        let failure = FirstFailure()
        duplicateOf.withUnsafeMutableBufferPointer { duplicates in
            maxSimilarity.withUnsafeMutableBufferPointer { similarities in
                let slots = ScanSlots(duplicateOf: duplicates.baseAddress!, maxSimilarity: similarities.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: work.count) { index in
                    let cluster = work[index], members = clusters[cluster]
                    do {
                        // Members are in ascending item order, so local row numbers order and break ties as item numbers do.
                        let rows = try embeddings.gather(members)
                        let order = ClusterOrder.order(members: Array(0..<members.count), embeddings: rows,
                                                       centroid: centroids.row(cluster), keep: keep, cluster: cluster, seed: seed)
                        scanCluster(ordered: try rows.gather(order), items: order.map { members[$0] }, blockBudget: blockBudget, into: slots)
                    } catch {
                        failure.record(error)
                    }
                }
            }
        }
        if let error = failure.error { throw error }
        return SemDeDupScan(cluster: assignment, duplicateOf: duplicateOf, maxSimilarity: maxSimilarity)
    }

    /// Rows of the ordered cluster (`items[i]` is row i's item) are compared to all earlier rows in blocks: block
    /// [r0, r1) against columns [0, r1) with one sgemm, so memory stays at blockRows x m floats (per thread) however
    /// large the cluster.
    static func scanCluster(ordered matrix: Matrix, items order: [Int], blockBudget: Int, into result: ScanSlots) {
        let m = order.count
        let d = matrix.columns
        let ordered = matrix.values
        // 256-row blocks skip most of the upper triangle (rows only meet earlier columns) at full sgemm speed.
        let blockRows = max(1, min(256, blockBudget / max(m, 1)))
        var block = [Float](repeating: 0, count: blockRows * m)
        // Two float32 dot products of unit vectors differ from the exact ones by at most d * 2^-24 each.
        let tolerance = max(Float(d) * Float.ulpOfOne, 1e-6)
        var r0 = 1  // the first item has nothing earlier
        while r0 < m {
            let r1 = min(m, r0 + blockRows)
            ordered.withUnsafeBufferPointer { x in
                block.withUnsafeMutableBufferPointer { s in
                    GEMM.sgemm(m: r1 - r0, n: r1, k: d, a: x.baseAddress! + r0 * d, b: x.baseAddress!,
                               transposeB: true, c: s.baseAddress!, ldc: r1)
                }
            }
            block.withUnsafeBufferPointer { s in
                ordered.withUnsafeBufferPointer { x in
                    for position in r0..<r1 {
                        let row = s.baseAddress! + (position - r0) * r1
                        var best = row[0]
                        for earlier in 1..<position where row[earlier] > best { best = row[earlier] }
                        var bestPosition = -1
                        var bestSimilarity = -Double.infinity
                        for earlier in 0..<position where row[earlier] >= best - tolerance {
                            let exact = exactDot(x.baseAddress! + position * d, x.baseAddress! + earlier * d, d)
                            if exact > bestSimilarity {
                                bestSimilarity = exact
                                bestPosition = earlier
                            }
                        }
                        let item = order[position]
                        result.duplicateOf[item] = order[bestPosition]
                        result.maxSimilarity[item] = bestSimilarity
                    }
                }
            }
            r0 = r1
        }
    }

    /// Dot product of two rows, accumulated in Double in dimension order.
    static func exactDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Double {
        var sum = 0.0
        for i in 0..<d { sum += Double(a[i]) * Double(b[i]) }
        return sum
    }
}

/// Where cluster scans write their items' results; each item belongs to exactly one cluster, so threads
/// scanning different clusters never write the same slot.
struct ScanSlots: @unchecked Sendable {
    let duplicateOf: UnsafeMutablePointer<Int>
    let maxSimilarity: UnsafeMutablePointer<Double>
}

/// The first error thrown by any of the threads scanning clusters.
final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?

    var error: Error? { lock.withLock { first } }
    func record(_ error: Error) { lock.withLock { if first == nil { first = error } } }
}
