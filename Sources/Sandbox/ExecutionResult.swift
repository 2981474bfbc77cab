// What one sandboxed call produced: a status, the value or the error, captured output and time.
import Foundation

/// How a call ended. `killed` is a signal the code brought on itself (SIGSEGV, SIGKILL from kill(-1)...);
/// `crashed` is a process that ended without a result and without a signal (os._exit, a broken result).
/// `badCall` is a call that could not bind (wrong arity, unknown keyword): no line of the function ran,
/// so it says nothing about the function's behaviour.
public enum ExecutionStatus: String, Codable, Sendable, CaseIterable {
    case ok
    case raised
    case badCall = "bad-call"
    case timeout
    case memory
    case outputLimit = "output-limit"
    case killed
    case crashed
    /// A system call the sandbox's seccomp program refuses (tracing another process, io_uring, mount...): the
    /// process that made it was ended at once.
    case forbidden
}

/// The exception (for `raised`) or the reason (for the other failures): a type name and a message.
public struct ExecutionFailure: Codable, Sendable, Equatable {
    /// The Python exception type (`ValueError`, `socket.gaierror`), a signal name (`SIGSEGV`), or a sandbox
    /// reason (`CPUTime`, `WallClock`, `OutputLimit`, `InvalidInput`, `UnserializableValue`, `SupervisorKilled`).
    public var type: String
    public var message: String

    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }
}

/// The lines and arcs a traced call executed in the sample's own code, as coverage.py records them.
public struct Coverage: Codable, Sendable, Equatable {
    /// Executed line numbers, sorted.
    public var lines: [Int]
    /// Line-to-line transitions `[from, to]` within one frame, sorted. Entering a frame is
    /// `[-firstLine, line]` and leaving it `[line, -firstLine]`, where `firstLine` is the code object's
    /// first line (the `def`); a generator's yield and resumption are neither.
    public var arcs: [[Int]]
    /// True when the call produced more arcs than the sandbox keeps (20,000); the lists are then partial.
    public var truncated: Bool

    public init(lines: [Int], arcs: [[Int]], truncated: Bool = false) {
        self.lines = lines
        self.arcs = arcs
        self.truncated = truncated
    }
}

/// One call's outcome.
public struct CallResult: Codable, Sendable {
    public var status: ExecutionStatus
    /// The return value, for `ok`.
    public var value: CanonicalValue?
    /// The value's canonical text exactly as the sandbox wrote it; equal values give equal text.
    public var valueText: String?
    public var error: ExecutionFailure?
    /// Captured output, cut at the configured capture size.
    public var stdout: String
    public var stderr: String
    /// Wall-clock time of the call inside the sandbox.
    public var seconds: Double
    /// CPU time (user + system) of the call's process and the children it reaped, whatever the status:
    /// loading the code, the call and serializing the result. 0 when the sandbox itself died.
    public var cpuSeconds: Double
    /// The arguments after the call, for in-place functions: the canonical text of the Python tuple
    /// `(args, kwargs)`, `args` the tuple of positional arguments and `kwargs` the dict of keywords, e.g.
    /// `{"tuple":[{"tuple":[[0,1]]},{"dict":[]}]}` for `(([0, 1],), {})`. Set when the function returned or
    /// raised; nil when the call did not run (bad call, import failure, timeout...) or they cannot be serialized.
    public var argumentsAfter: String?
    /// Whether the call changed its arguments (their canonical text before and after differ); nil when either
    /// could not be serialized.
    public var argumentsChanged: Bool?
    /// Lines and arcs of the call, when the request asked for tracing and the function ran.
    public var coverage: Coverage?

    public init(status: ExecutionStatus, value: CanonicalValue? = nil, valueText: String? = nil, error: ExecutionFailure? = nil,
                stdout: String = "", stderr: String = "", seconds: Double = 0, cpuSeconds: Double = 0,
                argumentsAfter: String? = nil, argumentsChanged: Bool? = nil, coverage: Coverage? = nil) {
        self.status = status
        self.value = value
        self.valueText = valueText
        self.error = error
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        self.argumentsAfter = argumentsAfter
        self.argumentsChanged = argumentsChanged
        self.coverage = coverage
    }

