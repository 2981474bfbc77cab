// Rows repacked sixteen at a time (Q8_0, Q4_1, Q5_0, Q5_1 and the K-quants): every 8-bit product of a packed
// matrix (one input or many, any row range) must give exactly the arithmetic written out below in plain Swift
// from the file's bytes, so a sequence decodes the same alone, in a batch, or in a session. The written-out
// arithmetic reads each sub-block's scale where the file keeps it, so a misplaced scale in the packed layout fails.
import CKernels
import Foundation
import Kernels
import Testing

struct PackedRowsTests {
    /// The activations' quantization (ck_quantize_row_q8a): d = max |x| / 127, round half to even.
    static func quantized(_ values: ArraySlice<Float>) -> (d: Float, a: [Int32]) {
        let d = values.map { abs($0) }.max()! / 127
        let inverse: Float = d != 0 ? 1 / d : 0
        return (d, values.map { Int32(($0 * inverse).rounded(.toNearestOrEven)) })
    }

    /// The packed arithmetic from the file's bytes. Per 32-value block, S the exact integer sum of weight times
    /// 8-bit activation: total = fma(wd * xd, S, total), and for Q4_1 and Q5_1 total = fma(wm, xs, total).
    /// K-quants, per 32-value block: Q4_K and Q5_K total = fma(d * sc * xd, S, total), then
    /// total = fma(-(dmin * m), xs, total); Q6_K total = fma(d * xd, sc_lo * S_lo + sc_hi * S_hi, total).
    static func expected(_ type: TensorType, bytes: [UInt8], row: Int, columns: Int, activations x: [Float]) -> Float {
        if [.q4_K, .q5_K, .q6_K].contains(type) { return expectedK(type, bytes: bytes, row: row, columns: columns, activations: x) }
        let blocks = columns / 32, blockBytes = type.blockBytes, rowBytes = blocks * blockBytes
        func half(_ o: Int) -> Float { Float(Float16(bitPattern: UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8)) }
        var total: Float = 0
        for b in 0..<blocks {
            let o = row * rowBytes + b * blockBytes
            let (d, a) = quantized(x[(b * 32)..<(b * 32 + 32)])
            var sum: Int32 = 0
            for i in 0..<32 {
                let nibble = { (qs: Int) in Int32(i < 16 ? bytes[qs + i] & 0x0f : bytes[qs + i - 16] >> 4) }
                let fifth = { (qh: Int) in Int32(bytes[qh + i / 8] >> (i % 8) & 1) << 4 }
                let w: Int32 = switch type {
                case .q8_0: Int32(Int8(bitPattern: bytes[o + 2 + i]))
                case .q4_1: nibble(o + 4)
                case .q5_0: (nibble(o + 6) | fifth(o + 2)) - 16
                default: nibble(o + 8) | fifth(o + 4)  // Q5_1
                }
                sum += w * a[i]
            }
            total = total.addingProduct(half(o) * d, Float(sum))  // one rounding, as the kernel's fma
            if type == .q4_1 || type == .q5_1 { total = total.addingProduct(half(o + 2), d * Float(a.reduce(0, +))) }
        }
        return total
    }

