// A decoder family as a description of how it differs from the plain Llama network, not a copy of it: each family
// is one small file in this folder (LlamaArchitecture.swift, ...) declaring its names, what it always has and how its
// GGUF files store RoPE.
// `DecoderArchitecture.all` is the registry that loading, `model info` and the errors read.
import Kernels
import Tokenizers

/// What a model has beyond the plain Llama layer (RMSNorm, grouped-query attention with RoPE, SwiGLU MLP).
public struct DecoderFeatures: Sendable, Equatable, Codable {
    /// Biases on the query, key and value projections.
    public var attentionBiases = false
    /// RMSNorm over each query and key head (weights of head size) before RoPE.
    public var queryKeyNorm = false
    /// muP scales: embeddings multiplied, each branch scaled before the residual add, logits divided.
    public var scales = false

    public init(attentionBiases: Bool = false, queryKeyNorm: Bool = false, scales: Bool = false) {
        self.attentionBiases = attentionBiases; self.queryKeyNorm = queryKeyNorm; self.scales = scales
    }

    enum CodingKeys: String, CodingKey {
        case attentionBiases = "attention_biases"
        case queryKeyNorm = "query_key_norm"
        case scales
    }

    /// The features a model has, in words (`model info`).
    public var described: [String] {
        [(attentionBiases, "q/k/v biases"), (queryKeyNorm, "q/k RMSNorm per head"), (scales, "embedding, residual and logit scales")]
            .filter(\.0).map(\.1)
    }

    /// Both models' features.
    func union(_ other: DecoderFeatures) -> DecoderFeatures {
        DecoderFeatures(attentionBiases: attentionBiases || other.attentionBiases, queryKeyNorm: queryKeyNorm || other.queryKeyNorm,
                        scales: scales || other.scales)
    }
}

public struct DecoderArchitecture: Sendable, Equatable, CustomStringConvertible {
    /// GGUF `general.architecture`, and the name users see.
    public let name: String
    /// config.json `model_type` values of the family.
    public let modelTypes: [String]
    /// Models users know by name.
    public let knownModels: String
    /// What every model of the family has.
    public let features: DecoderFeatures
    /// How llama.cpp's converter stores q and k rows: permuted so RoPE rotates adjacent pairs (Llama-style families), or
    /// as Hugging Face does, rotating halves (NEOX-style families such as Qwen).
    public let ggufRopeStyle: RoPEStyle
    /// The prompt format of files of this family that carry no chat template.
    public let defaultChatTemplate: ChatTemplate?

    public static func == (left: Self, right: Self) -> Bool { left.name == right.name }
    public var description: String { name }

    /// Every family the engine runs.
    public static let all: [DecoderArchitecture] = [.llama, .minicpm, .qwen2, .qwen3]

    /// The supported families, for errors and `model info`.
    public static var supported: String { all.map(\.name).joined(separator: ", ") }

    /// The family a GGUF `general.architecture` names.
    public init?(ggufName: String) {
        guard let found = Self.all.first(where: { $0.name == ggufName }) else { return nil }
        self = found
    }

    /// The family a config.json `model_type` names.
    public init?(modelType: String) {
        guard let found = Self.all.first(where: { $0.modelTypes.contains(modelType) }) else { return nil }
        self = found
    }

    init(name: String, modelTypes: [String], knownModels: String, features: DecoderFeatures = DecoderFeatures(),
         ggufRopeStyle: RoPEStyle, defaultChatTemplate: ChatTemplate? = nil) {
        self.name = name; self.modelTypes = modelTypes; self.knownModels = knownModels; self.features = features
        self.ggufRopeStyle = ggufRopeStyle; self.defaultChatTemplate = defaultChatTemplate
    }
}
