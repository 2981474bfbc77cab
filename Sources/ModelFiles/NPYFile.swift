// NumPy `.npy` (format 1.0) for float32 matrices: magic "\x93NUMPY", version 1.0, u16 LE header length,
// a Python-dict header padded with spaces to a multiple of 64 bytes and ending in '\n', then the raw data.
import Foundation

public enum NPYFile {
    /// Writes rows (all of length `columns`) as a little-endian float32 array of shape (rows, columns).
    public static func writeFloat32(_ rows: [[Float]], columns: Int, to url: URL) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows.count), \(columns)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + rows.count * columns * 4)
        for (index, row) in rows.enumerated() {
            guard row.count == columns else { throw NPYError.raggedRow(index: index, count: row.count, columns: columns) }
            for value in row {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw NPYError.cannotWrite(file: url.path, reason: error.localizedDescription)
        }
    }

    /// Reads a float32 (rows, columns) array written by `writeFloat32` or NumPy (C order, '<f4').
    public static func readFloat32(_ url: URL) throws -> (rows: Int, columns: Int, values: [Float]) {
        guard let data = try? Data(contentsOf: url) else { throw NPYError.cannotRead(file: url.path, detail: "unreadable") }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8), bytes[6] == 1 else {
            throw NPYError.cannotRead(file: url.path, detail: "not an .npy 1.x file")
        }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        guard bytes.count >= 10 + headerLength else { throw NPYError.cannotRead(file: url.path, detail: "truncated header") }
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else {
            throw NPYError.cannotRead(file: url.path, detail: "header \(header) is not a C-order <f4 array")
        }
        let dims = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard dims.count == 2 else { throw NPYError.cannotRead(file: url.path, detail: "shape is not two-dimensional") }
        let start = 10 + headerLength
        guard bytes.count - start == dims[0] * dims[1] * 4 else {
            throw NPYError.cannotRead(file: url.path, detail: "data is \(bytes.count - start) bytes, shape needs \(dims[0] * dims[1] * 4)")
        }
        let values = (0..<(dims[0] * dims[1])).map { i in
            let o = start + 4 * i
            return Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        }
        return (dims[0], dims[1], values)
    }
}

public enum NPYError: LocalizedError, Equatable {
    case raggedRow(index: Int, count: Int, columns: Int)
    case cannotWrite(file: String, reason: String)
    case cannotRead(file: String, detail: String)

    public var errorDescription: String? {
        switch self {
        case let .raggedRow(index, count, columns): "row \(index) has \(count) values, expected \(columns)"
        case let .cannotWrite(file, reason): "cannot write \(file): \(reason)"
        case let .cannotRead(file, detail): "\(file): \(detail)"
        }
    }
}
