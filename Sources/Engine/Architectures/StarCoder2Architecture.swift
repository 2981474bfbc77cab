// StarCoder2: LayerNorm with bias in place of RMSNorm, a GELU MLP of one up product (`c_fc`, `c_proj`) in place of
// SwiGLU, and biases on every product (`use_bias`). llama.cpp runs it with NEOX RoPE, so its GGUFs keep q/k rows as
// Hugging Face stores them, and with GELU's tanh approximation, which is StarCoder2's own default.
extension DecoderArchitecture {
    public static let starcoder2 = DecoderArchitecture(
        name: "starcoder2", modelTypes: ["starcoder2"], knownModels: "StarCoder2-3B, -7B, -15B",
        features: DecoderFeatures(layerNorm: true, mlp: .geluTanh), ggufRopeStyle: .halves,
        huggingFaceRenames: [.up: "mlp.c_fc.weight", .down: "mlp.c_proj.weight"])
}
