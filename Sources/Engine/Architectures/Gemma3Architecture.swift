// Gemma 3 (text): Gemma 2 with RMSNorm over each query and key head (1 + w as well), no soft-capping, five sliding-window
// layers to one global (`layer_types`, else `sliding_window_pattern` 6: layer i is global when (i + 1) % 6 == 0), and
// two RoPE bases: the global layers' `rope_theta` with its scaling (linear 8 from 4B up), the local layers' 10000
// unscaled (`rope_parameters.sliding_attention`, `rope_local_base_freq`, GGUF `rope.freq_base_swa`). The GGUF has no
// query_pre_attn_scalar: as llama.cpp does, 1/sqrt(head size), or for the 62-layer 27B 1/sqrt(hidden / heads).
import Foundation
import ModelFiles

extension DecoderArchitecture {
    public static let gemma3 = DecoderArchitecture(
        name: "gemma3", modelTypes: ["gemma3_text"], knownModels: "Gemma 3 1B, 4B, 12B, 27B (text)",
        features: DecoderFeatures(queryKeyNorm: true, mlp: .geglu, sandwichNorms: true), ggufRopeStyle: .halves,
        configScales: gemmaConfigScales, ggufScales: gemmaGGUFScales(architecture: "gemma3", largestLayerCount: 62),
        huggingFaceRenames: [.ffnNorm: "pre_feedforward_layernorm.weight"], huggingFaceNormOffset: 1)
}
