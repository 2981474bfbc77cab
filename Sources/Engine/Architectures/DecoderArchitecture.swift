// A decoder family as a description of how it differs from the plain Llama network, not a copy of it: each family
// is one small file in this folder (LlamaArchitecture.swift, ...) declaring its names, what it always has and how its
// GGUF files store RoPE.
// `DecoderArchitecture.all` is the registry that loading, `model info` and the errors read.
import Kernels
import ModelFiles
import Tokenizers

/// Multipliers some families apply: the embeddings', each residual branch's, the logits' divisor, and an attention
/// scale in place of 1/sqrt(head size). All 1 (and no attention scale) for the plain Llama layer.
public struct DecoderScales: Sendable, Equatable {
    public var embedding: Float = 1
    public var residual: Float = 1
    public var logit: Float = 1
    public var attention: Float?
    public init(embedding: Float = 1, residual: Float = 1, logit: Float = 1, attention: Float? = nil) {
        self.embedding = embedding; self.residual = residual; self.logit = logit; self.attention = attention
    }
}

/// A config.json key by name, for the keys only one family reads.
public struct ConfigKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// What a model has beyond the plain Llama layer (RMSNorm, grouped-query attention with RoPE, SwiGLU MLP).
public struct DecoderFeatures: Sendable, Equatable, Codable {
    /// Biases on the query, key and value projections.
    public var attentionBiases = false
    /// RMSNorm over each query and key head (weights of head size) before RoPE.
    public var queryKeyNorm = false
    /// Multipliers: embeddings multiplied, each branch scaled before the residual add, logits divided (and for Granite an
    /// attention scale of its own).
    public var scales = false
    /// LayerNorm (mean removed, with a bias) in place of RMSNorm, for every norm.
    public var layerNorm = false
    /// Biases on the attention output and on the MLP's products.
    public var outputBiases = false
    /// The MLP: SwiGLU (gate and up), or one up product through GELU.
    public var mlp: MLPKind = .swiglu
    /// q, k and v stored as one tensor, and gate and up as another (split at load).
    public var fusedTensors = false
    /// A second RMSNorm on each branch's output before the residual add (Gemma 2's post-attention and post-feedforward norms).
    public var sandwichNorms = false

    public enum MLPKind: String, Sendable, Codable {
        case swiglu
        /// GELU's tanh approximation (`gelu_pytorch_tanh`; what llama.cpp runs for these families).
        case geluTanh = "gelu-tanh"
        /// GELU's exact erf form (`hidden_act: gelu`).
        case gelu
        /// Gate and up like SwiGLU, the gate through GELU's tanh form (Gemma).
        case geglu

        /// Whether the MLP has a gate product beside its up product.
        public var gated: Bool { self == .swiglu || self == .geglu }
    }

    public init(attentionBiases: Bool = false, queryKeyNorm: Bool = false, scales: Bool = false, layerNorm: Bool = false,
                outputBiases: Bool = false, mlp: MLPKind = .swiglu, fusedTensors: Bool = false, sandwichNorms: Bool = false) {
        self.attentionBiases = attentionBiases; self.queryKeyNorm = queryKeyNorm; self.scales = scales
        self.layerNorm = layerNorm; self.outputBiases = outputBiases; self.mlp = mlp; self.fusedTensors = fusedTensors
        self.sandwichNorms = sandwichNorms
    }

