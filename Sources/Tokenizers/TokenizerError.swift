// What can go wrong loading a tokenizer (BPE, SentencePiece, WordPiece) or rendering a chat, naming the file and the key.
import Foundation
import ModelFiles

public enum TokenizerError: LocalizedError, Equatable, Sendable {
    // --- BPE and SentencePiece (tokenizer.json or GGUF), chat rendering ---
    case missing(file: String, key: String)
    case unsupportedModel(file: String, key: String, value: String)
    case unsupportedPreTokenizer(file: String, value: String)
    case invalid(file: String, key: String, reason: String)
    case unreadable(file: String, reason: String)
    case corrupt(file: String, offset: Int, reason: String)
    case chatTemplate(reason: String)
    case chatRefused(reason: String)
    case unknownRole(role: String)
    // --- WordPiece (vocab.txt or tokenizer.json) ---
    case missingFile(file: String)
    case invalidTokenizerJSON(file: String, detail: String)
    case notWordPiece(file: String, type: String)
    case missingUnknownToken(String)
    case missingSpecialToken(file: String, token: String)
    case invalidVocabulary(detail: String)

    public var errorDescription: String? {
        switch self {
        case let .missing(file, key):
            "\(file): no tokenizer: \(key) is missing"
        case let .unsupportedModel(file, key, value):
            "\(file): tokenizer \(key) = \(FileText.quoted(value)) is not supported (byte-level BPE and SentencePiece-style BPE are)"
        case let .unsupportedPreTokenizer(file, value):
            "\(file): pre-tokenizer \(FileText.quoted(value, limit: 200)) is not supported (gpt2, smollm, llama-bpe/llama3, qwen2 are)"
        case let .invalid(file, key, reason):
            "\(file): tokenizer \(key): \(reason)"
        case let .unreadable(file, reason):
            "\(file): cannot read the tokenizer: \(reason)"
        case let .corrupt(file, offset, reason):
            "\(file): corrupt tokenizer file at byte \(offset): \(reason)"
        case let .chatRefused(reason):
            "the model's chat template refused the conversation: \(reason)"
        case let .chatTemplate(reason):
            "\(reason) (a built-in template can be named instead: chatml, minicpm)"
        case let .unknownRole(role):
            "chat message role \(role) is not one of system, user, assistant"
        case let .missingFile(file):
            "missing tokenizer file \(file)"
        case let .invalidTokenizerJSON(file, detail):
            "\(file): \(detail)"
        case let .notWordPiece(file, type):
            "\(file): model.type '\(FileText.quoted(type))' is not WordPiece"
        case let .missingUnknownToken(token):
            "the vocabulary has no unknown token '\(FileText.quoted(token))'"
        case let .missingSpecialToken(file, token):
            "\(file): the vocabulary has no '\(FileText.quoted(token))' token"
        case let .invalidVocabulary(detail):
            "invalid vocabulary: \(detail)"
        }
    }
}
