// Instructions that say what the code does: written from the original's runs (and docstring), checked claim by
// claim, carrying verified examples, and scored by back-translation. The wrong instructions are ones SmolLM2 wrote
// for HumanEval and the standard library (issue 24). Scripted generator, real sandbox.
import Foundation
import Pipeline
import Store
import Testing

@Suite(.serialized) struct InstructionTests {
    static func rewrite(_ store: RunDatabase, _ entry: String) throws -> RewriteRecord {
        let sample = try #require(try store.samples().first { $0.entryPoint == entry })
        return try #require(try store.rewrite(of: sample.id))
    }

    static func outcome(_ store: RunDatabase, _ entry: String, stage: String) throws -> OutcomeRecord {
        let sample = try #require(try store.samples().first { $0.entryPoint == entry })
        return try #require(try store.outcome(of: sample.id, stage: stage))
    }

    static let code = """
        def iscntrl(c):
            return ord(c) < 32 or ord(c) == 127


        def concatenate(strings):
            return ''.join(strings)


        def keep(xs, n):
            return [x for x in xs if x > n]


        def separate_groups(paren_string):
            groups, depth, current = [], 0, ''
            for c in paren_string:
                current += c
                depth += 1 if c == '(' else -1
                if depth == 0:
                    groups.append(current)
                    current = ''
            return groups


        def monotonic(l):
            return l == sorted(l) or l == sorted(l, reverse=True)


        def add_up(xs):
            return sum(xs)
        """

    @Test func claimsThatContradictTheCodeAreRejectedWithTheirEvidence() async throws {
        let build = try await TestSetTests.build(["c.py": Self.code], inputs: [
            "iscntrl": ["iscntrl('a')", "iscntrl('\\n')", "iscntrl('\\x7f')", "iscntrl(' ')"],
            "concatenate": ["concatenate(['a', 'b'])", "concatenate([])", "concatenate(['xyz'])"],
            "keep": ["keep([1, 5, 7], 4)", "keep([], 0)", "keep([2, 2], 2)"],
            "separate_groups": ["separate_groups('()(())')", "separate_groups('')", "separate_groups('((()))()')"],
            "monotonic": ["monotonic([1, 2, 4])", "monotonic([3, 1, 2])", "monotonic([1])"],
            "add_up": ["add_up([1, 2])", "add_up([])", "add_up([5, -5, 10])"],
        ], instructions: [
            // Names another function (the stdlib's `is_cntrl` for `iscntrl`) and never the entry point.
            "iscntrl": ["Write a Python function `is_cntrl(c)` that returns True if `c` is a control character."],
            // HumanEval/28: "returns a list" for one joined string.
            "concatenate": ["Write `concatenate(strings)` that returns a list of the strings joined together."],
            // A parameter the function does not have.
            "keep": ["Write `keep(items, limit)` that returns the items of `items` above `limit`."],
            // The worked example copied: the string parameter called a list.
            "separate_groups": ["Write a Python function `separate_groups(paren_string)` that returns a new list of the items of the list `paren_string` that are greater than `b`, in their original order."],
            // HumanEval/57: says a descending list gives False; the original returns True.
            "monotonic": ["Write `monotonic(l)` that returns True if the list only goes up; `monotonic([3, 2, 1])` returns False."],
            // Faithful: every claim holds.
            "add_up": ["Write a Python function `add_up(xs)` that returns the sum of the numbers in the list `xs`; `add_up([1, 2])` returns 3."],
        ]) { $0.tests.minDistinctOutputs = 1 }
        defer { try? FileManager.default.removeItem(at: build.folder) }
        let decided = try decisions(build.store, stage: "instruct")
        for entry in ["iscntrl", "concatenate", "keep", "separate_groups", "monotonic"] {
            #expect(decided["c.py:\(entry)"] == "instruction-contradicts-code", "\(entry): \(decided["c.py:\(entry)"] ?? "-")")
        }
        #expect(decided["c.py:add_up"] == "kept")

        var details: [String: String] = [:]
        for entry in ["iscntrl", "concatenate", "keep", "separate_groups", "monotonic"] {
            details[entry] = try Self.outcome(build.store, entry, stage: "instruct").detail ?? ""
        }
        func detail(_ entry: String) -> String { details[entry] ?? "" }
        #expect(detail("iscntrl").contains("never names the function `iscntrl`"))
        #expect(detail("iscntrl").contains("`is_cntrl(...)`, which the code neither defines nor calls"))
        #expect(detail("concatenate").contains("says \"returns a list\", but concatenate(['a', 'b']) returns 'ab'"), "\(detail("concatenate"))")
        #expect(detail("keep").contains("names `items`, `limit`, but `keep` takes (xs, n)"), "\(detail("keep"))")
        #expect(detail("separate_groups").contains("the calls that work pass `paren_string` a string"), "\(detail("separate_groups"))")
        #expect(detail("separate_groups").contains("copies the prompt's worked example"))
        #expect(detail("monotonic").contains("says `monotonic([3, 2, 1])` returns False, but the original returns True"), "\(detail("monotonic"))")
        // The evidence holds every check, failed first.
        let evidence = try #require(try Self.outcome(build.store, "monotonic", stage: "instruct").evidence)
        let checks = try #require(try JSONSerialization.jsonObject(with: Data(evidence.utf8)) as? [[String: Any]])
        #expect(checks.first?["check"] as? String == "example" && checks.first?["passed"] as? Bool == false)

        // The faithful one keeps its checks, and carries verified examples the model never wrote.
        let kept = try Self.rewrite(build.store, "add_up")
        #expect(kept.instructionSource == "model")
        #expect(kept.instruction.hasPrefix("Write a Python function `add_up(xs)` that returns the sum"))
        #expect(kept.instruction.contains("\n\nExamples:\n- `add_up("))
        let claims = try #require(kept.claims)
        #expect(claims.contains("\"check\":\"example\"") && claims.contains("\"check\":\"parameter-kind\"") && !claims.contains("\"passed\":false"))
    }

