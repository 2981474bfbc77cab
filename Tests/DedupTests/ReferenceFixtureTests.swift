// The Swift SemDeDup scan against the numpy reference (scripts/fixtures/semdedup_reference.py): the same
// embeddings, assignments and centroids must give exactly the same removed sets and matched items.
import Dedup
import Foundation
import Testing
import VectorIndex

struct ReferenceFixture: Decodable {
    struct Mode: Decodable {
        var orders: [[Int]]
        var duplicate_of: [Int]
        var max_similarity: [Double?]
        var removed: [String: [Int]]
    }
    var dimension: Int
    var seed: UInt64
    var eps: [Double]
    var embeddings: [[Double]]
    var assignment: [Int]
    var centroids: [[Double]]
    var modes: [String: Mode]

    static func load() throws -> ReferenceFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/semdedup/reference.json")
        return try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url))
    }

    func matrix(_ rows: [[Double]]) throws -> Matrix {
        try Matrix(rows: rows.map { $0.map { Float($0) } })
    }
}

@Suite struct ReferenceFixtureTests {
    @Test(arguments: KeepPolicy.allCases)
    func removedSetsMatchTheReference(keep: KeepPolicy) throws {
        let fixture = try ReferenceFixture.load()
        let mode = try #require(fixture.modes[keep.rawValue])
        let scan = try SemDeDup.scan(embeddings: fixture.matrix(fixture.embeddings), assignment: fixture.assignment,
                                     centroids: fixture.matrix(fixture.centroids), keep: keep, seed: fixture.seed)
        #expect(scan.duplicateOf == mode.duplicate_of)
        for (item, expected) in mode.max_similarity.enumerated() {
            if let expected {
                #expect(scan.maxSimilarity[item] == expected, "item \(item)")
            } else {
                #expect(scan.maxSimilarity[item] == -.infinity, "item \(item) is first in its cluster")
            }
        }
        for eps in fixture.eps {
            let expected = try #require(mode.removed[String(eps)] ?? mode.removed["\(eps)"])
            #expect(scan.removed(eps: eps) == expected, "keep \(keep.rawValue), eps \(eps)")
        }
    }

    @Test(arguments: KeepPolicy.allCases)
    func clusterOrdersMatchTheReference(keep: KeepPolicy) throws {
        let fixture = try ReferenceFixture.load()
        let mode = try #require(fixture.modes[keep.rawValue])
        let embeddings = try fixture.matrix(fixture.embeddings)
        let centroids = try fixture.matrix(fixture.centroids)
        for (cluster, expected) in mode.orders.enumerated() {
            let members = fixture.assignment.indices.filter { fixture.assignment[$0] == cluster }
            let order = ClusterOrder.order(members: members, embeddings: embeddings, centroid: centroids.row(cluster),
                                           keep: keep, cluster: cluster, seed: fixture.seed)
            #expect(order == expected, "cluster \(cluster)")
        }
    }

    @Test func blockedScanEqualsOneBlock() throws {
        // Tiny row blocks (one row at a time) must give the same answer as whole-cluster blocks.
        let fixture = try ReferenceFixture.load()
        let embeddings = try fixture.matrix(fixture.embeddings)
        let centroids = try fixture.matrix(fixture.centroids)
        let whole = try SemDeDup.scan(embeddings: embeddings, assignment: fixture.assignment, centroids: centroids,
                                      keep: .hard, seed: fixture.seed)
        let blocked = try SemDeDup.scan(embeddings: embeddings, assignment: fixture.assignment, centroids: centroids,
                                        keep: .hard, seed: fixture.seed, blockBudget: 1)
        #expect(blocked.duplicateOf == whole.duplicateOf)
        #expect(blocked.maxSimilarity == whole.maxSimilarity)
    }

    @Test func strictThresholdKeepsSimilarityEqualToOneMinusEps() throws {
        // Cosine exactly 0.5: kept at eps 0.5 (0.5 > 0.5 is false), removed just above.
        let c: [Float] = [1, 0, 0, 0]
        let d: [Float] = [0.5, 0.5, 0.5, 0.5]
        let pair = try SemDeDup.scan(embeddings: Matrix(rows: [c, d]), assignment: [0, 0],
                                     centroids: Matrix(rows: [[1, 0, 0, 0]]), keep: .easy)
        #expect(pair.duplicateOf == [-1, 0])
        #expect(pair.maxSimilarity[1] == 0.5)
        #expect(pair.removed(eps: 0.5).isEmpty)
        #expect(pair.removed(eps: 0.5001) == [1])
    }
}
