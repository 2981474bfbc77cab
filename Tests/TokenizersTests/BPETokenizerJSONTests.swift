// tokenizer.json loading: SmolLM2's vocabulary written out as a Hugging Face tokenizer.json must
// tokenize exactly like the GGUF metadata does.
import Foundation
import ModelFiles
import Testing
import Tokenizers

@Suite(.enabled(if: SmolLM2Tokenizer.tokenizer != nil, "the smollm2 model is not installed (make setup)"))
struct BPETokenizerJSONTests {
    func writeTokenizerJSON(preTokenizer: [String: Any], mergesAsPairs: Bool) throws -> URL {
        let cached = try #require(ModelCache.model(named: "smollm2"))
        let gguf = try GGUFFile(url: ModelCache.checkedFile(of: cached))
        let tokens = try #require(try gguf.optionalStrings("tokenizer.ggml.tokens"))
        let merges = try #require(try gguf.optionalStrings("tokenizer.ggml.merges"))
        var vocab: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where id >= 17 { vocab[token] = id }
        let added = (0..<17).map { ["id": $0, "content": tokens[$0], "special": true] as [String: Any] }
        let json: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocab,
                      "merges": mergesAsPairs ? merges.map { $0.split(separator: " ").map(String.init) } : merges] as [String: Any],
            "added_tokens": added,
            "pre_tokenizer": preTokenizer,
        ]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json).write(to: directory.appendingPathComponent("tokenizer.json"))
        let config: [String: Any] = ["bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "add_bos_token": false]
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("tokenizer_config.json"))
        return directory.appendingPathComponent("tokenizer.json")
    }

    @Test func matchesTheGGUFTokenizer() throws {
        let reference = try #require(SmolLM2Tokenizer.tokenizer)
        let smollm: [String: Any] = ["type": "Sequence", "pretokenizers": [
            ["type": "Digits", "individual_digits": true],
            ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
        ]]
        let url = try writeTokenizerJSON(preTokenizer: smollm, mergesAsPairs: true)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let tokenizer = try BPETokenizer(tokenizerJSON: url)
        #expect(tokenizer.preTokenizer == .smollm)
        #expect(tokenizer.bosID == 1 && tokenizer.endIDs.contains(2))
        for item in try SmolLM2Tokenizer.cases() {
            let text = item["text"] as! String
            #expect(tokenizer.encode(text, addSpecialTokens: false) == reference.encode(text, addSpecialTokens: false))
        }
    }

    @Test func recognisesThePreTokenizerFamilies() throws {
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true]
        let url = try writeTokenizerJSON(preTokenizer: byteLevel, mergesAsPairs: false)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(try BPETokenizer(tokenizerJSON: url).preTokenizer == .gpt2)
        let llama3: [String: Any] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"]],
            byteLevel,
        ]]
        #expect(try PreTokenizer(huggingFace: llama3, file: "t") == .llama3)
        let unknown: [String: Any] = ["type": "Metaspace"]
        #expect(throws: TokenizerError.unsupportedPreTokenizer(file: "t", value: "Metaspace")) {
            try PreTokenizer(huggingFace: unknown, file: "t")
        }
    }
}
