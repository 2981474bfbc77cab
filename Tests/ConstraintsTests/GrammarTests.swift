// The grammar format and its byte automaton: what matches, what does not, and errors that say where.
import Constraints
import Testing

func matches(_ grammar: Grammar, _ text: String) -> Bool {
    let automaton = GrammarAutomaton(grammar: grammar)
    let state = automaton.advance(automaton.initial, Array(text.utf8))
    return automaton.canEnd(state)
}

func isPrefix(_ grammar: Grammar, _ text: String) -> Bool {
    let automaton = GrammarAutomaton(grammar: grammar)
    return automaton.advance(automaton.initial, Array(text.utf8)) >= 0
}

@Suite struct GrammarTests {
    @Test func literalsClassesAndRepeats() throws {
        let grammar = try GrammarParser.parse(#"""
        # two to four calls, one per line
        root ::= call ("\n" call){1,3} "\n"?
        call ::= "f(" num ")"
        num  ::= "-"? [1-9] [0-9]* | "0"
        """#)
        #expect(matches(grammar, "f(1)\nf(-20)"))
        #expect(matches(grammar, "f(1)\nf(0)\nf(3)\nf(4)\n"))
        #expect(!matches(grammar, "f(1)"))
        #expect(!matches(grammar, "f(1)\nf(01)"))
        #expect(!matches(grammar, "f(1)\nf(2)\nf(3)\nf(4)\nf(5)"))
        #expect(isPrefix(grammar, "f(1)\nf(-"))
        #expect(!isPrefix(grammar, "g("))
    }

    @Test func unicodeClassesMatchWholeCharacters() throws {
        let grammar = try GrammarParser.parse(#"root ::= [^"\\]* "!" [α-ω]+ ."#)
        #expect(matches(grammar, "héllo ✓!αβx"))
        #expect(matches(grammar, "!ω😀"))
        #expect(!matches(grammar, "a\"b!αx"))
        #expect(!matches(grammar, "!Ax"))
        // A lone continuation byte is not a character.
        let automaton = GrammarAutomaton(grammar: grammar)
        #expect(automaton.advance(automaton.initial, [0x80]) == GrammarAutomaton.dead)
    }

    @Test func errorsSayWhereAndWhat() {
        func message(_ text: String) -> String {
            do { _ = try GrammarParser.parse(text, source: "g.ebnf"); return "no error" } catch { return error.localizedDescription }
        }
        #expect(message("root ::= \"abc") .contains("g.ebnf:1:14"))
        #expect(message("root ::= \"abc").contains("closing"))
        #expect(message("root ::= (\"a\" | \"b\"") .contains("')'"))
        #expect(message("root ::= item\nitem ::= [a-") .contains("']'"))
        #expect(message("root ::= thing") .contains("'thing' is used but never defined"))
        #expect(message("root ::= thing") .contains("g.ebnf:1:10"))
        #expect(message("start ::= \"a\"") .contains("'root'"))
        #expect(message("root ::= root \"a\" | \"b\"") .contains("left-recursive"))
        #expect(message("root ::= \"a\" root") .contains("can never finish"))
        #expect(message("root ::= \"a\"{3,2}") .contains("maximum repeat count"))
        #expect(message("root ::= \"\\q\"") .contains("an escape"))
        #expect(message("root := \"a\"") .contains("'::='"))
    }
}

@Suite struct CharacterClassTests {
    /// Every Unicode scalar is accepted exactly when a class says so (checks the UTF-8 range splitting).
    @Test func classesAgreeWithScalarMembershipEverywhere() throws {
        let grammar = try GrammarParser.parse(#"root ::= [a-z\u{7f}-\u{800}\u{fff0}-\u{10000}\u{10fff0}-\u{10ffff}]"#)
        let negated = try GrammarParser.parse(#"root ::= [^a-z\u{7f}-\u{800}\u{fff0}-\u{10000}\u{10fff0}-\u{10ffff}]"#)
        let ranges: [ClosedRange<UInt32>] = [0x61...0x7A, 0x7F...0x800, 0xFFF0...0x10000, 0x10FFF0...0x10FFFF]
        let positive = GrammarAutomaton(grammar: grammar), negative = GrammarAutomaton(grammar: negated)
        var mistakes = 0
        for value in UInt32(0)...0x10FFFF where !(0xD800...0xDFFF).contains(value) {
            let bytes = Array(String(Character(Unicode.Scalar(value)!)).utf8)
            let inside = ranges.contains { $0.contains(value) }
            if positive.canEnd(positive.advance(positive.initial, bytes)) != inside { mistakes += 1 }
            if negative.canEnd(negative.advance(negative.initial, bytes)) == inside { mistakes += 1 }
        }
        #expect(mistakes == 0)
        // Encoded surrogates are not characters.
        #expect(negative.advance(negative.initial, [0xED, 0xA0, 0x80]) == GrammarAutomaton.dead)
    }

    @Test func repeatingSomethingEmptyIsNamed() {
        #expect(throws: ConstraintError.self) { try GrammarParser.parse(#"root ::= ("a"?)*"#) }
        do { _ = try GrammarParser.parse(#"root ::= ("a"?)* "b""#); Issue.record("no error") } catch {
            #expect(error.localizedDescription.contains("repeats something that can match nothing"))
        }
    }
}

@Suite struct RewriteConstraintTests {
    @Test func theEntryPointMustBeDefinedUnderItsName() throws {
        let grammar = try BuiltInConstraints.instructionAndCode(function: "keep_big")
        let helperFirst = "Instruction: Write `keep_big(a, b)`.\n\n```python\nimport math\n\ndef helper(x):\n    return x\n\ndef keep_big(a, b):\n    return [x for x in a if x > b]\n```\n"
        let entryFirst = "Instruction: Write `keep_big(a, b)`.\n\n```python\nimport math\n@cache\ndefault = 1\n\ndef keep_big(a, b):\n    return [x for x in a if x > b]\n\ndef helper(x):\n    return x\n```\n"
        #expect(matches(grammar, entryFirst))
        // The first function defined is the entry point.
        #expect(!matches(grammar, helperFirst))
        #expect(!matches(grammar, entryFirst.replacingOccurrences(of: "def keep_big(", with: "def keep_bigger(")))
        #expect(!matches(grammar, entryFirst.replacingOccurrences(of: "def keep_big(", with: "    def keep_big(")))
        #expect(isPrefix(grammar, "Instruction: Do it.\n\n```python\ndef keep_b") && !isPrefix(grammar, "Instruction: Do it.\n\n```python\ndef kept"))
        #expect(!matches(grammar, "Instruction: Write it.\n\n```python\ndef keep_big(a):\n    return a\n```\nMore prose."))
        #expect(throws: ConstraintError.self) { try BuiltInConstraints.instructionAndCode(function: "not a name") }
    }

    @Test func aWholeClassMustBeTheFirstClassDefined() throws {
        let grammar = try BuiltInConstraints.instructionAndCode(className: "Tally")
        let answer = "Instruction: Write a class `Tally`.\n\n```python\nimport math\nclassic = 1\n\ndef helper(x):\n    return x\n\nclass Tally:\n    def add(self, x):\n        return x\n\nclass Other:\n    pass\n```\n"
        #expect(matches(grammar, answer))
        #expect(matches(grammar, answer.replacingOccurrences(of: "class Tally:", with: "class Tally(object):")))
        // Another class first, a renamed class, or one nested in something else are refused.
        #expect(!matches(grammar, answer.replacingOccurrences(of: "classic = 1", with: "class Base:\n    pass")))
        #expect(!matches(grammar, answer.replacingOccurrences(of: "class Tally:", with: "class Tallyho:")))
        #expect(!matches(grammar, answer.replacingOccurrences(of: "class Tally:", with: "    class Tally:")))
        #expect(isPrefix(grammar, "Instruction: Do it.\n\n```python\nclass Ta") && !isPrefix(grammar, "Instruction: Do it.\n\n```python\nclass Tb"))
        #expect(throws: ConstraintError.self) { try BuiltInConstraints.instructionAndCode(className: "class Tally") }
    }
}
