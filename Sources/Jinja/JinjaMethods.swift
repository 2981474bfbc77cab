// Python methods templates call on values: `content.strip()`, `content.split('</think>')`, `message.get('x')`.
// Only methods that read are offered; jinja2's sandbox (which transformers uses) refuses those that modify.

enum JinjaMethods {
    static let string: Set<String> = ["strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith",
                                      "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "count", "join",
                                      "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower"]
    static let dictionary: Set<String> = ["items", "keys", "values", "get"]
    static let list: Set<String> = ["index", "count"]

    static func call(_ name: String, on receiver: JinjaValue, _ arguments: JinjaRenderer.Arguments) throws(JinjaError) -> JinjaValue {
        let args = arguments.positional
        switch receiver {
        case let .string(s): return try stringMethod(name, s, args)
        case let .dict(dict):
            switch name {
            case "items": return .list(dict.pairs.map { .list([.string($0.0), $0.1]) })
            case "keys": return .list(dict.keys.map(JinjaValue.string))
            case "values": return .list(dict.pairs.map(\.1))
            default:  // get
                guard case let .string(key)? = args.first else { return args.count > 1 ? args[1] : .none }
                return dict[key] ?? (args.count > 1 ? args[1] : .none)
            }
        case let .list(items):
            guard let wanted = args.first else { throw JinjaError(.runtime, "list.\(name)() takes one argument") }
            if name == "count" { return .int(items.count { $0 == wanted }) }
            guard let index = items.firstIndex(of: wanted) else { throw JinjaError(.runtime, "\(wanted.repr) is not in list") }
            return .int(index)
        default:
            throw JinjaError(.unsupported, "the method \(receiver.typeName).\(name)()")
        }
    }

    private static func stringMethod(_ name: String, _ s: String, _ args: [JinjaValue]) throws(JinjaError) -> JinjaValue {
        func text(_ i: Int) throws(JinjaError) -> String? {
            guard i < args.count else { return nil }
            switch args[i] {
            case .none: return nil
            case let .string(t): return t
            case let other: throw JinjaError(.runtime, "str.\(name)() wants a string argument, not \(other.typeName)")
            }
        }
        switch name {
        case "strip": return .string(PythonString.strip(s, try text(0), leading: true, trailing: true))
        case "lstrip": return .string(PythonString.strip(s, try text(0), leading: true, trailing: false))
        case "rstrip": return .string(PythonString.strip(s, try text(0), leading: false, trailing: true))
        case "split", "rsplit":
            let limit = args.count > 1 ? args[1].integer ?? -1 : -1
            let parts = try PythonString.split(s, separator: try text(0), limit: limit, fromEnd: name == "rsplit")
            return .list(parts.map(JinjaValue.string))
        case "splitlines": return .list(PythonString.splitLines(s).map(JinjaValue.string))
        case "startswith", "endswith":
            let candidates: [JinjaValue] = if case let .list(items)? = args.first { items } else { Array(args.prefix(1)) }
            for candidate in candidates {
                guard case let .string(affix) = candidate else { throw JinjaError(.runtime, "str.\(name)() wants a string") }
                let scalars = Array(s.unicodeScalars), affixScalars = Array(affix.unicodeScalars)
                if name == "startswith" ? scalars.starts(with: affixScalars) : scalars.reversed().starts(with: affixScalars.reversed()) {
                    return .bool(true)
                }
            }
            return .bool(false)
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(PythonString.title(s))
        case "capitalize": return .string(PythonString.capitalize(s))
        case "replace":
            guard let old = try text(0), let new = try text(1) else { throw JinjaError(.runtime, "str.replace() takes two strings") }
            let limit = args.count > 2 ? args[2].integer ?? -1 : -1
            return .string(PythonString.replace(s, old, new, limit: limit))
        case "find", "rfind":
            guard let part = try text(0) else { throw JinjaError(.runtime, "str.\(name)() takes a string") }
            return .int(PythonString.find(s, part, fromEnd: name == "rfind") ?? -1)
        case "count":
            guard let part = try text(0), !part.isEmpty else { throw JinjaError(.runtime, "str.count() takes a non-empty string") }
            return .int(try PythonString.split(s, separator: part).count - 1)
        case "join":
            guard let items = args.first else { throw JinjaError(.runtime, "str.join() takes one argument") }
            var pieces: [String] = []
            for item in try JinjaFilters.sequence(items) {
                guard case let .string(t) = item else { throw JinjaError(.runtime, "sequence item: expected str instance, \(item.typeName) found") }
                pieces.append(t)
            }
            return .string(pieces.joined(separator: s))
        case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal })
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.properties.isAlphabetic))
        case "isalnum": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.properties.isWhitespace))
        case "isupper": return .bool(PythonString.isCased(s, lower: false))
        case "islower": return .bool(PythonString.isCased(s, lower: true))
        default: throw JinjaError(.unsupported, "the method str.\(name)()")
        }
    }
}

