// Matrix-vector products, the core of decoding: out = W x, rows split across the pool's threads.
// Decode time goes here: every token reads every weight once.
import CKernels

/// What quantized weights are multiplied with.
public enum ActivationPrecision: String, Sendable, CaseIterable {
    /// Activations quantized to 8 bits (llama.cpp's choice): integer dot products, the fastest.
    case int8
    /// Float activations against weights dequantized on the fly: closest to a float reference.
    case float
}

/// What prompt tokens' products with quantized weights take; a generated token's are `ActivationPrecision`'s.
public enum PromptPrecision: String, Sendable, CaseIterable {
    /// Float activations against the file's dequantized weights: as precise as a float prefill.
    case float
    /// The dequantized weights and the activations rounded to bfloat16, products summed in FP32 (AVX-512 BF16;
    /// float where the CPU lacks it): twice float's products per instruction.
    case bf16
    /// Exactly int8 decoding's arithmetic: the fastest on packed weights.
    case int8
}

public enum Matvec {
    /// out[r] = W[r] . x for every row r.
    public static func multiply(_ w: WeightMatrix, _ x: Activations, into out: UnsafeMutablePointer<Float>,
                                precision: ActivationPrecision = .int8, pool: WorkerPool) {
        precondition(x.count == w.columns, "matvec: input has \(x.count) values, matrix has \(w.columns) columns")
        let quantized = w.type.isQuantized && precision == .int8 ? x.quantized() : nil
        pool.parallelFor(w.rows) { range in rows(w, x, quantized, into: out, range.lowerBound, range.upperBound) }
    }

    /// Rows [lower, upper) of one product: packed rows for 8-bit activations when the matrix has them.
    private static func rows(_ w: WeightMatrix, _ x: Activations, _ quantized: UnsafePointer<ck_block_q8a>?,
                             into out: UnsafeMutablePointer<Float>, _ lower: Int, _ upper: Int) {
        if let packed = w.packed, let quantized {
            ck_matmul_packed(Int32(w.type.rawValue), packed.bytes, Int64(w.rows), Int64(w.columns), quantized, Int64(w.columns / 32),
                             nil, 1, out, Int64(w.rows), Int64(lower), Int64(upper))
        } else {
            ck_matvec(Int32(w.type.rawValue), w.data, w.rowBytes, Int64(w.columns), x.values, quantized, out,
                      Int64(lower), Int64(upper))
        }
    }

    /// Dot product of two float vectors (AVX2 when available).
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        ck_dot_float(Int32(TensorType.f32.rawValue), a, b, Int64(count))
    }

    /// One row's dot product through the fast path (tests compare it with `Reference`).
    public static func dot(_ w: WeightMatrix, row: Int, _ x: Activations, precision: ActivationPrecision = .int8) -> Float {
        precondition(x.count == w.columns, "dot: input has \(x.count) values, matrix has \(w.columns) columns")
        if w.type.isQuantized && precision == .float {
            return ck_dot_dequantized(Int32(w.type.rawValue), w.rowPointer(row), x.values, Int64(w.columns))
        }
        if let packed = w.packed { return ck_dot_packed_row(Int32(w.type.rawValue), packed.bytes, Int64(row), Int64(w.columns), x.quantized()) }
        if w.type.isQuantized {
            return ck_dot_quantized(Int32(w.type.rawValue), w.rowPointer(row), x.quantized(), Int64(w.columns / 32))
        }
        return ck_dot_float(Int32(w.type.rawValue), w.rowPointer(row), x.values, Int64(w.columns))
    }
}
