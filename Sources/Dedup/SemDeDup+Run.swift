// SemDeDup's one entry point, for `semi-instruct dedup` and the pipeline's semdedup stage alike: cluster, keep
// identical vectors together, scan.
import Foundation
import Kernels
import VectorIndex

extension SemDeDup {
    /// Clusters the L2-normalised rows, gives bitwise-identical vectors the cluster of their first copy, and scans
    /// every cluster; `scanSeconds` is the scan's own time. Rows are read a block or a cluster at a time (see
    /// `SemanticClustering.cluster` for the options that read them all).
    public static func run(_ embeddings: some RowSource, clustering: ClusteringOptions, keep: KeepPolicy,
                           seed: UInt64) throws -> (clusters: SemanticClusters, scan: SemDeDupScan, scanSeconds: Double) {
        var clusters = try SemanticClustering.cluster(embeddings, clustering)
        clusters.assignment = try sameClusterForIdenticalVectors(embeddings, clusters.assignment)
        let clock = ContinuousClock()
        let start = clock.now
        let scan = try Self.scan(embeddings: embeddings, assignment: clusters.assignment, centroids: clusters.centroids,
                                 keep: keep, seed: seed)
        return (clusters, scan, SemanticClustering.seconds(clock.now - start))
    }

    /// Bitwise-identical vectors join the cluster of their first copy: the search's float rounding can
    /// otherwise split them between two near-equidistant centroids, and then an exact duplicate survives.
    public static func sameClusterForIdenticalVectors(_ rows: some RowSource, _ assignment: [Int]) throws -> [Int] {
        var firstWithHash: [UInt64: Int] = [:]
        var result = assignment
        try rows.forEachBlock { start, block in
            for offset in 0..<block.rows {
                let item = start + offset, vector = block.row(offset)
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                for value in vector { hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3 }
                if let first = firstWithHash[hash] {
                    let earlier = first >= start ? block.row(first - start) : try rows.gather([first]).row(0)
                    if earlier.elementsEqual(vector) { result[item] = result[first] }
                } else {
                    firstWithHash[hash] = item
                }
            }
        }
        return result
    }

}
