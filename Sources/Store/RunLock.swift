// An advisory lock on a run directory, so two processes never write one run.
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
        case let .cannotOpen(path, code): return "cannot open lock file \(path): \(String(cString: strerror(code)))"
        }
    }
}

/// Held while the value lives; the kernel drops it if the process dies, so a killed run never stays locked.
public final class RunLock {
    private let descriptor: Int32
    public let path: String

    public init(directory: URL) throws {
        path = directory.appendingPathComponent("run.lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
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
