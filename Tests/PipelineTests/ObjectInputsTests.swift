import Foundation
import Pipeline
import SemiInstructCLI
import Store
import Testing

/// The objects an instance method's tests are made on: constructors probed with every plausible kind, objects no
/// literal builds rejected before any model call, one working call enough to go on, and derived inputs that build
/// other objects. The sandbox, Python's `ast` and the test-set stages are the real ones; the model is scripted.
@Suite(.serialized) struct ObjectInputsTests {
    static let code = """
        class Reader:
            def __init__(self, fp, factory):
                self._fp = fp
                self._decoder = factory()

            def size(self):
                return len(self._fp)


        class Base:
            def __init__(self):
                if type(self) is Base:
                    raise RuntimeError("Base must be subclassed")

            def step(self, n):
                return n + 1


        class Temperature:
            def __init__(self, unit):
                if unit not in ("C", "F"):
                    raise ValueError("unknown unit %r" % (unit,))
                self.unit = unit

            def label(self, value):
                return "%s%s" % (value, self.unit)


        class Options:
            def __init__(self, **options):
                self.width = options.get("width") * 2

            def area(self):
                return self.width * self.width


        class Shelf:
            def __init__(self, size):
                self.slots = [None] * size

            def free(self):
                return sum(1 for slot in self.slots if slot is None)
        """

