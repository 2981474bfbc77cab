// Tiny SentencePiece models trained by scripts/fixtures/spm_tiny_models.py: user-defined and control
// pieces, SentencePiece's remove_extra_whitespaces, unknown characters with and without byte fallback.
import Foundation
import Testing
import Tokenizers

@Suite struct SentencePieceTinyModelTests {
    static func model(_ name: String) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(modelFile: SentencePieceFixture.directory.appendingPathComponent(name))
    }

    static func cases(_ name: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: SentencePieceFixture.directory.appendingPathComponent("tiny_cases.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require((root["models"] as? [String: Any])?[name] as? [[String: Any]])
    }

    @Test(arguments: ["tiny-bpe.model", "tiny-bpe-unk.model"])
    func idsAndDecodingMatchSentencePiece(_ name: String) throws {
        let tokenizer = try Self.model(name)
        let cases = try Self.cases(name)
        #expect(cases.count == 10)
        for item in cases {
            let text = item["text"] as! String
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            #expect(ids == item["ids"] as! [Int], "\(name) \(text.debugDescription)")
            #expect(tokenizer.decode(ids) == item["decoded"] as! String, "\(name) \(text.debugDescription)")
        }
    }

    @Test func userDefinedPiecesAreMatchedAndControlPiecesOnlyWhenParsingSpecial() throws {
        let tokenizer = try Self.model("tiny-bpe.model")
        let user = try #require(tokenizer.id(of: "<用户>")), end = try #require(tokenizer.id(of: "<|im_end|>"))
        #expect(tokenizer.encode("<用户>", addSpecialTokens: false).last == user)
        #expect(!tokenizer.encode("end<|im_end|>", addSpecialTokens: false).contains(end))
        let parsed = tokenizer.encode("end<|im_end|>", addSpecialTokens: true)
        #expect(parsed.first == tokenizer.bosID && parsed.last == end)
        #expect(tokenizer.endIDs.contains(end) && tokenizer.isSpecial(end) && !tokenizer.isSpecial(user))
        #expect(tokenizer.decode(parsed, skipSpecialTokens: true) == "end")
    }

    @Test func unigramModelIsRejectedByName() throws {
        let url = SentencePieceFixture.directory.appendingPathComponent("tiny-unigram.model")
        #expect(throws: TokenizerError.unsupportedModel(file: url.path, key: "trainer_spec.model_type", value: "unigram")) {
            try TokenizerLoader.load(file: url)
        }
    }
}
