// The sandbox as the pipeline's code runner: one sandboxed process per sample runs all its inputs.
import Foundation
import Sandbox

public final class SandboxCodeRunner: CodeRunner, @unchecked Sendable {
    /// One executor per variant: each starts its sandboxes with its own PYTHONHASHSEED.
    let executors: [SandboxExecutor]
    let tolerance: Double

    public init(settings: Recipe.SandboxSettings, floatTolerance: Double, workers: Int) throws {
        var configuration = SandboxConfiguration()
        configuration.timeoutSeconds = settings.timeoutSeconds
        configuration.memoryMegabytes = settings.memoryMegabytes
        configuration.isolation = settings.unsafeNoSandbox ? .unsafeNoSandbox : .bubblewrap
        configuration.workers = 1
        do {
            executors = try [0, 1].map { variant in
                var variantConfiguration = configuration
                variantConfiguration.hashSeed = variant == 0 ? 0 : 2_654_435_761
                return try SandboxExecutor(configuration: variantConfiguration)
            }
        } catch {
            throw PipelineError.isolation(error.localizedDescription)
        }
        tolerance = floatTolerance
    }

    public func run(code: String, entry: String, literals: [String], variant: Int) async throws -> [CaseResult] {
        let inputs = literals.map { CallInput(literal: $0) }
        let request = SampleRequest(code: code, entryPoint: entry, inputs: inputs)
        let result = try executors[min(max(variant, 0), executors.count - 1)].run(request)
        return result.calls.map { call in
            CaseResult(status: call.status.rawValue, value: call.value?.canonicalText,
                       error: call.error.map { "\($0.type): \($0.message)" }, stderr: call.stderr)
        }
    }

    public func sameBehaviour(_ expected: CaseResult, _ actual: CaseResult) -> Bool {
        guard expected.status == actual.status else { return false }
        guard expected.status == "ok" else { return expected.exceptionType == actual.exceptionType }
        guard let left = expected.value, let right = actual.value else { return expected.value == actual.value }
        guard let a = try? CanonicalValue(canonicalText: left), let b = try? CanonicalValue(canonicalText: right) else {
            return left == right
        }
        return a.equals(b, tolerance: tolerance)
    }
}
