// The dataset card written beside an export: what is in it, how it was made, and where it came from.
import Decontamination
import Foundation
import Store

enum DatasetCard {
    static func render(store: RunDatabase, options: DatasetExportOptions, files: [(path: String, rows: Int)], recipe: String) throws -> String {
        let funnel = try store.funnel(stages: StageName.allCases.map(\.rawValue))
        var lines = [
            "# Dataset card",
            "",
            "Verified instruction data made by semi-instruct with \(try store.meta("generator") ?? "a model"): natural code rewritten by the model,",
            "test inputs written by the model (bound to the signature, of the kinds the original accepts) and derived from them",
            "without the model, expected behaviour (return value, the arguments' state, exceptions) from running the **original**",
            "code in a sandbox in two environments and inside its module, and only rewrites that reproduce it on every input kept;",
            "semantic duplicates removed with SemDeDup.",
            "",
            "## Files",
            "",
            "| file | rows | format |",
            "|---|---|---|",
        ]
        for file in files {
            lines.append("| `\(URL(fileURLWithPath: file.path).lastPathComponent)` | \(file.rows) | \(options.format.rawValue) (JSON lines) |")
        }
        lines += ["", "Order: \(options.order.rawValue). Tests included: \(options.withTests ? "yes" : "no"). Provenance included: \(options.withProvenance ? "yes" : "no").", "",
                  "## Funnel", "", "| stage | in | kept | rejected | top reasons |", "|---|---|---|---|---|"]
        for stage in funnel where stage.kept + stage.rejected > 0 {
            let reasons = stage.reasons.prefix(3).map { "\($0.reason) \($0.count)" }.joined(separator: ", ")
            lines.append("| \(stage.stage) | \(stage.kept + stage.rejected) | \(stage.kept) | \(stage.rejected) | \(reasons) |")
        }
        let adequacy = try store.kept(by: finalStage(funnel).rawValue).compactMap { try store.adequacy(of: $0.id) }
        if !adequacy.isEmpty {
            let coverage = adequacy.compactMap(\.lineCoverage)
            let mean = coverage.isEmpty ? "n/a" : String(format: "%.0f%%", 100 * coverage.reduce(0, +) / Double(coverage.count))
            let derived = adequacy.map(\.derivedCases).reduce(0, +), model = adequacy.map(\.modelCases).reduce(0, +)
            lines += ["", "## Tests", "",
                      "\(model) model-written and \(derived) derived test inputs over \(adequacy.count) exported samples; on average the tests run "
                      + "\(mean) of the original's lines; the fewest distinct normal outputs of any test set is \(adequacy.map(\.distinctOutputs).min() ?? 0)."]
        }
        lines += try instructions(store: store, kept: try store.kept(by: finalStage(funnel).rawValue), options: options, recipe: recipe)
        lines += try decontamination(store: store, recipe: recipe)
        lines += try sources(exported: try store.kept(by: finalStage(funnel).rawValue))
        lines += try merged(store: store)
        lines += ["", "## Recipe", "", "```json", recipe, "```", ""]
        return lines.joined(separator: "\n")
    }

    /// Where the instructions came from, what backs them, and how the faithfulness score was used.
    static func instructions(store: RunDatabase, kept: [SampleRecord], options: DatasetExportOptions, recipe: String) throws -> [String] {
        let rewrites = try kept.compactMap { try store.rewrite(of: $0.id) }
        guard !rewrites.isEmpty else { return [] }
        let sources = Dictionary(grouping: rewrites, by: { $0.instructionSource ?? "unrecorded" }).mapValues(\.count)
        let withExamples = rewrites.filter { !(InstructionExamples.of($0)?.cases.isEmpty ?? true) }.count
        let checked = rewrites.filter { $0.claims != nil }.count
        let origin: String = sources.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let written = "Written by the model after the original had run, with several of its executed cases in front of it; "
            + "from the original's docstring where it had one: \(origin). "
        let backed = "\(checked) of \(rewrites.count) had their claims checked against the code (the function and parameters they name, "
            + "the kind of result, every call they state, run on the original); \(withExamples) carry verified cases as examples."
        var lines = ["", "## Instructions", "", written + backed]
        let fromOriginal = rewrites.filter { $0.codeSource == "original" }.count
        if fromOriginal > 0 {
            lines += ["", "\(rewrites.count - fromOriginal) responses are the model's verified rewrites; \(fromOriginal) are the original code, "
                      + "formatted, because no rewrite of the model reproduced it (`verify.fallback: original`; `response_source` in the rows)."]
        }
        let scores = try kept.compactMap { try store.faithfulness(of: $0.id)?.score }.sorted()
        let minimum = (try? JSONDecoder().decode(Recipe.self, from: Data(recipe.utf8)))?.instruction.minFaithfulness ?? 0
        if !scores.isEmpty {
            func share(_ bound: Double) -> String { String(format: "%.0f%%", 100 * Double(scores.filter { $0 >= bound - 1e-9 }.count) / Double(scores.count)) }
            lines += ["", String(format: "Faithfulness (back-translation: the model wrote the function from the instruction and signature alone; the "
                                 + "share of held-back cases it got right): median %.2f over %d samples; %@ score at least 0.5, %@ score 1.",
                                 scores[scores.count / 2], scores.count, share(0.5), share(1))]
        }
        lines.append(minimum > 0 ? "The build rejected samples scoring below \(minimum)." : "The build recorded the score without rejecting on it.")
        if let exportMinimum = options.minFaithfulness { lines.append("This export left out samples scoring below \(exportMinimum).") }
        return lines
    }

