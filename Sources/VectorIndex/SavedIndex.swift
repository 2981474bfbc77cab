// An inner-product Faiss index kept on disk (faiss::write_index / read_index): the vectors of a corpus already
// shipped, searched for the nearest old item of each new one. Flat (exact) for small corpora, IVF beyond.
import CFaiss
import Foundation

public final class SavedIndex {
    private let handle: OpaquePointer

    /// Corpora up to this many vectors get an exact flat index; larger ones an IVF index.
    public static let flatLimit = 100_000

    /// An empty index for `expected` vectors: flat up to `flatLimit`, else IVF over 4·√n lists (train it first).
    public convenience init(dimension: Int, expected: Int, seed: Int = 1234) throws {
        let lists = expected <= Self.flatLimit ? 0 : Int(4 * Double(expected).squareRoot())
        try self.init(dimension: dimension, lists: lists, seed: seed)
    }

    /// An empty index: flat when `lists` is 0, IVF over `lists` lists otherwise.
    public init(dimension: Int, lists: Int, seed: Int = 1234) throws {
        var created: OpaquePointer?
        try FaissCall.run("index creation") { error, size in
            si_faiss_saved_create(Int32(dimension), Int32(lists), Int32(truncatingIfNeeded: seed), &created, error, size)
        }
        guard let created else { throw VectorIndexError.faiss(operation: "index creation", message: "no index returned") }
        handle = created
    }

    /// Reads an index written by `write(to:)`.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw VectorIndexError.faiss(operation: "reading \(url.path)", message: "no such file")
        }
        var read: OpaquePointer?
        try FaissCall.run("reading \(url.path)") { error, size in si_faiss_saved_read(url.path, &read, error, size) }
        guard let read else { throw VectorIndexError.faiss(operation: "reading \(url.path)", message: "no index returned") }
        handle = read
    }

    deinit { si_faiss_saved_free(handle) }

    public var count: Int { Int(si_faiss_saved_count(handle)) }
    public var dimension: Int { Int(si_faiss_saved_dimension(handle)) }
    /// 0 for a flat index.
    public var lists: Int { Int(si_faiss_saved_lists(handle)) }

    /// Trains an IVF index on a sample of the vectors (nothing for a flat one).
    public func train(_ sample: Matrix) throws {
        try check(sample, "training sample")
        try FaissCall.run("index training") { error, size in
            sample.values.withUnsafeBufferPointer { si_faiss_saved_train(handle, Int64(sample.rows), $0.baseAddress, error, size) }
        }
    }

    public func add(_ vectors: Matrix) throws {
        try check(vectors, "added vectors")
        try FaissCall.run("index add") { error, size in
            vectors.values.withUnsafeBufferPointer { si_faiss_saved_add(handle, Int64(vectors.rows), $0.baseAddress, error, size) }
        }
    }

    /// The most similar added vector of each query (label -1 when the searched lists are empty); `probes` lists for IVF.
    public func nearest(_ queries: Matrix, probes: Int = 32) throws -> NearestNeighbour {
        try check(queries, "queries")
        var scores = [Float](repeating: 0, count: queries.rows)
        var labels = [Int64](repeating: -1, count: queries.rows)
        try FaissCall.run("index search") { error, size in
            queries.values.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    labels.withUnsafeMutableBufferPointer { l in
                        si_faiss_saved_search(handle, Int64(queries.rows), q.baseAddress, Int32(max(1, min(probes, max(lists, 1)))),
                                              s.baseAddress, l.baseAddress, error, size)
                    }
                }
            }
        }
        return NearestNeighbour(labels: labels.map { Int($0) }, scores: scores)
    }

    /// Writes the index to a temporary file beside `url`, then moves it into place.
    public func write(to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        try FaissCall.run("writing \(url.path)") { error, size in si_faiss_saved_write(handle, temporary.path, error, size) }
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temporary, to: url)
    }

    private func check(_ matrix: Matrix, _ what: String) throws {
        guard matrix.columns == dimension else {
            throw VectorIndexError.shape("the index has dimension \(dimension), \(what) have \(matrix.columns)")
        }
    }
}
