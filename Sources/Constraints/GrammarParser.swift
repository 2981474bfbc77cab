// The grammar file format (a small EBNF, close to llama.cpp's GBNF):
//
//   # a comment to the end of the line
//   root   ::= call ("\n" call){2,7} "\n"?     matching starts at `root`; the whole output must match
//   call   ::= "add(" number ", " number ")"
//   number ::= "-"? [0-9]+ | "None"
//
// Rules are `name ::= alternatives` and may span lines (a rule ends where the next `name ::=` begins).
// Names: letters, digits, `_` and `-`. Terms: "string" or 'string' (escapes \n \r \t \\ \" \' \xHH
// \u{HHHH}), [character class] with ranges and ^ for negation (same escapes plus \] \- \^),
// `.` any character, (group), and the postfix repeats * + ? {n} {n,} {n,m}. `|` separates alternatives.
// Matching is on UTF-8 bytes; a class or `.` matches whole characters (`.` any, newline included).
// The parser reads characters into GrammarSyntax, which lowers to bytes; GBNF.swift prints the same syntax for llama.cpp.

public enum GrammarParser {
    public static func parse(_ text: String, source: String = "<grammar>") throws(ConstraintError) -> Grammar {
        var parser = Parser(text: text, source: source)
        return try Grammar(parser.parseRules(), key: nil, grammarText: text)
    }

    /// Parses the rules without compiling them (for callers that add rules of their own).
    public static func definition(_ text: String, source: String = "<grammar>") throws(ConstraintError) -> GrammarDefinition {
        var parser = Parser(text: text, source: source)
        return try parser.parseRules()
    }
}

struct Parser {
    let bytes: [UInt8]
    let text: String
    let source: String
    var position = 0

    init(text: String, source: String) {
        self.text = text
        self.source = source
        bytes = Array(text.utf8)
    }

