// Tests (`x is defined`, `x is string`, `n is divisibleby 2`), checked by name when the template is parsed.

enum JinjaPredicates {
    static let names: Set<String> = [
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false", "mapping",
        "iterable", "sequence", "callable", "odd", "even", "divisibleby", "equalto", "eq", "==", "ne", "!=", "lt", "<",
        "le", "<=", "gt", ">", "ge", ">=", "in", "sameas", "lower", "upper",
    ]

    static func check(_ name: String, line: Int?) throws(JinjaError) {
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
            case .undefined: return name == "iterable"  // jinja2's undefined iterates as empty
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
        case "equalto", "eq", "==": return value == (try argument())
        case "sameas":
            // Identity: no cross-type equality (`1 is sameas true` is false); containers compare by content here.
            let other = try argument()
            return value.typeName == other.typeName && value == other
        case "ne", "!=": return value != (try argument())
        case "lt", "<": return try JinjaOperators.compare(value, try argument()) < 0
        case "le", "<=": return try JinjaOperators.compare(value, try argument()) <= 0
        case "gt", ">": return try JinjaOperators.compare(value, try argument()) > 0
        case "ge", ">=": return try JinjaOperators.compare(value, try argument()) >= 0
        case "in": return try JinjaOperators.contains(try argument(), value)
        // Python's islower/isupper: at least one cased letter, none of the other case.
        case "lower": return PythonString.isCased(value.text, lower: true)
        case "upper": return PythonString.isCased(value.text, lower: false)
        default: throw JinjaError(.unsupported, "the test `is \(name)`")
        }
    }
}
