// Where k-means and SemDeDup read vectors from: a matrix in memory, or rows spilled to a file when a merged run holds
// millions of them, read a block or a cluster at a time so that memory stays that of a block.
import Foundation

public protocol RowSource: Sendable {
    var rows: Int { get }
    var columns: Int { get }
    /// The rows at `indices`, in that order.
    func gather(_ indices: [Int]) throws -> Matrix
    /// The rows of `range`, in order.
    func block(_ range: Range<Int>) throws -> Matrix
}

extension RowSource {
    /// Rows a streamed pass reads at a time: a multiple of the assignment's chunk, so that streamed and in-memory
    /// assignment split the rows at the same places.
    public static var blockRows: Int { 32 * SphericalKMeans.assignmentChunk }

    /// Every block of rows in order, with the index of its first row.
    public func forEachBlock(_ body: (Int, Matrix) throws -> Void) throws {
        var start = 0
        while start < rows {
            let end = min(rows, start + Self.blockRows)
            try body(start, try block(start..<end))
            start = end
        }
    }
}

extension Matrix: RowSource {
    public func gather(_ indices: [Int]) throws -> Matrix {
        var values = [Float]()
        values.reserveCapacity(indices.count * columns)
        for i in indices { values.append(contentsOf: row(i)) }
        return try Matrix(rows: indices.count, columns: columns, values: values)
    }

    public func block(_ range: Range<Int>) throws -> Matrix {
        range == 0..<rows ? self : try Matrix(rows: range.count, columns: columns, values: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }
}

/// Some rows of another source, renumbered from zero in the order given.
public struct RowSubset<Base: RowSource>: RowSource {
    public let base: Base
    public let indices: [Int]

    public init(_ base: Base, indices: [Int]) {
        self.base = base
        self.indices = indices
    }

    public var rows: Int { indices.count }
    public var columns: Int { base.columns }
    public func gather(_ picked: [Int]) throws -> Matrix { try base.gather(picked.map { indices[$0] }) }
    public func block(_ range: Range<Int>) throws -> Matrix { try base.gather(Array(indices[range])) }
}

/// Float rows in an unnamed temporary file, written in any order and read by block or by index with `pread`, so they
/// live in the page cache, which the system can drop, not in the process's memory. Rows never written read as zeros.
public final class SpilledRows: RowSource, @unchecked Sendable {
    public let columns: Int
    public let rows: Int
    private let descriptor: Int32
    /// Where the file was made (it has no name left): for errors.
    private let directory: String

    /// A file of `rows` rows in `directory`, unlinked at once: it goes when the process does, however it ends.
    public init(rows: Int, columns: Int, directory: URL) throws {
        self.rows = rows
        self.columns = columns
        self.directory = directory.path
        let path = directory.appendingPathComponent(".rows-\(UUID().uuidString)").path
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw VectorIndexError.io(path: directory.path, message: "cannot create a temporary file of vectors: \(String(cString: strerror(errno)))")
        }
        unlink(path)
        guard ftruncate(descriptor, off_t(rows * columns * MemoryLayout<Float>.size)) == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw VectorIndexError.io(path: directory.path, message: "cannot size a temporary file of vectors: \(message)")
        }
    }

    deinit { close(descriptor) }

    /// Writes `matrix`'s rows from row `first` on. Not for use while other threads read.
    public func write(_ matrix: Matrix, at first: Int) throws {
        guard matrix.columns == columns else {
            throw VectorIndexError.shape("rows of \(matrix.columns) values written to rows of \(columns)")
        }
        try matrix.values.withUnsafeBytes { try write($0, at: first) }
    }

    /// Writes whole rows of raw floats from row `first` on.
    public func write(_ bytes: UnsafeRawBufferPointer, at first: Int) throws {
        let size = columns * MemoryLayout<Float>.size
        guard bytes.count % size == 0, first >= 0, first + bytes.count / size <= rows else {
            throw VectorIndexError.shape("\(bytes.count) bytes written at row \(first) of \(rows) rows of \(columns) floats")
        }
        try transfer(bytes.count, at: off_t(first * size)) { pwrite(descriptor, bytes.baseAddress! + $0, $1, $2) }
    }

    public func block(_ range: Range<Int>) throws -> Matrix {
        var values = [Float](repeating: 0, count: range.count * columns)
        try read(range.lowerBound, count: range.count, into: &values, at: 0)
        return try Matrix(rows: range.count, columns: columns, values: values)
    }

    /// One read a run of consecutive indices, so a cluster of neighbours costs few system calls.
    public func gather(_ indices: [Int]) throws -> Matrix {
        var values = [Float](repeating: 0, count: indices.count * columns)
        var start = 0
        while start < indices.count {
            var end = start + 1
            while end < indices.count && indices[end] == indices[end - 1] + 1 { end += 1 }
            try read(indices[start], count: end - start, into: &values, at: start)
            start = end
        }
        return try Matrix(rows: indices.count, columns: columns, values: values)
    }

    private func read(_ first: Int, count: Int, into values: inout [Float], at row: Int) throws {
        guard first >= 0, first + count <= rows else {
            throw VectorIndexError.shape("rows \(first)..<\(first + count) asked of \(rows)")
        }
        let size = MemoryLayout<Float>.size
        let offset = off_t(first * columns * size)
        try values.withUnsafeMutableBytes { bytes in
            let target = bytes.baseAddress! + row * columns * size
            try transfer(count * columns * size, at: offset) { pread(descriptor, target + $0, $1, $2) }
        }
    }

    /// Repeats a positional read or write until `count` bytes moved (the calls may move fewer).
    private func transfer(_ count: Int, at offset: off_t, _ call: (Int, Int, off_t) -> Int) throws {
        var done = 0
        while done < count {
            let moved = call(done, count - done, offset + off_t(done))
            if moved < 0 && errno == EINTR { continue }
            guard moved > 0 else {
                throw VectorIndexError.io(path: directory, message: "temporary file of vectors: "
                                          + "\(moved < 0 ? String(cString: strerror(errno)) : "it ended early") at byte \(Int(offset) + done)")
            }
            done += moved
        }
    }
}
