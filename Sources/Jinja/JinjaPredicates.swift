// Tests (`x is defined`, `x is string`, `n is divisibleby 2`), checked by name when the template is parsed.

enum JinjaPredicates {
    static let names: Set<String> = [
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false", "mapping",
        "iterable", "sequence", "callable", "odd", "even", "divisibleby", "equalto", "eq", "==", "ne", "!=", "lt", "<",
        "le", "<=", "gt", ">", "ge", ">=", "in", "sameas", "lower", "upper",
    ]

    static func check(_ name: String, line: Int) throws(JinjaError) {
        guard names.contains(name) else { throw JinjaError(.unsupported, "the test `is \(name)`", line: line) }
    }

    static func holds(_ name: String, for value: JinjaValue, arguments: [JinjaValue]) throws(JinjaError) -> Bool {
        func argument() throws(JinjaError) -> JinjaValue {
            guard let first = arguments.first else { throw JinjaError(.runtime, "the test `\(name)` takes an argument") }
            return first
        }
        switch name {
        case "defined": return value.isDefined
        case "undefined": return !value.isDefined
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number":
            switch value {
            case .int, .double, .bool: return true
            default: return false
            }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "iterable", "sequence":
            switch value {
            case .list, .dict, .string: return true
            default: return false
            }
        case "callable": if case .callable = value { return true } else { return false }
        case "odd", "even":
            guard let n = value.integer else { throw JinjaError(.runtime, "the test `\(name)` needs an integer") }
            return (abs(n) % 2 == 1) == (name == "odd")
        case "divisibleby":
            guard let n = value.integer, let d = try argument().integer, d != 0 else {
                throw JinjaError(.runtime, "the test `divisibleby` needs non-zero integers")
            }
            return n % d == 0
        case "equalto", "eq", "==", "sameas": return value == (try argument())
        case "ne", "!=": return value != (try argument())
        case "lt", "<": return try JinjaOperators.compare(value, try argument()) < 0
        case "le", "<=": return try JinjaOperators.compare(value, try argument()) <= 0
        case "gt", ">": return try JinjaOperators.compare(value, try argument()) > 0
        case "ge", ">=": return try JinjaOperators.compare(value, try argument()) >= 0
        case "in": return try JinjaOperators.contains(try argument(), value)
        case "lower": if case let .string(s) = value { return s == s.lowercased() } else { return false }
        case "upper": if case let .string(s) = value { return s == s.uppercased() } else { return false }
        default: throw JinjaError(.unsupported, "the test `is \(name)`")
        }
    }
}
