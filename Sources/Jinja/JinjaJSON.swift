// `tojson` as transformers defines it: Python's `json.dumps` with `ensure_ascii=False`, so non-ASCII text
// stays as it is, with Python's default separators (`, ` and `: `, or `,` when indenting).
import Foundation

enum JinjaJSON {
    static func encode(_ value: JinjaValue, indent: Int? = nil, sortKeys: Bool = false) throws(JinjaError) -> String {
        var out = ""
        try write(value, indent: indent, sortKeys: sortKeys, level: 0, into: &out)
        return out
    }

    private static func write(_ value: JinjaValue, indent: Int?, sortKeys: Bool, level: Int, into out: inout String) throws(JinjaError) {
        switch value {
        case .none: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : JinjaValue.pythonFloat(d)
        case let .string(s): out += quoted(s)
        case let .list(items):
            try container("[", "]", items.map { (nil, $0) }, indent: indent, sortKeys: sortKeys, level: level, into: &out)
        case let .dict(dict):
            let pairs = sortKeys ? dict.pairs.sorted { (try? JinjaOperators.compare(.string($0.0), .string($1.0))) ?? 0 < 0 } : dict.pairs
            try container("{", "}", pairs.map { ($0.0, $0.1) }, indent: indent, sortKeys: sortKeys, level: level, into: &out)
        case let .namespace(ns): try write(.dict(ns.attributes), indent: indent, sortKeys: sortKeys, level: level, into: &out)
        case let .undefined(name): throw JinjaError(.runtime, "'\(name)' is undefined (given to tojson)")
        case .callable: throw JinjaError(.runtime, "Object of type function is not JSON serializable")
        }
    }

    private static func container(_ open: String, _ close: String, _ entries: [(String?, JinjaValue)], indent: Int?, sortKeys: Bool,
                                  level: Int, into out: inout String) throws(JinjaError) {
        out += open
        guard !entries.isEmpty else { out += close; return }
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) }
        for (i, (key, value)) in entries.enumerated() {
            if i > 0 { out += indent == nil ? ", " : "," }
            if let newline { out += newline }
            if let key { out += quoted(key) + ": " }
            try write(value, indent: indent, sortKeys: sortKeys, level: level + 1, into: &out)
        }
        if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
        out += close
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
