import Testing
import Decontamination

/// Normalization: what must read the same (layout, comments, quote style, string prefixes) and what must not.
@Suite struct NormalizationTests {
    func code(_ text: String) -> [UInt64] { NormalizedText(text, as: .code).codeHashes }
    func words(_ text: String, _ kind: TextKind = .code) -> [UInt64] { NormalizedText(text, as: kind).words }

    @Test func layoutCommentsAndQuotesDoNotCount() {
        let plain = code("def f(xs):\n    return [x * 2 for x in xs if x != 'a']\n")
        #expect(code("def f( xs ) :\n\treturn [ x*2  for x in xs\n  if x!=\"a\" ]  # doubled\n") == plain)
        #expect(code("# a helper\ndef f(xs):  # one line\n    return [x * 2 for x in xs if x != r'a']") == plain)
        // The defined name reads as a placeholder, wherever it appears.
        #expect(code("def g(xs):\n    return [x * 2 for x in xs if x != 'a']\n") == plain)
        #expect(code("def f(xs):\n    return [x * 3 for x in xs if x != 'a']\n") != plain)
        #expect(code("def f(xs):\n    return [x * 2 for x in xs if x == 'a']\n") != plain)
    }

    @Test func aHashInsideAStringIsNotAComment() {
        #expect(code("s = '#'; t = 1") != code("s = '"))
        #expect(words("x = \"a # b\" + c") == words("x = 'a # b' + c"))
        #expect(words("x = \"a # b\" + c").count == 4)
        #expect(words("\"\"\"doc # with hash\n\"\"\"\nx = 1").count == 5)
    }

    @Test func wordsAreCaseInsensitiveAndProseDropsNothingButSpaceAndQuotes() {
        #expect(words("Return the SUM of `xs`.", .text) == words("return the sum of 'xs'", .text))
        #expect(words("it's # not a comment", .text).count == 5)
    }

    @Test func markdownFencedBlocksAreCode() {
        let markdown = "Sum a list.\n\n```python\ndef total(xs):  # add up\n    return sum(xs)\n```\nDone."
        let tokens = NormalizedText(markdown, as: .markdown).tokens
        let text = NormalizedText(markdown, as: .markdown)
        let spelled = tokens.filter { $0.kind == .word }.map { text.span(from: $0, to: $0) }
        #expect(spelled == ["Sum", "a", "list", "def", "total", "xs", "return", "sum", "xs", "Done"])
        #expect(tokens.first { text.span(from: $0, to: $0) == "def" }?.inString == false)
    }

    @Test func unicodeSpacesSeparateWordsAsSpacesDo() {
        let plain = words("any two numbers closer", .text)
        #expect(words("any\u{00A0}two\u{2009}numbers\u{3000}closer", .text) == plain)
        #expect(words("any \u{200B}two \u{FEFF}numbers closer", .text) == plain)
        #expect(code("x =\u{00A0}f(a,\u{202F}b)") == code("x = f(a, b)"))
        // Other characters stay inside their word.
        #expect(words("naïve café", .text).count == 2)
    }

    @Test func linesFencesAndEscapesEndWhereTheyShould() {
        // A comment ends at a lone carriage return too.
        #expect(code("x = 1  # one\ry = 2") == code("x = 1\ny = 2"))
        // A four-backtick fence is not closed by three.
        let markdown = "````python\nprint('```')\n```\nx = 1  # inside\n````\nafter"
        let text = NormalizedText(markdown, as: .markdown)
        #expect(text.tokens.filter { $0.kind == .word && !$0.inString }.count == 3)  // print, x, 1: all code
        // An escape before a multi-byte character skips the whole character.
        let escaped = NormalizedText("s = '\\é tail'", as: .code)
        #expect(escaped.tokens.filter { $0.kind == .word }.map { escaped.span(from: $0, to: $0) } == ["s", "tail"])
    }

    @Test func theFunctionSpanEndsWhereTheIndentationDoes() {
        let source = "x = 1\n\nclass A:\n    def m(self, a,\n  b):\n        if a:\n\n            return b\n        return a\n    def n(self):\n        pass\n"
        let text = NormalizedText(source, as: .code)
        let offset = source.utf8.count - source.drop { $0 != "d" }.utf8.count
        #expect(text.functionText(definedAt: offset) == "    def m(self, a,\n  b):\n        if a:\n\n            return b\n        return a")
        // Brackets in a default string or a comment do not hold the signature open.
        let tricky = "def f(a=\"(\", b='[',  # see (1\n      c=1):\n    return a\n\ndef g():\n    pass\n"
        #expect(NormalizedText(tricky, as: .code).functionText(definedAt: 0) == "def f(a=\"(\", b='[',  # see (1\n      c=1):\n    return a")
        // A signature that never closes is one line.
        let open = String(repeating: "def add(x,\n", count: 2000)
        #expect(NormalizedText(open, as: .code).functionText(definedAt: 0) == "def add(x,")
    }
}
