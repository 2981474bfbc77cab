// GGUF (ggml's model file), versions 2 and 3, memory-mapped. Layout, all little-endian:
//
//   "GGUF" | u32 version | u64 tensor count | u64 metadata count
//   metadata: string key | u32 value type | value          (string = u64 length + UTF-8 bytes;
//                                                           array = u32 element type + u64 count + values)
//   tensor infos: string name | u32 dims | u64 ne[dims] (ne0 innermost) | u32 ggml type | u64 offset
//   padding to `general.alignment` (default 32) | tensor data (each offset relative to here)
//
// Every count, length, shape and offset is checked against the file before use (see GGUFFile+Layout.swift
// for the tensor data), and names and keys quoted in errors are cut short and escaped (FileText).
import Foundation
import Kernels

public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions, innermost first (ne0 = values per row).
    public let shape: [Int]
    public let typeID: UInt32
    /// Absolute offset of the first byte in the file.
    public let offset: Int
    /// The product of the shape, checked at load not to overflow.
    public let elementCount: Int

    /// nil for GGML types this engine does not read.
    public var type: TensorType? { TensorType(rawValue: typeID) }
    public var typeName: String { TensorType.ggmlName(typeID) }
}

public final class GGUFFile: @unchecked Sendable {
    public let url: URL
    public let version: UInt32
    public let alignment: Int
    /// Metadata keys in file order.
    public let keys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    public let dataOffset: Int
    private let tensorIndex: [String: Int]
    private let mapped: MappedFile

    public var fileSize: Int { mapped.count }

    /// Drops from memory the file's pages of a matrix this file made, once its values live elsewhere
    /// (packed rows); reading the matrix's bytes later brings them back.
    public func releasePages(of matrix: WeightMatrix) {
        mapped.releasePages(of: UnsafeRawBufferPointer(start: matrix.data, count: matrix.rows * matrix.rowBytes))
    }
    var fileName: String { url.path }

    public init(url: URL) throws(ModelFileError) {
        self.url = url
        mapped = try MappedFile(url: url)
        var reader = GGUFByteReader(bytes: mapped.bytes, file: url.path)
        let magic = try reader.bytes(4, reading: "the magic")
        guard magic.elementsEqual("GGUF".utf8) else {
            throw .notGGUF(file: url.path, magic: magic.map { String(format: "%02x", $0) }.joined())
        }
        version = try reader.read(UInt32.self, reading: "the version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(file: url.path, version: version) }
        let tensorCount = try reader.count(reading: "the tensor count", minimumBytesEach: 4 + 8 + 4 + 4 + 8)
        let keyCount = try reader.count(reading: "the metadata count", minimumBytesEach: 8 + 4 + 1)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<keyCount {
            let keyOffset = reader.offset
            let (key, shownKey) = try reader.name(reading: "a metadata key")
            let typeID = try reader.read(UInt32.self, reading: "the type of \(shownKey)")
            let value = try reader.value(typeID: typeID, reading: shownKey, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw .invalidGGUF(file: url.path, offset: keyOffset, reason: "metadata key \(shownKey) appears twice")
            }
            keys.append(key)
        }
        self.keys = keys
        self.metadata = metadata

        var alignment = 32
        if let declared = metadata["general.alignment"] {
            guard let value = declared.int, value > 0, value & (value - 1) == 0, value <= 1 << 20 else {
                throw .invalidGGUF(file: url.path, offset: 0, reason: "general.alignment \(declared.summary) is not a power of two")
            }
            alignment = value
        }
        self.alignment = alignment

        var entries: [TensorEntry] = []
        for _ in 0..<tensorCount {
            let at = reader.offset
            let (name, shown) = try reader.name(reading: "a tensor name")
            let dims = try reader.read(UInt32.self, reading: "the dimension count of \(shown)")
            guard (1...4).contains(dims) else {
                throw .invalidGGUF(file: url.path, offset: at, reason: "tensor \(shown) has \(dims) dimensions (1 to 4 allowed)")
            }
            var shape: [Int] = []
            for _ in 0..<dims {
                let extent = try reader.read(UInt64.self, reading: "the shape of \(shown)")
                guard extent > 0, extent < 1 << 40 else {
                    throw .invalidGGUF(file: url.path, offset: at, reason: "tensor \(shown) has dimension \(extent)")
                }
                shape.append(Int(extent))
            }
            let type = try reader.read(UInt32.self, reading: "the type of \(shown)")
            let relative = try reader.read(UInt64.self, reading: "the offset of \(shown)")
            entries.append(TensorEntry(name: name, shape: shape, typeID: type, relative: relative, at: at))
        }
        dataOffset = (reader.offset + alignment - 1) / alignment * alignment

        let tensors = try Self.placeTensors(entries, dataOffset: dataOffset, alignment: alignment,
                                            fileSize: mapped.count, file: url.path)
        var index: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() {
            guard index.updateValue(i, forKey: tensor.name) == nil else {
                throw .invalidGGUF(file: url.path, offset: entries[i].at, reason: "tensor \(FileText.quoted(tensor.name)) appears twice")
            }
        }
        self.tensors = tensors
        tensorIndex = index
    }

    // MARK: - Metadata

    public func value(_ key: String) -> GGUFValue? { metadata[key] }

    public func requiredInt(_ key: String) throws(ModelFileError) -> Int {
        guard let value = metadata[key] else { throw .missingKey(file: fileName, key: key) }
        guard let int = value.int else { throw .wrongKeyType(file: fileName, key: key, expected: "an integer", actual: value.typeName) }
        return int
    }

    public func optionalInt(_ key: String) throws(ModelFileError) -> Int? {
        guard metadata[key] != nil else { return nil }
        return try requiredInt(key)
    }

    public func optionalDouble(_ key: String) throws(ModelFileError) -> Double? {
        guard let value = metadata[key] else { return nil }
        guard let double = value.double else { throw .wrongKeyType(file: fileName, key: key, expected: "a number", actual: value.typeName) }
        return double
    }

    public func optionalBool(_ key: String) throws(ModelFileError) -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard let bool = value.bool else { throw .wrongKeyType(file: fileName, key: key, expected: "a bool", actual: value.typeName) }
        return bool
    }

