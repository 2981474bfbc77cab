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
    /// Wall-clock seconds per call; the CPU limit is derived from it.
    public var timeoutSeconds: Double = 5
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
    public var hashSeed: UInt32 = 0

    public init() {}

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ reason: String) throws {
            if !ok { throw SandboxError.invalidConfiguration(field: field, reason: reason) }
        }
        try check(timeoutSeconds > 0 && timeoutSeconds <= 3600, "timeoutSeconds", "must be in (0, 3600], got \(timeoutSeconds)")
        try check(memoryMegabytes >= 64, "memoryMegabytes", "must be at least 64 (Python itself needs ~30), got \(memoryMegabytes)")
        try check(maxProcesses >= 8, "maxProcesses", "must be at least 8 (the sandbox itself uses 4), got \(maxProcesses)")
        try check(maxOpenFiles >= 16, "maxOpenFiles", "must be at least 16, got \(maxOpenFiles)")
        try check(workers >= 1, "workers", "must be at least 1, got \(workers)")
        try check(captureBytes >= 0 && outputLimitBytes > 0 && valueLimitBytes > 0 && maxFileBytes > 0 && tmpBytes > 0,
                  "byte limits", "must be positive")
        try check(!processTag.isEmpty && !processTag.contains("\0"), "processTag", "must be a non-empty string")
    }

    var memoryBytes: Int { memoryMegabytes << 20 }

    /// What the code sees: only /usr (read-only), its own /proc, a minimal read-only /dev with a small /dev/shm,
    /// and a private /tmp; no network but loopback, its own PID/IPC/UTS namespaces, uid 65534, no environment.
    func bubblewrapArguments(pythonArguments: [String]) -> [String] {
        [
            "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox", "--disable-userns",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
            "--proc", "/proc", "--dev", "/dev",
            "--size", "\(1 << 20)", "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
            "--size", "\(tmpBytes)", "--tmpfs", "/tmp",
            "--remount-ro", "/",
            "--chdir", "/tmp",
        ] + environment.flatMap { ["--setenv", $0.key, $0.value] }
            + [pythonPath] + pythonArguments
    }

    /// The only variables the code sees. A fixed hash seed makes set and dict-of-set orders repeatable.
    var environment: [(key: String, value: String)] {
        [("PATH", "/usr/bin:/bin"), ("HOME", "/tmp"), ("TMPDIR", "/tmp"), ("LANG", "C.UTF-8"), ("PYTHONHASHSEED", String(hashSeed))]
    }
}
