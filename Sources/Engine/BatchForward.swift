// One forward pass over the rows of a batch step: each row is one token of one sequence (a decode token,
// or one of a prompt's tokens), every weight matrix is read once for all rows, and each row attends over
// its own sequence's KV blocks. A row's numbers depend only on its token, its position and its sequence's
// cache, never on the other rows: a sequence decodes the same alone, in any batch, with or without
// shared prefix blocks.
import CKernels
import Kernels

/// One token of one sequence in a step.
struct BatchRow {
    let token: Int
    let position: Int
    /// Where the sequence's block table starts in the step's flat table.
    let tableStart: Int
    /// The index of this row's logits in the step's output, when the row's next token is sampled.
    let logitsIndex: Int?
    /// Whether its products take float activations (a prompt token at float or bf16 prompt precision, or any token at float
    /// precision); 8-bit ones otherwise. Float rows come after all 8-bit rows in a step.
    let floatActivations: Bool
    /// Float activations rounded to bfloat16 with the dequantized weights (a prompt token at bf16 prompt precision);
    /// a step's float rows are all bfloat16 or none.
    var bfloat16 = false
    /// A prompt token. Prompt rows come after the generated tokens' rows in a step, and store their keys and values
    /// before any row attends (a prompt's later rows read them); a generated token's row is its sequence's only one.
    let prompt: Bool
}

final class BatchForward {
    let model: LlamaModel
    let kv: KVBlockPool
    let maxRows: Int
    let maxLogitRows: Int
    /// The output head with float activations (float precision) rather than 8-bit ones with near-ties rescored.
    let floatHead: Bool
    private let hidden: UnsafeMutablePointer<Float>
    private let normed: ActivationRows
    let q, k, v: UnsafeMutablePointer<Float>
    let attended: ActivationRows
    private let projected: UnsafeMutablePointer<Float>
    private let gate: ActivationRows
    private let up: UnsafeMutablePointer<Float>
    private let headInput: ActivationRows
    /// Each row's RoPE cosines and sines, computed once per step for all layers; with a local RoPE (Gemma 3) its
    /// tables follow, from row `maxRows` on.
    let rotations: UnsafeMutablePointer<Float>
    let logits: UnsafeMutablePointer<Float>

    init(model: LlamaModel, kv: KVBlockPool, maxRows: Int, maxLogitRows: Int, floatHead: Bool = false) {
        self.model = model
        self.kv = kv
        self.maxRows = maxRows
        self.maxLogitRows = maxLogitRows
        self.floatHead = floatHead
        let c = model.config
        hidden = .allocate(capacity: maxRows * c.hiddenSize)
        normed = ActivationRows(capacity: maxRows, columns: c.hiddenSize)
        q = .allocate(capacity: maxRows * c.queryDimension)
        k = .allocate(capacity: maxRows * c.kvDimension)
        v = .allocate(capacity: maxRows * c.kvDimension)
        attended = ActivationRows(capacity: maxRows, columns: c.queryDimension)
        projected = .allocate(capacity: maxRows * c.hiddenSize)
        gate = ActivationRows(capacity: maxRows, columns: c.intermediateSize)
        up = .allocate(capacity: maxRows * c.intermediateSize)
        headInput = ActivationRows(capacity: maxLogitRows, columns: c.hiddenSize)
        logits = .allocate(capacity: maxLogitRows * c.vocabularySize)
        rotations = .allocate(capacity: maxRows * c.headDimension * (model.localRope == nil ? 1 : 2))
    }

    deinit {
        for p in [hidden, q, k, v, projected, up, logits, rotations] { p.deallocate() }
    }