/// Python's string operations, on code points (Swift's `Character` would merge `\r\n` and emoji sequences).
enum PythonString {
    static func strip(_ s: String, _ characters: String?, leading: Bool, trailing: Bool) -> String {
        let set = characters.map { Set($0.unicodeScalars) }
        let strips: (Unicode.Scalar) -> Bool = { set?.contains($0) ?? $0.properties.isWhitespace }
        var scalars = s.unicodeScalars[...]
        if leading { scalars = scalars.drop(while: strips) }
        if trailing { while let last = scalars.last, strips(last) { scalars.removeLast() } }
        return String(scalars)
    }

    /// `split()` on runs of whitespace, or on an exact separator, at most `limit` times (-1: no limit).
    static func split(_ s: String, separator: String?, limit: Int = -1, fromEnd: Bool = false) throws(JinjaError) -> [String] {
        let scalars = Array(s.unicodeScalars)
        if fromEnd {
            let reversed = String(String.UnicodeScalarView(scalars.reversed()))
            let sep = separator.map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) }
            return try split(reversed, separator: sep, limit: limit).reversed().map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) }
        }
        var parts: [String] = []
        guard let separator else {
            var i = 0
            while i < scalars.count {
                while i < scalars.count, scalars[i].properties.isWhitespace { i += 1 }
                guard i < scalars.count else { break }
                if limit >= 0, parts.count == limit {
                    // Python keeps the remainder as it is, trailing whitespace included.
                    parts.append(String(String.UnicodeScalarView(scalars[i...])))
                    break
                }
                let start = i
                while i < scalars.count, !scalars[i].properties.isWhitespace { i += 1 }
                parts.append(String(String.UnicodeScalarView(scalars[start..<i])))
            }
            return parts
        }
        let sep = Array(separator.unicodeScalars)
        guard !sep.isEmpty else { throw JinjaError(.runtime, "empty separator") }
        var start = 0, i = 0
        while i + sep.count <= scalars.count, limit < 0 || parts.count < limit {
            if Array(scalars[i..<(i + sep.count)]) == sep {
                parts.append(String(String.UnicodeScalarView(scalars[start..<i])))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(String.UnicodeScalarView(scalars[start...])))
        return parts
    }

    static func replace(_ s: String, _ old: String, _ new: String, limit: Int) -> String {
        guard !old.isEmpty else {
            // Python inserts `new` before every character and at the end, up to `limit` times.
            var out = "", count = 0
            for scalar in s.unicodeScalars {
                if limit < 0 || count < limit { out += new; count += 1 }
                out.unicodeScalars.append(scalar)
            }
            return limit < 0 || count < limit ? out + new : out
        }
        let parts = (try? split(s, separator: old, limit: limit)) ?? [s]
        return parts.joined(separator: new)
    }

    static func find(_ s: String, _ part: String, fromEnd: Bool) -> Int? {
        let scalars = Array(s.unicodeScalars), wanted = Array(part.unicodeScalars)
        guard wanted.count <= scalars.count else { return nil }
        let starts = Array(0...(scalars.count - wanted.count))
        for i in fromEnd ? starts.reversed() : starts where Array(scalars[i..<(i + wanted.count)]) == wanted { return i }
        return nil
    }

    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + String(s.unicodeScalars.dropFirst()).lowercased()
    }

    /// Python's `str.title()`: a letter after a cased letter is lowered, any other letter raised (`tool_name` -> `Tool_Name`).
    static func title(_ s: String) -> String {
        var out = "", previousCased = false
        for scalar in s.unicodeScalars {
            let cased = scalar.properties.isCased
            out += cased ? (previousCased ? String(scalar).lowercased() : String(scalar).uppercased()) : String(scalar)
            previousCased = cased
        }
        return out
    }

    /// Python's islower()/isupper(): some cased character, and none of the other case.
    static func isCased(_ s: String, lower: Bool) -> Bool {
        let cased = s.unicodeScalars.filter(\.properties.isCased)
        return !cased.isEmpty && cased.allSatisfy { lower ? !$0.properties.isUppercase : !$0.properties.isLowercase }
    }

    /// Python's `splitlines()`: at \n, \r\n, \r and the other line boundaries, with no empty piece for a final break.
    static func splitLines(_ s: String) -> [String] {
        var lines: [String] = [], current = String.UnicodeScalarView()
        var scalars = Array(s.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if ["\n", "\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                if scalar == "\r", scalars.first == "\n" { scalars.removeFirst() }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// jinja2's `wordcount`: runs of word characters (`\w+`).
    static func wordCount(_ s: String) -> Int {
        var count = 0, inWord = false
        for scalar in s.unicodeScalars {
            let word = scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            if word && !inWord { count += 1 }
            inWord = word
        }
        return count
    }

    /// jinja2's `title` filter: each word (split at whitespace, `-`, and opening brackets) capitalized.
    static func jinjaTitle(_ s: String) -> String {
        var out = "", atStart = true
        for scalar in s.unicodeScalars {
            out += atStart ? String(scalar).uppercased() : String(scalar).lowercased()
            atStart = scalar.properties.isWhitespace || "-({[<".unicodeScalars.contains(scalar)
        }
        return out
    }
}
