// GBNF for llama.cpp-style servers: every built-in grammar written as GBNF parses back to the same rules and
// accepts and refuses the same texts; names, lines and escapes keep to what llama.cpp's parser reads.
// Set GBNF_DUMP_DIR to write each built-in's GBNF and examples there (to check them with llama.cpp by hand).
import Constraints
import Foundation
import Testing

@Suite struct GBNFTests {
    typealias P = CallParameter

    /// (name, grammar, texts it accepts, texts it refuses)
    static func builtIns() throws -> [(String, Grammar, [String], [String])] {
        let code = "Instruction: Write `keep_big(a, b)`.\n\n```python\nimport math\n@cache\ndefault = 1\n\ndef keep_big(a, b):\n    return [x for x in a if x > b]\n```\n"
        let tally = "Instruction: Write a class `Tally`.\n\n```python\nclassic = 1\n\nclass Tally:\n    def add(self, x):\n        return x\n```\n"
        let signature = [P(name: "n", kind: .positional, hasDefault: false, valueKinds: ["int"]),
                         P(name: "text", kind: .positional, hasDefault: true, valueKinds: ["str"]),
                         P(name: "flag", kind: .keywordOnly, hasDefault: false, valueKinds: ["bool"]),
                         P(name: "limit", kind: .keywordOnly, hasDefault: true, valueKinds: [])]
        let listOfInts = [P(name: "xs", kind: .positionalOnly, hasDefault: false, valueKinds: ["list"], element: "int"),
                          P(name: "k", kind: .positional, hasDefault: true, valueKinds: ["int", "none"]),
                          P(name: "rest", kind: .varPositional, hasDefault: false)]
        return [
            ("call-lines", try BuiltInConstraints.callLines(function: "count_words", keywords: ["text", "min_length"], minLines: 2, maxLines: 3),
             ["count_words('a b', 2)\ncount_words(\"x\\\"y\", min_length=3)\n", "count_words()\ncount_words(min_length=0)",
              "count_words(text='h\u{e9}llo\\n', min_length=-1)\ncount_words({'a': [1, 2.5e3]}, (None,), b'\\x00', {1, 2})",
              "count_words('\\\\', '\\u00e9', '\\U0001F600')\ncount_words(set(), 0.5, 'it\\'s', \"\\t\")"],
             ["count_words(1)", "count_words(min_length=1, text=2)\ncount_words()", "count_words('a\nb')\ncount_words()",
              "count_words('a\\q')\ncount_words()", "count_words('\u{01}')\ncount_words()", "count_words('\u{7f}')\ncount_words()",
              "count_words(b'\u{e9}')\ncount_words()", "count_words(\"a\"b\")\ncount_words()", "count_words('a\")\ncount_words()",
              "count_words(01)\ncount_words()", "count_words(x)\ncount_words()\ncount_words()\ncount_words()"]),
            ("instruction-and-code-def", try BuiltInConstraints.instructionAndCode(function: "keep_big"),
             [code, code.replacingOccurrences(of: "import math\n", with: "  `x`\n``y\n")],
             [code.replacingOccurrences(of: "def keep_big(", with: "def keep_bigger("),
              code.replacingOccurrences(of: "def keep_big(", with: "    def keep_big("),
              code.replacingOccurrences(of: "import math", with: "def helper(x):\n    return x"),
              code.replacingOccurrences(of: "import math", with: "  ```"), code + "More prose."]),
            ("instruction-and-code-class", try BuiltInConstraints.instructionAndCode(className: "Tally"),
             [tally, tally.replacingOccurrences(of: "class Tally:", with: "class Tally(object):")],
             [tally.replacingOccurrences(of: "classic = 1", with: "class Base:\n    pass"),
              tally.replacingOccurrences(of: "class Tally:", with: "class Tallyho:"),
              tally.replacingOccurrences(of: "class Tally:", with: "\tclass Tally:")]),
            ("instruction-and-code", BuiltInConstraints.instructionAndCode,
             ["Instruction: Add 1.5 and 2.\n\n```python\npass\n```", "Instruction: Why?\n\n```python\n\tx = '`'\n\n```\n"],
             ["Instruction: add.\n\n```python\npass\n```", "Instruction: Add.\n```python\npass\n```", "Instruction: Add.\n\n```python\n```"]),
            ("fenced-python", BuiltInConstraints.fencedPython,
             ["```python\nx = 1\n```\n", "```python\n  `a` \\ \"b\"\n``c\n\t\n```", "```python\n\u{e9} = '\u{1F600}'\n```"],
             ["```python\nx\n  ```\n```", "```py\nx\n```", "```python\nx\n```\n\n", "```python\nx```", "```python\n```"]),
            ("instruction-sentence", BuiltInConstraints.instructionSentence,
             ["Add two numbers.", "Is it odd?", "Version 1.2 works!", "Use \"quotes\" and [brackets] - or \\ too."],
             ["add two.", "Two lines\nhere.", "One. Two.", "No end", "Ends twice.."]),
            ("call-lines-signature", try BuiltInConstraints.callLines(function: "f", parameters: signature, minLines: 1, maxLines: 1),
             ["f(1, flag=True)", "f(-3, 'a', flag=False)", "f(2, text='x', flag=True)", "f(0, flag=True, limit=[1])"],
             ["f()", "f(1)", "f('a', flag=True)", "f(1, flag=True, text='a')", "f(1, flag=1)", "f(n=1, flag=True)"]),
            ("call-lines-type", try BuiltInConstraints.callLines(function: "g", parameters: listOfInts, receiver: .type("Box"), minLines: 2, maxLines: 3),
             ["Box.g([1, -2])\nBox.g([], 3)", "Box.g([1], None, 'x', [2])\nBox.g([4], k=5)\nBox.g([0], 1, 2)\n"],
             ["Box.g([1])", "g([1])\ng([2])", "Box.g(xs=[1])\nBox.g([1])", "Box.g(['a'])\nBox.g([1])", "Box.g([1], k=2, 3)\nBox.g([1])"]),
            ("call-lines-object", try BuiltInConstraints.callLines(function: "f", parameters: signature,
                                                                   receiver: .object("Tally", constructor: [P(name: "start", kind: .positional, hasDefault: true, valueKinds: ["int"])]),
                                                                   minLines: 1, maxLines: 2),
             ["Tally().f(1, flag=True)", "Tally(3).f(1, flag=True)\nTally(start=-1).f(2, 'a', flag=False)"],
             ["Tally.f(1, flag=True)", "Tally('a').f(1, flag=True)", "Tally().f(1)"]),
            ("object-call-lines", try BuiltInConstraints.objectCallLines(
                owner: "Tally", constructor: [P(name: "start", kind: .positional, hasDefault: true, valueKinds: ["int"])],
                methods: [(name: "add", parameters: [P(name: "amount", kind: .positional, hasDefault: false, valueKinds: ["int"])]),
                          (name: "undo", parameters: [])],
                maxCalls: 3, minLines: 2, maxLines: 2),
             ["Tally(3).add(2)\nTally().undo()", "obj = Tally(1); obj.add(2); obj.undo()\nobj = Tally(start=0); obj.undo(); obj.add(-4); obj.add(5)\n"],
             ["Tally(3).add('x')\nTally().undo()", "Tally(3).remove(1)\nTally().undo()", "obj = Tally(1); obj.add(2)\nTally().undo()",
              "obj = Tally(); obj.undo(); obj.undo(); obj.undo(); obj.undo()\nTally().undo()"]),
        ]
    }

