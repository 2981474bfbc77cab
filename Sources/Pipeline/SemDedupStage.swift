// semdedup: SemDeDup over embeddings of instruction + code, with the same code as `semi-instruct dedup`.
// It sees every ranked sample at once, since duplicates are only defined within the whole set; their vectors wait in a
// file, and the clustering reads a sample of them, then a block or a cluster at a time (a merge may hold millions).
import Dedup
import Engine
import Foundation
import Store
import VectorIndex

struct SemDedupStage: Stage {
    let name = StageName.semdedup
    let batchSize = Int.max
    /// It reads stored vectors; the few samples that have none are read again whole to be embedded.
    let readsCode = false

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let settings = context.recipe.dedup
        // One sample has no duplicate in its own set, but may repeat a corpus already shipped.
        guard settings.enabled, batch.count > 1 || !(settings.against ?? []).isEmpty, let embedder = context.embedder else {
            return batch.map { StageCommit(outcome: keep($0), dedup: DedupRecord(sampleId: $0.id, cluster: 0, duplicateOf: nil, similarity: nil)) }
        }
        let start = DispatchTime.now()
        guard let keepPolicy = KeepPolicy(rawValue: settings.keep) else {
            throw PipelineError.recipe(path: "recipe", line: nil, key: "dedup.keep",
                                       message: "unknown keep policy '\(settings.keep)' (hard, easy, random)")
        }
        // Repeats of a corpus already shipped go first, so that none of them is what a new sample is kept or removed for.
        let shipped = try ShippedCorpora(settings, embedder: embedder, runDirectory: context.runDirectory, progress: context.progress)
        // The clustering always sees the whole set, so its decisions equal those of one uninterrupted pass.
        let embeddings = try await Self.unitRows(of: batch, embedder: embedder, context: context)
        var repeats: [(corpus: AgainstCorpus, match: AgainstMatch)?] = []
        if !shipped.corpora.isEmpty { try embeddings.forEachBlock { _, block in repeats += try shipped.nearest(block) } }
        let fresh = batch.indices.filter { i in !(i < repeats.count && repeats[i].map { $0.match.similarity > 1 - settings.eps } == true) }
        let freshRow = Dictionary(uniqueKeysWithValues: fresh.enumerated().map { ($1, $0) })
        var scan: SemDeDupScan?
        if fresh.count > 1 {
            let k = settings.clusters > 0 ? min(settings.clusters, fresh.count) : max(1, Int(Double(fresh.count).squareRoot().rounded()))
            // The same entry point as `dedup` (identical vectors kept in one cluster, then the scan).
            let clustering = ClusteringOptions(clusters: k, seed: settings.seed)
            scan = fresh.count == batch.count
                ? try SemDeDup.run(embeddings, clustering: clustering, keep: keepPolicy, seed: UInt64(settings.seed)).scan
                : try SemDeDup.run(RowSubset(embeddings, indices: fresh), clustering: clustering, keep: keepPolicy, seed: UInt64(settings.seed)).scan
        }
        let seconds = elapsed(since: start) / Double(batch.count)
        return batch.indices.map { i in
            let sample = batch[i]
            guard let row = freshRow[i] else {
                let old = repeats[i]!
                let record = old.match.id.map { "record \($0)" } ?? "the record on line \(old.match.line)"
                let evidence = jsonText(["index": old.corpus.directory.path, "corpus": old.corpus.manifest.corpus, "id": old.match.id ?? "",
                                         "line": String(old.match.line), "similarity": String(old.match.similarity)])
                return StageCommit(
                    outcome: reject(sample, .semanticDuplicate,
                                    "repeats \(record) of \(old.corpus.manifest.corpus) (similarity " + String(format: "%.4f", old.match.similarity)
                                    + ", eps \(settings.eps))", evidence: evidence, seconds: seconds),
                    // Cluster -1: taken out before the clustering.
                    dedup: DedupRecord(sampleId: sample.id, cluster: -1, duplicateOf: nil, similarity: old.match.similarity))
            }
            guard let scan else {
                return StageCommit(outcome: keep(sample, seconds: seconds), dedup: DedupRecord(sampleId: sample.id, cluster: 0, duplicateOf: nil, similarity: nil))
            }
            let cluster = scan.cluster[row]
            if scan.isRemoved(row, eps: settings.eps) {
                let original = batch[fresh[scan.duplicateOf[row]]]
                let similarity = scan.maxSimilarity[row]
                return StageCommit(
                    outcome: reject(sample, .semanticDuplicate,
                                    String(format: "duplicate of %@ (similarity %.4f, cluster %d, eps %g)", original.id, similarity, cluster, settings.eps),
                                    seconds: seconds),
                    dedup: DedupRecord(sampleId: sample.id, cluster: cluster, duplicateOf: original.id, similarity: similarity))
            }
            let nearest = scan.duplicateOf[row] >= 0 ? scan.maxSimilarity[row] : nil
            return StageCommit(outcome: keep(sample, seconds: seconds),
                               dedup: DedupRecord(sampleId: sample.id, cluster: cluster, duplicateOf: nil, similarity: nearest))
        }
    }

    /// Every sample's vector of instruction + code scaled to unit length, a row each in batch order, in a file under
    /// the run directory: stored ones as they are (a resumed run, or a merge, embeds nothing twice), missing ones
    /// embedded and stored a block at a time.
    static func unitRows(of batch: [SampleRecord], embedder: any Embedder, context: StageContext) async throws -> SpilledRows {
        let d = embedder.dimension
        let rows = try SpilledRows(rows: batch.count, columns: d, directory: context.runDirectory)
        var unit = [Float](repeating: 0, count: d)
        func write(_ index: Int, _ vector: UnsafeRawBufferPointer) throws {
            try unit.withUnsafeMutableBytes { target in
                target.copyMemory(from: vector)
                // A zero vector stays as it is, as `normalizeRows` leaves it.
                _ = Matrix.normalize(target.baseAddress!.assumingMemoryBound(to: Float.self), count: d)
                try rows.write(UnsafeRawBufferPointer(target), at: index)
            }
        }
        let missing = try context.store.embeddingRows(model: embedder.name, sampleIds: batch.map(\.id), dimension: d, write)
        for start in stride(from: 0, to: missing.count, by: SpilledRows.blockRows) {
            let part = Array(missing[start..<min(missing.count, start + SpilledRows.blockRows)])
            let samples = try part.map { index in
                guard let sample = try context.store.sample(id: batch[index].id) else {
                    throw PipelineError.input(path: context.runDirectory.path, message: "sample \(batch[index].id) is no longer in the run database")
                }
                return sample
            }
            for (index, vector) in zip(part, try await embed(samples, embedder: embedder, context: context)) {
                guard vector.count == d else { throw PipelineError.model("\(embedder.name) gave a vector of \(vector.count) values, not \(d)") }
                try vector.withUnsafeBytes { try write(index, $0) }
            }
        }
        return rows
    }

    /// The vectors of `batch` by sample id: stored ones as they are, missing ones embedded and stored.
    static func embeddings(of batch: [SampleRecord], embedder: any Embedder, context: StageContext) async throws -> [String: [Float]] {
        var stored = try context.store.embeddings(model: embedder.name, sampleIds: batch.map(\.id))
        let missing = batch.filter { stored[$0.id] == nil }
        guard !missing.isEmpty else { return stored }
        for (sample, vector) in zip(missing, try await embed(missing, embedder: embedder, context: context)) { stored[sample.id] = vector }
        return stored
    }

    /// Embeds and stores the vectors of samples that have none. Records which model made them, so a later pass over
    /// stored vectors knows their name and size without loading it.
    static func embed(_ missing: [SampleRecord], embedder: any Embedder, context: StageContext) async throws -> [[Float]] {
        let rewrites = try missing.map { try context.store.rewrite(of: $0.id) }
        // A method is what its row answers with, not the class around it (which its class's other methods share).
        let methods = try MethodRows(zip(missing, rewrites).compactMap { sample, rewrite in rewrite.map { (sample, $0) } })
        let texts = zip(missing, rewrites).map { sample, rewrite -> String in
            // The examples repeat the function's name and the tests' values: noise for meaning, so they are left out.
            let code = methods.parts[sample.id]?.method ?? rewrite?.code ?? sample.code
            return "\(rewrite.map(InstructionExamples.withoutExamples) ?? "")\n\(code)"
        }
        let fresh = try await embedder.embedding(texts)
        try context.store.saveEmbeddings(zip(missing, fresh).map { EmbeddingRecord(sampleId: $0.id, model: embedder.name, values: $1) })
        try StoredEmbedder.record(embedder, recipe: context.recipe, store: context.store)
        return fresh
    }
}
