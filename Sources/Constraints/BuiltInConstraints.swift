// The constraints the pipeline uses, written in the grammar format (so they double as examples of it).

public enum BuiltInConstraints {
    /// Python literals that `ast.literal_eval` accepts: numbers, strings and bytes with escapes, None,
    /// True, False, and nested tuples, lists, dicts and sets (dict keys and set items hashable).
    public static let pythonLiteralRules = #"""
    value     ::= scalar | tuple | list | dict | set
    key       ::= scalar | key-tuple
    scalar    ::= number | string | bytes | "None" | "True" | "False"
    tuple     ::= "()" | "(" value ",)" | "(" value (sep value)+ ")"
    key-tuple ::= "()" | "(" key ",)" | "(" key (sep key)+ ")"
    list      ::= "[]" | "[" value (sep value)* "]"
    dict      ::= "{}" | "{" key ":" " "? value (sep key ":" " "? value)* "}"
    set       ::= "set()" | "{" key (sep key)* "}"
    sep       ::= "," " "?
    number    ::= "-"? (integer | float)
    integer   ::= "0" | [1-9] [0-9]{0,17}
    float     ::= [0-9]{1,18} "." [0-9]{0,18} exponent? | "." [0-9]{1,18} exponent? | [0-9]{1,18} exponent
    exponent  ::= [eE] [+\-]? [0-9]{1,3}
    string    ::= "'" ([^'\\\x00-\x1f\x7f] | escape)* "'" | "\"" ([^"\\\x00-\x1f\x7f] | escape)* "\""
    escape    ::= byte-escape | "\\u" hex{4} | "\\U000" hex{5} | "\\U0010" hex{4}
    bytes     ::= "b'" ([ -&(-\[\]-~] | byte-escape)* "'" | "b\"" ([ !#-\[\]-~] | byte-escape)* "\""
    byte-escape ::= "\\" ([\\'"abfnrtv] | [0-3] | "x" hex hex)
    hex       ::= [0-9a-fA-F]
    """#

    /// Lines of calls `function(args)`, between `minLines` and `maxLines` of them, each argument a Python
    /// literal. Keyword arguments may name `keywords`, each at most once and in the order given
    /// (after the positional ones), so that every line is a call Python accepts.
    public static func callLines(function: String, keywords: [String] = [], minLines: Int, maxLines: Int) throws(ConstraintError) -> Grammar {
        guard isIdentifier(function) else {
            throw .schema(source: "call lines", pointer: "function", expected: "a Python identifier, not '\(function)'")
        }
        for name in keywords where !isIdentifier(name) {
            throw .schema(source: "call lines", pointer: "keywords", expected: "Python identifiers, not '\(name)'")
        }
        guard minLines >= 1, maxLines >= minLines else {
            throw .schema(source: "call lines", pointer: "lines", expected: "1 <= minimum <= maximum, not \(minLines)...\(maxLines)")
        }
        var text = """
        root ::= call ("\\n" call){\(minLines - 1),\(maxLines - 1)} "\\n"?
        call ::= "\(function)(" arguments? ")"

        """
        if keywords.isEmpty {
            text += "arguments ::= value (sep value)*\n"
        } else {
            text += "arguments ::= value (sep value)* (sep keyword-0)? | keyword-0\n"
            for (i, name) in keywords.enumerated() {
                let rest = i + 1 < keywords.count ? " (sep keyword-\(i + 1))? | keyword-\(i + 1)" : ""
                text += "keyword-\(i) ::= \"\(name)=\" value\(rest)\n"
            }
        }
        return try GrammarParser.parse(text + pythonLiteralRules, source: "call lines of \(function)")
    }

    static let sentenceRule = #"sentence ::= [A-Z] ([^\n.!?] | [.!?] [^ \n])* [.?!]"#

    /// One sentence: a capital first, one line, no sentence break inside, a full stop (or ? or !) last.
    public static let instructionSentence: Grammar = try! GrammarParser.parse(
        "root ::= sentence\n" + sentenceRule, source: "instruction sentence")

    static let fenceRules = #"""
    fenced ::= "```python\n" line+ "```" "\n"?
    line   ::= [ \t]* ([^`\n \t] [^\n]* | "`" ([^`\n] [^\n]*)? | "``" ([^`\n] [^\n]*)?)? "\n"
    """#

    /// Exactly one fenced Python block: free code inside, but no line inside starts (after spaces and
    /// tabs) with three backticks, as a fence reader would take it for the end; nothing after the closing fence.
    public static let fencedPython: Grammar = try! GrammarParser.parse(
        "root ::= fenced\n" + fenceRules, source: "fenced python")

    /// The rewrite answer: `Instruction: <one sentence>`, a blank line, one fenced Python block.
    public static let instructionAndCode: Grammar = try! GrammarParser.parse(
        "root ::= \"Instruction: \" sentence \"\\n\\n\" fenced\n" + sentenceRule + "\n" + fenceRules,
        source: "instruction and code")

    /// The rewrite answer for `function`: as `instructionAndCode`, and the first function the block defines
    /// (at the start of a line) is `function` itself, so the rewrite cannot rename the entry point; imports,
    /// constants and decorators may come first, helpers after.
    public static func instructionAndCode(function: String) throws(ConstraintError) -> Grammar {
        try instructionAndCode(keyword: "def", name: function, opening: "(")
    }

    /// The same for a whole class: the first class the block defines is `className` (`class Name:` or
    /// `class Name(Base):`); helpers and constants may come first.
    public static func instructionAndCode(className: String) throws(ConstraintError) -> Grammar {
        try instructionAndCode(keyword: "class", name: className, opening: nil)
    }

    static func instructionAndCode(keyword: String, name: String, opening: String?) throws(ConstraintError) -> Grammar {
        guard isIdentifier(name) else {
            throw .schema(source: "instruction and code", pointer: keyword == "def" ? "function" : "class", expected: "a Python identifier, not '\(name)'")
        }
        // After a class's name comes its bases or its colon.
        let header = opening.map { "\"\(keyword) \(name)\($0)\" [^\\n]*" } ?? "\"\(keyword) \(name)\" [(:] [^\\n]*"
        let rules = #"""
        root    ::= "Instruction: " sentence "\n\n" "```python\n" prelude* HEADER "\n" line* "```" "\n"?

        """#.replacingOccurrences(of: "HEADER", with: header)
        return try GrammarParser.parse(rules + preludeRule(excluding: keyword) + "\n" + sentenceRule + "\n" + fenceRules,
                                       source: "instruction and code of \(name)")
    }

    /// A line before the entry point: not a fence, and not the start of another definition with `keyword` (`def `).
    static func preludeRule(excluding keyword: String) -> String {
        let letters = keyword.map(String.init)
        // A line that starts with the keyword's first letters and then leaves it.
        let partial = (1..<letters.count).map { length in
            "\"\(letters.prefix(length).joined())\" ([^\(letters[length])\\n] [^\\n]*)?"
        } + ["\"\(keyword)\" ([^ \\n] [^\\n]*)?"]
        return #"prelude ::= ([ \t]+ ([^`\n \t] [^\n]* | "`" ([^`\n] [^\n]*)? | "``" ([^`\n] [^\n]*)?)?"#
            + "\n    | [^`\\n \\t\(letters[0])] [^\\n]* | \"`\" ([^`\\n] [^\\n]*)? | \"``\" ([^`\\n] [^\\n]*)?"
            + "\n    | " + partial.joined(separator: " | ") + ")? \"\\n\""
    }

    /// Any JSON object.
    public static var jsonObject: Grammar { JSONSchemaCompiler.anyObject }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
