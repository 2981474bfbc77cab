// Writes a GGUF file with metadata only (no tensors), enough for a tokenizer: the layout GGUFFile reads.
import Foundation

enum GGUFMetadataValue {
    case string(String)
    case uint32(UInt32)
    case bool(Bool)
    case strings([String])
    case floats([Float])
    case int32s([Int32])
}

enum GGUFMetadataWriter {
    static func write(_ entries: [(String, GGUFMetadataValue)], to url: URL) throws {
        var out: [UInt8] = Array("GGUF".utf8)
        append(UInt32(3), to: &out)
        append(UInt64(0), to: &out)
        append(UInt64(entries.count), to: &out)
        for (key, value) in entries {
            appendString(key, to: &out)
            switch value {
            case let .string(text):
                append(UInt32(8), to: &out)
                appendString(text, to: &out)
            case let .uint32(number):
                append(UInt32(4), to: &out)
                append(number, to: &out)
            case let .bool(flag):
                append(UInt32(7), to: &out)
                out.append(flag ? 1 : 0)
            case let .strings(items):
                append(UInt32(9), to: &out)
                append(UInt32(8), to: &out)
                append(UInt64(items.count), to: &out)
                for item in items { appendString(item, to: &out) }
            case let .floats(items):
                append(UInt32(9), to: &out)
                append(UInt32(6), to: &out)
                append(UInt64(items.count), to: &out)
                for item in items { append(item.bitPattern, to: &out) }
            case let .int32s(items):
                append(UInt32(9), to: &out)
                append(UInt32(5), to: &out)
                append(UInt64(items.count), to: &out)
                for item in items { append(UInt32(bitPattern: item), to: &out) }
            }
        }
        while out.count % 32 != 0 { out.append(0) }
        try Data(out).write(to: url)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        append(UInt64(text.utf8.count), to: &out)
        out += Array(text.utf8)
    }
}
