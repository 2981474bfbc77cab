// A stage's batches, a few at once: a model stage's next batch is decoding while the last one's answers run in the
// sandbox. Commits still go to the database in batch order, so the run's records are those of one batch at a time.
import Store

public enum StageBatches {
    /// Batches of `stage` to run at once: its own `batchesInFlight`; for a model stage whose generator is on another
    /// machine, enough to keep the endpoint's `concurrency` requests going (a GPU server batches many more than 16).
    public static func inFlight(for stage: any Stage, recipe: Recipe) -> Int {
        let own = max(1, stage.batchesInFlight)
        guard own > 1, let endpoint = recipe.models.generatorEndpoint else { return own }
        return max(own, (endpoint.concurrency + stage.batchSize - 1) / max(1, stage.batchSize))
    }

    /// Runs `stage` over `batches`, up to `inFlight` at once, handing each batch's commits to `commit` in batch order
    /// (so the database is written as a one-at-a-time run writes it).
    public static func process(_ batches: [[SampleRecord]], of stage: any Stage, inFlight: Int, context: StageContext,
                               commit: ([SampleRecord], [StageCommit]) throws -> Void) async throws {
        let inFlight = max(1, inFlight)
        try await withThrowingTaskGroup(of: (Int, [StageCommit]).self) { group in
            var started = 0, committed = 0
            var finished: [Int: [StageCommit]] = [:]
            func startNext() {
                let index = started, batch = batches[index]
                group.addTask { (index, try await stage.process(batch, context: context)) }
                started += 1
            }
            while started < min(inFlight, batches.count) { startNext() }
            while let (index, commits) = try await group.next() {
                finished[index] = commits
                while let ready = finished.removeValue(forKey: committed) {
                    try commit(batches[committed], ready)
                    committed += 1
                }
                // Finished batches wait for the one before them; a bounded few, so a stop loses little work.
                while started < batches.count, started - committed < 2 * inFlight, started - committed - finished.count < inFlight { startNext() }
            }
        }
    }
}
