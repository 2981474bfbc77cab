// A Python value in canonical form, as the sandbox's supervisor serializes it (see SupervisorScript.swift).
//
// Canonical JSON gives every value exactly one spelling, so equal values have equal text:
//   None, bool, str         -> null, true/false, "string"
//   int                     -> a JSON number below 2**53, else {"int": "decimal"} ({"int": "0x..."} past 16384 bits)
//   float                   -> {"float": repr}; -0.0 is "0.0"; "nan", "inf", "-inf"
//   complex                 -> {"complex": [real, imag]} (float texts)
//   list / tuple            -> [...] / {"tuple": [...]}
//   dict                    -> {"dict": [[key, value], ...]} sorted by the key's canonical text
//   set / frozenset         -> {"set": [...]} / {"frozenset": [...]} sorted by canonical text
//   bytes / bytearray       -> {"bytes": hex} / {"bytearray": hex}
//   a container inside itself -> {"cycle": "list"|"tuple"|"dict"|"set"|"frozenset"}
//   str with lone surrogates -> {"unpaired": backslash-escaped text}
//   an object of a class without a repr of its own -> {"object": "module.Type", "state": its attributes as a dict}
//   anything else           -> {"object": "module.Type", "repr": repr with " at 0x..." removed}
// Subclasses serialize as their base type (namedtuple as tuple, OrderedDict/Counter as dict), as Python compares them.
import Foundation

