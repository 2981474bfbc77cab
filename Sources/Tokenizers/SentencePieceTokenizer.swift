// SentencePiece-style BPE (Llama, Mistral, MiniCPM): spaces become "▁" (U+2581), a "▁" is prepended, the
// text is split into characters, and adjacent symbols merge best first: by the merged piece's score
// (SentencePiece `.model` files and GGUF `llama` vocabularies) or by merge rank (`tokenizer.json`).
// Characters outside the vocabulary fall back to `<0xXX>` byte pieces, or to the unknown token.
import Foundation

public final class SentencePieceTokenizer: Tokenizer, @unchecked Sendable {
    /// SentencePiece's piece types; GGUF's `token_type` uses the same numbers.
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public struct Piece: Sendable, Equatable {
        public var text: String
        public var score: Float
        public var type: PieceType

        public init(_ text: String, score: Float = 0, type: PieceType = .normal) {
            self.text = text
            self.score = score
            self.type = type
        }
    }

    /// Which adjacent pair merges first.
    public enum MergeOrder: Sendable {
        /// SentencePiece: the pair whose concatenation is a normal, user-defined or unused piece with the best score.
        case scores
        /// tokenizer.json: the pair listed first in `merges` ("left right").
        case ranks([String])
    }

    /// Where a "▁" is prepended.
    public enum SpacePrefix: String, Sendable {
        case none
        /// Once, before the whole text (SentencePiece's `add_dummy_prefix`); past control tokens that open it.
        case textStart
        /// Before every stretch of text between tokens matched in the text (llama.cpp, tokenizers' `Prepend` normalizer).
        case everySegment
        /// Before the stretch at the start of the text unless it starts with a space (tokenizers' `Metaspace`, scheme `first`).
        case firstSegmentUnlessSpace
        /// Before every stretch that does not start with a space (tokenizers' `Metaspace`, scheme `always`).
        case everySegmentUnlessSpace
    }

    public struct Options: Sendable {
        public var spacePrefix: SpacePrefix = .textStart
        /// Split the text into words at each "▁" before merging (tokenizers' `Metaspace` with `split: true`).
        public var splitAtSpaces = false
        /// Spell characters outside the vocabulary with `<0xXX>` pieces instead of the unknown token.
        public var byteFallback = true
        /// Consecutive unknown characters become one unknown token.
        public var fuseUnknown = true
        /// A word that is itself in the vocabulary is taken whole (tokenizers' `ignore_merges`).
        public var ignoreMerges = false
        /// Strip leading and trailing spaces and collapse runs of spaces (SentencePiece's `remove_extra_whitespaces`).
        public var removeExtraWhitespaces = false
        /// Decoding drops the space that the prefix added in front of the first token.
        public var stripsLeadingSpaceOnDecode = true

        public init() {}
    }

    /// When a token is found in raw text.
    public enum TextMatching: Sendable {
        /// Always (user-defined tokens; every added token of a tokenizer.json).
        case always
        /// Only when encoding with special tokens (control tokens such as `<s>`), as llama.cpp parses them.
        case whenParsingSpecial
    }

    /// A token found in raw text before any merging.
    public struct TextToken: Sendable {
        public var matching: TextMatching
        /// The whitespace before it is part of the match (tokenizers' `lstrip`).
        public var stripsLeft: Bool
        /// The whitespace after it is part of the match (tokenizers' `rstrip`).
        public var stripsRight: Bool

        public init(_ matching: TextMatching, stripsLeft: Bool = false, stripsRight: Bool = false) {
            self.matching = matching
            self.stripsLeft = stripsLeft
            self.stripsRight = stripsRight
        }
    }

    public static let metaspace = "\u{2581}"

    public let pieces: [Piece]
    public let options: Options
    public let bosID: Int?
    public let eosID: Int?
    public let unknownID: Int?
    public let endIDs: Set<Int>
    public let addsBOS: Bool
    public let addsEOS: Bool
    let usesScores: Bool
    let special: Set<Int>
    let ids: [String: Int32]
    /// Pieces a merge may produce under `.scores` (normal, user-defined, unused).
    let mergeable: [String: Int32]
    /// (left id << 32 | right id) -> (rank, merged id) under `.ranks`.
    let rankedMerges: [UInt64: (rank: Int32, merged: Int32)]
    let byteIDs: [Int32]
    let decodedBytes: [[UInt8]]
    /// Tokens matched in raw text, by first byte, longest first.
    let textTokens: [UInt8: [(bytes: [UInt8], id: Int, rule: TextToken)]]
    let cache = PieceCache()

