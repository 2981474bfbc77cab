// Gemma's attention as each file form states it: which layers see only a window of the last positions (the others
// see the whole context), the soft caps, and Gemma 3's second RoPE base for the local layers.
import Foundation
import Kernels
import ModelFiles

extension DecoderArchitecture {
    /// Families whose sliding window applies to some layers only, each layer keeping its own reach.
    var alternatesLocalAttention: Bool { self == .gemma2 || self == .gemma3 }

    /// Every how many layers one is global when the file does not list them (Gemma 2: odd layers; Gemma 3: every sixth).
    var localAttentionPeriod: Int { self == .gemma3 ? 6 : 2 }

    /// Layers `0..<count` that slide in a period: all but the last of each period.
    func localLayers(count: Int, period: Int) -> [Int] { (0..<count).filter { ($0 + 1) % period != 0 } }
}

extension LlamaConfiguration {
    /// The caps, local layers (`layer_types`, else the family's period or `sliding_window_pattern`) and local RoPE base
    /// from config.json.
    mutating func readGemmaAttention(configJSON object: [String: Any], file: String) throws(EngineError) {
        attentionSoftcap = (object["attn_logit_softcapping"] as? NSNumber)?.floatValue
        logitSoftcap = (object["final_logit_softcapping"] as? NSNumber)?.floatValue
        // transformers 5 gives each layer type its own RoPE parameters; older configs name the local base beside.
        let parameters = object["rope_parameters"] as? [String: Any]
        if let full = parameters?["full_attention"] as? [String: Any] {
            var global = object
            global["rope_parameters"] = full
            global["rope_scaling"] = nil
            ropeScaling = try Self.ropeScaling(configJSON: global, file: file)
            if let theta = (full["rope_theta"] as? NSNumber)?.floatValue { ropeTheta = theta }
        }
        // Gemma 3's local layers turn at their own base whether or not their window is shorter than the context.
        if architecture == .gemma3 {
            localRopeTheta = ((parameters?["sliding_attention"] as? [String: Any])?["rope_theta"] as? NSNumber)?.floatValue
                ?? (object["rope_local_base_freq"] as? NSNumber)?.floatValue ?? 10000
        }
        let period = (object["sliding_window_pattern"] as? NSNumber)?.intValue ?? architecture.localAttentionPeriod
        guard period > 0 else { throw .invalidConfiguration(file: file, key: "sliding_window_pattern", reason: "\(period) is not a positive period") }
        let types = object["layer_types"] as? [String]
        if let types, types.count != layerCount {
            throw .invalidConfiguration(file: file, key: "layer_types", reason: "\(types.count) types for \(layerCount) layers")
        }
        let layers = types.map { types in types.indices.filter { types[$0] == "sliding_attention" } }
            ?? architecture.localLayers(count: layerCount, period: period)
        // The layers are kept even when the window reaches past the context: Gemma 3's still take the local base.
        guard let window = (object["sliding_window"] as? NSNumber)?.intValue, window > 0, !layers.isEmpty else {
            localRopeTheta = nil  // no local layers: one RoPE
            return
        }
        localAttention = LocalAttention(window: window, layers: layers)
    }

    /// The same from GGUF keys: llama.cpp makes all but the last layer of each period local, and reads the local base
    /// from `rope.freq_base_swa`.
    mutating func readGemmaAttention(gguf: GGUFFile, architecture arch: String) throws {
        // Gemma 2 files converted before llama.cpp wrote these keys get llama.cpp's defaults: caps 50 and 30, window 4096.
        let gemma2 = architecture == .gemma2
        attentionSoftcap = try gguf.optionalDouble("\(arch).attn_logit_softcapping").map(Float.init) ?? (gemma2 ? 50 : nil)
        logitSoftcap = try gguf.optionalDouble("\(arch).final_logit_softcapping").map(Float.init) ?? (gemma2 ? 30 : nil)
        let window = try gguf.optionalInt("\(arch).attention.sliding_window") ?? (gemma2 ? 4096 : nil)
        // llama.cpp reads Gemma 3's local base only when the file has a window; without one every layer is global.
        if architecture == .gemma3, let window, window > 0 {
            localRopeTheta = Float(try gguf.optionalDouble("\(arch).rope.freq_base_swa") ?? 10000)
        }
        guard let window, window > 0 else { return }
        localAttention = LocalAttention(window: window, layers: architecture.localLayers(count: layerCount, period: architecture.localAttentionPeriod))
    }
}