    @Test func builtInGrammarsRoundTrip() throws {
        let dump = ProcessInfo.processInfo.environment["GBNF_DUMP_DIR"]
        for (name, grammar, accepted, refused) in try Self.builtIns() {
            let gbnf = try #require(try grammar.gbnf, "\(name)")
            if let dump {
                try gbnf.write(toFile: dump + "/\(name).gbnf", atomically: true, encoding: .utf8)
                try JSONSerialization.data(withJSONObject: ["accepted": accepted, "refused": refused])
                    .write(to: URL(fileURLWithPath: dump + "/\(name).json"))
            }
            // llama.cpp reads the text as a C string, one rule a line: no control characters but the line ends.
            #expect(gbnf.unicodeScalars.allSatisfy { $0 == "\n" || ($0.value >= 0x20 && $0.value != 0x7F) }, "\(name)")
            #expect(Self.unknownEscapes(gbnf).isEmpty, "\(name): \(Self.unknownEscapes(gbnf))")
            #expect(Self.quotesOnlyInsideStrings(gbnf), "\(name)")
            // The same rules once parsed back (the writer only spells them differently)...
            let original = try GrammarParser.definition(try #require(grammar.grammarText))
            let back = try GrammarParser.definition(gbnf)
            #expect(gbnf.split(separator: "\n").count == original.rules.count, "\(name)")
            #expect(back.rules.map(\.name) == original.rules.map(\.name), "\(name)")
            #expect(back.rules.map { Self.withoutOffsets($0.expression) } == original.rules.map { Self.withoutOffsets($0.expression) }, "\(name)")
            // ...so the same texts match.
            let reparsed = try GrammarParser.parse(gbnf)
            for text in accepted { #expect(matches(grammar, text) && matches(reparsed, text), "\(name) accepts \(text.debugDescription)") }
            for text in refused { #expect(!matches(grammar, text) && !matches(reparsed, text), "\(name) refuses \(text.debugDescription)") }
        }
    }

    @Test func oneSmallGrammarAsGolden() throws {
        let text = #"""
        # greetings
        root       ::= greeting_1 ("," " "? greeting-1){0,3} "\n"?
                     | 'say "bye"' [^]
        greeting_1 ::= 'it''s' | [\^A-Z\-\]] [^\\\t]* | "\u{e9}\0\x7f" . | ("a"{2}){1,}
        greeting-1 ::= "x"+ ()
        """#
        let expected = #"""
        root ::= greeting-1-2 ("," " "? greeting-1){0,3} "\n"? | "say \"bye\"" .
        greeting-1-2 ::= "it" "s" | [\x5EA-Z\-\]] [^\\\t]* | "é\x00\x7F" . | ("a"{2})+
        greeting-1 ::= "x"+ ""

        """#
        #expect(try GBNF.text(fromGrammarFormat: text, source: "golden") == expected)
        let original = try GrammarParser.parse(text), back = try GrammarParser.parse(expected)
        for good in ["its", "^]q\n", "Qq", "é\u{0}\u{7f}\n,x", "aaaa, x", "say \"bye\"\n", "its,x, xxx,x\n"] {
            #expect(matches(original, good) && matches(back, good), "\(good.debugDescription)")
        }
        for bad in ["it's", "^\\", "A\t", "é\u{0}\u{7f}", "say \"bye\"", "its,x,x,x,x", "its,"] {
            #expect(!matches(original, bad) && !matches(back, bad), "\(bad.debugDescription)")
        }
    }

    @Test func underscoreNamesAreMappedApartFromNamesInUse() throws {
        let text = """
        root ::= a_b a-b a-b-2 x_y
        a_b ::= "1"
        a-b ::= "2"
        a-b-2 ::= "3"
        x_y ::= "4" | x_y2
        x_y2 ::= "5"
        """
        let gbnf = try GBNF.text(fromGrammarFormat: text, source: "names")
        let lines = gbnf.split(separator: "\n")
        #expect(lines.count == 6)
        let names = lines.map { String($0.prefix { $0 != " " }) }
        #expect(names == ["root", "a-b-3", "a-b", "a-b-2", "x-y", "x-y2"])
        #expect(lines[0] == "root ::= a-b-3 a-b a-b-2 x-y")
        for name in names { #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }, "\(name)") }
        let back = try GrammarParser.parse(gbnf)
        #expect(matches(back, "1234") && matches(back, "1235") && !matches(back, "2134"))
    }

    /// Both `.`s match any character, newline included (a regex's `.` does not; the grammar format's does).
    @Test func anyCharacterTakesNewlines() throws {
        let grammar = try GrammarParser.parse(#"root ::= . "x""#)
        #expect(try grammar.gbnf == "root ::= . \"x\"\n")
        #expect(matches(grammar, "\nx") && matches(grammar, "😀x") && !matches(grammar, "x"))
    }

    @Test func onlyParsedGrammarsHaveText() throws {
        #expect(try RegexCompiler.compile("a+").gbnf == nil)
        #expect(try JSONSchemaCompiler.compile(Data(#"{"type": "integer"}"#.utf8)).grammarText == nil)
        #expect(BuiltInConstraints.jsonObject.grammarText == nil)
        #expect(BuiltInConstraints.fencedPython.grammarText?.hasPrefix("root ::= fenced\n") == true)
    }

    @Test func whatLlamaCppCannotReadIsAnError() {
        // llama.cpp refuses counts from 2000 on and reads a maximum above 2000 as unbounded.
        #expect(throws: ConstraintError.self) { try GBNF.text(fromGrammarFormat: #"root ::= "a"{0,2500}"#, source: "big") }
        #expect(throws: ConstraintError.self) { try GBNF.text(fromGrammarFormat: #"root ::= ("a" "b"? "c"?){700}"#, source: "big") }
        #expect((try? GBNF.text(fromGrammarFormat: #"root ::= "a"{1999}"#, source: "ok")) != nil)
        // Errors our parser finds come first.
        #expect(throws: ConstraintError.self) { try GBNF.text(fromGrammarFormat: "root ::= thing", source: "undefined") }
        #expect(throws: ConstraintError.self) { try GBNF.text(fromGrammarFormat: "root ::= root \"a\" | \"b\"", source: "left") }
    }

    // MARK: - Helpers

    static func withoutOffsets(_ expression: GrammarExpression) -> GrammarExpression {
        switch expression {
        case .bytes: expression
        case let .sequence(items): .sequence(items.map(withoutOffsets))
        case let .choice(options): .choice(options.map(withoutOffsets))
        case let .repetition(item, min, max): .repetition(withoutOffsets(item), min: min, max: max)
        case let .rule(name, _): .rule(name, offset: -1)
        }
    }

    /// Escapes llama.cpp's parser does not know (it reads only \n \r \t \\ \" \[ \] \- \x \u \U).
    static func unknownEscapes(_ text: String) -> [String] {
        var unknown: [String] = []
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\", let next = scalars.next() else { continue }
            if !"nrt\\\"[]-xuU".unicodeScalars.contains(next) { unknown.append("\\\(next)") }
        }
        return unknown
    }

    /// Whether every `'` stands inside a "string" or [class] (GBNF has no single-quoted strings).
    static func quotesOnlyInsideStrings(_ text: String) -> Bool {
        var inside: Character?, escaped = false
        for character in text {
            if escaped { escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            switch (inside, character) {
            case (nil, "\""): inside = "\""
            case (nil, "["): inside = "]"
            case (nil, "'"): return false
            case let (close?, c) where c == close: inside = nil
            default: break
            }
        }
        return true
    }
}
