// Malformed records are rejected with their line numbers and written out; nothing disappears.
import Dedup
import Engine
import Foundation
import Testing
import VectorIndex

@Suite struct BadInputTests {
    @Test func everyRecordEndsKeptRemovedOrRejected() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.jsonl")
        var bytes = Array("""
        {"code":"def add(a, b):\\n    return a + b"}
        {"code":"def sub(a, b):\\n    return a - b"}

        {"code":"def add(a, b):\\n    return a + b"}
        {"code": 5}
        {"text": "no code"}
        not json at all
        {"code":"  "}
        ["code"]
        {"code": null}
        {"code":"def mul(a, b):\\n    return a * b"}

        """.utf8)
        bytes += Array(#"{"code":"bad "#.utf8) + [0xFF] + Array(#" utf"}"#.utf8) + [0x0A]
        try Data(bytes).write(to: input)

        let report = try DedupRun.run(input: input, settings: DedupParameters(fields: ["code"], eps: [0.01], clusters: 50),
                                      embeddings: .embedder(CachedEmbedder(embedder: HashingEmbedder(),
                                          cache: try EmbeddingCache(directory: directory, embedderName: "hashing"))))
        #expect(report.recordCount == 11)
        #expect(report.blankLines == 1)
        let reasons = Dictionary(uniqueKeysWithValues: report.rejections.map { ($0.line, $0.reason) })
        #expect(reasons[5] == "field 'code' is a number, not a string")
        #expect(reasons[6] == "missing field 'code'")
        #expect(reasons[7]?.hasPrefix("malformed JSON") == true)
        #expect(reasons[8] == "empty text in field 'code'")
        #expect(reasons[9] == "not a JSON object")
        #expect(reasons[10] == "field 'code' is null, not a string")
        #expect(reasons[12] == "invalid UTF-8 at byte 13")
        #expect(report.clusters.centroids.rows == 1, "4 records and 50 clusters asked: k drops to 1")
        #expect(report.warnings.count == 1)

        let paths = DedupOutputPaths.plan(output: directory.appendingPathComponent("out.jsonl"), removed: nil, eps: [0.01])
        try DedupOutputWriter.write(report, to: paths)
        let kept = try TestFiles.lines(paths[0].kept)
        let removed = try TestFiles.jsonObjects(paths[0].removed)
        #expect(kept == [#"{"code":"def add(a, b):\n    return a + b"}"#, #"{"code":"def sub(a, b):\n    return a - b"}"#,
                         #"{"code":"def mul(a, b):\n    return a * b"}"#])
        #expect(kept.count + removed.count == report.recordCount)
        #expect(removed.filter { $0["rejected"] != nil }.count == 7)
        let duplicate = try #require(removed.first { $0["duplicate_of"] != nil })
        #expect(duplicate["line"] as? Int == 4)
        #expect(duplicate["duplicate_of_line"] as? Int == 1)
        #expect(removed.first { $0["line"] as? Int == 7 }?["raw"] as? String == "not json at all")
    }

    @Test func embeddingRowsMustMatchRecords() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let npy = directory.appendingPathComponent("v.npy")
        try NPYFile.write(try Matrix(rows: [[1, 0], [0, 1]]), to: npy)
        #expect(throws: DedupError.embeddingCount(file: npy.path, rows: 2, records: 5)) {
            try DedupRun.run(input: TestFiles.fixtures.appendingPathComponent("small.jsonl"),
                             settings: DedupParameters(fields: ["code"], clusters: 1), embeddings: .precomputed(npy))
        }
    }

    @Test func zeroEmbeddingsAreRejectedNotClustered() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let npy = directory.appendingPathComponent("v.npy")
        try NPYFile.write(try Matrix(rows: [[1, 0], [0, 1], [0, 0], [3, 0], [1, 1]]), to: npy)
        let report = try DedupRun.run(input: TestFiles.fixtures.appendingPathComponent("small.jsonl"),
                                      settings: DedupParameters(fields: ["code"], clusters: 1), embeddings: .precomputed(npy))
        // Record 2 (line 3) has a zero vector; record 3 (line 4) has `"code": 7`.
        #expect(report.rejections.map(\.line) == [3, 4])
        #expect(report.rejections.map(\.reason) == ["embedding has zero or non-finite norm", "field 'code' is a number, not a string"])
        #expect(report.itemRecords == [0, 1, 4])
    }

    /// Issue 22: NaN or infinite embeddings were all rejected as degenerate and the run ended in "no usable
    /// records"; now the error names the file, the value and where it is.
    @Test func nonFiniteEmbeddingsNameTheFileValueAndPlace() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let npy = directory.appendingPathComponent("v.npy")
        try NPYFile.write(try Matrix(rows: [[1, 0], [.nan, 1], [.nan, .nan], [3, .infinity], [1, 1]]), to: npy)
        let input = TestFiles.fixtures.appendingPathComponent("small.jsonl")
        do {
            _ = try DedupRun.run(input: input, settings: DedupParameters(fields: ["code"], clusters: 1), embeddings: .precomputed(npy))
            Issue.record("a NaN embedding was accepted")
        } catch let DedupError.nonFiniteValue(file, row, column, value) {
            #expect(file == npy.path && row == 1 && column == 0 && value.isNaN)
        }
        #expect(DedupError.nonFiniteValue(file: "v.npy", row: 3, column: 1, value: .infinity).localizedDescription
            == "v.npy: row 3, column 1 holds inf; embedding values must be finite numbers")
        #expect(DedupError.nonFiniteValue(file: "v.npy", row: 0, column: 2, value: 1e300).localizedDescription
            == "v.npy: row 0, column 2 holds 1e+300, past float32's range; embedding values must be finite numbers")

        try NPYFile.write(try Matrix(rows: Array(repeating: [Float.nan, .nan], count: 5)), to: npy)
        let error = #expect(throws: DedupError.self) {
            try DedupRun.run(input: input, settings: DedupParameters(fields: ["code"], clusters: 1), embeddings: .precomputed(npy))
        }
        #expect(error?.localizedDescription == "\(npy.path): row 0, column 0 holds nan; embedding values must be finite numbers")
    }

    @Test func clusterCountFollowsTheCorpusSize() {
        #expect(DedupRun.chooseClusterCount(requested: 1000, items: 250).0 == 2)
        #expect(DedupRun.chooseClusterCount(requested: 1000, items: 50).0 == 1)
        #expect(DedupRun.chooseClusterCount(requested: 1000, items: 200_000) == (1000, []))
        #expect(DedupRun.chooseClusterCount(requested: 600, items: 1000).1.count == 1)
        #expect(DedupRun.chooseClusterCount(requested: 10, items: 1_000_000).1.count == 1)
    }
}
