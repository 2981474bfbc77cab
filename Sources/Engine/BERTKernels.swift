// The element-wise ops of the BERT encoder: LayerNorm, GELU (erf form), bias add, each beside the naive
// reference loop the tests compare it to; softmax's reference. The fast paths run in C (`EncoderOps`).
// Matrix products and attention are not here: they are `GEMM` and `SequenceAttention` (Kernels).
import Foundation
import Kernels

public enum BERTKernels {
    // MARK: - LayerNorm

    /// Each of `rows` rows of `width` values: x <- (x + bias? - mean) / sqrt(var + eps) * gamma + beta.
    /// `addBias` is added first (a linear layer's bias folded into the norm that follows it).
    public static func layerNorm(_ data: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
                                 addBias: UnsafePointer<Float>? = nil) {
        EncoderOps.layerNorm(data, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon, bias: addBias)
    }

    /// Two-pass reference in Double.
    public static func layerNormReference(_ x: [Float], width: Int, gamma: [Float], beta: [Float], epsilon: Float) -> [Float] {
        var out = x
        for row in 0..<(x.count / width) {
            let slice = x[(row * width)..<((row + 1) * width)].map(Double.init)
            let mean = slice.reduce(0, +) / Double(width)
            let variance = slice.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for j in 0..<width {
                out[row * width + j] = Float((slice[j] - mean) / (variance + Double(epsilon)).squareRoot()) * gamma[j] + beta[j]
            }
        }
        return out
    }

    // MARK: - GELU

    /// x <- x * (1 + erf(x / sqrt 2)) / 2, after adding `bias` (one value per column) when given.
    public static func gelu(_ data: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>? = nil) {
        EncoderOps.biasGELU(data, rows: rows, width: width, bias: bias)
    }

    public static func geluReference(_ x: Float) -> Float {
        Float(0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot())))
    }

    // MARK: - softmax

    public static func softmaxReference(_ row: [Float]) -> [Float] {
        let maximum = row.max() ?? 0
        let e = row.map { Foundation.exp(Double($0 - maximum)) }
        let total = e.reduce(0, +)
        return e.map { Float($0 / total) }
    }

    // MARK: - bias

    /// Adds `bias` (width values) to each of `rows` rows.
    public static func addBias(_ data: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        EncoderOps.addBias(data, rows: rows, width: width, bias: bias)
    }
}
