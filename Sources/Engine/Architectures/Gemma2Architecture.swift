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
        configScales: { keys, hidden, _ in
            let scalar = try keys.decodeIfPresent(Float.self, forKey: ConfigKey("query_pre_attn_scalar"))
            return DecoderScales(embedding: Float(hidden).squareRoot(), attention: scalar.map { 1 / $0.squareRoot() })
        },
        ggufScales: { gguf, hidden, layers in
            let heads = try gguf.requiredInt("gemma2.attention.head_count")
            return DecoderScales(embedding: Float(hidden).squareRoot(),
                                 attention: layers == 46 ? 1 / (Float(hidden) / Float(heads)).squareRoot() : nil)
        },
        huggingFaceRenames: [.ffnNorm: "pre_feedforward_layernorm.weight"], huggingFaceNormOffset: 1)
}
