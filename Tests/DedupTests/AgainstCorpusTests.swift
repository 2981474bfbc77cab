import Dedup
import Engine
import Foundation
import Testing
import VectorIndex

/// `dedup --against`: new items that repeat a corpus already shipped are removed with the old record as evidence,
/// exactly as a brute-force search over the old corpus decides; the saved index is reused while the corpus is the same.
@Suite struct AgainstCorpusTests {
    /// Deterministic pseudo-random snippets: a few words of a small vocabulary each.
    static func snippets(_ count: Int, seed: UInt64) -> [String] {
        var state = seed
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let words = ["parse", "sum", "list", "tree", "node", "value", "index", "merge", "sort", "key", "token", "count",
                     "reverse", "filter", "map", "reduce", "window", "stack", "queue", "graph", "path", "cost", "range", "split"]
        return (0..<count).map { i in
            "def f\(i)(x): " + (0..<(8 + Int(next() % 8))).map { _ in words[Int(next() % UInt64(words.count))] }.joined(separator: " ")
        }
    }

    static func write(_ texts: [String], ids: Bool, to url: URL) throws {
        let lines = try texts.enumerated().map { i, text -> String in
            let object: [String: Any] = ids ? ["id": "old-\(i)", "text": text] : ["text": text]
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    static func unit(_ vector: [Float]) -> [Double] {
        let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        return vector.map { Double($0) / norm }
    }

    @Test func repeatsOfTheOldCorpusAreRemovedAsABruteForceSearchDecides() throws {
        let dir = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let oldTexts = Self.snippets(300, seed: 7)
        // New: exact copies, copies with a word changed (near repeats), and fresh snippets.
        var newTexts = (0..<20).map { oldTexts[$0 * 7] }
        newTexts += (0..<20).map { oldTexts[$0 * 11 + 3] + " extra" }
        newTexts += Self.snippets(60, seed: 99).map { $0.replacingOccurrences(of: "def f", with: "def g") }
        let old = dir.appendingPathComponent("old.jsonl"), new = dir.appendingPathComponent("new.jsonl")
        try Self.write(oldTexts, ids: true, to: old)
        try Self.write(newTexts, ids: false, to: new)

        let hashing = HashingEmbedder(dimension: 256)
        let cached = CachedEmbedder(embedder: hashing, cache: try EmbeddingCache(directory: dir, embedderName: hashing.name))
        let index = dir.appendingPathComponent("old.index")
        let against = try AgainstCorpus.open(corpus: old, fields: ["text"], embedder: cached, directory: index)
        #expect(against.manifest.lists == 0 && against.manifest.records.count == 300)
        let eps = 0.1
        let report = try DedupRun.run(input: new, settings: DedupParameters(fields: ["text"], eps: [eps], clusters: 5),
                                      embeddings: .embedder(cached), against: against)

        // Brute force: every new item against every old one, in Double.
        let oldVectors = try hashing.embed(oldTexts).map(Self.unit)
        var removedByBruteForce = 0
        for (item, text) in newTexts.enumerated() {
            let vector = Self.unit(try hashing.embed([text])[0])
            let similarities = oldVectors.map { zip($0, vector).reduce(0) { $0 + $1.0 * $1.1 } }
            let best = similarities.indices.max { similarities[$0] < similarities[$1] }!
            let match = try #require(report.against[item])
            #expect(match.record == best && match.line == best + 1 && match.id == "old-\(best)", "item \(item)")
            #expect(abs(match.similarity - similarities[best]) < 1e-5)
            #expect(abs(similarities[best] - (1 - eps)) > 1e-4, "item \(item) sits on the threshold: the test cannot tell")
            #expect((report.repeatsOld(item, eps: eps) != nil) == (similarities[best] > 1 - eps), "item \(item)")
            if similarities[best] > 1 - eps { removedByBruteForce += 1 }
        }
        // The copies are all found, and most of the near repeats; the fresh snippets are not repeats.
        #expect(removedByBruteForce >= 30 && (0..<20).allSatisfy { report.repeatsOld($0, eps: eps) != nil })
        #expect(report.removedAgainstCount(eps: eps) == removedByBruteForce)

        // The removed file names the old record; kept records are the rest, unchanged.
        let paths = DedupOutputPaths.plan(output: dir.appendingPathComponent("out.jsonl"), removed: nil, eps: [eps])
        try DedupOutputWriter.write(report, to: paths)
        let removed = try TestFiles.jsonObjects(paths[0].removed).filter { $0["against"] != nil }
        #expect(removed.count == removedByBruteForce)
        let first = try #require(removed.first { $0["index"] as? Int == 0 })
        #expect(first["duplicate_of_id"] as? String == "old-0" && first["duplicate_of_line"] as? Int == 1 && first["against"] as? String == index.path)
        #expect(try TestFiles.lines(paths[0].kept).count == report.keptCount(eps: eps))
    }

    @Test func theIndexIsReusedWhileTheCorpusIsTheSameAndRefusedForAnotherEmbedder() throws {
        let dir = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = dir.appendingPathComponent("old.jsonl")
        try Self.write(Self.snippets(50, seed: 3), ids: false, to: old)
        let index = dir.appendingPathComponent("old.index")
        let counting = CountingEmbedder(HashingEmbedder(dimension: 64))
        func open() throws -> AgainstCorpus {
            // A fresh cache each time: only a rebuilt index embeds anything.
            let fresh = dir.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
            let cache = try EmbeddingCache(directory: fresh, embedderName: counting.name)
            return try AgainstCorpus.open(corpus: old, fields: ["text"], embedder: CachedEmbedder(embedder: counting, cache: cache), directory: index)
        }
        _ = try open()
        #expect(counting.textsEmbedded == 50)
        _ = try open()
        #expect(counting.textsEmbedded == 50)
        // Another corpus at the same path is indexed again.
        try Self.write(Self.snippets(40, seed: 4), ids: false, to: old)
        #expect(try open().manifest.records.count == 40 && counting.textsEmbedded == 90)
        // The index directory read as it is, but not for vectors of another embedder or other fields.
        #expect(AgainstCorpus.isIndex(index.path))
        #expect(try AgainstCorpus.read(index, fields: ["text"], embedder: counting.name).manifest.records.count == 40)
        #expect(throws: DedupError.self) { try AgainstCorpus.read(index, fields: ["text"], embedder: "minilm") }
        #expect(throws: DedupError.self) { try AgainstCorpus.read(index, fields: ["code"], embedder: counting.name) }
        // A damaged index file is named.
        try Data("not an index".utf8).write(to: index.appendingPathComponent("index.faiss"))
        #expect(throws: DedupError.self) { try AgainstCorpus.read(index, fields: ["text"], embedder: counting.name) }
    }

    /// The IVF index large corpora get: with every list probed it finds what a flat search finds, and it survives
    /// being written and read back.
    @Test func anIVFIndexWrittenAndReadBackFindsTheExactNearest() throws {
        let dir = try TestFiles.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var state: UInt64 = 11
        func next() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(state >> 40) / Float(1 << 24) - 0.5 }
        let dimension = 32, count = 3000
        func unitRows(_ n: Int) throws -> Matrix {
            let rows = (0..<n).map { _ in Self.unit((0..<dimension).map { _ in next() }).map(Float.init) }
            return try Matrix(rows: rows)
        }
        let base = try unitRows(count), queries = try unitRows(100)
        let ivf = try SavedIndex(dimension: dimension, lists: 16)
        try ivf.train(base)
        try ivf.add(base)
        let file = dir.appendingPathComponent("ivf.faiss")
        try ivf.write(to: file)
        let read = try SavedIndex(contentsOf: file)
        #expect(read.count == count && read.lists == 16 && read.dimension == dimension)
        let found = try read.nearest(queries, probes: 16)
        for q in 0..<queries.rows {
            let scores = (0..<count).map { b in zip(base.row(b), queries.row(q)).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
            let best = scores.indices.max { scores[$0] < scores[$1] }!
            #expect(found.labels[q] == best && abs(found.scores[q] - scores[best]) < 1e-4, "query \(q)")
        }
        #expect(throws: VectorIndexError.self) { try SavedIndex(contentsOf: dir.appendingPathComponent("missing.faiss")) }
    }
}
