// Qwen2 (q/k/v biases) and Qwen3 (per-head q/k RMSNorm, a head size of its own, a tied head) against transformers:
// tiny random models saved by transformers and converted by llama.cpp's convert_hf_to_gguf.py
// (Tests/Fixtures/tiny-qwen, made by scripts/fixtures/tiny_qwen.py), read from both forms.
import Engine
import Foundation
import Kernels
import Testing

struct TinyQwen {
    struct File: Decodable { var text: String; var models: [String: Model] }
    struct Model: Decodable {
        var tokens: [Int]
        var positions: [Int]
        var logits: [[Float]]
        var greedy: [Int]
        /// A float64 numpy forward pass over each converted file's own tensors (Q8_0 dequantized).
        var gguf: [String: Form]
    }
    struct Form: Decodable { var logits: [[Float]]; var greedy: [Int] }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-qwen")

    static func file() throws -> File {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    }

    static func expected(_ name: String) throws -> Model { try #require(try file().models[name]) }

    /// The model's Hugging Face directory, or one of its GGUF files (`F32`, `Q8_0`).
    static func load(_ name: String, form: String) throws -> LoadedModel {
        let path = form == "hf" ? "\(name)/hf" : "\(name)/tiny-\(name)-\(form).gguf"
        return try ModelLoader.load(file: directory.appendingPathComponent(path), threads: 2)
    }

    /// Logits at the fixture's positions from one pass over its tokens (float activations).
    static func logits(_ model: LlamaModel, _ expected: Model) -> [[Float]] {
        let session = model.makeSession(capacity: expected.tokens.count, precision: .float)
        return withExtendedLifetime(session) { session.process(expected.tokens, logitsAt: expected.positions) }
    }

    static func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
    }
}

struct TinyQwenTests {
    static let forms = [("qwen2", "hf"), ("qwen2", "F32"), ("qwen3", "hf"), ("qwen3", "F32")]

    @Test(arguments: forms)
    func logitsMatchTransformers(name: String, form: String) throws {
        let expected = try TinyQwen.expected(name)
        let loaded = try TinyQwen.load(name, form: form)
        #expect(loaded.config.architecture.name == name)
        #expect(loaded.config.features == (name == "qwen2" ? DecoderFeatures(attentionBiases: true) : DecoderFeatures(queryKeyNorm: true)))
        let difference = TinyQwen.maxDifference(TinyQwen.logits(loaded.model, expected), expected.logits)
        #expect(difference < 1e-3, "\(name) \(form): \(difference)")
        // The fixture's tokens are transformers' for its text: the tokenizer of either form (qwen2 pre-tokenizer) agrees.
        #expect(loaded.tokenizer.encode(try TinyQwen.file().text, addSpecialTokens: true) == expected.tokens, "\(name) \(form)")
    }

    @Test(arguments: forms)
    func greedyTranscriptMatchesTransformers(name: String, form: String) throws {
        let expected = try TinyQwen.expected(name)
        let generator = LlamaGenerator(try TinyQwen.load(name, form: form), precision: .float)
        let result = try generator.generate(promptIDs: Array(expected.tokens.prefix(12)),
                                            settings: SamplingSettings(temperature: 0, maxTokens: 16))
        #expect(result.ids == expected.greedy, "\(name) \(form)")
    }

    /// The Q8_0 files against a float64 pass over their own dequantized weights (the rounding moves these random
    /// models' logits by up to 0.6 from transformers', so transformers is not the reference here).
    @Test(arguments: ["qwen2", "qwen3"])
    func eightBitFilesMatchTheirOwnWeights(name: String) throws {
        let expected = try TinyQwen.expected(name)
        let reference = try #require(expected.gguf["Q8_0"])
        let loaded = try TinyQwen.load(name, form: "Q8_0")
        let difference = TinyQwen.maxDifference(TinyQwen.logits(loaded.model, expected), reference.logits)
        #expect(difference < 1e-3, "\(name): \(difference)")
        let result = try LlamaGenerator(loaded, precision: .float).generate(promptIDs: Array(expected.tokens.prefix(12)),
                                                                             settings: SamplingSettings(temperature: 0, maxTokens: 16))
        #expect(result.ids == reference.greedy, "\(name)")
    }

    /// Each family's distinctive part matters: the model without it, or with the other RoPE pairing, is far off.
    @Test func droppingADistinctiveFeatureBreaksTheModel() throws {
        for (name, form) in [("qwen2", "F32"), ("qwen3", "F32"), ("qwen2", "hf")] {
            let expected = try TinyQwen.expected(name)
            let file = TinyQwen.directory.appendingPathComponent(form == "hf" ? "\(name)/hf" : "\(name)/tiny-\(name)-\(form).gguf")
            let loaded = try TinyQwen.load(name, form: form)
            var bare = loaded.config
            bare.features = DecoderFeatures()
            let source: any WeightSource = form == "hf" ? try SafetensorsWeightSource(directory: file) : GGUFWeightSource(file: loaded.gguf!)
            let without = try LlamaModel(config: bare, source: source, names: form == "hf" ? .huggingFace : .gguf, threads: 2)
            #expect(TinyQwen.maxDifference(TinyQwen.logits(without, expected), expected.logits) > 0.1, "\(name) \(form) without its feature")
        }
        // Qwen GGUFs keep Hugging Face's q/k rows (NEOX RoPE): read as Llama-permuted they are wrong.
        let expected = try TinyQwen.expected("qwen2")
        let gguf = try #require(try TinyQwen.load("qwen2", form: "F32").gguf)
        var llamaShaped = try LlamaConfiguration(gguf: gguf)
        llamaShaped.architecture = .llama
        let permuted = try LlamaModel(config: llamaShaped, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 2)
        #expect(permuted.rope.style == .interleaved)
        #expect(TinyQwen.maxDifference(TinyQwen.logits(permuted, expected), expected.logits) > 0.1)
    }
}