    /// Runs the rows through the model, storing their keys and values in their sequences' blocks
    /// (`table` holds every sequence's block ids); fills `logits` for the rows that ask for them, and with
    /// `finalHidden` each row's last hidden state after the output norm (row-major, `hiddenSize` a row).
    /// Per-row work between the products runs across the pool, one row per task, each row's arithmetic
    /// as on one thread: the residual adds share a pass with the norm that follows them, and a decoding
    /// row's RoPE and key/value store run inside its attention tasks.
    func run(_ rows: [BatchRow], table: UnsafePointer<Int32>, finalHidden: UnsafeMutablePointer<Float>? = nil) {
        precondition(rows.count <= maxRows, "\(rows.count) rows exceed the step's \(maxRows)")
        let c = model.config, w = model.weights, pool = model.pool, rope = model.rope
        let n = rows.count, dim = c.hiddenSize, ffn = c.intermediateSize, hd = c.headDimension
        let floatFrom = rows.firstIndex(where: \.floatActivations) ?? n
        precondition(rows[floatFrom...].allSatisfy(\.floatActivations), "float rows must follow the 8-bit rows")
        let bfloat16 = floatFrom < n && rows[floatFrom].bfloat16
        precondition(rows[floatFrom...].allSatisfy { $0.bfloat16 == bfloat16 }, "a step's float rows are all bfloat16 or none")
        // Rows from here on store their keys and values before attention: every prompt row, and all rows of a float step.
        let storedFrom = min(floatFrom, rows.firstIndex(where: \.prompt) ?? n)
        precondition(rows[storedFrom...].allSatisfy { $0.prompt || $0.floatActivations }, "prompt rows must follow the generated tokens' rows")
        for row in rows {
            if let index = row.logitsIndex { precondition(index < maxLogitRows, "logits row \(index) beyond \(maxLogitRows)") }
        }
        let hidden = self.hidden, projected = self.projected, up = self.up, gate = self.gate, rotations = self.rotations
        eachRow(n) { r in
            w.embedding.dequantizeRow(rows[r].token, into: hidden + r * dim)
            rope.rotation(position: rows[r].position, into: rotations + r * hd)
            model.localRope?.rotation(position: rows[r].position, into: rotations + (maxRows + r) * hd)
            // MiniCPM's scales (1 for Llama), where a session applies them.
            Ops.scale(hidden + r * dim, by: c.embeddingScale, count: dim)
            normForNextProduct(r, rows[r], layer: 0, finalHidden: finalHidden)
        }

        for (l, layer) in w.layers.enumerated() {
            normed.invalidate()
            BatchMatmul.multiply([layer.query, layer.key, layer.value], normed, rows: n, floatFrom: floatFrom, bfloat16: bfloat16, into: [q, k, v], pool: pool)
            if Self.reshapes(layer) { eachRow(n) { r in shapeProjections(r, layer: layer) } }
            // A prompt's rows store their keys and values before any row attends: its later rows read them.
            eachRow(n - storedFrom) { i in rotateAndStore(storedFrom + i, rows[storedFrom + i], layer: l, table: table) }
            attend(rows, layer: l, table: table, storingBefore: storedFrom)
            attended.invalidate()
            BatchMatmul.multiply([layer.attentionOutput], attended, rows: n, floatFrom: floatFrom, bfloat16: bfloat16, into: [projected], pool: pool)
            eachRow(n) { r in
                if let bias = layer.attentionOutputBias { Ops.add(projected + r * dim, bias, count: dim) }
                if let post = layer.postNorms {
                    Ops.rmsNorm(projected + r * dim, weight: post.attention, epsilon: c.rmsNormEpsilon, count: dim, into: projected + r * dim)
                }
                Ops.add(hidden + r * dim, projected + r * dim, scaledBy: c.residualScale, count: dim)
                norm(hidden + r * dim, layer.ffnNorm, bias: layer.ffnNormBias, into: normed.row(r))
            }
            normed.invalidate()
            if let gateMatrix = layer.gate {
                BatchMatmul.multiply([gateMatrix, layer.up], normed, rows: n, floatFrom: floatFrom, bfloat16: bfloat16, into: [gate.values, up], pool: pool)
                let geglu = c.features.mlp == .geglu
                eachRow(n) { r in
                    if geglu { Ops.geglu(gate.row(r), up + r * ffn, count: ffn) } else { Ops.swiglu(gate.row(r), up + r * ffn, count: ffn) }
                }
            } else {
                // A GELU MLP: one up product, through GELU, read by the down product.
                BatchMatmul.multiply([layer.up], normed, rows: n, floatFrom: floatFrom, bfloat16: bfloat16, into: [gate.values], pool: pool)
                let tanh = c.features.mlp == .geluTanh
                eachRow(n) { r in
                    if let bias = layer.upBias { Ops.add(gate.row(r), bias, count: ffn) }
                    Ops.gelu(gate.row(r), count: ffn, tanhApproximation: tanh)
                }
            }
            gate.invalidate()
            BatchMatmul.multiply([layer.down], gate, rows: n, floatFrom: floatFrom, bfloat16: bfloat16, into: [projected], pool: pool)
            eachRow(n) { r in
                if let bias = layer.downBias { Ops.add(projected + r * dim, bias, count: dim) }
                if let post = layer.postNorms {
                    Ops.rmsNorm(projected + r * dim, weight: post.ffn, epsilon: c.rmsNormEpsilon, count: dim, into: projected + r * dim)
                }
                Ops.add(hidden + r * dim, projected + r * dim, scaledBy: c.residualScale, count: dim)
                normForNextProduct(r, rows[r], layer: l + 1, finalHidden: finalHidden)
            }
        }
        computeLogits(rows)
    }

    /// Runs body for rows 0..<count, across the pool when there are enough of them to repay the hand-off.
    private func eachRow(_ count: Int, _ body: (Int) -> Void) {
        if count < Self.parallelRows {
            for r in 0..<count { body(r) }
        } else {
            model.pool.parallelFor(count) { range in for r in range { body(r) } }
        }
    }

