// run original and verify: the original code defines the expected behaviour; the rewrite must reproduce it.
import Foundation
import Store

/// Runs one closure per sample with at most `workers` at a time, keeping the input order of results.
func parallelMap<T: Sendable, R: Sendable>(_ items: [T], workers: Int, _ body: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = 0
        for _ in 0..<min(max(1, workers), items.count) {
            let index = next
            group.addTask { (index, try await body(items[index])) }
            next += 1
        }
        while let (index, result) = try await group.next() {
            results[index] = result
            if next < items.count {
                let index = next
                group.addTask { (index, try await body(items[index])) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}

struct RunOriginalStage: Stage {
    let name = StageName.runOriginal
    var batchSize: Int { 16 }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        guard let runner = context.runner else { throw PipelineError.isolation("run-original needs a code runner") }
        let store = context.store
        let recipe = context.recipe
        let stage = self
        return try await parallelMap(batch, workers: context.workers) { sample in
            let start = DispatchTime.now()
            var cases = try store.testCases(of: sample.id)
            let probe = ParameterProbe.stored(try store.probe(of: sample.id))
            let positions = cases.indices.filter { cases[$0].dropped == nil }
            let observation = try await OriginalRuns.observe(
                sample, literals: positions.map { cases[$0].literal }, indices: positions.map { cases[$0].index },
                displays: positions.map { cases[$0].arguments }, map: probe.coverage, runner: runner,
                compareOutput: recipe.verify.compareOutput)
            var normal = 0, raised = 0
            var drops: [String: Int] = [:]
            for (position, observed) in zip(positions, observation.cases) {
                if let result = observed.result, observed.drop == nil, result.status == "ok" || recipe.verify.expectExceptions {
                    Behaviour.setExpected(&cases[position], result)
                    cases[position].coverage = observed.coverage?.json
                    if result.status == "ok" { normal += 1 } else { raised += 1 }
                } else {
                    let why = observed.drop ?? "raised: exceptions are not expected behaviour in this recipe"
                    cases[position].dropped = why
                    drops[String(why.prefix { $0 != ":" }), default: 0] += 1
                }
            }
            let seconds = elapsed(since: start)
            if let difference = observation.extraction {
                return StageCommit(outcome: stage.reject(sample, difference, seconds: seconds), testCases: cases, executions: observation.executions)
            }
            // Augmentation can grow a test set from one working input.
            if normal >= 1 {
                return StageCommit(outcome: stage.keep(sample, seconds: seconds, evidence: jsonText(["original": observation.original])),
                                   testCases: cases, executions: observation.executions)
            }
            let reason: RejectionReason
            if let worst = drops.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), worst.value == positions.count {
                reason = .original(worst.key)
            } else {
                reason = .tooFewNormalReturns
            }
            let detail = "\(normal) of \(positions.count) inputs return normally; \(raised) raise"
                + (drops.isEmpty ? "" : ", " + drops.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            return StageCommit(outcome: stage.reject(sample, reason, detail, evidence: jsonText(observation.cases.map(\.drop)), seconds: seconds),
                               testCases: cases, executions: observation.executions)
        }
    }
}

struct VerifyStage: Stage {
    let name = StageName.verify
    var batchSize: Int { 16 }

    struct Mismatch: Encodable { var input: String; var origin: String; var expected: String; var actual: String; var difference: String; var stderr: String }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        guard let runner = context.runner else { throw PipelineError.isolation("verify needs a code runner") }
        let store = context.store
        let passRatio = context.recipe.verify.passRatio
        let compareOutput = context.recipe.verify.compareOutput
        let stage = self
        return try await parallelMap(batch, workers: context.workers) { sample in
            let start = DispatchTime.now()
            guard let rewrite = try store.rewrite(of: sample.id) else {
                return StageCommit(outcome: stage.reject(sample, .noRewrite, "no rewrite stored for this sample"))
            }
            var cases = try store.testCases(of: sample.id)
            let active = cases.indices.filter { cases[$0].isActive }
            // The rewrite gets twice the original's budget: it may be slower, not unboundedly so.
            let results = try await runner.runSettled(CodeRun(code: rewrite.code, entry: sample.entryPoint,
                                                              literals: active.map { cases[$0].literal }, budgetScale: 2))
            var passed = 0
            var changedMessages: [String] = []
            var firstMismatch: Mismatch?
            for (index, result) in zip(active, results) {
                let expected = Behaviour.expected(cases[index])
                let difference = Behaviour.difference(expected: expected, actual: result, runner: runner, compareOutput: compareOutput)
                if difference == nil, expected.status == "raised", expected.exceptionMessage != result.exceptionMessage {
                    changedMessages.append(cases[index].arguments)
                }
                cases[index].passed = difference == nil
                cases[index].actualStatus = result.status
                cases[index].actualValue = result.status == "ok" ? result.value : result.error
                cases[index].actualState = result.argumentsAfter
                if let difference {
                    if firstMismatch == nil {
                        firstMismatch = Mismatch(input: cases[index].arguments, origin: cases[index].origin, expected: summary(expected),
                                                 actual: summary(result), difference: difference, stderr: String(result.stderr.suffix(2000)))
                    }
                } else {
                    passed += 1
                }
            }
            let seconds = elapsed(since: start)
            let ratio = active.isEmpty ? 0 : Double(passed) / Double(active.count)
            let executions = records(sample, "rewrite", results, indices: active.map { cases[$0].index })
            if !active.isEmpty && ratio >= passRatio {
                // Same exception types with other messages pass, and are noted.
                let note = changedMessages.isEmpty ? nil : jsonText(["exceptionMessageChanged": changedMessages])
                return StageCommit(outcome: stage.keep(sample, seconds: seconds, evidence: note), testCases: cases, executions: executions)
            }
            let detail = firstMismatch.map {
                "passed \(passed) of \(active.count); first mismatch on (\($0.input)), a \($0.origin) input: \($0.difference)"
            } ?? "no test case to verify"
            return StageCommit(outcome: stage.reject(sample, active.isEmpty ? .noTests : .mismatch, detail,
                                                     evidence: firstMismatch.map { jsonText($0) }, seconds: seconds),
                               testCases: cases, executions: executions)
        }
    }
}

/// The sandbox results of one run of a sample, one row per test case.
func records(_ sample: SampleRecord, _ run: String, _ results: [CaseResult], indices: [Int]) -> [ExecutionRecord] {
    zip(indices, results).map { index, result in
        ExecutionRecord(sampleId: sample.id, run: run, caseIndex: index, status: result.status, value: result.value,
                        error: result.error, stderr: String(result.stderr.suffix(4000)), state: result.argumentsAfter,
                        stdout: String(result.stdout.prefix(4000)), cpuSeconds: result.cpuSeconds)
    }
}

/// One line for a result: `ok 42`, `raised ValueError: ...`, `timeout`.
func summary(_ result: CaseResult) -> String {
    switch result.status {
    case "ok": return "ok \(result.value ?? "")".trimmingCharacters(in: .whitespaces)
    case "raised": return "raised \(result.error ?? "")".trimmingCharacters(in: .whitespaces)
    default: return [result.status, result.error].compactMap { $0 }.joined(separator: " ")
    }
}
