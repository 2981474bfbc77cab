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
    /// A prompt token: its products take float activations (as a session's prefill), a generated
    /// token's take 8-bit ones. Prompt rows come after all generated-token rows in a step.
    let isPrompt: Bool
}

final class BatchForward {
    let model: LlamaModel
    let kv: KVBlockPool
    let maxRows: Int
    let maxLogitRows: Int
    private let hidden: UnsafeMutablePointer<Float>
    private let normed: ActivationRows
    private let q, k, v: UnsafeMutablePointer<Float>
    private let attended: ActivationRows
    private let projected: UnsafeMutablePointer<Float>
    private let gate: ActivationRows
    private let up: UnsafeMutablePointer<Float>
    private let headInput: ActivationRows
    /// Each row's RoPE cosines and sines, computed once per step for all layers.
    private let rotations: UnsafeMutablePointer<Float>
    let logits: UnsafeMutablePointer<Float>

    init(model: LlamaModel, kv: KVBlockPool, maxRows: Int, maxLogitRows: Int) {
        self.model = model
        self.kv = kv
        self.maxRows = maxRows
        self.maxLogitRows = maxLogitRows
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
        rotations = .allocate(capacity: maxRows * c.headDimension)
    }

    deinit {
        for p in [hidden, q, k, v, projected, up, logits, rotations] { p.deallocate() }
    }

    /// Runs the rows through the model, storing their keys and values in their sequences' blocks
    /// (`table` holds every sequence's block ids); fills `logits` for the rows that ask for them.
    func run(_ rows: [BatchRow], table: UnsafePointer<Int32>) {
        precondition(rows.count <= maxRows, "\(rows.count) rows exceed the step's \(maxRows)")
        let c = model.config, w = model.weights, pool = model.pool
        let n = rows.count, dim = c.hiddenSize, qDim = c.queryDimension, kvDim = c.kvDimension, ffn = c.intermediateSize
        let floatFrom = rows.firstIndex(where: \.isPrompt) ?? n
        precondition(rows[floatFrom...].allSatisfy(\.isPrompt), "prompt rows must follow the generated-token rows")
        for (r, row) in rows.enumerated() {
            w.embedding.dequantizeRow(row.token, into: hidden + r * dim)
            model.rope.rotation(position: row.position, into: rotations + r * c.headDimension)
        }
        // MiniCPM's scales (1 for Llama), where a session applies them.
        Ops.scale(hidden, by: c.embeddingScale, count: n * dim)

        for (l, layer) in w.layers.enumerated() {
            for r in 0..<n {
                Ops.rmsNorm(hidden + r * dim, weight: layer.attentionNorm, epsilon: c.rmsNormEpsilon, count: dim, into: normed.row(r))
            }
            normed.invalidate()
            BatchMatmul.multiply([layer.query, layer.key, layer.value], normed, rows: n, floatFrom: floatFrom, into: [q, k, v], pool: pool)
            for (r, row) in rows.enumerated() {
                model.rope.apply(q + r * qDim, heads: c.headCount, rotation: rotations + r * c.headDimension)
                model.rope.apply(k + r * kvDim, heads: c.kvHeadCount, rotation: rotations + r * c.headDimension)
                let block = table[row.tableStart + row.position / kv.blockTokens]
                kv.store(block: block, slot: row.position % kv.blockTokens, layer: l, keys: k + r * kvDim, values: v + r * kvDim)
            }
            attend(rows, layer: l, table: table)
            attended.invalidate()
            BatchMatmul.multiply([layer.attentionOutput], attended, rows: n, floatFrom: floatFrom, into: [projected], pool: pool)
            Ops.add(hidden, projected, scaledBy: c.residualScale, count: n * dim)

            for r in 0..<n {
                Ops.rmsNorm(hidden + r * dim, weight: layer.ffnNorm, epsilon: c.rmsNormEpsilon, count: dim, into: normed.row(r))
            }
            normed.invalidate()
            BatchMatmul.multiply([layer.gate, layer.up], normed, rows: n, floatFrom: floatFrom, into: [gate.values, up], pool: pool)
            Ops.swiglu(gate.values, up, count: n * ffn)
            gate.invalidate()
            BatchMatmul.multiply([layer.down], gate, rows: n, floatFrom: floatFrom, into: [projected], pool: pool)
            Ops.add(hidden, projected, scaledBy: c.residualScale, count: n * dim)
        }
        computeLogits(rows)
    }

