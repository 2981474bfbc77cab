// rewrite: the model normalises the code and writes the instruction, with the original's docstring and several of
// its executed cases in front of it; Ruff formats the result. Rejected when the answer has no code, does not parse,
// lost the entry point or changed the signature. The test set is known by now, so an attempt that behaves
// differently from the original on it is tried again (sampled); when no attempt matches, the closest one goes on
// and verify rejects it with its evidence. An attempt whose instruction claims what the code does not do (another
// function, a parameter it lacks, a kind of result no case gives, a call with the wrong result) is tried again too,
// then rejected with the claim and the case that contradicts it. The accepted instruction carries verified examples.
import Constraints
import Foundation
import ModelFiles
import Sandbox
import Store

struct RewriteStage: Stage {
    let name = StageName.rewrite
    let batchSize = 8

    struct Accepted { var instruction: String; var code: String; var claims: [ClaimCheck] = [] }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let start = DispatchTime.now()
        let settings = context.recipe.instruction
        let originals = try PythonTools.analyze(batch.map { ($0.code, $0.entryPoint) })
        let docstrings = try PythonTools.docstrings(batch.map { ($0.code, $0.entryPoint) })
        let signatures = Dictionary(uniqueKeysWithValues: zip(batch.map(\.id), originals.map(\.signature)))
        var cases: [String: [TestCaseRecord]] = [:]
        var evidence: [String: [String]] = [:]
        var hasDocstring: [String: Bool] = [:]
        for (sample, docstring) in zip(batch, docstrings) {
            cases[sample.id] = try context.store.testCases(of: sample.id).filter(\.isActive)
            evidence[sample.id] = InstructionEvidence.shown(cases[sample.id] ?? [], limit: settings.evidence)
                .map { InstructionEvidence.line($0, entry: sample.entryPoint) }
            hasDocstring[sample.id] = !(docstring ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
        let exampleInstructions = context.recipe.prompts.rewrite.examples.compactMap { ResponseParsers.instruction(in: $0.assistant) }
        // The closest attempt so far per sample (most cases reproduced), kept when none reproduces them all.
        var closest: [String: (accepted: Accepted, passed: Int)] = [:]
        // The last claim checks that failed per sample: an instruction that misdescribes its code is rejected as such.
        var misdescribed: [String: [ClaimCheck]] = [:]
        let results = try await ModelAttempts.run(
            stage: name, batch: batch, context: context,
            messages: { sample in
                Prompting.messages(context.recipe.prompts.rewrite, fields: [
                    "code": sample.code, "entry": sample.entryPoint,
                    "evidence": Self.evidenceText(evidence[sample.id] ?? []),
                    "basis": hasDocstring[sample.id] == true ? DefaultPrompts.fromDocstring : DefaultPrompts.fromRuns,
                ])
            },
            constraint: { (try? BuiltInConstraints.instructionAndCode(function: $0.entryPoint)) ?? BuiltInConstraints.instructionAndCode },
            parse: { sample, text, _ in
                let parsed = try check(text, sample: sample, original: signatures[sample.id] ?? nil)
                guard case var .done(accepted) = parsed, let runner = context.runner, let active = cases[sample.id], !active.isEmpty else {
                    return parsed
                }
                let (passed, difference) = try await Self.reproduces(accepted.code, sample: sample, cases: active, runner: runner,
                                                                     compareOutput: context.recipe.verify.compareOutput)
                if passed < active.count {
                    if passed >= (closest[sample.id]?.passed ?? -1) { closest[sample.id] = (accepted, passed) }
                    return .retry(reason: "mismatch", detail: "reproduces \(passed) of \(active.count) cases; \(difference ?? "")")
                }
                guard settings.checkClaims else { return .done(accepted) }
                accepted.claims = try await InstructionClaims.check(
                    accepted.instruction, sample: sample, code: accepted.code, parameters: Self.parameterNames(signatures[sample.id] ?? nil),
                    cases: active, copied: exampleInstructions, runner: runner)
                let failed = accepted.claims.filter { !$0.passed }
                guard failed.isEmpty else {
                    misdescribed[sample.id] = accepted.claims
                    return .retry(reason: "instruction-contradicts-code", detail: failed.map(\.detail).joined(separator: "; "))
                }
                return .done(accepted)
            })
        let seconds = elapsed(since: start) / Double(max(1, batch.count))
        return batch.map { sample in
            let (result, calls) = results[sample.id]!
            if case .retry = result, let claims = misdescribed[sample.id] {
                let failed = claims.filter { !$0.passed }
                return StageCommit(outcome: reject(sample, "instruction-contradicts-code", failed.map(\.detail).joined(separator: "; "),
                                                   evidence: jsonText(claims), seconds: seconds), modelCalls: calls)
            }
            switch (result, closest[sample.id]) {
            case let (.done(accepted), _), let (.retry, (accepted, _)?):
                return StageCommit(outcome: keep(sample, seconds: seconds), modelCalls: calls,
                                   rewrite: record(sample, accepted, cases: cases[sample.id] ?? [], evidence: evidence[sample.id] ?? [],
                                                   fromDocstring: hasDocstring[sample.id] == true, settings: settings))
            case let (.retry(reason, detail), nil):
                return StageCommit(outcome: reject(sample, reason, detail, evidence: calls.last?.output, seconds: seconds), modelCalls: calls)
            }
        }
    }

    /// The stored rewrite: the instruction with its examples (verified cases), where it came from and what backs it.
    func record(_ sample: SampleRecord, _ accepted: Accepted, cases: [TestCaseRecord], evidence: [String], fromDocstring: Bool,
                settings: Recipe.InstructionSettings) -> RewriteRecord {
        let examples = InstructionEvidence.examples(cases, count: settings.examples)
        let rendered = InstructionEvidence.render(examples, entry: sample.entryPoint, style: settings.exampleStyle)
        let source = sample.givenInstruction != nil ? "given" : fromDocstring ? "docstring" : "model"
        return RewriteRecord(sampleId: sample.id, instruction: accepted.instruction + rendered, code: accepted.code, instructionSource: source,
                             evidence: jsonText(evidence), examples: jsonText(InstructionExamples(cases: examples.map(\.index), text: rendered)),
                             claims: settings.checkClaims ? jsonText(accepted.claims) : nil)
    }

    static func evidenceText(_ lines: [String]) -> String {
        lines.isEmpty ? "(no runs)" : lines.joined(separator: "\n")
    }

    static func parameterNames(_ signature: Signature?) -> [String] {
        guard let signature else { return [] }
        return signature.positional + [signature.vararg].compactMap { $0 } + signature.kwonly + [signature.kwarg].compactMap { $0 }
    }

    /// How many of the cases the code reproduces, and the first difference.
    static func reproduces(_ code: String, sample: SampleRecord, cases: [TestCaseRecord], runner: any CodeRunner,
                           compareOutput: Bool) async throws -> (Int, String?) {
        let results = try await runner.runSettled(CodeRun(code: code, entry: sample.entryPoint, literals: cases.map(\.literal), budgetScale: 2))
        var passed = 0
        var first: String?
        for (testCase, result) in zip(cases, results) {
            if let difference = Behaviour.difference(expected: Behaviour.expected(testCase), actual: result, runner: runner,
                                                     compareOutput: compareOutput) {
                if first == nil { first = "on (\(testCase.arguments)) it \(difference)" }
            } else {
                passed += 1
            }
        }
        return (passed, first)
    }

    func check(_ text: String, sample: SampleRecord, original: Signature?) throws -> AttemptResult<Accepted> {
        guard case let .parsed(instruction, rawCode) = ResponseParsers.rewrite(text, entry: sample.entryPoint) else {
            if case let .rejected(reason, detail) = ResponseParsers.rewrite(text, entry: sample.entryPoint) {
                return .retry(reason: reason, detail: detail)
            }
            return .retry(reason: "no-code-block", detail: "no code")
        }
        // Small models drop imports and constants the function needs; the original's are put back.
        let completed = try PythonTools.reattach([(sample.code, rawCode)])[0]
        let code = RuffFormat.format(completed) ?? completed
        let analysis = try PythonTools.analyze([(code, sample.entryPoint)])[0]
        guard analysis.parses else {
            return .retry(reason: "rewrite-does-not-parse", detail: analysis.error.map { "line \($0.line): \($0.message)" } ?? "")
        }
        guard let signature = analysis.signature else {
            return .retry(reason: "entry-point-lost", detail: "the rewrite has no top-level function '\(sample.entryPoint)'")
        }
        if let original, signature != original {
            return .retry(reason: "signature-changed",
                          detail: "parameters \(describe(original)) became \(describe(signature))")
        }
        let finalInstruction = sample.givenInstruction ?? instruction
        guard let finalInstruction, !finalInstruction.isEmpty else {
            return .retry(reason: "no-instruction", detail: "the answer has code but no instruction")
        }
        return .done(Accepted(instruction: finalInstruction, code: code))
    }

    func describe(_ s: Signature) -> String {
        var parts = s.positional
        if let v = s.vararg { parts.append("*\(v)") }
        parts += s.kwonly
        if let k = s.kwarg { parts.append("**\(k)") }
        return "(\(parts.joined(separator: ", ")))"
    }
}

/// Ruff's formatter, reading the code on stdin. Returns nil when Ruff cannot format it.
enum RuffFormat {
    static func format(_ code: String) -> String? {
        guard let ruff = ExternalTool.ruff(cacheRoot: ModelCache.root),
              let result = try? ExternalTool.run(ruff, ["format", "--isolated", "--no-cache", "--stdin-filename", "rewrite.py", "-"],
                                                 input: Data(code.utf8)),
              result.status == 0 else { return nil }
        return result.output
    }
}
