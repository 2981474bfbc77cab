// A compiled grammar: rules flattened into one array of elements, each alternative ending in `end`,
// checked for undefined rules, left recursion and rules that can never finish.

public final class Grammar: Sendable, Equatable, CustomStringConvertible {
    enum Element: Equatable {
        case bytes(ByteSet)
        case rule(Int32)
        case end
    }

    /// Identifies the grammar in caches; two grammars with the same key accept the same text.
    public let key: String
    /// The grammar-format text it was parsed from (`GrammarParser.parse`); nil when built from a schema, regex or definition.
    public let grammarText: String?
    /// Where the rules came from, for errors.
    let source: String
    let elements: [Element]
    /// Start positions of each rule's alternatives.
    let alternatives: [[Int32]]
    let ruleNames: [String]
    let root: Int32

    public var description: String { key }
    public static func == (a: Grammar, b: Grammar) -> Bool { a.key == b.key }

    public convenience init(_ definition: GrammarDefinition, key: String? = nil) throws(ConstraintError) {
        try self.init(definition, key: key, grammarText: nil)
    }

    /// Only the parser passes `grammarText`, so it is always the text the rules came from.
    init(_ definition: GrammarDefinition, key: String?, grammarText: String?) throws(ConstraintError) {
        self.grammarText = grammarText
        source = definition.source
        var lowering = Lowering(definition: definition)
        try lowering.run()
        elements = lowering.elements
        alternatives = lowering.alternatives
        ruleNames = lowering.names
        guard let root = lowering.ids[definition.root] else { throw .missingRoot(source: definition.source) }
        self.root = root
        self.key = key ?? definition.source + "\n" + definition.text
        try Self.check(elements: elements, alternatives: alternatives, names: ruleNames,
                       reachableFrom: root, source: definition.source)
    }

    // MARK: - Checks

    static func check(elements: [Element], alternatives: [[Int32]], names: [String], reachableFrom root: Int32,
                      source: String) throws(ConstraintError) {
        func display(_ rule: Int) -> String { names[rule].split(separator: "#").first.map(String.init) ?? names[rule] }
        func atoms(_ start: Int32) -> ArraySlice<Element> {
            let from = Int(start)
            var to = from
            while elements[to] != .end { to += 1 }
            return elements[from..<to]
        }
        // Rules that can match the empty string, and rules that can match something at all (fixed points).
        var nullable = [Bool](repeating: false, count: names.count)
        var productive = [Bool](repeating: false, count: names.count)
        var changed = true
        while changed {
            changed = false
            for rule in names.indices {
                for start in alternatives[rule] {
                    let items = atoms(start)
                    let canBeEmpty = items.allSatisfy { if case let .rule(r) = $0 { nullable[Int(r)] } else { false } }
                    let canFinish = items.allSatisfy {
                        switch $0 {
                        case let .bytes(set): !set.isEmpty
                        case let .rule(r): productive[Int(r)]
                        case .end: true
                        }
                    }
                    if canBeEmpty && !nullable[rule] { nullable[rule] = true; changed = true }
                    if canFinish && !productive[rule] { productive[rule] = true; changed = true }
                }
            }
        }
        // Reachable rules must be productive.
        var reachable = Set<Int>([Int(root)]), queue = [Int(root)]
        while let rule = queue.popLast() {
            for start in alternatives[rule] {
                for case let .rule(r) in atoms(start) where reachable.insert(Int(r)).inserted { queue.append(Int(r)) }
            }
        }
        for rule in reachable.sorted() where !productive[rule] { throw .unproductive(source: source, rule: display(rule)) }
        // Left corners: rules reachable before any byte is read. A cycle among them is left recursion.
        var corners = [[Int]](repeating: [], count: names.count)
        for rule in names.indices {
            for start in alternatives[rule] {
                for item in atoms(start) {
                    guard case let .rule(r) = item else { break }
                    corners[rule].append(Int(r))
                    if !nullable[Int(r)] { break }
                }
            }
        }
        var mark = [UInt8](repeating: 0, count: names.count) // 0 new, 1 on the path, 2 done
        func visit(_ rule: Int) throws(ConstraintError) {
            mark[rule] = 1
            for next in corners[rule] {
                if mark[next] == 1 {
                    // A cycle through a helper rule comes from repeating something that can match nothing.
                    let what = names[next].contains("#") ? "\(display(next))' repeats something that can match nothing ('" : display(next)
                    throw .leftRecursion(source: source, rule: what)
                }
                if mark[next] == 0 { try visit(next) }
            }
            mark[rule] = 2
        }
        for rule in reachable.sorted() where mark[rule] == 0 { try visit(rule) }
    }
}

