// Test sets that tell a right rewrite from a wrong one: calls that bind, inputs of the right kinds, derived
// inputs, argument state, settled environments and the original as it runs in its module. Scripted generator,
// real sandbox.
import Constraints
import Foundation
import Pipeline
import SemiInstructCLI
import Store
import Testing

/// Whether the whole text is accepted by the grammar.
func matches(_ grammar: Grammar, _ text: String) -> Bool {
    let automaton = GrammarAutomaton(grammar: grammar)
    return automaton.canEnd(automaton.advance(automaton.initial, Array(text.utf8)))
}

@Suite(.serialized) struct TestSetTests {
    /// Writes `files` into a fresh source folder and builds them with scripted answers.
    static func build(_ files: [String: String], inputs: [String: [String]], rewrites: [String: String] = [:],
                      rewriteAttempts: [String: [String]] = [:], constrained: Bool = false,
                      instructions: [String: [String]] = [:], backTranslations: [String: String] = [:],
                      backTranslationsByPhrase: [(phrase: String, code: String)] = [],
                      configure: (inout Recipe) -> Void = { _ in }) async throws
        -> (result: BuildResult, store: RunDatabase, script: ScriptedGenerator, folder: URL) {
        let folder = try temporaryDirectory("tests")
        let source = folder.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        for (name, text) in files {
            let url = source.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let script = ScriptedGenerator(rewrites: rewrites, rewriteAttempts: rewriteAttempts, inputs: inputs, supportsConstraints: constrained,
                                       backTranslations: backTranslations, instructions: instructions,
                                       backTranslationsByPhrase: backTranslationsByPhrase)
        var recipe = Recipe()
        recipe.inputs = [.init(path: source.path)]
        recipe.tests.count = 4
        recipe.tests.minimum = 2
        recipe.sandbox.timeoutSeconds = 2
        recipe.dedup.enabled = false
        // Several inputs here are HumanEval's own functions, which decontamination (on by default) rejects before the
        // stages these tests are about.
        recipe.decontaminate.enabled = false
        configure(&recipe)
        let settings = recipe
        let services = BuildServices(
            generator: { script },
            runner: { roots in
                try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: settings.verify.floatTolerance, workers: 2, sourceRoots: roots)
            },
            embedder: { throw NoServices() })
        let result = try await BuildRunner(recipe: recipe, options: BuildOptions(runDirectory: folder.appendingPathComponent("run")),
                                           services: services, progress: ProgressReporter(mode: .quiet)).run()
        return (result, try RunDatabase(path: result.databasePath), script, folder)
    }

    static func cases(_ store: RunDatabase, _ entry: String) throws -> [TestCaseRecord] {
        let sample = try #require(try store.samples().first { $0.entryPoint == entry })
        return try store.testCases(of: sample.id)
    }

    static let xOrY = """
        def x_or_y(n, x, y):
            if n == 1:
                return y
            for i in range(2, n):
                if n % i == 0:
                    return y
            return x
        """

    @Test func callsThatDoNotBindAreDiscardedNeverExpected() async throws {
        let scaled = """
            def takes_one(fn):
                def wrapper(a):
                    return fn(a, 1)
                return wrapper


            @takes_one
            def scaled(a, b):
                return a * b
            """
        let build = try await Self.build(["p.py": Self.xOrY, "s.py": scaled], inputs: [
            "x_or_y": ["x_or_y(7, 34)", "x_or_y(7, 34, 12)", "x_or_y(1, 2, 3, 4)", "x_or_y(15, 8, 5)", "x_or_y(n=3, x=1, y=2, z=0)", "x_or_y(3, 'a', 'b')"],
            "scaled": ["scaled(2, 3)", "scaled(4, 5)", "scaled(1, 1)", "scaled(0, 9)"],
        ])
        defer { try? FileManager.default.removeItem(at: build.folder) }
        let cases = try Self.cases(build.store, "x_or_y")
        // Wrong-arity calls are discarded with the binding error; no TypeError of a call is ever expected behaviour.
        #expect(cases.filter { $0.dropped?.hasPrefix("does-not-bind") == true }.map(\.arguments) == ["7, 34", "1, 2, 3, 4", "n=3, x=1, y=2, z=0"])
        #expect(cases.filter { $0.origin == "model" && $0.isActive }.count == 3)
        #expect(!cases.contains { $0.expectedValue == "TypeError" })
        // A decorator that changes the signature: the calls bind to the def but not to what runs; the sandbox sees
        // the TypeError come from the call itself, so every case is dropped and the sample has nothing to test.
        let scaledCases = try Self.cases(build.store, "scaled")
        #expect(scaledCases.allSatisfy { $0.dropped?.hasPrefix("does-not-bind") == true }, "\(scaledCases.map(\.dropped))")
        #expect(try decisions(build.store, stage: "run-original")["s.py:scaled"] != "kept")
    }

