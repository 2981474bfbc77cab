import Engine
import Foundation
import Pipeline
import SemiInstructCLI
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
            // Not one call binds: one usable input would be enough to go on, none is not.
            "win": ["win([1, 2, 3, 4])", "win(k=2)"],
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
            runner: { roots in try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: settings.verify.floatTolerance, workers: 2, sourceRoots: roots) },
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
        // Sizes are formatted lines of the function itself: the one-line `def flat(x): return ...` is two.
        #expect(prefilter["lists.py:flat"] == "kept")
        #expect(rewrite["lists.py:rot"] == "signature-changed")
        #expect(inputs["lists.py:win"] == "too-few-inputs")
        #expect(original["rejects.py:coin"] == "nondeterministic")
        #expect(original["rejects.py:stamp"] == "nondeterministic")
        #expect(original["rejects.py:spin"] == "original-timeout")
        // An endless loop is stopped at half the budget, where a case is too slow to judge anyway, and so are its probes.
        let spin = try #require(try store.samples().first { $0.entryPoint == "spin" })
        let spinRuns = try store.executions(of: spin.id).filter { $0.run == "original" || $0.run == "probe" }
        #expect(!spinRuns.isEmpty && spinRuns.filter { $0.status == "timeout" }.allSatisfy { $0.error?.contains("more than 0.5 CPU seconds") == true },
                "\(spinRuns.map { $0.error ?? $0.status })")
        #expect(verify["lists.py:mx"] == "mismatch")
        for name in ["f", "flat", "dedupe", "rle", "grp"] { #expect(verify["lists.py:\(name)"] == "kept", "\(name)") }

        // The mismatch is recorded with its input, and mx([]) raising IndexError is an expected behaviour.
        let mx = try store.samples().first { $0.entryPoint == "mx" }!
        let outcome = try store.outcome(of: mx.id, stage: "verify")!
        #expect(outcome.detail?.contains("first mismatch on ([3, 1, 2]), a model input: returned 1 instead of 3") == true, "\(outcome.detail ?? "")")
        let cases = try store.testCases(of: mx.id)
        #expect(cases.first { $0.arguments == "[]" }?.expectedStatus == "raised")
        #expect(cases.first { $0.arguments == "[]" }?.expectedValue == "IndexError")

        // `f(list(range(3)), 1)` is not made of literals, so f keeps three of its four inputs, and derived ones join them.
        // The dataset holds the verified samples with their tests, in input order.
        let lines = try String(contentsOfFile: result.datasetPath!, encoding: .utf8).split(separator: "\n")
        #expect(result.exported == 5 && lines.count == 5)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["entry_point"] as? String == "f")
        let fTests = (first["tests"] as? [[String: Any]]) ?? []
        #expect(fTests.filter { $0["origin"] as? String == "model" }.count == 3 && fTests.count > 3)
        #expect(first["tests_passed"] as? Int == fTests.count)
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
        // One for its test inputs; three for its rewrite, each tried on the tests and asked again when it mismatched.
        let mxCalls = try store.modelCalls(of: mx.id)
        #expect(mxCalls.filter { $0.stage == "test-inputs" }.count == 1 && mxCalls.filter { $0.stage == "rewrite" }.count == 3)

        // inspect: the summary counts, and one sample's story with its first mismatch marked.
        let summary = try RunInspector.summary(store, path: result.databasePath)
        #expect(summary.samples == result.collected)
        #expect(summary.modelUsage.map(\.stage) == ["test-inputs", "rewrite", "instruct", "faithfulness"])
        // Every sandbox call is stored: the original in two environments and in its module over the four inputs,
        // then the rewrite over every usable case (the model's and the derived ones).
        let executions = try store.executions(of: mx.id)
        for run in ["original", "original-env-2", "original-module"] {
            #expect(executions.filter { $0.run == run && $0.caseIndex < 4 }.count == 4, "\(run)")
        }
        let usable = try store.testCases(of: mx.id).filter(\.isActive).count
        #expect(executions.filter { $0.run == "rewrite" }.count == usable && usable > 4)
        #expect(executions.first { $0.run == "original" && $0.caseIndex == 2 }?.error?.hasPrefix("IndexError") == true)
        let detail = try RunInspector.detail(store, id: String(mx.id.prefix(6)))
        #expect(detail.id == mx.id)
        #expect(detail.cases.filter(\.firstMismatch).map(\.input) == ["[3, 1, 2]"])
        #expect(detail.diff?.contains("+    return min(a)") == true)
        #expect(detail.outcomes.last?.reason == "mismatch")
        // The story of the test set: the parameter's kinds with what probing accepted, the derived cases with
        // how they were made and what they reach, and the set's adequacy.
        #expect(detail.parameters.map(\.name) == ["a"] && detail.parameters[0].accepted?.contains("list") == true)
        #expect(!detail.probes.isEmpty)
        let derived = detail.cases.filter { $0.origin == "derived" }
        #expect(!derived.isEmpty && derived.allSatisfy { $0.derivation != nil && $0.linesRun != nil })
        #expect(detail.adequacy?.modelCases == 4 && detail.adequacy?.derivedCases == derived.count)
        #expect(detail.adequacy?.linesTotal == 4 && detail.adequacy?.original == "module")
        #expect(throws: PipelineError.self) { _ = try RunInspector.detail(store, id: "no-such-sample") }
        let rows = try store.rejections(reason: "nondeterministic")
        #expect(Set(rows.map(\.entryPoint)) == ["coin", "stamp"])
        #expect(try store.rejections(grep: "min(a)").isEmpty)
        #expect(try store.rejections(stage: "verify").map(\.entryPoint) == ["mx"])

        try checkExports(store, in: run)
    }

    /// Each export format has the shape trainers read; splits and orders are deterministic.
    func checkExports(_ store: RunDatabase, in run: URL) throws {
        func rows(_ url: URL) throws -> [[String: Any]] {
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
        let alpaca = run.appendingPathComponent("out/alpaca.jsonl")
        try FileManager.default.createDirectory(at: alpaca.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try DatasetExport.export(store: store, to: alpaca, options: DatasetExportOptions(format: .alpaca))
        let plain = try rows(alpaca)
        #expect(plain.count == 5 && plain.allSatisfy { Set($0.keys) == ["instruction", "input", "output"] })
        #expect((plain[0]["output"] as? String)?.hasPrefix("```python\ndef f(l, n):") == true)

        var options = DatasetExportOptions(format: .sharegpt)
        options.system = "You write Python."
        options.withTests = true
        let sharegpt = run.appendingPathComponent("out/sharegpt.jsonl")
        _ = try DatasetExport.export(store: store, to: sharegpt, options: options)
        let turns = try rows(sharegpt)[0]["conversations"] as! [[String: String]]
        #expect(turns.map { $0["from"]! } == ["system", "human", "gpt"])
        #expect(((try rows(sharegpt)[0]["tests"] as? [[String: Any]])?.count ?? 0) > 3)

        options = DatasetExportOptions(format: .messages)
        options.withProvenance = true
        options.order = .curriculum
        options.validation = 0.5
        let messages = run.appendingPathComponent("out/messages.jsonl")
        let result = try DatasetExport.export(store: store, to: messages, options: options)
        #expect(result.files.map(\.rows) == [2, 3])
        let validation = run.appendingPathComponent("out/messages.validation.jsonl")
        let all = try rows(messages) + rows(validation)
        #expect(all.allSatisfy { ($0["messages"] as? [[String: String]])?.map { $0["role"]! } == ["user", "assistant"] })
        #expect(Set(all.compactMap { $0["id"] as? String }).count == 5)
        let trainDifficulty = try rows(messages).compactMap { $0["difficulty"] as? Double }
        #expect(trainDifficulty == trainDifficulty.sorted())
        // The same seed gives the same split; another seed may not, but keeps every row.
        let before = try rows(validation).map { $0["id"] as! String }
        _ = try DatasetExport.export(store: store, to: messages, options: options)
        #expect(try rows(validation).map { $0["id"] as! String } == before)
        options.seed = 99
        _ = try DatasetExport.export(store: store, to: messages, options: options)
        #expect(Set(try (rows(messages) + rows(validation)).map { $0["id"] as! String }).count == 5)
        let card = try String(contentsOf: run.appendingPathComponent("out/README.md"), encoding: .utf8)
        #expect(card.contains("| verify |") && card.contains("messages.validation.jsonl"))
    }

    @Test func rerunningAFinishedRunDoesNothingTwice() async throws {
        let run = try temporaryDirectory("rerun")
        defer { try? FileManager.default.removeItem(at: run) }
        let first = try await Self.build([Self.lists], in: run, until: .rewrite)
        let calls = Self.script.requests.count
        let second = try await Self.build([Self.lists], in: run)
        let afterSecond = Self.script.requests.count
        let third = try await Self.build([Self.lists], in: run)
        #expect(first.collected == second.collected)
        // The second run only did what the first had not (back-translation, after verify); the third found nothing
        // left but export.
        #expect(Self.script.requests[calls...].allSatisfy {
            $0.messages.last?.content.hasPrefix("Write the Python function") == true || $0.messages.last?.content.contains("What it did when it was run:") == true
        })
        #expect(afterSecond > calls && Self.script.requests.count == afterSecond)
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
            runner: { roots in try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: 1e-9, workers: 2, sourceRoots: roots) },
            embedder: { try EmbedderLoader.load("minilm") })
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

        // A stricter eps on the same run: SemDeDup alone is decided again; no model is asked anything.
        let asked = script.requests.count
        var stricter = recipe
        stricter.dedup.eps = 0.0001
        let again = try await BuildRunner(recipe: stricter, options: BuildOptions(runDirectory: run.appendingPathComponent("run")),
                                          services: services, progress: ProgressReporter(mode: .quiet)).run()
        #expect(script.requests.count == asked)
        #expect(try decisions(store, stage: "semdedup").values.allSatisfy { $0 == "kept" })
        let redecided = try store.dedup(of: removed.id)
        #expect(again.exported == 3 && redecided?.duplicateOf == nil)
        #expect(try store.meta("settings.semdedup")?.contains("0.0001") == true)
        // A different KV memory bound resumes the run (it sets how many requests run at once, not what they give);
        // a different KV precision does not.
        var roomier = stricter
        roomier.models.kvMemoryMib = 8192
        let resumed = try await BuildRunner(recipe: roomier, options: BuildOptions(runDirectory: run.appendingPathComponent("run")),
                                            services: services, progress: ProgressReporter(mode: .quiet)).run()
        #expect(script.requests.count == asked && resumed.exported == 3)
        var halves = stricter
        halves.models.kvCache = "f16"
        await #expect(throws: PipelineError.self) {
            _ = try await BuildRunner(recipe: halves, options: BuildOptions(runDirectory: run.appendingPathComponent("run")),
                                      services: services, progress: ProgressReporter(mode: .quiet)).run()
        }
        // Any other change still refuses to resume the run.
        var other = stricter
        other.tests.count = 5
        await #expect(throws: PipelineError.self) {
            _ = try await BuildRunner(recipe: other, options: BuildOptions(runDirectory: run.appendingPathComponent("run")),
                                      services: services, progress: ProgressReporter(mode: .quiet)).run()
        }
    }
}
