// Expressions, with jinja2's precedence from loosest to tightest: `x if c else y`, `or`, `and`, `not`,
// comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary minus, then `.attr`, `[i]`, calls, `|filter` and `is test`.

struct JinjaTokens {
    private let tokens: [JinjaToken]
    private var index = 0
    private let line: Int

    init(_ tokens: [JinjaToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    // MARK: - Cursor

    private var current: JinjaToken? { index < tokens.count ? tokens[index] : nil }
    private var currentLine: Int { current?.line ?? tokens.last?.line ?? line }

    func peekOp(_ op: String) -> Bool { current?.kind == .op && current?.text == op }
    func peekName(_ name: String) -> Bool { current?.kind == .name && current?.text == name }

    mutating func skipOp(_ op: String) -> Bool {
        guard peekOp(op) else { return false }
        index += 1
        return true
    }

    mutating func skipName(_ name: String) -> Bool {
        guard peekName(name) else { return false }
        index += 1
        return true
    }

    mutating func expectOp(_ op: String) throws(JinjaError) {
        guard skipOp(op) else { throw unexpected("`\(op)`") }
    }

    mutating func name() throws(JinjaError) -> String {
        guard let token = current, token.kind == .name else { throw unexpected("a name") }
        index += 1
        return token.text
    }

    func expectEnd() throws(JinjaError) {
        if current != nil { throw unexpected("the end of the tag") }
    }

    private func unexpected(_ wanted: String) -> JinjaError {
        let found = current.map { "`\($0.text)`" } ?? "the end of the tag"
        return JinjaError(.syntax, "expected \(wanted), found \(found)", line: currentLine)
    }

    // MARK: - Precedence levels

    mutating func expression() throws(JinjaError) -> JinjaExpression {
        var value = try or()
        while skipName("if") {
            let condition = try or()
            let otherwise = skipName("else") ? try expression() : nil
            value = .conditional(value, condition: condition, otherwise: otherwise)
        }
        return value
    }

    /// `a, b` without brackets (a `set` value) is a tuple, kept as a list.
    mutating func tupleOrExpression() throws(JinjaError) -> JinjaExpression {
        let first = try expression()
        guard peekOp(",") else { return first }
        var items = [first]
        while skipOp(","), current != nil { items.append(try expression()) }
        return .list(items)
    }

    /// A for loop's iterable: no conditional expression, so `for x in xs if x` filters.
    mutating func iterable() throws(JinjaError) -> JinjaExpression { try or() }

    private mutating func or() throws(JinjaError) -> JinjaExpression {
        var value = try and()
        while skipName("or") { value = .or(value, try and()) }
        return value
    }

    private mutating func and() throws(JinjaError) -> JinjaExpression {
        var value = try not()
        while skipName("and") { value = .and(value, try not()) }
        return value
    }

    private mutating func not() throws(JinjaError) -> JinjaExpression {
        if skipName("not") { return .not(try not()) }
        return try comparison()
    }

    private mutating func comparison() throws(JinjaError) -> JinjaExpression {
        let first = try sum()
        var rest: [(String, JinjaExpression)] = []
        while true {
            if let op = current, op.kind == .op, ["==", "!=", "<", "<=", ">", ">="].contains(op.text) {
                index += 1
                rest.append((op.text, try sum()))
            } else if skipName("in") {
                rest.append(("in", try sum()))
            } else if peekName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name, tokens[index + 1].text == "in" {
                index += 2
                rest.append(("not in", try sum()))
            } else {
                break
            }
        }
        if rest.count == 1 { return .binary(rest[0].0, first, rest[0].1) }
        return rest.isEmpty ? first : .chain(first, rest)
    }

    private mutating func sum() throws(JinjaError) -> JinjaExpression {
        var value = try concatenation()
        while let op = current, op.kind == .op, op.text == "+" || op.text == "-" {
            index += 1
            value = .binary(op.text, value, try concatenation())
        }
        return value
    }

    private mutating func concatenation() throws(JinjaError) -> JinjaExpression {
        var value = try product()
        while skipOp("~") { value = .binary("~", value, try product()) }
        return value
    }

    private mutating func product() throws(JinjaError) -> JinjaExpression {
        var value = try power()
        while let op = current, op.kind == .op, ["*", "/", "//", "%"].contains(op.text) {
            index += 1
            value = .binary(op.text, value, try power())
        }
        return value
    }

    private mutating func power() throws(JinjaError) -> JinjaExpression {
        var value = try unary(withFilters: true)
        while skipOp("**") { value = .binary("**", value, try unary(withFilters: true)) }
        return value
    }

    private mutating func unary(withFilters: Bool) throws(JinjaError) -> JinjaExpression {
        var value: JinjaExpression
        if skipOp("-") {
            value = .negate(try unary(withFilters: false))
        } else if skipOp("+") {
            value = try unary(withFilters: false)
        } else {
            value = try primary()
        }
        value = try postfix(value)
        return withFilters ? try filtersAndTests(value) : value
    }

    // MARK: - Operands

    private mutating func primary() throws(JinjaError) -> JinjaExpression {
        guard let token = current else { throw unexpected("an expression") }
        index += 1
        switch token.kind {
        case .name:
            switch token.text {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(token.text)
            }
        case .string:
            var text = token.text
            while let next = current, next.kind == .string {  // adjacent literals join, as in Python
                text += next.text
                index += 1
            }
            return .literal(.string(text))
        case .integer:
            guard let value = Int(token.text) else { throw JinjaError(.syntax, "integer \(token.text) is too large", line: token.line) }
            return .literal(.int(value))
        case .float:
            return .literal(.double(Double(token.text) ?? .nan))
        case .op:
            switch token.text {
            case "(":
                if skipOp(")") { return .list([]) }
                let first = try expression()
                if skipOp(")") { return first }
                var items = [first]
                while skipOp(",") {
                    if peekOp(")") { break }
                    items.append(try expression())
                }
                try expectOp(")")
                return .list(items)
            case "[":
                var items: [JinjaExpression] = []
                while !skipOp("]") {
                    if !items.isEmpty { try expectOp(",") }
                    if skipOp("]") { break }
                    items.append(try expression())
                }
                return .list(items)
            case "{":
                var pairs: [(JinjaExpression, JinjaExpression)] = []
                while !skipOp("}") {
                    if !pairs.isEmpty { try expectOp(",") }
                    if skipOp("}") { break }
                    let key = try expression()
                    try expectOp(":")
                    pairs.append((key, try expression()))
                }
                return .dict(pairs)
            default:
                index -= 1
                throw unexpected("an expression")
            }
        }
    }

    private mutating func postfix(_ base: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        var value = base
        while true {
            if skipOp(".") {
                guard let token = current, token.kind == .name || token.kind == .integer else { throw unexpected("an attribute name") }
                index += 1
                value = token.kind == .integer ? .item(value, .literal(.int(Int(token.text) ?? 0))) : .attribute(value, token.text)
            } else if skipOp("[") {
                value = try subscriptOrSlice(value)
            } else if peekOp("(") {
                value = .call(value, try arguments())
            } else {
                return value
            }
        }
    }

    private mutating func subscriptOrSlice(_ base: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        let start = peekOp(":") ? nil : try expression()
        guard skipOp(":") else {
            try expectOp("]")
            return .item(base, start!)
        }
        let stop = peekOp(":") || peekOp("]") ? nil : try expression()
        var step: JinjaExpression?
        if skipOp(":"), !peekOp("]") { step = try expression() }
        try expectOp("]")
        return .slice(base, start: start, stop: stop, step: step)
    }

    /// `(a, b, key=c)`.
    mutating func arguments() throws(JinjaError) -> JinjaArguments {
        try expectOp("(")
        var arguments = JinjaArguments()
        while !skipOp(")") {
            if !arguments.positional.isEmpty || !arguments.named.isEmpty { try expectOp(",") }
            if skipOp(")") { break }
            if peekOp("*") || peekOp("**") { throw JinjaError(.unsupported, "`*args` and `**kwargs` in calls", line: currentLine) }
            if let token = current, token.kind == .name, index + 1 < tokens.count, tokens[index + 1].kind == .op, tokens[index + 1].text == "=" {
                index += 2
                arguments.named.append((token.text, try expression()))
            } else {
                arguments.positional.append(try expression())
            }
        }
        return arguments
    }

    private mutating func filtersAndTests(_ base: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        var value = base
        while true {
            if skipOp("|") {
                let line = currentLine
                var name = try name()
                while skipOp(".") { name += "." + (try self.name()) }
                try JinjaFilters.check(name, line: line)
                value = .filter(value, name: name, peekOp("(") ? try arguments() : JinjaArguments())
            } else if skipName("is") {
                let line = currentLine
                let negated = skipName("not")
                let name = try name()
                try JinjaPredicates.check(name, line: line)
                var arguments = JinjaArguments()
                if peekOp("(") {
                    arguments = try self.arguments()
                } else if let token = current, startsBareTestArgument(token) {
                    arguments.positional = [try postfix(try primary())]
                }
                value = .test(value, name: name, arguments, negated: negated)
            } else if peekOp("(") {
                value = .call(value, try arguments())
            } else {
                return value
            }
        }
    }

    /// `x is divisibleby 3`, `x is sameas none`: a test may take one argument without parentheses.
    private func startsBareTestArgument(_ token: JinjaToken) -> Bool {
        switch token.kind {
        case .string, .integer, .float: true
        case .name: !["and", "or", "else", "if", "in", "is", "not"].contains(token.text)
        case .op: token.text == "[" || token.text == "{"
        }
    }
}
