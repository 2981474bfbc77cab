import Foundation
import Pipeline
import Store
import Testing

/// `merge RUN_A RUN_B --into DIR`: runs built apart (one in one process, one in shards, over overlapping inputs) joined
/// must equal one process reading all their inputs in order; runs that do not belong together are named.
@Suite(.serialized) struct RunsMergeTests {
    static func files(_ corpus: URL, _ names: [String]) -> [Recipe.InputSpec] {
        names.map { .init(path: corpus.appendingPathComponent($0).path) }
    }

    static func merge(_ runs: [URL], into directory: URL) async throws -> BuildResult {
        let recipe = try MergeSource.recipe(of: try runs.map(MergeSource.run(at:)))
        return try await ShardMergeTests.build(recipe, in: directory, scope: .mergeRuns(runs))
    }

    @Test func runsBuiltApartEqualOneProcessOverAllTheirInputs() async throws {
        let dir = try temporaryDirectory("runs-merge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try ShardMergeTests.corpus(in: dir)
        let base = ShardMergeTests.recipe(corpus)
        var first = base, second = base, whole = base
        first.name = "monday"
        first.inputs = Self.files(corpus, ["lists.py", "copies.py"])
        // lists.py again: its functions are the same items as in the first run, as when one process reads a file twice.
        second.name = "tuesday"
        second.inputs = Self.files(corpus, ["numbers.py", "more.py", "spare.py", "lists.py"])
        second.export.path = "tuesday.jsonl"
        whole.inputs = first.inputs + second.inputs
        whole.name = first.name

        let expected = try await ShardMergeTests.build(whole, in: dir.appendingPathComponent("whole"))
        let runA = dir.appendingPathComponent("monday"), runB = dir.appendingPathComponent("tuesday")
        _ = try await ShardMergeTests.build(first, in: runA)
        try await ShardMergeTests.buildShards(second, count: 2, in: runB)

        let into = dir.appendingPathComponent("merged")
        let merged = try await Self.merge([runA, runB], into: into)
        let dataset = try String(contentsOfFile: try #require(merged.datasetPath), encoding: .utf8)
        #expect(dataset == (try String(contentsOfFile: try #require(expected.datasetPath), encoding: .utf8)) && !dataset.isEmpty)
        let decisions = try ShardMergeTests.decisions(merged)
        #expect(decisions == (try ShardMergeTests.decisions(expected)))
        #expect(ShardMergeTests.funnel(merged) == ShardMergeTests.funnel(expected))
        // The overlap was counted twice and its second copies rejected naming the first run's, as one process does.
        #expect(decisions.filter { $0.contains("prefilter false exact-duplicate") }.count >= 6, "\(decisions)")
        let store = try RunDatabase(existingRunAt: merged.databasePath)
        #expect(try store.meta("merge.runs") == jsonArray([runA.path, runB.path]))
        #expect(try store.sampleCount() == expected.collected && merged.collected == expected.collected)
        // The first run's own SemDeDup decisions were replaced by the merged set's.
        #expect(try store.funnel(stages: ["semdedup"])[0].kept + store.funnel(stages: ["semdedup"])[0].rejected
                == (try store.kept(by: "rank").count))

        // Again: the same bytes; the sources are untouched.
        let again = try await Self.merge([runA, runB], into: into)
        #expect(try String(contentsOfFile: again.datasetPath!, encoding: .utf8) == dataset)
        #expect(FileManager.default.fileExists(atPath: runA.appendingPathComponent("dataset.jsonl").path))
    }

    @Test func runsThatDoNotBelongTogetherAreNamed() async throws {
        let dir = try temporaryDirectory("runs-merge-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try ShardMergeTests.corpus(in: dir)
        var first = ShardMergeTests.recipe(corpus)
        first.inputs = Self.files(corpus, ["lists.py"])
        var other = first
        other.inputs = Self.files(corpus, ["numbers.py"])
        other.tests.count = 3
        other.sampling.temperature = 0.5
        let runA = dir.appendingPathComponent("a"), runB = dir.appendingPathComponent("b")
        _ = try await ShardMergeTests.build(first, in: runA)
        _ = try await ShardMergeTests.build(other, in: runB)

        func message(_ body: () async throws -> Void) async -> String {
            do { try await body(); return "merged" } catch { return error.localizedDescription }
        }
        var text = await message { _ = try await Self.merge([runA, runB], into: dir.appendingPathComponent("m")) }
        #expect(text.contains(runB.path) && text.contains("(they differ in sampling.temperature, tests.count)"), "\(text)")
        text = await message { _ = try await Self.merge([runA, dir.appendingPathComponent("nothing")], into: dir.appendingPathComponent("m")) }
        #expect(text.contains("nothing") && text.contains("no run.sqlite"), "\(text)")
        text = await message { _ = try await ShardMergeTests.build(first, in: runA, scope: .mergeRuns([runA])) }
        #expect(text.contains("one of the runs it joins"), "\(text)")
        // A run stopped before rank cannot be joined: its samples still wait.
        let early = dir.appendingPathComponent("early")
        var options = BuildOptions(runDirectory: early)
        options.until = .prefilter
        var third = first
        third.inputs = Self.files(corpus, ["copies.py"])
        _ = try await BuildRunner(recipe: third, options: options, services: .init(generator: { throw NoServices() }, runner: { _ in throw NoServices() },
                                                                                     embedder: { throw NoServices() }),
                                  progress: ProgressReporter(mode: .quiet)).run()
        text = await message { _ = try await Self.merge([runA, early], into: dir.appendingPathComponent("m")) }
        #expect(text.contains("still wait for test-inputs") && text.contains("stopped early"), "\(text)")
        // A single-process run is never overwritten.
        text = await message { _ = try await Self.merge([runA], into: runB) }
        #expect(text.contains("single-process run"), "\(text)")
    }

    func jsonArray(_ paths: [String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: paths, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
