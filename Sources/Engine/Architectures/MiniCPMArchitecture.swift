// MiniCPM (and Abacus, built on it): Llama with muP scales on the embedding, each residual branch and the logits.
// The scales come from `scale_emb`, `scale_depth` and `dim_model_base` in config.json, or `minicpm.*_scale` in GGUF.
extension DecoderArchitecture {
    public static let minicpm = DecoderArchitecture(
        name: "minicpm", modelTypes: ["minicpm"], knownModels: "MiniCPM-2B, Abacus (HIT-SCIR)",
        features: DecoderFeatures(scales: true), ggufRopeStyle: .interleaved, defaultChatTemplate: .minicpm)
}

/// MiniCPM-2B's published constants, for GGUF files that predate the `minicpm.*_scale` keys.
public enum MiniCPMDefaults {
    public static let scaleEmbedding: Float = 12
    public static let scaleDepth: Float = 1.4
    public static let dimModelBase = 256
}
