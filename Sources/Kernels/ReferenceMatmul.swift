// Naive reference loops that the fast paths are tested against. Slow on purpose: clarity over speed.

public enum Reference {
    /// C[m x n] = A[m x k] * B, with B given as [k x n] or, when `transposeB`, as [n x k]. Row-major.
    public static func matmul(m: Int, n: Int, k: Int, a: [Float], b: [Float], transposeB: Bool = false) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let bv = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += Double(a[i * k + p]) * Double(bv)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }
}

extension Reference {
    /// Dequantizes `count` values of one row from raw GGML bytes, one block at a time, in plain Swift.
    public static func dequantize(_ type: TensorType, bytes: [UInt8], count: Int) -> [Float] {
        func half(_ offset: Int) -> Float {
            Float(Float16(bitPattern: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8))
        }
        var out = [Float](repeating: 0, count: count)
        switch type {
        case .f32:
            for i in 0..<count {
                let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[4 * i + $1]) << (8 * $1) }
                out[i] = Float(bitPattern: bits)
            }
        case .f16:
            for i in 0..<count { out[i] = half(2 * i) }
        case .bf16:
            for i in 0..<count { out[i] = Float(bitPattern: (UInt32(bytes[2 * i]) | UInt32(bytes[2 * i + 1]) << 8) << 16) }
        case .q8_0:
            for b in 0..<count / 32 {
                let d = half(34 * b)
                for i in 0..<32 { out[32 * b + i] = d * Float(Int8(bitPattern: bytes[34 * b + 2 + i])) }
            }
        case .q4_0:
            for b in 0..<count / 32 {
                let d = half(18 * b)
                for i in 0..<16 {
                    let byte = bytes[18 * b + 2 + i]
                    out[32 * b + i] = d * Float(Int(byte & 0x0f) - 8)
                    out[32 * b + i + 16] = d * Float(Int(byte >> 4) - 8)
                }
            }
        case .q4_1:
            for b in 0..<count / 32 {
                let d = half(20 * b), m = half(20 * b + 2)
                for i in 0..<16 {
                    let byte = bytes[20 * b + 4 + i]
                    out[32 * b + i] = d * Float(byte & 0x0f) + m
                    out[32 * b + i + 16] = d * Float(byte >> 4) + m
                }
            }
        case .q5_0, .q5_1, .q4_K, .q5_K, .q6_K:
            out = dequantizeFiveBitAndK(type, bytes: bytes, count: count)
        }
        return out
    }

    /// Dot product in double precision.
    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        Float(zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
    }
}
