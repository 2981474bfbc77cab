// Splits a template into text, `{{ output }}` and `{% statement %}` pieces, with jinja2's whitespace rules as
// transformers configures them (trim_blocks and lstrip_blocks on, `-` trims, `+` keeps), then each tag's
// contents into tokens.
import Foundation

struct JinjaToken: Equatable {
    enum Kind: Equatable { case name, string, integer, float, op }
    let kind: Kind
    let text: String
    let line: Int
}

enum JinjaPiece {
    case text(String)
    case output([JinjaToken], line: Int)
    case statement([JinjaToken], line: Int)
}

struct JinjaLexer {
    private let source: [Unicode.Scalar]
    private var position = 0
    private var line = 1

    init(_ template: String) {
        // jinja2 reads any newline as "\n" and drops one newline at the very end (keep_trailing_newline off).
        var text = template.replacingNewlines()
        if text.hasSuffix("\n") { text.removeLast() }
        source = Array(text.unicodeScalars)
    }

    static func pieces(of template: String) throws(JinjaError) -> [JinjaPiece] {
        var lexer = JinjaLexer(template)
        return try lexer.run()
    }

    private enum TagKind { case output, statement, comment }

    private mutating func run() throws(JinjaError) -> [JinjaPiece] {
        var pieces: [JinjaPiece] = []
        var trimStart = false  // the previous tag ended with `-`
        var dropNewline = false  // trim_blocks: the previous tag was a statement or comment
        while true {
            let textStart = position
            let tagStart = nextTagStart()
            var text = String(String.UnicodeScalarView(source[textStart..<(tagStart ?? source.count)]))
            // jinja2's line_starting: the text begins a line when the previous tag's match (with the newline trim_blocks
            // took, or the whitespace `-` took) ended in a newline, or at the very start.
            var lineStarting = textStart == 0
            if trimStart {
                let trimmed = text.trimmingLeadingWhitespace()
                lineStarting = text.unicodeScalars.count > trimmed.unicodeScalars.count
                    && text.unicodeScalars[text.unicodeScalars.index(text.unicodeScalars.startIndex,
                                                                     offsetBy: text.unicodeScalars.count - trimmed.unicodeScalars.count - 1)] == "\n"
                text = trimmed
            } else if dropNewline, text.hasPrefix("\n") {
                text.removeFirst()
                lineStarting = true
            }
            guard let tagStart else {
                if !text.isEmpty { pieces.append(.text(text)) }
                return pieces
            }
            let kind: TagKind = source[tagStart + 1] == "{" ? .output : source[tagStart + 1] == "%" ? .statement : .comment
            position = tagStart + 2
            let marker = position < source.count ? source[position] : " "
            if marker == "-" || marker == "+" { position += 1 }
            if marker == "-" {
                text = text.trimmingTrailingWhitespace()
            } else if kind != .output, marker != "+" {
                // lstrip_blocks: a statement alone on its line takes the line's indentation with it.
                let lastNewline = text.unicodeScalars.lastIndex(of: "\n")
                let tail = lastNewline.map { text.unicodeScalars[text.unicodeScalars.index(after: $0)...] } ?? text.unicodeScalars[...]
                if (lastNewline != nil || lineStarting), !tail.isEmpty, tail.allSatisfy({ $0.properties.isWhitespace }) {
                    text = String(text.unicodeScalars[..<tail.startIndex])
                }
            }
            if !text.isEmpty { pieces.append(.text(text)) }
            line += source[textStart..<tagStart].count { $0 == "\n" }
            let tagLine = line
            if kind == .comment {
                let end = try skipComment()
                trimStart = end == .trims
                dropNewline = end != .keeps
                continue
            }
            let (tokens, endTrim) = try tokens(until: kind == .output ? "}" : "%")
            trimStart = endTrim == .trims
            dropNewline = kind == .statement && endTrim != .keeps
            if kind == .output {
                pieces.append(.output(tokens, line: tagLine))
            } else if tokens.count == 1, tokens[0].kind == .name, tokens[0].text == "raw" {
                let (raw, end) = try rawText(trimStart: trimStart)
                pieces.append(.text(raw))
                trimStart = end == .trims
                dropNewline = end != .keeps
            } else {
                pieces.append(.statement(tokens, line: tagLine))
            }
        }
    }

    /// Index of the next `{{`, `{%` or `{#` at or after the current position.
    private func nextTagStart() -> Int? {
        var i = position
        while i + 1 < source.count {
            if source[i] == "{", source[i + 1] == "{" || source[i + 1] == "%" || source[i + 1] == "#" { return i }
            i += 1
        }
        return nil
    }

    /// How a tag ends: `-%}` trims the whitespace after it, `+%}` keeps even the newline trim_blocks would take.
    enum TagEnd { case plain, trims, keeps }

    /// Skips to the end of a comment.
    private mutating func skipComment() throws(JinjaError) -> TagEnd {
        let start = line
        while position + 1 < source.count {
            if source[position] == "#", source[position + 1] == "}" {
                let marker = position > 0 ? source[position - 1] : " "
                position += 2
                return marker == "-" ? .trims : marker == "+" ? .keeps : .plain
            }
            if source[position] == "\n" { line += 1 }
            position += 1
        }
        throw JinjaError(.syntax, "comment `{#` is never closed", line: start)
    }

