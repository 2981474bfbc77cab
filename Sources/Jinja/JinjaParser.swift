// Statements: turns the lexer's pieces into a tree of nodes, matching each block with its end tag.

struct JinjaParser {
    private let pieces: [JinjaPiece]
    private var index = 0

    static func parse(_ template: String) throws(JinjaError) -> [JinjaNode] {
        var parser = JinjaParser(pieces: try JinjaLexer.pieces(of: template))
        let (nodes, end) = try parser.block(until: [])
        if let end { throw JinjaError(.syntax, "unexpected `{% \(end.keyword) %}`", line: end.line) }
        return nodes
    }

    private init(pieces: [JinjaPiece]) { self.pieces = pieces }

    /// The tag that ended a block: its keyword and the tokens after it.
    private struct BlockEnd {
        let keyword: String
        var tokens: JinjaTokens
        let line: Int
    }

    /// Nodes up to a statement whose keyword is in `ends` (nil at the end of the template, an error when ends were expected).
    private mutating func block(until ends: Set<String>, opener: String = "", openedAt: Int = 0) throws(JinjaError) -> ([JinjaNode], BlockEnd?) {
        var nodes: [JinjaNode] = []
        while index < pieces.count {
            let piece = pieces[index]
            index += 1
            switch piece {
            case let .text(text): nodes.append(.text(text))
            case let .output(tokens, line):
                var cursor = JinjaTokens(tokens, line: line)
                let expression = try cursor.expression()
                try cursor.expectEnd()
                nodes.append(.output(expression, line: line))
            case let .statement(tokens, line):
                var cursor = JinjaTokens(tokens, line: line)
                let keyword = try cursor.name()
                if ends.contains(keyword) { return (nodes, BlockEnd(keyword: keyword, tokens: cursor, line: line)) }
                nodes += try statement(keyword, &cursor, line: line)
            }
        }
        if !ends.isEmpty {
            let wanted = ends.filter { $0.hasPrefix("end") }.sorted().first ?? ends.sorted()[0]
            throw JinjaError(.syntax, "`{% \(opener) %}` is never closed by `{% \(wanted) %}`", line: openedAt)
        }
        return (nodes, nil)
    }

    private mutating func statement(_ keyword: String, _ tokens: inout JinjaTokens, line: Int) throws(JinjaError) -> [JinjaNode] {
        switch keyword {
        case "if": return [try ifBlock(&tokens, line: line)]
        case "for": return [try forBlock(&tokens, line: line)]
        case "set": return [try setStatement(&tokens, line: line)]
        case "macro": return [try macro(&tokens, line: line)]
        case "filter":
            let name = try tokens.name()
            let arguments = tokens.peekOp("(") ? try tokens.arguments() : JinjaArguments()
            try JinjaFilters.check(name, line: line)
            try tokens.expectEnd()
            let (body, _) = try block(until: ["endfilter"], opener: "filter", openedAt: line)
            return [.filterBlock(name: name, arguments, body, line: line)]
        case "break", "continue":
            try tokens.expectEnd()
            return [keyword == "break" ? .breakLoop(line: line) : .continueLoop(line: line)]
        case "generation":
            // transformers marks assistant text with this block; it renders its body unchanged.
            try tokens.expectEnd()
            return try block(until: ["endgeneration"], opener: "generation", openedAt: line).0
        case "elif", "else", "endif", "endfor", "endset", "endmacro", "endfilter", "endgeneration", "endraw":
            throw JinjaError(.syntax, "unexpected `{% \(keyword) %}`", line: line)
        default:
            throw JinjaError(.unsupported, "the `{% \(keyword) %}` statement", line: line)
        }
    }

    private mutating func ifBlock(_ tokens: inout JinjaTokens, line: Int) throws(JinjaError) -> JinjaNode {
        var branches: [(JinjaExpression, [JinjaNode])] = []
        var condition = try tokens.expression()
        try tokens.expectEnd()
        while true {
            let (body, end) = try block(until: ["elif", "else", "endif"], opener: "if", openedAt: line)
            branches.append((condition, body))
            guard var end else { break }
            switch end.keyword {
            case "elif":
                condition = try end.tokens.expression()
                try end.tokens.expectEnd()
            case "else":
                try end.tokens.expectEnd()
                let (otherwise, _) = try block(until: ["endif"], opener: "if", openedAt: line)
                return .ifBlock(branches, otherwise: otherwise, line: line)
            default:
                try end.tokens.expectEnd()
                return .ifBlock(branches, otherwise: [], line: line)
            }
        }
        return .ifBlock(branches, otherwise: [], line: line)
    }

    private mutating func forBlock(_ tokens: inout JinjaTokens, line: Int) throws(JinjaError) -> JinjaNode {
        var names = [try tokens.name()]
        while tokens.skipOp(",") { names.append(try tokens.name()) }
        guard tokens.skipName("in") else { throw JinjaError(.syntax, "expected `in` in a for loop", line: line) }
        // The iterable takes no `a if b else c`: a trailing `if` filters the loop instead.
        let iterable = try tokens.iterable()
        let filter = tokens.skipName("if") ? try tokens.expression() : nil
        if tokens.skipName("recursive") { throw JinjaError(.unsupported, "recursive for loops", line: line) }
        try tokens.expectEnd()
        let (body, end) = try block(until: ["else", "endfor"], opener: "for", openedAt: line)
        var otherwise: [JinjaNode] = []
        if end?.keyword == "else" { otherwise = try block(until: ["endfor"], opener: "for", openedAt: line).0 }
        let target: JinjaTarget = names.count == 1 ? .name(names[0]) : .unpack(names)
        return .forBlock(target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line)
    }

    private mutating func setStatement(_ tokens: inout JinjaTokens, line: Int) throws(JinjaError) -> JinjaNode {
        let first = try tokens.name()
        var target = JinjaTarget.name(first)
        if tokens.skipOp(".") {
            target = .attribute(namespace: first, attribute: try tokens.name())
        } else if tokens.peekOp(",") {
            var names = [first]
            while tokens.skipOp(",") { names.append(try tokens.name()) }
            target = .unpack(names)
        }
        if tokens.skipOp("=") {
            let value = try tokens.tupleOrExpression()
            try tokens.expectEnd()
            return .set(target, value, line: line)
        }
        try tokens.expectEnd()
        let (body, _) = try block(until: ["endset"], opener: "set", openedAt: line)
        return .setBlock(target, body, line: line)
    }

    private mutating func macro(_ tokens: inout JinjaTokens, line: Int) throws(JinjaError) -> JinjaNode {
        let name = try tokens.name()
        try tokens.expectOp("(")
        var parameters: [(String, JinjaExpression?)] = []
        while !tokens.skipOp(")") {
            if !parameters.isEmpty { try tokens.expectOp(",") }
            if tokens.skipOp(")") { break }
            let parameter = try tokens.name()
            parameters.append((parameter, tokens.skipOp("=") ? try tokens.expression() : nil))
        }
        try tokens.expectEnd()
        let (body, _) = try block(until: ["endmacro"], opener: "macro", openedAt: line)
        return .macro(JinjaMacro(name: name, parameters: parameters, body: body))
    }
}
