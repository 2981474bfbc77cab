// Evaluation problems to keep out of training data: a built-in benchmark or any JSONL file, read with named fields.
import Dedup
import Foundation

/// One evaluation problem: its prompt (what a model is asked) and its reference solution.
public struct BenchmarkProblem: Sendable, Equatable, Codable {
    public var benchmark: String
    public var id: String
    /// The function the problem asks for; read from the solution's first `def` when the file has no such field.
    public var entryPoint: String?
    public var prompt: String
    /// The whole reference solution as code (for HumanEval: the prompt followed by the canonical body).
    public var solution: String
    /// The part of the solution a model writes (HumanEval's canonical body), matched as a normalized substring.
    public var body: String

    public init(benchmark: String, id: String, entryPoint: String?, prompt: String, solution: String, body: String) {
        self.benchmark = benchmark; self.id = id; self.entryPoint = entryPoint; self.prompt = prompt
        self.solution = solution; self.body = body
    }
}

/// Which fields of a benchmark file hold what. A field left nil is looked for under its usual names.
public struct BenchmarkFields: Sendable, Equatable, Codable {
    public var id: String?
    public var prompt: String?
    public var solution: String?
    public var entryPoint: String?
    /// When true the solution is only the body that follows the prompt (HumanEval's `canonical_solution`).
    public var solutionFollowsPrompt: Bool?

    public init(id: String? = nil, prompt: String? = nil, solution: String? = nil, entryPoint: String? = nil,
                solutionFollowsPrompt: Bool? = nil) {
        self.id = id; self.prompt = prompt; self.solution = solution; self.entryPoint = entryPoint
        self.solutionFollowsPrompt = solutionFollowsPrompt
    }

    static let idNames = ["task_id", "id", "problem_id", "question_id", "name"]
    static let promptNames = ["prompt", "text", "question", "question_content", "instruction", "problem"]
    static let solutionNames = ["canonical_solution", "code", "solution", "reference_solution", "answer"]
    static let entryNames = ["entry_point", "function_name", "func_name"]
}

public enum BenchmarkReader {
    /// Every problem of a JSONL / JSON array file (optionally gzip-compressed). A record without a solution or a prompt,
    /// or one that is not a JSON object, is an error naming its line: a benchmark read in part would leak the rest.
    public static func read(_ url: URL, name: String, fields: BenchmarkFields) throws -> [BenchmarkProblem] {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw DecontaminationError.benchmark(path: url.path, line: nil, message: "not found or unreadable")
        }
        var problems: [BenchmarkProblem] = []
        do {
            try RecordReader.forEach(url) { record in
                problems.append(try problem(record, url: url, name: name, fields: fields))
            }
        } catch let error as DecontaminationError {
            throw error
        } catch {
            throw DecontaminationError.benchmark(path: url.path, line: nil, message: "cannot be read: \(error)")
        }
        guard !problems.isEmpty else { throw DecontaminationError.benchmark(path: url.path, line: nil, message: "holds no problems") }
        return problems
    }

    static func problem(_ record: InputRecord, url: URL, name: String, fields: BenchmarkFields) throws -> BenchmarkProblem {
        func fail(_ message: String) -> DecontaminationError { .benchmark(path: url.path, line: record.line, message: message) }
        guard String(validating: record.bytes, as: UTF8.self) != nil else { throw fail("not UTF-8") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(record.bytes)) } catch {
            throw fail("malformed JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"))")
        }
        guard let values = object as? [String: Any] else { throw fail("not a JSON object") }
        func field(_ given: String?, _ names: [String], _ what: String, required: Bool) throws -> (name: String, value: String)? {
            if let given {
                guard let value = values[given] else { throw fail("no field '\(given)' (the \(what)); fields here: \(values.keys.sorted().joined(separator: ", "))") }
                guard let text = value as? String else {
                    if let number = value as? NSNumber, what == "id" { return (given, number.stringValue) }
                    throw fail("field '\(given)' (the \(what)) is not a string")
                }
                return (given, text)
            }
            for candidate in names {
                if let text = values[candidate] as? String { return (candidate, text) }
                if let number = values[candidate] as? NSNumber, what == "id" { return (candidate, number.stringValue) }
            }
            guard !required else {
                throw fail("no \(what) field (looked for \(names.joined(separator: ", ")); name it in the benchmark's fields); "
                           + "fields here: \(values.keys.sorted().joined(separator: ", "))")
            }
            return nil
        }
        let solution = try field(fields.solution, BenchmarkFields.solutionNames, "solution", required: true)!
        let prompt = try field(fields.prompt, BenchmarkFields.promptNames, "prompt", required: true)!
        let id = try field(fields.id, BenchmarkFields.idNames, "id", required: false)?.value ?? "\(name)/line-\(record.line)"
        guard !solution.value.allSatisfy(\.isWhitespace) else { throw fail("empty solution in field '\(solution.name)'") }
        let follows = fields.solutionFollowsPrompt ?? (solution.name == "canonical_solution")
        let whole = follows ? prompt.value + solution.value : solution.value
        let entry = try field(fields.entryPoint, BenchmarkFields.entryNames, "entry point", required: false)?.value
            ?? firstFunctionName(in: whole)
        return BenchmarkProblem(benchmark: name, id: id, entryPoint: entry, prompt: prompt.value, solution: whole, body: solution.value)
    }

    /// The name after the first `def` of some code.
    static func firstFunctionName(in code: String) -> String? {
        for line in code.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            for prefix in ["def ", "async def "] where trimmed.hasPrefix(prefix) {
                let name = trimmed.dropFirst(prefix.count).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if !name.isEmpty { return String(name) }
            }
        }
        return nil
    }
}
