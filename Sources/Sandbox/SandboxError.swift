// Infrastructure failures of the sandbox; what untrusted code does is a result, never one of these.
import Foundation

public enum SandboxError: LocalizedError, Equatable {
    /// Isolation cannot be set up here; `missing` names the piece, `fix` how to install or allow it.
    case isolationUnavailable(missing: String, fix: String)
    /// The sandbox process could not be started (fork/exec failed) even though isolation was available.
    case startFailed(program: String, reason: String)
    /// The sandbox started but did not report ready; `detail` carries its stderr.
    case notReady(detail: String)
    /// A configuration value is out of range.
    case invalidConfiguration(field: String, reason: String)
    /// A file given to the executor could not be read.
    case unreadableFile(path: String, reason: String)
    /// A module root that is under none of the configuration's `sourceRoots`, so the sandbox cannot see it.
    case sourceNotMounted(path: String, roots: [String])

    public var errorDescription: String? {
        switch self {
        case let .isolationUnavailable(missing, fix):
            return "refusing to run untrusted code: \(missing). Fix: \(fix). "
                + "To run without isolation anyway, pass --unsafe-no-sandbox."
        case let .startFailed(program, reason):
            return "could not start \(program): \(reason)"
        case let .notReady(detail):
            return "the sandbox did not start: \(detail)"
        case let .invalidConfiguration(field, reason):
            return "invalid sandbox setting \(field): \(reason)"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .sourceNotMounted(path, roots):
            return "module root \(path) is under none of the sandbox's source roots (\(roots.isEmpty ? "none set" : roots.joined(separator: ", ")))"
        }
    }
}
