// An advisory lock on a run's database, so two processes never write one run.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum RunLockError: LocalizedError {
    case busy(path: String)
    case cannotOpen(path: String, errno: Int32)

    public var errorDescription: String? {
        switch self {
        case let .busy(path): return "another semi-instruct process is writing this run (lock held on \(path))"
        case let .cannotOpen(path, code): return "cannot open \(path) to lock it: \(String(cString: strerror(code)))"
        }
    }
}

/// Held while the value lives; the kernel drops it if the process dies, so a killed run never stays locked.
/// It is an flock on the run's database file, which SQLite's own (fcntl) locks do not touch.
public final class RunLock {
    private let descriptor: Int32
    public let path: String

    /// Locks `file`, made owner-only when it does not exist yet (a run's database holds the code it read).
    public init(file: String) throws {
        path = file
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw RunLockError.cannotOpen(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw RunLockError.busy(path: path)
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
