// Naive dequantisation of Q5_0, Q5_1 and the K-quants, written from the block layouts (ggml-common.h)
// one value at a time, so the C kernels have something plain to be compared with.

extension Reference {
    static func dequantizeFiveBitAndK(_ type: TensorType, bytes: [UInt8], count: Int) -> [Float] {
        func half(_ offset: Int) -> Float {
            Float(Float16(bitPattern: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8))
        }
        func u32(_ offset: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
        }
        var out = [Float](repeating: 0, count: count)
        for block in 0..<count / type.blockSize {
            let base = block * type.blockBytes
            for i in 0..<type.blockSize {
                let value: Float
                switch type {
                case .q5_0, .q5_1:
                    // Header (d; d, m), u32 of fifth bits, 16 bytes: element i < 16 in the low nibble of byte i,
                    // element i >= 16 in the high nibble of byte i - 16.
                    let header = type == .q5_0 ? 2 : 4
                    let byte = bytes[base + header + 4 + i % 16]
                    let nibble = i < 16 ? Int(byte & 0x0f) : Int(byte >> 4)
                    let q = nibble | Int((u32(base + header) >> UInt32(i)) & 1) << 4
                    value = type == .q5_0 ? half(base) * Float(q - 16) : half(base) * Float(q) + half(base + 2)
                case .q4_K, .q5_K:
                    // d, dmin, 12 bytes of scales/mins, [q5_K: 32 bytes qh], 128 bytes qs. Sub-block j = i / 32;
                    // qs byte 32 * (j / 2) + i % 32, low nibble for even j; qh bit j of byte i % 32.
                    let j = i / 32, l = i % 32
                    let (scale, min) = kScaleMin(j, bytes: Array(bytes[base + 4..<base + 16]))
                    let qsStart = base + 16 + (type == .q5_K ? 32 : 0)
                    let byte = bytes[qsStart + 32 * (j / 2) + l]
                    var q = j % 2 == 0 ? Int(byte & 0x0f) : Int(byte >> 4)
                    if type == .q5_K { q |= Int((bytes[base + 16 + l] >> UInt8(j)) & 1) << 4 }
                    value = half(base) * Float(scale) * Float(q) - half(base + 2) * Float(min)
                case .q6_K:
                    // ql[128], qh[64], int8 scales[16], d. Half h = i / 128, quarter k, position l:
                    // low 4 bits from ql[64h + 32 (k % 2) + l] (high nibble when k >= 2), top 2 bits from
                    // qh[32h + l] >> 2k; value d * scales[i / 16] * (q - 32).
                    let h = i / 128, k = (i % 128) / 32, l = i % 32
                    let low = bytes[base + 64 * h + 32 * (k % 2) + l]
                    let nibble = k < 2 ? Int(low & 0x0f) : Int(low >> 4)
                    let top = Int((bytes[base + 128 + 32 * h + l] >> UInt8(2 * k)) & 3)
                    let scale = Float(Int8(bitPattern: bytes[base + 192 + i / 16]))
                    value = half(base + 208) * scale * Float((nibble | top << 4) - 32)
                default:
                    preconditionFailure("\(type) is not a five-bit or K-quant type")
                }
                out[block * type.blockSize + i] = value
            }
        }
        return out
    }

    /// Sub-block j's 6-bit scale and min from the 12 packed bytes: j < 4 in the low 6 bits of bytes j and
    /// j + 4; j >= 4 in the nibbles of byte j + 4 plus the top 2 bits of bytes j - 4 and j.
    static func kScaleMin(_ j: Int, bytes: [UInt8]) -> (scale: Int, min: Int) {
        if j < 4 { return (Int(bytes[j] & 63), Int(bytes[j + 4] & 63)) }
        return (Int(bytes[j + 4] & 0x0f) | Int(bytes[j - 4] >> 6) << 4, Int(bytes[j + 4] >> 4) | Int(bytes[j] >> 6) << 4)
    }
}
