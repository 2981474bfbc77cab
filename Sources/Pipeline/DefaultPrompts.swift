// Built-in few-shot prompts. Small models copy the form of a worked example far better than they follow
// instructions (see FACTS.md), so each prompt shows one complete exchange first. Recipes may override any part.

enum DefaultPrompts {
    static let rewrite = Recipe.PromptSpec(
        system: "You are a careful Python programmer who writes clean, correct code.",
        examples: [
            .init(user: rewriteRequest(entry: "keep_big", code: keepBig),
                  assistant: keepBigAnswer("Write a Python function `keep_big(a, b)` that returns the items of the list `a` that are greater than `b`, in their original order.")),
        ],
        user: rewriteRequest(entry: "{entry}", code: "{code}"))

    /// The instruction, written once the rewrite is verified, in the form the rewrite prompt asks for (a clean version
    /// and an instruction; only the instruction is kept) with the original's runs under its code. Measured on
    /// HumanEval with SmolLM2 (share of wrong instructions, about 35 judged each): this form inside the rewrite call
    /// 38 %, in this stage 59 %, a one-sentence answer 49 %, without runs 54 %: within noise. A pool of six worked
    /// examples of other kinds gave 66 %, as the model copied their phrasing ("digits", "Fibonacci", "the first n").
    static let instruction = Recipe.PromptSpec(
        system: "You are a careful Python programmer who writes clean, correct code.",
        examples: [
            .init(user: rewriteRequest(entry: "keep_big", code: keepBig, basis: fromRuns, runs: """
                      keep_big([5, 1, 7], 4) returns [5, 7]
                      keep_big([], 0) returns []
                      keep_big([2, 2], 2) returns []
                      keep_big([1, 'a'], 0) raises TypeError
                      """),
                  assistant: keepBigAnswer("Write a Python function `keep_big(a, b)` that returns a new list of the items of the list `a` that are greater than `b`, in their original order.")),
        ],
        user: rewriteRequest(entry: "{entry}", code: "{code}", basis: "{basis}", runs: "{evidence}"))

    /// The rewrite request: keep the name and parameters, give an instruction; optionally grounded (`basis`) and with
    /// the original's runs under its code.
    static func rewriteRequest(entry: String, code: String, basis: String? = nil, runs: String? = nil) -> String {
        var text = "Rewrite this Python function so that it is clean and readable. Keep the function name `\(entry)` "
            + "and its parameters exactly. Then give one instruction that asks a programmer to write it."
        if let basis { text += " " + basis }
        text += "\n\n```python\n\(code)\n```"
        if let runs { text += "\n\nWhat it did when it was run:\n\(runs)" }
        return text
    }

    /// The worked example's untidy original, and the answer the prompts show for it.
    static let keepBig = """
        def keep_big(a,b):
          r=[]
          for x in a:
            if x>b: r.append(x)
          return r
        """

    static func keepBigAnswer(_ instruction: String) -> String {
        """
        Instruction: \(instruction)

        ```python
        def keep_big(a, b):
            \"\"\"Return the items of a that are greater than b.\"\"\"
            return [item for item in a if item > b]
        ```
        """
    }

    /// How the instruction is grounded: the original's own docstring when it has one, else its runs.
    static let fromDocstring = "Say what its docstring says it does, in your own words, and keep to what the runs below show."
    static let fromRuns = "Say exactly what it returns for which inputs, as the runs below show."

    /// The function from its instruction alone: the signature is given so the answer can be run on the test set.
    static let backTranslate = Recipe.PromptSpec(
        system: "You are a careful Python programmer who writes clean, correct code.",
        examples: [
            .init(
                user: """
                Write the Python function this instruction asks for. Answer with the code only.

                Instruction: Write a Python function `keep_big(a, b)` that returns a new list of the items of the list `a` that are greater than `b`, in their original order.

                ```python
                def keep_big(a, b):
                ```
                """,
                assistant: """
                ```python
                def keep_big(a, b):
                    return [item for item in a if item > b]
                ```
                """),
        ],
        user: """
        Write the Python function this instruction asks for. Answer with the code only.

        Instruction: {instruction}

        ```python
        {signature}
        ```
        """)

    /// A pool of worked examples over different kinds of arguments; each request shows two, chosen per sample,
    /// and calls that copy an example's arguments are discarded.
    static let testInputs = Recipe.PromptSpec(
        system: "You are a careful Python tester.",
        examples: [
            example("""
                def add(x, y):
                    return x + y
                """, calls: ["add(1, 2)", "add(-5, 5)", "add(0, 0)", "add(100, 250)", "add(3.5, -7)", "add(12, 30)"]),
            example("""
                def count_words(text, min_length=1):
                    return len([w for w in text.split() if len(w) >= min_length])
                """, calls: ["count_words(\"hello world\")", "count_words(\"\")", "count_words(\"a bb ccc\", 2)",
                             "count_words(\"one two three four\", min_length=4)", "count_words(\"   spaces   everywhere  \")",
                             "count_words(\"x\", 0)"]),
            example("""
                def merge_counts(first, second):
                    merged = dict(first)
                    for key, value in second.items():
                        merged[key] = merged.get(key, 0) + value
                    return merged
                """, calls: ["merge_counts({'apples': 2}, {'apples': 3, 'pears': 1})", "merge_counts({}, {})",
                             "merge_counts({'k': -1}, {})", "merge_counts({}, {'zebra': 7, 'yak': 0})",
                             "merge_counts({'a': 1, 'b': 2}, {'b': -2, 'c': 5})", "merge_counts({'x': 10}, {'x': 10})"]),
            example("""
                def chunk(items, size):
                    return [items[i:i + size] for i in range(0, len(items), size)]
                """, calls: ["chunk([10, 20, 30, 40, 50], 2)", "chunk([], 3)", "chunk([7], 1)", "chunk([4, 8, 15, 16, 23, 42], 4)",
                             "chunk(['red', 'green', 'blue'], 2)", "chunk([0, 0, 0], 5)"]),
            example("""
                def clamp(value, low=0.0, high=1.0):
                    return max(low, min(high, value))
                """, calls: ["clamp(0.25)", "clamp(-3.5)", "clamp(17, high=10)", "clamp(5, 6, 9)", "clamp(0.999, low=0.5)",
                             "clamp(-1e-9)"]),
            example("""
                def initials(name, sep="."):
                    return sep.join(part[0].upper() for part in name.split()) + sep
                """, calls: ["initials(\"ada lovelace\")", "initials(\"Grace Brewster Hopper\", \"\")",
                             "initials(\"alan\", sep=\"-\")", "initials(\"  edsger   dijkstra \")", "initials(\"q\")",
                             "initials(\"barbara liskov\", \" \")"]),
        ],
        examplesShown: 2,
        user: """
        Write {count} different calls that test this function, one per line, using only literal values.

        ```python
        {code}
        ```
        """)

    static func example(_ code: String, calls: [String]) -> Recipe.PromptSpec.Example {
        .init(user: """
            Write \(calls.count) different calls that test this function, one per line, using only literal values.

            ```python
            \(code)
            ```
            """, assistant: calls.joined(separator: "\n"))
    }
}
