// Picks the next token from logits: greedy, or temperature with top-k, top-p and min-p filters,
// drawn from a seeded generator so a seed reproduces a run.
import Kernels
import Foundation

public struct SamplingSettings: Sendable, Equatable, Codable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Keep the k most likely tokens; 0 keeps all.
    public var topK: Int
    /// Keep the most likely tokens whose probabilities sum to at least p; 1 keeps all.
    public var topP: Float
    /// Drop tokens less likely than minP times the most likely; 0 keeps all.
    public var minP: Float
    public var seed: UInt64
    public var maxTokens: Int
    /// Generation stops when the text contains one of these (which is cut off).
    public var stop: [String]

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0, seed: UInt64 = 0,
                maxTokens: Int = 256, stop: [String] = []) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
        self.maxTokens = maxTokens
        self.stop = stop
    }

    public static let greedy = SamplingSettings()
}

public struct Sampler: Sendable {
    public let settings: SamplingSettings
    private var random: SplitMix64

    public init(settings: SamplingSettings) {
        self.settings = settings
        random = SplitMix64(seed: settings.seed)
    }

    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for (i, value) in logits.enumerated() where value > bestValue {
            best = i
            bestValue = value
        }
        return best
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
        guard settings.temperature > 0 else { return Self.argmax(logits) }
        let candidates = Self.candidates(logits, settings: settings)
        var draw = Float(Double(random.next() >> 11) / Double(1 << 53))
        for candidate in candidates {
            draw -= candidate.probability
            if draw < 0 { return candidate.id }
        }
        return candidates.last!.id
    }

    /// The tokens left after the filters, most likely first, with renormalised probabilities.
    public static func candidates(_ logits: UnsafeBufferPointer<Float>, settings: SamplingSettings) -> [(id: Int, probability: Float)] {
        let t = settings.temperature
        let maxLogit = logits.max() ?? 0
        // Tokens 30 nats below the best carry under e^-30 each; dropping them first keeps sorting cheap.
        let floor = maxLogit - 30 * t
        var kept: [(id: Int, probability: Float)] = []
        for (id, logit) in logits.enumerated() where logit >= floor { kept.append((id, (logit - maxLogit) / t)) }
        kept.sort { $0.probability > $1.probability || ($0.probability == $1.probability && $0.id < $1.id) }
        if settings.topK > 0, kept.count > settings.topK { kept.removeLast(kept.count - settings.topK) }
        var sum: Float = 0
        for i in kept.indices {
            kept[i].probability = expf(kept[i].probability)
            sum += kept[i].probability
        }
        for i in kept.indices { kept[i].probability /= sum }
        if settings.minP > 0 {
            let threshold = settings.minP * kept[0].probability
            kept.removeAll { $0.probability < threshold }
        }
        if settings.topP < 1 {
            var cumulative: Float = 0
            var keep = kept.count
            for (i, candidate) in kept.enumerated() {
                cumulative += candidate.probability
                if cumulative >= settings.topP {
                    keep = i + 1
                    break
                }
            }
            kept.removeLast(kept.count - keep)
        }
        let total = kept.reduce(0) { $0 + $1.probability }
        return kept.map { ($0.id, $0.probability / total) }
    }
}