/// Turns named expressions into flat alternatives; nested choices and repetitions become helper rules.
struct Lowering {
    let definition: GrammarDefinition
    var elements: [Grammar.Element] = []
    var alternatives: [[Int32]] = []
    var names: [String] = []
    var ids: [String: Int32] = [:]
    var helperCount = 0
    var textBytes: [UInt8] = []

    init(definition: GrammarDefinition) {
        self.definition = definition
        textBytes = Array(definition.text.utf8)
    }

    mutating func run() throws(ConstraintError) {
        for rule in definition.rules {
            guard ids[rule.name] == nil else {
                throw .duplicateRule(source: definition.source, name: rule.name, line: rule.line)
            }
            ids[rule.name] = Int32(names.count)
            names.append(rule.name)
            alternatives.append([])
        }
        for rule in definition.rules {
            try define(ids[rule.name]!, rule.expression, owner: rule.name)
        }
    }

    /// Writes the alternatives of `expression` as rule `id`.
    mutating func define(_ id: Int32, _ expression: GrammarExpression, owner: String) throws(ConstraintError) {
        let options: [GrammarExpression]
        if case let .choice(list) = expression { options = list } else { options = [expression] }
        var starts: [Int32] = []
        for option in options {
            var atoms: [Grammar.Element] = []
            try flatten(option, into: &atoms, owner: owner)
            starts.append(Int32(elements.count))
            elements += atoms
            elements.append(.end)
        }
        alternatives[Int(id)] = starts
    }

    mutating func helper(_ expression: GrammarExpression, owner: String) throws(ConstraintError) -> Int32 {
        helperCount += 1
        let id = Int32(names.count)
        let name = "\(owner)#\(helperCount)"
        names.append(name)
        alternatives.append([])
        ids[name] = id
        try define(id, expression, owner: owner)
        return id
    }

    mutating func flatten(_ expression: GrammarExpression, into atoms: inout [Grammar.Element], owner: String) throws(ConstraintError) {
        switch expression {
        case let .bytes(set):
            atoms.append(.bytes(set))
        case let .sequence(items):
            for item in items { try flatten(item, into: &atoms, owner: owner) }
        case let .choice(options):
            if options.count == 1 {
                try flatten(options[0], into: &atoms, owner: owner)
            } else {
                atoms.append(.rule(try helper(expression, owner: owner)))
            }
        case let .rule(name, offset):
            guard let id = ids[name] else {
                let position = lineAndColumn(of: max(offset, 0), in: textBytes)
                throw .undefinedRule(source: definition.source, name: name, offset: max(offset, 0),
                                     line: position.line, column: position.column)
            }
            atoms.append(.rule(id))
        case let .repetition(original, min, max):
            // A compound item becomes one helper rule, shared by every copy.
            var item = original
            if !Self.isFlat(original) { item = .rule(names[Int(try helper(original, owner: owner))], offset: -1) }
            for _ in 0..<min { try flatten(item, into: &atoms, owner: owner) }
            if let max {
                guard max > min else { return }
                // (item (item (...)?)?)? : one helper per optional copy.
                var tail: GrammarExpression
                var tailRule: Int32?
                for _ in 0..<(max - min) {
                    var body: [GrammarExpression] = [item]
                    if let tailRule { body.append(.rule(names[Int(tailRule)], offset: -1)) }
                    tail = .choice([.sequence(body), .empty])
                    tailRule = try helper(tail, owner: owner)
                }
                atoms.append(.rule(tailRule!))
            } else {
                // R ::= item R | empty
                let id = Int32(names.count)
                helperCount += 1
                let name = "\(owner)#\(helperCount)"
                names.append(name)
                alternatives.append([])
                ids[name] = id
                try define(id, .choice([.sequence([item, .rule(name, offset: -1)]), .empty]), owner: owner)
                atoms.append(.rule(id))
            }
        }
    }

    static func isFlat(_ expression: GrammarExpression) -> Bool {
        switch expression {
        case .bytes, .rule: true
        case let .sequence(items): items.allSatisfy(isFlat)
        case .choice, .repetition: false
        }
    }
}
