// Liberal parsers for what small models actually write: fenced or bare code, prose around it,
// "Instruction:" or not. A parse failure is a reason, never an exception.
import Foundation

/// The arguments of one test call, as people read them and as the sandbox takes them.
public struct CallArguments: Sendable, Equatable, Codable {
    /// `1, [2], k=3`
    public var display: String
    /// `{'args': (1, [2], ), 'kwargs': {'k': 3}}`
    public var literal: String
}

public enum RewriteParse: Equatable, Sendable {
    case parsed(instruction: String?, code: String)
    case rejected(reason: RejectionReason, detail: String)
}

public enum ResponseParsers {
    /// The code of the first fenced block (```python or ```), else the text from the first `def entry` on (`entry` is a
    /// function's name, or `class Name` for a class).
    public static func code(in text: String, entry: String) -> String? {
        let definition = entry.hasPrefix("class ") ? entry : "def \(entry)("
        let lines = text.components(separatedBy: "\n")
        if let open = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("```") }) {
            let body = lines[(open + 1)...]
            let close = body.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("```") } ?? lines.endIndex
            let code = lines[(open + 1)..<close].joined(separator: "\n")
            if !code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return dedent(code) + "\n" }
        }
        if let start = lines.firstIndex(where: { $0.hasPrefix(definition) || $0.hasPrefix("import ") || $0.hasPrefix("from ") }) {
            return lines[start...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        }
        return nil
    }

    /// The instruction: after an "Instruction:" label, else the first prose line before the code.
    public static func instruction(in text: String) -> String? {
        let lines = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (index, line) in lines.enumerated() {
            let lower = line.lowercased()
            for label in ["instruction:", "**instruction:**", "**instruction**:", "### instruction"] where lower.hasPrefix(label) {
                var value = String(line.dropFirst(label.count)).trimmingCharacters(in: .whitespaces)
                if value.isEmpty, index + 1 < lines.count { value = lines[index + 1] }
                return value.isEmpty ? nil : strip(value)
            }
        }
        for line in lines {
            if line.hasPrefix("```") || line.hasPrefix("def ") || line.hasPrefix("class ") { break }
            if line.count >= 20, line.contains(" ") { return strip(line) }
        }
        return nil
    }

    public static func rewrite(_ text: String, entry: String) -> RewriteParse {
        guard let code = code(in: text, entry: entry) else {
            return .rejected(reason: .noCodeBlock, detail: "the answer holds no code block and no `\(entry.hasPrefix("class ") ? entry : "def " + entry)`")
        }
        return .parsed(instruction: instruction(in: text), code: code)
    }

    /// Candidate test-input lines: every non-empty line outside fence markers, bullets and numbering removed.
    /// Lines that are not calls (the function repeated, prose) are dropped later by the Python parser.
    public static func inputLines(in text: String) -> [String] {
        text.components(separatedBy: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("```") }
            .map(stripBullet)
    }

    /// The distinct, literal-only call arguments found in an answer, in order.
    public static func testInputs(in text: String, entry: String) throws -> [CallArguments] {
        let parsed = try PythonTools.arguments([(entry, inputLines(in: text))])[0]
        var seen: [CallArguments] = []
        for case let arguments? in parsed where !seen.contains(arguments) { seen.append(arguments) }
        return seen
    }

    static func stripBullet(_ line: String) -> String {
        var s = Substring(line)
        if let first = s.first, "-*•".contains(first) { s = s.dropFirst() }
        // "1." or "1)" numbering.
        let digits = s.prefix { $0.isNumber }
        if !digits.isEmpty, let after = s.dropFirst(digits.count).first, after == "." || after == ")" {
            s = s.dropFirst(digits.count + 1)
        }
        return s.trimmingCharacters(in: .whitespaces)
    }

    static func strip(_ text: String) -> String {
        text.trimmingCharacters(in: CharacterSet(charactersIn: " *\"`"))
    }

    static func dedent(_ code: String) -> String {
        let lines = code.components(separatedBy: "\n")
        let indents = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0.prefix { $0 == " " }.count }
        let common = indents.min() ?? 0
        return lines.map { String($0.dropFirst(min(common, $0.prefix { $0 == " " }.count))) }.joined(separator: "\n")
            .trimmingCharacters(in: .newlines)
    }
}
