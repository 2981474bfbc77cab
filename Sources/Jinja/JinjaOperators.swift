// Binary operators with Python's meaning: `+` joins strings and lists, `/` always divides to a float,
// `//` and `%` floor, comparisons order numbers and strings, `in` searches strings, lists and dict keys.
import Foundation

enum JinjaOperators {
    static func apply(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch op {
        case "~": return .string(a.text + b.text)
        case "==": return .bool(a == b)
        case "!=": return .bool(a != b)
        case "in": return .bool(try contains(b, a))
        case "not in": return .bool(!(try contains(b, a)))
        case "<", "<=", ">", ">=":
            let order = try compare(a, b, op)
            switch op {
            case "<": return .bool(order < 0)
            case "<=": return .bool(order <= 0)
            case ">": return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        default: return try arithmetic(op, a, b)
        }
    }

    private static func arithmetic(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        if case let .undefined(name) = a { throw JinjaError(.runtime, "'\(name)' is undefined (used with \(op))") }
        if case let .undefined(name) = b { throw JinjaError(.runtime, "'\(name)' is undefined (used with \(op))") }
        switch (op, a, b) {
        case let ("+", .string(x), .string(y)): return .string(x + y)
        case let ("+", .list(x), .list(y)): return .list(x + y)
        case let ("*", .string(s), .int(n)), let ("*", .int(n), .string(s)): return .string(String(repeating: s, count: max(n, 0)))
        case let ("*", .list(l), .int(n)), let ("*", .int(n), .list(l)): return .list(Array(repeatElement(l, count: max(n, 0)).joined()))
        default: break
        }
        if case .int = a.integerView, case .int = b.integerView, let x = a.integer, let y = b.integer {
            switch op {
            case "+", "-", "*":
                let (result, overflow) = op == "+" ? x.addingReportingOverflow(y) : op == "-" ? x.subtractingReportingOverflow(y)
                    : x.multipliedReportingOverflow(by: y)
                if overflow { throw JinjaError(.unsupported, "integers past 64 bits (\(x) \(op) \(y))") }
                return .int(result)
            case "/": return try divide(Double(x), Double(y))
            case "//", "%":
                guard y != 0 else { throw JinjaError(.runtime, "integer division or modulo by zero") }
                let quotient = x / y - (x % y != 0 && (x < 0) != (y < 0) ? 1 : 0)
                return .int(op == "//" ? quotient : x - quotient * y)
            case "**":
                guard y >= 0 else { return .double(pow(Double(x), Double(y))) }
                var result = 1, overflow = false
                for _ in 0..<min(y, 64) where !overflow { (result, overflow) = result.multipliedReportingOverflow(by: x) }
                if overflow || (y > 64 && abs(x) > 1) { throw JinjaError(.unsupported, "integers past 64 bits (\(x) ** \(y))") }
                return .int(y > 64 && x == -1 ? (y % 2 == 0 ? 1 : -1) : result)
            default: break
            }
        }
        guard let x = a.number, let y = b.number else {
            throw JinjaError(.runtime, "unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/": return try divide(x, y)
        case "//", "%":
            guard y != 0 else { throw JinjaError(.runtime, "float division or modulo by zero") }
            let quotient = (x / y).rounded(.down)
            return .double(op == "//" ? quotient : x - quotient * y)
        case "**": return .double(pow(x, y))
        default: throw JinjaError(.unsupported, "the operator \(op)")
        }
    }

    private static func divide(_ x: Double, _ y: Double) throws(JinjaError) -> JinjaValue {
        guard y != 0 else { throw JinjaError(.runtime, "division by zero") }
        return .double(x / y)
    }

    /// -1, 0 or 1, as Python orders numbers, strings (by code point) and lists.
    static func compare(_ a: JinjaValue, _ b: JinjaValue, _ op: String = "<") throws(JinjaError) -> Int {
        switch (a, b) {
        case let (.string(x), .string(y)):
            let xs = Array(x.unicodeScalars), ys = Array(y.unicodeScalars)
            for (p, q) in zip(xs, ys) where p != q { return p.value < q.value ? -1 : 1 }
            return xs.count == ys.count ? 0 : xs.count < ys.count ? -1 : 1
        case let (.list(x), .list(y)):
            for (p, q) in zip(x, y) where p != q { return try compare(p, q, op) }
            return x.count == y.count ? 0 : x.count < y.count ? -1 : 1
        default:
            guard let x = a.number, let y = b.number else {
                throw JinjaError(.runtime, "'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
            }
            return x == y ? 0 : x < y ? -1 : 1
        }
    }

    static func contains(_ container: JinjaValue, _ element: JinjaValue) throws(JinjaError) -> Bool {
        switch (container, element) {
        case let (.string(s), .string(part)): return part.isEmpty || s.contains(part)
        case let (.list(items), _): return items.contains(element)
        case let (.dict(dict), .string(key)): return dict[key] != nil
        case (.dict, _): return false
        case (.undefined, _): return false  // as jinja2: `'citations' in controls` with no `controls`
        default: throw JinjaError(.runtime, "argument of type '\(container.typeName)' is not iterable")
        }
    }
}

extension JinjaValue {
    /// Ints and booleans as Python integers (`True + 1 == 2`).
    var integer: Int? {
        switch self {
        case let .int(i): i
        case let .bool(b): b ? 1 : 0
        default: nil
        }
    }

    fileprivate var integerView: JinjaValue { integer.map(JinjaValue.int) ?? self }
}

enum PythonNumber {
    /// `int(x)` of a float: truncated toward zero, nil where Python would fail (nan, infinities, past 64 bits here).
    static func truncated(_ x: Double) -> Int? {
        guard x.isFinite, abs(x) < 9.2e18 else { return nil }
        return Int(x.rounded(.towardZero))
    }
}
