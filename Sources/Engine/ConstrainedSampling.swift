// Sampling under a constraint: tokens the constraint rules out get minus infinity before the sampler's
// filters and greedy choice; end of sequence is allowed only where the constraint may end.
import Constraints

extension Sampler {
    /// Samples `next` among the tokens `guide` allows and moves the guide past it. `scratch` is reused between steps.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, guide: inout TokenGuide,
                                scratch: inout [Float]) throws(EngineError) -> Int {
        if scratch.count != logits.count { scratch = [Float](repeating: 0, count: logits.count) }
        let mask = scratch.withUnsafeMutableBufferPointer { guide.mask(logits, into: $0) }
        guard !mask.isEmpty else {
            throw .constraintDeadEnd("no token continues the constraint \(guide.matcher.grammar.key.prefix(80).debugDescription)")
        }
        let next = scratch.withUnsafeBufferPointer { sample($0) }
        guide.accept(next)
        return next
    }
}

/// Constraint state of one generation, or nothing when the request has no constraint.
struct ConstrainedStep {
    private var guide: TokenGuide?
    private var scratch: [Float] = []

    init(_ grammar: Grammar?, cache: TokenMatcherCache) {
        guide = grammar.map { cache.matcher(for: $0).start() }
    }

    mutating func sample(_ logits: UnsafeBufferPointer<Float>, with sampler: inout Sampler) throws(EngineError) -> Int {
        guard var current = guide else { return sampler.sample(logits) }
        defer { guide = current }
        return try sampler.sample(logits, guide: &current, scratch: &scratch)
    }
}
