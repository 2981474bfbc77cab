// What can go wrong opening a run's database or locking its directory, naming the path.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum StoreError: LocalizedError {
    // --- Run database ---
    case open(path: String, underlying: String)
    case notARun(path: String, reason: String)
    /// A run database that is readable but cannot join the others (another schema, samples another one holds).
    case cannotMerge(path: String, reason: String)
    // --- Run lock ---
    case busy(path: String)
    case cannotLock(path: String, errno: Int32)

    public var errorDescription: String? {
        switch self {
        case let .open(path, underlying): return "cannot open run database \(path): \(underlying)"
        case let .notARun(path, reason): return "\(path) is not a semi-instruct run database: \(reason)"
        case let .cannotMerge(path, reason): return "cannot merge \(path): \(reason)"
        case let .busy(path): return "another semi-instruct process is writing this run (lock held on \(path))"
        case let .cannotLock(path, code): return "cannot open \(path) to lock it: \(String(cString: strerror(code)))"
        }
    }
}
