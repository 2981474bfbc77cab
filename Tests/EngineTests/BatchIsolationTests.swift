// A request that cannot run fails alone at the generator's interface: the others in its batch produce
// exactly the tokens they produce alone, with 8-bit (batched) and float (one by one) activations.
import Engine
import Foundation
import Testing
import Tokenizers

@Suite(.serialized, .enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
struct BatchIsolationTests {
    static let healthy = [
        GenerationRequest(prompt: .text("Once upon a time"), settings: SamplingSettings(maxTokens: 8)),
        GenerationRequest(prompt: .chat([ChatMessage(role: .user, content: "Name a loop.")]), settings: SamplingSettings(maxTokens: 8)),
    ]
    /// About 9000 tokens: longer than SmolLM2's context of 8192.
    static let tooLong = GenerationRequest(prompt: .text(String(repeating: "word ", count: 9000)), settings: SamplingSettings(maxTokens: 4))
    /// A short prompt whose token limit needs more KV memory than the bound below.
    static let beyondBound = GenerationRequest(prompt: .text("Hi"), settings: SamplingSettings(maxTokens: 1000))
    static let empty = GenerationRequest(prompt: .text(""), settings: SamplingSettings(maxTokens: 4))

    @Test func batchedFailuresStayWithTheirRequest() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let bytesPerToken = loaded.config.layerCount * 2 * loaded.config.kvDimension * 4
        let generator = LlamaGenerator(loaded, batchOptions: BatchOptions(maxSequences: 4, kvMemoryBytes: 256 * bytesPerToken,
                                                                          prefixCacheBlocks: 0))
        let alone = try Self.healthy.map { try generator.generate($0).ids }
        let outcomes = try generator.results(batch: [Self.healthy[0], Self.tooLong, Self.beyondBound, Self.healthy[1], Self.empty])
        #expect(outcomes.count == 5)
        #expect(try outcomes[0].get().ids == alone[0])
        #expect(try outcomes[3].get().ids == alone[1])
        if case let .failure(error) = outcomes[1], case .promptTooLong(_, 8192)? = error as? EngineError {} else {
            Issue.record("a prompt longer than the context was not refused alone: \(outcomes[1])")
        }
        if case let .failure(error) = outcomes[2], case .kvCacheTooSmall? = error as? EngineError {} else {
            Issue.record("a request beyond the KV bound was not refused alone: \(outcomes[2])")
        }
        if case let .failure(error) = outcomes[4], case .emptyPrompt? = error as? EngineError {} else {
            Issue.record("an empty prompt was not refused alone: \(outcomes[4])")
        }
        // The throwing form still fails the whole call.
        #expect(throws: EngineError.self) { _ = try generator.generate(batch: [Self.healthy[0], Self.tooLong]) }
    }

    @Test func floatActivationsIsolateFailuresToo() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let generator = LlamaGenerator(loaded, precision: .float)
        var short = Self.healthy[0]
        short.settings.maxTokens = 3
        let alone = try generator.generate(short).ids
        let outcomes = try generator.results(batch: [Self.tooLong, short])
        if case let .failure(error) = outcomes[0], case .promptTooLong? = error as? EngineError {} else {
            Issue.record("a prompt longer than the context was not refused alone: \(outcomes[0])")
        }
        #expect(try outcomes[1].get().ids == alone)
    }
}

/// The protocol's default `results(batch:)` runs requests one by one and keeps each failure with its request.
@Suite struct DefaultBatchResultsTests {
    struct EchoGenerator: TextGenerator {
        struct Refused: Error {}
        func generate(_ request: GenerationRequest, onText: ((String) -> Void)?) throws -> GenerationResult {
            guard case let .text(text) = request.prompt, text != "refuse" else { throw Refused() }
            return GenerationResult(text: text)
        }
    }

    @Test func oneRefusedRequestFailsAlone() throws {
        let requests = ["a", "refuse", "b"].map { GenerationRequest(prompt: .text($0)) }
        let outcomes = try EchoGenerator().results(batch: requests)
        #expect(try outcomes[0].get().text == "a" && outcomes[2].get().text == "b")
        #expect(throws: EchoGenerator.Refused.self) { try outcomes[1].get() }
        #expect(throws: EchoGenerator.Refused.self) { try EchoGenerator().generate(batch: requests) }
    }
}