    public func optionalString(_ key: String) throws(ModelFileError) -> String? {
        guard let value = metadata[key] else { return nil }
        guard let string = value.string else { throw .wrongKeyType(file: fileName, key: key, expected: "a string", actual: value.typeName) }
        return string
    }

    public func requiredString(_ key: String) throws(ModelFileError) -> String {
        guard let string = try optionalString(key) else { throw .missingKey(file: fileName, key: key) }
        return string
    }

    /// An array of strings (tokens, merges).
    public func optionalStrings(_ key: String) throws(ModelFileError) -> [String]? {
        guard let value = metadata[key] else { return nil }
        guard let items = value.array else { throw .wrongKeyType(file: fileName, key: key, expected: "an array of strings", actual: value.typeName) }
        var strings: [String] = []
        strings.reserveCapacity(items.count)
        for item in items {
            guard let string = item.string else {
                throw .wrongKeyType(file: fileName, key: key, expected: "an array of strings", actual: "an array of \(item.typeName)")
            }
            strings.append(string)
        }
        return strings
    }

    /// An array of integers (token types).
    public func optionalInts(_ key: String) throws(ModelFileError) -> [Int]? {
        guard let value = metadata[key] else { return nil }
        guard let items = value.array else { throw .wrongKeyType(file: fileName, key: key, expected: "an array of integers", actual: value.typeName) }
        var ints: [Int] = []
        ints.reserveCapacity(items.count)
        for item in items {
            guard let int = item.int else {
                throw .wrongKeyType(file: fileName, key: key, expected: "an array of integers", actual: "an array of \(item.typeName)")
            }
            ints.append(int)
        }
        return ints
    }

    // MARK: - Tensors

