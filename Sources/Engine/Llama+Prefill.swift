// Prompt processing: all prompt tokens go through each layer together, so every weight matrix is
// dequantized once and multiplied with OpenBLAS sgemm (compute-bound, unlike decoding).
import Kernels

extension LlamaSession {
    /// Largest number of tokens one prefill pass handles; longer prompts go in chunks.
    static let prefillChunk = 512

    func prefill(_ tokens: [Int]) {
        var start = 0
        while start < tokens.count {
            let end = min(tokens.count, start + Self.prefillChunk)
            prefillChunk(Array(tokens[start..<end]))
            start = end
        }
    }

    /// Leaves the last token's hidden state in `x` and the whole chunk in the KV cache.
    private func prefillChunk(_ tokens: [Int]) {
        let c = model.config, w = model.weights, pool = model.pool
        let n = tokens.count, first = cache.count
        let dim = c.hiddenSize, qDim = c.queryDimension, kvDim = c.kvDimension, ffn = c.intermediateSize
        let largest = w.layers.first.map { l in
            [l.query, l.key, l.value, l.attentionOutput, l.gate, l.up, l.down].map { $0.rows * $0.columns }.max()!
        } ?? 0
        let buffers = PrefillBuffers(tokens: n, dim: dim, qDim: qDim, kvDim: kvDim, ffn: ffn, scratch: largest,
                                     scores: n * (first + n))
        defer { buffers.deallocate() }
        let hidden = buffers.hidden, normed = buffers.normed, q = buffers.q, attended = buffers.attended
        let gate = buffers.gate, up = buffers.up, projected = buffers.projected

        for (t, token) in tokens.enumerated() { w.embedding.dequantizeRow(token, into: hidden + t * dim) }
        Ops.scale(hidden, by: c.embeddingScale, count: n * dim)
        func matmul(_ m: WeightMatrix, _ input: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
            Matmul.multiply(m, input, tokens: n, into: out, scratch: buffers.scratch, scratchCount: largest, pool: pool)
        }
        for (l, layer) in w.layers.enumerated() {
            for t in 0..<n {
                Ops.rmsNorm(hidden + t * dim, weight: layer.attentionNorm, epsilon: c.rmsNormEpsilon, count: dim, into: normed + t * dim)
            }
            let keys = cache.keys(layer: l) + first * kvDim, values = cache.values(layer: l) + first * kvDim
            matmul(layer.query, normed, q)
            matmul(layer.key, normed, keys)
            matmul(layer.value, normed, values)
            for t in 0..<n {
                model.rope.apply(q + t * qDim, heads: c.headCount, position: first + t)
                model.rope.apply(keys + t * kvDim, heads: c.kvHeadCount, position: first + t)
            }
            attendBatch(layer: l, queries: q, first: first, count: n, scores: buffers.scores, into: attended)
            matmul(layer.attentionOutput, attended, projected)
            Ops.add(hidden, projected, scaledBy: c.residualScale, count: n * dim)

            for t in 0..<n {
                Ops.rmsNorm(hidden + t * dim, weight: layer.ffnNorm, epsilon: c.rmsNormEpsilon, count: dim, into: normed + t * dim)
            }
            matmul(layer.gate, normed, gate)
            matmul(layer.up, normed, up)
            Ops.swiglu(gate, up, count: n * ffn)
            matmul(layer.down, gate, projected)
            Ops.add(hidden, projected, scaledBy: c.residualScale, count: n * dim)
        }
        x.update(from: hidden + (n - 1) * dim, count: dim)
        cache.count = first + n
    }
}

extension LlamaSession {
    /// Causal attention of `count` new query rows over all cached keys, one head at a time with sgemm:
    /// S = Q_h K_h^T / sqrt(d), masked and softmaxed row by row, then O_h = S V_h.
    func attendBatch(layer: Int, queries: UnsafePointer<Float>, first: Int, count n: Int,
                     scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let c = model.config
        let hd = c.headDimension, group = c.headCount / c.kvHeadCount, total = first + n
        let keys = cache.keys(layer: layer), values = cache.values(layer: layer)
        for h in 0..<c.headCount {
            let kvOffset = (h / group) * hd
            BLAS.sgemm(m: n, n: total, k: hd, a: queries + h * hd, lda: c.queryDimension,
                       b: keys + kvOffset, ldb: c.kvDimension, transposeB: true,
                       c: scores, ldc: total, alpha: 1 / Float(hd).squareRoot())
            for t in 0..<n {
                let row = scores + t * total, visible = first + t + 1
                Ops.softmax(row, count: visible)
                (row + visible).update(repeating: 0, count: total - visible)
            }
            BLAS.sgemm(m: n, n: hd, k: total, a: scores, lda: total,
                       b: values + kvOffset, ldb: c.kvDimension,
                       c: out + h * hd, ldc: c.queryDimension)
        }
    }
}

/// The activations of a prefill chunk, row-major [token][feature].
private struct PrefillBuffers {
    let hidden, normed, q, attended, gate, up, projected, scratch, scores: UnsafeMutablePointer<Float>

    init(tokens n: Int, dim: Int, qDim: Int, kvDim: Int, ffn: Int, scratch: Int, scores: Int) {
        hidden = .allocate(capacity: n * dim)
        normed = .allocate(capacity: n * dim)
        q = .allocate(capacity: n * qDim)
        attended = .allocate(capacity: n * qDim)
        gate = .allocate(capacity: n * ffn)
        up = .allocate(capacity: n * ffn)
        projected = .allocate(capacity: n * dim)
        self.scratch = .allocate(capacity: max(1, scratch))
        self.scores = .allocate(capacity: scores)
    }

    func deallocate() {
        for p in [hidden, normed, q, attended, gate, up, projected, scratch, scores] { p.deallocate() }
    }
}