    /// Each row's query heads against its sequence's cached positions 0...position, one task per (row, key
    /// head): the query heads sharing a key head read its keys and values once. Tasks are split across
    /// the pool when there is enough work.
    private func attend(_ rows: [BatchRow], layer: Int, table: UnsafePointer<Int32>) {
        let c = model.config, hd = c.headDimension, kvHeads = c.kvHeadCount, group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(hd).squareRoot()
        let keyOffset = kv.keyOffset(layer: layer), valueOffset = kv.valueOffset(layer: layer)
        let element = kv.precision.bytes, kv = self.kv
        let q = self.q, out = attended.values, qDim = c.queryDimension
        let longest = rows.map(\.position).max().map { $0 + 1 } ?? 0
        let path = KernelPath.avx512VNNI.rawValue
        let tasks = { (range: Range<Int>) in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(longest * group, 1)) { scores in
                for task in range {
                    let r = task / kvHeads, row = rows[r], kh = task % kvHeads
                    let headOffset = kh * hd * element
                    var blocks = ck_kv_blocks(
                        base: UnsafePointer(kv.storage.assumingMemoryBound(to: UInt8.self)), table: table + row.tableStart,
                        block_bytes: kv.blockBytes, key_offset: keyOffset + headOffset, value_offset: valueOffset + headOffset,
                        block_tokens: Int64(kv.blockTokens), stride: Int64(c.kvDimension), halves: kv.precision == .f16 ? 1 : 0)
                    let first = r * qDim + kh * group * hd
                    ck_attend_blocks_group(path, q + first, Int32(group), &blocks, Int64(row.position + 1), Int64(hd), scale,
                                           scores.baseAddress!, out + first)
                }
            }
        }
        let work = rows.reduce(0) { $0 + $1.position + 1 } * c.headCount
        // Short contexts are cheaper on one thread than a hand-off to the pool.
        if work < 2048 { tasks(0..<rows.count * kvHeads) } else { model.pool.parallelFor(rows.count * kvHeads, tasks) }
    }

    /// logits = head(norm(x)) for the rows that sample; 8-bit activations, then every token within
    /// `LlamaSession.rescoreMargin` of the best recomputed with float activations, as a session does.
    private func computeLogits(_ rows: [BatchRow]) {
        let c = model.config, head = model.weights.output, dim = c.hiddenSize, vocabulary = c.vocabularySize
        var count = 0
        for (r, row) in rows.enumerated() {
            guard let index = row.logitsIndex else { continue }
            precondition(index < maxLogitRows, "logits row \(index) beyond \(maxLogitRows)")
            Ops.rmsNorm(hidden + r * dim, weight: model.weights.outputNorm, epsilon: c.rmsNormEpsilon, count: dim,
                        into: headInput.row(index))
            Ops.scale(headInput.row(index), by: 1 / c.logitScale, count: dim)
            count = max(count, index + 1)
        }
        guard count > 0 else { return }
        headInput.invalidate()
        BatchMatmul.multiply([head], headInput, rows: count, into: [logits], pool: model.pool)
        guard head.type.isQuantized else { return }
        let logits = self.logits, headInput = self.headInput
        model.pool.parallelFor(count) { range in
            for i in range {
                let row = logits + i * vocabulary
                var best = -Float.infinity
                for t in 0..<vocabulary { best = max(best, row[t]) }
                let threshold = best - LlamaSession.rescoreMargin
                for t in 0..<vocabulary where row[t] >= threshold {
                    row[t] = BatchMatmul.floatDot(head, row: t, headInput.row(i))
                }
            }
        }
    }
}
