// The hyperparameters of a Llama-family decoder, filled from GGUF metadata or a Hugging Face config.json, and the
// features its family and file add (Architectures/). MiniCPM is Llama with muP scales: embeddings times
// `embeddingScale`, each sub-layer's output times `residualScale` before it joins the residual stream, and logits
// divided by `logitScale`. What the engine cannot run yet (sliding windows, MLP biases, other kinds of RoPE scaling)
// is refused by name.
import Foundation
import Kernels
import ModelFiles

public struct LlamaConfiguration: Sendable, Equatable, Codable {
    public var architecture: DecoderArchitecture
    /// The family's features and those this file adds (a Llama config's `attention_bias`).
    public var features: DecoderFeatures
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDimension: Int
    public var vocabularySize: Int
    public var contextLength: Int
    public var rmsNormEpsilon: Float
    public var ropeTheta: Float
    public var tiedEmbeddings: Bool
    /// Attention scores are multiplied by this instead of 1/sqrt(head size) (Granite's `attention_multiplier`).
    public var attentionScale: Float?
    /// The attention window of sliding-window layers, when it was shorter than the context: the context is cut to it, so
    /// no sequence reaches past the window and full attention computes exactly what the window would.
    public var slidingWindow: Int?
    /// How RoPE is stretched past the training context (none for most models).
    public var ropeScaling: RoPEScaling = .none
    /// How many leading values of each head RoPE rotates, when not all (StableLM's `partial_rotary_factor` of 0.25).
    public var rotaryDimension: Int?
    /// Attention scores capped as cap * tanh(score / cap) before the softmax (Gemma 2's `attn_logit_softcapping`).
    public var attentionSoftcap: Float?
    /// Logits capped the same way (Gemma 2's `final_logit_softcapping`).
    public var logitSoftcap: Float?
    /// Layers that attend only to the last `window` positions while the others see the whole context (Gemma 2's
    /// even layers), when the window is shorter than the context.
    public var localAttention: LocalAttention?
    /// The RoPE base of the local layers when it differs from the others' (Gemma 3: 10000 beside 1000000); their RoPE
    /// is unscaled.
    public var localRopeTheta: Float?

