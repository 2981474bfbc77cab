// `semi-instruct mix`: a run's verified code data and other instruction data in one set, at stated ratios.
import ArgumentParser
import Engine
import Foundation
import Pipeline

struct Mix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mix instruction data from several sources at stated ratios (e.g. code and natural language 1:1), removing exact and semantic duplicates across them.",
        discussion: """
        A source is NAME=PATH: a finished run directory (its verified samples) or a JSONL, JSON array or .jsonl.gz file of
        Alpaca (instruction, input, output), ShareGPT (conversations) or messages records. Without --total, the set is as
        large as the scarcest source allows at the ratio. Writes OUTPUT, OUTPUT with .removed (every record left out, with
        why) and OUTPUT with .card.md, a card with the composition.
        """)

    @Option(name: .customLong("source"), help: ArgumentHelp("A source, NAME=PATH; repeatable, in order of precedence for exact duplicates.", valueName: "NAME=PATH"))
    var sources: [String] = []

    @Option(help: ArgumentHelp("Weights by source name, e.g. code=1,nl=1 (default: equal).", valueName: "NAME=W,..."))
    var ratio: String?

    @Option(help: "Rows wanted (fewer, with a note, when the sources cannot give that many at the ratio).")
    var total: Int?

    @Option(help: "Output form: alpaca, sharegpt or messages.")
    var format = "messages"

    @Option(help: "SemDeDup threshold across sources: removed when similarity > 1 - eps.")
    var eps = 0.05

    @Option(help: "Text embedder for semantic dedup: minilm (default), a sentence-transformers directory, or hashing.")
    var embedder = "minilm"

    @Option(help: "Seed of the choice and order of rows.")
    var seed: UInt64 = 1234

    @Option(name: [.short, .customLong("output")], help: "The mixed set (JSONL).")
    var output: String

    func parsedSources() throws -> [(name: String, path: String)] {
        let parsed = try sources.map { text -> (name: String, path: String) in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
                throw ValidationError("--source \(text): write NAME=PATH")
            }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
        guard parsed.count >= 1 else { throw ValidationError("give at least one --source NAME=PATH") }
        guard Set(parsed.map(\.name)).count == parsed.count else { throw ValidationError("two sources share a name") }
        return parsed
    }

    func weights(for names: [String]) throws -> [String: Double] {
        guard let ratio else { return Dictionary(uniqueKeysWithValues: names.map { ($0, 1) }) }
        var weights: [String: Double] = [:]
        for part in ratio.split(separator: ",") {
            let pieces = part.split(separator: "=")
            guard pieces.count == 2, let weight = Double(pieces[1]), weight >= 0, weight.isFinite else {
                throw ValidationError("--ratio \(ratio): write NAME=WEIGHT,... with weights of 0 or more")
            }
            guard names.contains(String(pieces[0])) else { throw ValidationError("--ratio names '\(pieces[0])', which is not a --source") }
            weights[String(pieces[0])] = weight
        }
        guard Set(weights.keys) == Set(names) else {
            throw ValidationError("--ratio gives no weight to \(names.filter { weights[$0] == nil }.joined(separator: ", "))")
        }
        guard weights.values.contains(where: { $0 > 0 }) else { throw ValidationError("--ratio: at least one weight must be above 0") }
        return weights
    }

    func validate() throws {
        let names = try parsedSources().map(\.name)
        _ = try weights(for: names)
        guard DatasetExportOptions.Format(rawValue: format) != nil else { throw ValidationError("--format must be alpaca, sharegpt or messages") }
        guard eps > 0 && eps < 1 else { throw ValidationError("--eps must be between 0 and 1") }
        if let total, total < 1 { throw ValidationError("--total must be at least 1") }
    }

    func run() throws {
        let sources = try parsedSources()
        var options = MixOptions(sources: sources, ratio: try weights(for: sources.map(\.name)))
        options.total = total
        options.format = DatasetExportOptions.Format(rawValue: format)!
        options.eps = eps
        options.seed = seed
        let progress = ProgressReporter.automatic(quiet: false, json: false)
        let result = try DataMix.run(options, embedder: try EmbedderLoader.load(embedder), output: URL(fileURLWithPath: output), progress: progress)
        for part in result.composition {
            print("\(part.source): \(part.read) records, \(part.rejected) rejected, \(part.exactDuplicates) exact and \(part.semanticDuplicates) "
                  + "semantic duplicates, \(part.available) available, \(part.selected) selected")
        }
        if let shortfall = result.shortfall { print("note: \(shortfall)") }
        print("mixed: \(result.output) (\(result.rows) rows); removed: \(result.removed); card: \(result.card)")
    }
}
