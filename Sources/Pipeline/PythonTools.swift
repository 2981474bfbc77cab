// Static analysis through Debian's Python and its `ast` module: extraction, checks, test-input parsing.
import Foundation
import Sandbox

public enum PipelineError: LocalizedError {
    case pythonTool(operation: String, detail: String)
    case recipe(path: String, line: Int?, key: String, message: String)
    case input(path: String, message: String)
    case model(String)
    case isolation(String)

    public var errorDescription: String? {
        switch self {
        case let .pythonTool(operation, detail): return "python analysis (\(operation)) failed: \(detail)"
        case let .recipe(path, line, key, message):
            return "\(path)\(line.map { ":\($0)" } ?? ""): recipe key '\(key)': \(message)"
        case let .input(path, message): return "\(path): \(message)"
        case let .model(message): return "model: \(message)"
        case let .isolation(message): return message
        }
    }
}

struct ExtractedFunction: Decodable { var name: String; var line: Int; var code: String }
struct SkippedFunction: Decodable { var name: String; var line: Int; var reason: String; var detail: String }
struct FileError: Decodable { var reason: String; var detail: String; var line: Int }
struct ExtractedFile: Decodable {
    var path: String
    var items: [ExtractedFunction]?
    var skipped: [SkippedFunction]?
    var error: FileError?
}

struct Signature: Decodable, Equatable {
    var positional: [String]
    var vararg: String?
    var kwonly: [String]
    var kwarg: String?
    var defaults: Int
}

struct CodeAnalysis: Decodable {
    struct ParseError: Decodable { var message: String; var line: Int }
    var parses: Bool
    var python2: String?
    var error: ParseError?
    var functions: [String]?
    var signature: Signature?
    var hash: String?
    var branches: Int?
    var longest_literal: Int?
    var generator: Bool?
}

enum PythonTools {
    static let python = URL(fileURLWithPath: IsolationProbe.pythonPath)

    static func call<Answer: Decodable>(_ operation: String, _ request: [String: Any], as: Answer.Type) throws -> Answer {
        var body = request
        body["op"] = operation
        let input = try JSONSerialization.data(withJSONObject: body)
        let result = try ExternalTool.run(python, ["-I", "-c", PythonToolsScript.source], input: input)
        guard result.status == 0 else {
            throw PipelineError.pythonTool(operation: operation, detail: "exit \(result.status): \(result.error.suffix(2000))")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(result.output.utf8))
        } catch {
            throw PipelineError.pythonTool(operation: operation, detail: "unreadable answer: \(error)")
        }
    }

    static func extract(files: [(path: String, text: String)]) throws -> [ExtractedFile] {
        struct Answer: Decodable { var files: [ExtractedFile] }
        return try call("extract", ["files": files.map { ["path": $0.path, "text": $0.text] }], as: Answer.self).files
    }

    static func analyze(_ items: [(code: String, entry: String)]) throws -> [CodeAnalysis] {
        struct Answer: Decodable { var items: [CodeAnalysis] }
        return try call("analyze", ["items": items.map { ["code": $0.code, "entry": $0.entry] }], as: Answer.self).items
    }

    /// Each rewrite with the module-level statements of its original that it uses but dropped.
    static func reattach(_ items: [(original: String, rewrite: String)]) throws -> [String] {
        struct Answer: Decodable { var items: [String] }
        return try call("reattach", ["items": items.map { ["original": $0.original, "rewrite": $0.rewrite] }], as: Answer.self).items
    }

    /// For each item, each candidate line parsed into call arguments, or nil when unusable.
    static func arguments(_ items: [(entry: String, lines: [String])]) throws -> [[CallArguments?]] {
        struct Answer: Decodable { var items: [[[String]?]] }
        return try call("arguments", ["items": items.map { ["entry": $0.entry, "lines": $0.lines] }], as: Answer.self).items
            .map { $0.map { $0.map { CallArguments(display: $0[0], literal: $0[1]) } } }
    }
}