    @Test func aMisdescribingAnswerIsAskedForAgain() async throws {
        let build = try await TestSetTests.build(["m.py": "def monotonic(l):\n    return l == sorted(l) or l == sorted(l, reverse=True)\n"],
            inputs: ["monotonic": ["monotonic([1, 2, 4])", "monotonic([3, 1, 2])", "monotonic([1])", "monotonic([9, 4, 4])"]],
            instructions: ["monotonic": [
                "Write `monotonic(l)` that returns True if the list only goes up; `monotonic([3, 2, 1])` returns False.",
                "Write `monotonic(l)` that returns True if the list never goes down or never goes up; `monotonic([3, 2, 1])` returns True.",
            ]])
        defer { try? FileManager.default.removeItem(at: build.folder) }
        #expect(try decisions(build.store, stage: "instruct")["m.py:monotonic"] == "kept")
        #expect(try Self.rewrite(build.store, "monotonic").instruction.contains("never goes down or never goes up"))
        let sample = try #require(try build.store.samples().first)
        // One rewrite, then two instructions: the code is not written again for a wrong instruction.
        let calls = try build.store.modelCalls(of: sample.id)
        #expect(calls.filter { $0.stage == "rewrite" }.count == 1 && calls.filter { $0.stage == "instruct" }.count == 2)
    }

