// Runs a recipe stage by stage against one run database. Rerunning the same command resumes: each stage
// only sees the samples it has not decided yet, and every decision is committed with its evidence.
import Engine
import Foundation
import ModelFiles
import Store

public struct BuildOptions: Sendable {
    public var inputs: [String] = []
    public var limit: Int?
    public var until: StageName?
    public var runDirectory: URL
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    public var scope = BuildScope.whole
    public init(runDirectory: URL) { self.runDirectory = runDirectory }
}

/// How much of the build one process does.
public enum BuildScope: Sendable, Equatable {
    /// Every stage, then export.
    case whole
    /// The items of one shard, under `RUN/shards/I-of-N`, through rank and their embeddings: what needs the whole
    /// set (SemDeDup, export) waits for `merge`.
    case shard(ShardSpec)
    /// The complete shards under `RUN/shards` joined into `RUN/run.sqlite`, then SemDeDup and export.
    case merge
    /// Runs built apart (each in one process or in shards) joined into the run directory, in this order, as if one
    /// process had read all their inputs; then SemDeDup and export.
    case mergeRuns([URL])

    var isMerge: Bool {
        switch self {
        case .merge, .mergeRuns: true
        case .whole, .shard: false
        }
    }
}

public struct BuildResult: Sendable {
    public var runDirectory: URL
    public var databasePath: String
    public var datasetPath: String?
    public var exported: Int
    public var collected: Int
    public var funnel: [StageCount]
}

/// Builds the model-backed parts only when a stage needs them (loading a model takes time).
public struct BuildServices: Sendable {
    public var generator: @Sendable () throws -> any ChatGenerator
    /// Given the directories the collected modules are imported from (so the sandbox can see them).
    public var runner: @Sendable (_ moduleRoots: [String]) throws -> any CodeRunner
    public var embedder: @Sendable () throws -> any Embedder
    /// Cheap checks run before any work (the models can be found), so a wrong name fails at once rather than after
    /// the model stages.
    public var preflight: @Sendable () throws -> Void
    public init(generator: @escaping @Sendable () throws -> any ChatGenerator,
                runner: @escaping @Sendable (_ moduleRoots: [String]) throws -> any CodeRunner,
                embedder: @escaping @Sendable () throws -> any Embedder,
                preflight: @escaping @Sendable () throws -> Void = {}) {
        self.generator = generator; self.runner = runner; self.embedder = embedder; self.preflight = preflight
    }
}

public final class BuildRunner {
    let recipe: Recipe
    let options: BuildOptions
    let services: BuildServices
    let progress: ProgressReporter

    public init(recipe: Recipe, options: BuildOptions, services: BuildServices, progress: ProgressReporter) {
        var recipe = recipe
        if !options.inputs.isEmpty { recipe.inputs = options.inputs.map { Recipe.InputSpec(path: $0) } }
        // How the work is split is not part of what is built.
        recipe.shards = nil
        self.recipe = recipe
        self.options = options
        self.services = services
        self.progress = progress
    }

    public static let perSampleStages: [any Stage] = [
        DecontaminateStage(name: .decontaminateInput), PrefilterStage(), TestInputsStage(), RunOriginalStage(), AugmentStage(), RewriteStage(),
        VerifyStage(), InstructStage(), FaithfulnessStage(), DecontaminateStage(name: .decontaminateOutput), RankStage(), SemDedupStage(),
    ]

    public var recipeHash: String {
        String(SHA256.hex(Array(jsonText(recipe).utf8)).prefix(16))
    }

    /// What a run's decisions depend on: the recipe without its export and late (last-stage) settings.
    var identityHash: String {
        var identity = recipe
        identity.export = .init()
        // How many requests fit in memory at once, not what they produce.
        identity.models.kvMemoryMib = nil
        for late in Self.lateSettings { late.clear(&identity) }
        return String(SHA256.hex(Array(jsonText(identity).utf8)).prefix(16))
    }

