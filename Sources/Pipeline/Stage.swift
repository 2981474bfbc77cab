// The stage contract: a stage takes the samples the previous stage kept and decides about each one.
import Engine
import Foundation
import Store

/// The stages in pipeline order: the original's behaviour is established (inputs, runs, augmentation) before
/// the model rewrites it, so a sample whose behaviour cannot be pinned down costs no rewrite. Benchmark problems are
/// looked for in the natural code before any work, and in what the model wrote once the instruction is final.
public enum StageName: String, CaseIterable, Sendable, Codable {
    case collect
    case decontaminateInput = "decontaminate-input"
    case prefilter
    case testInputs = "test-inputs"
    case runOriginal = "run-original"
    case augment, rewrite, verify, instruct, faithfulness
    case decontaminateOutput = "decontaminate-output"
    case rank, semdedup

    /// The stage whose kept samples this one reads; nil for collect.
    public var previous: StageName? {
        let all = StageName.allCases
        let index = all.firstIndex(of: self)!
        return index == 0 ? nil : all[index - 1]
    }
}

/// Everything a stage may use. The generator, runner and embedder are nil until a stage needs them.
public struct StageContext: Sendable {
    public var recipe: Recipe
    public var store: RunDatabase
    public var runDirectory: URL
    public var generator: (any ChatGenerator)?
    public var runner: (any CodeRunner)?
    public var embedder: (any Embedder)?
    public var workers: Int
    public var progress: ProgressReporter

    public init(recipe: Recipe, store: RunDatabase, runDirectory: URL, generator: (any ChatGenerator)? = nil,
                runner: (any CodeRunner)? = nil, embedder: (any Embedder)? = nil, workers: Int = 2, progress: ProgressReporter) {
        self.recipe = recipe; self.store = store; self.runDirectory = runDirectory; self.generator = generator
        self.runner = runner; self.embedder = embedder; self.workers = workers; self.progress = progress
    }
}

public protocol Stage: Sendable {
    var name: StageName { get }
    /// How many samples to hand over at once (model stages batch requests; execution stages run in parallel).
    var batchSize: Int { get }
    /// Whether the stage reads the samples' code and given instructions; one that does not is handed its samples
    /// without them (semdedup, which may see millions at once in a merge).
    var readsCode: Bool { get }
    /// Batches processed at once (`StageBatches.inFlight` raises it for a remote generator's concurrency). A model
    /// stage keeps two going, so the engine decodes one batch's answers while the other's are checked in the sandbox;
    /// results are committed in batch order either way.
    var batchesInFlight: Int { get }
    /// Decides about each sample of the batch; every sample must get exactly one commit.
    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit]
}

extension Stage {
    var readsCode: Bool { true }
    var batchesInFlight: Int { 1 }

    func keep(_ sample: SampleRecord, seconds: Double = 0, evidence: String? = nil) -> OutcomeRecord {
        OutcomeRecord(sampleId: sample.id, stage: name.rawValue, kept: true, evidence: evidence, seconds: seconds)
    }

    func reject(_ sample: SampleRecord, _ reason: RejectionReason, _ detail: String, evidence: String? = nil, seconds: Double = 0) -> OutcomeRecord {
        OutcomeRecord(sampleId: sample.id, stage: name.rawValue, kept: false, reason: reason.rawValue, detail: detail,
                      evidence: evidence, seconds: seconds)
    }
}

/// Seconds since `start`, for per-sample timing.
func elapsed(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Encodes a value as compact JSON text for evidence columns.
func jsonText<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
}