    @Test func derivedInputsCatchARewriteThatIsRightOnlyOnTheModelsInputs() async throws {
        // Every model input has n = 1, so `return y` reproduces all of them.
        let inputs = ["x_or_y": ["x_or_y(1, 'a', 'b')", "x_or_y(1, 'c', 'd')", "x_or_y(1, 5, 6)", "x_or_y(1, [1], [2])"]]
        let wrong = ["x_or_y": "def x_or_y(n, x, y):\n    return y\n"]
        let without = try await Self.build(["p.py": Self.xOrY], inputs: inputs, rewrites: wrong) { $0.tests.derived = 0 }
        defer { try? FileManager.default.removeItem(at: without.folder) }
        #expect(try decisions(without.store, stage: "verify")["p.py:x_or_y"] == "kept", "without augmentation the wrong rewrite passes")

        let with = try await Self.build(["p.py": Self.xOrY], inputs: inputs, rewrites: wrong)
        defer { try? FileManager.default.removeItem(at: with.folder) }
        #expect(try decisions(with.store, stage: "verify")["p.py:x_or_y"] == "mismatch")
        let sample = try #require(try with.store.samples().first { $0.entryPoint == "x_or_y" })
        let verify = try #require(try with.store.outcome(of: sample.id, stage: "verify"))
        #expect(verify.detail?.contains("a derived input") == true, "\(verify.detail ?? "")")
        let derived = try Self.cases(with.store, "x_or_y").filter { $0.origin == "derived" && $0.isActive }
        #expect(!derived.isEmpty && derived.allSatisfy { $0.derivation != nil })
        // Derived inputs reach the loop the model never entered: the adequacy record says so.
        let adequacy = try #require(try with.store.adequacy(of: sample.id))
        #expect(adequacy.derivedCases == derived.count && adequacy.linesCovered == adequacy.linesTotal)
        #expect(adequacy.distinctOutputs >= 2 && adequacy.original == "module")

        // The right rewrite passes every case, the model's and the derived ones.
        let right = try await Self.build(["p.py": Self.xOrY], inputs: inputs)
        defer { try? FileManager.default.removeItem(at: right.folder) }
        #expect(try decisions(right.store, stage: "verify")["p.py:x_or_y"] == "kept")
    }

    @Test func derivedInputsAreChosenToTellMutantsApart() async throws {
        // HumanEval 133: the model only tries lists of ints, where `math.ceil` changes nothing.
        let code = """
            import math


            def sum_squares(lst):
                squared = 0
                for i in lst:
                    squared += math.ceil(i) ** 2
                return squared
            """
        let build = try await Self.build(["sq.py": code], inputs: [
            "sum_squares": ["sum_squares([1, 2, 3])", "sum_squares([4, 5])", "sum_squares([])", "sum_squares([7])"],
        ], rewrites: ["sum_squares": "def sum_squares(lst):\n    return sum(i ** 2 for i in lst)\n"])
        defer { try? FileManager.default.removeItem(at: build.folder) }
        #expect(try decisions(build.store, stage: "verify")["sq.py:sum_squares"] == "mismatch")
        let sample = try #require(try build.store.samples().first { $0.entryPoint == "sum_squares" })
        let adequacy = try #require(try build.store.adequacy(of: sample.id))
        #expect(adequacy.mutants >= 5 && adequacy.mutantsKilled > 0)
        struct Row: Decodable { var mutant: String; var killedBy: String? }
        let rows = try JSONDecoder().decode([Row].self, from: Data((adequacy.mutantReport ?? "[]").utf8))
        let ceil = try #require(rows.first { $0.mutant.contains("drops the call to ceil()") })
        #expect(ceil.killedBy?.contains(".5") == true, "\(ceil)")
        // The model's inputs alone tell that mutant nothing: a derived input with a fraction does.
        let killer = try #require(try Self.cases(build.store, "sum_squares").first { $0.arguments == ceil.killedBy })
        #expect(killer.origin == "derived")
    }

