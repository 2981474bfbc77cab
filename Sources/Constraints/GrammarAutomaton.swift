// The byte-level automaton of a grammar: a pushdown matcher whose states (sets of parse stacks) are
// interned as they are met, with a memoized transition table, so a state seen before advances by a lookup.
// Not thread-safe: one caller at a time (TokenMatcher serializes).

public final class GrammarAutomaton {
    public typealias State = Int32
    /// No way to go on: the bytes so far are not a prefix of any text the grammar accepts.
    public static let dead: State = -1
    static let unknown: State = -2
    /// Parse stacks deeper than this are dropped (nesting that deep is not a text we want).
    static let maxStackDepth = 400
    /// A state keeps at most this many parses (bounds the cost of very ambiguous grammars).
    static let maxStacks = 512

    public let grammar: Grammar
    private var stacks: [[[Int32]]] = []
    private var index: [[[Int32]]: State] = [:]
    private var accepting: [Bool] = []
    /// state << 8 | byte -> next state, `unknown` until computed.
    private(set) var table: [State] = []

    public init(grammar: Grammar) {
        self.grammar = grammar
        var start = Set<[Int32]>()
        for alternative in grammar.alternatives[Int(grammar.root)] {
            expand(grammar.elements[Int(alternative)] == .end ? [] : [alternative], into: &start)
        }
        initial = intern(start)
    }

    public private(set) var initial: State = 0

    public var stateCount: Int { stacks.count }

    /// Whether the text read so far is a complete match.
    public func canEnd(_ state: State) -> Bool { state >= 0 && accepting[Int(state)] }

    /// The state after one more byte, or `dead`.
    @inline(__always)
    public func advance(_ state: State, _ byte: UInt8) -> State {
        let next = table[Int(state) << 8 | Int(byte)]
        return next != Self.unknown ? next : computeAdvance(state, byte)
    }

    public func advance(_ state: State, _ bytes: [UInt8]) -> State {
        var state = state
        for byte in bytes {
            state = advance(state, byte)
            if state < 0 { return Self.dead }
        }
        return state
    }

    // MARK: - Slow path

    private func computeAdvance(_ state: State, _ byte: UInt8) -> State {
        var next = Set<[Int32]>()
        for stack in stacks[Int(state)] {
            guard let top = stack.last, case let .bytes(set) = grammar.elements[Int(top)], set.contains(byte) else { continue }
            var rest = stack
            rest.removeLast()
            if grammar.elements[Int(top) + 1] != .end { rest.append(top + 1) }
            expand(rest, into: &next)
            if next.count >= Self.maxStacks { break }
        }
        let result = next.isEmpty ? Self.dead : intern(next)
        table[Int(state) << 8 | Int(byte)] = result
        return result
    }

    /// Resolves rule references on top of `stack` until every stack's top reads a byte (or the stack is empty).
    private func expand(_ stack: [Int32], into out: inout Set<[Int32]>) {
        guard let top = stack.last else { out.insert(stack); return }
        guard stack.count <= Self.maxStackDepth else { return }
        switch grammar.elements[Int(top)] {
        case .bytes:
            out.insert(stack)
        case let .rule(rule):
            var base = stack
            base.removeLast()
            // Return address, unless the reference ends its alternative (a tail call keeps the stack flat).
            if grammar.elements[Int(top) + 1] != .end { base.append(top + 1) }
            for alternative in grammar.alternatives[Int(rule)] {
                var next = base
                if grammar.elements[Int(alternative)] != .end { next.append(alternative) }
                expand(next, into: &out)
            }
        case .end:
            preconditionFailure("an alternative's end is never pushed")
        }
    }

    private func intern(_ set: Set<[Int32]>) -> State {
        let key = set.sorted { $0.lexicographicallyPrecedes($1) }
        if let state = index[key] { return state }
        let state = State(stacks.count)
        stacks.append(key)
        index[key] = state
        accepting.append(key.contains { $0.isEmpty })
        table += [State](repeating: Self.unknown, count: 256)
        return state
    }
}
