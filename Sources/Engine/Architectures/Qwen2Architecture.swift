// Qwen2, Qwen2.5 and Qwen2.5-Coder: Llama with biases on the q, k and v projections. llama.cpp runs the family
// with NEOX RoPE, so its converter leaves q and k rows as Hugging Face stores them (rotating halves).
extension DecoderArchitecture {
    public static let qwen2 = DecoderArchitecture(
        name: "qwen2", modelTypes: ["qwen2"], knownModels: "Qwen2, Qwen2.5, Qwen2.5-Coder (without sliding window or YaRN)",
        features: DecoderFeatures(attentionBiases: true), ggufRopeStyle: .halves)
}
