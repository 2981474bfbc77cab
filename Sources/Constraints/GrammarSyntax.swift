// The grammar format as written, at the level of characters: what the parser reads, before it is lowered
// to byte-level expressions. Writers of other grammar dialects (GBNF) print it, so there is one parser.

indirect enum GrammarSyntax: Equatable {
    /// Unicode scalar values in order (a quoted string; empty for "").
    case literal([UInt32])
    /// `[...]` or `[^...]`, ranges as written.
    case characterClass([ClosedRange<UInt32>], negated: Bool)
    /// `.`: any Unicode scalar, newline included.
    case anyCharacter
    case sequence([GrammarSyntax])
    case choice([GrammarSyntax])
    /// `max` nil is unbounded.
    case repetition(GrammarSyntax, min: Int, max: Int?)
    /// A reference to a named rule; `offset` locates it in the source for errors.
    case rule(String, offset: Int)

    /// The byte-level expression the automaton runs on.
    var lowered: GrammarExpression {
        switch self {
        case let .literal(scalars):
            let parts = scalars.flatMap { UTF8Ranges.encode($0) }.map { GrammarExpression.bytes(ByteSet($0)) }
            return parts.count == 1 ? parts[0] : .sequence(parts)
        case let .characterClass(ranges, negated):
            return negated ? .characters(notIn: ranges) : .characters(ranges)
        case .anyCharacter:
            return .characters([0...UTF8Ranges.maxScalar])
        case let .sequence(items):
            return .sequence(items.map(\.lowered))
        case let .choice(options):
            return .choice(options.map(\.lowered))
        case let .repetition(item, min, max):
            return .repetition(item.lowered, min: min, max: max)
        case let .rule(name, offset):
            return .rule(name, offset: offset)
        }
    }
}

/// One rule as written: `name ::= syntax`, starting on `line`.
struct SyntaxRule {
    var name: String
    var syntax: GrammarSyntax
    var line: Int
}
