// Phi-3 (q/k/v and gate/up each stored as one tensor, split at load; NEOX RoPE) against transformers: a tiny random
// model saved by transformers and converted by llama.cpp's convert_hf_to_gguf.py (Tests/Fixtures/tiny-phi3, made by
// scripts/fixtures/tiny_phi3.py), read from both forms.
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing

struct TinyPhi3Tests {
    static let fixture = TinyFixture("tiny-phi3", model: "phi3")



    @Test(arguments: ["hf", "F32"])
    func logitsAndTranscriptMatchTransformers(form: String) throws {
        let expected = try Self.fixture.expected()
        let loaded = try ModelLoader.load(file: Self.fixture.url(form), threads: 2)
        #expect(loaded.config.architecture == .phi3 && loaded.config.features == DecoderFeatures(fusedTensors: true))
        // The converter writes a window of 0 for none: nothing is cut.
        #expect(loaded.config.contextLength == 512 && loaded.config.slidingWindow == nil)
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 1e-3, form)
    }

    /// The fused tensors' parts are read in place, in the file's order (the fixture records that gate and up swapped move
    /// the logits by 10.7).
    @Test func theFusedPartsAreInTheirOrder() throws {
        let expected = try Self.fixture.expected()
        let gguf = try GGUFFile(url: Self.fixture.url("F32"))
        let config = try LlamaConfiguration(gguf: gguf)
        let model = try LlamaModel(config: config, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 2)
        let layer = model.weights.layers[0]
        let fused = try gguf.matrix("blk.0.ffn_up.weight", rows: 2 * config.intermediateSize, columns: config.hiddenSize)
        // Layer 0's gate is the fused tensor's first half, its up the second.
        #expect(layer.gate?.data == fused.rowPointer(0) && layer.up.data == fused.rowPointer(config.intermediateSize))
        #expect(TinyQwen.maxDifference(TinyFamilies.logits(model, expected), expected.logits) < 1e-3)
    }
}

/// LongRoPE (Phi-3 128K, Phi-3.5) against transformers: the same tiny model with short and long factors and an original
/// context of 256 under 1024 (Tests/Fixtures/tiny-phi3-longrope, made by scripts/fixtures/tiny_phi3_longrope.py). Within
/// the original context transformers uses the short factors; the engine cuts the context there, which is exact.
struct TinyPhi3LongRoPETests {
    static let fixture = TinyFixture("tiny-phi3-longrope", model: "phi3-longrope")



    @Test(arguments: ["hf", "F32"])
    func logitsAndTranscriptMatchTransformers(form: String) throws {
        let expected = try Self.fixture.expected()
        let loaded = try ModelLoader.load(file: Self.fixture.url(form), threads: 2)
        let c = loaded.config
        guard case let .longrope(short, original, attention) = c.ropeScaling else {
            Issue.record("\(form): LongRoPE not read: \(c.ropeScaling)")
            return
        }
        // GGUF holds the factors as float32.
        #expect(zip(short, [1.0, 1.15, 1.35, 1.6, 1.9, 2.2, 2.6, 3.0]).allSatisfy { abs($0 - $1) < 1e-6 } && short.count == 8, "\(form)")
        #expect(original == 256 && c.contextLength == 256, "\(form)")
        #expect(abs(attention - expected.rope_attention_factor) < 1e-6, "\(form): \(attention)")
        let (inverse, _) = c.ropeScaling.frequencies(dimension: c.headDimension, theta: Double(c.ropeTheta))
        #expect(zip(inverse, expected.rope_inv_freq).allSatisfy { abs($0 - $1) <= 1e-6 * $1 }, "\(form): \(inverse)")
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 1e-3, form)
        // Without the factors, or without the attention factor, the model is far from transformers.
        for change in [{ (c: inout LlamaConfiguration) in c.ropeScaling = .none },
                       { (c: inout LlamaConfiguration) in c.ropeScaling = .longrope(shortFactors: short, originalContext: original, attentionFactor: 1) }] {
            let model = try TinyFamilies.model(at: Self.fixture.url(form), form: form, change)
            #expect(TinyQwen.maxDifference(TinyFamilies.logits(model, expected), expected.logits) > 0.5, "\(form)")
        }
    }

    @Test func aFactorCountThatDoesNotFitTheHeadIsAnError() throws {
        let copy = try Self.fixture.editedCopy { config in
            var rope = try #require(config["rope_parameters"] as? [String: Any])
            rope["short_factor"] = [1.0, 2.0]
            config["rope_parameters"] = rope
        }
        defer { try? FileManager.default.removeItem(at: copy) }
        let error = #expect(throws: EngineError.self) { try LlamaConfiguration(configJSON: copy.appendingPathComponent("config.json")) }
        #expect(error?.localizedDescription.contains("2 factors for 8 rotated pairs") == true, "\(String(describing: error))")
    }
}
