// Sampling filters and reproducibility, on small hand-made logit vectors.
import Engine
import Testing

struct SamplerTests {
    let logits: [Float] = [1.0, 3.0, 2.5, -1.0, 0.0, 2.9]

    func sample(_ settings: SamplingSettings, times: Int = 1) -> [Int] {
        var sampler = Sampler(settings: settings)
        return logits.withUnsafeBufferPointer { buffer in (0..<times).map { _ in sampler.sample(buffer) } }
    }

    func candidates(_ settings: SamplingSettings) -> [(id: Int, probability: Float)] {
        logits.withUnsafeBufferPointer { Sampler.candidates($0, settings: settings) }
    }

    @Test func greedyPicksTheArgmax() {
        #expect(sample(.greedy, times: 3) == [1, 1, 1])
    }

    @Test func aSeedReproducesARun() {
        let settings = SamplingSettings(temperature: 1.5, seed: 7)
        #expect(sample(settings, times: 50) == sample(settings, times: 50))
        var other = settings
        other.seed = 8
        #expect(sample(settings, times: 50) != sample(other, times: 50))
    }

    @Test func topKKeepsTheBest() {
        let kept = candidates(SamplingSettings(temperature: 1, topK: 2))
        #expect(kept.map(\.id) == [1, 5])
        #expect(abs(kept.map(\.probability).reduce(0, +) - 1) < 1e-6)
        #expect(Set(sample(SamplingSettings(temperature: 5, topK: 1, seed: 3), times: 20)) == [1])
    }

    @Test func topPKeepsTheSmallestNucleus() {
        // Probabilities at T=1: 1 -> .37, 5 -> .33, 2 -> .22, 0 -> .05, ...
        #expect(candidates(SamplingSettings(temperature: 1, topP: 0.5)).map(\.id) == [1, 5])
        #expect(candidates(SamplingSettings(temperature: 1, topP: 0.9)).map(\.id) == [1, 5, 2])
        #expect(candidates(SamplingSettings(temperature: 1, topP: 0.95)).map(\.id) == [1, 5, 2, 0])
    }

    @Test func minPDropsTheUnlikely() {
        // Relative to the best (e^3): e^2.9 (0.90), e^2.5 (0.61), e^1 (0.14), e^0 (0.05).
        #expect(candidates(SamplingSettings(temperature: 1, minP: 0.5)).map(\.id) == [1, 5, 2])
        #expect(candidates(SamplingSettings(temperature: 1, minP: 0.1)).map(\.id) == [1, 5, 2, 0])
    }

    @Test func temperatureSharpens() {
        let cold = candidates(SamplingSettings(temperature: 0.1))
        let hot = candidates(SamplingSettings(temperature: 10))
        #expect(cold[0].probability > 0.5 && hot[0].probability < 0.3)
        let counts = sample(SamplingSettings(temperature: 1, seed: 11), times: 2000).reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
        // Token 1 has probability ~0.37: drawn about 740 times in 2000.
        #expect((600...800).contains(counts[1] ?? 0))
    }
}
