// The whole BERT tokenizer: special tokens split out of the raw text, BertNormalizer, BERT pre-tokenizer,
// WordPiece, then [CLS] ... [SEP]. Loaded from `tokenizer.json`, or from `vocab.txt` (+ tokenizer_config.json).
import Foundation

public struct WordPieceTokenizer: Sendable {
    public let normalizer: BertNormalizer
    public let model: WordPieceModel
    public let classifierID: Int
    public let separatorID: Int
    public let paddingID: Int
    /// Tokens matched verbatim in the raw text before normalization ([CLS], [SEP], [MASK], ...).
    private let addedTokens: [Unicode.Scalar: [(scalars: [Unicode.Scalar], id: Int)]]

    public init(model: WordPieceModel, normalizer: BertNormalizer, classifierToken: String = "[CLS]",
                separatorToken: String = "[SEP]", paddingToken: String = "[PAD]",
                addedTokens: [String: Int] = [:], file: String = "vocabulary") throws {
        self.model = model
        self.normalizer = normalizer
        func lookup(_ token: String) throws -> Int {
            guard let id = addedTokens[token] ?? model.id(of: token) else {
                throw TokenizerError.missingSpecialToken(file: file, token: token)
            }
            return id
        }
        classifierID = try lookup(classifierToken)
        separatorID = try lookup(separatorToken)
        paddingID = try lookup(paddingToken)
        var byFirstScalar: [Unicode.Scalar: [(scalars: [Unicode.Scalar], id: Int)]] = [:]
        for (content, id) in addedTokens where !content.isEmpty {
            let scalars = Array(content.unicodeScalars)
            byFirstScalar[scalars[0], default: []].append((scalars, id))
        }
        // Longest first, so the first match at a position is the longest one.
        self.addedTokens = byFirstScalar.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
    }

    /// Scalars normalized at a time (then up to the next space).
    public static let pieceScalars = 4096

    /// Token ids with [CLS] first and [SEP] last; with `maxLength`, the word pieces are cut so that the
    /// whole sequence, special tokens included, has at most `maxLength` ids.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int] {
        var ids = [classifierID]
        for segment in splitAddedTokens(text) {
            switch segment {
            case let .added(id):
                ids.append(id)
            case let .text(scalars):
                // In pieces that end at a space (where words end, so the pieces read as the whole does), stopping
                // once the sequence is full: a 50 MB line costs what its first few hundred words cost.
                var start = scalars.startIndex
                while start < scalars.endIndex, maxLength.map({ ids.count < $0 - 1 }) ?? true {
                    var end = min(start + Self.pieceScalars, scalars.endIndex)
                    // A plain space only: some whitespace (form feed, U+0085) is a control the normalizer deletes, joining words.
                    while end < scalars.endIndex && scalars[end] != " " { end += 1 }
                    var piece = String.UnicodeScalarView()
                    piece.append(contentsOf: scalars[start..<end])
                    let normalized = normalizer.normalize(String(piece))
                    for word in BertNormalizer.splitWords(normalized) {
                        model.tokenize(word: normalized[word], into: &ids)
                    }
                    start = end
                }
            }
            if let maxLength, ids.count >= maxLength - 1 { break }
        }
        if let maxLength, ids.count > maxLength - 1 {
            ids.removeSubrange(max(1, maxLength - 1)...)
        }
        ids.append(separatorID)
        return ids
    }

    // MARK: - added tokens

    private enum Segment {
        case text(ArraySlice<Unicode.Scalar>)
        case added(Int)
    }

    /// Leftmost-longest matches of the added tokens, with the text between them.
    private func splitAddedTokens(_ text: String) -> [Segment] {
        let scalars = Array(text.unicodeScalars)
        if addedTokens.isEmpty { return [.text(scalars[...])] }
        var segments: [Segment] = []
        var textStart = 0
        var index = 0
        while index < scalars.count {
            if let candidates = addedTokens[scalars[index]],
               let match = candidates.first(where: { candidate in
                   index + candidate.scalars.count <= scalars.count
                       && scalars[index..<(index + candidate.scalars.count)].elementsEqual(candidate.scalars)
               })
            {
                if textStart < index { segments.append(.text(scalars[textStart..<index])) }
                segments.append(.added(match.id))
                index += match.scalars.count
                textStart = index
            } else {
                index += 1
            }
        }
        if textStart < scalars.count { segments.append(.text(scalars[textStart...])) }
        return segments
    }
}
