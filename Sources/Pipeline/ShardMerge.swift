// merge: the shards of a run joined into the run's own database. It checks they belong together, copies their
// decisions, and decides again what only the whole can (exact duplicates across shards); semdedup and export then run
// on it as on a single process, so the merged dataset equals the one a single process would have made.
import Foundation
import Store

public enum ShardMerge {
    public struct Shard: Sendable {
        public var spec: ShardSpec
        public var directory: URL
        public var marker: ShardMarker
        public var databasePath: String { directory.appendingPathComponent("run.sqlite").path }
    }

    /// Meta entries that describe one shard rather than the run.
    static let shardOnlyMeta: Set<String> = ["collect.done", "collect.total", "collect.module-roots", "shard"]

    /// The complete shards under `run/shards`, checked to be one split of one recipe over the same inputs. Names every
    /// shard that is missing, unfinished or foreign.
    public static func shards(of run: URL) throws -> [Shard] {
        let root = run.appendingPathComponent("shards")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let specs = names.compactMap(ShardSpec.init(directoryName:)).sorted { $0.index < $1.index }
        guard let count = specs.first?.count else {
            throw PipelineError.shard(message: "no shards under \(root.path): run `semi-instruct build RECIPE --run \(run.path) --shard I/N` "
                                      + "for I from 0 to N-1 first")
        }
        let counts = Set(specs.map(\.count))
        guard counts.count == 1 else {
            let split = counts.sorted().map { n in "\(specs.filter { $0.count == n }.count) of \(n)" }.joined(separator: ", ")
            throw PipelineError.shard(message: "\(root.path) holds shards of different splits (\(split)); one run directory holds one split")
        }
        let present = Set(specs.map(\.index))
        let missing = (0..<count).filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw PipelineError.shard(message: "missing \(missing.count) of \(count) shards: "
                                      + missing.prefix(8).map { try! ShardSpec(index: $0, count: count).directoryName }.joined(separator: ", ")
                                      + (missing.count > 8 ? ", ..." : "") + "; run them with `build --shard I/\(count)`")
        }
        var shards: [Shard] = []
        var unfinished: [String] = []
        for spec in specs {
            let directory = root.appendingPathComponent(spec.directoryName)
            if let marker = try ShardMarker.read(in: directory) {
                shards.append(Shard(spec: spec, directory: directory, marker: marker))
            } else {
                unfinished.append(spec.directoryName)
            }
        }
        guard unfinished.isEmpty else {
            throw PipelineError.shard(message: "\(unfinished.count) of \(count) shards are not complete (no \(ShardMarker.fileName)): "
                                      + unfinished.prefix(8).joined(separator: ", ") + (unfinished.count > 8 ? ", ..." : "")
                                      + "; rerun each with the same command (a killed shard resumes where it stopped)")
        }
        try agree(shards, on: "recipe", \.recipeHash, why: "were built with different recipes or inputs")
        try agree(shards, on: "pipeline version", \.pipelineLayout, why: "were built by different versions of the pipeline")
        try agree(shards, on: "input total", { String($0.collectedTotal) }, why: "read different inputs (or a different --limit)")
        let held = shards.reduce(0) { $0 + $1.marker.samples }
        guard held == shards[0].marker.collectedTotal else {
            throw PipelineError.shard(message: "the shards hold \(held) items but their inputs have \(shards[0].marker.collectedTotal)")
        }
        return shards
    }

    /// Fails naming the shards whose `value` differs from the most common one.
    static func agree(_ shards: [Shard], on what: String, _ value: (ShardMarker) -> String, why: String) throws {
        let groups = Dictionary(grouping: shards, by: { value($0.marker) })
        guard groups.count > 1 else { return }
        let common = groups.max { $0.value.count < $1.value.count || ($0.value.count == $1.value.count && $0.key > $1.key) }!.key
        let foreign = groups.filter { $0.key != common }.flatMap(\.value).map(\.spec.directoryName).sorted()
        throw PipelineError.shard(message: "shards \(why): \(foreign.joined(separator: ", ")) differ in \(what) from the other "
                                  + "\(shards.count - foreign.count) (\(common))")
    }

    /// The recipe the shards of `run` were built with, as they stored it.
    public static func recipe(ofRun run: URL) throws -> Recipe {
        try MergeSource.shards(ofRun: run).recipe
    }

    /// The runs `merge RUN_A RUN_B --into DIR` joins, each read as it was built, checked to share one recipe but for their
    /// inputs; `directory` must be none of them and hold no shards of its own.
    static func sources(_ runs: [URL], into directory: URL) throws -> [MergeSource] {
        let target = directory.standardizedFileURL.resolvingSymlinksInPath().path
        for run in runs where run.standardizedFileURL.resolvingSymlinksInPath().path == target {
            throw PipelineError.input(path: directory.path, message: "the merged run cannot be written into one of the runs it joins; choose another --into")
        }
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("shards").path) {
            throw PipelineError.input(path: directory.path, message: "this directory holds shards of its own: merge them with `merge \(directory.path)`, "
                                      + "or choose another --into")
        }
        let sources = try runs.map(MergeSource.run(at:))
        _ = try MergeSource.recipe(of: sources)
        return sources
    }

    /// Meta entries of a source that do not carry over to runs merged apart: the merged run records its own recipe.
    static func ownMeta(_ key: String) -> Bool {
        ["recipe", "recipe.hash", "generator", "merge.shards", "merge.runs"].contains(key) || key.hasPrefix("settings.")
    }

    /// Writes the merged database beside `path` (which it will replace: an earlier merge's, never a single-process
    /// run's) and returns where: every source's rows, the run's meta, and exact duplicates across sources rejected as a
    /// single process would have. The shards of one run keep their ordinals and ids; runs built apart follow each other
    /// in the order given, as if one process had read all their inputs. `install` puts it in place once the merge succeeded.
    static func assemble(_ sources: [MergeSource], apart: Bool, besides path: String, progress: ProgressReporter) throws -> String {
        if FileManager.default.fileExists(atPath: path) {
            let meta = try RunDatabase.meta(ofRunAt: path)
            guard meta["merge.shards"] != nil || meta["merge.runs"] != nil else {
                throw PipelineError.input(path: path, message: "this run directory holds a single-process run; merge writes its own database "
                                          + "there, so give the shards a run directory of their own")
            }
        }
        let building = path + ".merging"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: building + suffix) }
        try RunLock.createOwnerOnly(building)
        do {
            let store = try RunDatabase(path: building)
            // The rows are keyed by hashed ids: the primary keys are kept in memory while they grow, and the other
            // indexes built once at the end rather than by an insert at a random place a row.
            let (runMeta, offset) = try store.withWriteCache(mebibytes: 1024) {
                try store.withoutSecondaryIndexes { try absorb(sources, into: store, apart: apart, progress: progress) }
            }
            for (key, value) in runMeta { try store.setMeta(key, value) }
            try store.setMeta("collect.done", String(offset))
            try store.setMeta("collect.total", String(offset))
            if apart {
                try store.setMeta("merge.runs", jsonText(sources.map(\.directory.path)))
            } else {
                try store.setMeta("merge.shards", String(sources[0].parts.count))
            }
            // A run built in one process decided SemDeDup over its own samples only: the merge decides it over all.
            if sources.contains(where: { !$0.sharded }) { try store.forgetDecisions(of: StageName.semdedup.rawValue) }
            let duplicates = try rejectExactDuplicates(store)
            if duplicates > 0 {
                progress.message("merge: \(duplicates) samples repeat code that another \(apart ? "run" : "shard") kept first; rejected as exact duplicates")
            }
            try store.checkpoint()
        }
        return building
    }

    /// Copies every source's rows into `store`, in order; returns the run's meta taken from them and the items they hold.
    static func absorb(_ sources: [MergeSource], into store: RunDatabase, apart: Bool,
                       progress: ProgressReporter) throws -> (meta: [String: String], items: Int) {
        var runMeta: [String: String] = [:]
        var taken = Set<String>()
        var offset = 0
        for source in sources {
            let renaming = apart ? try source.renaming(after: &taken) : [:]
            for part in source.parts {
                let (samples, meta) = try store.absorb(runAt: part.databasePath, ordinalOffset: offset, renaming: renaming)
                if let marker = part.marker {
                    guard meta["recipe.hash"] == marker.recipeHash, samples == marker.samples else {
                        throw PipelineError.shard(message: "\(part.name): its database does not match its completion marker "
                                                  + "(\(samples) samples, recipe \(meta["recipe.hash"] ?? "none")); rerun the shard")
                    }
                }
                // A key a shard lacks (no sample of it reached the stage that writes it) comes from another shard.
                for (key, value) in meta where !shardOnlyMeta.contains(key) && !(apart && ownMeta(key)) && runMeta[key] == nil {
                    runMeta[key] = value
                }
                let name = apart ? "\(source.directory.path)" + (source.sharded ? " \(part.name)" : "") : part.name
                progress.message("merge: \(name): \(samples) items")
            }
            if !renaming.isEmpty {
                progress.message("merge: \(renaming.count) items of \(source.directory.path) are also in an earlier run (the same function "
                                 + "at the same place); they are counted again, as one process reading both inputs would")
            }
            offset += source.total
        }
        return (runMeta, offset)
    }

    /// Moves the finished merged database into place (its write-ahead log was checkpointed and closed with it).
    static func install(_ building: String, at path: String) throws {
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: building, toPath: path)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: building + suffix) }
    }

    /// A shard only knows the copies of a function it holds itself: across shards, the first copy in input order is
    /// kept and every later one gets prefilter's rejection, with nothing after it (as a single process decides).
    static func rejectExactDuplicates(_ store: RunDatabase) throws -> Int {
        let prefilter = StageName.prefilter
        let later = StageName.allCases.drop { $0 != prefilter }.dropFirst().map(\.rawValue)
        var first: [String: String] = [:]
        var originalOf: [String: String] = [:]
        for (id, evidence) in try store.keptEvidenceInOrder(by: prefilter.rawValue) {
            guard let hash = evidence.flatMap(PrefilterStage.codeHash(evidence:)) else { continue }
            if let original = first[hash] {
                try store.redecide(OutcomeRecord(sampleId: id, stage: prefilter.rawValue, kept: false, reason: RejectionReason.exactDuplicate.rawValue,
                                                 detail: PrefilterStage.duplicateDetail(first: original)),
                                   forgetting: later)
                originalOf[id] = original
            } else {
                first[hash] = id
            }
        }
        // A copy its own shard rejected names the copy that shard kept; when the merge rejected that one too, the copy
        // names the first in input order, as in one process.
        let renamed = Dictionary(uniqueKeysWithValues: originalOf.map { (PrefilterStage.duplicateDetail(first: $0.key), $0.value) })
        for outcome in try store.outcomes(reason: RejectionReason.exactDuplicate.rawValue) where outcome.stage == prefilter.rawValue {
            guard let detail = outcome.detail, let original = renamed[detail] else { continue }
            var fixed = outcome
            fixed.detail = PrefilterStage.duplicateDetail(first: original)
            try store.redecide(fixed, forgetting: later)
        }
        return originalOf.count
    }
}
