// Broken SentencePiece `.model` files and tokenizer.json files: errors name the file and the byte offset
// or the key.
import Foundation
import Testing
import Tokenizers

/// Protobuf wire format, just enough to write ModelProto messages by hand.
private enum Proto {
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, out: [UInt8] = []
        repeat {
            out.append(UInt8(value & 0x7f) | (value >= 0x80 ? 0x80 : 0))
            value >>= 7
        } while value > 0
        return out
    }

    static func field(_ number: Int, varint value: UInt64) -> [UInt8] { varint(UInt64(number << 3)) + varint(value) }
    static func field(_ number: Int, bytes: [UInt8]) -> [UInt8] { varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes }
    static func field(_ number: Int, float: Float) -> [UInt8] {
        varint(UInt64(number << 3 | 5)) + withUnsafeBytes(of: float.bitPattern.littleEndian) { Array($0) }
    }

    static func piece(_ text: String, score: Float = 0, type: Int = 1) -> [UInt8] {
        field(1, bytes: field(1, bytes: Array(text.utf8)) + field(2, float: score) + field(3, varint: UInt64(type)))
    }

    /// A valid BPE model: <unk>, <s>, </s>, ▁, a, b, ▁a, ab.
    static func bpeModel(normalizer: [UInt8] = [], extraPieces: [UInt8] = []) -> [UInt8] {
        piece("<unk>", type: 2) + piece("<s>", type: 3) + piece("</s>", type: 3) + piece("\u{2581}", score: -1)
            + piece("a", score: -2) + piece("b", score: -3) + piece("\u{2581}a", score: -4) + piece("ab", score: -5) + extraPieces
            + field(2, bytes: field(3, varint: 2)) + field(3, bytes: normalizer)
    }
}

@Suite struct SentencePieceBadInputTests {
    static func load(_ bytes: [UInt8]) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(modelProto: bytes, source: "bad.model")
    }

    @Test func handWrittenModelEncodesByScores() throws {
        let tokenizer = try Self.load(Proto.bpeModel())
        // "▁ab": ▁a (-4) beats ab (-5); no byte pieces, so the unknown "c" becomes <unk>, runs fused.
        #expect(tokenizer.encode("ab", addSpecialTokens: false) == [6, 5])
        #expect(tokenizer.encode("abcc", addSpecialTokens: false) == [6, 5, 0])
    }

    @Test func truncatedModelNamesTheOffset() throws {
        let bytes = Proto.bpeModel()
        let cut = Array(bytes.prefix(20))
        let error = #expect(throws: TokenizerError.self) { try Self.load(cut) }
        guard case let .corrupt(file, offset, reason) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(file == "bad.model" && offset == 17 && reason.contains("pieces[1]"), "\(reason) at \(offset)")
        #expect(error?.localizedDescription.contains("bad.model: corrupt tokenizer file at byte 17") == true)
    }

    @Test func unknownWireTypeAndPieceTypeAreCorrupt() throws {
        #expect(throws: TokenizerError.corrupt(file: "bad.model", offset: 0, reason: "ModelProto: field 1 has wire type 3, not one of 0, 1, 2, 5")) {
            try Self.load([0x0b, 0x00])
        }
        let error = #expect(throws: TokenizerError.self) { try Self.load(Proto.piece("x", type: 9)) }
        #expect(error?.localizedDescription.contains("ModelProto.pieces[0].type 9 is not a piece type") == true)
        #expect(throws: TokenizerError.self) { try Self.load([0x0a, 0x02, 0x0a, 0x80]) }
    }

    @Test func modelWithoutTrainerSpecIsUnigramAndRejected() throws {
        #expect(throws: TokenizerError.unsupportedModel(file: "bad.model", key: "trainer_spec.model_type", value: "unigram")) {
            try Self.load(Proto.piece("<unk>", type: 2) + Proto.piece("a"))
        }
    }

    @Test func characterRewritingNormalizerIsRejected() throws {
        let normalizer = Proto.field(1, bytes: Array("nmt_nfkc".utf8)) + Proto.field(2, bytes: [1, 2, 3, 4])
        let error = #expect(throws: TokenizerError.self) { try Self.load(Proto.bpeModel(normalizer: normalizer)) }
        #expect(error?.localizedDescription.contains("normalizer_spec.precompiled_charsmap") == true)
    }

    static func writeJSON(_ object: [String: Any]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("si-bad-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    static var metaspace: [String: Any] { ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first", "split": false] }

    @Test func unknownModelTypeInTokenizerJSONIsNamed() throws {
        let url = try Self.writeJSON(["model": ["type": "Unigram", "vocab": [["a", 0.0]]], "pre_tokenizer": Self.metaspace])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: TokenizerError.unsupportedModel(file: url.path, key: "model.type", value: "Unigram")) {
            try TokenizerLoader.load(tokenizerJSON: url)
        }
    }

    @Test func unsupportedNormalizerAndBadMergeAreNamed() throws {
        let vocab = ["<unk>": 0, "a": 1, "b": 2]
        let nfkc = try Self.writeJSON(["model": ["type": "BPE", "vocab": vocab, "merges": [], "byte_fallback": false, "unk_token": "<unk>"],
                                       "normalizer": ["type": "NFKC"], "pre_tokenizer": Self.metaspace])
        let badMerge = try Self.writeJSON(["model": ["type": "BPE", "vocab": vocab, "merges": ["a b"], "unk_token": "<unk>"],
                                           "pre_tokenizer": Self.metaspace])
        defer { for url in [nfkc, badMerge] { try? FileManager.default.removeItem(at: url) } }
        let first = #expect(throws: TokenizerError.self) { try TokenizerLoader.load(tokenizerJSON: nfkc) }
        #expect(first?.localizedDescription.contains("\(nfkc.path): tokenizer normalizer[0]: NFKC") == true, "\(String(describing: first))")
        let second = #expect(throws: TokenizerError.self) { try TokenizerLoader.load(tokenizerJSON: badMerge) }
        #expect(second == .invalid(file: badMerge.path, key: "model.merges[0]", reason: "\"a b\" names pieces not in the vocabulary"))
    }
}
