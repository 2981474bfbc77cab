// Callers on different threads share one running batch: requests handed in while another caller drives
// join at the next step, every result equals the request's result alone, and a caller's cancelled request
// disturbs no one else's.
import Engine
import Foundation
import Testing

@Suite(.serialized, .enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
struct BatchCallersTests {
    /// Runs `body` on a new thread; `join` waits for its value.
    final class Caller<Value>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var value: Value?

        init(_ body: @escaping @Sendable () -> Value) {
            let thread = Thread { [self] in
                value = body()
                done.signal()
            }
            thread.start()
        }

        func join() -> Value {
            done.wait()
            return value!
        }
    }

    /// Waits (on the driving thread, inside a callback) until `count` requests are handed in; bounded so a
    /// broken engine fails the test instead of hanging it.
    static func waitUntil(_ engine: BatchEngine, hasUnfinished count: Int) {
        let deadline = Date().addingTimeInterval(30)
        while engine.unfinishedRequests < count, Date() < deadline { usleep(1000) }
    }

    static func engine(maxSequences: Int) throws -> BatchEngine {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        return BatchEngine(model: loaded.model, tokenizer: loaded.tokenizer,
                           options: BatchOptions(maxSequences: maxSequences, prefixCacheBlocks: 0))
    }

    @Test func callersOnThreeThreadsShareSteps() throws {
        let prompts = try BatchEngineTests.prompts()
        let long = BatchRequest(promptIDs: prompts[3], settings: SamplingSettings(maxTokens: 20))
        let others = [BatchRequest(promptIDs: prompts[0], settings: SamplingSettings(maxTokens: 6)),
                      BatchRequest(promptIDs: prompts[2], settings: SamplingSettings(maxTokens: 8)),
                      BatchRequest(promptIDs: prompts[4], settings: SamplingSettings(maxTokens: 5))]
        let alone = try BatchEngineTests.alone([long] + others)
        let engine = try Self.engine(maxSequences: 8)
        let started = DispatchSemaphore(value: 0)
        let pieces = Counter()
        var first = long
        // The first caller drives; after its first piece it lets the others in and waits until they are
        // handed in, so they must join its running batch (a serialising engine would never get there).
        first.onText = { _ in
            pieces.add()
            guard pieces.value == 1 else { return }
            started.signal()
            started.signal()
            Self.waitUntil(engine, hasUnfinished: 4)
        }
        let leading = first
        let driver = Caller { engine.run([leading]) }
        let second = Caller {
            started.wait()
            return engine.run(Array(others[0...1]))
        }
        let third = Caller {
            started.wait()
            return engine.run([others[2]])
        }
        let results = try (driver.join() + second.join() + third.join()).map { try $0.get().ids }
        #expect(results == alone)
        // All four decoded together: no caller's batch alone has more than two.
        #expect(engine.statistics.mostSequences == 4)
        #expect(engine.unfinishedRequests == 0)
    }

    @Test func generatorCallsFromThreeThreadsStreamTheirOwnText() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let prompts = try BatchEngineTests.prompts()
        let limits = [9, 6, 7]
        let alone = try BatchEngineTests.alone(zip(prompts, limits).map { BatchRequest(promptIDs: $0, settings: SamplingSettings(maxTokens: $1)) })
        let generator = LlamaGenerator(loaded, batchOptions: BatchOptions(maxSequences: 4, prefixCacheBlocks: 0))
        // Each caller streams into its own (non-Sendable) local text, called back on whichever thread drives.
        let callers = zip(prompts, limits).map { prompt, limit in
            Caller { () -> (Result<GenerationResult, EngineError>, String) in
                var streamed = ""
                let result = Result { () throws(EngineError) in
                    try generator.generate(promptIDs: prompt, settings: SamplingSettings(maxTokens: limit)) { streamed += $0 }
                }
                return (result, streamed)
            }
        }
        for ((result, streamed), expected) in zip(callers.map { $0.join() }, alone) {
            let generated = try result.get()
            #expect(generated.ids == expected)
            #expect(streamed == generated.text)
        }
    }

    @Test func aCancelledRequestOfOneCallerLeavesTheOtherCallerAlone() throws {
        let prompts = try BatchEngineTests.prompts()
        let kept = [BatchRequest(promptIDs: prompts[0], settings: SamplingSettings(maxTokens: 12)),
                    BatchRequest(promptIDs: prompts[1], settings: SamplingSettings(maxTokens: 10))]
        let alone = try BatchEngineTests.alone(kept)
        let engine = try Self.engine(maxSequences: 4)
        let started = DispatchSemaphore(value: 0)
        let pieces = Counter()
        // The first caller drives; its request is cancelled after three pieces, once the second caller's
        // requests are in. Driving then passes to the second caller, whose requests run on to their end.
        let cancelled = BatchRequest(promptIDs: prompts[3], settings: SamplingSettings(maxTokens: 40), onText: { _ in
            pieces.add()
            guard pieces.value == 1 else { return }
            started.signal()
            Self.waitUntil(engine, hasUnfinished: 3)
        }, isCancelled: { pieces.value >= 3 })
        let first = Caller { engine.run([cancelled]) }
        let second = Caller {
            started.wait()
            return engine.run(kept)
        }
        let stopped = try #require(try first.join().first?.get())
        #expect(stopped.finishReason == .cancelled)
        #expect(stopped.ids.count >= 3 && stopped.ids.count < 40)
        #expect(try second.join().map { try $0.get().ids } == alone)
        #expect(engine.statistics.mostSequences == 3)
    }
}
