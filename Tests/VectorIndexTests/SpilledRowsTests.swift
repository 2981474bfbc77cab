// Rows kept in a temporary file: what is written is read back, by block and by any list of indices, and a read or
// write outside the rows is an error that says where.
import Foundation
import Testing
import VectorIndex

@Suite struct SpilledRowsTests {
    @Test func rowsWrittenInAnyOrderAreReadBackByBlockAndByIndex() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spilled-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (n, d) = (10, 3)
        let rows = try SpilledRows(rows: n, columns: d, directory: directory)
        let values = (0..<(n * d)).map { Float($0) + 0.5 }
        let matrix = try Matrix(rows: n, columns: d, values: values)
        // Later rows first, and row 4 never written: it reads as zeros.
        try rows.write(try matrix.block(5..<10), at: 5)
        try rows.write(try matrix.block(0..<4), at: 0)
        var expected = values
        for t in 0..<d { expected[4 * d + t] = 0 }
        #expect(try rows.block(0..<n).values == expected)
        #expect(try rows.block(6..<8) == (try matrix.block(6..<8)))
        // Runs of consecutive indices and single ones, in any order, with repeats.
        let picked = [9, 2, 3, 4, 5, 0, 0, 7]
        let gathered = try rows.gather(picked)
        for (position, index) in picked.enumerated() {
            #expect(Array(gathered.row(position)) == Array(expected[(index * d)..<((index + 1) * d)]))
        }
        let subset = RowSubset(rows, indices: [8, 1])
        #expect(try subset.block(0..<2).values == Array(values[24..<27] + values[3..<6]))

        #expect(throws: VectorIndexError.self) { _ = try rows.block(8..<11) }
        #expect(throws: VectorIndexError.self) { _ = try rows.gather([10]) }
        #expect(throws: VectorIndexError.self) { try rows.write(try Matrix(rows: 1, columns: 2, values: [1, 2]), at: 0) }
        #expect(throws: VectorIndexError.self) { try rows.write(try matrix.block(0..<2), at: 9) }
        #expect(throws: VectorIndexError.self) {
            _ = try SpilledRows(rows: 1, columns: 1, directory: directory.appendingPathComponent("missing"))
        }
    }
}
