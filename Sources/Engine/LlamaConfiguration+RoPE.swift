// RoPE scaling and sliding windows as each file form states them: config.json's `rope_scaling` (or transformers 5's `rope_parameters`,
// which also carries `rope_theta`), and GGUF's `{arch}.rope.scaling.*` keys or the `rope_freqs.weight` tensor that
// llama.cpp's converter writes for Llama 3. A kind the engine does not run is refused by name.
import Foundation
import Kernels
import ModelFiles

extension LlamaConfiguration {
    /// The scaling a config.json asks for (`object` is the whole file).
    static func ropeScaling(configJSON object: [String: Any], file: String) throws(EngineError) -> RoPEScaling {
        let key = object["rope_scaling"] is [String: Any] ? "rope_scaling" : "rope_parameters"
        guard let parameters = object[key] as? [String: Any] else { return .none }
        func number(_ name: String) -> Double? { (parameters[name] as? NSNumber)?.doubleValue }
        func required(_ name: String) throws(EngineError) -> Double {
            guard let value = number(name) else { throw .invalidConfiguration(file: file, key: "\(key).\(name)", reason: "missing") }
            return value
        }
        let context = (object["max_position_embeddings"] as? NSNumber)?.doubleValue ?? 2048
        let original = number("original_max_position_embeddings") ?? (object["original_max_position_embeddings"] as? NSNumber)?.doubleValue
        let kind = parameters["rope_type"] as? String ?? parameters["type"] as? String ?? "default"
        switch kind {
        case "default":
            return .none
        case "linear":
            return .linear(factor: try required("factor"))
        case "llama3":
            return .llama3(factor: try required("factor"), lowFrequencyFactor: try required("low_freq_factor"),
                           highFrequencyFactor: try required("high_freq_factor"), originalContext: original ?? context)
        case "yarn":
            let originalContext = original ?? context
            let factor = number("factor") ?? context / originalContext
            // DeepSeek's form: the factor's mscale over its mscale_all_dim.
            func mscale(_ scale: Double) -> Double { factor <= 1 ? 1 : 0.1 * scale * log(factor) + 1 }
            var attention = number("attention_factor")
            if attention == nil, let numerator = number("mscale"), let denominator = number("mscale_all_dim"), numerator != 0, denominator != 0 {
                attention = mscale(numerator) / mscale(denominator)
            }
            return .yarn(factor: factor, originalContext: originalContext, betaFast: number("beta_fast") ?? 32,
                         betaSlow: number("beta_slow") ?? 1, attentionFactor: attention, truncate: parameters["truncate"] as? Bool ?? true)
        case "longrope", "su":
            // Phi-3 states the original context beside rope_scaling (it wins in transformers), MiniCPM4 inside it.
            let topLevel = (object["original_max_position_embeddings"] as? NSNumber)?.doubleValue
            guard let originalContext = topLevel ?? original, originalContext.isFinite, originalContext >= 1, originalContext < 1e9 else {
                throw .invalidConfiguration(file: file, key: "original_max_position_embeddings", reason: "missing or out of range, and LongRoPE needs it")
            }
            guard let short = (parameters["short_factor"] as? [NSNumber])?.map(\.doubleValue) else {
                throw .invalidConfiguration(file: file, key: "\(key).short_factor", reason: "missing")
            }
            // transformers takes max / original when the original context is stated beside rope_scaling (Phi-3).
            let factor = topLevel != nil ? context / originalContext : number("factor") ?? context / originalContext
            let attention = number("attention_factor") ?? (factor <= 1 ? 1 : (1 + log(factor) / log(originalContext)).squareRoot())
            return .longrope(shortFactors: short, originalContext: Int(originalContext), attentionFactor: attention)
        default:
            throw .unsupportedFeature(file: file, key: "\(key).rope_type", feature: "RoPE scaling of type \(kind)")
        }
    }

