// MiniCPM (and Abacus, built on it): Llama with muP scales on the embedding, each residual branch and the logits.
// The scales come from `scale_emb`, `scale_depth` and `dim_model_base` in config.json (required: its modelling code
// has no defaults worth guessing), or `minicpm.*_scale` in GGUF, else MiniCPM-2B's constants.
extension DecoderArchitecture {
    public static let minicpm = DecoderArchitecture(
        name: "minicpm", modelTypes: ["minicpm"], knownModels: "MiniCPM-2B, Abacus (HIT-SCIR)",
        features: DecoderFeatures(scales: true), ggufRopeStyle: .interleaved, defaultChatTemplate: .minicpm,
        configScales: { keys, hidden, layers in
            DecoderScales(embedding: try keys.decode(Float.self, forKey: ConfigKey("scale_emb")),
                          residual: try keys.decode(Float.self, forKey: ConfigKey("scale_depth")) / Float(layers).squareRoot(),
                          logit: Float(hidden) / (try keys.decode(Float.self, forKey: ConfigKey("dim_model_base"))))
        },
        ggufScales: { gguf, hidden, layers in
            let d = MiniCPMDefaults.self
            return DecoderScales(
                embedding: Float(try gguf.optionalDouble("minicpm.embedding_scale") ?? Double(d.scaleEmbedding)),
                residual: Float(try gguf.optionalDouble("minicpm.residual_scale") ?? Double(d.scaleDepth / Float(layers).squareRoot())),
                logit: Float(try gguf.optionalDouble("minicpm.logit_scale") ?? Double(hidden) / Double(d.dimModelBase)))
        })
}

/// MiniCPM-2B's published constants, for GGUF files that predate the `minicpm.*_scale` keys.
public enum MiniCPMDefaults {
    public static let scaleEmbedding: Float = 12
    public static let scaleDepth: Float = 1.4
    public static let dimModelBase = 256
}