    enum CodingKeys: String, CodingKey {
        case attentionBiases = "attention_biases"
        case queryKeyNorm = "query_key_norm"
        case scales
        case layerNorm = "layer_norm"
        case outputBiases = "output_biases"
        case mlp
        case fusedTensors = "fused_tensors"
        case sandwichNorms = "sandwich_norms"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(attentionBiases: try c.decodeIfPresent(Bool.self, forKey: .attentionBiases) ?? false,
                  queryKeyNorm: try c.decodeIfPresent(Bool.self, forKey: .queryKeyNorm) ?? false,
                  scales: try c.decodeIfPresent(Bool.self, forKey: .scales) ?? false,
                  layerNorm: try c.decodeIfPresent(Bool.self, forKey: .layerNorm) ?? false,
                  outputBiases: try c.decodeIfPresent(Bool.self, forKey: .outputBiases) ?? false,
                  mlp: try c.decodeIfPresent(MLPKind.self, forKey: .mlp) ?? .swiglu,
                  fusedTensors: try c.decodeIfPresent(Bool.self, forKey: .fusedTensors) ?? false,
                  sandwichNorms: try c.decodeIfPresent(Bool.self, forKey: .sandwichNorms) ?? false)
    }

    /// The features a model has, in words (`model info`).
    public var described: [String] {
        [(attentionBiases, "q/k/v biases"), (queryKeyNorm, "q/k RMSNorm per head"), (scales, "embedding, residual and logit scales"),
         (layerNorm, "LayerNorm with bias"), (outputBiases, "attention output and MLP biases"), (mlp != .swiglu, "\(mlp.rawValue) MLP"),
         (fusedTensors, "fused q/k/v and gate/up tensors"), (sandwichNorms, "post-attention and post-feedforward norms")]
            .filter(\.0).map(\.1)
    }

    /// Both models' features (the second's MLP where it names one).
    func union(_ other: DecoderFeatures) -> DecoderFeatures {
        DecoderFeatures(attentionBiases: attentionBiases || other.attentionBiases, queryKeyNorm: queryKeyNorm || other.queryKeyNorm,
                        scales: scales || other.scales, layerNorm: layerNorm || other.layerNorm,
                        outputBiases: outputBiases || other.outputBiases, mlp: other.mlp != .swiglu ? other.mlp : mlp,
                        fusedTensors: fusedTensors || other.fusedTensors, sandwichNorms: sandwichNorms || other.sandwichNorms)
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
    /// Hugging Face tensor names of this family where they differ from Llama's (`.up` -> `mlp.c_fc.weight`).
    public let huggingFaceRenames: [LlamaTensorNames.LayerTensor: String]
    /// Added to every norm weight read from Hugging Face files (Gemma stores w and scales by 1 + w; its GGUFs hold 1 + w).
    public let huggingFaceNormOffset: Float
    /// The family's multipliers from config.json (given the hidden size and layer count); nil for families without.
    let configScales: (@Sendable (KeyedDecodingContainer<ConfigKey>, Int, Int) throws -> DecoderScales)?
    /// ... and from GGUF metadata.
    let ggufScales: (@Sendable (GGUFFile, Int, Int) throws -> DecoderScales)?

    public static func == (left: Self, right: Self) -> Bool { left.name == right.name }
    public var description: String { name }

    /// Every family the engine runs.
    public static let all: [DecoderArchitecture] = [.llama, .minicpm, .granite, .qwen2, .qwen3, .starcoder2, .phi3, .stablelm, .gemma2, .gemma3]

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
         ggufRopeStyle: RoPEStyle, defaultChatTemplate: ChatTemplate? = nil,
         configScales: (@Sendable (KeyedDecodingContainer<ConfigKey>, Int, Int) throws -> DecoderScales)? = nil,
         ggufScales: (@Sendable (GGUFFile, Int, Int) throws -> DecoderScales)? = nil,
         huggingFaceRenames: [LlamaTensorNames.LayerTensor: String] = [:], huggingFaceNormOffset: Float = 0) {
        self.name = name; self.modelTypes = modelTypes; self.knownModels = knownModels; self.features = features
        self.ggufRopeStyle = ggufRopeStyle; self.defaultChatTemplate = defaultChatTemplate
        self.configScales = configScales; self.ggufScales = ggufScales; self.huggingFaceRenames = huggingFaceRenames
        self.huggingFaceNormOffset = huggingFaceNormOffset
    }
}