    public struct LocalAttention: Sendable, Equatable, Codable {
        public var window: Int
        public var layers: [Int]
        public init(window: Int, layers: [Int]) { self.window = window; self.layers = layers }
    }
    /// Token embeddings are multiplied by this (MiniCPM `scale_emb`; 1 for Llama).
    public var embeddingScale: Float
    /// Attention and MLP outputs are multiplied by this before the residual add (`scale_depth / sqrt(layers)`).
    public var residualScale: Float
    /// Logits are divided by this (`hidden_size / dim_model_base`); applied to the final normed state.
    public var logitScale: Float

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case kvHeadCount = "num_key_value_heads"
        case headDimension = "head_dim"
        case vocabularySize = "vocab_size"
        case contextLength = "max_position_embeddings"
        case rmsNormEpsilon = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case tiedEmbeddings = "tie_word_embeddings"
        case modelType = "model_type"
        case embeddingScale = "embedding_scale"
        case residualScale = "residual_scale"
        case logitScale = "logit_scale"
        case attentionScale = "attention_scale"
        case attentionBias = "attention_bias"
        case features
        case ropeScalingForm = "rope_scaling_form"
        case slidingWindowCut = "sliding_window_cut"
        case rotaryDimension = "rotary_dimension"
        case attentionSoftcap = "attention_softcap"
        case logitSoftcap = "logit_softcap"
        case localAttention = "local_attention"
        case localRopeTheta = "local_rope_theta"
    }

    public init(hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int, kvHeadCount: Int,
                headDimension: Int? = nil, vocabularySize: Int, contextLength: Int, rmsNormEpsilon: Float = 1e-5,
                ropeTheta: Float = 10000, tiedEmbeddings: Bool, architecture: DecoderArchitecture = .llama,
                features: DecoderFeatures = DecoderFeatures(), embeddingScale: Float = 1, residualScale: Float = 1,
                logitScale: Float = 1) {
        self.architecture = architecture
        self.features = architecture.features.union(features)
        self.embeddingScale = embeddingScale
        self.residualScale = residualScale
        self.logitScale = logitScale
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension ?? hiddenSize / max(headCount, 1)
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// From HF `config.json` (`decodeIfPresent ?? default` for the optional keys), or this type's own encoding. A family's
    /// multipliers come from its own keys (Architectures/).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let hidden = try c.decode(Int.self, forKey: .hiddenSize)
        let heads = try c.decode(Int.self, forKey: .headCount)
        let layers = try c.decode(Int.self, forKey: .layerCount)
        let modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
        let architecture = DecoderArchitecture(modelType: modelType) ?? DecoderArchitecture(ggufName: modelType) ?? .llama
        var features = try c.decodeIfPresent(DecoderFeatures.self, forKey: .features) ?? DecoderFeatures()
        if try c.decodeIfPresent(Bool.self, forKey: .attentionBias) == true { features.attentionBiases = true }
        // Keys only some families write: StarCoder2's `use_bias` (every product) and `hidden_act`, other epsilon names.
        let extra = try decoder.container(keyedBy: ConfigKey.self)
        if try extra.decodeIfPresent(Bool.self, forKey: ConfigKey("use_qkv_bias")) == true { features.attentionBiases = true }
        if try extra.decodeIfPresent(Bool.self, forKey: ConfigKey("use_bias")) == true {
            features.attentionBiases = true
            features.outputBiases = true
        }
        if !architecture.features.mlp.gated, try extra.decodeIfPresent(String.self, forKey: ConfigKey("hidden_act")) == "gelu" {
            features.mlp = .gelu
        }
        let epsilon = try c.decodeIfPresent(Float.self, forKey: .rmsNormEpsilon)
            ?? extra.decodeIfPresent(Float.self, forKey: ConfigKey("norm_epsilon"))
            ?? extra.decodeIfPresent(Float.self, forKey: ConfigKey("layer_norm_eps"))
        var scales = DecoderScales()
        if let embedding = try c.decodeIfPresent(Float.self, forKey: .embeddingScale),
           let residual = try c.decodeIfPresent(Float.self, forKey: .residualScale),
           let logit = try c.decodeIfPresent(Float.self, forKey: .logitScale) {
            // This type's own encoding, which stores the derived scales.
            scales = DecoderScales(embedding: embedding, residual: residual, logit: logit,
                                   attention: try c.decodeIfPresent(Float.self, forKey: .attentionScale))
        } else if let read = architecture.configScales {
            scales = try read(extra, hidden, layers)
        }
        self.init(
            hiddenSize: hidden,
            intermediateSize: try c.decode(Int.self, forKey: .intermediateSize),
            layerCount: layers,
            headCount: heads,
            kvHeadCount: try c.decodeIfPresent(Int.self, forKey: .kvHeadCount) ?? heads,
            headDimension: try c.decodeIfPresent(Int.self, forKey: .headDimension),
            vocabularySize: try c.decode(Int.self, forKey: .vocabularySize),
            contextLength: try c.decodeIfPresent(Int.self, forKey: .contextLength) ?? 2048,
            rmsNormEpsilon: epsilon ?? 1e-6,
            ropeTheta: try c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? 10000,
            // PretrainedConfig ties by default; Llama's config class unties.
            tiedEmbeddings: try c.decodeIfPresent(Bool.self, forKey: .tiedEmbeddings) ?? [.minicpm, .gemma2, .gemma3].contains(architecture),
            architecture: architecture, features: features, embeddingScale: scales.embedding, residualScale: scales.residual,
            logitScale: scales.logit)
        attentionScale = scales.attention
        // This type's own encoding keeps the scaling it read (config.json's form is read by `init(configJSON:)`).
        ropeScaling = try c.decodeIfPresent(RoPEScaling.self, forKey: .ropeScalingForm) ?? .none
        slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindowCut)
        rotaryDimension = try c.decodeIfPresent(Int.self, forKey: .rotaryDimension)
        attentionSoftcap = try c.decodeIfPresent(Float.self, forKey: .attentionSoftcap)
        logitSoftcap = try c.decodeIfPresent(Float.self, forKey: .logitSoftcap)
        localAttention = try c.decodeIfPresent(LocalAttention.self, forKey: .localAttention)
        localRopeTheta = try c.decodeIfPresent(Float.self, forKey: .localRopeTheta)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(architecture.name, forKey: .modelType)
        try c.encode(features, forKey: .features)
        try c.encode(ropeScaling, forKey: .ropeScalingForm)
        try c.encodeIfPresent(slidingWindow, forKey: .slidingWindowCut)
        try c.encodeIfPresent(rotaryDimension, forKey: .rotaryDimension)
        try c.encodeIfPresent(attentionSoftcap, forKey: .attentionSoftcap)
        try c.encodeIfPresent(logitSoftcap, forKey: .logitSoftcap)
        try c.encodeIfPresent(localAttention, forKey: .localAttention)
        try c.encodeIfPresent(localRopeTheta, forKey: .localRopeTheta)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(kvHeadCount, forKey: .kvHeadCount)
        try c.encode(headDimension, forKey: .headDimension)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(rmsNormEpsilon, forKey: .rmsNormEpsilon)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(tiedEmbeddings, forKey: .tiedEmbeddings)
        try c.encode(embeddingScale, forKey: .embeddingScale)
        try c.encode(residualScale, forKey: .residualScale)
        try c.encodeIfPresent(attentionScale, forKey: .attentionScale)
        try c.encode(logitScale, forKey: .logitScale)
    }

    /// From a Hugging Face `config.json`; `model_type` must be a Llama-family name or `minicpm`.
    public init(configJSON url: URL) throws(EngineError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .modelNotFound(reference: url.path, reason: error.localizedDescription)
        }
        let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        let type = object["model_type"] as? String ?? "(none)"
        guard DecoderArchitecture(modelType: type) != nil else {
            throw .unsupportedArchitecture(file: url.path, architecture: type)
        }
        let partial = ((object["rope_parameters"] as? [String: Any])?["partial_rotary_factor"] ?? object["partial_rotary_factor"]) as? NSNumber
        if object["use_parallel_residual"] as? Bool == true {
            throw .unsupportedFeature(file: url.path, key: "use_parallel_residual", feature: "attention and MLP side by side on one norm")
        }
        if object["qk_layernorm"] as? Bool == true {
            throw .unsupportedFeature(file: url.path, key: "qk_layernorm", feature: "LayerNorm over each query and key head")
        }
        if object["mlp_bias"] as? Bool == true {
            throw .unsupportedFeature(file: url.path, key: "mlp_bias", feature: "biases in the MLP")
        }
        if let other = (object["layer_types"] as? [String])?.first(where: { !["full_attention", "sliding_attention"].contains($0) }) {
            throw .unsupportedFeature(file: url.path, key: "layer_types", feature: "\(other) layers")
        }
        let scaling = try Self.ropeScaling(configJSON: object, file: url.path)
        do {
            self = try JSONDecoder().decode(LlamaConfiguration.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw .invalidConfiguration(file: url.path, key: key.stringValue, reason: "missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidConfiguration(file: url.path, key: context.codingPath.map(\.stringValue).joined(separator: "."),
                                        reason: context.debugDescription)
        } catch {
            throw .invalidConfiguration(file: url.path, key: "(root)", reason: "\(error)")
        }
        ropeScaling = scaling
        capContextForLongRoPE()
        if let partial, partial.doubleValue < 1 {
            // transformers rotates int(head size x factor) leading values.
            rotaryDimension = Int(Double(headDimension) * partial.doubleValue)
        }
        if architecture.alternatesLocalAttention {
            try readGemmaAttention(configJSON: object, file: url.path)
        } else {
            capContext(toWindow: Self.slidingWindow(configJSON: object))
        }
        // transformers 5 keeps the base inside `rope_parameters`.
        if object["rope_theta"] == nil, let theta = ((object["rope_parameters"] as? [String: Any])?["rope_theta"] as? NSNumber)?.floatValue {
            ropeTheta = theta
        }
        try validate(file: url.path)
    }

    /// From GGUF metadata (`{arch}.embedding_length`, ...); tied when the file has no `output.weight`.
    /// MiniCPM's scales come from `minicpm.embedding_scale`, `.residual_scale` and `.logit_scale`, or from
    /// MiniCPM-2B's constants when the file predates those keys.
    public init(gguf: GGUFFile) throws(EngineError) {
        let file = gguf.url.path
        do {
            let arch = try gguf.requiredString("general.architecture")
            guard let architecture = DecoderArchitecture(ggufName: arch) else {
                throw EngineError.unsupportedArchitecture(file: file, architecture: arch)
            }
            let hidden = try gguf.requiredInt("\(arch).embedding_length")
            let heads = try gguf.requiredInt("\(arch).attention.head_count")
            let vocabulary = try gguf.optionalInt("\(arch).vocab_size")
                ?? gguf.tensor(named: "token_embd.weight")?.shape.last
                ?? (try gguf.optionalStrings("tokenizer.ggml.tokens")?.count)
            guard let vocabulary else {
                throw EngineError.invalidConfiguration(file: file, key: "\(arch).vocab_size", reason: "missing, and no token_embd.weight to infer it")
            }
            let layers = try gguf.requiredInt("\(arch).block_count")
            let scales = try architecture.ggufScales?(gguf, hidden, layers) ?? DecoderScales()
            self.init(
                hiddenSize: hidden,
                intermediateSize: try gguf.requiredInt("\(arch).feed_forward_length"),
                layerCount: layers,
                headCount: heads,
                kvHeadCount: try gguf.optionalInt("\(arch).attention.head_count_kv") ?? heads,
                headDimension: try gguf.optionalInt("\(arch).attention.key_length"),
                vocabularySize: vocabulary,
                contextLength: try gguf.optionalInt("\(arch).context_length") ?? 2048,
                rmsNormEpsilon: Float(try gguf.optionalDouble("\(arch).attention.layer_norm_rms_epsilon")
                    ?? gguf.optionalDouble("\(arch).attention.layer_norm_epsilon") ?? 1e-5),
                ropeTheta: Float(try gguf.optionalDouble("\(arch).rope.freq_base") ?? 10000),
                tiedEmbeddings: gguf.tensor(named: "output.weight") == nil,
                architecture: architecture,
                // Biases are where the converter finds them; a file with them runs them whatever its family.
                features: DecoderFeatures(attentionBiases: gguf.tensor(named: "blk.0.attn_q.bias") != nil,
                                          outputBiases: gguf.tensor(named: "blk.0.attn_output.bias") != nil),
                embeddingScale: scales.embedding, residualScale: scales.residual,
                logitScale: scales.logit)
            attentionScale = scales.attention
            if architecture.alternatesLocalAttention {
                try readGemmaAttention(gguf: gguf, architecture: arch)
            } else {
                capContext(toWindow: try gguf.optionalInt("\(arch).attention.sliding_window"))
            }
            if let rotated = try gguf.optionalInt("\(arch).rope.dimension_count"), rotated < headDimension {
                rotaryDimension = rotated
            }
            // llama.cpp runs a StableLM without `ffn_norm` as parallel attention and MLP, and reads per-head q/k norms.
            if architecture == .stablelm, gguf.tensor(named: "blk.0.ffn_norm.weight") == nil {
                throw EngineError.unsupportedFeature(file: file, key: "blk.0.ffn_norm.weight", feature: "attention and MLP side by side on one norm")
            }
            if architecture == .stablelm, gguf.tensor(named: "blk.0.attn_q_norm.weight") != nil {
                throw EngineError.unsupportedFeature(file: file, key: "blk.0.attn_q_norm.weight", feature: "LayerNorm over each query and key head")
            }
            ropeScaling = try Self.ropeScaling(gguf: gguf, architecture: arch, headDimension: headDimension,
                                               rotatedDimension: rotaryDimension ?? headDimension, contextLength: contextLength)
            capContextForLongRoPE()
        } catch let error as EngineError {
            throw error
        } catch let error as ModelFileError {
            throw .modelFile(error.localizedDescription)
        } catch {
            throw .modelFile("\(file): \(error)")
        }
        try validate(file: file)
    }

    func validate(file: String) throws(EngineError) {
        func check(_ ok: Bool, _ key: String, _ reason: String) throws(EngineError) {
            if !ok { throw .invalidConfiguration(file: file, key: key, reason: reason) }
        }
        try check(hiddenSize > 0 && hiddenSize < 1 << 20, "hidden size", "\(hiddenSize) is out of range")
        try check(intermediateSize > 0 && intermediateSize < 1 << 20, "intermediate size", "\(intermediateSize) is out of range")
        try check(layerCount > 0 && layerCount < 1000, "layer count", "\(layerCount) is out of range")
        try check(headCount > 0 && kvHeadCount > 0 && headCount % kvHeadCount == 0, "head counts",
                  "\(headCount) query heads are not a multiple of \(kvHeadCount) key/value heads")
        try check(headDimension > 0 && headDimension % 2 == 0, "head dimension", "\(headDimension) is not a positive even number")
        if let rotaryDimension {
            try check(rotaryDimension > 0 && rotaryDimension % 2 == 0 && rotaryDimension <= headDimension, "rotary dimension",
                      "\(rotaryDimension) is not a positive even number up to the head dimension \(headDimension)")
        }
        if case let .frequencyFactors(factors) = ropeScaling {
            try check(factors.count == (rotaryDimension ?? headDimension) / 2, "rope_freqs.weight", "\(factors.count) factors for the rotated pairs")
        }
        for (key, cap) in [("attn_logit_softcapping", attentionSoftcap), ("final_logit_softcapping", logitSoftcap)] {
            if let cap { try check(cap.isFinite && cap > 0, key, "\(cap) is not a positive number") }
        }
        if let window = localAttention?.window { try check(window > 0, "sliding_window", "\(window) is not positive") }
        if case let .longrope(factors, original, attention) = ropeScaling {
            let pairs = (rotaryDimension ?? headDimension) / 2
            try check(factors.count == pairs, "short_factor", "\(factors.count) factors for \(pairs) rotated pairs")
            try check(factors.allSatisfy { $0.isFinite && $0 > 0 } && attention.isFinite && attention > 0 && original > 0,
                      "rope_scaling", "LongRoPE factors must be positive numbers")
        }
        try check(vocabularySize > 0, "vocabulary size", "\(vocabularySize)")
        try check(contextLength > 0, "context length", "\(contextLength)")
        for (key, scale) in [("embedding scale", embeddingScale), ("residual scale", residualScale), ("logit scale", logitScale)] {
            try check(scale.isFinite && scale > 0, key, "\(scale) is not a positive number")
        }
        if let attentionScale { try check(attentionScale.isFinite && attentionScale > 0, "attention scale", "\(attentionScale) is not a positive number") }
    }

    public var queryDimension: Int { headCount * headDimension }
    public var kvDimension: Int { kvHeadCount * headDimension }
}
