// What can go wrong when loading or running the BERT encoder (file-level errors come from ModelFiles).
import Foundation

public enum BERTError: LocalizedError, Equatable {
    case modelNotFound(nameOrPath: String, cacheDirectory: String)
    case notAnEncoder(name: String, purpose: String)
    case vocabularyMismatch(tokenizerFile: String, tokenizerSize: Int, configFile: String, configSize: Int)
    case sequenceLength(Int, maximum: Int)
    case tokenOutOfRange(Int, vocabularySize: Int)
    case loading(directory: String, underlying: String)
    /// The encoder gave a NaN or infinite value: damaged weights, never a usable vector.
    case nonFiniteOutput(directory: String, text: Int)

    public var errorDescription: String? {
        switch self {
        case let .modelNotFound(nameOrPath, cacheDirectory):
            "no encoder model '\(nameOrPath)': not a directory, and not a cached model under \(cacheDirectory) (run `make setup`)"
        case let .notAnEncoder(name, purpose):
            "the cached model '\(name)' is the default \(purpose), not a sentence encoder (try 'minilm')"
        case let .vocabularyMismatch(tokenizerFile, tokenizerSize, configFile, configSize):
            "\(tokenizerFile) has \(tokenizerSize) tokens but \(configFile) declares vocab_size \(configSize)"
        case let .sequenceLength(length, maximum):
            "a sequence of \(length) tokens; the encoder takes 1...\(maximum)"
        case let .tokenOutOfRange(id, vocabularySize):
            "token id \(id) is outside the vocabulary (0..<\(vocabularySize))"
        case let .loading(directory, underlying):
            "error loading encoder from \(directory): \(underlying)"
        case let .nonFiniteOutput(directory, text):
            "the encoder in \(directory) gave NaN or infinite values for text \(text + 1): its weights are damaged"
        }
    }
}
