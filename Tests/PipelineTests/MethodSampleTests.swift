import Foundation
import Pipeline
import SemiInstructCLI
import Store
import Testing

/// Natural code as it is: methods and nested functions become samples, prefilter judges code rather than text,
/// `--limit` counts candidates and sources are relative. The repository is made by the tests; Python's `ast`, Ruff and
/// the sandbox are the real ones.
@Suite(.serialized) struct MethodSampleTests {
    /// A small repository: a package with a relative import, classes with state, a docstring-heavy function, a function
    /// with a long data literal, a big class, a nested function and a file outside any package with a relative import.
    static func makeRepository() throws -> URL {
        let root = try temporaryDirectory("repo")
        let package = root.appendingPathComponent("shapes")
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        let files: [String: String] = [
            "shapes/__init__.py": "",
            "shapes/util.py": """
                def clamp(value, low, high):
                    return max(low, min(high, value))
                """,
            "shapes/geometry.py": """
                from .util import clamp


                class Rect:
                    def __init__(self, width, height):
                        self.width = width
                        self.height = height

                    def area(self):
                        return self.width * self.height

                    def scale(self, factor):
                        self.width = self.width * factor
                        self.height = self.height * factor
                        return self

                    def clipped(self, limit):
                        return Rect(clamp(self.width, 0, limit), clamp(self.height, 0, limit))

                    def unrelated(self):
                        return undefined_helper(self.width)

                    @property
                    def ratio(self):
                        return self.width / self.height

                    @staticmethod
                    def square_side(area):
                        side = 0
                        while (side + 1) * (side + 1) <= area:
                            side += 1
                        return side

                    @classmethod
                    def unit(cls, count):
                        return [cls(1, 1) for _ in range(count)]


                class Counter:
                    def __init__(self):
                        self.total = 0

                    def bump(self):
                        self.total += 1
                        return self.total
                """,
            "shapes/docs.py": """
                def shift_exact(n, e):
                    \"\"\"\(String(repeating: "Shift n left by e digits, exactly, raising nothing and explaining it at length. ", count: 5))\"\"\"
                    if e >= 0:
                        return n * 10 ** e
                    return n // 10 ** -e


                def table_lookup(key):
                    table = "\(String(repeating: "0123456789abcdefghij", count: 10))"
                    return table.find(key)


                def sort_by_length(words):
                    def key(word):
                        return (len(word), word)
                    return sorted(words, key=key)
                """,
            "loose.py": """
                from .sibling import helper


                def use(value):
                    return helper(value) + 1
                """,
            "shapes/big.py": "class Big:\n    def __init__(self, n):\n        self.n = n\n\n    def get(self, k):\n        return self.n + k + self.pad0()\n\n"
                + (0..<120).map { "    def pad\($0)(self):\n        x = \($0)\n        return self.pad\($0 + 1)() + x if \($0) < 0 else x\n" }.joined(separator: "\n"),
        ]
        for (path, text) in files {
            try text.write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
        }
        return root
    }

