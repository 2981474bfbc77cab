// The sandbox as the pipeline's code runner: one sandboxed process per sample runs all its inputs.
import Foundation
import Sandbox

public final class SandboxCodeRunner: CodeRunner, @unchecked Sendable {
    let base: SandboxConfiguration
    let tolerance: Double
    public let budgetSeconds: Double
    public let environmentFacts: [String]
    /// One executor per environment and budget, made when first needed.
    private var executors: [String: SandboxExecutor] = [:]
    private let lock = NSLock()

    /// `sourceRoots`: directories modules are imported from; the sandbox sees them read-only.
    public init(settings: Recipe.SandboxSettings, floatTolerance: Double, workers: Int, sourceRoots: [String] = []) throws {
        var configuration = SandboxConfiguration()
        configuration.timeoutSeconds = settings.timeoutSeconds
        configuration.memoryMegabytes = settings.memoryMegabytes
        configuration.isolation = settings.unsafeNoSandbox ? .unsafeNoSandbox : .bubblewrap
        configuration.workers = 1
        // The system's own directories are visible inside the sandbox already.
        configuration.sourceRoots = sourceRoots.filter { !Self.visibleInSandbox($0) }
        base = configuration
        tolerance = floatTolerance
        budgetSeconds = settings.timeoutSeconds
        environmentFacts = Self.interpreterFacts(configuration.pythonPath)
        _ = try executor(environment: 0, scale: 1)
    }

    static func visibleInSandbox(_ path: String) -> Bool { path == "/usr" || path.hasPrefix("/usr/") }

    func executor(environment: Int, scale: Double) throws -> SandboxExecutor {
        let key = "\(environment)/\(scale)"
        if let existing = lock.withLock({ executors[key] }) { return existing }
        var configuration = base
        configuration.environmentVariant = environment
        configuration.hashSeed = environment == 0 ? 0 : 2_654_435_761
        configuration.timeoutSeconds = base.timeoutSeconds * scale
        let made: SandboxExecutor
        do {
            made = try SandboxExecutor(configuration: configuration)
        } catch {
            throw PipelineError.isolation(error.localizedDescription)
        }
        lock.withLock { executors[key] = made }
        return made
    }

    public func run(_ run: CodeRun) async throws -> [CaseResult] {
        try await self.run([run])[0]
    }

    /// Runs of the same environment and budget share one sandbox, one after another.
    public func run(_ runs: [CodeRun]) async throws -> [[CaseResult]] {
        var results = [[CaseResult]](repeating: [], count: runs.count)
        let groups = Dictionary(grouping: runs.indices) { "\(min(max(runs[$0].environment, 0), 1))/\(runs[$0].budgetScale)" }
        for indices in groups.values.sorted(by: { $0[0] < $1[0] }) {
            let first = runs[indices[0]]
            let requests = indices.map { request(runs[$0]) }
            let samples = try await executor(environment: min(max(first.environment, 0), 1), scale: first.budgetScale).run(requests)
            for (index, sample) in zip(indices, samples) { results[index] = caseResults(sample) }
        }
        return results
    }

    func request(_ run: CodeRun) -> SampleRequest {
        let module = run.module.map { ModuleReference(name: $0.name, root: $0.root.flatMap { Self.visibleInSandbox($0) ? nil : $0 }) }
        return SampleRequest(code: run.code, entryPoint: run.entry, inputs: run.literals.map { CallInput(literal: $0) },
                             trace: run.trace, module: module)
    }

    func caseResults(_ result: SampleResult) -> [CaseResult] {
        result.calls.map { call in
            CaseResult(status: call.status.rawValue, value: call.valueText ?? call.value?.canonicalText,
                       error: call.error.map { "\($0.type): \($0.message)" }, stderr: call.stderr, stdout: call.stdout,
                       argumentsAfter: call.argumentsAfter, argumentsChanged: call.argumentsChanged, cpuSeconds: call.cpuSeconds,
                       lines: call.coverage?.lines, arcs: call.coverage?.arcs)
        }
    }

    public func sameValue(_ left: String, _ right: String) -> Bool {
        guard left != right else { return true }
        guard let a = try? CanonicalValue(canonicalText: left), let b = try? CanonicalValue(canonicalText: right) else { return false }
        return a.equals(b, tolerance: tolerance)
    }

    /// Text that only this interpreter writes: its full version and its library directory's name.
    static func interpreterFacts(_ python: String) -> [String] {
        guard let result = try? ExternalTool.run(URL(fileURLWithPath: python),
                                                 ["-I", "-c", "import platform, sys; print(platform.python_version()); print('python%d.%d' % sys.version_info[:2])"]),
              result.status == 0 else { return [] }
        return result.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}