    /// LongRoPE's short factors hold within the original context only: cut the context there (exact, as transformers).
    mutating func capContextForLongRoPE() {
        if case let .longrope(_, original, _) = ropeScaling, original < contextLength { contextLength = original }
    }

    /// The scaling a GGUF file asks for.
    static func ropeScaling(gguf: GGUFFile, architecture arch: String, headDimension: Int, rotatedDimension: Int,
                            contextLength: Int) throws -> RoPEScaling {
        let kind = try gguf.optionalString("\(arch).rope.scaling.type") ?? "none"
        let factor = try gguf.optionalDouble("\(arch).rope.scaling.factor")
        switch kind {
        case "none":
            // llama.cpp's converter writes Phi-3's LongRoPE as two factor tensors and two keys.
            if gguf.tensor(named: "rope_factors_short.weight") != nil {
                guard let original = try gguf.optionalInt("\(arch).rope.scaling.original_context_length") else {
                    throw EngineError.invalidConfiguration(file: gguf.url.path, key: "\(arch).rope.scaling.original_context_length",
                                                           reason: "missing, and LongRoPE needs it")
                }
                let factor = Double(contextLength) / Double(original)
                let attention = try gguf.optionalDouble("\(arch).rope.scaling.attn_factor")
                    ?? (factor <= 1 ? 1 : (1 + log(factor) / log(Double(original))).squareRoot())
                let short = try gguf.vector("rope_factors_short.weight", count: rotatedDimension / 2).map(Double.init)
                return .longrope(shortFactors: short, originalContext: original, attentionFactor: attention)
            }
            guard gguf.tensor(named: "rope_freqs.weight") != nil else { return .none }
            return .frequencyFactors(try gguf.vector("rope_freqs.weight", count: rotatedDimension / 2))
        case "linear":
            guard let factor else {
                throw EngineError.invalidConfiguration(file: gguf.url.path, key: "\(arch).rope.scaling.factor", reason: "missing")
            }
            return .linear(factor: factor)
        case "yarn":
            guard let factor else {
                throw EngineError.invalidConfiguration(file: gguf.url.path, key: "\(arch).rope.scaling.factor", reason: "missing")
            }
            // llama.cpp multiplies YaRN's own magnitude by the file's attention factor (1 unless stated).
            let stated = try gguf.optionalDouble("\(arch).rope.scaling.attn_factor") ?? 1
            return .yarn(factor: factor,
                         originalContext: Double(try gguf.optionalInt("\(arch).rope.scaling.original_context_length") ?? contextLength),
                         betaFast: try gguf.optionalDouble("\(arch).rope.scaling.yarn_beta_fast") ?? 32,
                         betaSlow: try gguf.optionalDouble("\(arch).rope.scaling.yarn_beta_slow") ?? 1,
                         attentionFactor: stated * (factor <= 1 ? 1 : 0.1 * log(factor) + 1), truncate: true)
        default:
            throw EngineError.unsupportedFeature(file: gguf.url.path, key: "\(arch).rope.scaling.type", feature: "RoPE scaling of type \(kind)")
        }
    }

    /// The window of a config.json's sliding-window layers: those `layer_types` names, or `sliding_window` where
    /// `use_sliding_window` does not turn it off (Qwen2 states a window it does not use).
    static func slidingWindow(configJSON object: [String: Any]) -> Int? {
        guard let window = (object["sliding_window"] as? NSNumber)?.intValue, window > 0 else { return nil }
        if let types = object["layer_types"] as? [String] { return types.contains("sliding_attention") ? window : nil }
        return object["use_sliding_window"] as? Bool == false ? nil : window
    }

    /// Cuts the context to a sliding window shorter than it.
    mutating func capContext(toWindow window: Int?) {
        // GGUF writes 0 for no window.
        guard let window, window > 0, window < contextLength else { return }
        contextLength = window
        slidingWindow = window
    }
}
