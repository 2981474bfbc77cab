// Dequantisation, dot products and matrix products of every tensor type against naive reference loops.
import Foundation
import Kernels
import Testing

/// Random rows in a tensor type's byte layout, with sane fp16 scales.
enum RandomRows {
    static func bytes(_ type: TensorType, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        func half(_ value: Float) -> [UInt8] {
            let bits = Float16(value).bitPattern
            return [UInt8(bits & 0xff), UInt8(bits >> 8)]
        }
        var out: [UInt8] = []
        for _ in 0..<rows {
            switch type {
            case .f32:
                for _ in 0..<columns { out += withUnsafeBytes(of: random.normal().bitPattern.littleEndian, Array.init) }
            case .f16:
                for _ in 0..<columns { out += half(random.normal()) }
            case .bf16:
                for _ in 0..<columns {
                    let bits = random.normal().bitPattern >> 16
                    out += [UInt8(bits & 0xff), UInt8(bits >> 8)]
                }
            case .q8_0, .q4_0, .q4_1:
                for _ in 0..<columns / 32 {
                    out += half(0.01 + 0.05 * abs(random.normal()))
                    if type == .q4_1 { out += half(0.3 * random.normal()) }
                    let count = type == .q8_0 ? 32 : 16
                    for _ in 0..<count { out.append(UInt8(truncatingIfNeeded: random.next())) }
                }
            case .q5_0, .q5_1:
                for _ in 0..<columns / 32 {
                    out += half(0.01 + 0.03 * abs(random.normal()))
                    if type == .q5_1 { out += half(0.3 * random.normal()) }
                    for _ in 0..<20 { out.append(UInt8(truncatingIfNeeded: random.next())) }
                }
            case .q4_K, .q5_K:
                for _ in 0..<columns / 256 {
                    out += half(0.001 + 0.004 * abs(random.normal())) + half(0.001 + 0.004 * abs(random.normal()))
                    for _ in 0..<(type == .q4_K ? 140 : 172) { out.append(UInt8(truncatingIfNeeded: random.next())) }
                }
            case .q6_K:
                for _ in 0..<columns / 256 {
                    for _ in 0..<208 { out.append(UInt8(truncatingIfNeeded: random.next())) }
                    out += half(0.0005 + 0.002 * abs(random.normal()))
                }
            }
        }
        return out
    }
}

struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    /// Roughly normal: the sum of four uniforms, centred and scaled.
    mutating func normal() -> Float {
        var sum: Float = 0
        for _ in 0..<4 { sum += Float(next() >> 40) / Float(1 << 24) }
        return (sum - 2) * 1.7
    }
}

struct QuantTests {
    static let rows = 7, columns = 256

    func matrix(_ type: TensorType, _ bytes: [UInt8], body: (WeightMatrix) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { raw in
            try body(WeightMatrix(type: type, rows: Self.rows, columns: Self.columns, data: raw.baseAddress!))
        }
    }

    @Test(arguments: TensorType.allCases)
    func dequantizationMatchesReference(type: TensorType) {
        let bytes = RandomRows.bytes(type, rows: Self.rows, columns: Self.columns, seed: 1)
        let reference = Reference.dequantize(type, bytes: bytes, count: Self.rows * Self.columns)
        matrix(type, bytes) { w in
            #expect(w.dequantized() == reference)
        }
    }

    @Test(arguments: TensorType.allCases)
    func dotProductsMatchReference(type: TensorType) {
        let bytes = RandomRows.bytes(type, rows: Self.rows, columns: Self.columns, seed: 2)
        let weights = Reference.dequantize(type, bytes: bytes, count: Self.rows * Self.columns)
        var random = SeededRandom(seed: 3)
        let x = Activations(count: Self.columns)
        for i in 0..<Self.columns { x[i] = random.normal() }
        let input = (0..<Self.columns).map { x[$0] }
        let maxInput = input.map(abs).max()!
        matrix(type, bytes) { w in
            for row in 0..<Self.rows {
                let expected = Reference.dot(Array(weights[row * Self.columns..<(row + 1) * Self.columns]), input)
                let exact = Matvec.dot(w, row: row, x, precision: .float)
                #expect(abs(exact - expected) <= 1e-4 * max(1, abs(expected)), "row \(row)")
                // 8-bit activations: each input moves by at most half a step (max|x| / 254).
                let fast = Matvec.dot(w, row: row, x, precision: .int8)
                let scale = weights[row * Self.columns..<(row + 1) * Self.columns].map(abs).reduce(0, +)
                #expect(abs(fast - expected) <= scale * maxInput / 254 + 1e-3, "row \(row): \(fast) vs \(expected)")
            }
        }
    }

