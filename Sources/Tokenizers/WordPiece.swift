// WordPiece: greedy longest-match-first over a vocabulary, continuation pieces prefixed with `##`.
// A word longer than `maxInputCharactersPerWord`, or one with any unmatchable part, becomes [UNK] as a whole.

/// Vocabulary keys are UTF-8 bytes: Swift's String equality is canonical equivalence, the vocabulary's is not.
struct VocabularyKey: Hashable {
    var bytes: [UInt8]
}

public struct WordPieceModel: Sendable {
    let vocabulary: [VocabularyKey: Int]
    /// Tokens by id (for decoding and tests).
    public let tokens: [String]
    public let unknownID: Int
    public let continuingSubwordPrefix: String
    public let maxInputCharactersPerWord: Int
    /// The longest vocabulary entry in bytes: no match can be longer.
    private let longestTokenBytes: Int

    public init(tokens: [String: Int], unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
                maxInputCharactersPerWord: Int = 100) throws {
        guard let unknownID = tokens[unknownToken] else { throw TokenizerError.missingUnknownToken(unknownToken) }
        var vocabulary: [VocabularyKey: Int] = [:]
        vocabulary.reserveCapacity(tokens.count)
        var byID = [String](repeating: "", count: (tokens.values.max() ?? -1) + 1)
        var longest = 0
        for (token, id) in tokens {
            guard id >= 0 else { throw TokenizerError.invalidVocabulary(detail: "token '\(token)' has negative id \(id)") }
            vocabulary[VocabularyKey(bytes: Array(token.utf8))] = id
            byID[id] = token
            longest = max(longest, token.utf8.count)
        }
        self.vocabulary = vocabulary
        self.tokens = byID
        self.unknownID = unknownID
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        longestTokenBytes = longest
    }

    public var vocabularySize: Int { tokens.count }

    public func id(of token: String) -> Int? { vocabulary[VocabularyKey(bytes: Array(token.utf8))] }

    /// Appends the ids of one pre-tokenized word.
    public func tokenize(word: ArraySlice<Unicode.Scalar>, into ids: inout [Int]) {
        if word.count > maxInputCharactersPerWord {
            ids.append(unknownID)
            return
        }
        // UTF-8 of the word plus the byte offset where each scalar starts (and the end).
        var bytes: [UInt8] = []
        var boundaries: [Int] = []
        bytes.reserveCapacity(word.count * 2)
        boundaries.reserveCapacity(word.count + 1)
        for scalar in word {
            boundaries.append(bytes.count)
            bytes.append(contentsOf: UTF8.encode(scalar)!)
        }
        boundaries.append(bytes.count)

        let prefix = Array(continuingSubwordPrefix.utf8)
        let firstPiece = ids.count
        var start = 0
        var key = VocabularyKey(bytes: [])
        key.bytes.reserveCapacity(bytes.count + prefix.count)
        while start < word.count {
            var end = word.count
            var matched: Int? = nil
            let prefixLength = start > 0 ? prefix.count : 0
            while start < end {
                let byteLength = boundaries[end] - boundaries[start] + prefixLength
                if byteLength <= longestTokenBytes {
                    key.bytes.removeAll(keepingCapacity: true)
                    if start > 0 { key.bytes.append(contentsOf: prefix) }
                    key.bytes.append(contentsOf: bytes[boundaries[start]..<boundaries[end]])
                    if let id = vocabulary[key] {
                        matched = id
                        break
                    }
                }
                end -= 1
            }
            guard let id = matched else {
                ids.removeSubrange(firstPiece...)
                ids.append(unknownID)
                return
            }
            ids.append(id)
            start = end
        }
    }
}
