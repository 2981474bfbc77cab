// Python-literal display of canonical values, for people reading results (`exec` without --json, `inspect`).
import Foundation

extension CanonicalValue: CustomStringConvertible {
    /// Close to Python's repr of the value, with dicts and sets in canonical order.
    public var description: String {
        switch self {
        case .none: return "None"
        case let .bool(flag): return flag ? "True" : "False"
        case let .int(text): return text
        case let .float(number): return Self.floatLiteral(number)
        case let .complex(real, imaginary):
            return "complex(\(Self.floatLiteral(real)), \(Self.floatLiteral(imaginary)))"
        case let .string(text): return Self.quoted(text)
        case let .unpairedString(text): return "'" + text + "'"
        case let .bytes(bytes): return Self.bytesLiteral(bytes)
        case let .bytearray(bytes): return "bytearray(\(Self.bytesLiteral(bytes)))"
        case let .list(items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case let .tuple(items):
            return items.count == 1 ? "(\(items[0]),)" : "(" + items.map(\.description).joined(separator: ", ") + ")"
        case let .set(items):
            return items.isEmpty ? "set()" : "{" + items.map(\.description).joined(separator: ", ") + "}"
        case let .frozenset(items):
            return "frozenset(" + (items.isEmpty ? "" : "{" + items.map(\.description).joined(separator: ", ") + "}") + ")"
        case let .dict(entries):
            return "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case let .cycle(kind):
            switch kind {
            case "list": return "[...]"
            case "dict": return "{...}"
            default: return "\(kind)(...)"
            }
        case let .object(_, repr): return repr
        case let .instance(type, state):
            // As a dataclass shows itself: `Counter(value=7, step=1)`.
            let name = type.split(separator: ".").last.map(String.init) ?? type
            guard case let .dict(entries) = state else { return "\(name)(\(state))" }
            return name + "(" + entries.map { entry in
                if case let .string(key) = entry.key { return "\(key)=\(entry.value)" }
                return "\(entry.key)=\(entry.value)"
            }.joined(separator: ", ") + ")"
        }
    }

    static func floatLiteral(_ number: Double) -> String {
        if number.isNaN { return "float('nan')" }
        if number.isInfinite { return number < 0 ? "float('-inf')" : "float('inf')" }
        return PythonFloat.repr(number)
    }

    static func quoted(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    static func bytesLiteral(_ bytes: [UInt8]) -> String {
        let hasSingle = bytes.contains(UInt8(ascii: "'")), hasDouble = bytes.contains(UInt8(ascii: "\""))
        let quote: UInt8 = hasSingle && !hasDouble ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var out = "b" + String(UnicodeScalar(quote))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            case quote: out += "\\" + String(UnicodeScalar(quote))
            case 0x20..<0x7F: out.unicodeScalars.append(UnicodeScalar(byte))
            default: out += String(format: "\\x%02x", byte)
            }
        }
        return out + String(UnicodeScalar(quote))
    }
}