    /// Builds `code` (as `name` in `run`) with `script` as the model, up to `until`.
    static func build(_ code: String, as name: String, in run: URL, script: ScriptedGenerator, until: StageName) async throws -> RunDatabase {
        let file = run.appendingPathComponent(name)
        try code.write(to: file, atomically: true, encoding: .utf8)
        var recipe = Recipe()
        recipe.inputs = [.init(path: file.path)]
        recipe.tests.count = 3
        recipe.sandbox.timeoutSeconds = 1
        recipe.dedup.enabled = false
        recipe.decontaminate.enabled = false
        let settings = recipe
        let services = BuildServices(
            generator: { script },
            runner: { roots in try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: settings.verify.floatTolerance, workers: 2, sourceRoots: roots) },
            embedder: { throw NoServices() })
        var options = BuildOptions(runDirectory: run.appendingPathComponent("run"))
        options.until = until
        let result = try await BuildRunner(recipe: recipe, options: options, services: services, progress: ProgressReporter(mode: .quiet)).run()
        return try RunDatabase(path: result.databasePath)
    }

    @Test func objectsNoLiteralBuildsAreRejectedBeforeTheModel() async throws {
        let run = try temporaryDirectory("objects")
        defer { try? FileManager.default.removeItem(at: run) }
        let script = ScriptedGenerator(inputs: [
            "Reader.size": ["Reader('abc', 1).size()"],
            "Base.step": ["Base().step(1)"],
            "Temperature.label": ["Temperature('C').label(20)", "Temperature('F').label(-4)", "Temperature('K').label(1)"],
            // One call only: enough to go on, since augment builds other shelves from it.
            "Shelf.free": ["Shelf(3).free()"],
            "Options.area": ["Options(width=3).area()", "Options(width=1).area()"],
        ])
        let store = try await Self.build(Self.code, as: "objects.py", in: run, script: script, until: .augment)
        let samples = try store.samples()
        func sample(_ entry: String) throws -> SampleRecord { try #require(samples.first { $0.entryPoint == entry }) }
        let asked = Set(script.requests.map { $0.messages.last!.content })

        // A constructor that calls an argument, and one that insists on a subclass: no literal builds either object.
        for entry in ["Reader.size", "Base.step"] {
            let outcome = try #require(try store.outcome(of: try sample(entry).id, stage: "test-inputs"))
            #expect(outcome.reason == "object-cannot-be-built", "\(entry): \(outcome.reason ?? "kept")")
            #expect(try store.modelCalls(of: try sample(entry).id).isEmpty, "\(entry) cost no model call")
            #expect(!asked.contains { $0.contains("`\(entry)`") })
        }
        let reader = try #require(try store.outcome(of: try sample("Reader.size").id, stage: "test-inputs"))
        #expect(reader.detail?.contains("TypeError") == true && reader.detail?.contains("not callable") == true, "\(reader.detail ?? "")")
        let base = try #require(try store.outcome(of: try sample("Base.step").id, stage: "test-inputs"))
        #expect(base.detail?.contains("must be subclassed") == true)

        // Probes never fill a constructor's **options, so they all fail on a kind; the model fills it, and it builds.
        let options = try sample("Options.area")
        let optionsInputs = try store.outcome(of: options.id, stage: "test-inputs")
        let optionsCases = try store.testCases(of: options.id)
        #expect(optionsInputs?.kept == true, "\(optionsInputs?.reason ?? "") \(optionsInputs?.detail ?? "") \(optionsCases.map { ($0.arguments, $0.dropped ?? "") })")
        #expect(try store.testCases(of: options.id).contains { $0.arguments == "Options(width=3).area()" && $0.expectedValue == "36" })

        // Every probe of Temperature fails on a value, not a kind: the model may know one, and it does.
        let temperature = try sample("Temperature.label")
        #expect(try store.outcome(of: temperature.id, stage: "test-inputs")?.kept == true)
        #expect(try store.outcome(of: temperature.id, stage: "augment")?.kept == true)
        let temperatureCases = try store.testCases(of: temperature.id)
        #expect(temperatureCases.contains { $0.arguments == "Temperature('C').label(20)" && $0.expectedValue == #""20C""# })
        // 'K' raises inside the constructor: no object, no test.
        #expect(temperatureCases.contains { $0.arguments == "Temperature('K').label(1)" && $0.dropped != nil })

        // The constructor's parameters were probed with several kinds, and what it accepted was recorded.
        let shelf = try sample("Shelf.free")
        let probe = try #require(try store.probe(of: shelf.id))
        let parameters = try JSONDecoder().decode([ParameterInfo].self, from: Data(probe.parameters.utf8))
        let size = try #require(parameters.first { $0.name == "size" && $0.role == "init" })
        #expect(size.accepted?.contains("int") == true && size.accepted?.contains("str") == false, "\(size.accepted ?? [])")
        #expect(probe.calls.contains("init:size"))

        // One model call was enough to go on: derived inputs build other shelves, and their answers differ.
        #expect(try store.outcome(of: shelf.id, stage: "test-inputs")?.kept == true)
        #expect(try store.outcome(of: shelf.id, stage: "augment")?.kept == true)
        let shelfCases = try store.testCases(of: shelf.id).filter(\.isActive)
        let derived = shelfCases.filter { $0.origin == "derived" }
        #expect(derived.contains { $0.derivation?.hasPrefix("init:size") == true }, "\(derived.map { $0.derivation ?? "" })")
        #expect(Set(shelfCases.compactMap(\.expectedValue)).count >= 2)
        #expect(shelfCases.filter { $0.origin == "model" }.count == 1 && shelfCases.count >= 3)
    }

    static let stateful = """
        class Meter:
            def __init__(self):
                self.peak = 0

            def record(self, value):
                if value > self.peak:
                    self.peak = value
                    return True
                return False


        class Account:
            def __init__(self, balance):
                self.balance = balance
                self.log = []

            def deposit(self, amount):
                if amount <= 0:
                    raise ValueError("amount must be positive")
                self.balance += amount
                self.log.append(amount)
                return self.balance
        """

    @Test func callsInSequenceOnOneObjectCatchWhatOneCallCannot() async throws {
        let run = try temporaryDirectory("sequences")
        defer { try? FileManager.default.removeItem(at: run) }
        let script = ScriptedGenerator(
            rewrites: [
                // Right on every fresh Meter (its peak is 0), wrong once a call has raised the peak.
                "Meter.record": "def record(self, value):\n    if value > 0:\n        self.peak = value\n        return True\n    return False\n",
            ],
            inputs: [
                "Meter.record": ["Meter().record(5)", "Meter().record(-1)", "Meter().record(0)"],
                "Account.deposit": ["Account(10).deposit(5)", "Account(0).deposit(1)", "Account(3).deposit(-2)"],
            ])
        let store = try await Self.build(Self.stateful, as: "stateful.py", in: run, script: script, until: .verify)
        let samples = try store.samples()
        func sample(_ entry: String) throws -> SampleRecord { try #require(samples.first { $0.entryPoint == entry }) }

        // The wrong rewrite agrees with every single call on a fresh object; a sequence tells it apart.
        let meter = try sample("Meter.record")
        let verdict = try #require(try store.outcome(of: meter.id, stage: "verify"))
        #expect(verdict.reason == "mismatch", "\(verdict.detail ?? "")")
        let meterCases = try store.testCases(of: meter.id).filter(\.isActive)
        #expect(meterCases.filter { $0.origin == "model" }.allSatisfy { $0.passed == true })
        let failed = meterCases.filter { $0.passed == false }
        #expect(!failed.isEmpty && failed.allSatisfy(\.isSequence), "\(failed.map(\.arguments))")
        // A sequence is two calls on one object, the first one that changed it: Meter().record(5), then another.
        let sequence = try #require(meterCases.first { $0.arguments == "obj = Meter(); obj.record(5); obj.record(5)" })
        #expect(sequence.expectedValue == "false" && sequence.derivation == "sequence: after record(5)")
        #expect(sequence.expectedState?.contains(#""peak",5"#) == true, "\(sequence.expectedState ?? "")")

        // The right rewrite passes its sequences too: the balance after two deposits, and the log of both.
        let account = try sample("Account.deposit")
        #expect(try store.outcome(of: account.id, stage: "verify")?.kept == true)
        let twice = try #require(try store.testCases(of: account.id).first { $0.arguments == "obj = Account(10); obj.deposit(5); obj.deposit(5)" })
        #expect(twice.expectedValue == "20" && twice.expectedState?.contains("[5,5]") == true && twice.passed == true,
                "\(twice.expectedValue ?? "") \(twice.expectedState ?? "")")

        // Evidence that does not hold together is never exported: here a sample whose cases a second writer emptied.
        let before = try DatasetExport.export(store: store, to: run.appendingPathComponent("before.jsonl"), options: DatasetExportOptions(format: .alpaca))
        #expect(before.files.first?.rows == 1 && before.inconsistent.isEmpty)
        let verified = try #require(try store.outcome(of: account.id, stage: "verify"))
        try store.commit([StageCommit(outcome: verified, testCases: [])])
        let after = try DatasetExport.export(store: store, to: run.appendingPathComponent("after.jsonl"), options: DatasetExportOptions(format: .alpaca))
        #expect(after.files.first?.rows == 0 && after.inconsistent.map(\.id) == [account.id], "\(after.inconsistent)")
    }
}
