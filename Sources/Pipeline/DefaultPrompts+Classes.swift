// Built-in prompts for a whole class as the sample: the model is shown the class and asked for all of it, and tests
// build one object and call its public methods in order. One worked example, as for functions and methods.

extension DefaultPrompts {
    static let classRewrite = Recipe.PromptSpec(
        system: rewrite.system,
        examples: [
            .init(user: classRewriteRequest(entry: "class Counter", code: counter),
                  assistant: counterAnswer("Write a class `Counter` whose constructor takes a starting value `start` (default 0); `add(amount)` adds `amount` to the count, remembers it and returns the new count, and `undo()` takes back the last amount added and returns it, or returns None when nothing is left to undo.")),
        ],
        user: classRewriteRequest(entry: "{entry}", code: "{code}"))

    static let classInstruction = Recipe.PromptSpec(
        system: instruction.system,
        examples: [
            .init(user: classRewriteRequest(entry: "class Counter", code: counter, basis: fromRuns, runs: """
                      Counter(0).add(5) returns 5, and the object becomes Counter(count=5, added=[5])
                      obj = Counter(10); obj.add(2); obj.undo() returns 12, then 2, and the object becomes Counter(count=10, added=[])
                      Counter(3).undo() returns None
                      """),
                  assistant: counterAnswer("Write a class `Counter` whose constructor takes a starting value `start` (default 0) as `count`; `add(amount)` adds `amount` to `count`, appends it to the list `added` and returns the new count, and `undo()` removes the last amount added, subtracts it and returns it, or returns None when `added` is empty.")),
        ],
        user: classRewriteRequest(entry: "{entry}", code: "{code}", basis: "{basis}", runs: "{evidence}"))

    /// The class from its instruction alone: its `class` line and the `def` lines of its public methods are given.
    static let classBackTranslate = Recipe.PromptSpec(
        system: backTranslate.system,
        examples: [
            .init(
                user: """
                Write the Python class this instruction asks for. Answer with the code only.

                Instruction: Write a class `Counter` whose constructor takes a starting value `start` (default 0) as `count`; `add(amount)` adds `amount` to `count`, appends it to the list `added` and returns the new count, and `undo()` removes the last amount added, subtracts it and returns it, or returns None when `added` is empty.

                ```python
                class Counter:
                    def __init__(self, start=0):
                        ...
                    def add(self, amount):
                        ...
                    def undo(self):
                        ...
                ```
                """,
                assistant: "```python\n\(counterClean)```\n"),
        ],
        user: """
        Write the Python class this instruction asks for. Answer with the code only.

        Instruction: {instruction}

        ```python
        {signature}
        ```
        """)

    static let classTestInputs = Recipe.PromptSpec(
        system: testInputs.system,
        examples: [
            .init(user: classTestRequest(count: 6, code: counter, entry: "class Counter"),
                  assistant: ["Counter(0).add(5)", "obj = Counter(10); obj.add(2); obj.undo()", "Counter(3).undo()",
                              "obj = Counter(-4); obj.add(4); obj.add(1.5)", "obj = Counter(); obj.undo(); obj.add(7)",
                              "obj = Counter(100); obj.add(-25); obj.undo(); obj.undo()"].joined(separator: "\n")),
        ],
        user: classTestRequest(count: nil, code: "{code}", entry: "{entry}"))

    static func classRewriteRequest(entry: String, code: String, basis: String? = nil, runs: String? = nil) -> String {
        var text = "Rewrite this Python class so that it is clean and readable. Keep `\(entry)`, its constructor and the names "
            + "and parameters of its public methods exactly, and keep what each method returns and leaves in the object. "
            + "Then give one instruction that asks a programmer to write the class."
        if let basis { text += " " + basis }
        text += "\n\n```python\n\(code)\n```"
        if let runs { text += "\n\nWhat it did when it was run:\n\(runs)" }
        return text
    }

    static func classTestRequest(count: Int?, code: String, entry: String) -> String {
        """
        Write \(count.map(String.init) ?? "{count}") different tests of `\(entry)`, one per line: build an object with literal values, then call one of its methods (`Name(...).method(...)`) or several in turn (`obj = Name(...); obj.first(...); obj.second(...)`), with literal values.

        ```python
        \(code)
        ```
        """
    }

    /// The worked example's untidy class, and the answer the prompts show for it.
    static let counter = """
        class Counter:
            def __init__(self, start=0):
                self.count = start
                self.added = []

            def add(self,amount):
                self.count=self.count+amount
                self.added.append(amount)
                return self.count

            def undo(self):
                if len(self.added)==0: return None
                amount=self.added.pop()
                self.count=self.count-amount
                return amount
        """

    static let counterClean = """
        class Counter:
            def __init__(self, start=0):
                self.count = start
                self.added = []

            def add(self, amount):
                self.count += amount
                self.added.append(amount)
                return self.count

            def undo(self):
                if not self.added:
                    return None
                amount = self.added.pop()
                self.count -= amount
                return amount

        """

    static func counterAnswer(_ instruction: String) -> String {
        "Instruction: \(instruction)\n\n```python\n\(counterClean)```\n"
    }
}
