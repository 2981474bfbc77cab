// decontaminate-input and decontaminate-output: a sample that overlaps a benchmark problem is rejected as
// `contaminated`, with the benchmark, the problem, the method and the overlapping text. Input: the natural code and
// any instruction that came with it. Output: the rewrite and its final instruction, which the model may have
// brought back to a benchmark's text.
import Decontamination
import Foundation
import Store

struct DecontaminateStage: Stage {
    let name: StageName
    let batchSize = 256

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let settings = context.recipe.decontaminate
        guard settings.enabled else { return batch.map { StageCommit(outcome: keep($0)) } }
        let index: ContaminationIndex
        do {
            let loaded = try ContaminationIndexStore.load(settings.sources, parameters: settings.parameters)
            index = loaded.index
            try context.store.setMeta("decontamination.benchmarks",
                                      loaded.problemCounts.map { "\($0.benchmark) (\($0.problems) problems)" }.joined(separator: ", "))
        } catch let error as DecontaminationError {
            throw PipelineError.input(path: "decontaminate", message: error.description + " (or set `decontaminate: false` in the recipe)")
        }
        return try batch.map { sample in
            let start = DispatchTime.now()
            let match = try texts(of: sample, store: context.store).lazy.compactMap { index.check($0.text, as: $0.kind, field: $0.field) }.first
            guard let match else { return StageCommit(outcome: keep(sample, seconds: elapsed(since: start))) }
            return StageCommit(outcome: reject(sample, .contaminated, match.summary + ": " + oneLine(match.span),
                                               evidence: jsonText(match), seconds: elapsed(since: start)))
        }
    }

    /// What this stage checks of a sample, and how each is read.
    func texts(of sample: SampleRecord, store: RunDatabase) throws -> [(field: String, text: String, kind: TextKind)] {
        if name == .decontaminateInput {
            return [("code", sample.code, .code)] + (sample.givenInstruction.map { [("given instruction", $0, .markdown)] } ?? [])
        }
        guard let rewrite = try store.rewrite(of: sample.id) else { return [] }
        return [("rewrite", rewrite.code, .code), ("instruction", rewrite.instruction, .markdown)]
    }

    func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ⏎ ")
        return flat.count > 160 ? String(flat.prefix(160)) + "…" : flat
    }
}
