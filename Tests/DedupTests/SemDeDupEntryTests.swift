// SemDeDup's one entry point, used by `dedup` and by the pipeline's semdedup stage: identical vectors end in one
// cluster whatever the assignment said, so an exact copy is always removed.
import Dedup
import Foundation
import Kernels
import Testing
import VectorIndex

@Suite struct SemDeDupEntryTests {
    @Test func identicalVectorsAreGivenTheClusterOfTheirFirstCopy() throws {
        let matrix = try Matrix(rows: [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]]).normalizedRows().0
        // An assignment that rounding could give: the copies of row 0 and row 1 put into other clusters.
        let merged = SemDeDup.sameClusterForIdenticalVectors(matrix, [0, 1, 2, 2, 0])
        #expect(merged == [0, 1, 0, 2, 1])
    }

    @Test func theEntryPointRemovesEveryExactCopyAndNothingElse() throws {
        var generator = SplitMix64(seed: 11)
        var rows: [[Float]] = (0..<40).map { _ in (0..<16).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 } }
        let copies = [3: 17, 8: 29, 21: 35]  // row -> the earlier row it copies
        for (row, original) in copies { rows[row] = rows[original] }
        let matrix = try Matrix(rows: rows).normalizedRows().0
        for clusters in [1, 4, 12] {
            let (_, scan, _) = try SemDeDup.run(matrix, clustering: ClusteringOptions(clusters: clusters, seed: 7), keep: .hard, seed: 7)
            let removed = Set(scan.removed(eps: 1e-6))
            // One of each pair goes, whichever the keep order puts second.
            #expect(removed.count == copies.count, "\(clusters) clusters: \(removed.sorted())")
            for (row, original) in copies { #expect(removed.contains(row) != removed.contains(original)) }
        }
    }
}
