// The order SemDeDup walks a cluster in: an item can only be removed as a duplicate of an item earlier
// in this order, so the order decides which member of a duplicate group survives.
import Kernels
import VectorIndex

/// Which member of a group of near-duplicates survives.
public enum KeepPolicy: String, CaseIterable, Sendable, Codable {
    /// Farthest from the centroid first (SemDeDup's `which_to_keep = hard`): atypical items survive.
    case hard
    /// Nearest to the centroid first: prototypical items survive.
    case easy
    /// A seeded shuffle of each cluster (SplitMix64, see `SplitMix64`).
    case random
}

extension SplitMix64 {
    /// The generator for one cluster: seed + cluster * golden ratio, so clusters shuffle independently.
    public static func forCluster(_ cluster: Int, seed: UInt64) -> SplitMix64 {
        SplitMix64(seed: seed &+ UInt64(cluster) &* 0x9E37_79B9_7F4A_7C15)
    }
}

public enum ClusterOrder {
    /// Orders `members` (item indices) of one cluster.
    ///
    /// - hard: ascending similarity to the centroid (farthest first); equal similarities by ascending index.
    /// - easy: descending similarity to the centroid (nearest first); equal similarities by ascending index.
    /// - random: members in ascending index order, then a Fisher-Yates shuffle drawing
    ///   `j = next() % (i + 1)` for i = m-1 down to 1, from `SplitMix64.forCluster(cluster, seed:)`.
    ///
    /// Similarity to the centroid is a plain dot product accumulated in Double in dimension order, so
    /// identical vectors always tie exactly and the order does not depend on the BLAS build.
    public static func order(members: [Int], embeddings: Matrix, centroid: ArraySlice<Float>, keep: KeepPolicy,
                             cluster: Int, seed: UInt64) -> [Int] {
        let ascending = members.sorted()
        switch keep {
        case .random:
            var shuffled = ascending
            var generator = SplitMix64.forCluster(cluster, seed: seed)
            var i = shuffled.count - 1
            while i > 0 {
                let j = Int(generator.next() % UInt64(i + 1))
                shuffled.swapAt(i, j)
                i -= 1
            }
            return shuffled
        case .hard, .easy:
            let scores = ascending.map { similarityToCentroid(embeddings.row($0), centroid) }
            let positions = Array(ascending.indices).sorted { a, b in
                if scores[a] != scores[b] { return keep == .hard ? scores[a] < scores[b] : scores[a] > scores[b] }
                return ascending[a] < ascending[b]
            }
            return positions.map { ascending[$0] }
        }
    }

    static func similarityToCentroid(_ vector: ArraySlice<Float>, _ centroid: ArraySlice<Float>) -> Double {
        var sum = 0.0
        for (x, c) in zip(vector, centroid) { sum += Double(x) * Double(c) }
        return sum
    }
}
