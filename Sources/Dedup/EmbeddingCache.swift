// Embeddings cached on disk, keyed by the SHA-256 of the text and the embedder's name, so a rerun with
// another eps (or the same corpus again) embeds nothing. One append-only file per embedder:
//   "SIEMBED1", u32 dimension, u32 name length, name (UTF-8), then entries of
//   64 bytes (hex SHA-256 of the UTF-8 text) + dimension float32 (little-endian).
// A truncated last entry (an interrupted run) is ignored and overwritten.
import Foundation
import Engine
import ModelFiles

public final class EmbeddingCache {
    public let url: URL
    public let embedderName: String
    public private(set) var dimension: Int?
    private var vectors: [String: [Float]] = [:]
    private var pending: [(String, [Float])] = []
    private var validLength = 0
    private static let magic = Array("SIEMBED1".utf8)

    /// The cache file for `embedderName` in `directory` (created on first save).
    public init(directory: URL, embedderName: String) throws {
        let safeName = String(embedderName.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        url = directory.appendingPathComponent(".semi-instruct-embeddings.\(safeName).bin")
        self.embedderName = embedderName
        if FileManager.default.fileExists(atPath: url.path) { try load() }
    }

    public var count: Int { vectors.count }

    public static func key(_ text: String) -> String { SHA256.hex(Array(text.utf8)) }

    public func vector(forKey key: String) -> [Float]? { vectors[key] }

    public func insert(_ vector: [Float], forKey key: String) throws {
        if let dimension, dimension != vector.count {
            throw DedupError.cache(file: url.path, reason: "vector of dimension \(vector.count), cache holds \(dimension)")
        }
        dimension = vector.count
        guard vectors[key] == nil else { return }
        vectors[key] = vector
        pending.append((key, vector))
    }

    /// Appends the vectors inserted since the last save.
    public func save() throws {
        guard !pending.isEmpty, let dimension else { return }
        var bytes: [UInt8] = []
        if validLength == 0 {
            bytes += Self.magic
            withUnsafeBytes(of: UInt32(dimension).littleEndian) { bytes += $0 }
            withUnsafeBytes(of: UInt32(embedderName.utf8.count).littleEndian) { bytes += $0 }
            bytes += Array(embedderName.utf8)
        }
        for (key, vector) in pending {
            bytes += Array(key.utf8)
            for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        }
        do {
            if validLength == 0 { FileManager.default.createFile(atPath: url.path, contents: nil) }
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.truncate(atOffset: UInt64(validLength))
            try handle.seekToEnd()
            try handle.write(contentsOf: bytes)
        } catch {
            throw DedupError.cache(file: url.path, reason: error.localizedDescription)
        }
        validLength += bytes.count
        pending.removeAll()
    }

    private func load() throws {
        let data: [UInt8]
        do { data = try Array(Data(contentsOf: url)) } catch {
            throw DedupError.cache(file: url.path, reason: error.localizedDescription)
        }
        func u32(_ offset: Int) -> Int { (0..<4).reduce(0) { $0 | Int(data[offset + $1]) << (8 * $1) } }
        guard data.count >= 16, Array(data.prefix(8)) == Self.magic else {
            throw DedupError.cache(file: url.path, reason: "not an embedding cache (bad magic); delete it to rebuild")
        }
        let dimension = u32(8)
        let nameLength = u32(12)
        guard data.count >= 16 + nameLength, dimension > 0 else {
            throw DedupError.cache(file: url.path, reason: "truncated header; delete it to rebuild")
        }
        let name = String(decoding: data[16..<(16 + nameLength)], as: UTF8.self)
        guard name == embedderName else {
            throw DedupError.cache(file: url.path, reason: "holds embeddings of '\(name)', not '\(embedderName)'")
        }
        self.dimension = dimension
        let entrySize = 64 + 4 * dimension
        var offset = 16 + nameLength
        while offset + entrySize <= data.count {
            let key = String(decoding: data[offset..<(offset + 64)], as: UTF8.self)
            var vector = [Float](repeating: 0, count: dimension)
            for i in 0..<dimension { vector[i] = Float(bitPattern: UInt32(u32(offset + 64 + 4 * i))) }
            vectors[key] = vector
            offset += entrySize
        }
        validLength = offset
    }
}

/// Embeds through the cache: only texts whose key is not cached reach the embedder.
public final class CachedEmbedder {
    public let embedder: any Embedder
    public let cache: EmbeddingCache
    public private(set) var embeddedCount = 0
    public private(set) var cachedCount = 0

    public init(embedder: any Embedder, cache: EmbeddingCache) {
        self.embedder = embedder
        self.cache = cache
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        let keys = texts.map(EmbeddingCache.key)
        var missing: [Int] = []
        var seen = Set<String>()
        for (i, key) in keys.enumerated() where cache.vector(forKey: key) == nil && seen.insert(key).inserted {
            missing.append(i)
        }
        if !missing.isEmpty {
            let vectors = try embedder.embed(missing.map { texts[$0] })
            guard vectors.count == missing.count else {
                throw DedupError.embedder(name: embedder.name, reason: "returned \(vectors.count) vectors for \(missing.count) texts")
            }
            for (slot, i) in missing.enumerated() { try cache.insert(vectors[slot], forKey: keys[i]) }
        }
        embeddedCount += missing.count
        cachedCount += texts.count - missing.count
        return keys.map { cache.vector(forKey: $0)! }
    }
}