    public func tensor(named name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// A 2-D weight read in place, checked to be `rows` x `columns` (GGUF shape [columns, rows]).
    public func matrix(_ name: String, rows: Int, columns: Int) throws(ModelFileError) -> WeightMatrix {
        guard let info = tensor(named: name) else { throw .missingTensor(file: fileName, tensor: name) }
        guard info.shape == [columns, rows] || (rows == 1 && info.shape == [columns]) else {
            throw .shapeMismatch(file: fileName, tensor: name, expected: [columns, rows], actual: info.shape)
        }
        guard let type = info.type else { throw .unsupportedTensorType(file: fileName, tensor: name, type: info.typeName) }
        return WeightMatrix(type: type, rows: rows, columns: columns, data: mapped.bytes.baseAddress! + info.offset)
    }

    /// Any tensor as rows of its innermost extent (ne0), whatever its rank: for tools that walk every tensor.
    public func rows(of info: GGUFTensorInfo) throws(ModelFileError) -> WeightMatrix {
        guard let type = info.type else { throw .unsupportedTensorType(file: fileName, tensor: info.name, type: info.typeName) }
        return WeightMatrix(type: type, rows: info.elementCount / info.shape[0], columns: info.shape[0],
                            data: mapped.bytes.baseAddress! + info.offset)
    }

    /// A 1-D tensor (norm weights), dequantized to floats, checked to hold `count` values.
    public func vector(_ name: String, count: Int) throws(ModelFileError) -> [Float] {
        try matrix(name, rows: 1, columns: count).dequantized()
    }
}

/// Bounds-checked little-endian reads over the mapped bytes; every failure names the offset.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    var offset = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    /// A string that names something (a key, a tensor), and how errors quote it: short and escaped.
    mutating func name(reading what: String) throws(ModelFileError) -> (text: String, shown: String) {
        let raw = try stringBytes(reading: what)
        return (String(decoding: raw, as: UTF8.self), FileText.quoted(bytes: raw))
    }

    mutating func bytes(_ count: Int, reading what: String) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw .truncated(file: file, offset: offset, needed: count - remaining, reading: what)
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        return slice
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, reading what: String) throws(ModelFileError) -> T {
        let raw = try bytes(MemoryLayout<T>.size, reading: what)
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    /// A u64 count, rejected when that many items of at least `minimumBytesEach` cannot fit in the file.
    mutating func count(reading what: String, minimumBytesEach: Int) throws(ModelFileError) -> Int {
        let at = offset
        let value = try read(UInt64.self, reading: what)
        guard value <= UInt64(remaining / max(1, minimumBytesEach)) else {
            throw .invalidGGUF(file: file, offset: at, reason: "\(what) is \(value), more than the \(remaining) remaining bytes can hold")
        }
        return Int(value)
    }

    mutating func string(reading what: String) throws(ModelFileError) -> String {
        String(decoding: try stringBytes(reading: what), as: UTF8.self)
    }

    private mutating func stringBytes(reading what: String) throws(ModelFileError) -> UnsafeRawBufferPointer {
        let at = offset
        let length = try read(UInt64.self, reading: "the length of \(what)")
        guard length <= UInt64(remaining) else {
            throw .truncated(file: file, offset: at + 8, needed: Int(clamping: length) - remaining, reading: what)
        }
        return try bytes(Int(length), reading: what)
    }

    mutating func value(typeID: UInt32, reading key: String, depth: Int) throws(ModelFileError) -> GGUFValue {
        switch typeID {
        case 0: return .uint8(try read(UInt8.self, reading: key))
        case 1: return .int8(try read(Int8.self, reading: key))
        case 2: return .uint16(try read(UInt16.self, reading: key))
        case 3: return .int16(try read(Int16.self, reading: key))
        case 4: return .uint32(try read(UInt32.self, reading: key))
        case 5: return .int32(try read(Int32.self, reading: key))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, reading: key)))
        case 7:
            let at = offset
            let byte = try read(UInt8.self, reading: key)
            guard byte <= 1 else { throw .invalidGGUF(file: file, offset: at, reason: "bool \(key) holds \(byte)") }
            return .bool(byte == 1)
        case 8: return .string(try string(reading: key))
        case 9:
            let at = offset
            guard depth < 4 else { throw .invalidGGUF(file: file, offset: at, reason: "arrays in \(key) nest deeper than 4") }
            let elementType = try read(UInt32.self, reading: "the element type of \(key)")
            let minimum: Int
            switch elementType {
            case 0, 1, 7: minimum = 1
            case 2, 3: minimum = 2
            case 4, 5, 6: minimum = 4
            case 8, 10, 11, 12: minimum = 8
            case 9: minimum = 12
            default: throw .invalidGGUF(file: file, offset: at, reason: "array \(key) has element type \(elementType)")
            }
            let count = try self.count(reading: "the length of \(key)", minimumBytesEach: minimum)
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try value(typeID: elementType, reading: key, depth: depth + 1)) }
            return .array(items)
        case 10: return .uint64(try read(UInt64.self, reading: key))
        case 11: return .int64(try read(Int64.self, reading: key))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, reading: key)))
        default:
            throw .invalidGGUF(file: file, offset: offset - 4, reason: "metadata \(key) has value type \(typeID)")
        }
    }
}
