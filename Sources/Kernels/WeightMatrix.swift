// A weight matrix as stored in a model file: `rows` rows of `columns` values of one tensor type,
// read in place from memory-mapped bytes. Rows are outputs (the GGUF / PyTorch Linear layout).
import CKernels
#if canImport(Glibc)
import Glibc
#endif

public struct WeightMatrix: @unchecked Sendable {
    public let type: TensorType
    public let rows: Int
    public let columns: Int
    public let data: UnsafeRawPointer
    public let rowBytes: Int
    /// The rows repacked for the 8-bit products, when `packedForProducts()` made them (Q8_0, Q4_1, Q5_0, Q5_1
    /// and the K-quants on AVX-512 VNNI machines); every 8-bit product and batched float
    /// product then reads these; float matrix-vector and single float dot products still read `data`.
    public let packed: PackedRows?

    /// The caller keeps the bytes alive (a mapped file) and has checked that `columns` fits the type.
    public init(type: TensorType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        precondition(columns % type.blockSize == 0, "columns \(columns) is not a multiple of the \(type) block")
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
        self.rowBytes = columns / type.blockSize * type.blockBytes
        packed = nil
    }

    private init(_ base: WeightMatrix, packed: PackedRows) {
        type = base.type
        rows = base.rows
        columns = base.columns
        data = base.data
        rowBytes = base.rowBytes
        self.packed = packed
    }

    /// This matrix with its rows repacked for faster 8-bit products where this type and machine have a
    /// packed layout (sixteen rows per lane group, on AVX-512 VNNI machines), else itself unchanged.
    public func packedForProducts() -> WeightMatrix {
        guard packed == nil, ck_packing_available(Int32(type.rawValue)) != 0 else { return self }
        return WeightMatrix(self, packed: PackedRows(self))
    }

    public func rowPointer(_ row: Int) -> UnsafeRawPointer { data + row * rowBytes }

    /// Rows `start ..< start + count` as a matrix of their own, in place (a fused q/k/v or gate/up tensor's parts).
    public func rows(_ start: Int, count: Int) -> WeightMatrix {
        precondition(packed == nil && start >= 0 && start + count <= rows, "rows \(start)..<\(start + count) of \(rows) (unpacked only)")
        return WeightMatrix(type: type, rows: count, columns: columns, data: rowPointer(start))
    }

    /// Row `row` as floats, written to `into` (`columns` values).
    public func dequantizeRow(_ row: Int, into: UnsafeMutablePointer<Float>) {
        dequantizeRows(row, count: 1, into: into)
    }

    /// Rows [start, start + count) as a row-major float matrix; from the packed rows when there are some
    /// (the same values), so the file's pages of a packed matrix need not stay in memory.
    public func dequantizeRows(_ start: Int, count: Int, into: UnsafeMutablePointer<Float>) {
        if let packed {
            ck_dequantize_packed_rows(Int32(type.rawValue), packed.bytes, Int64(rows), Int64(columns), Int64(start), Int64(count), into)
            return
        }
        for r in 0..<count { ck_dequantize_row(Int32(type.rawValue), rowPointer(start + r), into + r * columns, Int64(columns)) }
    }

    /// The whole matrix as floats (tests and small models).
    public func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { buffer, count in
            dequantizeRows(0, count: rows, into: buffer.baseAddress!)
            count = rows * columns
        }
    }
}

/// A matrix's rows repacked sixteen at a time (ck_pack_rows): about as many bytes as the file's (K-quants 1-3 % more), owned here.
public final class PackedRows: @unchecked Sendable {
    public let bytes: UnsafeMutableRawPointer
    public let byteCount: Int

    init(_ w: WeightMatrix) {
        let type = Int32(w.type.rawValue)
        byteCount = ck_packed_bytes(type, Int64(w.rows), Int64(w.columns))
        // Decoding streams every weight each token.
        bytes = HugePages.allocate(byteCount: byteCount)
        ck_pack_rows(type, w.data, Int64(w.rows), Int64(w.columns), bytes, 0, Int64((w.rows + 15) / 16))
    }

    deinit { bytes.deallocate() }
}
