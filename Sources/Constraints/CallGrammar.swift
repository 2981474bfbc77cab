// Lines of calls shaped by the function's signature: every call binds (required arguments present, no
// argument twice, keywords only for parameters that take them) and each argument is a literal of a kind
// the parameter accepts.

/// One parameter of the function the calls are for.
public struct CallParameter: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case positionalOnly = "positional-only", positional
        case varPositional = "var-positional", keywordOnly = "keyword-only", varKeyword = "var-keyword"
    }

    public var name: String
    public var kind: Kind
    public var hasDefault: Bool
    /// Literal kinds the argument may take: int, float, bool, str, bytes, list, tuple, dict, set, none.
    /// Empty means any literal.
    public var valueKinds: [String]
    /// The kind of a list's or set's items, when known.
    public var element: String?

    public init(name: String, kind: Kind, hasDefault: Bool, valueKinds: [String] = [], element: String? = nil) {
        self.name = name; self.kind = kind; self.hasDefault = hasDefault; self.valueKinds = valueKinds; self.element = element
    }
}

/// What a method is called on: its class (a static or class method), or an object its constructor builds.
public enum CallReceiver: Sendable, Equatable {
    case type(String)
    case object(String, constructor: [CallParameter])
}

extension BuiltInConstraints {
    /// Literal rules for each kind a parameter may be restricted to (built on `pythonLiteralRules`).
    static let kindRules = #"""
    kind-int   ::= "-"? integer
    kind-float ::= "-"? (float | integer)
    kind-bool  ::= "True" | "False"
    kind-none  ::= "None"
    """#

    static func kindTerm(_ kind: String, element: String?) -> String? {
        switch kind {
        case "int": return "kind-int"
        case "float": return "kind-float"
        case "bool": return "kind-bool"
        case "none": return "kind-none"
        case "str": return "string"
        case "bytes": return "bytes"
        case "tuple": return "tuple"
        case "dict": return "dict"
        case "list":
            guard let element, element != "list", let item = kindTerm(element, element: nil) else { return "list" }
            return "(\"[]\" | \"[\" \(item) (sep \(item))* \"]\")"
        case "set":
            guard let element, ["int", "str", "bool", "float"].contains(element), let item = kindTerm(element, element: nil) else { return "set" }
            return "(\"set()\" | \"{\" \(item) (sep \(item))* \"}\")"
        default: return nil
        }
    }

    /// Between `minLines` and `maxLines` lines of calls of `function` that bind to `parameters`: the required
    /// positional arguments first, then optional ones in order, then keywords (each at most once, in
    /// signature order, required keyword-only ones always), extra positional values only with `*args`.
    /// A method is called on its class (`Class.name(...)`) or on an object built by a constructor call that binds
    /// the same way (`Class(...).name(...)`).
    public static func callLines(function: String, parameters: [CallParameter], receiver: CallReceiver? = nil,
                                 minLines: Int, maxLines: Int) throws(ConstraintError) -> Grammar {
        var names = [function]
        var all = parameters
        switch receiver {
        case let .type(owner)?: names.append(owner)
        case let .object(owner, constructor)?: names.append(owner); all += constructor
        case nil: break
        }
        for name in names where !isIdentifier(name) {
            throw .schema(source: "call lines", pointer: "function", expected: "a Python identifier, not '\(name)'")
        }
        for parameter in all where !isIdentifier(parameter.name) {
            throw .schema(source: "call lines", pointer: "parameters", expected: "Python identifiers, not '\(parameter.name)'")
        }
        guard minLines >= 1, maxLines >= minLines else {
            throw .schema(source: "call lines", pointer: "lines", expected: "1 <= minimum <= maximum, not \(minLines)...\(maxLines)")
        }
        var rules = [#"root ::= call ("\n" call){\#(minLines - 1),\#(maxLines - 1)} "\n"?"#]
        switch receiver {
        case nil: rules.append("call ::= \"\(function)(\" after-0 \")\"")
        case let .type(owner)?: rules.append("call ::= \"\(owner).\(function)(\" after-0 \")\"")
        case let .object(owner, constructor)?:
            rules.append("call ::= \"\(owner)(\" init-after-0 \").\(function)(\" after-0 \")\"")
            rules += argumentRules(constructor, prefix: "init-")
        }
        rules += argumentRules(parameters, prefix: "")
        let text = rules.joined(separator: "\n") + "\n" + kindRules + "\n" + pythonLiteralRules
        return try GrammarParser.parse(text, source: "call lines of \(function)")
    }

    /// Lines of tests of a whole class: `Owner(...).method(...)`, or `obj = Owner(...); obj.a(...); obj.b(...)` with
    /// up to `maxCalls` calls on one object; each call binds to its method's parameters, the constructor's to its own.
    public static func objectCallLines(owner: String, constructor: [CallParameter], methods: [(name: String, parameters: [CallParameter])],
                                       maxCalls: Int = 4, minLines: Int, maxLines: Int) throws(ConstraintError) -> Grammar {
        for name in [owner] + methods.map(\.name) where !isIdentifier(name) {
            throw .schema(source: "call lines", pointer: "method", expected: "a Python identifier, not '\(name)'")
        }
        for parameter in constructor + methods.flatMap(\.parameters) where !isIdentifier(parameter.name) {
            throw .schema(source: "call lines", pointer: "parameters", expected: "Python identifiers, not '\(parameter.name)'")
        }
        guard !methods.isEmpty, maxCalls >= 2, minLines >= 1, maxLines >= minLines else {
            throw .schema(source: "call lines", pointer: "lines", expected: "methods, 2 or more calls, 1 <= minimum <= maximum")
        }
        var rules = [#"root ::= call ("\n" call){\#(minLines - 1),\#(maxLines - 1)} "\n"?"#,
                     "call ::= \"\(owner)(\" init-after-0 \").\" method | \"obj = \(owner)(\" init-after-0 \")\" (\"; obj.\" method){2,\(maxCalls)}",
                     "method ::= " + methods.indices.map { "\"\(methods[$0].name)(\" m\($0)-after-0 \")\"" }.joined(separator: " | ")]
        rules += argumentRules(constructor, prefix: "init-")
        for (index, method) in methods.enumerated() { rules += argumentRules(method.parameters, prefix: "m\(index)-") }
        let text = rules.joined(separator: "\n") + "\n" + kindRules + "\n" + pythonLiteralRules
        return try GrammarParser.parse(text, source: "call lines of \(owner)")
    }

    /// The rules of one argument list; `\(prefix)after-0` is the whole list.
    static func argumentRules(_ parameters: [CallParameter], prefix: String) -> [String] {
        let positional = parameters.filter { $0.kind == .positionalOnly || $0.kind == .positional }
        let positionalOnly = positional.filter { $0.kind == .positionalOnly }.count
        let required = positional.prefix { !$0.hasDefault }.count
        let variadic = parameters.contains { $0.kind == .varPositional }
        // Parameters that may be passed by keyword, in signature order.
        let keywords = positional.dropFirst(positionalOnly) + parameters.filter { $0.kind == .keywordOnly }
        let keywordList = Array(keywords)
        func requiredFrom(_ j: Int) -> Bool { keywordList[j...].contains { $0.kind == .keywordOnly && !$0.hasDefault } }

        var rules: [String] = []
        func value(_ parameter: CallParameter) -> String {
            let terms = parameter.valueKinds.compactMap { kindTerm($0, element: parameter.element) }
            return terms.isEmpty || terms.count < parameter.valueKinds.count ? "value" : "(\(terms.joined(separator: " | ")))"
        }
        func keywordTail(from j: Int, emitted: Bool) -> String {
            guard j < keywordList.count else { return "" }
            return requiredFrom(j) ? " \(prefix)kw-\(j)-\(emitted ? 1 : 0)" : " \(prefix)kw-\(j)-\(emitted ? 1 : 0)?"
        }
        // after-i: what may follow once i positional arguments are written.
        for i in 0...positional.count {
            let lead = i > 0 ? "sep " : ""
            let keywordStart = max(0, i - positionalOnly)
            var alternatives: [String] = []
            if i < positional.count {
                alternatives.append("\(lead)\(value(positional[i])) \(prefix)after-\(i + 1)")
            } else if variadic {
                let first = i > 0 ? "(sep value)+" : "value (sep value)*"
                alternatives.append("\(first)\(keywordTail(from: keywordStart, emitted: true))")
            }
            if i >= required {
                let tail = keywordTail(from: keywordStart, emitted: i > 0)
                alternatives.append(tail.isEmpty ? "\"\"" : String(tail.dropFirst()))
            }
            rules.append("\(prefix)after-\(i) ::= " + alternatives.joined(separator: " | "))
        }
        // kw-j-e: keywords from the j-th keyword-capable parameter on; e says whether a separator comes first.
        for j in keywordList.indices {
            for emitted in [false, true] {
                let parameter = keywordList[j]
                var alternatives = ["\(emitted ? "sep " : "")\"\(parameter.name)=\" \(value(parameter))\(keywordTail(from: j + 1, emitted: true))"]
                let optional = parameter.hasDefault || parameter.kind == .positional
                if optional && j + 1 < keywordList.count {
                    alternatives.append(String(keywordTail(from: j + 1, emitted: emitted).dropFirst()).replacingOccurrences(of: "?", with: ""))
                }
                rules.append("\(prefix)kw-\(j)-\(emitted ? 1 : 0) ::= " + alternatives.joined(separator: " | "))
            }
        }
        return rules
    }
}
