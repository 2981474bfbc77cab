// Regular expressions as grammars. The whole output must match (as with Python's re.fullmatch).
// Supported: literals, `.` (any character but newline), classes `[a-z]`, `[^...]`, escapes \d \D \w \W
// \s \S \n \r \t \f \v \0 \xHH \uHHHH and escaped punctuation, groups `(...)` and `(?:...)`, `|`,
// repeats * + ? {n} {n,} {n,m} (a lazy `?` after them is accepted and means the same here),
// and `^` / `$` at the very start / end. Backreferences and lookaround cannot be matched byte by byte
// with a fixed automaton and are errors.

public enum RegexCompiler {
    public static func compile(_ pattern: String, source: String = "<regex>") throws(ConstraintError) -> Grammar {
        var parser = RegexParser(pattern: pattern, source: source)
        let expression = try parser.parse()
        return try Grammar(GrammarDefinition(rules: [.init(name: "root", expression: expression)], source: source, text: pattern),
                           key: "regex:" + pattern)
    }
}

struct RegexParser {
    let bytes: [UInt8]
    let source: String
    var position = 0

    init(pattern: String, source: String) {
        bytes = Array(pattern.utf8)
        self.source = source
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    func error(_ expected: String, at offset: Int? = nil) -> ConstraintError {
        let at = offset ?? position
        let place = lineAndColumn(of: at, in: bytes)
        return .syntax(kind: "regex", source: source, offset: at, line: place.line, column: place.column, expected: expected)
    }

    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0D, 0x20...0x20]

    mutating func parse() throws(ConstraintError) -> GrammarExpression {
        if current == UInt8(ascii: "^") { position += 1 }
        let expression = try alternatives(depth: 0)
        if current == UInt8(ascii: "$") { position += 1 }
        if let byte = current {
            throw error(byte == UInt8(ascii: ")") ? "the end of the pattern (unbalanced ')')" : "the end of the pattern ('$' only at the end)")
        }
        return expression
    }

