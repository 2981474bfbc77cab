// Gemma 2: RMSNorm scaling by 1 + w (its GGUFs hold 1 + w already), a second norm on each branch's output before the
// residual add, a GeGLU MLP, embeddings times sqrt(hidden size), attention scores divided by sqrt(query_pre_attn_scalar)
// and soft-capped, logits soft-capped, and sliding-window attention on the even layers only, NEOX RoPE in GGUF.
// The GGUF has no query_pre_attn_scalar: as llama.cpp does, 1/sqrt(head size), or for the 46-layer 27B
// 1/sqrt(hidden / heads). Nor a layer pattern: even layers slide, transformers' default.
import Foundation
import ModelFiles

extension DecoderArchitecture {
    public static let gemma2 = DecoderArchitecture(
        name: "gemma2", modelTypes: ["gemma2"], knownModels: "Gemma 2 2B, 9B, 27B",
        features: DecoderFeatures(mlp: .geglu, sandwichNorms: true), ggufRopeStyle: .halves,
        configScales: gemmaConfigScales, ggufScales: gemmaGGUFScales(architecture: "gemma2", largestLayerCount: 46),
        huggingFaceRenames: [.ffnNorm: "pre_feedforward_layernorm.weight"], huggingFaceNormOffset: 1)

    /// Gemma's multipliers from config.json: embeddings times sqrt(hidden), attention by query_pre_attn_scalar.
    static let gemmaConfigScales: @Sendable (KeyedDecodingContainer<ConfigKey>, Int, Int) throws -> DecoderScales = { keys, hidden, _ in
        let scalar = try keys.decodeIfPresent(Float.self, forKey: ConfigKey("query_pre_attn_scalar"))
        return DecoderScales(embedding: Float(hidden).squareRoot(), attention: scalar.map { 1 / $0.squareRoot() })
    }

    /// ... and from GGUF, which has no query_pre_attn_scalar: as llama.cpp assumes, 1/sqrt(head size), or
    /// 1/sqrt(hidden / heads) for the family's largest model (recognised by its layer count).
    static func gemmaGGUFScales(architecture arch: String, largestLayerCount: Int) -> @Sendable (GGUFFile, Int, Int) throws -> DecoderScales {
        { gguf, hidden, layers in
            let heads = try gguf.requiredInt("\(arch).attention.head_count")
            return DecoderScales(embedding: Float(hidden).squareRoot(),
                                 attention: layers == largestLayerCount ? 1 / (Float(hidden) / Float(heads)).squareRoot() : nil)
        }
    }
}
