// Errors from the dedup module; each names the file, line or value at fault.
import Foundation

public enum DedupError: LocalizedError, Equatable {
    case shape(String)
    case npy(file: String, reason: String)
    /// A NaN or infinity in a vectors file (or a float64 past float32's range); `row` counts from 0.
    case nonFiniteValue(file: String, row: Int, column: Int, value: Double)
    case embeddingCount(file: String, rows: Int, records: Int)
    case unreadableInput(file: String, reason: String)
    case gzip(file: String, reason: String)
    case notJSONArray(file: String, reason: String)
    case cache(file: String, reason: String)
    case embedder(name: String, reason: String)
    case noRecords(file: String)
    case output(file: String, reason: String)
    case clusters(String)
    /// The corpus or index given to --against (or recipe `dedup.against`) cannot be used.
    case against(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .shape(message): return "dedup shape error: \(message)"
        case let .npy(file, reason): return "\(file): not a float32 matrix .npy file: \(reason)"
        case let .nonFiniteValue(file, row, column, value):
            return "\(file): row \(row), column \(column) holds \(value)\(value.isFinite ? ", past float32's range" : ""); "
                + "embedding values must be finite numbers"
        case let .embeddingCount(file, rows, records):
            return "\(file) has \(rows) embedding rows but the input has \(records) records; row i must be record i"
        case let .unreadableInput(file, reason): return "cannot read \(file): \(reason)"
        case let .gzip(file, reason): return "\(file): gzip error: \(reason)"
        case let .notJSONArray(file, reason): return "\(file): not a JSON array of records: \(reason)"
        case let .cache(file, reason): return "embedding cache \(file): \(reason)"
        case let .embedder(name, reason): return "embedder \(name): \(reason)"
        case let .noRecords(file): return "\(file): no usable records to deduplicate"
        case let .output(file, reason): return "cannot write \(file): \(reason)"
        case let .clusters(message): return "clustering: \(message)"
        case let .against(path, reason): return "--against \(path): \(reason)"
        }
    }
}
