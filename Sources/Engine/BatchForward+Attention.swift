// Attention of a batch step: each row's queries against its own sequence's KV blocks. A decoding row is
// its sequence's only row in the step, so its RoPE and key/value store run inside its attention tasks,
// one key head each, rather than in a pass of their own.
import CKernels
import Kernels

extension BatchForward {
    /// Rotates row `r`'s queries and keys and stores its keys and values, every head (prompt rows).
    func rotateAndStore(_ r: Int, _ row: BatchRow, layer: Int, table: UnsafePointer<Int32>) {
        let c = model.config, (rope, rotation) = rope(layer: layer, row: r)
        rope.apply(q + r * c.queryDimension, heads: c.headCount, rotation: rotation)
        rope.apply(k + r * c.kvDimension, heads: c.kvHeadCount, rotation: rotation)
        let block = table[row.tableStart + row.position / kv.blockTokens]
        kv.store(block: block, slot: row.position % kv.blockTokens, layer: layer, heads: 0..<c.kvHeadCount,
                 keys: k + r * c.kvDimension, values: v + r * c.kvDimension)
    }

    /// The RoPE of `layer` and row `r`'s table for it: the local one on Gemma 3's local layers, else the model's.
    func rope(layer: Int, row r: Int) -> (RoPE, UnsafeMutablePointer<Float>) {
        let hd = model.config.headDimension
        if let local = model.localRope, model.windows[layer] != nil {
            return (local, rotations + (maxRows + r) * hd)
        }
        return (model.rope, rotations + r * hd)
    }

    /// Each row's query heads against its sequence's cached positions 0...position, one task per (row, key
    /// head): the query heads sharing a key head read its keys and values once. Rows before `storingBefore`
    /// (decoding rows) first rotate that key head's queries and key and store its key and value. Tasks are
    /// split across the pool when there is enough work.
    func attend(_ rows: [BatchRow], layer: Int, table: UnsafePointer<Int32>, storingBefore decoding: Int) {
        let c = model.config, hd = c.headDimension, kvHeads = c.kvHeadCount, group = c.headCount / c.kvHeadCount
        let scale = c.attentionScale ?? 1 / Float(hd).squareRoot()
        let keyOffset = kv.keyOffset(layer: layer), valueOffset = kv.valueOffset(layer: layer)
        let kv = self.kv, (rope, firstTable) = rope(layer: layer, row: 0)
        let q = self.q, k = self.k, v = self.v, out = attended.values, qDim = c.queryDimension, kvDim = c.kvDimension
        let longest = rows.map(\.position).max().map { $0 + 1 } ?? 0
        let path = KernelPath.avx512VNNI.rawValue
        // Gemma: capped scores on every layer, a window on its local layers once a row reaches past it (portable
        // arithmetic), decided per row so that a row's numbers do not depend on the others in its step.
        let softcap = c.attentionSoftcap ?? 0
        let window = model.windows[layer]
        let tasks = { (range: Range<Int>) in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(longest * group, 1)) { scores in
                for task in range {
                    let r = task / kvHeads, row = rows[r], kh = task % kvHeads
                    let first = r * qDim + kh * group * hd
                    if r < decoding {
                        let rotation = firstTable + r * hd, head = r * kvDim + kh * hd
                        rope.apply(q + first, heads: group, rotation: rotation)
                        rope.apply(k + head, heads: 1, rotation: rotation)
                        kv.store(block: table[row.tableStart + row.position / kv.blockTokens], slot: row.position % kv.blockTokens,
                                 layer: layer, heads: kh..<kh + 1, keys: k + head, values: v + head)
                    }
                    let headOffset = kv.headOffset(kh)
                    var blocks = ck_kv_blocks(
                        base: UnsafePointer(kv.storage.assumingMemoryBound(to: UInt8.self)), table: table + row.tableStart,
                        block_bytes: kv.blockBytes, key_offset: keyOffset + headOffset, value_offset: valueOffset + headOffset,
                        block_tokens: Int64(kv.blockTokens), stride: Int64(hd), halves: kv.precision == .f16 ? 1 : 0)
                    if softcap > 0 || window.map({ row.position + 1 > $0 }) ?? false {
                        let start = window.map { max(0, row.position + 1 - $0) } ?? 0
                        for g in 0..<group {
                            ck_attend_blocks_window(q + first + g * hd, &blocks, Int64(start), Int64(row.position + 1), Int64(hd), scale,
                                                    softcap, scores.baseAddress!, out + first + g * hd)
                        }
                    } else {
                        ck_attend_blocks_group(path, q + first, Int32(group), &blocks, Int64(row.position + 1), Int64(hd), scale,
                                               scores.baseAddress!, out + first)
                    }
                }
            }
        }
        let work = rows.reduce(0) { $0 + $1.position + 1 } * c.headCount
        // Short contexts are cheaper on one thread than a hand-off to the pool.
        if work < 2048 { tasks(0..<rows.count * kvHeads) } else { model.pool.parallelFor(rows.count * kvHeads, tasks) }
    }
}
