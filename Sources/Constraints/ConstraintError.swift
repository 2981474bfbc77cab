// Errors of compiling a constraint: each names where in the source it went wrong and what was expected.
import Foundation

public enum ConstraintError: LocalizedError, Sendable, Equatable {
    /// A grammar, regex or schema source could not be read at `offset` (bytes from its start).
    case syntax(kind: String, source: String, offset: Int, line: Int, column: Int, expected: String)
    /// A JSON schema is well-formed JSON but says something unsupported at `pointer` (a JSON pointer).
    case schema(source: String, pointer: String, expected: String)
    case undefinedRule(source: String, name: String, offset: Int, line: Int, column: Int)
    case duplicateRule(source: String, name: String, line: Int)
    case missingRoot(source: String)
    /// The rule can reach itself without reading a byte; a stack-based matcher would never stop expanding it.
    case leftRecursion(source: String, rule: String)
    /// The rule can never finish (every alternative needs itself or an empty byte class).
    case unproductive(source: String, rule: String)
    case unreadable(path: String, reason: String)
    /// The grammar cannot be written as llama.cpp GBNF with the same meaning.
    case notGBNF(source: String, rule: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .syntax(kind, source, offset, line, column, expected):
            "\(source):\(line):\(column): \(kind) error at offset \(offset): expected \(expected)"
        case let .schema(source, pointer, expected):
            "\(source): JSON schema at \(pointer.isEmpty ? "/" : pointer): expected \(expected)"
        case let .undefinedRule(source, name, offset, line, column):
            "\(source):\(line):\(column): grammar error at offset \(offset): rule '\(name)' is used but never defined"
        case let .duplicateRule(source, name, line):
            "\(source):\(line): grammar error: rule '\(name)' is defined twice"
        case let .missingRoot(source):
            "\(source): grammar error: expected a rule named 'root' (where matching starts)"
        case let .leftRecursion(source, rule):
            "\(source): grammar error: rule '\(rule)' is left-recursive (it can reach itself before reading a byte); rewrite it with repetition"
        case let .unproductive(source, rule):
            "\(source): grammar error: rule '\(rule)' can never finish matching"
        case let .unreadable(path, reason):
            "\(path): \(reason)"
        case let .notGBNF(source, rule, reason):
            "\(source): grammar error: rule '\(rule)' cannot be written as llama.cpp GBNF: \(reason)"
        }
    }
}

/// Line and column (1-based, in bytes) of a byte offset in `text`.
func lineAndColumn(of offset: Int, in text: [UInt8]) -> (line: Int, column: Int) {
    var line = 1, column = 1
    for byte in text.prefix(offset) {
        if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
    }
    return (line, column)
}
