// Spherical k-means plus assignment: flat and inverted-file assignment agree on separated clusters.
import Kernels
import Dedup
import Foundation
import Testing
import VectorIndex

@Suite struct ClusteringTests {
    /// `groups` well-separated directions in `dim` dimensions, `each` noisy points around each.
    static func separatedPoints(groups: Int, each: Int, dim: Int) throws -> Matrix {
        var generator = SplitMix64(seed: 5)
        func uniform() -> Float { Float(generator.next() >> 40) / Float(1 << 23) - 1 }
        let centers = (0..<groups).map { _ in (0..<dim).map { _ in uniform() } }
        var rows: [[Float]] = []
        for center in centers { for _ in 0..<each { rows.append(center.map { $0 + 0.05 * uniform() }) } }
        return try Matrix(rows: rows).normalizedRows().matrix
    }

    @Test func invertedFileWithAllListsProbedIsExact() throws {
        let points = try Self.separatedPoints(groups: 40, each: 10, dim: 24)
        let base = try Matrix(rows: 40, columns: 24, values: Array(points.values.prefix(40 * 24)))
        let index = try IVFIndex(dimension: 24, lists: 8)
        try index.train(points)
        try index.add(base)
        #expect(index.count == 40)
        let ivf = try index.nearest(points, probes: 8)
        let flat = try FlatIndex.nearest(base: base, queries: points)
        #expect(ivf.labels == flat.labels)
    }

    @Test func flatAndInvertedFileAssignmentsAgreeOnSeparatedClusters() throws {
        let points = try Self.separatedPoints(groups: 512, each: 6, dim: 32)
        let flat = try SemanticClustering.cluster(points, ClusteringOptions(clusters: 512, iterations: 10, assignment: .flat))
        let ivf = try SemanticClustering.cluster(points, ClusteringOptions(clusters: 512, iterations: 10, assignment: .ivf))
        #expect(flat.method == .flat && ivf.method == .ivf)
        let agreeing = zip(flat.assignment, ivf.assignment).filter { $0 == $1 }.count
        #expect(Double(agreeing) >= 0.95 * Double(points.rows))
        #expect(flat.sizes.reduce(0, +) == points.rows)
    }

    @Test func tooFewPointsIsAClusteringError() throws {
        let points = try Self.separatedPoints(groups: 2, each: 2, dim: 8)
        #expect(throws: DedupError.self) { try SemanticClustering.cluster(points, ClusteringOptions(clusters: 5)) }
    }
}
