// The sandbox as the pipeline's code runner: one sandboxed process per sample runs all its inputs.
import Foundation
import Sandbox

public final class SandboxCodeRunner: CodeRunner, @unchecked Sendable {
    /// One executor per environment: each starts its sandboxes with its own PYTHONHASHSEED.
    let executors: [SandboxExecutor]
    let tolerance: Double
    public let budgetSeconds: Double
    public let environmentFacts: [String]

    public init(settings: Recipe.SandboxSettings, floatTolerance: Double, workers: Int, sourceRoots: [String] = []) throws {
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
        budgetSeconds = settings.timeoutSeconds
        environmentFacts = []
    }

    public func run(_ run: CodeRun) async throws -> [CaseResult] {
        let inputs = run.literals.map { CallInput(literal: $0) }
        let request = SampleRequest(code: run.code, entryPoint: run.entry, inputs: inputs)
        let result = try executors[min(max(run.environment, 0), executors.count - 1)].run(request)
        return result.calls.map { call in
            CaseResult(status: call.status.rawValue, value: call.valueText ?? call.value?.canonicalText,
                       error: call.error.map { "\($0.type): \($0.message)" }, stderr: call.stderr, stdout: call.stdout)
        }
    }

    public func sameValue(_ left: String, _ right: String) -> Bool {
        guard left != right else { return true }
        guard let a = try? CanonicalValue(canonicalText: left), let b = try? CanonicalValue(canonicalText: right) else { return false }
        return a.equals(b, tolerance: tolerance)
    }
}
