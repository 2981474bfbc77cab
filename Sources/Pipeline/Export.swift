// export: the kept samples as JSONL with instruction, response, tests and provenance, in input order.
import Foundation
import Sandbox
import Store

public struct ExportedSample: Codable, Equatable, Sendable {
    public struct TestCase: Codable, Equatable, Sendable {
        public var input: String
        public var expectedStatus: String
        public var expected: String?
        /// `model` or `derived`.
        public var origin: String
    }
    public var id: String
    public var instruction: String
    public var response: String
    /// For a method: the class it belongs to, without it (other methods cut to their signatures), which the request
    /// comes with; the response is the method alone.
    public var context: String?
    public var entryPoint: String
    public var tests: [TestCase]
    public var testsPassed: Int
    public var testsTotal: Int
    public var difficulty: Double?
    /// Share of the original's lines and decision outcomes the tests reach.
    public var lineCoverage: Double?
    public var branchCoverage: Double?
    /// Share of the original's mutants the tests tell apart.
    public var mutationScore: Double?
    /// Where the instruction came from (`docstring`, `model`, `given`) and the share of held-back cases a function
    /// written from the instruction alone gets right (nil when back-translation is off).
    public var instructionSource: String?
    public var faithfulness: Double?
    /// `model` (a verified rewrite) or `original` (the recipe's fallback: no rewrite reproduced the original).
    public var responseSource: String?
    public var source: String
    public var line: Int
    /// The repository, its commit when known, and the licence of the file (SPDX), as collect found them.
    public var repository: String?
    public var revision: String?
    public var license: String?
    public var model: String
    public var recipe: String
}

public enum Exporter {
    /// Expected values as Python literals (`[('h', 1)]`), as a dataset reader would write them; exceptions by type.
    static func pythonLiteral(_ testCase: TestCaseRecord) -> String? {
        guard testCase.expectedStatus == "ok", let text = testCase.expectedValue else { return testCase.expectedValue }
        return (try? CanonicalValue(canonicalText: text))?.description ?? text
    }

    /// Why a kept sample's evidence does not hold together (no passed test, or fewer passed tests than its rank
    /// counts: two writers, or a database edited by hand), or nil. Such a sample is never exported.
    static func evidenceProblem(passed: [TestCaseRecord], rank: RankRecord?) -> String? {
        if passed.isEmpty { return "no passed test is stored" }
        if let rank, rank.testsPassed != passed.count {
            return "its rank counts \(rank.testsPassed) passed tests but \(passed.count) are stored"
        }
        return nil
    }

    /// Samples a page of the export holds: memory stays that of a page however many samples a merged run exports.
    public static let defaultPageSize = 10_000

    /// Writes the samples the last stage kept whose evidence holds together, a page of `pageSize` at a time; returns
    /// how many, and the others with why. Written to a temporary file, then moved.
    public static func export(store: RunDatabase, finalStage: StageName, to url: URL, model: String, recipe: String,
                              pageSize: Int = defaultPageSize) throws -> (written: Int, inconsistent: [(id: String, why: String)]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let temporary = url.appendingPathExtension("partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw PipelineError.input(path: temporary.path, message: "cannot create the dataset file")
        }
        let file = try FileHandle(forWritingTo: temporary)
        var written = 0
        var inconsistent: [(id: String, why: String)] = []
        var after = Int.min
        while true {
            let samples = try store.kept(by: finalStage.rawValue, after: after, limit: max(1, pageSize))
            guard let first = samples.first, let last = samples.last else { break }
            after = last.ordinal
            // One query a table for every sample of the page, not a few a sample.
            let ordinals = first.ordinal...last.ordinal
            let pageRewrites = try store.rewrites(keptBy: finalStage.rawValue, ordinals: ordinals)
            let allCases = try store.testCases(keptBy: finalStage.rawValue, ordinals: ordinals)
            let ranks = try store.ranks(keptBy: finalStage.rawValue, ordinals: ordinals)
            let scores = try store.faithfulness(keptBy: finalStage.rawValue, ordinals: ordinals)
            let rewrites = samples.compactMap { sample in pageRewrites[sample.id].map { (sample, $0) } }
            let methods = try MethodRows(rewrites)
            var text = ""
            for (sample, rewrite) in rewrites {
                let method = methods.parts[sample.id]
                let cases = (allCases[sample.id] ?? []).filter { $0.passed == true }
                let rank = ranks[sample.id]
                if let why = evidenceProblem(passed: cases, rank: rank) {
                    inconsistent.append((sample.id, why))
                    continue
                }
                written += 1
                let row = ExportedSample(
                    id: sample.id, instruction: rewrite.instruction, response: "```python\n\(method?.method ?? rewrite.code)```",
                    context: method.map { "```python\n\($0.context)```" },
                    entryPoint: sample.entryPoint,
                    tests: cases.map { .init(input: $0.arguments, expectedStatus: $0.expectedStatus ?? "", expected: pythonLiteral($0), origin: $0.origin) },
                    testsPassed: rank?.testsPassed ?? cases.count, testsTotal: rank?.testsTotal ?? cases.count,
                    difficulty: rank?.difficulty, lineCoverage: rank?.lineCoverage, branchCoverage: rank?.branchCoverage,
                    mutationScore: rank?.mutationScore, instructionSource: rewrite.instructionSource,
                    faithfulness: scores[sample.id]?.score, responseSource: rewrite.codeSource,
                    source: sample.source, line: sample.line,
                    repository: sample.repository, revision: sample.revision, license: sample.license, model: model, recipe: recipe)
                text += String(decoding: try encoder.encode(row), as: UTF8.self) + "\n"
            }
            try file.write(contentsOf: Data(text.utf8))
        }
        try file.close()
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temporary, to: url)
        try store.recordExport(ExportRecord(format: "jsonl", path: url.path, count: written))
        return (written, inconsistent)
    }
}
