// The encoder's element-wise ops in C (CKernels' encoder_ops.c): AVX-512 where the CPU has it, since
// Swift's own loops compile to SSE for baseline x86-64.
import CKernels

public enum EncoderOps {
    /// x <- gelu(x + bias) row by row (erf form; Eigen's rational erf, within 2e-6).
    public static func biasGELU(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>?) {
        ck_bias_gelu_rows(x, Int64(rows), Int64(width), bias)
    }

    /// x <- x + bias row by row.
    public static func addBias(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        ck_bias_add_rows(x, Int64(rows), Int64(width), bias)
    }

    /// x <- (x + bias? - mean) / sqrt(var + epsilon) * gamma + beta, row by row.
    public static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>,
                                 beta: UnsafePointer<Float>, epsilon: Float, bias: UnsafePointer<Float>?) {
        ck_layer_norm_rows(x, Int64(rows), Int64(width), gamma, beta, epsilon, bias)
    }
}
