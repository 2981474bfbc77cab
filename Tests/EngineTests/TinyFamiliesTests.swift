// RoPE scaling (linear, llama3, yarn) and Granite's multipliers against transformers: tiny random models saved by
// transformers and converted by llama.cpp's convert_hf_to_gguf.py (Tests/Fixtures/tiny-families, made by
// scripts/fixtures/tiny_families.py), 120-token prompts so that positions past the original context matter.
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing

struct TinyFamilies {
    struct File: Decodable { var models: [String: Model] }
    struct Model: Decodable {
        var tokens: [Int]
        var positions: [Int]
        var logits: [[Float]]
        var greedy_prompt_length: Int
        var greedy: [Int]
        var rope_inv_freq: [Double]
        var rope_attention_factor: Double
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-families")

    static func expected(_ name: String) throws -> Model {
        try #require(try JSONDecoder().decode(File.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json"))).models[name])
    }

    static func url(_ name: String, form: String) -> URL {
        directory.appendingPathComponent(form == "hf" ? "\(name)/hf" : "\(name)/tiny-\(name)-\(form).gguf")
    }

    static func logits(_ model: LlamaModel, _ expected: Model) -> [[Float]] {
        let session = model.makeSession(capacity: expected.tokens.count, precision: .float)
        return withExtendedLifetime(session) { session.process(expected.tokens, logitsAt: expected.positions) }
    }

    /// The model read from `form`, with `change` applied to its configuration first.
    static func model(_ name: String, form: String, _ change: (inout LlamaConfiguration) -> Void) throws -> LlamaModel {
        try model(at: url(name, form: form), form: form, change)
    }

    /// The model at `url` (a Hugging Face directory when `form` is `hf`, else a GGUF file), with `change` applied to its
    /// configuration first.
    static func model(at url: URL, form: String, _ change: (inout LlamaConfiguration) -> Void = { _ in }) throws -> LlamaModel {
        if form == "hf" {
            var config = try LlamaConfiguration(configJSON: url.appendingPathComponent("config.json"))
            change(&config)
            return try LlamaModel(config: config, source: SafetensorsWeightSource(directory: url), names: .huggingFace, threads: 2)
        }
        let gguf = try GGUFFile(url: url)
        var config = try LlamaConfiguration(gguf: gguf)
        change(&config)
        return try LlamaModel(config: config, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 2)
    }
}

extension TinyFamilies {
    /// The loaded model's logits are within `tolerance` of transformers' and its greedy transcript is transformers'.
    static func expectMatch(_ loaded: LoadedModel, _ expected: Model, tolerance: Float, _ label: String) throws {
        let difference = TinyQwen.maxDifference(logits(loaded.model, expected), expected.logits)
        #expect(difference < tolerance, "\(label): \(difference)")
        // The reference decodes past end tokens: resume after each one until there are as many ids.
        let generator = LlamaGenerator(loaded, precision: .float), prompt = Array(expected.tokens.prefix(expected.greedy_prompt_length))
        var ids: [Int] = []
        while ids.count < expected.greedy.count {
            let result = try generator.generate(promptIDs: prompt + ids, settings: SamplingSettings(temperature: 0, maxTokens: expected.greedy.count - ids.count))
            guard !result.ids.isEmpty else { break }
            ids += result.ids
        }
        #expect(ids == expected.greedy, "\(label)")
    }
}

struct TinyFamiliesTests {
    static let models = ["llama-linear", "llama3", "qwen2-yarn", "granite"]
    static let cases = models.flatMap { [($0, "hf"), ($0, "F32")] }

    @Test(arguments: cases)
    func logitsAndTranscriptMatchTransformers(name: String, form: String) throws {
        let expected = try TinyFamilies.expected(name)
        let loaded = try ModelLoader.load(file: TinyFamilies.url(name, form: form), threads: 2)
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 1e-3, "\(name) \(form)")
        // The frequencies RoPE turns at are transformers' (GGUF's llama3 form is a tensor of divisors).
        let c = loaded.config
        let (inverse, attention) = c.ropeScaling.frequencies(dimension: c.headDimension, theta: Double(c.ropeTheta))
        #expect(zip(inverse, expected.rope_inv_freq).allSatisfy { abs($0 - $1) <= 1e-5 * $1 }, "\(name) \(form): \(inverse)")
        #expect(abs(attention - expected.rope_attention_factor) < 1e-6, "\(name) \(form)")
    }

    @Test func eachFormSaysWhatItRead() throws {
        let linear = try ModelLoader.load(file: TinyFamilies.url("llama-linear", form: "F32"), threads: 1).config
        #expect(linear.ropeScaling == .linear(factor: 4))
        let llama3 = try ModelLoader.load(file: TinyFamilies.url("llama3", form: "hf"), threads: 1).config
        #expect(llama3.ropeScaling == .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 32))
        guard case .frequencyFactors(let factors) = try ModelLoader.load(file: TinyFamilies.url("llama3", form: "F32"), threads: 1).config.ropeScaling
        else { Issue.record("the llama3 GGUF's rope_freqs.weight was not read"); return }
        #expect(factors.count == 8 && factors.first == 1 && factors.last == 8)
        for form in ["hf", "F32"] {
            let granite = try ModelLoader.load(file: TinyFamilies.url("granite", form: form), threads: 1).config
            #expect(granite.architecture == .granite && granite.embeddingScale == 3 && granite.logitScale == 8, "\(form)")
            #expect(abs(granite.residualScale - 0.6) < 1e-6 && abs((granite.attentionScale ?? 0) - 0.09) < 1e-6, "\(form)")
        }
    }

    /// Without the scaling, or without any one of Granite's multipliers, the model is far from transformers.
    @Test func droppingTheScalingOrAMultiplierBreaksTheModel() throws {
        let changes: [(String, (inout LlamaConfiguration) -> Void)] = [
            ("llama-linear", { $0.ropeScaling = .none }), ("llama3", { $0.ropeScaling = .none }), ("qwen2-yarn", { $0.ropeScaling = .none }),
            ("granite", { $0.embeddingScale = 1 }), ("granite", { $0.residualScale = 1 }), ("granite", { $0.logitScale = 1 }),
            ("granite", { $0.attentionScale = nil }),
        ]
        for (index, (name, change)) in changes.enumerated() {
            let expected = try TinyFamilies.expected(name)
            for form in ["hf", "F32"] {
                let model = try TinyFamilies.model(name, form: form, change)
                let difference = TinyQwen.maxDifference(TinyFamilies.logits(model, expected), expected.logits)
                #expect(difference > 0.05, "\(name) \(form), change \(index): \(difference)")
            }
        }
    }
}

/// One tiny-model fixture folder (`Tests/Fixtures/NAME`): `hf/`, `NAME-F32.gguf`, and expected.json with the model's
/// entry under `models[model]`.
struct TinyFixture {
    let directory: URL
    let name: String
    let model: String

    init(_ name: String, model: String) {
        directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name)")
        self.name = name
        self.model = model
    }

    /// `hf/` for the Hugging Face form, else the GGUF of that type.
    func url(_ form: String) -> URL { directory.appendingPathComponent(form == "hf" ? "hf" : "\(name)-\(form).gguf") }

    /// expected.json read as `type` (a family's own keys beside the shared ones).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    }

    func expected() throws -> TinyFamilies.Model { try #require(try decode(TinyFamilies.File.self).models[model]) }

    /// A temporary copy of `hf/` with its config.json edited; the caller removes it.
    func editedCopy(_ edit: (inout [String: Any]) throws -> Void) throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: url("hf"), to: copy)
        let configURL = copy.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        try edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return copy
    }
}
