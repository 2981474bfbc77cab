// instruct: the instruction of a verified rewrite, written with evidence in front of the model: the original (its
// docstring and comments) and several of its executed cases, in the rewrite prompt's form (only the instruction of
// the answer is kept). Apart from the rewrite, so the code is still written from the code alone (a 135M model copies
// code worse with runs beside it) and only verified samples cost a call.
// Each answer's claims are checked against the code and its runs; one that does not hold is asked for again, then
// the rewrite's own instruction is tried, then the sample is rejected with every check as evidence. The accepted
// instruction gets verified cases appended as examples.
import Constraints
import Foundation
import Store
import Tokenizers

struct InstructStage: Stage {
    let name = StageName.instruct
    let batchSize = 8
    let batchesInFlight = 2

    struct Written { var instruction: String; var claims: [ClaimCheck] }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let start = DispatchTime.now()
        let settings = context.recipe.instruction
        let analyses = try PythonTools.analyze(batch.map { ($0.code, $0.entryPoint) })
        let copied = Self.copiedExamples(context.recipe)
        let shown = try ModelView.of(batch)
        var rewrites: [String: RewriteRecord] = [:], cases: [String: [TestCaseRecord]] = [:], evidence: [String: [String]] = [:]
        var parameters: [String: [String]] = [:], fromDocstring: [String: Bool] = [:]
        for (sample, analysis) in zip(batch, analyses) {
            rewrites[sample.id] = try context.store.rewrite(of: sample.id)
            cases[sample.id] = try context.store.testCases(of: sample.id).filter(\.isActive)
            evidence[sample.id] = InstructionEvidence.shown(cases[sample.id] ?? [], limit: settings.evidence)
                .map { InstructionEvidence.line($0, entry: sample.entryPoint) }
            parameters[sample.id] = RewriteStage.parameterNames(analysis.signature)
            fromDocstring[sample.id] = !(analysis.docstring ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }

        func check(_ instruction: String, _ sample: SampleRecord) async throws -> [ClaimCheck] {
            guard settings.checkClaims, let rewrite = rewrites[sample.id] else { return [] }
            return try await InstructionClaims.check(instruction, sample: sample, code: rewrite.code, parameters: parameters[sample.id] ?? [],
                                                     cases: cases[sample.id] ?? [], copied: copied, runner: context.runner)
        }

        // The last failed checks per sample, the evidence of a rejection.
        var failed: [String: [ClaimCheck]] = [:]
        let asked = batch.filter { $0.givenInstruction == nil && rewrites[$0.id] != nil }
        let results = asked.isEmpty ? [:] : try await ModelAttempts.run(
            stage: name, batch: asked, context: context,
            messages: { Self.messages($0, code: shown[$0.id], evidence: evidence[$0.id] ?? [], fromDocstring: fromDocstring[$0.id] == true,
                                      recipe: context.recipe) },
            constraint: { EntryPoint($0.entryPoint).answerGrammar },
            parse: { sample, text, _ -> AttemptResult<Written> in
                let instruction = Self.sentence(text)
                guard !instruction.isEmpty else { return .retry(reason: .noInstruction, detail: "the answer holds no instruction") }
                let claims = try await check(instruction, sample)
                guard claims.allSatisfy(\.passed) else {
                    failed[sample.id] = claims
                    return .retry(reason: .instructionContradictsCode, detail: claims.filter { !$0.passed }.map(\.detail).joined(separator: "; "))
                }
                return .done(Written(instruction: instruction, claims: claims))
            })
        let seconds = elapsed(since: start) / Double(max(1, batch.count))

        var commits: [StageCommit] = []
        for sample in batch {
            guard var rewrite = rewrites[sample.id] else {
                commits.append(StageCommit(outcome: reject(sample, .noRewrite, "verify kept it, but no rewrite is stored", seconds: seconds)))
                continue
            }
            let calls = results[sample.id]?.calls ?? []
            var written: Written?
            var source = "given"
            if let given = sample.givenInstruction {
                let claims = try await check(given, sample)
                if claims.allSatisfy(\.passed) { written = Written(instruction: given, claims: claims) } else { failed[sample.id] = claims }
            } else if case let .done(answer)? = results[sample.id]?.result {
                written = answer
                source = fromDocstring[sample.id] == true ? "docstring" : "model"
            } else if !rewrite.instruction.isEmpty {
                // The rewrite's own instruction, written from the code alone, stands if every claim of it holds.
                let claims = try await check(rewrite.instruction, sample)
                if claims.allSatisfy(\.passed) { written = Written(instruction: rewrite.instruction, claims: claims); source = "model" }
            }
            guard let written else {
                let checks = failed[sample.id] ?? []
                let outcome: OutcomeRecord
                if checks.isEmpty, case let .retry(reason, detail)? = results[sample.id]?.result {
                    outcome = reject(sample, reason, detail, evidence: calls.last?.output, seconds: seconds)
                } else {
                    outcome = reject(sample, .instructionContradictsCode, checks.filter { !$0.passed }.map(\.detail).joined(separator: "; "),
                                     evidence: jsonText(checks), seconds: seconds)
                }
                commits.append(StageCommit(outcome: outcome, modelCalls: calls))
                continue
            }
            let verified = (cases[sample.id] ?? []).filter { $0.passed == true }
            let examples = InstructionEvidence.examples(verified, count: settings.examples)
            let rendered = InstructionEvidence.render(examples, entry: sample.entryPoint, style: settings.exampleStyle)
            rewrite.instruction = written.instruction + rendered
            rewrite.instructionSource = source
            rewrite.evidence = jsonText(evidence[sample.id] ?? [])
            rewrite.examples = jsonText(InstructionExamples(cases: examples.map(\.index), text: rendered))
            rewrite.claims = settings.checkClaims ? jsonText(written.claims) : nil
            commits.append(StageCommit(outcome: keep(sample, seconds: seconds), modelCalls: calls, rewrite: rewrite))
        }
        return commits
    }

    /// The instruction prompt: the original, its runs, and what to ground the instruction in.
    static func messages(_ sample: SampleRecord, code: String?, evidence: [String], fromDocstring: Bool, recipe: Recipe) -> [ChatMessage] {
        Prompting.messages(recipe.prompts.instruction(for: sample.entryPoint), fields: [
            "code": code ?? sample.code, "entry": sample.entryPoint,
            "evidence": evidence.isEmpty ? "(no runs)" : evidence.joined(separator: "\n"),
            "basis": fromDocstring ? DefaultPrompts.fromDocstring : DefaultPrompts.fromRuns,
        ])
    }

    /// The worked examples' instructions, which small models copy word for word.
    static func copiedExamples(_ recipe: Recipe) -> [String] {
        let prompts = recipe.prompts
        return (prompts.instruction.examples + prompts.rewrite.examples + prompts.methodInstruction.examples + prompts.methodRewrite.examples)
            .compactMap { ResponseParsers.instruction(in: $0.assistant) }
    }

    /// The instruction in an answer: after its `Instruction:` label, else its first line, without quotes.
    static func sentence(_ text: String) -> String {
        if let labelled = ResponseParsers.instruction(in: text), text.contains("nstruction") { return labelled }
        var line = text.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n").first ?? ""
        for label in ["Instruction:", "**Instruction:**", "instruction:"] where line.hasPrefix(label) {
            line = String(line.dropFirst(label.count))
        }
        return line.trimmingCharacters(in: CharacterSet(charactersIn: " \"*"))
    }
}