    static func collectAndFilter(_ root: URL, limit: Int? = nil, until: StageName = .prefilter) async throws -> (BuildResult, RunDatabase) {
        var recipe = Recipe()
        recipe.inputs = [.init(path: root.path)]
        recipe.prefilter.maxContextLines = 200
        var options = BuildOptions(runDirectory: root.appendingPathComponent("run-\(UUID().uuidString)"))
        options.until = until
        options.limit = limit
        let result = try await BuildRunner(recipe: recipe, options: options, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run()
        return (result, try RunDatabase(path: result.databasePath))
    }

    @Test func methodsAndSelfContainedNestedFunctionsAreSamples() async throws {
        let root = try Self.makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let (_, store) = try await Self.collectAndFilter(root)
        let collect = try decisions(store, stage: "collect")
        let prefilter = try decisions(store, stage: "prefilter")
        // Instance, static and class methods are candidates; the constructor and properties are not, with reasons.
        for method in ["area", "scale", "clipped", "square_side", "unit", "bump"] {
            #expect(collect.contains { $0.key.hasSuffix(".\(method)") && $0.value == "kept" }, "\(method)")
        }
        #expect(collect["geometry.py:Rect.ratio"] == nil)
        let reasons = try store.samples().compactMap { sample in try store.outcome(of: sample.id, stage: "collect")?.reason }
        #expect(reasons.contains("special-method") && reasons.contains("property"))
        // The nested key function needs nothing of sort_by_length: it is a sample of its own.
        #expect(collect["docs.py:key"] == "kept")
        // A method whose class's other methods use an undefined name is kept: only what the method reaches comes along.
        #expect(prefilter["geometry.py:Rect.area"] == "kept")
        #expect(prefilter["geometry.py:Rect.unrelated"] == "undefined-names")
        // Counter.bump takes no arguments and neither does Counter(): one input only.
        #expect(prefilter["geometry.py:Counter.bump"] == "no-parameters")
        // Rect.area takes none, but Rect(width, height) does.
        #expect(prefilter["geometry.py:Rect.area"] == "kept")
        let area = try #require(try store.samples().first { $0.entryPoint == "Rect.area" })
        #expect(area.code.contains("def area(self)") && area.code.contains("def __init__"))
        #expect(!area.code.contains("def clipped"), "methods the sample does not reach are left out")
        let clipped = try #require(try store.samples().first { $0.entryPoint == "Rect.clipped" })
        #expect(clipped.code.contains("from shapes.util import clamp"), "the relative import is made absolute")
    }

    @Test func prefilterJudgesCodeNotText() async throws {
        let root = try Self.makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let (_, store) = try await Self.collectAndFilter(root)
        let prefilter = try decisions(store, stage: "prefilter")
        // A 400-character docstring is documentation; a 200-character string in the body is data.
        #expect(prefilter["docs.py:shift_exact"] == "kept")
        #expect(prefilter["docs.py:table_lookup"] == "data-dense")
        // A relative import outside any package cannot run anywhere: found before any model call.
        #expect(prefilter["loose.py:use"] == "relative-import")
        // The method itself is short; its class is not: bounded apart, with its own reason.
        #expect(prefilter["big.py:Big.get"] == "too-much-context")
        let detail = try store.samples().first { $0.entryPoint == "Big.get" }.flatMap { try store.outcome(of: $0.id, stage: "prefilter")?.detail }
        #expect(detail?.contains("the maximum is 200") == true)

        // Size is the function's own formatted lines: a docstring does not make a one-statement function long enough.
        let small = root.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        try "def tiny(x):\n    \"\"\"Return x.\n\n    Really, just x.\n    \"\"\"\n    # a comment\n    return x\n\n\ndef pair(x):\n    y = x + 1\n    return (x, y)\n"
            .write(to: small.appendingPathComponent("m.py"), atomically: true, encoding: .utf8)
        var recipe = Recipe()
        recipe.inputs = [.init(path: small.path)]
        recipe.prefilter.minLines = 3
        var options = BuildOptions(runDirectory: small.appendingPathComponent("run"))
        options.until = .prefilter
        let result = try await BuildRunner(recipe: recipe, options: options, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run()
        let sizes = try decisions(try RunDatabase(path: result.databasePath), stage: "prefilter")
        #expect(sizes["m.py:tiny"] == "too-short" && sizes["m.py:pair"] == "kept")
    }

    @Test func limitCountsCandidatesAndSourcesAreRelative() async throws {
        let root = try Self.makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let (result, store) = try await Self.collectAndFilter(root, limit: 5, until: .collect)
        let samples = try store.samples()
        let kept = try samples.filter { try store.outcome(of: $0.id, stage: "collect")?.kept == true }
        #expect(kept.count == 5)
        // Items rejected on the way are recorded too: every item read ends kept or rejected.
        #expect(result.collected == samples.count && samples.count > 5)
        let last = try #require(samples.last)
        #expect(try store.outcome(of: last.id, stage: "collect")?.kept == true, "reading stops at the fifth candidate")
        let name = root.lastPathComponent
        for sample in samples {
            #expect(sample.source.hasPrefix(name + "/") || sample.source == name, "\(sample.source)")
            #expect(!sample.source.hasPrefix("/"))
        }
    }

    @Test func aRecipeChoosesWhichKindsBecomeSamples() async throws {
        let root = try Self.makeRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        var recipe = Recipe()
        recipe.inputs = [.init(path: root.path)]
        recipe.collect.kinds = ["function", "nested"]
        let collect = try decisions(try await collectOnly(recipe, in: root.appendingPathComponent("run")).store, stage: "collect")
        #expect(collect["geometry.py:Rect.area"] == "kind-not-collected" && collect["geometry.py:Rect.square_side"] == "kind-not-collected")
        #expect(collect["docs.py:key"] == "kept" && collect["util.py:clamp"] == "kept")
        // A kind the tool does not know is a recipe error, found when the recipe loads.
        let file = root.appendingPathComponent("bad.yaml")
        try "name: bad\ninputs:\n  - path: x.py\ncollect:\n  kinds: [function, lambda]\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.self) { try RecipeLoader.load(path: file.path) }
    }

    @Test func callsOfMethodsParse() throws {
        let text = "Tally(3).add(2)\nTally.add(2)\nTally(start=1).add(4, times=2)\nt.add(1)\nadd(1)\nTally(x).add(1)"
        let parsed = try ResponseParsers.testInputs(in: text, entry: "Tally.add")
        #expect(parsed.map { [$0.display, $0.literal] } == [
            ["Tally(3).add(2)", "{'args': (2, ), 'kwargs': {}, 'init': {'args': (3, ), 'kwargs': {}}}"],
            ["Tally.add(2)", "{'args': (2, ), 'kwargs': {}}"],
            ["Tally(start=1).add(4, times=2)", "{'args': (4, ), 'kwargs': {'times': 2}, 'init': {'args': (), 'kwargs': {'start': 1}}}"],
        ])
    }

