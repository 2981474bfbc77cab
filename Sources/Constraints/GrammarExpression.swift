// The one grammar form every constraint compiles to: named rules of byte-level expressions.
// EBNF text, regular expressions, JSON schemas and the built-in constraints all build these.

public indirect enum GrammarExpression: Sendable, Equatable {
    /// One byte from the set.
    case bytes(ByteSet)
    case sequence([GrammarExpression])
    case choice([GrammarExpression])
    /// `max` nil is unbounded.
    case repetition(GrammarExpression, min: Int, max: Int?)
    /// A reference to a named rule; `offset` locates it in the source for errors (-1 when generated).
    case rule(String, offset: Int)

    public static let empty = GrammarExpression.sequence([])

    /// The UTF-8 bytes of `text`, in order.
    public static func literal(_ text: String) -> GrammarExpression {
        let parts = text.utf8.map { GrammarExpression.bytes(ByteSet($0)) }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    public static func optional(_ e: GrammarExpression) -> GrammarExpression { .repetition(e, min: 0, max: 1) }
    public static func star(_ e: GrammarExpression) -> GrammarExpression { .repetition(e, min: 0, max: nil) }
    public static func plus(_ e: GrammarExpression) -> GrammarExpression { .repetition(e, min: 1, max: nil) }
    public static func ref(_ name: String) -> GrammarExpression { .rule(name, offset: -1) }

    /// One character (as UTF-8) whose scalar value lies in one of `ranges`.
    public static func characters(_ ranges: [ClosedRange<UInt32>]) -> GrammarExpression {
        var ascii = ByteSet()
        var multibyte: [GrammarExpression] = []
        for sequence in UTF8Ranges.sequences(ranges) {
            if sequence.count == 1 {
                ascii.insert(sequence[0])
            } else {
                multibyte.append(.sequence(sequence.map { .bytes(ByteSet($0)) }))
            }
        }
        let options = (ascii.isEmpty ? [] : [.bytes(ascii)]) + multibyte
        return options.count == 1 ? options[0] : .choice(options)
    }

    /// One character that is not in `ranges` (any Unicode scalar but surrogates).
    public static func characters(notIn ranges: [ClosedRange<UInt32>]) -> GrammarExpression {
        characters(UTF8Ranges.complement(ranges))
    }
}

/// Named rules plus the rule matching starts from; `source` names where they came from in errors.
public struct GrammarDefinition: Sendable {
    public struct Rule: Sendable {
        public var name: String
        public var expression: GrammarExpression
        /// Line of the definition in the source (0 when generated).
        public var line: Int
        public init(name: String, expression: GrammarExpression, line: Int = 0) {
            self.name = name; self.expression = expression; self.line = line
        }
    }

    public var rules: [Rule]
    public var root: String
    public var source: String
    /// The source text, to turn reference offsets into lines and columns.
    public var text: String

    public init(rules: [Rule], root: String = "root", source: String, text: String = "") {
        self.rules = rules; self.root = root; self.source = source; self.text = text
    }
}
