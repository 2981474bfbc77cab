// Errors of loading and running models (decoders and the sentence encoder), each naming the file and what was wrong.
import Foundation

public enum EngineError: LocalizedError, Equatable, Sendable {
    case modelNotFound(reference: String, reason: String)
    case unsupportedArchitecture(file: String, architecture: String)
    /// A feature of a supported family the engine does not run yet, with the key that asks for it.
    case unsupportedFeature(file: String, key: String, feature: String)
    case invalidConfiguration(file: String, key: String, reason: String)
    case modelFile(String)
    case tokenizer(String)
    case promptTooLong(tokens: Int, contextLength: Int)
    case emptyPrompt
    case kvCacheTooSmall(neededBytes: Int, boundBytes: Int)
    /// A constraint left no token to sample (a grammar that passed its checks never does).
    case constraintDeadEnd(String)
    // --- the BERT sentence encoder
    /// A command that needs a sentence encoder was given another kind of model.
    case notAnEncoder(reference: String, found: String)
    case vocabularyMismatch(tokenizerFile: String, tokenizerSize: Int, configFile: String, configSize: Int)
    case sequenceLength(Int, maximum: Int)
    case tokenOutOfRange(Int, vocabularySize: Int)
    case encoderLoading(directory: String, underlying: String)
    /// The encoder gave a NaN or infinite value: damaged weights, never a usable vector.
    case nonFiniteOutput(directory: String, text: Int)

    public var errorDescription: String? {
        switch self {
        case let .modelNotFound(reference, reason):
            "model \(reference): \(reason)"
        case let .unsupportedArchitecture(file, architecture):
            "\(file): architecture \(architecture) is not supported (supported: \(DecoderArchitecture.supported))"
        case let .unsupportedFeature(file, key, feature):
            "\(file): \(key): \(feature) is not supported yet; the model would run without it and give wrong answers"
        case let .invalidConfiguration(file, key, reason):
            "\(file): \(key): \(reason)"
        case let .modelFile(message):
            "error loading the model: \(message)"
        case let .tokenizer(message):
            "error loading the tokenizer: \(message)"
        case let .promptTooLong(tokens, contextLength):
            "the prompt and the tokens to generate (\(tokens)) do not fit the context of \(contextLength) tokens"
        case .emptyPrompt:
            "the prompt is empty"
        case let .kvCacheTooSmall(needed, bound):
            "the prompt and the tokens to generate need \(needed) bytes of KV cache; the bound is \(bound) bytes (raise it with "
                + "--kv-memory-mib or a recipe's models.kv_memory_mib, or halve each position's bytes with an f16 KV cache)"
        case let .constraintDeadEnd(message):
            "constrained decoding: \(message)"
        case let .notAnEncoder(reference, found):
            "\(reference) is \(found), not a sentence encoder (give minilm or a sentence-transformers directory)"
        case let .vocabularyMismatch(tokenizerFile, tokenizerSize, configFile, configSize):
            "\(tokenizerFile) has \(tokenizerSize) tokens but \(configFile) declares vocab_size \(configSize)"
        case let .sequenceLength(length, maximum):
            "a sequence of \(length) tokens; the encoder takes 1...\(maximum)"
        case let .tokenOutOfRange(id, vocabularySize):
            "token id \(id) is outside the vocabulary (0..<\(vocabularySize))"
        case let .encoderLoading(directory, underlying):
            "error loading encoder from \(directory): \(underlying)"
        case let .nonFiniteOutput(directory, text):
            "the encoder in \(directory) gave NaN or infinite values for text \(text + 1): its weights are damaged"
        }
    }
}
