// Gemma 3 (Gemma 2's norms, GeGLU and embedding scale, plus q/k RMSNorm per head, no soft caps, five local layers to
// one global, and two RoPE bases: 1e6 with linear scaling on the global layers, 10000 on the local ones) against
// transformers: a tiny random model saved by transformers and converted by llama.cpp's convert_hf_to_gguf.py
// (Tests/Fixtures/tiny-gemma3, made by scripts/fixtures/tiny_gemma3.py), read from both forms.
import Engine
import Foundation
import Kernels
import Testing

struct TinyGemma3Tests {
    static let fixture = TinyFixture("tiny-gemma3", model: "gemma3")

    struct Extra: Decodable {
        struct Variant: Decodable {
            var config_changes: [String: Double]
            var config_removals: [String]?
            var logits: [[Float]]
            var greedy: [Int]
        }
        var config_variants: [String: Variant]
        var rope_inv_freq_swa: [Double]
    }

    struct ExtraFile: Decodable { var models: [String: Extra] }


    static func extra() throws -> Extra {
        try #require(try fixture.decode(ExtraFile.self).models["gemma3"])
    }


    @Test(arguments: ["hf", "F32"])
    func logitsAndTranscriptMatchTransformers(form: String) throws {
        let expected = try Self.fixture.expected()
        let loaded = try ModelLoader.load(file: Self.fixture.url(form), threads: 2)
        let c = loaded.config
        #expect(c.architecture == .gemma3 && c.features == DecoderFeatures(queryKeyNorm: true, mlp: .geglu, sandwichNorms: true))
        #expect(c.attentionSoftcap == nil && c.logitSoftcap == nil && c.tiedEmbeddings)
        #expect(c.localAttention == LlamaConfiguration.LocalAttention(window: 8, layers: [0, 1, 2, 3, 4]), "\(form)")
        #expect(c.ropeTheta == 1_000_000 && c.localRopeTheta == 10000 && c.ropeScaling == .linear(factor: 8), "\(form)")
        // Both bases turn at transformers' frequencies.
        let (global, _) = c.ropeScaling.frequencies(dimension: c.headDimension, theta: Double(c.ropeTheta))
        let (local, _) = RoPEScaling.none.frequencies(dimension: c.headDimension, theta: Double(c.localRopeTheta ?? 0))
        #expect(zip(global, expected.rope_inv_freq).allSatisfy { abs($0 - $1) <= 1e-6 * $1 }, "\(form): \(global)")
        #expect(zip(local, try Self.extra().rope_inv_freq_swa).allSatisfy { abs($0 - $1) <= 1e-6 * $1 }, "\(form): \(local)")
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 2e-4, form)
    }

    /// config.json's own keys that no GGUF key carries: query_pre_attn_scalar, and the older sliding_window_pattern
    /// form without layer_types.
    @Test func configOnlyKeysAreRead() throws {
        for (name, variant) in try Self.extra().config_variants.sorted(by: { $0.key < $1.key }) {
            let copy = try Self.fixture.editedCopy { config in
                for (key, value) in variant.config_changes { config[key] = value }
                for key in variant.config_removals ?? [] { config[key] = nil }
            }
            defer { try? FileManager.default.removeItem(at: copy) }
            var expected = try Self.fixture.expected()
            expected.logits = variant.logits
            expected.greedy = variant.greedy
            try TinyFamilies.expectMatch(try ModelLoader.load(file: copy, threads: 2), expected, tolerance: 2e-4, name)
        }
    }

    /// Each of Gemma 3's differences matters.
    @Test func droppingAFeatureBreaksTheModel() throws {
        let expected = try Self.fixture.expected()
        let changes: [(String, (inout LlamaConfiguration) -> Void)] = [
            ("no q/k norms", { $0.features.queryKeyNorm = false }), ("one RoPE base", { $0.localRopeTheta = nil }),
            ("no RoPE scaling", { $0.ropeScaling = .none }), ("no window", { $0.localAttention = nil }),
            ("Gemma 2's pattern", { $0.localAttention?.layers = [0, 2, 4] }), ("no post norms", { $0.features.sandwichNorms = false }),
            ("no embedding scale", { $0.embeddingScale = 1 }),
        ]
        for form in ["hf", "F32"] {
            for (name, change) in changes {
                let model = try TinyFamilies.model(at: Self.fixture.url(form), form: form, change)
                let difference = TinyQwen.maxDifference(TinyFamilies.logits(model, expected), expected.logits)
                #expect(difference > 0.5, "\(form), \(name): \(difference)")
            }
        }
    }
}