    @Test func anInputTakingAnotherPathJoinsTheSet() async throws {
        // HumanEval 3: every model input is a list of positive numbers; the wrong rewrite looks at the first only.
        let code = """
            def below_zero(operations):
                balance = 0
                for op in operations:
                    balance += op
                    if balance < 0:
                        return True
                return False
            """
        let build = try await Self.build(["bz.py": code], inputs: [
            "below_zero": ["below_zero([1, 2, 3])", "below_zero([1, 2, 3, 4])", "below_zero([5, 6])", "below_zero([7])"],
        ], rewrites: ["below_zero": "def below_zero(operations):\n    return operations[0] < 0\n"])
        defer { try? FileManager.default.removeItem(at: build.folder) }
        // The empty list adds no line and no decision outcome, but takes a path of its own (the loop never runs).
        let empty = try #require(try Self.cases(build.store, "below_zero").first { $0.arguments == "[]" })
        #expect(empty.origin == "derived" && empty.isActive)
        #expect(try decisions(build.store, stage: "verify")["bz.py:below_zero"] == "mismatch")
    }

    @Test func theCodesOwnConstantsReachTheBranchesTheyGuard() async throws {
        // HumanEval 64: only a word ending in 'y' reaches the extra count; the model never writes one.
        let code = """
            def vowels_count(s):
                vowels = "aeiouAEIOU"
                n_vowels = sum(c in vowels for c in s)
                if s[-1] == 'y' or s[-1] == 'Y':
                    n_vowels += 1
                return n_vowels
            """
        let build = try await Self.build(["v.py": code], inputs: [
            "vowels_count": ["vowels_count('abcde')", "vowels_count('ACEDO')", "vowels_count('hello')", "vowels_count('sky blue')"],
        ], rewrites: ["vowels_count": "def vowels_count(s):\n    return sum(1 for c in s if c in 'aeiouAEIOU')\n"])
        defer { try? FileManager.default.removeItem(at: build.folder) }
        #expect(try decisions(build.store, stage: "verify")["v.py:vowels_count"] == "mismatch")
        let derived = try Self.cases(build.store, "vowels_count").filter { $0.origin == "derived" && $0.isActive }
        #expect(derived.contains { $0.arguments.hasSuffix("y'") || $0.arguments.hasSuffix("Y'") }, "\(derived.map(\.arguments))")
    }

    @Test func aRewriteThatMismatchesIsAskedForAgain() async throws {
        let inputs = ["x_or_y": ["x_or_y(1, 'a', 'b')", "x_or_y(4, 'c', 'd')", "x_or_y(7, 5, 6)", "x_or_y(9, [1], [2])"]]
        let wrong = "def x_or_y(n, x, y):\n    return y\n"
        let build = try await Self.build(["p.py": Self.xOrY], inputs: inputs, rewriteAttempts: ["x_or_y": [wrong, Self.xOrY]])
        defer { try? FileManager.default.removeItem(at: build.folder) }
        #expect(try decisions(build.store, stage: "verify")["p.py:x_or_y"] == "kept")
        let sample = try #require(try build.store.samples().first { $0.entryPoint == "x_or_y" })
        #expect(try build.store.modelCalls(of: sample.id).filter { $0.stage == "rewrite" }.count == 2)
        #expect(try build.store.rewrite(of: sample.id)?.code.contains("for i in range(2, n)") == true)
        // When no attempt matches, the closest goes on, and verify rejects it with the mismatch.
        let never = try await Self.build(["p.py": Self.xOrY], inputs: inputs, rewriteAttempts: ["x_or_y": [wrong]])
        defer { try? FileManager.default.removeItem(at: never.folder) }
        #expect(try decisions(never.store, stage: "rewrite")["p.py:x_or_y"] == "kept")
        #expect(try decisions(never.store, stage: "verify")["p.py:x_or_y"] == "mismatch")
    }

