// The element-wise ops of the BERT encoder: LayerNorm, GELU (erf form), bias add; softmax's reference.
// Each fast path sits beside a naive reference loop that the tests compare it to. Fast paths are plain loops
// without calls (polynomial exp and erf instead of libm), which LLVM vectorizes; SIMD16 values serve only as
// partial sums, since generic SIMD ops such as pointwiseMin compiled to per-lane loops here.
// Matrix products and attention are not here: they are `GEMM` and `SequenceAttention` (Kernels).
import Foundation

public enum BERTKernels {
    typealias Vector = SIMD16<Float>

    // MARK: - LayerNorm

    /// Each of `rows` rows of `width` values: x <- (x + bias? - mean) / sqrt(var + eps) * gamma + beta.
    /// `addBias` is added first (a linear layer's bias folded into the norm that follows it).
    public static func layerNorm(_ data: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
                                 addBias: UnsafePointer<Float>? = nil) {
        for row in 0..<rows {
            let x = data + row * width
            if let addBias { addInPlace(x, addBias, count: width) }
            let mean = sum(x, count: width) / Float(width)
            var squares = Vector()
            var i = 0
            while i + 16 <= width {
                let centered = load(x + i) - mean
                squares += centered * centered
                i += 16
            }
            var variance = squares.sum()
            while i < width { variance += (x[i] - mean) * (x[i] - mean); i += 1 }
            let inverse = 1 / (variance / Float(width) + epsilon).squareRoot()
            for j in 0..<width { x[j] = (x[j] - mean) * inverse * gamma[j] + beta[j] }
        }
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
        for row in 0..<rows {
            let x = data + row * width
            if let bias { addInPlace(x, bias, count: width) }
            // A plain loop without calls: LLVM vectorizes it.
            for i in 0..<width {
                let v = x[i]
                x[i] = 0.5 * v * (1 + fastErf(v * 0.70710678118654752))
            }
        }
    }

    public static func geluReference(_ x: Float) -> Float {
        Float(0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot())))
    }

    /// erf as a rational function of x on [-4, 4] (Eigen's float coefficients); +-1 beyond, as in float.
    @inline(__always)
    public static func fastErf(_ input: Float) -> Float {
        let x = input < -4 ? -4 : (input > 4 ? 4 : input)
        let x2 = x * x
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        p = p * x
        var q: Float = -1.45660718464996e-05
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return p / q
    }

    // MARK: - softmax

    public static func softmaxReference(_ row: [Float]) -> [Float] {
        let maximum = row.max() ?? 0
        let e = row.map { Foundation.exp(Double($0 - maximum)) }
        let total = e.reduce(0, +)
        return e.map { Float($0 / total) }
    }

    // MARK: - helpers

    /// Adds `bias` (width values) to each of `rows` rows.
    public static func addBias(_ data: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        for row in 0..<rows { addInPlace(data + row * width, bias, count: width) }
    }

    @inline(__always)
    static func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// Sum with 16 partial sums (a plain loop would not vectorize: float addition is not reassociated).
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var partial = Vector()
        var i = 0
        while i + 16 <= count {
            partial += load(x + i)
            i += 16
        }
        var total = partial.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    @inline(__always)
    static func sum(_ x: UnsafeMutablePointer<Float>, count: Int) -> Float { sum(UnsafePointer(x), count: count) }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }
}
