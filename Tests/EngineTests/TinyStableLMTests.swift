// StableLM (LayerNorm with bias, RoPE over the leading quarter of each head, q/k/v biases, NEOX RoPE) against
// transformers: a tiny random model saved by transformers and converted by llama.cpp's convert_hf_to_gguf.py
// (Tests/Fixtures/tiny-stablelm, made by scripts/fixtures/tiny_stablelm.py), read from both forms.
import Engine
import Foundation
import Kernels
import Testing

struct TinyStableLMTests {
    static let fixture = TinyFixture("tiny-stablelm", model: "stablelm")



    @Test(arguments: ["hf", "F32"])
    func logitsAndTranscriptMatchTransformers(form: String) throws {
        let expected = try Self.fixture.expected()
        let loaded = try ModelLoader.load(file: Self.fixture.url(form), threads: 2)
        #expect(loaded.config.architecture == .stablelm && loaded.config.rmsNormEpsilon == 1e-5)
        #expect(loaded.config.features == DecoderFeatures(attentionBiases: true, layerNorm: true))
        #expect(loaded.config.headDimension == 32 && loaded.config.rotaryDimension == 8)
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 2e-4, form)
    }

    /// Each of StableLM's differences from Llama matters.
    @Test func droppingAFeatureBreaksTheModel() throws {
        let expected = try Self.fixture.expected()
        let changes: [(String, Float, (inout LlamaConfiguration) -> Void)] = [
            ("RMSNorm", 0.05, { $0.features.layerNorm = false }), ("no q/k/v biases", 0.05, { $0.features.attentionBiases = false }),
            ("RoPE over the whole head", 0.05, { $0.rotaryDimension = nil }), ("RoPE over half of it", 0.05, { $0.rotaryDimension = 16 }),
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
