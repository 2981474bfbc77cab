// StarCoder2 (LayerNorm with bias, a GELU MLP of `c_fc` and `c_proj`, biases on every product, NEOX RoPE) against
// transformers: a tiny random model saved by transformers and converted by llama.cpp's convert_hf_to_gguf.py
// (Tests/Fixtures/tiny-starcoder2, made by scripts/fixtures/tiny_starcoder2.py), read from both forms.
import Engine
import Foundation
import Kernels
import Testing

struct TinyStarCoder2Tests {
    static let fixture = TinyFixture("tiny-starcoder2", model: "starcoder2")



    @Test(arguments: ["hf", "F32"])
    func logitsAndTranscriptMatchTransformers(form: String) throws {
        let expected = try Self.fixture.expected()
        let loaded = try ModelLoader.load(file: Self.fixture.url(form), threads: 2)
        #expect(loaded.config.architecture == .starcoder2 && loaded.config.rmsNormEpsilon == 1e-5)
        #expect(loaded.config.features == DecoderFeatures(attentionBiases: true, layerNorm: true, outputBiases: true, mlp: .geluTanh))
        // Tight enough to tell GELU's tanh form from its erf form (they differ by 1e-3 here).
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 2e-4, form)
    }

    /// Each of StarCoder2's differences from Llama matters.
    @Test func droppingAFeatureBreaksTheModel() throws {
        let expected = try Self.fixture.expected()
        let changes: [(String, Float, (inout LlamaConfiguration) -> Void)] = [
            ("RMSNorm", 0.05, { $0.features.layerNorm = false }), ("no q/k/v biases", 0.05, { $0.features.attentionBiases = false }),
            ("no output or MLP biases", 0.05, { $0.features.outputBiases = false }), ("erf GELU", 5e-4, { $0.features.mlp = .gelu }),
        ]
        for form in ["hf", "F32"] {
            for (name, least, change) in changes {
                let model = try TinyFamilies.model(at: Self.fixture.url(form), form: form, change)
                let difference = TinyQwen.maxDifference(TinyFamilies.logits(model, expected), expected.logits)
                #expect(difference > least, "\(form), \(name): \(difference)")
            }
        }
    }
}
