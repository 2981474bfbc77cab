// The Llama-family decoder: RMSNorm, grouped-query attention with RoPE, SwiGLU MLP, tied or separate head.
// MiniCPM is the same network with three scales (embedding, residual, logits), 1 for Llama.
// Read top-down: the model, a session (one sequence with its KV cache), one decode step, attention.
import Foundation
import Kernels

public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfiguration
    public let weights: LlamaWeights
    public let rope: RoPE
    public let pool: WorkerPool
    /// Keeps the mapped weights alive as long as the model.
    private let storage: AnyObject

    public init(config: LlamaConfiguration, source: some WeightSource, names: LlamaTensorNames, threads: Int) throws(EngineError) {
        self.config = config
        weights = try LlamaWeights(config: config, source: source, names: names)
        storage = source.storage
        rope = RoPE(headDimension: config.headDimension, theta: config.ropeTheta, style: source.ropeStyle)
        pool = WorkerPool(threads: threads)
    }

    /// A fresh sequence that can hold `capacity` tokens. `precision` is what the layers' products use
    /// while decoding; the output head always uses float activations (near-ties between top tokens are common).
    public func makeSession(capacity: Int, precision: ActivationPrecision = .int8) -> LlamaSession {
        LlamaSession(model: self, capacity: min(capacity, config.contextLength), precision: precision)
    }
}

/// One sequence being processed: its KV cache and the scratch buffers of a forward pass.
public final class LlamaSession: @unchecked Sendable {
    public let model: LlamaModel
    public let cache: KVCache
    public let layerPrecision: ActivationPrecision
    let x: UnsafeMutablePointer<Float>
    let normed: Activations
    let q: UnsafeMutablePointer<Float>
    let k: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let attention: Activations
    let projected: UnsafeMutablePointer<Float>
    let gate: Activations
    let up: UnsafeMutablePointer<Float>
    /// Attention scores, one row of `capacity` per head.
    let scores: UnsafeMutablePointer<Float>
    public let logits: UnsafeMutablePointer<Float>

    init(model: LlamaModel, capacity: Int, precision: ActivationPrecision) {
        self.model = model
        layerPrecision = precision
        let c = model.config
        cache = KVCache(layerCount: c.layerCount, capacity: capacity, kvDimension: c.kvDimension)
        x = .allocate(capacity: c.hiddenSize)
        normed = Activations(count: c.hiddenSize)
        q = .allocate(capacity: c.queryDimension)
        k = .allocate(capacity: c.kvDimension)
        v = .allocate(capacity: c.kvDimension)
        attention = Activations(count: c.queryDimension)
        projected = .allocate(capacity: c.hiddenSize)
        gate = Activations(count: c.intermediateSize)
        up = .allocate(capacity: c.intermediateSize)
        scores = .allocate(capacity: c.headCount * capacity)
        logits = .allocate(capacity: c.vocabularySize)
    }

    deinit {
        for p in [x, q, k, v, projected, up, scores, logits] { p.deallocate() }
    }

    public var count: Int { cache.count }
    public var capacity: Int { cache.capacity }

    /// Runs `tokens` through the model from the current position; returns the last token's logits.
    /// The logits live in the session: valid while it lives and until its next `process` or `decode`.
    @discardableResult
    public func process(_ tokens: [Int]) -> UnsafeBufferPointer<Float> {
        precondition(count + tokens.count <= capacity, "\(count + tokens.count) tokens exceed the session's \(capacity)")
        if tokens.count >= 8 {
            prefill(tokens)
        } else {
            for token in tokens { step(token, computeLogits: false) }
        }
        computeLogits()
        return UnsafeBufferPointer(start: logits, count: model.config.vocabularySize)
    }

    // MARK: - One token

