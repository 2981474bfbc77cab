// Qwen3: Llama with an RMSNorm over each query and key head before RoPE, and a head size of its own (`head_dim`,
// not hidden / heads). NEOX RoPE, as Qwen2.
extension DecoderArchitecture {
    public static let qwen3 = DecoderArchitecture(
        name: "qwen3", modelTypes: ["qwen3"], knownModels: "Qwen3 (dense models)",
        features: DecoderFeatures(queryKeyNorm: true), ggufRopeStyle: .halves)
}
