// Quantized weights times float inputs (prompt rows) on AVX-512 (quant_prompt.c): every result is the
// arithmetic written out below from the file's dequantized values, whatever the batch, the rows' span or the
// thread split, and whether the matrix is packed or not; the bfloat16 form rounds both sides and is as batch-blind.
import CKernels
import Kernels
import Testing

struct FloatProductTests {
    /// The documented arithmetic: over each 256-value slice in order, one fused multiply-add chain from zero
    /// over its values in order; each slice's chain added to the sum of the earlier ones.
    static func expected(weights w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, columns: Int) -> Float {
        var total: Float = 0
        for first in stride(from: 0, to: columns, by: 256) {
            var chain: Float = 0
            for i in first..<min(first + 256, columns) { chain.addProduct(x[i], w[i]) }
            total = first == 0 ? chain : total + chain
        }
        return total
    }

    /// A random matrix as the file's rows and as packed rows (Q4_0 has none), and its dequantized values.
    static func matrices(_ type: TensorType, rows: Int, columns: Int, seed: UInt64,
                         _ body: (WeightMatrix, WeightMatrix, [Float]) throws -> Void) throws {
        let bytes = RandomRows.bytes(type, rows: rows, columns: columns, seed: seed)
        try bytes.withUnsafeBytes { raw in
            let plain = WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            let packed = plain.packedForProducts()
            try #require((packed.packed != nil) == (type != .q4_0))
            var dequantized = [Float](repeating: 0, count: rows * columns)
            dequantized.withUnsafeMutableBufferPointer { plain.dequantizeRows(0, count: rows, into: $0.baseAddress!) }
            try body(plain, packed, dequantized)
        }
    }

    static var spansRun: Bool { ck_packing_available(Int32(TensorType.q8_0.rawValue)) != 0 && GEMM.Path.best == .avx512 }

    /// 300 rows (two spans of rows, a short last group), slices of 256 with a short last one (576 columns) or
    /// three whole ones (768), 1 to 17 inputs (a strip of twelve and its edges), three threads splitting the
    /// rows off the groups; Q4_0 has no packed rows and goes through the transposing path.
    @Test(.enabled(if: spansRun), arguments: [(TensorType.q8_0, 576), (.q4_1, 576), (.q5_0, 576), (.q5_1, 576), (.q4_0, 576),
                                               (.q4_K, 768), (.q5_K, 512), (.q6_K, 768)])
    func floatProductsAreTheWrittenOutArithmetic(type: TensorType, columns: Int) throws {
        let rows = 300
        let pool = WorkerPool(threads: 3)
        try Self.matrices(type, rows: rows, columns: columns, seed: 61) { plain, packed, dequantized in
            for inputs in [1, 5, 12, 13, 17] {
                let x = PackedRowsTests.randomInputs(inputs, columns: columns, seed: UInt64(62 + inputs))
                for w in [plain, packed] {
                    var out = [Float](repeating: .nan, count: inputs * rows)
                    out.withUnsafeMutableBufferPointer { BatchMatmul.multiply([w], x, rows: inputs, floatFrom: 0, into: [$0.baseAddress!], pool: pool) }
                    var wrong = 0
                    dequantized.withUnsafeBufferPointer { d in
                        for j in 0..<inputs {
                            for r in 0..<rows where out[j * rows + r].bitPattern != Self.expected(weights: d.baseAddress! + r * columns, x.row(j), columns: columns).bitPattern {
                                wrong += 1
                            }
                        }
                    }
                    #expect(wrong == 0, "\(type), \(inputs) inputs, \(w.packed == nil ? "file rows" : "packed rows"): \(wrong) results differ")
                }
            }
        }
    }

    /// Rounded to nearest even, as vcvtne2ps2bf16 does.
    static func bfloat16(_ value: Float) -> Double {
        let bits = value.bitPattern
        return Double(Float(bitPattern: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000))
    }

    /// The bfloat16 form: the same result for an input alone or in any batch, packed or not; within FP32 summing
    /// error of the product of the rounded weights and inputs, and nearer to it than to the unrounded product
    /// (so the rounding is really there).
    @Test(.enabled(if: spansRun && ck_gemm_bf16_supported() != 0),
          arguments: [(TensorType.q8_0, 576), (.q5_0, 576), (.q4_0, 576), (.q4_K, 768), (.q6_K, 768)])
    func bfloat16ProductsRoundBothSidesAndDoNotDependOnTheBatch(type: TensorType, columns: Int) throws {
        let rows = 300, inputs = 13
        let x = PackedRowsTests.randomInputs(inputs, columns: columns, seed: 82)
        let pool = WorkerPool(threads: 3)
        try Self.matrices(type, rows: rows, columns: columns, seed: 81) { plain, packed, dequantized in
            func product(_ w: WeightMatrix, inputs: Int) -> [Float] {
                var out = [Float](repeating: .nan, count: inputs * rows)
                out.withUnsafeMutableBufferPointer {
                    BatchMatmul.multiply([w], x, rows: inputs, floatFrom: 0, bfloat16: true, into: [$0.baseAddress!], pool: pool)
                }
                return out
            }
            let all = product(packed, inputs: inputs)
            #expect(all.map(\.bitPattern) == product(plain, inputs: inputs).map(\.bitPattern))
            for count in [1, 12] { #expect(Array(all[0..<count * rows]).map(\.bitPattern) == product(packed, inputs: count).map(\.bitPattern)) }
            var fromRounded = 0.0, roundedFromExact = 0.0
            for j in 0..<inputs {
                for r in 0..<rows {
                    var rounded = 0.0, exact = 0.0, magnitude = 0.0
                    for i in 0..<columns {
                        let w = dequantized[r * columns + i], v = x.row(j)[i]
                        rounded += Self.bfloat16(w) * Self.bfloat16(v)
                        exact += Double(w) * Double(v)
                        magnitude += abs(Double(w) * Double(v))
                    }
                    let error = abs(Double(all[j * rows + r]) - rounded)
                    #expect(error <= 1e-5 * magnitude, "\(type) input \(j) row \(r)")
                    fromRounded += error
                    roundedFromExact += abs(rounded - exact)
                }
            }
            #expect(fromRounded < 0.1 * roundedFromExact, "\(type): \(fromRounded) from the rounded product, \(roundedFromExact) between rounded and exact")
        }
    }

    /// A range of rows handed to the product directly, off the groups and across a span, writes only its rows.
    @Test(.enabled(if: spansRun)) func aRangeWritesOnlyItsRows() {
        let rows = 300, columns = 256, inputs = 3
        let bytes = RandomRows.bytes(.q4_K, rows: rows, columns: columns, seed: 71)
        let x = PackedRowsTests.randomInputs(inputs, columns: columns, seed: 72)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: .q4_K, rows: rows, columns: columns, data: raw.baseAddress!).packedForProducts()
            var out = [Float](repeating: .nan, count: inputs * rows)
            out.withUnsafeMutableBufferPointer {
                ck_matmul_dequantized(Int32(w.type.rawValue), w.data, w.rowBytes, w.packed.map { UnsafeRawPointer($0.bytes) }, Int64(rows),
                                      Int64(columns), x.values, Int64(columns), Int64(inputs), $0.baseAddress!, Int64(rows), 7, 270)
            }
            for j in 0..<inputs {
                for r in 0..<rows { #expect(out[j * rows + r].isNaN == !(7..<270).contains(r), "input \(j), row \(r)") }
            }
        }
    }
}
