// Writes GGUF v3 files (the layout GGUFFile reads; see the comment at the top of GGUFFile.swift): metadata of
// every value type, tensor infos, then tensor data, each tensor starting on the alignment. Tests write tiny
// models with it; `bench abacus-shape` streams a 1.8 GB model through it one tensor at a time.
import Foundation
import Kernels

public struct GGUFWriter {
    /// One tensor to write. `shape` is innermost first (ne0 = values per row), as GGUFTensorInfo has it.
    public struct Tensor {
        public let name: String
        public let shape: [Int]
        public let type: TensorType
        public let byteCount: Int
        /// Fills exactly `byteCount` bytes; called once, while the file is written.
        let fill: (UnsafeMutableRawBufferPointer) throws -> Void
    }

    public let alignment: Int
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    public private(set) var tensors: [Tensor] = []

    /// `alignment` is written as `general.alignment` when it is not GGUF's default of 32.
    public init(alignment: Int = 32) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment \(alignment) is not a power of two")
        self.alignment = alignment
        if alignment != 32 { metadata.append(("general.alignment", .uint32(UInt32(alignment)))) }
    }

    /// Sets `key`, replacing an earlier value of the same key.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let index = metadata.firstIndex(where: { $0.key == key }) {
            metadata[index].value = value
        } else {
            metadata.append((key, value))
        }
    }

    /// A tensor whose bytes are already in memory (the type's block encoding, rows one after another).
    public mutating func addTensor(_ name: String, shape: [Int], type: TensorType, bytes: [UInt8]) throws(ModelFileError) {
        try addTensor(name, shape: shape, type: type, byteCount: bytes.count) { buffer in
            buffer.copyBytes(from: bytes)
        }
    }

    /// f32 values, stored as F32.
    public mutating func addTensor(_ name: String, shape: [Int], floats: [Float]) throws(ModelFileError) {
        try addTensor(name, shape: shape, type: .f32, byteCount: floats.count * 4) { buffer in
            floats.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
    }

    /// A tensor whose bytes `fill` writes when the file is written, so large models never sit in memory whole.
    public mutating func addTensor(_ name: String, shape: [Int], type: TensorType, byteCount: Int,
                                   fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void) throws(ModelFileError) {
        guard !tensors.contains(where: { $0.name == name }) else {
            throw .invalidGGUF(file: "(writer)", offset: 0, reason: "tensor \(name) is added twice")
        }
        guard (1...4).contains(shape.count), shape.allSatisfy({ $0 > 0 }), shape[0] % type.blockSize == 0 else {
            throw .invalidGGUF(file: "(writer)", offset: 0, reason: "tensor \(name): shape \(shape) does not suit \(type) blocks of \(type.blockSize)")
        }
        let expected = shape.reduce(1, *) / type.blockSize * type.blockBytes
        guard byteCount == expected else {
            throw .invalidGGUF(file: "(writer)", offset: 0, reason: "tensor \(name): \(byteCount) bytes given, \(type) \(shape) needs \(expected)")
        }
        tensors.append(Tensor(name: name, shape: shape, type: type, byteCount: byteCount, fill: fill))
    }

    /// Writes the file; an error names the file and what failed.
    public func write(to url: URL) throws(ModelFileError) {
        var header = Data()
        header.append(contentsOf: Array("GGUF".utf8))
        header.appendLittleEndian(UInt32(3))
        header.appendLittleEndian(UInt64(tensors.count))
        header.appendLittleEndian(UInt64(metadata.count))
        for (key, value) in metadata {
            header.appendString(key)
            header.appendLittleEndian(Self.typeID(of: value))
            try Self.append(value, to: &header, key: key)
        }
        var relative = 0
        var offsets: [Int] = []
        for tensor in tensors {
            header.appendString(tensor.name)
            header.appendLittleEndian(UInt32(tensor.shape.count))
            for extent in tensor.shape { header.appendLittleEndian(UInt64(extent)) }
            header.appendLittleEndian(tensor.type.rawValue)
            header.appendLittleEndian(UInt64(relative))
            offsets.append(relative)
            relative = Self.aligned(relative + tensor.byteCount, alignment)
        }
        header.append(Data(count: Self.aligned(header.count, alignment) - header.count))

        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: url.path) else {
            throw .cannotOpen(file: url.path, reason: "cannot create the file for writing")
        }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: header)
            var written = 0
            for (tensor, offset) in zip(tensors, offsets) {
                if offset > written { try handle.write(contentsOf: Data(count: offset - written)) }
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(tensor.byteCount, 1), alignment: 64)
                defer { buffer.deallocate() }
                let body = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<tensor.byteCount])
                body.initializeMemory(as: UInt8.self, repeating: 0)
                try tensor.fill(body)
                try handle.write(contentsOf: Data(bytesNoCopy: body.baseAddress!, count: tensor.byteCount, deallocator: .none))
                written = offset + tensor.byteCount
            }
        } catch let error as ModelFileError {
            throw error
        } catch {
            throw .cannotOpen(file: url.path, reason: "writing failed: \(error.localizedDescription)")
        }
    }

    // MARK: - Encoding

    static func aligned(_ offset: Int, _ alignment: Int) -> Int { (offset + alignment - 1) / alignment * alignment }

    static func typeID(of value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    static func append(_ value: GGUFValue, to data: inout Data, key: String) throws(ModelFileError) {
        switch value {
        case let .uint8(v): data.appendLittleEndian(v)
        case let .int8(v): data.appendLittleEndian(v)
        case let .uint16(v): data.appendLittleEndian(v)
        case let .int16(v): data.appendLittleEndian(v)
        case let .uint32(v): data.appendLittleEndian(v)
        case let .int32(v): data.appendLittleEndian(v)
        case let .float32(v): data.appendLittleEndian(v.bitPattern)
        case let .bool(v): data.appendLittleEndian(UInt8(v ? 1 : 0))
        case let .string(v): data.appendString(v)
        case let .uint64(v): data.appendLittleEndian(v)
        case let .int64(v): data.appendLittleEndian(v)
        case let .float64(v): data.appendLittleEndian(v.bitPattern)
        case let .array(items):
            // An empty array has no element to take a type from: written as an empty array of u8.
            let elementType = items.isEmpty ? 0 : typeID(of: items[0])
            for item in items where typeID(of: item) != elementType {
                throw .invalidGGUF(file: "(writer)", offset: 0, reason: "array \(key) mixes \(items[0].typeName) and \(item.typeName)")
            }
            data.appendLittleEndian(elementType)
            data.appendLittleEndian(UInt64(items.count))
            for item in items { try append(item, to: &data, key: key) }
        }
    }
}

extension Data {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// GGUF's string: u64 byte length, then UTF-8 bytes.
    mutating func appendString(_ string: String) {
        let bytes = Array(string.utf8)
        appendLittleEndian(UInt64(bytes.count))
        append(contentsOf: bytes)
    }
}
