// dedup --against: a corpus already shipped, kept as a saved Faiss index with a manifest saying which embedder and
// fields made its vectors and which record each vector is, so that a new batch does not repeat the last one.
import Foundation
import ModelFiles
import VectorIndex

/// What an index directory holds besides `index.faiss`.
public struct AgainstManifest: Codable, Equatable, Sendable {
    public var format = 1
    /// The corpus file as it was read, and its sha256 (an index is rebuilt when the corpus changes).
    public var corpus: String
    public var corpusSHA256: String
    public var fields: [String]
    public var embedder: String
    public var dimension: Int
    /// 0 for a flat (exact) index.
    public var lists: Int
    /// Record index (0-based) and line (1-based) of each vector, in index order.
    public var records: [Int]
    public var lines: [Int]
    /// Each record's own `id` field (a string or number), where it has one.
    public var ids: [String?]
}

/// The nearest old record of one new item.
public struct AgainstMatch: Sendable, Equatable {
    public var record: Int
    public var line: Int
    public var id: String?
    public var similarity: Double
}

public final class AgainstCorpus {
    public let manifest: AgainstManifest
    public let directory: URL
    let index: SavedIndex

    static let manifestName = "manifest.json", indexName = "index.faiss"

    init(manifest: AgainstManifest, directory: URL, index: SavedIndex) {
        self.manifest = manifest; self.directory = directory; self.index = index
    }

    /// Whether `path` is an index directory written by `build`.
    public static func isIndex(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent(manifestName).path)
    }

    /// Reads an index directory, refusing one made with other fields or another embedder (its vectors would not compare).
    public static func read(_ directory: URL, fields: [String], embedder: String) throws -> AgainstCorpus {
        let manifestURL = directory.appendingPathComponent(manifestName)
        let manifest: AgainstManifest
        do {
            manifest = try JSONDecoder().decode(AgainstManifest.self, from: Data(contentsOf: manifestURL))
        } catch {
            throw DedupError.against(path: manifestURL.path, reason: "unreadable manifest: \(error)")
        }
        guard manifest.fields == fields, manifest.embedder == embedder else {
            throw DedupError.against(path: directory.path, reason: "made from fields \(manifest.fields.joined(separator: ",")) with embedder "
                                     + "\(manifest.embedder); this run embeds \(fields.joined(separator: ",")) with \(embedder)")
        }
        let index: SavedIndex
        do { index = try SavedIndex(contentsOf: directory.appendingPathComponent(indexName)) } catch {
            throw DedupError.against(path: directory.appendingPathComponent(indexName).path, reason: error.localizedDescription)
        }
        guard index.count == manifest.records.count, index.count == manifest.lines.count, index.count == manifest.ids.count,
              index.dimension == manifest.dimension else {
            throw DedupError.against(path: directory.path, reason: "the index holds \(index.count) vectors of dimension \(index.dimension), "
                                     + "the manifest \(manifest.records.count) of \(manifest.dimension)")
        }
        return AgainstCorpus(manifest: manifest, directory: directory, index: index)
    }

    /// The index of `corpus` in `directory`: read when it was made from the same file, fields and embedder, else built
    /// (every record's fields embedded through the cache, flat up to `SavedIndex.flatLimit` vectors, IVF beyond) and
    /// written there.
    public static func open(corpus: URL, fields: [String], embedder: CachedEmbedder, directory: URL,
                            message: (String) -> Void = { _ in }) throws -> AgainstCorpus {
        let digest = try SHA256.hex(fileAt: corpus)
        if isIndex(directory.path), let existing = try? read(directory, fields: fields, embedder: embedder.embedder.name),
           existing.manifest.corpusSHA256 == digest {
            return existing
        }
        var records: [Int] = [], lines: [Int] = [], ids: [String?] = [], texts: [String] = [], vectors: [Float] = []
        var dimension = 0
        func flush() throws {
            for vector in try embedder.embed(texts) {
                if dimension == 0 { dimension = vector.count }
                guard vector.count == dimension else {
                    throw DedupError.embedder(name: embedder.embedder.name, reason: "vectors of dimension \(vector.count) and \(dimension)")
                }
                vectors += vector
            }
            texts.removeAll(keepingCapacity: true)
        }
        _ = try RecordReader.forEach(corpus) { record in
            guard case let .success(text) = RecordText.extract(record, fields: fields) else { return }
            records.append(record.index); lines.append(record.line); texts.append(text); ids.append(Self.id(of: record))
            if texts.count >= 256 { try flush() }
        }
        try flush()
        try embedder.cache.save()
        guard !records.isEmpty else { throw DedupError.against(path: corpus.path, reason: "no record has the field(s) \(fields.joined(separator: ","))") }
        var matrix = try Matrix(rows: records.count, columns: dimension, values: vectors)
        vectors = []
        let degenerate = Set(matrix.normalizeRows())
        if !degenerate.isEmpty {
            let usable = (0..<matrix.rows).filter { !degenerate.contains($0) }
            matrix = try Matrix(rows: usable.count, columns: dimension, values: usable.flatMap { matrix.row($0) })
            records = usable.map { records[$0] }; lines = usable.map { lines[$0] }; ids = usable.map { ids[$0] }
        }
        let index = try SavedIndex(dimension: dimension, expected: matrix.rows)
        if index.lists > 0 {
            // Faiss trains on at most 256 points a list: an even stride through the corpus gives them.
            let sampleSize = min(matrix.rows, index.lists * 256)
            let stride = max(1, matrix.rows / sampleSize)
            let rows = Array(Swift.stride(from: 0, to: matrix.rows, by: stride).prefix(sampleSize))
            try index.train(try Matrix(rows: rows.count, columns: dimension, values: rows.flatMap { matrix.row($0) }))
        }
        try index.add(matrix)
        message("indexed \(matrix.rows) records of \(corpus.path) (\(index.lists == 0 ? "flat" : "IVF, \(index.lists) lists")) in \(directory.path)")
        let manifest = AgainstManifest(corpus: corpus.path, corpusSHA256: digest, fields: fields, embedder: embedder.embedder.name,
                                       dimension: dimension, lists: index.lists, records: records, lines: lines, ids: ids)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try index.write(to: directory.appendingPathComponent(indexName))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(manifest).write(to: directory.appendingPathComponent(manifestName), options: .atomic)
        return AgainstCorpus(manifest: manifest, directory: directory, index: index)
    }

    /// The nearest old record of each row of `vectors` (unit rows), nil where none was found; the similarity is the
    /// inner product Faiss computed (exact for a flat index; an IVF index searches the `probes` nearest lists).
    public func nearest(_ vectors: Matrix, probes: Int = 64) throws -> [AgainstMatch?] {
        guard vectors.columns == manifest.dimension else {
            throw DedupError.against(path: directory.path, reason: "its vectors have \(manifest.dimension) dimensions, these \(vectors.columns)")
        }
        let found = try index.nearest(vectors, probes: probes)
        return found.labels.enumerated().map { item, label in
            guard label >= 0 else { return nil }
            return AgainstMatch(record: manifest.records[label], line: manifest.lines[label], id: manifest.ids[label],
                                similarity: Double(found.scores[item]))
        }
    }

    /// A record's `id` field as text, when it is a string or a number.
    static func id(of record: InputRecord) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(record.bytes)) as? [String: Any] else { return nil }
        switch object["id"] {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }
}
