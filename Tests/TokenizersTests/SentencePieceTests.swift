// SentencePiece-style BPE against the reference ids of Tests/Fixtures/spm/tokenizer_cases.json: the real
// Mistral `.model` (fetched by `make setup`), the same vocabulary written as a GGUF `llama` vocabulary,
// and transformers' tokenizer.json conversion of it (cut down to the pieces the cases use).
import Foundation
import ModelFiles
import Testing
import Tokenizers

enum SentencePieceFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/spm")
    static let modelURL = ModelCache.checkedFile(of: ModelCache.sentencePieceTestModel)
    static var modelInstalled: Bool { FileManager.default.fileExists(atPath: modelURL.path) }

    static let tokenizer: SentencePieceTokenizer? = try? SentencePieceTokenizer(modelFile: modelURL)

    struct Case {
        var text: String
        var ids: [Int]
        var pieces: [String]
        var idsTokenizers: [Int]
        var decodedTokenizers: String
        /// Ids from the same vocabulary under other space handling, keyed like the fixture.
        var variants: [String: [Int]]
    }

    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: directory.appendingPathComponent("tokenizer_cases.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(root["cases"] as? [[String: Any]]).map { item in
            Case(text: item["text"] as! String, ids: item["ids"] as! [Int], pieces: item["pieces"] as! [String],
                 idsTokenizers: item["ids_tokenizers"] as! [Int], decodedTokenizers: item["decoded_tokenizers"] as! String,
                 variants: item.filter { $0.key.hasPrefix("ids_tokenizers_") }.mapValues { $0 as! [Int] })
        }
    }

    static func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("si-spm-\(UUID().uuidString)-\(name)")
    }
}

@Suite(.enabled(if: SentencePieceFixture.modelInstalled, "the SentencePiece test model is not installed (make setup)"))
struct SentencePieceModelTests {
    @Test func idsAndPiecesMatchSentencePiece() throws {
        let tokenizer = try #require(SentencePieceFixture.tokenizer)
        #expect(tokenizer.vocabularySize == 32000)
        #expect(tokenizer.bosID == 1 && tokenizer.eosID == 2 && tokenizer.unknownID == 0 && tokenizer.addsBOS)
        let cases = try SentencePieceFixture.cases()
        #expect(cases.count == 29)
        for item in cases {
            let ids = tokenizer.encode(item.text, addSpecialTokens: false)
            #expect(ids == item.ids, "\(item.text.debugDescription)")
            #expect(ids.map { tokenizer.token($0) ?? "?" } == item.pieces, "\(item.text.debugDescription)")
        }
    }

    /// SentencePiece's decode drops the prefix space once; a literal "▁" in the text comes back as a space.
    @Test func decodingReturnsTheText() throws {
        let tokenizer = try #require(SentencePieceFixture.tokenizer)
        for item in try SentencePieceFixture.cases() {
            let expected = item.text.replacingOccurrences(of: "\u{2581}", with: " ")
            #expect(tokenizer.decode(item.ids) == expected, "\(item.text.debugDescription)")
            var streaming = StreamingDecoder()
            let streamed = item.ids.map { streaming.append($0, from: tokenizer) }.joined() + streaming.finish()
            #expect(streamed == expected, "streamed \(item.text.debugDescription)")
        }
    }

    @Test func specialTokensAreParsedOnlyWhenAsked() throws {
        let tokenizer = try #require(SentencePieceFixture.tokenizer)
        let hello = tokenizer.encode("Hello world", addSpecialTokens: false)
        #expect(tokenizer.encode("Hello world", addSpecialTokens: true) == [1] + hello)
        // Control tokens written in the text become their ids with special tokens, as llama.cpp parses them.
        #expect(tokenizer.encode("a</s>", addSpecialTokens: true) == [1, 264, 2])
        #expect(tokenizer.encode("<s>Hello", addSpecialTokens: true) == [1, 1, 22557])
        #expect(!tokenizer.encode("a</s>", addSpecialTokens: false).contains(2))
        #expect(tokenizer.decode([1, 22557, 2], skipSpecialTokens: true) == "Hello")
        #expect(tokenizer.isSpecial(1) && !tokenizer.isSpecial(22557))
    }

