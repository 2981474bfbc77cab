// llama.cpp's grammar text (GBNF, src/llama-grammar.cpp), which llama-server (`grammar`), vLLM with xgrammar
// (`guided_grammar`) and SGLang (`ebnf`) take. It is our format less what llama.cpp's parser lacks: `_` in
// names (its own helper rules are named `rule_N`), single-quoted strings, the escapes \0 \' \^ \/ \u{...}, and
// rules over several lines (outside parentheses a newline ends a rule). The writer prints the parser's syntax,
// so its output also parses back with GrammarParser, to the same rules under the new names.
//
// What differs in meaning, which no spelling fixes:
// - llama.cpp matches decoded code points and takes 0 for the end of the text: U+0000 never matches there.
// - its `.` and `[^...]` also take surrogate code points (decoded from ill-formed UTF-8); ours take scalars only.
// - current llama.cpp refuses a repeat whose count, times the rules a repeated group holds, reaches 2000, and reads a maximum
//   above 2000 as unbounded; the writer refuses those (our format allows counts up to 10000).
// Both `.`s match any character, newline included, and both classes match whole characters.

public enum GBNF {
    /// GBNF with the meaning of grammar-format `text`, which is first checked as `GrammarParser.parse` checks it.
    public static func text(fromGrammarFormat text: String, source: String) throws(ConstraintError) -> String {
        var parser = Parser(text: text, source: source)
        let rules = try parser.parseSyntax()
        // Undefined rules and left recursion are reported here, not by a server later.
        _ = try Grammar(parser.definition(of: rules))
        return try write(rules, source: source)
    }

    static func write(_ rules: [SyntaxRule], source: String) throws(ConstraintError) -> String {
        let names = names(rules.map(\.name))
        var lines: [String] = []
        for rule in rules {
            let writer = GBNFWriter(names: names, source: source, rule: rule.name)
            lines.append("\(names[rule.name]!) ::= \(try writer.body(rule.syntax))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// GBNF names take only [a-zA-Z0-9-]: `_` becomes `-`, and `-2`, `-3`... keep the new name apart from every other.
    static func names(_ original: [String]) -> [String: String] {
        var taken = Set(original.filter { !$0.contains("_") })
        var mapped: [String: String] = [:]
        for name in original {
            guard name.contains("_") else { mapped[name] = name; continue }
            let base = name.replacingOccurrences(of: "_", with: "-")
            var candidate = base, suffix = 1
            while taken.contains(candidate) { suffix += 1; candidate = "\(base)-\(suffix)" }
            taken.insert(candidate)
            mapped[name] = candidate
        }
        return mapped
    }
}

extension Grammar {
    /// The grammar as llama.cpp GBNF, for inference servers; nil when it was not parsed from the grammar format.
    public var gbnf: String? {
        get throws(ConstraintError) {
            guard let grammarText else { return nil }
            var parser = Parser(text: grammarText, source: source)
            return try GBNF.write(parser.parseSyntax(), source: source)
        }
    }
}

/// Prints one rule's syntax; parentheses only where the syntax nests, so the text parses back to the same tree.
struct GBNFWriter {
    let names: [String: String]
    let source: String
    let rule: String

    /// Where alternatives need no parentheses: a rule's right-hand side or a group's inside.
    func body(_ syntax: GrammarSyntax) throws(ConstraintError) -> String {
        guard case let .choice(options) = syntax else { return try alternative(syntax) }
        var written: [String] = []
        for option in options { written.append(try alternative(option)) }
        return written.joined(separator: " | ")
    }

    func alternative(_ syntax: GrammarSyntax) throws(ConstraintError) -> String {
        guard case let .sequence(items) = syntax else { return try item(syntax) }
        guard !items.isEmpty else { return "\"\"" }
        var written: [String] = []
        for item in items { written.append(try self.item(item)) }
        return written.joined(separator: " ")
    }

    func item(_ syntax: GrammarSyntax) throws(ConstraintError) -> String {
        switch syntax {
        case let .literal(scalars):
            return "\"" + scalars.map { Self.escaped($0, inClass: false) }.joined() + "\""
        case let .characterClass(ranges, negated):
            // llama.cpp reads `[^]` as no item at all; ours reads it as any character.
            if negated && ranges.isEmpty { return "." }
            let written = ranges.map { range in
                range.count == 1 ? Self.escaped(range.lowerBound, inClass: true)
                    : Self.escaped(range.lowerBound, inClass: true) + "-" + Self.escaped(range.upperBound, inClass: true)
            }
            return "[" + (negated ? "^" : "") + written.joined() + "]"
        case .anyCharacter:
            return "."
        case let .rule(name, _):
            return names[name] ?? name
        case let .repetition(inner, min, max):
            // llama.cpp's limit: the count (the maximum, else the minimum) times the rules of the repeated item.
            let count = max.map { $0 > 0 ? $0 : 1 } ?? Swift.max(min, 1)
            let itemRules = Self.isAtom(inner) ? 1 : 1 + Self.rules(in: inner)
            guard count * itemRules < 2000 else {
                throw .notGBNF(source: source, rule: rule, reason: "a repeat of \(count) of \(itemRules) rules, where llama.cpp takes under 2000")
            }
            let base = Self.isAtom(inner) ? try item(inner) : "(" + (try body(inner)) + ")"
            switch (min, max) {
            case (0, nil): return base + "*"
            case (1, nil): return base + "+"
            case (0, 1?): return base + "?"
            case let (low, nil): return base + "{\(low),}"
            case let (low, high?) where low == high: return base + "{\(low)}"
            case let (low, high?): return base + "{\(low),\(high)}"
            }
        case .sequence([]):
            return "\"\""
        case .sequence, .choice:
            return "(" + (try body(syntax)) + ")"
        }
    }

    /// Repeats apply to one item: a non-empty literal, a class, `.` or a rule; anything else is grouped.
    static func isAtom(_ syntax: GrammarSyntax) -> Bool {
        switch syntax {
        case let .literal(scalars): !scalars.isEmpty
        case .characterClass, .anyCharacter, .rule: true
        case .sequence, .choice, .repetition: false
        }
    }

    /// An upper bound on the rules llama.cpp makes while reading `syntax`: one per group, per optional copy of a
    /// repeat and per rule name it meets for the first time.
    static func rules(in syntax: GrammarSyntax) -> Int {
        switch syntax {
        case .literal, .characterClass, .anyCharacter: 0
        case .rule: 1
        case let .sequence(parts), let .choice(parts): 1 + parts.reduce(0) { $0 + rules(in: $1) }
        case let .repetition(inner, min, max): 1 + rules(in: inner) + (max.map { $0 - min } ?? 1)
        }
    }

    /// One character as both parsers read it; llama.cpp's escapes are only \n \r \t \\ \" \[ \] \- \xHH \uHHHH \UHHHHHHHH.
    static func escaped(_ scalar: UInt32, inClass: Bool) -> String {
        switch scalar {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x5C: return "\\\\"
        case 0x22 where !inClass: return "\\\""
        case 0x5D where inClass, 0x2D where inClass: return "\\" + String(Character(Unicode.Scalar(scalar)!))
        // `^` first in a class would negate it, and llama.cpp has no `\^`.
        case 0x5E where inClass, 0..<0x20, 0x7F: return "\\x" + hex(scalar, digits: 2)
        // C1 controls, invisible when written raw.
        case 0x80...0x9F: return "\\u" + hex(scalar, digits: 4)
        default: return String(Character(Unicode.Scalar(scalar)!))
        }
    }

    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
