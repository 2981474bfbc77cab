// Which tokens a grammar allows next: the trie of the vocabulary walked from an automaton state,
// cached per state, so a state met again costs one lookup. One matcher serves many generations.
import Foundation
import Tokenizers

/// The tokens allowed in one state, as bits over the vocabulary.
public final class TokenMask: Sendable {
    public let bits: [UInt64]
    /// Allowed tokens other than the end tokens.
    public let textTokenCount: Int
    /// Whether the end tokens are allowed (the constraint may end here).
    public let endAllowed: Bool

    init(bits: [UInt64], textTokenCount: Int, endAllowed: Bool) {
        self.bits = bits; self.textTokenCount = textTokenCount; self.endAllowed = endAllowed
    }

    public func allows(_ id: Int) -> Bool {
        id >= 0 && id >> 6 < bits.count && bits[id >> 6] & (1 << UInt64(id & 63)) != 0
    }

    /// No token at all: generation cannot go on (never the case for a grammar that passed its checks).
    public var isEmpty: Bool { textTokenCount == 0 && !endAllowed }

    public var allowedIDs: [Int] {
        var ids: [Int] = []
        for (w, word) in bits.enumerated() where word != 0 {
            for b in 0..<64 where word & (1 << UInt64(b)) != 0 { ids.append(w << 6 | b) }
        }
        return ids
    }
}

public final class TokenMatcher: @unchecked Sendable {
    public let grammar: Grammar
    public let vocabulary: TokenVocabulary
    private let automaton: GrammarAutomaton
    private var masks: [GrammarAutomaton.State: TokenMask] = [:]
    private var stateBuffer: [GrammarAutomaton.State]
    private let lock = NSLock()
    /// Masks kept before the cache is emptied (each is vocabulary/8 bytes).
    static let maxCachedMasks = 1024

    public init(grammar: Grammar, vocabulary: TokenVocabulary) {
        self.grammar = grammar
        self.vocabulary = vocabulary
        automaton = GrammarAutomaton(grammar: grammar)
        stateBuffer = [GrammarAutomaton.State](repeating: 0, count: vocabulary.maxDepth + 1)
    }

    /// A guide at the start of the text.
    public func start() -> TokenGuide { TokenGuide(matcher: self, state: lock.withLock { automaton.initial }) }

    public var stateCount: Int { lock.withLock { automaton.stateCount } }

    func mask(_ state: GrammarAutomaton.State) -> TokenMask {
        lock.withLock {
            if let mask = masks[state] { return mask }
            let mask = computeMask(state)
            if masks.count >= Self.maxCachedMasks { masks.removeAll(keepingCapacity: true) }
            masks[state] = mask
            return mask
        }
    }

    func advance(_ state: GrammarAutomaton.State, token: Int) -> GrammarAutomaton.State {
        lock.withLock {
            if vocabulary.endIDs.contains(token) { return automaton.canEnd(state) ? state : GrammarAutomaton.dead }
            let bytes = vocabulary.bytes(of: token)
            return bytes.isEmpty ? GrammarAutomaton.dead : automaton.advance(state, bytes)
        }
    }

    func canEnd(_ state: GrammarAutomaton.State) -> Bool { lock.withLock { automaton.canEnd(state) } }

    /// One preorder pass over the trie; a subtree is skipped as soon as its prefix leads nowhere.
    private func computeMask(_ state: GrammarAutomaton.State) -> TokenMask {
        var bits = [UInt64](repeating: 0, count: (vocabulary.size + 63) / 64)
        var count = 0
        let end = automaton.canEnd(state)
        if end { for id in vocabulary.endIDs { bits[id >> 6] |= 1 << UInt64(id & 63) } }
        vocabulary.nodeByte.withUnsafeBufferPointer { nodeByte in
        vocabulary.nodeDepth.withUnsafeBufferPointer { nodeDepth in
        vocabulary.subtreeEnd.withUnsafeBufferPointer { subtreeEnd in
        vocabulary.tokenStart.withUnsafeBufferPointer { tokenStart in
        vocabulary.tokenIDs.withUnsafeBufferPointer { tokenIDs in
        stateBuffer.withUnsafeMutableBufferPointer { stateAt in
            stateAt[0] = state
            var i = 0
            let n = nodeByte.count
            while i < n {
                let depth = Int(nodeDepth[i])
                let next = automaton.advance(stateAt[depth - 1], nodeByte[i])
                if next < 0 {
                    i = Int(subtreeEnd[i])
                    continue
                }
                stateAt[depth] = next
                for k in Int(tokenStart[i])..<Int(tokenStart[i + 1]) {
                    let id = Int(tokenIDs[k])
                    bits[id >> 6] |= 1 << UInt64(id & 63)
                    count += 1
                }
                i += 1
            }
        }}}}}}
        return TokenMask(bits: bits, textTokenCount: count, endAllowed: end)
    }
}

