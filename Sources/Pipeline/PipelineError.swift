// Everything that stops a build, each naming the file, recipe key or tool it comes from. A sample that fails is
// not an error: it is rejected with a reason and the run goes on.
import Foundation

public enum PipelineError: LocalizedError {
    case pythonTool(operation: String, detail: String)
    case recipe(path: String, line: Int?, key: String, message: String)
    case input(path: String, message: String)
    case model(String)
    case isolation(String)
    /// A shard's index or count, or shards that cannot be merged.
    case shard(message: String)

    public var errorDescription: String? {
        switch self {
        case let .pythonTool(operation, detail): return "python analysis (\(operation)) failed: \(detail)"
        case let .recipe(path, line, key, message):
            return "\(path)\(line.map { ":\($0)" } ?? ""): recipe key '\(key)': \(message)"
        case let .input(path, message): return "\(path): \(message)"
        case let .model(message): return "model: \(message)"
        case let .isolation(message): return message
        case let .shard(message): return "shards: \(message)"
        }
    }
}
