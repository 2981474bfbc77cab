// The filters chat templates use (`|trim`, `|tojson`, `|length`, `|selectattr(...)`, ...), checked by name
// when the template is parsed.
import Foundation

enum JinjaFilters {
    static let names: Set<String> = [
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "indent", "int",
        "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
        "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "unique",
        "upper", "wordcount",
    ]

    static func check(_ name: String, line: Int) throws(JinjaError) {
        guard names.contains(name) else { throw JinjaError(.unsupported, "the filter `\(name)`", line: line) }
    }

    /// Items of a list, keys of a dict, characters of a string.
    static func sequence(_ value: JinjaValue) throws(JinjaError) -> [JinjaValue] {
        switch value {
        case let .list(items): return items
        case let .dict(dict): return dict.keys.map(JinjaValue.string)
        case let .string(s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []  // jinja2's undefined iterates as empty
        default: throw JinjaError(.runtime, "'\(value.typeName)' object is not iterable")
        }
    }

    static func apply(_ name: String, to value: JinjaValue, arguments: JinjaRenderer.Arguments,
                      renderer: JinjaRenderer) throws(JinjaError) -> JinjaValue {
        let args = arguments.positional
        switch name {
        case "default", "d":
            let fallback = arguments.value(0, "default_value") ?? .string("")
            let onFalsy = arguments.value(1, "boolean")?.isTruthy ?? false
            return !value.isDefined || (onFalsy && !value.isTruthy) ? fallback : value
        case "safe": return value
        case "string": return .string(value.text)
        case "trim":
            guard case let .string(s) = value else { return .string(PythonString.strip(value.text, nil, leading: true, trailing: true)) }
            return .string(PythonString.strip(s, arguments.value(0, "chars").map(\.text), leading: true, trailing: true))
        case "upper": return .string(value.text.uppercased())
        case "lower": return .string(value.text.lowercased())
        case "capitalize": return .string(PythonString.capitalize(value.text))
        case "title": return .string(PythonString.title(value.text))
        case "length", "count":
            switch value {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .dict(d): return .int(d.count)
            default: return .int(try sequence(value).count)
            }
        case "wordcount": return .int(try PythonString.split(value.text, separator: nil).count)
        case "first": return try sequence(value).first ?? .undefined("first item of an empty sequence")
        case "last": return try sequence(value).last ?? .undefined("last item of an empty sequence")
        case "list": return .list(try sequence(value))
        case "reverse":
            if case let .string(s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .list(try sequence(value).reversed())
        case "items":
            guard case let .dict(dict) = value else {
                if case .undefined = value { return .list([]) }
                throw JinjaError(.runtime, "can only get item pairs from a mapping")
            }
            return .list(dict.pairs.map { .list([.string($0.0), $0.1]) })
        case "join":
            let separator = arguments.value(0, "d")?.text ?? ""
            var items = try sequence(value)
            if let attribute = arguments.value(1, "attribute") { items = try items.map { item throws(JinjaError) in try attributeOf(item, attribute, renderer) } }
            return .string(items.map(\.text).joined(separator: separator))
        case "replace":
            guard args.count >= 2 else { throw JinjaError(.runtime, "replace takes two arguments") }
            return .string(PythonString.replace(value.text, args[0].text, args[1].text, limit: args.count > 2 ? args[2].integer ?? -1 : -1))
        case "int":
            switch value {
            case let .int(i): return .int(i)
            case let .double(d): return .int(Int(d))
            case let .bool(b): return .int(b ? 1 : 0)
            case let .string(s): return .int(Int(PythonString.strip(s, nil, leading: true, trailing: true)) ?? Int(Double(s) ?? 0))
            default: return .int(arguments.value(0, "default")?.integer ?? 0)
            }
        case "float":
            switch value {
            case let .string(s): return .double(Double(PythonString.strip(s, nil, leading: true, trailing: true)) ?? 0)
            default: return .double(value.number ?? 0)
            }
        case "abs":
            switch value {
            case let .int(i): return .int(abs(i))
            case let .double(d): return .double(abs(d))
            default: throw JinjaError(.runtime, "bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            guard let number = value.number else { throw JinjaError(.runtime, "round needs a number") }
            let digits = arguments.value(0, "precision")?.integer ?? 0
            let scale = pow(10, Double(digits))
            let method = arguments.value(1, "method")?.text ?? "common"
            let scaled = number * scale
            let rounded = method == "ceil" ? scaled.rounded(.up) : method == "floor" ? scaled.rounded(.down) : scaled.rounded(.toNearestOrEven)
            return .double(rounded / scale)
        case "sum":
            var total = JinjaValue.int(arguments.value(1, "start")?.integer ?? 0)
            for item in try sequence(value) {
                let term = try arguments.value(0, "attribute").map { attribute throws(JinjaError) in try attributeOf(item, attribute, renderer) } ?? item
                total = try JinjaOperators.apply("+", total, term)
            }
            return total
        case "min", "max":
            let items = try sequence(value)
            guard var best = items.first else { return .undefined("\(name) of an empty sequence") }
            for item in items.dropFirst() {
                let order = try JinjaOperators.compare(item, best)
                if name == "min" ? order < 0 : order > 0 { best = item }
            }
            return best
        case "sort":
            let items = try sequence(value)
            let reverse = arguments.value(0, "reverse")?.isTruthy ?? false
            let attribute = arguments.value(2, "attribute")
            var keyed: [(key: JinjaValue, item: JinjaValue)] = []
            for item in items {
                keyed.append((try attribute.map { attribute throws(JinjaError) in try attributeOf(item, attribute, renderer) } ?? item, item))
            }
            var failure: JinjaError?
            keyed.sort { a, b in
                do throws(JinjaError) {
                    return try JinjaOperators.compare(a.key, b.key) * (reverse ? -1 : 1) < 0
                } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            return .list(keyed.map(\.item))
        case "unique":
            var seen: [JinjaValue] = []
            for item in try sequence(value) where !seen.contains(item) { seen.append(item) }
            return .list(seen)
        case "dictsort":
            guard case let .dict(dict) = value else { throw JinjaError(.runtime, "dictsort needs a mapping") }
            let pairs = dict.pairs.sorted { a, b in (try? JinjaOperators.compare(.string(a.0), .string(b.0))) ?? 0 < 0 }
            return .list(pairs.map { .list([.string($0.0), $0.1]) })
        case "attr":
            // Python attributes only: a dict's keys are not attributes, a namespace's are.
            guard let attribute = args.first else { throw JinjaError(.runtime, "attr takes a name") }
            if case let .namespace(ns) = value { return ns.attributes[attribute.text] ?? .undefined(attribute.text) }
            return .undefined(attribute.text)
        case "map":
            let items = try sequence(value)
            if let attribute = arguments.named("attribute") {
                let fallback = arguments.named("default")
                return .list(try items.map { item throws(JinjaError) in
                    let found = try attributeOf(item, attribute, renderer)
                    return found.isDefined ? found : fallback ?? found
                })
            }
            guard case let .string(filter)? = args.first else { throw JinjaError(.runtime, "map takes a filter name or attribute=") }
            try check(filter, line: 0)
            let rest = JinjaRenderer.Arguments(positional: Array(args.dropFirst()), named: arguments.named)
            return .list(try items.map { item throws(JinjaError) in try apply(filter, to: item, arguments: rest, renderer: renderer) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var testArgs = args
            let attribute = byAttribute ? (testArgs.isEmpty ? nil : testArgs.removeFirst()) : nil
            if byAttribute, attribute == nil { throw JinjaError(.runtime, "\(name) takes an attribute name") }
            let test = testArgs.isEmpty ? nil : testArgs.removeFirst()
            if case let .string(testName)? = test { try JinjaPredicates.check(testName, line: 0) }
            var kept: [JinjaValue] = []
            for item in try sequence(value) {
                let subject = try attribute.map { attribute throws(JinjaError) in try attributeOf(item, attribute, renderer) } ?? item
                let holds = try test.map { test throws(JinjaError) in try JinjaPredicates.holds(test.text, for: subject, arguments: testArgs) }
                    ?? subject.isTruthy
                if holds == keep { kept.append(item) }
            }
            return .list(kept)
        case "tojson":
            let indent = arguments.value(1, "indent")?.integer
            let sortKeys = arguments.value(4, "sort_keys")?.isTruthy ?? false
            return .string(try JinjaJSON.encode(value, indent: indent, sortKeys: sortKeys))
        case "indent":
            let width = arguments.value(0, "width")
            let unit = width.flatMap { if case let .string(s) = $0 { s } else { nil } } ?? String(repeating: " ", count: width?.integer ?? 4)
            let first = arguments.value(1, "first")?.isTruthy ?? false
            let blank = arguments.value(2, "blank")?.isTruthy ?? false
            var lines = value.text.components(separatedBy: "\n")
            for i in lines.indices where (i > 0 || first) && (blank || !PythonString.strip(lines[i], nil, leading: true, trailing: true).isEmpty) {
                lines[i] = unit + lines[i]
            }
            return .string(lines.joined(separator: "\n"))
        case "e", "escape":
            var out = ""
            for scalar in value.text.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return .string(out)
        default:
            throw JinjaError(.unsupported, "the filter `\(name)`")
        }
    }

    /// `item.name` or `item['name']`; a dotted name (`a.b`) walks down, as jinja2's attribute filters do.
    private static func attributeOf(_ item: JinjaValue, _ attribute: JinjaValue, _ renderer: JinjaRenderer) throws(JinjaError) -> JinjaValue {
        if case let .int(i) = attribute { return try renderer.item(.int(i), of: item, describing: .name("item")) }
        var value = item
        for part in attribute.text.split(separator: ".") {
            if case .undefined = value { return value }
            value = try renderer.item(.string(String(part)), of: value, describing: .name("item"))
        }
        return value
    }
}
