import Foundation
import Pipeline
import Store
import Testing

/// The whole pipeline with a scripted generator, the real sandbox and a real (hashing) embedder stand-in
/// turned off; the real-engine run lives in EndToEndTests.
@Suite(.serialized) struct BuildPipelineTests {
    static let lists = CollectPrefilterTests.samples.appendingPathComponent("lists.py")
    static let rejects = CollectPrefilterTests.samples.appendingPathComponent("rejects.py")

    static let script = ScriptedGenerator(
        rewrites: [
            // A wrong rewrite: returns the minimum. Verify must catch it on the first input.
            "mx": "def mx(a):\n    return min(a)\n",
            // A rewrite that renames a parameter: the signature changed.
            "rot": "def rot(items, k):\n    return items\n",
        ],
        inputs: [
            "f": ["f([1, 2, 3, 4, 5], 2)", "f([], 3)", "f([1], 1)", "f(list(range(3)), 1)"],
            "flat": ["flat([1, [2, [3]]])", "flat([])", "assert flat([[1], [2, 3]]) == [1, 2, 3]"],
            "dedupe": ["dedupe([1, 1, 2])", "dedupe('abca')", "dedupe([])"],
            "rle": ["rle('aaab')", "rle('')", "rle([1, 1, 2])"],
            "grp": ["grp([(1, 'a'), (1, 'b')])", "grp([])", "grp([('x', 1)])"],
            "mx": ["mx([3, 1, 2])", "mx([5])", "mx([])", "mx([-1, -2])"],
            "rot": ["rot([1, 2, 3], 1)", "rot([], 2)", "rot([1, 2], 5)"],
            "win": ["win([1, 2, 3, 4], 2)"],
            "coin": ["coin(20)", "coin(30)", "coin(40)"],
            "stamp": ["stamp('a')", "stamp('b')", "stamp('c')"],
            "spin": ["spin(1)", "spin(2)", "spin(3)"],
        ])

    static func build(_ inputs: [URL], in run: URL, until: StageName? = nil) async throws -> BuildResult {
        var recipe = Recipe()
        recipe.inputs = inputs.map { .init(path: $0.path) }
        recipe.tests.count = 4
        recipe.sandbox.timeoutSeconds = 1
        recipe.dedup.enabled = false
        var options = BuildOptions(runDirectory: run)
        options.until = until
        let settings = recipe
        let services = BuildServices(
            generator: { script },
            runner: { try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: settings.verify.floatTolerance, workers: 2) },
            embedder: { throw NoServices() })
        return try await BuildRunner(recipe: recipe, options: options, services: services,
                                     progress: ProgressReporter(mode: .quiet)).run()
    }

    @Test func everyStageDecidesWithTheRightReasons() async throws {
        let run = try temporaryDirectory("build")
        defer { try? FileManager.default.removeItem(at: run) }
        let result = try await Self.build([Self.lists, Self.rejects], in: run)
        let store = try RunDatabase(path: result.databasePath)
        let prefilter = try decisions(store, stage: "prefilter")
        let rewrite = try decisions(store, stage: "rewrite")
        let inputs = try decisions(store, stage: "test-inputs")
        let original = try decisions(store, stage: "run-original")
        let verify = try decisions(store, stage: "verify")
        #expect(prefilter["lists.py:flat"] == "too-short")
        #expect(rewrite["lists.py:rot"] == "signature-changed")
        #expect(inputs["lists.py:win"] == "too-few-inputs")
        #expect(original["rejects.py:coin"] == "nondeterministic")
        #expect(original["rejects.py:stamp"] == "nondeterministic")
        #expect(original["rejects.py:spin"] == "original-timeout")
        #expect(verify["lists.py:mx"] == "mismatch")
        for name in ["f", "dedupe", "rle", "grp"] { #expect(verify["lists.py:\(name)"] == "kept", "\(name)") }

        // The mismatch is recorded with its input, and mx([]) raising IndexError is an expected behaviour.
        let mx = try store.samples().first { $0.entryPoint == "mx" }!
        let outcome = try store.outcome(of: mx.id, stage: "verify")!
        #expect(outcome.detail?.contains("first mismatch on ([3, 1, 2])") == true)
        #expect(outcome.detail?.contains("expected ok 3") == true)
        let cases = try store.testCases(of: mx.id)
        #expect(cases.first { $0.arguments == "[]" }?.expectedStatus == "raised")
        #expect(cases.first { $0.arguments == "[]" }?.expectedValue == "IndexError")

        // `f(list(range(3)), 1)` is not made of literals, so f keeps three of its four inputs.
        // The dataset holds the verified samples with their tests, in input order.
        let lines = try String(contentsOfFile: result.datasetPath!, encoding: .utf8).split(separator: "\n")
        #expect(result.exported == 4 && lines.count == 4)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["entry_point"] as? String == "f")
        #expect((first["tests"] as? [Any])?.count == 3 && first["tests_passed"] as? Int == 3)
        // Expected values are Python literals: f([1, 2, 3, 4, 5], 2) returns [[1, 2], [3, 4], [5]].
        let tests = first["tests"] as? [[String: Any]] ?? []
        #expect(tests.first?["expected"] as? String == "[[1, 2], [3, 4], [5]]")
        #expect((first["response"] as? String)?.hasPrefix("```python\ndef f(l, n):") == true)

        // Every collected item ends kept or rejected exactly once along the funnel.
        var incoming = result.collected
        for stage in result.funnel where stage.kept + stage.rejected > 0 {
            #expect(stage.kept + stage.rejected == incoming, "\(stage.stage)")
            incoming = stage.kept
        }
        // Every model call is stored with its raw output.
        #expect(try store.modelCalls(of: mx.id).count == 2)

        // inspect: the summary counts, and one sample's story with its first mismatch marked.
        let summary = try RunInspector.summary(store, path: result.databasePath)
        #expect(summary.samples == result.collected)
        #expect(summary.modelUsage.map(\.stage) == ["rewrite", "test-inputs"])
        // Every sandbox call is stored: the original twice over the four inputs, the rewrite over the usable ones.
        let executions = try store.executions(of: mx.id)
        #expect(executions.filter { $0.run == "original-1" }.count == 4 && executions.filter { $0.run == "original-2" }.count == 4)
        #expect(executions.filter { $0.run == "rewrite" }.count == 4)
        #expect(executions.first { $0.run == "original-1" && $0.caseIndex == 2 }?.error?.hasPrefix("IndexError") == true)
        let detail = try RunInspector.detail(store, id: String(mx.id.prefix(6)))
        #expect(detail.id == mx.id)
        #expect(detail.cases.filter(\.firstMismatch).map(\.input) == ["[3, 1, 2]"])
        #expect(detail.diff?.contains("+    return min(a)") == true)
        #expect(detail.outcomes.last?.reason == "mismatch")
        let rows = try store.rejections(reason: "nondeterministic")
        #expect(Set(rows.map(\.entryPoint)) == ["coin", "stamp"])
        #expect(try store.rejections(grep: "min(a)").isEmpty)
        #expect(try store.rejections(stage: "verify").map(\.entryPoint) == ["mx"])
    }

    @Test func rerunningAFinishedRunDoesNothingTwice() async throws {
        let run = try temporaryDirectory("rerun")
        defer { try? FileManager.default.removeItem(at: run) }
        let first = try await Self.build([Self.lists], in: run, until: .testInputs)
        let calls = Self.script.requests.count
        let second = try await Self.build([Self.lists], in: run)
        let third = try await Self.build([Self.lists], in: run)
        #expect(first.collected == second.collected)
        // The second run only did what the first had not; the third found nothing left but export.
        #expect(Self.script.requests.count == calls)
        #expect(second.exported == third.exported && second.exported > 0)
        let dataset = try String(contentsOfFile: third.datasetPath!, encoding: .utf8)
        #expect(dataset == (try String(contentsOfFile: second.datasetPath!, encoding: .utf8)))
    }

    @Test func aDifferentRecipeCannotResumeTheRun() async throws {
        let run = try temporaryDirectory("other")
        defer { try? FileManager.default.removeItem(at: run) }
        _ = try await Self.build([Self.lists], in: run, until: .collect)
        await #expect(throws: PipelineError.self) {
            _ = try await Self.build([Self.rejects], in: run, until: .collect)
        }
    }
}

