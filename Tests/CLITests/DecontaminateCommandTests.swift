import Foundation
import Testing

/// `semi-instruct decontaminate` on a corpus mixing the project's samples with planted HumanEval solutions and prompts.
@Suite struct DecontaminateCommandTests {
    /// HumanEval/0 and /23, as a corpus would hold copies of them.
    static let plantedCode = "from typing import List\n\n\ndef close_pair(numbers: List[float], threshold: float) -> bool:\n"
        + "    for idx, elem in enumerate(numbers):  # every pair\n        for idx2, elem2 in enumerate(numbers):\n"
        + "            if idx != idx2:\n                distance = abs(elem - elem2)\n                if distance < threshold:\n"
        + "                    return True\n\n    return False\n"
    static let plantedPrompt = "Return list of all prefixes from shortest to longest of the input string"

    @Test func keptRecordsAreUnchangedAndInOrderAndRemovedOnesCarryEvidence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-decontam-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let natural = try DedupEndToEndTests.functions()
        func line(_ object: [String: Any]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        var lines: [String] = []
        for (i, code) in natural.enumerated() {
            lines.append(try line(["id": "n\(i)", "instruction": "Rewrite it.", "code": code]))
            if i == 3 { lines.append(try line(["id": "planted-code", "instruction": "Tidy this up.", "code": "# from a blog\n" + Self.plantedCode])) }
            if i == 6 {
                lines.append(try line(["id": "planted-prompt", "instruction": Self.plantedPrompt + ".",
                                       "code": "def p(s):\n    return [s[:i + 1] for i in range(len(s))]\n"]))
            }
            if i == 8 { lines.append(try line(["id": "broken", "code": 7])) }
        }
        let input = dir.appendingPathComponent("corpus.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let output = dir.appendingPathComponent("clean.jsonl")
        let result = try BuiltBinary.run(["decontaminate", input.path, "--field", "instruction", "--code-field", "code", "-o", output.path])
        #expect(result.status == 0, "\(result.output)\(result.error)")
        #expect(result.output.contains("benchmarks: humaneval 164 problems"), "\(result.output)")
        #expect(result.output.contains("\(lines.count) records: kept \(natural.count), removed 2 (humaneval 2; by ngram 1, substring 1), rejected 1"),
                "\(result.output)")

        // Kept: every natural record, byte for byte, in order.
        let kept = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(kept == lines.filter { !$0.contains("planted") && !$0.contains("broken") })
        // Removed: the record, where it was and why.
        let removed = try String(contentsOf: dir.appendingPathComponent("clean.removed.jsonl"), encoding: .utf8).split(separator: "\n")
        let entries = try removed.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(entries.count == 3)
        let code = try #require(entries.first { ($0["record"] as? [String: Any])?["id"] as? String == "planted-code" })
        let codeMatch = try #require(code["contaminated"] as? [String: Any])
        #expect(code["line"] as? Int == 5 && codeMatch["problem"] as? String == "HumanEval/0" && codeMatch["method"] as? String == "substring")
        #expect(codeMatch["field"] as? String == "code" && (codeMatch["span"] as? String)?.hasPrefix("for idx, elem in enumerate(numbers):") == true)
        let prompt = try #require(entries.first { ($0["record"] as? [String: Any])?["id"] as? String == "planted-prompt" })
        let promptMatch = try #require(prompt["contaminated"] as? [String: Any])
        #expect(promptMatch["problem"] as? String == "HumanEval/14" && promptMatch["field"] as? String == "instruction")
        #expect(entries.contains { $0["rejected"] as? String == "missing field 'instruction'" })
    }

    @Test func processesBuildingTheSameIndexAtOnceAllSucceed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-decontam-race-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.jsonl"), bench = dir.appendingPathComponent("evals.jsonl")
        try #"{"code": "x = 1"}"#.write(to: input, atomically: true, encoding: .utf8)
        try "{\"task_id\": 1, \"text\": \"Sum it.\", \"code\": \"def total(values):\\n    return sum(values) + len(values)\"}\n"
            .write(to: bench, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["SEMI_INSTRUCT_CACHE"] = dir.appendingPathComponent("cache").path
        let processes = try (0..<6).map { i in
            let process = Process()
            process.executableURL = BuiltBinary.url
            process.arguments = ["decontaminate", input.path, "--code-field", "code", "--benchmark", bench.path,
                                 "-o", dir.appendingPathComponent("o\(i).jsonl").path]
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        for process in processes { process.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("cache/decontamination").path)
        #expect(left.count == 1 && left[0].hasSuffix(".index"), "\(left)")
    }

    @Test func theRemovedFileCannotBeTheOutput() throws {
        let result = try BuiltBinary.run(["decontaminate", "in.jsonl", "--code-field", "code", "-o", "/tmp/x.jsonl", "--removed", "/tmp/./x.jsonl"])
        #expect(result.status != 0 && result.error.contains("--removed and -o name the same file"))
    }

    @Test func aBadBenchmarkFileIsNamedWithItsLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-decontam-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.jsonl"), bench = dir.appendingPathComponent("evals.jsonl")
        try #"{"code": "x = 1"}"#.write(to: input, atomically: true, encoding: .utf8)
        try "{\"task_id\": 1, \"text\": \"t\", \"code\": \"def f(): pass\"}\n{\"task_id\": 2, \"text\": \"t\"}\n".write(to: bench, atomically: true, encoding: .utf8)
        let result = try BuiltBinary.run(["decontaminate", input.path, "--code-field", "code", "--benchmark", bench.path, "-o", dir.appendingPathComponent("o.jsonl").path])
        #expect(result.status != 0)
        #expect(result.error.contains("evals.jsonl:2: no solution field"), "\(result.error)")
        let unknown = try BuiltBinary.run(["decontaminate", input.path, "--code-field", "code", "--benchmark", "mbpp", "-o", dir.appendingPathComponent("o.jsonl").path])
        #expect(unknown.status != 0 && unknown.error.contains("unknown benchmark 'mbpp': give a JSONL file, or one of humaneval"), "\(unknown.error)")
    }
}
