// Which inputs tell each mutant of the original from the original: the measure of a test set that matters for
// verification, since a wrong rewrite usually differs from its original the way a mutant does.
import Foundation
import Store

struct MutantKills: Sendable {
    var mutants: [Mutant] = []
    /// For each mutant, the inputs (call literals) on which it behaves differently from the original.
    var killers: [Set<String>] = []
    /// How each input reads, for the report.
    var displays: [String: String] = [:]
    /// Inputs in the order they were tried (model inputs first), so a report names the first killer.
    var order: [String] = []

    /// Runs every mutant on the model's inputs and the pool, with a CPU budget of a few times what the original
    /// needed (a mutant that loops forever is told apart by its timeout, quickly).
    static func measure(_ sample: SampleRecord, mutants: [Mutant], model: [TestCaseRecord], pool: [AugmentStage.Candidate],
                        runner: any CodeRunner, compareOutput: Bool) async throws -> MutantKills {
        var kills = MutantKills(mutants: mutants, killers: Array(repeating: [], count: mutants.count))
        let inputs = model.map { ($0.literal, $0.arguments, Behaviour.expected($0), $0.cpuSeconds ?? 0) }
            + pool.map { ($0.input.literal, $0.input.display, $0.result, $0.result.cpuSeconds) }
        guard !mutants.isEmpty, !inputs.isEmpty else { return kills }
        kills.order = inputs.map(\.0)
        for input in inputs { kills.displays[input.0] = input.1 }
        let needed = inputs.map(\.3).max() ?? 0
        let budget = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10].first { $0 >= 4 * needed + 0.02 } ?? runner.budgetSeconds
        let scale = min(budget, runner.budgetSeconds) / runner.budgetSeconds
        let runs = mutants.map { CodeRun(code: $0.code, entry: sample.entryPoint, literals: inputs.map(\.0), budgetScale: scale) }
        let results = try await runner.run(runs)
        for (m, mutantResults) in results.enumerated() {
            for (input, result) in zip(inputs, mutantResults) {
                let differs = !["ok", "raised"].contains(result.status)
                    || Behaviour.difference(expected: input.2, actual: result, runner: runner, compareOutput: compareOutput) != nil
                if differs { kills.killers[m].insert(input.0) }
            }
        }
        return kills
    }

    /// The mutants some input of `literals` tells apart.
    func killed(by literals: Set<String>) -> Set<Int> {
        Set(killers.indices.filter { !killers[$0].isDisjoint(with: literals) })
    }

    /// The mutants `literal` tells apart.
    func mutants(killedBy literal: String) -> Set<Int> {
        Set(killers.indices.filter { killers[$0].contains(literal) })
    }

    /// Records in `adequacy` how many mutants the kept inputs tell apart, and for each mutant the first input that does.
    func score(_ adequacy: inout AdequacyRecord, kept: Set<String>) {
        struct Row: Encodable { var mutant: String; var killedBy: String? }
        let rows = mutants.indices.map { m in
            Row(mutant: mutants[m].description, killedBy: order.first { kept.contains($0) && killers[m].contains($0) }.map { displays[$0] ?? $0 })
        }
        adequacy.mutants = mutants.count
        adequacy.mutantsKilled = rows.filter { $0.killedBy != nil }.count
        adequacy.mutantReport = mutants.isEmpty ? nil : jsonText(rows)
    }
}
