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

    static func check(_ name: String, line: Int?) throws(JinjaError) {
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

    /// Each filter's parameters after the value, in jinja2's (and transformers' `tojson`) order: an argument beyond
    /// them, or named otherwise, is an error rather than an option silently ignored.
    static let parameters: [String: [String]] = [
        "default": ["default_value", "boolean"], "d": ["default_value", "boolean"], "trim": ["chars"],
        "tojson": ["ensure_ascii", "indent", "separators", "sort_keys"], "join": ["d", "attribute"], "replace": ["old", "new", "count"],
        "int": ["default"], "float": ["default"], "round": ["precision", "method"], "sum": ["attribute", "start"],
        "min": ["case_sensitive", "attribute"], "max": ["case_sensitive", "attribute"], "sort": ["reverse", "case_sensitive", "attribute"],
        "unique": ["case_sensitive", "attribute"], "dictsort": ["case_sensitive", "by", "reverse"], "indent": ["width", "first", "blank"],
        "attr": ["name"],
    ]

    static func checkArguments(_ name: String, _ arguments: JinjaRenderer.Arguments) throws(JinjaError) {
        // map and the select family pass what follows on to a filter or test.
        if ["map", "select", "reject", "selectattr", "rejectattr"].contains(name) { return }
        let known = parameters[name] ?? []
        if arguments.positional.count > known.count {
            throw JinjaError(.unsupported, "the filter `\(name)` with \(arguments.positional.count) arguments (it takes \(known.count))")
        }
        for (key, _) in arguments.named where !known.contains(key) {
            throw JinjaError(.unsupported, "the filter `\(name)` with the argument `\(key)`")
        }
    }

    static func apply(_ name: String, to value: JinjaValue, arguments: JinjaRenderer.Arguments,
                      renderer: JinjaRenderer) throws(JinjaError) -> JinjaValue {
        try checkArguments(name, arguments)
        let args = arguments.positional
        /// The argument at `index` in the filter's parameter list, given by position or by name.
        func argument(_ index: Int) -> JinjaValue? { arguments.value(index, parameters[name]?[index] ?? "") }
        switch name {
        case "default", "d":
            let fallback = argument(0) ?? .string("")
            let onFalsy = argument(1)?.isTruthy ?? false
            return !value.isDefined || (onFalsy && !value.isTruthy) ? fallback : value
        case "safe": return value
        case "string": return .string(value.text)
        case "trim":
            guard case let .string(s) = value else { return .string(PythonString.strip(value.text, nil, leading: true, trailing: true)) }
            return .string(PythonString.strip(s, argument(0).map(\.text), leading: true, trailing: true))
        case "upper": return .string(value.text.uppercased())
        case "lower": return .string(value.text.lowercased())
        case "capitalize": return .string(PythonString.capitalize(value.text))
        case "title": return .string(PythonString.jinjaTitle(value.text))
        case "length", "count":
            switch value {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .dict(d): return .int(d.count)
            default: return .int(try sequence(value).count)
            }
        case "wordcount": return .int(PythonString.wordCount(value.text))
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
            let separator = argument(0)?.text ?? ""
            var items = try sequence(value)
            if let attribute = argument(1) { items = try items.map { item throws(JinjaError) in try attributeOf(item, attribute, renderer) } }
            return .string(items.map(\.text).joined(separator: separator))
        case "replace":
            guard let old = argument(0), let new = argument(1) else { throw JinjaError(.runtime, "replace takes two arguments") }
            return .string(PythonString.replace(value.text, old.text, new.text, limit: argument(2)?.integer ?? -1))
        case "int":
            let fallback = argument(0) ?? .int(0)
            switch value {
            case let .int(i): return .int(i)
            case let .bool(b): return .int(b ? 1 : 0)
            case let .double(d): return PythonNumber.truncated(d).map(JinjaValue.int) ?? fallback
            case let .string(s):
                let text = PythonString.strip(s, nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: "")
                if let i = Int(text) { return .int(i) }
                return Double(text).flatMap(PythonNumber.truncated).map(JinjaValue.int) ?? fallback
            default: return fallback
            }
        case "float":
            switch value {
            case let .string(s): return Double(PythonString.strip(s, nil, leading: true, trailing: true)).map(JinjaValue.double) ?? argument(0) ?? .double(0)
            default: return value.number.map(JinjaValue.double) ?? argument(0) ?? .double(0)
            }
        case "abs":
            switch value {
            case let .int(i): return i == .min ? .double(-Double(i)) : .int(abs(i))
            case let .double(d): return .double(abs(d))
            default: throw JinjaError(.runtime, "bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            guard let number = value.number else { throw JinjaError(.runtime, "round needs a number") }
            let digits = argument(0)?.integer ?? 0
            let method = argument(1)?.text ?? "common"
            guard ["common", "ceil", "floor"].contains(method) else { throw JinjaError(.runtime, "method must be common, ceil or floor") }
            // Python's round(int, n) keeps an int; the other methods and floats give floats.
            if method == "common", case .int = value, digits >= 0 { return value }
            let scale = pow(10, Double(digits)), scaled = number * scale
            let rounded = method == "ceil" ? scaled.rounded(.up) : method == "floor" ? scaled.rounded(.down) : scaled.rounded(.toNearestOrEven)
            return .double(rounded / scale)
        case "sum":
            var total = argument(1) ?? .int(0)
            for item in try sequence(value) {
                let term = try argument(0).map { attribute throws(JinjaError) in try attributeOf(item, attribute, renderer) } ?? item
                total = try JinjaOperators.apply("+", total, term)
            }
            return total
        case "min", "max":
            let keyed = try keyed(try sequence(value), caseSensitive: argument(0)?.isTruthy ?? false, attribute: argument(1), renderer)
            guard var best = keyed.first else { return .undefined("\(name) of an empty sequence") }
            for candidate in keyed.dropFirst() {
                let order = try JinjaOperators.compare(candidate.key, best.key)
                if name == "min" ? order < 0 : order > 0 { best = candidate }
            }
            return best.item
        case "sort":
            let reverse = argument(0)?.isTruthy ?? false
            return .list(try sorted(try keyed(try sequence(value), caseSensitive: argument(1)?.isTruthy ?? false, attribute: argument(2), renderer),
                                    reverse: reverse))
        case "unique":
            var seen: [JinjaValue] = [], kept: [JinjaValue] = []
            for (key, item) in try keyed(try sequence(value), caseSensitive: argument(0)?.isTruthy ?? false, attribute: argument(1), renderer)
            where !seen.contains(key) {
                seen.append(key)
                kept.append(item)
            }
            return .list(kept)
        case "dictsort":
            guard case let .dict(dict) = value else { throw JinjaError(.runtime, "dictsort needs a mapping") }
            let caseSensitive = argument(0)?.isTruthy ?? false
            let byValue: Bool
            switch argument(1)?.text ?? "key" {
            case "key": byValue = false
            case "value": byValue = true
            default: throw JinjaError(.runtime, "You can only sort by either \"key\" or \"value\"")
            }
            let pairs = dict.pairs.map { (key: caseFolded(byValue ? $0.1 : .string($0.0), caseSensitive), item: JinjaValue.list([.string($0.0), $0.1])) }
            return .list(try sorted(pairs, reverse: argument(2)?.isTruthy ?? false))
        case "attr":
            // Python attributes only: a dict's keys are not attributes, a namespace's are.
            guard let attribute = argument(0) else { throw JinjaError(.runtime, "attr takes a name") }
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
            try check(filter, line: nil)
            let rest = JinjaRenderer.Arguments(positional: Array(args.dropFirst()), named: arguments.named)
            return .list(try items.map { item throws(JinjaError) in try apply(filter, to: item, arguments: rest, renderer: renderer) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var testArgs = args
            let attribute = byAttribute ? (testArgs.isEmpty ? nil : testArgs.removeFirst()) : nil
            if byAttribute, attribute == nil { throw JinjaError(.runtime, "\(name) takes an attribute name") }
            let test = testArgs.isEmpty ? nil : testArgs.removeFirst()
            if case let .string(testName)? = test { try JinjaPredicates.check(testName, line: nil) }
            var kept: [JinjaValue] = []
            for item in try sequence(value) {
                let subject = try attribute.map { attribute throws(JinjaError) in try attributeOf(item, attribute, renderer) } ?? item
                let holds = try test.map { test throws(JinjaError) in try JinjaPredicates.holds(test.text, for: subject, arguments: testArgs) }
                    ?? subject.isTruthy
                if holds == keep { kept.append(item) }
            }
            return .list(kept)
        case "tojson":
            let indent: String?
            switch argument(1) {
            case nil, .none?: indent = nil
            case let .string(unit)?: indent = unit
            case let other?:
                guard let width = other.integer else { throw JinjaError(.runtime, "tojson's indent must be a number or a string") }
                indent = String(repeating: " ", count: max(width, 0))
            }
            var separators: (item: String, key: String)?
            if let given = argument(2), given != .none {
                guard case let .list(parts) = given, parts.count == 2, case let .string(item) = parts[0], case let .string(key) = parts[1] else {
                    throw JinjaError(.runtime, "tojson's separators must be two strings")
                }
                separators = (item, key)
            }
            return .string(try JinjaJSON.encode(value, indent: indent, separators: separators, sortKeys: argument(3)?.isTruthy ?? false,
                                                ensureASCII: argument(0)?.isTruthy ?? false))
        case "indent":
            let width = argument(0)
            let unit = width.flatMap { if case let .string(s) = $0 { s } else { nil } } ?? String(repeating: " ", count: max(width?.integer ?? 4, 0))
            let first = argument(1)?.isTruthy ?? false, blank = argument(2)?.isTruthy ?? false
            // jinja2 appends a newline and splits into lines, so a trailing newline is dropped; empty lines stay bare
            // unless `blank`, whitespace-only lines are indented.
            let lines = PythonString.splitLines(value.text + "\n")
            var out = lines.first ?? ""
            for line in lines.dropFirst() { out += "\n" + (blank || !line.isEmpty ? unit + line : line) }
            return .string(first ? unit + out : out)
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

    /// Strings lowered unless `caseSensitive`, as jinja2 compares them in sort, min, max, unique and dictsort.
    private static func caseFolded(_ value: JinjaValue, _ caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case let .string(s) = value { return .string(s.lowercased()) }
        return value
    }

    private static func keyed(_ items: [JinjaValue], caseSensitive: Bool, attribute: JinjaValue?,
                              _ renderer: JinjaRenderer) throws(JinjaError) -> [(key: JinjaValue, item: JinjaValue)] {
        var out: [(key: JinjaValue, item: JinjaValue)] = []
        for item in items {
            let key = try attribute.map { attribute throws(JinjaError) in try attributeOf(item, attribute, renderer) } ?? item
            out.append((caseFolded(key, caseSensitive), item))
        }
        return out
    }

    /// A stable sort by key, as Python's.
    private static func sorted(_ keyed: [(key: JinjaValue, item: JinjaValue)], reverse: Bool) throws(JinjaError) -> [JinjaValue] {
        var failure: JinjaError?
        let order = keyed.indices.sorted { a, b in
            do throws(JinjaError) {
                let c = try JinjaOperators.compare(keyed[a].key, keyed[b].key) * (reverse ? -1 : 1)
                return c != 0 ? c < 0 : a < b
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        return order.map { keyed[$0].item }
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
