// mix: generated code data and other instruction data in one fine-tuning set, at stated ratios, with exact and
// semantic duplicates removed across sources, and a card that says what went in.
import Dedup
import Engine
import Foundation
import Kernels
import ModelFiles
import VectorIndex

public struct MixOptions: Sendable {
    public var sources: [(name: String, path: String)]
    /// Relative weight of each source by name; every source has one.
    public var ratio: [String: Double]
    /// Rows wanted; nil for as many as the scarcest source allows at the ratio.
    public var total: Int?
    public var format: DatasetExportOptions.Format = .messages
    public var eps: Double = SemDeDup.defaultEps
    public var seed: UInt64 = 1234

    public init(sources: [(name: String, path: String)], ratio: [String: Double]) {
        self.sources = sources; self.ratio = ratio
    }
}

/// What happened to each source's records.
public struct MixComposition: Sendable, Equatable {
    public var source: String
    public var path: String
    public var read: Int
    public var rejected: Int
    public var exactDuplicates: Int
    public var semanticDuplicates: Int
    public var available: Int
    public var weight: Double
    public var selected: Int
}

public struct MixResult: Sendable {
    public var output: String
    public var removed: String
    public var card: String
    public var rows: Int
    public var composition: [MixComposition]
    /// Set when `total` asked for more rows than the ratio allows.
    public var shortfall: String?
}

public enum DataMix {
    public static func run(_ options: MixOptions, embedder: any Embedder, output: URL, progress: ProgressReporter) throws -> MixResult {
        let directory = output.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let scratch = directory.appendingPathComponent(".mix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for source in options.sources where URL(fileURLWithPath: source.path).standardizedFileURL == output.standardizedFileURL {
            throw PipelineError.input(path: output.path, message: "the output is the source '\(source.name)'; choose another output path")
        }
        var sources = try options.sources.map { try MixReader.read(name: $0.name, path: $0.path, scratch: scratch) }
        if options.format == .alpaca {
            // Alpaca holds one exchange: longer conversations are left out, each named, rather than the whole mix stopped.
            for index in sources.indices {
                let long = sources[index].items.filter { $0.turns.count > 2 }
                sources[index].rejected += long.map { ($0.line, "a conversation of \($0.turns.count / 2) exchanges; Alpaca holds one (write sharegpt or messages)") }
                sources[index].items.removeAll { $0.turns.count > 2 }
            }
        }
        var removed: [(item: MixItem, reason: String)] = []
        for source in sources {
            for rejection in source.rejected { progress.message("\(source.path):\(rejection.line): rejected: \(rejection.reason)") }
        }

        // Exact duplicates, across sources too: the first in the order the sources were given stays.
        var pool: [MixItem] = []
        var firstOf: [String: MixItem] = [:]
        for item in sources.flatMap(\.items) {
            let key = SHA256.hex(Array(normalized(item.text).utf8))
            if let first = firstOf[key] {
                removed.append((item, "exact duplicate of \(first.source) line \(first.line)"))
            } else {
                firstOf[key] = item
                pool.append(item)
            }
        }
        let exact = Dictionary(grouping: removed, by: \.item.source).mapValues(\.count)

        // Semantic duplicates over everything left, with the same SemDeDup as `dedup` and `build`.
        var semantic: [String: Int] = [:]
        if pool.count > 1 {
            let cache = CachedEmbedder(embedder: embedder, cache: try EmbeddingCache(directory: directory, embedderName: embedder.name))
            var vectors: [[Float]] = []
            for start in stride(from: 0, to: pool.count, by: 256) {
                vectors += try cache.embed(pool[start..<min(start + 256, pool.count)].map(\.text))
            }
            try cache.cache.save()
            let (matrix, _) = try Matrix(rows: vectors).normalizedRows()
            let k = max(1, Int(Double(pool.count).squareRoot().rounded()))
            let (_, scan, _) = try SemDeDup.run(matrix, clustering: ClusteringOptions(clusters: k, seed: Int(truncatingIfNeeded: options.seed)),
                                                keep: .hard, seed: options.seed)
            var survivors: [MixItem] = []
            for (index, item) in pool.enumerated() {
                if scan.isRemoved(index, eps: options.eps) {
                    let original = pool[scan.duplicateOf[index]]
                    removed.append((item, "semantic duplicate of \(original.source) line \(original.line) (similarity "
                                    + String(format: "%.4f", scan.maxSimilarity[index]) + ", eps \(options.eps))"))
                    semantic[item.source, default: 0] += 1
                } else {
                    survivors.append(item)
                }
            }
            pool = survivors
        }

        // The ratio: as many rows as the scarcest source allows (or `total`, if that is fewer), split by weight.
        let available = Dictionary(grouping: pool, by: \.source)
        let weights = sources.map { options.ratio[$0.name] ?? 0 }
        let weightSum = weights.reduce(0, +)
        var possible = Int.max
        for (source, weight) in zip(sources, weights) where weight > 0 {
            let count = Double(available[source.name]?.count ?? 0)
            possible = min(possible, Int((count * weightSum / weight).rounded(.down)))
        }
        let total = min(options.total ?? possible, possible)
        let shortfall = options.total.flatMap { $0 > possible ? "\($0) rows were asked for; the sources allow \(possible) at this ratio" : nil }
        let quotas = apportion(total, weights: weights)
        var generator = SplitMix64(seed: options.seed)
        var chosen: [MixItem] = []
        var composition: [MixComposition] = []
        for (index, source) in sources.enumerated() {
            var candidates = available[source.name] ?? []
            candidates.shuffle(using: &generator)
            let take = min(quotas[index], candidates.count)
            chosen += candidates.prefix(take)
            for item in candidates.dropFirst(take) { removed.append((item, "over the ratio (\(take) of \(candidates.count) taken)")) }
            composition.append(MixComposition(source: source.name, path: source.path, read: source.items.count + source.rejected.count,
                                              rejected: source.rejected.count, exactDuplicates: exact[source.name] ?? 0,
                                              semanticDuplicates: semantic[source.name] ?? 0, available: candidates.count,
                                              weight: weights[index], selected: take))
        }
        chosen.shuffle(using: &generator)

        var text = ""
        for item in chosen { text += try encode(item, format: options.format) + "\n" }
        try text.write(to: output, atomically: true, encoding: .utf8)
        let removedURL = DedupOutputPaths.insertingSuffix(".removed", into: output)
        var removedText = ""
        for source in sources {
            for rejection in source.rejected {
                removedText += jsonLine(["source": source.name, "line": rejection.line, "rejected": rejection.reason])
            }
        }
        for (item, reason) in removed.sorted(by: { ($0.item.source, $0.item.line) < ($1.item.source, $1.item.line) }) {
            removedText += jsonLine(["source": item.source, "line": item.line, "removed": reason])
        }
        try removedText.write(to: removedURL, atomically: true, encoding: .utf8)
        // Named after the output, so that a README.md already beside it (another dataset's card) stays.
        let card = output.deletingPathExtension().appendingPathExtension("card.md")
        try MixCard.render(composition, rows: chosen.count, options: options, shortfall: shortfall, embedder: embedder.name)
            .write(to: card, atomically: true, encoding: .utf8)
        return MixResult(output: output.path, removed: removedURL.path, card: card.path, rows: chosen.count, composition: composition,
                         shortfall: shortfall)
    }

