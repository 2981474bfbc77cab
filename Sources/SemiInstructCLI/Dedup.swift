// `semi-instruct dedup`: SemDeDup over a JSONL / JSON array / .jsonl.gz corpus.
import ArgumentParser
import CommandOptions
import Dedup
import Engine
import ModelFiles
import Pipeline
import Foundation

struct DedupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Remove semantic near-duplicates (SemDeDup): embed, cluster, drop items too similar to an earlier one.",
        discussion: """
        An item is removed when its cosine similarity to an item earlier in its cluster's order exceeds 1 - eps.
        Kept records are written unchanged, in input order. Removed and rejected records go to the removed file
        with the reason. With several eps values each gets its own files: OUTPUT and REMOVED with .eps<value>
        inserted before the extension. Embeddings are cached next to OUTPUT, keyed by text and embedder.
        """)

    @Argument(help: "Input corpus: JSON Lines, a JSON array of objects, or either gzip-compressed.")
    var input: String

    @Option(help: "The string field to embed.")
    var field: String?

    @Option(help: "Several string fields to embed, comma-separated (joined with a blank line).")
    var fields: String?

    @Option(help: "Similarity threshold(s): removed when similarity > 1 - eps; comma-separated for several.")
    var eps = String(SemDeDup.defaultEps)

    @Option(help: "Number of k-means clusters (reduced with a warning when there are fewer records).")
    var clusters = 1000

    @Option(help: "Which near-duplicate survives: hard (farthest from the centroid), easy (nearest), random.")
    var keep = KeepPolicy.hard

    @Option(help: "Seed for k-means and for --keep random.")
    var seed = 1234

    @Option(help: "k-means iterations.")
    var niter = 100

    @Option(name: .customLong("max-points-per-centroid"), help: "k-means trains on at most this many points per centroid.")
    var maxPointsPerCentroid = 256

    @Option(help: "Cluster assignment: flat (exact, fastest measured here) or ivf (inverted file, approximate).")
    var assign = AssignmentMethod.flat

    @Option(help: "Text embedder: minilm (default), a sentence-transformers directory, smollm2 or a GGUF decoder (mean of its last hidden states), or hashing (character trigrams, exact/near-exact duplicates only).")
    var embedder = "minilm"

    @Option(help: ArgumentHelp("A corpus already shipped (same fields), or an index directory an earlier run wrote: items as similar to one of its records as to a duplicate are removed, with that record as evidence. A corpus is embedded once and indexed (Faiss: flat up to 100,000 records, IVF beyond) into --against-index.", valueName: "CORPUS|INDEX"))
    var against: String?

    @Option(name: .customLong("against-index"), help: "Where the index of an --against corpus is written and reused from (default: beside OUTPUT, named after the corpus, .index).")
    var againstIndex: String?

    @Option(help: "Precomputed float32 embeddings (.npy, n x d, C order); row i belongs to record i. Overrides --embedder.")
    var embeddings: String?

    @Option(name: [.short, .customLong("output")], help: "Where the kept records go.")
    var output: String

    @Option(help: "Where removed and rejected records go (default: OUTPUT with .removed before the extension).")
    var removed: String?

    var fieldNames: [String] {
        (fields.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []) + (field.map { [$0] } ?? [])
    }

    var epsValues: [Double] { eps.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !fieldNames.isEmpty, !fieldNames.contains("") else { throw ValidationError("give the text field: --field NAME or --fields A,B") }
        let values = eps.split(separator: ",")
        guard !values.isEmpty, epsValues.count == values.count, epsValues.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw ValidationError("--eps must be numbers between 0 and 1, comma-separated; got '\(eps)'")
        }
        guard Set(epsValues).count == epsValues.count else { throw ValidationError("--eps lists a value twice: '\(eps)'") }
        guard clusters >= 1 else { throw ValidationError("--clusters must be at least 1") }
        guard niter >= 1 else { throw ValidationError("--niter must be at least 1") }
        // The model is found here and loaded once, in run.
        if embeddings == nil {
            do { _ = try EmbedderLoader.locate(embedder) } catch {
                throw ValidationError("--embedder: \(error.localizedDescription); give minilm, a sentence-transformers directory, smollm2 or a GGUF file (mean of the decoder's last hidden states), or hashing")
            }
        }
        if against != nil && embeddings != nil {
            throw ValidationError("--against embeds the old corpus with --embedder; it cannot be used with precomputed --embeddings")
        }
        if let against, !FileManager.default.fileExists(atPath: against) { throw ValidationError("--against \(against): no such file or directory") }
        let inputPath = URL(fileURLWithPath: input).standardizedFileURL.path
        for target in [output] + (removed.map { [$0] } ?? []) {
            guard URL(fileURLWithPath: target).standardizedFileURL.path != inputPath else {
                throw ValidationError("\(target) is the input file; choose another output path")
            }
            guard !target.hasSuffix(".gz") else {
                throw ValidationError("\(target): outputs are written uncompressed; drop the .gz")
            }
        }
    }

    func run() throws {
        let inputURL = URL(fileURLWithPath: input)
        let outputURL = URL(fileURLWithPath: output)
        let settings = DedupParameters(fields: fieldNames, eps: epsValues, clusters: clusters, keep: keep, seed: seed,
                                     iterations: niter, maxPointsPerCentroid: maxPointsPerCentroid, assignment: assign)
        let source: EmbeddingSource
        var old: AgainstCorpus?
        if let embeddings {
            source = .precomputed(URL(fileURLWithPath: embeddings))
        } else {
            let loaded = try EmbedderLoader.load(embedder)
            let cache = try EmbeddingCache(directory: outputURL.deletingLastPathComponent(), embedderName: loaded.name)
            let cached = CachedEmbedder(embedder: loaded, cache: cache)
            source = .embedder(cached)
            if let against {
                var err = StandardError()
                old = AgainstCorpus.isIndex(against)
                    ? try AgainstCorpus.read(URL(fileURLWithPath: against), fields: fieldNames, embedder: loaded.name)
                    : try AgainstCorpus.open(corpus: URL(fileURLWithPath: against), fields: fieldNames, embedder: cached,
                                             directory: againstIndexDirectory(corpus: against)) { Swift.print($0, to: &err) }
            }
        }
        let report = try DedupRun.run(input: inputURL, settings: settings, embeddings: source, against: old)
        let paths = DedupOutputPaths.plan(output: outputURL, removed: removed.map { URL(fileURLWithPath: $0) },
                                          eps: epsValues)
        try DedupOutputWriter.write(report, to: paths)
        DedupSummary.print(report, paths: paths, source: source)
    }

    /// `--against-index`, else beside the output: `NAME.index` for the corpus `NAME.jsonl`.
    func againstIndexDirectory(corpus: String) -> URL {
        if let againstIndex { return URL(fileURLWithPath: againstIndex) }
        let name = URL(fileURLWithPath: corpus).deletingPathExtension().lastPathComponent
        return URL(fileURLWithPath: output).deletingLastPathComponent().appendingPathComponent(name + ".index")
    }
}
