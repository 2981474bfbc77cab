// The built-in constraints by name, for `bench generate --constraint` and `bench constraint`.
import Constraints
import Engine
import Foundation

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
