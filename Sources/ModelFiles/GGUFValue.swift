// GGUF metadata values: the 13 value types of the format, arrays possibly nested.

/// Not `indirect`: array elements sit inline, so a long array costs the same few bytes an element, not a heap box each.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The format's name for the value's type, for error messages and `model info`.
    public var typeName: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .uint16: "uint16"
        case .int16: "int16"
        case .uint32: "uint32"
        case .int32: "int32"
        case .float32: "float32"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        case .uint64: "uint64"
        case .int64: "int64"
        case .float64: "float64"
        }
    }

    /// Any integer type as Int (nil for other types or out-of-range values).
    public var int: Int? {
        switch self {
        case let .uint8(v): Int(v)
        case let .int8(v): Int(v)
        case let .uint16(v): Int(v)
        case let .int16(v): Int(v)
        case let .uint32(v): Int(v)
        case let .int32(v): Int(v)
        case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    /// Any numeric type as Double.
    public var double: Double? {
        switch self {
        case let .float32(v): Double(v)
        case let .float64(v): v
        default: int.map(Double.init)
        }
    }

    public var bool: Bool? {
        if case let .bool(v) = self { return v }
        return nil
    }

    public var string: String? {
        if case let .string(v) = self { return v }
        return nil
    }

    public var array: [GGUFValue]? {
        if case let .array(v) = self { return v }
        return nil
    }

    /// A short rendering: numbers in full, strings cut short and escaped, arrays by element type and length.
    public var summary: String {
        switch self {
        case let .string(s): "\"\(FileText.quoted(s))\""
        case let .array(items): "[\(items.first?.typeName ?? "empty") x \(items.count)]"
        case let .bool(b): b ? "true" : "false"
        case let .float32(v): "\(v)"
        case let .float64(v): "\(v)"
        default: int.map(String.init) ?? typeName
        }
    }
}
