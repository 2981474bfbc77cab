// Issue 22: an id in a tokenizer.json sizes the id tables built from it, so a crafted id of 999999999999
// asked for a 16 TB table; now every id must be below 2^20 or the number of entries, whichever is larger.
import Foundation
import Testing
import Tokenizers

struct TokenizerJSONIDTests {
    static func write(_ json: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-ids-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("tokenizer.json")
        try Data(json.utf8).write(to: url)
        return url
    }

    static func bpe(vocab: String, added: String = "[]") -> String {
        #"{"model": {"type": "BPE", "vocab": {\#(vocab)}, "merges": ["a b"]}, "added_tokens": \#(added), "pre_tokenizer": {"type": "ByteLevel"}}"#
    }

    static func wordPiece(vocab: String, added: String = "[]") -> String {
        #"{"model": {"type": "WordPiece", "vocab": {\#(vocab)}}, "added_tokens": \#(added), "normalizer": {"type": "BertNormalizer"}}"#
    }

    static let wordPieceVocab = #""[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "a": 4"#

    @Test func byteLevelBPEIdsMustBeInTheVocabulary() throws {
        let good = try Self.write(Self.bpe(vocab: #""a": 0, "b": 1, "ab": 2"#, added: #"[{"id": 3, "content": "<s>", "special": true}]"#))
        defer { try? FileManager.default.removeItem(at: good.deletingLastPathComponent()) }
        #expect(try BPETokenizer(tokenizerJSON: good).encode("ab") == [2])

        let huge = try Self.write(Self.bpe(vocab: #""a": 0, "b": 999999999999, "ab": 2"#))
        defer { try? FileManager.default.removeItem(at: huge.deletingLastPathComponent()) }
        #expect(throws: TokenizerError.invalid(file: huge.path, key: #"model.vocab["b"]"#,
                                               reason: "id 999999999999 is outside 0..<1048576, the ids a vocabulary of 3 entries may use")) {
            try BPETokenizer(tokenizerJSON: huge)
        }
        let added = try Self.write(Self.bpe(vocab: #""a": 0, "b": 1, "ab": 2"#, added: #"[{"id": -1, "content": "<s>"}]"#))
        defer { try? FileManager.default.removeItem(at: added.deletingLastPathComponent()) }
        #expect(throws: TokenizerError.invalid(file: added.path, key: "added_tokens[0].id",
                                               reason: "id -1 is outside 0..<1048576, the ids a vocabulary of 4 entries may use")) {
            try TokenizerLoader.load(tokenizerJSON: added)
        }
    }

    @Test func sentencePieceStyleIdsMustBeInTheVocabulary() throws {
        let json = #"{"model": {"type": "BPE", "byte_fallback": true, "vocab": {"<unk>": 0, "▁a": 4294967296}, "merges": []}, "#
            + #""normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}}"#
        let url = try Self.write(json)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(throws: TokenizerError.invalid(file: url.path, key: #"model.vocab["▁a"]"#,
                                               reason: "id 4294967296 is outside 0..<1048576, the ids a vocabulary of 2 entries may use")) {
            try TokenizerLoader.load(tokenizerJSON: url)
        }
    }

    @Test func wordPieceIdsMustBeInTheVocabulary() throws {
        let good = try Self.write(Self.wordPiece(vocab: Self.wordPieceVocab))
        defer { try? FileManager.default.removeItem(at: good.deletingLastPathComponent()) }
        #expect(try WordPieceTokenizer.load(tokenizerJSON: good).encode("a") == [2, 4, 3])

        let huge = try Self.write(Self.wordPiece(vocab: Self.wordPieceVocab + #", "b": 999999999999"#))
        defer { try? FileManager.default.removeItem(at: huge.deletingLastPathComponent()) }
        #expect(throws: TokenizerError.invalidTokenizerJSON(
            file: huge.path, detail: #"model.vocab["b"]: id 999999999999 is outside 0..<1048576, the ids a vocabulary of 6 entries may use"#)) {
            try WordPieceTokenizer.load(tokenizerJSON: huge)
        }
        let added = try Self.write(Self.wordPiece(vocab: Self.wordPieceVocab, added: #"[{"id": 999999999999, "content": "[MASK]"}]"#))
        defer { try? FileManager.default.removeItem(at: added.deletingLastPathComponent()) }
        #expect(throws: TokenizerError.invalidTokenizerJSON(
            file: added.path, detail: "added_tokens[0].id: id 999999999999 is outside 0..<1048576, the ids a vocabulary of 6 entries may use")) {
            try WordPieceTokenizer.load(tokenizerJSON: added)
        }
    }
}