/// SemDeDup inside build, with the real MiniLM encoder: a renamed copy passes the exact-duplicate check
/// (names differ) but not the semantic one.
@Suite struct SemDedupStageTests {
    @Test func renamedCopyIsRemovedAsASemanticDuplicate() async throws {
        let run = try temporaryDirectory("semdedup")
        defer { try? FileManager.default.removeItem(at: run) }
        let source = run.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try "def area(w, h):\n    if w < 0 or h < 0:\n        raise ValueError('negative')\n    return w * h\n"
            .write(to: source.appendingPathComponent("a.py"), atomically: true, encoding: .utf8)
        try "def area2(w, h):\n    if w < 0 or h < 0:\n        raise ValueError('negative')\n    return w * h\n"
            .write(to: source.appendingPathComponent("b.py"), atomically: true, encoding: .utf8)
        try "def words(text):\n    parts = text.split()\n    return sorted(set(parts))\n"
            .write(to: source.appendingPathComponent("c.py"), atomically: true, encoding: .utf8)
        let script = ScriptedGenerator(inputs: [
            "area": ["area(2, 3)", "area(0, 5)", "area(-1, 2)", "area(7, 7)"],
            "area2": ["area2(2, 3)", "area2(0, 5)", "area2(-1, 2)", "area2(7, 7)"],
            "words": ["words('b a b')", "words('')", "words('x y')"],
        ])
        var recipe = Recipe()
        recipe.inputs = [.init(path: source.path)]
        recipe.dedup.eps = 0.05
        let settings = recipe
        let services = BuildServices(
            generator: { script },
            runner: { try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: 1e-9, workers: 2) },
            embedder: { try EncoderEmbedding(model: "minilm") })
        let result = try await BuildRunner(recipe: recipe, options: BuildOptions(runDirectory: run.appendingPathComponent("run")),
                                           services: services, progress: ProgressReporter(mode: .quiet)).run()
        let store = try RunDatabase(path: result.databasePath)
        let semdedup = try decisions(store, stage: "semdedup")
        #expect(semdedup["a.py:area"] == "kept" || semdedup["b.py:area2"] == "kept")
        #expect([semdedup["a.py:area"], semdedup["b.py:area2"]].contains("semantic-duplicate"))
        #expect(semdedup["c.py:words"] == "kept")
        let removed = try #require(try store.samples().first { try store.outcome(of: $0.id, stage: "semdedup")?.kept == false })
        let record = try #require(try store.dedup(of: removed.id))
        #expect(record.duplicateOf != nil && (record.similarity ?? 0) > 0.95)
        #expect(result.exported == 2)
        // The three embeddings are stored with the run, under the embedder's name.
        let stored = try store.embeddings(model: "minilm", sampleIds: try store.samples().map(\.id))
        #expect(stored.count == 3 && stored.values.allSatisfy { $0.count == 384 })
    }
}