    /// Fewer rows than this run their per-row work on the calling thread.
    static let parallelRows = 4

    /// The model's norm of one row: RMSNorm, or LayerNorm with its bias (StarCoder2).
    private func norm(_ x: UnsafePointer<Float>, _ weight: [Float], bias: [Float]?, into out: UnsafeMutablePointer<Float>) {
        let c = model.config
        if c.features.layerNorm {
            if let bias {
                Ops.layerNorm(x, weight: weight, bias: bias, epsilon: c.rmsNormEpsilon, count: c.hiddenSize, into: out)
            } else {
                Ops.layerNorm(x, weight: weight, bias: nil, epsilon: c.rmsNormEpsilon, count: c.hiddenSize, into: out)
            }
        } else {
            Ops.rmsNorm(x, weight: weight, epsilon: c.rmsNormEpsilon, count: c.hiddenSize, into: out)
        }
    }

    /// The norm the next product reads: layer `layer`'s attention norm into `normed`, or past the last
    /// layer the output norm into `finalHidden` and, divided by the logit scale, the head's input (sampling rows).
    private func normForNextProduct(_ r: Int, _ row: BatchRow, layer: Int, finalHidden: UnsafeMutablePointer<Float>?) {
        let c = model.config, w = model.weights, x = hidden + r * c.hiddenSize
        if layer < w.layers.count {
            norm(x, w.layers[layer].attentionNorm, bias: w.layers[layer].attentionNormBias, into: normed.row(r))
            return
        }
        if let finalHidden {
            norm(x, w.outputNorm, bias: w.outputNormBias, into: finalHidden + r * c.hiddenSize)
        }
        if let index = row.logitsIndex {
            norm(x, w.outputNorm, bias: w.outputNormBias, into: headInput.row(index))
            Ops.scale(headInput.row(index), by: 1 / c.logitScale, count: c.hiddenSize)
        }
    }

    /// logits = head(norm(x)) for the rows that sample (their norms were taken after the last layer): with
    /// float activations at float precision; else 8-bit ones, then every token within `rescoreMargin` of the best
    /// recomputed with float activations, so the choice among near-ties is exact at a fraction of a float head's cost.
    private func computeLogits(_ rows: [BatchRow]) {
        let head = model.weights.output, vocabulary = model.config.vocabularySize
        let count = rows.reduce(0) { max($0, ($1.logitsIndex ?? -1) + 1) }
        guard count > 0 else { return }
        // Gemma 2 caps its logits; the cap keeps their order, so the near-tie rescoring below is unchanged.
        defer {
            if let cap = model.config.logitSoftcap {
                for i in 0..<count { Ops.softcap(logits + i * vocabulary, cap: cap, count: vocabulary) }
            }
        }
        headInput.invalidate()
        BatchMatmul.multiply([head], headInput, rows: count, floatFrom: floatHead ? 0 : nil, into: [logits], pool: model.pool)
        guard head.type.isQuantized, !floatHead else { return }
        let logits = self.logits, headInput = self.headInput
        let rescore = { (range: Range<Int>) in
            for i in range {
                let row = logits + i * vocabulary, threshold = Self.rescoreThreshold(row, count: vocabulary)
                for t in 0..<vocabulary where row[t] >= threshold {
                    row[t] = BatchMatmul.floatDot(head, row: t, headInput.row(i))
                }
            }
        }
        guard count == 1 else { return model.pool.parallelFor(count, rescore) }
        // A single sequence's step: its near-ties across the pool when there are many (a flat distribution), else
        // here, cheaper than a hand-off. Each token's rescored logit is the same either way.
        let threshold = Self.rescoreThreshold(logits, count: vocabulary)
        let ties = (0..<vocabulary).filter { logits[$0] >= threshold }
        let rescoreTies = { (range: Range<Int>) in
            for t in ties[range] { logits[t] = BatchMatmul.floatDot(head, row: t, headInput.row(0)) }
        }
        if ties.count < Self.parallelTies { rescoreTies(0..<ties.count) } else { model.pool.parallelFor(ties.count, rescoreTies) }
    }

    /// The lowest 8-bit logit of a row that is rescored: the best minus `rescoreMargin`.
    private static func rescoreThreshold(_ row: UnsafePointer<Float>, count: Int) -> Float {
        var best = -Float.infinity
        for t in 0..<count { best = max(best, row[t]) }
        return best - rescoreMargin
    }

    /// Near-ties of one row from which rescoring them is split across the pool (each is a dequantized row's dot product).
    static let parallelTies = 64

    /// Larger than the error 8-bit activations cause in a head's logits (measured under 1 on SmolLM2).
    static let rescoreMargin: Float = 2
}
