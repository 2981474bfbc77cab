import Foundation
import Decontamination
import Testing

/// HumanEval itself (from the cache `make setup` fills) planted in a corpus: every solution, verbatim, reformatted,
/// commented and renamed, is found; its prompt text in an instruction is found; natural code that only shares a
/// name or an idiom with it is not.
@Suite struct HumanEvalPlantTests {
    static let problems: [BenchmarkProblem] = {
        let builtIn = BuiltInBenchmark.named("humaneval")!
        return (try? BenchmarkReader.read(builtIn.file, name: "humaneval", fields: builtIn.fields)) ?? []
    }()
    static let index = ContaminationIndex(problems: problems, parameters: DecontaminationParameters())

    static func renamed(_ code: String, _ name: String) -> String {
        code.replacingOccurrences(of: "\\b\(name)\\b", with: "solve_it", options: .regularExpression)
    }

    /// Whitespace changed everywhere: tabs for indentation, spaces around brackets and commas, blank lines doubled.
    static func reformatted(_ code: String) -> String {
        code.replacingOccurrences(of: "    ", with: "\t").replacingOccurrences(of: ",", with: " , ")
            .replacingOccurrences(of: "(", with: "( ").replacingOccurrences(of: "\n", with: "\n\n")
    }

    /// A comment line on top and a comment after every line of the body.
    static func commented(_ problem: BenchmarkProblem) -> String {
        let body = problem.body.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).isEmpty ? String($0) : $0 + "  # see the notes" }.joined(separator: "\n")
        return "# Adapted from an answer online.\n" + problem.prompt + body
    }

    @Test func theBenchmarkIsWhole() {
        #expect(Self.problems.count == 164)
        #expect(Self.problems[0].id == "HumanEval/0" && Self.problems[0].entryPoint == "has_close_elements")
        #expect(Self.problems[0].solution.hasPrefix(Self.problems[0].prompt))
    }

    @Test func everyPlantedSolutionIsFoundHoweverItIsDressed() {
        var missed: [String] = []
        for problem in Self.problems {
            let variants = [
                "verbatim": problem.solution,
                "reformatted": Self.reformatted(problem.solution),
                "commented": Self.commented(problem),
                "renamed": Self.renamed(problem.solution, problem.entryPoint!),
            ]
            for (variant, code) in variants {
                let planted = "import os\n\n\ndef unrelated(path):\n    return os.path.basename(path)\n\n" + code
                let match = Self.index.check(planted, as: .code, field: "code")
                if match?.problem != problem.id { missed.append("\(problem.id) \(variant): \(match?.problem ?? "nothing")") }
            }
        }
        #expect(missed.isEmpty, "\(missed.count) missed: \(missed.prefix(10))")
    }

    @Test func thePromptTextInAnInstructionIsFound() throws {
        var missed: [String] = []
        for problem in Self.problems {
            // The docstring as prose, the way an instruction would carry it, its examples calling another name.
            let parts = problem.prompt.components(separatedBy: "\"\"\"")
            let docstring = parts.count >= 3 ? parts[parts.count - 2] : problem.prompt.components(separatedBy: "'''").dropLast().last ?? ""
            let instruction = "Write a Python function that solves this.\n\n" + docstring.replacingOccurrences(of: problem.entryPoint! + "(", with: "solve(")
            let match = Self.index.check(instruction, as: .markdown, field: "instruction")
            if match?.problem != problem.id { missed.append(problem.id) }
        }
        #expect(missed.isEmpty, "\(missed)")
        let zero = try #require(Self.index.check("Check if in given list of numbers, are any two numbers closer to each other than given threshold.",
                                                 as: .text, field: "instruction"))
        #expect(zero.problem == "HumanEval/0" && zero.method == .ngram && zero.benchmark == "humaneval")
        #expect(zero.span.hasPrefix("Check if in given list"))
        // No-break and zero-width spaces do not hide it.
        let glued = "Check if in given list of numbers, are any two numbers closer to each other than given threshold."
            .replacingOccurrences(of: " ", with: "\u{00A0}")
        #expect(Self.index.check(glued, as: .text, field: "instruction")?.problem == "HumanEval/0")
        #expect(Self.index.check(glued.replacingOccurrences(of: "\u{00A0}", with: " \u{200B}"), as: .text, field: "instruction")?.problem == "HumanEval/0")
    }

    @Test func theEvidenceNamesTheMethodAndTheSpan() throws {
        let problem = Self.problems[0]
        let match = try #require(Self.index.check("def close(ns, t):\n" + problem.body, as: .code, field: "rewrite"))
        #expect(match.method == .substring && match.field == "rewrite" && match.problem == "HumanEval/0")
        #expect(match.span.hasPrefix("for idx, elem in enumerate(numbers):") && match.span.hasSuffix("return False"))
        #expect(match.summary.contains("HumanEval/0 (humaneval)"))
        // Same name, the solution's idea with other names and layout: the entry point and the shape find it.
        let median = "def median(values: list):\n    s = sorted(values)\n    if len(s) % 2 == 1:\n        return s[len(s) // 2]\n"
            + "    else:\n        return (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2.0\n"
        let byName = try #require(Self.index.check(median, as: .code, field: "code"))
        #expect(byName.method == .entryPoint && byName.problem == "HumanEval/47" && (byName.similarity ?? 0) >= 0.5)
    }

    @Test func codeThatOnlySharesANameOrAnIdiomIsKept() {
        let natural = [
            // HumanEval/53 is `add`; these are other adds.
            "def add(a, b):\n    \"Same as a + b.\"\n    return a + b\n",
            "class Bag:\n    def add(self, item):\n        self.items.append(item)\n        self.count += 1\n",
            // HumanEval/47 is `median`; the standard library's is another algorithm.
            "def median(data):\n    data = sorted(data)\n    n = len(data)\n    if n == 0:\n        raise ValueError('no median for empty data')\n"
                + "    if n % 2 == 1:\n        return data[n // 2]\n    else:\n        i = n // 2\n        return (data[i - 1] + data[i]) / 2\n",
            "def is_prime(n):\n    return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))\n",
            "def strip_comments(lines):\n    for line in lines:\n        line = line.split('#', 1)[0].rstrip()\n        if line:\n            yield line\n",
            // HumanEval/40's loops, as an idiom (sympy's crypto module has it): no word of the n-gram carries information.
            "def coprime_pairs(l):\n    out = []\n    for i in range(len(l)):\n        for j in range(i+1, len(l)):\n"
                + "            if gcd(l[i], l[j]) == 1:\n                out.append((l[i], l[j]))\n    return out\n",
            // HumanEval/78 lists the hexadecimal digits; so does any table of them.
            "HEX = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F']\n"
                + "def digit(c):\n    return HEX.index(c.upper())\n",
        ]
        for code in natural {
            let match = Self.index.check(code, as: .code, field: "code")
            #expect(match == nil, "\(code): \(match?.summary ?? "")")
        }
    }
}
