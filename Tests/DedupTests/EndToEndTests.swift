// SemDeDup on real text (paragraphs of this repository's own Swift sources) with injected exact copies:
// at eps 0.01 at most one copy of each text survives, whatever the clustering and keep mode.
import Kernels
import Dedup
import Engine
import Foundation
import Testing
import VectorIndex

@Suite struct EndToEndTests {
    /// Distinct paragraphs (blocks between blank lines) of at least 80 characters from Sources/.
    static func realTexts(limit: Int) throws -> [String] {
        let files = FileManager.default.enumerator(at: TestFiles.sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
        var seen = Set<String>()
        var texts: [String] = []
        for file in files {
            for block in try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n\n")
            where block.count >= 80 && seen.insert(block).inserted {
                texts.append(block)
            }
        }
        return Array(texts.prefix(limit))
    }

    /// A JSONL corpus of the texts with an exact copy of every third one inserted later.
    static func writeCorpus(_ texts: [String], to url: URL) throws -> [String] {
        var generator = SplitMix64(seed: 99)
        var corpus = texts
        for (i, text) in texts.enumerated() where i % 3 == 0 {
            let position = Int(generator.next() % UInt64(corpus.count + 1))
            corpus.insert(text, at: max(position, corpus.firstIndex(of: text)! + 1))
        }
        let lines = try corpus.enumerated().map { id, text in
            String(decoding: try JSONSerialization.data(withJSONObject: ["code": text, "id": id], options: [.sortedKeys]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return corpus
    }

    @Test(arguments: [(1, KeepPolicy.hard), (4, .easy), (16, .random), (40, .hard)])
    func exactDuplicatesAreAlwaysRemoved(clusters: Int, keep: KeepPolicy) throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("corpus.jsonl")
        let corpus = try Self.writeCorpus(try Self.realTexts(limit: 240), to: input)
        let cache = try EmbeddingCache(directory: directory, embedderName: HashingEmbedder().name)
        let report = try DedupRun.run(
            input: input, settings: DedupParameters(fields: ["code"], eps: [0.01], clusters: clusters, keep: keep, iterations: 10),
            embeddings: .embedder(CachedEmbedder(embedder: HashingEmbedder(), cache: cache)))
        let paths = DedupOutputPaths.plan(output: directory.appendingPathComponent("kept.jsonl"), removed: nil, eps: [0.01])
        try DedupOutputWriter.write(report, to: paths)

        let kept = try TestFiles.lines(paths[0].kept)
        let removed = try TestFiles.jsonObjects(paths[0].removed)
        #expect(kept.count + removed.count == corpus.count)
        let keptTexts = try TestFiles.jsonObjects(paths[0].kept).map { $0["code"] as! String }
        #expect(Set(keptTexts).count == keptTexts.count, "an exact duplicate survived")
        // Kept lines are the input lines, unchanged and in input order.
        let inputLines = try TestFiles.lines(input)
        var cursor = inputLines.startIndex
        for line in kept {
            let found = try #require(inputLines[cursor...].firstIndex(of: line))
            cursor = found + 1
        }
        for entry in removed {
            let similarity = try #require(entry["similarity"] as? Double)
            #expect(similarity > 0.99)
            let match = try #require(entry["duplicate_of"] as? Int)
            #expect(match != entry["index"] as? Int)
        }
    }

    @Test func precomputedEmbeddingsGiveTheSameResultAndTheCacheSkipsEmbedding() throws {
        let directory = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("corpus.jsonl")
        let corpus = try Self.writeCorpus(try Self.realTexts(limit: 90), to: input)
        let settings = DedupParameters(fields: ["code"], eps: [0.01, 0.3], clusters: 3, keep: .hard, iterations: 10)

        let counting = CountingEmbedder(HashingEmbedder())
        let first = try DedupRun.run(input: input, settings: settings, embeddings: .embedder(
            CachedEmbedder(embedder: counting, cache: try EmbeddingCache(directory: directory, embedderName: counting.name))))
        #expect(counting.textsEmbedded == Set(corpus).count)
        let again = CountingEmbedder(HashingEmbedder())
        let second = try DedupRun.run(input: input, settings: settings, embeddings: .embedder(
            CachedEmbedder(embedder: again, cache: try EmbeddingCache(directory: directory, embedderName: again.name))))
        #expect(again.textsEmbedded == 0)
        #expect(second.cachedCount == corpus.count)
        #expect(second.scan.duplicateOf == first.scan.duplicateOf)

        let npy = directory.appendingPathComponent("vectors.npy")
        try NPYFile.write(try Matrix(rows: try HashingEmbedder().embed(corpus)), to: npy)
        let precomputed = try DedupRun.run(input: input, settings: settings, embeddings: .precomputed(npy))
        #expect(precomputed.scan.duplicateOf == first.scan.duplicateOf)
        #expect(precomputed.removedCount(eps: 0.3) >= precomputed.removedCount(eps: 0.01))

        let paths = DedupOutputPaths.plan(output: directory.appendingPathComponent("out.jsonl"), removed: nil, eps: settings.eps)
        #expect(paths.map(\.kept.lastPathComponent) == ["out.eps0.01.jsonl", "out.eps0.3.jsonl"])
        #expect(paths.map(\.removed.lastPathComponent) == ["out.removed.eps0.01.jsonl", "out.removed.eps0.3.jsonl"])
    }
}
