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
        let settings = context.recipe
        let stage = self
        return try await parallelMap(batch, workers: context.workers) { sample in
            let start = DispatchTime.now()
            var cases = try store.testCases(of: sample.id)
            let literals = cases.map(\.literal)
            // Twice, with different hash and random seeds: outputs that change are not a specification.
            let first = try await runner.run(code: sample.code, entry: sample.entryPoint, literals: literals, variant: 0)
            let second = try await runner.run(code: sample.code, entry: sample.entryPoint, literals: literals, variant: 1)
            var normal = 0, raised = 0, nondeterministic = 0
            var failures: [String: Int] = [:]
            for i in cases.indices {
                let (a, b) = (first[i], second[i])
                if a.status != b.status || !runner.sameBehaviour(a, b) {
                    cases[i].dropped = "nondeterministic: \(summary(a)) then \(summary(b))"
                    nondeterministic += 1
                } else if a.status == "ok" {
                    cases[i].expectedStatus = "ok"; cases[i].expectedValue = a.value; normal += 1
                } else if a.status == "raised" && settings.verify.expectExceptions {
                    cases[i].expectedStatus = "raised"; cases[i].expectedValue = a.exceptionType; raised += 1
                } else {
                    cases[i].dropped = "\(a.status): \(a.error ?? "")"
                    failures[a.status, default: 0] += 1
                }
            }
            let seconds = elapsed(since: start)
            let evidence = jsonText(["first": first, "second": second])
            let executions = records(sample, "original-1", first, indices: Array(cases.indices))
                + records(sample, "original-2", second, indices: Array(cases.indices))
            if normal >= settings.tests.minimum {
                return StageCommit(outcome: stage.keep(sample, seconds: seconds), testCases: cases, executions: executions)
            }
            let reason: String
            if nondeterministic > 0 && nondeterministic >= cases.count - raised - failures.values.reduce(0, +) {
                reason = "nondeterministic"
            } else if let worst = failures.max(by: { $0.value < $1.value }), worst.value == cases.count {
                reason = "original-\(worst.key)"
            } else {
                reason = "too-few-normal-returns"
            }
            let detail = "\(normal) of \(cases.count) inputs return normally (minimum \(settings.tests.minimum)); "
                + "\(raised) raise, \(nondeterministic) nondeterministic"
                + (failures.isEmpty ? "" : ", " + failures.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            return StageCommit(outcome: stage.reject(sample, reason, detail, evidence: evidence, seconds: seconds), testCases: cases,
                               executions: executions)
        }
    }
}

struct VerifyStage: Stage {
    let name = StageName.verify
    var batchSize: Int { 16 }

    struct Mismatch: Encodable { var input: String; var expected: String; var actual: String; var stderr: String }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        guard let runner = context.runner else { throw PipelineError.isolation("verify needs a code runner") }
        let store = context.store
        let passRatio = context.recipe.verify.passRatio
        let stage = self
        return try await parallelMap(batch, workers: context.workers) { sample in
            let start = DispatchTime.now()
            guard let rewrite = try store.rewrite(of: sample.id) else {
                return StageCommit(outcome: stage.reject(sample, "no-rewrite", "no rewrite stored for this sample"))
            }
            var cases = try store.testCases(of: sample.id)
            let active = cases.indices.filter { cases[$0].dropped == nil && cases[$0].expectedStatus != nil }
            let results = try await runner.run(code: rewrite.code, entry: sample.entryPoint,
                                               literals: active.map { cases[$0].literal }, variant: 0)
            var passed = 0
            var firstMismatch: Mismatch?
            for (index, result) in zip(active, results) {
                let expected = CaseResult(status: cases[index].expectedStatus!,
                                          value: cases[index].expectedStatus == "ok" ? cases[index].expectedValue : nil,
                                          error: cases[index].expectedStatus == "raised" ? cases[index].expectedValue.map { "\($0): " } : nil)
                let ok: Bool
                if expected.status == "raised" {
                    ok = result.status == "raised" && result.exceptionType == expected.exceptionType
                } else {
                    ok = result.status == "ok" && runner.sameBehaviour(expected, result)
                }
                cases[index].passed = ok
                cases[index].actualStatus = result.status
                cases[index].actualValue = result.status == "ok" ? result.value : result.error
                if ok { passed += 1 } else if firstMismatch == nil {
                    firstMismatch = Mismatch(input: cases[index].arguments, expected: summary(expected), actual: summary(result),
                                             stderr: String(result.stderr.suffix(2000)))
                }
            }
            let seconds = elapsed(since: start)
            let ratio = active.isEmpty ? 0 : Double(passed) / Double(active.count)
            let executions = records(sample, "rewrite", results, indices: active)
            if !active.isEmpty && ratio >= passRatio {
                return StageCommit(outcome: stage.keep(sample, seconds: seconds), testCases: cases, executions: executions)
            }
            let detail = firstMismatch.map { "passed \(passed) of \(active.count); first mismatch on (\($0.input)): expected \($0.expected), got \($0.actual)" }
                ?? "no test case to verify"
            return StageCommit(outcome: stage.reject(sample, active.isEmpty ? "no-tests" : "mismatch", detail,
                                                     evidence: firstMismatch.map { jsonText($0) }, seconds: seconds),
                               testCases: cases, executions: executions)
        }
    }
}

/// The sandbox results of one run of a sample, one row per test case.
func records(_ sample: SampleRecord, _ run: String, _ results: [CaseResult], indices: [Int]) -> [ExecutionRecord] {
    zip(indices, results).map { index, result in
        ExecutionRecord(sampleId: sample.id, run: run, caseIndex: index, status: result.status, value: result.value,
                        error: result.error, stderr: String(result.stderr.suffix(4000)))
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
