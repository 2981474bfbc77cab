// Runs samples of untrusted Python in sandboxes: one long-lived sandbox per worker thread, one forked
// child per call inside it, and a fresh sandbox whenever the code manages to kill the supervisor.
//
// Layers, outside in: csb_spawn (C) forks, sets rlimits (address space, file size, open files, processes,
// CPU, no core) and, when we are root, a uid of the sandbox's own, then execs bubblewrap; bubblewrap adds
// user/PID/network/IPC/UTS/mount namespaces, a read-only /usr, a private tmpfs /tmp and no environment;
// inside, the supervisor (Python, uid 65534) forks one child per call with per-call memory and process limits,
// ends it at its CPU-time budget (polled, with RLIMIT_CPU as a backstop) or a wall-clock backstop, kills every
// other process after each call and empties /tmp.
// Killing bubblewrap ends the PID namespace, so nothing outlives `run`.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class SandboxExecutor: Sendable {
    public let configuration: SandboxConfiguration

    /// Checks that isolation works (starts one sandbox), or throws `SandboxError.isolationUnavailable`
    /// naming what is missing. `.unsafeNoSandbox` skips that and warns on every run.
    public init(configuration: SandboxConfiguration = SandboxConfiguration()) throws {
        try configuration.validate()
        self.configuration = configuration
        signal(SIGPIPE, SIG_IGN)  // a sandbox that dies mid-request must give EPIPE, not kill us
        let fileManager = FileManager.default
        guard fileManager.isExecutableFile(atPath: configuration.pythonPath) else {
            throw SandboxError.isolationUnavailable(missing: "\(configuration.pythonPath) is not installed",
                                                    fix: "apt-get install python3")
        }
        guard configuration.isolation == .bubblewrap else { return }
        guard fileManager.isExecutableFile(atPath: configuration.bubblewrapPath) else {
            throw SandboxError.isolationUnavailable(missing: "bubblewrap (\(configuration.bubblewrapPath)) is not installed",
                                                    fix: "apt-get install bubblewrap (or make setup)")
        }
        do {
            try SandboxProcess.start(configuration, uid: SandboxIdentity.allocate()).stop()
        } catch {
            throw SandboxError.isolationUnavailable(
                missing: "bubblewrap could not create its namespaces (\(error.localizedDescription))",
                fix: "allow unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0)")
        }
    }

    /// Seconds from spawning a sandbox to its supervisor being ready (the per-start overhead).
    public func measureStart() throws -> Double {
        let started = Monotonic.now
        try SandboxProcess.start(configuration, uid: SandboxIdentity.allocate()).stop()
        return Monotonic.seconds(since: started)
    }

    public func run(_ sample: SampleRequest) throws -> SampleResult {
        try run([sample])[0]
    }

    /// Runs the samples on up to `configuration.workers` sandboxes in parallel; results come back in order.
    /// Every sandbox is gone when this returns.
    public func run(_ samples: [SampleRequest]) throws -> [SampleResult] {
        if configuration.isolation == .unsafeNoSandbox {
            FileHandle.standardError.write(Data(
                "warning: running untrusted code WITHOUT a sandbox (--unsafe-no-sandbox): it can read and change this machine\n".utf8))
        }
        guard !samples.isEmpty else { return [] }
        let modules = try samples.map { try mountedModule($0.module) }
        let board = WorkBoard(count: samples.count)
        let workers = min(configuration.workers, samples.count)
        let finished = DispatchGroup()
        for _ in 0..<workers {
            finished.enter()
            // A dedicated thread per sandbox: bwrap --die-with-parent ties the sandbox to the spawning thread.
            let thread = Thread { [self] in
                defer { finished.leave() }
                var process: SandboxProcess? = nil
                defer { process?.stop() }
                let uid = SandboxIdentity.allocate()
                while let index = board.next() {
                    do {
                        board.store(try runSample(samples[index], module: modules[index], process: &process, uid: uid), at: index)
                    } catch {
                        board.fail(error)
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        finished.wait()
        return try board.results()
    }

    /// Runs the samples on dedicated threads without blocking the caller's executor.
    public func run(_ samples: [SampleRequest]) async throws -> [SampleResult] {
        try await withCheckedThrowingContinuation { continuation in
            Thread { [self] in
                continuation.resume(with: Result { try self.run(samples) })
            }.start()
        }
    }

    // MARK: - One sample

    private struct Request: Encodable {
        var code: String
        var entry: String
        var inputs: [String]
        var first: Int
        /// The CPU budget per call.
        var timeout: Double
        var wall_timeout: Double
        var variant: Int
        var trace: Bool
        /// The module with its root as the sandbox sees it.
        var module: ModuleReference?
        /// The source roots as the sandbox sees them: extracted code imports its own packages from there.
        var paths: [String]
        var memory: Int
        var processes: Int
        var capture: Int
        var output_limit: Int
        var value_limit: Int
    }

    /// The module with its root mapped into the sandbox; a root the sandbox cannot see is the caller's error.
    private func mountedModule(_ module: ModuleReference?) throws -> ModuleReference? {
        guard var module else { return nil }
        if let root = module.root {
            guard let inside = configuration.sandboxPath(forHostPath: root) else {
                throw SandboxError.sourceNotMounted(path: root, roots: configuration.sourceRoots)
            }
            module.root = inside
        }
        return module
    }

    private func runSample(_ sample: SampleRequest, module: ModuleReference?, process: inout SandboxProcess?, uid: Int?) throws -> SampleResult {
        let started = Monotonic.now
        let count = sample.inputs.count
        var calls = [CallResult?](repeating: nil, count: count)
        var next = 0
        var restarts = 0
        var failuresWithoutProgress = 0
        var cpuSeconds = 0.0
        // Time the supervisor may take beyond a call's own wall-clock backstop (killing stragglers, reading pipes, load).
        let grace = 5.0 + configuration.timeoutSeconds
        let wallTimeout = configuration.effectiveWallTimeoutSeconds
        while next < count {
            if process == nil {
                process = try SandboxProcess.start(configuration, uid: uid)
            }
            guard let running = process else { break }
            let request = Request(code: sample.code, entry: sample.entryPoint, inputs: sample.inputs[next...].map(\.literal),
                                  first: next, timeout: configuration.timeoutSeconds, wall_timeout: wallTimeout,
                                  variant: configuration.environmentVariant, trace: sample.trace, module: module,
                                  paths: configuration.sourceRoots.compactMap { configuration.sandboxPath(forHostPath: $0) },
                                  memory: configuration.memoryBytes,
                                  processes: configuration.maxProcesses, capture: configuration.captureBytes,
                                  output_limit: configuration.outputLimitBytes, value_limit: configuration.valueLimitBytes)
            var line = Array(try JSONEncoder().encode(request))
            line.append(UInt8(ascii: "\n"))
            var current: Int? = nil
            var failure: (status: ExecutionStatus, type: String, message: String)? = nil
            if !running.send(line, deadline: Monotonic.now + Monotonic.nanoseconds(grace)) {
                failure = (.crashed, "SupervisorGone", "the sandbox stopped reading its requests")
            }
            var deadline = Monotonic.now + Monotonic.nanoseconds(grace)
            events: while failure == nil {
                switch running.nextLine(deadline: deadline) {
                case let .line(bytes):
                    guard let event = try? JSONDecoder().decode(SupervisorEvent.self, from: Data(bytes)) else {
                        failure = (.crashed, "BadProtocol", "the sandbox wrote an unreadable line")
                        break events
                    }
                    if let index = event.start {
                        current = index
                        deadline = Monotonic.now + Monotonic.nanoseconds(wallTimeout + grace)
                    } else if let result = event.result, result.index >= next, result.index < count {
                        calls[result.index] = Self.callResult(result)
                        next = result.index + 1
                        current = nil
                        failuresWithoutProgress = 0
                        deadline = Monotonic.now + Monotonic.nanoseconds(grace)
                    } else if event.done == true {
                        cpuSeconds += event.cpu ?? 0
                        if next < count { failure = (.crashed, "BadProtocol", "the sandbox finished without a result for every call") }
                        break events
                    } else {
                        failure = (.crashed, "BadProtocol", "the sandbox sent an unexpected event")
                    }
                case .ended:
                    failure = (.killed, "SupervisorKilled",
                               "the sandbox's supervisor died during this call (the code killed it, e.g. os.kill(-1, 9) or killing its parent)")
                case .timedOut:
                    failure = (.timeout, "SandboxTimeout", "the sandbox gave no result within \(wallTimeout + grace) seconds")
                case .overlong:
                    failure = (.outputLimit, "OutputLimit", "the sandbox wrote more than its result size limit")
                }
            }
            guard let failure else { continue }
            let detail = running.stop()
            process = nil
            restarts += 1
            if let index = current ?? (failuresWithoutProgress >= 1 ? next : nil) {
                calls[index] = CallResult(status: failure.status, error: ExecutionFailure(type: failure.type, message: "\(failure.message) [sandbox \(detail)]"))
                next = index + 1
                failuresWithoutProgress = 0
            } else {
                failuresWithoutProgress += 1
            }
        }
        let results = calls.map { $0 ?? CallResult(status: .crashed, error: ExecutionFailure(type: "NoResult", message: "the sandbox returned no result")) }
        return SampleResult(calls: results, restarts: restarts, seconds: Monotonic.seconds(since: started), cpuSeconds: cpuSeconds)
    }

    static func callResult(_ raw: SupervisorResult) -> CallResult {
        var result = CallResult(status: ExecutionStatus(rawValue: raw.status) ?? .crashed, error: raw.error,
                                stdout: raw.stdout, stderr: raw.stderr, seconds: raw.seconds, cpuSeconds: raw.cpuSeconds ?? 0,
                                argumentsAfter: raw.argumentsAfter, argumentsChanged: raw.argumentsChanged,
                                coverage: raw.coverage)
        if result.status == .ok {
            guard let text = raw.value, let value = try? CanonicalValue(canonicalText: text) else {
                result.status = .crashed
                result.error = ExecutionFailure(type: "BadValue", message: "the sandbox returned a value that is not canonical JSON")
                return result
            }
            result.value = value
            result.valueText = text
        }
        return result
    }
}

/// Samples handed out to worker threads, and their results, behind one lock.
private final class WorkBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var slots: [SampleResult?]
    private var firstError: Error?

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.withLock {
            guard firstError == nil, nextIndex < slots.count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func store(_ result: SampleResult, at index: Int) { lock.withLock { slots[index] = result } }

    func fail(_ error: Error) { lock.withLock { if firstError == nil { firstError = error } } }

    func results() throws -> [SampleResult] {
        try lock.withLock {
            if let firstError { throw firstError }
            return slots.map { $0! }
        }
    }
}

/// A uid of its own for each sandbox when we are root: RLIMIT_NPROC is not enforced for uid 0 and counts
/// per uid, so a fork bomb in one sandbox must neither escape the limit nor starve its neighbours.
enum SandboxIdentity {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    static func allocate() -> Int? {
        guard geteuid() == 0 else { return nil }
        let slot = lock.withLock { () -> Int in
            counter += 1
            return counter % 64
        }
        return 200_000 + Int(getpid() % 20_000) * 64 + slot
    }
}
