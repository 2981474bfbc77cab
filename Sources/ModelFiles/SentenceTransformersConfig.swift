// The configuration of a sentence-transformers model directory:
//   config.json (BERT hyperparameters), modules.json (Transformer -> Pooling -> Normalize),
//   1_Pooling/config.json (pooling mode), sentence_bert_config.json (max_seq_length).
import Foundation

/// BERT hyperparameters from Hugging Face's `config.json`.
public struct BertConfig: Codable, Sendable, Equatable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var hiddenActivation: String
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEpsilon: Float
    public var positionEmbeddingType: String

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenActivation = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type"
    }

    public init(vocabSize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
                maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEpsilon: Float = 1e-12) {
        modelType = "bert"
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        hiddenActivation = "gelu"
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEpsilon = layerNormEpsilon
        positionEmbeddingType = "absolute"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "bert"
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        headCount = try c.decode(Int.self, forKey: .headCount)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "gelu"
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? 2
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
    }

    public var headDimension: Int { hiddenSize / headCount }
}

/// How token vectors become one sentence vector.
public enum PoolingMode: String, Sendable, Equatable {
    case mean, cls, max, meanSqrtLength = "mean_sqrt_len"
}

/// Everything an encoder needs besides weights and vocabulary.
public struct SentenceTransformersConfig: Sendable, Equatable {
    public var bert: BertConfig
    public var pooling: PoolingMode
    public var normalize: Bool
    /// Tokens per text, including [CLS] and [SEP]; longer texts are truncated.
    public var maxSequenceLength: Int

    public init(bert: BertConfig, pooling: PoolingMode = .mean, normalize: Bool = true, maxSequenceLength: Int) {
        self.bert = bert
        self.pooling = pooling
        self.normalize = normalize
        self.maxSequenceLength = maxSequenceLength
    }

    /// Reads a model directory; `config.json` is required, the sentence-transformers files are optional
    /// (without them: mean pooling, no normalisation, max length = max_position_embeddings).
    public init(directory: URL) throws {
        let configURL = directory.appendingPathComponent("config.json")
        bert = try Self.decode(BertConfig.self, from: configURL)
        guard bert.modelType == "bert" else {
            throw ModelFileError.unsupportedModelType(file: configURL.path, modelType: bert.modelType)
        }
        guard bert.headCount > 0, bert.hiddenSize % bert.headCount == 0 else {
            throw ModelFileError.invalidValue(
                file: configURL.path, key: "num_attention_heads",
                detail: "hidden_size \(bert.hiddenSize) is not a multiple of \(bert.headCount) heads")
        }
        guard bert.positionEmbeddingType == "absolute" else {
            throw ModelFileError.invalidValue(
                file: configURL.path, key: "position_embedding_type",
                detail: "'\(bert.positionEmbeddingType)' is not supported (only 'absolute')")
        }
        guard ["gelu", "gelu_python"].contains(bert.hiddenActivation) else {
            throw ModelFileError.invalidValue(
                file: configURL.path, key: "hidden_act",
                detail: "'\(bert.hiddenActivation)' is not supported (only 'gelu', the erf form)")
        }

        let modules = try Self.readModules(directory.appendingPathComponent("modules.json"))
        normalize = modules.contains { $0.type.hasSuffix(".Normalize") }
        let poolingPath = modules.first { $0.type.hasSuffix(".Pooling") }?.path ?? "1_Pooling"
        pooling = try Self.readPooling(directory.appendingPathComponent(poolingPath).appendingPathComponent("config.json"))

        let sentenceConfigURL = directory.appendingPathComponent("sentence_bert_config.json")
        if FileManager.default.fileExists(atPath: sentenceConfigURL.path) {
            let object = try Self.readJSONObject(sentenceConfigURL)
            maxSequenceLength = (object["max_seq_length"] as? NSNumber)?.intValue ?? bert.maxPositionEmbeddings
        } else {
            maxSequenceLength = bert.maxPositionEmbeddings
        }
        guard maxSequenceLength >= 2, maxSequenceLength <= bert.maxPositionEmbeddings else {
            throw ModelFileError.invalidValue(
                file: sentenceConfigURL.path, key: "max_seq_length",
                detail: "\(maxSequenceLength) must lie in 2...\(bert.maxPositionEmbeddings) (max_position_embeddings)")
        }
    }

    // MARK: - files

    private struct Module { var type: String; var path: String }

    /// modules.json lists the pipeline; absent means a bare transformer checkpoint.
    private static func readModules(_ url: URL) throws -> [Module] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let data = try readData(url)
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            throw ModelFileError.invalidJSON(file: url.path, detail: "expected a list of modules")
        }
        return list.map { Module(type: $0["type"] as? String ?? "", path: $0["path"] as? String ?? "") }
    }

    private static func readPooling(_ url: URL) throws -> PoolingMode {
        guard FileManager.default.fileExists(atPath: url.path) else { return .mean }
        let object = try readJSONObject(url)
        let flags: [(String, PoolingMode)] = [
            ("pooling_mode_mean_tokens", .mean), ("pooling_mode_cls_token", .cls),
            ("pooling_mode_max_tokens", .max), ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLength),
        ]
        let chosen = flags.filter { (object[$0.0] as? Bool) == true }.map(\.1)
        guard chosen.count == 1 else {
            throw ModelFileError.invalidValue(
                file: url.path, key: "pooling_mode_*",
                detail: "exactly one pooling mode must be true, found \(chosen.map(\.rawValue))")
        }
        return chosen[0]
    }

    private static func readData(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelFileError.missingFile(file: url.path)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw ModelFileError.invalidJSON(file: url.path, detail: error.localizedDescription)
        }
    }

    private static func readJSONObject(_ url: URL) throws -> [String: Any] {
        let data = try readData(url)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelFileError.invalidJSON(file: url.path, detail: "not a JSON object")
        }
        return object
    }

    private static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data = try readData(url)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw ModelFileError.invalidValue(file: url.path, key: key.stringValue, detail: "missing")
        } catch let DecodingError.typeMismatch(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ModelFileError.invalidValue(file: url.path, key: key, detail: context.debugDescription)
        } catch {
            throw ModelFileError.invalidJSON(file: url.path, detail: "\(error)")
        }
    }
}
