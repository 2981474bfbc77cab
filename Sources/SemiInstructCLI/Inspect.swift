// `semi-instruct inspect`: see why samples were rejected — a summary, a filtered table, or one sample in full.
import ArgumentParser
import CommandOptions
import Foundation
import Pipeline
import Store

struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect a run: the funnel and reasons, the rejected samples, or everything about one sample.")

    @Argument(help: "A sample id (or a unique prefix of one) to show in full.")
    var sampleId: String?

    @Option(name: .customLong("run"), help: "Run directory (default: the most recent under runs/).")
    var runDirectory: String?

    @Flag(help: "List rejected samples.")
    var rejected = false

    @Option(help: "Only rejections at this stage.")
    var stage: StageName?

    @Option(help: "Only rejections with this reason code (`--reasons` lists them).")
    var reason: RejectionReason?

    @Flag(help: "List every rejection reason with the stages that give it and what it means, as a Markdown table; no run is read.")
    var reasons = false

    @Option(help: "Only rejections whose detail, code, source or function contains this text.")
    var grep: String?

    @Option(help: "At most this many rows.")
    var limit: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if sampleId != nil && rejected { throw ValidationError("give a sample id or --rejected, not both") }
        if reasons && (sampleId != nil || rejected || stage != nil || reason != nil || grep != nil || runDirectory != nil) {
            throw ValidationError("--reasons lists the reasons themselves; it takes no run, sample or filter")
        }
    }

    func run() async throws {
        if reasons {
            print(RejectionReason.markdownTable, terminator: "")
            return
        }
        let path = try RunInspector.locate(runDirectory)
        let store = try RunDatabase(existingRunAt: path)
        let style = TextStyle(enabled: !json && isatty(STDOUT_FILENO) == 1)
        if let sampleId {
            let detail = try RunInspector.detail(store, id: sampleId)
            print(json ? try JSONText.encode(detail) : TerminalText.styled(InspectText.sample(detail, style)))
        } else if rejected || stage != nil || reason != nil || grep != nil {
            let rows = try store.rejections(stage: stage?.rawValue, reason: reason?.rawValue, grep: grep, limit: limit)
            print(json ? try JSONText.encode(rows) : TerminalText.styled(InspectText.rejections(rows, style)))
        } else {
            let summary = try RunInspector.summary(store, path: path)
            print(json ? try JSONText.encode(summary) : TerminalText.styled(InspectText.summary(summary, style)))
        }
    }
}

enum JSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// ANSI colour on a terminal, plain text when piped. Its escapes are written with a marker that `TerminalText`
/// turns into ESC only after the collected text around them has been made safe.
struct TextStyle {
    var enabled: Bool
    static let marker: Character = "\u{E001}"
    private func wrap(_ code: String, _ s: String) -> String { enabled ? "\(Self.marker)[\(code)m\(s)\(Self.marker)[0m" : s }
    func bold(_ s: String) -> String { wrap("1", s) }
    func red(_ s: String) -> String { wrap("31", s) }
    func green(_ s: String) -> String { wrap("32", s) }
    func dim(_ s: String) -> String { wrap("2", s) }
}

/// What `inspect` prints: collected code, model output and sandbox stderr are untrusted, so control characters
/// (all but newline and tab), DEL, C1 controls and bidirectional overrides are shown escaped (`\u{1b}`) instead
/// of driving the terminal. The style's markers become ESC only as the few colour codes it writes, so text that
/// carries a marker of its own can at most colour itself.
enum TerminalText {
    static let styleCodes: Set<String> = ["0", "1", "2", "31", "32"]

