// Q5_0, Q5_1 and the K-quants: every dot body against dequantize-then-dot, and the quantizers' round trip.
// Dequantisation against the naive reference runs for every type in QuantTests.
import Kernels
import Testing

/// Activations that 8-bit quantization keeps exactly: each block of 32 is a power of two times integers in
/// [-127, 127], one of them +-127, so the dot bodies and a float dot see the same input.
enum ExactActivations {
    static func make(count: Int, seed: UInt64) -> (Activations, [Float]) {
        var random = SeededRandom(seed: seed)
        let x = Activations(count: count)
        var values = [Float](repeating: 0, count: count)
        for block in 0..<count / 32 {
            let scale = Float(sign: .plus, exponent: -7 + Int(random.next() % 6), significand: 1)
            let loudest = Int(random.next() % 32)
            for i in 0..<32 {
                let k = i == loudest ? (random.next() % 2 == 0 ? 127 : -127) : Int(random.next() % 255) - 127
                values[32 * block + i] = scale * Float(k)
                x[32 * block + i] = values[32 * block + i]
            }
        }
        return (x, values)
    }
}

struct KQuantTests {
    static let added: [TensorType] = [.q5_0, .q5_1, .q4_K, .q5_K, .q6_K]
    static let quantized = TensorType.allCases.filter(\.isQuantized)

    @Test func blockLayoutsMatchGGML() {
        let layouts = Self.added.map { "\($0) \($0.rawValue) \($0.blockSize) \($0.blockBytes)" }
        #expect(layouts == ["Q5_0 6 32 22", "Q5_1 7 32 24", "Q4_K 12 256 144", "Q5_K 13 256 176", "Q6_K 14 256 210"])
        #expect(TensorType.q4_K.rowBytes(count: 2304) == 9 * 144)
        #expect(TensorType.q6_K.rowBytes(count: 5760) == nil)
    }

