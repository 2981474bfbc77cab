// Errors of loading and running models, each naming the file and what was wrong.
import Foundation

public enum EngineError: LocalizedError, Sendable {
    case modelNotFound(reference: String, reason: String)
    case unsupportedArchitecture(file: String, architecture: String)
    case invalidConfiguration(file: String, key: String, reason: String)
    case modelFile(String)
    case tokenizer(String)
    case promptTooLong(tokens: Int, contextLength: Int)
    case emptyPrompt
    case kvCacheTooSmall(neededBytes: Int, boundBytes: Int)
    /// A constraint left no token to sample (a grammar that passed its checks never does).
    case constraintDeadEnd(String)

    public var errorDescription: String? {
        switch self {
        case let .modelNotFound(reference, reason):
            "model \(reference): \(reason)"
        case let .unsupportedArchitecture(file, architecture):
            "\(file): architecture \(architecture) is not supported (llama and minicpm are)"
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
            "the prompt and the tokens to generate need \(needed) bytes of KV cache; the bound is \(bound) bytes"
        case let .constraintDeadEnd(message):
            "constrained decoding: \(message)"
        }
    }
}
