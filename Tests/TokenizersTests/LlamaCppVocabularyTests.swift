// The pre-tokenizers GGUF files name (`tokenizer.ggml.pre`) against llama.cpp's own tokenizer tests: its
// ggml-vocab-NAME.gguf vocabularies with texts (`.inp`) and the ids Hugging Face's tokenizers gave them (`.out`),
// fetched by `make setup` from the llama-cpp-python sdist. Hard cases: whitespace runs, newlines, digits, CJK, emoji.
import Foundation
import ModelFiles
import Testing
import Tokenizers

struct LlamaCppVocabularyTests {
    static let names = ["deepseek-coder", "starcoder", "refact", "gpt-2", "mpt", "qwen2", "llama-bpe", "phi-3", "llama-spm"]

    static func cases(_ name: String) throws -> [(text: String, ids: [Int])] {
        let base = ModelCache.llamaCppVocabularies.appendingPathComponent("ggml-vocab-\(name).gguf")
        let inputs = try String(contentsOf: base.appendingPathExtension("inp"), encoding: .utf8)
            .components(separatedBy: "\n__ggml_vocab_test__\n")
        let outputs = try String(contentsOf: base.appendingPathExtension("out"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map { line in line.split(separator: " ").compactMap { Int($0) } }
        // The input file ends with a separator line; the output file has one line per text.
        let texts = inputs.last?.isEmpty == true || inputs.last == "\n" ? Array(inputs.dropLast()) : inputs
        #expect(outputs.count >= texts.count, "\(name): \(texts.count) texts, \(outputs.count) id lines")
        return zip(texts, outputs).map { ($0, $1) }
    }

    @Test(arguments: names)
    func idsMatchHuggingFace(_ name: String) throws {
        let url = ModelCache.llamaCppVocabularies.appendingPathComponent("ggml-vocab-\(name).gguf")
        let tokenizer = try TokenizerLoader.load(gguf: GGUFFile(url: url))
        let cases = try Self.cases(name)
        #expect(cases.count >= 40)
        var wrong = 0
        for (text, ids) in cases {
            let got = tokenizer.encode(text, addSpecialTokens: false)
            if got != ids {
                wrong += 1
                Issue.record("\(name) \(text.debugDescription): \(got) != \(ids)")
            }
        }
        #expect(wrong == 0, "\(name): \(wrong) of \(cases.count) texts differ")
    }
}

extension LlamaCppVocabularyTests {
    /// DeepSeek-Coder's tokenizer.json names its pre-tokenizer as a sequence of splits (as deepseek-coder-6.7b-instruct's
    /// does): the same vocabulary written that way gives the same ids.
    @Test func deepSeekCoderTokenizerJSONGivesTheSameIDs() throws {
        let url = ModelCache.llamaCppVocabularies.appendingPathComponent("ggml-vocab-deepseek-coder.gguf")
        let gguf = try GGUFFile(url: url)
        let tokens = try #require(try gguf.optionalStrings("tokenizer.ggml.tokens"))
        let merges = try #require(try gguf.optionalStrings("tokenizer.ggml.merges"))
        func split(_ regex: String) -> [String: Any] {
            ["type": "Split", "pattern": ["Regex": regex], "behavior": "Isolated", "invert": false]
        }
        let root: [String: Any] = [
            "model": ["type": "BPE", "vocab": Dictionary(tokens.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }),
                      "merges": merges],
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [
                split("[\r\n]"), split("\\s?\\p{L}+"), split("\\s?\\p{P}+"), split("[一-龥ࠀ-一가-퟿]+"),
                ["type": "Digits", "individual_digits": true], ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false],
            ]],
            "added_tokens": [[String: Any]](),
        ]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deepseek-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tokenizer.json")
        try JSONSerialization.data(withJSONObject: root).write(to: file)
        let tokenizer = try BPETokenizer(tokenizerJSON: file)
        #expect(tokenizer.preTokenizer == .deepseekCoder)
        for (text, ids) in try Self.cases("deepseek-coder") {
            #expect(tokenizer.encode(text, addSpecialTokens: false) == ids, "\(text.debugDescription)")
        }
    }
}
