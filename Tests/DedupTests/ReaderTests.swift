// Input formats: gzip (zlib), JSON arrays split into raw elements, numpy-written .npy files.
import Dedup
import Engine
import Foundation
import Testing
import VectorIndex

@Suite struct ReaderTests {
    static func records(_ url: URL) throws -> [InputRecord] {
        var records: [InputRecord] = []
        try RecordReader.forEach(url) { records.append($0) }
        return records
    }

    @Test func gzipReadsLikeThePlainFile() throws {
        let plain = try Self.records(TestFiles.fixtures.appendingPathComponent("small.jsonl"))
        let gzip = try Self.records(TestFiles.fixtures.appendingPathComponent("small.jsonl.gz"))
        #expect(plain.count == 5)
        #expect(gzip.map(\.bytes) == plain.map(\.bytes))
        #expect(gzip.map(\.line) == [1, 2, 3, 4, 5])
    }

    @Test func truncatedGzipIsAnError() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try Data(contentsOf: TestFiles.fixtures.appendingPathComponent("small.jsonl.gz"))
        let truncated = directory.appendingPathComponent("cut.jsonl.gz")
        try data.prefix(data.count - 12).write(to: truncated)
        #expect(throws: DedupError.self) { try Self.records(truncated) }
    }

    @Test func jsonArrayElementsKeepTheirBytes() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("a.json")
        try """
         [ {"code": "a, [b] {c} \\" ]"},
          {"code": "x",
           "tags": [1, {"k": "]"}]},
          {"code": "a, [b] {c} \\" ]"} ]
        """.write(to: url, atomically: true, encoding: .utf8)
        let records = try Self.records(url)
        #expect(records.map { String(decoding: $0.bytes, as: UTF8.self) } == [
            #"{"code": "a, [b] {c} \" ]"}"#, "{\"code\": \"x\",\n   \"tags\": [1, {\"k\": \"]\"}]}", #"{"code": "a, [b] {c} \" ]"}"#])
        #expect(records.map(\.line) == [1, 2, 4])

        let report = try DedupRun.run(input: url, settings: DedupParameters(fields: ["code"], clusters: 1),
                                      embeddings: .embedder(CachedEmbedder(embedder: HashingEmbedder(),
                                          cache: try EmbeddingCache(directory: directory, embedderName: "hashing"))))
        let paths = DedupOutputPaths.plan(output: directory.appendingPathComponent("out.json"), removed: nil, eps: [0.01])
        try DedupOutputWriter.write(report, to: paths)
        let kept = try JSONSerialization.jsonObject(with: Data(contentsOf: paths[0].kept)) as? [[String: Any]]
        #expect(kept?.count == 2)
        #expect(try TestFiles.jsonObjects(paths[0].removed).first?["duplicate_of"] as? Int == 0)
    }

    @Test func unclosedJSONArrayIsAnError() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("a.json")
        try #"[{"code": "x"}, {"code": "#.write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: DedupError.notJSONArray(file: url.path, reason: "element 1 starting on line 1 is not closed")) {
            try Self.records(url)
        }
    }

    @Test func readsNumpyFloat32AndFloat64() throws {
        let expected = try Matrix(rows: 3, columns: 4, values: (0..<12).map { Float($0) / 8 })
        #expect(try NPYFile.readMatrix(TestFiles.fixtures.appendingPathComponent("matrix_f4.npy")) == expected)
        #expect(try NPYFile.readMatrix(TestFiles.fixtures.appendingPathComponent("matrix_f8.npy")) == expected)
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = directory.appendingPathComponent("m.npy")
        try NPYFile.write(expected, to: written)
        #expect(try Data(contentsOf: written) == Data(contentsOf: TestFiles.fixtures.appendingPathComponent("matrix_f4.npy")))
    }

    /// A version 1.0 .npy with `header` as its dict and `data` after it.
    static func npy(header: String, data: [UInt8] = []) -> Data {
        var text = header
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        let length = UInt16(text.utf8.count)
        return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8) + data)
    }

    /// Issue 22: rows x columns x width overflowed on a shape of (2^40, 2^40) and trapped (SIGILL).
    @Test func numpyShapesThatOverflowOrAreNegativeAreErrors() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.npy")
        let cases: [(shape: String, reason: String)] = [
            ("(1099511627776, 1099511627776)", "shape (1099511627776, 1099511627776) needs more than 2^63 bytes of data, found 0"),
            ("(-1, -4)", "shape (-1, -4) is not 2-D"),
            ("(4611686018427387904, 0)", "shape (4611686018427387904, 0) has vectors of no values"),
            ("(3, 4)", "shape (3, 4) needs 48 bytes of data, found 0"),
        ]
        for item in cases {
            try Self.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': \(item.shape), }").write(to: url)
            #expect(throws: DedupError.npy(file: url.path, reason: item.reason)) { try NPYFile.readMatrix(url) }
        }
    }
}
