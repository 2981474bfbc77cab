// Built-in few-shot prompts. Small models copy the form of a worked example far better than they follow
// instructions (see FACTS.md), so each prompt shows one complete exchange first. Recipes may override any part.

enum DefaultPrompts {
    static let rewrite = Recipe.PromptSpec(
        system: "You are a careful Python programmer who writes clean, correct code.",
        examples: [
            .init(
                user: """
                Rewrite this Python function so that it is clean and readable. Keep the function name `keep_big` \
                and its parameters exactly. Then give one instruction that asks a programmer to write it.

                ```python
                def keep_big(a,b):
                  r=[]
                  for x in a:
                    if x>b: r.append(x)
                  return r
                ```
                """,
                assistant: """
                Instruction: Write a Python function `keep_big(a, b)` that returns the items of the list `a` that are greater than `b`, in their original order.

                ```python
                def keep_big(a, b):
                    \"\"\"Return the items of a that are greater than b.\"\"\"
                    return [item for item in a if item > b]
                ```
                """),
        ],
        user: """
        Rewrite this Python function so that it is clean and readable. Keep the function name `{entry}` \
        and its parameters exactly. Then give one instruction that asks a programmer to write it.

        ```python
        {code}
        ```
        """)

    static let testInputs = Recipe.PromptSpec(
        system: "You are a careful Python tester.",
        examples: [
            .init(
                user: """
                Write 6 different calls that test this function, one per line, using only literal values.

                ```python
                def add(x, y):
                    return x + y
                ```
                """,
                assistant: """
                add(1, 2)
                add(-5, 5)
                add(0, 0)
                add(100, 250)
                add(3.5, -7)
                add(12, 30)
                """),
            .init(
                user: """
                Write 6 different calls that test this function, one per line, using only literal values.

                ```python
                def count_words(text, min_length=1):
                    return len([w for w in text.split() if len(w) >= min_length])
                ```
                """,
                assistant: """
                count_words("hello world")
                count_words("")
                count_words("a bb ccc", 2)
                count_words("one two three four", min_length=4)
                count_words("   spaces   everywhere  ")
                count_words("x", 0)
                """),
        ],
        user: """
        Write {count} different calls that test this function, one per line, using only literal values.

        ```python
        {code}
        ```
        """)
}
