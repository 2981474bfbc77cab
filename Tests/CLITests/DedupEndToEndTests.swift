import Dedup
import Foundation
import Testing

/// `semi-instruct dedup` on real code with the real MiniLM encoder.
@Suite struct DedupEndToEndTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples/python")

    /// The top-level functions of the sample files, split at each `def` at the start of a line.
    static func functions() throws -> [String] {
        var result: [String] = []
        for name in ["lists.py", "text.py", "numbers.py", "rejects.py"] {
            let text = try String(contentsOf: samples.appendingPathComponent(name), encoding: .utf8)
            for chunk in text.components(separatedBy: "\ndef ").dropFirst() {
                result.append("def " + chunk.components(separatedBy: "\n\n\n")[0])
            }
        }
        return result
    }

    @Test(arguments: [2, 5])
    func exactDuplicatesAreAlwaysRemovedAtEps001(clusters: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-dedup-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let functions = try Self.functions()
        #expect(functions.count >= 25)
        // Five functions appear twice, the copies at the end.
        let duplicated = [0, 3, 7, 12, 20]
        var records = functions.enumerated().map { ["id": "f\($0.offset)", "code": $0.element] }
        records += duplicated.map { ["id": "copy-of-f\($0)", "code": functions[$0]] }
        let input = dir.appendingPathComponent("corpus.jsonl")
        let lines = try records.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let output = dir.appendingPathComponent("kept.jsonl"), removed = dir.appendingPathComponent("removed.jsonl")
        let result = try BuiltBinary.run(["dedup", input.path, "--field", "code", "--eps", "0.01", "--clusters", String(clusters),
                                          "-o", output.path, "--removed", removed.path])
        #expect(result.status == 0, "\(result.output)")
        let kept = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map(String.init)
        let gone = try String(contentsOf: removed, encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        // Each duplicated pair lost exactly one member, and nothing else was removed.
        for index in duplicated {
            let ids = ["f\(index)", "copy-of-f\(index)"]
            let removedIds = gone.compactMap { ($0["record"] as? [String: Any])?["id"] as? String }.filter { ids.contains($0) }
            #expect(removedIds.count == 1, "pair \(ids)")
        }
        #expect(gone.count == duplicated.count)
        #expect(kept.count + gone.count == records.count)
        // Kept records are the input lines unchanged, in input order.
        let goneIds = gone.compactMap { ($0["record"] as? [String: Any])?["id"] as? String }
        #expect(kept == lines.filter { line in !goneIds.contains { line.contains("\"\($0)\"") } })
        for record in gone { #expect((record["similarity"] as? Double ?? 0) > 0.99 && record["duplicate_of"] != nil) }
    }

    /// `--against` with MiniLM: copies and paraphrases of a corpus already shipped are removed naming the old record's
    /// id; unrelated requests stay; the index written the first time is what a second batch is checked against.
    @Test func repeatsAndParaphrasesOfAnOldCorpusAreRemoved() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-against-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = ["returns the largest number in a list", "reverses the words of a sentence", "counts the vowels in a string",
                   "checks whether a number is prime", "merges two sorted lists into one sorted list",
                   "converts a temperature from Celsius to Fahrenheit", "computes the factorial of a non-negative integer"]
        try old.enumerated().map { "{\"id\": \"shipped-\($0)\", \"text\": \"Write a function that \($1).\"}" }.joined(separator: "\n")
            .write(to: dir.appendingPathComponent("old.jsonl"), atomically: true, encoding: .utf8)
        let new = ["Write a function that counts the vowels in a string.", "Write a function that checks whether a number is prime.",
                   "Write a function returning the biggest number of a list.", "Create a function that reverses the order of the words in a sentence.",
                   "Write a function that parses an ISO 8601 date string into a date object.",
                   "Write a function that downloads a web page and returns its title.", "Write a function that rotates a matrix by ninety degrees."]
        try new.map { "{\"text\": \"\($0)\"}" }.joined(separator: "\n").write(to: dir.appendingPathComponent("new.jsonl"), atomically: true, encoding: .utf8)
        let expected: [Int: String] = [0: "shipped-2", 1: "shipped-3", 2: "shipped-0", 3: "shipped-1"]

        for against in [dir.appendingPathComponent("old.jsonl").path, dir.appendingPathComponent("old.index").path] {
            let run = try BuiltBinary.run(["dedup", dir.appendingPathComponent("new.jsonl").path, "--field", "text", "--clusters", "2",
                                           "--eps", "0.15", "--against", against, "-o", dir.appendingPathComponent("out.jsonl").path])
            #expect(run.status == 0, "\(run.error)")
            #expect(run.output.contains("removed 4, 4 of them repeating \(dir.appendingPathComponent("old.index").path)"), "\(run.output)")
            let removed = try String(contentsOf: dir.appendingPathComponent("out.removed.jsonl"), encoding: .utf8).split(separator: "\n")
                .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(Dictionary(uniqueKeysWithValues: removed.map { ($0["index"] as! Int, $0["duplicate_of_id"] as? String ?? "") }) == expected)
            let kept = try String(contentsOf: dir.appendingPathComponent("out.jsonl"), encoding: .utf8)
            #expect(kept.contains("ISO 8601") && kept.contains("web page") && kept.contains("matrix") && !kept.contains("vowels"))
        }
        // An index made by another embedder is refused, naming both.
        let other = try BuiltBinary.run(["dedup", dir.appendingPathComponent("new.jsonl").path, "--field", "text", "--embedder", "hashing",
                                         "--against", dir.appendingPathComponent("old.index").path, "-o", dir.appendingPathComponent("h.jsonl").path])
        #expect(other.status != 0 && other.error.contains("with embedder minilm"), "\(other.error)")
    }

    /// `dedup` and recipes share one default threshold.
    @Test func theDefaultEpsIsTheRecipesDefault() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-dedup-eps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("corpus.jsonl")
        try "{\"code\": \"def f(x): return x\"}\n{\"code\": \"def g(y): return y * 2\"}\n".write(to: input, atomically: true, encoding: .utf8)
        let result = try BuiltBinary.run(["dedup", input.path, "--field", "code", "-o", dir.appendingPathComponent("kept.jsonl").path])
        #expect(result.status == 0, "\(result.error)")
        #expect((result.output + result.error).contains("eps 0.05:"), "\(result.output)")
        #expect(SemDeDup.defaultEps == 0.05)
    }
}
