// StableLM (StableLM-2, Stable Code): LayerNorm with bias, RoPE over the leading quarter of each head
// (`partial_rotary_factor`, GGUF `rope.dimension_count`), q/k/v biases where `use_qkv_bias` says, NEOX RoPE in GGUF.
// The 12B's parallel residual and per-head q/k LayerNorm are refused by name.
extension DecoderArchitecture {
    public static let stablelm = DecoderArchitecture(
        name: "stablelm", modelTypes: ["stablelm"], knownModels: "StableLM-2-1.6B, Stable Code 3B, StableLM-3B-4E1T",
        features: DecoderFeatures(layerNorm: true), ggufRopeStyle: .halves)
}