    static func styled(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        let marker = TextStyle.marker.unicodeScalars.first!
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == marker, let code = styleCode(scalars, after: index) {
                out.append("\u{1B}")
                out.append(contentsOf: "[\(code)m".unicodeScalars)
                index += code.count + 3
                continue
            }
            let value = scalar.value
            let control = (value < 0x20 && value != 0x0A && value != 0x09) || (0x7F...0x9F).contains(value)
            let bidi = (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F
            if control || bidi || scalar == marker {
                out.append(contentsOf: "\\u{\(String(value, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
            index += 1
        }
        return String(out)
    }

    /// The colour code of `[CODE m` right after the marker at `index`, when it is one the style writes.
    private static func styleCode(_ scalars: [Unicode.Scalar], after index: Int) -> String? {
        guard index + 1 < scalars.count, scalars[index + 1] == "[" else { return nil }
        var code = ""
        var next = index + 2
        while next < scalars.count, code.count < 3, ("0"..."9").contains(scalars[next]) {
            code.unicodeScalars.append(scalars[next])
            next += 1
        }
        guard next < scalars.count, scalars[next] == "m", styleCodes.contains(code) else { return nil }
        return code
    }
}

enum InspectText {
    static func summary(_ s: RunSummary, _ style: TextStyle) -> String {
        var out = [style.bold("run \(s.database): \(s.samples) items")]
        out.append(Columns.row(["stage", "in", "kept", "rejected", "seconds"]))
        for stage in s.stages where stage.kept + stage.rejected > 0 {
            out.append(Columns.row([stage.stage, String(stage.kept + stage.rejected), String(stage.kept), String(stage.rejected),
                                    String(format: "%.1f", stage.seconds)]))
            for reason in stage.reasons {
                let meaning = RejectionReason(rawValue: reason.reason).map { " (\($0.meaning))" } ?? ""
                out.append(style.dim("    \(reason.reason): \(reason.count)\(meaning)"))
            }
        }
        out.append("semantic duplicates removed: \(s.dedupRemovals)")
        if let constraints = s.constraints { out.append("constrained decoding: \(constraints)") }
        for usage in s.modelUsage {
            out.append(String(format: "model calls at %@: %d, %d prompt + %d generated tokens, %.1f s", usage.stage as NSString,
                              usage.calls, usage.promptTokens, usage.completionTokens, usage.seconds))
        }
        out.append("exports: \(s.exports)")
        return out.joined(separator: "\n")
    }

    static func rejections(_ rows: [RejectionRow], _ style: TextStyle) -> String {
        guard !rows.isEmpty else { return "no rejected samples match" }
        func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
        var out = [style.bold(pad("id", 17) + pad("stage", 21) + pad("reason", 24) + "where: detail")]
        for row in rows {
            let place = "\(URL(fileURLWithPath: row.source).lastPathComponent):\(row.line)\(row.entryPoint.isEmpty ? "" : " \(row.entryPoint)")"
            let detail = row.detail.replacingOccurrences(of: "\n", with: " ")
            out.append(pad(row.sampleId, 17) + pad(row.stage, 21) + style.red(pad(row.reason, 24)) + "\(place): \(detail.prefix(120))")
        }
        return out.joined(separator: "\n")
    }

    static func sample(_ d: SampleDetail, _ style: TextStyle) -> String {
        var out = [style.bold("sample \(d.id): \(d.entryPoint.isEmpty ? "(no function)" : d.entryPoint) from \(d.source):\(d.line)")]
        for outcome in d.outcomes {
            let verdict = outcome.kept ? style.green("kept") : style.red("rejected: \(outcome.reason ?? "")")
            out.append("  \(outcome.stage.padding(toLength: 21, withPad: " ", startingAt: 0)) \(verdict)\(outcome.detail.map { " — \($0)" } ?? "")")
        }
        out += ["", style.bold("original code"), d.code]
        if let instruction = d.instruction {
            out += [style.bold("instruction") + (d.instructionSource.map { style.dim(" (from \($0))") } ?? ""), instruction, ""]
        }
        if !d.evidence.isEmpty {
            out.append(style.bold("runs of the original the model saw"))
            out += d.evidence.map { "  " + $0 }
            out.append("")
        }
        if !d.claims.isEmpty {
            out.append(style.bold("claims of the instruction, checked"))
            for claim in d.claims {
                out.append("  " + (claim.passed ? style.green("ok  ") : style.red("FAIL")) + " \(claim.check): \(claim.detail)")
            }
            out.append("")
        }
        if let f = d.faithfulness {
            out.append(style.bold("back-translation") + String(format: ": faithfulness %.2f (%d of %d held-back cases right from the instruction alone)",
                                                                f.score, f.passed, f.total) + (f.detail.map { style.dim(" — \($0)") } ?? ""))
            if !f.code.isEmpty { out.append(f.code) }
            struct Tried: Decodable { var instruction: String; var score: Double }
            for tried in f.candidates.flatMap({ try? JSONDecoder().decode([Tried].self, from: Data($0.utf8)) }) ?? [] {
                out.append(style.dim(String(format: "  candidate %.2f: ", tried.score)) + tried.instruction)
            }
            out.append("")
        }
        if let diff = d.diff {
            out.append(style.bold("rewrite (diff against the original)"))
            for line in diff.components(separatedBy: "\n") {
                out.append(line.hasPrefix("+") ? style.green(line) : line.hasPrefix("-") ? style.red(line) : line)
            }
            out.append("")
        }
        if !d.parameters.isEmpty {
            out.append(style.bold("parameters (kinds inferred; accepted when probed on the original)"))
            for p in d.parameters {
                let accepted = p.accepted.map { " accepted: \($0.isEmpty ? "none" : $0.joined(separator: ", "))" } ?? ""
                out.append("  \(p.name) (\(p.kind)): \(p.kinds.isEmpty ? "unknown" : p.kinds.joined(separator: ", "))\(accepted)"
                           + style.dim(p.evidence.isEmpty ? "" : "  — " + p.evidence.joined(separator: "; ")))
            }
            out.append("")
        }
        if !d.cases.isEmpty {
            out.append(style.bold("test cases"))
            for c in d.cases {
                // A method's input reads as its whole call already.
                var line = "  " + (d.entryPoint.contains(".") ? c.input : "\(d.entryPoint)(\(c.input))") + (c.origin == "derived" ? style.dim("  [derived: \(c.derivation ?? "")]") : "")
                if let dropped = c.dropped {
                    line += style.dim("  dropped: \(dropped)")
                } else {
                    line += "  expected \(c.expected ?? "?")"
                    if let state = c.expectedState { line += style.dim(" (arguments after: \(state.prefix(80)))") }
                    if let actual = c.actual { line += ", got \(actual)" }
                    if let passed = c.passed { line += passed ? style.green("  pass") : style.red("  FAIL") }
                    if c.firstMismatch { line += style.red("  <- first mismatch") }
                    if let lines = c.linesRun { line += style.dim("  [\(lines) lines, \(c.branchesReached?.count ?? 0) decision outcomes]") }
                }
                out.append(line)
            }
            out.append("")
        }
        if let a = d.adequacy {
            let lines = a.lineCoverage.map { String(format: "%.0f%%", $0 * 100) } ?? "n/a"
            let branches = a.branchCoverage.map { String(format: "%.0f%%", $0 * 100) } ?? "n/a"
            out.append(style.bold("adequacy") + ": \(a.modelCases) model + \(a.derivedCases) derived inputs, \(a.normalCases) return, "
                       + "\(a.raisedCases) raise, \(a.distinctOutputs) distinct outputs; lines \(a.linesCovered)/\(a.linesTotal) (\(lines)), "
                       + "decision outcomes \(a.branchesCovered)/\(a.branchesTotal) (\(branches)); mutants told apart "
                       + "\(a.mutantsKilled)/\(a.mutants); original: \(a.original)")
            struct MutantRow: Decodable { var mutant: String; var killedBy: String? }
            let rows = a.mutantReport.flatMap { try? JSONDecoder().decode([MutantRow].self, from: Data($0.utf8)) } ?? []
            for row in rows {
                out.append(style.dim("  mutant \(row.mutant): ") + (row.killedBy.map { "told apart by (\($0))" } ?? style.red("survives every test")))
            }
            out.append("")
        }
        for call in d.modelCalls {
            out.append(style.bold("model output, \(call.stage) attempt \(call.attempt + 1) (\(call.completionTokens) tokens)"))
            out.append(call.output)
            out.append("")
        }
        let noisy = d.executions.filter { !$0.stderr.isEmpty }
        if !noisy.isEmpty {
            out.append(style.bold("sandbox stderr"))
            for execution in noisy {
                out.append(style.dim("  \(execution.run) case \(execution.caseIndex) (\(execution.status)):"))
                out.append(String(execution.stderr.suffix(1500)))
            }
            out.append("")
        }
        if let evidence = d.outcomes.first(where: { !$0.kept })?.evidence, d.modelCalls.last?.output != evidence {
            out += [style.bold("evidence"), String(evidence.prefix(4000)), ""]
        }
        if let dedup = d.dedup, let duplicate = dedup.duplicateOf {
            out.append(String(format: "semantic duplicate of %@ (similarity %.4f, cluster %d)", duplicate, dedup.similarity ?? 0, dedup.cluster))
        }
        if let rank = d.rank {
            out.append("rank: \(rank.testsPassed)/\(rank.testsTotal) tests passed (\(rank.derivedTests) derived), \(rank.distinctOutputs) distinct outputs, "
                       + "\(rank.codeLines) lines, \(rank.branches) branches, difficulty \(rank.difficulty)")
        }
        return out.joined(separator: "\n")
    }
}
