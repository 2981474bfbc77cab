// The trie walk finds exactly the tokens whose bytes keep the automaton alive, for a small vocabulary
// and a synthetic one of 123k byte strings (the size of Abacus's), and the masked logits follow it.
import Constraints
import Foundation
import Kernels
import Testing

@Suite struct TokenMaskTests {
    /// Byte strings like a tokenizer's: all single bytes, then random pieces of code and text.
    static func syntheticVocabulary(size: Int, seed: UInt64) -> [[UInt8]] {
        var random = SplitMix64(seed: seed)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz_ ()[]{},.:'\"\n0123456789-=".utf8)
        var tokens = (0...255).map { [UInt8($0)] }
        while tokens.count < size {
            let length = 2 + Int(random.next() % 9)
            tokens.append((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
        tokens.append(Array("é".utf8))
        return tokens
    }

    func bruteForce(_ grammar: Grammar, _ tokens: [[UInt8]], after text: String, ends: Set<Int>) -> Set<Int> {
        let automaton = GrammarAutomaton(grammar: grammar)
        let state = automaton.advance(automaton.initial, Array(text.utf8))
        var allowed = Set<Int>()
        for (id, bytes) in tokens.enumerated() {
            if ends.contains(id) { if automaton.canEnd(state) { allowed.insert(id) }; continue }
            if automaton.advance(state, bytes) >= 0 { allowed.insert(id) }
        }
        return allowed
    }

    @Test(arguments: [4_000, 123_000])
    func trieWalkMatchesBruteForce(size: Int) throws {
        var tokens = Self.syntheticVocabulary(size: size, seed: UInt64(size))
        tokens.append(Array("<|end|>".utf8))
        let end = tokens.count - 1
        let vocabulary = TokenVocabulary(tokenBytes: tokens, endIDs: [end], excluded: [])
        let grammar = try BuiltInConstraints.callLines(function: "f", keywords: ["k"], minLines: 1, maxLines: 2)
        let matcher = TokenMatcher(grammar: grammar, vocabulary: vocabulary)
        for prefix in ["", "f(", "f([1, 'a", "f(1)", "f(1)\n", "f(1, k={(1,): b'x"] {
            var guide = matcher.start()
            for byte in prefix.utf8 { #expect(guide.accepts(prefix: [byte])); guide = advance(guide, [byte], tokens) }
            let mask = guide.allowed()
            #expect(Set(mask.allowedIDs) == bruteForce(grammar, tokens, after: prefix, ends: [end]), "after \(prefix.debugDescription)")
            #expect(!mask.isEmpty)
        }
    }

    /// Moves a guide by single-byte tokens (ids 0...255 are the bytes in the synthetic vocabulary).
    func advance(_ guide: TokenGuide, _ bytes: [UInt8], _ tokens: [[UInt8]]) -> TokenGuide {
        var guide = guide
        for byte in bytes { guide.accept(Int(byte)) }
        return guide
    }

    @Test func maskedLogitsKeepOnlyAllowedTokens() throws {
        let tokens = Self.syntheticVocabulary(size: 3_000, seed: 7)
        let vocabulary = TokenVocabulary(tokenBytes: tokens, endIDs: [], excluded: [])
        let guide = TokenMatcher(grammar: try RegexCompiler.compile("[0-9]+"), vocabulary: vocabulary).start()
        let logits = (0..<tokens.count).map { Float($0 % 17) }
        var out = [Float](repeating: 0, count: tokens.count)
        let mask = logits.withUnsafeBufferPointer { l in out.withUnsafeMutableBufferPointer { guide.mask(l, into: $0) } }
        for id in tokens.indices {
            let digits = tokens[id].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            #expect(mask.allows(id) == digits)
            #expect(out[id] == (digits ? logits[id] : -.infinity))
        }
    }
}
