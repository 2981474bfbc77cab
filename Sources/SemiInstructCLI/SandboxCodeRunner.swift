// The sandbox as the pipeline's code runner: one sandboxed process per sample runs all its inputs, and at most
// `workers` sandboxes run at once across every stage that calls it (`--workers` means the same here as for the model).
import Foundation
import Pipeline
import Sandbox

public final class SandboxCodeRunner: CodeRunner, @unchecked Sendable {
    let base: SandboxConfiguration
    /// Sandboxes that may run at once, over every caller.
    public let workers: Int
    private let slots: SandboxSlots
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
        // Each executor call runs one slice on one sandbox; the slices of a batch run in parallel, up to `workers`.
        configuration.workers = 1
        self.workers = max(1, workers)
        slots = SandboxSlots(limit: self.workers)
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

    /// The most sandboxes that ran at once so far.
    public var peakSandboxes: Int { get async { await slots.peak } }

    /// Runs of the same environment and budget wait for one slot, and are cut into as many slices as slots are free
    /// then (up to `workers`); each slice runs on a sandbox of its own, one run after another. A batch that finds the
    /// others busy runs in one sandbox, as it would alone, instead of starting sandboxes that only wait.
    public func run(_ runs: [CodeRun]) async throws -> [[CaseResult]] {
        var results = [[CaseResult]](repeating: [], count: runs.count)
        let groups = Dictionary(grouping: runs.indices) { "\(min(max(runs[$0].environment, 0), 1))/\(runs[$0].budgetScale)" }
        for indices in groups.values.sorted(by: { $0[0] < $1[0] }) {
            let first = runs[indices[0]]
            let executor = try executor(environment: min(max(first.environment, 0), 1), scale: first.budgetScale)
            let slots = self.slots
            await slots.acquire()
            let held = 1 + (await slots.acquireFree(upTo: min(workers, indices.count) - 1))
            let size = (indices.count + held - 1) / held
            let slices = stride(from: 0, to: indices.count, by: size).map { Array(indices[$0..<min($0 + size, indices.count)]) }
            // Slots held but left without a slice (rounding) go back at once.
            for _ in slices.count..<held { await slots.release() }
            let requests = Dictionary(uniqueKeysWithValues: indices.map { ($0, request(runs[$0])) })
            try await withThrowingTaskGroup(of: [(Int, SampleResult)].self) { group in
                for slice in slices {
                    let sliceRequests = slice.map { requests[$0]! }
                    group.addTask {
                        do {
                            let samples = try await executor.run(sliceRequests)
                            await slots.release()
                            return Array(zip(slice, samples))
                        } catch {
                            await slots.release()
                            throw error
                        }
                    }
                }
                for try await done in group {
                    for (index, sample) in done { results[index] = caseResults(sample) }
                }
            }
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

/// Slots for sandboxes: a caller waits for one, in order of asking, while `limit` are taken.
actor SandboxSlots {
    let limit: Int
    private var taken = 0
    private(set) var peak = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = max(1, limit) }

    func acquire() async {
        if taken < limit {
            taken += 1
            peak = max(peak, taken)
            return
        }
        // The slot of the caller that releases next is handed over as it is (still taken).
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Takes up to `count` slots that are free now, without waiting; how many it took.
    func acquireFree(upTo count: Int) -> Int {
        let taken = max(0, min(count, limit - self.taken))
        self.taken += taken
        peak = max(peak, self.taken)
        return taken
    }

    func release() {
        if waiting.isEmpty { taken -= 1 } else { waiting.removeFirst().resume() }
    }
}
