// The rewrite and test-input stages ask for constrained answers when the generator supports it and the
// recipe allows it, and for free answers otherwise.
import Constraints
import Foundation
import Pipeline
import SemiInstructCLI
import Store
import Testing

@Suite(.serialized) struct ConstrainedStagesTests {
    func requests(supports: Bool, constrain: Bool) async throws -> [ChatRequest] {
        try await run(supports: supports, constrain: constrain).requests
    }

    /// The requests the generator got, and what the run database says of constraints.
    func run(supports: Bool, constrain: Bool) async throws -> (requests: [ChatRequest], recorded: String?) {
        let run = try temporaryDirectory("constrained")
        defer { try? FileManager.default.removeItem(at: run) }
        let generator = ScriptedGenerator(inputs: ["f": ["f([1, 2, 3], 2)", "f([], 3)", "f([1], 1)"]], supportsConstraints: supports)
        var recipe = Recipe()
        recipe.inputs = [.init(path: BuildPipelineTests.lists.path)]
        recipe.tests.count = 3
        recipe.sampling.constrain = constrain
        recipe.dedup.enabled = false
        var options = BuildOptions(runDirectory: run)
        options.until = .rewrite
        let settings = recipe
        let services = BuildServices(generator: { generator }, runner: { roots in
            try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: 1e-9, workers: 2, sourceRoots: roots)
        }, embedder: { throw NoServices() })
        let result = try await BuildRunner(recipe: recipe, options: options, services: services, progress: ProgressReporter(mode: .quiet)).run()
        return (generator.requests, try RunDatabase(path: result.databasePath).meta("generator.constraints"))
    }

    @Test func stagesAskForConstrainedAnswers() async throws {
        let (requests, recorded) = try await run(supports: true, constrain: true)
        #expect(recorded == "on")
        let rewrites = requests.filter { $0.messages.last!.content.hasPrefix("Rewrite") }
        let inputs = requests.filter { $0.messages.last!.content.hasPrefix("Write 3 different calls") }
        #expect(!rewrites.isEmpty && !inputs.isEmpty)
        for request in rewrites {
            let automaton = GrammarAutomaton(grammar: try #require(request.constraint))
            let entry = ScriptedGenerator.entry(in: ScriptedGenerator.fenced(request.messages.last!.content))
            func accepts(_ name: String) -> Bool {
                let text = "Instruction: Write it.\n\n```python\nimport os\n\ndef \(name)(a, b=1):\n    return a\n\ndef helper():\n    pass\n```"
                return automaton.canEnd(automaton.advance(automaton.initial, Array(text.utf8)))
            }
            // The entry point must be defined under its own name.
            #expect(accepts(entry) && !accepts(entry + "_renamed"), "\(entry)")
        }
        for request in inputs {
            let grammar = try #require(request.constraint)
            let automaton = GrammarAutomaton(grammar: grammar)
            func accepts(_ text: String) -> Bool { automaton.canEnd(automaton.advance(automaton.initial, Array(text.utf8))) }
            let entry = ScriptedGenerator.entry(in: ScriptedGenerator.fenced(request.messages.last!.content))
            #expect(automaton.advance(automaton.initial, Array("print(1)".utf8)) == GrammarAutomaton.dead, "\(entry)")
            guard entry == "f" else { continue }
            // f(l, n): three calls that bind, with a sequence and a step; the original refuses a dict or a string step.
            #expect(accepts("f([1, 2, 3], 2)\nf('abc', 1)\nf((4, 5), 3)"))
            #expect(!accepts("f([1, 2, 3])\nf('abc', 1)\nf((4, 5), 3)"), "a missing argument")
            #expect(!accepts("f({'a': 1}, 2)\nf('abc', 1)\nf((4, 5), 3)"), "a dict")
            #expect(!accepts("f([1], 'x')\nf('abc', 1)\nf((4, 5), 3)"), "a string step")
        }
    }

    @Test func noConstraintWhenTheRecipeOrTheGeneratorSaysNo() async throws {
        for (supports, constrain, recorded) in [(true, false, "off (sampling.constrain: false)"),
                                                (false, true, "not sent: the generator cannot constrain, answers are parsed as they come")] {
            let (requests, said) = try await run(supports: supports, constrain: constrain)
            #expect(!requests.isEmpty)
            #expect(requests.allSatisfy { $0.constraint == nil })
            #expect(said == recorded, "the run records whether answers were constrained")
        }
    }
}