    @Test func theModelSeesTheRunsAndTheDocstringAndExamplesAreVerifiedCases() async throws {
        let code = """
            def clamp(value, low, high):
                \"\"\"Limit value to the range [low, high].\"\"\"
                if low > high:
                    raise ValueError('empty range')
                return max(low, min(high, value))


            def double(n):
                return n * 2
            """
        let build = try await TestSetTests.build(["d.py": code], inputs: [
            "clamp": ["clamp(5, 0, 10)", "clamp(-3, 0, 10)", "clamp(12, 0, 10)", "clamp(1, 5, 2)"],
            "double": ["double(3)", "double(0)", "double(-4)"],
        ]) { $0.instruction.examples = 3; $0.instruction.exampleStyle = "doctest" }
        defer { try? FileManager.default.removeItem(at: build.folder) }
        let prompts = build.script.requests.compactMap { $0.messages.last?.content }.filter { $0.hasPrefix("Rewrite") && $0.contains("What it did when it was run:") }
        let clampPrompt = try #require(prompts.first { $0.contains("def clamp") })
        #expect(clampPrompt.contains("Say what its docstring says it does"))
        #expect(clampPrompt.contains("What it did when it was run:\nclamp(5, 0, 10) returns 5"), "\(clampPrompt)")
        #expect(clampPrompt.contains("clamp(1, 5, 2) raises ValueError"))
        let doublePrompt = try #require(prompts.first { $0.contains("def double") })
        #expect(doublePrompt.contains("Say exactly what it returns for which inputs") && doublePrompt.contains("double(3) returns 6"))
        // The rewrite is still asked for from the code alone.
        let rewritePrompts = build.script.requests.compactMap { $0.messages.last?.content }.filter { $0.hasPrefix("Rewrite") }
        #expect(rewritePrompts.contains { !$0.contains("What it did when it was run") })

        let clamp = try Self.rewrite(build.store, "clamp")
        #expect(clamp.instructionSource == "docstring")
        #expect(try Self.rewrite(build.store, "double").instructionSource == "model")
        // Doctest-style examples, each a case that verify passed, at most half the cases.
        let sample = try #require(try build.store.samples().first { $0.entryPoint == "clamp" })
        let cases = try build.store.testCases(of: sample.id).filter(\.isActive)
        let examples = try #require(try JSONSerialization.jsonObject(with: Data((clamp.examples ?? "").utf8)) as? [String: Any])
        let shown = try #require(examples["cases"] as? [Int])
        #expect(shown.count == 3 && shown.count <= cases.count / 2)
        for index in shown {
            let testCase = try #require(cases.first { $0.index == index })
            #expect(testCase.passed == true && testCase.expectedStatus == "ok")
            #expect(clamp.instruction.contains(">>> clamp(\(testCase.arguments))\n"))
        }
        let evidence = try #require(try JSONDecoder().decode([String].self, from: Data((clamp.evidence ?? "").utf8)))
        #expect(evidence.count == 4 && evidence.contains("clamp(1, 5, 2) raises ValueError"))
    }

    static let misdescribed = """
        def multiply(a, b):
            return abs(a % 10) * abs(b % 10)


        def is_happy(s):
            if len(s) < 3:
                return False
            return all(s[i] != s[i + 1] and s[i] != s[i + 2] and s[i + 1] != s[i + 2] for i in range(len(s) - 2))


        def filter_integers(values):
            return [x for x in values if isinstance(x, int) and not isinstance(x, bool)]
        """