    @Test func anInPlaceFunctionIsVerifiedByTheStateOfItsArgument() async throws {
        let code = """
            def push_sorted(items, value):
                position = 0
                while position < len(items) and items[position] < value:
                    position += 1
                items.insert(position, value)
            """
        let inputs = ["push_sorted": ["push_sorted([1, 3, 5], 4)", "push_sorted([], 2)", "push_sorted([2, 2], 1)", "push_sorted([0], 9)"]]
        let lazy = try await Self.build(["h.py": code], inputs: inputs,
                                        rewrites: ["push_sorted": "def push_sorted(items, value):\n    items.append(value)\n"])
        defer { try? FileManager.default.removeItem(at: lazy.folder) }
        // Both return None: only the list left behind tells them apart.
        #expect(try decisions(lazy.store, stage: "verify")["h.py:push_sorted"] == "mismatch")
        let sample = try #require(try lazy.store.samples().first { $0.entryPoint == "push_sorted" })
        #expect(try lazy.store.outcome(of: sample.id, stage: "verify")?.detail?.contains("left its arguments as") == true)
        let first = try #require(try Self.cases(lazy.store, "push_sorted").first { $0.arguments == "[1, 3, 5], 4" })
        #expect(first.expectedState?.contains("[1,3,4,5]") == true, "\(first.expectedState ?? "nil")")

        let right = try await Self.build(["h.py": code], inputs: inputs,
                                         rewrites: ["push_sorted": """
                                             def push_sorted(items, value):
                                                 index = next((i for i, item in enumerate(items) if not item < value), len(items))
                                                 items.insert(index, value)
                                             """])
        defer { try? FileManager.default.removeItem(at: right.folder) }
        #expect(try decisions(right.store, stage: "verify")["h.py:push_sorted"] == "kept")
    }

    @Test func anExtractionThatLosesModuleStateIsRejected() async throws {
        // As in email.quoprimime: a module-level loop fills the table after it is made; the extracted
        // snippet keeps the assignment but not the loop, so on its own it answers differently.
        let code = """
            from string import ascii_letters, digits

            _HEADER_MAP = ['=%02X' % c for c in range(256)]
            for c in b'-!*+/' + ascii_letters.encode('ascii') + digits.encode('ascii'):
                _HEADER_MAP[c] = chr(c)


            def header_check(octet):
                return chr(octet) != _HEADER_MAP[octet]
            """
        let build = try await Self.build(["pkg/__init__.py": "", "pkg/quopri.py": code],
                                         inputs: ["header_check": ["header_check(97)", "header_check(61)", "header_check(32)", "header_check(200)"]])
        defer { try? FileManager.default.removeItem(at: build.folder) }
        #expect(try decisions(build.store, stage: "run-original")["quopri.py:header_check"] == "extraction-incomplete")
        let sample = try #require(try build.store.samples().first { $0.entryPoint == "header_check" })
        #expect(sample.moduleName == "pkg.quopri")
        let outcome = try #require(try build.store.outcome(of: sample.id, stage: "run-original"))
        #expect(outcome.detail?.contains("(97)") == true, "\(outcome.detail ?? "")")
    }

    @Test func expectationsThatBelongToTheMachineAreDropped() async throws {
        let code = """
            import os
            import sys


            def is_open(fd):
                try:
                    os.fstat(fd)
                    return True
                except OSError:
                    return False


            def tagged(name):
                return name + '-' + sys.version.split()[0]


            def here(name):
                return os.path.join(os.getcwd(), name)
            """
        let build = try await Self.build(["env.py": code], inputs: [
            "is_open": ["is_open(10)", "is_open(11)", "is_open(12)", "is_open(-1)"],
            "tagged": ["tagged('a')", "tagged('b')", "tagged('')", "tagged('x y')"],
            "here": ["here('a')", "here('b')", "here('c.txt')", "here('')"],
        ])
        defer { try? FileManager.default.removeItem(at: build.folder) }
        let original = try decisions(build.store, stage: "run-original")
        #expect(original["env.py:tagged"] == "environment-fact")
        #expect(original["env.py:here"] == "nondeterministic")
        // fd 10 is open in one environment and closed in the other; -1 is closed in both.
        let isOpen = try Self.cases(build.store, "is_open")
        #expect(isOpen.filter { $0.origin == "model" && $0.dropped?.hasPrefix("nondeterministic") == true }.map(\.arguments) == ["10", "11", "12"])
        #expect(isOpen.first { $0.arguments == "-1" }?.expectedValue == "false")
    }

