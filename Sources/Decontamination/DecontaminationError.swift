// Errors that name the file and, where there is one, the line.
public enum DecontaminationError: Error, CustomStringConvertible, Equatable {
    case benchmark(path: String, line: Int?, message: String)
    case unknownBenchmark(name: String, known: [String])
    case missingBenchmark(name: String, path: String)

    public var description: String {
        switch self {
        case let .benchmark(path, line, message):
            return line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)"
        case let .unknownBenchmark(name, known):
            return "unknown benchmark '\(name)': give a JSONL file, or one of \(known.joined(separator: ", "))"
        case let .missingBenchmark(name, path):
            return "benchmark \(name) is not installed (\(path) is missing); run `make setup`, or name a JSONL file"
        }
    }
}
