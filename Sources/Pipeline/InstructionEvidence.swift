// What the model sees before it writes an instruction (executed cases of the original, chosen to differ), and the
// verified cases an instruction carries as examples, so every instruction pins down behaviour correct by construction.
import Foundation
import Sandbox
import Store

/// The examples under an instruction: the test cases they show (by index) and the text appended.
struct InstructionExamples: Codable, Sendable, Equatable {
    var cases: [Int]
    var text: String

    static func of(_ rewrite: RewriteRecord) -> InstructionExamples? {
        rewrite.examples.flatMap { try? JSONDecoder().decode(InstructionExamples.self, from: Data($0.utf8)) }
    }

    /// The instruction as the model wrote it (or it was given).
    static func withoutExamples(_ rewrite: RewriteRecord) -> String {
        guard let examples = of(rewrite), !examples.text.isEmpty, rewrite.instruction.hasSuffix(examples.text) else { return rewrite.instruction }
        return String(rewrite.instruction.dropLast(examples.text.count))
    }
}

enum InstructionEvidence {
    /// Up to `limit` cases with different behaviours: normal returns first (the model's own inputs before derived
    /// ones, short before long), then one exception, so the model sees what the function does and where it refuses.
    static func shown(_ cases: [TestCaseRecord], limit: Int) -> [TestCaseRecord] {
        guard limit > 0 else { return [] }
        let ordered = cases.filter(\.isActive).sorted { order($0, length: $0.arguments.count).lexicographicallyPrecedes(order($1, length: $1.arguments.count)) }
        var chosen: [TestCaseRecord] = []
        var seen = Set<String>()
        for testCase in ordered where testCase.expectedStatus == "ok" && chosen.count < limit - 1 {
            if seen.insert(behaviourKey(testCase)).inserted { chosen.append(testCase) }
        }
        if let raised = ordered.first(where: { $0.expectedStatus == "raised" }) { chosen.append(raised) }
        for testCase in ordered where chosen.count < limit && !chosen.contains(where: { $0.index == testCase.index }) {
            if seen.insert(behaviourKey(testCase)).inserted { chosen.append(testCase) }
        }
        return chosen.sorted { $0.index < $1.index }
    }

    /// Examples for the instruction: normal returns that leave their arguments alone and print nothing (a line
    /// can state them completely), different from each other, short; at most half the cases, so most stay unseen.
    static func examples(_ cases: [TestCaseRecord], count: Int) -> [TestCaseRecord] {
        let budget = min(count, cases.filter(\.isActive).count / 2)
        guard budget > 0 else { return [] }
        let plain = cases.filter { $0.isActive && $0.expectedStatus == "ok" && $0.mutates != true && $0.expectedOutput == nil && !$0.isSequence }
            .filter { $0.arguments.count <= 80 && value($0).count <= 80 }
        // Calls that return the usual kind of value first: `trunc(set(), 1) returns set()` is true but teaches little.
        let kinds = Dictionary(grouping: plain, by: { kind(of: $0) }).mapValues(\.count)
        let usual = kinds.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        let typical = plain.filter { kind(of: $0) == usual } + plain.filter { kind(of: $0) != usual }
            .sorted { order($0, length: $0.arguments.count + value($0).count).lexicographicallyPrecedes(order($1, length: $1.arguments.count + value($1).count)) }
        var chosen: [TestCaseRecord] = []
        var seen = Set<String>()
        for testCase in typical where chosen.count < budget {
            if seen.insert(behaviourKey(testCase)).inserted { chosen.append(testCase) }
        }
        return chosen.sorted { $0.index < $1.index }
    }

    /// `f(3, [1, 2]) returns 5`, `f(-1) raises ValueError`, with the argument state where the call changed it.
    static func line(_ testCase: TestCaseRecord, entry: String) -> String {
        let call = EntryPoint.call(entry, arguments: Behaviour.short(testCase.arguments, limit: 160))
        if testCase.expectedStatus == "raised" { return "\(call) raises \(testCase.expectedValue ?? "an exception")" }
        var text = "\(call) returns \(Behaviour.short(EntryPoint(entry).isClass ? returns(testCase) : value(testCase), limit: 160))"
        if testCase.mutates == true, let object = objectState(testCase) {
            text += ", and the object becomes \(Behaviour.short(object, limit: 160))"
        } else if testCase.mutates == true, let state = testCase.expectedState.map(readable) {
            text += " and leaves its arguments as \(Behaviour.short(state, limit: 160))"
        }
        if let output = testCase.expectedOutput { text += " and prints \(Behaviour.short(output.debugDescription, limit: 80))" }
        return text
    }

    /// A whole class's test returns each call's value in turn: `5`, or `5, then None`.
    static func returns(_ testCase: TestCaseRecord) -> String {
        guard let text = testCase.expectedValue, case let .list(values)? = try? CanonicalValue(canonicalText: text) else { return value(testCase) }
        return values.map(\.description).joined(separator: ", then ")
    }

    /// The examples as the recipe writes them under the instruction.
    static func render(_ examples: [TestCaseRecord], entry: String, style: String) -> String {
        guard !examples.isEmpty else { return "" }
        if style == "doctest" {
            return "\n\nExamples:\n" + examples.map { ">>> \(EntryPoint.call(entry, arguments: $0.arguments))\n\(value($0))" }
                .joined(separator: "\n")
        }
        return "\n\nExamples:\n" + examples.map { "- `\(EntryPoint.call(entry, arguments: $0.arguments))` returns `\(value($0))`" }
            .joined(separator: "\n")
    }

    /// An instance method's object after the call, as Python would show it (`Tally(history=[5], total=5)`): the first
    /// argument of the state the case recorded. Nil for other cases.
    static func objectState(_ testCase: TestCaseRecord) -> String? {
        guard let text = testCase.expectedState, testCase.literal.contains("'init':"),
              case let .tuple(parts)? = try? CanonicalValue(canonicalText: text), case let .tuple(arguments)? = parts.first,
              let object = arguments.first else { return nil }
        return object.description
    }

    /// The model's own inputs before derived ones (they read as a person would call), then shorter, then first.
    static func order(_ testCase: TestCaseRecord, length: Int) -> [Int] {
        [testCase.origin == "model" ? 0 : 1, length, testCase.index]
    }

    /// The kind of a case's return value: its canonical JSON's shape (a tag such as `{"tuple"`, a string, a number).
    static func kind(of testCase: TestCaseRecord) -> String {
        guard let text = testCase.expectedValue, let first = text.first else { return "none" }
        if first == "{" { return String(text.prefix { $0 != ":" }) }
        if first == "\"" { return "str" }
        if first == "[" { return "list" }
        if first == "t" || first == "f" { return "bool" }
        if first == "n" { return "none" }
        return "number"
    }

    /// The expected return value as Python writes it.
    static func value(_ testCase: TestCaseRecord) -> String { testCase.expectedValue.map(readable) ?? "None" }

    static func readable(_ canonical: String) -> String {
        (try? CanonicalValue(canonicalText: canonical))?.description ?? canonical
    }

    static func behaviourKey(_ testCase: TestCaseRecord) -> String {
        [testCase.expectedStatus ?? "", testCase.expectedValue ?? "", testCase.mutates == true ? testCase.expectedState ?? "" : ""]
            .joined(separator: "\u{1F}")
    }
}