    @Test(arguments: TensorType.allCases)
    func matvecSplitsRowsAcrossThreads(type: TensorType) {
        let rows = 37
        let bytes = RandomRows.bytes(type, rows: rows, columns: Self.columns, seed: 4)
        let pool = WorkerPool(threads: 2)
        let x = Activations(count: Self.columns)
        for i in 0..<Self.columns { x[i] = Float(i % 7) - 3 }
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: type, rows: rows, columns: Self.columns, data: raw.baseAddress!)
            for precision in ActivationPrecision.allCases {
                var out = [Float](repeating: .nan, count: rows)
                out.withUnsafeMutableBufferPointer { Matvec.multiply(w, x, into: $0.baseAddress!, precision: precision, pool: pool) }
                for r in 0..<rows { #expect(out[r] == Matvec.dot(w, row: r, x, precision: precision)) }
            }
        }
    }

    @Test func poolRunsEveryThreadOnce() {
        let pool = WorkerPool(threads: 2)
        for _ in 0..<200 {
            var seen = [Int](repeating: 0, count: 2)
            seen.withUnsafeMutableBufferPointer { buffer in
                pool.run { index, count in
                    #expect(count == 2)
                    buffer[index] += 1
                }
            }
            #expect(seen == [1, 1])
        }
        #expect(WorkerPool.share(of: 10, thread: 1, threads: 3) == 3..<6)
    }

    @Test func parallelForCoversEveryIndexOnce() {
        let pool = WorkerPool(threads: 2)
        for count in [0, 1, 7, 100, 1000, 4097] {
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { buffer in
                for _ in 0..<20 {
                    pool.parallelFor(count) { range in for i in range { buffer[i] += 1 } }
                    // Static runs interleave with dynamic ones.
                    pool.run { _, _ in }
                }
            }
            #expect(hits.allSatisfy { $0 == 20 }, "count \(count)")
        }
    }

    @Test func ropeStylesAgreeUpToThePermutation() {
        let dimension = 8
        let x: [Float] = (0..<dimension).map { Float($0) * 0.3 - 1 }
        // Halves layout (i, i + d/2) holds the same pairs as the interleaved layout (2i, 2i + 1).
        var interleaved = [Float](repeating: 0, count: dimension)
        for i in 0..<dimension / 2 {
            interleaved[2 * i] = x[i]
            interleaved[2 * i + 1] = x[i + dimension / 2]
        }
        var halves = x
        RoPE(headDimension: dimension, theta: 10000, style: .halves).apply(&halves, heads: 1, position: 5)
        RoPE(headDimension: dimension, theta: 10000, style: .interleaved).apply(&interleaved, heads: 1, position: 5)
        for i in 0..<dimension / 2 {
            #expect(abs(interleaved[2 * i] - halves[i]) < 1e-6)
            #expect(abs(interleaved[2 * i + 1] - halves[i + dimension / 2]) < 1e-6)
        }
    }

    @Test func normsAndSoftmax() {
        var x: [Float] = [1, 2, 3, 4]
        let weight: [Float] = [1, 1, 2, 2]
        var out = [Float](repeating: 0, count: 4)
        Ops.rmsNorm(x, weight: weight, epsilon: 0, count: 4, into: &out)
        let rms = (30 / 4 as Float).squareRoot()
        #expect(zip(out, [1 / rms, 2 / rms, 6 / rms, 8 / rms]).allSatisfy { abs($0 - $1) < 1e-6 })
        Ops.softmax(&x, count: 4)
        #expect(abs(x.reduce(0, +) - 1) < 1e-6)
        #expect(x[3] > x[2] && x[2] > x[1])
    }
}
