// The dataset card written beside an export: what is in it, how it was made, and where it came from.
import Foundation
import Store

enum DatasetCard {
    static func render(store: RunDatabase, options: DatasetExportOptions, files: [(path: String, rows: Int)], recipe: String) throws -> String {
        let funnel = try store.funnel(stages: StageName.allCases.map(\.rawValue))
        let samples = try store.samples()
        let sources = Dictionary(grouping: samples, by: { URL(fileURLWithPath: $0.source.components(separatedBy: ":")[0]).deletingLastPathComponent().path })
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
        lines += ["", "## Sources", "", "| where | items | licence |", "|---|---|---|"]
        for (folder, items) in sources.sorted(by: { $0.key < $1.key }) {
            lines.append("| `\(folder)` | \(items.count) | \(licence(of: folder)) |")
        }
        lines += ["", "## Recipe", "", "```json", recipe, "```", ""]
        return lines.joined(separator: "\n")
    }

    static func finalStage(_ funnel: [StageCount]) -> StageName {
        funnel.last { $0.kept + $0.rejected > 0 }.flatMap { StageName(rawValue: $0.stage) } ?? .collect
    }

    /// A licence where it is known: the CPython standard library (PSF), or a LICENSE file next to the sources.
    static func licence(of folder: String) -> String {
        if folder.hasPrefix("/usr/lib/python3") { return "PSF License (CPython standard library)" }
        var url = URL(fileURLWithPath: folder)
        for _ in 0..<4 {
            for name in ["LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING"] {
                let candidate = url.appendingPathComponent(name)
                if let text = try? String(contentsOf: candidate, encoding: .utf8) {
                    return "see `\(candidate.path)` (\(text.split(separator: "\n").first.map(String.init) ?? ""))"
                }
            }
            url.deleteLastPathComponent()
        }
        return "unknown"
    }
}
