// Limits and isolation settings of the executor; `bubblewrapArguments` is the whole isolation recipe.
import Foundation

public enum IsolationMode: String, Codable, Sendable {
    /// bubblewrap namespaces (network, PID, IPC, UTS, mount, user), read-only system, private tmpfs.
    case bubblewrap
    /// No namespaces: only rlimits, a cleared environment and a temporary directory. For machines without
    /// bubblewrap, on explicit request (`--unsafe-no-sandbox`); the code can see and change the host.
    case unsafeNoSandbox
}

public struct SandboxConfiguration: Codable, Sendable {
    public var isolation: IsolationMode = .bubblewrap
    public var bubblewrapPath: String = IsolationProbe.bubblewrapPath
    /// Debian's interpreter: the pyenv shim on PATH is a bash script an unprivileged uid cannot run.
    public var pythonPath: String = IsolationProbe.pythonPath
    /// CPU seconds (user + system, all threads) per call: the budget, so machine load does not change
    /// which calls time out. Past it a call ends `timeout` with error type `CPUTime`.
    public var timeoutSeconds: Double = 5
    /// Wall-clock seconds per call, a backstop for code that sleeps or blocks (error type `WallClock`);
    /// nil means `max(4 * timeoutSeconds, timeoutSeconds + 5)`.
    public var wallTimeoutSeconds: Double? = nil
    /// Address-space limit per process, in MiB.
    public var memoryMegabytes: Int = 512
    /// Processes and threads one sandbox may hold at once (a fork bomb stops here).
    public var maxProcesses: Int = 64
    public var maxOpenFiles: Int = 64
    /// Largest file the code may write, and the size of its private /tmp.
    public var maxFileBytes: Int = 16 << 20
    public var tmpBytes: Int = 64 << 20
    /// Bytes of stdout and of stderr kept per call.
    public var captureBytes: Int = 64 << 10
    /// Total stdout+stderr bytes after which a call ends with `output-limit`.
    public var outputLimitBytes: Int = 8 << 20
    /// Serialized return value size after which a call ends with `output-limit`.
    public var valueLimitBytes: Int = 4 << 20
    /// Sandboxes run in parallel (one sample each at a time).
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Marks every sandbox process's command line, so callers (and tests) can find stragglers.
    public var processTag: String = "semi-instruct-sandbox"
    /// PYTHONHASHSEED of the sandbox: running the same code under two seeds exposes set-order nondeterminism.
    /// Kept apart from `environmentVariant`; a caller comparing variants usually changes both.
    public var hashSeed: UInt32 = 0
    /// 0 or 1: two environments that differ in what code should not depend on. Variant 0: cwd `/tmp`,
    /// `TZ=UTC0`, host name `sandbox`, no descriptors above 2. Variant 1: cwd `/tmp/elsewhere/w`,
    /// `TZ=XST-5:30`, host name `sandbox-b`, descriptors 3...12 open on /dev/null. Unsafe mode applies
    /// the cwd (under its work directory), TZ and descriptors, not the host name.
    public var environmentVariant: Int = 0
    /// Host directories bound read-only into the sandbox at `/sources/0`, `/sources/1`, ...
    /// (`sandboxPath(forHostPath:)` maps paths under them), so modules there can be imported.
    public var sourceRoots: [String] = []

