// NumPy .npy files of 2-D float matrices (format versions 1-3): precomputed embeddings come in this form.
// Layout: "\x93NUMPY", major, minor, header length (u16 for v1, u32 for v2+), a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), } padded with spaces, then the raw data.
// The shape is checked against overflow and the file's length before anything is sized from it.
import Foundation
import ModelFiles
import VectorIndex

public enum NPYFile {
    /// Reads a C-order little-endian float32 ('<f4') or float64 ('<f8', converted) matrix of shape (n, d).
    /// With `rows`, only those rows, in that order (the file is memory-mapped, so the rest is never copied);
    /// `expectedRows` makes a row-count mismatch an error naming both counts; a value that is not a finite
    /// float32 (NaN, infinity, a float64 past float32's range) is an error naming its row and column.
    public static func readMatrix(_ url: URL, rows selected: [Int]? = nil, expectedRows: Int? = nil) throws -> Matrix {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw DedupError.npy(file: path, reason: error.localizedDescription)
        }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard data.count >= 10, Array(data.prefix(6)) == magic else { throw DedupError.npy(file: path, reason: "no NUMPY magic") }
        let major = data[data.startIndex + 6]
        let headerStart = major == 1 ? 10 : 12
        guard (1...3).contains(major), data.count >= headerStart else {
            throw DedupError.npy(file: path, reason: "unsupported format version \(major)")
        }
        let headerLength = major == 1
            ? Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
            : (8..<12).reduce(0) { $0 | Int(data[data.startIndex + $1]) << (8 * ($1 - 8)) }
        guard data.count >= headerStart + headerLength else { throw DedupError.npy(file: path, reason: "header runs past the end") }
        let header = String(decoding: data[(data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength)], as: UTF8.self)
        let descr = try value(of: "descr", in: header, path: path)
        let fortran = try value(of: "fortran_order", in: header, path: path)
        let shapeText = try value(of: "shape", in: header, path: path)
        guard fortran.hasPrefix("False") else { throw DedupError.npy(file: path, reason: "Fortran order; save with C order") }
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard shape.count == 2, let rows = Int(shape[0]), let columns = Int(shape[1]), rows >= 0, columns >= 0 else {
            throw DedupError.npy(file: path, reason: "shape \(FileText.quoted(shapeText)) is not 2-D")
        }
        guard columns > 0 else { throw DedupError.npy(file: path, reason: "shape (\(rows), 0) has vectors of no values") }
        let width: Int
        switch descr {
        case "'<f4'": width = 4
        case "'<f8'": width = 8
        default: throw DedupError.npy(file: path, reason: "dtype \(FileText.quoted(descr)); expected '<f4' (float32) or '<f8'")
        }
        let dataStart = headerStart + headerLength
        let (cells, cellsOverflow) = rows.multipliedReportingOverflow(by: columns)
        let (bytes, bytesOverflow) = cells.multipliedReportingOverflow(by: width)
        guard !cellsOverflow, !bytesOverflow, data.count - dataStart == bytes else {
            let needed = cellsOverflow || bytesOverflow ? "more than 2^63" : "\(bytes)"
            throw DedupError.npy(file: path, reason: "shape (\(rows), \(columns)) needs \(needed) bytes of data, found \(data.count - dataStart)")
        }
        if let expectedRows, expectedRows != rows {
            throw DedupError.embeddingCount(file: path, rows: rows, records: expectedRows)
        }
        let chosen = selected ?? Array(0..<rows)
        if let bad = chosen.first(where: { $0 < 0 || $0 >= rows }) {
            throw DedupError.npy(file: path, reason: "row \(bad) asked for; the file has \(rows)")
        }
        var values = [Float](repeating: 0, count: chosen.count * columns)
        var firstNonFinite: (row: Int, column: Int, value: Double)?
        data.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
            values.withUnsafeMutableBufferPointer { out in
                for (slot, row) in chosen.enumerated() {
                    for column in 0..<columns {
                        let i = row * columns + column
                        let value = width == 4
                            ? Double(Float(bitPattern: UInt32(littleEndian: body.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
                            : Double(bitPattern: UInt64(littleEndian: body.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
                        let stored = Float(value)
                        out[slot * columns + column] = stored
                        if firstNonFinite == nil, !stored.isFinite { firstNonFinite = (row, column, value) }
                    }
                }
            }
        }
        if let bad = firstNonFinite {
            throw DedupError.nonFiniteValue(file: path, row: bad.row, column: bad.column, value: bad.value)
        }
        return try Matrix(rows: chosen.count, columns: columns, values: values)
    }

    /// Writes a float32 C-order .npy (version 1.0).
    public static func write(_ matrix: Matrix, to url: URL) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(matrix.rows), \(matrix.columns)), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + matrix.values.count * 4)
        for value in matrix.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        try Data(bytes).write(to: url)
    }

    private static func value(of key: String, in header: String, path: String) throws -> String {
        guard let range = header.range(of: "'\(key)':") else {
            throw DedupError.npy(file: path, reason: "header has no '\(key)'")
        }
        let rest = header[range.upperBound...].drop(while: { $0 == " " })
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { throw DedupError.npy(file: path, reason: "unclosed shape") }
            return String(rest[...close])
        }
        return String(rest.prefix(while: { $0 != "," && $0 != "}" })).trimmingCharacters(in: .whitespaces)
    }
}
