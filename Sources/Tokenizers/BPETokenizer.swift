// Byte-level BPE (GPT-2 style): pre-tokenize, spell each piece's bytes with GPT-2's byte characters,
// then repeatedly merge the adjacent pair with the lowest merge rank.
import Foundation
import ModelFiles

public final class BPETokenizer: Tokenizer, @unchecked Sendable {
    public let preTokenizer: PreTokenizer
    public let bosID: Int?
    public let endIDs: Set<Int>
    public let addsBOS: Bool
    private let tokens: [String]
    private let tokenBytes: [[UInt8]]
    private let ids: [String: Int]
    private let special: Set<Int>
    /// Added tokens matched verbatim in text, longest first.
    private let addedTokens: [(text: [UInt8], id: Int)]
    /// (left id << 32 | right id) -> (rank, merged id).
    private let merges: [UInt64: (rank: Int32, merged: Int32)]
    private let byteIDs: [Int32]
    /// A piece that is itself a token is taken whole, unmerged (tokenizers' `ignore_merges`: Llama 3).
    public let ignoresMerges: Bool
    private let cache = PieceCache()

    /// - Parameters:
    ///   - tokens: the vocabulary, spelled with GPT-2 byte characters.
    ///   - merges: "left right" pairs, best first.
    ///   - addedTokens: ids matched verbatim in text (special and user-defined tokens).
    ///   - specialIDs: ids skipped when decoding with `skipSpecialTokens`.
    public init(tokens: [String], merges: [String], preTokenizer: PreTokenizer, addedTokens: [Int],
                specialIDs: Set<Int>, bosID: Int?, endIDs: Set<Int>, addsBOS: Bool, ignoresMerges: Bool = false,
                source: String) throws(TokenizerError) {
        self.tokens = tokens
        self.ignoresMerges = ignoresMerges
        self.preTokenizer = preTokenizer
        self.bosID = bosID
        self.endIDs = endIDs
        self.addsBOS = addsBOS
        self.special = specialIDs
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = id }
        self.ids = ids
        let addedSet = Set(addedTokens)
        tokenBytes = tokens.enumerated().map { id, token in
            addedSet.contains(id) ? Array(token.utf8) : (ByteLevel.bytes(of: token) ?? Array(token.utf8))
        }
        self.addedTokens = addedTokens.map { (Array(tokens[$0].utf8), $0) }
            .filter { !$0.text.isEmpty }
            .sorted { $0.text.count > $1.text.count }

        // A byte with no token of its own (a control byte never seen in training) is dropped, as the reference does.
        byteIDs = ByteLevel.byteToCharacter.map { ids[String($0)].map(Int32.init) ?? -1 }
        guard byteIDs.contains(where: { $0 >= 0 }) else {
            throw .invalid(file: source, key: "tokens", reason: "the vocabulary spells no byte with GPT-2's byte characters")
        }

        switch MergeRanks.table(merges, id: { ids[$0] }) {
        case let .success(table): self.merges = table
        case let .failure(bad):
            throw .invalid(file: source, key: "merges", reason: "merge \(bad.rank) \"\(FileText.quoted(bad.text))\" names tokens not in the vocabulary")
        }
    }

    public var vocabularySize: Int { tokens.count }
    public var summary: String { "byte-level BPE, \(tokens.count) tokens, pre-tokenizer \(preTokenizer.rawValue)" }

    public func token(_ id: Int) -> String? { tokens.indices.contains(id) ? tokens[id] : nil }
    public func id(of token: String) -> Int? { ids[token] }
    public func isSpecial(_ id: Int) -> Bool { special.contains(id) }
    public func bytes(of id: Int) -> [UInt8] { tokenBytes.indices.contains(id) ? tokenBytes[id] : [] }

    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var out: [Int] = []
        if addSpecialTokens, addsBOS, let bosID { out.append(bosID) }
        for segment in splitOnAddedTokens(text) {
            switch segment {
            case let .added(id): out.append(id)
            case let .text(chunk):
                for piece in preTokenizer.split(chunk) { out += encodePiece(piece) }
            }
        }
        return out
    }

    // MARK: - Added tokens

    private enum Segment { case text(String), added(Int) }

    private func splitOnAddedTokens(_ text: String) -> [Segment] {
        guard !addedTokens.isEmpty else { return [.text(text)] }
        let bytes = Array(text.utf8)
        var segments: [Segment] = []
        var start = 0, i = 0
        while i < bytes.count {
            // Added tokens start with an ASCII byte in practice; check only where one could begin.
            if let match = addedTokens.first(where: { $0.text.first == bytes[i] && Self.matches(bytes, at: i, $0.text) }) {
                if start < i { segments.append(.text(String(decoding: bytes[start..<i], as: UTF8.self))) }
                segments.append(.added(match.id))
                i += match.text.count
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count { segments.append(.text(String(decoding: bytes[start...], as: UTF8.self))) }
        return segments
    }

    private static func matches(_ bytes: [UInt8], at i: Int, _ pattern: [UInt8]) -> Bool {
        guard i + pattern.count <= bytes.count else { return false }
        for k in 0..<pattern.count where bytes[i + k] != pattern[k] { return false }
        return true
    }

    // MARK: - Merging

    private func encodePiece(_ piece: Substring) -> [Int] {
        let key = String(piece)
        if let cached = cache.get(key) { return cached }
        if ignoresMerges, let whole = ids[String(piece.utf8.map { ByteLevel.byteToCharacter[Int($0)] })] {
            cache.set(key, [whole])
            return [whole]
        }
        var symbols = piece.utf8.map { byteIDs[Int($0)] }.filter { $0 >= 0 }
        while symbols.count > 1 {
            var best: (rank: Int32, index: Int, merged: Int32)?
            for i in 0..<symbols.count - 1 {
                if let merge = merges[UInt64(UInt32(symbols[i])) << 32 | UInt64(UInt32(symbols[i + 1]))],
                   best == nil || merge.rank < best!.rank {
                    best = (merge.rank, i, merge.merged)
                }
            }
            guard let best else { break }
            // Merge every occurrence of the best pair, left to right (as the reference does).
            let left = symbols[best.index], right = symbols[best.index + 1]
            var merged: [Int32] = []
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count, symbols[i] == left, symbols[i + 1] == right {
                    merged.append(best.merged)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        let ids = symbols.map(Int.init)
        cache.set(key, ids)
        return ids
    }
}

/// Ids of recently seen pieces; words repeat a lot in prompts.
final class PieceCache: @unchecked Sendable {
    private var entries: [String: [Int]] = [:]
    private let lock = NSLock()

    func get(_ key: String) -> [Int]? { lock.withLock { entries[key] } }

    func set(_ key: String, _ ids: [Int]) {
        lock.withLock {
            if entries.count > 50_000 { entries.removeAll(keepingCapacity: true) }
            entries[key] = ids
        }
    }
}
