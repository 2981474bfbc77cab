// What can be wrong with a WordPiece tokenizer's files.
import Foundation
import ModelFiles

public enum WordPieceError: LocalizedError, Equatable {
    case missingFile(file: String)
    case invalidTokenizerJSON(file: String, detail: String)
    case unsupportedModel(file: String, type: String)
    case missingUnknownToken(String)
    case missingSpecialToken(file: String, token: String)
    case invalidVocabulary(detail: String)

    public var errorDescription: String? {
        switch self {
        case let .missingFile(file): "missing tokenizer file \(file)"
        case let .invalidTokenizerJSON(file, detail): "\(file): \(detail)"
        case let .unsupportedModel(file, type): "\(file): model.type '\(FileText.quoted(type))' is not WordPiece"
        case let .missingUnknownToken(token): "the vocabulary has no unknown token '\(FileText.quoted(token))'"
        case let .missingSpecialToken(file, token): "\(file): the vocabulary has no '\(FileText.quoted(token))' token"
        case let .invalidVocabulary(detail): "invalid vocabulary: \(detail)"
        }
    }
}
