// Built-in prompts for methods: the model is shown the class (its other methods cut to their signatures), asked for
// the one method, and tests build an object before they call it. One worked example, as for functions.

extension DefaultPrompts {
    static let methodRewrite = Recipe.PromptSpec(
        system: rewrite.system,
        examples: [
            .init(user: methodRewriteRequest(entry: "Tally.add", code: tally),
                  assistant: tallyAnswer("Write a method `add(self, amount, times=1)` of the class `Tally` that adds `amount` to `self.total` `times` times, appends `amount` to `self.history` each time, and returns the new total.")),
        ],
        user: methodRewriteRequest(entry: "{entry}", code: "{code}"))

    static let methodInstruction = Recipe.PromptSpec(
        system: instruction.system,
        examples: [
            .init(user: methodRewriteRequest(entry: "Tally.add", code: tally, basis: fromRuns, runs: """
                      Tally(0).add(5) returns 5, and the object becomes Tally(history=[5], total=5)
                      Tally(10).add(2, times=3) returns 16, and the object becomes Tally(history=[2, 2, 2], total=16)
                      Tally(3).add(4, times=0) returns 3
                      """),
                  assistant: tallyAnswer("Write a method `add(self, amount, times=1)` of the class `Tally` that adds `amount` to `self.total` `times` times, appends `amount` to the list `self.history` each time, and returns the new total.")),
        ],
        user: methodRewriteRequest(entry: "{entry}", code: "{code}", basis: "{basis}", runs: "{evidence}"))

    /// The method from its instruction alone, in its class: the class (other methods cut) and the `def` line are given.
    static let methodBackTranslate = Recipe.PromptSpec(
        system: backTranslate.system,
        examples: [
            .init(
                user: """
                Write the method this instruction asks for. Answer with the method's code only.

                Instruction: Write a method `add(self, amount, times=1)` of the class `Tally` that adds `amount` to `self.total` `times` times, appends `amount` to the list `self.history` each time, and returns the new total.

                ```python
                class Tally:
                    def __init__(self, start=0):
                        self.total = start
                        self.history = []

                    def add(self, amount, times=1):
                ```
                """,
                assistant: """
                ```python
                def add(self, amount, times=1):
                    for _ in range(times):
                        self.total += amount
                        self.history.append(amount)
                    return self.total
                ```
                """),
        ],
        user: """
        Write the method this instruction asks for. Answer with the method's code only.

        Instruction: {instruction}

        ```python
        {context}
        {signature}
        ```
        """)

    static let methodTestInputs = Recipe.PromptSpec(
        system: testInputs.system,
        examples: [
            .init(user: methodTestRequest(count: 6, code: tally, entry: "Tally.add"),
                  assistant: ["Tally(0).add(5)", "Tally(10).add(2, times=3)", "Tally(-4).add(4)", "Tally(7).add(0, 2)",
                              "Tally(3).add(-1.5, times=4)", "Tally(100).add(25, times=0)"].joined(separator: "\n")),
        ],
        user: methodTestRequest(count: nil, code: "{code}", entry: "{entry}"))

    static func methodRewriteRequest(entry: String, code: String, basis: String? = nil, runs: String? = nil) -> String {
        var text = "Rewrite the method `\(entry)` of this Python class so that it is clean and readable. Keep its name and "
            + "parameters exactly and use the object's attributes as the class does; answer with the method only. "
            + "Then give one instruction that asks a programmer to write it."
        if let basis { text += " " + basis }
        text += "\n\n```python\n\(code)\n```"
        if let runs { text += "\n\nWhat it did when it was run:\n\(runs)" }
        return text
    }

    static func methodTestRequest(count: Int?, code: String, entry: String) -> String {
        """
        Write \(count.map(String.init) ?? "{count}") different calls that test the method `\(entry)`, one per line: build an object with literal values, then call the method with literal values.

        ```python
        \(code)
        ```
        """
    }

    /// The worked example's untidy class, and the answer the prompts show for it.
    static let tally = """
        class Tally:
            def __init__(self, start=0):
                self.total = start
                self.history = []

            def add(self,amount,times=1):
              for i in range(0,times):
                self.total=self.total+amount
                self.history.append(amount)
              return self.total

            def reset(self):
                ...
        """

    static func tallyAnswer(_ instruction: String) -> String {
        """
        Instruction: \(instruction)

        ```python
        def add(self, amount, times=1):
            \"\"\"Add amount to the total times times and return the total.\"\"\"
            for _ in range(times):
                self.total += amount
                self.history.append(amount)
            return self.total
        ```
        """
    }
}
