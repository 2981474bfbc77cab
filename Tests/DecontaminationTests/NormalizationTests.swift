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

    @Test func theFunctionSpanEndsWhereTheIndentationDoes() {
        let source = "x = 1\n\nclass A:\n    def m(self, a,\n  b):\n        if a:\n\n            return b\n        return a\n    def n(self):\n        pass\n"
        let text = NormalizedText(source, as: .code)
        let offset = source.utf8.count - source.drop { $0 != "d" }.utf8.count
        #expect(text.functionText(definedAt: offset) == "    def m(self, a,\n  b):\n        if a:\n\n            return b\n        return a")
    }
}