    @Test func ggufLlamaVocabularyGivesTheSameIDs() throws {
        let reference = try #require(SentencePieceFixture.tokenizer)
        let url = SentencePieceFixture.temporaryURL("vocab.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFMetadataWriter.write([
            ("general.architecture", .string("llama")),
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .strings(reference.pieces.map(\.text))),
            ("tokenizer.ggml.scores", .floats(reference.pieces.map(\.score))),
            ("tokenizer.ggml.token_type", .int32s(reference.pieces.map { Int32($0.type.rawValue) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.ggml.add_bos_token", .bool(true)),
            ("tokenizer.ggml.add_space_prefix", .bool(true)),
            ("tokenizer.ggml.eot_token_id", .uint32(5)),
        ], to: url)
        let tokenizer = try TokenizerLoader.load(gguf: GGUFFile(url: url))
        #expect(tokenizer is SentencePieceTokenizer)
        #expect(tokenizer.bosID == 1 && tokenizer.addsBOS && tokenizer.endIDs == [2, 5])
        for item in try SentencePieceFixture.cases() {
            #expect(tokenizer.encode(item.text, addSpecialTokens: false) == item.ids, "\(item.text.debugDescription)")
            #expect(tokenizer.decode(item.ids) == item.text.replacingOccurrences(of: "\u{2581}", with: " "), "\(item.text.debugDescription)")
        }
        #expect(tokenizer.encode("Hello world", addSpecialTokens: true) == [1, 22557, 1526])
        // llama.cpp prepends the space again after every token matched in the text.
        #expect(tokenizer.encode("a</s>b", addSpecialTokens: true) == [1, 264, 2, 287])
    }

    @Test func loaderRecognisesAModelFile() throws {
        let tokenizer = try TokenizerLoader.load(file: SentencePieceFixture.modelURL)
        #expect(tokenizer.summary == "SentencePiece BPE (piece scores, byte fallback), 32000 tokens")
    }
}

/// transformers' conversion ranks merges by piece id, not by score, and matches `<s>` in text: the
/// tokenizer.json path must follow tokenizers, not SentencePiece (9 of the 29 cases differ).
@Suite struct SentencePieceJSONTests {
    static let url = SentencePieceFixture.directory.appendingPathComponent("tokenizer.json")

    @Test func idsMatchTokenizers() throws {
        let tokenizer = try TokenizerLoader.load(tokenizerJSON: Self.url)
        #expect(tokenizer is SentencePieceTokenizer)
        let cases = try SentencePieceFixture.cases()
        #expect(cases.filter { $0.ids != $0.idsTokenizers }.count == 9)
        for item in cases {
            #expect(tokenizer.encode(item.text, addSpecialTokens: false) == item.idsTokenizers, "\(item.text.debugDescription)")
        }
    }

    /// The older conversions' space handling (the fixture script's VARIANTS) on the same vocabulary and merges.
    @Test(arguments: [
        ("ids_tokenizers_legacy", #"{"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}"#, "null"),
        ("ids_tokenizers_metaspace_split", "null", #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}"#),
    ])
    func spaceHandlingVariantsMatchTokenizers(_ key: String, normalizer: String, preTokenizer: String) throws {
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.url)) as? [String: Any])
        root["normalizer"] = try JSONSerialization.jsonObject(with: Data(normalizer.utf8), options: .fragmentsAllowed)
        root["pre_tokenizer"] = try JSONSerialization.jsonObject(with: Data(preTokenizer.utf8), options: .fragmentsAllowed)
        let url = SentencePieceFixture.temporaryURL("tokenizer.json")
        defer { try? FileManager.default.removeItem(at: url) }
        try JSONSerialization.data(withJSONObject: root).write(to: url)
        let tokenizer = try TokenizerLoader.load(tokenizerJSON: url)
        let cases = try SentencePieceFixture.cases()
        #expect(cases.filter { $0.variants[key] != $0.idsTokenizers }.count >= 4)
        for item in cases {
            #expect(tokenizer.encode(item.text, addSpecialTokens: false) == item.variants[key], "\(key) \(item.text.debugDescription)")
        }
    }

    /// Added tokens with lstrip/rstrip swallow the whitespace beside them.
    @Test func strippingAddedTokensMatchTokenizers() throws {
        let data = try Data(contentsOf: SentencePieceFixture.directory.appendingPathComponent("tokenizer_cases.json"))
        let fixture = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.url)) as? [String: Any])
        root["added_tokens"] = try #require(root["added_tokens"] as? [Any]) + (try #require(fixture["stripping_tokens"] as? [Any]))
        let url = SentencePieceFixture.temporaryURL("tokenizer.json")
        defer { try? FileManager.default.removeItem(at: url) }
        try JSONSerialization.data(withJSONObject: root).write(to: url)
        let tokenizer = try TokenizerLoader.load(tokenizerJSON: url)
        let cases = try #require(fixture["stripping_cases"] as? [[String: Any]])
        #expect(cases.count == 4)
        for item in cases {
            let text = item["text"] as! String
            #expect(tokenizer.encode(text, addSpecialTokens: false) == item["ids"] as! [Int], "\(text.debugDescription)")
        }
    }

    @Test func decodingMatchesTokenizers() throws {
        let tokenizer = try TokenizerLoader.load(tokenizerJSON: Self.url)
        for item in try SentencePieceFixture.cases() {
            #expect(tokenizer.decode(item.idsTokenizers) == item.decodedTokenizers, "\(item.text.debugDescription)")
        }
    }
}
