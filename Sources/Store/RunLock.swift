// An advisory lock on a run directory, so two processes never write one run.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Held while the value lives; the kernel drops it if the process dies, so a killed run never stays locked.
/// It is an flock on the run directory itself, which cannot be deleted as stale without deleting the run, and
/// (unlike a descriptor on the database) whose closing cannot drop SQLite's own locks.
public final class RunLock {
    private let descriptor: Int32
    public let path: String

    public init(directory: URL) throws {
        path = directory.path
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StoreError.cannotLock(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StoreError.busy(path: path)
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Makes `file` owner-only when it does not exist yet (a run's database holds the code it read). A descriptor
    /// is closed only on a file this call made, which no connection can hold locks on yet.
    public static func createOwnerOnly(_ file: String) throws {
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor); return }
        if errno != EEXIST { throw StoreError.cannotLock(path: file, errno: errno) }
    }
}
