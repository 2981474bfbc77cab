// `semi-instruct bench decontaminate`: the decontamination check's throughput and memory with a large benchmark:
// HumanEval's problems renamed into as many distinct problems as asked, checked against natural code (the standard
// library's functions) with some problems planted among them.
import ArgumentParser
import CommandOptions
import Decontamination
import Foundation

struct BenchDecontaminate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decontaminate",
        abstract: "Time building, caching and checking a decontamination index; report samples/s and peak RSS.")

    @Option(help: "Samples to check.")
    var samples = 1_000_000

    @Option(help: "Benchmark problems (HumanEval's 164, renamed into distinct copies).")
    var problems = 10_000

    @Option(help: "Every n-th sample is a planted problem.")
    var plantEvery = 100

    @Option(help: "Threads checking samples.")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Runs of the check; the median is reported.")
    var repeats = 3

    @Option(help: "Directory of Python files the natural samples come from.")
    var code = "/usr/lib/python3.11"

    func validate() throws {
        guard samples >= 1, problems >= 1, plantEvery >= 2, workers >= 1, repeats >= 1 else {
            throw ValidationError("need samples, problems, workers, repeats >= 1 and plant-every >= 2")
        }
    }

    func run() throws {
        let builtIn = BuiltInBenchmark.named("humaneval")!
        let humanEval = try BenchmarkReader.read(builtIn.file, name: "humaneval", fields: builtIn.fields)
        let benchmark = (0..<problems).map { Self.renamed(humanEval[$0 % humanEval.count], copy: $0 / humanEval.count) }
        let pool = try Self.functions(under: code)
        guard !pool.isEmpty else { throw ValidationError("no Python functions under \(code)") }
        print("\(problems) problems, \(samples) samples (\(pool.count) distinct functions from \(code), every \(plantEvery)th a planted problem), \(workers) workers")

        // Build, write and read back the index through the cache, as a build does.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("si-bench-decontam-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("problems.jsonl")
        let lines = try benchmark.map { problem in
            String(decoding: try JSONSerialization.data(withJSONObject: ["task_id": problem.id, "prompt": problem.prompt,
                                                                         "canonical_solution": problem.body, "entry_point": problem.entryPoint ?? ""]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let sources = [BenchmarkSource.parse(file.path)]
        var start = Date()
        let built = try ContaminationIndexStore.load(sources, parameters: .init(), directory: directory)
        let buildSeconds = Date().timeIntervalSince(start)
        ContaminationIndexStore.forgetLoaded()
        start = Date()
        let loaded = try ContaminationIndexStore.load(sources, parameters: .init(), directory: directory)
        let loadSeconds = Date().timeIntervalSince(start)
        let size = (try? FileManager.default.attributesOfItem(atPath: built.file.path)[.size] as? Int) ?? 0
        print(String(format: "index: built (read, normalized, hashed, written) in %.2f s, read back from the cache in %.3f s, %.1f MB on disk",
                     buildSeconds, loadSeconds, Double(size) / 1e6))

        var times: [Double] = []
        var found = 0, flagged = 0
        for _ in 0..<repeats {
            start = Date()
            (found, flagged) = check(loaded.index, benchmark: benchmark, pool: pool)
            times.append(Date().timeIntervalSince(start))
        }
        let median = times.sorted()[times.count / 2]
        let planted = samples / plantEvery
        print(String(format: "check: median %.2f s of %d runs, %.0f samples/s; planted problems found %d/%d; natural samples flagged %d",
                     median, repeats, Double(samples) / median, found, planted, flagged))
        print("peak RSS: \(String(format: "%.0f", Double(BenchDedup.peakResidentKiB()) / 1024)) MiB")
    }

    /// Checks every sample: (planted ones found as their own problem, natural ones flagged).
    func check(_ index: ContaminationIndex, benchmark: [BenchmarkProblem], pool: [String]) -> (Int, Int) {
        let chunks = workers * 8
        var counts = [(Int, Int)](repeating: (0, 0), count: chunks)
        counts.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var found = 0, flagged = 0
                for i in stride(from: samples * chunk / chunks, to: samples * (chunk + 1) / chunks, by: 1) {
                    if i % plantEvery == plantEvery - 1 {
                        let problem = benchmark[(i / plantEvery) % benchmark.count]
                        if index.check(problem.solution, as: .code, field: "code")?.problem == problem.id { found += 1 }
                    } else if index.check(pool[i % pool.count], as: .code, field: "code") != nil {
                        flagged += 1
                    }
                }
                out[chunk] = (found, flagged)
            }
        }
        return counts.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }

    /// A problem with its entry point and every identifier of its own renamed, so each copy is a distinct problem.
    static func renamed(_ problem: BenchmarkProblem, copy: Int) -> BenchmarkProblem {
        guard copy > 0 else { return problem }
        var result = problem
        result.id = "\(problem.id)/copy-\(copy)"
        var names = Set<String>()
        for match in problem.solution.matches(of: /(?:def|for|,|\(|\s)\s*([a-z_][a-z0-9_]*)\s*(?:=|:|,|\)| in\b)/) {
            let name = String(match.output.1)
            if !["in", "not", "and", "or", "if", "return", "true", "false", "none"].contains(name) { names.insert(name) }
        }
        if let entry = problem.entryPoint { names.insert(entry) }
        for field in [\BenchmarkProblem.prompt, \BenchmarkProblem.solution, \BenchmarkProblem.body] {
            var text = result[keyPath: field]
            for name in names { text = text.replacingOccurrences(of: "\\b\(name)\\b", with: "\(name)_\(copy)", options: .regularExpression) }
            result[keyPath: field] = text
        }
        result.entryPoint = problem.entryPoint.map { "\($0)_\(copy)" }
        return result
    }

    /// The functions of the Python files under a directory, split at each `def` at the start of a line.
    static func functions(under directory: String) throws -> [String] {
        var result: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".py"), !path.contains("test"), !path.contains("site-packages"),
                  let text = try? String(contentsOfFile: directory + "/" + path, encoding: .utf8) else { continue }
            for chunk in text.components(separatedBy: "\ndef ").dropFirst() {
                result.append("def " + chunk.components(separatedBy: "\n\n\n")[0])
            }
        }
        return result
    }
}