    mutating func alternatives(depth: Int) throws(ConstraintError) -> GrammarExpression {
        var options = [try sequence(depth: depth)]
        while current == UInt8(ascii: "|") {
            position += 1
            options.append(try sequence(depth: depth))
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    mutating func sequence(depth: Int) throws(ConstraintError) -> GrammarExpression {
        var items: [GrammarExpression] = []
        while let byte = current, byte != UInt8(ascii: "|"), byte != UInt8(ascii: ")") {
            if byte == UInt8(ascii: "$"), depth == 0, position == bytes.count - 1 { break }
            items.append(try repeated(try atom(depth: depth)))
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    mutating func repeated(_ base: GrammarExpression) throws(ConstraintError) -> GrammarExpression {
        var expression = base
        while let byte = current {
            let start = position
            switch byte {
            case UInt8(ascii: "*"): position += 1; expression = .star(expression)
            case UInt8(ascii: "+"): position += 1; expression = .plus(expression)
            case UInt8(ascii: "?"): position += 1; expression = .optional(expression)
            case UInt8(ascii: "{"):
                guard let (low, high) = try bounds() else { return expression }
                expression = .repetition(expression, min: low, max: high)
            default: return expression
            }
            if current == UInt8(ascii: "?") { position += 1 }  // lazy: same language
            if let next = current, "*+{".utf8.contains(next), next != UInt8(ascii: "{") || (try? peekBounds()) != nil {
                throw error("one repeat per item (use a group to repeat a repeat)", at: start)
            }
        }
        return expression
    }

    func peekBounds() throws(ConstraintError) -> (Int, Int?)? {
        var probe = self
        return try probe.bounds()
    }

    /// `{n}`, `{n,}`, `{n,m}`; nil (nothing read) when the brace is a literal.
    mutating func bounds() throws(ConstraintError) -> (Int, Int?)? {
        let start = position
        var probe = position + 1
        func number() -> Int? {
            let from = probe
            while probe < bytes.count, bytes[probe] >= 0x30, bytes[probe] <= 0x39 { probe += 1 }
            return probe > from && probe - from <= 5 ? Int(String(decoding: bytes[from..<probe], as: UTF8.self)) : nil
        }
        guard let low = number() else { return nil }
        var high: Int? = low
        if probe < bytes.count, bytes[probe] == UInt8(ascii: ",") {
            probe += 1
            high = number()
        }
        guard probe < bytes.count, bytes[probe] == UInt8(ascii: "}") else { return nil }
        position = probe + 1
        if let high, high < low { throw error("a maximum repeat count not below the minimum \(low)", at: start) }
        if (high ?? low) > 10_000 { throw error("a repeat count of at most 10000", at: start) }
        return (low, high)
    }

    mutating func atom(depth: Int) throws(ConstraintError) -> GrammarExpression {
        let start = position
        let byte = current!
        switch byte {
        case UInt8(ascii: "("):
            position += 1
            if current == UInt8(ascii: "?") {
                guard position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: ":") else {
                    throw error("'(?:' (lookaround, named groups and flags are not supported)", at: start)
                }
                position += 2
            }
            let inner = try alternatives(depth: depth + 1)
            guard current == UInt8(ascii: ")") else { throw error("')' closing the group opened at offset \(start)") }
            position += 1
            return inner
        case UInt8(ascii: "["):
            return try characterClass()
        case UInt8(ascii: "."):
            position += 1
            return .characters(notIn: [0x0A...0x0A])
        case UInt8(ascii: "\\"):
            let ranges = try escape(inClass: false)
            return .characters(ranges)
        case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
            throw error("something to repeat before '\(Character(Unicode.Scalar(byte)))'")
        case UInt8(ascii: "^"), UInt8(ascii: "$"):
            throw error("'^' and '$' only at the start and end of the pattern")
        default:
            let scalar = decodeCharacter()
            return .literal(String(Character(Unicode.Scalar(scalar)!)))
        }
    }

    mutating func decodeCharacter() -> UInt32 {
        let byte = bytes[position]
        let length = byte < 0x80 ? 1 : byte >> 5 == 0x6 ? 2 : byte >> 4 == 0xE ? 3 : 4
        let end = min(position + length, bytes.count)
        let scalar = String(decoding: bytes[position..<end], as: UTF8.self).unicodeScalars.first!.value
        position = end
        return scalar
    }

    /// An escape after `\`: a set of scalars (one for a plain escaped character).
    mutating func escape(inClass: Bool) throws(ConstraintError) -> [ClosedRange<UInt32>] {
        let start = position
        position += 1
        guard let code = current else { throw error("a character after '\\'") }
        position += 1
        func one(_ value: UInt32) -> [ClosedRange<UInt32>] { [value...value] }
        switch code {
        case UInt8(ascii: "d"): return Self.digit
        case UInt8(ascii: "D"): return UTF8Ranges.complement(Self.digit)
        case UInt8(ascii: "w"): return Self.word
        case UInt8(ascii: "W"): return UTF8Ranges.complement(Self.word)
        case UInt8(ascii: "s"): return Self.space
        case UInt8(ascii: "S"): return UTF8Ranges.complement(Self.space)
        case UInt8(ascii: "n"): return one(0x0A)
        case UInt8(ascii: "r"): return one(0x0D)
        case UInt8(ascii: "t"): return one(0x09)
        case UInt8(ascii: "f"): return one(0x0C)
        case UInt8(ascii: "v"): return one(0x0B)
        case UInt8(ascii: "0"): return one(0)
        case UInt8(ascii: "x"), UInt8(ascii: "u"):
            let count = code == UInt8(ascii: "x") ? 2 : 4
            guard position + count <= bytes.count,
                  let value = UInt32(String(decoding: bytes[position..<(position + count)], as: UTF8.self), radix: 16),
                  !UTF8Ranges.surrogates.contains(value) else { throw error("\(count) hex digits", at: start) }
            position += count
            return one(value)
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            throw error("an escape (backreferences are not supported)", at: start)
        case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "Z"):
            throw error(inClass ? "an escape" : "an escape (word boundaries and anchors are not supported)", at: start)
        default:
            guard code < 0x80, !(code >= 0x41 && code <= 0x5A) && !(code >= 0x61 && code <= 0x7A) else {
                throw error("an escape: \\d \\D \\w \\W \\s \\S \\n \\r \\t \\f \\v \\0 \\xHH \\uHHHH or escaped punctuation", at: start)
            }
            return one(UInt32(code))
        }
    }

    mutating func characterClass() throws(ConstraintError) -> GrammarExpression {
        let start = position
        position += 1
        var negated = false
        if current == UInt8(ascii: "^") { negated = true; position += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let byte = current else { throw error("']' closing the class opened at offset \(start)") }
            if byte == UInt8(ascii: "]") && !first { position += 1; break }
            first = false
            let low: [ClosedRange<UInt32>] = byte == UInt8(ascii: "\\") ? try escape(inClass: true) : { let s = decodeCharacter(); return [s...s] }()
            if low.count == 1, low[0].count == 1, current == UInt8(ascii: "-"), position + 1 < bytes.count,
               bytes[position + 1] != UInt8(ascii: "]") {
                let dash = position
                position += 1
                let high: [ClosedRange<UInt32>] = current == UInt8(ascii: "\\") ? try escape(inClass: true) : { let s = decodeCharacter(); return [s...s] }()
                guard high.count == 1, high[0].count == 1, high[0].lowerBound >= low[0].lowerBound else {
                    throw error("a range whose end is a single character not below its start", at: dash)
                }
                ranges.append(low[0].lowerBound...high[0].lowerBound)
            } else {
                ranges += low
            }
        }
        return negated ? .characters(notIn: ranges) : .characters(ranges)
    }
}
