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
        let merged = try SemDeDup.sameClusterForIdenticalVectors(matrix, [0, 1, 2, 2, 0])
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

    /// Rows read from a file a block or a cluster at a time (as the pipeline's semdedup does for any number of samples)
    /// give, bit for bit, the clusters and the scan of the same rows in memory; also for a subset of the rows, and with
    /// exact copies whose first copy lies in an earlier block.
    @Test func rowsReadFromAFileGiveTheScanOfTheRowsInMemory() throws {
        let n = Matrix.blockRows + 4_000, d = 8
        var generator = SplitMix64(seed: 5)
        var values = (0..<(n * d)).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
        // Copies across the block boundary, and a near copy, so that the scan has duplicates to find.
        for (copy, original) in [(Matrix.blockRows + 10, 3), (Matrix.blockRows + 11, 70), (n - 1, Matrix.blockRows + 12)] {
            for t in 0..<d { values[copy * d + t] = values[original * d + t] }
        }
        values[500 * d] = values[501 * d] + 1e-4
        for t in 1..<d { values[500 * d + t] = values[501 * d + t] }
        let matrix = try Matrix(rows: n, columns: d, values: values).normalizedRows().0
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spilled-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let spilled = try SpilledRows(rows: n, columns: d, directory: directory)
        try matrix.forEachBlock { start, block in try spilled.write(block, at: start) }
        #expect(try spilled.block(0..<n) == matrix)
        // No file is left in the directory: it was unlinked when made.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)

        for keep in KeepPolicy.allCases {
            let clustering = ClusteringOptions(clusters: 40, iterations: 8, seed: 3)
            let inMemory = try SemDeDup.run(matrix, clustering: clustering, keep: keep, seed: 3)
            let fromFile = try SemDeDup.run(spilled, clustering: clustering, keep: keep, seed: 3)
            #expect(fromFile.clusters.centroids == inMemory.clusters.centroids, "\(keep)")
            #expect(fromFile.clusters.assignment == inMemory.clusters.assignment, "\(keep)")
            #expect(fromFile.scan.duplicateOf == inMemory.scan.duplicateOf && fromFile.scan.maxSimilarity == inMemory.scan.maxSimilarity, "\(keep)")
            // Each exact copy went, whichever block its first copy was read in.
            #expect(fromFile.scan.isRemoved(Matrix.blockRows + 10, eps: 1e-6) || fromFile.scan.isRemoved(3, eps: 1e-6))
            #expect(fromFile.scan.isRemoved(n - 1, eps: 1e-6) || fromFile.scan.isRemoved(Matrix.blockRows + 12, eps: 1e-6))
        }
        let some = Array(stride(from: 1, to: n, by: 2)) + [Matrix.blockRows + 10]
        let subset = try matrix.gather(some)
        let clustering = ClusteringOptions(clusters: 30, iterations: 5, seed: 9)
        let inMemory = try SemDeDup.run(subset, clustering: clustering, keep: .hard, seed: 9).scan
        let fromFile = try SemDeDup.run(RowSubset(spilled, indices: some), clustering: clustering, keep: .hard, seed: 9).scan
        #expect(fromFile.duplicateOf == inMemory.duplicateOf && fromFile.maxSimilarity == inMemory.maxSimilarity && fromFile.cluster == inMemory.cluster)
    }
}