    /// Which benchmarks the data was checked against, how, and how many samples each removed.
    static func decontamination(store: RunDatabase, recipe: String) throws -> [String] {
        guard let settings = (try? JSONDecoder().decode(Recipe.self, from: Data(recipe.utf8)))?.decontaminate else { return [] }
        guard settings.enabled else { return ["", "## Decontamination", "", "Not checked against any benchmark (the recipe set `decontaminate: false`)."] }
        let benchmarks = try store.meta("decontamination.benchmarks") ?? settings.sources.map(\.name).joined(separator: ", ")
        var lines = ["", "## Decontamination", "",
                     "Checked against \(benchmarks): the natural code (and any instruction that came with it) before any work, and the "
                     + "rewrite with its final instruction after the model wrote them. A sample is removed when \(settings.minMatches) or more "
                     + "\(settings.ngram)-grams of normalized words (whitespace and comments dropped, names and literals kept; a renamed "
                     + "function reads the same) are shared with a problem's prompt or solution, or a whole reference body of "
                     + "\(settings.substringMinTokens) or more normalized tokens is in it, or it defines a function named like a problem's "
                     + "entry point whose shape has a similarity of at least \(settings.entryPointSimilarity) to the solution's.", ""]
        var removed: [String: [String: Int]] = [:]
        for outcome in try store.outcomes(reason: "contaminated") {
            let match = outcome.evidence.flatMap { try? JSONDecoder().decode(ContaminationMatch.self, from: Data($0.utf8)) }
            removed[match?.benchmark ?? "unrecorded", default: [:]][outcome.stage, default: 0] += 1
        }
        if removed.isEmpty {
            lines.append("No sample overlapped a benchmark problem.")
        } else {
            lines += ["| benchmark | removed before the rewrite | removed after it |", "|---|---|---|"]
            for (benchmark, stages) in removed.sorted(by: { $0.key < $1.key }) {
                lines.append("| \(benchmark) | \(stages[StageName.decontaminateInput.rawValue] ?? 0) | \(stages[StageName.decontaminateOutput.rawValue] ?? 0) |")
            }
        }
        return lines
    }

    static func finalStage(_ funnel: [StageCount]) -> StageName {
        funnel.last { $0.kept + $0.rejected > 0 }.flatMap { StageName(rawValue: $0.stage) } ?? .collect
    }

    /// The exported samples by repository, commit and licence, as collect recorded them per file; and what they are
    /// (functions, methods, whole classes).
    /// How `merge` put the run together, when it did.
    static func merged(store: RunDatabase) throws -> [String] {
        let after = "exact and semantic duplicates were decided over all of them, as one process reading every input would."
        if let text = try store.meta("merge.runs"), let runs = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) {
            return ["", "## Merged", "", "Joined by `semi-instruct merge` from \(runs.count) runs built apart, read in this order: "
                    + runs.map { "`\($0)`" }.joined(separator: ", ") + "; " + after]
        }
        if let shards = try store.meta("merge.shards") {
            return ["", "## Merged", "", "Built in \(shards) shards (`build --shard I/\(shards)`) and joined by `semi-instruct merge`; " + after]
        }
        return []
    }

    static func sources(exported: [SampleRecord]) throws -> [String] {
        var lines = ["", "## Sources", "", "| repository | commit | licence | read from | samples |", "|---|---|---|---|---|"]
        let groups = Dictionary(grouping: exported) { [$0.repository ?? "unrecorded", $0.revision ?? "", $0.license ?? "unknown", $0.licenseSource ?? ""] }
        for (key, samples) in groups.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let commit = key[1].isEmpty ? "" : "`\(key[1].prefix(12))`"
            lines.append("| \(key[0]) | \(commit) | \(key[2]) | \(key[3].isEmpty ? "" : "`\(key[3])`") | \(samples.count) |")
        }
        let methods = exported.filter { EntryPoint($0.entryPoint).isMethod }.count
        let classes = exported.filter { EntryPoint($0.entryPoint).isClass }.count
        lines += ["", "\(exported.count - methods - classes) functions, \(methods) methods (each exported as the method alone, with its "
                  + "class, less the method, as the request's context) and \(classes) whole classes (tests build one object and call its "
                  + "methods in turn). Paths in the data are relative to the input."]
        return lines
    }
}
