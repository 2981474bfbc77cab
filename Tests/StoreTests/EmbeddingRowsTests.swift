import Foundation
import Store
import Testing

/// `embeddingRows`: the stored vectors of a list of samples, each with its place in the list, with the ones missing named.
@Suite struct EmbeddingRowsTests {
    /// The rows handed over, laid out in one buffer in the order asked.
    static func rows(_ db: RunDatabase, _ ids: [String], dimension: Int) throws -> (values: [Float], missing: [Int]) {
        var values = [Float](repeating: 0, count: ids.count * dimension)
        let missing = try db.embeddingRows(model: "m", sampleIds: ids, dimension: dimension) { index, bytes in
            #expect(bytes.count == dimension * MemoryLayout<Float>.size)
            values.replaceSubrange((index * dimension)..<((index + 1) * dimension), with: (0..<dimension).map { bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<Float>.size, as: Float.self) })
        }
        return (values, missing)
    }

    @Test func rowsComeInTheOrderAskedWithTheMissingOnesNamed() throws {
        let db = try RunDatabase()
        let ids = ["c", "a", "d", "b"]
        try db.insertSamples(ids.enumerated().map { SampleRecord(id: $1, ordinal: $0, source: "m.py", line: 1, entryPoint: "f", code: "") })
        try db.saveEmbeddings([
            EmbeddingRecord(sampleId: "a", model: "m", values: [1, 2, 3]),
            EmbeddingRecord(sampleId: "b", model: "m", values: [4, 5, 6]),
            EmbeddingRecord(sampleId: "c", model: "m", values: [7, 8, 9]),
            // Another model's vector is not this model's.
            EmbeddingRecord(sampleId: "d", model: "other", values: [0, 0, 1]),
        ])
        let (values, missing) = try Self.rows(db, ["b", "d", "a", "c"], dimension: 3)
        #expect(values == [4, 5, 6, 0, 0, 0, 1, 2, 3, 7, 8, 9])
        #expect(missing == [1])
        // A subset: the other stored vectors are not read into it.
        #expect(try Self.rows(db, ["c"], dimension: 3).values == [7, 8, 9])
        // A vector of another length is named, not read past.
        #expect {
            _ = try Self.rows(db, ["a"], dimension: 4)
        } throws: { "\($0)".contains("sample a") && "\($0)".contains("4 dimensions") }
    }
}
