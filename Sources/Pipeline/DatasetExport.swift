// Fine-tuning formats of a finished run: Alpaca, ShareGPT and OpenAI-style messages, one JSON object a line
// (the shape the Hugging Face `datasets` JSON loader, LLaMA-Factory and TRL read), plus a dataset card.
import Foundation
import Kernels
import Store

public struct DatasetExportOptions: Sendable {
    public enum Format: String, CaseIterable, Sendable { case alpaca, sharegpt, messages }
    public enum Order: String, CaseIterable, Sendable { case input, curriculum, random }

    public var format: Format
    public var order: Order = .input
    public var withTests = false
    public var withProvenance = false
    /// Fraction of rows written to the validation file; 0 writes one file.
    public var validation: Double = 0
    public var seed: UInt64 = 1234
    public var system: String?
    /// Leave out samples whose instruction's faithfulness score is below this (samples without a score stay).
    public var minFaithfulness: Double?

    public init(format: Format) { self.format = format }
}

public struct DatasetExportResult: Sendable {
    public var files: [(path: String, rows: Int)]
    public var card: String
    /// Kept samples left out because their evidence does not hold together, with why.
    public var inconsistent: [(id: String, why: String)] = []
}

public enum DatasetExport {
    /// The stage whose kept samples are the dataset: the last one that decided anything.
    public static func finalStage(_ store: RunDatabase) throws -> StageName {
        let funnel = try store.funnel(stages: StageName.allCases.map(\.rawValue))
        let decided = funnel.last { $0.kept + $0.rejected > 0 }
        return decided.flatMap { StageName(rawValue: $0.stage) } ?? .collect
    }

    /// `recorded`: write the dataset card and note the export in the run (not when the rows only feed `mix`).
    public static func export(store: RunDatabase, to output: URL, options: DatasetExportOptions, recorded: Bool = true) throws -> DatasetExportResult {
        let stage = try finalStage(store)
        guard stage >= .verify else {
            throw PipelineError.input(path: store.path ?? "run", message: "the run stopped at \(stage.rawValue); nothing is verified yet (run build to the end)")
        }
        var rows: [(sample: SampleRecord, rewrite: RewriteRecord, rank: RankRecord?)] = []
        var inconsistent: [(id: String, why: String)] = []
        for sample in try store.kept(by: stage.rawValue) {
            guard let rewrite = try store.rewrite(of: sample.id) else { continue }
            let passed = try store.testCases(of: sample.id).filter { $0.passed == true }
            if let why = Exporter.evidenceProblem(passed: passed, rank: try store.rank(of: sample.id)) {
                inconsistent.append((sample.id, why))
                continue
            }
            if let minimum = options.minFaithfulness, let score = try store.faithfulness(of: sample.id)?.score, score + 1e-9 < minimum { continue }
            rows.append((sample, rewrite, try store.rank(of: sample.id)))
        }
        switch options.order {
        case .input: break
        case .curriculum:
            rows.sort { ($0.rank?.difficulty ?? 0, $0.sample.ordinal) < ($1.rank?.difficulty ?? 0, $1.sample.ordinal) }
        case .random:
            var generator = SplitMix64(seed: options.seed)
            rows.shuffle(using: &generator)
        }
        // The validation rows are a seeded choice, so the split does not depend on the order asked for.
        var chooser = SplitMix64(seed: options.seed ^ 0x5EED)
        let validationCount = Int((Double(rows.count) * options.validation).rounded())
        let validationIds = Set(rows.map(\.sample.id).shuffled(using: &chooser).prefix(validationCount))
        let recipe = try store.meta("recipe") ?? "{}"
        let recipeHash = try store.meta("recipe.hash") ?? ""
        let methods = try MethodRows(rows.map { ($0.sample, $0.rewrite) })
        var train = "", validation = ""
        for row in rows {
            let line = try encode(row.sample, row.rewrite, row.rank, method: methods.parts[row.sample.id], store: store, options: options,
                                  recipeHash: recipeHash) + "\n"
            if validationIds.contains(row.sample.id) { validation += line } else { train += line }
        }
        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        var files = [(path: output.path, rows: rows.count - validationIds.count)]
        try train.write(to: output, atomically: true, encoding: .utf8)
        if options.validation > 0 {
            let url = sibling(output, inserting: "validation")
            try validation.write(to: url, atomically: true, encoding: .utf8)
            files.append((url.path, validationIds.count))
        }
        let cardURL = output.deletingLastPathComponent().appendingPathComponent("README.md")
        guard recorded else { return DatasetExportResult(files: files, card: "", inconsistent: inconsistent) }
        let card = try DatasetCard.render(store: store, options: options, files: files, recipe: recipe)
        try card.write(to: cardURL, atomically: true, encoding: .utf8)
        try store.recordExport(ExportRecord(format: options.format.rawValue, path: output.path, count: rows.count))
        return DatasetExportResult(files: files, card: cardURL.path, inconsistent: inconsistent)
    }