public indirect enum CanonicalValue: Sendable, Codable {
    case none
    case bool(Bool)
    /// Decimal digits with an optional sign, or "0x"-prefixed hex for very large magnitudes.
    case int(String)
    case float(Double)
    case complex(real: Double, imaginary: Double)
    case string(String)
    /// A str holding unpaired surrogates, backslash-escaped.
    case unpairedString(String)
    case bytes([UInt8])
    case bytearray([UInt8])
    case list([CanonicalValue])
    case tuple([CanonicalValue])
    case set([CanonicalValue])
    case frozenset([CanonicalValue])
    case dict([DictEntry])
    case cycle(String)
    case object(type: String, repr: String)
    /// An instance whose class has no repr of its own: its attributes (`__dict__` and `__slots__`), a `.dict`.
    case instance(type: String, state: CanonicalValue)

    public struct DictEntry: Sendable, Codable {
        public var key: CanonicalValue
        public var value: CanonicalValue
        public init(key: CanonicalValue, value: CanonicalValue) { self.key = key; self.value = value }
    }

    /// Parses canonical text as the supervisor writes it.
    public init(canonicalText: String) throws {
        self = try JSONDecoder().decode(CanonicalValue.self, from: Data(canonicalText.utf8))
    }

    /// The canonical JSON text (sorted keys, no spaces), equal for equal values.
    public var canonicalText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Codable

    private struct TagKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [CanonicalValue] = []
            while !array.isAtEnd { items.append(try array.decode(CanonicalValue.self)) }
            self = .list(items)
            return
        }
        if let object = try? decoder.container(keyedBy: TagKey.self) {
            self = try Self.decodeTagged(object, codingPath: decoder.codingPath)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .none; return }
        if let flag = try? single.decode(Bool.self) { self = .bool(flag); return }
        if let number = try? single.decode(Int64.self) { self = .int(String(number)); return }
        if let text = try? single.decode(String.self) { self = .string(text); return }
        throw DecodingError.dataCorruptedError(in: single, debugDescription: "not a canonical value")
    }

    private static func decodeTagged(_ object: KeyedDecodingContainer<TagKey>, codingPath: [CodingKey]) throws -> CanonicalValue {
        let keys = object.allKeys.map(\.stringValue).sorted()
        func key(_ name: String) -> TagKey { TagKey(stringValue: name) }
        func floatValue(_ text: String) throws -> Double {
            guard let value = Double(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "bad float text \(text)"))
            }
            return value
        }
        func hexBytes(_ text: String) throws -> [UInt8] {
            guard let bytes = [UInt8](hex: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "bad hex text"))
            }
            return bytes
        }
        switch keys {
        case ["int"]: return .int(try object.decode(String.self, forKey: key("int")))
        case ["float"]: return .float(try floatValue(try object.decode(String.self, forKey: key("float"))))
        case ["complex"]:
            let parts = try object.decode([String].self, forKey: key("complex"))
            guard parts.count == 2 else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "complex needs two parts"))
            }
            return .complex(real: try floatValue(parts[0]), imaginary: try floatValue(parts[1]))
        case ["unpaired"]: return .unpairedString(try object.decode(String.self, forKey: key("unpaired")))
        case ["bytes"]: return .bytes(try hexBytes(try object.decode(String.self, forKey: key("bytes"))))
        case ["bytearray"]: return .bytearray(try hexBytes(try object.decode(String.self, forKey: key("bytearray"))))
        case ["tuple"]: return .tuple(try object.decode([CanonicalValue].self, forKey: key("tuple")))
        case ["set"]: return .set(try object.decode([CanonicalValue].self, forKey: key("set")))
        case ["frozenset"]: return .frozenset(try object.decode([CanonicalValue].self, forKey: key("frozenset")))
        case ["dict"]:
            let pairs = try object.decode([[CanonicalValue]].self, forKey: key("dict"))
            return .dict(try pairs.map { pair in
                guard pair.count == 2 else {
                    throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "dict entry needs key and value"))
                }
                return DictEntry(key: pair[0], value: pair[1])
            })
        case ["cycle"]: return .cycle(try object.decode(String.self, forKey: key("cycle")))
        case ["object", "state"]:
            return .instance(type: try object.decode(String.self, forKey: key("object")),
                             state: try object.decode(CanonicalValue.self, forKey: key("state")))
        case ["object", "repr"]:
            return .object(type: try object.decode(String.self, forKey: key("object")),
                           repr: try object.decode(String.self, forKey: key("repr")))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "unknown canonical tag \(keys)"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .none:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case let .bool(flag):
            var single = encoder.singleValueContainer()
            try single.encode(flag)
        case let .int(text):
            if let small = Int64(text), abs(small) < (1 << 53) {
                var single = encoder.singleValueContainer()
                try single.encode(small)
            } else {
                try encodeTagged(encoder, "int", text)
            }
        case let .float(number): try encodeTagged(encoder, "float", Self.floatText(number))
        case let .complex(real, imaginary):
            try encodeTagged(encoder, "complex", [Self.floatText(real), Self.floatText(imaginary)])
        case let .string(text):
            var single = encoder.singleValueContainer()
            try single.encode(text)
        case let .unpairedString(text): try encodeTagged(encoder, "unpaired", text)
        case let .bytes(bytes): try encodeTagged(encoder, "bytes", bytes.hexString)
        case let .bytearray(bytes): try encodeTagged(encoder, "bytearray", bytes.hexString)
        case let .list(items):
            var array = encoder.unkeyedContainer()
            for item in items { try array.encode(item) }
        case let .tuple(items): try encodeTagged(encoder, "tuple", items)
        case let .set(items): try encodeTagged(encoder, "set", items)
        case let .frozenset(items): try encodeTagged(encoder, "frozenset", items)
        case let .dict(entries): try encodeTagged(encoder, "dict", entries.map { [$0.key, $0.value] })
        case let .cycle(kind): try encodeTagged(encoder, "cycle", kind)
        case let .object(type, repr):
            var object = encoder.container(keyedBy: TagKey.self)
            try object.encode(type, forKey: TagKey(stringValue: "object"))
            try object.encode(repr, forKey: TagKey(stringValue: "repr"))
        case let .instance(type, state):
            var object = encoder.container(keyedBy: TagKey.self)
            try object.encode(type, forKey: TagKey(stringValue: "object"))
            try object.encode(state, forKey: TagKey(stringValue: "state"))
        }
    }

    private func encodeTagged<T: Encodable>(_ encoder: Encoder, _ tag: String, _ payload: T) throws {
        var object = encoder.container(keyedBy: TagKey.self)
        try object.encode(payload, forKey: TagKey(stringValue: tag))
    }

    /// Python's float repr for the values Swift prints differently (nan, inf, -0.0, exponents).
    static func floatText(_ number: Double) -> String {
        if number.isNaN { return "nan" }
        if number.isInfinite { return number < 0 ? "-inf" : "inf" }
        if number == 0 { return "0.0" }
        return PythonFloat.repr(number)
    }
}

extension [UInt8] {
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
