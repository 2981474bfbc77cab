import Engine
import Foundation
import ModelFiles
import Pipeline
import SemiInstructCLI
import Store
import Testing

/// `build --shard I/N` then `merge`: the merged run must equal the single-process one, whatever N, and every way of
/// getting it wrong (a missing, unfinished, foreign or damaged shard) must be named and lose nothing.
@Suite(.serialized) struct ShardMergeTests {
    static let script = ScriptedGenerator(inputs: [
        "f": ["f([1, 2, 3, 4, 5], 2)", "f([], 3)", "f([1], 1)"],
        "dedupe": ["dedupe([1, 1, 2])", "dedupe('abca')", "dedupe([])"],
        "unique_items": ["unique_items([1, 1, 2])", "unique_items('abca')", "unique_items([])"],
        "rle": ["rle('aaab')", "rle('')", "rle([1, 1, 2])"],
        "grp": ["grp([(1, 'a'), (1, 'b')])", "grp([])", "grp([('x', 1)])"],
        "mx": ["mx([3, 1, 2])", "mx([5])", "mx([])", "mx([-1, -2])"],
        "rot": ["rot([1, 2, 3], 1)", "rot([], 2)", "rot([1, 2], 5)"],
        "fib": ["fib(0)", "fib(1)", "fib(10)"],
        "clamp": ["clamp(5, 0, 3)", "clamp(-1, 0, 3)", "clamp(2, 0, 3)"],
        "digits": ["digits(123)", "digits(-40)", "digits(0)"],
    ])

    /// A corpus under a fixed name (sample ids hash their source): two files of samples/, plus copies of two of their
    /// functions in another file (exact duplicates once formatted) and a renamed copy (a semantic duplicate).
    static func corpus(in dir: URL) throws -> URL {
        let corpus = dir.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        for name in ["lists.py", "numbers.py"] {
            try FileManager.default.copyItem(at: CollectPrefilterTests.samples.appendingPathComponent(name), to: corpus.appendingPathComponent(name))
        }
        try """
            import itertools


            def dedupe(seq):
                # the same function as in lists.py, laid out differently
                s = set(); o = []
                for x in seq:
                    if x not in s: s.add(x); o.append(x)
                return o


            def rle(s):
                return [(k, len(list(g))) for k, g in itertools.groupby(s)]


            def unique_items(seq):
                s=set();o=[]
                for x in seq:
                    if x not in s: s.add(x);o.append(x)
                return o
            """.write(to: corpus.appendingPathComponent("copies.py"), atomically: true, encoding: .utf8)
        // Two more copies. With two shards, lists.py's and spare.py's share one and the first copy (copies.py, first in
        // path order) is in the other: the later one must still name the first, as in one process.
        let copy = "def dedupe(seq):\n    s = set()\n    o = []\n    for x in seq:\n        if x not in s:\n            s.add(x)\n            o.append(x)\n    return o\n"
        try copy.write(to: corpus.appendingPathComponent("more.py"), atomically: true, encoding: .utf8)
        try copy.replacingOccurrences(of: "return o", with: "return o  # spare").write(to: corpus.appendingPathComponent("spare.py"), atomically: true, encoding: .utf8)
        return corpus
    }

    static func recipe(_ corpus: URL) -> Recipe {
        var recipe = Recipe()
        recipe.name = "shards"
        recipe.inputs = [.init(path: corpus.path)]
        recipe.tests.count = 4
        recipe.sandbox.timeoutSeconds = 1
        recipe.dedup.eps = 0.3
        recipe.dedup.clusters = 2
        return recipe
    }

