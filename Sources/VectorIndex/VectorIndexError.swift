// Errors from the vector index layer; Faiss's own message is carried through.
import Foundation

public enum VectorIndexError: LocalizedError, Equatable {
    case faiss(operation: String, message: String)
    case shape(String)
    /// Reading or writing a file of vectors failed.
    case io(path: String, message: String)

    public var errorDescription: String? {
        switch self {
        case let .faiss(operation, message): return "Faiss \(operation) failed: \(message)"
        case let .shape(message): return "vector shape error: \(message)"
        case let .io(path, message): return "\(path): \(message)"
        }
    }
}
