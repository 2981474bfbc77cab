import Foundation
import Decontamination
import Testing

func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("decontam-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Benchmarks from files: fields found by their usual names or named, bad files refused with their line, and the
/// index cached by content.
@Suite struct BenchmarkFileTests {
    static let mbppLike = """
        {"task_id": 11, "text": "Write a python function to remove first and last occurrence of a given character from the string.", "code": "def remove_Occ(s,ch): \\r\\n    for i in range(len(s)): \\r\\n        if (s[i] == ch): \\r\\n            s = s[0 : i] + s[i + 1:] \\r\\n            break\\r\\n    for i in range(len(s) - 1,-1,-1):  \\r\\n        if (s[i] == ch): \\r\\n            s = s[0 : i] + s[i + 1:] \\r\\n            break\\r\\n    return s "}

        {"task_id": 12, "text": "Write a function to sort a given matrix in ascending order according to the sum of its rows.", "code": "def sort_matrix(M):\\r\\n    result = sorted(M, key=sum)\\r\\n    return result"}
        """

    func write(_ text: String, _ name: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func usualFieldNamesAreFoundAndTheEntryPointReadFromTheSolution() throws {
        let directory = try temporaryDirectory("fields")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try write(Self.mbppLike, "mbpp.jsonl", in: directory)
        let problems = try BenchmarkReader.read(file, name: "mbpp", fields: .init())
        #expect(problems.map(\.id) == ["11", "12"])
        #expect(problems.map(\.entryPoint) == ["remove_Occ", "sort_matrix"])
        #expect(problems[0].prompt.hasPrefix("Write a python function") && problems[0].solution.hasPrefix("def remove_Occ"))

        let index = ContaminationIndex(problems: problems, parameters: .init())
        // The solution renamed and reindented in a corpus; the prompt in an instruction.
        let copy = "def strip_char(text, c):\n  for i in range(len(text)):\n    if text[i] == c:\n      text = text[0:i] + text[i + 1:]\n      break\n"
            + "  for i in range(len(text) - 1, -1, -1):\n    if text[i] == c:\n      text = text[0:i] + text[i + 1:]\n      break\n  return text\n"
        #expect(index.check(copy, as: .code, field: "code") == nil, "other variable names are another function for the substring method")
        let same = "def strip_char(s, ch):\n  for i in range(len(s)):\n    if s[i] == ch:\n      s = s[0 : i] + s[i + 1:]\n      break\n"
            + "  for i in range(len(s) - 1, -1, -1):\n    if s[i] == ch:\n      s = s[0 : i] + s[i + 1:]\n      break\n  return s\n"
        #expect(index.check(same, as: .code, field: "code")?.problem == "11")
        let asked = "Write a function to sort a given matrix in ascending order according to the sum of its rows."
        #expect(index.check(asked, as: .text, field: "instruction")?.problem == "12")
    }

    @Test func namedFieldsAreRead() throws {
        let directory = try temporaryDirectory("named")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try write(#"{"qid": "q-7", "question": "Sum the squares.", "reference": "def sq(xs):\n    return sum(x * x for x in xs if x > 0) + len(xs)\n", "fn": "sq"}"#,
                             "private.jsonl", in: directory)
        let fields = BenchmarkFields(id: "qid", prompt: "question", solution: "reference", entryPoint: "fn")
        let problems = try BenchmarkReader.read(file, name: "private", fields: fields)
        #expect(problems.map(\.id) == ["q-7"] && problems[0].entryPoint == "sq")
        let index = ContaminationIndex(problems: problems, parameters: .init())
        #expect(index.check("def total(v):\n    return sum(x * x for x in v if x > 0) + len(v)\n", as: .code, field: "code") == nil)
        #expect(index.check("def f(xs):\n    return sum(x * x for x in xs if x > 0) + len(xs)\n", as: .code, field: "code")?.problem == "q-7")
    }

    @Test func badFilesAreRefusedWithTheirLine() throws {
        let directory = try temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        func message(_ text: String, fields: BenchmarkFields = .init()) throws -> String {
            let file = try write(text, "b.jsonl", in: directory)
            do { _ = try BenchmarkReader.read(file, name: "b", fields: fields); return "no error" } catch { return "\(error)" }
        }
        let good = #"{"task_id": "a", "prompt": "p", "code": "def f(): pass"}"#
        let malformed = try message(good + "\n" + good + "\n{\"task_id\": \"c\", \"prompt\": \n")
        #expect(malformed.hasSuffix("b.jsonl:3: malformed JSON (" + malformed.split(separator: "(", maxSplits: 1).last!) && malformed.contains(":3: malformed JSON"))
        #expect(try message(good + "\n[1, 2]\n").contains("b.jsonl:2: not a JSON object"))
        let noSolution = try message(#"{"task_id": "a", "prompt": "p", "answer_text": "x"}"#)
        #expect(noSolution.contains("b.jsonl:1: no solution field (looked for canonical_solution, code, solution") && noSolution.contains("fields here: answer_text, prompt, task_id"))
        #expect(try message(good, fields: BenchmarkFields(solution: "reference")).contains("b.jsonl:1: no field 'reference' (the solution)"))
        #expect(try message(#"{"prompt": "p", "code": 3}"#, fields: BenchmarkFields(solution: "code")).contains("b.jsonl:1: field 'code' (the solution) is not a string"))
        #expect(try message("\n\n").contains("holds no problems"))
        let missing = directory.appendingPathComponent("nowhere.jsonl")
        #expect(throws: DecontaminationError.benchmark(path: missing.path, line: nil, message: "not found or unreadable")) {
            try BenchmarkReader.read(missing, name: "x", fields: .init())
        }
        #expect(throws: DecontaminationError.unknownBenchmark(name: "mbpp", known: ["humaneval"])) {
            try BenchmarkSource(name: "mbpp").resolved()
        }
    }

    @Test func theIndexIsBuiltOnceAndReadBackFromTheCache() throws {
        let directory = try temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try write(Self.mbppLike, "mbpp.jsonl", in: directory)
        let cache = directory.appendingPathComponent("cache")
        let sources = [BenchmarkSource.parse(file.path), BenchmarkSource(name: "humaneval")]
        let built = try ContaminationIndexStore.load(sources, parameters: .init(), directory: cache)
        #expect(!built.fromCache && FileManager.default.fileExists(atPath: built.file.path))
        #expect(built.problemCounts.map(\.benchmark) == ["mbpp", "humaneval"] && built.problemCounts.map(\.problems) == [2, 164])
        ContaminationIndexStore.forgetLoaded()
        let read = try ContaminationIndexStore.load(sources, parameters: .init(), directory: cache)
        #expect(read.fromCache && read.file == built.file && read.index.problems == built.index.problems)
        let probe = "Write a function to sort a given matrix in ascending order according to the sum of its rows."
        #expect(read.index.check(probe, as: .text, field: "i") == built.index.check(probe, as: .text, field: "i"))
        #expect(read.index.check(HumanEvalPlantTests.problems[5].solution, as: .code, field: "c")?.problem == "HumanEval/5")

        // Other parameters or another file content are another index; a damaged cache file is rebuilt.
        let other = try ContaminationIndexStore.load(sources, parameters: .init(ngram: 10), directory: cache)
        #expect(!other.fromCache && other.file != built.file)
        try Data("not an index".utf8).write(to: built.file)
        ContaminationIndexStore.forgetLoaded()
        let rebuilt = try ContaminationIndexStore.load(sources, parameters: .init(), directory: cache)
        #expect(!rebuilt.fromCache && rebuilt.index.problems == built.index.problems)
        // A whole, well-formed index file copied over another key's (other parameters) is refused and rebuilt.
        try Data(contentsOf: other.file).write(to: built.file)
        ContaminationIndexStore.forgetLoaded()
        let swapped = try ContaminationIndexStore.load(sources, parameters: .init(), directory: cache)
        #expect(!swapped.fromCache && swapped.index.parameters == .init())
        try (Self.mbppLike + "\n" + #"{"task_id": 13, "text": "t", "code": "def g(): return 1"}"#).write(to: file, atomically: true, encoding: .utf8)
        let changed = try ContaminationIndexStore.load(sources, parameters: .init(), directory: cache)
        #expect(!changed.fromCache && changed.problemCounts.first?.problems == 3)
        // Only whole index files are left behind: no temporary files.
        let names = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(names.allSatisfy { $0.hasSuffix(".index") && !$0.hasPrefix(".") }, "\(names)")
        // Another directory is another cache, even in the same process.
        let elsewhere = try ContaminationIndexStore.load(sources, parameters: .init(), directory: directory.appendingPathComponent("other"))
        #expect(!elsewhere.fromCache && elsewhere.file.deletingLastPathComponent().lastPathComponent == "other")
    }
}
