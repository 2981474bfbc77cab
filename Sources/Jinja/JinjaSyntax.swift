// The parsed template: statements that write text, and the expressions they evaluate.

indirect enum JinjaExpression: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpression])
    case dict([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String)
    case item(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
    case call(JinjaExpression, JinjaArguments)
    case filter(JinjaExpression, name: String, JinjaArguments)
    case test(JinjaExpression, name: String, JinjaArguments, negated: Bool)
    case not(JinjaExpression)
    case negate(JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    /// `a < b < c`: each comparison with the next operand, all of them holding (Python's chain).
    case chain(JinjaExpression, [(String, JinjaExpression)])
    case and(JinjaExpression, JinjaExpression)
    case or(JinjaExpression, JinjaExpression)
    /// `a if condition else b`; without `else`, undefined.
    case conditional(JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
}

struct JinjaArguments: Sendable {
    var positional: [JinjaExpression] = []
    var named: [(String, JinjaExpression)] = []
}

/// Where a `set` or `for` writes: a name, a namespace attribute, or names unpacked from a sequence.
enum JinjaTarget: Sendable {
    case name(String)
    case attribute(namespace: String, attribute: String)
    case unpack([String])
}

struct JinjaMacro: Sendable {
    let name: String
    let parameters: [(String, JinjaExpression?)]
    let body: [JinjaNode]
}

indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpression, line: Int)
    case ifBlock([(JinjaExpression, [JinjaNode])], otherwise: [JinjaNode], line: Int)
    case forBlock(JinjaTarget, iterable: JinjaExpression, filter: JinjaExpression?, body: [JinjaNode],
                  otherwise: [JinjaNode], line: Int)
    case set(JinjaTarget, JinjaExpression, line: Int)
    /// `{% set name %}...{% endset %}`: the rendered body as a string.
    case setBlock(JinjaTarget, [JinjaNode], line: Int)
    case macro(JinjaMacro)
    /// `{% filter name %}...{% endfilter %}`: the rendered body through a filter.
    case filterBlock(name: String, JinjaArguments, [JinjaNode], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
}
