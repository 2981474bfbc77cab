import Foundation
import Pipeline
import SemiInstructCLI
import Store
import Testing

/// A whole class as one sample (`collect.kinds: [whole-class]`): collect takes small classes whole, tests build one
/// object and call several of its methods in turn, and a rewrite of the class is verified by the returns and the
/// object's state. Python's `ast`, Ruff and the sandbox are the real ones; the model is scripted.
@Suite(.serialized) struct ClassSampleTests {
    /// Tally (four methods, one raising), Stack (push and pop), Lonely (one public method) and a helper function.
    static let code = try! String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/classes/tally.py"), encoding: .utf8)

    static func recipe(_ file: URL) -> Recipe {
        var recipe = Recipe()
        recipe.inputs = [.init(path: file.path)]
        recipe.collect.kinds = ["function", "whole-class", "instance"]
        recipe.tests.count = 5
        recipe.sandbox.timeoutSeconds = 1
        recipe.dedup.enabled = false
        return recipe
    }

    @Test func aSmallClassIsOneSampleAndItsMethodsAreNot() async throws {
        let run = try temporaryDirectory("classes")
        defer { try? FileManager.default.removeItem(at: run) }
        let file = run.appendingPathComponent("tally.py")
        try Self.code.write(to: file, atomically: true, encoding: .utf8)
        var options = BuildOptions(runDirectory: run.appendingPathComponent("run"))
        options.until = .prefilter
        let result = try await BuildRunner(recipe: Self.recipe(file), options: options, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run()
        let store = try RunDatabase(path: result.databasePath)
        let collect = try decisions(store, stage: "collect")
        #expect(collect["tally.py:class Tally"] == "kept" && collect["tally.py:class Stack"] == "kept")
        // Its methods are not samples of their own, with the reason; a class with one public method keeps its methods.
        #expect(collect["tally.py:Tally.add"] == nil)
        let reasons = try store.samples().compactMap { try store.outcome(of: $0.id, stage: "collect") }.filter { $0.reason == "in-whole-class" }
        #expect(reasons.count == 7 && reasons.allSatisfy { $0.detail?.contains("class Tally") == true || $0.detail?.contains("class Stack") == true })
        #expect(collect["tally.py:class Lonely"] == nil && collect["tally.py:Lonely.get"] == "kept")
        let tally = try #require(try store.samples().first { $0.entryPoint == "class Tally" })
        #expect(tally.code.hasPrefix("LIMIT = 100") && tally.code.contains("def mean(self)") && !tally.code.contains("def helper"))
        // Stack() takes nothing, but push does: there is something to vary.
        let prefilter = try decisions(store, stage: "prefilter")
        #expect(prefilter["tally.py:class Tally"] == "kept" && prefilter["tally.py:class Stack"] == "kept")

        // Without the kind, the same class gives method samples, as before.
        var plain = Self.recipe(file)
        plain.collect.kinds = Recipe.CollectSettings.allKinds
        var plainOptions = BuildOptions(runDirectory: run.appendingPathComponent("plain"))
        plainOptions.until = .collect
        let methods = try await BuildRunner(recipe: plain, options: plainOptions, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run()
        let methodDecisions = try decisions(try RunDatabase(path: methods.databasePath), stage: "collect")
        #expect(methodDecisions["tally.py:Tally.add"] == "kept" && methodDecisions["tally.py:class Tally"] == nil)

        // A class longer than a sample may be (prefilter.max_lines, its own formatted lines) is not lost: its methods are
        // the samples. Stack is 8 lines, Tally about 19.
        var short = Self.recipe(file)
        short.prefilter.maxLines = 12
        var shortOptions = BuildOptions(runDirectory: run.appendingPathComponent("short"))
        shortOptions.until = .collect
        let bounded = try await BuildRunner(recipe: short, options: shortOptions, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run()
        let boundedDecisions = try decisions(try RunDatabase(path: bounded.databasePath), stage: "collect")
        #expect(boundedDecisions["tally.py:class Stack"] == "kept" && boundedDecisions["tally.py:class Tally"] == nil)
        #expect(boundedDecisions["tally.py:Tally.add"] == "kept" && boundedDecisions["tally.py:Tally.undo"] == "kept")
    }

    @Test func callsOfAWholeClassParse() throws {
        let text = "Tally(3).add(2)\nobj = Tally(1); obj.add(2); obj.undo()\nt = Tally(); t.mean()\nTally(3).add(x)\nTally.add(2)\nobj = Tally(1); other.add(2)"
        let parsed = try ResponseParsers.testInputs(in: text, entry: "class Tally")
        #expect(parsed.map { [$0.display, $0.literal] } == [
            ["Tally(3).add(2)", "{'init': {'args': (3, ), 'kwargs': {}}, 'calls': [{'method': 'add', 'args': (2, ), 'kwargs': {}}]}"],
            ["obj = Tally(1); obj.add(2); obj.undo()",
             "{'init': {'args': (1, ), 'kwargs': {}}, 'calls': [{'method': 'add', 'args': (2, ), 'kwargs': {}}, {'method': 'undo', 'args': (), 'kwargs': {}}]}"],
            ["Tally().mean()", "{'init': {'args': (), 'kwargs': {}}, 'calls': [{'method': 'mean', 'args': (), 'kwargs': {}}]}"],
        ])
    }

    /// Tally's rewrite is right; Stack's returns the same from every call but forgets to remove what it pops, which only a
    /// later call on the same object shows.
    @Test func aWholeClassGoesThroughEveryStage() async throws {
        let run = try temporaryDirectory("classes")
        defer { try? FileManager.default.removeItem(at: run) }
        let file = run.appendingPathComponent("tally.py")
        try Self.code.write(to: file, atomically: true, encoding: .utf8)
        let original = Self.code.components(separatedBy: "\n\n\nclass Stack")[0].components(separatedBy: "LIMIT = 100\n\n\n")[1]
        let tallyRewrite = original.replacingOccurrences(of: "        return self.total / len(self.history) if self.history else 0.0",
                                                      with: "        if not self.history:\n            return 0.0\n        return self.total / len(self.history)")
        let stack = "class Stack" + Self.code.components(separatedBy: "\n\n\nclass Stack")[1].components(separatedBy: "\n\n\nclass Lonely")[0]
        let stackRewrite = stack.replacingOccurrences(of: "return self.items.pop() if self.items else None", with: "return self.items[-1] if self.items else None")
        let script = ScriptedGenerator(
            rewrites: ["class Tally": tallyRewrite, "class Stack": stackRewrite],
            inputs: [
                "class Tally": ["Tally(3).add(2)", "obj = Tally(1); obj.add(2); obj.undo()", "Tally(0).mean()", "obj = Tally(99); obj.add(5)",
                                "Tally(3).nope(1)", "Tally(1, 2).add(1)"],
                "class Stack": ["Stack().push(1)", "Stack().pop()", "Stack().push('a')"],
            ],
            backTranslations: ["class Tally": tallyRewrite])
        let recipe = Self.recipe(file)
        let services = BuildServices(
            generator: { script },
            runner: { roots in try SandboxCodeRunner(settings: recipe.sandbox, floatTolerance: recipe.verify.floatTolerance, workers: 2, sourceRoots: roots) },
            embedder: { throw NoServices() })
        let result = try await BuildRunner(recipe: recipe, options: BuildOptions(runDirectory: run.appendingPathComponent("run")), services: services,
                                           progress: ProgressReporter(mode: .quiet)).run()
        let store = try RunDatabase(path: result.databasePath)
        let samples = try store.samples()
        func sample(_ entry: String) throws -> SampleRecord { try #require(samples.first { $0.entryPoint == entry }) }

        // Calls of methods the class lacks, or that do not bind, are dropped with their reason, never tests.
        let tallyCases = try store.testCases(of: try sample("class Tally").id)
        #expect(tallyCases.contains { $0.arguments == "Tally(3).nope(1)" && $0.dropped?.hasPrefix("unknown-method") == true })
        #expect(tallyCases.contains { $0.arguments == "Tally(1, 2).add(1)" && $0.dropped?.hasPrefix("does-not-bind") == true })
        // Every return in turn, and the object after the calls, are the expected behaviour; an exception ends the test.
        let sequence = try #require(tallyCases.first { $0.arguments == "obj = Tally(1); obj.add(2); obj.undo()" })
        #expect(sequence.expectedValue == "[3,2]" && sequence.expectedState?.contains(#""total",1"#) == true, "\(sequence)")
        let over = try #require(tallyCases.first { $0.arguments == "obj = Tally(99); obj.add(5)" || $0.arguments == "Tally(99).add(5)" })
        #expect(over.expectedStatus == "raised" && over.expectedValue == "ValueError")
        // Augment joins working calls of different methods on one object.
        #expect(tallyCases.contains { $0.origin == "derived" && $0.arguments.hasPrefix("obj = Tally(") && $0.isActive })

        // The right rewrite is verified; Stack's pop that forgets to remove is caught by the calls after it.
        #expect(try store.outcome(of: try sample("class Tally").id, stage: "verify")?.kept == true)
        let stackVerdict = try store.outcome(of: try sample("class Stack").id, stage: "verify")
        #expect(stackVerdict?.kept == false && stackVerdict?.reason == "mismatch", "\(String(describing: stackVerdict))")

        // The model was shown the whole class and asked for all of it.
        let prompts = script.requests.map { $0.messages.last!.content }
        let rewritePrompt = try #require(prompts.first { $0.hasPrefix("Rewrite this Python class") && $0.contains("`class Tally`") })
        #expect(rewritePrompt.contains("def undo(self):\n        if not self.history:"))
        // Back-translation gets the class line and the public methods' def lines, no bodies.
        let back = try #require(prompts.first { $0.hasPrefix("Write the Python class") })
        #expect(back.contains("class Tally:\n    def __init__(self, start=0):\n        ...\n    def add(self, amount):\n        ..."), "\(back)")
        #expect(!back.contains("self.total"))

        // The dataset: the class is the answer; its tests are construction and calls.
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let rows = try String(contentsOfFile: try #require(result.datasetPath), encoding: .utf8).split(separator: "\n")
            .map { try decoder.decode(ExportedSample.self, from: Data($0.utf8)) }
        let tally = try #require(rows.first { $0.entryPoint == "class Tally" })
        #expect(tally.response.hasPrefix("```python\nLIMIT = 100") && tally.response.contains("class Tally:") && tally.context == nil)
        #expect(tally.tests.allSatisfy { $0.input.hasPrefix("Tally(") || $0.input.hasPrefix("obj = Tally(") })
        #expect(tally.tests.contains { $0.input.hasPrefix("obj = Tally(") && $0.input.contains("; obj.") })
        #expect(!rows.contains { $0.entryPoint == "class Stack" })
    }
}