    /// The literal text up to `{% endraw %}`, with the same whitespace rules at both ends.
    private mutating func rawText(trimStart: Bool) throws(JinjaError) -> (String, TagEnd) {
        let start = line
        let bodyStart = position
        while let tag = nextTagStart() {
            position = tag + 2
            let marker = position < source.count ? source[position] : " "
            if source[tag + 1] == "%" {
                let save = (position, line)
                if marker == "-" || marker == "+" { position += 1 }
                if let (tokens, end) = try? tokens(until: "%"), tokens.count == 1, tokens[0].text == "endraw" {
                    // The raw body keeps the newline after `{% raw %}` (jinja2 trims only whitespace `-` asks for).
                    var text = String(String.UnicodeScalarView(source[bodyStart..<tag]))
                    if trimStart { text = text.trimmingLeadingWhitespace() }
                    if marker == "-" { text = text.trimmingTrailingWhitespace() }
                    line += source[bodyStart..<tag].count { $0 == "\n" }
                    return (text, end)
                }
                (position, line) = save
            }
        }
        throw JinjaError(.syntax, "`{% raw %}` is never closed by `{% endraw %}`", line: start)
    }

    // MARK: - Tokens inside a tag

    private static let operators = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                                    "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"].map { Array($0.unicodeScalars) }

    /// Tokens up to the tag's end (`}}` or `%}`, brackets balanced), and how the tag ended.
    private mutating func tokens(until closer: Unicode.Scalar) throws(JinjaError) -> ([JinjaToken], TagEnd) {
        var tokens: [JinjaToken] = []
        var depth = 0
        let start = line
        while position < source.count {
            let c = source[position]
            if c == "\n" { line += 1 }
            if c.properties.isWhitespace { position += 1; continue }
            if depth == 0, let end = endOfTag(closer) { return (tokens, end) }
            if c == "\"" || c == "'" {
                tokens.append(JinjaToken(kind: .string, text: try stringLiteral(), line: line))
            } else if c.isASCIIDigit {
                tokens.append(number())
            } else if c == "_" || c.properties.isAlphabetic {
                let begin = position
                while position < source.count, source[position] == "_" || source[position].properties.isAlphabetic
                        || (source[position].isASCII && source[position].properties.numericType != nil) {
                    position += 1
                }
                tokens.append(JinjaToken(kind: .name, text: String(String.UnicodeScalarView(source[begin..<position])), line: line))
            } else if let op = Self.operators.first(where: { matches($0) }) {
                position += op.count
                let text = String(String.UnicodeScalarView(op))
                if "([{".contains(text) { depth += 1 }
                if ")]}".contains(text) { depth -= 1 }
                tokens.append(JinjaToken(kind: .op, text: text, line: line))
            } else {
                throw JinjaError(.syntax, "unexpected character '\(c)'", line: line)
            }
        }
        throw JinjaError(.syntax, "tag opened here is never closed", line: start)
    }

    /// At `}}`, `-}}`, `+}}` (or the `%` forms): consumes it and says how it ends.
    private mutating func endOfTag(_ closer: Unicode.Scalar) -> TagEnd? {
        for (marker, end) in [("-", TagEnd.trims), ("+", .keeps), ("", .plain)] {
            let expected = Array((marker + String(closer) + "}").unicodeScalars)
            if matches(expected) {
                // `- }}` would be subtraction with nothing after it; `-}}` glued is the trim marker.
                position += expected.count
                return end
            }
        }
        return nil
    }

    private func matches(_ scalars: [Unicode.Scalar]) -> Bool {
        guard position + scalars.count <= source.count else { return false }
        return scalars.indices.allSatisfy { source[position + $0] == scalars[$0] }
    }

    private mutating func number() -> JinjaToken {
        let begin = position
        var isFloat = false
        func digits() { while position < source.count, source[position].isASCIIDigit || source[position] == "_" { position += 1 } }
        digits()
        if position + 1 < source.count, source[position] == ".", source[position + 1].isASCIIDigit {
            isFloat = true
            position += 1
            digits()
        }
        if position < source.count, source[position] == "e" || source[position] == "E" {
            var look = position + 1
            if look < source.count, source[look] == "+" || source[look] == "-" { look += 1 }
            if look < source.count, source[look].isASCIIDigit {
                isFloat = true
                position = look
                digits()
            }
        }
        let text = String(String.UnicodeScalarView(source[begin..<position])).replacingOccurrences(of: "_", with: "")
        return JinjaToken(kind: isFloat ? .float : .integer, text: text, line: line)
    }

    /// A quoted string with Python's backslash escapes.
    private mutating func stringLiteral() throws(JinjaError) -> String {
        let quote = source[position]
        let start = line
        position += 1
        var out = String.UnicodeScalarView()
        while position < source.count {
            let c = source[position]
            position += 1
            if c == quote { return String(out) }
            if c == "\n" { line += 1 }
            guard c == "\\", position < source.count else { out.append(c); continue }
            let e = source[position]
            position += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "0": out.append("\0")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "\\", "'", "\"": out.append(e)
            case "\n": line += 1  // a backslash-newline continues the literal
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                let hex = String(String.UnicodeScalarView(source[position..<min(position + width, source.count)]))
                guard hex.count == width, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                    throw JinjaError(.syntax, "bad \\\(e) escape in a string", line: line)
                }
                out.append(scalar)
                position += width
            default:
                out.append("\\")
                out.append(e)
            }
        }
        throw JinjaError(.syntax, "string literal is never closed", line: start)
    }
}

extension Unicode.Scalar {
    var isASCIIDigit: Bool { value >= 48 && value <= 57 }
}

extension String {
    /// Every line break (`\r\n`, `\r`, `\n`) as `\n`.
    func replacingNewlines() -> String {
        replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    func trimmingLeadingWhitespace() -> String {
        String(unicodeScalars.drop { $0.properties.isWhitespace })
    }

    func trimmingTrailingWhitespace() -> String {
        var scalars = unicodeScalars[...]
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
