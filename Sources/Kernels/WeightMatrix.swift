// A weight matrix as stored in a model file: `rows` rows of `columns` values of one tensor type,
// read in place from memory-mapped bytes. Rows are outputs (the GGUF / PyTorch Linear layout).
import CKernels

public struct WeightMatrix: @unchecked Sendable {
    public let type: TensorType
    public let rows: Int
    public let columns: Int
    public let data: UnsafeRawPointer
    public let rowBytes: Int

    /// The caller keeps the bytes alive (a mapped file) and has checked that `columns` fits the type.
    public init(type: TensorType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        precondition(columns % type.blockSize == 0, "columns \(columns) is not a multiple of the \(type) block")
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
        self.rowBytes = columns / type.blockSize * type.blockBytes
    }

    public func rowPointer(_ row: Int) -> UnsafeRawPointer { data + row * rowBytes }

    /// Row `row` as floats, written to `into` (`columns` values).
    public func dequantizeRow(_ row: Int, into: UnsafeMutablePointer<Float>) {
        ck_dequantize_row(Int32(type.rawValue), rowPointer(row), into, Int64(columns))
    }

    /// Rows [start, start + count) as a row-major float matrix.
    public func dequantizeRows(_ start: Int, count: Int, into: UnsafeMutablePointer<Float>) {
        for r in 0..<count { dequantizeRow(start + r, into: into + r * columns) }
    }

    /// The whole matrix as floats (tests and small models).
    public func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { buffer, count in
            dequantizeRows(0, count: rows, into: buffer.baseAddress!)
            count = rows * columns
        }
    }
}
