// `tojson` as transformers defines it: Python's `json.dumps` with `ensure_ascii=False` unless asked (non-ASCII text
// stays as it is), with Python's default separators (`, ` and `: `, or `,` when indenting) unless given.
import Foundation

enum JinjaJSON {
    struct Style {
        var indent: String?
        var itemSeparator: String
        var keySeparator: String
        var sortKeys: Bool
        var ensureASCII: Bool
    }

    /// `indent` is the text of one level (nil: one line); `separators` default as Python's do.
    static func encode(_ value: JinjaValue, indent: String? = nil, separators: (item: String, key: String)? = nil, sortKeys: Bool = false,
                       ensureASCII: Bool = false) throws(JinjaError) -> String {
        let style = Style(indent: indent, itemSeparator: separators?.item ?? (indent == nil ? ", " : ","),
                          keySeparator: separators?.key ?? ": ", sortKeys: sortKeys, ensureASCII: ensureASCII)
        var out = ""
        try write(value, style, level: 0, into: &out)
        return out
    }

    private static func write(_ value: JinjaValue, _ style: Style, level: Int, into out: inout String) throws(JinjaError) {
        switch value {
        case .none: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : JinjaValue.pythonFloat(d)
        case let .string(s): out += quoted(s, ensureASCII: style.ensureASCII)
        case let .list(items):
            try container("[", "]", items.map { (nil, $0) }, style, level: level, into: &out)
        case let .dict(dict):
            let pairs = style.sortKeys ? dict.pairs.sorted { (try? JinjaOperators.compare(.string($0.0), .string($1.0))) ?? 0 < 0 } : dict.pairs
            try container("{", "}", pairs.map { ($0.0, $0.1) }, style, level: level, into: &out)
        case let .namespace(ns): try write(.dict(ns.attributes), style, level: level, into: &out)
        case let .undefined(name): throw JinjaError(.runtime, "'\(name)' is undefined (given to tojson)")
        case .callable: throw JinjaError(.runtime, "Object of type function is not JSON serializable")
        }
    }

    private static func container(_ open: String, _ close: String, _ entries: [(String?, JinjaValue)], _ style: Style,
                                  level: Int, into out: inout String) throws(JinjaError) {
        out += open
        guard !entries.isEmpty else { out += close; return }
        let newline = style.indent.map { "\n" + String(repeating: $0, count: level + 1) }
        for (i, (key, value)) in entries.enumerated() {
            if i > 0 { out += style.itemSeparator }
            if let newline { out += newline }
            if let key { out += quoted(key, ensureASCII: style.ensureASCII) + style.keySeparator }
            try write(value, style, level: level + 1, into: &out)
        }
        if let indent = style.indent { out += "\n" + String(repeating: indent, count: level) }
        out += close
    }

    static func quoted(_ s: String, ensureASCII: Bool = false) -> String {
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
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7e) {
                    // Python writes code points past the BMP as a surrogate pair.
                    for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
