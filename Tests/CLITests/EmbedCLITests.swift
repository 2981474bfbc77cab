// `semi-instruct model embed` and `bench embed` through the built binary: outputs, formats and bad input.
import Dedup
import Foundation
import ModelFiles
import Testing

private enum EmbedCLI {
    static var binary: URL { BuiltBinary.url }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        try BuiltBinary.run(arguments)
    }
}

private func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("embed-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func parseVector(_ line: Substring) throws -> [Float] {
    try (JSONSerialization.jsonObject(with: Data(line.utf8)) as! [NSNumber]).map(\.floatValue)
}

@Suite(.serialized) struct EmbedCLITests {
    @Test func textGivesOneUnitVectorAsAJSONLine() throws {
        let result = try EmbedCLI.run(["model", "embed", "minilm", "--text", "def add(a, b):\n    return a + b"])
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1)
        let vector = try parseVector(lines[0])
        #expect(vector.count == 384)
        #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
    }

    @Test func jsonlInputToNpyAndJSONLinesAgree() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.jsonl")
        try Data(#"""
            {"code": "def f(x):\n    return x + 1", "id": 1}
            {"code": "", "id": 2}
            {"code": "import os\nprint(os.sep)", "id": 3}

            """#.utf8).write(to: input)
        let npy = directory.appendingPathComponent("out.npy")
        let lines = directory.appendingPathComponent("out.jsonl")
        let first = try EmbedCLI.run(["model", "embed", "minilm", "--input", input.path, "--field", "code", "--output", npy.path, "--json"])
        #expect(first.status == 0, "\(first.error)")
        let summary = try JSONSerialization.jsonObject(with: Data(first.output.utf8)) as! [String: Any]
        #expect(summary["count"] as? Int == 3 && summary["dimension"] as? Int == 384)
        let second = try EmbedCLI.run(["model", "embed", "minilm", "--input", input.path, "--field", "code", "--output", lines.path])
        #expect(second.status == 0, "\(second.error)")

        let matrix = try NPYFile.readMatrix(npy)
        #expect(matrix.rows == 3 && matrix.columns == 384)
        let rows = try String(contentsOf: lines, encoding: .utf8).split(separator: "\n").map(parseVector)
        #expect(rows.count == 3)
        for (index, row) in rows.enumerated() {
            #expect(Array(matrix.values[(index * 384)..<((index + 1) * 384)]) == row)
        }
    }

    @Test func badInputFilesNameTheLine() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("bad.jsonl")

        try Data(Array(#"{"code": "ok"}"#.utf8) + [0x0A] + Array(#"{"code": "caf"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8) + [0x0A])
            .write(to: input)
        let utf8 = try EmbedCLI.run(["model", "embed", "minilm", "--input", input.path, "--field", "code"])
        #expect(utf8.status != 0)
        #expect(utf8.error.contains("bad.jsonl:2: not valid UTF-8"), "\(utf8.error)")

        try Data(#"{"code": "ok"}\#n{"text": "no code field"}\#n"#.utf8).write(to: input)
        let field = try EmbedCLI.run(["model", "embed", "minilm", "--input", input.path, "--field", "code"])
        #expect(field.status != 0)
        #expect(field.error.contains("bad.jsonl:2: no field 'code'"), "\(field.error)")

        try Data("not json\n".utf8).write(to: input)
        let json = try EmbedCLI.run(["model", "embed", "minilm", "--input", input.path, "--field", "code"])
        #expect(json.status != 0)
        #expect(json.error.contains("bad.jsonl:1: not a JSON object"), "\(json.error)")
    }

    @Test func argumentAndModelErrorsAreClear() throws {
        let both = try EmbedCLI.run(["model", "embed", "minilm", "--text", "a", "--input", "x.jsonl", "--field", "f"])
        #expect(both.status == 64)
        #expect(both.error.contains("either --text or --input"), "\(both.error)")

        let unknown = try EmbedCLI.run(["model", "embed", "no-such-model", "--text", "a"])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("model no-such-model: no such file or directory"), "\(unknown.error)")

        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let minilm = ModelCache.directory(of: ModelCache.model(named: "minilm")!)
        try FileManager.default.copyItem(at: minilm.appendingPathComponent("config.json"), to: directory.appendingPathComponent("config.json"))
        let incomplete = try EmbedCLI.run(["model", "embed", directory.path, "--text", "a"])
        #expect(incomplete.status != 0)
        #expect(incomplete.error.contains("tokenizer.json"), "\(incomplete.error)")
    }

    @Test func benchEmbedReportsRates() throws {
        let result = try EmbedCLI.run(["bench", "embed", "--count", "8", "--runs", "1", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as! [String: Any]
        #expect(report["functions"] as? Int == 8)
        #expect((report["sentences_per_second"] as? Double ?? 0) > 0)
        #expect((report["tokens"] as? Int ?? 0) >= 8 * 3)
        #expect((report["products"] as? String ?? "").hasPrefix("own GEMM"), "\(report)")
    }

    @Test func benchEmbedTakesFloat32Weights() throws {
        let result = try EmbedCLI.run(["bench", "embed", "--count", "4", "--runs", "1", "--precision", "float32", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as! [String: Any]
        #expect((report["products"] as? String ?? "").contains("float32 weights"), "\(report)")
    }
}
