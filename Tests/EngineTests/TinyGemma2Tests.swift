// Gemma 2 (norms scaling by 1 + w, post-attention and post-feedforward norms, GeGLU, embeddings times sqrt(hidden),
// soft-capped attention scores and logits, a sliding window on the even layers) against transformers: a tiny random
// model saved by transformers and converted by llama.cpp's convert_hf_to_gguf.py (Tests/Fixtures/tiny-gemma2, made by
// scripts/fixtures/tiny_gemma2.py), read from both forms. Its window of 8 is far shorter than the 120-token prompt.
import Engine
import Foundation
import Kernels
import Testing

struct TinyGemma2Tests {
    static let fixture = TinyFixture("tiny-gemma2", model: "gemma2")

    struct Variant: Decodable {
        var config_changes: [String: Double]
        var logits: [[Float]]
        var greedy: [Int]
    }

    struct Extra: Decodable { var config_variants: [String: Variant] }
    struct ExtraFile: Decodable { var models: [String: Extra] }



    @Test(arguments: ["hf", "F32"])
    func logitsAndTranscriptMatchTransformers(form: String) throws {
        let expected = try Self.fixture.expected()
        let loaded = try ModelLoader.load(file: Self.fixture.url(form), threads: 2)
        let c = loaded.config
        #expect(c.architecture == .gemma2 && c.features == DecoderFeatures(mlp: .geglu, sandwichNorms: true))
        #expect(c.attentionSoftcap == 20 && c.logitSoftcap == 15 && c.embeddingScale == 8 && c.tiedEmbeddings)
        #expect(c.localAttention == LlamaConfiguration.LocalAttention(window: 8, layers: [0]) && c.contextLength == 512)
        #expect(c.headDimension == 32 && abs((c.attentionScale ?? 1 / Float(32).squareRoot()) - 1 / Float(32).squareRoot()) < 1e-7)
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 2e-4, form)
        // Its SentencePiece vocabulary (no dummy prefix; tokenizer.json's no-op Split at spaces) gives transformers' ids.
        #expect(loaded.tokenizer.encode(try Self.text(), addSpecialTokens: true) == expected.tokens, "\(form)")
    }

    static func text() throws -> String {
        struct Text: Decodable { var text: String }
        return try fixture.decode(Text.self).text
    }

    /// query_pre_attn_scalar, which no GGUF key carries, is read from config.json.
    @Test func theQueryScalarComesFromTheConfig() throws {
        let variant = try #require(try Self.fixture.decode(ExtraFile.self).models["gemma2"]?.config_variants.values.first)
        let scalar = try #require(variant.config_changes["query_pre_attn_scalar"])
        let copy = try Self.fixture.editedCopy { $0["query_pre_attn_scalar"] = scalar }
        defer { try? FileManager.default.removeItem(at: copy) }
        let loaded = try ModelLoader.load(file: copy, threads: 2)
        var expected = try Self.fixture.expected()
        expected.logits = variant.logits
        expected.greedy = variant.greedy
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 2e-4, "query_pre_attn_scalar \(scalar)")
    }

    /// Each of Gemma 2's differences from Llama matters.
    @Test func droppingAFeatureBreaksTheModel() throws {
        let expected = try Self.fixture.expected()
        let changes: [(String, (inout LlamaConfiguration) -> Void)] = [
            ("no attention softcap", { $0.attentionSoftcap = nil }), ("no logit softcap", { $0.logitSoftcap = nil }),
            ("no embedding scale", { $0.embeddingScale = 1 }), ("no post norms", { $0.features.sandwichNorms = false }),
            ("SwiGLU", { $0.features.mlp = .swiglu }), ("no window", { $0.localAttention = nil }),
            ("window on every layer", { $0.localAttention?.layers = [0, 1] }), ("window on the odd layer", { $0.localAttention?.layers = [1] }),
            ("a window one longer", { $0.localAttention?.window = 9 }),
        ]
        for form in ["hf", "F32"] {
            for (name, change) in changes {
                let model = try TinyFamilies.model(at: Self.fixture.url(form), form: form, change)
                let difference = TinyQwen.maxDifference(TinyFamilies.logits(model, expected), expected.logits)
                #expect(difference > 0.05, "\(form), \(name): \(difference)")
            }
        }
    }
}
