// faithfulness: back-translation. The model, shown only the instruction and the signature (never the original or
// the rewrite), writes the function; it runs on the cases the instruction does not show as examples, and the share
// it gets right is the instruction's faithfulness. One greedy answer, so the score measures the instruction, not luck.
// Below the recipe's minimum the sample is rejected with the first difference.
import Constraints
import Foundation
import Store

struct FaithfulnessStage: Stage {
    let name = StageName.faithfulness
    let batchSize = 8

    struct Written { var code: String; var failure: String? }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let settings = context.recipe.instruction
        guard settings.backTranslate, let runner = context.runner else {
            return batch.map { StageCommit(outcome: keep($0)) }
        }
        let start = DispatchTime.now()
        var rewrites: [String: RewriteRecord] = [:]
        var heldBack: [String: [TestCaseRecord]] = [:]
        for sample in batch {
            guard let rewrite = try context.store.rewrite(of: sample.id) else { continue }
            rewrites[sample.id] = rewrite
            let shown = Set(InstructionExamples.of(rewrite)?.cases ?? [])
            let verified = try context.store.testCases(of: sample.id).filter { $0.isActive && $0.passed == true }
            let unseen = verified.filter { !shown.contains($0.index) }
            heldBack[sample.id] = unseen.isEmpty ? verified : unseen
        }
        var context = context
        context.recipe.sampling.attempts = 1
        let results = try await ModelAttempts.run(
            stage: name, batch: batch.filter { rewrites[$0.id] != nil }, context: context,
            messages: { sample in
                Prompting.messages(context.recipe.prompts.backTranslate, fields: [
                    "instruction": rewrites[sample.id]?.instruction ?? "", "entry": sample.entryPoint,
                    "signature": Self.signature(of: sample.entryPoint, in: rewrites[sample.id]?.code ?? ""),
                ])
            },
            constraint: { _ in BuiltInConstraints.fencedPython },
            parse: { sample, text, _ -> AttemptResult<Written> in
                guard let code = ResponseParsers.code(in: text, entry: sample.entryPoint) else {
                    return .done(Written(code: "", failure: "the answer holds no code"))
                }
                // The signature's annotations need the rewrite's imports (`List`); they say nothing about behaviour.
                let completed = try PythonTools.reattach([(rewrites[sample.id]?.code ?? "", code)])[0]
                return .done(Written(code: completed, failure: nil))
            })
        let seconds = elapsed(since: start) / Double(max(1, batch.count))
        var commits: [StageCommit] = []
        for sample in batch {
            guard let cases = heldBack[sample.id], let (result, calls) = results[sample.id] else {
                commits.append(StageCommit(outcome: reject(sample, "no-rewrite", "verify kept it, but no rewrite is stored", seconds: seconds)))
                continue
            }
            var record: FaithfulnessRecord
            switch result {
            case let .done(written) where written.failure == nil:
                let (passed, difference) = try await RewriteStage.reproduces(written.code, sample: sample, cases: cases, runner: runner,
                                                                             compareOutput: context.recipe.verify.compareOutput)
                record = FaithfulnessRecord(sampleId: sample.id, code: written.code, passed: passed, total: cases.count, detail: difference)
            case let .done(written):
                record = FaithfulnessRecord(sampleId: sample.id, code: "", passed: 0, total: cases.count, detail: written.failure)
            case let .retry(reason, detail):
                record = FaithfulnessRecord(sampleId: sample.id, code: "", passed: 0, total: cases.count, detail: "\(reason): \(detail)")
            }
            let outcome = record.score + 1e-9 < settings.minFaithfulness
                ? reject(sample, "unfaithful-instruction",
                         "from the instruction alone the model's code is right on \(record.passed) of \(record.total) held-back cases (minimum \(settings.minFaithfulness)); \(record.detail ?? "")",
                         evidence: record.code, seconds: seconds)
                : keep(sample, seconds: seconds)
            commits.append(StageCommit(outcome: outcome, modelCalls: calls, faithfulness: record))
        }
        return commits
    }

    /// The entry point's `def` line(s) as the rewrite writes them (defaults and annotations included), body elided.
    static func signature(of entry: String, in code: String) -> String {
        let lines = code.components(separatedBy: "\n")
        guard let first = lines.firstIndex(where: { $0.hasPrefix("def \(entry)(") || $0.hasPrefix("async def \(entry)(") }) else {
            return "def \(entry)(...):"
        }
        var header: [String] = []
        for line in lines[first...] {
            header.append(line)
            if line.trimmingCharacters(in: .whitespaces).hasSuffix(":") { break }
        }
        return header.joined(separator: "\n")
    }
}
