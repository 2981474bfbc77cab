// Granite (IBM Granite 3 and Granite Code): Llama with four multipliers: embeddings times `embedding_multiplier`,
// each branch times `residual_multiplier`, attention scores times `attention_multiplier` (instead of 1/sqrt(head
// size)) and logits divided by `logits_scaling`; in GGUF `granite.embedding_scale`, `.residual_scale`,
// `.attention.scale` and `.logit_scale`. llama.cpp's converter permutes its q/k rows as for Llama.
import ModelFiles

extension DecoderArchitecture {
    public static let granite = DecoderArchitecture(
        name: "granite", modelTypes: ["granite"], knownModels: "Granite 3.x, Granite-3B/8B-Code",
        features: DecoderFeatures(scales: true), ggufRopeStyle: .interleaved,
        configScales: { keys, _, _ in
            func value(_ name: String) throws -> Float { try keys.decodeIfPresent(Float.self, forKey: ConfigKey(name)) ?? 1 }
            return DecoderScales(embedding: try value("embedding_multiplier"), residual: try value("residual_multiplier"),
                                 logit: try value("logits_scaling"),
                                 attention: try keys.decodeIfPresent(Float.self, forKey: ConfigKey("attention_multiplier")))
        },
        ggufScales: { gguf, _, _ in
            func value(_ key: String) throws -> Float? { try gguf.optionalDouble("granite.\(key)").map(Float.init) }
            return DecoderScales(embedding: try value("embedding_scale") ?? 1, residual: try value("residual_scale") ?? 1,
                                 logit: try value("logit_scale") ?? 1, attention: try value("attention.scale"))
        })
}
