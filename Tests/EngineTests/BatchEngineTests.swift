// Batched generation on SmolLM2: a request's tokens do not depend on what else is in its batch, on the
// prefix cache, or on other requests being cancelled or failing.
import Engine
import Foundation
import Testing
import Tokenizers

@Suite(.serialized, .enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
struct BatchEngineTests {
    static let system = "You are a careful Python teacher. Answer in one short sentence, then stop. "
        + "Never write code unless asked."
    static let questions = ["What is a list?", "Why use a dict?", "What does len do?",
                            "What is a tuple in Python and when is it better than a list?", "Name a loop."]

    static func prompts() throws -> [[Int]] {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let generator = LlamaGenerator(loaded)
        return try questions.map { question in
            try generator.promptIDs(.chat([ChatMessage(role: .system, content: system), ChatMessage(role: .user, content: question)]))
        }
    }

    static func engine(_ options: BatchOptions) throws -> BatchEngine {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        return BatchEngine(model: loaded.model, tokenizer: loaded.tokenizer, options: options)
    }

    /// Each request run on its own, in a fresh engine without a prefix cache.
    static func alone(_ requests: [BatchRequest], kv: KVPrecision = .f32) throws -> [[Int]] {
        try requests.map { request in
            let engine = try engine(BatchOptions(maxSequences: 1, kvPrecision: kv, prefixCacheBlocks: 0))
            return try engine.run([request])[0].get().ids
        }
    }

    static let mixedLimits = [12, 7, 16, 9, 14]

    @Test func greedyAloneEqualsInsideAMixedBatch() throws {
        let requests = try zip(Self.prompts(), Self.mixedLimits).map { BatchRequest(promptIDs: $0, settings: SamplingSettings(maxTokens: $1)) }
        let alone = try Self.alone(requests)
        // Three slots for five requests: two queue and join as others leave; small steps mix prompt
        // chunks with decoding rows.
        let engine = try Self.engine(BatchOptions(maxSequences: 3, prefixCacheBlocks: 0, stepTokens: 24))
        let batched = try engine.run(requests).map { try $0.get().ids }
        #expect(batched == alone)
        #expect(engine.statistics.mostSequences == 3)
        #expect(engine.statistics.reusedPromptTokens == 0)
    }

    @Test func prefixCacheChangesNothingButWork() throws {
        let requests = try Self.prompts().map { BatchRequest(promptIDs: $0, settings: SamplingSettings(maxTokens: 8)) }
        let alone = try Self.alone(requests)
        let engine = try Self.engine(BatchOptions(maxSequences: 4, blockTokens: 8))
        let first = try engine.run(requests).map { try $0.get().ids }
        #expect(first == alone)
        // The system prompt is read once and shared (the others wait for its blocks), then reused by a second call.
        let shared = engine.statistics.reusedPromptTokens
        #expect(shared >= 4 * 16)
        let second = try engine.run(requests).map { try $0.get().ids }
        #expect(second == alone)
        #expect(engine.statistics.reusedPromptTokens - shared >= requests.map { ($0.promptIDs.count - 1) / 8 * 8 }.reduce(0, +))
    }

    @Test func seededSamplesDoNotDependOnTheBatch() throws {
        let prompts = try Self.prompts()
        let sampled = SamplingSettings(temperature: 0.9, topP: 0.95, seed: 42, maxTokens: 10)
        let target = BatchRequest(promptIDs: prompts[1], settings: sampled)
        let alone = try Self.alone([target])[0]
        // n = 3 samples of one prompt with their own seeds share its KV; the seeded one is unchanged.
        var others = SamplingSettings(temperature: 1.2, seed: 7, maxTokens: 6)
        var batch = [BatchRequest(promptIDs: prompts[0], settings: others), target]
        for seed in [1, 2] as [UInt64] {
            others.seed = seed
            batch.append(BatchRequest(promptIDs: prompts[1], settings: others))
        }
        let engine = try Self.engine(BatchOptions(maxSequences: 4, kvPrecision: .f32, blockTokens: 8))
        let results = try engine.run(batch).map { try $0.get() }
        #expect(results[1].ids == alone)
        #expect(engine.statistics.reusedPromptTokens > 0)
    }

    @Test func cancellingOrFailingOneLeavesTheOthersAlone() throws {
        let prompts = try Self.prompts()
        let healthy = [BatchRequest(promptIDs: prompts[0], settings: SamplingSettings(maxTokens: 10)),
                       BatchRequest(promptIDs: prompts[2], settings: SamplingSettings(maxTokens: 10))]
        let alone = try Self.alone(healthy)
        let pieces = Counter()
        let cancelled = BatchRequest(promptIDs: prompts[3], settings: SamplingSettings(maxTokens: 40),
                                     onText: { _ in pieces.add() }, isCancelled: { pieces.value >= 3 })
        let failing = BatchRequest(promptIDs: [5, 60000], settings: SamplingSettings(maxTokens: 10))
        let empty = BatchRequest(promptIDs: [], settings: .greedy)
        let engine = try Self.engine(BatchOptions(maxSequences: 4, prefixCacheBlocks: 0))
        let results = engine.run([healthy[0], cancelled, failing, healthy[1], empty])
        #expect(try results[0].get().ids == alone[0])
        #expect(try results[3].get().ids == alone[1])
        let stopped = try results[1].get()
        #expect(stopped.finishReason == .cancelled)
        #expect(stopped.ids.count < 40)
        if case .success = results[2] { Issue.record("a token outside the vocabulary was accepted") }
        if case .failure(.emptyPrompt) = results[4] {} else { Issue.record("an empty prompt was not refused: \(results[4])") }
    }

    @Test func halfPrecisionCacheAndAMemoryBound() throws {
        let requests = try Self.prompts().prefix(3).map { BatchRequest(promptIDs: $0, settings: SamplingSettings(maxTokens: 8)) }
        let alone = try Self.alone(Array(requests), kv: .f16)
        let f32 = try Self.engine(BatchOptions(kvPrecision: .f32)), f16 = try Self.engine(BatchOptions(kvPrecision: .f16))
        let loaded = try #require(SmolLM2Fixtures.loaded)
        #expect(f32.kvBytesPerToken == loaded.config.layerCount * 2 * loaded.config.kvDimension * 4)
        #expect(f16.kvBytesPerToken * 2 == f32.kvBytesPerToken)
        // Room for about two of these sequences at a time: the third waits for memory, then runs.
        let perSequence = (requests.map(\.promptIDs.count).max()! + 8 + 15) / 16 * 16 * f16.kvBytesPerToken
        let bounded = try Self.engine(BatchOptions(maxSequences: 8, kvMemoryBytes: perSequence * 2 + perSequence / 2,
                                                   kvPrecision: .f16, prefixCacheBlocks: 0))
        #expect(try bounded.run(Array(requests)).map { try $0.get().ids } == alone)
        #expect(bounded.statistics.mostSequences == 2)
        let tooLong = BatchRequest(promptIDs: requests[0].promptIDs, settings: SamplingSettings(maxTokens: 4000))
        if case let .failure(error) = bounded.run([tooLong])[0], case .kvCacheTooSmall = error {
            #expect(error.localizedDescription.contains("--kv-memory-mib"))
        } else {
            Issue.record("a request beyond the KV bound was not refused")
        }
        // No bound given: sized from the model (SmolLM2's 46,080 bytes a position, 16 sequences at 2048 each).
        let automatic = KVMemoryBound.automatic(bytesPerToken: f32.kvBytesPerToken, contextLength: loaded.config.contextLength,
                                                maxSequences: 16)
        let blockBytes = 16 * f32.kvBytesPerToken
        #expect(f32.statistics.kvBytesCapacity == automatic / blockBytes * blockBytes)
        #expect(f32.statistics.kvBytesCapacity >= 16 * 2048 * f32.kvBytesPerToken)
    }
}

/// A counter callbacks may share.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