    @Test(arguments: TensorType.allCases)
    func everyDequantizationPathMatchesReference(type: TensorType) {
        let rows = 3, columns = 512
        let bytes = RandomRows.bytes(type, rows: rows, columns: columns, seed: 10)
        let reference = Reference.dequantize(type, bytes: bytes, count: rows * columns)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            for path in KernelPath.available {
                var out = [Float](repeating: .nan, count: rows * columns)
                out.withUnsafeMutableBufferPointer { buffer in
                    for row in 0..<rows { w.dequantizeRow(row, into: buffer.baseAddress! + row * columns, path: path) }
                }
                #expect(out == reference, "\(type) \(path)")
            }
        }
    }

    @Test(arguments: quantized)
    func everyDotPathMatchesDequantizedDot(type: TensorType) {
        let rows = 5, columns = 768
        let bytes = RandomRows.bytes(type, rows: rows, columns: columns, seed: 11)
        let weights = Reference.dequantize(type, bytes: bytes, count: rows * columns)
        let (x, input) = ExactActivations.make(count: columns, seed: 12)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            for row in 0..<rows {
                let slice = Array(weights[row * columns..<(row + 1) * columns])
                let expected = Reference.dot(slice, input)
                let magnitude = zip(slice, input).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
                for path in KernelPath.available {
                    let fast = Matvec.dot(w, row: row, x, path: path)
                    #expect(abs(fast - expected) <= 2e-6 * magnitude + 1e-6, "\(type) \(path) row \(row): \(fast) vs \(expected)")
                }
                let dequantizing = Matvec.dot(w, row: row, x, precision: .float)
                #expect(abs(dequantizing - expected) <= 2e-6 * magnitude + 1e-6, "\(type) float row \(row)")
            }
        }
    }

    @Test(arguments: added)
    func rowsLongerThanTheActivationScaleChunkAgree(type: TensorType) {
        // 1040 activation blocks: past the 1024 whose d and s the kernels gather at a time.
        let rows = 2, columns = 1040 * 32
        let bytes = RandomRows.bytes(type, rows: rows, columns: columns, seed: 13)
        let weights = Reference.dequantize(type, bytes: bytes, count: rows * columns)
        let (x, input) = ExactActivations.make(count: columns, seed: 14)
        let pool = WorkerPool(threads: 2)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            var out = [Float](repeating: .nan, count: rows)
            out.withUnsafeMutableBufferPointer { Matvec.multiply(w, x, into: $0.baseAddress!, pool: pool) }
            for row in 0..<rows {
                let slice = Array(weights[row * columns..<(row + 1) * columns])
                let expected = Reference.dot(slice, input)
                let magnitude = zip(slice, input).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
                #expect(out[row] == Matvec.dot(w, row: row, x), "\(type) row \(row)")
                for path in KernelPath.available {
                    let fast = Matvec.dot(w, row: row, x, path: path)
                    #expect(abs(fast - expected) <= 4e-6 * magnitude + 1e-6, "\(type) \(path) row \(row): \(fast) vs \(expected)")
                }
            }
        }
    }

    /// Rows with a heavy tail, an all-positive block, an all-negative block and a zero block.
    static func testRow(count: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        var row = (0..<count).map { _ in 0.05 * random.normal() }
        for i in stride(from: 0, to: count, by: 97) { row[i] *= 8 }
        for i in 32..<64 { row[i] = abs(row[i]) + 0.01 }
        for i in 64..<96 { row[i] = -abs(row[i]) }
        for i in 96..<128 { row[i] = 0 }
        return row
    }

    /// The largest error round-to-nearest may leave in block `values` (of the type's scale group), with
    /// `superblock` the enclosing 256 values for the K-quants' shared scale steps.
    static func bound(_ type: TensorType, values: ArraySlice<Float>, superblock: ArraySlice<Float>) -> Float {
        let amax = values.map(abs).max()!, low = values.min()!, high = values.max()!
        let fp16 = Float(1) / 1024
        switch type {
        case .q8_0: return amax / 127 * (0.5 + 127 * fp16)
        case .q4_0: return amax / 8 * (1 + 8 * fp16)
        case .q5_0: return amax / 16 * (1 + 16 * fp16)
        case .q4_1: return (high - low) / 15 * (0.5 + 15 * fp16) + abs(low) * fp16
        case .q5_1: return (high - low) / 31 * (0.5 + 31 * fp16) + abs(low) * fp16
        case .q4_K, .q5_K:
            // Half a step (the sub-block's range over the levels, plus one 6-bit step of d) and half a
            // 6-bit step of the min.
            let levels: Float = type == .q4_K ? 15 : 31
            let groups = stride(from: superblock.startIndex, to: superblock.endIndex, by: 32).map { superblock[$0..<$0 + 32] }
            let maxScale = groups.map { ($0.max()! - min($0.min()!, 0)) / levels }.max()!
            let maxMin = groups.map { -min($0.min()!, 0) }.max()!
            let scale = (high - min(low, 0)) / levels
            return 0.5 * (scale + maxScale / 63) * (1 + fp16) + 0.5 * maxMin / 63 * (1 + fp16) + 1e-7
        case .q6_K:
            // One step: the value opposite the largest magnitude clips from +32 to 31.
            let superAmax = superblock.map(abs).max()!
            return (amax / 32 + superAmax / 4096) * (1 + 2 * fp16) + 1e-7
        case .f32, .f16, .bf16: return 0
        }
    }

    @Test(arguments: quantized)
    func quantizerRoundTripStaysWithinHalfAStep(type: TensorType) {
        let count = 1024
        for seed in UInt64(20)..<UInt64(24) {
            let row = Self.testRow(count: count, seed: seed)
            let bytes = Quantize.row(row, to: type)
            #expect(bytes.count == type.rowBytes(count: count))
            let decoded = Reference.dequantize(type, bytes: bytes, count: count)
            let group = type == .q6_K ? 16 : 32
            for start in stride(from: 0, to: count, by: group) {
                let superStart = start / type.blockSize * type.blockSize
                let limit = Self.bound(type, values: row[start..<start + group],
                                       superblock: row[superStart..<superStart + type.blockSize])
                let worst = (start..<start + group).map { abs(decoded[$0] - row[$0]) }.max()!
                #expect(worst <= limit, "\(type) seed \(seed) values \(start)..<\(start + group): error \(worst) > \(limit)")
            }
            // Zero blocks stay exactly zero.
            #expect((96..<128).allSatisfy { decoded[$0] == 0 }, "\(type)")
        }
    }

    @Test func floatTypesRoundTrip() {
        let row = Self.testRow(count: 256, seed: 30)
        #expect(Reference.dequantize(.f32, bytes: Quantize.row(row, to: .f32), count: 256) == row)
        #expect(Reference.dequantize(.f16, bytes: Quantize.row(row, to: .f16), count: 256) == row.map { Float(Float16($0)) })
        let bf16 = Reference.dequantize(.bf16, bytes: Quantize.row(row, to: .bf16), count: 256)
        #expect(zip(bf16, row).allSatisfy { abs($0 - $1) <= abs($1) / 256 })
    }
}