    @Test func copiedExamplesAreDiscardedAndExamplesVaryWithTheSample() async throws {
        let code = """
            def shout(text, times=1):
                return (text.upper() + '!') * times


            def whisper(text):
                return text.lower() + '...'
            """
        let build = try await Self.build(["w.py": code], inputs: [
            "shout": ["shout(\"hello world\")", "shout(\"a bb ccc\", 2)", "shout('hey', 3)", "shout('ok')", "shout('', 0)"],
            "whisper": ["whisper('HI')", "whisper('Mixed Case')", "whisper('')", "whisper('x')"],
        ], constrained: true)
        defer { try? FileManager.default.removeItem(at: build.folder) }
        let shout = try Self.cases(build.store, "shout")
        #expect(shout.filter { $0.dropped?.hasPrefix("copied-from-example") == true }.map(\.arguments) == ["'hello world'", "'a bb ccc', 2"])
        // Each sample saw two of the pool's examples; the two samples did not see the same two.
        let requests = build.script.requests.filter {
            $0.messages.last?.content.hasPrefix("Write") == true && $0.messages.last?.content.hasPrefix("Write the Python function") == false
        }
        let shown = requests.map { $0.messages.filter { $0.role == .assistant }.map(\.content) }
        #expect(shown.allSatisfy { $0.count == 2 })
        #expect(Set(shown).count == 2)

        // Kinds: `text` is a string (its methods say so, and the original refuses an int), `times` an int.
        let sample = try #require(try build.store.samples().first { $0.entryPoint == "shout" })
        let probe = try #require(try build.store.probe(of: sample.id))
        let parameters = try JSONDecoder().decode([ParameterInfo].self, from: Data(probe.parameters.utf8))
        #expect(parameters.map(\.name) == ["text", "times"])
        #expect(parameters[0].kinds.first == "str" && parameters[0].accepted?.contains("str") == true && parameters[0].accepted?.contains("int") == false)
        #expect(parameters[1].kinds.first == "int")
        // The grammar the model wrote under binds to the signature and asks for those kinds.
        let constraint = try #require(requests.first { $0.messages.last?.content.contains("def shout") == true }?.constraint)
        #expect(matches(constraint, "shout('a')\nshout('b', 2)\nshout('c', times=3)\nshout('')"))
        #expect(!matches(constraint, "shout(3)\nshout('b', 2)\nshout('c', times=3)\nshout('')"))
        #expect(!matches(constraint, "shout()\nshout('b', 2)\nshout('c', times=3)\nshout('')"))
    }

    @Test func aTestSetThatCannotTellOutputsApartIsRejectedWithItsEvidence() async throws {
        let code = """
            def always(x):
                if x is None:
                    raise ValueError('no value')
                return 'ok'


            def rare(n):
                if n * 3 == 370371:
                    return 'jackpot'
                return 'miss' if n % 2 else 'even'
            """
        let build = try await Self.build(["d.py": code], inputs: [
            "always": ["always(1)", "always('a')", "always([2])", "always(3.5)"],
            "rare": ["rare(1)", "rare(2)", "rare(3)", "rare(4)"],
        ]) { $0.tests.minLineCoverage = 1 }
        defer { try? FileManager.default.removeItem(at: build.folder) }
        let augment = try decisions(build.store, stage: "augment")
        #expect(augment["d.py:always"] == "degenerate-tests")
        #expect(augment["d.py:rare"] == "low-coverage")
        let sample = try #require(try build.store.samples().first { $0.entryPoint == "always" })
        let outcome = try #require(try build.store.outcome(of: sample.id, stage: "augment"))
        #expect(outcome.detail?.contains("1 distinct normal output") == true, "\(outcome.detail ?? "")")
        let evidence = try JSONSerialization.jsonObject(with: Data((outcome.evidence ?? "{}").utf8)) as? [String: Any]
        #expect(evidence?["distinctOutputs"] as? Int == 1)
        #expect(try build.store.adequacy(of: sample.id)?.distinctOutputs == 1)
    }
}
