// A fake model over a real vocabulary: random logits (seeded), sampled at temperature 1 under a
// constraint with the engine's sampler. A growing bonus for closing tokens and end of sequence makes
// generations finish, so that whole outputs can be parsed.
import Constraints
import Engine
import Foundation
import Kernels

struct RandomLogitsGenerator {
    let cache: TokenMatcherCache

    init(cache: TokenMatcherCache) { self.cache = cache }

    struct Outcome {
        var text: String
        var complete: Bool
        /// Steps where the allowed set was empty before the constraint was complete.
        var deadEnds: Int
        var tokens: Int
    }

    /// Tokens made only of `closers` bytes, which get the growing bonus.
    /// Or spelled exactly as one of `exact`.
    func closingTokens(_ closers: String, exact: [String] = []) -> [Int] {
        let set = Set(closers.utf8)
        let spellings = Set(exact.map { Array($0.utf8) })
        let vocabulary = cache.vocabulary
        return (0..<vocabulary.size).filter { id in
            let bytes = vocabulary.bytes(of: id)
            return !bytes.isEmpty && (bytes.allSatisfy { set.contains($0) } || spellings.contains(bytes))
        }
    }

    /// Logits: a sparse random vector (most tokens far below the rest, so sorting candidates stays cheap),
    /// rotated by a random offset each step, plus the bonus for closing tokens and end of sequence.
    func generate(_ grammar: Grammar, seed: UInt64, closers: [Int], maxTokens: Int = 300) throws -> Outcome {
        let vocabulary = cache.vocabulary
        var guide = cache.matcher(for: grammar).start()
        var sampler = Sampler(settings: SamplingSettings(temperature: 1, seed: seed))
        var random = SplitMix64(seed: seed &+ 0x9E37_79B9)
        func uniform() -> Float { Float(Double(random.next() >> 11) / Double(1 << 53)) }
        let base = (0..<vocabulary.size).map { _ in uniform() < 0.03 ? uniform() * 4 : -40 }
        var logits = [Float](repeating: 0, count: vocabulary.size)
        var scratch: [Float] = []
        var bytes: [UInt8] = []
        var deadEnds = 0
        for step in 0..<maxTokens {
            let bonus = Float(step) * 0.2
            let offset = Int(random.next() % UInt64(vocabulary.size))
            for i in logits.indices { logits[i] = base[(i + offset) % base.count] }
            for id in closers { logits[id] = max(logits[id], uniform() * 4 - 6 + bonus) }
            for id in vocabulary.endIDs { logits[id] = bonus - 4 }
            if guide.allowed().isEmpty { deadEnds += 1; break }
            let next = try logits.withUnsafeBufferPointer { try sampler.sample($0, guide: &guide, scratch: &scratch) }
            if vocabulary.endIDs.contains(next) {
                return Outcome(text: String(decoding: bytes, as: UTF8.self), complete: true, deadEnds: deadEnds, tokens: step + 1)
            }
            bytes += vocabulary.bytes(of: next)
        }
        return Outcome(text: String(decoding: bytes, as: UTF8.self), complete: guide.isComplete, deadEnds: deadEnds, tokens: maxTokens)
    }
}
