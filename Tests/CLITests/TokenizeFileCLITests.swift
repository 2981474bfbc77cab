// `semi-instruct model tokenize` on tokenizer files given on their own (no weights), through the built binary.
import Foundation
import ModelFiles
import Testing

private enum TokenizerFiles {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/spm")
    static let modelFile = ModelCache.checkedFile(of: ModelCache.sentencePieceTestModel)
    static var binaryBuilt: Bool { FileManager.default.isExecutableFile(atPath: BuiltBinary.url.path) }
    static var modelInstalled: Bool { binaryBuilt && FileManager.default.fileExists(atPath: modelFile.path) }
}

@Suite(.enabled(if: TokenizerFiles.binaryBuilt, "the semi-instruct binary is not built"))
struct TokenizeFileCLITests {
    /// The sentence encoder by its cached name, its directory or its tokenizer.json: WordPiece ids as
    /// sentence-transformers gives them (the fixture), [CLS] and [SEP] with --add-special.
    @Test func theSentenceEncodersWordPieceIdsMatchSentenceTransformers() throws {
        let fixture = TokenizerFiles.fixtures.deletingLastPathComponent().appendingPathComponent("minilm/tokenizer_cases.json")
        struct Cases: Decodable { struct Case: Decodable { var text: String; var ids: [Int] }; var cases: [Case] }
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: fixture)).cases.filter { !$0.text.isEmpty }.prefix(6)
        #expect(cases.count == 6)
        let directory = ModelCache.directory(of: try #require(ModelCache.model(named: "minilm")))
        for reference in ["minilm", directory.path, directory.appendingPathComponent("tokenizer.json").path] {
            for item in cases {
                let result = try BuiltBinary.run(["model", "tokenize", reference, "--text", item.text, "--add-special"])
                #expect(result.status == 0, "\(reference): \(result.error)")
                #expect(result.output == item.ids.map(String.init).joined(separator: " ") + "\n", "\(reference) \(item.text.debugDescription)")
            }
        }
        let plain = try BuiltBinary.run(["model", "tokenize", "minilm", "--text", "Hello, Wörld!", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(plain.output.utf8)) as? [String: Any]
        #expect(json?["tokens"] as? [String] == ["hello", ",", "world", "!"])
    }

    @Test func tokenizerJSONOnItsOwn() throws {
        let file = TokenizerFiles.fixtures.appendingPathComponent("tokenizer.json").path
        let result = try BuiltBinary.run(["model", "tokenize", file, "--text", "Hello world", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let json = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        #expect(json?["ids"] as? [Int] == [22557, 1526])
        #expect(json?["tokens"] as? [String] == ["\u{2581}Hello", "\u{2581}world"])
    }

    @Test(.enabled(if: TokenizerFiles.modelInstalled, "the SentencePiece test model is not installed (make setup)"))
    func sentencePieceModelOnItsOwn() throws {
        let result = try BuiltBinary.run(["model", "tokenize", TokenizerFiles.modelFile.path, "--text", "Hello world", "--add-special"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "1 22557 1526\n")
    }

    @Test func corruptModelFileIsNamedWithTheOffset() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("si-corrupt-\(UUID().uuidString).model")
        defer { try? FileManager.default.removeItem(at: url) }
        // A pieces field (1, length-delimited) that claims 100 bytes where 2 follow.
        try Data([0x0a, 100, 0x0a, 0x01]).write(to: url)
        let result = try BuiltBinary.run(["model", "tokenize", url.path, "--text", "x"])
        #expect(result.status != 0)
        #expect(result.error.contains(url.path) && result.error.contains("at byte 1"), "\(result.error)")
    }
}
