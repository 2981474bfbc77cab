import Foundation
import Pipeline
import Store
import Testing

/// Services that must not be needed: collect and prefilter use no model and run no code.
struct NoServices: Error {}
let staticOnly = BuildServices(generator: { throw NoServices() }, runner: { _ in throw NoServices() }, embedder: { throw NoServices() })

/// Runs only collect (no model, no sandbox) on `recipe`'s inputs into `run`.
func collectOnly(_ recipe: Recipe, in run: URL) async throws -> (result: BuildResult, store: RunDatabase) {
    var options = BuildOptions(runDirectory: run)
    options.until = .collect
    let result = try await BuildRunner(recipe: recipe, options: options, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run()
    return (result, try RunDatabase(path: result.databasePath))
}

func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("si-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// reason per "file-name:entry-or-line" for one stage.
func decisions(_ store: RunDatabase, stage: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for sample in try store.samples() {
        guard let outcome = try store.outcome(of: sample.id, stage: stage) else { continue }
        let file = URL(fileURLWithPath: sample.source).lastPathComponent
        let key = sample.entryPoint.isEmpty ? "\(file):\(sample.line)" : "\(file):\(sample.entryPoint)"
        result[key] = outcome.kept ? "kept" : outcome.reason!
    }
    return result
}

@Suite struct CollectPrefilterTests {
    static let samples = RecipeLoaderTests.root.appendingPathComponent("samples/python")

    @Test func samplesEndKeptOrRejectedWithNamedReasons() async throws {
        let run = try temporaryDirectory("collect")
        defer { try? FileManager.default.removeItem(at: run) }
        var recipe = Recipe()
        recipe.inputs = [.init(path: Self.samples.path), .init(path: Self.samples.appendingPathComponent("records.jsonl").path)]
        var options = BuildOptions(runDirectory: run)
        options.until = .prefilter
        let result = try await BuildRunner(recipe: recipe, options: options, services: staticOnly,
                                           progress: ProgressReporter(mode: .quiet)).run()
        let store = try RunDatabase(path: result.databasePath)
        let collect = try decisions(store, stage: "collect")
        let prefilter = try decisions(store, stage: "prefilter")
        #expect(collect["python2.py:5"] == "python2-syntax")
        #expect(collect["records.jsonl:4"] == "empty")
        #expect(prefilter["rejects.py:uses_undefined"] == "undefined-names")
        #expect(prefilter["rejects.py:blob_len"] == "data-dense")
        #expect(prefilter["records.jsonl:area"] != nil)
        #expect(Array(prefilter.values).filter { $0 == "exact-duplicate" }.count == 1)
        #expect(prefilter["lists.py:f"] == "kept" && prefilter["text.py:cnt"] == "kept" && prefilter["numbers.py:isp"] == "kept")
        // Every collected item has exactly one collect decision, and the funnel adds up.
        let funnel = result.funnel
        #expect(funnel[0].kept + funnel[0].rejected == result.collected)
        #expect(funnel[1].kept + funnel[1].rejected == funnel[0].kept)
        #expect(result.datasetPath == nil)
    }

    @Test func badJSONLinesAreRejectedWithTheirLineAndNothingIsLost() async throws {
        let run = try temporaryDirectory("jsonl")
        defer { try? FileManager.default.removeItem(at: run) }
        let input = run.appendingPathComponent("in.jsonl")
        var data = Data()
        data += Data(#"{"code": "def a(x):\n    return x + 1\n"}"#.utf8) + Data("\n".utf8)
        data += Data("{not json\n".utf8)
        data += Data(#"{"text": "def b(x): return x"}"#.utf8) + Data("\n".utf8)
        data += Data(#"{"code": 42}"#.utf8) + Data("\n".utf8)
        data += Data([0x7B, 0x22, 0x63, 0xFF, 0xFE, 0x22, 0x7D, 0x0A])  // invalid UTF-8
        data += Data("\n   \n".utf8)  // blank lines are not items
        data += Data(#"{"code": "def c(:\n"}"#.utf8) + Data("\n".utf8)
        try data.write(to: input)
        var recipe = Recipe()
        recipe.inputs = [.init(path: input.path)]
        let (result, store) = try await collectOnly(recipe, in: run.appendingPathComponent("run"))
        let collect = try decisions(store, stage: "collect")
        #expect(result.collected == 6)
        #expect(collect["in.jsonl:a"] == "kept")
        #expect(collect["in.jsonl:2"] == "malformed-json")
        #expect(collect["in.jsonl:3"] == "missing-field")
        #expect(collect["in.jsonl:4"] == "wrong-type")
        #expect(collect["in.jsonl:5"] == "not-utf8")
        #expect(collect["in.jsonl:8"] == "does-not-parse")
    }

    @Test func missingInputNamesThePath() async throws {
        let run = try temporaryDirectory("missing")
        defer { try? FileManager.default.removeItem(at: run) }
        var recipe = Recipe()
        recipe.inputs = [.init(path: "/nonexistent/code")]
        await #expect {
            _ = try await BuildRunner(recipe: recipe, options: BuildOptions(runDirectory: run), services: staticOnly,
                                      progress: ProgressReporter(mode: .quiet)).run()
        } throws: { error in
            (error as? PipelineError)?.errorDescription?.contains("/nonexistent/code") == true
        }
    }
}

@Suite struct HumanEvalCollectTests {
    @Test func promptPlusSolutionBecomesOneSampleWithItsEntryPoint() async throws {
        let run = try temporaryDirectory("humaneval")
        defer { try? FileManager.default.removeItem(at: run) }
        let record: [String: Any] = [
            "task_id": "HumanEval/0",
            "prompt": "from typing import List\n\n\ndef helper(x):\n    return abs(x)\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n    \"\"\" Check if any two numbers are closer than threshold. \"\"\"\n",
            "canonical_solution": "    for i, a in enumerate(numbers):\n        for b in numbers[i + 1:]:\n            if helper(a - b) < threshold:\n                return True\n    return False\n",
            "entry_point": "has_close_elements",
            "test": "def check(candidate):\n    assert candidate([1.0, 2.0], 0.5) == False\n",
        ]
        let input = run.appendingPathComponent("HumanEval.jsonl")
        try JSONSerialization.data(withJSONObject: record).write(to: input)
        var recipe = Recipe()
        var spec = Recipe.InputSpec(path: input.path)
        spec.format = "humaneval"
        recipe.inputs = [spec]
        recipe.decontaminate.enabled = false  // the record is HumanEval's own problem; here its reading is tested
        var options = BuildOptions(runDirectory: run.appendingPathComponent("run"))
        options.until = .prefilter
        let result = try await BuildRunner(recipe: recipe, options: options, services: staticOnly,
                                           progress: ProgressReporter(mode: .quiet)).run()
        let store = try RunDatabase(path: result.databasePath)
        let samples = try store.samples()
        #expect(samples.count == 1)
        #expect(samples[0].entryPoint == "has_close_elements")
        // The function comes with the import and the helper it uses.
        #expect(samples[0].code.hasPrefix("from typing import List"))
        #expect(samples[0].code.contains("def helper(x):") && samples[0].code.contains("return False"))
        #expect(try store.outcome(of: samples[0].id, stage: "prefilter")?.kept == true)
    }
}
