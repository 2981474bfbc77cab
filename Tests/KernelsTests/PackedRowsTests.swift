// Q8_0 and Q4_1 rows repacked sixteen at a time: every 8-bit product of a packed matrix (one input or
// many, any row range) must give exactly the arithmetic written out below in plain Swift, so a sequence
// decodes the same alone, in a batch, or in a session.
import CKernels
import Foundation
import Kernels
import Testing

struct PackedRowsTests {
    /// The packed arithmetic from the file's bytes: each block's exact integer sum of weight times 8-bit
    /// activation, then total = fma(wd * xd, sum, total), and for Q4_1 total = fma(wm, xs, total).
    static func expected(_ type: TensorType, bytes: [UInt8], row: Int, columns: Int, activations x: [Float]) -> Float {
        let blocks = columns / 32, blockBytes = type == .q4_1 ? 20 : 34, rowBytes = blocks * blockBytes
        func half(_ o: Int) -> Float { Float(Float16(bitPattern: UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8)) }
        var total: Float = 0
        for b in 0..<blocks {
            let o = row * rowBytes + b * blockBytes
            // The activations' quantization (ck_quantize_row_q8a): d = max |x| / 127, round half to even.
            let values = x[(b * 32)..<(b * 32 + 32)]
            let d = values.map { abs($0) }.max()! / 127
            let inverse: Float = d != 0 ? 1 / d : 0
            let a = values.map { Int32(($0 * inverse).rounded(.toNearestOrEven)) }
            var sum: Int32 = 0
            for i in 0..<32 {
                let w = type == .q4_1
                    ? Int32(i < 16 ? bytes[o + 4 + i] & 0x0f : bytes[o + 4 + i - 16] >> 4)
                    : Int32(Int8(bitPattern: bytes[o + 2 + i]))
                sum += w * a[i]
            }
            total = total.addingProduct(half(o) * d, Float(sum))  // one rounding, as the kernel's fma
            if type == .q4_1 { total = total.addingProduct(half(o + 2), d * Float(a.reduce(0, +))) }
        }
        return total
    }

    static func randomInputs(_ count: Int, columns: Int, seed: UInt64) -> ActivationRows {
        var random = SeededRandom(seed: seed)
        let x = ActivationRows(capacity: count, columns: columns)
        for i in 0..<count * columns { x.values[i] = random.normal() }
        x.invalidate()
        return x
    }

    /// 203 rows (a short last group), 96 and 576 columns; three threads split the rows off the groups.
    @Test(arguments: [TensorType.q8_0, .q4_1], [96, 576])
    func everyProductIsTheWrittenOutArithmetic(type: TensorType, columns: Int) throws {
        let rows = 203, inputs = 17
        let bytes = RandomRows.bytes(type, rows: rows, columns: columns, seed: 31)
        let x = Self.randomInputs(inputs, columns: columns, seed: 32)
        let pool = WorkerPool(threads: 3)
        try bytes.withUnsafeBytes { raw in
            let plain = WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            let w = plain.packedForProducts()
            try #require(w.packed != nil || ck_packing_available(Int32(type.rawValue)) == 0)
            guard w.packed != nil else { return }
            var expected = [Float](repeating: 0, count: inputs * rows)
            for j in 0..<inputs {
                let row = Array(UnsafeBufferPointer(start: x.row(j), count: columns))
                for r in 0..<rows {
                    expected[j * rows + r] = Self.expected(type, bytes: bytes, row: r, columns: columns, activations: row)
                    #expect(BatchMatmul.singleDot(w, row: r, x, input: j).bitPattern == expected[j * rows + r].bitPattern,
                            "row \(r), input \(j)")
                }
            }
            // Batches of 1 to 17 inputs: full tiles of eight and every short last tile.
            for count in [1, 2, 3, 5, 7, 8, 9, 16, 17] {
                var out = [Float](repeating: .nan, count: count * rows)
                out.withUnsafeMutableBufferPointer { o in BatchMatmul.multiply([w], x, rows: count, into: [o.baseAddress!], pool: pool) }
                for j in 0..<count {
                    for r in 0..<rows {
                        #expect(out[j * rows + r].bitPattern == expected[j * rows + r].bitPattern, "row \(r), input \(j) of \(count)")
                    }
                }
            }
            // A session's product of one input, and the unpacked rows' product: close, not equal.
            let single = Activations(count: columns)
            single.values.update(from: x.row(0), count: columns)
            single.invalidate()
            var session = [Float](repeating: .nan, count: rows), unpacked = [Float](repeating: .nan, count: rows)
            session.withUnsafeMutableBufferPointer { Matvec.multiply(w, single, into: $0.baseAddress!, pool: pool) }
            unpacked.withUnsafeMutableBufferPointer { Matvec.multiply(plain, single, into: $0.baseAddress!, pool: pool) }
            for r in 0..<rows {
                #expect(session[r].bitPattern == expected[r].bitPattern, "session row \(r)")
                #expect(Matvec.dot(w, row: r, single).bitPattern == expected[r].bitPattern)
                #expect(abs(session[r] - unpacked[r]) <= 1e-4 * max(1, abs(unpacked[r])), "row \(r): \(session[r]) vs \(unpacked[r])")
            }
        }
    }

    /// Float products (prompt rows) and dequantized rows come from the packed rows with exactly the file
    /// rows' values: any range of rows, and batched float products on a pool, bit for bit.
    @Test(arguments: [TensorType.q8_0, .q4_1])
    func floatProductsAndRowsMatchTheFile(type: TensorType) throws {
        let rows = 203, columns = 576, inputs = 6
        let bytes = RandomRows.bytes(type, rows: rows, columns: columns, seed: 33)
        let x = Self.randomInputs(inputs, columns: columns, seed: 34)
        let pool = WorkerPool(threads: 3)
        try bytes.withUnsafeBytes { raw in
            let plain = WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            let w = plain.packedForProducts()
            try #require(w.packed != nil || ck_packing_available(Int32(type.rawValue)) == 0)
            for (start, count) in [(0, rows), (5, 40), (16, 16), (200, 3), (37, 1)] {
                var a = [Float](repeating: .nan, count: count * columns), b = [Float](repeating: .nan, count: count * columns)
                a.withUnsafeMutableBufferPointer { w.dequantizeRows(start, count: count, into: $0.baseAddress!) }
                b.withUnsafeMutableBufferPointer { plain.dequantizeRows(start, count: count, into: $0.baseAddress!) }
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "rows \(start)..<\(start + count)")
            }
            var a = [Float](repeating: .nan, count: inputs * rows), b = [Float](repeating: .nan, count: inputs * rows)
            a.withUnsafeMutableBufferPointer { BatchMatmul.multiply([w], x, rows: inputs, floatFrom: 0, into: [$0.baseAddress!], pool: pool) }
            b.withUnsafeMutableBufferPointer { BatchMatmul.multiply([plain], x, rows: inputs, floatFrom: 0, into: [$0.baseAddress!], pool: pool) }
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
            let single = Activations(count: columns)
            single.values.update(from: x.row(0), count: columns)
            single.invalidate()
            for r in 0..<rows {
                #expect(Matvec.dot(w, row: r, single, precision: .float).bitPattern == Matvec.dot(plain, row: r, single, precision: .float).bitPattern)
            }
        }
    }
}
