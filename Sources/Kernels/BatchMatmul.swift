// Products of weight matrices with several input rows at once (batched decoding): every weight row is
// read once for all inputs. Each output equals the single-input product bit for bit (see ck_batch.h),
// so a sequence computes the same numbers whatever else is in its batch.
import CKernels

/// Input rows for batched products, row-major [row][columns], kept as floats and as 8-bit blocks.
public final class ActivationRows: @unchecked Sendable {
    public let capacity: Int
    public let columns: Int
    public let values: UnsafeMutablePointer<Float>
    let blocks: UnsafeMutablePointer<ck_block_q8a>
    /// Each quantized block's two half sums (ck_q8a_sums), made with the blocks: packed products read them.
    let sums: UnsafeMutablePointer<Int32>
    /// Rows quantized since the last write (0 when the blocks are stale).
    private var quantizedRows = 0

    public init(capacity: Int, columns: Int) {
        precondition(columns % 32 == 0, "activation rows of \(columns) values are not a multiple of 32")
        self.capacity = capacity
        self.columns = columns
        values = .allocate(capacity: capacity * columns)
        values.initialize(repeating: 0, count: capacity * columns)
        blocks = .allocate(capacity: capacity * columns / 32)
        sums = .allocate(capacity: capacity * columns / 16)
    }

    deinit {
        values.deallocate()
        blocks.deallocate()
        sums.deallocate()
    }

    public func row(_ index: Int) -> UnsafeMutablePointer<Float> { values + index * columns }

    /// Call after writing `values`, so the next product re-quantizes.
    public func invalidate() { quantizedRows = 0 }

    func quantized(rows: Int) -> UnsafePointer<ck_block_q8a> {
        if quantizedRows < rows {
            for r in quantizedRows..<rows {
                ck_quantize_row_q8a(row(r), blocks + r * columns / 32, Int64(columns))
                ck_q8a_sums(blocks + r * columns / 32, Int64(columns / 32), sums + r * columns / 16)
            }
            quantizedRows = rows
        }
        return UnsafePointer(blocks)
    }
}

public enum BatchMatmul {
    /// outs[i][j * ws[i].rows + r] = ws[i] row r . input row j, for the first `rows` inputs: several
    /// matrices over the same inputs in one pass of the pool (q, k, v; gate, up). Quantized weights take
    /// 8-bit activations for inputs before `floatFrom` and float activations from there on (prompt
    /// tokens, read as precisely as a session's prefill; `bfloat16` rounds them and the dequantized weights to
    /// bfloat16); float weights always take float activations.
    public static func multiply(_ ws: [WeightMatrix], _ x: ActivationRows, rows: Int, floatFrom: Int? = nil, bfloat16: Bool = false,
                                into outs: [UnsafeMutablePointer<Float>], pool: WorkerPool) {
        precondition(ws.count == outs.count, "batched matmul: \(ws.count) matrices, \(outs.count) outputs")
        precondition(rows <= x.capacity, "batched matmul: \(rows) rows, room for \(x.capacity)")
        for w in ws { precondition(w.columns == x.columns, "batched matmul: inputs have \(x.columns) values, matrix has \(w.columns) columns") }
        guard rows > 0 else { return }
        let split = min(floatFrom ?? rows, rows)
        let quantized = ws.contains { $0.type.isQuantized } && split > 0 ? x.quantized(rows: split) : nil
        let blocksPerRow = Int64(x.columns / 32)
        let total = ws.reduce(0) { $0 + $1.rows }
        pool.parallelFor(total) { range in
            var offset = 0
            for (w, out) in zip(ws, outs) {
                let lower = max(range.lowerBound - offset, 0), upper = min(range.upperBound - offset, w.rows)
                if lower < upper {
                    if w.type.isQuantized {
                        if let quantized, let packed = w.packed {
                            ck_matmul_packed(Int32(w.type.rawValue), packed.bytes, Int64(w.rows), Int64(w.columns), quantized,
                                             blocksPerRow, x.sums, Int64(split), out, Int64(w.rows), Int64(lower), Int64(upper))
                        } else if let quantized {
                            ck_matmul_q8a(Int32(w.type.rawValue), w.data, w.rowBytes, Int64(w.columns), quantized, blocksPerRow,
                                          Int64(split), out, Int64(w.rows), Int64(lower), Int64(upper))
                        }
                        if split < rows {
                            let product = bfloat16 ? ck_matmul_dequantized_bf16 : ck_matmul_dequantized
                            product(Int32(w.type.rawValue), w.data, w.rowBytes, w.packed.map { UnsafeRawPointer($0.bytes) },
                                    Int64(w.rows), Int64(w.columns), x.row(split), Int64(x.columns), Int64(rows - split),
                                    out + split * w.rows, Int64(w.rows), Int64(lower), Int64(upper))
                        }
                    } else {
                        ck_matmul_float(Int32(w.type.rawValue), w.data, w.rowBytes, Int64(w.columns), x.values, Int64(x.columns),
                                        Int64(rows), out, Int64(w.rows), Int64(lower), Int64(upper))
                    }
                }
                offset += w.rows
            }
        }
    }

    /// One row of `w` against float activations, dequantizing as it goes (the exact rescoring of near-ties).
    public static func floatDot(_ w: WeightMatrix, row: Int, _ x: UnsafePointer<Float>) -> Float {
        if w.type.isQuantized { return ck_dot_dequantized(Int32(w.type.rawValue), w.rowPointer(row), x, Int64(w.columns)) }
        return ck_dot_float(Int32(w.type.rawValue), w.rowPointer(row), x, Int64(w.columns))
    }

    /// One row through the single-input fast path (tests compare the batched product with it).
    public static func singleDot(_ w: WeightMatrix, row: Int, _ x: ActivationRows, input: Int) -> Float {
        if w.type.isQuantized {
            let blocks = x.quantized(rows: input + 1) + input * x.columns / 32
            if let packed = w.packed { return ck_dot_packed_row(Int32(w.type.rawValue), packed.bytes, Int64(row), Int64(w.columns), blocks) }
            return ck_dot_quantized(Int32(w.type.rawValue), w.rowPointer(row), blocks, Int64(w.columns / 32))
        }
        return ck_dot_float(Int32(w.type.rawValue), w.rowPointer(row), x.row(input), Int64(w.columns))
    }
}
