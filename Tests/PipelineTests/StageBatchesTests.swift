// A stage's batches run a few at once and are committed in batch order, whatever order they finish in.
import Foundation
import Pipeline
import Store
import Testing

/// A stage whose batch i takes longer the smaller i is, so later batches finish first; it counts how many run at once.
private struct SlowFirstStage: Stage {
    let name = StageName.rewrite
    let batchSize = 2
    let readsCode = true
    let batchesInFlight: Int
    let tracker: InFlightTracker
    var failingBatch: Int?

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let index = batch[0].ordinal / batchSize
        tracker.begin()
        defer { tracker.end() }
        try await Task.sleep(nanoseconds: UInt64(40 - 8 * min(index, 4)) * 1_000_000)
        if index == failingBatch { throw PipelineError.model("batch \(index) failed") }
        return batch.map { StageCommit(outcome: OutcomeRecord(sampleId: $0.id, stage: name.rawValue, kept: true)) }
    }
}

private final class InFlightTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    private(set) var most = 0
    func begin() { lock.withLock { running += 1; most = max(most, running) } }
    func end() { lock.withLock { running -= 1 } }
}

struct StageBatchesTests {
    static func batches(_ count: Int) -> [[SampleRecord]] {
        (0..<count).map { b in
            (0..<2).map { i in
                SampleRecord(id: "s\(2 * b + i)", ordinal: 2 * b + i, source: "a.py", line: 1, entryPoint: "f", code: "def f(): pass")
            }
        }
    }

    static func context() throws -> StageContext {
        StageContext(recipe: Recipe(), store: try RunDatabase(), runDirectory: FileManager.default.temporaryDirectory,
                     progress: ProgressReporter(mode: .quiet))
    }

    @Test(arguments: [1, 2, 3])
    func commitsComeInBatchOrderWithAtMostTheStagesBatchesAtOnce(inFlight: Int) async throws {
        let tracker = InFlightTracker()
        let stage = SlowFirstStage(batchesInFlight: inFlight, tracker: tracker)
        var order: [String] = []
        try await StageBatches.process(Self.batches(6), of: stage, inFlight: stage.batchesInFlight, context: try Self.context()) { batch, commits in
            #expect(commits.map(\.outcome.sampleId) == batch.map(\.id))
            order += batch.map(\.id)
        }
        #expect(order == (0..<12).map { "s\($0)" })
        #expect(tracker.most == inFlight)
    }

    /// The embedded engine gets the stage's own two; a remote endpoint enough batches of 8 for its concurrency; a
    /// stage that runs one batch at a time keeps to it.
    @Test func batchesInFlightFollowTheGenerator() {
        let model = SlowFirstStage(batchesInFlight: 2, tracker: InFlightTracker()), alone = SlowFirstStage(batchesInFlight: 1, tracker: InFlightTracker())
        var recipe = Recipe()
        #expect(StageBatches.inFlight(for: model, recipe: recipe) == 2)
        recipe.models.generatorEndpoint = Recipe.Endpoint(endpoint: "http://gpu-box:8000/v1")
        recipe.models.generatorEndpoint?.concurrency = 64
        #expect(StageBatches.inFlight(for: model, recipe: recipe) == 32)
        recipe.models.generatorEndpoint?.concurrency = 3
        #expect(StageBatches.inFlight(for: model, recipe: recipe) == 2)
        recipe.models.generatorEndpoint?.concurrency = 64
        #expect(StageBatches.inFlight(for: alone, recipe: recipe) == 1)
    }

    @Test func aFailingBatchStopsTheStageAfterTheBatchesBeforeIt() async throws {
        var stage = SlowFirstStage(batchesInFlight: 2, tracker: InFlightTracker())
        stage.failingBatch = 2
        var committed: [String] = []
        await #expect(throws: PipelineError.self) {
            try await StageBatches.process(Self.batches(6), of: stage, inFlight: stage.batchesInFlight, context: try Self.context()) { batch, _ in
                committed += batch.map(\.id)
            }
        }
        // Batches 0 and 1 were committed; nothing from 2 on is, even where it finished.
        #expect(committed.count <= 4 && !committed.contains { ["s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11"].contains($0) })
    }
}