    static func expectedK(_ type: TensorType, bytes: [UInt8], row: Int, columns: Int, activations x: [Float]) -> Float {
        let blockBytes = type.blockBytes, rowBytes = columns / 256 * blockBytes
        func half(_ o: Int) -> Float { Float(Float16(bitPattern: UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8)) }
        var total: Float = 0
        for s in 0..<columns / 256 {
            let o = row * rowBytes + s * blockBytes
            for j in 0..<8 {
                let (xd, a) = quantized(x[(s * 256 + 32 * j)..<(s * 256 + 32 * j + 32)])
                if type == .q6_K {
                    // ql[128], qh[64], scales[16] (signed), d: value 32j + l with j = 4h + k.
                    let (h, k) = (j / 4, j % 4)
                    var sums: [Int32] = [0, 0]
                    for l in 0..<32 {
                        let low = bytes[o + 64 * h + 32 * (k & 1) + l]
                        let top = bytes[o + 128 + 32 * h + l] >> (2 * k) & 3
                        let q = Int32((k < 2 ? low & 0x0f : low >> 4) | top << 4) - 32
                        sums[l / 16] += q * a[l]
                    }
                    let scaled = Int32(Int8(bitPattern: bytes[o + 192 + 2 * j])) * sums[0] + Int32(Int8(bitPattern: bytes[o + 193 + 2 * j])) * sums[1]
                    total = total.addingProduct(half(o + 208) * xd, Float(scaled))
                    continue
                }
                // d, dmin, 12 bytes of 6-bit scales and mins (ggml's get_scale_min_k4), [Q5_K: qh[32]], qs[128].
                let scales = Array(bytes[(o + 4)..<(o + 16)])
                let sc = j < 4 ? scales[j] & 63 : (scales[j + 4] & 0x0f) | (scales[j - 4] >> 6) << 4
                let m = j < 4 ? scales[j + 4] & 63 : (scales[j + 4] >> 4) | (scales[j] >> 6) << 4
                let qs = o + (type == .q5_K ? 48 : 16)
                var sum: Int32 = 0
                for l in 0..<32 {
                    let byte = bytes[qs + 32 * (j / 2) + l]
                    var q = Int32(j % 2 == 1 ? byte >> 4 : byte & 0x0f)
                    if type == .q5_K { q |= Int32(bytes[o + 16 + l] >> j & 1) << 4 }
                    sum += q * a[l]
                }
                total = total.addingProduct(half(o) * Float(sc) * xd, Float(sum))
                total = total.addingProduct(-(half(o + 2) * Float(m)), xd * Float(a.reduce(0, +)))
            }
        }
        return total
    }

    /// The same product in float from the file's dequantized row (ck_dequantize_row, checked against ggml's
    /// values elsewhere) and the dequantized activations: the written-out arithmetic must come close to it.
    static func dequantizedProduct(_ plain: WeightMatrix, row: Int, activations x: [Float]) -> (value: Double, scale: Double) {
        var w = [Float](repeating: 0, count: plain.columns)
        w.withUnsafeMutableBufferPointer { plain.dequantizeRow(row, into: $0.baseAddress!) }
        var value = 0.0, scale = 0.0
        for b in 0..<plain.columns / 32 {
            let (d, a) = quantized(x[(b * 32)..<(b * 32 + 32)])
            for i in 0..<32 {
                let term = Double(w[b * 32 + i]) * Double(d) * Double(a[i])
                value += term
                scale += abs(term)
            }
        }
        return (value, scale)
    }

    static func randomInputs(_ count: Int, columns: Int, seed: UInt64) -> ActivationRows {
        var random = SeededRandom(seed: seed)
        let x = ActivationRows(capacity: count, columns: columns)
        for i in 0..<count * columns { x.values[i] = random.normal() }
        x.invalidate()
        return x
    }

    /// 203 rows (a short last group), one or several blocks (K-quants: super-blocks); three threads split the rows
    /// off the groups.
    @Test(arguments: [(TensorType.q8_0, 96), (.q8_0, 576), (.q4_1, 96), (.q4_1, 576), (.q5_0, 96), (.q5_0, 576), (.q5_1, 576),
                      (.q4_K, 256), (.q4_K, 768), (.q5_K, 512), (.q6_K, 256), (.q6_K, 768)])
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
                    let float = Self.dequantizedProduct(plain, row: r, activations: row)
                    #expect(abs(Double(expected[j * rows + r]) - float.value) <= 1e-5 * max(1, float.scale), "row \(r), input \(j)")
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
    @Test(arguments: [TensorType.q8_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K])
    func floatProductsAndRowsMatchTheFile(type: TensorType) throws {
        let rows = 203, columns = type.blockSize == 256 ? 512 : 576, inputs = 6
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
