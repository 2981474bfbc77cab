// One memory and process budget for a whole sandbox: a cgroup of its own (v2 `memory.max`/`pids.max`, or the v1
// memory and pids controllers) that the sandbox joins before it starts, so the limit covers every process the code
// forks, not each one alone. Where the machine does not delegate cgroups, only the per-process limits hold.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class SandboxCgroup {
    /// The groups made (one per controller hierarchy) and their `cgroup.procs`, open for the child to join.
    let directories: [String]
    let procsDescriptors: [Int32]

    private init(directories: [String], procsDescriptors: [Int32]) {
        self.directories = directories
        self.procsDescriptors = procsDescriptors
    }

    deinit { procsDescriptors.forEach { close($0) } }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// Where budgets can be set here, and how; nil where they cannot.
    struct Hierarchy: Equatable {
        enum Version: Equatable { case v1(memory: String, pids: String), v2(String) }
        let version: Version

        var description: String {
            switch version {
            case .v1: return "cgroup v1 (memory and pids controllers)"
            case .v2: return "cgroup v2 (memory.max, pids.max)"
            }
        }
    }

    /// The hierarchy this process may make groups in, found from /proc/self/cgroup and the usual mount points;
    /// nil with the reason where there is none.
    static func hierarchy() -> (Hierarchy?, String) {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else {
            return (nil, "/proc/self/cgroup is unreadable")
        }
        var v1: [String: String] = [:]
        var v2: String?
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty { v2 = fields[2] }
            for controller in fields[1].split(separator: ",") { v1[String(controller)] = fields[2] }
        }
        let root = "/sys/fs/cgroup"
        if let memory = v1["memory"], let pids = v1["pids"],
           writable("\(root)/memory\(memory)"), writable("\(root)/pids\(pids)") {
            return (Hierarchy(version: .v1(memory: "\(root)/memory\(memory)", pids: "\(root)/pids\(pids)")), "")
        }
        if let path = v2, let controllers = try? String(contentsOfFile: "\(root)\(path)/cgroup.controllers", encoding: .utf8),
           controllers.contains("memory"), controllers.contains("pids"), writable("\(root)\(path)") {
            return (Hierarchy(version: .v2("\(root)\(path)")), "")
        }
        return (nil, geteuid() == 0 ? "no writable memory and pids cgroup controllers" : "cgroups are not delegated to this user")
    }

    private static func writable(_ directory: String) -> Bool { access(directory, W_OK) == 0 }

    /// What bounds the memory of a sandbox's processes together, for doctor and the tests.
    /// Found by making (and removing) a trial group, so it says what really holds.
    public static var enforcement: String {
        let (found, _) = hierarchy()
        let (trial, reason) = make(memoryBytes: 256 << 20, processes: 16)
        guard let found, let trial else { return "per process only (\(reason))" }
        trial.remove()
        return "one budget per sandbox: \(found.description)"
    }

    /// A new group with these budgets, or nil (and why) where none can be made.
    static func make(memoryBytes: Int, processes: Int) -> (SandboxCgroup?, String) {
        let (found, reason) = hierarchy()
        guard let found else { return (nil, reason) }
        let name = lock.withLock { () -> String in
            counter += 1
            return "semi-instruct-\(getpid())-\(counter)"
        }
        switch found.version {
        case let .v1(memoryRoot, pidsRoot): sweep(memoryRoot); sweep(pidsRoot)
        case let .v2(parent): sweep(parent)
        }
        var created: [String] = []
        func makeDirectory(_ path: String) throws -> String {
            // An empty group of the same name is an earlier process's that had our pid: it is removed and made again.
            if mkdir(path, 0o755) != 0 && !(errno == EEXIST && rmdir(path) == 0 && mkdir(path, 0o755) == 0) {
                throw Failure(description: "mkdir \(path): \(String(cString: strerror(errno)))")
            }
            created.append(path)
            return path
        }
        do {
            var descriptors: [Int32] = []
            switch found.version {
            case let .v1(memoryRoot, pidsRoot):
                let memory = try makeDirectory("\(memoryRoot)/\(name)")
                let pids = try makeDirectory("\(pidsRoot)/\(name)")
                try write("\(memoryBytes)", to: "\(memory)/memory.limit_in_bytes")
                // Swap counted too where the kernel accounts it, so the budget cannot be met by swapping out.
                if FileManager.default.fileExists(atPath: "\(memory)/memory.memsw.limit_in_bytes") {
                    try? write("\(memoryBytes)", to: "\(memory)/memory.memsw.limit_in_bytes")
                }
                try write("\(processes)", to: "\(pids)/pids.max")
                descriptors = [try open("\(memory)/cgroup.procs"), try open("\(pids)/cgroup.procs")]
            case let .v2(parent):
                // The kernel refuses controllers below a group that holds processes (ours): then no budget can be set.
                let enabled = (try? String(contentsOfFile: "\(parent)/cgroup.subtree_control", encoding: .utf8)) ?? ""
                if !(enabled.contains("memory") && enabled.contains("pids")) {
                    try write("+memory +pids", to: "\(parent)/cgroup.subtree_control")
                }
                let group = try makeDirectory("\(parent)/\(name)")
                try write("\(memoryBytes)", to: "\(group)/memory.max")
                try? write("0", to: "\(group)/memory.swap.max")
                try write("\(processes)", to: "\(group)/pids.max")
                descriptors = [try open("\(group)/cgroup.procs")]
            }
            return (SandboxCgroup(directories: created, procsDescriptors: descriptors), "")
        } catch {
            for directory in created.reversed() { rmdir(directory) }
            return (nil, "\(error)")
        }
    }

    /// Removes the empty groups of builds that ended without removing theirs (killed), named by their process id.
    private static func sweep(_ root: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names where name.hasPrefix("semi-instruct-") {
            let fields = name.split(separator: "-")
            guard fields.count == 4, let owner = pid_t(fields[2]), owner != getpid(), kill(owner, 0) != 0, errno == ESRCH else { continue }
            rmdir("\(root)/\(name)")
        }
    }

    /// Removes the groups once their processes are gone (the kernel refuses while any is left; they die with the
    /// PID namespace within moments).
    func remove() {
        for directory in directories.reversed() {
            for attempt in 0..<50 {
                if rmdir(directory) == 0 || errno == ENOENT { break }
                usleep(useconds_t(1000 * min(attempt + 1, 10)))
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private static func write(_ text: String, to path: String) throws {
        let descriptor = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = text.withCString { Glibc.write(descriptor, $0, strlen($0)) }
        guard written >= 0 else { throw Failure(description: "write \(path): \(String(cString: strerror(errno)))") }
    }

    private static func open(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        return descriptor
    }
}