    /// One row. A method's answer is the method alone, and its class (without it) is the input the request comes with.
    static func encode(_ sample: SampleRecord, _ rewrite: RewriteRecord, _ rank: RankRecord?, method: MethodRows.Parts?, store: RunDatabase,
                       options: DatasetExportOptions, recipeHash: String) throws -> String {
        let response = "```python\n\((method?.method ?? rewrite.code).trimmingTrailingNewlines)\n```"
        let input = method.map { "```python\n\($0.context.trimmingTrailingNewlines)\n```" } ?? ""
        let request = input.isEmpty ? rewrite.instruction : rewrite.instruction + "\n\n" + input
        var object: [String: Any]
        switch options.format {
        case .alpaca:
            object = ["instruction": rewrite.instruction, "input": input, "output": response]
            if let system = options.system { object["system"] = system }
        case .sharegpt:
            var turns: [[String: String]] = []
            if let system = options.system { turns.append(["from": "system", "value": system]) }
            turns += [["from": "human", "value": request], ["from": "gpt", "value": response]]
            object = ["conversations": turns]
        case .messages:
            var messages: [[String: String]] = []
            if let system = options.system { messages.append(["role": "system", "content": system]) }
            messages += [["role": "user", "content": request], ["role": "assistant", "content": response]]
            object = ["messages": messages]
        }
        if options.withTests {
            let cases = try store.testCases(of: sample.id).filter { $0.passed == true }
            object["tests"] = cases.map { ["input": $0.arguments, "expected": Exporter.pythonLiteral($0) ?? "", "expected_status": $0.expectedStatus ?? "",
                                           "origin": $0.origin] }
            object["tests_passed"] = rank?.testsPassed ?? cases.count
            object["tests_total"] = rank?.testsTotal ?? cases.count
            object["entry_point"] = sample.entryPoint
        }
        if options.withProvenance {
            object["id"] = sample.id
            object["source"] = sample.source
            object["line"] = sample.line
            if let repository = sample.repository { object["repository"] = repository }
            if let revision = sample.revision { object["revision"] = revision }
            if let license = sample.license { object["license"] = license }
            object["model"] = try store.meta("generator") ?? ""
            object["recipe_hash"] = recipeHash
            if let source = rewrite.instructionSource { object["instruction_source"] = source }
            if let source = rewrite.codeSource { object["response_source"] = source }
            if let faithfulness = try store.faithfulness(of: sample.id) { object["faithfulness"] = faithfulness.score }
            if let rank {
                object["difficulty"] = rank.difficulty
                if let coverage = rank.lineCoverage { object["line_coverage"] = coverage }
                if let score = rank.mutationScore { object["mutation_score"] = score }
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// `data.jsonl` -> `data.validation.jsonl`.
    static func sibling(_ url: URL, inserting part: String) -> URL {
        let ext = url.pathExtension
        let base = url.deletingPathExtension()
        return ext.isEmpty ? base.appendingPathExtension(part) : base.appendingPathExtension(part).appendingPathExtension(ext)
    }
}

extension StageName: Comparable {
    public static func < (a: StageName, b: StageName) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The exported parts of method samples: the method alone, and its class without it (other methods cut to their
/// signatures). Two Python calls for all rows, none when no row is a method.
struct MethodRows {
    struct Parts { var method: String; var context: String }
    var parts: [String: Parts] = [:]

    init(_ rows: [(sample: SampleRecord, rewrite: RewriteRecord)]) throws {
        let methods = rows.filter { EntryPoint($0.sample.entryPoint).isMethod }
        guard !methods.isEmpty else { return }
        let items = methods.map { ($0.rewrite.code, $0.sample.entryPoint) }
        let sources = try PythonTools.entrySources(items)
        let contexts = try PythonTools.views(items, withoutEntry: true)
        for ((row, source), context) in zip(zip(methods, sources), contexts) {
            if let source { parts[row.sample.id] = Parts(method: source, context: context) }
        }
    }
}
