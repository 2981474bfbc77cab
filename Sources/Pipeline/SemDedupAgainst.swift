// dedup.against: the samples SemDeDup kept, checked against corpora already shipped, so the next batch of data does
// not repeat the last one. Each corpus is indexed once (a saved Faiss index under the run directory).
import Dedup
import Engine
import Foundation
import ModelFiles
import VectorIndex

struct ShippedCorpora {
    let corpora: [AgainstCorpus]

    static let defaultFields = ["instruction", "response"]

    /// The recipe's corpora, read or indexed with the run's embedder.
    init(_ settings: Recipe.DedupSettings, embedder: any Embedder, runDirectory: URL, progress: ProgressReporter) throws {
        let paths = settings.against ?? []
        guard !paths.isEmpty else { corpora = []; return }
        let fields = settings.againstFields ?? Self.defaultFields
        let cache = CachedEmbedder(embedder: embedder, cache: try EmbeddingCache(directory: runDirectory, embedderName: embedder.name))
        corpora = try paths.map { path in
            if AgainstCorpus.isIndex(path) { return try AgainstCorpus.read(URL(fileURLWithPath: path), fields: fields, embedder: embedder.name) }
            guard FileManager.default.fileExists(atPath: path) else {
                throw PipelineError.recipe(path: "recipe", line: nil, key: "dedup.against", message: "\(path): no such file or directory")
            }
            // One index per corpus file, named after it and its path, so two corpora of one name do not collide.
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + "-"
                + String(SHA256.hex(Array(URL(fileURLWithPath: path).standardizedFileURL.path.utf8)).prefix(8))
            return try AgainstCorpus.open(corpus: URL(fileURLWithPath: path), fields: fields, embedder: cache,
                                          directory: runDirectory.appendingPathComponent("against").appendingPathComponent(name + ".index"),
                                          message: progress.message)
        }
    }

    /// What the corpora hold (a file's sha256, an index's corpus sha256), so that a corpus that changed is checked again.
    static func contents(_ paths: [String]) -> String {
        paths.map { path -> String in
            if AgainstCorpus.isIndex(path) {
                let manifest = try? JSONDecoder().decode(AgainstManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path).appendingPathComponent("manifest.json")))
                return manifest?.corpusSHA256 ?? "unreadable"
            }
            return (try? SHA256.hex(fileAt: URL(fileURLWithPath: path))) ?? "missing"
        }.joined(separator: ",")
    }

    /// For each unit row, the most similar old record over all corpora, with the corpus it is in.
    func nearest(_ vectors: Matrix) throws -> [(corpus: AgainstCorpus, match: AgainstMatch)?] {
        var best = [(corpus: AgainstCorpus, match: AgainstMatch)?](repeating: nil, count: vectors.rows)
        for corpus in corpora {
            for (row, match) in try corpus.nearest(vectors).enumerated() {
                guard let match else { continue }
                if let current = best[row], current.match.similarity >= match.similarity { continue }
                best[row] = (corpus, match)
            }
        }
        return best
    }
}