    private enum CodingKeys: String, CodingKey {
        case status, value, valueText, error, stdout, stderr, seconds, cpuSeconds, argumentsAfter, argumentsChanged, coverage
    }

    /// Results stored before `cpuSeconds` existed still decode.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(ExecutionStatus.self, forKey: .status)
        value = try container.decodeIfPresent(CanonicalValue.self, forKey: .value)
        valueText = try container.decodeIfPresent(String.self, forKey: .valueText)
        error = try container.decodeIfPresent(ExecutionFailure.self, forKey: .error)
        stdout = try container.decode(String.self, forKey: .stdout)
        stderr = try container.decode(String.self, forKey: .stderr)
        seconds = try container.decode(Double.self, forKey: .seconds)
        cpuSeconds = try container.decodeIfPresent(Double.self, forKey: .cpuSeconds) ?? 0
        argumentsAfter = try container.decodeIfPresent(String.self, forKey: .argumentsAfter)
        argumentsChanged = try container.decodeIfPresent(Bool.self, forKey: .argumentsChanged)
        coverage = try container.decodeIfPresent(Coverage.self, forKey: .coverage)
    }
}

/// The arguments of one call, as Python literal text.
public struct CallInput: Codable, Sendable, Hashable {
    /// A tuple literal is the positional arguments (`(1, [2])`); `{'args': (...), 'kwargs': {...}}`
    /// adds keyword arguments; any other literal is the single positional argument.
    public var literal: String

    public init(literal: String) {
        self.literal = literal
    }

    /// Positional arguments as a tuple literal and keyword arguments as a dict literal with str keys.
    public init(arguments: String, keywords: String) {
        self.literal = "{'args': \(arguments), 'kwargs': \(keywords)}"
    }
}

/// A module to import in the sandbox instead of exec'ing code: the function as it really runs, in its module.
public struct ModuleReference: Codable, Sendable, Hashable {
    /// The dotted module name (`email.quoprimime`, `pkg.sub.mod`), imported under that name.
    public var name: String
    /// The host directory to put first on sys.path (it must be under one of `SandboxConfiguration.sourceRoots`),
    /// or nil for modules the sandbox's Python imports anyway (the standard library).
    public var root: String?

    public init(name: String, root: String? = nil) {
        self.name = name
        self.root = root
    }
}

/// One piece of code and the calls to make on it.
public struct SampleRequest: Codable, Sendable {
    /// The source that defines `entryPoint`; ignored when `module` is set.
    public var code: String
    public var entryPoint: String
    public var inputs: [CallInput]
    /// Records each call's executed lines and arcs (`CallResult.coverage`). Traced code runs up to ~10x
    /// slower (a Python call per line) against the same CPU budget, so compare statuses of untraced runs.
    public var trace: Bool
    /// Imports this module and calls its `entryPoint` instead of exec'ing `code`; module-level code runs in
    /// each call's process, and an import failure is that call's `raised` result.
    public var module: ModuleReference?

    public init(code: String, entryPoint: String, inputs: [CallInput], trace: Bool = false, module: ModuleReference? = nil) {
        self.code = code
        self.entryPoint = entryPoint
        self.inputs = inputs
        self.trace = trace
        self.module = module
    }

    private enum CodingKeys: String, CodingKey { case code, entryPoint, inputs, trace, module }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decodeIfPresent(String.self, forKey: .code) ?? ""
        entryPoint = try container.decode(String.self, forKey: .entryPoint)
        inputs = try container.decode([CallInput].self, forKey: .inputs)
        trace = try container.decodeIfPresent(Bool.self, forKey: .trace) ?? false
        module = try container.decodeIfPresent(ModuleReference.self, forKey: .module)
    }
}

/// The results of a sample's calls, in input order, and how many times its sandbox had to be restarted.
public struct SampleResult: Codable, Sendable {
    public var calls: [CallResult]
    public var restarts: Int
    /// Wall-clock time of the sample, restarts included.
    public var seconds: Double
    /// CPU time the sandbox's supervisor and call processes used (what parallel throughput is bound by);
    /// requests cut short by a dead supervisor are not counted.
    public var cpuSeconds: Double

    public init(calls: [CallResult], restarts: Int, seconds: Double, cpuSeconds: Double) {
        self.calls = calls
        self.restarts = restarts
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
    }
}