    @Test func backTranslationScoresTheInstructionAndTheMinimumRejects() async throws {
        let build = try await TestSetTests.build(["h.py": Self.misdescribed], inputs: [
            "multiply": ["multiply(148, 412)", "multiply(19, 28)", "multiply(2020, 1851)", "multiply(14, -15)"],
            "is_happy": ["is_happy('abcd')", "is_happy('aabb')", "is_happy('adb')", "is_happy('xyy')"],
            "filter_integers": ["filter_integers(['a', 3.14, 5])", "filter_integers([1, 2, 3, 'abc', {}, []])", "filter_integers([])"],
        ], instructions: [
            "multiply": ["Write `multiply(a, b)` that returns their product."],
            "is_happy": ["Write `is_happy(s)` that returns True if the input string `s` is a palindrome."],
            "filter_integers": ["Write `filter_integers(values)` that returns the items of `values` that are integers."],
        ], backTranslations: [
            // What a programmer would write from each instruction.
            "multiply": "def multiply(a, b):\n    return a * b\n",
            "is_happy": "def is_happy(s):\n    return s == s[::-1]\n",
            "filter_integers": "def filter_integers(values):\n    return [x for x in values if type(x) is int]\n",
        ]) { $0.instruction.minFaithfulness = 0.75; $0.instruction.examples = 1 }
        defer { try? FileManager.default.removeItem(at: build.folder) }
        let decided = try decisions(build.store, stage: "faithfulness")
        #expect(decided["h.py:multiply"] == "unfaithful-instruction")
        #expect(decided["h.py:is_happy"] == "unfaithful-instruction")
        #expect(decided["h.py:filter_integers"] == "kept")
        let detail = try Self.outcome(build.store, "multiply", stage: "faithfulness").detail ?? ""
        #expect(detail.contains("from the instruction alone the model's code is right on") && detail.contains("minimum 0.75"), "\(detail)")

        for entry in ["multiply", "is_happy", "filter_integers"] {
            let sample = try #require(try build.store.samples().first { $0.entryPoint == entry })
            let record = try #require(try build.store.faithfulness(of: sample.id))
            let verified = try build.store.testCases(of: sample.id).filter { $0.isActive && $0.passed == true }
            // Scored on the cases the instruction does not show: its one example is held out.
            #expect(record.total == verified.count - 1, "\(entry)")
            #expect(!record.code.isEmpty)
            if entry == "filter_integers" { #expect(record.score == 1) } else { #expect(record.score < 0.75, "\(entry): \(record)") }
        }
        // The back-translation prompt shows the instruction and the signature, never the code.
        let prompt = try #require(build.script.requests.compactMap { $0.messages.last?.content }
            .first { $0.hasPrefix("Write the Python function") && $0.contains("multiply") })
        #expect(prompt.contains("Instruction: Write `multiply(a, b)` that returns their product.") && prompt.contains("def multiply(a, b):"))
        #expect(!prompt.contains("% 10"))
        #expect(build.result.exported == 1)
    }

    @Test func theBestScoringOfSeveralCandidateInstructionsIsKept() async throws {
        let build = try await TestSetTests.build(["h.py": "def multiply(a, b):\n    return abs(a) % 10 * (abs(b) % 10)\n"], inputs: [
            "multiply": ["multiply(148, 412)", "multiply(19, 28)", "multiply(2020, 1851)", "multiply(14, -15)"],
        ], instructions: ["multiply": [
            "Write `multiply(a, b)` that returns their product.",
            "Write `multiply(a, b)` that returns the product of the last digits of `a` and `b`, ignoring their signs.",
        ]], backTranslationsByPhrase: [
            ("their product", "def multiply(a, b):\n    return a * b\n"),
            ("last digits", "def multiply(a, b):\n    return (abs(a) % 10) * (abs(b) % 10)\n"),
        ]) { $0.instruction.minFaithfulness = 0.75; $0.instruction.candidates = 2 }
        defer { try? FileManager.default.removeItem(at: build.folder) }
        #expect(try decisions(build.store, stage: "faithfulness")["h.py:multiply"] == "kept")
        let sample = try #require(try build.store.samples().first)
        let record = try #require(try build.store.faithfulness(of: sample.id))
        #expect(record.score == 1 && record.code.contains("abs(a) % 10"))
        let tried = try #require(try JSONSerialization.jsonObject(with: Data((record.candidates ?? "").utf8)) as? [[String: Any]])
        #expect(tried.count == 2 && (tried[0]["score"] as? Double ?? 1) < 0.75 && tried[1]["score"] as? Double == 1)
        let rewrite = try #require(try build.store.rewrite(of: sample.id))
        #expect(rewrite.instruction.hasPrefix("Write `multiply(a, b)` that returns the product of the last digits") && rewrite.instruction.contains("Examples:"))
        #expect(try build.store.modelCalls(of: sample.id).contains { $0.stage == "faithfulness-candidates" })
    }
}
