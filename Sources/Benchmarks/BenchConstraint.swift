// The built-in constraints by name, for `bench generate --constraint` and `bench constraint`.
import ArgumentParser
import CommandOptions
import Constraints
import Engine
import Foundation
import Kernels

enum NamedConstraint: String, CaseIterable {
    case calls, fenced, rewrite, sentence, json

    func grammar() throws -> Grammar {
        switch self {
        case .calls:
            return try BuiltInConstraints.callLines(function: "count_words", keywords: ["text", "min_length"], minLines: 8, maxLines: 8)
        case .fenced: return BuiltInConstraints.fencedPython
        case .rewrite: return BuiltInConstraints.instructionAndCode
        case .sentence: return BuiltInConstraints.instructionSentence
        case .json: return BuiltInConstraints.jsonObject
        }
    }
}

/// Greedy decoding under a constraint that starts over whenever it is complete, so a run of any length
/// measures it; the time spent masking, picking and advancing is kept apart from the model's.
struct ConstrainedDecodeClock {
    let matcher: TokenMatcher
    var guide: TokenGuide
    var scratch: [Float] = []
    var nanoseconds: UInt64 = 0
    var restarts = 0

    init(_ grammar: Grammar, vocabulary: TokenVocabulary) {
        matcher = TokenMatcher(grammar: grammar, vocabulary: vocabulary)
        guide = matcher.start()
    }

    mutating func pick(_ logits: UnsafeBufferPointer<Float>) -> Int {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { nanoseconds += DispatchTime.now().uptimeNanoseconds - start }
        if scratch.count != logits.count { scratch = [Float](repeating: 0, count: logits.count) }
        var mask = scratch.withUnsafeMutableBufferPointer { guide.mask(logits, into: $0) }
        if mask.textTokenCount == 0 {
            guide = matcher.start()
            restarts += 1
            mask = scratch.withUnsafeMutableBufferPointer { guide.mask(logits, into: $0) }
        }
        // Never pick an end token here: the benchmark decodes a fixed number of tokens.
        for id in matcher.vocabulary.endIDs where id < scratch.count { scratch[id] = -.infinity }
        let next = scratch.withUnsafeBufferPointer { Sampler.argmax($0) }
        guide.accept(next)
        return next
    }
}

/// `semi-instruct bench constraint MODEL`: the cost of each built-in constraint per token over the model's
/// vocabulary (optionally padded with synthetic tokens to a larger size), with random logits and cold caches.
struct BenchConstraintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "constraint", abstract: "Measure the per-token cost of the built-in constraints over a vocabulary.")

    @OptionGroup var model: ModelArgument

    @Option(help: "Pad the vocabulary with synthetic tokens (joined pairs of real ones) to this size.")
    var vocabularySize: Int?

    @Option(help: "Tokens picked per run.")
    var tokens = 256

    @Option(help: "Runs; the median is reported.")
    var runs = 3

    func run() async throws {
        let loaded = try ModelLoader.load(model.model, threads: model.threads)
        let tokenizer = loaded.tokenizer
        var bytes = (0..<tokenizer.vocabularySize).map { tokenizer.bytes(of: $0) }
        let special = Set((0..<tokenizer.vocabularySize).filter { tokenizer.isSpecial($0) })
        var random = SplitMix64(seed: 42)
        while bytes.count < (vocabularySize ?? 0) {
            let a = bytes[Int(random.next() % UInt64(tokenizer.vocabularySize))], b = bytes[Int(random.next() % UInt64(tokenizer.vocabularySize))]
            bytes.append(a + b)
        }
        let buildStart = DispatchTime.now().uptimeNanoseconds
        let vocabulary = TokenVocabulary(tokenBytes: bytes, endIDs: tokenizer.endIDs, excluded: special)
        let buildMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - buildStart) / 1e6
        print("vocabulary   \(bytes.count) tokens, trie of \(vocabulary.nodeCount) nodes built in \(String(format: "%.0f", buildMilliseconds)) ms")
        var logits = [Float](repeating: 0, count: bytes.count)
        for named in NamedConstraint.allCases {
            let grammar = try named.grammar()
            var perToken: [Double] = [], states: [Int] = []
            for run in 0..<runs {
                var clock = ConstrainedDecodeClock(grammar, vocabulary: vocabulary)
                var draw = SplitMix64(seed: UInt64(run))
                for _ in 0..<tokens {
                    // Sparse random logits: most tokens far below, as a trained model's are.
                    for i in logits.indices { logits[i] = draw.next() % 32 == 0 ? Float(draw.next() % 1000) / 100 : -20 }
                    _ = logits.withUnsafeBufferPointer { clock.pick($0) }
                }
                perToken.append(Double(clock.nanoseconds) / 1e3 / Double(tokens))
                states.append(clock.matcher.stateCount)
            }
            print(String(format: "%@: %.0f us a token (median of %d runs of %d tokens, cold caches, %d automaton states)",
                         named.rawValue, median(perToken), runs, tokens, states.max() ?? 0))
        }
    }
}
