// rewrite: the model normalises the code (and writes a first instruction, which `instruct` replaces once the
// rewrite is verified); Ruff formats the result.
// Rejected when the answer has no code, does not parse, lost the entry point or changed the signature.
// The test set is known by now, so an attempt that behaves differently from the original on it is tried again
// (sampled); when no attempt matches, the closest one goes on and verify rejects it with its evidence.
import Constraints
import Foundation
import ModelFiles
import Sandbox
import Store

struct RewriteStage: Stage {
    let name = StageName.rewrite
    let batchSize = 8
    let batchesInFlight = 2

    struct Accepted { var instruction: String; var code: String }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let start = DispatchTime.now()
        let originals = try PythonTools.analyze(batch.map { ($0.code, $0.entryPoint) })
        let signatures = Dictionary(uniqueKeysWithValues: zip(batch.map(\.id), originals.map(\.signature)))
        let methods = Dictionary(uniqueKeysWithValues: zip(batch.map(\.id), originals.map(\.methods)))
        var cases: [String: [TestCaseRecord]] = [:]
        for sample in batch { cases[sample.id] = try context.store.testCases(of: sample.id).filter(\.isActive) }
        // The closest attempt so far per sample (most cases reproduced), kept when none reproduces them all.
        var closest: [String: (accepted: Accepted, passed: Int)] = [:]
        let shown = try ModelView.of(batch)
        let results = try await ModelAttempts.run(
            stage: name, batch: batch, context: context,
            messages: { Prompting.messages(context.recipe.prompts.rewrite(for: $0.entryPoint),
                                           fields: ["code": shown[$0.id] ?? $0.code, "entry": $0.entryPoint]) },
            constraint: { EntryPoint($0.entryPoint).answerGrammar },
            maxTokens: { Prompting.codeAnswerTokens($0, sampling: context.recipe.sampling) },
            parse: { sample, text, _ in
                let parsed = try check(text, sample: sample, original: signatures[sample.id] ?? nil, originalMethods: methods[sample.id] ?? nil)
                guard case let .done(accepted) = parsed, let runner = context.runner, let active = cases[sample.id], !active.isEmpty else {
                    return parsed
                }
                let (passed, difference) = try await Self.reproduces(accepted.code, sample: sample, cases: active, runner: runner,
                                                                     compareOutput: context.recipe.verify.compareOutput)
                if passed == active.count { return parsed }
                if passed >= (closest[sample.id]?.passed ?? -1) { closest[sample.id] = (accepted, passed) }
                return .retry(reason: .mismatch, detail: "reproduces \(passed) of \(active.count) cases; \(difference ?? "")")
            })
        let seconds = elapsed(since: start) / Double(max(1, batch.count))
        let fallback = context.recipe.verify.fallback == "original"
        return batch.map { sample in
            let (result, calls) = results[sample.id]!
            let instructionSource = sample.givenInstruction != nil ? "given" : "model"
            switch (result, closest[sample.id]) {
            case let (.done(accepted), _):
                return StageCommit(outcome: keep(sample, seconds: seconds), modelCalls: calls,
                                   rewrite: RewriteRecord(sampleId: sample.id, instruction: accepted.instruction, code: accepted.code,
                                                          instructionSource: instructionSource, codeSource: "model"))
            case let (.retry(reason, detail), closest) where fallback:
                // No rewrite reproduces the original: the original is the response (instruct writes its instruction).
                let why = jsonText(["fallback": "original", "reason": reason.rawValue, "detail": detail])
                return StageCommit(outcome: keep(sample, seconds: seconds, evidence: why), modelCalls: calls,
                                   rewrite: RewriteRecord(sampleId: sample.id, instruction: closest?.accepted.instruction ?? "",
                                                          code: Self.formattedOriginal(sample), instructionSource: instructionSource,
                                                          codeSource: "original"))
            case let (.retry, (accepted, _)?):
                return StageCommit(outcome: keep(sample, seconds: seconds), modelCalls: calls,
                                   rewrite: RewriteRecord(sampleId: sample.id, instruction: accepted.instruction, code: accepted.code,
                                                          instructionSource: instructionSource, codeSource: "model"))
            case let (.retry(reason, detail), nil):
                return StageCommit(outcome: reject(sample, reason, detail, evidence: calls.last?.output, seconds: seconds), modelCalls: calls)
            }
        }
    }

    /// The original as a response: formatted by Ruff like a rewrite (its code otherwise untouched).
    static func formattedOriginal(_ sample: SampleRecord) -> String {
        RuffFormat.format(sample.code) ?? sample.code
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

    func check(_ text: String, sample: SampleRecord, original: Signature?, originalMethods: [String: Signature]? = nil) throws -> AttemptResult<Accepted> {
        let point = EntryPoint(sample.entryPoint)
        let name = point.parsedName
        guard case let .parsed(instruction, rawCode) = ResponseParsers.rewrite(text, entry: name) else {
            if case let .rejected(reason, detail) = ResponseParsers.rewrite(text, entry: name) {
                return .retry(reason: reason, detail: detail)
            }
            return .retry(reason: .noCodeBlock, detail: "no code")
        }
        // Small models drop imports and constants the function needs; the original's are put back.
        let completed = try PythonTools.reattach([(sample.code, rawCode, sample.entryPoint)])[0]
        let code = RuffFormat.format(completed) ?? completed
        let analysis = try PythonTools.analyze([(code, sample.entryPoint)])[0]
        guard analysis.parses else {
            return .retry(reason: .rewriteDoesNotParse, detail: analysis.error.map { "line \($0.line): \($0.message)" } ?? "")
        }
        guard let signature = analysis.signature else {
            return .retry(reason: .entryPointLost, detail: "the rewrite has no top-level function or method '\(sample.entryPoint)'")
        }
        if let original, signature != original {
            return .retry(reason: .signatureChanged,
                          detail: "\(point.isClass ? "the constructor's " : "")parameters \(describe(original)) became \(describe(signature))")
        }
        // A class keeps every public method, each with its parameters.
        if let methods = originalMethods {
            for (method, parameters) in methods.sorted(by: { $0.key < $1.key }) {
                guard let now = analysis.methods?[method] else {
                    return .retry(reason: .signatureChanged, detail: "the public method \(method) is gone")
                }
                if now != parameters {
                    return .retry(reason: .signatureChanged, detail: "\(method)'s parameters \(describe(parameters)) became \(describe(now))")
                }
            }
        }
        let finalInstruction = sample.givenInstruction ?? instruction
        guard let finalInstruction, !finalInstruction.isEmpty else {
            return .retry(reason: .noInstruction, detail: "the answer has code but no instruction")
        }
        return .done(Accepted(instruction: finalInstruction, code: code))
    }

    static func parameterNames(_ signature: Signature?) -> [String] {
        guard let signature else { return [] }
        return signature.positional + [signature.vararg].compactMap { $0 } + signature.kwonly + [signature.kwarg].compactMap { $0 }
    }

    /// `(a, b=…, *rest, k, **options)`: names, and which positional parameters have defaults.
    func describe(_ s: Signature) -> String {
        var parts = s.positional.enumerated().map { $0.offset >= s.positional.count - s.defaults ? "\($0.element)=…" : $0.element }
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
