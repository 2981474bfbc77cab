// How a model stretches RoPE past the context it was trained on: config.json `rope_scaling` (or transformers 5's
// `rope_parameters`) and GGUF `rope.scaling.*` keys or a `rope_freqs.weight` tensor. Each form changes the inverse
// frequencies, one per rotated pair, and YaRN also scales the cosines and sines.
import Foundation

public enum RoPEScaling: Sendable, Equatable, Codable {
    case none
    /// Positions divided by `factor` (DeepSeek-Coder, `linear`).
    case linear(factor: Double)
    /// Llama 3.1 and 3.2: frequencies whose wavelength passes `originalContext / lowFrequencyFactor` divided by `factor`,
    /// those under `originalContext / highFrequencyFactor` kept, and a smooth blend between.
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Double)
    /// YaRN (Qwen2.5 beyond 32K): each frequency blends interpolation (divided by `factor`) and extrapolation along a
    /// ramp between the pairs that turn `betaFast` and `betaSlow` times over the original context; cosines and sines
    /// are multiplied by the attention factor (0.1 ln(factor) + 1 unless given).
    case yarn(factor: Double, originalContext: Double, betaFast: Double, betaSlow: Double, attentionFactor: Double?, truncate: Bool)
    /// One divisor per pair, stored in the file (llama.cpp's converter writes Llama 3 scaling as `rope_freqs.weight`).
    case frequencyFactors([Float])
    /// LongRoPE (Phi-3 128K, Phi-3.5, MiniCPM4): one divisor per pair for sequences within `originalContext` (the short
    /// factors; the engine cuts the context there, where transformers uses them), cosines and sines times `attentionFactor`.
    case longrope(shortFactors: [Double], originalContext: Int, attentionFactor: Double)

    /// In words (`model info`).
    public var summary: String {
        switch self {
        case .none: "none"
        case let .linear(factor): "linear, positions / \(factor)"
        case let .llama3(factor, low, high, original): "llama3, factor \(factor), bands \(low) to \(high) of an original context of \(Int(original))"
        case let .yarn(factor, original, fast, slow, attention, _):
            "yarn, factor \(factor) over an original context of \(Int(original)), beta \(fast)/\(slow)"
                + (attention.map { ", attention factor \($0)" } ?? "")
        case let .frequencyFactors(factors): "\(factors.count) frequency factors from the file (rope_freqs.weight)"
        case let .longrope(factors, original, attention):
            "longrope, the \(factors.count) short factors within the original context of \(original), attention factor \(attention)"
        }
    }

    /// The inverse frequencies of a head of `dimension` rotated values and base `theta`, scaled, with the factor the
    /// cosines and sines take.
    public func frequencies(dimension: Int, theta: Double) -> (inverse: [Double], attentionFactor: Double) {
        let pairs = dimension / 2
        let base = (0..<pairs).map { 1 / pow(theta, Double(2 * $0) / Double(dimension)) }
        switch self {
        case .none:
            return (base, 1)
        case let .linear(factor):
            return (base.map { $0 / factor }, 1)
        case let .llama3(factor, low, high, original):
            let lowWavelength = original / low, highWavelength = original / high
            return (base.map { frequency in
                let wavelength = 2 * Double.pi / frequency
                if wavelength < highWavelength { return frequency }
                if wavelength > lowWavelength { return frequency / factor }
                let smooth = (original / wavelength - low) / (high - low)
                return (1 - smooth) * frequency / factor + smooth * frequency
            }, 1)
        case let .yarn(factor, original, betaFast, betaSlow, attentionFactor, truncate):
            func correction(_ rotations: Double) -> Double {
                Double(dimension) * log(original / (rotations * 2 * Double.pi)) / (2 * log(theta))
            }
            var low = correction(betaFast), high = correction(betaSlow)
            if truncate { (low, high) = (low.rounded(.down), high.rounded(.up)) }
            low = max(low, 0)
            high = min(high, Double(dimension - 1))
            if low == high { high += 0.001 }
            let inverse = base.enumerated().map { index, frequency in
                let extrapolation = 1 - min(max((Double(index) - low) / (high - low), 0), 1)
                return frequency / factor * (1 - extrapolation) + frequency * extrapolation
            }
            return (inverse, attentionFactor ?? (factor <= 1 ? 1 : 0.1 * log(factor) + 1))
        case let .frequencyFactors(factors):
            precondition(factors.count == pairs, "\(factors.count) RoPE frequency factors for \(pairs) pairs")
            return (zip(base, factors).map { $0 / Double($1) }, 1)
        case let .longrope(factors, _, attention):
            precondition(factors.count == pairs, "\(factors.count) LongRoPE factors for \(pairs) pairs")
            return (zip(base, factors).map { $0 / $1 }, attention)
        }
    }
}