    /// One decode step: appends `token` at the current position.
    func step(_ token: Int, computeLogits: Bool) {
        let c = model.config, w = model.weights, pool = model.pool
        let position = cache.count
        w.embedding.dequantizeRow(token, into: x)
        Ops.scale(x, by: c.embeddingScale, count: c.hiddenSize)
        for (l, layer) in w.layers.enumerated() {
            Ops.rmsNorm(x, weight: layer.attentionNorm, epsilon: c.rmsNormEpsilon, count: c.hiddenSize, into: normed.values)
            normed.invalidate()
            Matvec.multiply([layer.query, layer.key, layer.value], normed, into: [q, k, v], precision: layerPrecision, pool: pool)
            model.rope.apply(q, heads: c.headCount, position: position)
            model.rope.apply(k, heads: c.kvHeadCount, position: position)
            cache.keys(layer: l).advanced(by: position * c.kvDimension).update(from: k, count: c.kvDimension)
            cache.values(layer: l).advanced(by: position * c.kvDimension).update(from: v, count: c.kvDimension)
            attend(layer: l, query: q, position: position, into: attention.values)
            attention.invalidate()
            Matvec.multiply(layer.attentionOutput, attention, into: projected, precision: layerPrecision, pool: pool)
            Ops.add(x, projected, scaledBy: c.residualScale, count: c.hiddenSize)

            Ops.rmsNorm(x, weight: layer.ffnNorm, epsilon: c.rmsNormEpsilon, count: c.hiddenSize, into: normed.values)
            normed.invalidate()
            Matvec.multiply([layer.gate, layer.up], normed, into: [gate.values, up], precision: layerPrecision, pool: pool)
            Ops.swiglu(gate.values, up, count: c.intermediateSize)
            gate.invalidate()
            Matvec.multiply(layer.down, gate, into: projected, precision: layerPrecision, pool: pool)
            Ops.add(x, projected, scaledBy: c.residualScale, count: c.hiddenSize)
        }
        cache.count = position + 1
        if computeLogits { self.computeLogits() }
    }

    /// Appends one token and returns the logits for the next (in the session's buffer, as `process`).
    public func decode(_ token: Int) -> UnsafeBufferPointer<Float> {
        precondition(count < capacity, "the session's \(capacity) tokens are used up")
        step(token, computeLogits: true)
        return UnsafeBufferPointer(start: logits, count: model.config.vocabularySize)
    }

    /// logits = head(norm(x)) for the hidden state in `x`. On the int8 path the head is computed with 8-bit
    /// activations, then every token within `rescoreMargin` of the best is recomputed with float
    /// activations: the choice among near-ties is exact at a fraction of a float head's cost.
    func computeLogits() {
        let c = model.config, head = model.weights.output
        Ops.rmsNorm(x, weight: model.weights.outputNorm, epsilon: c.rmsNormEpsilon, count: c.hiddenSize, into: normed.values)
        Ops.scale(normed.values, by: 1 / c.logitScale, count: c.hiddenSize)
        normed.invalidate()
        Matvec.multiply(head, normed, into: logits, precision: layerPrecision, pool: model.pool)
        guard layerPrecision == .int8, head.type.isQuantized else { return }
        var best = -Float.infinity
        for i in 0..<c.vocabularySize { best = max(best, logits[i]) }
        let threshold = best - Self.rescoreMargin
        for i in 0..<c.vocabularySize where logits[i] >= threshold {
            logits[i] = Matvec.dot(head, row: i, normed, precision: .float)
        }
    }

    /// Larger than the error 8-bit activations cause in a head's logits (measured under 1 on SmolLM2).
    static let rescoreMargin: Float = 2

    // MARK: - Attention

    /// Causal attention of one query row at `position` (its key already cached), heads split across threads.
    func attend(layer: Int, query queries: UnsafePointer<Float>, position: Int, into out: UnsafeMutablePointer<Float>) {
        let c = model.config
        let hd = c.headDimension, group = c.headCount / c.kvHeadCount
        let keys = cache.keys(layer: layer), values = cache.values(layer: layer)
        let scale = 1 / Float(hd).squareRoot()
        let scores = self.scores, capacity = cache.capacity, kvDim = c.kvDimension
        let heads = { (range: Range<Int>) in
            for h in range {
                let kvOffset = (h / group) * hd
                Ops.attend(query: queries + h * hd, keys: keys + kvOffset, values: values + kvOffset, stride: kvDim,
                           count: position + 1, dimension: hd, scale: scale, scores: scores + h * capacity,
                           into: out + h * hd)
            }
        }
        // Short contexts are cheaper on one thread than a hand-off to the pool.
        if c.headCount * (position + 1) < 2048 { heads(0..<c.headCount) } else { model.pool.parallelFor(c.headCount, heads) }
    }
}
