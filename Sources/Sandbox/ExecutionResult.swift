// What one sandboxed call produced: a status, the value or the error, captured output and time.
import Foundation

/// How a call ended. `killed` is a signal the code brought on itself (SIGSEGV, SIGKILL from kill(-1)...);
/// `crashed` is a process that ended without a result and without a signal (os._exit, a broken result).
public enum ExecutionStatus: String, Codable, Sendable, CaseIterable {
    case ok
    case raised
    case timeout
    case memory
    case outputLimit = "output-limit"
    case killed
    case crashed
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

    public init(status: ExecutionStatus, value: CanonicalValue? = nil, valueText: String? = nil, error: ExecutionFailure? = nil,
                stdout: String = "", stderr: String = "", seconds: Double = 0, cpuSeconds: Double = 0) {
        self.status = status
        self.value = value
        self.valueText = valueText
        self.error = error
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
    }

    private enum CodingKeys: String, CodingKey {
        case status, value, valueText, error, stdout, stderr, seconds, cpuSeconds
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

/// One piece of code and the calls to make on it.
public struct SampleRequest: Codable, Sendable {
    public var code: String
    public var entryPoint: String
    public var inputs: [CallInput]

    public init(code: String, entryPoint: String, inputs: [CallInput]) {
        self.code = code
        self.entryPoint = entryPoint
        self.inputs = inputs
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