    public func run() async throws -> BuildResult {
        guard !recipe.inputs.isEmpty else {
            throw PipelineError.recipe(path: "recipe", line: nil, key: "inputs",
                                       message: "no inputs: name a .py file, a directory, a repository, a JSONL file or stdlib (or give --input)")
        }
        var directory = options.runDirectory
        if case let .shard(spec) = options.scope {
            directory = directory.appendingPathComponent("shards").appendingPathComponent(spec.directoryName)
            if let done = try finishedShard(spec, directory: directory) { return done }
        }
        // Only a run that may reach a model stage needs its models; a merge needs none but the embedder, if that.
        if !options.scope.isMerge, options.until.map({ $0 >= .testInputs }) ?? true { try services.preflight() }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The lock is on the run directory itself: a lock file could be deleted as stale, the run cannot.
        let lock = try RunLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        let databasePath = directory.appendingPathComponent("run.sqlite").path
        let sources: [MergeSource]
        switch options.scope {
        case .whole, .shard: return try await decide(directory: directory, databasePath: databasePath)
        case .merge:
            sources = [try MergeSource.shards(ofRun: directory)]
            progress.message("merge: \(sources[0].parts.count) complete shards of \(sources[0].total) items")
        case let .mergeRuns(runs):
            sources = try ShardMerge.sources(runs, into: directory)
            progress.message("merge: \(runs.count) runs of \(sources.map(\.total).reduce(0, +)) items into \(directory.path)")
        }
        // A merge decides on a database of its own and puts it in place only when everything succeeded: a failed merge
        // leaves the previous one whole.
        let building = try ShardMerge.assemble(sources, apart: options.scope != .merge, besides: databasePath, progress: progress)
        var result = try await decide(directory: directory, databasePath: building)
        try ShardMerge.install(building, at: databasePath)
        result.databasePath = databasePath
        return result
    }

    /// Collect, the stages and export on the run database at `databasePath`.
    func decide(directory: URL, databasePath: String) async throws -> BuildResult {
        try RunLock.createOwnerOnly(databasePath)
        let store = try RunDatabase(path: databasePath)
        try checkSameRecipe(store, directory: directory)

        var context = StageContext(recipe: recipe, store: store, runDirectory: directory, workers: options.workers, progress: progress)
        var shard: ShardSpec?
        if case let .shard(spec) = options.scope { shard = spec }
        let collected = try CollectStage.run(context: context, inputs: recipe.inputs, limit: options.limit, shard: shard)
        let candidates = try store.keptCount(by: StageName.collect.rawValue)
        progress.message("collect: \(collected) items from \(recipe.inputs.map(\.path).joined(separator: ", ")): \(candidates) candidates, "
                         + "\(collected - candidates) rejected on the way")

        var lastStage = StageName.collect
        // A merge holds finished shards and runs: when the counts say nothing waits before SemDeDup, it need not look
        // stage by stage (a query a stage over millions of samples).
        let nothingWaits = try options.scope.isMerge
            && store.allDecided(through: Self.firstGlobalStage.previous!.rawValue,
                                before: StageName.allCases.filter { $0 >= Self.firstGlobalStage }.map(\.rawValue))
        for stage in Self.perSampleStages {
            if let until = options.until, StageName.allCases.firstIndex(of: stage.name)! > StageName.allCases.firstIndex(of: until)! { break }
            if shard != nil && stage.name >= Self.firstGlobalStage { break }
            if nothingWaits && stage.name < Self.firstGlobalStage {
                lastStage = stage.name
                continue
            }
            let pending = try store.pending(stage: stage.name.rawValue, after: stage.name.previous?.rawValue, withCode: stage.readsCode)
            lastStage = stage.name
            guard !pending.isEmpty else { continue }
            if options.scope.isMerge && stage.name < Self.firstGlobalStage {
                throw PipelineError.shard(message: "\(pending.count) merged samples still wait for \(stage.name.rawValue): a shard or run stopped "
                                          + "early; rerun it without --until")
            }
            try prepare(stage.name, &context)
            progress.begin(stage.name, total: pending.count)
            let size = stage.name == .semdedup ? pending.count : stage.batchSize
            let batches = stride(from: 0, to: pending.count, by: size).map { Array(pending[$0..<min($0 + size, pending.count)]) }
            try await StageBatches.process(batches, of: stage, inFlight: StageBatches.inFlight(for: stage, recipe: recipe), context: context) { batch, commits in
                precondition(Set(commits.map(\.outcome.sampleId)) == Set(batch.map(\.id)), "\(stage.name) must decide every sample once")
                try store.commit(commits)
                progress.advance(stage.name, by: batch.count)
            }
            progress.finish(stage.name)
        }

        if let shard, lastStage == Self.firstGlobalStage.previous {
            try await finishShard(shard, context: &context, directory: directory)
        }

        var datasetPath: String?
        var exported = 0
        if shard == nil, options.until == nil || options.until == lastStage && lastStage == .semdedup {
            let url = recipe.export.path.hasPrefix("/") ? URL(fileURLWithPath: recipe.export.path)
                : directory.appendingPathComponent(recipe.export.path)
            let result = try Exporter.export(store: store, finalStage: lastStage, to: url, model: recipe.models.generator, recipe: recipeHash)
            exported = result.written
            for (id, why) in result.inconsistent { progress.message("not exported: sample \(id): \(why)") }
            datasetPath = url.path
        }
        let funnel = try store.funnel(stages: StageName.allCases.map(\.rawValue))
        // A merged database is moved into place next: everything it holds must be in its file, none in its log.
        if options.scope.isMerge { try store.checkpoint() }
        return BuildResult(runDirectory: directory, databasePath: databasePath, datasetPath: datasetPath,
                           exported: exported, collected: collected, funnel: funnel)
    }