    /// Whitespace runs made one space: formatting alone does not make two records different.
    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// `total` split by weight: floors first, the rest to the largest remainders (earlier sources on ties).
    public static func apportion(_ total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0 else { return weights.map { _ in 0 } }
        let exact = weights.map { Double(total) * $0 / sum }
        var shares = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - Double(shares[$0]), -$0) > (exact[$1] - Double(shares[$1]), -$1) }
        for index in order.prefix(total - shares.reduce(0, +)) { shares[index] += 1 }
        return shares
    }

    static func encode(_ item: MixItem, format: DatasetExportOptions.Format) throws -> String {
        var object: [String: Any]
        switch format {
        case .alpaca:
            object = ["instruction": item.turns[0].content, "input": "", "output": item.turns[1].content]
            if let system = item.system { object["system"] = system }
        case .sharegpt:
            let turns = item.turns.map { ["from": $0.role == "user" ? "human" : "gpt", "value": $0.content] }
            object = ["conversations": (item.system.map { [["from": "system", "value": $0]] } ?? []) + turns]
        case .messages:
            let turns = item.turns.map { ["role": $0.role, "content": $0.content] }
            object = ["messages": (item.system.map { [["role": "system", "content": $0]] } ?? []) + turns]
        }
        object["source"] = item.source
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func jsonLine(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// The card of a mixed set: each source's records through the funnel, and the share it ends with.
enum MixCard {
    static func render(_ composition: [MixComposition], rows: Int, options: MixOptions, shortfall: String?, embedder: String) -> String {
        var lines = ["# Mixed instruction data", "",
                     "\(rows) rows (\(options.format.rawValue)) from \(composition.count) sources at the ratio "
                        + composition.map { "\($0.source) \(number($0.weight))" }.joined(separator: " : ") + ".", ""]
        if let shortfall { lines += ["Fewer rows than asked: \(shortfall).", ""] }
        lines += ["| source | file | records | rejected | exact duplicates | semantic duplicates | available | selected | share |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for part in composition {
            let share = rows > 0 ? String(format: "%.1f %%", 100 * Double(part.selected) / Double(rows)) : "-"
            lines.append("| \(part.source) | \(part.path) | \(part.read) | \(part.rejected) | \(part.exactDuplicates) | \(part.semanticDuplicates) "
                         + "| \(part.available) | \(part.selected) | \(share) |")
        }
        lines += ["", "Exact duplicates (the same text up to whitespace) and semantic duplicates (SemDeDup, \(embedder), eps \(options.eps)) "
                  + "are removed across sources (of exact copies, the one in the source given first stays). Rows are a seeded choice (seed \(options.seed)), "
                  + "shuffled. Every record left out is in the removed file with why.", "", ""]
        return lines.joined(separator: "\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
