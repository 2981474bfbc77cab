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

    /// Families whose sliding window applies to some layers only, each layer keeping its own reach.
    var alternatesLocalAttention: Bool { self == .gemma2 }
}

extension LlamaConfiguration {
    /// Gemma 2's caps and local layers from config.json (`layer_types`, or every even layer by default).
    mutating func readGemmaAttention(configJSON object: [String: Any], file: String) throws(EngineError) {
        attentionSoftcap = (object["attn_logit_softcapping"] as? NSNumber)?.floatValue
        logitSoftcap = (object["final_logit_softcapping"] as? NSNumber)?.floatValue
        guard let window = (object["sliding_window"] as? NSNumber)?.intValue, window > 0, window < contextLength else { return }
        let layers = (object["layer_types"] as? [String]).map { types in types.indices.filter { types[$0] == "sliding_attention" } }
            ?? stride(from: 0, to: layerCount, by: 2).map { $0 }
        if !layers.isEmpty { localAttention = LocalAttention(window: window, layers: layers) }
    }

    /// The same from GGUF keys; llama.cpp makes the even layers local.
    mutating func readGemmaAttention(gguf: GGUFFile, architecture arch: String) throws {
        attentionSoftcap = try gguf.optionalDouble("\(arch).attn_logit_softcapping").map(Float.init)
        logitSoftcap = try gguf.optionalDouble("\(arch).final_logit_softcapping").map(Float.init)
        guard let window = try gguf.optionalInt("\(arch).attention.sliding_window"), window > 0, window < contextLength else { return }
        localAttention = LocalAttention(window: window, layers: stride(from: 0, to: layerCount, by: 2).map { $0 })
    }
}