    public init() {}

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ reason: String) throws {
            if !ok { throw SandboxError.invalidConfiguration(field: field, reason: reason) }
        }
        try check(timeoutSeconds > 0 && timeoutSeconds <= 3600, "timeoutSeconds", "must be in (0, 3600], got \(timeoutSeconds)")
        if let wallTimeoutSeconds {
            try check(wallTimeoutSeconds > 0 && wallTimeoutSeconds <= 4 * 3600, "wallTimeoutSeconds",
                      "must be in (0, 14400], got \(wallTimeoutSeconds)")
        }
        try check((0...1).contains(environmentVariant), "environmentVariant", "must be 0 or 1, got \(environmentVariant)")
        for root in sourceRoots {
            var isDirectory: ObjCBool = false
            try check(root.hasPrefix("/") && FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) && isDirectory.boolValue,
                      "sourceRoots", "\(root) is not an absolute path to a directory")
        }
        // Upper bounds too: a limit is shifted into bytes and handed to setrlimit, where an overflow would lift it.
        try check((64...Self.maxMemoryMegabytes).contains(memoryMegabytes), "memoryMegabytes",
                  "must be 64 (Python itself needs ~30) to \(Self.maxMemoryMegabytes) (1 TiB), got \(memoryMegabytes)")
        try check((8...65_536).contains(maxProcesses), "maxProcesses", "must be 8 (the sandbox itself uses 4) to 65536, got \(maxProcesses)")
        try check((16...1 << 20).contains(maxOpenFiles), "maxOpenFiles", "must be 16 to 1048576, got \(maxOpenFiles)")
        try check((1...1024).contains(workers), "workers", "must be 1 to 1024, got \(workers)")
        let byteLimits = [captureBytes, outputLimitBytes, valueLimitBytes, maxFileBytes, tmpBytes]
        try check(captureBytes >= 0 && byteLimits.dropFirst().allSatisfy { $0 > 0 } && byteLimits.allSatisfy { $0 <= 1 << 40 },
                  "byte limits", "must be positive and at most 1 TiB")
        try check(!processTag.isEmpty && !processTag.contains("\0"), "processTag", "must be a non-empty string")
    }

    /// 1 TiB: more than any machine this runs on, and far from overflowing when shifted into bytes.
    public static let maxMemoryMegabytes = 1 << 20

    var memoryBytes: Int { memoryMegabytes << 20 }

    /// The budget of a whole sandbox (every process of a call together, where cgroups can be made): one call's
    /// memory plus room for the supervisor and the interpreter it forked from.
    var sandboxMemoryBytes: Int { memoryBytes + (128 << 20) }

    /// The wall-clock backstop in force.
    public var effectiveWallTimeoutSeconds: Double {
        wallTimeoutSeconds ?? max(4 * timeoutSeconds, timeoutSeconds + 5)
    }

    /// Where a host path under one of `sourceRoots` appears inside the sandbox (`/sources/N/...`); nil when it is
    /// under none. Unsafe mode sees the host's files, so there it is the path itself.
    public func sandboxPath(forHostPath hostPath: String) -> String? {
        guard isolation == .bubblewrap else { return hostPath }
        let target = URL(fileURLWithPath: hostPath).standardizedFileURL.pathComponents
        for (index, root) in sourceRoots.enumerated() {
            let base = URL(fileURLWithPath: root).standardizedFileURL.pathComponents
            guard target.starts(with: base) else { continue }
            return ([Self.sourceMountPoint(index)] + target.dropFirst(base.count)).joined(separator: "/")
        }
        return nil
    }

    static func sourceMountPoint(_ index: Int) -> String { "/sources/\(index)" }

    /// What the code sees: only /usr (read-only), its own /proc, a minimal read-only /dev with a small /dev/shm,
    /// and a private /tmp; no network but loopback, its own PID/IPC/UTS namespaces, uid 65534, no environment.
    /// The supervisor is PID 1 (no bubblewrap process beside it holds the channel to the host), and the seccomp
    /// program read from `seccompFD` binds it and everything it starts.
    func bubblewrapArguments(pythonArguments: [String], seccompFD: Int? = nil) -> [String] {
        let seccomp: [String] = seccompFD.map { ["--seccomp", String($0)] } ?? []
        let isolation: [String] = [
            "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv", "--as-pid-1",
            "--uid", "65534", "--gid", "65534", "--hostname", environmentVariant == 1 ? "sandbox-b" : "sandbox", "--disable-userns",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
            "--proc", "/proc", "--dev", "/dev",
            "--size", "\(1 << 20)", "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
            "--size", "\(tmpBytes)", "--tmpfs", "/tmp",
        ]
        let sources: [String] = sourceRoots.enumerated().flatMap { ["--ro-bind", $0.element, Self.sourceMountPoint($0.offset)] }
        let finish: [String] = ["--remount-ro", "/", "--chdir", "/tmp"]
        let variables: [String] = environment.flatMap { ["--setenv", $0.key, $0.value] }
        return seccomp + isolation + sources + finish + variables + [pythonPath] + pythonArguments
    }

    /// The only variables the code sees. A fixed hash seed makes set and dict-of-set orders repeatable; the
    /// time zones are POSIX strings, which need no tzdata (variant 1 is UTC+5:30, so hours and minutes move).
    var environment: [(key: String, value: String)] {
        [("PATH", "/usr/bin:/bin"), ("HOME", "/tmp"), ("TMPDIR", "/tmp"), ("LANG", "C.UTF-8"), ("PYTHONHASHSEED", String(hashSeed)),
         ("TZ", environmentVariant == 1 ? "XST-5:30" : "UTC0")]
    }
}