    static let tally = """
        import math


        class Tally:
            def __init__(self, start=0):
                self.total = start
                self.history = []

            def add(self, amount, times=1):
                for _ in range(times):
                    self.total += amount
                    self._log(amount)
                return self.total

            def _log(self, amount):
                self.history.append(amount)

            def reset(self):
                self.total = 0
                self.history = []

            @staticmethod
            def circle(r):
                return round(math.pi * r * r, 6)
        """

    @Test func aMethodSampleGoesThroughEveryStage() async throws {
        let run = try temporaryDirectory("methods")
        defer { try? FileManager.default.removeItem(at: run) }
        let file = run.appendingPathComponent("tally.py")
        try Self.tally.write(to: file, atomically: true, encoding: .utf8)
        let script = ScriptedGenerator(
            rewrites: [
                // Written without its class and without @staticmethod: it goes back into the class, decorated as before.
                "Tally.circle": "def circle(r):\n    return round(math.pi * r ** 2, 6)\n",
                // A rewrite that returns the same (None) but leaves another total: the object's state tells it apart.
                "Tally.reset": "def reset(self):\n    self.total = 1\n    self.history = []\n",
            ],
            inputs: [
                "Tally.add": ["Tally(3).add(2)", "Tally(0).add(5, times=2)", "Tally(-1).add(1, 0)", "Tally.add(2)", "Tally(1, 2, 3).add(1)"],
                "Tally.circle": ["Tally.circle(1)", "Tally.circle(0)", "Tally.circle(2.5)"],
                "Tally.reset": ["Tally(5).reset()", "Tally(0).reset()", "Tally(-2).reset()"],
            ])
        var recipe = Recipe()
        recipe.inputs = [.init(path: file.path)]
        recipe.tests.count = 5
        recipe.sandbox.timeoutSeconds = 1
        recipe.dedup.enabled = false
        let settings = recipe
        let services = BuildServices(
            generator: { script },
            runner: { roots in try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: settings.verify.floatTolerance, workers: 2, sourceRoots: roots) },
            embedder: { throw NoServices() })
        let result = try await BuildRunner(recipe: recipe, options: BuildOptions(runDirectory: run.appendingPathComponent("run")), services: services,
                                           progress: ProgressReporter(mode: .quiet)).run()
        let store = try RunDatabase(path: result.databasePath)
        let samples = try store.samples()
        func sample(_ entry: String) throws -> SampleRecord { try #require(samples.first { $0.entryPoint == entry }) }

        // Calls without an object, or whose object cannot be built, are dropped with their reason, never tests.
        let addCases = try store.testCases(of: try sample("Tally.add").id)
        #expect(addCases.contains { $0.arguments == "Tally.add(2)" && $0.dropped?.hasPrefix("no-object") == true })
        #expect(addCases.contains { $0.arguments == "Tally(1, 2, 3).add(1)" && $0.dropped?.hasPrefix("does-not-bind") == true })
        // The object's state after the call is part of the expected behaviour, and derived inputs keep their object.
        let model = try #require(addCases.first { $0.arguments == "Tally(0).add(5, times=2)" })
        #expect(model.expectedValue == "10" && model.expectedState?.contains(#""history",[5,5]"#) == true)
        #expect(addCases.contains { $0.origin == "derived" && $0.arguments.hasPrefix("Tally(") && $0.literal.contains("'init':") })

        // reset takes no arguments, its constructor does; the rewrite that returns the same is caught by the state alone.
        #expect(try store.outcome(of: try sample("Tally.reset").id, stage: "verify")?.reason == "mismatch")
        #expect(try store.outcome(of: try sample("Tally.circle").id, stage: "verify")?.kept == true)
        let circle = try #require(try store.rewrite(of: try sample("Tally.circle").id))
        #expect(circle.code.contains("@staticmethod\n    def circle(r):\n") && circle.code.contains("r**2") && !circle.code.contains("r * r"))

        // The model saw the class with the other methods cut to their signatures.
        let rewritePrompt = try #require(script.requests.map { $0.messages.last!.content }.first { $0.contains("Rewrite the method `Tally.add`") })
        #expect(rewritePrompt.contains("def _log(self, amount):\n        ...") && rewritePrompt.contains("self.total += amount"))
        #expect(!rewritePrompt.contains("def reset"), "methods the sample does not reach are not shown")

        // The dataset: a method's answer is the method alone, its class (without it) the context of the request.
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let rows = try String(contentsOfFile: try #require(result.datasetPath), encoding: .utf8).split(separator: "\n")
            .map { try decoder.decode(ExportedSample.self, from: Data($0.utf8)) }
        let add = try #require(rows.first { $0.entryPoint == "Tally.add" })
        #expect(add.response.hasPrefix("```python\ndef add(self, amount, times=1):"))
        #expect(add.context?.contains("class Tally:") == true && add.context?.contains("def add") == false)
        #expect(add.tests.allSatisfy { $0.input.hasPrefix("Tally(") || $0.input.hasPrefix("obj = Tally(") })
        // add changes its object, so calls in sequence on one object are among its tests.
        #expect(add.tests.contains { $0.input.hasPrefix("obj = Tally(") && $0.input.components(separatedBy: ".add(").count == 3 })
        #expect(add.source == "tally.py")
    }
}