    func prepare(_ stage: StageName, _ context: inout StageContext) throws {
        switch stage {
        case .testInputs, .rewrite, .instruct, .faithfulness:
            if context.runner == nil { context.runner = try services.runner(try Self.moduleRoots(context.store)) }
            if context.generator == nil {
                let generator = try services.generator()
                context.generator = generator
                try context.store.setMeta("generator.constraints", Self.constraints(recipe: recipe, generator: generator))
            }
        case .runOriginal, .augment, .verify:
            if context.runner == nil { context.runner = try services.runner(try Self.moduleRoots(context.store)) }
        case .semdedup:
            if context.embedder == nil && recipe.dedup.enabled {
                context.embedder = try StoredEmbedder.recorded(recipe: recipe, store: context.store, load: services.embedder) ?? services.embedder()
            }
        default: break
        }
    }

    /// The directories the sandbox imports collected modules from: every input's, also in a shard (which holds only some
    /// of the samples), so that what a sample can import does not depend on which shard it is in.
    static func moduleRoots(_ store: RunDatabase) throws -> [String] {
        if let all = try store.meta("collect.module-roots"), let roots = try? JSONDecoder().decode([String].self, from: Data(all.utf8)) {
            return roots
        }
        return try store.moduleRoots()
    }

    /// Whether the model stages' answers were constrained, and why not: a reader of the run needs to know.
    static func constraints(recipe: Recipe, generator: any ChatGenerator) -> String {
        guard recipe.sampling.constrain else { return "off (sampling.constrain: false)" }
        if generator.supportsConstraints { return "on" + (generator.constraintRoute.map { " (\($0))" } ?? "") }
        return "not sent: \(generator.constraintRoute ?? "the generator cannot constrain"), answers are parsed as they come"
    }

    /// The order and meaning of the stages a run database was made with; runs of another layout cannot resume.
    static let pipelineLayout = "6: SemDeDup's settings recorded per stage, not in the recipe hash; benchmark decontamination after collect and after faithfulness; methods and nested functions are samples; test inputs, run original and augment before rewrite; instruct and faithfulness after verify"

    /// A run directory belongs to one recipe and one pipeline layout: resuming with another would mix two datasets.
    func checkSameRecipe(_ store: RunDatabase, directory: URL) throws {
        if let layout = try store.meta("pipeline.layout") {
            guard layout == Self.pipelineLayout else {
                throw PipelineError.input(path: directory.path, message: "this run was made by a different version of the pipeline (\(layout)); start a new --run directory")
            }
        } else if try store.meta("collect.done") != nil {
            throw PipelineError.input(path: directory.path, message: "this run was made by an older version of the pipeline; start a new --run directory")
        } else {
            try store.setMeta("pipeline.layout", Self.pipelineLayout)
        }
        let hash = identityHash
        if let existing = try store.meta("recipe.hash") {
            guard existing == hash else {
                throw PipelineError.input(path: directory.path,
                    message: "this run was started with a different recipe or inputs; resume it with the same ones or choose another --run directory")
            }
        } else {
            try store.setMeta("recipe.hash", hash)
            try store.setMeta("recipe", jsonText(recipe))
            try store.setMeta("generator", recipe.models.generator)
        }
        // A late stage's own settings may change: that stage is decided again (it is the last one), nothing before it.
        for late in Self.lateSettings {
            let key = "settings.\(late.stage.rawValue)"
            let current = late.fingerprint(recipe)
            if let stored = try store.meta(key), stored != current {
                try store.forgetDecisions(of: late.stage.rawValue)
                try store.setMeta("recipe", jsonText(recipe))
                progress.message("\(late.stage.rawValue): its settings changed (\(stored) -> \(current)); deciding it again, and nothing before it")
            }
            try store.setMeta(key, current)
        }
    }

    /// Settings read only by the last stage, recorded with the run (meta `settings.STAGE`) rather than in the recipe's
    /// hash: tuning them re-runs that stage alone, not the model stages before it.
    static let lateSettings: [(stage: StageName, fingerprint: @Sendable (Recipe) -> String, clear: @Sendable (inout Recipe) -> Void)] = [
        (.semdedup, { jsonText(["dedup": jsonText($0.dedup), "embedder": $0.models.embedder,
                                "embedder_endpoint": $0.models.embedderEndpoint.map { jsonText($0) } ?? "local",
                                "against": ShippedCorpora.contents($0.dedup.against ?? [])]) },
         { $0.dedup = .init(); $0.models.embedder = Recipe.Models().embedder; $0.models.embedderEndpoint = nil }),
    ]
}