    func error(_ expected: String, at offset: Int? = nil) -> ConstraintError {
        let at = offset ?? position
        let place = lineAndColumn(of: at, in: bytes)
        return .syntax(kind: "grammar", source: source, offset: at, line: place.line, column: place.column, expected: expected)
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipSpace() {
        while let byte = current {
            if byte == UInt8(ascii: "#") {
                while let b = current, b != UInt8(ascii: "\n") { position += 1 }
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                position += 1
            } else {
                return
            }
        }
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
    }

    mutating func name() -> String? {
        let start = position
        while let b = current, Self.isNameByte(b) { position += 1 }
        return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
    }

    /// Whether a `name ::=` starts here (the end of the previous rule).
    func atRuleStart() -> Bool {
        var probe = self
        guard probe.name() != nil else { return false }
        probe.skipSpace()
        return probe.bytes[probe.position...].starts(with: Array("::=".utf8))
    }

    mutating func parseRules() throws(ConstraintError) -> GrammarDefinition {
        try definition(of: parseSyntax())
    }

    /// The rules lowered to bytes.
    func definition(of rules: [SyntaxRule]) -> GrammarDefinition {
        let lowered = rules.map { GrammarDefinition.Rule(name: $0.name, expression: $0.syntax.lowered, line: $0.line) }
        return GrammarDefinition(rules: lowered, root: "root", source: source, text: text)
    }

    /// The rules as written, not yet lowered to bytes.
    mutating func parseSyntax() throws(ConstraintError) -> [SyntaxRule] {
        var rules: [SyntaxRule] = []
        skipSpace()
        while current != nil {
            let line = lineAndColumn(of: position, in: bytes).line
            guard let name = name() else { throw error("a rule name (letters, digits, _ or -)") }
            skipSpace()
            guard bytes[position...].starts(with: Array("::=".utf8)) else { throw error("'::=' after the rule name '\(name)'") }
            position += 3
            let expression = try alternatives()
            skipSpace()
            if let byte = current, !atRuleStart() {
                throw error(byte == UInt8(ascii: ")") ? "a rule or the end of the grammar (unbalanced ')')" : "a term, '|' or a new rule")
            }
            rules.append(SyntaxRule(name: name, syntax: expression, line: line))
        }
        guard !rules.isEmpty else { throw error("at least one rule (root ::= ...)") }
        return rules
    }

    mutating func alternatives() throws(ConstraintError) -> GrammarSyntax {
        var options = [try sequence()]
        skipSpace()
        while current == UInt8(ascii: "|") {
            position += 1
            options.append(try sequence())
            skipSpace()
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    mutating func sequence() throws(ConstraintError) -> GrammarSyntax {
        var items: [GrammarSyntax] = []
        while true {
            skipSpace()
            guard let byte = current, byte != UInt8(ascii: "|"), byte != UInt8(ascii: ")"), !atRuleStart() else { break }
            items.append(try postfix(try primary()))
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    mutating func primary() throws(ConstraintError) -> GrammarSyntax {
        let start = position
        switch current {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return try quoted()
        case UInt8(ascii: "["):
            return try characterClass()
        case UInt8(ascii: "."):
            position += 1
            return .anyCharacter
        case UInt8(ascii: "("):
            position += 1
            let inner = try alternatives()
            skipSpace()
            guard current == UInt8(ascii: ")") else { throw error("')' closing the group opened at offset \(start)") }
            position += 1
            return inner
        default:
            if let name = name() { return .rule(name, offset: start) }
            throw error("a term: a rule name, \"string\", [class], '.' or '('")
        }
    }

    mutating func postfix(_ base: GrammarSyntax) throws(ConstraintError) -> GrammarSyntax {
        var expression = base
        while let byte = current {
            switch byte {
            case UInt8(ascii: "*"): position += 1; expression = .repetition(expression, min: 0, max: nil)
            case UInt8(ascii: "+"): position += 1; expression = .repetition(expression, min: 1, max: nil)
            case UInt8(ascii: "?"): position += 1; expression = .repetition(expression, min: 0, max: 1)
            case UInt8(ascii: "{"):
                let (low, high) = try bounds()
                expression = .repetition(expression, min: low, max: high)
            default: return expression
            }
        }
        return expression
    }

    /// `{n}`, `{n,}` or `{n,m}`.
    mutating func bounds() throws(ConstraintError) -> (Int, Int?) {
        position += 1
        func number() throws(ConstraintError) -> Int? {
            let start = position
            while let b = current, b >= 0x30, b <= 0x39 { position += 1 }
            guard position > start else { return nil }
            guard position - start <= 5, let value = Int(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                throw error("a repeat count under 100000", at: start)
            }
            return value
        }
        guard let low = try number() else { throw error("a repeat count after '{'") }
        var high: Int? = low
        if current == UInt8(ascii: ",") {
            position += 1
            high = try number()
        }
        guard current == UInt8(ascii: "}") else { throw error("'}' closing the repeat count") }
        position += 1
        if let high, high < low { throw error("a maximum repeat count not below the minimum \(low)") }
        if (high ?? low) > 10_000 { throw error("a repeat count of at most 10000") }
        return (low, high)
    }

    mutating func quoted() throws(ConstraintError) -> GrammarSyntax {
        let quote = current!
        let start = position
        position += 1
        var scalars: [UInt32] = []
        while true {
            guard let byte = current else { throw error("the closing \(quote == 0x22 ? "\"" : "'") of the string opened at offset \(start)") }
            if byte == quote { position += 1; break }
            if byte == 0x0A { throw error("the closing quote before the end of the line (string opened at offset \(start))") }
            scalars.append(try character())
        }
        return .literal(scalars)
    }

    mutating func characterClass() throws(ConstraintError) -> GrammarSyntax {
        let start = position
        position += 1
        var negated = false
        if current == UInt8(ascii: "^") { negated = true; position += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard let byte = current else { throw error("']' closing the class opened at offset \(start)") }
            if byte == UInt8(ascii: "]") { position += 1; break }
            let low = try character()
            if current == UInt8(ascii: "-"), position + 1 < bytes.count, bytes[position + 1] != UInt8(ascii: "]") {
                let dash = position
                position += 1
                let high = try character()
                guard high >= low else { throw error("a range whose end is not below its start", at: dash) }
                ranges.append(low...high)
            } else {
                ranges.append(low...low)
            }
        }
        if !negated && ranges.isEmpty { throw error("at least one character in the class", at: start) }
        return .characterClass(ranges, negated: negated)
    }

    /// One character of a string or class, escapes resolved, as a Unicode scalar value.
    mutating func character() throws(ConstraintError) -> UInt32 {
        guard let byte = current else { throw error("a character") }
        if byte != UInt8(ascii: "\\") {
            // Decode one UTF-8 character.
            let length = byte < 0x80 ? 1 : byte >> 5 == 0x6 ? 2 : byte >> 4 == 0xE ? 3 : 4
            let end = min(position + length, bytes.count)
            let scalar = String(decoding: bytes[position..<end], as: UTF8.self).unicodeScalars.first!.value
            position = end
            return scalar
        }
        let escapeStart = position
        position += 1
        guard let code = current else { throw error("an escaped character after '\\'") }
        position += 1
        switch code {
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "0"): return 0
        case UInt8(ascii: "x"):
            return try hexDigits(count: 2, from: escapeStart)
        case UInt8(ascii: "u"):
            guard current == UInt8(ascii: "{") else { return try hexDigits(count: 4, from: escapeStart) }
            position += 1
            let digitsStart = position
            while let b = current, b != UInt8(ascii: "}") { position += 1 }
            guard current == UInt8(ascii: "}"), let value = UInt32(String(decoding: bytes[digitsStart..<position], as: UTF8.self), radix: 16),
                  value <= UTF8Ranges.maxScalar, !UTF8Ranges.surrogates.contains(value) else {
                throw error("a Unicode scalar in hex digits closed by '}' (\\u{41})", at: escapeStart)
            }
            position += 1
            return value
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"), UInt8(ascii: "["),
             UInt8(ascii: "-"), UInt8(ascii: "^"), UInt8(ascii: "/"):
            return UInt32(code)
        default:
            throw error("an escape: \\n \\r \\t \\0 \\\\ \\\" \\' \\] \\[ \\- \\^ \\xHH \\uHHHH or \\u{H...}", at: escapeStart)
        }
    }

    mutating func hexDigits(count: Int, from escapeStart: Int) throws(ConstraintError) -> UInt32 {
        guard position + count <= bytes.count,
              let value = UInt32(String(decoding: bytes[position..<(position + count)], as: UTF8.self), radix: 16),
              !UTF8Ranges.surrogates.contains(value) else {
            throw error("\(count) hex digits", at: escapeStart)
        }
        position += count
        return value
    }
}
