// The small element-wise operations of a transformer block. Each writes into caller buffers.
import CKernels
import Foundation

public enum Ops {
    /// out = x / rms(x) * weight.
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
                               count: Int, into out: UnsafeMutablePointer<Float>) {
        var sum: Float = 0
        for i in 0..<count { sum += x[i] * x[i] }
        let scale = 1 / (sum / Float(count) + epsilon).squareRoot()
        for i in 0..<count { out[i] = x[i] * scale * weight[i] }
    }

    /// out = (x - mean) / sqrt(variance + epsilon) * weight + bias (LayerNorm; no bias when nil).
    public static func layerNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, epsilon: Float,
                                 count: Int, into out: UnsafeMutablePointer<Float>) {
        var mean: Float = 0
        for i in 0..<count { mean += x[i] }
        mean /= Float(count)
        var variance: Float = 0
        for i in 0..<count { variance += (x[i] - mean) * (x[i] - mean) }
        let scale = 1 / (variance / Float(count) + epsilon).squareRoot()
        for i in 0..<count { out[i] = (x[i] - mean) * scale * weight[i] + (bias?[i] ?? 0) }
    }

    /// x = gelu(x) in place: the tanh approximation (PyTorch's `gelu_pytorch_tanh`, ggml's gelu) or the exact erf form.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, tanhApproximation: Bool) {
        if tanhApproximation {
            let k = (2 / Float.pi).squareRoot()
            for i in 0..<count { x[i] = 0.5 * x[i] * (1 + tanhf(k * (x[i] + 0.044715 * x[i] * x[i] * x[i]))) }
        } else {
            for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erff(x[i] / Float(2).squareRoot())) }
        }
    }

    /// In-place softmax over the first `count` values.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, x[i]) }
        var sum: Float = 0
        for i in 0..<count {
            x[i] = expf(x[i] - maximum)
            sum += x[i]
        }
        let inverse = 1 / sum
        for i in 0..<count { x[i] *= inverse }
    }

    /// gate = silu(gate) * up, the SwiGLU activation.
    public static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// gate = gelu_tanh(gate) * up (Gemma's GeGLU).
    public static func geglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        gelu(gate, count: count, tanhApproximation: true)
        for i in 0..<count { gate[i] *= up[i] }
    }

    /// x = cap * tanh(x / cap) (Gemma 2's logit soft-capping).
    public static func softcap(_ x: UnsafeMutablePointer<Float>, cap: Float, count: Int) {
        for i in 0..<count { x[i] = cap * tanhf(x[i] / cap) }
    }

    /// x += y.
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// x += y * scale (MiniCPM's scaled residual; plain `add` when the scale is 1).
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, scaledBy scale: Float, count: Int) {
        if scale == 1 { return add(x, y, count: count) }
        for i in 0..<count { x[i] += y[i] * scale }
    }

    /// x *= scale.
    public static func scale(_ x: UnsafeMutablePointer<Float>, by scale: Float, count: Int) {
        if scale == 1 { return }
        for i in 0..<count { x[i] *= scale }
    }
}

/// How a checkpoint pairs the dimensions RoPE rotates together.
public enum RoPEStyle: String, Sendable {
    /// Adjacent pairs (2i, 2i+1): GGUF files from llama.cpp's converter, which permutes q and k.
    case interleaved
    /// Halves (i, i + d/2): Hugging Face checkpoints (`rotate_half`).
    case halves
}

/// Rotary position embedding with precomputed inverse frequencies.
public struct RoPE: Sendable {
    public let headDimension: Int
    /// The leading values of each head that rotate (all of them, or a part: StableLM's `partial_rotary_factor`).
    public let rotatedDimension: Int
    public let style: RoPEStyle
    let inverseFrequencies: [Float]
    /// What the cosines and sines are multiplied by (YaRN's attention factor; 1 otherwise).
    let magnitude: Double

    public init(headDimension: Int, rotatedDimension: Int? = nil, theta: Float, style: RoPEStyle, scaling: RoPEScaling = .none) {
        self.headDimension = headDimension
        self.rotatedDimension = rotatedDimension ?? headDimension
        self.style = style
        // The frequencies span the rotated part, as transformers' and llama.cpp's do.
        let (inverse, factor) = scaling.frequencies(dimension: self.rotatedDimension, theta: Double(theta))
        inverseFrequencies = inverse.map { Float($0) }
        magnitude = factor
    }

    /// Rotates `heads` consecutive heads of `x` for token position `position`.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, position: Int) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: headDimension) { table in
            rotation(position: position, into: table.baseAddress!)
            apply(x, heads: heads, rotation: table.baseAddress!)
        }
    }

    /// The cosines (first half) and sines (second half) of `position`'s angles: compute once per token and
    /// apply to every layer's queries and keys. Fills `rotatedDimension` values.
    public func rotation(position: Int, into table: UnsafeMutablePointer<Float>) {
        let half = rotatedDimension / 2
        for i in 0..<half {
            let angle = Double(position) * Double(inverseFrequencies[i])
            table[i] = Float(cos(angle) * magnitude)
            table[half + i] = Float(sin(angle) * magnitude)
        }
    }

    /// Rotates `heads` consecutive heads of `x` by a table from `rotation(position:into:)`.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, rotation table: UnsafePointer<Float>) {
        let half = rotatedDimension / 2
        for i in 0..<half {
            let c = table[i], s = table[half + i]
            for h in 0..<heads {
                let base = x + h * headDimension
                let (a, b) = style == .interleaved ? (2 * i, 2 * i + 1) : (i, i + half)
                let x0 = base[a], x1 = base[b]
                base[a] = x0 * c - x1 * s
                base[b] = x0 * s + x1 * c
            }
        }
    }
}
