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
            "test inputs written by the model, expected outputs from running the **original** code in a sandbox, and only",
            "rewrites that reproduce them kept; semantic duplicates removed with SemDeDup.",
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
        lines += ["", "## Sources", "", "| where | items | licence |", "|---|---|---|"]
        for (folder, items) in sources.sorted(by: { $0.key < $1.key }) {
            lines.append("| `\(folder)` | \(items.count) | \(licence(of: folder)) |")
        }
        lines += ["", "## Recipe", "", "```json", recipe, "```", ""]
        return lines.joined(separator: "\n")
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
