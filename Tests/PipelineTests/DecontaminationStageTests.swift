import Foundation
import Pipeline
import Store
import Testing

/// The two decontamination stages in a build: natural code that is a benchmark solution goes before any work; a
/// rewrite or an instruction that brings a benchmark back goes after the model wrote it; the card says what was
/// checked and what went.
@Suite(.serialized) struct DecontaminationStageTests {
    /// HumanEval/0 renamed (with its docstring), an independent function with the same behaviour, and two plain ones.
    static let source = """
        from typing import List


        def any_close(numbers: List[float], threshold: float) -> bool:
            \"\"\" Check if in given list of numbers, are any two numbers closer to each other than
            given threshold.
            >>> any_close([1.0, 2.0, 3.0], 0.5)
            False
            \"\"\"
            for idx, elem in enumerate(numbers):
                for idx2, elem2 in enumerate(numbers):
                    if idx != idx2:
                        distance = abs(elem - elem2)
                        if distance < threshold:
                            return True

            return False


        def pairs_within(values, limit):
            n = len(values)
            for a in range(n):
                for b in range(a + 1, n):
                    if abs(values[a] - values[b]) < limit:
                        return True
            return False


        def clamp(x, lo, hi):
            if x < lo:
                return lo
            return min(x, hi)


        def double_all(xs):
            out = [2 * x for x in xs]
            return out

        """

    static let rewrites = [
        // The rewrite of pairs_within is HumanEval/0's canonical body.
        "pairs_within": "def pairs_within(values, limit):\n    numbers, threshold = values, limit\n"
            + "    for idx, elem in enumerate(numbers):\n        for idx2, elem2 in enumerate(numbers):\n            if idx != idx2:\n"
            + "                distance = abs(elem - elem2)\n                if distance < threshold:\n                    return True\n\n    return False\n",
    ]
    static let inputs = [
        "any_close": ["any_close([1.0, 2.0], 0.5)", "any_close([], 1.0)", "any_close([1.0, 1.1], 0.5)"],
        "pairs_within": ["pairs_within([1.0, 2.0, 3.9], 0.3)", "pairs_within([1.0, 1.1], 0.3)", "pairs_within([], 1.0)"],
        "clamp": ["clamp(5, 0, 10)", "clamp(-1, 0, 10)", "clamp(20, 0, 10)"],
        "double_all": ["double_all([1, 2])", "double_all([])", "double_all([-3])"],
    ]
    /// clamp's instruction is HumanEval/0's prompt.
    static let instructions = [
        "clamp": ["Write `clamp(x, lo, hi)`. Check if in given list of numbers, are any two numbers closer to each other than given threshold."],
    ]

    static func build(configure: @escaping (inout Recipe) -> Void = { _ in })
        async throws -> (result: BuildResult, store: RunDatabase, script: ScriptedGenerator, folder: URL) {
        try await TestSetTests.build(["code.py": source], inputs: inputs, rewrites: rewrites, instructions: instructions) { recipe in
            recipe.decontaminate.enabled = true
            recipe.instruction.checkClaims = false
            recipe.instruction.backTranslate = false
            configure(&recipe)
        }
    }

    @Test func benchmarkCodeGoesBeforeAnyWorkAndBenchmarkTextAfterTheModel() async throws {
        let (result, store, _, folder) = try await Self.build()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try decisions(store, stage: "decontaminate-input")
        let output = try decisions(store, stage: "decontaminate-output")
        #expect(input == ["code.py:any_close": "contaminated", "code.py:pairs_within": "kept", "code.py:clamp": "kept", "code.py:double_all": "kept"])
        #expect(output == ["code.py:pairs_within": "contaminated", "code.py:clamp": "contaminated", "code.py:double_all": "kept"])
        // No model call was spent on the benchmark's own code.
        let anyClose = try store.samples().first { $0.entryPoint == "any_close" }!
        #expect(try store.modelCalls(of: anyClose.id).isEmpty)
        let evidence = try store.outcome(of: anyClose.id, stage: "decontaminate-input")!
        #expect(evidence.detail?.hasPrefix("HumanEval/0 (humaneval): its whole reference solution (") == true, "\(evidence.detail ?? "")")
        #expect(evidence.evidence?.contains("\"method\":\"substring\"") == true && evidence.evidence?.contains("\"field\":\"code\"") == true)

        let pairs = try store.samples().first { $0.entryPoint == "pairs_within" }!
        let rewrite = try #require(try store.outcome(of: pairs.id, stage: "decontaminate-output")?.evidence)
        #expect(rewrite.contains("\"field\":\"rewrite\"") && rewrite.contains("\"problem\":\"HumanEval/0\""))
        let clamp = try store.samples().first { $0.entryPoint == "clamp" }!
        let instruction = try #require(try store.outcome(of: clamp.id, stage: "decontaminate-output")?.evidence)
        #expect(instruction.contains("\"field\":\"instruction\"") && instruction.contains("\"method\":\"ngram\""))
        #expect(instruction.contains("Check if in given list of numbers"))

        // Only the clean function is exported, and the card says what was checked and what each check removed.
        #expect(result.exported == 1)
        let cardPath = try DatasetExport.export(store: store, to: folder.appendingPathComponent("alpaca.jsonl"), options: .init(format: .alpaca)).card
        let card = try String(contentsOfFile: cardPath, encoding: .utf8)
        #expect(card.contains("## Decontamination") && card.contains("Checked against humaneval (164 problems)"))
        #expect(card.contains("13-grams") && card.contains("| humaneval | 1 | 2 |"))
    }

    @Test func offMeansNothingIsChecked() async throws {
        let (_, store, _, folder) = try await Self.build { $0.decontaminate.enabled = false }
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try decisions(store, stage: "decontaminate-input").count == 4)
        #expect(try store.outcomes(reason: "contaminated").isEmpty)
        let cardPath = try DatasetExport.export(store: store, to: folder.appendingPathComponent("alpaca.jsonl"), options: .init(format: .alpaca)).card
        #expect(try String(contentsOfFile: cardPath, encoding: .utf8).contains("Not checked against any benchmark (the recipe set `decontaminate: false`)."))
    }

    @Test func aBenchmarkThatCannotBeReadStopsTheBuildBeforeAnyWork() async throws {
        let folder = try temporaryDirectory("decontam-missing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("evals.jsonl")
        try "{\"task_id\": 1, \"prompt\": \"p\", \"code\": \"def f(): pass\"}\n{broken\n".write(to: bad, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await Self.build { $0.decontaminate.benchmarks = [.init(path: bad.path)] }
        } throws: { error in
            let message = (error as? PipelineError)?.errorDescription ?? "\(error)"
            return message.contains("evals.jsonl:2: malformed JSON") && message.contains("decontaminate: false")
        }
    }
}
