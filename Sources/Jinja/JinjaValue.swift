import Foundation

// The values a template computes with, following Python's semantics where templates depend on them
// (truthiness, `str()` and `repr()`, equality, code-point strings), since transformers renders with jinja2.

public indirect enum JinjaValue: Sendable {
    /// A name or attribute that does not exist: falsy, prints as nothing, an error when used further.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JinjaValue])
    case dict(JinjaDict)
    /// `namespace(...)`: the one mutable value, shared by reference so loops can write to it.
    case namespace(JinjaNamespace)
    case callable(JinjaCallable)
}

/// A dictionary that keeps insertion order, as Python's does (`items()`, `tojson` follow it).
public struct JinjaDict: Sendable, Equatable {
    /// Python's dict equality: the same keys and values, whatever the order.
    public static func == (a: JinjaDict, b: JinjaDict) -> Bool { a.storage == b.storage }

    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init() {}
    public init(_ pairs: [(String, JinjaValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if storage[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            storage[key] = newValue
        }
    }

    public var pairs: [(String, JinjaValue)] { keys.map { ($0, storage[$0]!) } }
    public var count: Int { keys.count }
}

public final class JinjaNamespace: @unchecked Sendable {
    // Only the renderer that made it touches it, on one thread.
    var attributes: JinjaDict
    init(_ attributes: JinjaDict) { self.attributes = attributes }
}

/// Something a template can call: a global function, a macro, or a method bound to its receiver.
public struct JinjaCallable: Sendable {
    enum Kind: Sendable {
        case global(String)
        /// A macro with the loop and macro variables in force where it was defined (top-level ones are read at the call).
        case macro(JinjaMacro, closure: [String: JinjaValue])
        case method(receiver: JinjaValue, name: String)
    }
    let kind: Kind
}

extension JinjaValue: Equatable {
    /// Python `==`: numbers compare across int/float/bool, containers element-wise.
    public static func == (lhs: JinjaValue, rhs: JinjaValue) -> Bool {
        switch (lhs, rhs) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case let (.list(a), .list(b)): return a == b
        case let (.dict(a), .dict(b)): return a == b
        case let (.namespace(a), .namespace(b)): return a === b
        case (.callable, .callable): return false
        default:
            if let a = lhs.number, let b = rhs.number { return a == b }
            return false
        }
    }

    /// Numeric value of ints, floats and booleans (Python treats `True == 1`).
    var number: Double? {
        switch self {
        case let .int(i): Double(i)
        case let .double(d): d
        case let .bool(b): b ? 1 : 0
        default: nil
        }
    }
}

extension JinjaValue {
    /// Python truthiness.
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case let .bool(b): b
        case let .int(i): i != 0
        case let .double(d): d != 0
        case let .string(s): !s.isEmpty
        case let .list(l): !l.isEmpty
        case let .dict(d): d.count > 0
        case .namespace, .callable: true
        }
    }

    public var isDefined: Bool {
        if case .undefined = self { return false }
        return true
    }

    /// The name Python would give the type, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .list: "list"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .callable: "function"
        }
    }

    /// What `{{ value }}` prints: Python's `str()`, with undefined printing nothing.
    public var text: String {
        switch self {
        case .undefined: ""
        case let .string(s): s
        default: repr
        }
    }

    /// Python's `repr()`: strings quoted, containers written out.
    var repr: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case let .bool(b): b ? "True" : "False"
        case let .int(i): String(i)
        case let .double(d): Self.pythonFloat(d)
        case let .string(s): Self.pythonQuoted(s)
        case let .list(items): "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case let .dict(d): "{" + d.pairs.map { Self.pythonQuoted($0.0) + ": " + $0.1.repr }.joined(separator: ", ") + "}"
        case let .namespace(ns): "<Namespace " + JinjaValue.dict(ns.attributes).repr + ">"
        case .callable: "<function>"
        }
    }

    /// Python's float repr: shortest round-trip digits, always with a point or exponent.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    /// Python's string repr: single quotes unless the text has a single quote and no double quote.
    static func pythonQuoted(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote { out += "\\" + String(quote) }
                else if scalar.value < 0x20 || scalar.value == 0x7f { out += String(format: "\\x%02x", scalar.value) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + String(quote)
    }
}
