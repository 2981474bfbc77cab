// One running sandbox (bubblewrap + the Python supervisor) and the JSON-lines pipes to it.
import CSandbox
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class SandboxProcess {
    enum LineOutcome {
        case line([UInt8])
        /// The supervisor closed its output: it exited or was killed.
        case ended
        case timedOut
        /// A line longer than any well-formed event: the protocol is broken.
        case overlong
    }

    let pid: pid_t
    let startedAt: UInt64
    private let input: Int32
    private let output: Int32
    private let errors: Int32
    private var pending: [UInt8] = []
    /// How far `pending` is known to hold no newline, so long lines are not rescanned on every read.
    private var scanned = 0
    private var errorTail: [UInt8] = []
    private var outputOpen = true
    private var errorsOpen = true
    private var stopped = false
    private let maxLineBytes: Int
    private let workDirectory: URL?
    private let cgroup: SandboxCgroup?

    private init(pid: pid_t, input: Int32, output: Int32, errors: Int32, maxLineBytes: Int, workDirectory: URL?, cgroup: SandboxCgroup?,
                 startedAt: UInt64) {
        self.cgroup = cgroup
        self.pid = pid
        self.input = input
        self.output = output
        self.errors = errors
        self.maxLineBytes = maxLineBytes
        self.workDirectory = workDirectory
        self.startedAt = startedAt
    }

    deinit { _ = stop() }

    // MARK: - Start

    /// Starts the sandbox and waits for the supervisor's ready line.
    static func start(_ configuration: SandboxConfiguration, uid: Int?) throws -> SandboxProcess {
        let started = Monotonic.now
        let isolated = configuration.isolation == .bubblewrap
        let mode = isolated ? "isolated" : uid == nil ? "shared-uid" : "dedicated-uid"
        // One budget for all the sandbox's processes where cgroups can be made (isolated sandboxes only: they die whole).
        let cgroup = isolated ? SandboxCgroup.make(memoryBytes: configuration.sandboxMemoryBytes, processes: configuration.maxProcesses + 8).0 : nil
        let budget = cgroup == nil ? "0" : String(configuration.sandboxMemoryBytes >> 20)
        let pythonArguments = ["-s", "-S", "-B", "-P", "-c", SupervisorScript.source, configuration.processTag, mode, budget]
        var workDirectory: URL? = nil
        let program: String
        let arguments: [String]
        let environment: [String]
        // The seccomp program reaches bubblewrap through a pipe it inherits as fd 4.
        var seccompRead: Int32 = -1
        defer { if seccompRead >= 0 { close(seccompRead) } }
        if isolated {
            if let filter = SeccompFilter.program() {
                do { seccompRead = try Self.pipeHolding(filter) } catch { cgroup?.remove(); throw error }
            }
            program = configuration.bubblewrapPath
            arguments = [program] + configuration.bubblewrapArguments(pythonArguments: pythonArguments, seccompFD: seccompRead >= 0 ? 4 : nil)
            environment = []
        } else {
            program = configuration.pythonPath
            arguments = [program] + pythonArguments
            environment = configuration.environment.map { "\($0.key)=\($0.value)" }
            workDirectory = try makeWorkDirectory(uid: uid)
        }
        var limits = csb_limits(
            cpu_seconds: 3600,
            address_space_bytes: Int64(configuration.memoryBytes),
            file_size_bytes: Int64(configuration.maxFileBytes),
            open_files: Int64(configuration.maxOpenFiles),
            // Counted per real uid: only meaningful for a uid of our own (root drops to one).
            processes: uid == nil ? 0 : Int64(configuration.maxProcesses + 8),
            uid: Int64(uid ?? -1), gid: Int64(uid ?? -1),
            cgroup_procs_fd: cgroup?.procsDescriptors.first ?? -1,
            cgroup_procs_fd_2: cgroup.flatMap { $0.procsDescriptors.count > 1 ? $0.procsDescriptors[1] : nil } ?? -1)
        var pid: pid_t = 0, input: Int32 = -1, output: Int32 = -1, errors: Int32 = -1
        let result = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                csb_spawn(program, argv, envp, workDirectory?.path ?? "/", &limits, seccompRead, &pid, &input, &output, &errors)
            }
        }
        if result < 0 {
            cgroup?.remove()
            if let workDirectory { try? FileManager.default.removeItem(at: workDirectory) }
            throw SandboxError.startFailed(program: program, reason: String(cString: strerror(-result)))
        }
        // The value, the arguments after the call and the captured output travel JSON-escaped (up to 6x), beside coverage.
        let maxLine = 6 * (2 * configuration.valueLimitBytes + 2 * configuration.captureBytes) + (2 << 20)
        let process = SandboxProcess(pid: pid, input: input, output: output, errors: errors, maxLineBytes: maxLine,
                                     workDirectory: workDirectory, cgroup: cgroup, startedAt: started)
        // Generous: a loaded machine (the tests run CPU hogs beside other suites) can take seconds to start Python.
        let readyBy = Monotonic.now + Monotonic.nanoseconds(30)
        guard case let .line(line) = process.nextLine(deadline: readyBy),
              let event = try? JSONDecoder().decode(SupervisorEvent.self, from: Data(line)), event.ready != nil else {
            let detail = process.stop()
            throw SandboxError.notReady(detail: detail)
        }
        return process
    }

    /// The read end of a pipe already holding `bytes` (small enough for the pipe's buffer), its write end closed.
    private static func pipeHolding(_ bytes: [UInt8]) throws -> Int32 {
        var ends: [Int32] = [-1, -1]
        let made = csb_pipe_cloexec(&ends)
        guard made == 0 else {
            throw SandboxError.startFailed(program: "pipe2", reason: String(cString: strerror(-made)))
        }
        defer { close(ends[1]) }
        let written = bytes.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            close(ends[0])
            throw SandboxError.startFailed(program: "seccomp", reason: "could not hand the filter over (\(written) of \(bytes.count) bytes)")
        }
        return ends[0]
    }

    private static func makeWorkDirectory(uid: Int?) throws -> URL {
        var template = Array((NSTemporaryDirectory() + "/semi-instruct-unsafe-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SandboxError.startFailed(program: "mkdtemp", reason: String(cString: strerror(errno)))
        }
        let path = String(cString: made)
        if let uid { chown(path, uid_t(uid), gid_t(uid)) }
        return URL(fileURLWithPath: path)
    }

    // MARK: - Talking

    /// Writes all of `bytes` to the supervisor's stdin; false when it is gone or too slow to read.
    func send(_ bytes: [UInt8], deadline: UInt64) -> Bool {
        var offset = 0
        while offset < bytes.count {
            var descriptor = pollfd(fd: input, events: Int16(POLLOUT), revents: 0)
            let wait = Monotonic.millisecondsUntil(deadline)
            if wait <= 0 { return false }
            let ready = poll(&descriptor, 1, wait)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { return false }
            let written = bytes[offset...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// The next line of the supervisor's stdout, draining its stderr meanwhile.
    func nextLine(deadline: UInt64) -> LineOutcome {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let newline = pending[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                scanned = 0
                return .line(line)
            }
            scanned = pending.count
            if pending.count > maxLineBytes { return .overlong }
            if !outputOpen { return .ended }
            let wait = Monotonic.millisecondsUntil(deadline)
            if wait <= 0 { return .timedOut }
            var descriptors = [pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: errorsOpen ? errors : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 2, wait)
            if ready < 0 && errno != EINTR { return .ended }
            if ready <= 0 { continue }
            if descriptors[1].revents != 0 {
                let count = read(errors, &buffer, buffer.count)
                if count > 0 {
                    errorTail.append(contentsOf: buffer[..<count])
                    if errorTail.count > 16384 { errorTail.removeFirst(errorTail.count - 16384) }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    errorsOpen = false
                }
            }
            if descriptors[0].revents != 0 {
                let count = read(output, &buffer, buffer.count)
                if count > 0 {
                    pending.append(contentsOf: buffer[..<count])
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    outputOpen = false
                }
            }
        }
    }

    // MARK: - Stop

    /// Kills the whole sandbox (the PID namespace dies with bwrap), reaps it, and describes how it ended.
    @discardableResult
    func stop() -> String {
        if stopped { return "stopped" }
        stopped = true
        close(input)
        let status = csb_kill_and_reap(pid)
        close(output)
        close(errors)
        cgroup?.remove()
        if let workDirectory { try? FileManager.default.removeItem(at: workDirectory) }
        let how: String
        if status < 0 {
            how = "could not be reaped: \(String(cString: strerror(-status)))"
        } else if csb_signaled(status) != 0 {
            how = "ended by signal \(csb_term_signal(status))"
        } else {
            how = "exited with status \(csb_exit_code(status))"
        }
        let stderr = String(decoding: errorTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return stderr.isEmpty ? how : "\(how); stderr: \(stderr)"
    }
}

/// One line the supervisor writes.
struct SupervisorEvent: Decodable {
    var ready: Int?
    var start: Int?
    var result: SupervisorResult?
    var done: Bool?
    /// CPU seconds the supervisor and its children used for the request (with `done`).
    var cpu: Double?
}

struct SupervisorResult: Decodable {
    var index: Int
    var status: String
    var value: String?
    var error: ExecutionFailure?
    var stdout: String
    var stderr: String
    var seconds: Double
    var cpuSeconds: Double?
    var argumentsAfter: String?
    var argumentsChanged: Bool?
    var coverage: Coverage?
}

enum Monotonic {
    static var now: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }

    static func millisecondsUntil(_ deadline: UInt64) -> Int32 {
        let current = now
        if deadline <= current { return 0 }
        return Int32(min((deadline - current + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    static func seconds(since start: UInt64) -> Double { Double(now - start) / 1e9 }
}

/// NUL-terminated C string arrays for execve, alive for the duration of `body`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
