// A WordPiece tokenizer seen through the `Tokenizer` protocol, so every model the tool loads can be tokenized the
// same way (`model tokenize minilm`). [CLS] plays BOS and [SEP] the end; with special tokens the ids are those
// sentence-transformers feeds the encoder.
import Foundation

public struct WordPieceTokens: Tokenizer {
    public let wordPiece: WordPieceTokenizer

    public init(_ wordPiece: WordPieceTokenizer) { self.wordPiece = wordPiece }

    public var vocabularySize: Int { wordPiece.model.vocabularySize }
    public var bosID: Int? { wordPiece.classifierID }
    public var endIDs: Set<Int> { [wordPiece.separatorID] }
    public var addsBOS: Bool { true }

    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        let ids = wordPiece.encode(text)
        return addSpecialTokens ? ids : Array(ids.dropFirst().dropLast())
    }

    /// A continuation piece (`##ing`) joins the word before it; any other piece starts a new word.
    public func bytes(of id: Int) -> [UInt8] {
        guard let token = token(id) else { return [] }
        if isSpecial(id) { return Array(token.utf8) }
        let prefix = wordPiece.model.continuingSubwordPrefix
        return token.hasPrefix(prefix) ? Array(token.dropFirst(prefix.count).utf8) : Array((" " + token).utf8)
    }

    public func leadingBytes(of id: Int) -> [UInt8] {
        let bytes = bytes(of: id)
        return bytes.first == UInt8(ascii: " ") ? Array(bytes.dropFirst()) : bytes
    }

    public func isSpecial(_ id: Int) -> Bool {
        [wordPiece.classifierID, wordPiece.separatorID, wordPiece.paddingID, wordPiece.model.unknownID].contains(id)
            || (token(id).map { $0.hasPrefix("[") && $0.hasSuffix("]") && $0.count > 2 } ?? false)
    }

    public func token(_ id: Int) -> String? { wordPiece.model.tokens.indices.contains(id) ? wordPiece.model.tokens[id] : nil }
    public func id(of token: String) -> Int? { wordPiece.model.id(of: token) }

    public var summary: String { "WordPiece, \(vocabularySize) tokens" }
}
