// Calls shaped by a signature: arity, keywords and argument kinds, checked on accepted and refused lines.
import Constraints
import Testing

@Suite struct CallGrammarTests {
    typealias P = CallParameter

    @Test func requiredOptionalAndKeywordOnlyArguments() throws {
        // def f(n, text='', *, flag, limit=3)
        let grammar = try BuiltInConstraints.callLines(function: "f", parameters: [
            P(name: "n", kind: .positional, hasDefault: false, valueKinds: ["int"]),
            P(name: "text", kind: .positional, hasDefault: true, valueKinds: ["str"]),
            P(name: "flag", kind: .keywordOnly, hasDefault: false, valueKinds: ["bool"]),
            P(name: "limit", kind: .keywordOnly, hasDefault: true, valueKinds: []),
        ], minLines: 1, maxLines: 1)
        for good in ["f(1, flag=True)", "f(-3, 'a', flag=False)", "f(2, text='x', flag=True)", "f(0, flag=True, limit=[1])",
                     "f(7, 'b', flag=False, limit=None)", "f(1,flag=True)"] {
            #expect(matches(grammar, good), "\(good)")
        }
        for bad in ["f()", "f(1)", "f('a', flag=True)", "f(1, 2, flag=True)", "f(1, flag=True, text='a')",
                    "f(1, 'a', text='b', flag=True)", "f(1, flag=1)", "f(1, limit=2, flag=True)", "f(n=1, flag=True)", "f(1, 'a', 'b', flag=True)"] {
            #expect(!matches(grammar, bad), "\(bad)")
        }
    }

    @Test func positionalOnlyVariadicAndElementKinds() throws {
        // def g(xs, /, k=2, *rest) with xs a list of ints
        let grammar = try BuiltInConstraints.callLines(function: "g", parameters: [
            P(name: "xs", kind: .positionalOnly, hasDefault: false, valueKinds: ["list"], element: "int"),
            P(name: "k", kind: .positional, hasDefault: true, valueKinds: ["int", "none"]),
            P(name: "rest", kind: .varPositional, hasDefault: false),
        ], minLines: 2, maxLines: 3)
        #expect(matches(grammar, "g([1, -2])\ng([], 3)"))
        #expect(matches(grammar, "g([1], None, 'x', [2])\ng([4], k=5)\ng([0], 1, 2)\n"))
        #expect(!matches(grammar, "g([1])"), "too few lines")
        #expect(!matches(grammar, "g(xs=[1])\ng([1])"), "a positional-only parameter by keyword")
        #expect(!matches(grammar, "g(['a'])\ng([1])"), "a list of strings where ints are expected")
        #expect(!matches(grammar, "g([1], 'k')\ng([1])"))
        #expect(!matches(grammar, "g([1], k=2, 3)\ng([1])"), "a positional argument after a keyword")
    }

    @Test func aWholeClassIsBuiltOnceAndItsMethodsCalledInTurn() throws {
        // class Tally: __init__(self, start=0); add(self, amount) with amount an int; undo(self)
        let grammar = try BuiltInConstraints.objectCallLines(
            owner: "Tally", constructor: [P(name: "start", kind: .positional, hasDefault: true, valueKinds: ["int"])],
            methods: [(name: "add", parameters: [P(name: "amount", kind: .positional, hasDefault: false, valueKinds: ["int"])]),
                      (name: "undo", parameters: [])],
            maxCalls: 3, minLines: 2, maxLines: 2)
        #expect(matches(grammar, "Tally(3).add(2)\nTally().undo()"))
        #expect(matches(grammar, "obj = Tally(1); obj.add(2); obj.undo()\nobj = Tally(start=0); obj.undo(); obj.add(-4); obj.add(5)\n"))
        for bad in ["Tally(3).add('x')\nTally().undo()", "Tally(3).remove(1)\nTally().undo()", "Tally(1, 2).add(1)\nTally().undo()",
                    "Tally.add(1)\nTally().undo()", "obj = Tally(1); obj.add(2)\nTally().undo()",
                    "obj = Tally(); obj.undo(); obj.undo(); obj.undo(); obj.undo()\nTally().undo()", "Tally().undo(1)\nTally().undo()"] {
            #expect(!matches(grammar, bad), "\(bad)")
        }
        #expect(throws: ConstraintError.self) {
            try BuiltInConstraints.objectCallLines(owner: "Tally", constructor: [], methods: [], minLines: 1, maxLines: 1)
        }
    }

    @Test func noParametersAndAnyKind() throws {
        let empty = try BuiltInConstraints.callLines(function: "h", parameters: [], minLines: 1, maxLines: 1)
        #expect(matches(empty, "h()"))
        #expect(!matches(empty, "h(1)"))
        let any = try BuiltInConstraints.callLines(function: "h", parameters: [P(name: "x", kind: .positional, hasDefault: false)],
                                                   minLines: 1, maxLines: 1)
        for good in ["h(1)", "h('a')", "h({1: (2, [3])})", "h(None)", "h(b'\\x00')"] { #expect(matches(any, good), "\(good)") }
        #expect(!matches(any, "h()") && !matches(any, "h(1, 2)") && !matches(any, "h(y=1)"))
        // Required arguments are written positionally (a subset of the calls Python accepts, never a call it refuses).
        #expect(!matches(any, "h(x=None)"))
        #expect(throws: ConstraintError.self) {
            try BuiltInConstraints.callLines(function: "h", parameters: [P(name: "not ok", kind: .positional, hasDefault: false)],
                                             minLines: 1, maxLines: 1)
        }
    }
}
