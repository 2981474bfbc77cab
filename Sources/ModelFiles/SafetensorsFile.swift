// One `.safetensors` file, memory-mapped: u64 LE header length N, N bytes of JSON, then the raw tensor data.
//
//   [8 bytes: N][N bytes: {"name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, ...,
//                          "__metadata__": {"k": "v"}}][data...]
//
// `data_offsets` are relative to the first byte after the header. Tensors are read on demand and converted
// to f32; the file itself is never read into memory as a whole. Shapes and offsets are checked at load
// against overflow and the data section's length, so every tensor's bytes lie inside the file.
import Foundation

/// Element types a safetensors header may name; only the floating ones convert to f32.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"
    case u16 = "U16", u32 = "U32", u64 = "U64", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: 1
        }
    }

    var convertsToFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }
}

/// Where one tensor lies in its file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    /// Byte range relative to the start of the data section.
    public var dataOffsets: Range<Int>

    /// The product of the shape; for a tensor read from a file, checked at load to fit its bytes.
    public var elementCount: Int { shape.reduce(1, *) }
}

public final class SafetensorsFile: @unchecked Sendable {
    public let url: URL
    public let metadata: [String: String]
    public let tensors: [String: SafetensorsTensorInfo]
    /// Absolute file offset of the data section.
    public let dataStart: Int
    private let mapping: MappedFile

    public init(url: URL) throws {
        self.url = url
        let path = url.path
        let mapping = try MappedFile(url: url)
        self.mapping = mapping
        guard mapping.count >= 8, let base = mapping.bytes.baseAddress else {
            throw ModelFileError.truncatedHeader(file: path, fileSize: mapping.count)
        }
        var headerLength: UInt64 = 0
        withUnsafeMutableBytes(of: &headerLength) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: 8)) }
        headerLength = UInt64(littleEndian: headerLength)
        guard headerLength <= UInt64(mapping.count - 8) else {
            throw ModelFileError.headerLengthTooLarge(file: path, headerLength: headerLength, fileSize: mapping.count)
        }
        dataStart = 8 + Int(headerLength)
        let headerData = Data(bytes: base + 8, count: Int(headerLength))
        let parsed = try SafetensorsFile.parseHeader(headerData, file: path, dataLength: mapping.count - dataStart)
        metadata = parsed.metadata
        tensors = parsed.tensors
    }

    /// Tensor names in file order of their data.
    public var tensorNames: [String] {
        tensors.values.sorted { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }.map(\.name)
    }

    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = tensors[name] else { throw ModelFileError.missingTensor(file: url.path, tensor: name) }
        return info
    }

    /// The tensor's elements as f32, row-major; checks the shape when `expectedShape` is given.
    public func floats(_ name: String, expectedShape: [Int]? = nil) throws -> [Float] {
        let info = try info(name)
        if let expectedShape, expectedShape != info.shape {
            throw ModelFileError.shapeMismatch(file: url.path, tensor: name, expected: expectedShape, actual: info.shape)
        }
        guard info.dtype.convertsToFloat else {
            throw ModelFileError.unsupportedDType(file: url.path, tensor: name, dtype: info.dtype.rawValue)
        }
        let source = mapping.bytes.baseAddress! + dataStart + info.dataOffsets.lowerBound
        let count = info.elementCount
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = buffer.baseAddress!
            switch info.dtype {
            case .f32:
                // memcpy: the data section need not be 4-byte aligned.
                memcpy(out, source, count * 4)
            case .f16:
                for i in 0..<count {
                    out[i] = Float(Float16(bitPattern: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: bits << 16)
                }
            default:
                preconditionFailure("convertsToFloat admitted \(info.dtype)")
            }
            initialized = count
        }
    }

    // MARK: - header

    static func parseHeader(_ data: Data, file: String, dataLength: Int)
        throws -> (metadata: [String: String], tensors: [String: SafetensorsTensorInfo])
    {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ModelFileError.invalidHeaderJSON(file: file, detail: error.localizedDescription)
        }
        guard let entries = object as? [String: Any] else {
            throw ModelFileError.invalidHeaderJSON(file: file, detail: "the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: SafetensorsTensorInfo] = [:]
        // By name, so that of several bad entries the error names the same one on every run.
        for (name, value) in entries.sorted(by: { $0.key < $1.key }) {
            if name == "__metadata__" {
                for (key, item) in (value as? [String: Any]) ?? [:] { metadata[key] = item as? String ?? "\(item)" }
                continue
            }
            tensors[name] = try parseTensor(name: name, value: value, file: file, dataLength: dataLength)
        }
        return (metadata, tensors)
    }

    private static func parseTensor(name: String, value: Any, file: String, dataLength: Int) throws -> SafetensorsTensorInfo {
        guard let fields = value as? [String: Any],
              let dtypeName = fields["dtype"] as? String,
              let shapeValues = fields["shape"] as? [Any],
              let offsetValues = fields["data_offsets"] as? [Any]
        else {
            throw ModelFileError.invalidTensorEntry(file: file, tensor: name, detail: "needs dtype, shape and data_offsets")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw ModelFileError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }
        // `as? Int` is exact: 1.5, 1e30 and 2^64 are not sizes.
        let shape = shapeValues.compactMap { $0 as? Int }
        let offsets = offsetValues.compactMap { $0 as? Int }
        guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw ModelFileError.invalidTensorEntry(file: file, tensor: name, detail: "shape \(FileText.quoted("\(shapeValues)")) is not a list of sizes")
        }
        guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw ModelFileError.invalidTensorEntry(file: file, tensor: name, detail: "data_offsets \(FileText.quoted("\(offsetValues)")) is not [begin, end]")
        }
        guard offsets[1] <= dataLength else {
            throw ModelFileError.dataOutOfBounds(file: file, tensor: name, end: offsets[1], dataLength: dataLength)
        }
        guard let elements = shape.checkedProduct, case let (expectedBytes, false) = elements.multipliedReportingOverflow(by: dtype.byteSize) else {
            throw ModelFileError.invalidTensorEntry(file: file, tensor: name, detail: "shape \(FileText.quoted("\(shape)")) has more values than any file can hold")
        }
        let info = SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1])
        guard expectedBytes == info.dataOffsets.count else {
            throw ModelFileError.sizeMismatch(file: file, tensor: name, offset: offsets[0],
                                                expectedBytes: expectedBytes, actualBytes: info.dataOffsets.count)
        }
        return info
    }
}
