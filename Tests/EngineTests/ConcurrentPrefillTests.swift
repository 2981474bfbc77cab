// Sequences prefilled at once on one model (the pipeline may do this) give the same logits as one alone.
import Engine
import Foundation
import Testing

@Suite(.enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
struct ConcurrentPrefillTests {
    /// Logits are read from the session's buffer, so the session must outlive the copy.
    static func prefill(_ model: LlamaModel, _ prompt: [Int]) -> [Float] {
        let session = model.makeSession(capacity: prompt.count + 1, precision: .float)
        return withExtendedLifetime(session) { Array(session.process(prompt)) }
    }

    @Test func concurrentPrefillsAgreeWithASerialOne() async throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let model = loaded.model
        let prompt = Array((0..<40).map { 100 + $0 * 37 })
        let alone = Self.prefill(model, prompt)
        let results = await withTaskGroup(of: [Float].self) { group in
            for _ in 0..<4 { group.addTask { Self.prefill(model, prompt) } }
            var all: [[Float]] = []
            for await logits in group { all.append(logits) }
            return all
        }
        #expect(results.count == 4)
        for logits in results { #expect(maxDifference(logits, alone) < 1e-4) }
    }
}
