import Pipeline
import Testing

/// Parsers are tested on what SmolLM2-135M-Instruct really wrote (greedy outputs recorded in
/// Tests/Fixtures/smollm2/greedy.json and FACTS.md), plus the usual small-model habits.
@Suite struct ResponseParsersTests {
    @Test func fencedBlockFollowedByProseThatWasCutOff() {
        let text = "```python\ndef reverse_string(input_str):\n    return input_str[::-1]\n```\n\nThis function uses slicing to reverse the input string. The `[::-1]` syntax in Python is a slice that returns"
        #expect(ResponseParsers.code(in: text, entry: "reverse_string") == "def reverse_string(input_str):\n    return input_str[::-1]\n")
    }

    @Test func twoSpaceIndentedRewriteKeepsItsIndentation() {
        let text = "```python\ndef f(l,n):\n  return [i*2 for i in range(1,l+1) if i%n == 0]\n```\n\nThis function uses a list comprehension to create a"
        #expect(ResponseParsers.code(in: text, entry: "f") == "def f(l,n):\n  return [i*2 for i in range(1,l+1) if i%n == 0]\n")
    }

    @Test func bareCodeWithoutFenceStartsAtTheEntryPoint() {
        let text = "Here is the cleaned function:\ndef add(a, b):\n    return a + b\n"
        #expect(ResponseParsers.code(in: text, entry: "add") == "def add(a, b):\n    return a + b\n")
    }

    @Test func indentedFenceIsDedented() {
        let text = "Sure!\n    ```python\n    def g(x):\n        return x\n    ```"
        #expect(ResponseParsers.code(in: text, entry: "g") == "def g(x):\n    return x\n")
    }

    @Test func noCodeIsARejectionNotACrash() {
        let text = "The capital of France is Paris.<|im_end|>"
        #expect(ResponseParsers.rewrite(text, entry: "f") == .rejected(reason: .noCodeBlock, detail: "the answer holds no code block and no `def f`"))
    }

    @Test func instructionAfterLabelOrAsFirstProseLine() {
        #expect(ResponseParsers.instruction(in: "Instruction: Write a function `f(x)` that doubles x.\n\n```python\ndef f(x): return 2*x\n```")
                == "Write a function `f(x)` that doubles x.")
        #expect(ResponseParsers.instruction(in: "**Instruction:** Write a Python function that sorts a list.\n```python\n```")
                == "Write a Python function that sorts a list.")
        #expect(ResponseParsers.instruction(in: "Instruction:\nReturn the largest element of a list.\n") == "Return the largest element of a list.")
        #expect(ResponseParsers.instruction(in: "Write a function that counts vowels in a string.\n```python\ndef cnt(s): pass\n```")
                == "Write a function that counts vowels in a string.")
        #expect(ResponseParsers.instruction(in: "```python\ndef f(): pass\n```") == nil)
    }

    @Test func testInputsFromCallsAssertsTuplesAndBullets() throws {
        // FACTS.md: zero-shot SmolLM2 wrote asserts; few-shot it wrote calls; models also number lines.
        let text = """
        ```python
        def f(l, n):
            return l
        ```
        assert f([1, 2, 3], 2) == [[1, 2], [3]]
        f([], 1)
        1. f([4, 5], n=1)
        - ([1], 3)
        f(x, 2)
        f([1, 2, 3], 2)
        print("done")
        """
        let inputs = try ResponseParsers.testInputs(in: text, entry: "f")
        #expect(inputs.map(\.display) == ["[1, 2, 3], 2", "[], 1", "[4, 5], n=1", "[1], 3"])
        #expect(inputs[2].literal == "{'args': ([4, 5], ), 'kwargs': {'n': 1}}")
        #expect(inputs[1].literal == "{'args': ([], 1, ), 'kwargs': {}}")
    }

    @Test func proseAroundCallsIsIgnored() throws {
        let text = "Here are some inputs:\n```\nadd(1, 2)\nadd(3, 4)\n```\nadd(5, 6) is also good\nadd(1, 2)"
        #expect(try ResponseParsers.testInputs(in: text, entry: "add").map(\.display) == ["1, 2", "3, 4"])
    }

    @Test func literalsOfEveryKindSurviveAndNamesDoNot() throws {
        let text = "g(b'\\x00', {1: (2, 3)}, {4, 5}, None, True, -1.5, 'a\\nb')\ng(float('nan'))\ng(__import__('os'))\ng(*[1, 2])"
        #expect(try ResponseParsers.testInputs(in: text, entry: "g").map(\.display) == ["b'\\x00', {1: (2, 3)}, {4, 5}, None, True, -1.5, 'a\\nb'"])
    }
}
