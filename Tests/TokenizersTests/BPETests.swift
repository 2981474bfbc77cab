// Byte-level BPE against the reference tokenizer's ids (Tests/Fixtures/smollm2/tokenizer_cases.json).
import Foundation
import ModelFiles
import Testing
import Tokenizers

enum SmolLM2Tokenizer {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/smollm2")

    static let tokenizer: BPETokenizer? = {
        guard let cached = ModelCache.model(named: "smollm2") else { return nil }
        return try? BPETokenizer(gguf: GGUFFile(url: ModelCache.checkedFile(of: cached)))
    }()

    /// The fixture's cases (45 hard strings).
    static func cases() throws -> [[String: Any]] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("tokenizer_cases.json"))
        return (try JSONSerialization.jsonObject(with: data) as! [String: Any])["cases"] as! [[String: Any]]
    }
}

@Suite(.enabled(if: SmolLM2Tokenizer.tokenizer != nil, "the smollm2 model is not installed (make setup)"))
struct BPETests {
    /// pre=smollm isolates digits first, as llama.cpp and SmolLM2's own tokenizer.json do; the fixture
    /// records those ids separately where transformers' GGUF conversion (plain GPT-2 regex) differs.
    @Test func idsMatchTheReferenceTokenizer() throws {
        let tokenizer = try #require(SmolLM2Tokenizer.tokenizer)
        #expect(tokenizer.preTokenizer == .smollm)
        #expect(try SmolLM2Tokenizer.cases().count == 45)
        for item in try SmolLM2Tokenizer.cases() {
            let text = item["text"] as! String
            let expected = (item["ids_smollm_pretokenizer"] ?? item["ids"]) as! [Int]
            #expect(tokenizer.encode(text, addSpecialTokens: false) == expected, "\(text.debugDescription)")
        }
    }

    @Test func gpt2PatternMatchesTransformersConversion() throws {
        let reference = try #require(SmolLM2Tokenizer.tokenizer)
        let cached = try #require(ModelCache.model(named: "smollm2"))
        let gguf = try GGUFFile(url: ModelCache.checkedFile(of: cached))
        let tokens = try #require(try gguf.optionalStrings("tokenizer.ggml.tokens"))
        let merges = try #require(try gguf.optionalStrings("tokenizer.ggml.merges"))
        let gpt2 = try BPETokenizer(tokens: tokens, merges: merges, preTokenizer: .gpt2, addedTokens: Array(0..<17),
                                    specialIDs: Set(0..<17), bosID: 1, endIDs: [2], addsBOS: false, source: "test")
        for item in try SmolLM2Tokenizer.cases() {
            let text = item["text"] as! String
            #expect(gpt2.encode(text, addSpecialTokens: false) == item["ids"] as! [Int], "\(text.debugDescription)")
        }
        #expect(reference.vocabularySize == gpt2.vocabularySize)
    }

    @Test func decodingReturnsTheText() throws {
        let tokenizer = try #require(SmolLM2Tokenizer.tokenizer)
        for item in try SmolLM2Tokenizer.cases() {
            let text = item["text"] as! String
            #expect(tokenizer.decode(item["ids"] as! [Int]) == text, "\(text.debugDescription)")
        }
    }

    @Test func specialTokensAreParsedAndSkippable() throws {
        let tokenizer = try #require(SmolLM2Tokenizer.tokenizer)
        #expect(tokenizer.encode("<|im_start|>user\nHi<|im_end|>\n", addSpecialTokens: false).first == 1)
        #expect(tokenizer.isSpecial(2) && tokenizer.endIDs.contains(2))
        #expect(tokenizer.decode([1, 4093, 2], skipSpecialTokens: true) == "user")
        #expect(tokenizer.decode([1, 4093, 2]) == "<|im_start|>user<|im_end|>")
        #expect(tokenizer.encode("Hello", addSpecialTokens: true) == [19556], "add_bos_token is false in this GGUF")
    }

    @Test func streamingDecodeHoldsSplitCharacters() throws {
        let tokenizer = try #require(SmolLM2Tokenizer.tokenizer)
        for text in ["emoji 😀 and 👍🏽", "👨‍👩‍👧‍👦", "你好，世界", "café"] {
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            var decoder = StreamingDecoder()
            var pieces: [String] = []
            for id in ids { pieces.append(decoder.append(id, from: tokenizer)) }
            pieces.append(decoder.finish())
            #expect(pieces.joined() == text)
            #expect(!pieces.contains { $0.contains("\u{FFFD}") }, "no piece may end inside a character: \(pieces)")
        }
    }
}

struct PreTokenizerTests {
    func pieces(_ pattern: PreTokenizer, _ text: String) -> [String] { pattern.split(text).map(String.init) }

    @Test func gpt2Pattern() {
        #expect(pieces(.gpt2, "Hello, world!  It's 2024\n\n  x") == ["Hello", ",", " world", "!", " ", " It", "'s", " 2024", "\n\n ", " x"])
        #expect(pieces(.gpt2, "a  ") == ["a", "  "])
        #expect(pieces(.gpt2, "") == [])
    }

    @Test func smollmIsolatesDigits() {
        #expect(pieces(.smollm, "x  12") == ["x", "  ", "1", "2"])
    }

    @Test func llama3Pattern() {
        #expect(pieces(.llama3, "Hello WORLD's 1234567 ...\n\n  x") == ["Hello", " WORLD", "'s", " ", "123", "456", "7", " ...\n\n", " ", " x"])
        #expect(pieces(.llama3, "I'M \tok") == ["I", "'M", " ", "\tok"])
        #expect(pieces(.llama3, "a\r\n\r\nb") == ["a", "\r\n\r\n", "b"])
    }

    @Test func qwen2SplitsEveryDigit() {
        #expect(pieces(.qwen2, "x=123") == ["x", "=", "1", "2", "3"])
    }

    @Test func ggufNamesMapToPatterns() {
        #expect(PreTokenizer(ggufName: "smollm") == .smollm)
        #expect(PreTokenizer(ggufName: "llama-bpe") == .llama3)
        #expect(PreTokenizer(ggufName: "qwen2") == .qwen2)
        #expect(PreTokenizer(ggufName: "no-such-pattern") == nil)
    }
}