    static func build(_ recipe: Recipe, in run: URL, scope: BuildScope = .whole) async throws -> BuildResult {
        var options = BuildOptions(runDirectory: run)
        options.scope = scope
        let settings = recipe
        // A merge asks no model anything and embeds nothing: the shards stored every vector.
        let merging: Bool
        switch scope {
        case .merge, .mergeRuns: merging = true
        case .whole, .shard: merging = false
        }
        let services = BuildServices(
            generator: { if merging { throw NoServices() }; return script },
            runner: { roots in
                if merging { throw NoServices() }
                return try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: 1e-9, workers: 2, sourceRoots: roots)
            },
            embedder: { if merging { throw NoServices() }; return HashingEmbedder(dimension: 256) })
        return try await BuildRunner(recipe: recipe, options: options, services: services, progress: ProgressReporter(mode: .quiet)).run()
    }

    static func buildShards(_ recipe: Recipe, count: Int, in run: URL) async throws {
        for index in 0..<count { _ = try await build(recipe, in: run, scope: .shard(try ShardSpec(index: index, count: count))) }
    }

    /// Every decision of a run, as text that does not depend on timing.
    static func decisions(_ result: BuildResult) throws -> [String] {
        let store = try RunDatabase(existingRunAt: result.databasePath)
        return try store.samples().flatMap { sample in
            try store.outcomes(of: sample.id).map { "\(sample.ordinal) \($0.stage) \($0.kept) \($0.reason ?? "") \($0.detail ?? "")" }
        }.sorted()
    }

    static func funnel(_ result: BuildResult) -> [String] {
        result.funnel.map { "\($0.stage) \($0.kept) \($0.rejected) \($0.reasons.map { "\($0.reason)=\($0.count)" })" }
    }

    @Test func mergedShardsEqualOneProcessForOneTwoThreeAndSevenShards() async throws {
        let dir = try temporaryDirectory("shards")
        defer { try? FileManager.default.removeItem(at: dir) }
        let recipe = Self.recipe(try Self.corpus(in: dir))
        let whole = try await Self.build(recipe, in: dir.appendingPathComponent("whole"))
        let expected = try String(contentsOfFile: try #require(whole.datasetPath), encoding: .utf8)
        let expectedDecisions = try Self.decisions(whole)
        // The corpus exercises both kinds of duplicate: exact copies at prefilter, a renamed copy at SemDeDup.
        #expect(expectedDecisions.filter { $0.contains("prefilter false exact-duplicate") }.count == 4, "\(expectedDecisions)")
        #expect(expectedDecisions.contains { $0.contains("semdedup false semantic-duplicate") }, "\(expectedDecisions)")
        #expect(whole.exported >= 4)
        // Export reads a page of samples at a time; pages of one or three give the bytes of one page of all.
        let wholeStore = try RunDatabase(existingRunAt: whole.databasePath)
        let firstRow = try #require(expected.split(separator: "\n").first)
        let hash = try #require((try JSONSerialization.jsonObject(with: Data(firstRow.utf8)) as? [String: Any])?["recipe"] as? String)
        for size in [1, 3] {
            let paged = dir.appendingPathComponent("paged-\(size).jsonl")
            let result = try Exporter.export(store: wholeStore, finalStage: .semdedup, to: paged, model: recipe.models.generator,
                                             recipe: hash, pageSize: size)
            #expect(result.written == whole.exported && result.inconsistent.isEmpty)
            #expect(try String(contentsOf: paged, encoding: .utf8) == expected, "pages of \(size)")
        }

        var splitDuplicates = false, chained = false
        for count in [1, 2, 3, 7] {
            let run = dir.appendingPathComponent("run-\(count)")
            try await Self.buildShards(recipe, count: count, in: run)
            // Each shard holds its own database and marker, and exports nothing.
            let spec = try ShardSpec(index: 0, count: count)
            #expect(try ShardMarker.read(in: run.appendingPathComponent("shards/\(spec.directoryName)")) != nil)
            #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("dataset.jsonl").path))
            let merged = try await Self.build(recipe, in: run, scope: .merge)
            let actual = try String(contentsOfFile: try #require(merged.datasetPath), encoding: .utf8)
            #expect(actual == expected, "\(count) shards")
            #expect(try Self.decisions(merged) == expectedDecisions, "\(count) shards")
            #expect(Self.funnel(merged) == Self.funnel(whole), "\(count) shards")
            #expect(merged.collected == whole.collected && merged.exported == whole.exported)
            // Did an exact duplicate and its original land in different shards (so the merge, not prefilter, found it)?
            let store = try RunDatabase(existingRunAt: merged.databasePath)
            // And did two copies share a shard without their original (so the merge had to rename what that shard said)?
            let duplicates = try store.outcomes(reason: "exact-duplicate").map { ($0.sampleId, String($0.detail!.split(separator: " ")[4])) }
            func shard(_ id: String) -> Int { (0..<count).first { try! ShardSpec(index: $0, count: count).owns(sampleId: id) }! }
            for (a, original) in duplicates {
                for (b, other) in duplicates where a < b && original == other && shard(a) == shard(b) && shard(a) != shard(original) { chained = true }
            }
            for line in try store.outcomes(reason: "exact-duplicate") {
                let original = String(line.detail!.split(separator: " ")[4])
                if (0..<count).contains(where: { try! ShardSpec(index: $0, count: count).owns(sampleId: line.sampleId) != ShardSpec(index: $0, count: count).owns(sampleId: original) }) {
                    splitDuplicates = true
                }
            }
            #expect(try store.meta("merge.shards") == String(count))
        }
        #expect(splitDuplicates, "no split put a duplicate and its original in different shards: the corpus no longer tests the merge's own dedup")
        #expect(chained, "no split put two copies in one shard and their original in another")

        // The recipe the CLI's merge reads back from the shards is the one they were built with.
        var stored = recipe
        stored.shards = nil
        #expect(try ShardMerge.recipe(ofRun: dir.appendingPathComponent("run-3")) == stored)
    }

    @Test func rerunsMergesTwiceAndBadShardsAreNamed() async throws {
        let dir = try temporaryDirectory("shards-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        var recipe = Self.recipe(try Self.corpus(in: dir))
        recipe.inputs = [.init(path: dir.appendingPathComponent("corpus/lists.py").path)]
        let run = dir.appendingPathComponent("run")
        try await Self.buildShards(recipe, count: 3, in: run)

        // A finished shard run again does nothing: no model is asked, no decision is added.
        let asked = Self.script.requests.count
        let middleDatabase = run.appendingPathComponent("shards/0001-of-0003/run.sqlite").path
        let decided = try RunDatabase(existingRunAt: middleDatabase).funnel(stages: StageName.allCases.map(\.rawValue)).map { $0.kept + $0.rejected }
        let again = try await Self.build(recipe, in: run, scope: .shard(try ShardSpec(index: 1, count: 3)))
        #expect(Self.script.requests.count == asked && again.exported == 0)
        #expect(try RunDatabase(existingRunAt: middleDatabase).funnel(stages: StageName.allCases.map(\.rawValue)).map { $0.kept + $0.rejected } == decided)

        // Merging twice gives the same dataset.
        let first = try await Self.build(recipe, in: run, scope: .merge)
        let dataset = try String(contentsOfFile: first.datasetPath!, encoding: .utf8)
        let second = try await Self.build(recipe, in: run, scope: .merge)
        #expect(try String(contentsOfFile: second.datasetPath!, encoding: .utf8) == dataset && !dataset.isEmpty)
        #expect(Self.funnel(first) == Self.funnel(second))

        func mergeError() async -> String {
            do {
                _ = try await Self.build(recipe, in: run, scope: .merge)
                return "merged"
            } catch {
                return error.localizedDescription
            }
        }
        let shards = run.appendingPathComponent("shards")
        let middle = shards.appendingPathComponent("0001-of-0003")
        let marker = middle.appendingPathComponent(ShardMarker.fileName)

        // An unfinished shard (no marker) and a missing one are named, with what to do.
        try FileManager.default.moveItem(at: marker, to: dir.appendingPathComponent("marker"))
        var message = await mergeError()
        #expect(message.contains("1 of 3 shards are not complete") && message.contains("0001-of-0003"), "\(message)")
        try FileManager.default.moveItem(at: middle, to: dir.appendingPathComponent("middle"))
        message = await mergeError()
        #expect(message.contains("missing 1 of 3 shards: 0001-of-0003"), "\(message)")
        try FileManager.default.moveItem(at: dir.appendingPathComponent("middle"), to: middle)
        try FileManager.default.moveItem(at: dir.appendingPathComponent("marker"), to: marker)

        // A shard of another recipe is named.
        var other = recipe
        other.tests.count = 3
        let foreign = dir.appendingPathComponent("foreign")
        _ = try await Self.build(other, in: foreign, scope: .shard(try ShardSpec(index: 2, count: 3)))
        let last = shards.appendingPathComponent("0002-of-0003")
        try FileManager.default.moveItem(at: last, to: dir.appendingPathComponent("last"))
        try FileManager.default.moveItem(at: foreign.appendingPathComponent("shards/0002-of-0003"), to: last)
        message = await mergeError()
        #expect(message.contains("different recipes") && message.contains("0002-of-0003"), "\(message)")
        try FileManager.default.removeItem(at: last)
        try FileManager.default.moveItem(at: dir.appendingPathComponent("last"), to: last)

        // A damaged shard database is named; the merged run made before it is still there, whole.
        let database = middle.appendingPathComponent("run.sqlite")
        let saved = dir.appendingPathComponent("saved.sqlite")
        try FileManager.default.copyItem(at: database, to: saved)
        var bytes = try Data(contentsOf: database)
        for offset in stride(from: 4096, to: min(bytes.count, 40960), by: 7) { bytes[offset] = 0xA5 }
        try bytes.write(to: database)
        message = await mergeError()
        #expect(message.contains("0001-of-0003/run.sqlite"), "\(message)")
        #expect(try String(contentsOfFile: first.datasetPath!, encoding: .utf8) == dataset)
        let store = try RunDatabase(existingRunAt: first.databasePath)
        #expect(try store.meta("merge.shards") == "3")
        try FileManager.default.removeItem(at: database)
        try FileManager.default.copyItem(at: saved, to: database)
        #expect(await mergeError() == "merged")

        // A single-process run's directory is never overwritten by a merge.
        let single = dir.appendingPathComponent("single")
        _ = try await Self.build(recipe, in: single)
        try FileManager.default.copyItem(at: shards, to: single.appendingPathComponent("shards"))
        await #expect(throws: PipelineError.self) { _ = try await Self.build(recipe, in: single, scope: .merge) }
    }

    @Test func theSchedulerGivesTheShard() throws {
        #expect(try ShardSpec.fromScheduler([:], count: nil) == nil)
        #expect(try ShardSpec.fromScheduler(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "16"], count: nil) == ShardSpec(index: 3, count: 16))
        // A task resubmitted alone (--array=5) sees a count of 1 and a minimum of 5: only --shards says how many there are.
        let resubmitted = ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_COUNT": "1"]
        #expect(throws: PipelineError.self) { try ShardSpec.fromScheduler(resubmitted, count: nil) }
        #expect(try ShardSpec.fromScheduler(resubmitted, count: 16) == ShardSpec(index: 5, count: 16))
        #expect(try ShardSpec.fromScheduler(["JOB_COMPLETION_INDEX": "2"], count: 4) == ShardSpec(index: 2, count: 4))
        #expect(throws: PipelineError.self) { try ShardSpec.fromScheduler(["JOB_COMPLETION_INDEX": "2"], count: nil) }
        #expect(throws: PipelineError.self) { try ShardSpec.fromScheduler(["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"], count: nil) }
        #expect(throws: PipelineError.self) { try ShardSpec.fromScheduler(["SLURM_ARRAY_TASK_ID": "x"], count: 2) }
        #expect(try ShardSpec(parsing: "3/16").directoryName == "0003-of-0016")
        #expect(ShardSpec(directoryName: "0003-of-0016") == (try ShardSpec(index: 3, count: 16)))
        #expect(ShardSpec(directoryName: "3-of-16") == nil && ShardSpec(directoryName: "0016-of-0016") == nil)
        for bad in ["3", "16/3", "-1/4", "a/b", "1/0"] { #expect(throws: PipelineError.self) { try ShardSpec(parsing: bad) } }
        // Every id belongs to exactly one shard, and the shards share ids out about evenly.
        let ids = (0..<4000).map { String(SHA256.hex(Array("item \($0)".utf8)).prefix(16)) }
        let specs = try (0..<8).map { try ShardSpec(index: $0, count: 8) }
        let sizes = specs.map { spec in ids.filter(spec.owns(sampleId:)).count }
        #expect(sizes.reduce(0, +) == ids.count && sizes.allSatisfy { (400...600).contains($0) }, "\(sizes)")
    }
}
