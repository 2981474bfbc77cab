// `semi-instruct decontaminate`: removes the records of an existing corpus that overlap benchmark problems.
import ArgumentParser
import Decontamination
import Dedup
import Foundation

struct DecontaminateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decontaminate",
        abstract: "Remove records that overlap benchmark problems (n-grams, whole reference solutions, entry points).",
        discussion: """
        Each named field is normalized (whitespace and comments dropped, words lowercased, quotes unified) and checked
        three ways: n-grams of words shared with a problem (prompt or solution), a problem's whole reference body as
        a substring, and a function named like a problem's entry point whose shape is similar to its solution.
        Kept records are written unchanged, in input order; removed ones go to the removed file with the benchmark,
        problem, method and overlapping text. The index of the benchmarks is cached by their content.
        """)

    @Argument(help: "Input corpus: JSON Lines, a JSON array of objects, or either gzip-compressed.")
    var input: String

    @Option(name: .customLong("field"), help: "A text field (prose, with fenced code blocks read as code); repeatable.")
    var textFields: [String] = []

    @Option(name: .customLong("code-field"), help: "A field that holds code; repeatable.")
    var codeFields: [String] = []

    @Option(name: .customLong("benchmark"), help: "humaneval (fetched by make setup) or a JSONL file of problems; repeatable (default: humaneval).")
    var benchmarks: [String] = []

    @Option(name: .customLong("benchmark-fields"),
            help: "Fields of benchmark files, e.g. id=task_id,prompt=text,solution=code,entry_point=name (default: usual names).")
    var benchmarkFields: String?

    @Option(help: "n of the word n-grams.")
    var ngram = DecontaminationParameters().ngram

    @Option(name: .customLong("min-matches"), help: "Shared n-grams with one problem that make a record contaminated.")
    var minMatches = DecontaminationParameters().minMatches

    @Option(name: .customLong("substring-min-tokens"), help: "Reference bodies shorter than this (in tokens) are not matched as substrings.")
    var substringMinTokens = DecontaminationParameters().substringMinTokens

    @Option(name: .customLong("entry-point-similarity"), help: "Shape similarity (0-1) at which a function named like an entry point is a copy.")
    var entryPointSimilarity = DecontaminationParameters().entryPointSimilarity

    @Option(help: "Threads checking records.")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: [.short, .customLong("output")], help: "Where the kept records go.")
    var output: String

    @Option(help: "Where removed and rejected records go (default: OUTPUT with .removed before the extension).")
    var removed: String?

    /// Where removed records go: `--removed`, else OUTPUT with `.removed` before the extension.
    var removedPath: String {
        removed ?? DedupOutputPaths.insertingSuffix(".removed", into: URL(fileURLWithPath: output)).path
    }

    var parameters: DecontaminationParameters {
        DecontaminationParameters(ngram: ngram, minMatches: minMatches, substringMinTokens: substringMinTokens,
                                  entryPointSimilarity: entryPointSimilarity)
    }

    func validate() throws {
        guard !textFields.isEmpty || !codeFields.isEmpty else { throw ValidationError("give the fields to check: --field NAME and/or --code-field NAME") }
        if let problem = parameters.problem { throw ValidationError(problem.replacingOccurrences(of: "_", with: "-")) }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        _ = try fields()
        let inputPath = URL(fileURLWithPath: input).standardizedFileURL.path
        guard URL(fileURLWithPath: removedPath).standardizedFileURL.path != URL(fileURLWithPath: output).standardizedFileURL.path else {
            throw ValidationError("--removed and -o name the same file; choose another for one of them")
        }
        for target in [output, removedPath] {
            guard URL(fileURLWithPath: target).standardizedFileURL.path != inputPath else {
                throw ValidationError("\(target) is the input file; choose another output path")
            }
            guard !target.hasSuffix(".gz") else { throw ValidationError("\(target): outputs are written uncompressed; drop the .gz") }
        }
    }

    /// `--benchmark-fields` as benchmark field names.
    func fields() throws -> BenchmarkFields {
        var fields = BenchmarkFields()
        for pair in (benchmarkFields ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else { throw ValidationError("--benchmark-fields: '\(pair)' is not KEY=FIELD") }
            switch parts[0] {
            case "id": fields.id = parts[1]
            case "prompt": fields.prompt = parts[1]
            case "solution": fields.solution = parts[1]
            case "entry_point": fields.entryPoint = parts[1]
            default: throw ValidationError("--benchmark-fields: unknown key '\(parts[0])' (id, prompt, solution, entry_point)")
            }
        }
        return fields
    }

    func run() throws {
        let fields = try fields()
        let sources = (benchmarks.isEmpty ? ["humaneval"] : benchmarks).map { BenchmarkSource.parse($0, fields: fields) }
        let loaded = try ContaminationIndexStore.load(sources, parameters: parameters)
        let outputURL = URL(fileURLWithPath: output)
        let removedURL = URL(fileURLWithPath: removedPath)
        let checked = textFields.map { CorpusField(name: $0, kind: .markdown) } + codeFields.map { CorpusField(name: $0, kind: .code) }
        var err = StandardError()
        let report = try CorpusDecontamination.run(input: URL(fileURLWithPath: input), fields: checked, index: loaded.index,
                                                   output: outputURL, removed: removedURL, workers: workers) { done in
            Swift.print("decontaminate: \(done) records checked", to: &err)
        }
        let counts = loaded.problemCounts.map { "\($0.benchmark) \($0.problems) problems" }.joined(separator: ", ")
        print("benchmarks: \(counts); index \(loaded.fromCache ? "read from" : "built and cached at") \(loaded.file.path)")
        print("method: \(ngram)-grams (at least \(minMatches) shared), whole reference bodies of \(substringMinTokens)+ tokens, "
              + "entry points at shape similarity \(entryPointSimilarity)")
        let byBenchmark = report.removedByBenchmark.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let byMethod = report.removedByMethod.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("\(report.records) records: kept \(report.kept), removed \(report.removed)"
              + (report.removed > 0 ? " (\(byBenchmark); by \(byMethod))" : "") + ", rejected \(report.rejected) -> \(output), \(removedURL.path)")
        print(String(format: "time: %.2f s (%.0f records/s, %d workers)", report.seconds,
                     Double(report.records) / max(report.seconds, 1e-9), workers))
    }
}
