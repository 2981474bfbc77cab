import Foundation
import Pipeline
import SemiInstructCLI
import Testing

/// `--workers` reaches the sandbox: a batch of runs (a sample's mutants, say) is spread over up to `workers`
/// sandboxes, and no more than that run at once however many stages call the runner together.
@Suite(.serialized) struct SandboxWorkersTests {
    static func runs(_ count: Int) -> [CodeRun] {
        (0..<count).map { index in
            CodeRun(code: "import time\n\ndef f(x):\n    time.sleep(0.2)\n    return x + \(index)\n", entry: "f", literals: ["(1,)", "(2,)"])
        }
    }

    @Test func aBatchRunsOnAsManySandboxesAsWorkersAndNoMore() async throws {
        for workers in [1, 2, 3] {
            let runner = try SandboxCodeRunner(settings: Recipe().sandbox, floatTolerance: 1e-9, workers: workers)
            let results = try await runner.run(Self.runs(6))
            // Results stay in the order of the runs.
            let values: [[String?]] = results.map { $0.map(\.value) }
            let expected: [[String?]] = (0..<6).map { index -> [String?] in [String(1 + index), String(2 + index)] }
            #expect(values == expected)
            #expect(await runner.peakSandboxes == workers, "workers \(workers)")
        }
    }

    @Test func callersTogetherShareTheWorkers() async throws {
        let runner = try SandboxCodeRunner(settings: Recipe().sandbox, floatTolerance: 1e-9, workers: 2)
        // Five stages' worth of callers at once, each with a batch: still two sandboxes at a time.
        let values = try await withThrowingTaskGroup(of: [[CaseResult]].self) { group in
            for _ in 0..<5 { group.addTask { try await runner.run(Self.runs(3)) } }
            var all: [[[CaseResult]]] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(values.count == 5 && values.allSatisfy { $0.count == 3 && $0.allSatisfy { $0.allSatisfy { $0.status == "ok" } } })
        #expect(await runner.peakSandboxes == 2)
    }
}