/// Where one generation stands in its constraint.
public struct TokenGuide: Sendable {
    public let matcher: TokenMatcher
    public private(set) var state: GrammarAutomaton.State

    init(matcher: TokenMatcher, state: GrammarAutomaton.State) {
        self.matcher = matcher
        self.state = state
    }

    /// Whether the text so far is a complete match.
    public var isComplete: Bool { matcher.canEnd(state) }

    /// Whether the text so far can still be completed (false only after an accepted token that was not allowed).
    public var isLive: Bool { state >= 0 }

    public func allowed() -> TokenMask {
        state < 0 ? TokenMask(bits: [], textTokenCount: 0, endAllowed: false) : matcher.mask(state)
    }

    /// Moves past `id`; returns false (and the guide is no longer live) when `id` was not allowed.
    @discardableResult
    public mutating func accept(_ id: Int) -> Bool {
        guard state >= 0 else { return false }
        state = matcher.advance(state, token: id)
        return state >= 0
    }

    /// Whether the bytes of `text` from here keep the guide live (the text need not be complete).
    public func accepts(prefix text: [UInt8]) -> Bool {
        guard state >= 0 else { return false }
        var probe = self
        for byte in text {
            probe.state = matcher.advanceByte(probe.state, byte)
            if probe.state < 0 { return false }
        }
        return true
    }

    /// `logits` with every token the constraint rules out set to minus infinity, written to `out`.
    public func mask(_ logits: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) -> TokenMask {
        let mask = allowed()
        let n = min(logits.count, out.count)
        mask.bits.withUnsafeBufferPointer { bits in
            for w in 0..<((n + 63) / 64) {
                let word = w < bits.count ? bits[w] : 0
                let base = w << 6
                let top = min(64, n - base)
                if word == 0 {
                    for b in 0..<top { out[base + b] = -.infinity }
                } else if word == ~0 && top == 64 {
                    for b in 0..<64 { out[base + b] = logits[base + b] }
                } else {
                    for b in 0..<top { out[base + b] = word & (1 << UInt64(b)) != 0 ? logits[base + b] : -.infinity }
                }
            }
        }
        return mask
    }
}

extension TokenMatcher {
    func advanceByte(_ state: GrammarAutomaton.State, _ byte: UInt8) -> GrammarAutomaton.State {
        lock.withLock { automaton.advance(state, byte) }
    }
}

/// One vocabulary per tokenizer and one matcher per grammar, built on first use and shared by generations.
public final class TokenMatcherCache: @unchecked Sendable {
    private let makeVocabulary: @Sendable () -> TokenVocabulary
    private var built: TokenVocabulary?
    private var matchers: [String: TokenMatcher] = [:]
    private let lock = NSLock()
    /// Matchers kept before the cache is emptied (pipelines compile one grammar per function name).
    static let maxMatchers = 16

    public init(tokenizer: any Tokenizer) {
        makeVocabulary = { TokenVocabulary(tokenizer: tokenizer) }
    }

    public init(vocabulary: TokenVocabulary) {
        built = vocabulary
        makeVocabulary = { vocabulary }
    }

    public var vocabulary: TokenVocabulary {
        lock.withLock {
            if let built { return built }
            let vocabulary = makeVocabulary()
            built = vocabulary
            return vocabulary
        }
    }

    public func matcher(for grammar: Grammar) -> TokenMatcher {
        let vocabulary = self.vocabulary
        return lock.withLock {
            if let matcher = matchers[grammar.key] { return matcher }
            if matchers.count >= Self.maxMatchers { matchers.removeAll() }
            let matcher = TokenMatcher(grammar: grammar, vocabulary: vocabulary)
            matchers[grammar.key] = matcher
            return matcher
        }
    }
}