    public init(pieces: [Piece], mergeOrder: MergeOrder, options: Options, textTokens: [Int: TextToken],
                specialIDs: Set<Int>, bosID: Int?, eosID: Int?, unknownID: Int?, endIDs: Set<Int>,
                addsBOS: Bool, addsEOS: Bool, source: String) throws(TokenizerError) {
        self.pieces = pieces
        self.options = options
        self.bosID = bosID
        self.eosID = eosID
        self.addsBOS = addsBOS
        self.addsEOS = addsEOS
        self.endIDs = endIDs
        special = specialIDs
        var ids: [String: Int32] = [:], mergeable: [String: Int32] = [:]
        ids.reserveCapacity(pieces.count)
        for (id, piece) in pieces.enumerated() where !piece.text.isEmpty {
            if ids[piece.text] == nil { ids[piece.text] = Int32(id) }
            if [.normal, .userDefined, .unused].contains(piece.type), mergeable[piece.text] == nil {
                mergeable[piece.text] = Int32(id)
            }
        }
        self.ids = ids
        self.mergeable = mergeable
        self.unknownID = unknownID ?? pieces.firstIndex { $0.type == .unknown }

        byteIDs = (0..<256).map { ids[String(format: "<0x%02X>", $0)] ?? -1 }
        if options.byteFallback, byteIDs.contains(-1) {
            let missing = byteIDs.firstIndex(of: -1)!
            throw .invalid(file: source, key: "byte_fallback",
                           reason: "byte fallback is on but the vocabulary has no piece <0x\(String(format: "%02X", missing))>")
        }
        if !options.byteFallback, self.unknownID == nil {
            throw .invalid(file: source, key: "unk", reason: "neither byte fallback nor an unknown token for characters outside the vocabulary")
        }

        switch mergeOrder {
        case .scores:
            usesScores = true
            rankedMerges = [:]
        case let .ranks(merges):
            usesScores = false
            switch MergeRanks.table(merges, id: { ids[$0].map(Int.init) }) {
            case let .success(table): rankedMerges = table
            case let .failure(bad):
                throw .invalid(file: source, key: "model.merges[\(bad.rank)]", reason: "\"\(bad.text)\" names pieces not in the vocabulary")
            }
        }

        decodedBytes = pieces.map { piece in
            switch piece.type {
            case .byte:
                let hex = piece.text.dropFirst(3).prefix(2)
                if piece.text.count == 6, let value = UInt8(hex, radix: 16) { return [value] }
                return Array(piece.text.utf8)
            case .unknown: return Array(" \u{2047} ".utf8)
            case .control: return Array(piece.text.utf8)
            default: return Array(piece.text.replacingOccurrences(of: Self.metaspace, with: " ").utf8)
            }
        }

        var byFirstByte: [UInt8: [(bytes: [UInt8], id: Int, rule: TextToken)]] = [:]
        for (id, rule) in textTokens where pieces.indices.contains(id) {
            let bytes = Array(pieces[id].text.utf8)
            guard let first = bytes.first else { continue }
            byFirstByte[first, default: []].append((bytes, id, rule))
        }
        for key in byFirstByte.keys { byFirstByte[key]!.sort { $0.bytes.count > $1.bytes.count } }
        self.textTokens = byFirstByte
    }

    public var vocabularySize: Int { pieces.count }
    public var summary: String {
        "SentencePiece BPE (\(usesScores ? "piece scores" : "merge ranks")\(options.byteFallback ? ", byte fallback" : "")), \(pieces.count) tokens"
    }

    public func token(_ id: Int) -> String? { pieces.indices.contains(id) ? pieces[id].text : nil }
    public func id(of token: String) -> Int? { ids[token].map(Int.init) }
    public func isSpecial(_ id: Int) -> Bool { special.contains(id) }
    public func bytes(of id: Int) -> [UInt8] { decodedBytes.indices.contains(id) ? decodedBytes[id] : [] }

    public func leadingBytes(of id: Int) -> [UInt8] {
        let bytes = bytes(of: id)
        guard options.stripsLeadingSpaceOnDecode, pieces.indices.contains(id), pieces[id].type != .byte,
              bytes.first == UInt8(ascii: " ") else { return bytes }
        return Array(bytes.dropFirst())
    }
}
