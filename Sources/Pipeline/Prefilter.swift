// prefilter: static checks, each a named reason. Cheap checks first; Ruff finds undefined names.
import Foundation
import ModelFiles
import Sandbox
import Store

struct PrefilterStage: Stage {
    let name = StageName.prefilter
    let batchSize = 64

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let settings = context.recipe.prefilter
        let analyses = try PythonTools.analyze(batch.map { ($0.code, $0.entryPoint) })
        let undefined = try UndefinedNames.find(in: batch, context: context)
        var seenHashes = try previouslyKeptHashes(context.store)
        var commits: [StageCommit] = []
        for (sample, analysis) in zip(batch, analyses) {
            let outcome: OutcomeRecord
            // The entry point's own size, without docstrings and comments; what comes with it is bounded apart.
            let lines = analysis.entry_lines ?? sample.code.split(separator: "\n", omittingEmptySubsequences: true).count
            let context = analysis.context_lines ?? 0
            if !analysis.parses {
                let error = analysis.error.map { "line \($0.line): \($0.message)" } ?? "does not parse"
                outcome = analysis.python2 != nil
                    ? reject(sample, .python2Syntax, "Python 2 only (\(analysis.python2!)); \(error)")
                    : reject(sample, .doesNotParse, error)
            } else if analysis.signature == nil {
                outcome = reject(sample, .entryPointMissing, "no top-level function or method '\(sample.entryPoint)'")
            } else if let imports = analysis.relative_imports, !imports.isEmpty {
                outcome = reject(sample, .relativeImport, "\(imports.joined(separator: "; ")): the file's package is unknown, "
                                 + "so the import cannot run outside it")
            } else if lines < settings.minLines {
                outcome = reject(sample, .tooShort, "\(lines) lines; the minimum is \(settings.minLines)")
            } else if lines > settings.maxLines {
                outcome = reject(sample, .tooLong, "\(lines) lines; the maximum is \(settings.maxLines)")
            } else if context > settings.maxContextLines {
                outcome = reject(sample, .tooMuchContext, "\(lines) lines need \(context) more (its class, helpers, constants); "
                                 + "the maximum is \(settings.maxContextLines)")
            } else if let dense = DataDensity.problem(in: analysis.dense_text ?? analysis.code_text ?? sample.code, longestLiteral: analysis.longest_literal ?? 0,
                                                      limit: settings.maxLiteralChars) {
                outcome = reject(sample, .dataDense, dense)
            } else if let names = undefined[sample.id], !names.isEmpty {
                outcome = reject(sample, .undefinedNames, "undefined: \(names.joined(separator: ", ")) (Ruff F821)")
            } else if analysis.generator == true {
                outcome = reject(sample, .generator, "generator functions return iterators whose values cannot be compared")
            } else if !analysis.takesArguments {
                outcome = reject(sample, .noParameters, analysis.kind == "instance"
                                 ? "neither the method nor its class's constructor takes arguments: there is only one input to test"
                                 : "a function without parameters has only one input to test")
            } else if let hash = analysis.hash, let first = seenHashes[hash] {
                outcome = reject(sample, .exactDuplicate, Self.duplicateDetail(first: first))
            } else {
                if let hash = analysis.hash { seenHashes[hash] = sample.id }
                outcome = keep(sample, evidence: jsonText(["hash": analysis.hash ?? ""]))
            }
            commits.append(StageCommit(outcome: outcome))
        }
        return commits
    }

    static func duplicateDetail(first: String) -> String {
        "same code as sample \(first) (after formatting and comments)"
    }

    /// The hash of the formatted code that a kept sample's evidence records.
    static func codeHash(evidence: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(evidence.utf8)) as? [String: String],
              let hash = object["hash"], !hash.isEmpty else { return nil }
        return hash
    }

    /// Hashes of samples kept in earlier batches or an earlier, interrupted run.
    func previouslyKeptHashes(_ store: RunDatabase) throws -> [String: String] {
        var hashes: [String: String] = [:]
        for (id, evidence) in try store.keptEvidence(by: name.rawValue) {
            if let hash = Self.codeHash(evidence: evidence) {
                // Which of several earlier copies is named does not matter; the smallest id makes the choice stable.
                if let other = hashes[hash], other < id { continue }
                hashes[hash] = id
            }
        }
        return hashes
    }
}

/// Long literals, base64 and hex runs: data embedded in code teaches a model nothing about code.
enum DataDensity {
    static let base64Run = try! NSRegularExpression(pattern: "[A-Za-z0-9+/]{64,}={0,2}")
    static let hexRun = try! NSRegularExpression(pattern: "(?:0x)?[0-9a-fA-F]{64,}")

    static func problem(in code: String, longestLiteral: Int, limit: Int) -> String? {
        if longestLiteral > limit { return "a string literal of \(longestLiteral) characters (limit \(limit))" }
        let range = NSRange(code.startIndex..., in: code)
        if hexRun.firstMatch(in: code, range: range) != nil { return "a run of 64 or more hex digits" }
        if let match = base64Run.firstMatch(in: code, range: range) {
            return "a base64-like run of \(match.range.length) characters"
        }
        let digits = code.filter(\.isNumber).count
        if code.count > 200 && Double(digits) / Double(code.count) > 0.4 {
            return "\(digits * 100 / code.count)% of the characters are digits"
        }
        return nil
    }
}

/// Undefined names per sample, from one Ruff run over a folder holding every sample of the batch.
enum UndefinedNames {
    struct Diagnostic: Decodable {
        var code: String?
        var message: String
        var filename: String
    }

    static func find(in batch: [SampleRecord], context: StageContext) throws -> [String: [String]] {
        guard let ruff = ExternalTool.ruff(cacheRoot: ModelCache.root) else {
            throw PipelineError.input(path: "ruff", message: "Ruff is not installed; run make setup")
        }
        let folder = context.runDirectory.appendingPathComponent("tmp-prefilter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for sample in batch {
            try sample.code.write(to: folder.appendingPathComponent("s_\(sample.id).py"), atomically: false, encoding: .utf8)
        }
        let result = try ExternalTool.run(ruff, ["check", "--isolated", "--no-cache", "--select", "F821",
                                                  "--output-format", "json", "--exit-zero", folder.path])
        guard result.status == 0 else {
            throw PipelineError.pythonTool(operation: "ruff check", detail: result.error)
        }
        let diagnostics = (try? JSONDecoder().decode([Diagnostic].self, from: Data(result.output.utf8))) ?? []
        var names: [String: [String]] = [:]
        for diagnostic in diagnostics {
            let file = URL(fileURLWithPath: diagnostic.filename).deletingPathExtension().lastPathComponent
            let id = String(file.dropFirst(2))
            // Ruff says: Undefined name `foo`
            let name = diagnostic.message.split(separator: "`").dropFirst().first.map(String.init) ?? diagnostic.message
            if !(names[id]?.contains(name) ?? false) { names[id, default: []].append(name) }
        }
        return names
    }
}
